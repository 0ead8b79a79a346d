// The run loop: pop the earliest event, advance virtual time to it, run it.
#include "sim/simulator.hpp"

#include <fmt/format.h>

#include "sim/units.hpp"

namespace netsim {

void Simulator::in_the_past(const char* what, Instant t) const {
  throw std::logic_error(fmt::format("event {} the past: at {} while now is {}", what,
                                     format_seconds(t), format_seconds(now_)));
}

bool Simulator::reschedule(EventHandle& h, Instant t) {
  if (t < now_) in_the_past("rescheduled into", t);
  return queue_.reschedule(h, t);
}

bool Simulator::limit_reached(Instant limit) const {
  if (queue_.empty() || queue_.next_time() > limit) return false;
  throw EventLimitExceeded(
      fmt::format("the run exceeded its limit of {} events at virtual time {} s (raise it with "
                  "--max-events)",
                  event_limit_, format_seconds(now_)));
}

void Simulator::observe() {
  if (executed_ % observe_every_ == 0 && observer_) observer_();
  observe_at_ = (executed_ / observe_every_ + 1) * observe_every_;
}

void Simulator::run_loop(Instant limit) {
  stopped_ = false;
  while (!stopped_) {
    if (executed_ >= limit_at_ && !limit_reached(limit)) return;
    const bool ran = queue_.run_next_until(limit, [this](Instant t) {
      now_ = t;
      ++executed_;
    });
    if (!ran) return;
    if (executed_ >= observe_at_) observe();
  }
}

void Simulator::run() {
  run_loop(Instant::max());
}

void Simulator::run_until(Instant t) {
  run_loop(t);
  if (!stopped_ && now_ < t) now_ = t;
}

}  // namespace netsim
