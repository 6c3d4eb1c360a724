#include "auth/password_file.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <climits>

#include "auth/text_file.hpp"

namespace gridmq::auth {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/// The decoded fields of "$pbkdf2-sha256$<iterations>$<salt>$<hash>".
struct ParsedHash {
  std::uint32_t iterations = 0;
  std::string salt;
  std::string hash;
};

/// Parses `encoded`; on error returns nullopt and sets `problem`.
std::optional<ParsedHash> parse_hash(std::string_view encoded, std::string& problem) {
  if (!encoded.starts_with(pbkdf2::kScheme)) {
    problem = "the hash must start with '$pbkdf2-sha256$'";
    return std::nullopt;
  }
  std::string_view rest = encoded.substr(pbkdf2::kScheme.size());
  std::array<std::string_view, 3> parts;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto dollar = rest.find('$');
    if ((dollar == std::string_view::npos) != (i + 1 == parts.size())) {
      problem = "expected '$pbkdf2-sha256$<iterations>$<salt>$<hash>'";
      return std::nullopt;
    }
    parts[i] = rest.substr(0, dollar);
    rest = dollar == std::string_view::npos ? std::string_view() : rest.substr(dollar + 1);
  }
  ParsedHash parsed;
  const std::string_view digits = parts[0];
  std::uint64_t iterations = 0;
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), iterations);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
      iterations < pbkdf2::kMinIterations || iterations > pbkdf2::kMaxIterations) {
    problem = "iterations '" + std::string(digits) + "' must be a number from " +
              std::to_string(pbkdf2::kMinIterations) + " to " +
              std::to_string(pbkdf2::kMaxIterations);
    return std::nullopt;
  }
  parsed.iterations = static_cast<std::uint32_t>(iterations);
  auto salt = base64_decode(parts[1]);
  if (!salt || salt->size() < pbkdf2::kSaltBytes) {
    problem = "the salt must be padded base64 of at least " + std::to_string(pbkdf2::kSaltBytes) +
              " bytes";
    return std::nullopt;
  }
  auto hash = base64_decode(parts[2]);
  if (!hash || hash->size() != pbkdf2::kHashBytes) {
    problem = "the hash must be padded base64 of " + std::to_string(pbkdf2::kHashBytes) + " bytes";
    return std::nullopt;
  }
  parsed.salt = std::move(*salt);
  parsed.hash = std::move(*hash);
  return parsed;
}

/// PBKDF2-HMAC-SHA256 of `password`. Throws std::runtime_error if OpenSSL fails.
std::string derive(std::string_view password, std::string_view salt, std::uint32_t iterations) {
  std::string key(pbkdf2::kHashBytes, '\0');
  if (password.size() > INT_MAX || salt.size() > INT_MAX ||
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(key.size()),
                        reinterpret_cast<unsigned char*>(key.data())) != 1) {
    throw std::runtime_error("PBKDF2-HMAC-SHA256 failed");
  }
  return key;
}

/// Constant-time equality of two equally long byte strings (lengths are not secret).
bool same_bytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

[[noreturn]] void fail(const std::string& origin, std::uint32_t line, std::string_view problem) {
  std::string message = origin + ":" + std::to_string(line) + ": ";
  message.append(problem);
  throw PasswordFileError(message);
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group =
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
        static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += kAlphabet[(group >> 6) & 63];
    out += kAlphabet[group & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (left == 2) {
      group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += left == 2 ? kAlphabet[(group >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::size_t padding = 0;
  if (text.ends_with("==")) {
    padding = 2;
  } else if (text.ends_with("=")) {
    padding = 1;
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      int value = 0;
      if (c == '=') {
        if (!last || j < 4 - padding) {
          return std::nullopt;  // '=' only as the padding at the very end
        }
      } else {
        value = base64_value(c);
        if (value < 0) {
          return std::nullopt;
        }
      }
      group = group << 6 | static_cast<std::uint32_t>(value);
    }
    const std::size_t count = last ? 3 - padding : 3;
    // Bits below the last byte must be zero (canonical encoding).
    if (count == 1 && (group & 0xFFFF) != 0) return std::nullopt;
    if (count == 2 && (group & 0xFF) != 0) return std::nullopt;
    out += static_cast<char>((group >> 16) & 0xFF);
    if (count >= 2) out += static_cast<char>((group >> 8) & 0xFF);
    if (count == 3) out += static_cast<char>(group & 0xFF);
  }
  return out;
}

std::string hash_password(std::string_view password, std::uint32_t iterations) {
  if (iterations < pbkdf2::kMinIterations || iterations > pbkdf2::kMaxIterations) {
    throw std::runtime_error("PBKDF2 iterations out of range");
  }
  std::array<unsigned char, pbkdf2::kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    throw std::runtime_error("the random generator failed (RAND_bytes)");
  }
  const std::string_view salt_bytes(reinterpret_cast<const char*>(salt.data()), salt.size());
  const std::string key = derive(password, salt_bytes, iterations);
  std::string encoded(pbkdf2::kScheme);
  encoded.append(std::to_string(iterations))
      .append("$")
      .append(base64_encode(salt_bytes))
      .append("$")
      .append(base64_encode(key));
  return encoded;
}

std::string check_password_hash(std::string_view encoded) {
  std::string problem;
  parse_hash(encoded, problem);
  return problem;
}

bool verify_password_hash(std::string_view password, std::string_view encoded) {
  std::string problem;
  const auto parsed = parse_hash(encoded, problem);
  if (!parsed) {
    return false;
  }
  return same_bytes(derive(password, parsed->salt, parsed->iterations), parsed->hash);
}

bool may_use_password(Role role) {
  return role == Role::kOperator || role == Role::kService;
}

PasswordFile PasswordFile::parse(std::string_view text, const std::string& origin) {
  PasswordFile file;
  for (const detail::NumberedLine& line : detail::split_lines(text)) {
    if (detail::is_blank_or_comment(line.text)) {
      continue;
    }
    const std::string_view content = detail::trim(line.text);
    const auto first = content.find(':');
    const auto second = first == std::string_view::npos ? first : content.find(':', first + 1);
    if (second == std::string_view::npos) {
      fail(origin, line.number, "expected '<username>:<role>:$pbkdf2-sha256$...'");
    }
    const std::string_view username = content.substr(0, first);
    const std::string_view role_text = content.substr(first + 1, second - first - 1);
    const std::string_view encoded = content.substr(second + 1);
    if (!is_valid_principal_id(username)) {
      fail(origin, line.number,
           "username '" + std::string(username) +
               "' is not valid (empty, too long, or contains '+', '#', '/', ':', a blank or a "
               "control character, or starts with '$')");
    }
    const std::optional<Role> role = parse_role(role_text);
    if (!role || !may_use_password(*role)) {
      fail(origin, line.number,
           "role '" + std::string(role_text) +
               "' cannot use a password (only operator and service can; meters and hubs use "
               "certificates)");
    }
    std::string problem;
    auto parsed = parse_hash(encoded, problem);
    if (!parsed) {
      fail(origin, line.number, problem);
    }
    Entry entry{*role, parsed->iterations, std::move(parsed->salt), std::move(parsed->hash),
                line.number};
    const auto [it, inserted] = file.users_.try_emplace(std::string(username), std::move(entry));
    if (!inserted) {
      fail(origin, line.number,
           "user '" + std::string(username) + "' is already defined on line " +
               std::to_string(it->second.line));
    }
  }
  // The stand-in for unknown users costs what a real entry costs.
  file.dummy_.role = Role::kNone;
  file.dummy_.iterations =
      file.users_.empty() ? pbkdf2::kDefaultIterations : file.users_.begin()->second.iterations;
  file.dummy_.salt = std::string(pbkdf2::kSaltBytes, '\x5a');
  file.dummy_.hash = std::string(pbkdf2::kHashBytes, '\0');
  return file;
}

PasswordFile PasswordFile::load_file(const std::string& path) {
  std::string text;
  std::string problem;
  if (!detail::read_text_file(path, "password file", text, problem)) {
    throw PasswordFileError(problem);
  }
  return parse(text, path);
}

const PasswordFile::Entry* PasswordFile::find(std::string_view username) const {
  const auto it = users_.find(username);
  return it == users_.end() ? nullptr : &it->second;
}

std::optional<Principal> PasswordFile::verify(std::string_view username,
                                              std::string_view password) const {
  const Entry* entry = find(username);
  try {
    if (entry == nullptr) {
      if (dummy_.iterations != 0) {
        // Same work as for a real user; the result is ignored.
        (void)same_bytes(derive(password, dummy_.salt, dummy_.iterations), dummy_.hash);
      }
      return std::nullopt;
    }
    if (!same_bytes(derive(password, entry->salt, entry->iterations), entry->hash)) {
      return std::nullopt;
    }
  } catch (const std::runtime_error&) {
    return std::nullopt;  // OpenSSL failed: fail closed
  }
  return Principal{std::string(username), entry->role};
}

}  // namespace gridmq::auth
