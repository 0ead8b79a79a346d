// Durations, rates, sizes and probabilities: exact parsing, printing and clear rejection.
#include <catch2/catch.hpp>

#include "sim/time.hpp"
#include "sim/units.hpp"

using namespace netsim;
using namespace netsim::literals;

TEST_CASE("durations parse exactly in every unit of the scenario language") {
  CHECK(parse_duration("250us") == 250_us);
  CHECK(parse_duration("10ms") == 10_ms);
  CHECK(parse_duration("1.5s") == 1500_ms);
  CHECK(parse_duration("2min") == 120_s);
  CHECK(parse_duration("1h") == 3600_s);
  CHECK(parse_duration("0") == Duration::zero());
  CHECK(parse_duration("0s") == Duration::zero());
  CHECK(parse_duration("7ns").ns() == 7);
  CHECK(parse_duration("0.000000001s").ns() == 1);
  CHECK(parse_duration(" 3 ms ") == 3_ms);
}

TEST_CASE("duration garbage is rejected with a message saying what was expected") {
  auto msg = [](const char* text) {
    try {
      parse_duration(text);
    } catch (const UnitError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(
      msg("10 parsecs") ==
      "unknown duration unit \"parsecs\" in \"10 parsecs\"; expected one of ns, us, ms, s, min, h");
  CHECK(msg("-1s").find("non-negative") != std::string::npos);
  CHECK(msg("fast") == "expected a duration (a number with a unit), found \"fast\"");
  CHECK(msg("10") ==
        "duration \"10\" has no unit; expected one of ns, us, ms, s, min, h (e.g. \"10ms\")");
  CHECK(msg("99999999999h") == "duration \"99999999999h\" is too large");
  CHECK(msg("0.5ns") == "duration \"0.5ns\" is finer than 1 ns");
  CHECK(msg("") == "expected a duration, found an empty value");
}

TEST_CASE("durations print in their shortest exact form") {
  CHECK(format_duration(1500_ms) == "1.5s");
  CHECK(format_duration(250_us) == "250us");
  CHECK(format_duration(120_s) == "2min");
  CHECK(format_duration(90_s) == "90s");
  CHECK(format_duration(Duration::zero()) == "0ns");
  CHECK(format_duration(400_ms) == "400ms");
  CHECK(format_seconds(Instant::zero() + 1_s) == "1.000000");
  CHECK(format_seconds(Instant::zero() + 10_ms) == "0.010000");
}

TEST_CASE("time arithmetic is integer and constexpr") {
  static_assert((Instant::zero() + 1_s) - Instant::zero() == 1_s);
  static_assert(2 * 500_ms == 1_s);
  static_assert(1_s / 4 == 250_ms);
  CHECK(Instant::max().saturating_add(1_s) == Instant::max());
}

TEST_CASE("a 1500-byte packet on 10 Mbps takes exactly 1.2 ms to serialise") {
  CHECK(parse_data_rate("10Mbps").transmission_time(1500) == 1200_us);
  CHECK(parse_data_rate("1Gbps").transmission_time(1500) == 12_us);
  CHECK(parse_data_rate("512kbps").bits_per_second() == 512'000);
  CHECK(format_data_rate(parse_data_rate("100Mbps")) == "100Mbps");
  CHECK_THROWS_WITH(parse_data_rate("10 furlongs"),
                    Catch::Contains("unknown data-rate unit \"furlongs\""));
  CHECK_THROWS_WITH(parse_data_rate("0Mbps"), Catch::Contains("greater than zero"));
}

TEST_CASE("byte sizes distinguish SI and binary units as written") {
  CHECK(parse_byte_size("1460B").count() == 1460);
  CHECK(parse_byte_size("64KiB").count() == 65536);
  CHECK(parse_byte_size("1MB").count() == 1'000'000);
  CHECK(parse_byte_size("100MB").count() == 100'000'000);
  CHECK(parse_byte_size("10KB").count() == 10'000);
  CHECK(format_byte_size(ByteSize::bytes(65536)) == "64KiB");
  CHECK(format_byte_size(ByteSize::bytes(1'000'000)) == "1MB");
  CHECK_THROWS_WITH(parse_byte_size("12"), Catch::Contains("has no unit"));
}

TEST_CASE("packet rates keep the exact interval between packets") {
  CHECK(parse_packet_rate("2000/s").interval == 500_us);
  CHECK(parse_packet_rate("100000/s").interval == 10_us);
  CHECK(parse_packet_rate("1/min").interval == 60_s);
  CHECK_THROWS_WITH(parse_packet_rate("2000"), Catch::Contains("like \"2000/s\""));
  CHECK_THROWS_WITH(parse_packet_rate("0/s"), Catch::Contains("greater than zero"));
}

TEST_CASE("probabilities accept fractions and percentages up to 100%") {
  CHECK(parse_probability("0.05").value == Approx(0.05));
  CHECK(parse_probability("5%").value == Approx(0.05));
  CHECK(parse_probability("100%").value == 1.0);
  CHECK(parse_probability("0").value == 0.0);
  CHECK_THROWS_WITH(parse_probability("150%"), "probability \"150%\" is above 100%");
  CHECK_THROWS_WITH(parse_probability("1.5"), "probability \"1.5\" is above 100%");
  CHECK(format_probability(Probability{0.01}) == "1%");
  CHECK(format_probability(Probability{0.005}) == "0.5%");
}
