// A crashed host ends its connections in every output (state records, app results,
// expectations), and a state expectation on an app with several connections names the one
// that failed.
#include <catch2/catch.hpp>

#include <algorithm>

#include "protocols/apps/app_report.hpp"
#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "tests/support/scenario_support.hpp"

using namespace netsim;
using namespace netsim::literals;

namespace {

Scenario load(const std::string& text) {
  return test_support::load_text(text, "t.yaml");
}

std::vector<StateRecord> states_of(const std::vector<TraceRecord>& records,
                                   const std::string& host) {
  std::vector<StateRecord> out;
  for (const auto& r : records) {
    if (const auto* s = std::get_if<StateRecord>(&r); s && s->host == host) out.push_back(*s);
  }
  return out;
}

}  // namespace

TEST_CASE("a crash ends the host's established connection at that instant, cause host crashed") {
  Scenario s = load(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
apps:
  - tcp_server: {name: web, on: server, port: 80, close: never}
  - tcp_client: {name: alice, on: client, connect: server:80, close: never,
                 keepalive: {idle: 2s, interval: 1s, probes: 3}}
faults: [{at: 1s, crash: server}]
expect:
  - {app: web, result: crashed, at: 1s}
  - {app: web, state: CLOSED, at: 3s}
  - {app: web, state: ESTABLISHED, at: 3s}
  - {app: alice, result: ETIMEDOUT}
)");
  MemorySink sink;
  ScenarioRun run(s);
  run.add_sink(&sink);
  run.run();
  auto server = states_of(sink.records, "server");
  REQUIRE_FALSE(server.empty());
  const StateRecord& last = server.back();
  CHECK(last.t == Instant::zero() + 1_s);
  CHECK(last.from == TcpState::established);
  CHECK(last.to == TcpState::closed);
  CHECK(last.cause == StateCause::host_crashed);
  CHECK(last.app == "web");
  // The cause before its effect: the FAULT record precedes the CLOSED (host crashed) record
  // in the trace (the runner emits it before tearing the stack down).
  auto fault = std::find_if(sink.records.begin(), sink.records.end(), [](const TraceRecord& r) {
    const auto* f = std::get_if<FaultRecord>(&r);
    return f && f->what == "crash";
  });
  auto closed = std::find_if(sink.records.begin(), sink.records.end(), [](const TraceRecord& r) {
    const auto* st = std::get_if<StateRecord>(&r);
    return st && st->cause == StateCause::host_crashed;
  });
  REQUIRE(fault != sink.records.end());
  REQUIRE(closed != sink.records.end());
  CHECK(fault < closed);
  const apps::AppReport* web = run.report("web");
  REQUIRE(web != nullptr);
  REQUIRE(web->connections.size() == 1);
  CHECK(web->connections[0].result == "crashed");
  CHECK(web->connections[0].state == "CLOSED");
  CHECK(web->connections[0].result_at == Instant::zero() + 1_s);
  auto v = run.evaluate();
  REQUIRE(v.size() == 4);
  CHECK(v[0].ok);
  CHECK(v[1].ok);
  CHECK_FALSE(v[2].ok);
  CHECK(v[2].message == "web: state ESTABLISHED at 3.000000 s: was CLOSED");
  CHECK(v[3].ok);
}

TEST_CASE("a client whose host crashes right after its SYN is CLOSED at the crash, not SYN_SENT") {
  Scenario s = load(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
apps:
  - tcp_client: {name: alice, on: client, port: 7500, connect: server:80}
faults: [{at: 1ms, crash: client}]
)");
  MemorySink sink;
  ScenarioRun run(s);
  run.add_sink(&sink);
  run.run();
  auto client = states_of(sink.records, "client");
  REQUIRE(client.size() == 2);
  CHECK(client[0].to == TcpState::syn_sent);
  CHECK(client[1].t == Instant::zero() + 1_ms);
  CHECK(client[1].from == TcpState::syn_sent);
  CHECK(client[1].to == TcpState::closed);
  CHECK(client[1].cause == StateCause::host_crashed);
  CHECK(run.report("alice")->overall_result() == "crashed");
}

TEST_CASE("a state expectation on an app with three connections names the one that differs") {
  Scenario s = load(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
apps:
  - tcp_server: {name: web, on: server, port: 80, close: never}
  - tcp_client: {name: many, on: client, connect: server:80, count: 3, interval: 1s,
                 close: never}
expect:
  - {app: many, state: ESTABLISHED, at: 1500ms}
  - {app: many, state: ESTABLISHED}
)");
  ScenarioRun run(s);
  run.run();
  auto v = run.evaluate();
  REQUIRE(v.size() == 2);
  CHECK(v[0].ok);
  CHECK(v[1].ok);
}

TEST_CASE("a failing state expectation on several connections says which connection it was") {
  Scenario s = load(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
apps:
  - tcp_server: {name: web, on: server, port: 80, close: never}
  - tcp_client: {name: many, on: client, port: 0, connect: server:80, count: 3, interval: 1s,
                 close: never}
faults: [{at: 1500ms, link_down: [client, server]}]
expect:
  - {app: many, state: SYN_SENT, at: 2500ms}
)");
  ScenarioRun run(s);
  run.run();
  auto v = run.evaluate();
  REQUIRE(v.size() == 1);
  CHECK_FALSE(v[0].ok);
  INFO(v[0].message);
  CHECK(v[0].message.find("many: state SYN_SENT at 2.500000 s: connection 1 of 3 (10.0.0.1:") == 0);
  CHECK(v[0].message.find(") was ESTABLISHED") != std::string::npos);
}

TEST_CASE("a fault at 0 s takes effect before an app that starts at 0 s") {
  Scenario s = load(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
apps:
  - tcp_server: {name: web, on: server, port: 80}
  - tcp_client: {name: alice, on: client, port: 7500, connect: server:80}
faults: [{at: 0s, link_down: [client, server]}, {at: 500ms, link_up: [client, server]}]
)");
  MemorySink sink;
  ScenarioRun run(s);
  run.add_sink(&sink);
  run.run();
  // The first SYN meets the link down; the retransmission at 1 s gets through.
  std::vector<const PacketRecord*> syn_drops;
  for (const auto& r : sink.records) {
    const auto* p = std::get_if<PacketRecord>(&r);
    if (p && p->ev == PacketEvent::drop && p->packet.tcp.flags.syn()) syn_drops.push_back(p);
  }
  REQUIRE(syn_drops.size() == 1);
  CHECK(syn_drops[0]->t == Instant::zero());
  CHECK(syn_drops[0]->reason == DropReason::link_down);
  CHECK(run.report("alice")->connections.at(0).connected_at == Instant::zero() + 1_s + 20_ms);
}

// A report keeps its result and state as one-byte codes and its times in 8 bytes each (72 bytes
// a connection, for million-connection runs); they read back as the words and times written.
TEST_CASE("a connection report's compact fields read back what was written") {
  using netsim::apps::ConnectionReport;
  ConnectionReport r;
  CHECK(r.result == "open");
  CHECK(r.state == "CLOSED");
  CHECK_FALSE(r.started_at.has_value());
  CHECK(std::optional<Instant>(r.result_at) == std::nullopt);
  for (std::string_view w : {"closed", "crashed", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT",
                             "EPIPE", "EADDRINUSE", "EINVAL", "ENOTCONN", "open"}) {
    r.result = w;
    CHECK(r.result.str() == w);
  }
  CHECK_THROWS_WITH(r.result = "ESTABLISHED", "not a connection result: \"ESTABLISHED\"");
  r.state = netsim::TcpState::fin_wait_2;
  CHECK(r.state == "FIN_WAIT_2");
  r.state = "TIME_WAIT";
  CHECK(std::string(r.state) == "TIME_WAIT");
  CHECK_THROWS_WITH(r.state = "closed", "not a TCP state: \"closed\"");
  r.connected_at = Instant::zero();
  CHECK(r.connected_at.has_value());
  CHECK(*r.connected_at == Instant::zero());
  r.connected_at = std::nullopt;
  CHECK(r.connected_at.value_or(Instant::zero() + 1_s) == Instant::zero() + 1_s);
  CHECK(sizeof(ConnectionReport) == 72);
}
