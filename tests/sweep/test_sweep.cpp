// `netsim sweep`'s logic (scenarios/sweep/): the grid order, the CSV, and the property that
// matters most — the CSV is byte-identical whatever the number of worker threads.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "scenarios/sweep/sweep.hpp"

using namespace netsim::sweep;

namespace {

std::string read_example(const std::string& name) {
  std::ifstream in(std::string(NETSIM_SOURCE_DIR) + "/scenarios/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("a --set value list splits on commas outside brackets") {
  SweepAxis a = parse_axis("links.0.loss=1%,2%,gilbert(p=1%, r=50%)");
  CHECK(a.key == "links.0.loss");
  CHECK(a.values == std::vector<std::string>{"1%", "2%", "gilbert(p=1%, r=50%)"});
  CHECK(parse_axis("seed=7").values == std::vector<std::string>{"7"});
}

TEST_CASE("a --set without a key, a value or with an empty value is refused") {
  CHECK_THROWS_WITH(parse_axis("links.0.loss"), "--set links.0.loss: expected KEY=V1,V2,...");
  CHECK_THROWS_WITH(parse_axis("=1"), "--set =1: expected KEY=V1,V2,...");
  CHECK_THROWS_WITH(parse_axis("a=1,,2"), "--set a=1,,2: an empty value");
}

TEST_CASE("the grid varies the first axis slowest and the seed fastest") {
  auto points = expand_grid({{"a", {"1", "2"}}, {"b", {"x", "y"}}}, 2);
  REQUIRE(points.size() == 8);
  std::vector<std::string> order;
  for (const auto& p : points) {
    CHECK(p.index == order.size());
    order.push_back(p.params[0].second + p.params[1].second + std::to_string(p.seed));
  }
  CHECK(order == std::vector<std::string>{"1x1", "1x2", "1y1", "1y2", "2x1", "2x2", "2y1", "2y2"});
  auto seeds_only = expand_grid({}, 3);
  REQUIRE(seeds_only.size() == 3);
  CHECK(seeds_only[2].params.empty());
  CHECK(seeds_only[2].seed == 3);
}

TEST_CASE("the CSV takes the union of columns, quotes fields and drops all-zero counters") {
  SweepRow r1;
  r1.cells = {{"links.0.loss", "1%", false},
              {"seed", "1", false},
              {"a.result", "closed", false},
              {"h.retransmits", "0", true},
              {"drops.loss", "3", true}};
  SweepRow r2;
  r2.cells = {{"links.0.loss", "1%", false},
              {"seed", "2", false},
              {"b.result", "ETIMEDOUT", false},
              {"h.retransmits", "0", true},
              {"drops.loss", "0", true}};
  r2.error = "stopped, \"too many\" events\nsecond line";
  CHECK(to_csv({r1, r2}) ==
        "links.0.loss,seed,a.result,drops.loss,b.result,error\n"
        "1%,1,closed,3,,\n"
        "1%,2,,0,ETIMEDOUT,\"stopped, \"\"too many\"\" events\"\n");
}

TEST_CASE("a grid point that does not load stops the sweep before any run, naming the value") {
  auto points = expand_grid({{"links.0.loss", {"1%", "150%"}}}, 2);
  SweepResult r =
      run_sweep(read_example("lossy-transfer.yaml"), "lossy-transfer.yaml", points, SweepOptions{});
  CHECK(r.rows.empty());
  CHECK(r.load_errors.rfind("with links.0.loss=150%:\n", 0) == 0);
}

TEST_CASE("hello-echo gives one row with its apps, counters and expectations") {
  auto points = expand_grid({}, 1);
  SweepResult r =
      run_sweep(read_example("hello-echo.yaml"), "hello-echo.yaml", points, SweepOptions{});
  REQUIRE(r.rows.size() == 1);
  CHECK(r.failed_runs() == 0);
  std::string csv = to_csv(r.rows);
  INFO(csv);
  CHECK(csv ==
        "seed,events,end_ns,"
        "echo.result,echo.connected_ns,echo.closed_ns,echo.bytes_sent,echo.bytes_received,"
        "echo.retransmits,echo.accepted,echo.connections,echo.established,"
        "alice.result,alice.connected_ns,alice.closed_ns,alice.bytes_sent,alice.bytes_received,"
        "alice.retransmits,client.connections_established,server.syn_received,"
        "server.synack_sent,server.connections_established,expect_held,expect_failed,error\n"
        "1,12,60060000000,closed,30000000,50000000,13,13,0,1,1,1,"
        "closed,20000000,40000000,13,13,0,1,1,1,1,7,0,\n");
}

TEST_CASE("a sweep's CSV is byte-identical with one worker thread and with two") {
  auto points = expand_grid({{"links.0.loss", {"1%", "5%"}}}, 3);
  std::string text = read_example("lossy-transfer.yaml");
  SweepOptions one, two;
  one.jobs = 1;
  two.jobs = 2;
  size_t progress_calls = 0;
  two.on_progress = [&](size_t done, size_t total) {
    ++progress_calls;
    CHECK(done == progress_calls);
    CHECK(total == 6);
  };
  SweepResult a = run_sweep(text, "lossy-transfer.yaml", points, one);
  SweepResult b = run_sweep(text, "lossy-transfer.yaml", points, two);
  CHECK(progress_calls == 6);
  REQUIRE(a.rows.size() == 6);
  CHECK(to_csv(a.rows) == to_csv(b.rows));
  // Different seeds and loss rates really differ: the sweep is not running one run six times.
  CHECK(a.rows[0].cells != a.rows[1].cells);
  CHECK(a.rows[0].cells[0].value == "1%");
  CHECK(a.rows[5].cells[0].value == "5%");
}

#ifdef NETSIM_HAVE_MPI
#include "scenarios/sweep/sweep_mpi.hpp"

TEST_CASE("rows survive the encoding ranks send each other, commas and newlines included") {
  SweepRow a;
  a.cells = {{"links.0.loss", "gilbert(p=1%, r=50%)", false}, {"drops.loss", "0", true}};
  a.expectations_failed = true;
  SweepRow b;
  b.error = "line one\nline two";
  std::vector<SweepRow> back = decode_rows(encode_rows({a, b}));
  REQUIRE(back.size() == 2);
  CHECK(back[0].cells == a.cells);
  CHECK(back[0].expectations_failed);
  CHECK(back[1].cells.empty());
  CHECK(back[1].error == "line one\nline two");
  CHECK_THROWS_WITH(decode_rows(encode_rows({a}).substr(0, 20)), "sweep: truncated row data");
}
#endif
