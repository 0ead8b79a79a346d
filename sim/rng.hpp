// Deterministic random streams. Each entity (a link direction, a host's ISN generator, a flood
// app) owns one stream derived from (scenario seed, stable entity id), so adding an entity never
// changes another's draws (DESIGN.md property 1). Generator: xoshiro256** (Blackman & Vigna),
// seeded through SplitMix64; draws are pure integer arithmetic plus IEEE doubles, so they are
// identical on every machine.
#pragma once

#include <cstdint>
#include <string_view>

#include "sim/time.hpp"

namespace netsim {

// FNV-1a 64 of a string: a stable entity id (never std::hash, which may differ between builds).
constexpr uint64_t stable_hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

constexpr uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  Rng() : Rng(0, "") {}
  Rng(uint64_t seed, std::string_view entity_id);

  uint64_t next_u64();
  uint32_t next_u32() { return static_cast<uint32_t>(next_u64() >> 32); }
  // Uniform in [0, 1), 53 random bits.
  double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform integer in [lo, hi] (inclusive), unbiased (Lemire's method with rejection).
  uint64_t uniform_int(uint64_t lo, uint64_t hi);
  bool bernoulli(double p) { return p >= 1.0 || (p > 0.0 && uniform01() < p); }
  // Exponentially distributed duration with the given mean, truncated to whole nanoseconds.
  Duration exponential(Duration mean);
  // Exp(1), by a ziggurat (no log() on 98.9% of draws).
  double unit_exponential();

 private:
  [[gnu::noinline]] Duration exponential_slow(unsigned i, uint64_t j, Duration mean);
  uint64_t s_[4];
};

}  // namespace netsim
