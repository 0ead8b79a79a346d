// Receiver SACK blocks: which blocks exist, in which order they go on the wire, and which
// D-SACK the next segment carries (net/ipv4/tcp_input.c, tcp_output.c; RFC 2018, RFC 2883).

#include "protocols/tcp/sack_receiver.hpp"

#include <algorithm>
#include <utility>

namespace netsim::tcp {

namespace {

constexpr uint32_t kMaxOptionSpace = 40;     // MAX_TCP_OPTION_SPACE
constexpr uint32_t kSackBaseAligned = 4;     // TCPOLEN_SACK_BASE_ALIGNED: nop,nop,kind,len
constexpr uint32_t kSackPerBlock = 8;        // TCPOLEN_SACK_PERBLOCK
constexpr uint32_t kSackBlocksExpected = 2;  // TCP_SACK_BLOCKS_EXPECTED

// tcp_input.c:tcp_sack_extend(): grow `sp` by an overlapping or adjacent range.
bool sack_extend(SackBlock& sp, SeqNum seq, SeqNum end) {
  if (!(seq > sp.end) && !(sp.start > end)) {
    if (seq < sp.start) sp.start = seq;
    if (end > sp.end) sp.end = end;
    return true;
  }
  return false;
}

}  // namespace

SackReceiver::State& SackReceiver::st() {
  if (!s_) s_ = std::make_unique<State>();
  return *s_;
}

void SackReceiver::release_if_idle() {
  if (s_ && s_->num_sacks == 0 && !s_->dsack) s_.reset();
}

std::span<const SackBlock> SackReceiver::blocks() const {
  if (!s_) return {};
  return {s_->selective_acks.data(), s_->num_sacks};
}

// tcp_input.c:tcp_dsack_set(): one D-SACK block, replacing any pending one.
void SackReceiver::dsack_set(SeqNum seq, SeqNum end, SeqNum rcv_nxt, bool enabled,
                             SackSentMib* mib) {
  if (!enabled) return;
  if (mib) (seq < rcv_nxt ? mib->TCPDSACKOldSent : mib->TCPDSACKOfoSent)++;
  State& s = st();
  s.dsack = true;
  s.duplicate_sack = {seq, end};
}

// tcp_input.c:tcp_dsack_extend().
void SackReceiver::dsack_extend(SeqNum seq, SeqNum end, SeqNum rcv_nxt, bool enabled,
                                SackSentMib* mib) {
  if (!s_ || !s_->dsack)
    dsack_set(seq, end, rcv_nxt, enabled, mib);
  else
    sack_extend(s_->duplicate_sack, seq, end);
}

// tcp_input.c:tcp_sack_new_ofo_skb(): a block the range touches is extended and rotated to
// slot 0, then merged with blocks it now reaches; otherwise a new block enters slot 0 and a
// fifth is forgotten.
bool SackReceiver::new_ofo_block(SeqNum seq, SeqNum end) {
  State& s = st();
  auto& sp = s.selective_acks;
  const uint32_t cur = s.num_sacks;
  bool flush = false;
  uint32_t this_sack = 0;
  for (; this_sack < cur; ++this_sack) {
    if (!sack_extend(sp[this_sack], seq, end)) continue;
    flush = this_sack >= kSackBlocksExpected;
    for (; this_sack > 0; --this_sack)
      std::swap(sp[this_sack], sp[this_sack - 1]);
    // tcp_sack_maybe_coalesce(): slot 0 may now reach other blocks.
    for (uint32_t i = 1; i < s.num_sacks;) {
      if (sack_extend(sp[0], sp[i].start, sp[i].end)) {
        s.num_sacks--;
        for (uint32_t k = i; k < s.num_sacks; ++k)
          sp[k] = sp[k + 1];
        continue;
      }
      ++i;
    }
    return flush;
  }
  flush = this_sack >= kSackBlocksExpected;
  if (this_sack >= sp.size()) {
    this_sack--;
    s.num_sacks--;
  }
  for (; this_sack > 0; --this_sack)
    sp[this_sack] = sp[this_sack - 1];
  sp[0] = {seq, end};
  s.num_sacks++;
  return flush;
}

bool SackReceiver::on_ofo_segment(std::span<const SackBlock> ofo, SeqNum seq, SeqNum end, bool sack,
                                  bool dsack_enabled, SeqNum rcv_nxt, SackSentMib* mib) {
  const bool dsack_on = sack && dsack_enabled;
  if (ofo.empty()) {
    // The first out-of-order segment: one block (tcp_data_queue_ofo()).
    if (sack) {
      State& s = st();
      s.num_sacks = 1;
      s.selective_acks[0] = {seq, end};
    }
    return false;
  }
  // The rbtree walk of tcp_data_queue_ofo(): the queued range holding seq, if any.
  size_t i = 0;
  while (i < ofo.size() && !(seq < ofo[i].end))
    ++i;
  bool merge_right = true;
  if (i < ofo.size() && !(seq < ofo[i].start)) {
    if (!(end > ofo[i].end)) {
      dsack_set(seq, end, rcv_nxt, dsack_on, mib);  // all of it is present
      merge_right = false;
    } else if (seq > ofo[i].start) {
      dsack_set(seq, ofo[i].end, rcv_nxt, dsack_on, mib);  // partial overlap
      ++i;
    } else {
      dsack_extend(ofo[i].start, ofo[i].end, rcv_nxt, dsack_on, mib);  // replaces it
      ++i;
    }
  }
  // merge_right: queued ranges the new segment covers, wholly or in part.
  for (; merge_right && i < ofo.size(); ++i) {
    if (!(end > ofo[i].start)) break;
    if (end < ofo[i].end) {
      dsack_extend(ofo[i].start, end, rcv_nxt, dsack_on, mib);
      break;
    }
    dsack_extend(ofo[i].start, ofo[i].end, rcv_nxt, dsack_on, mib);
  }
  return sack ? new_ofo_block(seq, end) : false;
}

void SackReceiver::on_old_segment(SeqNum seq, SeqNum end, SeqNum rcv_nxt, bool sack,
                                  bool dsack_enabled, SackSentMib* mib) {
  if (!(end > rcv_nxt)) {
    if (mib) mib->DelayedACKLost++;
    dsack_set(seq, end, rcv_nxt, sack && dsack_enabled, mib);
  } else if (seq < rcv_nxt) {
    dsack_set(seq, rcv_nxt, rcv_nxt, sack && dsack_enabled, mib);
  }
}

// tcp_input.c:tcp_ofo_queue().
void SackReceiver::on_ofo_drained(std::span<const SackBlock> drained, SeqNum dsack_high, bool sack,
                                  bool dsack_enabled, SackSentMib* mib) {
  for (const SackBlock& b : drained) {
    if (b.start < dsack_high) {
      const SeqNum dsack = b.end < dsack_high ? b.end : dsack_high;
      dsack_extend(b.start, dsack, dsack_high, sack && dsack_enabled, mib);
    }
  }
}

// tcp_input.c:tcp_sack_remove().
void SackReceiver::remove_covered(SeqNum rcv_nxt, bool ofo_empty) {
  if (!s_) return;
  State& s = *s_;
  if (ofo_empty) {
    s.num_sacks = 0;
  } else {
    for (uint32_t i = 0; i < s.num_sacks;) {
      if (!(rcv_nxt < s.selective_acks[i].start)) {
        for (uint32_t k = i + 1; k < s.num_sacks; ++k)
          s.selective_acks[k - 1] = s.selective_acks[k];
        s.num_sacks--;
        continue;
      }
      ++i;
    }
  }
  release_if_idle();
}

uint32_t SackReceiver::option_bytes(uint32_t other_option_bytes) const {
  if (!s_) return 0;
  const uint32_t eff = s_->num_sacks + (s_->dsack ? 1u : 0u);
  const uint32_t remaining = kMaxOptionSpace - other_option_bytes;
  if (eff == 0 || remaining < kSackBaseAligned + kSackPerBlock) return 0;
  return kSackBaseAligned +
         kSackPerBlock * std::min(eff, (remaining - kSackBaseAligned) / kSackPerBlock);
}

SackOption SackReceiver::take_option(uint32_t other_option_bytes) {
  SackOption opt;
  if (!s_) return opt;
  State& s = *s_;
  const uint32_t eff = s.num_sacks + (s.dsack ? 1u : 0u);
  const uint32_t remaining = kMaxOptionSpace - other_option_bytes;
  if (eff == 0 || remaining < kSackBaseAligned + kSackPerBlock) return opt;
  const uint32_t n = std::min(eff, (remaining - kSackBaseAligned) / kSackPerBlock);
  uint32_t k = 0;
  if (s.dsack) opt.blocks[k++] = s.duplicate_sack;  // duplicate_sack[] precedes selective_acks[]
  for (uint32_t i = 0; k < n; ++i)
    opt.blocks[k++] = s.selective_acks[i];
  opt.count = static_cast<uint8_t>(n);
  opt.has_dsack = s.dsack;
  s.dsack = false;
  release_if_idle();
  return opt;
}

}  // namespace netsim::tcp
