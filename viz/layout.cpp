// Turning a DiagramModel into coordinates: lifeline columns, the time scale, arrow end points,
// marks beside their lifelines, bands, ticks; labels and the legend are placed by
// layout_place.cpp. Pure arithmetic on the model: no Graphviz here.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "viz/labels.hpp"
#include "viz/layout_internal.hpp"
#include "viz/time_format.hpp"

namespace netsim::viz {

std::vector<Box> DiagramLayout::text_boxes() const {
  std::vector<Box> out;
  for (const auto& l : lifelines)
    out.push_back(l.header);
  for (const auto& m : marks)
    out.push_back(m.box);
  for (const auto& a : arrows) {
    out.push_back(a.label_box);
    if (a.drop_box) out.push_back(*a.drop_box);
  }
  for (const auto& b : bands)
    out.push_back(b.label_box);
  for (const auto& t : ticks)
    out.push_back(t.box);
  for (const auto& g : gaps)
    out.push_back(g.box);
  return out;
}

namespace detail {
namespace {

double lines_width(const std::vector<std::string>& lines, double font) {
  double w = 0;
  for (const auto& l : lines)
    w = std::max(w, text_width(l, font));
  return w;
}

Box mark_box_size(const Mark& m) {
  return Box{0, 0, text_width(m.text, FontSizes::mark) + 10, 14};
}

// Where a packet's arrow ends when it never arrived: half-way along the arrow it would have
// drawn. The would-be transit is the median transit in that direction (else the other
// direction, else any); a packet dropped after some travel ends at its drop time.
std::vector<std::optional<Instant>> arrow_end_times(const DiagramModel& m) {
  std::map<std::pair<size_t, size_t>, std::vector<Duration>> by_dir;
  std::vector<Duration> all;
  for (const auto& a : m.arrows) {
    if (a.fate != ArrowFate::delivered || !a.ended) continue;
    by_dir[{a.from, a.to}].push_back(*a.ended - a.sent);
    all.push_back(*a.ended - a.sent);
  }
  auto median = [](std::vector<Duration> v) -> std::optional<Duration> {
    if (v.empty()) return std::nullopt;
    std::sort(v.begin(), v.end());
    return v[(v.size() - 1) / 2];
  };
  std::vector<std::optional<Instant>> out;
  for (const auto& a : m.arrows) {
    if (a.fate == ArrowFate::delivered || a.fate == ArrowFate::dropped_at_receiver) {
      out.push_back(a.ended);
      continue;
    }
    if (a.ended && *a.ended > a.sent) {
      out.push_back(a.ended);
      continue;
    }
    auto est = median(by_dir[{a.from, a.to}]);
    if (!est) est = median(by_dir[{a.to, a.from}]);
    if (!est) est = median(all);
    // With nothing to go by, one nanosecond later: the scale still gives it a visible slope.
    Duration half = est && est->ns() >= 2 ? *est / 2 : Duration::nanoseconds(1);
    out.push_back(a.sent + half);
  }
  return out;
}

struct Slots {
  std::vector<size_t> start, end, mark, band;
};

// Rows within one instant follow happens-before. Simulated applications answer in zero time,
// so an arrival and the packets it causes share an instant; the trace has them in causal
// order (the network records an arrival before the host handles it, a host records what it
// sent before the states that changed), and each endpoint's events at one instant are walked
// in that order:
//  - an arrival takes the row below every earlier arrival and send of that instant;
//  - a send takes the row of the latest arrival (what caused it) or the next free send row,
//    whichever is lower, so it never starts above the arrival that triggered it; copies of
//    one packet share their start;
//  - a mark (a state change, a timer) sits at the row of the packet that caused it: the
//    latest arrival, else the latest send, else the instant's first row.
// A lost packet's stub stays parallel to its row, so its end takes the start's row.
Slots causal_rows(const DiagramModel& m, const std::vector<std::optional<Instant>>& ends) {
  enum class Kind : uint8_t { send, arrival, mark, band };
  struct Ev {
    size_t order;
    Kind kind;
    size_t index;
  };
  std::map<std::pair<size_t, Instant>, std::vector<Ev>> at;
  for (size_t i = 0; i < m.arrows.size(); ++i) {
    const auto& a = m.arrows[i];
    at[{a.from, a.sent}].push_back({a.order, Kind::send, i});
    bool reaches = a.fate == ArrowFate::delivered || a.fate == ArrowFate::dropped_at_receiver;
    if (reaches && ends[i] && a.end_order) {
      at[{a.to, *ends[i]}].push_back({*a.end_order, Kind::arrival, i});
    }
  }
  for (size_t i = 0; i < m.marks.size(); ++i) {
    const auto& mk = m.marks[i];
    if (mk.lifeline) at[{*mk.lifeline, mk.t}].push_back({mk.order, Kind::mark, i});
  }
  // A band starts like its first send: below the packets its sender sent before it at that
  // instant (a window's first segments drawn as arrows, the rest folded).
  for (size_t i = 0; i < m.bands.size(); ++i) {
    at[{m.bands[i].from, m.bands[i].first}].push_back({m.bands[i].order, Kind::band, i});
  }
  Slots s;
  s.start.assign(m.arrows.size(), 0);
  s.end.assign(m.arrows.size(), 0);
  s.mark.assign(m.marks.size(), 0);
  s.band.assign(m.bands.size(), 0);
  std::vector<bool> has_end(m.arrows.size(), false);
  for (auto& [key, evs] : at) {
    std::stable_sort(evs.begin(), evs.end(),
                     [](const Ev& a, const Ev& b) { return a.order < b.order; });
    size_t next_send = 0, next_arrival = 0;
    std::optional<size_t> last_arrival, last_send;
    std::map<uint64_t, size_t> row_of_uid;
    for (const Ev& e : evs) {
      switch (e.kind) {
        case Kind::send: {
          uint64_t uid = m.arrows[e.index].uid;
          auto it = uid == 0 ? row_of_uid.end() : row_of_uid.find(uid);
          size_t row =
              it != row_of_uid.end() ? it->second : std::max(next_send, last_arrival.value_or(0));
          if (uid != 0) row_of_uid.emplace(uid, row);
          s.start[e.index] = row;
          next_send = std::max(next_send, row + 1);
          last_send = row;
          break;
        }
        case Kind::arrival: {
          size_t row = std::max(next_arrival, next_send);
          s.end[e.index] = row;
          has_end[e.index] = true;
          next_arrival = row + 1;
          last_arrival = row;
          break;
        }
        case Kind::mark:
          s.mark[e.index] = last_arrival ? *last_arrival : last_send.value_or(0);
          break;
        case Kind::band: {
          size_t row = std::max(next_send, last_arrival.value_or(0));
          s.band[e.index] = row;
          next_send = row + 1;
          last_send = row;
          break;
        }
      }
    }
  }
  for (size_t i = 0; i < m.arrows.size(); ++i) {
    if (!has_end[i]) s.end[i] = s.start[i];
  }
  return s;
}

// `rooms`: per arrow, the height its label needs above its start (see Layouter::rooms).
ScaleInput scale_input(const DiagramModel& m, const std::vector<std::optional<Instant>>& ends,
                       const Slots& slots, const std::vector<double>& rooms) {
  ScaleInput in;
  for (size_t i = 0; i < m.arrows.size(); ++i) {
    const auto& a = m.arrows[i];
    in.events.push_back({a.sent, true, slots.start[i], rooms[i]});
    if (ends[i]) {
      // An end needs no row of its own: its label is the sender's, a drop's sits beside it.
      in.events.push_back({*ends[i], false, slots.end[i]});
      in.spans.push_back({a.sent, slots.start[i], *ends[i], slots.end[i]});
    }
    if (a.fate == ArrowFate::delivered && a.ended) in.transits.push_back(*a.ended - a.sent);
  }
  for (size_t i = 0; i < m.marks.size(); ++i)
    in.events.push_back({m.marks[i].t, true, slots.mark[i]});
  for (size_t i = 0; i < m.bands.size(); ++i) {
    in.events.push_back({m.bands[i].first, true, slots.band[i]});
    in.events.push_back({m.bands[i].last, true, 0});
  }
  return in;
}

class Layouter {
 public:
  // `spread` widens the columns (and lets rows grow) beyond what the labels strictly need.
  struct Try {
    double spread;  // widens the columns (and lets rows grow) beyond what labels need
    bool brief;     // short labels allowed (place_labels)
  };
  Layouter(DiagramModel model, const DiagramOptions& opt, Try t) : opt_(opt), try_(t) {
    L_.model = std::move(model);
  }
  DiagramLayout run();

 private:
  void mark_sides();
  void columns();
  void headers_and_title();
  void arrows(const std::vector<std::optional<Instant>>& ends, const Slots& slots);
  void gap_labels();
  void marks(const Slots& slots);
  void bands(const Slots& slots);
  void ticks(const std::vector<std::optional<Instant>>& ends);
  double mark_width(size_t lifeline) const;
  const std::string& sized_label(const PacketArrow& a) const;
  double clutter(const Box& b) const;
  bool crossed(const Box& b) const;
  Box least_cluttered(const std::vector<Box>& candidates) const;
  Box band_label_box(const Box& area, double w, double h) const;
  double row_height(const Slots& slots, const TimeScale* scale,
                    const std::vector<std::optional<Instant>>& ends) const;
  std::vector<double> rooms(const Slots& slots, const TimeScale* scale,
                            const std::vector<std::optional<Instant>>& ends) const;
  double label_rise(size_t i, const Slots& slots, const TimeScale* scale,
                    const std::vector<std::optional<Instant>>& ends) const;

  const DiagramOptions& opt_;
  DiagramLayout L_;
  Try try_;
  double right_edge_ = 0;
  std::vector<bool> marks_left_;    // per lifeline: its marks are written on its left
  std::vector<bool> marks_either_;  // ... or on either side, whichever no arrow crosses
};

// The text a column is made wide enough for. With short labels allowed, a bulk segment's
// (its preview cut, "…") counts without the preview: a transfer's picture stays at a normal
// width and its segments keep their previews where there is room.
const std::string& Layouter::sized_label(const PacketArrow& a) const {
  bool bulk = !a.brief.empty() && a.label.find("\"…") != std::string::npos;
  return try_.brief && bulk ? a.brief : a.label;
}

double Layouter::mark_width(size_t lifeline) const {
  double w = 0;
  size_t last = L_.model.lifelines.size() - 1;
  for (const auto& m : L_.model.marks) {
    // Faults are written beside the rightmost lifeline.
    if (m.lifeline.value_or(last) == lifeline) w = std::max(w, mark_box_size(m).w);
  }
  return w;
}

// Packets sent or received together leave one row apart and run parallel. Each label goes
// above its own arrow and below the arrow of the row before, so a row is the label's height
// plus the rise of that neighbour over the label's width. The rise depends on the scale, which
// depends on the row: start from the typical slope (a median transit's Metrics::transit
// points over the distance between the lifelines), then measure the arrows on the scale built
// with that row and grow it, a few times, up to four rows' worth.
double Layouter::row_height(const Slots& slots, const TimeScale* scale,
                            const std::vector<std::optional<Instant>>& ends) const {
  const auto& m = L_.model;
  double row = Metrics::row;
  for (size_t i = 0; i < m.arrows.size(); ++i) {
    if (slots.start[i] == 0 && slots.end[i] == 0) continue;
    row = std::max(row, label_rise(i, slots, scale, ends));
  }
  // Not scaled with the spread: wider columns already flatten the arrows, and a taller row
  // multiplies over every row of the diagram.
  return std::min(row, 4 * Metrics::row);
}

// The height a label needs between its arrow and the one a row above it, taken as parallel:
// a line of text plus the arrow's rise over the label's width.
double Layouter::label_rise(size_t i, const Slots& slots, const TimeScale* scale,
                            const std::vector<std::optional<Instant>>& ends) const {
  const auto& a = L_.model.arrows[i];
  double dx = std::abs(L_.lifelines[a.to].x - L_.lifelines[a.from].x);
  // A lost packet's stub ends half-way (Layouter::arrows): twice as steep over its length.
  bool reaches = a.fate == ArrowFate::delivered || a.fate == ArrowFate::dropped_at_receiver;
  if (!reaches) dx /= 2;
  if (dx <= 0) return Metrics::row;
  double dy = Metrics::transit;
  if (scale && ends[i]) {
    dy = scale->y_of(*ends[i], slots.end[i]) - scale->y_of(a.sent, slots.start[i]);
  }
  double w = text_width(sized_label(a), FontSizes::label) + 6;
  return Metrics::line + 8 + w * std::abs(dy) / dx;
}

// Each arrow's start at its own time needs as much height above it as its label's rise: a
// run of ACKs a fraction of a millisecond apart draws parallel arrows, each label between
// two of them. Only where the arrow is steep is its time's step taller than a row, so idle
// stretches and flat arrows keep the diagram short.
std::vector<double> Layouter::rooms(const Slots& slots, const TimeScale* scale,
                                    const std::vector<std::optional<Instant>>& ends) const {
  std::vector<double> out;
  for (size_t i = 0; i < L_.model.arrows.size(); ++i) {
    out.push_back(std::min(label_rise(i, slots, scale, ends), 4 * Metrics::row));
  }
  return out;
}

// Marks go on the side of a lifeline where fewer of its arrows leave and arrive: the first
// lifeline's on its left, the last's on its right, a middle one's towards the neighbour it
// talks to less (two conversations side by side: the inner lifelines write outward).
void Layouter::mark_sides() {
  const auto& m = L_.model;
  size_t n = m.lifelines.size();
  std::vector<size_t> left(n, 0), right(n, 0);
  auto touch = [&](size_t a, size_t b) {
    if (a == b) return;
    ++(b < a ? left[a] : right[a]);
    ++(a < b ? left[b] : right[b]);
  };
  for (const auto& a : m.arrows)
    touch(a.from, a.to);
  for (const auto& b : m.bands)
    touch(b.from, b.to);
  marks_left_.assign(n, false);
  marks_either_.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    marks_left_[i] = n > 1 && (i == 0 || (i + 1 < n && left[i] < right[i]));
    // A server between its clients: each mark takes the side no arrow crosses at its row.
    marks_either_[i] = i > 0 && i + 1 < n && left[i] > 0 && right[i] > 0;
  }
}

void Layouter::columns() {
  const auto& m = L_.model;
  mark_sides();
  // Each gap between neighbours is as wide as the widest label it must hold; a label spanning
  // several gaps shares its width among them.
  std::vector<double> need(m.lifelines.size(), 200.0);
  auto require = [&need](size_t a, size_t b, double width) {
    size_t lo = std::min(a, b), hi = std::max(a, b);
    for (size_t g = lo; g < hi; ++g) {
      need[g] = std::max(need[g], width / static_cast<double>(hi - lo));
    }
  };
  // Half as wide again as the label: arrows sent together run parallel a row apart, and a
  // label has room between two of them only where they are flat enough.
  for (const auto& a : m.arrows) {
    require(a.from, a.to, try_.spread * (1.5 * text_width(sized_label(a), FontSizes::label) + 46));
  }
  for (const auto& b : m.bands)
    require(b.from, b.to, lines_width(b.lines, FontSizes::label) + 56);
  double tick_w = 0;
  for (const auto& a : m.arrows) {
    tick_w = std::max(tick_w, text_width(format_clock(a.sent), FontSizes::tick));
  }
  for (const auto& mk : m.marks) {
    tick_w = std::max(tick_w, text_width(format_clock(mk.t), FontSizes::tick));
  }
  L_.axis_x = Metrics::margin + tick_w + 10;
  std::vector<double> header_w;
  for (const auto& l : m.lifelines) {
    header_w.push_back(lines_width(l.header_lines(), FontSizes::header) + 16);
  }
  L_.lifelines.resize(m.lifelines.size());
  double x = L_.axis_x + 12 + std::max(mark_width(0) + 8, header_w[0] / 2);
  for (size_t i = 0; i < m.lifelines.size(); ++i) {
    if (i > 0) {
      // The first lifeline's marks are on its left, already made room for.
      bool right_of_prev = i >= 2 && (!marks_left_[i - 1] || marks_either_[i - 1]);
      bool left_of_this = marks_left_[i] || marks_either_[i];
      double gap = need[i - 1] + (right_of_prev ? mark_width(i - 1) + 8 : 0) +
                   (left_of_this ? mark_width(i) + 8 : 0);
      x += std::max(gap, (header_w[i - 1] + header_w[i]) / 2 + 16);
    }
    L_.lifelines[i].x = x;
    L_.lifelines[i].lines = m.lifelines[i].header_lines();
    L_.lifelines[i].header.w = header_w[i];
  }
  size_t last = m.lifelines.size() - 1;
  double right =
      L_.lifelines[last].x +
      (last == 0 ? header_w[last] / 2 : std::max(mark_width(last) + 8, header_w[last] / 2));
  right_edge_ = right;
  L_.width = right + Metrics::margin;
}

void Layouter::headers_and_title() {
  const auto& title = L_.model.title;
  double w = 0, h = 0;
  for (size_t i = 0; i < title.size(); ++i) {
    double font = i == 0 ? FontSizes::title : FontSizes::subtitle;
    w = std::max(w, text_width(title[i], font));
    h += font * 1.3;
  }
  L_.title_box = Box{Metrics::margin, Metrics::margin, w, h};
  L_.width = std::max(L_.width, w + 2 * Metrics::margin);
  double top = L_.title_box.bottom() + 12;
  double tallest = 0;
  for (auto& l : L_.lifelines) {
    l.header.h = static_cast<double>(l.lines.size()) * Metrics::line + 8;
    l.header.x = l.x - l.header.w / 2;
    l.header.y = top;
    tallest = std::max(tallest, l.header.h);
  }
  L_.plot_top = top + tallest + 24;
}

void Layouter::arrows(const std::vector<std::optional<Instant>>& ends, const Slots& slots) {
  const auto& m = L_.model;
  for (size_t i = 0; i < m.arrows.size(); ++i) {
    const auto& a = m.arrows[i];
    ArrowLayout al;
    double x1 = L_.lifelines[a.from].x, x2 = L_.lifelines[a.to].x;
    al.start_slot = slots.start[i];
    al.end_slot = slots.end[i];
    al.start = {x1, L_.scale.y_of(a.sent, al.start_slot)};
    al.end_time = ends[i];
    double y2 = ends[i] ? L_.scale.y_of(*ends[i], al.end_slot) : al.start.y + Metrics::arrow_dy;
    bool reaches = a.fate == ArrowFate::delivered || a.fate == ArrowFate::dropped_at_receiver;
    al.end = {reaches ? x2 : (x1 + x2) / 2, y2};
    L_.arrows.push_back(al);
  }
}

// Centred across the plot in its gap, unless an arrow in flight across the gap or a band's
// label is there: then the free place nearest the centre, across the plot and up or down
// the gap.
void Layouter::gap_labels() {
  double lo = L_.lifelines.front().x, hi = L_.lifelines.back().x, mid = (lo + hi) / 2;
  for (auto& g : L_.gaps) {
    double w = text_width(g.label, FontSizes::mark) + 8, h = 12;
    double cy = (g.y1 + g.y2) / 2 - h / 2, room_y = std::max(0.0, (g.y2 - g.y1 - h) / 2 - 1);
    std::vector<Box> out;
    for (double dy : {0.0, -room_y, room_y}) {
      auto at = [&](double x) {
        x = std::clamp(x, L_.axis_x + 4, std::max(L_.axis_x + 4, L_.width - Metrics::margin - w));
        out.push_back(Box{x, cy + dy, w, h});
      };
      at(mid - w / 2);
      for (double dx = 16; dx <= (hi - lo) / 2 + w; dx += 16) {
        at(mid - w / 2 - dx);
        at(mid - w / 2 + dx);
      }
    }
    g.box = least_cluttered(out);
  }
}

// Marks stack downward beside their lifeline: each at its time, or just below the previous
// one when two happen at (nearly) the same time.
void Layouter::marks(const Slots& slots) {
  const auto& m = L_.model;
  size_t last = m.lifelines.size() - 1;
  // Per lifeline and side (0 left, 1 right): the first y free below the marks already there.
  std::vector<std::array<double, 2>> next_free(m.lifelines.size(), {-1e9, -1e9});
  for (size_t i = 0; i < m.marks.size(); ++i) {
    const auto& mk = m.marks[i];
    size_t lane = mk.lifeline.value_or(last);
    MarkLayout ml;
    ml.box = mark_box_size(mk);
    ml.slot = slots.mark[i];
    ml.line_y = L_.scale.y_of(mk.t, ml.slot);
    double x = L_.lifelines[lane].x;
    auto placed = [&](bool left) {
      Box b = ml.box;
      b.x = left ? x - 6 - b.w : x + 6;
      b.y = std::max(ml.line_y - b.h / 2, next_free[lane][left ? 0 : 1]);
      return b;
    };
    bool left = marks_left_[lane];
    if (marks_either_[lane] && crossed(placed(left)) && !crossed(placed(!left))) left = !left;
    ml.box = placed(left);
    next_free[lane][left ? 0 : 1] = ml.box.bottom() + 2;
    L_.marks.push_back(ml);
  }
}

bool Layouter::crossed(const Box& b) const {
  return std::any_of(L_.arrows.begin(), L_.arrows.end(),
                     [&b](const ArrowLayout& a) { return segment_crosses(a.start, a.end, b); });
}

void Layouter::bands(const Slots& slots) {
  for (size_t i = 0; i < L_.model.bands.size(); ++i) {
    const Band& b = L_.model.bands[i];
    BandLayout bl;
    double x1 = L_.lifelines[b.from].x, x2 = L_.lifelines[b.to].x;
    double y1 = L_.scale.y_of(b.first, slots.band[i]), y2 = L_.scale.y_of(b.last);
    double label_h = static_cast<double>(b.lines.size()) * Metrics::line + 6;
    double label_w = lines_width(b.lines, FontSizes::label) + 10;
    y2 = std::max(y2, y1 + label_h + 8);
    bl.area = Box{std::min(x1, x2), y1, std::abs(x2 - x1), y2 - y1};
    bl.label_box = band_label_box(bl.area, label_w, label_h);
    L_.bands.push_back(bl);
  }
}

// How many arrows pass through `b`, and whether it covers a band label or a mark already
// placed: what a band's or a gap's label must avoid (label_collisions counts both).
double Layouter::clutter(const Box& b) const {
  double n = 0;
  for (const auto& a : L_.arrows) {
    if (segment_crosses(a.start, a.end, b)) n += 1;
  }
  for (const auto& o : L_.bands) {
    if (o.label_box.overlaps(b)) n += 100;
  }
  for (const auto& mk : L_.marks) {
    if (mk.box.overlaps(b)) n += 100;
  }
  return n;
}

// The first of `candidates` (in order of preference) with nothing through it, else the one
// with the least.
Box Layouter::least_cluttered(const std::vector<Box>& candidates) const {
  Box best = candidates.front();
  double best_n = -1;
  for (const Box& c : candidates) {
    double n = clutter(c);
    if (best_n < 0 || n < best_n) {
      best = c;
      best_n = n;
    }
    if (n == 0) break;
  }
  return best;
}

// Centred in its band when no arrow crosses there; else slid up or down the band, then
// sideways: a lost segment or its dupACKs drawn as arrows through the band's time.
Box Layouter::band_label_box(const Box& area, double w, double h) const {
  std::vector<Box> out;
  Point c = area.center();
  double room_y = std::max(0.0, (area.h - h) / 2), room_x = std::max(0.0, (area.w - w) / 2);
  for (double fx : {0.0, -1.0, 1.0, -0.5, 0.5}) {
    out.push_back(Box{c.x - w / 2 + fx * room_x, c.y - h / 2, w, h});
    for (double dy = 4; dy <= room_y; dy += 4) {
      out.push_back(Box{c.x - w / 2 + fx * room_x, c.y - h / 2 - dy, w, h});
      out.push_back(Box{c.x - w / 2 + fx * room_x, c.y - h / 2 + dy, w, h});
    }
  }
  return least_cluttered(out);
}

// A tick at every event time that has room: at least a line below the previous tick.
void Layouter::ticks(const std::vector<std::optional<Instant>>& ends) {
  const auto& m = L_.model;
  std::vector<Instant> times;
  for (size_t i = 0; i < m.arrows.size(); ++i) {
    times.push_back(m.arrows[i].sent);
    // The made-up end of a lost packet is no event; its drop time is.
    if (m.arrows[i].ended && ends[i] == m.arrows[i].ended) times.push_back(*ends[i]);
  }
  for (const auto& mk : m.marks)
    times.push_back(mk.t);
  for (const auto& b : m.bands)
    times.insert(times.end(), {b.first, b.last});
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  // The lowest row each instant's events occupy (simultaneous events stack in causal order).
  std::map<Instant, double> last_row;
  auto note_row = [&](Instant t, double y) {
    auto [it, fresh] = last_row.emplace(t, y);
    if (!fresh) it->second = std::max(it->second, y);
  };
  for (size_t i = 0; i < L_.arrows.size(); ++i) {
    note_row(m.arrows[i].sent, L_.arrows[i].start.y);
    if (L_.arrows[i].end_time) note_row(*L_.arrows[i].end_time, L_.arrows[i].end.y);
  }
  for (size_t i = 0; i < L_.marks.size(); ++i)
    note_row(m.marks[i].t, L_.marks[i].line_y);
  double last_y = -1e9;
  for (Instant t : times) {
    double y = L_.scale.y_of(t);
    if (y - last_y < 12) continue;
    last_y = y;
    auto row = last_row.find(t);
    double y_last = row == last_row.end() ? y : std::max(y, row->second);
    AxisTick tick{t, y, y_last, format_clock(t), {}};
    double w = text_width(tick.label, FontSizes::tick);
    tick.box = Box{L_.axis_x - 6 - w, y - 5.5, w, 11};
    L_.ticks.push_back(tick);
  }
}

DiagramLayout Layouter::run() {
  auto ends = arrow_end_times(L_.model);
  columns();
  headers_and_title();
  Slots slots = causal_rows(L_.model, ends);
  std::vector<double> room = rooms(slots, nullptr, ends);
  ScaleInput in = scale_input(L_.model, ends, slots, room);
  in.row = row_height(slots, nullptr, ends);
  auto scale = build_scale(in, opt_.compress_gaps_over, L_.plot_top);
  for (int round = 0; round < 3; ++round) {
    double row = row_height(slots, &scale.scale, ends);
    std::vector<double> next = rooms(slots, &scale.scale, ends);
    bool grew = row > in.row + 0.5;
    for (size_t i = 0; i < next.size(); ++i) {
      grew = grew || next[i] > room[i] + 0.5;
      next[i] = std::max(next[i], room[i]);
    }
    if (!grew) break;
    room = std::move(next);
    in = scale_input(L_.model, ends, slots, room);
    in.row = std::max(in.row, row);
    scale = build_scale(in, opt_.compress_gaps_over, L_.plot_top);
  }
  L_.scale = std::move(scale.scale);
  L_.gaps = std::move(scale.gaps);
  arrows(ends, slots);
  marks(slots);
  bands(slots);
  gap_labels();
  ticks(ends);
  double bottom = L_.plot_top;
  if (!L_.scale.ys().empty()) bottom = std::max(bottom, L_.scale.ys().back());
  for (const auto& a : L_.arrows)
    bottom = std::max(bottom, a.end.y);
  for (const auto& mk : L_.marks)
    bottom = std::max(bottom, mk.box.bottom());
  for (const auto& b : L_.bands)
    bottom = std::max(bottom, b.area.bottom());
  L_.plot_bottom = bottom + 24;
  for (auto& l : L_.lifelines) {
    l.y_top = l.header.bottom();
    l.y_bottom = L_.plot_bottom;
  }
  L_.width = std::max(L_.width, right_edge_ + Metrics::margin);
  place_labels(L_, try_.brief);
  add_legend(L_);
  return std::move(L_);
}

}  // namespace
}  // namespace detail

DiagramLayout layout_diagram(DiagramModel model, const DiagramOptions& options) {
  // Wider columns make arrows flatter, so parallel arrows leave more room between them and
  // crossing ones cross over a shorter stretch: a label that found no free place may find one.
  // Whole labels first; then, before any widening, short ones where the whole one finds no
  // place (a bulk segment loses its payload preview, kept in the tooltip): a picture at a
  // readable width beats one whose every label is whole.
  using Try = detail::Layouter::Try;
  static constexpr Try kTries[] = {{1.0, false}, {1.0, true}, {1.4, true}, {2.0, true},
                                   {2.8, true},  {4.0, true}, {5.6, true}, {8.0, true}};
  std::optional<DiagramLayout> best;
  size_t best_count = 0;
  for (const Try& t : kTries) {
    DiagramLayout L = detail::Layouter(model, options, t).run();
    size_t count = label_collisions(L).size();
    if (!best || count < best_count) {
      best = std::move(L);
      best_count = count;
    }
    if (count == 0) break;
  }
  return std::move(*best);
}

DiagramLayout compute_layout(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                             const DiagramOptions& options) {
  return layout_diagram(build_model(records, meta, options), options);
}

}  // namespace netsim::viz
