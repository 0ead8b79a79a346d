// Golden files for the diagram tests: compare rendered bytes with tests/viz/golden/NAME, or
// rewrite the golden when NETSIM_UPDATE_GOLDEN=1 (then review the diff and the images by eye).
#pragma once

#include <string>

namespace netsim::viz::testing {

bool updating_goldens();
std::string golden_path(const std::string& name);
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

}  // namespace netsim::viz::testing
