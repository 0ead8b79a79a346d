// The TSval offset per address pair (net/core/secure_seq.c:secure_tcp_ts_off()): a keyed
// SipHash of (saddr, daddr) with the host's secret, so every connection between two hosts shares
// one TS clock (a reconnect into the peer's TIME_WAIT carries a newer TSval and is answered with
// a SYN-ACK, tcp_timewait_state_process()), while the secret comes from the host's seed without
// taking anything from its RNG stream (ISNs and ports stay as they were).

#include <catch2/catch.hpp>

#include <deque>

#include "protocols/tcp/stack.hpp"
#include "protocols/tcp/timestamps.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

const Ipv4Addr kOtherIp{0x0A000003};  // 10.0.0.3

// The SYN a client stack sends to `remote` from `port` at `now`.
Packet syn_to(Stack& s, Instant now, SocketAddr remote, uint16_t port) {
  Outbox out;
  REQUIRE(s.connect(now, remote, port, {}, out).error == SocketError::none);
  REQUIRE(out.packets.size() == 1);
  return out.packets[0];
}

uint32_t tsval(const Packet& p) {
  REQUIRE(p.tcp.options.timestamps);
  return p.tcp.options.timestamps->first;
}

// Two stacks joined by a 5 ms wire: packets and timers run in time order.
struct Pair {
  Stack client{{kClientIp}, Profile::linux_default(), Rng(1, "tcp:client")};
  Stack server{{kServerIp}, Profile::linux_default(), Rng(2, "tcp:server")};
  std::deque<std::pair<Instant, Packet>> wire;
  std::vector<std::pair<Instant, Packet>> sent;  // everything either side sent

  void take(Instant now, Outbox& o) {
    for (Packet& p : o.packets) {
      sent.emplace_back(now, p);
      wire.emplace_back(now + 5_ms, p);
    }
  }
  Stack& to(const Packet& p) { return p.dst == kServerIp ? server : client; }
  // The earliest timer of either stack, with its stack and socket.
  std::optional<std::tuple<Instant, Stack*, SocketId>> next_timer() {
    std::optional<std::tuple<Instant, Stack*, SocketId>> best;
    for (Stack* s : {&client, &server}) {
      for (SocketId id : s->connection_ids()) {
        auto d = s->next_deadline(id);
        if (d && (!best || *d < std::get<0>(*best))) best = {*d, s, id};
      }
    }
    return best;
  }
  void run(Instant until) {
    for (;;) {
      auto t = next_timer();
      const bool packet_first = !wire.empty() && (!t || wire.front().first <= std::get<0>(*t));
      if (packet_first && wire.front().first <= until) {
        auto [when, p] = wire.front();
        wire.pop_front();
        Outbox out;
        to(p).on_packet(when, p, out);
        take(when, out);
      } else if (t && std::get<0>(*t) <= until) {
        Outbox out;
        std::get<1>(*t)->on_timer(std::get<0>(*t), std::get<2>(*t), out);
        take(std::get<0>(*t), out);
      } else {
        return;
      }
    }
  }
};

}  // namespace

TEST_CASE("Component: siphash_1u64 is SipHash-2-4 (the reference vector for 8 bytes)") {
  // Key 00 01 .. 0f, message 00 01 .. 07 (Aumasson and Bernstein, vectors.h, entry 8).
  const TsSecret key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  CHECK(siphash_1u64(0x0706050403020100ULL, key) == 0x93f5f5799a932462ULL);
}

TEST_CASE("Connections between the same two hosts share one TSval offset, other peers differ") {
  Stack s({kClientIp}, Profile::linux_default(), Rng(9, "tcp:h"));
  const Packet a = syn_to(s, at_ms(1000), server_addr(), 40000);
  const Packet b = syn_to(s, at_ms(1000), server_addr(80), 40001);
  const Packet c = syn_to(s, at_ms(1000), SocketAddr{kOtherIp, kPort}, 40002);
  CHECK(a.tcp.seq != b.tcp.seq);  // different connections, different ISNs
  CHECK(tsval(a) == tsval(b));    // ports play no part
  CHECK(tsval(a) == 1000 + s.tsval_offset(kClientIp, kServerIp));
  CHECK(tsval(c) == 1000 + s.tsval_offset(kClientIp, kOtherIp));
  CHECK(tsval(c) != tsval(a));
  // Each direction of a pair has its own offset, and another host (seed) its own secret.
  CHECK(s.tsval_offset(kServerIp, kClientIp) != s.tsval_offset(kClientIp, kServerIp));
  Stack other({kClientIp}, Profile::linux_default(), Rng(10, "tcp:h"));
  CHECK(other.tsval_offset(kClientIp, kServerIp) != s.tsval_offset(kClientIp, kServerIp));
  Stack same({kClientIp}, Profile::linux_default(), Rng(9, "tcp:h"));
  CHECK(same.tsval_offset(kClientIp, kServerIp) == s.tsval_offset(kClientIp, kServerIp));
}

TEST_CASE("The TS secret is made from a copy of the host's stream: ISNs are as before") {
  // The stream as the stack uses it: the SYN-cookie secrets take four draws at construction
  // (SynCookies::rekey()), then an explicit-port connect() draws the ISN.
  Rng stream(9, "tcp:h");
  for (int i = 0; i < 4; ++i)
    (void)stream.next_u64();
  const uint32_t isn = stream.next_u32();
  Stack s({kClientIp}, Profile::linux_default(), Rng(9, "tcp:h"));
  CHECK(syn_to(s, at_ms(0), server_addr(), 40000).tcp.seq == SeqNum(isn));
}

TEST_CASE("A reconnect from the same port into the server's TIME_WAIT gets a SYN-ACK at once") {
  Pair n;
  Outbox o;
  const SocketId listener = n.server.listen(kPort, 8, {}, o).id;
  Outbox c1;
  const SocketId first = n.client.connect(at_ms(0), server_addr(), 40000, {}, c1).id;
  n.take(at_ms(0), c1);
  n.run(at_ms(100));
  REQUIRE(n.client.state(first) == State::established);
  Outbox a;
  const std::optional<SocketId> child = n.server.accept(listener, a);
  REQUIRE(child);
  // The server closes first and ends in TIME_WAIT; the client's socket is gone after LAST_ACK.
  Outbox cl;
  n.server.close(at_ms(100), *child, cl);
  n.take(at_ms(100), cl);
  n.run(at_ms(200));
  Outbox cc;
  n.client.close(at_ms(200), first, cc);
  n.take(at_ms(200), cc);
  n.run(at_ms(300));
  REQUIRE(n.server.state(*child) == State::time_wait);
  REQUIRE(n.client.state(first) == State::closed);
  const Packet old_syn = n.sent.front().second;
  n.sent.clear();
  // One second later, from the same port: the SYN's TSval continues the first connection's
  // clock, newer than the server's ts_recent, so TCP_TW_SYN makes a new request at once.
  Outbox c2;
  const SocketId second = n.client.connect(at_ms(1300), server_addr(), 40000, {}, c2).id;
  n.take(at_ms(1300), c2);
  n.run(at_ms(1400));
  REQUIRE(n.sent.size() >= 3);
  const Packet& syn2 = n.sent[0].second;
  CHECK(tsval(syn2) - tsval(old_syn) == 1300);
  const Packet& reply = n.sent[1].second;
  CHECK(reply.tcp.flags.syn());
  CHECK(reply.tcp.flags.ack());
  CHECK(n.sent[1].first == at_ms(1305));
  CHECK(n.client.state(second) == State::established);
  CHECK(n.server.counters().rst_sent == 0);
}
