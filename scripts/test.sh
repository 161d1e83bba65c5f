#!/usr/bin/env bash
# The one test command: everything CI runs, in the order that fails fastest.
# Works on a fresh Debian bookworm machine with Rust and Node: it installs
# what it needs first (scripts/setup.sh is idempotent and quick when done).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)
# A clean clone gains nothing from incremental compilation, and its
# artefacts would double the target directory.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
df -h . | sed 's/^/disk: /'

step "install what the build and tests need"
# --replication: etcd, Litestream and SeaweedFS for the replication and
# cluster tests (tests/tests/cluster.rs, server tests), which fail without them.
scripts/setup.sh --browser --replication
# SoftHSM2 and the kryoptic PKCS#11 token the advisor-key tests talk to.
scripts/token-setup.sh --build-shim

step "format"
cargo fmt --all -- --check

step "clippy (all targets, warnings are errors; natively and for the browser)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy --locked -p meldkluis-web-client --target wasm32-unknown-unknown --all-features -- -D warnings

step "dependency rules (cargo tree)"
scripts/check-deps.sh

step "crypto-core for wasm32-unknown-unknown, and the browser bundle"
cargo build --locked -p meldkluis-crypto-core --target wasm32-unknown-unknown
scripts/build-wasm.sh

step "tests"
cargo test --workspace --locked

step "fuzz smoke run"
scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-10}"

printf '\nAll checks passed in %ss.\n' "$(( $(date +%s) - started ))"
