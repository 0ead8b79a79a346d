// xoshiro256** and the draws built on it.
#include "sim/rng.hpp"

#include <cmath>

namespace netsim {
namespace {
constexpr uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
}  // namespace

Rng::Rng(uint64_t seed, std::string_view entity_id) {
  uint64_t id = stable_hash(entity_id);
  uint64_t state = seed ^ splitmix64(id);
  for (auto& w : s_)
    w = splitmix64(state);
}

uint64_t Rng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t Rng::uniform_int(uint64_t lo, uint64_t hi) {
  uint64_t range = hi - lo;
  if (range == UINT64_MAX) return next_u64();
  uint64_t n = range + 1;
  // Lemire 2019: multiply-shift with rejection of the biased low region.
  __uint128_t m = static_cast<__uint128_t>(next_u64()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    uint64_t threshold = -n % n;
    while (low < threshold) {
      m = static_cast<__uint128_t>(next_u64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return lo + static_cast<uint64_t>(m >> 64);
}

Duration Rng::exponential(Duration mean) {
  // 1 - U is in (0, 1], so the log is finite.
  double u = 1.0 - uniform01();
  double ns = -std::log(u) * static_cast<double>(mean.ns());
  return Duration::nanoseconds(static_cast<int64_t>(ns));
}

}  // namespace netsim
