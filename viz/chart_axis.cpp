// The charts' time and value axes; see chart_axis.hpp.
#include "viz/chart_axis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace netsim::viz::detail {

int64_t nice_step(double v) {
  if (!(v > 1)) return 1;
  int64_t pow10 = 1;
  while (static_cast<double>(pow10) * 10 <= v)
    pow10 *= 10;
  for (int64_t m : {1, 2, 5, 10}) {
    if (static_cast<double>(m * pow10) >= v) return m * pow10;
  }
  return 10 * pow10;
}

std::string format_count(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

namespace {
// Drops trailing zeros (and a trailing point) of a fixed-point number.
std::string trim_decimals(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (s.back() == '0')
    s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}
}  // namespace

std::string short_duration(Duration d) {
  int64_t ns = d.ns();
  struct U {
    int64_t ns;
    const char* name;
  };
  U u = ns >= 1'000'000'000 ? U{1'000'000'000, "s"}
        : ns >= 1'000'000   ? U{1'000'000, "ms"}
        : ns >= 1'000       ? U{1'000, "µs"}
                            : U{1, "ns"};
  double v = static_cast<double>(ns) / static_cast<double>(u.ns);
  int decimals = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return trim_decimals(fmt::format("{:.{}f}", v, decimals)) + " " + u.name;
}

// --- TimeAxis -----------------------------------------------------------------------------

TimeAxis::TimeAxis(Instant start, Instant end, double x0, double x1, std::optional<Break> broken)
    : start_(start), end_(std::max(end, start + Duration::nanoseconds(1))), x0_(x0), x1_(x1) {
  if (broken && start_ <= broken->from && broken->from < broken->to && broken->to <= end_ &&
      x1_ - x0_ > 2 * kBreakWidth) {
    break_ = broken;
  }
}

double TimeAxis::x_of(Instant t) const {
  t = std::clamp(t, start_, end_);
  auto ns = [](Duration d) { return static_cast<double>(d.ns()); };
  if (!break_) return x0_ + ns(t - start_) / ns(end_ - start_) * (x1_ - x0_);
  double linear_ns = ns(end_ - start_) - ns(break_->to - break_->from);
  double k = linear_ns > 0 ? (x1_ - x0_ - kBreakWidth) / linear_ns : 0;
  double bx0 = x0_ + ns(break_->from - start_) * k;
  if (t <= break_->from) return x0_ + ns(t - start_) * k;
  if (t < break_->to)
    return bx0 + ns(t - break_->from) / ns(break_->to - break_->from) * kBreakWidth;
  return bx0 + kBreakWidth + ns(t - break_->to) * k;
}

int64_t TimeAxis::step_for(double min_spacing) const {
  double span_ns = static_cast<double>((end_ - start_).ns());
  double px = x1_ - x0_;
  if (break_) {
    span_ns -= static_cast<double>((break_->to - break_->from).ns());
    px -= kBreakWidth;
  }
  if (span_ns <= 0 || px <= 0) return nice_step(static_cast<double>((end_ - start_).ns()));
  return nice_step(min_spacing * span_ns / px);
}

TimeAxis::Unit TimeAxis::unit_for(int64_t step) const {
  Unit u = step >= 100'000'000 ? Unit{1'000'000'000, "s", 0}
           : step >= 100'000   ? Unit{1'000'000, "ms", 0}
           : step >= 100       ? Unit{1'000, "µs", 0}
                               : Unit{1, "ns", 0};
  // Steps are 1, 2 or 5 × 10^k ns: 0.1 s needs one decimal, 0.01 s (not chosen) would need two.
  for (int64_t s = step; s < u.ns; s *= 10)
    ++u.decimals;
  return u;
}

std::string TimeAxis::label(Instant t, const Unit& u, int extra_decimals) const {
  double v = static_cast<double>(t.ns()) / static_cast<double>(u.ns);
  std::string s = fmt::format("{:.{}f}", v, u.decimals + extra_decimals);
  return extra_decimals > 0 ? trim_decimals(s) : s;
}

std::vector<AxisTick> TimeAxis::ticks(double min_spacing) const {
  int64_t step = step_for(min_spacing);
  Unit u = unit_for(step);
  std::vector<AxisTick> out;
  std::optional<double> resume_x;
  if (break_) resume_x = x_of(break_->to);
  int64_t first = (start_.ns() + step - 1) / step * step;
  if (start_.ns() < 0) first = start_.ns() / step * step;
  for (int64_t ns = first; ns <= end_.ns(); ns += step) {
    Instant t = Instant::from_ns(ns);
    if (break_ && t > break_->from && t < break_->to) continue;
    double x = x_of(t);
    if (resume_x && std::abs(x - *resume_x) < min_spacing) continue;
    out.push_back({x, label(t, u, 0)});
  }
  if (resume_x) {
    out.push_back({*resume_x, label(break_->to, u, 2)});
    std::stable_sort(out.begin(), out.end(),
                     [](const AxisTick& a, const AxisTick& b) { return a.pos < b.pos; });
  }
  return out;
}

std::string TimeAxis::title(double min_spacing) const {
  return fmt::format("time ({})", unit_for(step_for(min_spacing)).name);
}

std::optional<TimeAxis::Break> choose_break(std::vector<Instant> events, Instant start,
                                            Instant end) {
  events.push_back(start);
  events.push_back(end);
  std::sort(events.begin(), events.end());
  std::optional<TimeAxis::Break> best;
  Duration longest = Duration::zero();
  for (size_t i = 1; i < events.size(); ++i) {
    if (events[i - 1] < start || events[i] > end) continue;
    Duration gap = events[i] - events[i - 1];
    if (gap > longest) {
      longest = gap;
      best = TimeAxis::Break{events[i - 1], events[i]};
    }
  }
  // Only a gap that dominates the chart is worth a break: the story is then squeezed into the
  // remaining third or less. Smaller gaps stay to scale (exponential backoff must look so).
  if (!best || longest * 3 <= (end - start) * 2) return std::nullopt;
  // Keep a little of the gap to scale on each side, so a bar visibly continues into it.
  Duration margin = longest / 50;
  return TimeAxis::Break{best->from + margin, best->to - margin};
}

// --- ValueAxis ----------------------------------------------------------------------------

ValueAxis::ValueAxis(int64_t max_value, double y_bottom, double y_top)
    : y_bottom_(y_bottom), y_top_(y_top) {
  max_value = std::max<int64_t>(max_value, 1);
  step_ = nice_step(static_cast<double>(max_value) / 5.0);
  top_ = (max_value + step_ - 1) / step_ * step_;
}

double ValueAxis::y_of(double v) const {
  return y_bottom_ - v / static_cast<double>(top_) * (y_bottom_ - y_top_);
}

std::vector<AxisTick> ValueAxis::ticks() const {
  std::vector<AxisTick> out;
  for (int64_t v = 0; v <= top_; v += step_)
    out.push_back({y_of(static_cast<double>(v)), format_count(v)});
  return out;
}

}  // namespace netsim::viz::detail
