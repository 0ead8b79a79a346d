// Drawing a plot: title block, legend, a grid, round ticks, one step line per series (each value
// holds until the next change, as a queue length does), written with viz/svg_writer.hpp.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "viz/plot_frame.hpp"

namespace netsim::viz {
namespace {

using namespace detail;

constexpr double kPlotHeight = 330, kMinTickSpacing = 64;

std::string legend_text(const PlotData& d, const Series& s) {
  switch (d.kind) {
    case PlotKind::syn_queue:
    case PlotKind::accept_queue:
    case PlotKind::established:
      return fmt::format("{} (peak {})", s.name, format_count(s.peak()));
    case PlotKind::drops:
      return fmt::format("{}: {}", s.name, format_count(s.points.back().value));
    case PlotKind::cwnd:
    case PlotKind::tcptrace:
      return fmt::format("{} (max {})", s.name, format_count(s.peak()));
  }
  return s.name;
}

// The step line as an SVG path. Points that land in the same half-pixel column are reduced to
// the lowest, highest and last value there, so a million changes still make a small file that
// looks the same.
std::string step_path(const Series& s, const TimeAxis& ax, const ValueAxis& vy) {
  std::string d;
  double col = 0, lo = 0, hi = 0, last = 0, pen = 0;
  bool open = false;
  auto flush = [&] {
    if (!open) return;
    for (double y : {lo, hi, last}) {
      if (y != pen) d += "V" + svg_number(y);
      pen = y;
    }
  };
  for (const auto& p : s.points) {
    double x = std::round(ax.x_of(p.t) * 2) / 2, y = vy.y_of(static_cast<double>(p.value));
    if (!open) {
      d = fmt::format("M{} {}", svg_number(x), svg_number(y));
      col = x, lo = hi = last = pen = y, open = true;
      continue;
    }
    if (x != col) {
      flush();
      d += "H" + svg_number(x);
      col = x, lo = hi = last;
    }
    lo = std::min(lo, y), hi = std::max(hi, y), last = y;
  }
  flush();
  if (open) d += "H" + svg_number(ax.x1());
  return d;
}

const char* marker_color(PlotMarker::Kind k) {
  switch (k) {
    case PlotMarker::Kind::fast_retransmit:
      return "#d97706";
    case PlotMarker::Kind::rto:
      return "#c62828";
    case PlotMarker::Kind::tlp:
      return "#6a1b9a";
  }
  return "#333333";
}

// A thin vertical line per marker with its word at the top; a word that would run into the
// previous one is left out (its line stays, its colour says what it is).
void draw_markers(SvgWriter& svg, const PlotData& d, const TimeAxis& ax, double y_top,
                  double y_bottom) {
  if (d.markers.empty()) return;
  svg.comment("markers");
  double last_text_right = -1e9;
  for (const auto& m : d.markers) {
    double x = std::round(ax.x_of(m.t) * 2) / 2;
    svg.path(fmt::format("M{} {}V{}", svg_number(x), svg_number(y_top), svg_number(y_bottom)),
             fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1\" "
                         "stroke-dasharray=\"2 3\"",
                         marker_color(m.kind)));
    double w = text_width(m.label, 10);
    if (x + 3 <= last_text_right) continue;
    svg.text(x + 3, y_top + 11, m.label,
             TextStyle{10, false, Anchor::start, marker_color(m.kind), ""});
    last_text_right = x + 3 + w + 4;
  }
}

// One entry per series, then one per kind of marker present.
std::vector<LegendEntry> plot_legend(const PlotData& d) {
  std::vector<LegendEntry> legend;
  for (size_t i = 0; i < d.series.size(); ++i) {
    const Series& s = d.series[i];
    legend.push_back({s.secondary ? LegendEntry::Swatch::box
                      : s.dashed  ? LegendEntry::Swatch::dashed_line
                                  : LegendEntry::Swatch::line,
                      std::string(kSeriesColors[i % kSeriesColors.size()]), legend_text(d, s),
                      s.secondary ? 0.3 : 1.0});
  }
  for (auto kind :
       {PlotMarker::Kind::fast_retransmit, PlotMarker::Kind::rto, PlotMarker::Kind::tlp}) {
    auto it = std::find_if(d.markers.begin(), d.markers.end(),
                           [kind](const PlotMarker& m) { return m.kind == kind; });
    if (it == d.markers.end()) continue;
    const char* what = kind == PlotMarker::Kind::fast_retransmit ? "fast retransmit"
                       : kind == PlotMarker::Kind::rto           ? "RTO fired"
                                                                 : "tail loss probe";
    legend.push_back({LegendEntry::Swatch::dotted_line, marker_color(kind), what, 1.0});
  }
  return legend;
}

// Secondary series (bytes in flight) are light areas under the primary lines; a lone series
// is filled too. Areas go first so that every line stays on top.
void draw_series(SvgWriter& svg, const PlotData& d, const PlotFrame& f) {
  svg.comment("series");
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < d.series.size(); ++i) {
      const Series& s = d.series[i];
      bool area = s.secondary || (d.series.size() == 1 && !s.dashed);
      if ((pass == 0 && !area) || (pass == 1 && s.secondary)) continue;
      std::string color(kSeriesColors[i % kSeriesColors.size()]);
      std::string path = step_path(s, f.ax, f.vy);
      if (pass == 0) {
        svg.path(fmt::format("{}V{}H{}Z", path, svg_number(f.y_bottom),
                             svg_number(std::round(f.ax.x_of(s.points.front().t) * 2) / 2)),
                 fmt::format("fill=\"{}\" fill-opacity=\"{}\" stroke=\"none\"", color,
                             s.secondary ? "0.3" : "0.12"));
      }
      if (pass == 1 && s.dashed) {
        svg.path(path, fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\" "
                                   "stroke-dasharray=\"7 4\"",
                                   color));
      } else if (pass == 1 || s.secondary) {
        svg.path(path, fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"", color,
                                   s.secondary ? "0.8" : "2.2"));
      }
    }
  }
}

}  // namespace

std::string plot_svg(const PlotData& d, const DiagramMeta& meta) {
  if (d.kind == PlotKind::tcptrace) return seq_graph_svg(d, meta);
  int64_t max_value = 0;
  for (const auto& s : d.series)
    max_value = std::max(max_value, s.peak());
  PlotFrame f(d, meta, plot_legend(d), max_value, kPlotHeight, kMinTickSpacing);
  SvgWriter svg(kPlotWidth, f.height());
  f.draw_background(svg, d);
  draw_series(svg, d, f);
  draw_markers(svg, d, f.ax, f.y_top, f.y_bottom);
  return f.finish(svg, d, d.series.empty());
}

std::string render_plot_bytes(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                              const PlotOptions& options, ChartFormat format) {
  return chart_bytes(plot_svg(plot_data(records, options), meta), format);
}

void render_plot(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                 const PlotOptions& options, const std::string& out_path) {
  // Every input error throws before the file is touched.
  std::string bytes = render_plot_bytes(records, meta, options, chart_format_for_path(out_path));
  write_chart_file(out_path, bytes);
}

}  // namespace netsim::viz
