// The C interface between netsim and libnetsim_render.so, the module that holds every call into
// Graphviz, librsvg and cairo. netsim loads it with dlopen() only when a picture is drawn, so a
// run that draws none does not pay for linking those libraries (docs/performance.md).
#pragma once

#include <cstddef>

extern "C" {

// Receives bytes (a rendered file, or an error message); `ctx` is the caller's std::string.
typedef void (*netsim_render_sink)(void* ctx, const char* data, std::size_t length);

// Bumped whenever a field changes; the loader refuses a module of another version.
constexpr int kNetsimRenderAbi = 1;

struct NetsimRenderApi {
  int abi;
  // Graphviz (cgraph + gvc): a directed graph whose nodes and edges carry attributes only.
  void* (*graph_open)();
  void (*graph_close)(void* graph);
  void (*graph_attr)(void* graph, const char* key, const char* value);
  void* (*graph_node)(void* graph, const char* name);
  void* (*graph_edge)(void* graph, void* tail, void* head);
  void (*object_set)(void* object, const char* key, const char* value);
  // Lays the graph out with `engine` and renders it on `device` ("svg", "png:cairo", ...).
  // 0 on success; 1: no Graphviz context; 2: layout failed; 3: render failed or empty.
  int (*graph_render)(void* graph, const char* engine, const char* device, netsim_render_sink sink,
                      void* ctx);
  // librsvg + cairo: an SVG drawn as PNG (`scale` pixels per SVG pixel) or as a one-page PDF.
  // true on success; false with the whole error message written to `err`.
  bool (*svg_to_png)(const char* svg, std::size_t length, double scale, netsim_render_sink sink,
                     void* ctx, void* err);
  bool (*svg_to_pdf)(const char* svg, std::size_t length, netsim_render_sink sink, void* ctx,
                     void* err);
};

// The module's one exported symbol: its NetsimRenderApi table, returned as `const void*` because
// sim/plugin.cpp calls every module's entry through one `const void* (*)()` type (a call
// through another function type is undefined, and UBSan's -fsanitize=function stops it).
const void* netsim_render_api();
}
