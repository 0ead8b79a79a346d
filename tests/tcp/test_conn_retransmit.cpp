// Loss recovery of one connection: RFC 6298 RTO (backoff, cap, Karn's rule, restart on ACK),
// Linux's retries2 give-up time, RFC 5681 fast retransmit on exactly three duplicate ACKs
// (with RFC 3042 limited transmit), RFC 6582 NewReno partial ACKs, Reno, go-back-N after a
// timeout.

#include "test_conn_harness.hpp"

using namespace conntest;

namespace {
// The RFC 5681/6582 byte-counted sender: the `rfc9293` preset's without SACK (the `linux`
// preset's is Linux's tcp_is_reno() path, test_conn_loss_reno.cpp).
Profile with_cc(CongestionAlgo a) {
  Profile p;
  p.preset = Preset::rfc9293;
  p.congestion = a;
  return p;
}
}  // namespace

TEST_CASE(
    "The data RTO doubles from srtt + 200 ms in jiffies, is capped at 120 s, and retries2 ends "
    "it") {
  Harness h;
  established(h);
  h.send(at(20_ms), "x");
  std::vector<int64_t> gaps_ms;
  Instant last = at(20_ms);
  while (h.state() == State::established) {
    h.fire();
    gaps_ms.push_back((h.now - last).ns() / 1'000'000);
    last = h.now;
    if (gaps_ms.size() == 10)
      CHECK(h.timers() == Lines{"rto 10: retransmit seq 1001, backoff 10, rto 120s"});
    if (gaps_ms.size() == 9)
      CHECK(h.timers() == Lines{"rto 9: retransmit seq 1001, backoff 9, rto 108.544s"});
  }
  std::vector<int64_t> expected{212,   424,    848,    1696,   3392,   6784,   13568,  27136,
                                54272, 108544, 120000, 120000, 120000, 120000, 120000, 120000};
  CHECK(gaps_ms == expected);
  // 212 ms = 53 jiffies doubled nine times, then TCP_RTO_MAX. 15 retransmissions; the 16th
  // expiry, 212 ms * 1023 + 6 * 120 s = 936.876 s after the send and 936.664 s after the first
  // retransmission (retrans_stamp: tcp_retransmit_skb() reads the skb's stamp after
  // __tcp_retransmit_skb() renewed it), is past tcp_model_timeout(15, 200 ms) = 924.6 s (the
  // 15th, at 816.664 s, is not).
  CHECK(h.now == at(936896_ms));
  CHECK(h.counters.retransmits == 15);
  CHECK(h.timers() == Lines{"rto 15: give up after 15 retransmissions in 936.664s: ETIMEDOUT"});
  CHECK(h.notices() == Lines{"error ETIMEDOUT", "closed"});
  CHECK(h.out.packets.empty());  // no RST
}

TEST_CASE("Each RTO expiry retransmits the first segment and traces backoff and RTO") {
  Harness h;
  established(h);
  h.send(at(20_ms), "hello");
  CHECK(h.fire() == Lines{"P. seq 1001:1006 ack 5001 win 64240 rtx 1"});
  CHECK(h.timers() == Lines{"rto 1: retransmit seq 1001, backoff 1, rto 424ms"});
  CHECK(h.fire() == Lines{"P. seq 1001:1006 ack 5001 win 64240 rtx 2"});
  CHECK(h.timers() == Lines{"rto 2: retransmit seq 1001, backoff 2, rto 848ms"});
  CHECK(h.c().stats().retransmits == 2);
}

TEST_CASE("retries2 = 5: ETIMEDOUT at the first RTO expiry past the 12.6 s budget, no RST") {
  Profile p;
  p.retries2 = 5;
  Harness h(p);
  established(h);
  h.send(at(20_ms), "x");
  int expiries = 0;
  while (h.state() == State::established) {
    h.fire();
    ++expiries;
  }
  // RTO 212 ms doubling: expiries at 0.232, 0.656, 1.504, 3.2, 6.592 s retransmit; at
  // 13.376 s, 13.144 s after the first retransmission (retrans_stamp), the budget
  // (2^6 - 1) * 200 ms = 12.6 s is exceeded.
  CHECK(expiries == 6);
  CHECK(h.now == at(13376_ms));
  CHECK(h.counters.retransmits == 5);
  CHECK(h.out.packets.empty());
  CHECK(h.transitions() == Lines{"ESTABLISHED -> CLOSED (RTO expired)"});
  CHECK(h.notices() == Lines{"error ETIMEDOUT", "closed"});
  CHECK(h.timers() == Lines{"rto 5: give up after 5 retransmissions in 13.144s: ETIMEDOUT"});
}

TEST_CASE("Forward progress restarts the retries2 budget") {
  Profile p;
  p.retries2 = 5;
  Harness h(p);
  established(h);
  h.send(at(20_ms), "x");
  for (int i = 0; i < 5; ++i)
    h.fire();  // last retransmission at 6.592 s
  h.recv(at(7_s), ACK, kPeerIss + 1, kIss + 2);
  h.send(at(8_s), "y");
  // The RTO stays backed off (no RTT sample from retransmitted data) but the count restarts.
  int expiries = 0;
  while (h.state() == State::established) {
    h.fire();
    ++expiries;
  }
  CHECK(expiries >= 2);
  CHECK(h.now - at(8_s) >= 12600_ms);
}

TEST_CASE("Karn's rule: no RTT sample from retransmitted data, the backed-off RTO stays") {
  Harness h;
  established(h);
  h.send(at(20_ms), "a");
  h.fire();  // 232 ms, RTO now 424 ms
  h.recv(at(300_ms), ACK, kPeerIss + 1, kIss + 2);
  h.send(at(310_ms), "b");
  CHECK(h.deadline() == at(734_ms));
  // A clean sample of 90 ms: srtt 20 ms, rttvar 23.75 ms, RTO = 20 ms + 200 ms (55 jiffies).
  h.recv(at(400_ms), ACK, kPeerIss + 1, kIss + 3);
  h.send(at(410_ms), "c");
  CHECK(h.deadline() == at(630_ms));
}

TEST_CASE("An ACK of new data restarts the retransmission timer (RFC 6298 5.3)") {
  Harness h;
  established(h);
  h.send(at(20_ms), bytes(2920));
  CHECK(h.deadline() == at(232_ms));
  // The ACK brings an 80 ms sample: srtt 18.75 ms, so the RTO is 218.75 ms, rounded up to
  // 55 jiffies = 220 ms, from now.
  h.recv(at(100_ms), ACK, kPeerIss + 1, 2461);
  CHECK(h.deadline() == at(320_ms));
}

TEST_CASE("Fast retransmit on exactly the third duplicate ACK, with limited transmit before") {
  Harness h(with_cc(CongestionAlgo::newreno));
  established(h);
  REQUIRE(h.send(at(20_ms), bytes(20000)).size() == 10);
  // RFC 3042: the first two duplicate ACKs each release one new segment.
  CHECK(h.recv(at(30_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 15601:17061 ack 5001 win 64240"});
  CHECK(h.recv(at(31_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 17061:18521 ack 5001 win 64240"});
  CHECK(h.counters.retransmits == 0);
  CHECK(h.recv(at(32_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 1001:2461 ack 5001 win 64240 rtx 1"});
  CHECK(h.counters.retransmits == 1);
  // The window change is traced as a counter sample, and the cut's new ssthresh with it.
  REQUIRE(h.out.trace.size() == 2);
  CHECK(h.out.trace[0].kind == TraceNote::Kind::counter);
  CHECK(h.out.trace[0].counter == "cwnd");
  CHECK(h.out.trace[0].value == 13140);
  CHECK(h.out.trace[1].counter == "ssthresh");
  CHECK(h.out.trace[1].value == 8760);
  // ssthresh = 17520 / 2 = 8760, cwnd = 8760 + 3 * 1460; each further duplicate inflates it.
  CHECK(h.recv(at(33_ms), ACK, kPeerIss + 1, 1001).empty());
  CHECK(h.recv(at(34_ms), ACK, kPeerIss + 1, 1001).empty());
  CHECK(h.recv(at(35_ms), ACK, kPeerIss + 1, 1001).empty());
  CHECK(h.recv(at(36_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 18521:19981 ack 5001 win 64240"});
  CHECK(h.recv(at(37_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{"P. seq 19981:21001 ack 5001 win 64240"});
  // The full ACK ends recovery with cwnd = min(ssthresh, flight + MSS).
  CHECK(h.recv(at(60_ms), ACK, kPeerIss + 1, 18521).empty());
  CHECK(h.recv(at(70_ms), ACK, kPeerIss + 1, 21001).empty());
  CHECK(h.c().stats().bytes_sent == 20000);
}

TEST_CASE("A window update or a segment with data is not a duplicate ACK") {
  Harness h;
  established(h);
  h.send(at(20_ms), bytes(14600));
  for (int i = 0; i < 3; ++i)
    h.recv(at(30_ms), ACK, kPeerIss + 1, 1001, 60000 - i);
  for (int i = 0; i < 3; ++i) {
    h.recv(at(31_ms), ACK, kPeerIss + 1 + i, 1001, 59998, "d");
  }
  CHECK(h.counters.retransmits == 0);
}

TEST_CASE("NewReno: a partial ACK retransmits the next hole at once and stays in recovery") {
  Harness h(with_cc(CongestionAlgo::newreno));
  established(h);
  h.send(at(20_ms), bytes(20000));
  h.recv(at(30_ms), ACK, kPeerIss + 1, 1001);
  h.recv(at(31_ms), ACK, kPeerIss + 1, 1001);
  REQUIRE(h.recv(at(32_ms), ACK, kPeerIss + 1, 1001) ==
          Lines{". seq 1001:2461 ack 5001 win 64240 rtx 1"});
  // Segments 1 and 2 arrive, segment 3 is missing: a partial ACK (below recover = 18521).
  CHECK(h.recv(at(50_ms), ACK, kPeerIss + 1, 3921) ==
        Lines{". seq 3921:5381 ack 5001 win 64240 rtx 1"});
  // Full ACK: cwnd = min(8760, 0 + 1460) + ... = 2920, the rest goes.
  CHECK(h.recv(at(70_ms), ACK, kPeerIss + 1, 18521) ==
        Lines{". seq 18521:19981 ack 5001 win 64240", "P. seq 19981:21001 ack 5001 win 64240"});
}

TEST_CASE("Reno: the first new ACK ends recovery, a partial ACK retransmits nothing") {
  Harness h(with_cc(CongestionAlgo::reno));
  established(h);
  h.send(at(20_ms), bytes(20000));
  h.recv(at(30_ms), ACK, kPeerIss + 1, 1001);
  h.recv(at(31_ms), ACK, kPeerIss + 1, 1001);
  REQUIRE(h.recv(at(32_ms), ACK, kPeerIss + 1, 1001).size() == 1);
  CHECK(h.recv(at(50_ms), ACK, kPeerIss + 1, 3921).empty());
  // Three more duplicates of 3921 start a new fast retransmit (Reno has no `recover`).
  h.recv(at(51_ms), ACK, kPeerIss + 1, 3921);
  h.recv(at(52_ms), ACK, kPeerIss + 1, 3921);
  CHECK(h.recv(at(53_ms), ACK, kPeerIss + 1, 3921) ==
        Lines{". seq 3921:5381 ack 5001 win 64240 rtx 1"});
}

TEST_CASE("Congestion control none: fast retransmit without any window limit") {
  Harness h(with_cc(CongestionAlgo::none));
  established(h);
  // Only the receiver's window (65535) limits: 44 full segments; a 45th would not fit whole.
  // They leave as one GSO packet of 44 (tcp_tso_autosize() before any RTT sample), PSH last.
  Lines l = h.send(at(20_ms), bytes(70000));
  CHECK(l.size() == 44);
  CHECK(l.back() == "P. seq 63781:65241 ack 5001 win 64240");
  h.recv(at(30_ms), ACK, kPeerIss + 1, 1001);
  h.recv(at(31_ms), ACK, kPeerIss + 1, 1001);
  CHECK(h.recv(at(32_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 1001:2461 ack 5001 win 64240 rtx 1"});
}

TEST_CASE("After a timeout the lost segments go back in order as ACKs reopen the window") {
  Harness h;
  established(h);
  REQUIRE(h.send(at(20_ms), bytes(7300)).size() == 5);
  CHECK(h.fire() == Lines{". seq 1001:2461 ack 5001 win 64240 rtx 1"});
  CHECK(h.now == at(232_ms));
  // cwnd 1 segment -> slow start to 2: two more retransmissions, nothing new: the rest of the
  // head skb and the first segment of the next (the first flight left as two-segment skbs at
  // the pacing rate the SYN-ACK set), each alone, so without the forced GSO PSH.
  CHECK(h.recv(at(250_ms), ACK, kPeerIss + 1, 2461) ==
        Lines{". seq 2461:3921 ack 5001 win 64240 rtx 1",
              ". seq 3921:5381 ack 5001 win 64240 rtx 1"});
  CHECK(h.deadline() == at(250_ms + 424_ms));  // no RTT sample (Karn): RTO stays backed off
  CHECK(h.recv(at(270_ms), ACK, kPeerIss + 1, 5381) ==
        Lines{". seq 5381:6841 ack 5001 win 64240 rtx 1",
              "P. seq 6841:8301 ack 5001 win 64240 rtx 1"});
  CHECK(h.counters.retransmits == 5);
  // If the receiver had kept the rest, one cumulative ACK ends the episode.
  CHECK(h.recv(at(290_ms), ACK, kPeerIss + 1, 8301).empty());
  CHECK_FALSE(h.deadline().has_value());
}

TEST_CASE("A sender idle for longer than the RTO restarts from the initial window") {
  Harness h;
  established(h);
  // Grow the window: 10 segments acked -> cwnd 20 segments.
  h.send(at(20_ms), bytes(14600));
  h.recv(at(30_ms), ACK, kPeerIss + 1, 15601);
  CHECK(h.send(at(40_ms), bytes(29200)).size() == 20);
  h.recv(at(50_ms), ACK, kPeerIss + 1, 15601 + 29200);
  // Ten seconds later only 10 segments go at once again (tcp_cwnd_restart()).
  CHECK(h.send(at(10_s), bytes(29200)).size() == 10);
}
