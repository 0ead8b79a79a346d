// Linux's timer wheel (protocols/tcp/timer_wheel.hpp): calc_wheel_index() at every level and a
// host's jiffies and tick phase. Every expected value is worked out by hand from
// kernel/time/timer.c (LVL_START(n) = 63 << 3(n-1); bucket = ((expires >> 3n) + 1) << 3n); the
// comments show the arithmetic. HZ 250 (4 ms a jiffy) unless a test says otherwise.

#include <catch2/catch.hpp>

#include "protocols/tcp/timer_wheel.hpp"

using namespace netsim;
using namespace netsim::tcp;

namespace {

Instant at_ms(int64_t ms) {
  return Instant::zero() + Duration::milliseconds(ms);
}

// Booted at 2^32 jiffies, a multiple of every level's granularity, ticking at 0, 4, 8, ... ms.
constexpr uint64_t kAligned = uint64_t{1} << 32;

}  // namespace

TEST_CASE("calc_wheel_index: the level comes from the delta, the bucket from the expiry") {
  struct Row {
    uint64_t delta;
    unsigned level;
    uint64_t bucket;  // for clk = 1000, expires = 1000 + delta
  };
  const Row rows[] = {
      {0, 0, 1001},       // level 0: one jiffy after the expiry
      {51, 0, 1052},      // the 204 ms TLP: 1051 + 1
      {62, 0, 1063},      // the last delta of level 0 (< LVL_START(1) = 63)
      {63, 1, 1064},      // level 1 (gran 8): 1063 >> 3 = 132, (132 + 1) * 8 = 1064
      {250, 1, 1256},     // a 1 s SYN timer: 1250 >> 3 = 156, 157 * 8 = 1256 (+24 ms)
      {503, 1, 1504},     // the last of level 1: 1503 >> 3 = 187, 188 * 8 = 1504
      {504, 2, 1536},     // level 2 (gran 64): 1504 >> 6 = 23, 24 * 64 = 1536
      {15000, 3, 16384},  // TIME_WAIT 60 s, level 3 (gran 512): 16000 >> 9 = 31, 32 * 512
      {60000, 4, 61440},  // 240 s, level 4 (gran 4096): 61000 >> 12 = 14, 15 * 4096
      // keepalive 7200 s, level 5 (gran 32768): 1801000 >> 15 = 54, 55 * 32768 = 1802240:
      // 1240 jiffies = 4.96 s after the expiry.
      {1800000, 5, 1802240},
      {3000000, 6, 3145728},      // level 6 (gran 2^18): 3001000 >> 18 = 11, 12 << 18
      {20000000, 7, 20971520},    // level 7 (gran 2^21): 20001000 >> 21 = 9, 10 << 21
      {200000000, 8, 201326592},  // level 8 (gran 2^24): 200001000 >> 24 = 11, 12 << 24
  };
  for (const Row& r : rows) {
    INFO("delta " << r.delta);
    const WheelSlot s = calc_wheel_index(1000 + r.delta, 1000, 250);
    CHECK(s.level == r.level);
    CHECK(s.bucket_expiry == r.bucket);
  }
}

TEST_CASE("calc_wheel_index: past the capacity, and an expiry already passed") {
  // delta >= WHEEL_TIMEOUT_CUTOFF (LVL_START(9) = 63 << 24 = 1056964608): expires becomes
  // clk + WHEEL_TIMEOUT_MAX = 1000 + 1056964608 - 2^24 = 1040188392; >> 24 = 62, 63 << 24.
  WheelSlot s = calc_wheel_index(1000 + 2000000000, 1000, 250);
  CHECK(s.level == 8);
  CHECK(s.bucket_expiry == 1056964608);
  // HZ 100 has 8 levels: the cutoff is LVL_START(8) = 63 << 21 = 132120576, so 200000000 is
  // capped at 1000 + 132120576 - 2^21 = 130024424; >> 21 = 62, 63 << 21 = 132120576.
  s = calc_wheel_index(1000 + 200000000, 1000, 100);
  CHECK(s.level == 7);
  CHECK(s.bucket_expiry == 132120576);
  // (long)delta < 0: "idx = clk & LVL_MASK; *bucket_expiry = clk".
  s = calc_wheel_index(990, 1000, 250);
  CHECK(s.level == 0);
  CHECK(s.bucket_expiry == 1000);
}

TEST_CASE("TimerWheel: jiffies tick at the host's phase") {
  const TimerWheel w(KernelClock{}, kAligned, Duration::milliseconds(3));
  // jiffies = boot + (now + phase) / 4 ms: ticks at 1, 5, 9, ... ms.
  CHECK(w.jiffies(at_ms(0)) == kAligned);
  CHECK(w.jiffies(at_ms(1)) == kAligned + 1);
  CHECK(w.jiffies(at_ms(4)) == kAligned + 1);
  CHECK(w.jiffies(at_ms(5)) == kAligned + 2);
  CHECK(w.tick(kAligned + 2) == at_ms(5));
  CHECK(w.to_jiffies(Duration::microseconds(200102)) == 51);  // usecs_to_jiffies() rounds up
}

TEST_CASE("TimerWheel: a 204 ms probe armed 3 ms into a tick runs 205 ms later") {
  // linux-tcp-facts: "a probe measured at 205 ms where 204 ms was armed". Phase 1 ms: ticks
  // at 3, 7, 11, ... ms. Armed at 2 ms (jiffies = boot): expires = boot + 51, the bucket
  // boot + 52, whose tick is at 52 * 4 - 1 = 207 ms, 205 ms after the arming.
  const TimerWheel w(KernelClock{}, kAligned, Duration::milliseconds(1));
  CHECK(w.arm(at_ms(2), Duration::milliseconds(204)) == at_ms(207));
  // Armed right after a tick (3 ms: jiffies = boot + 1), it runs a full 208 ms later.
  CHECK(w.arm(at_ms(3), Duration::milliseconds(204)) == at_ms(211));
}

TEST_CASE("TimerWheel: level-1 SYN timers run at 8-jiffy boundaries") {
  TimerWheel w(KernelClock{}, kAligned, Duration::zero());
  // connect() at 0: expires = 250, bucket 256 -> 1024 ms.
  const Instant first = w.arm(at_ms(0), Duration::seconds(1));
  CHECK(first == at_ms(1024));
  // Re-armed from the timer handler (base->clk = jiffies + 1 = 257): expires 506, delta 249,
  // 506 >> 3 = 63, 64 * 8 = 512 -> 2048 ms.
  w.running = true;
  CHECK(w.arm(first, Duration::seconds(1)) == at_ms(2048));
  // Armed at 10 ms (jiffies 2): expires 252, 252 >> 3 = 31, 32 * 8 = 256 -> 1024 ms again.
  w.running = false;
  CHECK(w.arm(at_ms(10), Duration::seconds(1)) == at_ms(1024));
}

TEST_CASE("TimerWheel: base->clk one ahead while timers run moves a delta across a level edge") {
  TimerWheel w(KernelClock{}, kAligned, Duration::zero());
  // At 4 ms (jiffies 1), 63 jiffies ahead: expires 64. From process context clk = 1, delta 63:
  // level 1, (64 >> 3) + 1 = 9, 9 * 8 = 72 -> 288 ms.
  CHECK(w.arm(at_ms(4), Duration::milliseconds(252)) == at_ms(288));
  // From a timer handler clk = 2, delta 62: level 0, 65 -> 260 ms.
  w.running = true;
  CHECK(w.arm(at_ms(4), Duration::milliseconds(252)) == at_ms(260));
}

TEST_CASE("TimerWheel: TIME_WAIT and keepalive land on level 3 and level 5 boundaries") {
  const TimerWheel w(KernelClock{}, kAligned + 100, Duration::zero());
  // TIME_WAIT at 0: expires = +15100 (relative to 2^32), 15100 >> 9 = 29, 30 * 512 = 15360:
  // 15260 jiffies after boot+100 = 61.04 s.
  CHECK(w.arm(at_ms(0), Duration::seconds(60)) == at_ms(61040));
  // Keepalive 7200 s: expires +1800100, >> 15 = 54, 55 * 32768 = 1802240: 1802140 jiffies =
  // 7208.56 s.
  CHECK(w.arm(at_ms(0), Duration::hours(2)) == at_ms(7208560));
}

TEST_CASE("TimerWheel::for_host: drawn from a copy, so the host's stream is untouched") {
  Rng host(7, "tcp:client");
  Rng untouched = host;
  const TimerWheel w = TimerWheel::for_host(KernelClock{}, host);
  CHECK(host.next_u64() == untouched.next_u64());
  CHECK(w.phase() >= Duration::zero());
  CHECK(w.phase() < Duration::milliseconds(4));
  const uint64_t initial = static_cast<uint32_t>(-75000);
  CHECK(w.boot_jiffies() >= initial);
  CHECK(w.boot_jiffies() < initial + (uint64_t{1} << 24));
  // Another host, another wheel.
  const TimerWheel v = TimerWheel::for_host(KernelClock{}, Rng(7, "tcp:server"));
  CHECK((v.boot_jiffies() != w.boot_jiffies() || v.phase() != w.phase()));
}
