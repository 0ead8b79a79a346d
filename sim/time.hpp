// Virtual time: Duration and Instant as int64 nanoseconds, constexpr and totally ordered.
// No floating point anywhere (DESIGN.md property 2). Parsing/printing of "250us", "1.5s", "2min"
// lives in sim/units.hpp. Arithmetic saturates at the ends of the range (about ±292 years)
// instead of wrapping: a signed overflow is undefined behaviour (issue 17), and a deadline past
// the end of time must stay there, never come back as a moment in the past.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace netsim {

namespace time_detail {
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t sat_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kMax : kMin;
  return r;
}
constexpr int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? kMax : kMin;
  return r;
}
constexpr int64_t sat_mul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return (a < 0) != (b < 0) ? kMin : kMax;
  return r;
}
}  // namespace time_detail

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration nanoseconds(int64_t n) { return Duration(n); }
  static constexpr Duration microseconds(int64_t n) {
    return Duration(time_detail::sat_mul(n, 1'000));
  }
  static constexpr Duration milliseconds(int64_t n) {
    return Duration(time_detail::sat_mul(n, 1'000'000));
  }
  static constexpr Duration seconds(int64_t n) {
    return Duration(time_detail::sat_mul(n, 1'000'000'000));
  }
  static constexpr Duration minutes(int64_t n) { return seconds(time_detail::sat_mul(n, 60)); }
  static constexpr Duration hours(int64_t n) { return seconds(time_detail::sat_mul(n, 3600)); }
  static constexpr Duration zero() { return Duration(0); }
  static constexpr Duration max() { return Duration(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ns() const { return ns_; }

  constexpr Duration operator+(Duration o) const {
    return Duration(time_detail::sat_add(ns_, o.ns_));
  }
  constexpr Duration operator-(Duration o) const {
    return Duration(time_detail::sat_sub(ns_, o.ns_));
  }
  constexpr Duration operator*(int64_t k) const { return Duration(time_detail::sat_mul(ns_, k)); }
  // INT64_MIN / -1 overflows too: it saturates like the rest.
  constexpr Duration operator/(int64_t k) const {
    return Duration(k == -1 ? time_detail::sat_sub(0, ns_) : ns_ / k);
  }
  constexpr int64_t operator/(Duration o) const {
    return o.ns_ == -1 ? time_detail::sat_sub(0, ns_) : ns_ / o.ns_;
  }
  constexpr Duration& operator+=(Duration o) { return *this = *this + o; }
  constexpr Duration& operator-=(Duration o) { return *this = *this - o; }
  constexpr auto operator<=>(const Duration&) const = default;

 private:
  constexpr explicit Duration(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

constexpr Duration operator*(int64_t k, Duration d) {
  return d * k;
}

// A point on the simulation's virtual time axis; zero is the start of the run.
class Instant {
 public:
  constexpr Instant() = default;
  static constexpr Instant from_ns(int64_t ns) { return Instant(ns); }
  static constexpr Instant zero() { return Instant(0); }
  static constexpr Instant max() { return Instant(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ns() const { return ns_; }
  constexpr Duration since_start() const { return Duration::nanoseconds(ns_); }

  constexpr Instant operator+(Duration d) const {
    return Instant(time_detail::sat_add(ns_, d.ns()));
  }
  constexpr Instant operator-(Duration d) const {
    return Instant(time_detail::sat_sub(ns_, d.ns()));
  }
  constexpr Duration operator-(Instant o) const {
    return Duration::nanoseconds(time_detail::sat_sub(ns_, o.ns_));
  }
  constexpr Instant& operator+=(Duration d) { return *this = *this + d; }
  constexpr auto operator<=>(const Instant&) const = default;

  // Kept for the callers that say so explicitly; operator+ saturates the same way.
  constexpr Instant saturating_add(Duration d) const { return *this + d; }

 private:
  constexpr explicit Instant(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

namespace literals {
constexpr Duration operator""_ns(unsigned long long n) {
  return Duration::nanoseconds(static_cast<int64_t>(n));
}
constexpr Duration operator""_us(unsigned long long n) {
  return Duration::microseconds(static_cast<int64_t>(n));
}
constexpr Duration operator""_ms(unsigned long long n) {
  return Duration::milliseconds(static_cast<int64_t>(n));
}
constexpr Duration operator""_s(unsigned long long n) {
  return Duration::seconds(static_cast<int64_t>(n));
}
constexpr Duration operator""_min(unsigned long long n) {
  return Duration::minutes(static_cast<int64_t>(n));
}
constexpr Duration operator""_h(unsigned long long n) {
  return Duration::hours(static_cast<int64_t>(n));
}
}  // namespace literals

}  // namespace netsim
