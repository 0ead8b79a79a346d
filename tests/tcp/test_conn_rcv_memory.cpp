// The receive queues' memory as Linux 6.12 bounds it (tcp_input.c tcp_try_rmem_schedule(),
// tcp_prune_queue(), tcp_prune_ofo_queue(), tcp_clamp_window(); tcp_output.c tcp_select_window()
// with ICSK_ACK_NOMEM): data queued past sk_rcvbuf is dropped (TCPRcvQDrop, TCPOFODrop) and
// answered with a zero window, an unlocked buffer grows instead, out-of-order data is pruned
// from the top. The fuzz_tcp finding that led here is fuzz/corpus/fuzz_tcp/regress-rcvbuf-*.

#include "protocols/tcp/reassembly.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

// A passive connection whose SYN offered SACK only (no timestamps, no window scaling), on a
// socket that does not read (auto_read off) with SO_RCVBUF 2304: a locked 4608-byte buffer.
SocketOptions locked_small_buffer() {
  SocketOptions o;
  o.auto_read = false;
  o.rcvbuf = sock_rcvbuf_from(2304);
  return o;
}

void accept_sack_only(Harness& h) {
  Handshake hs;
  hs.iss = SeqNum(kIss);
  hs.irs = SeqNum(kPeerIss);
  hs.peer_mss = 1460;
  hs.peer_window = 65535;
  hs.syn_opts = kSynSack;
  h.accept(at(0_ms), hs);
  REQUIRE(h.state() == State::established);
}

}  // namespace

// The SACK blocks of the last call's segments, " {left:right}" each.
std::string sack_blocks(const Harness& h) {
  std::string r;
  for (const Packet& p : h.out.packets) {
    for (const SackBlock& b : p.tcp.options.sack)
      r += fmt::format(" {{{}:{}}}", b.left.raw(), b.right.raw());
  }
  return r;
}

// Peer data at `off` bytes into its stream.
Segment data_at(uint32_t off, size_t n) {
  return peer_seg(ACK, kPeerIss + 1 + off, kIss + 1, 65535, bytes(n));
}

TEST_CASE("A locked buffer past its limit drops in-order data and ACKs at once with window 0") {
  Harness h(Profile::linux_default(), locked_small_buffer());
  accept_sack_only(h);
  // 537 bytes, one more than rcv_mss: the scaling ratio is measured at 537 * 256 / 2048 = 67,
  // so each byte held costs 3.8 bytes of the 4608. The window offered before (1460) stays.
  CHECK(h.recv(at(10_ms), data_at(0, 537)) == Lines{". seq 1001 ack 5538 win 923"});
  CHECK(h.recv(at(11_ms), data_at(537, 537)).empty());
  // 1074 bytes cost 4103 <= 4608: this one is queued too, and takes the queues to 4867.
  CHECK(h.recv(at(12_ms), data_at(1074, 200)).empty());
  CHECK(h.counters.PruneCalled == 0);
  // Now tcp_try_rmem_schedule() fails: the buffer is locked (no growth), nothing out of order
  // to prune (RcvPruned), the receive queue holds data: dropped, and the ACK goes at once with
  // a zero window (ICSK_ACK_NOMEM), though 186 bytes of the last offer were left.
  CHECK(h.recv(at(13_ms), data_at(1274, 100)) == Lines{". seq 1001 ack 6275 win 0"});
  CHECK(h.counters.PruneCalled == 1);
  CHECK(h.counters.RcvPruned == 1);
  CHECK(h.counters.TCPRcvQDrop == 1);
  CHECK(h.counters.TCPOFODrop == 0);
  // The right edge moved left with it: the same segment again is beyond the window.
  CHECK(h.recv(at(14_ms), data_at(1274, 100)) == Lines{". seq 1001 ack 6275 win 0"});
  CHECK(h.counters.TCPRcvQDrop == 1);
  // The reader empties the queue: a window update, and the retransmission is taken.
  CHECK(h.read(at(20_ms), 10000).size() == 1274);
  CHECK(describe(h.out) == Lines{". seq 1001 ack 6275 win 1074"});
  CHECK(h.recv(at(30_ms), data_at(1274, 100)).empty());
  CHECK(h.read(at(31_ms), 10000).size() == 100);
  CHECK(h.counters.TCPRcvQDrop == 1);
}

TEST_CASE("An unlocked buffer grows to what the queues hold instead of dropping") {
  Profile p = Profile::linux_default();
  p.rmem.def = 4608;
  SocketOptions o;
  o.auto_read = false;
  Harness h(p, o);
  accept_sack_only(h);
  CHECK(h.recv(at(10_ms), data_at(0, 537)) == Lines{". seq 1001 ack 5538 win 923"});
  CHECK(h.recv(at(11_ms), data_at(537, 537)).empty());
  CHECK(h.recv(at(12_ms), data_at(1074, 200)).empty());
  // Past the limit, tcp_clamp_window() sets sk_rcvbuf to the 4867 bytes held (below
  // tcp_rmem[2]): the segment is queued, nothing is dropped.
  CHECK(h.recv(at(13_ms), data_at(1274, 100)).empty());
  CHECK(h.counters.PruneCalled == 1);
  CHECK(h.counters.RcvPruned == 0);
  CHECK(h.counters.TCPRcvQDrop == 0);
  // The delayed ACK keeps the edge offered at first (6461): no shrinking.
  CHECK(h.fire() == Lines{". seq 1001 ack 6375 win 86"});
  CHECK(h.read(at(100_ms), 10000).size() == 1374);
}

TEST_CASE("Out-of-order data is pruned from the top for a lower segment, else dropped") {
  Harness h(Profile::linux_default(), locked_small_buffer());
  accept_sack_only(h);
  CHECK(h.recv(at(10_ms), data_at(0, 537)) == Lines{". seq 1001 ack 5538 win 923"});
  // Three out-of-order pieces above a hole at [5538, 5701); the last one takes the queues
  // past the 4608 bytes (537 + 710 bytes held at ratio 67: 4764).
  h.recv(at(11_ms), data_at(1260, 200));
  h.recv(at(12_ms), data_at(700, 400));
  CHECK(h.recv(at(13_ms), data_at(1150, 110)) == Lines{". seq 1001 ack 5538 win 923"});
  CHECK(sack_blocks(h) == " {6151:6461} {5701:6101}");
  // [6101, 6151) needs memory: tcp_prune_ofo_queue() drops the highest piece [6261, 6461),
  // which brings the queues under the limit, and resets the SACK state: the ACK reports only
  // the new segment (tcp_sack_new_ofo_skb() on an empty list).
  CHECK(h.recv(at(14_ms), data_at(1100, 50)) == Lines{". seq 1001 ack 5538 win 923"});
  CHECK(sack_blocks(h) == " {6101:6151}");
  CHECK(h.counters.PruneCalled == 1);
  CHECK(h.counters.OfoPruned == 1);
  CHECK(h.counters.TCPOFODrop == 0);
  // The peer resends it; the queues go past the limit again.
  CHECK(h.recv(at(15_ms), data_at(1260, 200)) == Lines{". seq 1001 ack 5538 win 923"});
  CHECK(sack_blocks(h) == " {6261:6461} {6101:6151}");
  // A segment that would land last cannot make room by pruning what is above it: dropped
  // (TCPOFODrop), and no ACK is scheduled for it.
  CHECK(h.recv(at(16_ms), data_at(1300, 100)).empty());
  CHECK(h.counters.RcvPruned == 1);
  CHECK(h.counters.TCPOFODrop == 1);
  // The hole's data prunes the top piece again and is queued: everything up to 6261 is in
  // order; the offer made before still stands (no shrinking), 200 bytes.
  CHECK(h.recv(at(17_ms), data_at(537, 163)) == Lines{". seq 1001 ack 6261 win 200"});
  CHECK(h.counters.OfoPruned == 2);
  CHECK(h.read(at(20_ms), 10000).size() == 1260);
}

TEST_CASE("Component: dropping the highest out-of-order piece takes a FIN beyond it along") {
  ReceiveBuffer b;
  const SeqNum nxt(100);
  b.insert(SeqNum(200), Payload::from_string(bytes(50)), nxt);
  b.insert(SeqNum(300), Payload::from_string(bytes(20)), nxt);
  b.set_fin(SeqNum(320));
  CHECK(b.last_piece_seq() == SeqNum(300));
  CHECK(b.drop_last_piece() == 20);
  CHECK_FALSE(b.fin().has_value());
  CHECK(b.last_piece_seq() == SeqNum(200));
  CHECK(b.drop_last_piece() == 50);
  CHECK_FALSE(b.last_piece_seq().has_value());
  CHECK_FALSE(b.has_out_of_order());
  std::string why;
  CHECK(b.check(nxt, nxt + 1000, &why));
}
