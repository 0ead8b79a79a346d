// The socket lock for a tcp_app's recv calls (docs/windows.md "The socket lock"): with the
// host's syscall_cost/copy_rate set, each read() spans virtual time and owns the socket, so
// segments arriving meanwhile wait in the backlog, merged, and are answered by one ACK.
#include <catch2/catch.hpp>

#include <string>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"

using namespace netsim;

namespace {

struct Outcome {
  uint64_t received = 0;
  uint64_t coalesced = 0;
  size_t acks = 0;  // the server's segments after its SYN-ACK
};

class ServerSends : public TraceSink {
 public:
  void write(const TraceRecord& r) override {
    const auto* p = std::get_if<PacketRecord>(&r);
    if (p && p->ev == PacketEvent::send && p->host == "server" && !p->packet.tcp.flags.syn())
      ++count;
  }
  size_t count = 0;
};

// 100 segments at 100 Mbit/s (120 µs apart) to a tcp_app that reads them with `recv`.
Outcome upload(const std::string& server_tcp, const std::string& recv) {
  LoadResult r = load_scenario_text(R"(
seed: 1
hosts: {client: 10.0.0.1, server: {address: 10.0.0.2)" +
                                        server_tcp + R"(}}
links: [{between: [client, server], delay: 10ms, bandwidth: 100Mbps}]
apps:
  - tcp_app: {name: reader, on: server, script: [{listen: 80}, accept, )" +
                                        recv + R"(, {sleep: 1s}, close]}
  - tcp_client: {name: up, on: client, connect: server:80, send: 144800B, close: never}
)",
                                    "t.yaml");
  INFO(r.error_text());
  REQUIRE(r.ok());
  ServerSends log;
  ScenarioRun run(*r.scenario);
  run.add_sink(&log);
  run.run();
  Outcome o;
  o.received = run.report("reader")->connections.front().bytes_received;
  o.coalesced = run.host("server")->stack().counters().TCPBacklogCoalesce;
  o.acks = log.count;
  return o;
}

}  // namespace

TEST_CASE("A tcp_app's recv spans time with the socket lock: the backlog merges what arrives") {
  const Outcome off = upload("", "{recv: 144800B}");
  const Outcome on = upload(", tcp: {syscall_cost: 500us, copy_rate: 5000}", "{recv: 144800B}");
  CHECK(off.received == 144800);
  CHECK(on.received == 144800);
  CHECK(off.coalesced == 0);
  // A read of 500 µs owns the socket while four segments arrive (120 µs apart): they are
  // merged and ACKed once (fewer ACKs than the instantaneous reader's one per one or two).
  CHECK(on.coalesced > 0);
  CHECK(on.acks < off.acks);
}
