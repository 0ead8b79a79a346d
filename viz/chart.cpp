// Chart file formats and the PNG and PDF renderers (librsvg draws the SVG on a cairo surface, in
// libnetsim_render.so: viz/render_module.cpp); see chart.hpp.
#include "viz/chart.hpp"

#include <fmt/format.h>

#include "sim/atomic_file.hpp"
#include "viz/render_loader.hpp"

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

// The module is needed from here on; a missing one is a chart error like any other.
const NetsimRenderApi& chart_api() {
  try {
    return render_api();
  } catch (const DiagramError& e) {
    throw ChartError(e.what());
  }
}

}  // namespace

std::string svg_to_png(const std::string& svg, double scale) {
  std::string png, error;
  if (!chart_api().svg_to_png(svg.data(), svg.size(), scale, append_to_string, &png, &error)) {
    throw ChartError(error);
  }
  return png;
}

std::string svg_to_pdf(const std::string& svg) {
  std::string pdf, error;
  if (!chart_api().svg_to_pdf(svg.data(), svg.size(), append_to_string, &pdf, &error)) {
    throw ChartError(error);
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
