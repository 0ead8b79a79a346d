// Linux's RTO estimator (tcp_rtt_estimator(), __tcp_set_rto()) in jiffies, exponential backoff
// and its cap, and Linux's tcp_model_timeout() budget used for SYN and data give-up times.

#include <catch2/catch.hpp>

#include "protocols/tcp/rto.hpp"

using namespace netsim;
using namespace netsim::literals;
using netsim::tcp::model_timeout;
using netsim::tcp::RtoEstimator;

namespace {
// Sequence numbers for samples: within one RTT snd_una stays at or before rtt_seq; a sample
// with snd_una past it starts the next RTT (the per-RTT rttvar decay).
constexpr SeqNum kUna{1};
constexpr SeqNum kNxt{1001};
// snd_nxt when the k-th RTT's sample is taken, and snd_una once that data is acknowledged.
SeqNum round_nxt(int k) {
  return SeqNum(static_cast<uint32_t>(1001 + 1000 * k));
}
SeqNum round_una(int k) {
  return round_nxt(k) + 1;
}
}  // namespace

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

TEST_CASE("The first sample sets SRTT = R, mdev = R/2, RTO = SRTT + max(2R, rto_min)") {
  RtoEstimator e(1_s, 200_ms, 120_s);
  e.sample(100_ms, kUna, kNxt);
  CHECK(e.srtt() == 100_ms);
  CHECK(e.rttvar() == 50_ms);    // tcpi_rttvar = mdev_us >> 2
  CHECK(e.rto_var() == 200_ms);  // rttvar_us = max(mdev_us = 2R, rto_min)
  CHECK(e.rto() == 300_ms);
  // A lower sample in the same RTT: the error 90 ms less mdev/4 (50 ms) moves mdev by only
  // 1/8 of it (tcp_rtt_estimator()'s damping of a falling RTT): mdev_us 200 + 5 = 205 ms, which
  // raises rttvar_us at once. SRTT = 7/8 * 100 + 1/8 * 10 = 88.75 ms. RFC 6298 would give
  // RTTVAR 60 ms and 88.75 + 240 ms; Linux arms usecs_to_jiffies(88750 + 205000 us): 73.44
  // jiffies rounded up to 74 = 296 ms.
  e.sample(10_ms, kUna, kNxt);
  CHECK(e.srtt() == 88750_us);
  CHECK(e.rttvar() == 51250_us);
  CHECK(e.rto_var() == 205_ms);
  CHECK(e.rto() == 296_ms);
}

TEST_CASE("rttvar decays towards the RTT's largest deviation once per RTT, not per sample") {
  // A steady 400 ms path: the first sample gives mdev_us = rttvar_us = 800 ms, RTO 1.2 s.
  RtoEstimator per_rtt(1_s, 200_ms, 120_s);
  RtoEstimator same_rtt(1_s, 200_ms, 120_s);
  for (RtoEstimator* e : {&per_rtt, &same_rtt})
    e->sample(400_ms, kUna, round_nxt(1));
  CHECK(per_rtt.rto() == 1200_ms);
  // Next RTT: mdev_us 800 -> 600 ms (m = 0 - 800/4); the decay step finds mdev_max (800) not
  // below rttvar (800), then resets mdev_max to rto_min. Two more samples in the same RTT.
  per_rtt.sample(400_ms, round_una(1), round_nxt(2));
  same_rtt.sample(400_ms, kUna, round_nxt(2));
  CHECK(per_rtt.rto_var() == 800_ms);
  CHECK(same_rtt.rto_var() == 800_ms);
  // Third RTT: mdev_us 600 -> 450 ms becomes mdev_max; rttvar_us 800 - (800 - 450) / 4 =
  // 712.5 ms; RTO = usecs_to_jiffies(400000 + 712500) = 278.1 -> 279 jiffies = 1116 ms.
  per_rtt.sample(400_ms, round_una(2), round_nxt(3));
  same_rtt.sample(400_ms, kUna, round_nxt(3));
  CHECK(per_rtt.rttvar() == 112500_us);
  CHECK(per_rtt.rto_var() == 712500_us);
  CHECK(per_rtt.rto() == 1116_ms);
  CHECK(same_rtt.rto_var() == 800_ms);  // no RTT has ended: no decay
  CHECK(same_rtt.rto() == 1200_ms);
}

TEST_CASE("On a LAN the variance term is floored at rto_min: RTO = srtt + 200 ms in jiffies") {
  RtoEstimator e(1_s, 200_ms, 120_s);
  for (int i = 0; i < 20; ++i)
    e.sample(1_ms, kUna, kNxt);
  // 201 ms is 50.25 jiffies at HZ 250; icsk_rto holds 51 (usecs_to_jiffies() rounds up).
  CHECK(e.rto() == 204_ms);
  RtoEstimator veth(1_s, 200_ms, 120_s);
  veth.sample(51_us, kUna, kNxt);  // Linux's `ss -i` on a veth: rtt:0.051 rto:204
  CHECK(veth.rto() == 204_ms);
  veth.back_off();  // inet_csk_rto_backoff(): the jiffies value doubles
  CHECK(veth.rto() == 408_ms);
  RtoEstimator exact(1_s, 200_ms, 120_s);
  exact.sample(4_ms, kUna, kNxt);  // 204000 us is exactly 51 jiffies: no rounding
  CHECK(exact.rto() == 204_ms);
}

TEST_CASE("A valid sample ends the backoff, the fallback replaces the RTO") {
  RtoEstimator e(1_s, 200_ms, 120_s);
  e.sample(20_ms, kUna, kNxt);
  e.back_off();
  e.back_off();
  CHECK(e.rto() == 880_ms);
  e.sample(20_ms, kUna, kNxt);
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
  e.sample(200_s, kUna, kNxt);
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
