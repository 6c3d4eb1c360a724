#include "plugins/meter_validation/meter_validation.hpp"

#include <spdlog/logger.h>

#include <nlohmann/json.hpp>

#include "plugins/meter_validation/json_scan.hpp"
#include "plugins/meter_validation/validate.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

void add_flags(std::string& payload, const std::vector<Reason>& flags, std::uint32_t epoch) {
  const auto close = payload.find_last_of('}');
  if (close == std::string::npos) return;
  std::string extra = ",\"flags\":[";
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (i) extra += ',';
    extra.append("\"").append(reason_name(flags[i])).append("\"");
  }
  extra.append("],\"epoch\":").append(std::to_string(epoch));
  payload.insert(close, extra);
}

// A JSON string literal; never throws (invalid UTF-8 is replaced, though topics and payload strings
// have been checked already).
std::string json_string(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// The quarantine message: the reason and the original (a valid JSON object: it was parsed).
std::string quarantine_payload(Reason r, std::string_view detail, std::string_view topic,
                               std::string_view payload) {
  std::string out = "{\"reason\":\"";
  out.append(reason_name(r)).append("\",\"detail\":").append(json_string(detail));
  out.append(",\"topic\":").append(json_string(topic)).append(",\"msg\":");
  out.append(payload);
  out += '}';
  return out;
}

}  // namespace

PluginPtr make_plugin() {
  return std::make_unique<MeterValidation>();
}

void MeterValidation::validate(const config::PluginSection& config) const {
  (void)read_settings(config);
}

void MeterValidation::init(const InitContext& ctx) {
  auto s = std::make_unique<const Settings>(read_settings(ctx.config));
  settings_.store(s.get(), std::memory_order_release);
  all_settings_.push_back(std::move(s));
  store_ = ctx.store;
  log_ = ctx.log;
  bindings_ = ctx.bindings;
  if (store_ == nullptr) return;
  // Per-meter state is restored from the Store on each meter's first message after the start
  // (Store::get_plugin), so the start does not read every meter. Here: the format marker.
  std::string format;
  bool found = false;
  const auto st = store_->get_plugin(kName, kFormatKey, format, found);
  if (!st.ok) throw std::runtime_error("meter_validation: cannot read its state: " + st.message);
  // Format 1 (fixed-width values) is read and upgraded: values are rewritten in format 2 as
  // their meters report, and the marker says 2 from now on, so that a broker that reads only
  // format 1 refuses the store instead of misreading it.
  if (found && format != kFormat && format != "1") {
    throw std::runtime_error("meter_validation: stored state has format '" + format +
                             "', this broker reads formats 1 and " + std::string(kFormat));
  }
  if (!found || format != kFormat) {
    storage::Batch b;
    b.put_plugin(kName, kFormatKey, std::string(kFormat));
    const auto w = store_->commit_sync(std::move(b));
    if (!w.ok) throw std::runtime_error("meter_validation: cannot write its state: " + w.message);
  }
}

std::optional<std::string> MeterValidation::reload(const ReloadContext& ctx) {
  auto s = std::make_unique<const Settings>(read_settings(ctx.config));
  std::lock_guard g(settings_mu_);
  settings_.store(s.get(), std::memory_order_release);
  all_settings_.push_back(std::move(s));
  return std::nullopt;
}

MeterValidation::Meter& MeterValidation::meter_locked(Shard& shard, const HashedKey& hk) {
  const std::string_view key = hk.key;
  auto it = shard.meters.find(hk);
  if (it != shard.meters.end()) return it->second;
  Meter m;
  if (store_ != nullptr) {
    std::string value;
    bool found = false;
    const auto s = store_->get_plugin(kName, key, value, found);
    if (!s.ok || (found && !decode_state(value, m.state))) {
      state_errors_.fetch_add(1, std::memory_order_relaxed);
      if (log_)
        log_->error("meter_validation: state of {} unreadable, starting afresh: {}", key,
                    s.ok ? "bad format" : s.message);
      m.state = MeterState{};
    }
  }
  return shard.meters.emplace(std::string(key), std::move(m)).first->second;
}

StateResult MeterValidation::apply_locked(const Settings& s, const Checked& c, std::string_view key,
                                          Meter& m, PublishResult& result, std::uint32_t& epoch) {
  StateResult r = apply_state(s, c, m.state);
  epoch = m.state.epoch;
  if (r.changed && store_ != nullptr && s.kinds[static_cast<std::size_t>(c.kind)].persist) {
    result.put_state(key, encode_state(m.state));
  }
  return r;
}

void MeterValidation::log_outcome(Action a, Reason r, std::string_view meter,
                                  std::string_view detail, std::int64_t now_ms) {
  const Settings& s = *settings_.load(std::memory_order_acquire);
  std::uint64_t suppressed = 0;
  if (log_ == nullptr || !stats_.should_log(r, now_ms, s.log_interval_ms, suppressed)) return;
  log_->warn("meter_validation: {} meter '{}': {} ({} similar line(s) suppressed)",
             kActionNames[static_cast<std::size_t>(a)], meter, detail, suppressed);
}

void MeterValidation::on_publish(const PublishEvent& e, PublishResult& result) {
  const Settings& s = *settings_.load(std::memory_order_acquire);
  Input in;
  in.topic = e.topic;
  in.payload = e.payload;
  in.principal = e.client.principal;
  in.client_id = e.client.client_id;
  in.bindings = bindings_;
  in.now_ms = e.wall_ms;
  Checked c = check_head(s, in);
  if (!c.in_scope) return;
  if (c.action == Action::kReject) {
    reject(c, e.wall_ms, result);
    return;
  }
  if (!c.uplink) {
    stats_.count(c.tenant, Action::kAccept, Reason::kAccepted);
    return;
  }
  // "<tenant>/<meter_id>", built in a buffer this thread reuses: the map is searched by view and
  // put_state copies it into the change's record key, so no key string is allocated here.
  thread_local std::string key;
  key.assign(c.tenant).append("/").append(c.meter);
  const HashedKey hk{key, KeyHash{}(key)};
  Shard& shard = shards_[hk.hash % kShards];
  StateResult r;
  std::uint32_t epoch = 0;
  bool fitted = false;
  bool capture = c.kind == Kind::kReading;
  if (c.kind == Kind::kReading) {
    // A reading that fits its meter's shape is checked without a parse (reading_shape.hpp).
    std::lock_guard g(shard.mu);
    const auto it = shard.meters.find(hk);
    if (it != shard.meters.end()) {
      Meter& m = it->second;
      if (m.shape.match(s, in, c)) {
        ++m.fits;
        ++shard.fits;
        r = apply_locked(s, c, key, m, result, epoch);
        fitted = true;
      } else {
        ++m.misses;
        capture = m.fits >= m.misses || m.misses % kShapeRetry == 0;
      }
    }
  }
  if (!fitted) {
    thread_local JsonScan scan;  // keeps its node array between messages: no allocation
    check_payload(s, in, c, scan);
    if (c.action == Action::kReject) {
      reject(c, e.wall_ms, result);
      return;
    }
    ReadingShape shape;
    if (capture && c.action == Action::kAccept) shape = ReadingShape::capture(s, in.payload, scan);
    std::lock_guard g(shard.mu);
    Meter& m = meter_locked(shard, hk);
    if (capture) {
      shard.captures += shape.empty() ? 0 : 1;
      m.shape = std::move(shape);
      m.fits = 0;
      m.misses = 0;
    }
    r = apply_locked(s, c, key, m, result, epoch);
  }
  finish(s, e, c, r, epoch, result);
}

void MeterValidation::reject(Checked& c, std::int64_t wall_ms, PublishResult& result) {
  stats_.count(c.tenant, Action::kReject, c.reason);
  log_outcome(Action::kReject, c.reason, c.meter, c.detail, wall_ms);
  result.reject(c.code, std::move(c.detail));
}

void MeterValidation::finish(const Settings& s, const PublishEvent& e, const Checked& c,
                             const StateResult& r, std::uint32_t epoch, PublishResult& result) {
  Action action = r.action;
  Reason reason = r.reason;
  std::string_view detail = r.detail;
  if (action != Action::kDrop && c.action == Action::kQuarantine) {
    action = Action::kQuarantine;
    reason = c.reason;
    detail = c.detail;
  }
  stats_.count(c.tenant, action, reason);
  switch (action) {
    case Action::kAccept:
      return;
    case Action::kDrop:
      result.verdict = Verdict::kDrop;
      break;
    case Action::kTag: {
      std::string payload(e.payload);
      add_flags(payload, r.flags, epoch);
      result.payload = std::move(payload);
      result.user_properties.emplace_back("gridmq-flags", std::string(reason_name(reason)));
      break;
    }
    case Action::kQuarantine:
      result.verdict = Verdict::kRedirect;
      result.topic = s.quarantine_prefix + std::string(e.topic);
      result.payload = quarantine_payload(reason, detail, e.topic, e.payload);
      result.user_properties.emplace_back("gridmq-quarantine-reason",
                                          std::string(reason_name(reason)));
      break;
    case Action::kReject:
    case Action::kCount:
      break;
  }
  log_outcome(action, reason, c.meter, detail, e.wall_ms);
}

std::size_t MeterValidation::meters_tracked() const {
  std::size_t n = 0;
  for (const auto& sh : shards_) {
    std::lock_guard g(sh.mu);
    n += sh.meters.size();
  }
  return n;
}

MeterValidation::ShapeCounts MeterValidation::shape_counts() const {
  ShapeCounts n;
  for (const auto& sh : shards_) {
    std::lock_guard g(sh.mu);
    n.fits += sh.fits;
    n.captures += sh.captures;
  }
  return n;
}

void MeterValidation::metrics(MetricsWriter& out) const {
  stats_.write(out);
  out.gauge("gridmq_plugin_meter_validation_meters", "Meters whose state is held in memory", {},
            static_cast<double>(meters_tracked()));
  const ShapeCounts shapes = shape_counts();
  out.counter("gridmq_plugin_meter_validation_shape_fits_total",
              "Readings checked against their meter's shape instead of parsed", {}, shapes.fits);
  out.counter("gridmq_plugin_meter_validation_shape_captures_total",
              "Reading shapes taken from readings that passed every rule", {}, shapes.captures);
  out.counter("gridmq_plugin_meter_validation_state_errors_total",
              "Per-meter state records that could not be read (started afresh)", {},
              state_errors_.load(std::memory_order_relaxed));
}

}  // namespace gridmq::plugins::meter_validation
