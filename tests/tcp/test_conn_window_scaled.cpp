// Zero windows and window probes with window scaling on (issue 13 item 2): the receiver's window
// field closes to 0 at its shift and reopens after a read (__tcp_cleanup_rbuf()); the sender
// probes a scaled zero window (tcp_probe_timer(), tcp_write_wakeup()) and resumes when it opens.

#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

Profile ws_profile() {
  Profile p;
  p.window_scaling = true;
  return p;
}

// ESTABLISHED with both shifts: ours 7 (tcp_rmem[2] 6 MiB), the peer's `peer_shift`.
void establish_scaled(Harness& h, uint8_t peer_shift, uint16_t peer_win) {
  h.connect(at(0_ms));
  Segment sa = syn_ack(peer_win);
  sa.options.window_scale = peer_shift;
  h.recv(at(10_ms), sa);
  REQUIRE(h.state() == State::established);
}

}  // namespace

// The sender: a zero window (any shift) stops data; the probe timer fires after the RTO
// (212 ms) with a bare ACK at snd_una - 1 (our window 131072 >> 7). The answer opens
// 100 << 2 = 400 bytes, less than the queued 1000-byte segment: tcp_snd_wnd_test() keeps it,
// and tcp_ack_probe() re-arms the probe timer from this ACK with the backed-off 424 ms; it then
// sends the 400 bytes that fit (tcp_write_wakeup()).
TEST_CASE("A scaled zero window is probed and the data resumes at the scaled size") {
  Harness h(ws_profile());
  establish_scaled(h, 2, 1000);
  h.recv(at(20_ms), ACK, kPeerIss + 1, kIss + 1, 0);
  CHECK(h.send(at(30_ms), bytes(1000)).empty());
  CHECK(h.deadline() == at(242_ms));
  CHECK(h.fire() == Lines{". seq 1000 ack 5001 win 502"});
  CHECK(h.recv(at(250_ms), ACK, kPeerIss + 1, kIss + 1, 100).empty());
  CHECK(h.deadline() == at(674_ms));
  CHECK(h.fire() == Lines{"P. seq 1001:1401 ack 5001 win 502"});  // tcp_write_wakeup(): PSH
}

// The receiver: with the application not reading, the buffer (tcp_rmem[1] 131072) fills: each
// 1024-byte segment costs a 2048-byte buffer (scaling ratio 128), so 65536 bytes fill it; the
// field falls to 0 at shift 7 once the peer has used the promised edge; a probe is answered with
// 0; reading everything sends the update at once (the new window, rcv_ssthresh 64088 -> 501, is
// at least twice the old).
TEST_CASE("A receiver's scaled window closes to 0 and a read reopens it") {
  SocketOptions o;
  o.auto_read = false;
  Harness h(ws_profile(), o);
  establish_scaled(h, 0, 65535);
  uint32_t seq = kPeerIss + 1;
  uint16_t last_win = 0xffff;
  for (int i = 0; i < 200 && last_win != 0; ++i) {
    h.recv(at(20_ms), ACK, seq, kIss + 1, 65535, bytes(1024));
    seq += 1024;
    for (const Packet& p : h.out.packets)
      last_win = p.tcp.window;
    if (h.out.packets.empty()) {
      h.fire();
      for (const Packet& p : h.out.packets)
        last_win = p.tcp.window;
    }
  }
  CHECK(last_win == 0);
  CHECK(seq - (kPeerIss + 1) == 65536);
  // A zero-window probe (one old byte) is answered with the zero window.
  CHECK(h.recv(at(500_ms), ACK, seq - 1, kIss + 1, 65535) ==
        Lines{fmt::format(". seq 1001 ack {} win 0", seq)});
  Payload got = h.read(at(600_ms), 131072);
  CHECK(got.size() == 65536);
  CHECK(h.out.packets.size() == 1);
  CHECK(h.out.packets[0].tcp.window == 501);
}
