// Timers as data: each timer is an absolute deadline in the TCB; next_deadline() is their
// minimum and on_timer() runs every one that is due. The handlers copy Linux's
// net/ipv4/tcp_timer.c: tcp_retransmit_timer() + tcp_write_timeout() for SYN and data,
// tcp_probe_timer() for zero windows, tcp_delack_timer_handler(), tcp_keepalive_timer(), and
// the TIME_WAIT / orphaned FIN_WAIT_2 lifetimes (inet_twsk timers).

#include <algorithm>

#include "protocols/tcp/tcb.hpp"
#include "protocols/tcp/timer_wheel.hpp"

namespace netsim::tcp {

namespace {
// The facts of one firing for the trace (DESIGN.md property 7: no text is made here).
TimerRecord firing(TimerKind kind, uint32_t attempt, int limit, Duration ran) {
  TimerRecord f;
  f.timer = kind;
  f.attempt = attempt;
  f.limit = static_cast<uint32_t>(std::max(limit, 0));
  f.ran = ran;
  return f;
}
}  // namespace

Instant Connection::Tcb::timer_at(Instant now, Duration timeout) const {
  return ctx.wheel != nullptr ? ctx.wheel->arm(now, timeout) : now + timeout;
}

Instant Connection::Tcb::timer_at_since(Instant now, Instant from, Duration timeout) const {
  if (ctx.wheel == nullptr) return from + timeout;
  return ctx.wheel->fire_at(now, ctx.wheel->jiffies(from) + ctx.wheel->to_jiffies(timeout));
}

std::optional<Instant> Connection::Tcb::next_deadline() const {
  Instant t = std::min({rtx_at, dack_at, persist_at, ka_at, tw_at, fw2_at, tsq_at()});
  if (t == kNever) return std::nullopt;
  return t;
}

void Connection::Tcb::on_timer(Instant now, Outbox& out) {
  if (state == State::closed) return;
  const WheelRunning in_softirq(ctx.wheel);         // re-armed timers see base->clk = jiffies + 1
  if (tsq_at() <= now) on_tx_completion(now, out);  // connection_tsq.cpp
  if (state != State::closed && rtx_at <= now) {
    rtx_at = kNever;
    on_rtx_timer(now, out);
  }
  if (state != State::closed && persist_at <= now) {
    persist_at = kNever;
    on_persist_timer(now, out);
  }
  if (state != State::closed && dack_at <= now) {
    dack_at = kNever;
    on_delack_timer(now, out);
  }
  if (state != State::closed && ka_at <= now) {
    ka_at = kNever;
    on_keepalive_timer(now, out);
  }
  if (state != State::closed && fw2_at <= now) {
    fw2_at = kNever;
    trace_timer(firing(TimerKind::fin_wait_2, 1, 0, fin_time()), out);
    enter_closed(now, StateCause::fin_wait_2_timeout, SocketError::none, out);
  }
  if (state != State::closed && tw_at <= now) {
    tw_at = kNever;
    trace_timer(firing(TimerKind::time_wait, 1, 0, prof().time_wait), out);
    enter_closed(now, StateCause::time_wait_expired, SocketError::none, out);
  }
}

void Connection::Tcb::on_rtx_timer(Instant now, Outbox& out) {
  // While our SYN (or the SYN-ACK of a simultaneous open) is unacknowledged it is what the
  // retransmission timer resends.
  if (snd_una == iss &&
      (state == State::syn_sent || state == State::syn_received || state == State::fin_wait_1)) {
    on_syn_timer(now, out);
    return;
  }
  if (!synchronized() || state == State::time_wait) return;
  if (sack_path() && !rtx.empty() && xmit() == XmitTimer::loss_probe) {
    on_loss_probe_timer(now, out);
  } else if (sack_path() && !rtx.empty() && xmit() == XmitTimer::reo) {
    on_reo_timer(now, out);
  } else {
    on_data_rto(now, out);
  }
}

// tcp_write_timeout() for SYN_SENT / SYN_RECV, then tcp_retransmit_timer(). The attempt
// ends at the first expiry where either limit holds: the count (syn_retries, or TCP_SYNCNT,
// plus syn_linear_timeouts in SYN_SENT on kernels >= 6.5) or the time budget
// tcp_model_timeout(syn_retries, initial RTO) counted from the first SYN. ETIMEDOUT, no RST.
void Connection::Tcb::on_syn_timer(Instant now, Outbox& out) {
  const Profile& p = prof();
  const int retry_until = opts.syn_count.value_or(p.syn_retries);
  const bool syn_sent = state == State::syn_sent;
  const int max_retransmits = retry_until + (syn_sent ? p.syn_linear_timeouts : 0);
  const Duration budget = write_timeout(model_timeout(retry_until, p.rto_initial, p.rto_max));
  const TimerKind kind = syn_sent ? TimerKind::syn : TimerKind::synack;
  bool expired = static_cast<int>(retransmits) >= max_retransmits ||
                 (retransmits > 0 && now - syn_sent_at >= budget);
  const Duration ran = rto.rto();
  if (expired) {
    TimerRecord f = firing(kind, retransmits, max_retransmits, ran);
    f.gives_up = true;
    f.elapsed = now - syn_sent_at;
    f.seq = iss.raw();
    trace_timer(f, out);
    enter_closed(now, StateCause::syn_retries_exhausted, SocketError::etimedout, out);
    return;
  }
  ++retransmits;
  if (syn_rtx < UINT8_MAX) ++syn_rtx;  // __tcp_retransmit_skb(): total_retrans
  // tcp_retransmit_timer() -> tcp_enter_loss() -> tcp_init_undo(): undo_marker = snd_una (the
  // ISN; Linux's 0 means "no marker", so an ISN of 0 never undoes).
  syn_undo = iss.raw() != 0;
  // The RTO doubles only once the backoff exceeds tcp_syn_linear_timeouts (SYN_SENT only).
  if (!syn_sent || rto.backoff() + 1 > static_cast<uint32_t>(p.syn_linear_timeouts)) {
    rto.back_off();
  } else {
    rto.count_backoff();
  }
  if (out.tracing) {
    TimerRecord f = firing(kind, retransmits, max_retransmits, ran);
    f.next = rto.rto();
    f.elapsed = now - syn_sent_at;
    f.seq = iss.raw();
    f.backoff = rto.backoff();
    trace_timer(f, out);
  }
  ++ctx.counters->retransmits;
  ++stats.retransmits;
  send_syn(now, true, out);
  rtx_at = timer_at(now, clamp_rto_to_user_timeout(now));
}

// tcp_retransmit_timer() in a synchronized state.
void Connection::Tcb::on_data_rto(Instant now, Outbox& out) {
  if (snd_una == snd_nxt || rtx.empty()) return;
  const Profile& p = prof();
  // A peer that shrank its window to zero: the retransmissions are window probes and the
  // connection lives as long as the peer answers (only an orphan times out), unless nothing
  // was heard for TCP_RTO_MAX.
  bool zero_window = snd_wnd == 0 && !orphaned;
  const int boundary = orphaned ? p.orphan_retries : p.retries2;
  auto give_up = [&](Duration elapsed) {
    TimerRecord f = firing(TimerKind::rto, retransmits, boundary, rto.rto());
    f.gives_up = true;
    f.elapsed = elapsed;
    f.seq = rtx.front().seq.raw();
    trace_timer(f, out);
  };
  if (zero_window && now - last_rcv > p.rto_max) {
    give_up(now - last_rcv);
    enter_closed(now, StateCause::rto_expired, SocketError::etimedout, out);
    return;
  }
  // tcp_write_timeout(): time based. The budget is tcp_model_timeout(retries2, rto_min)
  // (tcp_orphan_retries for an orphan) from the first retransmission's original send time.
  const Duration budget = write_timeout(model_timeout(boundary, p.rto_min, p.rto_max));
  // ... and an orphan first checks the host's TCP memory (tcp_out_of_resources(), do_reset =
  // alive || !retransmits_timed_out(); connection_mem.cpp).
  const bool alive = rto.rto() < p.rto_max;
  const bool timed_out = retransmits > 0 && now - retrans_stamp >= budget;
  if (orphaned && orphan_out_of_resources(now, alive || !timed_out, StateCause::rto_expired, out))
    return;
  if (!zero_window && retransmits > 0 && now - retrans_stamp >= budget) {
    give_up(now - retrans_stamp);
    enter_closed(now, StateCause::rto_expired, SocketError::etimedout, out);
    return;
  }
  // tcp_enter_loss(): everything outstanding is lost; ssthresh falls on the first expiry of
  // an episode only; cwnd is one segment; go-back-N from SND.UNA.
  uint32_t cwnd_before = cwnd_bytes();
  bool send = true;
  if (sack_path()) {
    send = sack_on_rto(now);  // tcp_enter_loss() with the scoreboard; counts TCPTimeouts
  } else {
    const bool first = !(retx_next < loss_high);
    if (cc) cc->on_timeout(flight_size(), snd_nxt, first);
    loss_high = snd_nxt;
    retx_next = rtx.front().end();
    dupacks = 0;
    ++ctx.counters->TCPTimeouts;
  }
  ++retransmits;
  const Duration ran = rto.rto();
  rto.back_off();
  if (out.tracing) {
    TimerRecord f = firing(TimerKind::rto, retransmits, boundary, ran);
    f.next = rto.rto();
    f.seq = rtx.front().seq.raw();
    f.backoff = rto.backoff();
    trace_timer(f, out);
  }
  if (send) retransmit(now, 0, out);
  arm_rtx(now);  // the slot now holds the RTO (XmitTimer::rto)
  rtx_at = timer_at(now, clamp_rto_to_user_timeout(now));
  trace_cwnd(cwnd_before, out);
}

// tcp_probe_timer() + tcp_send_probe0(): the peer offers a zero window and nothing is in
// flight. Probes back off exponentially up to rto_max; an answer resets the probe count, so a
// live peer is probed forever (RFC 1122 4.2.2.17) and a dead one times out after retries2
// unanswered probes.
void Connection::Tcb::on_persist_timer(Instant now, Outbox& out) {
  bool waiting = unsent_data() > 0 || (fin_queued && !fin_sent());
  if (snd_una != snd_nxt || !waiting || !synchronized()) {
    persist_probes = 0;
    persist_backoff = 0;
    return;
  }
  const Profile& p = prof();
  const int max_probes = orphaned ? p.orphan_retries : p.retries2;
  // tcp_probe_timer(): "if (tcp_out_of_resources(sk, true)) return;" for an orphan.
  if (orphaned && orphan_out_of_resources(now, true, StateCause::close, out)) return;
  // The timeout that ran: tcp_check_probe_timer() armed probe0_base(), later probes the
  // backed-off value (tcp_probe_timer()).
  const Duration ran =
      persist_probes == 0
          ? probe0_base()
          : std::min(probe0_base() * (int64_t{1} << std::min(persist_backoff, 20u)), p.rto_max);
  if (static_cast<int>(persist_probes) >= max_probes) {
    TimerRecord f = firing(TimerKind::persist, persist_probes, max_probes, ran);
    f.gives_up = true;
    f.seq = (snd_una - 1).raw();
    trace_timer(f, out);
    enter_closed(now, StateCause::zero_window_probes_exhausted, SocketError::etimedout, out);
    return;
  }
  // tcp_write_wakeup(): if the window admits part of the next segment, that part is sent.
  if (snd_nxt < snd_una + snd_wnd) {
    uint32_t room = static_cast<uint32_t>(snd_una + snd_wnd - snd_nxt);
    uint32_t unsent = unsent_data();
    uint32_t len = std::min({unsent, room, static_cast<uint32_t>(mss)});
    sync_write_queue();  // the probe is cut from the send head only (tcp_fragment())
    if (const SkbMark* skb = wq.head(); skb != nullptr)
      len = std::min(len, static_cast<uint32_t>(skb->end - snd_nxt));
    bool with_fin = fin_queued && len == unsent && len < room;
    TimerRecord f = firing(TimerKind::persist, persist_probes + 1, max_probes, ran);
    f.seq = snd_nxt.raw();
    f.bytes = len;
    trace_timer(f, out);
    // tcp_write_wakeup(): PSH on the probe and on what stays of its skb; pushed_seq moves to
    // the skb's end.
    sync_write_queue();
    if (SkbMark* skb = wq.head(); skb != nullptr) {
      skb->psh = true;
      pushed_seq = seq_max(pushed_seq, skb->end);
    }
    send_data(now, snd_nxt, len, with_fin, true, out);
    if (len > 0) rtx.at(rtx.size() - 1).psh = true;
    persist_probes = 0;
    persist_backoff = 0;
    return;
  }
  send_probe(now, out);
  ++persist_probes;
  if (static_cast<int>(persist_backoff) < p.retries2) ++persist_backoff;
  Duration next =
      std::min(probe0_base() * (int64_t{1} << std::min(persist_backoff, 20u)), p.rto_max);
  persist_at = timer_at(now, next);
  TimerRecord f = firing(TimerKind::persist, persist_probes, max_probes, ran);
  f.next = next;
  f.seq = (snd_una - 1).raw();
  f.backoff = persist_backoff;
  trace_timer(f, out);
}

// tcp_delack_timer_handler(): the ACK was not piggybacked in time. Outside ping-pong mode
// `ato` doubles (up to the RTO); in ping-pong mode the mode ends and `ato` is reset.
void Connection::Tcb::on_delack_timer(Instant now, Outbox& out) {
  if (!ack_pending) return;
  if (!pingpong) {
    ato = std::min(ato * 2, rto.rto());
  } else {
    pingpong = false;
    ato = prof().delayed_ack;
  }
  // `ran` stays zero: the delay was min(ato, a cap) when armed, which the TCB does not keep.
  TimerRecord f = firing(TimerKind::delayed_ack, 1, 0, Duration::zero());
  f.seq = rcv_nxt.raw();
  trace_timer(f, out);
  send_ack(now, out);
}

// tcp_keepalive_timer(): idle is measured from the last segment received; nothing is probed
// while data is in flight or queued (the RTO handles that); when the probes run out the
// connection is reset (RST+ACK) and fails with ETIMEDOUT.
void Connection::Tcb::on_keepalive_timer(Instant now, Outbox& out) {
  if (!opts.keepalive.enabled || !keepalive_eligible()) return;
  const Duration idle = keepalive_idle();
  if (snd_una != snd_nxt || unsent_data() > 0 || (fin_queued && !fin_sent())) {
    ka_at = timer_at(now, idle);
    return;
  }
  Duration elapsed = now - last_rcv;
  if (elapsed < idle) {
    // "It is tp->rcv_tstamp + keepalive_time_when(tp)": counted in jiffies from the last receive.
    ka_at = timer_at_since(now, last_rcv, idle);
    return;
  }
  const int probes = keepalive_probes();
  // The first probe follows keepalive_time of silence, the others keepalive_intvl.
  const Duration ran = ka_probes == 0 ? idle : keepalive_interval();
  if (keepalive_expired(elapsed, probes)) {
    TimerRecord f = firing(TimerKind::keepalive, ka_probes, probes, ran);
    f.gives_up = true;
    f.elapsed = elapsed;
    trace_timer(f, out);
    send_active_rst(now, out);
    enter_closed(now, StateCause::keepalive_probes_exhausted, SocketError::etimedout, out);
    return;
  }
  ++ka_probes;
  ++ctx.counters->keepalive_probes_sent;
  TimerRecord f = firing(TimerKind::keepalive, ka_probes, probes, ran);
  f.next = keepalive_interval();
  f.elapsed = elapsed;
  f.seq = (snd_una - 1).raw();
  trace_timer(f, out);
  send_probe(now, out);
  ka_at = timer_at(now, keepalive_interval());
}

void Connection::Tcb::arm_keepalive(Instant now) {
  ka_at = opts.keepalive.enabled && keepalive_eligible() ? timer_at(now, keepalive_idle()) : kNever;
}

Duration Connection::Tcb::keepalive_idle() const {
  return opts.keepalive.idle.value_or(prof().keepalive_time);
}
Duration Connection::Tcb::keepalive_interval() const {
  return opts.keepalive.interval.value_or(prof().keepalive_intvl);
}
int Connection::Tcb::keepalive_probes() const {
  return opts.keepalive.probes.value_or(prof().keepalive_probes);
}

// Not in LISTEN, SYN_SENT or CLOSED (tcp_keepalive_timer()); TIME_WAIT and the orphaned
// FIN_WAIT_2 are mini-sockets in Linux and have no keepalive.
bool Connection::Tcb::keepalive_eligible() const {
  switch (state) {
    case State::closed:
    case State::listen:
    case State::syn_sent:
    case State::time_wait:
      return false;
    case State::fin_wait_2:
      return !orphaned;
    case State::syn_received:
    case State::established:
    case State::fin_wait_1:
    case State::close_wait:
    case State::closing:
    case State::last_ack:
      return true;
  }
  return false;
}

// tcp_fin_time(): tcp_fin_timeout, but at least (rto << 2) - (rto >> 1) in jiffies: the half
// rounds down, so at HZ 250 3.5 * 53 jiffies (212 ms) is 186 jiffies = 744 ms.
Duration Connection::Tcb::fin_time() const {
  const KernelClock& clock = kclock();
  const auto r = static_cast<int64_t>(clock.to_jiffies(rto.rto()));
  return std::max(prof().fin_timeout, clock.span(static_cast<uint64_t>(r * 4 - r / 2)));
}

}  // namespace netsim::tcp
