#pragma once
// Connection: a TCP socket on one worker, framing bytes into MQTT packets for its
// ConnectionHandler and writing the handler's output, coalesced: everything produced while
// handling one read (or one wake-up) goes out in one write.
//
// THREADING: all members are used on the owning worker's thread, except wake() and kick() (the
// Peer interface), which post to it.

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "session/broker_core.hpp"
#include "session/connection_handler.hpp"
#include "session/peer.hpp"

namespace spdlog {
class logger;
}

namespace gridmq::net {

class Worker;

class Connection : public session::Peer, public std::enable_shared_from_this<Connection> {
 public:
  Connection(Worker& worker, boost::asio::ip::tcp::socket socket, session::BrokerCore& core,
             spdlog::logger& log);
  ~Connection() override;

  /// Starts reading; call once, on the worker's thread, after construction.
  void start();

  void wake() override;
  void kick(protocol::ReasonCode reason) override;

 private:
  void read();
  void on_read(std::size_t n);
  void process_input();
  void flush();
  void arm_timer();
  void close();

  Worker& worker_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  session::BrokerCore& core_;
  spdlog::logger& log_;
  std::optional<session::ConnectionHandler> handler_;
  std::vector<std::uint8_t> in_;
  std::size_t in_used_ = 0;
  std::string writing_buf_;
  bool writing_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point armed_for_{};
  std::atomic<bool> wake_pending_{false};
  std::string remote_;
};

}  // namespace gridmq::net
