// The nstat counters of Linux's loss recovery and receive memory (net/ipv4/proc.c names,
// include/uapi/linux/snmp.h), kept in structs that LossRecovery and the receive path write to
// and the host's Counters (io.hpp) derive from, so that they reach summary.json and `expect:`
// under their Linux names.
#pragma once

#include <cstdint>

namespace netsim::tcp {

struct LossMib {
  uint64_t TCPSackRecovery = 0;
  uint64_t TCPRenoRecovery = 0;  // Recovery entered without SACK (tcp_enter_recovery())
  uint64_t TCPRenoReorder = 0;   // more dupACKs than holes (tcp_check_reno_reordering())
  uint64_t TCPLossProbes = 0;
  uint64_t TCPLossProbeRecovery = 0;
  uint64_t TCPDSACKRecv = 0;
  uint64_t TCPDSACKOfoRecv = 0;
  uint64_t TCPDSACKRecvSegs = 0;
  uint64_t TCPDSACKIgnoredDubious = 0;
  uint64_t TCPSACKReorder = 0;
  uint64_t TCPTSReorder = 0;
  uint64_t TCPLostRetransmit = 0;
  uint64_t TCPDSACKUndo = 0;
  uint64_t TCPFullUndo = 0;
  uint64_t TCPPartialUndo = 0;
  uint64_t TCPLossUndo = 0;
  uint64_t TCPTimeouts = 0;
  uint64_t TCPSACKReneging = 0;
  // tcp_shift_skb_data() (rtx_skb.cpp): SACKed data moved into the previous skb, in part
  // (TCPSackShifted) or whole (TCPSackMerged), or not movable (TCPSackShiftFallback).
  uint64_t TCPSackShifted = 0;
  uint64_t TCPSackMerged = 0;
  uint64_t TCPSackShiftFallback = 0;
  uint64_t TCPSpuriousRTOs = 0;
  // Counted by the connection's retransmit path (tcp_output.c:tcp_xmit_retransmit_queue()).
  uint64_t TCPFastRetrans = 0;
  uint64_t TCPSlowStartRetrans = 0;
};

// The receive queue's memory (tcp_input.c: tcp_try_rmem_schedule(), tcp_prune_queue(),
// tcp_prune_ofo_queue(), tcp_data_queue(), tcp_data_queue_ofo()).
struct RcvMemMib {
  uint64_t TCPRcvQDrop = 0;         // in-order data dropped: no memory, the receive queue not empty
  uint64_t TCPOFODrop = 0;          // out-of-order data dropped: no memory
  uint64_t PruneCalled = 0;         // tcp_prune_queue() ran: the queues held more than sk_rcvbuf
  uint64_t RcvPruned = 0;           // pruning could not bring them under sk_rcvbuf
  uint64_t OfoPruned = 0;           // out-of-order data discarded to make room
  uint64_t TCPZeroWindowDrop = 0;   // data at RCV.NXT dropped because the window offered was 0
  uint64_t TCPBacklogCoalesce = 0;  // merged into the backlog's tail skb (tcp_add_backlog())
  uint64_t TCPBacklogDrop = 0;      // dropped: the backlog and receive queue over the limit
};

// The transmit path's TX-completion model (connection_tsq.cpp; net/ipv4/tcp.c tcp_push()).
struct TxMib {
  uint64_t TCPAutoCorking = 0;  // pushes skipped: a small tail while an earlier skb was queued
  uint64_t TCPSpuriousRtxHostQueues = 0;  // retransmissions refused: the skb's last send is queued
};

// The host's TCP memory (tcp_memory.hpp; net/ipv4/tcp.c tcp_enter_memory_pressure(),
// tcp_leave_memory_pressure(), tcp_close(), tcp_timer.c tcp_out_of_resources()).
struct TcpMemMib {
  uint64_t TCPMemoryPressures = 0;        // entries into memory pressure
  uint64_t TCPMemoryPressuresChrono = 0;  // milliseconds spent under pressure (ended ones)
  uint64_t TCPAbortOnMemory = 0;          // orphans reset: the host was over tcp_mem[2]
  // Not in counter_table() (every host would show it in a sweep): the most pages held at once.
  uint64_t tcp_mem_pages_max = 0;
  // Not counters: the host's TCP memory now (tcp_memory.hpp), kept with the counters because
  // every connection reaches its host's Counters already (ConnContext); a pointer more would
  // cost each connection 8 bytes. Pages held (tcp_memory_allocated), the jiffy pressure began
  // (tcp_memory_pressure; 0 = none) and the connections counted (tcp_sockets_allocated).
  int64_t tcp_mem_allocated = 0;
  uint32_t tcp_mem_pressure_since = 0;
  uint64_t tcp_sockets_allocated = 0;
};

}  // namespace netsim::tcp
