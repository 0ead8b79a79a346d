// libnetsim_render.so: the only code of netsim that calls Graphviz, librsvg and cairo, behind the
// C table of viz/render_module.hpp. It knows nothing of diagrams or charts; viz/ decides what to
// draw and loads this module (viz/render_loader.cpp) the first time it draws a picture.
#include "viz/render_module.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <librsvg/rsvg.h>

#include <cmath>
#include <memory>
#include <mutex>
#include <string>

namespace {

// Graphviz 2.43's pango text-layout plugin keeps a static pointer to the last font name it
// measured (plugin/pango/gvtextlayout_pango.c, `static char *fontname`), and that name lives in
// the GVC's font table: freeing a context and rendering again with another reads freed memory
// (AddressSanitizer catches it on the second diagram of a run). So one context serves every
// render of the process and is never freed; Graphviz is not thread-safe, hence the lock.
struct SharedGvc {
  std::mutex lock;
  GVC_t* gvc = gvContext();
};
SharedGvc& shared_gvc() {
  static SharedGvc* shared = new SharedGvc;  // never destroyed: see above
  return *shared;
}

void* graph_open() {
  // Warnings (a font substituted, ...) would go to stderr; the drawing does not depend on them.
  agseterr(AGERR);
  return agopen(const_cast<char*>("sequence"), Agdirected, nullptr);
}
void graph_close(void* g) {
  if (g) agclose(static_cast<Agraph_t*>(g));
}
void graph_attr(void* g, const char* key, const char* value) {
  agattr(static_cast<Agraph_t*>(g), AGRAPH, const_cast<char*>(key), const_cast<char*>(value));
}
void* graph_node(void* g, const char* name) {
  return agnode(static_cast<Agraph_t*>(g), const_cast<char*>(name), 1);
}
void* graph_edge(void* g, void* tail, void* head) {
  return agedge(static_cast<Agraph_t*>(g), static_cast<Agnode_t*>(tail),
                static_cast<Agnode_t*>(head), nullptr, 1);
}
void object_set(void* obj, const char* key, const char* value) {
  agsafeset(obj, const_cast<char*>(key), const_cast<char*>(value), const_cast<char*>(""));
}

int graph_render(void* graph, const char* engine, const char* device, netsim_render_sink sink,
                 void* ctx) {
  auto* g = static_cast<Agraph_t*>(graph);
  SharedGvc& shared = shared_gvc();
  std::lock_guard<std::mutex> hold(shared.lock);
  GVC_t* gvc = shared.gvc;
  if (!gvc) return 1;
  if (gvLayout(gvc, g, engine) != 0) return 2;
  char* data = nullptr;
  unsigned int length = 0;
  int rc = gvRenderData(gvc, g, device, &data, &length);
  bool ok = rc == 0 && data && length > 0;
  if (ok) sink(ctx, data, length);
  if (data) gvFreeRenderData(data);
  gvFreeLayout(gvc, g);
  return ok ? 0 : 3;
}

struct GObjectUnref {
  void operator()(void* p) const { g_object_unref(p); }
};
struct SurfaceDestroy {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoDestroy {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};

struct Out {
  netsim_render_sink sink;
  void* ctx;
};
cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<Out*>(closure);
  out->sink(out->ctx, reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// A failure: the whole message goes to `err`, and the caller returns false.
struct Failure {
  std::string message;
};
[[noreturn]] void fail_with(GError* error, const std::string& what) {
  std::string why = error ? error->message : "unknown error";
  if (error) g_error_free(error);
  throw Failure{what + ": " + why};
}

// The parsed SVG and its size in pixels.
struct LoadedSvg {
  std::unique_ptr<RsvgHandle, GObjectUnref> handle;
  double w = 0, h = 0;
};
LoadedSvg load_svg(const char* svg, std::size_t length, const std::string& what) {
  GError* error = nullptr;
  LoadedSvg l;
  l.handle.reset(rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(svg), length, &error));
  if (!l.handle) fail_with(error, what);
  gdouble w = 0, h = 0;
  if (!rsvg_handle_get_intrinsic_size_in_pixels(l.handle.get(), &w, &h)) {
    throw Failure{what + ": the SVG has no size"};
  }
  l.w = w;
  l.h = h;
  return l;
}

void render(RsvgHandle* handle, cairo_t* cr, double w, double h, const std::string& what) {
  GError* error = nullptr;
  RsvgRectangle viewport{0, 0, w, h};
  if (!rsvg_handle_render_document(handle, cr, &viewport, &error)) fail_with(error, what);
}

void draw_png(const char* svg, std::size_t length, double scale, Out& out) {
  const std::string what = "cannot rasterise the chart";
  LoadedSvg l = load_svg(svg, length, what);
  int pw = static_cast<int>(std::ceil(l.w * scale)), ph = static_cast<int>(std::ceil(l.h * scale));
  std::unique_ptr<cairo_surface_t, SurfaceDestroy> surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph));
  std::unique_ptr<cairo_t, CairoDestroy> cr(cairo_create(surface.get()));
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  render(l.handle.get(), cr.get(), pw, ph, what);
  cairo_surface_flush(surface.get());
  if (cairo_surface_write_to_png_stream(surface.get(), append_bytes, &out) !=
      CAIRO_STATUS_SUCCESS) {
    throw Failure{"cannot encode the chart as PNG"};
  }
}

// One page the size of the SVG, one point per SVG unit. cairo stamps a PDF with the time it
// was made unless told a date: a fixed one keeps the bytes a function of the chart alone.
void draw_pdf(const char* svg, std::size_t length, Out& out) {
  const std::string what = "cannot draw the chart as PDF";
  LoadedSvg l = load_svg(svg, length, what);
  const double w = l.w, h = l.h;
  std::unique_ptr<cairo_surface_t, SurfaceDestroy> surface(
      cairo_pdf_surface_create_for_stream(append_bytes, &out, w, h));
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE,
                                 "2000-01-01T00:00:00Z");
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "netsim");
  std::unique_ptr<cairo_t, CairoDestroy> cr(cairo_create(surface.get()));
  render(l.handle.get(), cr.get(), w, h, what);
  cr.reset();
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    throw Failure{"cannot encode the chart as PDF"};
  }
}

// No C++ exception crosses the C interface: a failure becomes the message in `err`.
template <typename Draw>
bool guarded(Draw draw, netsim_render_sink sink, void* err) {
  try {
    draw();
    return true;
  } catch (const Failure& f) {
    sink(err, f.message.data(), f.message.size());
  } catch (const std::exception& e) {
    std::string why = e.what();
    sink(err, why.data(), why.size());
  }
  return false;
}

bool svg_to_png(const char* svg, std::size_t length, double scale, netsim_render_sink sink,
                void* ctx, void* err) {
  Out out{sink, ctx};
  return guarded([&] { draw_png(svg, length, scale, out); }, sink, err);
}
bool svg_to_pdf(const char* svg, std::size_t length, netsim_render_sink sink, void* ctx,
                void* err) {
  Out out{sink, ctx};
  return guarded([&] { draw_pdf(svg, length, out); }, sink, err);
}

constexpr NetsimRenderApi kApi{kNetsimRenderAbi, graph_open, graph_close,  graph_attr, graph_node,
                               graph_edge,       object_set, graph_render, svg_to_png, svg_to_pdf};

}  // namespace

extern "C" __attribute__((visibility("default"))) const void* netsim_render_api() {
  return &kApi;
}
