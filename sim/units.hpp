// Parsing and printing of the scenario language's units: durations ("250us", "1.5s", "2min"),
// data rates ("10Mbps"), byte sizes ("64KiB", "1MB"), packet rates ("2000/s") and probabilities
// ("0.05", "5%"). Every parser is exact integer arithmetic and throws UnitError with a message
// that says what was expected and what was found.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sim/time.hpp"

namespace netsim {

class UnitError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Bits per second. Zero means "infinite" (no serialisation delay) only where a caller says so.
class DataRate {
 public:
  constexpr DataRate() = default;
  static constexpr DataRate bps(int64_t v) { return DataRate(v); }
  constexpr int64_t bits_per_second() const { return bps_; }
  // Time to put `bytes` on the wire, rounded up to the next nanosecond.
  Duration transmission_time(int64_t bytes) const;
  constexpr auto operator<=>(const DataRate&) const = default;

 private:
  constexpr explicit DataRate(int64_t v) : bps_(v) {}
  int64_t bps_ = 0;
};

class ByteSize {
 public:
  constexpr ByteSize() = default;
  static constexpr ByteSize bytes(int64_t v) { return ByteSize(v); }
  constexpr int64_t count() const { return bytes_; }
  constexpr auto operator<=>(const ByteSize&) const = default;

 private:
  constexpr explicit ByteSize(int64_t v) : bytes_(v) {}
  int64_t bytes_ = 0;
};

// A packet rate, kept as the exact interval between two packets.
struct PacketRate {
  Duration interval;
  double per_second() const { return 1e9 / static_cast<double>(interval.ns()); }
};

// A probability in [0, 1]. Stored as a double: it is a model parameter, never a time.
struct Probability {
  double value = 0.0;
  constexpr auto operator<=>(const Probability&) const = default;
};

Duration parse_duration(std::string_view text);
DataRate parse_data_rate(std::string_view text);
ByteSize parse_byte_size(std::string_view text);
PacketRate parse_packet_rate(std::string_view text);
Probability parse_probability(std::string_view text);

// "1.5s", "250us", "2min", "0s": the shortest exact form in the largest unit that keeps it short.
std::string format_duration(Duration d);
// Seconds with six decimals, as tcpdump prints timestamps: "1.000000".
std::string format_seconds(Instant t);
std::string format_data_rate(DataRate r);       // "10Mbps"
std::string format_byte_size(ByteSize b);       // "1460B", "64KiB", "1MB"
std::string format_probability(Probability p);  // "1%", "0.5%", "12.5%"

}  // namespace netsim
