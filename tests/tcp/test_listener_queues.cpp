// Listen queues (linux-tcp-facts.md §5): one backlog bounds the SYN queue (full when qlen >
// backlog) and the accept queue (holds backlog + 1); the order of checks in tcp_conn_request()
// under syncookies 0, 1 and 2; accept-queue overflow with and without abort_on_overflow.

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "protocols/tcp/stack.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

struct Listening {
  explicit Listening(int syncookies, int backlog = 2, bool abort_on_overflow = false)
      : stack({kServerIp}, make_profile(syncookies, abort_on_overflow), Rng(3, "tcp:server")) {
    Outbox o;
    listener = stack.listen(kPort, backlog, {}, o).id;
  }
  static Profile make_profile(int syncookies, bool abort_on_overflow) {
    Profile p;
    p.syncookies = syncookies;
    p.abort_on_overflow = abort_on_overflow;
    return p;
  }
  Outbox deliver(Instant now, const Packet& p) {
    Outbox out;
    stack.on_packet(now, p, out);
    return out;
  }
  // SYN from client port 40000 + i; returns the answer (empty if dropped).
  Outbox syn(int i, Instant now = Instant::zero()) {
    return deliver(now, syn_from(static_cast<uint16_t>(40000 + i), 1000 + i));
  }
  Outbox ack(int i, SeqNum server_isn, Instant now = Instant::zero(), std::string_view data = {}) {
    return deliver(now, segment(client_addr(static_cast<uint16_t>(40000 + i)), server_addr(), kAck,
                                1001 + i, server_isn.raw() + 1, data));
  }
  Stack stack;
  SocketId listener = kNoSocket;
};

}  // namespace

TEST_CASE("Backlog 2 without cookies: three SYNs get SYN-ACKs, five are dropped") {
  Listening s(0);
  std::string who;
  for (int i = 0; i < 8; ++i) {
    Outbox out = s.syn(i);
    if (!out.packets.empty()) {
      who += "S";
      CHECK(out.packets[0].tcp.flags == TcpFlags(kSynAck));
    } else {
      REQUIRE(out.drops.size() == 1);
      CHECK(out.drops[0].reason == DropReason::syn_queue_full);
      who += "-";
    }
  }
  CHECK(who == "SSS-----");
  CHECK(s.stack.syn_queue_length(s.listener) == 3);
  const Counters& c = s.stack.counters();
  CHECK(c.syn_received == 8);
  CHECK(c.synack_sent == 3);
  CHECK(c.syn_queue_drops == 5);
  CHECK(c.syncookies_sent == 0);
  // Only the three requests retransmit, at 1 and 3 s (linux_synflood_nocookies.txt).
  std::vector<Timed> re = run_timers(s.stack, s.listener, at(4_s));
  CHECK(times_ms(re) == std::vector<int64_t>{1000, 1000, 1000, 3000, 3000, 3000});
}

TEST_CASE("Backlog 2 with syncookies 1: three requests, then five cookie SYN-ACKs") {
  Listening s(1);
  std::vector<SeqNum> isn;
  for (int i = 0; i < 8; ++i) {
    Outbox out = s.syn(i);
    REQUIRE(out.packets.size() == 1);
    CHECK(out.packets[0].tcp.flags == TcpFlags(kSynAck));
    CHECK(out.packets[0].tcp.ack == SeqNum(1001 + i));
    CHECK(out.drops.empty());
    isn.push_back(out.packets[0].tcp.seq);
  }
  CHECK(s.stack.syn_queue_length(s.listener) == 3);
  CHECK(s.stack.counters().syncookies_sent == 5);
  CHECK(s.stack.counters().synack_sent == 8);
  // Cookie SYN-ACKs are never retransmitted: at 1 s only the three requests resend.
  std::vector<Timed> re = run_timers(s.stack, s.listener, at_ms(1500));
  REQUIRE(re.size() == 3);
  for (int i = 0; i < 3; ++i)
    CHECK(re[i].p.tcp.seq == isn[i]);
  // Every client completes: three through the SYN queue, five through their cookies.
  for (int i = 0; i < 8; ++i) {
    Outbox out = s.ack(i, isn[i], at(2_s));
    REQUIRE(out.notices.size() >= 1);
    CHECK(out.notices[0].kind == AppNotice::Kind::accepted);
    Outbox a;
    REQUIRE(s.stack.accept(s.listener, a).has_value());  // keep the accept queue empty
  }
  CHECK(s.stack.counters().syncookies_ok == 5);
  CHECK(s.stack.syn_queue_length(s.listener) == 0);
  CHECK(s.stack.connection_count() == 8);
}

TEST_CASE("Backlog 2 with syncookies 2: every SYN gets a cookie and nothing is stored") {
  Listening s(2);
  for (int i = 0; i < 8; ++i) {
    Outbox out = s.syn(i);
    REQUIRE(out.packets.size() == 1);
    CHECK(out.touched.empty());
  }
  CHECK(s.stack.syn_queue_length(s.listener) == 0);
  CHECK(s.stack.next_deadline(s.listener) == std::nullopt);
  CHECK(s.stack.counters().syncookies_sent == 8);
  CHECK(s.stack.counters().syn_received == 8);
}

TEST_CASE(
    "The accept queue holds backlog + 1, a further final ACK is dropped and the request "
    "lingers") {
  Listening s(0);
  std::vector<SeqNum> isn(5);
  for (int i = 0; i < 3; ++i)
    isn[i] = s.syn(i).packets.at(0).tcp.seq;
  CHECK(s.ack(0, isn[0], at_ms(10)).notices.at(0).kind == AppNotice::Kind::accepted);
  isn[3] = s.syn(3, at_ms(20)).packets.at(0).tcp.seq;  // qlen 2 again: admitted
  s.ack(1, isn[1], at_ms(30));
  s.ack(2, isn[2], at_ms(30));
  CHECK(s.stack.accept_queue_length(s.listener) == 3);
  CHECK(s.stack.syn_queue_length(s.listener) == 1);

  Outbox full = s.ack(3, isn[3], at_ms(40));
  CHECK(full.packets.empty());
  CHECK(full.notices.empty());
  REQUIRE(full.drops.size() == 1);
  CHECK(full.drops[0].reason == DropReason::accept_queue_full);
  CHECK(s.stack.counters().accept_queue_drops == 1);
  CHECK(s.stack.syn_queue_length(s.listener) == 1);

  // A SYN meets the full accept queue too: dropped (ListenOverflows), whatever the cookies.
  Outbox syn = s.syn(4, at_ms(50));
  CHECK(syn.packets.empty());
  REQUIRE(syn.drops.size() == 1);
  CHECK(syn.drops[0].reason == DropReason::accept_queue_full);
  CHECK(s.stack.counters().accept_queue_drops == 2);

  // The acked request keeps resending its SYN-ACK (at 1.02 s: 1 s after its SYN at 20 ms).
  std::vector<Timed> re = run_timers(s.stack, s.listener, at_ms(1100));
  REQUIRE(re.size() == 1);
  CHECK(re[0].t == at_ms(1020));
  CHECK(re[0].p.tcp.seq == isn[3]);
  // Once the application accepts, the client's answer to that SYN-ACK finds room.
  Outbox a;
  REQUIRE(s.stack.accept(s.listener, a).has_value());
  Outbox ok = s.ack(3, isn[3], at_ms(1030));
  REQUIRE(ok.notices.size() == 1);
  CHECK(ok.notices[0].kind == AppNotice::Kind::accepted);
  CHECK(s.stack.state(ok.notices[0].child) == State::established);
  CHECK(s.stack.accept_queue_length(s.listener) == 3);
  CHECK(s.stack.syn_queue_length(s.listener) == 0);
}

TEST_CASE("With abort_on_overflow a final ACK to a full accept queue is reset") {
  Listening s(0, 1, true);  // backlog 1: the accept queue holds two
  SeqNum a = s.syn(0).packets.at(0).tcp.seq;
  SeqNum b = s.syn(1).packets.at(0).tcp.seq;
  s.ack(0, a, at_ms(10));
  SeqNum c = s.syn(2, at_ms(20)).packets.at(0).tcp.seq;
  s.ack(1, b, at_ms(30));
  CHECK(s.stack.accept_queue_length(s.listener) == 2);
  Outbox out = s.ack(2, c, at_ms(40));
  REQUIRE(out.packets.size() == 1);
  CHECK(format_tcpdump(out.packets[0]) ==
        fmt::format("10.0.0.2.20000 > 10.0.0.1.40002: Flags [R], seq {}, win 0, length 0",
                    c.raw() + 1));
  REQUIRE(out.drops.size() == 1);
  CHECK(out.drops[0].reason == DropReason::accept_queue_full);
  CHECK(s.stack.syn_queue_length(s.listener) == 0);
  CHECK(s.stack.next_deadline(s.listener) == std::nullopt);
  CHECK(s.stack.counters().accept_queue_drops == 1);
  CHECK(s.stack.connection_count() == 2);
}

TEST_CASE("Without cookies the last quarter of max_syn_backlog is never used") {
  Profile p;
  p.syncookies = 0;
  p.max_syn_backlog = 8;
  Stack st({kServerIp}, p, Rng(1, "t"));
  Outbox o;
  SocketId l = st.listen(kPort, 100, {}, o).id;
  int answered = 0;
  for (int i = 0; i < 10; ++i) {
    Outbox out;
    st.on_packet(at(0_s), syn_from(static_cast<uint16_t>(40000 + i)), out);
    answered += static_cast<int>(out.packets.size());
    if (out.packets.empty()) CHECK(out.drops.at(0).reason == DropReason::syn_queue_full);
  }
  // Dropped once max_syn_backlog - qlen < max_syn_backlog / 4, i.e. from qlen 7 on.
  CHECK(answered == 7);
  CHECK(st.syn_queue_length(l) == 7);
  CHECK(st.counters().syn_queue_drops == 3);
}

TEST_CASE("Under queue pressure old requests lose SYN-ACK retries (the young rule)") {
  Listening s(0, 16);
  for (int i = 0; i < 16; ++i)
    REQUIRE(s.syn(i).packets.size() == 1);
  // At 1 s every request is still young and resends. At 3 s none is young and 2 * qlen >
  // max(8, backlog): max retries fall to 2, all resend a second time (num_timeout 1 < 2).
  CHECK(run_timers(s.stack, s.listener, at(3_s)).size() == 32);
  // At 7 s the oldest die until the queue is no longer more than half full (qlen 8); the
  // other eight keep the normal five retries.
  std::vector<Timed> at7 = run_timers(s.stack, s.listener, at(7_s));
  CHECK(at7.size() == 8);
  CHECK(s.stack.syn_queue_length(s.listener) == 8);
  std::vector<Timed> rest = run_timers(s.stack, s.listener, at(100_s));
  CHECK(rest.size() == 16);
  CHECK(rest.back().t == at(31_s));
  CHECK(s.stack.syn_queue_length(s.listener) == 0);
}

TEST_CASE("A small SYN queue keeps every retry: no pruning below twice max(8, backlog)") {
  Listening s(0, 2);
  for (int i = 0; i < 3; ++i)
    s.syn(i);
  std::vector<Timed> re = run_timers(s.stack, s.listener, at(100_s));
  CHECK(re.size() == 15);
  CHECK(re.back().t == at(31_s));
}
