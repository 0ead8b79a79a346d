// The retransmission queue's skbs at a retransmission (net/ipv4/tcp_output.c
// __tcp_retransmit_skb()): an skb longer than the segments that may leave is split
// (tcp_fragment()), its segments are cut at the current MSS, and a short one takes the
// one-segment skbs after it (tcp_retrans_try_collapse()). See rtx_skb.hpp for the structure.

#include <algorithm>

#include "protocols/tcp/rtx_skb.hpp"
#include "protocols/tcp/tcb.hpp"

namespace netsim::tcp {

// __tcp_retransmit_skb() up to tcp_transmit_skb() for the skb starting at entry `index`, with
// `segs` segments allowed (cwnd room, at most tcp_tso_segs(); 1 for an RTO or a probe).
// Returns the entries that leave now, 0 when the window holds them back (-EAGAIN).
size_t Connection::Tcb::shape_retransmit(size_t index, uint32_t segs) {
  // A retransmission starts at an skb's head: a run marked lost from the middle of an skb
  // was split there (netsim tags segments; Linux fragments the skb when it marks it).
  rtx.split_before(index);
  const std::span<const SentSegment> q = rtx.segments();
  size_t e = skb_end(q, index);
  const uint8_t tags = q[index].sacked & (kSackedAcked | kSackedRetrans | kLost);
  for (size_t k = index + 1; k < e; ++k) {
    if ((q[k].sacked & (kSackedAcked | kSackedRetrans | kLost)) != tags) {
      rtx.split_before(k);
      e = k;
    }
  }
  const uint32_t cur_mss = std::max<uint32_t>(current_mss(), 1);
  const SentSegment& head = q[index];
  const SeqNum wnd_end = snd_una + snd_wnd;  // tcp_wnd_end()
  int64_t avail = wnd_end > head.seq ? static_cast<int64_t>(wnd_end - head.seq) : 0;
  if (avail <= 0) {
    // A window shrunk to zero: the head's retransmission is the zero-window probe.
    if (head.seq != snd_una) return 0;
    avail = cur_mss;
  }
  int64_t len = int64_t{cur_mss} * std::max<uint32_t>(segs, 1);
  if (len > avail) {
    len = avail / cur_mss * cur_mss;  // rounddown(avail_wnd, cur_mss)
    if (len == 0) len = avail;
  }
  const SentSegment& last = q[e - 1];
  const auto skb_len =
      static_cast<int64_t>(static_cast<uint32_t>(last.seq + last.data_len() - head.seq));
  if (skb_len == 0) return 1;  // a FIN alone
  const SentSegment before = head;
  const size_t entries_before = rtx.size();
  size_t n = 0;
  if (skb_len > len) {
    n = rtx.recut(index, e, cur_mss, static_cast<uint32_t>(len));  // tcp_fragment()
  } else {
    n = rtx.recut(index, e, cur_mss, static_cast<uint32_t>(skb_len));  // tcp_set_skb_tso_segs()
  }
  if (sca && rtx.size() != entries_before)
    lr().adjust_pcount(before.sacked, static_cast<int32_t>(entries_before - rtx.size()), sack_ok);
  if (skb_len <= len && skb_len < std::min<int64_t>(avail, cur_mss))
    retrans_try_collapse(index, std::min<int64_t>(avail, cur_mss));
  return n;
}

// tcp_retrans_try_collapse() + tcp_collapse_retrans(): while the merged segment stays within
// `space` (the window's room, at most one MSS) and the window, the one-segment skbs after the
// one at `index` join it; never a SACKed one, nor across the end of a record (MSG_EOR).
void Connection::Tcb::retrans_try_collapse(size_t index, int64_t space) {
  if (!prof().retrans_collapse) return;
  const SeqNum wnd_end = snd_una + snd_wnd;
  space -= rtx.at(index).data_len();
  if ((rtx.at(index).sacked & kSackedAcked) != 0) return;  // tcp_can_collapse(to)
  while (index + 1 < rtx.size()) {
    const std::span<const SentSegment> q = rtx.segments();
    const SentSegment& next = q[index + 1];
    // tcp_can_collapse(): one segment, not SACKed; tcp_skb_can_collapse(to, skb): no EOR.
    if (skb_end(q, index + 1) != index + 2 || (next.sacked & kSackedAcked) != 0) break;
    if (q[index].eor) break;
    space -= next.data_len();
    if (space < 0 || next.end() > wnd_end) break;
    const SentSegment gone = rtx.merge_next(index);
    rtx.at(index).sacked |= gone.sacked & kEverRetrans;
    if (sca) lr().adjust_pcount(gone.sacked, 1, sack_ok);
  }
}

}  // namespace netsim::tcp
