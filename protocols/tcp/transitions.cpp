// The transition table (transitions.hpp): RFC 9293 Figure 5 and §3.10's resets, aborts and
// timeouts, then Linux's additions, each with the clause or kernel function it follows.
#include "protocols/tcp/transitions.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace netsim::tcp {
namespace {

using S = State;
constexpr Origin R = Origin::rfc9293;
constexpr Origin L = Origin::linux;
using C = StateCause;

constexpr Transition kTable[] = {
    // CLOSED / LISTEN: opens. A listener's requests live in its SYN queue (listener.cpp).
    {S::closed, C::connect, S::syn_sent, R, "OPEN (active) §3.10.1: SYN sent"},
    {S::listen, C::rcv_syn, S::syn_received, R, "§3.10.7.2: SYN-ACK sent (a SYN-queue request)"},
    {S::listen, C::rcv_ack_cookie, S::established, L,
     "cookie_v4_check(): the request was never kept"},
    // SYN_SENT
    {S::syn_sent, C::rcv_syn_ack, S::established, R, "§3.10.7.3 fourth: our SYN ACKed"},
    {S::syn_sent, C::rcv_syn, S::syn_received, R, "§3.10.7.3 fourth: simultaneous open"},
    {S::syn_sent, C::close, S::closed, R, "CLOSE §3.10.4: delete the TCB"},
    {S::syn_sent, C::rcv_rst, S::closed, R, "§3.10.7.3 second: ECONNREFUSED"},
    {S::syn_sent, C::abort, S::closed, R, "ABORT §3.10.5"},
    {S::syn_sent, C::syn_retries_exhausted, S::closed, R, "RFC 1122 4.2.3.5 R2: ETIMEDOUT"},
    // SYN_RECEIVED
    {S::syn_received, C::rcv_ack, S::established, R, "§3.10.7.4 fifth: our SYN ACKed"},
    {S::syn_received, C::rcv_syn_ack, S::established, R, "§3.10.7.4: simultaneous open completes"},
    {S::syn_received, C::close, S::fin_wait_1, R, "CLOSE §3.10.4: FIN after queued data"},
    {S::syn_received, C::close, S::closed, L, "__tcp_close(): unread data, RST (RFC 2525 §2.17)"},
    {S::syn_received, C::rcv_fin, S::close_wait, R, "§3.10.7.4 eighth"},
    {S::syn_received, C::rcv_rst, S::closed, R, "§3.10.7.4 second"},
    {S::syn_received, C::abort, S::closed, R, "ABORT §3.10.5: RST sent"},
    {S::syn_received, C::syn_retries_exhausted, S::closed, R, "RFC 1122 4.2.3.5 R2"},
    {S::syn_received, C::synack_retries_exhausted, S::closed, L,
     "reqsk_timer_handler(): tcp_synack_retries"},
    {S::syn_received, C::rcv_syn_in_window, S::closed, L, "tcp_check_req(): RST and drop"},
    {S::syn_received, C::accept_queue_overflow, S::closed, L,
     "tcp_check_req() with tcp_abort_on_overflow"},
    {S::syn_received, C::listener_closed, S::closed, L, "inet_csk_listen_stop()"},
    // ESTABLISHED
    {S::established, C::close, S::fin_wait_1, R, "CLOSE §3.10.4: FIN after queued data"},
    {S::established, C::close, S::closed, L, "__tcp_close(): unread data, RST (RFC 2525 §2.17)"},
    {S::established, C::rcv_fin, S::close_wait, R, "§3.10.7.4 eighth"},
    {S::established, C::rcv_rst, S::closed, R, "§3.10.7.4 second: ECONNRESET"},
    {S::established, C::abort, S::closed, R, "ABORT §3.10.5: RST sent"},
    {S::established, C::rto_expired, S::closed, R, "RFC 1122 4.2.3.5 R2: ETIMEDOUT"},
    {S::established, C::zero_window_probes_exhausted, S::closed, L, "tcp_probe_timer()"},
    {S::established, C::keepalive_probes_exhausted, S::closed, L, "tcp_keepalive_timer()"},
    // FIN_WAIT_1
    {S::fin_wait_1, C::rcv_ack_of_fin, S::fin_wait_2, R, "§3.10.7.4 fifth"},
    {S::fin_wait_1, C::rcv_fin, S::closing, R, "§3.10.7.4 eighth: simultaneous close"},
    {S::fin_wait_1, C::rcv_fin_ack, S::time_wait, R, "§3.10.7.4 eighth: FIN ACKed in this segment"},
    {S::fin_wait_1, C::close, S::closed, L, "__tcp_close(): unread data, RST"},
    {S::fin_wait_1, C::rcv_rst, S::closed, R, "§3.10.7.4 second"},
    {S::fin_wait_1, C::abort, S::closed, R, "ABORT §3.10.5: RST sent"},
    {S::fin_wait_1, C::rcv_data_after_close, S::closed, L,
     "tcp_rcv_state_process(): TCPAbortOnData"},
    {S::fin_wait_1, C::rto_expired, S::closed, R, "RFC 1122 4.2.3.5 R2"},
    {S::fin_wait_1, C::syn_retries_exhausted, S::closed, L,
     "tcp_write_timeout(): a close in SYN_RECEIVED, our SYN never ACKed"},
    {S::fin_wait_1, C::zero_window_probes_exhausted, S::closed, L, "tcp_probe_timer()"},
    {S::fin_wait_1, C::keepalive_probes_exhausted, S::closed, L, "tcp_keepalive_timer()"},
    // FIN_WAIT_2
    {S::fin_wait_2, C::rcv_fin, S::time_wait, R, "§3.10.7.4 eighth"},
    {S::fin_wait_2, C::close, S::closed, L, "__tcp_close(): unread data, RST"},
    {S::fin_wait_2, C::rcv_rst, S::closed, R, "§3.10.7.4 second"},
    {S::fin_wait_2, C::abort, S::closed, R, "ABORT §3.10.5: RST sent"},
    {S::fin_wait_2, C::fin_wait_2_timeout, S::closed, L, "tcp_fin_timeout for orphans"},
    {S::fin_wait_2, C::rcv_data_after_close, S::closed, L, "tcp_timewait_state_process(): RST"},
    {S::fin_wait_2, C::rcv_syn_after_close, S::closed, L,
     "tcp_timewait_state_process() TCP_TW_RST"},
    {S::fin_wait_2, C::keepalive_probes_exhausted, S::closed, L, "tcp_keepalive_timer()"},
    // CLOSE_WAIT
    {S::close_wait, C::close, S::last_ack, R, "CLOSE §3.10.4: FIN after queued data"},
    {S::close_wait, C::close, S::closed, L, "__tcp_close(): unread data, RST"},
    {S::close_wait, C::rcv_rst, S::closed, R, "§3.10.7.4 second: EPIPE"},
    {S::close_wait, C::abort, S::closed, R, "ABORT §3.10.5: RST sent"},
    {S::close_wait, C::rto_expired, S::closed, R, "RFC 1122 4.2.3.5 R2"},
    {S::close_wait, C::zero_window_probes_exhausted, S::closed, L, "tcp_probe_timer()"},
    {S::close_wait, C::keepalive_probes_exhausted, S::closed, L, "tcp_keepalive_timer()"},
    // CLOSING
    {S::closing, C::rcv_ack_of_fin, S::time_wait, R, "§3.10.7.4 fifth"},
    {S::closing, C::close, S::closed, L, "__tcp_close(): unread data, RST"},
    {S::closing, C::rcv_rst, S::closed, R, "§3.10.7.4 second"},
    {S::closing, C::abort, S::closed, R, "ABORT §3.10.5"},
    {S::closing, C::rto_expired, S::closed, R, "RFC 1122 4.2.3.5 R2"},
    {S::closing, C::rcv_data_after_close, S::closed, L, "tcp_rcv_state_process(): TCPAbortOnData"},
    // LAST_ACK
    {S::last_ack, C::rcv_ack_of_fin, S::closed, R, "§3.10.7.4 fifth"},
    {S::last_ack, C::close, S::closed, L, "__tcp_close(): unread data, RST"},
    {S::last_ack, C::rcv_rst, S::closed, R, "§3.10.7.4 second"},
    {S::last_ack, C::abort, S::closed, R, "ABORT §3.10.5"},
    {S::last_ack, C::rto_expired, S::closed, R, "RFC 1122 4.2.3.5 R2"},
    {S::last_ack, C::rcv_data_after_close, S::closed, L, "tcp_rcv_state_process(): TCPAbortOnData"},
    // TIME_WAIT
    {S::time_wait, C::time_wait_expired, S::closed, R, "§3.10.8: 2 MSL"},
    {S::time_wait, C::rcv_rst, S::closed, L, "tcp_timewait_state_process(): tcp_rfc1337 = 0"},
    {S::time_wait, C::abort, S::closed, R, "ABORT §3.10.5: nothing sent"},
    {S::time_wait, C::tuple_reused, S::closed, L, "tcp_v4_rcv() TCP_TW_SYN (RFC 1122 4.2.2.13)"},
};

// close() and shutdown(SHUT_WR) are one event of the table.
constexpr StateCause event_of(StateCause cause) {
  return cause == StateCause::shutdown ? StateCause::close : cause;
}

}  // namespace

std::span<const Transition> transitions() {
  return kTable;
}

const Transition* find_transition(State from, StateCause event, State to) {
  event = event_of(event);
  for (const Transition& t : kTable) {
    if (t.from == from && t.to == to && t.event == event) return &t;
  }
  return nullptr;
}

namespace {

// close_state() of each state, read from the table once at compile time: a scan per close()
// was 0.5% of a handshake-echo run.
using CloseStates = std::array<std::optional<State>, std::size(kAllTcpStates)>;
constexpr CloseStates close_states() {
  CloseStates c{};
  for (const Transition& t : kTable) {
    if (t.event == StateCause::close && t.origin == Origin::rfc9293 &&
        !c[static_cast<size_t>(t.from)])
      c[static_cast<size_t>(t.from)] = t.to;
  }
  return c;
}
constexpr CloseStates kCloseStates = close_states();

}  // namespace

std::optional<State> close_state(State from) {
  return kCloseStates[static_cast<size_t>(from)];
}

namespace {

// The table as a bit per (from, event, to): every state change checks it, and a scan of the
// table's 60-odd rows was 2.5% of a handshake-echo run (docs/performance.md, session 7).
using LegalMask = std::array<std::array<uint16_t, kStateCauseCount>, std::size(kAllTcpStates)>;
static_assert(std::size(kAllTcpStates) <= 16, "a uint16_t holds a bit per target state");

constexpr LegalMask legal_mask() {
  LegalMask m{};
  for (const Transition& t : kTable) {
    m[static_cast<size_t>(t.from)][static_cast<size_t>(t.event)] |=
        static_cast<uint16_t>(1u << static_cast<unsigned>(t.to));
  }
  return m;
}
constexpr LegalMask kLegal = legal_mask();

bool legal(State from, StateCause cause, State to) {
  uint16_t bits = kLegal[static_cast<size_t>(from)][static_cast<size_t>(event_of(cause))];
  return (bits >> static_cast<unsigned>(to)) & 1u;
}

}  // namespace

void transition(State& state, State next, StateCause cause, const StateOwner& who, bool tracing,
                Counters& counters, Outbox& out) {
  if (next == state) return;
  // A host crash is not a TCP event: it ends every connection and request, whatever its state,
  // so it has no rows (they would add an edge from every state to the diagram).
  bool crash = cause == StateCause::host_crashed && next == State::closed;
  if (!crash && !legal(state, cause, next)) {
    ++counters.illegal_transitions;
#ifndef NDEBUG
    std::fprintf(stderr, "netsim: TCP state change outside the transition table: %s -> %s (%s)\n",
                 std::string(to_string(state)).c_str(), std::string(to_string(next)).c_str(),
                 std::string(to_string(cause)).c_str());
    std::abort();
#endif
  }
  if (tracing) {
    TraceNote n;
    n.kind = TraceNote::Kind::state;
    n.socket = who.socket;
    n.local = who.local;
    n.remote = who.remote;
    n.from = state;
    n.to = next;
    n.cause = cause;
    out.trace.push_back(std::move(n));
  }
  state = next;
}

}  // namespace netsim::tcp
