#include "system.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace gridmq::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class ThreadSync : public WorkerSync {
 public:
  void arrive() override {
    std::lock_guard lock(mu_);
    ++arrived_;
    cv_.notify_all();
  }
  void wait_release(double max_s) override {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::duration<double>(max_s),
                 [this] { return released_ >= arrived_; });
  }
  /// Waits until the worker arrived `rounds` times or finished.
  bool wait_arrived(int rounds, double max_s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(max_s), [this, rounds] {
      return arrived_ >= rounds || finished_;
    }) && arrived_ >= rounds;
  }
  void release() {
    std::lock_guard lock(mu_);
    ++released_;
    cv_.notify_all();
  }
  void finish() {
    std::lock_guard lock(mu_);
    finished_ = true;
    released_ = 1 << 30;  // nothing waits for the coordinator any more
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
  int released_ = 0;
  bool finished_ = false;
};

class PipeSync : public WorkerSync {
 public:
  PipeSync(int up, int down) : up_(up), down_(down) {}
  void arrive() override {
    const char b = 'A';
    if (::write(up_, &b, 1) != 1) std::perror("gridmq-bench: worker arrive");
  }
  void wait_release(double max_s) override {
    pollfd p{down_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(max_s * 1000)) > 0) {
      char b = 0;
      if (::read(down_, &b, 1) != 1) { /* coordinator gone: go on */
      }
    }
  }

 private:
  int up_;
  int down_;
};

struct Child {
  pid_t pid = -1;
  int up = -1;    // parent reads
  int down = -1;  // parent writes
  std::string result_path;
  bool arrived = false;
  bool dead = false;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

long raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return static_cast<long>(rl.rlim_cur);
}

std::optional<long> read_rss_kib(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      long kib = 0;
      if (fields >> kib) return kib;
    }
  }
  return std::nullopt;
}

std::optional<double> read_cpu_s(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold blanks; fields are counted after its closing ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  std::string f;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  if (!fields) return std::nullopt;
  const long tick = ::sysconf(_SC_CLK_TCK);
  if (tick <= 0) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(tick);
}

std::optional<long> read_rss_sum_kib(const std::vector<long>& pids) {
  long sum = 0;
  for (long p : pids) {
    const auto r = read_rss_kib(p);
    if (!r) return std::nullopt;
    sum += *r;
  }
  return sum;
}

std::optional<double> read_cpu_sum_s(const std::vector<long>& pids) {
  double sum = 0;
  for (long p : pids) {
    const auto c = read_cpu_s(p);
    if (!c) return std::nullopt;
    sum += *c;
  }
  return sum;
}

int run_shell(const std::string& command) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::close_range(3, ~0U, 0);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool process_alive(long pid) {
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
}

std::vector<std::string> run_workers(int count, double arrive_timeout_s, double release_timeout_s,
                                     const std::function<std::string(int, WorkerSync&)>& work,
                                     const std::function<void(bool)>& coordinate) {
  return run_workers_rounds(count, 1, {arrive_timeout_s}, release_timeout_s, work,
                            [&](int, bool all) { coordinate(all); });
}

std::vector<std::string> run_workers_rounds(
    int count, int rounds, const std::vector<double>& arrive_timeout_s, double release_timeout_s,
    const std::function<std::string(int, WorkerSync&)>& work,
    const std::function<void(int, bool)>& coordinate) {
  auto timeout_of = [&](int r) {
    if (arrive_timeout_s.empty()) return 60.0;
    return arrive_timeout_s[std::min(static_cast<std::size_t>(r), arrive_timeout_s.size() - 1)];
  };
  if (count <= 1) {
    ThreadSync sync;
    std::string out;
    std::thread t([&] {
      try {
        out = work(0, sync);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "gridmq-bench worker: %s\n", e.what());
      }
      sync.finish();
    });
    for (int r = 0; r < rounds; ++r) {
      const bool all = sync.wait_arrived(r + 1, timeout_of(r));
      coordinate(r, all);
      sync.release();
    }
    t.join();
    return {out};
  }

  std::vector<Child> children(static_cast<std::size_t>(count));
  std::fflush(nullptr);
  for (int k = 0; k < count; ++k) {
    Child& c = children[static_cast<std::size_t>(k)];
    int up[2];
    int down[2];
    if (::pipe(up) != 0 || ::pipe(down) != 0) throw std::runtime_error("pipe() failed");
    char tmpl[] = "/tmp/gridmq-bench-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    if (fd < 0) throw std::runtime_error("mkstemp() failed");
    c.result_path = tmpl;
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork() failed");
    if (pid == 0) {
      ::close(up[0]);
      ::close(down[1]);
      for (int j = 0; j < k; ++j) {  // siblings' pipes are not ours
        ::close(children[static_cast<std::size_t>(j)].up);
        ::close(children[static_cast<std::size_t>(j)].down);
      }
      PipeSync sync(up[1], down[0]);
      std::string out;
      int rc = 0;
      try {
        out = work(k, sync);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "gridmq-bench worker %d: %s\n", k, e.what());
        rc = 1;
      }
      const char* p = out.data();
      std::size_t left = out.size();
      while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n <= 0) break;
        p += n;
        left -= static_cast<std::size_t>(n);
      }
      ::close(fd);
      std::fflush(nullptr);
      ::_exit(rc);
    }
    ::close(fd);
    ::close(up[1]);
    ::close(down[0]);
    c.pid = pid;
    c.up = up[0];
    c.down = down[1];
  }

  for (int r = 0; r < rounds; ++r) {
    // Wait until each live worker wrote its byte for this round (or closed the pipe by dying).
    for (auto& c : children) c.arrived = c.dead;
    const auto start = Clock::now();
    bool all_ok = true;
    auto pending = [&] {
      return std::any_of(children.begin(), children.end(),
                         [](const Child& c) { return !c.arrived; });
    };
    while (pending() && seconds_since(start) < timeout_of(r)) {
      std::vector<pollfd> fds;
      std::vector<Child*> who;
      for (auto& c : children) {
        if (!c.arrived) {
          fds.push_back(pollfd{c.up, POLLIN, 0});
          who.push_back(&c);
        }
      }
      if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        char b = 0;
        if (::read(fds[i].fd, &b, 1) != 1) who[i]->dead = true;  // EOF: the worker died
        who[i]->arrived = true;
      }
    }
    for (const auto& c : children) all_ok = all_ok && c.arrived && !c.dead;
    coordinate(r, all_ok);
    for (auto& c : children) {
      const char b = 'R';
      if (c.dead || ::write(c.down, &b, 1) != 1) { /* worker already gone */
      }
    }
  }
  for (auto& c : children) {
    ::close(c.down);
    ::close(c.up);
  }

  // Reap; a worker that overstays its release deadline is killed (only our own children).
  const auto reap_start = Clock::now();
  std::size_t live = children.size();
  while (live > 0) {
    for (auto& c : children) {
      if (c.pid < 0) continue;
      int status = 0;
      if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
        c.pid = -1;
        --live;
      }
    }
    if (live == 0) break;
    if (seconds_since(reap_start) > release_timeout_s) {
      for (auto& c : children) {
        if (c.pid > 0) {
          ::kill(c.pid, SIGKILL);
          ::waitpid(c.pid, nullptr, 0);
          c.pid = -1;
        }
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  std::vector<std::string> outs;
  for (auto& c : children) {
    outs.push_back(read_file(c.result_path));
    std::remove(c.result_path.c_str());
  }
  return outs;
}

}  // namespace gridmq::bench
