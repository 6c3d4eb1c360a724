// Acl::parse / Acl::load_file: the rule file format and its errors.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "auth/acl.hpp"

namespace gridmq::auth {
namespace {

std::string parse_error(std::string_view text) {
  try {
    Acl::parse(text, "acl.txt");
  } catch (const AclError& e) {
    return e.what();
  }
  return "";
}

TEST(AclParse, CommentsAndBlankLinesAreIgnored) {
  const Acl acl = Acl::parse(
      "# header comment\n\n   # indented comment\n\t\n"
      "deny  subscribe *  secret/#\n"
      "allow all       *  #\n",
      "acl.txt");
  EXPECT_EQ(acl.rule_count(), 2u);
}

TEST(AclParse, TabsAndWindowsLineEndings) {
  const Acl acl = Acl::parse("allow\tpublish\tmeter-1\ta/b\r\n\r\nallow subscribe * c\r\n", "x");
  EXPECT_EQ(acl.rule_count(), 2u);
  EXPECT_TRUE(acl.allowed(Access::kPublish, "meter-1", "a/b"));
  EXPECT_TRUE(acl.allowed(Access::kSubscribe, "meter-1", "c"));
}

TEST(AclParse, EmptyTextHasNoRules) {
  EXPECT_EQ(Acl::parse("", "x").rule_count(), 0u);
  EXPECT_EQ(Acl::parse("# only a comment", "x").rule_count(), 0u);
}

TEST(AclParse, WrongFieldCountNamesTheLine) {
  EXPECT_EQ(parse_error("# comment\n\nallow publish *\n"),
            "acl.txt:3: expected 4 fields '<allow|deny> <publish|subscribe|all> <client-id or *> "
            "<topic-filter>', got 3");
  EXPECT_EQ(parse_error("allow all * a/b # trailing comment\n"),
            "acl.txt:1: expected 4 fields '<allow|deny> <publish|subscribe|all> <client-id or *> "
            "<topic-filter>', got 7");
}

TEST(AclParse, BadEffect) {
  EXPECT_EQ(parse_error("allow all * a\npermit all * a\n"),
            "acl.txt:2: 'permit' is not allow or deny");
}

TEST(AclParse, BadAccess) {
  EXPECT_EQ(parse_error("\n\nallow read * a\n"),
            "acl.txt:3: 'read' is not publish, subscribe or all");
}

TEST(AclParse, BadFilters) {
  const std::string invalid =
      "invalid topic filter (empty, or '+'/'#' not a whole level, or '#' not last)";
  EXPECT_EQ(parse_error("allow all * a/#/b\n"), "acl.txt:1: 'a/#/b': " + invalid);
  EXPECT_EQ(parse_error("\nallow all * a+/b\n"), "acl.txt:2: 'a+/b': " + invalid);
  EXPECT_EQ(parse_error("allow all * a/b#\n"), "acl.txt:1: 'a/b#': " + invalid);
  EXPECT_EQ(parse_error("allow all * a/%d\n"),
            "acl.txt:1: 'a/%d': unknown placeholder in topic filter (only %c, the client id, is "
            "known)");
  EXPECT_EQ(parse_error("allow all * a/%\n"),
            "acl.txt:1: 'a/%': unknown placeholder in topic filter (only %c, the client id, is "
            "known)");
  EXPECT_EQ(parse_error("allow subscribe * $share/g/a\n"),
            "acl.txt:1: '$share/g/a': rules name the inner filter of a shared subscription; drop "
            "'$share/<group>/'");
}

TEST(AclParse, LoadFileNamesThePath) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("gridmq-acl-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << "allow all * #\ndeny all\n";
  try {
    Acl::load_file(path.string());
    ADD_FAILURE() << "no error";
  } catch (const AclError& e) {
    EXPECT_EQ(std::string(e.what()),
              path.string() +
                  ":2: expected 4 fields '<allow|deny> <publish|subscribe|all> <client-id or *> "
                  "<topic-filter>', got 2");
  }
  std::ofstream(path) << "allow all * #\n";
  EXPECT_EQ(Acl::load_file(path.string()).rule_count(), 1u);
  std::filesystem::remove(path);
}

TEST(AclParse, UnreadableFile) {
  try {
    Acl::load_file("/nonexistent/acl");
    FAIL() << "no error";
  } catch (const AclError& e) {
    EXPECT_STREQ(e.what(), "cannot read ACL file '/nonexistent/acl': No such file or directory");
  }
}

TEST(AclParse, ShippedExampleLoads) {
  const std::filesystem::path root = GRIDMQ_SOURCE_DIR;
  const Acl acl = Acl::load_file((root / "config" / "acl.example").string());
  EXPECT_GT(acl.rule_count(), 0u);
  EXPECT_TRUE(acl.allowed(Access::kPublish, "m1", "mtr/v1/t1/m1/up/reading"));
  EXPECT_FALSE(acl.allowed(Access::kPublish, "m1", "mtr/v1/t1/m2/up/reading"));
  EXPECT_TRUE(acl.allowed(Access::kSubscribe, "m1", "mtr/v1/t1/m1/cmd"));
  EXPECT_FALSE(acl.allowed(Access::kSubscribe, "m1", "mtr/v1/t1/+/cmd"));
  EXPECT_TRUE(acl.allowed(Access::kSubscribe, "backoffice", "$share/ingest/mtr/v1/+/+/up/#"));
  EXPECT_TRUE(acl.allowed(Access::kPublish, "backoffice", "mtr/v1/t1/m1/cmd"));
  EXPECT_FALSE(acl.allowed(Access::kPublish, "operator", "$SYS/broker/x"));
  EXPECT_TRUE(acl.allowed(Access::kSubscribe, "operator", "$SYS/#"));
  EXPECT_FALSE(acl.allowed(Access::kSubscribe, "m1", "#"));
}

}  // namespace
}  // namespace gridmq::auth
