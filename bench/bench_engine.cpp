// Engine throughput: the classic hold model (N pending events; each executed event schedules one
// new event at now + Exp(mean)) through the Simulator and through the raw EventQueue, and
// packets per second through one lossy link of a Network. Figures go into docs/engine.md.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "sim/event_queue.hpp"
#include "sim/network.hpp"
#include "sim/simulator.hpp"

namespace netsim {
namespace {

using namespace netsim::literals;

constexpr int64_t kBatch = 1'000'000;  // events run per benchmark iteration

// Hold model on the Simulator: the callback captures one pointer, so it is stored in place in
// its slot and scheduling allocates nothing.
struct SimHold {
  Simulator sim{1};
  Rng rng = sim.rng_stream("bench:hold");
  Duration mean = 1_ms;
  int64_t budget = 0;

  void fire() {
    sim.schedule_in(rng.exponential(mean), [this] { fire(); });
    if (--budget == 0) sim.stop();
  }
};

void BM_HoldSimulator(benchmark::State& state) {
  SimHold h;
  const int64_t n = state.range(0);
  for (int64_t i = 0; i < n; ++i)
    h.sim.schedule_in(h.rng.exponential(h.mean), [&h] { h.fire(); });
  h.budget = n;  // warm up: every initial event runs once before timing starts
  h.sim.run();
  for (auto _ : state) {
    h.budget = kBatch;
    h.sim.run();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(state.iterations() * kBatch),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_HoldSimulator)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond);

// The same model on the bare EventQueue: what the Simulator's run loop costs on top.
struct QueueHold {
  EventQueue q;
  Rng rng{1, "bench:hold"};
  Duration mean = 1_ms;
  Instant now;

  void fire() {
    q.schedule(now + rng.exponential(mean), [this] { fire(); });
  }
  void run(int64_t events) {
    for (int64_t i = 0; i < events; ++i)
      q.run_next([this](Instant t) { now = t; });
  }
};

void BM_HoldEventQueue(benchmark::State& state) {
  QueueHold h;
  const int64_t n = state.range(0);
  for (int64_t i = 0; i < n; ++i)
    h.q.schedule(h.now + h.rng.exponential(h.mean), [&h] { h.fire(); });
  h.run(n);
  for (auto _ : state)
    h.run(kBatch);
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(state.iterations() * kBatch),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_HoldEventQueue)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond);

// Packets through one 10 Mbps link with 1% Bernoulli loss between two hosts, no trace sinks.
// The source sends a 1500-byte packet every 1.25 ms (96% of the link), so the queue stays short.
struct LinkRun {
  Simulator sim{1};
  Network net{sim};
  NodeId a = 0, b = 0;
  Packet packet;
  int64_t delivered = 0;
  int64_t budget = 0;

  LinkRun() {
    a = net.add_host("a", {Ipv4Addr{0x0A000001}});
    b = net.add_host("b", {Ipv4Addr{0x0A000002}});
    LinkParams p;
    p.delay = 10_ms;
    p.bandwidth = DataRate::bps(10'000'000);
    p.queue_packets = 100;
    p.loss = LossModel::bernoulli(0.01);
    net.add_link(a, b, p, p);
    net.compute_routes();
    net.set_receiver(b, [this](const Packet&) { ++delivered; });
    packet.src = Ipv4Addr{0x0A000001};
    packet.dst = Ipv4Addr{0x0A000002};
    packet.tcp.src_port = 7500;
    packet.tcp.dst_port = 20000;
    packet.tcp.flags = TcpFlags(TcpFlags::ACK);
    packet.tcp.payload = Payload(std::vector<uint8_t>(1460, 'x'));
  }
  void tick() {
    Packet p = packet;
    p.uid = 0;
    net.send(a, std::move(p));
    if (--budget == 0) {
      sim.stop();
      return;
    }
    sim.schedule_in(1250_us, [this] { tick(); });
  }
};

void BM_LossyLink(benchmark::State& state) {
  LinkRun run;
  int64_t sent = 0;
  for (auto _ : state) {
    run.budget = 100'000;
    run.sim.schedule_in(Duration::zero(), [&run] { run.tick(); });
    run.sim.run();
    sent += 100'000;
  }
  state.SetItemsProcessed(sent);
  state.counters["packets/s"] =
      benchmark::Counter(static_cast<double>(sent), benchmark::Counter::kIsRate);
  state.counters["delivered"] = static_cast<double>(run.delivered) / static_cast<double>(sent);
}
BENCHMARK(BM_LossyLink)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace netsim

BENCHMARK_MAIN();
