#!/usr/bin/env bash
# Proves the dependency rules of ARCHITECTURE.md with `cargo tree`:
# - crypto-core depends on no I/O, async, HTTP or database crate;
# - no OS random source (getrandom, rand's std RNG) in crypto-core's wasm graph;
# - crypto-core depends on no other workspace crate.
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
forbidden_io='^(tokio|async-std|futures[a-z-]*|mio|hyper|axum|reqwest|http|tower[a-z-]*|rusqlite|libsqlite3-sys|sqlx|diesel|socket2|lettre|std-io-[a-z]*)$'

native=$(cargo tree --locked -p meldkluis-crypto-core -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
wasm=$(cargo tree --locked -p meldkluis-crypto-core -e normal --target wasm32-unknown-unknown --prefix none --format '{p}' | awk '{print $1}' | sort -u)

if bad=$(echo "$native" | grep -E "$forbidden_io"); then
  echo "check-deps: crypto-core depends on I/O crates: $bad" >&2; fail=1
fi
if bad=$(echo "$wasm" | grep -E '^(getrandom|rand)$'); then
  echo "check-deps: OS randomness in crypto-core's wasm graph: $bad" >&2; fail=1
fi
if bad=$(echo "$native" | grep -E '^meldkluis-' | grep -v '^meldkluis-crypto-core$'); then
  echo "check-deps: crypto-core depends on workspace crates: $bad" >&2; fail=1
fi
# web-client's wasm graph must not pull getrandom either.
web=$(cargo tree --locked -p meldkluis-web-client -e normal --target wasm32-unknown-unknown --prefix none --format '{p}' | awk '{print $1}' | sort -u)
if bad=$(echo "$web" | grep -E '^(getrandom|rand)$'); then
  echo "check-deps: OS randomness in web-client's wasm graph: $bad" >&2; fail=1
fi

[ "$fail" -eq 0 ] || exit 1
echo "check-deps: crypto-core: $(echo "$native" | wc -l) crates natively, $(echo "$wasm" | wc -l) on wasm; no I/O crates, no getrandom on wasm"
