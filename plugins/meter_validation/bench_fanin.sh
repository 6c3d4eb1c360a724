#!/usr/bin/env bash
# Fan-in QoS 1 msg/s with meter_validation off and on, and Mosquitto, in one run (README.md,
# "Cost"). Each case gets a fresh broker on a free loopback port; the rounds alternate the four
# cases (gridmq off, on, on with the state in memory, Mosquitto), rotating their order.
#
#   plugins/meter_validation/bench_fanin.sh [--rounds R] [--clients N] [--inflight W]
#                                           [--duration S] [--rate R]
#                                           [--durable-subscriber] [--baseline-bin PATH]
#                                           [--pin BROKER_CPUS/CLIENT_CPUS]
#
# --clients and --inflight shape the load: N publishers (each a meter), each with up to W QoS 1
# messages unacknowledged (gridmq-bench's default when saturating: 16). The default, 100 x 16,
# measures the broker's peak; many meters with small windows (1000 x 2, say) is closer to a
# concentrator's uplink, with a meter's state written with each of its messages (with 100 x 16
# several messages of one meter share a group commit, and only the last state change is
# written).
#
# --baseline-bin adds two cases, "base-off" and "base-on": the same broker configurations run by
# another gridmq binary (an older build, say), in the same rounds, so that a change is measured
# against its baseline on the same machine at the same time.
#
# --pin runs every broker (gridmq and Mosquitto) on the CPUs BROKER_CPUS and the load generator
# on CLIENT_CPUS (taskset lists, e.g. --pin 0/1), so that the load generator does not take CPU
# from the broker it measures. Unpinned, on a machine where both need every core, the two compete
# and a slower broker also loses CPU to its own clients (README.md, "Benchmarks").
#
# --durable-subscriber makes the bench's subscriber a persistent session (gridmq-bench
# --persistent-subscribers), so that every message is committed to RocksDB with plugins off too
# (a central broker with a back-office session); without it, "off" commits nothing (the bench's
# subscriber is clean), and "on" adds a RocksDB commit per message for the per-meter state. The
# script fails if a gridmq broker dropped queued messages (its queue limits): a subscriber that
# falls behind would let "off" skip the commits of the dropped messages, and the comparison would
# no longer be like for like. (Until 2026-12-04 the persistent subscriber was a separate
# mosquitto_sub -c, which fell behind above about 50k msg/s and did exactly that.)
#
# The bench clients are plain-TCP, anonymous and their client ids are not meter ids, so the plugin
# runs with unauthenticated = "topic" (the topic's meter stands for the client: the owner check is
# one string comparison) and backfill_window_s = 10 years (the bench's readings carry the fixed ts
# 2025-03-30T00:45:00Z). Every other rule runs as in production, including the per-meter state
# written to RocksDB in each message's commit. The script fails if the plugin rejected or dropped
# anything (its log lines), so the "on" numbers are numbers of validated messages.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GRIDMQ_BIN=${GRIDMQ_BIN:-$ROOT/build/bin/gridmq}
BENCH_BIN=${BENCH_BIN:-$ROOT/build/bin/gridmq-bench}
MOSQUITTO_BIN=${MOSQUITTO_BIN:-/usr/sbin/mosquitto}
ROUNDS=2
CLIENTS=100
INFLIGHT=""
DURATION=10
RATE=0
DURABLE=""
BASE_BIN=""
PIN=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --inflight) INFLIGHT=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --durable-subscriber) DURABLE=1; shift ;;
    --baseline-bin) BASE_BIN=$2; shift 2 ;;
    --pin) PIN=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "bench_fanin.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -n "$INFLIGHT" && ! $INFLIGHT =~ ^[1-9][0-9]{0,4}$ ]]; then
  echo "bench_fanin.sh: --inflight $INFLIGHT is not a window of 1 to 99999 messages" >&2
  exit 2
fi
command -v jq >/dev/null || { echo "bench_fanin.sh: needs jq" >&2; exit 2; }
if [[ -n "$BASE_BIN" && ! -x "$BASE_BIN" ]]; then
  echo "bench_fanin.sh: --baseline-bin $BASE_BIN is not an executable file" >&2
  exit 2
fi

BROKER_CPU=()
CLIENT_CPU=()
if [[ -n "$PIN" ]]; then
  if [[ ! $PIN =~ ^[0-9,-]+/[0-9,-]+$ ]]; then
    echo "bench_fanin.sh: --pin $PIN is not BROKER_CPUS/CLIENT_CPUS (e.g. 0/1)" >&2
    exit 2
  fi
  command -v taskset >/dev/null || { echo "bench_fanin.sh: --pin needs taskset" >&2; exit 2; }
  for cpus in "${PIN%/*}" "${PIN#*/}"; do
    if ! taskset -c "$cpus" true 2>/dev/null; then
      echo "bench_fanin.sh: --pin: CPUs $cpus are not available here (nproc: $(nproc))" >&2
      exit 2
    fi
  done
  BROKER_CPU=(taskset -c "${PIN%/*}")
  CLIENT_CPU=(taskset -c "${PIN#*/}")
fi

WORK=$(mktemp -d /tmp/gridmq-mv-bench.XXXXXX)
PID=""
stop() {
  if [[ -n "$PID" ]]; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
  fi
}
trap 'stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

write_config() {  # FILE ENABLED PERSIST
  cat >"$1" <<TOML
[plugins.meter_validation]
enabled = $2
unauthenticated = "topic"
backfill_window_s = 315360000
log_interval_s = 1
[plugins.meter_validation.kinds.reading]
persist = $3
TOML
}

start() {  # CASE PORT
  local case=$1 p=$2 dir="$WORK/$1-$p"
  mkdir -p "$dir/data"
  case "$case" in
    gridmq-off|gridmq-on|gridmq-mem|base-off|base-on)
      write_config "$dir/gridmq.toml" "$([[ $case == *-off ]] && echo false || echo true)" \
        "$([[ $case == gridmq-mem ]] && echo false || echo true)"
      local bin=$GRIDMQ_BIN
      [[ $case == base-* ]] && bin=$BASE_BIN
      "${BROKER_CPU[@]}" "$bin" --config "$dir/gridmq.toml" --listen "tcp://127.0.0.1:$p" --threads 2 \
        --data-dir "$dir/data" --log-level warn >"$dir/log" 2>&1 &
      ;;
    mosquitto)
      printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\nmax_queued_messages 1000000\nmax_inflight_messages 0\npersistence false\nlog_dest stderr\nlog_type error\n' \
        "$p" >"$dir/mosquitto.conf"
      "${BROKER_CPU[@]}" "$MOSQUITTO_BIN" -c "$dir/mosquitto.conf" >"$dir/log" 2>&1 &
      ;;
  esac
  PID=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "bench_fanin.sh: $case did not start, see $dir/log" >&2
  cat "$dir/log" >&2
  exit 1
}

declare -A SUM CPU ACKED
printf '%-11s %5s %14s %14s %16s\n' case round acked_msg_s received_msg_s broker_us_per_msg
CASES=(gridmq-off gridmq-on gridmq-mem mosquitto)
[[ -n "$BASE_BIN" ]] && CASES+=(base-off base-on)
for round in $(seq "$ROUNDS"); do
  # The order rotates by one case per round, so that no case always runs first (or right after
  # the same neighbour) on a machine whose load changes over time.
  shift_by=$(((round - 1) % ${#CASES[@]}))
  for case in "${CASES[@]:shift_by}" "${CASES[@]:0:shift_by}"; do
    p=$(port)
    sync  # what earlier cases (or anything else) left unwritten is not written back during this one
    start "$case" "$p"
    json="$WORK/$case-$round.json"
    "${CLIENT_CPU[@]}" "$BENCH_BIN" fanin --port "$p" --clients "$CLIENTS" --subscribers 1 --qos 1 --rate "$RATE" \
      --duration "$DURATION" --warmup 2 --broker-pid "$PID" --json "$json" --quiet \
      ${DURABLE:+--persistent-subscribers} ${INFLIGHT:+--inflight "$INFLIGHT"}
    stop
    if [[ $case != mosquitto ]] && grep -q 'queued messages dropped' "$WORK/$case-$p/log"; then
      echo "bench_fanin.sh: $case dropped queued messages (the subscriber fell behind):" >&2
      grep -m3 'queued messages dropped' "$WORK/$case-$p/log" >&2
      exit 1
    fi
    if [[ $case == *-on || $case == gridmq-mem ]] && grep -q 'meter_validation: \(reject\|drop\|quarantine\)' "$WORK/$case-$p/log"; then
      echo "bench_fanin.sh: meter_validation did not accept every bench message:" >&2
      grep -m5 'meter_validation:' "$WORK/$case-$p/log" >&2
      exit 1
    fi
    # The case's database goes now, not at exit: its dirty pages are dropped instead of being
    # written back while the next cases run (and 40-70 databases do not pile up on disk).
    rm -rf "$WORK/$case-$p/data"
    acked=$(jq -r '.summary.acked_msg_s' "$json")
    recv=$(jq -r '.summary.received_msg_s' "$json")
    cpu=$(jq -r '.summary.broker_cpu_us_per_msg' "$json")
    printf '%-11s %5s %14s %14s %16s\n' "$case" "$round" "$acked" "$recv" "$cpu"
    SUM[$case]=$(echo "${SUM[$case]:-0} + $acked" | bc -l)
    ACKED[$case,$round]=$acked
    CPU[$case]=$(echo "${CPU[$case]:-0} + $cpu" | bc -l)
  done
done
off=${SUM[gridmq-off]}; on=${SUM[gridmq-on]}; mem=${SUM[gridmq-mem]}; mq=${SUM[mosquitto]}
printf '\nmean acked msg/s: gridmq off %.0f, on %.0f, on (state in memory) %.0f, mosquitto %.0f\n' \
  "$(echo "$off / $ROUNDS" | bc -l)" "$(echo "$on / $ROUNDS" | bc -l)" \
  "$(echo "$mem / $ROUNDS" | bc -l)" "$(echo "$mq / $ROUNDS" | bc -l)"
printf 'ratios: on/off %.3f (cost %.1f%%), mem/off %.3f (cost %.1f%%)\n' \
  "$(echo "$on / $off" | bc -l)" "$(echo "(1 - $on / $off) * 100" | bc -l)" \
  "$(echo "$mem / $off" | bc -l)" "$(echo "(1 - $mem / $off) * 100" | bc -l)"
printf '        off/mosquitto %.3f, on/mosquitto %.3f, mem/mosquitto %.3f\n' \
  "$(echo "$off / $mq" | bc -l)" "$(echo "$on / $mq" | bc -l)" "$(echo "$mem / $mq" | bc -l)"
if [[ -n "$BASE_BIN" ]]; then
  boff=${SUM[base-off]}; bon=${SUM[base-on]}
  printf 'baseline (%s): mean acked msg/s off %.0f, on %.0f; on/off %.3f (cost %.1f%%); CPU us/msg off %.2f, on %.2f\n' \
    "$BASE_BIN" "$(echo "$boff / $ROUNDS" | bc -l)" "$(echo "$bon / $ROUNDS" | bc -l)" \
    "$(echo "$bon / $boff" | bc -l)" "$(echo "(1 - $bon / $boff) * 100" | bc -l)" \
    "$(echo "${CPU[base-off]} / $ROUNDS" | bc -l)" "$(echo "${CPU[base-on]} / $ROUNDS" | bc -l)"
fi
# The median of the rounds' own on/off ratios: the two cases of a round run a minute apart at
# most, and a round the machine slowed down for one case moves the median less than the means.
median_ratio() {  # ON_CASE OFF_CASE
  local r
  for r in $(seq "$ROUNDS"); do echo "${ACKED[$1,$r]} / ${ACKED[$2,$r]}" | bc -l; done |
    sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
printf 'median of the per-round ratios: on/off %s, mem/off %s' \
  "$(median_ratio gridmq-on gridmq-off)" "$(median_ratio gridmq-mem gridmq-off)"
[[ -n "$BASE_BIN" ]] && printf ', baseline on/off %s' "$(median_ratio base-on base-off)"
printf '\n'
coff=${CPU[gridmq-off]}; con=${CPU[gridmq-on]}; cmem=${CPU[gridmq-mem]}; cmq=${CPU[mosquitto]}
printf 'mean broker CPU us/msg: off %.2f, on %.2f, mem %.2f, mosquitto %.2f; on/off %.3f, mem/off %.3f, off/mosquitto %.3f\n' \
  "$(echo "$coff / $ROUNDS" | bc -l)" "$(echo "$con / $ROUNDS" | bc -l)" "$(echo "$cmem / $ROUNDS" | bc -l)" \
  "$(echo "$cmq / $ROUNDS" | bc -l)" "$(echo "$con / $coff" | bc -l)" "$(echo "$cmem / $coff" | bc -l)" \
  "$(echo "$coff / $cmq" | bc -l)"
