#include "plugins/meter_validation/stats.hpp"

#include <mutex>

namespace gridmq::plugins::meter_validation {

Stats::Counters& Stats::counters(std::string_view tenant) {
  const std::string_view label = tenant.empty() ? std::string_view("-") : tenant;
  {
    std::shared_lock g(mu_);
    auto it = by_tenant_.find(std::string(label));
    if (it != by_tenant_.end()) return *it->second;
  }
  std::unique_lock g(mu_);
  std::string key(label);
  if (by_tenant_.size() >= kMaxTenantLabels && !by_tenant_.contains(key)) key = "other";
  auto& slot = by_tenant_[key];
  if (!slot) slot = std::make_unique<Counters>();
  return *slot;
}

void Stats::count(std::string_view tenant, Action a, Reason r) {
  counters(tenant).n[index(a, r)].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Stats::get(std::string_view tenant, Action a, Reason r) const {
  std::shared_lock g(mu_);
  auto it = by_tenant_.find(std::string(tenant.empty() ? std::string_view("-") : tenant));
  return it == by_tenant_.end() ? 0 : it->second->n[index(a, r)].load(std::memory_order_relaxed);
}

std::uint64_t Stats::total(Action a, Reason r) const {
  std::shared_lock g(mu_);
  std::uint64_t sum = 0;
  for (const auto& [_, c] : by_tenant_) sum += c->n[index(a, r)].load(std::memory_order_relaxed);
  return sum;
}

void Stats::write(MetricsWriter& out) const {
  std::shared_lock g(mu_);
  for (const auto& [tenant, c] : by_tenant_) {
    for (std::size_t a = 0; a < kActions; ++a) {
      for (std::size_t r = 0; r < kReasonCount; ++r) {
        const auto n = c->n[a * kReasonCount + r].load(std::memory_order_relaxed);
        if (n == 0) continue;
        out.counter("gridmq_plugin_meter_validation_messages_total",
                    "Messages checked by meter_validation, by tenant, action and reason",
                    {{"tenant", tenant}, {"action", kActionNames[a]}, {"reason", kReasonNames[r]}},
                    n);
      }
    }
  }
}

bool Stats::should_log(Reason r, std::int64_t now_ms, std::uint32_t interval_ms,
                       std::uint64_t& suppressed) {
  const auto i = static_cast<std::size_t>(r);
  std::int64_t next = next_log_ms_[i].load(std::memory_order_relaxed);
  if (now_ms < next || !next_log_ms_[i].compare_exchange_strong(next, now_ms + interval_ms,
                                                                std::memory_order_relaxed)) {
    suppressed_[i].fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  suppressed = suppressed_[i].exchange(0, std::memory_order_relaxed);
  return true;
}

}  // namespace gridmq::plugins::meter_validation
