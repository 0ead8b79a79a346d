// The `syn_flood` attack: raw SYNs at a fixed rate from spoofed sources in a range (or the
// attacker's own address), written straight onto the network without any socket, as hping3
// or a raw-socket tool would. Replies to spoofed sources find no route and are dropped.
#pragma once

#include <optional>
#include <string>

#include "protocols/apps/app_report.hpp"
#include "sim/network.hpp"
#include "sim/rng.hpp"

namespace netsim::apps {

struct SynFloodConfig {
  std::string name;
  NodeId attacker = 0;
  SocketAddr target;
  Duration interval;  // between two SYNs (from the rate)
  Duration start;
  std::optional<Duration> duration;  // either a duration ...
  std::optional<uint64_t> count;     // ... or a count
  std::optional<Ipv4Prefix> spoof;   // unset: the attacker's own address
  uint16_t mss = 1460;
};

class SynFloodApp {
 public:
  SynFloodApp(Network& net, SynFloodConfig cfg);
  void start();
  const AppReport& report() const { return report_; }
  uint64_t planned() const;  // how many SYNs the configuration asks for

 private:
  void send_one(uint64_t index);

  Network& net_;
  SynFloodConfig cfg_;
  Rng rng_;
  AppReport report_;
};

}  // namespace netsim::apps
