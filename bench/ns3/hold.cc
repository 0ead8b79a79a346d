// ns-3 counterpart of bench/bench_hold.cpp (issue 7, workload 1, docs/performance.md): the
// classic hold model. N events are scheduled at Exp(mean = 1 ms); each executed event schedules
// one new event at now + Exp(mean), so N stay pending; the run stops after E executed events.
// Default scheduler, ns-3's public API only. Built by bench/run_side_by_side.sh when libns3-dev
// is installed.
#include <chrono>
#include <cstdint>
#include <iostream>

#include "ns3/core-module.h"

using namespace ns3;

namespace {

Ptr<ExponentialRandomVariable> g_exp;
uint64_t g_executed = 0;
uint64_t g_budget = 0;

void Fire() {
  Simulator::Schedule(Seconds(g_exp->GetValue()), &Fire);
  if (++g_executed == g_budget) Simulator::Stop();
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = 100000;
  uint64_t events = 5000000;
  CommandLine cmd;
  cmd.AddValue("n", "pending events", n);
  cmd.AddValue("events", "events to execute", events);
  cmd.Parse(argc, argv);
  if (n == 0 || events == 0) {
    std::cerr << "hold: --n and --events must be positive\n";
    return 2;
  }

  g_exp = CreateObject<ExponentialRandomVariable>();
  g_exp->SetAttribute("Mean", DoubleValue(0.001));  // seconds
  g_budget = events;
  for (uint64_t i = 0; i < n; ++i)
    Simulator::Schedule(Seconds(g_exp->GetValue()), &Fire);

  auto start = std::chrono::steady_clock::now();
  Simulator::Run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "hold n=" << n << " executed=" << g_executed << " run_s=" << wall
            << " events_per_s=" << static_cast<uint64_t>(g_executed / wall) << std::endl;
  Simulator::Destroy();
  return g_executed == events ? 0 : 1;
}
