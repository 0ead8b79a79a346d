// Segment arrival, in the order of RFC 9293 §3.10.7 "SEGMENT ARRIVES" (step numbers in the
// comments), with Linux's choices where the RFC leaves room: tcp_rcv_synsent_state_process(),
// tcp_validate_incoming(), tcp_ack(), tcp_rcv_state_process(), tcp_data_queue(), tcp_fin(),
// and tcp_timewait_state_process() for TIME_WAIT and the orphaned FIN_WAIT_2.

#include <algorithm>

#include "protocols/tcp/tcb.hpp"

namespace netsim::tcp {

void Connection::Tcb::on_segment(Instant now, const Segment& seg, Outbox& out) {
  switch (state) {
    case State::closed:
    case State::listen:
      return;  // a released connection: the stack answers for the port
    case State::syn_sent:
      input_syn_sent(now, seg, out);
      return;
    case State::time_wait:
      input_time_wait(now, seg, out);
      return;
    case State::fin_wait_2:
      if (orphaned) {
        input_orphan_fin_wait_2(now, seg, out);
        return;
      }
      input_synchronized(now, seg, out);
      return;
    case State::syn_received:
    case State::established:
    case State::fin_wait_1:
    case State::close_wait:
    case State::closing:
    case State::last_ack:
      input_synchronized(now, seg, out);
      return;
  }
}

// §3.10.7.3 SYN-SENT STATE.
void Connection::Tcb::input_syn_sent(Instant now, const Segment& seg, Outbox& out) {
  // First, check the ACK bit: it must acknowledge our SYN and nothing else.
  if (seg.flags.ack() && (seg.ack <= iss || seg.ack > snd_nxt)) {
    if (!seg.flags.rst()) send_reply_rst(seg, out);  // <SEQ=SEG.ACK><CTL=RST>
    return;
  }
  // Second, check the RST bit: acceptable only with an acceptable ACK (tcp_reset():
  // ECONNREFUSED); a RST without ACK is dropped.
  if (seg.flags.rst()) {
    if (seg.flags.ack()) {
      ++ctx.counters->rst_received;
      enter_closed(now, StateCause::rcv_rst, SocketError::econnrefused, out);
    }
    return;
  }
  // Third, security and compartment: not modelled. Fourth, the SYN bit.
  if (!seg.flags.syn()) return;  // Fifth: neither SYN nor RST: drop.
  irs = seg.seq;
  rcv_nxt = irs + 1;
  rcv_wup = rcv_nxt;
  rcv_adv = rcv_nxt + syn_window();  // what our SYN offered
  set_peer_mss(seg.options.mss.value_or(0));
  negotiate_options(now, seg);
  snd_wnd = seg.window;  // a SYN's window is never scaled
  max_snd_wnd = snd_wnd;
  snd_wl1 = seg.seq;
  if (!seg.flags.ack()) {
    // Simultaneous open: SYN-RECEIVED, and a SYN-ACK that carries our original ISN. The SYN
    // timer keeps running and now retransmits the SYN-ACK (tcp_rcv_synsent_state_process(),
    // "simultaneous connect with crossed SYNs"). Data on the SYN is not kept, as in Linux.
    set_state(now, State::syn_received, StateCause::rcv_syn, out);
    last_rcv = now;
    send_syn(now, false, out);
    return;
  }
  // Our SYN is acknowledged: ESTABLISHED.
  snd_wl2 = seg.ack;
  last_rcv = now;
  syn_acked(now, seg);
  snd_una = seg.ack;
  rtx_at = kNever;
  enter_established(now, StateCause::rcv_syn_ack, out);
  // RFC 9293 would continue at the sixth step with data or a FIN on the SYN-ACK; Linux
  // (without Fast Open) discards them after tcp_finish_connect() and ACKs the SYN-ACK at
  // once, so the peer retransmits them. Data queued meanwhile carries that ACK.
  ack_pending = true;
  ack_now = true;
  after_input(now, out);
}

// Our SYN (or a simultaneous open's SYN-ACK) is acknowledged by `seg`: the handshake's RTT
// and the congestion controller.
void Connection::Tcb::syn_acked(Instant now, const Segment& seg) {
  std::optional<Duration> seq_rtt;
  if (syn_rtx == 0) seq_rtt = now - syn_sent_at;
  handshake_rtt(now, seq_rtt, seg.options.timestamps ? seg.options.timestamps->second : 0);
  retransmits = 0;
  retrans_stamp = kNever;
  start_congestion_control(seg.options.timestamps ? seg.options.timestamps->second : 0);
  if (sca) {  // written to in SYN_SENT: tcp_init_transfer() sets its cwnd all the same
    sca->sk.snd_cwnd = initial_cwnd();
    CaEnv env;
    env.clock = kclock();
    env.now = now;
    take_handshake_rtt(env.jiffies());
  }
}

// tcp_ack_update_rtt() for the handshake. Karn's rule takes no sample from a retransmitted SYN
// or SYN-ACK (`seq_rtt` empty: tcp_clean_rtx_queue() found TCPCB_RETRANS on the SYN, or
// tcp_synack_rtt_meas() a request with num_retrans); then the echoed TSecr gives one ("if
// (seq_rtt_us < 0 && tp->rx_opt.saw_tstamp && tp->rx_opt.rcv_tsecr && flag & FLAG_ACKED)",
// FLAG_SYN_ACKED counting as acked). Only without either does tcp_init_metrics() find srtt_us
// 0 and set the first data RTO to TCP_TIMEOUT_FALLBACK (RFC 6298 5.7).
void Connection::Tcb::handshake_rtt(Instant now, std::optional<Duration> seq_rtt, uint32_t tsecr) {
  if (!seq_rtt) seq_rtt = tsecr_rtt(now, tsecr);
  if (seq_rtt) {
    rto.sample(*seq_rtt, snd_una, snd_nxt);
  } else {
    rto.set_fallback(prof().rto_fallback);
  }
}

// tcp_init_transfer(), reached with the ACK of our SYN (SYN-ACK) whose TSecr is `tsecr` (0:
// none). With SACK the connection runs CongestionOps on first transmission
// (connection_sack.cpp), which takes initial_cwnd().
void Connection::Tcb::start_congestion_control(uint32_t tsecr) {
  // tcp_try_undo_spurious_syn(): the timeout was spurious if the ACK echoes the first SYN's
  // (SYN-ACK's) TSval, retrans_stamp (tcp_connect(), tcp_create_openreq_child()). Linux
  // compares with the offset removed and only a non-zero TSecr keeps it (tcp_parse_options()).
  if (syn_undo && tsecr != 0 && tsecr == tsval(syn_sent_at)) syn_undo = false;
  if (sack_path()) {
    cc.reset();
    return;
  }
  cc = make_congestion_control(prof().congestion, mss, prof().initial_cwnd, iss, initial_cwnd());
}

// tcp_init_transfer(): "if (tp->total_retrans > 1 && tp->undo_marker) tcp_snd_cwnd_set(tp, 1)"
// (RFC 5681 §3.1's cwnd of one after a lost SYN; Linux waits for a second retransmission
// since RFC 6298's 1 s initial RTO makes one spurious timeout likely), else tcp_init_cwnd().
uint32_t Connection::Tcb::initial_cwnd() const {
  if (syn_rtx > 1 && syn_undo) return 1;
  return std::max<uint32_t>(prof().initial_cwnd, 1);
}

// §3.10.7.4 Other states (SYN-RECEIVED and the synchronized states except TIME-WAIT).
void Connection::Tcb::input_synchronized(Instant now, const Segment& seg, Outbox& out) {
  if (paws_rejects(now, seg)) {
    // tcp_validate_incoming(): PAWSEstabRejected, a duplicate ACK (rate limited), discard.
    send_ack_rate_limited(now, out, false);
    return;
  }
  if (!check_sequence(now, seg, out)) return;  // first
  take_ts_recent(now, seg);                    // tcp_replace_ts_recent()
  if (!check_rst(now, seg, out)) return;       // second
  // Third, security and compartment: not modelled.
  if (!check_syn(now, seg, out)) return;  // fourth
  // Fifth, "if the ACK bit is off, drop the segment and return".
  if (!seg.flags.ack()) return;
  if (!process_ack(now, seg, out)) return;
  // Sixth, the URG bit: urgent data is not modelled (the pointer is ignored).
  // Seventh and eighth: segment text and FIN.
  if (!process_text(now, seg, out)) return;
  if (state == State::fin_wait_1 && fin_acked()) fin_wait_1_acked(now, out);
  after_input(now, out);
}

// Linux tcp_sequence(), the acceptance test of RFC 9293's first step written as "ends at or
// after the last window update and starts no later than the right edge"; it also admits old
// duplicates so that they are answered by the text step with an immediate ACK.
bool Connection::Tcb::sequence_acceptable(const Segment& seg) const {
  SeqNum end = seg.seq + seg.seq_len();
  return end >= rcv_wup && seg.seq <= rcv_adv;
}

// tcp_reset_check(): after the peer's FIN, a RST at RCV.NXT - 1 is accepted too.
bool Connection::Tcb::reset_check(const Segment& seg) const {
  return seg.seq == rcv_nxt - 1 &&
         (state == State::close_wait || state == State::last_ack || state == State::closing);
}

// First: check the sequence number. An unacceptable segment is answered by an ACK unless it
// is a RST; a SYN gets a challenge ACK whatever its sequence number (RFC 5961 §4).
bool Connection::Tcb::check_sequence(Instant now, const Segment& seg, Outbox& out) {
  if (sequence_acceptable(seg)) return true;
  if (seg.flags.rst()) {
    if (reset_check(seg)) on_rst(now, out);
    return false;
  }
  if (seg.flags.syn()) {
    send_ack_rate_limited(now, out, true);
  } else if (seg.seq_len() > 0) {
    // tcp_send_dupack(): data (never rate limited) forces quick-ack mode and an ACK.
    if (seg.seq < rcv_nxt) enter_quickack_mode();
    note_duplicate(seg);  // its D-SACK
    send_ack(now, out);
  } else {
    send_ack_rate_limited(now, out, false);
  }
  return false;
}

// Second: check the RST bit (RFC 5961 §3.2): reset only on an exact match of RCV.NXT,
// challenge ACK for any other in-window RST.
bool Connection::Tcb::check_rst(Instant now, const Segment& seg, Outbox& out) {
  if (!seg.flags.rst()) return true;
  if (seg.seq == rcv_nxt || reset_check(seg)) {
    on_rst(now, out);
  } else {
    send_ack_rate_limited(now, out, true);
  }
  return false;
}

// tcp_reset(): the error depends on the state; the connection is gone, nothing is sent.
void Connection::Tcb::on_rst(Instant now, Outbox& out) {
  ++ctx.counters->rst_received;
  SocketError err = SocketError::econnreset;
  if (state == State::syn_sent) err = SocketError::econnrefused;
  if (state == State::close_wait) err = SocketError::epipe;
  enter_closed(now, StateCause::rcv_rst, err, out);
}

// Fourth: a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4). The exception is
// the peer's SYN-ACK in a simultaneous open, which completes our SYN-RECEIVED (Linux
// tcp_validate_incoming() "goto pass").
bool Connection::Tcb::check_syn(Instant now, const Segment& seg, Outbox& out) {
  if (!seg.flags.syn()) return true;
  if (state == State::syn_received && seg.flags.ack() && seg.seq_len() == 1 &&
      seg.seq + 1 == rcv_nxt && seg.ack == snd_nxt) {
    return true;
  }
  send_ack_rate_limited(now, out, true);
  return false;
}

// Fifth: the ACK field (tcp_ack()). Returns false when the segment is finished with.
bool Connection::Tcb::process_ack(Instant now, const Segment& seg, Outbox& out) {
  if (state == State::syn_received && !ack_syn_received(now, seg, out)) return false;
  SeqNum oldest_ok = snd_una - std::max<uint32_t>(max_snd_wnd, 1);
  if (seg.ack > snd_nxt) {
    // Acknowledges something not yet sent. Linux drops it silently in ESTABLISHED and sends
    // a challenge ACK in the other states (FLAG_NO_CHALLENGE_ACK; RFC 9293: "send an ACK").
    if (state != State::established) send_ack_rate_limited(now, out, true);
    return false;
  }
  if (seg.ack < oldest_ok) {
    send_ack_rate_limited(now, out, true);  // RFC 5961 §5.2 blind data injection mitigation
    return false;
  }
  if (seg.ack < snd_una) return true;  // an old ACK: ignore it, keep the text
  // A valid ACK: the peer is alive (rcv_tstamp, icsk_probes_out = 0).
  last_rcv = now;
  ka_probes = 0;
  persist_probes = 0;
  bool dup = seg.ack == snd_una && seg.payload.empty() && !seg.flags.syn() && !seg.flags.fin() &&
             wnd_from(seg) == snd_wnd &&
             snd_una != snd_nxt;  // RFC 5681 §2 "DUPLICATE ACKNOWLEDGMENT"
  bool nothing_in_flight = snd_una == snd_nxt;
  uint32_t cwnd_before = out.tracing ? cwnd_bytes() : 0;  // for trace_cwnd() only
  // FLAG_NOT_DUP: FLAG_DATA (seq != end_seq, so a FIN too) or a window update.
  const bool not_dup = !seg.payload.empty() || seg.flags.fin() || wnd_from(seg) != snd_wnd;
  update_window(seg);
  if (seg.ack > snd_una && snd_una == iss) ack_of_syn(now, seg, out);
  if (sack_path()) {
    ack_sack(now, seg, not_dup);
  } else if (seg.ack > snd_una) {
    on_new_ack(now, seg.ack, out);
  } else if (dup) {
    on_dup_ack(now, out);
  }
  if (nothing_in_flight) ack_probe(now);
  trace_cwnd(cwnd_before, out);
  return ack_state_transitions(now, seg, out);
}

// SYN-RECEIVED: an acceptable ACK completes the (simultaneous) open; otherwise
// <SEQ=SEG.ACK><CTL=RST>.
bool Connection::Tcb::ack_syn_received(Instant now, const Segment& seg, Outbox& out) {
  if (seg.ack > snd_una && seg.ack <= snd_nxt) {
    snd_wnd = wnd_from(seg);
    max_snd_wnd = std::max(max_snd_wnd, snd_wnd);
    snd_wl1 = seg.seq;
    snd_wl2 = seg.ack;
    enter_established(now, seg.flags.syn() ? StateCause::rcv_syn_ack : StateCause::rcv_ack, out);
    return true;
  }
  send_reply_rst(seg, out);
  return false;
}

// tcp_may_update_window() / tcp_ack_update_window(): a newer segment (by SEQ, or by ACK, or
// the same SEQ with a larger window) updates SND.WND (RFC 9293 SND.WL1/SND.WL2 rule).
void Connection::Tcb::update_window(const Segment& seg) {
  uint32_t wnd = wnd_from(seg);
  if (seg.ack > snd_una || seg.seq > snd_wl1 || (seg.seq == snd_wl1 && wnd > snd_wnd)) {
    snd_wnd = wnd;
    snd_wl1 = seg.seq;
    snd_wl2 = seg.ack;
    max_snd_wnd = std::max(max_snd_wnd, snd_wnd);
  }
}

// SND.UNA < SEG.ACK <= SND.NXT: new data acknowledged (tcp_clean_rtx_queue()).
void Connection::Tcb::on_new_ack(Instant now, SeqNum ack, Outbox& out) {
  uint32_t flight_before = flight_size();
  uint32_t acked = static_cast<uint32_t>(ack - snd_una);
  SeqNum data_from = snd_una == iss ? iss + 1 : snd_una;
  SeqNum data_to = seq_min(ack, write_seq);
  uint32_t data_acked = data_to > data_from ? static_cast<uint32_t>(data_to - data_from) : 0;
  RtxQueue::AckResult r = rtx.acknowledge(ack);
  // Karn's rule: an RTT sample only when no retransmitted data is acknowledged.
  if (r.oldest_sent && !r.any_retransmitted) rto.sample(now - *r.oldest_sent, ack, snd_nxt);
  sndbuf.consume(data_acked);
  stats.bytes_sent += data_acked;
  snd_una = ack;
  retransmits = 0;  // tcp_ack(): forward progress
  if (!rtx.any_retransmitted()) retrans_stamp = kNever;
  if (retx_next < snd_una) retx_next = snd_una;
  if (loss_high <= snd_una) loss_high = retx_next = snd_una;  // the loss episode is over
  dupacks = 0;
  if (cc && cc->on_new_ack(ack, acked, flight_before, flight_size()) && !rtx.empty()) {
    retransmit(now, 0, out);  // NewReno partial ACK: the next hole, at once
  }
  // RFC 6298 5.2 / 5.3: stop the timer when all is acknowledged, else restart it.
  if (snd_una == snd_nxt) {
    rtx_at = kNever;
  } else {
    arm_rtx(now);
  }
}

// Our SYN-ACK acknowledged after a close()/shutdown() in SYN_RECEIVED (or the SYN-ACK of a
// simultaneous open): the handshake completes, in FIN_WAIT_1 for the former.
void Connection::Tcb::ack_of_syn(Instant now, const Segment& seg, Outbox& out) {
  syn_acked(now, seg);
  if (!stats.established_at) {
    stats.established_at = now;
    ++ctx.counters->connections_established;
    if (active_open) notify(AppNotice::Kind::connected, out);
  }
}

void Connection::Tcb::on_dup_ack(Instant now, Outbox& out) {
  ++dupacks;
  if (cc && cc->on_dup_ack(dupacks, snd_una, snd_nxt, flight_size()) && !rtx.empty()) {
    ++ctx.counters->TCPFastRetrans;
    retransmit(now, 0, out);  // RFC 5681 §3.2 step 2: fast retransmit
  }
}

// tcp_ack_probe(): an ACK while probing a zero window. If the next segment fits now, probing
// stops (the send path takes over); otherwise the probe timer restarts from now.
void Connection::Tcb::ack_probe(Instant now) {
  uint32_t unsent = unsent_data();
  bool fin_pending = fin_queued && !fin_sent();
  if (unsent == 0 && !fin_pending) return;
  uint32_t head = std::min<uint32_t>(unsent, mss) + (fin_pending && unsent <= mss ? 1 : 0);
  if (snd_nxt + head <= snd_una + snd_wnd) {
    persist_at = kNever;
    persist_backoff = 0;
  } else if (persist_at != kNever) {
    persist_at = timer_at(
        now,
        std::min(probe0_base() * (int64_t{1} << std::min(persist_backoff, 20u)), prof().rto_max));
  }
}

// The state changes an ACK of our FIN causes (tcp_rcv_state_process() step 5 switch).
bool Connection::Tcb::ack_state_transitions(Instant now, const Segment& seg, Outbox& out) {
  switch (state) {
    case State::fin_wait_1:
      // With the peer's FIN in the same segment the eighth step goes straight to TIME_WAIT.
      if (fin_acked() && !seg.flags.fin()) fin_wait_1_acked(now, out);
      return true;
    case State::closing:
      if (!fin_acked()) return true;
      enter_time_wait(now, StateCause::rcv_ack_of_fin, out);
      return false;
    case State::last_ack:
      if (!fin_acked()) return true;
      enter_closed(now, StateCause::rcv_ack_of_fin, SocketError::none, out);
      return false;
    case State::closed:
    case State::listen:
    case State::syn_sent:
    case State::syn_received:
    case State::established:
    case State::fin_wait_2:
    case State::close_wait:
    case State::time_wait:
      return true;
  }
  return true;
}

// FIN_WAIT_1 -> FIN_WAIT_2. An orphan lives at most tcp_fin_time() there; a socket that only
// shut down its sending side waits for the peer indefinitely.
void Connection::Tcb::fin_wait_1_acked(Instant now, Outbox& out) {
  set_state(now, State::fin_wait_2, StateCause::rcv_ack_of_fin, out);
  if (orphaned) {
    fw2_at = timer_at(now, fin_time());
    ka_at = kNever;
    dack_at = kNever;
  }
}

void Connection::Tcb::after_input(Instant now, Outbox& out) {
  if (state == State::closed || state == State::time_wait) return;
  chrono_after_ack(now);  // tcp_clean_rtx_queue()'s tcp_chrono_stop()
  transmit(now, out);     // tcp_data_snd_check(): tcp_push_pending_frames() ...
  check_space(out);       // ... then tcp_check_space()
  check_ack_to_send(now, out);
  app_read_delivered(now);  // the reader runs after the ACK: tcp_recvmsg()
}

}  // namespace netsim::tcp
