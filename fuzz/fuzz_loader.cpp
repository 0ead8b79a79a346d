// Fuzz target 1: the scenario loader. YAML text goes through parsing, --set overrides and
// validation, and a scenario that validates is built into a simulation (ScenarioRun) but never
// run. Whatever the text, the result is a Scenario or errors: no crash, no hang, no unbounded
// allocation (libFuzzer's -rss_limit_mb and -timeout catch those), no exception escaping.
//
// Input: the YAML text, then optionally a NUL byte followed by `--set` strings separated by
// NUL bytes (at most 8), so the override parser is fuzzed as well.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netsim;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string_view text = input.substr(0, nul);
  std::vector<std::string> sets;
  while (nul != std::string_view::npos && sets.size() < 8) {
    size_t next = input.find('\0', nul + 1);
    sets.emplace_back(
        input.substr(nul + 1, next == std::string_view::npos ? next : next - nul - 1));
    nul = next;
  }

  // The build's cost grows with the data an app sends (one filler buffer of the largest size,
  // up to max_data_bytes = 1 GiB). Within a fuzzer's 10 s per input that bound is lowered to
  // 16 MiB; every other limit is the default one users get.
  ScenarioLimits limits;
  limits.max_data_bytes = int64_t{16} << 20;
  LoadResult r = load_scenario_text(text, "fuzz.yaml", sets, limits);
  FUZZ_CHECK(r.ok() == r.errors.empty(), "a scenario exactly when there is no error");
  if (!r.ok()) {
    FUZZ_CHECK(!r.error_text().empty(), "errors without text");
    return 0;
  }
  try {
    ScenarioRun run(*r.scenario);
  } catch (const std::invalid_argument&) {
    // The one documented refusal at build time: a feature this build lacks (TUN peers).
  }
  return 0;
}
