// The per-host TCP stack: demultiplexes segments to connections (by 4-tuple), SYN-queue
// requests and listeners (by port) as Linux's tcp_v4_rcv() does, answers closed ports with RSTs,
// allocates ephemeral ports, ISNs and SocketIds, and owns the Connections. Listener logic lives
// in listener.cpp; connection logic in connection*.cpp.

#include "protocols/tcp/stack.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "protocols/tcp/connection.hpp"
#include "protocols/tcp/ephemeral_ports.hpp"
#include "protocols/tcp/listener.hpp"
#include "protocols/tcp/rst.hpp"
#include "protocols/tcp/timer_wheel.hpp"

namespace netsim::tcp {

struct Stack::Impl {
  Impl(std::vector<Ipv4Addr> addrs, Profile prof, Rng r)
      : addresses(std::move(addrs)),
        profile(prof),
        rng(r),
        wheel(TimerWheel::for_host(KernelClock::unphased(profile.kernel_hz()), r)),
        listeners(profile, counters, tracing, rng,
                  addresses.empty() ? Ipv4Addr{} : addresses.front(), wheel_or_null()) {}

  // The 4-tuple index holds pointers to the Connections (built in their conns node, which
  // never moves) and hashes their keys: a 16-byte node (32 with malloc's header) where a
  // (ConnKey, SocketId) pair with its cached hash took 48, and a packet finds its
  // Connection in one lookup instead of two. noexcept: libstdc++ then does not cache the hash.
  struct KeyOf {
    using is_transparent = void;
    size_t operator()(const ConnKey& k) const noexcept { return ConnKeyHash{}(k); }
    size_t operator()(const Connection* c) const noexcept { return ConnKeyHash{}(c->key()); }
  };
  struct SameKey {
    using is_transparent = void;
    static const ConnKey& k(const ConnKey& key) { return key; }
    static const ConnKey& k(const Connection* c) { return c->key(); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return k(a) == k(b);
    }
  };

  std::vector<Ipv4Addr> addresses;
  Profile profile;
  Rng rng;
  TimerWheel wheel;  // drawn from a copy of `rng`; used only with `timer_wheel: 1`
  Counters counters;
  bool tracing = false;
  ListenTable listeners;
  EphemeralPorts ephemeral;
  std::unordered_map<SocketId, Connection> conns;  // 24-byte node: Connection is one pointer
  std::unordered_set<Connection*, KeyOf, SameKey> by_key;
  SocketId next_id = 1;

  TimerWheel* wheel_or_null() { return profile.timer_wheel ? &wheel : nullptr; }
  ConnContext ctx() { return ConnContext{&profile, &counters, wheel_or_null()}; }
  // Listeners accept on every address; the host's first one names them.
  SocketAddr listener_address(uint16_t port) const {
    return SocketAddr{addresses.empty() ? Ipv4Addr{} : addresses.front(), port};
  }
  bool owns(Ipv4Addr a) const {
    return std::find(addresses.begin(), addresses.end(), a) != addresses.end();
  }
  // find()'s last answer: an entry point's finish() and the TX reports after it ask for the
  // sockets it just touched. Ids are never reused and nodes never move, so the pointer holds
  // until its node is erased (forget_found()).
  SocketId found_id = kNoSocket;
  Connection* found = nullptr;
  Connection* find(SocketId id) {
    if (id != found_id) {
      auto it = conns.find(id);
      if (it == conns.end()) return nullptr;
      found_id = id;
      found = &it->second;
    }
    return found;
  }
  // A const lookup leaves the cache alone.
  const Connection* find(SocketId id) const {
    auto it = conns.find(id);
    return it == conns.end() ? nullptr : &it->second;
  }
  void forget_found() {
    found_id = kNoSocket;
    found = nullptr;
  }

  Connection& add_connection(SocketId id, const ConnKey& key, const SocketOptions& opts,
                             SocketId listener) {
    Connection& c = conns.try_emplace(id, id, key, opts, ctx()).first->second;
    c.set_listener(listener);
    if (auto k = by_key.find(key); k != by_key.end()) by_key.erase(k);
    by_key.insert(&c);
    ephemeral.on_added(key.local, key.remote);
    return c;
  }

  // Frees a connection that reached CLOSED. Its notices are already in the caller's Outbox,
  // so the application still hears `closed`; afterwards the id reports !exists().
  // The same for a connection in hand: most entry points leave it open, and then no lookup.
  void reap(Connection& c) {
    if (c.released()) reap(c.id());
  }
  void reap(SocketId id) {
    auto it = conns.find(id);
    if (it == conns.end() || !it->second.released()) return;
    if (it->second.listener() != kNoSocket) listeners.forget_child(it->second.listener(), id);
    auto k = by_key.find(it->second.key());
    if (k != by_key.end() && *k == &it->second) {
      ephemeral.on_removed(it->second.key().local, it->second.key().remote);
      by_key.erase(k);
    }
    forget_found();
    conns.erase(it);
  }

  // Every entry point runs between these two: finish() adds to the Outbox what its driver would
  // otherwise have to ask (deadlines of the sockets touched since `begin`, request notes'
  // listeners), so TcpHost never calls back into the Stack.
  struct Mark {
    size_t touched = 0, trace = 0;
  };
  Mark begin(Outbox& out) const {
    out.tracing = tracing;
    return Mark{out.touched.size(), out.trace.size()};
  }
  void finish(Outbox& out, Mark from);
  void name_requests(Outbox& out, size_t from);

  void receive(Instant now, const Packet& p, Outbox& out);
  void on_closed_port(const Packet& p, Outbox& out);
  void establish(Instant now, const PassiveOpen& po, const Packet& p, Outbox& out);
  void retire_time_wait(SocketId id, Outbox& out);
  std::optional<uint16_t> pick_ephemeral(Ipv4Addr local, SocketAddr remote);
  void close_listener(Instant now, SocketId id, Outbox& out);
};

// Each socket touched since `from`, once, in first-touched order: its next deadline, or gone
// (freed: reaped, retired from TIME_WAIT, a closed listener).
void Stack::Impl::finish(Outbox& out, Mark from) {
  auto first = out.touched.begin() + static_cast<std::ptrdiff_t>(from.touched);
  for (auto it = first; it != out.touched.end(); ++it) {
    SocketId id = *it;
    if (std::find(first, it, id) != it) continue;
    if (const Connection* c = find(id)) {
      out.deadlines.push_back(DeadlineNote{id, c->next_deadline()});
    } else if (const Listener* l = listeners.by_id(id)) {
      out.deadlines.push_back(DeadlineNote{id, ListenTable::next_deadline(*l)});
    } else {
      out.deadlines.push_back(DeadlineNote{id, std::nullopt});
      out.gone.push_back(id);
    }
  }
  if (tracing) name_requests(out, from.trace);
}

// A note without a socket (a SYN-queue request's) speaks for the listener of its port.
void Stack::Impl::name_requests(Outbox& out, size_t from) {
  for (size_t i = from; i < out.trace.size(); ++i) {
    TraceNote& n = out.trace[i];
    if (n.socket != kNoSocket || n.listener != kNoSocket) continue;
    if (const Listener* l = listeners.by_port(n.local.port)) n.listener = l->id;
  }
}

// No connection, request or listener: tcp_v4_rcv()'s no_tcp_socket path answers with
// tcp_v4_send_reset() (never a RST to a RST) and the segment is dropped.
void Stack::Impl::on_closed_port(const Packet& p, Outbox& out) {
  if (std::optional<Packet> rst = make_reply_rst(p)) {
    ++counters.rst_sent;
    out.packets.push_back(*rst);
  }
  out.drops.push_back(DropNote{
      p, DropReason::no_listener,
      tracing ? fmt::format("nothing listens on port {}", p.tcp.dst_port) : std::string()});
}

// A handshake completed (tcp_check_req() -> tcp_v4_syn_recv_sock(), or a valid cookie): the
// child is a full Connection in ESTABLISHED, queued for accept() (inet_csk_reqsk_queue_add()).
void Stack::Impl::establish(Instant now, const PassiveOpen& po, const Packet& p, Outbox& out) {
  Listener* l = listeners.by_id(po.listener);
  SocketId id = next_id++;
  // sk_clone_lock(): the child inherits the listener's socket options.
  Connection& c = add_connection(id, po.key, l->opts, po.listener);
  out.opened.push_back(OpenedNote{id, po.listener, po.key.local, po.key.remote});
  c.open_passive(now, po.hs, po.from, po.cause, out);
  listeners.push_child(*l, id, out);
  out.notices.push_back(AppNotice{AppNotice::Kind::accepted, po.listener, id, {}, {}, {}});
  // tcp_child_process(): the child handles the segment that created it, so data or a FIN
  // riding on the final ACK is not lost.
  if (p.tcp.seq_len() > 0) c.on_segment(now, p.tcp, out);
  out.touched.push_back(id);
  reap(c);
}

// tcp_timewait_state_process() said TCP_TW_SYN and a listener exists: tcp_v4_rcv() kills the
// TIME_WAIT socket (inet_twsk_deschedule_put()) and hands the SYN to the listener.
void Stack::Impl::retire_time_wait(SocketId id, Outbox& out) {
  auto it = conns.find(id);
  Connection& c = it->second;
  c.retire_time_wait(out);
  out.notices.push_back(AppNotice{AppNotice::Kind::closed, id, kNoSocket, {}, {}, c.stats()});
  out.touched.push_back(id);
  if (auto k = by_key.find(c.key()); k != by_key.end()) by_key.erase(k);
  ephemeral.on_removed(c.key().local, c.key().remote);
  forget_found();
  conns.erase(it);
}

// __inet_hash_connect(): start at a random offset in ip_local_port_range and take the first
// port with no listener whose 4-tuple toward `remote` is free (Linux shares an ephemeral port
// between different destinations). Drawn from the stack's own RNG: deterministic.
std::optional<uint16_t> Stack::Impl::pick_ephemeral(Ipv4Addr local, SocketAddr remote) {
  // __inet_hash_connect(): a port is free for this connect() unless a listener holds it or the
  // 4-tuple exists (a TIME_WAIT one included: tcp_tw_reuse's default 2 reuses only on loopback).
  auto in_use = [&](uint16_t port) {
    return listeners.by_port(port) != nullptr ||
           by_key.count(ConnKey{SocketAddr{local, port}, remote}) != 0;
  };
  auto used_ports = [&] {
    std::vector<uint16_t> ports;
    for (const Connection* c : by_key) {
      const ConnKey& key = c->key();
      if (key.local.addr == local && key.remote == remote) ports.push_back(key.local.port);
    }
    return ports;
  };
  return ephemeral.pick(rng, local, remote, in_use, used_ports);
}

// close() of a listener (inet_csk_listen_stop()): requests vanish, and children nobody accepted
// are reset (inet_child_forget() -> tcp_disconnect() sends RST). Nobody owns those children,
// so their notices go nowhere.
void Stack::Impl::close_listener(Instant now, SocketId id, Outbox& out) {
  std::vector<SocketId> children = listeners.close(id, out);
  for (SocketId child : children) {
    auto it = conns.find(child);
    if (it == conns.end()) continue;
    it->second.set_listener(kNoSocket);
    Outbox tmp;
    it->second.abort(now, tmp);
    for (Packet& p : tmp.packets)
      out.packets.push_back(std::move(p));
    for (TraceNote& t : tmp.trace)
      out.trace.push_back(std::move(t));
    for (DropNote& d : tmp.drops)
      out.drops.push_back(std::move(d));
    for (SocketId s : tmp.touched)
      out.touched.push_back(s);
    out.touched.push_back(child);
    reap(child);
  }
  out.touched.push_back(id);
}

// --- Stack --------------------------------------------------------------------------------------

Stack::Stack(std::vector<Ipv4Addr> addresses, Profile profile, Rng rng)
    : impl_(std::make_unique<Impl>(std::move(addresses), profile, rng)) {}

Stack::~Stack() = default;

void Stack::set_tracing(bool on) {
  impl_->tracing = on;
}

// Brackets an entry point: begin() on entry, finish() on every way out.
class Stack::Entry {
 public:
  Entry(Impl& m, Outbox& out) : m_(m), out_(out), from_(m.begin(out)) {}
  ~Entry() { m_.finish(out_, from_); }
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

 private:
  Impl& m_;
  Outbox& out_;
  Impl::Mark from_;
};

void Stack::on_packet(Instant now, const Packet& p, Outbox& out) {
  Entry e(*impl_, out);
  impl_->receive(now, p, out);
}

// tcp_v4_rcv(): established/TIME_WAIT/request lookup by 4-tuple first, then the listener.
void Stack::Impl::receive(Instant now, const Packet& p, Outbox& out) {
  if (!owns(p.dst)) return;
  ConnKey key{p.dst_addr(), p.src_addr()};
  const Segment& s = p.tcp;
  if (auto it = by_key.find(key); it != by_key.end()) {
    Connection& c = **it;
    SocketId id = c.id();
    if (c.state() == State::time_wait && s.flags.syn() && !s.flags.ack() && !s.flags.rst()) {
      Listener* l = listeners.by_port(key.local.port);
      if (l != nullptr && c.syn_may_reuse(s, now)) {
        uint32_t isn = c.tw_isn();
        retire_time_wait(id, out);
        // tcp_conn_request() with isn != 0: no SYN-queue or cookie checks for a recycle.
        auto po = listeners.on_listen_segment(now, *l, key, p, isn, out);
        if (po) establish(now, *po, p, out);
        return;
      }
    }
    c.on_segment(now, s, out);
    reap(c);
    return;
  }
  if (listeners.has_request(key)) {
    if (auto po = listeners.on_request_segment(now, key, p, out)) establish(now, *po, p, out);
    return;
  }
  if (Listener* l = listeners.by_port(key.local.port)) {
    if (auto po = listeners.on_listen_segment(now, *l, key, p, 0, out)) {
      establish(now, *po, p, out);
    }
    return;
  }
  on_closed_port(p, out);
}

void Stack::on_timer(Instant now, SocketId id, Outbox& out) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  if (Connection* c = m.find(id)) {
    c->on_timer(now, out);
    m.reap(*c);
  } else if (Listener* l = m.listeners.by_id(id)) {
    m.listeners.on_timer(now, *l, out);
  }
}

void Stack::tx_reports(Instant now, std::span<const TxReport> reports, Outbox& out) {
  Entry e(*impl_, out);
  // The socket that tagged the segment, if it still exists (find(): usually the one the entry
  // that sent it just touched, no hash lookup).
  for (const TxReport& r : reports) {
    if (Connection* c = impl_->find(r.socket)) c->tx_reported(now, r, out);
  }
}

std::optional<Instant> Stack::next_deadline(SocketId id) const {
  if (const Connection* c = impl_->find(id)) return c->next_deadline();
  if (const Listener* l = impl_->listeners.by_id(id)) return ListenTable::next_deadline(*l);
  return std::nullopt;
}

OpenResult Stack::listen(uint16_t port, int backlog, const SocketOptions& opts, Outbox& out) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  if (port == 0) return {kNoSocket, SocketError::einval};
  // inet_csk_get_port(): one listener per port (SO_REUSEPORT is not modelled).
  if (m.listeners.by_port(port) != nullptr) return {kNoSocket, SocketError::eaddrinuse};
  SocketId id = m.next_id++;
  m.listeners.add(id, port, backlog, opts);
  out.opened.push_back(OpenedNote{id, kNoSocket, m.listener_address(port), {}});
  out.touched.push_back(id);
  return {id, SocketError::none};
}

OpenResult Stack::connect(Instant now, SocketAddr remote, std::optional<uint16_t> local_port,
                          const SocketOptions& opts, Outbox& out) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  if (m.addresses.empty() || remote.port == 0) return {kNoSocket, SocketError::einval};
  // Source address selection: the host's first address (one interface per host).
  Ipv4Addr local = m.addresses.front();
  uint16_t port = 0;
  if (local_port && *local_port != 0) {
    port = *local_port;
    bool taken = m.listeners.by_port(port) != nullptr ||
                 m.by_key.count(ConnKey{SocketAddr{local, port}, remote}) != 0;
    if (taken) return {kNoSocket, SocketError::eaddrinuse};
  } else {
    std::optional<uint16_t> p = m.pick_ephemeral(local, remote);
    if (!p) return {kNoSocket, SocketError::eaddrinuse};
    port = *p;
  }
  SocketId id = m.next_id++;
  ConnKey key{SocketAddr{local, port}, remote};
  Connection& c = m.add_connection(id, key, opts, kNoSocket);
  out.opened.push_back(OpenedNote{id, kNoSocket, key.local, key.remote});
  c.open_active(now, SeqNum(m.rng.next_u32()), out, m.listeners.ts_off(key));
  out.touched.push_back(id);
  m.reap(c);
  return {id, SocketError::none};
}

std::optional<SocketId> Stack::accept(SocketId listener, Outbox& out) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  Listener* l = m.listeners.by_id(listener);
  if (l == nullptr) return std::nullopt;
  std::optional<SocketId> child = m.listeners.pop_child(*l, out);
  if (child) {
    if (auto it = m.conns.find(*child); it != m.conns.end()) it->second.set_listener(kNoSocket);
  }
  return child;
}

SocketError Stack::send(Instant now, SocketId s, Payload data, Outbox& out, uint32_t flags) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  Connection* c = m.find(s);
  if (c == nullptr) {
    return m.listeners.by_id(s) != nullptr ? SocketError::einval : SocketError::enotconn;
  }
  SocketError err = c->send(now, std::move(data), out, flags);
  m.reap(*c);
  return err;
}

SendResult Stack::write(Instant now, SocketId s, Payload data, Outbox& out, uint32_t flags,
                        WriteSlice* slice) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  Connection* c = m.find(s);
  if (c == nullptr) {
    return {0, m.listeners.by_id(s) != nullptr ? SocketError::einval : SocketError::enotconn};
  }
  SendResult r = c->write(now, std::move(data), out, flags, slice);
  m.reap(*c);
  return r;
}

void Stack::cleanup_rbuf(Instant now, SocketId s, Outbox& out, uint64_t copied) {
  Entry e(*impl_, out);
  if (Connection* c = impl_->find(s)) c->cleanup_rbuf(now, out, copied);
}

Payload Stack::read(Instant now, SocketId s, size_t max_bytes, Outbox& out) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  Connection* c = m.find(s);
  if (c == nullptr) return {};
  Payload data = c->read(now, max_bytes, out);
  m.reap(*c);
  return data;
}

void Stack::shutdown_write(Instant now, SocketId s, Outbox& out) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  if (Connection* c = m.find(s)) {
    c->shutdown_write(now, out);
    m.reap(*c);
  }
}

void Stack::close(Instant now, SocketId s, Outbox& out) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  if (Connection* c = m.find(s)) {
    c->close(now, out);
    m.reap(*c);
  } else if (m.listeners.by_id(s) != nullptr) {
    m.close_listener(now, s, out);
  }
}

void Stack::abort(Instant now, SocketId s, Outbox& out) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  if (Connection* c = m.find(s)) {
    c->abort(now, out);
    m.reap(*c);
  } else if (m.listeners.by_id(s) != nullptr) {
    m.close_listener(now, s, out);
  }
}

void Stack::set_options(Instant now, SocketId s, const SocketOptions& opts, Outbox& out) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  if (Connection* c = m.find(s)) {
    c->set_options(now, opts);
    out.touched.push_back(s);  // keepalive settings move the deadline
  } else if (Listener* l = m.listeners.by_id(s)) {
    l->opts = opts;
    out.touched.push_back(s);
  }
}

SocketError Stack::set_option(Instant now, SocketId s, SockOpt opt, int value, Outbox& out) {
  Entry e(*impl_, out);
  Impl& m = *impl_;
  if (Connection* c = m.find(s)) {
    SocketError err = c->set_option(now, opt, value, out);
    out.touched.push_back(s);  // TCP_USER_TIMEOUT and pushes move the deadline
    m.reap(*c);
    return err;
  }
  if (Listener* l = m.listeners.by_id(s)) return store_sockopt(l->opts, opt, value, m.profile);
  return SocketError::enotconn;
}

std::optional<int> Stack::get_option(SocketId s, SockOpt opt) const {
  const Impl& m = *impl_;
  if (const Connection* c = m.find(s)) return c->get_option(opt);
  if (const Listener* l = m.listeners.by_id(s)) return sockopt_value(l->opts, opt, m.profile);
  return std::nullopt;
}

void Stack::crash(Outbox& out) {
  Impl& m = *impl_;
  out.tracing = m.tracing;
  if (m.tracing) {
    // By socket id, so the notes do not depend on the hash map's order.
    std::vector<SocketId> ids;
    for (const auto& [id, e] : m.conns)
      ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (SocketId id : ids) {
      const Connection& c = m.conns.at(id);
      if (c.state() == State::closed) continue;
      TraceNote n;
      n.socket = id;
      n.local = c.key().local;
      n.remote = c.key().remote;
      n.from = c.state();
      n.cause = StateCause::host_crashed;
      out.trace.push_back(std::move(n));
    }
  }
  m.forget_found();
  m.conns.clear();
  m.by_key.clear();
  // The requests' notes name their listeners as they were before the crash cleared them.
  std::vector<std::pair<uint16_t, SocketId>> ports;
  if (m.tracing) {
    for (const auto& [id, l] : m.listeners.all())
      ports.emplace_back(l.port, id);
  }
  size_t from = out.trace.size();
  m.listeners.clear(out);
  for (size_t i = from; i < out.trace.size(); ++i) {
    TraceNote& n = out.trace[i];
    for (const auto& [port, id] : ports)
      if (n.socket == kNoSocket && n.local.port == port) n.listener = id;
  }
  m.ephemeral.clear();
}

bool Stack::exists(SocketId s) const {
  return impl_->find(s) != nullptr || impl_->listeners.by_id(s) != nullptr;
}

State Stack::state(SocketId s) const {
  if (const Connection* c = impl_->find(s)) return c->state();
  if (impl_->listeners.by_id(s) != nullptr) return State::listen;
  return State::closed;
}

SocketAddr Stack::local_address(SocketId s) const {
  if (const Connection* c = impl_->find(s)) return c->key().local;
  if (const Listener* l = impl_->listeners.by_id(s)) return impl_->listener_address(l->port);
  return {};
}

SocketAddr Stack::remote_address(SocketId s) const {
  if (const Connection* c = impl_->find(s)) return c->key().remote;
  return {};
}

const Connection* Stack::connection(SocketId s) const {
  return impl_->find(s);
}

std::vector<SocketId> Stack::connection_ids() const {
  std::vector<SocketId> ids;
  ids.reserve(impl_->conns.size());
  for (const auto& [id, entry] : impl_->conns)
    ids.push_back(id);
  std::sort(ids.begin(), ids.end());  // unordered_map order must not reach any output
  return ids;
}

SocketStats Stack::stats(SocketId s) const {
  if (const Connection* c = impl_->find(s)) return c->stats();
  return {};
}

size_t Stack::syn_queue_length(SocketId listener) const {
  const Listener* l = impl_->listeners.by_id(listener);
  return l == nullptr ? 0 : l->qlen;
}

size_t Stack::accept_queue_length(SocketId listener) const {
  const Listener* l = impl_->listeners.by_id(listener);
  return l == nullptr ? 0 : l->accept_queue.size();
}

const Counters& Stack::counters() const {
  return impl_->counters;
}
std::optional<SocketId> Stack::connection_for(const Packet& p) const {
  if (!impl_->owns(p.dst)) return std::nullopt;
  auto it = impl_->by_key.find(ConnKey{p.dst_addr(), p.src_addr()});
  if (it == impl_->by_key.end()) return std::nullopt;
  return (*it)->id();
}
void Stack::count(uint64_t Counters::*counter) {
  ++(impl_->counters.*counter);
}
const Profile& Stack::profile() const {
  return impl_->profile;
}

const TimerWheel* Stack::timer_wheel() const {
  return impl_->profile.timer_wheel ? &impl_->wheel : nullptr;
}

uint32_t Stack::tsval_offset(Ipv4Addr local, Ipv4Addr remote) const {
  return impl_->listeners.ts_off(ConnKey{SocketAddr{local, 0}, SocketAddr{remote, 0}});
}
size_t Stack::connection_count() const {
  return impl_->conns.size();
}

}  // namespace netsim::tcp
