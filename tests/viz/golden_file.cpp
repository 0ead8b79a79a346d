// Golden-file helpers; see golden_file.hpp.
#include "golden_file.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

namespace netsim::viz::testing {

bool updating_goldens() {
  const char* v = std::getenv("NETSIM_UPDATE_GOLDEN");
  return v && std::string_view(v) == "1";
}

std::string golden_path(const std::string& name) {
  return std::string(NETSIM_SOURCE_DIR) + "/tests/viz/golden/" + name;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace netsim::viz::testing
