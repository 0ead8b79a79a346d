// Internal to viz/: where a state timeline's parts go — the label column, one band per row,
// the time axis (with its break, if any) and a box for every bar — computed before drawing so
// that tests can check the geometry against the axis.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "viz/chart_axis.hpp"
#include "viz/chart_frame.hpp"
#include "viz/timeline_chart.hpp"

namespace netsim::viz::detail {

struct RowBox {
  double y = 0, h = 0;          // the row's band
  double bar_y = 0, bar_h = 0;  // where its bars are drawn
};

struct BarBox {
  size_t row = 0, bar = 0;  // indices into model.rows and that row's bars
  double x0 = 0, x1 = 0;
};

struct TimelineLayout {
  double width = 0, height = 0;
  std::vector<std::string> header;
  double legend_top = 0;
  std::vector<LegendEntry> legend;
  double label_right = 0;  // row labels end here (right-aligned)
  double plot_top = 0, plot_bottom = 0;
  TimeAxis axis{Instant::zero(), Instant::zero(), 0, 1};
  std::vector<RowBox> rows;
  std::vector<BarBox> bars;
};

TimelineLayout layout_timeline(const TimelineModel& model, const DiagramMeta& meta,
                               bool break_long_gaps);

// Fill colour of a state's bars, and whether text on it should be white.
std::string state_color(TcpState state);
bool dark_state(TcpState state);

}  // namespace netsim::viz::detail
