// Internal to viz/: the axes of the charts. A time axis maps virtual time to x, linearly or with
// one broken stretch (a long idle gap drawn narrow), and puts ticks at round times; a value
// axis maps counts and bytes to y from zero up to a round maximum.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/time.hpp"

namespace netsim::viz::detail {

struct AxisTick {
  double pos = 0;  // x for the time axis, y for the value axis
  std::string label;
};

// The smallest of 1, 2, 5 × 10^k that is >= v (v > 0).
int64_t nice_step(double v);
// "14,334"
std::string format_count(int64_t v);
// A duration with three significant digits and its unit: "60 s", "1.84 s", "850 ms", "200 µs".
std::string short_duration(Duration d);

class TimeAxis {
 public:
  // An idle stretch drawn kBreakWidth wide, whatever its length.
  struct Break {
    Instant from, to;
  };
  static constexpr double kBreakWidth = 36;

  TimeAxis(Instant start, Instant end, double x0, double x1,
           std::optional<Break> broken = std::nullopt);

  Instant start() const { return start_; }
  Instant end() const { return end_; }
  double x0() const { return x0_; }
  double x1() const { return x1_; }
  // Times outside [start, end] are clamped to the ends. Inside the break, x moves linearly
  // across its width, so bars that span it stay continuous.
  double x_of(Instant t) const;
  const std::optional<Break>& broken() const { return break_; }
  // x where the break is drawn; meaningless without one.
  double break_x0() const { return x_of(break_ ? break_->from : start_); }
  double break_x1() const { return x_of(break_ ? break_->to : start_); }

  // Ticks at multiples of a round step chosen so that labels are at least `min_spacing` apart;
  // after a break, the time where the axis resumes is labelled too.
  std::vector<AxisTick> ticks(double min_spacing) const;
  // "time (s)", "time (ms)": the unit of the tick labels.
  std::string title(double min_spacing) const;

 private:
  struct Unit {
    int64_t ns;
    const char* name;
    int decimals;
  };
  Unit unit_for(int64_t step) const;
  int64_t step_for(double min_spacing) const;
  std::string label(Instant t, const Unit& u, int extra_decimals) const;

  Instant start_, end_;
  double x0_, x1_;
  std::optional<Break> break_;
};

// The one gap between consecutive `events` (times where something on the chart changes) worth
// breaking: longer than two thirds of [start, end]. None when no gap is that long.
std::optional<TimeAxis::Break> choose_break(std::vector<Instant> events, Instant start,
                                            Instant end);

class ValueAxis {
 public:
  // From 0 to the smallest round value >= max_value (at least 1), for a plot from y_bottom
  // (value 0) up to y_top.
  ValueAxis(int64_t max_value, double y_bottom, double y_top);
  double y_of(double v) const;
  int64_t top() const { return top_; }
  std::vector<AxisTick> ticks() const;

 private:
  int64_t step_, top_;
  double y_bottom_, y_top_;
};

}  // namespace netsim::viz::detail
