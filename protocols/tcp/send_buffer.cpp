// SendBuffer and RtxQueue (see send_buffer.hpp).

#include "protocols/tcp/send_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace netsim::tcp {

void SendBuffer::append(Payload p) {
  if (p.empty()) return;
  size_ += p.size();
  chunks_.push_back(std::move(p));
}

void SendBuffer::consume(size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    size_t left = chunks_[head_].size() - head_off_;
    if (n < left) {
      head_off_ += n;
      break;
    }
    n -= left;
    chunks_[head_] = Payload();
    ++head_;
    head_off_ = 0;
  }
  if (size_ == 0) {
    // Release everything: an idle connection keeps no buffer memory (DESIGN memory budget).
    chunks_.release();
    head_ = 0;
    head_off_ = 0;
  } else if (head_ >= 32 && head_ * 2 >= chunks_.size()) {
    chunks_.erase_front(head_);
    head_ = 0;
  }
}

Payload SendBuffer::read(size_t offset, size_t len) const {
  if (len == 0) return {};
  size_t i = head_;
  size_t off = head_off_ + offset;
  while (i < chunks_.size() && off >= chunks_[i].size()) {
    off -= chunks_[i].size();
    ++i;
  }
  if (i >= chunks_.size()) return {};
  if (off + len <= chunks_[i].size()) return chunks_[i].slice(off, len);
  std::vector<uint8_t> bytes;
  bytes.reserve(len);
  while (len > 0 && i < chunks_.size()) {
    size_t take = std::min(len, chunks_[i].size() - off);
    const uint8_t* d = chunks_[i].data() + off;
    bytes.insert(bytes.end(), d, d + take);
    len -= take;
    off = 0;
    ++i;
  }
  return Payload(std::move(bytes));
}

size_t RtxQueue::find(SeqNum seq) const {
  for (size_t i = 0; i < segs_.size(); ++i) {
    if (segs_[i].seq <= seq && seq < segs_[i].end()) return i;
  }
  return segs_.size();
}

RtxQueue::AckResult RtxQueue::acknowledge(SeqNum ack) {
  AckResult r;
  size_t done = 0;
  std::optional<SeqNum> head;  // of the skb the loop is in
  bool trimmed = false;
  for (; done < segs_.size(); ++done) {
    SentSegment& s = segs_[done];
    if (s.seq >= ack) break;
    if (s.skb_start) head = s.seq;
    if (s.retransmits > 0) r.any_retransmitted = true;
    if (s.end() <= ack) {
      if (s.retransmits == 0 && !r.oldest_sent) r.oldest_sent = s.first_sent;
      continue;
    }
    // Partly acknowledged (the peer took a prefix): keep the rest as its own segment.
    uint32_t n = static_cast<uint32_t>(ack - s.seq);
    s.seq = ack;
    s.len -= n;
    trimmed = true;
    break;
  }
  size_t freed = 0;
  for (size_t i = 0; i < done; ++i)
    freed += segs_[i].skb_start ? 1 : 0;
  // tcp_clean_rtx_queue() frees whole skbs; one acknowledged in part is trimmed
  // (tcp_trim_head()) and stays: its rest now starts it.
  if (done < segs_.size() && !segs_[done].skb_start && freed > 0) {
    segs_[done].skb_start = true;
    --freed;
    trimmed = true;
  }
  if (trimmed && head && done < segs_.size()) r.trimmed = std::pair{*head, segs_[done].seq};
  skbs_ -= std::min(freed, skbs_);
  segs_.erase_front(done);
  if (segs_.empty()) segs_.release();
  return r;
}

SentSegment RtxQueue::merge_next(size_t i) {
  const SentSegment next = segs_[i + 1];
  SentSegment& s = segs_[i];
  s.len += next.len;
  s.fin = next.fin;
  s.psh = s.psh || next.psh;  // "tcp_flags |= next's": PSH and FIN move over
  s.eor = next.eor;
  if (next.skb_start) --skbs_;
  segs_.erase(i + 1);
  return next;
}

bool RtxQueue::cut_at(size_t k, size_t e, uint32_t mss) const {
  const SeqNum end = segs_[e - 1].seq + segs_[e - 1].data_len();
  for (; k < e; ++k) {
    if (segs_[k].data_len() != std::min<uint32_t>(mss, static_cast<uint32_t>(end - segs_[k].seq)))
      return false;
  }
  return true;
}

size_t RtxQueue::recut(size_t i, size_t e, uint32_t mss, uint32_t len) {
  const SeqNum start = segs_[i].seq;
  const SeqNum cut = start + len;
  const SentSegment last = segs_[e - 1];
  const bool whole = cut == last.seq + last.data_len();
  // Already cut so (the usual case: sent at this MSS): only tcp_fragment()'s boundary.
  size_t k = i;
  for (SeqNum at = start; k < e && at < cut; ++k) {
    if (segs_[k].seq != at || segs_[k].data_len() != std::min<uint32_t>(mss, cut - at)) break;
    at += mss;
  }
  if (!whole && k < e && segs_[k].seq == cut && cut_at(k, e, mss)) {
    split_before(k);
    return k - i;
  }
  if (k == e && whole) return e - i;
  std::vector<SentSegment> cut_segs;
  SentSegment piece = segs_[i];
  piece.fin = piece.psh = piece.eor = false;
  for (SeqNum at = start; at < cut; at += piece.len) {
    piece.seq = at;
    piece.len = std::min<uint32_t>(mss, static_cast<uint32_t>(cut - at));
    piece.skb_start = at == start;
    cut_segs.push_back(piece);
  }
  const size_t first = cut_segs.size();
  if (whole) {  // the old tail's FIN, PSH and EOR end the skb
    SentSegment& t = cut_segs.back();
    t.psh = last.psh;
    t.eor = last.eor;
    t.fin = last.fin;
    t.len += last.fin ? 1 : 0;
  } else {
    // tcp_fragment(): "tcp_set_skb_tso_segs(buff, mss_now)" re-cuts the new skb at the current
    // MSS too. Each segment keeps the state of the old one its first byte was in; the old
    // tail's FIN, PSH and EOR end it.
    const SeqNum end = last.seq + last.data_len();
    size_t j = i;
    for (SeqNum at = cut; at < end;) {
      while (segs_[j].seq + segs_[j].data_len() <= at)
        ++j;
      SentSegment s = segs_[j];
      s.seq = at;
      s.len = std::min<uint32_t>(mss, static_cast<uint32_t>(end - at));
      s.skb_start = at == cut;
      at += s.len;
      const bool tail = at == end;
      s.fin = tail && last.fin;
      s.psh = tail && last.psh;
      s.eor = tail && last.eor;
      s.len += s.fin ? 1 : 0;
      cut_segs.push_back(s);
    }
    ++skbs_;
  }
  std::vector<SentSegment> rest(segs_.begin() + e, segs_.end());
  while (segs_.size() > i)
    segs_.pop_back();
  for (const SentSegment& s : cut_segs)
    segs_.push_back(s);
  for (const SentSegment& s : rest)
    segs_.push_back(s);
  return first;
}

bool RtxQueue::any_retransmitted() const {
  return std::any_of(segs_.begin(), segs_.end(),
                     [](const SentSegment& s) { return s.retransmits > 0; });
}

void RtxQueue::clear() {
  segs_.release();
  skbs_ = 0;
}

uint32_t sndbuf_per_mss(uint32_t mss) {
  uint32_t need = mss + kMaxTcpHeader + kSkbSharedInfoAligned;
  uint32_t pow2 = 1;
  while (pow2 < need)
    pow2 <<= 1;  // roundup_pow_of_two()
  return pow2 + kSkBuffAligned;
}

uint32_t sndbuf_expand(uint32_t sndbuf, uint32_t mss, uint32_t cwnd, uint32_t reordering,
                       uint32_t wmem_max) {
  constexpr uint64_t kInitCwnd = 10;  // TCP_INIT_CWND
  uint64_t nr_segs = std::max<uint64_t>({kInitCwnd, cwnd, uint64_t{reordering} + 1});
  uint64_t sndmem = 2 * nr_segs * sndbuf_per_mss(mss);
  if (sndbuf >= sndmem) return sndbuf;
  return static_cast<uint32_t>(std::min<uint64_t>(sndmem, wmem_max));
}

}  // namespace netsim::tcp
