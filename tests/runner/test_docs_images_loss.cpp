// The pictures of docs/loss-recovery.md, made from scenarios/sack-vs-newreno.yaml rather than
// pasted: NETSIM_UPDATE_GOLDEN=1 rewrites them, and otherwise this test fails when one is not
// what the current code draws (as test_docs_images.cpp does for docs/diagrams.md).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "viz/diagram.hpp"
#include "viz/plot.hpp"

using namespace netsim;

namespace {

void check_image(const std::string& file, const std::string& bytes) {
  std::string path = std::string(NETSIM_SOURCE_DIR "/docs/images/") + file;
  const char* update = std::getenv("NETSIM_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << bytes;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream have;
  have << in.rdbuf();
  INFO(path << " is not what the code draws now: regenerate with NETSIM_UPDATE_GOLDEN=1");
  CHECK(have.str() == bytes);
}

}  // namespace

TEST_CASE("the pictures of docs/loss-recovery.md are what the code draws") {
  LoadResult r = load_scenario_file(NETSIM_SOURCE_DIR "/scenarios/sack-vs-newreno.yaml");
  INFO(r.error_text());
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  MemorySink sink;
  {
    ScenarioRun run(s);
    run.add_sink(&sink);
    run.run();
  }
  const viz::DiagramMeta meta{s.name, s.seed, {}};
  // Each upload from its first data to the end of its recovery: the three drops, the
  // duplicate ACKs (with SACK blocks on the Linux side) and the retransmissions.
  for (const auto& [file, app] : {std::pair{"loss-recovery-newreno.png", "nr_upload"},
                                  std::pair{"loss-recovery-sack.png", "linux_upload"}}) {
    viz::DiagramOptions d;
    d.connections = {app};
    d.from = Instant::zero() + Duration::milliseconds(90);
    d.to = Instant::zero() + Duration::milliseconds(330);
    d.scale = 1;
    check_image(file, viz::render_diagram_bytes(sink.records, meta, d, viz::DiagramFormat::png));
  }
  for (const auto& [file, app] : {std::pair{"loss-recovery-cwnd-newreno.png", "nr_upload"},
                                  std::pair{"loss-recovery-cwnd-sack.png", "linux_upload"}}) {
    viz::PlotOptions p;
    p.kind = viz::PlotKind::cwnd;
    p.connections = {app};
    check_image(file, viz::render_plot_bytes(sink.records, meta, p, viz::ChartFormat::png));
  }
}
