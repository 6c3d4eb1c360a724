#include "net/worker.hpp"

#include "net/connection.hpp"

namespace gridmq::net {

Worker::~Worker() { join(); }

void Worker::start() {
  guard_.emplace(ctx_.get_executor());
  thread_ = std::thread([this] { ctx_.run(); });
}

void Worker::join() {
  guard_.reset();
  if (thread_.joinable()) thread_.join();
}

}  // namespace gridmq::net
