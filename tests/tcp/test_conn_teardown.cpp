// Closing: FIN_WAIT_1/2, CLOSING, TIME_WAIT (60 s, restarted by a retransmitted FIN, killed by
// a RST), CLOSE_WAIT/LAST_ACK, half-close, the orphaned FIN_WAIT_2 timeout, RSTs on close with
// unread data, abort, data after close, and the errors a received RST reports
// (linux-tcp-facts.md §7, §8).

#include "test_conn_harness.hpp"

using namespace conntest;

// ---- active close ----

TEST_CASE("close() sends FIN, its ACK leads to FIN_WAIT_2, the peer's FIN to TIME_WAIT") {
  Harness h;
  fin_wait_1(h);
  CHECK(h.transitions() == Lines{"ESTABLISHED -> FIN_WAIT_1 (close)"});
  CHECK(h.deadline() == at(312_ms));  // the FIN's RTO (212 ms)
  CHECK(h.c().orphaned());
  h.recv(at(110_ms), ACK, kPeerIss + 1, kIss + 2);
  CHECK(h.transitions() == Lines{"FIN_WAIT_1 -> FIN_WAIT_2 (rcv ACK of FIN)"});
  h.recv(at(120_ms), FIN | ACK, kPeerIss + 1, kIss + 2);
  CHECK(h.transitions() == Lines{"FIN_WAIT_2 -> TIME_WAIT (rcv FIN)"});
  CHECK(h.notices().empty());  // an orphan hears nothing but `closed`
}

TEST_CASE("TIME_WAIT lasts exactly 60 s and then releases the connection silently") {
  Harness h;
  time_wait(h);
  CHECK(h.deadline() == at(60120_ms));
  CHECK(h.fire().empty());
  CHECK(h.now == at(60120_ms));
  CHECK(h.transitions() == Lines{"TIME_WAIT -> CLOSED (TIME_WAIT expired)"});
  CHECK(h.timers() == Lines{"time_wait 1: TIME_WAIT over"});
  CHECK(h.notices() == Lines{"closed"});
  CHECK(h.c().released());
}

TEST_CASE("A retransmitted FIN in TIME_WAIT is ACKed every time and restarts the 60 s") {
  Harness h;
  time_wait(h);
  CHECK(h.recv(at(30_s), FIN | ACK, kPeerIss + 1, kIss + 2) ==
        Lines{". seq 1002 ack 5002 win 64239"});
  CHECK(h.deadline() == at(90_s));
  CHECK(h.recv(at(30100_ms), FIN | ACK, kPeerIss + 1, kIss + 2).size() == 1);  // not rate limited
  CHECK(h.deadline() == at(90100_ms));
  CHECK(h.fire().empty());
  CHECK(h.state() == State::closed);
}

TEST_CASE("TIME_WAIT: a bare in-window ACK restarts the timer without a reply") {
  Harness h;
  time_wait(h);
  CHECK(h.recv(at(10_s), ACK, kPeerIss + 2, kIss + 2).empty());
  CHECK(h.deadline() == at(70_s));
}

TEST_CASE("TIME_WAIT: a RST at RCV.NXT kills it (tcp_rfc1337 = 0), others are ignored") {
  Harness h;
  time_wait(h);
  CHECK(h.recv(at(1_s), RST, kPeerIss + 10, 0).empty());
  CHECK(h.state() == State::time_wait);
  CHECK(h.recv(at(2_s), RST, kPeerIss + 2, 0).empty());
  CHECK(h.transitions() == Lines{"TIME_WAIT -> CLOSED (rcv RST)"});
  CHECK(h.notices() == Lines{"closed"});
}

TEST_CASE("TIME_WAIT: a SYN above RCV.NXT may reuse the 4-tuple, otherwise it is ACKed") {
  Harness h;
  time_wait(h);
  Segment newer = peer_seg(SYN, kPeerIss + 100000, 0);
  Segment older = peer_seg(SYN, kPeerIss, 0);
  Segment with_ack = peer_seg(SYN | ACK, kPeerIss + 100000, 7);
  CHECK(h.c().syn_may_reuse(newer, at(1_s)));
  CHECK_FALSE(h.c().syn_may_reuse(older, at(1_s)));
  CHECK_FALSE(h.c().syn_may_reuse(with_ack, at(1_s)));
  // Delivered anyway (no listener): ACKed, the timer is not restarted by an ACK-less SYN.
  CHECK(h.recv(at(1_s), newer) == Lines{". seq 1002 ack 5002 win 64239"});
  CHECK(h.deadline() == at(60120_ms));
  Harness e;
  established(e);
  CHECK_FALSE(e.c().syn_may_reuse(newer, at(1_s)));
}

TEST_CASE("Simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT") {
  Harness h;
  closing(h);
  CHECK(h.transitions() == Lines{"FIN_WAIT_1 -> CLOSING (rcv FIN)"});
  CHECK(h.deadline() == at(312_ms));  // our FIN is still unacknowledged
  CHECK(h.recv(at(120_ms), ACK, kPeerIss + 2, kIss + 2).empty());
  CHECK(h.transitions() == Lines{"CLOSING -> TIME_WAIT (rcv ACK of FIN)"});
  CHECK(h.deadline() == at(60120_ms));
}

TEST_CASE("A FIN that also acknowledges our FIN goes from FIN_WAIT_1 straight to TIME_WAIT") {
  Harness h;
  fin_wait_1(h);
  CHECK(h.recv(at(110_ms), FIN | ACK, kPeerIss + 1, kIss + 2) ==
        Lines{". seq 1002 ack 5002 win 64239"});
  CHECK(h.transitions() == Lines{"FIN_WAIT_1 -> TIME_WAIT (rcv FIN+ACK)"});
}

TEST_CASE("An unacknowledged FIN is retransmitted, an orphan gives up after orphan_retries") {
  Harness h;
  fin_wait_1(h);
  CHECK(h.fire() == Lines{"F. seq 1001 ack 5001 win 64240 rtx 1"});
  int retransmissions = 1;
  while (h.state() != State::closed) {
    retransmissions += static_cast<int>(h.fire().size());
  }
  // tcp_model_timeout(8, 200 ms) = 102.2 s from the FIN at 0.1 s: the 9th expiry, 212 ms *
  // (2^9 - 1) = 108.332 s after it, at 108.432 s (the 8th, 54.06 s after it, is inside).
  CHECK(retransmissions == 8);
  CHECK(h.now == at(108432_ms));
  CHECK(h.notices() == Lines{"closed"});
  CHECK(h.transitions() == Lines{"FIN_WAIT_1 -> CLOSED (RTO expired)"});
}

TEST_CASE("The FIN rides on the last data segment, which Nagle no longer holds") {
  Harness h;
  established(h);
  h.send(at(20_ms), bytes(100));
  CHECK(h.send(at(21_ms), bytes(10)).empty());  // Nagle holds it
  CHECK(h.close(at(22_ms)) == Lines{"FP. seq 1101:1111 ack 5001 win 64240"});
  CHECK(h.state() == State::fin_wait_1);
  // With the window full, the FIN waits behind the data.
  Harness g;
  syn_sent(g);
  g.recv(at(10_ms), syn_ack(1000));
  CHECK(g.send(at(20_ms), bytes(1000)).size() == 1);
  CHECK(g.close(at(21_ms)).empty());
  CHECK(g.recv(at(30_ms), ACK, kPeerIss + 1, 2001, 1000) ==
        Lines{"F. seq 2001 ack 5001 win 64240"});
}

// ---- FIN_WAIT_2 ----

TEST_CASE("An orphaned FIN_WAIT_2 ends after fin_timeout without sending anything") {
  Harness h;
  fin_wait_2(h);
  CHECK(h.deadline() == at(60110_ms));
  CHECK(h.fire().empty());
  CHECK(h.transitions() == Lines{"FIN_WAIT_2 -> CLOSED (FIN_WAIT_2 timeout)"});
  CHECK(h.timers() == Lines{"fin_wait_2 1: orphaned FIN_WAIT_2 timed out"});
  CHECK(h.notices() == Lines{"closed"});
}

TEST_CASE("fin_timeout is honoured but never below 3.5 RTO") {
  Profile p;
  p.fin_timeout = 5_s;
  Harness h(p);
  fin_wait_2(h);
  CHECK(h.deadline() == at(5110_ms));
  Profile q;
  q.fin_timeout = 100_ms;
  Harness g(q);
  fin_wait_2(g);
  CHECK(g.deadline() == at(110_ms + 744_ms));  // (53 << 2) - (53 >> 1) = 186 jiffies
}

TEST_CASE("An orphaned FIN_WAIT_2 answers new data with a RST and dies, its peer's FIN ends it") {
  Harness h;
  fin_wait_2(h);
  CHECK(h.recv(at(200_ms), PSH | ACK, kPeerIss + 1, kIss + 2, 65535, "late") ==
        Lines{"R seq 1002 win 0"});
  CHECK(h.transitions() == Lines{"FIN_WAIT_2 -> CLOSED (rcv data after close)"});
  Harness g;
  fin_wait_2(g);
  CHECK(g.recv(at(200_ms), FIN | ACK, kPeerIss + 1, kIss + 2) ==
        Lines{". seq 1002 ack 5002 win 64239"});
  CHECK(g.state() == State::time_wait);
  CHECK(g.deadline() == at(60200_ms));
}

TEST_CASE(
    "shutdown(SHUT_WR): half-close, EPIPE on send, data keeps arriving, no FIN_WAIT_2 timer") {
  Harness h;
  established(h);
  CHECK(h.shutdown(at(100_ms)) == Lines{"F. seq 1001 ack 5001 win 64240"});
  CHECK(h.transitions() == Lines{"ESTABLISHED -> FIN_WAIT_1 (shutdown)"});
  CHECK_FALSE(h.c().orphaned());
  CHECK(h.send(at(105_ms), "more").empty());
  CHECK(h.last_error == SocketError::epipe);
  h.recv(at(110_ms), ACK, kPeerIss + 1, kIss + 2);
  CHECK(h.state() == State::fin_wait_2);
  CHECK_FALSE(h.deadline().has_value());  // waits for the peer indefinitely
  CHECK(h.recv(at(1_h), PSH | ACK, kPeerIss + 1, kIss + 2, 65535, "reply") ==
        Lines{". seq 1002 ack 5006 win 64235"});
  CHECK(h.notices() == Lines{"data 5"});
  CHECK(h.recv(at(1_h + 1_s), FIN | ACK, kPeerIss + 6, kIss + 2) ==
        Lines{". seq 1002 ack 5007 win 64234"});
  CHECK(h.notices() == Lines{"eof"});
  CHECK(h.state() == State::time_wait);
}

// ---- passive close ----

TEST_CASE("The peer's FIN: CLOSE_WAIT with EOF, the ACK is delayed by ato (0 without data)") {
  Harness h;
  close_wait(h);
  CHECK(h.transitions() == Lines{"ESTABLISHED -> CLOSE_WAIT (rcv FIN)"});
  CHECK(h.notices() == Lines{"eof"});
  CHECK(h.deadline() == at(100_ms));
  CHECK(h.fire() == Lines{". seq 1001 ack 5002 win 64239"});
}

TEST_CASE("After data the ACK of a FIN waits 40 ms (ping-pong), so a quick close sends FIN+ACK") {
  Harness h;
  established(h);
  h.recv(at(20_ms), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "bye");
  CHECK(h.recv(at(30_ms), FIN | ACK, kPeerIss + 4, kIss + 1).empty());
  CHECK(h.deadline() == at(70_ms));
  CHECK(h.close(at(31_ms)) == Lines{"F. seq 1001 ack 5005 win 64236"});
}

TEST_CASE("LAST_ACK ends with the ACK of our FIN, CLOSE_WAIT can still send") {
  Harness h;
  close_wait(h);
  CHECK(h.send(at(100_ms), "last words") == Lines{"P. seq 1001:1011 ack 5002 win 64239"});
  CHECK(h.close(at(100_ms)) == Lines{"F. seq 1011 ack 5002 win 64239"});
  CHECK(h.transitions() == Lines{"CLOSE_WAIT -> LAST_ACK (close)"});
  CHECK(h.recv(at(110_ms), ACK, kPeerIss + 2, 1011).empty());
  CHECK(h.state() == State::last_ack);
  CHECK(h.recv(at(111_ms), ACK, kPeerIss + 2, 1012).empty());
  CHECK(h.transitions() == Lines{"LAST_ACK -> CLOSED (rcv ACK of FIN)"});
  CHECK(h.notices() == Lines{"closed"});
}

TEST_CASE("A retransmitted FIN in CLOSE_WAIT is ACKed at once") {
  Harness h;
  close_wait(h);
  h.fire();
  CHECK(h.recv(at(300_ms), FIN | ACK, kPeerIss + 1, kIss + 1) ==
        Lines{". seq 1001 ack 5002 win 64239"});
}

// ---- RSTs sent ----

TEST_CASE("close() with unread data sends RST+ACK instead of FIN (RFC 2525 2.17)") {
  SocketOptions o;
  o.auto_read = false;
  Harness h(Profile{}, o);
  established(h);
  h.recv(at(20_ms), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "abc");
  CHECK(h.close(at(30_ms)) == Lines{"R. seq 1001 ack 5004 win 64237"});
  CHECK(h.transitions() == Lines{"ESTABLISHED -> CLOSED (close)"});
  CHECK(h.notices() == Lines{"closed"});
  CHECK(h.counters.rst_sent == 1);
}

TEST_CASE("abort() and close() with SO_LINGER 0 send RST+ACK, from SYN_SENT nothing") {
  Harness h;
  established(h);
  CHECK(h.abort(at(30_ms)) == Lines{"R. seq 1001 ack 5001 win 64240"});
  CHECK(h.transitions() == Lines{"ESTABLISHED -> CLOSED (abort)"});
  CHECK(h.notices() == Lines{"closed"});
  SocketOptions o;
  o.linger_zero = true;
  Harness g(Profile{}, o);
  established(g);
  CHECK(g.close(at(30_ms)) == Lines{"R. seq 1001 ack 5001 win 64240"});
  Harness s;
  syn_sent(s);
  CHECK(s.abort(at(30_ms)).empty());
  CHECK(s.state() == State::closed);
  Harness t;
  time_wait(t);
  CHECK(t.abort(at(1_s)).empty());
}

TEST_CASE("Data arriving after close() is answered by a RST with seq = its ACK and kills it") {
  Harness h;
  fin_wait_1(h);
  CHECK(h.recv(at(110_ms), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "late") ==
        Lines{"R seq 1001 win 0"});
  CHECK(h.transitions() == Lines{"FIN_WAIT_1 -> CLOSED (rcv data after close)"});
  CHECK(h.notices() == Lines{"closed"});
  CHECK(h.counters.rst_sent == 1);
}

// ---- RSTs received ----

TEST_CASE("A RST reports ECONNRESET in ESTABLISHED and FIN_WAIT_2, EPIPE in CLOSE_WAIT") {
  Harness e;
  established(e);
  e.recv(at(20_ms), RST, kPeerIss + 1, 0);
  CHECK(e.notices() == Lines{"error ECONNRESET", "closed"});
  Harness c;
  close_wait(c);
  c.recv(at(200_ms), RST, kPeerIss + 2, 0);
  CHECK(c.notices() == Lines{"error EPIPE", "closed"});
  Harness f;
  established(f);
  f.shutdown(at(100_ms));
  f.recv(at(110_ms), ACK, kPeerIss + 1, kIss + 2);
  f.recv(at(120_ms), RST, kPeerIss + 1, 0);
  CHECK(f.notices() == Lines{"error ECONNRESET", "closed"});
  CHECK(f.transitions() == Lines{"FIN_WAIT_2 -> CLOSED (rcv RST)"});
}

TEST_CASE("After the peer's FIN a RST at RCV.NXT - 1 is accepted too (tcp_reset_check())") {
  Harness h;
  close_wait(h);
  h.recv(at(200_ms), RST, kPeerIss + 1, 0);
  CHECK(h.state() == State::closed);
}

TEST_CASE("An orphan hears no error from a RST: only closed") {
  Harness h;
  fin_wait_1(h);
  CHECK(h.recv(at(110_ms), RST, kPeerIss + 1, 0).empty());
  CHECK(h.notices() == Lines{"closed"});
  CHECK(h.transitions() == Lines{"FIN_WAIT_1 -> CLOSED (rcv RST)"});
}

TEST_CASE("RST in CLOSING and LAST_ACK closes the connection") {
  Harness h;
  closing(h);
  h.recv(at(120_ms), RST, kPeerIss + 2, 0);
  CHECK(h.transitions() == Lines{"CLOSING -> CLOSED (rcv RST)"});
  Harness g;
  last_ack(g);
  g.recv(at(120_ms), RST, kPeerIss + 2, 0);
  CHECK(g.transitions() == Lines{"LAST_ACK -> CLOSED (rcv RST)"});
}
