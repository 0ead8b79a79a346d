// For the loader's tests (tests/scenarios): the messages of a scenario text that must not load,
// one a line as the user sees them ("bad.yaml:3:5: ..."), and the two hosts most tests start
// from.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "scenarios/loader/loader.hpp"

namespace test_support {

// `hosts:` with client 10.0.0.1 and server 10.0.0.2 (lines 1-3 of a test's text).
inline const char* const kTwoHosts = R"(hosts:
  client: 10.0.0.1
  server: 10.0.0.2
)";

// Loads `text` as the file `name` with the overrides `sets`; the load must fail, and give no
// scenario. Returns every message, in the loader's order.
inline std::vector<std::string> load_errors(const std::string& text, const std::string& name,
                                            const std::vector<std::string>& sets = {},
                                            const netsim::ScenarioLimits& limits = {}) {
  netsim::LoadResult r = netsim::load_scenario_text(text, name, sets, limits);
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.scenario);
  std::vector<std::string> out;
  for (const auto& e : r.errors)
    out.push_back(e.to_string());
  return out;
}

}  // namespace test_support
