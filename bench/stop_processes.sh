# Sourced by the bench scripts (bench/compare.sh, plugins/meter_validation/bench_fanin.sh).
#
# stop_processes PID...: SIGTERM to every one, then up to 5 s for each to exit, then SIGKILL; the
# calling shell's own children among them are reaped (wait), so none is left running or defunct.
stop_processes() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
