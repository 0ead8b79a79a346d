// Stack-level life cycles with a real Connection behind the listener: data on the final ACK,
// TIME_WAIT reuse by a new SYN, closing a listener with un-accepted children, crash, ephemeral
// ports and SocketIds.

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>

#include "protocols/tcp/stack.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

struct Server : ListeningServer {
  Server() : ListeningServer(9) {}
};

bool has_notice(const Outbox& o, AppNotice::Kind k, SocketId s) {
  for (const AppNotice& n : o.notices) {
    if (n.kind == k && n.socket == s) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("Data on the final ACK reaches the new connection after the accepted notice") {
  Server srv;
  SeqNum s = srv.deliver(at(0_s), syn_from(40000, 1000)).packets.at(0).tcp.seq;
  Outbox out = srv.deliver(at_ms(10), segment(client_addr(40000), server_addr(),
                                              kAck | TcpFlags::PSH, 1001, s.raw() + 1, "hi"));
  REQUIRE(out.notices.size() >= 2);
  CHECK(out.notices[0].kind == AppNotice::Kind::accepted);
  CHECK(out.notices[1].kind == AppNotice::Kind::data);
  CHECK(out.notices[1].data.as_string_view() == "hi");
  SocketId child = out.notices[0].child;
  CHECK(child == 2);  // SocketIds count from 1: the listener is 1
  CHECK(srv.stack.state(child) == State::established);
  CHECK(srv.stack.syn_queue_length(srv.listener) == 0);
  CHECK(srv.stack.connection_count() == 1);
}

TEST_CASE("A new SYN with a higher sequence number reuses a TIME_WAIT 4-tuple") {
  Server srv;
  auto [child, s] = srv.handshake(40000, 1000, at(0_s));
  Outbox a;
  srv.stack.accept(srv.listener, a);
  // The server closes first and ends in TIME_WAIT after the client's FIN.
  Outbox fin;
  srv.stack.close(at_ms(10), child, fin);
  REQUIRE(fin.packets.size() == 1);
  CHECK(fin.packets[0].tcp.flags.fin());
  srv.deliver(at_ms(20), segment(client_addr(40000), server_addr(), kAck, 1001, s.raw() + 2));
  srv.deliver(at_ms(30),
              segment(client_addr(40000), server_addr(), kAck | TcpFlags::FIN, 1001, s.raw() + 2));
  REQUIRE(srv.stack.state(child) == State::time_wait);

  // A SYN below what the old incarnation received goes to the TIME_WAIT socket.
  Outbox old = srv.deliver(at_ms(40), syn_from(40000, 500));
  CHECK(srv.stack.state(child) == State::time_wait);
  CHECK(srv.stack.syn_queue_length(srv.listener) == 0);
  for (const Packet& p : old.packets)
    CHECK_FALSE(p.tcp.flags.syn());

  // One above it replaces it: the old connection closes, the listener makes a request.
  Outbox reuse = srv.deliver(at_ms(50), syn_from(40000, 5000));
  CHECK_FALSE(srv.stack.exists(child));
  CHECK(has_notice(reuse, AppNotice::Kind::closed, child));
  REQUIRE(reuse.packets.size() == 1);
  CHECK(reuse.packets[0].tcp.flags == TcpFlags(kSynAck));
  CHECK(reuse.packets[0].tcp.ack == SeqNum(5001));
  CHECK(srv.stack.syn_queue_length(srv.listener) == 1);
  bool traced = false;
  for (const TraceNote& n : reuse.trace) {
    if (n.kind == TraceNote::Kind::state && n.socket == child) {
      CHECK(n.from == State::time_wait);
      CHECK(n.to == State::closed);
      CHECK(n.cause == StateCause::tuple_reused);
      traced = true;
    }
  }
  CHECK(traced);
}

TEST_CASE("Closing a listener resets the connections nobody accepted, silently for the app") {
  Server srv;
  auto [first, s1] = srv.handshake(40000, 1000, at(0_s));
  auto [second, s2] = srv.handshake(40001, 2000, at(0_s));
  Outbox a;
  REQUIRE(srv.stack.accept(srv.listener, a) == first);
  Outbox out;
  srv.stack.close(at_ms(5), srv.listener, out);
  REQUIRE(out.packets.size() == 1);
  CHECK(format_tcpdump(out.packets[0]) ==
        fmt::format("10.0.0.2.20000 > 10.0.0.1.40001: Flags [R.], seq {}, ack 2001, win {}, "
                    "length 0",
                    s2.raw() + 1, out.packets[0].tcp.window));
  CHECK(out.notices.empty());
  CHECK_FALSE(srv.stack.exists(second));
  CHECK(srv.stack.exists(first));  // the accepted one lives on
  CHECK_FALSE(srv.stack.exists(srv.listener));
}

TEST_CASE("A child that dies in the accept queue leaves it") {
  Server srv;
  auto [child, s] = srv.handshake(40000, 1000, at(0_s));
  CHECK(srv.stack.accept_queue_length(srv.listener) == 1);
  srv.deliver(at_ms(5), segment(client_addr(40000), server_addr(), kRst, 1001));
  CHECK_FALSE(srv.stack.exists(child));
  CHECK(srv.stack.accept_queue_length(srv.listener) == 0);
  Outbox a;
  CHECK(srv.stack.accept(srv.listener, a) == std::nullopt);
}

TEST_CASE("A crash forgets every socket without sending anything, ids keep counting") {
  Server srv;
  auto [child, s] = srv.handshake(40000, 1000, at(0_s));
  srv.deliver(at(0_s), syn_from(40001, 3000));
  srv.stack.crash();
  CHECK_FALSE(srv.stack.exists(child));
  CHECK_FALSE(srv.stack.exists(srv.listener));
  CHECK(srv.stack.connection_count() == 0);
  CHECK(srv.stack.next_deadline(srv.listener) == std::nullopt);
  // The peer's next segment meets a closed port.
  Outbox after = srv.deliver(
      at(1_s), segment(client_addr(40000), server_addr(), kAck, 1001, s.raw() + 1, "x"));
  REQUIRE(after.packets.size() == 1);
  CHECK(after.packets[0].tcp.flags == TcpFlags(kRst));
  Outbox o;
  OpenResult again = srv.stack.listen(kPort, 8, {}, o);
  CHECK(again.id == 3);
  CHECK(srv.stack.counters().syn_received == 2);  // counters survive
}

TEST_CASE("Ephemeral ports come from 32768-60999, distinct, and the same for the same seed") {
  auto ports = [](uint64_t seed) {
    Stack st({kClientIp}, Profile{}, Rng(seed, "tcp:client"));
    std::vector<uint16_t> v;
    for (int i = 0; i < 50; ++i) {
      Outbox o;
      OpenResult r = st.connect(at(0_s), server_addr(), std::nullopt, {}, o);
      REQUIRE(r.error == SocketError::none);
      CHECK(r.id == static_cast<SocketId>(i + 1));
      v.push_back(st.local_address(r.id).port);
      CHECK(o.packets.at(0).tcp.src_port == v.back());
    }
    return v;
  };
  std::vector<uint16_t> a = ports(1);
  std::vector<uint16_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  CHECK(sorted.front() >= 32768);
  CHECK(sorted.back() <= 60999);
  CHECK(ports(1) == a);
  CHECK(ports(2) != a);
}

TEST_CASE("connect() from a fixed port fails on a used 4-tuple or a listener's port") {
  Stack st({kClientIp}, Profile{}, Rng(1, "tcp:client"));
  Outbox o;
  OpenResult first = st.connect(at(0_s), server_addr(), 7500, {}, o);
  CHECK(first.error == SocketError::none);
  CHECK(st.local_address(first.id) == client_addr(7500));
  CHECK(st.remote_address(first.id) == server_addr());
  CHECK(st.state(first.id) == State::syn_sent);
  OpenResult dup = st.connect(at(0_s), server_addr(), 7500, {}, o);
  CHECK(dup.id == kNoSocket);
  CHECK(dup.error == SocketError::eaddrinuse);
  OpenResult other = st.connect(at(0_s), server_addr(20001), 7500, {}, o);
  CHECK(other.error == SocketError::none);
  st.listen(8080, 4, {}, o);
  CHECK(st.connect(at(0_s), server_addr(), 8080, {}, o).error == SocketError::eaddrinuse);
  CHECK(st.connect(at(0_s), SocketAddr{kServerIp, 0}, std::nullopt, {}, o).error ==
        SocketError::einval);
}

TEST_CASE("A SYN-ACK for a connection closed in SYN_SENT gets a bare RST from the stack") {
  Stack st({kClientIp}, Profile{}, Rng(1, "tcp:client"));
  Outbox o;
  SocketId s = st.connect(at(0_s), server_addr(), 7500, {}, o).id;
  uint32_t isn = o.packets.at(0).tcp.seq.raw();
  Outbox c;
  st.close(at_ms(1), s, c);
  CHECK(c.packets.empty());  // close() in SYN_SENT sends nothing
  CHECK_FALSE(st.exists(s));
  Outbox out;
  st.on_packet(at_ms(10), segment(server_addr(), client_addr(7500), kSynAck, 9000, isn + 1), out);
  REQUIRE(out.packets.size() == 1);
  CHECK(format_tcpdump(out.packets[0]) ==
        fmt::format("10.0.0.1.7500 > 10.0.0.2.20000: Flags [R], seq {}, win 0, length 0", isn + 1));
}

// Stack::Impl::find() keeps its last answer (found_id, found) for the lookups an entry point's
// finish() and the TX reports repeat. Each way a connection's node is erased must forget it:
// a lookup of the erased id then finds nothing, not the freed node, also once a new
// connection exists (ids are never reused, so the new one cannot answer for the old id).
TEST_CASE("The stack's find cache forgets an erased connection, whose id is never reused") {
  Server srv;
  auto [child, s] = srv.handshake(40000, 1000, at(0_s));
  REQUIRE(child == 2);
  SECTION("reaped after a RST") {
    REQUIRE(srv.stack.state(child) == State::established);  // cached now
    srv.deliver(at_ms(5), segment(client_addr(40000), server_addr(), kRst, 1001));
  }
  SECTION("a TIME_WAIT retired by a new SYN") {
    Outbox a, fin;
    srv.stack.accept(srv.listener, a);
    srv.stack.close(at_ms(10), child, fin);
    srv.deliver(at_ms(20), segment(client_addr(40000), server_addr(), kAck | TcpFlags::FIN, 1001,
                                   s.raw() + 2));
    REQUIRE(srv.stack.state(child) == State::time_wait);  // cached now
    srv.deliver(at_ms(30), syn_from(40000, 5000));
  }
  CHECK_FALSE(srv.stack.exists(child));
  CHECK(srv.stack.connection(child) == nullptr);
  CHECK(srv.stack.state(child) == State::closed);
  CHECK(srv.stack.next_deadline(child) == std::nullopt);
  // A new connection on another port takes the next id; the old one still finds nothing.
  auto [next, s2] = srv.handshake(40001, 2000, at_ms(40));
  CHECK(next == 3);
  CHECK(srv.stack.connection(child) == nullptr);
  CHECK_FALSE(srv.stack.exists(child));
  REQUIRE(srv.stack.connection(next) != nullptr);
  CHECK(srv.stack.remote_address(next) == client_addr(40001));
  CHECK(srv.stack.connection_ids() == std::vector<SocketId>{next});
}

// crash() clears every node at once: the cached answer goes too.
TEST_CASE("After a crash the find cache answers nothing for the connection it held") {
  Server srv;
  auto [child, s] = srv.handshake(40000, 1000, at(0_s));
  REQUIRE(srv.stack.state(child) == State::established);  // cached now
  srv.stack.crash();
  CHECK(srv.stack.connection(child) == nullptr);
  CHECK_FALSE(srv.stack.exists(child));
}
