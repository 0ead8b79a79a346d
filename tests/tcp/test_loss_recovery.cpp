// The sender's SACK scoreboard, RACK, PRR, TLP, RTO marking and undo as pure logic
// (protocols/tcp/sack_scoreboard.hpp): ACKs fed at virtual times, exact counters, cwnd values
// and deadlines, each derived from the kernel function named in the test.

#include <catch2/catch.hpp>
#include <vector>

#include "loss_board.hpp"

using namespace netsim;
using namespace netsim::literals;
using namespace netsim::tcp;

using namespace lossboard;
using Fixture = LossBoard;

TEST_CASE("A loss-free connection never allocates the scoreboard") {
  Fixture f(10);
  AckOut out = f.ack(20000, 3001, {});
  CHECK(out.newly_acked == 3);
  CHECK(out.may_raise_cwnd);
  out = f.ack(20100, 3001, {});  // a dupACK without SACK: RACK has nothing to act on
  CHECK(out.newly_acked == 0);
  CHECK_FALSE(f.lr.active());
  CHECK(sizeof(LossRecovery) == sizeof(void*));
  CHECK(f.in_flight() == 7);
}

TEST_CASE("SACK blocks outside snd_una..snd_nxt are ignored (tcp_is_sackblock_valid)") {
  Fixture f(10);
  LossCtx c = f.ctx(0);
  CHECK(f.lr.sack_block_valid(c, false, Fixture::segs(1, 2)));
  CHECK_FALSE(f.lr.sack_block_valid(c, false, {SeqNum(1), SeqNum(1001)}));      // starts at snd_una
  CHECK_FALSE(f.lr.sack_block_valid(c, false, {SeqNum(9001), SeqNum(10002)}));  // past snd_nxt
  CHECK_FALSE(f.lr.sack_block_valid(c, false, {SeqNum(3001), SeqNum(2001)}));   // reversed
  // A D-SACK below snd_una counts only once an undo_marker exists.
  c.snd_una = SeqNum(5001);
  CHECK_FALSE(f.lr.sack_block_valid(c, true, {SeqNum(1001), SeqNum(2001)}));
}

TEST_CASE("RACK: a hole with three SACKed segments after it is lost on that ACK") {
  Fixture f(10);
  // At 20 ms segments 2..4 are SACKed: sacked_out 3 >= reordering 3 and no reordering seen, so
  // reo_wnd = 0; rack.rtt = 20000 - 30 µs; segment 1 (sent at 0) waited 20000 > 19970: lost.
  AckOut out = f.ack(20000, 1, {Fixture::segs(1, 3)});
  CHECK(out.newly_sacked == 3);
  CHECK(out.newly_lost == 1);
  CHECK(out.entered_recovery);
  CHECK_FALSE(out.reo_timer);
  CHECK(f.ca.ca_state == CaState::recovery);
  CHECK(f.lr.lost_out() == 1);
  CHECK(f.lr.sacked_out() == 3);
  CHECK(f.mib.TCPSackRecovery == 1);
  // ssthresh = 10 * 717 / 1024 = 7; PRR: in_flight 10 - 3 - 1 = 6 <= 7, delta 1:
  // sndcnt = min(1, max(3 - 0, 3)) = 1 -> cwnd 7.
  CHECK(f.ca.snd_ssthresh == 7);
  CHECK(f.ca.snd_cwnd == 7);
  CHECK(f.lr.undo_marker() == SeqNum(1));
  CHECK(f.lr.high_seq() == SeqNum(10001));
}

TEST_CASE("RACK: with one SACKed segment the hole is lost min_rtt/4 + 2 ms later (REO timer)") {
  Fixture f(10);
  // reo_wnd = min(20000/4, srtt) = 5000; remaining = 19990 + 5000 - 20000 = 4990 µs;
  // timer = usecs_to_jiffies(4990 + 2000) = 2 jiffies = 8 ms at HZ 250.
  AckOut out = f.ack(20000, 1, {Fixture::segs(1, 1)});
  CHECK(out.newly_lost == 0);
  REQUIRE(out.reo_timer);
  CHECK(*out.reo_timer == at_us(28000));
  CHECK(f.ca.ca_state == CaState::disorder);
  // The timer: segment 1 is now lost, Recovery starts with one PRR step: in_flight
  // 10 - 1 - 1 = 8 > ssthresh 7, sndcnt = ceil(7 * 1 / 10) = 1 -> cwnd 9.
  CHECK(f.lr.on_reo_timeout(f.q, f.ctx(28000)) == 1);
  CHECK(f.ca.ca_state == CaState::recovery);
  CHECK(f.ca.snd_cwnd == 9);
  SECTION("HZ 1000 arms the same timer at 7 ms") {
    Fixture g(10);
    g.clock.hz = 1000;
    CHECK(*g.ack(20000, 1, {Fixture::segs(1, 1)}).reo_timer == at_us(27000));
  }
}

TEST_CASE(
    "PRR: proportional sending while in_flight exceeds ssthresh, cwnd = ssthresh at the end") {
  Fixture f(20);
  // ssthresh = 20 * 717 / 1024 = 14. First ACK: in_flight 20 - 3 - 1 = 16 > 14:
  // sndcnt = (14 * 3 + 19) / 20 - 0 = 3 -> cwnd 19.
  f.ack(20000, 1, {Fixture::segs(1, 3)});
  CHECK(f.ca.snd_ssthresh == 14);
  CHECK(f.ca.snd_cwnd == 19);
  // The fast retransmit and two new segments go out (prr_out 3).
  f.lr.on_retransmit(f.q[0], f.ctx(20010), 100);
  for (uint32_t i = 0; i < 2; ++i) {
    f.q.push_back({f.snd_nxt, kMss, at_us(20020), at_us(20020)});
    f.snd_nxt += kMss;
  }
  f.lr.on_new_data_sent(f.ca, 2);
  CHECK(f.lr.prr_out() == 3);
  CHECK(f.in_flight() == 19);  // 22 - 3 SACKed - 1 lost + 1 retransmitted
  // SACK of segment 5: prr_delivered 4, (14 * 4 + 19) / 20 - 3 = 0 -> cwnd = in_flight 18.
  f.ack(21000, 1, {Fixture::segs(1, 4)});
  CHECK(f.ca.snd_cwnd == 18);
  // Segment 6: (14 * 5 + 19) / 20 - 3 = 1 -> cwnd 17 + 1.
  f.ack(22000, 1, {Fixture::segs(1, 5)});
  CHECK(f.ca.snd_cwnd == 18);
  // Everything up to high_seq acknowledged, no undo evidence: cwnd = ssthresh, Open.
  AckOut out = f.ack(45000, 20001, {});
  CHECK(out.recovery_ended);
  CHECK(f.ca.ca_state == CaState::open);
  CHECK(f.ca.snd_cwnd == 14);
  CHECK(f.lr.lost_out() == 0);
  CHECK(f.lr.retrans_out() == 0);
}

TEST_CASE("D-SACK of the only retransmission undoes the reduction (TCPDSACKUndo)") {
  Fixture f(10);
  f.ack(20000, 1, {Fixture::segs(1, 3)});
  f.lr.on_retransmit(f.q[0], f.ctx(20010), 100);
  CHECK(f.lr.undo_retrans() == 1);
  // The original arrives after all: the receiver ACKs 4001, then D-SACKs the retransmission.
  f.ack(40000, 4001, {});
  AckOut out = f.ack(40100, 4001, {{SeqNum(1), SeqNum(1001)}});
  CHECK(out.dsack);
  CHECK(f.mib.TCPDSACKRecv == 1);
  CHECK(f.lr.undo_retrans() == 0);
  CHECK(out.undone);
  CHECK(f.mib.TCPDSACKUndo == 1);
  // tcp_reno_undo_cwnd: cwnd = max(cwnd, prior_cwnd 10); ssthresh = prior_ssthresh
  // (tcp_current_ssthresh at entry = max(inf, ...)).
  CHECK(f.ca.snd_cwnd == 10);
  CHECK(f.ca.snd_ssthresh == kInfiniteSsthresh);
}

TEST_CASE("Eifel: an ACK echoing a TSval older than the retransmission undoes at the end") {
  Fixture f(10);
  f.ack(20000, 1, {Fixture::segs(1, 3)});
  f.lr.on_retransmit(f.q[0], f.ctx(20010), 500);  // first retransmission carries TSval 500
  AckOut out = f.ack(40000, 10001, {}, 480);      // echoes the original's 480
  CHECK(out.recovery_ended);
  CHECK(f.mib.TCPFullUndo == 1);
  CHECK(f.ca.snd_cwnd == 10);
}

TEST_CASE("Reordering: an original below the highest SACK raises reordering, RACK gets a window") {
  Fixture f(10);
  f.ack(20000, 1, {Fixture::segs(5, 1)});  // segment 6 SACKed; 1..5 outstanding
  REQUIRE(f.ca.ca_state == CaState::disorder);
  // Segment 2 SACKed afterwards, never retransmitted: fack 6001 - 1001 = 5000 > 3 * 1000 ->
  // reordering = 5 (TCPSACKReorder).
  f.ack(20500, 1, {Fixture::segs(1, 1), Fixture::segs(5, 1)});
  CHECK(f.lr.reordering() == 5);
  CHECK(f.lr.reord_seen() == 1);
  CHECK(f.mib.TCPSACKReorder == 1);
}

TEST_CASE("TLP: one segment out, srtt 51 µs: PTO 2*srtt + 200 ms = 200.1 ms -> 51 jiffies") {
  Fixture f(1);
  LossCtx c = f.ctx(0);
  c.srtt_us8 = 51 * 8;
  c.rto = Duration::milliseconds(204);
  CHECK(f.lr.loss_probe_timeout(c, 1, true, Instant::max(), false) == 204_ms);
  c.clock.hz = 1000;
  CHECK(f.lr.loss_probe_timeout(c, 1, true, Instant::max(), false) == 201_ms);
}

TEST_CASE("TLP: several segments out: 2*srtt + 2 ms, 1 s without a sample, never after the RTO") {
  Fixture f(10);
  LossCtx c = f.ctx(0);
  // 2 * 20 ms + 2 ms = 42 ms = 10.5 jiffies -> 11 = 44 ms.
  CHECK(f.lr.loss_probe_timeout(c, 10, true, Instant::max(), false) == 44_ms);
  c.srtt_us8 = 0;
  c.rto = Duration::seconds(1);
  CHECK(f.lr.loss_probe_timeout(c, 10, true, Instant::max(), false) == 1_s);
  // After a send the cap is what the RTO has left from the head's send: sent at 0, now 700 ms,
  // RTO 1 s -> 300 ms.
  c.now = at_us(700000);
  CHECK(f.lr.loss_probe_timeout(c, 10, false, at_us(0), false) == 300_ms);
  c.now = at_us(0);
  // Not in Recovery/Loss/Disorder, not without SACK, not with tcp_early_retrans 2.
  f.ca.ca_state = CaState::disorder;
  CHECK_FALSE(f.lr.loss_probe_timeout(c, 10, true, Instant::max(), false));
  f.ca.ca_state = CaState::open;
  f.cfg.sack = false;
  CHECK_FALSE(f.lr.loss_probe_timeout(c, 10, true, Instant::max(), false));
  f.cfg.sack = true;
  f.cfg.early_retrans = 2;
  CHECK_FALSE(f.lr.loss_probe_timeout(c, 10, true, Instant::max(), false));
  f.cfg.early_retrans = 3;
  CHECK_FALSE(f.lr.loss_probe_timeout(c, 10, true, Instant::max(), true));  // REO timer armed
}

TEST_CASE("TLP: one probe per episode, an ACK beyond it after a retransmitted probe is a loss") {
  Fixture f(10);
  CHECK(f.lr.loss_probe_kind(true) == ProbeKind::new_data);
  CHECK(f.lr.loss_probe_kind(false) == ProbeKind::retransmit_last);
  f.lr.on_retransmit(f.q[9], f.ctx(44000), 44, true);
  f.lr.on_loss_probe_sent(f.ctx(44000), ProbeKind::retransmit_last);
  CHECK(f.mib.TCPLossProbes == 1);
  CHECK(f.lr.retrans_out() == 0);  // a probe is not in retrans_out
  CHECK(f.lr.loss_probe_kind(false) == ProbeKind::none);
  // The probe filled the tail, the ACK covers tlp_high_seq + more data sent meanwhile.
  f.q.push_back({f.snd_nxt, kMss, at_us(44100), at_us(44100)});
  f.snd_nxt += kMss;
  f.ack(64000, 11001, {});
  CHECK(f.mib.TCPLossProbeRecovery == 1);
  CHECK(f.ca.snd_ssthresh == 7);
  CHECK(f.ca.snd_cwnd == 7);
  CHECK(f.ca.ca_state == CaState::open);
  CHECK_FALSE(f.lr.tlp_outstanding());
}

TEST_CASE("TLP: a D-SACK of the probe means nothing was lost") {
  Fixture f(10);
  f.lr.on_retransmit(f.q[9], f.ctx(44000), 44, true);
  f.lr.on_loss_probe_sent(f.ctx(44000), ProbeKind::retransmit_last);
  f.ack(60000, 10001, {});
  f.ack(60100, 10001, {{SeqNum(9001), SeqNum(10001)}});
  CHECK(f.mib.TCPLossProbeRecovery == 0);
  CHECK_FALSE(f.lr.tlp_outstanding());
  CHECK(f.ca.snd_cwnd == 10);
}

TEST_CASE("RTO: everything lost except what RACK says was sent too recently, cwnd in_flight+1") {
  Fixture f(10);
  // RACK knows an RTT from a SACK of segment 3 at 20 ms (rack.rtt = 19980 µs).
  f.ack(20000, 1, {Fixture::segs(2, 1)});
  // Two segments sent at 215 ms; the RTO fires at 220 ms: they are 5 ms old < rack.rtt.
  for (uint32_t i = 0; i < 2; ++i) {
    f.q.push_back({f.snd_nxt, kMss, at_us(215000), at_us(215000)});
    f.snd_nxt += kMss;
  }
  f.lr.on_rto(f.q, f.ctx(220000), true);
  CHECK(f.mib.TCPTimeouts == 1);
  CHECK(f.lr.lost_out() == 9);  // 12 segments, 1 SACKed, 2 recent
  CHECK(f.ca.ca_state == CaState::loss);
  CHECK(f.ca.snd_cwnd == 3);  // in_flight = 12 - 1 - 9 = 2, + 1
  CHECK(f.ca.snd_ssthresh == 7);
  CHECK(f.lr.high_seq() == SeqNum(12001));
}

TEST_CASE("RTO with a SACKed head: the receiver reneged, SACK state is dropped") {
  Fixture f(4);
  f.ack(20000, 1, {Fixture::segs(1, 1)});     // segment 2 SACKed ...
  f.ack(21000, 1001, {Fixture::segs(1, 1)});  // ... and segment 1 acked: the head is SACKed
  f.lr.on_rto(f.q, f.ctx(300000), true);
  CHECK(f.mib.TCPSACKReneging == 1);
  CHECK(f.lr.sacked_out() == 0);
  CHECK(f.lr.lost_out() == 3);
  CHECK(f.ca.snd_cwnd == 1);
}

TEST_CASE(
    "Story: the last two of ten lost on a 20 ms path - probe the tenth, the ninth 1 RTT later") {
  Fixture f(10);
  // Segments 1..8 are acknowledged at 20 ms; 9 and 10 were lost.
  AckOut out = f.ack(20000, 8001, {});
  CHECK(out.newly_acked == 8);
  CHECK_FALSE(f.lr.active());
  // PTO after the ACK: 2 * 20 + 2 = 42 ms -> 11 jiffies = 44 ms: the probe leaves at 64 ms.
  const auto pto = f.lr.loss_probe_timeout(f.ctx(20000), 2, true, Instant::max(), false);
  REQUIRE(pto);
  CHECK(*pto == 44_ms);
  REQUIRE(f.lr.loss_probe_kind(false) == ProbeKind::retransmit_last);
  f.lr.on_retransmit(f.q[1], f.ctx(64000), 64, true);
  f.lr.on_loss_probe_sent(f.ctx(64000), ProbeKind::retransmit_last);
  // Its SACK returns one RTT later. rack.rtt = 20 ms (not below min_rtt, so a retransmission
  // counts); reo_wnd = min_rtt/4 = 5 ms; segment 9 waited 83.9 ms > 25 ms: lost now.
  out = f.ack(84000, 8001, {Fixture::segs(9, 1)});
  CHECK(out.newly_lost == 1);
  CHECK(out.entered_recovery);
  CHECK_FALSE(f.lr.tlp_outstanding());  // tcp_init_cwnd_reduction() ends the probe episode
  // PRR: in_flight 2 - 1 - 1 = 0, sndcnt = min(ssthresh 7, max(1, 1)) = 1: the fast
  // retransmit of segment 9 goes at once.
  CHECK(f.ca.snd_cwnd == 1);
  CHECK(f.lr.undo_retrans() == 1);  // the retransmitted probe may still be D-SACKed
  f.lr.on_retransmit(f.q[0], f.ctx(84000), 84);
  out = f.ack(104000, 10001, {});
  CHECK(out.recovery_ended);
  CHECK(f.ca.snd_cwnd == 7);
  CHECK(f.mib.TCPSackRecovery == 1);
  CHECK(f.mib.TCPLossProbes == 1);
}

TEST_CASE("F-RTO: an ACK of never-retransmitted data after an RTO marks it spurious and undoes") {
  Fixture f(10);
  f.lr.on_rto(f.q, f.ctx(220000), true);
  CHECK(f.lr.lost_out() == 10);  // no RACK RTT yet: everything is lost
  CHECK(f.ca.snd_cwnd == 1);
  CHECK(f.lr.frto());
  f.lr.on_retransmit(f.q[0], f.ctx(220000), 220);
  // The delayed originals of segments 1 and 2 are acknowledged (no timestamps, so no Eifel):
  // segment 2 was never retransmitted and lies below high_seq -> step 3.b, spurious.
  AckOut out = f.ack(240000, 2001, {});
  CHECK(out.orig_sack_acked);
  CHECK(out.undone);
  CHECK(f.mib.TCPSpuriousRTOs == 1);
  CHECK(f.mib.TCPLossUndo == 1);
  CHECK(f.ca.ca_state == CaState::open);
  CHECK(f.lr.lost_out() == 0);
  CHECK(f.ca.snd_cwnd == 10);  // tcp_reno_undo_cwnd: max(1, prior_cwnd 10)
}

TEST_CASE("F-RTO: new data after the first ACK, a SACK of it proves the loss real") {
  Fixture f(10);
  f.lr.on_rto(f.q, f.ctx(220000), true);
  f.lr.on_retransmit(f.q[0], f.ctx(220000), 220);
  // Only the retransmission arrived: step 2.b, send new data instead of retransmitting.
  AckIn in{SeqNum(1001), {}, false, 0, true};
  AckOut out = f.lr.on_ack(f.q, f.ctx(240000), in);
  f.q.erase(f.q.begin(), f.q.begin() + out.newly_acked);
  CHECK(out.send_new_data);
  CHECK(f.lr.frto());
  for (uint32_t i = 0; i < 2; ++i) {
    f.q.push_back({f.snd_nxt, kMss, at_us(240000), at_us(240000)});
    f.snd_nxt += kMss;
  }
  // The first new segment is SACKed, the hole at 1001 stays: step 3.a, a real loss.
  out = f.ack(260000, 1001, {Fixture::segs(10, 1)});
  CHECK_FALSE(out.send_new_data);
  CHECK_FALSE(f.lr.frto());
  CHECK(f.mib.TCPSpuriousRTOs == 0);
  CHECK(f.ca.ca_state == CaState::loss);
  CHECK(f.lr.lost_out() == 9);
}

TEST_CASE("packetdrill tcp_fast_recovery_prr-ss-10pkt-lost-1.pkt at component level") {
  // 10 MSS sent at 200 ms on a 100 ms path; 1:1001 is lost. SACKs at 310, 320, 330 ms: the
  // third makes sacked_out 3, reo_wnd 0, and segment 1 is lost (RACK) -> Recovery.
  Fixture f(10);
  f.rtt_us = 100000;
  for (ScoreSeg& s : f.q)
    s.last_sent = at_us(200000);
  f.ack(310000, 1, {Fixture::segs(1, 1)});
  f.ack(320000, 1, {Fixture::segs(1, 2)});
  AckOut out = f.ack(330000, 1, {Fixture::segs(1, 3)});
  REQUIRE(out.entered_recovery);
  f.lr.on_retransmit(f.q[0], f.ctx(330000), 330);  // > . 1:1001(1000)
  CHECK(f.ca.ca_state == CaState::recovery);
  CHECK(f.ca.snd_cwnd == 7);
  CHECK(f.ca.snd_ssthresh == 7);
  // in-flight == ssthresh throughout: one new segment per segment SACKed.
  for (uint32_t k = 4; k <= 9; ++k) {
    f.ack(340000 + 10000 * (k - 3), 1, {Fixture::segs(1, k)});
    INFO("SACK 1001:" << 1 + (k + 1) * 1000);
    CHECK(f.ca.snd_cwnd == 7);
    CHECK(f.send_new(340000 + 10000 * (k - 3), 7) == 1);
  }
  // ACK 10001: Recovery ends at cwnd = ssthresh = 7, one more segment goes.
  out = f.ack(420000, 10001, {});
  CHECK(out.recovery_ended);
  CHECK(f.ca.ca_state == CaState::open);
  CHECK(f.ca.snd_cwnd == 7);
  CHECK(f.ca.snd_ssthresh == 7);
  CHECK(f.send_new(420000, 7) == 1);
}

TEST_CASE("packetdrill tcp_fast_recovery_prr-ss-30pkt-lost1_4.pkt at component level") {
  // 10 MSS in one burst at 10 ms on a 10 ms path; 1..4 lost. Segments sent together tie on
  // time and RACK orders them by sequence (tcp_skb_sent_after).
  Fixture f(10);
  f.rtt_us = 10000;
  for (ScoreSeg& s : f.q)
    s.last_sent = at_us(10000);
  f.ack(20000, 1, {Fixture::segs(4, 1)});
  f.ack(22000, 1, {Fixture::segs(4, 2)});
  AckOut out = f.ack(22000, 1, {Fixture::segs(4, 3)});
  CHECK(out.newly_lost == 4);
  REQUIRE(out.entered_recovery);
  // PRR slow start: in_flight 10 - 3 - 4 = 3 < ssthresh 7: one segment per segment delivered.
  CHECK(f.ca.snd_cwnd == 4);
  for (uint32_t k = 0; k < 4; ++k) {
    if (k > 0) f.ack(22000, 1, {Fixture::segs(4, 3 + k)});
    INFO("retransmission " << k + 1);
    CHECK(f.ca.snd_cwnd == 4);
    CHECK(f.in_flight() == 3);
    f.lr.on_retransmit(f.q[k], f.ctx(22000), 22);  // > . k*1000+1:(k+1)*1000+1
  }
  // The retransmissions are acknowledged: snd_una advances, +1 each (no new loss).
  f.ack(32000, 1001, {Fixture::segs(4, 6)});
  CHECK(f.ca.snd_cwnd == 5);  // in_flight 3 + min(4, max(5 - 4, 1) + 1)
  f.ack(32000, 2001, {Fixture::segs(4, 6)});
  f.ack(32000, 3001, {Fixture::segs(4, 6)});
  CHECK(f.ca.snd_cwnd == 5);
  out = f.ack(32000, 10001, {});
  CHECK(out.recovery_ended);
  CHECK(f.ca.snd_cwnd == 7);
  // The next write: ssthresh * mss leaves at once.
  CHECK(f.send_new(42000, 10) == 7);
}
