#!/usr/bin/env bash
# smoke.sh BUILD_DIR: correctness smoke test of every gridmq-bench scenario against gridmq.
#
# Starts BUILD_DIR/bin/gridmq on a free loopback port, runs each scenario with a tiny N and --json,
# and fails if a run exits non-zero, or its result reports losses > 0, errors > 0 or ack losses.
# It never asserts speed. Each case uses its own tenant, so persistent sessions left by one case
# (burst, storm, broadcast keep theirs) never receive another case's messages. Registered as the
# CTest test bench.smoke.
set -euo pipefail

BUILD=${1:?usage: smoke.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
GRIDMQ=$BUILD/bin/gridmq
BENCH=$BUILD/bin/gridmq-bench
for b in "$GRIDMQ" "$BENCH"; do
  [[ -x "$b" ]] || { echo "smoke.sh: $b not built" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "smoke.sh: needs jq" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/gridmq-smoke.XXXXXX)
BROKER_PID=""
cleanup() {
  if [[ -n "$BROKER_PID" ]] && kill -0 "$BROKER_PID" 2>/dev/null; then
    kill -TERM "$BROKER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BROKER_PID" 2>/dev/null || true
  fi
  if [[ -n "$BROKER_PID" ]]; then wait "$BROKER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/data"
"$GRIDMQ" --listen "tcp://127.0.0.1:$PORT" --threads 2 --data-dir "$WORK/data" --log-level warn \
  >"$WORK/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 100); do
  kill -0 "$BROKER_PID" 2>/dev/null || { echo "smoke.sh: gridmq exited at start" >&2; cat "$WORK/broker.log" >&2; exit 1; }
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.1
done

FAILED=0
N=0
run() {  # run NAME bench-args...
  local name=$1
  shift
  N=$((N + 1))
  local json="$WORK/$name.json" rc=0
  timeout 120 "$BENCH" "$@" --port "$PORT" --broker-pid "$BROKER_PID" --tenant "smoke$N" \
    --client-prefix "smoke$N" --json "$json" --quiet >"$WORK/$name.out" 2>&1 || rc=$?
  local verdict
  if [[ ! -s "$json" ]]; then
    verdict="no result (exit $rc)"
  else
    verdict=$(jq -r --argjson rc "$rc" '
      [ (if $rc != 0 then "exit \($rc)" else empty end),
        (if (.summary.losses // 0) > 0 then "losses \(.summary.losses)" else empty end),
        (if (.summary.ack_losses // 0) > 0 then "ack_losses \(.summary.ack_losses)" else empty end),
        (if (.summary.errors // 0) > 0 then "errors: \(.errors | join("; "))" else empty end)
      ] | join(", ")' "$json")
  fi
  if ! kill -0 "$BROKER_PID" 2>/dev/null; then verdict="${verdict:+$verdict, }broker died"; fi
  if [[ -n "$verdict" ]]; then
    echo "FAIL $name: $verdict"
    sed 's/^/    /' "$WORK/$name.out"
    FAILED=$((FAILED + 1))
  else
    echo "ok   $name: $(jq -c '.summary | with_entries(select(.key | test("losses|_s$|msg_s|^meters|connections|received_total")))' "$json")"
  fi
}

run fanin-q1 fanin --clients 4 --subscribers 2 --qos 1 --duration 1 --warmup 0.5 --drain 5
run fanin-q0-rate fanin --clients 4 --qos 0 --rate 400 --duration 1 --warmup 0.5 --drain 5
run fanout fanout --clients 8 --qos 1 --rate 100 --duration 1 --warmup 0.5 --drain 5
run idle idle --clients 60 --duration 1 --processes 2 --source-ips 127.0.0.1,127.0.0.2
run connect connect --clients 60 --processes 2
run burst burst --clients 40 --qos 1 --window 1 --processes 2 --drain 5
run burst-at-once burst --clients 30 --qos 1 --spread none --subscribers 2 --drain 5
run storm storm --clients 30 --backlog 3 --processes 2 --backoff-base 0.2 --backoff-max 1 \
  --settle 0.5 --drain 3
run storm-v5 storm --clients 20 --backlog 2 --version 5 --backoff-base 0.2 --backoff-max 1 \
  --settle 0.5 --drain 3
run broadcast broadcast --clients 30 --ack --processes 2 --drain 5
run broadcast-group broadcast --clients 20 --target group --ack --drain 5

if [[ $FAILED -gt 0 ]]; then
  echo "smoke.sh: $FAILED of $N scenarios failed (broker log: see below)"
  tail -20 "$WORK/broker.log"
  exit 1
fi
echo "smoke.sh: all $N scenarios clean"
