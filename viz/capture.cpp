// Inferring each endpoint's TCP state from a capture (see capture.hpp). What an endpoint sent
// is certain (it is in the capture); what it received is a guess. The rules follow RFC 9293's
// state diagram (§3.3.2) and only move forward on evidence:
//   sends SYN                  -> SYN_SENT            (certain)
//   sends SYN-ACK              -> SYN_RECEIVED        (certain: it had a SYN and a listener)
//   sends an ACK of the peer's SYN from SYN_SENT -> ESTABLISHED (certain)
//   peer's ACK of our SYN-ACK  -> ESTABLISHED         (guess)
//   sends FIN                  -> FIN_WAIT_1, or LAST_ACK after the peer's FIN (certain)
//   peer's FIN                 -> CLOSE_WAIT, CLOSING or TIME_WAIT (guess)
//   peer's ACK of our FIN      -> FIN_WAIT_2, TIME_WAIT or CLOSED (guess)
//   sends RST -> CLOSED (certain); peer's RST -> CLOSED (guess)
#include "viz/capture.hpp"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace netsim::viz {

namespace {

struct Side {
  TcpState state = TcpState::closed;
  std::optional<SeqNum> fin_seq;  // our FIN's sequence number
  bool peer_fin = false;
  bool syn_acked = false;
};

class Inference {
 public:
  explicit Inference(std::vector<TraceRecord>& out) : out_(out) {}

  void on_packet(Instant t, const Packet& p) {
    const TcpFlags f = p.tcp.flags;
    Side& me = side(p.src_addr(), p.dst_addr());
    Side& peer = side(p.dst_addr(), p.src_addr());
    const std::string host = p.src.to_string(), peer_host = p.dst.to_string();
    if (f.rst()) {
      move(t, host, p.src_addr(), p.dst_addr(), me, TcpState::closed, StateCause::abort);
      move(t, peer_host, p.dst_addr(), p.src_addr(), peer, TcpState::closed,
           guess(StateCause::rcv_rst));
      return;
    }
    if (f.syn() && !f.ack()) {
      move(t, host, p.src_addr(), p.dst_addr(), me, TcpState::syn_sent, StateCause::connect);
      return;
    }
    if (f.syn() && f.ack()) {
      move(t, host, p.src_addr(), p.dst_addr(), me, TcpState::syn_received, StateCause::rcv_syn);
      return;
    }
    if (me.state == TcpState::syn_sent && f.ack()) {
      move(t, host, p.src_addr(), p.dst_addr(), me, TcpState::established, StateCause::rcv_syn_ack);
    }
    if (peer.state == TcpState::syn_received && f.ack()) {
      move(t, peer_host, p.dst_addr(), p.src_addr(), peer, TcpState::established,
           guess(StateCause::rcv_ack));
    }
    // The peer's FIN acknowledged by this segment.
    if (f.ack() && peer.fin_seq && p.tcp.ack > *peer.fin_seq) {
      if (peer.state == TcpState::fin_wait_1) {
        move(t, peer_host, p.dst_addr(), p.src_addr(), peer, TcpState::fin_wait_2,
             guess(StateCause::rcv_ack_of_fin));
      } else if (peer.state == TcpState::closing) {
        move(t, peer_host, p.dst_addr(), p.src_addr(), peer, TcpState::time_wait,
             guess(StateCause::rcv_ack_of_fin));
      } else if (peer.state == TcpState::last_ack) {
        move(t, peer_host, p.dst_addr(), p.src_addr(), peer, TcpState::closed,
             guess(StateCause::rcv_ack_of_fin));
      }
    }
    if (f.fin() && !me.fin_seq) {
      me.fin_seq = p.tcp.seq + static_cast<uint32_t>(p.tcp.payload.size());
      move(t, host, p.src_addr(), p.dst_addr(), me,
           me.peer_fin ? TcpState::last_ack : TcpState::fin_wait_1, StateCause::close);
      peer.peer_fin = true;
      if (peer.state == TcpState::established || peer.state == TcpState::syn_received) {
        move(t, peer_host, p.dst_addr(), p.src_addr(), peer, TcpState::close_wait,
             guess(StateCause::rcv_fin));
      } else if (peer.state == TcpState::fin_wait_1) {
        move(t, peer_host, p.dst_addr(), p.src_addr(), peer, TcpState::closing,
             guess(StateCause::rcv_fin));
      } else if (peer.state == TcpState::fin_wait_2) {
        move(t, peer_host, p.dst_addr(), p.src_addr(), peer, TcpState::time_wait,
             guess(StateCause::rcv_fin));
      }
    }
  }

 private:
  // A cause the capture shows (what the endpoint itself sent), or one it only suggests.
  struct Cause {
    Cause(StateCause c, bool g = false) : cause(c), guess(g) {}  // NOLINT: implicit on purpose
    StateCause cause;
    bool guess;
  };
  static Cause guess(StateCause c) { return {c, true}; }
  Side& side(SocketAddr local, SocketAddr remote) { return sides_[{local, remote}]; }
  void move(Instant t, const std::string& host, SocketAddr local, SocketAddr remote, Side& s,
            TcpState to, Cause cause) {
    if (s.state == to) return;
    StateRecord r;
    r.t = t;
    r.host = host;
    r.local = local;
    r.remote = remote;
    r.from = s.state;
    r.to = to;
    r.cause = cause.cause;
    r.inferred = cause.guess;
    out_.push_back(std::move(r));
    s.state = to;
  }

  std::vector<TraceRecord>& out_;
  std::map<std::pair<SocketAddr, SocketAddr>, Side> sides_;
};

}  // namespace

std::vector<TraceRecord> capture_records(const Capture& capture) {
  std::vector<TraceRecord> out;
  if (capture.packets.empty()) return out;
  int64_t t0 = capture.packets.front().t_ns;
  Inference inference(out);
  // What each direction already carried: (src, dst, seq, len, SYN/FIN) seen before is resent.
  std::map<std::tuple<SocketAddr, SocketAddr, uint32_t, size_t, uint8_t>, uint16_t> seen;
  uint64_t uid = 0;
  for (const auto& c : capture.packets) {
    Instant t = Instant::from_ns(std::max<int64_t>(0, c.t_ns - t0));
    Packet p = c.packet;
    p.uid = ++uid;
    const TcpFlags f = p.tcp.flags;
    if (!p.tcp.payload.empty() || f.syn() || f.fin()) {
      uint8_t kind = static_cast<uint8_t>((f.syn() ? 1 : 0) | (f.fin() ? 2 : 0));
      auto [it, fresh] = seen.try_emplace(
          {p.src_addr(), p.dst_addr(), p.tcp.seq.raw(), p.tcp.payload.size(), kind}, 0);
      if (!fresh) p.retransmission = ++it->second;
    }
    out.push_back(PacketRecord{t, PacketEvent::send, p.src.to_string(), p, {}, {}});
    out.push_back(PacketRecord{t, PacketEvent::recv, p.dst.to_string(), p, {}, {}});
    inference.on_packet(t, p);
  }
  return out;
}

}  // namespace netsim::viz
