// Title block and legend of the charts; see chart_frame.hpp.
#include "viz/chart_frame.hpp"

#include <fmt/format.h>

namespace netsim::viz::detail {
namespace {
constexpr double kTitleSize = 18, kLineSize = 12, kLegendSize = 12;
constexpr double kLegendRow = 20, kSwatchWidth = 26, kEntryGap = 22;
}  // namespace

std::vector<std::string> header_lines(const DiagramMeta& meta, const std::string& subject,
                                      double width) {
  std::vector<std::string> out;
  std::string first = meta.scenario;
  if (meta.seed) first += fmt::format("{}seed {}", first.empty() ? "" : " · ", *meta.seed);
  if (!first.empty()) out.push_back(first);
  if (!subject.empty()) out.push_back(subject);
  std::string line;
  for (const auto& l : meta.links) {
    std::string next = line.empty() ? l : line + "  ·  " + l;
    if (!line.empty() && text_width(next, kLineSize) > width - 2 * kChartMargin) {
      out.push_back(line);
      next = l;
    }
    line = next;
  }
  if (!line.empty()) out.push_back(line);
  return out;
}

double header_height(size_t lines) {
  return 36 + 17 * static_cast<double>(lines);
}

double draw_header(SvgWriter& svg, const std::string& title,
                   const std::vector<std::string>& lines) {
  svg.text(kChartMargin, 32, title, TextStyle{kTitleSize, true, Anchor::start, "#111111", ""});
  double y = 32;
  for (const auto& l : lines) {
    y += 17;
    svg.text(kChartMargin, y, l, TextStyle{kLineSize, false, Anchor::start, "#555555", ""});
  }
  return header_height(lines.size());
}

double draw_legend(SvgWriter* svg, double x, double y, double width,
                   const std::vector<LegendEntry>& entries) {
  if (entries.empty()) return 0;
  double cx = x, cy = y;
  for (const auto& e : entries) {
    double w = kSwatchWidth + 6 + text_width(e.text, kLegendSize);
    if (cx > x && cx + w > x + width) {
      cx = x;
      cy += kLegendRow;
    }
    if (svg != nullptr) {
      double mid = cy + kLegendRow / 2;
      switch (e.swatch) {
        case LegendEntry::Swatch::line:
          svg->line(cx, mid, cx + kSwatchWidth, mid, e.color, 2.5);
          break;
        case LegendEntry::Swatch::dashed_line:
          svg->line(cx, mid, cx + kSwatchWidth, mid, e.color, 2, "stroke-dasharray=\"5 3\"");
          break;
        case LegendEntry::Swatch::dotted_line:  // the plots' event markers: "2 3" there too
          svg->line(cx, mid, cx + kSwatchWidth, mid, e.color, 1.6, "stroke-dasharray=\"2 3\"");
          break;
        case LegendEntry::Swatch::box:
          svg->rect(cx, mid - 6, kSwatchWidth, 12, e.color,
                    e.opacity < 1
                        ? fmt::format("fill-opacity=\"{}\" stroke=\"{}\" stroke-width=\"0.8\"",
                                      svg_number(e.opacity), e.color)
                        : std::string());
          break;
        case LegendEntry::Swatch::marker:
          svg->path(fmt::format("M{} {}h10l-5 8z", svg_number(cx + kSwatchWidth / 2 - 5),
                                svg_number(mid - 4)),
                    fmt::format("fill=\"{}\"", e.color));
          break;
        case LegendEntry::Swatch::cross:  // the × of a lost segment in the time-sequence graph
          svg->path(fmt::format("M{} {}l6 6m0 -6l-6 6", svg_number(cx + kSwatchWidth / 2 - 3),
                                svg_number(mid - 3)),
                    fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"", e.color));
          break;
      }
      svg->text(cx + kSwatchWidth + 6, mid + 4, e.text,
                TextStyle{kLegendSize, false, Anchor::start, "#222222", ""});
    }
    cx += w + kEntryGap;
  }
  return cy + kLegendRow - y;
}

}  // namespace netsim::viz::detail
