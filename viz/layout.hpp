// The geometry of a sequence diagram, computed by us (not by Graphviz) so it can be tested:
// lifeline x positions, a piecewise-linear time scale with compressed idle gaps, arrows with
// their end points, label boxes placed without overlaps, marks, bands, ticks and a legend.
// Coordinates are points (1/72 in), origin top-left, y growing downward (time flows down).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "viz/model.hpp"

namespace netsim::viz {

// Font sizes in points; the emitters use the same numbers the layout sized boxes with.
struct FontSizes {
  static constexpr double title = 13, subtitle = 10, header = 10, label = 10, mark = 9, tick = 9,
                          legend = 9;
};

struct Point {
  double x = 0, y = 0;
};

struct Box {
  double x = 0, y = 0, w = 0, h = 0;  // top-left corner and size
  double right() const { return x + w; }
  double bottom() const { return y + h; }
  Point center() const { return {x + w / 2, y + h / 2}; }
  // Strict: boxes that only touch do not overlap.
  bool overlaps(const Box& o) const {
    return x < o.right() && o.x < right() && y < o.bottom() && o.y < bottom();
  }
};

// Maps virtual time to y. Exact at its knots (every event time of the diagram); linear between
// them; before the first and after the last knot it continues at the base scale.
class TimeScale {
 public:
  TimeScale() = default;
  TimeScale(std::vector<Instant> times, std::vector<double> ys, double pt_per_ns, double row = kRow)
      : times_(std::move(times)), ys_(std::move(ys)), pt_per_ns_(pt_per_ns), row_(row) {}
  double y_of(Instant t) const;
  // Simultaneous events on one lifeline take one row each below their time's y.
  double y_of(Instant t, size_t slot) const { return y_of(t) + static_cast<double>(slot) * row_; }
  static constexpr double kRow = 26;  // the least row height
  double row() const { return row_; }
  double pt_per_ns() const { return pt_per_ns_; }
  const std::vector<Instant>& times() const { return times_; }
  const std::vector<double>& ys() const { return ys_; }

 private:
  std::vector<Instant> times_;
  std::vector<double> ys_;
  double pt_per_ns_ = 0;
  double row_ = kRow;
};

// An idle stretch drawn shorter than its duration: "… 58.9 s …".
struct AxisGap {
  Instant from, to;
  double y1 = 0, y2 = 0;
  std::string label;
  Box box;  // the label, centred across the plot in the gap
};

struct AxisTick {
  Instant t;
  double y = 0;
  // The last row drawn at this instant: events at one instant are drawn one below another in
  // causal order, so the axis marks the span from y to y_last as one time.
  double y_last = 0;
  std::string label;
  Box box;
};

struct LifelineLayout {
  double x = 0;
  Box header;
  std::vector<std::string> lines;
  double y_top = 0, y_bottom = 0;
};

struct ArrowLayout {
  Point start, end;                     // end is the cross for drops, the stub's tip in flight
  size_t start_slot = 0, end_slot = 0;  // start.y == scale.y_of(sent, start_slot)
  std::optional<Instant> end_time;      // end.y == scale.y_of(*end_time, end_slot)
  Box label_box;
  // What the label box shows: the model's label, or a shorter form of it (the payload preview
  // left out) where the whole one had no free place; the tooltip keeps everything.
  std::string label;
  std::optional<Box> drop_box;  // the drop reason, next to the cross
};

struct MarkLayout {
  Box box;
  double line_y = 0;  // the mark's row; faults: the horizontal line across the diagram
  size_t slot = 0;    // line_y == scale.y_of(t, slot)
};

struct BandLayout {
  Box area;
  Box label_box;
};

struct LegendItem {
  enum class Kind : uint8_t {
    delivered,
    retransmission,
    dropped,
    state,
    timer,
    error,
    fault,
    gap,
    band,
    instant,
    note
  };
  Kind kind = Kind::delivered;
  std::string text;
  Point a, b;  // the sample (arrow from a to b, or box corners)
  Box text_box;
};

struct DiagramLayout {
  DiagramModel model;
  double width = 0, height = 0;
  Box title_box;
  TimeScale scale;
  double axis_x = 0, plot_top = 0, plot_bottom = 0;
  std::vector<LifelineLayout> lifelines;  // parallel to model.lifelines
  std::vector<ArrowLayout> arrows;        // parallel to model.arrows
  std::vector<MarkLayout> marks;          // parallel to model.marks
  std::vector<BandLayout> bands;          // parallel to model.bands
  std::vector<AxisGap> gaps;
  std::vector<AxisTick> ticks;
  std::vector<LegendItem> legend;
  Box legend_box;

  // Every box holding text, for overlap checks: headers, marks, arrow and drop labels, band
  // labels, ticks.
  std::vector<Box> text_boxes() const;
};

// Does segment a-b pass through the inside of box r? (Liang-Barsky clipping.)
bool segment_crosses(Point a, Point b, const Box& r);

// What makes a label ambiguous, each described: two text boxes that overlap, or an arrow
// through another arrow's label. Empty for a legible diagram (tests/runner checks every
// example scenario's).
std::vector<std::string> label_collisions(const DiagramLayout& layout);

// Pure: the same model and options always give the same layout. When labels collide, the
// columns are widened (and rows may grow) a few times; the first layout without a collision,
// else the one with the fewest, is returned.
DiagramLayout layout_diagram(DiagramModel model, const DiagramOptions& options);

// build_model followed by layout_diagram.
DiagramLayout compute_layout(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                             const DiagramOptions& options);

}  // namespace netsim::viz
