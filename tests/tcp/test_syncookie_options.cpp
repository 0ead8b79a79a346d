// SYN cookies with real options (issue 13 item 1, net/ipv4/syncookies.c): with timestamps the
// cookie SYN-ACK's TSval carries the SYN's window shift and SACK-permitted bit in its 6 low bits
// (cookie_init_timestamp()), and the final ACK's TSecr gives them back
// (cookie_timestamp_decode()), so a cookie connection keeps SACK and window scaling; without
// timestamps it keeps the MSS only (tcp_conn_request(): tcp_clear_options()).

#include <catch2/catch.hpp>

#include "protocols/tcp/connection.hpp"
#include "protocols/tcp/stack.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

Profile cookie_profile(bool ts = true, bool sack = true, bool ws = true) {
  Profile p;
  p.syncookies = 2;  // every SYN is answered with a cookie
  p.timestamps = ts;
  p.sack = sack;
  p.window_scaling = ws;
  return p;
}

struct Server {
  explicit Server(Profile p) : stack({kServerIp}, p, Rng(5, "tcp:server")) {
    Outbox o;
    listener = stack.listen(kPort, 128, {}, o).id;
  }
  Outbox deliver(Instant now, const Packet& p) {
    Outbox out;
    stack.on_packet(now, p, out);
    return out;
  }
  Stack stack;
  SocketId listener = kNoSocket;
};

uint32_t client_off(const Server& s) {
  return s.stack.tsval_offset(kServerIp, kClientIp);
}

Packet syn(bool ts, bool sack, std::optional<uint8_t> ws, uint32_t tsval = 777) {
  Packet p = syn_from(40000, 1000, 1460);
  if (ts) p.tcp.options.timestamps = std::pair<uint32_t, uint32_t>{tsval, 0};
  p.tcp.options.sack_permitted = sack;
  p.tcp.options.window_scale = ws;
  return p;
}

// The final ACK of the handshake, echoing the SYN-ACK's TSval when it had one.
Packet final_ack(const Packet& synack, uint32_t tsval = 778, uint16_t window = 100) {
  Packet a = segment(client_addr(40000), server_addr(), kAck, 1001, synack.tcp.seq.raw() + 1, {},
                     std::nullopt, window);
  if (synack.tcp.options.timestamps)
    a.tcp.options.timestamps =
        std::pair<uint32_t, uint32_t>{tsval, synack.tcp.options.timestamps->first};
  return a;
}

}  // namespace

// cookie_init_timestamp(): ts = (now_ms >> 6) << 6 | options, 64 less if that is ahead of the
// clock; options = the SYN's shift (0xf: none) | 0x10 for SACK. The wire TSval adds the
// host's offset towards the client (secure_tcp_ts_off(), as for every SYN-ACK).
TEST_CASE("A cookie SYN-ACK encodes the SYN's wscale and SACK in its TSval's low bits") {
  Server s(cookie_profile());
  Outbox out = s.deliver(at_ms(1000), syn(true, true, 9));
  REQUIRE(out.packets.size() == 1);
  const Packet& sa = out.packets[0];
  CHECK(sa.syn_cookie);
  REQUIRE(sa.tcp.options.timestamps);
  CHECK(sa.tcp.options.timestamps->second == 777);
  CHECK(sa.tcp.options.sack_permitted);
  CHECK(sa.tcp.options.window_scale == std::optional<uint8_t>(7));
  uint32_t ts = sa.tcp.options.timestamps->first - client_off(s);
  // 1000 ms = 15 * 64 + 40: (960 | 0x19) = 985 <= 1000.
  CHECK(ts == 985);
  // At 1030 ms, 960 | 0x19 = 985 still; at 985 exactly it is not ahead; at 980 it would be:
  // 64 less, 921.
  Server t(cookie_profile());
  Outbox o2 = t.deliver(at_ms(980), syn(true, true, 9));
  CHECK(o2.packets[0].tcp.options.timestamps->first - client_off(t) == 921);
  // No window scale offered: 0xf; no SACK: bit 4 clear.
  Server u(cookie_profile());
  Outbox o3 = u.deliver(at_ms(1000), syn(true, false, std::nullopt));
  const Packet& sa3 = o3.packets[0];
  CHECK(!sa3.tcp.options.sack_permitted);
  CHECK(!sa3.tcp.options.window_scale);
  CHECK(sa3.tcp.options.timestamps->first - client_off(u) == (960u | 0xf));
}

// cookie_v4_check() -> cookie_tcp_check(): TSecr - ts_off = the options; the child gets
// timestamps (ts_recent = the ACK's TSval, MSS 1460 - 12), SACK and both shifts.
TEST_CASE("A cookie connection keeps timestamps, SACK and window scaling") {
  Server s(cookie_profile());
  Outbox out = s.deliver(at_ms(1000), syn(true, true, 9));
  const Packet sa = out.packets[0];
  Outbox est = s.deliver(at_ms(1010), final_ack(sa, 778, 100));
  CHECK(s.stack.counters().syncookies_ok == 1);
  REQUIRE(!est.notices.empty());
  REQUIRE(est.notices[0].kind == AppNotice::Kind::accepted);
  SocketId child = est.notices[0].child;
  Outbox a;
  REQUIRE(s.stack.accept(s.listener, a) == child);
  // The peer's window 100 << 9 = 51200 bytes: 35 full segments of 1448 and one of 520.
  Outbox sent;
  REQUIRE(s.stack.send(at_ms(1020), child, Payload(std::vector<uint8_t>(60000, 'x')), sent) ==
          SocketError::none);
  REQUIRE(!sent.packets.empty());
  const Packet& d = sent.packets[0];
  CHECK(d.tcp.payload.size() == 1448);
  REQUIRE(d.tcp.options.timestamps);
  CHECK(d.tcp.options.timestamps->second == 778);
  CHECK(d.tcp.options.timestamps->first == 1020 + client_off(s));
  // Out-of-order data from the peer: the child's ACK carries a SACK block; its window is
  // scaled by our shift 7 (the SYN-ACK's promised 65160 kept: 65280 -> 510).
  Outbox ooo = s.deliver(
      at_ms(1030), segment(client_addr(40000), server_addr(), kAck, 2001, sa.tcp.seq.raw() + 1,
                           std::string(100, 'y'), std::nullopt, 100));
  REQUIRE(ooo.packets.size() == 1);
  CHECK(ooo.packets[0].tcp.options.sack ==
        std::vector<netsim::SackBlock>{{SeqNum(2001), SeqNum(2101)}});
  CHECK(ooo.packets[0].tcp.window == 510);
}

// tcp_conn_request(): "if (want_cookie && !tmp_opt.saw_tstamp) tcp_clear_options()": without
// timestamps there is nowhere to keep SACK and wscale, so the SYN-ACK offers neither.
TEST_CASE("Without timestamps a cookie SYN-ACK offers the MSS only") {
  Server s(cookie_profile());
  Outbox out = s.deliver(at_ms(1000), syn(false, true, 9));
  REQUIRE(out.packets.size() == 1);
  const TcpOptions& o = out.packets[0].tcp.options;
  CHECK(o.mss == std::optional<uint16_t>(1460));
  CHECK(!o.sack_permitted);
  CHECK(!o.window_scale);
  CHECK(!o.timestamps);
}

// cookie_timestamp_decode(): a TSecr naming an option our sysctl refuses fails the check after
// SyncookiesRecv was counted; the listener's LISTEN rule answers the ACK with a reset.
TEST_CASE("A cookie ACK whose TSecr claims SACK that tcp_sack refuses is reset") {
  Server s(cookie_profile(true, false, true));
  Outbox out = s.deliver(at_ms(1000), syn(true, true, 9));
  Packet sa = out.packets[0];
  CHECK(!sa.tcp.options.sack_permitted);
  // A forged SACK bit in the encoded options (below the offset).
  const uint32_t off = client_off(s);
  sa.tcp.options.timestamps->first = ((sa.tcp.options.timestamps->first - off) | 0x10) + off;
  Outbox r = s.deliver(at_ms(1010), final_ack(sa));
  CHECK(s.stack.counters().syncookies_ok == 1);
  CHECK(s.stack.counters().syncookies_failed == 0);
  REQUIRE(r.packets.size() == 1);
  CHECK(r.packets[0].tcp.flags.rst());
  CHECK(r.notices.empty());
}

// tcp_make_synack(): the SYN-ACK's MSS is tcp_mss_clamp(listener, advmss): a listener's
// TCP_MAXSEG lowers it (for a request and for a cookie alike).
TEST_CASE("A listener's TCP_MAXSEG clamps the MSS its SYN-ACKs offer") {
  Profile p;
  Stack stack({kServerIp}, p, Rng(5, "tcp:server"));
  Outbox o;
  SocketOptions opts;
  opts.maxseg = 1000;
  stack.listen(kPort, 128, opts, o);
  Outbox out;
  stack.on_packet(at_ms(0), syn_from(40000, 1000, 1460), out);
  REQUIRE(out.packets.size() == 1);
  CHECK(out.packets[0].tcp.options.mss == std::optional<uint16_t>(1000));
  Server s(cookie_profile());
  Outbox so;
  SocketId l2 = s.stack.listen(kPort + 1, 128, opts, so).id;
  CHECK(s.stack.get_option(l2, SockOpt::tcp_maxseg) == 1000);
  Packet syn2 = syn_from(40001, 1000, 1460);
  syn2.tcp.dst_port = kPort + 1;
  Outbox c = s.deliver(at_ms(0), syn2);
  REQUIRE(c.packets.size() == 1);
  CHECK(c.packets[0].syn_cookie);
  CHECK(c.packets[0].tcp.options.mss == std::optional<uint16_t>(1000));
}
