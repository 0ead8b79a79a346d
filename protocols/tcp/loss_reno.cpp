// LossRecovery without SACK, as Linux runs it when !tcp_is_sack(tp) ("tcp_is_reno"): each
// duplicate ACK counts as one SACKed segment in sacked_out (tcp_add_reno_sack()), a cumulative
// ACK gives them back (tcp_remove_reno_sacks()), and the head is marked lost at dupthresh or on
// a partial ACK in Recovery (tcp_recovery.c:tcp_newreno_mark_lost()). The rest of the state
// machine (PRR, undo, RTO, F-RTO) is the SACK path's, in loss_recovery.cpp.

#include <algorithm>

#include "protocols/tcp/sack_scoreboard.hpp"

namespace netsim::tcp {

// tcp_input.c:tcp_limit_reno_sacked(): sacked_out + max(lost_out, 1) never exceeds packets_out.
bool LossRecovery::limit_reno_sacked(uint32_t packets_out) {
  State& s = *s_;
  const uint32_t holes = std::min(std::max(s.lost_out, 1U), packets_out);
  if (s.sacked_out + holes <= packets_out) return false;
  s.sacked_out = packets_out - holes;
  return true;
}

// tcp_input.c:tcp_check_reno_reordering(): more duplicate ACKs than segments could cause means
// reordering (or a broken receiver); reordering grows to packets_out + addend.
void LossRecovery::check_reno_reordering(const LossCtx& c, uint32_t packets_out, uint32_t addend) {
  State& s = *s_;
  if (!limit_reno_sacked(packets_out)) return;
  s.reordering = std::min(packets_out + addend, c.cfg->max_reordering);
  s.reord_seen++;
  if (c.mib) c.mib->TCPRenoReorder++;
}

// tcp_input.c:tcp_add_reno_sack(): a duplicate ACK means one more segment left the network.
void LossRecovery::add_reno_sack(const LossCtx& c, uint32_t packets_out, uint32_t num_dupack) {
  if (num_dupack == 0) return;
  State& s = *s_;
  const uint32_t prior_sacked = s.sacked_out;
  s.sacked_out += num_dupack;
  check_reno_reordering(c, packets_out, 0);
  if (s.sacked_out > prior_sacked) s.delivered += s.sacked_out - prior_sacked;
}

// tcp_input.c:tcp_remove_reno_sacks(): one acked segment filled the hole, the others were
// already counted by duplicate ACKs.
void LossRecovery::remove_reno_sacks(const LossCtx& c, uint32_t packets_out, uint32_t acked) {
  State& s = *s_;
  if (acked > 0) {
    s.delivered += acked > s.sacked_out ? acked - s.sacked_out : 1;
    s.sacked_out = acked - 1 >= s.sacked_out ? 0 : s.sacked_out - (acked - 1);
  }
  check_reno_reordering(c, packets_out, acked);
}

// tcp_recovery.c:tcp_newreno_mark_lost(): the head is lost once `reordering` duplicate ACKs
// arrived before Recovery, or when a partial ACK advanced snd_una during it (RFC 6582 §3.2
// step 5: retransmit the next hole).
void LossRecovery::newreno_mark_lost(std::span<ScoreSeg> rest, const LossCtx& c,
                                     bool una_advanced) {
  State& s = *s_;
  const CaState state = c.ca->ca_state;
  if ((state < CaState::recovery && s.sacked_out >= s.reordering) ||
      (state == CaState::recovery && una_advanced)) {
    if ((rest[0].sacked & kLost) != 0) return;
    mark_lost(rest[0], c);
  }
}

// tcp_input.c:tcp_is_non_sack_preventing_reopen(): without SACK, Recovery (or Loss) is held
// until something above high_seq is acknowledged, so that the duplicate ACKs of the segments
// below it cannot start a false fast retransmit (RFC 6582 §3.2 step 2 / RFC 2582).
bool LossRecovery::non_sack_preventing_reopen(std::span<ScoreSeg> rest, const LossCtx& c) {
  if (c.cfg->sack || c.snd_una != s_->high_seq) return false;
  if (!any_retrans_done(rest)) s_->retrans_stamp_set = false;
  return true;
}

// tcp_input.c:tcp_time_to_recover(): a proven loss; without RACK also the dupthresh rule
// (tcp_dupack_heuristics(): sacked_out + 1 > reordering).
bool LossRecovery::time_to_recover(const LossCtx& c) const {
  const State& s = *s_;
  if (s.lost_out > 0) return true;
  return !c.cfg->rack() && s.sacked_out + 1 > s.reordering;
}

}  // namespace netsim::tcp
