// Names of the TCP states as the trace, the summary and the scenario language print and parse
// them (SCENARIO_SPEC.md "Units and names").
#include "sim/tcp_state.hpp"

#include <array>
#include <string>

namespace netsim {

namespace {
constexpr std::array<std::string_view, 11> kStateNames{
    "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT"};

struct Alias {
  std::string_view name;
  TcpState state;
};
// Spellings other tools use: Linux's ss/netstat (SYN_RECV, FIN_WAIT1, ESTAB), BSD (SYN_RCVD).
constexpr std::array<Alias, 5> kAliases{{{"SYN_RCVD", TcpState::syn_received},
                                         {"SYN_RECV", TcpState::syn_received},
                                         {"FIN_WAIT1", TcpState::fin_wait_1},
                                         {"FIN_WAIT2", TcpState::fin_wait_2},
                                         {"ESTAB", TcpState::established}}};
}  // namespace

std::string_view to_string(TcpState s) {
  return kStateNames[static_cast<size_t>(s)];
}

std::optional<TcpState> parse_tcp_state(std::string_view s) {
  std::string norm(s);
  for (char& c : norm) {
    if (c == '-') c = '_';
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  for (size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == norm) return static_cast<TcpState>(i);
  }
  for (const Alias& a : kAliases) {
    if (a.name == norm) return a.state;
  }
  return std::nullopt;
}

}  // namespace netsim
