// For the tests that keep the docs' pictures honest (tests/runner/test_docs_images*.cpp): an
// image under docs/images/ must be byte for byte what the code draws now; NETSIM_UPDATE_GOLDEN=1
// rewrites it instead.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace test_support {

inline void check_docs_image(const std::string& file, const std::string& bytes) {
  std::string path = std::string(NETSIM_SOURCE_DIR "/docs/images/") + file;
  const char* update = std::getenv("NETSIM_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << bytes;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream have;
  have << in.rdbuf();
  INFO(path << " is not what the code draws now: regenerate with NETSIM_UPDATE_GOLDEN=1");
  CHECK(have.str() == bytes);
}

}  // namespace test_support
