// Loads libnetsim_render.so with dlopen() on first use (sim/plugin.hpp says where it looks).
#include "viz/render_loader.hpp"

#include <fmt/format.h>

#include "sim/plugin.hpp"
#include "viz/diagram.hpp"

namespace netsim::viz {

namespace {

struct Loaded {
  const NetsimRenderApi* api = nullptr;
  std::string error;
};

Loaded load() {
#ifdef NETSIM_RENDER_BUILD_PATH
  const char* build_path = NETSIM_RENDER_BUILD_PATH;
  const char* build_root = NETSIM_BUILD_ROOT;
#else
  const char* build_path = nullptr;
  const char* build_root = nullptr;
#endif
  // RTLD_LOCAL: the module's Graphviz and cairo symbols stay out of everyone else's way.
  LoadedPlugin p = load_plugin({.file = kRenderModuleFile,
                                .env = "NETSIM_RENDER_MODULE",
                                .build_path = build_path,
                                .build_root = build_root,
                                .entry = "netsim_render_api",
                                .abi = kNetsimRenderAbi,
                                .global = false});
  if (p.table) return {static_cast<const NetsimRenderApi*>(p.table), {}};
  return {nullptr,
          fmt::format("cannot draw pictures: the renderer module {} (Graphviz, librsvg, cairo) "
                      "could not be loaded; tried {}",
                      kRenderModuleFile, p.tried)};
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
