#pragma once
// On-disk layout of the RocksDB store: column families, keys and value encodings.
//
// Column families and keys (keys sort bytewise, RocksDB's default comparator):
//
//   sessions    <client id>                        -> session value
//   queues      <client id> 0x00 <seq u64 BE>      -> queue entry value
//   messages    <message id u64 BE>                -> message value
//   retained    <topic>                            -> message value (the retained message itself)
//   plugins     <plugin name> 0x00 <key>           -> plugin value
//   meta        "format"                           -> format value
//               "max_message_id"                   -> max message id value
//   quarantine  <cf name> 0x00 <original key>      -> the original value bytes, unchanged
//
// Client ids never contain 0x00 (MQTT UTF-8 strings forbid U+0000; Batch::validate refuses them),
// so one client's queue entries are exactly the range [<id> 0x00, <id> 0x01): "a" and "ab" never
// share a range. Big-endian seq and id make bytewise order numeric order.
//
// Every value (except in quarantine) is a versioned, checksummed envelope:
//
//   +-------------+---------------------+-------------+
//   | version (1B)| payload             | CRC32C (4B) |
//   +-------------+---------------------+-------------+
//
//   version: the record version of this record kind (1 for every kind, 2 for queue entries).
//   CRC32C : Castagnoli CRC of version + payload, little-endian.
//
// Payload encodings (version 1). Integers are little-endian, fixed width; str = u32 length +
// bytes; list<T> = u32 count + T...:
//
//   session     | client_id str | protocol_version u8 | expiry_interval u32 |
//               | disconnected_at i64 | subscriptions list<subscription> | inbound_qos2 list<u16> |
//     subscription | filter str | qos u8 | options u8 | subscription_id u32 |
//       options bits: 0 no_local, 1 retain_as_published, 2-3 retain_handling, 4-7 zero
//   queue entry | seq u64 | message u64 | qos u8 | flags u8 | packet_id u16 |
//               | subscription_ids list<u32> |
//       flags bits: 0 retain, 1 released, 2-7 zero
//     version 2 appends | queued_at i64 | (Unix ms when it was queued; version 1 reads as 0)
//   message     | id u64 | topic str | payload str | qos u8 | flags u8 | properties str |
//               | expires_at i64 |
//       flags bits: 0 retain, 1-7 zero
//   plugin      | value str |
//   format      | format version u32 |
//   max id      | max message id u64 |
//
// Decoding is strict: a bad checksum, an unknown version, a truncated field, trailing bytes, an
// out-of-range qos or reserved bit, or a value that disagrees with its key is a corrupt record.
//
// Compatibility: a change to any payload bumps that kind's record version (decoders keep reading
// the old ones); a change readers of older gridmq cannot ignore bumps kFormatVersion, and a
// store refuses to open a database whose format version is newer than its own.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/records.hpp"

namespace gridmq::storage::rocks {

/// The database layout version kept in meta/"format".
inline constexpr std::uint32_t kFormatVersion = 1;
/// The record version written in every envelope but queue entries'.
inline constexpr std::uint8_t kRecordVersion = 1;
/// The record version of queue entries (2: queued_at added; version 1 is still read).
inline constexpr std::uint8_t kQueueEntryVersion = 2;

enum class Cf : std::uint8_t {
  kSessions,
  kQueues,
  kMessages,
  kRetained,
  kPlugins,
  kMeta,
  kQuarantine,
};
inline constexpr std::size_t kCfCount = 7;
inline constexpr std::array<std::string_view, kCfCount> kCfNames = {
    "sessions", "queues", "messages", "retained", "plugins", "meta", "quarantine"};
[[nodiscard]] inline std::string_view cf_name(Cf cf) {
  return kCfNames[static_cast<std::size_t>(cf)];
}

inline constexpr std::string_view kMetaFormatKey = "format";
inline constexpr std::string_view kMetaMaxMessageIdKey = "max_message_id";

// ---- keys -------------------------------------------------------------------------------------

void append_queue_key(std::string& out, std::string_view client_id, std::uint64_t seq);
[[nodiscard]] std::string queue_key(std::string_view client_id, std::uint64_t seq);
/// [begin, end) covering every queue key of `client_id` and nothing else.
[[nodiscard]] std::string queue_range_begin(std::string_view client_id);
[[nodiscard]] std::string queue_range_end(std::string_view client_id);
[[nodiscard]] bool parse_queue_key(std::string_view key, std::string_view& client_id,
                                   std::uint64_t& seq);

void append_message_key(std::string& out, MessageId id);
[[nodiscard]] std::string message_key(MessageId id);
[[nodiscard]] bool parse_message_key(std::string_view key, MessageId& id);

[[nodiscard]] std::string plugin_key(std::string_view plugin, std::string_view key);
[[nodiscard]] bool parse_plugin_key(std::string_view key, std::string_view& plugin,
                                    std::string_view& plugin_key);

[[nodiscard]] std::string quarantine_key(Cf from, std::string_view key);

/// "6162 00 0000000000000001"-style lowercase hex of a key, for error messages.
[[nodiscard]] std::string to_hex(std::string_view bytes);

// ---- values -----------------------------------------------------------------------------------
// encode_* replace `out` with the complete envelope. decode_* verify the envelope and the payload;
// on failure they return false and set `why` (out may be partly filled).

void encode_session(const StoredSession& s, std::string& out);
void encode_queue_entry(const QueueEntry& e, std::string& out);
void encode_message(const StoredMessage& m, std::string& out);
void encode_plugin_value(std::string_view value, std::string& out);
void encode_format(std::uint32_t format_version, std::string& out);
void encode_max_message_id(MessageId id, std::string& out);

[[nodiscard]] bool decode_session(std::string_view value, StoredSession& out, std::string& why);
[[nodiscard]] bool decode_queue_entry(std::string_view value, QueueEntry& out, std::string& why);
[[nodiscard]] bool decode_message(std::string_view value, StoredMessage& out, std::string& why);
[[nodiscard]] bool decode_plugin_value(std::string_view value, std::string& out, std::string& why);
[[nodiscard]] bool decode_format(std::string_view value, std::uint32_t& format_version,
                                 std::string& why);
[[nodiscard]] bool decode_max_message_id(std::string_view value, MessageId& id, std::string& why);

}  // namespace gridmq::storage::rocks
