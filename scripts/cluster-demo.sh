#!/usr/bin/env bash
# Runs a meldkluis cluster on this machine: the lease store (etcd), the
# object store (SeaweedFS `weed mini`, S3 on loopback), three Litestream
# processes and three server nodes, each node with its own data directory.
# Publishes the demo tenant "demo" (software advisor and recovery keys, DEMO
# ONLY, as scripts/demo.sh makes them), prints every address and the command
# that opens the advisor console, and runs until Ctrl-C, which stops all of
# it. Every node serves every tenant: a node that does not own a tenant
# forwards its requests to the owner; kill the owner (the `kill -9` line
# printed below) and another node takes the tenant over from the object
# store within seconds.
#
#   scripts/cluster-demo.sh                 data in a new /tmp/meldkluis-cluster.XXXXXX
#   MELDKLUIS_CLUSTER_DIR=/tmp/c scripts/cluster-demo.sh   (an empty or new directory)
#   MELDKLUIS_CLUSTER_PORT=8471 (default): the nodes listen on 8471, 8472, 8473
#   MELDKLUIS_DEMO_BIN=target/release: use binaries built already (no build)
#
# Needs scripts/setup.sh --replication (etcd, litestream, weed), which this
# script runs unless MELDKLUIS_DEMO_BIN is set.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin="${MELDKLUIS_DEMO_BIN:-target/release}"
tools="${MELDKLUIS_TOOLS:-$root/.tools/py/bin}"
base_port="${MELDKLUIS_CLUSTER_PORT:-8471}"
lease_ttl=3

if [ -z "${MELDKLUIS_DEMO_BIN:-}" ]; then
  scripts/setup.sh --replication
  scripts/build-wasm.sh
  cargo build --release --locked -p meldkluis-server -p meldkluis-keys
fi
etcd_bin="$tools/etcd"
[ -x "$etcd_bin" ] || etcd_bin=$(command -v etcd || true)
for tool in "$etcd_bin" "$tools/weed" "$tools/litestream" "$bin/meldkluis-server" \
  "$bin/meldkluis-advisor-key"; do
  if [ -z "$tool" ] || [ ! -x "$tool" ]; then
    echo "cluster-demo: ${tool:-etcd} missing: run scripts/setup.sh --replication (and build)" >&2
    exit 1
  fi
done

dir="${MELDKLUIS_CLUSTER_DIR:-$(mktemp -d /tmp/meldkluis-cluster.XXXXXX)}"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -e "$dir/etcd" ]; then
  echo "cluster-demo: $dir holds an earlier cluster; give an empty directory" >&2
  exit 1
fi

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "cluster-demo: stopping"
  # Nodes first, then the Litestreams, then the stores.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  echo "cluster-demo: stopped; data and logs stay in $dir"
}
trap stop_all INT TERM EXIT

# A free port on 127.0.0.1 (for the stores, which need a number).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# A free port p with p + 10000 free as well (weed's admin worker dials the
# admin port + 10000).
free_port_pair() {
  python3 -c '
import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    if p >= 55536: continue
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p + 10000)); print(p); break
    except OSError: pass'
}
# Waits until "$@" succeeds (up to 60 s) while process $pid runs.
wait_until() {
  local what=$1 pid=$2 log=$3
  shift 3
  for _ in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "cluster-demo: $what exited; the end of $log:" >&2
      tail -20 "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "cluster-demo: $what not ready after 60 s; see $log" >&2
  exit 1
}

# Credentials of the object store, for weed, Litestream and the nodes.
export AWS_ACCESS_KEY_ID="MK$(python3 -c 'import secrets; print(secrets.token_hex(10).upper())')"
export AWS_SECRET_ACCESS_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(20))')"
# Litestream refuses to start with AWS_CA_BUNDLE set (loopback S3 needs none).
unset AWS_CA_BUNDLE

# The lease store.
etcd_port=$(free_port)
etcd_peer=$(free_port)
etcd_url="http://127.0.0.1:$etcd_port"
"$etcd_bin" --name meldkluis --data-dir "$dir/etcd" \
  --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "meldkluis=http://127.0.0.1:$etcd_peer" \
  --listen-metrics-urls '' >"$dir/etcd.log" 2>&1 &
pids+=($!)
wait_until etcd "$!" "$dir/etcd.log" curl -sf "$etcd_url/health"

# The object store, with the bucket "meldkluis".
s3_port=$(free_port)
filer_port=$(free_port)
admin_port=$(free_port_pair)
mkdir -p "$dir/weed"
"$tools/weed" mini -dir="$dir/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port="$(free_port)" -master.port.grpc="$(free_port)" \
  -volume.port="$(free_port)" -volume.port.grpc="$(free_port)" \
  -filer.port="$filer_port" -filer.port.grpc="$(free_port)" \
  -s3.port="$s3_port" -s3.port.grpc="$(free_port)" \
  -admin.port="$admin_port" -admin.port.grpc="$((admin_port + 10000))" \
  -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 \
  -master.telemetry=false -bucket=meldkluis >"$dir/weed.log" 2>&1 &
pids+=($!)
wait_until "weed mini" "$!" "$dir/weed.log" \
  curl -sf -H 'Accept: application/json' "http://127.0.0.1:$filer_port/buckets/meldkluis/"
endpoint="http://127.0.0.1:$s3_port"
replica_url="s3://meldkluis/replica?endpoint=$endpoint&region=us-east-1&force-path-style=true"

# One node's (or the staging directory's) server.toml: $1 node id, $2 port.
node_config() {
  local id=$1 port=$2 node="$dir/$1"
  mkdir -p "$node/data"
  cat >"$node/server.toml" <<EOF
# meldkluis cluster node $id (written by scripts/cluster-demo.sh)
data_dir = "$node/data"
listen = "127.0.0.1:$port"
# Shared by every node: it keys the mailbox log-in hashes in the tenant
# databases, which move between nodes.
server_secret_path = "$dir/shared-secrets/server-secret"
notice_key_path = "$node/secrets/notice-key"
deletion_log_path = "$node/deletion-log/deletion-log"

[notices]
demo_file = "$node/secrets/outbox-demo.txt"

[replication]
litestream_sockets = ["$node/litestream.sock"]
replica_url = "$replica_url"
sync_timeout_ms = 5000
litestream_bin = "$tools/litestream"

[object_store]
endpoint = "$endpoint"
bucket = "meldkluis"
region = "us-east-1"

[cluster]
node_id = "$id"
advertise_url = "http://127.0.0.1:$port"
etcd = ["$etcd_url"]
lease_ttl_secs = $lease_ttl
EOF
}

# The demo tenant, made in a staging data directory with the cluster's
# configuration (as scripts/demo.sh makes it), then published: its
# database becomes the seed in the object store, its record enters the
# catalog in etcd; the first node asked for it takes it from there.
node_config staging 0
staging="$dir/staging/server.toml"
data="$dir/staging/data"
srv() { "$bin/meldkluis-server" --config "$staging" "$@"; }
srv demo >/dev/null
keys="$data/DEMO-ONLY-keys"
info="$dir/DEMO-info"
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
demo_advisor=$(srv advisor list demo | awk -F'\t' '$2 == "active" { print $1; exit }')
srv tenant info demo --lang nl \
  --intro-file "$info/intro.nl.txt" \
  --meldregeling-file "$info/meldregeling.nl.txt" \
  ${demo_advisor:+--advisor-bio "$demo_advisor=$info/advisor.nl.txt"} >/dev/null
srv tenant info demo --lang en --intro-file "$info/intro.en.txt" >/dev/null
srv cluster publish-tenant demo >/dev/null

# What a real advisor writes down after comparing fingerprints aloud at
# enrolment: here read from the demo's own key files.
public_key() {
  "$bin/meldkluis-advisor-key" export --insecure-demo-file "$1" 2>/dev/null |
    awk '/^public key:/ { print $3 }'
}
advisor=$(public_key "$keys/DEMO-ONLY-advisor-key.hex")
recovery=$(public_key "$keys/DEMO-ONLY-recovery-key.hex")
if [ -z "$advisor" ] || [ -z "$recovery" ]; then
  echo "cluster-demo: could not read the demo keys in $keys" >&2
  exit 1
fi
enrolled="$keys/DEMO-ONLY-enrolled-keys.txt"
(
  umask 077
  cat >"$enrolled" <<EOF
# meldkluis enrolled keys of the demo tenant (DEMO ONLY: software keys)
advisor  $advisor  Demo-vertrouwenspersoon (DEMO)
recovery $recovery
EOF
)

# Per node: its Litestream (control socket, no databases: the node
# registers each tenant it owns), then the node.
node_pids=()
for i in 1 2 3; do
  id="n$i"
  port=$((base_port + i - 1))
  node_config "$id" "$port"
  node="$dir/$id"
  cat >"$node/litestream.yml" <<EOF
socket:
  enabled: true
  path: "$node/litestream.sock"
  permissions: 0600
dbs: []
EOF
  "$tools/litestream" replicate -config "$node/litestream.yml" >"$node/litestream.log" 2>&1 &
  pids+=($!)
  wait_until "litestream $id" "$!" "$node/litestream.log" \
    curl -sf --unix-socket "$node/litestream.sock" http://litestream/list
  MELDKLUIS_LOG="${MELDKLUIS_LOG:-info}" \
    "$bin/meldkluis-server" --config "$node/server.toml" serve >"$node/server.log" 2>&1 &
  pids+=($!)
  node_pids+=($!)
  wait_until "node $id" "$!" "$node/server.log" curl -sf "http://127.0.0.1:$port/healthz"
done

first="http://127.0.0.1:$base_port"
cat <<EOF

cluster-demo: data and logs in $dir
cluster-demo: etcd         $etcd_url
cluster-demo: object store $endpoint (S3, bucket meldkluis; filer http://127.0.0.1:$filer_port/buckets/meldkluis/)
cluster-demo: nodes        n1 http://127.0.0.1:$base_port (pid ${node_pids[0]})
                           n2 http://127.0.0.1:$((base_port + 1)) (pid ${node_pids[1]})
                           n3 http://127.0.0.1:$((base_port + 2)) (pid ${node_pids[2]})
cluster-demo: the reporter's side:  open $first/t/demo/ (or any node) and send a report
cluster-demo: the information page: $first/t/demo/info
cluster-demo: who owns what:        $bin/meldkluis-server --config $staging cluster status
cluster-demo: a crash of the owner: kill -9 <its pid above>; the others take over
cluster-demo: the advisor's side:   in a second terminal, run (then open the address it prints)

  $bin/meldkluis-advisor console --server $first --tenant demo \\
    --enrolled $enrolled \\
    --insecure-demo-file $keys/DEMO-ONLY-advisor-key.hex --lang en

cluster-demo: Ctrl-C stops everything.
EOF
# Until Ctrl-C (a node killed by hand stays down; its tenants move).
wait
