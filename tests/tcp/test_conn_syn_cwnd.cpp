// The initial cwnd after SYN or SYN-ACK retransmissions (issue 13 follow-up). Linux 6.12
// tcp_init_transfer(): "if (tp->total_retrans > 1 && tp->undo_marker) tcp_snd_cwnd_set(tp, 1);
// else ... tcp_init_cwnd()" (RFC 5681 §3.1's loss window, only after a second retransmission).
// undo_marker comes from tcp_enter_loss() on the SYN's timeout (client) or from
// tcp_create_openreq_child() when the request timer fired (server, num_timeout); and
// tcp_try_undo_spurious_syn() clears it when the ACK echoes the first SYN's (SYN-ACK's) TSval.

#include "protocols/tcp/tcp_info.hpp"
#include "test_conn_harness.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace conntest;

namespace {

uint32_t tsval_at(Duration t) {
  return static_cast<uint32_t>(t.ns() / 1'000'000) + kTsOff;
}

// The congestion paths: NewReno without SACK (CongestionControl), CUBIC with SACK
// (CongestionOps, whose state is made at the first transmission).
Profile path_profile(bool sack) {
  return sack ? sack_profile() : Profile{};
}

// SYN at 0, then `rtx` timer retransmissions (1 s, 2 s, ...: tcp_syn_linear_timeouts keeps
// the first four at 1 s); the SYN-ACK 20 ms after the last one echoes `tsecr` (none: no TS).
void client_handshake(Harness& h, int rtx, std::optional<uint32_t> tsecr) {
  REQUIRE(h.connect(at(0_ms)).size() == 1);
  for (int i = 0; i < rtx; ++i)
    REQUIRE(h.fire().size() == 1);
  Segment s = syn_ack();
  s.options.sack_permitted = h.profile.sack;
  if (tsecr) s.options.timestamps = std::pair<uint32_t, uint32_t>{7000, *tsecr};
  REQUIRE(h.recv(h.now + 20_ms, s).size() == 1);  // our ACK
  REQUIRE(h.state() == State::established);
}

// The first flight of a 20-segment write 10 ms after the handshake, in segments.
size_t first_flight(Harness& h) {
  h.send(h.now + 10_ms, bytes(20 * 1448));
  return h.out.packets.size();
}

// The same from a fresh client on the path `sack` picks.
size_t client_first_flight(bool sack, int rtx, std::optional<uint32_t> tsecr) {
  Harness h(path_profile(sack));
  client_handshake(h, rtx, tsecr);
  return first_flight(h);
}

}  // namespace

// Two lost SYNs (retransmitted at 1 s and 2 s), the SYN-ACK echoes the third at 2020 ms: cwnd 1.
// One segment leaves at 2030 ms; its ACK at 2060 ms opens cwnd to 2 (slow start), two more.
TEST_CASE("After two lost SYNs the client starts with a cwnd of one") {
  const bool sack = GENERATE(false, true);
  INFO("sack " << sack);
  Harness h(path_profile(sack));
  client_handshake(h, 2, tsval_at(2_s));
  CHECK(h.now == at(2020_ms));
  CHECK(tcp_info(h.c(), h.now).snd_cwnd == 1);
  CHECK(first_flight(h) == 1);
  CHECK(h.out.packets[0].tcp.seq == SeqNum(kIss + 1));
  CHECK(h.now == at(2030_ms));
  Segment a = peer_seg(ACK, kPeerIss + 1, kIss + 1 + h.out.packets[0].tcp.payload.size());
  a.options.timestamps = std::pair<uint32_t, uint32_t>{7001, tsval_at(2030_ms)};
  CHECK(h.recv(at(2060_ms), a).size() == 2);
}

// The SYN-ACK echoes the SYN of 0 ms: the peer answered the first SYN, the timeouts were
// spurious (tcp_try_undo_spurious_syn()), the initial window stays 10.
TEST_CASE("A SYN-ACK echoing the first SYN undoes the cut: the client keeps ten segments") {
  const bool sack = GENERATE(false, true);
  CHECK(client_first_flight(sack, 2, tsval_at(0_ms)) == 10);
}

// Echoing the second SYN (1 s) is no proof: only retrans_stamp, the first SYN's, undoes.
TEST_CASE("A SYN-ACK echoing the second SYN of three keeps the client's cwnd of one") {
  CHECK(client_first_flight(false, 2, tsval_at(1_s)) == 1);
}

// total_retrans 1 is not "> 1": RFC 6298's 1 s initial RTO makes one spurious timeout likely.
TEST_CASE("After one lost SYN the client keeps ten segments") {
  const bool sack = GENERATE(false, true);
  CHECK(client_first_flight(sack, 1, tsval_at(1_s)) == 10);
}

// Without timestamps nothing can prove the timeouts spurious (saw_tstamp is 0): even a peer
// that answered the first SYN leaves the client with one segment.
TEST_CASE("Without timestamps two SYN retransmissions always cut the client to one segment") {
  SECTION("tcp_timestamps 0") {
    Profile p;
    p.timestamps = false;
    Harness h(p);
    client_handshake(h, 2, std::nullopt);
    CHECK(first_flight(h) == 1);
  }
  SECTION("the peer offers no TS") {
    CHECK(client_first_flight(true, 2, std::nullopt) == 1);
  }
}

// A write queued in SYN_SENT makes the SACK path's sender early; tcp_init_transfer() sets its
// cwnd at the SYN-ACK all the same: one segment goes with the ACK.
TEST_CASE("Data written before two SYN retransmissions leaves one segment at the SYN-ACK") {
  Harness h(sack_profile());
  REQUIRE(h.connect(at(0_ms)).size() == 1);
  REQUIRE(h.send(at(5_ms), bytes(20 * 1448)).empty());
  REQUIRE(h.fire().size() == 1);
  REQUIRE(h.fire().size() == 1);
  Segment s = syn_ack();
  s.options.sack_permitted = true;
  s.options.timestamps = std::pair<uint32_t, uint32_t>{7000, tsval_at(2_s)};
  CHECK(h.recv(at(2020_ms), s).size() == 1);
  CHECK(h.out.packets.at(0).tcp.payload.size() == 1448);
}

// ---- the passive side, through the listener ----

namespace {

using netsim::tcp::testing::client_addr;
using netsim::tcp::testing::kAck;
using netsim::tcp::testing::ListeningServer;
using netsim::tcp::testing::server_addr;

Packet client_syn(bool ts, uint32_t tsval = 777) {
  Packet p = netsim::tcp::testing::syn_from(40000, 1000, 1460);
  if (ts) p.tcp.options.timestamps = std::pair<uint32_t, uint32_t>{tsval, 0};
  return p;
}

// The final ACK of `synack` at `now`, echoing `tsecr` when given; then a 20-segment write on
// the child: the segments of its first flight.
size_t server_first_flight(ListeningServer& s, Instant now, const Packet& synack,
                           std::optional<uint32_t> tsecr) {
  Packet a = netsim::tcp::testing::segment(client_addr(40000), server_addr(), kAck, 1001,
                                           synack.tcp.seq.raw() + 1);
  if (tsecr) a.tcp.options.timestamps = std::pair<uint32_t, uint32_t>{778, *tsecr};
  Outbox o = s.deliver(now, a);
  REQUIRE(o.notices.size() == 1);
  REQUIRE(o.notices[0].kind == AppNotice::Kind::accepted);
  Outbox w;
  REQUIRE(s.stack.send(now, o.notices[0].child, Payload::from_string(bytes(20 * 1448)), w) ==
          SocketError::none);
  return w.packets.size();
}

uint32_t synack_tsval(const Packet& p) {
  return p.tcp.options.timestamps->first;
}

}  // namespace

// The SYN-ACKs of 0 and 1 s are lost, the request timer's second retransmission at 3 s gets
// through: num_retrans 2, num_timeout 2, so the child has total_retrans 2 and undo_marker set.
// The ACK echoes the third SYN-ACK: cwnd 1. Echoing the first (0 ms) proves the timeouts
// spurious: ten segments. Without a TS option on the ACK nothing undoes.
TEST_CASE("After two lost SYN-ACKs the server starts with a cwnd of one unless spurious") {
  const bool sack = GENERATE(false, true);
  INFO("sack " << sack);
  ListeningServer s(5, path_profile(sack));
  Outbox first = s.deliver(at(0_ms), client_syn(true));
  REQUIRE(first.packets.size() == 1);
  std::vector<netsim::tcp::testing::Timed> rtx =
      netsim::tcp::testing::run_timers(s.stack, s.listener, at(3_s));
  REQUIRE(netsim::tcp::testing::times_ms(rtx) == std::vector<int64_t>{1000, 3000});
  SECTION("the ACK echoes the third SYN-ACK") {
    CHECK(server_first_flight(s, at(3020_ms), rtx[1].p, synack_tsval(rtx[1].p)) == 1);
  }
  SECTION("the ACK echoes the first SYN-ACK") {
    CHECK(server_first_flight(s, at(3020_ms), rtx[1].p, synack_tsval(first.packets[0])) == 10);
  }
  SECTION("the ACK carries no timestamp") {
    CHECK(server_first_flight(s, at(3020_ms), rtx[1].p, std::nullopt) == 1);
  }
}

// One timer retransmission (1 s): total_retrans 1, the initial window stays.
TEST_CASE("After one lost SYN-ACK the server keeps ten segments") {
  ListeningServer s(5);
  REQUIRE(s.deliver(at(0_ms), client_syn(true)).packets.size() == 1);
  std::vector<netsim::tcp::testing::Timed> rtx =
      netsim::tcp::testing::run_timers(s.stack, s.listener, at(1_s));
  REQUIRE(rtx.size() == 1);
  CHECK(server_first_flight(s, at(1020_ms), rtx[0].p, synack_tsval(rtx[0].p)) == 10);
}

// SYN-ACKs resent for retransmitted SYNs (tcp_check_req() -> inet_rtx_syn_ack()) count in
// num_retrans, hence in the child's total_retrans, but only a timer expiry (num_timeout) sets
// undo_marker: two of them (600 and 1200 ms, 500 ms apart for tcp_oow_rate_limited()) and no
// timer expiry leave the initial window alone, whatever the ACK echoes.
TEST_CASE("SYN-ACKs resent for retransmitted SYNs do not cut the server's cwnd") {
  ListeningServer s(5);
  REQUIRE(s.deliver(at(0_ms), client_syn(true, 777)).packets.size() == 1);
  REQUIRE(s.deliver(at(600_ms), client_syn(true, 1377)).packets.size() == 1);
  Outbox third = s.deliver(at(1200_ms), client_syn(true, 1977));
  REQUIRE(third.packets.size() == 1);
  REQUIRE(third.packets[0].retransmission == 2);
  CHECK(server_first_flight(s, at(1220_ms), third.packets[0], synack_tsval(third.packets[0])) ==
        10);
}
