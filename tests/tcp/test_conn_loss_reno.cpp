// Linux's sender without SACK (the `linux` preset, a peer that offers no sackOK): CUBIC or Reno
// in packets, each duplicate ACK counted as one SACKed segment (tcp_add_reno_sack()), the head
// marked lost at dupthresh and on a partial ACK (tcp_newreno_mark_lost()), PRR in Recovery
// (tcp_cwnd_reduction()), Recovery held until an ACK above high_seq
// (tcp_is_non_sack_preventing_reopen()), no tail-loss probe, and the RTO's Loss state.

#include "protocols/tcp/tcp_info.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

Profile linux_with(CongestionAlgo a) {
  Profile p;  // the linux preset; the harness's peer offers no SACK and no timestamps
  p.congestion = a;
  return p;
}

struct Ca {
  uint32_t cwnd, ssthresh, ca_state, sacked, lost;
  bool operator==(const Ca&) const = default;
};

Ca ca(Harness& h) {
  const TcpInfo i = tcp_info(h.c(), h.now);
  return {i.snd_cwnd, i.snd_ssthresh, i.ca_state, i.sacked, i.lost};
}

constexpr uint32_t kInf = 0x7fffffff;
constexpr uint32_t kOpen = 0, kDisorder = 1, kRecovery = 3, kLoss = 4;

// Ten segments of 1460 (IW 10) out at 20 ms, the first one lost; limited transmit by the first
// two duplicate ACKs (in_flight = packets_out - sacked_out), the third one enters Recovery.
void three_dupacks(Harness& h, uint32_t ssthresh) {
  established(h);
  REQUIRE(h.send(at(20_ms), bytes(20000)).size() == 10);
  CHECK(h.recv(at(30_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 15601:17061 ack 5001 win 64240"});
  CHECK(ca(h) == Ca{10, kInf, kDisorder, 1, 0});
  CHECK(h.recv(at(31_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 17061:18521 ack 5001 win 64240"});
  CHECK(h.counters.retransmits == 0);
  // sacked_out 3 >= reordering 3: the head is lost, Recovery; PRR's first step lets the fast
  // retransmit out: in_flight = 12 - (3 + 1) = 8, sndcnt = ceil(ssthresh * 1 / 10) = 1.
  CHECK(h.recv(at(32_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 1001:2461 ack 5001 win 64240 rtx 1"});
  CHECK(ca(h) == Ca{9, ssthresh, kRecovery, 3, 1});
  CHECK(h.counters.TCPRenoRecovery == 1);
  CHECK(h.counters.TCPSackRecovery == 0);
  CHECK(h.counters.TCPFastRetrans == 1);
}

}  // namespace

// CUBIC: ssthresh = 10 * 717 / 1024 = 7. PRR (RFC 6937) paces the rest: while in_flight >
// ssthresh, sndcnt = ceil(7 * prr_delivered / 10) - prr_out, each duplicate ACK delivering one.
TEST_CASE("Without SACK, CUBIC: fast retransmit on the third dupACK, then PRR-paced sends") {
  Harness h(linux_with(CongestionAlgo::cubic));
  three_dupacks(h, 7);
  // prr_delivered 2, prr_out 1: ceil(14/10) - 1 = 1 -> cwnd = in_flight 8 + 1: one new segment.
  CHECK(h.recv(at(33_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 18521:19981 ack 5001 win 64240"});
  // ceil(21/10) - 2 = 1: the last segment.
  CHECK(h.recv(at(34_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{"P. seq 19981:21001 ack 5001 win 64240"});
  // ceil(28/10) - 3 = 0: cwnd = in_flight = 8; then in_flight = ssthresh: packet conservation.
  CHECK(h.recv(at(35_ms), ACK, kPeerIss + 1, 1001).empty());
  CHECK(ca(h) == Ca{8, 7, kRecovery, 6, 1});
  for (int i = 0; i < 3; ++i)
    CHECK(h.recv(at(36_ms + Duration::milliseconds(i)), ACK, kPeerIss + 1, 1001).empty());
  CHECK(ca(h) == Ca{7, 7, kRecovery, 9, 1});
  // A partial ACK (3921 < high_seq 18521): the retransmission and segment 2 arrived, 3 is
  // missing. tcp_remove_reno_sacks(): sacked_out 9 - (2 - 1) = 8; tcp_newreno_mark_lost()
  // marks the new head lost and it goes at once (RFC 6582 §3.2 step 5).
  CHECK(h.recv(at(50_ms), ACK, kPeerIss + 1, 3921) ==
        Lines{". seq 3921:5381 ack 5001 win 64240 rtx 1"});
  CHECK(ca(h) == Ca{7, 7, kRecovery, 8, 1});
  CHECK(h.counters.TCPFastRetrans == 2);
  // snd_una == high_seq: without SACK Recovery is held (tcp_is_non_sack_preventing_reopen()),
  // and a duplicate of that ACK is not counted: no false fast retransmit.
  CHECK(h.recv(at(70_ms), ACK, kPeerIss + 1, 18521).empty());
  CHECK(ca(h) == Ca{7, 7, kRecovery, 0, 0});
  CHECK(h.recv(at(71_ms), ACK, kPeerIss + 1, 18521).empty());
  CHECK(ca(h) == Ca{7, 7, kRecovery, 0, 0});
  // Above high_seq: Open, cwnd = ssthresh (tcp_end_cwnd_reduction()).
  CHECK(h.recv(at(75_ms), ACK, kPeerIss + 1, 19981).empty());
  CHECK(ca(h) == Ca{7, 7, kOpen, 0, 0});
  CHECK(h.counters.TCPRenoRecovery == 1);
  CHECK(h.counters.TCPLossProbes == 0);
}

// Reno: ssthresh = 10 / 2 = 5, so PRR sends one segment per two duplicate ACKs.
TEST_CASE("Without SACK, Reno: ssthresh is half of cwnd and PRR sends every other dupACK") {
  Harness h(linux_with(CongestionAlgo::reno));
  three_dupacks(h, 5);
  CHECK(h.recv(at(33_ms), ACK, kPeerIss + 1, 1001).empty());  // ceil(10/10) - 1 = 0
  CHECK(h.recv(at(34_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 18521:19981 ack 5001 win 64240"});  // ceil(15/10) - 1 = 1
  CHECK(h.recv(at(35_ms), ACK, kPeerIss + 1, 1001).empty());
  CHECK(h.recv(at(36_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{"P. seq 19981:21001 ack 5001 win 64240"});
  CHECK(h.recv(at(37_ms), ACK, kPeerIss + 1, 1001).empty());
  CHECK(h.recv(at(38_ms), ACK, kPeerIss + 1, 1001).empty());
  CHECK(ca(h) == Ca{5, 5, kRecovery, 9, 1});
  CHECK(h.recv(at(50_ms), ACK, kPeerIss + 1, 3921) ==
        Lines{". seq 3921:5381 ack 5001 win 64240 rtx 1"});
  CHECK(h.recv(at(70_ms), ACK, kPeerIss + 1, 18521).empty());
  CHECK(h.recv(at(75_ms), ACK, kPeerIss + 1, 19981).empty());
  CHECK(ca(h) == Ca{5, 5, kOpen, 0, 0});
}

// No tail-loss probe without SACK (tcp_schedule_loss_probe() returns early when
// !tcp_is_sack()): the RTO (srtt 10 ms: 212 ms) is the first retransmission. tcp_enter_loss()
// marks all five lost, cwnd = in_flight + 1 = 1, ssthresh = 7 (CUBIC); slow start clocks the
// rest out; Loss lasts until an ACK above high_seq.
TEST_CASE("Without SACK a tail loss waits for the RTO, then slow start resends the rest") {
  Harness h(linux_with(CongestionAlgo::cubic));
  established(h);
  REQUIRE(h.send(at(20_ms), bytes(5 * 1460)).size() == 5);
  REQUIRE(h.deadline() == at(232_ms));
  CHECK(h.fire() == Lines{". seq 1001:2461 ack 5001 win 64240 rtx 1"});
  CHECK(h.timers() == Lines{"rto 1: retransmit seq 1001, backoff 1, rto 424ms"});
  CHECK(ca(h) == Ca{1, 7, kLoss, 0, 5});
  // The first flight left as two-segment skbs (the pacing rate the SYN-ACK set): cwnd 2 resends
  // the rest of the head skb, then the next skb split after one segment (tcp_fragment()), each
  // one segment alone, so neither has the forced PSH of __tcp_transmit_skb().
  CHECK(h.recv(at(252_ms), ACK, kPeerIss + 1, 2461) ==
        Lines{". seq 2461:3921 ack 5001 win 64240 rtx 1",
              ". seq 3921:5381 ack 5001 win 64240 rtx 1"});
  CHECK(h.recv(at(272_ms), ACK, kPeerIss + 1, 5381) ==
        Lines{". seq 5381:6841 ack 5001 win 64240 rtx 1",
              "P. seq 6841:8301 ack 5001 win 64240 rtx 1"});
  CHECK(h.recv(at(292_ms), ACK, kPeerIss + 1, 8301).empty());
  CHECK(ca(h) == Ca{6, 7, kLoss, 0, 0});  // held: snd_una == high_seq
  CHECK_FALSE(h.deadline().has_value());
  CHECK(h.counters.TCPLossProbes == 0);
  CHECK(h.counters.TCPTimeouts == 1);
  CHECK(h.counters.TCPSlowStartRetrans == 4);
}

// The rfc9293 preset keeps its RFC 5681/6582 sender in bytes (test_conn_retransmit.cpp): there
// the third duplicate ACK sets cwnd = ssthresh + 3 MSS in bytes.
TEST_CASE("The rfc9293 preset without SACK keeps the byte-counted RFC 6582 NewReno") {
  Profile p = Profile::rfc9293();
  Harness h(p);
  established(h);
  REQUIRE(h.send(at(20_ms), bytes(3 * 1460)).size() == 3);
  h.recv(at(30_ms), ACK, kPeerIss + 1, 1001);
  h.recv(at(31_ms), ACK, kPeerIss + 1, 1001);
  CHECK(h.recv(at(32_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 1001:2461 ack 5001 win 64240 rtx 1"});
  CHECK(h.counters.TCPRenoRecovery == 0);           // not Linux's state machine
  CHECK(tcp_info(h.c(), h.now).snd_ssthresh == 2);  // max(FlightSize / 2, 2 MSS) in segments
}

// tcp_check_reno_reordering(): more duplicate ACKs than segments could explain (here one more
// than the four outstanding, as a duplicating network makes) cannot all be losses:
// tcp_limit_reno_sacked() keeps sacked_out + 1 <= packets_out and reordering becomes
// packets_out (4), counted as TCPRenoReorder.
TEST_CASE("Without SACK, more duplicate ACKs than segments out raise reordering") {
  Harness h(linux_with(CongestionAlgo::cubic));
  established(h);
  REQUIRE(h.send(at(20_ms), bytes(4 * 1460)).size() == 4);
  h.recv(at(30_ms), ACK, kPeerIss + 1, 1001);
  h.recv(at(31_ms), ACK, kPeerIss + 1, 1001);
  CHECK(h.recv(at(32_ms), ACK, kPeerIss + 1, 1001) ==
        Lines{". seq 1001:2461 ack 5001 win 64240 rtx 1"});
  CHECK(h.counters.TCPRenoReorder == 0);
  CHECK(h.recv(at(33_ms), ACK, kPeerIss + 1, 1001).empty());
  // cwnd stays PRR's 1 from the third (in_flight 4 - 3 - 1 = 0, sndcnt 1): the fourth
  // delivered nothing once sacked_out was limited back to 3.
  CHECK(ca(h) == Ca{1, 7, kRecovery, 3, 1});
  CHECK(tcp_info(h.c(), h.now).reordering == 4);
  CHECK(h.counters.TCPRenoReorder == 1);
}

// A FIN is data for tcp_ack() (FLAG_DATA: seq != end_seq), never a duplicate ACK.
TEST_CASE("Without SACK a FIN with the same ACK is not counted as a duplicate") {
  Harness h(linux_with(CongestionAlgo::cubic));
  established(h);
  REQUIRE(h.send(at(20_ms), bytes(4 * 1460)).size() == 4);
  h.recv(at(30_ms), ACK, kPeerIss + 1, 1001);
  h.recv(at(31_ms), ACK, kPeerIss + 1, 1001);
  CHECK(h.recv(at(32_ms), FIN | ACK, kPeerIss + 1, 1001).empty());  // its ACK is delayed
  CHECK(h.state() == State::close_wait);
  CHECK(ca(h) == Ca{10, kInf, kDisorder, 2, 0});
  CHECK(h.counters.retransmits == 0);
}
