// Runs one packetdrill script on virtual time (docs/drill.md): one simulated host running
// netsim's TCP (the "local" side, 192.168.0.1) and a scripted remote peer node (192.0.2.1) that
// injects the script's `<` packets and captures what the host sends for the `>` lines. The
// trace goes to the sinks given, so every output of `netsim run` works for a script too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "drill/script.hpp"
#include "sim/trace.hpp"

namespace netsim::drill {

struct RunOptions {
  std::vector<TraceSink*> sinks;
  std::optional<int64_t> tolerance_usecs;  // overrides the script's --tolerance_usecs
  uint64_t seed = 1;
  uint64_t max_events = 10'000'000;  // a runaway script fails instead of running for hours
};

enum class Verdict : uint8_t {
  pass,
  fail,         // a packet, a return value, a time or an assertion differed
  unsupported,  // the script needs a feature netsim does not model (`feature` says which)
};

struct RunResult {
  Verdict verdict = Verdict::pass;
  std::string message;  // fail / unsupported: "file:line:col: ..." with expected and actual
  std::string feature;  // unsupported only: "zerocopy", "TCP MD5", ...
  std::vector<std::string> notes;  // skipped asserts, ignored sysctls and commands
  int64_t end_usec = 0;            // virtual time at the end of the script
};

RunResult run_script(const Script& script, const RunOptions& options);

}  // namespace netsim::drill
