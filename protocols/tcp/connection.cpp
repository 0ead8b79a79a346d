// Connection's public face and the TCB's bookkeeping: construction, the one set_state() that
// changes the state and traces it, entering ESTABLISHED / TIME_WAIT / CLOSED, application
// notices, trace helpers, and the invariant check used by the property tests.

#include <fmt/format.h>

#include <algorithm>

#include "protocols/tcp/tcb.hpp"
#include "protocols/tcp/timestamps.hpp"

namespace netsim::tcp {

std::string ConnKey::to_string() const {
  return local.to_string() + ">" + remote.to_string();
}

Connection::Tcb::Tcb(SocketId id_, ConnKey key_, const SocketOptions& opts_, ConnContext ctx_)
    : id(id_), key(key_), opts(opts_), ctx(ctx_) {
  const Profile& p = prof();
  rto = RtoEstimator(p.rto_initial, p.rto_min, p.rto_max, p.kernel_hz());
  mss = p.mss;
  sk_sndbuf = opts.sndbuf != 0 ? opts.sndbuf : p.snd_buffer();  // tcp_init_sock(): tcp_wmem[1]
  mem().socket_added();  // tcp_init_sock(): tcp_sockets_allocated
}

// Every state change of a connection goes through transitions.cpp transition(), which checks it
// against the table (DESIGN.md property 5). A passive open starts from the listener's request
// state (`from`: SYN_RECEIVED, or LISTEN for a SYN cookie), not from the new TCB's CLOSED.
void Connection::Tcb::set_state(Instant, State next, StateCause cause, Outbox& out,
                                std::optional<State> from) {
  State s = from.value_or(state);
  transition(s, next, cause, StateOwner{id, key.local, key.remote}, out.tracing, *ctx.counters,
             out);
  state = s;
}

void Connection::Tcb::enter_established(Instant now, StateCause cause, Outbox& out,
                                        std::optional<State> from) {
  set_state(now, State::established, cause, out, from);
  init_buffer_space();   // tcp_init_transfer() -> tcp_init_buffer_space()
  sndbuf_init_expand();  // ... whose first step is tcp_sndbuf_expand()
  trace_cwnd(0, out);    // the initial window, so a cwnd plot starts where the transfer does
  stats.established_at = now;
  ++ctx.counters->connections_established;
  // tcp_finish_connect() / tcp_create_openreq_child(): the keepalive timer starts now.
  arm_keepalive(now);
  if (active_open) notify(AppNotice::Kind::connected, out);
}

// tcp_time_wait(): every other timer stops; the TIME_WAIT timer runs TCP_TIMEWAIT_LEN.
void Connection::Tcb::enter_time_wait(Instant now, StateCause cause, Outbox& out) {
  set_state(now, State::time_wait, cause, out);
  stop_timers();
  tw_at = timer_at(now, prof().time_wait);
  rtx.clear();
  rcvbuf.clear_out_of_order();
}

// tcp_done(): the connection is gone. An error (tcp_write_err(), tcp_reset()) is reported
// before `closed`; no segment is sent here.
void Connection::Tcb::enter_closed(Instant now, StateCause cause, SocketError err, Outbox& out) {
  set_state(now, State::closed, cause, out);
  stop_timers();
  rtx.clear();
  sndbuf.consume(sndbuf.size());
  rcvbuf.clear();
  if (err != SocketError::none) notify(AppNotice::Kind::error, out, err);
  notify(AppNotice::Kind::closed, out);
  released = true;
}

// An orphan has no application to tell anything but that its id is free again.
void Connection::Tcb::notify(AppNotice::Kind kind, Outbox& out, SocketError err, Payload data,
                             uint32_t arrived) {
  if (orphaned && kind != AppNotice::Kind::closed) return;
  AppNotice n;
  n.kind = kind;
  n.socket = id;
  n.data = std::move(data);
  n.arrived = arrived;
  n.error = err;
  if (kind == AppNotice::Kind::closed) n.stats = stats;
  out.notices.push_back(std::move(n));
}

void Connection::Tcb::trace_timer(const TimerRecord& fired, Outbox& out) const {
  if (!out.tracing) return;
  TraceNote n;
  n.kind = TraceNote::Kind::timer;
  n.socket = id;
  n.local = key.local;
  n.remote = key.remote;
  n.fired = fired;
  out.trace.push_back(std::move(n));
}

void Connection::Tcb::trace_cwnd(uint32_t before, Outbox& out) const {
  if (!out.tracing) return;  // before cwnd_bytes(): most runs trace nothing
  const uint32_t cwnd = cwnd_bytes();
  if (cwnd == 0 || cwnd == before) return;
  TraceNote n;
  n.kind = TraceNote::Kind::counter;
  n.socket = id;
  n.local = key.local;
  n.remote = key.remote;
  n.counter = "cwnd";
  n.value = cwnd;
  out.trace.push_back(n);
  // ssthresh only moves when the window is cut (fast retransmit, RTO: RFC 5681 §3.1-3.2), so
  // a cut is when the plot needs it; the initial "infinite" value is no line to draw.
  if (cwnd < before && ssthresh_bytes() < (uint32_t{1} << 30)) {
    n.counter = "ssthresh";
    n.value = ssthresh_bytes();
    out.trace.push_back(std::move(n));
  }
}

void Connection::Tcb::stop_timers() {
  rtx_at = dack_at = persist_at = ka_at = tw_at = fw2_at = kNever;
  ack_pending = ack_now = false;
}

bool Connection::Tcb::synchronized() const {
  switch (state) {
    case State::closed:
    case State::listen:
    case State::syn_sent:
    case State::syn_received:
      return false;
    case State::established:
    case State::fin_wait_1:
    case State::fin_wait_2:
    case State::close_wait:
    case State::closing:
    case State::last_ack:
    case State::time_wait:
      return true;
  }
  return false;
}

namespace {
bool fail(std::string* why, std::string msg) {
  if (why) *why = std::move(msg);
  return false;
}
}  // namespace

bool Connection::Tcb::check_invariants(std::string* why) const {
  if (snd_una > snd_nxt) return fail(why, "SND.UNA is after SND.NXT");
  if (state == State::closed) {
    if (next_deadline()) return fail(why, "a timer is armed in CLOSED");
    return true;
  }
  if (state == State::time_wait &&
      (rtx_at != kNever || dack_at != kNever || persist_at != kNever || ka_at != kNever)) {
    return fail(why, "a timer other than TIME_WAIT is armed in TIME_WAIT");
  }
  if (state == State::time_wait && tw_at == kNever) return fail(why, "TIME_WAIT without timer");
  if (state == State::syn_sent && rtx_at == kNever) return fail(why, "SYN_SENT without SYN timer");
  if (fw2_at != kNever && !(state == State::fin_wait_2 && orphaned)) {
    return fail(why, "FIN_WAIT_2 timer outside an orphaned FIN_WAIT_2");
  }
  if (state == State::syn_sent || state == State::syn_received) {
    if (!rtx.empty()) return fail(why, "data in flight before the handshake completed");
    if (rtx_at == kNever) return fail(why, "no SYN timer during the handshake");
    if (snd_una != iss || snd_nxt != iss + 1) return fail(why, "handshake sequence numbers");
  }
  SeqNum data_una = snd_una == iss ? iss + 1 : seq_min(snd_una, write_seq);
  if (write_seq < data_una || sndbuf.size() != static_cast<size_t>(write_seq - data_una)) {
    return fail(why, fmt::format("send buffer holds {} bytes, sequence space says {}",
                                 sndbuf.size(), write_seq - data_una));
  }
  if (synchronized() && state != State::time_wait) {
    if (snd_nxt > write_seq + (fin_queued ? 1u : 0u)) return fail(why, "sent beyond the data");
    SeqNum expect = snd_una == iss ? iss + 1 : snd_una;
    for (size_t i = 0; i < rtx.size(); ++i) {
      if (rtx.at(i).seq != expect) return fail(why, "retransmission queue has a gap");
      expect = rtx.at(i).end();
    }
    if (expect != snd_nxt) return fail(why, "retransmission queue does not end at SND.NXT");
    if (flight_size() > static_cast<uint32_t>(snd_nxt - snd_una)) {
      return fail(why, "flight size above outstanding data");
    }
  }
  if (state != State::syn_sent) {
    if (rcv_adv < rcv_nxt) return fail(why, "advertised right edge behind RCV.NXT");
    if (static_cast<uint32_t>(rcv_adv - rcv_nxt) > max_rcv_window()) {
      return fail(why, "window beyond 65535 << rcv_wscale");
    }
    // Out-of-order data lies within the largest window we may offer; it may lie beyond the
    // last right edge, which a zero window for want of memory moved left (advertise_window()).
    if (!rcvbuf.check(rcv_nxt, rcv_nxt + max_rcv_window(), why)) return false;
  }
  // Data is queued only while the queues hold at most sk_rcvbuf (tcp_try_rmem_schedule()), or
  // in order into an empty receive queue (sk_forced_mem_schedule()); so what they hold exceeds
  // the buffer by at most what the last admissions added. Counted in bytes: a byte is charged
  // at least one byte (scaling_ratio < 256) whatever the ratio measured later.
  const size_t held = rcv_queue_bytes() + rcvbuf.out_of_order_bytes();
  if (held > size_t{rcv_space()} + rcv_admitted) {
    return fail(why, fmt::format("receive queues hold {} bytes, above the {}-byte buffer and the "
                                 "{} bytes the last segment was allowed past it",
                                 held, rcv_space(), rcv_admitted));
  }
  if (cc && cc->cwnd() < mss) return fail(why, "cwnd below one segment");
  return true;
}

// ---- Connection: the public API forwards to the TCB -------------------------------------------

Connection::Connection(SocketId id, ConnKey key, const SocketOptions& opts, ConnContext ctx)
    : tcb_(std::make_unique<Tcb>(id, key, opts, ctx)) {}

Connection::~Connection() {
  if (tcb_) tcb_->mem_release();
}

void Connection::open_active(Instant now, SeqNum iss, Outbox& out, uint32_t ts_off) {
  tcb_->last_now = now;
  if (tcb_->state == State::closed && !tcb_->released) tcb_->ts_off = ts_off;
  out.touched.push_back(tcb_->id);
  tcb_->open_active(now, iss, out);
  tcb_->mem_sync(now);
}

void Connection::open_passive(Instant now, const Handshake& hs, State from, StateCause cause,
                              Outbox& out) {
  tcb_->last_now = now;
  out.touched.push_back(tcb_->id);
  tcb_->open_passive(now, hs, from, cause, out);
  tcb_->mem_sync(now);
}

void Connection::on_segment(Instant now, const Segment& seg, Outbox& out) {
  tcb_->last_now = now;
  out.touched.push_back(tcb_->id);
  tcb_->on_segment(now, seg, out);
  tcb_->mem_sync(now);
}

void Connection::on_timer(Instant now, Outbox& out) {
  tcb_->last_now = now;
  out.touched.push_back(tcb_->id);
  const SeqNum nxt = tcb_->snd_nxt;
  tcb_->on_timer(now, out);
  // tcp_event_new_data_sent() -> tcp_check_space(): a probe that sent new data (TLP,
  // tcp_write_wakeup()) may wake a writer that TCP_NOTSENT_LOWAT holds.
  if (tcb_->snd_nxt > nxt && tcb_->state != State::closed) tcb_->check_space(out);
  tcb_->mem_sync(now);
}

// Only a report that moves the TSQ deadline touches the socket (its next deadline is then
// asked again); otherwise its timer stays as the entry that sent the segment left it.
void Connection::tx_reported(Instant now, const TxReport& r, Outbox& out) {
  const Instant before = tcb_->tsq_at();
  tcb_->tx_reported(now, r);
  if (tcb_->tsq_at() != before) out.touched.push_back(tcb_->id);
}

std::optional<Instant> Connection::next_deadline() const {
  return tcb_->next_deadline();
}

SocketError Connection::send(Instant now, Payload data, Outbox& out, uint32_t flags) {
  tcb_->last_now = now;
  out.touched.push_back(tcb_->id);
  SocketError e = tcb_->send(now, std::move(data), out, flags);
  tcb_->mem_sync(now);
  return e;
}

void Connection::cleanup_rbuf(Instant now, Outbox& out, uint64_t copied) {
  tcb_->last_now = now;
  out.touched.push_back(tcb_->id);
  tcb_->cleanup_rbuf(now, out, copied);
  if (copied > 0) tcb_->mem_sync(now);
}

SendResult Connection::write(Instant now, Payload data, Outbox& out, uint32_t flags,
                             WriteSlice* slice) {
  tcb_->last_now = now;
  out.touched.push_back(tcb_->id);
  SendResult r = tcb_->write(now, std::move(data), out, flags, slice);
  tcb_->mem_sync(now);
  return r;
}

bool Connection::writeable() const {
  return tcb_->writeable();
}

bool Connection::stream_memory_free() const {
  return tcb_->stream_memory_free(false);
}

Payload Connection::read(Instant now, size_t max_bytes, Outbox& out) {
  tcb_->last_now = now;
  out.touched.push_back(tcb_->id);
  Payload p = tcb_->read(now, max_bytes, out);
  tcb_->mem_sync(now);
  return p;
}

size_t Connection::readable() const {
  return tcb_->rcvbuf.readable();
}

uint32_t Connection::auto_read_size() const {
  return tcb_->opts.read_size != 0 ? tcb_->opts.read_size : kAutoReadSize;
}

bool Connection::epollin_ready() const {
  return tcb_->epollin_ready();
}

void Connection::shutdown_write(Instant now, Outbox& out) {
  tcb_->last_now = now;
  out.touched.push_back(tcb_->id);
  tcb_->shutdown_write(now, out);
  tcb_->mem_sync(now);
}

void Connection::close(Instant now, Outbox& out) {
  tcb_->last_now = now;
  out.touched.push_back(tcb_->id);
  tcb_->close(now, out);
  tcb_->mem_sync(now);
}

void Connection::retire_time_wait(Outbox& out) {
  tcb_->set_state(tcb_->last_now, State::closed, StateCause::tuple_reused, out);
}

void Connection::abort(Instant now, Outbox& out) {
  tcb_->last_now = now;
  out.touched.push_back(tcb_->id);
  tcb_->abort(now, out);
  tcb_->mem_sync(now);
}

void Connection::set_options(Instant now, const SocketOptions& opts) {
  tcb_->last_now = std::max(tcb_->last_now, now);
  tcb_->set_options(opts);
}

// tcp_timewait_state_process(): with timestamps on this connection, a segment whose TSval is
// older than ts_recent fails PAWS (tcp_paws_reject(): window 0; a RST passes once ts_recent
// is TCP_PAWS_MSL old). The kernel parses options only if tw_ts_recent_stamp is set, i.e.
// timestamps were in use.
bool Connection::Tcb::tw_paws_reject(Instant now, const Segment& seg) const {
  if (!ts_ok || !seg.options.timestamps) return false;
  TsRecent r{ts_recent, ts_recent_stamp};
  if (r.paws_check(seg.options.timestamps->first, 0, now)) return false;
  return !(seg.flags.rst() && now.ns() / 1'000'000'000 >= r.ts_recent_stamp + kPawsMslS);
}

// TCP_TW_SYN: a SYN (no ACK, no RST) that passes PAWS and is either above RCV.NXT or carries
// a TSval newer than ts_recent (RFC 1122 4.2.2.13; RFC 6191 with timestamps).
bool Connection::Tcb::tw_syn(Instant now, const Segment& seg) const {
  if (state != State::time_wait || !seg.flags.syn() || seg.flags.ack() || seg.flags.rst()) {
    return false;
  }
  if (tw_paws_reject(now, seg)) return false;
  bool newer_ts = ts_ok && seg.options.timestamps &&
                  static_cast<int32_t>(ts_recent - seg.options.timestamps->first) < 0;
  return seg.seq > rcv_nxt || newer_ts;
}

bool Connection::syn_may_reuse(const Segment& syn, Instant now) const {
  return tcb_->tw_syn(now, syn);
}

uint32_t Connection::tw_isn() const {
  uint32_t isn = tcb_->snd_nxt.raw() + 65535 + 2;
  return isn == 0 ? 1 : isn;
}

SocketId Connection::id() const {
  return tcb_->id;
}
const ConnKey& Connection::key() const {
  return tcb_->key;
}
SocketId Connection::listener() const {
  return tcb_->listener;
}
void Connection::set_listener(SocketId l) {
  tcb_->listener = l;
}
State Connection::state() const {
  return tcb_->state;
}
SocketStats Connection::stats() const {
  return tcb_->stats;
}
bool Connection::orphaned() const {
  return tcb_->orphaned;
}
bool Connection::released() const {
  return tcb_->released;
}
bool Connection::check_invariants(std::string* why) const {
  return tcb_->check_invariants(why);
}

}  // namespace netsim::tcp
