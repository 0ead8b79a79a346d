// The Stack without a simulator: RSTs for closed ports, the LISTEN rules, SYN-queue requests,
// the final ACK, SYN-ACK retransmission and ephemeral ports (linux-tcp-facts.md §4, §5, §8).

#include <catch2/catch.hpp>

#include "protocols/tcp/stack.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

struct Server {
  explicit Server(Profile p = Profile{}) : stack({kServerIp}, p, Rng(1, "tcp:server")) {
    stack.set_tracing(true);
  }
  SocketId listen(int backlog = 128, SocketOptions o = {}) {
    Outbox out;
    OpenResult r = stack.listen(kPort, backlog, o, out);
    REQUIRE(r.error == SocketError::none);
    return r.id;
  }
  Outbox deliver(Instant now, const Packet& p) {
    Outbox out;
    stack.on_packet(now, p, out);
    return out;
  }
  Stack stack;
};

}  // namespace

TEST_CASE("A SYN to a closed port is answered by RST+ACK with seq 0 and ack ISN+1") {
  Server s;
  Packet syn = syn_from(40000, 1000);
  Outbox out = s.deliver(at(0_s), syn);
  REQUIRE(out.packets.size() == 1);
  const Packet& rst = out.packets[0];
  CHECK(format_tcpdump(rst) ==
        "10.0.0.2.20000 > 10.0.0.1.40000: Flags [R.], seq 0, ack 1001, win 0, length 0");
  CHECK(rst.ttl == 64);
  REQUIRE(out.drops.size() == 1);
  CHECK(out.drops[0].reason == DropReason::no_listener);
  CHECK(out.drops[0].packet.tcp == syn.tcp);
  CHECK(out.drops[0].detail == "nothing listens on port 20000");
  CHECK(s.stack.counters().rst_sent == 1);
}

TEST_CASE("An ACK to a closed port is answered by a bare RST carrying its ack number") {
  Server s;
  Outbox out = s.deliver(at(0_s), segment(client_addr(40000), server_addr(), kAck, 1001, 5000));
  REQUIRE(out.packets.size() == 1);
  CHECK(format_tcpdump(out.packets[0]) ==
        "10.0.0.2.20000 > 10.0.0.1.40000: Flags [R], seq 5000, win 0, length 0");
}

TEST_CASE("RSTs to closed ports count SYN, FIN and payload in their ack") {
  Server s;
  SECTION("data without ACK") {
    Outbox out = s.deliver(at(0_s), segment(client_addr(40000), server_addr(), TcpFlags::PSH, 1000,
                                            0, "Hello,server!"));
    REQUIRE(out.packets.size() == 1);
    CHECK(out.packets[0].tcp.flags == TcpFlags(kRstAck));
    CHECK(out.packets[0].tcp.seq == SeqNum(0));
    CHECK(out.packets[0].tcp.ack == SeqNum(1013));
  }
  SECTION("FIN without ACK") {
    Outbox out =
        s.deliver(at(0_s), segment(client_addr(40000), server_addr(), TcpFlags::FIN, 1000));
    REQUIRE(out.packets.size() == 1);
    CHECK(out.packets[0].tcp.ack == SeqNum(1001));
  }
  SECTION("SYN+FIN with payload") {
    Outbox out = s.deliver(at(0_s), segment(client_addr(40000), server_addr(),
                                            TcpFlags::SYN | TcpFlags::FIN, 1000, 0, "abc"));
    REQUIRE(out.packets.size() == 1);
    CHECK(out.packets[0].tcp.ack == SeqNum(1005));
  }
  SECTION("FIN+ACK with data: seq is the ack number, no ACK flag") {
    Outbox out = s.deliver(at(0_s), segment(client_addr(40000), server_addr(),
                                            TcpFlags::FIN | TcpFlags::ACK, 1000, 777, "abc"));
    REQUIRE(out.packets.size() == 1);
    CHECK(out.packets[0].tcp.flags == TcpFlags(kRst));
    CHECK(out.packets[0].tcp.seq == SeqNum(777));
    CHECK(out.packets[0].tcp.ack == SeqNum(0));
  }
}

TEST_CASE("A RST to a closed port is never answered") {
  Server s;
  for (uint8_t f : {kRst, kRstAck}) {
    Outbox out = s.deliver(at(0_s), segment(client_addr(40000), server_addr(), f, 1000, 5));
    CHECK(out.packets.empty());
    REQUIRE(out.drops.size() == 1);
    CHECK(out.drops[0].reason == DropReason::no_listener);
  }
  CHECK(s.stack.counters().rst_sent == 0);
}

TEST_CASE("A LISTEN socket resets ACKs and SYN-ACKs and ignores RST, SYN+FIN and flagless") {
  Server s;
  s.listen();
  SocketAddr c = client_addr(40000);
  Outbox ack = s.deliver(at(0_s), segment(c, server_addr(), kAck, 1001, 5000));
  REQUIRE(ack.packets.size() == 1);
  CHECK(format_tcpdump(ack.packets[0]) ==
        "10.0.0.2.20000 > 10.0.0.1.40000: Flags [R], seq 5000, win 0, length 0");
  CHECK(ack.drops.empty());

  Outbox synack = s.deliver(at(0_s), segment(c, server_addr(), kSynAck, 1000, 6000));
  REQUIRE(synack.packets.size() == 1);
  CHECK(synack.packets[0].tcp.flags == TcpFlags(kRst));
  CHECK(synack.packets[0].tcp.seq == SeqNum(6000));

  for (uint8_t f : {kRst, kRstAck, uint8_t(TcpFlags::SYN | TcpFlags::FIN), uint8_t(0),
                    uint8_t(TcpFlags::FIN), uint8_t(TcpFlags::PSH)}) {
    Outbox out = s.deliver(at(0_s), segment(c, server_addr(), f, 1000, 1));
    CHECK(out.packets.empty());
    CHECK(out.drops.empty());
  }
  CHECK(s.stack.syn_queue_length(1) == 0);
  CHECK(s.stack.counters().rst_sent == 2);
  CHECK(s.stack.counters().syn_received == 0);
}

TEST_CASE("A SYN to a listener creates a SYN_RECEIVED request and sends a SYN-ACK") {
  Server s;
  SocketId l = s.listen();
  Outbox out = s.deliver(at(0_s), syn_from(40000, 1000, 1400));
  REQUIRE(out.packets.size() == 1);
  const Packet& sa = out.packets[0];
  CHECK(sa.src == kServerIp);
  CHECK(sa.dst == kClientIp);
  CHECK(sa.tcp.src_port == kPort);
  CHECK(sa.tcp.dst_port == 40000);
  CHECK(sa.tcp.flags == TcpFlags(kSynAck));
  CHECK(sa.tcp.ack == SeqNum(1001));
  CHECK(sa.tcp.window == 64240);  // 44 x 1460: the SYN had no timestamps
  CHECK(sa.tcp.options.mss == std::optional<uint16_t>(1460));  // ours, not the client's
  CHECK(sa.tcp.payload.empty());
  CHECK(sa.retransmission == 0);
  CHECK(s.stack.syn_queue_length(l) == 1);
  CHECK(s.stack.accept_queue_length(l) == 0);
  CHECK(s.stack.connection_count() == 0);
  CHECK(s.stack.counters().syn_received == 1);
  CHECK(s.stack.counters().synack_sent == 1);
  CHECK(s.stack.next_deadline(l) == at(1_s));
  REQUIRE(out.trace.size() == 2);
  const TraceNote& n = out.trace[0];
  CHECK(n.kind == TraceNote::Kind::state);
  CHECK(n.socket == kNoSocket);
  CHECK(n.local == server_addr());
  CHECK(n.remote == client_addr(40000));
  CHECK(n.from == State::listen);
  CHECK(n.to == State::syn_received);
  CHECK(n.cause == StateCause::rcv_syn);
  CHECK(out.trace[1].kind == TraceNote::Kind::counter);
  CHECK(out.trace[1].counter == "syn_queue");
  CHECK(out.trace[1].value == 1);
  CHECK(out.touched == std::vector<SocketId>{l});
}

TEST_CASE("Two stacks with the same seed choose the same ISNs, other seeds other ones") {
  auto isn_of = [](uint64_t seed) {
    Stack st({kServerIp}, Profile{}, Rng(seed, "tcp:server"));
    Outbox o;
    st.listen(kPort, 8, {}, o);
    st.on_packet(at(0_s), syn_from(40000), o);
    return o.packets.at(0).tcp.seq;
  };
  CHECK(isn_of(1) == isn_of(1));
  CHECK(isn_of(1) != isn_of(2));
}

TEST_CASE("Without tracing the stack builds no trace notes") {
  Stack st({kServerIp}, Profile{}, Rng(1, "tcp:server"));
  Outbox o;
  st.listen(kPort, 8, {}, o);
  st.on_packet(at(0_s), syn_from(40000), o);
  st.on_packet(at(0_s), syn_from(40001), o);
  st.on_packet(at(0_s), segment(client_addr(1), server_addr(9), kAck, 1, 1), o);
  CHECK(o.trace.empty());
  CHECK(o.packets.size() == 3);
  REQUIRE(o.drops.size() == 1);
  CHECK(o.drops[0].detail.empty());
}

TEST_CASE(
    "SYN-ACKs are resent at 1, 3, 7, 15 and 31 s, the request dies at 63 s, a late ACK "
    "gets RST") {
  Server s;
  SocketId l = s.listen();
  Outbox first = s.deliver(at(0_s), syn_from(40000, 1000));
  SeqNum iss = first.packets.at(0).tcp.seq;
  std::vector<Timed> sent = run_timers(s.stack, l, at(200_s));
  CHECK(times_ms(sent) == std::vector<int64_t>{1000, 3000, 7000, 15000, 31000});
  for (size_t i = 0; i < sent.size(); ++i) {
    CHECK(sent[i].p.tcp.flags == TcpFlags(kSynAck));
    CHECK(sent[i].p.tcp.seq == iss);  // same ISN every time
    CHECK(sent[i].p.retransmission == i + 1);
  }
  CHECK(s.stack.syn_queue_length(l) == 0);
  CHECK(s.stack.next_deadline(l) == std::nullopt);
  CHECK(s.stack.counters().synack_retransmits == 5);

  Outbox late =
      s.deliver(at(75_s), segment(client_addr(40000), server_addr(), kAck, 1001, iss.raw() + 1));
  REQUIRE(late.packets.size() == 1);
  CHECK(late.packets[0].tcp.flags == TcpFlags(kRst));
  CHECK(late.packets[0].tcp.seq == iss + 1);
  CHECK(s.stack.connection_count() == 0);
}

TEST_CASE("The SYN-ACK timer traces each firing and the silent drop") {
  Server s;
  SocketId l = s.listen();
  s.deliver(at(0_s), syn_from(40000));
  std::vector<TraceNote> notes;
  while (auto d = s.stack.next_deadline(l)) {
    Outbox out;
    s.stack.on_timer(*d, l, out);
    for (auto& n : out.trace) {
      if (n.kind != TraceNote::Kind::counter) notes.push_back(n);
    }
  }
  REQUIRE(notes.size() == 7);
  CHECK(notes[0].kind == TraceNote::Kind::timer);
  CHECK(notes[0].fired.timer == TimerKind::synack);
  CHECK(notes[0].fired.attempt == 1);
  CHECK(notes[0].fired.limit == 5);
  CHECK(notes[0].fired.ran == 1_s);
  CHECK(notes[0].fired.next == 2_s);
  CHECK(notes[4].fired.attempt == 5);
  CHECK(notes[4].fired.ran == 16_s);
  CHECK(notes[4].fired.next == 32_s);
  CHECK_FALSE(notes[4].fired.gives_up);
  // The sixth firing gives up after the fifth retransmission: 1+2+4+8+16+32 s after the first
  // SYN-ACK.
  CHECK(notes[5].fired.attempt == 5);
  CHECK(notes[5].fired.gives_up);
  CHECK(notes[5].fired.ran == 32_s);
  CHECK(notes[5].fired.elapsed == 63_s);
  CHECK(notes[6].kind == TraceNote::Kind::state);
  CHECK(notes[6].from == State::syn_received);
  CHECK(notes[6].to == State::closed);
  CHECK(notes[6].cause == StateCause::synack_retries_exhausted);
}

TEST_CASE("TCP_SYNCNT on the listener replaces synack_retries") {
  Server s;
  SocketOptions o;
  o.syn_count = 2;
  SocketId l = s.listen(128, o);
  s.deliver(at(0_s), syn_from(40000));
  std::vector<Timed> sent = run_timers(s.stack, l, at(200_s));
  CHECK(times_ms(sent) == std::vector<int64_t>{1000, 3000});
  CHECK(s.stack.syn_queue_length(l) == 0);
}

TEST_CASE("SYN-ACK backoff is capped at rto_max") {
  Profile p;
  p.synack_retries = 9;
  p.rto_max = 10_s;
  Server s(p);
  SocketId l = s.listen();
  s.deliver(at(0_s), syn_from(40000));
  std::vector<Timed> sent = run_timers(s.stack, l, at(500_s));
  CHECK(times_ms(sent) ==
        std::vector<int64_t>{1000, 3000, 7000, 15000, 25000, 35000, 45000, 55000, 65000});
}

TEST_CASE("A retransmitted SYN makes the listener resend its SYN-ACK at once, rate limited") {
  Server s;
  SocketId l = s.listen();
  SeqNum iss = s.deliver(at(0_s), syn_from(40000, 1000)).packets.at(0).tcp.seq;
  Outbox dup = s.deliver(at_ms(300), syn_from(40000, 1000));
  REQUIRE(dup.packets.size() == 1);
  CHECK(dup.packets[0].tcp.flags == TcpFlags(kSynAck));
  CHECK(dup.packets[0].tcp.seq == iss);
  CHECK(dup.packets[0].retransmission == 1);
  // tcp_check_req(): re-armed at TCP_TIMEOUT_INIT << num_timeout (still 0) from now.
  CHECK(s.stack.next_deadline(l) == at_ms(1300));
  // tcp_invalid_ratelimit: one answer per 500 ms.
  CHECK(s.deliver(at_ms(500), syn_from(40000, 1000)).packets.empty());
  CHECK(s.deliver(at_ms(800), syn_from(40000, 1000)).packets.size() == 1);
  CHECK(s.stack.syn_queue_length(l) == 1);
  CHECK(s.stack.counters().synack_retransmits == 2);
  CHECK(s.stack.counters().syn_received == 1);
  // The timer schedule continues with num_timeout 0 -> first expiry 1 s after the last SYN.
  std::vector<Timed> sent = run_timers(s.stack, l, at(5_s));
  CHECK(times_ms(sent) == std::vector<int64_t>{1800, 3800});
  CHECK(sent[0].p.retransmission == 3);
}

TEST_CASE("A final ACK with a wrong acknowledgment number is reset and the request stays") {
  Server s;
  SocketId l = s.listen();
  SeqNum iss = s.deliver(at(0_s), syn_from(40000, 1000)).packets.at(0).tcp.seq;
  Outbox out =
      s.deliver(at_ms(10), segment(client_addr(40000), server_addr(), kAck, 1001, iss.raw() + 7));
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.flags == TcpFlags(kRst));
  CHECK(out.packets[0].tcp.seq == iss + 7);
  CHECK(s.stack.syn_queue_length(l) == 1);
  CHECK(s.stack.connection_count() == 0);
}

TEST_CASE("A request answers an out-of-window segment with an ACK and drops it on RST") {
  Server s;
  SocketId l = s.listen();
  SeqNum iss = s.deliver(at(0_s), syn_from(40000, 1000)).packets.at(0).tcp.seq;
  SocketAddr c = client_addr(40000);
  Outbox oow =
      s.deliver(at_ms(10), segment(c, server_addr(), kAck, 1001 + 70000, iss.raw() + 1, "x"));
  REQUIRE(oow.packets.size() == 1);
  CHECK(format_tcpdump(oow.packets[0]) ==
        "10.0.0.2.20000 > 10.0.0.1.40000: Flags [.], ack 1001, win 64240, length 0");
  CHECK(oow.packets[0].tcp.seq == iss + 1);
  CHECK(s.stack.syn_queue_length(l) == 1);

  Outbox rst = s.deliver(at_ms(20), segment(c, server_addr(), kRst, 1001));
  CHECK(rst.packets.empty());
  CHECK(s.stack.syn_queue_length(l) == 0);
  CHECK(s.stack.next_deadline(l) == std::nullopt);
}

TEST_CASE("A new SYN inside a request's window resets the client and drops the request") {
  Server s;
  SocketId l = s.listen();
  s.deliver(at(0_s), syn_from(40000, 1000));
  Outbox out = s.deliver(at_ms(10), syn_from(40000, 1005));
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.flags == TcpFlags(kRstAck));
  CHECK(out.packets[0].tcp.ack == SeqNum(1006));
  CHECK(s.stack.syn_queue_length(l) == 0);
}

TEST_CASE("Closing a listener drops its requests without a word and their late ACK meets RST") {
  Server s;
  SocketId l = s.listen();
  SeqNum iss = s.deliver(at(0_s), syn_from(40000, 1000)).packets.at(0).tcp.seq;
  Outbox out;
  s.stack.close(at_ms(5), l, out);
  CHECK(out.packets.empty());
  REQUIRE(out.trace.size() == 1);
  CHECK(out.trace[0].cause == StateCause::listener_closed);
  CHECK_FALSE(s.stack.exists(l));
  CHECK(s.stack.state(l) == State::closed);
  CHECK(s.stack.next_deadline(l) == std::nullopt);
  Outbox late =
      s.deliver(at_ms(10), segment(client_addr(40000), server_addr(), kAck, 1001, iss.raw() + 1));
  REQUIRE(late.packets.size() == 1);
  CHECK(late.packets[0].tcp.flags == TcpFlags(kRst));
  CHECK(late.drops.at(0).reason == DropReason::no_listener);
}

TEST_CASE("listen() clamps the backlog to somaxconn and refuses a taken port") {
  Profile p;
  p.somaxconn = 4;
  Stack st({kServerIp}, p, Rng(1, "x"));
  Outbox o;
  OpenResult a = st.listen(80, 1000, {}, o);
  CHECK(a.id == 1);
  OpenResult b = st.listen(80, 5, {}, o);
  CHECK(b.id == kNoSocket);
  CHECK(b.error == SocketError::eaddrinuse);
  OpenResult c = st.listen(81, -1, {}, o);
  CHECK(c.id == 2);  // a failed listen() takes no id
  CHECK(st.state(a.id) == State::listen);
  CHECK(st.local_address(a.id) == SocketAddr{kServerIp, 80});
  // backlog 4 (clamped): five requests fit (qlen > 4 is full), the sixth overflows.
  for (uint16_t port = 1; port <= 6; ++port) {
    st.on_packet(at(0_s), segment(client_addr(port), {kServerIp, 80}, TcpFlags::SYN, 1), o);
  }
  CHECK(st.syn_queue_length(a.id) == 5);
}
