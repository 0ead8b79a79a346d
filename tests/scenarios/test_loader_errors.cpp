// Bad input never crashes and never passes: each mistake gives one exact message with
// file:line:column, the key path and what was expected; every mistake of a file is reported, in
// line order; absurd sizes and alias bombs hit a named limit instead of exhausting memory.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "scenarios/loader/loader.hpp"
#include "tests/support/loader_support.hpp"

using namespace netsim;

namespace {

using Lines = std::vector<std::string>;

Lines errors_of(const std::string& text, const std::vector<std::string>& sets = {},
                const ScenarioLimits& limits = {}) {
  return test_support::load_errors(text, "bad.yaml", sets, limits);
}

const char* const kHosts = test_support::kTwoHosts;

}  // namespace

TEST_CASE("a missing file is reported with the system's reason") {
  LoadResult r = load_scenario_file("/nonexistent/dir/story.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.error_text() ==
        "/nonexistent/dir/story.yaml: cannot open the file: No such file or directory\n");
}

TEST_CASE("a directory is not a scenario file") {
  LoadResult r = load_scenario_file(NETSIM_SOURCE_DIR "/scenarios");
  CHECK(r.error_text() == NETSIM_SOURCE_DIR
        "/scenarios: cannot open the file: it is not a regular file\n");
}

TEST_CASE("an empty file and a file of comments are empty scenarios") {
  Lines want{"bad.yaml: the file is empty; expected a scenario map with at least \"hosts:\""};
  CHECK(errors_of("") == want);
  CHECK(errors_of("# nothing here\n\n") == want);
}

TEST_CASE("text that is not YAML gives the parser's message at its line and column") {
  CHECK(errors_of("hosts: {a: 10.0.0.1\nlinks: [\n") ==
        Lines{"bad.yaml:2:6: not valid YAML: end of map flow not found"});
  CHECK(errors_of("hosts:\n  a: b: c\n") ==
        Lines{"bad.yaml:2:7: not valid YAML: illegal map value"});
  CHECK(errors_of("hosts: *nothing\n") ==
        Lines{"bad.yaml:1:8: not valid YAML: the referenced anchor is not defined"});
}

TEST_CASE("a tab in indentation is named as the mistake, at its line and column") {
  CHECK(errors_of("hosts:\n  client: 10.0.0.1\n\tserver: 10.0.0.2\n") ==
        Lines{"bad.yaml:3:1: a tab is not allowed in YAML indentation; indent with spaces"});
  CHECK(errors_of("hosts:\n  a: 10.0.0.1\n  \tb: c: d\n") ==
        Lines{"bad.yaml:3:3: a tab is not allowed in YAML indentation; indent with spaces"});
}

TEST_CASE("a state written without its underscore gets a did-you-mean") {
  CHECK(errors_of(std::string(kHosts) + R"(apps:
  - tcp_client: {name: alice, on: client, connect: server:80}
expect:
  - {app: alice, state: TIMEWAIT, at: 1s}
)") == Lines{"bad.yaml:7:25: expect[0].state: expected a TCP state (CLOSED, LISTEN, SYN_SENT, "
             "SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, "
             "TIME_WAIT), found \"TIMEWAIT\"; did you mean \"TIME_WAIT\"?"});
}

TEST_CASE("a stray comma is an error, not the endless loop of yaml-cpp 0.7's LoadAll") {
  // jbeder/yaml-cpp#1040: LoadAll() allocated null documents forever on these.
  CHECK(errors_of(",\n") == Lines{"bad.yaml:1:1: not valid YAML: unexpected \",\""});
  CHECK(errors_of("# a comment\n,name: x\n") ==
        Lines{"bad.yaml:2:1: not valid YAML: unexpected \",\""});
  CHECK(errors_of("- a\n,\n") == Lines{"bad.yaml:2:1: not valid YAML: unexpected \",\""});
  CHECK(errors_of("hosts: {a: 10.0.0.1}\n---\n,\n") ==
        Lines{"bad.yaml:3:1: not valid YAML: unexpected \",\""});
}

TEST_CASE("a YAML list, a bare scalar and two documents are refused") {
  CHECK(errors_of("- client\n- server\n") ==
        Lines{"bad.yaml:1:1: expected a map of scenario keys (name, hosts, links, apps, ...), "
              "found a list"});
  CHECK(errors_of("hello\n") ==
        Lines{"bad.yaml:1:1: expected a map of scenario keys (name, hosts, links, apps, ...), "
              "found \"hello\""});
  CHECK(errors_of("hosts: {a: 10.0.0.1}\n---\nhosts: {b: 10.0.0.2}\n") ==
        Lines{"bad.yaml:2:1: expected one YAML document, found 2 (separated by \"---\")"});
}

TEST_CASE("a scenario without hosts names the missing key") {
  CHECK(errors_of("name: x\n") ==
        Lines{"bad.yaml:1:1: missing key \"hosts\" (a map of host names to addresses, like "
              "{client: 10.0.0.1})"});
}

TEST_CASE("unknown keys suggest the nearest known key") {
  CHECK(errors_of(std::string(kHosts) + "linkz: []\n") ==
        Lines{"bad.yaml:4:1: linkz: unknown top-level key; did you mean \"links\"?"});
  CHECK(errors_of(std::string(kHosts) + "colour: red\n") ==
        Lines{"bad.yaml:4:1: colour: unknown top-level key; expected one of name, description, "
              "seed, duration, tcp, hosts, routers, links, apps, faults, outputs, expect"});
  CHECK(
      errors_of(std::string(kHosts) + "links:\n  - between: [client, server]\n    dealy: 3ms\n") ==
      Lines{"bad.yaml:6:5: links[0].dealy: unknown key; did you mean \"delay\"?"});
}

TEST_CASE("an unknown key in an app and an unknown app kind are reported") {
  CHECK(errors_of(std::string(kHosts) + R"(apps:
  - tcp_client: {on: client, conect: server:80}
  - tcp_sever: {on: server, port: 80}
)") == Lines{
           "bad.yaml:5:17: apps[0].tcp_client: missing key \"connect\" (where to connect, like "
           "server:80)",
           "bad.yaml:5:30: apps[0].tcp_client.conect: unknown key; did you mean \"connect\"?",
           "bad.yaml:6:5: apps[1].tcp_sever: unknown key; did you mean \"tcp_server\"?",
       });
}

TEST_CASE("a value of the wrong type says what was expected and what was found") {
  CHECK(errors_of(R"(name: bad
hosts:
  client: 10.0.0.1
  server: 10.0.0.2
links:
  - between: [client, server]
    delay: fast
    bandwidth: [10Mbps]
    queue: lots
)") == Lines{
           "bad.yaml:7:12: links[0].delay: expected a duration like \"10ms\", found \"fast\"",
           "bad.yaml:8:16: links[0].bandwidth: expected a data rate like \"10Mbps\", found a list",
           "bad.yaml:9:12: links[0].queue: expected a queue limit in packets like 100 or in bytes "
           "like \"64KiB\", or unlimited, found \"lots\"",
       });
}

TEST_CASE("negative or zero values where a positive one is required") {
  CHECK(
      errors_of(std::string(kHosts) + R"(duration: 0s
tcp: {syn_retries: 0, keepalive_intvl: -1s, mss: 20}
links:
  - {between: [client, server], delay: -5ms, queue: 0}
apps:
  - tcp_client: {on: client, connect: server:80, count: -2}
)") ==
      Lines{
          "bad.yaml:4:11: duration: expected a positive duration like \"10ms\", found \"0s\"",
          "bad.yaml:5:20: tcp.syn_retries: expected an integer from 1 to 127, found 0",
          "bad.yaml:5:40: tcp.keepalive_intvl: expected a positive duration like \"10ms\", "
          "found \"-1s\"",
          "bad.yaml:5:50: tcp.mss: expected an integer from 88 to 65495, found 20",
          "bad.yaml:7:40: links[0].delay: expected a non-negative duration like \"10ms\", found "
          "\"-5ms\"",
          "bad.yaml:7:53: links[0].queue: expected an integer from 1 to 1000000000, found 0",
          "bad.yaml:9:57: apps[0].tcp_client.count: expected an integer from 1 to 100000, found -2",
      });
}

TEST_CASE("a loss above 100% is refused by the unit parser's message") {
  CHECK(errors_of(std::string(kHosts) +
                  "links:\n  - {between: [client, server], loss: 500%, duplicate: 1.5}\n") ==
        Lines{
            "bad.yaml:5:39: links[0].loss: probability \"500%\" is above 100%",
            "bad.yaml:5:56: links[0].duplicate: probability \"1.5\" is above 100%",
        });
}

TEST_CASE("a link to an unknown host suggests the nearest name") {
  CHECK(errors_of(std::string(kHosts) + "links:\n  - between: [client, sever]\n") ==
        Lines{"bad.yaml:5:23: links[0].between[1]: unknown host \"sever\"; did you mean "
              "\"server\"?"});
  CHECK(errors_of(std::string(kHosts) + "links:\n  - between: [client, mars]\n") ==
        Lines{"bad.yaml:5:23: links[0].between[1]: unknown host \"mars\""});
}

TEST_CASE("links must join two different nodes once, with overrides naming their directions") {
  CHECK(errors_of(std::string(kHosts) + R"(links:
  - between: [client, client]
  - between: [client, server]
  - between: [server, client]
    "client->r9": {delay: 1ms}
  - between: [client]
)") == Lines{
           "bad.yaml:5:14: links[0].between: expected two different nodes, found \"client\" twice",
           "bad.yaml:7:14: links[2].between: a link between server and client already exists "
           "(line 6)",
           "bad.yaml:8:5: links[2].client->r9: expected a direction of this link, "
           "\"server->client\" or \"client->server\", found \"client->r9\"",
           "bad.yaml:9:14: links[3].between: expected the two nodes it joins, like [client, r1], "
           "found a list of 1 node",
       });
}

TEST_CASE("duplicate host names and duplicate addresses are refused") {
  CHECK(errors_of(R"(hosts:
  client: 10.0.0.1
  server: 10.0.0.2
  client: 10.0.0.3
  twin: 10.0.0.2
routers: [r1, server, r1]
)") == Lines{
           "bad.yaml:4:3: hosts.client: duplicate host name (first written at line 2)",
           "bad.yaml:5:9: hosts.twin: address 10.0.0.2 is already used by host \"server\"",
           "bad.yaml:6:15: routers[1]: \"server\" is already a host",
           "bad.yaml:6:23: routers[2]: duplicate router name \"r1\"",
       });
}

TEST_CASE("invalid addresses, address blocks and names are refused") {
  CHECK(errors_of(R"(hosts:
  a: 10.0.0
  b: {address: 300.0.0.1}
  "c d": 10.0.0.4
apps:
  - syn_flood: {on: a, target: b:80, rate: 10/s, count: 1, spoof: 10.0.0.1/24}
  - syn_flood: {on: a, target: 10.0.0.2:80, rate: 10/s, count: 1, spoof: 10.0.0.0/33}
)") == Lines{
           "bad.yaml:2:6: hosts.a: expected an IPv4 address like \"10.0.0.1\", found \"10.0.0\"",
           "bad.yaml:3:16: hosts.b.address: expected an IPv4 address like \"10.0.0.1\", found "
           "\"300.0.0.1\"",
           "bad.yaml:4:3: hosts.c d: expected a host name (a letter or '_', then letters, digits, "
           "'_' or '-'), found \"c d\"",
           "bad.yaml:6:67: apps[0].syn_flood.spoof: expected an address block like "
           "\"198.51.100.0/24\" (no host bits set), found \"10.0.0.1/24\"",
           "bad.yaml:7:74: apps[1].syn_flood.spoof: expected an address block like "
           "\"198.51.100.0/24\" (no host bits set), found \"10.0.0.0/33\"",
       });
}

TEST_CASE("an app on a router is refused") {
  CHECK(errors_of(std::string(kHosts) + R"(routers: [r1]
apps:
  - tcp_server: {on: r1, port: 80}
  - tcp_client: {on: client, connect: r1:80}
)") == Lines{
           "bad.yaml:6:22: apps[0].tcp_server.on: \"r1\" is a router; expected a host",
           "bad.yaml:7:39: apps[1].tcp_client.connect: \"r1\" is a router, which has no address; "
           "expected a host",
       });
}

TEST_CASE("ports out of range are refused but 0 is a client's ephemeral port") {
  CHECK(errors_of(std::string(kHosts) + R"(apps:
  - tcp_server: {on: server, port: 0}
  - tcp_server: {on: server, port: 65536}
  - tcp_client: {on: client, port: 0, connect: server:99999}
  - tcp_client: {on: client, port: 70000, connect: server:80}
faults:
  - drop: {dport: 0}
)") == Lines{
           "bad.yaml:5:36: apps[0].tcp_server.port: expected a port from 1 to 65535, found 0",
           "bad.yaml:6:36: apps[1].tcp_server.port: expected a port from 1 to 65535, found 65536",
           "bad.yaml:7:48: apps[2].tcp_client.connect: expected an endpoint with a port from 1 to "
           "65535, found \"server:99999\"",
           "bad.yaml:8:36: apps[3].tcp_client.port: expected a port from 0 (any) to 65535, found "
           "70000",
           "bad.yaml:10:19: faults[0].drop.dport: expected a port from 1 to 65535, found 0",
       });
}

TEST_CASE("two servers on one port, a repeated app name and a fixed port with count are refused") {
  CHECK(errors_of(std::string(kHosts) + R"(apps:
  - tcp_server: {name: web, on: server, port: 80}
  - tcp_server: {on: server, port: 80}
  - tcp_client: {name: web, on: client, connect: server:80}
  - tcp_client: {on: client, port: 7000, count: 2, connect: server:80}
)") == Lines{
           "bad.yaml:6:36: apps[1].tcp_server.port: port 80 on host \"server\" is already used by "
           "server \"web\"",
           "bad.yaml:7:24: apps[2].tcp_client.name: app name \"web\" is already used (line 5)",
           "bad.yaml:8:36: apps[3].tcp_client.port: expected no fixed port with count 2 (each "
           "connection needs its own port), found 7000",
       });
}

TEST_CASE("expectations naming an unknown app or host suggest the nearest name") {
  CHECK(
      errors_of(std::string(kHosts) + R"(apps:
  - tcp_client: {name: alice, on: client, connect: server:80}
  - syn_flood: {name: flood, on: client, target: server:80, rate: 1/s, count: 3}
expect:
  - {app: alcie, result: closed}
  - {app: bob, connected_by: 1s}
  - {host: sever, counter: rst_sent, min: 1}
  - {app: alice, accepted: 1}
  - {app: flood, result: closed}
)") ==
      Lines{
          "bad.yaml:8:11: expect[0].app: unknown app \"alcie\"; did you mean \"alice\"?",
          "bad.yaml:9:11: expect[1].app: unknown app \"bob\"",
          "bad.yaml:10:12: expect[2].host: unknown host \"sever\"; did you mean \"server\"?",
          "bad.yaml:11:11: expect[3].app: expected a tcp_server or tcp_app for accepted, found "
          "tcp_client "
          "\"alice\"",
          "bad.yaml:12:11: expect[4].app: expected a tcp_client, tcp_server or tcp_app for result, "
          "found syn_flood \"flood\"",
      });
}

TEST_CASE("malformed expectations: unknown states, counters, reasons and misplaced keys") {
  CHECK(errors_of(std::string(kHosts) + R"(apps:
  - tcp_client: {name: alice, on: client, connect: server:80}
expect:
  - {app: alice, state: TIME-WAITING}
  - {app: alice, result: closed, state: CLOSED}
  - {host: client, counter: syncookie_sent, min: 1}
  - {host: client, counter: rst_sent}
  - {drops: lost, min: 2, max: 1}
  - {app: alice, result: timeout, within: 1s}
  - {app: alice}
  - {app: alice, connected_by: 1s, min: 1}
)") == Lines{
           "bad.yaml:7:25: expect[0].state: expected a TCP state (CLOSED, LISTEN, SYN_SENT, "
           "SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, "
           "TIME_WAIT), found \"TIME-WAITING\"; did you mean \"TIME_WAIT\"?",
           "bad.yaml:8:34: expect[1]: expected one check per expectation, found result and state",
           "bad.yaml:9:29: expect[2].counter: unknown counter \"syncookie_sent\"; did you mean "
           "\"syncookies_sent\"?",
           "bad.yaml:10:5: expect[3]: missing key \"min\" or \"max\" (the bounds to check)",
           "bad.yaml:11:13: expect[4].drops: unknown drop reason \"lost\"; expected one of loss, "
           "burst_loss, queue_full, link_down, no_route, corrupt, fault, syn_queue_full, "
           "accept_queue_full, host_down, no_listener, ttl_exceeded",
           "bad.yaml:11:32: expect[4].max: expected a value of at least min (2), found 1",
           "bad.yaml:12:26: expect[5].result: expected one of closed, ETIMEDOUT, ECONNREFUSED, "
           "ECONNRESET, EPIPE, open, crashed, found \"timeout\"; did you mean \"ETIMEDOUT\"?",
           "bad.yaml:12:35: expect[5].within: applies only together with at (the time the result "
           "is expected)",
           "bad.yaml:13:5: expect[6]: expected one of connected_by, received, result, state, "
           "accepted, counter, drops, packets, found none",
           "bad.yaml:14:36: expect[7].min: does not apply to connected_by checks",
       });
}

TEST_CASE("malformed faults and outputs are reported") {
  CHECK(errors_of(std::string(kHosts) + R"(faults:
  - drop: {src: sever, flags: SX}
    by: 1ms
  - delay: {dst: server}
  - at: 1s
    crash: server
    link_down: [client, server]
  - at: 2s
    link_up: [client, server]
  - {at: 3s, restart: nobody}
  - {nth: 2}
outputs:
  diagram: flow.jpg
  diagrams: [{connection: alice}]
)") == Lines{
           "bad.yaml:5:17: faults[0].drop.src: unknown host \"sever\"; did you mean \"server\"?",
           "bad.yaml:5:31: faults[0].drop.flags: expected TCP flags in tcpdump notation like "
           "\"S\", \"S.\", \".\", \"P.\", \"F.\" or \"R\", found \"SX\"",
           "bad.yaml:6:5: faults[0].by: applies to delay rules only",
           "bad.yaml:7:5: faults[1]: missing key \"by\" (how much to delay the matching packets, "
           "like 300ms)",
           "bad.yaml:10:5: faults[2]: expected one action per fault, found crash and link_down",
           "bad.yaml:12:14: faults[3].link_up: no link joins client and server",
           "bad.yaml:13:23: faults[4].restart: unknown host \"nobody\"",
           "bad.yaml:14:5: faults[5]: expected a packet rule (drop, delay, duplicate, corrupt) or "
           "a timed fault (at with link_down, link_up, set_link, crash, restart, inject), found "
           "neither",
           "bad.yaml:16:12: outputs.diagram: expected a file ending in .svg, .png, .pdf, .mmd or "
           ".txt, found \"flow.jpg\"",
           "bad.yaml:17:14: outputs.diagrams[0]: missing key \"file\" (the diagram file, like "
           "alice.svg)",
           "bad.yaml:17:27: outputs.diagrams[0].connection: unknown app \"alice\"",
       });
}

TEST_CASE("three mistakes give three errors in line order, whatever the section order") {
  CHECK(errors_of(R"(expect:
  - {app: nobody, result: closed}
hosts:
  client: 10.0.0.1
  server: 10.0.0.1
links:
  - {between: [client, server], delay: soon}
)") == Lines{
           "bad.yaml:2:11: expect[0].app: unknown app \"nobody\"",
           "bad.yaml:5:11: hosts.server: address 10.0.0.1 is already used by host \"client\"",
           "bad.yaml:7:40: links[0].delay: expected a duration like \"10ms\", found \"soon\"",
       });
}

TEST_CASE("duplicate keys in one map are reported") {
  CHECK(errors_of(std::string(kHosts) + "seed: 1\nseed: 2\n") ==
        Lines{"bad.yaml:5:1: seed: duplicate key (first written at line 4)"});
}

TEST_CASE("an alias bomb is stopped by the node-visit budget, not walked") {
  std::string text = "a0: &a0 [x, x]\n";
  for (int i = 1; i <= 30; ++i) {
    text += fmt::format("a{0}: &a{0} [*a{1}, *a{1}]\n", i, i - 1);
  }
  text += "hosts: {c: 10.0.0.1}\n";
  Lines errors = errors_of(text);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        "bad.yaml:1:13: the document has more than 1000000 nodes once anchors and aliases are "
        "expanded (the max_yaml_nodes limit)");
}

TEST_CASE("nesting deeper than the depth limit is refused") {
  std::string text =
      "hosts: {c: 10.0.0.1}\nx: " + std::string(70, '[') + std::string(70, ']') + "\n";
  Lines errors = errors_of(text);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        "bad.yaml:2:67: expected at most 64 levels of nesting (the max_depth limit), found more");
}

TEST_CASE("a file larger than the size limit is refused before it is parsed") {
  ScenarioLimits small;
  small.max_file_bytes = 100;
  std::string text = std::string(kHosts) + "# " + std::string(100, 'x') + "\n";
  REQUIRE(text.size() == 148);
  CHECK(errors_of(text, {}, small) ==
        Lines{"bad.yaml: the file is 148 bytes, more than the max_file_bytes limit of 100 (100B)"});

  auto path = std::filesystem::temp_directory_path() / "netsim_test_big_scenario.yaml";
  {
    std::ofstream out(path);
    out << kHosts;
    std::string padding(1023, '#');
    for (int i = 0; i < 4 * 1024 + 1; ++i)
      out << padding << '\n';
  }
  LoadResult r = load_scenario_file(path.string());
  auto size = std::filesystem::file_size(path);
  std::filesystem::remove(path);
  CHECK(size == 4'195'373);  // 4 MiB + 1069 bytes: just over the limit
  CHECK(r.error_text() == path.string() +
                              ": the file is 4195373 bytes, more than the max_file_bytes limit of "
                              "4194304 (4MiB)\n");
}

TEST_CASE("absurd sizes and times name the limit they exceed") {
  std::string hosts = "hosts:\n";
  for (int i = 0; i < 10'001; ++i) {
    hosts += fmt::format("  h{}: 10.{}.{}.{}\n", i, i / 65536, i / 256 % 256, i % 256);
  }
  CHECK(
      errors_of(hosts) ==
      Lines{
          "bad.yaml:2:3: hosts: expected at most 10000 hosts (the max_hosts limit), found 10001"});

  CHECK(errors_of(std::string(kHosts) + R"(duration: 876000h
apps:
  - syn_flood: {on: client, target: server:80, rate: 1000000/s, count: 1000000000000}
  - syn_flood: {on: client, target: server:80, rate: 5000/s, duration: 1h}
  - tcp_client: {on: client, connect: server:80, send: 2GiB, count: 1000000}
)") == Lines{
           "bad.yaml:4:11: duration: expected at most 8760h (the max_time limit), found "
           "\"876000h\"",
           "bad.yaml:6:72: apps[0].syn_flood.count: expected at most 10000000 (the "
           "max_flood_packets limit), found 1000000000000",
           "bad.yaml:7:72: apps[1].syn_flood.duration: expected at most 10000000 SYNs (the "
           "max_flood_packets limit), found 18000000 at this rate",
           "bad.yaml:8:56: apps[2].tcp_client.send: expected at most 1GiB (the max_data_bytes "
           "limit), found \"2GiB\"",
           "bad.yaml:8:69: apps[2].tcp_client.count: expected at most 100000 (the "
           "max_connections limit), found 1000000",
       });
}

TEST_CASE("tcp settings are range-checked against the kernel's bounds") {
  CHECK(errors_of(std::string(kHosts) + R"(tcp:
  syncookies: 3
  profile: linx
  congestion: bbr
  rto_min: 1s
  rto_max: 500ms
  abort_on_overflow: 2
  synack_retries: 128
)") == Lines{
           "bad.yaml:5:15: tcp.syncookies: expected an integer from 0 to 2, found 3",
           "bad.yaml:6:12: tcp.profile: expected linux or rfc9293, found \"linx\"; did you mean "
           "\"linux\"?",
           "bad.yaml:7:15: tcp.congestion: expected one of newreno, reno, none, cubic, found "
           "\"bbr\"",
           "bad.yaml:8:12: tcp.rto_min: expected at most rto_max (500ms), found 1s",
           "bad.yaml:10:22: tcp.abort_on_overflow: expected 0 or 1, found \"2\"",
           "bad.yaml:11:19: tcp.synack_retries: expected an integer from 1 to 127, found 128",
       });
}

TEST_CASE("send needs a unit or quotes: a bare number is ambiguous") {
  CHECK(errors_of(std::string(kHosts) + R"(apps:
  - tcp_client: {on: client, connect: server:80, send: 1000}
  - tcp_server: {on: server, port: 80, reply: 10 apples}
)") == Lines{
           "bad.yaml:5:56: apps[0].tcp_client.send: expected \"text\" or a size like \"10KB\", "
           "found \"1000\" (write \"1000B\" for bytes, or quote it for text)",
           "bad.yaml:6:47: apps[1].tcp_server.reply: unknown size unit \"apples\" in \"10 "
           "apples\"; expected one of B, KB, KiB, MB, MiB, GB, GiB",
       });
}

TEST_CASE("close policies belong to their app kind") {
  CHECK(errors_of(std::string(kHosts) + R"(apps:
  - tcp_server: {on: server, port: 80, close: after_send}
  - tcp_client: {on: client, connect: server:80, close: after_pear}
  - tcp_client: {on: client, connect: server:80, close: {when: 1s}}
)") == Lines{
           "bad.yaml:5:47: apps[0].tcp_server.close: expected one of after_peer, after_reply, "
           "never, abort, {at: T}, found \"after_send\", which only a tcp_client has",
           "bad.yaml:6:57: apps[1].tcp_client.close: expected one of after_reply, after_send, "
           "after_peer, never, abort, {at: T}, found \"after_pear\"; did you mean "
           "\"after_peer\"?",
           "bad.yaml:7:57: apps[2].tcp_client.close: missing key \"at\" (when to close, measured "
           "from connect() or accept())",
           "bad.yaml:7:58: apps[2].tcp_client.close.when: unknown key; expected one of at",
       });
}
