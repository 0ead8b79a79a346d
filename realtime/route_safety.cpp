// Route and address checks of the TUN bridge; see route_safety.hpp.
#include "realtime/route_safety.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <fstream>
#include <sstream>

#include "realtime/error.hpp"

namespace netsim::realtime {
namespace {

// /proc/net/route prints addresses as the hex of the in-memory (network order) u32.
std::optional<Ipv4Addr> proc_hex(const std::string& s) {
  if (s.size() != 8 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return std::nullopt;
  }
  uint32_t raw = static_cast<uint32_t>(std::stoul(s, nullptr, 16));
  return Ipv4Addr{ntohl(raw)};
}

int prefix_length(uint32_t mask) {
  return __builtin_popcount(mask);
}

}  // namespace

std::optional<std::string> route_conflict(Ipv4Addr addr, std::string_view proc_route,
                                          const std::vector<Ipv4Addr>& local) {
  if ((addr.value >> 24) == 127) return std::string("it is a loopback address of this machine");
  for (const auto& l : local) {
    if (l == addr) return std::string("it is already an address of this machine");
  }
  std::istringstream in{std::string(proc_route)};
  std::string line;
  std::getline(in, line);  // header: Iface Destination Gateway Flags RefCnt Use Metric Mask ...
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string iface, dest, gw, flags, refcnt, use, metric, mask;
    if (!(f >> iface >> dest >> gw >> flags >> refcnt >> use >> metric >> mask)) continue;
    auto d = proc_hex(dest), g = proc_hex(gw), m = proc_hex(mask);
    if (!d || !g || !m) continue;
    if (m->value == 0) {  // the default route
      if (g->value == addr.value) {
        return fmt::format("it is the default gateway (default via {} dev {})", g->to_string(),
                           iface);
      }
      continue;
    }
    if ((addr.value & m->value) == (d->value & m->value)) {
      std::string via = g->value != 0 ? fmt::format(" via {}", g->to_string()) : "";
      return fmt::format("the machine already routes it: {}/{}{} dev {}", d->to_string(),
                         prefix_length(m->value), via, iface);
    }
  }
  return std::nullopt;
}

std::vector<Ipv4Addr> local_addresses() {
  std::vector<Ipv4Addr> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    out.push_back(Ipv4Addr{ntohl(sin->sin_addr.s_addr)});
  }
  ::freeifaddrs(list);
  return out;
}

std::string read_proc_route() {
  std::ifstream in("/proc/net/route");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void check_routes_safe(const std::vector<std::pair<Ipv4Addr, std::string>>& addrs) {
  std::string routes = read_proc_route();
  std::vector<Ipv4Addr> local = local_addresses();
  for (const auto& [addr, host] : addrs) {
    if (auto why = route_conflict(addr, routes, local)) {
      throw RealtimeError(fmt::format(
          "refusing to route {} (host {}) into a TUN device: {}; netsim would take it over "
          "while it runs and could cut this machine off. Use other addresses in the scenario, "
          "or pass --allow-routed-address if you are sure",
          addr.to_string(), host, *why));
    }
  }
}

}  // namespace netsim::realtime
