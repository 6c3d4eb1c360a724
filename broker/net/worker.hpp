#pragma once
// Worker: one thread running one io_context. Connections live on exactly one worker.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace spdlog {
class logger;
}

namespace gridmq::net {

class Connection;

class Worker {
 public:
  Worker(unsigned index, spdlog::logger& log) : index_(index), log_(log) {}
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  /// Starts the once-a-second sweep that runs every connection's keep-alive / connect timeout
  /// check (one timer per worker instead of one per connection) and frees the I/O buffers of
  /// connections that went idle.
  void start_sweep();
  /// Lets run() return once no work is left, and joins the thread.
  void join();

  boost::asio::io_context& context() { return ctx_; }
  unsigned index() const { return index_; }
  /// The broker's logger, for the worker's connections (one reference here instead of one in
  /// every connection).
  spdlog::logger& log() const { return log_; }

  /// Read buffer shared by the worker's connections: a connection reads into it and keeps only
  /// the bytes of an incomplete packet, so idle connections hold no read buffer.
  std::vector<std::uint8_t>& scratch() { return scratch_; }

  /// Runs `fn` for connection `c` on this worker's thread, then sends what it produced;
  /// callable from any thread. What is handed over while earlier work still waits joins it, and
  /// the batch runs in one turn: one io_context post (one wake-up of a worker asleep in epoll)
  /// and one send per connection per batch, instead of one of each per function. The store's
  /// writer thread completes a whole group of commits at once, many for the same connection.
  void run_soon(std::shared_ptr<Connection> c, std::function<void()> fn);

  /// Connections on this worker: an intrusive list (no allocation per connection). Touched
  /// only on the worker's thread. A Connection links itself on start and unlinks when destroyed.
  void link(Connection* c);
  void unlink(Connection* c);
  std::size_t connection_count() const { return count_; }
  /// Strong references to every live connection (for sweeps and shutdown).
  std::vector<std::shared_ptr<Connection>> snapshot() const;

 private:
  const unsigned index_;
  spdlog::logger& log_;
  // Declared before ctx_: connections destroyed with ctx_'s pending handlers unlink themselves.
  Connection* head_ = nullptr;
  std::size_t count_ = 0;
  boost::asio::io_context ctx_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  std::thread thread_;
  boost::asio::steady_timer sweep_timer_{ctx_};
  std::vector<std::uint8_t> scratch_ = std::vector<std::uint8_t>(64 * 1024);

  struct Soon {
    std::shared_ptr<Connection> connection;
    std::function<void()> fn;
  };
  void run_inbox();
  std::mutex inbox_mu_;
  std::vector<Soon> inbox_;    // guarded by inbox_mu_
  bool inbox_posted_ = false;  // a run_inbox is queued; guarded by inbox_mu_
  std::vector<Soon> running_;  // the batch being run; worker thread only
};

}  // namespace gridmq::net
