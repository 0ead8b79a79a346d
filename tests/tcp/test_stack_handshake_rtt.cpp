// The passive side's handshake RTT through the listener (issue 13 item 3): Karn's rule takes no
// sample from a retransmitted SYN-ACK (tcp_synack_rtt_meas(): "!req->num_retrans") nor from a
// SYN cookie (no send time kept), but Linux then measures from the final ACK's TSecr:
// tcp_rcv_state_process(), case TCP_SYN_RECV, "if (!tp->srtt_us) tcp_synack_rtt_meas(sk, req)"
// with req NULL -> tcp_ack_update_rtt() -> tcp_rtt_tsopt_us(). Only without timestamps does
// tcp_init_metrics() set the 3 s TCP_TIMEOUT_FALLBACK.

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "protocols/tcp/connection.hpp"
#include "protocols/tcp/stack.hpp"
#include "protocols/tcp/tcp_info.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

struct Server : ListeningServer {
  explicit Server(int syncookies = 1) : ListeningServer(5, profile(syncookies)) {}
  static Profile profile(int syncookies) {
    Profile p;
    p.syncookies = syncookies;
    return p;
  }
  // The client's final ACK at `now`, echoing `tsecr` when given; returns the child's RTT
  // state as tcp_info reports it, "rtt R rttvar V rto T" (µs).
  std::string complete(Instant now, const Packet& synack, std::optional<uint32_t> tsecr) {
    Packet a = segment(client_addr(40000), server_addr(), kAck, 1001, synack.tcp.seq.raw() + 1);
    if (tsecr) a.tcp.options.timestamps = std::pair<uint32_t, uint32_t>{778, *tsecr};
    Outbox out = deliver(now, a);
    REQUIRE(!out.notices.empty());
    REQUIRE(out.notices[0].kind == AppNotice::Kind::accepted);
    const Connection* c = stack.connection(out.notices[0].child);
    REQUIRE(c != nullptr);
    const TcpInfo i = tcp_info(*c, now);
    return fmt::format("rtt {} rttvar {} rto {}", i.rtt, i.rttvar, i.rto);
  }
  uint32_t ts_off() const { return stack.tsval_offset(kServerIp, kClientIp); }
};

Packet syn(bool ts) {
  Packet p = syn_from(40000, 1000, 1460);
  if (ts) p.tcp.options.timestamps = std::pair<uint32_t, uint32_t>{777, 0};
  p.tcp.options.sack_permitted = true;
  p.tcp.options.window_scale = 9;
  return p;
}

}  // namespace

// The SYN-ACK of 0 ms is lost; the request timer resends it at 1 s (TSval 1000 + offset); the
// ACK at 1020.7 ms echoes it: 20 ms in whole ms of the TS clock. RTO 220 ms (55 jiffies).
TEST_CASE("After a lost first SYN-ACK the final ACK's TSecr gives the passive side its RTT") {
  Server s;
  REQUIRE(s.deliver(at_ms(0), syn(true)).packets.size() == 1);
  std::vector<Timed> rtx = run_timers(s.stack, s.listener, at_ms(1000));
  REQUIRE(times_ms(rtx) == std::vector<int64_t>{1000});
  const Packet& synack = rtx[0].p;
  REQUIRE(synack.tcp.options.timestamps->first == 1000 + s.ts_off());
  CHECK(s.complete(at(1020_ms + 700_us), synack, synack.tcp.options.timestamps->first) ==
        "rtt 20000 rttvar 10000 rto 220000");
}

// The same story without timestamps: no sample, TCP_TIMEOUT_FALLBACK.
TEST_CASE("After a lost first SYN-ACK without timestamps the passive side uses the fallback") {
  Server s;
  REQUIRE(s.deliver(at_ms(0), syn(false)).packets.size() == 1);
  std::vector<Timed> rtx = run_timers(s.stack, s.listener, at_ms(1000));
  REQUIRE(rtx.size() == 1);
  CHECK(!rtx[0].p.tcp.options.timestamps);
  CHECK(s.complete(at(1020_ms), rtx[0].p, std::nullopt) == "rtt 0 rttvar 0 rto 3000000");
}

// A lost first SYN changes nothing here: the SYN-ACK went once, so tcp_check_req()'s
// tcp_synack_rtt_meas() measures from its send time in µs, which tcp_ack_update_rtt() prefers
// to the TSecr (20.7 ms, not 20).
TEST_CASE("After a lost first SYN the passive side measures from the SYN-ACK's send time") {
  Server s;
  Outbox o = s.deliver(at_ms(1000), syn(true));
  REQUIRE(o.packets.size() == 1);
  CHECK(
      s.complete(at(1020_ms + 700_us), o.packets[0], o.packets[0].tcp.options.timestamps->first) ==
      "rtt 20700 rttvar 10350 rto 224000");
}

// A cookie keeps no send time, but its SYN-ACK's TSval is the ms clock with the 6 low bits
// replaced by the options (cookie_init_timestamp(): 985 at 1000 ms), and the child measures
// from it all the same: 1020 - 985 = 35 ms, RTO 235 ms -> 59 jiffies (236 ms). Without
// timestamps the cookie connection starts with the fallback.
TEST_CASE("A SYN cookie connection takes its RTT from the TSecr, or the fallback without TS") {
  SECTION("timestamps") {
    Server s(2);
    Outbox o = s.deliver(at_ms(1000), syn(true));
    REQUIRE(o.packets.size() == 1);
    REQUIRE(o.packets[0].syn_cookie);
    REQUIRE(o.packets[0].tcp.options.timestamps->first == 985 + s.ts_off());
    CHECK(s.complete(at_ms(1020), o.packets[0], o.packets[0].tcp.options.timestamps->first) ==
          "rtt 35000 rttvar 17500 rto 236000");
  }
  SECTION("no timestamps") {
    Server s(2);
    Outbox o = s.deliver(at_ms(1000), syn(false));
    REQUIRE(o.packets.size() == 1);
    REQUIRE(o.packets[0].syn_cookie);
    CHECK(s.complete(at_ms(1020), o.packets[0], std::nullopt) == "rtt 0 rttvar 0 rto 3000000");
  }
}
