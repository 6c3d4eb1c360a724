#pragma once
// What meter_validation remembers per meter: per kind the last seq and a window of recently seen
// seqs (duplicates), the boot counter, and the last value of every energy register and pulse
// channel (decrease and plausibility checks). Persisted as one plugin key per meter
// ("<tenant>/<meter_id>") in the Store, in the same commit as the message that changed it.
//
// VALUE LAYOUT, version 2 (written): LEB128 varints (v), zigzag for signed values (z)
//   u8 version=2 | z boot (-1 = none) | v epoch | u8 kinds (bit k: kind k has a seq state)
//   per kind with its bit set, in Kind order: { v last_seq | v ~window }
//   v n | n x { u8 key_len | key | z value | z (ts_ms - the previous register's ts_ms, or 0) }
// ~window is 0 (one byte) once the last 64 seqs were seen, and the registers of one reading share
// their time (one byte each after the first): 68 bytes for a reading with four registers.
//
// Version 1 (read, never written; the plugin's format marker "1"):
//   u8 version=1 | i64 boot | u32 epoch | 5 x { u8 has_seq | u64 last_seq | u64 window }
//   u16 n | n x { u8 key_len | key | i64 value | i64 ts_ms }        (fixed width, little-endian)
//
// window bit i set = seq (last_seq - 1 - i) was seen (i < 64).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/meter_validation/settings.hpp"

namespace gridmq::plugins::meter_validation {

inline constexpr std::uint64_t kSeqWindow = 64;

struct SeqState {
  bool has = false;
  std::uint64_t last = 0;
  std::uint64_t window = 0;
};

enum class SeqCheck : std::uint8_t { kNext, kGap, kOutOfOrder, kDuplicate, kStale };

/// Classifies `seq` against `s` and records it (unless duplicate/stale).
SeqCheck check_and_record_seq(SeqState& s, std::uint64_t seq);

struct RegisterState {
  std::string key;  // OBIS code, or "pulse:<ch>"
  std::int64_t value = 0;
  std::int64_t ts_ms = 0;
};

struct MeterState {
  std::int64_t boot = -1;
  std::uint32_t epoch = 0;  // bumped on every register decrease (rollover / reset / exchange)
  std::array<SeqState, kKindCount> seq;
  std::vector<RegisterState> registers;

  /// `hint`: where the register is likely to be (a meter reports its registers in the same order
  /// every time, so the i-th sample of a reading is usually the i-th register).
  RegisterState* find_register(std::string_view key, std::size_t hint = 0);
};

/// Version 2.
std::string encode_state(const MeterState& s);
/// false when `bytes` is not a valid version-1 or version-2 value.
bool decode_state(std::string_view bytes, MeterState& out);

}  // namespace gridmq::plugins::meter_validation
