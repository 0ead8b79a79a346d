// The 11 TCP states of RFC 9293 §3.3.2 and the socket errors Linux reports. Names print as
// SCENARIO_SPEC.md requires (upper case, underscores); parsing accepts the documented aliases.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace netsim::tcp {

enum class State : uint8_t {
  closed,
  listen,
  syn_sent,
  syn_received,
  established,
  fin_wait_1,
  fin_wait_2,
  close_wait,
  closing,
  last_ack,
  time_wait,
};

std::string_view to_string(State s);
// Any case, '-' for '_', and the aliases SYN_RCVD, SYN_RECV, FIN_WAIT1, FIN_WAIT2, ESTAB.
std::optional<State> parse_state(std::string_view s);

// Errors surfaced to the application, with Linux's names (errno).
enum class SocketError : uint8_t {
  none,
  econnrefused,  // RST in SYN_SENT (tcp_reset())
  econnreset,    // RST in a synchronized state
  etimedout,     // SYN, data or keepalive retransmissions exhausted (tcp_write_err())
  epipe,         // write after shutdown(SHUT_WR)/close, or RST in CLOSE_WAIT
  eaddrinuse,    // listen()/connect() on a port or 4-tuple already in use
  einval,        // operation not valid in this socket's state
  enotconn,      // unknown or released socket
};
std::string_view to_string(SocketError e);  // "ECONNREFUSED", ...; "" for none

}  // namespace netsim::tcp
