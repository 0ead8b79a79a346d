// Scripted applications (`tcp_app`) and the example scenarios written with them: each example
// runs and its exact wire (packets with relative sequence numbers, at their virtual times) and
// expectations are checked; plus the loader's messages for a script in a wrong order, the
// `close: {at}` fix in SYN_SENT, `packets` expectations, `--expect FILE` and `--set PATH+=`.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "sim/units.hpp"

using namespace netsim;

namespace {

// "0.020 client P. 1:6(5) ack 1": packets as sent, sequence numbers relative to each host's
// ISN (packetdrill's way), so the lines do not depend on the ISN the RNG drew.
class WireLog : public TraceSink {
 public:
  void write(const TraceRecord& r) override {
    const auto* p = std::get_if<PacketRecord>(&r);
    if (!p || p->ev != PacketEvent::send) return;
    const Segment& s = p->packet.tcp;
    if (s.flags.syn()) isn_[p->host] = s.seq.raw();
    std::string peer = p->host == "client" ? "server" : "client";
    uint32_t seq = s.seq.raw() - isn_[p->host];
    std::string line =
        fmt::format("{} {} {} {}:{}({})", format_seconds(p->t), p->host, s.flags.to_string(), seq,
                    seq + static_cast<uint32_t>(s.payload.size()), s.payload.size());
    if (s.flags.ack()) line += fmt::format(" ack {}", s.ack.raw() - isn_[peer]);
    lines.push_back(line);
  }
  std::vector<std::string> lines;

 private:
  std::map<std::string, uint32_t> isn_;
};

Scenario load_file(const std::string& name) {
  LoadResult r = load_scenario_file(NETSIM_SOURCE_DIR "/scenarios/" + name);
  INFO(r.error_text());
  REQUIRE(r.ok());
  return *r.scenario;
}

Scenario load_text(const std::string& text, const std::vector<std::string>& sets = {}) {
  LoadResult r = load_scenario_text(text, "t.yaml", sets);
  INFO(r.error_text());
  REQUIRE(r.ok());
  return *r.scenario;
}

std::string load_errors(const std::string& text, const std::vector<std::string>& sets = {}) {
  LoadResult r = load_scenario_text(text, "t.yaml", sets);
  REQUIRE_FALSE(r.ok());
  return r.error_text();
}

struct Ran {
  std::vector<std::string> wire;
  std::vector<ExpectVerdict> verdicts;
};

Ran run(const Scenario& s) {
  WireLog log;
  ScenarioRun run(s);
  run.add_sink(&log);
  run.run();
  return {log.lines, run.evaluate()};
}

void require_all_hold(const std::vector<ExpectVerdict>& v) {
  for (const auto& x : v) {
    INFO(x.pos.to_string() << ": " << x.message);
    CHECK(x.ok);
  }
}

const char* kTwoHosts = R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
)";

}  // namespace

TEST_CASE("close-unread-rst.yaml: the server's close with unread data sends RST+ACK, no FIN") {
  Ran r = run(load_file("close-unread-rst.yaml"));
  CHECK(r.wire == std::vector<std::string>{
                      "0.000000 client S 0:0(0)",
                      "0.010000 server S. 0:0(0) ack 1",
                      "0.020000 client . 1:1(0) ack 1",
                      "0.020000 client P. 1:15(14) ack 1",
                      "0.030000 server . 1:1(0) ack 15",
                      "0.130000 server R. 1:1(0) ack 15",
                  });
  require_all_hold(r.verdicts);
}

TEST_CASE("lost-handshake-ack.yaml: the data at 500 ms completes the server's handshake") {
  Scenario s = load_file("lost-handshake-ack.yaml");
  Ran r = run(s);
  CHECK(r.wire == std::vector<std::string>{
                      "0.000000 client S 0:0(0)",
                      "0.010000 server S. 0:0(0) ack 1",
                      "0.020000 client . 1:1(0) ack 1",  // dropped by the fault
                      "0.500000 client P. 1:6(5) ack 1",
                      "0.510000 server . 1:1(0) ack 6",
                  });
  require_all_hold(r.verdicts);
}

TEST_CASE("late-reply.yaml: the delayed ACK of the client's FIN goes out before the reply") {
  Ran r = run(load_file("late-reply.yaml"));
  CHECK(r.wire == std::vector<std::string>{
                      "0.000000 client S 0:0(0)",
                      "0.010000 server S. 0:0(0) ack 1",
                      "0.020000 client . 1:1(0) ack 1",
                      "0.020000 client P. 1:6(5) ack 1",
                      "0.020000 client F. 6:6(0) ack 1",
                      "0.030000 server . 1:1(0) ack 6",
                      "0.070000 server . 1:1(0) ack 7",   // delayed ACK (40 ms) of the FIN
                      "0.230000 server P. 1:6(5) ack 7",  // the reply, 200 ms after the request
                      "0.230000 server F. 6:6(0) ack 7",
                      "0.240000 client . 7:7(0) ack 6",
                      "0.240000 client . 7:7(0) ack 7",
                  });
  require_all_hold(r.verdicts);
}

TEST_CASE("write-after-shutdown.yaml: the second send fails with EPIPE and sends nothing") {
  Ran r = run(load_file("write-after-shutdown.yaml"));
  CHECK(r.wire == std::vector<std::string>{
                      "0.000000 client S 0:0(0)",
                      "0.010000 server S. 0:0(0) ack 1",
                      "0.020000 client . 1:1(0) ack 1",
                      "0.020000 client P. 1:6(5) ack 1",
                      "0.020000 client F. 6:6(0) ack 1",
                      "0.030000 server . 1:1(0) ack 6",
                      "0.030000 server F. 1:1(0) ack 7",
                      "0.040000 client . 7:7(0) ack 2",
                  });
  require_all_hold(r.verdicts);
}

TEST_CASE("close: {at: T} on a client still in SYN_SENT closes silently, the SYN-ACK gets RST") {
  // The server answers only at 300 ms (its link delays 150 ms each way); the client closes at
  // 100 ms after connect(): Linux sends nothing then and answers the late SYN-ACK with RST.
  Scenario s = load_text(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 150ms}]
apps:
  - tcp_server: {name: srv, on: server, port: 80}
  - tcp_client: {name: client, on: client, connect: server:80, close: {at: 100ms}}
expect:
  - {app: client, result: closed, at: 100ms}
  - {packets: {from: client, flags: R}, count: 1, window: [300ms, 300ms]}
)");
  Ran r = run(s);
  CHECK(r.wire == std::vector<std::string>{
                      "0.000000 client S 0:0(0)",
                      "0.150000 server S. 0:0(0) ack 1",
                      "0.300000 client R 1:1(0)",
                  });
  require_all_hold(r.verdicts);
}

TEST_CASE("a tcp_app script reads only on recv, so its window shows unread data") {
  Scenario s = load_text(std::string(kTwoHosts) + R"(
apps:
  - tcp_app:
      name: server
      on: server
      script: [{listen: 80}, accept, {recv: 3B}, {sleep: 1s}, {recv: eof}, close]
  - tcp_app:
      name: client
      on: client
      script: [{connect: server:80}, {send: "abcdef"}, {at: 500ms}, shutdown, {recv: eof}, close]
expect:
  - {app: server, received: "abcdef"}
  - {app: server, accepted: 1}
  - {app: client, result: closed}
  - {app: server, result: closed, at: 1.03s}
)");
  Ran r = run(s);
  require_all_hold(r.verdicts);
  // The client's FIN at 0.5 s is answered only when the server reads on, at 1.03 s.
  CHECK(r.wire[5] == "0.500000 client F. 7:7(0) ack 1");
  CHECK(r.wire.back() == "1.040000 client . 8:8(0) ack 2");
}

TEST_CASE("a tcp_app script in an order no program could run is refused with its position") {
  CHECK(load_errors(std::string(kTwoHosts) + R"(apps:
  - tcp_app: {name: a, on: client, script: [{send: "x"}]}
  - tcp_app: {name: b, on: server, script: [accept]}
  - tcp_app: {name: c, on: client, script: [{connect: server:80}, {connect: server:81}]}
  - tcp_app: {name: d, on: client, script: [{recv: lots}, {sleep: 1s, close: true}, nap]}
  - tcp_app: {name: e, on: client, script: [{connect: server:80}, {setsockopt: {linger: 5s}}]}
)") == "t.yaml:5:45: apps[0].tcp_app.script[0]: expected connect or accept before this call (no "
       "connection yet)\n"
       "t.yaml:6:45: apps[1].tcp_app.script[0]: expected listen before accept\n"
       "t.yaml:7:67: apps[2].tcp_app.script[1]: expected close or abort before another "
       "connect\n"
       "t.yaml:8:52: apps[3].tcp_app.script[0].recv: expected a size like 100B, all (read "
       "everything from now on), eof (read until the peer's FIN) or stop, found \"lots\"\n"
       "t.yaml:8:71: apps[3].tcp_app.script[1]: expected one call per step, found sleep and "
       "close\n"
       "t.yaml:8:85: apps[3].tcp_app.script[2]: expected a socket call (connect, listen, "
       "accept, send, recv, sleep, shutdown, close, abort or setsockopt), found \"nap\"\n"
       "t.yaml:9:89: apps[4].tcp_app.script[1].setsockopt.linger: expected 0 (SO_LINGER {1, "
       "0}: close sends RST) or off, found \"5s\" (a lingering close is not modelled)\n");
}

TEST_CASE("packets expectations count what a host sent, in a window, and say what they saw") {
  Scenario s = load_file("write-after-shutdown.yaml");
  s.expect.clear();
  LoadResult r = load_scenario_file(
      NETSIM_SOURCE_DIR "/scenarios/write-after-shutdown.yaml",
      {"expect+={packets: {from: client}, count: 5}",
       "expect+={packets: {to: client, payload: false}, min: 2, window: [0s, 20ms]}",
       "expect+={packets: {flags: R}, max: 0}"});
  INFO(r.error_text());
  REQUIRE(r.ok());
  std::vector<ExpectVerdict> v = run(*r.scenario).verdicts;
  REQUIRE(v.size() == 7);
  CHECK(v[4].ok);
  CHECK(v[4].message == "packets from client exactly 5");
  CHECK_FALSE(v[5].ok);
  CHECK(v[5].message ==
        "packets to client without payload in [0.000000 s, 0.020000 s] at least 2: 1 sent");
  CHECK(v[5].pos.to_string() ==
        "--set expect+={packets: {to: client, payload: false}, min: 2, window: [0s, 20ms]}");
  CHECK(v[6].ok);
}

TEST_CASE("a --set PATH+=VALUE appends to a list and refuses what is not a list") {
  CHECK(load_errors(std::string(kTwoHosts), {"hosts+={x: 1}", "links.0+=1", "expect+={bad"}) ==
        "--set hosts+={x: 1}: hosts is not a list, so nothing can be appended to it (use = to "
        "replace)\n"
        "--set links.0+=1: links.0 is not a list, so nothing can be appended to it (use = to "
        "replace)\n"
        "--set expect+={bad: the value after += is not valid YAML: end of map flow not found\n");
}

TEST_CASE("a grader file adds its expectations, with errors naming the grader file") {
  auto dir_path = std::filesystem::temp_directory_path() / "netsim-test-grader";
  std::filesystem::create_directories(dir_path);
  std::string dir = dir_path.string();
  std::string grader = dir + "/grader-ok.yaml", bad = dir + "/grader-bad.yaml";
  {
    std::ofstream(grader) << "expect:\n  - {app: client, result: EPIPE}\n";
    std::ofstream(bad) << "name: g\nexpect:\n  - {app: nobody, result: closed}\n";
  }
  Scenario s = load_file("write-after-shutdown.yaml");
  size_t before = s.expect.size();
  CHECK(add_expectations_file(s, grader).empty());
  REQUIRE(s.expect.size() == before + 1);
  CHECK(s.expect.back().pos.to_string() == grader + ":2:5");
  std::vector<ScenarioError> errs = add_expectations_file(s, bad);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].to_string() == bad + ":3:11: expect[0].app: unknown app \"nobody\"");
  CHECK(s.expect.size() == before + 1);
}

TEST_CASE("inject: a RST relative to a connection is challenged in the window, obeyed on RCV.NXT") {
  // RFC 5961 §3.2: a RST whose seq is in the window but not RCV.NXT gets a challenge ACK; one
  // exactly at RCV.NXT resets the connection.
  Scenario s = load_text(std::string(kTwoHosts) + R"(
apps:
  - tcp_server: {name: srv, on: server, port: 80, close: never}
  - tcp_client: {name: client, on: client, connect: server:80, send: "hello", close: never}
faults:
  - {at: 1s, inject: {connection: client, flags: R, seq: "+100"}}
  - {at: 2s, inject: {connection: client, flags: R}}
  - {at: 3s, inject: {connection: client, to: client, flags: R}}
expect:
  - {app: srv, result: ECONNRESET, at: 2.01s}
  - {host: server, counter: challenge_acks, min: 1, max: 1}
  - {app: client, result: ECONNRESET, at: 3.01s}
)");
  Ran r = run(s);
  CHECK(r.wire == std::vector<std::string>{
                      "0.000000 client S 0:0(0)", "0.010000 server S. 0:0(0) ack 1",
                      "0.020000 client . 1:1(0) ack 1", "0.020000 client P. 1:6(5) ack 1",
                      "0.030000 server . 1:1(0) ack 6", "1.000000 client R 106:106(0)",
                      "1.010000 server . 1:1(0) ack 6",  // the challenge ACK
                      "2.000000 client R 6:6(0)",
                      "3.000000 server R 1:1(0)",  // `to: client`: from the server's side
                  });
  require_all_hold(r.verdicts);
}

TEST_CASE("inject: an absolute bare ACK to a listener is answered by RST seq=SEG.ACK") {
  Scenario s = load_text(std::string(kTwoHosts) + R"(
apps:
  - tcp_server: {name: srv, on: server, port: 80}
faults:
  - {at: 1s, inject: {from: client, to: server:80, sport: 5555, flags: ".", seq: 1000, ack: 2000}}
expect:
  - {packets: {from: server, flags: R}, count: 1, window: [1.01s, 1.01s]}
  - {packets: {from: client}, count: 1}
)");
  std::vector<ExpectVerdict> v = run(s).verdicts;
  require_all_hold(v);
  CHECK(load_errors(std::string(kTwoHosts) + R"(
apps:
  - tcp_server: {name: srv, on: server, port: 80}
faults:
  - {at: 1s, inject: {from: client, to: server:80, sport: 5555, flags: "X", seq: "+1"}}
  - {at: 1s, inject: {connection: srv, flags: R, sport: 1}}
)") == "t.yaml:8:72: faults[0].inject.flags: expected TCP flags in tcpdump notation like "
       "\"S\", \"S.\", \"P.\", \"R\" or \"R.\", found \"X\"\n"
       "t.yaml:8:82: faults[0].inject.seq: expected an absolute number, found \"+1\" (an "
       "offset needs `connection`)\n"
       "t.yaml:9:35: faults[1].inject.connection: expected a tcp_client (whose connection the "
       "segment joins), found tcp_server \"srv\"\n");
}

TEST_CASE("summary.json gives each connection alive at the end its tcp_info") {
  Scenario s = load_file("lost-handshake-ack.yaml");
  ScenarioRun run(s);
  run.run();
  auto j = nlohmann::json::parse(run.summary_json(run.evaluate()));
  const auto& client = j["apps"]["client"]["connections"][0]["tcp_info"];
  CHECK(client["state"] == 1);       // TCP_ESTABLISHED
  CHECK(client["snd_mss"] == 1448);  // 1460 less the timestamp option
  CHECK(client["options"] == 7);     // TCPI_OPT_TIMESTAMPS | SACK | WSCALE
  CHECK(client["snd_cwnd"] == 10);
  CHECK(client["snd_ssthresh"] == 0x7fffffff);
  CHECK(client["rtt"] == 20000);  // the SYN to SYN-ACK sample, 20 ms
  CHECK(client["unacked"] == 0);
  CHECK(client["bytes_acked"] == 5);
  CHECK(client["last_data_sent"] == 20);  // sent at 0.5 s, the run ends at 0.52 s
  // tcp_chrono: BUSY from the write at 0.5 s to the ACK at 0.52 s (5 jiffies), never limited.
  CHECK(client["busy_time"] == 20000);
  CHECK(client["rwnd_limited"] == 0);
  CHECK(client["sndbuf_limited"] == 0);
  const auto& server = j["apps"]["server"]["connections"][0]["tcp_info"];
  CHECK(server["state"] == 1);
  CHECK(server["bytes_received"] == 5);
  Scenario gone = load_file("close-unread-rst.yaml");
  ScenarioRun run2(gone);
  run2.run();
  auto j2 = nlohmann::json::parse(run2.summary_json(run2.evaluate()));
  CHECK(j2["apps"]["server"]["connections"][0]["tcp_info"].is_null());  // reset and freed
}

// tcp_app runs its calls through the engine of `netsim drill` (drill/socket_calls.hpp), so its
// calls behave as Linux's do, as tests/drill/syscalls-errno-linux.pkt checks for drill scripts.
TEST_CASE("a tcp_app recv after a failed send still waits for the peer's data, as Linux's read") {
  // write() failing with EPIPE after shutdown says nothing about the receiving side: the recv
  // that follows blocks until the server's reply at 0.2 s, and then its FIN.
  Scenario s = load_text(std::string(kTwoHosts) + R"(apps:
  - tcp_app:
      name: server
      on: server
      script: [{listen: 80}, accept, {recv: 2B}, {sleep: 200ms}, {send: "reply"}, close]
  - tcp_app:
      name: client
      on: client
      script: [{connect: server:80}, {send: "hi"}, shutdown, {send: "x"}, {recv: eof}, close]
expect:
  - {app: client, result: EPIPE, at: 20ms}
  - {app: client, received: "reply"}
  - {app: server, received: "hi"}
)");
  Ran r = run(s);
  require_all_hold(r.verdicts);
  REQUIRE(r.wire.size() == 11);
  CHECK(r.wire[7] == "0.230000 server P. 1:6(5) ack 4");
  CHECK(r.wire[10] == "0.240000 client . 4:4(0) ack 7");  // the client read on to the FIN
}

TEST_CASE("a tcp_app setsockopt keepalive: false turns SO_KEEPALIVE off again") {
  auto probes_of = [](const std::string& second) {
    Scenario s = load_text(std::string(kTwoHosts) + R"(apps:
  - tcp_server: {name: server, on: server, port: 80, reply: none}
  - tcp_app:
      name: client
      on: client
      script:
        - {setsockopt: {keepalive: {idle: 1s, interval: 1s, probes: 2}}}
        - {setsockopt: {keepalive: )" +
                           second + R"(}}
        - {connect: server:80}
        - {sleep: 5s}
        - close
)");
    Ran r = run(s);
    return std::count_if(r.wire.begin(), r.wire.end(), [](const std::string& l) {
      return l.find(" client . 0:0(0)") != std::string::npos;  // seq snd_una - 1: a probe
    });
  };
  CHECK(probes_of("true") == 4);  // idle 1 s, then one each second, each answered
  CHECK(probes_of("false") == 0);
}

TEST_CASE("a tcp_app keepalive time beyond Linux's 32767 s limit is refused by the loader") {
  CHECK(load_errors(std::string(kTwoHosts) + R"(apps:
  - tcp_app: {name: a, on: client, script: [{setsockopt: {keepalive: {idle: 10h, interval: 1s}}}]}
)") == "t.yaml:5:77: apps[0].tcp_app.script[0].setsockopt.keepalive.idle: expected at most "
       "32767s (Linux's limit), found \"10h\"\n");
}

TEST_CASE("a tcp_app sends a size, aborts with RST, and linger: 0 turns its next close into RST") {
  Scenario s = load_text(std::string(kTwoHosts) + R"(apps:
  - tcp_app:
      name: server
      on: server
      script: [{listen: 80}, accept, {recv: all}, {sleep: 1s}, close]
  - tcp_app:
      name: client
      on: client
      script:
        - {connect: server:80}
        - {send: 3000B}
        - {sleep: 100ms}
        - abort
        - {setsockopt: {linger: 0}}
        - {connect: server:80}
        - close
expect:
  - {app: server, accepted: 1}
)");
  Ran r = run(s);
  require_all_hold(r.verdicts);
  CHECK(r.wire == std::vector<std::string>{
                      "0.000000 client S 0:0(0)", "0.010000 server S. 0:0(0) ack 1",
                      "0.020000 client . 1:1(0) ack 1",
                      "0.020000 client . 1:1449(1448) ack 1",  // send: 3000B, MSS-sized
                      // a two-segment GSO packet at the pacing rate the SYN-ACK set: PSH
                      "0.020000 client P. 1449:2897(1448) ack 1",
                      "0.020000 client P. 2897:3001(104) ack 1",
                      "0.030000 server . 1:1(0) ack 1449", "0.030000 server . 1:1(0) ack 2897",
                      "0.030000 server . 1:1(0) ack 3001",
                      "0.120000 client R. 3001:3001(0) ack 1",  // abort: tcp_disconnect()
                      "0.120000 client S 0:0(0)",               // the second connection
                      "0.130000 server S. 0:0(0) ack 1", "0.140000 client . 1:1(0) ack 1",
                      "0.140000 client R. 1:1(0) ack 1",  // close with SO_LINGER {1, 0}
                  });
}

TEST_CASE("a tcp_app setsockopt syncnt: 1 gives up connect() at the budget of one SYN retry") {
  Scenario s = load_text(std::string(kTwoHosts) + R"(apps:
  - tcp_app: {name: client, on: client, script: [{setsockopt: {syncnt: 1}}, {connect: server:80}]}
faults:
  - drop: {dst: server}
expect:
  - {app: client, result: ETIMEDOUT, at: 3s}
)");
  Ran r = run(s);
  require_all_hold(r.verdicts);
  // Linux >= 6.5 (tcp_syn_linear_timeouts=4): the SYN is resent after 1 s until the time budget
  // of one classic retry (1 + 2 s) is spent at 3 s (../shared/reference/linux-tcp-facts.md §3).
  CHECK(r.wire == std::vector<std::string>{"0.000000 client S 0:0(0)", "1.000000 client S 0:0(0)",
                                           "2.000000 client S 0:0(0)"});
}

TEST_CASE("inject: data without ACK is dropped silently, a SYN+RST at RCV.NXT resets") {
  // RFC 9293 §3.10.7.4 (eighth, "if the ACK bit is off, drop the segment"): the payload is not
  // acknowledged. tcp_validate_incoming() checks RST before SYN: a SYN+RST exactly at RCV.NXT
  // resets the connection (RFC 5961 §3.2).
  Scenario s = load_text(std::string(kTwoHosts) + R"(
apps:
  - tcp_server: {name: srv, on: server, port: 80, close: never}
  - tcp_client: {name: client, on: client, connect: server:80, send: "hello", close: never}
faults:
  - {at: 1s, inject: {connection: client, flags: P, payload: "junk", win: 1000}}
  - {at: 2s, inject: {connection: client, flags: SR}}
expect:
  - {app: srv, result: ECONNRESET, at: 2.01s}
  - {app: srv, received: "hello"}
)");
  Ran r = run(s);
  CHECK(r.wire == std::vector<std::string>{
                      "0.000000 client S 0:0(0)", "0.010000 server S. 0:0(0) ack 1",
                      "0.020000 client . 1:1(0) ack 1", "0.020000 client P. 1:6(5) ack 1",
                      "0.030000 server . 1:1(0) ack 6", "1.000000 client P 6:10(4)",
                      "2.000000 client SR 0:0(0)",  // (the log counts from a SYN: seq 6)
                  });
  require_all_hold(r.verdicts);
}
