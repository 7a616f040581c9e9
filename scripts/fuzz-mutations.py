#!/usr/bin/env python3
"""Mutation experiments for the fuzzer (issue 15): break one rule of the program at a
time, build the SBF binaries, and check that the fuzzer's CI smoke (20,000 operations
from seed 1) catches it. Prints a table: mutation, caught at step, seconds.

    python3 scripts/fuzz-mutations.py [--ops 20000] [--seed 1] [NAME ...]

Needs the debug fuzzer built (`cargo build -p insurance-pool-fuzz`); the binary is
not rebuilt, so the reference model keeps the correct rules (mutations are in the
instruction handlers, which the model re-implements rather than shares). Every
source file is restored afterwards (also on Ctrl-C), and the binaries are rebuilt
from the clean sources at the end. Nothing here is committed or run by CI.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "programs/insurance_pool/src/instructions")

# name -> (file, old text, new text, the rule it breaks)
MUTATIONS = {
    "vote-lock": (
        "complete_withdrawal.rs",
        "        require!(\n            now >= self.underwriter.vote_locked_until,\n            InsuranceError::VoteLocked\n        );\n",
        "",
        "a voter exits before the claims it voted on are settled",
    ),
    "stake-age": (
        "cast_vote.rs",
        "u.last_deposit_at < self.claim.filed_at && u.last_stake_at < self.claim.filed_at",
        "true",
        "shares deposited after a claim was filed vote on it",
    ),
    "exit-ignores-voting-claims": (
        "complete_withdrawal.rs",
        "withdrawal_settlement(pending, underwriter.pending_value, full, value_now)?",
        "withdrawal_settlement(pending, underwriter.pending_value, full, full)?",
        "an exit is priced without the claims still voting",
    ),
    "payout-ignores-reservation": (
        "pay_claim.rs",
        "let paid = claim.reserved.min(pool.capital);",
        "let paid = claim.amount.min(pool.capital);",
        "a claim is paid its amount, not what approval reserved",
    ),
    "no-epoch-cap": (
        "cover_shortfall.rs",
        "let epoch_room = epoch_cap.saturating_sub(registration.epoch_paid);",
        "let epoch_room = epoch_cap.saturating_sub(registration.epoch_paid).max(u64::MAX);",
        "an exchange draws beyond its per-epoch cap",
    ),
    "claim-above-cover": (
        "file_claim.rs",
        "amount <= self.member.claimable(now)",
        "amount <= u64::MAX",
        "a member claims beyond its matured cover",
    ),
    "guardian-unpauses": (
        "../state/protocol.rs",
        "new & current == current",
        "true",
        "the guardian lifts a pause",
    ),
    "deposit-during-holdup": (
        "deposit.rs",
        "Clock::get()?.unix_timestamp >= self.pool.holdup_until",
        "true",
        "a deposit buys in at the discounted price during a hold-up",
    ),
}


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    names = args.names or list(MUTATIONS)
    fuzz = os.path.join(ROOT, "target/debug/fuzz")
    if not os.path.exists(fuzz):
        sys.exit("build the fuzzer first: cargo build -p insurance-pool-fuzz")
    results = []
    try:
        for name in names:
            rel, old, new, rule = MUTATIONS[name]
            path = os.path.normpath(os.path.join(SRC, rel))
            original = open(path).read()
            if old not in original:
                results.append((name, rule, "NOT APPLIED (text not found)", 0.0))
                continue
            try:
                open(path, "w").write(original.replace(old, new, 1))
                build = run(["flock", "/tmp/sbf.lock", "bash", "scripts/build-sbf.sh"],
                            capture_output=True, text=True)
                if build.returncode != 0:
                    results.append((name, rule, "BUILD FAILED", 0.0))
                    continue
                out = f"/tmp/fuzz-mutation-{name}"
                shutil.rmtree(out, ignore_errors=True)
                os.makedirs(out)
                for so in ("insurance_pool.so", "example_exchange.so"):
                    shutil.copy(os.path.join(ROOT, "target/deploy", so), out)
            finally:
                open(path, "w").write(original)
            started = time.time()
            res = run([fuzz, "--ops", str(args.ops), "--seed", str(args.seed), "--no-shrink",
                       "--deploy-dir", out], capture_output=True, text=True)
            secs = time.time() - started
            m = re.search(r"RULE BROKEN at step (\d+) .*? by (.*?):\n(.*)", res.stdout)
            if m:
                what = f"caught at step {int(m.group(1)) + 1} ({m.group(2)}): {m.group(3)[:90]}"
            else:
                what = "NOT CAUGHT"
            results.append((name, rule, what, secs))
            print(f"{name}: {what} [{secs:.1f} s]", flush=True)
    finally:
        # Rebuild the binaries from the restored sources.
        run(["flock", "/tmp/sbf.lock", "bash", "scripts/build-sbf.sh"], capture_output=True)
    print()
    print(f"{'mutation':<28} {'rule broken':<58} result")
    for name, rule, what, secs in results:
        print(f"{name:<28} {rule:<58} {what} [{secs:.1f} s]")


if __name__ == "__main__":
    main()
