// The simulator binding of a host's TCP stack: Outbox -> Network sends/drops, trace records and
// application callbacks; its deadlines -> one re-armed simulator event per socket. Everything
// it knows of the stack's sockets comes from the Outbox: it never calls back to ask.

#include "protocols/tcp/host.hpp"

#include <algorithm>
#include <vector>

namespace netsim::tcp {

namespace {

// Callbacks and names are shared with a listener's children; a socket without any costs
// nothing (a benchmark opening 100k bare connections should measure the stack, not this).
std::shared_ptr<const SocketCallbacks> share(SocketCallbacks cb) {
  bool any =
      cb.on_connected || cb.on_accepted || cb.on_data || cb.on_eof || cb.on_closed || cb.on_error;
  return any ? std::make_shared<const SocketCallbacks>(std::move(cb)) : nullptr;
}

std::shared_ptr<const std::string> share(std::string app) {
  return app.empty() ? nullptr : std::make_shared<const std::string>(std::move(app));
}

}  // namespace

TcpHost::TcpHost(Simulator& sim, Network& network, NodeId node, Profile profile, std::string name)
    : sim_(sim),
      network_(network),
      node_(node),
      name_(std::move(name)),
      stack_(network.node(node).addresses, profile, sim.rng_stream("tcp:" + name_)) {
  stack_.set_tracing(sim_.trace().enabled());
  network_.set_receiver(node_, [this](const Packet& p) { on_packet(p); });
}

TcpHost::~TcpHost() {
  for (auto& [id, info] : sockets_)
    sim_.cancel(info.timer);
  for (auto& [id, l] : locks_)
    sim_.cancel(l.event);
  network_.set_receiver(node_, {});
}

// Sinks may be attached after the hosts are built: follow the trace's state at every entry.
void TcpHost::sync_tracing() {
  stack_.set_tracing(sim_.trace().enabled());
}

// --- Socket API ----------------------------------------------------------------------------------

OpenResult TcpHost::listen(uint16_t port, int backlog, const SocketOptions& opts,
                           SocketCallbacks callbacks, std::string app) {
  sync_tracing();
  Outbox& out = take_outbox();
  OpenResult r = stack_.listen(port, backlog, opts, out);
  if (r.id != kNoSocket) {
    SocketInfo& i = sockets_[r.id];
    set_owner(i, share(std::move(callbacks)), share(std::move(app)));
    if (const OpenedNote* o = opened(out, r.id)) i.local = o->local;
  }
  submit(out);
  return r;
}

OpenResult TcpHost::connect(SocketAddr remote, std::optional<uint16_t> local_port,
                            const SocketOptions& opts, SocketCallbacks callbacks, std::string app) {
  return connect(remote, local_port, opts, share(std::move(callbacks)), share(std::move(app)));
}

OpenResult TcpHost::connect(SocketAddr remote, std::optional<uint16_t> local_port,
                            const SocketOptions& opts, SharedCallbacks callbacks, SharedName app) {
  sync_tracing();
  Outbox& out = take_outbox();
  OpenResult r = stack_.connect(sim_.now(), remote, local_port, opts, out);
  if (r.id != kNoSocket) {
    // Registered before the Outbox is drained, so that the SYN_SENT record carries the name.
    SocketInfo& i = sockets_[r.id];
    set_owner(i, std::move(callbacks), std::move(app));
    if (const OpenedNote* o = opened(out, r.id)) i.local = o->local;
    i.remote = remote;
    app_record(AppWhat::connect, i);
  }
  submit(out);
  return r;
}

std::optional<SocketId> TcpHost::accept(SocketId listener) {
  sync_tracing();
  Outbox& out = take_outbox();
  std::optional<SocketId> child = stack_.accept(listener, out);
  submit(out);
  return child;
}

SocketError TcpHost::send(SocketId s, Payload data, uint32_t flags) {
  sync_tracing();
  Outbox& out = take_outbox();
  SocketError e = stack_.send(sim_.now(), s, std::move(data), out, flags);
  submit(out);
  return e;
}

SendResult TcpHost::write(SocketId s, Payload data, uint32_t flags) {
  sync_tracing();
  Outbox& out = take_outbox();
  SendResult r = stack_.write(sim_.now(), s, std::move(data), out, flags);
  submit(out);
  return r;
}

Payload TcpHost::read(SocketId s, size_t max_bytes) {
  sync_tracing();
  Outbox& out = take_outbox();
  Payload data = stack_.read(sim_.now(), s, max_bytes, out);
  submit(out);
  return data;
}

void TcpHost::shutdown_write(SocketId s) {
  sync_tracing();
  Outbox& out = take_outbox();
  stack_.shutdown_write(sim_.now(), s, out);
  submit(out);
}

void TcpHost::close(SocketId s) {
  sync_tracing();
  Outbox& out = take_outbox();
  stack_.close(sim_.now(), s, out);
  submit(out);
}

void TcpHost::abort(SocketId s) {
  sync_tracing();
  Outbox& out = take_outbox();
  stack_.abort(sim_.now(), s, out);
  submit(out);
}

void TcpHost::set_options(SocketId s, const SocketOptions& opts) {
  Outbox& out = take_outbox();
  stack_.set_options(sim_.now(), s, opts, out);
  // Only a deadline can change: re-armed at once, as a call made inside a callback expects.
  for (const DeadlineNote& d : out.deadlines)
    rearm(d.socket, d.at);
  release(out);
}

SocketError TcpHost::set_option(SocketId s, SockOpt opt, int value) {
  sync_tracing();
  Outbox& out = take_outbox();
  SocketError e = stack_.set_option(sim_.now(), s, opt, value, out);
  submit(out);  // re-arms the deadlines it carries (TCP_USER_TIMEOUT, pushes)
  return e;
}

std::optional<int> TcpHost::get_option(SocketId s, SockOpt opt) const {
  return stack_.get_option(s, opt);
}

void TcpHost::set_callbacks(SocketId s, SocketCallbacks callbacks) {
  if (SocketInfo* i = info(s)) set_owner(*i, share(std::move(callbacks)), owners_app(*i));
}

void TcpHost::set_app_name(SocketId s, std::string app) {
  if (SocketInfo* i = info(s)) set_owner(*i, owners_callbacks(*i), share(std::move(app)));
}

void TcpHost::crash() {
  sync_tracing();
  Outbox& out = take_outbox();
  stack_.crash(out);
  // Emitted while the sockets still have their app names.
  if (sim_.trace().enabled()) emit_notes(out, false);
  release(out);
  // In SocketId order, not the hash table's.
  std::vector<SocketId> ids;
  ids.reserve(sockets_.size());
  for (const auto& [id, info] : sockets_)
    ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (SocketId id : ids)
    sim_.cancel(sockets_[id].timer);
  sockets_.clear();
  info_id_ = kNoSocket;
  info_ = nullptr;
  for (auto& [id, l] : locks_)
    sim_.cancel(l.event);
  locks_.clear();
  readers_.clear();
  owners_.clear();
  free_owners_.clear();
  owner_index_.clear();
  for (Outbox* o : pending_)
    release(*o);
  pending_.clear();
  gone_.clear();
  ++epoch_;
  up_ = false;
  network_.set_host_up(node_, false);
}

void TcpHost::restart() {
  up_ = true;
  network_.set_host_up(node_, true);
}

size_t TcpHost::armed_timers() const {
  size_t n = 0;
  for (const auto& [id, info] : sockets_)
    n += sim_.pending(info.timer) ? 1 : 0;
  return n;
}

// --- Inputs from the simulator ---------------------------------------------------------------

void TcpHost::on_packet(const Packet& p) {
  if (!up_) return;
  if (backlogged(p)) return;  // the application owns the socket (host_syscall.cpp)
  sync_tracing();
  Outbox& out = take_outbox();
  stack_.on_packet(sim_.now(), p, out);
  submit(out);
}

void TcpHost::on_timer_event(SocketId id) {
  if (Lock* l = locks_.empty() ? nullptr : lock(id); l != nullptr && l->owned()) {
    l->timer_deferred = true;  // tcp_write_timer() & co. while owned: tcp_release_cb() runs it
    return;
  }
  sync_tracing();
  Outbox& out = take_outbox();
  stack_.on_timer(sim_.now(), id, out);
  submit(out);
}

// --- Draining Outboxes ---------------------------------------------------------------------------

// A callback may call into the host, which produces another Outbox while one is being handled.
// It is queued and handled after the current one, in a loop: no vector is iterated while it
// grows, and the stack is never re-entered from inside itself.
void TcpHost::submit(Outbox& out) {
  if (draining_) {
    pending_.push_back(&out);
    return;
  }
  draining_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{draining_};
  handle(out);  // nothing is queued when not draining: this one goes first
  release(out);
  while (!pending_.empty()) {
    Outbox& o = *pending_.front();
    pending_.pop_front();
    handle(o);
    release(o);
  }
  for (SocketId id : gone_)
    forget(id);
  gone_.clear();
  if (!readers_.empty()) start_reads();
}

// Outboxes are reused in place, so their vectors keep their capacity: a busy host allocates
// nothing for them per packet, and nothing moves or destroys eight vectors per entry point
// (8% of a handshake benchmark's instructions when they were moved in and out of a spare list).
Outbox& TcpHost::take_outbox() {
  if (free_boxes_.empty()) {
    boxes_.push_back(std::make_unique<Outbox>());
    return *boxes_.back();
  }
  Outbox& o = *free_boxes_.back();
  free_boxes_.pop_back();
  return o;
}

// One that grew large (a crash, a listener closing) gives its memory back.
void TcpHost::release(Outbox& o) {
  constexpr size_t kLarge = 64;
  if (o.packets.capacity() > kLarge || o.trace.capacity() > kLarge ||
      o.notices.capacity() > kLarge || o.touched.capacity() > kLarge ||
      o.deadlines.capacity() > kLarge || o.gone.capacity() > kLarge) {
    o = Outbox{};
  } else {
    o.clear();
  }
  free_boxes_.push_back(&o);
}

void TcpHost::handle(Outbox& out) {
  uint64_t epoch = epoch_;
  // Children first: their trace notes name them after their listener's application.
  for (const OpenedNote& o : out.opened)
    if (o.listener != kNoSocket) adopt(o);
  for (DropNote& d : out.drops) {
    network_.record_drop(node_, d.packet, d.reason, std::move(d.detail));
  }
  // Trace order: a timer's firing, then what it sent; a packet, then the state it caused
  // (the spec's sample trace prints the SYN before "SYN_SENT (connect)").
  bool tracing = sim_.trace().enabled();
  if (tracing) emit_notes(out, true);
  send_packets(out);
  if (tracing) emit_notes(out, false);
  // One event per socket: each touched socket once, in first-touched order (the Stack's).
  for (const DeadlineNote& d : out.deadlines)
    rearm(d.socket, d.at);
  for (const AppNotice& n : out.notices) {
    deliver(n);
    if (epoch != epoch_) return;  // a callback crashed the host: the rest belongs to the dead
  }
  // Sockets the stack freed are forgotten once every queued Outbox is delivered (submit()):
  // a callback may have queued one with more notices for them (close() inside on_data).
  gone_.insert(gone_.end(), out.gone.begin(), out.gone.end());
}

// The packets go to the network in order. A segment a connection tagged (an skb's last) is
// reported back when its first hop sends it later than now (a link of finite bandwidth) or
// when the connection counted it: its TX completion (connection_tsq.cpp). On links of
// infinite bandwidth nothing is reported.
void TcpHost::send_packets(Outbox& out) {
  const Instant now = sim_.now();
  for (Packet& p : out.packets) {
    const uint32_t truesize = p.tx_truesize;
    if (truesize == 0) {
      network_.send(node_, std::move(p));
      continue;
    }
    const bool counted = p.tx_counted != 0;
    const SocketId socket = p.tx_socket;
    const SeqNum end = p.tcp.seq + static_cast<uint32_t>(p.tcp.payload.size());
    const Instant done = network_.send(node_, std::move(p));
    if (counted || done > now)
      tx_reports_.push_back(TxReport{socket, truesize, counted, done, end});
  }
  if (tx_reports_.empty()) return;
  stack_.tx_reports(now, tx_reports_, out);  // adds the sockets' deadlines to `out`
  tx_reports_.clear();
}

void TcpHost::emit_notes(const Outbox& out, bool timers) {
  Trace& trace = sim_.trace();
  for (const TraceNote& n : out.trace) {
    if ((n.kind == TraceNote::Kind::timer) != timers) continue;
    switch (n.kind) {
      case TraceNote::Kind::state:
        trace.emit(
            StateRecord{sim_.now(), name_, n.local, n.remote, app_of(n), n.from, n.to, n.cause});
        break;
      case TraceNote::Kind::timer: {
        TimerRecord r = n.fired;
        r.t = sim_.now();
        r.host = name_;
        r.local = n.local;
        r.remote = n.remote;
        r.app = app_of(n);
        trace.emit(r);
        break;
      }
      case TraceNote::Kind::counter:
        trace.emit(CounterRecord{sim_.now(), name_, n.counter, n.value, n.local, n.remote});
        break;
    }
  }
}

void TcpHost::rearm(SocketId id, std::optional<Instant> deadline) {
  SocketInfo* i = info(id);
  if (i == nullptr) return;
  if (!deadline) {
    sim_.cancel(i->timer);
    return;
  }
  Instant t = std::max(*deadline, sim_.now());
  if (sim_.pending(i->timer)) {
    // An unchanged deadline keeps its place among equal-time events.
    if (t != i->timer_at) sim_.reschedule(i->timer, t);
  } else {
    i->timer = sim_.schedule_call_at<&TcpHost::on_timer_event>(t, this, id);
  }
  i->timer_at = t;
}

void TcpHost::deliver(const AppNotice& n) {
  SocketInfo* i = info(n.socket);
  if (i == nullptr) return;
  // Keep the callbacks alive even if the callback replaces them (set_callbacks()).
  SharedCallbacks cb = owners_callbacks(*i);
  switch (n.kind) {
    case AppNotice::Kind::connected:
      app_record(AppWhat::connected, *i);
      if (cb && cb->on_connected) cb->on_connected(n.socket);
      break;
    case AppNotice::Kind::accepted: {
      SocketInfo* child = info(n.child);
      app_record(AppWhat::accepted, child != nullptr ? *child : *i);
      if (cb && cb->on_accepted) cb->on_accepted(n.socket, n.child);
      break;
    }
    case AppNotice::Kind::data:
      if (!n.data.empty() && timed_syscalls()) note_read(n.socket, n.data.size());
      // A timed read's return is no arrival: the app takes the bytes (take_read_result()). A
      // program that reads for itself is told of bytes become readable: the record says how
      // many arrived, and a wakeup without new bytes is none.
      if (!n.read_returned && (!n.data.empty() || n.arrived > 0))
        app_record(AppWhat::data, *i, n.data.empty() ? n.arrived : n.data.size());
      if (cb && cb->on_data) cb->on_data(n.socket, n.data);
      break;
    case AppNotice::Kind::eof:
      app_record(AppWhat::eof, *i);
      if (cb && cb->on_eof) cb->on_eof(n.socket);
      break;
    case AppNotice::Kind::closed:
      app_record(AppWhat::closed, *i);
      if (cb && cb->on_closed) cb->on_closed(n.socket, n.stats);
      break;
    case AppNotice::Kind::error:
      app_record(AppWhat::error, *i, 0, std::string(to_string(n.error)));
      if (cb && cb->on_error) cb->on_error(n.socket, n.error);
      break;
    case AppNotice::Kind::writable:  // not an app record: the write that follows is the fact
      if (cb && cb->on_writable) cb->on_writable(n.socket);
      break;
  }
}

void TcpHost::app_record(AppWhat what, const SocketInfo& i, uint64_t bytes, std::string error) {
  if (!sim_.trace().enabled()) return;
  AppRecord r;
  r.t = sim_.now();
  r.host = name_;
  const std::string* app = app_name(i);
  r.app = app != nullptr ? *app : std::string();
  r.what = what;
  r.local = i.local;
  r.remote = i.remote;
  r.error = std::move(error);
  r.bytes = bytes;
  sim_.trace().emit(r);
}

// --- Per-socket bookkeeping ---------------------------------------------------------------------

void TcpHost::set_tag(SocketId s, uint32_t tag) {
  static_assert(sizeof(SocketInfo) == 40, "the tag lives in what was padding");
  if (SocketInfo* i = info(s)) i->tag = tag;
}

uint32_t TcpHost::tag(SocketId s) const {
  auto it = sockets_.find(s);
  return it == sockets_.end() ? kNoTag : it->second.tag;
}

TcpHost::SocketInfo* TcpHost::info(SocketId id) {
  if (id == info_id_) return info_;
  auto it = sockets_.find(id);
  if (it == sockets_.end()) return nullptr;
  info_id_ = id;
  info_ = &it->second;
  return info_;
}

const OpenedNote* TcpHost::opened(const Outbox& out, SocketId id) {
  for (const OpenedNote& o : out.opened)
    if (o.socket == id) return &o;
  return nullptr;
}

// A child the stack created inherits the callbacks and name of its listener (until the
// application sets its own).
void TcpHost::adopt(const OpenedNote& o) {
  if (info(o.socket) != nullptr) return;
  SocketInfo fresh;
  fresh.local = o.local;
  fresh.remote = o.remote;
  if (const SocketInfo* l = info(o.listener)) {
    fresh.owner = l->owner;
    hold(fresh.owner);
  }
  sockets_.emplace(o.socket, fresh);
}

// A request of the SYN queue has no socket: the Stack names the listener it speaks for.
std::string TcpHost::app_of(const TraceNote& n) {
  const SocketInfo* i = info(n.socket != kNoSocket ? n.socket : n.listener);
  const std::string* app = i != nullptr ? app_name(*i) : nullptr;
  return app != nullptr ? *app : std::string();
}

void TcpHost::forget(SocketId id) {
  auto it = sockets_.find(id);
  if (it == sockets_.end()) return;
  sim_.cancel(it->second.timer);
  drop_owner(it->second.owner);
  if (id == info_id_) {
    info_id_ = kNoSocket;
    info_ = nullptr;
  }
  sockets_.erase(it);
  if (auto l = locks_.find(id); l != locks_.end()) {
    sim_.cancel(l->second.event);
    locks_.erase(l);
  }
}

// --- Owners: (callbacks, app name) pairs shared by sockets
// ----------------------------------------

uint32_t TcpHost::own(SharedCallbacks callbacks, SharedName app) {
  if (!callbacks && !app) return kNoOwner;
  auto key = std::make_pair(static_cast<const void*>(callbacks.get()),
                            static_cast<const void*>(app.get()));
  auto it = owner_index_.find(key);
  if (it != owner_index_.end()) {
    hold(it->second);
    return it->second;
  }
  uint32_t k;
  if (free_owners_.empty()) {
    k = static_cast<uint32_t>(owners_.size());
    owners_.emplace_back();
  } else {
    k = free_owners_.back();
    free_owners_.pop_back();
  }
  owners_[k] = Owner{std::move(callbacks), std::move(app), 1};
  owner_index_.emplace(key, k);
  return k;
}

void TcpHost::hold(uint32_t owner) {
  if (owner != kNoOwner) ++owners_[owner].refs;
}

void TcpHost::drop_owner(uint32_t owner) {
  if (owner == kNoOwner || --owners_[owner].refs > 0) return;
  Owner& o = owners_[owner];
  owner_index_.erase(std::make_pair(static_cast<const void*>(o.callbacks.get()),
                                    static_cast<const void*>(o.app.get())));
  o = Owner{};
  free_owners_.push_back(owner);
}

// The new pair is taken before the old one is dropped: they may be the same.
void TcpHost::set_owner(SocketInfo& i, SharedCallbacks callbacks, SharedName app) {
  uint32_t next = own(std::move(callbacks), std::move(app));
  drop_owner(i.owner);
  i.owner = next;
}

TcpHost::SharedCallbacks TcpHost::owners_callbacks(const SocketInfo& i) const {
  return i.owner == kNoOwner ? nullptr : owners_[i.owner].callbacks;
}

TcpHost::SharedName TcpHost::owners_app(const SocketInfo& i) const {
  return i.owner == kNoOwner ? nullptr : owners_[i.owner].app;
}

const std::string* TcpHost::app_name(const SocketInfo& i) const {
  return i.owner == kNoOwner ? nullptr : owners_[i.owner].app.get();
}

}  // namespace netsim::tcp
