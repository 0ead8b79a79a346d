// Time-series plots of a run, for SYN floods and loss studies: SYN-queue and accept-queue
// occupancy, established connections, drops by reason, a transfer's congestion window and bytes
// in flight. Computed from trace records only (counter, state and packet records) and drawn as
// SVG or PNG (viz/chart.hpp). See docs/diagrams.md, "Plots".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.hpp"
#include "sim/trace.hpp"
#include "viz/chart.hpp"
#include "viz/diagram.hpp"

namespace netsim::viz {

enum class PlotKind : uint8_t {
  syn_queue,     // each listener's SYN queue (requests in SYN_RECEIVED), from `syn_queue` counters
  accept_queue,  // each listener's accept queue (established, not yet accepted)
  established,   // connections per host in ESTABLISHED or CLOSE_WAIT (RFC 1213 tcpCurrEstab)
  drops,         // packets dropped so far, one line per reason
  cwnd,          // a sender's congestion window, ssthresh and bytes in flight; loss markers
  tcptrace,      // time-sequence graph (Stevens, tcptrace): one direction's data, ACKs, window
};
std::string_view to_string(PlotKind k);
std::optional<PlotKind> parse_plot_kind(std::string_view s);
// "syn_queue, accept_queue, established, drops or cwnd", for messages.
std::string plot_kind_list();

struct PlotOptions {
  PlotKind kind = PlotKind::syn_queue;
  // Application names or 4-tuples, as in DiagramOptions::connections. For the queue plots, the
  // listening applications whose queues to draw; for the others, the connections counted.
  std::vector<std::string> connections;
  std::vector<std::string> hosts;   // only these hosts' queues, connections and drops
  std::optional<Instant> from, to;  // the time window; default from 0 to the last change
};

struct SeriesPoint {
  Instant t;
  int64_t value = 0;
  bool operator==(const SeriesPoint&) const = default;
};

// A step function: each point's value holds until the next point's time. Several points may
// share a time (a queue that grows and shrinks in the same instant): all are kept, in trace
// order, and drawn as a vertical stroke.
struct Series {
  std::string name;  // legend text: "server 10.0.0.2:80", "syn_queue_full", "cwnd"
  std::vector<SeriesPoint> points;
  bool secondary = false;  // drawn thinner and dashed (bytes in flight beside its cwnd)
  bool dashed = false;     // a dashed line without area (ssthresh beside its cwnd)
  int64_t peak() const;
};

// A moment the cwnd plot marks with a vertical line: where the window was cut and why.
struct PlotMarker {
  enum class Kind : uint8_t {
    fast_retransmit,  // a retransmission not sent by the RTO timer (dupACKs or SACK)
    rto,              // the retransmission timer fired
    tlp,              // a tail loss probe (RFC 8985), once the TCP sends them
  };
  Kind kind = Kind::rto;
  Instant t;
  std::string label;  // "RTO", "fast retx", "TLP"
};

// The time-sequence graph of one direction of one connection, sequence numbers relative to
// that direction's ISN: each data segment as a tick from seq to seq+len at its send time (at
// the sender), the ACK line and the receive-window line (ACK + window) as the sender saw them
// arrive, and each SACK block of those ACKs.
struct SeqGraph {
  struct Segment {
    Instant t;
    int64_t lo = 0, hi = 0;
    bool retransmission = false;
    bool lost = false;  // dropped on its way (or by the receiver)
  };
  struct Block {
    Instant t;
    int64_t lo = 0, hi = 0;
  };
  std::vector<Segment> segments;
  std::vector<Block> sacks;
  Series ack, window;  // step functions
};

struct PlotData {
  PlotKind kind = PlotKind::syn_queue;
  std::string title;    // "SYN queue length"
  std::string subject;  // what the plot is about beyond the title (the cwnd plot's sender)
  std::string y_label;  // "requests in the SYN queue"
  std::string note;     // why there is nothing to draw, when `series` is empty
  std::vector<Series> series;
  std::vector<PlotMarker> markers;  // cwnd plot: in time order, inside [start, end]
  SeqGraph seq;                     // tcptrace plot
  Instant start, end;               // the x range
};

// The series a plot draws, after the options' filters. Every series starts at `start` with the
// value in force then, except a cwnd, which starts at its first trace record. A trace with
// nothing of the kind gives no series and a `note`. Throws ChartError for a filter that
// matches nothing or a cwnd plot of more than one connection.
PlotData plot_data(const std::vector<TraceRecord>& records, const PlotOptions& options);

// The plot as an SVG document (tests, PNG).
std::string plot_svg(const PlotData& data, const DiagramMeta& meta);
// plot_svg for a tcptrace plot (viz/plot_seq_draw.cpp).
std::string seq_graph_svg(const PlotData& data, const DiagramMeta& meta);

// Computes, draws and writes the plot in the format of `out_path`'s extension (.svg, .png),
// atomically. Throws ChartError; nothing is written then.
void render_plot(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                 const PlotOptions& options, const std::string& out_path);
std::string render_plot_bytes(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                              const PlotOptions& options, ChartFormat format);

}  // namespace netsim::viz
