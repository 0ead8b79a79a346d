// The congestion controllers on their own: slow start and congestion avoidance as Linux counts
// them, RFC 5681 fast retransmit/recovery, RFC 6582 partial and full ACKs, timeouts, restart
// after idle, and "none".

#include <catch2/catch.hpp>

#include "protocols/tcp/congestion.hpp"

using namespace netsim;
using namespace netsim::literals;
using namespace netsim::tcp;

namespace {
constexpr uint32_t kMss = 1000;
const SeqNum kIss(0);
}  // namespace

TEST_CASE("Slow start adds every acknowledged byte while the window is in use") {
  auto cc = make_congestion_control(CongestionAlgo::newreno, kMss, 10, kIss);
  CHECK(cc->cwnd() == 10000);
  CHECK_FALSE(cc->on_new_ack(SeqNum(2001), 2000, 10000, 8000));
  CHECK(cc->cwnd() == 12000);
  // An application-limited sender (cwnd >= 2 * flight) does not grow the window.
  cc->on_new_ack(SeqNum(3001), 1000, 1000, 0);
  CHECK(cc->cwnd() == 12000);
}

TEST_CASE("Congestion avoidance adds one MSS per window of acknowledged bytes") {
  auto cc = make_congestion_control(CongestionAlgo::newreno, kMss, 10, kIss);
  // A timeout sets ssthresh = max(flight / 2, 2 MSS) = 5000 and cwnd = 1 MSS.
  cc->on_timeout(10000, SeqNum(10001), true);
  CHECK(cc->cwnd() == 1000);
  CHECK(cc->ssthresh() == 5000);
  uint32_t una = 1;
  auto ack = [&](uint32_t n, uint32_t flight) {
    una += n;
    cc->on_new_ack(SeqNum(una), n, flight, flight - n);
  };
  for (int i = 0; i < 4; ++i)
    ack(1000, cc->cwnd());
  CHECK(cc->cwnd() == 5000);  // slow start up to ssthresh
  for (int i = 0; i < 4; ++i)
    ack(1000, cc->cwnd());
  CHECK(cc->cwnd() == 5000);
  ack(1000, cc->cwnd());
  CHECK(cc->cwnd() == 6000);  // 5000 bytes acked with cwnd 5000: +1 MSS
}

TEST_CASE("NewReno: the third duplicate ACK enters recovery, partial ACKs retransmit, full exits") {
  auto cc = make_congestion_control(CongestionAlgo::newreno, kMss, 10, kIss);
  CHECK_FALSE(cc->on_dup_ack(1, SeqNum(1), SeqNum(10001), 10000));
  CHECK_FALSE(cc->on_dup_ack(2, SeqNum(1), SeqNum(10001), 10000));
  CHECK(cc->on_dup_ack(3, SeqNum(1), SeqNum(10001), 10000));
  CHECK(cc->in_recovery());
  CHECK(cc->ssthresh() == 5000);
  CHECK(cc->cwnd() == 8000);
  CHECK_FALSE(cc->on_dup_ack(4, SeqNum(1), SeqNum(10001), 10000));
  CHECK(cc->cwnd() == 9000);
  // Partial ACK of 3000 bytes: deflate by 3000, add one MSS back, retransmit.
  CHECK(cc->on_new_ack(SeqNum(3001), 3000, 10000, 7000));
  CHECK(cc->cwnd() == 7000);
  CHECK(cc->in_recovery());
  // Full ACK: cwnd = min(ssthresh, flight + MSS).
  CHECK_FALSE(cc->on_new_ack(SeqNum(10001), 7000, 7000, 0));
  CHECK_FALSE(cc->in_recovery());
  CHECK(cc->cwnd() == 2000);
}

TEST_CASE("NewReno does not start a second recovery for data sent before the first") {
  auto cc = make_congestion_control(CongestionAlgo::newreno, kMss, 10, kIss);
  cc->on_timeout(10000, SeqNum(10001), true);
  for (uint32_t n = 1; n <= 5; ++n)
    CHECK_FALSE(cc->on_dup_ack(n, SeqNum(2001), SeqNum(10001), 8000));
  CHECK_FALSE(cc->in_recovery());
  CHECK(cc->on_dup_ack(3, SeqNum(10001), SeqNum(20001), 8000));
}

TEST_CASE("A second timeout in the same episode keeps ssthresh") {
  auto cc = make_congestion_control(CongestionAlgo::newreno, kMss, 10, kIss);
  cc->on_timeout(10000, SeqNum(10001), true);
  cc->on_timeout(1000, SeqNum(10001), false);
  CHECK(cc->ssthresh() == 5000);
  CHECK(cc->cwnd() == 1000);
  cc->on_timeout(1000, SeqNum(10001), true);
  CHECK(cc->ssthresh() == 2000);  // never below 2 MSS
}

TEST_CASE("Reno leaves recovery on the first new ACK with cwnd = ssthresh") {
  auto cc = make_congestion_control(CongestionAlgo::reno, kMss, 10, kIss);
  for (uint32_t n = 1; n <= 3; ++n)
    cc->on_dup_ack(n, SeqNum(1), SeqNum(10001), 10000);
  CHECK(cc->in_recovery());
  CHECK_FALSE(cc->on_new_ack(SeqNum(3001), 3000, 10000, 7000));
  CHECK_FALSE(cc->in_recovery());
  CHECK(cc->cwnd() == 5000);
}

TEST_CASE("After an idle RTO the window falls back towards the initial window") {
  auto cc = make_congestion_control(CongestionAlgo::newreno, kMss, 10, kIss);
  for (uint32_t i = 0; i < 3; ++i)
    cc->on_new_ack(SeqNum(1 + 10000 * (i + 1)), 10000, cc->cwnd(), 0);
  CHECK(cc->cwnd() == 40000);
  cc->on_idle_restart(2_s, 1_s);  // one RTO beyond the first: halved once
  CHECK(cc->cwnd() == 20000);
  CHECK(cc->ssthresh() > 1'000'000u);  // max(ssthresh, 3/4 cwnd) keeps the infinite one
  cc->on_idle_restart(10_s, 1_s);
  CHECK(cc->cwnd() == 10000);
}

TEST_CASE("No congestion control: an unbounded window, fast retransmit once per episode") {
  auto cc = make_congestion_control(CongestionAlgo::none, kMss, 10, kIss);
  CHECK(cc->cwnd() > 1'000'000'000u);
  cc->on_timeout(10000, SeqNum(10001), true);
  CHECK(cc->cwnd() > 1'000'000'000u);
  CHECK(cc->on_dup_ack(3, SeqNum(10001), SeqNum(20001), 10000));
  CHECK(cc->on_new_ack(SeqNum(15001), 5000, 10000, 5000));
  CHECK_FALSE(cc->on_new_ack(SeqNum(20001), 5000, 5000, 0));
  CHECK(cc->algo() == CongestionAlgo::none);
}
