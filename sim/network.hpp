// The network: hosts and routers joined by links, shortest-path routing, fault rules, and the
// trace of every packet's fate. A host's protocol stack hands packets to send() and receives
// them through the receiver it registered (the demux hook the TCP layer plugs into).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/link.hpp"
#include "sim/packet.hpp"
#include "sim/simulator.hpp"
#include "sim/trace.hpp"

namespace netsim {

struct Node {
  enum class Kind : uint8_t { host, router };
  NodeId id = 0;
  Kind kind = Kind::host;
  std::string name;
  std::vector<Ipv4Addr> addresses;  // hosts: one or more; routers: none needed
  std::vector<LinkId> links;        // attached links in creation order
  bool up = true;                   // false after a crash: arriving packets drop as host_down
};

// Which packets a fault rule applies to; unset fields match anything.
struct PacketMatch {
  // Default member initializers let callers write PacketMatch{.flags = ...} warning-free.
  std::optional<Ipv4Addr> src{}, dst{};
  std::optional<TcpFlags> flags{};  // exact match of the flag bits
  std::optional<uint16_t> sport{}, dport{};
  std::optional<bool> payload{};  // true: has payload; false: has none
  bool matches(const Packet& p) const;
  std::string to_string() const;
};

// A scenario fault rule on packets, applied at the origin host in send(), rules in the order
// added. Each rule counts the packets it matches and acts on match numbers nth .. nth+count-1.
// A drop ends the chain; delay (summed), duplicate and corrupt combine.
struct PacketFault {
  enum class Action : uint8_t { drop, delay, duplicate, corrupt };
  Action action = Action::drop;
  PacketMatch match;
  uint64_t nth = 1;    // first affected matching packet (1-based)
  uint64_t count = 0;  // how many from there; 0 = all
  Duration by;         // delay only
};
std::string_view to_string(PacketFault::Action a);  // "drop", "delay", ...

// Packets on the wire at once are bounded (docs/reliability.md "Limits"): `duplicate: 100%`
// on a chain of routers doubles the packets at every hop and would fill memory in seconds
// (issue 17 §4). Over the limit the run stops with this error (exit 2), like the event budget.
class PacketLimitExceeded : public EventLimitExceeded {
 public:
  using EventLimitExceeded::EventLimitExceeded;
};

class Network {
 public:
  // About 300 bytes each (packet and event): 1,000,000 in flight is ~300 MB.
  static constexpr uint64_t kMaxPacketsInFlight = 1'000'000;

  using Receiver = std::function<void(const Packet&)>;

  explicit Network(Simulator& sim);

  NodeId add_host(std::string name, std::vector<Ipv4Addr> addresses);
  NodeId add_router(std::string name);
  LinkId add_link(NodeId a, NodeId b, LinkParams a_to_b, LinkParams b_to_a);
  // Routes: fewest hops, ties broken by link creation order; paths transit routers only (a
  // host never forwards). Static: a link going down does not reroute. Call after the topology
  // is complete; each node's table is then built when it first forwards a packet, and adding a
  // node or link later makes the next packet rebuild them.
  void compute_routes();

  // The demux hook: a host's stack receives every packet addressed to one of its addresses.
  void set_receiver(NodeId host, Receiver rx);
  // A host sends a packet (its stack built it). Traces `send`, applies fault rules, routes it.
  // Taken by reference to the wire (a stack hands over the packet it built; a copy otherwise).
  // Returns when the first hop has sent its last bit (its TX completion, tcp_wfree()): later
  // than now only while a link of finite bandwidth serialises it or queues it behind others;
  // now when the packet was dropped, delayed by a fault rule, looped back or sent at once.
  Instant send(NodeId from, Packet&& p);
  Instant send(NodeId from, const Packet& p) { return send(from, Packet(p)); }

  void add_fault(PacketFault f);
  // State changes only; the scenario layer emits the FaultRecords (link_down, crash, ...).
  // Packets already on the wire when a link goes down still arrive.
  void set_link_up(LinkId l, bool up);
  void set_link_params(LinkId l, NodeId from, LinkParams p);  // one direction
  void set_host_up(NodeId n, bool up);

  const Node& node(NodeId n) const { return nodes_[n]; }
  size_t node_count() const { return nodes_.size(); }
  Link& link(LinkId l) { return *links_[l]; }
  const Link& link(LinkId l) const { return *links_[l]; }
  size_t link_count() const { return links_.size(); }
  std::optional<NodeId> find_node(std::string_view name) const;
  std::optional<NodeId> owner_of(Ipv4Addr a) const;
  std::optional<LinkId> link_between(NodeId a, NodeId b) const;

  uint64_t packets_sent() const { return packets_sent_; }
  uint64_t packets_in_flight() const { return in_flight_; }
  uint64_t drops(DropReason r) const { return drops_[static_cast<size_t>(r)]; }
  // For stacks that drop on their own (SYN queue full, no listener): counts and traces it.
  void record_drop(NodeId at, const Packet& p, DropReason r, std::string detail = {});

  Simulator& sim() { return sim_; }

 private:
  NodeId add_node(std::string name, Node::Kind kind, std::vector<Ipv4Addr> addresses);
  // Counts a drop; builds the detail text (detail() -> std::string) only when tracing.
  template <typename Detail>
  void drop(NodeId at, const Packet& p, DropReason r, Detail&& detail);
  std::string link_name(const Link& l) const;
  // The packet travels by reference from send() to its slot on the wire: a 144-byte Packet
  // moved at every call was four moves and four destructor calls a hop.
  Instant forward(NodeId at, Packet&& p);  // route from `at` toward p.dst; send()'s result
  // next_hop_[src], computed on first use.
  const std::vector<std::optional<LinkId>>& routes_from(NodeId src);
  Instant transmit(NodeId from, LinkId l, Packet&& p);
  void arrive(NodeId at, Packet& p);
  Instant apply_faults_and_route(NodeId from, Packet&& p);
  // Schedules p's arrival at `to`, counted in flight until arrive() takes it.
  void schedule_arrival(Instant at, NodeId to, Packet&& p);
  // The arrival event of the packet in flight slot `slot`.
  void land(uint32_t slot);

  Simulator& sim_;
  std::vector<Node> nodes_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<Receiver> receivers_;
  std::unordered_map<uint32_t, NodeId> address_owner_;
  // next_hop_[node][dest node] = link to take, or no value; a node's row is empty until
  // routes_from() first needs it.
  std::vector<std::vector<std::optional<LinkId>>> next_hop_;
  bool routes_valid_ = false;
  struct FaultState {
    PacketFault fault;
    uint64_t matched = 0;
  };
  std::vector<FaultState> faults_;
  uint64_t next_uid_ = 1;
  uint64_t packets_sent_ = 0;
  uint64_t in_flight_ = 0;
  // Packets on the wire, by slot, and the node each goes to: an arrival event carries its slot
  // (schedule_call_at), so it fits the event queue's 16-byte slot where a captured 144-byte
  // Packet cost a malloc and a free per hop. Freed slots are reused; the deque keeps its high-water
  // size, and a packet is handled in its slot (a deque's elements do not move when it grows).
  std::deque<Packet> flight_;
  std::vector<NodeId> flight_to_;
  std::vector<uint32_t> free_flight_;
  static constexpr size_t kKeepFlightSlots = 4096;  // kept when the wire goes quiet
  std::array<uint64_t, 13> drops_{};
};

}  // namespace netsim
