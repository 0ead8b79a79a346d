// The network: routing over routers, drops with their reasons and details, link and host state,
// fault rules, and determinism of the whole trace under a seed.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "sim/network.hpp"
#include "sim/units.hpp"

using namespace netsim;
using namespace netsim::literals;

namespace {

Ipv4Addr ip(std::string_view s) {
  return *Ipv4Addr::parse(s);
}

Packet tcp_packet(std::string_view src, std::string_view dst, std::string_view flags,
                  size_t payload = 0) {
  Packet p;
  p.src = ip(src);
  p.dst = ip(dst);
  p.tcp.src_port = 7500;
  p.tcp.dst_port = 20000;
  p.tcp.flags = *TcpFlags::parse(flags);
  p.tcp.payload = Payload(std::vector<uint8_t>(payload, 'x'));
  return p;
}

LinkParams delay_link(Duration d) {
  LinkParams p;
  p.delay = d;
  return p;
}

// One line per record: the virtual time in ns, then what happened.
std::string render(const TraceRecord& r) {
  if (auto* p = std::get_if<PacketRecord>(&r)) {
    std::string s =
        fmt::format("{} {} {} {}", p->t.ns(), p->host, to_string(p->ev), format_tcpdump(p->packet));
    if (p->ev == PacketEvent::drop) s += fmt::format(" {} ({})", to_string(p->reason), p->detail);
    return s;
  }
  if (auto* f = std::get_if<FaultRecord>(&r)) {
    return fmt::format("{} {} fault {} ({})", f->t.ns(), f->host, f->what, f->detail);
  }
  return "other";
}

std::vector<std::string> render_all(const MemorySink& sink) {
  std::vector<std::string> out;
  for (const auto& r : sink.records)
    out.push_back(render(r));
  return out;
}

// client 10.0.0.1 and server 10.0.0.2, with whatever lies between them added by each test.
struct Fixture {
  Simulator sim{1};
  Network net{sim};
  MemorySink sink;
  NodeId client = net.add_host("client", {ip("10.0.0.1")});
  NodeId server = net.add_host("server", {ip("10.0.0.2")});
  std::vector<Packet> at_server, at_client;
  std::vector<Instant> server_times;

  Fixture() {
    sim.trace().add_sink(&sink);
    net.set_receiver(server, [this](const Packet& p) {
      at_server.push_back(p);
      server_times.push_back(sim.now());
    });
    net.set_receiver(client, [this](const Packet& p) { at_client.push_back(p); });
  }
  void direct_link(LinkParams p) { net.add_link(client, server, p, p); }
  void send_syn() { net.send(client, tcp_packet("10.0.0.1", "10.0.0.2", "S")); }
  void send_synack() {
    Packet p = tcp_packet("10.0.0.2", "10.0.0.1", "S.");
    std::swap(p.tcp.src_port, p.tcp.dst_port);
    net.send(server, p);
  }
};

}  // namespace

TEST_CASE("a packet crosses client-r1-r2-server in the sum of the link delays") {
  Fixture f;
  NodeId r1 = f.net.add_router("r1"), r2 = f.net.add_router("r2");
  f.net.add_link(f.client, r1, delay_link(10_ms), delay_link(10_ms));
  f.net.add_link(r1, r2, delay_link(5_ms), delay_link(5_ms));
  f.net.add_link(r2, f.server, delay_link(2_ms), delay_link(2_ms));
  f.net.compute_routes();
  f.send_syn();
  f.sim.run();
  REQUIRE(f.at_server.size() == 1);
  CHECK(f.server_times[0] == Instant::zero() + 17_ms);
  CHECK(f.at_server[0].ttl == 62);  // two routers
  CHECK(f.at_server[0].uid == 1);
  CHECK(render_all(f.sink) ==
        std::vector<std::string>{"0 client send 10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq "
                                 "0, win 0, length 0",
                                 "17000000 server recv 10.0.0.1.7500 > 10.0.0.2.20000: Flags "
                                 "[S], seq 0, win 0, length 0"});
}

TEST_CASE("the path with fewer hops wins even when it was created later") {
  Fixture f;
  NodeId r1 = f.net.add_router("r1"), r2 = f.net.add_router("r2"), r3 = f.net.add_router("r3");
  // Three hops of 1 ms first, then two hops of 10 ms: hops count, not delay.
  f.net.add_link(f.client, r2, delay_link(1_ms), delay_link(1_ms));
  f.net.add_link(r2, r3, delay_link(1_ms), delay_link(1_ms));
  f.net.add_link(r3, f.server, delay_link(1_ms), delay_link(1_ms));
  f.net.add_link(f.client, r1, delay_link(10_ms), delay_link(10_ms));
  f.net.add_link(r1, f.server, delay_link(10_ms), delay_link(10_ms));
  f.send_syn();
  f.send_synack();
  f.sim.run();
  REQUIRE(f.server_times.size() == 1);
  CHECK(f.server_times[0] == Instant::zero() + 20_ms);
  CHECK(f.at_client.size() == 1);
}

TEST_CASE("equally short paths are broken by link creation order") {
  Fixture f;
  NodeId r1 = f.net.add_router("r1"), r2 = f.net.add_router("r2");
  f.net.add_link(f.client, r2, delay_link(7_ms), delay_link(7_ms));
  f.net.add_link(f.client, r1, delay_link(1_ms), delay_link(1_ms));
  f.net.add_link(r1, f.server, delay_link(1_ms), delay_link(1_ms));
  f.net.add_link(r2, f.server, delay_link(7_ms), delay_link(7_ms));
  f.send_syn();
  f.sim.run();
  REQUIRE(f.server_times.size() == 1);
  CHECK(f.server_times[0] == Instant::zero() + 14_ms);  // via r2, whose link came first
}

TEST_CASE("a host never forwards, so a path through a host is no route") {
  Fixture f;
  NodeId middle = f.net.add_host("middle", {ip("10.0.0.3")});
  f.net.add_link(f.client, middle, delay_link(1_ms), delay_link(1_ms));
  f.net.add_link(middle, f.server, delay_link(1_ms), delay_link(1_ms));
  f.send_syn();
  f.sim.run();
  CHECK(f.at_server.empty());
  CHECK(f.net.drops(DropReason::no_route) == 1);
  CHECK(render(f.sink.records.back()) ==
        "0 client drop 10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 0, win 0, length 0 "
        "no_route (no route from client to server)");
}

TEST_CASE("a disconnected destination and an unknown address are dropped at the origin") {
  Fixture f;
  NodeId r1 = f.net.add_router("r1");
  f.net.add_link(f.client, r1, delay_link(1_ms), delay_link(1_ms));
  f.send_syn();
  f.net.send(f.client, tcp_packet("10.0.0.1", "10.9.9.9", "S"));
  f.sim.run();
  CHECK(f.net.drops(DropReason::no_route) == 2);
  auto lines = render_all(f.sink);
  REQUIRE(lines.size() == 4);
  CHECK(lines[1] ==
        "0 client drop 10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 0, win 0, length 0 "
        "no_route (no route from client to server)");
  CHECK(lines[3] ==
        "0 client drop 10.0.0.1.7500 > 10.9.9.9.20000: Flags [S], seq 0, win 0, length 0 "
        "no_route (no host has address 10.9.9.9)");
}

TEST_CASE("a packet to one's own address is delivered locally without a link") {
  Fixture f;
  f.net.send(f.server, tcp_packet("10.0.0.2", "10.0.0.2", "S"));
  f.sim.run();
  REQUIRE(f.at_server.size() == 1);
  CHECK(f.server_times[0] == Instant::zero());
}

TEST_CASE("a router drops a packet whose TTL runs out") {
  Fixture f;
  NodeId r1 = f.net.add_router("r1");
  f.net.add_link(f.client, r1, delay_link(1_ms), delay_link(1_ms));
  f.net.add_link(r1, f.server, delay_link(1_ms), delay_link(1_ms));
  Packet p = tcp_packet("10.0.0.1", "10.0.0.2", "S");
  p.ttl = 1;
  f.net.send(f.client, p);
  f.sim.run();
  CHECK(f.at_server.empty());
  CHECK(f.net.drops(DropReason::ttl_exceeded) == 1);
  CHECK(render(f.sink.records.back()) ==
        "1000000 r1 drop 10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 0, win 0, length 0 "
        "ttl_exceeded (ttl exceeded at r1)");
}

TEST_CASE("a down link drops at the sender and delivers again once it is back up") {
  Fixture f;
  NodeId r1 = f.net.add_router("r1");
  f.net.add_link(f.client, r1, delay_link(1_ms), delay_link(1_ms));
  LinkId l = f.net.add_link(r1, f.server, delay_link(1_ms), delay_link(1_ms));
  f.net.set_link_up(l, false);
  f.send_syn();
  f.sim.run();
  CHECK(f.at_server.empty());
  CHECK(f.net.drops(DropReason::link_down) == 1);
  CHECK(render(f.sink.records.back()) ==
        "1000000 r1 drop 10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 0, win 0, length 0 "
        "link_down (link r1-server down)");
  f.net.set_link_up(l, true);
  f.send_syn();
  f.sim.run();
  CHECK(f.at_server.size() == 1);
}

TEST_CASE("a crashed host drops what arrives as host_down") {
  Fixture f;
  f.direct_link(delay_link(1_ms));
  f.net.set_host_up(f.server, false);
  f.send_syn();
  f.sim.run();
  CHECK(f.at_server.empty());
  CHECK(f.net.drops(DropReason::host_down) == 1);
  CHECK(render(f.sink.records.back()) ==
        "1000000 server drop 10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 0, win 0, length 0 "
        "host_down (host server down)");
  f.net.set_host_up(f.server, true);
  f.send_syn();
  f.sim.run();
  CHECK(f.at_server.size() == 1);
}

TEST_CASE("link drops are traced at the sender with the link's description") {
  Fixture f;
  LinkParams p = delay_link(1_ms);
  p.bandwidth = DataRate::bps(10'000'000);
  p.queue_packets = 2;
  f.direct_link(p);
  for (int i = 0; i < 3; ++i)
    f.send_syn();
  f.net.set_link_params(0, f.client, [] {
    LinkParams lossy = delay_link(1_ms);
    lossy.loss = LossModel::bernoulli(1.0);
    return lossy;
  }());
  f.send_syn();
  f.sim.run();
  CHECK(f.at_server.size() == 2);
  CHECK(f.net.drops(DropReason::queue_full) == 1);
  CHECK(f.net.drops(DropReason::loss) == 1);
  CHECK(f.net.packets_sent() == 4);
  auto lines = render_all(f.sink);
  CHECK(lines[3] ==
        "0 client drop 10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 0, win 0, length 0 "
        "queue_full (queue 2 packets full)");
  CHECK(lines[5] ==
        "0 client drop 10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 0, win 0, length 0 "
        "loss (loss 100%)");
}

TEST_CASE("a packet corrupted on a link is dropped by the receiver") {
  Fixture f;
  LinkParams p = delay_link(1_ms);
  p.corrupt = Probability{1.0};
  f.direct_link(p);
  f.send_syn();
  f.sim.run();
  CHECK(f.at_server.empty());
  CHECK(f.net.drops(DropReason::corrupt) == 1);
  CHECK(render(f.sink.records.back()) ==
        "1000000 server drop 10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 0, win 0, length 0 "
        "corrupt (bad checksum)");
}

TEST_CASE("a packet duplicated on a link is delivered twice with the same uid") {
  Fixture f;
  LinkParams p = delay_link(1_ms);
  p.duplicate = Probability{1.0};
  f.direct_link(p);
  f.send_syn();
  f.send_syn();
  f.sim.run();
  REQUIRE(f.at_server.size() == 4);
  CHECK(f.at_server[0].uid == 1);
  CHECK(f.at_server[1].uid == 1);
  CHECK(f.at_server[2].uid == 2);
  CHECK(f.at_server[3].uid == 2);
  CHECK(f.net.packets_sent() == 2);
}

TEST_CASE("a uid set by the sender is kept") {
  Fixture f;
  f.direct_link(delay_link(1_ms));
  Packet p = tcp_packet("10.0.0.1", "10.0.0.2", "S");
  p.uid = 77;
  f.net.send(f.client, p);
  f.send_syn();
  f.sim.run();
  REQUIRE(f.at_server.size() == 2);
  CHECK(f.at_server[0].uid == 77);
  CHECK(f.at_server[1].uid == 1);
}

TEST_CASE("a fault rule drops exactly the first SYN-ACK and nothing else") {
  Fixture f;
  f.direct_link(delay_link(1_ms));
  f.net.add_fault(PacketFault{
      PacketFault::Action::drop, PacketMatch{.flags = TcpFlags::parse("S.")}, 1, 1, {}});
  for (int i = 0; i < 3; ++i) {
    f.send_syn();
    f.send_synack();
  }
  f.sim.run();
  CHECK(f.at_server.size() == 3);
  CHECK(f.at_client.size() == 2);
  CHECK(f.net.drops(DropReason::fault) == 1);
  auto lines = render_all(f.sink);
  CHECK(lines[2] == "0 server fault drop (rule 1: flags S., matching packet 1)");
  CHECK(lines[3] ==
        "0 server drop 10.0.0.2.20000 > 10.0.0.1.7500: Flags [S.], seq 0, ack 0, win 0, length 0 "
        "fault (fault: drop flags S.)");
}

TEST_CASE("a fault rule with nth 2 and count 2 drops the second and third match") {
  Fixture f;
  f.direct_link(delay_link(1_ms));
  PacketMatch m;
  m.src = ip("10.0.0.1");
  m.payload = true;
  f.net.add_fault(PacketFault{PacketFault::Action::drop, m, 2, 2, {}});
  for (int i = 0; i < 5; ++i) {
    f.send_syn();  // no payload: never matches
    f.net.send(f.client, tcp_packet("10.0.0.1", "10.0.0.2", "P.", 10));
  }
  f.sim.run();
  std::vector<uint64_t> data_uids;
  for (const auto& p : f.at_server) {
    if (!p.tcp.payload.empty()) data_uids.push_back(p.uid);
  }
  CHECK(data_uids == std::vector<uint64_t>{2, 8, 10});
  CHECK(f.at_server.size() == 8);
  CHECK(f.net.drops(DropReason::fault) == 2);
}

TEST_CASE("a delay fault makes the packet enter the network later") {
  Fixture f;
  f.direct_link(delay_link(10_ms));
  f.net.add_fault(PacketFault{PacketFault::Action::delay,
                              PacketMatch{.flags = TcpFlags::parse("F.")}, 1, 0, 300_ms});
  f.net.send(f.client, tcp_packet("10.0.0.1", "10.0.0.2", "F."));
  f.send_syn();
  f.sim.run();
  REQUIRE(f.server_times.size() == 2);
  CHECK(f.at_server[0].tcp.flags == *TcpFlags::parse("S"));
  CHECK(f.server_times[0] == Instant::zero() + 10_ms);
  CHECK(f.server_times[1] == Instant::zero() + 310_ms);
  CHECK(render(f.sink.records[1]) ==
        "0 client fault delay (rule 1: flags F., matching packet 1, by 300ms)");
}

TEST_CASE("duplicate and corrupt faults deliver a copy and spoil a packet") {
  Fixture f;
  f.direct_link(delay_link(1_ms));
  f.net.add_fault(PacketFault{
      PacketFault::Action::duplicate, PacketMatch{.flags = TcpFlags::parse("P.")}, 1, 1, {}});
  f.net.add_fault(
      PacketFault{PacketFault::Action::corrupt, PacketMatch{.dst = ip("10.0.0.1")}, 1, 0, {}});
  f.net.send(f.client, tcp_packet("10.0.0.1", "10.0.0.2", "P.", 5));
  f.net.send(f.client, tcp_packet("10.0.0.1", "10.0.0.2", "P.", 5));
  f.send_synack();
  f.sim.run();
  REQUIRE(f.at_server.size() == 3);
  CHECK(f.at_server[0].uid == 1);
  CHECK(f.at_server[1].uid == 1);
  CHECK(f.at_server[2].uid == 2);
  CHECK(f.at_client.empty());
  CHECK(f.net.drops(DropReason::corrupt) == 1);
}

TEST_CASE("a packet match describes itself and matches only what it names") {
  PacketMatch m;
  CHECK(m.to_string() == "any packet");
  CHECK(m.matches(tcp_packet("10.0.0.1", "10.0.0.2", "S")));
  m.src = ip("10.0.0.1");
  m.flags = TcpFlags::parse("S.");
  m.dport = 20000;
  m.payload = false;
  CHECK(m.to_string() == "src 10.0.0.1 flags S. dport 20000 without payload");
  CHECK(m.matches(tcp_packet("10.0.0.1", "10.0.0.2", "S.")));
  CHECK_FALSE(m.matches(tcp_packet("10.0.0.1", "10.0.0.2", "S")));  // flags must match exactly
  CHECK_FALSE(m.matches(tcp_packet("10.0.0.3", "10.0.0.2", "S.")));
  CHECK_FALSE(m.matches(tcp_packet("10.0.0.1", "10.0.0.2", "S.", 1)));
}

TEST_CASE("a stack's own drop is counted and traced at its host") {
  Fixture f;
  f.net.record_drop(f.server, tcp_packet("10.0.0.1", "10.0.0.2", "S"), DropReason::syn_queue_full,
                    "SYN queue 128 full");
  CHECK(f.net.drops(DropReason::syn_queue_full) == 1);
  CHECK(render(f.sink.records.back()) ==
        "0 server drop 10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 0, win 0, length 0 "
        "syn_queue_full (SYN queue 128 full)");
}

TEST_CASE("nodes, addresses and links can be looked up") {
  Fixture f;
  NodeId r1 = f.net.add_router("r1");
  f.net.add_link(f.client, r1, delay_link(1_ms), delay_link(1_ms));
  LinkId l = f.net.add_link(r1, f.server, delay_link(1_ms), delay_link(1_ms));
  CHECK(f.net.find_node("r1") == r1);
  CHECK_FALSE(f.net.find_node("r9").has_value());
  CHECK(f.net.owner_of(ip("10.0.0.2")) == f.server);
  CHECK_FALSE(f.net.owner_of(ip("10.0.0.9")).has_value());
  CHECK(f.net.link_between(f.server, r1) == l);
  CHECK_FALSE(f.net.link_between(f.client, f.server).has_value());
  CHECK_THROWS_WITH(f.net.add_host("other", {ip("10.0.0.2")}),
                    "address 10.0.0.2 of other already belongs to server");
  CHECK_THROWS_WITH(f.net.add_router("r1"), "node r1 already exists");
}

namespace {

// A lossy, jittery, duplicating two-hop path carrying 200 packets each way.
std::vector<std::string> lossy_run(uint64_t seed) {
  Simulator sim{seed};
  Network net{sim};
  MemorySink sink;
  sim.trace().add_sink(&sink);
  NodeId c = net.add_host("client", {ip("10.0.0.1")});
  NodeId s = net.add_host("server", {ip("10.0.0.2")});
  NodeId r = net.add_router("r1");
  LinkParams p;
  p.delay = 5_ms;
  p.jitter = 2_ms;
  p.bandwidth = DataRate::bps(10'000'000);
  p.queue_packets = 5;
  p.loss = LossModel::bernoulli(0.1);
  p.duplicate = Probability{0.05};
  net.add_link(c, r, p, p);
  p.loss = LossModel::gilbert(0.05, 0.3);
  net.add_link(r, s, p, p);
  for (int i = 0; i < 200; ++i) {
    sim.schedule_at(Instant::zero() + 1_ms * i, [&net, c, s] {
      net.send(c, tcp_packet("10.0.0.1", "10.0.0.2", "P.", 1000));
      net.send(s, tcp_packet("10.0.0.2", "10.0.0.1", "."));
    });
  }
  sim.run();
  return render_all(sink);
}

// Which of 500 packets from client to server the first link loses.
std::vector<uint64_t> lost_uids(bool second_link) {
  Simulator sim{5};
  Network net{sim};
  std::vector<uint64_t> lost;
  struct Collect : TraceSink {
    std::vector<uint64_t>* out = nullptr;
    void write(const TraceRecord& r) override {
      auto* p = std::get_if<PacketRecord>(&r);
      if (p && p->ev == PacketEvent::drop && p->packet.src.value == 0x0A000001) {
        out->push_back(p->packet.uid);
      }
    }
  } collect;
  collect.out = &lost;
  sim.trace().add_sink(&collect);
  NodeId c = net.add_host("client", {ip("10.0.0.1")});
  NodeId s = net.add_host("server", {ip("10.0.0.2")});
  LinkParams p;
  p.loss = LossModel::bernoulli(0.2);
  net.add_link(c, s, p, p);
  NodeId other = 0;
  if (second_link) {
    other = net.add_host("other", {ip("10.0.0.3")});
    net.add_link(other, s, p, p);
  }
  for (uint64_t i = 1; i <= 500; ++i) {
    Packet pk = tcp_packet("10.0.0.1", "10.0.0.2", "P.", 10);
    pk.uid = i;
    net.send(c, pk);
    if (second_link) net.send(other, tcp_packet("10.0.0.3", "10.0.0.2", "P.", 10));
  }
  sim.run();
  return lost;
}

}  // namespace

TEST_CASE("the same seed gives the same trace and another seed a different one") {
  auto a = lossy_run(7);
  auto b = lossy_run(7);
  auto c = lossy_run(8);
  CHECK(a.size() > 800);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("adding a second link does not change the first link's loss pattern") {
  auto alone = lost_uids(false);
  auto with_other = lost_uids(true);
  CHECK(alone.size() > 50);
  CHECK(alone == with_other);
}
