// `netsim drill SCRIPT.pkt...` (docs/drill.md): the options main.cpp fills in. The work is in
// drill/; this is the thin command that runs the scripts, writes outputs and reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netsim::cli {

struct DrillArgs {
  std::vector<std::string> files;
  std::string out_dir;  // -o
  std::optional<std::string> trace, events, pcap;
  int snaplen = 0;  // --snaplen BYTES: 0 keeps whole packets
  std::vector<std::string> diagrams;
  bool tap = false;
  std::optional<std::string> junit;
  std::optional<int64_t> tolerance_usecs;
  bool strict = false;   // a script needing an unmodelled feature counts as failed
  bool verbose = false;  // print the notes (skipped asserts, ignored sysctls)
  bool quiet = false;
};

int drill_command(const DrillArgs& args);

}  // namespace netsim::cli
