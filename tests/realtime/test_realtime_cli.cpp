// `netsim run` with a real peer, as a user meets it: the banner, a real curl against the demo
// scenario of docs/real-peers.md, Ctrl-C ending the run with every output written and the
// device gone, and the message when the privilege is missing. Same skip rule as the other
// real-peer tests ("SKIPPED: <why>").
#include <catch2/catch.hpp>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"
#include "tests/support/run_process.hpp"

namespace netsim::realtime::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test_support::fresh_dir;
using test_support::read_file;

bool have(const std::string& tool) {
  int status = -1;
  try {
    run_and_capture({tool, "--version"}, &status);
  } catch (const std::exception&) {
    return false;
  }
  return status >= 0;
}

// The real-peer skip rule, then "SKIPPED: <what> is not installed" when `tool` is missing;
// true when the test is to be skipped.
bool skip_without(const std::string& tool, const std::string& what) {
  if (skip_if_unsupported()) return true;
  if (have(tool)) return false;
  std::cout << "SKIPPED: " << what << " is not installed\n";
  return true;
}

const std::string kDemo = std::string(NETSIM_SOURCE_DIR) + "/realtime/examples/curl-demo.yaml";

// What the interrupted demo run left in `out`: the real host's packets in the trace (headers,
// not the page), the capture, the diagram and the JSONL events.
void check_demo_outputs(const fs::path& out) {
  std::string trace = read_file(out / "trace.txt");
  CHECK(trace.find(" real 10.0.0.100.") != std::string::npos);
  CHECK(trace.find("> 10.0.0.2.8080: Flags [S], ") != std::string::npos);
  CHECK(trace.find("server web ESTABLISHED") != std::string::npos);
  CHECK(trace.find("Hello from a simulated server!") == std::string::npos);  // headers only
  CHECK(fs::file_size(out / "capture.pcap") > 24 + 4 * 56);  // header + at least 4 packets
  CHECK(read_file(out / "curl.svg").find("<svg") != std::string::npos);
  CHECK(read_file(out / "events.jsonl").find(R"("host":"real")") != std::string::npos);
}

// Runs the demo in a fresh namespace after the `setup` commands there and returns what netsim
// said: it must refuse (exit 2) and create no device.
std::string refusal_after(const std::vector<std::vector<std::string>>& setup) {
  Netns ns;
  for (const auto& cmd : setup) {
    int status = -1;
    std::string out = run_and_capture(cmd, &status);
    INFO(out);
    REQUIRE(status == 0);
  }
  int status = -1;
  std::string out = run_and_capture(
      {NETSIM_BINARY, "run", kDemo, "-o", fresh_dir("realtime-route").string(), "--quiet"},
      &status);
  CHECK(status == 2);
  CHECK_FALSE(device_exists("netsim0"));
  return out;
}

const std::string kRefusalTail =
    "; netsim would take it over while it runs and could cut this machine off. Use other "
    "addresses in the scenario, or pass --allow-routed-address if you are sure\n";

}  // namespace

TEST_CASE(
    "The curl demo: netsim shows what is reachable, a real curl gets the simulated page, "
    "and Ctrl-C ends the run with trace, pcap and diagram written") {
  if (skip_without("curl", "curl")) return;
  Netns ns;
  fs::path out = fresh_dir("realtime-demo");
  Peer netsim({NETSIM_BINARY, "run", kDemo, "-o", out.string(), "--diagram", "curl.svg"});
  REQUIRE(netsim.wait_for_line("    try: nc 10.0.0.2 8080", 10s));
  INFO(netsim.output());
  CHECK(netsim.output().find("  real: this machine's Linux TCP stack on TUN device netsim0, "
                             "address 10.0.0.100\n") != std::string::npos);
  CHECK(device_exists("netsim0"));

  int status = -1;
  std::string page = run_and_capture({"curl", "-sS", "-m", "10", "http://10.0.0.2:8080/"}, &status);
  CHECK(status == 0);
  CHECK(page == "Hello from a simulated server!\n");
  std::this_thread::sleep_for(300ms);  // the last ACKs cross the simulated links
  netsim.interrupt();
  netsim.finish(10s);
  INFO(netsim.output());
  CHECK(netsim.exit_code() == 0);
  CHECK(netsim.output().find("netsim: interrupted at virtual time ") != std::string::npos);
  CHECK_FALSE(device_exists("netsim0"));
  check_demo_outputs(out);
}

TEST_CASE(
    "Without CAP_NET_ADMIN, netsim says a real peer needs root or CAP_NET_ADMIN and "
    "creates nothing") {
  if (skip_without("capsh", "capsh (libcap2-bin)")) return;
  Netns ns;
  int status = -1;
  std::string out =
      run_and_capture({"capsh", "--drop=cap_net_admin", "--", "-c",
                       std::string("exec ") + NETSIM_BINARY + " run " + kDemo + " -o /tmp --quiet"},
                      &status);
  CHECK(status == 2);
  CHECK(out ==
        "netsim: creating TUN device netsim0 needs root or CAP_NET_ADMIN: run netsim with sudo "
        "(the capability must also reach the `ip` command netsim runs to configure the "
        "device)\n");
  CHECK_FALSE(device_exists("netsim0"));
}

// The route check (realtime/route_safety.hpp) against the kernel's real routing table: each
// conflict is made real inside the test's own network namespace, so the machine is untouched.
TEST_CASE(
    "An address the machine already routes, owns, or uses as its gateway is refused with the "
    "real route named") {
  if (skip_if_unsupported()) return;
  CHECK(refusal_after({{"ip", "route", "add", "10.0.0.2/32", "dev", "lo"}}) ==
        "netsim: refusing to route 10.0.0.2 (host server) into a TUN device: the machine "
        "already routes it: 10.0.0.2/32 dev lo" +
            kRefusalTail);
  CHECK(refusal_after({{"ip", "addr", "add", "10.0.0.2/32", "dev", "lo"}}) ==
        "netsim: refusing to route 10.0.0.2 (host server) into a TUN device: it is already an "
        "address of this machine" +
            kRefusalTail);
  CHECK(refusal_after(
            {{"ip", "route", "add", "default", "via", "10.0.0.2", "dev", "lo", "onlink"}}) ==
        "netsim: refusing to route 10.0.0.2 (host server) into a TUN device: it is the default "
        "gateway (default via 10.0.0.2 dev lo)" +
            kRefusalTail);
  CHECK(refusal_after({{"ip", "route", "add", "10.0.0.0/24", "dev", "lo"}}) ==
        "netsim: refusing to route 10.0.0.100 (host real) into a TUN device: the machine "
        "already routes it: 10.0.0.0/24 dev lo" +
            kRefusalTail);
}

TEST_CASE(
    "With --allow-routed-address the run starts over an address the machine routes, and the "
    "route is the machine's again afterwards") {
  if (skip_if_unsupported()) return;
  // With the override the run starts: its /32s are more specific than the /24, so they win
  // while it runs, and the route is the machine's again afterwards.
  Netns ns;
  run_and_capture({"ip", "route", "add", "10.0.0.0/24", "dev", "lo"});
  fs::path out = fresh_dir("realtime-route-allowed");
  int status = -1;
  std::string text =
      run_and_capture({NETSIM_BINARY, "run", kDemo, "-o", out.string(), "--allow-routed-address",
                       "--max-wall", "0.5", "--summary", "summary.json"},
                      &status);
  INFO(text);
  CHECK(status == 0);
  CHECK(text.find("netsim: netsim0: 0 packets dropped by the kernel's TUN queue (rx 0, tx 0)\n") !=
        std::string::npos);
  CHECK(run_and_capture({"ip", "route", "show", "10.0.0.0/24"}) ==
        "10.0.0.0/24 dev lo scope link \n");
  auto summary = nlohmann::json::parse(read_file(out / "summary.json"));
  INFO(summary.dump(2));
  REQUIRE(summary.contains("tun"));
  const auto& dev = summary["tun"]["netsim0"];
  CHECK(dev["host"] == "real");
  for (const char* k : {"rx_dropped", "tx_dropped", "read", "injected", "malformed", "refused_in",
                        "written", "refused_out", "write_errors"}) {
    CHECK(dev[k].is_number_unsigned());
  }
}

}  // namespace netsim::realtime::testing
