#!/usr/bin/env bash
# Linker wrapper for scripts/size-breakdown.sh: links with sbf-linker ($SBF_REAL_LINKER,
# exported by build-sbf.sh) exactly as a normal build does, then links the same inputs
# again to assembly (`--emit asm`) into $SBF_ASM_DIR/<output name>.s.
set -euo pipefail
"$SBF_REAL_LINKER" "$@"
args=()
prev=""
out=""
for a in "$@"; do
    if [ "$prev" = "-o" ]; then
        out=$a
        args+=("$a.s")
    else
        args+=("$a")
    fi
    prev=$a
done
# The assembly pass may report errors after writing its output (and dependencies built
# as shared objects too, e.g. solana-zk-sdk, may not link at all): keep whatever it
# wrote; the last program linked under a name wins (the program itself, after the
# copies linked as dependencies).
"$SBF_REAL_LINKER" "${args[@]}" --emit asm >/dev/null 2>&1 || true
if [ -s "$out.s" ]; then
    mkdir -p "$SBF_ASM_DIR"
    mv "$out.s" "$SBF_ASM_DIR/$(basename "$out").s"
fi
