// RuleFilter: matches / covers / overlaps, level by level, and filter validation.

#include <gtest/gtest.h>

#include "auth/rule_filter.hpp"

namespace gridmq::auth {
namespace {

RuleFilter filter(std::string_view text) {
  std::string problem;
  auto parsed = RuleFilter::parse(text, problem);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << problem;
  return parsed.value_or(RuleFilter{});
}

TEST(TopicValidation, Names) {
  EXPECT_TRUE(is_valid_topic_name("a"));
  EXPECT_TRUE(is_valid_topic_name("a//b"));
  EXPECT_TRUE(is_valid_topic_name("/"));
  EXPECT_FALSE(is_valid_topic_name(""));
  EXPECT_FALSE(is_valid_topic_name("a/+"));
  EXPECT_FALSE(is_valid_topic_name("#"));
  EXPECT_FALSE(is_valid_topic_name(std::string_view("a\0b", 3)));
}

TEST(TopicValidation, Filters) {
  for (const char* ok : {"#", "+", "a/#", "+/+/#", "a//b", "/", "a/+/b"}) {
    EXPECT_TRUE(is_valid_topic_filter(ok)) << ok;
  }
  for (const char* bad : {"", "a/#/b", "a#", "a/b+", "+a", "##"}) {
    EXPECT_FALSE(is_valid_topic_filter(bad)) << bad;
  }
}

TEST(RuleFilterMatch, Basics) {
  EXPECT_TRUE(filter("a/b").matches("a/b", "c"));
  EXPECT_FALSE(filter("a/b").matches("a/b/c", "c"));
  EXPECT_FALSE(filter("a/b").matches("a", "c"));
  EXPECT_TRUE(filter("a/+").matches("a/", "c"));  // '+' matches an empty level
  EXPECT_TRUE(filter("#").matches("a/b/c", "c"));
  EXPECT_TRUE(filter("a/#").matches("a", "c"));
  EXPECT_FALSE(filter("#").matches("$SYS/a", "c"));
  EXPECT_FALSE(filter("+/a").matches("$SYS/a", "c"));
  EXPECT_TRUE(filter("$SYS/+").matches("$SYS/a", "c"));
  EXPECT_TRUE(filter("a/%c/b").matches("a/m1/b", "m1"));
  EXPECT_FALSE(filter("a/%c/b").matches("a/m1/b", "m2"));
}

TEST(RuleFilterCover, Table) {
  struct Case {
    const char* rule;
    const char* request;
    bool covers;
  };
  const Case cases[] = {
      {"a/#", "a/+/b", true},     {"a/#", "a/#", true},    {"a/#", "a", true},
      {"a/#", "#", false},        {"a/+", "a/b", true},    {"a/+", "a/#", false},
      {"+/+", "a/+", true},       {"+/+", "+/+/+", false}, {"+/#", "+/+/+", true},
      {"#", "#", true},           {"#", "$SYS/#", false},  {"+", "$SYS", false},
      {"a", "a", true},           {"a", "+", false},       {"a/b/c", "a/b", false},
      {"$SYS/#", "$SYS/+", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(filter(c.rule).covers(c.request, "id"), c.covers) << c.rule << " vs " << c.request;
  }
}

TEST(RuleFilterOverlap, Table) {
  struct Case {
    const char* rule;
    const char* request;
    bool overlaps;
  };
  const Case cases[] = {
      {"secret/#", "#", true},    {"secret/#", "+/x", true},
      {"secret/#", "+", true},    {"secret/#", "public/#", false},
      {"a/+/c", "a/b/d", false},  {"a/+/c", "a/#", true},
      {"a", "a/#", true},         {"a/b", "a", false},
      {"a/+", "+/b", true},       {"#", "$SYS/x", false},
      {"$SYS/#", "#", false},     {"$SYS/#", "+/x", false},
      {"$SYS/#", "$SYS/+", true}, {"a/b/c", "a/+/+/+", false},
      {"a/#", "a/b/c/d", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(filter(c.rule).overlaps(c.request, "id"), c.overlaps)
        << c.rule << " vs " << c.request;
  }
}

}  // namespace
}  // namespace gridmq::auth
