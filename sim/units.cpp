// Exact parsing/printing of scenario units. A number is `digits[.digits]` followed by a unit;
// the value is computed in 128-bit integers so "1.5s" is exactly 1'500'000'000 ns and overflow
// or sub-unit precision is reported, never rounded silently.
#include "sim/units.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <limits>
#include <optional>

namespace netsim {
namespace {

using i128 = __int128;
constexpr i128 kMaxI64 = std::numeric_limits<int64_t>::max();

struct Decimal {
  i128 mantissa = 0;  // all digits, the decimal point removed
  int frac_digits = 0;
  std::string_view unit;  // what follows the number, leading spaces skipped
};

std::string quoted(std::string_view s) {
  return fmt::format("\"{}\"", s);
}

// Splits "1.5 ms" into {15, 1, "ms"}. Throws on a missing number, a sign or too many digits.
Decimal split_decimal(std::string_view text, std::string_view what) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  if (s.empty()) throw UnitError(fmt::format("expected {}, found an empty value", what));
  if (s.front() == '-') {
    throw UnitError(fmt::format("expected a non-negative {}, found {}", what, quoted(text)));
  }
  if (s.front() == '+') s.remove_prefix(1);
  Decimal d;
  size_t i = 0;
  int digits = 0;
  bool seen_point = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    if (++digits > 30) throw UnitError(fmt::format("{} {} is too large", what, quoted(text)));
    d.mantissa = d.mantissa * 10 + (c - '0');
    if (seen_point) ++d.frac_digits;
  }
  if (digits == 0) {
    throw UnitError(
        fmt::format("expected {} (a number with a unit), found {}", what, quoted(text)));
  }
  std::string_view rest = s.substr(i);
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front())))
    rest.remove_prefix(1);
  d.unit = rest;
  return d;
}

i128 pow10(int n) {
  i128 p = 1;
  while (n-- > 0)
    p *= 10;
  return p;
}

// mantissa * scale / 10^frac, required to be an exact integer that fits in int64.
int64_t scale_exact(const Decimal& d, i128 scale, std::string_view text, std::string_view what,
                    std::string_view finest) {
  i128 num = d.mantissa * scale;
  i128 den = pow10(d.frac_digits);
  if (num % den != 0) {
    throw UnitError(fmt::format("{} {} is finer than {}", what, quoted(text), finest));
  }
  i128 v = num / den;
  if (v > kMaxI64) throw UnitError(fmt::format("{} {} is too large", what, quoted(text)));
  return static_cast<int64_t>(v);
}

struct UnitScale {
  std::string_view name;
  int64_t scale;
};

std::optional<int64_t> find_unit(std::string_view unit, const UnitScale* begin,
                                 const UnitScale* end) {
  for (auto* u = begin; u != end; ++u) {
    if (u->name == unit) return u->scale;
  }
  return std::nullopt;
}

constexpr std::array<UnitScale, 8> kDurationUnits{{{"ns", 1},
                                                   {"us", 1'000},
                                                   {"µs", 1'000},
                                                   {"ms", 1'000'000},
                                                   {"s", 1'000'000'000},
                                                   {"min", 60'000'000'000},
                                                   {"h", 3'600'000'000'000},
                                                   {"d", 86'400'000'000'000}}};

}  // namespace

Duration parse_duration(std::string_view text) {
  Decimal d = split_decimal(text, "a duration");
  if (d.unit.empty()) {
    if (d.mantissa == 0) return Duration::zero();  // a bare 0 needs no unit
    throw UnitError(
        fmt::format("duration {} has no unit; expected one of ns, us, ms, s, min, h "
                    "(e.g. \"10ms\")",
                    quoted(text)));
  }
  auto scale = find_unit(d.unit, kDurationUnits.begin(), kDurationUnits.end());
  if (!scale) {
    throw UnitError(
        fmt::format("unknown duration unit {} in {}; expected one of ns, us, ms, s, "
                    "min, h",
                    quoted(d.unit), quoted(text)));
  }
  return Duration::nanoseconds(scale_exact(d, *scale, text, "duration", "1 ns"));
}

DataRate parse_data_rate(std::string_view text) {
  static constexpr std::array<UnitScale, 8> units{{{"bps", 1},
                                                   {"kbps", 1'000},
                                                   {"Kbps", 1'000},
                                                   {"Mbps", 1'000'000},
                                                   {"Gbps", 1'000'000'000},
                                                   {"Tbps", 1'000'000'000'000},
                                                   {"bit/s", 1},
                                                   {"b/s", 1}}};
  Decimal d = split_decimal(text, "a data rate");
  auto scale = find_unit(d.unit, units.begin(), units.end());
  if (!scale) {
    throw UnitError(
        fmt::format("unknown data-rate unit {} in {}; expected one of bps, kbps, Mbps, "
                    "Gbps (e.g. \"10Mbps\")",
                    quoted(d.unit), quoted(text)));
  }
  int64_t v = scale_exact(d, *scale, text, "data rate", "1 bps");
  if (v == 0) throw UnitError(fmt::format("data rate {} must be greater than zero", quoted(text)));
  return DataRate::bps(v);
}

ByteSize parse_byte_size(std::string_view text) {
  static constexpr std::array<UnitScale, 9> units{{{"B", 1},
                                                   {"KB", 1'000},
                                                   {"kB", 1'000},
                                                   {"MB", 1'000'000},
                                                   {"GB", 1'000'000'000},
                                                   {"KiB", 1 << 10},
                                                   {"MiB", 1 << 20},
                                                   {"GiB", int64_t{1} << 30},
                                                   {"TB", 1'000'000'000'000}}};
  Decimal d = split_decimal(text, "a size");
  if (d.unit.empty()) {
    throw UnitError(
        fmt::format("size {} has no unit; expected one of B, KB, KiB, MB, MiB, GB, "
                    "GiB (e.g. \"64KiB\")",
                    quoted(text)));
  }
  auto scale = find_unit(d.unit, units.begin(), units.end());
  if (!scale) {
    throw UnitError(
        fmt::format("unknown size unit {} in {}; expected one of B, KB, KiB, MB, MiB, "
                    "GB, GiB",
                    quoted(d.unit), quoted(text)));
  }
  return ByteSize::bytes(scale_exact(d, *scale, text, "size", "1 byte"));
}

PacketRate parse_packet_rate(std::string_view text) {
  Decimal d = split_decimal(text, "a packet rate");
  std::string_view unit = d.unit;
  if (unit.empty() || unit.front() != '/') {
    throw UnitError(fmt::format("expected a packet rate like \"2000/s\", found {}", quoted(text)));
  }
  unit.remove_prefix(1);
  auto scale = find_unit(unit, kDurationUnits.begin(), kDurationUnits.end());
  if (!scale) {
    throw UnitError(fmt::format("unknown packet-rate unit {} in {}; expected /s, /ms or /min",
                                quoted(d.unit), quoted(text)));
  }
  if (d.mantissa == 0) {
    throw UnitError(fmt::format("packet rate {} must be greater than zero", quoted(text)));
  }
  // interval = unit / (mantissa / 10^frac) = unit * 10^frac / mantissa, rounded to nearest ns.
  i128 num = static_cast<i128>(*scale) * pow10(d.frac_digits);
  i128 interval = (num + d.mantissa / 2) / d.mantissa;
  if (interval < 1) {
    throw UnitError(fmt::format("packet rate {} is above 1e9 packets per second", quoted(text)));
  }
  if (interval > kMaxI64) throw UnitError(fmt::format("packet rate {} is too small", quoted(text)));
  return PacketRate{Duration::nanoseconds(static_cast<int64_t>(interval))};
}

Probability parse_probability(std::string_view text) {
  Decimal d = split_decimal(text, "a probability");
  int extra = 0;
  if (d.unit == "%") {
    extra = 2;
  } else if (!d.unit.empty()) {
    throw UnitError(fmt::format("expected a probability like 0.05 or 5%, found {}", quoted(text)));
  }
  i128 den = pow10(d.frac_digits + extra);
  if (d.mantissa > den) {
    throw UnitError(fmt::format("probability {} is above 100%", quoted(text)));
  }
  return Probability{static_cast<double>(d.mantissa) / static_cast<double>(den)};
}

Duration DataRate::transmission_time(int64_t bytes) const {
  if (bps_ <= 0) return Duration::zero();
  i128 bits_ns = static_cast<i128>(bytes) * 8 * 1'000'000'000;
  return Duration::nanoseconds(static_cast<int64_t>((bits_ns + bps_ - 1) / bps_));
}

namespace {
// Largest unit from the list that divides v exactly with at most `max_frac` decimals.
std::string format_scaled(int64_t v, const UnitScale* units, size_t n, int max_frac) {
  if (v == 0) return fmt::format("0{}", units[0].name);
  for (size_t i = n; i-- > 0;) {
    int64_t s = units[i].scale;
    if (v >= s) {
      for (int frac = 0; frac <= max_frac; ++frac) {
        i128 p = pow10(frac);
        if ((static_cast<i128>(v) * p) % s == 0) {
          int64_t whole = v / s;
          int64_t part = static_cast<int64_t>((static_cast<i128>(v % s) * p) / s);
          if (frac == 0) return fmt::format("{}{}", whole, units[i].name);
          return fmt::format("{}.{:0{}}{}", whole, part, frac, units[i].name);
        }
      }
    }
  }
  return fmt::format("{}{}", v, units[0].name);
}
}  // namespace

std::string format_duration(Duration d) {
  static constexpr std::array<UnitScale, 6> units{{{"ns", 1},
                                                   {"us", 1'000},
                                                   {"ms", 1'000'000},
                                                   {"s", 1'000'000'000},
                                                   {"min", 60'000'000'000},
                                                   {"h", 3'600'000'000'000}}};
  if (d.ns() < 0) return fmt::format("-{}", format_duration(Duration::zero() - d));
  // Prefer s over min/h unless exact ("90s" reads better than "1.5min").
  int64_t v = d.ns();
  for (size_t i = units.size(); i-- > 0;) {
    int64_t s = units[i].scale;
    if (i >= 4 && v % s != 0) continue;
    if (v >= s) return format_scaled(v, units.data(), i + 1, 3);
  }
  return format_scaled(v, units.data(), units.size(), 3);
}

std::string format_seconds(Instant t) {
  int64_t ns = t.ns();
  const char* sign = ns < 0 ? "-" : "";
  if (ns < 0) ns = -ns;
  return fmt::format("{}{}.{:06}", sign, ns / 1'000'000'000, (ns % 1'000'000'000) / 1'000);
}

std::string format_data_rate(DataRate r) {
  static constexpr std::array<UnitScale, 4> units{
      {{"bps", 1}, {"kbps", 1'000}, {"Mbps", 1'000'000}, {"Gbps", 1'000'000'000}}};
  return format_scaled(r.bits_per_second(), units.data(), units.size(), 3);
}

std::string format_byte_size(ByteSize b) {
  int64_t v = b.count();
  if (v != 0 && v % 1024 == 0) {
    static constexpr std::array<UnitScale, 4> bin{
        {{"B", 1}, {"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", int64_t{1} << 30}}};
    return format_scaled(v, bin.data(), bin.size(), 0);
  }
  static constexpr std::array<UnitScale, 4> si{
      {{"B", 1}, {"KB", 1'000}, {"MB", 1'000'000}, {"GB", 1'000'000'000}}};
  return format_scaled(v, si.data(), si.size(), 3);
}

std::string format_probability(Probability p) {
  std::string s = fmt::format("{:.4f}", p.value * 100.0);
  while (!s.empty() && s.back() == '0')
    s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  s.push_back('%');
  return s;
}

}  // namespace netsim
