// Loading a scenario file: YAML parsing (yaml-cpp), `--set` overrides, and validation of every
// key and value before anything runs. All errors are collected, each with file:line:column, the
// key path and what was expected (DESIGN.md property 8); a Scenario is returned only if none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/loader/scenario.hpp"

namespace netsim {

// Bounds that keep a hostile or mistaken file from exhausting memory or time. Every value above
// a limit is an error naming the limit (e.g. "the max_hosts limit"); see docs/scenario-format.md.
struct ScenarioLimits {
  int64_t max_file_bytes = int64_t{4} << 20;  // 4 MiB of YAML
  // Nodes visited when the document is walked with aliases expanded: defeats "billion laughs"
  // files, whose few hundred bytes expand to 2^30 nodes.
  int64_t max_yaml_nodes = 1'000'000;
  int max_depth = 64;  // nesting of maps and lists
  int64_t max_hosts = 10'000;
  int64_t max_routers = 10'000;
  int64_t max_links = 100'000;
  int64_t max_apps = 10'000;
  int64_t max_faults = 10'000;
  int64_t max_expectations = 10'000;
  int64_t max_connections = 100'000;              // a tcp_client's `count`
  int64_t max_flood_packets = 10'000'000;         // SYNs one syn_flood sends
  int64_t max_data_bytes = int64_t{1} << 30;      // a `send`/`reply` size: 1 GiB
  Duration max_time = Duration::hours(24 * 365);  // any duration or time: one year
};

struct ScenarioError {
  SourcePos pos;
  std::string path;  // key path such as "links[0].delay"; empty for file-level errors
  std::string message;
  // "file:line:column: key.path: message" (parts that are empty are left out).
  std::string to_string() const;
};

struct LoadResult {
  std::optional<Scenario> scenario;   // set exactly when errors is empty
  std::vector<ScenarioError> errors;  // sorted: command-line (--set) errors first, then by line
  bool ok() const { return scenario.has_value(); }
  // Every error's to_string(), one per line (each line ends with '\n').
  std::string error_text() const;
};

// Reads and validates a scenario file. `set_overrides` are "PATH=VALUE" strings (--set).
LoadResult load_scenario_file(const std::string& path,
                              const std::vector<std::string>& set_overrides = {},
                              const ScenarioLimits& limits = {});

// The same for text already in memory; `filename` is used in messages and for the default name.
LoadResult load_scenario_text(std::string_view text, const std::string& filename,
                              const std::vector<std::string>& set_overrides = {},
                              const ScenarioLimits& limits = {});

// Appends the `expect:` list of a grader file (`netsim run lab.yaml --expect grader.yaml`) to
// `sc`, checked against its apps and hosts as if written in the scenario; the errors name the
// grader file. A grader file is a map with `expect:` (and optionally `name`, `description`).
std::vector<ScenarioError> add_expectations_file(Scenario& sc, const std::string& path,
                                                 const ScenarioLimits& limits = {});

}  // namespace netsim
