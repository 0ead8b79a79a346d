// Timestamp rules (net/ipv4/tcp_input.c, include/net/tcp.h) and the option writer's layouts
// (net/ipv4/tcp_output.c:tcp_options_write).

#include "protocols/tcp/timestamps.hpp"
#include "protocols/tcp/syncookie.hpp"

#include <climits>

namespace netsim::tcp {

namespace {

int64_t seconds(Instant now) {
  return now.ns() / 1'000'000'000;  // ktime_get_seconds()
}

}  // namespace

bool TsRecent::paws_check(uint32_t rcv_tsval, int32_t paws_win, Instant now) const {
  if (static_cast<int32_t>(ts_recent - rcv_tsval) <= paws_win) return true;
  // time_before32(now, stamp + TCP_PAWS_WRAP) false: ts_recent is too old to trust.
  if (!(static_cast<int32_t>(static_cast<uint32_t>(seconds(now)) -
                             static_cast<uint32_t>(ts_recent_stamp + kPawsWrapS)) < 0))
    return true;
  return ts_recent == 0;  // some stacks send TSval 0 on the SYN
}

void TsRecent::replace(uint32_t rcv_tsval, SeqNum seq, SeqNum rcv_wup, Instant now) {
  if (!(seq > rcv_wup) && paws_check(rcv_tsval, 0, now)) {
    ts_recent = rcv_tsval;  // tcp_store_ts_recent()
    ts_recent_stamp = seconds(now);
  }
}

bool paws_discard(const TsRecent& r, const PawsSegment& seg, SeqNum rcv_nxt, SeqNum snd_una,
                  Duration rto, uint32_t hz, Instant now) {
  if (seg.rst || r.paws_check(seg.tsval, kPawsWindow, now)) return false;
  // tcp_disordered_ack(): a pure, duplicate ACK that changes no window, replayed within
  // tcp_tsval_replay() = icsk_rto (jiffies) * 1200 / HZ.
  const auto rto_jiffies = static_cast<int64_t>(KernelClock::unphased(hz).to_jiffies(rto));
  const auto replay = static_cast<int64_t>(rto_jiffies * 1200 / hz);
  const bool disordered = seg.ack_flag && seg.seq == seg.end_seq && seg.seq == rcv_nxt &&
                          seg.ack == snd_una && !seg.may_update_window &&
                          static_cast<int32_t>(r.ts_recent - seg.tsval) <= replay;
  return !disordered;
}

std::optional<Duration> rtt_from_tsecr(const TsClock& clock, Instant now, uint32_t tsecr) {
  uint32_t delta = clock.tsval(now) - tsecr;
  if (delta >= INT_MAX / 1000) return std::nullopt;
  if (delta == 0) delta = 1;  // tcp_ack_update_rtt() passes min_delta 1
  return Duration::milliseconds(delta);
}

namespace {

void push(OptionLayout& l, std::initializer_list<OptKind> kinds, uint8_t bytes) {
  for (OptKind k : kinds)
    l.kinds[l.count++] = k;
  l.bytes = static_cast<uint8_t>(l.bytes + bytes);
}

}  // namespace

OptionLayout handshake_options(bool ts, bool sack_perm, bool wscale) {
  OptionLayout l;
  push(l, {OptKind::mss}, 4);
  if (ts) {
    // SACK-permitted takes the place of the two NOPs before TS.
    if (sack_perm)
      push(l, {OptKind::sack_perm, OptKind::ts}, 12);
    else
      push(l, {OptKind::nop, OptKind::nop, OptKind::ts}, 12);
  } else if (sack_perm) {
    push(l, {OptKind::nop, OptKind::nop, OptKind::sack_perm}, 4);
  }
  if (wscale) push(l, {OptKind::nop, OptKind::wscale}, 4);
  return l;
}

OptionLayout established_options(bool ts, uint8_t sack_blocks) {
  OptionLayout l;
  if (ts) push(l, {OptKind::nop, OptKind::nop, OptKind::ts}, 12);
  if (sack_blocks != 0)
    push(l, {OptKind::nop, OptKind::nop, OptKind::sack}, static_cast<uint8_t>(4 + 8 * sack_blocks));
  return l;
}

namespace {

struct Writer {
  OptionBytes& out;
  void u8(uint32_t v) { out.data[out.len++] = static_cast<uint8_t>(v); }
  void u16(uint32_t v) {
    u8(v >> 8);
    u8(v);
  }
  void u32(uint32_t v) {
    u16(v >> 16);
    u16(v);
  }
};

}  // namespace

OptionBytes encode_options(const OptionLayout& layout, const OptionValues& v) {
  OptionBytes out;
  Writer w{out};
  for (OptKind k : layout.view()) {
    switch (k) {
      case OptKind::nop:
        w.u8(1);
        break;
      case OptKind::mss:
        w.u8(2), w.u8(4), w.u16(v.mss);
        break;
      case OptKind::wscale:
        w.u8(3), w.u8(3), w.u8(v.wscale);
        break;
      case OptKind::sack_perm:
        w.u8(4), w.u8(2);
        break;
      case OptKind::ts:
        w.u8(8), w.u8(10), w.u32(v.tsval), w.u32(v.tsecr);
        break;
      case OptKind::sack:
        w.u8(5), w.u8(2 + 8 * static_cast<uint32_t>(v.sacks.size()));
        for (const SackBlock& b : v.sacks)
          w.u32(b.start.raw()), w.u32(b.end.raw());
        break;
    }
  }
  return out;
}

uint64_t siphash_1u64(uint64_t word, const TsSecret& key) {
  uint8_t bytes[8];  // one 64-bit word, little-endian, as lib/siphash.c loads it
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<uint8_t>(word >> (8 * i));
  return siphash_2_4({key.k0, key.k1}, bytes, sizeof bytes);
}

uint32_t ts_offset(const TsSecret& key, uint32_t local, uint32_t remote) {
  const uint64_t saddr = __builtin_bswap32(local);
  const uint64_t daddr = __builtin_bswap32(remote);
  return static_cast<uint32_t>(siphash_1u64(daddr << 32 | saddr, key));
}

}  // namespace netsim::tcp
