#include "plugins/meter_validation/reading_shape.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "plugins/meter_validation/json_scan.hpp"
#include "plugins/meter_validation/obis.hpp"
#include "plugins/meter_validation/timestamp.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

// Up to 18 digits a value cannot overflow (longer ones go to check_payload, which reads them).
constexpr std::size_t kMaxDigits = 18;

bool digit(char ch) {
  return static_cast<unsigned char>(ch - '0') < 10;
}

// A non-negative integer token in the form check_payload reads without from_chars: 0, or up to
// 18 digits not starting with 0. What follows it is the shape's next literal byte (never a digit
// in a JSON document), so "1.5" or "1e3" fail there. One pass: the value is accumulated while the
// digits are counted (more than 18 may wrap it, but they are refused).
bool plain_integer(const char*& p, const char* end, std::uint64_t& out) {
  const char* q = p;
  std::uint64_t v = 0;
  while (q != end && digit(*q)) {
    v = v * 10 + static_cast<std::uint64_t>(*q - '0');
    ++q;
  }
  const auto n = static_cast<std::size_t>(q - p);
  if (n == 0 || n > kMaxDigits || (n > 1 && *p == '0')) return false;
  p = q;
  out = v;
  return true;
}

// The content of a string up to its closing quote, in the form a shape takes: printable ASCII
// without escapes.
bool plain_string(const char*& p, const char* end) {
  while (p != end && *p != '"') {
    const auto ch = static_cast<unsigned char>(*p);
    if (ch < 0x20 || ch >= 0x7F || ch == '\\') return false;
    ++p;
  }
  return p != end;
}

// The content of a ts string (a plain string), RFC 3339 inside the clock window (ts_window; a ts
// outside it is check_payload's to judge, with its reason).
bool ts_in_window(const char*& p, const char* end, const Settings& s, std::int64_t now_ms,
                  std::int64_t& out) {
  const char* const begin = p;
  if (!plain_string(p, end)) return false;
  const auto ms = parse_rfc3339_ms(std::string_view(begin, static_cast<std::size_t>(p - begin)));
  if (!ms || ts_window(s, now_ms, *ms) != Reason::kAccepted) return false;
  out = *ms;
  return true;
}

}  // namespace

ReadingShape ReadingShape::capture(const Settings& s, std::string_view payload, const JsonScan& j) {
  if (payload.size() > kMaxBytes || j.type(0) != JsonScan::Type::kObject) return {};
  struct Found {
    std::uint32_t node;
    Role role;
    std::uint32_t key = JsonScan::kNone;  // kRegister: the node of its OBIS code
  };
  // Per node (the root's subtree is the whole document): a value the rules read, as it is
  // (literal) or as a hole with a role.
  std::vector<bool> taken(j.next(0), false);
  std::vector<Found> found;  // the holes
  found.reserve(16);
  const auto keep = [&](std::initializer_list<std::uint32_t> nodes) {
    for (const std::uint32_t i : nodes) {
      if (i != JsonScan::kNone) taken[i] = true;
    }
  };
  const auto hole = [&](Found f) {
    taken[f.node] = true;
    found.push_back(f);
  };
  const auto plain = [&](std::uint32_t i) {
    const std::string_view raw = j.raw(i);
    return j.is_integer(i) && raw.front() != '-' && raw.size() <= kMaxDigits;
  };
  static constexpr std::array<std::string_view, 6> kNames = {"v",    "meter", "seq",
                                                             "boot", "ts",    "regs"};
  std::array<std::uint32_t, kNames.size()> at{};
  j.find_all(0, kNames, at);
  const auto [v, meter, seq, boot, ts, regs] = at;
  keep({v, meter, regs});
  if (seq != JsonScan::kNone) {
    if (!plain(seq)) return {};
    hole(Found{seq, Role::kSeq});
  }
  if (boot != JsonScan::kNone) {
    if (!plain(boot)) return {};
    hole(Found{boot, Role::kBoot});
  }
  if (ts != JsonScan::kNone) {
    if (!j.is_string(ts) || j.node(ts).escaped) return {};
    hole(Found{ts, Role::kTs});
  }
  if (regs == JsonScan::kNone || j.type(regs) != JsonScan::Type::kArray) return {};
  static constexpr std::array<std::string_view, 3> kEntry = {"obis", "val", "unit"};
  std::uint32_t r = regs + 1;
  for (std::uint32_t k = 0; k < j.node(regs).count; ++k, r = j.next(r)) {
    std::array<std::uint32_t, kEntry.size()> e{};
    j.find_all(r, kEntry, e);
    const auto [obis, val, unit] = e;
    // The samples' keys are the OBIS codes as they stand in the literal bytes: not escaped.
    if (!j.is_string(obis) || j.node(obis).escaped || !j.is_number(val)) return {};
    keep({r, obis, unit});
    const auto parsed = parse_obis(j.raw(obis));
    if (!parsed) return {};
    if (!is_register(quantity_of(*parsed))) {
      hole(Found{val, Role::kNumber});
    } else if (plain(val)) {  // a valid OBIS code has at most 23 characters: key_size holds it
      hole(Found{val, Role::kRegister, obis});
    } else {
      return {};
    }
  }
  // Every other number or plain string no rule reads (sent_ns, a status, a vendor's member) is a
  // hole too: it only has to stay a JSON number or string. Member names stay literal.
  const auto walk = [&](const auto& self, std::uint32_t i) -> void {
    const JsonScan::Type t = j.type(i);
    if (t == JsonScan::Type::kObject) {
      std::uint32_t key = i + 1;
      for (std::uint32_t m = 0; m < j.node(i).count; ++m) {
        const std::uint32_t value = j.next(key);
        self(self, value);
        key = j.next(value);
      }
    } else if (t == JsonScan::Type::kArray) {
      std::uint32_t e = i + 1;
      for (std::uint32_t m = 0; m < j.node(i).count; ++m, e = j.next(e)) self(self, e);
    } else if ((t == JsonScan::Type::kNumber ||
                (t == JsonScan::Type::kString && !j.node(i).escaped)) &&
               !taken[i]) {
      found.push_back(Found{i, t == JsonScan::Type::kNumber ? Role::kNumber : Role::kString});
    }
  };
  walk(walk, 0);
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.node < b.node; });
  // Where a byte of the payload outside the holes lands in the literal bytes.
  const auto in_literal = [&](std::uint32_t at) {
    std::uint32_t removed = 0;
    for (const Found& f : found) {
      if (j.node(f.node).begin < at) removed += j.node(f.node).end - j.node(f.node).begin;
    }
    return at - removed;
  };
  ReadingShape shape;
  shape.literal_.reserve(payload.size());
  shape.holes_.reserve(found.size());
  std::uint32_t from = 0;
  for (const Found& f : found) {
    const JsonScan::Node& n = j.node(f.node);
    shape.literal_.append(payload.substr(from, n.begin - from));
    Hole h{static_cast<std::uint32_t>(shape.literal_.size()), 0, 0, f.role};
    if (f.role == Role::kRegister) {
      h.key_at = in_literal(j.node(f.key).begin);
      h.key_size = static_cast<std::uint8_t>(j.node(f.key).end - j.node(f.key).begin);
    }
    shape.holes_.push_back(h);
    from = n.end;
  }
  shape.literal_.append(payload.substr(from));
  shape.has_ts_ = ts != JsonScan::kNone;
  shape.settings_ = &s;
  return shape;
}

bool ReadingShape::match(const Settings& s, const Input& in, Checked& c) const {
  if (settings_ != &s || in.payload.size() > s.max_payload_bytes) return false;
  const char* p = in.payload.data();
  const char* const end = p + in.payload.size();
  const char* const literal = literal_.data();
  std::uint32_t done = 0;  // literal_ bytes compared
  std::uint64_t seq = c.seq;
  std::int64_t boot = c.boot;
  std::int64_t ts = 0;
  const auto same = [&](std::uint32_t upto) {
    const std::size_t n = upto - done;
    if (static_cast<std::size_t>(end - p) < n || std::memcmp(p, literal + done, n) != 0) {
      return false;
    }
    p += n;
    done = upto;
    return true;
  };
  const auto fits = [&] {
    for (const Hole& h : holes_) {
      if (!same(h.at)) return false;
      std::uint64_t v = 0;
      switch (h.role) {
        case Role::kSeq:
          if (!plain_integer(p, end, seq)) return false;
          break;
        case Role::kBoot:
          if (!plain_integer(p, end, v)) return false;
          boot = static_cast<std::int64_t>(v);
          break;
        case Role::kTs:
          if (!ts_in_window(p, end, s, in.now_ms, ts)) return false;
          break;
        case Role::kRegister:
          if (!plain_integer(p, end, v)) return false;
          c.samples.push_back(Sample{std::string(literal + h.key_at, h.key_size),
                                     static_cast<std::int64_t>(v), 0, 1});
          break;
        case Role::kNumber: {
          bool integer = false;
          if (!scan_number(p, end, integer)) return false;
          break;
        }
        case Role::kString:
          if (!plain_string(p, end)) return false;
          break;
      }
    }
    return static_cast<std::size_t>(end - p) == literal_.size() - done &&
           same(static_cast<std::uint32_t>(literal_.size()));
  };
  if (!fits()) {
    c.samples.clear();
    return false;
  }
  c.seq = seq;
  c.boot = boot;
  if (has_ts_) {
    for (auto& smp : c.samples) smp.ts_ms = ts;
  }
  return true;
}

}  // namespace gridmq::plugins::meter_validation
