// AccessControl: which ACL decides for whom, reloads that keep the old files on errors, and the
// password verifier's threading and delay.

#include "auth/access_control.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "auth/password_file.hpp"
#include "auth_test_util.hpp"

namespace gridmq::auth {
namespace {

using namespace std::chrono_literals;

const Principal kMeter{"MTR1", Role::kMeter};
const Principal kHub{"HUB1", Role::kHub};

TEST(AccessControl, AnonymousClientsUseTheV1AclAndPrincipalsThePolicy) {
  AccessControl ac(Acl::parse("allow publish anon-1 free/#\n", "v1"));
  EXPECT_TRUE(ac.allowed(Access::kPublish, nullptr, "anon-1", "free/x"));
  EXPECT_FALSE(ac.allowed(Access::kPublish, nullptr, "anon-1", "mtr/v1/t1/MTR1/up/reading"));
  // A meter is decided by the metering profile, not by the v1 file.
  EXPECT_TRUE(ac.allowed(Access::kPublish, &kMeter, "MTR1", "mtr/v1/t1/MTR1/up/reading"));
  EXPECT_FALSE(ac.allowed(Access::kPublish, &kMeter, "anon-1", "free/x"));
  EXPECT_FALSE(ac.has_password_file());
}

TEST(AccessControl, ReloadSwapsPolicyAndBindingsAndKeepsThemOnErrors) {
  test::TempDir dir;
  AccessControlOptions o;
  o.acl_policy_file = dir.write("policy.acl", "meter allow publish a/%id\n");
  o.bindings_file = dir.write("bindings", "HUB1: MTR1\n");
  AccessControl ac(o, Acl::allow_all());
  EXPECT_TRUE(ac.allowed(Access::kPublish, &kMeter, "MTR1", "a/MTR1"));
  EXPECT_FALSE(ac.allowed(Access::kPublish, &kMeter, "MTR1", "b/MTR1"));
  EXPECT_FALSE(ac.allowed(Access::kPublish, &kHub, "HUB1", "mtr/v1/t1/MTR1/up/x"));  // no hub rule

  dir.write("policy.acl", "meter allow publish b/%id\nhub allow publish mtr/v1/+/%bound/up/#\n");
  auto report = ac.reload();
  EXPECT_TRUE(report.errors.empty());
  ASSERT_EQ(report.reloaded.size(), 2u);
  EXPECT_FALSE(ac.allowed(Access::kPublish, &kMeter, "MTR1", "a/MTR1"));
  EXPECT_TRUE(ac.allowed(Access::kPublish, &kMeter, "MTR1", "b/MTR1"));
  EXPECT_TRUE(ac.allowed(Access::kPublish, &kHub, "HUB1", "mtr/v1/t1/MTR1/up/x"));

  dir.write("policy.acl", "meter allow publish c/%id\nmeter allow nonsense x\n");
  dir.write("bindings", "HUB1: MTR1\nHUB1 MTR2\n");
  report = ac.reload();
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_NE(report.errors[0].find(o.acl_policy_file + ":2"), std::string::npos) << report.errors[0];
  EXPECT_NE(report.errors[1].find(o.bindings_file + ":2"), std::string::npos) << report.errors[1];
  EXPECT_TRUE(ac.allowed(Access::kPublish, &kMeter, "MTR1", "b/MTR1"));  // the old rules
  EXPECT_FALSE(ac.allowed(Access::kPublish, &kMeter, "MTR1", "c/MTR1"));
  EXPECT_TRUE(ac.allowed(Access::kPublish, &kHub, "HUB1", "mtr/v1/t1/MTR1/up/x"));
}

TEST(AccessControl, ReloadChangedReadsTheBindingsOnlyWhenTheFileChanged) {
  test::TempDir dir;
  AccessControlOptions o;
  o.bindings_file = dir.write("bindings", "HUB1: MTR1\n");
  AccessControl ac(o, Acl::allow_all());
  EXPECT_TRUE(ac.reload_changed().reloaded.empty());
  dir.write("bindings", "HUB1: MTR1 MTR2\n");
  const auto report = ac.reload_changed();
  ASSERT_EQ(report.reloaded.size(), 1u);
  EXPECT_TRUE(ac.allowed(Access::kPublish, &kHub, "HUB1", "mtr/v1/t1/MTR2/up/x"));
  EXPECT_TRUE(ac.reload_changed().reloaded.empty());
}

TEST(AccessControl, BadFilesStopTheStart) {
  test::TempDir dir;
  AccessControlOptions o;
  o.acl_policy_file = dir.write("policy.acl", "robot allow publish x\n");
  EXPECT_THROW(AccessControl(o, Acl::allow_all()), AclPolicyError);
  o.acl_policy_file.clear();
  o.password_file = dir.file("missing");
  EXPECT_THROW(AccessControl(o, Acl::allow_all()), PasswordFileError);
}

/// Collects verifier answers across threads.
struct Answers {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::optional<Principal>, std::chrono::steady_clock::time_point>> got;
  PasswordVerifier::Done done() {
    return [this](std::optional<Principal> p) {
      std::lock_guard lock(mu);
      got.emplace_back(std::move(p), std::chrono::steady_clock::now());
      cv.notify_all();
    };
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 10s, [&] { return got.size() >= n; });
  }
};

TEST(AccessControl, PasswordsAreCheckedOffThreadAndFailuresAreDelayed) {
  test::TempDir dir;
  AccessControlOptions o;
  o.password_file = dir.write(
      "passwd", "ops1:operator:" + hash_password("secret", pbkdf2::kMinIterations) + "\n");
  o.failed_auth_delay = 300ms;
  AccessControl ac(o, Acl::allow_all());
  ASSERT_TRUE(ac.has_password_file());
  Answers answers;
  const auto start = std::chrono::steady_clock::now();
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> other_thread{false};
  ASSERT_TRUE(ac.verify_password("ops1", "wrong", answers.done()));
  ASSERT_TRUE(ac.verify_password("ops1", "secret", [&](std::optional<Principal> p) {
    other_thread = std::this_thread::get_id() != caller;
    answers.done()(std::move(p));
  }));
  ASSERT_TRUE(answers.wait_for(2));
  // The right password is answered first, although it was asked second: the failure waits.
  ASSERT_TRUE(answers.got[0].first.has_value());
  EXPECT_EQ(*answers.got[0].first, (Principal{"ops1", Role::kOperator}));
  EXPECT_FALSE(answers.got[1].first.has_value());
  EXPECT_GE(answers.got[1].second - start, 300ms);
  EXPECT_TRUE(other_thread.load());
}

TEST(AccessControl, StopAnswersWaitingChecksAsFailures) {
  test::TempDir dir;
  AccessControlOptions o;
  o.password_file = dir.write(
      "passwd", "ops1:operator:" + hash_password("secret", pbkdf2::kMinIterations) + "\n");
  o.failed_auth_delay = 10s;
  AccessControl ac(o, Acl::allow_all());
  Answers answers;
  ASSERT_TRUE(ac.verify_password("ops1", "wrong", answers.done()));
  // Wait until the check is done and the failure waits out its (long) delay.
  std::this_thread::sleep_for(300ms);
  const auto before = std::chrono::steady_clock::now();
  ac.stop();
  ASSERT_TRUE(answers.wait_for(1));
  EXPECT_FALSE(answers.got[0].first.has_value());
  EXPECT_LT(answers.got[0].second - before, 5s);
  EXPECT_FALSE(ac.verify_password("ops1", "secret", answers.done()));  // stopped
}

TEST(PasswordVerifier, QueueIsBounded) {
  std::mutex gate;
  gate.lock();  // the first check blocks until the test lets it go
  PasswordVerifier v(
      [&](const std::string&, const std::string&) -> std::optional<Principal> {
        std::lock_guard lock(gate);
        return std::nullopt;
      },
      0ms, 2);
  Answers answers;
  ASSERT_TRUE(v.submit("a", "x", answers.done()));
  std::this_thread::sleep_for(50ms);  // the thread took the first one
  EXPECT_TRUE(v.submit("b", "x", answers.done()));
  EXPECT_TRUE(v.submit("c", "x", answers.done()));
  EXPECT_FALSE(v.submit("d", "x", answers.done()));
  gate.unlock();
  EXPECT_TRUE(answers.wait_for(3));
}

TEST(Authentication, Names) {
  for (const auto a : {Authentication::kAnonymous, Authentication::kCertificate,
                       Authentication::kPassword, Authentication::kCertificateOrPassword}) {
    EXPECT_EQ(parse_authentication(authentication_name(a)), a);
  }
  EXPECT_FALSE(parse_authentication("auto").has_value());
}

}  // namespace
}  // namespace gridmq::auth
