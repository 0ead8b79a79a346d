// The `hz` tunable in a scenario: one of CONFIG_HZ's four choices (kernel/Kconfig.hz), per
// scenario, per host and by --set; anything else is an error at its file:line:column.
#include <catch2/catch.hpp>

#include "protocols/tcp/tunables.hpp"
#include "scenarios/loader/loader.hpp"
#include "tests/support/loader_support.hpp"

using namespace netsim;

namespace {
const char* const kHosts = test_support::kTwoHosts;
}  // namespace

TEST_CASE("hz is one of 100, 250, 300 or 1000, and 250 by default") {
  LoadResult plain = load_scenario_text(kHosts, "t.yaml");
  REQUIRE(plain.ok());
  CHECK(plain.scenario->tcp.to_profile().kernel_hz() == 250);
  for (uint32_t hz : {100u, 250u, 300u, 1000u}) {
    INFO(hz);
    LoadResult r = load_scenario_text(
        std::string(kHosts) + "tcp: {hz: " + std::to_string(hz) + ", timer_wheel: 1}\n", "t.yaml");
    INFO(r.error_text());
    REQUIRE(r.ok());
    CHECK(r.scenario->tcp.to_profile().kernel_hz() == hz);
  }
  // Per host with --set, over the scenario's block.
  LoadResult r = load_scenario_text(std::string(kHosts) + "tcp: {hz: 100}\n", "t.yaml",
                                    {"hosts.server.tcp.hz=1000"});
  INFO(r.error_text());
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  CHECK(s.tcp_for(*s.find_host("server")).to_profile().kernel_hz() == 1000);
  CHECK(s.tcp_for(*s.find_host("client")).to_profile().kernel_hz() == 100);
}

TEST_CASE("hz: any other value is an error at its line and column, with no guess at a number") {
  CHECK(test_support::load_errors(std::string(kHosts) + "tcp:\n  hz: 200\n  timer_wheel: 1\n",
                                  "bad.yaml") ==
        std::vector<std::string>{
            "bad.yaml:5:7: tcp.hz: expected one of 100, 250, 300, 1000, found \"200\""});
  CHECK(test_support::load_errors(kHosts, "bad.yaml", {"tcp.hz=1024"}) ==
        std::vector<std::string>{
            "--set tcp.hz=1024: tcp.hz: expected one of 100, 250, 300, 1000, found "
            "\"1024\""});
}
