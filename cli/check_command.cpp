// `netsim check`: validate scenario files without running them; print every error.
#include <iostream>

#include "cli/commands.hpp"
#include "scenarios/loader/loader.hpp"

namespace netsim::cli {

int check_command(const std::vector<std::string>& files, const std::vector<std::string>& sets) {
  bool bad = false;
  for (const auto& f : files) {
    LoadResult r = load_scenario_file(f, sets);
    if (r.ok()) {
      std::cout << f << ": ok\n";
    } else {
      std::cerr << r.error_text();
      bad = true;
    }
  }
  return bad ? kExitBadInput : kExitOk;
}

}  // namespace netsim::cli
