// Acl::allowed: first match wins, publish matching, subscribe cover/overlap, %c, $share, $ topics.

#include <gtest/gtest.h>

#include "auth/acl.hpp"

namespace gridmq::auth {
namespace {

constexpr Access kPub = Access::kPublish;
constexpr Access kSub = Access::kSubscribe;

Acl rules(std::string_view text) {
  return Acl::parse(text, "test.acl");
}

TEST(AclDecision, AllowAllAllowsEverything) {
  const Acl acl = Acl::allow_all();
  EXPECT_TRUE(acl.allowed(kPub, "c", "a/b"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "#"));
  EXPECT_TRUE(acl.allowed(kPub, "", "$SYS/x"));
}

TEST(AclDecision, NoMatchingRuleDenies) {
  const Acl acl = rules("allow publish * a/b\n");
  EXPECT_TRUE(acl.allowed(kPub, "c", "a/b"));
  EXPECT_FALSE(acl.allowed(kPub, "c", "a/c"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a/b"));  // publish rule says nothing about subscribe
  EXPECT_FALSE(rules("").allowed(kPub, "c", "a"));
}

TEST(AclDecision, FirstMatchWins) {
  const Acl narrow_first = rules("allow publish * a/b\ndeny publish * a/#\nallow all * #\n");
  EXPECT_TRUE(narrow_first.allowed(kPub, "c", "a/b"));
  EXPECT_FALSE(narrow_first.allowed(kPub, "c", "a/c"));
  EXPECT_FALSE(narrow_first.allowed(kPub, "c", "a"));  // "a/#" matches its parent "a"
  EXPECT_TRUE(narrow_first.allowed(kPub, "c", "b"));

  const Acl broad_first = rules("deny publish * a/#\nallow publish * a/b\n");
  EXPECT_FALSE(broad_first.allowed(kPub, "c", "a/b"));
}

TEST(AclDecision, ClientIdField) {
  const Acl acl = rules("allow publish meter-1 a/#\ndeny all * #\n");
  EXPECT_TRUE(acl.allowed(kPub, "meter-1", "a/x"));
  EXPECT_FALSE(acl.allowed(kPub, "meter-2", "a/x"));
  EXPECT_FALSE(acl.allowed(kPub, "meter-10", "a/x"));
}

TEST(AclDecision, AllCoversBothAccesses) {
  const Acl acl = rules("allow all * a/+\n");
  EXPECT_TRUE(acl.allowed(kPub, "c", "a/b"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/b"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/+"));
}

TEST(AclDecision, PublishWildcards) {
  const Acl acl = rules("allow publish * mtr/+/up/#\n");
  EXPECT_TRUE(acl.allowed(kPub, "c", "mtr/m1/up"));
  EXPECT_TRUE(acl.allowed(kPub, "c", "mtr/m1/up/reading"));
  EXPECT_TRUE(acl.allowed(kPub, "c", "mtr/m1/up/a/b/c"));
  EXPECT_FALSE(acl.allowed(kPub, "c", "mtr/up"));
  EXPECT_FALSE(acl.allowed(kPub, "c", "mtr/m1/down"));
  EXPECT_TRUE(rules("allow publish * a//b\n").allowed(kPub, "c", "a//b"));
  EXPECT_TRUE(rules("allow publish * a/+/b\n").allowed(kPub, "c", "a//b"));
}

TEST(AclDecision, InvalidNamesAreDenied) {
  const Acl acl = rules("allow all * #\n");
  EXPECT_FALSE(acl.allowed(kPub, "c", ""));
  EXPECT_FALSE(acl.allowed(kPub, "c", "a/+"));  // a topic name has no wildcards
  EXPECT_FALSE(acl.allowed(kPub, "c", "a/#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", ""));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a/#/b"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a/b+"));
}

// --- subscribe: allow rules must cover the request -------------------------------------------

TEST(AclCover, HashCoversEverythingBelow) {
  const Acl acl = rules("allow subscribe * a/#\n");
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/#"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/+/b"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/b"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "a"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/+"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "+/b"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "b/#"));
}

TEST(AclCover, PlusCoversOneLevel) {
  const Acl acl = rules("allow subscribe * a/+\n");
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/b"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/+"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a/#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a/b/c"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a/+/b"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "+/b"));
}

TEST(AclCover, LiteralCoversOnlyItself) {
  const Acl acl = rules("allow subscribe * a/b\n");
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/b"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a/+"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a/#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a/b/c"));
}

// --- subscribe: deny rules apply to any overlap ----------------------------------------------

TEST(AclOverlap, DenyRefusesWiderFiltersThatWouldReceiveDeniedTopics) {
  const Acl acl = rules("deny  subscribe *  secret/#\nallow all       *  #\n");
  EXPECT_FALSE(acl.allowed(kSub, "c", "secret/x"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "secret/#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "secret"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "+/x"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "+"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "public/#"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "public/+/x"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "+/+/x"));  // would receive secret/a/x
  // The deny rule is subscribe-only.
  EXPECT_TRUE(acl.allowed(kPub, "c", "secret/x"));
}

TEST(AclOverlap, DisjointFiltersDoNotOverlap) {
  const Acl acl = rules("deny subscribe * a/+/c\nallow subscribe * #\n");
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/b/d"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/b"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "a/+/c/d"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a/b/c"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "a/#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "+/+/+"));
}

// --- %c ----------------------------------------------------------------------------------------

TEST(AclClientId, PublishOnlyToOwnTopics) {
  const Acl acl = rules("allow publish * mtr/v1/t1/%c/up/+\n");
  EXPECT_TRUE(acl.allowed(kPub, "m1", "mtr/v1/t1/m1/up/reading"));
  EXPECT_FALSE(acl.allowed(kPub, "m1", "mtr/v1/t1/m2/up/reading"));
  EXPECT_FALSE(acl.allowed(kPub, "m1", "mtr/v1/t1/m11/up/reading"));
  EXPECT_FALSE(acl.allowed(kPub, "m11", "mtr/v1/t1/m1/up/reading"));
}

TEST(AclClientId, SubscribeOnlyToOwnCommands) {
  const Acl acl = rules("allow subscribe * mtr/v1/t1/%c/cmd\n");
  EXPECT_TRUE(acl.allowed(kSub, "m1", "mtr/v1/t1/m1/cmd"));
  EXPECT_FALSE(acl.allowed(kSub, "m1", "mtr/v1/t1/+/cmd"));
  EXPECT_FALSE(acl.allowed(kSub, "m1", "mtr/v1/t1/#"));
  EXPECT_FALSE(acl.allowed(kSub, "m1", "mtr/v1/t1/m2/cmd"));
}

TEST(AclClientId, PartOfALevel) {
  const Acl acl = rules("allow publish * dev/meter-%c-x/%c\n");
  EXPECT_TRUE(acl.allowed(kPub, "7", "dev/meter-7-x/7"));
  EXPECT_FALSE(acl.allowed(kPub, "7", "dev/meter-7-x/8"));
  EXPECT_FALSE(acl.allowed(kPub, "7", "dev/meter-77-x/7"));
  EXPECT_FALSE(acl.allowed(kPub, "7", "dev/meter-7/7"));
}

TEST(AclClientId, WildcardOrSlashInIdNeverWidens) {
  const Acl acl = rules("allow all * mtr/%c/up\n");
  EXPECT_FALSE(acl.allowed(kSub, "+", "mtr/+/up"));
  EXPECT_FALSE(acl.allowed(kSub, "#", "mtr/#"));
  EXPECT_FALSE(acl.allowed(kPub, "a/b", "mtr/a/b/up"));
  EXPECT_FALSE(acl.allowed(kSub, "a/b", "mtr/a/b/up"));
  EXPECT_FALSE(acl.allowed(kPub, "", "mtr//up"));
  EXPECT_FALSE(acl.allowed(kPub, "x+", "mtr/x+/up"));
}

TEST(AclClientId, UnsafeIdSkipsTheRuleAndLaterRulesDecide) {
  const Acl acl = rules("deny publish * a/%c\nallow publish * a/#\n");
  EXPECT_FALSE(acl.allowed(kPub, "x", "a/x"));
  EXPECT_TRUE(acl.allowed(kPub, "x", "a/y"));
  EXPECT_TRUE(acl.allowed(kPub, "x/y", "a/x/y"));  // the %c rule does not apply to "x/y"
}

TEST(AclClientId, ClientIdStartingWithDollar) {
  const Acl acl = rules("allow subscribe * %c/#\ndeny subscribe * #\n");
  EXPECT_TRUE(acl.allowed(kSub, "$x", "$x/a"));
  EXPECT_TRUE(acl.allowed(kSub, "x", "x/#"));
}

// --- $share and $ topics -----------------------------------------------------------------------

TEST(AclShared, InnerFilterIsChecked) {
  const Acl acl = rules("allow subscribe * a/#\n");
  EXPECT_TRUE(acl.allowed(kSub, "c", "$share/g/a/b"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "$share/group-1/a/#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "$share/g/b"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "$share/g/#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "$share/a/b"));  // group "a", filter "b"
}

TEST(AclShared, DenyAppliesToSharedSubscriptionsToo) {
  const Acl acl = rules("deny subscribe * secret/#\nallow subscribe * #\n");
  EXPECT_FALSE(acl.allowed(kSub, "c", "$share/g/secret/x"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "$share/g/#"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "$share/g/public/x"));
}

TEST(AclShared, MalformedSharedFiltersAreDenied) {
  const Acl acl = rules("allow subscribe * #\n");
  EXPECT_FALSE(acl.allowed(kSub, "c", "$share/g"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "$share/g/"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "$share//a"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "$share/g+/a"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "$share/g/a/#/b"));
}

TEST(AclDollar, LeadingWildcardsDoNotReachDollarTopics) {
  const Acl acl = rules("allow all * #\n");
  EXPECT_FALSE(acl.allowed(kPub, "c", "$SYS/x"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "$SYS/#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "$SYS/x"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "#"));
  EXPECT_FALSE(rules("allow all * +/x\n").allowed(kPub, "c", "$SYS/x"));
}

TEST(AclDollar, ExplicitDollarRules) {
  const Acl acl = rules("allow subscribe * $SYS/#\n");
  EXPECT_TRUE(acl.allowed(kSub, "c", "$SYS/broker/+"));
  EXPECT_TRUE(acl.allowed(kSub, "c", "$SYS/#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "#"));
  EXPECT_FALSE(acl.allowed(kSub, "c", "+/broker"));
  // A deny on "#" overlaps "$SYS/..." only through explicit $ filters: "#" does not reach them.
  const Acl deny_all = rules("deny subscribe * #\nallow subscribe * $SYS/#\n");
  EXPECT_TRUE(deny_all.allowed(kSub, "c", "$SYS/x"));
  EXPECT_FALSE(deny_all.allowed(kSub, "c", "a"));
}

}  // namespace
}  // namespace gridmq::auth
