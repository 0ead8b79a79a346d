// The host counters by the names scenarios and summary.json use (SCENARIO_SPEC.md "Summary"),
// read through the one counter table (protocols/tcp/io.hpp counter_table()), which the loader's
// known_host_counters() reads too.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/tcp/io.hpp"

namespace netsim {

inline std::vector<std::pair<std::string_view, uint64_t>> host_counters(const tcp::Counters& c) {
  std::vector<std::pair<std::string_view, uint64_t>> v;
  for (const tcp::CounterInfo& i : tcp::counter_table())
    v.emplace_back(i.name, c.*i.member);
  return v;
}

}  // namespace netsim
