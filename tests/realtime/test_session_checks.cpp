// What a real-time session refuses before touching the machine (a flood toward the real
// stack, apps or crashes on it), the device configuration it would apply, its banner, and a
// real-time run without real peers, which must trace exactly what a virtual-time run does.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "realtime/session.hpp"
#include "scenarios/loader/loader.hpp"
#include "sim/trace_text.hpp"
#include "topologies.hpp"

namespace netsim::realtime {
namespace {

Scenario load(const std::string& yaml) {
  LoadResult r = load_scenario_text(yaml, "real.yaml");
  INFO(r.error_text());
  REQUIRE(r.ok());
  return *r.scenario;
}

const std::string kTopology = std::string(R"(name: real
duration: 2s
hosts:
  real: {tun: netsim0, address: 10.0.0.100}
  server: 10.0.0.2
)") + testing::kAttackerBehindRouter;

std::string what_refused(const std::string& apps) {
  Scenario sc = load(kTopology + apps);
  try {
    check_real_peer_safety(sc);
  } catch (const RealtimeError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("A SYN flood aimed at the real stack is refused before any device exists") {
  CHECK(what_refused(R"(apps:
  - syn_flood: {name: flood, on: attacker, target: real:22, rate: 100/s, count: 10}
)") == "real.yaml:13:5: refusing to start syn_flood flood: its SYNs would leave through TUN "
       "device netsim0 to the real Linux stack at 10.0.0.100; flood a simulated host instead");
}

TEST_CASE("A SYN flood spoofing the real stack's address is refused") {
  CHECK(what_refused(R"(apps:
  - tcp_server: {name: web, on: server, port: 80}
  - syn_flood: {name: flood, on: attacker, target: server:80, rate: 100/s, count: 10,
                spoof: 10.0.0.0/24}
)") == "real.yaml:14:5: refusing to start syn_flood flood: its spoofed sources 10.0.0.0/24 "
       "include 10.0.0.100 (real), so the answers to them would leave through TUN device "
       "netsim0; choose a range without it");
}

TEST_CASE("A SYN flood at a simulated server with sources outside the scenario is allowed") {
  CHECK(what_refused(R"(apps:
  - tcp_server: {name: web, on: server, port: 80}
  - syn_flood: {name: flood, on: attacker, target: server:80, rate: 100/s, count: 10,
                spoof: 198.51.100.0/24}
)") == "");
}

TEST_CASE("A simulated app or a crash on the real host is refused with its position") {
  Scenario app = load(kTopology + R"(apps:
  - tcp_client: {name: alice, on: real, connect: server:80}
)");
  CHECK_THROWS_WITH(ScenarioRun(app),
                    "real.yaml:13:5: tcp_client alice on real: real is the machine's real Linux "
                    "stack (tun: netsim0); run a real program there instead "
                    "(docs/real-peers.md)");
  Scenario crash = load(kTopology + R"(faults:
  - {at: 1s, crash: real}
)");
  CHECK_THROWS_WITH(ScenarioRun(crash),
                    "real.yaml:13:5: crash on real: real is the machine's real Linux stack "
                    "(tun: netsim0); run a real program there instead (docs/real-peers.md)");
}

TEST_CASE("A scenario with a real host does not run on virtual time alone") {
  Scenario sc = load(kTopology);
  ScenarioRun run(sc);
  CHECK(run.has_real_peers());
  CHECK(run.host("real") == nullptr);
  CHECK(run.host("server") != nullptr);
  CHECK_THROWS_AS(run.run(), std::logic_error);
}

TEST_CASE(
    "The device gets the real host's address as a /32 and one /32 route per simulated "
    "host, nothing broader") {
  Scenario sc = load(kTopology);
  TunConfig c = tun_config_for(sc, *sc.find_host("real"));
  CHECK(c.name == "netsim0");
  CHECK(c.address.to_string() == "10.0.0.100");
  using Cmds = std::vector<std::vector<std::string>>;
  CHECK(configure_commands(c) ==
        Cmds{{"ip", "link", "set", "dev", "netsim0", "mtu", "1500", "txqueuelen", "10000", "up"},
             {"ip", "addr", "add", "10.0.0.100/32", "dev", "netsim0"},
             {"ip", "route", "add", "10.0.0.2/32", "dev", "netsim0", "src", "10.0.0.100"},
             {"ip", "route", "add", "10.0.0.66/32", "dev", "netsim0", "src", "10.0.0.100"}});
}

// Two real hosts, each its own kernel in a network namespace (docs/real-peers.md).
const std::string kTwoReal = R"(name: two
duration: 2s
hosts:
  alice: {tun: nsa0, address: 10.0.0.1, netns: lab-a}
  bob: {tun: nsb0, address: 10.0.0.2, netns: lab-b}
  carol: {tun: nsc0, address: 10.0.0.3, netns: lab-b}
  server: 10.0.0.9
links:
  - {between: [alice, server]}
  - {between: [bob, server]}
  - {between: [carol, server]}
apps:
  - tcp_server: {name: web, on: server, port: 80}
)";

TEST_CASE(
    "A real host in its own namespace: the device moves there and routes to the real "
    "hosts of other namespaces") {
  Scenario sc = load(kTwoReal);
  TunConfig a = tun_config_for(sc, *sc.find_host("alice"));
  CHECK(a.netns == "lab-a");
  using Cmds = std::vector<std::vector<std::string>>;
  auto route = [&](const char* to) {
    return std::vector<std::string>{"ip", "-n",  "lab-a", "route", "add",
                                    to,   "dev", "nsa0",  "src",   "10.0.0.1"};
  };
  CHECK(configure_commands(a) ==
        Cmds{{"ip", "link", "set", "dev", "nsa0", "netns", "lab-a"},
             {"ip", "-n", "lab-a", "link", "set", "dev", "nsa0", "mtu", "1500", "txqueuelen",
              "10000", "up"},
             {"ip", "-n", "lab-a", "addr", "add", "10.0.0.1/32", "dev", "nsa0"},
             route("10.0.0.2/32"),
             route("10.0.0.3/32"),
             route("10.0.0.9/32")});
  // bob and carol share lab-b, one kernel: each is local to the other, never routed.
  TunConfig b = tun_config_for(sc, *sc.find_host("bob"));
  std::vector<std::string> routes;
  for (Ipv4Addr r : b.routes)
    routes.push_back(r.to_string());
  CHECK(routes == std::vector<std::string>{"10.0.0.1", "10.0.0.9"});
}

TEST_CASE("The banner names each real host's namespace and the real hosts it reaches") {
  std::string banner = realtime_banner(load(kTwoReal));
  CHECK(banner.find("  alice: this machine's Linux TCP stack on TUN device nsa0 in network "
                    "namespace lab-a, address 10.0.0.1\n"
                    "    reachable through nsa0:\n"
                    "      bob     10.0.0.2        real Linux stack in network namespace lab-b\n"
                    "      carol   10.0.0.3        real Linux stack in network namespace lab-b\n"
                    "      server  10.0.0.9        listening on tcp port 80 (web)\n"
                    "    try: ip netns exec lab-a nc 10.0.0.9 80\n") != std::string::npos);
  // carol shares bob's kernel: not reachable through bob's device.
  CHECK(banner.find("    reachable through nsb0:\n"
                    "      alice   10.0.0.1        real Linux stack in network namespace lab-a\n"
                    "      server  ") != std::string::npos);
}

TEST_CASE("netns: is refused on a simulated host and for names ip netns cannot use") {
  auto error_of = [](const std::string& host) {
    LoadResult r = load_scenario_text(
        "name: x\nhosts:\n  " + host + "\n  s: 10.0.0.2\nlinks: [{between: [h, s]}]\n", "t.yaml");
    REQUIRE(!r.ok());
    return r.error_text();
  };
  CHECK(error_of("h: {address: 10.0.0.1, netns: lab}") ==
        "t.yaml:3:33: hosts.h.netns: expected netns only on a `tun:` host (it is where its TUN "
        "device goes)\n");
  CHECK(error_of("h: {tun: t0, address: 10.0.0.1, netns: a/b}") ==
        "t.yaml:3:42: hosts.h.netns: expected a namespace name of 1 to 64 characters without "
        "'/' or spaces, found \"a/b\"\n");
}

TEST_CASE("Two tun: hosts may share a device name only in different network namespaces") {
  auto load_hosts = [](const std::string& a, const std::string& b) {
    return load_scenario_text(
        "name: x\nhosts:\n  a: " + a + "\n  b: " + b +
            "\n  s: 10.0.0.9\nlinks: [{between: [a, s]}, {between: [b, s]}]\n",
        "t.yaml");
  };
  LoadResult same = load_hosts("{tun: t0, address: 10.0.0.1, netns: lab}",
                               "{tun: t0, address: 10.0.0.2, netns: lab}");
  REQUIRE(!same.ok());
  CHECK(same.error_text() ==
        "t.yaml:4:12: hosts.b.tun: TUN device \"t0\" is already host \"a\"'s in network "
        "namespace \"lab\": give each `tun:` host its own device name or its own `netns:`\n");
  LoadResult plain = load_hosts("{tun: t0, address: 10.0.0.1}", "{tun: t0, address: 10.0.0.2}");
  REQUIRE(!plain.ok());
  CHECK(plain.error_text().find("is already host \"a\"'s in netsim's network namespace") !=
        std::string::npos);
  CHECK(load_hosts("{tun: t0, address: 10.0.0.1, netns: la}",
                   "{tun: t0, address: 10.0.0.2, netns: lb}")
            .ok());
}

TEST_CASE("The banner says what is reachable at which address") {
  Scenario sc = load(kTopology + R"(apps:
  - tcp_server: {name: web, on: server, port: 80}
  - tcp_server: {name: ssh, on: server, port: 22}
)");
  CHECK(realtime_banner(sc) ==
        "netsim: real-time run of real: virtual time follows the wall clock; ends at 2s or on "
        "Ctrl-C\n"
        "  real: this machine's Linux TCP stack on TUN device netsim0, address 10.0.0.100\n"
        "    reachable through netsim0:\n"
        "      server    10.0.0.2        listening on tcp port 80 (web), tcp port 22 (ssh)\n"
        "      attacker  10.0.0.66       (no server)\n"
        "    try: nc 10.0.0.2 80\n"
        "    only these addresses are routed into netsim0; packets to or from any other "
        "address are dropped, never forwarded\n");
}

TEST_CASE("Without real peers, a real-time run traces exactly what a virtual-time run does") {
  const std::string yaml = R"(name: tiny
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms, loss: 10%}]
apps:
  - tcp_server: {name: echo, on: server, port: 80, reply: echo}
  - tcp_client: {name: alice, on: client, connect: server:80, send: "Hello,server!"}
tcp: {time_wait: 100ms}
)";
  Scenario sc = load(yaml);
  auto trace_of = [&](bool realtime) {
    ScenarioRun run(sc);
    std::ostringstream text;
    TextTraceSink sink(text);
    run.add_sink(&sink);
    if (realtime) {
      RealtimeSession session(run, {.handle_signals = false});
      CHECK(session.banner() ==
            "netsim: real-time run of tiny: virtual time follows the wall clock; ends when no "
            "event is left, or on Ctrl-C\n");
      session.run();
    } else {
      run.run();
    }
    CHECK(run.report("alice")->overall_result() == "closed");
    return text.str();
  };
  std::string virtual_time = trace_of(false);
  CHECK(trace_of(true) == virtual_time);
}

TEST_CASE("A TUN device's queue drops are read from /proc/net/dev's drop columns") {
  const std::string text =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo:  372266    2601    0    0    0     0          0         0   372266    2601    0 "
      "   0    0     0       0          0\n"
      "netsim0: 1200 20 0 3 0 0 0 0 880000 20000 0 19187 0 0 0 0\n"
      "netsim00: 1 1 0 9 0 0 0 0 1 1 0 9 0 0 0 0\n";
  auto d = parse_proc_net_dev(text, "netsim0");
  REQUIRE(d);
  CHECK(d->rx == 3);
  CHECK(d->tx == 19187);
  CHECK(parse_proc_net_dev(text, "lo")->tx == 0);
  CHECK_FALSE(parse_proc_net_dev(text, "netsim"));
  CHECK_FALSE(parse_proc_net_dev("netsim0: 1 2 3\n", "netsim0"));  // truncated: no guess
  CHECK(read_queue_drops("lo"));  // every namespace has a loopback device
}

TEST_CASE("summary.json lists each TUN device's queue drops and bridge counters") {
  Scenario sc = load(R"(name: tiny
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 1ms}]
)");
  ScenarioRun run(sc);
  run.run();
  CHECK(nlohmann::json::parse(run.summary_json({})).count("tun") == 0);  // no device, no key
  run.add_tun_report(TunReport{"real", "netsim0", 3, 19187, 812, 800, 5, 7, 790, 1, 0});
  auto j = nlohmann::json::parse(run.summary_json({}));
  CHECK(j["tun"] == nlohmann::json::parse(R"({"netsim0": {"host": "real", "rx_dropped": 3,
      "tx_dropped": 19187, "read": 812, "injected": 800, "malformed": 5, "refused_in": 7,
      "written": 790, "refused_out": 1, "write_errors": 0}})"));
}

}  // namespace netsim::realtime
