// The run loop: pop the earliest event, advance virtual time to it, run it.
#include "sim/simulator.hpp"

#include <fmt/format.h>

#include "sim/units.hpp"

namespace netsim {

void Simulator::in_the_past(const char* what, Instant t) const {
  throw std::logic_error(fmt::format("event {} the past: at {} while now is {}", what,
                                     format_seconds(t), format_seconds(now_)));
}

bool Simulator::reschedule(EventHandle h, Instant t) {
  if (t < now_) in_the_past("rescheduled into", t);
  return queue_.reschedule(h, t);
}

bool Simulator::step(Instant limit) {
  if (event_limit_ != 0 && executed_ >= event_limit_) {
    if (queue_.empty() || queue_.next_time() > limit) return false;
    throw EventLimitExceeded(
        fmt::format("the run exceeded its limit of {} events at virtual time {} s (raise it with "
                    "--max-events)",
                    event_limit_, format_seconds(now_)));
  }
  const bool ran = queue_.run_next_until(limit, [this](Instant t) {
    now_ = t;
    ++executed_;
  });
  if (ran && observe_every_ != 0 && executed_ % observe_every_ == 0 && observer_) observer_();
  return ran;
}

void Simulator::run() {
  stopped_ = false;
  while (!stopped_ && step(Instant::max())) {
  }
}

void Simulator::run_until(Instant t) {
  stopped_ = false;
  while (!stopped_ && step(t)) {
  }
  if (!stopped_ && now_ < t) now_ = t;
}

}  // namespace netsim
