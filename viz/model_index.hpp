// Internal to viz/: one pass over the trace that answers the questions the model builder asks
// (which host owns an address, which app owns a socket, which records end a packet's life) and
// the filter that decides which conversations a diagram shows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/trace.hpp"
#include "viz/diagram.hpp"

namespace netsim::viz::detail {

// A conversation: the unordered pair of its two endpoints (smaller first).
using ConvKey = std::pair<SocketAddr, SocketAddr>;
inline ConvKey conv_key(SocketAddr x, SocketAddr y) {
  return x < y ? ConvKey{x, y} : ConvKey{y, x};
}

struct TraceIndex {
  std::vector<size_t> order;                     // record indices by (time, index)
  std::map<uint32_t, std::string> host_of_addr;  // address -> node that sends from / owns it
  std::map<SocketAddr, std::string> app_of;      // socket -> owning application
  std::set<SocketAddr> sockets;                  // endpoints a real TCP socket traced state on
  std::map<std::string, std::set<ConvKey>> convs_of_app;
  std::map<std::string, std::set<SocketAddr>> listeners_of_app;
  std::map<uint64_t, std::vector<size_t>> ends_of_uid;  // recv and drop records, by time
  std::map<ConvKey, SocketAddr> initiator;              // who sent a conversation's first packet
  std::set<std::string> hosts;
  Instant first, last;  // span of the whole trace

  std::optional<std::string> host_of(Ipv4Addr a) const;
};

TraceIndex build_index(const std::vector<TraceRecord>& records);

// Which conversations the connection filter keeps; no value when there is no filter.
// Throws DiagramError naming the apps when an entry matches nothing.
std::optional<std::set<ConvKey>> select_conversations(const TraceIndex& index,
                                                      const std::vector<std::string>& filter);

}  // namespace netsim::viz::detail
