// RunOutputs (scenarios/runner/run_outputs.hpp), the output plan `netsim run` uses: which
// outputs win, where they land, and the all-or-nothing commit — in process, without the CLI.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/run_outputs.hpp"
#include "sim/atomic_file.hpp"
#include "tests/support/run_process.hpp"

namespace fs = std::filesystem;
using namespace netsim;

namespace {

const std::string kTiny = std::string(test_support::kTinyEcho) +
                          "outputs: {summary: file-summary.json, trace: file-trace.txt}\n";

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    v.push_back(fs::relative(e.path(), dir).string());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("RunOutputs: the command line replaces the file's output of the same kind") {
  fs::path d = test_support::fresh_dir("run-outputs-pick");
  std::string file = test_support::write_file(d / "s.yaml", kTiny);
  LoadResult loaded = load_scenario_text(kTiny, file);
  REQUIRE(loaded.ok());
  OutputRequest req;
  req.scenario_file = file;
  req.out_dir = (d / "out").string();
  req.summary = "cli-summary.json";
  req.pcap = "c.pcap";
  RunOutputs outputs(*loaded.scenario, req);
  ScenarioRun run(*loaded.scenario);
  outputs.attach(run);
  run.run();
  // Nothing exists under an output's name before commit().
  for (const auto& n : names_in(d / "out")) {
    CHECK(n.find(".tmp.") + n.find(".pending.") != 2 * std::string::npos);
  }
  CHECK(outputs.render(run, run.evaluate()).empty());
  outputs.commit();
  CHECK(names_in(d / "out") ==
        std::vector<std::string>{"c.pcap", "cli-summary.json", "file-trace.txt"});
}

TEST_CASE("RunOutputs: destroyed before commit, it leaves nothing at all") {
  fs::path d = test_support::fresh_dir("run-outputs-discard");
  std::string file = test_support::write_file(d / "s.yaml", kTiny);
  LoadResult loaded = load_scenario_text(kTiny, file);
  REQUIRE(loaded.ok());
  OutputRequest req;
  req.scenario_file = file;
  req.out_dir = (d / "out").string();
  req.pcap = "c.pcap";
  req.diagrams = {"d.svg"};
  {
    RunOutputs outputs(*loaded.scenario, req);
    ScenarioRun run(*loaded.scenario);
    outputs.attach(run);
    run.run();  // the pcap sink has finished: its file waits under a pending name
    CHECK(outputs.render(run, run.evaluate()).empty());
  }
  CHECK(names_in(d / "out").empty());
}

TEST_CASE("RunOutputs: file outputs go beside the scenario without -o, refusals name both") {
  fs::path d = test_support::fresh_dir("run-outputs-paths");
  fs::create_directories(d / "lab");
  std::string file = test_support::write_file(d / "lab" / "s.yaml", kTiny);
  CHECK(resolve_output_path("r/x.txt", true, "", file) == (d / "lab" / "r/x.txt").string());
  CHECK(resolve_output_path("r/x.txt", false, "", file) == "r/x.txt");
  CHECK(resolve_output_path("x.txt", true, "o", file) == "o/x.txt");
  CHECK_THROWS_WITH(resolve_output_path("/etc/x", true, "", file),
                    "output \"/etc/x\" from the scenario file is absolute; only the command "
                    "line may name an absolute path");
  LoadResult loaded = load_scenario_text(kTiny, file);
  REQUIRE(loaded.ok());
  OutputRequest req;
  req.scenario_file = file;
  req.out_dir = (d / "lab").string();
  req.events = "file-trace.txt";  // the file's trace lands on the same path
  CHECK_THROWS_WITH(RunOutputs(*loaded.scenario, req),
                    "outputs.trace '" + (d / "lab" / "file-trace.txt").string() +
                        "' and --events '" + (d / "lab" / "file-trace.txt").string() +
                        "' are the same file");
}
