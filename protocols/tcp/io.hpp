// The TCP core's inputs and outputs (DESIGN.md property 4): socket handles and options, and the
// Outbox every entry point appends to (packets, application notices, trace notes, drops), plus
// the host-wide counters with their table. connection.hpp, listener.hpp and stack.hpp share it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/tcp/state.hpp"
#include "protocols/tcp/tcp_mib.hpp"
#include "sim/packet.hpp"
#include "sim/time.hpp"
#include "sim/trace_records.hpp"

namespace netsim::tcp {

// A handle for a listening socket or a connection; never reused within one Stack.
using SocketId = uint32_t;
constexpr SocketId kNoSocket = 0;

struct KeepaliveOptions {
  bool enabled = false;              // SO_KEEPALIVE
  std::optional<Duration> idle;      // TCP_KEEPIDLE (default: profile keepalive_time)
  std::optional<Duration> interval;  // TCP_KEEPINTVL
  std::optional<int> probes;         // TCP_KEEPCNT
};

// The read() size of an auto-reading application: 128 KiB, the buffer of iperf3's receiver
// (its default TCP block size) and of coreutils' cat (IO_BUFSIZE).
inline constexpr uint32_t kAutoReadSize = 131072;

struct SocketOptions {
  KeepaliveOptions keepalive;
  std::optional<int>
      syn_count;  // TCP_SYNCNT: overrides syn_retries (connect) / synack_retries (listen)
  bool linger_zero = false;  // SO_LINGER {on, 0}: close() sends RST and frees at once
  bool auto_read = true;     // false: data stays in the receive buffer until read()
  // auto_read with timed calls (the socket lock): the len of each read() the application makes
  // of what was delivered (0: kAutoReadSize); more waits for its next call.
  uint32_t read_size = 0;
  // TCP and socket options with Linux's semantics (sockopt.hpp, Connection::set_option()); 0
  // means not set. Given here, they apply from connect()/listen() on, as a setsockopt() before.
  bool nodelay = false;          // TCP_NODELAY
  bool cork = false;             // TCP_CORK
  uint16_t maxseg = 0;           // TCP_MAXSEG (tp->rx_opt.user_mss)
  uint32_t user_timeout_ms = 0;  // TCP_USER_TIMEOUT
  uint32_t rcvbuf = 0;  // SO_RCVBUF as the socket holds it (doubled, sock_rcvbuf_from()): locked
  uint32_t sndbuf = 0;  // SO_SNDBUF likewise (sock_sndbuf_from())
  uint32_t notsent_lowat = 0;  // TCP_NOTSENT_LOWAT (tp->notsent_lowat; 0: the sysctl's)
  uint32_t rcvlowat = 0;       // SO_RCVLOWAT as set (0: not set, sk_rcvlowat 1); rcvlowat()
};

// What a bounded write (Connection::write(), Stack::write(), TcpHost::write()) did: the bytes
// the send buffer took (a partial count when it filled, tcp_sendmsg_locked()), or an error
// with nothing taken. Zero bytes and no error is EAGAIN for a non-blocking writer: wait for
// the `writable` notice.
struct SendResult {
  size_t accepted = 0;
  SocketError error = SocketError::none;
};

// A write that spans virtual time (the socket lock, docs/windows.md): its driver runs
// tcp_sendmsg_locked()'s copy loop one skb at a time, the copy's time passing between calls.
// In: `skbs` the loop may copy before it pauses at the next one (0: it only says what that
// next skb takes); `continued`: this syscall copied before (no EAGAIN; its end pushes).
// Out: `paused` (the syscall goes on) with the `next` bytes the loop would copy, into a new
// skb when `new_skb` (what tcp_sendmsg_locked()'s process_backlog counts).
struct WriteSlice {
  uint32_t skbs = 0;
  bool continued = false;
  bool paused = false;
  uint32_t next = 0;
  bool new_skb = false;
};

// Per-socket figures for the run summary.
struct SocketStats {
  uint64_t bytes_sent = 0;      // application bytes acknowledged by the peer
  uint64_t bytes_received = 0;  // application bytes delivered in order
  uint64_t retransmits = 0;
  std::optional<Instant> established_at;
};

// Something an application must hear about.
struct AppNotice {
  enum class Kind : uint8_t {
    connected,  // connect() completed (ESTABLISHED)
    accepted,   // a connection reached the accept queue of `socket` (a listener); see `child`
    data,       // bytes arrived in order (auto_read) or became readable (no auto_read)
    eof,        // the peer's FIN: no more data will arrive
    closed,     // the connection is gone (CLOSED); the SocketId is released after this
    error,      // ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE
    // A write found the send buffer full and ACKs have since freed a third of it
    // (sk_stream_write_space(): EPOLLOUT, a blocked send() wakes).
    writable,
  };
  Kind kind;
  SocketId socket = kNoSocket;
  SocketId child = kNoSocket;  // accepted only
  Payload data;                // data only
  SocketError error = SocketError::none;
  SocketStats stats;  // closed only: the connection's final figures (it is freed right after)
  // data only: a timed read (TcpHost::start_read()) returned; its bytes are the app's to take.
  bool read_returned = false;
  // data without bytes (no auto_read): how many became readable since the last such notice.
  uint32_t arrived = 0;
};

// A state change or timer firing for the trace, as facts (no text); produced only when tracing
// is on.
struct TraceNote {
  enum class Kind : uint8_t { state, timer, counter };
  Kind kind = Kind::state;
  SocketId socket = kNoSocket;  // kNoSocket for SYN-queue requests and stack-wide notes
  // For a note without a socket (a SYN-queue request's): the listener of its port as the entry
  // point returns (before a crash clears it). The Stack fills it; the trace names the request
  // after that listener's application.
  SocketId listener = kNoSocket;
  SocketAddr local, remote;
  State from = State::closed, to = State::closed;
  StateCause cause = StateCause::connect;
  TimerRecord fired;    // timer only: the firing's facts (the host fills time, host and app)
  std::string counter;  // counter name (syn_queue, accept_queue, cwnd, ...)
  int64_t value = 0;
};

// A segment the stack refused (the network traces it as a drop with this reason).
struct DropNote {
  Packet packet;
  DropReason reason = DropReason::no_listener;
  std::string detail;
};

// A socket the Stack opened: by connect() or listen() (listener kNoSocket), or a child a
// listener created (its driver learns of children only here; they inherit the listener's
// callbacks and name in TcpHost).
struct OpenedNote {
  SocketId socket = kNoSocket;
  SocketId listener = kNoSocket;
  SocketAddr local, remote;  // remote unset for a listener
};

// The driver's word on one segment a connection tagged (Packet::tx_truesize): when the host's
// first hop sent its last bit, its TX completion (Stack::tx_reports(), connection_tsq.cpp).
struct TxReport {
  SocketId socket = kNoSocket;  // Packet::tx_socket
  uint32_t truesize = 0;
  bool counted = false;  // Packet::tx_counted
  Instant done;
  SeqNum end{};  // the segment's sequence number + its payload: the skb's data end
};

// A touched socket's timer as the entry point left it: `at` is its next deadline, none if no
// timer runs (or the socket is gone). The driver keeps one timer per socket at `at`.
struct DeadlineNote {
  SocketId socket = kNoSocket;
  std::optional<Instant> at;
};

struct Outbox {
  // Whether trace notes are wanted. The Stack sets it from set_tracing() at every entry point,
  // so connections do not each keep a pointer to the flag; a bare Connection's driver sets it.
  bool tracing = true;
  std::vector<Packet> packets;  // to send, IPv4 addresses filled; retransmissions numbered
  std::vector<AppNotice> notices;
  std::vector<TraceNote> trace;
  std::vector<DropNote> drops;
  std::vector<SocketId> touched;  // sockets whose next_deadline() may have changed
  // Filled by the Stack as each entry point returns, so its driver never asks it anything
  // (a pure sans-IO contract): each touched socket's deadline, once, in first-touched order;
  // the sockets opened; the sockets freed (their SocketIds are never used again).
  std::vector<DeadlineNote> deadlines;
  std::vector<OpenedNote> opened;
  std::vector<SocketId> gone;
  void clear() {  // keeps `tracing`
    packets.clear();
    notices.clear();
    trace.clear();
    drops.clear();
    touched.clear();
    deadlines.clear();
    opened.clear();
    gone.clear();
  }
};

// Host-wide counters (SCENARIO_SPEC.md summary). Their names, Linux nstat names and docs are
// in counter_table(); the summary, expectations and the loader read that table. The loss
// recovery and receive memory counters carry their nstat names (tcp_mib.hpp).
struct Counters : LossMib, RcvMemMib, TcpMemMib, TxMib {
  uint64_t syn_received = 0;
  uint64_t synack_sent = 0;
  uint64_t synack_retransmits = 0;
  uint64_t syn_queue_drops = 0;
  uint64_t accept_queue_drops = 0;
  uint64_t syncookies_sent = 0;
  uint64_t syncookies_ok = 0;
  uint64_t syncookies_failed = 0;
  uint64_t rst_sent = 0;
  uint64_t rst_received = 0;
  uint64_t keepalive_probes_sent = 0;
  uint64_t retransmits = 0;
  uint64_t challenge_acks = 0;
  uint64_t connections_established = 0;
  // Not a TCP counter and not in counter_table(): state changes outside the transition table
  // (transitions.hpp) in a release build, a bug in the model. Tests check it stays 0.
  uint64_t illegal_transitions = 0;
};

struct CounterInfo {
  std::string_view name;   // in scenarios (`counter:`) and summary.json
  std::string_view nstat;  // the nearest Linux counter as `nstat -a` names it, or ""
  uint64_t Counters::*member;
  std::string_view doc;
};

// Every counter, in summary order.
std::span<const CounterInfo> counter_table();

}  // namespace netsim::tcp
