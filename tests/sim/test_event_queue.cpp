// The event queue contract: (time, insertion) order, safe cancellation, bounded dead entries.
#include <catch2/catch.hpp>

#include <limits>
#include <map>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/rng.hpp"

using namespace netsim;
using namespace netsim::literals;

namespace {
Instant at(Duration d) {
  return Instant::zero() + d;
}
std::vector<int> drain(EventQueue& q) {
  std::vector<int> order;
  while (!q.empty())
    q.run_next();
  return order;
}
}  // namespace

TEST_CASE("events at the same time run in insertion order") {
  EventQueue q;
  std::vector<int> order;
  for (int i = 0; i < 100; ++i)
    q.schedule(at(1_s), [&order, i] { order.push_back(i); });
  while (!q.empty())
    q.run_next();
  REQUIRE(order.size() == 100);
  for (int i = 0; i < 100; ++i)
    CHECK(order[i] == i);
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
    Instant t = q.run_next();
    CHECK(t >= prev);
    prev = t;
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
  q.run_next();
  CHECK(ran == 10);
  CHECK_FALSE(q.cancel(b));              // already ran
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
  while (!q.empty())
    q.run_next();
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
  for (int i = 0; i < 1000; ++i)
    q.reschedule(h, at(2_s + Duration::nanoseconds(i)));
  CHECK(q.size() == 1);
}

TEST_CASE("cancelling from the middle keeps the heap ordered") {
  EventQueue q;
  std::vector<EventHandle> hs;
  for (int i = 0; i < 1000; ++i) {
    hs.push_back(q.schedule(Instant::from_ns((i * 7919) % 1000), [] {}));
  }
  for (int i = 0; i < 1000; i += 3)
    q.cancel(hs[i]);
  Instant prev = Instant::zero();
  size_t n = 0;
  while (!q.empty()) {
    Instant t = q.run_next();
    CHECK(t >= prev);
    prev = t;
    ++n;
  }
  CHECK(n == 1000 - 334);
}

namespace {
// Mostly small offsets (many ties), sometimes up to 2^40 ns, so every digit of the radix
// heap's keys is exercised.
int64_t offset(Rng& rng) {
  uint64_t scale = rng.uniform_int(0, 3) == 0 ? uint64_t{1} << rng.uniform_int(6, 40) : 40;
  return static_cast<int64_t>(rng.uniform_int(0, scale));
}

// Random schedule/cancel/reschedule/pop against a std::map ordered by (time, insertion
// number). Ties are common, and some events land before the last popped time. Run against
// the Simulator's queue and a test queue whose slot versions wrap every few keys.
// `schedules` of every 10 operations schedule (4: the queue stays small; 7: it grows to
// thousands of events, so large buckets split).
// With `stale_handles` false, only handles of pending events are cancelled or rescheduled: a
// queue whose versions wrap every few keys cannot tell a stale handle from a new one (with 32
// bits that takes 2^31 keys of one slot, as the generation before it).
template <class Queue>
void check_against_reference(uint64_t seed, uint64_t schedules = 4, bool stale_handles = true) {
  Queue q;
  Rng rng(seed, "eq-reference");
  std::map<std::pair<int64_t, uint64_t>, int> ref;                            // (time, order) -> id
  std::vector<std::pair<EventHandle, std::pair<int64_t, uint64_t>>> handles;  // by id
  uint64_t order = 0;
  int64_t last = 0;
  int popped_id = -1;
  for (int step = 0; step < 20000; ++step) {
    uint64_t op = rng.uniform_int(0, 9);
    if (op < schedules || ref.empty()) {
      int64_t t = last + offset(rng) - 5;
      int id = static_cast<int>(handles.size());
      EventHandle h = q.schedule(Instant::from_ns(t), [&popped_id, id] { popped_id = id; });
      handles.push_back({h, {t, order}});
      ref[{t, order++}] = id;
    } else if (op < schedules + 1) {
      auto& [h, key] = handles[rng.uniform_int(0, handles.size() - 1)];
      if (!stale_handles && ref.count(key) == 0) continue;
      bool was = ref.erase(key) == 1;
      REQUIRE(q.cancel(h) == was);
    } else if (op < schedules + 2) {
      int id = static_cast<int>(rng.uniform_int(0, handles.size() - 1));
      auto& [h, key] = handles[id];
      if (!stale_handles && ref.count(key) == 0) continue;
      int64_t t = last + offset(rng);
      bool was = ref.erase(key) == 1;
      REQUIRE(q.reschedule(h, Instant::from_ns(t)) == was);
      if (was) {
        key = {t, order++};
        ref[key] = id;
      }
    } else {
      REQUIRE(q.next_time() == Instant::from_ns(ref.begin()->first.first));
      Instant t = q.run_next();
      REQUIRE(t.ns() == ref.begin()->first.first);
      REQUIRE(popped_id == ref.begin()->second);
      last = t.ns();
      ref.erase(ref.begin());
    }
    REQUIRE(q.size() == ref.size());
    REQUIRE(q.entries() <= 2 * q.size() + Queue::kDeadSlack);
  }
}
}  // namespace

TEST_CASE("pop order matches a reference model under random schedule, cancel and reschedule") {
  check_against_reference<EventQueue>(1);
  check_against_reference<EventQueue>(2);
  check_against_reference<EventQueue>(5, 7);
}

TEST_CASE("slot versions that wrap never let a dead key run") {
  // 4-bit versions: a slot's keys get versions 3, 5, ..., 15, 1, 3, ... so each slot starts a
  // new lap every 8 keys, where a 32-bit version would take 2^31. A dead key still queued whose
  // version came round again would run or hide a live event; the reference model notices.
  check_against_reference<BasicEventQueue<RadixKeyQueue, 4>>(3, 4, false);
  check_against_reference<BasicEventQueue<RadixKeyQueue, 4>>(4, 4, false);
  check_against_reference<BasicEventQueue<RadixKeyQueue, 4>>(6, 7, false);
}

TEST_CASE("a rescheduled event's handle follows it and the old handle goes stale") {
  EventQueue q;
  int ran = 0;
  EventHandle h = q.schedule(at(1_s), [&ran] { ++ran; });
  const EventHandle old = h;
  REQUIRE(q.reschedule(h, at(2_s)));
  CHECK(h.slot == old.slot);
  CHECK(q.pending(h));
  CHECK_FALSE(q.pending(old));
  CHECK_FALSE(q.cancel(old));  // stale: the event stays
  CHECK(q.next_time() == at(2_s));
  CHECK(q.cancel(h));
  CHECK(q.empty());
  CHECK(ran == 0);
}

namespace {
struct Target {
  std::vector<std::pair<uint32_t, uint32_t>> calls;
  void one(uint32_t a) { calls.emplace_back(a, 0); }
  void two(uint32_t a, uint32_t b) { calls.emplace_back(a, b); }
};
}  // namespace

TEST_CASE("member calls run in insertion order among lambdas, with their argument and constants") {
  EventQueue q;
  Target target;
  std::vector<int> order;
  q.schedule_call<&Target::one>(at(1_s), &target, 0xFFFFFFFFu);
  q.schedule(at(1_s), [&order] { order.push_back(1); });
  q.schedule_call<&Target::two, 7u>(at(1_s), &target, 42);
  const EventHandle h = q.schedule_call<&Target::one>(at(1_s), &target, 5);
  CHECK(q.cancel(h));
  q.run_next();
  CHECK(target.calls == std::vector<std::pair<uint32_t, uint32_t>>{{0xFFFFFFFFu, 0}});
  q.run_next();
  CHECK(order == std::vector<int>{1});
  q.run_next();
  CHECK(target.calls.back() == std::pair<uint32_t, uint32_t>{42, 7});
  CHECK(q.empty());
}

TEST_CASE("keys landing inside the sorted run, also out of time order, come out in order") {
  // A bucket of at most 48 keys becomes the run; keys scheduled into its time range later,
  // in descending time and with ties, must be merged into it by (time, insertion).
  EventQueue q;
  std::vector<std::pair<int64_t, int>> ran;
  int id = 0;
  auto add = [&](int64_t t) {
    int me = id++;
    q.schedule(Instant::from_ns(t), [&ran, t, me] { ran.push_back({t, me}); });
  };
  for (int i = 0; i < 40; ++i)
    add(1000 + 3 * i);
  q.run_next();  // forms the run
  for (int i = 60; i >= 0; --i)
    add(1001 + 2 * i);
  add(1003);
  // Hundreds of keys, with ties, into the run's span out of order: the run outgrows its limit
  // and gives keys back to the buckets, and the order must not notice.
  for (int i = 0; i < 500; ++i)
    add(1001 + (i * 7919) % 20);
  while (!q.empty())
    q.run_next();
  REQUIRE(ran.size() == 602);  // 40 + 61 + 1 + 500
  for (size_t i = 1; i < ran.size(); ++i) {
    INFO("event " << i);
    CHECK((ran[i - 1].first < ran[i].first ||
           (ran[i - 1].first == ran[i].first && ran[i - 1].second < ran[i].second)));
  }
}

TEST_CASE("an event scheduled before the last popped time still comes out first") {
  EventQueue q;
  q.schedule(at(5_s), [] {});
  q.schedule(at(7_s), [] {});
  CHECK(q.drop_next() == at(5_s));
  q.schedule(at(1_s), [] {});
  q.schedule(at(1_s), [] {});
  q.schedule(at(6_s), [] {});
  std::vector<int64_t> times;
  while (!q.empty())
    times.push_back(q.drop_next().ns());
  CHECK(times == std::vector<int64_t>{1'000'000'000, 1'000'000'000, 6'000'000'000, 7'000'000'000});
}

TEST_CASE("re-arming keeps stored entries within twice the pending events plus a slack") {
  EventQueue q;
  std::vector<EventHandle> timers;
  for (int i = 0; i < 100; ++i)
    timers.push_back(q.schedule(at(1_s), [] {}));
  for (int round = 0; round < 10'000; ++round) {
    for (auto& h : timers)
      q.reschedule(h, at(1_s + Duration::nanoseconds(round)));
    REQUIRE(q.entries() <= 2 * q.size() + EventQueue::kDeadSlack);
  }
  CHECK(q.size() == 100);
}

TEST_CASE("draining the live events around cancelled ones keeps the dead-entry bound") {
  EventQueue q;
  q.schedule(Instant::zero(), [] {});
  q.drop_next();  // from now on 1 s and 9 s fall in different buckets
  std::vector<EventHandle> late;
  for (int i = 0; i < 1000; ++i) {
    q.schedule(at(1_s) + Duration::nanoseconds(i), [] {});
    late.push_back(q.schedule(at(9_s) + Duration::nanoseconds(i), [] {}));
  }
  for (auto& h : late) {
    q.cancel(h);
  }
  while (!q.empty()) {
    q.drop_next();
    REQUIRE(q.entries() <= 2 * q.size() + EventQueue::kDeadSlack);
  }
}

namespace {
// Pops the queue's smallest key, which must be the multimap's first (time and second word);
// returns its time.
uint64_t pop_checked(RadixKeyQueue& q, std::multimap<uint64_t, uint64_t>& ref) {
  const EventKey& top = q.top();
  REQUIRE(top.time == ref.begin()->first);
  REQUIRE(top.key == ref.begin()->second);
  const uint64_t t = top.time;
  q.pop();
  ref.erase(ref.begin());
  return t;
}
}  // namespace

TEST_CASE("the radix heap orders equal times by insertion alone, never by the key's seq word") {
  // The step towards a 32-byte event (docs/performance-log.md, slot32): a key without an insertion
  // number. Here every key's second word counts down, so a queue that compared it would put
  // each tie in reverse. Ties are dense (16 times per 4096 ns window), buckets grow past the
  // sort limit and are spread, runs are cut, and every 7th key lands before the last pop (the
  // early heap). Reference: a multimap, which keeps equal keys in insertion order.
  RadixKeyQueue q;
  std::multimap<uint64_t, uint64_t> ref;  // time -> the key's second word
  Rng rng(7, "radix-ties");
  uint64_t word = std::numeric_limits<uint64_t>::max();
  uint64_t last = RadixKeyQueue::kTimeZero + 1'000'000;
  auto push = [&](uint64_t t) {
    q.push(EventKey{t, word});
    ref.emplace(t, word--);
  };
  for (int step = 0; step < 200'000; ++step) {
    const uint64_t op = rng.uniform_int(0, 9);
    if (op < 5 || ref.empty()) {
      const uint64_t far = rng.uniform_int(0, 3) == 0 ? rng.uniform_int(0, 15) << 20 : 0;
      uint64_t t = last + far + (rng.uniform_int(0, 15) << 8);
      if (step % 7 == 0 && last > RadixKeyQueue::kTimeZero + 5000)
        t = last - 1 - rng.uniform_int(0, 3) * 1000;
      push(t);
    } else {
      last = pop_checked(q, ref);
    }
    REQUIRE(q.size() == ref.size());
  }
}

TEST_CASE("a run sorted from a bucket of any digit keeps equal times in insertion order") {
  // sort_run counts keys into sub-buckets by their offset from the run's earliest time, which
  // spans up to 2^56 ns at digit 7 (it once packed time bits and positions into one word, which
  // digit 7 did not fit). Here 300 keys (under the sort limit) all land in the bucket of value 3 at
  // digit d (above the queue's time zero), with ties and descending second words, and must come out
  // as a multimap orders them.
  for (unsigned d = 1; d < 8; ++d) {
    INFO("digit " << d);
    RadixKeyQueue q;
    std::multimap<uint64_t, uint64_t> ref;
    Rng rng(d, "radix-digits");
    const uint64_t span = uint64_t{1} << (8 * d);
    uint64_t word = std::numeric_limits<uint64_t>::max();
    for (int i = 0; i < 300; ++i) {
      // 32 distinct times spread over the whole digit, the lowest and highest included.
      const uint64_t slot = rng.uniform_int(0, 31);
      const uint64_t t =
          RadixKeyQueue::kTimeZero + 3 * span + (slot == 31 ? span - 1 : slot * (span / 32));
      q.push(EventKey{t, word});
      ref.emplace(t, word--);
    }
    while (!ref.empty()) {
      const EventKey& top = q.top();
      REQUIRE(top.time == ref.begin()->first);
      REQUIRE(top.key == ref.begin()->second);
      q.pop();
      ref.erase(ref.begin());
    }
    CHECK(q.empty());
  }
}

TEST_CASE("a run keeps (time, insertion) order however its times cluster") {
  // sort_run's counting sort splits a run's time range into n to 2n sub-buckets and inserts
  // each key among the keys of its sub-bucket; a sub-bucket of more than 16 keys sends the run
  // to a merge sort instead. Here 300 keys of one digit-2 bucket (65,536 ns) pinned to its whole
  // range by a first and a last key (512 sub-buckets of 128 ns), the others within `width` ns of
  // its start, pushed with descending and random times and descending second words: widths
  // 1-40 put everything in one sub-bucket (the merge sort), 3,000 about a dozen keys in each of
  // the first 24 and 65,536 about one in each (the insertions, with few ties), and 9,600 about
  // four in each, their times rounded down to 64 ns so that every sub-bucket holds ties (the
  // insertions must keep them in order: passing a tie fails here).
  for (const uint64_t width : {1u, 3u, 40u, 3000u, 9600u, 65536u}) {
    for (const bool descending : {true, false}) {
      INFO("width " << width << (descending ? ", descending" : ", random"));
      RadixKeyQueue q;
      std::multimap<uint64_t, uint64_t> ref;
      Rng rng(width, "radix-clusters");
      const uint64_t base = RadixKeyQueue::kTimeZero + 3 * (uint64_t{1} << 16);
      uint64_t word = std::numeric_limits<uint64_t>::max();
      auto push = [&](uint64_t t) {
        q.push(EventKey{t, word});
        ref.emplace(t, word--);
      };
      push(base + 65535);
      const uint64_t grain = width == 9600 ? 64 : 1;
      for (uint64_t i = 0; i < 298; ++i) {
        const uint64_t offset =
            descending ? (297 - i) * width / 298 : rng.uniform_int(0, width - 1);
        push(base + offset / grain * grain);
      }
      push(base);
      while (!ref.empty())
        pop_checked(q, ref);
      CHECK(q.empty());
    }
  }
}

TEST_CASE("keys of the next 2^32 ns, stored without their high time bits, come out whole") {
  // Buckets of digits 0-3 keep only a key's low 32 time bits and take the rest from the queue's
  // lower bound; digits 4-7 keep whole keys. Keys here straddle 2^32 ns boundaries (so the high
  // bits change when a far bucket is taken) and some high bits sit in the low word's top bit;
  // every time and second word must come back as pushed, ties in insertion order.
  RadixKeyQueue q;
  std::multimap<uint64_t, uint64_t> ref;
  Rng rng(11, "radix-near-far");
  uint64_t word = std::numeric_limits<uint64_t>::max();
  uint64_t last = RadixKeyQueue::kTimeZero + (uint64_t{1} << 32) - 3000;
  for (int step = 0; step < 50'000; ++step) {
    if (rng.uniform_int(0, 9) < 5 || ref.empty()) {
      const uint64_t lap = rng.uniform_int(0, 2) << 32;          // up to two boundaries ahead
      const uint64_t t = last + lap + rng.uniform_int(0, 4000);  // ties and both sides of one
      q.push(EventKey{t, word});
      ref.emplace(t, word--);
    } else {
      last = pop_checked(q, ref);
    }
  }
  CHECK(q.size() == ref.size());
}
