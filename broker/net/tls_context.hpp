#pragma once
// TlsContext: the OpenSSL server side of one tls:// listener: certificate and key, the client CA
// bundle, the certificate revocation list (CRL), protocol versions, ciphers and groups, and the
// session ticket keys that make reconnects cheap (resumption without a full handshake).
//
// A CRL reload builds a fresh SSL_CTX with the new list and swaps it in; new connections get the
// new one, handshakes under way keep theirs (an SSL holds a reference to its SSL_CTX). The ticket
// keys stay the same across reloads, so tickets issued before a reload still resume; a resumed
// session is checked against the current CRL right after the handshake (TlsConnection).
//
// THREADING: constructed and reloaded on the control thread (Server); new_ssl(), is_revoked()
// and the accessors are called from worker threads. The current SSL_CTX and CRL set are
// guarded by mu_.

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "auth/principal.hpp"
#include "config/broker_config.hpp"

struct bio_method_st;
struct ssl_st;
struct ssl_ctx_st;
struct x509_st;

namespace gridmq::net {

class TlsContext {
 public:
  /// Loads the listener's certificate, key, CA bundle and CRL. Throws std::runtime_error naming
  /// the listener, the key and the file (unreadable or invalid file, key not matching the
  /// certificate, no usable cipher or group). Startup only.
  explicit TlsContext(const config::Listener& listener);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// A new server-side SSL for an accepted connection on the socket `fd` (caller owns it:
  /// SSL_free; the descriptor stays the caller's), or nullptr when OpenSSL is out of memory.
  /// Any thread.
  ssl_st* new_ssl(int fd) const;
  /// The TlsContext whose SSL_CTX made `ssl` (new_ssl): every SSL_CTX it makes points back to it.
  static TlsContext& of(const ssl_st* ssl);

  /// Whether `cert` appears in the current CRL of its issuer. Any thread.
  bool is_revoked(x509_st* cert) const;

  enum class CrlReload { kUnchanged, kReloaded, kFailed };
  /// Re-reads crl_file when `force` is set or its modification time or size changed since the
  /// last attempt. On failure the previous list stays in force and `error` says why.
  /// Control thread.
  CrlReload reload_crl(bool force, std::string& error);

  bool has_crl() const { return !listener_.tls.crl_file.empty(); }
  const config::Listener& listener() const { return listener_; }
  /// "tls://HOST:PORT" for log lines.
  const std::string& name() const { return name_; }
  std::chrono::milliseconds handshake_timeout() const {
    return std::chrono::milliseconds(listener_.tls.handshake_timeout_ms);
  }

 private:
  struct Crls;
  struct FileStamp {
    std::filesystem::file_time_type mtime{};
    std::uintmax_t size = 0;
    bool operator==(const FileStamp&) const = default;
  };

  /// Reads every CRL in crl_file. Throws std::runtime_error.
  std::shared_ptr<const Crls> load_crls() const;
  /// A complete SSL_CTX for the current settings and `crls` (may be null). Throws
  /// std::runtime_error.
  std::shared_ptr<ssl_ctx_st> make_ctx(const Crls* crls) const;
  FileStamp crl_stamp() const;

  const config::Listener listener_;
  const std::string name_;
  // The socket BIO of this listener's connections: send() with MSG_NOSIGNAL, so a peer that
  // closed cannot raise SIGPIPE (OpenSSL's own socket BIO uses write()).
  bio_method_st* bio_method_ = nullptr;
  std::array<unsigned char, 80> ticket_keys_{};  // name(16) + HMAC(32) + AES(32), per listener
  FileStamp crl_stamp_;                          // control thread only
  mutable std::mutex mu_;
  std::shared_ptr<ssl_ctx_st> ctx_;   // guarded by mu_
  std::shared_ptr<const Crls> crls_;  // guarded by mu_
};

/// What a verified client certificate says: subject CN, every OU, SAN URIs, serial and SHA-256
/// fingerprint (lower-case hex).
auth::CertificateInfo certificate_info(x509_st* cert);

}  // namespace gridmq::net
