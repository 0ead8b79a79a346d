// Socket options with Linux's semantics (issue 13 item 6): TCP_NODELAY and TCP_CORK against
// Nagle (tcp_nagle_test(), __tcp_sock_set_nodelay(), __tcp_sock_set_cork()), TCP_USER_TIMEOUT
// (retransmits_timed_out(), tcp_clamp_rto_to_user_timeout()), TCP_MAXSEG (user_mss) and
// SO_RCVBUF / SO_SNDBUF (sk_setsockopt(): doubled, bounded, locked), set through
// Connection::set_option() or given in SocketOptions before connect().

#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

// set_option() at `t` through the harness's outbox; returns the segments it sent.
Lines set(Harness& h, Instant t, SockOpt o, int v, SocketError want = SocketError::none) {
  h.out.clear();
  h.now = t;
  CHECK(h.c().set_option(t, o, v, h.out) == want);
  return describe(h.out);
}

}  // namespace

// tcp_minshall_check(): a second small write waits while the first is unacknowledged;
// TCP_NODELAY pushes it at once (TCP_NAGLE_PUSH) and lets later small writes go.
TEST_CASE("TCP_NODELAY: the segment Nagle held goes at once, later small writes too") {
  Harness h;
  established(h);
  CHECK(h.send(at(20_ms), "aaa") == Lines{"P. seq 1001:1004 ack 5001 win 64240"});
  CHECK(h.send(at(21_ms), "bbb").empty());  // Nagle: 1001:1004 is small and unacknowledged
  CHECK(set(h, at(22_ms), SockOpt::tcp_nodelay, 1) == Lines{"P. seq 1004:1007 ack 5001 win 64240"});
  CHECK(h.send(at(23_ms), "ccc") == Lines{"P. seq 1007:1010 ack 5001 win 64240"});
  CHECK(h.c().get_option(SockOpt::tcp_nodelay) == 1);
  // Off again: Nagle holds the next small write.
  set(h, at(24_ms), SockOpt::tcp_nodelay, 0);
  CHECK(h.send(at(25_ms), "ddd").empty());
}

// tcp_nagle_check(): corked, every partial segment waits even with nothing in flight; full
// segments go; uncorking pushes the rest (__tcp_sock_set_cork()).
TEST_CASE("TCP_CORK: partial segments wait, full ones go, uncorking sends the rest") {
  Harness h;
  established(h);
  set(h, at(20_ms), SockOpt::tcp_cork, 1);
  CHECK(h.send(at(20_ms), bytes(100)).empty());
  CHECK(h.send(at(21_ms), bytes(1500)) == Lines{". seq 1001:2461 ack 5001 win 64240"});
  CHECK(set(h, at(22_ms), SockOpt::tcp_cork, 0) == Lines{"P. seq 2461:2601 ack 5001 win 64240"});
  CHECK(h.c().get_option(SockOpt::tcp_cork) == 0);
}

// tcp_check_probe_timer(): corked data with nothing in flight leaves when the probe timer
// fires, max(RTO, 200 ms) later (RTO 212 ms after the 10 ms handshake sample): the "200 ms
// cork" ceiling; tcp_write_wakeup() sends it.
TEST_CASE("TCP_CORK: with nothing in flight the held data leaves one probe timeout later") {
  Harness h;
  established(h);
  set(h, at(20_ms), SockOpt::tcp_cork, 1);
  CHECK(h.send(at(20_ms), bytes(100)).empty());
  CHECK(h.deadline() == at(232_ms));
  CHECK(h.fire() == Lines{"P. seq 1001:1101 ack 5001 win 64240"});
}

// TCP_NODELAY on a corked socket: the explicit push overrides the cork once; the next write
// is corked again (TCP_NAGLE_PUSH is cleared by tcp_skb_entail()).
TEST_CASE("TCP_NODELAY while corked pushes what is queued once") {
  Harness h;
  established(h);
  set(h, at(20_ms), SockOpt::tcp_cork, 1);
  CHECK(h.send(at(20_ms), bytes(100)).empty());
  CHECK(set(h, at(21_ms), SockOpt::tcp_nodelay, 1) == Lines{"P. seq 1001:1101 ack 5001 win 64240"});
  CHECK(h.send(at(22_ms), bytes(100)).empty());
}

// retransmits_timed_out() with icsk_user_timeout: the budget is the user timeout counted from
// retrans_stamp, the first retransmission (tcp_retransmit_skb() reads the skb's stamp after
// sending it); tcp_clamp_rto_to_user_timeout() ends the timer at that deadline (jiffies of
// 4 ms, rounded up). Send at 20 ms; RTOs at 232 and 656 ms (212, 424 ms); the next would be
// 1504 ms but is clamped to 656 + 576 (1000 - 424 ms left, 144 jiffies) = 1232 ms, where
// 1000 ms >= 1000 ms: ETIMEDOUT, no RST.
TEST_CASE("TCP_USER_TIMEOUT: the RTO is clamped to the deadline and the connection dies there") {
  Harness h;
  established(h);
  set(h, at(15_ms), SockOpt::tcp_user_timeout, 1000);
  h.send(at(20_ms), "x");
  CHECK(h.deadline() == at(232_ms));
  h.fire();
  CHECK(h.deadline() == at(656_ms));
  h.fire();
  CHECK(h.deadline() == at(1232_ms));
  CHECK(h.fire().empty());
  CHECK(h.transitions() == Lines{"ESTABLISHED -> CLOSED (RTO expired)"});
  CHECK(h.notices() == Lines{"error ETIMEDOUT", "closed"});
  CHECK(h.c().get_option(SockOpt::tcp_user_timeout) == 1000);
  set(h, at(2_s), SockOpt::tcp_user_timeout, -1, SocketError::einval);
}

// tcp_write_timeout() in SYN_SENT: TCP_USER_TIMEOUT bounds the SYN retries too (from the first
// SYN): SYN at 0, retransmission at 1 s, the 3 s timer clamped to 2 s, ETIMEDOUT there.
TEST_CASE("TCP_USER_TIMEOUT before connect() bounds the SYN retransmissions") {
  SocketOptions o;
  o.user_timeout_ms = 2000;
  Harness h(Profile{}, o);
  h.connect(at(0_ms));
  CHECK(h.fire() == Lines{"S seq 1000 win 64240 mss 1460 rtx 1"});
  CHECK(h.now == at(1_s));
  CHECK(h.deadline() == at(2_s));
  CHECK(h.fire().empty());
  CHECK(h.notices() == Lines{"error ETIMEDOUT", "closed"});
}

// tcp_keepalive_timer(): with TCP_USER_TIMEOUT the keepalive gives up once that long passed
// without an answer and at least one probe went, not after keepalive_probes probes.
TEST_CASE("TCP_USER_TIMEOUT ends keepalive probing after that much silence") {
  SocketOptions o;
  o.keepalive.enabled = true;
  o.keepalive.idle = 10_s;
  o.keepalive.interval = 5_s;
  o.user_timeout_ms = 12000;
  Harness h(Profile{}, o);
  established(h);
  CHECK(h.fire() == Lines{". seq 1000 ack 5001 win 64240"});  // probe 1 at 10.01 s
  CHECK(h.now == at(10010_ms));
  CHECK(h.fire() == Lines{"R. seq 1001 ack 5001 win 64240"});  // 15.01 s: 15 s silent >= 12 s
  CHECK(h.notices() == Lines{"error ETIMEDOUT", "closed"});
}

// tcp_connect_init(): user_mss clamps the SYN's MSS and the send MSS; getsockopt() reads
// mss_cache once connected. do_tcp_setsockopt() refuses values outside [88, 32767] but 0.
TEST_CASE("TCP_MAXSEG clamps the SYN's MSS option and the segments sent") {
  SocketOptions o;
  o.maxseg = 1000;
  Harness h(Profile{}, o);
  CHECK(h.connect(at(0_ms)) == Lines{"S seq 1000 win 65000 mss 1000"});
  h.recv(at(10_ms), syn_ack());
  CHECK(h.send(at(20_ms), bytes(1500)) ==
        Lines{". seq 1001:2001 ack 5001 win 65000", "P. seq 2001:2501 ack 5001 win 65000"});
  CHECK(h.c().get_option(SockOpt::tcp_maxseg) == 1000);
  set(h, at(30_ms), SockOpt::tcp_maxseg, 87, SocketError::einval);
  set(h, at(30_ms), SockOpt::tcp_maxseg, 32768, SocketError::einval);
  set(h, at(30_ms), SockOpt::tcp_maxseg, 0);
}

// sk_setsockopt() SO_RCVBUF: min(val, rmem_max) doubled, at least SOCK_MIN_RCVBUF; before
// connect() it clamps the SYN window (half the buffer, rounded down to the MSS: 8192 -> 7300)
// and, with window scaling, the shift (tcp_select_initial_window(): 0 for 8 KiB).
TEST_CASE("SO_RCVBUF before connect(): the SYN window and shift follow the locked buffer") {
  CHECK(sock_rcvbuf_from(8192) == 16384);
  CHECK(sock_rcvbuf_from(1) == 2304);
  CHECK(sock_rcvbuf_from(1 << 30) == 425984);
  CHECK(sock_rcvbuf_from(-1) == 425984);
  SocketOptions o;
  o.rcvbuf = sock_rcvbuf_from(8192);
  Profile p;
  p.window_scaling = true;
  Harness h(p, o);
  h.connect(at(0_ms));
  REQUIRE(h.out.packets.size() == 1);
  CHECK(h.out.packets[0].tcp.window == 7300);
  CHECK(h.out.packets[0].tcp.options.window_scale == std::optional<uint8_t>(0));
  CHECK(h.c().get_option(SockOpt::so_rcvbuf) == 16384);
  // The peer's data is bounded by the 8192-byte window space: the SYN's promised 7300 is kept
  // (the clamp 8192 - 1460 = 6732 rounds down to 12 x rcv_mss 536 = 6432, less than it).
  Segment sa = syn_ack();
  sa.options.window_scale = 7;
  h.recv(at(10_ms), sa);
  CHECK(h.out.packets[0].tcp.window == 7300);
}

// SO_SNDBUF: stored doubled (SOCK_MIN_SNDBUF 4608, wmem_max 212992); the default reads back
// the buffer in use: tcp_wmem[1], grown at ESTABLISHED to 2 * 10 * 4352 (tcp_sndbuf_expand()).
TEST_CASE("SO_SNDBUF is doubled and bounded, the default is the autotuned buffer") {
  Harness h;
  CHECK(h.c().get_option(SockOpt::so_sndbuf) == 16384);
  established(h);
  CHECK(h.c().get_option(SockOpt::so_sndbuf) == 87040);
  set(h, at(20_ms), SockOpt::so_sndbuf, 10000);
  CHECK(h.c().get_option(SockOpt::so_sndbuf) == 20000);
  set(h, at(20_ms), SockOpt::so_sndbuf, 100);
  CHECK(h.c().get_option(SockOpt::so_sndbuf) == 4608);
}

TEST_CASE("Socket option names as setsockopt() spells them") {
  for (SockOpt o : all_sockopts())
    CHECK(sockopt_from_name(to_string(o)) == o);
  CHECK(!sockopt_from_name("TCP_NOPUSH"));
  CHECK(to_string(SockOpt::so_rcvbuf) == "SO_RCVBUF");
}
