// Drawing the time-sequence graph (Stevens, tcptrace; Wireshark's Stream Graph): data segments
// as I-bars from seq to seq+len at their send time (retransmissions red, lost ones crossed),
// the ACK line and the receive-window line as steps, SACK blocks as short purple bars.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "viz/plot_frame.hpp"

namespace netsim::viz {
namespace {

using namespace detail;

constexpr double kPlotHeight = 420;
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

std::vector<LegendEntry> seq_legend(const SeqGraph& g) {
  bool retx = std::any_of(g.segments.begin(), g.segments.end(),
                          [](const auto& s) { return s.retransmission; });
  bool lost =
      std::any_of(g.segments.begin(), g.segments.end(), [](const auto& s) { return s.lost; });
  std::vector<LegendEntry> legend{{LegendEntry::Swatch::line, kData, "data segment", 1}};
  if (retx) legend.push_back({LegendEntry::Swatch::line, kRetx, "retransmission", 1});
  if (lost) legend.push_back({LegendEntry::Swatch::cross, kRetx, "lost (×)", 1});
  if (!g.ack.points.empty()) legend.push_back({LegendEntry::Swatch::line, kAck, "ACK", 1});
  if (!g.window.points.empty()) {
    legend.push_back(
        {LegendEntry::Swatch::dashed_line, kWindow, "receive window (ACK + window)", 1});
  }
  if (!g.sacks.empty()) legend.push_back({LegendEntry::Swatch::line, kSack, "SACK block", 1});
  return legend;
}

void draw_segments(SvgWriter& svg, const SeqGraph& g, const PlotFrame& f) {
  svg.comment("data segments");
  for (const auto& s : g.segments) {
    double x = f.ax.x_of(s.t), ylo = f.vy.y_of(static_cast<double>(s.lo));
    double yhi = f.vy.y_of(static_cast<double>(s.hi));
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
}

}  // namespace

std::string seq_graph_svg(const PlotData& d, const DiagramMeta& meta) {
  const SeqGraph& g = d.seq;
  int64_t max_value = 1;
  for (const auto& s : g.segments)
    max_value = std::max(max_value, s.hi);
  for (const auto& p : g.window.points)
    max_value = std::max(max_value, p.value);
  PlotFrame f(d, meta, seq_legend(g), max_value, kPlotHeight, 64);
  SvgWriter svg(kPlotWidth, f.height());
  f.draw_background(svg, d);
  svg.comment("window and ACK lines");
  svg.path(steps(g.window, f.ax, f.vy),
           fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.4\" "
                       "stroke-dasharray=\"6 3\"",
                       kWindow));
  svg.path(steps(g.ack, f.ax, f.vy),
           fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.4\"", kAck));
  svg.comment("SACK blocks");
  for (const auto& b : g.sacks) {
    double x = f.ax.x_of(b.t);
    svg.line(x + 2, f.vy.y_of(static_cast<double>(b.lo)), x + 2,
             f.vy.y_of(static_cast<double>(b.hi)), kSack, 2);
  }
  draw_segments(svg, g, f);
  return f.finish(svg, d, g.segments.empty());
}

}  // namespace netsim::viz
