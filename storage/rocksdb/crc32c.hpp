#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78). It checksums every stored value (see
// layout.hpp), so it runs over every message body on the commit path. On x86-64 CPUs with SSE4.2
// the CRC32 instruction does 8 bytes per step; elsewhere a slicing-by-8 table does. The choice is
// made once per process from the CPU's feature bits (an immutable fact, not broker state).
// RocksDB has its own CRC32C, but its header is not part of the public API the Debian package
// installs.

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

// The two implementations crc32c_extend chooses from, for tests and benchmarks.

/// Slicing-by-8 tables: runs on every CPU.
[[nodiscard]] std::uint32_t crc32c_extend_portable(std::uint32_t crc, std::string_view data);
/// True when this CPU has the SSE4.2 CRC32 instruction (crc32c_extend_hardware may be called).
[[nodiscard]] bool crc32c_hardware_available();
/// The SSE4.2 CRC32 instruction; only when crc32c_hardware_available() (otherwise it returns
/// the portable result).
[[nodiscard]] std::uint32_t crc32c_extend_hardware(std::uint32_t crc, std::string_view data);

}  // namespace gridmq::storage::rocks
