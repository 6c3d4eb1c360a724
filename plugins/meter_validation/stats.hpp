#pragma once
// Outcome counters of meter_validation, per tenant, action and reason, and the rate-limited log.
//
// THREADING: count() and should_log() run on any worker concurrently (relaxed atomics; the tenant
// map takes a shared lock, exclusive only for a tenant's first message); write() on the control
// thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "plugins/meter_validation/reason.hpp"
#include "plugins/metrics.hpp"

namespace gridmq::plugins::meter_validation {

/// At most this many tenant labels; later tenants are counted under "other" (a topic's tenant is
/// client-chosen until it has been checked).
inline constexpr std::size_t kMaxTenantLabels = 256;

class Stats {
 public:
  static constexpr std::size_t kActions = static_cast<std::size_t>(Action::kCount);

  void count(std::string_view tenant, Action a, Reason r);
  std::uint64_t get(std::string_view tenant, Action a, Reason r) const;
  /// Sum over tenants.
  std::uint64_t total(Action a, Reason r) const;
  void write(MetricsWriter& out) const;

  /// Whether a log line for `r` is due now (at most one per `interval_ms` per reason); `suppressed`
  /// gets the number of lines skipped since the last one.
  bool should_log(Reason r, std::int64_t now_ms, std::uint32_t interval_ms,
                  std::uint64_t& suppressed);

 private:
  struct Counters {
    std::array<std::atomic<std::uint64_t>, kActions * kReasonCount> n{};
  };
  Counters& counters(std::string_view tenant);
  static std::size_t index(Action a, Reason r) {
    return static_cast<std::size_t>(a) * kReasonCount + static_cast<std::size_t>(r);
  }

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Counters>> by_tenant_;  // guarded by mu_
  std::array<std::atomic<std::int64_t>, kReasonCount> next_log_ms_{};
  std::array<std::atomic<std::uint64_t>, kReasonCount> suppressed_{};
};

}  // namespace gridmq::plugins::meter_validation
