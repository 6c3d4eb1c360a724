#pragma once
// Worker: one thread running one io_context. Connections live on exactly one worker.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_set>

namespace gridmq::net {

class Connection;

class Worker {
 public:
  explicit Worker(unsigned index) : index_(index) {}
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  /// Lets run() return once no work is left, and joins the thread.
  void join();

  boost::asio::io_context& context() { return ctx_; }
  unsigned index() const { return index_; }

  /// Connections on this worker. Touched only on the worker's thread.
  std::unordered_set<std::shared_ptr<Connection>>& connections() { return connections_; }

 private:
  const unsigned index_;
  boost::asio::io_context ctx_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  std::thread thread_;
  std::unordered_set<std::shared_ptr<Connection>> connections_;
};

}  // namespace gridmq::net
