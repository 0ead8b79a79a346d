// A socket's backlog while its application owns it (lock_sock()): the segments that arrived
// meanwhile, coalesced and bounded as tcp_v4_rcv() -> tcp_add_backlog() does, until the owner
// processes them at sk_flush_backlog() or release_sock() (docs/windows.md "The socket lock").
#pragma once

#include <cstdint>
#include <vector>

#include "sim/packet.hpp"

namespace netsim::tcp {

// tcp_add_backlog()'s limit: (u64)sk_rcvbuf << 1, + sk_sndbuf >> 1, + 64 KiB of headroom
// (Linux 6.12, net/ipv4/tcp_ipv4.c).
constexpr uint64_t backlog_limit(uint32_t rcvbuf, uint32_t sndbuf) {
  return (uint64_t{rcvbuf} << 1) + (sndbuf >> 1) + 64 * 1024;
}

// include/linux/skbuff.h MAX_SKB_FRAGS (CONFIG_MAX_SKB_FRAGS 17): the page fragments one skb
// holds, so the segments skb_try_coalesce() can add to a tail that arrived with its data in
// a fragment of its own.
inline constexpr uint32_t kMaxSkbFrags = 17;

class SocketBacklog {
 public:
  enum class Added : uint8_t { queued, coalesced, dropped };
  // tcp_add_backlog(): merged into the tail skb when they are neighbours with the same header
  // (even above the limit), else queued unless sk_backlog.len + sk_rmem_alloc exceeds `limit`
  // (sk_add_backlog(); the drop is TCPBacklogDrop).
  Added add(const Packet& p, uint64_t limit, uint64_t rmem_alloc);
  // __release_sock(): every skb in arrival order, a coalesced one as one segment; the backlog
  // is empty and its length 0 afterwards.
  std::vector<Packet> take();
  bool empty() const { return skbs_.empty(); }
  size_t skbs() const { return skbs_.size(); }
  uint64_t len() const { return len_; }  // sk_backlog.len: truesize queued since the last take

 private:
  struct Skb {
    Packet head;                 // the first segment's headers, updated by each merge
    std::vector<Payload> parts;  // the payloads merged, in sequence order
    uint32_t frags = 0;          // page fragments holding data (MAX_SKB_FRAGS bounds them)
    SeqNum end_seq;              // TCP_SKB_CB(tail)->end_seq, the last merge's
  };
  static bool can_coalesce(const Skb& tail, const Packet& p);
  std::vector<Skb> skbs_;
  uint64_t len_ = 0;
};

}  // namespace netsim::tcp
