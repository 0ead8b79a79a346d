// Times and spans as every picture of viz/ writes them: below 100 s as before ("7.5 ms",
// "60.28 s"), from 100 s on in hours, minutes and seconds ("2 min 7 s", "4 h 0 min 0.02 s"),
// so a keepalive's two idle hours read as "2 h", not "7200 s".
#pragma once

#include <string>

#include "sim/time.hpp"

namespace netsim::viz {

// A moment of the run: exact to the microsecond, trailing zeros trimmed. "0 ms", "7.5 ms",
// "60.0225 s" below 100 s; "2 min 7.0225 s", "2 h 0 min 5 s", "4 h" from 100 s on.
std::string format_clock(Instant t);

// A span, about three significant digits: "250 ms", "58.9 s", "64 s", "2 min 5.3 s",
// "12 min", "1 h 2 min", "4 h".
std::string format_span_hms(Duration d);

}  // namespace netsim::viz
