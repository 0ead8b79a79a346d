// The charts' SVG writer; see svg_writer.hpp.
#include "viz/svg_writer.hpp"

#include "sim/safe_text.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace netsim::viz::detail {
namespace {

// Advance widths of ASCII 32..126 in font units (2048 per em), read from DejaVuSans.ttf and
// DejaVuSans-Bold.ttf (hmtx through the Unicode cmap). librsvg draws with these fonts, so a
// label measured here fits where the chart places it.
constexpr std::array<uint16_t, 95> kRegular{
    651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,  651,  690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087,
    2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604,  604,  1343, 1141, 1767, 1532, 1612,
    1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799,  690,  799,  1716, 1024,
    1024, 1255, 1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186, 569,  1995, 1298, 1253,
    1300, 1300, 842,  1067, 803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716};
constexpr std::array<uint16_t, 95> kBold{
    713,  934,  1067, 1716, 1425, 2052, 1786, 627,  936,  936,  1071, 1716, 778,  850,  778,  748,
    1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 819,  819,  1716, 1716, 1716, 1188,
    2048, 1585, 1561, 1503, 1700, 1399, 1399, 1681, 1714, 762,  762,  1587, 1305, 2038, 1714, 1741,
    1501, 1741, 1577, 1475, 1397, 1663, 1585, 2259, 1579, 1483, 1485, 936,  748,  936,  1716, 1024,
    1024, 1382, 1466, 1214, 1466, 1389, 891,  1466, 1458, 702,  702,  1362, 702,  2134, 1458, 1407,
    1466, 1466, 1010, 1219, 979,  1458, 1335, 1892, 1321, 1335, 1192, 1458, 748,  1458, 1716};
constexpr double kUnitsPerEm = 2048.0;
// Non-ASCII characters the charts use ("×", "→", "–", "…", "≈", "µ") are at most 1.0 em wide;
// 0.84 em is the widest of them but "…", which the charts use alone.
constexpr double kOtherEm = 0.84;

}  // namespace

std::string svg_number(double v) {
  double r = std::round(v * 100.0) / 100.0;
  if (r == 0.0) return "0";  // also turns -0 into 0
  std::string s = fmt::format("{:.2f}", r);
  while (s.back() == '0')
    s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// XML 1.0 allows no C0 control but tab, newline and CR, nor ill-formed UTF-8: names and
// payloads from a hostile events.jsonl are shown as "\xNN" (sim/safe_text.hpp).
std::string xml_escape(std::string_view s) {
  return text::xml_escape(s);
}

double text_width(std::string_view text, double size, bool bold) {
  const auto& table = bold ? kBold : kRegular;
  double units = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 32 && c < 127) {
      units += table[c - 32];
    } else if (c >= 0xC0) {  // the first byte of a multi-byte character; continuations skip
      units += kOtherEm * kUnitsPerEm;
    }
  }
  return units / kUnitsPerEm * size;
}

SvgWriter::SvgWriter(double width, double height) {
  std::string w = svg_number(width), h = svg_number(height);
  out_ = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"DejaVu Sans, Verdana, sans-serif\">\n",
      w, h);
  rect(0, 0, width, height, "#ffffff");
}

void SvgWriter::rect(double x, double y, double w, double h, std::string_view fill,
                     std::string_view extra) {
  out_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"{}{}/>\n",
                      svg_number(x), svg_number(y), svg_number(w), svg_number(h), fill,
                      extra.empty() ? "" : " ", extra);
}

void SvgWriter::line(double x1, double y1, double x2, double y2, std::string_view stroke,
                     double width, std::string_view extra) {
  out_ += fmt::format(
      "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{}{}/>\n",
      svg_number(x1), svg_number(y1), svg_number(x2), svg_number(y2), stroke, svg_number(width),
      extra.empty() ? "" : " ", extra);
}

void SvgWriter::path(std::string_view d, std::string_view attributes) {
  out_ += fmt::format("<path d=\"{}\" {}/>\n", d, attributes);
}

void SvgWriter::text(double x, double y, std::string_view s, const TextStyle& style,
                     std::string_view tooltip) {
  std::string_view anchor = style.anchor == Anchor::start    ? ""
                            : style.anchor == Anchor::middle ? " text-anchor=\"middle\""
                                                             : " text-anchor=\"end\"";
  out_ +=
      fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"{}\"{}{} fill=\"{}\"{}{}>{}", svg_number(x),
                  svg_number(y), svg_number(style.size), style.bold ? " font-weight=\"bold\"" : "",
                  anchor, style.fill, style.extra.empty() ? "" : " ", style.extra, xml_escape(s));
  if (!tooltip.empty()) out_ += fmt::format("<title>{}</title>", xml_escape(tooltip));
  out_ += "</text>\n";
}

void SvgWriter::open_group(std::string_view attributes) {
  out_ += fmt::format("<g {}>\n", attributes);
  ++depth_;
}

void SvgWriter::close_group() {
  if (depth_ == 0) throw std::logic_error("SvgWriter: close_group() without open_group()");
  out_ += "</g>\n";
  --depth_;
}

void SvgWriter::title(std::string_view s) {
  out_ += fmt::format("<title>{}</title>\n", xml_escape(s));
}

void SvgWriter::comment(std::string_view s) {
  // "--" may not appear inside an XML comment: each dash that follows a dash becomes a space.
  std::string safe;
  safe.reserve(s.size());
  for (char c : s)
    safe.push_back(c == '-' && !safe.empty() && safe.back() == '-' ? ' ' : c);
  out_ += fmt::format("<!-- {} -->\n", safe);
}

std::string SvgWriter::finish() {
  while (depth_ > 0)
    close_group();
  return out_ + "</svg>\n";
}

}  // namespace netsim::viz::detail
