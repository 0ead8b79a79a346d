// The Simulator owns virtual time, the event queue, the trace and the seed from which every
// random stream is derived. There is no global simulator (DESIGN.md property 3): main and the
// tests own one and pass it explicitly; two simulators in one process are independent.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "sim/event_queue.hpp"
#include "sim/rng.hpp"
#include "sim/time.hpp"
#include "sim/trace.hpp"

namespace netsim {

// Raised when a run exceeds its configured event budget (a runaway scenario).
class EventLimitExceeded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Simulator {
 public:
  // Any callable taking no arguments can be scheduled; this type is kept for callers that
  // name it.
  using Callback = std::function<void()>;

  explicit Simulator(uint64_t seed = 1) : seed_(seed) {}
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  Instant now() const { return now_; }
  uint64_t seed() const { return seed_; }

  // Scheduling in the past is a programming error: it throws std::logic_error. `f` is stored
  // in place (no std::function): a callable of up to 10 bytes (e.g. a lambda capturing only
  // `this`) costs no allocation; a larger one is allocated.
  template <class F>
  EventHandle schedule_at(Instant t, F&& f) {
    if (t < now_) in_the_past("scheduled in", t);
    return queue_.schedule(t, std::forward<F>(f));
  }
  template <class F>
  EventHandle schedule_in(Duration d, F&& f) {
    return schedule_at(now_ + d, std::forward<F>(f));
  }
  // Schedules (obj->*M)(arg) at t, stored in place (16-byte slot): for the hot call sites,
  // whose lambdas capturing `this` and an id would not fit in place. M takes the 32-bit `arg`
  // followed by the constants `Bound...`, e.g. schedule_call_at<&Host::step, 1u>(t, this, id)
  // runs this->step(id, 1u).
  template <auto M, auto... Bound, class T>
  EventHandle schedule_call_at(Instant t, T* obj, uint32_t arg) {
    if (t < now_) in_the_past("scheduled in", t);
    return queue_.template schedule_call<M, Bound...>(t, obj, arg);
  }
  bool cancel(EventHandle h) { return queue_.cancel(h); }
  // Moves a pending event to t, ordered as if newly scheduled; `h` is updated to name it.
  bool reschedule(EventHandle& h, Instant t);
  bool pending(EventHandle h) const { return queue_.pending(h); }

  // Runs until no event is left or stop() is called.
  void run();
  // Runs every event with time <= t, then leaves now() at t (unless stopped earlier).
  void run_until(Instant t);
  // Makes run()/run_until() return after the current event.
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

  uint64_t events_executed() const { return executed_; }
  size_t events_pending() const { return queue_.size(); }
  std::optional<Instant> next_event_time() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.next_time();
  }
  // 0 = unlimited. Exceeding it throws EventLimitExceeded from run()/run_until().
  void set_event_limit(uint64_t n) {
    event_limit_ = n;
    limit_at_ = n != 0 ? n : UINT64_MAX;
  }

  // Calls `fn` every `every` executed events, outside any event: for progress lines and
  // wall-clock guards. It schedules nothing, so it never changes what the run does.
  void set_observer(uint64_t every, std::function<void()> fn) {
    observe_every_ = every;
    observer_ = std::move(fn);
    // The first multiple of `every` at or after now: one set inside an event still sees the
    // count that event made, as before.
    observe_at_ = every == 0               ? UINT64_MAX
                  : executed_ % every == 0 ? executed_
                                           : (executed_ / every + 1) * every;
  }

  // A random stream for an entity, derived from (seed, entity id) only.
  Rng rng_stream(std::string_view entity_id) const { return Rng(seed_, entity_id); }

  Trace& trace() { return trace_; }

 private:
  // Runs events up to `limit` until none is left or stop(). The event limit and the observer
  // are looked at only when executed_ reaches limit_at_ or observe_at_: two comparisons per
  // event instead of five (the hold model's run loop, issue 16).
  void run_loop(Instant limit);
  // False if no event is left at or before `limit` (the run ends quietly); else throws.
  [[gnu::noinline]] bool limit_reached(Instant limit) const;
  [[gnu::noinline]] void observe();
  [[noreturn]] void in_the_past(const char* what, Instant t) const;

  EventQueue queue_;
  Instant now_;
  uint64_t seed_;
  uint64_t executed_ = 0;
  uint64_t event_limit_ = 0;
  uint64_t limit_at_ = UINT64_MAX;    // event_limit_, or never
  uint64_t observe_at_ = UINT64_MAX;  // the next executed_ count at which observe() runs
  bool stopped_ = false;
  uint64_t observe_every_ = 0;
  std::function<void()> observer_;
  Trace trace_;
};

}  // namespace netsim
