// RFC 7323 timestamps as Linux 6.12 runs them: the millisecond TSval clock with a per-connection
// offset, ts_recent and its update rule, PAWS (with the 2147 s wrap and the disordered-ACK
// exemption), RTT from TSecr; and the option layouts of tcp_options_write() as data.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "protocols/tcp/sack_scoreboard.hpp"
#include "sim/seq.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

// include/net/tcp.h:tcp_skb_timestamp_ts() + tsoffset: TSval = departure time in ms + ts_off,
// mod 2^32. The offset comes from the host's RNG stream (Linux: a SipHash of the 4-tuple, so a
// reconnect on the same tuple continues; 0 with tcp_timestamps = 2).
struct TsClock {
  uint32_t ts_off = 0;
  uint32_t tsval(Instant departure) const {
    return static_cast<uint32_t>(departure.ns() / 1'000'000) + ts_off;
  }
};

inline constexpr int32_t kPawsWindow = 1;    // TCP_PAWS_WINDOW
inline constexpr int64_t kPawsWrapS = 2147;  // TCP_PAWS_WRAP = INT_MAX / USEC_PER_SEC
inline constexpr int64_t kPawsMslS = 60;     // TCP_PAWS_MSL

// tp->rx_opt: the peer's latest valid TSval and when (seconds) it was stored.
struct TsRecent {
  uint32_t ts_recent = 0;
  int64_t ts_recent_stamp = 0;  // ktime_get_seconds() at the store

  // include/net/tcp.h:tcp_paws_check(): acceptable unless older than ts_recent by more than
  // `paws_win`, while ts_recent is under 2147 s old and non-zero.
  bool paws_check(uint32_t rcv_tsval, int32_t paws_win, Instant now) const;
  // tcp_input.c:tcp_replace_ts_recent(): a segment that passed PAWS and starts at or before
  // rcv_wup (rcv_nxt when our last ACK left) updates ts_recent.
  void replace(uint32_t rcv_tsval, SeqNum seq, SeqNum rcv_wup, Instant now);
};

// The segment facts tcp_disordered_ack() looks at.
struct PawsSegment {
  uint32_t tsval = 0;
  SeqNum seq;
  SeqNum end_seq;  // seq + data length (+ SYN/FIN)
  SeqNum ack;
  bool ack_flag = true;
  bool rst = false;
  bool may_update_window = false;  // tcp_may_update_window() for this ACK
};

// tcp_input.c:tcp_paws_discard() (tcp_validate_incoming): drop unless within the window, or a
// pure duplicate ACK replayed within RTO * 1200 Hz ticks (tcp_disordered_ack). RST is exempt.
bool paws_discard(const TsRecent& r, const PawsSegment& seg, SeqNum rcv_nxt, SeqNum snd_una,
                  Duration rto, uint32_t hz, Instant now);

// tcp_input.c:tcp_rtt_tsopt_us(): RTT from TSecr in whole ms, 0 counted as 1 ms; nullopt when
// the echo is absurd (>= INT_MAX / 1000 ms ago).
std::optional<Duration> rtt_from_tsecr(const TsClock& clock, Instant now, uint32_t tsecr);

// Option kinds (RFC 9293, 7323, 2018).
enum class OptKind : uint8_t { nop = 1, mss = 2, wscale = 3, sack_perm = 4, sack = 5, ts = 8 };

// One option layout as tcp_options_write() emits it: the kinds in wire order (NOP padding
// included) and the byte count (a multiple of 4).
struct OptionLayout {
  std::array<OptKind, 12> kinds{};
  uint8_t count = 0;
  uint8_t bytes = 0;
  std::span<const OptKind> view() const { return {kinds.data(), count}; }
};

// tcp_output.c:tcp_syn_options()/tcp_synack_options() + tcp_options_write(): the SYN (all
// three as sysctls allow) or the SYN-ACK (each only if the SYN offered it). MSS always first.
OptionLayout handshake_options(bool ts, bool sack_perm, bool wscale);
// tcp_output.c:tcp_established_options(): nop,nop,TS then nop,nop,sack with `sack_blocks`.
OptionLayout established_options(bool ts, uint8_t sack_blocks);

// The values an encoder fills in.
struct OptionValues {
  uint16_t mss = 1460;
  uint32_t tsval = 0;
  uint32_t tsecr = 0;
  uint8_t wscale = 7;
  std::span<const SackBlock> sacks;
};

// The option bytes of `layout` (at most 40).
struct OptionBytes {
  std::array<uint8_t, 40> data{};
  uint8_t len = 0;
};
OptionBytes encode_options(const OptionLayout& layout, const OptionValues& v);

}  // namespace netsim::tcp
