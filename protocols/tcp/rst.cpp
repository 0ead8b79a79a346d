// Reply RSTs in Linux's format (net/ipv4/tcp_ipv4.c tcp_v4_send_reset()).

#include "protocols/tcp/rst.hpp"

namespace netsim::tcp {

std::optional<Packet> make_reply_rst(const Packet& offending) {
  const Segment& in = offending.tcp;
  // tcp_v4_send_reset(): "Never send a reset in response to a reset."
  if (in.flags.rst()) return std::nullopt;
  Packet p;
  p.src = offending.dst;
  p.dst = offending.src;
  p.ttl = 64;  // ip_send_unicast_reply() uses the default TTL (sysctl_ip_default_ttl)
  Segment& s = p.tcp;
  s.src_port = in.dst_port;
  s.dst_port = in.src_port;
  s.window = 0;
  if (in.flags.ack()) {
    // "rep.th.seq = th->ack_seq": the peer will find the RST acceptable (RFC 9293 §3.5.2).
    s.seq = in.ack;
    s.flags = TcpFlags(TcpFlags::RST);
  } else {
    // "rep.th.ack = 1; ack_seq = seq + syn + fin + payload length"; seq stays 0.
    s.seq = SeqNum(0);
    s.ack = in.seq + in.seq_len();
    s.flags = TcpFlags(TcpFlags::RST | TcpFlags::ACK);
  }
  return p;
}

}  // namespace netsim::tcp
