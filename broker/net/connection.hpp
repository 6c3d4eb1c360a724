#pragma once
// Connection: a TCP socket on one worker, framing bytes into MQTT packets for its
// ConnectionHandler and writing the handler's output, coalesced: everything produced while
// handling one read (or one wake-up) goes out in one write.
//
// The transport is plain TCP here; TlsConnection (tls_connection.hpp) overrides the few virtual
// transport steps (start, read_some, write_out, close) so that a TCP connection carries no TLS
// state at all (the vtable pointer exists anyway for session::Peer).
//
// THREADING: all members are used on the owning worker's thread, except wake() and kick() (the
// Peer interface), which post to it.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "session/broker_core.hpp"
#include "session/connection_handler.hpp"
#include "session/peer.hpp"

namespace spdlog {
class logger;
}

namespace gridmq::net {

class TlsContext;
class Worker;

class Connection : public session::Peer, public std::enable_shared_from_this<Connection> {
 public:
  /// A TCP socket bound to the worker's io_context executor: 40 bytes smaller than
  /// ip::tcp::socket (no type-erased any_io_executor), and so is every pending wait on it.
  using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                                  boost::asio::io_context::executor_type>;

  Connection(Worker& worker, Socket socket, session::BrokerCore& core);
  ~Connection() override;

  /// Starts reading (TLS: the handshake first); call once, on the worker's thread, after
  /// construction.
  virtual void start();

  /// How the listener authenticates clients; before start().
  void set_authentication(auth::Authentication a) { handler_.set_authentication(a); }

  /// When the next timeout is due (checked by the worker's sweep): the handler's, or the TLS
  /// handshake's while it runs.
  virtual std::chrono::steady_clock::time_point deadline() const { return handler_.deadline(); }
  /// The deadline passed: keep-alive or connect timeout (or TLS handshake timeout).
  virtual void on_deadline(std::chrono::steady_clock::time_point now);
  /// `changed`, a listener's certificate revocation list, was reloaded: a TLS connection whose
  /// client certificate is now revoked is disconnected (v5: DISCONNECT 0x98). Worker thread.
  virtual void on_revocation_list_changed(const TlsContext& changed) { (void)changed; }

  void wake() override;
  void kick(protocol::ReasonCode reason) override;
  std::shared_ptr<session::Peer> shared_peer() override { return shared_from_this(); }
  void run_on_worker(std::function<void()> fn) override;

 protected:
  // Transport steps (TCP here; TlsConnection overrides them).
  /// Reads what is available into `buf` without blocking; would_block when nothing is. `more` is
  /// set when another read may find more bytes right away.
  virtual std::size_t read_some(std::span<std::uint8_t> buf, bool& more,
                                boost::system::error_code& ec);
  /// What the transport must wait for before read_some can make progress.
  virtual boost::asio::socket_base::wait_type read_wait() const {
    return boost::asio::socket_base::wait_read;
  }
  /// Writes all of buffers_->writing, then calls on_written.
  virtual void write_out();
  void on_written(const boost::system::error_code& ec);
  virtual void close();

  spdlog::logger& log() const;

  void read();
  void on_readable();
  void flush();

  // An idle connection's size is a benchmarked target (bench/README.md: idle and tls_compare):
  // nothing here that an idle connection does not need, the flags last (TlsConnection's own
  // flags fill the tail padding), the logger reached through the Worker.
  Connection* prev_ = nullptr;  // the Worker's intrusive list
  Connection* next_ = nullptr;
  Worker& worker_;
  Socket socket_;
  session::ConnectionHandler handler_;
  // The bytes of an incomplete packet (kept between reads) and the output being written.
  // Allocated while either is in use and dropped by the worker's sweep once neither is, so an
  // idle connection holds 8 bytes here instead of 56.
  struct Buffers {
    std::vector<std::uint8_t> partial;
    std::string writing;
  };
  Buffers& buffers() {
    if (!buffers_) buffers_ = std::make_unique<Buffers>();
    return *buffers_;
  }
  std::unique_ptr<Buffers> buffers_;  // never null while writing_
  bool writing_ = false;
  bool reading_ = false;
  bool read_paused_ = false;  // output backlog above limits.max_output_buffer
  bool closed_ = false;
  std::atomic<bool> wake_pending_{false};

 private:
  friend class Worker;  // the intrusive list and the sweep

  /// Frees buffers_ when nothing is being written and no packet is incomplete (the sweep).
  void release_idle_buffers();
  /// Frames and handles packets in `data`; returns how many bytes were consumed.
  std::size_t process_input(protocol::Bytes data);
};

}  // namespace gridmq::net
