// Real peers end to end: the machine's Linux TCP stack, in a network namespace each test
// creates and deletes, talks to simulated hosts through a TUN device (issue 6). Linux's own
// tools are the peers (python3 sockets, ss). Skipped with "SKIPPED: <why>" without root or
// /dev/net/tun; CI runs them as root.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace netsim::realtime::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

const char* kEchoServer = R"(name: linux-client-echo
duration: 5s
hosts:
  real: {tun: netsim0, address: 10.0.0.100}
  server: 10.0.0.2
links: [{between: [real, server], delay: 10ms}]
apps:
  - tcp_server: {name: echo, on: server, port: 20000, reply: echo}
)";

bool device_exists(const std::string& name) {
  int status = -1;
  run_and_capture({"ip", "link", "show", "dev", name}, &status);
  return status == 0;
}

std::string flags_of(const std::vector<PacketRecord>& ps) {
  std::string s;
  for (const auto& p : ps)
    s += (s.empty() ? "" : " ") + p.packet.tcp.flags.to_string();
  return s;
}

}  // namespace

TEST_CASE(
    "A Linux client's Hello,server! is echoed by a simulated server over a 10 ms link, "
    "both close in order, and ss agrees with our trace") {
  if (skip_if_unsupported()) return;
  Netns ns;
  Scenario sc = load(kEchoServer);
  ScenarioRun run(sc);
  MemorySink trace;
  run.add_sink(&trace);
  uint16_t port = 0;
  {
    RealtimeSession session(run, {.handle_signals = false});
    REQUIRE(device_exists("netsim0"));
    Peer client({"echo-client", "10.0.0.2", "20000", "Hello,server!"});
    StopAfterPeer stop(session, client, 300ms);
    session.run();
    Json out = Json::parse(client.finish());
    INFO(client.output());
    REQUIRE(out["received"] == "Hello,server!");
    port = out["local_port"].get<uint16_t>();

    const TunBridge& bridge = *session.bridge("real");
    CHECK(bridge.counters().malformed == 0);
    CHECK(bridge.counters().refused_in == 0);
    CHECK(bridge.counters().refused_out == 0);
    CHECK(bridge.counters().injected == packets(trace.records, PacketEvent::send, "real").size());
    CHECK(bridge.counters().written == packets(trace.records, PacketEvent::recv, "real").size());
  }
  // The device, its address and its route went with the session.
  CHECK_FALSE(device_exists("netsim0"));

  // Linux's SYN as our trace saw it: from the kernel's address and the client's port, with
  // Linux's options; our SYN-ACK offers only the MSS, so Linux falls back to plain TCP.
  auto from_linux = packets(trace.records, PacketEvent::send, "real");
  REQUIRE(from_linux.size() >= 4);
  const Packet& syn = from_linux[0].packet;
  CHECK(syn.src_addr().to_string() == fmt::format("10.0.0.100:{}", port));
  CHECK(syn.dst_addr().to_string() == "10.0.0.2:20000");
  CHECK(syn.tcp.flags.to_string() == "S");
  CHECK(syn.tcp.options.mss == 1460);
  auto to_linux = packets(trace.records, PacketEvent::send, "server");
  REQUIRE(!to_linux.empty());
  CHECK(to_linux[0].packet.tcp.flags.to_string() == "S.");
  CHECK(to_linux[0].packet.tcp.ack == syn.tcp.seq + 1);
  CHECK(to_linux[0].t - from_linux[0].t == Duration::milliseconds(10));
  bool hello = false;
  for (const auto& p : from_linux)
    hello |= p.packet.tcp.payload.as_string_view() == "Hello,server!";
  CHECK(hello);
  CHECK(from_linux.back().packet.tcp.flags.to_string() == ".");  // the ACK of our FIN
  INFO("packets from Linux: " << flags_of(from_linux));

  // Linux closed first (active close); our server followed the peer's FIN.
  const apps::AppReport& echo = *run.report("echo");
  REQUIRE(echo.connections.size() == 1);
  CHECK(echo.connections[0].result == "closed");
  CHECK(echo.connections[0].received == "Hello,server!");
  CHECK(echo.connections[0].remote.to_string() == fmt::format("10.0.0.100:{}", port));
  CHECK(
      states_of(trace.records, "server", port) ==
      std::vector<std::string>{"SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"});
  // The kernel's view: the active closer's socket sits in TIME-WAIT for this very 4-tuple.
  std::string ss = run_and_capture({"ss", "-Htan", "state", "time-wait"});
  INFO(ss);
  CHECK(ss.find(fmt::format("10.0.0.100:{}", port)) != std::string::npos);
  CHECK(ss.find("10.0.0.2:20000") != std::string::npos);
}

}  // namespace netsim::realtime::testing
