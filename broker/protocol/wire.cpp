#include "wire.hpp"

#include "topic.hpp"

namespace gridmq::protocol::wire {

bool Reader::fail(const char* what) {
  if (!failed_) {
    failed_ = true;
    error_ = make_error(ReasonCode::kMalformedPacket, what);
  }
  return false;
}

bool Reader::u8(std::uint8_t& v) {
  if (failed_ || remaining() < 1) {
    return fail("truncated packet");
  }
  v = data_[pos_++];
  return true;
}

bool Reader::u16(std::uint16_t& v) {
  if (failed_ || remaining() < 2) {
    return fail("truncated packet");
  }
  v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return true;
}

bool Reader::u32(std::uint32_t& v) {
  if (failed_ || remaining() < 4) {
    return fail("truncated packet");
  }
  v = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
      (std::uint32_t{data_[pos_ + 2]} << 8) | std::uint32_t{data_[pos_ + 3]};
  pos_ += 4;
  return true;
}

bool Reader::varint(std::uint32_t& v) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    std::uint8_t b = 0;
    if (!u8(b)) {
      return false;
    }
    value |= std::uint32_t{b & 0x7Fu} << (7 * i);
    if ((b & 0x80u) == 0) {
      v = value;
      return true;
    }
  }
  return fail("variable byte integer longer than 4 bytes");
}

bool Reader::raw(std::size_t n, std::string& s) {
  if (failed_ || remaining() < n) {
    return fail("length field exceeds packet");
  }
  s.assign(reinterpret_cast<const char*>(data_.data() + pos_), n);
  pos_ += n;
  return true;
}

bool Reader::binary(std::string& s) {
  std::uint16_t n = 0;
  return u16(n) && raw(n, s);
}

bool Reader::utf8(std::string& s) {
  if (!binary(s)) {
    return false;
  }
  if (!valid_utf8(s)) {
    return fail("invalid UTF-8 string");
  }
  return true;
}

bool Reader::sub(std::size_t n, Reader& out) {
  if (failed_ || remaining() < n) {
    return fail("length field exceeds packet");
  }
  out = Reader(data_.subspan(pos_, n));
  pos_ += n;
  return true;
}

}  // namespace gridmq::protocol::wire
