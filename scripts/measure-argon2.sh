#!/usr/bin/env bash
# Measures mailbox derivation (Argon2id + HKDF, crypto-core's
# MailboxKeys::derive_with) for candidate Argon2id parameters: natively, in
# the wasm under Node, and in the wasm inside a Web Worker of real headless
# Chromium. Prints one table (median of RUNS, in ms). The last row is the
# production derivation (MailboxKeys::derive, the parameters in force).
#
#   scripts/measure-argon2.sh [--runs N] [--candidates m_kib:t:p,...]
#
# Needs scripts/setup.sh --browser. The page is served by a stdlib Python
# server on 127.0.0.1 (a free port) under the production CSP, and posts its
# result back to that server; nothing leaves the machine.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=3
grid=""
for m in 19456 32768 47104 65536; do
  for t in 1 2 3; do grid="$grid${grid:+,}$m:$t:1"; done
done
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --candidates) grid=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "measure-argon2.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for tool in chromium python3 node; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "measure-argon2.sh: $tool not found; run scripts/setup.sh --browser" >&2
    exit 1
  }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
site="$work/site"

echo "== building the measurement wasm (feature 'measure')" >&2
"$root/scripts/build-wasm.sh" --features measure --out "$site" >&2
cp "$root"/web-client/measure/*.html "$root"/web-client/measure/*.js "$site/"

echo "== native (release)" >&2
(cd "$root" && cargo run --quiet --locked --release -p meldkluis-web-client \
  --example measure-argon2 -- "$runs" "$grid") > "$work/native.json"

echo "== wasm in Node $(node --version)" >&2
node --input-type=module - "$site" "$runs" "$grid" > "$work/node.json" <<'JS'
const [site, runs, grid] = process.argv.slice(2);
const { loadMeldkluis } = await import(`${site}/meldkluis.js`);
const { parseCandidates, runBench } = await import(`${site}/bench.js`);
const mk = await loadMeldkluis(`${site}/meldkluis.wasm`);
const rows = runBench(mk, parseCandidates(grid), Number(runs), () => performance.now());
console.log(JSON.stringify({ rows }));
JS

echo "== wasm in a Web Worker of headless $(chromium --version 2>/dev/null | head -1)" >&2
python3 - "$site" "$runs" "$grid" "$work/chromium.json" "$work/profile" <<'PY'
import functools, http.server, json, subprocess, sys, threading, urllib.parse

site, runs, grid, out, profile = sys.argv[1:]
result = {}
done = threading.Event()

class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript"}

    def end_headers(self):
        # The CSP the real page will have: the glue must work under it.
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        result.update(json.loads(body))
        self.send_response(204)
        self.end_headers()
        done.set()

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=site))
threading.Thread(target=server.serve_forever, daemon=True).start()
query = urllib.parse.urlencode({"runs": runs, "candidates": grid})
url = f"http://127.0.0.1:{server.server_address[1]}/index.html?{query}"
browser = subprocess.Popen(
    ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
     "--disable-background-networking", "--disable-component-update", "--disable-sync",
     f"--user-data-dir={profile}", url],
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    finished = done.wait(timeout=900)
finally:
    browser.terminate()
    try:
        browser.wait(timeout=10)
    except subprocess.TimeoutExpired:
        browser.kill()
    server.shutdown()
if not finished or "error" in result:
    sys.exit(f"measure-argon2.sh: the browser measurement failed: {result.get('error', 'timed out')}")
with open(out, "w") as f:
    json.dump(result, f)
PY

python3 - "$work" "$runs" <<'PY'
import json, sys
work, runs = sys.argv[1:]
load = lambda name: json.load(open(f"{work}/{name}.json"))
native, node, chromium = load("native"), load("node"), load("chromium")
load1, cores = open("/proc/loadavg").read().split()[0], __import__("os").cpu_count()
if float(load1) > cores / 2:
    print(f"\nwarning: load average {load1} on {cores} cores: other work ran during the measurement; timings are high and noisy")
print(f"\nmailbox derivation, median of {runs} runs, ms  ({chromium.get('userAgent', '')}, {chromium.get('cores')} cores)")
print(f"{'m (MiB)':>8} {'t':>2} {'p':>2} | {'native':>8} | {'node wasm':>9} | {'chromium wasm':>13} | {'chromium min-max':>16} | chromium/native")
print("-" * 91)
for n, j, c in zip(native["rows"], node["rows"], chromium["rows"]):
    label = f"{n['memoryKib'] / 1024:>8g} {n['iterations']:>2} {n['parallelism']:>2}"
    if n["production"]:
        label += "  <- MailboxKeys::derive (in force)"
        print("-" * 91)
    ratio = c["medianMs"] / n["medianMs"]
    spread = f"{c['minMs']:.0f}-{c['maxMs']:.0f}"
    print(f"{label[:14]} | {n['medianMs']:>8.0f} | {j['medianMs']:>9.0f} | {c['medianMs']:>13.0f} | {spread:>16} | {ratio:>6.2f}x{label[14:]}")
PY
