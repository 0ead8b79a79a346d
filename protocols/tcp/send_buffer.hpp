// The sending side's memory: SendBuffer holds the application's bytes from SND.UNA onward
// (unacknowledged, then unsent) as shared Payload chunks so that queuing and segmenting never
// copy unless a segment spans two writes; RtxQueue records every segment in flight (Linux's
// retransmission queue of skbs) with its send times and retransmission count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
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
  void push(const SentSegment& s) { segs_.push_back(s); }
  // Index of the segment holding `seq`, or size() if none.
  size_t find(SeqNum seq) const;

  struct AckResult {
    bool any_retransmitted = false;      // Karn: the ACK covers retransmitted data
    std::optional<Instant> oldest_sent;  // first send time of the oldest fully acked segment
  };
  // Removes everything below `ack`; a segment acknowledged in part is trimmed at the front.
  AckResult acknowledge(SeqNum ack);
  bool any_retransmitted() const;
  void clear();

 private:
  SparseVector<SentSegment> segs_;
};

}  // namespace netsim::tcp
