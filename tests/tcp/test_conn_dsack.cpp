// Receiver SACK generation wired into the connection (issue 13 item 1): D-SACK blocks (RFC 2883,
// tcp_dsack_set()/tcp_dsack_extend()), SACK blocks in Linux's recency order
// (tcp_sack_new_ofo_skb()), and the option bytes a data segment gives up (tcp_current_mss()).
// The switches are set explicitly: tcp_sack, tcp_dsack, tcp_timestamps.

#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

Profile sack_profile(bool ts, bool dsack = true) {
  Profile p;
  p.timestamps = ts;
  p.sack = true;
  p.dsack = dsack;
  return p;
}

// A connection in ESTABLISHED with SACK (and timestamps when `ts`) negotiated.
void establish(Harness& h, bool ts) {
  h.connect(at(0_ms));
  Segment s = peer_seg(SYN | ACK, kPeerIss, kIss + 1, 65535);
  s.options.mss = 1460;
  s.options.sack_permitted = true;
  if (ts) s.options.timestamps = std::pair<uint32_t, uint32_t>{7000, 0};
  h.recv(at(20_ms), s);
  REQUIRE(h.state() == State::established);
}

Segment data(uint32_t off, size_t len, bool ts, uint32_t tsval = 7000) {
  Segment s = peer_seg(ACK, kPeerIss + off, kIss + 1, 65535, bytes(len));
  if (ts) s.options.timestamps = std::pair<uint32_t, uint32_t>{tsval, 0};
  return s;
}

// "ack A: start:end ..." relative to the peer's ISN, per packet.
Lines acks(const Outbox& o) {
  Lines v;
  for (const Packet& p : o.packets) {
    std::string s = fmt::format("ack {}", p.tcp.ack.raw() - kPeerIss);
    if (!p.tcp.payload.empty()) s += fmt::format(" len {}", p.tcp.payload.size());
    for (const netsim::SackBlock& b : p.tcp.options.sack)
      s += fmt::format(" {}:{}", b.left.raw() - kPeerIss, b.right.raw() - kPeerIss);
    v.push_back(s);
  }
  return v;
}

}  // namespace

// tcp_data_queue(): a segment wholly below rcv_nxt whose end is rcv_nxt passes tcp_sequence()
// (end >= rcv_wup) and is a duplicate: D-SACK [seq, end), ACK at once; the block is sent
// once (tcp_options_write() clears rx_opt.dsack).
TEST_CASE("A duplicate at rcv_nxt: D-SACK of its range on an immediate ACK, sent once") {
  Harness h(sack_profile(false));
  establish(h, false);
  h.recv(at(30_ms), data(1, 100, false));
  h.recv(at(30_ms), data(1, 100, false));
  CHECK(acks(h.out) == Lines{"ack 101 1:101"});
  h.recv(at(40_ms), data(101, 100, false));  // quick-ack mode: ACKed at once, no D-SACK
  CHECK(acks(h.out) == Lines{"ack 201"});
}

// tcp_validate_incoming() -> tcp_send_dupack(): a segment ending before rcv_wup fails
// tcp_sequence(); its old data is a D-SACK [seq, min(end, rcv_nxt)).
TEST_CASE("An old segment outside the window: tcp_send_dupack() reports it as a D-SACK") {
  Harness h(sack_profile(false));
  establish(h, false);
  h.recv(at(30_ms), data(1, 300, false));
  h.recv(at(300_ms), data(101, 100, false));
  CHECK(acks(h.out) == Lines{"ack 301 101:201"});
}

// RFC 2883 §4.1.3 / tcp_data_queue() "Partial packet, seq < rcv_next < end_seq": the old head
// [seq, rcv_nxt) is the D-SACK, the new tail is accepted.
TEST_CASE("A segment straddling rcv_nxt: D-SACK of its old head, the tail accepted") {
  Harness h(sack_profile(false));
  establish(h, false);
  h.recv(at(30_ms), data(1, 100, false));
  h.recv(at(30_ms), data(51, 100, false));
  CHECK(acks(h.out) == Lines{"ack 151 51:101"});
}

// tcp_data_queue_ofo(): data already held out of order is a D-SACK of the overlap
// (TCPDSACKOfoSent), first; the ordinary blocks follow, the one it touched moved to slot 0.
TEST_CASE("A duplicate of held out-of-order data: D-SACK first, then the SACK blocks") {
  Harness h(sack_profile(false));
  establish(h, false);
  h.recv(at(30_ms), data(101, 100, false));
  h.recv(at(30_ms), data(301, 100, false));
  CHECK(acks(h.out) == Lines{"ack 1 301:401 101:201"});
  h.recv(at(31_ms), data(151, 100, false));  // 151:201 held already, 201:251 new
  CHECK(acks(h.out) == Lines{"ack 1 151:201 101:251 301:401"});
  h.recv(at(32_ms), data(351, 10, false));  // wholly held
  CHECK(acks(h.out) == Lines{"ack 1 351:361 301:401 101:251"});
}

// tcp_ofo_queue(): a retransmission filling the hole that also covers held data: the overlap
// is a D-SACK (dsack_high = rcv_nxt after the new data); the queue empties, so no SACK block.
TEST_CASE("A hole fill overlapping held data: D-SACK of the overlap, no SACK block left") {
  Harness h(sack_profile(false));
  establish(h, false);
  h.recv(at(30_ms), data(101, 100, false));
  h.recv(at(31_ms), data(1, 150, false));
  CHECK(acks(h.out) == Lines{"ack 201 101:151"});
}

// With timestamps the option space leaves 3 blocks (tcp_established_options()): the D-SACK and
// the two most recent blocks.
TEST_CASE("With timestamps: the D-SACK and the two most recently changed blocks") {
  Harness h(sack_profile(true));
  establish(h, true);
  for (uint32_t off : {101u, 301u, 501u})
    h.recv(at(30_ms), data(off, 100, true));
  CHECK(acks(h.out) == Lines{"ack 1 501:601 301:401 101:201"});
  h.recv(at(31_ms), data(301, 50, true));
  CHECK(acks(h.out) == Lines{"ack 1 301:351 301:401 501:601"});
}

// tcp_sack_new_ofo_skb(): new blocks enter slot 0 and the rest shift, so the wire order is by
// recency, not by sequence; a fifth block pushes the oldest out (TCP_NUM_SACKS 4) even though
// its data stays queued.
TEST_CASE("SACK blocks go most recent first, at most 4 remembered") {
  Harness h(sack_profile(false));
  establish(h, false);
  for (uint32_t off : {501u, 301u, 101u, 701u})
    h.recv(at(30_ms), data(off, 10, false));
  CHECK(acks(h.out) == Lines{"ack 1 701:711 101:111 301:311 501:511"});
  h.recv(at(31_ms), data(901, 10, false));
  CHECK(acks(h.out) == Lines{"ack 1 901:911 701:711 101:111 301:311"});
  // Extending 501:511 (forgotten) makes a new block: it is not merged with what is queued.
  h.recv(at(32_ms), data(511, 10, false));
  CHECK(acks(h.out) == Lines{"ack 1 511:521 901:911 701:711 101:111"});
}

// tcp_dsack 0: no D-SACK, the SACK blocks alone (RFC 2018 only).
TEST_CASE("tcp_dsack 0: duplicates are ACKed without a D-SACK block") {
  Harness h(sack_profile(false, false));
  establish(h, false);
  h.recv(at(30_ms), data(101, 100, false));
  h.recv(at(31_ms), data(101, 100, false));
  CHECK(acks(h.out) == Lines{"ack 1 101:201"});
  h.recv(at(32_ms), data(1, 100, false));
  h.recv(at(33_ms), data(1, 100, false));
  CHECK(acks(h.out) == Lines{"ack 201"});
}

// tcp_current_mss(): a data segment sent while SACK blocks are pending carries them and gives
// up their bytes: 1460 - (4 + 8) with one block, 1448 - (4 + 8) = 1436 beside timestamps.
TEST_CASE("Data segments carrying SACK blocks are shorter by the option bytes") {
  Harness h(sack_profile(false));
  establish(h, false);
  h.recv(at(30_ms), data(101, 100, false));
  h.send(at(31_ms), bytes(3000));
  CHECK(acks(h.out) ==
        Lines{"ack 1 len 1448 101:201", "ack 1 len 1448 101:201", "ack 1 len 104 101:201"});
  Harness t(sack_profile(true));
  establish(t, true);
  t.recv(at(30_ms), data(101, 100, true));
  t.send(at(31_ms), bytes(3000));
  CHECK(acks(t.out) ==
        Lines{"ack 1 len 1436 101:201", "ack 1 len 1436 101:201", "ack 1 len 128 101:201"});
}

// tcp_fin() purges the out-of-order queue and calls tcp_sack_reset(): no blocks after it.
TEST_CASE("The peer's FIN drops the blocks with the out-of-order queue") {
  Harness h(sack_profile(false));
  establish(h, false);
  h.recv(at(30_ms), data(301, 100, false));
  Segment fin = data(1, 100, false);
  fin.flags = TcpFlags(ACK | FIN);
  fin.payload = Payload::from_string(bytes(100));
  h.recv(at(31_ms), fin);
  h.fire();
  REQUIRE(!h.out.packets.empty());
  CHECK(acks(h.out).back() == "ack 102");
}
