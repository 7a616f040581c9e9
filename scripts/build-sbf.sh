#!/usr/bin/env bash
# Builds the real SBF binaries (SBPF v3) of every program in programs/ and bench/ into
# target/deploy/<lib>.so, on machines where Solana's platform-tools cannot be
# downloaded. Route (see README, "The SBF binary"): the pinned nightly's upstream BPF
# backend (LLVM 23), a custom `sbpf-solana-solana` target, std rebuilt from a patched
# copy of the toolchain's rust-src, linked by sbpf-linker.
#
# Idempotent: installs the pinned nightly and linker if missing, re-applies the std
# patch only when the patch or toolchain changed. Exit codes: 0 built; 3 the pinned
# toolchain could not be downloaded (callers may skip SBF); anything else is a failure.
#
# For instrumented builds (scripts/cu-breakdown.sh): SBF_ONLY=<package> builds one
# program, SBF_FEATURES=<features> passes its cargo features, SBF_OUT=<dir> writes the
# binaries there instead of target/deploy; scripts/size-breakdown.sh also sets
# SBF_TARGET_DIR and SBF_LINKER_WRAPPER (a linker that also writes the assembly).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NIGHTLY=nightly-2026-08-21
LINKER_VERSION=0.2.6
PATCH=$ROOT/sbf/std-solana.patch
TOOLS=$ROOT/target/sbf-tools
TARGET_DIR=${SBF_TARGET_DIR:-$ROOT/target/sbf}
OUT=${SBF_OUT:-$ROOT/target/deploy}
ONLY=${SBF_ONLY:-}
FEATURES=${SBF_FEATURES:-}
# Cargo hashes the absolute path of path dependencies (our crates, and std when built
# from source) into symbol names, which changes the generated code. Building from a
# fixed location makes every checkout, on every machine, produce the same bytes.
FIXED=${SBF_FIXED_ROOT:-/tmp/insurance-pool-sbf}
SRC_COPY=$FIXED/src
STD_COPY=$FIXED/std

log() { printf '[build-sbf] %s\n' "$*" >&2; }

# 1. Pinned nightly with rust-src (std is rebuilt from source).
if ! rustup run "$NIGHTLY" rustc --version >/dev/null 2>&1 \
    || [ ! -d "$(rustup run "$NIGHTLY" rustc --print sysroot)/lib/rustlib/src/rust/library" ]; then
    log "installing $NIGHTLY with rust-src"
    if ! rustup toolchain install "$NIGHTLY" --profile minimal -c rust-src >&2; then
        log "could not download $NIGHTLY (rustup server unreachable?)"
        exit 3
    fi
fi
SYSROOT=$(rustup run "$NIGHTLY" rustc --print sysroot)

# 2. sbpf-linker, built by the same nightly (it loads that toolchain's LLVM).
LINKER=$TOOLS/bin/sbpf-linker
if [ ! -x "$LINKER" ] || [ "$(cat "$TOOLS/version" 2>/dev/null)" != "$NIGHTLY $LINKER_VERSION" ]; then
    log "installing sbpf-linker $LINKER_VERSION"
    cargo "+$NIGHTLY" install sbpf-linker --version "$LINKER_VERSION" --locked --root "$TOOLS" --force >&2
    echo "$NIGHTLY $LINKER_VERSION" >"$TOOLS/version"
fi

# 3. A patched copy of std (the toolchain itself is never modified).
STAMP="$NIGHTLY $(sha256sum "$PATCH" | cut -d' ' -f1)"
if [ "$(cat "$STD_COPY/stamp" 2>/dev/null)" != "$STAMP" ]; then
    log "preparing patched std in $STD_COPY"
    rm -rf "$STD_COPY"
    mkdir -p "$STD_COPY"
    cp -r "$SYSROOT/lib/rustlib/src/rust/library" "$STD_COPY/library"
    if command -v patch >/dev/null; then
        patch -s -d "$STD_COPY" -p1 <"$PATCH"
    else
        (cd "$STD_COPY" && git apply -p1 "$PATCH")
    fi
    echo "$STAMP" >"$STD_COPY/stamp"
fi

# 4. Mirror the workspace into the fixed location (cp -a keeps modification times,
#    so unchanged crates are not rebuilt).
mkdir -p "$SRC_COPY"
exec 9>"$FIXED/lock"
flock 9 2>/dev/null || true
# Every workspace member must be present for cargo to load the workspace: copy every
# top-level entry but build outputs and the non-Rust parts, and drop what the source
# no longer has (a crate moved or removed would otherwise stay a member of the copy).
for item in "$ROOT"/* "$ROOT"/.cargo; do
    name=$(basename "$item")
    case $name in target | clients | app | docs | node_modules) continue ;; esac
    [ -e "$item" ] && cp -a "$item" "$SRC_COPY/"
done
for copy in "$SRC_COPY"/* "$SRC_COPY"/programs/* "$SRC_COPY"/bench/*; do
    [ -e "$copy" ] || continue
    [ -e "$ROOT/${copy#"$SRC_COPY"/}" ] || rm -rf "$copy"
done

# 5. Build every program.
CARGO_HOME_DIR=${CARGO_HOME:-$HOME/.cargo}
export __CARGO_TESTS_ONLY_SRC_ROOT=$STD_COPY/library
export SBF_REAL_LINKER=$LINKER
export RUSTFLAGS="-C linker=${SBF_LINKER_WRAPPER:-$LINKER} -Z unstable-options -C panic=immediate-abort \
 -C relocation-model=static -C target-cpu=v3 -C passes=lower-atomic \
 -C link-arg=--llvm-args=--bpf-stack-size=4096 \
 --remap-path-prefix=$SRC_COPY=. --remap-path-prefix=$CARGO_HOME_DIR=/cargo \
 --remap-path-prefix=$STD_COPY=/rust"
mkdir -p "$OUT"
for manifest in "$ROOT"/programs/*/Cargo.toml "$ROOT"/bench/*/Cargo.toml; do
    package=$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -1)
    lib=$(sed -n '/^\[lib\]/,/^\[/s/^name = "\(.*\)"/\1/p' "$manifest" | head -1)
    [ -n "$ONLY" ] && [ "$package" != "$ONLY" ] && continue
    log "building $package"
    (cd "$SRC_COPY" && cargo "+$NIGHTLY" build --release --locked -p "$package" \
        --target "$SRC_COPY/sbf/sbpf-solana-solana.json" --target-dir "$TARGET_DIR" \
        -Z build-std=std,panic_abort -Z build-std-features=compiler-builtins-mem \
        -Z json-target-spec ${FEATURES:+--features "$FEATURES"})
    # The custom target keeps the default `lib` prefix of shared objects.
    cp "$TARGET_DIR/sbpf-solana-solana/release/lib$lib.so" "$OUT/$lib.so"
    size=$(stat -c %s "$OUT/$lib.so")
    hash=$(sha256sum "$OUT/$lib.so" | cut -d' ' -f1)
    printf '%s.so  %d bytes  sha256 %s\n' "$lib" "$size" "$hash"
done
# The full default build: its hashes against the committed ones (sbf/SHA256SUMS, the
# hashes docs/verifiable-build.md states). A difference is reported, not fatal: the
# committed file is refreshed with the source (`cp target/deploy/SHA256SUMS sbf/`).
if [ -z "$ONLY" ] && [ -z "$FEATURES" ]; then
    (cd "$OUT" && sha256sum insurance_pool.so example_exchange.so) > "$OUT/SHA256SUMS"
    if cmp -s "$OUT/SHA256SUMS" "$ROOT/sbf/SHA256SUMS"; then
        log "reproduced sbf/SHA256SUMS: these are the committed binaries"
    else
        log "differs from sbf/SHA256SUMS (stale after a source change? cp $OUT/SHA256SUMS sbf/)"
    fi
fi
