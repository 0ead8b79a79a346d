// `netsim drill` end to end: exit codes (0 pass, 1 fail, 2 unreadable), TAP and JUnit results,
// --strict for scripts that need unmodelled features, and one output file per script.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "tests/support/run_process.hpp"

namespace {

using test_support::run_process;
namespace fs = std::filesystem;

const std::string kNetsim = NETSIM_BINARY;
const std::string kDir = std::string(NETSIM_SOURCE_DIR) + "/tests/drill/";

const char* kFailing = R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 1400>
)";
const char* kZerocopy = R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0
)";

}  // namespace

TEST_CASE("netsim drill exits 0 when every script passes, 1 on a failure, 2 on a bad script") {
  fs::path dir = test_support::fresh_dir("drill_cli_codes");
  test_support::write_file(dir / "fail.pkt", kFailing);
  test_support::write_file(dir / "bad.pkt", "0 < S 0:1(0)\n");
  auto ok = run_process(kNetsim + " drill " + kDir + "handshake-passive.pkt " + kDir +
                        "rst-closed-port.pkt");
  CHECK(ok.code == 0);
  CHECK(ok.output.find("2 scripts: 2 passed, 0 failed, 0 not modelled, 0 unreadable") !=
        std::string::npos);
  auto fail = run_process(kNetsim + " drill fail.pkt", {dir});
  CHECK(fail.code == 1);
  CHECK(fail.output ==
        "FAIL fail.pkt\n  fail.pkt:5:4: outbound packet mismatch: options: expected <mss 1400>, "
        "actual <mss 1460>\n  expected: > S. 0:0(0) ack 1 <mss 1400>\n  actual:   > S. 0:0(0) "
        "ack 1 win 64240 <mss 1460>  (at 0.000000 s)\n");
  auto bad = run_process(kNetsim + " drill bad.pkt fail.pkt", {dir});
  CHECK(bad.code == 2);
  CHECK(bad.output.find("ERROR bad.pkt\n  bad.pkt:1:7: inconsistent TCP sequence numbers and "
                        "payload size: 0:1(0) should end at 0\n") == 0);
}

TEST_CASE("netsim drill reports TAP and JUnit, and --strict fails unmodelled scripts") {
  fs::path dir = test_support::fresh_dir("drill_cli_tap");
  test_support::write_file(dir / "fail.pkt", kFailing);
  test_support::write_file(dir / "zc.pkt", kZerocopy);
  test_support::write_file(dir / "ok.pkt", test_support::read_file(kDir + "handshake-passive.pkt"));
  auto tap = run_process(kNetsim + " drill ok.pkt zc.pkt --tap --junit out.xml",
                         {dir, test_support::Capture::stdout_only});
  CHECK(tap.code == 0);
  CHECK(tap.output ==
        "TAP version 13\n1..2\nok 1 - ok.pkt\nok 2 - zc.pkt # SKIP zc.pkt:2:30: not modelled "
        "by netsim: zerocopy (SO_ZEROCOPY)\n");
  std::string xml = test_support::read_file(dir / "out.xml");
  CHECK(xml.find("<testsuite name=\"netsim drill\" tests=\"2\" failures=\"0\" errors=\"0\" "
                 "skipped=\"1\">") != std::string::npos);
  CHECK(run_process(kNetsim + " drill zc.pkt --strict -q", {dir}).code == 1);
  auto failed = run_process(kNetsim + " drill fail.pkt --tap", {dir});
  CHECK(failed.code == 1);
  CHECK(failed.output.find("not ok 1 - fail.pkt\n# fail.pkt:5:4: outbound packet mismatch") !=
        std::string::npos);
}

TEST_CASE("netsim drill writes one pcap and diagram per script when given several") {
  fs::path dir = test_support::fresh_dir("drill_cli_outputs");
  auto r = run_process(kNetsim + " drill " + kDir + "handshake-passive.pkt " + kDir +
                           "close-active.pkt -o " + dir.string() +
                           " --pcap run.pcap --diagram run.txt -q",
                       {dir});
  CHECK(r.code == 0);
  CHECK(fs::exists(dir / "run-handshake-passive.pcap"));
  CHECK(fs::exists(dir / "run-close-active.pcap"));
  std::string diagram = test_support::read_file(dir / "run-close-active.txt");
  CHECK(diagram.find("FIN") != std::string::npos);
}
