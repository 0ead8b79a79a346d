// The real-time loop: one steady_timer armed for the next event (or the end), I/O handlers on
// the same io_context, and run_due()/catch_up() running whatever the wall clock made due.
#include "realtime/driver.hpp"

#include <algorithm>
#include <boost/asio/error.hpp>

namespace netsim::realtime {

RealtimeDriver::RealtimeDriver(Simulator& sim, boost::asio::io_context& io)
    : sim_(sim), io_(io), timer_(io) {}

void RealtimeDriver::run(std::optional<Instant> end, bool stop_when_idle) {
  end_ = end;
  stop_when_idle_ = stop_when_idle;
  finished_ = false;
  armed_.reset();
  // Virtual time continues from where the simulator is (zero for a fresh run).
  origin_ = Clock::now() - std::chrono::nanoseconds(sim_.now().ns());
  running_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{running_};
  io_.restart();
  run_due();  // events at time zero (servers listening) run before any input is read
  rearm();
  if (!running_ || finished_) return;
  io_.run();
}

Instant RealtimeDriver::wall_now() const {
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - origin_);
  return std::max(Instant::from_ns(elapsed.count()), sim_.now());
}

void RealtimeDriver::catch_up() {
  if (!running_ || finished_) return;
  Instant target = wall_now();
  if (end_ && target > *end_) target = *end_;
  sim_.run_until(target);
  end_batch();
  // An observer (the CLI's --max-wall guard) stopped the simulator: the run ends here.
  if (sim_.stopped()) stop();
}

void RealtimeDriver::run_due() {
  if (!running_ || finished_) return;
  Instant wall = wall_now();
  Instant target = end_ ? std::min(wall, *end_) : wall;
  // Event by event time, so that virtual time rests at the last event (as in a virtual-time
  // run) rather than at the moment the timer happened to wake up.
  for (auto next = sim_.next_event_time(); next && *next <= target; next = sim_.next_event_time()) {
    sim_.run_until(*next);
    if (sim_.stopped()) {
      end_batch();
      return stop();
    }
  }
  if (end_ && wall >= *end_) sim_.run_until(*end_);  // ends exactly at the end, like run()
  end_batch();
}

void RealtimeDriver::end_batch() {
  for (auto& f : batch_end_)
    f();
}

void RealtimeDriver::rearm() {
  if (!running_ || finished_) return;
  if (end_ && sim_.now() >= *end_) return finish();
  std::optional<Instant> next = sim_.next_event_time();
  if (!next && stop_when_idle_) return finish();
  Instant target = next.value_or(Instant::max());
  if (end_) target = std::min(target, *end_);
  // Nothing scheduled: only I/O (or a signal) can wake us; a wait still armed wakes us once
  // for nothing, which costs less than cancelling it.
  if (target == Instant::max()) return;
  if (armed_ && *armed_ <= target) return;  // it wakes us in time and re-arms then
  ++generation_;                            // any wait already armed is now stale
  armed_ = target;
  timer_.expires_at(origin_ + std::chrono::nanoseconds(target.ns()));
  timer_.async_wait(
      [this, g = generation_](const boost::system::error_code& ec) { on_wake(ec, g); });
}

void RealtimeDriver::on_wake(const boost::system::error_code& ec, uint64_t generation) {
  if (ec == boost::asio::error::operation_aborted || generation != generation_) return;
  armed_.reset();
  run_due();
  rearm();
}

void RealtimeDriver::stop() {
  timer_.cancel();
  armed_.reset();
  io_.stop();
  running_ = false;
}

void RealtimeDriver::finish() {
  finished_ = true;
  stop();
}

}  // namespace netsim::realtime
