#include "plugins/meter_validation/json_scan.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "plugins/meter_validation/same_text.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool hex4(std::string_view s, std::size_t at, unsigned& out) {
  if (at + 4 > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const int h = hex(s[at + i]);
    if (h < 0) return false;
    v = v * 16 + static_cast<unsigned>(h);
  }
  out = v;
  return true;
}

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length of the valid UTF-8 sequence starting at s[at] (a byte >= 0x80), or 0.
std::size_t utf8_length(std::string_view s, std::size_t at) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned c = b(at);
  std::size_t n = 0;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (at + n > s.size()) return 0;
  if (b(at + 1) < lo || b(at + 1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i) {
    if (b(at + i) < 0x80 || b(at + i) > 0xBF) return 0;
  }
  return n;
}

// Bytes that end a run of plain characters inside a string: the closing quote, a backslash, a
// control character (an error) and the first byte of a UTF-8 sequence (to be checked).
constexpr auto kStringStop = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  for (int c = 0x80; c < 0x100; ++c) t[c] = true;
  t['"'] = true;
  t['\\'] = true;
  return t;
}();

// Index of the first byte of the 8 at `d` that is a kStringStop byte, or 8. Word-at-a-time: a
// byte is flagged when it equals '"' or '\\' (x ^ pattern has a zero byte), is below 0x20, or has
// its high bit set. The subtractions can flag bytes above a true match (a borrow runs upward),
// never below one, so on a little-endian host the lowest flag is exact.
[[gnu::always_inline]] inline std::size_t first_stop(const char* d) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  std::uint64_t w = 0;
  std::memcpy(&w, d, 8);
  const auto zero_byte = [](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const std::uint64_t flags = zero_byte(w ^ (kOnes * '"')) | zero_byte(w ^ (kOnes * '\\')) |
                              ((w - kOnes * 0x20) & ~w & kHigh) | (w & kHigh);
  return flags == 0 ? 8 : static_cast<std::size_t>(__builtin_ctzll(flags)) / 8;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

bool JsonScan::parse(std::string_view text) {
  text_ = text;
  pos_ = 0;
  used_ = 0;
  // One loop instead of a recursive descent: `open` holds the containers around the current
  // value, innermost last; a value at depth d has d of them open (deeper than kMaxDepth fails).
  std::array<std::uint32_t, kMaxDepth + 1> open;
  int depth = 0;
  const char* d = text.data();
  const std::size_t size = text.size();
  skip_ws();
  for (;;) {
    if (pos_ >= size || depth > kMaxDepth) return false;
    const std::uint32_t index = add_node();
    Node n;
    n.begin = static_cast<std::uint32_t>(pos_);
    const char c = d[pos_];
    if (c == '{' || c == '[') {
      const bool object = c == '{';
      n.type = object ? Type::kObject : Type::kArray;
      ++pos_;
      skip_ws();
      if (pos_ >= size || d[pos_] != (object ? '}' : ']')) {
        nodes_[index] = n;  // count, end and next are set as its members are read and it closes
        open[static_cast<std::size_t>(depth++)] = index;
        if (object && !key()) return false;
        continue;
      }
      ++pos_;
      n.end = static_cast<std::uint32_t>(pos_);
    } else if (c == '"') {
      if (!string(n)) return false;
    } else if (c == '-' || is_digit(c)) {
      if (!number_token(n)) return false;
    } else {
      if (!literal("true", Type::kTrue, n) && !literal("false", Type::kFalse, n) &&
          !literal("null", Type::kNull, n)) {
        return false;
      }
    }
    n.next = used_;
    nodes_[index] = n;
    // A value ended: go on to the next member or element, closing the containers that end here.
    for (;;) {
      if (depth == 0) {
        skip_ws();
        return pos_ == size;
      }
      const std::uint32_t top = open[static_cast<std::size_t>(depth - 1)];
      ++nodes_[top].count;
      skip_ws();
      if (pos_ >= size) return false;
      const bool object = nodes_[top].type == Type::kObject;
      if (d[pos_] == ',') {
        ++pos_;
        skip_ws();
        if (object && !key()) return false;
        break;
      }
      if (d[pos_] != (object ? '}' : ']')) return false;
      ++pos_;
      nodes_[top].end = static_cast<std::uint32_t>(pos_);
      nodes_[top].next = used_;
      --depth;
    }
  }
}

bool JsonScan::key() {
  if (pos_ >= text_.size() || text_[pos_] != '"') return false;
  const std::uint32_t k = add_node();
  Node key;
  key.begin = static_cast<std::uint32_t>(pos_);
  if (!string(key)) return false;
  key.next = used_;
  nodes_[k] = key;
  skip_ws();
  if (pos_ >= text_.size() || text_[pos_] != ':') return false;
  ++pos_;
  skip_ws();
  return true;
}

bool JsonScan::literal(std::string_view word, Type t, Node& n) {
  if (text_.compare(pos_, word.size(), word) != 0) return false;
  pos_ += word.size();
  n.type = t;
  n.end = static_cast<std::uint32_t>(pos_);
  return true;
}

// The scanners below work on locals (text pointer, size, position) and store pos_ once: through
// the member, every character would be a load and a store the compiler cannot keep in registers
// (the node vector's writes might alias it).
bool JsonScan::string(Node& n) {
  n.type = Type::kString;
  const char* d = text_.data();
  const std::size_t size = text_.size();
  std::size_t p = pos_ + 1;  // after the opening quote
  n.begin = static_cast<std::uint32_t>(p);
  for (;;) {
    // To the next stop byte: 8 bytes at a time (first_stop is exact), bytewise in the last 7.
    if (p + 8 <= size) {
      const std::size_t at = first_stop(d + p);
      p += at;
      if (at == 8) continue;
    } else {
      while (p < size && !kStringStop[static_cast<unsigned char>(d[p])]) ++p;
      if (p >= size) return false;
    }
    const auto c = static_cast<unsigned char>(d[p]);
    if (c == '"') {
      n.end = static_cast<std::uint32_t>(p);
      pos_ = p + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c >= 0x80) {
      const std::size_t len = utf8_length(text_, p);
      if (len == 0) return false;
      p += len;
      continue;
    }
    // A backslash escape.
    n.escaped = true;
    if (p + 1 >= size) return false;
    const char e = d[p + 1];
    if (e == 'u') {
      unsigned cp = 0;
      if (!hex4(text_, p + 2, cp)) return false;
      p += 6;
      if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate needs its low one
        unsigned lo = 0;
        if (p + 1 >= size || d[p] != '\\' || d[p + 1] != 'u' || !hex4(text_, p + 2, lo) ||
            lo < 0xDC00 || lo > 0xDFFF) {
          return false;
        }
        p += 6;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return false;
      }
      continue;
    }
    if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
        e != 't') {
      return false;
    }
    p += 2;
  }
}

bool JsonScan::number_token(Node& n) {
  n.type = Type::kNumber;
  const char* const d = text_.data();
  const char* p = d + pos_;
  if (!scan_number(p, d + text_.size(), n.integer)) return false;
  n.end = static_cast<std::uint32_t>(p - d);
  pos_ = n.end;
  return true;
}

std::uint32_t JsonScan::find(std::uint32_t obj, std::string_view key) const {
  std::uint32_t at = kNone;
  find_all(obj, std::span<const std::string_view>(&key, 1), std::span<std::uint32_t>(&at, 1));
  return at;
}

void JsonScan::find_all(std::uint32_t obj, std::span<const std::string_view> names,
                        std::span<std::uint32_t> out) const {
  std::fill(out.begin(), out.end(), kNone);
  if (obj == kNone || nodes_[obj].type != Type::kObject) return;
  const Node* nodes = nodes_.data();
  std::size_t missing = names.size();
  std::string scratch;
  std::uint32_t k = obj + 1;
  for (std::uint32_t m = 0; m < nodes[obj].count && missing > 0; ++m) {
    const Node& key = nodes[k];
    const std::uint32_t v = key.next;
    const std::string_view name =
        key.escaped ? decode(k, scratch)
                    : std::string_view(text_.data() + key.begin, key.end - key.begin);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (out[i] == kNone && same_text(names[i], name)) {
        out[i] = v;
        --missing;
        break;
      }
    }
    k = nodes[v].next;
  }
}

std::string_view JsonScan::decode(std::uint32_t i, std::string& scratch) const {
  const std::string_view s = raw(i);
  scratch.clear();
  for (std::size_t p = 0; p < s.size(); ++p) {
    if (s[p] != '\\') {
      scratch += s[p];
      continue;
    }
    const char e = s[++p];
    switch (e) {
      case 'b':
        scratch += '\b';
        break;
      case 'f':
        scratch += '\f';
        break;
      case 'n':
        scratch += '\n';
        break;
      case 'r':
        scratch += '\r';
        break;
      case 't':
        scratch += '\t';
        break;
      case 'u': {
        unsigned cp = 0;
        hex4(s, p + 1, cp);
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned lo = 0;
          hex4(s, p + 3, lo);
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        append_utf8(scratch, cp);
        break;
      }
      default:  // " \ /
        scratch += e;
        break;
    }
  }
  return scratch;
}

// An integer token is -?(0|[1-9][0-9]*) (the grammar checked it); up to 18 digits it cannot
// overflow either type, so those are read in one loop (seq and register values always are).
namespace {
constexpr std::size_t kShortDigits = 18;
std::uint64_t short_digits(std::string_view digits) {
  std::uint64_t v = 0;
  for (const char ch : digits) v = v * 10 + static_cast<std::uint64_t>(ch - '0');
  return v;
}
}  // namespace

bool JsonScan::int64(std::uint32_t i, std::int64_t& out) const {
  if (!is_integer(i)) return false;
  const std::string_view s = raw(i);
  if (s.size() <= kShortDigits) {
    const bool negative = s.front() == '-';
    const auto v = static_cast<std::int64_t>(short_digits(s.substr(negative ? 1 : 0)));
    out = negative ? -v : v;
    return true;
  }
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

bool JsonScan::uint64(std::uint32_t i, std::uint64_t& out) const {
  if (!is_integer(i) || raw(i).front() == '-') return false;
  const std::string_view s = raw(i);
  if (s.size() <= kShortDigits) {
    out = short_digits(s);
    return true;
  }
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

bool JsonScan::number(std::uint32_t i, double& out) const {
  if (!is_number(i)) return false;
  const std::string_view s = raw(i);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return (ec == std::errc{} || ec == std::errc::result_out_of_range) && p == s.data() + s.size();
}

}  // namespace gridmq::plugins::meter_validation
