// What the two kinds of chart (state timelines, viz/timeline_chart.hpp; time-series plots,
// viz/plot.hpp) share: their error type and their file formats. Charts are drawn as SVG by
// netsim itself (viz/svg_writer.hpp); PNG is that SVG rasterised in-process by librsvg + cairo,
// PDF the same SVG drawn by librsvg onto a cairo PDF surface (vector, for papers and slides).
#pragma once

#include <cstdint>
#include <string>

#include "viz/diagram.hpp"

namespace netsim::viz {

// A chart that cannot be drawn: unknown kind or extension, a filter that matches nothing, too
// many rows, an unwritable file. A DiagramError, so callers that catch those catch these; the
// message says what to change.
class ChartError : public DiagramError {
 public:
  using DiagramError::DiagramError;
};

enum class ChartFormat : uint8_t { svg, png, pdf };

// .svg, .png or .pdf (case-insensitive); anything else is a ChartError.
ChartFormat chart_format_for_path(const std::string& path);

namespace detail {

// Rasterises an SVG document at `scale` device pixels per SVG unit on a white background and
// returns the PNG bytes (cairo's PNG writer stores no time, so the bytes depend only on the
// SVG, the scale and the installed fonts). Throws ChartError if librsvg rejects the SVG.
std::string svg_to_png(const std::string& svg, double scale);

// The bytes of `svg` in `format` (PNG at twice the SVG size, sharp on slides and screens).
std::string chart_bytes(const std::string& svg, ChartFormat format);

// Writes through sim/atomic_file.hpp (temporary name, then rename). Throws ChartError.
void write_chart_file(const std::string& path, const std::string& bytes);

}  // namespace detail
}  // namespace netsim::viz
