#include "plugins/meter_validation/meter_state.hpp"

#include <cstring>

#include "plugins/meter_validation/same_text.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

template <class T>
char* put(char* out, T v) {
  std::memcpy(out, &v, sizeof(T));  // little-endian hosts only (x86-64, aarch64)
  return out + sizeof(T);
}

template <class T>
bool get(std::string_view& in, T& v) {
  if (in.size() < sizeof(T)) return false;
  std::memcpy(&v, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return true;
}

}  // namespace

SeqCheck check_and_record_seq(SeqState& s, std::uint64_t seq) {
  if (!s.has) {
    s = SeqState{true, seq, 0};
    return SeqCheck::kNext;
  }
  if (seq == s.last) return SeqCheck::kDuplicate;
  if (seq > s.last) {
    const std::uint64_t shift = seq - s.last;
    // Bit 0 of the new window stands for the old last seq.
    s.window = shift >= kSeqWindow ? 0 : ((s.window << shift) | (std::uint64_t{1} << (shift - 1)));
    const bool gap = shift > 1;
    s.last = seq;
    return gap ? SeqCheck::kGap : SeqCheck::kNext;
  }
  const std::uint64_t back = s.last - seq;  // >= 1
  if (back > kSeqWindow) return SeqCheck::kStale;
  const std::uint64_t bit = std::uint64_t{1} << (back - 1);
  if (s.window & bit) return SeqCheck::kDuplicate;
  s.window |= bit;
  return SeqCheck::kOutOfOrder;
}

RegisterState* MeterState::find_register(std::string_view key) {
  for (auto& r : registers) {
    if (same_text(r.key, key)) return &r;
  }
  return nullptr;
}

std::string encode_state(const MeterState& s) {
  // Sized first and written in place: this runs for every accepted reading.
  std::size_t size = 1 + 8 + 4 + kKindCount * 17 + 2;
  for (const auto& r : s.registers) size += 1 + r.key.size() + 16;
  std::string bytes(size, '\0');
  char* out = bytes.data();
  out = put<std::uint8_t>(out, 1);
  out = put<std::int64_t>(out, s.boot);
  out = put<std::uint32_t>(out, s.epoch);
  for (const auto& q : s.seq) {
    out = put<std::uint8_t>(out, q.has ? 1 : 0);
    out = put<std::uint64_t>(out, q.last);
    out = put<std::uint64_t>(out, q.window);
  }
  out = put<std::uint16_t>(out, static_cast<std::uint16_t>(s.registers.size()));
  for (const auto& r : s.registers) {
    out = put<std::uint8_t>(out, static_cast<std::uint8_t>(r.key.size()));
    std::memcpy(out, r.key.data(), r.key.size());
    out += r.key.size();
    out = put<std::int64_t>(out, r.value);
    out = put<std::int64_t>(out, r.ts_ms);
  }
  return bytes;
}

bool decode_state(std::string_view in, MeterState& out) {
  MeterState s;
  std::uint8_t version = 0;
  if (!get(in, version) || version != 1 || !get(in, s.boot) || !get(in, s.epoch)) return false;
  for (auto& q : s.seq) {
    std::uint8_t has = 0;
    if (!get(in, has) || has > 1 || !get(in, q.last) || !get(in, q.window)) return false;
    q.has = has == 1;
  }
  std::uint16_t n = 0;
  if (!get(in, n)) return false;
  for (std::uint16_t i = 0; i < n; ++i) {
    std::uint8_t len = 0;
    if (!get(in, len) || in.size() < len) return false;
    RegisterState r;
    r.key = std::string(in.substr(0, len));
    in.remove_prefix(len);
    if (!get(in, r.value) || !get(in, r.ts_ms)) return false;
    s.registers.push_back(std::move(r));
  }
  if (!in.empty()) return false;
  out = std::move(s);
  return true;
}

}  // namespace gridmq::plugins::meter_validation
