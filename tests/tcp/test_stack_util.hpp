// Helpers for the Stack tests: a server stack under test, a client that exists only as hand-made
// segments, and short ways to build segments and look at what came out.
#pragma once

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "protocols/tcp/stack.hpp"
#include "sim/packet.hpp"
#include "sim/time.hpp"

namespace netsim::tcp::testing {

inline const Ipv4Addr kServerIp{0x0A000002};  // 10.0.0.2
inline const Ipv4Addr kClientIp{0x0A000001};  // 10.0.0.1
constexpr uint16_t kPort = 20000;

inline Instant at(Duration d) {
  return Instant::zero() + d;
}
inline Instant at_ms(int64_t ms) {
  return at(Duration::milliseconds(ms));
}

inline SocketAddr server_addr(uint16_t port = kPort) {
  return {kServerIp, port};
}
inline SocketAddr client_addr(uint16_t port) {
  return {kClientIp, port};
}

// A segment from `from` to `to` (flags in TcpFlags bits).
inline Packet segment(SocketAddr from, SocketAddr to, uint8_t flags, uint32_t seq, uint32_t ack = 0,
                      std::string_view payload = {}, std::optional<uint16_t> mss = std::nullopt,
                      uint16_t window = 64240) {
  Packet p;
  p.src = from.addr;
  p.dst = to.addr;
  p.tcp.src_port = from.port;
  p.tcp.dst_port = to.port;
  p.tcp.seq = SeqNum(seq);
  p.tcp.ack = SeqNum(ack);
  p.tcp.flags = TcpFlags(flags);
  p.tcp.window = window;
  p.tcp.options.mss = mss;
  if (!payload.empty()) p.tcp.payload = Payload::from_string(payload);
  return p;
}

// A client SYN from port `cport` with ISN `isn` to the server's listening port.
inline Packet syn_from(uint16_t cport, uint32_t isn = 1000, uint16_t mss = 1460) {
  return segment(client_addr(cport), server_addr(), TcpFlags::SYN, isn, 0, {}, mss);
}

constexpr uint8_t kSynAck = TcpFlags::SYN | TcpFlags::ACK;
constexpr uint8_t kAck = TcpFlags::ACK;
constexpr uint8_t kRst = TcpFlags::RST;
constexpr uint8_t kRstAck = TcpFlags::RST | TcpFlags::ACK;

// Runs every listener/connection timer due up to `until`, collecting the packets sent with
// the time they were sent.
struct Timed {
  Instant t;
  Packet p;
};

inline std::vector<Timed> run_timers(Stack& stack, SocketId id, Instant until) {
  std::vector<Timed> sent;
  while (auto d = stack.next_deadline(id)) {
    if (*d > until) break;
    Outbox out;
    stack.on_timer(*d, id, out);
    for (Packet& p : out.packets)
      sent.push_back({*d, p});
  }
  return sent;
}

inline std::vector<int64_t> times_ms(const std::vector<Timed>& v) {
  std::vector<int64_t> r;
  for (const Timed& t : v)
    r.push_back(t.t.ns() / 1'000'000);
  return r;
}

inline std::string flags_of(const std::vector<Packet>& v) {
  std::string s;
  for (const Packet& p : v)
    s += (s.empty() ? "" : " ") + p.tcp.flags.to_string();
  return s;
}

// A server Stack listening on kPort (backlog 8) with tracing on, fed hand-made segments.
struct ListeningServer {
  explicit ListeningServer(uint64_t seed, Profile profile = {})
      : stack({kServerIp}, profile, Rng(seed, "tcp:server")) {
    stack.set_tracing(true);
    Outbox o;
    listener = stack.listen(kPort, 8, {}, o).id;
  }
  Outbox deliver(Instant now, const Packet& p) {
    Outbox out;
    stack.on_packet(now, p, out);
    return out;
  }
  // A full handshake from client port `cport` with ISN `isn`; returns the child and server ISN.
  std::pair<SocketId, SeqNum> handshake(uint16_t cport, uint32_t isn, Instant now) {
    SeqNum s = deliver(now, syn_from(cport, isn)).packets.at(0).tcp.seq;
    Outbox out =
        deliver(now, segment(client_addr(cport), server_addr(), kAck, isn + 1, s.raw() + 1));
    REQUIRE(out.notices.size() == 1);
    REQUIRE(out.notices[0].kind == AppNotice::Kind::accepted);
    return {out.notices[0].child, s};
  }
  Stack stack;
  SocketId listener = kNoSocket;
};

}  // namespace netsim::tcp::testing
