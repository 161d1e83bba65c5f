#!/usr/bin/env bash
# Builds the browser's wasm and puts it, with its JavaScript glue, into
# web-client/pkg/ (git-ignored: build output, never committed; the served
# copy is always made from the committed source).
#
#   scripts/build-wasm.sh                      -> web-client/pkg/
#   scripts/build-wasm.sh --features measure --out DIR
#                                              -> a measurement build in DIR
#
# Output: meldkluis.wasm and its glue meldkluis.js; the page bundles
# report.js, mailbox.js, management.js and derive-worker.js (esbuild: each
# page's script and the glue in one file, no imports left, so each has one
# integrity value); voice.js, the voice recorder, which the report and
# mailbox pages load only when the reporter asks to record (so it is not
# part of their budget); meldkluis.css; and integrity.json, the SRI hashes
# of them all, for publishing (the server computes the same at start and prints them
# with `meldkluis-server assets`).
# Needs: rustup target wasm32-unknown-unknown; wasm-opt (binaryen) is used
# when present; esbuild from web-client/node_modules (npm ci). All come from
# scripts/setup.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/web-client/pkg"
features=()
while [ $# -gt 0 ]; do
  case "$1" in
    --features) features=(--features "$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build-wasm.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

target_dir=${CARGO_TARGET_DIR:-$root/target}
# A size-tuned profile, defined here rather than in Cargo.toml so that the
# native release profile stays as it is. panic=abort is wasm32's default.
profile=(
  --config 'profile.wasm.inherits="release"'
  --config 'profile.wasm.opt-level="z"'
  --config 'profile.wasm.lto=true'
  --config 'profile.wasm.codegen-units=1'
  --config 'profile.wasm.debug=false'
  --config 'profile.wasm.strip=true'
  --profile wasm
)
# Reproducible output for published hashes: the workspace's own paths are
# already relative and std's are remapped by rustc; remap the registry's too,
# so the wasm does not depend on where CARGO_HOME is. Only the wasm target is
# affected (a RUSTFLAGS set in the environment would override this).
cargo_home=${CARGO_HOME:-$HOME/.cargo}
profile+=(--config "target.wasm32-unknown-unknown.rustflags=['--remap-path-prefix=$cargo_home=/cargo']")

cd "$root"
cargo build --locked -p meldkluis-web-client --lib --target wasm32-unknown-unknown \
  "${profile[@]}" ${features[@]+"${features[@]}"}

built="$target_dir/wasm32-unknown-unknown/wasm/meldkluis_web_client.wasm"
mkdir -p "$out"
tmp="$out/meldkluis.wasm.tmp"
if command -v wasm-opt >/dev/null 2>&1; then
  # Rust's wasm32 target emits these post-MVP features; wasm-opt must be told.
  wasm-opt -Oz --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    -o "$tmp" "$built"
else
  echo "build-wasm.sh: wasm-opt not found (scripts/setup.sh installs it); using the unoptimised wasm" >&2
  cp "$built" "$tmp"
fi
mv "$tmp" "$out/meldkluis.wasm"
cp "$root/web-client/js/meldkluis.js" "$out/meldkluis.js"

# The wasm must import nothing: no wasm-bindgen shims, and above all no
# getrandom (randomness comes from the glue, per call).
node --input-type=module - "$out/meldkluis.wasm" <<'JS'
import { readFileSync } from 'node:fs';
const module = new WebAssembly.Module(readFileSync(process.argv[2]));
const imports = WebAssembly.Module.imports(module);
if (imports.length > 0) {
  console.error('build-wasm.sh: the wasm has imports, expected none:', imports);
  process.exit(1);
}
JS

# The page bundles: ES modules, minified, with no imports left (a module
# import could not carry an integrity value). esbuild's output depends only
# on its pinned version and the sources, so the hashes are reproducible.
esbuild="$root/web-client/node_modules/.bin/esbuild"
if [ ! -x "$esbuild" ]; then
  echo "build-wasm.sh: esbuild not found; run scripts/setup.sh (npm ci in web-client/)" >&2
  exit 1
fi
(
  cd "$root/web-client"
  "$esbuild" js/report.js js/mailbox.js js/management.js js/derive-worker.js js/voice.js \
    --bundle --format=esm --target=es2022 --minify --legal-comments=none \
    --charset=utf8 --log-level=warning --external:node:* --outdir="$out"
  "$esbuild" css/meldkluis.css --minify --log-level=warning --outfile="$out/meldkluis.css"
)

sri() { printf 'sha384-%s' "$(openssl dgst -sha384 -binary "$1" | openssl base64 -A)"; }
bundle=(meldkluis.wasm meldkluis.js report.js mailbox.js management.js derive-worker.js voice.js meldkluis.css)
{
  echo '{'
  last=${bundle[${#bundle[@]}-1]}
  for f in "${bundle[@]}"; do
    sep=','; [ "$f" = "$last" ] && sep=''
    printf '  "%s": "%s"%s\n' "$f" "$(sri "$out/$f")" "$sep"
  done
  echo '}'
} > "$out/integrity.json"

for f in "${bundle[@]}"; do
  printf '%-17s %8d bytes raw, %8d bytes gzip -9\n' "$f" \
    "$(wc -c < "$out/$f")" "$(gzip -9c "$out/$f" | wc -c)"
done
echo "built into ${out#"$root"/}"
