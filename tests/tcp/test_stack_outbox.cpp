// The Stack's Outbox as its driver's only source (issue 12 §4): each touched socket's deadline,
// the sockets it opened (a child with its listener), the sockets it freed, and the listener a
// SYN-queue request's trace notes speak for. TcpHost asks the Stack nothing else.

#include <catch2/catch.hpp>

#include <optional>
#include <vector>

#include "protocols/tcp/stack.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

struct Server : ListeningServer {
  Server() : ListeningServer(3) {}
};

using Deadlines = std::vector<std::pair<SocketId, std::optional<Instant>>>;
Deadlines deadlines(const Outbox& o) {
  Deadlines d;
  for (const DeadlineNote& n : o.deadlines)
    d.emplace_back(n.socket, n.at);
  return d;
}

const TraceNote* state_note(const Outbox& o, State to) {
  for (const TraceNote& n : o.trace)
    if (n.kind == TraceNote::Kind::state && n.to == to) return &n;
  return nullptr;
}

}  // namespace

TEST_CASE("Outbox: listen() and connect() report the socket opened and its deadline") {
  Stack st({kClientIp}, Profile{}, Rng(1, "tcp:client"));
  Outbox l;
  SocketId lid = st.listen(8080, 16, {}, l).id;
  REQUIRE(l.opened.size() == 1);
  CHECK(l.opened[0].socket == lid);
  CHECK(l.opened[0].listener == kNoSocket);
  CHECK(l.opened[0].local == SocketAddr{kClientIp, 8080});
  CHECK(deadlines(l) == Deadlines{{lid, std::nullopt}});

  Outbox c;
  SocketId cid = st.connect(at_ms(5), server_addr(), 40000, {}, c).id;
  REQUIRE(c.opened.size() == 1);
  CHECK(c.opened[0].socket == cid);
  CHECK(c.opened[0].listener == kNoSocket);
  CHECK(c.opened[0].local == client_addr(40000));
  CHECK(c.opened[0].remote == server_addr());
  // tcp_connect(): the SYN's retransmission timer, the initial RTO (1 s) from now.
  CHECK(deadlines(c) == Deadlines{{cid, at_ms(1005)}});
  CHECK(c.gone.empty());

  // A failed open reports nothing.
  Outbox f;
  CHECK(st.connect(at_ms(6), server_addr(), 40000, {}, f).error == SocketError::eaddrinuse);
  CHECK(f.opened.empty());
  CHECK(f.deadlines.empty());
}

TEST_CASE("Outbox: a child arrives with its listener and addresses, once per entry point") {
  Server srv;
  Outbox syn = srv.deliver(at(0_s), syn_from(40000, 1000));
  // The request's SYN-ACK timer is the listener's: 1 s (tcp_timeout_init()).
  CHECK(deadlines(syn) == Deadlines{{srv.listener, at(1_s)}});
  const TraceNote* req = state_note(syn, State::syn_received);
  REQUIRE(req != nullptr);
  CHECK(req->socket == kNoSocket);
  CHECK(req->listener == srv.listener);

  SeqNum s = syn.packets.at(0).tcp.seq;
  Outbox ack =
      srv.deliver(at_ms(20), segment(client_addr(40000), server_addr(), kAck, 1001, s.raw() + 1));
  REQUIRE(ack.opened.size() == 1);
  SocketId child = ack.opened[0].socket;
  CHECK(ack.opened[0].listener == srv.listener);
  CHECK(ack.opened[0].local == server_addr());
  CHECK(ack.opened[0].remote == client_addr(40000));
  // The listener's request is gone (no timer left); the idle child has none.
  CHECK(deadlines(ack) == Deadlines{{srv.listener, std::nullopt}, {child, std::nullopt}});
  CHECK(ack.gone.empty());
  // The child's own notes carry its id, so they need no listener.
  const TraceNote* est = state_note(ack, State::established);
  REQUIRE(est != nullptr);
  CHECK(est->socket == child);
  CHECK(est->listener == kNoSocket);
}

TEST_CASE("Outbox: freed sockets are reported gone, with no deadline") {
  Server srv;
  SeqNum s = srv.deliver(at(0_s), syn_from(40000, 1000)).packets.at(0).tcp.seq;
  Outbox ack =
      srv.deliver(at_ms(20), segment(client_addr(40000), server_addr(), kAck, 1001, s.raw() + 1));
  SocketId child = ack.opened.at(0).socket;

  // A SYN-queue request to be dropped with its listener.
  srv.deliver(at_ms(30), syn_from(40001, 7000));

  Outbox ab;
  srv.stack.abort(at_ms(40), child, ab);
  CHECK(deadlines(ab) == Deadlines{{child, std::nullopt}});
  CHECK(ab.gone == std::vector<SocketId>{child});

  Outbox cl;
  srv.stack.close(at_ms(50), srv.listener, cl);
  CHECK(deadlines(cl) == Deadlines{{srv.listener, std::nullopt}});
  CHECK(cl.gone == std::vector<SocketId>{srv.listener});
  // The request died with its listener: nothing listens on the port any more, so its note
  // names no listener (the trace gives it no application, as before).
  const TraceNote* dead = state_note(cl, State::closed);
  REQUIRE(dead != nullptr);
  CHECK(dead->cause == StateCause::listener_closed);
  CHECK(dead->listener == kNoSocket);
}

TEST_CASE("Outbox: a crash names the listener of each request it ends") {
  Server srv;
  srv.deliver(at(0_s), syn_from(40000, 1000));
  Outbox out;
  srv.stack.crash(out);
  const TraceNote* n = state_note(out, State::closed);
  REQUIRE(n != nullptr);
  CHECK(n->cause == StateCause::host_crashed);
  CHECK(n->socket == kNoSocket);
  CHECK(n->listener == srv.listener);
}

TEST_CASE("Outbox: set_options() reports the deadline keepalive moves") {
  Server srv;
  SeqNum s = srv.deliver(at(0_s), syn_from(40000, 1000)).packets.at(0).tcp.seq;
  Outbox ack =
      srv.deliver(at_ms(20), segment(client_addr(40000), server_addr(), kAck, 1001, s.raw() + 1));
  SocketId child = ack.opened.at(0).socket;
  SocketOptions o;
  o.keepalive.enabled = true;
  o.keepalive.idle = Duration::seconds(30);
  Outbox out;
  srv.stack.set_options(at(1_s), child, o, out);
  // Enabling keepalive arms it `idle` from the call (tcp_set_keepalive() -> reset timer).
  CHECK(deadlines(out) == Deadlines{{child, at(31_s)}});
  CHECK(out.gone.empty());
}
