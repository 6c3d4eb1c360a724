#include "net/tls_connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/logger.h>

#include <boost/asio/post.hpp>
#include <climits>

#include "net/tls_context.hpp"
#include "net/worker.hpp"

namespace gridmq::net {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// SSL_write calls per turn before the rest of a large output is left to a later turn (fairness
// between the worker's connections); each call writes at least one record of up to 16 KiB.
constexpr int kWriteRoundsPerTurn = 64;

int clamp_int(std::size_t n) {
  return static_cast<int>(std::min<std::size_t>(n, INT_MAX));
}

}  // namespace

TlsConnection::TlsConnection(Worker& worker, Socket socket, session::BrokerCore& core,
                             TlsContext& tls)
    : Connection(worker, std::move(socket), core), ssl_(tls.new_ssl(socket_.native_handle())) {
  // Built where the connection was accepted; OpenSSL's error queue is per thread.
  if (ssl_ == nullptr) ERR_clear_error();
}

TlsConnection::~TlsConnection() {
  SSL_free(ssl_);  // the BIO does not own the descriptor; the socket closes it
}

TlsContext& TlsConnection::tls() const {
  return TlsContext::of(ssl_);
}

std::string TlsConnection::peer() const {
  boost::system::error_code ec;
  const auto ep = socket_.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

void TlsConnection::start() {
  worker_.link(this);
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  if (ssl_ == nullptr) {
    log().warn("TLS connection from {} dropped: cannot create the TLS session", peer());
    fatal_ = true;
    close();
    return;
  }
  handshake_deadline_ticks_ = (Clock::now() + tls().handshake_timeout()).time_since_epoch().count();
  SSL_set_accept_state(ssl_);
  handshake();
}

void TlsConnection::handshake() {
  if (closed_) return;
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    on_handshake_done();
    return;
  }
  const int err = SSL_get_error(ssl_, r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    socket_.async_wait(
        err == SSL_ERROR_WANT_READ ? asio::socket_base::wait_read : asio::socket_base::wait_write,
        [self = std::static_pointer_cast<TlsConnection>(shared_from_this())](
            const boost::system::error_code& ec) {
          if (self->closed_) return;
          if (ec) {
            self->fail("TLS handshake failed", SSL_ERROR_SYSCALL);
            return;
          }
          self->handshake();
        });
    return;
  }
  fail("TLS handshake refused", err);
}

void TlsConnection::fail(const char* what, int ssl_error) {
  if (closed_) return;
  std::string reason;
  const long verify = ssl_ != nullptr ? SSL_get_verify_result(ssl_) : X509_V_OK;
  if (verify != X509_V_OK) {
    reason = std::string("certificate: ") + X509_verify_cert_error_string(verify);
  } else if (const unsigned long code = ERR_peek_error(); code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    reason = text;
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    reason = "connection closed by the peer";
  } else {
    reason = "TLS error " + std::to_string(ssl_error);
  }
  ERR_clear_error();
  log().debug("{} ({} on {}): {}", what, peer(), tls().name(), reason);
  fatal_ = true;
  handler_.on_transport_closed(Clock::now());
  close();
}

void TlsConnection::on_handshake_done() {
  handshaking_ = false;
  written_ = 0;  // the union's second phase begins
  const bool resumed = SSL_session_reused(ssl_) == 1;
  if (X509* cert = SSL_get0_peer_certificate(ssl_)) {
    // A resumed session skipped certificate verification: check the current CRL here.
    if (resumed && tls().is_revoked(cert)) {
      log().debug("TLS session resumption refused ({} on {}): certificate revoked", peer(),
                  tls().name());
      fatal_ = true;
      handler_.on_transport_closed(Clock::now());
      close();
      return;
    }
    auth::CertificateInfo info = certificate_info(cert);
    log().debug("TLS client {} on {} ({}{}): CN={} OU={} serial={} sha256={}", peer(), tls().name(),
                SSL_get_version(ssl_), resumed ? ", resumed" : "", info.subject_cn,
                info.subject_ou.empty() ? std::string() : info.subject_ou.front(), info.serial_hex,
                info.sha256_fingerprint);
    handler_.set_peer_certificate(std::move(info));
  } else {
    log().debug("TLS client {} on {} ({}) without a certificate", peer(), tls().name(),
                SSL_get_version(ssl_));
  }
  // OpenSSL may already hold application data that arrived with the handshake's last flight.
  on_readable();
}

std::size_t TlsConnection::read_some(std::span<std::uint8_t> buf, bool& more,
                                     boost::system::error_code& ec) {
  read_wants_write_ = false;
  ERR_clear_error();
  const int n = SSL_read(ssl_, buf.data(), clamp_int(buf.size()));
  if (n > 0) {
    more = true;  // the socket may hold further records
    return static_cast<std::size_t>(n);
  }
  more = false;
  const int err = SSL_get_error(ssl_, n);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      ec = asio::error::would_block;
      break;
    case SSL_ERROR_WANT_WRITE:
      read_wants_write_ = true;
      ec = asio::error::would_block;
      break;
    case SSL_ERROR_ZERO_RETURN:  // close_notify
      ec = asio::error::eof;
      break;
    case SSL_ERROR_SYSCALL:  // the peer closed or reset the TCP connection without close_notify
      fatal_ = true;
      ec = asio::error::eof;
      break;
    default:
      fatal_ = true;
      log().debug("TLS read failed ({} on {}): error {}", peer(), tls().name(), err);
      ec = asio::error::connection_reset;
      break;
  }
  ERR_clear_error();
  return 0;
}

asio::socket_base::wait_type TlsConnection::read_wait() const {
  return read_wants_write_ ? asio::socket_base::wait_write : asio::socket_base::wait_read;
}

void TlsConnection::write_out() {
  // Only after the handshake (written_ shares its word with the handshake deadline): nothing is
  // read before it succeeds, so the handler has no output before then.
  if (closed_) return;
  for (int round = 0; round < kWriteRoundsPerTurn && written_ < buffers_->writing.size(); ++round) {
    ERR_clear_error();
    const int n = SSL_write(ssl_, buffers_->writing.data() + written_,
                            clamp_int(buffers_->writing.size() - written_));
    if (n > 0) {
      written_ += static_cast<std::size_t>(n);
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
      socket_.async_wait(err == SSL_ERROR_WANT_WRITE ? asio::socket_base::wait_write
                                                     : asio::socket_base::wait_read,
                         [self = std::static_pointer_cast<TlsConnection>(shared_from_this())](
                             const boost::system::error_code& ec) {
                           if (self->closed_) return;
                           if (ec) {
                             self->written_ = 0;
                             self->on_written(ec);
                             return;
                           }
                           self->write_out();
                         });
      return;
    }
    ERR_clear_error();
    fatal_ = true;
    written_ = 0;
    on_written(asio::error::connection_reset);
    return;
  }
  if (written_ < buffers_->writing.size()) {
    asio::post(worker_.context(), [self = std::static_pointer_cast<TlsConnection>(
                                       shared_from_this())] { self->write_out(); });
    return;
  }
  written_ = 0;
  on_written({});
}

void TlsConnection::close() {
  if (closed_) return;
  if (ssl_ != nullptr && !handshaking_ && !fatal_) {
    // Best effort close_notify; never waits for the peer's.
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
  }
  Connection::close();
}

Clock::time_point TlsConnection::deadline() const {
  return handshaking_ ? handshake_deadline() : Connection::deadline();
}

void TlsConnection::on_deadline(Clock::time_point now) {
  if (!handshaking_) {
    Connection::on_deadline(now);
    return;
  }
  if (closed_ || now < handshake_deadline()) return;
  log().debug("TLS handshake timed out ({} on {})", peer(), tls().name());
  fatal_ = true;
  handler_.on_transport_closed(now);
  close();
}

void TlsConnection::on_revocation_list_changed(const TlsContext& changed) {
  if (closed_ || handshaking_ || &changed != &tls()) return;
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr || !tls().is_revoked(cert)) return;
  const auth::CertificateInfo info = certificate_info(cert);
  log().info("client '{}' ({} on {}) disconnected: its certificate (serial {}) is revoked",
             handler_.client_id(), peer(), tls().name(), info.serial_hex);
  handler_.on_kick(protocol::ReasonCode::kAdministrativeAction, Clock::now());
  flush();
}

}  // namespace gridmq::net
