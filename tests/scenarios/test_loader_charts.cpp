// The chart outputs of a scenario: `outputs.timeline` (a file or a map) and `outputs.plots`
// (file, kind, optional connection and window) keep their values, and each mistake gives one
// exact message with file:line:column and the key path.
#include <catch2/catch.hpp>

#include "scenarios/loader/loader.hpp"
#include "tests/support/loader_support.hpp"

using namespace netsim;
using namespace netsim::literals;

namespace {

using Lines = std::vector<std::string>;

const std::string kStory = std::string(test_support::kTwoHosts) + R"(links:
  - between: [client, server]
    delay: 5ms
apps:
  - tcp_server: {name: web, on: server, port: 80}
  - tcp_client: {name: alice, on: client, connect: server:80}
)";

LoadResult load(const std::string& outputs) {
  return load_scenario_text(kStory + outputs, "t.yaml", {});
}

Lines errors_of(const std::string& outputs) {
  return test_support::load_errors(kStory + outputs, "t.yaml");
}

}  // namespace

TEST_CASE("outputs.timeline and outputs.plots keep their files, kinds, connections and windows") {
  LoadResult r = load(R"(outputs:
  timeline: states.png
  plots:
    - {file: queue.svg, kind: syn_queue}
    - {file: cwnd.png, kind: cwnd, connection: alice, from: 1s, to: 2s}
)");
  REQUIRE(r.ok());
  const OutputsSpec& o = r.scenario->outputs;
  REQUIRE(o.timeline);
  CHECK(o.timeline->file == "states.png");
  CHECK(o.timeline->pos.line == 11);
  REQUIRE(o.plots.size() == 2);
  CHECK(o.plots[0].file == "queue.svg");
  CHECK(o.plots[0].kind == "syn_queue");
  CHECK_FALSE(o.plots[0].connection);
  CHECK(o.plots[1].kind == "cwnd");
  CHECK(o.plots[1].connection == "alice");
  CHECK(o.plots[1].from == 1_s);
  CHECK(o.plots[1].to == 2_s);
  CHECK(o.any());

  LoadResult m = load(R"(outputs:
  timeline: {file: alice.svg, connection: alice, to: 3s}
)");
  REQUIRE(m.ok());
  CHECK(m.scenario->outputs.timeline->connection == "alice");
  CHECK(m.scenario->outputs.timeline->to == 3_s);
}

TEST_CASE("malformed chart outputs are reported with what was expected") {
  CHECK(errors_of(R"(outputs:
  timeline: states.pdf
  plots:
    - {file: q.svg, kind: synqueue}
    - {kind: drops}
    - {file: c.jpg, kind: cwnd, connection: bob}
    - q.svg
    - {file: w.svg, kind: drops, from: 2s, to: 1s}
)") == Lines{
           "t.yaml:11:13: outputs.timeline: expected a file ending in .svg or .png, found "
           "\"states.pdf\"",
           "t.yaml:13:27: outputs.plots[0].kind: expected one of syn_queue, accept_queue, "
           "established, drops, cwnd, tcptrace, found \"synqueue\"; did you mean \"syn_queue\"?",
           "t.yaml:14:7: outputs.plots[1]: missing key \"file\" (the plot file, like queue.svg)",
           "t.yaml:15:14: outputs.plots[2].file: expected a file ending in .svg or .png, found "
           "\"c.jpg\"",
           "t.yaml:15:45: outputs.plots[2].connection: unknown app \"bob\"",
           "t.yaml:16:7: outputs.plots[3]: expected a map with file, kind and optional "
           "connection, from, to, found \"q.svg\"",
           "t.yaml:17:48: outputs.plots[4].to: expected a time after from (2s), found 1s",
       });
  CHECK(errors_of(R"(outputs:
  timelines: s.svg
  plots:
    - {file: q.svg}
)") == Lines{
           "t.yaml:11:3: outputs.timelines: unknown key; did you mean \"timeline\"?",
           "t.yaml:13:7: outputs.plots[0]: missing key \"kind\" (what to plot: syn_queue, "
           "accept_queue, established, drops or cwnd)",
       });
}
