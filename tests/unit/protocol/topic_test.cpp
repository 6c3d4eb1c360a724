// UTF-8 rules, topic names, topic filters, $share parsing and matching.

#include <gtest/gtest.h>

#include <string>

#include "protocol/topic.hpp"

namespace gridmq::protocol {
namespace {

TEST(Utf8, ValidStrings) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii/123"));
  EXPECT_TRUE(valid_utf8("\xC3\xA9"));          // U+00E9
  EXPECT_TRUE(valid_utf8("\xE2\x82\xAC"));      // U+20AC
  EXPECT_TRUE(valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
  EXPECT_TRUE(valid_utf8("\xEE\x80\x80"));      // U+E000, just above
  EXPECT_TRUE(valid_utf8("\xF0\x9F\x98\x80"));  // U+1F600
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_TRUE(valid_utf8("\xEF\xBB\xBF"));      // U+FEFF is allowed (MQTT-1.5.4-3)
}

TEST(Utf8, InvalidStrings) {
  EXPECT_FALSE(valid_utf8(std::string("a\0b", 3)));  // U+0000
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));          // U+D800 surrogate
  EXPECT_FALSE(valid_utf8("\xED\xBF\xBF"));          // U+DFFF surrogate
  EXPECT_FALSE(valid_utf8("\xC0\x80"));              // overlong U+0000
  EXPECT_FALSE(valid_utf8("\xC1\xBF"));              // overlong U+007F
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xF0\x80\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));      // U+110000
  EXPECT_FALSE(valid_utf8("\xF7\xBF\xBF\xBF"));      // beyond U+10FFFF
  EXPECT_FALSE(valid_utf8("\xF8\x88\x80\x80\x80"));  // 5-byte form
  EXPECT_FALSE(valid_utf8("\x80"));                  // lone continuation
  EXPECT_FALSE(valid_utf8("\xC3"));                  // truncated
  EXPECT_FALSE(valid_utf8("\xE2\x82"));              // truncated
  EXPECT_FALSE(valid_utf8("\xC3\x28"));              // bad continuation
  EXPECT_FALSE(valid_utf8("\xFF"));
}

TEST(TopicName, Table) {
  EXPECT_TRUE(valid_topic_name("a"));
  EXPECT_TRUE(valid_topic_name("/"));
  EXPECT_TRUE(valid_topic_name("a//b/"));
  EXPECT_TRUE(valid_topic_name("$SYS/broker/uptime"));
  EXPECT_TRUE(valid_topic_name(std::string(65535, 'a')));
  EXPECT_FALSE(valid_topic_name(std::string(65536, 'a')));
  EXPECT_FALSE(valid_topic_name(""));
  EXPECT_FALSE(valid_topic_name("a/+"));
  EXPECT_FALSE(valid_topic_name("a/#"));
  EXPECT_FALSE(valid_topic_name("a+b"));
  EXPECT_FALSE(valid_topic_name("\xC0\x80"));
}

TEST(TopicFilter, Table) {
  for (const char* ok : {"#", "+", "a", "/", "a/b", "a/+", "+/+", "/+", "a/#", "+/#", "a//b",
                         "$SYS/#", "$share/g/a/#", "$share/g/+", "$share/g/#", "$share/g//"}) {
    EXPECT_TRUE(valid_topic_filter(ok)) << ok;
  }
  for (const char* bad :
       {"", "a#", "a/#/b", "#/a", "a+", "+a/b", "a/b+", "a/++", "##", "$share/g", "$share/g/",
        "$share//a", "$share/g+/a", "$share/#/a", "$share/g/a#", "\xED\xA0\x80"}) {
    EXPECT_FALSE(valid_topic_filter(bad)) << bad;
  }
  EXPECT_TRUE(has_wildcard("a/+"));
  EXPECT_TRUE(has_wildcard("#"));
  EXPECT_FALSE(has_wildcard("a/b"));
}

TEST(SharedFilter, Parse) {
  auto s = parse_shared_filter("$share/group1/meters/+/kwh");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->group, "group1");
  EXPECT_EQ(s->filter, "meters/+/kwh");
  auto hash = parse_shared_filter("$share/g/#");
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(hash->filter, "#");
  EXPECT_FALSE(parse_shared_filter("meters/#").has_value());
  EXPECT_FALSE(parse_shared_filter("$SHARE/g/a").has_value());
  EXPECT_FALSE(parse_shared_filter("$share").has_value());
  auto no_filter = parse_shared_filter("$share/g");
  ASSERT_TRUE(no_filter.has_value());
  EXPECT_EQ(no_filter->filter, "");
}

TEST(TopicMatch, Table) {
  struct Case {
    const char* filter;
    const char* topic;
    bool match;
  };
  const Case cases[] = {
      {"sport/tennis/player1", "sport/tennis/player1", true},
      {"sport/tennis/player1/#", "sport/tennis/player1", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
      {"sport/#", "sport", true},
      {"sport/#", "sport/", true},
      {"#", "sport/tennis", true},
      {"#", "/", true},
      {"sport/tennis/+", "sport/tennis/player1", true},
      {"sport/tennis/+", "sport/tennis/player1/ranking", false},
      {"sport/+", "sport", false},
      {"sport/+", "sport/", true},
      {"+", "sport", true},
      {"+", "/sport", false},
      {"+/+", "/finance", true},
      {"/+", "/finance", true},
      {"+", "/finance", false},
      {"+/tennis/#", "sport/tennis/player1", true},
      {"a/b", "a/b/c", false},
      {"a/b/c", "a/b", false},
      {"a//b", "a//b", true},
      {"a/+/b", "a//b", true},
      {"A/b", "a/b", false},
      // '$' topics are not matched by filters starting with a wildcard (MQTT-4.7.2-1).
      {"#", "$SYS/x", false},
      {"+/x", "$SYS/x", false},
      {"+/#", "$SYS/x", false},
      {"$SYS/#", "$SYS/x", true},
      {"$SYS/+", "$SYS/x", true},
      {"a/#", "a/$x", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(topic_matches(c.filter, c.topic), c.match) << c.filter << " vs " << c.topic;
  }
}

}  // namespace
}  // namespace gridmq::protocol
