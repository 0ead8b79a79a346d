// The diagram's time scale: one base scale (points per nanosecond) chosen from the typical
// transit time, a least height per labelled event so labels have room, and idle gaps over a
// threshold drawn as a broken axis. Gaps lie between consecutive event times, so compression
// can never hide an event.
#include <algorithm>
#include <cmath>
#include <limits>

#include "viz/labels.hpp"
#include "viz/layout_internal.hpp"
#include "viz/time_format.hpp"

namespace netsim::viz {

double TimeScale::y_of(Instant t) const {
  if (times_.empty()) return 0;
  auto it = std::lower_bound(times_.begin(), times_.end(), t);
  if (it == times_.end()) {
    return ys_.back() + pt_per_ns_ * static_cast<double>((t - times_.back()).ns());
  }
  size_t j = static_cast<size_t>(it - times_.begin());
  if (*it == t) return ys_[j];
  if (j == 0) return ys_[0] - pt_per_ns_ * static_cast<double>((times_[0] - t).ns());
  double f = static_cast<double>((t - times_[j - 1]).ns()) /
             static_cast<double>((times_[j] - times_[j - 1]).ns());
  return ys_[j - 1] + f * (ys_[j] - ys_[j - 1]);
}

namespace detail {

namespace {
constexpr double kNever = std::numeric_limits<double>::infinity();

struct Knots {
  std::vector<Instant> times;
  std::vector<bool> roomy;
  std::vector<double> room;        // the height a roomy knot needs above it
  std::vector<size_t> extra_rows;  // highest slot used at the knot
  struct Need {
    size_t from_knot, from_slot, to_slot;
  };
  std::vector<std::vector<Need>> ending_here;  // spans, by the knot they end at
};

Knots make_knots(const ScaleInput& in) {
  std::vector<ScaleInput::Event> ev = in.events;
  std::sort(ev.begin(), ev.end(), [](const auto& a, const auto& b) { return a.t < b.t; });
  Knots k;
  for (const auto& e : ev) {
    if (k.times.empty() || k.times.back() != e.t) {
      k.times.push_back(e.t);
      k.roomy.push_back(e.roomy);
      k.room.push_back(e.roomy ? std::max<double>(Metrics::row, e.room) : 0);
      k.extra_rows.push_back(e.slot);
    } else {
      if (e.roomy) k.roomy.back() = true;
      if (e.roomy) k.room.back() = std::max({k.room.back(), Metrics::row, e.room});
      k.extra_rows.back() = std::max(k.extra_rows.back(), e.slot);
    }
  }
  k.ending_here.resize(k.times.size());
  auto index = [&](Instant t) {
    return static_cast<size_t>(std::lower_bound(k.times.begin(), k.times.end(), t) -
                               k.times.begin());
  };
  for (const auto& s : in.spans) {
    if (s.to > s.from)
      k.ending_here[index(s.to)].push_back({index(s.from), s.from_slot, s.to_slot});
  }
  return k;
}

// Base scale: the median transit gets Metrics::transit points, so arrows slope the same way
// in every diagram; without any delivered packet, the shortest step between labelled events
// gets one row.
double base_scale(const ScaleInput& in, const Knots& k) {
  if (!in.transits.empty()) {
    std::vector<Duration> t = in.transits;
    std::sort(t.begin(), t.end());
    int64_t median = t[(t.size() - 1) / 2].ns();
    if (median > 0) return Metrics::transit / static_cast<double>(median);
  }
  int64_t shortest = 0;
  for (size_t j = 1; j < k.times.size(); ++j) {
    int64_t dt = (k.times[j] - k.times[j - 1]).ns();
    if (k.roomy[j] && (shortest == 0 || dt < shortest)) shortest = dt;
  }
  if (shortest > 0) return 2 * Metrics::row / static_cast<double>(shortest);
  return Metrics::row / 1e9;
}

// Heights for a given compression threshold (in points); gaps collects the broken stretches.
std::vector<double> run(const Knots& k, double s, double threshold, double top, double row,
                        std::vector<AxisGap>* gaps) {
  std::vector<double> ys(k.times.size(), top);
  for (size_t j = 1; j < k.times.size(); ++j) {
    Duration dt = k.times[j] - k.times[j - 1];
    double prev_bottom = ys[j - 1] + static_cast<double>(k.extra_rows[j - 1]) * row;
    double linear = s * static_cast<double>(dt.ns());
    double h = std::max(linear, k.roomy[j] ? k.room[j] : Metrics::min_step);
    bool broken = linear > threshold;
    if (broken) {
      // Longer gaps still look a little longer: a few points per doubling, capped.
      h = std::max(Metrics::break_min,
                   threshold + 8 * std::min(std::log2(linear / threshold), 6.0));
    }
    double y = prev_bottom + h;
    for (const auto& n : k.ending_here[j]) {
      y = std::max(y, ys[n.from_knot] + static_cast<double>(n.from_slot) * row + Metrics::arrow_dy -
                          static_cast<double>(n.to_slot) * row);
    }
    ys[j] = y;
    if (broken && gaps) {
      gaps->push_back(AxisGap{k.times[j - 1], k.times[j], prev_bottom, ys[j],
                              "… " + format_span_hms(dt) + " …", Box{}});
    }
  }
  return ys;
}
}  // namespace

ScaleResult build_scale(const ScaleInput& in, std::optional<Duration> compress_over, double top) {
  Knots k = make_knots(in);
  double s = base_scale(in, k);
  double threshold = kNever;
  if (compress_over && *compress_over != Duration::max()) {
    threshold = std::max(1.0, s * static_cast<double>(compress_over->ns()));
  } else if (!compress_over) {
    // The largest threshold that fits the page; past the smallest, the diagram is just long.
    for (double candidate : {kNever, 160.0, 120.0, 90.0, 60.0}) {
      threshold = candidate;
      auto ys = run(k, s, candidate, top, in.row, nullptr);
      if (ys.empty() || ys.back() - top <= Metrics::page) break;
    }
  }
  ScaleResult r;
  auto ys = run(k, s, threshold, top, in.row, &r.gaps);
  r.scale = TimeScale(std::move(k.times), std::move(ys), s, in.row);
  return r;
}

}  // namespace detail
}  // namespace netsim::viz
