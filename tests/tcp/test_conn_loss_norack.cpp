// SACK recovery with RACK off (tcp_recovery 0) and the undo details of tcp_fastretrans_alert()
// (net/ipv4/tcp_input.c, Linux 6.12): the dupthresh marking of tcp_update_scoreboard() ->
// tcp_mark_head_lost(), tcp_force_fast_retransmit() on partial ACKs, retrans_stamp cleared in
// Open, and tcp_try_undo_dsack() only from the states that call it. Exact segments and counters.

#include "loss_board.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

using lossboard::at_us;
using lossboard::kMss;
using Board = lossboard::LossBoard;

Profile norack_profile() {
  Profile p = sack_profile();
  p.recovery = 0;
  return p;
}

}  // namespace

// tcp_time_to_recover(): without RACK, sacked_out + 1 > reordering (3). One and two SACKed
// segments after the hole change nothing, not even a timer (RACK would arm its REO timer);
// the third starts Recovery and tcp_update_scoreboard() (sacked_out - reordering = 0 ->
// tcp_mark_head_lost(sk, 0, 0)) marks the hole, which PRR sends on that very ACK.
TEST_CASE("No RACK: the third SACKed segment marks the hole lost and fast-retransmits it") {
  Harness h(norack_profile());
  REQUIRE(h.connect(at(0_ms)) == Lines{"S seq 1000 win 64240 mss 1460"});
  Segment sa = syn_ack();
  sa.options.sack_permitted = true;
  REQUIRE(h.recv(at(20_ms), sa) == Lines{". seq 1001 ack 5001 win 64240"});
  CHECK(h.send(at(100_ms), bytes(5 * 1460)).size() == 5);
  CHECK(h.recv(at(120_ms), ACK, kPeerIss + 1, 2461).empty());
  const std::optional<Instant> before = h.deadline();
  CHECK(h.recv(at(121_ms), ack_with_sack(2461, {{3921, 5381}})).empty());
  CHECK(h.recv(at(122_ms), ack_with_sack(2461, {{3921, 6841}})).empty());
  CHECK(h.deadline() == before);  // no REO timer without RACK
  CHECK(h.counters.TCPSackRecovery == 0);
  CHECK(h.recv(at(123_ms), ack_with_sack(2461, {{3921, 8301}})) ==
        Lines{". seq 2461:3921 ack 5001 win 64240 rtx 1"});
  CHECK(h.counters.TCPSackRecovery == 1);
  CHECK(h.counters.TCPFastRetrans == 1);
  CHECK(h.recv(at(143_ms), ACK, kPeerIss + 1, 8301).empty());
  CHECK(h.counters.TCPTimeouts == 0);
}

// tcp_mark_head_lost(sk, sacked_out - reordering, 0): walking up from snd_una, every segment not
// SACKed is lost until more than 5 - 3 = 2 SACKed ones were passed (RFC 6675 IsLost(): at
// least DupThresh SACKed above it). Holes 0, 2, 4 are lost; 8 and 9 above the SACKs are not.
TEST_CASE("No RACK: one ACK SACKing five segments marks the holes below the top three") {
  Board b(10, 0);
  AckOut out = b.ack(20000, 1, {Board::segs(5, 3), Board::segs(3, 1), Board::segs(1, 1)});
  CHECK(out.entered_recovery);
  CHECK(b.ca.ca_state == CaState::recovery);
  CHECK(b.lr.sacked_out() == 5);
  CHECK(b.lost() == std::vector<uint32_t>{1, 2001, 4001});
  CHECK(out.newly_lost == 3);
  CHECK(b.mib.TCPSackRecovery == 1);
}

// The same SACKs with only two SACKed segments: tcp_time_to_recover() is false and the default
// case returns through tcp_try_to_open() before tcp_update_scoreboard(): Disorder, nothing lost.
TEST_CASE("No RACK: two SACKed segments leave the connection in Disorder, nothing lost") {
  Board b(10, 0);
  AckOut out = b.ack(20000, 1, {Board::segs(3, 1), Board::segs(1, 1)});
  CHECK_FALSE(out.entered_recovery);
  CHECK(b.ca.ca_state == CaState::disorder);
  CHECK(b.lost().empty());
  CHECK(b.lr.lost_out() == 0);
}

// In Recovery a partial ACK is not a duplicate: do_lost comes from tcp_try_undo_partial()'s
// tcp_force_fast_retransmit(), i.e. the highest SACK (5001) beyond snd_una + reordering * mss
// (2001 + 3000 = 5001) - not yet, so the next hole stays unmarked. The next duplicate ACK with
// a SACK makes sacked_out 3 >= reordering and the walk marks it.
TEST_CASE("No RACK: after a partial ACK the next hole waits for dupthresh SACKed above it") {
  Board b(10, 0);
  b.ack(20000, 1, {Board::segs(3, 2), Board::segs(1, 1)});
  REQUIRE(b.ca.ca_state == CaState::recovery);
  REQUIRE(b.lost() == std::vector<uint32_t>{1});
  b.lr.on_retransmit(b.q[0], b.ctx(20000), 0);
  // The retransmission fills the first hole: ACK 2001, segments 3-4 still SACKed.
  AckOut out = b.ack(40000, 2001, {Board::segs(3, 2)});
  CHECK(out.newly_acked == 2);
  CHECK(b.ca.ca_state == CaState::recovery);
  CHECK(b.lost().empty());
  CHECK(b.lr.sacked_out() == 2);
  // One more SACKed segment above the hole at 2001.
  out = b.ack(40100, 2001, {Board::segs(3, 3)});
  CHECK(b.lost() == std::vector<uint32_t>{2001});
  CHECK(out.newly_lost == 1);
}

// A partial ACK that also SACKs segments 5-6: not a duplicate, but tcp_force_fast_retransmit()
// holds (highest SACK 7001 > 2001 + 3 * 1000), so tcp_update_scoreboard() runs on it: four
// SACKed, one may be passed (4 - 3), the hole at 2001 is marked on this ACK.
TEST_CASE("No RACK: a partial ACK with the highest SACK far ahead marks the next hole at once") {
  Board b(10, 0);
  b.ack(20000, 1, {Board::segs(3, 2), Board::segs(1, 1)});
  REQUIRE(b.lost() == std::vector<uint32_t>{1});
  b.lr.on_retransmit(b.q[0], b.ctx(20000), 0);
  AckOut out = b.ack(40000, 2001, {Board::segs(3, 4)});
  CHECK(out.newly_acked == 2);
  CHECK(b.lr.sacked_out() == 4);
  CHECK(b.lost() == std::vector<uint32_t>{2001});
  CHECK(out.newly_lost == 1);
  CHECK(b.ca.ca_state == CaState::recovery);
}

// tcp_try_to_open(): when Recovery ends with every retransmission acknowledged, retrans_stamp is
// forgotten, so the next episode's Eifel check (tcp_packet_delayed(), RFC 3522) uses its own
// first retransmission (TSval 3000), not the last episode's (1000): an ACK echoing the probe's
// TSval 2000 proves the fast retransmit spurious and undoes it (TCPFullUndo).
TEST_CASE("Each episode's Eifel undo uses its own retrans_stamp") {
  Board b(10, 1);
  b.ack(20000, 1, {Board::segs(1, 3)});
  REQUIRE(b.ca.ca_state == CaState::recovery);
  b.lr.on_retransmit(b.q[0], b.ctx(20000), 1000);
  b.ack(40000, 10001, {}, 1000);  // the retransmission's echo: no undo, back to Open
  REQUIRE(b.ca.ca_state == CaState::open);
  REQUIRE(b.mib.TCPFullUndo == 0);
  CHECK_FALSE(b.lr.state()->retrans_stamp_set);
  b.push_new(40000, 1);
  b.lr.on_retransmit(b.q[0], b.ctx(60000), 2000, true);  // the loss probe of the only segment
  b.lr.on_loss_probe_sent(b.ctx(60000), ProbeKind::retransmit_last);
  b.push_new(61000, 3);
  // The three new segments are SACKed: RACK marks the probed head lost, Recovery again.
  AckOut out = b.ack(81000, 10001, {Board::segs(11, 3)});
  REQUIRE(out.entered_recovery);
  REQUIRE(b.lost() == std::vector<uint32_t>{10001});
  b.lr.on_retransmit(b.q[0], b.ctx(81000), 3000);
  const uint32_t reduced = b.ca.snd_ssthresh;
  out = b.ack(101000, 14001, {}, 2000);
  CHECK(out.undone);
  CHECK(b.mib.TCPFullUndo == 1);
  CHECK(b.ca.snd_ssthresh > reduced);  // prior_ssthresh restored
  CHECK(b.ca.ca_state == CaState::open);
}

// tcp_fastretrans_alert() step D: every dubious ACK in Open sets retrans_stamp = 0, even with a
// retransmission still counted (tcp_try_to_open() alone would keep it then; Linux WARNs on
// retrans_out in Open, so this is the line in isolation: a retransmission made outside any
// episode, then a duplicate ACK).
TEST_CASE("A dubious ACK in Open clears retrans_stamp (tcp_fastretrans_alert step D)") {
  Board b(10, 0);
  b.lr.on_retransmit(b.q[5], b.ctx(10000), 500);
  REQUIRE(b.lr.state()->retrans_stamp_set);
  REQUIRE(b.ca.ca_state == CaState::open);
  b.ack(20000, 1, {});  // a duplicate ACK: dubious
  CHECK_FALSE(b.lr.state()->retrans_stamp_set);
  CHECK(b.ca.ca_state == CaState::disorder);  // tcp_try_keep_open(): a retransmission is out
}

// tcp_fastretrans_alert() calls tcp_try_undo_dsack() outside Recovery only when ca_state <=
// Disorder. In Loss, an ACK whose D-SACK brings undo_retrans to 0 while RACK finds a
// retransmission lost again (FLAG_LOST_RETRANS) falls through to the default case, state still
// Loss: no D-SACK undo there; the proven loss starts Recovery instead. The D-SACK here reports
// three segments below snd_una (one sent before the episode, duplicated by the network).
TEST_CASE("In Loss a D-SACK does not undo through the default case (state > Disorder)") {
  Board b(10, 1);
  b.lr.on_rto(b.q, b.ctx(300000), true);
  REQUIRE(b.ca.ca_state == CaState::loss);
  for (int i = 0; i < 3; ++i)
    b.lr.on_retransmit(b.q[static_cast<size_t>(i)], b.ctx(300000), 0);
  REQUIRE(b.lr.undo_retrans() == 3);
  b.ack(320000, 2001, {});  // the first two retransmissions acknowledged; F-RTO gives up
  REQUIRE(b.ca.ca_state == CaState::loss);
  REQUIRE_FALSE(b.lr.frto());
  b.push_new(320000, 1);  // segment 10, sent after the third retransmission
  const netsim::tcp::SackBlock dsack{SeqNum(1) - 1000, SeqNum(2001)};
  AckOut out = b.ack(340000, 2001, {dsack, Board::segs(10, 1)});
  CHECK(out.dsack);
  CHECK(out.lost_retrans);  // segment 2's retransmission, sent before segment 10
  CHECK(b.mib.TCPDSACKUndo == 0);
  CHECK(b.ca.ca_state == CaState::recovery);
  CHECK(b.mib.TCPSackRecovery == 1);
  // tcp_enter_recovery() -> tcp_init_undo(): a new episode, no retransmission in flight.
  CHECK(b.lr.undo_retrans() == -1);
}
