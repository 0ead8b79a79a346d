// Chart file formats and the PNG rasteriser (librsvg renders the SVG into a cairo image surface,
// cairo writes the PNG); see chart.hpp.
#include "viz/chart.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fmt/format.h>
#include <librsvg/rsvg.h>

#include <cmath>
#include <memory>

#include "sim/atomic_file.hpp"

namespace netsim::viz {

ChartFormat chart_format_for_path(const std::string& path) {
  std::string ext = lower_extension(path);
  if (ext == "svg") return ChartFormat::svg;
  if (ext == "png") return ChartFormat::png;
  if (ext == "pdf") return ChartFormat::pdf;
  throw ChartError(
      fmt::format("cannot tell the chart format of \"{}\": use .svg, .png or .pdf", path));
}

namespace detail {
namespace {

struct GObjectUnref {
  void operator()(void* p) const { g_object_unref(p); }
};
struct SurfaceDestroy {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoDestroy {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// The parsed SVG and its size in pixels, or a ChartError that starts with `what` ("cannot
// rasterise the chart").
struct LoadedSvg {
  std::unique_ptr<RsvgHandle, GObjectUnref> handle;
  double w = 0, h = 0;
};

[[noreturn]] void fail_with(GError* error, const std::string& what) {
  std::string why = error ? error->message : "unknown error";
  if (error) g_error_free(error);
  throw ChartError(what + ": " + why);
}

LoadedSvg load_svg(const std::string& svg, const std::string& what) {
  GError* error = nullptr;
  LoadedSvg l;
  l.handle.reset(
      rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(svg.data()), svg.size(), &error));
  if (!l.handle) fail_with(error, what);
  gdouble w = 0, h = 0;
  if (!rsvg_handle_get_intrinsic_size_in_pixels(l.handle.get(), &w, &h)) {
    throw ChartError(what + ": the SVG has no size");
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

}  // namespace

std::string svg_to_png(const std::string& svg, double scale) {
  const std::string what = "cannot rasterise the chart";
  LoadedSvg l = load_svg(svg, what);
  int pw = static_cast<int>(std::ceil(l.w * scale)), ph = static_cast<int>(std::ceil(l.h * scale));
  std::unique_ptr<cairo_surface_t, SurfaceDestroy> surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph));
  std::unique_ptr<cairo_t, CairoDestroy> cr(cairo_create(surface.get()));
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  render(l.handle.get(), cr.get(), pw, ph, what);
  cairo_surface_flush(surface.get());
  std::string png;
  if (cairo_surface_write_to_png_stream(surface.get(), append_bytes, &png) !=
      CAIRO_STATUS_SUCCESS) {
    throw ChartError("cannot encode the chart as PNG");
  }
  return png;
}

// One page the size of the SVG, one point per SVG unit. cairo stamps a PDF with the time it
// was made unless told a date: a fixed one keeps the bytes a function of the chart alone.
std::string svg_to_pdf(const std::string& svg) {
  const std::string what = "cannot draw the chart as PDF";
  LoadedSvg l = load_svg(svg, what);
  const double w = l.w, h = l.h;
  std::string pdf;
  {
    std::unique_ptr<cairo_surface_t, SurfaceDestroy> surface(
        cairo_pdf_surface_create_for_stream(append_bytes, &pdf, w, h));
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE,
                                   "2000-01-01T00:00:00Z");
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "netsim");
    std::unique_ptr<cairo_t, CairoDestroy> cr(cairo_create(surface.get()));
    render(l.handle.get(), cr.get(), w, h, what);
    cr.reset();
    cairo_surface_finish(surface.get());
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
      throw ChartError("cannot encode the chart as PDF");
    }
  }
  return pdf;
}

std::string chart_bytes(const std::string& svg, ChartFormat format) {
  switch (format) {
    case ChartFormat::svg:
      return svg;
    case ChartFormat::png:
      return svg_to_png(svg, 2.0);
    case ChartFormat::pdf:
      return svg_to_pdf(svg);
  }
  throw ChartError("unknown chart format");
}

void write_chart_file(const std::string& path, const std::string& bytes) {
  try {
    AtomicFile out(path);
    out.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.commit();
  } catch (const AtomicFileError& e) {
    throw ChartError(fmt::format("cannot write the chart: {}", e.what()));
  }
}

}  // namespace detail
}  // namespace netsim::viz

// fontconfig (loaded by librsvg through pango) keeps its font cache until the process exits and
// never frees it; LeakSanitizer would report that as a leak in every sanitizer run that draws a
// PNG. This is LSan's documented hook for default suppressions; without LSan nothing calls it.
extern "C" const char* __lsan_default_suppressions() {
  // Graphviz's gvc keeps a few small allocations (plugin and layout bookkeeping) for the
  // life of the process; they are not ours to free.
  return "leak:libfontconfig.so\nleak:libpango\nleak:libglib-2.0.so\nleak:libgobject-2.0.so\n"
         "leak:libgvc.so\nleak:libcgraph.so\nleak:libcdt.so\nleak:libgvplugin\n";
}
