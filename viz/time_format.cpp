// Hours, minutes and seconds for viz/ (see time_format.hpp); below a minute the forms of
// labels.hpp's format_time and format_span are kept unchanged.
#include "viz/time_format.hpp"

#include <fmt/format.h>

#include "viz/labels.hpp"

namespace netsim::viz {

namespace {
constexpr int64_t kSecond = 1'000'000'000, kMinute = 60 * kSecond, kHour = 60 * kMinute;
// Below this, seconds read well ("60 s" is TIME_WAIT, "64 s" a SYN backoff); from it on,
// minutes and hours do ("7200 s" is not read as two hours).
constexpr int64_t kFrom = 100 * kSecond;

// ns as seconds exact to the microsecond, trailing zeros trimmed: "0.28", "5", "0.000001".
std::string seconds_text(int64_t ns) {
  int64_t us = ns / 1'000;
  std::string s = fmt::format("{}", us / 1'000'000);
  std::string frac = fmt::format("{:06}", us % 1'000'000);
  while (!frac.empty() && frac.back() == '0')
    frac.pop_back();
  return frac.empty() ? s : s + "." + frac;
}
}  // namespace

std::string format_clock(Instant t) {
  int64_t ns = t.ns();
  if (ns < kFrom) return format_time(t);
  int64_t h = ns / kHour, m = ns % kHour / kMinute, rest = ns % kMinute;
  std::string out = h > 0 ? fmt::format("{} h", h) : std::string();
  if (rest / 1'000 == 0) {  // whole minutes: "4 h", "2 h 5 min", "3 min"
    if (m > 0 || h == 0) out += fmt::format("{}{} min", out.empty() ? "" : " ", m);
    return out;
  }
  out += fmt::format("{}{} min {} s", out.empty() ? "" : " ", m, seconds_text(rest));
  return out;
}

std::string format_span_hms(Duration d) {
  int64_t ns = d.ns();
  if (ns < kFrom) return format_span(d);
  if (ns >= kHour) {
    int64_t minutes = (ns + kMinute / 2) / kMinute;  // to the nearest minute
    int64_t h = minutes / 60, m = minutes % 60;
    return m == 0 ? fmt::format("{} h", h) : fmt::format("{} h {} min", h, m);
  }
  // Under ten minutes a tenth of a second still counts; above, whole seconds.
  int64_t unit = ns < 10 * kMinute ? kSecond / 10 : kSecond;
  int64_t rounded = (ns + unit / 2) / unit * unit;
  int64_t m = rounded / kMinute, rest = rounded % kMinute;
  if (rest == 0) return fmt::format("{} min", m);
  return fmt::format("{} min {} s", m, seconds_text(rest));
}

}  // namespace netsim::viz
