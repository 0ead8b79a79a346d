// What a sequence diagram says, before any geometry: the lifelines (endpoints), the packet
// arrows with their labels and fates, the marks on lifelines (states, timers, errors, faults)
// and the bands that stand for aggregated flood traffic. Built from trace records only, after
// the options' filters; the layout (layout.hpp) then gives it coordinates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/trace.hpp"
#include "viz/diagram.hpp"

namespace netsim::viz {

struct Lifeline {
  std::string host;     // "client"; empty when no record names the address's node
  std::string address;  // "10.0.0.1:7500", or "198.51.100.0/24" for an aggregate
  std::string app;      // "alice"; empty when no application owns the socket
  bool aggregate = false;
  SocketAddr endpoint;  // meaningless for aggregates

  // The header box's lines: host, address, app (the empty ones left out).
  std::vector<std::string> header_lines() const;
};

enum class ArrowFate : uint8_t {
  delivered,            // a recv record at the receiving host
  dropped_en_route,     // dropped on a link or router: the arrow stops half-way at a cross
  dropped_at_receiver,  // dropped by the receiving host (SYN queue full, no listener, ...)
  in_flight,            // neither received nor dropped when the trace ends
};

struct PacketArrow {
  size_t from = 0, to = 0;  // lifeline indices
  Instant sent;
  std::optional<Instant> ended;  // recv or drop time; none while in flight
  ArrowFate fate = ArrowFate::delivered;
  uint16_t retransmission = 0;
  bool duplicate = false;  // a second arrival of the same packet (a duplicated copy)
  std::string label;       // "SYN seq=0"
  std::string brief;       // the label without its payload preview, where it has one
  std::string drop_label;  // "loss 2%"; empty unless dropped
  std::string tooltip;     // full header (tcpdump form), times, fate
  uint64_t uid = 0;
  size_t order = 0;  // index of the send record: the tie-break for equal times
  // Index of the record that ended it (recv, or the drop): where the arrival sits among the
  // other things its endpoint did at that instant (layout rows follow happens-before).
  std::optional<size_t> end_order;
};

enum class MarkKind : uint8_t { state, timer, error, fault };

struct Mark {
  MarkKind kind = MarkKind::state;
  std::optional<size_t> lifeline;  // none: an event of the whole network (a fault)
  Instant t;
  std::string text;   // "ESTABLISHED", "RTO #2 (2s)", "ETIMEDOUT", "link r1-server down"
  std::string cause;  // "rcv SYN-ACK"; for states only
  std::string tooltip;
  size_t order = 0;  // index of the record: places it among packets of the same instant
};

// Many packets of sockets no application owns (a spoofed SYN flood), drawn as one band.
struct Band {
  size_t from = 0, to = 0;  // the aggregate lifeline and the endpoint it targets
  Instant first, last;
  std::vector<std::string> lines;  // "× 9,874 SYN from 198.51.100.0/24"
  std::string tooltip;
  uint64_t packets = 0;
  size_t order = 0;  // index of its first send record: its row among that instant's sends
};

struct DiagramModel {
  std::vector<std::string> title;  // scenario line, then details
  std::vector<Lifeline> lifelines;
  std::vector<PacketArrow> arrows;  // by (sent, order)
  std::vector<Mark> marks;          // by (t, order)
  std::vector<Band> bands;
  bool relative_seq = true;
};

// Applies the filters, pairs each send with its recv/drop by packet uid, labels everything and
// folds unowned flood traffic into bands when the diagram would otherwise be too big. Throws
// DiagramError for a filter that matches nothing or a diagram over options.max_arrows.
DiagramModel build_model(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                         const DiagramOptions& options);

}  // namespace netsim::viz
