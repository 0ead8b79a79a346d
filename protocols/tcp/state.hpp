// The 11 TCP states of RFC 9293 §3.3.2 (the vocabulary itself is sim/tcp_state.hpp, shared
// with the trace records) and the socket errors Linux reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sim/tcp_state.hpp"

namespace netsim::tcp {

using State = TcpState;
using netsim::to_string;  // to_string(State), also for tcp::to_string(state) callers
// Any case, '-' for '_', and the aliases SYN_RCVD, SYN_RECV, FIN_WAIT1, FIN_WAIT2, ESTAB.
inline std::optional<State> parse_state(std::string_view s) {
  return parse_tcp_state(s);
}

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
