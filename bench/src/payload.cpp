#include "payload.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace gridmq::bench {

namespace {

constexpr std::size_t kSeqWidth = 10;   // up to 9,999,999,999 messages per publisher
constexpr std::size_t kSentWidth = 20;  // any uint64
constexpr std::string_view kMeterPrefix = "BNCH";
constexpr std::string_view kMeterKey = "\"meter\":\"";
constexpr std::string_view kSeqKey = "\"seq\":";
constexpr std::string_view kSentKey = "\"sent_ns\":";

constexpr std::array<std::string_view, 4> kRegisters = {
    R"({"obis":"1-0:1.8.0","val":12345678,"unit":"Wh"})",
    R"({"obis":"1-0:2.8.0","val":4321,"unit":"Wh"})",
    R"({"obis":"1-0:3.8.0","val":234567,"unit":"varh"})",
    R"({"obis":"1-0:4.8.0","val":1200,"unit":"varh"})",
};

/// Right-aligns `value` in `width` bytes at `dst` (blank padded). Returns false if it does not fit.
bool write_fixed(char* dst, std::size_t width, std::uint64_t value) {
  std::array<char, 24> tmp{};
  auto [end, ec] = std::to_chars(tmp.data(), tmp.data() + tmp.size(), value);
  const auto len = static_cast<std::size_t>(end - tmp.data());
  if (ec != std::errc{} || len > width) return false;
  std::fill(dst, dst + width - len, ' ');
  std::copy(tmp.data(), end, dst + width - len);
  return true;
}

std::optional<std::uint64_t> read_number_after(std::string_view s, std::string_view key) {
  const auto pos = s.find(key);
  if (pos == std::string_view::npos) return std::nullopt;
  std::size_t i = pos + key.size();
  while (i < s.size() && s[i] == ' ') ++i;
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v);
  if (ec != std::errc{} || ptr == s.data() + i) return std::nullopt;
  return v;
}

/// The reading with `regs` registers; blank fields for seq and sent_ns.
std::string build(std::string_view meter, std::size_t regs, std::size_t& seq_pos,
                  std::size_t& sent_pos) {
  std::string s = "{\"v\":1,";
  s += kMeterKey;
  s += meter;
  s += "\",";
  s += kSeqKey;
  seq_pos = s.size();
  s.append(kSeqWidth - 1, ' ');
  s += '0';
  s += ",\"ts\":\"2025-03-30T00:45:00Z\",";
  s += kSentKey;
  sent_pos = s.size();
  s.append(kSentWidth - 1, ' ');
  s += '0';
  if (regs > 0) {
    s += ",\"regs\":[";
    for (std::size_t i = 0; i < regs; ++i) {
      if (i) s += ',';
      s += kRegisters[i];
    }
    s += ']';
  }
  s += ",\"q\":\"ok\"}";
  return s;
}

}  // namespace

std::string meter_id(std::uint64_t index) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.*s%010llu", static_cast<int>(kMeterPrefix.size()),
                kMeterPrefix.data(), static_cast<unsigned long long>(index % 10000000000ULL));
  return buf.data();
}

std::string reading_topic(std::string_view tenant, std::string_view meter) {
  std::string t = "mtr/v1/";
  t += tenant;
  t += '/';
  t += meter;
  t += "/up/reading";
  return t;
}

std::size_t ReadingPayload::min_size() {
  std::size_t a = 0;
  std::size_t b = 0;
  return build(meter_id(0), 0, a, b).size();
}

ReadingPayload::ReadingPayload(std::string_view meter, std::size_t size) {
  if (size < min_size() || size > kMaxSize) {
    throw std::invalid_argument("payload size must be in [" + std::to_string(min_size()) + ", " +
                                std::to_string(kMaxSize) + "]");
  }
  for (std::size_t regs = kRegisters.size() + 1; regs-- > 0;) {
    text_ = build(meter, regs, seq_pos_, sent_pos_);
    if (text_.size() <= size) break;
  }
  if (text_.size() > size) throw std::invalid_argument("meter id too long for the payload size");
  // Blanks before the closing brace keep it valid JSON at exactly `size` bytes.
  text_.insert(text_.size() - 1, size - text_.size(), ' ');
}

std::string_view ReadingPayload::stamp(std::uint64_t seq, std::uint64_t sent_ns) {
  write_fixed(text_.data() + seq_pos_, kSeqWidth, seq % 10000000000ULL);
  write_fixed(text_.data() + sent_pos_, kSentWidth, sent_ns);
  return text_;
}

std::optional<ReadingStamp> parse_reading(std::string_view payload) {
  ReadingStamp r;
  const auto m = payload.find(kMeterKey);
  if (m == std::string_view::npos) return std::nullopt;
  const auto digits = m + kMeterKey.size() + kMeterPrefix.size();
  if (payload.compare(m + kMeterKey.size(), kMeterPrefix.size(), kMeterPrefix) != 0) {
    return std::nullopt;
  }
  auto [ptr, ec] = std::from_chars(payload.data() + std::min(digits, payload.size()),
                                   payload.data() + payload.size(), r.meter_index);
  if (ec != std::errc{}) return std::nullopt;
  (void)ptr;
  auto seq = read_number_after(payload, kSeqKey);
  auto sent = read_number_after(payload, kSentKey);
  if (!seq || !sent) return std::nullopt;
  r.seq = *seq;
  r.sent_ns = *sent;
  return r;
}

std::optional<ReadingStamp> parse_stamp(std::string_view payload) {
  auto seq = read_number_after(payload, kSeqKey);
  auto sent = read_number_after(payload, kSentKey);
  if (!seq || !sent) return std::nullopt;
  return ReadingStamp{0, *seq, *sent};
}

std::string cmd_topic(std::string_view tenant, std::string_view meter) {
  std::string t = "mtr/v1/";
  t += tenant;
  t += '/';
  t += meter;
  t += "/cmd";
  return t;
}

std::string ack_topic(std::string_view tenant, std::string_view meter) {
  return cmd_topic(tenant, meter) + "/ack";
}

std::string group_topic(std::string_view tenant, std::string_view group) {
  std::string t = "ops/v1/";
  t += tenant;
  t += "/grp/";
  t += group;
  t += "/cmd";
  return t;
}

std::string command_payload(std::string_view target, std::uint64_t seq, std::uint64_t sent_ns) {
  std::string s =
      "{\"v\":1,\"cmd_id\":\"bench-" + std::to_string(seq) + "\",\"type\":\"load_limit\",";
  if (target.rfind("grp:", 0) == 0) {
    s += "\"target\":{\"group\":\"";
    s += target.substr(4);
    s += "\"},";
  } else {
    s += kMeterKey;
    s += target;
    s += "\",";
  }
  s += kSeqKey;
  s += std::to_string(seq);
  s += ",";
  s += kSentKey;
  s += std::to_string(sent_ns);
  s += ",\"limit_w\":4200,\"duration_s\":7200,\"randomize_s\":0,\"issued_by\":\"op:bench\"}";
  return s;
}

std::string ack_payload(std::string_view meter, std::uint64_t seq, std::uint64_t sent_ns) {
  std::string s = "{\"cmd_id\":\"bench-" + std::to_string(seq) + "\",";
  s += kMeterKey;
  s += meter;
  s += "\",\"status\":\"received\",";
  s += kSeqKey;
  s += std::to_string(seq);
  s += ",";
  s += kSentKey;
  s += std::to_string(sent_ns);
  s += "}";
  return s;
}

}  // namespace gridmq::bench
