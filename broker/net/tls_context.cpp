#include "net/tls_context.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace gridmq::net {

namespace {

// Most CRLs read from one file (one per CA is typical).
constexpr int kMaxCrlsPerFile = 1024;
// Longest client certificate chain accepted (client, intermediates, root).
constexpr int kVerifyDepth = 5;

/// The oldest OpenSSL error as text (and the queue cleared), for startup messages.
std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0x0f]);
  }
  return out;
}

std::string asn1_to_utf8(const ASN1_STRING* value) {
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, value);
  if (n < 0) return {};
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::vector<std::string> name_entries(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  const int count = X509_NAME_entry_count(name);
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0 && i < count;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    out.push_back(asn1_to_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))));
  }
  return out;
}

// The socket BIO: the descriptor is the BIO's data; it is never closed here.
int socket_fd(BIO* bio) {
  return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
}

bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

int bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::send(socket_fd(bio), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (n < 0) {
    if (would_block(errno)) BIO_set_retry_write(bio);
    return -1;
  }
  return static_cast<int>(n);
}

int bio_read(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::recv(socket_fd(bio), data, static_cast<std::size_t>(size), 0);
  if (n < 0) {
    if (would_block(errno)) BIO_set_retry_read(bio);
    return -1;
  }
  return static_cast<int>(n);  // 0: the peer closed
}

long bio_ctrl(BIO*, int command, long, void*) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

}  // namespace

struct TlsContext::Crls {
  std::vector<X509_CRL*> lists;
  Crls() = default;
  Crls(const Crls&) = delete;
  Crls& operator=(const Crls&) = delete;
  ~Crls() {
    for (X509_CRL* crl : lists) X509_CRL_free(crl);
  }
};

TlsContext::TlsContext(const config::Listener& listener)
    : listener_(listener),
      name_(listener.scheme + "://" + listener.host + ":" + std::to_string(listener.port)) {
  if (RAND_bytes(ticket_keys_.data(), static_cast<int>(ticket_keys_.size())) != 1) {
    throw std::runtime_error("listener " + name_ + ": no random bytes for session ticket keys");
  }
  bio_method_ = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "gridmq socket");
  if (bio_method_ == nullptr || BIO_meth_set_write(bio_method_, bio_write) != 1 ||
      BIO_meth_set_read(bio_method_, bio_read) != 1 ||
      BIO_meth_set_ctrl(bio_method_, bio_ctrl) != 1) {
    BIO_meth_free(bio_method_);
    throw std::runtime_error("listener " + name_ + ": cannot create the socket BIO");
  }
  std::shared_ptr<const Crls> crls;
  if (has_crl()) {
    crl_stamp_ = crl_stamp();
    crls = load_crls();
  }
  try {
    ctx_ = make_ctx(crls.get());
  } catch (...) {
    BIO_meth_free(bio_method_);
    throw;
  }
  crls_ = std::move(crls);
}

TlsContext::~TlsContext() {
  OPENSSL_cleanse(ticket_keys_.data(), ticket_keys_.size());
  BIO_meth_free(bio_method_);
}

std::shared_ptr<ssl_ctx_st> TlsContext::make_ctx(const Crls* crls) const {
  const auto& tls = listener_.tls;
  const auto fail = [this](const std::string& what) {
    throw std::runtime_error("listener " + name_ + ": " + what + ": " + openssl_error());
  };
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) fail("cannot create the TLS context");
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_app_data(c, const_cast<TlsContext*>(this));  // for TlsContext::of

  SSL_CTX_set_min_proto_version(c, tls.min_tls_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_options(
      c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // Idle connections give their record buffers back; writes may be partial and resumed from a
  // moved buffer (the connection's output string).
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_set_cipher_list(c, tls.ciphers.c_str()) != 1) {
    fail("listener.ciphers '" + tls.ciphers + "'");
  }
  if (SSL_CTX_set_ciphersuites(c, tls.ciphersuites.c_str()) != 1) {
    fail("listener.ciphersuites '" + tls.ciphersuites + "'");
  }
  if (SSL_CTX_set1_groups_list(c, tls.groups.c_str()) != 1) {
    fail("listener.groups '" + tls.groups + "'");
  }
  if (SSL_CTX_use_certificate_chain_file(c, tls.cert_file.c_str()) != 1) {
    fail("listener.cert_file '" + tls.cert_file + "'");
  }
  if (SSL_CTX_use_PrivateKey_file(c, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      fail("listener.key_file '" + tls.key_file + "' does not match listener.cert_file '" +
           tls.cert_file + "'");
    }
    fail("listener.key_file '" + tls.key_file + "'");
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    fail("listener.key_file '" + tls.key_file + "' does not match listener.cert_file '" +
         tls.cert_file + "'");
  }
  if (!tls.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c, tls.ca_file.c_str(), nullptr) != 1) {
      fail("listener.ca_file '" + tls.ca_file + "'");
    }
    // Tells clients which CAs are accepted (clients with several certificates pick by it).
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.ca_file.c_str());
    if (names == nullptr) fail("listener.ca_file '" + tls.ca_file + "': no CA certificate");
    SSL_CTX_set_client_CA_list(c, names);
    int mode = SSL_VERIFY_PEER;
    if (tls.require_client_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(c, mode, nullptr);
    SSL_CTX_set_verify_depth(c, kVerifyDepth);
  } else {
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
  }
  if (crls != nullptr) {
    X509_STORE* store = SSL_CTX_get_cert_store(c);
    for (X509_CRL* crl : crls->lists) {
      if (X509_STORE_add_crl(store, crl) != 1) fail("listener.crl_file '" + tls.crl_file + "'");
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }

  // Resumption: stateless tickets, one per full handshake, with keys shared by every SSL_CTX of
  // this listener (reloads included). No server-side session cache (memory).
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(c, 1);
  if (SSL_CTX_set_tlsext_ticket_keys(c, const_cast<unsigned char*>(ticket_keys_.data()),
                                     static_cast<long>(ticket_keys_.size())) != 1) {
    fail("cannot set the session ticket keys");
  }
  // Sessions of this listener only (a client certificate was verified for them).
  const std::string sid = "gridmq " + name_;
  SSL_CTX_set_session_id_context(
      c, reinterpret_cast<const unsigned char*>(sid.data()),
      static_cast<unsigned>(std::min<std::size_t>(sid.size(), SSL_MAX_SID_CTX_LENGTH)));
  ERR_clear_error();
  return ctx;
}

TlsContext::FileStamp TlsContext::crl_stamp() const {
  std::error_code ec;
  FileStamp stamp;
  stamp.mtime = std::filesystem::last_write_time(listener_.tls.crl_file, ec);
  if (ec) return FileStamp{};
  stamp.size = std::filesystem::file_size(listener_.tls.crl_file, ec);
  if (ec) return FileStamp{};
  return stamp;
}

std::shared_ptr<const TlsContext::Crls> TlsContext::load_crls() const {
  const std::string& path = listener_.tls.crl_file;
  std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (!in) {
    throw std::runtime_error("listener " + name_ + ": listener.crl_file '" + path +
                             "': cannot read: " + openssl_error());
  }
  auto crls = std::make_shared<Crls>();
  for (int i = 0; i < kMaxCrlsPerFile; ++i) {
    X509_CRL* crl = PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr);
    if (crl == nullptr) break;
    crls->lists.push_back(crl);
  }
  const unsigned long last = ERR_peek_last_error();
  ERR_clear_error();
  // Reading stops at the end of the file ("no start line"); anything else is a damaged file.
  if (crls->lists.empty() || (last != 0 && ERR_GET_REASON(last) != PEM_R_NO_START_LINE)) {
    throw std::runtime_error("listener " + name_ + ": listener.crl_file '" + path +
                             "': no valid PEM CRL in the file");
  }
  return crls;
}

TlsContext::CrlReload TlsContext::reload_crl(bool force, std::string& error) {
  if (!has_crl()) return CrlReload::kUnchanged;
  const FileStamp stamp = crl_stamp();
  if (!force && stamp == crl_stamp_) return CrlReload::kUnchanged;
  crl_stamp_ = stamp;
  try {
    auto crls = load_crls();
    auto ctx = make_ctx(crls.get());
    const std::lock_guard lock(mu_);
    ctx_ = std::move(ctx);
    crls_ = std::move(crls);
  } catch (const std::exception& e) {
    error = e.what();
    return CrlReload::kFailed;
  }
  return CrlReload::kReloaded;
}

ssl_st* TlsContext::new_ssl(int fd) const {
  std::shared_ptr<SSL_CTX> ctx;
  {
    const std::lock_guard lock(mu_);
    ctx = ctx_;
  }
  SSL* ssl = SSL_new(ctx.get());  // the SSL keeps its own reference to ctx
  if (ssl == nullptr) return nullptr;
  BIO* bio = BIO_new(bio_method_);
  if (bio == nullptr) {
    SSL_free(ssl);
    return nullptr;
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)));
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // the SSL owns the BIO (one reference for both directions)
  return ssl;
}

TlsContext& TlsContext::of(const ssl_st* ssl) {
  return *static_cast<TlsContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

bool TlsContext::is_revoked(x509_st* cert) const {
  if (cert == nullptr) return false;
  std::shared_ptr<const Crls> crls;
  {
    const std::lock_guard lock(mu_);
    crls = crls_;
  }
  if (!crls) return false;
  const X509_NAME* issuer = X509_get_issuer_name(cert);
  for (X509_CRL* crl : crls->lists) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), issuer) != 0) continue;
    X509_REVOKED* entry = nullptr;
    if (X509_CRL_get0_by_cert(crl, &entry, cert) == 1) return true;
  }
  return false;
}

auth::CertificateInfo certificate_info(x509_st* cert) {
  auth::CertificateInfo info;
  if (cert == nullptr) return info;
  const X509_NAME* subject = X509_get_subject_name(cert);
  auto cn = name_entries(subject, NID_commonName);
  if (!cn.empty()) info.subject_cn = std::move(cn.front());
  info.subject_ou = name_entries(subject, NID_organizationalUnitName);

  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    const int n = sk_GENERAL_NAME_num(sans);
    for (int i = 0; i < n; ++i) {
      const GENERAL_NAME* san = sk_GENERAL_NAME_value(sans, i);
      if (san->type == GEN_URI) {
        const ASN1_IA5STRING* uri = san->d.uniformResourceIdentifier;
        info.san_uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                                   static_cast<std::size_t>(ASN1_STRING_length(uri)));
      }
    }
    GENERAL_NAMES_free(sans);
  }

  if (BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    std::vector<unsigned char> bytes(static_cast<std::size_t>(BN_num_bytes(serial)));
    BN_bn2bin(serial, bytes.data());
    info.serial_hex = bytes.empty() ? "00" : to_hex(bytes.data(), bytes.size());
    BN_free(serial);
  }

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) {
    info.sha256_fingerprint = to_hex(md, md_len);
  }
  return info;
}

}  // namespace gridmq::net
