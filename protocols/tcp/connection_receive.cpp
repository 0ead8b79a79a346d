// The receiving half of segment arrival: RFC 9293 §3.10.7.4 seventh step (segment text, as
// Linux tcp_data_queue() does it: in order, duplicate, out of window, out of order), the
// delayed-ACK bookkeeping of received data (tcp_event_data_recv()), the eighth step (FIN,
// tcp_fin()), and the two mini-socket states of tcp_timewait_state_process(): TIME_WAIT and
// the orphaned FIN_WAIT_2.

#include <algorithm>
#include <utility>

#include "protocols/tcp/tcb.hpp"

namespace netsim::tcp {

namespace {

// The held data as tcp_data_queue_ofo() sees its rbtree: sorted, maximal ranges.
std::vector<SackBlock> ofo_ranges(const ReceiveBuffer& rcvbuf) {
  std::vector<SackBlock> v;
  for (const netsim::SackBlock& b : rcvbuf.ranges())
    v.push_back(SackBlock{b.left, b.right});
  return v;
}

}  // namespace

// Seventh: process the segment text. Returns false when the connection died.
bool Connection::Tcb::process_text(Instant now, const Segment& seg, Outbox& out) {
  rcv_rtt_ts(now, seg);  // tcp_rcv_established(): before the segment text
  if (seg.seq_len() == 0) return true;
  switch (state) {
    case State::close_wait:
    case State::closing:
    case State::last_ack:
      // The peer's FIN was received: nothing new can come ("This should not occur"); only a
      // retransmission below RCV.NXT is answered, by the duplicate branch below.
      if (seg.seq >= rcv_nxt) return true;
      break;
    case State::established:
    case State::fin_wait_1:
    case State::fin_wait_2:
      break;
    case State::closed:
    case State::listen:
    case State::syn_sent:
    case State::syn_received:
    case State::time_wait:
      return true;
  }
  if (seg.flags.syn()) {
    // Only the peer's bare SYN-ACK of a simultaneous open gets here (check_syn()): its SYN
    // lies below RCV.NXT, so tcp_data_queue() treats it as a retransmission: ACK at once.
    enter_quickack_mode();
    ack_pending = ack_now = true;
    return true;
  }
  SeqNum seq = seg.seq;
  SeqNum end = seg.seq + seg.seq_len();
  SeqNum data_end = seq + static_cast<uint32_t>(seg.payload.size());
  // RFC 1122 4.2.2.13 / Linux TCPAbortOnData: new data for an application that closed its
  // socket cannot be delivered: reset the connection and answer with a RST.
  if (orphaned && !seg.payload.empty() && data_end > rcv_nxt) {
    send_reply_rst(seg, out);
    enter_closed(now, StateCause::rcv_data_after_close, SocketError::econnreset, out);
    return false;
  }
  uint32_t wnd = static_cast<uint32_t>(rcv_adv - rcv_nxt);
  if (seq == rcv_nxt) {
    // tcp_data_queue() at a zero window: a bare FIN is accepted ("Some stacks are known to
    // send bare FIN packets in a loop even if we send RWIN 0"; it needs no buffer space); data
    // is out of window (TCPZeroWindowDrop) and answered at once, as a zero-window probe is.
    if (wnd == 0 && !(seg.payload.empty() && seg.flags.fin())) {
      if (!seg.payload.empty()) ++ctx.counters->TCPZeroWindowDrop;
      enter_quickack_mode();
      ack_pending = ack_now = true;
      return true;
    }
    queue_in_order(now, seq, seg.payload, seg.flags.fin(), out);
  } else if (end <= rcv_nxt || seq >= rcv_adv) {
    // A retransmission of what we have, or beyond the window: ACK at once (quick-ack mode;
    // RFC 9293 asks for the immediate ACK whatever the quick-ack setting). A duplicate is
    // reported as a D-SACK [seq, end) (tcp_data_queue(): tcp_dsack_set(), RFC 2883 §4.1.1).
    if (end <= rcv_nxt) sack_rx.on_old_segment(seq, end, rcv_nxt, sack_ok, prof().dsack, nullptr);
    enter_quickack_mode();
    ack_pending = ack_now = true;
  } else if (seq < rcv_nxt) {
    // Overlaps RCV.NXT: keep the new tail; the old head is a D-SACK [seq, rcv_nxt), recorded
    // before the window test as tcp_data_queue() does (RFC 2883 §4.1.3).
    sack_rx.on_old_segment(seq, end, rcv_nxt, sack_ok, prof().dsack, nullptr);
    if (wnd == 0) {
      enter_quickack_mode();
      ack_pending = ack_now = true;
      return true;
    }
    size_t skip = static_cast<size_t>(rcv_nxt - seq);
    queue_in_order(now, rcv_nxt, seg.payload.slice(skip, seg.payload.size() - skip),
                   seg.flags.fin(), out);
  } else {
    queue_out_of_order(now, seg);
  }
  return state != State::closed;
}

// Out of order (tcp_data_queue_ofo()): hold it (trimmed to the window) until the hole fills;
// ACK at once so the sender sees duplicate ACKs (__tcp_ack_snd_check() with a non-empty
// out-of-order queue). Its range becomes SACK block 0 (tcp_sack_new_ofo_skb(), RFC 2018 §4);
// what was already held is a D-SACK (RFC 2883 §4.2).
//
// Without memory for it (tcp_try_rmem_schedule() failed even after pruning) the segment is
// dropped (TCPOFODrop) and, unlike in-order data, no ACK is scheduled for it.
void Connection::Tcb::queue_out_of_order(Instant now, const Segment& seg) {
  const SeqNum seq = seg.seq;
  if (!rmem_schedule(now, seq, static_cast<uint32_t>(seg.payload.size()))) {
    ++ctx.counters->TCPOFODrop;
    return;
  }
  size_t keep = std::min<size_t>(seg.payload.size(), static_cast<size_t>(rcv_adv - seq));
  rcv_admitted = static_cast<uint32_t>(keep);
  const bool fin = seg.flags.fin() && keep == seg.payload.size();
  const SeqNum end = seq + static_cast<uint32_t>(keep) + (fin ? 1u : 0u);
  if (sack_ok)
    sack_rx.on_ofo_segment(ofo_ranges(rcvbuf), seq, end, true, prof().dsack, rcv_nxt, nullptr);
  rcvbuf.insert(seq, seg.payload.slice(0, keep), rcv_nxt);
  if (fin) rcvbuf.set_fin(seq + static_cast<uint32_t>(keep));
  // With SACK the window grows on out-of-order data too (without, it must not, so that the
  // sender sees pure duplicate ACKs).
  if (sack_ok && keep >= 128) {
    RcvWindow w = rwin_view();
    const auto len = static_cast<uint32_t>(keep);
    if (grow_window(w, rcv_window_config(prof()), rcv_space_now(), len, rx_truesize(len), advmss()))
      quick = std::max<uint32_t>(quick, 1);
    rwin_store(w);
  }
  last_rcv = now;
  ack_pending = true;
}

// tcp_send_dupack(): an unacceptable segment carrying old data is reported as a D-SACK
// [seq, min(end, rcv_nxt)) on the ACK that answers it.
void Connection::Tcb::note_duplicate(const Segment& seg) {
  const SeqNum end = seg.seq + seg.seq_len();
  if (seg.seq_len() == 0 || !(seg.seq < rcv_nxt)) return;
  sack_rx.on_old_segment(seg.seq, seq_min(end, rcv_nxt), rcv_nxt, sack_ok, prof().dsack, nullptr);
}

// Data at RCV.NXT: deliver it, then whatever it connects in the out-of-order queue, then a FIN
// that is now in order.
//
// First its memory (tcp_data_queue(), queue_and_out): when tcp_try_rmem_schedule() fails the
// next ACK goes at once (ICSK_ACK_NOW) and offers a zero window (ICSK_ACK_NOMEM); the data is
// dropped (TCPRcvQDrop) unless the receive queue is empty, when it is queued anyway
// (sk_forced_mem_schedule()) so that a reader always has something to make progress with.
void Connection::Tcb::queue_in_order(Instant now, SeqNum seq, const Payload& data, bool fin,
                                     Outbox& out) {
  bool forced = false;
  if (!rmem_schedule(now, seq, static_cast<uint32_t>(data.size()))) {
    ack_nomem = ack_pending = ack_now = true;
    if (!data.empty() && rcv_queue_bytes() > 0) {
      ++ctx.counters->TCPRcvQDrop;
      return;
    }
    forced = true;
  }
  // Beyond the right edge: trimmed, and the FIN with it.
  uint32_t wnd = static_cast<uint32_t>(rcv_adv - rcv_nxt);
  Payload d = data;
  if (d.size() > wnd) {
    d = d.slice(0, wnd);
    fin = false;
  }
  // A FIN seen out of order earlier marks the end of the stream.
  if (std::optional<SeqNum> f = rcvbuf.fin(); f && seq + static_cast<uint32_t>(d.size()) >= *f) {
    d = d.slice(0, static_cast<size_t>(*f - seq));
    fin = true;
    rcvbuf.clear_out_of_order();
  }
  bool had_ooo = rcvbuf.has_out_of_order();
  // What the queues held before was within the buffer, unless memory was forced: then it
  // counts on top of what the last admission already put past the limit.
  rcv_admitted = static_cast<uint32_t>(d.size()) + (forced ? rcv_admitted : 0);
  if (!d.empty()) {
    rcv_nxt = seq + static_cast<uint32_t>(d.size());
    deliver(now, d, out);  // tcp_queue_rcv(), then tcp_event_data_recv() sees it queued
    data_received(now, d.size());
  }
  if (had_ooo) {
    // tcp_ofo_queue(): held data below the new rcv_nxt duplicated what just arrived: D-SACK.
    if (sack_ok) sack_rx.on_ofo_drained(ofo_ranges(rcvbuf), rcv_nxt, true, prof().dsack, nullptr);
    std::vector<Payload> more;
    rcvbuf.take_in_order(rcv_nxt, more);
    for (const Payload& p : more)
      deliver(now, p, out);
    if (rcvbuf.fin() && *rcvbuf.fin() == rcv_nxt) {
      fin = true;
      rcvbuf.clear_out_of_order();
    }
    // RFC 5681 §4.2: an ACK at once when a gap in the queue is filled.
    if (!rcvbuf.has_out_of_order()) ack_now = true;
  }
  // tcp_sack_remove(): blocks now below rcv_nxt go; all of them once the queue is empty.
  sack_rx.remove_covered(rcv_nxt, !rcvbuf.has_out_of_order());
  if (fin) process_fin(now, out);
}

// tcp_queue_rcv(), then tcp_data_ready(). An auto-reading application with SO_RCVLOWAT above 1
// is woken only once enough is queued, and then reads all of it.
void Connection::Tcb::deliver(Instant, const Payload& data, Outbox& out) {
  RcvAutotune& a = autotune();
  stats.bytes_received += data.size();
  if (opts.auto_read && opts.rcvlowat <= 1) {
    // Read by the application once this input is done (app_read_delivered()).
    a.unread += static_cast<uint32_t>(data.size());
    notify(AppNotice::Kind::data, out, SocketError::none, data);
  } else {
    rcvbuf.push_readable(data);
    unannounced += static_cast<uint32_t>(data.size());
    data_ready(out);
  }
}

// tcp_epollin_ready(sk, sk->sk_rcvlowat): bytes queued, and SO_RCVLOWAT of them, or the
// buffer nearly full (tcp_rmem_pressure(): memory pressure, or sk_rmem_alloc above 7/8 of
// sk_rcvbuf), or a receive window of at most one segment left (the sender could not send the
// rest).
bool Connection::Tcb::epollin_ready() const {
  const size_t avail = rcvbuf.readable();
  if (avail == 0) return false;
  const uint32_t buf = rcv_space();
  const bool pressure = mem_pressure() || rmem_alloc() > buf - (buf >> 3);
  const uint32_t wnd = rcv_adv > rcv_nxt ? static_cast<uint32_t>(rcv_adv - rcv_nxt) : 0;
  return avail >= rcvlowat(opts) || pressure || wnd <= rcv_mss;
}

// tcp_data_ready(): "if (tcp_epollin_ready(sk, sk->sk_rcvlowat) || sock_flag(sk, SOCK_DONE))
// sk->sk_data_ready(sk)". A program reading with read() is told the bytes are readable; an
// auto-reading one reads them all (their copy as app_read_delivered() times it). `done`: the
// FIN came (SOCK_DONE), what is queued is read whatever SO_RCVLOWAT says.
void Connection::Tcb::data_ready(Outbox& out, bool done) {
  if (rcvbuf.readable() == 0 || (!done && !epollin_ready())) return;
  if (!opts.auto_read) {
    notify(AppNotice::Kind::data, out, SocketError::none, {}, std::exchange(unannounced, 0));
    return;
  }
  Payload all = rcvbuf.read(rcvbuf.readable());
  autotune().unread += static_cast<uint32_t>(all.size());
  notify(AppNotice::Kind::data, out, SocketError::none, std::move(all));
}

// tcp_event_data_recv() and tcp_measure_rcv_mss(): schedule an ACK and adapt the delayed-ACK
// timeout `ato` to the inter-arrival time; the first data starts quick-ack mode.
void Connection::Tcb::data_received(Instant now, size_t len) {
  ack_pending = true;
  last_rcv = now;
  rcv_window_on_data(now, static_cast<uint32_t>(len));
  // In jiffies of the host's clock, as icsk_ack.ato and lrcvtime are (TCP_ATO_MIN = HZ/25).
  const KernelClock& clock = kclock();
  const uint64_t ato_min = clock.to_jiffies(prof().delayed_ack);
  const uint64_t rto_j = clock.to_jiffies(rto.rto());
  if (ato == Duration::zero()) {
    incr_quickack();
    ato = clock.span(ato_min);
  } else {
    const uint64_t a = clock.to_jiffies(ato);
    const uint32_t m = clock.jiffies(now) - clock.jiffies(lrcvtime);
    if (m <= ato_min / 2) {
      ato = clock.span((a >> 1) + ato_min / 2);
    } else if (m < a) {
      ato = clock.span(std::min((a >> 1) + m, rto_j));
    } else if (m > rto_j) {
      // A long silence: the sender restarts its window, so ACK quickly again.
      incr_quickack();
    }
  }
  lrcvtime = now;
}

// Eighth: the FIN (tcp_fin()). RCV.NXT covers it; the application hears EOF.
void Connection::Tcb::process_fin(Instant now, Outbox& out) {
  rcv_nxt += 1;
  // A FIN just at the right edge of a full window is accepted (it needs no buffer space).
  rcv_adv = seq_max(rcv_adv, rcv_nxt);
  last_rcv = now;
  ack_pending = true;
  rcvbuf.clear_out_of_order();                // "something out-of-order after FIN": dropped
  sack_rx.reset();                            // tcp_sack_reset(): blocks and a pending D-SACK too
  if (opts.auto_read) data_ready(out, true);  // bytes SO_RCVLOWAT held back
  notify(AppNotice::Kind::eof, out);
  switch (state) {
    case State::syn_received:
    case State::established:
      // The ACK is delayed in ping-pong mode so that an application closing at once sends
      // FIN+ACK; with no data ever received `ato` is 0 and it goes on the next tick.
      set_state(now, State::close_wait, StateCause::rcv_fin, out);
      pingpong = true;
      return;
    case State::fin_wait_1:
      send_ack(now, out);  // simultaneous close: ACK at once
      if (fin_acked()) {
        enter_time_wait(now, StateCause::rcv_fin_ack, out);
      } else {
        set_state(now, State::closing, StateCause::rcv_fin, out);
      }
      return;
    case State::fin_wait_2:
      send_ack(now, out);
      enter_time_wait(now, StateCause::rcv_fin, out);
      return;
    case State::closed:
    case State::listen:
    case State::syn_sent:
    case State::close_wait:
    case State::closing:
    case State::last_ack:
    case State::time_wait:
      return;
  }
}

// tcp_timewait_state_process(), TIME_WAIT substate.
void Connection::Tcb::input_time_wait(Instant now, const Segment& seg, Outbox& out) {
  const bool paws_reject = tw_paws_reject(now, seg);
  if (!paws_reject && seg.seq == rcv_nxt && (seg.seq_len() == 0 || seg.flags.rst())) {
    if (seg.flags.rst()) {
      // TIME_WAIT assassination (RFC 1337 hazard): Linux kills the socket unless
      // tcp_rfc1337 = 1, which is not the default.
      ++ctx.counters->rst_received;
      enter_closed(now, StateCause::rcv_rst, SocketError::none, out);
      return;
    }
    tw_at = timer_at(now, prof().time_wait);  // an in-window bare ACK restarts the timer, no reply
    if (ts_ok && seg.options.timestamps) {
      ts_recent = seg.options.timestamps->first;
      ts_recent_stamp = static_cast<uint32_t>(now.ns() / 1'000'000'000);
    }
    return;
  }
  if (tw_syn(now, seg)) {
    // TCP_TW_SYN: the stack reuses the 4-tuple when a listener exists (syn_may_reuse());
    // otherwise the SYN is ACKed (tcp_v4_timewait_ack()) without restarting the timer.
    send_ack(now, out);
    return;
  }
  if (seg.flags.rst()) return;  // an out-of-window RST is ignored
  // Anything else (a retransmitted FIN, old data, a segment failing PAWS): ACK it and, if it
  // carries ACK or failed PAWS, restart the 60 s. Only segments without payload or FIN (or
  // with SYN) are rate limited.
  if (seg.flags.ack() || paws_reject) tw_at = timer_at(now, prof().time_wait);
  if (seg.seq_len() > 0 && !seg.flags.syn()) {
    send_ack(now, out);
  } else {
    send_ack_rate_limited(now, out, false);
  }
}

// tcp_timewait_state_process(), FIN_WAIT2 substate: what an orphan in FIN_WAIT_2 still does.
void Connection::Tcb::input_orphan_fin_wait_2(Instant now, const Segment& seg, Outbox& out) {
  // tcp_in_window(): starts at RCV.NXT, or overlaps the window, or is empty at its edge.
  SeqNum end = seg.seq + seg.seq_len();
  bool in_window = seg.seq == rcv_nxt || (end > rcv_nxt && seg.seq < rcv_adv) ||
                   (seg.seq == rcv_adv && seg.seq == end);
  if (!in_window) {
    if (seg.flags.rst()) return;
    if (seg.seq_len() > 0 && !seg.flags.syn()) {
      send_ack(now, out);
    } else {
      send_ack_rate_limited(now, out, false);
    }
    return;
  }
  if (seg.flags.rst()) {
    ++ctx.counters->rst_received;
    enter_closed(now, StateCause::rcv_rst, SocketError::none, out);
    return;
  }
  if (seg.flags.syn() && seg.seq >= rcv_nxt) {
    send_reply_rst(seg, out);  // TCP_TW_RST: answered and the socket is gone
    enter_closed(now, StateCause::rcv_syn_after_close, SocketError::none, out);
    return;
  }
  // A duplicate ACK, or nothing new: nothing to do.
  if (!seg.flags.ack() || end <= rcv_nxt || seg.seq_len() == 0) return;
  // New data after a close: reset. Only a bare FIN at RCV.NXT is welcome.
  if (!seg.flags.fin() || end != rcv_nxt + 1) {
    send_reply_rst(seg, out);
    enter_closed(now, StateCause::rcv_data_after_close, SocketError::none, out);
    return;
  }
  rcv_nxt = end;
  last_rcv = now;
  send_ack(now, out);
  enter_time_wait(now, StateCause::rcv_fin, out);
}

}  // namespace netsim::tcp

// ================= the receive window (rcv_window.hpp; Linux 6.12) =================

namespace netsim::tcp {

// tp->advmss: our MSS (TCP_MAXSEG clamps it) less the timestamp option once agreed.
uint32_t Connection::Tcb::advmss() const {
  const uint32_t ours = opts.maxseg != 0 ? std::min(prof().mss, opts.maxseg) : prof().mss;
  return ours - (ts_ok ? 12 : 0);
}

// What __tcp_select_window() reads of the socket: sk_rcvbuf, the truesize the queued data
// holds (in-order unread plus out-of-order; netsim charges each byte at the measured ratio, so
// a full buffer of full segments is exactly what Linux would count) and rcv_mss.
RcvSpace Connection::Tcb::rcv_space_now() const {
  RcvSpace sp;
  sp.rcvbuf = rcv_space();
  sp.rmem_alloc = rmem_alloc();
  sp.rcv_mss = rcv_mss;
  sp.mem_pressure = mem_pressure();
  return sp;
}

// The tcp_sock window fields as rcv_window.hpp's functions take them: rcv_wnd is the size of
// the last advertisement (its right edge rcv_adv, made at rcv_wup).
RcvWindow Connection::Tcb::rwin_view() const {
  RcvWindow w;
  w.rcv_wnd = rcv_adv > rcv_wup ? static_cast<uint32_t>(rcv_adv - rcv_wup) : 0;
  w.window_clamp = window_clamp;
  w.rcv_ssthresh = rcv_ssthresh;
  w.rcvq_space = drs ? drs->space : 0;
  w.rcv_wup = rcv_wup;
  w.rcv_wscale = rcv_wscale;
  w.scaling_ratio = scaling_ratio;
  return w;
}

void Connection::Tcb::rwin_store(const RcvWindow& w) {
  window_clamp = w.window_clamp;
  rcv_ssthresh = w.rcv_ssthresh;
  scaling_ratio = w.scaling_ratio;
  if (drs) drs->space = w.rcvq_space;
}

// tcp_connect_init() / tcp_create_openreq_child(): rcv_ssthresh starts at the SYN (SYN-ACK)
// window, the clamp at tcp_select_initial_window()'s.
void Connection::Tcb::init_rcv_window(const InitialWindow& iw) {
  window_clamp = iw.window_clamp;
  rcv_ssthresh = iw.rcv_wnd;
  scaling_ratio = kDefaultScalingRatio;
}

// tcp_init_buffer_space() at ESTABLISHED: the clamp leaves one segment of the buffer to the
// application (tcp_app_win), rcv_ssthresh <= clamp. Without window scaling on both sides the
// clamp is at most 65535 (tcp_rcv_synsent_state_process(), tcp_create_openreq_child()).
void Connection::Tcb::init_buffer_space() {
  if (rcv_wscale == 0) window_clamp = std::min(window_clamp, kMaxWindow);
  RcvWindow w = rwin_view();
  netsim::tcp::init_buffer_space(w, rcv_window_config(prof()), rcv_space(), advmss());
  rwin_store(w);
}

// The DRS state, made at the first data received (tcp_init_buffer_space()'s rcvq_space:
// min(rcv_ssthresh, rcv_wnd, 10 * advmss), measured from ESTABLISHED).
RcvAutotune& Connection::Tcb::autotune() {
  if (!drs) {
    const uint32_t rcvbuf_now = rcv_space();
    drs = std::make_unique<RcvAutotune>();
    drs->rcvbuf = rcvbuf_now;
    const uint32_t wnd = rcv_adv > rcv_wup ? static_cast<uint32_t>(rcv_adv - rcv_wup) : 0;
    drs->space = std::min({rcv_ssthresh, wnd, 10 * advmss()});
    drs->space_time = stats.established_at.value_or(last_now);
    drs->space_copied = static_cast<uint32_t>(stats.bytes_received - rcvbuf.readable());
  }
  return *drs;
}

// tcp_event_data_recv() for `len` in-order bytes: tcp_measure_rcv_mss() (rcv_mss and the
// scaling ratio), tcp_rcv_rtt_measure(), and tcp_grow_window() for segments of >= 128 bytes,
// which makes the next ACK immediate when rcv_ssthresh grew (icsk_ack.quick |= 1).
void Connection::Tcb::rcv_window_on_data(Instant now, uint32_t len) {
  RcvAutotune& a = autotune();
  RcvWindow w = rwin_view();
  if (len >= rcv_mss) {
    measure_scaling_ratio(w, len, rcv_mss, rcv_space());
    rcv_mss = static_cast<uint16_t>(std::min(len, advmss()));
  }
  rcv_rtt_measure(a, rcv_nxt, w.rcv_wnd, now);
  if (len >= 128 &&
      grow_window(w, rcv_window_config(prof()), rcv_space_now(), len, rx_truesize(len), advmss()))
    quick = std::max<uint32_t>(quick, 1);
  rwin_store(w);
}

// tcp_rcv_rtt_measure_ts(): the receiver's RTT from the TSecr of a data segment.
void Connection::Tcb::rcv_rtt_ts(Instant now, const Segment& seg) {
  if (!ts_ok || !seg.options.timestamps || (seg.payload.empty() && !drs)) return;
  const uint32_t tsecr = seg.options.timestamps->second;
  rcv_rtt_measure_ts(autotune(), tsecr, tsval(now) - tsecr,
                     static_cast<uint32_t>(seg.payload.size()), rcv_mss);
}

// tcp_recvmsg() -> tcp_rcv_space_adjust(): DRS, once per receiver RTT.
void Connection::Tcb::rcv_space_adjust_after_read(Instant now) {
  if (!drs) return;
  RcvWindow w = rwin_view();
  const auto copied = static_cast<uint32_t>(stats.bytes_received - rcvbuf.readable() - drs->unread);
  rcv_space_adjust(*drs, w, rcv_window_config(prof()), advmss(), copied,
                   static_cast<uint32_t>(rcvbuf.readable()), opts.rcvbuf != 0, now);
  w.rcvq_space = drs->space;  // what DRS measured, not the view's copy
  rwin_store(w);
}

// An auto-reading application takes what this input delivered, after the ACK decision.
// With timed socket calls the read copies after the input, and the data stays counted until
// its copy ends (cleanup_rbuf(), host_syscall.cpp).
void Connection::Tcb::app_read_delivered(Instant now) {
  if (!drs || drs->unread == 0 || prof().timed_syscalls()) return;
  drs->unread = 0;
  rcv_space_adjust_after_read(now);
}

// __tcp_select_window(): the window this receiver would offer now.
uint32_t Connection::Tcb::free_window() const {
  return compute_window(rwin_view(), rcv_space_now());
}

// tcp_connect_init() -> tcp_select_initial_window(): the SYN's unscaled window (64240).
uint16_t Connection::Tcb::syn_window() const {
  return static_cast<uint16_t>(std::min(syn_rcv_window(prof(), opts).rcv_wnd, kMaxWindow));
}

// tcp_select_window(): never shrink the offered right edge (RFC 9293 §3.8.6.2.2, RFC 7323
// §2.4), round a scaled window up to a whole unit; rcv_wnd/rcv_wup record the offer. When the
// free space is below half the buffer, quick-ack mode ends (__tcp_select_window()) and, under
// memory pressure, rcv_ssthresh drops to 4 segments (tcp_adjust_rcv_ssthresh()).
//
// The one exception: data that found no memory (ICSK_ACK_NOMEM, queue_in_order()) makes this
// ACK offer a zero window at RCV.NXT ("Make the window 0 if we failed to queue the data because
// we are out of memory"), the right edge moving left; the flag goes with the ACK
// (tcp_event_ack_sent() clears icsk_ack.pending).
uint16_t Connection::Tcb::advertise_window() {
  if (ack_nomem) {
    ack_nomem = false;
    rcv_adv = rcv_nxt;
    return 0;
  }
  RcvWindow w = rwin_view();
  const RcvSpace sp = rcv_space_now();
  const int64_t full =
      std::min<int64_t>(w.window_clamp, win_from_space(w.scaling_ratio, sp.rcvbuf));
  if (win_from_space(w.scaling_ratio, static_cast<int64_t>(sp.rcvbuf) - sp.rmem_alloc) < full / 2) {
    quick = 0;
    if (sp.mem_pressure) {  // "if (tcp_under_memory_pressure(sk)) tcp_adjust_rcv_ssthresh(sk);"
      adjust_rcv_ssthresh();
      w.rcv_ssthresh = rcv_ssthresh;
    }
  }
  const SelectedWindow s = select_window(w, sp, rcv_nxt, rcv_window_config(prof()));
  // The right edge the peer was told: without a shift a clamp measured above 65535
  // (tcp_measure_rcv_mss()) still leaves 65535 on the wire.
  rcv_adv = rcv_nxt + std::min(w.rcv_wnd, max_rcv_window());
  return s.field;
}

}  // namespace netsim::tcp

// ================= receive memory (Linux 6.12 tcp_input.c) =================

namespace netsim::tcp {

// sk_rmem_alloc as netsim charges it: the bytes held (in-order unread plus out-of-order) at
// the measured scaling ratio. Computed here, not through rcv_space_now(), whose memory
// pressure test mem_sync() has no use for.
uint32_t Connection::Tcb::rmem_alloc() const {
  const uint64_t queued = rcvbuf.readable() + rcvbuf.out_of_order_bytes() + (drs ? drs->unread : 0);
  return space_from_win(scaling_ratio, queued);
}

// skb_queue_len(&sk->sk_receive_queue) != 0: in-order bytes not yet read, including what an
// auto-reading application is handed during this input (it reads after the ACK).
size_t Connection::Tcb::rcv_queue_bytes() const {
  return rcvbuf.readable() + (drs ? drs->unread : 0);
}

// tcp_try_rmem_schedule(): a segment may be queued while the queues hold at most sk_rcvbuf (the
// test is before the segment is added, so they may end one segment above it) and the host's
// TCP memory grants its cost (sk_rmem_schedule(), connection_mem.cpp: refused over tcp_mem[2],
// or under pressure to a socket above its share); otherwise tcp_prune_queue() must make room
// first, and while the host still refuses, out-of-order data is discarded one prune at a time.
bool Connection::Tcb::rmem_schedule(Instant now, SeqNum seq, uint32_t len) {
  const uint32_t size = space_from_win(scaling_ratio, len);
  if (rmem_alloc() <= rcv_space() && mem_schedule(now, size, MemKind::recv)) return true;
  if (!prune_queue(seq)) return false;
  while (!mem_schedule(now, size, MemKind::recv)) {
    if (!prune_ofo_queue(seq)) return false;
  }
  return true;
}

// tcp_prune_queue(): grow the buffer if it may grow (tcp_clamp_window()), else discard
// out-of-order data above the incoming segment; false ("drop frames until the reader catches
// up") when the queues still exceed the buffer. tcp_collapse_ofo_queue() and tcp_collapse(),
// which copy data into compact skbs to win back truesize, are not modelled: netsim charges held
// bytes at the measured ratio, not per skb, so there is no overhead to win back.
bool Connection::Tcb::prune_queue(SeqNum seq) {
  ++ctx.counters->PruneCalled;
  if (rmem_alloc() >= rcv_space()) {
    clamp_window();
  } else if (mem_pressure()) {
    adjust_rcv_ssthresh();
  }
  if (rmem_alloc() <= rcv_space()) return true;
  prune_ofo_queue(seq);
  if (rmem_alloc() <= rcv_space()) return true;
  ++ctx.counters->RcvPruned;
  return false;
}

// tcp_clamp_window(): leave quick-ack mode; a buffer SO_RCVBUF did not lock grows to what the
// queues hold (up to tcp_rmem[2]) unless the host is short of TCP memory (under pressure or
// holding tcp_mem[0]); if they still exceed it, rcv_ssthresh drops to two segments.
void Connection::Tcb::clamp_window() {
  quick = 0;
  const uint32_t rmem_max = rcv_window_config(prof()).rmem[2];
  if (opts.rcvbuf == 0 && rcv_space() < rmem_max && mem_may_grow_rcvbuf())
    autotune().rcvbuf = std::max(rcv_space(), std::min(rmem_alloc(), rmem_max));
  if (rmem_alloc() > rcv_space()) rcv_ssthresh = std::min(window_clamp, 2 * advmss());
}

// tcp_prune_ofo_queue(): discard out-of-order data from the highest sequence down, but never
// what lies below the incoming segment, checking the memory after each eighth of the buffer
// (under memory pressure it goes on: "&& !tcp_under_memory_pressure(sk)").
// Any discard resets the SACK state (tcp_sack_reset()): "we care only about integrity of the
// connection not performance".
bool Connection::Tcb::prune_ofo_queue(SeqNum seq) {
  const int64_t step = rcv_space() >> 3;
  int64_t goal = step;
  bool pruned = false;
  while (std::optional<SeqNum> last = rcvbuf.last_piece_seq()) {
    if (seq > *last) break;  // the incoming segment would land last
    const size_t freed = rcvbuf.drop_last_piece();
    pruned = true;
    goal -= space_from_win(scaling_ratio, freed);
    if (!rcvbuf.last_piece_seq() || goal <= 0) {
      if (rmem_alloc() <= rcv_space() && !mem_pressure()) break;
      goal = step;
    }
  }
  if (!pruned) return false;
  ++ctx.counters->OfoPruned;
  if (sack_ok) sack_rx.reset();
  return true;
}

}  // namespace netsim::tcp
