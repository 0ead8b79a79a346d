// A real-time run of a scenario: checks that it is safe to connect to the real stack, creates
// one TUN device and bridge per `tun:` host, then drives the ScenarioRun on the wall clock
// until its duration, Ctrl-C/SIGTERM, or (without real peers) until no event is left. The
// CLI's `netsim run --realtime` and the integration tests both use it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "realtime/driver.hpp"
#include "realtime/error.hpp"
#include "realtime/tun_bridge.hpp"
#include "realtime/tun_device.hpp"
#include "scenarios/runner/scenario_run.hpp"

namespace netsim::realtime {

// Throws RealtimeError for what must never reach a real stack: a syn_flood aimed at a `tun:`
// host, or one whose spoofed sources include a `tun:` host's address (its victim's answers
// would go to the real stack).
void check_real_peer_safety(const Scenario& s);

// The routes a `tun:` host's device gets: every scenario address but those local to its kernel
// (its own, and other `tun:` hosts' in the same network namespace).
TunConfig tun_config_for(const Scenario& s, const HostSpec& real_host);

struct SessionOptions {
  bool handle_signals = true;  // SIGINT/SIGTERM end the run gracefully (outputs are written)
  // Wall-clock seconds after which the run ends gracefully, as on Ctrl-C; 0: no limit.
  double max_wall_seconds = 0;
  // Skip the route safety check (realtime/route_safety.hpp): --allow-routed-address.
  bool allow_routed_addresses = false;
};

class RealtimeSession {
 public:
  // Creates and configures every device (throws RealtimeError); nothing runs yet.
  explicit RealtimeSession(ScenarioRun& run, SessionOptions options = {});
  // Closes every device: the kernel deletes them with their addresses and routes.
  ~RealtimeSession();
  RealtimeSession(const RealtimeSession&) = delete;
  RealtimeSession& operator=(const RealtimeSession&) = delete;

  // What is reachable at which address, for the terminal (banner.cpp).
  std::string banner() const;
  // Runs the scenario (ScenarioRun::run_driven) and closes the devices when it ends.
  void run();
  // The signal that ended the run (SIGINT, SIGTERM), or 0.
  int interrupted_by() const { return signal_; }
  // The run ended at --max-wall (SessionOptions::max_wall_seconds).
  bool wall_exceeded() const { return wall_exceeded_; }
  // Packets the kernel dropped on each device (/proc/net/dev), read when the devices close:
  // "netsim0: 12 packets dropped by the kernel's TUN queue (rx 0, tx 12)"; the same figures
  // and the bridge's counters go to the run's summary.json ("tun").
  const std::vector<std::string>& device_drops() const { return device_drops_; }

  const TunBridge* bridge(std::string_view host) const;
  boost::asio::io_context& io() { return io_; }
  RealtimeDriver& driver() { return driver_; }

 private:
  void report_device(size_t i);

  ScenarioRun& run_;
  SessionOptions options_;
  boost::asio::io_context io_;  // first: destroyed after everything that uses it
  RealtimeDriver driver_;
  NetnsSet netns_;  // before devices_: a created namespace is deleted after its device
  std::vector<std::unique_ptr<TunDevice>> devices_;
  std::vector<std::unique_ptr<TunBridge>> bridges_;
  std::vector<std::string> bridge_hosts_;
  std::optional<boost::asio::signal_set> signals_;
  std::optional<boost::asio::steady_timer> wall_timer_;
  int signal_ = 0;
  bool wall_exceeded_ = false;
  std::vector<std::string> device_drops_;
};

// The banner's text: the run, each real peer, its device and address, and every simulated
// host it can reach with the servers listening there.
std::string realtime_banner(const Scenario& s);

}  // namespace netsim::realtime
