// The classic hold model through netsim's public engine API (issue 7, workload 1,
// docs/performance.md): N events are scheduled at Exp(mean = 1 ms); each executed event
// schedules one new event at now + Exp(mean), so N stay pending; the run stops after E executed
// events. The same model as bench/ns3/hold.cc, and a plain program (no Google Benchmark) so
// that bench/run_side_by_side.sh measures the whole process under /usr/bin/time as for ns-3.
//
//   bench_hold [--n=100000] [--events=5000000]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sim/simulator.hpp"

namespace {

using namespace netsim::literals;

struct Hold {
  netsim::Simulator sim{1};
  netsim::Rng rng = sim.rng_stream("bench:hold");
  netsim::Duration mean = 1_ms;
  uint64_t executed = 0;
  uint64_t budget = 0;

  // The callback captures one pointer: it fits std::function's small buffer, so scheduling
  // allocates nothing.
  void fire() {
    sim.schedule_in(rng.exponential(mean), [this] { fire(); });
    if (++executed == budget) sim.stop();
  }
};

// "--NAME=VALUE" with a positive integer VALUE into `out`; false if `arg` is not that option.
bool option(const char* arg, const char* name, uint64_t& out) {
  size_t len = std::strlen(name);
  if (std::strncmp(arg, name, len) != 0 || arg[len] != '=') return false;
  char* end = nullptr;
  unsigned long long v = std::strtoull(arg + len + 1, &end, 10);
  if (end == arg + len + 1 || *end != '\0' || v == 0) {
    std::fprintf(stderr, "bench_hold: %s needs a positive integer\n", name);
    std::exit(2);
  }
  out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = 100'000;
  uint64_t events = 5'000'000;
  for (int i = 1; i < argc; ++i) {
    if (!option(argv[i], "--n", n) && !option(argv[i], "--events", events)) {
      std::fprintf(stderr, "usage: bench_hold [--n=PENDING] [--events=EXECUTED]\n");
      return 2;
    }
  }

  Hold h;
  h.budget = events;
  for (uint64_t i = 0; i < n; ++i)
    h.sim.schedule_in(h.rng.exponential(h.mean), [&h] { h.fire(); });

  auto start = std::chrono::steady_clock::now();
  h.sim.run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("hold n=%llu executed=%llu run_s=%g events_per_s=%llu\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(h.executed), wall,
              static_cast<unsigned long long>(static_cast<double>(h.executed) / wall));
  return h.executed == events ? 0 : 1;
}
