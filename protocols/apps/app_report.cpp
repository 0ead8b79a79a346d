// Summaries of application reports.
#include "protocols/apps/app_report.hpp"

#include <fmt/format.h>

#include <stdexcept>

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

namespace {

// "open" first: the default. Then the errno names, in SocketError's order from econnrefused.
constexpr std::string_view kFixedResults[] = {"open", "closed", "crashed"};
constexpr auto kFirstError = static_cast<uint8_t>(tcp::SocketError::econnrefused);
constexpr auto kLastError = static_cast<uint8_t>(tcp::SocketError::enotconn);

}  // namespace

ResultWord::ResultWord(std::string_view word) {
  for (uint8_t i = 0; i < std::size(kFixedResults); ++i) {
    if (kFixedResults[i] == word) {
      code_ = i;
      return;
    }
  }
  for (uint8_t e = kFirstError; e <= kLastError; ++e) {
    if (tcp::to_string(static_cast<tcp::SocketError>(e)) == word) {
      code_ = static_cast<uint8_t>(std::size(kFixedResults) + e - kFirstError);
      return;
    }
  }
  throw std::invalid_argument(fmt::format("not a connection result: \"{}\"", word));
}

std::string_view ResultWord::str() const {
  if (code_ < std::size(kFixedResults)) return kFixedResults[code_];
  return tcp::to_string(
      static_cast<tcp::SocketError>(code_ - std::size(kFixedResults) + kFirstError));
}

StateWord::StateWord(std::string_view word) {
  for (TcpState s : kAllTcpStates) {
    if (to_string(s) == word) {
      state_ = s;
      return;
    }
  }
  throw std::invalid_argument(fmt::format("not a TCP state: \"{}\"", word));
}

static_assert(sizeof(ConnectionReport) <= 72, "docs/performance.md counts 72 bytes a connection");

void ConnectionReport::keep_received(std::string_view data) {
  size_t kept = received_ ? received_->size() : 0;
  if (kept >= kReceivedKeep || data.empty()) return;
  if (!received_) received_ = std::make_unique<std::string>();
  received_->append(data.substr(0, kReceivedKeep - kept));
}

}  // namespace netsim::apps
