// Issue 17, "Hostile input, round two", end to end through the `netsim` command: outputs never
// destroy anything (FIFOs, devices, symlinks, inputs, two outputs on one file), a failed run
// leaves nothing, no crash or undefined behaviour on extreme values, bounded memory, and
// every numeric option checked. Each case asserts the exact message.
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/run_process.hpp"

namespace fs = std::filesystem;
using namespace test_support;

#ifdef NETSIM_BINARY

namespace {

constexpr auto* netsim = &netsim_in;
std::vector<std::string> entries(const fs::path& dir) {
  return entries_under(dir);
}
const char* kTiny = kTinyEcho;

using Files = std::vector<std::string>;

}  // namespace

// ---- 1. Outputs never destroy anything ----

TEST_CASE("An output that is a FIFO is written through, never replaced") {
  fs::path d = fresh_dir("r2-fifo");
  write_file(d / "tiny.yaml", kTiny);
  REQUIRE(::mkfifo((d / "pipe").c_str(), 0600) == 0);
  // A reader on the FIFO, as a user's `cat pipe` would be.
  auto r = run_process("{ cat pipe > got.txt & " + std::string(NETSIM_BINARY) +
                           " run tiny.yaml -q --trace pipe; wait; }",
                       {.dir = d, .capture = Capture::stderr_only});
  CHECK(r.code == 0);
  CHECK(fs::is_fifo(d / "pipe"));
  CHECK(read_file(d / "got.txt").find("Flags [S]") != std::string::npos);
}

TEST_CASE("A character device output is written through: /dev/null stays a device") {
  fs::path d = fresh_dir("r2-devnull");
  write_file(d / "tiny.yaml", kTiny);
  auto r = netsim(d, "run tiny.yaml -q --summary /dev/null --trace /dev/null");
  CHECK(r.code == 0);
  CHECK(r.output.empty());
  CHECK(fs::is_character_file("/dev/null"));
}

TEST_CASE("/dev/stdout and - are standard output, written as a stream") {
  fs::path d = fresh_dir("r2-stdout");
  write_file(d / "tiny.yaml", kTiny);
  auto r = run_process(std::string(NETSIM_BINARY) + " run tiny.yaml -q --summary /dev/stdout",
                       {.dir = d, .capture = Capture::both});
  CHECK(r.code == 0);
  CHECK(r.output.rfind("{\n  \"scenario\": \"tiny\"", 0) == 0);
  auto dash = run_process(std::string(NETSIM_BINARY) + " run tiny.yaml -q --summary -",
                          {.dir = d, .capture = Capture::both});
  CHECK(dash.output == r.output);
  CHECK(entries(d) == Files{"tiny.yaml"});
}

TEST_CASE("An output that is a symbolic link is refused and the link and its target stay") {
  fs::path d = fresh_dir("r2-symlink");
  write_file(d / "tiny.yaml", kTiny);
  write_file(d / "target.txt", "keep me\n");
  fs::create_symlink("target.txt", d / "link.txt");
  auto r = netsim(d, "run tiny.yaml -q --trace link.txt --summary s.json");
  CHECK(r.code == 2);
  CHECK(r.output ==
        "netsim: output 'link.txt' is a symbolic link (to 'target.txt'); netsim neither "
        "replaces nor follows one: name the file itself\n");
  CHECK(fs::is_symlink(d / "link.txt"));
  CHECK(read_file(d / "target.txt") == "keep me\n");
  CHECK(entries(d) == Files{"link.txt", "target.txt", "tiny.yaml"});
}

TEST_CASE("An absolute path in a scenario's outputs is refused at its line and column") {
  fs::path d = fresh_dir("r2-abs-output");
  write_file(d / "victim.txt", "precious\n");
  std::string text = kTiny;
  text += "outputs: {summary: " + (d / "victim.txt").string() + "}\n";
  write_file(d / "s.yaml", text);
  auto r = netsim(d, "run s.yaml -q");
  CHECK(r.code == 2);
  CHECK(r.output ==
        "s.yaml:7:20: outputs.summary: expected a path inside the output folder (no "
        "leading '/', no \"..\"), found \"" +
            (d / "victim.txt").string() +
            "\"; only the command line may write elsewhere (--trace, --summary, ... "
            "take any path)\n");
  CHECK(read_file(d / "victim.txt") == "precious\n");
}

TEST_CASE("A scenario's relative outputs land beside the scenario, or under -o") {
  fs::path d = fresh_dir("r2-relative-outputs");
  fs::create_directories(d / "lab");
  std::string text = kTiny;
  text += "outputs: {summary: res/s.json}\n";
  write_file(d / "lab" / "s.yaml", text);
  CHECK(netsim(d, "run lab/s.yaml -q").code == 0);
  CHECK(entries(d) == Files{"lab", "lab/res", "lab/res/s.json", "lab/s.yaml"});
  CHECK(netsim(d, "run lab/s.yaml -q -o out").code == 0);
  CHECK(fs::exists(d / "out" / "res" / "s.json"));
}

TEST_CASE("sweep -o naming the scenario is refused, and the scenario stays") {
  fs::path d = fresh_dir("r2-sweep-self");
  write_file(d / "s.yaml", kTiny);
  auto r = netsim(d, "sweep s.yaml -q -o ./s.yaml");
  CHECK(r.code == 2);
  CHECK(r.output == "netsim: -o './s.yaml' would overwrite the scenario file 's.yaml'\n");
  CHECK(read_file(d / "s.yaml") == kTiny);
}

TEST_CASE("diagram -o naming the events file is refused, and the events stay") {
  fs::path d = fresh_dir("r2-diagram-self");
  write_file(d / "tiny.yaml", kTiny);
  REQUIRE(netsim(d, "run tiny.yaml -q --events ev.jsonl").code == 0);
  std::string before = read_file(d / "ev.jsonl");
  fs::create_hard_link(d / "ev.jsonl", d / "hard.svg");
  auto r = netsim(d, "diagram ev.jsonl -o hard.svg");
  CHECK(r.code == 2);
  CHECK(r.output == "netsim: -o 'hard.svg' would overwrite the events file 'ev.jsonl'\n");
  CHECK(read_file(d / "ev.jsonl") == before);
}

TEST_CASE("Two outputs naming the same file are refused with both options named") {
  fs::path d = fresh_dir("r2-same-output");
  write_file(d / "tiny.yaml", kTiny);
  auto r = netsim(d, "run tiny.yaml -q --trace x.txt --diagram ./x.txt");
  CHECK(r.code == 2);
  CHECK(r.output == "netsim: --trace 'x.txt' and --diagram './x.txt' are the same file\n");
  auto s = netsim(d, "run tiny.yaml -q --trace s.yaml --summary tiny.yaml");
  CHECK(s.code == 2);
  CHECK(s.output ==
        "netsim: --summary 'tiny.yaml' would overwrite the scenario file 'tiny.yaml'\n");
  CHECK(entries(d) == Files{"tiny.yaml"});
}

// ---- 2. A failed run leaves nothing behind; a picture problem loses nothing ----

TEST_CASE("A run that fails leaves no pcap and no picture") {
  fs::path d = fresh_dir("r2-failed-run");
  write_file(d / "tiny.yaml", kTiny);
  auto r = netsim(d,
                  "run tiny.yaml -q -o out --pcap c.pcap --diagram d.svg --timeline t.svg "
                  "--max-events 5");
  CHECK(r.code == 2);
  CHECK(entries(d / "out").empty());
}

TEST_CASE("A diagram with nothing to draw is a warning: the other outputs and exit 0 stay") {
  fs::path d = fresh_dir("r2-empty-diagram");
  write_file(d / "tiny.yaml", kTiny);
  auto r = netsim(d,
                  "run tiny.yaml -q -o out --pcap c.pcap --summary s.json --diagram d.svg "
                  "--from 5s --to 6s");
  CHECK(r.code == 0);
  CHECK(r.output ==
        "netsim: warning: --diagram out/d.svg was not written: nothing to draw: no packet of the "
        "trace matches the diagram's filters\n");
  CHECK(entries(d / "out") == Files{"c.pcap", "s.json"});
}

TEST_CASE("With --trace -, the summary and the expect lines stay, on stderr") {
  fs::path d = fresh_dir("r2-trace-stdout");
  std::string text = kTiny;
  text += "expect:\n  - {app: alice, received: \"hi\"}\n";
  write_file(d / "tiny.yaml", text);
  auto r = netsim(d, "run tiny.yaml --trace - --summary s.json");
  CHECK(r.code == 0);
  CHECK(r.output.find("expect ok   alice: received \"hi\"\n") != std::string::npos);
  CHECK(r.output.find("Flags [S]") == std::string::npos);  // the trace stays on stdout
}

// ---- 3. No crash, no undefined behaviour ----

TEST_CASE("An event at INT64_MIN nanoseconds is drawn, not a crash") {
  fs::path d = fresh_dir("r2-int64-min");
  write_file(d / "tiny.yaml", kTiny);
  REQUIRE(netsim(d, "run tiny.yaml -q --events ev.jsonl").code == 0);
  std::string ev = read_file(d / "ev.jsonl");
  ev.replace(ev.find("\"t_ns\":0"), 8, "\"t_ns\":-9223372036854775808");
  write_file(d / "min.jsonl", ev);
  auto r = netsim(d, "diagram min.jsonl -o d.txt");
  CHECK(r.code == 0);
  CHECK(read_file(d / "d.txt").find("alice") != std::string::npos);
}

TEST_CASE("A schedule past the representable time is refused at its line and column") {
  fs::path d = fresh_dir("r2-schedule-range");
  write_file(d / "s.yaml", R"(name: far
hosts: {a: 10.0.0.1, b: 10.0.0.2}
links: [{between: [a, b], delay: 1ms}]
apps:
  - tcp_server: {name: srv, on: b, port: 80}
  - tcp_client: {name: c, on: a, connect: b:80, count: 100000, interval: 8760h}
  - syn_flood: {name: f, on: a, target: b:80, rate: 1/d, count: 200000}
)");
  auto r = netsim(d, "check s.yaml");
  CHECK(r.code == 2);
  CHECK(r.output ==
        "s.yaml:6:74: apps[1].tcp_client.interval: expected a schedule that ends within 290 "
        "years (virtual time is 64-bit nanoseconds), found 100000 connections every 8760h from "
        "0ns\n"
        "s.yaml:7:65: apps[2].syn_flood.count: expected a schedule that ends within 290 years "
        "(virtual time is 64-bit nanoseconds), found 200000 SYNs every 24h from 0ns\n");
}

TEST_CASE("Invalid UTF-8 and control characters in names are refused at line and column") {
  fs::path d = fresh_dir("r2-bad-text");
  write_file(d / "latin1.yaml", "name: \"caf\xe9\"\nhosts: {a: 10.0.0.1}\n");
  auto r = netsim(d, "check latin1.yaml");
  CHECK(r.code == 2);
  CHECK(r.output ==
        "latin1.yaml:1:7: name: expected UTF-8 text, found the byte 0xe9 at offset 3 "
        "of \"caf\\xe9\" (save the file as UTF-8)\n");
  write_file(d / "ctl.yaml", "name: \"x\\x1b]0;pwned\\x07\"\nhosts: {a: 10.0.0.1}\n");
  auto c = netsim(d, "check ctl.yaml");
  CHECK(c.code == 2);
  CHECK(c.output ==
        "ctl.yaml:1:7: name: expected text without control characters, found the "
        "control character 0x1b at offset 1 of \"x\\x1b]0;pwned\\x07\"\n");
}

TEST_CASE("sweep -j beyond 4 x the cores is refused, a huge grid is refused before expanding") {
  fs::path d = fresh_dir("r2-sweep-limits");
  write_file(d / "s.yaml", kTiny);
  auto j = netsim(d, "sweep s.yaml -q -j 10000");
  CHECK(j.code == 2);
  CHECK(j.output.rfind("netsim: -j: expected at most ", 0) == 0);
  auto s = netsim(d, "sweep s.yaml -q --seeds 10000000000");
  CHECK(s.code == 2);
  CHECK(s.output ==
        "netsim: the sweep would make 10000000000 runs (grid points x --seeds); the "
        "limit is 1000000: split it into several sweeps\n");
  auto g = netsim(d, "sweep s.yaml -q --set seed=1,2,3,4 --seeds 300000");
  CHECK(g.code == 2);
  CHECK(g.output ==
        "netsim: the sweep would make 1200000 runs (grid points x --seeds); the "
        "limit is 1000000: split it into several sweeps\n");
}

// ---- 4. Bounded memory ----

TEST_CASE("Endless inputs are read in bounded memory and refused") {
  fs::path d = fresh_dir("r2-dev-zero");
  auto s = netsim(d, "sweep /dev/zero -q");
  CHECK(s.code == 2);
  CHECK(s.output ==
        "netsim: /dev/zero: the file is larger than 4194304 bytes (the max_file_bytes limit)\n");
  auto g = netsim(d, "diagram /dev/zero -o z.svg");
  CHECK(g.code == 2);
  CHECK(g.output ==
        "netsim: /dev/zero:1: a line longer than 1048576 bytes (the limit of one event)\n");
  CHECK(entries(d).empty());
}

TEST_CASE("Duplication on a chain of routers stops at the in-flight packet limit") {
  fs::path d = fresh_dir("r2-duplicate-chain");
  std::string text = "name: dup\nhosts: {a: 10.0.0.1, b: 10.0.0.2}\nrouters: [";
  for (int i = 1; i <= 30; ++i)
    text += (i > 1 ? ", r" : "r") + std::to_string(i);
  text += "]\nlinks:\n";
  std::string prev = "a";
  for (int i = 1; i <= 31; ++i) {
    std::string next = i <= 30 ? "r" + std::to_string(i) : "b";
    text += "  - {between: [" + prev + ", " + next + "], delay: 1ms, duplicate: 100%}\n";
    prev = next;
  }
  text +=
      "apps:\n  - tcp_server: {name: s, on: b, port: 80}\n"
      "  - tcp_client: {name: c, on: a, connect: b:80, send: \"x\"}\n";
  write_file(d / "dup.yaml", text);
  auto r = netsim(d, "run dup.yaml -q --pcap p.pcap");
  CHECK(r.code == 2);
  CHECK(r.output.find("more than 1000000 packets in flight") != std::string::npos);
  CHECK(entries(d) == Files{"dup.yaml"});
}

// ---- 6. The command line ----

TEST_CASE("Every numeric option is checked and named") {
  fs::path d = fresh_dir("r2-numbers");
  write_file(d / "tiny.yaml", kTiny);
  auto seed = netsim(d, "run tiny.yaml -q --seed -1");
  CHECK(seed.code == 2);
  CHECK(seed.output ==
        "--seed: expected a whole number from 0 to 9999999999999999999, found "
        "\"-1\"\nRun with --help for more information.\n");
  for (std::string bad : {"nan", "-5", "inf", "1e99", "2x"}) {
    auto r = netsim(d, "run tiny.yaml -q --max-wall " + bad);
    CHECK(r.code == 2);
    CHECK(r.output ==
          "--max-wall: expected a number of seconds from 0 to 1e9 (0: no limit), "
          "found \"" +
              bad + "\"\nRun with --help for more information.\n");
  }
  CHECK(netsim(d, "run tiny.yaml -q --max-events -3").code == 2);
  CHECK(netsim(d, "sweep tiny.yaml -q --seeds -1").code == 2);
  CHECK(netsim(d, "run tiny.yaml -q --max-arrows 0").code == 2);
  CHECK(entries(d) == Files{"tiny.yaml"});
}

TEST_CASE("A real-time run ends at --max-wall and its outputs are written") {
  fs::path d = fresh_dir("r2-realtime-max-wall");
  write_file(d / "tiny.yaml", kTiny);  // TIME_WAIT keeps it going for 60 s of real time
  auto t0 = std::chrono::steady_clock::now();
  auto r = netsim(d, "run tiny.yaml -q --realtime --max-wall 1 --summary s.json");
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(r.code == 0);
  CHECK(r.output.empty());
  CHECK(took < 10);
  CHECK(read_file(d / "s.json").find("\"scenario\": \"tiny\"") != std::string::npos);
}

TEST_CASE("A tun name the kernel would expand or refuse is refused at load") {
  fs::path d = fresh_dir("r2-tun-name");
  for (std::string bad : {"n%d", "a:b", "a b", ".."}) {
    write_file(d / "t.yaml", "name: t\nhosts:\n  me: {address: 10.77.0.1, tun: \"" + bad +
                                 "\"}\n  sim: 10.77.0.2\nlinks: [{between: [me, sim], delay: "
                                 "1ms}]\n");
    auto r = netsim(d, "check t.yaml");
    CHECK(r.code == 2);
    CHECK(r.output ==
          "t.yaml:3:33: hosts.me.tun: expected a device name of 1 to 15 characters "
          "without '/', ':', '%' or spaces (the kernel's rules), found \"" +
              bad + "\"\n");
  }
}

#endif  // NETSIM_BINARY
