// Loads libnetsim_render.so with dlopen() on first use; see render_loader.hpp for where it looks.
#include "viz/render_loader.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "viz/diagram.hpp"

namespace netsim::viz {

namespace {

std::filesystem::path executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path{} : exe.parent_path();
}

std::vector<std::string> candidates() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("NETSIM_RENDER_MODULE"); env && *env) {
    out.emplace_back(env);
    return out;  // an explicit choice is the only one: never fall back behind the user's back
  }
  auto dir = executable_dir();
  if (!dir.empty()) {
    out.push_back((dir / kRenderModuleFile).string());
    out.push_back((dir.parent_path() / "lib" / "netsim" / kRenderModuleFile).string());
  }
#ifdef NETSIM_RENDER_BUILD_PATH
  // Test and bench programs run from their own build directories, not beside netsim.
  out.emplace_back(NETSIM_RENDER_BUILD_PATH);
#endif
  return out;
}

struct Loaded {
  const NetsimRenderApi* api = nullptr;
  std::string error;
};

Loaded load() {
  std::string tried;
  for (const auto& path : candidates()) {
    if (access(path.c_str(), F_OK) != 0) {
      tried += fmt::format("{}{} (no such file)", tried.empty() ? "" : "; ", path);
      continue;
    }
    // RTLD_LOCAL: the module's Graphviz and cairo symbols stay out of everyone else's way.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      tried += fmt::format("{}{} ({})", tried.empty() ? "" : "; ", path, dlerror());
      continue;
    }
    auto entry = reinterpret_cast<const NetsimRenderApi* (*)()>(dlsym(handle, "netsim_render_api"));
    const NetsimRenderApi* api = entry ? entry() : nullptr;
    if (!api || api->abi != kNetsimRenderAbi) {
      tried += fmt::format("{}{} (not a netsim render module of interface version {})",
                           tried.empty() ? "" : "; ", path, kNetsimRenderAbi);
      dlclose(handle);
      continue;
    }
    return {api, {}};  // never closed: Graphviz keeps one context for the process
  }
  return {nullptr,
          fmt::format("cannot draw pictures: the renderer module {} (Graphviz, librsvg, cairo) "
                      "could not be loaded; tried {}",
                      kRenderModuleFile, tried)};
}

}  // namespace

const NetsimRenderApi& render_api() {
  static const Loaded loaded = load();
  if (!loaded.api) throw DiagramError(loaded.error);
  return *loaded.api;
}

void append_to_string(void* ctx, const char* data, std::size_t length) {
  static_cast<std::string*>(ctx)->append(data, length);
}

}  // namespace netsim::viz
