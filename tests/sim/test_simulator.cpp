// The run loop: virtual time, run_until boundaries, stop, counts, and no shared state.
#include <catch2/catch.hpp>

#include <utility>
#include <vector>

#include "sim/simulator.hpp"

using namespace netsim;
using namespace netsim::literals;

TEST_CASE("run advances virtual time to each event and counts what it executed") {
  Simulator sim;
  std::vector<int64_t> seen;
  sim.schedule_in(2_s, [&] { seen.push_back(sim.now().ns()); });
  sim.schedule_in(1_s, [&] {
    seen.push_back(sim.now().ns());
    sim.schedule_in(500_ms, [&] { seen.push_back(sim.now().ns()); });
  });
  sim.run();
  CHECK(seen == std::vector<int64_t>{1'000'000'000, 1'500'000'000, 2'000'000'000});
  CHECK(sim.events_executed() == 3);
  CHECK(sim.now() == Instant::zero() + 2_s);
}

TEST_CASE("run_until includes events exactly at the limit and stops before later ones") {
  Simulator sim;
  int ran = 0;
  sim.schedule_in(1_s, [&] { ++ran; });
  sim.schedule_in(2_s, [&] { ++ran; });
  sim.schedule_in(2_s + 1_ns, [&] { ++ran; });
  sim.run_until(Instant::zero() + 2_s);
  CHECK(ran == 2);
  CHECK(sim.now() == Instant::zero() + 2_s);
  CHECK(sim.events_pending() == 1);
  sim.run_until(Instant::zero() + 10_s);
  CHECK(ran == 3);
  CHECK(sim.now() == Instant::zero() + 10_s);
}

TEST_CASE("stop ends the run after the current event") {
  Simulator sim;
  int ran = 0;
  sim.schedule_in(1_s, [&] {
    ++ran;
    sim.stop();
  });
  sim.schedule_in(2_s, [&] { ++ran; });
  sim.run();
  CHECK(ran == 1);
  CHECK(sim.now() == Instant::zero() + 1_s);
  sim.run();
  CHECK(ran == 2);
}

TEST_CASE("scheduling in the past is refused") {
  Simulator sim;
  sim.schedule_in(1_s, [&] {
    CHECK_THROWS_WITH(sim.schedule_at(Instant::zero(), [] {}),
                      "event scheduled in the past: at 0.000000 while now is 1.000000");
  });
  sim.run();
}

namespace {
struct Counter {
  Simulator* sim;
  std::vector<std::pair<int64_t, uint32_t>> hits;
  void hit(uint32_t id) { hits.emplace_back(sim->now().ns(), id); }
};
}  // namespace

TEST_CASE("a member call runs at its time with its argument, and is refused in the past too") {
  Simulator sim;
  Counter c{&sim, {}};
  sim.schedule_call_at<&Counter::hit>(Instant::zero() + 2_s, &c, 7);
  EventHandle h = sim.schedule_call_at<&Counter::hit>(Instant::zero() + 1_s, &c, 9);
  REQUIRE(sim.reschedule(h, Instant::zero() + 3_s));  // h now names the moved event
  sim.schedule_in(2500_ms, [&] {
    CHECK_THROWS_WITH(sim.schedule_call_at<&Counter::hit>(Instant::zero() + 1_s, &c, 1),
                      "event scheduled in the past: at 1.000000 while now is 2.500000");
    CHECK(sim.pending(h));
  });
  sim.run();
  CHECK(c.hits ==
        std::vector<std::pair<int64_t, uint32_t>>{{2'000'000'000, 7}, {3'000'000'000, 9}});
}

TEST_CASE("an event budget turns a runaway run into a clear error") {
  Simulator sim;
  std::function<void()> forever = [&] { sim.schedule_in(1_ms, forever); };
  sim.schedule_in(0_s, forever);
  sim.set_event_limit(1000);
  CHECK_THROWS_WITH(sim.run(), Catch::StartsWith("the run exceeded its limit of 1000 events"));
  CHECK(sim.events_executed() == 1000);
}

TEST_CASE("an event budget that the run uses up exactly ends the run quietly") {
  Simulator sim;
  for (int i = 1; i <= 3; ++i)
    sim.schedule_in(Duration::nanoseconds(i), [] {});
  sim.set_event_limit(2);
  sim.run_until(Instant::from_ns(2));  // two events, and none left at or before 2 ns
  CHECK(sim.events_executed() == 2);
  CHECK_THROWS_WITH(sim.run(), Catch::StartsWith("the run exceeded its limit of 2 events"));
  sim.set_event_limit(0);  // unlimited again
  sim.run();
  CHECK(sim.events_executed() == 3);
}

TEST_CASE("the observer runs after every n-th executed event, also the last and a stopping one") {
  Simulator sim;
  std::vector<uint64_t> seen;
  for (int i = 1; i <= 7; ++i)
    sim.schedule_in(Duration::nanoseconds(i), [&sim, i] {
      if (i == 4) sim.stop();
    });
  sim.set_observer(2, [&] { seen.push_back(sim.events_executed()); });
  sim.run();  // stops after event 4, which the observer still sees
  CHECK(seen == std::vector<uint64_t>{2, 4});
  sim.run();
  CHECK(seen == std::vector<uint64_t>{2, 4, 6});
  // Set from inside the 9th event, it counts that event: it runs after it, then after the 12th
  // (after the 8th, the old observer still runs).
  sim.schedule_in(1_ns, [] {});
  sim.schedule_in(2_ns,
                  [&] { sim.set_observer(3, [&] { seen.push_back(sim.events_executed()); }); });
  for (int i = 3; i <= 5; ++i)
    sim.schedule_in(Duration::nanoseconds(i), [] {});
  sim.run();  // events 8..12
  CHECK(seen == std::vector<uint64_t>{2, 4, 6, 8, 9, 12});
}

TEST_CASE("two simulators in one process are independent") {
  Simulator a(1), b(2);
  int ran_a = 0, ran_b = 0;
  a.schedule_in(1_s, [&] { ++ran_a; });
  b.schedule_in(5_s, [&] { ++ran_b; });
  b.schedule_in(6_s, [&] { ++ran_b; });
  a.run();
  CHECK(ran_a == 1);
  CHECK(ran_b == 0);
  CHECK(b.now() == Instant::zero());
  b.run();
  CHECK(ran_b == 2);
  CHECK(a.now() == Instant::zero() + 1_s);
  CHECK(a.rng_stream("x").next_u64() != b.rng_stream("x").next_u64());
}
