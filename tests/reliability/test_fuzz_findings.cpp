// What the fuzzers found, pinned down as exact behaviour next to the raw reproducers that
// fuzz/corpus/<target>/regress-* keeps (docs/reliability.md, "Findings so far").
#include <catch2/catch.hpp>

#include "protocols/tcp/connection.hpp"
#include "protocols/tcp/stack.hpp"

using namespace netsim;
using namespace netsim::tcp;

namespace {

const Ipv4Addr kServerIp{0x0A000002};
const Ipv4Addr kClientIp{0x0A000001};

Profile small_buffer() {
  Profile p;
  p.rmem.def = 3000;
  return p;
}

Packet from_client(uint8_t flags, uint32_t seq, uint32_t ack, size_t len = 0) {
  Packet p;
  p.src = kClientIp;
  p.dst = kServerIp;
  p.tcp.src_port = 40000;
  p.tcp.dst_port = 80;
  p.tcp.seq = SeqNum(seq);
  p.tcp.ack = SeqNum(ack);
  p.tcp.flags = TcpFlags(flags);
  p.tcp.window = 65535;
  if (len > 0) p.tcp.payload = Payload(std::vector<uint8_t>(len, 'd'));
  return p;
}

}  // namespace

// fuzz_tcp: regress-passive-synack-window-above-receive-buffer. The SYN-ACK offered 65160 bytes
// whatever the buffer; 3005 bytes then sat in a 3000-byte buffer. Now the window is Linux's
// (tcp_openreq_init_rwin()): the buffer's window share 1500 rounded down to the MSS, 1460.
TEST_CASE("A listener with a 3000-byte receive buffer offers 1460 bytes in its SYN-ACK") {
  Stack server({kServerIp}, small_buffer(), Rng(1, "tcp:server"));
  Outbox out;
  REQUIRE(server.listen(80, 8, {}, out).id != kNoSocket);
  out.clear();
  server.on_packet(Instant::zero(), from_client(TcpFlags::SYN, 100, 0), out);
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.flags.bits() == (TcpFlags::SYN | TcpFlags::ACK));
  CHECK(out.packets[0].tcp.window == 1460);
}

TEST_CASE("A passively opened connection never holds more than its 3000-byte buffer") {
  Profile p = small_buffer();
  Counters counters;
  SocketOptions opts;
  opts.auto_read = false;  // the application reads nothing: the buffer only fills
  Connection c(1, ConnKey{{kServerIp, 80}, {kClientIp, 40000}}, opts, ConnContext{&p, &counters});
  Handshake hs;
  hs.iss = SeqNum(5000);
  hs.irs = SeqNum(100);
  hs.peer_window = 65535;
  Outbox out;
  Instant t = Instant::zero();
  c.open_passive(t, hs, State::syn_received, StateCause::rcv_ack, out);
  // 3000 bytes five bytes ahead of RCV.NXT: only the 1455 that fit the 1460-byte window are
  // kept; the promised edge stays.
  Segment ahead = from_client(TcpFlags::ACK | TcpFlags::PSH, 106, 5001, 3000).tcp;
  out.clear();
  c.on_segment(t, ahead, out);
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.ack.raw() == 101);
  CHECK(out.packets[0].tcp.window == 1460);
  // The hole is filled: the 1460 bytes of the window are readable and it is closed.
  out.clear();
  c.on_segment(t, from_client(TcpFlags::ACK | TcpFlags::PSH, 101, 5001, 3000).tcp, out);
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.ack.raw() == 1561);
  CHECK(out.packets[0].tcp.window == 0);
  std::string why;
  CHECK(c.check_invariants(&why));
  INFO(why);
}
