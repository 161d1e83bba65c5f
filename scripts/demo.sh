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

# The demo tenant's information page (/t/demo/info): its own introduction
# and procedure, and a short bio of the demo advisor. Plain-text files, as
# an operator would write them; stored again on every start.
info="$MELDKLUIS_DATA_DIR/DEMO-info"
mkdir -p "$info"
cat >"$info/intro.nl.txt" <<'EOF'
Dit is het meldpunt van de demo-organisatie. Hier kunt u vertrouwelijk een vermoeden van een misstand of ongewenst gedrag melden: bijvoorbeeld fraude, onveilige situaties, intimidatie, pesten of discriminatie.

U mag anoniem melden. U mag ook eerst alleen een vraag stellen of om een gesprek vragen.

(Dit is een demonstratie: gebruik hier geen echte gegevens.)
EOF
cat >"$info/intro.en.txt" <<'EOF'
This is the reporting channel of the demo organisation. Here you can confidentially report a suspected wrongdoing or unwanted behaviour: for example fraud, unsafe situations, intimidation, bullying or discrimination.

You may report anonymously. You may also just ask a question first, or ask for a conversation.

(This is a demonstration: do not enter real data here.)
EOF
cat >"$info/meldregeling.nl.txt" <<'EOF'
Meldregeling van de demo-organisatie (voorbeeld)

Artikel 1. Iedereen die voor de organisatie werkt of heeft gewerkt, ook als stagiair, vrijwilliger of zzp'er, kan een vermoeden van een misstand melden bij een vertrouwenspersoon.

Artikel 2. De vertrouwenspersoon bevestigt de ontvangst binnen zeven dagen en laat binnen drie maanden daarna weten wat er met de melding is gedaan.

Artikel 3. De identiteit van de melder wordt alleen met diens schriftelijke toestemming bekendgemaakt.
EOF
cat >"$info/advisor.nl.txt" <<'EOF'
Demo-vertrouwenspersoon. Bereikbaar via dit meldpunt; een gesprek kan op kantoor, telefonisch of via video.
EOF
demo_advisor=$("$bin/meldkluis-server" advisor list demo | awk -F'\t' '$2 == "active" { print $1; exit }')
"$bin/meldkluis-server" tenant info demo --lang nl \
  --intro-file "$info/intro.nl.txt" \
  --meldregeling-file "$info/meldregeling.nl.txt" \
  ${demo_advisor:+--advisor-bio "$demo_advisor=$info/advisor.nl.txt"} >/dev/null
"$bin/meldkluis-server" tenant info demo --lang en --intro-file "$info/intro.en.txt" >/dev/null

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
demo: the information page: http://127.0.0.1:8470/t/demo/info
demo: the advisor's side:   in a second terminal, run (then open the address it prints)

  $bin/meldkluis-advisor console --server http://127.0.0.1:8470 --tenant demo \\
    --enrolled $enrolled \\
    --insecure-demo-file $keys/DEMO-ONLY-advisor-key.hex --lang en

demo: Ctrl-C stops the server.
EOF
exec "$bin/meldkluis-server" serve
