// The retransmission queue keeps Linux's skb boundaries after data was sent: a retransmission
// splits an skb at the segments cwnd allows or at a smaller MSS (tcp_fragment() in
// __tcp_retransmit_skb()), a short one takes the one-segment skbs after it
// (tcp_retrans_try_collapse(), tcp_retrans_collapse), SACKed skbs join the SACKed skb before
// them (tcp_shift_skb_data()) and an skb SACKed in part is split at the block
// (tcp_match_skb_to_sack()). sk_wmem_queued (`ss -m` w) is the queued bytes plus 896 per skb.

#include "protocols/tcp/msg_flags.hpp"
#include "protocols/tcp/tcp_info.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

// sack_profile() with tcp_retrans_collapse on, as in the `linux` preset.
Profile collapse_profile() {
  Profile p = sack_profile();
  p.retrans_collapse = true;
  return p;
}

SocketOptions nodelay() {
  SocketOptions o;
  o.nodelay = true;
  return o;
}

uint64_t wmem(Harness& h) {
  return tcp_info(h.c(), h.now).wmem_queued;
}

constexpr uint64_t kSkb = 896;  // an empty skb's truesize (tcp_stream_alloc_skb())

// Three 100-byte writes with TCP_NODELAY: three skbs of one segment each, all in flight.
void three_small_writes(Harness& h, uint32_t second_flags = 0, uint32_t first_flags = 0) {
  established_sack(h, 10_ms);
  REQUIRE(h.send(at(1000_ms), bytes(100), first_flags) ==
          Lines{"P. seq 1001:1101 ack 5001 win 64240"});
  REQUIRE(h.send(at(1001_ms), bytes(100), second_flags) ==
          Lines{"P. seq 1101:1201 ack 5001 win 64240"});
  REQUIRE(h.send(at(1002_ms), bytes(100)) == Lines{"P. seq 1201:1301 ack 5001 win 64240"});
  REQUIRE(wmem(h) == 300 + 3 * kSkb);
}

// The tail-loss probe resends the last segment; then the RTO.
Lines probe_then_rto(Harness& h) {
  REQUIRE(h.fire() == Lines{"P. seq 1201:1301 ack 5001 win 64240 rtx 1"});
  return h.fire();
}

}  // namespace

// tcp_retransmit_timer() -> tcp_retransmit_skb(head, 1): the head is shorter than the MSS, so
// tcp_retrans_try_collapse() merges the next one-segment skbs into it while they fit one MSS:
// the three writes leave as one 300-byte segment and one skb remains.
TEST_CASE("RTO: three lost 100-byte writes are retransmitted as one 300-byte segment") {
  Harness h(collapse_profile(), nodelay());
  three_small_writes(h);
  CHECK(probe_then_rto(h) == Lines{"P. seq 1001:1301 ack 5001 win 64240 rtx 1"});
  CHECK(h.timers().size() == 1);
  CHECK(wmem(h) == 300 + kSkb);
  // The collapsed skb is one segment in flight: cwnd 1 is full, nothing else goes.
  const TcpInfo i = tcp_info(h.c(), h.now);
  CHECK(i.unacked == 1);
  CHECK(i.lost == 1);
  CHECK(i.retrans == 1);
  // Its ACK frees it in one piece.
  CHECK(h.recv(h.now + 10_ms, ACK, kPeerIss + 1, 1301).empty());
  CHECK(wmem(h) == 0);
}

TEST_CASE("tcp_retrans_collapse 0: the RTO resends the head skb alone") {
  Profile p = collapse_profile();
  p.retrans_collapse = false;
  Harness h(p, nodelay());
  three_small_writes(h);
  CHECK(probe_then_rto(h) == Lines{"P. seq 1001:1101 ack 5001 win 64240 rtx 1"});
  CHECK(wmem(h) == 300 + 3 * kSkb);
}

// tcp_skb_can_collapse(to, skb) is false once `to` ends a record: MSG_EOR on the first write
// keeps it alone; on the second, the first takes the second (and its EOR) and stops there.
TEST_CASE("Retransmission collapse stops at the end of a record (MSG_EOR)") {
  SECTION("EOR on the first write") {
    Harness h(collapse_profile(), nodelay());
    three_small_writes(h, 0, kMsgEor);
    CHECK(probe_then_rto(h) == Lines{"P. seq 1001:1101 ack 5001 win 64240 rtx 1"});
    CHECK(wmem(h) == 300 + 3 * kSkb);
  }
  SECTION("EOR on the second write") {
    Harness h(collapse_profile(), nodelay());
    three_small_writes(h, kMsgEor);
    CHECK(probe_then_rto(h) == Lines{"P. seq 1001:1201 ack 5001 win 64240 rtx 1"});
    CHECK(wmem(h) == 300 + 2 * kSkb);
  }
}

// tcp_can_collapse(): a SACKed skb is never merged. The peer SACKs the third write; the RTO's
// collapse takes the second and stops before the third.
TEST_CASE("Retransmission collapse stops at a SACKed skb") {
  Harness h(collapse_profile(), nodelay());
  three_small_writes(h);
  CHECK(h.recv(at(1012_ms), ack_with_sack(1001, {{1201, 1301}})).empty());
  // RACK: the first two were sent before the SACKed one; they are lost once rack.rtt plus
  // the reordering window has passed (the REO timer), and leave as one segment.
  const Lines sent = h.fire();
  CHECK(sent == Lines{"P. seq 1001:1201 ack 5001 win 64240 rtx 1"});
  CHECK(wmem(h) == 300 + 2 * kSkb);
}

// tcp_retransmit_timer(): tcp_retransmit_skb(head, 1) fragments a head skb of two segments
// (one GSO piece of the first flight) at one MSS: one more skb, 896 more bytes queued.
TEST_CASE("RTO: the head skb is split at one segment (tcp_fragment)") {
  Harness h(collapse_profile());
  established_sack(h, 10_ms);
  // Ten segments from one write: five GSO pieces of two (tcp_tso_autosize() at the pacing
  // rate the SYN-ACK set: 2 * 10 * 524 B / 10 ms is less than a segment per ms), five skbs.
  REQUIRE(h.send(at(1000_ms), bytes(10 * 1460)).size() == 10);
  CHECK(wmem(h) == 14600 + 5 * kSkb);
  REQUIRE(h.fire() == Lines{"P. seq 14141:15601 ack 5001 win 64240 rtx 1"});  // the probe
  // The probe split the last segment off the fifth skb (tcp_send_loss_probe()).
  CHECK(wmem(h) == 14600 + 6 * kSkb);
  // One segment split off the head skb; tcp_fragment() leaves PSH to the second part.
  CHECK(h.fire() == Lines{". seq 1001:2461 ack 5001 win 64240 rtx 1"});
  CHECK(wmem(h) == 14600 + 7 * kSkb);
  // The ACK of the first segment: cwnd 2, the rest of the head skb and the next skb split
  // after one segment, each alone (no GSO packet, so no forced PSH).
  CHECK(h.recv(h.now + 10_ms, ACK, kPeerIss + 1, 2461) ==
        Lines{". seq 2461:3921 ack 5001 win 64240 rtx 1",
              ". seq 3921:5381 ack 5001 win 64240 rtx 1"});
  CHECK(wmem(h) == 13140 + 7 * kSkb);
}

// An MSS that shrank since the first transmission: with a SACK block to report, the segments
// carry 12 option bytes (nop,nop,sack 1), tcp_current_mss() is 1448, and the retransmission
// leaves at 1448 bytes; the 12 bytes left over become an skb of their own (tcp_fragment()).
TEST_CASE("A segment bigger than the current MSS is split when retransmitted") {
  Harness h(collapse_profile());
  established_sack(h, 10_ms);
  REQUIRE(h.send(at(1000_ms), bytes(1460)) == Lines{"P. seq 1001:2461 ack 5001 win 64240"});
  // The peer's data arrives out of order: our ACKs now carry a SACK block.
  const Lines dup = h.recv(at(1005_ms), PSH | ACK, kPeerIss + 101, 1001, 65535, bytes(100));
  REQUIRE(dup == Lines{". seq 2461 ack 5001 win 64240"});
  // The tail-loss probe resends the last (only) segment: 1448 bytes, no PSH (tcp_fragment()
  // leaves PSH on the second part).
  CHECK(h.fire() == Lines{". seq 1001:2449 ack 5001 win 64240 rtx 1"});
  CHECK(wmem(h) == 1460 + 2 * kSkb);
}

// tcp_sacktag_walk(): the first SACK of a one-segment skb cannot be shifted (the skb before
// it is not SACKed) and is tagged in place; the next block's newly SACKed skbs join it
// (tcp_shifted_skb(), SACKMerged): four skbs become two. MSG_EOR on the third keeps the
// fourth apart: three.
TEST_CASE("SACKed skbs merge into the SACKed skb before them, not across MSG_EOR") {
  for (uint32_t eor : {0u, kMsgEor}) {
    Harness h(collapse_profile(), nodelay());
    established_sack(h, 10_ms);
    for (uint32_t k = 0; k < 4; ++k)
      REQUIRE(
          h.send(at(1000_ms + Duration::milliseconds(k)), bytes(1460), k == 2 ? eor : 0).size() ==
          1);
    REQUIRE(wmem(h) == 4 * 1460 + 4 * kSkb);
    h.recv(at(1011_ms), ack_with_sack(1001, {{2461, 3921}}));
    CHECK(wmem(h) == 4 * 1460 + 4 * kSkb);
    h.recv(at(1013_ms), ack_with_sack(1001, {{2461, 6841}}));
    CHECK(wmem(h) == 4 * 1460 + (eor == 0 ? 2 : 3) * kSkb);
    const TcpInfo i = tcp_info(h.c(), h.now);
    CHECK(i.sacked == 3);  // the scoreboard still counts segments
    // tcp_shift_skb_data(): the second skb's SACK falls back (its previous skb is not SACKed);
    // the third and fourth are eaten whole (LINUX_MIB_SACKMERGED), or, behind the EOR, the
    // fourth falls back (tcp_skb_can_collapse()).
    CHECK(h.counters.TCPSackMerged == (eor == 0 ? 2 : 1));
    CHECK(h.counters.TCPSackShiftFallback == (eor == 0 ? 1 : 2));
    CHECK(h.counters.TCPSackShifted == 0);
  }
}

// tcp_shift_skb_data() with a block that covers only the head of a three-segment skb: the
// head moves into the SACKed skb before it (tcp_shifted_skb() returns false with data left:
// LINUX_MIB_SACKSHIFTED) and the skb count stays; when the rest is SACKed, it is merged whole.
TEST_CASE("A SACKed head of an skb moves into the SACKed skb before it (TCPSackShifted)") {
  Harness h(collapse_profile(), nodelay());
  // A 1 ms handshake: its pacing rate lets the three-segment write leave as one GSO piece.
  established_sack(h, 1_ms);
  REQUIRE(h.send(at(1000_ms), bytes(1460)).size() == 1);
  REQUIRE(h.send(at(1001_ms), bytes(1460)).size() == 1);
  REQUIRE(h.send(at(1002_ms), bytes(3 * 1460)).size() == 3);
  REQUIRE(wmem(h) == 5 * 1460 + 3 * kSkb);
  h.recv(at(1011_ms), ack_with_sack(1001, {{2461, 3921}}));
  CHECK(h.counters.TCPSackShiftFallback == 1);  // no SACKed skb before the second
  h.recv(at(1013_ms), ack_with_sack(1001, {{2461, 5381}}));
  CHECK(wmem(h) == 5 * 1460 + 3 * kSkb);  // the first, the second + 3921:5381, 5381:8301
  CHECK(h.counters.TCPSackShifted == 1);
  CHECK(h.counters.TCPSackMerged == 0);
  h.recv(at(1015_ms), ack_with_sack(1001, {{2461, 8301}}));
  CHECK(h.counters.TCPSackMerged == 1);
  CHECK(h.counters.TCPSackShiftFallback == 1);
  CHECK(tcp_info(h.c(), h.now).sacked == 4);
}

// tcp_match_skb_to_sack(): a block over the third and fourth of a five-segment skb splits it
// before the third (the unSACKed head stays) and after the fourth: one skb becomes three.
TEST_CASE("An skb SACKed in part is split at the block's edges") {
  Harness h(collapse_profile());
  // A 1 ms handshake: the pacing rate it sets lets the five segments leave as one GSO piece.
  established_sack(h, 1_ms);
  REQUIRE(h.send(at(1000_ms), bytes(5 * 1460)).size() == 5);
  REQUIRE(wmem(h) == 5 * 1460 + kSkb);
  h.recv(at(1011_ms), ack_with_sack(1001, {{1001 + 2 * 1460, 1001 + 4 * 1460}}));
  CHECK(wmem(h) == 5 * 1460 + 3 * kSkb);
  CHECK(tcp_info(h.c(), h.now).sacked == 2);
  // Two tcp_shift_skb_data() calls fall back: the head skb (no skb before it), then the piece
  // split from it at the block's start (the skb before it is not SACKed).
  CHECK(h.counters.TCPSackShiftFallback == 2);
  CHECK(h.counters.TCPSackShifted + h.counters.TCPSackMerged == 0);
  // The cumulative ACK of the first two frees the head skb alone.
  h.recv(at(1012_ms), ack_with_sack(1001 + 2 * 1460, {{1001 + 2 * 1460, 1001 + 4 * 1460}}));
  CHECK(wmem(h) == 3 * 1460 + 2 * kSkb);
}
