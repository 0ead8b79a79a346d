// The state machine half of LossRecovery: tcp_ack()'s loss handling, tcp_fastretrans_alert()
// with SACK + RACK or without SACK (loss_reno.cpp), Recovery entry and exit, PRR (RFC 6937 as
// tcp_cwnd_reduction), the undo rules, TLP (RACK-TLP, RFC 8985) and the RTO's marking.

#include <algorithm>

#include "protocols/tcp/sack_scoreboard.hpp"

namespace netsim::tcp {

namespace {

bool in_cwnd_reduction(const CaSock& ca) {
  return ca.ca_state == CaState::cwr || ca.ca_state == CaState::recovery;
}

int64_t us(Instant t) {
  return t.ns() / 1000;
}

}  // namespace

void LossRecovery::set_ca_state(LossCtx& c, CaState st) {
  // tcp_input.c:tcp_set_ca_state(): the algorithm hears every change.
  c.ops->set_state(*c.ca, c.env(), st);
  c.ca->ca_state = st;
}

AckOut LossRecovery::on_ack(std::span<ScoreSeg> q, LossCtx c, const AckIn& in) {
  AckOut out;
  const SeqNum prior_snd_una = c.snd_una;
  const bool una_advanced = in.ack > prior_snd_una;
  // tcp_ack(): num_dupack, an ACK that neither advanced snd_una, nor carried data or a window
  // update, nor reported a D-SACK. Only tcp_is_reno() counts it (as a SACKed segment).
  const bool reno_dupack = !c.cfg->sack && !(una_advanced || in.not_dup);
  // The loss-free path: no scoreboard, no SACK, state Open. A clean cumulative ACK (or a
  // dupACK with SACK on but no block, which RACK cannot act on) changes nothing here.
  if (!s_ && in.sacks.empty() && c.ca->ca_state == CaState::open && !reno_dupack) {
    for (const ScoreSeg& seg : q) {
      if (seg.end() > in.ack) break;
      out.newly_acked++;
    }
    out.delivered = out.newly_acked;
    out.may_raise_cwnd = una_advanced;  // tcp_may_raise_cwnd(): FLAG_DATA_ACKED
    return out;
  }
  State& s = st(*c.cfg);
  const SeqNum prior_fack = s.has_sack ? s.highest_sack : prior_snd_una;
  const uint32_t prior_delivered = s.delivered;
  const uint32_t prior_lost = s.lost;
  s.rs_prior_delivered = 0;
  if (!in.sacks.empty()) out.newly_sacked = sacktag(q, c, in, prior_snd_una, out);
  out.newly_acked = clean_rtx(q, c, in.ack, prior_fack, out);
  if (una_advanced) c.snd_una = in.ack;
  update_reo_wnd(s.rs_prior_delivered);
  std::span<ScoreSeg> rest = q.subspan(out.newly_acked);
  const bool progress = una_advanced || out.newly_sacked > 0;
  if (s.tlp_armed)
    process_tlp_ack(c, rest, in.ack, out.dsack_tlp,
                    una_advanced || in.not_dup || out.newly_sacked > 0);
  const bool dubious = !(una_advanced || in.not_dup) || out.newly_sacked > 0 || out.dsack ||
                       c.ca->ca_state != CaState::open;
  if (dubious) fastretrans_alert(q, rest, c, in, out, prior_snd_una);
  out.newly_lost += s.lost - prior_lost;
  // tcp_cong_control(): PRR while reducing, else the algorithm may grow cwnd.
  const uint32_t delivered = s.delivered - prior_delivered;
  out.delivered = delivered;
  if (in_cwnd_reduction(*c.ca)) {
    cwnd_reduction(c, static_cast<uint32_t>(rest.size()), delivered, s.lost - prior_lost,
                   una_advanced);
  } else if (s.reordering > c.cfg->reordering) {
    out.may_raise_cwnd = progress;  // FLAG_FORWARD_PROGRESS
  } else {
    out.may_raise_cwnd = una_advanced;  // FLAG_DATA_ACKED
  }
  return out;
}

// tcp_input.c:tcp_fastretrans_alert() for a SACK connection with RACK.
void LossRecovery::fastretrans_alert(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c,
                                     const AckIn& in, AckOut& out, SeqNum prior_snd_una) {
  State& s = *s_;
  const bool una_advanced = c.snd_una > prior_snd_una;
  const bool reno = !c.cfg->sack;
  const auto packets_out = static_cast<uint32_t>(rest.size());
  const uint32_t num_dupack = !(una_advanced || in.not_dup || out.dsack) ? 1 : 0;
  // Without RACK, whether tcp_update_scoreboard() may mark the head lost: a duplicate ACK, or
  // a new SACK beyond snd_una + reordering segments (tcp_force_fast_retransmit()).
  bool do_lost = num_dupack != 0 || (out.newly_sacked > 0 && force_fast_retransmit(c));
  bool fast_rexmit = false;
  if (rest.empty() && s.sacked_out != 0) s.sacked_out = 0;
  // D. In Open nothing of an episode is left to undo or time: the next one starts its clock
  // afresh. Leave CWR/Recovery once high_seq is acknowledged.
  if (c.ca->ca_state == CaState::open) {
    s.retrans_stamp_set = false;
  } else if (!(c.snd_una < s.high_seq)) {
    if (c.ca->ca_state == CaState::cwr && c.snd_una != s.high_seq) {
      end_cwnd_reduction(c);
      set_ca_state(c, CaState::open);
    } else if (c.ca->ca_state == CaState::recovery) {
      if (reno) s.sacked_out = 0;  // tcp_reset_reno_sack()
      const bool was_armed = s.undo_armed;
      const bool hold = try_undo_recovery(q, rest, c, in);
      out.undone = was_armed && !s.undo_armed;
      if (hold) return;  // without SACK: Recovery lasts until an ACK above high_seq
      out.recovery_ended = true;
      end_cwnd_reduction(c);
    }
  }
  // E. Process the state.
  switch (c.ca->ca_state) {
    case CaState::recovery:
      if (!una_advanced) {
        if (reno) add_reno_sack(c, packets_out, num_dupack);
      } else if (try_undo_partial(q, rest, c, in, prior_snd_una, do_lost)) {
        return;
      }
      if (try_undo_dsack(q, c)) {
        out.undone = true;
        try_to_open(rest, c);
      }
      identify_loss(rest, c, out, una_advanced);
      if (c.ca->ca_state != CaState::recovery) {
        // Undone, but the loss is evident: a new Recovery (reordering, then loss).
        if (!time_to_recover(c)) return;
        enter_recovery(rest, c);
      }
      break;
    case CaState::loss:
      process_loss(q, rest, c, in, out, una_advanced, num_dupack);
      identify_loss(rest, c, out, una_advanced);
      // Carry on as in Open only if the loss was undone or a retransmission was lost again.
      if (!(c.ca->ca_state == CaState::open || out.lost_retrans)) return;
      [[fallthrough]];
    default:
      if (!open_state_ack(q, rest, c, out, una_advanced, num_dupack)) return;
      fast_rexmit = true;
      break;
  }
  // Without RACK, the RFC 6675-era rule marks the lost (tcp_fastretrans_alert()'s tail).
  if (!c.cfg->rack() && do_lost) update_scoreboard(rest, c, fast_rexmit);
}

// tcp_fastretrans_alert(), the default case (Open, Disorder, CWR, or Loss carrying on as
// them): undo on D-SACK only from Open/Disorder, detect loss, enter Recovery when due.
// True when Recovery started (a fast retransmit is due), false when the ACK ends here.
bool LossRecovery::open_state_ack(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c,
                                  AckOut& out, bool una_advanced, uint32_t num_dupack) {
  State& s = *s_;
  if (!c.cfg->sack) {
    if (una_advanced) s.sacked_out = 0;  // tcp_reset_reno_sack()
    add_reno_sack(c, static_cast<uint32_t>(rest.size()), num_dupack);
  }
  if (c.ca->ca_state <= CaState::disorder && try_undo_dsack(q, c)) out.undone = true;
  identify_loss(rest, c, out, una_advanced);
  if (!time_to_recover(c)) {
    try_to_open(rest, c);
    return false;
  }
  enter_recovery(rest, c);
  out.entered_recovery = true;
  return true;
}

// tcp_input.c:tcp_identify_packet_loss() -> tcp_recovery.c:tcp_rack_mark_lost(): run RACK if a
// newer segment was (S)ACKed; unexpired candidates arm the REO timer at max remaining + 2 ms.
// Without SACK: tcp_newreno_mark_lost(), whatever tcp_recovery says.
void LossRecovery::identify_loss(std::span<ScoreSeg> rest, const LossCtx& c, AckOut& out,
                                 bool una_advanced) {
  State& s = *s_;
  if (rest.empty()) return;
  if (!c.cfg->sack) {
    newreno_mark_lost(rest, c, una_advanced);
    return;
  }
  if (!c.cfg->rack() || !s.rack_advanced) return;
  s.rack_advanced = false;
  int64_t timeout_us = 0;
  const uint32_t prior_retrans = s.retrans_out;
  rack_detect_loss(rest, c, timeout_us);
  if (prior_retrans > s.retrans_out) out.lost_retrans = true;
  if (timeout_us > 0) {
    const uint32_t j = c.clock.usecs_to_jiffies(static_cast<uint64_t>(timeout_us) + 2000);
    Duration when = c.clock.span(j);
    when = std::min(when, c.rto);  // inet_csk_reset_xmit_timer(..., max_when = icsk_rto)
    out.reo_timer = c.now + when;
  }
}

bool LossRecovery::any_retrans_done(std::span<ScoreSeg> rest) const {
  return s_->retrans_out != 0 || (!rest.empty() && (rest[0].sacked & kEverRetrans) != 0);
}

// tcp_input.c:tcp_try_keep_open(): Disorder while anything is SACKed, lost or retransmitted.
void LossRecovery::try_keep_open(std::span<ScoreSeg> rest, LossCtx& c) {
  State& s = *s_;
  CaState state = CaState::open;
  if (s.sacked_out + s.lost_out != 0 || any_retrans_done(rest)) state = CaState::disorder;
  if (c.ca->ca_state != state) {
    set_ca_state(c, state);
    s.high_seq = c.snd_nxt;
  }
}

// tcp_input.c:tcp_try_to_open().
void LossRecovery::try_to_open(std::span<ScoreSeg> rest, LossCtx& c) {
  if (!any_retrans_done(rest)) s_->retrans_stamp_set = false;
  if (c.ca->ca_state != CaState::cwr) try_keep_open(rest, c);
}

// tcp_input.c:tcp_init_undo().
void LossRecovery::init_undo(const LossCtx& c) {
  State& s = *s_;
  s.undo_marker = c.snd_una;
  s.undo_armed = true;
  s.undo_retrans = static_cast<int32_t>(s.retrans_out);
  if (s.tlp_armed && s.tlp_retrans) s.undo_retrans++;
  if (s.undo_retrans == 0) s.undo_retrans = -1;  // 0 means "can undo now"
}

// tcp_input.c:tcp_init_cwnd_reduction().
void LossRecovery::init_cwnd_reduction(LossCtx& c) {
  State& s = *s_;
  s.high_seq = c.snd_nxt;
  s.tlp_armed = false;
  c.ca->snd_cwnd_cnt = 0;
  c.ca->prior_cwnd = c.ca->snd_cwnd;
  s.prr_delivered = 0;
  s.prr_out = 0;
  c.ca->snd_ssthresh = c.ops->ssthresh(*c.ca);
}

// tcp_input.c:tcp_end_cwnd_reduction(): cwnd = ssthresh unless the reduction was undone.
void LossRecovery::end_cwnd_reduction(LossCtx& c) {
  if (c.ca->snd_ssthresh < kInfiniteSsthresh &&
      (c.ca->ca_state == CaState::cwr || s_->undo_armed)) {
    c.ca->snd_cwnd = c.ca->snd_ssthresh;
    c.ca->snd_cwnd_stamp = c.env().jiffies();
  }
  c.ops->cwnd_event(*c.ca, c.env(), CaEvent::complete_cwr);
}

// tcp_input.c:tcp_enter_recovery().
void LossRecovery::enter_recovery(std::span<ScoreSeg> rest, LossCtx& c) {
  State& s = *s_;
  if (c.mib) (c.cfg->sack ? c.mib->TCPSackRecovery : c.mib->TCPRenoRecovery)++;
  // tcp_retrans_stamp_cleanup(): the episode's clock starts with our fast retransmit.
  if (!any_retrans_done(rest)) s.retrans_stamp_set = false;
  s.prior_ssthresh = 0;
  init_undo(c);
  if (!in_cwnd_reduction(*c.ca)) {
    s.prior_ssthresh = tcp_current_ssthresh(*c.ca);
    init_cwnd_reduction(c);
  }
  set_ca_state(c, CaState::recovery);
}

// tcp_input.c:tcp_cwnd_reduction(): PRR. Proportional while in_flight > ssthresh, then slow
// start back up to it; the first ACK always lets the fast retransmit out.
void LossRecovery::cwnd_reduction(LossCtx& c, uint32_t packets_out, uint32_t newly_acked_sacked,
                                  uint32_t newly_lost, bool una_advanced) {
  State& s = *s_;
  if (newly_acked_sacked == 0 || c.ca->prior_cwnd == 0) return;
  const auto flight = static_cast<int64_t>(in_flight(packets_out));
  const int64_t delta = static_cast<int64_t>(c.ca->snd_ssthresh) - flight;
  s.prr_delivered += newly_acked_sacked;
  int64_t sndcnt = 0;
  if (delta < 0) {
    const uint64_t dividend = uint64_t{c.ca->snd_ssthresh} * s.prr_delivered + c.ca->prior_cwnd - 1;
    sndcnt = static_cast<int64_t>(dividend / c.ca->prior_cwnd) - s.prr_out;
  } else {
    sndcnt =
        std::max<int64_t>(static_cast<int64_t>(s.prr_delivered) - s.prr_out, newly_acked_sacked);
    if (una_advanced && newly_lost == 0) sndcnt++;
    sndcnt = std::min(delta, sndcnt);
  }
  sndcnt = std::max<int64_t>(sndcnt, s.prr_out != 0 ? 0 : 1);
  c.ca->snd_cwnd = static_cast<uint32_t>(flight + sndcnt);
}

// tcp_input.c:tcp_packet_delayed(): Eifel (RFC 3522) - the ACK echoes a TSval older than
// our first retransmission, so the original got through.
bool LossRecovery::packet_delayed(const LossCtx& c, const AckIn& in) const {
  if (s_->retrans_stamp_set)
    return in.tsecr != 0 && static_cast<int32_t>(in.tsecr - s_->retrans_stamp_ts) < 0;
  // Without SACK, tcp_is_non_sack_preventing_reopen() cleared the stamp at high_seq.
  if (!c.cfg->sack && !(c.snd_una < s_->high_seq)) return false;
  return true;  // nothing retransmitted yet
}

// tcp_input.c:tcp_undo_cwnd_reduction().
void LossRecovery::undo_cwnd_reduction(std::span<ScoreSeg> q, LossCtx& c, bool unmark_loss) {
  State& s = *s_;
  if (unmark_loss) {
    for (ScoreSeg& seg : q)
      seg.sacked &= static_cast<uint8_t>(~kLost);
    s.lost_out = 0;
  }
  if (s.prior_ssthresh != 0) {
    c.ca->snd_cwnd = c.ops->undo_cwnd(*c.ca);
    c.ca->snd_ssthresh = std::max(c.ca->snd_ssthresh, s.prior_ssthresh);
  }
  c.ca->snd_cwnd_stamp = c.env().jiffies();
  s.undo_armed = false;
  s.rack_advanced = true;  // force RACK to re-examine
}

// tcp_input.c:tcp_try_undo_recovery(): at the end of Recovery/Loss. True when the state is held
// (no SACK, snd_una == high_seq).
bool LossRecovery::try_undo_recovery(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c,
                                     const AckIn& in) {
  State& s = *s_;
  if (s.undo_armed && (s.undo_retrans == 0 || packet_delayed(c, in))) {
    const bool loss = c.ca->ca_state == CaState::loss;
    undo_cwnd_reduction(q, c, false);
    if (c.mib) (loss ? c.mib->TCPLossUndo : c.mib->TCPFullUndo)++;
  } else if (s.reo_wnd_persist != 0) {
    s.reo_wnd_persist--;
  }
  if (non_sack_preventing_reopen(rest, c)) return true;
  set_ca_state(c, CaState::open);
  s.is_sack_reneg = false;
  return false;
}

// tcp_input.c:tcp_try_undo_partial(): a partial ACK for data that was only delayed; otherwise
// tcp_force_fast_retransmit() decides whether the scoreboard may mark more (without RACK).
bool LossRecovery::try_undo_partial(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c,
                                    const AckIn& in, SeqNum prior_snd_una, bool& do_lost) {
  State& s = *s_;
  if (!(s.undo_armed && packet_delayed(c, in))) {
    do_lost = force_fast_retransmit(c);  // a partial ACK: the next hole may be due
    return false;
  }
  check_reordering(c, prior_snd_una, true);
  if (s.retrans_out != 0) return true;
  if (!any_retrans_done(rest)) s.retrans_stamp_set = false;
  undo_cwnd_reduction(q, c, true);
  if (c.mib) c.mib->TCPPartialUndo++;
  try_keep_open(rest, c);
  return false;
}

// tcp_input.c:tcp_try_undo_dsack(): every retransmission was reported duplicate.
bool LossRecovery::try_undo_dsack(std::span<ScoreSeg> q, LossCtx& c) {
  State& s = *s_;
  if (!(s.undo_armed && s.undo_retrans == 0)) return false;
  s.reo_wnd_persist = static_cast<uint8_t>(std::min(16, s.reo_wnd_persist + 1));
  undo_cwnd_reduction(q, c, false);
  if (c.mib) c.mib->TCPDSACKUndo++;
  return true;
}

// tcp_input.c:tcp_try_undo_loss(): undo an RTO on Eifel/D-SACK evidence or F-RTO's verdict.
bool LossRecovery::try_undo_loss(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c,
                                 const AckIn& in, bool frto_undo) {
  State& s = *s_;
  if (!(frto_undo || (s.undo_armed && (s.undo_retrans == 0 || packet_delayed(c, in)))))
    return false;
  undo_cwnd_reduction(q, c, true);
  if (c.mib) {
    c.mib->TCPLossUndo++;
    if (frto_undo) c.mib->TCPSpuriousRTOs++;
  }
  if (non_sack_preventing_reopen(rest, c)) return true;
  // Without SACK a timestamp undo keeps state Loss until high_seq is passed.
  if (frto_undo || c.cfg->sack) {
    set_ca_state(c, CaState::open);
    s.is_sack_reneg = false;
  }
  return true;
}

// tcp_input.c:tcp_process_loss(): an ACK in state Loss, with SACK-enhanced F-RTO (RFC 5682
// §3.1): never-retransmitted data (S)ACKed means the timeout was spurious; a dupACK or SACK
// after new data went out means the loss was real.
void LossRecovery::process_loss(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c,
                                const AckIn& in, AckOut& out, bool una_advanced,
                                uint32_t num_dupack) {
  State& s = *s_;
  const bool recovered = !(c.snd_una < s.high_seq);
  if (una_advanced && try_undo_loss(q, rest, c, in, false)) {
    out.undone = true;
    return;
  }
  if (s.frto) {
    if (out.orig_sack_acked && try_undo_loss(q, rest, c, in, true)) {  // step 3.b
      out.undone = true;
      return;
    }
    const bool dupack = !(una_advanced || in.not_dup || out.dsack);
    if (c.snd_nxt > s.high_seq) {
      if (out.newly_sacked > 0 || dupack) s.frto = false;  // step 3.a: the loss was real
    } else if (una_advanced && !recovered) {
      s.high_seq = c.snd_nxt;
      if (in.new_data_sendable) {  // step 2.b: probe with new data
        out.send_new_data = true;
        return;
      }
      s.frto = false;
    }
  }
  if (recovered) {
    out.recovery_ended = !try_undo_recovery(q, rest, c, in);
    return;
  }
  if (!c.cfg->sack) {
    // A Reno dupACK after F-RTO's new data went out means it was delivered: lower in_flight
    // to clock out (re)transmissions.
    if (c.snd_nxt > s.high_seq && num_dupack > 0) {
      add_reno_sack(c, static_cast<uint32_t>(rest.size()), num_dupack);
    } else if (una_advanced) {
      s.sacked_out = 0;  // tcp_reset_reno_sack()
    }
  }
}

// tcp_input.c:tcp_process_tlp_ack(): what the ACK after a probe says about the episode.
void LossRecovery::process_tlp_ack(LossCtx& c, std::span<ScoreSeg> rest, SeqNum ack, bool dsack_tlp,
                                   bool progress) {
  State& s = *s_;
  if (ack < s.tlp_high_seq) return;
  if (!s.tlp_retrans) {
    s.tlp_armed = false;  // a probe of new data was acknowledged
  } else if (dsack_tlp) {
    s.tlp_armed = false;  // original and probe both arrived: no loss
  } else if (ack > s.tlp_high_seq) {
    // The probe repaired a loss: reduce cwnd once (CWR), at once.
    init_cwnd_reduction(c);
    set_ca_state(c, CaState::cwr);
    end_cwnd_reduction(c);
    try_keep_open(rest, c);
    if (c.mib) c.mib->TCPLossProbeRecovery++;
  } else if (!progress) {
    s.tlp_armed = false;  // pure dupACK: no loss
  }
}

uint32_t LossRecovery::on_reo_timeout(std::span<ScoreSeg> q, LossCtx c) {
  State& s = st(*c.cfg);
  const auto packets_out = static_cast<uint32_t>(q.size());
  const uint32_t prior_inflight = in_flight(packets_out);
  const uint32_t prior_lost = s.lost;
  int64_t timeout_us = 0;
  rack_detect_loss(q, c, timeout_us);
  if (prior_inflight != in_flight(packets_out) && c.ca->ca_state != CaState::recovery) {
    enter_recovery(q, c);
    cwnd_reduction(c, packets_out, 1, s.lost - prior_lost, false);
  }
  return s.lost - prior_lost;
}

// tcp_output.c:tcp_retransmit_skb(): Retrans bits, retrans_out, the episode's first stamp.
// A loss probe goes through __tcp_retransmit_skb() alone: EVER_RETRANS and total_retrans only.
void LossRecovery::on_retransmit(ScoreSeg& seg, LossCtx c, uint32_t tsval, bool probe) {
  State& s = st(*c.cfg);
  seg.last_sent = c.now;
  seg.tx_delivered = s.delivered;
  s.total_retrans++;
  if (probe) {
    seg.sacked |= kEverRetrans;
    return;
  }
  seg.sacked |= kRetrans;
  s.retrans_out++;
  stamp_attempt(s, tsval, 1);
  // tcp_xmit_retransmit_queue(): PRR counts what leaves during a reduction.
  if (in_cwnd_reduction(*c.ca)) s.prr_out++;
}

void LossRecovery::on_retransmit_refused(const LossConfig& cfg, uint32_t tsval, uint32_t segs) {
  stamp_attempt(st(cfg), tsval, segs);
}

// What tcp_retransmit_skb() does whatever __tcp_retransmit_skb() returned: "Save stamp of the
// first (attempted) retransmit" (the skb's timestamp, tcp_skb_timestamp_ts()), and count its
// segments in undo_retrans.
void LossRecovery::stamp_attempt(State& s, uint32_t tsval, uint32_t segs) {
  if (!s.retrans_stamp_set) {
    s.retrans_stamp_ts = tsval;
    s.retrans_stamp_set = true;
  }
  if (s.undo_retrans < 0) s.undo_retrans = 0;
  s.undo_retrans += static_cast<int32_t>(segs);
}

void LossRecovery::adjust_pcount(uint8_t sacked, int32_t decr, bool sack) {
  if (!s_) return;
  State& s = *s_;
  const auto d = static_cast<uint32_t>(decr);  // modulo 2^32: a negative count adds
  if ((sacked & kSackedAcked) != 0) s.sacked_out -= d;
  if ((sacked & kSackedRetrans) != 0) s.retrans_out -= d;
  if ((sacked & kLost) != 0) s.lost_out -= d;
  if (!sack && decr > 0) s.sacked_out -= std::min(s.sacked_out, d);  // "Reno case is special"
}

void LossRecovery::on_new_data_sent(const CaSock& ca, uint32_t segments) {
  if (s_ && in_cwnd_reduction(ca)) s_->prr_out += segments;
}

// tcp_output.c:tcp_schedule_loss_probe(): PTO = 2 srtt + (rto_min with one segment out, else
// 2 ms), 1 s without a sample, in jiffies, never after the RTO.
std::optional<Duration> LossRecovery::loss_probe_timeout(const LossCtx& c, uint32_t packets_out,
                                                         bool advancing_rto, Instant head_sent,
                                                         bool rack_timer_armed) const {
  const LossConfig& cfg = *c.cfg;
  const CaState state = c.ca->ca_state;
  if ((cfg.early_retrans != 3 && cfg.early_retrans != 4) || packets_out == 0 || !cfg.sack ||
      (state != CaState::open && state != CaState::cwr) || rack_timer_armed)
    return std::nullopt;
  const KernelClock& clock = c.clock;
  uint32_t timeout = clock.hz;  // TCP_TIMEOUT_INIT
  if (c.srtt_us8 != 0) {
    int64_t timeout_us = c.srtt_us8 >> 2;
    timeout_us += packets_out == 1 ? cfg.rto_min.ns() / 1000 : 2000;  // TCP_TIMEOUT_MIN_US
    timeout = clock.usecs_to_jiffies(static_cast<uint64_t>(timeout_us));
  }
  const int64_t rto_us = c.rto.ns() / 1000;
  const int64_t rto_delta_us = advancing_rto ? rto_us : us(head_sent) + rto_us - us(c.now);
  if (rto_delta_us > 0)
    timeout = std::min(timeout, clock.usecs_to_jiffies(static_cast<uint64_t>(rto_delta_us)));
  return clock.span(timeout);
}

// tcp_output.c:tcp_send_loss_probe(): one probe per episode; new data if it fits the window,
// else the last segment again.
ProbeKind LossRecovery::loss_probe_kind(bool new_data_fits) const {
  if (s_ && s_->tlp_armed) return ProbeKind::none;
  return new_data_fits ? ProbeKind::new_data : ProbeKind::retransmit_last;
}

void LossRecovery::on_loss_probe_sent(const LossCtx& c, ProbeKind kind) {
  State& s = st(*c.cfg);
  s.tlp_retrans = kind == ProbeKind::retransmit_last;
  s.tlp_high_seq = c.snd_nxt;
  s.tlp_armed = true;
  if (c.mib) c.mib->TCPLossProbes++;
}

// tcp_input.c:tcp_enter_loss() + tcp_timeout_mark_lost(): everything outstanding is lost except,
// with RACK, what was sent less than rack.rtt ago; a SACKed head means the receiver reneged.
void LossRecovery::on_rto(std::span<ScoreSeg> q, LossCtx c, bool first_timeout) {
  State& s = st(*c.cfg);
  if (c.mib) c.mib->TCPTimeouts++;
  const CaState state = c.ca->ca_state;
  const bool is_reneg = !q.empty() && (q[0].sacked & kSackedAcked) != 0;
  if (is_reneg) {
    if (c.mib) c.mib->TCPSACKReneging++;
    s.sacked_out = 0;
    s.is_sack_reneg = true;
  } else if (!c.cfg->sack) {
    s.sacked_out = 0;  // tcp_reset_reno_sack(): the dupACKs are forgotten
  }
  for (size_t i = 0; i < q.size(); ++i) {
    ScoreSeg& seg = q[i];
    if (is_reneg)
      seg.sacked &= static_cast<uint8_t>(~kSackedAcked);
    else if (c.cfg->rack() && i != 0 && s.rack_rtt_us - (us(c.now) - us(seg.last_sent)) > 0)
      continue;  // sent too recently to call lost
    mark_lost(seg, c);
  }
  // Cut ssthresh unless this episode already did.
  if (state <= CaState::disorder || !(s.high_seq > c.snd_una) ||
      (state == CaState::loss && first_timeout)) {
    s.prior_ssthresh = tcp_current_ssthresh(*c.ca);
    c.ca->prior_cwnd = c.ca->snd_cwnd;
    c.ca->snd_ssthresh = c.ops->ssthresh(*c.ca);
    c.ops->cwnd_event(*c.ca, c.env(), CaEvent::loss);
    init_undo(c);
  }
  c.ca->snd_cwnd = in_flight(static_cast<uint32_t>(q.size())) + 1;
  c.ca->snd_cwnd_cnt = 0;
  c.ca->snd_cwnd_stamp = c.env().jiffies();
  if (state <= CaState::disorder && s.sacked_out >= c.cfg->reordering)
    s.reordering = std::min(s.reordering, c.cfg->reordering);
  set_ca_state(c, CaState::loss);
  s.high_seq = c.snd_nxt;
  s.tlp_armed = false;
  // F-RTO unless this is an RTO during Recovery that is not a repeat (RFC 5682 §3.2).
  s.frto = c.cfg->frto != 0 && (state < CaState::recovery || !first_timeout);
}

}  // namespace netsim::tcp
