#include "auth/passwd_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "auth/password_file.hpp"
#include "auth/principal.hpp"
#include "auth/text_file.hpp"

namespace gridmq::auth {
namespace {

constexpr std::string_view kUsage =
    "usage: gridmq passwd FILE USER ROLE\n"
    "  Adds USER with ROLE (operator or service) to the password file FILE, or updates it.\n"
    "  The password is read from stdin: asked for twice (no echo) on a terminal, otherwise the\n"
    "  first line of the input.\n";

/// The longest password accepted (the MQTT password field holds at most 65535 bytes).
constexpr std::size_t kMaxPassword = 65535;

std::string errno_text(int error) {
  return std::generic_category().message(error);
}

/// Turns terminal echo off for its lifetime.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~EchoOff() {
    if (active_) {
      ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

std::optional<std::string> read_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) {
    return std::nullopt;  // nothing at all before the end of the input
  }
  if (line.ends_with('\r')) {
    line.pop_back();
  }
  return line;
}

/// The password, or nullopt after writing the reason to `err`.
std::optional<std::string> read_password(std::istream& in, std::ostream& err) {
  const bool terminal = &in == &std::cin && ::isatty(STDIN_FILENO) == 1;
  std::optional<std::string> password;
  if (terminal) {
    const EchoOff echo_off(STDIN_FILENO);
    err << "Password: " << std::flush;
    password = read_line(in);
    err << "\nRetype password: " << std::flush;
    const std::optional<std::string> again = read_line(in);
    err << "\n";
    if (password && again && *password != *again) {
      err << "gridmq passwd: the passwords do not match\n";
      return std::nullopt;
    }
  } else {
    password = read_line(in);
  }
  if (!password) {
    err << "gridmq passwd: no password on stdin\n";
    return std::nullopt;
  }
  if (password->empty()) {
    err << "gridmq passwd: the password must not be empty\n";
    return std::nullopt;
  }
  if (password->size() > kMaxPassword) {
    err << "gridmq passwd: the password is longer than " << kMaxPassword << " bytes\n";
    return std::nullopt;
  }
  return password;
}

/// The username of a user line of the password file ("" for blank and comment lines).
std::string_view user_of(std::string_view line) {
  if (detail::is_blank_or_comment(line)) {
    return {};
  }
  const std::string_view content = detail::trim(line);
  return content.substr(0, content.find(':'));
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Writes `content` to `path` atomically with mode 0600; "" on success, else the problem.
std::string replace_file(const std::string& path, std::string_view content) {
  const std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  std::string temp = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    return "cannot create a temporary file in '" + dir.string() + "': " + errno_text(errno);
  }
  const auto fail = [&](std::string what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return what + ": " + errno_text(error);
  };
  if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0) {
    return fail("cannot set the mode of '" + temp + "'");
  }
  if (!write_all(fd, content)) {
    return fail("cannot write '" + temp + "'");
  }
  if (::fsync(fd) != 0) {
    return fail("cannot flush '" + temp + "'");
  }
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return "cannot write '" + temp + "': " + errno_text(error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return "cannot rename '" + temp + "' to '" + path + "': " + errno_text(error);
  }
  // Make the rename itself durable.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

}  // namespace

int run_passwd_command(int argc, char** argv, std::istream& in, std::ostream& out,
                       std::ostream& err) {
  if (argc != 5 || std::string_view(argv[1]) != "passwd") {
    err << kUsage;
    return 2;
  }
  const std::string path = argv[2];
  const std::string_view user = argv[3];
  const std::string_view role_name_arg = argv[4];
  if (!is_valid_principal_id(user)) {
    err << "gridmq passwd: '" << user
        << "' is not a valid username (empty, too long, or contains ':', '+', '#', '/', a blank "
           "or a control character, or starts with '$')\n";
    return 2;
  }
  const std::optional<Role> role = parse_role(role_name_arg);
  if (!role || !may_use_password(*role)) {
    err << "gridmq passwd: role '" << role_name_arg
        << "' cannot use a password: use operator or service (meters and hubs use certificates)\n";
    return 2;
  }

  // The current file, which must be valid: never rewrite a file we do not understand.
  std::string text;
  std::error_code exists_error;
  const bool exists = std::filesystem::exists(path, exists_error);
  if (exists_error) {
    err << "gridmq passwd: cannot access '" << path << "': " << exists_error.message() << "\n";
    return 1;
  }
  if (exists) {
    std::string problem;
    if (!detail::read_text_file(path, "password file", text, problem)) {
      err << "gridmq passwd: " << problem << "\n";
      return 1;
    }
    try {
      (void)PasswordFile::parse(text, path);
    } catch (const PasswordFileError& e) {
      err << "gridmq passwd: " << e.what() << " (file left unchanged)\n";
      return 1;
    }
  }

  const std::optional<std::string> password = read_password(in, err);
  if (!password) {
    return 1;
  }
  std::string entry;
  try {
    entry =
        std::string(user) + ":" + std::string(role_name(*role)) + ":" + hash_password(*password);
  } catch (const std::runtime_error& e) {
    err << "gridmq passwd: " << e.what() << "\n";
    return 1;
  }

  std::string updated;
  bool replaced = false;
  for (const detail::NumberedLine& line : detail::split_lines(text)) {
    if (user_of(line.text) == user) {
      updated.append(entry);
      replaced = true;
    } else {
      updated.append(line.text);
    }
    updated += '\n';
  }
  if (!replaced) {
    updated.append(entry).append("\n");
  }

  if (const std::string problem = replace_file(path, updated); !problem.empty()) {
    err << "gridmq passwd: " << problem << "\n";
    return 1;
  }
  out << (replaced ? "updated" : "added") << " user '" << user << "' (" << role_name(*role)
      << ") in " << path << "\n";
  return 0;
}

}  // namespace gridmq::auth
