#!/usr/bin/env bash
# compare.sh: the same gridmq-bench scenarios against gridmq and Mosquitto, one after the other,
# then one table with both results and the gridmq/mosquitto ratio per metric.
#
#   bench/compare.sh [--quick] [--out DIR] [--brokers "gridmq mosquitto"]
#                    [--gridmq-bin PATH] [--bench-bin PATH] [--mosquitto-bin PATH]
#                    [--gridmq-args "extra broker args"]
#
# Every scenario gets a freshly started broker on a free loopback port (memory and queues of one
# run do not leak into the next); brokers are stopped on exit, also on failure or Ctrl-C.
# Full mode: fan-in 100 publishers -> 1 subscriber, QoS 0 and 1, 10 s saturated and 10 s at half of
# Mosquitto's saturated rate; idle 10,000 connections. Takes about 4 minutes.
# Quick mode (CI smoke test): 10 publishers, 2 s windows, 500 idle connections; under a minute.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=full
OUT=""
BROKERS="gridmq mosquitto"
GRIDMQ_BIN=${GRIDMQ_BIN:-$ROOT/build/bin/gridmq}
BENCH_BIN=${BENCH_BIN:-}
MOSQUITTO_BIN=${MOSQUITTO_BIN:-/usr/sbin/mosquitto}
GRIDMQ_ARGS=${GRIDMQ_ARGS:-}
PYTHON=/usr/bin/python3

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) MODE=quick; shift ;;
    --out) OUT=$2; shift 2 ;;
    --brokers) BROKERS=$2; shift 2 ;;
    --gridmq-bin) GRIDMQ_BIN=$2; shift 2 ;;
    --bench-bin) BENCH_BIN=$2; shift 2 ;;
    --mosquitto-bin) MOSQUITTO_BIN=$2; shift 2 ;;
    --gridmq-args) GRIDMQ_ARGS=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [[ -z "$BENCH_BIN" ]]; then
  for c in "$ROOT/build/bin/gridmq-bench" "$ROOT/build-bench/bin/gridmq-bench"; do
    if [[ -x "$c" ]]; then BENCH_BIN=$c; break; fi
  done
fi
[[ -x "$BENCH_BIN" ]] || { echo "compare.sh: gridmq-bench not found (build it or pass --bench-bin)" >&2; exit 2; }
command -v jq >/dev/null || { echo "compare.sh: needs jq" >&2; exit 2; }
for b in $BROKERS; do
  case "$b" in
    gridmq) [[ -x "$GRIDMQ_BIN" ]] || { echo "compare.sh: $GRIDMQ_BIN not found" >&2; exit 2; } ;;
    mosquitto) [[ -x "$MOSQUITTO_BIN" ]] || { echo "compare.sh: $MOSQUITTO_BIN not found" >&2; exit 2; } ;;
    *) echo "compare.sh: unknown broker $b" >&2; exit 2 ;;
  esac
done

# The idle scenario needs one descriptor per connection, in the bench and in the brokers.
ulimit -n "$(ulimit -Hn)"

if [[ $MODE == quick ]]; then
  PUBS=10; DURATION=2; WARMUP=1; IDLE_CONNS=500; IDLE_HOLD=2
else
  PUBS=100; DURATION=10; WARMUP=2; IDLE_CONNS=10000; IDLE_HOLD=10
fi
SOURCE_IPS=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4
BENCH_TIMEOUT=$((DURATION + WARMUP + 180))

WORK=$(mktemp -d /tmp/gridmq-compare.XXXXXX)
[[ -n "$OUT" ]] || OUT=$WORK/results
mkdir -p "$OUT"
BROKER_PID=""
BROKER_PORT=""
FAILURES=()

stop_broker() {
  [[ -n "$BROKER_PID" ]] || return 0
  if kill -0 "$BROKER_PID" 2>/dev/null; then
    kill -TERM "$BROKER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BROKER_PID" 2>/dev/null || true
  fi
  wait "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=""
}

cleanup() {
  stop_broker
  # Keep the results when they live outside the scratch dir.
  if [[ "$OUT" == "$WORK"/* ]]; then
    echo "results kept in $OUT" >&2
    find "$WORK" -mindepth 1 -maxdepth 1 ! -name results -exec rm -rf {} +
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_broker NAME TAG: starts the broker on a free port; sets BROKER_PID and BROKER_PORT.
start_broker() {
  local name=$1 tag=$2 log="$OUT/$1-$2.log"
  BROKER_PORT=$(free_port)
  case "$name" in
    gridmq)
      local data="$WORK/gridmq-data-$tag"
      mkdir -p "$data"
      # shellcheck disable=SC2086  # GRIDMQ_ARGS is a list of words
      "$GRIDMQ_BIN" --listen "tcp://127.0.0.1:$BROKER_PORT" --threads 2 --data-dir "$data" \
        --log-level warn $GRIDMQ_ARGS >"$log" 2>&1 &
      ;;
    mosquitto)
      local conf="$WORK/mosquitto-$tag.conf"
      cat >"$conf" <<CONF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
max_queued_messages 1000000
max_inflight_messages 0
max_connections -1
persistence false
log_dest stderr
log_type error
log_type warning
CONF
      "$MOSQUITTO_BIN" -c "$conf" >"$log" 2>&1 &
      ;;
  esac
  BROKER_PID=$!
  for _ in $(seq 100); do
    if ! kill -0 "$BROKER_PID" 2>/dev/null; then
      echo "compare.sh: $name exited at start, see $log" >&2
      BROKER_PID=""
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$BROKER_PORT") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "compare.sh: $name did not listen on $BROKER_PORT within 10 s" >&2
  return 1
}

# run_case BROKER CASE bench-args...: fresh broker, one bench run, result in $OUT/BROKER-CASE.json.
run_case() {
  local broker=$1 name=$2
  shift 2
  local json="$OUT/$broker-$name.json"
  rm -f "$json"
  echo "== $broker: $name ($*)" >&2
  if ! start_broker "$broker" "$name"; then
    FAILURES+=("$broker $name: broker did not start")
    stop_broker
    return 0
  fi
  local rc=0
  timeout "$BENCH_TIMEOUT" "$BENCH_BIN" "$@" --port "$BROKER_PORT" --broker-pid "$BROKER_PID" \
    --json "$json" --quiet || rc=$?
  if ! kill -0 "$BROKER_PID" 2>/dev/null; then
    FAILURES+=("$broker $name: broker died during the run (see $OUT/$broker-$name.log)")
  fi
  if [[ $rc -ne 0 ]]; then
    local errs=""
    [[ -f "$json" ]] && errs=$(jq -r '.errors | join("; ")' "$json")
    FAILURES+=("$broker $name: gridmq-bench exit $rc ${errs:+($errs)}")
  fi
  stop_broker
}

metric() {  # metric BROKER CASE KEY -> value or "-"
  local f="$OUT/$1-$2.json"
  [[ -f "$f" ]] || { echo "-"; return; }
  jq -r --arg k "$3" '.summary[$k] // "-" | tostring' "$f"
}

has_broker() { [[ " $BROKERS " == *" $1 "* ]]; }

FANIN=(fanin --clients "$PUBS" --subscribers 1 --duration "$DURATION" --warmup "$WARMUP"
       --payload-size 277 --version 4 --threads 2)
START=$(date +%s)

# 1. Saturated fan-in, Mosquitto first: its rates set the fixed-rate runs.
for qos in 0 1; do
  for b in mosquitto gridmq; do
    has_broker "$b" && run_case "$b" "fanin-q$qos-sat" "${FANIN[@]}" --qos "$qos" --rate 0
  done
done

# 2. Fixed rate: half of Mosquitto's saturated receive rate (or of gridmq's, without Mosquitto).
declare -A RATE
for qos in 0 1; do
  ref=mosquitto
  has_broker mosquitto || ref=gridmq
  r=$(metric "$ref" "fanin-q$qos-sat" received_msg_s)
  if [[ "$r" == "-" ]]; then r=2000; fi
  RATE[$qos]=$(awk -v r="$r" 'BEGIN { v = int(r / 2); if (v < 100) v = 100; print v }')
  for b in mosquitto gridmq; do
    has_broker "$b" && run_case "$b" "fanin-q$qos-rate" "${FANIN[@]}" --qos "$qos" --rate "${RATE[$qos]}"
  done
done

# 3. Idle connections and broker memory.
for b in mosquitto gridmq; do
  has_broker "$b" && run_case "$b" idle idle --clients "$IDLE_CONNS" --duration "$IDLE_HOLD" \
    --keepalive 60 --source-ips "$SOURCE_IPS" --threads 2 --connect-concurrency 64
done

ELAPSED=$(( $(date +%s) - START ))

# 4. The table (also saved as Markdown in $OUT/table.md).
{
  echo "| scenario | metric | gridmq | mosquitto | gridmq/mosquitto |"
  echo "|---|---|---:|---:|---:|"
  row() {
    local case=$1 key=$2 g m ratio
    g=$(metric gridmq "$case" "$key")
    m=$(metric mosquitto "$case" "$key")
    ratio=$(awk -v g="$g" -v m="$m" 'BEGIN {
      if (g == "-" || m == "-" || m + 0 == 0) print "-"; else printf "%.2f", g / m }')
    echo "| $case | $key | $g | $m | $ratio |"
  }
  for qos in 0 1; do
    for kind in sat rate; do
      c="fanin-q$qos-$kind"
      for k in published_msg_s received_msg_s e2e_p50_us e2e_p99_us; do row "$c" "$k"; done
      if [[ $qos == 1 ]]; then
        for k in puback_p50_us puback_p99_us; do row "$c" "$k"; done
      fi
      row "$c" losses
    done
  done
  for k in connections rss_before_kib rss_after_kib rss_per_conn_kib connect_rate_s; do
    row idle "$k"
  done
} >"$OUT/table.md"

echo
echo "gridmq-bench compare ($MODE): ${PUBS} publishers -> 1 subscriber, 277-byte payload, MQTT 3.1.1;"
echo "fixed rates: QoS0 ${RATE[0]} msg/s, QoS1 ${RATE[1]} msg/s; idle: $IDLE_CONNS connections;"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); ${ELAPSED} s"
column -t -s '|' "$OUT/table.md" | sed 's/^ *//'
echo "results: $OUT"
if [[ ${#FAILURES[@]} -gt 0 ]]; then
  echo
  echo "FAILURES:"
  printf '  %s\n' "${FAILURES[@]}"
  exit 1
fi
