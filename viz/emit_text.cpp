// The plain-text diagram (.txt) for terminals: one column per lifeline, one row per event in
// time order. A packet is drawn at its send time with its arrival time after the row, since a
// character grid cannot slope arrows. ASCII except for what the labels themselves contain.
#include <fmt/format.h>

#include <algorithm>

#include "viz/emitters.hpp"
#include "viz/labels.hpp"
#include "viz/time_format.hpp"
#include "viz/timeline.hpp"

namespace netsim::viz {

namespace {
// One row of the grid; cells hold one UTF-8 code point each.
class Row {
 public:
  explicit Row(size_t width) : cells_(width, " ") {}
  void put(size_t col, std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
      size_t len = 1;
      while (i + len < text.size() && (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80) {
        ++len;
      }
      if (col >= cells_.size()) cells_.resize(col + 1, " ");
      cells_[col++] = std::string(text.substr(i, len));
      i += len;
    }
  }
  void fill(size_t from, size_t to, const char* c) {
    for (size_t k = from; k < to; ++k)
      put(k, c);
  }
  std::string str() const {
    std::string out;
    for (const auto& c : cells_)
      out += c;
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    return out + "\n";
  }

 private:
  std::vector<std::string> cells_;
};

std::string mark_text(const Mark& m) {
  switch (m.kind) {
    case MarkKind::state:
      return m.cause.empty() ? m.text : m.text + " (" + m.cause + ")";
    case MarkKind::timer:
      return "~ " + m.text;
    case MarkKind::error:
      return "!! " + m.text;
    case MarkKind::fault:
      return "== " + m.text + " ==";
  }
  return m.text;
}

class TextGrid {
 public:
  explicit TextGrid(const DiagramLayout& L) : L_(L), m_(L.model) { columns(); }
  std::string render();

 private:
  void columns();
  Row blank(const char* lifeline_char) const;
  void arrow(const PacketArrow& a);
  void mark(const Mark& mk);
  size_t len(std::string_view s) const { return utf8_length(s); }

  const DiagramLayout& L_;
  const DiagramModel& m_;
  size_t time_w_ = 0, width_ = 0;
  std::vector<size_t> col_;
  std::string out_;
};

void TextGrid::columns() {
  size_t label = 0;
  for (const auto& a : m_.arrows) {
    label = std::max(label, len(a.label) + 6 + (a.drop_label.empty() ? 0 : len(a.drop_label) + 4));
  }
  for (const auto& b : m_.bands) {
    for (const auto& line : b.lines)
      label = std::max(label, len(line) + 4);
  }
  size_t n = m_.lifelines.size();
  std::vector<size_t> marks(n, 0), header(n, 0);
  for (const auto& mk : m_.marks) {
    size_t lane = mk.lifeline.value_or(n - 1);
    marks[lane] = std::max(marks[lane], len(mark_text(mk)) + 3);
  }
  for (size_t i = 0; i < n; ++i) {
    for (const auto& h : m_.lifelines[i].header_lines())
      header[i] = std::max(header[i], len(h));
  }
  for (const auto& t : L_.ticks)
    time_w_ = std::max(time_w_, len(t.label));
  for (const auto& a : m_.arrows)
    time_w_ = std::max(time_w_, len(format_clock(a.sent)));
  time_w_ += 2;
  size_t spacing = std::max<size_t>(label + 4, 24);
  col_.resize(n);
  col_[0] = time_w_ + std::max(n > 1 ? marks[0] + 1 : 0, header[0] / 2 + 1);
  for (size_t i = 1; i < n; ++i) {
    col_[i] = col_[i - 1] +
              std::max(spacing + (i >= 2 ? marks[i - 1] : 0), (header[i - 1] + header[i]) / 2 + 3);
  }
  width_ = col_[n - 1] + std::max(marks[n - 1], header[n - 1] / 2) + 2;
}

Row TextGrid::blank(const char* lifeline_char) const {
  Row r(width_);
  for (size_t c : col_)
    r.put(c, lifeline_char);
  return r;
}

void TextGrid::arrow(const PacketArrow& a) {
  Row r = blank("|");
  r.put(0, format_clock(a.sent));
  size_t from = col_[a.from], to = col_[a.to];
  bool right = to > from;
  bool lost = !a.drop_label.empty() || a.fate == ArrowFate::in_flight;
  const char* dash = a.retransmission > 0 ? "." : "-";
  size_t lab = len(a.label);
  // A lost packet's line stops half-way (or just past its label) at an X.
  size_t stop = to;
  if (lost) {
    size_t mid = (from + to) / 2;
    stop = right ? std::max(mid, from + lab + 5) : std::min(mid, from - lab - 5);
  }
  size_t lo = std::min(from, stop), hi = std::max(from, stop);
  r.fill(lo + 1, hi, dash);
  if (lost) {
    r.put(stop, a.fate == ArrowFate::in_flight ? "?" : "X");
  } else {
    r.put(right ? to - 1 : to + 1, right ? ">" : "<");
  }
  size_t label_at = lo + 1 + (hi - lo - 1 - lab) / 2;
  r.put(label_at - 1, " " + a.label + " ");
  if (!a.drop_label.empty()) {
    r.put(right ? stop + 2 : stop - 1 - len(a.drop_label), a.drop_label);
  }
  std::string after;
  if (a.fate == ArrowFate::delivered && a.ended) after = "recv " + format_clock(*a.ended);
  if (a.fate == ArrowFate::dropped_at_receiver && a.ended) {
    after = "dropped " + format_clock(*a.ended);
  }
  if (a.fate == ArrowFate::dropped_en_route && a.ended) after = "lost " + format_clock(*a.ended);
  if (a.fate == ArrowFate::in_flight) after = "in flight at the end";
  if (!after.empty()) r.put(col_.back() + 3, after);  // marks of the last lifeline use own rows
  out_ += r.str();
}

void TextGrid::mark(const Mark& mk) {
  Row r = blank("|");
  r.put(0, format_clock(mk.t));
  std::string text = mark_text(mk);
  if (!mk.lifeline) {
    r.put(col_.front() + 2, text);
  } else if (*mk.lifeline == 0 && col_.size() > 1) {
    r.put(col_[0] - 1 - len(text), text);
  } else {
    r.put(col_[*mk.lifeline] + 2, text);
  }
  out_ += r.str();
}

std::string TextGrid::render() {
  for (const auto& t : m_.title)
    out_ += t + "\n";
  out_ += "\n";
  size_t lines = 0;
  for (const auto& l : m_.lifelines)
    lines = std::max(lines, l.header_lines().size());
  for (size_t k = 0; k < lines; ++k) {
    Row r(width_);
    for (size_t i = 0; i < col_.size(); ++i) {
      auto hl = m_.lifelines[i].header_lines();
      if (k < hl.size()) r.put(col_[i] - len(hl[k]) / 2, hl[k]);
    }
    out_ += r.str();
  }
  out_ += blank("|").str();
  for (const auto& row : detail::timeline(L_)) {
    using Kind = detail::TimelineRow::Kind;
    switch (row.kind) {
      case Kind::arrow:
        arrow(m_.arrows[row.index]);
        break;
      case Kind::mark:
        mark(m_.marks[row.index]);
        break;
      case Kind::gap: {
        Row r = blank(":");
        const auto& label = L_.gaps[row.index].label;
        r.put((col_.front() + col_.back()) / 2 -
                  std::min(len(label) / 2, (col_.front() + col_.back()) / 2),
              label);
        out_ += r.str();
        break;
      }
      case Kind::band: {
        const auto& b = m_.bands[row.index];
        size_t lo = std::min(col_[b.from], col_[b.to]), hi = std::max(col_[b.from], col_[b.to]);
        for (size_t k = 0; k < b.lines.size(); ++k) {
          Row r = blank("|");
          if (k == 0) r.put(0, format_clock(b.first));
          r.fill(lo + 1, hi, "#");
          size_t l = len(b.lines[k]);
          r.put(lo + 1 + (hi - lo - 1 - std::min(l + 2, hi - lo - 1)) / 2, " " + b.lines[k] + " ");
          out_ += r.str();
        }
        break;
      }
    }
  }
  out_ += blank("|").str();
  out_ += fmt::format(
      "\nlegend: ---> packet  ...> retransmission  --X lost  ~ timer  !! error;"
      " {}\n",
      m_.relative_seq ? "seq/ack relative to each side's ISN" : "absolute seq/ack");
  return out_;
}
}  // namespace

std::string emit_text(const DiagramLayout& layout) {
  return TextGrid(layout).render();
}

}  // namespace netsim::viz
