#!/usr/bin/env bash
# Measures `meldkluis-server backup` on a serving server (issue 11 §4):
# fills 1,000 tenants with 100 sealed 4 KiB reports each, then submits
# reports (as the load benchmark does) first without and then during a
# backup, and prints the backup's time and size and the submissions per
# second, longest stall and slowest submission of both, as ratios.
# Release builds; takes minutes and about 1 GiB of disk in $TMPDIR. Not
# for CI.
#
#   scripts/measure-backup.sh [--tenants N] [--reports N] [--clients N] [--quiet-secs N] [--nice]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p meldkluis-server --bin meldkluis-server
cargo build --release --locked -p meldkluis-tests --bin meldkluis-backup-load
exec target/release/meldkluis-backup-load "$@"
