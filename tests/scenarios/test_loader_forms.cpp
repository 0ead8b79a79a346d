// Every form of the scenario language parses to the right typed values: the whole example of
// SCENARIO_SPEC.md, then the alternative forms (loss models, queues, replies, close policies,
// endpoints, flood lengths, expectations) one by one.
#include <catch2/catch.hpp>

#include "scenarios/loader/loader.hpp"

using namespace netsim;
using namespace netsim::literals;

namespace {

const std::string kSpecExample = NETSIM_SOURCE_DIR "/tests/scenarios/data/spec_example.yaml";

Scenario load_ok(const std::string& text, const std::vector<std::string>& sets = {}) {
  LoadResult r = load_scenario_text(text, "t.yaml", sets);
  INFO(r.error_text());
  REQUIRE(r.ok());
  return *r.scenario;
}

const char* kTwoHosts = R"(
hosts:
  client: 10.0.0.1
  server: 10.0.0.2
links:
  - between: [client, server]
    delay: 10ms
)";

}  // namespace

TEST_CASE("the spec example's top level, tcp block and hosts parse to typed values") {
  LoadResult r = load_scenario_file(kSpecExample);
  INFO(r.error_text());
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  CHECK(s.name == "hello-echo");
  CHECK(s.description == "Client sends \"Hello,server!\" to an echo server, both close.");
  CHECK(s.seed == 1);
  CHECK(s.duration == 30_s);
  const TcpSettings& t = s.tcp;
  CHECK(t.profile == TcpProfileKind::linux_kernel);
  CHECK(t.get("syn_retries") == tcp::TunableValue{int64_t{6}});
  CHECK(t.get("syn_linear_timeouts") == tcp::TunableValue{int64_t{4}});
  CHECK(t.get("synack_retries") == tcp::TunableValue{int64_t{5}});
  CHECK(t.get("syncookies") == tcp::TunableValue{int64_t{1}});
  CHECK(t.get("max_syn_backlog") == tcp::TunableValue{int64_t{128}});
  CHECK(t.get("somaxconn") == tcp::TunableValue{int64_t{4096}});
  CHECK(t.get("abort_on_overflow") == tcp::TunableValue{int64_t{0}});
  CHECK(t.get("retries2") == tcp::TunableValue{int64_t{15}});
  CHECK(t.get("keepalive_time") == tcp::TunableValue{2_h});
  CHECK(t.get("keepalive_intvl") == tcp::TunableValue{75_s});
  CHECK(t.get("keepalive_probes") == tcp::TunableValue{int64_t{9}});
  CHECK(t.get("time_wait") == tcp::TunableValue{60_s});
  CHECK(t.get("fin_timeout") == tcp::TunableValue{60_s});
  CHECK(t.get("rto_initial") == tcp::TunableValue{1_s});
  CHECK(t.get("rto_min") == tcp::TunableValue{200_ms});
  CHECK(t.get("rto_max") == tcp::TunableValue{120_s});
  CHECK(t.get("mss") == tcp::TunableValue{int64_t{1460}});
  CHECK(t.get("delayed_ack") == tcp::TunableValue{40_ms});
  CHECK(t.get("congestion") == tcp::TunableValue{int64_t{0}});

  REQUIRE(s.hosts.size() == 4);
  CHECK(s.hosts[0].name == "client");
  CHECK(s.hosts[0].address == *Ipv4Addr::parse("10.0.0.1"));
  CHECK(s.hosts[0].pos.to_string() == kSpecExample + ":31:3");
  const HostSpec* server = s.find_host("server");
  REQUIRE(server);
  CHECK(server->address == *Ipv4Addr::parse("10.0.0.2"));
  CHECK(server->tcp.get("syncookies") == tcp::TunableValue{int64_t{0}});
  CHECK(s.tcp_for(*server).to_profile().syncookies == 0);
  CHECK(s.tcp_for(*server).to_profile().syn_retries == 6);
  CHECK(s.find_host("attacker")->address == *Ipv4Addr::parse("10.0.0.66"));
  const HostSpec* real = s.find_host("real");
  REQUIRE(real);
  CHECK(real->tun == "netsim0");
  CHECK(real->address == *Ipv4Addr::parse("10.0.0.100"));
  REQUIRE(s.routers.size() == 1);
  CHECK(s.routers[0].name == "r1");
}

TEST_CASE("the spec example's links carry both directions' parameters and the override") {
  LoadResult r = load_scenario_file(kSpecExample);
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  REQUIRE(s.links.size() == 2);
  const LinkSpec& l0 = s.links[0];
  CHECK(l0.a == "client");
  CHECK(l0.b == "r1");
  CHECK(l0.pos.line == 43);
  for (const LinkParams* p : {&l0.a_to_b, &l0.b_to_a}) {
    CHECK(p->delay == 10_ms);
    CHECK(p->bandwidth == DataRate::bps(100'000'000));
    CHECK(p->queue_packets == 100);
    CHECK_FALSE(p->queue_bytes);
    CHECK(p->loss.kind == LossModel::Kind::bernoulli);
    CHECK(p->loss.p.value == 0.01);
  }
  const LinkSpec& l1 = s.links[1];
  CHECK(l1.a == "r1");
  CHECK(l1.b == "server");
  CHECK(l1.a_to_b.delay == 5_ms);
  CHECK(l1.a_to_b.loss.kind == LossModel::Kind::gilbert);
  CHECK(l1.a_to_b.loss.p.value == 0.01);
  CHECK(l1.a_to_b.loss.r.value == 0.3);
  CHECK(l1.a_to_b.loss.h.value == 0.5);
  CHECK(l1.a_to_b.loss.k.value == 1.0);
  CHECK(l1.a_to_b.jitter == 2_ms);
  CHECK(l1.a_to_b.duplicate.value == 0.001);
  CHECK(l1.a_to_b.corrupt.value == 0.001);
  CHECK(l1.a_to_b.bandwidth == DataRate{});  // infinite by default
  // "server->r1": {loss: 0} changes only the loss of that direction.
  CHECK(l1.b_to_a.loss.kind == LossModel::Kind::none);
  CHECK(l1.b_to_a.delay == 5_ms);
  CHECK(l1.b_to_a.jitter == 2_ms);
  CHECK(l1.b_to_a.corrupt.value == 0.001);
}

TEST_CASE("the spec example's apps have every key and their defaults") {
  LoadResult r = load_scenario_file(kSpecExample);
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  REQUIRE(s.apps.size() == 3);
  const TcpServerSpec* echo = s.apps[0].server();
  REQUIRE(echo);
  CHECK(echo->name == "echo");
  CHECK(echo->on == "server");
  CHECK(echo->port == 20000);
  CHECK(echo->backlog == 128);
  CHECK(echo->reply.kind == DataSpec::Kind::echo);
  CHECK(echo->accept);
  CHECK(echo->close.kind == ClosePolicy::Kind::after_peer);
  CHECK(echo->pos.line == 57);

  const TcpClientSpec* alice = s.apps[1].client();
  REQUIRE(alice);
  CHECK(alice->name == "alice");
  CHECK(alice->on == "client");
  CHECK(alice->port == 7500);
  CHECK(alice->connect.host == "server");
  CHECK(alice->connect.address == *Ipv4Addr::parse("10.0.0.2"));
  CHECK(alice->connect.port == 20000);
  CHECK(alice->connect.to_string() == "server:20000");
  CHECK(alice->at == 0_s);
  CHECK(alice->send.kind == DataSpec::Kind::text);
  CHECK(alice->send.text == "Hello,server!");
  CHECK(alice->send.bytes == 13);
  CHECK(alice->close.kind == ClosePolicy::Kind::after_reply);
  CHECK_FALSE(alice->shutdown);
  REQUIRE(alice->keepalive);
  CHECK(*alice->keepalive == KeepaliveSpec{10_s, 2_s, 3});
  CHECK(alice->count == 1);
  CHECK(alice->interval == 0_s);

  const SynFloodSpec* flood = s.apps[2].flood();
  REQUIRE(flood);
  CHECK(flood->name == "syn_flood#2");
  CHECK(s.apps[2].kind_name() == "syn_flood");
  CHECK(flood->on == "attacker");
  CHECK(flood->target.to_string() == "server:20000");
  CHECK(flood->rate.interval == 200_us);
  CHECK(flood->start == 1_s);
  CHECK(flood->duration == 5_s);
  CHECK_FALSE(flood->count);
  CHECK(flood->spoof == *Ipv4Prefix::parse("198.51.100.0/24"));
  CHECK(flood->total_packets() == 25'000);
  CHECK(s.find_app("alice") == &s.apps[1]);
}

TEST_CASE("the spec example's faults become packet rules and timed events") {
  LoadResult r = load_scenario_file(kSpecExample);
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  REQUIRE(s.packet_faults.size() == 4);
  const PacketFault& drop = s.packet_faults[0].fault;
  CHECK(drop.action == PacketFault::Action::drop);
  CHECK(drop.match.src == *Ipv4Addr::parse("10.0.0.2"));
  CHECK(s.packet_faults[0].src_host == "server");
  CHECK(drop.match.flags == TcpFlags(TcpFlags::SYN | TcpFlags::ACK));
  CHECK(drop.nth == 1);
  CHECK(drop.count == 2);
  CHECK(s.packet_faults[0].pos.line == 89);
  const PacketFault& delay = s.packet_faults[1].fault;
  CHECK(delay.action == PacketFault::Action::delay);
  CHECK(delay.match.flags == TcpFlags(TcpFlags::FIN | TcpFlags::ACK));
  CHECK(delay.by == 300_ms);
  CHECK(delay.count == 0);  // all
  CHECK(s.packet_faults[2].fault.action == PacketFault::Action::duplicate);
  CHECK(s.packet_faults[2].fault.match.flags == TcpFlags(TcpFlags::PSH | TcpFlags::ACK));
  CHECK(s.packet_faults[2].fault.count == 1);
  CHECK(s.packet_faults[3].fault.action == PacketFault::Action::corrupt);
  CHECK(s.packet_faults[3].fault.match.dst == *Ipv4Addr::parse("10.0.0.2"));
  CHECK(s.packet_faults[3].fault.nth == 3);

  REQUIRE(s.timed_faults.size() == 5);
  using K = TimedFaultSpec::Kind;
  CHECK(s.timed_faults[0].kind == K::link_down);
  CHECK(s.timed_faults[0].at == 5_s);
  CHECK(s.timed_faults[0].a == "r1");
  CHECK(s.timed_faults[0].b == "server");
  CHECK(s.timed_faults[0].pos.line == 98);
  CHECK(s.timed_faults[1].kind == K::link_up);
  CHECK(s.timed_faults[1].at == 8_s);
  const TimedFaultSpec& set = s.timed_faults[2];
  CHECK(set.kind == K::set_link);
  CHECK(set.at == 12_s);
  CHECK(set.a == "client");
  CHECK(set.b == "r1");
  for (const LinkPatch* p : {&set.a_to_b, &set.b_to_a}) {
    REQUIRE(p->loss);
    CHECK(p->loss->p.value == 0.2);
    CHECK_FALSE(p->delay);
  }
  // A patch changes only what it names.
  LinkParams after = set.a_to_b.applied_to(s.links[0].a_to_b);
  CHECK(after.delay == 10_ms);
  CHECK(after.loss.p.value == 0.2);
  CHECK(s.timed_faults[3].kind == K::crash);
  CHECK(s.timed_faults[3].host == "server");
  CHECK(s.timed_faults[3].at == 20_s);
  CHECK(s.timed_faults[4].kind == K::restart);
  CHECK(s.timed_faults[4].at == 25_s);
}

TEST_CASE("the spec example's outputs and expectations keep their values and lines") {
  LoadResult r = load_scenario_file(kSpecExample);
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  CHECK(s.outputs.trace == "trace.txt");
  CHECK(s.outputs.events == "events.jsonl");
  CHECK(s.outputs.pcap == "capture.pcap");
  CHECK(s.outputs.summary == "summary.json");
  REQUIRE(s.outputs.diagrams.size() == 2);
  CHECK(s.outputs.diagrams[0].file == "handshake.svg");
  CHECK_FALSE(s.outputs.diagrams[0].connection);
  CHECK(s.outputs.diagrams[1].file == "alice.svg");
  CHECK(s.outputs.diagrams[1].connection == "alice");
  CHECK(s.outputs.diagrams[1].from == 0_s);
  CHECK(s.outputs.diagrams[1].to == 2_s);
  CHECK(s.outputs.diagrams[1].pos.line == 116);

  using K = Expectation::Kind;
  REQUIRE(s.expect.size() == 7);
  CHECK(s.expect[0].kind == K::connected_by);
  CHECK(s.expect[0].app == "alice");
  CHECK(s.expect[0].by == 100_ms);
  CHECK(s.expect[0].pos.to_string() == kSpecExample + ":119:5");
  CHECK(s.expect[1].kind == K::received);
  CHECK(s.expect[1].received.text == "Hello,server!");
  CHECK(s.expect[2].kind == K::result);
  CHECK(s.expect[2].result == AppResult::closed);
  CHECK_FALSE(s.expect[2].at);
  CHECK(s.expect[3].kind == K::state);
  CHECK(s.expect[3].state == "TIME_WAIT");
  CHECK(s.expect[3].at == 1_s);
  CHECK(s.expect[4].kind == K::accepted);
  CHECK(s.expect[4].app == "echo");
  CHECK(s.expect[4].accepted == 1);
  CHECK(s.expect[5].kind == K::counter);
  CHECK(s.expect[5].host == "server");
  CHECK(s.expect[5].counter == "syncookies_sent");
  CHECK(s.expect[5].min == 1);
  CHECK_FALSE(s.expect[5].max);
  CHECK(s.expect[6].result == AppResult::etimedout);
  CHECK(s.expect[6].at == 127_s);
  CHECK(s.expect[6].within == 10_ms);
  CHECK(s.expect[6].pos.line == 125);
}

TEST_CASE("defaults: name from the file stem, seed 1, no duration, server and client defaults") {
  std::string text = std::string(kTwoHosts) + R"(
apps:
  - tcp_server: {on: server, port: 80}
  - tcp_client: {on: client, connect: 10.0.0.2:80}
)";
  LoadResult r = load_scenario_text(text, "dir/my-story.yaml");
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  CHECK(s.name == "my-story");
  CHECK(s.seed == 1);
  CHECK_FALSE(s.duration);
  CHECK(s.tcp == TcpSettings{});
  const TcpServerSpec& sv = *s.apps[0].server();
  CHECK(sv.name == "tcp_server#0");
  CHECK(sv.backlog == 128);
  CHECK(sv.reply.kind == DataSpec::Kind::none);
  CHECK(sv.accept);
  CHECK(sv.close.kind == ClosePolicy::Kind::after_peer);
  const TcpClientSpec& c = *s.apps[1].client();
  CHECK(c.name == "tcp_client#1");
  CHECK(c.port == 0);
  CHECK_FALSE(c.connect.host);
  CHECK(c.connect.to_string() == "10.0.0.2:80");
  CHECK(c.send.kind == DataSpec::Kind::none);
  CHECK(c.close.kind == ClosePolicy::Kind::after_reply);
  CHECK_FALSE(c.keepalive);
  CHECK(c.count == 1);
  CHECK(s.links[0].a_to_b.loss.kind == LossModel::Kind::none);
  CHECK_FALSE(s.links[0].a_to_b.queue_packets);
  CHECK_FALSE(s.outputs.any());
}

TEST_CASE("loss is written as a probability, a bernoulli map, a gilbert map or none") {
  std::string text = R"(
hosts: {a: 10.0.0.1, b: 10.0.0.2, c: 10.0.0.3, d: 10.0.0.4}
links:
  - {between: [a, b], loss: 0.05}
  - {between: [a, c], loss: {model: bernoulli, p: 1%}}
  - {between: [a, d], loss: {model: gilbert, p: 2%, r: 25%, h: 10%, k: 99%}}
  - {between: [b, c], loss: none, queue: 64KiB, bandwidth: infinite}
  - {between: [b, d], loss: 0%, queue: unlimited, bandwidth: 512kbps}
)";
  Scenario s = load_ok(text);
  CHECK(s.links[0].a_to_b.loss.kind == LossModel::Kind::bernoulli);
  CHECK(s.links[0].a_to_b.loss.p.value == 0.05);
  CHECK(s.links[1].b_to_a.loss.kind == LossModel::Kind::bernoulli);
  CHECK(s.links[1].b_to_a.loss.p.value == 0.01);
  const LossModel& g = s.links[2].a_to_b.loss;
  CHECK(g.kind == LossModel::Kind::gilbert);
  CHECK(g.p.value == 0.02);
  CHECK(g.r.value == 0.25);
  CHECK(g.h.value == 0.1);
  CHECK(g.k.value == 0.99);
  CHECK(s.links[3].a_to_b.loss.kind == LossModel::Kind::none);
  CHECK(s.links[3].a_to_b.queue_bytes == 65536);
  CHECK_FALSE(s.links[3].a_to_b.queue_packets);
  CHECK(s.links[3].a_to_b.bandwidth == DataRate{});
  CHECK(s.links[4].a_to_b.loss.kind == LossModel::Kind::none);
  CHECK_FALSE(s.links[4].a_to_b.queue_bytes);
  CHECK(s.links[4].a_to_b.bandwidth == DataRate::bps(512'000));
}

TEST_CASE("a direction override written b->a applies to the b-to-a direction only") {
  Scenario s = load_ok(R"(
hosts: {a: 10.0.0.1, b: 10.0.0.2}
links:
  - between: [a, b]
    delay: 10ms
    "b -> a": {delay: 30ms, bandwidth: 1Mbps}
    a->b: {queue: 5}
)");
  CHECK(s.links[0].a_to_b.delay == 10_ms);
  CHECK(s.links[0].a_to_b.queue_packets == 5);
  CHECK(s.links[0].b_to_a.delay == 30_ms);
  CHECK(s.links[0].b_to_a.bandwidth == DataRate::bps(1'000'000));
  CHECK_FALSE(s.links[0].b_to_a.queue_packets);
}

TEST_CASE("send and reply: quoted text, plain text, sizes, echo and none") {
  std::string text = std::string(kTwoHosts) + R"(
apps:
  - tcp_server: {on: server, port: 1, reply: 10KB}
  - tcp_server: {on: server, port: 2, reply: "10KB"}
  - tcp_server: {on: server, port: 3, reply: 'echo'}
  - tcp_server: {on: server, port: 4, reply: pong}
  - tcp_server: {on: server, port: 5, reply: none}
  - tcp_client: {on: client, connect: server:1, send: 1MiB}
  - tcp_client: {on: client, connect: server:1, send: ""}
)";
  Scenario s = load_ok(text);
  CHECK(s.apps[0].server()->reply == DataSpec{DataSpec::Kind::size, "", 10'000});
  CHECK(s.apps[1].server()->reply == DataSpec{DataSpec::Kind::text, "10KB", 4});
  CHECK(s.apps[2].server()->reply == DataSpec{DataSpec::Kind::text, "echo", 4});
  CHECK(s.apps[3].server()->reply == DataSpec{DataSpec::Kind::text, "pong", 4});
  CHECK(s.apps[4].server()->reply.kind == DataSpec::Kind::none);
  CHECK(s.apps[5].client()->send == DataSpec{DataSpec::Kind::size, "", 1 << 20});
  CHECK(s.apps[6].client()->send.kind == DataSpec::Kind::none);
}

TEST_CASE("close policies, keepalive, half-close, count and interval") {
  std::string text = std::string(kTwoHosts) + R"(
apps:
  - tcp_server: {on: server, port: 80, close: {at: 3s}, accept: false, backlog: 0}
  - tcp_server: {on: server, port: 81, close: after_reply}
  - tcp_client: {on: client, connect: server:80, close: abort, keepalive: true}
  - tcp_client: {on: client, connect: server:80, close: after_send, shutdown: true,
                 count: 10, interval: 50ms, at: 1.5s, keepalive: {idle: 1s}}
  - tcp_client: {on: client, connect: server:80, close: never, keepalive: false}
  - tcp_client: {on: client, connect: server:80, close: {at: 2s}, port: 7000}
)";
  Scenario s = load_ok(text);
  CHECK(s.apps[0].server()->close == ClosePolicy{ClosePolicy::Kind::at, 3_s});
  CHECK_FALSE(s.apps[0].server()->accept);
  CHECK(s.apps[0].server()->backlog == 0);
  CHECK(s.apps[1].server()->close.kind == ClosePolicy::Kind::after_reply);
  CHECK(s.apps[2].client()->close.kind == ClosePolicy::Kind::abort);
  CHECK(s.apps[2].client()->keepalive == KeepaliveSpec{});
  const TcpClientSpec& c = *s.apps[3].client();
  CHECK(c.close.kind == ClosePolicy::Kind::after_send);
  CHECK(c.shutdown);
  CHECK(c.count == 10);
  CHECK(c.interval == 50_ms);
  CHECK(c.at == 1500_ms);
  CHECK(c.keepalive == KeepaliveSpec{1_s, std::nullopt, std::nullopt});
  CHECK(s.apps[4].client()->close.kind == ClosePolicy::Kind::never);
  CHECK_FALSE(s.apps[4].client()->keepalive);
  CHECK(s.apps[5].client()->close == ClosePolicy{ClosePolicy::Kind::at, 2_s});
  CHECK(s.apps[5].client()->port == 7000);
}

TEST_CASE("a syn_flood may be bounded by count and spoof none uses the attacker's address") {
  std::string text = std::string(kTwoHosts) + R"(
apps:
  - syn_flood: {name: f, on: client, target: 10.0.0.2:80, rate: 2000/s, count: 10000, spoof: none}
)";
  Scenario s = load_ok(text);
  const SynFloodSpec& f = *s.apps[0].flood();
  CHECK(f.count == 10'000);
  CHECK_FALSE(f.duration);
  CHECK_FALSE(f.spoof);
  CHECK(f.start == 0_s);
  CHECK(f.rate.interval == 500_us);
  CHECK(f.total_packets() == 10'000);
  CHECK_FALSE(f.target.host);
}

TEST_CASE("packet fault matches take host names or addresses, ports and payload") {
  std::string text = std::string(kTwoHosts) + R"(
faults:
  - drop: {src: 10.0.0.9, dst: client, sport: 80, dport: 7500, payload: true, flags: R.}
  - duplicate: {}
  - corrupt:
    nth: 2
)";
  Scenario s = load_ok(text);
  const PacketMatch& m = s.packet_faults[0].fault.match;
  CHECK(m.src == *Ipv4Addr::parse("10.0.0.9"));
  CHECK_FALSE(s.packet_faults[0].src_host);
  CHECK(m.dst == *Ipv4Addr::parse("10.0.0.1"));
  CHECK(s.packet_faults[0].dst_host == "client");
  CHECK(m.sport == 80);
  CHECK(m.dport == 7500);
  CHECK(m.payload == true);
  CHECK(m.flags == TcpFlags(TcpFlags::RST | TcpFlags::ACK));
  CHECK(s.packet_faults[1].fault.action == PacketFault::Action::duplicate);
  CHECK_FALSE(s.packet_faults[1].fault.match.src);
  CHECK(s.packet_faults[2].fault.action == PacketFault::Action::corrupt);
  CHECK(s.packet_faults[2].fault.nth == 2);
}

TEST_CASE("set_link may change one direction only") {
  std::string text = std::string(kTwoHosts) + R"(
faults:
  - at: 15ms
    set_link: {between: [server, client], "client->server": {loss: 100%}, delay: 20ms}
)";
  Scenario s = load_ok(text);
  const TimedFaultSpec& f = s.timed_faults[0];
  CHECK(f.a == "server");
  CHECK(f.b == "client");
  CHECK(f.a_to_b.delay == 20_ms);
  CHECK_FALSE(f.a_to_b.loss);
  CHECK(f.b_to_a.delay == 20_ms);
  REQUIRE(f.b_to_a.loss);
  CHECK(f.b_to_a.loss->p.value == 1.0);
}

TEST_CASE("expectations: any-case results, state aliases, drops and counter bounds") {
  std::string text = std::string(kTwoHosts) + R"(
apps:
  - tcp_client: {name: alice, on: client, connect: server:80}
expect:
  - {app: alice, result: econnrefused, at: 20ms}
  - {app: alice, state: syn-rcvd}
  - {app: alice, state: Estab, at: 1s}
  - {app: alice, state: fin_wait2, at: 1s}
  - {drops: no_listener, host: server, min: 1, max: 1}
  - {drops: loss, max: 0}
  - {host: client, counter: rst_received, max: 3}
  - {app: alice, received: 2KB}
)";
  Scenario s = load_ok(text);
  using K = Expectation::Kind;
  CHECK(s.expect[0].result == AppResult::econnrefused);
  CHECK(s.expect[0].at == 20_ms);
  CHECK_FALSE(s.expect[0].within);
  CHECK(s.expect[1].state == "SYN_RECEIVED");
  CHECK_FALSE(s.expect[1].at);
  CHECK(s.expect[2].state == "ESTABLISHED");
  CHECK(s.expect[3].state == "FIN_WAIT_2");
  CHECK(s.expect[4].kind == K::drops);
  CHECK(s.expect[4].reason == DropReason::no_listener);
  CHECK(s.expect[4].host == "server");
  CHECK(s.expect[4].min == 1);
  CHECK(s.expect[4].max == 1);
  CHECK(s.expect[5].host.empty());
  CHECK(s.expect[5].reason == DropReason::loss);
  CHECK(s.expect[6].kind == K::counter);
  CHECK(s.expect[6].max == 3);
  CHECK(s.expect[7].received == DataSpec{DataSpec::Kind::size, "", 2'000});
}

TEST_CASE("a connect to a host with no server and a disconnected topology are valid") {
  Scenario s = load_ok(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2, island: 10.9.9.9}
links: [{between: [client, server]}]
apps:
  - tcp_client: {on: client, connect: server:9}
  - tcp_client: {on: client, connect: island:80}
)");
  CHECK(s.apps.size() == 2);
  CHECK(s.links[0].a_to_b.delay == 0_s);
}

TEST_CASE("canonical_tcp_state accepts any case, '-' for '_' and the documented aliases") {
  CHECK(canonical_tcp_state("time-wait") == "TIME_WAIT");
  CHECK(canonical_tcp_state("Established") == "ESTABLISHED");
  CHECK(canonical_tcp_state("ESTAB") == "ESTABLISHED");
  CHECK(canonical_tcp_state("SYN_RCVD") == "SYN_RECEIVED");
  CHECK(canonical_tcp_state("syn_recv") == "SYN_RECEIVED");
  CHECK(canonical_tcp_state("FIN_WAIT1") == "FIN_WAIT_1");
  CHECK(canonical_tcp_state("fin-wait2") == "FIN_WAIT_2");
  CHECK(canonical_tcp_state("LISTEN") == "LISTEN");
  CHECK(canonical_tcp_state("close-wait") == "CLOSE_WAIT");
  CHECK(canonical_tcp_state("last_ack") == "LAST_ACK");
  CHECK(canonical_tcp_state("closing") == "CLOSING");
  CHECK(canonical_tcp_state("closed") == "CLOSED");
  CHECK(canonical_tcp_state("syn_sent") == "SYN_SENT");
  CHECK_FALSE(canonical_tcp_state("TIME_WAITING"));
  CHECK_FALSE(canonical_tcp_state(""));
  CHECK_FALSE(canonical_tcp_state("FIN_WAIT"));
}

TEST_CASE("overlaid tcp settings keep the base where the override is silent") {
  TcpSettings base;
  base.values["syn_retries"] = int64_t{6};
  base.values["syncookies"] = int64_t{1};
  TcpSettings over;
  over.values["syncookies"] = int64_t{0};
  over.values["mss"] = int64_t{536};
  TcpSettings r = base.overlaid_with(over);
  CHECK(r.get("syn_retries") == tcp::TunableValue{int64_t{6}});
  CHECK(r.get("syncookies") == tcp::TunableValue{int64_t{0}});
  CHECK(r.get("mss") == tcp::TunableValue{int64_t{536}});
  CHECK_FALSE(r.get("rto_min"));
}
