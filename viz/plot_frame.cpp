// The frame of a plot (plot_frame.hpp): layout of title, legend and axes, then their drawing.
#include "viz/plot_frame.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace netsim::viz::detail {
namespace {

constexpr double kTickSize = 11, kAxisTitleSize = 12;

double widest_label(const std::vector<AxisTick>& ticks) {
  double w = 0;
  for (const auto& t : ticks)
    w = std::max(w, text_width(t.label, kTickSize));
  return w;
}

}  // namespace

PlotFrame::PlotFrame(const PlotData& d, const DiagramMeta& meta, std::vector<LegendEntry> entries,
                     int64_t max_value, double plot_height, double min_tick_spacing)
    : lines(header_lines(meta, d.subject, kPlotWidth)),
      legend(std::move(entries)),
      min_spacing(min_tick_spacing),
      legend_top(header_height(lines.size())),
      y_top(legend_top +
            draw_legend(nullptr, kChartMargin, legend_top, kPlotWidth - 2 * kChartMargin, legend) +
            18),
      y_bottom(y_top + plot_height),
      vy(max_value, y_bottom, y_top),
      yticks(vy.ticks()),
      x0(kChartMargin + 22 + widest_label(yticks) + 10),
      x1(kPlotWidth - 32),
      ax(d.start, d.end, x0, x1),
      xticks(ax.ticks(min_spacing)) {}

void PlotFrame::draw_background(SvgWriter& svg, const PlotData& d) const {
  draw_header(svg, d.title, lines);
  draw_legend(&svg, kChartMargin, legend_top, kPlotWidth - 2 * kChartMargin, legend);
  svg.comment("grid");
  for (const auto& t : yticks)
    svg.line(x0, t.pos, x1, t.pos, "#e3e3e3", 1);
  for (const auto& t : xticks)
    svg.line(t.pos, y_top, t.pos, y_bottom, "#efefef", 1);
}

std::string PlotFrame::finish(SvgWriter& svg, const PlotData& d, bool empty) const {
  svg.comment("axes");
  svg.line(x0, y_bottom, x1, y_bottom, "#333333", 1.2);
  svg.line(x0, y_top, x0, y_bottom, "#333333", 1.2);
  TextStyle tick{kTickSize, false, Anchor::end, "#333333", ""};
  for (const auto& t : yticks) {
    svg.line(x0 - 4, t.pos, x0, t.pos, "#333333", 1);
    svg.text(x0 - 7, t.pos + 4, t.label, tick);
  }
  tick.anchor = Anchor::middle;
  for (const auto& t : xticks) {
    svg.line(t.pos, y_bottom, t.pos, y_bottom + 4, "#333333", 1);
    svg.text(t.pos, y_bottom + 18, t.label, tick);
  }
  TextStyle title{kAxisTitleSize, false, Anchor::middle, "#222222", ""};
  svg.text((x0 + x1) / 2, y_bottom + 44, ax.title(min_spacing), title);
  double ly = (y_top + y_bottom) / 2, lx = kChartMargin + 10;
  title.extra = fmt::format("transform=\"rotate(-90 {} {})\"", svg_number(lx), svg_number(ly));
  svg.text(lx, ly, d.y_label, title);
  if (empty) {
    svg.text((x0 + x1) / 2, ly, d.note,
             TextStyle{14, false, Anchor::middle, "#777777", "font-style=\"italic\""});
  }
  return svg.finish();
}

}  // namespace netsim::viz::detail
