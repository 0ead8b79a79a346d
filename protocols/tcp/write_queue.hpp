// Linux's write queue as skb boundaries, so that segments get PSH where Linux's do: writes are
// cut into skbs of size_goal bytes (tcp_sendmsg_locked()), each skb may carry a PSH mark
// (tcp_push() at the end of a write, forced_push() mid-write), and tcp_write_xmit() sends an
// skb as GSO pieces, each of which ends in PSH when it holds more than one segment.
#pragma once

#include <cstdint>

#include "protocols/tcp/sparse_vector.hpp"
#include "sim/seq.hpp"

namespace netsim::tcp {

// The largest GSO packet a socket builds: the device's 64 KiB (GSO_LEGACY_MAX_SIZE, tun and
// veth) less MAX_TCP_HEADER + 1 (net/core/sock.c:sk_dst_gso_max_size(); MAX_TCP_HEADER is
// L1_CACHE_ALIGN(128 + MAX_HEADER) = 320 on Debian's x86-64 build).
inline constexpr uint32_t kGsoMaxSize = 65536 - 321;
// net.ipv4.tcp_min_tso_segs (tcp_ipv4.c:tcp_sk_init()).
inline constexpr uint32_t kMinTsoSegs = 2;

// One unsent skb: it ends at `end` and starts where the previous one ends (the first at
// SND.NXT); `psh` is TCPHDR_PSH in its control block, `eor` TCP_SKB_CB(skb)->eor (MSG_EOR:
// nothing may be appended or collapsed into it, tcp_skb_can_collapse_to()).
struct SkbMark {
  SeqNum end;
  bool psh = false;
  bool eor = false;
};

class WriteQueue {
 public:
  bool empty() const { return skbs_.empty(); }
  size_t size() const { return skbs_.size(); }
  // What write() would copy into the tail skb before entailing a new one: size_goal less the
  // tail's length (0 when empty, full or ending a record: "copy <= 0 ||
  // !tcp_skb_can_collapse_to(skb)").
  uint32_t tail_room(SeqNum snd_nxt, uint32_t size_goal) const;
  SeqNum back_end() const { return skbs_.back().end; }
  // The tail skb's unsent length (its truesize is kSkbEmptyTruesize more) and whether it ends
  // a record (!tcp_skb_can_collapse_to()); the queue must not be empty.
  uint32_t tail_len(SeqNum snd_nxt) const;
  bool tail_eor() const { return skbs_.back().eor; }
  // tcp_sendmsg_locked() for one write of [from, to): fill the tail skb up to size_goal, then
  // new skbs; a full skb is marked when forced_push() (more than half the peer's largest window
  // written since the last mark); at the end tcp_push() marks the tail. Updates pushed_seq as
  // tcp_mark_push() does. A write copied in pieces (the in-loop pushes of Tcb::write()) passes
  // `first` only with its first piece (the "if (!copied)" PSH clearing) and `end` only with its
  // last; the result says whether forced_push() marked the skb ending at `to`. `flags` (the
  // write's MSG_EOR / MSG_MORE, msg_flags.hpp) act at its end: MSG_EOR sets the tail's eor,
  // MSG_MORE leaves the tail unmarked unless forced_push() (tcp_push()).
  bool write(SeqNum from, SeqNum to, SeqNum snd_nxt, uint32_t size_goal, uint32_t max_window,
             SeqNum& pushed_seq, bool first = true, bool end = true, uint32_t flags = 0);
  // Drops the skbs sent in full.
  void sent(SeqNum snd_nxt);
  // The skb holding SND.NXT (call sent() first); nullptr when nothing is queued.
  SkbMark* head() { return skbs_.empty() ? nullptr : &skbs_.front(); }
  SkbMark* next() { return skbs_.size() < 2 ? nullptr : &skbs_[1]; }
  // tcp_grow_skb(): move `amount` bytes of the next skb into the head unless the head ends a
  // record (tcp_skb_can_collapse()); an emptied next skb is eaten and its flags join the
  // head's, its eor replaces the head's (tcp_eat_one_skb()).
  void grow_head(uint32_t amount);
  // The first segment tcp_write_xmit() would build from the head skb at `snd_nxt` after
  // tcp_grow_skb() (at most `mss` bytes), and whether the head is then the write queue's last
  // skb (tcp_skb_is_last(): only the last skb is subject to Nagle, the others go with
  // TCP_NAGLE_PUSH). 0 when nothing is queued.
  uint32_t first_segment(SeqNum snd_nxt, uint32_t mss, bool& last) const;
  // The PSH mark of the skb ending exactly at `end`, if any.
  bool marked_at(SeqNum end) const;
  // The MSG_EOR mark of the skb ending exactly at `end`, if any.
  bool eor_at(SeqNum end) const;
  // tcp_push() -> tcp_mark_push() on the write queue's tail, if there is one.
  bool mark_tail() {
    if (skbs_.empty()) return false;
    skbs_.back().psh = true;
    return true;
  }
  void mark_head() {
    if (!skbs_.empty()) skbs_.front().psh = true;
  }
  void clear() { skbs_.release(); }

  // The GSO piece tcp_write_xmit() is sending: [.., piece_end), PSH on its last segment.
  SeqNum piece_start;
  SeqNum piece_end;
  bool piece_psh = false;
  bool piece_active = false;
  // The MSG_EOR / MSG_MORE of the writes not yet cut into skbs (the unbounded send() before
  // ESTABLISHED: they become one tcp_sendmsg_locked() call, which ends with the last write's).
  uint16_t uncut_flags = 0;
  // tcp_push() of a write with MSG_MORE is in progress: it pushes with TCP_NAGLE_CORK, which
  // holds a partial last segment whatever TCP_NODELAY or an explicit push say.
  bool more_push = false;

 private:
  const SkbMark* ending_at(SeqNum end) const;
  SparseVector<SkbMark> skbs_;
};

// tcp.c:tcp_xmit_size_goal(): the skb size a write builds, whole segments of half the peer's
// largest window (tcp_bound_to_half_wnd()) up to the GSO maximum.
uint32_t tcp_xmit_size_goal(uint32_t mss_now, uint32_t max_window);
// tcp_output.c:tcp_tso_autosize() / tcp_tso_segs(): segments per GSO packet from the pacing
// rate (bytes/s; 0 = unset, ~0 in Linux) and the windowed min RTT (0 = no sample).
uint32_t tcp_tso_segs(uint64_t pacing_rate, uint32_t min_rtt_us, uint32_t mss_now);

}  // namespace netsim::tcp
