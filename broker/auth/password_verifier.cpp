#include "auth/password_verifier.hpp"

#include <openssl/crypto.h>

namespace gridmq::auth {

using Clock = std::chrono::steady_clock;

PasswordVerifier::PasswordVerifier(Check check, std::chrono::milliseconds failure_delay,
                                   std::size_t max_queued)
    : check_(std::move(check)), delay_(failure_delay), max_queued_(max_queued) {
  thread_ = std::thread([this] { run(); });
}

PasswordVerifier::~PasswordVerifier() {
  stop();
}

bool PasswordVerifier::submit(std::string username, std::string password, Done done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || jobs_.size() >= max_queued_) return false;
    jobs_.push_back(Job{std::move(username), std::move(password), std::move(done)});
  }
  cv_.notify_one();
  return true;
}

void PasswordVerifier::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  std::deque<Job> jobs;
  std::deque<Delayed> delayed;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
    delayed.swap(delayed_);
  }
  // Answered as failures (at once), so that whatever `done` holds is released through its
  // normal path rather than destroyed here.
  for (auto& j : jobs) {
    OPENSSL_cleanse(j.password.data(), j.password.size());
    j.done(std::nullopt);
  }
  for (auto& d : delayed) d.done(std::nullopt);
}

void PasswordVerifier::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto now = Clock::now();
    if (!delayed_.empty() && delayed_.front().due <= now) {
      Done done = std::move(delayed_.front().done);
      delayed_.pop_front();
      lock.unlock();
      done(std::nullopt);
      lock.lock();
      continue;
    }
    if (!jobs_.empty()) {
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      std::optional<Principal> who = check_(job.username, job.password);
      OPENSSL_cleanse(job.password.data(), job.password.size());
      if (who || delay_.count() == 0) {
        job.done(std::move(who));
        lock.lock();
      } else {
        lock.lock();
        delayed_.push_back(Delayed{Clock::now() + delay_, std::move(job.done)});
      }
      continue;
    }
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, delayed_.front().due);
    }
  }
}

}  // namespace gridmq::auth
