// Everything a connection sends: SYN / SYN-ACK, data segments under the send, congestion and
// Nagle rules (Linux tcp_write_xmit()), retransmissions, pure ACKs with the delayed-ACK logic
// (__tcp_ack_snd_check(), tcp_send_delayed_ack()), window probes, and RSTs.

#include <algorithm>

#include "protocols/tcp/rst.hpp"
#include "protocols/tcp/tcb.hpp"

namespace netsim::tcp {

Packet Connection::Tcb::make_packet(SeqNum seq, SeqNum ack, uint8_t flags, Payload data) const {
  Packet p;
  p.src = key.local.addr;
  p.dst = key.remote.addr;
  p.tcp.src_port = key.local.port;
  p.tcp.dst_port = key.remote.port;
  p.tcp.seq = seq;
  p.tcp.ack = (flags & TcpFlags::ACK) != 0 ? ack : SeqNum(0);
  p.tcp.flags = TcpFlags(flags);
  p.tcp.payload = std::move(data);
  return p;
}

// tcp_syn_options() (SYN: each option the sysctls allow) and tcp_synack_options() (SYN-ACK of a
// simultaneous open: each the SYN offered too); sim/wire.cpp writes them in tcp_options_write()'s
// order (mss, sackOK+TS, nop+wscale).
void Connection::Tcb::syn_options(Instant now, bool synack, TcpOptions& o) const {
  o.mss = opts.maxseg != 0 ? std::min(prof().mss, opts.maxseg) : prof().mss;  // tcp_mss_clamp()
  bool ts = synack ? ts_ok : prof().timestamps;
  bool ws = synack ? rcv_wscale != 0 || snd_wscale != 0 : prof().window_scaling;
  o.sack_permitted = synack ? sack_ok : prof().sack;
  if (ts) o.timestamps = std::pair<uint32_t, uint32_t>{tsval(now), synack ? ts_recent : 0};
  if (ws) o.window_scale = rcv_wscale;
}

// tcp_established_options() / tcp_options_write(): the receiver's blocks (connection_receive.cpp
// keeps them as Linux does: D-SACK first, then most recently changed first), at most 4, or 3
// beside timestamps (the 40 option bytes); the D-SACK goes once.
void Connection::Tcb::sack_blocks(TcpOptions& o) {
  SackOption opt = sack_rx.take_option(o.timestamps ? 12 : 0);
  for (const SackBlock& b : opt.view())
    o.sack.push_back(netsim::SackBlock{b.start, b.end});
}

// tcp_current_mss(): the send MSS less the SACK option the next segment carries.
uint32_t Connection::Tcb::current_mss() const {
  return mss - (sack_ok ? sack_rx.option_bytes(ts_ok ? 12 : 0) : 0);
}

// The one exit for segments. Every ACK-bearing segment acknowledges RCV.NXT, so it ends a
// pending delayed ACK and counts against quick-ack mode (tcp_event_ack_sent()).
void Connection::Tcb::emit(Instant now, Packet&& p, Outbox& out) {
  const TcpFlags f = p.tcp.flags;
  if (f.rst()) ++ctx.counters->rst_sent;
  // tcp_established_options(): TS on every segment once negotiated (RFC 7323 §3.2), TSecr
  // the latest TSval worth echoing.
  if (ts_ok && !f.syn()) p.tcp.options.timestamps = {tsval(now), ts_recent};
  if (sack_ok && f.ack() && !f.syn() && !f.rst()) sack_blocks(p.tcp.options);
  if (f.ack() && !f.rst() && !f.syn()) {
    ack_pending = false;
    ack_now = false;
    dack_at = kNever;
    rcv_wup = rcv_nxt;
    if (quick > 0) --quick;
  }
  out.packets.push_back(std::move(p));
}

// tcp_connect() / tcp_send_synack(): our ISN, the options of syn_options() and the unscaled
// SYN window.
void Connection::Tcb::send_syn(Instant now, bool retransmission, Outbox& out) {
  bool synack = state != State::syn_sent;
  Packet p = make_packet(iss, rcv_nxt, synack ? (TcpFlags::SYN | TcpFlags::ACK) : TcpFlags::SYN);
  p.tcp.window = syn_window();
  syn_options(now, synack, p.tcp.options);
  if (retransmission) p.retransmission = static_cast<uint16_t>(retransmits);
  if (synack) rcv_adv = seq_max(rcv_adv, rcv_nxt + syn_window());
  emit(now, std::move(p), out);
}

void Connection::Tcb::send_ack(Instant now, Outbox& out) {
  Packet p = make_packet(snd_nxt, rcv_nxt, TcpFlags::ACK);
  p.tcp.window = advertise_window();
  emit(now, std::move(p), out);
}

// tcp_oow_rate_limited() / tcp_send_challenge_ack(): at most one such ACK per
// tcp_invalid_ratelimit (500 ms) per connection, so two stacks cannot loop on ACKs.
void Connection::Tcb::send_ack_rate_limited(Instant now, Outbox& out, bool challenge) {
  if (last_oow_ack != kNever && now - last_oow_ack < kInvalidRateLimit) return;
  last_oow_ack = now;
  if (challenge) ++ctx.counters->challenge_acks;
  send_ack(now, out);
}

// tcp_send_active_reset(): RST+ACK, seq = SND.NXT, ack = RCV.NXT.
void Connection::Tcb::send_active_rst(Instant now, Outbox& out) {
  Packet p = make_packet(snd_nxt, rcv_nxt, TcpFlags::RST | TcpFlags::ACK);
  p.tcp.window = advertise_window();
  emit(now, std::move(p), out);
}

// A RST answering a segment this connection refuses (tcp_v4_send_reset(), shared with the
// stack's closed-port replies): never an answer to a RST.
void Connection::Tcb::send_reply_rst(const Segment& offending, Outbox& out) {
  Packet in;
  in.src = key.remote.addr;
  in.dst = key.local.addr;
  in.tcp = offending;
  if (std::optional<Packet> rst = make_reply_rst(in)) {
    ++ctx.counters->rst_sent;
    out.packets.push_back(std::move(*rst));
  }
}

// tcp_xmit_probe_skb(): an ACK with an old sequence number (SND.UNA - 1) that the peer must
// answer with an ACK carrying its window. Used by keepalive and zero-window probing.
void Connection::Tcb::send_probe(Instant now, Outbox& out) {
  Packet p = make_packet(snd_una - 1, rcv_nxt, TcpFlags::ACK);
  p.tcp.window = advertise_window();
  emit(now, std::move(p), out);
}

// tcp_write_xmit() after an ACK or a write: first the segments an RTO declared lost, then new
// data while the windows allow, then the persist timer if nothing can move.
void Connection::Tcb::transmit(Instant now, Outbox& out) {
  switch (state) {
    case State::established:
    case State::close_wait:
    case State::fin_wait_1:
    case State::closing:
    case State::last_ack:
      break;
    case State::closed:
    case State::listen:
    case State::syn_sent:
    case State::syn_received:
    case State::fin_wait_2:
    case State::time_wait:
      return;
  }
  // Closed in SYN_RECEIVED before our SYN-ACK was acknowledged: RFC 9293 §3.10.4 sends the
  // FIN at once if nothing was written, otherwise everything waits for ESTABLISHED.
  if (snd_una == iss && unsent_data() > 0) return;
  const bool had_unsent = unsent_data() > 0 || (fin_queued && !fin_sent());
  const SeqNum nxt = snd_nxt;
  sync_write_queue();
  wq.piece_active = false;  // each tcp_write_xmit() starts at an skb's head
  if (sack_path()) {
    // tcp_xmit_recovery(): F-RTO's new data first (REXMIT_NEW), else the Lost segments.
    uint32_t sent = 0;
    bool retransmit_lost_now = true;
    if (sca && sca->frto_new_data) {
      sca->frto_new_data = false;
      while (send_new_segment(now, out))
        ++sent;
      if (snd_nxt > lr().high_seq()) {
        retransmit_lost_now = false;
      } else {
        lr().frto_no_new_data();
      }
    }
    if (retransmit_lost_now) sack_retransmit_lost(now, out);
    while (send_new_segment(now, out))
      ++sent;
    if (sent > 0 || sca) sack_after_write(now, sent);
  } else {
    retransmit_lost(now, out);
    while (send_new_segment(now, out)) {
    }
  }
  chrono_after_xmit(now, had_unsent, snd_nxt > nxt);
  check_probe_timer(now);
}

// Go-back-N after a timeout (Linux marks every outstanding segment lost in tcp_enter_loss()
// and resends them in order as the window reopens, tcp_xmit_retransmit_queue()).
bool Connection::Tcb::retransmit_lost(Instant now, Outbox& out) {
  bool sent = false;
  uint32_t cwnd = cc ? cc->cwnd() : kMaxWindow;
  while (retx_next < loss_high) {
    size_t i = rtx.find(retx_next);
    if (i == rtx.size()) break;
    const SentSegment& s = rtx.at(i);
    if (flight_size() + s.len > cwnd) break;
    // tcp_retransmit_skb(): nothing beyond the offered window except the head.
    if (s.seq >= snd_una + snd_wnd && s.seq != snd_una) break;
    retx_next = s.end();
    retransmit(now, i, out);
    sent = true;
  }
  return sent;
}

// tcp_write_xmit() one segment at a time: the first segment of an skb passes the window,
// congestion and Nagle tests and fixes the GSO piece that leaves with it (start_piece()); the
// piece's other segments follow without tests, as one GSO packet does.
bool Connection::Tcb::send_new_segment(Instant now, Outbox& out) {
  uint32_t unsent = unsent_data();
  bool fin_pending = fin_queued && !fin_sent();
  if (unsent == 0 && !fin_pending) return false;
  const uint32_t mss_now = current_mss();
  if (wq.piece_active && snd_nxt < wq.piece_end) {
    uint32_t len = std::min<uint32_t>(static_cast<uint32_t>(wq.piece_end - snd_nxt), mss_now);
    bool with_fin = fin_pending && len == unsent;
    send_data(now, snd_nxt, len, with_fin, wq.piece_psh && snd_nxt + len == wq.piece_end, out);
    return true;
  }
  wq.piece_active = false;
  // The head skb's first segment after tcp_grow_skb(): a record's end (MSG_EOR) cuts it short,
  // and only the write queue's last skb is tested by Nagle (tcp_write_xmit(): "tcp_skb_is_last()
  // ? nonagle : TCP_NAGLE_PUSH").
  bool last_skb = true;
  uint32_t len = wq.head() != nullptr ? wq.first_segment(snd_nxt, mss_now, last_skb)
                                      : std::min<uint32_t>(unsent, mss_now);
  bool with_fin = fin_pending && len == unsent;
  // tcp_snd_wnd_test(): the whole segment (a FIN counts) must fit in the offered window.
  if (snd_nxt + len + (with_fin ? 1u : 0u) > snd_una + snd_wnd) return false;
  // tcp_cwnd_test(), plus RFC 3042 limited transmit: the first two duplicate ACKs each let
  // one new segment go (Linux gets the same from counting them as left the network).
  uint32_t flight = flight_size();
  if (sack_path() && !sack_cwnd_allows()) return false;
  if (cc && flight > 0) {
    uint32_t allowance = cc->cwnd();
    if (!cc->in_recovery()) allowance += std::min<uint32_t>(dupacks, 2) * mss;
    if (flight + std::max<uint32_t>(len, 1) > allowance) return false;
  }
  // Nagle with Minshall's variant (tcp_nagle_test(), tcp_minshall_check()): a segment
  // smaller than the MSS waits while an earlier small segment is unacknowledged; a segment
  // carrying the FIN never waits.
  if (last_skb && nagle_holds(len, mss_now, with_fin)) return false;  // and CORK / NODELAY
  // tcp_slow_start_after_idle_check(): restart the window after an idle RTO.
  if (cc && snd_nxt == snd_una && last_send != Instant::zero() && now - last_send > rto.rto()) {
    uint32_t before = cc->cwnd();
    cc->on_idle_restart(now - last_send, rto.rto());
    trace_cwnd(before, out);
  }
  if (sack_path() && rtx.empty()) {
    const uint32_t before = cwnd_bytes();
    CaEnv env;
    env.clock = kclock();
    env.now = now;
    env.snd_una = snd_una;
    env.snd_nxt = snd_nxt;
    tcp_slow_start_after_idle_check(sender().sk, env, ca_ops(), 0, rto.rto(), true);
    trace_cwnd(before, out);
  }
  start_piece(mss_now);
  // tcp_small_queue_check() after tso_fragment(): the piece waits for a TX completion.
  if (small_queue_holds(now, static_cast<uint32_t>(wq.piece_end - snd_nxt))) {
    wq.piece_active = false;
    return false;
  }
  len = std::min<uint32_t>(static_cast<uint32_t>(wq.piece_end - snd_nxt), mss_now);
  with_fin = fin_pending && len == unsent;
  send_data(now, snd_nxt, len, with_fin, wq.piece_psh && snd_nxt + len == wq.piece_end, out);
  return true;
}

// The writes not yet cut into skbs (everything beyond the last skb and SND.NXT), as one
// tcp_sendmsg_locked() call each time the connection transmits.
void Connection::Tcb::sync_write_queue() {
  wq.sent(snd_nxt);
  SeqNum from = wq.empty() ? snd_nxt : wq.back_end();
  if (write_seq <= from) return;
  uint32_t goal = tcp_xmit_size_goal(current_mss(), max_snd_wnd);
  wq.write(from, write_seq, snd_nxt, goal, max_snd_wnd, pushed_seq, true, true, wq.uncut_flags);
  wq.uncut_flags = 0;
}

// tcp_cwnd_test(): min(cwnd - in_flight, max(cwnd / 2, 1)) segments, "to have at least 2 GSO
// packets in flight". Without SACK netsim's byte-counted window is read in segments.
uint32_t Connection::Tcb::cwnd_quota() {
  uint32_t cwnd = 0;
  uint32_t in_flight = 0;
  if (sack_path()) {
    cwnd = sender().sk.snd_cwnd;
    in_flight = lr().in_flight(packets_out());
  } else if (cc) {
    cwnd = std::max<uint32_t>(cc->cwnd() / std::max<uint32_t>(mss, 1), 1);
    in_flight = packets_out();
  } else {
    return 65535;
  }
  // Never 0 here: the segment already passed netsim's own window test (limited transmit).
  uint32_t room = in_flight < cwnd ? cwnd - in_flight : 1;
  return std::min(std::max(cwnd >> 1, 1u), room);
}

// The GSO piece tcp_write_xmit() sends from the skb at SND.NXT: tcp_grow_skb() tops a short
// head skb up from the next, then tcp_mss_split_point() cuts it at min(cwnd quota,
// tcp_tso_segs()) segments, at the window's edge, and before a partial last segment Nagle
// holds (tso_fragment()). The wire has PSH on the piece's last segment when it holds more than
// one segment (__tcp_transmit_skb(): "Force a PSH flag on all (GSO) packets") or when it ends
// the skb and the skb was marked.
void Connection::Tcb::start_piece(uint32_t mss_now) {
  sync_write_queue();
  wq.piece_active = true;
  SkbMark* skb = wq.head();
  if (skb == nullptr) {  // a FIN alone (tcp_send_fin(): a new skb with ACK|FIN)
    wq.piece_end = snd_nxt;
    wq.piece_psh = false;
    return;
  }
  uint64_t rate = 0;
  uint32_t min_rtt_us = 0;
  if (sack_path()) {
    rate = sender().pacing_rate;
    min_rtt_us = static_cast<uint32_t>(sender().min_rtt().ns() / 1000);
  } else if (cc && active_open && snd_una == iss + 1) {
    rate = handshake_pacing_rate();  // until the first ACK of data
    min_rtt_us = static_cast<uint32_t>(rto.srtt().ns() / 1000);
  } else if (cc && rto.has_sample()) {
    // tcp_update_pacing_rate() from the byte-counted window (not kept between ACKs here).
    CaSock sk;
    sk.snd_cwnd = std::max<uint32_t>(cc->cwnd() / std::max<uint32_t>(mss, 1), 1);
    sk.snd_ssthresh = cc->ssthresh() / std::max<uint32_t>(mss, 1);
    rate = tcp_update_pacing_rate(sk, rto.srtt().ns() / 1000 * 8, mss, packets_out());
    min_rtt_us = static_cast<uint32_t>(rto.srtt().ns() / 1000);
  }
  const uint32_t quota = std::min(cwnd_quota(), tcp_tso_segs(rate, min_rtt_us, mss_now));
  uint32_t len = static_cast<uint32_t>(skb->end - snd_nxt);
  if (uint64_t{quota} * mss_now > len) {
    wq.grow_head(static_cast<uint32_t>(uint64_t{quota} * mss_now - len));
    skb = wq.head();
    len = static_cast<uint32_t>(skb->end - snd_nxt);
  }
  uint32_t limit = len;
  if (len > mss_now) {
    // tcp_mss_split_point()
    const uint32_t window =
        snd_una + snd_wnd > snd_nxt ? static_cast<uint32_t>(snd_una + snd_wnd - snd_nxt) : 0;
    const uint32_t max_len = mss_now * quota;
    const bool tail = wq.next() == nullptr;
    if (max_len <= window && !tail) {
      limit = max_len;
    } else {
      const uint32_t needed = std::min(len, window);
      const uint32_t partial = needed % mss_now;
      if (max_len <= needed) {
        limit = max_len;
      } else if (partial != 0 && nagle_holds(partial, mss_now, false)) {
        limit = needed - partial;
      } else {
        limit = needed;
      }
    }
    limit = std::max(std::min(limit, len), std::min(len, mss_now));
  }
  wq.piece_start = snd_nxt;
  wq.piece_end = snd_nxt + limit;
  wq.piece_psh = limit > mss_now || (limit == len && skb->psh);
}

void Connection::Tcb::send_data(Instant now, SeqNum seq, uint32_t len, bool fin, bool psh,
                                Outbox& out) {
  const uint32_t mss_now = current_mss();  // before emit() takes a D-SACK
  SeqNum data_start = snd_una == iss ? iss + 1 : seq_min(snd_una, write_seq);
  Payload data = sndbuf.read(static_cast<size_t>(seq - data_start), len);
  SeqNum end = seq + len;
  uint8_t flags = TcpFlags::ACK | (fin ? TcpFlags::FIN : 0) | (psh && len > 0 ? TcpFlags::PSH : 0);
  const bool mark = len > 0 && wq.marked_at(end);
  Packet p = make_packet(seq, rcv_nxt, flags, std::move(data));
  p.tcp.window = advertise_window();
  // The skb (the GSO piece, or a FIN alone) is handed over with its last segment.
  const bool in_piece = wq.piece_active && len > 0;
  if ((len > 0 || fin) && (!in_piece || end == wq.piece_end)) {
    tx_tag(
        p,
        kSkbEmptyTruesize + (in_piece ? static_cast<uint32_t>(wq.piece_end - wq.piece_start) : len),
        in_piece ? wq.piece_start : seq);
  }
  emit(now, std::move(p), out);
  uint32_t seq_len = len + (fin ? 1 : 0);
  const bool had_packets = !rtx.empty();
  const uint32_t in_flight_before = sack_path() ? lr().in_flight(packets_out()) : 0;
  SentSegment sent{.seq = seq, .len = seq_len, .first_sent = now, .last_sent = now};
  sent.fin = fin;
  sent.psh = mark;
  sent.skb_start = len > 0 && (!wq.piece_active || seq == wq.piece_start);
  sent.eor = len > 0 && wq.eor_at(end);
  sent.tx_delivered = sca ? sca->loss.delivered() : 0;
  rtx.push(sent);
  snd_nxt = seq + seq_len;
  wq.sent(snd_nxt);
  if (len < mss_now) snd_sml = snd_nxt;  // tcp_minshall_update()
  if (len > 0) {
    last_send = now;
    // tcp_event_data_sent(): a reply within `ato` of received data means an interactive
    // exchange: ping-pong mode (delayed ACKs ride on the replies). TCP_PINGPONG_THRESH is 1
    // on current kernels (6.1 used 3).
    if (ato > Duration::zero() && now - lrcvtime < ato) pingpong = true;
  }
  if (sack_path()) sack_data_sent(now, in_flight_before, had_packets);
  persist_at = kNever;
  if (rtx_at == kNever) arm_rtx(now);  // RFC 6298 5.1
}

// Resend one segment of the retransmission queue as it was (same sequence range, FIN).
// `gso_psh`: the segment ends a retransmitted skb of several segments, which
// __tcp_transmit_skb() sends with PSH ("Force a PSH flag on all (GSO) packets").
void Connection::Tcb::retransmit(Instant now, size_t index, Outbox& out, bool gso_psh) {
  SentSegment& s = rtx.at(index);
  // retrans_stamp: the original send time of the first segment retransmitted since the last
  // forward progress; the retries2 budget counts from it (retransmits_timed_out()).
  if (retrans_stamp == kNever) retrans_stamp = s.last_sent;
  SeqNum data_start = snd_una == iss ? iss + 1 : seq_min(snd_una, write_seq);
  uint32_t len = s.data_len();
  Payload data = sndbuf.read(static_cast<size_t>(s.seq - data_start), len);
  uint8_t flags = TcpFlags::ACK | (s.fin ? TcpFlags::FIN : 0);
  // The skb's own PSH mark (a one-segment retransmission, tcp_retransmit_skb() after
  // tcp_fragment() kept it on the tail part).
  if (len > 0 && (s.psh || gso_psh)) flags |= TcpFlags::PSH;
  Packet p = make_packet(s.seq, rcv_nxt, flags, std::move(data));
  p.tcp.window = advertise_window();
  p.retransmission = ++s.retransmits;
  tx_tag(p, kSkbEmptyTruesize + len, s.seq);  // the clone of a one-segment skb (TSQ not checked)
  s.last_sent = now;
  ++ctx.counters->retransmits;
  ++stats.retransmits;
  emit(now, std::move(p), out);
  if (rtx_at == kNever) arm_rtx(now);
}

// __tcp_ack_snd_check(): ACK now when more than one full segment is unacknowledged and the
// window would move, in quick-ack mode, when something demands it (out-of-order data, a
// filled hole, a duplicate), while out-of-order data waits; otherwise delay it.
void Connection::Tcb::check_ack_to_send(Instant now, Outbox& out) {
  if (!ack_pending) return;
  bool two_segments = static_cast<uint32_t>(rcv_nxt - rcv_wup) > rcv_mss &&
                      free_window() >= static_cast<uint32_t>(rcv_adv - rcv_wup);
  if (prof().delayed_ack == Duration::zero() || ack_now || in_quickack_mode() || two_segments ||
      rcvbuf.has_out_of_order()) {
    send_ack(now, out);
    return;
  }
  schedule_delayed_ack(now, out);
}

// tcp_send_delayed_ack(): the timeout is `ato`, bounded by max_ato (200 ms in ping-pong mode,
// 500 ms otherwise) and by the smoothed RTT (but not below the 40 ms minimum). An earlier
// pending deadline is kept; one about to expire sends the ACK now.
void Connection::Tcb::schedule_delayed_ack(Instant now, Outbox& out) {
  const Duration delack_min = prof().delayed_ack;
  Duration a = ato;
  if (a > delack_min) {
    Duration max_ato = pingpong ? prof().delayed_ack_max : kDelackMaxBulk;
    // "max_t(int, usecs_to_jiffies(tp->srtt_us >> 3), TCP_DELACK_MIN)": SRTT in whole jiffies.
    if (rto.has_sample())
      max_ato = std::min(max_ato, std::max(kclock().round_up(rto.srtt()), delack_min));
    a = std::min(a, max_ato);
  }
  if (dack_at != kNever) {
    if (dack_at <= now + a / 4) {
      send_ack(now, out);
      return;
    }
    if (now + a >= dack_at) return;  // the pending timer keeps its (earlier) expiry
  }
  dack_at = timer_at(now, a);
}

// tcp_incr_quickack(): ACK the next min(window / (2 * rcv_mss), TCP_MAX_QUICKACKS) segments
// at once (at least 2 when the window is small).
void Connection::Tcb::incr_quickack() {
  uint32_t wnd = rcv_adv > rcv_wup ? static_cast<uint32_t>(rcv_adv - rcv_wup) : 0;
  uint32_t n = wnd / (2u * rcv_mss);
  if (n == 0) n = 2;
  n = std::min<uint32_t>(n, static_cast<uint32_t>(std::max(prof().quickacks, 0)));
  quick = std::max(quick, n);
}

// tcp_enter_quickack_mode(): also leaves ping-pong mode and resets `ato`.
void Connection::Tcb::enter_quickack_mode() {
  incr_quickack();
  pingpong = false;
  ato = prof().delayed_ack;
}

// tcp_check_probe_timer(): nothing in flight, data (or a FIN) waiting that the window does
// not admit, and no retransmission timer: start probing after one RTO.
void Connection::Tcb::check_probe_timer(Instant now) {
  bool waiting = unsent_data() > 0 || (fin_queued && !fin_sent());
  if (snd_una != snd_nxt || !waiting || rtx_at != kNever || persist_at != kNever) return;
  persist_at = timer_at(now, probe0_base());
}

// tcp_probe0_base(): max(RTO, rto_min).
Duration Connection::Tcb::probe0_base() const {
  return std::max(rto.rto(), prof().rto_min);
}

}  // namespace netsim::tcp
