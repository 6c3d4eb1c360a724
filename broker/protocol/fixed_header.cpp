#include "codec.hpp"
#include "decode.hpp"

namespace gridmq::protocol {

Result<std::optional<FixedHeader>> parse_fixed_header(Bytes data) {
  if (data.empty()) {
    return std::optional<FixedHeader>{};
  }
  FixedHeader fh;
  fh.first_byte = data[0];
  if ((fh.first_byte >> 4) == 0) {
    return detail::malformed("packet type 0 is reserved");
  }
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (1 + i >= data.size()) {
      return std::optional<FixedHeader>{};  // need more bytes
    }
    const std::uint8_t b = data[1 + i];
    value |= std::uint32_t{b & 0x7Fu} << (7 * i);
    if ((b & 0x80u) == 0) {
      fh.remaining_length = value;
      fh.header_length = static_cast<std::uint8_t>(2 + i);
      return std::optional<FixedHeader>{fh};
    }
  }
  return detail::malformed("remaining length longer than 4 bytes");
}

namespace detail {

Result<FixedHeader> read_frame(Bytes packet) {
  auto parsed = parse_fixed_header(packet);
  if (!parsed.ok()) {
    return parsed.error();
  }
  if (!parsed.value() || packet.size() < parsed.value()->total_length()) {
    return malformed("truncated packet");
  }
  if (packet.size() > parsed.value()->total_length()) {
    return malformed("bytes after the end of the packet");
  }
  return *parsed.value();
}

}  // namespace detail
}  // namespace gridmq::protocol
