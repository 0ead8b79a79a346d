// Memory per TCP socket: opens many connections between two Stacks wired back to back (and
// between two TcpHosts over a Network) and prints the heap bytes per ESTABLISHED connection, per
// SYN-queue request and per cookie-answered SYN, measured as glibc mallinfo2() deltas.
// Targets (docs/queues-and-cookies.md): <= ~1 KiB per connection, <= ~256 B per request, 0 for
// a cookie. Usage: bench_tcp_memory [connections]   (default 100000)

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "protocols/tcp/host.hpp"
#include "protocols/tcp/stack.hpp"
#include "sim/network.hpp"
#include "sim/simulator.hpp"

using namespace netsim;
using namespace netsim::tcp;

namespace {

const Ipv4Addr kClient{0x0A000001};
const Ipv4Addr kServer{0x0A000002};
constexpr int kServerPorts = 8;  // 100k connections need more than one port's ephemeral range

size_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

Profile roomy_profile() {
  Profile p;
  p.somaxconn = 1 << 22;
  p.max_syn_backlog = 1 << 22;
  return p;
}

// Delivers every packet of `out` to `to`, and what that produces back to `from`, until quiet.
void exchange(Instant now, Stack& a, Stack& b, Outbox& out) {
  Outbox next;
  Stack* dst = &b;
  Stack* src = &a;
  while (!out.packets.empty()) {
    next.clear();
    for (const Packet& p : out.packets)
      dst->on_packet(now, p, next);
    std::swap(out, next);
    std::swap(dst, src);
  }
}

void bench_connections(int n) {
  Stack client({kClient}, roomy_profile(), Rng(1, "tcp:client"));
  Stack server({kServer}, roomy_profile(), Rng(1, "tcp:server"));
  Outbox out;
  std::vector<SocketId> listeners;
  for (int i = 0; i < kServerPorts; ++i) {
    listeners.push_back(server.listen(static_cast<uint16_t>(20000 + i), 1 << 22, {}, out).id);
  }
  size_t c0 = 0;
  size_t before = heap_in_use();
  for (int i = 0; i < n; ++i) {
    out.clear();
    SocketAddr remote{kServer, static_cast<uint16_t>(20000 + i % kServerPorts)};
    client.connect(Instant::zero(), remote, std::nullopt, {}, out);
    exchange(Instant::zero(), client, server, out);
    out.clear();
    server.accept(listeners[i % kServerPorts], out);
  }
  size_t after = heap_in_use();
  c0 = server.connection_count();
  std::printf("stacks: %zu ESTABLISHED pairs: %.0f bytes per connection (both ends: %.0f)\n", c0,
              static_cast<double>(after - before) / 2.0 / static_cast<double>(n),
              static_cast<double>(after - before) / static_cast<double>(n));
}

void bench_requests(int n, int syncookies) {
  Profile p = roomy_profile();
  p.syncookies = syncookies;
  Stack server({kServer}, p, Rng(1, "tcp:server"));
  Outbox out;
  SocketId l = server.listen(20000, 1 << 22, {}, out).id;
  // Warm the Outbox so its growth is not counted.
  out.packets.reserve(4);
  size_t before = heap_in_use();
  for (int i = 0; i < n; ++i) {
    out.clear();
    Packet syn;
    syn.src = Ipv4Addr{0xC6336400u + static_cast<uint32_t>(i / 50000)};  // 198.51.100.0/24...
    syn.dst = kServer;
    syn.tcp.src_port = static_cast<uint16_t>(1024 + i % 50000);
    syn.tcp.dst_port = 20000;
    syn.tcp.seq = SeqNum(static_cast<uint32_t>(i));
    syn.tcp.flags = TcpFlags(TcpFlags::SYN);
    syn.tcp.window = 64240;
    syn.tcp.options.mss = 1460;
    server.on_packet(Instant::zero(), syn, out);
  }
  size_t after = heap_in_use();
  if (syncookies == 2) {
    std::printf("cookies: %d SYNs answered by cookies: %.1f bytes per SYN (SYN queue %zu)\n", n,
                static_cast<double>(after - before) / static_cast<double>(n),
                server.syn_queue_length(l));
  } else {
    std::printf("requests: %zu in the SYN queue: %.0f bytes per request\n",
                server.syn_queue_length(l),
                static_cast<double>(after - before) / static_cast<double>(n));
  }
}

void bench_hosts(int n) {
  Simulator sim(1);
  Network net(sim);
  NodeId c = net.add_host("client", {kClient});
  NodeId s = net.add_host("server", {kServer});
  LinkParams lp;
  net.add_link(c, s, lp, lp);
  net.compute_routes();
  size_t before = heap_in_use();
  TcpHost client(sim, net, c, roomy_profile(), "client");
  TcpHost server(sim, net, s, roomy_profile(), "server");
  SocketCallbacks accept_all;
  accept_all.on_accepted = [&server](SocketId l, SocketId) { server.accept(l); };
  for (int i = 0; i < kServerPorts; ++i) {
    server.listen(static_cast<uint16_t>(20000 + i), 1 << 22, {}, accept_all, "server");
  }
  for (int i = 0; i < n; ++i) {
    client.connect({kServer, static_cast<uint16_t>(20000 + i % kServerPorts)});
  }
  sim.run_until(sim.now() + Duration::milliseconds(1));
  size_t after = heap_in_use();
  std::printf(
      "hosts: %zu ESTABLISHED pairs through TcpHost: %.0f bytes per connection end "
      "(stack + host bookkeeping + armed timers)\n",
      server.stack().connection_count(),
      static_cast<double>(after - before) / 2.0 / static_cast<double>(n));
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  if (n <= 0) n = 100000;
  bench_connections(n);
  bench_requests(n, 0);
  bench_requests(n, 2);
  bench_hosts(n);
  return 0;
}
