// Drawing the time-sequence graph (Stevens, tcptrace; Wireshark's Stream Graph): data segments
// as I-bars from seq to seq+len at their send time (retransmissions red, lost ones crossed),
// the ACK line and the receive-window line as steps, SACK blocks as short purple bars.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "viz/chart_axis.hpp"
#include "viz/chart_frame.hpp"
#include "viz/plot.hpp"

namespace netsim::viz {
namespace {

using namespace detail;

constexpr double kWidth = 900, kPlotHeight = 420, kTickSize = 11, kAxisTitleSize = 12;
constexpr const char* kData = "#1f1f1f";
constexpr const char* kRetx = "#c62828";
constexpr const char* kAck = "#009E73";
constexpr const char* kWindow = "#E69F00";
constexpr const char* kSack = "#7B3FA0";

// A step line; each value holds until the next point, the last until x1.
std::string steps(const Series& s, const TimeAxis& ax, const ValueAxis& vy) {
  std::string d;
  for (size_t i = 0; i < s.points.size(); ++i) {
    double x = ax.x_of(s.points[i].t), y = vy.y_of(static_cast<double>(s.points[i].value));
    d += i == 0 ? fmt::format("M{} {}", svg_number(x), svg_number(y))
                : fmt::format("H{}V{}", svg_number(x), svg_number(y));
  }
  if (!d.empty()) d += "H" + svg_number(ax.x1());
  return d;
}

}  // namespace

std::string seq_graph_svg(const PlotData& d, const DiagramMeta& meta) {
  const SeqGraph& g = d.seq;
  std::vector<std::string> lines = header_lines(meta, d.subject, kWidth);
  bool retx = std::any_of(g.segments.begin(), g.segments.end(),
                          [](const auto& s) { return s.retransmission; });
  bool lost =
      std::any_of(g.segments.begin(), g.segments.end(), [](const auto& s) { return s.lost; });
  std::vector<LegendEntry> legend{{LegendEntry::Swatch::line, kData, "data segment", 1}};
  if (retx) legend.push_back({LegendEntry::Swatch::line, kRetx, "retransmission", 1});
  if (lost) legend.push_back({LegendEntry::Swatch::marker, kRetx, "lost (×)", 1});
  if (!g.ack.points.empty()) legend.push_back({LegendEntry::Swatch::line, kAck, "ACK", 1});
  if (!g.window.points.empty()) {
    legend.push_back(
        {LegendEntry::Swatch::dashed_line, kWindow, "receive window (ACK + window)", 1});
  }
  if (!g.sacks.empty()) legend.push_back({LegendEntry::Swatch::line, kSack, "SACK block", 1});
  int64_t max_value = 1;
  for (const auto& s : g.segments)
    max_value = std::max(max_value, s.hi);
  for (const auto& p : g.window.points)
    max_value = std::max(max_value, p.value);
  double legend_top = header_height(lines.size());
  double legend_h =
      draw_legend(nullptr, kChartMargin, legend_top, kWidth - 2 * kChartMargin, legend);
  double y_top = legend_top + legend_h + 18, y_bottom = y_top + kPlotHeight;
  ValueAxis vy(max_value, y_bottom, y_top);
  std::vector<AxisTick> yticks = vy.ticks();
  double label_w = 0;
  for (const auto& t : yticks)
    label_w = std::max(label_w, text_width(t.label, kTickSize));
  double x0 = kChartMargin + 22 + label_w + 10, x1 = kWidth - 32;
  TimeAxis ax(d.start, d.end, x0, x1);
  std::vector<AxisTick> xticks = ax.ticks(64);

  SvgWriter svg(kWidth, y_bottom + 58);
  draw_header(svg, d.title, lines);
  draw_legend(&svg, kChartMargin, legend_top, kWidth - 2 * kChartMargin, legend);
  svg.comment("grid");
  for (const auto& t : yticks)
    svg.line(x0, t.pos, x1, t.pos, "#e3e3e3", 1);
  for (const auto& t : xticks)
    svg.line(t.pos, y_top, t.pos, y_bottom, "#efefef", 1);
  svg.comment("window and ACK lines");
  svg.path(steps(g.window, ax, vy), fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.4\" "
                                                "stroke-dasharray=\"6 3\"",
                                                kWindow));
  svg.path(steps(g.ack, ax, vy),
           fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.4\"", kAck));
  svg.comment("SACK blocks");
  for (const auto& b : g.sacks) {
    double x = ax.x_of(b.t);
    svg.line(x + 2, vy.y_of(static_cast<double>(b.lo)), x + 2, vy.y_of(static_cast<double>(b.hi)),
             kSack, 2);
  }
  svg.comment("data segments");
  for (const auto& s : g.segments) {
    double x = ax.x_of(s.t), ylo = vy.y_of(static_cast<double>(s.lo));
    double yhi = vy.y_of(static_cast<double>(s.hi));
    const char* c = s.retransmission ? kRetx : kData;
    // tcptrace's I-bar: the byte range with a cap at each end.
    svg.path(fmt::format("M{0} {1}V{2}M{3} {1}H{4}M{3} {2}H{4}", svg_number(x), svg_number(ylo),
                         svg_number(yhi), svg_number(x - 2), svg_number(x + 2)),
             fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1\"", c));
    if (s.lost) {
      double y = (ylo + yhi) / 2;
      svg.path(fmt::format("M{} {}l6 6m0 -6l-6 6", svg_number(x - 3), svg_number(y - 3)),
               fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"", kRetx));
    }
  }
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
  svg.text((x0 + x1) / 2, y_bottom + 44, ax.title(64), title);
  double ly = (y_top + y_bottom) / 2, lx = kChartMargin + 10;
  title.extra = fmt::format("transform=\"rotate(-90 {} {})\"", svg_number(lx), svg_number(ly));
  svg.text(lx, ly, d.y_label, title);
  if (g.segments.empty()) {
    svg.text((x0 + x1) / 2, ly, d.note,
             TextStyle{14, false, Anchor::middle, "#777777", "font-style=\"italic\""});
  }
  return svg.finish();
}

}  // namespace netsim::viz
