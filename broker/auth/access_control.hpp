#pragma once
// AccessControl: who a client is and what it may do, for one broker (design.md §2.2). It holds
//   - the certificate mapping and the client-id rule ([identity]);
//   - the password file and its verifier thread ([auth] password_file, failed_auth_delay_ms);
//   - the v2 ACL engine: the policy ([auth] acl_policy_file, or the built-in metering profile)
//     and the hub -> meters bindings ([auth] bindings_file). It decides for every client that
//     has a principal (a mapped certificate or a password-file user);
//   - the v1 ACL ([auth] acl_file, per client id; everything allowed when unset). It decides for
//     anonymous clients only (listeners with auth = "anonymous").
// reload() re-reads the policy, bindings and password files (SIGHUP); a file with an error is
// refused and the previous version stays in force. reload_changed() re-reads the bindings file
// when its modification time or size changed (polled by the server).
//
// THREADING: allowed(), cert_mapping(), verify_password() may run on any thread at any time,
// also during reload(); each decision reads one consistent snapshot of the policy and bindings.
// reload() and reload_changed() are serialised with each other.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/acl.hpp"
#include "auth/acl_engine.hpp"
#include "auth/bindings.hpp"
#include "auth/cert_mapping.hpp"
#include "auth/password_file.hpp"
#include "auth/password_verifier.hpp"
#include "auth/principal.hpp"

namespace gridmq::auth {

/// How a listener authenticates its clients ([[listener]] auth).
enum class Authentication : std::uint8_t {
  kAnonymous,              // no principal; the v1 acl_file decides
  kCertificate,            // the verified client certificate, mapped to a principal
  kPassword,               // user name + password from the password file
  kCertificateOrPassword,  // the certificate if the client sent one, else user name + password
};

/// "anonymous", "certificate", "password", "certificate_or_password" -> value; else nullopt.
std::optional<Authentication> parse_authentication(std::string_view name);
std::string_view authentication_name(Authentication a);

struct AccessControlOptions {
  CertMappingOptions mapping;
  bool require_client_id_match = true;
  std::string password_file;    // "" = no password logins
  std::string acl_policy_file;  // "" = the built-in metering profile
  std::string bindings_file;    // "" = no hub has meters
  std::chrono::milliseconds failed_auth_delay{1000};
};

class AccessControl {
 public:
  /// Defaults (built-in metering profile, no bindings, no passwords) and `anonymous_acl`.
  explicit AccessControl(Acl anonymous_acl = Acl::allow_all());
  /// Loads the files `options` names. Throws PasswordFileError, AclPolicyError or BindingsError
  /// (startup only).
  AccessControl(AccessControlOptions options, Acl anonymous_acl);
  ~AccessControl();
  AccessControl(const AccessControl&) = delete;
  AccessControl& operator=(const AccessControl&) = delete;

  const CertMapping& cert_mapping() const { return mapping_; }
  bool require_client_id_match() const { return options_.require_client_id_match; }
  const AccessControlOptions& options() const { return options_; }
  /// The live hub -> meters table (plugins check hub publishes against it).
  const Bindings& bindings() const { return *bindings_; }

  /// `principal` null: the v1 ACL by client id; else the v2 engine.
  bool allowed(Access access, const Principal* principal, std::string_view client_id,
               std::string_view topic_or_filter) const;

  bool has_password_file() const { return verifier_ != nullptr; }

  /// Checks a password on the verifier thread; `done` runs there with the principal, or with
  /// nullopt failed_auth_delay after a failed check. False (`done` not called) when there is no
  /// password file or too many checks are waiting.
  [[nodiscard]] bool verify_password(std::string username, std::string password,
                                     PasswordVerifier::Done done);

  struct ReloadReport {
    std::vector<std::string> reloaded;  // "ACL policy <path> (N rules)", ...
    std::vector<std::string> errors;    // "<file>:<line>: problem; the previous ... stays"
  };
  /// Re-reads every configured file (SIGHUP).
  ReloadReport reload();
  /// Re-reads the bindings file if it changed since it was last read.
  ReloadReport reload_changed();

  /// Stops the verifier thread (waiting checks are answered as failures). Before the network
  /// workers stop.
  void stop();

 private:
  struct FileStamp {
    std::filesystem::file_time_type mtime{};
    std::uintmax_t size = 0;
    bool operator==(const FileStamp&) const = default;
  };
  static FileStamp stamp(const std::string& path);
  void reload_bindings(ReloadReport& report);

  const AccessControlOptions options_;
  const CertMapping mapping_;
  const Acl anonymous_acl_;
  std::shared_ptr<Bindings> bindings_;
  std::atomic<std::shared_ptr<const AclEngine>> engine_;
  std::atomic<std::shared_ptr<const PasswordFile>> passwords_;
  std::unique_ptr<PasswordVerifier> verifier_;  // when there is a password file
  std::mutex reload_mu_;
  FileStamp bindings_stamp_;  // guarded by reload_mu_
};

}  // namespace gridmq::auth
