// `netsim sweep FILE --set KEY=V1,V2,... --seeds N -j J [-o out.csv]` (docs/sweep.md): the
// options main.cpp fills in. The logic lives in scenarios/sweep/; this is the thin command.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace netsim::cli {

struct SweepArgs {
  std::string file;
  std::vector<std::string> sets;  // each "KEY=V1,V2,..."
  uint64_t seeds = 1;
  unsigned jobs = 1;
  std::string output = "-";  // CSV file; "-" = stdout
  uint64_t max_events = 0;   // per run; 0 = the default budget
  bool quiet = false;
};

int sweep_command(const SweepArgs& args);

}  // namespace netsim::cli
