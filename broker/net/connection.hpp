#pragma once
// Connection: a TCP socket on one worker, framing bytes into MQTT packets for its
// ConnectionHandler and writing the handler's output, coalesced: everything produced while
// handling one read (or one wake-up) goes out in one write.
//
// THREADING: all members are used on the owning worker's thread, except wake() and kick() (the
// Peer interface), which post to it.

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
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

  /// When the handler's next timeout is due (checked by the worker's sweep).
  std::chrono::steady_clock::time_point deadline() const { return handler_.deadline(); }
  /// The deadline passed: keep-alive or connect timeout.
  void on_deadline(std::chrono::steady_clock::time_point now);

  void wake() override;
  void kick(protocol::ReasonCode reason) override;
  std::shared_ptr<session::Peer> shared_peer() override { return shared_from_this(); }

 private:
  friend class Worker;  // the intrusive list below
  Connection* prev_ = nullptr;
  Connection* next_ = nullptr;

  void read();
  void on_readable();
  /// Frames and handles packets in `data`; returns how many bytes were consumed.
  std::size_t process_input(protocol::Bytes data);
  void flush();
  void close();

  Worker& worker_;
  boost::asio::ip::tcp::socket socket_;
  spdlog::logger& log_;
  session::ConnectionHandler handler_;
  // Bytes of an incomplete packet, kept between reads (allocated only while there are some).
  std::unique_ptr<std::vector<std::uint8_t>> partial_;
  std::string writing_buf_;
  bool writing_ = false;
  bool reading_ = false;
  bool read_paused_ = false;  // output backlog above limits.max_output_buffer
  bool closed_ = false;
  std::atomic<bool> wake_pending_{false};
};

}  // namespace gridmq::net
