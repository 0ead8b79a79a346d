// The receive window as a Linux 6.12 receiver grows it (issue 13 item 2, docs/windows.md):
// rcv_ssthresh growth per in-order segment (tcp_grow_window()), the scaling ratio measured on the
// first full segment (tcp_measure_rcv_mss()), DRS (tcp_rcv_space_adjust()) paced by the
// receiver's RTT from TSecr (tcp_rcv_rtt_measure_ts()), and the tcp_info fields that show them.

#include "protocols/tcp/tcp_info.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

uint32_t tsval_at(Duration since_zero) {
  return static_cast<uint32_t>(since_zero.ns() / 1'000'000) + kTsOff;
}

// A passive connection whose SYN offered TS, SACK and wscale 7: the SYN-ACK offered 65160.
void accept_modern(Harness& h) {
  Handshake hs;
  hs.iss = SeqNum(kIss);
  hs.irs = SeqNum(kPeerIss);
  hs.peer_mss = 1460;
  hs.peer_window = 502;
  hs.syn_opts = kSynTs | kSynSack | kSynWs | (7 << 4);
  hs.ts_recent = 100;
  hs.ts_off = kTsOff;  // the listener's offset towards the peer
  h.accept(at(0_ms), hs);
  REQUIRE(h.state() == State::established);
}

// A full data segment from the peer, echoing our TSval of `echo`.
Segment data_seg(uint32_t off, Duration echo, uint32_t peer_ts) {
  Segment s = peer_seg(ACK, kPeerIss + 1 + off, kIss + 1, 502, bytes(1448));
  s.options.timestamps = std::pair<uint32_t, uint32_t>{peer_ts, tsval_at(echo)};
  return s;
}

uint16_t last_window(const Harness& h) {
  REQUIRE_FALSE(h.out.packets.empty());
  return h.out.packets.back().tcp.window;
}

}  // namespace

TEST_CASE("Component: a full 1448-byte segment measures ratio 181 and the clamp follows") {
  RcvWindowConfig cfg;
  RcvWindow w = rcv_window_from(synack_window(cfg, 131072, false, 1460, true, true), SeqNum(1));
  init_buffer_space(w, cfg, 131072, 1448);
  CHECK(rx_truesize(1448) == 2048);
  CHECK_FALSE(measure_scaling_ratio(w, 1448, 1448, 131072));  // len == rcv_mss: no measure
  CHECK_FALSE(measure_scaling_ratio(w, 100, 536, 131072));    // len < rcv_mss
  CHECK(measure_scaling_ratio(w, 1448, 536, 131072));
  CHECK(w.scaling_ratio == 181);   // 1448 * 256 / 2048
  CHECK(w.window_clamp == 92672);  // 131072 * 181 >> 8, without the tcp_app_win reserve
  CHECK(w.rcvq_space == 14480);
}

TEST_CASE("Component: DRS grows the buffer once per receiver RTT when the reader sped up") {
  RcvWindowConfig cfg;
  RcvWindow w;
  w.scaling_ratio = 181;
  w.window_clamp = 92672;
  RcvAutotune a;
  a.rcvbuf = 131072;
  a.space = 14480;
  a.space_time = at(0_ms);
  // No receiver RTT yet: nothing happens.
  CHECK_FALSE(rcv_space_adjust(a, w, cfg, 1448, 28960, 0, false, at(30_ms)));
  rcv_rtt_measure_ts(a, 1000, 20, 1448, 1448);  // TSecr 20 ms old: 8 x 20000 µs
  CHECK(a.rtt_us8 == 160000);
  rcv_rtt_measure_ts(a, 1000, 50, 1448, 1448);  // the same TSecr again: no sample
  CHECK(a.rtt_us8 == 160000);
  // Less than one RTT since the measurement began: wait.
  CHECK_FALSE(rcv_space_adjust(a, w, cfg, 1448, 28960, 0, false, at(19_ms)));
  // 28960 read in the RTT against 14480 before: rcvwin = 2 x 28960 + 16 x 1448 = 81088,
  // + 2 x 81088 x (28960 - 14480) / 14480 = 243264; buffer 243264 * 256 / 181 = 344064.
  CHECK(rcv_space_adjust(a, w, cfg, 1448, 28960, 0, false, at(20_ms)));
  CHECK(a.rcvbuf == 344064);
  CHECK(w.window_clamp == 243264);
  CHECK(a.space == 28960);
  CHECK(a.space_copied == 28960);
  // The same amount in the next RTT: no growth, the measurement restarts.
  CHECK_FALSE(rcv_space_adjust(a, w, cfg, 1448, 57920, 0, false, at(40_ms)));
  CHECK(a.rcvbuf == 344064);
  // SO_RCVBUF locks the buffer: the rate is measured, the buffer stays.
  CHECK_FALSE(rcv_space_adjust(a, w, cfg, 1448, 57920 + 200000, 0, true, at(60_ms)));
  CHECK(a.rcvbuf == 344064);
  CHECK(a.space == 200000);
  // tcp_rmem[2] bounds it.
  cfg.rmem[2] = 400000;
  CHECK(rcv_space_adjust(a, w, cfg, 1448, 57920 + 200000 + 900000, 0, false, at(80_ms)));
  CHECK(a.rcvbuf == 400000);
}

TEST_CASE("Component: without timestamps the receiver RTT is the minimum per window of data") {
  RcvAutotune a;
  rcv_rtt_measure(a, SeqNum(1000), 64000, at(0_ms));  // starts a sample ending at 65000
  CHECK(a.rtt_us8 == 0);
  rcv_rtt_measure(a, SeqNum(40000), 64000, at(10_ms));  // not yet a window later
  CHECK(a.rtt_us8 == 0);
  rcv_rtt_measure(a, SeqNum(65000), 64000, at(30_ms));
  CHECK(a.rtt_us8 == 30000 * 8);
  rcv_rtt_measure(a, SeqNum(129000), 64000, at(70_ms));  // 40 ms: larger, not taken (win_dep)
  CHECK(a.rtt_us8 == 30000 * 8);
}

// linux-tcp-facts-2 §2.3/§2.4: the passive side first keeps its SYN-ACK's 65160 (510 at shift
// 7); each full in-order segment then adds 2 x advmss = 2896 to rcv_ssthresh (64088 after the
// handshake) and is ACKed at once, until the room left: the clamp the first segment re-measured
// (131072 * 181 >> 8 = 92672) less the segment itself, still queued when Linux grows the window
// and sends the ACK (the reader runs after the softirq): 91224 -> 713.
TEST_CASE("A receiver's window opens by 2 x advmss per segment up to the measured clamp") {
  Harness h;
  accept_modern(h);
  std::vector<uint16_t> wins;
  for (uint32_t i = 0; i < 12; ++i) {
    h.recv(at(20_ms), data_seg(i * 1448, 0_ms, 200));
    REQUIRE(h.out.packets.size() == 1);  // quick |= 1: every segment is ACKed at once
    wins.push_back(last_window(h));
  }
  // 64088 + 2896 k aligned up to 128: 67072 -> 524, 69888 -> 546, ...; 91264 -> 713.
  CHECK(wins == std::vector<uint16_t>{524, 546, 569, 592, 614, 637, 660, 682, 705, 713, 713, 713});
  TcpInfo i = tcp_info(h.c(), at(20_ms));
  CHECK(i.rcv_ssthresh == 91224);
  CHECK(i.rcv_wnd == 91264);
  CHECK(i.rcv_space == 14480);
  CHECK(i.rcv_mss == 1448);
  CHECK(i.rcv_rtt == 20000);  // TSecr of time 0 at 20 ms
}

// One receiver RTT (20 ms, from TSecr) after the first measurement, the application has read
// more than rcvq_space (14480): DRS raises sk_rcvbuf and the clamp, and the window resumes its
// growth past 713.
TEST_CASE("DRS lets the window grow past the first clamp after a receiver RTT") {
  Harness h;
  accept_modern(h);
  uint32_t off = 0;
  for (int i = 0; i < 13; ++i, off += 1448)
    h.recv(at(20_ms), data_seg(off, 0_ms, 200));
  CHECK(last_window(h) == 713);
  // The first read at 20 ms started the measurement (1448 <= 14480). At 40 ms 13 x 1448 =
  // 18824 more were read: rcvwin = 2 x 18824 + 16 x 1448 = 60816, + 2 x 60816 x 4344 / 14480
  // = 97304; sk_rcvbuf 97304 * 256 / 181 = 137623, clamp 97301. With one segment queued the
  // room is (137623 - 2048) * 181 >> 8 = 95855 -> 95872, win 749.
  // Two segments grow it to that room (ACKed at once), then every second one is ACKed.
  for (int i = 0; i < 9; ++i, off += 1448)
    h.recv(at(40_ms), data_seg(off, 20_ms, 220));
  TcpInfo i = tcp_info(h.c(), at(40_ms));
  CHECK(i.rcv_space == 18824);
  CHECK(i.rcv_ssthresh == 95855);
  CHECK(last_window(h) == 749);
}

// SO_RCVBUF locks the buffer (tcp_rcv_space_adjust() leaves it) and, 65536 bytes held, leaves
// no shift (its window space 32768 is the clamp tcp_select_initial_window() scales for). The
// unscaled window is a multiple of 1448 and stops at the measured clamp less the queued
// segment: (65536 - 2048) * 181 >> 8 = 44888 = 31 x 1448.
TEST_CASE("With SO_RCVBUF the window never grows past the buffer's window share") {
  SocketOptions o;
  o.rcvbuf = sock_rcvbuf_from(32768);  // 65536 held
  Harness h(Profile{}, o);
  accept_modern(h);
  uint32_t off = 0;
  std::vector<uint16_t> wins;
  for (int i = 0; i < 40; ++i, off += 1448) {
    const Duration t = Duration::milliseconds(20 + 50 * i);
    h.recv(at(t), data_seg(off, t - 20_ms, 200));
    if (h.out.packets.empty()) h.fire();  // once it stops growing: the delayed ACK
    wins.push_back(last_window(h));
  }
  // 31320 + 2896 = 34216 -> 23 x 1448; then 37112 -> 25 x 1448, ...
  CHECK(wins[0] == 33304);
  CHECK(wins[1] == 36200);
  CHECK(wins.back() == 44888);
  CHECK(tcp_info(h.c(), at(100_ms)).rcv_wscale == 0);
}
