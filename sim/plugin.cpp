// dlopen() of netsim's optional modules; see plugin.hpp for the search order.
#include "sim/plugin.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace netsim {

namespace {

std::vector<std::string> candidates(const PluginSpec& spec) {
  if (const char* env = std::getenv(spec.env); env && *env) {
    return {env};  // an explicit choice is the only one: never fall back behind the user's back
  }
  std::vector<std::string> out;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return out;
  auto dir = exe.parent_path();
  out.push_back((dir / spec.file).string());
  out.push_back((dir.parent_path() / "lib" / "netsim" / spec.file).string());
  // Test and bench programs run from their own build directories, not beside netsim.
  if (spec.build_path && *spec.build_path && spec.build_root && *spec.build_root) {
    // /proc/self/exe has symlinks resolved; so must the root be compared with it.
    auto root = std::filesystem::weakly_canonical(spec.build_root, ec);
    auto rel = ec ? std::filesystem::path() : exe.lexically_relative(root);
    if (!rel.empty() && *rel.begin() != "..") out.emplace_back(spec.build_path);
  }
  return out;
}

}  // namespace

LoadedPlugin load_plugin(const PluginSpec& spec) {
  LoadedPlugin out;
  auto note = [&](const std::string& path, const std::string& why) {
    out.tried += fmt::format("{}{} ({})", out.tried.empty() ? "" : "; ", path, why);
  };
  for (const auto& path : candidates(spec)) {
    if (access(path.c_str(), F_OK) != 0) {
      note(path, "no such file");
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | (spec.global ? RTLD_GLOBAL : RTLD_LOCAL));
    if (!handle) {
      note(path, dlerror());
      continue;
    }
    auto entry = reinterpret_cast<const void* (*)()>(dlsym(handle, spec.entry));
    const void* table = entry ? entry() : nullptr;
    if (!table || *static_cast<const int*>(table) != spec.abi) {
      note(path, fmt::format("not a netsim module of interface version {}", spec.abi));
      dlclose(handle);
      continue;
    }
    out.table = table;
    out.tried.clear();
    return out;  // never closed: the module's libraries keep state for the process
  }
  return out;
}

}  // namespace netsim
