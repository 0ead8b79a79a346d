// Linux's timer wheel (kernel/time/timer.c) as an opt-in model of when a kernel timer really
// runs (tunable `timer_wheel`): jiffies tick at a per-host phase, and a timer armed to expire at
// `expires` runs at the bucket boundary calc_wheel_index() files it under, up to 12.5% late.
#pragma once

#include <cstdint>

#include "protocols/tcp/ca_ops.hpp"
#include "sim/rng.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

// kernel/time/timer.c: each level has 64 buckets (LVL_BITS) and is 8 times coarser than the one
// below it (LVL_CLK_SHIFT); HZ > 100 gets a ninth level (LVL_DEPTH).
inline constexpr unsigned kLvlClkShift = 3;
inline constexpr unsigned kLvlBits = 6;
constexpr unsigned lvl_depth(uint32_t hz) {
  return hz > 100 ? 9 : 8;
}
// LVL_SHIFT(n), LVL_GRAN(n): a level-n bucket spans 8^n jiffies.
constexpr unsigned lvl_shift(unsigned n) {
  return n * kLvlClkShift;
}
constexpr uint64_t lvl_gran(unsigned n) {
  return uint64_t{1} << lvl_shift(n);
}
// LVL_START(n): the smallest delta filed at level n (63, 504, 4032, ... jiffies).
constexpr uint64_t lvl_start(unsigned n) {
  return ((uint64_t{1} << kLvlBits) - 1) << ((n - 1) * kLvlClkShift);
}

// Where calc_wheel_index() files a timer: its level, and the jiffy at which base->clk reaches
// its bucket, which is when __run_timers() runs it.
struct WheelSlot {
  unsigned level = 0;
  uint64_t bucket_expiry = 0;
};

// calc_wheel_index() + calc_index() for a timer expiring at `expires` on a base whose clk is
// `clk`: the level comes from delta = expires - clk, and the bucket is the next multiple of the
// level's granularity strictly after `expires` ("(expires >> LVL_SHIFT(lvl)) + 1": never early,
// so even level 0 runs one jiffy after `expires`). Past the wheel's capacity the timer is filed
// at clk + WHEEL_TIMEOUT_MAX; an expiry already passed runs at clk.
WheelSlot calc_wheel_index(uint64_t expires, uint64_t clk, uint32_t hz);

// One host's timer base on its kernel clock (ca_ops.hpp KernelClock): tick k (jiffies becoming
// boot_jiffies + k) happens at k / HZ - phase of simulated time, phase in [0, 1/HZ).
class TimerWheel {
 public:
  // HZ 250, booted at INITIAL_JIFFIES, a tick at time 0: what the unit tests compute by hand.
  // `clock`'s HZ counts; its uptime and phase are replaced by `boot_jiffies` and `phase`.
  TimerWheel() = default;
  TimerWheel(KernelClock clock, uint64_t boot_jiffies, Duration phase);
  // A host's wheel: the phase and the uptime at time 0 (uniform over 2^24 jiffies, so every
  // level's bucket boundaries fall anywhere) come from `rng`, a copy of the host's stream, so
  // the host's ISNs, ports and cookie secret draw exactly what they drew without the wheel.
  static TimerWheel for_host(KernelClock clock, Rng rng);

  // The host's kernel clock: every jiffies user of the host reads this one.
  const KernelClock& clock() const { return clock_; }
  uint64_t boot_jiffies() const { return clock_.boot_jiffies(); }
  Duration phase() const { return clock_.phase; }

  // The 64-bit `jiffies` at `now`.
  uint64_t jiffies(Instant now) const { return clock_.jiffies64(now); }
  // The instant at which jiffies becomes `j` (the tick that runs the timers of bucket j).
  Instant tick(uint64_t j) const { return clock_.tick(j); }
  // mod_timer(timer, expires) called at `now`: the instant the timer function runs. The base's
  // clk is jiffies, or jiffies + 1 while the host is running expired timers (__run_timers()
  // "base->clk is set 1 offset ahead of jiffies"), which moves a delta at a level's edge.
  Instant fire_at(Instant now, uint64_t expires) const;
  // sk_reset_timer(sk, timer, jiffies + timeout): `timeout` in whole jiffies, rounded up as
  // msecs_to_jiffies()/usecs_to_jiffies() do.
  Instant arm(Instant now, Duration timeout) const;
  uint64_t to_jiffies(Duration d) const { return clock_.to_jiffies(d); }

  // Set while the host runs its expired timers (see fire_at()).
  bool running = false;

 private:
  KernelClock clock_;
};

// Marks the host's timer base as running expired timers for its lifetime.
class WheelRunning {
 public:
  explicit WheelRunning(TimerWheel* w) : w_(w) {
    if (w_ != nullptr) w_->running = true;
  }
  ~WheelRunning() {
    if (w_ != nullptr) w_->running = false;
  }
  WheelRunning(const WheelRunning&) = delete;
  WheelRunning& operator=(const WheelRunning&) = delete;

 private:
  TimerWheel* w_;
};

}  // namespace netsim::tcp
