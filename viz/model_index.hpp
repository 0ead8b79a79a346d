// Internal to viz/: one pass over the trace that answers the questions the model builder asks
// (which host owns an address, which app owns a socket, which records end a packet's life) and
// the filter that decides which conversations a diagram shows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sim/trace.hpp"
#include "viz/diagram.hpp"
#include "viz/hash.hpp"

namespace netsim::viz::detail {

// A conversation: the unordered pair of its two endpoints (smaller first).
using ConvKey = std::pair<SocketAddr, SocketAddr>;
inline ConvKey conv_key(SocketAddr x, SocketAddr y) {
  return x < y ? ConvKey{x, y} : ConvKey{y, x};
}

// The per-packet tables (addresses, conversations, packet ends) are hash tables or sorted
// vectors: a flood trace has a conversation per packet. See viz/hash.hpp for the rule on
// iterating them.
struct TraceIndex {
  std::vector<size_t> order;                               // record indices by (time, index)
  std::unordered_map<uint32_t, std::string> host_of_addr;  // address -> node sending from it
  std::map<SocketAddr, std::string> app_of;                // socket -> owning application
  std::unordered_set<SocketAddr, SocketAddrHash> sockets;  // endpoints with traced TCP state
  std::map<std::string, std::set<ConvKey>> convs_of_app;
  std::map<std::string, std::set<SocketAddr>> listeners_of_app;
  // Recv and drop records: end_uids sorted, end_records the record of each, by time per uid.
  std::vector<uint64_t> end_uids;
  std::vector<size_t> end_records;
  // Who sent a conversation's first packet.
  std::unordered_map<ConvKey, SocketAddr, SocketPairHash> initiator;
  std::set<std::string> hosts;
  Instant first, last;  // span of the whole trace

  // The node owning address `a`, null when none does.
  const std::string* host_of(Ipv4Addr a) const;
  // The recv and drop records of packet `uid`, in time order.
  std::span<const size_t> ends_of_uid(uint64_t uid) const;
};

TraceIndex build_index(const std::vector<TraceRecord>& records);

// Which conversations the connection filter keeps; no value when there is no filter.
// Throws DiagramError naming the apps when an entry matches nothing.
std::optional<std::set<ConvKey>> select_conversations(const TraceIndex& index,
                                                      const std::vector<std::string>& filter);

}  // namespace netsim::viz::detail
