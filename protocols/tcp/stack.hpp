// The sans-IO TCP stack of one host (DESIGN.md property 4). It never reads a clock, never
// schedules anything and never touches a device: every entry point is handed `now` and appends
// to an Outbox what to send, what to tell applications, what to trace, each touched socket's next
// timer deadline, the sockets it opened (a child with its listener) and those it freed, so its
// driver never has to ask it anything (the inspection calls below are for tests and tools).
// protocols/tcp/host.hpp binds it to the simulator, its only driver:
// real-time runs (realtime/) pace that same Simulator to the wall clock, and the TUN bridge
// stands in for a host's network side, not for the stack (docs/notes/realtime.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocols/tcp/io.hpp"
#include "protocols/tcp/msg_flags.hpp"
#include "protocols/tcp/profile.hpp"
#include "protocols/tcp/sockopt.hpp"
#include "protocols/tcp/state.hpp"
#include "sim/packet.hpp"
#include "sim/rng.hpp"
#include "sim/time.hpp"
#include "sim/trace_records.hpp"

namespace netsim::tcp {

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
  // The driver calls this at (or after) the socket's deadline (Outbox::deadlines).
  void on_timer(Instant now, SocketId id, Outbox& out);
  // When the first hop sent the segments connections tagged, in the order they were sent:
  // those that left later than now, and every one a connection counted (Packet::tx_counted).
  void tx_reports(Instant now, std::span<const TxReport> reports, Outbox& out);

  // The socket API.
  OpenResult listen(uint16_t port, int backlog, const SocketOptions& opts, Outbox& out);
  OpenResult connect(Instant now, SocketAddr remote, std::optional<uint16_t> local_port,
                     const SocketOptions& opts, Outbox& out);
  std::optional<SocketId> accept(SocketId listener, Outbox& out);
  // EPIPE after shutdown; `flags`: MSG_EOR / MSG_MORE (msg_flags.hpp).
  SocketError send(Instant now, SocketId s, Payload data, Outbox& out, uint32_t flags = 0);
  // Connection::write(): bounded by the send buffer (a partial count, 0 = EAGAIN).
  SendResult write(Instant now, SocketId s, Payload data, Outbox& out, uint32_t flags = 0,
                   WriteSlice* slice = nullptr);
  Payload read(Instant now, SocketId s, size_t max_bytes, Outbox& out);  // auto_read=false only
  void shutdown_write(Instant now, SocketId s, Outbox& out);             // SHUT_WR: FIN after data
  void close(Instant now, SocketId s, Outbox& out);  // orphans it; RST if data was unread
  void abort(Instant now, SocketId s, Outbox& out);  // RST now (SO_LINGER 0 semantics)
  // Enabling keepalive arms it `idle` from `now` (always handed: see Connection::set_options);
  // `out` gets the socket's new deadline.
  void set_options(Instant now, SocketId s, const SocketOptions& opts, Outbox& out);
  void set_options(Instant now, SocketId s, const SocketOptions& opts) {
    Outbox ignored;
    set_options(now, s, opts, ignored);
  }
  // setsockopt()/getsockopt() of one option (Connection::set_option()); on a listener the value
  // is stored for the connections it will accept. ENOTCONN for an unknown socket.
  SocketError set_option(Instant now, SocketId s, SockOpt opt, int value, Outbox& out);
  std::optional<int> get_option(SocketId s, SockOpt opt) const;

  // A crash: every socket and request vanishes silently; nothing is sent. `out` gets a state
  // note to CLOSED with cause StateCause::host_crashed for each connection and SYN-queue request,
  // so every output ends them at the crash.
  void crash(Outbox& out);
  void crash() {
    Outbox ignored;
    crash(ignored);
  }

  // Inspection (tests, tools; TcpHost learns all it needs from the Outbox).
  std::optional<Instant> next_deadline(SocketId id) const;
  bool exists(SocketId s) const;
  State state(SocketId s) const;  // CLOSED for unknown ids
  SocketAddr local_address(SocketId s) const;
  SocketAddr remote_address(SocketId s) const;
  SocketStats stats(SocketId s) const;
  // The connection behind `s` (nullptr for listeners and unknown ids), for tcp_info().
  const class Connection* connection(SocketId s) const;
  // The ids of every connection alive (not listeners or SYN-queue requests), ascending.
  std::vector<SocketId> connection_ids() const;
  size_t syn_queue_length(SocketId listener) const;
  size_t accept_queue_length(SocketId listener) const;
  const Counters& counters() const;
  // The socket lock (TcpHost): the connection a packet is for (tcp_v4_rcv()'s 4-tuple
  // lookup), and the backlog's nstat counters, which the host keeps on the stack's behalf.
  std::optional<SocketId> connection_for(const Packet& p) const;
  void count(uint64_t Counters::*counter);
  // Connection::cleanup_rbuf(): the ACK after a timed read's copy.
  void cleanup_rbuf(Instant now, SocketId s, Outbox& out, uint64_t copied = 0);
  const Profile& profile() const;
  // This host's timer wheel (its tick phase and boot jiffies); nullptr unless `timer_wheel`.
  const class TimerWheel* timer_wheel() const;
  // This host's TSval offset towards `remote` from `local` (secure_tcp_ts_off()).
  uint32_t tsval_offset(Ipv4Addr local, Ipv4Addr remote) const;
  size_t connection_count() const;  // full connections alive (not requests)

 private:
  struct Impl;
  class Entry;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netsim::tcp
