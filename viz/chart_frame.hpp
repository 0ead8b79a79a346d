// Internal to viz/: what every chart has around its drawing — the title block (title, the
// scenario and seed, the links) and a legend that wraps onto as many lines as it needs.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "viz/diagram.hpp"
#include "viz/svg_writer.hpp"

namespace netsim::viz::detail {

constexpr double kChartMargin = 24;  // left and right edge of the title block and legend

// The lines under the title: "syn-flood · seed 1", the subject, the links (wrapped).
std::vector<std::string> header_lines(const DiagramMeta& meta, const std::string& subject,
                                      double width);
// Draws the title and `lines`; returns the y below them.
double draw_header(SvgWriter& svg, const std::string& title, const std::vector<std::string>& lines);
// The height draw_header() takes for that many lines.
double header_height(size_t lines);

struct LegendEntry {
  enum class Swatch : uint8_t { line, dashed_line, dotted_line, box, marker, cross };
  Swatch swatch = Swatch::line;
  std::string color;
  std::string text;
  double opacity = 1;  // of a box swatch (a light area)
};

// Lays the entries out left to right from (x, y), wrapping at x + width; returns the height.
// With `draw` false only measures.
double draw_legend(SvgWriter* svg, double x, double y, double width,
                   const std::vector<LegendEntry>& entries);

// Okabe–Ito colours (distinguishable with every common colour-vision deficiency), the yellow
// left out (unreadable on white).
constexpr std::array<std::string_view, 7> kSeriesColors{"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                        "#E69F00", "#56B4E9", "#000000"};

}  // namespace netsim::viz::detail
