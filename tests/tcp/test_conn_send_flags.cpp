// send()'s MSG_MORE and MSG_EOR (tcp_sendmsg_locked(), tcp_push()): MSG_MORE leaves the tail
// skb unmarked and pushes with TCP_NAGLE_CORK; MSG_EOR ends the skb so the next write starts a
// new one (tcp_skb_can_collapse_to()), which tcp_write_xmit() neither grows nor holds by Nagle
// unless it is the last skb. Segments as the kernel code gives them (IW10, MSS 1460, the peer's
// window 65535: size_goal 32120; a 10 ms RTT: 2 segments per GSO piece).

#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

Lines send(Harness& h, Instant t, size_t n, uint32_t flags) {
  return h.send(t, bytes(n), flags);
}

Lines ack(Harness& h, Instant t, uint32_t ack) {
  return h.recv(t, ACK, kPeerIss + 1, ack);
}

// set_option() at `t` through the harness's outbox; returns the segments it sent.
Lines set(Harness& h, Instant t, SockOpt o, int v) {
  h.out.clear();
  h.now = t;
  CHECK(h.c().set_option(t, o, v, h.out) == SocketError::none);
  return describe(h.out);
}

}  // namespace

// tcp_push(): with MSG_MORE, nonagle = TCP_NAGLE_CORK replaces TCP_NODELAY for this push, so a
// partial segment waits with nothing in flight; the next write (no flags) appends to the same
// skb and its push sends both, PSH on the segment.
TEST_CASE("MSG_MORE holds a partial segment even with TCP_NODELAY, the next write sends both") {
  Harness h;
  established(h);
  set(h, at(20_ms), SockOpt::tcp_nodelay, 1);
  CHECK(send(h, at(20_ms), 100, kMsgMore).empty());
  CHECK(send(h, at(30_ms), 100, 0) == Lines{"P. seq 1001:1201 ack 5001 win 64240"});
}

// Full segments leave at once (Nagle holds only a partial one); the 80 bytes left wait, and the
// tail skb has no PSH mark: the ACK's push (tcp_data_snd_check(), nothing in flight) sends them
// without PSH. The first piece is a GSO packet of 2 segments, PSH on its last (tso_segs 2).
TEST_CASE("MSG_MORE: full segments go, the partial rest follows the ACK without PSH") {
  Harness h;
  established(h);
  CHECK(send(h, at(20_ms), 3000, kMsgMore) ==
        Lines{". seq 1001:2461 ack 5001 win 64240", "P. seq 2461:3921 ack 5001 win 64240"});
  CHECK(ack(h, at(30_ms), 3921) == Lines{". seq 3921:4001 ack 5001 win 64240"});
}

// tcp_write_xmit() returns true with nothing in flight and data queued, so
// __tcp_push_pending_frames() arms the probe timer: MSG_MORE data nobody follows leaves one
// probe timeout later (max(RTO 212 ms, 200 ms)), as corked data does; tcp_write_wakeup() PSH.
TEST_CASE("MSG_MORE data that no write follows leaves at the window-probe timeout") {
  Harness h;
  established(h);
  CHECK(send(h, at(20_ms), 100, kMsgMore).empty());
  CHECK(h.deadline() == at(232_ms));
  CHECK(h.fire() == Lines{"P. seq 1001:1101 ack 5001 win 64240"});
}

// The bounded write takes the same flags: MSG_MORE acts on the push at the end of the call.
TEST_CASE("MSG_MORE on the bounded write holds the partial segment too") {
  Harness h;
  established(h);
  CHECK(h.write(at(20_ms), 100, kMsgMore).empty());
  CHECK(h.last_write.accepted == 100);
  CHECK(h.write(at(30_ms), 50) == Lines{"P. seq 1001:1151 ack 5001 win 64240"});
}

// MSG_EOR: the second write starts a new skb. Corked, the first skb is no longer the last, so
// tcp_write_xmit() sends it with TCP_NAGLE_PUSH at the second write's push; the second is the
// last skb and waits. Uncorked, Nagle holds it (tcp_minshall_check(): the 100-byte segment is
// unacknowledged) until the ACK.
TEST_CASE("MSG_EOR ends the skb: corked, the record goes when a write follows it") {
  Harness h;
  established(h);
  set(h, at(20_ms), SockOpt::tcp_cork, 1);
  CHECK(send(h, at(20_ms), 100, kMsgEor).empty());
  CHECK(send(h, at(21_ms), 100, 0) == Lines{"P. seq 1001:1101 ack 5001 win 64240"});
  CHECK(set(h, at(22_ms), SockOpt::tcp_cork, 0).empty());
  CHECK(ack(h, at(31_ms), 1101) == Lines{"P. seq 1101:1201 ack 5001 win 64240"});
}

// Held by Nagle behind a small segment in flight, two writes are one skb without MSG_EOR and
// leave as one segment at the ACK. With MSG_EOR on the first, the second write starts a new
// skb, so the record is no longer the last skb: tcp_write_xmit() tests it with TCP_NAGLE_PUSH
// and it leaves at that write, not grown from the next skb; the second write, now the last skb
// behind a small unacknowledged segment (tcp_minshall_check()), waits for its ACK.
TEST_CASE("MSG_EOR keeps a record out of the next write's segment") {
  for (uint32_t flags : {0u, kMsgEor}) {
    CAPTURE(flags);
    Harness h;
    established(h);
    CHECK(send(h, at(20_ms), 100, 0) == Lines{"P. seq 1001:1101 ack 5001 win 64240"});
    CHECK(send(h, at(21_ms), 200, flags).empty());
    if (flags == 0) {
      CHECK(send(h, at(22_ms), 300, 0).empty());
      CHECK(ack(h, at(30_ms), 1101) == Lines{"P. seq 1101:1601 ack 5001 win 64240"});
    } else {
      CHECK(send(h, at(22_ms), 300, 0) == Lines{"P. seq 1101:1301 ack 5001 win 64240"});
      CHECK(ack(h, at(30_ms), 1101).empty());
      CHECK(ack(h, at(40_ms), 1301) == Lines{"P. seq 1301:1601 ack 5001 win 64240"});
    }
  }
}

// A record longer than a segment: corked, its full segment goes and the partial rest
// (tso_fragment() moves eor and the PSH mark to it) waits as the last skb; the next write
// starts a new skb, which makes the rest go alone (PSH) while the new skb is held. Uncorking
// leaves it to Nagle (the 540-byte segment is unacknowledged); the ACK sends it.
TEST_CASE("MSG_EOR: a record's last partial segment is not filled from the next write") {
  Harness h;
  established(h);
  set(h, at(20_ms), SockOpt::tcp_cork, 1);
  CHECK(send(h, at(20_ms), 2000, kMsgEor) == Lines{". seq 1001:2461 ack 5001 win 64240"});
  CHECK(send(h, at(21_ms), 1000, 0) == Lines{"P. seq 2461:3001 ack 5001 win 64240"});
  CHECK(set(h, at(22_ms), SockOpt::tcp_cork, 0).empty());
  CHECK(ack(h, at(31_ms), 3001) == Lines{"P. seq 3001:4001 ack 5001 win 64240"});
}

// tcp_send_loss_probe() -> tcp_write_xmit(push_one = 2): the probe is one segment of the send
// head, and tcp_grow_skb() does not top a record up across its end: with cwnd full (IW10) and
// three 100-byte writes queued, the first two with MSG_EOR, the probe carries the first record
// alone (min(unsent, mss) would have put all three in it).
TEST_CASE("MSG_EOR: a tail-loss probe of new data stops at the record's end") {
  Harness h;
  syn_sent(h);
  Segment sa = syn_ack();
  sa.options.sack_permitted = true;
  REQUIRE(h.recv(at(10_ms), sa) == Lines{". seq 1001 ack 5001 win 64240"});
  CHECK(send(h, at(20_ms), 14600, 0).size() == 10);
  CHECK(send(h, at(20_ms), 100, kMsgEor).empty());
  CHECK(send(h, at(20_ms), 100, kMsgEor).empty());
  CHECK(send(h, at(20_ms), 100, 0).empty());
  CHECK(h.fire() == Lines{"P. seq 15601:15701 ack 5001 win 64240"});
}
