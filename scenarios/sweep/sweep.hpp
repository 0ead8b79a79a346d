// Parameter sweeps (`netsim sweep`, docs/sweep.md): the cartesian product of every `--set`
// list × seeds 1..N, each run its own Simulator on one of J worker threads. Rows come back in
// grid order then seed order whatever J is, so the CSV is byte-identical for any J.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace netsim::sweep {

// One `--set KEY=V1,V2,...`: a key and its values, in the order written.
struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
};

// Parses "KEY=V1,V2,..."; commas inside (), [] or {} do not split. Throws
// std::invalid_argument with a message naming the argument when it is malformed.
SweepAxis parse_axis(const std::string& arg);

// One run of the grid: the `--set` overrides of its grid point and its seed.
struct SweepPoint {
  size_t index = 0;  // position in the deterministic order
  std::vector<std::pair<std::string, std::string>> params;
  uint64_t seed = 1;
};

// Limits (docs/reliability.md "Limits"): every run's point and row are held in memory
// (a few hundred bytes each), so a sweep has at most kMaxRuns runs; more threads than
// 4 x the cores only add memory, so -j is at most max_jobs().
constexpr uint64_t kMaxRuns = 1'000'000;
unsigned max_jobs();

// The number of runs, grid points x seeds, saturating at UINT64_MAX.
uint64_t run_count(const std::vector<SweepAxis>& axes, uint64_t seeds);

// Every run, the first axis varying slowest and the seed fastest (like nested for loops).
// Throws std::invalid_argument beyond kMaxRuns.
std::vector<SweepPoint> expand_grid(const std::vector<SweepAxis>& axes, uint64_t seeds);

// One CSV cell. Counter and drop cells are `omit_if_zero`: their column is left out when it is
// zero in every row, so a SYN-flood sweep is not 40 columns of zeros.
struct SweepCell {
  std::string column;
  std::string value;
  bool omit_if_zero = false;
  bool operator==(const SweepCell&) const = default;
};

// The figures of one run, in a canonical order.
struct SweepRow {
  std::vector<SweepCell> cells;
  bool expectations_failed = false;
  std::string error;  // the run could not run (event limit); empty if it ran
};

struct SweepOptions {
  unsigned jobs = 1;
  uint64_t max_events = 500'000'000;  // per run, as `netsim run`'s default budget
  // Called after each run completes (from a worker thread, serialised): runs done, total.
  std::function<void(size_t, size_t)> on_progress;
};

struct SweepResult {
  std::vector<SweepRow> rows;  // in grid order, one per SweepPoint
  std::string load_errors;     // non-empty: some grid point did not load; nothing ran
  size_t failed_runs() const;  // runs with an expectation failed or an error
};

// Loads every grid point (the first seed of each) and returns the errors, empty if all load.
std::string validate_grid(const std::string& scenario_text, const std::string& filename,
                          const std::vector<SweepPoint>& points);

// Runs the scenario text once per point. Every grid point is loaded (and so validated) before
// any run starts; if one fails, load_errors says which and why.
SweepResult run_sweep(const std::string& scenario_text, const std::string& filename,
                      const std::vector<SweepPoint>& points, const SweepOptions& options);

// The CSV: header = the union of every row's columns in order of first appearance; a cell a row
// lacks is empty. Counter and drop columns that are zero in every row are left out.
std::string to_csv(const std::vector<SweepRow>& rows);

}  // namespace netsim::sweep
