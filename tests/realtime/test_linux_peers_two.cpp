// Two real Linux hosts across a simulated link (issue 13, docs/real-peers.md "Two real hosts"):
// each `tun:` host is a kernel of its own in a network namespace netsim creates (`netns:`), so
// Linux talks to Linux only through the simulation, never through loopback. Skipped without
// root or /dev/net/tun, as test_linux_peers.cpp.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace netsim::realtime::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// alice (10.0.0.100) and bob (10.0.0.200), each in its own namespace, 20 ms RTT through r1.
struct TwoReal {
  explicit TwoReal(const std::string& faults)
      : ns_a(fmt::format("nsim-a-{}", getpid())),
        ns_b(fmt::format("nsim-b-{}", getpid())),
        scenario(load(fmt::format(R"(name: two-real
duration: 60s
hosts:
  alice: {{tun: nsa0, address: 10.0.0.100, netns: {}}}
  bob: {{tun: nsb0, address: 10.0.0.200, netns: {}}}
routers: [r1]
links:
  - {{between: [alice, r1], delay: 5ms}}
  - {{between: [r1, bob], delay: 5ms}}
{})",
                                  ns_a, ns_b, faults))),
        run(scenario) {
    run.add_sink(&trace);
  }

  // bob's peers.py `server` echoes what alice's `bulk-client` sends (`bytes`); the run ends
  // 300 ms after alice is done. Returns alice's report.
  Json echo(int bytes) {
    Json out;
    {
      RealtimeSession session(run, {.handle_signals = false});
      CHECK(!device_exists("nsa0"));  // moved out of netsim's namespace into alice's
      auto in = [](const std::string& ns, std::vector<std::string> argv) {
        argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
        return argv;
      };
      Peer server(in(ns_b, py({"--timeout", "30", "server", "8080"})));
      REQUIRE(server.wait_for_line("ready", 5s));
      Peer client(in(ns_a, py({"--timeout", "30", "bulk-client", "10.0.0.200", "8080",
                               std::to_string(bytes)})));
      StopAfterPeer stop(session, client, 300ms);
      session.run();
      std::string last = client.finish(10s);
      INFO(client.output());
      out = Json::parse(last);
      server.finish(5s);
      alice = session.bridge("alice")->counters();
      bob = session.bridge("bob")->counters();
    }
    // netsim created both namespaces, so it deleted them.
    CHECK(access(("/run/netns/" + ns_a).c_str(), F_OK) != 0);
    CHECK(access(("/run/netns/" + ns_b).c_str(), F_OK) != 0);
    return out;
  }

  Netns ns;  // netsim itself runs in a fresh namespace too
  std::string ns_a, ns_b;
  Scenario scenario;
  ScenarioRun run;
  MemorySink trace;
  BridgeCounters alice, bob;
};

// The highest number of SACK blocks in the ACKs `host` sent, and how many ACKs carried any.
std::pair<size_t, size_t> sack_blocks(const std::vector<TraceRecord>& records,
                                      const std::string& host) {
  size_t most = 0, with = 0;
  for (const auto& p : packets(records, PacketEvent::send, host)) {
    most = std::max(most, p.packet.tcp.options.sack.size());
    with += !p.packet.tcp.options.sack.empty();
  }
  return {most, with};
}

TEST_CASE("two real Linux hosts in their own namespaces echo 10 MB through the simulation",
          "[realtime][real-peer][two-real]") {
  if (skip_if_unsupported()) return;
  TwoReal t("");
  const int bytes = 10 << 20;
  Json out = t.echo(bytes);
  INFO(out.dump());
  CHECK(out["received"] == bytes);
  CHECK(out["intact"] == true);
  // Linux to Linux: both sides negotiated timestamps, SACK and window scaling, 1448-byte MSS.
  CHECK(out["tcp_info"]["options"].get<int>() == (1 | 2 | 4));
  CHECK(out["tcp_info"]["snd_mss"] == 1448);
  // Every byte crossed the simulated network: at least 10 MB / 1448 data segments each way
  // were read from one device and written into the other.
  const uint64_t min_segments = bytes / 1448;
  CHECK(t.alice.injected >= min_segments);
  CHECK(t.bob.injected >= min_segments);
  CHECK(t.alice.written >= min_segments);
  CHECK(t.bob.written >= min_segments);
  CHECK(t.alice.malformed + t.bob.malformed + t.alice.refused_in + t.bob.refused_in == 0);
  // Both SYNs are Linux's, with its options, in our trace.
  auto syn_a = packets(t.trace.records, PacketEvent::send, "alice").at(0).packet.tcp;
  auto syn_b = packets(t.trace.records, PacketEvent::send, "bob").at(0).packet.tcp;
  CHECK(syn_a.flags.to_string() == "S");
  CHECK(syn_b.flags.to_string() == "S.");
  CHECK(syn_a.options.sack_permitted);
  CHECK(syn_b.options.sack_permitted);
  CHECK(syn_a.options.window_scale.has_value());
  CHECK(syn_b.options.window_scale.has_value());
}

TEST_CASE("two real Linux hosts repair drops in both directions with SACK",
          "[realtime][real-peer][two-real][sack]") {
  if (skip_if_unsupported()) return;
  // Three data segments of each direction are lost in the simulated network (a drop ends the
  // rule chain, so later segments' rules go first).
  TwoReal t(R"(faults:
  - {drop: {src: alice, payload: true}, nth: 300, count: 1}
  - {drop: {src: alice, payload: true}, nth: 200, count: 1}
  - {drop: {src: alice, payload: true}, nth: 100, count: 1}
  - {drop: {src: bob, payload: true}, nth: 300, count: 1}
  - {drop: {src: bob, payload: true}, nth: 200, count: 1}
  - {drop: {src: bob, payload: true}, nth: 100, count: 1}
)");
  const int bytes = 2 << 20;
  Json out = t.echo(bytes);
  INFO(out.dump());
  CHECK(out["received"] == bytes);
  CHECK(out["intact"] == true);
  const auto& records = t.trace.records;
  CHECK(packets(records, PacketEvent::drop, "alice").size() == 3);
  CHECK(packets(records, PacketEvent::drop, "bob").size() == 3);
  // Each receiver told its sender about the holes with SACK blocks, and the sender repaired
  // them: alice retransmitted (tcp_info total_retrans), with no retransmission timeout.
  auto [most_b, with_b] = sack_blocks(records, "bob");
  auto [most_a, with_a] = sack_blocks(records, "alice");
  CHECK(most_b >= 1);
  CHECK(with_b >= 3);
  CHECK(most_a >= 1);
  CHECK(with_a >= 3);
  CHECK(out["tcp_info"]["total_retrans"].get<int>() >= 3);
}

}  // namespace
}  // namespace netsim::realtime::testing
