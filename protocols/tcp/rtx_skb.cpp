// SACK reshaping of the retransmission queue's skbs (see rtx_skb.hpp).

#include "protocols/tcp/rtx_skb.hpp"

#include <algorithm>

namespace netsim::tcp {

namespace {

constexpr uint8_t kTagBits = kSackedAcked | kSackedRetrans | kLost;  // TCPCB_TAGBITS
// tcp_skb_shift(): an skb holds less than 65535 * TCP_MIN_GSO_SIZE bytes, 65535 segments.
constexpr uint64_t kMaxSkbBytes = 65535ull * 8;
constexpr size_t kMaxSkbSegs = 65535;

struct SackWalk {
  std::span<SentSegment> q;
  SackBlock b;
  SeqNum ack;

  // Entry k lies in the block and above the cumulative ACK (tcp_sacktag_one() tags it).
  bool covered(size_t k) const {
    return b.start <= q[k].seq && q[k].end() <= b.end && q[k].end() > ack;
  }
  // The data bytes of entries [a, e).
  uint64_t bytes(size_t a, size_t e) const {
    return static_cast<uint32_t>(q[e - 1].seq + q[e - 1].data_len() - q[a].seq);
  }
  // The tag bits entry k carries once tcp_sacktag_walk() has passed it: the walk tags each
  // skb before it reaches the next one (netsim tags the block after reshaping it). A newly
  // SACKed retransmission still in flight (R without L) keeps R (tcp_sacktag_one()).
  uint8_t tags_after(size_t k) const {
    const uint8_t s = q[k].sacked;
    if (!covered(k) || (s & kSackedAcked) != 0) return s & kTagBits;
    return (s & (kLost | kSackedRetrans)) == kSackedRetrans ? kSackedAcked | kSackedRetrans
                                                            : kSackedAcked;
  }
  // tcp_skb_shift()'s limits for the skb ending at entry a - 1 grown to end at entry `e`.
  // The whole queue within them says so without looking for that skb's head.
  bool fits(size_t a, size_t e) const {
    if (bytes(0, e) < kMaxSkbBytes && e <= kMaxSkbSegs) return true;
    const size_t p = skb_head(q, a - 1);
    return bytes(p, e) < kMaxSkbBytes && e - p <= kMaxSkbSegs;
  }
  // tcp_skb_seglen() of the skb ending at entry k: the length of a one-segment skb, else its
  // MSS (the length of its segments but the last).
  uint32_t seglen_ending(size_t k) const {
    return skb_boundary(q[k]) ? q[k].data_len() : q[k - 1].data_len();
  }
  // The prerequisites of tcp_shift_skb_data() for the skb starting at entry a: not "R but no
  // L" (a retransmission in flight), the previous skb SACKed and nothing else
  // (TCPCB_TAGBITS), not ending a record (tcp_skb_can_collapse()), and both of the same
  // segment size.
  bool can_shift(size_t a) const {
    if (a == 0 || (q[a].sacked & (kLost | kSackedRetrans)) == kSackedRetrans) return false;
    return tags_after(a - 1) == kSackedAcked && !q[a - 1].eor &&
           q[a].data_len() == seglen_ending(a - 1);
  }
};

}  // namespace

int32_t sack_reshape(std::span<SentSegment> q, SackBlock b, SeqNum ack, LossMib* mib) {
  const auto count = [mib](uint64_t LossMib::*c) {
    if (mib != nullptr) ++(mib->*c);
  };
  const SackWalk w{q, b, ack};
  // The queue is in sequence order: the first segment ending after the block's start.
  const auto first = std::partition_point(
      q.begin(), q.end(), [&](const SentSegment& s) { return !(s.end() > b.start); });
  if (first == q.end()) return 0;
  size_t a = static_cast<size_t>(first - q.begin());
  // Already SACKed segments are skipped (the SACK cache, tcp_sacktag_skip()).
  while (a < q.size() && q[a].seq < b.end && (q[a].sacked & kSackedAcked) != 0)
    ++a;
  if (a == q.size() || !(q[a].seq < b.end)) return 0;
  a = skb_head(q, a);
  int32_t delta = 0;
  while (a < q.size() && q[a].seq < b.end) {
    const size_t e = skb_end(q, a);
    size_t c0 = a;
    while (c0 < e && !w.covered(c0))
      ++c0;
    size_t c1 = c0;
    bool fresh = false;  // something newly SACKed (the SACK cache skips the rest)
    for (; c1 < e && w.covered(c1); ++c1)
      fresh = fresh || (q[c1].sacked & kSackedAcked) == 0;
    if (!fresh) {
      a = e;
      continue;
    }
    // Each pass is one tcp_shift_skb_data() call of tcp_sacktag_walk(): a shift that takes
    // the whole skb counts TCPSackMerged (tcp_shifted_skb(): "Whole SKB was eaten"), a part
    // of it TCPSackShifted, and no shift TCPSackShiftFallback ("goto fallback": the skb is
    // then split and tagged in place; its "noop" cases need an skb cut inside a segment).
    const bool shift = c0 == a && w.can_shift(a) && w.fits(a, c1);
    count(!shift    ? &LossMib::TCPSackShiftFallback
          : c1 == e ? &LossMib::TCPSackMerged
                    : &LossMib::TCPSackShifted);
    if (shift && c1 == e) {
      // tcp_shifted_skb(): the whole skb joins the previous one; a SACKed skb of the same
      // segment size right after it follows ("Hole filled allows collapsing with the next").
      q[a].skb_start = false;
      --delta;
      size_t end = e;
      if (e < q.size() && q[e].skb_start && (q[e].sacked & kTagBits) == kSackedAcked &&
          q[e].data_len() == q[a].data_len() && !q[e - 1].eor && w.fits(a, skb_end(q, e))) {
        q[e].skb_start = false;
        --delta;
        end = skb_end(q, e);
        count(&LossMib::TCPSackMerged);  // the second tcp_shifted_skb() eats it whole too
      }
      a = end;
      continue;
    }
    if (shift) {
      // A SACKed head moves into the previous skb; the rest stays an skb of its own.
      q[a].skb_start = false;
      q[c1].skb_start = true;
      a = c1;
      continue;
    }
    // tcp_match_skb_to_sack(): tcp_fragment() at the block's start, then at its end.
    if (c0 > a) {
      q[c0].skb_start = true;
      ++delta;
      a = c0;
    } else if (c1 < e) {
      q[c1].skb_start = true;
      ++delta;
      a = c1;
    } else {
      a = e;
    }
  }
  return delta;
}

}  // namespace netsim::tcp
