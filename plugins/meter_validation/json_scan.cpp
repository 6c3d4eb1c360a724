#include "plugins/meter_validation/json_scan.hpp"

#include <charconv>
#include <cstdlib>

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

}  // namespace

bool JsonScan::parse(std::string_view text) {
  text_ = text;
  pos_ = 0;
  nodes_.clear();
  skip_ws();
  if (!value(0)) return false;
  skip_ws();
  return pos_ == text_.size();
}

bool JsonScan::value(int depth) {
  if (pos_ >= text_.size() || depth > kMaxDepth) return false;
  const auto index = static_cast<std::uint32_t>(nodes_.size());
  nodes_.emplace_back();
  Node n;
  n.begin = static_cast<std::uint32_t>(pos_);
  const char c = text_[pos_];
  auto literal = [&](std::string_view word, Type t) {
    if (text_.compare(pos_, word.size(), word) != 0) return false;
    pos_ += word.size();
    n.type = t;
    return true;
  };
  bool ok = true;
  if (c == '{' || c == '[') {
    const bool object = c == '{';
    n.type = object ? Type::kObject : Type::kArray;
    ++pos_;
    skip_ws();
    const char close = object ? '}' : ']';
    if (pos_ < text_.size() && text_[pos_] == close) {
      ++pos_;
    } else {
      while (true) {
        if (object) {
          if (pos_ >= text_.size() || text_[pos_] != '"') return false;
          nodes_.emplace_back();
          Node key;
          key.begin = static_cast<std::uint32_t>(pos_);
          if (!string(key)) return false;
          key.next = static_cast<std::uint32_t>(nodes_.size());
          nodes_[key.next - 1] = key;
          skip_ws();
          if (pos_ >= text_.size() || text_[pos_] != ':') return false;
          ++pos_;
          skip_ws();
        }
        if (!value(depth + 1)) return false;
        ++n.count;
        skip_ws();
        if (pos_ >= text_.size()) return false;
        if (text_[pos_] == ',') {
          ++pos_;
          skip_ws();
          continue;
        }
        if (text_[pos_] != close) return false;
        ++pos_;
        break;
      }
    }
    n.end = static_cast<std::uint32_t>(pos_);
  } else if (c == '"') {
    ok = string(n);
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    ok = number_token(n);
  } else {
    ok = literal("true", Type::kTrue) || literal("false", Type::kFalse) ||
         literal("null", Type::kNull);
    n.end = static_cast<std::uint32_t>(pos_);
  }
  if (!ok) return false;
  n.next = static_cast<std::uint32_t>(nodes_.size());
  nodes_[index] = n;
  return true;
}

bool JsonScan::string(Node& n) {
  n.type = Type::kString;
  ++pos_;  // opening quote
  n.begin = static_cast<std::uint32_t>(pos_);
  while (pos_ < text_.size()) {
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') {
      n.end = static_cast<std::uint32_t>(pos_);
      ++pos_;
      return true;
    }
    if (c < 0x20) return false;
    if (c == '\\') {
      n.escaped = true;
      if (pos_ + 1 >= text_.size()) return false;
      const char e = text_[pos_ + 1];
      if (e == 'u') {
        unsigned cp = 0;
        if (!hex4(text_, pos_ + 2, cp)) return false;
        pos_ += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate needs its low one
          unsigned lo = 0;
          if (pos_ + 1 >= text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u' ||
              !hex4(text_, pos_ + 2, lo) || lo < 0xDC00 || lo > 0xDFFF) {
            return false;
          }
          pos_ += 6;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return false;
        }
        continue;
      }
      if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
          e != 't') {
        return false;
      }
      pos_ += 2;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t len = utf8_length(text_, pos_);
      if (len == 0) return false;
      pos_ += len;
      continue;
    }
    ++pos_;
  }
  return false;
}

bool JsonScan::number_token(Node& n) {
  n.type = Type::kNumber;
  n.integer = true;
  const auto digit = [&] {
    return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9';
  };
  if (text_[pos_] == '-') ++pos_;
  if (!digit()) return false;
  if (text_[pos_] == '0') {
    ++pos_;
  } else {
    while (digit()) ++pos_;
  }
  if (pos_ < text_.size() && text_[pos_] == '.') {
    n.integer = false;
    ++pos_;
    if (!digit()) return false;
    while (digit()) ++pos_;
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    n.integer = false;
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (!digit()) return false;
    while (digit()) ++pos_;
  }
  n.end = static_cast<std::uint32_t>(pos_);
  return true;
}

std::uint32_t JsonScan::find(std::uint32_t obj, std::string_view key) const {
  if (obj == kNone || nodes_[obj].type != Type::kObject) return kNone;
  std::uint32_t k = obj + 1;
  std::string scratch;
  for (std::uint32_t m = 0; m < nodes_[obj].count; ++m) {
    const std::uint32_t v = nodes_[k].next;
    const bool match = nodes_[k].escaped ? str(k, scratch) == key : raw(k) == key;
    if (match) return v;
    k = nodes_[v].next;
  }
  return kNone;
}

std::string_view JsonScan::str(std::uint32_t i, std::string& scratch) const {
  const std::string_view s = raw(i);
  if (!nodes_[i].escaped) return s;
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

bool JsonScan::int64(std::uint32_t i, std::int64_t& out) const {
  if (!is_integer(i)) return false;
  const std::string_view s = raw(i);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

bool JsonScan::uint64(std::uint32_t i, std::uint64_t& out) const {
  if (!is_integer(i) || raw(i).front() == '-') return false;
  const std::string_view s = raw(i);
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
