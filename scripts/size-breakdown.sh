#!/usr/bin/env bash
# Where the bytes of each deployable binary go: builds the programs as build-sbf.sh
# does, in a separate target dir and fixed root (a cold build, ~10 minutes on 2 cores;
# the normal build is untouched), with a linker wrapper that also writes each
# program's assembly, then sums code bytes per function and per kind of code
# (scripts/size_breakdown.py). Prints Markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export SBF_ASM_DIR=$ROOT/target/sbf-asm/out
log=$(mktemp)
SBF_TARGET_DIR=$ROOT/target/sbf-asm SBF_FIXED_ROOT=/tmp/insurance-pool-sbf-asm \
    SBF_OUT=$ROOT/target/sbf-asm/deploy SBF_LINKER_WRAPPER=$ROOT/scripts/sbf-asm-linker.sh \
    bash scripts/build-sbf.sh >"$log" 2>&1 || { cat "$log"; exit 1; }
for lib in insurance_pool example_exchange; do
    python3 scripts/size_breakdown.py "$SBF_ASM_DIR/lib$lib.so.s" "$lib.so"
done
