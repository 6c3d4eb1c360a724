#!/usr/bin/env bash
# Fan-in QoS 1 msg/s with meter_validation off and on, and Mosquitto, in one run (README.md,
# "Cost"). Each case gets a fresh broker on a free loopback port; the rounds alternate the four
# cases (gridmq off, on, on with the state in memory, Mosquitto), rotating their order.
#
#   plugins/meter_validation/bench_fanin.sh [--rounds R] [--clients N] [--inflight W]
#                                           [--duration S] [--rate R]
#                                           [--durable-subscriber] [--baseline-bin PATH]
#                                           [--pin BROKER_CPUS/CLIENT_CPUS]
#                                           [--side-by-side CASE_A/CASE_B]
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
# --side-by-side CASE_A/CASE_B runs two brokers at the same time instead of one after the other:
# in each round CASE_A and CASE_B (each one of gridmq-off, gridmq-on, gridmq-mem, base-off,
# base-on; the same case twice is allowed) start together, each with its own load generator, and
# share the broker CPUs for the whole measured window. Both see the same machine at the same
# moment, so a host that slows down for a while (a cloud VM's neighbours) slows both. Each gets
# about half the CPU, so its msg/s is about half its msg/s alone; and while one waits (for its
# fsync, say) the other runs, so the slower one gets more than half and the msg/s ratio
# understates the cost. The script therefore also gives the ratio of the two brokers' CPU per
# message, measured in the same moments: alone on the broker CPUs each broker is limited by its
# CPU, so that ratio is the msg/s ratio the cases show one after the other, without the host's
# drift between them. Use the same case twice (gridmq-off/gridmq-off) to see the method's own
# bias and spread on a machine. Mosquitto (one thread) is not run in this mode.
#
# Every run ends with the geometric mean of the rounds' ratios and its 95 % confidence interval
# (Student's t over the rounds' log ratios), as costs: on a machine where one round differs from
# the next by tens of per cent, the interval says how many rounds a conclusion needs.
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
# shellcheck source=bench/stop_processes.sh
source "$ROOT/bench/stop_processes.sh"
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
SIDE=""
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
    --side-by-side) SIDE=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "bench_fanin.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ ! $ROUNDS =~ ^[1-9][0-9]{0,3}$ ]]; then
  echo "bench_fanin.sh: --rounds $ROUNDS is not a count of 1 to 9999 rounds" >&2
  exit 2
fi
if [[ ! $DURATION =~ ^[0-9]{1,5}(\.[0-9]+)?$ ]] || (($(echo "$DURATION <= 0" | bc -l))); then
  echo "bench_fanin.sh: --duration $DURATION is not a number of seconds above 0" >&2
  exit 2
fi
if [[ -n "$INFLIGHT" && ! $INFLIGHT =~ ^[1-9][0-9]{0,4}$ ]]; then
  echo "bench_fanin.sh: --inflight $INFLIGHT is not a window of 1 to 99999 messages" >&2
  exit 2
fi
SIDE_CASES=(gridmq-off gridmq-on gridmq-mem base-off base-on)
if [[ -n "$SIDE" ]]; then
  side_a=${SIDE%%/*}
  side_b=${SIDE#*/}
  if [[ $SIDE != */* || $side_b == */* || ! " ${SIDE_CASES[*]} " =~ " $side_a " ||
        ! " ${SIDE_CASES[*]} " =~ " $side_b " ]]; then
    echo "bench_fanin.sh: --side-by-side $SIDE is not CASE_A/CASE_B of ${SIDE_CASES[*]}" >&2
    exit 2
  fi
  if [[ $SIDE == *base-* && -z "$BASE_BIN" ]]; then
    echo "bench_fanin.sh: --side-by-side $SIDE needs --baseline-bin" >&2
    exit 2
  fi
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
PIDS=()
stop() {  # every broker this round started
  stop_processes "${PIDS[@]}"
  PIDS=()
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

start() {  # CASE PORT: starts the broker, appends it to PIDS and sets PID
  local case=$1 p=$2 dir="$WORK/$1-$2"
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
  PIDS+=("$PID")
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "bench_fanin.sh: $case did not start, see $dir/log" >&2
  cat "$dir/log" >&2
  exit 1
}

load() {  # PORT BROKER_PID JSON: the measured fan-in against one broker
  "${CLIENT_CPU[@]}" "$BENCH_BIN" fanin --port "$1" --clients "$CLIENTS" --subscribers 1 --qos 1 --rate "$RATE" \
    --duration "$DURATION" --warmup 2 --broker-pid "$2" --json "$3" --quiet \
    ${DURABLE:+--persistent-subscribers} ${INFLIGHT:+--inflight "$INFLIGHT"}
}

check_log() {  # CASE PORT: the case ran as the comparison assumes, or the script fails
  local case=$1 log="$WORK/$1-$2/log"
  if [[ $case != mosquitto ]] && grep -q 'queued messages dropped' "$log"; then
    echo "bench_fanin.sh: $case dropped queued messages (the subscriber fell behind):" >&2
    grep -m3 'queued messages dropped' "$log" >&2
    exit 1
  fi
  if [[ $case == *-on || $case == gridmq-mem ]] && grep -q 'meter_validation: \(reject\|drop\|quarantine\)' "$log"; then
    echo "bench_fanin.sh: meter_validation did not accept every bench message:" >&2
    grep -m5 'meter_validation:' "$log" >&2
    exit 1
  fi
  # The case's database goes now, not at exit: its dirty pages are dropped instead of being
  # written back while the next cases run (and 40-70 databases do not pile up on disk).
  rm -rf "$WORK/$case-$2/data"
}

declare -A SUM CPU ACKED CPUS
record() {  # LABEL ROUND JSON
  local acked recv cpu
  acked=$(jq -r '.summary.acked_msg_s' "$3")
  recv=$(jq -r '.summary.received_msg_s' "$3")
  cpu=$(jq -r '.summary.broker_cpu_us_per_msg' "$3")
  printf '%-11s %5s %14s %14s %16s\n' "$1" "$2" "$acked" "$recv" "$cpu"
  SUM[$1]=$(echo "${SUM[$1]:-0} + $acked" | bc -l)
  ACKED[$1,$2]=$acked
  CPUS[$1,$2]=$cpu
  CPU[$1]=$(echo "${CPU[$1]:-0} + $cpu" | bc -l)
}

# The median of the rounds' own ratios B/A: the two cases of a round run a minute apart at most,
# and a round the machine slowed down for one case moves the median less than the means.
median_ratio() {  # B A
  local r
  for r in $(seq "$ROUNDS"); do echo "${ACKED[$1,$r]} / ${ACKED[$2,$r]}" | bc -l; done |
    sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The geometric mean of the rounds' ratios B/A as a cost (1 - ratio) and its 95 % confidence
# interval: Student's t (two-sided, ROUNDS - 1 degrees of freedom) over the log ratios. With cpu,
# the ratio is A's broker CPU per message over B's: the msg/s ratio a broker that is limited by
# its CPU would show.
cost_interval() {  # acked|cpu B A
  local r
  for r in $(seq "$ROUNDS"); do
    if [[ $1 == cpu ]]; then echo "${CPUS[$3,$r]} ${CPUS[$2,$r]}"; else echo "${ACKED[$2,$r]} ${ACKED[$3,$r]}"; fi
  done | awk '
    BEGIN { split("12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228 2.201 2.179 2.160 2.145 2.131 2.120 2.110 2.101 2.093 2.086 2.080 2.074 2.069 2.064 2.060 2.056 2.052 2.048 2.045 2.042", t, " ") }
    { x[NR] = log($1 / $2); s += x[NR] }
    END {
      if (NR < 2) { printf "cost %.1f%% (one round: no interval)", 100 * (1 - exp(s)); exit }
      m = s / NR
      for (i = 1; i <= NR; i++) v += (x[i] - m) ^ 2
      se = sqrt(v / (NR - 1) / NR)
      q = (NR - 1 <= 30) ? t[NR - 1] : (NR - 1 <= 60 ? 2.000 : 1.980)
      printf "cost %.1f%%, 95%% interval %.1f%% to %.1f%%", 100 * (1 - exp(m)), 100 * (1 - exp(m + q * se)), 100 * (1 - exp(m - q * se))
    }'
}

mean() { echo "${SUM[$1]} / $ROUNDS" | bc -l; }
mean_cpu() { echo "${CPU[$1]} / $ROUNDS" | bc -l; }

printf '%-11s %5s %14s %14s %16s\n' case round acked_msg_s received_msg_s broker_us_per_msg
if [[ -n "$SIDE" ]]; then
  label_a=$side_a
  label_b=$side_b
  [[ $side_a == "$side_b" ]] && label_b="$side_b#2"
  for round in $(seq "$ROUNDS"); do
    # The two start and load in turns by round, so that neither always has a head start.
    if ((round % 2)); then order=(a b); else order=(b a); fi
    declare -A P BPID
    sync
    for s in "${order[@]}"; do
      c=$side_a
      [[ $s == b ]] && c=$side_b
      P[$s]=$(port)
      start "$c" "${P[$s]}"
      BPID[$s]=$PID
    done
    loads=()
    for s in "${order[@]}"; do
      load "${P[$s]}" "${BPID[$s]}" "$WORK/$s-$round.json" &
      loads+=($!)
    done
    for l in "${loads[@]}"; do wait "$l"; done
    stop
    check_log "$side_a" "${P[a]}"
    check_log "$side_b" "${P[b]}"
    record "$label_a" "$round" "$WORK/a-$round.json"
    record "$label_b" "$round" "$WORK/b-$round.json"
  done
  printf '\nside by side, %s rounds: mean acked msg/s %s %.0f, %s %.0f; ratio of the means %.3f\n' \
    "$ROUNDS" "$label_a" "$(mean "$label_a")" "$label_b" "$(mean "$label_b")" \
    "$(echo "${SUM[$label_b]} / ${SUM[$label_a]}" | bc -l)"
  printf '%s against %s: median of the per-round ratios %s; geometric mean: %s\n' "$label_b" "$label_a" \
    "$(median_ratio "$label_b" "$label_a")" "$(cost_interval acked "$label_b" "$label_a")"
  # Sharing the CPUs, a broker is not limited by its CPU alone: while one waits (for its fsync,
  # say), the other runs, so the slower one gets more than half and the msg/s ratio understates
  # the cost. Its CPU per message, measured in the same moments, is what a broker limited by
  # its CPU (as each is alone on the broker CPUs) turns into msg/s.
  printf 'from the broker CPU per message (what limits a broker alone): %s\n' \
    "$(cost_interval cpu "$label_b" "$label_a")"
  printf 'mean broker CPU us/msg: %s %.2f, %s %.2f\n' "$label_a" "$(mean_cpu "$label_a")" \
    "$label_b" "$(mean_cpu "$label_b")"
  exit 0
fi

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
    load "$p" "$PID" "$WORK/$case-$round.json"
    stop
    check_log "$case" "$p"
    record "$case" "$round" "$WORK/$case-$round.json"
  done
done
off=${SUM[gridmq-off]}; on=${SUM[gridmq-on]}; mem=${SUM[gridmq-mem]}; mq=${SUM[mosquitto]}
printf '\nmean acked msg/s: gridmq off %.0f, on %.0f, on (state in memory) %.0f, mosquitto %.0f\n' \
  "$(mean gridmq-off)" "$(mean gridmq-on)" "$(mean gridmq-mem)" "$(mean mosquitto)"
printf 'ratios: on/off %.3f (cost %.1f%%), mem/off %.3f (cost %.1f%%)\n' \
  "$(echo "$on / $off" | bc -l)" "$(echo "(1 - $on / $off) * 100" | bc -l)" \
  "$(echo "$mem / $off" | bc -l)" "$(echo "(1 - $mem / $off) * 100" | bc -l)"
printf '        off/mosquitto %.3f, on/mosquitto %.3f, mem/mosquitto %.3f\n' \
  "$(echo "$off / $mq" | bc -l)" "$(echo "$on / $mq" | bc -l)" "$(echo "$mem / $mq" | bc -l)"
if [[ -n "$BASE_BIN" ]]; then
  boff=${SUM[base-off]}; bon=${SUM[base-on]}
  printf 'baseline (%s): mean acked msg/s off %.0f, on %.0f; on/off %.3f (cost %.1f%%); CPU us/msg off %.2f, on %.2f\n' \
    "$BASE_BIN" "$(mean base-off)" "$(mean base-on)" \
    "$(echo "$bon / $boff" | bc -l)" "$(echo "(1 - $bon / $boff) * 100" | bc -l)" \
    "$(mean_cpu base-off)" "$(mean_cpu base-on)"
fi
printf 'median of the per-round ratios: on/off %s, mem/off %s' \
  "$(median_ratio gridmq-on gridmq-off)" "$(median_ratio gridmq-mem gridmq-off)"
[[ -n "$BASE_BIN" ]] && printf ', baseline on/off %s' "$(median_ratio base-on base-off)"
printf '\n'
printf 'geometric mean of the per-round ratios: on/off %s; mem/off %s\n' \
  "$(cost_interval acked gridmq-on gridmq-off)" "$(cost_interval acked gridmq-mem gridmq-off)"
[[ -n "$BASE_BIN" ]] && printf '  baseline on/off %s\n' "$(cost_interval acked base-on base-off)"
printf 'from the broker CPU per message: on/off %s\n' "$(cost_interval cpu gridmq-on gridmq-off)"
coff=${CPU[gridmq-off]}; con=${CPU[gridmq-on]}; cmem=${CPU[gridmq-mem]}; cmq=${CPU[mosquitto]}
printf 'mean broker CPU us/msg: off %.2f, on %.2f, mem %.2f, mosquitto %.2f; on/off %.3f, mem/off %.3f, off/mosquitto %.3f\n' \
  "$(mean_cpu gridmq-off)" "$(mean_cpu gridmq-on)" "$(mean_cpu gridmq-mem)" "$(mean_cpu mosquitto)" \
  "$(echo "$con / $coff" | bc -l)" "$(echo "$cmem / $coff" | bc -l)" "$(echo "$coff / $cmq" | bc -l)"
