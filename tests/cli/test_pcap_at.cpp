// Capture points (issue 15): `--pcap-at HOST` writes the pcap tcpdump on that host's interface
// would have written (what it sent, at the send; what reached it, at the arrival), and
// `--pcap-at all` one such file per host. Read back with tshark, whose RTT analysis must see
// the whole round trip, unlike the default wire view that records each packet at its sender.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "tests/support/run_process.hpp"

namespace fs = std::filesystem;
using namespace test_support;

namespace {

const std::string kScenario = std::string(NETSIM_SOURCE_DIR) + "/scenarios/hello-echo.yaml";

// `netsim run ARGS`, its stdout and stderr together.
ProcessResult netsim_run(const std::string& args) {
  return run_process(std::string(NETSIM_BINARY) + " run " + args, {.capture = Capture::both});
}

// One line per packet: its time stamp (virtual time), source, flags, and the RTT Wireshark
// computes for a packet that acknowledges a data or SYN segment.
std::string tshark_lines(const fs::path& pcap) {
  auto r = run_process("tshark -n -r " + shell_quote(pcap.string()) +
                           " -T fields -E separator=' ' -e frame.time_epoch"
                           " -e ip.src -e tcp.flags.str -e tcp.analysis.ack_rtt",
                       {.capture = Capture::stdout_only});
  REQUIRE(r.code == 0);
  return r.output;
}

bool have_tshark() {
  return run_process("command -v tshark", {.capture = Capture::stdout_only}).code == 0;
}

}  // namespace

TEST_CASE("A capture at the client (--pcap-at client) has what its interface saw, at its times") {
  if (!have_tshark()) {
    WARN("tshark is not on PATH: the capture-point check is skipped");
    return;
  }
  fs::path dir = fresh_dir("pcap-at");
  auto at = netsim_run(kScenario + " -o " + dir.string() +
                       " --quiet --pcap client.pcap --pcap-at client");
  INFO(at.output);
  REQUIRE(at.code == 0);
  auto wire = netsim_run(kScenario + " -o " + dir.string() + " --quiet --pcap wire.pcap");
  REQUIRE(wire.code == 0);
  // What reached the client is stamped at its arrival: the SYN-ACK 20 ms after the SYN, so
  // Wireshark's RTT on it is the whole round trip.
  CHECK(tshark_lines(dir / "client.pcap") ==
        "0.000000000 10.0.0.1 ··········S· \n"
        "0.020000000 10.0.0.2 ·······A··S· 0.020000000\n"
        "0.020000000 10.0.0.1 ·······A···· \n"
        "0.020000000 10.0.0.1 ·······AP··· \n"
        "0.040000000 10.0.0.2 ·······A···· 0.020000000\n"
        "0.040000000 10.0.0.2 ·······AP··· \n"
        "0.040000000 10.0.0.1 ·······A···· \n"
        "0.040000000 10.0.0.1 ·······A···F \n"
        "0.060000000 10.0.0.2 ·······A···F 0.020000000\n"
        "0.060000000 10.0.0.1 ·······A···· \n");
  // The default wire view has every packet at its sender, one viewpoint per packet: the
  // server's packets 10 ms earlier, and round trips Wireshark reads as 10 ms.
  CHECK(tshark_lines(dir / "wire.pcap") ==
        "0.000000000 10.0.0.1 ··········S· \n"
        "0.010000000 10.0.0.2 ·······A··S· 0.010000000\n"
        "0.020000000 10.0.0.1 ·······A···· 0.010000000\n"
        "0.020000000 10.0.0.1 ·······AP··· \n"
        "0.030000000 10.0.0.2 ·······A···· 0.010000000\n"
        "0.030000000 10.0.0.2 ·······AP··· \n"
        "0.040000000 10.0.0.1 ·······A···· 0.010000000\n"
        "0.040000000 10.0.0.1 ·······A···F \n"
        "0.050000000 10.0.0.2 ·······A···F 0.010000000\n"
        "0.060000000 10.0.0.1 ·······A···· 0.010000000\n");
}

TEST_CASE(
    "A capture at every host (--pcap-at all) writes one pcap per host, named after the pcap") {
  if (!have_tshark()) {
    WARN("tshark is not on PATH: the capture-point check is skipped");
    return;
  }
  fs::path dir = fresh_dir("pcap-at-all");
  auto r = netsim_run(kScenario + " -o " + dir.string() + " --quiet --pcap cap.pcap --pcap-at all");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_FALSE(fs::exists(dir / "cap.pcap"));
  // The server's view: the SYN arrives at 10 ms and is answered at once.
  CHECK(tshark_lines(dir / "cap-server.pcap") ==
        "0.010000000 10.0.0.1 ··········S· \n"
        "0.010000000 10.0.0.2 ·······A··S· \n"
        "0.030000000 10.0.0.1 ·······A···· 0.020000000\n"
        "0.030000000 10.0.0.1 ·······AP··· \n"
        "0.030000000 10.0.0.2 ·······A···· \n"
        "0.030000000 10.0.0.2 ·······AP··· \n"
        "0.050000000 10.0.0.1 ·······A···· 0.020000000\n"
        "0.050000000 10.0.0.1 ·······A···F \n"
        "0.050000000 10.0.0.2 ·······A···F \n"
        "0.070000000 10.0.0.1 ·······A···· 0.020000000\n");
  auto single =
      netsim_run(kScenario + " -o " + dir.string() + " --quiet --pcap one.pcap --pcap-at client");
  REQUIRE(single.code == 0);
  CHECK(read_file(dir / "cap-client.pcap") == read_file(dir / "one.pcap"));  // the same view
  // Nothing is left behind but the two files and the run's own outputs.
  for (const auto& e : fs::directory_iterator(dir))
    CHECK(e.path().filename().string().find(".pending.") == std::string::npos);
}

TEST_CASE("A capture point that is unknown, a router, or without a pcap is refused, named") {
  fs::path dir = fresh_dir("pcap-at-bad");
  auto unknown = netsim_run(kScenario + " -o " + dir.string() + " --pcap p.pcap --pcap-at clinet");
  CHECK(unknown.code == 2);
  CHECK(unknown.output ==
        "netsim: --pcap-at: no host named \"clinet\" (the hosts are client, server, or all)\n");
  std::string routed = write_file(dir / "routed.yaml", R"(name: routed
hosts: {a: 10.0.0.1, b: 10.0.0.2}
routers: [r1]
links: [{between: [a, r1], delay: 1ms}, {between: [r1, b], delay: 1ms}]
)");
  auto router = netsim_run(routed + " -o " + dir.string() + " --pcap p.pcap --pcap-at r1");
  CHECK(router.code == 2);
  CHECK(router.output ==
        "netsim: --pcap-at: r1 is a router; a capture point is a host (the hosts are a, b, or "
        "all)\n");
  auto none = netsim_run(kScenario + " -o " + dir.string() + " --pcap-at client --trace t.txt");
  CHECK(none.code == 2);
  CHECK(none.output == "netsim: --pcap-at needs a pcap: --pcap FILE or outputs.pcap\n");
  auto stream = netsim_run(kScenario + " -o " + dir.string() + " --pcap - --pcap-at all");
  CHECK(stream.code == 2);
  CHECK(stream.output ==
        "netsim: --pcap -: one pcap per host needs a file name to derive theirs from\n");
  CHECK(fs::directory_iterator(dir) != fs::directory_iterator());  // routed.yaml only
  CHECK_FALSE(fs::exists(dir / "p.pcap"));
  CHECK_FALSE(fs::exists(dir / "t.txt"));
}
