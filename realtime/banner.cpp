// The banner a real-time run prints before it starts: what is reachable at which address, so
// a user knows what to point curl or nc at.
#include <fmt/format.h>

#include <algorithm>

#include "realtime/session.hpp"
#include "sim/units.hpp"

namespace netsim::realtime {
namespace {

std::string ending(const Scenario& s, bool real_peers) {
  if (s.duration) return fmt::format("ends at {} or on Ctrl-C", format_duration(*s.duration));
  return real_peers ? "runs until Ctrl-C" : "ends when no event is left, or on Ctrl-C";
}

}  // namespace

std::string realtime_banner(const Scenario& s) {
  bool real_peers = std::any_of(s.hosts.begin(), s.hosts.end(), [](auto& h) { return h.tun; });
  std::string out =
      fmt::format("netsim: real-time run of {}: virtual time follows the wall clock; {}\n", s.name,
                  ending(s, real_peers));
  size_t width = 0;
  for (const auto& h : s.hosts)
    width = std::max(width, h.name.size());
  for (const auto& real : s.hosts) {
    if (!real.tun) continue;
    const std::string& dev = *real.tun;
    // In its own namespace, programs reach it through `ip netns exec`.
    std::string in_ns = real.netns ? fmt::format(" in network namespace {}", *real.netns) : "";
    std::string exec = real.netns ? fmt::format("ip netns exec {} ", *real.netns) : "";
    out += fmt::format("  {}: this machine's Linux TCP stack on TUN device {}{}, address {}\n",
                       real.name, dev, in_ns, real.address.to_string());
    out += fmt::format("    reachable through {}:\n", dev);
    std::string try_line;
    for (const auto& h : s.hosts) {
      // Real hosts sharing a kernel are local to each other, not reachable through the device.
      if (h.tun && (h.name == real.name || h.netns == real.netns)) continue;
      std::string listening;
      for (const auto& a : s.apps) {
        const TcpServerSpec* sv = a.server();
        if (!sv || sv->on != h.name) continue;
        listening +=
            fmt::format("{}tcp port {} ({})", listening.empty() ? "" : ", ", sv->port, sv->name);
        if (try_line.empty())
          try_line = fmt::format("{}nc {} {}", exec, h.address.to_string(), sv->port);
      }
      if (h.tun) {
        listening = h.netns ? fmt::format("real Linux stack in network namespace {}", *h.netns)
                            : std::string("real Linux stack in netsim's network namespace");
      }
      out += fmt::format(
          "      {:<{}}  {:<15} {}\n", h.name, width, h.address.to_string(),
          !listening.empty() ? (h.tun ? listening : "listening on " + listening) : "(no server)");
    }
    if (!try_line.empty()) out += fmt::format("    try: {}\n", try_line);
    out += fmt::format(
        "    only these addresses are routed into {}; packets to or from any other address "
        "are dropped, never forwarded\n",
        dev);
  }
  return out;
}

}  // namespace netsim::realtime
