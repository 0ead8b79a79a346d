// One entry of the retransmission queue (send_buffer.hpp RtxQueue), which is also the SACK
// scoreboard's segment (sack_scoreboard.hpp): kept apart from the wire types so that the
// scoreboard's SackBlock does not meet sim/packet.hpp's.
#pragma once

#include <cstdint>

#include "sim/seq.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

// One segment sent and not yet fully acknowledged. `len` counts sequence space (data + FIN).
struct SentSegment {
  SeqNum seq;
  uint32_t len = 0;
  Instant first_sent;
  Instant last_sent;
  uint16_t retransmits = 0;
  bool fin : 1 = false;
  // TCPHDR_PSH in the skb's control block: the segment ends an skb that tcp_push() or
  // forced_push() marked (a retransmission carries it; tso_fragment() keeps it on the tail).
  bool psh : 1 = false;
  // The segment starts an skb of the retransmission queue: the first of a GSO piece
  // tcp_write_xmit() sent (tso_fragment() split the send head there). sk_wmem_queued charges
  // 896 bytes per skb (RtxQueue::skbs()).
  bool skb_start : 1 = false;
  // TCP_SKB_CB(skb)->eor on the segment that ends an skb written with MSG_EOR: nothing is
  // merged into it (tcp_skb_can_collapse_to(): no retransmission collapse, no SACK shift).
  bool eor : 1 = false;
  // The SACK scoreboard's bits (sack_scoreboard.hpp SackedBits) and the delivered count at the
  // latest send (RACK), in what was padding: the struct stays 32 bytes.
  uint8_t sacked = 0;
  uint32_t tx_delivered = 0;
  uint32_t data_len() const { return len - (fin ? 1 : 0); }
  SeqNum end() const { return seq + len; }
};
static_assert(sizeof(SentSegment) == 32, "one retransmission-queue entry stays 32 bytes");

}  // namespace netsim::tcp
