#pragma once
// TlsConnection: a Connection on a tls:// listener. OpenSSL works directly on the non-blocking
// socket through a small socket BIO (TlsContext; no memory BIOs, no Asio ssl::stream and its two
// 17 KiB buffers): the handshake runs
// first, driven by async_wait on the socket, and no MQTT byte is read before it succeeds. A
// client without a valid certificate (none, unknown CA, expired, revoked) fails inside the
// handshake. Afterwards the verified certificate goes to the handler (set_peer_certificate)
// and reads decrypt into the worker's shared scratch buffer, as for TCP; with
// SSL_MODE_RELEASE_BUFFERS an idle connection holds no record buffers.
//
// THREADING: like Connection, everything runs on the owning worker's thread.

#include <chrono>

#include "net/connection.hpp"

struct ssl_st;

namespace gridmq::net {

class TlsContext;

class TlsConnection final : public Connection {
 public:
  TlsConnection(Worker& worker, Socket socket, session::BrokerCore& core, TlsContext& tls);
  ~TlsConnection() override;

  void start() override;
  std::chrono::steady_clock::time_point deadline() const override;
  void on_deadline(std::chrono::steady_clock::time_point now) override;
  void on_revocation_list_changed(const TlsContext& changed) override;

 protected:
  std::size_t read_some(std::span<std::uint8_t> buf, bool& more,
                        boost::system::error_code& ec) override;
  boost::asio::socket_base::wait_type read_wait() const override;
  void write_out() override;
  void close() override;

 private:
  void handshake();
  void on_handshake_done();
  /// Fails the handshake or the connection: logs at debug level and closes (no close_notify).
  void fail(const char* what, int ssl_error);
  std::string peer() const;

  /// The listener's TLS context, reached through the SSL's SSL_CTX (TlsContext::of); it
  /// outlives its connections as the Worker does (Server destroys the workers, and with them
  /// every connection, before the TLS contexts). Requires ssl_.
  TlsContext& tls() const;
  std::chrono::steady_clock::time_point handshake_deadline() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(handshake_deadline_ticks_));
  }

  // The flags first: they fit in Connection's tail padding (an idle connection's size is a
  // benchmarked target, see bench/README.md).
  bool handshaking_ = true;
  bool read_wants_write_ = false;
  bool fatal_ = false;     // after a fatal TLS error no close_notify may be sent
  ssl_st* ssl_ = nullptr;  // null only if it could not be created (start() closes then)
  // One word for two phases: while handshaking_, when the handshake times out (steady clock
  // ticks); afterwards, the bytes of buffers_->writing already handed to SSL_write.
  union {
    std::chrono::steady_clock::rep handshake_deadline_ticks_ = 0;
    std::size_t written_;
  };
};

}  // namespace gridmq::net
