#!/usr/bin/env bash
# Runs meldkluis locally: installs what the build needs, builds the browser
# bundle, the server and the advisor tools, creates the demo tenant "demo"
# (software advisor and recovery keys, DEMO ONLY, written to the data
# directory), writes the demo advisor's enrolled-keys file, prints the one
# command that opens the advisor console with the demo key, and serves the
# demo on http://127.0.0.1:8470 until Ctrl-C.
#
#   scripts/demo.sh                 data in ./data
#   MELDKLUIS_DATA_DIR=/tmp/x scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export MELDKLUIS_DATA_DIR="${MELDKLUIS_DATA_DIR:-$PWD/data}"
bin="${MELDKLUIS_DEMO_BIN:-target/release}"

if [ -z "${MELDKLUIS_DEMO_BIN:-}" ]; then
  scripts/setup.sh
  scripts/build-wasm.sh
  cargo build --release --locked -p meldkluis-server -p meldkluis-keys
fi

# The demo tenant and its software keys (kept if they exist).
"$bin/meldkluis-server" demo
keys="$MELDKLUIS_DATA_DIR/DEMO-ONLY-keys"

# What a real advisor writes down after comparing fingerprints aloud at
# enrolment: here read from the demo's own key files.
public_key() {
  "$bin/meldkluis-advisor-key" export --insecure-demo-file "$1" 2>/dev/null |
    awk '/^public key:/ { print $3 }'
}
advisor=$(public_key "$keys/DEMO-ONLY-advisor-key.hex")
recovery=$(public_key "$keys/DEMO-ONLY-recovery-key.hex")
if [ -z "$advisor" ] || [ -z "$recovery" ]; then
  echo "demo: could not read the demo keys in $keys" >&2
  exit 1
fi
enrolled="$keys/DEMO-ONLY-enrolled-keys.txt"
umask 077
cat >"$enrolled" <<EOF
# meldkluis enrolled keys of the demo tenant (DEMO ONLY: software keys)
advisor  $advisor  Demo-vertrouwenspersoon (DEMO)
recovery $recovery
EOF

cat <<EOF

demo: data in $MELDKLUIS_DATA_DIR
demo: the reporter's side:  open http://127.0.0.1:8470/t/demo/ and send a report
demo: the advisor's side:   in a second terminal, run (then open the address it prints)

  $bin/meldkluis-advisor console --server http://127.0.0.1:8470 --tenant demo \\
    --enrolled $enrolled \\
    --insecure-demo-file $keys/DEMO-ONLY-advisor-key.hex --lang en

demo: Ctrl-C stops the server.
EOF
exec "$bin/meldkluis-server" serve
