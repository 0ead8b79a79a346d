// The pictures of docs/diagrams.md that show example scenarios are made here, from the
// scenarios themselves, not pasted: NETSIM_UPDATE_GOLDEN=1 rewrites them, and otherwise this
// test fails when one is not what the current code draws (PNG bytes depend only on the
// installed fonts, as for the viz goldens).
#include <catch2/catch.hpp>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "tests/support/docs_image.hpp"
#include "viz/diagram.hpp"
#include "viz/plot.hpp"

using namespace netsim;

namespace {

std::vector<TraceRecord> run_example(const std::string& name, Scenario& s) {
  LoadResult r = load_scenario_file(std::string(NETSIM_SOURCE_DIR "/scenarios/") + name);
  INFO(r.error_text());
  REQUIRE(r.ok());
  s = *r.scenario;
  MemorySink sink;
  ScenarioRun run(s);
  run.add_sink(&sink);
  run.run();
  return std::move(sink.records);
}

viz::DiagramMeta meta_of(const Scenario& s) {
  viz::DiagramMeta m;
  m.scenario = s.name;
  m.seed = s.seed;
  return m;
}

using test_support::check_docs_image;

}  // namespace

TEST_CASE("the docs' pictures of example scenarios are what the code draws") {
  Scenario lossy;
  auto lossy_records = run_example("lossy-transfer.yaml", lossy);
  viz::PlotOptions seq;
  seq.kind = viz::PlotKind::tcptrace;
  check_docs_image("plot-tcptrace.png", viz::render_plot_bytes(lossy_records, meta_of(lossy), seq,
                                                               viz::ChartFormat::png));
  viz::PlotOptions cwnd;
  cwnd.kind = viz::PlotKind::cwnd;
  check_docs_image("plot-cwnd.png", viz::render_plot_bytes(lossy_records, meta_of(lossy), cwnd,
                                                           viz::ChartFormat::png));
  // The first 160 ms: bands of data around a lost ACK, a lost segment, its dupACKs and its
  // fast retransmit.
  viz::DiagramOptions first;
  first.to = Instant::zero() + Duration::milliseconds(160);
  first.scale = 1.5;
  check_docs_image("lossy-transfer.png", viz::render_diagram_bytes(lossy_records, meta_of(lossy),
                                                                   first, viz::DiagramFormat::png));
  Scenario crash;
  auto crash_records = run_example("server-crash.yaml", crash);
  viz::DiagramOptions whole;
  whole.scale = 1.5;
  check_docs_image("server-crash.png", viz::render_diagram_bytes(crash_records, meta_of(crash),
                                                                 whole, viz::DiagramFormat::png));
}
