// Application commands (RFC 9293 §3.10.1-3.10.5 OPEN, SEND, RECEIVE, CLOSE, ABORT) with
// Linux's semantics: tcp_connect(), tcp_sendmsg(), tcp_recvmsg() + tcp_cleanup_rbuf(),
// tcp_shutdown(), __tcp_close() and tcp_disconnect().

#include <algorithm>

#include "protocols/tcp/rcv_window.hpp"
#include "protocols/tcp/tcb.hpp"
#include "protocols/tcp/timestamps.hpp"

namespace netsim::tcp {

void Connection::Tcb::init_connection(SeqNum iss_value) {
  iss = iss_value;
  snd_una = iss;
  snd_nxt = iss + 1;
  write_seq = iss + 1;
  snd_sml = pushed_seq = iss + 1;
  loss_high = retx_next = iss;
}

uint8_t allowed_syn_options(const Profile& p, const TcpOptions& syn) {
  uint8_t bits = 0;
  if (p.timestamps && syn.timestamps) bits |= kSynTs;
  if (p.sack && syn.sack_permitted) bits |= kSynSack;
  if (p.window_scaling && syn.window_scale) {
    // RFC 7323 §2.3: a shift above 14 is used as 14 (tcp_parse_options() logs and clamps).
    bits |= static_cast<uint8_t>(kSynWs | std::min<uint8_t>(*syn.window_scale, 14) << 4);
  }
  return bits;
}

RcvWindowConfig rcv_window_config(const Profile& p) {
  RcvWindowConfig cfg;
  cfg.rmem[0] = static_cast<uint32_t>(p.rmem.min);
  cfg.rmem[1] = static_cast<uint32_t>(p.rmem.def);
  cfg.rmem[2] = static_cast<uint32_t>(p.rmem.max);
  cfg.rmem_max = kRmemMax;
  cfg.window_scaling = p.window_scaling;
  return cfg;
}

uint8_t our_wscale(const Profile& p) {
  return syn_rcv_window(p, SocketOptions{}).rcv_wscale;
}

namespace {

// tcp_mss_clamp(): TCP_MAXSEG (user_mss) bounds the MSS we announce.
uint32_t clamped_mss(const Profile& p, const SocketOptions& o) {
  return o.maxseg != 0 ? std::min(p.mss, o.maxseg) : p.mss;
}

}  // namespace

InitialWindow syn_rcv_window(const Profile& p, const SocketOptions& o) {
  const uint32_t rcvbuf = o.rcvbuf != 0 ? o.rcvbuf : p.rcv_buffer();
  return syn_window(rcv_window_config(p), rcvbuf, o.rcvbuf != 0, clamped_mss(p, o));
}

InitialWindow synack_rcv_window(const Profile& p, const SocketOptions& o, uint8_t syn_opts) {
  const uint32_t rcvbuf = o.rcvbuf != 0 ? o.rcvbuf : p.rcv_buffer();
  return synack_window(rcv_window_config(p), rcvbuf, o.rcvbuf != 0, clamped_mss(p, o),
                       (syn_opts & kSynTs) != 0, (syn_opts & kSynWs) != 0);
}

// tcp_parse_options() on the SYN or SYN-ACK (tcp_rcv_synsent_state_process(),
// tcp_create_openreq_child()): each option counts only if both sides offered it; with
// timestamps the send MSS is 12 bytes less (tcp_sync_mss(): mss_cache = peer MSS -
// TCPOLEN_TSTAMP_ALIGNED).
void Connection::Tcb::negotiate_options(Instant now, const Segment& syn) {
  uint8_t bits = allowed_syn_options(prof(), syn.options);
  ts_ok = (bits & kSynTs) != 0;
  sack_ok = (bits & kSynSack) != 0;
  snd_wscale = (bits & kSynWs) ? bits >> 4 : 0;
  rcv_wscale = (bits & kSynWs) ? (active_open ? rcv_wscale_for_syn()
                                              : synack_rcv_window(prof(), opts, bits).rcv_wscale)
                               : 0;
  if (ts_ok) {
    ts_recent = syn.options.timestamps->first;
    ts_recent_stamp = static_cast<uint32_t>(now.ns() / 1'000'000'000);
    mss = static_cast<uint16_t>(std::max(mss - 12, 48));
  }
}

// tcp_input.c:tcp_replace_ts_recent(): a segment that starts at or before rcv_wup (what our
// last ACK acknowledged) carries the TSval to echo (RFC 7323 §4.3 (2)).
void Connection::Tcb::take_ts_recent(Instant now, const Segment& seg) {
  if (!ts_ok || !seg.options.timestamps) return;
  TsRecent r{ts_recent, ts_recent_stamp};
  r.replace(seg.options.timestamps->first, seg.seq, rcv_wup, now);
  ts_recent = r.ts_recent;
  ts_recent_stamp = static_cast<uint32_t>(r.ts_recent_stamp);
}

// tcp_paws_discard() (RFC 7323 §5.3): a segment whose TSval is older than ts_recent is a
// duplicate from an earlier wrap, unless it is a pure duplicate ACK replayed within the RTO
// (tcp_disordered_ack()); RSTs are exempt. The replay window is the RTO in jiffies of `hz`.
bool Connection::Tcb::paws_rejects(Instant now, const Segment& seg) const {
  if (!ts_ok || !seg.options.timestamps) return false;
  // Almost every segment: a TSval no older than ts_recent - TCP_PAWS_WINDOW passes
  // tcp_paws_check() at once, and paws_discard() would say no without the rest.
  if (static_cast<int32_t>(ts_recent - seg.options.timestamps->first) <= kPawsWindow) return false;
  PawsSegment ps;
  ps.tsval = seg.options.timestamps->first;
  ps.seq = seg.seq;
  ps.end_seq = seg.seq + seg.seq_len();
  ps.ack = seg.ack;
  ps.ack_flag = seg.flags.ack();
  ps.rst = seg.flags.rst();
  uint32_t wnd = wnd_from(seg);
  ps.may_update_window =
      seg.ack > snd_una || seg.seq > snd_wl1 || (seg.seq == snd_wl1 && (wnd > snd_wnd || wnd == 0));
  return paws_discard(TsRecent{ts_recent, ts_recent_stamp}, ps, rcv_nxt, snd_una, rto.rto(),
                      kclock().hz, now);
}

// tcp_skb_timestamp_ts() + tsoffset: milliseconds of the virtual clock (TCP_TS_HZ 1000).
uint32_t Connection::Tcb::tsval(Instant now) const {
  return static_cast<uint32_t>(now.ns() / 1'000'000) + ts_off;
}

// The window a non-SYN segment offers, in bytes (RFC 7323 §2.3; a SYN's is never scaled).
uint32_t Connection::Tcb::wnd_from(const Segment& seg) const {
  return seg.flags.syn() ? seg.window : static_cast<uint32_t>(seg.window) << snd_wscale;
}

// tcp_parse_options() ignores an MSS option of 0 (TCP_MSS_DEFAULT, 536, applies as without
// one); the send MSS is min(ours, theirs) but at least TCP_MIN_SND_MSS (48) as in
// tcp_mtu_to_mss(); the receive-side estimate starts at min(536, MSS) (tcp_initialize_rcv_mss()).
void Connection::Tcb::set_peer_mss(uint16_t option) {
  peer_mss = option == 0 ? 536 : option;
  uint16_t clamp = opts.maxseg != 0 ? std::min(prof().mss, opts.maxseg) : prof().mss;  // user_mss
  mss = std::max<uint16_t>(std::min(clamp, peer_mss), 48);
  rcv_mss = std::min<uint16_t>(536, mss);
}

// tcp_connect(): SYN at once, RTO = the initial RTO, retrans_stamp = now.
void Connection::Tcb::open_active(Instant now, SeqNum iss_value, Outbox& out) {
  if (state != State::closed || released) return;
  active_open = true;
  init_connection(iss_value);
  const InitialWindow iw = syn_rcv_window(prof(), opts);
  rcv_wscale = iw.rcv_wscale;
  init_rcv_window(iw);
  syn_sent_at = now;
  set_state(now, State::syn_sent, StateCause::connect, out);
  send_syn(now, false, out);
  rtx_at = timer_at(now, rto.rto());
}

// A listener completed the handshake: the child starts in ESTABLISHED with what the
// listener learned (tcp_create_openreq_child()).
void Connection::Tcb::open_passive(Instant now, const Handshake& hs, State from, StateCause cause,
                                   Outbox& out) {
  if (state != State::closed || released) return;
  init_connection(hs.iss);
  ts_off = hs.ts_off;  // the listener's, which its SYN-ACK used
  snd_una = snd_nxt = hs.iss + 1;
  irs = hs.irs;
  rcv_nxt = rcv_wup = irs + 1;
  // What the SYN-ACK offered (tcp_openreq_init_rwin(), tcp_create_openreq_child()).
  const InitialWindow iw = synack_rcv_window(prof(), opts, hs.syn_opts);
  rcv_adv = rcv_nxt + std::min(iw.rcv_wnd, kMaxWindow);
  init_rcv_window(iw);
  set_peer_mss(hs.peer_mss);
  Segment syn;  // what the SYN offered, as the request kept it
  if (hs.syn_opts & kSynTs) syn.options.timestamps = {hs.ts_recent, 0};
  syn.options.sack_permitted = (hs.syn_opts & kSynSack) != 0;
  if (hs.syn_opts & kSynWs) syn.options.window_scale = static_cast<uint8_t>(hs.syn_opts >> 4);
  negotiate_options(now, syn);
  snd_wnd = max_snd_wnd = static_cast<uint32_t>(hs.peer_window) << snd_wscale;
  snd_wl1 = irs + 1;
  snd_wl2 = snd_una;
  // tcp_create_openreq_child(): total_retrans = num_retrans; with num_timeout, undo_marker =
  // snt_isn and retrans_stamp = snt_synack.
  syn_rtx = hs.synack_retrans;
  syn_undo = hs.synack_timed_out && hs.iss.raw() != 0;
  syn_sent_at = hs.synack_sent;
  // Karn: the SYN-ACK to ACK time is a sample only if the SYN-ACK went once (a SYN cookie
  // keeps no send time); otherwise tcp_rcv_state_process()'s "if (!tp->srtt_us)
  // tcp_synack_rtt_meas(sk, req)" falls back on the final ACK's TSecr.
  handshake_rtt(now, hs.synack_retrans != 0 ? std::nullopt : hs.rtt_sample, hs.ack_tsecr);
  start_congestion_control(hs.ack_tsecr);
  last_rcv = now;
  enter_established(now, cause, out, from);  // traced from the listener's request state
}

// tcp_sendmsg(): data is queued in SYN_SENT / SYN_RECEIVED (sent once established) and in
// ESTABLISHED / CLOSE_WAIT; after shutdown(SHUT_WR) or close() writing fails with EPIPE.
SocketError Connection::Tcb::send_check() const {
  switch (state) {
    case State::listen:
      return SocketError::einval;
    case State::closed:
    case State::fin_wait_1:
    case State::fin_wait_2:
    case State::closing:
    case State::last_ack:
    case State::time_wait:
      return SocketError::epipe;
    case State::syn_sent:
    case State::syn_received:
    case State::established:
    case State::close_wait:
      break;
  }
  return fin_queued ? SocketError::epipe : SocketError::none;
}

// The unbounded write: the whole payload is accepted whatever the send buffer holds (an
// application modelled as one write that never blocks); write() (connection_sndbuf.cpp) is
// the one bounded by sk_sndbuf.
// `flags` (MSG_EOR, MSG_MORE) go with the bytes until they are cut into skbs
// (sync_write_queue(), at once when established) and MSG_MORE corks this write's push.
SocketError Connection::Tcb::send(Instant now, Payload data, Outbox& out, uint32_t flags) {
  if (SocketError e = send_check(); e != SocketError::none) return e;
  if (data.empty()) return SocketError::none;
  if (unsent_data() == 0) chrono_start_type(now, 1);  // TCP_CHRONO_BUSY
  write_seq += static_cast<uint32_t>(data.size());
  sndbuf.append(std::move(data));
  nagle_push = false;  // tcp_skb_entail(): a new write ends an explicit push
  wq.uncut_flags = static_cast<uint16_t>(flags & kMsgModelled);
  wq.more_push = (flags & kMsgMore) != 0;
  if (!should_autocork(now)) transmit(now, out);  // tcp_push() (connection_tsq.cpp)
  wq.more_push = false;
  return SocketError::none;
}

// tcp_recvmsg() + tcp_cleanup_rbuf(): reading frees buffer space; if the window we could
// offer is now at least twice what the peer was last told (and that was at most half the
// largest window), a window update goes out at once.
Payload Connection::Tcb::read(Instant now, size_t max_bytes, Outbox& out) {
  Payload p = rcvbuf.read(max_bytes);
  if (p.empty()) return p;
  bool receiving = state == State::established || state == State::fin_wait_1 ||
                   state == State::fin_wait_2 || state == State::syn_received;
  rcv_space_adjust_after_read(now);
  if (receiving) {
    uint32_t cur = static_cast<uint32_t>(rcv_adv - rcv_nxt);
    if (2 * cur <= window_clamp) {
      uint32_t next = free_window();
      if (next != 0 && next >= 2 * cur) send_ack(now, out);
    }
  }
  return p;
}

// __tcp_cleanup_rbuf() once a timed read copied what an auto-reading application was handed
// (host_syscall.cpp): "Once-per-two-segments ACK was not sent by tcp_input.c" — the input's
// __tcp_ack_snd_check() held the ACK while the data made the window smaller — so it goes now;
// and the window update of read() when the window can be raised significantly.
// With `copied` (an auto-reading application's timed read) the bytes leave the queue after
// their copy: tcp_eat_recv_skb() frees them, tcp_rcv_space_adjust() counts them
// (tcp_recvmsg_locked()), so the window offered meanwhile saw them queued.
void Connection::Tcb::cleanup_rbuf(Instant now, Outbox& out, uint64_t copied) {
  if (copied > 0 && drs) {
    drs->unread -= static_cast<uint32_t>(std::min<uint64_t>(drs->unread, copied));
    rcv_space_adjust_after_read(now);
  }
  if (ack_pending && static_cast<uint32_t>(rcv_nxt - rcv_wup) > rcv_mss) {
    send_ack(now, out);
    return;
  }
  const bool receiving =
      state == State::established || state == State::fin_wait_1 || state == State::fin_wait_2;
  if (!receiving) return;
  const uint32_t cur = static_cast<uint32_t>(rcv_adv - rcv_nxt);
  if (2 * cur > window_clamp) return;
  const uint32_t next = free_window();
  if (next != 0 && next >= 2 * cur) send_ack(now, out);
}

// tcp_shutdown(SHUT_WR) through tcp_close_state(): ESTABLISHED -> FIN_WAIT_1, CLOSE_WAIT ->
// LAST_ACK, SYN_RECEIVED -> FIN_WAIT_1, each with a FIN after the queued data; SYN_SENT ->
// CLOSED (Linux's new_state table has no FIN action there).
void Connection::Tcb::shutdown_write(Instant now, Outbox& out) {
  std::optional<State> next = close_state(state);
  if (!next) return;
  if (*next == State::closed) {
    enter_closed(now, StateCause::shutdown, SocketError::none, out);
  } else if (!fin_queued) {
    queue_fin(now, *next, StateCause::shutdown, out);
  }
}

void Connection::Tcb::queue_fin(Instant now, State next, StateCause cause, Outbox& out) {
  // tcp_send_fin(): a FIN with nothing unsent is a new skb in an empty write queue.
  if (unsent_data() == 0) chrono_start_type(now, 1);  // TCP_CHRONO_BUSY
  fin_queued = true;
  set_state(now, next, cause, out);
  transmit(now, out);
}

// __tcp_close(): unread data means RST+ACK instead of FIN (RFC 2525 §2.17, data_was_unread);
// SO_LINGER {on, 0} aborts; otherwise the FIN follows the queued data and the socket lives on
// as an orphan. In SYN_SENT nothing is sent (a later SYN-ACK meets the stack's RST).
void Connection::Tcb::close(Instant now, Outbox& out) {
  if (state == State::closed || orphaned) return;
  if (rcvbuf.readable() > 0 && state != State::syn_sent && state != State::time_wait) {
    orphaned = true;
    send_active_rst(now, out);
    enter_closed(now, StateCause::close, SocketError::none, out);
    return;
  }
  if (opts.linger_zero) {
    abort(now, out);
    return;
  }
  orphaned = true;
  if (state == State::fin_wait_2) {
    // An orphan in FIN_WAIT_2 waits tcp_fin_time() for the peer's FIN.
    fw2_at = timer_at(now, fin_time());
    ka_at = kNever;
    dack_at = kNever;
    ack_pending = false;
    return;
  }
  std::optional<State> next = close_state(state);  // the same rows as shutdown_write()
  if (!next) return;
  if (*next == State::closed) {
    enter_closed(now, StateCause::close, SocketError::none, out);
  } else if (!fin_queued) {
    queue_fin(now, *next, StateCause::close, out);
  }
  close_on_oom(now, out);  // tcp_close(): tcp_check_oom() (connection_mem.cpp)
}

// tcp_disconnect(): RST+ACK when the peer may still think the connection open
// (tcp_need_reset(): ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1/2, SYN_RECEIVED, and CLOSING /
// LAST_ACK with data still unsent); nothing from SYN_SENT or TIME_WAIT. No error is reported:
// the application asked for it.
void Connection::Tcb::abort(Instant now, Outbox& out) {
  bool rst = false;
  switch (state) {
    case State::closed:
    case State::listen:
      return;
    case State::syn_sent:
    case State::time_wait:
      break;
    case State::syn_received:
    case State::established:
    case State::close_wait:
    case State::fin_wait_1:
    case State::fin_wait_2:
      rst = true;
      break;
    case State::closing:
    case State::last_ack:
      rst = snd_nxt != write_seq + 1;
      break;
  }
  orphaned = true;
  if (rst) send_active_rst(now, out);
  enter_closed(now, StateCause::abort, SocketError::none, out);
}

// setsockopt(): SO_KEEPALIVE on arms the timer one idle period from now (tcp_set_keepalive());
// a new TCP_KEEPIDLE counts the time already idle (do_tcp_setsockopt()). Set without a `now`,
// "now" is the latest instant this connection was called at.
void Connection::Tcb::set_options(const SocketOptions& next) {
  const bool was_enabled = opts.keepalive.enabled;
  const Duration old_idle = keepalive_idle();
  opts = next;
  if (!keepalive_eligible() || !opts.keepalive.enabled) {
    ka_at = kNever;
    return;
  }
  if (!was_enabled) {
    ka_at = timer_at(last_now, keepalive_idle());
  } else if (keepalive_idle() != old_idle && ka_probes == 0) {
    // tcp_sock_set_keepidle_locked(): keepalive_time - keepalive_time_elapsed() jiffies ahead,
    // which is the last receive's jiffy + keepalive_time (0 when that has passed).
    Duration idle = keepalive_idle();
    ka_at = idle > last_now - last_rcv ? timer_at_since(last_now, last_rcv, idle)
                                       : timer_at(last_now, Duration::zero());
  }
}

}  // namespace netsim::tcp

namespace netsim::tcp {

// do_tcp_setsockopt() / sk_setsockopt() for the options of sockopt.hpp.
SocketError Connection::Tcb::set_option(Instant now, SockOpt opt, int value, Outbox& out) {
  last_now = now;
  if (SocketError e = store_sockopt(opts, opt, value, prof()); e != SocketError::none) return e;
  const SeqNum nxt = snd_nxt;
  if (opt == SockOpt::so_sndbuf) sk_sndbuf = opts.sndbuf;  // sk_setsockopt(): set and locked
  if (opt == SockOpt::so_rcvlowat) set_rcvlowat(out);
  if (opt == SockOpt::tcp_nodelay && opts.nodelay) {
    // __tcp_sock_set_nodelay(): TCP_NAGLE_OFF|TCP_NAGLE_PUSH and an explicit push, which sends
    // even what TCP_CORK holds (once: the next write clears TCP_NAGLE_PUSH).
    nagle_push = true;
    transmit(now, out);
  } else if (opt == SockOpt::tcp_cork && !opts.cork) {
    // __tcp_sock_set_cork(): uncorking pushes; with TCP_NODELAY the push ignores Nagle.
    if (opts.nodelay) nagle_push = true;
    transmit(now, out);
  }
  // The push's tcp_event_new_data_sent() -> tcp_check_space(); SO_SNDBUF and
  // TCP_NOTSENT_LOWAT call sk_write_space() themselves: a larger buffer or a raised mark may
  // wake the writer at once.
  if (snd_nxt > nxt) {
    check_space(out);
  } else if (opt == SockOpt::so_sndbuf || opt == SockOpt::tcp_notsent_lowat) {
    write_space(out);
  }
  return SocketError::none;
}

// tcp_set_rcvlowat(): tcp_data_ready() at once (the new mark may wake the reader); without a
// locked SO_RCVBUF the buffer grows to hold the mark ("space = tcp_space_from_win(sk, val);
// if (space > sk->sk_rcvbuf)") and window_clamp rises to it.
void Connection::Tcb::set_rcvlowat(Outbox& out) {
  data_ready(out);
  if (opts.rcvbuf != 0) return;
  const uint32_t val = rcvlowat(opts);
  const uint32_t space = space_from_win(scaling_ratio, val);
  RcvAutotune& a = autotune();
  if (space <= a.rcvbuf) return;
  a.rcvbuf = space;
  if (window_clamp != 0 && window_clamp < val) window_clamp = val;
}

// do_tcp_getsockopt(): TCP_MAXSEG is mss_cache, user_mss in CLOSE; the rest as stored.
int Connection::Tcb::get_option(SockOpt opt) const {
  if (opt == SockOpt::tcp_maxseg)
    return opts.maxseg != 0 && state == State::closed ? opts.maxseg : mss;
  if (opt == SockOpt::so_sndbuf) return static_cast<int>(sk_sndbuf);  // as autotuning left it
  return sockopt_value(opts, opt, prof());
}

// tcp_nagle_test() with tcp_nagle_check() and tcp_minshall_check(): only a partial last
// segment is ever held: always while corked or in the push of a MSG_MORE write, never with
// TCP_NODELAY or after an explicit push, otherwise while an earlier small segment is
// unacknowledged. A FIN never waits.
bool Connection::Tcb::nagle_holds(uint32_t len, uint32_t mss_now, bool fin) const {
  if (fin || len >= mss_now) return false;
  if (wq.more_push) return true;  // tcp_push() with MSG_MORE: nonagle = TCP_NAGLE_CORK
  if (nagle_push) return false;
  if (opts.cork) return true;
  if (opts.nodelay) return false;
  return snd_nxt != snd_una && snd_sml > snd_una && snd_sml <= snd_nxt;
}

// sk_rcvbuf: tcp_rmem[1], or SO_RCVBUF's doubled value (locked), or what DRS grew it to. The
// window may offer its scaling_ratio share (tcp_full_space()).
uint32_t Connection::Tcb::rcv_space() const {
  if (drs) return drs->rcvbuf;
  return opts.rcvbuf != 0 ? opts.rcvbuf : prof().rcv_buffer();
}

// tcp_connect_init() -> tcp_select_initial_window(): SO_RCVBUF before connect() clamps the
// window to its space and lowers the shift (window_clamp = tcp_full_space()).
uint8_t Connection::Tcb::rcv_wscale_for_syn() const {
  return syn_rcv_window(prof(), opts).rcv_wscale;
}

// retransmits_timed_out(): TCP_USER_TIMEOUT replaces the tcp_model_timeout() budget.
Duration Connection::Tcb::write_timeout(Duration model) const {
  return opts.user_timeout_ms != 0 ? Duration::milliseconds(opts.user_timeout_ms) : model;
}

// tcp_clamp_rto_to_user_timeout(): the next retransmission timer ends no later than the user
// timeout counted from retrans_stamp (the first retransmitted segment's original send), in
// jiffies rounded up (of `hz`); one jiffy when it has passed already.
Duration Connection::Tcb::clamp_rto_to_user_timeout(Instant now) const {
  const Duration rto_now = rto.rto();
  if (opts.user_timeout_ms == 0) return rto_now;
  const Instant since = retrans_stamp != kNever ? retrans_stamp : syn_sent_at;
  const Duration remaining = Duration::milliseconds(opts.user_timeout_ms) - (now - since);
  const KernelClock& clock = kclock();
  if (remaining <= Duration::zero()) return clock.span(1);
  return std::min(rto_now, clock.round_up(remaining));
}

// tcp_keepalive_timer(): with TCP_USER_TIMEOUT the connection dies once that long has passed
// without an answer and a probe was sent, instead of after keepalive_probes probes.
bool Connection::Tcb::keepalive_expired(Duration elapsed, int probes) const {
  if (opts.user_timeout_ms != 0)
    return elapsed >= Duration::milliseconds(opts.user_timeout_ms) && ka_probes > 0;
  return static_cast<int>(ka_probes) >= probes;
}

SocketError Connection::set_option(Instant now, SockOpt opt, int value, Outbox& out) {
  return tcb_->set_option(now, opt, value, out);
}

int Connection::get_option(SockOpt opt) const {
  return tcb_->get_option(opt);
}

}  // namespace netsim::tcp
