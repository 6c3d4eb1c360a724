#include "plugins/meter_validation/stats.hpp"

#include <functional>
#include <mutex>
#include <thread>

namespace gridmq::plugins::meter_validation {

namespace {

std::string_view label_of(std::string_view tenant) {
  return tenant.empty() ? std::string_view("-") : tenant;
}

/// The counter copy of the calling thread (Stats::Stripe).
std::size_t stripe_of_this_thread(std::size_t stripes) {
  return std::hash<std::thread::id>{}(std::this_thread::get_id()) % stripes;
}

}  // namespace

std::uint64_t Stats::Tenant::sum(std::size_t i) const {
  std::uint64_t n = 0;
  for (const auto& s : stripes) n += s.n[i].load(std::memory_order_relaxed);
  return n;
}

Stats::Tenant* Stats::lookup(std::string_view name) const {
  const std::size_t h = std::hash<std::string_view>{}(name);
  for (std::size_t i = 0; i < kSlots; ++i) {
    Tenant* t = slots_[(h + i) & (kSlots - 1)].load(std::memory_order_acquire);
    if (t == nullptr) return nullptr;
    if (t->name == name) return t;
  }
  return nullptr;
}

Stats::Tenant& Stats::tenant(std::string_view name) {
  if (Tenant* t = lookup(name)) return *t;
  std::lock_guard g(mu_);
  if (Tenant* t = lookup(name)) return *t;  // added meanwhile
  if (tenants_.size() >= kMaxTenantLabels) {
    name = "other";
    if (Tenant* t = lookup(name)) return *t;
  }
  auto& t = tenants_.emplace_back(std::make_unique<Tenant>());
  t->name = std::string(name);
  const std::size_t h = std::hash<std::string_view>{}(name);
  for (std::size_t i = 0;; ++i) {  // kSlots exceeds the tenants there can be: a slot is free
    auto& slot = slots_[(h + i) & (kSlots - 1)];
    if (slot.load(std::memory_order_relaxed) == nullptr) {
      slot.store(t.get(), std::memory_order_release);
      break;
    }
  }
  return *t;
}

void Stats::count(std::string_view tenant_name, Action a, Reason r) {
  // The same for every Stats of this thread (a function of the thread's id): hashed once.
  thread_local const std::size_t stripe = stripe_of_this_thread(kStripes);
  tenant(label_of(tenant_name))
      .stripes[stripe]
      .n[index(a, r)]
      .fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Stats::get(std::string_view tenant_name, Action a, Reason r) const {
  const Tenant* t = lookup(label_of(tenant_name));
  return t == nullptr ? 0 : t->sum(index(a, r));
}

std::uint64_t Stats::total(Action a, Reason r) const {
  std::lock_guard g(mu_);
  std::uint64_t sum = 0;
  for (const auto& t : tenants_) sum += t->sum(index(a, r));
  return sum;
}

void Stats::write(MetricsWriter& out) const {
  std::lock_guard g(mu_);
  for (const auto& t : tenants_) {
    for (std::size_t a = 0; a < kActions; ++a) {
      for (std::size_t r = 0; r < kReasonCount; ++r) {
        const auto n = t->sum(a * kReasonCount + r);
        if (n == 0) continue;
        out.counter("gridmq_plugin_meter_validation_messages_total",
                    "Messages checked by meter_validation, by tenant, action and reason",
                    {{"tenant", t->name}, {"action", kActionNames[a]}, {"reason", kReasonNames[r]}},
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
