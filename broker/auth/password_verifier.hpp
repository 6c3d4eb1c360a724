#pragma once
// PasswordVerifier: runs password checks (PBKDF2: tens of milliseconds of CPU each) on its own
// thread, so network workers never block on them, and holds back failures for a bounded delay
// against guessing without holding up the thread (a failed check waits in a timer queue while
// the next request is verified).
//
// THREADING: submit() may be called from any thread. `done` runs on the verifier's thread: hop
// back to the caller's own thread from there (ConnectionHandler uses Peer::run_on_worker).
// stop() (also run by the destructor) joins the thread; requests still queued, and failures
// still waiting out their delay, are then answered at once as failures, on the stopping thread.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/principal.hpp"

namespace gridmq::auth {

class PasswordVerifier {
 public:
  using Check = std::function<std::optional<Principal>(const std::string& username,
                                                       const std::string& password)>;
  using Done = std::function<void(std::optional<Principal>)>;

  /// `check` does the work (e.g. PasswordFile::verify on the current file); a nullopt result is
  /// reported `failure_delay` after the check finished. At most `max_queued` requests wait.
  PasswordVerifier(Check check, std::chrono::milliseconds failure_delay,
                   std::size_t max_queued = 256);
  ~PasswordVerifier();
  PasswordVerifier(const PasswordVerifier&) = delete;
  PasswordVerifier& operator=(const PasswordVerifier&) = delete;

  /// Queues a check. False (and `done` is not called) when the queue is full or the verifier
  /// stopped: the caller refuses the login at once (server busy).
  [[nodiscard]] bool submit(std::string username, std::string password, Done done);

  void stop();

 private:
  struct Job {
    std::string username;
    std::string password;
    Done done;
  };
  struct Delayed {
    std::chrono::steady_clock::time_point due;
    Done done;
  };
  void run();

  const Check check_;
  const std::chrono::milliseconds delay_;
  const std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;         // guarded by mu_
  std::deque<Delayed> delayed_;  // guarded by mu_; due times ascending (one fixed delay)
  bool stopping_ = false;        // guarded by mu_
  std::thread thread_;
};

}  // namespace gridmq::auth
