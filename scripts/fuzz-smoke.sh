#!/usr/bin/env bash
# Short smoke run of every fuzz target in fuzz/: builds them once with
# libFuzzer's coverage instrumentation (stable Rust, plain cargo, no
# cargo-fuzz needed), runs each for SECONDS (default 10) from its committed
# seeds, and fails if any target crashes, panics or hangs.
#
#   scripts/fuzz-smoke.sh [SECONDS]
#
# Prints one line per target and ends with `N passed, M failed`. Non-
# interactive (safe under CI=true with no stdin); installs a C++ compiler
# if none is present (libFuzzer itself is C++). Crash inputs are kept in
# fuzz/artifacts/<target>/; new corpus entries in fuzz/corpus/<target>/.
# The build goes to $CARGO_TARGET_DIR if set, else fuzz/target.
# fuzz/README.md tells how to run a target for longer.
set -euo pipefail

seconds="${1:-10}"
case "$seconds" in
  -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
  ''|*[!0-9]*) echo "fuzz-smoke.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$root/fuzz"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$fuzz/target}"
export DEBIAN_FRONTEND=noninteractive

log() { printf 'fuzz-smoke: %s\n' "$*"; }

# libfuzzer-sys compiles libFuzzer with the system C++ compiler.
if ! command -v c++ >/dev/null 2>&1 && ! command -v g++ >/dev/null 2>&1; then
  log "installing g++ (libFuzzer is C++)"
  sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
  sudo_if_needed apt-get update -qq </dev/null
  sudo_if_needed apt-get install -y -qq --no-install-recommends g++ </dev/null
fi

host="$(rustc -vV | sed -n 's/^host: //p')"
# The flags cargo-fuzz passes for libFuzzer's coverage feedback, all stable
# `-C` options; no sanitizer (crypto-core forbids unsafe code), but debug
# assertions and overflow checks, so arithmetic overflow is a crash.
# `--target` keeps the flags off build scripts and proc macros.
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
--cfg fuzzing -Cdebug-assertions -Coverflow-checks"

targets=()
for file in "$fuzz"/fuzz_targets/*.rs; do
  targets+=("$(basename "$file" .rs)")
done

log "building ${#targets[@]} targets for $host"
build_start=$(date +%s)
cargo build --quiet --release --manifest-path "$fuzz/Cargo.toml" --target "$host" --bins </dev/null
log "built in $(( $(date +%s) - build_start )) s"

bin_dir="$CARGO_TARGET_DIR/$host/release"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

# Runs one target; its output goes to $logs/<target>.log, its exit code to
# $logs/<target>.status.
run_target() {
  local target="$1" corpus="$fuzz/corpus/$1" artifacts="$fuzz/artifacts/$1" seeds="$fuzz/seeds/$1"
  local status=0
  mkdir -p "$corpus" "$artifacts"
  [ -d "$seeds" ] || seeds=""
  "$bin_dir/$target" -max_total_time="$seconds" -timeout=20 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" ${seeds:+"$seeds"} \
    >"$logs/$target.log" 2>&1 </dev/null || status=$?
  echo "$status" >"$logs/$target.status"
}

# One target per core at a time (FUZZ_JOBS overrides): each is
# single-threaded and bounded by wall-clock time.
jobs="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}"
log "running each target for ${seconds} s, $jobs at a time"
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$target" &
  running=$((running + 1))
done
wait

passed=0
failed=0
for target in "${targets[@]}"; do
  out="$logs/$target.log"
  status="$(cat "$logs/$target.status" 2>/dev/null || echo '?')"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -n 1)"
  cov="$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$out" | tail -n 1 | awk '{print $2" edges, "$4" features, "$6" corpus inputs"}')"
  if [ "$status" = 0 ]; then
    passed=$((passed + 1))
    printf '%-12s ok      %s runs, %s\n' "$target" "${runs:-?}" "${cov:-no coverage reported}"
  else
    failed=$((failed + 1))
    printf '%-12s FAILED  exit %s after %s runs, %s\n' "$target" "$status" "${runs:-?}" "${cov:-no coverage reported}"
    # The panic message, the input and where libFuzzer saved it.
    grep -v -E '^#[0-9]+|^INFO:|^WARNING: Failed to find|^stat::|^ +[0-9]+: |^ +at ' "$out" | tail -n 25 | sed 's/^/    /'
    echo "    reproduce: $bin_dir/$target <the artifact named above>"
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
