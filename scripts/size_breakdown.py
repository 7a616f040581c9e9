"""Code bytes of an SBF program per kind of code, from its linked assembly.

Usage: size_breakdown.py <program.so.s> <title> [top N functions]

Every instruction is 8 bytes (a 64-bit immediate load, `ll`, 16). Functions are
classified by their (mangled, v0) symbol names; the table is Markdown.
"""
import collections
import re
import sys

KINDS = [
    ("Anchor account validation (`try_accounts` per instruction)", re.compile(r"12try_accounts|try_accounts")),
    ("instruction entry and handler (`__global::<ix>`, handler inlined)", re.compile(r"9___private8___global")),
    ("error names and messages (`ErrorCode::name`, `#[error_code]`)", re.compile(r"4name$|7Display3fmt$.*error|ErrorCode")),
    ("Anchor account types (`Account`/`AccountLoader`/`InterfaceAccount`)", re.compile(r"11anchor_lang8accounts")),
    ("core formatting (`core::fmt`, number and key display)", re.compile(r"4core3fmt|3fmt7Display|3fmt5Debug|base58|five8")),
]


def functions(path):
    sizes = collections.OrderedDict()
    current = None
    for line in open(path):
        label = re.match(r"^([A-Za-z_$][\w.$]*):\s*$", line)
        if label:
            current = label.group(1)
            sizes[current] = 0
            continue
        if current and line.startswith("\t") and not line.startswith("\t."):
            sizes[current] += 16 if line.rstrip().endswith(" ll") else 8
    return sizes


def crate_of(symbol):
    found = re.findall(r"Cs[0-9A-Za-z_]+?_(\d+)([a-z_0-9]+)", symbol)
    if not found:
        return "(other)"
    length, rest = found[0]
    return rest[: int(length)]


def kind_of(symbol):
    for name, pattern in KINDS:
        if pattern.search(symbol):
            return name
    return "everything else: " + crate_of(symbol)


def main():
    path, title = sys.argv[1], sys.argv[2]
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    sizes = functions(path)
    total = sum(sizes.values())
    by_kind = collections.Counter()
    for symbol, size in sizes.items():
        by_kind[kind_of(symbol)] += size
    print(f"\n`{title}`: {total:,} bytes of code in {len(sizes)} functions\n")
    print("| code | bytes | share |\n|---|---:|---:|")
    for kind, size in by_kind.most_common():
        if size >= total // 200:
            print(f"| {kind} | {size:,} | {100 * size / total:.1f} % |")
    rest = sum(s for k, s in by_kind.items() if s < total // 200)
    print(f"| (smaller groups) | {rest:,} | {100 * rest / total:.1f} % |")
    print(f"\nLargest functions of `{title}`:\n\n| bytes | function (mangled) |\n|---:|---|")
    for symbol, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:top]:
        print(f"| {size:,} | `{symbol[:110]}` |")


if __name__ == "__main__":
    main()
