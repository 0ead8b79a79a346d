// The skbs of the retransmission queue. Linux's queue holds skbs of one or more segments
// (tcp_skb_pcount()); netsim's RtxQueue holds the segments, and an skb is the run of entries
// from one with `skb_start` to the next (a FIN sent alone is an skb of its own). These helpers
// read that structure and move its boundaries as tcp_fragment(), tcp_shift_skb_data() and
// tcp_collapse_retrans() move Linux's; sk_wmem_queued charges one empty skb per boundary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "protocols/tcp/sack_scoreboard.hpp"
#include "protocols/tcp/sent_segment.hpp"
#include "protocols/tcp/tcp_mib.hpp"

namespace netsim::tcp {

// An entry that begins an skb.
inline bool skb_boundary(const SentSegment& s) {
  return s.skb_start || s.data_len() == 0;
}

// The index after the last entry of the skb that holds entry `i`.
inline size_t skb_end(std::span<const SentSegment> q, size_t i) {
  size_t e = i + 1;
  while (e < q.size() && !skb_boundary(q[e]))
    ++e;
  return e;
}

// The index of the first entry of the skb that holds entry `i`.
inline size_t skb_head(std::span<const SentSegment> q, size_t i) {
  while (i > 0 && !skb_boundary(q[i]))
    --i;
  return i;
}

// tcp_input.c:tcp_sacktag_walk()'s reshaping for one (non-duplicate) SACK block, before its
// segments are tagged: a newly SACKed skb right after a purely SACKed one of the same segment
// size joins it (tcp_shift_skb_data(), tcp_shifted_skb(); a filled hole also pulls in the
// SACKed skb after it), an skb SACKed in part is split at the block's edges
// (tcp_match_skb_to_sack() -> tcp_fragment()). `ack` is the ACK's cumulative point. Returns
// the change in the number of skbs, and counts TCPSackShifted, TCPSackMerged and
// TCPSackShiftFallback in `mib` (if any).
int32_t sack_reshape(std::span<SentSegment> q, SackBlock b, SeqNum ack, LossMib* mib = nullptr);

}  // namespace netsim::tcp
