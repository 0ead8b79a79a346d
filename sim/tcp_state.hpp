// The 11 TCP states of RFC 9293 §3.3.2 as a plain vocabulary: sim/ already models TCP segments,
// and state-change trace records carry these values, so the enum lives here; the TCP core
// (protocols/tcp/state.hpp) uses it as tcp::State and viz/ switches over it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace netsim {

enum class TcpState : uint8_t {
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
inline constexpr TcpState kAllTcpStates[] = {
    TcpState::closed,      TcpState::listen,     TcpState::syn_sent,   TcpState::syn_received,
    TcpState::established, TcpState::fin_wait_1, TcpState::fin_wait_2, TcpState::close_wait,
    TcpState::closing,     TcpState::last_ack,   TcpState::time_wait};
static_assert(std::size(kAllTcpStates) == static_cast<size_t>(TcpState::time_wait) + 1,
              "kAllTcpStates names every TcpState");

// "ESTABLISHED", "SYN_RECEIVED": as SCENARIO_SPEC.md prints them (upper case, underscores).
std::string_view to_string(TcpState s);
// Any case, '-' for '_', and the aliases other tools print: SYN_RCVD (BSD), SYN_RECV,
// FIN_WAIT1, FIN_WAIT2 (netstat) and ESTAB (ss).
std::optional<TcpState> parse_tcp_state(std::string_view s);

}  // namespace netsim
