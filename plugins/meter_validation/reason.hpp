#pragma once
// Why meter_validation accepted, rejected, dropped, tagged or quarantined a message. Each reason
// is a metrics label (gridmq_plugin_meter_validation_messages_total{reason=...}) and appears in
// reason strings and log lines.

#include <array>
#include <cstdint>
#include <string_view>

namespace gridmq::plugins::meter_validation {

enum class Reason : std::uint8_t {
  kAccepted,          // accepted unchanged
  kOutOfOrder,        // accepted: seq below the last one, not seen before
  kSeqGap,            // accepted: seq skipped numbers (recorded for backfill)
  kNewBoot,           // accepted: the meter's boot counter changed (seq and registers restart)
  kTopicInvalid,      // reject 0x90: topic does not match a configured pattern, or unknown kind
  kMeterIdInvalid,    // reject 0x90: meter_id format
  kUnauthenticated,   // reject 0x87: no principal
  kNotOwner,          // reject 0x87: meter_id is not the principal's id
  kNotBound,          // reject 0x87: the hub is not bound to meter_id
  kRoleNotAllowed,    // reject 0x87: operator/service publishing meter data
  kTenantNotAllowed,  // reject 0x87
  kPayloadTooLarge,   // reject 0x99
  kJsonInvalid,       // reject 0x99: not JSON / not an object
  kSchemaUnknown,     // reject 0x99: v
  kMeterMismatch,     // reject 0x99: payload "meter" differs from the topic's meter_id
  kFieldMissing,      // reject 0x99
  kFieldInvalid,      // reject 0x99: wrong type or value
  kObisInvalid,       // reject 0x99
  kUnitInvalid,       // reject 0x99: unit not allowed for the OBIS class
  kTsInvalid,         // reject 0x99: not an RFC 3339 UTC time
  kTsFuture,          // reject 0x99 or quarantine (ts_action): ts > now + skew
  kTsTooOld,          // reject 0x99 or quarantine (ts_action): ts < now - backfill window
  kDuplicate,         // dropped (acknowledged): seq seen before
  kSeqStale,          // dropped (acknowledged): seq older than the duplicate window
  kRegisterDecrease,  // tagged or quarantined (decrease_action): rollover / reset / exchange
  kImplausible,       // quarantined: interval energy above max_power_w over the interval
  kOutOfRange,        // quarantined: voltage or frequency outside the configured band
  kCount
};

inline constexpr std::size_t kReasonCount = static_cast<std::size_t>(Reason::kCount);

inline constexpr std::array<std::string_view, kReasonCount> kReasonNames = {
    "accepted",          "out_of_order",       "seq_gap",
    "new_boot",          "topic_invalid",      "meter_id_invalid",
    "unauthenticated",   "not_owner",          "not_bound",
    "role_not_allowed",  "tenant_not_allowed", "payload_too_large",
    "json_invalid",      "schema_unknown",     "meter_mismatch",
    "field_missing",     "field_invalid",      "obis_invalid",
    "unit_invalid",      "ts_invalid",         "ts_future",
    "ts_too_old",        "duplicate",          "seq_stale",
    "register_decrease", "implausible",        "out_of_range"};

inline std::string_view reason_name(Reason r) {
  return kReasonNames[static_cast<std::size_t>(r)];
}

/// What happened to the message.
enum class Action : std::uint8_t { kAccept, kTag, kQuarantine, kDrop, kReject, kCount };
inline constexpr std::array<std::string_view, 5> kActionNames = {"accept", "tag", "quarantine",
                                                                 "drop", "reject"};

}  // namespace gridmq::plugins::meter_validation
