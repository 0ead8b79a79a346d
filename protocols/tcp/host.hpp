// TcpHost binds one host's sans-IO Stack to the simulator: it receives the host's packets from
// the Network, turns every Outbox into sends, drop records, trace records and application
// callbacks, and keeps exactly one simulator event per socket at its next deadline. Simulated
// applications (protocols/apps) talk to this socket API; docs/tcp-host-api.md explains it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocols/tcp/profile.hpp"
#include "protocols/tcp/socket_backlog.hpp"
#include "protocols/tcp/stack.hpp"
#include "sim/network.hpp"
#include "sim/simulator.hpp"

namespace netsim::tcp {

// What an application hears about a socket. Every callback may call back into the TcpHost
// (send, close, connect, accept, ...): the stack acts at once, while the packets, trace records
// and callbacks the call causes are handled after the callbacks already being delivered, at the
// same virtual time (docs/tcp-host-api.md, re-entrancy).
struct SocketCallbacks {
  std::function<void(SocketId)> on_connected;
  std::function<void(SocketId listener, SocketId child)> on_accepted;
  std::function<void(SocketId, const Payload&)> on_data;
  std::function<void(SocketId)> on_eof;
  // The connection is gone; `final` holds its figures (the stack has already freed it).
  std::function<void(SocketId, const SocketStats& final)> on_closed;
  std::function<void(SocketId, SocketError)> on_error;
  // A bounded write found the send buffer full and a third of it is free again.
  std::function<void(SocketId)> on_writable;
};

class TcpHost {
 public:
  // Registers itself as the Network receiver of `node`; the stack's randomness is the stream
  // "tcp:<name>" of the simulator.
  TcpHost(Simulator& sim, Network& network, NodeId node, Profile profile, std::string name);
  ~TcpHost();
  TcpHost(const TcpHost&) = delete;
  TcpHost& operator=(const TcpHost&) = delete;

  // The socket API: Stack's, with the simulator's clock and the Outbox handled here. `app`
  // names the socket in the trace. Children of a listener inherit its callbacks and name until
  // set_callbacks()/set_app_name() is called for them.
  OpenResult listen(uint16_t port, int backlog, const SocketOptions& opts = {},
                    SocketCallbacks callbacks = {}, std::string app = {});
  OpenResult connect(SocketAddr remote, std::optional<uint16_t> local_port = std::nullopt,
                     const SocketOptions& opts = {}, SocketCallbacks callbacks = {},
                     std::string app = {});
  // The same, for an application opening many connections with one set of callbacks and one
  // name: they are shared by its sockets instead of copied into each (a million connections
  // would otherwise hold a million copies).
  using SharedCallbacks = std::shared_ptr<const SocketCallbacks>;
  using SharedName = std::shared_ptr<const std::string>;
  OpenResult connect(SocketAddr remote, std::optional<uint16_t> local_port,
                     const SocketOptions& opts, SharedCallbacks callbacks, SharedName app);
  std::optional<SocketId> accept(SocketId listener);
  SocketError send(SocketId s, Payload data, uint32_t flags = 0);  // flags: msg_flags.hpp
  // Stack::write(): bounded by the send buffer; on_writable says when to write again.
  SendResult write(SocketId s, Payload data, uint32_t flags = 0);
  Payload read(SocketId s, size_t max_bytes);
  void shutdown_write(SocketId s);
  void close(SocketId s);
  void abort(SocketId s);
  void set_options(SocketId s, const SocketOptions& opts);
  // Stack::set_option() / get_option() at the simulator's now.
  SocketError set_option(SocketId s, SockOpt opt, int value);
  std::optional<int> get_option(SocketId s, SockOpt opt) const;
  void set_callbacks(SocketId s, SocketCallbacks callbacks);
  void set_app_name(SocketId s, std::string app);
  // A number an application keeps with a socket (its connection's index), so that it needs no
  // map of its own from SocketId: it sits in the padding of the host's socket record, where a
  // hash node per connection cost an app ~40 bytes (bench/scenarios/million-established.yaml).
  static constexpr uint32_t kNoTag = UINT32_MAX;
  void set_tag(SocketId s, uint32_t tag);
  uint32_t tag(SocketId s) const;  // kNoTag: an unknown socket, or one never tagged

  // The socket lock (docs/windows.md "The socket lock"; host_syscall.cpp): with the profile's
  // `syscall_cost` or `copy_rate` set, a blocking send() (apps::BlockingWriter) and the read
  // of arrived data span virtual time, the application owns the socket meanwhile and
  // segments arriving then wait in its backlog. Off: every call is instantaneous.
  bool timed_syscalls() const { return stack_.profile().timed_syscalls(); }
  // tcp_sendmsg() of `data` spanning time; `resumed`: the same send() goes on after it waited
  // for memory (no new syscall cost). When it returns the app's on_writable is called and
  // take_write_result() says what it copied. One at a time per socket.
  void start_write(SocketId s, Payload data, bool resumed, uint32_t flags = 0);
  std::optional<SendResult> take_write_result(SocketId s);
  // tcp_recvmsg() of at most `max` bytes of the receive queue (auto_read off) spanning time:
  // the call's cost, then each copy's, owning the socket; between copies a non-empty backlog
  // is processed (__sk_flush_backlog()) while `max` allows more. When it returns the app's
  // on_data is called (no bytes) and take_read_result() gives what it copied. One at a time.
  void start_read(SocketId s, size_t max);
  std::optional<Payload> take_read_result(SocketId s);
  bool reading(SocketId s) const;  // a start_read() has not returned yet
  bool owned(SocketId s) const;    // sock_owned_by_user()

  // The host crashes: all TCP state vanishes silently, timers are cancelled and the node goes
  // down (arriving packets are dropped as host_down). restart() brings it back with an empty
  // stack; applications listen again. SocketIds are never reused across a crash.
  void crash();
  void restart();
  bool up() const { return up_; }

  const Stack& stack() const { return stack_; }
  const std::string& name() const { return name_; }
  NodeId node() const { return node_; }
  // Simulator events currently armed for sockets (one at most per socket).
  size_t armed_timers() const;

 private:
  // Who a socket belongs to: its callbacks and application name. Many sockets share one
  // (a client's connections, a listener's children), so a socket holds its index in owners_
  // (4 bytes where two shared_ptrs took 32: a million connections' host bookkeeping).
  struct Owner {
    SharedCallbacks callbacks;
    SharedName app;
    uint32_t refs = 0;  // sockets holding it; at 0 it is freed for reuse
  };
  static constexpr uint32_t kNoOwner = UINT32_MAX;
  struct SocketInfo {
    uint32_t owner = kNoOwner;  // index in owners_, kNoOwner: no callbacks and no name
    SocketAddr local, remote;
    EventHandle timer;
    uint32_t tag = kNoTag;  // set_tag()
    Instant timer_at;       // when `timer` fires, if pending
  };

  void on_packet(const Packet& p);
  void on_timer_event(SocketId id);
  // host_syscall.cpp: the socket lock, its backlog and the calls that span time.
  struct Lock {
    SocketBacklog backlog;
    EventHandle event;  // the call's next step
    bool writing = false, reading = false;
    bool timer_deferred = false;  // a timer fired while owned: tcp_release_cb() runs it
    Payload data;                 // the write's bytes; `copied` of them are in the socket
    uint64_t copied = 0;
    uint32_t new_skbs = 0;  // tcp_sendmsg_locked()'s process_backlog
    std::optional<SendResult> result;
    uint64_t read_bytes = 0;  // delivered, not yet copied by the reader
    uint64_t copying = 0;     // what the running auto-read copies (counted read at its end)
    uint32_t flags = 0;       // the write's MSG_MORE / MSG_EOR
    // start_read(): bytes it may still copy, the pieces copied, the result until taken.
    size_t read_left = 0;
    size_t read_copy = 0;  // what the copy step under way takes (read_copied())
    std::vector<Payload> read_parts;
    std::optional<Payload> read_result;
    bool owned() const { return writing || reading; }
    bool idle() const {
      return !owned() && !result && !read_result && read_bytes == 0 && backlog.empty();
    }
  };
  Lock* lock(SocketId s);
  bool backlogged(const Packet& p);
  void write_step(SocketId s, uint32_t skbs);
  void finish_write(SocketId s, SocketError e);
  void flush_backlog(SocketId s);
  void release_sock(SocketId s, bool writer);
  void note_read(SocketId s, size_t bytes);
  void start_reads();
  void end_read(SocketId s);
  void read_step(SocketId s);
  void read_copied(SocketId s);
  void finish_read(SocketId s);
  Duration copy_time(uint64_t bytes) const;
  void sync_tracing();
  // Queues an Outbox and, unless already draining, drains every queued Outbox in order.
  void submit(Outbox& out);
  Outbox& take_outbox();
  void release(Outbox& out);
  void handle(Outbox& out);
  void send_packets(Outbox& out);
  void emit_notes(const Outbox& out, bool timers);
  void rearm(SocketId id, std::optional<Instant> deadline);
  void deliver(const AppNotice& n);
  void app_record(AppWhat what, const SocketInfo& info, uint64_t bytes = 0, std::string error = {});
  SocketInfo* info(SocketId id);
  static const OpenedNote* opened(const Outbox& out, SocketId id);
  void adopt(const OpenedNote& child);
  std::string app_of(const TraceNote& n);
  void forget(SocketId id);
  // owners_: the index of (callbacks, app), shared with every socket that has the same pair.
  uint32_t own(SharedCallbacks callbacks, SharedName app);
  void hold(uint32_t owner);
  void drop_owner(uint32_t owner);
  void set_owner(SocketInfo& i, SharedCallbacks callbacks, SharedName app);
  SharedCallbacks owners_callbacks(const SocketInfo& i) const;
  SharedName owners_app(const SocketInfo& i) const;
  const std::string* app_name(const SocketInfo& i) const;

  Simulator& sim_;
  Network& network_;
  NodeId node_;
  std::string name_;
  Stack stack_;
  bool up_ = true;
  std::unordered_map<SocketId, SocketInfo> sockets_;
  // info()'s last answer: one entry point asks for the same socket several times (its
  // deadline, its notices, the application's calls back). Nodes never move, so the pointer
  // holds until forget() or crash() erases its socket.
  SocketId info_id_ = kNoSocket;
  SocketInfo* info_ = nullptr;
  std::vector<Owner> owners_;
  std::vector<uint32_t> free_owners_;
  std::map<std::pair<const void*, const void*>, uint32_t> owner_index_;  // (callbacks, app)
  // Outboxes are reused in place (never moved or destroyed per entry point): boxes_ owns them,
  // free_boxes_ holds the cleared ones, pending_ the ones queued while draining (submit()).
  std::vector<std::unique_ptr<Outbox>> boxes_;
  std::vector<Outbox*> free_boxes_;
  std::deque<Outbox*> pending_;
  std::vector<SocketId> gone_;        // sockets the stack freed, forgotten after draining
  std::vector<TxReport> tx_reports_;  // send_packets(): the TX completions to report
  bool draining_ = false;
  std::unordered_map<SocketId, Lock> locks_;  // sockets a timed call owns or owned
  std::vector<SocketId> readers_;             // data delivered to an idle reader: its read() starts
  uint64_t epoch_ = 0;  // bumped by crash(): stops delivering an Outbox of the dead stack
};

}  // namespace netsim::tcp
