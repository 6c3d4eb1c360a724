#pragma once
// Password authentication for operators and services (design.md §2.2). Meters and hubs never
// authenticate by password: they use their client certificate.
//
// FILE FORMAT ([auth] password_file; maintained with `gridmq passwd FILE USER ROLE`), one user per
// line; blank lines and lines whose first non-blank character is '#' are ignored:
//   <username>:<role>:$pbkdf2-sha256$<iterations>$<salt>$<hash>
// username  a valid principal id (is_valid_principal_id: no ':', '+', '#', '/', blanks, control
//           characters; not starting with '$'); each username at most once.
// role      operator or service.
// iterations  PBKDF2-HMAC-SHA256 iterations, decimal, kMinIterations to kMaxIterations.
// salt      standard base64 with '=' padding, at least 16 bytes once decoded (new hashes: 16
//           random bytes from RAND_bytes).
// hash      standard base64 with '=' padding of the 32-byte PBKDF2-HMAC-SHA256 output.
// Errors name "file:line" and the problem.
//
// COST: verify() runs PBKDF2 (hundreds of thousands of HMAC-SHA256 rounds: tens of milliseconds
// of CPU). Run it off the network threads, and apply the configured failed_auth_delay_ms to
// failures there as well. verify() spends the same work on an unknown user as on a known one, so
// its timing does not tell which usernames exist.
//
// THREADING: PasswordFile is immutable; verify() may run concurrently on any threads.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/principal.hpp"

namespace gridmq::auth {

namespace pbkdf2 {
inline constexpr std::uint32_t kMinIterations = 100'000;
inline constexpr std::uint32_t kMaxIterations = 10'000'000;
inline constexpr std::uint32_t kDefaultIterations = 310'000;
inline constexpr std::size_t kSaltBytes = 16;
inline constexpr std::size_t kHashBytes = 32;
inline constexpr std::string_view kScheme = "$pbkdf2-sha256$";
}  // namespace pbkdf2

/// A bad password file; the message names "origin:line" and the problem.
class PasswordFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// "$pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>" for `password` with a fresh 16-byte
/// random salt. Throws std::runtime_error if the random generator or PBKDF2 fails, or if
/// `iterations` is outside [kMinIterations, kMaxIterations].
std::string hash_password(std::string_view password,
                          std::uint32_t iterations = pbkdf2::kDefaultIterations);

/// Why an encoded hash is not usable, or "" if it is.
std::string check_password_hash(std::string_view encoded);

/// Whether `password` matches `encoded` (constant-time comparison of the derived keys). False for
/// a malformed `encoded`.
bool verify_password_hash(std::string_view password, std::string_view encoded);

/// Standard base64 with '=' padding (exposed for tests).
std::string base64_encode(std::string_view bytes);
/// Strict decoding of standard padded base64; nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

/// Roles that may authenticate by password: operator and service.
bool may_use_password(Role role);

class PasswordFile {
 public:
  /// An empty file: every verify() fails.
  PasswordFile() = default;

  /// Parses the format above; `origin` names the text in messages. Throws PasswordFileError.
  static PasswordFile parse(std::string_view text, const std::string& origin);

  /// Reads and parses `path`. Throws PasswordFileError (unreadable file included).
  static PasswordFile load_file(const std::string& path);

  /// The principal {username, role} if `password` is right for `username`; nullopt for a wrong
  /// password or an unknown user (the caller cannot and should not tell which).
  [[nodiscard]] std::optional<Principal> verify(std::string_view username,
                                                std::string_view password) const;

  std::size_t size() const { return users_.size(); }
  bool contains(std::string_view username) const { return find(username) != nullptr; }

 private:
  struct Entry {
    Role role = Role::kNone;
    std::uint32_t iterations = 0;
    std::string salt;  // decoded
    std::string hash;  // decoded, kHashBytes
    std::uint32_t line = 0;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  const Entry* find(std::string_view username) const;

  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> users_;
  Entry dummy_;  // verified against for unknown users, so they cost the same time
};

}  // namespace gridmq::auth
