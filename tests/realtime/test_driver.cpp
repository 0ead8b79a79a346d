// The real-time driver: the same events in the same order as on virtual time, the end of a
// run (end time, idle, stop(), an observer's stop), and input injected from I/O.
#include <catch2/catch.hpp>

#include <boost/asio/steady_timer.hpp>
#include <vector>

#include "realtime/driver.hpp"

namespace netsim::realtime {
namespace {

using namespace netsim::literals;
using namespace std::chrono_literals;

struct Fixture {
  Simulator sim;
  boost::asio::io_context io;
  RealtimeDriver driver{sim, io};
  std::vector<std::pair<int64_t, int>> ran;  // (virtual ns, id)
  void at(Duration t, int id) {
    sim.schedule_at(Instant::zero() + t, [this, id] { ran.emplace_back(sim.now().ns(), id); });
  }
};

}  // namespace

TEST_CASE("The real-time driver runs events in (time, insertion) order and ends at the end") {
  Fixture f;
  f.at(10_ms, 2);
  f.at(0_ms, 1);
  f.at(10_ms, 3);
  f.at(30_ms, 4);
  f.at(80_ms, 5);  // after the end: never runs
  f.driver.run(Instant::zero() + 50_ms, false);
  using Ran = std::vector<std::pair<int64_t, int>>;
  CHECK(f.ran == Ran{{0, 1}, {10'000'000, 2}, {10'000'000, 3}, {30'000'000, 4}});
  CHECK(f.sim.now() == Instant::zero() + 50_ms);
  CHECK(f.driver.finished());
  CHECK_FALSE(f.driver.running());
  CHECK(f.sim.events_pending() == 1);
}

TEST_CASE("Without an end, the driver returns when no event is left if told to stop when idle") {
  Fixture f;
  f.at(0_ms, 1);
  f.at(20_ms, 2);
  f.driver.run(std::nullopt, true);
  CHECK(f.ran.size() == 2);
  CHECK(f.sim.now() == Instant::zero() + 20_ms);
  CHECK(f.driver.finished());
}

TEST_CASE("Input from I/O enters at the current virtual time, after every event already due") {
  Fixture f;
  f.at(0_ms, 1);
  f.at(10_ms, 2);
  f.at(200_ms, 4);
  boost::asio::steady_timer io_event(f.io);  // stands for a packet read from a device
  int64_t injected_at = -1;
  // Armed once the run has begun (virtual 0 is then at or before the wall clock's now), so
  // its 30 ms cannot end before virtual time reaches 30 ms; armed before run(), the time
  // between arming and the driver's start would be counted twice.
  f.sim.schedule_at(Instant::zero(), [&] {
    io_event.expires_after(30ms);
    io_event.async_wait([&](const boost::system::error_code&) {
      f.driver.catch_up();
      injected_at = f.sim.now().ns();
      f.sim.schedule_at(f.sim.now(), [&] { f.ran.emplace_back(f.sim.now().ns(), 3); });
      f.driver.rearm();
    });
  });
  f.driver.run(Instant::zero() + 300_ms, false);
  REQUIRE(f.ran.size() == 4);
  CHECK(f.ran[0].second == 1);
  CHECK(f.ran[1].second == 2);
  CHECK(f.ran[2] == std::make_pair(injected_at, 3));
  CHECK(f.ran[3] == std::make_pair(int64_t{200'000'000}, 4));
  // The wall clock had reached 30 ms when the input arrived, so virtual time had too.
  CHECK(injected_at >= 30'000'000);
  CHECK(injected_at < 200'000'000);
}

TEST_CASE("stop() ends a real-time run where virtual time is, later events do not run") {
  Fixture f;
  f.at(10_ms, 1);
  f.at(1_s, 2);
  boost::asio::steady_timer ctrl_c(f.io, 40ms);
  ctrl_c.async_wait([&](const boost::system::error_code&) { f.driver.stop(); });
  f.driver.run(Instant::zero() + 2_s, false);
  CHECK(f.ran.size() == 1);
  CHECK_FALSE(f.driver.finished());
  CHECK(f.sim.now() < Instant::zero() + 1_s);
}

TEST_CASE("An event that stops the simulator (a wall-clock guard) ends a real-time run") {
  Fixture f;
  f.sim.schedule_at(Instant::zero() + 10_ms, [&] { f.sim.stop(); });
  f.at(20_ms, 2);
  f.driver.run(Instant::zero() + 1_s, false);
  CHECK(f.ran.empty());
  CHECK(f.sim.now() == Instant::zero() + 10_ms);
}

TEST_CASE("A runaway real-time run throws EventLimitExceeded out of run()") {
  Fixture f;
  f.sim.set_event_limit(2);
  for (int i = 0; i < 3; ++i)
    f.at(Duration::milliseconds(i), i);
  CHECK_THROWS_AS(f.driver.run(Instant::zero() + 1_s, false), EventLimitExceeded);
  CHECK(f.ran.size() == 2);
  CHECK_FALSE(f.driver.running());
}

}  // namespace netsim::realtime
