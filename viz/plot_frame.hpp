// Internal to viz/: the frame the two plot drawings share (plot_draw.cpp for the step plots,
// plot_seq_draw.cpp for the time-sequence graph) — title block, legend, value and time axes
// with their grid, tick labels, axis titles, and the note written across an empty plot.
#pragma once

#include <string>
#include <vector>

#include "viz/chart_axis.hpp"
#include "viz/chart_frame.hpp"
#include "viz/plot.hpp"

namespace netsim::viz::detail {

constexpr double kPlotWidth = 900;

// Where each part of a plot goes, from its legend, its largest value and the plot's height.
// Members are computed in declaration order, each from the ones above it.
struct PlotFrame {
  PlotFrame(const PlotData& d, const DiagramMeta& meta, std::vector<LegendEntry> legend,
            int64_t max_value, double plot_height, double min_tick_spacing);

  std::vector<std::string> lines;  // under the title
  std::vector<LegendEntry> legend;
  double min_spacing;  // between time tick labels
  double legend_top, y_top, y_bottom;
  ValueAxis vy;
  std::vector<AxisTick> yticks;
  double x0, x1;
  TimeAxis ax;
  std::vector<AxisTick> xticks;

  double height() const { return y_bottom + 58; }
  // The title block, the legend and the grid (drawn first, under everything).
  void draw_background(SvgWriter& svg, const PlotData& d) const;
  // The axes with their ticks and titles and, for an empty plot, d.note; then the document.
  std::string finish(SvgWriter& svg, const PlotData& d, bool empty) const;
};

}  // namespace netsim::viz::detail
