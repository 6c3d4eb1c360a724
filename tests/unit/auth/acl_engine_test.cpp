// ACL engine v2: the built-in metering profile rule by rule, hub bindings (also while reloading),
// most-specific-wins ordering, templates, and ids that must never widen a rule.

#include "auth/acl_engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include "auth_test_util.hpp"

namespace gridmq::auth {
namespace {

constexpr Access kPub = Access::kPublish;
constexpr Access kSub = Access::kSubscribe;

const Principal kMeter{"1EMH0012345678", Role::kMeter};
const Principal kOtherMeter{"1EMH0012345679", Role::kMeter};
const Principal kHub{"hub-0042", Role::kHub};
const Principal kOperator{"alice", Role::kOperator};
const Principal kService{"billing", Role::kService};

std::shared_ptr<Bindings> bindings(std::string_view text) {
  return std::make_shared<Bindings>(BindingTable::parse(text, "bindings"));
}

AclEngine metering(std::string_view bindings_text = "hub-0042: 1EMH0012345678 1EMH0012345680\n") {
  return AclEngine(AclPolicy::metering_default(), bindings(bindings_text));
}

AclEngine policy(std::string_view text, std::shared_ptr<const Bindings> table = nullptr) {
  return AclEngine(AclPolicy::parse(text, "test.acl"), std::move(table));
}

std::string parse_error(std::string_view text) {
  try {
    (void)AclPolicy::parse(text, "test.acl");
  } catch (const AclPolicyError& e) {
    return e.what();
  }
  return "";
}

// ---- The metering profile (design.md §6) -------------------------------------------------------

TEST(AclMeteringProfile, MeterPublishesOnlyItsOwnTopics) {
  const AclEngine acl = metering();
  const std::string id = kMeter.id;
  for (const std::string kind : {"reading", "profile", "pulse", "inst", "event"}) {
    EXPECT_TRUE(acl.allowed(kPub, kMeter, id, "mtr/v1/t1/" + id + "/up/" + kind)) << kind;
  }
  EXPECT_TRUE(acl.allowed(kPub, kMeter, id, "mtr/v1/t1/" + id + "/up"));  // "up/#" parent
  EXPECT_TRUE(acl.allowed(kPub, kMeter, id, "mtr/v1/t1/" + id + "/state"));
  EXPECT_TRUE(acl.allowed(kPub, kMeter, id, "mtr/v1/t1/" + id + "/cmd/ack"));
  EXPECT_TRUE(acl.allowed(kPub, kMeter, id, "mtr/v1/other-tenant/" + id + "/state"));

  // Never its own commands, nor anything of another meter, nor other trees.
  EXPECT_FALSE(acl.allowed(kPub, kMeter, id, "mtr/v1/t1/" + id + "/cmd"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, id, "mtr/v1/t1/" + id + "/cmd/ack/x"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, id, "mtr/v1/t1/" + id + "/state/x"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, id, "mtr/v1/t1/" + id + "/other"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, id, "mtr/v1/t1/" + kOtherMeter.id + "/up/reading"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, id, "mtr/v1/t1/" + id + "0/up/reading"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, id, "mtr/v2/t1/" + id + "/up/reading"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, id, "mtr/v1/" + id + "/up/reading"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, id, "hub/v1/t1/" + id + "/state"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, id, "ops/v1/t1/grp/g1/cmd"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, id, "$SYS/x"));
}

TEST(AclMeteringProfile, MeterSubscribesOnlyToItsOwnCommands) {
  const AclEngine acl = metering();
  const std::string id = kMeter.id;
  EXPECT_TRUE(acl.allowed(kSub, kMeter, id, "mtr/v1/t1/" + id + "/cmd"));
  EXPECT_TRUE(acl.allowed(kSub, kMeter, id, "mtr/v1/+/" + id + "/cmd"));  // still only its own
  EXPECT_TRUE(acl.allowed(kSub, kMeter, id, "$share/g/mtr/v1/t1/" + id + "/cmd"));

  EXPECT_FALSE(acl.allowed(kSub, kMeter, id, "mtr/v1/t1/" + id + "/cmd/#"));
  EXPECT_FALSE(acl.allowed(kSub, kMeter, id, "mtr/v1/t1/" + id + "/cmd/ack"));
  EXPECT_FALSE(acl.allowed(kSub, kMeter, id, "mtr/v1/t1/" + id + "/up/#"));
  EXPECT_FALSE(acl.allowed(kSub, kMeter, id, "mtr/v1/t1/" + id + "/#"));
  EXPECT_FALSE(acl.allowed(kSub, kMeter, id, "mtr/v1/t1/+/cmd"));
  EXPECT_FALSE(acl.allowed(kSub, kMeter, id, "mtr/v1/t1/" + kOtherMeter.id + "/cmd"));
  EXPECT_FALSE(acl.allowed(kSub, kMeter, id, "#"));
  EXPECT_FALSE(acl.allowed(kSub, kMeter, id, "mtr/#"));
  EXPECT_FALSE(acl.allowed(kSub, kMeter, id, "$share/g/#"));
}

TEST(AclMeteringProfile, MeterRulesUseThePrincipalIdNotTheClientId) {
  const AclEngine acl = metering();
  // Whatever client id it presents (the CONNECT check refuses a mismatch anyway), a meter's
  // topics are those of its certificate id.
  EXPECT_TRUE(acl.allowed(kPub, kMeter, "anything", "mtr/v1/t1/" + kMeter.id + "/state"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, kOtherMeter.id, "mtr/v1/t1/" + kOtherMeter.id + "/state"));
}

TEST(AclMeteringProfile, HubSpeaksForBoundMetersOnly) {
  const AclEngine acl = metering();
  const std::string bound = "1EMH0012345678";
  const std::string bound2 = "1EMH0012345680";
  const std::string unbound = "1EMH0012345679";
  for (const std::string& meter : {bound, bound2}) {
    EXPECT_TRUE(acl.allowed(kPub, kHub, kHub.id, "mtr/v1/t1/" + meter + "/up/reading")) << meter;
    EXPECT_TRUE(acl.allowed(kPub, kHub, kHub.id, "mtr/v1/t1/" + meter + "/state"));
    EXPECT_TRUE(acl.allowed(kPub, kHub, kHub.id, "mtr/v1/t1/" + meter + "/cmd/ack"));
    EXPECT_TRUE(acl.allowed(kSub, kHub, kHub.id, "mtr/v1/t1/" + meter + "/cmd"));
    EXPECT_TRUE(acl.allowed(kSub, kHub, kHub.id, "mtr/v1/+/" + meter + "/cmd"));
    EXPECT_FALSE(acl.allowed(kPub, kHub, kHub.id, "mtr/v1/t1/" + meter + "/cmd"));
  }
  EXPECT_FALSE(acl.allowed(kPub, kHub, kHub.id, "mtr/v1/t1/" + unbound + "/up/reading"));
  EXPECT_FALSE(acl.allowed(kPub, kHub, kHub.id, "mtr/v1/t1/" + unbound + "/state"));
  EXPECT_FALSE(acl.allowed(kPub, kHub, kHub.id, "mtr/v1/t1/" + unbound + "/cmd/ack"));
  EXPECT_FALSE(acl.allowed(kSub, kHub, kHub.id, "mtr/v1/t1/" + unbound + "/cmd"));
  // A wildcard in the meter level would reach unbound meters too.
  EXPECT_FALSE(acl.allowed(kSub, kHub, kHub.id, "mtr/v1/t1/+/cmd"));
  EXPECT_FALSE(acl.allowed(kSub, kHub, kHub.id, "mtr/#"));
  // Its own state, no one else's, and never as if it were a meter.
  EXPECT_TRUE(acl.allowed(kPub, kHub, kHub.id, "hub/v1/t1/hub-0042/state"));
  EXPECT_FALSE(acl.allowed(kPub, kHub, kHub.id, "hub/v1/t1/hub-0043/state"));
  EXPECT_FALSE(acl.allowed(kPub, kHub, kHub.id, "mtr/v1/t1/hub-0042/up/reading"));
  EXPECT_FALSE(acl.allowed(kPub, kHub, kHub.id, "ops/v1/t1/grp/g/cmd"));
}

TEST(AclMeteringProfile, HubWithoutBindingsHasNoMeters) {
  const AclEngine acl = metering("hub-other: 1EMH0012345678\n");
  EXPECT_FALSE(acl.allowed(kPub, kHub, kHub.id, "mtr/v1/t1/1EMH0012345678/up/reading"));
  EXPECT_FALSE(acl.allowed(kSub, kHub, kHub.id, "mtr/v1/t1/1EMH0012345678/cmd"));
  EXPECT_TRUE(acl.allowed(kPub, kHub, kHub.id, "hub/v1/t1/hub-0042/state"));

  const AclEngine no_table(AclPolicy::metering_default(), nullptr);
  EXPECT_FALSE(no_table.allowed(kPub, kHub, kHub.id, "mtr/v1/t1/1EMH0012345678/up/reading"));
  EXPECT_TRUE(no_table.allowed(kPub, kHub, kHub.id, "hub/v1/t1/hub-0042/state"));
}

TEST(AclMeteringProfile, BindingsApplyToHubsOnly) {
  // A meter whose id happens to be a hub id in the table gains nothing from it.
  const AclEngine acl = metering("1EMH0012345678: 1EMH0012345679\n");
  EXPECT_FALSE(acl.allowed(kPub, kMeter, kMeter.id, "mtr/v1/t1/1EMH0012345679/up/reading"));
}

TEST(AclMeteringProfile, Operator) {
  const AclEngine acl = metering();
  EXPECT_TRUE(acl.allowed(kPub, kOperator, "alice-ui", "ops/v1/t1/grp/bldg-17/cmd"));
  EXPECT_TRUE(acl.allowed(kPub, kOperator, "alice-ui", "ops/anything"));
  EXPECT_TRUE(acl.allowed(kSub, kOperator, "alice-ui", "mtr/v1/+/+/cmd/ack"));
  EXPECT_TRUE(acl.allowed(kSub, kOperator, "alice-ui", "mtr/v1/t1/+/cmd/ack"));
  EXPECT_TRUE(acl.allowed(kSub, kOperator, "alice-ui", "mtr/v1/t1/1EMH0012345678/cmd/ack"));
  EXPECT_TRUE(acl.allowed(kSub, kOperator, "alice-ui", "mtr/v1/+/+/state"));
  EXPECT_TRUE(acl.allowed(kSub, kOperator, "alice-ui", "$share/ops/mtr/v1/+/+/state"));

  EXPECT_FALSE(acl.allowed(kPub, kOperator, "alice-ui", "mtr/v1/t1/1EMH0012345678/cmd"));
  EXPECT_FALSE(acl.allowed(kPub, kOperator, "alice-ui", "mtr/v1/t1/1EMH0012345678/up/reading"));
  EXPECT_FALSE(acl.allowed(kSub, kOperator, "alice-ui", "mtr/v1/+/+/up/#"));
  EXPECT_FALSE(acl.allowed(kSub, kOperator, "alice-ui", "mtr/v1/+/+/#"));
  EXPECT_FALSE(acl.allowed(kSub, kOperator, "alice-ui", "mtr/#"));
  EXPECT_FALSE(acl.allowed(kSub, kOperator, "alice-ui", "ops/#"));
  EXPECT_FALSE(acl.allowed(kSub, kOperator, "alice-ui", "#"));
}

TEST(AclMeteringProfile, Service) {
  const AclEngine acl = metering();
  EXPECT_TRUE(acl.allowed(kSub, kService, "billing-1", "mtr/#"));
  EXPECT_TRUE(acl.allowed(kSub, kService, "billing-1", "mtr/v1/+/+/up/#"));
  EXPECT_TRUE(acl.allowed(kSub, kService, "billing-1", "mtr/v1/t1/+/cmd/ack"));
  EXPECT_TRUE(acl.allowed(kSub, kService, "billing-1", "hub/#"));
  EXPECT_TRUE(acl.allowed(kSub, kService, "billing-1", "hub/v1/+/+/state"));
  EXPECT_TRUE(acl.allowed(kSub, kService, "billing-1", "$share/billing/mtr/v1/+/+/up/reading"));

  EXPECT_FALSE(acl.allowed(kSub, kService, "billing-1", "#"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "billing-1", "+/v1/#"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "billing-1", "ops/#"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "billing-1", "$SYS/#"));
  EXPECT_FALSE(acl.allowed(kPub, kService, "billing-1", "mtr/v1/t1/1EMH0012345678/cmd"));
  EXPECT_FALSE(acl.allowed(kPub, kService, "billing-1", "mtr/v1/t1/1EMH0012345678/up/reading"));
  EXPECT_FALSE(acl.allowed(kPub, kService, "billing-1", "mtr"));
  EXPECT_FALSE(acl.allowed(kPub, kService, "billing-1", "ops/v1/t1/grp/g/cmd"));
}

TEST(AclMeteringProfile, UnauthenticatedAndInvalidPrincipalsGetNothing) {
  const AclEngine acl = metering();
  EXPECT_FALSE(acl.allowed(kPub, Principal{"x", Role::kNone}, "x", "mtr/v1/t1/x/state"));
  EXPECT_FALSE(acl.allowed(kSub, Principal{}, "", "mtr/#"));
  // A service with an invalid id gets nothing, even from rules without %id.
  EXPECT_FALSE(acl.allowed(kSub, Principal{"bad/id", Role::kService}, "c", "mtr/#"));
  EXPECT_FALSE(acl.allowed(kSub, Principal{"", Role::kService}, "c", "mtr/#"));
}

TEST(AclMeteringProfile, InvalidTopicsAndFiltersAreDenied) {
  const AclEngine acl = metering();
  EXPECT_FALSE(acl.allowed(kPub, kMeter, kMeter.id, ""));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, kMeter.id, "mtr/v1/+/" + kMeter.id + "/state"));
  EXPECT_FALSE(acl.allowed(kPub, kMeter, kMeter.id, "mtr/v1/#"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "c", "mtr/#/x"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "c", "mtr/a+"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "c", "$share/g"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "c", "$share//mtr/#"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "c", "$share/g+/mtr/#"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "c", ""));
}

TEST(AclMeteringProfile, ShippedFileEqualsTheBuiltInRules) {
  const auto rule_lines = [](std::string_view text) {
    std::vector<std::string> lines;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      std::string field;
      std::string normalised;
      while (fields >> field) {
        normalised += (normalised.empty() ? "" : " ") + field;
      }
      if (!normalised.empty() && normalised.front() != '#') {
        lines.push_back(normalised);
      }
    }
    return lines;
  };
  const std::string path = (test::source_root() / "config" / "acl-metering.acl").string();
  const std::string shipped = test::read_file(path);
  EXPECT_EQ(rule_lines(shipped), rule_lines(AclPolicy::metering_default_text()));
  const AclPolicy loaded = AclPolicy::load_file(path);
  EXPECT_EQ(loaded.rule_count(), AclPolicy::metering_default().rule_count());
  EXPECT_EQ(loaded.rule_count(), 15u);
  EXPECT_EQ(loaded.origin(), path);
}

TEST(AclMeteringProfile, DecisionNamesTheRule) {
  const AclEngine acl = metering();
  const AclEngine::Decision allowed =
      acl.decide(kPub, kMeter, kMeter.id, "mtr/v1/t1/" + kMeter.id + "/state");
  EXPECT_TRUE(allowed.allowed);
  EXPECT_EQ(allowed.line, 3u);  // the built-in text's third line
  const AclEngine::Decision denied = acl.decide(kPub, kService, "c", "mtr/v1/t1/m/cmd");
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.line, 16u);  // "service deny publish mtr/#"
  const AclEngine::Decision nothing = acl.decide(kPub, kService, "c", "other/topic");
  EXPECT_FALSE(nothing.allowed);
  EXPECT_EQ(nothing.line, 0u);
}

// ---- Most specific wins -------------------------------------------------------------------------

TEST(AclSpecificity, MoreLiteralLevelsWin) {
  const AclEngine acl = policy(
      "service deny  publish a/#\n"
      "service allow publish a/b/c\n");
  EXPECT_TRUE(acl.allowed(kPub, kService, "c", "a/b/c"));
  EXPECT_FALSE(acl.allowed(kPub, kService, "c", "a/b/d"));
  EXPECT_FALSE(acl.allowed(kPub, kService, "c", "a"));

  const AclEngine reverse = policy(
      "service allow publish a/#\n"
      "service deny  publish a/+/secret\n");
  EXPECT_TRUE(reverse.allowed(kPub, kService, "c", "a/x/public"));
  EXPECT_FALSE(reverse.allowed(kPub, kService, "c", "a/x/secret"));
}

TEST(AclSpecificity, PlusBeatsHashAtEqualLiterals) {
  const AclEngine acl = policy(
      "service deny  publish a/#\n"
      "service allow publish a/+\n");
  EXPECT_TRUE(acl.allowed(kPub, kService, "c", "a/b"));
  EXPECT_FALSE(acl.allowed(kPub, kService, "c", "a/b/c"));

  const AclEngine two_plus = policy(
      "service allow publish a/#\n"
      "service deny  publish a/+/+\n");
  EXPECT_FALSE(two_plus.allowed(kPub, kService, "c", "a/b/c"));
  EXPECT_TRUE(two_plus.allowed(kPub, kService, "c", "a/b"));
  EXPECT_TRUE(two_plus.allowed(kPub, kService, "c", "a/b/c/d"));
}

TEST(AclSpecificity, ExactBeatsTrailingHash) {
  // "a/b" and "a/b/#" both match the topic "a/b" with 2 literal levels and no '+'.
  const AclEngine acl = policy(
      "service allow publish a/b/#\n"
      "service deny  publish a/b\n");
  EXPECT_FALSE(acl.allowed(kPub, kService, "c", "a/b"));
  EXPECT_TRUE(acl.allowed(kPub, kService, "c", "a/b/c"));
}

TEST(AclSpecificity, LiteralLevelsCountBeforePlus) {
  // "a/b/#" and "a/+/c" both have 2 literal levels; then the one with a '+' ("a/+/c") wins.
  const AclEngine acl = policy(
      "service allow publish a/b/#\n"
      "service deny  publish a/+/c\n");
  EXPECT_FALSE(acl.allowed(kPub, kService, "c", "a/b/c"));
  EXPECT_TRUE(acl.allowed(kPub, kService, "c", "a/b/d"));
  // "x/y/z/#" (3 literal) beats "+/+/+/+" (0 literal, 4 plus).
  const AclEngine literal = policy(
      "service deny  publish +/+/+/+\n"
      "service allow publish x/y/z/#\n");
  EXPECT_TRUE(literal.allowed(kPub, kService, "c", "x/y/z/w"));
  EXPECT_FALSE(literal.allowed(kPub, kService, "c", "q/y/z/w"));
}

TEST(AclSpecificity, DenyWinsATieWhateverTheOrder) {
  for (const std::string text : {"service allow publish a/+\nservice deny publish a/+\n",
                                 "service deny publish a/+\nservice allow publish a/+\n",
                                 "service allow both x/#\nservice deny publish x/#\n"}) {
    const AclEngine acl = policy(text);
    EXPECT_FALSE(acl.allowed(kPub, kService, "c", "a/b")) << text;
    EXPECT_FALSE(acl.allowed(kPub, kService, "c", "x/y")) << text;
  }
  const AclEngine mixed = policy("service allow both x/#\nservice deny publish x/#\n");
  EXPECT_TRUE(mixed.allowed(kSub, kService, "c", "x/#"));  // the deny is for publish only
}

TEST(AclSpecificity, FileOrderNeverMatters) {
  const std::vector<std::string> rules = {
      "service allow subscribe mtr/#", "service deny subscribe mtr/v1/+/+/cmd",
      "service allow subscribe mtr/v1/t1/+/cmd", "service deny publish #",
      "service allow publish ops/v1/+/grp/+/cmd"};
  const std::vector<std::pair<Access, std::string>> requests = {
      {kSub, "mtr/#"},           {kSub, "mtr/v1/+/+/up/#"},    {kSub, "mtr/v1/t1/+/cmd"},
      {kSub, "mtr/v1/t2/m/cmd"}, {kPub, "ops/v1/t/grp/g/cmd"}, {kPub, "ops/v1/t/grp/g/x"}};
  std::string forward;
  std::string backward;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    forward += rules[i] + "\n";
    backward += rules[rules.size() - 1 - i] + "\n";
  }
  const AclEngine a = policy(forward);
  const AclEngine b = policy(backward);
  for (const auto& [access, name] : requests) {
    EXPECT_EQ(a.allowed(access, kService, "c", name), b.allowed(access, kService, "c", name))
        << name;
  }
  EXPECT_FALSE(a.allowed(kSub, kService, "c", "mtr/#"));  // overlaps the more specific deny
  EXPECT_TRUE(a.allowed(kSub, kService, "c", "mtr/v1/+/+/up/#"));
  EXPECT_TRUE(a.allowed(kSub, kService, "c", "mtr/v1/t1/+/cmd"));  // 4 literal beats 3
  EXPECT_FALSE(a.allowed(kSub, kService, "c", "mtr/v1/t2/m/cmd"));
  EXPECT_TRUE(a.allowed(kPub, kService, "c", "ops/v1/t/grp/g/cmd"));
  EXPECT_FALSE(a.allowed(kPub, kService, "c", "ops/v1/t/grp/g/x"));
}

TEST(AclSpecificity, SubscribeCoverForAllowOverlapForDeny) {
  const AclEngine acl = policy(
      "service allow subscribe a/#\n"
      "service deny  subscribe a/+/secret\n");
  EXPECT_TRUE(acl.allowed(kSub, kService, "c", "a/x/public"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "c", "a/x/secret"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "c", "a/#"));     // could receive a/x/secret
  EXPECT_FALSE(acl.allowed(kSub, kService, "c", "a/+/+"));   // likewise
  EXPECT_TRUE(acl.allowed(kSub, kService, "c", "a/x/+/y"));  // four levels never match it

  // A less specific deny does not stop a more specific allow that covers the request.
  const AclEngine narrow_allow = policy(
      "service deny  subscribe a/#\n"
      "service allow subscribe a/b/#\n");
  EXPECT_TRUE(narrow_allow.allowed(kSub, kService, "c", "a/b/c"));
  EXPECT_TRUE(narrow_allow.allowed(kSub, kService, "c", "a/b/#"));
  EXPECT_FALSE(narrow_allow.allowed(kSub, kService, "c", "a/#"));
  EXPECT_FALSE(narrow_allow.allowed(kSub, kService, "c", "a/c"));
}

TEST(AclSpecificity, StarRuleAppliesToEveryRoleAndCompetesBySpecificity) {
  const AclEngine acl = policy(
      "*       deny  publish  $SYS/#\n"
      "*       allow subscribe #\n"
      "service allow publish  $SYS/broker/x\n");
  for (const Principal& p : {kMeter, kHub, kOperator, kService}) {
    EXPECT_TRUE(acl.allowed(kSub, p, p.id, "a/b")) << p.id;
    EXPECT_FALSE(acl.allowed(kSub, p, p.id, "$SYS/x")) << p.id;  // '#' skips '$' topics
    EXPECT_FALSE(acl.allowed(kPub, p, p.id, "$SYS/y")) << p.id;
  }
  EXPECT_TRUE(acl.allowed(kPub, kService, "c", "$SYS/broker/x"));
  EXPECT_FALSE(acl.allowed(kPub, Principal{"n", Role::kNone}, "n", "a"));
}

// ---- Templates and ids that must not widen rules ------------------------------------------------

TEST(AclTemplates, ClientIdTemplate) {
  const AclEngine acl = policy("operator allow both clients/%c/#\n");
  EXPECT_TRUE(acl.allowed(kPub, kOperator, "laptop", "clients/laptop/x"));
  EXPECT_TRUE(acl.allowed(kSub, kOperator, "laptop", "clients/laptop/#"));
  EXPECT_FALSE(acl.allowed(kPub, kOperator, "laptop", "clients/laptop2/x"));
  EXPECT_FALSE(acl.allowed(kPub, kOperator, "other", "clients/laptop/x"));
}

TEST(AclTemplates, PrincipalIdTemplateInsideALevel) {
  const AclEngine acl = policy("service allow publish svc/dev-%id-%c/out\n");
  EXPECT_TRUE(acl.allowed(kPub, kService, "c1", "svc/dev-billing-c1/out"));
  EXPECT_FALSE(acl.allowed(kPub, kService, "c1", "svc/dev-billing-c2/out"));
  EXPECT_FALSE(acl.allowed(kPub, kService, "c1", "svc/dev-other-c1/out"));
  EXPECT_FALSE(acl.allowed(kPub, kService, "c1", "svc/dev-billing-c1x/out"));
}

TEST(AclTemplates, UnsafeClientIdsNeverWidenAllowRules) {
  const AclEngine acl = policy("operator allow both clients/%c/#\n");
  // Each of these would make the expanded filter cover far more than one client's tree.
  for (const std::string bad : {"+", "#", "a/b", "", "a+", "x#", "$x", "a b", "a:b"}) {
    EXPECT_FALSE(acl.allowed(kSub, kOperator, bad, "clients/" + bad + "/#")) << bad;
    EXPECT_FALSE(acl.allowed(kSub, kOperator, bad, "clients/+/#")) << bad;
    EXPECT_FALSE(acl.allowed(kSub, kOperator, bad, "clients/#")) << bad;
  }
  EXPECT_FALSE(acl.allowed(kPub, kOperator, "a/b", "clients/a/b/x"));
}

TEST(AclTemplates, UnsafeClientIdsMakeDenyRulesApply) {
  const AclEngine acl = policy(
      "service allow subscribe mtr/#\n"
      "service deny  subscribe mtr/v1/+/%c/#\n");
  EXPECT_TRUE(acl.allowed(kSub, kService, "c1", "mtr/v1/t/other/#"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "c1", "mtr/v1/t/c1/x"));
  // The deny rule cannot be filled in with "x/y" or "+": it applies (fail closed).
  EXPECT_FALSE(acl.allowed(kSub, kService, "x/y", "mtr/v1/t/other/#"));
  EXPECT_FALSE(acl.allowed(kSub, kService, "+", "mtr/v1/t/other/#"));
  // Rules that do not use %c are unaffected by an odd client id.
  EXPECT_TRUE(metering().allowed(kSub, kService, "odd/client#", "mtr/#"));
}

TEST(AclTemplates, InvalidPrincipalIdsNeverMatchTemplates) {
  const AclEngine acl = metering("hub-0042: 1EMH0012345678\n");
  for (const std::string bad : {"+", "#", "a/b", "$SYS", "m1 m2", "x:y"}) {
    const Principal meter{bad, Role::kMeter};
    EXPECT_FALSE(acl.allowed(kPub, meter, bad, "mtr/v1/t1/" + bad + "/state")) << bad;
    EXPECT_FALSE(acl.allowed(kPub, meter, bad, "mtr/v1/t1/x/state")) << bad;
    EXPECT_FALSE(acl.allowed(kSub, meter, bad, "mtr/v1/t1/+/cmd")) << bad;
    EXPECT_FALSE(acl.allowed(kSub, meter, bad, "mtr/v1/+/+/cmd")) << bad;
    const Principal hub{bad, Role::kHub};
    EXPECT_FALSE(acl.allowed(kPub, hub, bad, "hub/v1/t1/x/state")) << bad;
  }
}

TEST(AclTemplates, BoundTemplateMatchesWholeIdsOnly) {
  const auto table = bindings("hub-1: m1 m2\n");
  const AclEngine acl = policy("hub allow both x/%bound/y\n", table);
  const Principal hub{"hub-1", Role::kHub};
  EXPECT_TRUE(acl.allowed(kPub, hub, "hub-1", "x/m1/y"));
  EXPECT_TRUE(acl.allowed(kSub, hub, "hub-1", "x/m2/y"));
  EXPECT_FALSE(acl.allowed(kPub, hub, "hub-1", "x/m3/y"));
  EXPECT_FALSE(acl.allowed(kPub, hub, "hub-1", "x/m/y"));
  EXPECT_FALSE(acl.allowed(kPub, hub, "hub-1", "x/m1m2/y"));
  EXPECT_FALSE(acl.allowed(kSub, hub, "hub-1", "x/+/y"));
  EXPECT_FALSE(acl.allowed(kSub, hub, "hub-1", "x/#"));
  EXPECT_FALSE(acl.allowed(kPub, Principal{"hub-2", Role::kHub}, "hub-2", "x/m1/y"));
}

TEST(AclTemplates, BoundDenyOverlapsWildcards) {
  const auto table = bindings("hub-1: m1\nhub-2:\n");
  const AclEngine acl = policy(
      "hub allow subscribe x/#\n"
      "hub deny  subscribe x/%bound/private\n",
      table);
  const Principal hub1{"hub-1", Role::kHub};
  EXPECT_FALSE(acl.allowed(kSub, hub1, "hub-1", "x/+/private"));  // would receive m1's
  EXPECT_FALSE(acl.allowed(kSub, hub1, "hub-1", "x/#"));
  EXPECT_TRUE(acl.allowed(kSub, hub1, "hub-1", "x/m2/private"));
  // A hub with no meters: the deny matches nothing.
  EXPECT_TRUE(acl.allowed(kSub, Principal{"hub-2", Role::kHub}, "hub-2", "x/+/private"));
}

// ---- Policy file errors -------------------------------------------------------------------------

TEST(AclPolicyParse, ErrorsNameFileAndLine) {
  EXPECT_EQ(parse_error("# c\nmeter allow publish\n"),
            "test.acl:2: expected 4 fields '<role|*> <allow|deny> <publish|subscribe|both> "
            "<topic-filter>', got 3");
  EXPECT_EQ(parse_error("admin allow publish a\n"),
            "test.acl:1: 'admin' is not a role (meter, hub, operator, service or *)");
  EXPECT_EQ(parse_error("meter permit publish a\n"), "test.acl:1: 'permit' is not allow or deny");
  EXPECT_EQ(parse_error("meter allow all a\n"),
            "test.acl:1: 'all' is not publish, subscribe or both");
  EXPECT_EQ(parse_error("meter allow publish a/#/b\n"),
            "test.acl:1: 'a/#/b': invalid topic filter (empty, or '+'/'#' not a whole level, or "
            "'#' not last)");
  EXPECT_EQ(parse_error("meter allow publish a/%x\n"),
            "test.acl:1: 'a/%x': unknown placeholder in topic filter (known: %id, the principal "
            "id; %c, the client id; %bound, a meter bound to the hub)");
  EXPECT_EQ(parse_error("hub allow publish a/m-%bound\n"),
            "test.acl:1: 'a/m-%bound': %bound must be a whole level of the topic filter");
  EXPECT_EQ(parse_error("meter allow publish a/%bound\n"),
            "test.acl:1: 'a/%bound': %bound may only be used in hub rules");
  EXPECT_EQ(parse_error("* allow publish a/%bound\n"),
            "test.acl:1: 'a/%bound': %bound may only be used in hub rules");
  EXPECT_NE(parse_error("\n\nservice allow subscribe $share/g/a\n").find("test.acl:3: "),
            std::string::npos);
  EXPECT_EQ(parse_error(""), "");
  EXPECT_EQ(parse_error("# only comments\n\n   \n"), "");
}

TEST(AclPolicyParse, MissingFile) {
  const test::TempDir dir;
  try {
    (void)AclPolicy::load_file(dir.file("missing.acl"));
    FAIL() << "no error";
  } catch (const AclPolicyError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read ACL policy file"), std::string::npos);
  }
}

TEST(AclPolicyParse, V1AclStillRejectsV2Templates) {
  EXPECT_THROW(Acl::parse("allow publish * a/%id\n", "v1.acl"), AclError);
  EXPECT_THROW(Acl::parse("allow publish * a/%bound\n", "v1.acl"), AclError);
}

// ---- Concurrency --------------------------------------------------------------------------------

// Worker threads keep deciding for a hub while its bindings are reloaded: every decision is
// either the old or the new table's answer, the final reload is visible afterwards, and no
// decision waits for long.
TEST(AclConcurrency, DecisionsDuringBindingReload) {
  const test::TempDir dir;
  const std::string path = dir.write("bindings", "hub-1: m1\n");
  auto table = std::make_shared<Bindings>(path);
  const AclEngine acl(AclPolicy::metering_default(), table);
  const Principal hub{"hub-1", Role::kHub};

  std::atomic<bool> stop{false};
  std::atomic<long> decisions{0};
  std::atomic<long> both{0};
  std::atomic<long> slowest_us{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 2; ++t) {
    workers.emplace_back([&] {
      while (!stop.load()) {
        const auto start = std::chrono::steady_clock::now();
        const bool m1 = acl.allowed(kPub, hub, "hub-1", "mtr/v1/t/m1/up/reading");
        const bool own = acl.allowed(kPub, hub, "hub-1", "hub/v1/t/hub-1/state");
        const long us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        long seen = slowest_us.load();
        while (us > seen && !slowest_us.compare_exchange_weak(seen, us)) {
        }
        if (!own) {
          ++both;  // the hub's own rule never depends on the bindings
        }
        (void)m1;
        ++decisions;
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    dir.write("bindings", i % 2 == 0 ? "hub-1: m2\n" : "hub-1: m1 m3\n");
    ASSERT_EQ(table->reload(), std::nullopt);
  }
  dir.write("bindings", "hub-1: m9\n");
  ASSERT_EQ(table->reload(), std::nullopt);
  // Visible at once, also while the workers still run.
  EXPECT_FALSE(acl.allowed(kPub, hub, "hub-1", "mtr/v1/t/m1/up/reading"));
  EXPECT_TRUE(acl.allowed(kPub, hub, "hub-1", "mtr/v1/t/m9/up/reading"));
  stop = true;
  for (std::thread& worker : workers) {
    worker.join();
  }
  EXPECT_GT(decisions.load(), 0);
  EXPECT_EQ(both.load(), 0);
  EXPECT_LT(slowest_us.load(), 500000);
}

}  // namespace
}  // namespace gridmq::auth
