// Finds and loads libnetsim_render.so (viz/render_module.hpp) the first time a picture is drawn,
// so that netsim runs which draw none never link Graphviz, librsvg, cairo and pango.
#pragma once

#include <string>

#include "viz/render_module.hpp"

namespace netsim::viz {

// The module's file name, as built and installed.
inline constexpr const char* kRenderModuleFile = "libnetsim_render.so";

// The loaded module's table. Loads it on the first call (thread-safe, once per process) from,
// in order: $NETSIM_RENDER_MODULE (a file path), the directory of the running executable,
// <that directory>/../lib/netsim/ (the installed layout), then the build tree the executable
// was built in. Throws DiagramError naming every place tried when none has a usable module.
const NetsimRenderApi& render_api();

// The sink of the table's functions: appends to the std::string `ctx` points to.
void append_to_string(void* ctx, const char* data, std::size_t length);

}  // namespace netsim::viz
