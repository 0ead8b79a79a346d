// Laying out and drawing a state timeline: a label column, one band per endpoint with a coloured
// bar per state, timer marks, errors, folded flood rows as stacked counts, the time axis.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "viz/labels.hpp"
#include "viz/time_format.hpp"
#include "viz/timeline_layout.hpp"

namespace netsim::viz {
namespace detail {
namespace {

constexpr double kWidth = 900, kLabelSize = 12, kBarTextSize = 10, kNoteSize = 11;
constexpr double kRowHeight = 24, kFoldedHeight = 44, kBarHeight = 14, kConversationGap = 6;
constexpr double kMinTickSpacing = 64;

// Everything that happens on the chart, for choosing the axis break.
std::vector<Instant> event_times(const TimelineModel& m) {
  std::vector<Instant> out;
  for (const auto& r : m.rows) {
    for (const auto& b : r.bars) {
      out.push_back(b.from);
      out.push_back(b.to);
    }
    for (const auto& t : r.timers)
      out.push_back(t.t);
    for (const auto& [st, pts] : r.counts) {
      for (const auto& p : pts)
        out.push_back(p.t);
    }
  }
  return out;
}

std::string fit_label(const std::string& s, double width) {
  if (text_width(s, kLabelSize) <= width) return s;
  std::string cut = s;
  while (!cut.empty() && text_width(cut + "…", kLabelSize) > width) {
    cut.pop_back();
    while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80)
      cut.pop_back();  // never split a UTF-8 character
    if (!cut.empty() && static_cast<unsigned char>(cut.back()) >= 0xC0) cut.pop_back();
  }
  return cut + "…";
}

}  // namespace

std::string state_color(TcpState state) {
  // Okabe–Ito hues: the handshake warm, the data phase green, closing blues and purples,
  // TIME_WAIT a quiet grey (it is long and uneventful).
  switch (state) {
    case TcpState::syn_sent:
      return "#E69F00";
    case TcpState::syn_received:
      return "#F0C419";
    case TcpState::established:
      return "#009E73";
    case TcpState::fin_wait_1:
      return "#56B4E9";
    case TcpState::fin_wait_2:
      return "#0072B2";
    case TcpState::closing:
      return "#D55E00";
    case TcpState::time_wait:
      return "#BDBDBD";
    case TcpState::close_wait:
      return "#CC79A7";
    case TcpState::last_ack:
      return "#882E72";
    case TcpState::closed:
    case TcpState::listen:
      break;  // never a bar: a socket in them has no connection to draw
  }
  return "#777777";
}

bool dark_state(TcpState state) {
  switch (state) {
    case TcpState::established:
    case TcpState::fin_wait_2:
    case TcpState::closing:
    case TcpState::last_ack:
    case TcpState::closed:
    case TcpState::listen:
      return true;
    case TcpState::syn_sent:
    case TcpState::syn_received:
    case TcpState::fin_wait_1:
    case TcpState::close_wait:
    case TcpState::time_wait:
      return false;
  }
  return false;
}

TimelineLayout layout_timeline(const TimelineModel& m, const DiagramMeta& meta,
                               bool break_long_gaps) {
  TimelineLayout L;
  L.width = kWidth;
  size_t ends = 0;
  for (const auto& r : m.rows)
    ends += r.members;
  std::string subject = fmt::format("{} connection end{}", format_count(static_cast<int64_t>(ends)),
                                    ends == 1 ? "" : "s");
  if (ends > m.rows.size()) {
    subject += fmt::format(
        " in {} rows: ends with spoofed peers (no traced socket) are folded, one row per "
        "listener",
        m.rows.size());
  } else {
    subject += ", one row each";
  }
  L.header = header_lines(meta, subject, kWidth);
  for (const auto& s : m.states)
    L.legend.push_back({LegendEntry::Swatch::box, state_color(s), std::string(to_string(s))});
  if (m.timers) L.legend.push_back({LegendEntry::Swatch::marker, "#333333", "timer fired"});
  L.legend_top = header_height(L.header.size());
  double legend_h =
      draw_legend(nullptr, kChartMargin, L.legend_top, kWidth - 2 * kChartMargin, L.legend);

  double label_w = 0, note_w = 0;
  for (const auto& r : m.rows) {
    label_w = std::max(label_w, text_width(r.label, kLabelSize));
    note_w = std::max(note_w, text_width(r.end_note, kNoteSize, true));
  }
  L.label_right = kChartMargin + std::min(label_w, kWidth * 0.4);
  double x0 = L.label_right + 14, x1 = kWidth - std::max(28.0, note_w + 16);
  std::optional<TimeAxis::Break> brk;
  if (break_long_gaps) brk = choose_break(event_times(m), m.start, m.end);
  L.axis = TimeAxis(m.start, m.end, x0, x1, brk);

  L.plot_top = L.legend_top + legend_h + 14;
  double y = L.plot_top;
  for (size_t i = 0; i < m.rows.size(); ++i) {
    const TimelineRow& r = m.rows[i];
    if (i > 0 && r.conversation != m.rows[i - 1].conversation) y += kConversationGap;
    RowBox box;
    box.y = y;
    box.h = r.members > 1 ? kFoldedHeight : kRowHeight;
    box.bar_h = r.members > 1 ? kFoldedHeight - 8 : kBarHeight;
    box.bar_y = y + (box.h - box.bar_h) / 2;
    L.rows.push_back(box);
    for (size_t b = 0; b < r.bars.size(); ++b) {
      L.bars.push_back({i, b, L.axis.x_of(r.bars[b].from), L.axis.x_of(r.bars[b].to)});
    }
    y += box.h;
  }
  L.plot_bottom = y + 6;
  L.height = L.plot_bottom + 58;
  return L;
}

namespace {

// A folded row: how many of its members are in each state, stacked, as a share of the peak.
void draw_counts(SvgWriter& svg, const TimelineRow& r, const RowBox& box, const TimeAxis& ax,
                 const std::vector<TcpState>& states) {
  std::vector<Instant> times;
  for (const auto& [st, pts] : r.counts) {
    for (const auto& p : pts)
      times.push_back(p.t);
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  // counts[k][i]: members in states[0..k] at times[i] (cumulative, for stacking).
  std::vector<std::vector<int64_t>> cum(states.size(), std::vector<int64_t>(times.size(), 0));
  for (size_t k = 0; k < states.size(); ++k) {
    auto it = r.counts.find(states[k]);
    size_t j = 0;
    int64_t v = 0;
    for (size_t i = 0; i < times.size(); ++i) {
      if (it != r.counts.end()) {
        while (j < it->second.size() && it->second[j].t <= times[i])
          v = it->second[j++].value;
      }
      cum[k][i] = v + (k > 0 ? cum[k - 1][i] : 0);
    }
  }
  double peak = static_cast<double>(std::max<int64_t>(r.peak, 1));
  auto y_of = [&](int64_t v) {
    return box.bar_y + box.bar_h - static_cast<double>(v) / peak * box.bar_h;
  };
  for (size_t k = 0; k < states.size(); ++k) {
    if (!r.counts.contains(states[k]) || times.empty()) continue;
    // Along the top of this state's layer left to right, back along its bottom.
    std::string d = fmt::format("M{} {}", svg_number(ax.x_of(times[0])),
                                svg_number(y_of(k > 0 ? cum[k - 1][0] : 0)));
    for (size_t i = 0; i < times.size(); ++i) {
      double x = ax.x_of(times[i]);
      d += fmt::format("H{}V{}", svg_number(x), svg_number(y_of(cum[k][i])));
    }
    d += "H" + svg_number(ax.x1());
    for (size_t i = times.size(); i-- > 0;) {
      double x = ax.x_of(times[i]);
      d += fmt::format("V{}H{}", svg_number(y_of(k > 0 ? cum[k - 1][i] : 0)), svg_number(x));
    }
    d += "Z";
    svg.path(d, fmt::format("fill=\"{}\" stroke=\"none\"", state_color(states[k])));
  }
  svg.line(ax.x0(), box.bar_y, ax.x1(), box.bar_y, "#999999", 0.6, "stroke-dasharray=\"2 2\"");
}

void draw_bars(SvgWriter& svg, const TimelineModel& m, const TimelineLayout& L) {
  for (const auto& b : L.bars) {
    const StateBar& bar = m.rows[b.row].bars[b.bar];
    const RowBox& box = L.rows[b.row];
    if (b.x1 - b.x0 < 0.25) continue;  // an instant: nothing to see, the neighbours meet there
    svg.open_group(fmt::format("class=\"bar\""));
    svg.title(fmt::format("{} {}: {} from {} to {}{} ({}), entered on {}", m.rows[b.row].host,
                          m.rows[b.row].local.to_string(), to_string(bar.state),
                          format_clock(bar.from), format_clock(bar.to), bar.open ? " and on" : "",
                          short_duration(bar.to - bar.from), to_string(bar.cause)));
    svg.rect(b.x0, box.bar_y, b.x1 - b.x0, box.bar_h, state_color(bar.state));
    // The label goes in the middle of the bar's widest visible part (a break cuts it in two).
    double a = b.x0, z = b.x1;
    if (L.axis.broken() && b.x0 < L.axis.break_x0() && b.x1 > L.axis.break_x1()) {
      double c = (L.axis.break_x0() + L.axis.break_x1()) / 2;
      if (c - 5 - b.x0 >= b.x1 - c - 5) {
        z = c - 5;
      } else {
        a = c + 5;
      }
    }
    const std::string_view name = to_string(bar.state);
    double tw = text_width(name, kBarTextSize);
    if (tw + 8 <= z - a) {
      svg.text((a + z) / 2, box.bar_y + box.bar_h / 2 + 3.5, std::string(name),
               TextStyle{kBarTextSize, false, Anchor::middle,
                         dark_state(bar.state) ? "#ffffff" : "#1a1a1a", ""});
    }
    svg.close_group();
  }
}

void draw_marks(SvgWriter& svg, const TimelineModel& m, const TimelineLayout& L) {
  for (size_t i = 0; i < m.rows.size(); ++i) {
    const TimelineRow& r = m.rows[i];
    const RowBox& box = L.rows[i];
    for (const auto& t : r.timers) {
      double x = L.axis.x_of(t.t);
      svg.open_group("class=\"timer\"");
      svg.title(fmt::format("{} at {}", t.text, format_clock(t.t)));
      svg.path(fmt::format("M{} {}h8l-4 6z", svg_number(x - 4), svg_number(box.bar_y - 5)),
               "fill=\"#333333\"");
      svg.close_group();
    }
    if (!r.end_note.empty() && !r.bars.empty()) {
      double x = L.axis.x_of(r.bars.back().to);
      svg.text(x + 5, box.bar_y + box.bar_h / 2 + 4, r.end_note,
               TextStyle{kNoteSize, true, Anchor::start, "#C0001A", ""});
    }
  }
}

void draw_axis(SvgWriter& svg, const TimelineLayout& L) {
  const TimeAxis& ax = L.axis;
  if (ax.broken()) {
    // The break: a white cut through every row, and its real length under the axis.
    double c = (ax.break_x0() + ax.break_x1()) / 2;
    svg.rect(c - 5, L.plot_top - 2, 10, L.plot_bottom - L.plot_top + 4, "#ffffff");
    for (double dx : {-5.0, 5.0}) {
      svg.line(c + dx - 3, L.plot_bottom + 5, c + dx + 3, L.plot_bottom - 5, "#333333", 1.2);
    }
    svg.text(c, L.plot_bottom + 30, "≈ " + short_duration(ax.broken()->to - ax.broken()->from),
             TextStyle{10, false, Anchor::middle, "#555555", "font-style=\"italic\""});
  }
  svg.line(ax.x0(), L.plot_bottom, ax.x1(), L.plot_bottom, "#333333", 1.2);
  TextStyle tick{11, false, Anchor::middle, "#333333", ""};
  for (const auto& t : ax.ticks(kMinTickSpacing)) {
    svg.line(t.pos, L.plot_bottom, t.pos, L.plot_bottom + 4, "#333333", 1);
    svg.text(t.pos, L.plot_bottom + 17, t.label, tick);
  }
  svg.text((ax.x0() + ax.x1()) / 2, L.plot_bottom + 48, ax.title(kMinTickSpacing),
           TextStyle{12, false, Anchor::middle, "#222222", ""});
}

}  // namespace
}  // namespace detail

std::string timeline_svg(const TimelineModel& m, const DiagramMeta& meta, bool break_long_gaps) {
  using namespace detail;
  TimelineLayout L = layout_timeline(m, meta, break_long_gaps);
  SvgWriter svg(L.width, L.height);
  draw_header(svg, "Connection states over time", L.header);
  draw_legend(&svg, kChartMargin, L.legend_top, L.width - 2 * kChartMargin, L.legend);
  svg.comment("rows");
  for (size_t i = 0; i < m.rows.size(); ++i) {
    const RowBox& box = L.rows[i];
    if (m.rows[i].conversation % 2 == 1) {
      svg.rect(kChartMargin - 6, box.y, L.axis.x1() - kChartMargin + 6, box.h, "#f4f4f4");
    }
  }
  for (const auto& t : L.axis.ticks(kMinTickSpacing))
    svg.line(t.pos, L.plot_top, t.pos, L.plot_bottom, "#e6e6e6", 1);
  for (size_t i = 0; i < m.rows.size(); ++i) {
    const TimelineRow& r = m.rows[i];
    const RowBox& box = L.rows[i];
    TextStyle label{kLabelSize, false, Anchor::end, "#222222", ""};
    if (r.members > 1) {
      svg.text(L.label_right, box.y + box.h / 2 - 2,
               fit_label(r.label, L.label_right - kChartMargin), label);
      label.size = 10, label.fill = "#666666";
      svg.text(L.label_right, box.y + box.h / 2 + 11,
               fmt::format("up to {} at once", format_count(r.peak)), label);
      draw_counts(svg, r, box, L.axis, m.states);
    } else {
      svg.text(L.label_right, box.bar_y + box.bar_h / 2 + 4,
               fit_label(r.label, L.label_right - kChartMargin), label, r.label);
    }
  }
  svg.comment("bars");
  draw_bars(svg, m, L);
  draw_marks(svg, m, L);
  svg.comment("axis");
  draw_axis(svg, L);
  return svg.finish();
}

}  // namespace netsim::viz
