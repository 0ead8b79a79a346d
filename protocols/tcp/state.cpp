// Names of the socket errors as the trace and the summary print them (Linux errno names); the
// state names are sim/tcp_state.cpp.

#include "protocols/tcp/state.hpp"

namespace netsim::tcp {

std::string_view to_string(SocketError e) {
  switch (e) {
    case SocketError::none:
      return "";
    case SocketError::econnrefused:
      return "ECONNREFUSED";
    case SocketError::econnreset:
      return "ECONNRESET";
    case SocketError::etimedout:
      return "ETIMEDOUT";
    case SocketError::epipe:
      return "EPIPE";
    case SocketError::eaddrinuse:
      return "EADDRINUSE";
    case SocketError::einval:
      return "EINVAL";
    case SocketError::enotconn:
      return "ENOTCONN";
  }
  return "";
}

}  // namespace netsim::tcp
