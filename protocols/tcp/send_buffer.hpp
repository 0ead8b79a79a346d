// The sending side's memory: SendBuffer holds the application's bytes from SND.UNA onward
// (unacknowledged, then unsent) as shared Payload chunks so that queuing and segmenting never
// copy unless a segment spans two writes; RtxQueue records every segment in flight (Linux's
// retransmission queue of skbs) with its send times and retransmission count. The send buffer's
// size (sk_sndbuf, tcp_wmem) and its truesize accounting (sk_wmem_queued) are the free functions
// at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "protocols/tcp/sent_segment.hpp"
#include "protocols/tcp/sparse_vector.hpp"
#include "sim/packet.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

class SendBuffer {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void append(Payload p);
  // Drops `n` bytes from the front (they were acknowledged). Memory is released when empty.
  void consume(size_t n);
  // Bytes [offset, offset + len) counted from the front; shares storage when they lie in one
  // chunk, copies otherwise. `offset + len` must not exceed size().
  Payload read(size_t offset, size_t len) const;
  size_t chunk_count() const { return chunks_.size() - head_; }

 private:
  SparseVector<Payload> chunks_;
  size_t head_ = 0;      // first live chunk
  size_t head_off_ = 0;  // bytes of chunks_[head_] already consumed
  size_t size_ = 0;
};

class RtxQueue {
 public:
  bool empty() const { return segs_.empty(); }
  size_t size() const { return segs_.size(); }
  const SentSegment& front() const { return segs_.front(); }
  const SentSegment& back() const { return segs_.back(); }
  // The queue as one contiguous run, front = SND.UNA (what the SACK scoreboard walks).
  std::span<SentSegment> segments() { return {segs_.begin(), segs_.size()}; }
  SentSegment& at(size_t i) { return segs_[i]; }
  const SentSegment& at(size_t i) const { return segs_[i]; }
  void push(const SentSegment& s) {
    segs_.push_back(s);
    if (s.skb_start) ++skbs_;
  }
  // The skbs the queue stands for (entries with skb_start; a trimmed skb's rest keeps one).
  size_t skbs() const { return skbs_; }
  // Entry i starts an skb from now on (tcp_fragment() split the skb before it).
  void split_before(size_t i) {
    if (segs_[i].skb_start) return;
    segs_[i].skb_start = true;
    ++skbs_;
  }
  // SACK shifting and fragmenting moved the skb count (AckOut::skb_delta).
  void adjust_skbs(int32_t delta) {
    skbs_ = static_cast<size_t>(static_cast<int64_t>(skbs_) + delta);
  }
  // tcp_collapse_retrans(): entry i + 1, an skb of one segment, joins entry i (its range,
  // FIN, PSH and EOR; the caller merges the scoreboard bits). Returns the entry removed.
  SentSegment merge_next(size_t i);
  // The skb of entries [i, e) re-cut for a retransmission at `mss`: its first `len` data bytes
  // become segments of `mss` (tcp_set_skb_tso_segs()); the rest, if any, a new skb
  // (tcp_fragment()), also cut at `mss`. Returns the entries the first part now has.
  size_t recut(size_t i, size_t e, uint32_t mss, uint32_t len);
  // Entries [k, e) are segments of `mss` but the last (the skb's gso_size is `mss`).
  bool cut_at(size_t k, size_t e, uint32_t mss) const;
  // Index of the segment holding `seq`, or size() if none.
  size_t find(SeqNum seq) const;

  struct AckResult {
    bool any_retransmitted = false;      // Karn: the ACK covers retransmitted data
    std::optional<Instant> oldest_sent;  // first send time of the oldest fully acked segment
    // An skb acknowledged in part (tcp_trim_head()): its first sequence number before and
    // after. It stays the same skb.
    std::optional<std::pair<SeqNum, SeqNum>> trimmed;
  };
  // Removes everything below `ack`; a segment acknowledged in part is trimmed at the front.
  AckResult acknowledge(SeqNum ack);
  bool any_retransmitted() const;
  void clear();

 private:
  SparseVector<SentSegment> segs_;
  size_t skbs_ = 0;
};

// ---- sk_sndbuf and sk_wmem_queued (tcp_sndbuf_expand(), tcp_sendmsg_locked()) ----
// Sizes of Debian's x86-64 6.12 build (CONFIG_WLAN + CONFIG_MAC80211_MESH: LL_MAX_HEADER 128;
// tunnels as modules: MAX_HEADER 176; 64-byte cache lines):
// MAX_TCP_HEADER = L1_CACHE_ALIGN(128 + MAX_HEADER) = 320;
// SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) = 320 (17 frags of 16 bytes + 48);
// SKB_DATA_ALIGN(sizeof(struct sk_buff)) = 256 (232 bytes).
inline constexpr uint32_t kMaxTcpHeader = 320;
inline constexpr uint32_t kSkbSharedInfoAligned = 320;
inline constexpr uint32_t kSkBuffAligned = 256;
// tcp_stream_alloc_skb(): an skb's truesize before data, SKB_TRUESIZE(skb_end_offset) with the
// head from skb_small_head_cache (SKB_SMALL_HEAD_CACHE_SIZE 640, end offset 640 - 320 = 320):
// 320 + 256 + 320 = 896. tcp_skb_entail() charges it to sk_wmem_queued; copied data adds its
// length (skb_copy_to_page_nocache()).
inline constexpr uint32_t kSkbEmptyTruesize = 896;

// tcp_sndbuf_expand()'s per_mss: roundup_pow_of_two(max(mss_clamp, mss_cache) + MAX_TCP_HEADER
// + SKB_DATA_ALIGN(sizeof(skb_shared_info))) + SKB_DATA_ALIGN(sizeof(sk_buff)): 4352 at MSS
// 1460 (1460 + 640 = 2100 -> 4096, + 256).
uint32_t sndbuf_per_mss(uint32_t mss);
// tcp_sndbuf_expand(): 2 * max(TCP_INIT_CWND, cwnd, reordering + 1) * per_mss (the factor 2
// of Reno and CUBIC, which have no sndbuf_expand hook), at most tcp_wmem[2]; never lowers
// `sndbuf`. 87040 at MSS 1460 and cwnd 10.
uint32_t sndbuf_expand(uint32_t sndbuf, uint32_t mss, uint32_t cwnd, uint32_t reordering,
                       uint32_t wmem_max);

// tcp_stream_memory_free(): "(notsent_bytes << wake) < tcp_notsent_lowat(tp)". `wake` (1) is
// tcp_poll()'s and sk_stream_write_space()'s test: POLLOUT and the writable wakeup need the
// unsent bytes below half the mark; a write (0) may add skbs while they are below it.
inline bool notsent_below_lowat(uint64_t notsent, bool wake, uint32_t lowat) {
  return (notsent << (wake ? 1 : 0)) < lowat;
}

// __sk_stream_is_writeable(): at least a third of the buffer free (wspace >= queued / 2) and
// sk_stream_memory_free(). tcp_poll() reports EPOLLOUT and sk_stream_write_space() wakes a
// sleeping writer only then.
inline bool sndbuf_writeable(uint64_t wmem_queued, uint32_t sndbuf) {
  return wmem_queued < sndbuf && sndbuf - wmem_queued >= wmem_queued / 2;
}

}  // namespace netsim::tcp
