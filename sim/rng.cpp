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

namespace {
// Marsaglia & Tsang's ziggurat for the unit exponential ("The Ziggurat Method for Generating
// Random Variables", J. Stat. Softw. 5(8), 2000), 256 layers, on 64-bit draws: the low 8 bits
// pick a layer and the top 53 bits the point in it, so the two never share bits (Doornik 2005
// showed that sharing them biases the classic 32-bit version). 98.9% of draws take the fast
// path: one random number, one compare and one multiply, no log().
struct ExpZiggurat {
  uint64_t k[256];  // accept j < k[i] at once: the point is inside layer i's rectangle core
  double w[256];    // x = j * w[i]
  double f[256];    // exp(-x_i) at each layer's edge
  static constexpr double kR = 7.69711747013104972;   // where the tail starts
  static constexpr double kV = 3.949659822581572e-3;  // each layer's area
  static constexpr double kM = 0x1.0p53;

  ExpZiggurat() {
    double d = kR, t = kR;
    const double q = kV / std::exp(-d);
    k[0] = static_cast<uint64_t>((d / q) * kM);
    k[1] = 0;
    w[0] = q / kM;
    w[255] = d / kM;
    f[0] = 1.0;
    f[255] = std::exp(-d);
    for (int i = 254; i >= 1; --i) {
      d = -std::log(kV / d + std::exp(-d));
      k[i + 1] = static_cast<uint64_t>((d / t) * kM);
      t = d;
      f[i] = std::exp(-d);
      w[i] = d / kM;
    }
  }
};

// Built before main: no guard to test on every draw. (Nothing draws during static
// initialisation: every Rng belongs to a Simulator or a test.)
const ExpZiggurat g_ziggurat;

// The 1.1% of draws outside the rectangle cores, kept out of line so that the fast path saves
// no registers. Starts from the rejected draw (layer i, point j) and loops as Marsaglia's efix.
[[gnu::noinline]] double ziggurat_slow(Rng& rng, unsigned i, uint64_t j) {
  const ExpZiggurat& z = g_ziggurat;
  for (;;) {
    if (i == 0) return ExpZiggurat::kR - std::log(1.0 - rng.uniform01());  // the tail: memoryless
    // The wedge between the rectangle core and the curve: accept under exp(-x).
    const double x = static_cast<double>(j) * z.w[i];
    if (z.f[i] + rng.uniform01() * (z.f[i - 1] - z.f[i]) < std::exp(-x)) return x;
    const uint64_t u = rng.next_u64();
    i = static_cast<unsigned>(u & 255);
    j = u >> 11;
    if (j < z.k[i]) return static_cast<double>(j) * z.w[i];
  }
}
}  // namespace

double Rng::unit_exponential() {
  const uint64_t u = next_u64();
  const unsigned i = static_cast<unsigned>(u & 255);
  const uint64_t j = u >> 11;
  // j < 2^53 converts exactly through int64_t, which is one instruction (uint64_t is not).
  if (j < g_ziggurat.k[i]) [[likely]]
    return static_cast<double>(static_cast<int64_t>(j)) * g_ziggurat.w[i];
  return ziggurat_slow(*this, i, j);
}

// unit_exponential() * mean, written out so that the slow path is a tail call and the fast path
// saves no registers; the same arithmetic in the same order, so the same durations.
Duration Rng::exponential(Duration mean) {
  const uint64_t u = next_u64();
  const unsigned i = static_cast<unsigned>(u & 255);
  const uint64_t j = u >> 11;
  if (j < g_ziggurat.k[i]) [[likely]] {
    const double x = static_cast<double>(static_cast<int64_t>(j)) * g_ziggurat.w[i];
    return Duration::nanoseconds(static_cast<int64_t>(x * static_cast<double>(mean.ns())));
  }
  return exponential_slow(i, j, mean);
}

Duration Rng::exponential_slow(unsigned i, uint64_t j, Duration mean) {
  return Duration::nanoseconds(
      static_cast<int64_t>(ziggurat_slow(*this, i, j) * static_cast<double>(mean.ns())));
}

}  // namespace netsim
