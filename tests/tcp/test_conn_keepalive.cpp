// Keepalive (linux-tcp-facts.md §9, tcp_keepalive_timer()): idle measured from the last
// segment received, probes with SND.UNA - 1, count reset by any ACK, no probe while data is in
// flight, RST+ACK and ETIMEDOUT when the probes run out.

#include "test_conn_harness.hpp"

using namespace conntest;

namespace {
SocketOptions keepalive(Duration idle, Duration interval, int probes) {
  SocketOptions o;
  o.keepalive.enabled = true;
  o.keepalive.idle = idle;
  o.keepalive.interval = interval;
  o.keepalive.probes = probes;
  return o;
}
}  // namespace

TEST_CASE("Keepalive 2 s / 1 s / 3: probes at 2, 3, 4 s after the last segment, RST at 5 s") {
  Harness h(Profile{}, keepalive(2_s, 1_s, 3));
  established(h);  // the SYN-ACK, the last segment received, came at 10 ms
  CHECK(h.deadline() == at(2010_ms));
  CHECK(h.fire() == Lines{". seq 1000 ack 5001 win 64240"});
  CHECK(h.timers() == Lines{"keepalive 1: probe 1 of 3, seq 1000"});
  CHECK(h.fire() == Lines{". seq 1000 ack 5001 win 64240"});
  CHECK(h.now == at(3010_ms));
  CHECK(h.fire() == Lines{". seq 1000 ack 5001 win 64240"});
  CHECK(h.now == at(4010_ms));
  CHECK(h.fire() == Lines{"R. seq 1001 ack 5001 win 64240"});
  CHECK(h.now == at(5010_ms));
  CHECK(h.timers() == Lines{"keepalive 3: 3 probes unanswered: RST, ETIMEDOUT"});
  CHECK(h.notices() == Lines{"error ETIMEDOUT", "closed"});
  CHECK(h.transitions() == Lines{"ESTABLISHED -> CLOSED (keepalive probes exhausted)"});
  CHECK(h.counters.keepalive_probes_sent == 3);
  CHECK(h.counters.rst_sent == 1);
}

TEST_CASE("An answer to a probe resets the probe count and the idle time") {
  Harness h(Profile{}, keepalive(2_s, 1_s, 3));
  established(h);
  h.fire();  // probe 1 at 2.01 s
  CHECK(h.recv(at(2020_ms), ACK, kPeerIss + 1, kIss + 1).empty());
  // The timer still fires at 3.01 s but finds the connection idle only 0.99 s: it re-arms
  // for 2 s after the answer, silently.
  CHECK(h.fire().empty());
  CHECK(h.timers().empty());
  CHECK(h.deadline() == at(4020_ms));
  CHECK(h.fire().size() == 1);
  CHECK(h.timers() == Lines{"keepalive 1: probe 1 of 3, seq 1000"});
}

TEST_CASE("Idle counts from the last segment received, not the last one sent") {
  Harness h(Profile{}, keepalive(2_s, 1_s, 3));
  established(h);
  h.recv(at(1_s), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "hi");
  h.send(at(1500_ms), "sent, not received");  // our own traffic does not count
  h.recv(at(1510_ms), ACK, kPeerIss + 3, kIss + 19);
  CHECK(h.fire().empty());  // 2.01 s: idle only 0.5 s since the ACK at 1.51 s
  CHECK(h.deadline() == at(3510_ms));
  CHECK(h.fire().size() == 1);
}

TEST_CASE("No keepalive probe while data is in flight: the RTO deals with it") {
  Harness h(Profile{}, keepalive(2_s, 1_s, 3));
  established(h);
  h.send(at(1900_ms), "x");
  CHECK(h.deadline() == at(2010_ms));
  CHECK(h.fire().empty());
  CHECK(h.deadline() == at(2112_ms));  // the RTO (212 ms); keepalive re-armed for 4.01 s
  CHECK(h.fire() == Lines{"P. seq 1001:1002 ack 5001 win 64240 rtx 1"});
}

TEST_CASE("Keepalive uses the profile's defaults when only enabled, and is off by default") {
  SocketOptions o;
  o.keepalive.enabled = true;
  Harness h(Profile{}, o);
  established(h);
  CHECK(h.deadline() == at(10_ms + 2_h));
  Harness off;
  established(off);
  CHECK_FALSE(off.deadline().has_value());
}

TEST_CASE("Enabling keepalive later arms it one idle period after the latest call") {
  Harness h;
  established(h);
  h.recv(at(1_s), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "hi");
  h.c().set_options(at(1_s), keepalive(2_s, 1_s, 3));
  CHECK(h.deadline() == at(3_s));
  SocketOptions off;
  h.c().set_options(at(1_s), off);
  CHECK_FALSE(h.deadline().has_value());
  // Later, it arms from then; a shorter idle counts the time already idle.
  h.c().set_options(at(5_s), keepalive(10_s, 1_s, 3));
  CHECK(h.deadline() == at(15_s));
  h.c().set_options(at(6_s), keepalive(7_s, 1_s, 3));
  CHECK(h.deadline() == at(8_s));  // idle since 1 s: 7 s after that
}

TEST_CASE("A keepalive probe from the peer is answered by an ACK") {
  Harness h;
  established(h);
  CHECK(h.recv(at(1_s), ACK, kPeerIss, kIss + 1).size() == 1);
  CHECK(describe(h.out.packets[0]) == ". seq 1001 ack 5001 win 64240");
}

TEST_CASE("No keepalive in SYN_SENT or TIME_WAIT") {
  Harness h(Profile{}, keepalive(2_s, 1_s, 3));
  syn_sent(h);
  CHECK(h.deadline() == at(1_s));  // only the SYN timer
  Harness t(Profile{}, keepalive(2_s, 1_s, 3));
  time_wait(t);
  CHECK(t.deadline() == at(60120_ms));
}
