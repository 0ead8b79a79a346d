// Linux's timer wheel (timer_wheel.hpp): calc_wheel_index() and a host's jiffies, as
// kernel/time/timer.c (6.12) computes them.
#include "protocols/tcp/timer_wheel.hpp"

#include <algorithm>

namespace netsim::tcp {

namespace {
// calc_index(): "Round up with level granularity" so that a timer never runs early, neither
// when armed at the edge of a tick nor through the truncation of the outer levels.
uint64_t calc_index(uint64_t expires, unsigned lvl) {
  return ((expires >> lvl_shift(lvl)) + 1) << lvl_shift(lvl);
}
}  // namespace

WheelSlot calc_wheel_index(uint64_t expires, uint64_t clk, uint32_t hz) {
  const unsigned depth = lvl_depth(hz);
  const uint64_t delta = expires - clk;
  if (static_cast<int64_t>(delta) < 0) return WheelSlot{0, clk};  // "idx = clk & LVL_MASK"
  for (unsigned lvl = 0; lvl + 1 < depth; ++lvl)
    if (delta < lvl_start(lvl + 1)) return WheelSlot{lvl, calc_index(expires, lvl)};
  // "Force expire obscene large timeouts to expire at the capacity limit of the wheel."
  const uint64_t cutoff = lvl_start(depth);                           // WHEEL_TIMEOUT_CUTOFF
  if (delta >= cutoff) expires = clk + cutoff - lvl_gran(depth - 1);  // WHEEL_TIMEOUT_MAX
  return WheelSlot{depth - 1, calc_index(expires, depth - 1)};
}

TimerWheel::TimerWheel(KernelClock clock, uint64_t boot_jiffies, Duration phase) : clock_(clock) {
  clock_.uptime = boot_jiffies - KernelClock::initial_jiffies(clock.hz);
  clock_.phase = phase;
}

TimerWheel TimerWheel::for_host(KernelClock clock, Rng rng) {
  // Hash the copy's next draw once more, so the wheel is not the host's first ISN in disguise.
  uint64_t state = rng.next_u64() ^ 0x7469'6d65'7277'6865ULL;  // "timerwhe"
  Rng wheel_rng(splitmix64(state), "timer_wheel");
  // The phase is below one jiffy: [0, ceil(10^9 / HZ)) ns, 3333334 values at HZ 300.
  const int64_t jiffy = clock.span(1).ns();
  const Duration phase =
      Duration::nanoseconds(static_cast<int64_t>(wheel_rng.uniform_int(0, jiffy - 1)));
  const uint64_t uptime = wheel_rng.uniform_int(0, (uint64_t{1} << 24) - 1);
  return TimerWheel(clock, KernelClock::initial_jiffies(clock.hz) + uptime, phase);
}

Instant TimerWheel::fire_at(Instant now, uint64_t expires) const {
  const uint64_t j = jiffies(now);
  const uint64_t clk = running ? j + 1 : j;
  const WheelSlot slot = calc_wheel_index(expires, clk, clock_.hz);
  // A bucket at or before the current jiffy is collected by the next tick's softirq.
  return tick(std::max(slot.bucket_expiry, j + 1));
}

Instant TimerWheel::arm(Instant now, Duration timeout) const {
  return fire_at(now, jiffies(now) + to_jiffies(timeout));
}

}  // namespace netsim::tcp
