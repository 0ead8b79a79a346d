// `netsim drill` speed (issue 14): scripts per second through parse + run, on the kernel's
// packetdrill selftests (the folder scripts/conformance.sh extracts) and on tests/drill/.
// Prints its figures and asserts nothing. The target is 1,000 scripts/s or more.
// Usage: bench_drill [KERNEL_PACKETDRILL_DIR] [SECONDS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "drill/runner.hpp"
#include "drill/script_parser.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Loaded {
  std::string path;
  std::string text;
};

std::vector<Loaded> load(const std::filesystem::path& dir, const std::string& prefix) {
  std::vector<Loaded> out;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (e.path().extension() != ".pkt" || name.rfind(prefix, 0) != 0) continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back({e.path().string(), ss.str()});
  }
  std::sort(out.begin(), out.end(),
            [](const Loaded& a, const Loaded& b) { return a.path < b.path; });
  return out;
}

// Parses and runs every script again and again for `seconds`; returns scripts per second.
double measure(const char* label, const std::vector<Loaded>& scripts, double seconds) {
  if (scripts.empty()) {
    std::printf("%-28s no scripts found\n", label);
    return 0;
  }
  size_t runs = 0, passed = 0;
  auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (const Loaded& s : scripts) {
      netsim::drill::ParseResult p = netsim::drill::parse_script(s.text, s.path);
      if (p.ok()) {
        netsim::drill::RunResult r = netsim::drill::run_script(*p.script, {});
        passed += r.verdict == netsim::drill::Verdict::pass;
      }
      ++runs;
    }
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  double rate = static_cast<double>(runs) / elapsed;
  std::printf("%-28s %3zu scripts, %7zu runs in %.2f s: %9.0f scripts/s (%zu runs passed)\n", label,
              scripts.size(), runs, elapsed, rate, passed);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kernel = argc > 1 ? argv[1]
                                : "/tmp/netsim-conformance/linux-source-6.12/tools/testing/"
                                  "selftests/net/packetdrill";
  double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
  measure("kernel selftests (tcp_*)", load(kernel, "tcp_"), seconds);
  measure("tests/drill corpus", load(NETSIM_SOURCE_DIR "/tests/drill", ""), seconds);
  return 0;
}
