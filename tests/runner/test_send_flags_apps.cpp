// send() flags in a `tcp_app` script (`{send: ..., flags: [MSG_MORE, MSG_EOR]}`): the wire a
// scenario gets from them, and the loader's messages (file:line:column) for flags it refuses.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "sim/units.hpp"

using namespace netsim;

namespace {

// "0.020 client P. 1:6(5) ack 1": one host's data segments, sequence numbers from its ISN.
class ClientData : public TraceSink {
 public:
  explicit ClientData(std::string host = "client") : host_(std::move(host)) {}
  void write(const TraceRecord& r) override {
    const auto* p = std::get_if<PacketRecord>(&r);
    if (!p || p->ev != PacketEvent::send || p->host != host_) return;
    const Segment& s = p->packet.tcp;
    if (s.flags.syn()) isn_ = s.seq.raw();
    if (s.payload.empty()) return;
    const uint32_t seq = s.seq.raw() - isn_;
    lines.push_back(fmt::format("{} {} {}:{}({})", format_seconds(p->t), s.flags.to_string(), seq,
                                seq + static_cast<uint32_t>(s.payload.size()), s.payload.size()));
  }
  std::vector<std::string> lines;

 private:
  std::string host_;
  uint32_t isn_ = 0;
};

// The loader's messages for `apps` (from line 5) between a client and a server.
std::string load_errors(const std::string& apps) {
  LoadResult r = load_scenario_text(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
apps:
)" + apps,
                                    "t.yaml");
  return r.ok() ? std::string("loaded") : r.error_text();
}

// The data segments `host` sends in a scenario of a client and a server 10 ms apart.
std::vector<std::string> data_of(const std::string& apps, const std::string& host) {
  LoadResult r = load_scenario_text(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
duration: 2s
apps:
)" + apps,
                                    "t.yaml");
  INFO(r.error_text());
  REQUIRE(r.ok());
  ClientData log(host);
  ScenarioRun run(*r.scenario);
  run.add_sink(&log);
  run.run();
  return log.lines;
}

std::vector<std::string> client_data(const std::string& client_script) {
  LoadResult r = load_scenario_text(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
apps:
  - tcp_app: {name: server, on: server, script: [{listen: 80}, accept, {recv: eof}, close]}
  - tcp_app:
      name: client
      on: client
      script: )" + client_script + "\n",
                                    "t.yaml");
  INFO(r.error_text());
  REQUIRE(r.ok());
  ClientData log;
  ScenarioRun run(*r.scenario);
  run.add_sink(&log);
  run.run();
  return log.lines;
}

}  // namespace

// MSG_MORE: the first 3 bytes wait (TCP_NAGLE_CORK) with nothing in flight; the send 50 ms
// later appends to the same skb and both leave as one segment. Without the flag the first
// send leaves alone at once.
TEST_CASE("a tcp_app send with flags: [MSG_MORE] waits for the next send") {
  CHECK(client_data(R"([{connect: server:80}, {send: "abc", flags: [MSG_MORE]}, {sleep: 50ms},
                         {send: "def"}, close])") ==
        std::vector<std::string>{"0.070000 P. 1:7(6)"});
  CHECK(client_data(R"([{connect: server:80}, {send: "abc"}, {sleep: 50ms}, {send: "def"},
                         close])") ==
        std::vector<std::string>{"0.020000 P. 1:4(3)", "0.070000 P. 4:7(3)"});
}

// MSG_EOR: behind the first (small, unacknowledged) segment Nagle holds the record; the next
// send starts a new skb, so the record is no longer the last skb and leaves at once alone;
// the last send waits for the ACK of the record (tcp_minshall_check()): the server, in
// quick-ack mode, ACKs both at 30 ms. (A close right after the last send would not wait: the
// FIN joins the tail skb and a FIN is never held by Nagle.)
TEST_CASE("a tcp_app send with flags: [MSG_EOR] keeps its bytes out of the next send's segment") {
  CHECK(client_data(R"([{connect: server:80}, {send: 100B}, {send: 200B, flags: [MSG_EOR]},
                         {send: 300B}, {sleep: 100ms}, close])") ==
        std::vector<std::string>{"0.020000 P. 1:101(100)", "0.020000 P. 101:301(200)",
                                 "0.040000 P. 301:601(300)"});
}

TEST_CASE("send flags the loader refuses are named with their position") {
  CHECK(load_errors(R"(  - tcp_app:
      name: client
      on: client
      script:
        - connect: server:80
        - {send: "x", flags: [MSG_MORE, MSG_DONTWAIT]}
        - {send: "x", flags: MSG_EOR}
        - {close: true, flags: [MSG_MORE]}
        - {at: 1s, flags: [MSG_MORE]}
)") == "t.yaml:10:41: apps[0].tcp_app.script[1].flags[1]: expected MSG_MORE or MSG_EOR, found "
       "\"MSG_DONTWAIT\"\n"
       "t.yaml:11:30: apps[0].tcp_app.script[2].flags: expected a list of send() flags like "
       "[MSG_MORE] (MSG_MORE, MSG_EOR), found \"MSG_EOR\"\n"
       "t.yaml:12:32: apps[0].tcp_app.script[3].flags: expected flags only beside send (send() "
       "flags), found them beside close\n"
       "t.yaml:13:27: apps[0].tcp_app.script[4].flags: expected flags only beside send (send() "
       "flags)\n");
}

// tcp_client's `send_flags:` go with its send(): with MSG_MORE the 3 bytes wait (TCP_NAGLE_CORK,
// nothing in flight) for the probe timer, max(RTO, 200 ms) after the write at 20 ms
// (tcp_check_probe_timer(); the RTO after one 20 ms sample is 220 ms here), where without the
// flag they leave with the write.
TEST_CASE("tcp_client send_flags: [MSG_MORE] holds its data as Linux's tcp_push() does") {
  const std::string server =
      "  - tcp_server: {name: srv, on: server, port: 80, reply: none, close: never}\n";
  const std::string client =
      "  - tcp_client: {name: cl, on: client, connect: server:80, send: "
      "\"abc\", close: never";
  CHECK(data_of(server + client + ", send_flags: [MSG_MORE]}\n", "client") ==
        std::vector<std::string>{"0.240000 P. 1:4(3)"});
  CHECK(data_of(server + client + "}\n", "client") ==
        std::vector<std::string>{"0.020000 P. 1:4(3)"});
}

// tcp_server's `send_flags:` go with each reply. A corked echo server (TCP_CORK) holds "abc"
// (30 ms); the client's "def" waits for that ACK (Nagle) and reaches the server at 50 ms. With
// MSG_EOR its echo starts a new skb, so "abc" is no longer the last skb and leaves at once
// (tcp_write_xmit() tests Nagle and cork on the last skb only), and "def" waits for the probe
// timer armed once "abc" is ACKed (70 ms + 220 ms); without it both echoes share the held skb
// and leave together at the probe timer, which the client's segment at 50 ms restarted
// (tcp_ack() -> tcp_ack_probe() clears it when the window is open, tcp_data_snd_check() ->
// tcp_check_probe_timer() arms it again): 50 ms + 220 ms.
TEST_CASE("tcp_server send_flags: [MSG_EOR] keeps each echo a record of its own") {
  const std::string client =
      "  - tcp_app: {name: cl, on: client, script: [{connect: server:80}, {send: \"abc\"}, "
      "{sleep: 5ms}, {send: \"def\"}, {sleep: 1s}, close]}\n";
  const std::string server =
      "  - tcp_server: {name: srv, on: server, port: 80, reply: echo, "
      "socket_options: {TCP_CORK: 1}";
  CHECK(data_of(client + server + ", send_flags: [MSG_EOR]}\n", "server") ==
        std::vector<std::string>{"0.050000 P. 1:4(3)", "0.290000 P. 4:7(3)"});
  CHECK(data_of(client + server + "}\n", "server") ==
        std::vector<std::string>{"0.270000 P. 1:7(6)"});
}

TEST_CASE("send_flags of tcp_client and tcp_server the loader refuses are named with their place") {
  CHECK(load_errors(R"(  - tcp_server: {on: server, port: 80, send_flags: [MSG_PEEK]}
  - tcp_client: {on: client, connect: server:80, send_flags: MSG_MORE}
)") == "t.yaml:5:53: apps[0].tcp_server.send_flags[0]: expected MSG_MORE or MSG_EOR, found "
       "\"MSG_PEEK\"\n"
       "t.yaml:6:62: apps[1].tcp_client.send_flags: expected a list of send() flags like "
       "[MSG_MORE] (MSG_MORE, MSG_EOR), found \"MSG_MORE\"\n");
}
