// TcpHost: the binding of a Stack to the simulator. One event per socket (re-armed, cancelled,
// never leaked), trace records with host and app names, callbacks that call back into the host,
// crash and restart.

#include <catch2/catch.hpp>

#include "tests/tcp/test_host_util.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

TEST_CASE("A listener's SYN-ACK timer is one simulator event, re-armed, then cancelled") {
  World w(10_ms, {}, {}, false, true);  // the client is played by hand
  SocketId l = w.server->listen(kPort, 8, {}, {}, "echo").id;
  w.inject(w.client_node, syn_from(40000, 1000));
  w.sim.run_until(at_ms(10));
  CHECK(w.server->armed_timers() == 1);
  CHECK(w.sim.events_pending() == 2);  // the timer and the SYN-ACK on the wire
  w.sim.run_until(at_ms(25));
  CHECK(w.sim.events_pending() == 1);
  w.sim.run_until(at(40_s));
  CHECK(w.server->armed_timers() == 1);
  w.sim.run();
  CHECK(w.server->armed_timers() == 0);
  CHECK(w.sim.events_pending() == 0);
  CHECK(w.sim.now() == at_ms(63010));
  CHECK(w.server->stack().syn_queue_length(l) == 0);
  std::vector<std::string> sa = w.sends("server");
  REQUIRE(sa.size() == 6);
  CHECK(sa[0].rfind("0.010000 server 10.0.0.2.20000 > 10.0.0.1.40000: Flags [S.]", 0) == 0);
  CHECK(sa[1].rfind("1.010000 server", 0) == 0);
  CHECK(sa[5].rfind("31.010000 server", 0) == 0);
  CHECK(sa[5].find("(retransmission #5)") != std::string::npos);
}

TEST_CASE("Request records carry the listener's application name") {
  World w(10_ms, {}, {}, false, true);
  w.server->listen(kPort, 8, {}, {}, "echo");
  w.inject(w.client_node, syn_from(40000, 1000));
  w.sim.run_until(at_ms(1010));
  std::vector<StateRecord> st = w.records<StateRecord>();
  REQUIRE(st.size() == 1);
  CHECK(st[0].t == at_ms(10));
  CHECK(st[0].host == "server");
  CHECK(st[0].app == "echo");
  CHECK(st[0].from == TcpState::listen);
  CHECK(st[0].to == TcpState::syn_received);
  CHECK(st[0].cause == StateCause::rcv_syn);
  CHECK(st[0].local == server_addr());
  CHECK(st[0].remote == client_addr(40000));
  std::vector<TimerRecord> tm = w.records<TimerRecord>();
  REQUIRE(tm.size() == 1);
  CHECK(tm[0].t == at_ms(1010));
  CHECK(tm[0].app == "echo");
  CHECK(tm[0].timer == TimerKind::synack);
  CHECK(tm[0].attempt == 1);
  CHECK(tm[0].limit == 5);
  CHECK(tm[0].ran == 1_s);
  CHECK(tm[0].next == 2_s);
  std::vector<CounterRecord> c = w.records<CounterRecord>();
  REQUIRE(c.size() == 1);
  CHECK(c[0].name == "syn_queue");
  CHECK(c[0].value == 1);
  // The timer line comes before the retransmission it caused.
  std::vector<std::string> l = w.lines();
  REQUIRE(l.size() == 5);
  CHECK(l[0].rfind("0.000000 client 10.0.0.1.40000 > 10.0.0.2.20000: Flags [S]", 0) == 0);
  CHECK(l[1].rfind("0.010000 server 10.0.0.2.20000 > 10.0.0.1.40000: Flags [S.]", 0) == 0);
  CHECK(l[2] == "0.010000 server echo SYN_RECEIVED (rcv SYN)");
  // The seq is the request's random ISN.
  CHECK(l[3].rfind("1.010000 server echo SYN-ACK fired: retransmit seq ", 0) == 0);
  CHECK(l[3].ends_with(", backoff 1, rto 2s"));
  CHECK(l[4].rfind("1.010000 server 10.0.0.2.20000 > 10.0.0.1.40000: Flags [S.]", 0) == 0);
}

TEST_CASE("A segment to a closed port is traced as a no_listener drop, then the RST") {
  World w(10_ms, {}, {}, false, true);
  w.inject(w.client_node, syn_from(40000, 1000));
  w.sim.run();
  std::vector<std::string> l = w.lines();
  REQUIRE(l.size() == 3);
  CHECK(l[0] ==
        "0.000000 client 10.0.0.1.40000 > 10.0.0.2.20000: Flags [S], seq 1000, win 64240, "
        "options [mss 1460], length 0");
  CHECK(l[1] ==
        "0.010000 server DROP 10.0.0.1.40000 > 10.0.0.2.20000: Flags [S], seq 1000, win "
        "64240, options [mss 1460], length 0 (nothing listens on port 20000)");
  CHECK(l[2] ==
        "0.010000 server 10.0.0.2.20000 > 10.0.0.1.40000: Flags [R.], seq 0, ack 1001, win "
        "0, length 0");
  CHECK(w.net.drops(DropReason::no_listener) == 1);
}

TEST_CASE("A crash cancels every timer, the host drops what arrives, restart starts empty") {
  World w(10_ms, {}, {}, false, true);
  SocketId l = w.server->listen(kPort, 8, {}, {}, "echo").id;
  w.inject(w.client_node, syn_from(40000, 1000));
  w.sim.run_until(at_ms(500));
  REQUIRE(w.server->armed_timers() == 1);
  w.server->crash();
  CHECK_FALSE(w.server->up());
  CHECK(w.server->armed_timers() == 0);
  CHECK(w.sim.events_pending() == 0);
  CHECK_FALSE(w.server->stack().exists(l));
  w.inject(w.client_node, syn_from(40001, 1000));
  w.sim.run();
  CHECK(w.net.drops(DropReason::host_down) == 1);
  CHECK(w.sends("server").size() == 1);  // only the SYN-ACK from before the crash

  w.server->restart();
  CHECK(w.server->up());
  OpenResult again = w.server->listen(kPort, 8, {}, {}, "echo");
  CHECK(again.error == SocketError::none);
  CHECK(again.id > l);  // ids are never reused, not even across a crash
  w.inject(w.client_node, syn_from(40002, 1000));
  w.sim.run_until(w.sim.now() + 20_ms);
  CHECK(w.server->stack().syn_queue_length(again.id) == 1);
  CHECK(w.sends("server").size() == 2);
}

TEST_CASE("Closing a listener with a pending request cancels its timer event") {
  World w(10_ms, {}, {}, false, true);
  SocketId l = w.server->listen(kPort, 8, {}, {}, "echo").id;
  w.inject(w.client_node, syn_from(40000, 1000));
  w.sim.run_until(at_ms(20));
  REQUIRE(w.server->armed_timers() == 1);
  w.server->close(l);
  CHECK(w.server->armed_timers() == 0);
  CHECK(w.sim.events_pending() == 0);
  // The port is free again.
  CHECK(w.server->listen(kPort, 8).error == SocketError::none);
}

TEST_CASE("A refused connect reports ECONNREFUSED to the callback at the RST's arrival") {
  World w(10_ms);
  SocketId refused = kNoSocket;
  SocketError err = SocketError::none;
  Instant when;
  bool closed = false;
  SocketCallbacks cb;
  cb.on_error = [&](SocketId s, SocketError e) {
    refused = s;
    err = e;
    when = w.sim.now();
  };
  cb.on_closed = [&](SocketId, const SocketStats&) { closed = true; };
  SocketId s = w.client->connect(server_addr(), std::nullopt, {}, cb, "alice").id;
  w.sim.run();
  CHECK(refused == s);
  CHECK(err == SocketError::econnrefused);
  CHECK(when == at_ms(20));
  CHECK(closed);
  CHECK_FALSE(w.client->stack().exists(s));
  CHECK(w.client->armed_timers() == 0);
  CHECK(w.sim.events_pending() == 0);
  std::vector<AppRecord> apps = w.records<AppRecord>();
  REQUIRE(apps.size() >= 2);
  CHECK(apps[0].what == AppWhat::connect);
  CHECK(apps[0].app == "alice");
  CHECK(apps[0].remote == server_addr());
  CHECK(apps[1].what == AppWhat::error);
  CHECK(apps[1].error == "ECONNREFUSED");
  CHECK(apps[1].t == at_ms(20));
}

TEST_CASE("Callbacks may call back into the host: accept, reply and close from inside") {
  World w(10_ms);
  std::string got;
  std::vector<std::string> events;
  SocketCallbacks server_cb;
  SocketId listener = kNoSocket;
  server_cb.on_accepted = [&](SocketId l, SocketId child) {
    events.push_back("accepted");
    CHECK(w.server->accept(l) == child);
    w.server->set_app_name(child, "echo-child");
  };
  server_cb.on_data = [&](SocketId s, const Payload& p) {
    events.push_back("server data " + std::string(p.as_string_view()));
    CHECK(w.server->send(s, p) == SocketError::none);  // echo from inside the callback
  };
  listener = w.server->listen(kPort, 8, {}, server_cb, "echo").id;
  SocketCallbacks client_cb;
  client_cb.on_connected = [&](SocketId s) {
    events.push_back("connected");
    w.client->send(s, Payload::from_string("Hello,server!"));
  };
  client_cb.on_data = [&](SocketId s, const Payload& p) {
    got += p.as_string_view();
    events.push_back("client data");
    w.client->close(s);
  };
  w.client->connect(server_addr(), 7500, {}, client_cb, "alice");
  w.sim.run_until(at(1_s));
  CHECK(got == "Hello,server!");
  REQUIRE(events.size() >= 4);
  CHECK(events[0] == "connected");
  CHECK(events[1] == "accepted");
  CHECK(events[2] == "server data Hello,server!");
  CHECK(events[3] == "client data");
  CHECK(w.server->stack().accept_queue_length(listener) == 0);
  bool named = false;
  for (const AppRecord& r : w.records<AppRecord>()) {
    if (r.host == "server" && r.what == AppWhat::data) {
      CHECK(r.app == "echo-child");
      CHECK(r.bytes == 13);
      named = true;
    }
  }
  CHECK(named);
}

TEST_CASE("Children inherit the listener's callbacks and name until they get their own") {
  World w(0_ms);
  std::vector<SocketId> data_on;
  SocketCallbacks cb;
  cb.on_data = [&](SocketId s, const Payload&) { data_on.push_back(s); };
  SocketId l = w.server->listen(kPort, 8, {}, cb, "sink").id;
  SocketCallbacks ccb;
  ccb.on_connected = [&](SocketId s) { w.client->send(s, Payload::from_string("x")); };
  w.client->connect(server_addr(), std::nullopt, {}, ccb, "alice");
  w.sim.run_until(at(1_s));
  REQUIRE(data_on.size() == 1);
  CHECK(data_on[0] != l);
  CHECK(w.server->stack().accept_queue_length(l) == 1);  // never accepted, still heard
  for (const StateRecord& r : w.records<StateRecord>()) {
    if (r.host == "server") CHECK(r.app == "sink");
  }
}

// TcpHost shares one (callbacks, name) entry among a listener's children: giving one child its
// own must not reach its siblings or the listener.
TEST_CASE("Renaming one child and replacing its callbacks leaves its sibling and listener alone") {
  World w(0_ms);
  std::vector<std::string> heard;
  SocketId first = kNoSocket;
  SocketCallbacks cb;
  cb.on_accepted = [&](SocketId l, SocketId child) {
    w.server->accept(l);
    if (first != kNoSocket) return;
    first = child;
    w.server->set_app_name(child, "first");
    SocketCallbacks own;
    own.on_data = [&](SocketId, const Payload&) { heard.push_back("own"); };
    w.server->set_callbacks(child, own);
  };
  cb.on_data = [&](SocketId, const Payload&) { heard.push_back("shared"); };
  w.server->listen(kPort, 8, {}, cb, "sink");
  SocketCallbacks ccb;
  ccb.on_connected = [&](SocketId s) { w.client->send(s, Payload::from_string("x")); };
  w.client->connect(server_addr(), 7500, {}, ccb, "alice");
  w.client->connect(server_addr(), 7501, {}, ccb, "alice");
  w.sim.run_until(at(1_s));
  CHECK(heard == std::vector<std::string>{"own", "shared"});
  std::vector<std::string> data_apps;
  for (const AppRecord& r : w.records<AppRecord>()) {
    if (r.host == "server" && r.what == AppWhat::data) {
      data_apps.push_back(std::to_string(r.remote.port) + " " + r.app);
    }
  }
  CHECK(data_apps == std::vector<std::string>{"7500 first", "7501 sink"});
  for (const StateRecord& r : w.records<StateRecord>()) {
    if (r.host == "client") CHECK(r.app == "alice");
  }
}

TEST_CASE("A socket aborted inside its own callback still hears on_closed") {
  World w(10_ms);
  std::vector<std::string> events;
  SocketCallbacks scb;
  scb.on_accepted = [&](SocketId l, SocketId) { w.server->accept(l); };
  scb.on_data = [&](SocketId s, const Payload&) {
    events.push_back("data");
    w.server->abort(s);  // frees the socket while its data notice is being delivered
    events.push_back(w.server->stack().exists(s) ? "still there" : "gone");
  };
  scb.on_closed = [&](SocketId, const SocketStats&) { events.push_back("closed"); };
  scb.on_error = [&](SocketId, SocketError e) { events.push_back(std::string(to_string(e))); };
  w.server->listen(kPort, 8, {}, scb, "echo");
  SocketError client_error = SocketError::none;
  SocketCallbacks ccb;
  ccb.on_connected = [&](SocketId s) { w.client->send(s, Payload::from_string("x")); };
  ccb.on_error = [&](SocketId, SocketError e) { client_error = e; };
  w.client->connect(server_addr(), 7500, {}, ccb, "alice");
  w.sim.run();
  CHECK(events == std::vector<std::string>{"data", "gone", "closed"});
  CHECK(client_error == SocketError::econnreset);
  CHECK(w.server->armed_timers() == 0);
  CHECK(w.client->armed_timers() == 0);
  CHECK(w.sim.events_pending() == 0);
}

// The tag an app keeps with a socket (tcp_client's connection index) is readable from its
// callbacks, `closed` included, and gone with the socket's record.
TEST_CASE("A socket's tag reads back in every callback until the socket is forgotten") {
  World w(10_ms);
  std::vector<uint32_t> seen;
  SocketCallbacks cb;
  cb.on_error = [&](SocketId s, SocketError) { seen.push_back(w.client->tag(s)); };
  cb.on_closed = [&](SocketId s, const SocketStats&) { seen.push_back(w.client->tag(s)); };
  CHECK(w.client->tag(kNoSocket) == TcpHost::kNoTag);
  SocketId s = w.client->connect(server_addr(), std::nullopt, {}, cb, "alice").id;
  CHECK(w.client->tag(s) == TcpHost::kNoTag);
  w.client->set_tag(s, 7);
  CHECK(w.client->tag(s) == 7);
  w.client->set_tag(s + 1, 9);  // no such socket: nothing to tag
  CHECK(w.client->tag(s + 1) == TcpHost::kNoTag);
  w.sim.run();  // nothing listens: the RST refuses it
  CHECK(seen == std::vector<uint32_t>{7, 7});
  CHECK(w.client->tag(s) == TcpHost::kNoTag);
}
