// Setting up and running a real-time session: safety checks, devices, bridges, signals.
#include "realtime/session.hpp"

#include <fmt/format.h>

#include <chrono>
#include <csignal>

#include "realtime/route_safety.hpp"

namespace netsim::realtime {

void check_real_peer_safety(const Scenario& s) {
  for (const auto& h : s.hosts) {
    if (!h.tun) continue;
    for (const auto& a : s.apps) {
      const SynFloodSpec* f = a.flood();
      if (!f) continue;
      if (f->target.address == h.address) {
        throw RealtimeError(fmt::format(
            "{}: refusing to start syn_flood {}: its SYNs would leave through TUN device {} "
            "to the real Linux stack at {}; flood a simulated host instead",
            f->pos.to_string(), f->name, *h.tun, h.address.to_string()));
      }
      if (f->spoof && f->spoof->contains(h.address)) {
        throw RealtimeError(fmt::format(
            "{}: refusing to start syn_flood {}: its spoofed sources {} include {} ({}), so "
            "the answers to them would leave through TUN device {}; choose a range without it",
            f->pos.to_string(), f->name, f->spoof->to_string(), h.address.to_string(), h.name,
            *h.tun));
      }
    }
  }
}

TunConfig tun_config_for(const Scenario& s, const HostSpec& real_host) {
  TunConfig c;
  c.name = *real_host.tun;
  c.address = real_host.address;
  c.netns = real_host.netns.value_or("");
  // Another `tun:` host's address in the same kernel (both in netsim's namespace, or both in
  // one `netns:`) is local to it: it never goes into a device. In another namespace it is
  // another kernel, reached through the simulation like a simulated host.
  for (const auto& h : s.hosts) {
    if (!h.tun || (h.name != real_host.name && h.netns != real_host.netns))
      c.routes.push_back(h.address);
  }
  return c;
}

RealtimeSession::RealtimeSession(ScenarioRun& run, SessionOptions options)
    : run_(run), options_(options), driver_(run.sim(), io_) {
  const Scenario& s = run.scenario();
  check_real_peer_safety(s);
  if (!options_.allow_routed_addresses) {
    std::vector<std::pair<Ipv4Addr, std::string>> routed;
    for (const auto& h : s.hosts) {
      // A host in its own namespace routes nothing in this one (`ip route add` fails there
      // if the namespace already had a route to the address).
      if (!h.tun || h.netns) continue;
      for (const auto& o : s.hosts)
        routed.push_back({o.address, o.name});  // the simulated hosts and the device's own
    }
    check_routes_safe(routed);
  }
  for (const auto& h : s.hosts) {
    if (!h.tun) continue;
    if (h.netns) netns_.ensure(*h.netns);
    TunConfig config = tun_config_for(s, h);
    std::vector<Ipv4Addr> simulated = config.routes;
    auto& dev = devices_.emplace_back(std::make_unique<TunDevice>(io_, std::move(config)));
    NodeId node = *run.network().find_node(h.name);
    bridges_.push_back(std::make_unique<TunBridge>(run.network(), node, driver_, *dev,
                                                   AddressPolicy(*h.tun, h.address, simulated)));
    bridge_hosts_.push_back(h.name);
  }
}

RealtimeSession::~RealtimeSession() {
  bridges_.clear();
  devices_.clear();
  netns_.remove_created();
}

std::string RealtimeSession::banner() const {
  return realtime_banner(run_.scenario());
}

void RealtimeSession::run() {
  if (options_.handle_signals) {
    signals_.emplace(io_, SIGINT, SIGTERM);
    signals_->async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      signal_ = signo;
      driver_.catch_up();  // the run ends at the moment of Ctrl-C, not at the last event
      driver_.stop();
    });
  }
  if (options_.max_wall_seconds > 0) {
    wall_timer_.emplace(io_);
    wall_timer_->expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(options_.max_wall_seconds)));
    wall_timer_->async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      wall_exceeded_ = true;
      driver_.catch_up();
      driver_.stop();
    });
  }
  for (auto& b : bridges_)
    b->start();
  // Without real peers nothing outside can add events: the run ends when none is left.
  run_.run_driven([this](std::optional<Instant> end) { driver_.run(end, bridges_.empty()); });
  // From here a second Ctrl-C kills the process as usual; the devices go first.
  signals_.reset();
  wall_timer_.reset();
  for (size_t i = 0; i < devices_.size(); ++i)
    report_device(i);
  for (auto& d : devices_)
    d->close();
  netns_.remove_created();
}

// Read before the device closes (the kernel deletes it with its counters).
void RealtimeSession::report_device(size_t i) {
  const std::string& name = devices_[i]->config().name;
  TunQueueDrops drops =
      read_queue_drops(name, devices_[i]->config().netns).value_or(TunQueueDrops{});
  const BridgeCounters& c = bridges_[i]->counters();
  run_.add_tun_report(TunReport{bridge_hosts_[i], name, drops.rx, drops.tx, c.read, c.injected,
                                c.malformed, c.refused_in, c.written, c.refused_out,
                                c.write_errors});
  device_drops_.push_back(
      fmt::format("{}: {} packets dropped by the kernel's TUN queue (rx {}, tx {})", name,
                  drops.rx + drops.tx, drops.rx, drops.tx));
}

const TunBridge* RealtimeSession::bridge(std::string_view host) const {
  for (size_t i = 0; i < bridges_.size(); ++i) {
    if (bridge_hosts_[i] == host) return bridges_[i].get();
  }
  return nullptr;
}

}  // namespace netsim::realtime
