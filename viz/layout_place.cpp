// Label placement and the legend, and the collision check the layout is judged by. Each
// arrow's label tries positions along its arrow (middle first, then outward; above the line,
// then below) and takes the cheapest; when every position collides, its short form (no
// payload preview) is tried, else the least-overlapping position is kept.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string>

#include "viz/labels.hpp"
#include "viz/layout_internal.hpp"

namespace netsim::viz {

bool segment_crosses(Point a, Point b, const Box& r) {
  double t0 = 0, t1 = 1, dx = b.x - a.x, dy = b.y - a.y;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {a.x - r.x, r.right() - a.x, a.y - r.y, r.bottom() - a.y};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] <= 0) return false;
      continue;
    }
    double t = q[i] / p[i];
    if (p[i] < 0) {
      t0 = std::max(t0, t);
    } else {
      t1 = std::min(t1, t);
    }
  }
  return t0 < t1;
}

namespace {

struct NamedBox {
  Box box;
  std::string name;
  std::optional<size_t> arrow;  // the arrow whose label or drop reason this is
};

// Every box holding text (as text_boxes() lists them), with what it says.
std::vector<NamedBox> named_text_boxes(const DiagramLayout& L) {
  const DiagramModel& m = L.model;
  std::vector<NamedBox> out;
  for (size_t i = 0; i < L.lifelines.size(); ++i)
    out.push_back({L.lifelines[i].header, "the header of " + m.lifelines[i].address, {}});
  for (size_t i = 0; i < L.marks.size(); ++i)
    out.push_back({L.marks[i].box, "the mark " + m.marks[i].text, {}});
  for (size_t i = 0; i < L.arrows.size(); ++i) {
    out.push_back({L.arrows[i].label_box, "the label " + L.arrows[i].label, i});
    if (L.arrows[i].drop_box)
      out.push_back({*L.arrows[i].drop_box, "the drop " + m.arrows[i].drop_label, i});
  }
  for (size_t i = 0; i < L.bands.size(); ++i)
    out.push_back({L.bands[i].label_box, "the band " + m.bands[i].lines.front(), {}});
  for (const auto& t : L.ticks)
    out.push_back({t.box, "the tick " + t.label, {}});
  for (const auto& g : L.gaps)
    out.push_back({g.box, "the gap " + g.label, {}});
  return out;
}

}  // namespace

std::vector<std::string> label_collisions(const DiagramLayout& L) {
  std::vector<std::string> out;
  auto boxes = named_text_boxes(L);
  for (size_t i = 0; i < boxes.size(); ++i) {
    for (size_t j = i + 1; j < boxes.size(); ++j) {
      const Box &a = boxes[i].box, &b = boxes[j].box;
      if (a.overlaps(b)) {
        out.push_back(fmt::format("{} at ({:.1f},{:.1f}) overlaps {} at ({:.1f},{:.1f})",
                                  boxes[i].name, a.x, a.y, boxes[j].name, b.x, b.y));
      }
    }
  }
  // An arrow through any text but its own label and drop reason: a label it crosses reads as
  // its own, and a band's, a gap's or a state's text struck through is as hard to read.
  for (size_t j = 0; j < L.arrows.size(); ++j) {
    for (const auto& nb : boxes) {
      if (nb.arrow == j) continue;
      if (segment_crosses(L.arrows[j].start, L.arrows[j].end, nb.box)) {
        out.push_back("arrow " + L.model.arrows[j].label + " crosses " + nb.name);
      }
    }
  }
  return out;
}

}  // namespace netsim::viz

namespace netsim::viz::detail {
namespace {

double overlap_area(const Box& a, const Box& b) {
  double w = std::min(a.right(), b.right()) - std::max(a.x, b.x);
  double h = std::min(a.bottom(), b.bottom()) - std::max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

// What a label must not cover: text boxes first of all, then lines (other arrows, lifelines).
class Obstacles {
 public:
  void add(const Box& b) { boxes_.push_back(b); }
  void add_line(Point a, Point b) { lines_.emplace_back(a, b); }
  void set_arrow_lines(size_t n) { arrow_lines_ = n; }
  size_t arrow_lines() const { return arrow_lines_; }
  // Overlapping text costs far more than crossing lines; `skip` is the label's own arrow.
  // Lines from `first_soft_line` on (lifelines) are no collision, just best avoided.
  double cost(const Box& b, size_t skip) const {
    double c = 0;
    for (const auto& o : boxes_) {
      c += 1000 * overlap_area(b, o);
    }
    // Each line through a label makes it ambiguous (which arrow does it name?): far worse than
    // moving the label along its arrow or to the arrow's other side, still better than text
    // on text.
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (i != skip && segment_crosses(lines_[i].first, lines_[i].second, b)) c += 400;
    }
    return c;
  }
  // Whether `b` would collide (label_collisions): text on text, or an arrow through it.
  bool collides(const Box& b, size_t skip, size_t arrows) const {
    for (const auto& o : boxes_) {
      if (b.overlaps(o)) return true;
    }
    for (size_t i = 0; i < arrows && i < lines_.size(); ++i) {
      if (i != skip && segment_crosses(lines_[i].first, lines_[i].second, b)) return true;
    }
    return false;
  }

 private:
  std::vector<Box> boxes_;
  std::vector<std::pair<Point, Point>> lines_;
  size_t arrow_lines_ = 0;  // the first lines are the arrows', the rest lifelines
};

// y of the segment a-b at x, holding the end values outside its x range.
double y_at(Point a, Point b, double x) {
  if (a.x == b.x) return std::max(a.y, b.y);
  double f = std::clamp((x - a.x) / (b.x - a.x), 0.0, 1.0);
  return a.y + f * (b.y - a.y);
}

// The cheapest candidate: covering text is worst, crossing a line costs a little, and each
// step away from the preferred position (the first candidate) costs less still.
Box best_of(const std::vector<Box>& candidates, const Obstacles& obs, size_t own_line) {
  Box best = candidates.front();
  double best_cost = -1;
  for (size_t i = 0; i < candidates.size(); ++i) {
    double cost = obs.cost(candidates[i], own_line) + 8 * static_cast<double>(i);
    if (best_cost < 0 || cost < best_cost) {
      best = candidates[i];
      best_cost = cost;
    }
  }
  return best;
}

std::vector<Box> arrow_label_candidates(const ArrowLayout& a, double w, double h, double width) {
  // Middle first, then outward in steps of 1/16: where arrows cross in a fan, the free
  // stretches along an arrow are short.
  static constexpr std::array<double, 15> fractions{0.5,    0.4375, 0.5625, 0.375,  0.625,
                                                    0.3125, 0.6875, 0.25,   0.75,   0.1875,
                                                    0.8125, 0.125,  0.875,  0.0625, 0.9375};
  std::vector<Box> out;
  auto at = [&](double x, bool above) {
    x = std::clamp(x, Metrics::margin, std::max(Metrics::margin, width - w));
    double yl = y_at(a.start, a.end, x), yr = y_at(a.start, a.end, x + w);
    double y = above ? std::min(yl, yr) - 2 - h : std::max(yl, yr) + 2;
    out.push_back(Box{x, y, w, h});
  };
  for (bool above : {true, false}) {
    for (double f : fractions)
      at(a.start.x + f * (a.end.x - a.start.x) - w / 2, above);
  }
  // Tucked against either lifeline, clear of it: where two arrows cross in an X (both ends
  // sending at once), the only free spots are next to the ends.
  bool rightward = a.end.x >= a.start.x;
  double lo = std::min(a.start.x, a.end.x), hi = std::max(a.start.x, a.end.x);
  for (bool above : {true, false}) {
    for (double x : {rightward ? lo + 4 : hi - 4 - w, rightward ? hi - 4 - w : lo + 4})
      at(x, above);
  }
  return out;
}

// For a label that collides wherever arrow_label_candidates() put it: every 1/64 of the way
// along its arrow, on either side, then a line further out (still nearer its own arrow than
// any other in a fan of parallel ones when the rows have room).
std::vector<Box> fine_label_candidates(const ArrowLayout& a, double w, double h, double width) {
  std::vector<Box> out;
  for (double lift : {0.0, h + 2, 2 * (h + 2)}) {
    for (bool above : {true, false}) {
      for (int k = 1; k < 64; ++k) {
        double x = std::clamp(a.start.x + k / 64.0 * (a.end.x - a.start.x) - w / 2, Metrics::margin,
                              std::max(Metrics::margin, width - w));
        double yl = y_at(a.start, a.end, x), yr = y_at(a.start, a.end, x + w);
        double y = above ? std::min(yl, yr) - 2 - h - lift : std::max(yl, yr) + 2 + lift;
        out.push_back(Box{x, y, w, h});
      }
    }
  }
  return out;
}

std::vector<Box> drop_label_candidates(Point cross, double w, double h) {
  std::vector<Box> out{
      Box{cross.x + 9, cross.y - h / 2, w, h},     Box{cross.x - w / 2, cross.y + 8, w, h},
      Box{cross.x - 9 - w, cross.y - h / 2, w, h}, Box{cross.x - w / 2, cross.y - 8 - h, w, h},
      Box{cross.x + 9, cross.y + 6, w, h},         Box{cross.x - 9 - w, cross.y + 6, w, h}};
  // Further out, a line at a time: a cross inside a band or among dupACK labels.
  for (int k = 1; k <= 4; ++k) {
    double d = k * (h + 2);
    for (double dy : {d, -d}) {
      out.push_back(Box{cross.x + 9, cross.y - h / 2 + dy, w, h});
      out.push_back(Box{cross.x - 9 - w, cross.y - h / 2 + dy, w, h});
      out.push_back(Box{cross.x - w / 2, (dy > 0 ? cross.y + 8 : cross.y - 8 - h) + dy, w, h});
    }
  }
  return out;
}

// What every label must avoid before any label is placed: titles, headers, marks, ticks,
// bands, gaps, and the lines (arrows numbered like L.arrows, then the lifelines).
Obstacles fixed_obstacles(const DiagramLayout& L) {
  Obstacles obs;
  obs.add(L.title_box);
  for (const auto& l : L.lifelines)
    obs.add(l.header);
  for (const auto& m : L.marks)
    obs.add(m.box);
  for (const auto& t : L.ticks)
    obs.add(t.box);
  for (const auto& b : L.bands)
    obs.add(b.label_box);
  for (const auto& g : L.gaps) {
    obs.add(g.box);
  }
  // Lines are numbered like the arrows, so an arrow's own line can be skipped.
  for (const auto& a : L.arrows) {
    obs.add_line(a.start, a.end);
  }
  obs.set_arrow_lines(L.arrows.size());
  for (const auto& l : L.lifelines) {
    obs.add_line({l.x, l.y_top}, {l.x, l.y_bottom});
  }
  return obs;
}

// The first place along arrow `a`, coarse positions then fine ones, where `text` collides
// with nothing.
std::optional<Box> free_spot(const ArrowLayout& a, const std::string& text, const Obstacles& obs,
                             size_t own, double right) {
  double w = text_width(text, FontSizes::label) + 6;
  auto candidates = arrow_label_candidates(a, w, Metrics::line, right);
  auto fine = fine_label_candidates(a, w, Metrics::line, right);
  candidates.insert(candidates.end(), fine.begin(), fine.end());
  for (const Box& b : candidates) {
    if (!obs.collides(b, own, obs.arrow_lines())) return b;
  }
  return std::nullopt;
}

// Labels are placed in arrow order, so an early label never saw the later ones: in a fan of
// retransmissions answered by a run of ACKs it may take the one free spot a later label
// needed, or sit where a later arrow's label pushes it into a line. Each label still in a
// collision is placed again knowing every other label; its old place is kept unless the new
// one is free. Clean labels never move, so a diagram without collisions is unchanged.
// Every obstacle but the labels of arrows `a` and `b` (their drop reasons stay).
Obstacles all_but(const DiagramLayout& L, const Obstacles& base, size_t a, size_t b) {
  Obstacles obs = base;
  for (size_t k = 0; k < L.arrows.size(); ++k) {
    if (k != a && k != b) obs.add(L.arrows[k].label_box);
    if (L.arrows[k].drop_box) obs.add(*L.arrows[k].drop_box);
  }
  return obs;
}

// Moves arrow i's label to a free spot, whole or (with `brief`) short; false if none is free.
bool replace_label(DiagramLayout& L, size_t i, const Obstacles& obs, bool brief) {
  double right = L.width - Metrics::margin;
  auto& al = L.arrows[i];
  const auto& a = L.model.arrows[i];
  for (const std::string* text : {&a.label, &a.brief}) {
    if (text->empty() || (text == &a.brief && !brief)) continue;
    if (auto b = free_spot(al, *text, obs, i, right)) {
      al.label = *text;
      al.label_box = *b;
      return true;
    }
  }
  return false;
}

// Arrow i's label found no free spot with the others fixed: perhaps a neighbour near its
// arrow holds the only one, and has another place itself.
bool trade_places(DiagramLayout& L, size_t i, const Obstacles& base, bool brief) {
  const auto& ai = L.arrows[i];
  Box near{std::min(ai.start.x, ai.end.x) - 40, std::min(ai.start.y, ai.end.y) - 40,
           std::abs(ai.end.x - ai.start.x) + 80, std::abs(ai.end.y - ai.start.y) + 80};
  for (size_t k = 0; k < L.arrows.size(); ++k) {
    if (k == i || !L.arrows[k].label_box.overlaps(near)) continue;
    const ArrowLayout keep_i = L.arrows[i], keep_k = L.arrows[k];
    if (replace_label(L, i, all_but(L, base, i, k), brief) &&
        replace_label(L, k, all_but(L, base, k, k), brief)) {
      return true;
    }
    L.arrows[i] = keep_i;
    L.arrows[k] = keep_k;
  }
  return false;
}

// Labels are placed in arrow order, so an early label never saw the later ones: in a fan of
// retransmissions answered by a run of ACKs it may take the one free spot a later label
// needed, or sit where a later arrow's label pushes it into a line. Each label still in a
// collision is placed again knowing every other label (or trades places with a neighbour);
// its old place is kept unless the new one is free. Clean labels never move, so a diagram
// without collisions is unchanged.
void repair_labels(DiagramLayout& L, bool brief) {
  const Obstacles base = fixed_obstacles(L);
  for (int pass = 0; pass < 3; ++pass) {
    bool moved = false;
    for (size_t i = 0; i < L.arrows.size(); ++i) {
      Obstacles obs = all_but(L, base, i, i);
      if (!obs.collides(L.arrows[i].label_box, i, L.arrows.size())) continue;
      if (replace_label(L, i, obs, brief) || trade_places(L, i, base, brief)) moved = true;
    }
    if (!moved) break;
  }
}
}  // namespace

void place_labels(DiagramLayout& L, bool brief) {
  Obstacles obs = fixed_obstacles(L);
  double right = L.width - Metrics::margin;
  for (size_t i = 0; i < L.arrows.size(); ++i) {
    const auto& a = L.model.arrows[i];
    auto& al = L.arrows[i];
    al.label = a.label;
    double w = text_width(al.label, FontSizes::label) + 6, h = Metrics::line;
    al.label_box = best_of(arrow_label_candidates(al, w, h, right), obs, i);
    // No free place for the whole label: the short form (no payload preview) may fit.
    if (brief && !a.brief.empty() && obs.collides(al.label_box, i, L.arrows.size())) {
      double bw = text_width(a.brief, FontSizes::label) + 6;
      Box b = best_of(arrow_label_candidates(al, bw, h, right), obs, i);
      if (!obs.collides(b, i, L.arrows.size())) {
        al.label = a.brief;
        al.label_box = b;
      }
    }
    obs.add(al.label_box);
    if (!a.drop_label.empty()) {
      double dw = text_width(a.drop_label, FontSizes::mark) + 6;
      // The reason must stay clear of its own arrow too: at a receiver's lifeline the cross
      // ends an arrow coming from the side the first candidate lies on.
      al.drop_box = best_of(drop_label_candidates(al.end, dw, 12), obs, SIZE_MAX);
      obs.add(*al.drop_box);
    }
  }
  repair_labels(L, brief);
}

namespace {
using Kind = LegendItem::Kind;

std::vector<std::pair<Kind, std::string>> legend_entries(const DiagramLayout& L) {
  const auto& m = L.model;
  auto any_arrow = [&](auto pred) { return std::any_of(m.arrows.begin(), m.arrows.end(), pred); };
  auto any_mark = [&](MarkKind k) {
    return std::any_of(m.marks.begin(), m.marks.end(), [k](const Mark& x) { return x.kind == k; });
  };
  std::vector<std::pair<Kind, std::string>> out{{Kind::delivered, "packet"}};
  if (any_arrow([](const PacketArrow& a) { return a.retransmission > 0; })) {
    out.emplace_back(Kind::retransmission, "retransmission (retx #n)");
  }
  if (any_arrow([](const PacketArrow& a) { return !a.drop_label.empty(); })) {
    out.emplace_back(Kind::dropped, "lost, with the reason");
  }
  if (any_mark(MarkKind::state)) out.emplace_back(Kind::state, "TCP state (cause in tooltip)");
  if (any_mark(MarkKind::timer)) out.emplace_back(Kind::timer, "timer fired");
  if (any_mark(MarkKind::error)) out.emplace_back(Kind::error, "error to the application");
  if (any_mark(MarkKind::fault)) out.emplace_back(Kind::fault, "fault (crash, restart, link)");
  if (!L.gaps.empty()) out.emplace_back(Kind::gap, "idle time, compressed");
  if (std::any_of(L.ticks.begin(), L.ticks.end(),
                  [](const AxisTick& t) { return t.y_last > t.y + 0.5; })) {
    out.emplace_back(Kind::instant, "one instant, events in causal order");
  }
  if (!m.bands.empty()) out.emplace_back(Kind::band, "packets folded into a band");
  out.emplace_back(Kind::note,
                   m.relative_seq ? "seq/ack relative to each side's ISN" : "absolute seq/ack");
  return out;
}
}  // namespace

void add_legend(DiagramLayout& L) {
  constexpr double sample = 30, row = 18;
  double left = Metrics::margin + 8, top = L.plot_bottom + 16;
  double x = left, y = top + row / 2;
  double max_right = left;
  for (const auto& [kind, text] : legend_entries(L)) {
    double tw = text_width(text, FontSizes::legend);
    double item_w = (kind == Kind::note ? 0 : sample + 6) + tw;
    if (x > left && x + item_w > L.width - Metrics::margin - 8) {
      x = left;
      y += row;
    }
    LegendItem item;
    item.kind = kind;
    item.text = text;
    double tx = x;
    if (kind != Kind::note) {
      bool boxy =
          kind == Kind::state || kind == Kind::timer || kind == Kind::error || kind == Kind::band;
      item.a = {x, boxy ? y - 6 : y};
      item.b = {x + sample, boxy ? y + 6 : y};
      tx = x + sample + 6;
    }
    item.text_box = Box{tx, y - 6, tw, 12};
    max_right = std::max(max_right, item.text_box.right());
    x = item.text_box.right() + 20;
    L.legend.push_back(item);
  }
  L.legend_box = Box{Metrics::margin, top, max_right - Metrics::margin + 8, y + row / 2 - top};
  L.width = std::max(L.width, L.legend_box.right() + Metrics::margin);
  L.height = L.legend_box.bottom() + Metrics::margin;
}

}  // namespace netsim::viz::detail
