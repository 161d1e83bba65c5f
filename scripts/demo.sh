#!/usr/bin/env bash
# Runs meldkluis locally: installs what the build needs, builds the browser
# bundle and the server, creates the demo tenant "demo" (software advisor and
# recovery keys, DEMO ONLY, written to the data directory) and serves it on
# http://127.0.0.1:8470 until Ctrl-C.
#
#   scripts/demo.sh                 data in ./data
#   MELDKLUIS_DATA_DIR=/tmp/x scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export MELDKLUIS_DATA_DIR="${MELDKLUIS_DATA_DIR:-$PWD/data}"

scripts/setup.sh
scripts/build-wasm.sh
cargo build --release --locked -p meldkluis-server
echo "demo: data in $MELDKLUIS_DATA_DIR; open http://127.0.0.1:8470/t/demo/ (Ctrl-C stops)"
exec target/release/meldkluis-server serve --demo
