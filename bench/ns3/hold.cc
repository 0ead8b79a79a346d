// ns-3 counterpart of bench/bench_hold.cpp (issue 7, workload 1, docs/performance.md): the
// classic hold model. N events are scheduled at Exp(mean = 1 ms); each executed event schedules
// one new event at now + Exp(mean), so N stay pending; the run stops after E executed events.
// ns-3's public API only; --scheduler picks the event scheduler (default: ns-3's default, the
// MapScheduler; also heap, calendar, priority-queue, list). Built by bench/run_side_by_side.sh
// when libns3-dev is installed.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <string>

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
  std::string scheduler = "default";
  CommandLine cmd;
  cmd.AddValue("n", "pending events", n);
  cmd.AddValue("events", "events to execute", events);
  cmd.AddValue("scheduler", "default|map|heap|calendar|priority-queue|list", scheduler);
  cmd.Parse(argc, argv);
  const std::map<std::string, std::string> types = {
      {"map", "ns3::MapScheduler"},
      {"heap", "ns3::HeapScheduler"},
      {"calendar", "ns3::CalendarScheduler"},
      {"priority-queue", "ns3::PriorityQueueScheduler"},
      {"list", "ns3::ListScheduler"}};
  if (scheduler != "default") {
    auto it = types.find(scheduler);
    if (it == types.end()) {
      std::cerr << "hold: unknown --scheduler " << scheduler << "\n";
      return 2;
    }
    ObjectFactory factory;
    factory.SetTypeId(it->second);
    Simulator::SetScheduler(factory);
  }
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
