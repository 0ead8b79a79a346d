// Issue 13 step 2 with the switches on (tcp_timestamps, tcp_sack, tcp_window_scaling): the
// options of SYN and SYN-ACK and their negotiation, timestamps on every segment with the
// ts_recent rule, the 1448-byte MSS, scaled windows both ways; and with the switches off, no
// option but the MSS whatever the peer offers.

#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

// describe() plus the options as the text trace prints them (tcpdump's spelling).
Lines with_options(const Outbox& o) {
  Lines v;
  for (const Packet& p : o.packets) {
    std::string s = describe(p);
    if (s.find(" mss ") != std::string::npos) s = s.substr(0, s.find(" mss "));
    if (!p.tcp.options.empty()) s += " <" + p.tcp.options.to_string() + ">";
    v.push_back(s);
  }
  return v;
}

Profile modern(bool ts = true, bool sack = true, bool ws = true) {
  Profile p;
  p.timestamps = ts;
  p.sack = sack;
  p.window_scaling = ws;
  return p;
}

uint32_t tsval(Duration since_zero) {
  return static_cast<uint32_t>(since_zero.ns() / 1'000'000) + kTsOff;
}

Segment synack_with(TcpOptions o, uint16_t win = 65535) {
  Segment s = peer_seg(SYN | ACK, kPeerIss, kIss + 1, win);
  s.options = std::move(o);
  return s;
}

Segment with_ts(Segment s, uint32_t val, uint32_t ecr) {
  s.options.timestamps = std::pair<uint32_t, uint32_t>{val, ecr};
  return s;
}

}  // namespace

// tcp_syn_options(): MSS, then sackOK sharing its word with TS (TSecr 0), then nop,wscale; the
// shift from tcp_select_initial_window() with tcp_rmem[2] = 6 MiB is 7; the window unscaled.
TEST_CASE("A SYN offers every option its switches allow, in Linux's layout") {
  Harness h(modern());
  h.connect(at(5_ms));
  CHECK(with_options(h.out) ==
        Lines{fmt::format("S seq 1000 win 64240 <mss 1460,sackOK,TS val {} ecr 0,nop,wscale 7>",
                          tsval(5_ms))});
  Harness ts_only(modern(true, false, false));
  ts_only.connect(at(0_ms));
  CHECK(with_options(ts_only.out) ==
        Lines{fmt::format("S seq 1000 win 64240 <mss 1460,nop,nop,TS val {} ecr 0>", tsval(0_ms))});
  Harness sack_only(modern(false, true, false));
  sack_only.connect(at(0_ms));
  CHECK(with_options(sack_only.out) == Lines{"S seq 1000 win 64240 <mss 1460,nop,nop,sackOK>"});
}

// tcp_rcv_synsent_state_process(): timestamps count because both offered them: the ACK of the
// SYN-ACK carries nop,nop,TS with TSecr = the SYN-ACK's TSval (RFC 7323 §3.2), and data goes
// in 1460 - 12 = 1448-byte segments (tcp_sync_mss()). No wscale from the peer: both shifts 0.
TEST_CASE("Timestamps both offered: TS on every segment, TSecr the peer's TSval, MSS 1448") {
  Harness h(modern());
  h.connect(at(0_ms));
  TcpOptions o;
  o.mss = 1460;
  o.timestamps = std::pair<uint32_t, uint32_t>{7000, tsval(0_ms)};
  h.recv(at(20_ms), synack_with(o));
  CHECK(with_options(h.out) ==
        Lines{fmt::format(". seq 1001 ack 5001 win 64240 <nop,nop,TS val {} ecr 7000>",
                          tsval(20_ms))});
  h.send(at(30_ms), bytes(2000));
  CHECK(with_options(h.out) ==
        Lines{fmt::format(". seq 1001:2449 ack 5001 win 64240 <nop,nop,TS val {} ecr 7000>",
                          tsval(30_ms)),
              fmt::format("P. seq 2449:3001 ack 5001 win 64240 <nop,nop,TS val {} ecr 7000>",
                          tsval(30_ms))});
}

// tcp_replace_ts_recent(): only a segment starting at or before rcv_wup (what our last ACK
// acknowledged) updates ts_recent; an out-of-order one does not, nor an older TSval.
TEST_CASE("ts_recent follows in-order segments only, and never goes back") {
  Harness h(modern(true, false, false));
  h.connect(at(0_ms));
  TcpOptions o;
  o.mss = 1460;
  o.timestamps = std::pair<uint32_t, uint32_t>{7000, tsval(0_ms)};
  h.recv(at(20_ms), synack_with(o));
  // Out of order (seq 5101 > rcv_wup 5001): answered at once, echoing 7000 still.
  h.recv(at(30_ms), with_ts(peer_seg(ACK, kPeerIss + 101, kIss + 1, 65535, "late"), 7010, 0));
  CHECK(with_options(h.out) ==
        Lines{fmt::format(". seq 1001 ack 5001 win 64240 <nop,nop,TS val {} ecr 7000>",
                          tsval(30_ms))});
  // In order with a newer TSval: echoed.
  h.recv(at(40_ms),
         with_ts(peer_seg(ACK | PSH, kPeerIss + 1, kIss + 1, 65535, bytes(100)), 7020, 0));
  h.tick(at(40_ms) + 200_ms);
  h.send(at(300_ms), "x");
  CHECK(with_options(h.out) ==
        Lines{fmt::format("P. seq 1001:1002 ack 5105 win 64136 <nop,nop,TS val {} ecr 7020>",
                          tsval(300_ms))});
  // An in-order segment with an older TSval fails PAWS (tcp_paws_discard()): discarded (its
  // ACK of "x" too) and answered at once by a duplicate ACK that still echoes 7020.
  h.recv(at(310_ms), with_ts(peer_seg(ACK, kPeerIss + 105, kIss + 2, 65535, "y"), 6000, 0));
  CHECK(with_options(h.out) ==
        Lines{fmt::format(". seq 1002 ack 5105 win 64136 <nop,nop,TS val {} ecr 7020>",
                          tsval(310_ms))});
  CHECK(h.received().size() == 104);
}

// RFC 7323 §2.3: the SYN-ACK's window is unscaled, every later window field is shifted by the
// sender's wscale: the peer's 100 << 2 = 400 bytes hold 400 bytes; ours are >> 7, rounded up to
// the 128-byte unit (__tcp_select_window()): 131072 free bytes -> win 1024.
TEST_CASE("Window scaling both offered: the peer's windows << its shift, ours >> 7") {
  Harness h(modern(false, false, true));
  h.connect(at(0_ms));
  TcpOptions o;
  o.mss = 1460;
  o.window_scale = 2;
  h.recv(at(20_ms), synack_with(o));
  CHECK(with_options(h.out) == Lines{". seq 1001 ack 5001 win 502"});
  h.recv(at(21_ms), ACK, kPeerIss + 1, kIss + 1, 100);
  // 300 bytes fit in 400 (not in an unscaled 100).
  h.send(at(30_ms), bytes(300));
  CHECK(with_options(h.out) == Lines{"P. seq 1001:1301 ack 5001 win 502"});
}

// An option counts only if both sides offered it: with the switches off, a peer's full set
// changes nothing (no TS, 1460-byte segments, windows unscaled).
TEST_CASE("Switches off: the peer's options are ignored, as RFC 7323 and RFC 2018 require") {
  const Profile off = modern(false, false, false);
  Harness h(off);
  h.connect(at(0_ms));
  TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  o.timestamps = std::pair<uint32_t, uint32_t>{7000, 0};
  o.window_scale = 7;
  h.recv(at(20_ms), synack_with(o, 100));
  CHECK(with_options(h.out) == Lines{". seq 1001 ack 5001 win 64240"});
  // The SYN-ACK's window of 100 is unscaled either way: 100 bytes fit, the 101st waits.
  h.send(at(30_ms), bytes(101));
  CHECK(with_options(h.out).empty());
  Harness h2(off);
  h2.connect(at(0_ms));
  h2.recv(at(20_ms), synack_with(o, 100));
  h2.send(at(30_ms), bytes(100));
  CHECK(with_options(h2.out) == Lines{"P. seq 1001:1101 ack 5001 win 64240"});
}

// tcp_create_openreq_child(): the child of a request takes what the SYN offered (as the request
// kept it), echoes the final ACK's TSval and scales the final ACK's window by the SYN's shift.
TEST_CASE("A passive open takes the options its SYN offered") {
  Harness h(modern());
  Handshake hs;
  hs.iss = SeqNum(kIss);
  hs.irs = SeqNum(kPeerIss);
  hs.peer_mss = 1460;
  // << 8 = 2560 bytes: one GSO packet to the window's edge, 1448 + 1112 bytes, PSH on its end
  // (tcp_mss_split_point(): nothing small in flight, so Nagle keeps the short segment in).
  hs.peer_window = 10;
  hs.syn_opts = kSynTs | kSynSack | kSynWs | (8 << 4);
  hs.ts_recent = 9000;
  hs.ts_off = kTsOff;  // the listener's offset towards the peer
  h.accept(at(100_ms), hs);
  h.send(at(110_ms), bytes(3000));
  CHECK(with_options(h.out) ==
        Lines{fmt::format(". seq 1001:2449 ack 5001 win 510 <nop,nop,TS val {} ecr 9000>",
                          tsval(110_ms)),
              fmt::format("P. seq 2449:3561 ack 5001 win 510 <nop,nop,TS val {} ecr 9000>",
                          tsval(110_ms))});
}

// RFC 2018 §4 / tcp_established_options(): the block of the latest arrival first, then the
// others from the highest down, at most 4 (40 option bytes: 2 + 4 x 8 after nop,nop), or 3
// beside timestamps.
TEST_CASE("SACK blocks: the latest run first, at most 4 without timestamps, 3 with") {
  Harness h(modern(false, true, false));
  h.connect(at(0_ms));
  TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  h.recv(at(20_ms), synack_with(o));
  // Runs at +101, +201, +301, +401, +501 (10 bytes each, holes between); +301 last.
  for (uint32_t off : {101u, 201u, 401u, 501u, 301u})
    h.recv(at(30_ms), ACK, kPeerIss + off, kIss + 1, 65535, bytes(10));
  REQUIRE(h.out.packets.size() == 1);
  auto blocks = [](const Packet& p) {
    std::string s;
    for (const SackBlock& b : p.tcp.options.sack)
      s += fmt::format("{}:{} ", b.left.raw() - kPeerIss, b.right.raw() - kPeerIss);
    return s;
  };
  CHECK(blocks(h.out.packets[0]) == "301:311 501:511 401:411 201:211 ");
  Harness t(modern(true, true, false));
  t.connect(at(0_ms));
  o.timestamps = std::pair<uint32_t, uint32_t>{7000, 0};
  t.recv(at(20_ms), synack_with(o));
  for (uint32_t off : {101u, 201u, 401u, 501u, 301u})
    t.recv(at(30_ms), ACK, kPeerIss + off, kIss + 1, 65535, bytes(10));
  REQUIRE(t.out.packets.size() == 1);
  CHECK(blocks(t.out.packets[0]) == "301:311 501:511 401:411 ");
  // Filling the hole at rcv_nxt (and beyond) ends the blocks that are now in order; the latest
  // arrival's run stays first (tcp_sack_remove() keeps the order of the rest). The filler
  // carried again the held 101:111 and 201:211: tcp_ofo_queue() reports the first as a D-SACK
  // (tcp_dsack_extend() cannot join the second to it), which takes the first of the 3 places.
  t.recv(at(40_ms), ACK, kPeerIss + 1, kIss + 1, 65535, bytes(210));
  REQUIRE(t.out.packets.size() == 1);
  CHECK(t.out.packets[0].tcp.ack.raw() == kPeerIss + 211);
  CHECK(blocks(t.out.packets[0]) == "101:111 301:311 501:511 ");
}
