// Where output files go: relative paths land under the output directory (-o), an absolute
// path is used as given, and a relative path may not climb out of the directory with "..";
// nothing may overwrite the scenario file itself. Parent directories are created.
#pragma once

#include <stdexcept>
#include <string>

namespace netsim::cli {

class OutputPathError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Resolves `path` ("-" stays "-") for writing; throws OutputPathError with a clear message.
std::string resolve_output_path(const std::string& out_dir, const std::string& path,
                                const std::string& input_file);

}  // namespace netsim::cli
