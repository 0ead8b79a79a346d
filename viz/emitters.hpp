// The three renderers of a DiagramLayout: Graphviz (SVG, PNG, PDF at the layout's own
// coordinates, pinned), Mermaid sequenceDiagram text and a plain-text diagram. Each returns the
// file's bytes; writing them is render_diagram's job.
#pragma once

#include <string>

#include "viz/diagram.hpp"
#include "viz/layout.hpp"

namespace netsim::viz {

// svg, png or pdf. Version comments and creation dates are removed or fixed so the same
// layout always gives the same bytes. A PNG has `png_scale` pixels per point (the layout's
// unit). Throws DiagramError when Graphviz fails.
std::string emit_graphviz(const DiagramLayout& layout, DiagramFormat format, double png_scale = 2);

std::string emit_mermaid(const DiagramLayout& layout);

std::string emit_text(const DiagramLayout& layout);

// Exposed for tests: the post-processing that makes Graphviz output reproducible.
std::string strip_svg_version(std::string svg);
std::string fix_pdf_dates(std::string pdf);

}  // namespace netsim::viz
