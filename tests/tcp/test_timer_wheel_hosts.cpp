// The timer wheel through the whole simulator (TcpHost + Network): a listener's SYN-ACK
// retransmissions run at the wheel's bucket boundaries, computed here from the server's tick
// phase and boot jiffies; switching the wheel on changes no ISN; off, the times are nominal.

#include <catch2/catch.hpp>

#include "protocols/tcp/timer_wheel.hpp"
#include "tests/tcp/test_host_util.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

uint32_t first_seq(const World& w, const std::string& host, const std::string& flags) {
  for (const PacketRecord& r : w.records<PacketRecord>())
    if (r.ev == PacketEvent::send && r.host == host && r.packet.tcp.flags.to_string() == flags)
      return r.packet.tcp.seq.raw();
  return 0;
}

// A host's jiffies as its wheel counts them (from the same stream its host was given): the
// jiffy current at an instant, and the instant a jiffy's tick happens.
struct HostTicks {
  TimerWheel wheel;
  HostTicks(const World& w, const char* host)
      : wheel(TimerWheel::for_host(KernelClock{}, w.sim.rng_stream(std::string("tcp:") + host))) {}
  uint64_t j_at(int64_t ns) const {
    return wheel.boot_jiffies() + static_cast<uint64_t>((ns + wheel.phase().ns()) / 4'000'000);
  }
  int64_t tick_ns(uint64_t j) const {
    return static_cast<int64_t>(j - wheel.boot_jiffies()) * 4'000'000 - wheel.phase().ns();
  }
};

Profile with_wheel(bool on) {
  Profile p;
  p.timer_wheel = on;
  return p;
}

}  // namespace

TEST_CASE("SYN-ACK retransmissions run at the wheel's 8-, 64- and 512-jiffy boundaries") {
  World w(10_ms, with_wheel(true), with_wheel(true));
  drop_client_pure_acks(w);
  w.server->listen(kPort, 8, {}, {}, "echo");
  w.client->connect(server_addr(), 7500, {}, {}, "alice");
  w.sim.run_until(at(70_s));
  // The server's wheel, from the same stream its host was given.
  const HostTicks ticks(w, "server");
  const auto tick_ns = [&](uint64_t j) { return ticks.tick_ns(j); };
  // The SYN arrives at 10 ms; jiffies then: boot + (10 ms + phase) / 4 ms.
  uint64_t j = ticks.j_at(10'000'000);
  // reqsk_timeout(): 1, 2, 4, 8, 16 s, then the 32 s expiry that drops the request.
  // 250 and 500 jiffies are level 1 (granularity 8), 1000 to 4000 level 2 (64), 8000 level 3.
  const uint64_t timeout[] = {250, 500, 1000, 2000, 4000};
  const uint64_t gran[] = {8, 8, 64, 64, 64};
  std::vector<int64_t> want{10'000'000};
  for (size_t i = 0; i < 5; ++i) {
    j = ((j + timeout[i]) / gran[i] + 1) * gran[i];  // next boundary strictly after the expiry
    want.push_back(tick_ns(j));
  }
  CHECK(send_times_ns(w, "server", "S.") == want);
  for (size_t i = 1; i < want.size(); ++i) {
    INFO("retransmission " << i);
    CHECK(want[i] - want[i - 1] > static_cast<int64_t>(timeout[i - 1]) * 4'000'000 - 4'000'000);
    CHECK(want[i] - want[i - 1] <= static_cast<int64_t>(timeout[i - 1] + gran[i - 1]) * 4'000'000);
  }
  CHECK(w.server->stack().counters().synack_retransmits == 5);
  CHECK(w.server->armed_timers() == 0);
}

TEST_CASE("The wheel moves instants but never ISNs, and without it SYN-ACKs leave on the dot") {
  World on(10_ms, with_wheel(true), with_wheel(true));
  World off(10_ms);
  for (World* w : {&on, &off}) {
    drop_client_pure_acks(*w);
    w->server->listen(kPort, 8, {}, {}, "echo");
    w->client->connect(server_addr(), 7500, {}, {}, "alice");
    w->sim.run_until(at(5_s));
  }
  CHECK(first_seq(on, "client", "S") == first_seq(off, "client", "S"));
  CHECK(first_seq(on, "server", "S.") == first_seq(off, "server", "S."));
  CHECK(send_times_ns(off, "server", "S.") ==
        std::vector<int64_t>{10'000'000, 1'010'000'000, 3'010'000'000});
  CHECK(send_times_ns(on, "server", "S.") != send_times_ns(off, "server", "S."));
}

TEST_CASE("A keepalive timer that finds recent traffic re-arms from the last receive, in jiffies") {
  World w(10_ms, with_wheel(true), with_wheel(true));
  w.server->listen(kPort, 8, {}, {}, "echo");
  SocketOptions o;
  o.keepalive.enabled = true;
  o.keepalive.idle = 5_s;
  o.keepalive.interval = 1_s;
  o.keepalive.probes = 1;
  SocketId s = w.client->connect(server_addr(), 7500, o, {}, "alice").id;
  // Data at 3 s: the server's ACK is the last thing the client hears before the link dies.
  w.at(at(3_s), [&] { w.client->send(s, Payload::from_string("ping")); });
  w.at(at(4_s), [&] { w.net.set_link_up(w.link, false); });
  w.sim.run_until(at(20_s));
  const HostTicks ticks(w, "client");
  const auto j_at = [&](int64_t ns) { return ticks.j_at(ns); };
  const auto tick_ns = [&](uint64_t j) { return ticks.tick_ns(j); };
  int64_t last_rcv = 0;
  for (const PacketRecord& r : w.records<PacketRecord>())
    if (r.ev == PacketEvent::recv && r.host == "client" && r.t < at(4_s)) last_rcv = r.t.ns();
  CHECK(last_rcv > 3'000'000'000);
  // Armed at ESTABLISHED (20 ms) for 1250 jiffies: level 2, 64-jiffy buckets.
  const uint64_t first = (j_at(20'000'000) + 1250) / 64 * 64 + 64;
  // There the connection has been idle only since last_rcv: re-armed for last_rcv's jiffy +
  // 1250, from the timer handler (base->clk = jiffies + 1). Still level 2 by its delta.
  const uint64_t expires = j_at(last_rcv) + 1250;
  const uint64_t delta = expires - (first + 1);
  CHECK(delta >= 504);
  CHECK(delta < 4032);
  const uint64_t probe = expires / 64 * 64 + 64;
  // The handshake's ACK, the probe; then the RST one interval (250 jiffies, level 1) later.
  std::vector<int64_t> acks = send_times_ns(w, "client", ".");
  REQUIRE(acks.size() == 2);
  CHECK(acks[1] == tick_ns(probe));
  const uint64_t rst_j = (probe + 250) / 8 * 8 + 8;
  CHECK(send_times_ns(w, "client", "R.") == std::vector<int64_t>{tick_ns(rst_j)});
}

// A timer re-armed from its own handler sees base->clk = jiffies + 1 (__run_timers() has moved
// the clock past the tick it runs): 504 jiffies ahead is then a delta of 503, level 1 (8-jiffy
// buckets), where the same 504 armed from a socket call is level 2 (64). The keepalive probes
// re-arm from the handler with keepalive_intvl 2016 ms = 504 jiffies: each runs at the next
// 8-jiffy boundary after its expiry, not the next 64-jiffy one.
TEST_CASE(
    "Keepalive probes re-armed from the handler are filed one jiffy nearer, as in __run_timers") {
  World w(10_ms, with_wheel(true), with_wheel(true));
  w.server->listen(kPort, 8, {}, {}, "echo");
  SocketOptions o;
  o.keepalive.enabled = true;
  o.keepalive.idle = 1_s;
  o.keepalive.interval = Duration::milliseconds(2016);
  o.keepalive.probes = 2;
  w.client->connect(server_addr(), 7500, o, {}, "alice");
  w.at(at(500_ms), [&] { w.net.set_link_up(w.link, false); });
  w.sim.run_until(at(10_s));
  const HostTicks ticks(w, "client");
  const auto j_at = [&](int64_t ns) { return ticks.j_at(ns); };
  const auto tick_ns = [&](uint64_t j) { return ticks.tick_ns(j); };
  // calc_index() at level 1: the first 8-jiffy boundary strictly after the expiry.
  const auto level1 = [](uint64_t expires) { return expires / 8 * 8 + 8; };
  // Armed at ESTABLISHED (20 ms, the last receive too) for 250 jiffies: level 1.
  const uint64_t probe1 = level1(j_at(20'000'000) + 250);
  const uint64_t probe2 = level1(probe1 + 504);
  const uint64_t rst = level1(probe2 + 504);
  std::vector<int64_t> acks = send_times_ns(w, "client", ".");
  REQUIRE(acks.size() == 3);  // the handshake's ACK, then the two probes
  CHECK(acks[1] == tick_ns(probe1));
  CHECK(acks[2] == tick_ns(probe2));
  CHECK(send_times_ns(w, "client", "R.") == std::vector<int64_t>{tick_ns(rst)});
  // Filed from process context (clk = jiffies) the same 504 jiffies would be level 2.
  CHECK(acks[2] != tick_ns((probe1 + 504) / 64 * 64 + 64));
}
