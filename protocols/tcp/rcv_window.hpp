// The receive window as Linux 6.12 chooses it (net/ipv4/tcp_output.c tcp_select_initial_window,
// __tcp_select_window, tcp_select_window; tcp_input.c tcp_init_buffer_space, tcp_grow_window):
// the window scale from tcp_rmem, the unscaled SYN/SYN-ACK windows, the post-handshake clamp
// and rcv_ssthresh, rounding, no-shrink and growth. Windows in bytes, integer arithmetic only.
#pragma once

#include <cstdint>

#include "sim/seq.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

// The sysctls and socket values the window depends on (tcp.c:tcp_init, tcp_sk_init defaults).
struct RcvWindowConfig {
  uint32_t rmem[3] = {4096, 131072, 6291456};  // tcp_rmem; [2] is 6 MiB on a >= 768 MiB host
  uint32_t rmem_max = 212992;                  // net.core.rmem_max (SK_RMEM_MAX)
  uint32_t app_win = 31;                       // tcp_app_win
  bool window_scaling = true;                  // tcp_window_scaling
  bool workaround_signed_windows = false;      // tcp_workaround_signed_windows
};

// include/linux/tcp.h TCP_RMEM_TO_WIN_SCALE and TCP_DEFAULT_SCALING_RATIO: half of a receive
// buffer's bytes count as window until a full segment re-measures len/truesize.
inline constexpr uint8_t kDefaultScalingRatio = 128;
inline constexpr uint32_t kMaxWscale = 14;

// include/net/tcp.h:__tcp_win_from_space().
constexpr uint32_t win_from_space(uint8_t scaling_ratio, int64_t space) {
  return space <= 0 ? 0 : static_cast<uint32_t>((space * scaling_ratio) >> 8);
}

struct InitialWindow {
  uint32_t rcv_wnd = 0;
  uint32_t window_clamp = 0;
  uint8_t rcv_wscale = 0;
};

// tcp_output.c:tcp_select_initial_window(): `space` rounded down to the MSS, the shift from the
// largest buffer the socket may grow to. window_clamp 0 = none set.
InitialWindow select_initial_window(const RcvWindowConfig& cfg, uint32_t space, uint32_t mss,
                                    uint32_t window_clamp, bool wscale_ok, uint32_t init_rcv_wnd);
// tcp_output.c:tcp_connect_init(): the SYN's window for a receive buffer `rcvbuf` (tcp_rmem[1]
// unless SO_RCVBUF locked it) and `advmss` (1460 at MTU 1500): 64240, shift 7.
InitialWindow syn_window(const RcvWindowConfig& cfg, uint32_t rcvbuf, bool rcvbuf_locked,
                         uint32_t advmss);
// tcp_minisocks.c:tcp_openreq_init_rwin(): the SYN-ACK's; MSS less 12 when the SYN had
// timestamps (65160), shift 0 unless the SYN offered window scaling.
InitialWindow synack_window(const RcvWindowConfig& cfg, uint32_t rcvbuf, bool rcvbuf_locked,
                            uint32_t advmss, bool syn_had_ts, bool syn_had_ws);

// The receive side's window state (tcp_sock fields).
struct RcvWindow {
  uint32_t rcv_wnd = 0;
  uint32_t window_clamp = 0;
  uint32_t rcv_ssthresh = 0;
  uint32_t rcvq_space = 0;
  SeqNum rcv_wup;  // rcv_nxt when the last window was sent
  uint8_t rcv_wscale = 0;
  uint8_t scaling_ratio = kDefaultScalingRatio;

  // tcp.h:tcp_receive_window(): what is left of the last advertised window.
  uint32_t receive_window(SeqNum rcv_nxt) const {
    const int32_t win = static_cast<int32_t>((rcv_wup + rcv_wnd) - rcv_nxt);
    return win < 0 ? 0 : static_cast<uint32_t>(win);
  }
};

RcvWindow rcv_window_from(const InitialWindow& w, SeqNum rcv_nxt);

// tcp_input.c:tcp_init_buffer_space() at ESTABLISHED: window_clamp = full space less one
// segment (tcp_app_win), rcv_ssthresh <= clamp, rcvq_space = min(.., 10 * advmss).
void init_buffer_space(RcvWindow& w, const RcvWindowConfig& cfg, uint32_t rcvbuf, uint32_t advmss);

// What __tcp_select_window() needs from the socket: the buffer, what the queued data's
// truesize takes of it (sk_rmem_alloc + backlog), and rcv_mss.
struct RcvSpace {
  uint32_t rcvbuf = 131072;
  uint32_t rmem_alloc = 0;
  uint32_t rcv_mss = 536;
  bool mem_pressure = false;  // tcp_under_memory_pressure() (tcp_memory.hpp)
};

// tcp_output.c:__tcp_select_window() (tcp_shrink_window 0): the window wanted now.
uint32_t compute_window(const RcvWindow& w, const RcvSpace& sp);

struct SelectedWindow {
  uint16_t field = 0;      // the 16-bit header value
  bool want_zero = false;  // TCPWantZeroWindowAdv: 0 was wanted but the right edge was kept
  bool to_zero = false;    // TCPToZeroWindowAdv
  bool from_zero = false;  // TCPFromZeroWindowAdv
};

// tcp_output.c:tcp_select_window(): never shrink the offered right edge, record rcv_wnd and
// rcv_wup, scale. Called for every outgoing segment but the SYN/SYN-ACK.
SelectedWindow select_window(RcvWindow& w, const RcvSpace& sp, SeqNum rcv_nxt,
                             const RcvWindowConfig& cfg);

// tcp_input.c:tcp_grow_window(): a segment of `len` bytes whose buffer costs `truesize` was
// received; returns true when rcv_ssthresh grew (and the next ACK is immediate, quick |= 1).
bool grow_window(RcvWindow& w, const RcvWindowConfig& cfg, const RcvSpace& sp, uint32_t len,
                 uint32_t truesize, uint32_t advmss);

// The truesize netsim gives a received segment (skb->truesize; driver dependent on Linux): the
// 2 KiB half-page receive buffer per frame of igb/ixgbe/i40e-style NICs, the sk_buff head
// amortised by GRO. A full 1448-byte segment measures scaling_ratio 181 (71 %).
inline constexpr uint32_t kRxFrameTruesize = 2048;
inline constexpr uint32_t kRxFrameHeaders = 66;  // Ethernet + IPv4 + TCP with timestamps
constexpr uint32_t rx_truesize(uint32_t len) {
  return (len + kRxFrameHeaders + kRxFrameTruesize - 1) / kRxFrameTruesize * kRxFrameTruesize;
}

// include/net/tcp.h:__tcp_space_from_win(): the buffer bytes a window needs.
constexpr uint32_t space_from_win(uint8_t scaling_ratio, uint64_t win) {
  const uint64_t v = (win << 8) / scaling_ratio;
  return v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v);
}

// tcp_input.c:tcp_measure_rcv_mss(): a segment of `len` >= rcv_mss and != rcv_mss re-measures
// scaling_ratio = len * 256 / truesize; when it changed, window_clamp = the window of the
// whole buffer (rcvq_space follows it down). Returns true when the ratio changed.
bool measure_scaling_ratio(RcvWindow& w, uint32_t len, uint32_t rcv_mss, uint32_t rcvbuf);

// Dynamic right-sizing (tcp_input.c:tcp_rcv_space_adjust()) and the receiver's RTT estimate
// it is paced by (tcp_rcv_rtt_measure(), tcp_rcv_rtt_measure_ts(), tcp_rcv_rtt_update()):
// tcp_sock's rcvq_space and rcv_rtt_est. Allocated at the first data a connection receives, so
// an endpoint that never receives pays one pointer.
struct RcvAutotune {
  uint32_t rcvbuf = 0;        // sk_rcvbuf, grown by DRS up to tcp_rmem[2]
  uint32_t space = 0;         // rcvq_space.space: bytes copied in the last measured RTT
  uint32_t space_copied = 0;  // rcvq_space.seq, as the application's read-byte count
  uint32_t rtt_us8 = 0;       // rcv_rtt_est.rtt_us: 8 x the receiver RTT, µs; 0 = none
  SeqNum rtt_seq;             // rcv_rtt_est.seq: the sample ends when rcv_nxt passes it
  uint32_t last_tsecr = 0;    // rcv_rtt_last_tsecr
  bool rtt_started = false;   // rcv_rtt_est.time != 0
  // Bytes handed to an auto-reading application during the current input: it reads them after
  // the ACK is sent (Linux's reader runs after the softirq), so until then they hold buffer.
  uint32_t unread = 0;
  Instant space_time;  // rcvq_space.time
  Instant rtt_time;    // rcv_rtt_est.time
};

// tcp_rcv_rtt_update(): the minimum per window without timestamps (win_dep), else a 1/8 EWMA.
void rcv_rtt_update(RcvAutotune& a, uint32_t sample_us, bool win_dep);
// tcp_rcv_rtt_measure(): once per window of data (rcv_wnd bytes past the sample's start).
void rcv_rtt_measure(RcvAutotune& a, SeqNum rcv_nxt, uint32_t rcv_wnd, Instant now);
// tcp_rcv_rtt_measure_ts(): a segment of >= rcv_mss bytes echoing a new TSecr; `delta_ms` =
// our TS clock now - TSecr (0 gives no sample: sub-millisecond paths use the per-window one).
void rcv_rtt_measure_ts(RcvAutotune& a, uint32_t tsecr, uint32_t delta_ms, uint32_t seg_len,
                        uint32_t rcv_mss);
// tcp_rcv_space_adjust() after the application read: `copied` = bytes it has read so far
// (mod 2^32), `inq` = bytes received but unread. Once per receiver RTT, if it read more than
// in the previous one, the buffer grows to hold 2 x that plus 16 segments plus the growth,
// bounded by tcp_rmem[2], and window_clamp follows (unless SO_RCVBUF locked the buffer).
// Returns true when the buffer grew.
bool rcv_space_adjust(RcvAutotune& a, RcvWindow& w, const RcvWindowConfig& cfg, uint32_t advmss,
                      uint32_t copied, uint32_t inq, bool locked, Instant now);

}  // namespace netsim::tcp
