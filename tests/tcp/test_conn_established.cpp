// ESTABLISHED: sending (segmentation, initial window, Nagle/Minshall, PSH), receiving
// (quick ACKs, delayed ACK, every-second-segment rule, reassembly), flow control (receive
// window, zero-window probing) and the RFC 5961 checks of RFC 9293 §3.10.7.4 steps 1-5.

#include "test_conn_harness.hpp"

using namespace conntest;

namespace {
Profile no_quickack() {
  Profile p;
  p.quickacks = 0;
  return p;
}
}  // namespace

// ---- sending ----

// An active opener's pacing rate comes from the SYN-ACK (tcp_rcv_synsent_state_process() ->
// tcp_ack() -> tcp_cong_control() -> tcp_update_pacing_rate()), computed before tcp_sync_mss()
// and tcp_finish_connect(): 2 x TCP_INIT_CWND x the connect-time mss_cache / srtt, where that
// mss_cache is the route's MSS clamped by TCP_MSS_DEFAULT (536) or TCP_MAXSEG, less 12 when
// the tcp_timestamps sysctl offers them (whatever the peer answers). The first
// flight's GSO packets are tcp_tso_autosize(): rate >> 10 plus GSO_MAX_SIZE >> (min_rtt >> 9),
// in segments, at most the half-cwnd quota of tcp_cwnd_test().
TEST_CASE("A client's first flight is cut at the pacing rate its SYN-ACK set") {
  SECTION("3 ms, no TCP_MAXSEG: pieces of three") {
    // 2 * 10 * 524 B / 3 ms = 3493333 B/s: 3411 + 65536 >> 5 = 5459 bytes, three segments.
    Harness h;
    syn_sent(h);
    REQUIRE(h.recv(at(3_ms), syn_ack()) == Lines{". seq 1001 ack 5001 win 64240"});
    CHECK(h.send(at(10_ms), bytes(14600)) ==
          Lines{". seq 1001:2461 ack 5001 win 64240", ". seq 2461:3921 ack 5001 win 64240",
                "P. seq 3921:5381 ack 5001 win 64240", ". seq 5381:6841 ack 5001 win 64240",
                ". seq 6841:8301 ack 5001 win 64240", "P. seq 8301:9761 ack 5001 win 64240",
                ". seq 9761:11221 ack 5001 win 64240", ". seq 11221:12681 ack 5001 win 64240",
                "P. seq 12681:14141 ack 5001 win 64240", "P. seq 14141:15601 ack 5001 win 64240"});
  }
  SECTION("3 ms, TCP_MAXSEG 1460: the half-cwnd quota, pieces of five") {
    // The clamp is 1460, mss_cache 1448: 9653333 B/s, 9427 + 2048 = 11475 bytes, seven
    // segments; cwnd 10 allows five a packet.
    SocketOptions o;
    o.maxseg = 1460;
    Harness h(Profile{}, o);
    syn_sent(h);
    REQUIRE(h.recv(at(3_ms), syn_ack()) == Lines{". seq 1001 ack 5001 win 64240"});
    Lines l = h.send(at(10_ms), bytes(14600));
    REQUIRE(l.size() == 10);
    CHECK(l[3] == ". seq 5381:6841 ack 5001 win 64240");
    CHECK(l[4] == "P. seq 6841:8301 ack 5001 win 64240");
    CHECK(l[5] == ". seq 8301:9761 ack 5001 win 64240");
    CHECK(l[9] == "P. seq 14141:15601 ack 5001 win 64240");
  }
  SECTION("10 ms, written in SYN_SENT: pieces of two from the SYN-ACK on") {
    // The write made the sender before the SYN-ACK (its send-buffer chrono); the SYN-ACK's
    // tcp_ack() sets the rate all the same: 2 * 10 * 524 B / 10 ms, pieces of two.
    Harness h;
    syn_sent(h);
    REQUIRE(h.send(at(5_ms), bytes(14600)).empty());
    Lines l = h.recv(at(10_ms), syn_ack());
    REQUIRE(l.size() == 10);
    for (size_t i = 0; i < l.size(); ++i) {
      const uint32_t seq = 1001 + static_cast<uint32_t>(i) * 1460;
      CHECK(l[i] == std::string(i % 2 == 1 ? "P." : ".") + " seq " + std::to_string(seq) + ":" +
                        std::to_string(seq + 1460) + " ack 5001 win 64240");
    }
  }
}

TEST_CASE("Data goes out at once with PSH on the last segment and is acknowledged") {
  Harness h;
  established(h);
  CHECK(h.send(at(20_ms), "hello") == Lines{"P. seq 1001:1006 ack 5001 win 64240"});
  CHECK(h.deadline() == at(232_ms));
  CHECK(h.recv(at(30_ms), ACK, kPeerIss + 1, kIss + 6).empty());
  CHECK_FALSE(h.deadline().has_value());
  CHECK(h.c().stats().bytes_sent == 5);
}

TEST_CASE("A large write is cut at the MSS and limited to an initial window of 10 segments") {
  Harness h;
  established(h);
  Lines l = h.send(at(20_ms), bytes(20000));
  REQUIRE(l.size() == 10);
  // Five GSO packets of two, PSH on each packet's last segment (__tcp_transmit_skb()): the
  // SYN-ACK's tcp_ack() set the pacing rate from its 10 ms RTT with TCP_INIT_CWND and the
  // connect-time mss_cache (TCP_MSS_DEFAULT less the timestamps the sysctl offers, though the
  // peer declined them): 2 * 10 * 524 B / 10 ms = 1048000 B/s, whose 1 ms is less than a
  // segment, so tcp_tso_autosize() gives tcp_min_tso_segs (2).
  for (size_t i = 0; i < l.size(); ++i) {
    const uint32_t seq = 1001 + static_cast<uint32_t>(i) * 1460;
    CHECK(l[i] == std::string(i % 2 == 1 ? "P." : ".") + " seq " + std::to_string(seq) + ":" +
                      std::to_string(seq + 1460) + " ack 5001 win 64240");
  }
  // An ACK of two segments in slow start opens the window by two more: four segments go, as
  // two-segment packets (tcp_tso_autosize() at this pacing rate gives tcp_min_tso_segs).
  l = h.recv(at(40_ms), ACK, kPeerIss + 1, 1001 + 2 * 1460);
  CHECK(l == Lines{". seq 15601:17061 ack 5001 win 64240", "P. seq 17061:18521 ack 5001 win 64240",
                   ". seq 18521:19981 ack 5001 win 64240",
                   "P. seq 19981:21001 ack 5001 win 64240"});
}

TEST_CASE("The peer's window limits what is in flight") {
  Harness h;
  syn_sent(h);
  h.recv(at(10_ms), syn_ack(3000));
  Lines l = h.send(at(20_ms), bytes(5000));
  // Two full segments fit in 3000 bytes; the third would not (tcp_snd_wnd_test()). PSH is
  // forced once more than half the peer's largest window went without one.
  CHECK(l == Lines{". seq 1001:2461 ack 5001 win 64240", "P. seq 2461:3921 ack 5001 win 64240"});
  l = h.recv(at(30_ms), ACK, kPeerIss + 1, 3921, 3000);
  CHECK(l == Lines{". seq 3921:5381 ack 5001 win 64240", "P. seq 5381:6001 ack 5001 win 64240"});
}

TEST_CASE("Nagle (Minshall): a small segment waits while another small one is unacknowledged") {
  Harness h;
  established(h);
  CHECK(h.send(at(20_ms), "a") == Lines{"P. seq 1001:1002 ack 5001 win 64240"});
  CHECK(h.send(at(21_ms), "b").empty());
  CHECK(h.send(at(22_ms), "c").empty());
  CHECK(h.recv(at(30_ms), ACK, kPeerIss + 1, 1002) == Lines{"P. seq 1002:1004 ack 5001 win 64240"});
}

TEST_CASE("Nagle (Minshall): a small tail after full segments goes at once") {
  Harness h;
  established(h);
  CHECK(h.send(at(20_ms), bytes(1470)) ==
        Lines{". seq 1001:2461 ack 5001 win 64240", "P. seq 2461:2471 ack 5001 win 64240"});
}

TEST_CASE("send() after the connection ended fails with EPIPE") {
  Harness h;
  established(h);
  h.recv(at(20_ms), RST, kPeerIss + 1, 0);
  h.send(at(30_ms), "x");
  CHECK(h.last_error == SocketError::epipe);
}

// ---- receiving and the delayed ACK ----

TEST_CASE("The first data segments are ACKed at once (quick-ack mode)") {
  Harness h;
  established(h);
  CHECK(h.recv(at(20_ms), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "abc") ==
        Lines{". seq 1001 ack 5004 win 64237"});
  CHECK(h.notices() == Lines{"data 3"});
  CHECK(h.received() == "abc");
  CHECK(h.c().stats().bytes_received == 3);
}

TEST_CASE("After the quick ACKs a lone segment is ACKed after the 40 ms delayed-ACK timeout") {
  Harness h(no_quickack());
  established(h);
  CHECK(h.recv(at(20_ms), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "abc").empty());
  CHECK(h.deadline() == at(60_ms));
  CHECK(h.fire() == Lines{". seq 1001 ack 5004 win 64237"});
  CHECK(h.timers() == Lines{"delayed_ack 1: ack 5004"});
  // The RTT is short (10 ms), so the next delay stays at the 40 ms minimum.
  CHECK(h.recv(at(200_ms), PSH | ACK, 5004, kIss + 1, 65535, "def").empty());
  CHECK(h.deadline() == at(240_ms));
}

TEST_CASE("With the default profile the 17th segment is the first one delayed") {
  Harness h;
  established(h);
  uint32_t seq = kPeerIss + 1;
  for (int i = 0; i < 16; ++i) {
    INFO("segment " << i);
    CHECK(h.recv(at(20_ms + Duration::milliseconds(i * 100)), PSH | ACK, seq, kIss + 1, 65535,
                 "0123456789")
              .size() == 1);
    seq += 10;
  }
  CHECK(h.recv(at(1620_ms), PSH | ACK, seq, kIss + 1, 65535, "0123456789").empty());
  CHECK(h.deadline() == at(1660_ms));
  h.fire();
  // A silence longer than the RTO re-enters quick-ack mode (tcp_event_data_recv()).
  CHECK(h.recv(at(3_s), PSH | ACK, seq + 10, kIss + 1, 65535, "0123456789").size() == 1);
}

// While the receive window opens, each full segment is ACKed at once (tcp_grow_window():
// quick |= 1): rcv_ssthresh 64088 + 2920 per segment reaches the room left, (131072 - 2048) *
// 182 >> 8 = 91728 (ratio 1460 * 256 / 2048), on the 10th. From then on, every second one.
TEST_CASE("Every second full-sized segment is ACKed at once") {
  Harness h(no_quickack());
  established(h);
  uint32_t seq = kPeerIss + 1;
  for (int i = 0; i < 10; ++i, seq += 1460) {
    INFO("segment " << i);
    CHECK(h.recv(at(20_ms), ACK, seq, kIss + 1, 65535, bytes(1460)).size() == 1);
  }
  CHECK(h.recv(at(20_ms), ACK, seq, kIss + 1, 65535, bytes(1460)).empty());
  seq += 1460;
  CHECK(h.recv(at(21_ms), ACK, seq, kIss + 1, 65535, bytes(1460)) ==
        Lines{". seq 1001 ack 22521 win 65535"});
  seq += 1460;
  CHECK_FALSE(h.deadline().has_value());  // the pending delayed ACK went with it
  CHECK(h.recv(at(22_ms), ACK, seq, kIss + 1, 65535, bytes(1460)).empty());
  CHECK(h.recv(at(23_ms), ACK, seq + 1460, kIss + 1, 65535, bytes(1460)).size() == 1);
}

TEST_CASE("Our data carries the pending ACK (piggybacking)") {
  Harness h(no_quickack());
  established(h);
  CHECK(h.recv(at(20_ms), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "ping").empty());
  CHECK(h.send(at(21_ms), "pong") == Lines{"P. seq 1001:1005 ack 5005 win 64236"});
  CHECK(h.deadline() == at(233_ms));  // only the RTO is left
}

TEST_CASE("Out-of-order data is ACKed at once and reassembled when the hole fills") {
  Harness h(no_quickack());
  established(h);
  CHECK(h.recv(at(20_ms), PSH | ACK, 5004, kIss + 1, 65535, "def") ==
        Lines{". seq 1001 ack 5001 win 64240"});
  CHECK(h.notices().empty());
  CHECK(h.recv(at(21_ms), PSH | ACK, 5010, kIss + 1, 65535, "jkl") ==
        Lines{". seq 1001 ack 5001 win 64240"});
  // Fills the first hole only: delivered up to 5007, still out of order, so ACKed at once.
  CHECK(h.recv(at(22_ms), PSH | ACK, 5001, kIss + 1, 65535, "abc") ==
        Lines{". seq 1001 ack 5007 win 64234"});
  CHECK(h.received() == "abcdef");
  // Overlapping retransmission filling the last hole (RFC 5681 4.2: ACK at once).
  CHECK(h.recv(at(23_ms), PSH | ACK, 5005, kIss + 1, 65535, "efghi") ==
        Lines{". seq 1001 ack 5013 win 64228"});
  CHECK(h.received() == "abcdefghijkl");
}

TEST_CASE("A FIN behind a hole waits for the hole") {
  Harness h(no_quickack());
  established(h);
  CHECK(h.recv(at(20_ms), FIN | PSH | ACK, 5004, kIss + 1, 65535, "def").size() == 1);
  CHECK(h.state() == State::established);
  CHECK(h.recv(at(21_ms), PSH | ACK, 5001, kIss + 1, 65535, "abc") ==
        Lines{". seq 1001 ack 5008 win 64233"});
  CHECK(h.notices() == Lines{"data 3", "data 3", "eof"});
  CHECK(h.state() == State::close_wait);
}

TEST_CASE("Old duplicates and data beyond the window are answered by an immediate ACK") {
  Harness h(no_quickack());
  established(h);
  h.recv(at(20_ms), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "abc");
  h.fire();
  CHECK(h.recv(at(100_ms), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "abc") ==
        Lines{". seq 1001 ack 5004 win 64237"});
  CHECK(h.recv(at(101_ms), PSH | ACK, 5004 + 65535, kIss + 1, 65535, "zz") ==
        Lines{". seq 1001 ack 5004 win 64237"});
  CHECK(h.received() == "abc");
}

// ---- the receive window ----

// A 4096-byte buffer (tcp_rmem[1]): the SYN offers its window share 2048 rounded down to the
// MSS, 1460. The first full segment re-measures the scaling ratio (1460 * 256 / 2048 = 182) and,
// unread, leaves (4096 - 2053) * 182 >> 8 = 1452 free: below half the buffer's window (2912)
// and below one MSS, so __tcp_select_window() wants 0, and the segment used the whole promise.
TEST_CASE("Without auto_read the window closes as data waits and a read reopens it") {
  Profile p;
  p.rmem.def = 4096;
  SocketOptions o;
  o.auto_read = false;
  Harness h(p, o);
  REQUIRE(h.connect(at(0_ms)) == Lines{"S seq 1000 win 1460 mss 1460"});
  REQUIRE(h.recv(at(10_ms), syn_ack()) == Lines{". seq 1001 ack 5001 win 1460"});
  // Quick ACKs: window / (2 * rcv_mss) = 1 of them (tcp_incr_quickack()).
  CHECK(h.recv(at(20_ms), ACK, 5001, kIss + 1, 65535, bytes(1460, 'a')) ==
        Lines{". seq 1001 ack 6461 win 0"});
  CHECK(h.notices() == Lines{"data 0"});
  // Data beyond a zero window is refused and answered at once.
  CHECK(h.recv(at(21_ms), ACK, 6461, kIss + 1, 65535, bytes(1460, 'b')) ==
        Lines{". seq 1001 ack 6461 win 0"});
  CHECK(h.c().stats().bytes_received == 1460);
  CHECK(h.counters.TCPZeroWindowDrop == 1);
  // Freeing one byte leaves 1453 free, still below an MSS: no update (receiver SWS avoidance).
  CHECK(h.read(at(80_ms), 1).as_string_view() == "a");
  CHECK(h.out.packets.empty());
  // Ten more make it 1462, at least half the buffer's window: the window reopens at once
  // (__tcp_cleanup_rbuf(): the new window, rcv_ssthresh 1460, is at least twice 0).
  CHECK(h.read(at(81_ms), 10).size() == 10);
  CHECK(describe(h.out) == Lines{". seq 1001 ack 6461 win 1460"});
  Payload rest = h.read(at(82_ms), 10000);
  CHECK(rest.size() == 1449);
  CHECK(rest.as_string_view() == bytes(1449, 'a'));
}

TEST_CASE("Zero window: persist probes with SND.UNA - 1, exponential backoff, reopening") {
  Harness h;
  established(h);
  h.send(at(20_ms), bytes(100));
  CHECK(h.recv(at(30_ms), ACK, kPeerIss + 1, 1101, 0).empty());
  CHECK(h.send(at(40_ms), bytes(50)).empty());
  // One RTO (212 ms) after nothing could be sent.
  CHECK(h.deadline() == at(252_ms));
  CHECK(h.fire() == Lines{". seq 1100 ack 5001 win 64240"});
  CHECK(h.timers() == Lines{"persist 1: zero-window probe 1, backoff 1, next 424ms"});
  CHECK(h.deadline() == at(676_ms));
  // The peer answers with a zero window: the probe timer restarts from now.
  CHECK(h.recv(at(260_ms), ACK, kPeerIss + 1, 1101, 0).empty());
  CHECK(h.deadline() == at(684_ms));
  CHECK(h.fire() == Lines{". seq 1100 ack 5001 win 64240"});
  CHECK(h.timers() == Lines{"persist 1: zero-window probe 1, backoff 2, next 848ms"});
  // The window opens: the waiting data goes at once and probing stops.
  CHECK(h.recv(at(700_ms), ACK, kPeerIss + 1, 1101, 1000) ==
        Lines{"P. seq 1101:1151 ack 5001 win 64240"});
  CHECK(h.deadline() == at(912_ms));  // the RTO of that data
}

TEST_CASE("A window smaller than a segment is filled by the persist timer") {
  Harness h;
  established(h);
  h.send(at(20_ms), bytes(100));
  h.recv(at(30_ms), ACK, kPeerIss + 1, 1101, 300);
  CHECK(h.send(at(40_ms), bytes(2000)).empty());                    // a full segment does not fit
  CHECK(h.fire() == Lines{"P. seq 1101:1401 ack 5001 win 64240"});  // tcp_write_wakeup(): PSH
  CHECK(h.timers() == Lines{"persist 1: window open: send 300 bytes"});
}

TEST_CASE("Unanswered zero-window probes end the connection after retries2 of them") {
  Profile p;
  p.retries2 = 3;
  Harness h(p);
  established(h);
  h.send(at(20_ms), bytes(100));
  h.recv(at(30_ms), ACK, kPeerIss + 1, 1101, 0);
  h.send(at(40_ms), bytes(50));
  for (int i = 0; i < 3; ++i)
    CHECK(h.fire().size() == 1);
  CHECK(h.fire().empty());
  CHECK(h.notices() == Lines{"error ETIMEDOUT", "closed"});
  CHECK(h.transitions() == Lines{"ESTABLISHED -> CLOSED (zero-window probes exhausted)"});
}

// ---- RFC 5961 and the acceptability test ----

TEST_CASE("An in-window RST not at RCV.NXT draws one challenge ACK per 500 ms") {
  Harness h;
  established(h);
  CHECK(h.recv(at(20_ms), RST, kPeerIss + 100, 0) == Lines{". seq 1001 ack 5001 win 64240"});
  CHECK(h.counters.challenge_acks == 1);
  CHECK(h.state() == State::established);
  CHECK(h.recv(at(300_ms), RST, kPeerIss + 200, 0).empty());  // rate limited
  CHECK(h.recv(at(520_ms), RST, kPeerIss + 200, 0).size() == 1);
  CHECK(h.counters.challenge_acks == 2);
}

TEST_CASE("A RST exactly at RCV.NXT resets the connection with ECONNRESET") {
  Harness h;
  established(h);
  CHECK(h.recv(at(20_ms), RST | ACK, kPeerIss + 1, kIss + 1).empty());
  CHECK(h.notices() == Lines{"error ECONNRESET", "closed"});
  CHECK(h.transitions() == Lines{"ESTABLISHED -> CLOSED (rcv RST)"});
  CHECK(h.counters.rst_received == 1);
}

TEST_CASE("A RST outside the window is dropped silently") {
  Harness h;
  established(h);
  CHECK(h.recv(at(20_ms), RST, kPeerIss + 100000, 0).empty());
  CHECK(h.recv(at(21_ms), RST, kPeerIss - 10, 0).empty());
  CHECK(h.state() == State::established);
}

TEST_CASE("A SYN on an established connection draws a challenge ACK, whatever its sequence") {
  Harness h;
  established(h);
  CHECK(h.recv(at(20_ms), SYN, 9999, 0) == Lines{". seq 1001 ack 5001 win 64240"});
  CHECK(h.state() == State::established);
  CHECK(h.counters.challenge_acks == 1);
}

TEST_CASE("An ACK of unsent data is dropped in ESTABLISHED, one too old draws a challenge ACK") {
  Harness h;
  established(h);
  CHECK(h.recv(at(20_ms), PSH | ACK, kPeerIss + 1, kIss + 500, 65535, "zz").empty());
  CHECK(h.received().empty());
  CHECK(h.recv(at(21_ms), PSH | ACK, kPeerIss + 1, kIss - 70000, 65535, "zz") ==
        Lines{". seq 1001 ack 5001 win 64240"});
  CHECK(h.received().empty());
}

TEST_CASE("Out-of-window pure ACKs are answered at most every 500 ms, data always") {
  Harness h;
  established(h);
  CHECK(h.recv(at(20_ms), ACK, kPeerIss + 70000, kIss + 1).size() == 1);
  CHECK(h.recv(at(100_ms), ACK, kPeerIss + 70000, kIss + 1).empty());
  CHECK(h.recv(at(110_ms), ACK, kPeerIss + 70000, kIss + 1, 65535, "data").size() == 1);
  CHECK(h.recv(at(600_ms), ACK, kPeerIss + 70000, kIss + 1).size() == 1);
}

TEST_CASE("A segment without ACK is dropped in a synchronized state") {
  Harness h;
  established(h);
  CHECK(h.recv(at(20_ms), PSH, kPeerIss + 1, 0, 65535, "abc").empty());
  CHECK(h.received().empty());
}

// tcp_data_queue(): at a zero window a bare FIN at RCV.NXT is taken (it needs no memory), while
// a FIN carrying data is dropped with its data like any segment there.
TEST_CASE("At a zero window a bare FIN is accepted, a FIN with data is not") {
  Profile p;
  p.rmem.def = 4096;
  SocketOptions o;
  o.auto_read = false;
  Harness h(p, o);
  REQUIRE(h.connect(at(0_ms)) == Lines{"S seq 1000 win 1460 mss 1460"});
  REQUIRE(h.recv(at(10_ms), syn_ack()) == Lines{". seq 1001 ack 5001 win 1460"});
  REQUIRE(h.recv(at(20_ms), ACK, 5001, kIss + 1, 65535, bytes(1460, 'a')) ==
          Lines{". seq 1001 ack 6461 win 0"});
  CHECK(h.recv(at(21_ms), ACK | FIN, 6461, kIss + 1, 65535, bytes(10, 'b')) ==
        Lines{". seq 1001 ack 6461 win 0"});
  CHECK(h.c().state() == State::established);
  CHECK(h.counters.TCPZeroWindowDrop == 1);
  h.recv(at(22_ms), ACK | FIN, 6461, kIss + 1, 65535);
  CHECK(h.c().state() == State::close_wait);
  CHECK(h.counters.TCPZeroWindowDrop == 1);
}
