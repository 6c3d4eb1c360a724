#!/usr/bin/env bash
# tls_compare.sh: N idle mutual-TLS connections against gridmq (a tls:// listener with client
# certificates mapped to principals) and Mosquitto (`require_certificate true`), one after the
# other in one run, with the same certificates and the same client (tests/lib/tls_bench.py fleet:
# P forked client processes, each opening N/P connections one after the other: full handshake,
# CONNECT, CONNACK). Prints handshakes/s and broker RSS per connection for both, and the ratios.
#
#   bench/tls_compare.sh [--clients N] [--processes P] [--rounds R] [--gridmq-bin PATH]
#                        [--mosquitto-bin PATH]
#
# Defaults: N = 10000, P = 4 (each client process holds N/P sockets: well under the 20,000-file
# limit), R = 3 rounds, each running gridmq then Mosquitto with fresh brokers; the table shows the
# median of the rounds (the machine is shared, single runs are noisy). Brokers run on free loopback
# ports, with 2 threads for gridmq; they are stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLIENTS=10000
PROCS=4
ROUNDS=3
BROKERS="gridmq mosquitto"
GRIDMQ_BIN=${GRIDMQ_BIN:-$ROOT/build/bin/gridmq}
MOSQUITTO_BIN=${MOSQUITTO_BIN:-/usr/sbin/mosquitto}
PYTHON=/usr/bin/python3

while [[ $# -gt 0 ]]; do
  case "$1" in
    --clients) CLIENTS=$2; shift 2 ;;
    --processes) PROCS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --brokers) BROKERS=$2; shift 2 ;;
    --gridmq-bin) GRIDMQ_BIN=$2; shift 2 ;;
    --mosquitto-bin) MOSQUITTO_BIN=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "tls_compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/gridmq-tls-compare.XXXXXX)
chmod 0755 "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$ROOT/config/dev-certs.sh" "$WORK/certs" 1 >/dev/null
chmod 0755 "$WORK/certs"
chmod 0644 "$WORK/certs"/*.key  # Mosquitto drops to user mosquitto before reading them (scratch only)

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {  # PID PORT NAME
  for _ in $(seq 100); do
    kill -0 "$1" 2>/dev/null || { echo "tls_compare.sh: $3 exited at start" >&2; return 1; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "tls_compare.sh: $3 did not listen on $2" >&2
  return 1
}

run_one() {  # NAME PID PORT
  echo "== $1: $CLIENTS mTLS connections from $PROCS client processes" >&2
  "$PYTHON" "$ROOT/tests/lib/tls_bench.py" --port "$3" --pid "$2" --certs "$WORK/certs" \
    --n "$CLIENTS" --processes "$PROCS" fleet | tee "$WORK/$1.txt"
}

# gridmq: certificate principals (CN -> id, OU -> role). The bench connects every socket with the
# same meter certificate and its own client id, so the client-id rule is off for this run.
bench_gridmq() {  # ROUND
GPORT=$(free_port)
cat >"$WORK/gridmq.toml" <<CONF
[broker]
threads = 2
[storage]
data_dir = "$WORK/gridmq-data"
[limits]
max_connections = $((CLIENTS + 1000))
[identity]
require_client_id_match = false
[[listener]]
url = "tls://127.0.0.1:$GPORT"
cert_file = "$WORK/certs/server.pem"
key_file = "$WORK/certs/server.key"
ca_file = "$WORK/certs/ca.pem"
require_client_cert = true
CONF
"$GRIDMQ_BIN" --config "$WORK/gridmq.toml" --log-level warn >"$WORK/gridmq.log" 2>&1 &
GPID=$!
PIDS+=("$GPID")
wait_port "$GPID" "$GPORT" gridmq
run_one "gridmq-$1" "$GPID" "$GPORT"
kill -TERM "$GPID"; wait "$GPID" 2>/dev/null || true
rm -rf "$WORK/gridmq-data"
}

bench_mosquitto() {  # ROUND
MPORT=$(free_port)
cat >"$WORK/mosquitto.conf" <<CONF
per_listener_settings false
allow_anonymous true
persistence false
max_connections -1
set_tcp_nodelay true
log_dest stderr
log_type error
listener $MPORT 127.0.0.1
cafile $WORK/certs/ca.pem
certfile $WORK/certs/server.pem
keyfile $WORK/certs/server.key
require_certificate true
CONF
"$MOSQUITTO_BIN" -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
MPID=$!
PIDS+=("$MPID")
wait_port "$MPID" "$MPORT" mosquitto
run_one "mosquitto-$1" "$MPID" "$MPORT"
kill -TERM "$MPID"; wait "$MPID" 2>/dev/null || true
}

for ((round = 1; round <= ROUNDS; round++)); do
  for b in $BROKERS; do "bench_$b" "$round"; done
done

# median NAME KEY: the median over the rounds of KEY in NAME-<round>.txt.
median() {
  for ((round = 1; round <= ROUNDS; round++)); do
    tr ' ' '\n' <"$WORK/$1-$round.txt" | sed -n "s/^$2=//p"
  done | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo
printf '%-28s %12s %12s %8s   (median of %d rounds)\n' metric gridmq mosquitto ratio "$ROUNDS"
for metric in connections:connections handshakes_per_second:handshakes/s \
  per_connection_bytes:"RSS per connection (bytes)"; do
  key=${metric%%:*}
  g=$(median gridmq "$key")
  if [[ " $BROKERS " == *" mosquitto "* ]]; then
    m=$(median mosquitto "$key")
    printf '%-28s %12s %12s %8.2f\n' "${metric#*:}" "$g" "$m" "$(echo "$g / $m" | bc -l)"
  else
    printf '%-28s %12s\n' "${metric#*:}" "$g"
  fi
done
