// RFC 7323 timestamps as Linux 6.12 runs them: the millisecond TSval clock with an offset per
// address pair, ts_recent and its update rule, PAWS (with the 2147 s wrap and the disordered-ACK
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

// net/core/secure_seq.c:secure_tcp_ts_off(): a host's TSval offset towards a peer is a keyed
// hash of the address pair, siphash_2u32(saddr, daddr, &ts_secret), without the ports: every
// connection between two hosts shares one TS clock, so a reconnect into the peer's TIME_WAIT
// carries a newer TSval (tcp_twsk_unique(), tcp_timewait_state_process()). ts_secret is the
// boot-time key; netsim's is the host's, drawn from (but not out of) its RNG stream.
struct TsSecret {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};
// lib/siphash.c:siphash_1u64() (SipHash-2-4 of one 64-bit word), as siphash_2u32(a, b) calls it
// with (u64)b << 32 | a.
uint64_t siphash_1u64(uint64_t word, const TsSecret& key);
// The offset from `local` towards `remote` (IPv4 addresses in host byte order, Ipv4Addr::value),
// hashed as Linux's __be32 loads them on a little-endian machine.
uint32_t ts_offset(const TsSecret& key, uint32_t local, uint32_t remote);

// include/net/tcp.h:tcp_skb_timestamp_ts() + tsoffset: TSval = departure time in ms + ts_off,
// mod 2^32 (ts_offset() above; 0 where no stack hands one over).
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
