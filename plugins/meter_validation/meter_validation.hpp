#pragma once
// meter_validation: checks every publish from meters and hubs against the metering profile
// (design.md §6, domain.md §2 "Validation at ingest"). See README.md for the rules, config keys,
// topics and payloads.
//
// THREADING: on_publish runs on any worker. Per-meter state (and each meter's reading shape)
// lives in kShards shards, each with its own mutex, held while a reading is compared with its
// meter's shape and while a message is applied to its meter's state; a payload's full check
// (check_payload) runs without it. The settings are an immutable object behind an atomic pointer
// (reload swaps it; old ones are kept until shutdown, so a worker never sees a freed one, and a
// shape that names them is never confused with newer ones).

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "plugins/meter_validation/meter_state.hpp"
#include "plugins/meter_validation/reading_shape.hpp"
#include "plugins/meter_validation/settings.hpp"
#include "plugins/meter_validation/stats.hpp"
#include "plugins/meter_validation/validate.hpp"
#include "plugins/plugin.hpp"

namespace gridmq::plugins::meter_validation {

inline constexpr std::string_view kName = "meter_validation";
/// The plugin key holding the state format version (kFormat; "1" is upgraded at init).
inline constexpr std::string_view kFormatKey =
    "\x01"
    "format";
/// The format of the per-meter values this broker writes (meter_state.hpp, version 2).
inline constexpr std::string_view kFormat = "2";

class MeterValidation final : public Plugin {
 public:
  std::string_view name() const override { return kName; }
  void validate(const config::PluginSection& config) const override;
  void init(const InitContext& ctx) override;
  std::optional<std::string> reload(const ReloadContext& ctx) override;
  Hooks hooks() const override {
    Hooks h;
    h.publish = true;
    return h;
  }
  void on_publish(const PublishEvent& e, PublishResult& result) override;
  void metrics(MetricsWriter& out) const override;

  const Stats& stats() const { return stats_; }
  std::size_t meters_tracked() const;
  struct ShapeCounts {
    std::uint64_t fits = 0;      // readings checked against their meter's shape, not parsed
    std::uint64_t captures = 0;  // shapes taken from readings that passed the full check
  };
  ShapeCounts shape_counts() const;

 private:
  static constexpr std::size_t kShards = 64;
  struct Meter {
    MeterState state;    // persisted
    ReadingShape shape;  // in memory only: its last reading that passed every rule
    /// Readings that fitted `shape`, and that did not, since it was taken. A reading that does
    /// not fit gets its shape taken only while the shape has fitted at least as often as not (a
    /// meter whose form changed for good), or at every kShapeRetry-th miss: a meter whose
    /// readings alternate or keep changing form does not pay a capture (about as much again as
    /// the full check it follows) with each one.
    std::uint32_t fits = 0;
    std::uint32_t misses = 0;
  };
  static constexpr std::uint32_t kShapeRetry = 64;
  /// A meter's key and its hash, computed once per message: it picks the shard and the bucket.
  struct HashedKey {
    std::string_view key;
    std::size_t hash = 0;
  };
  struct KeyHash {  // looks meters up by HashedKey: no key string, one hash per message
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
    std::size_t operator()(const HashedKey& k) const noexcept { return k.hash; }
  };
  struct KeyEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
    bool operator()(const HashedKey& a, std::string_view b) const noexcept { return a.key == b; }
    bool operator()(std::string_view a, const HashedKey& b) const noexcept { return a == b.key; }
  };
  struct alignas(64) Shard {  // a cache line (or two) per shard: workers locking two shards
    mutable std::mutex mu;    // do not write one line
    // key "<tenant>/<meter_id>"; guarded by mu
    std::unordered_map<std::string, Meter, KeyHash, KeyEqual> meters;
    std::uint64_t fits = 0;      // readings that fitted their meter's shape; guarded by mu
    std::uint64_t captures = 0;  // shapes taken; guarded by mu
  };
  Meter& meter_locked(Shard& shard, const HashedKey& key);  // requires shard.mu; loads the state
  /// The state step of an uplink message that passed the checks (`c`), under the shard's lock.
  StateResult apply_locked(const Settings& s, const Checked& c, std::string_view key, Meter& m,
                           PublishResult& result, std::uint32_t& epoch);
  void reject(Checked& c, std::int64_t wall_ms, PublishResult& result);
  /// The outcome of an uplink message from its checks and its state step.
  void finish(const Settings& s, const PublishEvent& e, const Checked& c, const StateResult& r,
              std::uint32_t epoch, PublishResult& result);
  void log_outcome(Action a, Reason r, std::string_view meter, std::string_view detail,
                   std::int64_t now_ms);

  std::atomic<const Settings*> settings_{nullptr};
  std::mutex settings_mu_;
  std::vector<std::unique_ptr<const Settings>> all_settings_;  // guarded by settings_mu_
  storage::Store* store_ = nullptr;
  spdlog::logger* log_ = nullptr;
  const auth::Bindings* bindings_ = nullptr;
  std::array<Shard, kShards> shards_;
  Stats stats_;
  std::atomic<std::uint64_t> state_errors_{0};
};

PluginPtr make_plugin();

}  // namespace gridmq::plugins::meter_validation
