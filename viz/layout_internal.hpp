// Internal to viz/: the pieces of the layout computation that live in their own files (the
// time scale with its gap compression, label placement, the legend), exposed for layout.cpp
// and for the geometry tests.
#pragma once

#include <optional>
#include <vector>

#include "viz/layout.hpp"

namespace netsim::viz::detail {

struct ScaleInput {
  struct Event {
    Instant t;
    bool roomy = false;  // carries a label and needs a row above it
    size_t slot = 0;     // rows below its time's y (simultaneous sends from one endpoint)
    double room = 0;     // roomy: the height it needs above it, if more than one row
  };
  struct Span {  // an arrow: its end must lie visibly below its start
    Instant from;
    size_t from_slot = 0;
    Instant to;
    size_t to_slot = 0;
  };
  std::vector<Event> events;  // duplicates allowed
  std::vector<Span> spans;
  std::vector<Duration> transits;  // one-way times of delivered packets
  double row = TimeScale::kRow;    // height of one row of simultaneous events
};

// Layout constants shared by the layout files.
struct Metrics {
  static constexpr double margin = 16;
  static constexpr double row = TimeScale::kRow;  // least height between labelled events
  static constexpr double min_step = 6;           // least height between two distinct times
  static constexpr double arrow_dy = 18;          // least drop of an arrow: it must visibly slope
  static constexpr double transit = 48;           // the typical one-way transit's height
  static constexpr double break_min = 44;  // least height of a compressed gap (room for label)
  static constexpr double page = 800;      // what the automatic compression aims to fit in
  static constexpr double line = 13;       // one line of 10 pt text
};

struct ScaleResult {
  TimeScale scale;
  std::vector<AxisGap> gaps;
};

// Builds the time scale starting at y = top. compress_over: nullopt picks the threshold that
// fits the page; Duration::max() never compresses.
ScaleResult build_scale(const ScaleInput& in, std::optional<Duration> compress_over, double top);

// Places every arrow's label and drop label in `layout` so none overlaps the boxes already
// there (headers, marks, ticks, bands) or each other, when the geometry allows. With `brief`,
// a data label with no free place tries its short form (no payload preview).
void place_labels(DiagramLayout& layout, bool brief);

// Adds the legend below the plot and grows the layout's height (and width if needed).
void add_legend(DiagramLayout& layout);

}  // namespace netsim::viz::detail
