// What each simulated application reports about its connections: the result the scenario's
// `expect:` block and summary.json talk about (closed, open, ETIMEDOUT, ECONNREFUSED,
// ECONNRESET, EPIPE, crashed), with the moments that matter and the bytes that moved.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/tcp/state.hpp"
#include "sim/packet.hpp"
#include "sim/time.hpp"

namespace netsim::apps {

// Bytes kept of what a connection received, for `received:` expectations and the summary.
constexpr size_t kReceivedKeep = 64 * 1024;

struct ConnectionReport {
  // Both words point at static strings (tcp::to_string()): a million connections' reports
  // should not hold two std::strings each.
  std::string_view result =
      "open";  // closed | open | ETIMEDOUT | ECONNREFUSED | ECONNRESET | EPIPE | crashed
  std::optional<Instant> started_at;    // connect() (client) or accept (server)
  std::optional<Instant> connected_at;  // ESTABLISHED
  std::optional<Instant> result_at;     // when `result` stopped being "open"
  uint64_t bytes_sent = 0;              // handed to the socket
  uint64_t bytes_received = 0;
  uint64_t retransmits = 0;
  // The first kReceivedKeep bytes received ("" until something arrives: most of a million
  // connections never hold a string).
  std::string_view received() const { return received_ ? *received_ : std::string_view(); }
  void keep_received(std::string_view data);
  SocketAddr local, remote;
  bool peer_closed = false;           // the peer's FIN arrived
  std::string_view state = "CLOSED";  // the socket's TCP state when last refreshed

 private:
  std::unique_ptr<std::string> received_;
};

struct AppReport {
  std::string name;
  std::string kind;  // tcp_server | tcp_client | syn_flood
  std::string host;
  std::vector<ConnectionReport> connections;
  uint64_t accepted = 0;      // servers: connections taken from the accept queue
  uint64_t packets_sent = 0;  // syn_flood: SYNs sent

  // One word for the app: the common result of its connections, or "mixed".
  std::string overall_result() const;
  // The app's host crashed at `now`: every connection still open ends with result "crashed"
  // in state CLOSED (the stack wrote a state record to CLOSED, cause "host crashed").
  void end_by_crash(Instant now);
};

}  // namespace netsim::apps
