// Linux's sender (issue 13), with SACK or without it (tcp_is_reno(), `linux` preset): tcp_ack()'s
// loss half through LossRecovery (scoreboard or dupACK counting, RACK, PRR, undo, F-RTO),
// congestion control through CongestionOps (CUBIC, Reno) with cwnd in segments, and the one xmit
// timer slot holding the RTO, RACK's REO timer or the tail-loss probe (tcp_set_xmit_timer()).

#include <algorithm>
#include <array>
#include <limits>

#include "protocols/tcp/rtx_skb.hpp"
#include "protocols/tcp/tcb.hpp"
#include "protocols/tcp/timestamps.hpp"

namespace netsim::tcp {

namespace {
int64_t usecs(Duration d) {
  return d.ns() / 1000;
}
}  // namespace

const CongestionOps& Connection::Tcb::ca_ops() const {
  return prof().congestion == CongestionAlgo::cubic ? cubic_ops() : reno_ops();
}

LossConfig Connection::Tcb::loss_config() const {
  const Profile& p = prof();
  LossConfig cfg;
  cfg.sack = sack_ok;  // false: tcp_is_reno(), duplicate ACKs counted as sacked_out
  cfg.dsack = p.dsack;
  cfg.recovery = static_cast<uint8_t>(p.recovery);
  cfg.early_retrans = static_cast<uint8_t>(p.early_retrans);
  cfg.frto = static_cast<uint8_t>(p.frto);
  cfg.rto_min = p.rto_min;
  return cfg;
}

// CongestionOps::init runs at the first transmission with the clock and sequence numbers of
// the moment the connection was established (nothing was sent since), which is the state
// Linux's tcp_init_transfer() leaves (HyStart's round_start, end_seq).
SenderCa& Connection::Tcb::make_sender() {
  sca = std::make_unique<SenderCa>();
  sca->sk.snd_cwnd = initial_cwnd();
  CaEnv env;
  env.clock = kclock();
  env.now = stats.established_at.value_or(last_now);
  env.snd_una = snd_una;
  env.snd_nxt = snd_nxt;
  sca->sk.snd_cwnd_stamp = env.jiffies();
  sca->usage_seq = snd_nxt;
  take_handshake_rtt(env.jiffies());
  ca_ops().init(sca->sk, env);
  return *sca;
}

// What the handshake's tcp_ack() gives the sender: its RTT sample alone as min_rtt
// (tcp_synack_rtt_meas()) and the pacing rate it sets. Also run on the SYN-ACK for a sender a
// write in SYN_SENT created early (chrono_start_type()): Linux's tcp_ack() runs on the SYN-ACK
// whatever is queued, and the waiting writer wakes only after it.
void Connection::Tcb::take_handshake_rtt(uint32_t jiffies) {
  if (rto.has_sample()) {
    sca->rtt_min.reset(jiffies, static_cast<uint32_t>(std::max<int64_t>(usecs(rto.srtt()), 1)));
  }
  sca->pacing_rate = handshake_pacing_rate();
}

// The pacing rate each side leaves the handshake with (tcp_input.c:tcp_update_pacing_rate());
// it holds until the first ACK of data. Without an RTT sample srtt_us is 0 and the rate is not
// divided (effectively unlimited).
// * Passive: tcp_rcv_state_process(), case TCP_SYN_RECV, after tcp_init_transfer(): the
//   child's mss_cache and initial cwnd, nothing out.
// * Active: tcp_rcv_synsent_state_process() -> tcp_ack() -> tcp_cong_control(). That tcp_ack()
//   runs before tcp_sync_mss() and tcp_finish_connect(), so it sees the socket as
//   tcp_init_sock() and tcp_connect_init() left it: snd_cwnd TCP_INIT_CWND and ssthresh
//   infinite (slow-start ratio), the SYN just acked (packets_out 0), and the mss_cache of
//   tcp_connect_init()'s tcp_sync_mss(): the route's MSS clamped by rx_opt.mss_clamp
//   (TCP_MSS_DEFAULT, 536, from tcp_v4_connect(), or TCP_MAXSEG), at least tcp_min_snd_mss
//   (__tcp_mtu_to_mss()), less the timestamp option when the sysctl offers it
//   (tcp_header_len). So a client's first flight is sized from 536 - 12 bytes per segment.
uint64_t Connection::Tcb::handshake_pacing_rate() const {
  const int64_t srtt_us8 = rto.has_sample() ? rto.srtt_us8() : 0;
  if (!active_open) {
    CaSock sk;
    sk.snd_cwnd = initial_cwnd();
    return tcp_update_pacing_rate(sk, srtt_us8, mss, 0);
  }
  constexpr uint32_t kMssDefault = 536;  // TCP_MSS_DEFAULT
  constexpr uint32_t kMinSndMss = 48;    // tcp_min_snd_mss
  const uint32_t clamp = opts.maxseg != 0 ? opts.maxseg : kMssDefault;
  const uint32_t mss_cache = std::max<uint32_t>(std::min<uint32_t>(prof().mss, clamp), kMinSndMss) -
                             (prof().timestamps ? 12 : 0);
  return tcp_update_pacing_rate(CaSock{}, srtt_us8, mss_cache, 0);
}

LossCtx Connection::Tcb::loss_ctx(Instant now, const LossConfig& cfg) {
  LossCtx c;
  c.now = now;
  c.snd_una = snd_una;
  c.snd_nxt = snd_nxt;
  c.mss = mss;
  c.max_window = std::max<uint32_t>(max_snd_wnd, 1);
  c.srtt_us8 = rto.has_sample() ? rto.srtt_us8() : 0;
  c.min_rtt_us = usecs(sender().min_rtt());
  c.rto = rto.rto();
  c.ca = &sender().sk;
  c.ops = &ca_ops();
  c.cfg = &cfg;
  c.mib = ctx.counters;
  c.clock = kclock();
  return c;
}

// Bytes, for the trace's cwnd counter (the plot draws bytes whatever the algorithm counts).
uint32_t Connection::Tcb::cwnd_bytes() const {
  if (cc) return cc->cwnd();
  if (!sack_path()) return 0;
  return (sca ? sca->sk.snd_cwnd : initial_cwnd()) * mss;
}

uint32_t Connection::Tcb::ssthresh_bytes() const {
  if (cc) return cc->ssthresh();
  if (!sca || sca->sk.snd_ssthresh >= kInfiniteSsthresh) return ~0u;
  return static_cast<uint32_t>(std::min<uint64_t>(uint64_t{sca->sk.snd_ssthresh} * mss, ~0u));
}

// tcp_clean_rtx_queue() + tcp_ack_update_rtt(): the oldest newly acked segment gives the
// sample unless a retransmission is among them (Karn); then the TSecr does (RFC 7323 §4,
// tcp_rtt_tsopt_us()), which is how a retransmitted segment's ACK still measures.
std::optional<Duration> Connection::Tcb::ack_rtt(Instant now, const Segment& seg) const {
  std::optional<Instant> oldest;
  bool retransmitted = false;
  for (size_t i = 0; i < rtx.size() && rtx.at(i).end() <= seg.ack; ++i) {
    const SentSegment& s = rtx.at(i);
    if (s.retransmits > 0 || (s.sacked & kEverRetrans) != 0) retransmitted = true;
    if (!oldest) oldest = s.first_sent;
  }
  if (!oldest) return std::nullopt;  // FLAG_ACKED not set: no sample
  if (!retransmitted) return now - *oldest;
  return tsecr_rtt(now, seg.options.timestamps ? seg.options.timestamps->second : 0);
}

std::optional<Duration> Connection::Tcb::tsecr_rtt(Instant now, uint32_t tsecr) const {
  if (!ts_ok || tsecr == 0) return std::nullopt;
  return rtt_from_tsecr(TsClock{ts_off}, now, tsecr);
}

// tcp_input.c:tcp_update_rtt_min(): the windowed minimum over tcp_min_rtt_wlen (300 s, in
// jiffies of the host's clock); a 0 µs sample counts as one jiffy (jiffies_to_usecs(1)).
void Connection::Tcb::update_rtt_min(Instant now, Duration rtt) {
  constexpr uint32_t kMinRttWlenSec = 300;
  const KernelClock& clock = kclock();
  const uint64_t us = static_cast<uint64_t>(std::max<int64_t>(usecs(rtt), 0));
  const uint32_t meas = us == 0 ? static_cast<uint32_t>(clock.jiffies_to_usecs(1))
                                : static_cast<uint32_t>(std::min<uint64_t>(us, 0xfffffffe));
  sender().rtt_min.running_min(kMinRttWlenSec * clock.hz, clock.jiffies(now), meas);
}

// tcp_ack() with SACK: RTT, scoreboard and recovery (LossRecovery::on_ack), the cumulative ACK,
// then congestion control and the xmit timer. `not_dup`: the segment carried data or changed
// the window (FLAG_NOT_DUP).
void Connection::Tcb::ack_sack(Instant now, const Segment& seg, bool not_dup) {
  const bool advanced = seg.ack > snd_una;
  if (rtx.empty()) {
    if (advanced) snd_una = seg.ack;  // the SYN alone
    if (snd_una == snd_nxt) rtx_at = kNever;
    return;
  }
  const LossConfig cfg = loss_config();
  LossCtx c = loss_ctx(now, cfg);
  const std::optional<Duration> rtt = ack_rtt(now, seg);
  if (rtt) {
    rto.sample(*rtt, advanced ? seg.ack : snd_una, snd_nxt);
    update_rtt_min(now, *rtt);
    c.srtt_us8 = rto.srtt_us8();
    c.min_rtt_us = usecs(sender().min_rtt());
    c.rto = rto.rto();
  }
  std::array<SackBlock, 4> blocks{};
  size_t n = 0;
  for (const netsim::SackBlock& b : seg.options.sack) {
    if (n == blocks.size()) break;
    blocks[n++] = SackBlock{b.left, b.right};
  }
  AckIn in;
  in.ack = seg.ack;
  in.sacks = std::span<const SackBlock>(blocks.data(), n);
  in.not_dup = not_dup;
  in.tsecr = ts_ok && seg.options.timestamps ? seg.options.timestamps->second : 0;
  const uint32_t unsent = unsent_data();
  in.new_data_sendable =
      unsent > 0 && snd_nxt + std::min<uint32_t>(unsent, mss) <= seg.ack + snd_wnd;
  const AckOut r = lr().on_ack(rtx.segments(), c, in);
  rtx.adjust_skbs(r.skb_delta);
  if (advanced) {
    SeqNum data_from = snd_una == iss ? iss + 1 : snd_una;
    SeqNum data_to = seq_min(seg.ack, write_seq);
    if (data_to > data_from) {
      sndbuf.consume(static_cast<size_t>(data_to - data_from));
      stats.bytes_sent += static_cast<uint32_t>(data_to - data_from);
    }
    if (const RtxQueue::AckResult a = rtx.acknowledge(seg.ack); a.trimmed)
      tx_retag(a.trimmed->first, a.trimmed->second);
    snd_una = seg.ack;
    retransmits = 0;  // tcp_ack(): forward progress (icsk_retransmits = 0)
    if (!rtx.any_retransmitted()) retrans_stamp = kNever;
  }
  c.snd_una = snd_una;
  ca_after_ack(now, r, rtt, c);
  if (r.send_new_data) sender().frto_new_data = true;
  // tcp_identify_packet_loss(): RACK armed its timer; else FLAG_SET_XMIT_TIMER (data was
  // acked) re-arms TLP or RTO (tcp_set_xmit_timer()).
  if (r.reo_timer) {
    rtx_at = timer_at(now, *r.reo_timer - now);
    sender().xmit = XmitTimer::reo;
    sender().xmit_armed = now;
  } else if (r.newly_acked > 0 || rtx.empty()) {
    set_xmit_timer(now);
  }
}

// tcp_clean_rtx_queue()'s pkts_acked, then tcp_cong_control(): cong_avoid when the ACK may
// raise cwnd (PRR ran inside on_ack otherwise), then tcp_update_pacing_rate().
void Connection::Tcb::ca_after_ack(Instant now, const AckOut& r, std::optional<Duration> rtt,
                                   LossCtx& c) {
  SenderCa& s = sender();
  const CongestionOps& ops = ca_ops();
  CaEnv env = c.env();
  env.now = now;
  env.pacing_rate = s.pacing_rate;
  AckSample sample;
  sample.pkts_acked = r.newly_acked;
  sample.rtt_us = rtt ? static_cast<int32_t>(
                            std::min<int64_t>(usecs(*rtt), std::numeric_limits<int32_t>::max()))
                      : -1;
  sample.in_flight = lr().in_flight(packets_out());
  if (r.newly_acked > 0 || r.newly_sacked > 0) ops.pkts_acked(s.sk, env, sample);
  if (r.may_raise_cwnd) {
    // tcp_cong_avoid(acked_sacked): without SACK tp->delivered's growth, where duplicate ACKs
    // were already counted (tcp_remove_reno_sacks()).
    const uint32_t acked = sack_ok ? r.newly_acked + r.newly_sacked : r.delivered;
    ops.cong_avoid(s.sk, env, c.snd_una, acked);
    s.sk.snd_cwnd_stamp = env.jiffies();
  }
  s.sk.snd_cwnd = std::max<uint32_t>(s.sk.snd_cwnd, 1);
  s.pacing_rate = tcp_update_pacing_rate(s.sk, c.srtt_us8, mss, packets_out());
}

// tcp_set_xmit_timer(): a loss probe if one is allowed, else the RTO.
void Connection::Tcb::set_xmit_timer(Instant now) {
  if (!schedule_loss_probe(now, true)) rearm_rto(now);
}

// tcp_schedule_loss_probe(): after an ACK (`advancing_rto`) the PTO is capped by a full RTO,
// after a send by what the pending RTO has left.
bool Connection::Tcb::schedule_loss_probe(Instant now, bool advancing_rto) {
  if (rtx.empty()) return false;
  const LossConfig cfg = loss_config();
  const LossCtx c = loss_ctx(now, cfg);
  const bool reo_armed = rtx_at != kNever && xmit() == XmitTimer::reo;
  std::optional<Duration> pto =
      lr().loss_probe_timeout(c, packets_out(), advancing_rto, rtx.front().last_sent, reo_armed);
  if (!pto) return false;
  rtx_at = timer_at(now, *pto);
  sender().xmit = XmitTimer::loss_probe;
  sender().xmit_armed = now;
  return true;
}

// tcp_rearm_rto(): nothing out stops the timer; replacing a pending REO or TLP timer keeps the
// RTO counted from the head's last transmission (tcp_rto_delta_us()).
void Connection::Tcb::rearm_rto(Instant now) {
  if (rtx.empty()) {
    rtx_at = kNever;
    sender().xmit = XmitTimer::rto;
    return;
  }
  Duration when = rto.rto();
  if (rtx_at != kNever && xmit() != XmitTimer::rto) {
    const Duration delta = rtx.front().last_sent + rto.rto() - now;
    when = kclock().round_up(std::max(delta, Duration::microseconds(1)));
  }
  rtx_at = timer_at(now, when);
  sender().xmit = XmitTimer::rto;
}

// tcp_xmit_retransmit_queue(): Lost segments not yet retransmitted, in sequence order, while
// in_flight < cwnd (PRR sized cwnd in Recovery). TCPFastRetrans in Recovery,
// TCPSlowStartRetrans after an RTO.
bool Connection::Tcb::sack_retransmit_lost(Instant now, Outbox& out) {
  if (!sca || !sca->loss.active() || sca->loss.lost_out() == 0) return false;
  SenderCa& s = sender();
  const LossConfig cfg = loss_config();
  bool rearm = false;
  bool sent = false;
  // "In case tcp_shift_skb_data() have aggregated large skbs": at most tcp_tso_segs() a time.
  const uint32_t max_segs =
      tcp_tso_segs(s.pacing_rate, static_cast<uint32_t>(usecs(s.min_rtt())), current_mss());
  for (size_t i = 0; i < rtx.size(); ++i) {
    const SentSegment& seg = rtx.at(i);
    if ((seg.sacked & kLost) == 0 || (seg.sacked & kSackedRetrans) != 0) continue;
    const uint32_t in_flight = lr().in_flight(packets_out());
    if (in_flight >= s.sk.snd_cwnd) break;
    // tcp_small_queue_check(sk, skb, 1): TSQ holds retransmissions too, at twice the limit;
    // the next TX completion resumes them (tcp_tsq_write()).
    const std::span<const SentSegment> q = rtx.segments();
    const size_t e = skb_end(q, i);
    const SeqNum skb_data_end = q[e - 1].seq + q[e - 1].data_len();
    if (small_queue_holds(now, static_cast<uint32_t>(skb_data_end - seg.seq), 1)) break;
    // tcp_retransmit_skb() -> -EBUSY: the skb's last send is still queued; the loop stops.
    if (refused_busy(now, i)) break;
    // __tcp_retransmit_skb() -> -EAGAIN: nothing beyond the offered window except the head;
    // tcp_retransmit_skb() counts the attempt all the same, and the loop stops.
    if (seg.seq >= snd_una + snd_wnd && i != 0) {
      count_refused_retransmit(i);
      break;
    }
    // The skb leaves whole when cwnd allows, else split (tcp_fragment()) or collapsed first.
    const size_t n = shape_retransmit(i, std::min(s.sk.snd_cwnd - in_flight, max_segs));
    if (n == 0) break;
    for (size_t k = i; k < i + n; ++k) {
      LossCtx c = loss_ctx(now, cfg);
      lr().on_retransmit(rtx.at(k), c, ts_ok ? tsval(now) : 0);
      if (s.sk.ca_state == CaState::loss) {
        ++ctx.counters->TCPSlowStartRetrans;
      } else {
        ++ctx.counters->TCPFastRetrans;
      }
      retransmit(now, k, out, n > 1 && k == i + n - 1);
    }
    sent = true;
    if (i == 0 && xmit() != XmitTimer::reo) rearm = true;
    i += n - 1;
  }
  if (rearm) rearm_rto(now);
  return sent;
}

// tcp_cwnd_test(): new data goes while fewer segments are in flight than cwnd.
bool Connection::Tcb::sack_cwnd_allows() {
  return lr().in_flight(packets_out()) < sender().sk.snd_cwnd;
}

// tcp_event_data_sent() + tcp_event_new_data_sent(): CA_EVENT_TX_START after idle, prr_out
// in a reduction, and the RTO armed if nothing was out or a probe was pending.
void Connection::Tcb::sack_data_sent(Instant now, uint32_t in_flight_before, bool had_packets) {
  SenderCa& s = sender();
  CaEnv env;
  env.clock = kclock();
  env.now = now;
  env.snd_una = snd_una;
  env.snd_nxt = snd_nxt;
  tcp_event_data_sent(s.sk, env, ca_ops(), in_flight_before);
  lr().on_new_data_sent(s.sk, 1);
  // A FIN sent in SYN_RECEIVED leaves the SYN-ACK's timer alone (it still guards the SYN-ACK).
  if (snd_una == iss) return;
  if (!had_packets || (rtx_at != kNever && xmit() == XmitTimer::loss_probe)) rearm_rto(now);
}

// The end of tcp_write_xmit(): tcp_cwnd_validate() (RFC 7661) and one loss probe per tail.
void Connection::Tcb::sack_after_write(Instant now, uint32_t sent) {
  SenderCa& s = sender();
  const bool limited = lr().in_flight(packets_out()) >= s.sk.snd_cwnd;
  if (sent == 0 && !limited) return;
  CaEnv env;
  env.clock = kclock();
  env.now = now;
  env.snd_una = snd_una;
  env.snd_nxt = snd_nxt;
  tcp_cwnd_validate(s.sk, env, limited, packets_out(), s.usage_seq, rto.rto(), true);
  if (sent > 0) schedule_loss_probe(now, false);
}

// tcp_send_loss_probe(): one new segment if it fits the peer's window (cwnd and Nagle
// ignored), else the last segment again; then the RTO in full from now.
void Connection::Tcb::on_loss_probe_timer(Instant now, Outbox& out) {
  rtx_at = now;  // icsk_pending stays ICSK_TIME_LOSS_PROBE while the handler runs
  const uint32_t unsent = unsent_data();
  const bool fin_pending = fin_queued && !fin_sent();
  // tcp_write_xmit(push_one = 2): one segment of the send head, which a record's end (MSG_EOR)
  // may cut short (no tcp_grow_skb() across it).
  sync_write_queue();
  bool last_skb = true;
  const uint32_t len = wq.head() != nullptr ? wq.first_segment(snd_nxt, mss, last_skb)
                                            : std::min<uint32_t>(unsent, mss);
  const bool with_fin = fin_pending && len == unsent;
  const bool fits =
      (unsent > 0 || fin_pending) && snd_nxt + len + (with_fin ? 1u : 0u) <= snd_una + snd_wnd;
  const ProbeKind kind = lr().loss_probe_kind(fits);
  const LossConfig cfg = loss_config();
  TimerRecord f;
  f.timer = TimerKind::loss_probe;
  f.attempt = 1;
  f.ran = now - sender().xmit_armed;
  f.next = rto.rto();
  if (kind == ProbeKind::new_data) {
    f.seq = snd_nxt.raw();
    f.bytes = len;
    trace_timer(f, out);
    // tcp_write_xmit(push_one = 2) with no cwnd room: a one-segment piece, PSH only where
    // its skb was marked.
    sync_write_queue();
    send_data(now, snd_nxt, len, with_fin, wq.marked_at(snd_nxt + len), out);
  } else if (kind == ProbeKind::retransmit_last) {
    // tcp_send_loss_probe(): the last segment of the last skb, split off it (tcp_fragment()),
    // then __tcp_retransmit_skb(skb, 1).
    const size_t last = rtx.size() - 1;
    // "if (skb_still_in_host_queue(sk, skb)) goto rearm_timer;", asked of the whole last skb
    // before tcp_fragment(): no probe, none counted.
    size_t head = last;
    while (head > 0 && !rtx.at(head).skb_start)
      --head;
    if (still_in_host_queue(now, rtx.at(head).seq)) {
      rearm_rto(now);
      return;
    }
    rtx.split_before(last);
    if (shape_retransmit(last, 1) == 0) {
      // "if (__tcp_retransmit_skb(sk, skb, 1)) goto rearm_timer;": past a shrunk window
      // (-EAGAIN) no probe leaves, none is counted, and the RTO is re-armed.
      rearm_rto(now);
      return;
    }
    f.seq = rtx.at(last).seq.raw();
    trace_timer(f, out);
    LossCtx c = loss_ctx(now, cfg);
    lr().on_retransmit(rtx.at(last), c, ts_ok ? tsval(now) : 0, true);
    retransmit(now, last, out);
  } else {
    rearm_rto(now);  // a probe is already out this episode
    return;
  }
  LossCtx c = loss_ctx(now, cfg);
  lr().on_loss_probe_sent(c, kind);
  rtx_at = timer_at(now, rto.rto());  // "Reset s.t. tcp_rearm_rto will restart timer from now"
  sender().xmit = XmitTimer::rto;
}

// tcp_rack_reo_timeout(): mark what the reordering window now calls lost, enter Recovery with
// one PRR step, retransmit; then the RTO counted from the head's last transmission.
void Connection::Tcb::on_reo_timer(Instant now, Outbox& out) {
  rtx_at = now;  // icsk_pending stays ICSK_TIME_REO_TIMEOUT while the handler runs
  const LossConfig cfg = loss_config();
  LossCtx c = loss_ctx(now, cfg);
  const uint32_t cwnd_before = cwnd_bytes();
  const uint32_t lost = lr().on_reo_timeout(rtx.segments(), c);
  TimerRecord f;
  f.timer = TimerKind::reo;
  f.attempt = 1;
  f.ran = now - sender().xmit_armed;
  f.bytes = lost;  // segments the expiry marked lost
  f.seq = snd_una.raw();
  trace_timer(f, out);
  sack_retransmit_lost(now, out);
  sender().xmit = XmitTimer::reo;
  rearm_rto(now);  // from the head's last transmission (tcp_rto_delta_us())
  trace_cwnd(cwnd_before, out);
}

// tcp_retransmit_timer()'s tcp_enter_loss(): mark, cut, cwnd = in_flight + 1, state Loss, F-RTO.
// Returns false when tcp_retransmit_skb() refused the head (-EBUSY): nothing leaves, and
// tcp_retransmit_timer() backs off and re-arms as after a retransmission (only a positive
// error re-arms at TCP_RESOURCE_PROBE_INTERVAL).
bool Connection::Tcb::sack_on_rto(Instant now) {
  const LossConfig cfg = loss_config();
  LossCtx c = loss_ctx(now, cfg);
  lr().on_rto(rtx.segments(), c, retransmits == 0);
  if (refused_busy(now, 0)) return false;
  shape_retransmit(0, 1);  // tcp_retransmit_skb(sk, tcp_rtx_queue_head(sk), 1)
  sender().frto_new_data = false;
  LossCtx r = loss_ctx(now, cfg);
  lr().on_retransmit(rtx.at(0), r, ts_ok ? tsval(now) : 0);
  return true;
}

// tcp_retransmit_skb() of the skb at `index` refused by skb_still_in_host_queue():
// __tcp_retransmit_skb() returns -EBUSY at once, before the line that marks
// TCPCB_EVER_RETRANS ("for a transmit that never happened"), so the skb keeps its bits and a
// later ACK of its original still gives an RTT sample.
bool Connection::Tcb::refused_busy(Instant now, size_t index) {
  if (!still_in_host_queue(now, rtx.at(index).seq)) return false;
  count_refused_retransmit(index);
  return true;
}

// tcp_retransmit_skb() after __tcp_retransmit_skb() refused the skb at `index` (-EBUSY,
// -EAGAIN): it undoes nothing it counts whatever the result: retrans_stamp takes the attempt
// ("Save stamp of the first (attempted) retransmit": the skb's last send) and undo_retrans
// the skb's segments.
void Connection::Tcb::count_refused_retransmit(size_t index) {
  const std::span<const SentSegment> q = rtx.segments();
  const size_t e = skb_end(q, index);
  if (retrans_stamp == kNever) retrans_stamp = q[index].last_sent;
  lr().on_retransmit_refused(loss_config(), ts_ok ? tsval(q[index].last_sent) : 0,
                             static_cast<uint32_t>(e - index));
}

}  // namespace netsim::tcp
