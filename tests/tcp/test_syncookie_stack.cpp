// SYN cookies through the Stack (linux-tcp-facts.md §6): a valid cookie ACK opens an ESTABLISHED
// connection directly (MSS from the cookie), stale and forged cookies are reset and counted.

#include <catch2/catch.hpp>

#include "protocols/tcp/stack.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

struct CookieServer {
  explicit CookieServer(int backlog = 128) : stack({kServerIp}, profile(), Rng(5, "tcp:server")) {
    stack.set_tracing(true);
    Outbox o;
    listener = stack.listen(kPort, backlog, {}, o).id;
  }
  static Profile profile() {
    Profile p;
    p.syncookies = 2;  // every SYN is answered with a cookie
    return p;
  }
  Outbox deliver(Instant now, const Packet& p) {
    Outbox out;
    stack.on_packet(now, p, out);
    return out;
  }
  SeqNum cookie_for(uint16_t cport, uint32_t isn, uint16_t mss, Instant now = Instant::zero()) {
    Outbox out = deliver(now, syn_from(cport, isn, mss));
    REQUIRE(out.packets.size() == 1);
    return out.packets[0].tcp.seq;
  }
  Stack stack;
  SocketId listener = kNoSocket;
};

}  // namespace

TEST_CASE("A valid cookie ACK creates an ESTABLISHED connection that carries data") {
  CookieServer s;
  SeqNum cookie = s.cookie_for(40000, 1000, 1400);
  Outbox out = s.deliver(at_ms(10), segment(client_addr(40000), server_addr(), kAck | TcpFlags::PSH,
                                            1001, cookie.raw() + 1, "Hello,server!"));
  CHECK(s.stack.counters().syncookies_ok == 1);
  REQUIRE(out.notices.size() >= 2);
  CHECK(out.notices[0].kind == AppNotice::Kind::accepted);
  CHECK(out.notices[0].socket == s.listener);
  SocketId child = out.notices[0].child;
  CHECK(out.notices[1].kind == AppNotice::Kind::data);
  CHECK(out.notices[1].socket == child);
  CHECK(out.notices[1].data.as_string_view() == "Hello,server!");
  CHECK(s.stack.state(child) == State::established);
  CHECK(s.stack.local_address(child) == server_addr());
  CHECK(s.stack.remote_address(child) == client_addr(40000));
  // The state note says the connection left LISTEN thanks to the cookie.
  bool traced = false;
  for (const TraceNote& n : out.trace) {
    if (n.kind == TraceNote::Kind::state && n.socket == child) {
      CHECK(n.from == State::listen);
      CHECK(n.to == State::established);
      CHECK(n.cause == StateCause::rcv_ack_cookie);
      traced = true;
    }
  }
  CHECK(traced);
  // The client's MSS 1400 travelled as table entry 1300: our segments are at most 1300 bytes.
  Outbox a;
  REQUIRE(s.stack.accept(s.listener, a) == child);
  Outbox sent;
  CHECK(s.stack.send(at_ms(20), child, Payload(std::vector<uint8_t>(3000, 'x')), sent) ==
        SocketError::none);
  REQUIRE(sent.packets.size() >= 2);
  CHECK(sent.packets[0].tcp.seq == cookie + 1);
  CHECK(sent.packets[0].tcp.payload.size() == 1300);
  CHECK(sent.packets[1].tcp.payload.size() == 1300);
}

TEST_CASE("A stale cookie is reset and counted as failed") {
  CookieServer s;
  SeqNum cookie = s.cookie_for(40000, 1000, 1460, at(0_s));
  // Counter 0 -> 2 at 120 s: older than MAX_SYNCOOKIE_AGE. The overflow stamp is exactly
  // TCP_SYNCOOKIE_VALID old, so the ACK is still checked as a cookie.
  Outbox out = s.deliver(at(120_s),
                         segment(client_addr(40000), server_addr(), kAck, 1001, cookie.raw() + 1));
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.flags == TcpFlags(kRst));
  CHECK(out.packets[0].tcp.seq == cookie + 1);
  CHECK(s.stack.counters().syncookies_failed == 1);
  CHECK(s.stack.connection_count() == 0);
}

TEST_CASE("A cookie ACK long after the last cookie is not even checked and gets RST") {
  CookieServer s;
  SeqNum cookie = s.cookie_for(40000, 1000, 1460, at(0_s));
  Outbox out = s.deliver(at(121_s),
                         segment(client_addr(40000), server_addr(), kAck, 1001, cookie.raw() + 1));
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.flags == TcpFlags(kRst));
  CHECK(s.stack.counters().syncookies_failed == 0);
}

TEST_CASE("A forged cookie is reset and counted as failed") {
  CookieServer s;
  SeqNum cookie = s.cookie_for(40000, 1000, 1460);
  Outbox out = s.deliver(
      at_ms(5), segment(client_addr(40000), server_addr(), kAck, 1001, cookie.raw() + 1 + 100));
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.flags == TcpFlags(kRst));
  CHECK(out.packets[0].tcp.seq == cookie + 101);
  // Another client port with the same numbers fails too: the hash covers the 4-tuple.
  Outbox other =
      s.deliver(at_ms(5), segment(client_addr(40001), server_addr(), kAck, 1001, cookie.raw() + 1));
  REQUIRE(other.packets.size() == 1);
  CHECK(other.packets[0].tcp.flags == TcpFlags(kRst));
  CHECK(s.stack.counters().syncookies_failed == 2);
  CHECK(s.stack.counters().syncookies_ok == 0);
}

TEST_CASE("A valid cookie ACK meeting a full accept queue is dropped, not reset") {
  CookieServer s(0);  // the accept queue holds one
  SeqNum c0 = s.cookie_for(40000, 1000, 1460);
  SeqNum c1 = s.cookie_for(40001, 2000, 1460);
  s.deliver(at_ms(5), segment(client_addr(40000), server_addr(), kAck, 1001, c0.raw() + 1));
  CHECK(s.stack.accept_queue_length(s.listener) == 1);
  Outbox out =
      s.deliver(at_ms(6), segment(client_addr(40001), server_addr(), kAck, 2001, c1.raw() + 1));
  CHECK(out.packets.empty());
  REQUIRE(out.drops.size() == 1);
  CHECK(out.drops[0].reason == DropReason::accept_queue_full);
  CHECK(s.stack.counters().syncookies_ok == 2);
  CHECK(s.stack.counters().accept_queue_drops == 1);
  CHECK(s.stack.connection_count() == 1);
}

TEST_CASE("With syncookies 0 an ACK is never taken for a cookie") {
  Profile p;
  p.syncookies = 0;
  Stack st({kServerIp}, p, Rng(5, "tcp:server"));
  Outbox o;
  st.listen(kPort, 0, {}, o);
  st.on_packet(at(0_s), syn_from(40000), o);  // a request
  Outbox out;
  st.on_packet(at(0_s), segment(client_addr(40001), server_addr(), kAck, 1, 1), out);
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.flags == TcpFlags(kRst));
  CHECK(st.counters().syncookies_failed == 0);
}
