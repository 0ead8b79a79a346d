// Internal to viz/: the diagram as one list of rows in time order (packet sends, marks, gaps,
// bands), which is what the row-based emitters (Mermaid, plain text) walk.
#pragma once

#include <cstddef>
#include <vector>

#include "viz/layout.hpp"

namespace netsim::viz::detail {

struct TimelineRow {
  enum class Kind : uint8_t { arrow, mark, gap, band };
  Kind kind = Kind::arrow;
  size_t index = 0;  // into model.arrows, model.marks, layout.gaps or model.bands
  Instant t;
};

// Sorted by time, then by trace order; a compressed gap comes before the first row after it.
std::vector<TimelineRow> timeline(const DiagramLayout& layout);

}  // namespace netsim::viz::detail
