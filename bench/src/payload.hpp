#pragma once
// Meter "reading" payloads (domain.md §2) of a fixed size, stamped per message with a sequence
// number and the sender's steady-clock time so the subscriber can compute end-to-end latency.
//
// The payload stays valid JSON: seq and sent_ns are numbers right-aligned in fixed-width fields
// (JSON allows the leading blanks), so stamping rewrites bytes in place and never changes the
// size. Registers are dropped and blanks added before the closing brace to hit the exact size.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gridmq::bench {

/// Meter id of publisher `index`: "BNCH" + 10 digits (14 chars, like a German meter id).
std::string meter_id(std::uint64_t index);

/// Topic of a reading from that meter: mtr/v1/<tenant>/<meter>/up/reading.
std::string reading_topic(std::string_view tenant, std::string_view meter);

class ReadingPayload {
 public:
  /// Smallest payload size that still carries meter, seq, ts and sent_ns.
  static std::size_t min_size();
  static constexpr std::size_t kMaxSize = 1 << 20;

  /// Builds the template; `size` must be in [min_size(), kMaxSize] (std::invalid_argument).
  ReadingPayload(std::string_view meter, std::size_t size);

  /// Writes seq and the send time into the payload (in place) and returns it.
  std::string_view stamp(std::uint64_t seq, std::uint64_t sent_ns);
  std::string_view bytes() const { return text_; }

 private:
  std::string text_;
  std::size_t seq_pos_ = 0;   // first byte of the fixed-width seq field
  std::size_t sent_pos_ = 0;  // first byte of the fixed-width sent_ns field
};

struct ReadingStamp {
  std::uint64_t meter_index = 0;  // the digits of a "BNCH" meter id
  std::uint64_t seq = 0;
  std::uint64_t sent_ns = 0;
};

/// Reads meter index, seq and sent_ns back from a payload built by ReadingPayload (or by
/// command_payload / ack_payload, which carry the same fields).
std::optional<ReadingStamp> parse_reading(std::string_view payload);

/// seq and sent_ns only (meter_index 0): for group commands, which name no meter.
std::optional<ReadingStamp> parse_stamp(std::string_view payload);

/// mtr/v1/<tenant>/<meter>/cmd and mtr/v1/<tenant>/<meter>/cmd/ack (design.md §6).
std::string cmd_topic(std::string_view tenant, std::string_view meter);
std::string ack_topic(std::string_view tenant, std::string_view meter);
/// ops/v1/<tenant>/grp/<group>/cmd: the group command topic.
std::string group_topic(std::string_view tenant, std::string_view group);

/// A load-limit command shaped like domain.md §4, for `target` (a meter id, or "grp:<group>"),
/// stamped with seq and the sender's steady-clock time.
std::string command_payload(std::string_view target, std::uint64_t seq, std::uint64_t sent_ns);
/// The meter's cmd/ack for command `seq`; carries the command's sent_ns so the operator can time
/// the round trip, and the meter id so acks are counted per meter.
std::string ack_payload(std::string_view meter, std::uint64_t seq, std::uint64_t sent_ns);

}  // namespace gridmq::bench
