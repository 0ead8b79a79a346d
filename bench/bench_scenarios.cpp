// Scenario-level speed figures (issues 4 and 5): loading and validating every example, a flood
// of 1 million spoofed SYNs at 100k/s against a server with SYN cookies (no trace), and the
// diagram of a flood trace of about a million events (aggregated). Prints its figures; it
// asserts nothing, because speed targets live here and not in unit tests.
// Usage: bench_scenarios [SOURCE_DIR] [FLOOD_SYNS]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "viz/diagram.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void bench_loading(const std::string& source_dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(source_dir + "/scenarios")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  double worst = 0;
  std::string worst_name;
  for (const auto& f : files) {
    std::string text = read_file(f);
    std::vector<double> times;
    for (int i = 0; i < 21; ++i) {
      auto t = Clock::now();
      netsim::LoadResult r = netsim::load_scenario_text(text, f.string());
      times.push_back(since(t));
      if (!r.ok()) std::printf("  %s does not load:\n%s", f.c_str(), r.error_text().c_str());
    }
    std::sort(times.begin(), times.end());
    double median = times[times.size() / 2];
    if (median > worst) {
      worst = median;
      worst_name = f.filename().string();
    }
  }
  std::printf("load+validate: %zu examples, slowest %s at %.3f ms (median of 21)\n", files.size(),
              worst_name.c_str(), worst * 1e3);
}

std::string flood_scenario(long syns, int cookies) {
  return "name: flood-bench\n"
         "hosts: {attacker: 10.0.0.66, server: 10.0.0.2, client: 10.0.0.1}\n"
         "routers: [r1]\n"
         "links:\n"
         "  - {between: [attacker, r1], delay: 1ms}\n"
         "  - {between: [client, r1], delay: 5ms}\n"
         "  - {between: [r1, server], delay: 1ms}\n"
         "tcp: {syncookies: " +
         std::to_string(cookies) +
         "}\n"
         "apps:\n"
         "  - tcp_server: {name: web, on: server, port: 80, reply: echo}\n"
         "  - tcp_client: {name: alice, on: client, connect: server:80, at: 2s, send: \"hi\"}\n"
         "  - syn_flood: {name: flood, on: attacker, target: server:80, rate: 100000/s, start: 0s,"
         " count: " +
         std::to_string(syns) +
         ", spoof: 198.51.0.0/16}\n"
         "expect:\n"
         "  - {app: alice, connected_by: 3s}\n";
}

void bench_flood(long syns) {
  netsim::LoadResult r = netsim::load_scenario_text(flood_scenario(syns, 1), "flood.yaml");
  if (!r.ok()) {
    std::printf("%s", r.error_text().c_str());
    return;
  }
  auto t = Clock::now();
  netsim::ScenarioRun run(*r.scenario);
  run.run();
  double wall = since(t);
  auto verdicts = run.evaluate();
  const auto* server = run.host("server");
  std::printf(
      "flood: %ld spoofed SYNs at 100k/s, syncookies 1, no trace: %.2f s wall, %llu events "
      "(%.1f M events/s), cookies sent %llu, legitimate client %s, peak RSS %.0f MiB\n",
      syns, wall, static_cast<unsigned long long>(run.sim().events_executed()),
      static_cast<double>(run.sim().events_executed()) / wall / 1e6,
      static_cast<unsigned long long>(server->stack().counters().syncookies_sent),
      verdicts.at(0).ok ? "connected" : "did NOT connect",
      static_cast<double>(peak_rss_kib()) / 1024.0);
}

void bench_flood_diagram(long syns) {
  netsim::LoadResult r = netsim::load_scenario_text(flood_scenario(syns, 1), "flood.yaml");
  if (!r.ok()) return;
  netsim::ScenarioRun run(*r.scenario);
  netsim::MemorySink memory;
  run.add_sink(&memory);
  run.run();
  auto t = Clock::now();
  netsim::viz::DiagramMeta meta;
  meta.scenario = "flood-bench";
  std::string svg =
      netsim::viz::render_diagram_bytes(memory.records, meta, {}, netsim::viz::DiagramFormat::svg);
  std::printf(
      "diagram: %zu trace records summarised and drawn (aggregated) as SVG in %.2f s "
      "(%zu bytes)\n",
      memory.records.size(), since(t), svg.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::string source = argc > 1 ? argv[1] : NETSIM_SOURCE_DIR;
  long syns = argc > 2 ? std::atol(argv[2]) : 1'000'000;
  bench_loading(source);
  bench_flood(syns);
  bench_flood_diagram(syns / 4);
  return 0;
}
