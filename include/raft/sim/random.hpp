// Seeded randomness for the simulator. One seed drives a whole run, so the
// generator and every distribution are our own: std::mt19937_64 would be
// portable, but std::uniform_int_distribution is not, and a failing seed
// must replay byte-for-byte on any standard library.
#pragma once

#include <cstdint>

namespace raft::sim {

// xoshiro256** (Blackman and Vigna), seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (std::uint64_t& word : state_) {
      word = splitmix64(seed);
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [low, high], both included (Lemire's multiply-shift; the
  // bias for ranges this small is far below anything a test could see).
  std::uint64_t between(std::uint64_t low, std::uint64_t high) {
    const std::uint64_t span = high - low + 1;
    if (span == 0) {
      return next();  // the full 64-bit range
    }
    const Wide wide = static_cast<Wide>(next()) * span;
    return low + static_cast<std::uint64_t>(wide >> 64);
  }

  // True with probability per_million / 1,000,000: integer rates keep
  // floating point out of every decision.
  bool chance(std::uint64_t per_million) {
    return per_million != 0 && between(0, 999'999) < per_million;
  }

  // An independent stream, so that one part of the simulation drawing more
  // numbers does not shift what another part sees.
  Rng fork() { return Rng(next()); }

 private:
  // __extension__ keeps -Wpedantic quiet about the GCC/Clang 128-bit type.
  __extension__ using Wide = unsigned __int128;

  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  static std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }

  std::uint64_t state_[4];
};

}  // namespace raft::sim
