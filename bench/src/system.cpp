#include "system.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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
    arrived_ = true;
    cv_.notify_all();
  }
  void wait_release(double max_s) override {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::duration<double>(max_s), [this] { return released_; });
  }
  bool wait_arrived(double max_s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(max_s), [this] { return arrived_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool arrived_ = false;
  bool released_ = false;
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
    ::poll(&p, 1, static_cast<int>(max_s * 1000));
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

bool process_alive(long pid) {
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
}

std::vector<std::string> run_workers(int count, double arrive_timeout_s, double release_timeout_s,
                                     const std::function<std::string(int, WorkerSync&)>& work,
                                     const std::function<void(bool)>& coordinate) {
  if (count <= 1) {
    ThreadSync sync;
    std::string out;
    std::thread t([&] {
      try {
        out = work(0, sync);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "gridmq-bench worker: %s\n", e.what());
        sync.arrive();
      }
    });
    const bool all = sync.wait_arrived(arrive_timeout_s);
    coordinate(all);
    sync.release();
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

  // Wait until each worker wrote its byte (or closed the pipe by dying).
  const auto start = Clock::now();
  std::size_t arrived = 0;
  bool all_ok = true;
  while (arrived < children.size() && seconds_since(start) < arrive_timeout_s) {
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
      if (::read(fds[i].fd, &b, 1) != 1) all_ok = false;  // EOF: the worker died
      who[i]->arrived = true;
      ++arrived;
    }
  }
  coordinate(all_ok && arrived == children.size());
  for (auto& c : children) {
    const char b = 'R';
    if (::write(c.down, &b, 1) != 1) { /* worker already gone */
    }
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
