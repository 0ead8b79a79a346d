// `--set PATH=VALUE` overrides (applied to the YAML before validation, errors named after the
// override) and the example scenarios shipped in scenarios/*.yaml, which must all load.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "scenarios/loader/loader.hpp"
#include "tests/support/loader_support.hpp"

using namespace netsim;
using namespace netsim::literals;

namespace {

using Lines = std::vector<std::string>;

const char* kStory = R"(name: story
hosts:
  client: 10.0.0.1
  server:
    address: 10.0.0.2
    tcp: {syncookies: 1}
links:
  - between: [client, server]
    delay: 10ms
    loss: 1%
apps:
  - tcp_server: {name: web, on: server, port: 80}
  - tcp_client: {name: alice, on: client, connect: server:80, count: 2}
)";

Scenario with(const std::vector<std::string>& sets) {
  LoadResult r = load_scenario_text(kStory, "story.yaml", sets);
  INFO(r.error_text());
  REQUIRE(r.ok());
  return *r.scenario;
}

Lines errors_with(const std::vector<std::string>& sets, const char* text = kStory) {
  return test_support::load_errors(text, "story.yaml", sets);
}

}  // namespace

TEST_CASE("an override (--set) replaces a scalar in a list item by index") {
  Scenario s = with({"links.0.loss=5%"});
  CHECK(s.links[0].a_to_b.loss.p.value == 0.05);
  CHECK(s.links[0].b_to_a.loss.p.value == 0.05);
  CHECK(s.links[0].a_to_b.delay == 10_ms);
}

TEST_CASE("an override (--set) reaches map keys by name and top-level scalars") {
  Scenario s = with({"hosts.server.tcp.syncookies=0", "seed=7", "apps.1.tcp_client.count=100"});
  CHECK(s.find_host("server")->tcp.get("syncookies") == tcp::TunableValue{int64_t{0}});
  CHECK(s.seed == 7);
  CHECK(s.apps[1].client()->count == 100);
}

TEST_CASE("an override (--set) creates a missing key, and the maps leading to it") {
  Scenario s = with({"tcp.syn_linear_timeouts=0", "duration=5s", "links.0.jitter=1ms"});
  CHECK(s.tcp.get("syn_linear_timeouts") == tcp::TunableValue{int64_t{0}});
  CHECK(s.duration == 5_s);
  CHECK(s.links[0].a_to_b.jitter == 1_ms);
}

TEST_CASE("an override (--set) on a short-form host turns it into a map that keeps its address") {
  Scenario s = with({"hosts.client.tcp.syn_retries=2"});
  const HostSpec* c = s.find_host("client");
  CHECK(c->address == *Ipv4Addr::parse("10.0.0.1"));
  CHECK(c->tcp.get("syn_retries") == tcp::TunableValue{int64_t{2}});
}

TEST_CASE("overridden values are read like written ones: quotes make text, a unit makes a size") {
  Scenario s = with({"apps.1.tcp_client.send=\"1MB\"", "apps.0.tcp_server.reply=10KB"});
  CHECK(s.apps[1].client()->send == DataSpec{DataSpec::Kind::text, "1MB", 3});
  CHECK(s.apps[0].server()->reply == DataSpec{DataSpec::Kind::size, "", 10'000});
  Scenario t = with({"apps.0.tcp_server.reply='echo'"});
  CHECK(t.apps[0].server()->reply == DataSpec{DataSpec::Kind::text, "echo", 4});
  // Values are scalars: YAML flow syntax is not parsed.
  CHECK(errors_with({"links.0.loss={model: gilbert}"}) ==
        Lines{"--set links.0.loss={model: gilbert}: links[0].loss: expected a probability like "
              "0.05 or 5%, found \"{model: gilbert}\""});
}

TEST_CASE("a later override of the same path wins") {
  Scenario s = with({"seed=7", "seed=9"});
  CHECK(s.seed == 9);
}

TEST_CASE("an invalid overridden value is reported against the override") {
  CHECK(errors_with({"links.0.loss=500%"}) ==
        Lines{"--set links.0.loss=500%: links[0].loss: probability \"500%\" is above 100%"});
  CHECK(errors_with({"apps.0.tcp_server.port=0"}) ==
        Lines{"--set apps.0.tcp_server.port=0: apps[0].tcp_server.port: expected a port from 1 "
              "to 65535, found 0"});
  CHECK(errors_with({"apps.1.tcp_client.conect=server:80"}) ==
        Lines{"--set apps.1.tcp_client.conect=server:80: apps[1].tcp_client.conect: unknown key; "
              "did you mean \"connect\"?"});
}

TEST_CASE("an unknown or malformed --set path is an error naming the override") {
  CHECK(errors_with({"links.5.loss=1%"}) ==
        Lines{"--set links.5.loss=1%: links is a list of 1 entry; expected an index from 0 to "
              "0, found \"5\""});
  CHECK(errors_with({"seed"}) == Lines{"--set seed: expected PATH=VALUE, like links.0.loss=5%"});
  CHECK(errors_with({"=3"}) == Lines{"--set =3: expected PATH=VALUE, like links.0.loss=5%"});
  CHECK(errors_with({"seed="}) == Lines{"--set seed=: expected a value after '='"});
  CHECK(errors_with({"links..loss=1%"}) ==
        Lines{"--set links..loss=1%: expected a dotted path like links.0.loss, found an empty "
              "part"});
  CHECK(errors_with({"name.first=x"}) ==
        Lines{"--set name.first=x: name is a value, not a map, so it has no \"first\""});
  CHECK(errors_with({"faults.0.at=1s"}) ==
        Lines{"--set faults.0.at=1s: faults does not exist, and lists cannot be created with "
              "--set"});
  CHECK(errors_with({"colour=red"}) ==
        Lines{"--set colour=red: colour: unknown top-level key; expected one of name, "
              "description, seed, duration, tcp, hosts, routers, links, apps, faults, outputs, "
              "expect"});
}

TEST_CASE("override errors come first, in command-line order, then the file's errors") {
  std::string text = std::string(kStory) + "expect:\n  - {app: bob, result: closed}\n";
  CHECK(errors_with({"seed=x", "links.0.delay=soon", "links.9.delay=1s"}, text.c_str()) ==
        Lines{
            "--set seed=x: seed: expected a non-negative integer below 2^64, found \"x\"",
            "--set links.0.delay=soon: links[0].delay: expected a duration like \"10ms\", found "
            "\"soon\"",
            "--set links.9.delay=1s: links is a list of 1 entry; expected an index from 0 to 0, "
            "found \"9\"",
            "story.yaml:15:11: expect[0].app: unknown app \"bob\"",
        });
}

TEST_CASE("load_scenario_file applies --set too") {
  LoadResult r = load_scenario_file(NETSIM_SOURCE_DIR "/scenarios/syn-timeout.yaml",
                                    {"tcp.syn_linear_timeouts=0"});
  INFO(r.error_text());
  REQUIRE(r.ok());
  CHECK(r.scenario->tcp.to_profile().syn_linear_timeouts == 0);
  CHECK(r.scenario->name == "syn-timeout");
}

TEST_CASE("every example scenario in scenarios/ loads without error") {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(NETSIM_SOURCE_DIR "/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    LoadResult r = load_scenario_file(entry.path().string());
    INFO(entry.path().string() << "\n" << r.error_text());
    CHECK(r.ok());
    if (!r.ok()) continue;
    const Scenario& s = *r.scenario;
    CHECK(s.name == entry.path().stem().string());
    CHECK_FALSE(s.description.empty());
    CHECK_FALSE(s.expect.empty());
    names.push_back(s.name);
  }
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"accept-queue-full",   "autocork",
                                          "burst-loss",          "busy-reader",
                                          "close-unread-rst",    "half-close",
                                          "handshake",           "hello-echo",
                                          "keepalive-dead-peer", "late-reply",
                                          "link-flap",           "lossy-transfer",
                                          "lost-handshake-ack",  "rst-closed-port",
                                          "sack-vs-newreno",     "sack-vs-newreno-tail",
                                          "server-crash",        "simultaneous-close",
                                          "simultaneous-open",   "syn-flood",
                                          "syn-flood-cookies",   "syn-timeout",
                                          "syn-timeout-classic", "synack-timeout",
                                          "tcp-mem-pressure",    "timer-wheel",
                                          "write-after-shutdown"});
}

TEST_CASE("the hello-echo example says what the issue describes") {
  LoadResult r = load_scenario_file(NETSIM_SOURCE_DIR "/scenarios/hello-echo.yaml");
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  const TcpClientSpec* c = s.find_app("alice")->client();
  const TcpServerSpec* e = s.find_app("echo")->server();
  REQUIRE(c);
  REQUIRE(e);
  CHECK(c->port == 7500);
  CHECK(c->connect.port == 20000);
  CHECK(c->send.text == "Hello,server!");
  CHECK(e->port == 20000);
  CHECK(e->reply.kind == DataSpec::Kind::echo);
  CHECK(s.links[0].a_to_b.delay == 10_ms);
}

TEST_CASE("the syn-flood pair differ only in the server's syncookies setting") {
  LoadResult plain = load_scenario_file(NETSIM_SOURCE_DIR "/scenarios/syn-flood.yaml");
  LoadResult cookies = load_scenario_file(NETSIM_SOURCE_DIR "/scenarios/syn-flood-cookies.yaml");
  REQUIRE(plain.ok());
  REQUIRE(cookies.ok());
  CHECK(plain.scenario->find_host("server")->tcp.to_profile().syncookies == 0);
  CHECK(cookies.scenario->find_host("server")->tcp.to_profile().syncookies == 1);
  CHECK(plain.scenario->find_app("web")->server()->backlog == 128);
  CHECK(plain.scenario->find_app("flood")->flood()->spoof == *Ipv4Prefix::parse("198.51.100.0/24"));
}
