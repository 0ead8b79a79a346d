// The scenario runner in-process: profiles from settings, expectation verdicts with their exact
// messages, the summary's fields, and two runs in one process giving identical results.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/host_counters.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "tests/support/scenario_support.hpp"

using namespace netsim;
using namespace netsim::literals;

namespace {

Scenario load(const std::string& text) {
  return test_support::load_text(text, "t.yaml");
}

const char* kEcho = R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
apps:
  - tcp_server: {name: echo, on: server, port: 80, reply: echo}
  - tcp_client: {name: alice, on: client, port: 7500, connect: server:80, send: "Hello,server!"}
)";

std::vector<ExpectVerdict> run_with(const std::string& expect_yaml) {
  Scenario s = load(std::string(kEcho) + "expect:\n" + expect_yaml);
  ScenarioRun run(s);
  run.run();
  return run.evaluate();
}

}  // namespace

TEST_CASE("the runner's counters are exactly the ones the loader lets expectations name") {
  std::vector<std::string> runner;
  for (const auto& [name, value] : host_counters(tcp::Counters{}))
    runner.emplace_back(name);
  std::vector<std::string> loader = known_host_counters();
  std::sort(runner.begin(), runner.end());
  std::sort(loader.begin(), loader.end());
  CHECK(runner == loader);
}

TEST_CASE("a host's profile is its preset with every set value replacing the preset's") {
  TcpSettings s;
  CHECK(make_profile(s).time_wait == 60_s);
  CHECK(make_profile(s).syn_linear_timeouts == 4);
  s.profile = TcpProfileKind::rfc9293;
  CHECK(make_profile(s).time_wait == 240_s);
  CHECK(make_profile(s).syncookies == 0);
  s.values["time_wait"] = 5_s;
  s.values["syncookies"] = int64_t{2};
  s.values["congestion"] = int64_t{1};  // reno
  tcp::Profile p = make_profile(s);
  CHECK(p.time_wait == 5_s);
  CHECK(p.syncookies == 2);
  CHECK(p.congestion == tcp::CongestionAlgo::reno);
  CHECK(p.rto_min == tcp::Profile::rfc9293().rto_min);
}

TEST_CASE("expectations that hold say what held") {
  auto v = run_with(R"(  - {app: alice, connected_by: 20ms}
  - {app: alice, received: "Hello,server!"}
  - {app: alice, result: closed}
  - {app: echo, accepted: 1}
  - {app: alice, state: TIME_WAIT, at: 1s}
  - {host: server, counter: syn_received, min: 1, max: 1}
)");
  REQUIRE(v.size() == 6);
  for (const auto& e : v)
    CHECK(e.ok);
  CHECK(v[0].message == "alice: connected by 0.020000 s");
  CHECK(v[4].message == "alice: state TIME_WAIT at 1.000000 s");
  CHECK(v[5].message == "server: counter syn_received between 1 and 1");
  CHECK(v[0].pos.line == 8);
}

TEST_CASE("failed expectations say what happened instead and when") {
  auto v = run_with(R"(  - {app: alice, connected_by: 10ms}
  - {app: alice, received: "Goodbye"}
  - {app: alice, result: ETIMEDOUT}
  - {app: echo, accepted: 2}
  - {app: alice, state: ESTABLISHED, at: 1s}
  - {host: server, counter: rst_sent, min: 1}
  - {app: alice, result: closed, at: 1s, within: 10ms}
)");
  REQUIRE(v.size() == 7);
  for (const auto& e : v)
    CHECK_FALSE(e.ok);
  CHECK(v[0].message == "alice: connected by 0.010000 s: connected only at 0.020000 s");
  CHECK(v[1].message == "alice: received \"Goodbye\": received \"Hello,server!\"");
  CHECK(v[2].message == "alice: result ETIMEDOUT: got closed at 0.040000 s");
  CHECK(v[3].message == "echo: accepted 2: accepted 1");
  CHECK(v[4].message == "alice: state ESTABLISHED at 1.000000 s: was TIME_WAIT");
  CHECK(v[5].message == "server: counter rst_sent at least 1: was 0");
  CHECK(v[6].message ==
        "alice: result closed at 1.000000 s within 10ms: got closed at 0.040000 s, 960ms from "
        "the expected time");
}

TEST_CASE("the summary names the scenario and its apps and host counters and drops and verdicts") {
  Scenario s = load(std::string(kEcho) + "expect:\n  - {app: alice, result: closed}\n");
  ScenarioRun run(s);
  run.run();
  auto j = nlohmann::json::parse(run.summary_json(run.evaluate()));
  CHECK(j["scenario"] == "t");
  CHECK(j["seed"] == 1);
  // The client enters TIME_WAIT when the server's FIN arrives at 60 ms and leaves it 60 s later.
  CHECK(j["end_ns"] == 60'060'000'000);
  CHECK(j["apps"]["alice"]["result"] == "closed");
  CHECK(j["apps"]["alice"]["state"] == "CLOSED");
  CHECK(j["apps"]["alice"]["connected_ns"] == 20'000'000);
  CHECK(j["apps"]["alice"]["bytes_sent"] == 13);
  CHECK(j["apps"]["alice"]["bytes_received"] == 13);
  CHECK(j["apps"]["echo"]["accepted"] == 1);
  CHECK(j["hosts"]["server"]["syn_received"] == 1);
  CHECK(j["drops"].empty());
  CHECK(j["expect"][0]["ok"] == true);
}

TEST_CASE("two runs of one scenario in one process end identically") {
  Scenario s = load(R"(
seed: 9
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 5ms, bandwidth: 10Mbps, loss: 3%}]
apps:
  - tcp_server: {name: sink, on: server, port: 80}
  - tcp_client: {name: up, on: client, connect: server:80, send: 200KB, close: after_send}
)");
  MemorySink a_sink, b_sink;
  ScenarioRun a(s), b(s);
  a.add_sink(&a_sink);
  b.add_sink(&b_sink);
  a.run();
  b.run();
  CHECK(a.summary_json({}) == b.summary_json({}));
  CHECK(a.sim().events_executed() == b.sim().events_executed());
  REQUIRE(a_sink.records.size() == b_sink.records.size());
  CHECK(a.network().drops(DropReason::loss) > 0);
  CHECK(a.report("sink")->connections.at(0).bytes_received == 200'000);
}

TEST_CASE("generated send data is the documented position-dependent alphabet pattern") {
  Scenario s = load(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 1ms}]
apps:
  - tcp_server: {name: sink, on: server, port: 80}
  - tcp_client: {name: up, on: client, connect: server:80, send: 1000B, close: after_send}
)");
  ScenarioRun run(s);
  MemorySink wire;  // the bytes on the wire, and the copy the first connections keep
  run.add_sink(&wire);
  run.run();
  std::string got;
  for (const auto& rec : wire.records) {
    const auto* p = std::get_if<PacketRecord>(&rec);
    if (p && p->ev == PacketEvent::send && p->host == "client") {
      got += p->packet.tcp.payload.as_string_view();
    }
  }
  REQUIRE(got.size() == 1000);
  CHECK(run.report("sink")->connections.at(0).received() == got);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("byte " << i);
    REQUIRE(got[i] == alphabet[(i + i / 36) % 36]);
  }
}
