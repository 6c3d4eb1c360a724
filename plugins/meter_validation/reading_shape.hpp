#pragma once
// What one meter's readings look like: a meter sends the same document every interval (the same
// members, OBIS codes and units in the same order), and only its values change. A ReadingShape
// is a reading that passed every rule, kept with "holes" where values may change: seq, boot, the
// ts string, each register's value, and every other number or plain string that no rule reads (a
// status, a vendor's member). The rest of the bytes (member names, the schema version, the meter
// id, OBIS codes, units, the document's layout) must come again exactly.
//
// A new reading that fits the shape needs no parse: its bytes outside the holes are those of a
// valid reading of the same meter under the same settings, and what each hole holds is checked
// here with the rule that applies to it (a plain integer for seq, boot and registers, a JSON
// number for other values, an RFC 3339 ts inside the clock window, printable ASCII without
// escapes for other strings). What does not fit (another member, a value in another form, a ts
// outside the window, new settings) is left to check_payload, which decides as it always does;
// a ReadingShape never rejects anything.
//
// Memory: the reading's bytes outside the holes and 12 bytes per hole, held with the meter's state
// (about 400 bytes for the example reading of domain.md §2, allocator overhead included).
// Readings above kMaxBytes get no shape.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/meter_validation/settings.hpp"
#include "plugins/meter_validation/validate.hpp"

namespace gridmq::plugins::meter_validation {

class JsonScan;

class ReadingShape {
 public:
  static constexpr std::size_t kMaxBytes = 1024;

  /// The shape of `payload`, a reading check_payload accepted as it is (Action::kAccept) under
  /// `s`, parsed in `scan`. Empty (fits nothing) when a value is in a form the holes do not take:
  /// a register or seq that is not a plain integer of at most 18 digits, an escaped ts or OBIS
  /// code.
  static ReadingShape capture(const Settings& s, std::string_view payload, const JsonScan& scan);

  /// True when `in.payload` fits this shape under the same settings `s`: then `c` (from
  /// check_head, a reading of this meter) holds what check_payload would have set (seq, boot,
  /// samples; accepted). False: `c` is as it was, and check_payload decides.
  bool match(const Settings& s, const Input& in, Checked& c) const;

  bool empty() const { return settings_ == nullptr; }

 private:
  enum class Role : std::uint8_t { kSeq, kBoot, kTs, kRegister, kNumber, kString };
  struct Hole {
    std::uint32_t at = 0;      // offset in literal_: the hole comes after literal_[0, at)
    std::uint32_t key_at = 0;  // kRegister: its OBIS code (the sample's key) in literal_
    std::uint8_t key_size = 0;
    Role role = Role::kNumber;
  };

  const Settings* settings_ = nullptr;  // the settings it passed under (never freed: reload)
  std::string literal_;                 // the reading's bytes outside the holes
  std::vector<Hole> holes_;             // in the order of the text
  bool has_ts_ = false;
};

}  // namespace gridmq::plugins::meter_validation
