// The receiving side's memory: bytes that arrived in order but the application has not read
// yet (only when auto_read is off), and out-of-order segments waiting for a hole to fill
// (RFC 9293 §3.10.7.4 seventh step; Linux's out_of_order_queue without SACK). A FIN that
// arrived ahead of a hole is remembered and handed over when the data before it is complete.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "protocols/tcp/sparse_vector.hpp"
#include "sim/packet.hpp"

namespace netsim::tcp {

class ReceiveBuffer {
 public:
  // In-order, unread bytes.
  size_t readable() const { return readable_bytes_; }
  void push_readable(Payload p);
  Payload read(size_t max_bytes);

  // Out-of-order data: keeps the parts of [seq, seq + size) not already held and above
  // `rcv_nxt`. Overlaps keep the bytes that arrived first.
  void insert(SeqNum seq, const Payload& p, SeqNum rcv_nxt);
  // The FIN's position, learned out of order. Data beyond it is dropped; a second FIN at
  // another position (a broken peer) is ignored.
  void set_fin(SeqNum fin_seq);
  std::optional<SeqNum> fin() const { return fin_; }
  bool has_out_of_order() const { return !ooo_.empty() || fin_.has_value(); }
  size_t out_of_order_bytes() const;
  size_t out_of_order_segments() const { return ooo_.size(); }
  // The held data as contiguous ranges [left, right), in sequence order (SACK blocks).
  std::vector<SackBlock> ranges() const;

  // The highest piece's first sequence number (tcp_prune_ofo_queue() walks from ooo_last_skb).
  std::optional<SeqNum> last_piece_seq() const;
  // Discards the highest piece and a FIN beyond it; returns the bytes freed.
  size_t drop_last_piece();

  // Moves out the queued data that continues at `rcv_nxt`, advancing it; drops what is now
  // below it. The pieces are appended to `in_order` in sequence order.
  void take_in_order(SeqNum& rcv_nxt, std::vector<Payload>& in_order);
  // Forgets out-of-order data and FIN (tcp_fin() purges the queue; RST, TIME_WAIT).
  void clear_out_of_order();
  void clear();

  // Sorted, non-overlapping, every byte at or above rcv_nxt and below `right_edge`.
  bool check(SeqNum rcv_nxt, SeqNum right_edge, std::string* why) const;

 private:
  struct Piece {
    SeqNum seq;
    Payload data;
    SeqNum end() const { return seq + static_cast<uint32_t>(data.size()); }
  };
  void insert_piece(SeqNum seq, Payload p);

  SparseVector<Payload> readable_;
  // 32 bits each (a receive buffer is at most tcp_rmem[2]): the 8 bytes saved hold the
  // connection's SackReceiver, so SACK costs a loss-free connection nothing.
  uint32_t readable_head_ = 0;
  uint32_t readable_bytes_ = 0;
  SparseVector<Piece> ooo_;
  std::optional<SeqNum> fin_;
};

}  // namespace netsim::tcp
