// The pictures of docs/loss-recovery.md, made from scenarios/sack-vs-newreno.yaml rather than
// pasted: NETSIM_UPDATE_GOLDEN=1 rewrites them, and otherwise this test fails when one is not
// what the current code draws (as test_docs_images.cpp does for docs/diagrams.md).
#include <catch2/catch.hpp>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "tests/support/docs_image.hpp"
#include "viz/diagram.hpp"
#include "viz/plot.hpp"

using namespace netsim;

namespace {

using test_support::check_docs_image;

struct Example {
  Scenario scenario;
  viz::DiagramMeta meta;
  std::vector<TraceRecord> records;
};

Example run_example(const std::string& file) {
  LoadResult r = load_scenario_file(std::string(NETSIM_SOURCE_DIR "/scenarios/") + file);
  INFO(r.error_text());
  REQUIRE(r.ok());
  Example e{*r.scenario, {r.scenario->name, r.scenario->seed, {}}, {}};
  MemorySink sink;
  ScenarioRun run(e.scenario);
  run.add_sink(&sink);
  run.run();
  e.records = std::move(sink.records);
  return e;
}

}  // namespace

TEST_CASE("the pictures of docs/loss-recovery.md are what the code draws") {
  Example ex = run_example("sack-vs-newreno.yaml");
  const auto& meta = ex.meta;
  const auto& sink = ex;
  // Each upload from its first data to the end of its recovery: the three drops, the
  // duplicate ACKs (with SACK blocks on the Linux side) and the retransmissions.
  for (const auto& [file, app] : {std::pair{"loss-recovery-newreno.png", "nr_upload"},
                                  std::pair{"loss-recovery-sack.png", "linux_upload"}}) {
    viz::DiagramOptions d;
    d.connections = {app};
    d.from = Instant::zero() + Duration::milliseconds(90);
    d.to = Instant::zero() + Duration::milliseconds(330);
    d.scale = 1;
    check_docs_image(file,
                     viz::render_diagram_bytes(sink.records, meta, d, viz::DiagramFormat::png));
  }
  for (const auto& [file, app] : {std::pair{"loss-recovery-cwnd-newreno.png", "nr_upload"},
                                  std::pair{"loss-recovery-cwnd-sack.png", "linux_upload"}}) {
    viz::PlotOptions p;
    p.kind = viz::PlotKind::cwnd;
    p.connections = {app};
    check_docs_image(file, viz::render_plot_bytes(sink.records, meta, p, viz::ChartFormat::png));
  }
}

TEST_CASE("the tail-loss pictures of docs/loss-recovery.md are what the code draws") {
  Example ex = run_example("sack-vs-newreno-tail.yaml");
  // Each upload to its sink's close: ten segments, the last two lost, and how they come back.
  for (const auto& [file, app] : {std::pair{"loss-recovery-tail-newreno.png", "nr_upload"},
                                  std::pair{"loss-recovery-tail-sack.png", "linux_upload"}}) {
    viz::DiagramOptions d;
    d.connections = {app};
    d.to = Instant::zero() + Duration::milliseconds(300);
    d.scale = 1;
    check_docs_image(file,
                     viz::render_diagram_bytes(ex.records, ex.meta, d, viz::DiagramFormat::png));
  }
}
