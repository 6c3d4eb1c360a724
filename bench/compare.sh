#!/usr/bin/env bash
# compare.sh: the same gridmq-bench scenarios against gridmq and Mosquitto, one after the other,
# then one table with both results and the gridmq/mosquitto ratio per metric, and a capacity
# estimate for gridmq from its own results.
#
#   bench/compare.sh [--quick] [--durable [--rounds N]] [--out DIR] [--brokers "gridmq mosquitto"]
#                    [--only "CASE ..."] [--gridmq-bin PATH] [--bench-bin PATH]
#                    [--mosquitto-bin PATH] [--gridmq-args "extra broker args"]
#
# --durable: only durable QoS 1 fan-in (persistent subscriber), saturated and at half of
# Mosquitto's saturated rate, against Mosquitto (persistence true), gridmq [storage] sync =
# "sync" and gridmq sync = "none", in one run; the table gives both gridmq/mosquitto ratios.
# --rounds N repeats those six cases N times (the brokers' order rotating; the half rate is set
# by the first round's Mosquitto) and the table gives each metric's median over the rounds, then
# every round's PUBACK p99 at half load.
#
# Every case gets freshly started brokers on free loopback ports (memory, sessions and queues of
# one run do not leak into the next); brokers are stopped on exit, also on failure or Ctrl-C.
# A case's data directories are deleted as soon as it ends, and every case starts after a
# `sync`: the unsynced writes of one case (gridmq sync = "none", Mosquitto's save at exit) would
# otherwise be written back by the kernel during the next one, and stall its fsyncs. The dirty
# page cache found before that sync is printed with the case's name.
# Full mode (5-10 minutes): fan-in 100 -> 1 (QoS 0/1, saturated and at a fixed rate), idle and
# connect 10,000, idle 19,000 against one broker, idle 50,000 spread over 3 broker processes,
# burst/storm/broadcast 10,000 meters, fan-out 1 -> 1,000. Quick mode (CI smoke, ~2 minutes):
# tiny N, 1-2 s per case. --only runs a subset (case names as in the table).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/stop_processes.sh
source "$ROOT/bench/stop_processes.sh"
MODE=full
DURABLE=""
ROUNDS=1
OUT=""
BROKERS="gridmq mosquitto"
ONLY=""
GRIDMQ_BIN=${GRIDMQ_BIN:-$ROOT/build/bin/gridmq}
BENCH_BIN=${BENCH_BIN:-}
MOSQUITTO_BIN=${MOSQUITTO_BIN:-/usr/sbin/mosquitto}
GRIDMQ_ARGS=${GRIDMQ_ARGS:-}
PYTHON=/usr/bin/python3

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) MODE=quick; shift ;;
    --durable) DURABLE=1; shift ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --brokers) BROKERS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --gridmq-bin) GRIDMQ_BIN=$2; shift 2 ;;
    --bench-bin) BENCH_BIN=$2; shift 2 ;;
    --mosquitto-bin) MOSQUITTO_BIN=$2; shift 2 ;;
    --gridmq-args) GRIDMQ_ARGS=$2; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --rounds must be a positive integer, got '$ROUNDS'" >&2; exit 2; }

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

# Connection-heavy cases need one descriptor per connection, in the bench and in the brokers.
ulimit -n "$(ulimit -Hn)"
FD_LIMIT=$(ulimit -Hn)

if [[ $MODE == quick ]]; then
  PUBS=10; DURATION=2; WARMUP=1; IDLE_CONNS=500; IDLE_HOLD=2
  METERS=200; MAX_CONNS=1000; MULTI_CONNS=1500; MULTI_BROKERS=3; PROCS=2
  BURST_WINDOW=2; BACKLOG=3; FANOUT_SUBS=50; FANOUT_RATE=20; DRAIN=10
else
  PUBS=100; DURATION=10; WARMUP=2; IDLE_CONNS=10000; IDLE_HOLD=10
  # One broker process holds at most FD_LIMIT descriptors (20,000 here): 19,000 connections is
  # what one broker can take; 50,000 needs 3 broker processes (16,667 each).
  METERS=10000; MAX_CONNS=$((FD_LIMIT - 1000)); MULTI_CONNS=50000; MULTI_BROKERS=3; PROCS=2
  BURST_WINDOW=10; BACKLOG=10; FANOUT_SUBS=1000; FANOUT_RATE=20; DRAIN=30
fi
SOURCE_IPS=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4
BENCH_TIMEOUT=$((DURATION + WARMUP + 600))

WORK=$(mktemp -d /tmp/gridmq-compare.XXXXXX)
[[ -n "$OUT" ]] || OUT=$WORK/results
mkdir -p "$OUT"
BROKER_PIDS=()
BROKER_PORTS=()
PIDFILES=()
DBDIRS=()
CASE_DIRS=()  # the running case's data directories, deleted when it ends
FAILURES=()

stop_brokers() {
  local pid f
  # A restarted broker (storm --restart-cmd) is no child of ours: its pid is in the pid file.
  for f in "${PIDFILES[@]}"; do
    pid=$(cat "$f" 2>/dev/null || true)
    if [[ -n "$pid" && " ${BROKER_PIDS[*]} " != *" $pid "* ]]; then BROKER_PIDS+=("$pid"); fi
  done
  stop_processes "${BROKER_PIDS[@]}"
  BROKER_PIDS=()
  BROKER_PORTS=()
  PIDFILES=()
}

cleanup() {
  stop_brokers
  if [[ ${#DBDIRS[@]} -gt 0 ]]; then rm -rf "${DBDIRS[@]}"; fi
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

# start_broker NAME TAG [persistent]: one more broker instance on a free port (appended to
# BROKER_PIDS/PORTS). The broker runs from a launcher script, and $WORK/restart-TAG.sh restarts the
# last started instance on the same port (for storm --restart-cmd). "persistent" gives Mosquitto
# `persistence true` (sessions saved to disk on exit and restored on start).
start_broker() {
  local name=$1 tag=$2 persistent=${3:-} port log pid
  port=$(free_port)
  log="$OUT/$name-$tag.log"
  local launch="$WORK/launch-$tag-$port.sh" pidfile="$WORK/pid-$tag-$port"
  case "$name" in
    gridmq|gridmq-sync|gridmq-none)
      local data="$WORK/gridmq-data-$tag-$port" policy=""
      mkdir -p "$data"
      CASE_DIRS+=("$data")
      if [[ $name == gridmq-none ]]; then
        policy="$WORK/sync-none.toml"
        printf '[storage]\nsync = "none"\n' >"$policy"
        policy="--config $policy"
      fi
      printf '#!/bin/sh\nexec %q --listen %q --threads 2 --data-dir %q --log-level warn %s %s >>%q 2>&1\n' \
        "$GRIDMQ_BIN" "tcp://127.0.0.1:$port" "$data" "$policy" "$GRIDMQ_ARGS" "$log" >"$launch"
      ;;
    mosquitto)
      # Tuned: no Nagle, queues and in-flight unlimited, no connection cap. persistence false
      # except for the restart case and --durable (Mosquitto keeps sessions of disconnected
      # clients in memory either way; gridmq always writes them to its store).
      local conf="$WORK/mosquitto-$tag-$port.conf"
      cat >"$conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
max_queued_messages 1000000
max_inflight_messages 0
max_connections -1
log_dest stderr
log_type error
log_type warning
CONF
      if [[ -n "$persistent" || -n "$DURABLE" ]]; then
        # Mosquitto started as root runs as user mosquitto: its database lives outside $WORK
        # (mode 0700), in a directory it may write.
        local db
        db=$(mktemp -d /tmp/gridmq-compare-mosqdb.XXXXXX)
        chmod 0777 "$db"
        DBDIRS+=("$db")
        CASE_DIRS+=("$db")
        printf 'persistence true\npersistence_location %s/\nautosave_interval 0\n' "$db" >>"$conf"
      else
        echo "persistence false" >>"$conf"
      fi
      printf '#!/bin/sh\nexec %q -c %q >>%q 2>&1\n' "$MOSQUITTO_BIN" "$conf" "$log" >"$launch"
      ;;
  esac
  chmod +x "$launch"
  "$launch" &
  pid=$!
  echo "$pid" >"$pidfile"
  # restart-TAG.sh: stop the instance (pid from the pid file), start it again on the same port.
  cat >"$WORK/restart-$tag.sh" <<RESTART
#!/bin/sh
pid=\$(cat '$pidfile')
kill -TERM "\$pid" 2>/dev/null
i=0
while kill -0 "\$pid" 2>/dev/null && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
kill -KILL "\$pid" 2>/dev/null
nohup '$launch' >/dev/null 2>&1 &
echo \$! >'$pidfile'
RESTART
  chmod +x "$WORK/restart-$tag.sh"
  BROKER_PIDS+=("$pid")
  BROKER_PORTS+=("$port")
  PIDFILES+=("$pidfile")
  for _ in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "compare.sh: $name exited at start, see $log" >&2
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "compare.sh: $name did not listen on $port within 10 s" >&2
  return 1
}

# The page cache not yet on disk (Dirty + Writeback in /proc/meminfo), in MiB.
dirty_mib() { awk '/^(Dirty|Writeback):/ { kb += $2 } END { printf "%.0f", kb / 1024 }' /proc/meminfo; }

join_by_comma() { local IFS=,; echo "$*"; }

wanted() { [[ -z "$ONLY" || " $ONLY " == *" $1 "* ]]; }

# run_case BROKER CASE INSTANCES bench-args...: fresh broker(s), one bench run, result in
# $OUT/BROKER-CASE.json. With INSTANCES > 1 the connections are spread over them (--ports).
# INSTANCES "1r" = one broker that the bench restarts (storm --restart-cmd); Mosquitto then runs
# with persistence true.
run_case() {
  local broker=$1 name=$2 instances=$3 restart=""
  shift 3
  if [[ $instances == 1r ]]; then instances=1; restart=1; fi
  wanted "$name" || return 0
  local json="$OUT/$broker-$name.json"
  rm -f "$json"
  local dirty
  dirty=$(dirty_mib)
  sync
  echo "== $broker: $name ($*) [dirty+writeback before sync: $dirty MiB]" >&2
  local i
  for ((i = 0; i < instances; i++)); do
    if ! start_broker "$broker" "$name" "$restart"; then
      FAILURES+=("$broker $name: broker did not start")
      stop_brokers
      return 0
    fi
  done
  local target=(--port "${BROKER_PORTS[0]}")
  if [[ $instances -gt 1 ]]; then target=(--ports "$(join_by_comma "${BROKER_PORTS[@]}")"); fi
  local extra=()
  if [[ -n "$restart" ]]; then extra=(--restart-cmd "$WORK/restart-$name.sh"); fi
  local rc=0
  timeout "$BENCH_TIMEOUT" "$BENCH_BIN" "$@" "${target[@]}" "${extra[@]}" \
    --broker-pid "$(join_by_comma "${BROKER_PIDS[@]}")" --json "$json" --quiet || rc=$?
  local pid f
  for f in "${PIDFILES[@]}"; do
    pid=$(cat "$f")
    if ! kill -0 "$pid" 2>/dev/null; then
      FAILURES+=("$broker $name: broker died during the run (see $OUT/$broker-$name.log)")
    fi
  done
  if [[ $rc -ne 0 ]]; then
    local errs=""
    [[ -f "$json" ]] && errs=$(jq -r '.errors | join("; ")' "$json")
    FAILURES+=("$broker $name: gridmq-bench exit $rc ${errs:+($errs)}")
  elif [[ -f "$json" ]] && [[ $(jq '(.summary.losses // 0) + (.summary.ack_losses // 0)' "$json") != 0 ]]; then
    local why=""
    FAILURES+=("$broker $name: losses $(jq -c '[.summary.losses, .summary.ack_losses]' "$json")$why")
  fi
  stop_brokers
  # Deleting the files drops their dirty pages: no writeback of this case during the next.
  echo "   $broker $name left $(dirty_mib) MiB dirty or under writeback; deleting its data" >&2
  if [[ ${#CASE_DIRS[@]} -gt 0 ]]; then rm -rf "${CASE_DIRS[@]}"; fi
  CASE_DIRS=()
}

metric() {  # metric BROKER CASE KEY -> value or "-"
  local f="$OUT/$1-$2.json"
  [[ -f "$f" ]] || { echo "-"; return; }
  jq -r --arg k "$3" '.summary[$k] // "-" | tostring' "$f"
}

has_broker() { [[ " $BROKERS " == *" $1 "* ]]; }

both() {  # both CASE INSTANCES bench-args...: the case against every broker, Mosquitto first
  local b
  for b in mosquitto gridmq; do
    if has_broker "$b"; then run_case "$b" "$@"; fi
  done
}

FANIN=(fanin --clients "$PUBS" --subscribers 1 --duration "$DURATION" --warmup "$WARMUP"
       --payload-size 277 --version 4 --threads 2)
CONN=(--source-ips "$SOURCE_IPS" --threads 2 --keepalive 60 --connect-timeout 180)
START=$(date +%s)

# --durable: durable QoS 1 fan-in only, three brokers in one run, then exit. Round r's cases
# are CASE-rR (round 1 without the suffix); the broker order rotates from round to round.
if [[ -n "$DURABLE" ]]; then
  DFANIN=("${FANIN[@]}" --qos 1 --persistent-subscribers)
  DBROKERS=(mosquitto gridmq-sync gridmq-none)
  round_case() { if [[ $2 -eq 1 ]]; then echo "$1"; else echo "$1-r$2"; fi; }
  DRATE=""
  for ((round = 1; round <= ROUNDS; round++)); do
    order=()
    for ((i = 0; i < 3; i++)); do order+=("${DBROKERS[$(((i + round - 1) % 3))]}"); done
    # Mosquitto's first saturated run sets the half rate, so round 1 runs it first.
    for b in "${order[@]}"; do
      run_case "$b" "$(round_case fanin-q1-sat "$round")" 1 "${DFANIN[@]}" --rate 0
    done
    if [[ -z "$DRATE" ]]; then
      r=$(metric mosquitto fanin-q1-sat received_msg_s)
      if [[ "$r" == "-" ]]; then r=2000; fi
      DRATE=$(awk -v r="$r" 'BEGIN { v = int(r / 2); if (v < 100) v = 100; print v }')
    fi
    for b in "${order[@]}"; do
      run_case "$b" "$(round_case fanin-q1-rate "$round")" 1 "${DFANIN[@]}" --rate "$DRATE"
    done
  done
  # median BROKER CASE KEY: the median of KEY over the rounds that have it, or "-".
  median() {
    local vals=() round v
    for ((round = 1; round <= ROUNDS; round++)); do
      v=$(metric "$1" "$(round_case "$2" "$round")" "$3")
      if [[ "$v" != "-" ]]; then vals+=("$v"); fi
    done
    if [[ ${#vals[@]} -eq 0 ]]; then echo "-"; return; fi
    printf '%s\n' "${vals[@]}" | sort -g | awk '{ v[NR] = $1 } END {
      if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
  }
  ratio() { awk -v g="$1" -v m="$2" 'BEGIN {
    if (g == "-" || m == "-" || m + 0 == 0) print "-"; else printf "%.2f", g / m }'; }
  {
    what="value"
    if [[ $ROUNDS -gt 1 ]]; then what="median of $ROUNDS rounds"; fi
    echo "| scenario | metric ($what) | gridmq sync | gridmq none | mosquitto | sync/mosquitto | none/mosquitto |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for c in fanin-q1-sat fanin-q1-rate; do
      for k in published_msg_s received_msg_s puback_p50_us puback_p99_us e2e_p50_us e2e_p99_us \
        broker_cpu_us_per_msg losses; do
        s=$(median gridmq-sync "$c" "$k")
        n=$(median gridmq-none "$c" "$k")
        m=$(median mosquitto "$c" "$k")
        echo "| $c | $k | $s | $n | $m | $(ratio "$s" "$m") | $(ratio "$n" "$m") |"
      done
    done
    if [[ $ROUNDS -gt 1 ]]; then
      for ((round = 1; round <= ROUNDS; round++)); do
        c=$(round_case fanin-q1-rate "$round")
        s=$(metric gridmq-sync "$c" puback_p99_us)
        n=$(metric gridmq-none "$c" puback_p99_us)
        m=$(metric mosquitto "$c" puback_p99_us)
        echo "| fanin-q1-rate round $round | puback_p99_us | $s | $n | $m | $(ratio "$s" "$m") | $(ratio "$n" "$m") |"
      done
    fi
  } >"$OUT/table.md"
  echo
  echo "gridmq-bench compare --durable ($MODE, $ROUNDS round(s)): fan-in $PUBS publishers -> 1 persistent subscriber, QoS 1,"
  echo "277-byte payload, MQTT 3.1.1, ${DURATION} s; fixed rate $DRATE msg/s (half of Mosquitto's saturated rate);"
  echo "Mosquitto persistence true; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  column -t -s '|' "$OUT/table.md" | sed 's/^ *//'
  echo "results: $OUT"
  if [[ ${#FAILURES[@]} -gt 0 ]]; then
    echo
    echo "FAILURES:"
    printf '  %s\n' "${FAILURES[@]}"
    exit 1
  fi
  exit 0
fi

# 1. Saturated fan-in, Mosquitto first: its rates set the fixed-rate runs.
for qos in 0 1; do both "fanin-q$qos-sat" 1 "${FANIN[@]}" --qos "$qos" --rate 0; done

# 2. Fixed rate: half of Mosquitto's saturated receive rate (or of gridmq's, without Mosquitto).
declare -A RATE
for qos in 0 1; do
  ref=mosquitto
  has_broker mosquitto || ref=gridmq
  r=$(metric "$ref" "fanin-q$qos-sat" received_msg_s)
  if [[ "$r" == "-" ]]; then r=2000; fi
  RATE[$qos]=$(awk -v r="$r" 'BEGIN { v = int(r / 2); if (v < 100) v = 100; print v }')
  both "fanin-q$qos-rate" 1 "${FANIN[@]}" --qos "$qos" --rate "${RATE[$qos]}"
done

# 3. Connections: idle memory, connect storm, the most one broker process can hold, and 50,000
#    over several broker processes.
both idle 1 idle --clients "$IDLE_CONNS" --duration "$IDLE_HOLD" "${CONN[@]}" --connect-concurrency 64
both connect 1 connect --clients "$IDLE_CONNS" "${CONN[@]}" --processes "$PROCS"
both idle-max 1 idle --clients "$MAX_CONNS" --duration "$IDLE_HOLD" "${CONN[@]}" \
  --connect-concurrency 128 --processes 3
both idle-multi "$MULTI_BROKERS" idle --clients "$MULTI_CONNS" --duration "$IDLE_HOLD" "${CONN[@]}" \
  --connect-concurrency 128 --processes 4

# 4. Meter-shaped cases, persistent sessions.
both burst 1 burst --clients "$METERS" --qos 1 --window "$BURST_WINDOW" --spread uniform \
  "${CONN[@]}" --processes "$PROCS" --drain "$DRAIN"
both burst-at-once 1 burst --clients "$METERS" --qos 1 --spread none "${CONN[@]}" \
  --processes "$PROCS" --drain "$DRAIN"
both storm 1 storm --clients "$METERS" --backlog "$BACKLOG" --backoff-base 0.5 --backoff-max 8 \
  "${CONN[@]}" --processes "$PROCS" --drain "$DRAIN"
# The broker restarted instead of the sockets cut: sessions and backlogs come back from gridmq's
# store (Mosquitto runs with persistence true in this case and saves its state on SIGTERM).
both storm-restart 1r storm --clients "$METERS" --backlog "$BACKLOG" --backoff-base 0.5 \
  --backoff-max 8 "${CONN[@]}" --processes "$PROCS" --drain "$((DRAIN / 3))"
both broadcast 1 broadcast --clients "$METERS" --target meter --ack "${CONN[@]}" \
  --processes "$PROCS" --drain "$DRAIN"
both broadcast-group 1 broadcast --clients "$METERS" --target group --ack "${CONN[@]}" \
  --processes "$PROCS" --drain "$DRAIN"
both fanout 1 fanout --clients "$FANOUT_SUBS" --qos 1 --rate "$FANOUT_RATE" --duration "$DURATION" \
  --warmup "$WARMUP" --threads 2 --drain "$DRAIN"

ELAPSED=$(( $(date +%s) - START ))

# 5. The table (also saved as Markdown in $OUT/table.md).
{
  echo "| scenario | metric | gridmq | mosquitto | gridmq/mosquitto |"
  echo "|---|---|---:|---:|---:|"
  row() {
    local case=$1 key=$2 g m ratio
    g=$(metric gridmq "$case" "$key")
    m=$(metric mosquitto "$case" "$key")
    [[ "$g" == "-" && "$m" == "-" ]] && return 0
    ratio=$(awk -v g="$g" -v m="$m" 'BEGIN {
      if (g == "-" || m == "-" || m + 0 == 0) print "-"; else printf "%.2f", g / m }')
    echo "| $case | $key | $g | $m | $ratio |"
  }
  rows() { local c=$1 k; shift; for k in "$@"; do row "$c" "$k"; done; }
  for qos in 0 1; do
    for kind in sat rate; do
      c="fanin-q$qos-$kind"
      rows "$c" published_msg_s received_msg_s e2e_p50_us e2e_p99_us
      if [[ $qos == 1 ]]; then rows "$c" puback_p50_us puback_p99_us; fi
      rows "$c" broker_cpu_us_per_msg losses
    done
  done
  rows idle connections rss_before_kib rss_after_kib rss_per_conn_kib connect_rate_s
  rows connect connections connect_rate_s connect_p50_us connect_p99_us
  rows idle-max connections rss_per_conn_kib connect_rate_s connect_failures
  rows idle-multi connections rss_before_kib rss_after_kib rss_per_conn_kib connect_rate_s connect_failures
  for c in burst burst-at-once; do
    rows "$c" meters all_acked_s all_received_s puback_p50_us puback_p99_us e2e_p99_us \
      broker_cpu_us_per_msg losses
  done
  for c in storm storm-restart; do
    rows "$c" meters backlog_published all_back_s all_drained_s back_p50_us back_p99_us \
      reconnect_attempts sessions_lost losses
  done
  for c in broadcast broadcast-group; do
    rows "$c" meters publish_s all_received_s deliver_p99_us all_acks_s ack_p99_us losses ack_losses
  done
  rows fanout subscribers delivered_msg_s e2e_p50_us e2e_p99_us broker_cpu_us_per_delivery losses
} >"$OUT/table.md"

{
  echo "gridmq-bench compare ($MODE): fan-in ${PUBS} publishers -> 1 subscriber, 277-byte payload, MQTT 3.1.1;"
  echo "fixed rates: QoS0 ${RATE[0]} msg/s, QoS1 ${RATE[1]} msg/s; idle $IDLE_CONNS; idle-max $MAX_CONNS on one broker;"
  echo "idle-multi $MULTI_CONNS over $MULTI_BROKERS broker processes; meters (burst/storm/broadcast) $METERS;"
  echo "fanout 1 -> $FANOUT_SUBS at $FANOUT_RATE msg/s; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); ${ELAPSED} s"
} >"$OUT/header.txt"

# 6. Per-connection cost extrapolated to 50,000 connections on ONE broker process (not measurable
#    here: a process holds at most $FD_LIMIT descriptors).
{
  for b in gridmq mosquitto; do
    f="$OUT/$b-idle-max.json"
    [[ -f "$f" ]] || continue
    jq -r --arg b "$b" '.summary | select(.rss_per_conn_kib != null) |
      "\($b): 50,000 connections on one broker process ~ \(.rss_before_kib) KiB + 50,000 x \(.rss_per_conn_kib) KiB = \(((.rss_before_kib + 50000 * .rss_per_conn_kib) / 1024 * 10 | round) / 10) MiB (EXTRAPOLATED from \(.connections) measured connections)"' "$f"
  done
} >"$OUT/extrapolation.txt"

# 7. Capacity estimate for gridmq from its own results.
CAP=()
for c in fanin-q1-rate fanin-q1-sat fanin-q0-rate idle-max idle burst; do
  [[ -f "$OUT/gridmq-$c.json" ]] && CAP+=(--from "$OUT/gridmq-$c.json")
done
if [[ ${#CAP[@]} -gt 0 ]]; then
  "$BENCH_BIN" capacity "${CAP[@]}" --interval 900 --headroom 0.3 --burst-window 60 \
    --json "$OUT/capacity.json" >"$OUT/capacity.txt" 2>&1 || true
fi

echo
cat "$OUT/header.txt"
column -t -s '|' "$OUT/table.md" | sed 's/^ *//'
echo
cat "$OUT/extrapolation.txt"
[[ -f "$OUT/capacity.txt" ]] && { echo; cat "$OUT/capacity.txt"; }
echo "results: $OUT"
if [[ ${#FAILURES[@]} -gt 0 ]]; then
  echo
  echo "FAILURES:"
  printf '  %s\n' "${FAILURES[@]}"
  exit 1
fi
