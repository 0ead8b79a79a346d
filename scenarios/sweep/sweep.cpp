// `netsim sweep`: expands the grid, loads and runs every point on a pool of threads, and turns
// each run's summary into one row. Each worker owns its Scenario and ScenarioRun (every
// Simulator is independent, DESIGN.md), so the only shared state is the next-point counter.
#include "scenarios/sweep/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/host_counters.hpp"
#include "scenarios/runner/scenario_run.hpp"

namespace netsim::sweep {
namespace {

std::string optional_ns(const std::optional<Instant>& t) {
  return t ? std::to_string(t->ns()) : std::string();
}

void add_app_cells(const apps::AppReport& r, std::vector<SweepCell>& cells) {
  auto add = [&](const char* what, std::string value) {
    cells.push_back({fmt::format("{}.{}", r.name, what), std::move(value), false});
  };
  if (r.kind == "syn_flood") {
    add("packets_sent", std::to_string(r.packets_sent));
    return;
  }
  add("result", r.overall_result());
  const apps::ConnectionReport* first = r.connections.empty() ? nullptr : &r.connections.front();
  add("connected_ns", first ? optional_ns(first->connected_at) : "");
  add("closed_ns", first && first->result != "open" ? optional_ns(first->result_at) : "");
  uint64_t sent = 0, received = 0, retx = 0, connected = 0;
  for (const auto& c : r.connections) {
    sent += c.bytes_sent;
    received += c.bytes_received;
    retx += c.retransmits;
    if (c.connected_at) ++connected;
  }
  add("bytes_sent", std::to_string(sent));
  add("bytes_received", std::to_string(received));
  add("retransmits", std::to_string(retx));
  if (r.kind == "tcp_server") add("accepted", std::to_string(r.accepted));
  // A client with `count:` or a busy server: how many of its connections got through.
  if (r.connections.size() > 1 || r.kind == "tcp_server") {
    add("connections", std::to_string(r.connections.size()));
    add("established", std::to_string(connected));
  }
}

SweepRow row_of(const SweepPoint& p, ScenarioRun& run, const std::vector<ExpectVerdict>& verdicts) {
  SweepRow row;
  auto& cells = row.cells;
  for (const auto& [key, value] : p.params)
    cells.push_back({key, value, false});
  cells.push_back({"seed", std::to_string(p.seed), false});
  cells.push_back({"events", std::to_string(run.sim().events_executed()), false});
  cells.push_back({"end_ns", std::to_string(run.sim().now().ns()), false});
  for (const auto* r : run.reports())
    add_app_cells(*r, cells);
  for (const auto& h : run.scenario().hosts) {
    const tcp::TcpHost* th = run.host(h.name);
    if (th == nullptr) continue;  // a `tun:` host has no simulated stack
    for (const auto& [name, value] : host_counters(th->stack().counters()))
      cells.push_back({fmt::format("{}.{}", h.name, name), std::to_string(value), true});
  }
  for (DropReason r : kAllDropReasons) {
    cells.push_back(
        {fmt::format("drops.{}", to_string(r)), std::to_string(run.network().drops(r)), true});
  }
  size_t failed = 0;
  for (const auto& v : verdicts)
    if (!v.ok) ++failed;
  cells.push_back({"expect_held", std::to_string(verdicts.size() - failed), false});
  cells.push_back({"expect_failed", std::to_string(failed), false});
  row.expectations_failed = failed > 0;
  return row;
}

std::vector<std::string> overrides_of(const SweepPoint& p) {
  std::vector<std::string> sets;
  for (const auto& [key, value] : p.params)
    sets.push_back(key + "=" + value);
  sets.push_back(fmt::format("seed={}", p.seed));
  return sets;
}

SweepRow run_point(const std::string& text, const std::string& filename, const SweepPoint& p,
                   uint64_t max_events) {
  LoadResult loaded = load_scenario_text(text, filename, overrides_of(p));
  if (!loaded.ok()) {
    SweepRow row;
    row.error = loaded.error_text();
    return row;
  }
  ScenarioRun run(*loaded.scenario);
  run.set_event_limit(max_events);
  try {
    run.run();
  } catch (const EventLimitExceeded& e) {
    SweepRow row;
    for (const auto& [key, value] : p.params)
      row.cells.push_back({key, value, false});
    row.cells.push_back({"seed", std::to_string(p.seed), false});
    row.error = e.what();
    return row;
  }
  SweepRow row = row_of(p, run, run.evaluate());
  return row;
}

}  // namespace

SweepAxis parse_axis(const std::string& arg) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
    throw std::invalid_argument(fmt::format("--set {}: expected KEY=V1,V2,...", arg));
  }
  SweepAxis axis{arg.substr(0, eq), {}};
  int depth = 0;
  std::string current;
  for (char c : arg.substr(eq + 1)) {
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      axis.values.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  axis.values.push_back(current);
  for (const auto& v : axis.values) {
    if (v.empty()) throw std::invalid_argument(fmt::format("--set {}: an empty value", arg));
  }
  return axis;
}

unsigned max_jobs() {
  return 4 * std::max(1u, std::thread::hardware_concurrency());
}

uint64_t run_count(const std::vector<SweepAxis>& axes, uint64_t seeds) {
  uint64_t n = seeds;
  for (const auto& a : axes) {
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(a.values.size()), &n)) return UINT64_MAX;
  }
  return n;
}

std::vector<SweepPoint> expand_grid(const std::vector<SweepAxis>& axes, uint64_t seeds) {
  if (uint64_t n = run_count(axes, seeds); n > kMaxRuns) {
    throw std::invalid_argument(fmt::format(
        "the sweep would make {} runs (grid points x --seeds); the limit is {}: split it into "
        "several sweeps",
        n == UINT64_MAX ? std::string("more than 18446744073709551615") : std::to_string(n),
        kMaxRuns));
  }
  std::vector<std::vector<std::pair<std::string, std::string>>> grid{{}};
  for (const auto& axis : axes) {
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& g : grid) {
      for (const auto& v : axis.values) {
        next.push_back(g);
        next.back().emplace_back(axis.key, v);
      }
    }
    grid = std::move(next);
  }
  std::vector<SweepPoint> points;
  for (const auto& g : grid) {
    for (uint64_t seed = 1; seed <= seeds; ++seed)
      points.push_back(SweepPoint{points.size(), g, seed});
  }
  return points;
}

size_t SweepResult::failed_runs() const {
  size_t n = 0;
  for (const auto& r : rows)
    if (r.expectations_failed || !r.error.empty()) ++n;
  return n;
}

std::string validate_grid(const std::string& scenario_text, const std::string& filename,
                          const std::vector<SweepPoint>& points) {
  std::string errors;
  // Each grid point once (its first seed), before spending time on any run.
  for (const auto& p : points) {
    if (p.seed != 1) continue;
    LoadResult loaded = load_scenario_text(scenario_text, filename, overrides_of(p));
    if (!loaded.ok()) {
      std::string where;
      for (const auto& [key, value] : p.params)
        where += fmt::format(" {}={}", key, value);
      errors +=
          fmt::format("with{}:\n{}", where.empty() ? " no --set" : where, loaded.error_text());
    }
  }
  return errors;
}

SweepResult run_sweep(const std::string& scenario_text, const std::string& filename,
                      const std::vector<SweepPoint>& points, const SweepOptions& options) {
  SweepResult result;
  result.load_errors = validate_grid(scenario_text, filename, points);
  if (!result.load_errors.empty()) return result;

  result.rows.resize(points.size());
  std::atomic<size_t> next{0};
  std::mutex progress_mutex;
  size_t done = 0;
  std::exception_ptr failure;
  auto worker = [&] {
    for (size_t i = next++; i < points.size(); i = next++) {
      try {
        result.rows[i] = run_point(scenario_text, filename, points[i], options.max_events);
      } catch (...) {
        std::lock_guard lock(progress_mutex);
        if (!failure) failure = std::current_exception();
        next = points.size();  // an internal error: stop handing out work
        return;
      }
      std::lock_guard lock(progress_mutex);
      ++done;
      if (options.on_progress) options.on_progress(done, points.size());
    }
  };
  unsigned jobs = std::clamp(options.jobs, 1u, max_jobs());
  std::vector<std::thread> pool;
  for (unsigned j = 1; j < jobs; ++j) {
    try {
      pool.emplace_back(worker);
    } catch (const std::system_error&) {
      // No more threads (ulimit -u, memory): run on those that started (issue 17 §3); a
      // thread that was never created must not take the process down with it.
      break;
    }
  }
  worker();
  for (auto& t : pool)
    t.join();
  if (failure) std::rethrow_exception(failure);
  return result;
}

}  // namespace netsim::sweep
