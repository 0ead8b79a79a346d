// Output path rules (issue 8, "Output safety").
#include "cli/output_paths.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>

namespace netsim::cli {

namespace fs = std::filesystem;

std::string resolve_output_path(const std::string& out_dir, const std::string& path,
                                const std::string& input_file) {
  if (path == "-") return path;
  if (path.empty()) throw OutputPathError("an output path is empty");
  fs::path p(path);
  fs::path full;
  if (p.is_absolute()) {
    full = p;
  } else {
    for (const auto& part : p) {
      if (part == "..") {
        throw OutputPathError(fmt::format(
            "output \"{}\" climbs out of the output directory with \"..\"; give an absolute path "
            "to write elsewhere",
            path));
      }
    }
    full = (out_dir.empty() ? fs::path(".") : fs::path(out_dir)) / p;
  }
  std::error_code ec;
  if (!input_file.empty() && fs::exists(full, ec) && fs::equivalent(full, input_file, ec)) {
    throw OutputPathError(
        fmt::format("output \"{}\" would overwrite the scenario file itself", path));
  }
  fs::path parent = full.parent_path();
  if (!parent.empty() && !fs::exists(parent, ec)) {
    fs::create_directories(parent, ec);
    if (ec) {
      throw OutputPathError(fmt::format("cannot create the directory \"{}\" for output \"{}\": {}",
                                        parent.string(), path, ec.message()));
    }
  }
  if (fs::is_directory(full, ec)) {
    throw OutputPathError(fmt::format("output \"{}\" is a directory", full.string()));
  }
  return full.string();
}

}  // namespace netsim::cli
