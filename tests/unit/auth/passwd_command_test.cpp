// `gridmq passwd FILE USER ROLE` end to end on temporary files.

#include "auth/passwd_command.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <sstream>
#include <vector>

#include "auth/password_file.hpp"
#include "auth_test_util.hpp"

namespace gridmq::auth {
namespace {

struct CommandRun {
  int code = -1;
  std::string out;
  std::string err;
};

CommandRun passwd(std::vector<std::string> args, std::istream& in) {
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  std::ostringstream out;
  std::ostringstream err;
  CommandRun run;
  run.code = run_passwd_command(static_cast<int>(argv.size()), argv.data(), in, out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

CommandRun passwd(std::vector<std::string> args, std::string input) {
  std::istringstream in(std::move(input));
  return passwd(std::move(args), in);
}

unsigned mode_of(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

TEST(PasswdCommand, AddsThenUpdates) {
  const test::TempDir dir;
  const std::string path = dir.file("passwords");

  const CommandRun added = passwd({"gridmq", "passwd", path, "alice", "operator"}, "first\n");
  ASSERT_EQ(added.code, 0) << added.err;
  EXPECT_EQ(added.out, "added user 'alice' (operator) in " + path + "\n");
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(PasswordFile::load_file(path).verify("alice", "first"),
            (Principal{"alice", Role::kOperator}));

  const CommandRun second = passwd({"gridmq", "passwd", path, "billing", "service"}, "svc-pw");
  ASSERT_EQ(second.code, 0) << second.err;  // no final newline on the input is fine

  const CommandRun updated = passwd({"gridmq", "passwd", path, "alice", "service"}, "second\r\n");
  ASSERT_EQ(updated.code, 0) << updated.err;
  EXPECT_EQ(updated.out, "updated user 'alice' (service) in " + path + "\n");
  EXPECT_EQ(mode_of(path), 0600u);

  const PasswordFile file = PasswordFile::load_file(path);
  EXPECT_EQ(file.size(), 2u);
  EXPECT_EQ(file.verify("alice", "first"), std::nullopt);
  EXPECT_EQ(file.verify("alice", "second"), (Principal{"alice", Role::kService}));
  EXPECT_EQ(file.verify("billing", "svc-pw"), (Principal{"billing", Role::kService}));

  // The update replaced alice's line in place: alice first, billing second.
  const std::string text = test::read_file(path);
  EXPECT_LT(text.find("alice:service:$pbkdf2-sha256$310000$"), text.find("billing:service:"));
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(PasswdCommand, KeepsCommentsAndOtherUsersAndTightensTheMode) {
  const test::TempDir dir;
  const std::string other = "bob:operator:" + hash_password("bob-pw", pbkdf2::kMinIterations);
  const std::string path = dir.write("passwords", "# ops team\n" + other + "\n\n# services\n");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);

  const CommandRun run = passwd({"gridmq", "passwd", path, "carol", "operator"}, "carol-pw\n");
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(mode_of(path), 0600u);
  const std::string text = test::read_file(path);
  EXPECT_TRUE(text.starts_with("# ops team\n" + other + "\n\n# services\ncarol:operator:")) << text;
  const PasswordFile file = PasswordFile::load_file(path);
  EXPECT_TRUE(file.verify("bob", "bob-pw").has_value());
  EXPECT_TRUE(file.verify("carol", "carol-pw").has_value());
}

TEST(PasswdCommand, ReadsThePasswordFromAPipeOnStdin) {
  const test::TempDir dir;
  const std::string path = dir.file("passwords");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string input = "piped-pw\nignored second line\n";
  ASSERT_EQ(::write(fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(fds[1]);
  const int saved_stdin = ::dup(STDIN_FILENO);
  ASSERT_GE(saved_stdin, 0);
  ASSERT_EQ(::dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
  ::close(fds[0]);

  const CommandRun run = passwd({"gridmq", "passwd", path, "svc", "service"}, std::cin);

  ::dup2(saved_stdin, STDIN_FILENO);
  ::close(saved_stdin);
  std::cin.clear();
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err, "");  // no prompt when stdin is not a terminal
  EXPECT_TRUE(PasswordFile::load_file(path).verify("svc", "piped-pw").has_value());
  EXPECT_EQ(mode_of(path), 0600u);
}

TEST(PasswdCommand, UsageErrors) {
  const test::TempDir dir;
  const std::string path = dir.file("passwords");
  const CommandRun few = passwd({"gridmq", "passwd", path, "alice"}, "pw\n");
  EXPECT_EQ(few.code, 2);
  EXPECT_TRUE(few.err.starts_with("usage: gridmq passwd FILE USER ROLE")) << few.err;

  const CommandRun meter = passwd({"gridmq", "passwd", path, "m1", "meter"}, "pw\n");
  EXPECT_EQ(meter.code, 2);
  EXPECT_NE(meter.err.find("role 'meter' cannot use a password"), std::string::npos);
  EXPECT_EQ(passwd({"gridmq", "passwd", path, "h1", "hub"}, "pw\n").code, 2);
  EXPECT_EQ(passwd({"gridmq", "passwd", path, "x", "admin"}, "pw\n").code, 2);

  for (const std::string user : {"a:b", "a/b", "+", "#", "$x", "", "a b"}) {
    const CommandRun bad = passwd({"gridmq", "passwd", path, user, "operator"}, "pw\n");
    EXPECT_EQ(bad.code, 2) << user;
    EXPECT_NE(bad.err.find("is not a valid username"), std::string::npos) << user;
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(PasswdCommand, BadPasswordInput) {
  const test::TempDir dir;
  const std::string path = dir.file("passwords");
  const CommandRun none = passwd({"gridmq", "passwd", path, "alice", "operator"}, "");
  EXPECT_EQ(none.code, 1);
  EXPECT_EQ(none.err, "gridmq passwd: no password on stdin\n");
  const CommandRun empty = passwd({"gridmq", "passwd", path, "alice", "operator"}, "\n");
  EXPECT_EQ(empty.code, 1);
  EXPECT_EQ(empty.err, "gridmq passwd: the password must not be empty\n");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(PasswdCommand, MalformedFileIsLeftAlone) {
  const test::TempDir dir;
  const std::string content = "# ok\nalice:operator:plaintext-password\n";
  const std::string path = dir.write("passwords", content);
  const CommandRun run = passwd({"gridmq", "passwd", path, "bob", "operator"}, "pw\n");
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find(path + ":2: the hash must start with"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("file left unchanged"), std::string::npos);
  EXPECT_EQ(test::read_file(path), content);
}

TEST(PasswdCommand, UnwritableDirectoryFails) {
  const test::TempDir dir;
  const std::string path = dir.file("no-such-dir/passwords");
  const CommandRun run = passwd({"gridmq", "passwd", path, "alice", "operator"}, "pw\n");
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("cannot create a temporary file"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace gridmq::auth
