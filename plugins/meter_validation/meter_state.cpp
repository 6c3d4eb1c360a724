#include "plugins/meter_validation/meter_state.hpp"

#include <array>
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

RegisterState* MeterState::find_register(std::string_view key, std::size_t hint) {
  if (hint < registers.size() && same_text(registers[hint].key, key)) return &registers[hint];
  for (auto& r : registers) {
    if (same_text(r.key, key)) return &r;
  }
  return nullptr;
}

namespace {

constexpr std::size_t kMaxVarint = 10;  // a u64 in 7-bit groups

char* put_varint(char* out, std::uint64_t v) {
  while (v >= 0x80) {
    *out++ = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<char>(v);
  return out;
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

bool get_varint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (std::size_t i = 0; i < in.size() && i < kMaxVarint; ++i) {
    const auto b = static_cast<unsigned char>(in[i]);
    if (i == kMaxVarint - 1 && b > 1) return false;  // more than 64 bits
    v |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      in.remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

bool get_zigzag(std::string_view& in, std::int64_t& v) {
  std::uint64_t u = 0;
  if (!get_varint(in, u)) return false;
  v = unzigzag(u);
  return true;
}

bool decode_v1(std::string_view in, MeterState& s) {
  if (!get(in, s.boot) || !get(in, s.epoch)) return false;
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
  return in.empty();
}

bool decode_v2(std::string_view in, MeterState& s) {
  std::uint64_t epoch = 0;
  std::uint8_t kinds = 0;
  if (!get_zigzag(in, s.boot) || !get_varint(in, epoch) || epoch > UINT32_MAX || !get(in, kinds) ||
      (kinds >> kKindCount) != 0) {
    return false;
  }
  s.epoch = static_cast<std::uint32_t>(epoch);
  for (std::size_t k = 0; k < kKindCount; ++k) {
    if ((kinds & (1u << k)) == 0) continue;
    SeqState& q = s.seq[k];
    std::uint64_t not_window = 0;
    if (!get_varint(in, q.last) || !get_varint(in, not_window)) return false;
    q.has = true;
    q.window = ~not_window;
  }
  std::uint64_t n = 0;
  if (!get_varint(in, n) || n > 255) return false;  // apply_state keeps at most 255
  std::int64_t ts = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint8_t len = 0;
    std::int64_t delta = 0;
    if (!get(in, len) || in.size() < len) return false;
    RegisterState r;
    r.key = std::string(in.substr(0, len));
    in.remove_prefix(len);
    if (!get_zigzag(in, r.value) || !get_zigzag(in, delta)) return false;
    r.ts_ms = ts = static_cast<std::int64_t>(static_cast<std::uint64_t>(ts) +
                                             static_cast<std::uint64_t>(delta));
    s.registers.push_back(std::move(r));
  }
  return in.empty();
}

}  // namespace

std::string encode_state(const MeterState& s) {
  // Written into a buffer of the largest size the state can take (on the stack for every usual
  // meter: this runs for every accepted reading), then copied into a string of the exact size.
  std::size_t size = 1 + 2 * kMaxVarint + 1 + kKindCount * 2 * kMaxVarint + kMaxVarint;
  for (const auto& r : s.registers) size += 1 + r.key.size() + 2 * kMaxVarint;
  std::array<char, 1024> stack;
  std::string large;
  if (size > stack.size()) large.resize(size);
  char* const begin = size > stack.size() ? large.data() : stack.data();
  char* out = put<std::uint8_t>(begin, 2);
  out = put_varint(out, zigzag(s.boot));
  out = put_varint(out, s.epoch);
  std::uint8_t kinds = 0;
  for (std::size_t k = 0; k < kKindCount; ++k) {
    if (s.seq[k].has) kinds |= static_cast<std::uint8_t>(1u << k);
  }
  out = put<std::uint8_t>(out, kinds);
  for (const auto& q : s.seq) {
    if (!q.has) continue;
    out = put_varint(out, q.last);
    out = put_varint(out, ~q.window);
  }
  out = put_varint(out, s.registers.size());
  std::int64_t ts = 0;
  for (const auto& r : s.registers) {
    out = put<std::uint8_t>(out, static_cast<std::uint8_t>(r.key.size()));
    std::memcpy(out, r.key.data(), r.key.size());
    out += r.key.size();
    out = put_varint(out, zigzag(r.value));
    // One byte for each register of a reading after the first: they share the reading's ts.
    out = put_varint(out, zigzag(static_cast<std::int64_t>(static_cast<std::uint64_t>(r.ts_ms) -
                                                           static_cast<std::uint64_t>(ts))));
    ts = r.ts_ms;
  }
  return std::string(begin, out);
}

bool decode_state(std::string_view in, MeterState& out) {
  MeterState s;
  std::uint8_t version = 0;
  if (!get(in, version)) return false;
  const bool ok = version == 2 ? decode_v2(in, s) : version == 1 && decode_v1(in, s);
  if (!ok) return false;
  out = std::move(s);
  return true;
}

}  // namespace gridmq::plugins::meter_validation
