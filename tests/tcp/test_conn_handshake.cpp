// Connection opening: the active open and its SYN retransmission schedule (every row of the
// tables in linux-tcp-facts.md §3), SYN-SENT processing of RFC 9293 §3.10.7.3, simultaneous
// open, the RTT of the handshake and the RFC 6298 5.7 fallback.

#include "protocols/tcp/tcp_info.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

struct SynSchedule {
  int syn_retries;
  int linear;
  std::vector<int> syn_times_s;
  int etimedout_s;
};

// linux-tcp-facts.md §3, "Nominal schedules from the model for other values" plus the two
// defaults; the rows with "..." written out.
const std::vector<SynSchedule> kSchedules = {
    {1, 4, {0, 1, 2}, 3},
    {2, 4, {0, 1, 2, 3, 4, 5}, 7},
    {3, 4, {0, 1, 2, 3, 4, 5, 7, 11}, 19},
    {4, 4, {0, 1, 2, 3, 4, 5, 7, 11, 19}, 35},
    {5, 4, {0, 1, 2, 3, 4, 5, 7, 11, 19, 35}, 67},
    {6, 4, {0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67}, 131},
    {7, 4, {0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67, 131}, 251},
    {1, 0, {0, 1}, 3},
    {2, 0, {0, 1, 3}, 7},
    {3, 0, {0, 1, 3, 7}, 15},
    {4, 0, {0, 1, 3, 7, 15}, 31},
    {5, 0, {0, 1, 3, 7, 15, 31}, 63},
    {6, 0, {0, 1, 3, 7, 15, 31, 63}, 127},
    {7, 0, {0, 1, 3, 7, 15, 31, 63, 127}, 247},
};

// Runs an unanswered connect() to its end; returns the SYN times and the failure instant.
std::pair<std::vector<Instant>, Instant> run_unanswered(Harness& h) {
  std::vector<Instant> syns(h.out.packets.size(), h.now);
  while (h.state() != State::closed) {
    h.fire();
    for (size_t i = 0; i < h.out.packets.size(); ++i)
      syns.push_back(h.now);
  }
  return {syns, h.now};
}

}  // namespace

TEST_CASE("SYN retransmissions follow Linux's schedule for syn_retries 1 to 7, linear 0 and 4") {
  for (const SynSchedule& row : kSchedules) {
    INFO("syn_retries " << row.syn_retries << ", syn_linear_timeouts " << row.linear);
    Profile p;
    p.syn_retries = row.syn_retries;
    p.syn_linear_timeouts = row.linear;
    Harness h(p);
    h.connect(at(0_s));
    auto [syns, failed] = run_unanswered(h);
    std::vector<Instant> expected;
    for (int s : row.syn_times_s)
      expected.push_back(at(Duration::seconds(s)));
    CHECK(syns == expected);
    CHECK(failed == at(Duration::seconds(row.etimedout_s)));
    CHECK(h.notices() == Lines{"error ETIMEDOUT", "closed"});
    CHECK(h.transitions() == Lines{"SYN_SENT -> CLOSED (SYN retries exhausted)"});
    CHECK(h.c().released());
    // Every SYN carries the same ISN; no RST is sent when the attempt is given up.
    for (const Packet& pk : h.all.packets) {
      CHECK(pk.tcp.flags == TcpFlags(TcpFlags::SYN));
      CHECK(pk.tcp.seq == SeqNum(kIss));
    }
    CHECK(h.counters.retransmits == row.syn_times_s.size() - 1);
    CHECK(h.counters.rst_sent == 0);
  }
}

TEST_CASE(
    "The default profile gives up a connect() after 131 s with SYNs numbered as retransmissions") {
  Harness h;
  h.connect(at(0_s));
  CHECK(h.fire() == Lines{"S seq 1000 win 64240 mss 1460 rtx 1"});
  CHECK(h.now == at(1_s));
  CHECK(h.timers() == Lines{"syn 1: retransmit seq 1000, backoff 1, rto 1s"});
  for (int i = 0; i < 4; ++i)
    h.fire();
  CHECK(h.now == at(5_s));
  CHECK(h.timers() == Lines{"syn 5: retransmit seq 1000, backoff 5, rto 2s"});
  CHECK(h.out.packets.at(0).retransmission == 5);
  while (h.state() != State::closed)
    h.fire();
  CHECK(h.now == at(131_s));
  CHECK(h.timers() == Lines{"syn 10: give up after 10 retransmissions in 131s: ETIMEDOUT"});
  CHECK(h.out.packets.empty());
}

TEST_CASE("TCP_SYNCNT replaces syn_retries for the count and the time budget") {
  SocketOptions o;
  o.syn_count = 2;
  Harness h(Profile{}, o);
  h.connect(at(0_s));
  auto [syns, failed] = run_unanswered(h);
  CHECK(syns.size() == 6);
  CHECK(failed == at(7_s));
}

TEST_CASE("A SYN-ACK completes the active open with an immediate ACK") {
  Harness h;
  established(h);
  CHECK(h.transitions() == Lines{"SYN_SENT -> ESTABLISHED (rcv SYN-ACK)"});
  CHECK(h.notices() == Lines{"connected"});
  CHECK(h.counters.connections_established == 1);
  CHECK(h.c().stats().established_at == at(10_ms));
  CHECK_FALSE(h.deadline().has_value());  // no timer: nothing in flight, no keepalive
}

TEST_CASE("The handshake RTT sets the first data RTO to srtt + rto_min") {
  Harness h;
  established(h);
  h.send(at(20_ms), "hello");
  // srtt 10 ms, rttvar 5 ms: RTO = 10 ms + max(4 * 5 ms, 200 ms) = 210 ms,
  // rounded up to whole jiffies (__tcp_set_rto(): usecs_to_jiffies, HZ 250): 53 = 212 ms.
  CHECK(h.deadline() == at(232_ms));
}

TEST_CASE("After a retransmitted SYN the first data RTO is the 3 s fallback (RFC 6298 5.7)") {
  Harness h;
  syn_sent(h);
  h.fire();
  CHECK(h.recv(at(1010_ms), syn_ack()) == Lines{". seq 1001 ack 5001 win 64240"});
  h.send(at(1020_ms), "hello");
  CHECK(h.deadline() == at(4020_ms));
  CHECK(h.fire() == Lines{"P. seq 1001:1006 ack 5001 win 64240 rtx 1"});
  CHECK(h.deadline() == at(4020_ms + 6_s));
}

namespace {

// Our TSval at `t` (TsClock: the ms clock plus the connection's offset).
uint32_t our_tsval(Duration t) {
  return static_cast<uint32_t>(t.ns() / 1'000'000) + kTsOff;
}

// The peer's SYN-ACK with timestamps: TSval 7000, TSecr `tsecr` (ts_recent of its request).
Segment syn_ack_ts(uint32_t tsecr) {
  Segment s = syn_ack();
  s.options.timestamps = std::pair<uint32_t, uint32_t>{7000, tsecr};
  return s;
}

// SYN at 0 (lost), again at 1 s; returns after the retransmission.
void syn_retransmitted(Harness& h) {
  syn_sent(h);
  REQUIRE(h.fire() == Lines{"S seq 1000 win 64240 mss 1460 rtx 1"});
  REQUIRE(h.now == at(1_s));
  REQUIRE(h.out.packets.at(0).tcp.options.timestamps->first == our_tsval(1_s));
}

// "srtt rttvar rto backoff" from tcp_info (µs, as tcpi_rtt, tcpi_rttvar, tcpi_rto).
std::string rtt_info(Harness& h) {
  const TcpInfo i = tcp_info(h.c(), h.now);
  return fmt::format("rtt {} rttvar {} rto {} backoff {}", i.rtt, i.rttvar, i.rto, i.backoff);
}

// GSO packet sizes of a burst, in segments: every packet ends with PSH (__tcp_transmit_skb()).
std::vector<int> gso_packets(const Outbox& o) {
  std::vector<int> v{0};
  for (const Packet& p : o.packets) {
    ++v.back();
    if (p.tcp.flags.psh()) v.push_back(0);
  }
  if (v.back() == 0) v.pop_back();
  return v;
}

}  // namespace

// tcp_rcv_synsent_state_process() -> tcp_ack() -> tcp_clean_rtx_queue(): the SYN skb carries
// TCPCB_RETRANS, so Karn's rule gives no sample; tcp_ack_update_rtt() then takes the TSecr
// ("seq_rtt_us < 0 && saw_tstamp && rcv_tsecr && flag & FLAG_ACKED", FLAG_SYN_ACKED), in whole
// ms of the TS clock (tcp_rtt_tsopt_us()): the SYN went at 1000 ms, the SYN-ACK came at
// 1020.7 ms, so 20 ms, not 20.7. srtt 20 ms, mdev 10 ms, RTO 20 + 200 ms = 55 jiffies;
// tcp_init_metrics() finds srtt_us set and keeps it (no TCP_TIMEOUT_FALLBACK). The pacing rate
// the same tcp_ack() sets (2 x 10 x 524 B / 20 ms) cuts the first flight into pieces of two
// (tcp_tso_autosize()); without a sample it would be unlimited and the pieces the half-cwnd
// quota, five.
TEST_CASE("After a lost first SYN the SYN-ACK's TSecr gives the handshake RTT (timestamps on)") {
  Harness h;
  syn_retransmitted(h);
  CHECK(h.recv(at(1020_ms + 700_us), syn_ack_ts(our_tsval(1_s))) ==
        Lines{". seq 1001 ack 5001 win 64240"});
  CHECK(rtt_info(h) == "rtt 20000 rttvar 10000 rto 220000 backoff 0");
  h.send(at(1030_ms), bytes(10 * 1448));
  CHECK(gso_packets(h.out) == std::vector<int>{2, 2, 2, 2, 2});
  CHECK(h.out.packets.at(0).tcp.payload.size() == 1448);
  CHECK(h.deadline() == at(1030_ms + 220_ms));
}

// The peer's request kept the first SYN's TSval: a retransmitted SYN does not update
// req->ts_recent (tcp_check_req() answers it before that), so the SYN-ACK it triggers echoes
// the SYN sent at 0 and the sample is the whole 1020 ms: RTO = 1020 + max(2 x 1020, 200) ms =
// 3060 ms (765 jiffies), not the 3 s fallback.
TEST_CASE("After a lost first SYN-ACK the TSecr of the first SYN measures from 0") {
  Harness h;
  syn_retransmitted(h);
  h.recv(at(1020_ms), syn_ack_ts(our_tsval(0_ms)));
  CHECK(rtt_info(h) == "rtt 1020000 rttvar 510000 rto 3060000 backoff 0");
  h.send(at(1030_ms), "hello");
  CHECK(h.deadline() == at(4090_ms));
}

// tcp_rtt_tsopt_us(tp, 1): an echo of this very millisecond counts as 1 ms: RTO 201 ms, 51
// jiffies (204 ms).
TEST_CASE("A TSecr of the current millisecond gives a 1 ms handshake RTT") {
  Harness h;
  syn_retransmitted(h);
  h.recv(at(1_s + 500_us), syn_ack_ts(our_tsval(1_s)));
  CHECK(rtt_info(h) == "rtt 1000 rttvar 500 rto 204000 backoff 0");
}

// Without a usable TSecr nothing replaces Karn's missing sample: tcp_init_metrics() sets the
// 3 s fallback (RFC 6298 5.7). tcp_timestamps 0 leaves a SYN-ACK's TS unparsed (saw_tstamp 0);
// a TSecr of 0 fails "tp->rx_opt.rcv_tsecr".
TEST_CASE("After a lost first SYN without timestamps the first data RTO is the 3 s fallback") {
  SECTION("the peer offers no TS") {
    Harness h;
    syn_retransmitted(h);
    h.recv(at(1020_ms), syn_ack());
    CHECK(rtt_info(h) == "rtt 0 rttvar 0 rto 3000000 backoff 0");
  }
  SECTION("tcp_timestamps 0") {
    Profile p;
    p.timestamps = false;
    Harness h(p);
    syn_sent(h);
    h.fire();
    h.recv(at(1020_ms), syn_ack_ts(our_tsval(1_s)));
    CHECK(rtt_info(h) == "rtt 0 rttvar 0 rto 3000000 backoff 0");
    // The unlimited rate: pieces of the half-cwnd quota.
    h.send(at(1030_ms), bytes(10 * 1460));
    CHECK(gso_packets(h.out) == std::vector<int>{5, 5});
  }
  SECTION("TSecr 0") {
    Harness h;
    syn_retransmitted(h);
    h.recv(at(1020_ms), syn_ack_ts(0));
    CHECK(rtt_info(h) == "rtt 0 rttvar 0 rto 3000000 backoff 0");
  }
}

TEST_CASE("The send MSS is the smaller of ours and the peer's, no option means 536") {
  SECTION("peer announces 1000") {
    Harness h;
    syn_sent(h);
    h.recv(at(10_ms), syn_ack(65535, 1000));
    Lines l = h.send(at(20_ms), bytes(2500));
    // Two-segment GSO packets (the pacing rate the SYN-ACK set), PSH on each one's last.
    CHECK(l == Lines{". seq 1001:2001 ack 5001 win 64240", "P. seq 2001:3001 ack 5001 win 64240",
                     "P. seq 3001:3501 ack 5001 win 64240"});
  }
  SECTION("peer sends no MSS option") {
    Harness h;
    syn_sent(h);
    Segment s = peer_seg(SYN | ACK, kPeerIss, kIss + 1);
    h.recv(at(10_ms), s);
    Lines l = h.send(at(20_ms), bytes(600));
    CHECK(l == Lines{". seq 1001:1537 ack 5001 win 64240", "P. seq 1537:1601 ack 5001 win 64240"});
  }
}

TEST_CASE("Data written in SYN_SENT leaves with the handshake's ACK") {
  Harness h;
  syn_sent(h);
  CHECK(h.send(at(5_ms), "hello").empty());
  CHECK(h.last_error == SocketError::none);
  CHECK(h.recv(at(10_ms), syn_ack()) == Lines{"P. seq 1001:1006 ack 5001 win 64240"});
}

TEST_CASE("Data and FIN on a SYN-ACK are discarded as Linux does without Fast Open") {
  Harness h;
  syn_sent(h);
  Segment s = syn_ack();
  s.payload = Payload::from_string("early");
  s.flags = TcpFlags(SYN | ACK | FIN);
  CHECK(h.recv(at(10_ms), s) == Lines{". seq 1001 ack 5001 win 64240"});
  CHECK(h.notices() == Lines{"connected"});
  CHECK(h.state() == State::established);
  // The peer retransmits them and they are taken then.
  CHECK(h.recv(at(20_ms), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "early") ==
        Lines{". seq 1001 ack 5006 win 64235"});
  CHECK(h.received() == "early");
}

TEST_CASE("SYN-SENT: an unacceptable ACK is answered by a RST carrying its ACK number") {
  Harness h;
  syn_sent(h);
  CHECK(h.recv(at(5_ms), SYN | ACK, kPeerIss, kIss) == Lines{"R seq 1000 win 0"});
  CHECK(h.recv(at(6_ms), ACK, kPeerIss, kIss + 7) == Lines{"R seq 1007 win 0"});
  CHECK(h.state() == State::syn_sent);
  CHECK(h.deadline() == at(1_s));
  CHECK(h.counters.rst_sent == 2);
  // ... but a RST is never answered, even with a bad ACK.
  CHECK(h.recv(at(7_ms), RST | ACK, 0, kIss + 7).empty());
  CHECK(h.state() == State::syn_sent);
}

TEST_CASE("SYN-SENT: RST+ACK acknowledging our SYN refuses the connection") {
  Harness h;
  syn_sent(h);
  CHECK(h.recv(at(10_ms), RST | ACK, 0, kIss + 1, 0).empty());
  CHECK(h.notices() == Lines{"error ECONNREFUSED", "closed"});
  CHECK(h.transitions() == Lines{"SYN_SENT -> CLOSED (rcv RST)"});
  CHECK(h.counters.rst_received == 1);
  CHECK(h.c().released());
  CHECK_FALSE(h.deadline().has_value());
}

TEST_CASE("SYN-SENT: a RST without ACK and a segment without SYN are dropped") {
  Harness h;
  syn_sent(h);
  CHECK(h.recv(at(10_ms), RST, kPeerIss, 0).empty());
  CHECK(h.recv(at(11_ms), ACK, kPeerIss, kIss + 1).empty());
  CHECK(h.recv(at(12_ms), FIN, kPeerIss, 0).empty());
  CHECK(h.state() == State::syn_sent);
  CHECK(h.all_notices().empty());
}

TEST_CASE("close() in SYN_SENT sends nothing and releases the connection") {
  Harness h;
  syn_sent(h);
  CHECK(h.close(at(50_ms)).empty());
  CHECK(h.transitions() == Lines{"SYN_SENT -> CLOSED (close)"});
  CHECK(h.notices() == Lines{"closed"});
  CHECK(h.c().released());
}

TEST_CASE("Simultaneous open: crossed SYNs, SYN-ACKs with the original ISNs, both established") {
  Harness h;
  syn_received(h);
  CHECK(h.transitions() == Lines{"SYN_SENT -> SYN_RECEIVED (rcv SYN)"});
  CHECK(h.deadline() == at(1_s));  // the SYN timer keeps running
  // The peer's SYN-ACK (its ISN, acking ours) completes the open; it is ACKed.
  Segment sa = syn_ack();
  CHECK(h.recv(at(15_ms), sa) == Lines{". seq 1001 ack 5001 win 64240"});
  CHECK(h.transitions() == Lines{"SYN_RECEIVED -> ESTABLISHED (rcv SYN-ACK)"});
  CHECK(h.notices() == Lines{"connected"});
  CHECK_FALSE(h.deadline().has_value());
}

TEST_CASE("Simultaneous open: a plain ACK of our SYN-ACK also completes it") {
  Harness h;
  syn_received(h);
  CHECK(h.recv(at(15_ms), ACK, kPeerIss + 1, kIss + 1).empty());
  CHECK(h.transitions() == Lines{"SYN_RECEIVED -> ESTABLISHED (rcv ACK)"});
  CHECK(h.notices() == Lines{"connected"});
}

TEST_CASE("SYN-RECEIVED retransmits the SYN-ACK and refuses a bad ACK with a RST") {
  Harness h;
  syn_received(h);
  CHECK(h.fire() == Lines{"S. seq 1000 ack 5001 win 64240 mss 1460 rtx 1"});
  CHECK(h.timers() == Lines{"synack 1: retransmit seq 1000, backoff 1, rto 2s"});
  CHECK(h.recv(at(1500_ms), ACK, kPeerIss + 1, kIss + 9) == Lines{"R seq 1009 win 0"});
  CHECK(h.state() == State::syn_received);
}

TEST_CASE("SYN-RECEIVED: the peer's RST resets the simultaneous open") {
  Harness h;
  syn_received(h);
  CHECK(h.recv(at(20_ms), RST, kPeerIss + 1, 0).empty());
  CHECK(h.notices() == Lines{"error ECONNRESET", "closed"});
}

TEST_CASE("Tracing off produces no trace notes") {
  Harness h;
  h.tracing = false;
  established(h);
  h.send(at(20_ms), "x");
  h.fire();
  CHECK(h.all.trace.empty());
}

// ---- passive open (the listener's half is the Stack's) ----

namespace {
Handshake handshake(std::optional<Duration> rtt, bool retransmitted, uint16_t mss = 1460) {
  Handshake hs;
  hs.iss = SeqNum(kIss);
  hs.irs = SeqNum(kPeerIss);
  hs.peer_mss = mss;
  hs.peer_window = 65535;
  hs.synack_retrans = retransmitted ? 1 : 0;
  hs.rtt_sample = rtt;
  return hs;
}
}  // namespace

TEST_CASE("A passive open starts in ESTABLISHED, traced from the listener's state") {
  Harness h;
  CHECK(h.accept(at(10_ms), handshake(10_ms, false)).empty());
  CHECK(h.transitions() == Lines{"SYN_RECEIVED -> ESTABLISHED (rcv ACK)"});
  CHECK(h.notices().empty());  // the stack announces `accepted`
  CHECK(h.counters.connections_established == 1);
  CHECK(h.c().stats().established_at == at(10_ms));
  CHECK(h.send(at(20_ms), "hi") == Lines{"P. seq 1001:1003 ack 5001 win 64240"});
  CHECK(h.deadline() == at(232_ms));  // RTT 10 ms: RTO 210 ms -> 53 jiffies = 212 ms
  CHECK(h.recv(at(30_ms), PSH | ACK, kPeerIss + 1, kIss + 3, 65535, "yo") ==
        Lines{". seq 1003 ack 5003 win 64238"});
}

TEST_CASE("A passive open after a retransmitted SYN-ACK, or from a cookie, uses the 3 s fallback") {
  Harness h;
  h.accept(at(3_s), handshake(std::nullopt, true));
  h.send(at(3_s), "x");
  CHECK(h.deadline() == at(6_s));
  Harness c;
  c.accept(at(10_ms), handshake(std::nullopt, false), State::listen, StateCause::rcv_ack_cookie);
  CHECK(c.transitions() == Lines{"LISTEN -> ESTABLISHED (rcv ACK, valid SYN cookie)"});
  c.send(at(10_ms), "x");
  CHECK(c.deadline() == at(3010_ms));
}

TEST_CASE("A passive connection segments at the peer's MSS") {
  Harness h;
  h.accept(at(10_ms), handshake(10_ms, false, 536));
  CHECK(h.send(at(20_ms), bytes(1000)) ==
        Lines{". seq 1001:1537 ack 5001 win 64240", "P. seq 1537:2001 ack 5001 win 64240"});
}
