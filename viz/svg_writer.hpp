// A small SVG writer for the charts (state timelines and time-series plots): elements are
// appended in drawing order, numbers are printed with at most two decimals and text is escaped,
// so the same drawing is always the same bytes. Text widths come from DejaVu Sans metrics.
#pragma once

#include <string>
#include <string_view>

namespace netsim::viz::detail {

// "12", "12.5", "12.25": at most two decimals, no trailing zeros, never "-0".
std::string svg_number(double v);
// &, <, >, " escaped for text and attribute values.
std::string xml_escape(std::string_view s);

// The advance width of UTF-8 text in DejaVu Sans (the charts' font) at `size` px, from the
// font's own metrics (ASCII; other characters count as 0.6 em, wider than most of them).
double text_width(std::string_view text, double size, bool bold = false);

enum class Anchor : uint8_t { start, middle, end };

struct TextStyle {
  double size = 12;
  bool bold = false;
  Anchor anchor = Anchor::start;
  std::string fill = "#222222";
  std::string extra;  // more attributes, e.g. transform="rotate(-90 10 20)" or font-style
};

class SvgWriter {
 public:
  SvgWriter(double width, double height);

  void rect(double x, double y, double w, double h, std::string_view fill,
            std::string_view extra = {});
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
            std::string_view extra = {});
  // A path: `d` is built by the caller with svg_number().
  void path(std::string_view d, std::string_view attributes);
  // Text with its baseline at y. `tooltip` becomes a <title> child (shown on hover).
  void text(double x, double y, std::string_view s, const TextStyle& style,
            std::string_view tooltip = {});
  // <g> with raw attributes; every open_group() needs its close_group().
  void open_group(std::string_view attributes);
  void close_group();
  // <title>: the tooltip of the enclosing group.
  void title(std::string_view s);
  // A comment, to make the file easier to read (not shown).
  void comment(std::string_view s);

  // The complete document.
  std::string finish();

 private:
  std::string out_;
  int depth_ = 0;
};

}  // namespace netsim::viz::detail
