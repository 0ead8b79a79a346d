// WriteQueue and the GSO sizing helpers (see write_queue.hpp).

#include "protocols/tcp/write_queue.hpp"

#include <algorithm>

#include "protocols/tcp/msg_flags.hpp"

namespace netsim::tcp {

namespace {
// tcp.c:forced_push().
bool forced_push(SeqNum write_seq, SeqNum pushed_seq, uint32_t max_window) {
  return write_seq > pushed_seq + (max_window >> 1);
}
}  // namespace

uint32_t WriteQueue::tail_len(SeqNum snd_nxt) const {
  SeqNum start = skbs_.size() >= 2 ? skbs_[skbs_.size() - 2].end : snd_nxt;
  return static_cast<uint32_t>(skbs_.back().end - start);
}

uint32_t WriteQueue::tail_room(SeqNum snd_nxt, uint32_t size_goal) const {
  if (skbs_.empty() || skbs_.back().eor) return 0;
  uint32_t len = tail_len(snd_nxt);
  return len < size_goal ? size_goal - len : 0;
}

bool WriteQueue::write(SeqNum from, SeqNum to, SeqNum snd_nxt, uint32_t size_goal,
                       uint32_t max_window, SeqNum& pushed_seq, bool first, bool end,
                       uint32_t flags) {
  SeqNum pos = from;
  bool copied = !first;
  bool marked = false;
  while (pos < to) {
    // tcp_write_queue_tail(): the last unsent skb, if it has room (copy = size_goal - len).
    uint32_t room = tail_room(snd_nxt, size_goal);
    if (room == 0) {
      skbs_.push_back(SkbMark{pos, false});  // tcp_skb_entail(): flags ACK only
      room = size_goal;
    }
    SkbMark& tail = skbs_.back();
    uint32_t copy = std::min(room, static_cast<uint32_t>(to - pos));
    // "if (!copied) TCP_SKB_CB(skb)->tcp_flags &= ~TCPHDR_PSH": appending to the previous
    // write's tail takes its mark away.
    if (!copied) tail.psh = false;
    copied = true;
    pos += copy;
    tail.end = pos;
    marked = false;
    if (pos == to && end) {  // "if (!msg_data_left(msg)) { if (flags & MSG_EOR) eor = 1; ..."
      if ((flags & kMsgEor) != 0) tail.eor = true;
      break;
    }
    if (copy < room) continue;  // skb->len < size_goal
    if (forced_push(pos, pushed_seq, max_window)) {
      tail.psh = true;  // tcp_mark_push()
      pushed_seq = pos;
      marked = true;
    }
  }
  // tcp_push(): "if (!(flags & MSG_MORE) || forced_push(tp)) tcp_mark_push(tp, skb)".
  if (end && copied && !skbs_.empty() &&
      ((flags & kMsgMore) == 0 || forced_push(to, pushed_seq, max_window))) {
    skbs_.back().psh = true;
    pushed_seq = to;
  }
  return marked;
}

void WriteQueue::sent(SeqNum snd_nxt) {
  size_t n = 0;
  while (n < skbs_.size() && skbs_[n].end <= snd_nxt)
    ++n;
  if (n == skbs_.size()) {
    skbs_.release();
  } else {
    skbs_.erase_front(n);
  }
}

void WriteQueue::grow_head(uint32_t amount) {
  if (skbs_.size() < 2 || amount == 0 || skbs_[0].eor) return;
  SkbMark& head = skbs_[0];
  const SkbMark& nxt = skbs_[1];
  uint32_t nlen = std::min(amount, static_cast<uint32_t>(nxt.end - head.end));
  head.end += nlen;
  if (head.end == nxt.end) {
    head.psh = head.psh || nxt.psh;
    head.eor = nxt.eor;
    // Erase index 1: rebuild the front two as one.
    SkbMark merged = head;
    skbs_.erase_front(1);
    skbs_.front() = merged;
  }
}

uint32_t WriteQueue::first_segment(SeqNum snd_nxt, uint32_t mss, bool& last) const {
  last = skbs_.size() < 2;
  if (skbs_.empty()) return 0;
  uint32_t len = static_cast<uint32_t>(skbs_[0].end - snd_nxt);
  if (len < mss && !last && !skbs_[0].eor) {
    // tcp_grow_skb() has at least mss - len to fill (a cwnd quota of one segment or more) and
    // takes it from the next skb only; a next skb eaten whole leaves the head last when it was
    // the queue's second. A grown head of a full segment is never tested by Nagle.
    const uint32_t nlen = static_cast<uint32_t>(skbs_[1].end - skbs_[0].end);
    const uint32_t take = std::min(nlen, mss - len);
    len += take;
    last = take == nlen && skbs_.size() == 2;
  }
  return std::min(len, mss);
}

const SkbMark* WriteQueue::ending_at(SeqNum end) const {
  for (const SkbMark& s : skbs_) {
    if (s.end == end) return &s;
    if (s.end > end) break;
  }
  return nullptr;
}

bool WriteQueue::marked_at(SeqNum end) const {
  const SkbMark* s = ending_at(end);
  return s != nullptr && s->psh;
}

bool WriteQueue::eor_at(SeqNum end) const {
  const SkbMark* s = ending_at(end);
  return s != nullptr && s->eor;
}

uint32_t tcp_xmit_size_goal(uint32_t mss_now, uint32_t max_window) {
  // tcp.h:tcp_bound_to_half_wnd(): half the largest window once it exceeds TCP_MSS_DEFAULT.
  uint32_t cutoff = max_window > 536 ? max_window >> 1 : max_window;
  uint32_t goal = kGsoMaxSize;
  if (cutoff != 0 && goal > cutoff) goal = std::max<uint32_t>(cutoff, 68 - 20);
  uint32_t segs = std::min<uint32_t>(goal / std::max<uint32_t>(mss_now, 1), 65535);
  return std::max(segs * mss_now, mss_now);
}

uint32_t tcp_tso_segs(uint64_t pacing_rate, uint32_t min_rtt_us, uint32_t mss_now) {
  // sk_pacing_rate >> sk_pacing_shift (10: about 1 ms of data), plus a share of the GSO size
  // halved per 512 µs of min RTT (tcp_tso_rtt_log 9); ~0 (no ACK yet) gives the GSO maximum.
  uint64_t bytes = pacing_rate == 0 ? ~uint64_t{0} >> 10 : pacing_rate >> 10;
  uint32_t r = min_rtt_us == 0 ? ~0u : min_rtt_us >> 9;
  if (r < 32) bytes += kGsoMaxSize >> r;
  bytes = std::min<uint64_t>(bytes, kGsoMaxSize);
  uint32_t segs =
      std::max(static_cast<uint32_t>(bytes / std::max<uint32_t>(mss_now, 1)), kMinTsoSegs);
  return std::min<uint32_t>(segs, 65535);  // sk_gso_max_segs
}

}  // namespace netsim::tcp
