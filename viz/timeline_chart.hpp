// State timelines: one row per connection endpoint, a bar per TCP state from the time it was
// entered to the time it was left (Gantt-like), so many connections can be compared at a
// glance; timers that fired are marked on the bars, errors written after them. Built from state,
// timer and app records only, drawn as SVG or PNG (viz/chart.hpp). See docs/diagrams.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/time.hpp"
#include "sim/trace.hpp"
#include "viz/chart.hpp"
#include "viz/diagram.hpp"
#include "viz/plot.hpp"

namespace netsim::viz {

struct TimelineOptions {
  // Application names or 4-tuples, as in DiagramOptions::connections. Empty: every connection.
  std::vector<std::string> connections;
  std::vector<std::string> hosts;   // only endpoints on these hosts
  std::optional<Instant> from, to;  // time window; default from 0 to the end of the trace
  // Past this many rows, the endpoints whose peer never appears as a socket in the trace
  // (spoofed sources of a flood) fold into one row per listener; still over it, the timeline
  // is refused (ChartError) with advice.
  size_t max_rows = 60;
  // One idle stretch taking more than two thirds of the window (a TIME_WAIT after a short
  // transfer) is drawn narrow, as a break in the axis.
  bool break_long_gaps = true;
};

struct StateBar {
  Instant from, to;
  TcpState state = TcpState::closed;
  StateCause cause = StateCause::connect;  // what entered it
  bool open = false;                       // still in this state when the window ends
  bool operator==(const StateBar&) const = default;
};

struct TimerTick {
  Instant t;
  std::string text;  // "SYN RTO #3"
};

struct TimelineRow {
  std::string label;  // "alice · client:32864 → server:80"
  std::string host, app;
  SocketAddr local, remote;
  std::vector<StateBar> bars;  // in time order, clipped to the window
  std::vector<TimerTick> timers;
  std::string end_note;     // the error the application saw: "ETIMEDOUT"
  size_t conversation = 0;  // rows of one connection share it and sit together
  // A folded row stands for `members` endpoints: how many are in each state over time.
  size_t members = 1;
  std::map<TcpState, std::vector<SeriesPoint>> counts;
  int64_t peak = 0;  // most members in any state at once
};

struct TimelineModel {
  std::vector<TimelineRow> rows;  // by first state change; the two ends of a connection together
  std::vector<TcpState> states;   // every state drawn, in the legend's order
  Instant start, end;
  bool timers = false, errors = false;  // for the legend
};

// Throws ChartError for a filter that matches nothing, a window with nothing in it, or too
// many rows.
TimelineModel timeline_model(const std::vector<TraceRecord>& records,
                             const TimelineOptions& options);

std::string timeline_svg(const TimelineModel& model, const DiagramMeta& meta,
                         bool break_long_gaps = true);

void render_timeline(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                     const TimelineOptions& options, const std::string& out_path);
std::string render_timeline_bytes(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                                  const TimelineOptions& options, ChartFormat format);

}  // namespace netsim::viz
