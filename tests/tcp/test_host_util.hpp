// A two-host world for TcpHost and timing tests: client 10.0.0.1 and server 10.0.0.2 joined by
// one link, a MemorySink on the trace, and helpers that print the trace as text lines.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "protocols/tcp/host.hpp"
#include "sim/network.hpp"
#include "sim/simulator.hpp"
#include "sim/trace.hpp"
#include "sim/trace_text.hpp"

namespace netsim::tcp::testing {

struct World {
  // `hosts`: whether the client and server run a TcpHost; a node without one swallows packets,
  // so a test can play the peer by hand with inject().
  World(Duration delay, Profile client_profile = {}, Profile server_profile = {},
        bool client_host = true, bool server_host = true) {
    sim.trace().add_sink(&sink);
    client_node = net.add_host("client", {Ipv4Addr{0x0A000001}});
    server_node = net.add_host("server", {Ipv4Addr{0x0A000002}});
    LinkParams lp;
    lp.delay = delay;
    link = net.add_link(client_node, server_node, lp, lp);
    net.compute_routes();
    if (client_host) {
      client = std::make_unique<TcpHost>(sim, net, client_node, client_profile, "client");
    }
    if (server_host) {
      server = std::make_unique<TcpHost>(sim, net, server_node, server_profile, "server");
    }
  }

  // Sends a hand-made packet from `node` now.
  void inject(NodeId node, const Packet& p) { net.send(node, p); }
  // Runs `fn` at virtual time t.
  template <typename Fn>
  void at(Instant t, Fn fn) {
    sim.schedule_at(t, std::move(fn));
  }

  // The text trace without recv lines and counters (what `netsim run` prints by default).
  std::vector<std::string> lines(bool with_counters = false) const {
    std::vector<std::string> out;
    for (const TraceRecord& r : sink.records) {
      if (auto* p = std::get_if<PacketRecord>(&r); p != nullptr && p->ev == PacketEvent::recv) {
        continue;
      }
      if (!with_counters && std::holds_alternative<CounterRecord>(r)) continue;
      out.push_back(format_trace_line(r));
    }
    return out;
  }
  // Only packet sends of one host, as "<time> <tcpdump>".
  std::vector<std::string> sends(const std::string& host) const {
    std::vector<std::string> out;
    for (const TraceRecord& r : sink.records) {
      if (auto* p = std::get_if<PacketRecord>(&r);
          p != nullptr && p->ev == PacketEvent::send && p->host == host) {
        out.push_back(format_trace_line(r));
      }
    }
    return out;
  }
  template <typename Rec>
  std::vector<Rec> records() const {
    std::vector<Rec> out;
    for (const TraceRecord& r : sink.records) {
      if (auto* x = std::get_if<Rec>(&r)) out.push_back(*x);
    }
    return out;
  }

  Simulator sim{1};
  MemorySink sink;
  Network net{sim};
  NodeId client_node = 0, server_node = 0;
  LinkId link = 0;
  std::unique_ptr<TcpHost> client, server;
};

inline void print_lines(const std::vector<std::string>& v) {
  for (const std::string& s : v)
    std::printf("%s\n", s.c_str());
}

// Instants (ns) at which `host` sent packets whose flags print as `flags` ("S", "S.", "R.", ...).
inline std::vector<int64_t> send_times_ns(const World& w, const std::string& host,
                                          const std::string& flags) {
  std::vector<int64_t> t;
  for (const PacketRecord& r : w.records<PacketRecord>())
    if (r.ev == PacketEvent::send && r.host == host && r.packet.tcp.flags.to_string() == flags)
      t.push_back(r.t.ns());
  return t;
}

// Every pure ACK the client (10.0.0.1) sends is dropped; its data still gets through, so the
// server's request keeps retransmitting its SYN-ACK.
inline void drop_client_pure_acks(World& w) {
  PacketFault f;
  f.action = PacketFault::Action::drop;
  f.match.src = Ipv4Addr{0x0A000001};
  f.match.flags = TcpFlags(TcpFlags::ACK);
  f.match.payload = false;
  w.net.add_fault(f);
}

}  // namespace netsim::tcp::testing
