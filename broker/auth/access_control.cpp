#include "auth/access_control.hpp"

#include <system_error>

namespace gridmq::auth {

std::optional<Authentication> parse_authentication(std::string_view name) {
  if (name == "anonymous") return Authentication::kAnonymous;
  if (name == "certificate") return Authentication::kCertificate;
  if (name == "password") return Authentication::kPassword;
  if (name == "certificate_or_password") return Authentication::kCertificateOrPassword;
  return std::nullopt;
}

std::string_view authentication_name(Authentication a) {
  switch (a) {
    case Authentication::kAnonymous:
      return "anonymous";
    case Authentication::kCertificate:
      return "certificate";
    case Authentication::kPassword:
      return "password";
    case Authentication::kCertificateOrPassword:
      return "certificate_or_password";
  }
  return "?";
}

AccessControl::AccessControl(Acl anonymous_acl)
    : AccessControl(AccessControlOptions{}, std::move(anonymous_acl)) {}

AccessControl::AccessControl(AccessControlOptions options, Acl anonymous_acl)
    : options_(std::move(options)),
      mapping_(options_.mapping),
      anonymous_acl_(std::move(anonymous_acl)) {
  if (options_.bindings_file.empty()) {
    bindings_ = std::make_shared<Bindings>();
  } else {
    bindings_stamp_ = stamp(options_.bindings_file);
    bindings_ = std::make_shared<Bindings>(options_.bindings_file);
  }
  AclPolicy policy = options_.acl_policy_file.empty()
                         ? AclPolicy::metering_default()
                         : AclPolicy::load_file(options_.acl_policy_file);
  engine_.store(std::make_shared<const AclEngine>(std::move(policy), bindings_));
  if (!options_.password_file.empty()) {
    passwords_.store(
        std::make_shared<const PasswordFile>(PasswordFile::load_file(options_.password_file)));
    verifier_ = std::make_unique<PasswordVerifier>(
        [this](const std::string& user, const std::string& password) {
          return passwords_.load()->verify(user, password);
        },
        options_.failed_auth_delay);
  }
}

AccessControl::~AccessControl() {
  stop();
}

void AccessControl::stop() {
  if (verifier_) verifier_->stop();
}

bool AccessControl::allowed(Access access, const Principal* principal, std::string_view client_id,
                            std::string_view topic_or_filter) const {
  if (principal == nullptr) return anonymous_acl_.allowed(access, client_id, topic_or_filter);
  return engine_.load()->allowed(access, *principal, client_id, topic_or_filter);
}

bool AccessControl::verify_password(std::string username, std::string password,
                                    PasswordVerifier::Done done) {
  if (!verifier_) return false;
  return verifier_->submit(std::move(username), std::move(password), std::move(done));
}

AccessControl::FileStamp AccessControl::stamp(const std::string& path) {
  std::error_code ec;
  FileStamp s;
  s.mtime = std::filesystem::last_write_time(path, ec);
  if (ec) return {};
  s.size = std::filesystem::file_size(path, ec);
  if (ec) return {};
  return s;
}

void AccessControl::reload_bindings(ReloadReport& report) {
  bindings_stamp_ = stamp(options_.bindings_file);
  if (auto error = bindings_->reload()) {
    report.errors.push_back(*error + "; the previous bindings stay in force");
    return;
  }
  const auto table = bindings_->snapshot();
  report.reloaded.push_back("bindings " + options_.bindings_file + " (" +
                            std::to_string(table->hub_count()) + " hubs, " +
                            std::to_string(table->binding_count()) + " bindings)");
}

AccessControl::ReloadReport AccessControl::reload() {
  std::lock_guard lock(reload_mu_);
  ReloadReport report;
  if (!options_.acl_policy_file.empty()) {
    try {
      AclPolicy policy = AclPolicy::load_file(options_.acl_policy_file);
      const auto rules = policy.rule_count();
      engine_.store(std::make_shared<const AclEngine>(std::move(policy), bindings_));
      report.reloaded.push_back("ACL policy " + options_.acl_policy_file + " (" +
                                std::to_string(rules) + " rules)");
    } catch (const std::exception& e) {
      report.errors.push_back(std::string(e.what()) + "; the previous ACL policy stays in force");
    }
  }
  if (!options_.bindings_file.empty()) reload_bindings(report);
  if (!options_.password_file.empty()) {
    try {
      auto file =
          std::make_shared<const PasswordFile>(PasswordFile::load_file(options_.password_file));
      const auto users = file->size();
      passwords_.store(std::move(file));
      report.reloaded.push_back("password file " + options_.password_file + " (" +
                                std::to_string(users) + " users)");
    } catch (const std::exception& e) {
      report.errors.push_back(std::string(e.what()) +
                              "; the previous password file stays in force");
    }
  }
  return report;
}

AccessControl::ReloadReport AccessControl::reload_changed() {
  std::lock_guard lock(reload_mu_);
  ReloadReport report;
  if (!options_.bindings_file.empty() && stamp(options_.bindings_file) != bindings_stamp_) {
    reload_bindings(report);
  }
  return report;
}

}  // namespace gridmq::auth
