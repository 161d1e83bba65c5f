#!/usr/bin/env bash
# Measures the reporter pages' budgets (issue: reporter web client):
# bytes over the wire per page (gzip) and press-"send"-to-acknowledgement
# time in headless Chromium for a 4 KiB report. Exits 1 if over budget.
#
#   scripts/measure-budgets.sh [RUNS]      (default 10 send timings)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
scripts/build-wasm.sh >/dev/null
cargo build --release --locked -p meldkluis-tests --bin meldkluis-budgets
exec target/release/meldkluis-budgets "${1:-10}"
