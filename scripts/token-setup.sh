#!/usr/bin/env bash
# Installs what the advisor-key crate (keys/) and its token tests need, on a
# fresh Debian bookworm machine (root, Rust via rustup).
#
#   scripts/token-setup.sh               apt packages only
#   scripts/token-setup.sh --build-shim  also build the kryoptic PKCS#11 test
#                                        token (keys/kryoptic-shim) into the
#                                        target directory the tests read
#
# Packages: softhsm2 (the wrapped-key tests' token), libclang-dev (bindgen,
# for kryoptic-lib and ossl-sys), libssl-dev + pkg-config (kryoptic links
# the system libcrypto, OpenSSL >= 3.0.7), libsqlite3-dev (kryoptic's token
# store links the system libsqlite3).
#
# The shim is its own Cargo workspace (kryoptic-lib needs rusqlite 0.38, the
# server 0.37, and one workspace may link only one sqlite3), so
# `cargo test --workspace` does not build it. It is built with the dev
# profile into ${CARGO_TARGET_DIR:-target}/debug/libkryoptic_shim.so, where
# keys/tests find it (or set MELDKLUIS_TEST_KRYOPTIC_MODULE). A cold build
# takes about 6-7 minutes on 2 cores; afterwards a second or two.
#
# Idempotent and non-interactive: anything present is skipped, so a second
# run takes well under a second (plus a no-op cargo build with --build-shim).
# Safe under CI=true with no stdin.
set -euo pipefail

build_shim=0
for arg in "$@"; do
  case "$arg" in
    --build-shim) build_shim=1 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "token-setup.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive
log() { printf 'token-setup: %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else echo "token-setup.sh: need root (or passwordless sudo) to run: $*" >&2; exit 1
  fi
}

missing=()
for pkg in softhsm2 libclang-dev libssl-dev pkg-config libsqlite3-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || {
    echo "token-setup.sh: apt-get not found; install by hand: ${missing[*]}" >&2
    exit 1
  }
  log "apt-get update"
  as_root apt-get update -qq </dev/null
  log "installing ${missing[*]}"
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

if [ "$build_shim" -eq 1 ]; then
  target_dir=${CARGO_TARGET_DIR:-$root/target}
  log "building keys/kryoptic-shim into $target_dir/debug"
  cargo build --locked --manifest-path "$root/keys/kryoptic-shim/Cargo.toml" \
    --target-dir "$target_dir" </dev/null
  log "module: $target_dir/debug/libkryoptic_shim.so"
fi
log "done"
