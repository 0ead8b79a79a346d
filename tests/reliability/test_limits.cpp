// Resource bounds and output safety of the `netsim` command, end to end (issue 8): a runaway
// run stops with an exact message and leaves no output file, not even part of one; scenario
// limits are errors that name the limit before anything runs; output paths are created,
// refused or kept inside the output directory as docs/outputs.md promises.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/run_process.hpp"

namespace fs = std::filesystem;
using namespace test_support;

#ifdef NETSIM_BINARY

namespace {

constexpr auto* netsim = &netsim_in;
std::vector<std::string> files_in(const fs::path& dir) {
  return entries_under(dir, Entries::regular_files);
}
const char* kTiny = kTinyEcho;

// 9 million SYNs: tens of millions of events, long enough to be stopped.
const char* kLongFlood = R"(name: long-flood
duration: 100s
hosts: {attacker: 10.0.0.66, server: 10.0.0.2}
links: [{between: [attacker, server], delay: 1ms}]
apps:
  - tcp_server: {name: web, on: server, port: 80}
  - syn_flood: {name: flood, on: attacker, target: server:80, rate: 100000/s, duration: 90s}
)";

using Files = std::vector<std::string>;

}  // namespace

TEST_CASE("A run over its --max-events budget stops with an exact message and no output file") {
  fs::path d = fresh_dir("limits-max-events");
  write_file(d / "tiny.yaml", kTiny);
  auto r = netsim(d,
                  "run tiny.yaml -q -o out --events e.jsonl --pcap c.pcap --trace t.txt "
                  "--summary s.json --max-events 10");
  CHECK(r.code == 2);
  CHECK(r.output ==
        "netsim: tiny.yaml: the run exceeded its limit of 10 events at virtual time 0.060000 s "
        "(raise it with --max-events)\n");
  CHECK(files_in(d / "out") == Files{});
}

TEST_CASE("A run stopped by --max-events leaves an earlier output file as it was") {
  fs::path d = fresh_dir("limits-keep-old");
  write_file(d / "tiny.yaml", kTiny);
  fs::create_directories(d / "out");
  write_file(d / "out" / "e.jsonl", "earlier run\n");
  write_file(d / "out" / "c.pcap", "earlier capture\n");
  auto r = netsim(d, "run tiny.yaml -q -o out --events e.jsonl --pcap c.pcap --max-events 10");
  CHECK(r.code == 2);
  CHECK(files_in(d / "out") == Files{"c.pcap", "e.jsonl"});
  CHECK(read_file(d / "out" / "e.jsonl") == "earlier run\n");
  CHECK(read_file(d / "out" / "c.pcap") == "earlier capture\n");
  // The same run without the limit replaces both.
  REQUIRE(netsim(d, "run tiny.yaml -q -o out --events e.jsonl --pcap c.pcap").code == 0);
  // The run line first (scenario and seed), then the records.
  CHECK(read_file(d / "out" / "e.jsonl").rfind("{\"ev\":\"run\",\"scenario\":\"tiny\",", 0) == 0);
  CHECK(read_file(d / "out" / "c.pcap").size() > 24);
}

TEST_CASE(
    "A run over its --max-wall time stops with an exact message and no output, not even pcap") {
  fs::path d = fresh_dir("limits-max-wall");
  write_file(d / "flood.yaml", kLongFlood);
  // The guard is checked every 16384 events; a microsecond has always passed by the first
  // check, so the run stops at the same event, and virtual time, every time.
  auto r = netsim(d,
                  "run flood.yaml -q -o out --events e.jsonl --pcap c.pcap --summary s.json "
                  "--max-wall 0.000001");
  CHECK(r.code == 2);
  CHECK(r.output ==
        "netsim: flood.yaml: stopped after 1e-06 s of wall-clock time (--max-wall) at virtual "
        "time 0.042450 s; no output was written\n");
  CHECK(files_in(d / "out") == Files{});
}

TEST_CASE("Ctrl-C during a run leaves no output file, not even a temporary one") {
  fs::path d = fresh_dir("limits-interrupt");
  write_file(d / "flood.yaml", kLongFlood);
  // The run takes many seconds; SIGINT arrives after one. Whether it lands while the file is
  // loaded (default action) or while the simulation runs (handled), netsim dies of SIGINT
  // (status 130 in the shell) and nothing is left in the output directory.
  std::string status =
      run_process(std::string("{ ") + NETSIM_BINARY +
                      " run flood.yaml -q -o out --events e.jsonl --pcap c.pcap --summary s.json "
                      "2>err.txt & pid=$!; sleep 1; kill -INT $pid; wait $pid; echo $?; }",
                  {.dir = d, .capture = Capture::stdout_only})
          .output;
  CHECK(status == "130\n");
  CHECK(files_in(d / "out") == Files{});
  std::string err = read_file(d / "err.txt");
  if (!err.empty()) {
    CHECK(err.rfind("netsim: flood.yaml: interrupted at virtual time ", 0) == 0);
    CHECK(err.find(" s; no output was written\n") == err.size() - 26);
  }
}

TEST_CASE("Scenario limits are errors naming the limit, reported before anything runs") {
  fs::path d = fresh_dir("limits-scenario-limits");
  write_file(d / "big.yaml", R"(name: too-big
duration: 876000h
hosts: {a: 10.0.0.1, b: 10.0.0.2}
links: [{between: [a, b], delay: 1ms}]
apps:
  - tcp_server: {name: web, on: b, port: 80, reply: 2GB}
  - tcp_client: {name: many, on: a, connect: b:80, count: 1000000, interval: 1ms}
  - syn_flood: {name: f1, on: a, target: b:80, rate: 1000/s, count: 1000000000000}
  - syn_flood: {name: f2, on: a, target: b:80, rate: 1000000/s, duration: 1h}
)");
  const std::string expected =
      "big.yaml:2:11: duration: expected at most 8760h (the max_time limit), found \"876000h\"\n"
      "big.yaml:6:53: apps[0].tcp_server.reply: expected at most 1GiB (the max_data_bytes "
      "limit), found \"2GB\"\n"
      "big.yaml:7:59: apps[1].tcp_client.count: expected at most 100000 (the max_connections "
      "limit), found 1000000\n"
      "big.yaml:8:69: apps[2].syn_flood.count: expected at most 10000000 (the "
      "max_flood_packets limit), found 1000000000000\n"
      "big.yaml:9:75: apps[3].syn_flood.duration: expected at most 10000000 SYNs (the "
      "max_flood_packets limit), found 3600000000 at this rate\n";
  auto check = netsim(d, "check big.yaml");
  CHECK(check.code == 2);
  CHECK(check.output == expected);
  auto run = netsim(d, "run big.yaml -o out --events e.jsonl");
  CHECK(run.code == 2);
  CHECK(run.output == expected);
  CHECK_FALSE(fs::exists(d / "out"));
}

TEST_CASE("A scenario file above 4 MiB is refused without being parsed") {
  fs::path d = fresh_dir("limits-file-size");
  std::string text = std::string(kTiny) + "# " + std::string(4 << 20, 'x') + "\n";
  write_file(d / "huge.yaml", text);
  auto r = netsim(d, "check huge.yaml");
  CHECK(r.code == 2);
  CHECK(r.output == "huge.yaml: the file is " + std::to_string(text.size()) +
                        " bytes, more than the max_file_bytes limit of 4194304 (4MiB)\n");
}

TEST_CASE("A billion-laughs file is refused by the node budget") {
  fs::path d = fresh_dir("limits-laughs");
  std::string text = "a0: &a0 [x, x]\n";
  for (int i = 1; i < 30; ++i)
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  text += std::string(kTiny);
  write_file(d / "laughs.yaml", text);
  auto r = netsim(d, "check laughs.yaml");
  CHECK(r.code == 2);
  CHECK(r.output ==
        "laughs.yaml:2:5: the document has more than 1000000 nodes once anchors and "
        "aliases are expanded (the max_yaml_nodes limit)\n");
}

TEST_CASE("Missing output directories are created, nested ones included") {
  fs::path d = fresh_dir("limits-mkdir");
  write_file(d / "tiny.yaml", kTiny);
  auto r = netsim(d, "run tiny.yaml -q -o new/deeper --events a/b/e.jsonl --pcap c.pcap");
  CHECK(r.code == 0);
  CHECK(r.output.empty());
  CHECK(files_in(d / "new") == Files{"deeper/a/b/e.jsonl", "deeper/c.pcap"});
}

TEST_CASE("An output directory that cannot be created is refused with the reason") {
  fs::path d = fresh_dir("limits-mkdir-fails");
  write_file(d / "tiny.yaml", kTiny);
  write_file(d / "plain-file", "not a directory\n");
  auto r = netsim(d, "run tiny.yaml -q -o plain-file/out --events e.jsonl");
  CHECK(r.code == 2);
  CHECK(r.output ==
        "netsim: cannot create the directory \"plain-file/out\" for output "
        "\"e.jsonl\": Not a directory\n");
  CHECK(read_file(d / "plain-file") == "not a directory\n");
}

TEST_CASE("An output that is a directory is refused and nothing is written") {
  fs::path d = fresh_dir("limits-is-dir");
  write_file(d / "tiny.yaml", kTiny);
  fs::create_directories(d / "out" / "e.jsonl");
  auto r = netsim(d, "run tiny.yaml -q -o out --events e.jsonl --pcap c.pcap");
  CHECK(r.code == 2);
  CHECK(r.output == "netsim: output \"out/e.jsonl\" is a directory\n");
  CHECK(files_in(d / "out") == Files{});
}

TEST_CASE("A relative output may not climb out with .. but an absolute one may go anywhere") {
  fs::path d = fresh_dir("limits-escape");
  write_file(d / "tiny.yaml", kTiny);
  auto bad = netsim(d, "run tiny.yaml -q -o out --events sub/../../e.jsonl");
  CHECK(bad.code == 2);
  CHECK(bad.output ==
        "netsim: output \"sub/../../e.jsonl\" climbs out of the output directory "
        "with \"..\"; give an absolute path to write elsewhere\n");
  CHECK(files_in(d) == Files{"tiny.yaml"});
  fs::path abs = d / "elsewhere" / "e.jsonl";
  auto ok = netsim(d, "run tiny.yaml -q -o out --events " + abs.string());
  CHECK(ok.code == 0);
  CHECK(fs::exists(abs));
  CHECK_FALSE(fs::exists(d / "out" / "e.jsonl"));
}

TEST_CASE("An output may not overwrite the scenario, however the path is spelled") {
  fs::path d = fresh_dir("limits-self");
  write_file(d / "tiny.yaml", kTiny);
  auto r = netsim(d, "run tiny.yaml -q -o . --events ./tiny.yaml");
  CHECK(r.code == 2);
  CHECK(r.output ==
        "netsim: --events '././tiny.yaml' would overwrite the scenario file "
        "'tiny.yaml'\n");
  auto abs = netsim(d, "run tiny.yaml -q --pcap " + (d / "tiny.yaml").string());
  CHECK(abs.code == 2);
  CHECK(read_file(d / "tiny.yaml") == kTiny);
}

#endif  // NETSIM_BINARY
