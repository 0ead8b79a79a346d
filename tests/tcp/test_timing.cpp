// Linux timings through the whole simulator (TcpHost + Network): SYN retransmission schedules
// and connect() timeouts, SYN-ACK retransmission and the late-ACK RST, keepalive, TIME_WAIT and
// the orphaned FIN_WAIT_2 timeout, a refused connect. Exact virtual times from
// linux-tcp-facts.md §3, §4, §7, §8, §9 (nominal values).

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "tests/tcp/test_host_util.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

// Times (ms) at which `host` sent packets whose flags print as `flags`.
std::vector<int64_t> send_times(const World& w, const std::string& host, const std::string& flags) {
  std::vector<int64_t> t = send_times_ns(w, host, flags);
  for (int64_t& x : t)
    x /= 1'000'000;
  return t;
}

struct ErrorCatcher {
  SocketCallbacks callbacks() {
    SocketCallbacks cb;
    cb.on_error = [this](SocketId, SocketError e) {
      error = e;
      ++errors;
    };
    cb.on_connected = [this](SocketId) { ++connected; };
    return cb;
  }
  SocketError error = SocketError::none;
  int errors = 0;
  int connected = 0;
};

std::vector<int64_t> seconds(std::initializer_list<int64_t> s) {
  std::vector<int64_t> ms;
  for (int64_t v : s)
    ms.push_back(v * 1000);
  return ms;
}

}  // namespace

TEST_CASE("SYN schedules and connect() timeouts follow Linux for syn_retries 1 to 7") {
  struct Row {
    int linear;
    int retries;
    std::vector<int64_t> syns;  // seconds
    int64_t etimedout;          // seconds
  };
  const std::vector<Row> rows = {
      {4, 1, {0, 1, 2}, 3},
      {4, 2, {0, 1, 2, 3, 4, 5}, 7},
      {4, 3, {0, 1, 2, 3, 4, 5, 7, 11}, 19},
      {4, 4, {0, 1, 2, 3, 4, 5, 7, 11, 19}, 35},
      {4, 5, {0, 1, 2, 3, 4, 5, 7, 11, 19, 35}, 67},
      {4, 6, {0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67}, 131},
      {4, 7, {0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67, 131}, 251},
      {0, 1, {0, 1}, 3},
      {0, 2, {0, 1, 3}, 7},
      {0, 3, {0, 1, 3, 7}, 15},
      {0, 4, {0, 1, 3, 7, 15}, 31},
      {0, 5, {0, 1, 3, 7, 15, 31}, 63},
      {0, 6, {0, 1, 3, 7, 15, 31, 63}, 127},
      {0, 7, {0, 1, 3, 7, 15, 31, 63, 127}, 247},
  };
  for (const Row& row : rows) {
    CAPTURE(row.linear, row.retries);
    Profile p;
    p.syn_linear_timeouts = row.linear;
    p.syn_retries = row.retries;
    World w(10_ms, p);
    w.net.set_link_up(w.link, false);  // the server is unreachable: every SYN is lost
    ErrorCatcher catcher;
    Instant failed_at;
    SocketCallbacks cb = catcher.callbacks();
    cb.on_error = [&](SocketId, SocketError e) {
      catcher.error = e;
      failed_at = w.sim.now();
    };
    SocketId s = w.client->connect(server_addr(), std::nullopt, {}, cb, "alice").id;
    w.sim.run();
    std::vector<int64_t> expected;
    for (int64_t v : row.syns)
      expected.push_back(v * 1000);
    CHECK(send_times(w, "client", "S") == expected);
    CHECK(catcher.error == SocketError::etimedout);
    CHECK(failed_at == at(Duration::seconds(row.etimedout)));
    CHECK(send_times(w, "client", "R").empty());  // tcp_write_err() sends no RST
    CHECK_FALSE(w.client->stack().exists(s));
    CHECK(w.sim.events_pending() == 0);
  }
}

TEST_CASE("TCP_SYNCNT replaces syn_retries for one connect()") {
  Profile p;
  p.syn_linear_timeouts = 0;
  World w(10_ms, p);
  w.net.set_link_up(w.link, false);
  SocketOptions o;
  o.syn_count = 2;
  ErrorCatcher c;
  w.client->connect(server_addr(), std::nullopt, o, c.callbacks(), "alice");
  w.sim.run();
  CHECK(send_times(w, "client", "S") == seconds({0, 1, 3}));
  CHECK(c.error == SocketError::etimedout);
  CHECK(w.sim.now() == at(7_s));
}

TEST_CASE("SYN-ACKs to a client whose ACKs are lost: 1, 3, 7, 15, 31 s, gone at 63 s, then RST") {
  World w(10_ms);
  drop_client_pure_acks(w);
  SocketId listener = w.server->listen(kPort, 8, {}, {}, "echo").id;
  ErrorCatcher c;
  SocketId s = w.client->connect(server_addr(), 7500, {}, c.callbacks(), "alice").id;
  w.sim.run_until(at(64_s));
  CHECK(c.connected == 1);  // the client believes it is ESTABLISHED
  CHECK(send_times(w, "server", "S.") == std::vector<int64_t>{10, 1010, 3010, 7010, 15010, 31010});
  CHECK(w.server->stack().syn_queue_length(listener) == 0);
  CHECK(w.server->stack().counters().synack_retransmits == 5);
  CHECK(w.server->armed_timers() == 0);
  // The client's first data meets the LISTEN socket: RST with seq = its ack number.
  w.at(at(70_s), [&] { w.client->send(s, Payload::from_string("late")); });
  w.sim.run_until(at(71_s));
  CHECK(send_times(w, "server", "R") == std::vector<int64_t>{70010});
  CHECK(c.error == SocketError::econnreset);
  CHECK_FALSE(w.client->stack().exists(s));
}

TEST_CASE(
    "Keepalive 2/1/3 against a vanished peer: probes at 2, 3, 4 s, RST and ETIMEDOUT at 5 s") {
  World w(0_ms);
  w.server->listen(kPort, 8, {}, {}, "echo");
  SocketOptions o;
  o.keepalive.enabled = true;
  o.keepalive.idle = 2_s;
  o.keepalive.interval = 1_s;
  o.keepalive.probes = 3;
  ErrorCatcher c;
  Instant failed_at;
  SocketCallbacks cb = c.callbacks();
  cb.on_error = [&](SocketId, SocketError e) {
    c.error = e;
    failed_at = w.sim.now();
  };
  SocketId s = w.client->connect(server_addr(), 7500, o, cb, "alice").id;
  w.at(at_ms(1), [&] { w.net.set_link_up(w.link, false); });
  w.sim.run_until(at(10_s));
  CHECK(c.connected == 1);
  // The handshake's ACK at 0, then the three probes; then the RST+ACK.
  CHECK(send_times(w, "client", ".") == std::vector<int64_t>{0, 2000, 3000, 4000});
  CHECK(send_times(w, "client", "R.") == std::vector<int64_t>{5000});
  CHECK(c.error == SocketError::etimedout);
  CHECK(failed_at == at(5_s));
  CHECK(w.client->stack().counters().keepalive_probes_sent == 3);
  CHECK_FALSE(w.client->stack().exists(s));
  std::vector<TimerRecord> timers = w.records<TimerRecord>();
  int keepalives = 0;
  for (const TimerRecord& t : timers)
    keepalives += t.timer == TimerKind::keepalive ? 1 : 0;
  CHECK(keepalives == 4);
}

TEST_CASE("TIME_WAIT lasts 60 s after the active close") {
  World w(10_ms);
  SocketCallbacks server_cb;
  server_cb.on_accepted = [&](SocketId l, SocketId) { w.server->accept(l); };
  server_cb.on_eof = [&](SocketId s) { w.server->close(s); };
  w.server->listen(kPort, 8, {}, server_cb, "echo");
  SocketCallbacks client_cb;
  client_cb.on_connected = [&](SocketId s) { w.client->close(s); };
  SocketId s = w.client->connect(server_addr(), 7500, {}, client_cb, "alice").id;
  w.sim.run_until(at(1_s));
  REQUIRE(w.client->stack().state(s) == State::time_wait);
  Instant entered;
  for (const StateRecord& r : w.records<StateRecord>()) {
    if (r.host == "client" && r.to == TcpState::time_wait) entered = r.t;
  }
  w.sim.run();
  std::vector<StateRecord> st = w.records<StateRecord>();
  REQUIRE_FALSE(st.empty());
  const StateRecord& last = st.back();
  CHECK(last.host == "client");
  CHECK(last.from == TcpState::time_wait);
  CHECK(last.to == TcpState::closed);
  CHECK(last.t == entered + 60_s);
  CHECK_FALSE(w.client->stack().exists(s));
  CHECK(w.sim.events_pending() == 0);
}

TEST_CASE("An orphaned FIN_WAIT_2 dies after fin_timeout and the peer's late FIN gets RST") {
  Profile p;
  p.fin_timeout = 5_s;
  World w(10_ms, p);
  SocketId child = kNoSocket;
  SocketCallbacks server_cb;
  server_cb.on_accepted = [&](SocketId l, SocketId) { child = *w.server->accept(l); };
  w.server->listen(kPort, 8, {}, server_cb, "echo");
  SocketCallbacks client_cb;
  client_cb.on_connected = [&](SocketId s) { w.client->close(s); };
  SocketId s = w.client->connect(server_addr(), 7500, {}, client_cb, "alice").id;
  w.sim.run_until(at(1_s));
  REQUIRE(w.client->stack().state(s) == State::fin_wait_2);
  Instant entered;
  for (const StateRecord& r : w.records<StateRecord>()) {
    if (r.host == "client" && r.to == TcpState::fin_wait_2) entered = r.t;
  }
  w.sim.run_until(at(7_s));
  CHECK_FALSE(w.client->stack().exists(s));
  Instant closed_at;
  for (const StateRecord& r : w.records<StateRecord>()) {
    if (r.host == "client" && r.from == TcpState::fin_wait_2 && r.to == TcpState::closed)
      closed_at = r.t;
  }
  CHECK(closed_at == entered + 5_s);
  // The server closes at 8 s: its FIN meets a closed port.
  w.at(at(8_s), [&] { w.server->close(child); });
  w.sim.run_until(at(9_s));
  CHECK(send_times(w, "client", "R") == std::vector<int64_t>{8010});
}

TEST_CASE("connect() to a port with no listener: RST+ACK at 10 ms, ECONNREFUSED at 20 ms") {
  World w(10_ms);
  SocketCallbacks cb;
  Instant refused_at;
  cb.on_error = [&](SocketId, SocketError e) {
    CHECK(e == SocketError::econnrefused);
    refused_at = w.sim.now();
  };
  w.client->connect(server_addr(), 7500, {}, cb, "alice");
  w.sim.run();
  CHECK(refused_at == at_ms(20));
  std::vector<std::string> server = w.sends("server");
  REQUIRE(server.size() == 1);
  CHECK(server[0].rfind("0.010000 server 10.0.0.2.20000 > 10.0.0.1.7500: Flags [R.], seq 0, ack ",
                        0) == 0);
  CHECK(w.net.drops(DropReason::no_listener) == 1);
}

TEST_CASE("Handshake, a 13-byte echo and a four-way close over 10 ms, packet by packet") {
  // The timing story without options (they have their own tests: test_conn_options.cpp), so the
  // lines stay readable: timestamps, SACK and window scaling off on both ends.
  Profile plain;
  plain.timestamps = plain.sack = plain.window_scaling = false;
  World w(10_ms, plain, plain);
  SocketCallbacks scb;
  scb.on_accepted = [&](SocketId l, SocketId) { w.server->accept(l); };
  scb.on_data = [&](SocketId s, const Payload& p) { w.server->send(s, p); };
  scb.on_eof = [&](SocketId s) { w.server->close(s); };
  w.server->listen(kPort, 128, {}, scb, "echo");
  SocketCallbacks ccb;
  ccb.on_connected = [&](SocketId s) { w.client->send(s, Payload::from_string("Hello,server!")); };
  ccb.on_data = [&](SocketId s, const Payload&) { w.client->close(s); };
  w.client->connect(server_addr(), 7500, {}, ccb, "alice");
  w.sim.run();
  std::vector<PacketRecord> pk = w.records<PacketRecord>();
  REQUIRE(pk.size() >= 4);
  uint32_t c = pk[0].packet.tcp.seq.raw();  // client ISN
  uint32_t s = 0;
  for (const PacketRecord& r : pk) {
    if (r.host == "server" && r.ev == PacketEvent::send) {
      s = r.packet.tcp.seq.raw();  // server ISN, from its SYN-ACK
      break;
    }
  }
  const std::string cs = "client 10.0.0.1.7500 > 10.0.0.2.20000: Flags ";
  const std::string sc = "server 10.0.0.2.20000 > 10.0.0.1.7500: Flags ";
  std::vector<std::string> expected = {
      "0.000000 client alice connect 10.0.0.2:20000",
      fmt::format("0.000000 {}[S], seq {}, win 64240, options [mss 1460], length 0", cs, c),
      "0.000000 client alice SYN_SENT (connect)",
      fmt::format("0.010000 {}[S.], seq {}, ack {}, win 64240, options [mss 1460], length 0", sc, s,
                  c + 1),
      "0.010000 server echo SYN_RECEIVED (rcv SYN)",
      fmt::format("0.020000 {}[.], ack {}, win 64240, length 0", cs, s + 1),
      "0.020000 client alice ESTABLISHED (rcv SYN-ACK)",
      "0.020000 client alice connected",
      fmt::format("0.020000 {}[P.], seq {}:{}, ack {}, win 64240, length 13", cs, c + 1, c + 14,
                  s + 1),
      "0.030000 server echo ESTABLISHED (rcv ACK)",
      "0.030000 server echo accepted 10.0.0.1:7500",
      fmt::format("0.030000 {}[.], ack {}, win 64227, length 0", sc, c + 14),
      "0.030000 server echo data 13 bytes",
      fmt::format("0.030000 {}[P.], seq {}:{}, ack {}, win 64227, length 13", sc, s + 1, s + 14,
                  c + 14),
      fmt::format("0.040000 {}[.], ack {}, win 64227, length 0", cs, s + 14),
      "0.040000 client alice data 13 bytes",
      fmt::format("0.040000 {}[F.], seq {}, ack {}, win 64227, length 0", cs, c + 14, s + 14),
      "0.040000 client alice FIN_WAIT_1 (close)",
      "0.050000 server echo CLOSE_WAIT (rcv FIN)",
      "0.050000 server echo eof",
      fmt::format("0.050000 {}[F.], seq {}, ack {}, win 64226, length 0", sc, s + 14, c + 15),
      "0.050000 server echo LAST_ACK (close)",
      fmt::format("0.060000 {}[.], ack {}, win 64226, length 0", cs, s + 15),
      "0.060000 client alice TIME_WAIT (rcv FIN+ACK)",
      "0.070000 server echo CLOSED (rcv ACK of FIN)",
      "0.070000 server echo closed",
      "60.060000 client alice TIME_WAIT fired: TIME_WAIT over",
      "60.060000 client alice CLOSED (TIME_WAIT expired)",
      "60.060000 client alice closed",
  };
  CHECK(w.lines() == expected);
  CHECK(w.sim.events_pending() == 0);
  CHECK(w.client->stack().connection_count() == 0);
  CHECK(w.server->stack().connection_count() == 0);
}

TEST_CASE("Keepalive enabled later through set_options() counts idle time from then") {
  World w(0_ms);
  w.server->listen(kPort, 8, {}, {}, "echo");
  ErrorCatcher c;
  SocketId s = w.client->connect(server_addr(), 7500, {}, c.callbacks(), "alice").id;
  w.at(at_ms(1), [&] { w.net.set_link_up(w.link, false); });
  w.at(at(10_s), [&] {
    SocketOptions o;
    o.keepalive.enabled = true;
    o.keepalive.idle = 2_s;
    o.keepalive.interval = 1_s;
    o.keepalive.probes = 3;
    w.client->set_options(s, o);
  });
  w.sim.run_until(at(30_s));
  CHECK(send_times(w, "client", ".") == std::vector<int64_t>{0, 12000, 13000, 14000});
  CHECK(send_times(w, "client", "R.") == std::vector<int64_t>{15000});
  CHECK(c.error == SocketError::etimedout);
}
