#pragma once
// Process-level helpers: file-descriptor limit, broker memory, forked workers.

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gridmq::bench {

/// Raises RLIMIT_NOFILE's soft limit to the hard limit. Returns the new soft limit.
long raise_fd_limit();

/// VmRSS of a process in KiB, from /proc/<pid>/status; nullopt if unreadable.
std::optional<long> read_rss_kib(long pid);

/// Sum of VmRSS over several processes; nullopt if any is unreadable.
std::optional<long> read_rss_sum_kib(const std::vector<long>& pids);

/// Sum of read_cpu_s over several processes; nullopt if any is unreadable.
std::optional<double> read_cpu_sum_s(const std::vector<long>& pids);

/// Runs `command` with /bin/sh -c and waits for it; returns its exit status (-1 if it could not
/// run or died by a signal). Descriptors >= 3 are closed in the child, so a broker the command
/// starts does not inherit the bench's sockets and pipes.
int run_shell(const std::string& command);

/// True when the process exists (kill(pid, 0)).
bool process_alive(long pid);

/// CPU time (user + system) a process used so far, in seconds, from /proc/<pid>/stat; nullopt if
/// unreadable.
std::optional<double> read_cpu_s(long pid);

/// Coordination between a coordinator and its workers (threads or forked processes), in rounds:
/// in each round every worker calls arrive() when it reached the rendezvous, then wait_release()
/// until the coordinator has done its part of that round.
class WorkerSync {
 public:
  virtual ~WorkerSync() = default;
  virtual void arrive() = 0;
  /// Returns when released or after `max_s` seconds.
  virtual void wait_release(double max_s) = 0;
};

/// Runs `work` in `count` workers: one thread in this process if count == 1, else `count` forked
/// processes (fork happens before this process starts any thread). Each worker's output (a JSON
/// text) is returned in worker order; a crashed worker yields an empty string.
///
/// `coordinate` runs in the calling process once every worker arrived (or `arrive_timeout_s`
/// passed; the bool says whether all arrived); when it returns, the workers are released.
std::vector<std::string> run_workers(int count, double arrive_timeout_s, double release_timeout_s,
                                     const std::function<std::string(int, WorkerSync&)>& work,
                                     const std::function<void(bool)>& coordinate);

/// The same with `rounds` rendezvous: for round r = 0..rounds-1 the coordinator waits until every
/// live worker arrived (at most `arrive_timeout_s[r]`, the last value repeating), runs
/// `coordinate(r, all_arrived)`, then releases the workers. A worker must call arrive() and
/// wait_release() exactly `rounds` times (a worker that dies counts as not arrived).
std::vector<std::string> run_workers_rounds(
    int count, int rounds, const std::vector<double>& arrive_timeout_s, double release_timeout_s,
    const std::function<std::string(int, WorkerSync&)>& work,
    const std::function<void(int, bool)>& coordinate);

}  // namespace gridmq::bench
