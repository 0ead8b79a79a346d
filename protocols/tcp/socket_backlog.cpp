// SocketBacklog (socket_backlog.hpp): tcp_add_backlog()'s coalescing and limit, and the skbs
// __release_sock() hands to tcp_v4_do_rcv() one by one.

#include "protocols/tcp/socket_backlog.hpp"

#include <utility>

#include "protocols/tcp/rcv_window.hpp"

namespace netsim::tcp {

// The test of tcp_add_backlog() before skb_try_coalesce(): in sequence (tail end_seq == seq),
// no SYN/RST/URG in either, ACK in both, the same ECE/CWR, the same header length and options
// byte for byte (memcmp of the TCP options: the same TSval, the same SACK blocks).
bool SocketBacklog::can_coalesce(const Skb& tail, const Packet& p) {
  const Segment& t = tail.head.tcp;
  const Segment& s = p.tcp;
  const uint8_t both = t.flags.bits() | s.flags.bits();
  if (tail.end_seq != s.seq) return false;
  if (both & (TcpFlags::SYN | TcpFlags::RST | TcpFlags::URG)) return false;
  if (!t.flags.ack() || !s.flags.ack()) return false;
  if ((t.flags.bits() ^ s.flags.bits()) & (TcpFlags::ECE | TcpFlags::CWR)) return false;
  if (t.flags.fin()) return false;  // end_seq counts the FIN: nothing follows it in sequence
  return t.options == s.options;
}

SocketBacklog::Added SocketBacklog::add(const Packet& p, uint64_t limit, uint64_t rmem_alloc) {
  const uint32_t len = static_cast<uint32_t>(p.tcp.payload.size());
  const uint32_t truesize = rx_truesize(len);
  // skb_try_coalesce(): a segment without data fits the tail's headroom; one with data adds
  // its page fragment, at most MAX_SKB_FRAGS of them.
  if (!skbs_.empty() && can_coalesce(skbs_.back(), p) &&
      (len == 0 || skbs_.back().frags < kMaxSkbFrags)) {
    Skb& tail = skbs_.back();
    Segment& t = tail.head.tcp;
    // "if (!before(skb->ack_seq, tail->ack_seq))": the newer ACK and its window.
    if (!(p.tcp.ack < t.ack)) {
      t.ack = p.tcp.ack;
      t.window = p.tcp.window;
    }
    tail.end_seq = p.tcp.seq + p.tcp.seq_len();
    t.flags = t.flags | p.tcp.flags;  // thtail->fin |= th->fin; tcp_flags |= (PSH, FIN)
    if (len != 0) {
      tail.parts.push_back(p.tcp.payload);
      ++tail.frags;
    }
    // sk_backlog.len += delta, skb_try_coalesce()'s: 0 for a segment without data (it fits the
    // tail's tailroom); with data the fragment's truesize (Linux's delta leaves out the
    // merged skb's own head, SKB_TRUESIZE(skb_end_offset): an overestimate by that head).
    if (len != 0) len_ += truesize;
    return Added::coalesced;
  }
  // sk_add_backlog() -> sk_rcvqueues_full(): qsize = sk_backlog.len + sk_rmem_alloc.
  if (len_ + rmem_alloc > limit) return Added::dropped;
  Skb skb{p, {}, len != 0 ? 1u : 0u, p.tcp.seq + p.tcp.seq_len()};
  if (len != 0) skb.parts.push_back(p.tcp.payload);
  skbs_.push_back(std::move(skb));
  len_ += truesize;
  return Added::queued;
}

std::vector<Packet> SocketBacklog::take() {
  std::vector<Packet> out;
  out.reserve(skbs_.size());
  for (Skb& skb : skbs_) {
    if (skb.parts.size() > 1) skb.head.tcp.payload = Payload::concat(skb.parts);
    out.push_back(std::move(skb.head));
  }
  skbs_.clear();
  len_ = 0;  // "sk->sk_backlog.len = 0" at the end of __release_sock()
  return out;
}

}  // namespace netsim::tcp
