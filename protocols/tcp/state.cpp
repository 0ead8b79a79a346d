// Names of the TCP states and socket errors as the trace, the summary and the scenario language
// print and parse them (SCENARIO_SPEC.md "Units and names").

#include "protocols/tcp/state.hpp"

#include <array>
#include <string>

namespace netsim::tcp {

namespace {
constexpr std::array<std::string_view, 11> kStateNames{
    "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT"};

struct Alias {
  std::string_view name;
  State state;
};
// Spellings other tools use: Linux's ss/netstat (SYN_RECV, FIN_WAIT1, ESTAB), BSD (SYN_RCVD).
constexpr std::array<Alias, 5> kAliases{{{"SYN_RCVD", State::syn_received},
                                         {"SYN_RECV", State::syn_received},
                                         {"FIN_WAIT1", State::fin_wait_1},
                                         {"FIN_WAIT2", State::fin_wait_2},
                                         {"ESTAB", State::established}}};
}  // namespace

std::string_view to_string(State s) {
  return kStateNames[static_cast<size_t>(s)];
}

std::optional<State> parse_state(std::string_view s) {
  std::string norm(s);
  for (char& c : norm) {
    if (c == '-') c = '_';
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  for (size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == norm) return static_cast<State>(i);
  }
  for (const Alias& a : kAliases) {
    if (a.name == norm) return a.state;
  }
  return std::nullopt;
}

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
