// `hz` through the whole simulator (TcpHost + Network): with `hz: 1000` and the timer wheel a
// host's wheel ticks every 1 ms at its own phase, and a listener's SYN-ACK retransmissions land
// on the level-2 (64-jiffy) boundaries of HZ 1000, computed here by hand from that clock.

#include <catch2/catch.hpp>

#include "protocols/tcp/timer_wheel.hpp"
#include "tests/tcp/test_host_util.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

TEST_CASE("hz 1000 on the wheel: SYN-ACK retransmissions at 64-jiffy (64 ms) boundaries") {
  Profile p;
  p.timer_wheel = true;
  p.hz = KernelHz::hz1000;
  World w(10_ms, p, p);
  drop_client_pure_acks(w);
  w.server->listen(kPort, 8, {}, {}, "echo");
  w.client->connect(server_addr(), 7500, {}, {}, "alice");
  w.sim.run_until(at(10_s));
  const TimerWheel* wheel = w.server->stack().timer_wheel();
  REQUIRE(wheel != nullptr);
  // The server's wheel is the one its stream draws at HZ 1000: phase below 1 ms.
  const TimerWheel same =
      TimerWheel::for_host(KernelClock::unphased(1000), w.sim.rng_stream("tcp:server"));
  CHECK(wheel->clock().hz == 1000);
  CHECK(wheel->phase() == same.phase());
  CHECK(wheel->boot_jiffies() == same.boot_jiffies());
  CHECK(wheel->phase() < 1_ms);
  // The SYN arrives at 10 ms: j = boot + floor((10 ms + phase) / 1 ms) = boot + 10. reqsk
  // timeouts of 1000, 2000, 4000 jiffies are all level 2 (504 <= delta < 4032, or 4032 itself
  // is level 3: 4000 < 4032 stays level 2): the next multiple of 64 strictly after the expiry.
  uint64_t j = wheel->boot_jiffies() + 10;
  std::vector<int64_t> want{10'000'000};
  for (uint64_t timeout : {1000, 2000, 4000}) {
    j = ((j + timeout) / 64 + 1) * 64;
    want.push_back(wheel->tick(j).ns());
  }
  CHECK(send_times_ns(w, "server", "S.") == want);
  // Each gap is its timeout in ms plus at most one 64 ms bucket.
  for (size_t i = 1; i < want.size(); ++i) {
    const int64_t nominal = int64_t{1'000'000'000} << (i - 1);
    CHECK(want[i] - want[i - 1] > nominal - 1'000'000);
    CHECK(want[i] - want[i - 1] <= nominal + 64'000'000);
  }
}
