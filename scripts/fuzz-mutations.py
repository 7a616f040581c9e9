#!/usr/bin/env python3
"""Mutation experiments for the fuzzer (issues 15, 31): break one rule at a time, build
the SBF binaries, and check that the fuzzer's CI smoke (20,000 operations from seed 1)
catches it. Prints a table: mutation, caught at step, seconds.

    python3 scripts/fuzz-mutations.py [--ops 20000] [--seed 1] [NAME ...]

Two kinds:
- **program only** (the instruction handlers, which the model re-implements rather
  than shares): the reference model keeps the correct rule, so lockstep catches it;
- **program and model alike** (`fuzz/src/` edited too, the fuzzer rebuilt): lockstep
  agrees with the broken rule, so only the independent checks can catch it: the
  fairness oracle (`fuzz/src/fairness.rs`) and the bounds. These are review 3's
  findings with their fixes taken out.

Needs cargo; builds the debug fuzzer when missing or when a mutation edits it. Every
source file is restored afterwards (also on Ctrl-C), and the binaries (and the
fuzzer, if it was rebuilt) are rebuilt from the clean sources at the end. Nothing here
is committed or run by CI.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IX = "programs/insurance_pool/src/instructions/"
STATE = "programs/insurance_pool/src/state/"

# name -> ([(file, old text, new text)], the rule it breaks)
MUTATIONS = {
    "exit-during-holdup": (
        [(IX + "complete_withdrawal.rs",
          "        require!(now >= pool.holdup_until, InsuranceError::HoldupExitsClosed);\n",
          "")],
        "an exit completes during an approved claim's hold-up",
    ),
    "stake-age": (
        [(IX + "cast_vote.rs",
          "u.last_deposit_at < claim.filed_at && u.last_stake_at < claim.filed_at",
          "true")],
        "shares deposited after a claim was filed vote on it",
    ),
    "exit-during-votes": (
        [(IX + "complete_withdrawal.rs",
          "        require!(pool.voting_claims == 0, InsuranceError::ClaimsVoting);\n", "")],
        "an exit completes while a claim votes",
    ),
    "payout-ignores-reservation": (
        [(IX + "pay_claim.rs",
          "let paid = claim.reserved.min(pool.capital);",
          "let paid = claim.amount.min(pool.capital);")],
        "a claim is paid its amount, not what approval reserved",
    ),
    "no-epoch-cap": (
        [(IX + "cover_shortfall.rs",
          "let epoch_room = epoch_cap.saturating_sub(registration.epoch_paid);",
          "let epoch_room = epoch_cap.saturating_sub(registration.epoch_paid).max(u64::MAX);")],
        "an exchange draws beyond its per-epoch cap",
    ),
    "claim-above-cover": (
        [(IX + "file_claim.rs", "amount <= member.claimable(now)", "amount <= u64::MAX")],
        "a member claims beyond its matured cover",
    ),
    "guardian-unpauses": (
        [(STATE + "protocol.rs", "new & current == current", "true")],
        "the guardian lifts a pause",
    ),
    "deposit-during-holdup": (
        [(IX + "deposit.rs", "Clock::get()?.unix_timestamp >= pool.holdup_until", "true")],
        "a deposit buys in at the discounted price during a hold-up",
    ),
    # Review 3 without its fixes, in the program and the model alike.
    "f1-exit-escapes-a-vote": (
        [(IX + "complete_withdrawal.rs",
          "        require!(pool.voting_claims == 0, InsuranceError::ClaimsVoting);\n", ""),
         (IX + "complete_withdrawal.rs",
          "let value_now = pool.value_of(pending)?;",
          "let value_now = pool.value_on_free_capital(pending)?;"),
         ("fuzz/src/model.rs",
          "        req!(pool.voting_claims == 0, ie(InsuranceError::ClaimsVoting));\n", ""),
         ("fuzz/src/model.rs",
          "let value_now = crate::rules::value_of(pool, pending)?;",
          "let value_now = crate::rules::value_on_free_capital(pool, pending)?;")],
        "(finding 1) an exit during a vote is paid as if no claim voted",
    ),
    "f3-leaving-capital-prices-cover": (
        [(STATE + "pool.rs", "if clock > self.pending_lapses_at() {", "if true {"),
         ("fuzz/src/rules.rs",
          "if clock > pool.pending_closes_until {",
          "if true {")],
        "(finding 3) capital under a withdrawal request prices new cover",
    ),
    "f4-rate-remembers": (
        [(STATE + "pool.rs",
          "let rate = curve_rate(&p.curve, utilisation);",
          "let rate = curve_rate(&p.curve, utilisation).max(self.rate_bps);"),
         ("fuzz/src/rules.rs",
          "let rate = curve_rate(&p.curve, utilisation);",
          "let rate = curve_rate(&p.curve, utilisation).max(pool.rate_bps);")],
        "(finding 4) the premium rate remembers the last purchase's",
    ),
    # The fourth attacker review: a leaver's gain capped at its value at request while
    # its request waits for the cover in force (its income went to those who stay).
    "r4-leaver-forfeits-income": (
        [(IX + "complete_withdrawal.rs",
          "    let paid = value_now;\n",
          "    let paid = value_now.min(value_at_request);\n"),
         ("fuzz/src/model.rs",
          "let (paid, shares) = (value_now, pending);",
          "let (paid, shares) = (value_now.min(u.pending_value), pending);")],
        "(review 4) a leaver is paid min(value at request, value now)",
    ),
}


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, **kw)


def build_fuzzer():
    return run(["cargo", "build", "--locked", "-q", "-p", "insurance-pool-fuzz"],
               capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    names = args.names or list(MUTATIONS)
    fuzz = os.path.join(ROOT, "target/debug/fuzz")
    if not os.path.exists(fuzz) and build_fuzzer().returncode != 0:
        sys.exit("the fuzzer does not build")
    results = []
    try:
        for name in names:
            edits, rule = MUTATIONS[name]
            originals = {}
            try:
                applied = True
                for rel, old, new in edits:
                    path = os.path.join(ROOT, rel)
                    text = originals.setdefault(path, open(path).read())
                    current = open(path).read()
                    if old not in current:
                        applied = False
                        break
                    open(path, "w").write(current.replace(old, new, 1))
                if not applied:
                    results.append((name, rule, "NOT APPLIED (text not found)", 0.0))
                    continue
                build = run(["flock", "/tmp/sbf.lock", "bash", "scripts/build-sbf.sh"],
                            capture_output=True, text=True)
                if build.returncode != 0:
                    results.append((name, rule, "BUILD FAILED", 0.0))
                    continue
                if any(rel.startswith("fuzz/") for rel, _, _ in edits):
                    if build_fuzzer().returncode != 0:
                        results.append((name, rule, "FUZZER BUILD FAILED", 0.0))
                        continue
                out = f"/tmp/fuzz-mutation-{name}"
                shutil.rmtree(out, ignore_errors=True)
                os.makedirs(out)
                for so in ("insurance_pool.so", "example_exchange.so"):
                    shutil.copy(os.path.join(ROOT, "target/deploy", so), out)
                started = time.time()
                res = run([fuzz, "--ops", str(args.ops), "--seed", str(args.seed),
                           "--no-shrink", "--deploy-dir", out], capture_output=True, text=True)
                secs = time.time() - started
            finally:
                for path, text in originals.items():
                    open(path, "w").write(text)
                if any(rel.startswith("fuzz/") for rel, _, _ in edits):
                    # The next mutation runs against the clean model.
                    build_fuzzer()
            m = re.search(r"RULE BROKEN at step (\d+) .*? by (.*?):\n(.*)", res.stdout)
            if m:
                what = f"caught at step {int(m.group(1)) + 1} ({m.group(2)}): {m.group(3)[:110]}"
            else:
                what = "NOT CAUGHT"
            results.append((name, rule, what, secs))
            print(f"{name}: {what} [{secs:.1f} s]", flush=True)
    finally:
        # Rebuild the binaries (and the fuzzer) from the restored sources.
        run(["flock", "/tmp/sbf.lock", "bash", "scripts/build-sbf.sh"], capture_output=True)
    print()
    print(f"{'mutation':<32} {'rule broken':<66} result")
    for name, rule, what, secs in results:
        print(f"{name:<32} {rule:<66} {what} [{secs:.1f} s]")


if __name__ == "__main__":
    main()
