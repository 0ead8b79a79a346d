// The scoreboard half of LossRecovery: SACK block validation, D-SACK, tagging segments
// SACKed/lost, the cumulative ACK's bookkeeping, reordering detection and RACK loss detection
// (net/ipv4/tcp_input.c tcp_sacktag_*, tcp_clean_rtx_queue; net/ipv4/tcp_recovery.c).

#include <algorithm>
#include <array>

#include "protocols/tcp/sack_scoreboard.hpp"

#include "protocols/tcp/rtx_skb.hpp"

namespace netsim::tcp {

namespace {

int64_t us(Instant t) {
  return t.ns() / 1000;
}

// tcp.h:tcp_skb_sent_after(): later send time, ties broken by the higher end sequence.
bool sent_after(Instant t1, Instant t2, SeqNum seq1, SeqNum seq2) {
  return us(t1) > us(t2) || (us(t1) == us(t2) && seq1 > seq2);
}

// tcp_rate.c:tcp_rate_skb_delivered(): the rate sample keeps the most recently sent one.
void note_delivered(LossRecovery::State& s, const ScoreSeg& seg) {
  if (s.rs_prior_delivered == 0 || us(seg.last_sent) >= us(s.rs_prior_mstamp)) {
    s.rs_prior_delivered = seg.tx_delivered;
    s.rs_prior_mstamp = seg.last_sent;
  }
}

}  // namespace

LossRecovery::State& LossRecovery::st(const LossConfig& cfg) {
  if (!s_) {
    s_ = std::make_unique<State>();
    s_->reordering = cfg.reordering;
  }
  return *s_;
}

uint32_t LossRecovery::in_flight(uint32_t packets_out) const {
  if (!s_) return packets_out;
  return packets_out - (s_->sacked_out + s_->lost_out) + s_->retrans_out;
}

// tcp_input.c:tcp_is_sackblock_valid(): inside (snd_una, snd_nxt], or a D-SACK below snd_una
// no older than undo_marker (allowing one max_window across it).
bool LossRecovery::sack_block_valid(const LossCtx& c, bool is_dsack, SackBlock b) const {
  if (b.end > c.snd_nxt || !(b.start < b.end)) return false;
  if (!(b.start < c.snd_nxt)) return false;
  if (b.start > c.snd_una) return true;
  if (!is_dsack || !undo_armed()) return false;
  if (b.end > c.snd_una) return false;
  if (!(b.start < s_->undo_marker)) return true;
  if (!(b.end > s_->undo_marker)) return false;
  return !(b.start < b.end - c.max_window);
}

// tcp_input.c:tcp_check_dsack() + tcp_dsack_seen(): the first block is a D-SACK when it lies
// below the ACK, or inside the second block.
bool LossRecovery::check_dsack(const LossCtx& c, const AckIn& in, SeqNum prior_snd_una,
                               bool& dsack_tlp) {
  const SackBlock b0 = in.sacks[0];
  if (b0.start < in.ack) {
    if (c.mib) c.mib->TCPDSACKRecv++;
  } else if (in.sacks.size() > 1) {
    const SackBlock b1 = in.sacks[1];
    if (b0.end > b1.end || b0.start < b1.start) return false;
    if (c.mib) c.mib->TCPDSACKOfoRecv++;
  } else {
    return false;
  }
  State& s = st(*c.cfg);
  uint32_t dup_segs = 0;
  if (b0.start < b0.end) {
    const auto seq_len = static_cast<uint32_t>(b0.end - b0.start);
    if (seq_len <= c.max_window) {
      dup_segs = 1;
      if (seq_len > c.mss)
        dup_segs = (seq_len + c.mss - 1) / c.mss;
      else if (s.tlp_armed && s.tlp_high_seq == b0.end)
        dsack_tlp = true;
      s.dsack_dups += dup_segs;
      // More duplicates reported than we ever retransmitted: dubious.
      if (s.dsack_dups > s.total_retrans) {
        dup_segs = 0;
      } else if (s.reord_seen != 0 && !dsack_tlp) {
        s.rack_dsack_seen = true;
      }
    }
  }
  if (dup_segs == 0) {
    if (c.mib) c.mib->TCPDSACKIgnoredDubious++;
    return false;
  }
  if (c.mib) c.mib->TCPDSACKRecvSegs += dup_segs;
  s.delivered += dup_segs;  // a spurious retransmission was delivered
  // D-SACK for already forgotten (cumulatively acked) data: count it against undo_retrans.
  if (s.undo_armed && s.undo_retrans > 0 && !(b0.end > prior_snd_una) && b0.end > s.undo_marker)
    s.undo_retrans = std::max<int32_t>(0, s.undo_retrans - static_cast<int32_t>(dup_segs));
  return true;
}

// tcp_recovery.c:tcp_rack_advance(): the most recently sent (S)ACKed segment and its RTT.
void LossRecovery::rack_advance(const LossCtx& c, uint8_t sacked, SeqNum end_seq, Instant xmit) {
  State& s = *s_;
  const int64_t rtt_us = us(c.now) - us(xmit);
  // A retransmission acked sooner than min_rtt: the original may have been acked.
  if (rtt_us < c.min_rtt_us && (sacked & kRetrans) != 0) return;
  s.rack_advanced = true;
  s.rack_rtt_us = rtt_us;
  if (sent_after(xmit, s.rack_mstamp, end_seq, s.rack_end_seq)) {
    s.rack_mstamp = xmit;
    s.rack_end_seq = end_seq;
  }
}

// tcp_input.c:tcp_check_sack_reordering(): data below the highest SACK arrived late.
void LossRecovery::check_reordering(const LossCtx& c, SeqNum low_seq, bool ts) {
  State& s = *s_;
  const SeqNum fack = s.has_sack ? s.highest_sack : c.snd_una;
  if (!(low_seq < fack)) return;
  const auto metric = static_cast<uint32_t>(fack - low_seq);
  if (metric > s.reordering * c.mss && c.mss != 0)
    s.reordering = std::min((metric + c.mss - 1) / c.mss, c.cfg->max_reordering);
  s.reord_seen++;
  if (c.mib) (ts ? c.mib->TCPTSReorder : c.mib->TCPSACKReorder)++;
}

// tcp_input.c:tcp_mark_skb_lost().
void LossRecovery::mark_lost(ScoreSeg& seg, const LossCtx& c) {
  State& s = *s_;
  if ((seg.sacked & kSackedAcked) != 0) return;
  if ((seg.sacked & kLost) != 0) {
    if ((seg.sacked & kSackedRetrans) != 0) {  // a retransmission lost again
      seg.sacked &= static_cast<uint8_t>(~kSackedRetrans);
      s.retrans_out--;
      if (c.mib) c.mib->TCPLostRetransmit++;
    }
  } else {
    s.lost_out++;
    s.lost++;
    seg.sacked |= kLost;
  }
}

// tcp_input.c:tcp_force_fast_retransmit(): the highest SACK lies more than `reordering`
// segments beyond snd_una (tcp_highest_sack_seq(): snd_una when nothing is SACKed).
bool LossRecovery::force_fast_retransmit(const LossCtx& c) const {
  const State& s = *s_;
  const SeqNum highest = s.sacked_out != 0 && s.has_sack ? s.highest_sack : c.snd_una;
  return highest > c.snd_una + s.reordering * c.mss;
}

// tcp_input.c:tcp_mark_head_lost(): from the head, mark every segment not SACKed as lost until
// more than `packets` SACKed ones were passed (RFC 6675's IsLost() with DupThresh =
// reordering); `mark_head` marks the head alone. The kernel's lost_skb_hint only saves the walk.
void LossRecovery::mark_head_lost(std::span<ScoreSeg> rest, const LossCtx& c, uint32_t packets,
                                  bool mark_head) {
  uint32_t cnt = 0;
  for (ScoreSeg& seg : rest) {
    if (seg.end() > c.snd_nxt) break;  // loss_high
    if ((seg.sacked & kSackedAcked) != 0) cnt++;
    if (cnt > packets) break;
    if ((seg.sacked & kLost) == 0) mark_lost(seg, c);
    if (mark_head) break;
  }
}

// tcp_input.c:tcp_update_scoreboard(), called from tcp_fastretrans_alert() when RACK is off:
// with sacked_out >= reordering everything below the reordering-th SACKed segment from the top
// is lost; else a fast retransmit (dupthresh reached by tcp_time_to_recover()) marks the head.
void LossRecovery::update_scoreboard(std::span<ScoreSeg> rest, const LossCtx& c, bool fast_rexmit) {
  const State& s = *s_;
  if (!c.cfg->sack || rest.empty()) return;
  if (s.sacked_out >= s.reordering)
    mark_head_lost(rest, c, s.sacked_out - s.reordering, false);
  else if (fast_rexmit)
    mark_head_lost(rest, c, 1, true);
}

// tcp_input.c:tcp_sacktag_one(): one segment inside a SACK (or D-SACK) block.
uint32_t LossRecovery::tag_one(ScoreSeg& seg, const LossCtx& c, bool dup, SeqNum ack, SeqNum& reord,
                               AckOut& out) {
  State& s = *s_;
  uint8_t sacked = seg.sacked;
  uint32_t newly = 0;
  if (dup && (sacked & kRetrans) != 0) {  // a D-SACK of a retransmission: one fewer to undo
    if (s.undo_armed && s.undo_retrans > 0 && seg.end() > s.undo_marker)
      s.undo_retrans = std::max<int32_t>(0, s.undo_retrans - 1);
    if ((sacked & kSackedAcked) != 0 && seg.seq < reord) reord = seg.seq;
  }
  if (!(seg.end() > ack)) return 0;  // about to be cumulatively acked
  if ((sacked & kSackedAcked) == 0) {
    rack_advance(c, sacked, seg.end(), seg.last_sent);
    if ((sacked & kSackedRetrans) != 0) {
      // Not Lost: the retransmission is believed still in flight; keep R.
      if ((sacked & kLost) != 0) {
        sacked &= static_cast<uint8_t>(~(kLost | kSackedRetrans));
        s.lost_out--;
        s.retrans_out--;
      }
    } else {
      if ((sacked & kRetrans) == 0) {
        if (s.has_sack && seg.seq < s.highest_sack && seg.seq < reord)
          reord = seg.seq;  // an original in a hole: reordering
        if (!(seg.end() > s.high_seq)) out.orig_sack_acked = true;
      }
      if ((sacked & kLost) != 0) {
        sacked &= static_cast<uint8_t>(~kLost);
        s.lost_out--;
      }
    }
    sacked |= kSackedAcked;
    s.sacked_out++;
    s.delivered++;
    note_delivered(s, seg);
    newly = 1;
    if (!s.has_sack || seg.end() > s.highest_sack) {  // tcp_advance_highest_sack()
      s.highest_sack = seg.end();
      s.has_sack = true;
    }
  }
  if (dup && (sacked & kSackedRetrans) != 0) {
    sacked &= static_cast<uint8_t>(~kSackedRetrans);
    s.retrans_out--;
  }
  seg.sacked = sacked;
  return newly;
}

// tcp_input.c:tcp_sacktag_write_queue(): D-SACK check, valid blocks sorted by start, every
// segment a block covers entirely tagged. Returns the newly SACKed count.
uint32_t LossRecovery::sacktag(std::span<ScoreSeg> q, const LossCtx& c, const AckIn& in,
                               SeqNum prior_snd_una, AckOut& out) {
  State& s = st(*c.cfg);
  const bool found_dsack = c.cfg->dsack && check_dsack(c, in, prior_snd_una, out.dsack_tlp);
  out.dsack = found_dsack;
  std::array<SackBlock, 4> sp{};
  std::array<bool, 4> sp_dup{};
  size_t used = 0;
  LossCtx v = c;
  v.snd_una = in.ack;  // tcp_ack() moved snd_una before tagging
  for (size_t i = 0; i < in.sacks.size() && i < sp.size(); ++i) {
    const bool dup = found_dsack && i == 0;
    if (!sack_block_valid(v, dup, in.sacks[i])) continue;
    if (!(in.sacks[i].end > prior_snd_una)) continue;  // very old: ignored early
    sp[used] = in.sacks[i];
    sp_dup[used] = dup;
    ++used;
  }
  // Order by start sequence, with the same bubble sort as the kernel (at most 4 blocks).
  for (size_t i = used; i > 1; --i) {
    for (size_t j = 0; j + 1 < i; ++j) {
      if (sp[j + 1].start < sp[j].start) {
        std::swap(sp[j], sp[j + 1]);
        std::swap(sp_dup[j], sp_dup[j + 1]);
      }
    }
  }
  SeqNum reord = c.snd_nxt;
  uint32_t newly = 0;
  for (size_t i = 0; i < used; ++i) {
    if (!sp_dup[i]) out.skb_delta += sack_reshape(q, sp[i], in.ack, c.mib);
    for (ScoreSeg& seg : q) {
      if (sp[i].start <= seg.seq && seg.end() <= sp[i].end)
        newly += tag_one(seg, c, sp_dup[i], in.ack, reord, out);
    }
  }
  if (c.ca->ca_state != CaState::loss || s.undo_armed) check_reordering(c, reord, false);
  return newly;
}

// tcp_input.c:tcp_clean_rtx_queue(): the segments the cumulative ACK covers leave the counters;
// never-retransmitted ones feed RACK and the reordering check.
uint32_t LossRecovery::clean_rtx(std::span<ScoreSeg> q, const LossCtx& c, SeqNum ack,
                                 SeqNum prior_fack, AckOut& out) {
  State& s = *s_;
  const bool reno = !c.cfg->sack;
  SeqNum reord = c.snd_nxt;
  uint32_t acked = 0;
  bool retrans_acked = false;  // FLAG_RETRANS_DATA_ACKED
  for (ScoreSeg& seg : q) {
    if (seg.end() > ack) break;  // netsim never splits a segment: a partly acked one stays whole
    const uint8_t sacked = seg.sacked;
    if ((sacked & kRetrans) != 0) {
      if ((sacked & kSackedRetrans) != 0) s.retrans_out--;
      retrans_acked = true;
    } else if ((sacked & kSackedAcked) == 0) {
      if (seg.seq < reord) reord = seg.seq;
      if (!(seg.end() > s.high_seq)) out.orig_sack_acked = true;
    }
    if ((sacked & kSackedAcked) != 0) {
      s.sacked_out--;
    } else if (reno) {
      note_delivered(s, seg);  // delivered is counted by tcp_remove_reno_sacks()
    } else {
      s.delivered++;
      note_delivered(s, seg);
      rack_advance(c, sacked, seg.end(), seg.last_sent);
    }
    if ((sacked & kLost) != 0) s.lost_out--;
    acked++;
  }
  if (reno) {
    if (acked > 0) {
      remove_reno_sacks(c, static_cast<uint32_t>(q.size()) - acked, acked);
      // Without SACKED_ACKED bits an ACK covering a retransmission cannot prove that an
      // original arrived (tcp_clean_rtx_queue()).
      if (retrans_acked) out.orig_sack_acked = false;
    }
  } else if (reord < prior_fack) {
    check_reordering(c, reord, false);
  }
  if (s.has_sack && !(s.highest_sack > ack))
    s.has_sack = false;  // tcp_highest_sack_reset(): nothing SACKed above snd_una
  return acked;
}

// tcp_recovery.c:tcp_rack_reo_wnd(): 0 when reordering was never seen and we are recovering or
// 3 segments were SACKed; else min_rtt/4 per step, at most srtt.
int64_t LossRecovery::reo_wnd_us(const LossCtx& c) const {
  const State& s = *s_;
  if (s.reord_seen == 0) {
    if (c.ca->ca_state >= CaState::recovery) return 0;
    if (s.sacked_out >= s.reordering && (c.cfg->recovery & 4) == 0) return 0;
  }
  return std::min((c.min_rtt_us >> 2) * s.reo_wnd_steps, c.srtt_us8 >> 3);
}

// tcp_recovery.c:tcp_rack_detect_loss(): an unacked segment sent before the latest delivered
// one is lost once rack.rtt + reo_wnd has passed since its send; otherwise report how long.
uint32_t LossRecovery::rack_detect_loss(std::span<ScoreSeg> q, const LossCtx& c,
                                        int64_t& reo_timeout_us) {
  State& s = *s_;
  reo_timeout_us = 0;
  const int64_t reo_wnd = reo_wnd_us(c);
  uint32_t lost = 0;
  for (ScoreSeg& seg : q) {
    if ((seg.sacked & kSackedAcked) != 0) continue;
    if ((seg.sacked & kLost) != 0 && (seg.sacked & kSackedRetrans) == 0) continue;
    if (!sent_after(s.rack_mstamp, seg.last_sent, s.rack_end_seq, seg.end())) continue;
    const int64_t remaining = s.rack_rtt_us + reo_wnd - (us(c.now) - us(seg.last_sent));
    if (remaining <= 0) {
      const uint32_t before = s.lost_out;
      mark_lost(seg, c);
      lost += s.lost_out - before;
    } else {
      reo_timeout_us = std::max(reo_timeout_us, remaining);
    }
  }
  return lost;
}

// tcp_recovery.c:tcp_rack_update_reo_wnd(): one more min_rtt/4 step per round trip with a
// D-SACK; back to one step after 16 recoveries without one.
void LossRecovery::update_reo_wnd(uint32_t prior_delivered) {
  State& s = *s_;
  if (prior_delivered == 0) return;
  if (static_cast<int32_t>(prior_delivered - s.rack_last_delivered) < 0) s.rack_dsack_seen = false;
  if (s.rack_dsack_seen) {
    s.reo_wnd_steps = static_cast<uint8_t>(std::min<uint32_t>(0xFF, s.reo_wnd_steps + 1u));
    s.rack_dsack_seen = false;
    s.rack_last_delivered = s.delivered;
    s.reo_wnd_persist = 16;  // TCP_RACK_RECOVERY_THRESH
  } else if (s.reo_wnd_persist == 0) {
    s.reo_wnd_steps = 1;
  }
}

}  // namespace netsim::tcp
