// The RFC 6298 estimator with Linux's rto_min floor, exponential backoff and its cap, and
// Linux's tcp_model_timeout() budget used for SYN and data give-up times.

#include <catch2/catch.hpp>

#include "protocols/tcp/rto.hpp"

using namespace netsim;
using namespace netsim::literals;
using netsim::tcp::model_timeout;
using netsim::tcp::RtoEstimator;

TEST_CASE("Before any sample the RTO is the initial one and doubles on expiry up to the cap") {
  RtoEstimator e(1_s, 200_ms, 120_s);
  CHECK(e.rto() == 1_s);
  CHECK_FALSE(e.has_sample());
  std::vector<Duration> seen;
  for (int i = 0; i < 9; ++i) {
    e.back_off();
    seen.push_back(e.rto());
  }
  CHECK(seen == std::vector<Duration>{2_s, 4_s, 8_s, 16_s, 32_s, 64_s, 120_s, 120_s, 120_s});
  CHECK(e.backoff() == 9);
}

TEST_CASE("The first sample sets SRTT = R, RTTVAR = R/2, RTO = SRTT + max(4 RTTVAR, rto_min)") {
  RtoEstimator e(1_s, 200_ms, 120_s);
  e.sample(100_ms);
  CHECK(e.srtt() == 100_ms);
  CHECK(e.rttvar() == 50_ms);
  CHECK(e.rto() == 300_ms);  // 4 * 50 ms = 200 ms
  e.sample(10_ms);
  // RTTVAR = 3/4 * 50 + 1/4 * |100 - 10| = 60 ms; SRTT = 7/8 * 100 + 1/8 * 10 = 88.75 ms.
  CHECK(e.rttvar() == 60_ms);
  CHECK(e.srtt() == 88750_us);
  // __tcp_set_rto(): usecs_to_jiffies(88750 + 240000 us) rounds 82.19 jiffies up to 83 (HZ 250).
  CHECK(e.rto() == 332_ms);
}

TEST_CASE("On a LAN the variance term is floored at rto_min: RTO = srtt + 200 ms in jiffies") {
  RtoEstimator e(1_s, 200_ms, 120_s);
  for (int i = 0; i < 20; ++i)
    e.sample(1_ms);
  // 201 ms is 50.25 jiffies at HZ 250; icsk_rto holds 51 (usecs_to_jiffies() rounds up).
  CHECK(e.rto() == 204_ms);
  RtoEstimator veth(1_s, 200_ms, 120_s);
  veth.sample(51_us);  // Linux's `ss -i` on a veth: rtt:0.051 rto:204
  CHECK(veth.rto() == 204_ms);
  veth.back_off();  // inet_csk_rto_backoff(): the jiffies value doubles
  CHECK(veth.rto() == 408_ms);
  RtoEstimator exact(1_s, 200_ms, 120_s);
  exact.sample(4_ms);  // 204000 us is exactly 51 jiffies: no rounding
  CHECK(exact.rto() == 204_ms);
}

TEST_CASE("A valid sample ends the backoff, the fallback replaces the RTO") {
  RtoEstimator e(1_s, 200_ms, 120_s);
  e.sample(20_ms);
  e.back_off();
  e.back_off();
  CHECK(e.rto() == 880_ms);
  e.sample(20_ms);
  CHECK(e.backoff() == 0);
  CHECK(e.rto() == 220_ms);
  RtoEstimator f(1_s, 200_ms, 120_s);
  f.set_fallback(3_s);
  CHECK(f.rto() == 3_s);
  CHECK(f.base_rto() == 3_s);
  CHECK(e.base_rto() == 220_ms);
}

TEST_CASE("The RTO never exceeds rto_max even for huge samples") {
  RtoEstimator e(1_s, 200_ms, 120_s);
  e.sample(200_s);
  CHECK(e.rto() == 120_s);
}

TEST_CASE("tcp_model_timeout: retries2 = 15 is 924.6 s, 5 is 12.6 s, SYN budgets 3 s to 247 s") {
  CHECK(model_timeout(15, 200_ms, 120_s) == 924600_ms);
  CHECK(model_timeout(5, 200_ms, 120_s) == 12600_ms);
  CHECK(model_timeout(9, 200_ms, 120_s) == 204600_ms);
  CHECK(model_timeout(10, 200_ms, 120_s) == 324600_ms);
  CHECK(model_timeout(8, 200_ms, 120_s) == 102200_ms);
  CHECK(model_timeout(1, 1_s, 120_s) == 3_s);
  CHECK(model_timeout(2, 1_s, 120_s) == 7_s);
  CHECK(model_timeout(6, 1_s, 120_s) == 127_s);
  CHECK(model_timeout(7, 1_s, 120_s) == 247_s);
  CHECK(model_timeout(0, 1_s, 120_s) == 1_s);
}
