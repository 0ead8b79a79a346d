// The receiver's SACK and D-SACK blocks as Linux 6.12 keeps and sends them (tcp_input.c
// tcp_sack_new_ofo_skb, tcp_sack_remove, tcp_dsack_set/extend; tcp_output.c option space).
// One pointer per connection until the first out-of-order segment or duplicate arrives.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "protocols/tcp/sack_scoreboard.hpp"
#include "sim/seq.hpp"

namespace netsim::tcp {

struct SackSentMib {
  uint64_t TCPDSACKOldSent = 0;
  uint64_t TCPDSACKOfoSent = 0;
  uint64_t DelayedACKLost = 0;
};

// The blocks one outgoing segment carries (D-SACK first), at most 4.
struct SackOption {
  std::array<SackBlock, 4> blocks{};
  uint8_t count = 0;
  bool has_dsack = false;
  std::span<const SackBlock> view() const { return {blocks.data(), count}; }
};

class SackReceiver {
 public:
  bool active() const { return s_ != nullptr; }
  uint32_t num_sacks() const { return s_ ? s_->num_sacks : 0; }
  bool dsack_pending() const { return s_ && s_->dsack; }
  // The ordinary blocks, most recently changed first (tp->selective_acks).
  std::span<const SackBlock> blocks() const;

  // tcp_data_queue_ofo(): [seq, end) arrives out of order. `ofo` is the out-of-order queue
  // before it as sorted, disjoint, maximal ranges. Sets a D-SACK for what was already queued
  // and updates the blocks. Returns true when a block beyond slot 1 changed, which flushes a
  // compressed ACK (tcp_sack_compress_send_ack).
  bool on_ofo_segment(std::span<const SackBlock> ofo, SeqNum seq, SeqNum end, bool sack,
                      bool dsack_enabled, SeqNum rcv_nxt, SackSentMib* mib);
  // tcp_data_queue(): a segment at or below rcv_nxt. Wholly old -> D-SACK [seq, end) (and the
  // caller ACKs at once, quick-ACK mode); straddling rcv_nxt -> [seq, rcv_nxt).
  void on_old_segment(SeqNum seq, SeqNum end, SeqNum rcv_nxt, bool sack, bool dsack_enabled,
                      SackSentMib* mib);
  // tcp_ofo_queue(): queued ranges `drained` moved in order; those starting below
  // `dsack_high` (rcv_nxt before the drain) were duplicates of what just arrived.
  void on_ofo_drained(std::span<const SackBlock> drained, SeqNum dsack_high, bool sack,
                      bool dsack_enabled, SackSentMib* mib);
  // tcp_sack_remove(): rcv_nxt advanced; blocks it covers go (all of them if the queue is empty).
  void remove_covered(SeqNum rcv_nxt, bool ofo_empty);
  // tcp_established_options()/tcp_options_write(): the blocks for the next segment given the
  // other options' bytes (12 with timestamps): min(held + D-SACK, (40 - other - 4) / 8). The
  // D-SACK is sent once.
  SackOption take_option(uint32_t other_option_bytes);
  // The bytes take_option() would add now (nop,nop,sack + 8 per block, 0 for none): what a
  // data segment gives up (tcp_current_mss()).
  uint32_t option_bytes(uint32_t other_option_bytes) const;
  // tcp_sack_reset() (tcp_fin(), the queue is purged): no block, no pending D-SACK.
  void reset() { s_.reset(); }

 private:
  struct State {
    SackBlock duplicate_sack{};
    std::array<SackBlock, 4> selective_acks{};
    uint8_t num_sacks = 0;
    bool dsack = false;
  };
  State& st();
  void dsack_set(SeqNum seq, SeqNum end, SeqNum rcv_nxt, bool enabled, SackSentMib* mib);
  void dsack_extend(SeqNum seq, SeqNum end, SeqNum rcv_nxt, bool enabled, SackSentMib* mib);
  bool new_ofo_block(SeqNum seq, SeqNum end);
  void release_if_idle();

  std::unique_ptr<State> s_;
};

}  // namespace netsim::tcp
