# The official-toolchain build of the programs, pinned, for `solana-verify`:
#   docker build -t insurance-pool-verify:anchor-1.2.2 -f docker/verifiable-build.Dockerfile docker
#   solana-verify build --library-name insurance_pool --base-image insurance-pool-verify:anchor-1.2.2
# (docs/verifiable-build.md has the whole recipe). Every version is pinned: the Rust
# toolchain of rust-toolchain.toml, the Agave release whose platform-tools compile the
# programs, and the Anchor CLI of the workspace's anchor-lang.
FROM rust:1.95.0-bookworm

ARG AGAVE_VERSION=v3.0.10
ARG ANCHOR_VERSION=v1.2.2

RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libssl-dev libudev-dev clang ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*

# Agave (solana CLI, cargo-build-sbf and its platform-tools), from Anza's release server.
RUN sh -c "$(curl -sSfL https://release.anza.xyz/${AGAVE_VERSION}/install)"
ENV PATH="/root/.local/share/solana/install/active_release/bin:${PATH}"
# Fetch the platform-tools now, so the build step needs no network.
RUN cargo build-sbf --version

# The Anchor CLI matching anchor-lang =1.2.2.
RUN cargo install --locked --git https://github.com/solana-foundation/anchor --tag ${ANCHOR_VERSION} anchor-cli

WORKDIR /build
