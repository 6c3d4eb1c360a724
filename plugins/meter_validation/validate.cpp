#include "plugins/meter_validation/validate.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "auth/bindings.hpp"
#include "plugins/meter_validation/json_scan.hpp"
#include "plugins/meter_validation/obis.hpp"
#include "plugins/meter_validation/same_text.hpp"
#include "plugins/meter_validation/timestamp.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

using protocol::ReasonCode;

constexpr std::string_view kEventTypes[] = {"voltage_sag", "voltage_swell",  "freq_dev",
                                            "power_fail",  "power_restore",  "tamper",
                                            "relay",       "limit_exceeded", "clock_set"};

bool fail(Checked& c, Reason r, std::string detail) {
  c.action = Action::kReject;
  c.reason = r;
  switch (r) {
    case Reason::kTopicInvalid:
    case Reason::kMeterIdInvalid:
      c.code = ReasonCode::kTopicNameInvalid;
      break;
    case Reason::kUnauthenticated:
    case Reason::kNotOwner:
    case Reason::kNotBound:
    case Reason::kRoleNotAllowed:
    case Reason::kTenantNotAllowed:
      c.code = ReasonCode::kNotAuthorized;
      break;
    default:
      c.code = ReasonCode::kPayloadFormatInvalid;
      break;
  }
  c.detail = std::string(reason_name(r)) + ": " + std::move(detail);
  return false;
}

void quarantine(Checked& c, Reason r, std::string detail) {
  if (c.action == Action::kQuarantine) return;  // the first reason stays
  c.action = Action::kQuarantine;
  c.reason = r;
  c.detail = std::string(reason_name(r)) + ": " + std::move(detail);
}

bool check_identity(const Settings& s, const Input& in, Checked& c) {
  // Who speaks: the authenticated principal, or for an anonymous client what `unauthenticated`
  // lets stand for it (a meter named by its client id, or by the topic itself).
  std::string_view id;
  auth::Role role = auth::Role::kMeter;
  if (in.principal != nullptr) {
    id = in.principal->id;
    role = in.principal->role;
  } else if (s.unauthenticated == Settings::Anonymous::kClientId && !in.client_id.empty()) {
    id = in.client_id;
  } else if (s.unauthenticated == Settings::Anonymous::kTopic) {
    id = c.meter;
  } else {
    return fail(c, Reason::kUnauthenticated, "meter data needs an authenticated meter or hub");
  }
  switch (role) {
    case auth::Role::kMeter:
      if (id != c.meter) {
        return fail(c, Reason::kNotOwner,
                    "meter " + std::string(id) + " may not publish for " + c.meter);
      }
      break;
    case auth::Role::kHub:
      if (in.bindings == nullptr || !in.bindings->is_bound(id, c.meter)) {
        return fail(c, Reason::kNotBound,
                    "meter " + c.meter + " is not bound to hub " + std::string(id));
      }
      break;
    default:
      return fail(c, Reason::kRoleNotAllowed,
                  "role " + std::string(auth::role_name(role)) + " may not publish meter data");
  }
  if (!c.tenant.empty() && !s.tenant_allowed(id, c.tenant)) {
    return fail(c, Reason::kTenantNotAllowed,
                "tenant " + c.tenant + " not allowed for " + std::string(id));
  }
  return true;
}

using Json = JsonScan;
constexpr std::uint32_t kNone = JsonScan::kNone;

// A non-negative integer member.
bool unsigned_field(const Json& j, std::uint32_t obj, std::string_view name, std::uint64_t& out) {
  return j.uint64(j.find(obj, name), out);
}

bool check_ts(const Settings& s, const Input& in, Checked& c, const Json& j, std::uint32_t value,
              const char* what, std::int64_t& ts_ms) {
  if (!j.is_string(value))
    return fail(c, Reason::kTsInvalid, std::string(what) + " is not a string");
  std::string scratch;
  const std::string_view text = j.str(value, scratch);
  const auto ms = parse_rfc3339_ms(text);
  if (!ms) {
    return fail(c, Reason::kTsInvalid,
                std::string(what) + " '" + std::string(text) + "' is not RFC 3339");
  }
  ts_ms = *ms;
  const Reason r = ts_window(s, in.now_ms, *ms);
  if (r == Reason::kAccepted) return true;
  std::string detail =
      r == Reason::kTsFuture
          ? std::string(what) + " " + std::string(text) + " is more than " +
                std::to_string(s.max_clock_skew_ms / 1000) + " s ahead of the broker clock"
          : std::string(what) + " " + std::string(text) + " is older than the backfill window (" +
                std::to_string(s.backfill_window_ms / 1000) + " s)";
  if (s.ts_action == OnFail::kReject) return fail(c, r, std::move(detail));
  quarantine(c, r, std::move(detail));
  c.ts_trusted = false;
  return true;
}

// One register value: unit for its class, integer energy.
bool check_value(const Settings& s, Checked& c, std::string_view obis_text, const Json& j,
                 std::uint32_t val, std::string_view unit, std::int64_t ts_ms) {
  const auto obis = parse_obis(obis_text);
  if (!obis) {
    return fail(c, Reason::kObisInvalid, "'" + std::string(obis_text) + "' is not an OBIS code");
  }
  const Quantity q = quantity_of(*obis);
  if (!s.unit_allowed(q, unit)) {
    return fail(c, Reason::kUnitInvalid,
                "unit '" + std::string(unit) + "' not allowed for " + std::string(obis_text));
  }
  if (!j.is_number(val)) {
    return fail(c, Reason::kFieldInvalid, std::string(obis_text) + " value is not a number");
  }
  if (is_register(q)) {
    std::int64_t v = 0;
    if (!j.int64(val, v) || v < 0) {
      return fail(c, Reason::kFieldInvalid,
                  std::string(obis_text) +
                      " is an energy register: its value must be a non-negative integer");
    }
    c.samples.push_back(Sample{std::string(obis_text), v, ts_ms, 1});
  }
  return true;
}

bool check_reading(const Settings& s, Checked& c, const Json& j, std::uint32_t regs,
                   std::int64_t ts_ms) {
  if (regs == kNone || j.type(regs) != Json::Type::kArray)
    return fail(c, Reason::kFieldInvalid, "regs is not an array");
  std::string obis_scratch, unit_scratch;
  std::uint32_t r = regs + 1;
  for (std::uint32_t k = 0; k < j.node(regs).count; ++k, r = j.next(r)) {
    if (j.type(r) != Json::Type::kObject) {
      return fail(c, Reason::kFieldInvalid, "a regs entry is not an object");
    }
    static constexpr std::array<std::string_view, 3> kNames = {"obis", "val", "unit"};
    std::array<std::uint32_t, 3> at{};
    j.find_all(r, kNames, at);
    const auto [obis, val, unit] = at;
    if (obis == kNone || val == kNone || unit == kNone) {
      return fail(c, Reason::kFieldMissing, "a regs entry needs obis, val and unit");
    }
    if (!j.is_string(obis) || !j.is_string(unit)) {
      return fail(c, Reason::kFieldInvalid, "obis and unit must be strings");
    }
    if (!check_value(s, c, j.str(obis, obis_scratch), j, val, j.str(unit, unit_scratch), ts_ms)) {
      return false;
    }
  }
  return true;
}

bool check_profile(const Settings& s, const Input& in, Checked& c, const Json& j) {
  std::uint64_t period = 0;
  if (!unsigned_field(j, 0, "period_s", period) || period == 0) {
    return fail(c, Reason::kFieldInvalid, "period_s must be a positive integer");
  }
  const auto obis = j.find(0, "obis");
  const auto unit = j.find(0, "unit");
  const auto rows = j.find(0, "rows");
  if (j.type(obis) != Json::Type::kArray || j.type(unit) != Json::Type::kArray ||
      j.node(obis).count != j.node(unit).count || j.node(obis).count == 0) {
    return fail(c, Reason::kFieldInvalid, "obis and unit must be arrays of the same length");
  }
  const std::size_t n = j.node(obis).count;
  std::vector<std::string> codes, units;
  std::string scratch;
  for (std::uint32_t o = obis + 1, u = unit + 1, k = 0; k < n; ++k, o = j.next(o), u = j.next(u)) {
    if (!j.is_string(o) || !j.is_string(u)) {
      return fail(c, Reason::kFieldInvalid, "obis and unit entries must be strings");
    }
    codes.emplace_back(j.str(o, scratch));
    units.emplace_back(j.str(u, scratch));
  }
  if (j.type(rows) != Json::Type::kArray)
    return fail(c, Reason::kFieldInvalid, "rows is not an array");
  std::uint32_t row = rows + 1;
  for (std::uint32_t k = 0; k < j.node(rows).count; ++k, row = j.next(row)) {
    const auto cells = j.type(row) == Json::Type::kArray ? j.node(row).count : 0;
    if (cells != n + 1 && cells != n + 2) {
      return fail(c, Reason::kFieldInvalid,
                  "each row is [ts, " + std::to_string(n) + " values, optional status]");
    }
    std::int64_t ts = 0;
    std::uint32_t cell = row + 1;
    if (!check_ts(s, in, c, j, cell, "row ts", ts)) return false;
    cell = j.next(cell);
    for (std::size_t col = 0; col < n; ++col, cell = j.next(cell)) {
      if (!check_value(s, c, codes[col], j, cell, units[col], ts)) return false;
    }
  }
  return true;
}

bool check_pulse(Checked& c, const Json& j, std::int64_t ts_ms) {
  std::uint64_t ch = 0, count = 0;
  if (!unsigned_field(j, 0, "ch", ch))
    return fail(c, Reason::kFieldInvalid, "ch must be an integer >= 0");
  if (!unsigned_field(j, 0, "count", count) || count > (std::uint64_t{1} << 53)) {
    return fail(c, Reason::kFieldInvalid, "count must be a cumulative integer >= 0");
  }
  double wh = 0;
  if (!j.number(j.find(0, "wh_per_pulse"), wh) || !(wh > 0)) {
    return fail(c, Reason::kFieldInvalid, "wh_per_pulse must be a number > 0");
  }
  const auto energy = static_cast<std::int64_t>(std::llround(static_cast<double>(count) * wh));
  c.samples.push_back(Sample{"pulse:" + std::to_string(ch), energy, ts_ms,
                             std::max<std::int64_t>(1, std::llround(std::ceil(wh)))});
  return true;
}

bool number_array_in(const Json& j, const char* name, double lo, double hi, bool& out_of_range,
                     Checked& c) {
  const auto it = j.find(0, name);
  if (it == kNone) return true;
  auto check = [&](std::uint32_t v) {
    double x = 0;
    if (!j.number(v, x)) return false;
    if (x < lo || x > hi) out_of_range = true;
    return true;
  };
  if (j.type(it) == Json::Type::kArray) {
    std::uint32_t v = it + 1;
    for (std::uint32_t k = 0; k < j.node(it).count; ++k, v = j.next(v)) {
      if (!check(v))
        return fail(c, Reason::kFieldInvalid, std::string(name) + " must hold numbers");
    }
    return true;
  }
  if (!check(it)) return fail(c, Reason::kFieldInvalid, std::string(name) + " must be a number");
  return true;
}

bool check_inst(const Settings& s, Checked& c, const Json& j) {
  bool bad_u = false, bad_f = false, ignored = false;
  if (!number_array_in(j, "u", s.voltage_min, s.voltage_max, bad_u, c) ||
      !number_array_in(j, "f", s.frequency_min, s.frequency_max, bad_f, c) ||
      !number_array_in(j, "i", -1e9, 1e9, ignored, c) ||
      !number_array_in(j, "p", -1e12, 1e12, ignored, c) ||
      !number_array_in(j, "q", -1e12, 1e12, ignored, c)) {
    return false;
  }
  if (bad_u) quarantine(c, Reason::kOutOfRange, "voltage outside the configured band");
  if (bad_f) quarantine(c, Reason::kOutOfRange, "frequency outside the configured band");
  return true;
}

bool check_event(Checked& c, const Json& j) {
  const auto type = j.find(0, "type");
  std::string scratch;
  if (!j.is_string(type) || std::find(std::begin(kEventTypes), std::end(kEventTypes),
                                      j.str(type, scratch)) == std::end(kEventTypes)) {
    return fail(c, Reason::kFieldInvalid, "type is not a known event type");
  }
  return true;
}

bool check_fields(const Settings& s, const Input& in, Checked& c, JsonScan& scan) {
  if (in.payload.size() > s.max_payload_bytes) {
    return fail(
        c, Reason::kPayloadTooLarge,
        std::to_string(in.payload.size()) + " bytes > " + std::to_string(s.max_payload_bytes));
  }
  const Json& j = scan;
  if (!scan.parse(in.payload) || j.type(0) != Json::Type::kObject) {
    return fail(c, Reason::kJsonInvalid, "the payload is not a JSON object");
  }
  // The members every kind may carry, found in one pass; a kind's own ones are looked up below.
  static constexpr std::array<std::string_view, 6> kCommon = {"v",    "meter", "seq",
                                                              "boot", "ts",    "regs"};
  std::array<std::uint32_t, kCommon.size()> common{};
  j.find_all(0, kCommon, common);
  const auto [v, meter, seq, boot, ts_at, regs] = common;
  if (v != kNone) {
    std::int64_t version = 0;
    if (!j.int64(v, version) || std::find(s.schema_versions.begin(), s.schema_versions.end(),
                                          version) == s.schema_versions.end()) {
      return fail(c, Reason::kSchemaUnknown,
                  "schema version v=" + std::string(j.raw(v)) + " is not known");
    }
  }
  for (const auto& name : s.kinds[static_cast<std::size_t>(c.kind)].required) {
    const auto known = std::find(kCommon.begin(), kCommon.end(), name);
    const auto at = known != kCommon.end()
                        ? common[static_cast<std::size_t>(known - kCommon.begin())]
                        : j.find(0, name);
    if (at == kNone) return fail(c, Reason::kFieldMissing, "'" + name + "' is required");
  }
  if (meter != kNone) {
    std::string scratch;
    if (!j.is_string(meter) || j.str(meter, scratch) != c.meter) {
      return fail(
          c, Reason::kMeterMismatch,
          "payload meter " + std::string(j.raw(meter)) + " differs from the topic's " + c.meter);
    }
  }
  if (seq != kNone && !j.uint64(seq, c.seq)) {
    return fail(c, Reason::kFieldInvalid, "seq must be an integer >= 0");
  }
  if (boot != kNone) {
    std::uint64_t b = 0;
    if (!j.uint64(boot, b)) {
      return fail(c, Reason::kFieldInvalid, "boot must be an integer >= 0");
    }
    c.boot = static_cast<std::int64_t>(b);
  }
  std::int64_t ts = 0;
  if (ts_at != kNone) {
    if (!check_ts(s, in, c, j, ts_at, "ts", ts)) return false;
  }
  switch (c.kind) {
    case Kind::kReading:
      return check_reading(s, c, j, regs, ts);
    case Kind::kProfile:
      return check_profile(s, in, c, j);
    case Kind::kPulse:
      return check_pulse(c, j, ts);
    case Kind::kInst:
      return check_inst(s, c, j);
    case Kind::kEvent:
      return check_event(c, j);
    case Kind::kCount:
      break;
  }
  return true;
}

// The bytes a meter id may hold after its first: letters, digits, '.', '_' and '-' (the first
// is a letter or digit). A table, because every uplink message's id is checked byte by byte.
constexpr std::array<bool, 256> kMeterIdByte = [] {
  std::array<bool, 256> t{};
  for (int ch = 0; ch < 256; ++ch) {
    t[static_cast<std::size_t>(ch)] = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                                      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
                                      ch == '-';
  }
  return t;
}();

}  // namespace

bool valid_meter_id(std::string_view id) {
  if (id.size() < 3 || id.size() > 64) return false;
  const auto first = static_cast<unsigned char>(id[0]);
  if (!kMeterIdByte[first] || first == '.' || first == '_' || first == '-') return false;
  for (const char ch : id.substr(1)) {
    if (!kMeterIdByte[static_cast<unsigned char>(ch)]) return false;
  }
  return true;
}

Checked check_head(const Settings& s, const Input& in) {
  Checked c;
  if (!in.topic.starts_with(s.scope)) return c;
  c.in_scope = true;
  TopicFields f;
  if (s.uplink.match(in.topic, f)) {
    c.uplink = true;
    const auto it = std::find_if(kKindNames.begin(), kKindNames.end(),
                                 [&](std::string_view k) { return same_text(k, f.kind); });
    if (it == kKindNames.end()) {
      fail(c, Reason::kTopicInvalid, "unknown kind '" + std::string(f.kind) + "'");
      return c;
    }
    c.kind = static_cast<Kind>(it - kKindNames.begin());
  } else {
    bool matched = false;
    for (const auto& p : s.other) matched = matched || p.match(in.topic, f);
    if (!matched) {
      fail(c, Reason::kTopicInvalid,
           "topic does not match " + s.uplink.text() + " or the other topics");
      return c;
    }
  }
  c.tenant = std::string(f.tenant);
  c.meter = std::string(f.meter);
  if (!valid_meter_id(c.meter)) {
    fail(c, Reason::kMeterIdInvalid,
         "'" + c.meter + "' does not match ^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$");
    return c;
  }
  if (!check_identity(s, in, c)) return c;
  if (!c.uplink && in.payload.size() > s.max_payload_bytes) {
    fail(c, Reason::kPayloadTooLarge,
         std::to_string(in.payload.size()) + " bytes > " + std::to_string(s.max_payload_bytes));
  }
  return c;
}

void check_payload(const Settings& s, const Input& in, Checked& c, JsonScan& scan) {
  check_fields(s, in, c, scan);
}

Checked check_message(const Settings& s, const Input& in) {
  Checked c = check_head(s, in);
  if (c.uplink && c.action != Action::kReject) {
    thread_local JsonScan scan;  // keeps its node array between messages: no allocation
    check_payload(s, in, c, scan);
  }
  return c;
}

Reason ts_window(const Settings& s, std::int64_t now_ms, std::int64_t ms) {
  if (ms > now_ms + s.max_clock_skew_ms) return Reason::kTsFuture;
  if (ms < now_ms - s.backfill_window_ms) return Reason::kTsTooOld;
  return Reason::kAccepted;
}

StateResult apply_state(const Settings& s, const Checked& c, MeterState& state) {
  StateResult r;
  if (c.boot >= 0 && c.boot != state.boot) {
    const bool had = state.boot >= 0;
    state.boot = c.boot;
    if (had) {
      // A new boot: seq counters and register baselines restart (not a decrease).
      state.seq = {};
      state.registers.clear();
      r.reason = Reason::kNewBoot;
    }
    r.changed = true;
  }
  auto& seq = state.seq[static_cast<std::size_t>(c.kind)];
  const SeqCheck sc = check_and_record_seq(seq, c.seq);
  switch (sc) {
    case SeqCheck::kDuplicate:
      r.action = Action::kDrop;
      r.reason = Reason::kDuplicate;
      r.detail = "duplicate: seq " + std::to_string(c.seq) + " was already received";
      return r;
    case SeqCheck::kStale:
      r.action = Action::kDrop;
      r.reason = Reason::kSeqStale;
      r.detail = "seq_stale: seq " + std::to_string(c.seq) + " is more than " +
                 std::to_string(kSeqWindow) + " below the last (" + std::to_string(seq.last) + ")";
      return r;
    case SeqCheck::kOutOfOrder:
      r.changed = true;
      r.reason = Reason::kOutOfOrder;
      return r;  // older data: the registers have moved on, nothing to compare
    case SeqCheck::kGap:
      if (r.reason == Reason::kAccepted) r.reason = Reason::kSeqGap;
      break;
    case SeqCheck::kNext:
      break;
  }
  r.changed = true;
  if (!c.ts_trusted) return r;
  bool decreased = false;
  for (std::size_t i = 0; i < c.samples.size(); ++i) {
    const Sample& smp = c.samples[i];
    RegisterState* prev = state.find_register(smp.key, i);
    if (prev == nullptr) {
      if (state.registers.size() < 255) {
        state.registers.push_back(RegisterState{smp.key, smp.value, smp.ts_ms});
      }
      continue;
    }
    if (smp.ts_ms < prev->ts_ms) continue;  // an older row: nothing to compare
    if (smp.value < prev->value) {
      decreased = true;
      r.detail = "register_decrease: " + smp.key + " went from " + std::to_string(prev->value) +
                 " to " + std::to_string(smp.value) + " (rollover, reset or meter exchange)";
    } else {
      // One second more than the interval: timestamps are often whole seconds.
      const double hours = static_cast<double>(smp.ts_ms - prev->ts_ms + 1000) / 3.6e6;
      const double limit = s.max_power_w * hours + static_cast<double>(smp.resolution);
      const auto delta = static_cast<double>(smp.value - prev->value);
      if (delta > limit && r.action != Action::kQuarantine) {
        r.action = Action::kQuarantine;
        r.reason = Reason::kImplausible;
        r.detail = "implausible: " + smp.key + " rose by " +
                   std::to_string(smp.value - prev->value) + " in " +
                   std::to_string((smp.ts_ms - prev->ts_ms) / 1000) + " s (max_power_w " +
                   std::to_string(static_cast<std::int64_t>(s.max_power_w)) + ")";
      }
    }
    prev->value = smp.value;
    prev->ts_ms = smp.ts_ms;
  }
  if (decreased) {
    ++state.epoch;
    if (s.decrease_action == OnFail::kQuarantine) {
      r.action = Action::kQuarantine;
      r.reason = Reason::kRegisterDecrease;
    } else if (r.action == Action::kAccept) {
      r.action = Action::kTag;
      r.reason = Reason::kRegisterDecrease;
      r.flags.push_back(Reason::kRegisterDecrease);
    } else {
      r.flags.push_back(Reason::kRegisterDecrease);
    }
  }
  return r;
}

}  // namespace gridmq::plugins::meter_validation
