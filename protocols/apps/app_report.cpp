// Summaries of application reports.
#include "protocols/apps/app_report.hpp"

namespace netsim::apps {

std::string AppReport::overall_result() const {
  if (connections.empty()) return kind == "tcp_server" ? "open" : "none";
  std::string_view first = connections.front().result;
  for (const auto& c : connections) {
    if (c.result != first) return "mixed";
  }
  return std::string(first);
}

}  // namespace netsim::apps
