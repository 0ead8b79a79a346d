// A struct tcp_info view of one connection (Linux tcp_get_info(), include/uapi/linux/tcp.h):
// the fields netsim's Tcb really has, in Linux's units, for `netsim drill`'s `%{ assert
// tcpi_X }%` blocks and the run summary. Fields the model does not keep are left out, not faked.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/tcp/connection.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

struct TcpInfo {
  uint8_t state = 7;        // Linux's TCP_* number (include/net/tcp_states.h): TCP_ESTABLISHED 1
  uint8_t ca_state = 0;     // TCP_CA_Open 0, Disorder 1, Recovery 3, Loss 4 (no CWR: no ECN)
  uint8_t retransmits = 0;  // icsk_retransmits: RTO expiries since the last forward progress
  uint8_t probes = 0;       // icsk_probes_out: unanswered zero-window or keepalive probes
  uint8_t backoff = 0;      // icsk_backoff: exponent of the RTO (or probe timer) backoff
  uint8_t options = 0;      // TCPI_OPT_TIMESTAMPS 1 | TCPI_OPT_SACK 2 | TCPI_OPT_WSCALE 4
  uint8_t snd_wscale = 0, rcv_wscale = 0;
  uint32_t rto = 0;  // µs, with the backoff
  uint32_t ato = 0;  // µs, delayed-ACK timeout
  uint32_t snd_mss = 0, rcv_mss = 0;
  uint32_t unacked = 0;  // packets_out: segments sent and not yet acknowledged
  uint32_t sacked = 0;   // sacked_out: of those, SACKed (SACK sender only)
  uint32_t lost = 0;     // lost_out: of those, marked lost (SACK sender only)
  uint32_t retrans = 0;  // retrans_out: of those, retransmitted ones
  uint32_t last_data_sent = 0, last_data_recv = 0, last_ack_recv = 0;  // ms ago
  uint32_t rcv_ssthresh = 0;           // bytes: the receive window's growth limit
  uint32_t rtt = 0, rttvar = 0;        // µs: smoothed RTT and its mean deviation
  uint32_t snd_ssthresh = 0x7fffffff;  // segments; TCP_INFINITE_SSTHRESH until the first cut
  uint32_t snd_cwnd = 0;               // segments
  uint32_t advmss = 0;                 // our MSS minus the timestamp option (1448)
  uint32_t total_retrans = 0;          // retransmitted segments over the connection's life
  uint32_t reordering = 3;             // tp->reordering: the dupACK threshold RACK adapts
  uint32_t rcv_rtt = 0;                // µs: the receiver's RTT estimate (DRS), 0 = none
  uint32_t rcv_space = 0;              // bytes: rcvq_space.space, read per RTT as DRS measured
  uint32_t snd_wnd = 0, rcv_wnd = 0;   // bytes: the peer's window, our last offer (tp->rcv_wnd)
  uint64_t bytes_acked = 0, bytes_received = 0;
  uint32_t notsent_bytes = 0;  // bytes written and not yet sent: write_seq - snd_nxt
  // µs with data to send (tcp_chrono_start(TCP_CHRONO_BUSY) until both queues are empty), and
  // of that the time limited by the peer's window and by the send buffer (tcp_chrono_*), in
  // jiffies (4 ms at HZ 250) as Linux counts them.
  uint64_t busy_time = 0, rwnd_limited = 0, sndbuf_limited = 0;
  // Not in struct tcp_info (nor in fields()): the send buffer as `ss -m` shows it in skmem
  // (tb: sk_sndbuf, also getsockopt(SO_SNDBUF); w: sk_wmem_queued), and rb: sk_rcvbuf.
  uint32_t sndbuf = 0;
  uint64_t wmem_queued = 0;
  uint32_t rcvbuf = 0;
  uint32_t rmem_alloc = 0;  // sk_rmem_alloc (`ss -m` r): the receive queues' truesize
  // Not in struct tcp_info (nor in fields()): where the sequence spaces stand, for segments
  // written relative to a connection (a scenario's `inject`).
  SeqNum snd_nxt, rcv_nxt;

  // Every field as `tcpi_<name>` with its value, in struct tcp_info's order.
  std::vector<std::pair<std::string_view, int64_t>> fields() const;
};

// The tcp_info of `c` at `now` (the last_* fields are measured back from it).
TcpInfo tcp_info(const Connection& c, Instant now);

// Linux's TCP_* number of a state, as tcpi_state and `ss` report it.
uint8_t linux_state_number(State s);

}  // namespace netsim::tcp
