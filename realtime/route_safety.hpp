// The TUN bridge must not cut the machine off (issue 17 §7): before any device exists, every
// address netsim would route into a TUN device (or put on one) is checked against the
// machine's own addresses and routes. Pure functions over the text of /proc/net/route, so the
// rules are tested without privilege; docs/reliability.md "The TUN bridge" states them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/packet.hpp"

namespace netsim::realtime {

// Why `addr` must not be routed into a TUN device, or nullopt if it is safe: it is one of
// `local` (the machine's own addresses) or in 127.0.0.0/8; a route of /proc/net/route
// (`proc_route`) other than the default one contains it; or it is the default gateway.
std::optional<std::string> route_conflict(Ipv4Addr addr, std::string_view proc_route,
                                          const std::vector<Ipv4Addr>& local);

// The machine's IPv4 addresses (getifaddrs) and /proc/net/route.
std::vector<Ipv4Addr> local_addresses();
std::string read_proc_route();

// Throws RealtimeError naming the address, its scenario host and the conflict for the first
// unsafe address of `addrs` (pairs of address and host name).
void check_routes_safe(const std::vector<std::pair<Ipv4Addr, std::string>>& addrs);

}  // namespace netsim::realtime
