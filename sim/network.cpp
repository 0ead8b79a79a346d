// Topology, routing tables and the life of a packet from send() to its receiver or its drop.
// Every drop is counted by reason; records are built only when the trace has a sink, so a run
// without outputs formats nothing per packet.
#include "sim/network.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace netsim {

std::string PacketMatch::to_string() const {
  std::string s;
  auto add = [&s](std::string part) {
    if (!s.empty()) s += ' ';
    s += part;
  };
  if (src) add("src " + src->to_string());
  if (dst) add("dst " + dst->to_string());
  if (flags) add("flags " + flags->to_string());
  if (sport) add(fmt::format("sport {}", *sport));
  if (dport) add(fmt::format("dport {}", *dport));
  if (payload) add(*payload ? "with payload" : "without payload");
  return s.empty() ? "any packet" : s;
}

bool PacketMatch::matches(const Packet& p) const {
  return (!src || *src == p.src) && (!dst || *dst == p.dst) && (!flags || *flags == p.tcp.flags) &&
         (!sport || *sport == p.tcp.src_port) && (!dport || *dport == p.tcp.dst_port) &&
         (!payload || *payload == !p.tcp.payload.empty());
}

std::string_view to_string(PacketFault::Action a) {
  switch (a) {
    case PacketFault::Action::drop:
      return "drop";
    case PacketFault::Action::delay:
      return "delay";
    case PacketFault::Action::duplicate:
      return "duplicate";
    case PacketFault::Action::corrupt:
      return "corrupt";
  }
  return {};
}

Network::Network(Simulator& sim) : sim_(sim) {}

template <typename Detail>
void Network::drop(NodeId at, const Packet& p, DropReason r, Detail&& detail) {
  ++drops_[static_cast<size_t>(r)];
  if (!sim_.trace().enabled()) return;
  sim_.trace().emit(PacketRecord{sim_.now(), PacketEvent::drop, nodes_[at].name, p, r, detail()});
}

void Network::record_drop(NodeId at, const Packet& p, DropReason r, std::string detail) {
  drop(at, p, r, [&] { return std::move(detail); });
}

std::string Network::link_name(const Link& l) const {
  return fmt::format("{}-{}", nodes_[l.a()].name, nodes_[l.b()].name);
}

NodeId Network::add_node(std::string name, Node::Kind kind, std::vector<Ipv4Addr> addresses) {
  if (find_node(name)) throw std::invalid_argument(fmt::format("node {} already exists", name));
  NodeId id = static_cast<NodeId>(nodes_.size());
  for (Ipv4Addr a : addresses) {
    auto [it, fresh] = address_owner_.emplace(a.value, id);
    if (!fresh) {
      throw std::invalid_argument(fmt::format("address {} of {} already belongs to {}",
                                              a.to_string(), name, nodes_[it->second].name));
    }
  }
  nodes_.push_back(Node{id, kind, std::move(name), std::move(addresses), {}, true});
  receivers_.emplace_back();
  routes_valid_ = false;
  return id;
}

NodeId Network::add_host(std::string name, std::vector<Ipv4Addr> addresses) {
  return add_node(std::move(name), Node::Kind::host, std::move(addresses));
}

NodeId Network::add_router(std::string name) {
  return add_node(std::move(name), Node::Kind::router, {});
}

LinkId Network::add_link(NodeId a, NodeId b, LinkParams a_to_b, LinkParams b_to_a) {
  if (a >= nodes_.size() || b >= nodes_.size() || a == b) {
    throw std::invalid_argument("a link joins two different existing nodes");
  }
  // A parallel link between the same pair gets a suffixed stream name, so that neither its
  // draws nor the first link's change when it is added.
  size_t parallel = 0;
  for (LinkId l : nodes_[a].links) {
    if (links_[l]->other(a) == b) ++parallel;
  }
  std::string suffix = parallel == 0 ? "" : fmt::format("#{}", parallel + 1);
  auto stream = [&](NodeId from, NodeId to) {
    return sim_.rng_stream(
        fmt::format("link:{}->{}{}", nodes_[from].name, nodes_[to].name, suffix));
  };
  LinkId id = static_cast<LinkId>(links_.size());
  links_.push_back(std::make_unique<Link>(id, a, b, LinkDirection(std::move(a_to_b), stream(a, b)),
                                          LinkDirection(std::move(b_to_a), stream(b, a))));
  nodes_[a].links.push_back(id);
  nodes_[b].links.push_back(id);
  routes_valid_ = false;
  return id;
}

// Routing tables are built per source node on first use (routes_from()): the full table of a
// topology at the scenario limits (10,000 hosts and 10,000 routers) would be 20,000^2 entries,
// 3.2 GB, before the first packet, while only the nodes that forward packets need theirs.
void Network::compute_routes() {
  next_hop_.assign(nodes_.size(), {});
  routes_valid_ = true;
}

// Breadth-first search from `src`. Neighbours are visited in link creation order and a node
// keeps the first hop of whichever node discovered it first, so ties between equally short
// paths always resolve to the earliest-created links. Hosts are endpoints: a path may pass
// through routers only.
const std::vector<std::optional<LinkId>>& Network::routes_from(NodeId src) {
  if (!routes_valid_) compute_routes();
  auto& hops = next_hop_[src];
  if (!hops.empty()) return hops;
  size_t n = nodes_.size();
  hops.resize(n);
  std::vector<bool> seen(n, false);
  seen[src] = true;
  std::vector<NodeId> frontier{src};
  for (size_t head = 0; head < frontier.size(); ++head) {
    NodeId u = frontier[head];
    if (u != src && nodes_[u].kind == Node::Kind::host) continue;
    for (LinkId l : nodes_[u].links) {
      NodeId v = links_[l]->other(u);
      if (seen[v]) continue;
      seen[v] = true;
      hops[v] = u == src ? l : *hops[u];
      frontier.push_back(v);
    }
  }
  return hops;
}

void Network::set_receiver(NodeId host, Receiver rx) {
  receivers_.at(host) = std::move(rx);
}

void Network::add_fault(PacketFault f) {
  faults_.push_back(FaultState{std::move(f), 0});
}

void Network::set_link_up(LinkId l, bool up) {
  links_.at(l)->set_up(up);
}

void Network::set_link_params(LinkId l, NodeId from, LinkParams p) {
  Link& link = *links_.at(l);
  if (from != link.a() && from != link.b()) {
    throw std::invalid_argument(fmt::format("node {} is not an end of link {}-{}", from,
                                            nodes_[link.a()].name, nodes_[link.b()].name));
  }
  link.from(from).set_params(std::move(p));
}

void Network::set_host_up(NodeId n, bool up) {
  nodes_.at(n).up = up;
}

std::optional<NodeId> Network::find_node(std::string_view name) const {
  for (const Node& n : nodes_) {
    if (n.name == name) return n.id;
  }
  return std::nullopt;
}

std::optional<NodeId> Network::owner_of(Ipv4Addr a) const {
  auto it = address_owner_.find(a.value);
  if (it == address_owner_.end()) return std::nullopt;
  return it->second;
}

std::optional<LinkId> Network::link_between(NodeId a, NodeId b) const {
  if (a >= nodes_.size()) return std::nullopt;
  for (LinkId l : nodes_[a].links) {
    if (links_[l]->other(a) == b) return l;
  }
  return std::nullopt;
}

Instant Network::send(NodeId from, Packet&& p) {
  if (p.uid == 0) p.uid = next_uid_++;
  ++packets_sent_;
  if (sim_.trace().enabled()) {
    sim_.trace().emit(PacketRecord{sim_.now(), PacketEvent::send, nodes_[from].name, p, {}, {}});
  }
  if (!nodes_[from].up) {
    // A crashed host's stack sends nothing; a caller that still does is told so in the trace.
    drop(from, p, DropReason::host_down,
         [&] { return fmt::format("host {} down", nodes_[from].name); });
    return sim_.now();
  }
  if (faults_.empty()) return forward(from, std::move(p));
  return apply_faults_and_route(from, std::move(p));
}

// Rules run in the order they were added. Each counts the packets it matches and acts on match
// numbers nth .. nth+count-1. A drop ends the chain (later rules do not see the packet); delay,
// duplicate and corrupt accumulate, and the packet (and its copy) then enter the network.
Instant Network::apply_faults_and_route(NodeId from, Packet&& p) {
  Duration delay;
  bool duplicate = false;
  for (size_t i = 0; i < faults_.size(); ++i) {
    FaultState& fs = faults_[i];
    const PacketFault& f = fs.fault;
    if (!f.match.matches(p)) continue;
    uint64_t n = ++fs.matched;
    if (n < f.nth || (f.count != 0 && n >= f.nth + f.count)) continue;
    if (sim_.trace().enabled()) {
      std::string detail =
          fmt::format("rule {}: {}, matching packet {}", i + 1, f.match.to_string(), n);
      if (f.action == PacketFault::Action::delay) detail += ", by " + format_duration(f.by);
      sim_.trace().emit(
          FaultRecord{sim_.now(), nodes_[from].name, std::string(to_string(f.action)), detail});
    }
    switch (f.action) {
      case PacketFault::Action::drop:
        drop(from, p, DropReason::fault, [&] { return "fault: drop " + f.match.to_string(); });
        return sim_.now();
      case PacketFault::Action::delay:
        delay += f.by;
        break;
      case PacketFault::Action::duplicate:
        duplicate = true;
        break;
      case PacketFault::Action::corrupt:
        p.corrupted = true;
        break;
    }
  }
  if (delay == Duration::zero()) {
    if (duplicate) forward(from, Packet(p));
    return forward(from, std::move(p));
  }
  // A delayed packet counts as sent now: the rule stands for what happens past the host.
  const Instant now = sim_.now();
  // The original enters first, the copy right after it (FIFO order of equal-time events).
  if (duplicate) {
    Packet copy = p;
    sim_.schedule_in(delay,
                     [this, from, p = std::move(p)]() mutable { forward(from, std::move(p)); });
    sim_.schedule_in(delay,
                     [this, from, p = std::move(copy)]() mutable { forward(from, std::move(p)); });
    return now;
  }
  sim_.schedule_in(delay,
                   [this, from, p = std::move(p)]() mutable { forward(from, std::move(p)); });
  return now;
}

Instant Network::forward(NodeId at, Packet&& p) {
  auto owner = owner_of(p.dst);
  if (!owner) {
    drop(at, p, DropReason::no_route,
         [&] { return fmt::format("no host has address {}", p.dst.to_string()); });
    return sim_.now();
  }
  if (*owner == at) {
    // Loopback: delivered through the event queue, never re-entering the caller.
    schedule_arrival(sim_.now(), at, std::move(p));
    return sim_.now();
  }
  std::optional<LinkId> hop = routes_from(at)[*owner];
  if (!hop) {
    drop(at, p, DropReason::no_route, [&] {
      return fmt::format("no route from {} to {}", nodes_[at].name, nodes_[*owner].name);
    });
    return sim_.now();
  }
  return transmit(at, *hop, std::move(p));
}

// Returns the packet's departure (its last bit on the wire), or now when it was dropped:
// a dropped skb is freed at once (kfree_skb() runs its destructor, tcp_wfree()).
Instant Network::transmit(NodeId from, LinkId l, Packet&& p) {
  Link& link = *links_[l];
  NodeId to = link.other(from);
  if (!link.up()) {
    drop(from, p, DropReason::link_down, [&] { return "link " + link_name(link) + " down"; });
    return sim_.now();
  }
  LinkDirection& dir = link.from(from);
  LinkVerdict v = dir.offer(sim_.now(), static_cast<int64_t>(p.wire_size()));
  switch (v.kind) {
    case LinkVerdict::Kind::deliver:
      break;
    case LinkVerdict::Kind::loss:
      drop(from, p, DropReason::loss, [&] { return dir.params().loss.to_string(); });
      return sim_.now();
    case LinkVerdict::Kind::burst_loss:
      drop(from, p, DropReason::burst_loss, [&] { return dir.params().loss.to_string(); });
      return sim_.now();
    case LinkVerdict::Kind::queue_full:
      drop(from, p, DropReason::queue_full,
           [&] { return dir.params().queue_to_string() + " full"; });
      return sim_.now();
    case LinkVerdict::Kind::link_down:
      drop(from, p, DropReason::link_down, [&] { return "link " + link_name(link) + " down"; });
      return sim_.now();
  }
  if (v.corrupt) p.corrupted = true;
  if (v.duplicate_arrival) {
    // Scheduled after the original, so at equal times the original arrives first.
    Packet copy = p;
    schedule_arrival(v.arrival, to, std::move(p));
    schedule_arrival(*v.duplicate_arrival, to, std::move(copy));
    return v.departs;
  }
  schedule_arrival(v.arrival, to, std::move(p));
  return v.departs;
}

void Network::schedule_arrival(Instant at, NodeId to, Packet&& p) {
  if (in_flight_ >= kMaxPacketsInFlight) {
    throw PacketLimitExceeded(
        fmt::format("more than {} packets in flight at virtual time {} ns (duplication or a loop "
                    "multiplies them); netsim stops rather than fill memory",
                    kMaxPacketsInFlight, sim_.now().ns()));
  }
  ++in_flight_;
  uint32_t slot;
  if (free_flight_.empty()) {
    slot = static_cast<uint32_t>(flight_.size());
    flight_.push_back(std::move(p));
    flight_to_.push_back(to);
  } else {
    slot = free_flight_.back();
    free_flight_.pop_back();
    flight_[slot] = std::move(p);
    flight_to_[slot] = to;
  }
  sim_.schedule_call_at<&Network::land>(at, this, slot);
}

void Network::land(uint32_t slot) {
  --in_flight_;
  // Handled in its slot: arrive() may put more packets on the wire, and a deque's elements
  // stay where they are when it grows. The slot is free again once arrive() is done; its
  // payload is let go now rather than when the slot is next used.
  Packet& arrived = flight_[slot];
  arrive(flight_to_[slot], arrived);
  arrived.tcp.payload = Payload{};
  free_flight_.push_back(slot);
  // The wire went quiet after a burst (a million SYNs, a flood): give its memory back.
  if (in_flight_ == 0 && flight_.size() > kKeepFlightSlots) {
    flight_ = {};
    flight_to_ = {};
    free_flight_ = {};
  }
}

void Network::arrive(NodeId at, Packet& p) {
  Node& node = nodes_[at];
  if (!node.up) {
    drop(at, p, DropReason::host_down, [&] { return fmt::format("host {} down", node.name); });
    return;
  }
  if (node.kind == Node::Kind::router) {
    // RFC 791 / RFC 1812 §5.3.1: a router decrements TTL and discards the packet at zero.
    if (p.ttl <= 1) {
      drop(at, p, DropReason::ttl_exceeded,
           [&] { return fmt::format("ttl exceeded at {}", node.name); });
      return;
    }
    --p.ttl;
    forward(at, std::move(p));
    return;
  }
  if (p.corrupted) {
    drop(at, p, DropReason::corrupt, [] { return std::string("bad checksum"); });
    return;
  }
  if (sim_.trace().enabled()) {
    sim_.trace().emit(PacketRecord{sim_.now(), PacketEvent::recv, node.name, p, {}, {}});
  }
  if (receivers_[at]) receivers_[at](p);
}

}  // namespace netsim
