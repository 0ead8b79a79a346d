// Drawing a DiagramLayout with Graphviz. We compute every position ourselves; Graphviz only
// draws: cgraph builds a graph whose nodes carry pinned positions (pos="x,y!") and whose edges
// carry explicit splines (pos="e,x,y ..."), and gvc lays it out with the "nop2" engine (what
// `neato -n2` does: keep node and edge positions as given) and renders svg/png/pdf.
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "sim/safe_text.hpp"
#include "viz/emitters.hpp"
#include "viz/labels.hpp"
#include "viz/render_loader.hpp"
#include "viz/time_format.hpp"

namespace netsim::viz {

namespace {
constexpr const char* kFont = "monospace";  // fontconfig's and SVG's generic monospace
constexpr const char* kInk = "#1f2933";
constexpr const char* kRetx = "#d9480f";
constexpr const char* kLost = "#c92a2a";
constexpr const char* kState = "#1864ab";
constexpr const char* kFault = "#862e9c";
constexpr const char* kMuted = "#868e96";

// Graphviz escString: backslashes are escapes, so a payload's own must be doubled.
// Control bytes are shown as \xNN (sim/safe_text.hpp): the SVG Graphviz writes must stay XML.
std::string gv_escape(std::string_view raw) {
  std::string s = text::terminal_safe(raw, true);
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string num(double v) {
  std::string s = fmt::format("{:.2f}", v);
  return s == "-0.00" ? "0.00" : s;
}

struct Attr {
  const char* key;
  std::string value;
};

using Node = void*;  // a Graphviz Agnode_t, opaque outside the render module
using Edge = void*;  // an Agedge_t

// Owns the graph being built; layout y (down) becomes Graphviz y (up) here and only here.
class GvGraph {
 public:
  // Graphviz itself lives in libnetsim_render.so (viz/render_module.hpp), loaded here.
  explicit GvGraph(double height) : api_(render_api()), height_(height) { g_ = api_.graph_open(); }
  ~GvGraph() { api_.graph_close(g_); }
  GvGraph(const GvGraph&) = delete;
  GvGraph& operator=(const GvGraph&) = delete;
  void graph_attr(const char* key, const std::string& value) {
    api_.graph_attr(g_, key, value.c_str());
  }
  std::string pos(Point p) const { return num(p.x) + "," + num(height_ - p.y); }

  Node node(Point at, const std::vector<Attr>& attrs) {
    std::string name = fmt::format("n{}", counter_++);
    Node n = api_.graph_node(g_, name.c_str());
    set(n, "pos", pos(at) + "!");
    for (const auto& a : attrs)
      set(n, a.key, a.value);
    return n;
  }
  Node anchor(Point at) {
    return node(
        at,
        {{"shape", "point"}, {"width", "0"}, {"height", "0"}, {"style", "invis"}, {"label", ""}});
  }
  // Text centred in `box`; lines separated by '\n'.
  Node text(const Box& box, const std::string& label, double font, const char* color,
            const std::string& tooltip = {}) {
    std::vector<Attr> attrs{{"shape", "plaintext"},      {"margin", "0"},
                            {"fixedsize", "true"},       {"width", num(box.w / 72)},
                            {"height", num(box.h / 72)}, {"label", gv_escape(label)},
                            {"fontname", kFont},         {"fontsize", num(font)},
                            {"fontcolor", color}};
    if (!tooltip.empty()) attrs.push_back({"tooltip", gv_escape(tooltip)});
    return node(box.center(), attrs);
  }
  Node framed(const Box& box, const std::string& label, double font, const char* ink,
              const char* fill, const char* style, const std::string& tooltip = {}) {
    Node n = text(box, label, font, ink, tooltip);
    set(n, "shape", "box");
    set(n, "style", style);
    set(n, "color", ink);
    set(n, "fillcolor", fill);
    set(n, "penwidth", "0.8");
    return n;
  }
  // A straight line from a to b; with an arrowhead at b unless `head` is false.
  Edge line(Point a, Point b, const std::vector<Attr>& attrs, bool head = false,
            double arrowsize = 0.7) {
    Node na = anchor(a);
    Node nb = anchor(b);
    Edge e = api_.graph_edge(g_, na, nb);
    // The spline stops where the arrowhead (10 pt x arrowsize long) begins.
    Point stop = b;
    double dx = b.x - a.x, dy = b.y - a.y, len = std::hypot(dx, dy);
    double head_len = 10 * arrowsize;
    if (head && len > head_len) stop = {b.x - dx / len * head_len, b.y - dy / len * head_len};
    Point p1{a.x + (stop.x - a.x) / 3, a.y + (stop.y - a.y) / 3};
    Point p2{a.x + 2 * (stop.x - a.x) / 3, a.y + 2 * (stop.y - a.y) / 3};
    std::string spline = pos(a) + " " + pos(p1) + " " + pos(p2) + " " + pos(stop);
    if (head) spline = "e," + pos(b) + " " + spline;
    set(e, "pos", spline);
    set(e, "arrowhead", head ? "normal" : "none");
    set(e, "arrowsize", num(arrowsize));
    for (const auto& at : attrs)
      set(e, at.key, at.value);
    return e;
  }

  void set_attr(void* obj, const char* key, const std::string& value) { set(obj, key, value); }
  std::string render(DiagramFormat format);

 private:
  void set(void* obj, const char* key, const std::string& value) {
    api_.object_set(obj, key, value.c_str());
  }

  const NetsimRenderApi& api_;
  void* g_ = nullptr;
  double height_;
  int counter_ = 0;
};

const char* arrow_color(const PacketArrow& a) {
  if (a.fate == ArrowFate::dropped_en_route || a.fate == ArrowFate::dropped_at_receiver) {
    return kLost;
  }
  if (a.fate == ArrowFate::in_flight) return kMuted;
  return a.retransmission > 0 ? kRetx : kInk;
}

void draw_cross(GvGraph& g, Point c, const char* color) {
  constexpr double r = 5;
  std::vector<Attr> attrs{{"color", color}, {"penwidth", "2"}};
  g.line({c.x - r, c.y - r}, {c.x + r, c.y + r}, attrs);
  g.line({c.x - r, c.y + r}, {c.x + r, c.y - r}, attrs);
}

// Events at one instant are drawn one below another, in causal order; a bracket on the time
// axis spans their rows so nobody reads the lower ones as later.
void draw_instant_span(GvGraph& g, double axis_x, double y1, double y2) {
  std::vector<Attr> pen{{"color", kMuted}, {"penwidth", "2"}};
  double x = axis_x + 5;
  g.line({x, y1}, {x, y2}, pen);
  g.line({axis_x, y1}, {x, y1}, pen);
  g.line({axis_x, y2}, {x, y2}, pen);
}

void draw_arrows(GvGraph& g, const DiagramLayout& L) {
  for (size_t i = 0; i < L.arrows.size(); ++i) {
    const auto& a = L.model.arrows[i];
    const auto& al = L.arrows[i];
    const char* color = arrow_color(a);
    bool dropped = !a.drop_label.empty();
    std::string style = a.retransmission > 0 || a.fate == ArrowFate::in_flight ? "dashed"
                        : a.duplicate                                          ? "dotted"
                                                                               : "solid";
    g.line(al.start, al.end,
           {{"color", color},
            {"style", style},
            {"penwidth", "1.2"},
            {"tooltip", gv_escape(a.tooltip)}},
           !dropped && a.fate != ArrowFate::in_flight);
    // An opaque-ish background: where a label must cross another line, the text stays legible.
    Node label = g.text(al.label_box, al.label, FontSizes::label, color, a.tooltip);
    g.set_attr(label, "style", "filled");
    g.set_attr(label, "fillcolor", "#ffffffd0");
    if (dropped) {
      draw_cross(g, al.end, kLost);
      if (al.drop_box) g.text(*al.drop_box, a.drop_label, FontSizes::mark, kLost, a.tooltip);
    }
  }
}

void draw_marks(GvGraph& g, const DiagramLayout& L) {
  for (size_t i = 0; i < L.marks.size(); ++i) {
    const auto& m = L.model.marks[i];
    const auto& ml = L.marks[i];
    switch (m.kind) {
      case MarkKind::state:
        g.framed(ml.box, m.text, FontSizes::mark, kState, "#e7f5ff", "rounded,filled", m.tooltip);
        break;
      case MarkKind::timer:
        g.framed(ml.box, m.text, FontSizes::mark, kRetx, "#fff4e6", "rounded,filled,dashed",
                 m.tooltip);
        break;
      case MarkKind::error:
        g.framed(ml.box, m.text, FontSizes::mark, kLost, "#ffe3e3", "filled,bold", m.tooltip);
        break;
      case MarkKind::fault:
        g.line({L.axis_x, ml.line_y}, {L.lifelines.back().x, ml.line_y},
               {{"color", kFault},
                {"style", "dashed"},
                {"penwidth", "0.8"},
                {"tooltip", gv_escape(m.tooltip)}});
        g.framed(ml.box, m.text, FontSizes::mark, kFault, "#f8f0fc", "filled", m.tooltip);
        break;
    }
  }
}

// Lifelines are solid, and dotted across compressed gaps; the time axis likewise, with a
// "≈" break sign where time was cut out.
void draw_lifelines_and_axis(GvGraph& g, const DiagramLayout& L) {
  auto segmented = [&](double x, double top, double bottom, const char* color, double pen) {
    double y = top;
    for (const auto& gap : L.gaps) {
      if (gap.y2 <= y || gap.y1 >= bottom) continue;
      g.line({x, y}, {x, gap.y1}, {{"color", color}, {"penwidth", num(pen)}});
      g.line({x, gap.y1}, {x, gap.y2}, {{"color", color}, {"style", "dotted"}});
      y = gap.y2;
    }
    g.line({x, y}, {x, bottom}, {{"color", color}, {"penwidth", num(pen)}}, color == kMuted);
  };
  for (size_t i = 0; i < L.lifelines.size(); ++i) {
    const auto& l = L.lifelines[i];
    const auto& ml = L.model.lifelines[i];
    std::string tip = ml.aggregate ? "sources folded into a band" : ml.address;
    g.framed(l.header, fmt::format("{}", fmt::join(l.lines, "\n")), FontSizes::header, kInk,
             ml.aggregate ? "#fff5f5" : "#f1f3f5", "filled", tip);
    segmented(l.x, l.y_top, l.y_bottom, "#adb5bd", 1.0);
  }
  segmented(L.axis_x, L.plot_top - 12, L.plot_bottom, kMuted, 1.0);
  for (const auto& t : L.ticks) {
    g.line({L.axis_x - 3, t.y}, {L.axis_x + 3, t.y}, {{"color", kMuted}});
    if (t.y_last > t.y + 0.5) draw_instant_span(g, L.axis_x, t.y, t.y_last);
    g.text(t.box, t.label, FontSizes::tick, kMuted);
  }
  for (const auto& gap : L.gaps) {
    double mid = (gap.y1 + gap.y2) / 2;
    g.text(Box{L.axis_x - 8, mid - 7, 16, 14}, "≈", 12, kMuted);
    g.text(gap.box, gap.label, FontSizes::mark, kMuted,
           fmt::format("{} to {}: nothing happens; drawn shorter", format_clock(gap.from),
                       format_clock(gap.to)));
  }
}

void draw_bands(GvGraph& g, const DiagramLayout& L) {
  for (size_t i = 0; i < L.bands.size(); ++i) {
    const auto& b = L.model.bands[i];
    const auto& bl = L.bands[i];
    Node area =
        g.framed(bl.area, "", FontSizes::label, "#fa5252", "#fa525226", "filled,dashed", b.tooltip);
    (void)area;
    g.text(bl.label_box, fmt::format("{}", fmt::join(b.lines, "\n")), FontSizes::label, kLost,
           b.tooltip);
  }
}

void draw_legend(GvGraph& g, const DiagramLayout& L) {
  using Kind = LegendItem::Kind;
  g.framed(L.legend_box, "", FontSizes::legend, "#ced4da", "#ffffff", "rounded", "legend");
  for (const auto& item : L.legend) {
    Box sample{item.a.x, item.a.y, item.b.x - item.a.x, item.b.y - item.a.y};
    switch (item.kind) {
      case Kind::delivered:
        g.line(item.a, item.b, {{"color", kInk}}, true);
        break;
      case Kind::retransmission:
        g.line(item.a, item.b, {{"color", kRetx}, {"style", "dashed"}}, true);
        break;
      case Kind::dropped:
        g.line(item.a, {item.b.x - 6, item.b.y}, {{"color", kLost}});
        draw_cross(g, {item.b.x - 6, item.b.y}, kLost);
        break;
      case Kind::state:
        g.framed(sample, "", 1, kState, "#e7f5ff", "rounded,filled");
        break;
      case Kind::timer:
        g.framed(sample, "", 1, kRetx, "#fff4e6", "rounded,filled,dashed");
        break;
      case Kind::error:
        g.framed(sample, "", 1, kLost, "#ffe3e3", "filled,bold");
        break;
      case Kind::fault:
        g.line(item.a, item.b, {{"color", kFault}, {"style", "dashed"}, {"penwidth", "0.8"}});
        break;
      case Kind::gap:
        g.line(item.a, item.b, {{"color", kMuted}, {"style", "dotted"}});
        break;
      case Kind::instant:
        draw_instant_span(g, (item.a.x + item.b.x) / 2, item.a.y - 6, item.a.y + 6);
        break;
      case Kind::band:
        g.framed(sample, "", 1, "#fa5252", "#fa525226", "filled,dashed");
        break;
      case Kind::note:
        break;
    }
    g.text(item.text_box, item.text, FontSizes::legend, kInk);
  }
}

void draw_title(GvGraph& g, const DiagramLayout& L) {
  double y = L.title_box.y;
  for (size_t i = 0; i < L.model.title.size(); ++i) {
    double font = i == 0 ? FontSizes::title : FontSizes::subtitle;
    double w = text_width(L.model.title[i], font);
    g.text(Box{L.title_box.x, y, w, font * 1.3}, L.model.title[i], font, i == 0 ? kInk : kMuted);
    y += font * 1.3;
  }
}

}  // namespace

// The layout is already final: engine nop2 keeps every pinned position and spline.
std::string GvGraph::render(DiagramFormat format) {
  const char* device = format == DiagramFormat::svg   ? "svg"
                       : format == DiagramFormat::png ? "png:cairo"
                                                      : "pdf:cairo";
  std::string out;
  switch (api_.graph_render(g_, "nop2", device, append_to_string, &out)) {
    case 0:
      return out;
    case 1:
      throw DiagramError("Graphviz could not start (gvContext failed)");
    case 2:
      throw DiagramError("Graphviz could not lay out the diagram (layout engine nop2)");
    default:
      throw DiagramError(fmt::format(
          "Graphviz could not render {} (is its cairo plugin installed? try .svg)", device));
  }
}

std::string strip_svg_version(std::string svg) {
  // "<!-- Generated by graphviz version 2.43.0 (0)\n -->": the only line that changes with
  // the installed Graphviz, not with the diagram.
  auto begin = svg.find("<!-- Generated by graphviz");
  if (begin == std::string::npos) return svg;
  auto end = svg.find("-->", begin);
  if (end == std::string::npos) return svg;
  end += 3;
  if (end < svg.size() && svg[end] == '\n') ++end;
  svg.erase(begin, end - begin);
  return svg;
}

std::string fix_pdf_dates(std::string pdf) {
  // cairo writes the wall-clock time as /CreationDate (D:20261121052019Z). Overwrite it in
  // place with the same number of characters so the cross-reference offsets stay valid.
  for (const char* key : {"/CreationDate (", "/ModDate ("}) {
    size_t at = 0;
    while ((at = pdf.find(key, at)) != std::string::npos) {
      size_t begin = at + std::string_view(key).size();
      size_t end = pdf.find(')', begin);
      if (end == std::string::npos) break;
      const std::string fixed = "D:19700101000000";
      for (size_t i = begin, k = 0; i < end; ++i, ++k) {
        char c = pdf[i];
        pdf[i] =
            k < fixed.size() ? fixed[k] : (std::isdigit(static_cast<unsigned char>(c)) ? '0' : c);
      }
      at = end;
    }
  }
  return pdf;
}

std::string emit_graphviz(const DiagramLayout& L, DiagramFormat format, double png_scale) {
  GvGraph g(L.height);
  g.graph_attr("bgcolor", "white");
  // Lines first, then boxes and text on top: a state box hides the lifeline under it.
  g.graph_attr("outputorder", "edgesfirst");
  g.graph_attr("pad", "0");
  // A PNG at 72 dpi has one pixel per point, and 9-10 pt text is then 9-10 px high: too
  // small to read. SVG and PDF are vectors, their dpi only sets the nominal size.
  g.graph_attr("dpi", format == DiagramFormat::png ? fmt::format("{:g}", 72 * png_scale) : "96");
  // Two invisible corners pin the drawing's bounding box to the layout's page.
  g.anchor({0, 0});
  g.anchor({L.width, L.height});
  draw_title(g, L);
  draw_bands(g, L);
  draw_lifelines_and_axis(g, L);
  draw_marks(g, L);
  draw_arrows(g, L);
  draw_legend(g, L);
  std::string out = g.render(format);
  if (format == DiagramFormat::svg) return strip_svg_version(std::move(out));
  if (format == DiagramFormat::pdf) return fix_pdf_dates(std::move(out));
  return out;
}

}  // namespace netsim::viz
