// Times and spans in hours, minutes and seconds from a minute on (viz/time_format.hpp): the
// forms below a minute are unchanged, long idle gaps read "2 h", not "7200 s".
#include <catch2/catch.hpp>

#include "viz/time_format.hpp"

using namespace netsim;
using namespace netsim::viz;
using namespace netsim::literals;

TEST_CASE("moments below 100 s keep their milliseconds and seconds") {
  CHECK(format_clock(Instant::zero()) == "0 ms");
  CHECK(format_clock(Instant::zero() + 7500_us) == "7.5 ms");
  CHECK(format_clock(Instant::zero() + 60_s + 280_ms) == "60.28 s");
  CHECK(format_clock(Instant::zero() + 99_s + 999_ms) == "99.999 s");
}

TEST_CASE("moments from 100 s on read in hours, minutes and seconds, exact to the us") {
  CHECK(format_clock(Instant::zero() + 120_s) == "2 min");
  CHECK(format_clock(Instant::zero() + 100_s + 280_ms) == "1 min 40.28 s");
  CHECK(format_clock(Instant::zero() + 125_s + 1_us) == "2 min 5.000001 s");
  CHECK(format_clock(Instant::zero() + Duration::seconds(14400) + 20_ms) == "4 h 0 min 0.02 s");
  CHECK(format_clock(Instant::zero() + Duration::seconds(7200)) == "2 h");
  CHECK(format_clock(Instant::zero() + Duration::seconds(7500)) == "2 h 5 min");
}

TEST_CASE("spans from 100 s on read in hours and minutes, to about three digits") {
  CHECK(format_span_hms(58900_ms) == "58.9 s");
  CHECK(format_span_hms(64_s) == "64 s");
  CHECK(format_span_hms(127_s + 340_ms) == "2 min 7.3 s");
  CHECK(format_span_hms(Duration::seconds(131)) == "2 min 11 s");
  CHECK(format_span_hms(Duration::seconds(720)) == "12 min");
  CHECK(format_span_hms(Duration::seconds(7200)) == "2 h");
  CHECK(format_span_hms(Duration::seconds(14400) + 20_ms) == "4 h");
  CHECK(format_span_hms(Duration::seconds(3725)) == "1 h 2 min");
}
