#pragma once
// Internal to the codec: bounds-checked byte reader and the two byte sinks (a writer that appends
// to a std::string and a counter that only adds up sizes). Not part of the public API.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec.hpp"
#include "result.hpp"

namespace gridmq::protocol::wire {

/// Largest value a Variable Byte Integer can hold (4 bytes).
inline constexpr std::uint32_t kMaxVarint = 268'435'455;
/// Largest UTF-8 string / binary field: the length prefix is two bytes.
inline constexpr std::size_t kMaxField = 65'535;

/// Number of bytes Writer::varint() writes for `v` (5 only for values beyond kMaxVarint, which
/// are not valid MQTT but keep sizes and writes in agreement).
inline std::size_t varint_size(std::uint32_t v) {
  return v < 128u ? 1 : v < 16'384u ? 2 : v < 2'097'152u ? 3 : v <= kMaxVarint ? 4 : 5;
}

/// Reads fields from a byte range. Every read checks bounds first; the first failure is kept in
/// error() (Malformed Packet) and every later read fails too, so callers may check only at the end
/// of a group of reads.
class Reader {
 public:
  explicit Reader(Bytes data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  bool failed() const { return failed_; }
  const Error& error() const { return error_; }

  bool u8(std::uint8_t& v);
  bool u16(std::uint16_t& v);
  bool u32(std::uint32_t& v);
  /// Variable Byte Integer, at most 4 bytes.
  bool varint(std::uint32_t& v);
  /// Two-byte length + bytes, checked with valid_utf8 (MQTT-1.5.4-1/2).
  bool utf8(std::string& s);
  /// Two-byte length + raw bytes.
  bool binary(std::string& s);
  /// The next `n` bytes as raw data.
  bool raw(std::size_t n, std::string& s);
  /// Splits off the next `n` bytes as a separate reader (used for the property block).
  bool sub(std::size_t n, Reader& out);

  /// Records `what` as a Malformed Packet error and returns false.
  bool fail(const char* what);

 private:
  Bytes data_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  Error error_;
};

/// Appends encoded fields to a string.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void varint(std::uint32_t v) {
    do {
      std::uint8_t b = v & 0x7Fu;
      v >>= 7;
      if (v != 0) {
        b |= 0x80u;
      }
      u8(b);
    } while (v != 0);
  }
  /// Length-prefixed string or binary; anything past 65535 bytes is cut (callers must not pass it).
  void str(std::string_view s) {
    const std::size_t n = std::min(s.size(), kMaxField);
    u16(static_cast<std::uint16_t>(n));
    out_.append(s.data(), n);
  }
  void raw(std::string_view s) { out_.append(s); }

 private:
  std::string& out_;
};

/// Same interface as Writer, only counts bytes (so sizes always agree with what is written).
class Counter {
 public:
  void u8(std::uint8_t) { n_ += 1; }
  void u16(std::uint16_t) { n_ += 2; }
  void u32(std::uint32_t) { n_ += 4; }
  void varint(std::uint32_t v) { n_ += varint_size(v); }
  void str(std::string_view s) { n_ += 2 + std::min(s.size(), kMaxField); }
  void raw(std::string_view s) { n_ += s.size(); }
  std::size_t size() const { return n_; }

 private:
  std::size_t n_ = 0;
};

}  // namespace gridmq::protocol::wire
