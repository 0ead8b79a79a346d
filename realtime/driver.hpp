// The real-time driver: runs the ordinary Simulator with virtual time paced to the wall clock
// on a Boost.Asio io_context, so real I/O (the TUN bridge) can share the loop. Inside the
// simulation nothing changes: events still run in (time, insertion) order.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <optional>
#include <vector>

#include "sim/simulator.hpp"
#include "sim/time.hpp"

namespace netsim::realtime {

class RealtimeDriver {
 public:
  RealtimeDriver(Simulator& sim, boost::asio::io_context& io);
  RealtimeDriver(const RealtimeDriver&) = delete;
  RealtimeDriver& operator=(const RealtimeDriver&) = delete;

  // Runs the io_context with virtual time following the wall clock from the simulator's
  // current time, until `end` (virtual), stop(), the simulator being stopped (an observer's
  // wall-clock guard), or, when `stop_when_idle`, no event being left. Returns with now() at
  // `end` when it was reached. Exceptions from events (EventLimitExceeded) propagate.
  void run(std::optional<Instant> end, bool stop_when_idle);

  // The virtual time the wall clock has reached (never before the simulator's now()).
  Instant wall_now() const;
  // Runs every event that is due by the wall clock (capped at the end). I/O handlers call
  // this before injecting input, so the input happens at the current virtual time and after
  // everything that should already have happened.
  void catch_up();
  // Called after every batch of events that ran together (one wake-up, one catch-up): the
  // bridges write out the packets they held to merge (GRO).
  void on_batch_end(std::function<void()> f) { batch_end_.push_back(std::move(f)); }
  // Re-arms the wake-up after input added events (the next one may now be earlier).
  void rearm();
  // Ends run() after the current handler; the simulation keeps its current time.
  void stop();
  bool running() const { return running_; }
  // Virtual time reached the end (or the simulator has nothing left and stop_when_idle).
  bool finished() const { return finished_; }

 private:
  using Clock = std::chrono::steady_clock;
  void on_wake(const boost::system::error_code& ec, uint64_t generation);
  // Runs the events due by the wall clock, leaving now() at the last one (or at the end).
  void run_due();
  void finish();
  void end_batch();

  Simulator& sim_;
  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  Clock::time_point origin_;  // the wall-clock moment of virtual time zero
  std::optional<Instant> end_;
  bool stop_when_idle_ = false;
  bool running_ = false;
  bool finished_ = false;
  uint64_t generation_ = 0;  // tells a cancelled wait from the current one
  // The wake-up the timer is armed for, while its wait is pending. Every re-arm costs a
  // timerfd_settime() (an hrtimer reprogramming, and in a VM a trap to the hypervisor): at
  // 1 Gbit/s that was a quarter of the bridge's time, so an armed wake-up that is not later
  // than the next event is kept (waking early only runs nothing and re-arms).
  std::optional<Instant> armed_;
  std::vector<std::function<void()>> batch_end_;
};

}  // namespace netsim::realtime
