#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven, one byte at a time. It
// checksums every stored value (see layout.hpp). RocksDB has its own (faster) CRC32C, but its
// header is not part of the public API the Debian package installs.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gridmq::storage::rocks {

/// Extends `crc` (the result of a previous call, 0 to start) over `data`.
/// crc32c_extend(0, "123456789") == 0xE3069283 (the standard check value).
[[nodiscard]] std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view data);

[[nodiscard]] inline std::uint32_t crc32c(std::string_view data) {
  return crc32c_extend(0, data);
}

}  // namespace gridmq::storage::rocks
