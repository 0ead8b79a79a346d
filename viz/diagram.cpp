// render_diagram: model, layout, the emitter chosen by the file extension, and an atomic
// write (sim/atomic_file.hpp), so a failed render never leaves half a file behind.
#include "viz/diagram.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "sim/atomic_file.hpp"
#include "viz/emitters.hpp"
#include "viz/layout.hpp"

namespace netsim::viz {

std::string lower_extension(const std::string& path) {
  auto dot = path.rfind('.');
  auto slash = path.find_last_of('/');
  std::string ext;
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) {
    ext = path.substr(dot + 1);
  }
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

DiagramFormat diagram_format_for_path(const std::string& path) {
  std::string ext = lower_extension(path);
  if (ext == "svg") return DiagramFormat::svg;
  if (ext == "png") return DiagramFormat::png;
  if (ext == "pdf") return DiagramFormat::pdf;
  if (ext == "mmd") return DiagramFormat::mermaid;
  if (ext == "txt") return DiagramFormat::text;
  throw DiagramError(fmt::format(
      "cannot tell the diagram format of \"{}\": use .svg, .png or .pdf (Graphviz), .mmd "
      "(Mermaid) or .txt (plain text)",
      path));
}

std::string render_diagram_bytes(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                                 const DiagramOptions& options, DiagramFormat format) {
  if (!(options.scale >= 0.25 && options.scale <= 8)) {
    throw DiagramError(
        fmt::format("the scale must lie between 0.25 and 8, not {:g}", options.scale));
  }
  DiagramLayout layout = compute_layout(records, meta, options);
  switch (format) {
    case DiagramFormat::svg:
    case DiagramFormat::png:
    case DiagramFormat::pdf:
      return emit_graphviz(layout, format, options.scale);
    case DiagramFormat::mermaid:
      return emit_mermaid(layout);
    case DiagramFormat::text:
      return emit_text(layout);
  }
  throw DiagramError("unknown diagram format");
}

void render_diagram(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                    const DiagramOptions& options, const std::string& out_path) {
  // Everything that can fail on the input fails before the output file is touched.
  std::string bytes =
      render_diagram_bytes(records, meta, options, diagram_format_for_path(out_path));
  try {
    AtomicFile out(out_path);
    out.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.commit();
  } catch (const AtomicFileError& e) {
    throw DiagramError(fmt::format("cannot write the diagram: {}", e.what()));
  }
}

}  // namespace netsim::viz
