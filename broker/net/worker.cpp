#include "net/worker.hpp"

#include "net/connection.hpp"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <string>

namespace gridmq::net {

Worker::~Worker() {
  join();
}

void Worker::start() {
  guard_.emplace(ctx_.get_executor());
  start_sweep();
  thread_ = std::thread([this] {
    // Named for top -H, perf and /proc/<pid>/task/*/comm (at most 15 characters).
    pthread_setname_np(pthread_self(), ("gridmq-io-" + std::to_string(index_)).c_str());
    ctx_.run();
  });
}

void Worker::start_sweep() {
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Connection>> due;
    for (Connection* c = head_; c; c = c->next_) {
      c->release_idle_buffers();
      if (c->deadline() <= now) due.push_back(c->shared_from_this());
    }
    for (auto& c : due) c->on_deadline(now);
    start_sweep();
  });
}

void Worker::link(Connection* c) {
  c->prev_ = nullptr;
  c->next_ = head_;
  if (head_) head_->prev_ = c;
  head_ = c;
  ++count_;
}

void Worker::unlink(Connection* c) {
  if (c->prev_) {
    c->prev_->next_ = c->next_;
  } else if (head_ == c) {
    head_ = c->next_;
  } else {
    return;  // not linked
  }
  if (c->next_) c->next_->prev_ = c->prev_;
  c->prev_ = c->next_ = nullptr;
  --count_;
}

std::vector<std::shared_ptr<Connection>> Worker::snapshot() const {
  std::vector<std::shared_ptr<Connection>> all;
  all.reserve(count_);
  for (Connection* c = head_; c; c = c->next_) {
    if (auto p = c->weak_from_this().lock()) all.push_back(std::move(p));
  }
  return all;
}

void Worker::run_soon(std::shared_ptr<Connection> c, std::function<void()> fn) {
  std::unique_lock lock(inbox_mu_);
  inbox_.push_back(Soon{std::move(c), std::move(fn)});
  if (inbox_posted_) return;
  inbox_posted_ = true;
  lock.unlock();
  boost::asio::post(ctx_, [this] { run_inbox(); });
}

void Worker::run_inbox() {
  {
    std::lock_guard lock(inbox_mu_);
    running_.swap(inbox_);
    inbox_posted_ = false;
  }
  for (auto& s : running_) {
    if (!s.connection->closed_) s.fn();
  }
  // Then what they produced, one send per connection: after the first flush of a connection its
  // write is in flight, and the next flush of it returns at once.
  for (auto& s : running_) s.connection->flush();
  running_.clear();
}

void Worker::join() {
  boost::asio::post(ctx_, [this] { sweep_timer_.cancel(); });
  guard_.reset();
  if (thread_.joinable()) thread_.join();
}

}  // namespace gridmq::net
