// Fuzz target 4: the packetdrill script parser and runner (drill/). Arbitrary bytes must give
// a script or a "file:line:col: message" error, never a crash, a hang or an unbounded
// allocation; a script that parses is run on virtual time and must end with a verdict (a
// failure always carries a message naming the file).
#include <cstdint>
#include <string>
#include <string_view>

#include "drill/runner.hpp"
#include "drill/script_parser.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netsim::drill;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseResult r = parse_script(text, "f.pkt");
  if (!r.ok()) {
    FUZZ_CHECK(r.error.rfind("f.pkt:", 0) == 0, r.error);
    return 0;
  }
  RunOptions o;
  o.max_events = 200'000;
  RunResult run = run_script(*r.script, o);
  if (run.verdict != Verdict::pass) FUZZ_CHECK(run.message.rfind("f.pkt", 0) == 0, run.message);
  return 0;
}
