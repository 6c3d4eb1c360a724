#pragma once
// The rules of meter_validation, without locks, clocks or I/O (unit-tested directly):
//   check_message  topic grammar, identity (owner / hub binding / tenant), payload shape, units,
//                  timestamps. Decides reject; otherwise yields what the state step needs.
//   apply_state    seq (duplicates, gaps, out of order), boot changes, register decreases and
//                  plausibility, against the meter's state, which it updates.
// The payload is parsed once (JsonScan, strict RFC 8259) in check_payload.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "auth/principal.hpp"
#include "plugins/meter_validation/meter_state.hpp"
#include "plugins/meter_validation/reason.hpp"
#include "plugins/meter_validation/settings.hpp"
#include "protocol/reason_code.hpp"

namespace gridmq::auth {
class Bindings;
}

namespace gridmq::plugins::meter_validation {

class JsonScan;

struct Input {
  std::string_view topic;
  std::string_view payload;
  const auth::Principal* principal = nullptr;  // null: anonymous
  std::string_view client_id;
  const auth::Bindings* bindings = nullptr;
  std::int64_t now_ms = 0;
};

/// One energy value to compare with the meter's previous one.
struct Sample {
  std::string key;  // OBIS code or "pulse:<ch>"
  std::int64_t value = 0;
  std::int64_t ts_ms = 0;
  std::int64_t resolution = 1;  // Wh one step of the value stands for (pulses: wh_per_pulse)
};

struct Checked {
  bool in_scope = false;            // false: not a metering topic; nothing else is set
  bool uplink = false;              // a data message (kind set); false: state / ack topic
  Action action = Action::kAccept;  // kAccept, kReject or kQuarantine so far
  Reason reason = Reason::kAccepted;
  protocol::ReasonCode code = protocol::ReasonCode::kSuccess;
  std::string detail;  // the reason string
  std::string tenant, meter;
  Kind kind = Kind::kReading;
  std::uint64_t seq = 0;
  std::int64_t boot = -1;
  bool ts_trusted = true;  // false: quarantined for its ts; registers are not compared
  /// Inline up to 8 (a reading's registers, usually): no allocation per message.
  boost::container::small_vector<Sample, 8> samples;
};

/// Everything before the payload of an uplink message: topic, meter id, identity (and the size
/// of a state / ack message's payload). An uplink message not rejected here goes on to
/// check_payload (or, for a reading, to the meter's ReadingShape first: reading_shape.hpp).
Checked check_head(const Settings& s, const Input& in);
/// The payload of an uplink message `c` (from check_head, not rejected): parsed into `scan`,
/// which holds the parse afterwards (ReadingShape::capture reads it).
void check_payload(const Settings& s, const Input& in, Checked& c, JsonScan& scan);
/// check_head, then check_payload when it applies (with a JsonScan this thread reuses).
Checked check_message(const Settings& s, const Input& in);

struct StateResult {
  Action action = Action::kAccept;  // kAccept, kTag, kQuarantine or kDrop
  Reason reason = Reason::kAccepted;
  std::string detail;
  std::vector<Reason> flags;  // kTag: what to add to the payload
  bool changed = false;       // the state must be persisted
};

/// Where a timestamp `ms` lies against the clock window at `now_ms`: kAccepted, kTsFuture (beyond
/// max_clock_skew) or kTsTooOld (before the backfill window).
Reason ts_window(const Settings& s, std::int64_t now_ms, std::int64_t ms);

/// `c` passed check_message (not rejected) and is an uplink message.
StateResult apply_state(const Settings& s, const Checked& c, MeterState& state);

/// meter_id format: ^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$
bool valid_meter_id(std::string_view id);

}  // namespace gridmq::plugins::meter_validation
