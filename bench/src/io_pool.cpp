#include "io_pool.hpp"

namespace gridmq::bench {

IoPool::IoPool(std::size_t threads) {
  if (threads == 0) threads = 1;
  for (std::size_t i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoPool::~IoPool() {
  stop();
  join();
}

void IoPool::start() {
  for (auto& ctx : contexts_) {
    threads_.emplace_back([c = ctx.get()] { c->run(); });
  }
}

void IoPool::join() {
  guards_.clear();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void IoPool::stop() {
  for (auto& ctx : contexts_) ctx->stop();
}

}  // namespace gridmq::bench
