#pragma once
// Outcome counters of meter_validation, per tenant, action and reason, and the rate-limited log.
//
// THREADING: count() and should_log() run on any worker concurrently; count() takes no lock once
// a tenant has been seen (its first message takes a mutex) and increments a copy of the counters
// that other workers rarely share (below). get(), total() and write() on any thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

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
  static constexpr std::size_t kCounters = kActions * kReasonCount;
  /// Copies of one tenant's counters, each on its own cache lines. A worker increments the copy
  /// its thread id hashes to, so workers counting the same tenant rarely write the same line;
  /// readers add the copies up.
  static constexpr std::size_t kStripes = 4;
  struct alignas(64) Stripe {
    std::array<std::atomic<std::uint64_t>, kCounters> n{};
  };
  struct Tenant {
    std::string name;
    std::array<Stripe, kStripes> stripes;
    std::uint64_t sum(std::size_t i) const;
  };
  /// Open addressing over tenant names (twice the most there can be, a power of two). A slot is
  /// written once, under mu_, and never changes: count() probes without a lock.
  static constexpr std::size_t kSlots = 1024;
  static_assert(kSlots >= 2 * (kMaxTenantLabels + 1) && (kSlots & (kSlots - 1)) == 0);

  Tenant& tenant(std::string_view name);
  Tenant* lookup(std::string_view name) const;
  static std::size_t index(Action a, Reason r) {
    return static_cast<std::size_t>(a) * kReasonCount + static_cast<std::size_t>(r);
  }

  std::array<std::atomic<Tenant*>, kSlots> slots_{};
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Tenant>> tenants_;  // guarded by mu_; in order of first message
  std::array<std::atomic<std::int64_t>, kReasonCount> next_log_ms_{};
  std::array<std::atomic<std::uint64_t>, kReasonCount> suppressed_{};
};

}  // namespace gridmq::plugins::meter_validation
