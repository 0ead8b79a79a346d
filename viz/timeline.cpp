// The diagram's rows in time order, shared by the Mermaid and plain-text emitters.
#include "viz/timeline.hpp"

#include <algorithm>
#include <limits>
#include <tuple>

namespace netsim::viz::detail {

std::vector<TimelineRow> timeline(const DiagramLayout& L) {
  using Kind = TimelineRow::Kind;
  struct Keyed {
    Instant t;
    int rank;  // gaps first at their end time: they separate what came before
    size_t order;
    TimelineRow row;
  };
  std::vector<Keyed> rows;
  const auto& m = L.model;
  for (size_t i = 0; i < m.arrows.size(); ++i) {
    rows.push_back({m.arrows[i].sent, 1, m.arrows[i].order, {Kind::arrow, i, m.arrows[i].sent}});
  }
  for (size_t i = 0; i < m.marks.size(); ++i) {
    rows.push_back({m.marks[i].t, 1, m.marks[i].order, {Kind::mark, i, m.marks[i].t}});
  }
  for (size_t i = 0; i < L.gaps.size(); ++i) {
    rows.push_back({L.gaps[i].to, 0, i, {Kind::gap, i, L.gaps[i].from}});
  }
  for (size_t i = 0; i < m.bands.size(); ++i) {
    rows.push_back({m.bands[i].first, 2, i, {Kind::band, i, m.bands[i].first}});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Keyed& a, const Keyed& b) {
    return std::tie(a.t, a.rank, a.order) < std::tie(b.t, b.rank, b.order);
  });
  std::vector<TimelineRow> out;
  for (const auto& r : rows)
    out.push_back(r.row);
  return out;
}

}  // namespace netsim::viz::detail
