#!/usr/bin/env bash
# Measures Litestream 0.5's memory and CPU with 1,000 and 10,000 tenant
# databases replicating to SeaweedFS `weed mini` on loopback (issue 14):
# time to register all, RSS and peak, CPU seconds per minute idle and under
# a write load (each write followed by POST /sync wait, as the server's
# acknowledgement gate does), sync latency, errors, open files. Prints a
# table; raw figures go to target/measure-litestream-*.json.
#
# Needs .tools/py/bin/{litestream,weed} (scripts/setup.sh --replication).
# Release build of the server (for a real tenant database). Takes minutes;
# 10,000 tenants take about 4 GiB of disk in $TMPDIR. Not for CI.
#
#   scripts/measure-litestream.sh [--tenants 1000 10000] [--processes 1 4]
#       [--mode socket config dir] [--idle-secs 60] [--load-secs 60]
#       [--rate 200] [--keep]        (--help for all options)
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in litestream weed; do
    [ -x ".tools/py/bin/$tool" ] || { echo "missing .tools/py/bin/$tool: run scripts/setup.sh --replication" >&2; exit 1; }
done
cargo build --release --locked -p meldkluis-server --bin meldkluis-server
# Litestream refuses to start with AWS_CA_BUNDLE set; the driver removes it
# from the environment of Litestream and weed and gives them the
# credentials of the throw-away object store.
exec python3 scripts/measure_litestream.py "$@"
