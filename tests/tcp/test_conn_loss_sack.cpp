// Issue 13's sender with SACK negotiated, through a whole Connection: tail-loss probes
// (RFC 8985 §7, tcp_schedule_loss_probe()/tcp_send_loss_probe()), RACK loss detection and SACK
// recovery with PRR (tcp_fastretrans_alert(), tcp_rack_mark_lost(), RFC 6937), the RTO's
// backoff after a probe (tcp_retransmit_timer()), and CUBIC's slow start counted in segments.
// The measured Linux 6.x facts of the issue are the acceptance tests.

#include "protocols/tcp/tcp_info.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

Duration since(Instant a, Instant b) {
  return b - a;
}

}  // namespace

// linux-tcp-facts-2.md §5.5 [M]: one 100-byte segment, srtt 51 µs, HZ 250. PTO = 2·srtt +
// rto_min (one segment out) = 200.102 ms -> 51 jiffies = 204 ms, capped by the RTO left
// (200.051 ms -> 51 jiffies = 204 ms); the probe resends the last segment and re-arms the RTO in
// full from now; then the RTO backs off: six retransmissions, not five.
TEST_CASE("A lone lost segment: a tail-loss probe at 204 ms, then the RTO backs off") {
  Harness h(sack_profile());
  established_sack(h, Duration::microseconds(51));
  const Instant sent = at(1000_ms);
  CHECK(h.send(sent, bytes(100)) == Lines{"P. seq 1001:1101 ack 5001 win 64240"});
  REQUIRE(h.deadline() == sent + 204_ms);
  CHECK(h.fire() == Lines{"P. seq 1001:1101 ack 5001 win 64240 rtx 1"});
  CHECK(h.timers() == Lines{"loss_probe 1: probe seq 1001 (last segment), rto 204ms"});
  CHECK(h.all.trace.back().fired.ran == 204_ms);  // the PTO that ran
  CHECK(h.counters.TCPLossProbes == 1);
  // The RTO from the probe, then doubling whole jiffies (inet_csk_rto_backoff()): 204, 408,
  // 816 ms, ... (facts-2 [M]: gaps +208, +412, +832, +1664 ms: nominal plus timer-wheel slack).
  std::vector<Duration> at_send;
  at_send.push_back(since(sent, h.now));
  for (int i = 0; i < 5; ++i) {
    REQUIRE(h.fire().size() == 1);
    at_send.push_back(since(sent, h.now));
  }
  CHECK(at_send == std::vector<Duration>{204_ms, 408_ms, 816_ms, 1632_ms, 3264_ms, 6528_ms});
  CHECK(h.counters.TCPTimeouts == 5);
  CHECK(h.counters.retransmits == 6);
}

// The second measurement: ten segments on a 20 ms path, the last two lost. After the
// ACK of the eighth, PTO = 2·srtt + 2 ms (two out) = 42 ms -> 11 jiffies = 44 ms; the probe
// resends the tenth; its SACK arrives one RTT later and RACK declares the ninth lost at once
// (sent 84 ms ago > rack.rtt 20 ms + reo_wnd min_rtt/4): Recovery, PRR lets it go.
TEST_CASE("The last two of ten lost: probe 2·SRTT after the last ACK, the ninth one RTT later") {
  Harness h(sack_profile());
  established_sack(h, 20_ms);
  CHECK(h.send(at(100_ms), bytes(10 * 1460)).size() == 10);
  // Delayed ACKs for segments 1-8, one per two segments, 20 ms later.
  for (uint32_t k = 2; k <= 8; k += 2) {
    CHECK(h.recv(at(120_ms), ACK, kPeerIss + 1, kIss + 1 + k * 1460).empty());
  }
  REQUIRE(h.deadline() == at(164_ms));
  CHECK(h.fire() == Lines{"P. seq 14141:15601 ack 5001 win 64240 rtx 1"});
  CHECK(h.timers() == Lines{"loss_probe 1: probe seq 14141 (last segment), rto 220ms"});
  // The receiver got the tenth out of order: a duplicate ACK with its SACK block.
  CHECK(h.recv(at(184_ms), ack_with_sack(kIss + 1 + 8 * 1460, {{14141, 15601}})) ==
        Lines{". seq 12681:14141 ack 5001 win 64240 rtx 1"});
  CHECK(h.counters.TCPSackRecovery == 1);
  CHECK(h.counters.TCPFastRetrans == 1);
  CHECK(h.counters.TCPLossProbes == 1);
  // Everything acknowledged: no timer, recovery over.
  CHECK(h.recv(at(204_ms), ACK, kPeerIss + 1, kIss + 1 + 10 * 1460).empty());
  CHECK_FALSE(h.deadline().has_value());
  CHECK(h.counters.TCPTimeouts == 0);
}

// An orphaned FIN on a 100 ms path (srtt 100, rttvar 50: RTO 300 ms): the probe is capped by the
// RTO left (300 ms), resends the FIN, and re-arms the RTO in full: gaps 0.3, 0.3, 0.6 s as Linux
// shows, where the RTO alone gave 0.3, 0.6, 1.2 s.
TEST_CASE("An orphaned FIN: probe first, then the RTO: gaps 0.3, 0.3, 0.6 s") {
  Harness h(sack_profile());
  established_sack(h, 100_ms);
  CHECK(h.close(at(1000_ms)) == Lines{"F. seq 1001 ack 5001 win 64240"});
  std::vector<Duration> gaps;
  Instant last = h.now;
  for (int i = 0; i < 3; ++i) {
    CHECK(h.fire() == Lines{fmt::format("F. seq 1001 ack 5001 win 64240 rtx {}", i + 1)});
    gaps.push_back(h.now - last);
    last = h.now;
  }
  CHECK(gaps == std::vector<Duration>{300_ms, 300_ms, 600_ms});
  CHECK(h.counters.TCPLossProbes == 1);
  CHECK(h.counters.TCPTimeouts == 2);
}

// tcp_slow_start() in segments: each ACKed segment adds one to cwnd (CUBIC's HyStart leaves a
// short flow alone), so the ACK of ten lets twenty go.
TEST_CASE("CUBIC's slow start counts segments: ten acknowledged, twenty sent") {
  Harness h(sack_profile());
  established_sack(h, 20_ms);
  h.send(at(100_ms), bytes(40 * 1460));
  CHECK(h.out.packets.size() == 10);
  CHECK(h.recv(at(120_ms), ACK, kPeerIss + 1, kIss + 1 + 10 * 1460).size() == 20);
}

// Without SACK the connection keeps the old NewReno path: the tail loss waits for the RTO.
TEST_CASE("SACK not negotiated: no probe, the RTO retransmits") {
  Harness h(sack_profile());
  REQUIRE(h.connect(at(0_ms)) == Lines{"S seq 1000 win 64240 mss 1460"});
  REQUIRE(h.recv(at(Duration::microseconds(51)), syn_ack()).size() == 1);
  h.send(at(1000_ms), bytes(100));
  REQUIRE(h.deadline() == at(1000_ms) + 204_ms);
  CHECK(h.fire() == Lines{"P. seq 1001:1101 ack 5001 win 64240 rtx 1"});
  CHECK(h.timers() == Lines{"rto 1: retransmit seq 1001, backoff 1, rto 408ms"});
  CHECK(h.counters.TCPLossProbes == 0);
  CHECK(h.counters.TCPTimeouts == 1);
}

// RFC 8985 §6.2 / tcp_rack_mark_lost(): one SACKed segment after a hole is no proof yet; the
// hole is lost once rack.rtt + reo_wnd (min_rtt/4 = 5 ms) has passed since it was sent: the
// REO timer is armed for the 5 ms left + 2 ms, rounded up to jiffies (8 ms), and on expiry
// tcp_rack_reo_timeout() marks it lost, enters Recovery and retransmits it. The original was
// only delayed: the D-SACK of the retransmission (RFC 2883) undoes the cwnd reduction at the
// end of Recovery (tcp_try_undo_recovery(), TCPFullUndo).
TEST_CASE("RACK's reordering timer declares a hole lost, a D-SACK undoes the reduction") {
  Harness h(sack_profile());
  established_sack(h, 20_ms);
  CHECK(h.send(at(100_ms), bytes(4 * 1460)).size() == 4);
  CHECK(h.recv(at(120_ms), ACK, kPeerIss + 1, 2461).empty());
  CHECK(h.recv(at(120_ms), ack_with_sack(2461, {{3921, 5381}})).empty());
  REQUIRE(h.deadline() == at(128_ms));
  CHECK(h.fire() == Lines{". seq 2461:3921 ack 5001 win 64240 rtx 1"});
  CHECK(h.timers() == Lines{"reo 1: reordering window over: 1 lost"});
  CHECK(h.counters.TCPSackRecovery == 1);
  CHECK(h.counters.TCPFastRetrans == 1);
  // Everything arrives; the retransmission is reported as a duplicate below the ACK.
  CHECK(h.recv(at(140_ms), ack_with_sack(6841, {{2461, 3921}})).empty());
  CHECK(h.counters.TCPDSACKRecv == 1);
  CHECK(h.counters.TCPFullUndo == 1);
  int64_t cwnd = 0;
  for (const TraceNote& n : h.all.trace)
    if (n.kind == TraceNote::Kind::counter && n.counter == "cwnd") cwnd = n.value;
  // The initial 10 segments restored (tcp_undo_cwnd_reduction()); without the undo, ssthresh
  // = 10 x 717/1024 = 7. Four segments out never made cwnd the limit, so slow start did not
  // grow it (tcp_is_cwnd_limited(): cwnd < 2 x max_packets_out).
  CHECK(cwnd == 10 * 1460);
  CHECK_FALSE(h.deadline().has_value());
}

// tcp_xmit_retransmit_queue(): "if (tcp_retransmit_skb(sk, skb, segs)) break;". Ten segments;
// the ACK of the first shrinks the window to 1460 bytes, the next SACKs the last seven: the two
// holes are lost at once (seven SACKed > reordering 3), the head hole (2461:3921) goes, and the
// second (3921:5381) lies past tcp_wnd_end() and is not the head, so __tcp_retransmit_skb()
// refuses it (-EAGAIN). tcp_retransmit_skb() counts the attempt all the same (undo_retrans +=
// 1), so the D-SACK of the head's retransmission leaves undo_retrans at 1 and the reduction is
// not undone at the end of Recovery (tcp_may_undo(): without timestamps only !undo_retrans
// would allow it; counting only what left, netsim undid it: TCPFullUndo 1, cwnd 20 segments).
TEST_CASE("A lost skb past a shrunk window stops the repair loop and counts against the undo") {
  Harness h(sack_profile());
  established_sack(h, 20_ms);
  CHECK(h.send(at(100_ms), bytes(10 * 1460)).size() == 10);
  CHECK(h.recv(at(120_ms), ACK, kPeerIss + 1, 2461, 1460).empty());
  Segment sacked = ack_with_sack(2461, {{5381, 15601}});
  sacked.window = 1460;
  CHECK(h.recv(at(120_ms), sacked) == Lines{". seq 2461:3921 ack 5001 win 64240 rtx 1"});
  CHECK(h.counters.TCPSackRecovery == 1);
  CHECK(h.counters.TCPFastRetrans == 1);
  // Everything arrives; the head's retransmission is reported as a duplicate.
  CHECK(h.recv(at(140_ms), ack_with_sack(15601, {{2461, 3921}})).empty());
  CHECK(h.counters.TCPDSACKRecv == 1);
  CHECK(h.counters.TCPFullUndo == 0);
  CHECK(h.counters.TCPDSACKUndo == 0);
  int64_t cwnd = 0;
  for (const TraceNote& n : h.all.trace)
    if (n.kind == TraceNote::Kind::counter && n.counter == "cwnd") cwnd = n.value;
  CHECK(cwnd < 10 * 1460);  // the reduction stands
}

// tcp_send_loss_probe(): "if (__tcp_retransmit_skb(sk, skb, 1)) goto rearm_timer;". The peer's
// ACK of the first of three segments shrinks its window to 1460 bytes, so the last segment
// (3921:5381) lies past tcp_wnd_end() and is not the head: __tcp_retransmit_skb() refuses
// (-EAGAIN). No probe leaves and none is counted; the RTO is re-armed (tcp_rearm_rto(): its
// full value from the head's last transmission), and when it fires the head goes, as the
// window allows.
TEST_CASE("A loss probe past a shrunk window is refused and the RTO re-armed") {
  Harness h(sack_profile());
  established_sack(h, 20_ms);
  REQUIRE(h.send(at(100_ms), bytes(3 * 1460)).size() == 3);
  CHECK(h.recv(at(120_ms), ACK, kPeerIss + 1, kIss + 1 + 1460, 1460).empty());
  // Two skbs (the GSO pieces 1001:3921, trimmed to 2461:3921 by the ACK, and 3921:5381):
  // w = 2920 + 2 x 896.
  CHECK(tcp_info(h.c(), h.now).wmem_queued == 4712);
  REQUIRE(h.deadline().has_value());
  // PTO = 2·srtt + 2 ms (two out) = 42 ms -> 11 jiffies after the ACK.
  CHECK(*h.deadline() == at(164_ms));
  CHECK(h.fire().empty());
  // The last skb is one segment: nothing to cut off it, w unchanged.
  CHECK(tcp_info(h.c(), h.now).wmem_queued == 4712);
  CHECK(h.counters.TCPLossProbes == 0);
  CHECK(h.counters.retransmits == 0);
  REQUIRE(h.deadline().has_value());
  // The head (2461) was sent at 100 ms; the RTO is srtt + max(4·rttvar, 200 ms) = 220 ms.
  CHECK(*h.deadline() == at(320_ms));
  CHECK(h.fire() == Lines{". seq 2461:3921 ack 5001 win 64240 rtx 1"});
  CHECK(h.counters.TCPTimeouts == 1);
}

// tcp_send_loss_probe() cuts the last segment off a last skb of several (tcp_fragment(), "if
// ((pcount > 1) && (skb->len > (pcount - 1) * mss))") before __tcp_retransmit_skb() refuses
// it: the refused probe leaves nothing on the wire but one more skb in the queue, w + 896.
// Four segments in GSO pieces of two; the ACK of the first shrinks the window to 1460 bytes,
// so the last segment (5381:6841) lies past tcp_wnd_end().
TEST_CASE("A loss probe refused past a shrunk window has already cut the last skb") {
  Harness h(sack_profile());
  established_sack(h, 20_ms);
  REQUIRE(h.send(at(100_ms), bytes(4 * 1460)).size() == 4);
  CHECK(h.recv(at(120_ms), ACK, kPeerIss + 1, kIss + 1 + 1460, 1460).empty());
  CHECK(tcp_info(h.c(), h.now).wmem_queued == 3 * 1460 + 2 * 896);
  CHECK(h.deadline() == at(164_ms));
  CHECK(h.fire().empty());
  CHECK(h.counters.TCPLossProbes == 0);
  CHECK(h.counters.retransmits == 0);
  CHECK(tcp_info(h.c(), h.now).wmem_queued == 3 * 1460 + 3 * 896);
  CHECK(h.deadline() == at(320_ms));
}
