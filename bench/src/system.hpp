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

/// True when the process exists (kill(pid, 0)).
bool process_alive(long pid);

/// Coordination between a coordinator and its workers (threads or forked processes):
/// each worker calls arrive() once its connections are up, then wait_release() until the
/// coordinator says the hold is over.
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

}  // namespace gridmq::bench
