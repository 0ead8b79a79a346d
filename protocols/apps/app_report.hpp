// What each simulated application reports about its connections: the result the scenario's
// `expect:` block and summary.json talk about (closed, open, ETIMEDOUT, ECONNREFUSED,
// ECONNRESET, EPIPE, crashed), with the moments that matter and the bytes that moved.
#pragma once

#include <cstdint>
#include <limits>
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

// A connection's `result`, one word of a fixed list (closed, open, crashed and the socket
// errors' errno names), kept as a one-byte code: a million connections' reports should not hold
// a 16-byte string_view each. Reads and compares as the std::string_view it replaced.
class ResultWord {
 public:
  ResultWord() = default;  // "open"
  // Throws std::invalid_argument for a word not in the list (a programming error).
  ResultWord(std::string_view word);  // NOLINT(google-explicit-constructor): assigned as a word
  ResultWord(const char* word) : ResultWord(std::string_view(word)) {}  // NOLINT
  operator std::string_view() const { return str(); }                   // NOLINT
  std::string_view str() const;
  friend bool operator==(ResultWord a, std::string_view b) { return a.str() == b; }

 private:
  uint8_t code_ = 0;
};

// The socket's TCP state as a report shows it ("ESTABLISHED"), kept as the one-byte TcpState.
class StateWord {
 public:
  StateWord() = default;                // "CLOSED"
  StateWord(TcpState s) : state_(s) {}  // NOLINT(google-explicit-constructor)
  // "CLOSED", tcp::to_string(state); throws std::invalid_argument for any other word.
  StateWord(std::string_view word);                                   // NOLINT
  StateWord(const char* word) : StateWord(std::string_view(word)) {}  // NOLINT
  operator std::string_view() const { return str(); }                 // NOLINT
  std::string_view str() const { return to_string(state_); }
  friend bool operator==(StateWord a, std::string_view b) { return a.str() == b; }

 private:
  TcpState state_ = TcpState::closed;
};

// std::optional<Instant> in 8 bytes instead of 16: "none" is a time no run reaches (the
// simulation's clock starts at zero and never goes back).
class OptInstant {
 public:
  OptInstant() = default;
  OptInstant(std::nullopt_t) {}           // NOLINT(google-explicit-constructor)
  OptInstant(Instant t) : ns_(t.ns()) {}  // NOLINT
  OptInstant(std::optional<Instant> t) : ns_(t ? t->ns() : kNone) {}  // NOLINT
  bool has_value() const { return ns_ != kNone; }
  explicit operator bool() const { return has_value(); }
  Instant operator*() const { return Instant::from_ns(ns_); }
  Instant value_or(Instant other) const { return has_value() ? **this : other; }
  operator std::optional<Instant>() const {  // NOLINT
    return has_value() ? std::optional<Instant>(**this) : std::nullopt;
  }
  friend bool operator==(OptInstant a, OptInstant b) = default;

 private:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  int64_t ns_ = kNone;
};

// 72 bytes (was 136): the apps of bench/scenarios/million-established.yaml keep one per
// connection on each side (docs/performance.md, memory per connection).
struct ConnectionReport {
  OptInstant started_at;    // connect() (client) or accept (server)
  OptInstant connected_at;  // ESTABLISHED
  OptInstant result_at;     // when `result` stopped being "open"
  uint64_t bytes_sent = 0;  // handed to the socket
  uint64_t bytes_received = 0;
  // The first kReceivedKeep bytes received ("" until something arrives: most of a million
  // connections never hold a string).
  std::string_view received() const { return received_ ? *received_ : std::string_view(); }
  void keep_received(std::string_view data);
  SocketAddr local, remote;
  uint32_t retransmits = 0;
  ResultWord result;  // closed | open | ETIMEDOUT | ECONNREFUSED | ECONNRESET | EPIPE | crashed
  StateWord state;    // the socket's TCP state when last refreshed
  bool peer_closed = false;  // the peer's FIN arrived

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
