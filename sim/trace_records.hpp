// The typed trace records (DESIGN.md property 7): everything that happens in a run is one of
// these values. Producers (the network, the TCP core through its host glue) fill in facts only;
// every text form (trace lines, JSON Lines, diagram labels) is made from the fields by a sink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "sim/packet.hpp"
#include "sim/tcp_state.hpp"
#include "sim/time.hpp"

namespace netsim {

enum class PacketEvent : uint8_t { send, recv, drop };

// Why a packet did not arrive. Names are the `reason` values of SCENARIO_SPEC.md.
enum class DropReason : uint8_t {
  loss,               // Bernoulli loss on a link
  burst_loss,         // Gilbert-Elliott loss on a link
  queue_full,         // drop-tail queue of a link
  link_down,          // the link was down
  no_route,           // no node owns the destination address
  corrupt,            // damaged on a link; the receiver's checksum check failed
  fault,              // a scenario fault rule dropped it
  syn_queue_full,     // a listener's SYN queue overflowed (no cookies)
  accept_queue_full,  // a listener's accept queue was full
  host_down,          // the destination host has crashed
  no_listener,        // nobody listens on the port (answered by RST)
  ttl_exceeded,       // forwarded too often (a routing loop)
  malformed,          // bytes from a real device that do not parse (TUN bridge)
};
// Every reason, in declaration order (summary.json's and the sweep CSV's column order).
inline constexpr DropReason kAllDropReasons[] = {
    DropReason::loss,      DropReason::burst_loss,     DropReason::queue_full,
    DropReason::link_down, DropReason::no_route,       DropReason::corrupt,
    DropReason::fault,     DropReason::syn_queue_full, DropReason::accept_queue_full,
    DropReason::host_down, DropReason::no_listener,    DropReason::ttl_exceeded,
    DropReason::malformed};
static_assert(std::size(kAllDropReasons) == static_cast<size_t>(DropReason::malformed) + 1,
              "kAllDropReasons names every DropReason");
std::string_view to_string(PacketEvent e);
std::string_view to_string(DropReason r);
std::optional<DropReason> parse_drop_reason(std::string_view s);

enum class TimerKind : uint8_t {
  rto,
  syn,
  synack,
  keepalive,
  time_wait,
  fin_wait_2,
  persist,
  delayed_ack,
  loss_probe,  // RACK-TLP tail-loss probe (tcp_send_loss_probe())
  reo          // RACK reordering timer (tcp_rack_reo_timeout())
};
std::string_view to_string(TimerKind t);
std::optional<TimerKind> parse_timer_kind(std::string_view s);

enum class AppWhat : uint8_t {
  connect,
  connected,
  accepted,
  data,
  eof,
  closed,
  error,
  listen,
  send
};
std::string_view to_string(AppWhat w);
std::optional<AppWhat> parse_app_what(std::string_view s);

struct PacketRecord {
  Instant t;
  PacketEvent ev = PacketEvent::send;
  std::string host;  // the node where it happened (sender for send/most drops, receiver for recv)
  Packet packet;
  DropReason reason = DropReason::loss;  // meaningful for drops only
  std::string detail;                    // e.g. "loss 1%", "link r1-server down"
};

// Why a connection changed state: the one list of causes. The text forms ("rcv SYN-ACK") are
// what trace.txt and events.jsonl print (docs/outputs.md lists them).
enum class StateCause : uint8_t {
  connect,                       // connect()
  listen,                        // listen()
  close,                         // close()
  shutdown,                      // shutdown(SHUT_WR)
  abort,                         // abort() / SO_LINGER 0: RST sent
  rcv_syn,                       // a SYN (passive open, simultaneous open)
  rcv_syn_ack,                   // the SYN-ACK of our SYN
  rcv_ack,                       // the handshake's final ACK
  rcv_ack_cookie,                // the final ACK carried a valid SYN cookie
  rcv_ack_of_fin,                // the ACK of our FIN
  rcv_fin,                       // the peer's FIN
  rcv_fin_ack,                   // the peer's FIN acknowledging ours (FIN_WAIT_1 -> TIME_WAIT)
  rcv_rst,                       // a valid RST
  rcv_syn_in_window,             // a SYN inside the window of a SYN_RECEIVED request
  rcv_syn_after_close,           // a SYN on an orphan that already closed
  rcv_data_after_close,          // data after close(): the kernel resets
  syn_retries_exhausted,         // tcp_syn_retries (or the time budget) ran out
  synack_retries_exhausted,      // tcp_synack_retries ran out: the request is dropped
  rto_expired,                   // tcp_retries2 (or the zero-window silence limit) ran out
  zero_window_probes_exhausted,  // tcp_probe_timer() gave up
  keepalive_probes_exhausted,    // tcp_keepalive_probes unanswered
  fin_wait_2_timeout,            // orphaned FIN_WAIT_2 lived tcp_fin_timeout
  time_wait_expired,             // TIME_WAIT lasted 2MSL
  tuple_reused,                  // a new SYN reuses a TIME_WAIT 4-tuple
  listener_closed,               // the listener went away with the request in its queue
  accept_queue_overflow,         // tcp_abort_on_overflow: the final ACK found a full queue
  host_crashed,                  // the host crashed: all TCP state is lost
};
inline constexpr size_t kStateCauseCount = static_cast<size_t>(StateCause::host_crashed) + 1;
std::string_view to_string(StateCause c);
std::optional<StateCause> parse_state_cause(std::string_view s);

struct StateRecord {
  Instant t;
  std::string host;
  SocketAddr local, remote;
  std::string app;  // empty when no application owns the connection
  TcpState from = TcpState::closed, to = TcpState::closed;
  StateCause cause = StateCause::connect;
  // A state inferred from a capture (netsim diagram capture.pcap) that the packets only
  // suggest: the endpoint's own packets prove what it sent, not what it received.
  bool inferred = false;
};

// One firing of a TCP timer, as facts: which timer, which attempt of how many, how long it ran
// and what it armed next. Sinks make the words ("retransmit seq 1001, backoff 1, rto 400ms",
// "keepalive probe 3/9", "SYN timeout → ETIMEDOUT (127 s)") from these fields.
struct TimerRecord {
  Instant t;
  std::string host;
  SocketAddr local, remote;
  std::string app;
  TimerKind timer = TimerKind::rto;
  // The retransmission / probe this firing sends (1 = the first); when it gives up, how many
  // were sent. 1 for one-shot timers (TIME_WAIT, FIN_WAIT_2, delayed ACK).
  uint32_t attempt = 0;
  uint32_t limit = 0;     // attempts allowed before giving up (tcp_syn_retries, ...); 0: none
  Duration ran;           // the timeout that just ran out
  Duration next;          // the timeout armed now for the next attempt; zero when none
  Duration elapsed;       // since the first transmission / last segment heard (give-ups)
  bool gives_up = false;  // this firing ends the connection or request (ETIMEDOUT)
  uint32_t seq = 0;       // the seq it (re)sends; the ACK number of a delayed ACK
  uint32_t backoff = 0;   // the exponential backoff count after this firing
  uint32_t bytes = 0;     // persist timer: bytes sent into a window that opened; REO: segments lost
};

struct AppRecord {
  Instant t;
  std::string host;
  std::string app;
  AppWhat what = AppWhat::connect;
  SocketAddr local, remote;
  std::string error;  // ETIMEDOUT, ECONNREFUSED, ECONNRESET, EPIPE
  uint64_t bytes = 0;
  std::string detail;
};

struct FaultRecord {
  Instant t;
  std::string host;  // node it applied to, if any
  std::string
      what;  // link_down, link_up, set_link, crash, restart, drop, delay, duplicate, corrupt
  std::string detail;
};

// A sampled quantity (SYN-queue length, cwnd, ...) for time-series plots.
struct CounterRecord {
  Instant t;
  std::string host;
  std::string name;
  int64_t value = 0;
  SocketAddr local, remote;  // zero when host-wide
};

using TraceRecord =
    std::variant<PacketRecord, StateRecord, TimerRecord, AppRecord, FaultRecord, CounterRecord>;

Instant record_time(const TraceRecord& r);

}  // namespace netsim
