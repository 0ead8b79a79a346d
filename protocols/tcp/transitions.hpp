// The TCP state machine as data (DESIGN.md property 9): RFC 9293's state diagram (Figure 5,
// with the resets, aborts and timeouts of §3.10) plus Linux's own edges, as rows
// (from, event, to). Every state change of a connection or a listener's request is checked
// against it (transition()), close() and shutdown() take their next state from it
// (close_state()), and docs/images/tcp-states.svg is drawn from it (tests/tcp checks it).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "protocols/tcp/io.hpp"
#include "protocols/tcp/state.hpp"

namespace netsim::tcp {

enum class Origin : uint8_t {
  rfc9293,  // drawn in RFC 9293 Figure 5 or required by its §3.10 event processing
  linux,    // what Linux adds (SYN cookies, TIME_WAIT reuse, resets of orphans, timeouts)
};

struct Transition {
  State from;
  // The event: the cause the trace records (StateCause::rcv_fin, close, ...). close() and
  // shutdown(SHUT_WR) share their rows: a shutdown change matches the close rows.
  StateCause event;
  State to;
  Origin origin;
  std::string_view why;  // the RFC clause or kernel function
};

// Every row, grouped by start state in RFC order.
std::span<const Transition> transitions();

// The row for this change, or null. `event` is the traced cause.
const Transition* find_transition(State from, StateCause event, State to);

// The state close() and shutdown(SHUT_WR) move a connection in `from` to (tcp_close_state()'s
// new_state[] table; FIN_WAIT_1 / LAST_ACK with a FIN, CLOSED from SYN_SENT); nullopt where
// they change nothing.
std::optional<State> close_state(State from);

// Who changed state, for the trace note.
struct StateOwner {
  SocketId socket = kNoSocket;  // kNoSocket for a listener's request
  SocketAddr local, remote;
};

// The one place a state changes (DESIGN.md property 5): checks (state, cause, next) against the
// table, traces the change when `tracing`, and sets `state = next`. A change outside the table
// is a bug in the model: it is counted in `counters.illegal_transitions` (tests check it stays
// 0), then builds without NDEBUG abort with the edge named and release builds carry on.
void transition(State& state, State next, StateCause cause, const StateOwner& who, bool tracing,
                Counters& counters, Outbox& out);

}  // namespace netsim::tcp
