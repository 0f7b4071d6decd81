// CRC-32C (Castagnoli), the checksum of every log record. Uses the CPU's
// crc32 instruction (SSE4.2) when it has one, which is many times faster
// than a table; otherwise Boost.CRC. Both give the same value.
#pragma once

#include <cstdint>
#include <string_view>

namespace raft::storage {

std::uint32_t crc32c(std::string_view bytes);

// Whether crc32c() uses the crc32 instruction on this CPU.
bool crc32c_uses_sse42();

// The table-driven Boost.CRC version, whatever the CPU: the reference the
// fast one is tested against.
std::uint32_t crc32c_portable(std::string_view bytes);

}  // namespace raft::storage
