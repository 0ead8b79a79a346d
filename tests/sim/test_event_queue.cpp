// The event queue contract: (time, insertion) order, safe cancellation, bounded dead entries.
#include <catch2/catch.hpp>

#include <vector>

#include "sim/event_queue.hpp"
#include "sim/rng.hpp"

using namespace netsim;
using namespace netsim::literals;

namespace {
Instant at(Duration d) { return Instant::zero() + d; }
std::vector<int> drain(EventQueue& q) {
  std::vector<int> order;
  while (!q.empty()) q.pop().callback();
  return order;
}
}  // namespace

TEST_CASE("events at the same time run in insertion order") {
  EventQueue q;
  std::vector<int> order;
  for (int i = 0; i < 100; ++i) q.schedule(at(1_s), [&order, i] { order.push_back(i); });
  while (!q.empty()) q.pop().callback();
  REQUIRE(order.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(order[i] == i);
}

TEST_CASE("events come out in time order whatever the insertion order") {
  EventQueue q;
  Rng rng(7, "eq");
  std::vector<int64_t> times;
  for (int i = 0; i < 10000; ++i) {
    auto t = static_cast<int64_t>(rng.uniform_int(0, 1000));
    q.schedule(Instant::from_ns(t), [] {});
  }
  Instant prev = Instant::zero();
  while (!q.empty()) {
    auto ev = q.pop();
    CHECK(ev.time >= prev);
    prev = ev.time;
  }
}

TEST_CASE("a cancelled event never runs and cancelling twice or after running is harmless") {
  EventQueue q;
  int ran = 0;
  auto a = q.schedule(at(1_s), [&] { ran += 1; });
  auto b = q.schedule(at(2_s), [&] { ran += 10; });
  CHECK(q.cancel(a));
  CHECK_FALSE(q.cancel(a));
  CHECK(q.size() == 1);
  q.pop().callback();
  CHECK(ran == 10);
  CHECK_FALSE(q.cancel(b));      // already ran
  CHECK_FALSE(q.cancel(EventHandle{}));  // never set
  // A new event reusing b's slot is not cancelled through the stale handle.
  auto c = q.schedule(at(3_s), [&] { ran += 100; });
  CHECK(c.slot == b.slot);
  CHECK_FALSE(q.cancel(b));
  CHECK(q.pending(c));
  drain(q);
  CHECK(ran == 110);
}

TEST_CASE("rescheduling moves an event and orders it as if newly inserted") {
  EventQueue q;
  std::vector<char> order;
  auto a = q.schedule(at(1_s), [&] { order.push_back('a'); });
  q.schedule(at(2_s), [&] { order.push_back('b'); });
  CHECK(q.reschedule(a, at(2_s)));  // same time as b, inserted later: runs after b
  CHECK(q.time_of(a) == at(2_s));
  while (!q.empty()) q.pop().callback();
  CHECK(order == std::vector<char>{'b', 'a'});
}

TEST_CASE("a timer re-armed a million times leaves no dead entries") {
  EventQueue q;
  EventHandle h = q.schedule(at(1_s), [] {});
  for (int i = 0; i < 1'000'000; ++i) {
    q.cancel(h);
    h = q.schedule(at(1_s + Duration::nanoseconds(i)), [] {});
  }
  CHECK(q.size() == 1);
  for (int i = 0; i < 1000; ++i) q.reschedule(h, at(2_s + Duration::nanoseconds(i)));
  CHECK(q.size() == 1);
}

TEST_CASE("cancelling from the middle keeps the heap ordered") {
  EventQueue q;
  std::vector<EventHandle> hs;
  for (int i = 0; i < 1000; ++i) {
    hs.push_back(q.schedule(Instant::from_ns((i * 7919) % 1000), [] {}));
  }
  for (int i = 0; i < 1000; i += 3) q.cancel(hs[i]);
  Instant prev = Instant::zero();
  size_t n = 0;
  while (!q.empty()) {
    auto ev = q.pop();
    CHECK(ev.time >= prev);
    prev = ev.time;
    ++n;
  }
  CHECK(n == 1000 - 334);
}
