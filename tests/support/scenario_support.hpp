// For the tests that load and run scenarios (tests/runner, tests/reliability, tests/viz): a
// scenario from YAML text, the test failing with the loader's message when it does not load;
// and the trace records of a run, kept in memory.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "sim/trace.hpp"

namespace test_support {

// `name` is the file name the loader's messages give ("t.yaml:3:5: ...").
inline netsim::Scenario load_text(const std::string& text, const std::string& name) {
  netsim::LoadResult r = netsim::load_scenario_text(text, name);
  INFO(r.error_text());
  REQUIRE(r.ok());
  return std::move(*r.scenario);
}

inline std::vector<netsim::TraceRecord> run_records(const netsim::Scenario& s) {
  netsim::MemorySink sink;
  netsim::ScenarioRun run(s);
  run.add_sink(&sink);
  run.run();
  return std::move(sink.records);
}

}  // namespace test_support
