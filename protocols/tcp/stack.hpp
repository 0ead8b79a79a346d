// The sans-IO TCP stack of one host (DESIGN.md property 4). It never reads a clock, never
// schedules anything and never touches a device: every entry point is handed `now` and appends
// to an Outbox what to send, what to tell applications, what to trace, and which sockets' timer
// deadlines may have changed. protocols/tcp/host.hpp binds it to the simulator, its only driver:
// real-time runs (realtime/) pace that same Simulator to the wall clock, and the TUN bridge
// stands in for a host's network side, not for the stack (docs/notes/realtime.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocols/tcp/profile.hpp"
#include "protocols/tcp/state.hpp"
#include "sim/packet.hpp"
#include "sim/rng.hpp"
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

struct SocketOptions {
  KeepaliveOptions keepalive;
  std::optional<int>
      syn_count;  // TCP_SYNCNT: overrides syn_retries (connect) / synack_retries (listen)
  bool linger_zero = false;  // SO_LINGER {on, 0}: close() sends RST and frees at once
  bool auto_read = true;     // false: data stays in the receive buffer until read()
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
  };
  Kind kind;
  SocketId socket = kNoSocket;
  SocketId child = kNoSocket;  // accepted only
  Payload data;                // data only
  SocketError error = SocketError::none;
  SocketStats stats;  // closed only: the connection's final figures (it is freed right after)
};

// A state change or timer firing for the trace, as facts (no text); produced only when tracing
// is on.
struct TraceNote {
  enum class Kind : uint8_t { state, timer, counter };
  Kind kind = Kind::state;
  SocketId socket = kNoSocket;  // kNoSocket for SYN-queue requests and stack-wide notes
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

struct Outbox {
  std::vector<Packet> packets;  // to send, IPv4 addresses filled; retransmissions numbered
  std::vector<AppNotice> notices;
  std::vector<TraceNote> trace;
  std::vector<DropNote> drops;
  std::vector<SocketId> touched;  // sockets whose next_deadline() may have changed
  void clear() {
    packets.clear();
    notices.clear();
    trace.clear();
    drops.clear();
    touched.clear();
  }
};

// Host-wide counters (SCENARIO_SPEC.md summary; Linux SNMP names in comments).
struct Counters {
  uint64_t syn_received = 0;
  uint64_t synack_sent = 0;
  uint64_t synack_retransmits = 0;
  uint64_t syn_queue_drops = 0;     // TCPReqQFullDrop
  uint64_t accept_queue_drops = 0;  // ListenOverflows / ListenDrops
  uint64_t syncookies_sent = 0;     // SyncookiesSent
  uint64_t syncookies_ok = 0;       // SyncookiesRecv
  uint64_t syncookies_failed = 0;   // SyncookiesFailed
  uint64_t rst_sent = 0;
  uint64_t rst_received = 0;
  uint64_t keepalive_probes_sent = 0;
  uint64_t retransmits = 0;     // data/SYN/FIN retransmissions of connections
  uint64_t challenge_acks = 0;  // RFC 5961
  uint64_t connections_established = 0;
};

struct OpenResult {
  SocketId id = kNoSocket;
  SocketError error = SocketError::none;  // eaddrinuse / einval when id == kNoSocket
};

class Stack {
 public:
  Stack(std::vector<Ipv4Addr> addresses, Profile profile, Rng rng);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // Tracing off (the default) means no TraceNote is built: nothing is formatted.
  void set_tracing(bool on);

  // A packet addressed to one of this host's addresses.
  void on_packet(Instant now, const Packet& p, Outbox& out);
  // The driver calls this at (or after) next_deadline(id).
  void on_timer(Instant now, SocketId id, Outbox& out);
  std::optional<Instant> next_deadline(SocketId id) const;

  // The socket API.
  OpenResult listen(uint16_t port, int backlog, const SocketOptions& opts, Outbox& out);
  OpenResult connect(Instant now, SocketAddr remote, std::optional<uint16_t> local_port,
                     const SocketOptions& opts, Outbox& out);
  std::optional<SocketId> accept(SocketId listener, Outbox& out);
  SocketError send(Instant now, SocketId s, Payload data, Outbox& out);  // EPIPE after shutdown
  Payload read(Instant now, SocketId s, size_t max_bytes, Outbox& out);  // auto_read=false only
  void shutdown_write(Instant now, SocketId s, Outbox& out);             // SHUT_WR: FIN after data
  void close(Instant now, SocketId s, Outbox& out);  // orphans it; RST if data was unread
  void abort(Instant now, SocketId s, Outbox& out);  // RST now (SO_LINGER 0 semantics)
  // Enabling keepalive arms it `idle` from `now` (always handed: see Connection::set_options).
  void set_options(Instant now, SocketId s, const SocketOptions& opts);

  // A crash: every socket and request vanishes silently; nothing is sent.
  void crash();

  // Inspection.
  bool exists(SocketId s) const;
  State state(SocketId s) const;  // CLOSED for unknown ids
  SocketAddr local_address(SocketId s) const;
  SocketAddr remote_address(SocketId s) const;
  SocketStats stats(SocketId s) const;
  size_t syn_queue_length(SocketId listener) const;
  size_t accept_queue_length(SocketId listener) const;
  const Counters& counters() const;
  const Profile& profile() const;
  size_t connection_count() const;  // full connections alive (not requests)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netsim::tcp
