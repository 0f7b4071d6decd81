#include "raft/storage/crc32c.hpp"

#include <cstring>

#include <boost/crc.hpp>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace raft::storage {

namespace {

using Crc32c =
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

#if defined(__x86_64__)
// Eight bytes per instruction, then the tail a byte at a time. The
// instruction works on the reflected polynomial with no final xor, so the
// usual initial value and final inversion are applied here.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(
    std::string_view bytes) {
  std::uint64_t crc = 0xFFFFFFFFU;
  const char* at = bytes.data();
  std::size_t left = bytes.size();
  while (left >= 8) {
    std::uint64_t word;
    std::memcpy(&word, at, sizeof word);
    crc = _mm_crc32_u64(crc, word);
    at += 8;
    left -= 8;
  }
  auto crc32 = static_cast<std::uint32_t>(crc);
  for (; left > 0; --left, ++at) {
    crc32 = _mm_crc32_u8(crc32, static_cast<unsigned char>(*at));
  }
  return ~crc32;
}

// Runs during static initialization, so the CPU model is read first.
const bool have_sse42 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") != 0;
}();
#endif

}  // namespace

std::uint32_t crc32c_portable(std::string_view bytes) {
  Crc32c crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

bool crc32c_uses_sse42() {
#if defined(__x86_64__)
  return have_sse42;
#else
  return false;
#endif
}

std::uint32_t crc32c(std::string_view bytes) {
#if defined(__x86_64__)
  if (have_sse42) {
    return crc32c_sse42(bytes);
  }
#endif
  return crc32c_portable(bytes);
}

}  // namespace raft::storage
