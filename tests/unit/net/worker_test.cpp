// Worker::run_soon: work handed to a worker from another thread (the store's writer completing
// commits) runs on the worker's thread, in order, a batch at a time, with one send per connection
// per batch, and not for a connection that was closed meanwhile.

#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "auth/acl.hpp"
#include "config/broker_config.hpp"
#include "net/connection.hpp"
#include "net/worker.hpp"
#include "session/broker_core.hpp"

namespace gridmq::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// A connection whose output a test can write and whose sends it can count.
class CountingConnection : public Connection {
 public:
  using Connection::Connection;
  std::string& out() { return handler_.out(); }
  void close_now() { close(); }
  int sends() const { return sends_.load(); }

 protected:
  void write_out() override {
    ++sends_;
    Connection::write_out();
  }

 private:
  std::atomic<int> sends_{0};
};

/// Waits (bounded) until `done` holds; true if it did.
template <class F>
bool eventually(F done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class WorkerTest : public ::testing::Test {
 protected:
  WorkerTest() { worker_.start(); }
  ~WorkerTest() override {
    connections_.clear();
    worker_.join();
  }

  /// A connection on the worker with a real loopback TCP peer (`peer` reads what it sends).
  std::shared_ptr<CountingConnection> connect(tcp::socket& peer) {
    tcp::acceptor acceptor(client_ctx_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    peer.connect(acceptor.local_endpoint());
    Connection::Socket accepted(worker_.context());
    tcp::socket s = acceptor.accept();
    accepted.assign(tcp::v4(), s.release());
    auto c = std::make_shared<CountingConnection>(worker_, std::move(accepted), core_);
    connections_.push_back(c);
    return c;
  }

  /// Holds the worker's thread until the returned promise is set.
  std::promise<void> block_worker() {
    std::promise<void> release;
    std::promise<void> blocked;
    auto released = release.get_future().share();
    asio::post(worker_.context(), [&blocked, released] {
      blocked.set_value();
      released.wait();
    });
    blocked.get_future().wait();
    return release;
  }

  spdlog::logger log_{"worker_test"};
  config::BrokerConfig cfg_;
  session::BrokerCore core_{cfg_, auth::Acl::allow_all()};
  asio::io_context client_ctx_;
  Worker worker_{0, log_};
  std::vector<std::shared_ptr<CountingConnection>> connections_;
};

TEST_F(WorkerTest, RunsOnTheWorkersThreadInOrder) {
  tcp::socket peer(client_ctx_);
  auto c = connect(peer);
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  for (int i = 0; i < 200; ++i) {
    worker_.run_soon(c, [&, i] {
      std::lock_guard g(mu);
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
    });
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard g(mu);
    return order.size() == 200;
  }));
  std::lock_guard g(mu);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
  for (const auto& t : threads) {
    EXPECT_NE(t, std::this_thread::get_id());
    EXPECT_EQ(t, threads.front());
  }
}

TEST_F(WorkerTest, ABatchSendsOncePerConnection) {
  tcp::socket peer_a(client_ctx_), peer_b(client_ctx_);
  auto a = connect(peer_a);
  auto b = connect(peer_b);
  // Everything handed over while the worker is busy is one batch: 10 outputs for a, 5 for b,
  // interleaved as a writer thread's completions would be.
  auto release = block_worker();
  std::string expect_a, expect_b;
  for (int i = 0; i < 15; ++i) {
    const bool for_a = i % 3 != 2;
    const std::string bytes = (for_a ? "a" : "b") + std::to_string(i) + ";";
    (for_a ? expect_a : expect_b) += bytes;
    auto c = for_a ? a : b;
    worker_.run_soon(c, [c, bytes] { c->out() += bytes; });
  }
  release.set_value();
  std::string got_a(expect_a.size(), '\0'), got_b(expect_b.size(), '\0');
  asio::read(peer_a, asio::buffer(got_a));
  asio::read(peer_b, asio::buffer(got_b));
  EXPECT_EQ(got_a, expect_a);
  EXPECT_EQ(got_b, expect_b);
  EXPECT_EQ(a->sends(), 1);
  EXPECT_EQ(b->sends(), 1);
}

TEST_F(WorkerTest, WorkForAClosedConnectionIsNotRun) {
  tcp::socket peer(client_ctx_);
  auto c = connect(peer);
  std::atomic<int> ran{0};
  auto release = block_worker();
  asio::post(worker_.context(), [c] { c->close_now(); });  // runs before the batch below
  worker_.run_soon(c, [&] { ++ran; });
  worker_.run_soon(c, [&] { ++ran; });
  release.set_value();
  tcp::socket other_peer(client_ctx_);
  std::atomic<bool> after{false};
  worker_.run_soon(connect(other_peer), [&] { after = true; });
  ASSERT_TRUE(eventually([&] { return after.load(); }));
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(c->sends(), 0);
}

}  // namespace
}  // namespace gridmq::net
