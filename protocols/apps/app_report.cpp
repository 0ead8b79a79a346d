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

void AppReport::end_by_crash(Instant now) {
  for (auto& c : connections) {
    if (c.result != "open") continue;
    c.result = "crashed";
    c.result_at = now;
    c.state = "CLOSED";
  }
}

void ConnectionReport::keep_received(std::string_view data) {
  size_t kept = received_ ? received_->size() : 0;
  if (kept >= kReceivedKeep || data.empty()) return;
  if (!received_) received_ = std::make_unique<std::string>();
  received_->append(data.substr(0, kReceivedKeep - kept));
}

}  // namespace netsim::apps
