#pragma once
// A strict JSON (RFC 8259) parser into a flat array of nodes over the original text, made for the
// data path: one pass, no allocation once the node array has grown to the message shape (reuse
// one JsonScan per thread), strings stay views into the payload (decoded only when they contain
// escapes). Checks everything nlohmann's parser checks that matters here: grammar, string escapes
// (surrogate pairs included), control characters, UTF-8, numbers, and a nesting limit.
//
// Layout: node 0 is the root. A container's children follow it; Node::next is the index after
// the node's whole subtree (its next sibling). An object's children alternate key (a string node)
// and value.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gridmq::plugins::meter_validation {

/// Moves `p` past the JSON number token (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?)
/// that starts there; false when none does (`p` is then anywhere). `integer`: no fraction and no
/// exponent. The scanner's grammar for numbers, and a reading shape's for the values it varies.
inline bool scan_number(const char*& p, const char* end, bool& integer) {
  const auto digit = [&] { return p != end && *p >= '0' && *p <= '9'; };
  integer = true;
  if (p != end && *p == '-') ++p;
  if (!digit()) return false;
  if (*p == '0') {
    ++p;
  } else {
    while (digit()) ++p;
  }
  if (p != end && *p == '.') {
    integer = false;
    ++p;
    if (!digit()) return false;
    while (digit()) ++p;
  }
  if (p != end && (*p == 'e' || *p == 'E')) {
    integer = false;
    ++p;
    if (p != end && (*p == '+' || *p == '-')) ++p;
    if (!digit()) return false;
    while (digit()) ++p;
  }
  return true;
}

class JsonScan {
 public:
  enum class Type : std::uint8_t { kNull, kFalse, kTrue, kNumber, kString, kArray, kObject };
  struct Node {
    Type type = Type::kNull;
    bool escaped = false;              // kString: contains a backslash escape
    bool integer = false;              // kNumber: no fraction, no exponent
    std::uint32_t count = 0;           // kArray: elements; kObject: members
    std::uint32_t begin = 0, end = 0;  // text (a string's content, without the quotes)
    std::uint32_t next = 0;
  };
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  static constexpr int kMaxDepth = 32;

  /// false when `text` is not exactly one JSON value (surrounded by whitespace only).
  bool parse(std::string_view text);

  const Node& node(std::uint32_t i) const { return nodes_[i]; }
  Type type(std::uint32_t i) const { return nodes_[i].type; }
  std::uint32_t next(std::uint32_t i) const { return nodes_[i].next; }
  /// The value of member `key` of object `obj`, or kNone.
  std::uint32_t find(std::uint32_t obj, std::string_view key) const;
  /// find() of several members in one pass over the object's members: out[i] is the value of
  /// member names[i] (its first occurrence), or kNone. `out` has names.size() elements.
  void find_all(std::uint32_t obj, std::span<const std::string_view> names,
                std::span<std::uint32_t> out) const;
  /// Raw text of a node (a string's content without quotes, escapes not decoded).
  std::string_view raw(std::uint32_t i) const {
    return text_.substr(nodes_[i].begin, nodes_[i].end - nodes_[i].begin);
  }
  /// A string node's value: a view into the text, or (with escapes) decoded into `scratch`.
  std::string_view str(std::uint32_t i, std::string& scratch) const {
    return nodes_[i].escaped ? decode(i, scratch) : raw(i);
  }

  bool is_string(std::uint32_t i) const { return i != kNone && type(i) == Type::kString; }
  bool is_number(std::uint32_t i) const { return i != kNone && type(i) == Type::kNumber; }
  bool is_integer(std::uint32_t i) const { return is_number(i) && nodes_[i].integer; }
  /// An integer number node that fits; false otherwise.
  bool int64(std::uint32_t i, std::int64_t& out) const;
  bool uint64(std::uint32_t i, std::uint64_t& out) const;
  bool number(std::uint32_t i, double& out) const;

 private:
  std::string_view decode(std::uint32_t i, std::string& scratch) const;  // an escaped string
  [[gnu::always_inline]] inline bool key();  // a member name and its colon
  bool literal(std::string_view word, Type t, Node& n);
  [[gnu::always_inline]] inline bool string(Node& n);
  [[gnu::always_inline]] inline bool number_token(Node& n);
  [[gnu::always_inline]] void skip_ws() {
    const char* d = text_.data();
    std::size_t p = pos_;
    while (p < text_.size() && static_cast<unsigned char>(d[p]) <= ' ' &&
           (d[p] == ' ' || d[p] == '\n' || d[p] == '\r' || d[p] == '\t')) {
      ++p;
    }
    pos_ = p;
  }

  /// The index of a new node at the end; the caller writes it whole. The array only grows (its
  /// size is its capacity, `used_` the nodes of this document), so a reused scanner does not
  /// allocate, and a node is not value-initialised before it is written.
  std::uint32_t add_node() {
    if (used_ == nodes_.size()) nodes_.resize(nodes_.empty() ? 64 : nodes_.size() * 2);
    return used_++;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::vector<Node> nodes_;
  std::uint32_t used_ = 0;
};

}  // namespace gridmq::plugins::meter_validation
