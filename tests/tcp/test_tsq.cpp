// TX completion (docs/windows.md "TX completion, autocorking and TCP Small Queues"): a segment is
// completed when the sender's first hop has sent its last bit. Autocorking (net/ipv4/tcp.c
// tcp_should_autocork(), tcp_push()) holds a small write's push while an earlier skb is still
// queued and lets that skb's completion push (tcp_wfree() -> tcp_tsq_write()); TCP Small
// Queues (tcp_output.c tcp_small_queue_check()) stops tcp_write_xmit() while the socket's skbs
// not yet sent hold more than the limit. Links of infinite bandwidth complete every skb at once.
//
// Numbers: MSS 1460 less 12 bytes of timestamps = 1448; a full segment is 20 + 32 + 1448 = 1500
// bytes on the wire, 1.2 ms at 10 Mbit/s; a segment of 200 bytes 252 bytes, 201.6 µs. An skb's
// truesize is 896 + its bytes (tcp_stream_alloc_skb(), send_buffer.hpp kSkbEmptyTruesize).

#include <catch2/catch.hpp>

#include <algorithm>
#include <initializer_list>
#include <tuple>

#include "protocols/tcp/tcp_info.hpp"
#include "tests/tcp/test_host_util.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

struct DataSend {
  int64_t t_us;
  uint32_t seq;  // relative to the client's ISN + 1
  size_t len;
  bool psh;
};

// The client's data segments: when, where, how long.
std::vector<DataSend> client_data(const World& w, uint32_t isn) {
  std::vector<DataSend> out;
  for (const PacketRecord& r : w.records<PacketRecord>()) {
    if (r.ev != PacketEvent::send || r.host != "client" || r.packet.tcp.payload.empty()) continue;
    out.push_back(DataSend{r.t.ns() / 1000, r.packet.tcp.seq.raw() - (isn + 1),
                           r.packet.tcp.payload.size(), r.packet.tcp.flags.psh()});
  }
  return out;
}

bool operator==(const DataSend& a, const DataSend& b) {
  return a.t_us == b.t_us && a.seq == b.seq && a.len == b.len && a.psh == b.psh;
}

std::ostream& operator<<(std::ostream& os, const DataSend& d) {
  return os << "{" << d.t_us << " us, seq " << d.seq << ", len " << d.len << (d.psh ? ", P" : "")
            << "}";
}

// A client connected to a listening server over a 10 ms link; the client's direction runs at
// `rate` (0: infinite), its queue holds `queue` packets (0: unlimited).
struct Bench {
  explicit Bench(int64_t rate_bps, Profile client = {}, int64_t queue = 0) : w(10_ms, client, {}) {
    LinkParams lp;
    lp.delay = 10_ms;
    lp.bandwidth = DataRate::bps(rate_bps);
    if (queue != 0) lp.queue_packets = queue;
    w.net.set_link_params(w.link, w.client_node, lp);
    SocketCallbacks sink;
    sink.on_data = [this](SocketId, const Payload& p) { received += p.size(); };
    w.server->listen(kPort, 8, {}, sink, "sink");
    s = w.client->connect(server_addr(), std::nullopt, {}, {}, "app").id;
    w.sim.run_until(at_ms(50));
    REQUIRE(w.client->stack().state(s) == State::established);
    isn = first_syn_seq();
  }
  uint32_t first_syn_seq() const {
    for (const PacketRecord& r : w.records<PacketRecord>())
      if (r.ev == PacketEvent::send && r.host == "client" && r.packet.tcp.flags.syn())
        return r.packet.tcp.seq.raw();
    return 0;
  }
  void write_at(Instant t, size_t n, uint32_t flags = 0) {
    w.at(t, [this, n, flags] {
      SendResult r = w.client->write(s, Payload(std::vector<uint8_t>(n, 'x')), flags);
      CHECK(r.accepted == n);
    });
  }
  void option_at(Instant t, SockOpt o, int v) {
    w.at(t, [this, o, v] { CHECK(w.client->set_option(s, o, v) == SocketError::none); });
  }
  uint64_t autocorked() const { return w.client->stack().counters().TCPAutoCorking; }
  // TCP_NODELAY, then writes of `sizes` bytes, all at 100 ms; the data segments until 150 ms.
  std::vector<DataSend> nodelay_writes(std::initializer_list<size_t> sizes) {
    option_at(at_ms(100), SockOpt::tcp_nodelay, 1);
    for (size_t n : sizes)
      write_at(at_ms(100), n);
    w.sim.run_until(at_ms(150));
    return client_data(w, isn);
  }

  World w;
  SocketId s = kNoSocket;
  uint32_t isn = 0;
  size_t received = 0;  // bytes the server's application read
};

}  // namespace

// tcp_push() -> tcp_should_autocork() at 100 ms: the 1448-byte segment just sent is in the
// 10 Mbit/s queue until 101.2 ms, sk_wmem_alloc = 1 + 896 + 1448 = 2345 > the tail's 896 + 100:
// the first small write's push is skipped (TCPAutoCorking 1, TSQ_THROTTLED), the second's too
// (2345 > 1096; the counter is bumped only when the flag was clear), and the completion at
// 101.2 ms sends both as one segment (tcp_tsq_write(); Nagle lets it go: the full segment is not
// small, tcp_minshall_check()).
TEST_CASE("Autocork: two small writes while a segment serialises leave as one at its completion") {
  Bench b(10'000'000);
  CHECK(b.nodelay_writes({1448, 100, 100}) ==
        std::vector<DataSend>{{100000, 0, 1448, true}, {101200, 1448, 200, true}});
  CHECK(b.autocorked() == 1);
}

// The same writes on a link of infinite bandwidth: every skb completes as it is sent, so
// sk_wmem_alloc is back to 1 at each push and nothing is corked: three segments at once
// (TCP_NODELAY; with Nagle the second small one would wait for the ACK).
TEST_CASE("Autocork: on an infinite link the same writes leave as three segments at once") {
  Bench b(0);
  CHECK(b.nodelay_writes({1448, 100, 100}) == std::vector<DataSend>{{100000, 0, 1448, true},
                                                                    {100000, 1448, 100, true},
                                                                    {100000, 1548, 100, true}});
  CHECK(b.autocorked() == 0);
}

// tcp_should_autocork() needs a non-empty retransmission queue: the first write on an idle
// connection goes at once; a small write behind it is corked only while the first is queued
// and sk_wmem_alloc exceeds its truesize (1 + 996 > 996: equal writes cork, a larger tail does
// not). The third write makes the tail 896 + 200 > 997: it is pushed, both in one segment.
TEST_CASE("Autocork: a tail whose truesize reaches sk_wmem_alloc is pushed at once") {
  Bench b(10'000'000);
  CHECK(b.nodelay_writes({100, 100, 100}) ==
        std::vector<DataSend>{{100000, 0, 100, true}, {100000, 100, 200, true}});
  CHECK(b.autocorked() == 1);
}

// `autocorking: 0` (tcp_autocorking=0): the push is never skipped; TCP_NODELAY sends the first
// small write at once. The third meets TCP Small Queues: the client's pacing rate is the one
// the SYN-ACK set (2 x 10 x 524 B / 20 ms = 524000 B/s, 511 B per ms), so the limit is
// 2 x (896 + 100) = 1992 < 1 + 2344 + 996 queued: it waits for the first segment's completion.
TEST_CASE("Autocork: tcp_autocorking 0 pushes every small write, TSQ holds the third") {
  Profile p = Profile::linux_default();
  p.autocorking = false;
  Bench b(10'000'000, p);
  CHECK(b.nodelay_writes({1448, 100, 100}) == std::vector<DataSend>{{100000, 0, 1448, true},
                                                                    {100000, 1448, 100, true},
                                                                    {101200, 1548, 100, true}});
  CHECK(b.autocorked() == 0);
}

// TCP_CORK: tcp_push() runs tcp_should_autocork() before looking at the socket's nonagle, so
// the corked write still counts TCPAutoCorking; the completion's tcp_write_xmit() runs with
// tp->nonagle = TCP_NAGLE_CORK and holds the partial segment; uncorking at 120 ms pushes it
// (tcp_push_pending_frames() from do_tcp_setsockopt()).
TEST_CASE("Autocork with TCP_CORK: counted, the completion keeps it corked, uncork sends it") {
  Bench b(10'000'000);
  b.write_at(at_ms(100), 1448);
  b.option_at(at_ms(100), SockOpt::tcp_cork, 1);
  b.write_at(at_ms(100), 100);
  b.option_at(at_ms(120), SockOpt::tcp_cork, 0);
  b.w.sim.run_until(at_ms(150));
  CHECK(client_data(b.w, b.isn) ==
        std::vector<DataSend>{{100000, 0, 1448, true}, {120000, 1448, 100, true}});
  CHECK(b.autocorked() == 1);
}

// MSG_MORE: tcp_push() checks autocorking before it turns MSG_MORE into TCP_NAGLE_CORK, and the
// completion pushes with the socket's nonagle, not the write's: the MSG_MORE data leaves at
// 101.2 ms, unmarked (MSG_MORE leaves the tail without PSH). Without a queued skb (an infinite
// link) the same write waits for the next write or the probe timer (test_conn_send_flags.cpp).
TEST_CASE("Autocork with MSG_MORE: the TX completion sends what the write held back") {
  Bench b(10'000'000);
  b.write_at(at_ms(100), 1448);
  b.write_at(at_ms(100), 100, kMsgMore);
  b.w.sim.run_until(at_ms(150));
  CHECK(client_data(b.w, b.isn) ==
        std::vector<DataSend>{{100000, 0, 1448, true}, {101200, 1448, 100, false}});
  CHECK(b.autocorked() == 1);
}

// MSG_EOR ends the tail (!tcp_skb_can_collapse_to()): it is not corked. TCP_NODELAY sends it.
TEST_CASE("Autocork: a tail that ends a record (MSG_EOR) is pushed at once") {
  Bench b(10'000'000);
  b.option_at(at_ms(100), SockOpt::tcp_nodelay, 1);
  b.write_at(at_ms(100), 1448);
  b.write_at(at_ms(100), 100, kMsgEor);
  b.w.sim.run_until(at_ms(150));
  CHECK(client_data(b.w, b.isn) ==
        std::vector<DataSend>{{100000, 0, 1448, true}, {100000, 1448, 100, true}});
  CHECK(b.autocorked() == 0);
}

namespace {

// A bulk upload of 1 MB at 100 ms over the 10 Mbit/s first hop with a 30-packet queue; the
// most packets the queue held just after each of the client's sends, and the queue drops.
struct Bulk {
  explicit Bulk(uint32_t limit_output_bytes) : b(10'000'000, profile(limit_output_bytes), 30) {
    b.w.at(at_ms(100),
           [this] { b.w.client->send(b.s, Payload(std::vector<uint8_t>(1'000'000, 'x'))); });
    b.w.sim.run_until(at_ms(3000));
    for (const PacketRecord& r : b.w.records<PacketRecord>()) {
      if (r.ev == PacketEvent::drop && r.reason == DropReason::queue_full) ++drops;
      if (r.ev == PacketEvent::send && r.host == "client" && !r.packet.tcp.payload.empty())
        last_data = r.t;
    }
  }
  static Profile profile(uint32_t limit) {
    Profile p = Profile::linux_default();
    p.limit_output_bytes = limit;
    return p;
  }
  Bench b;
  int drops = 0;
  Instant last_data;
};

}  // namespace

// tcp_small_queue_check(): with tcp_limit_output_bytes 8192 (the limit is then min(max(2 *
// truesize, pacing rate >> 10), 8192)), tcp_write_xmit() stops once the socket's queued skbs
// hold more than 8192 bytes of truesize, so the 30-packet queue never overflows (the bound is
// derived below). Without TSQ (`limit_output_bytes: 0`) slow
// start fills the queue and loses segments to it. Every byte arrives either way; with TSQ each
// send after the first window happens at a TX completion or an ACK.
TEST_CASE(
    "TSQ: the sender's own skbs never fill its first hop's queue, and completions resume it") {
  Bulk tsq(8192);
  Bulk off(0);
  CHECK(tsq.drops == 0);
  CHECK(off.drops > 0);
  // The queue's depth, sampled at each data send of the TSQ run (replayed from the trace:
  // departure times follow from the link's rate, FIFO, one packet at a time).
  std::vector<int64_t> departs;
  int64_t busy_until = 0, burst_at = -1;
  size_t max_queued = 0, burst = 0, max_burst = 0;
  bool sent_on_completion = false;
  std::vector<int64_t> recv_times;
  for (const PacketRecord& r : tsq.b.w.records<PacketRecord>())
    if (r.ev == PacketEvent::recv && r.host == "client") recv_times.push_back(r.t.ns());
  for (const PacketRecord& r : tsq.b.w.records<PacketRecord>()) {
    if (r.ev != PacketEvent::send || r.host != "client") continue;
    const int64_t now = r.t.ns();
    departs.erase(
        std::remove_if(departs.begin(), departs.end(), [now](int64_t d) { return d <= now; }),
        departs.end());
    // A data send at an instant when no ACK arrived (after the write) is a TX completion's push.
    if (!r.packet.tcp.payload.empty() && now > 100'000'000 &&
        std::find(recv_times.begin(), recv_times.end(), now) == recv_times.end())
      sent_on_completion = true;
    burst = now == burst_at ? burst + 1 : 1;
    burst_at = now;
    max_burst = std::max(max_burst, burst);
    busy_until = std::max(busy_until, now) +
                 static_cast<int64_t>(r.packet.wire_size()) * 8 * 1'000'000'000 / 10'000'000;
    departs.push_back(busy_until);
    max_queued = std::max(max_queued, departs.size());
  }
  // After each send the socket's queued skbs hold at most the limit (8191 bytes of truesize
  // before the check) plus the skb sent past it (896 + its segments' bytes); every queued
  // segment carries at least its 1448 bytes of that: at most 6 segments + that skb's, and an
  // skb is never larger than what the client sends in one instant.
  CHECK(max_queued <= 6 + max_burst);
  CHECK(max_queued < 30);
  CHECK(sent_on_completion);
  CHECK(tsq.b.w.client->stack().stats(tsq.b.s).retransmits == 0);
  CHECK(tsq.b.received == 1'000'000);
  CHECK(off.b.received == 1'000'000);
}

namespace {

// A 300 KB upload at 100 ms over the 10 Mbit/s first hop (unlimited queue) whose data segments
// 31 to 40 are dropped past the host (a fault rule): SACK recovery resends ten at once where
// cwnd allows. Each client data send: time, relative seq, retransmission, and the payload
// bytes of the client's packets still in the first hop's queue just before it (replayed from
// the link's rate).
struct RtxBurst {
  struct Send {
    int64_t t_ns;
    uint32_t seq;
    bool rtx;
    uint64_t queued;
  };
  explicit RtxBurst(uint32_t limit) : b(10'000'000, Bulk::profile(limit)) {
    PacketFault f;
    f.action = PacketFault::Action::drop;
    f.match.src = Ipv4Addr{0x0A000001};
    f.match.payload = true;
    f.nth = 31;
    f.count = 10;
    b.w.net.add_fault(f);
    b.w.at(at_ms(100),
           [this] { b.w.client->send(b.s, Payload(std::vector<uint8_t>(300'000, 'x'))); });
    b.w.sim.run_until(at_ms(3000));
    std::vector<std::pair<int64_t, uint64_t>> departs;  // (departure, payload)
    int64_t busy_until = 0;
    int data_packets = 0;
    for (const PacketRecord& r : b.w.records<PacketRecord>()) {
      if (r.ev != PacketEvent::send || r.host != "client") continue;
      data_packets += r.packet.tcp.payload.empty() ? 0 : 1;
      const bool dropped =
          data_packets >= 31 && data_packets <= 40 && !r.packet.tcp.payload.empty();
      const int64_t now = r.t.ns();
      std::erase_if(departs, [now](const auto& d) { return d.first <= now; });
      uint64_t queued = 0;
      for (const auto& d : departs)
        queued += d.second;
      if (!r.packet.tcp.payload.empty())
        sends.push_back(
            Send{now, r.packet.tcp.seq.raw() - (b.isn + 1), r.packet.retransmission > 0, queued});
      if (dropped) continue;  // the fault rule took it: never queued
      busy_until = std::max(busy_until, now) +
                   static_cast<int64_t>(r.packet.wire_size()) * 8 * 1'000'000'000 / 10'000'000;
      departs.emplace_back(busy_until, r.packet.tcp.payload.size());
    }
  }
  Bench b;
  std::vector<Send> sends;
};

}  // namespace

// tcp_xmit_retransmit_queue() runs tcp_small_queue_check(sk, skb, 1) before each lost skb:
// the limit doubled (min(max(2 * truesize, rate >> 10), 4096) << 1 = 8192). The ten lost
// segments go back one per ACK (PRR) from 169.6 ms, each 896 + 1448 = 2344 bytes of
// sk_wmem_alloc while it waits behind the new data in the first hop's queue. The replayed
// queue shows what each retransmission found: three full segments (4344 payload bytes) ahead
// of it, except the third, which waited for the TX completion at 172.4 ms (tcp_tsq_write():
// the lost segments first) and found two; without the check it left at the ACK of 172.0 ms,
// when the two retransmissions before it were still queued with the new data. Every byte
// arrives.
TEST_CASE("TSQ holds a retransmission above twice the limit until a TX completion") {
  RtxBurst x(4096);
  std::vector<std::tuple<int64_t, uint32_t, uint64_t>> rtx;
  for (const auto& s : x.sends)
    if (s.rtx) rtx.emplace_back(s.t_ns / 1000, s.seq, s.queued);
  CHECK(rtx == std::vector<std::tuple<int64_t, uint32_t, uint64_t>>{{169600, 43440, 4344},
                                                                    {170800, 44888, 4344},
                                                                    {172400, 46336, 2896},
                                                                    {173200, 47784, 4344},
                                                                    {174400, 49232, 4344},
                                                                    {175600, 50680, 4344},
                                                                    {176800, 52128, 4344},
                                                                    {178000, 53576, 4344},
                                                                    {179200, 55024, 4344},
                                                                    {180400, 56472, 4344}});
  // Nothing left at 172.0 ms (the ACK whose retransmission TSQ held), and the new data sent
  // just before recovery went with the queue empty, then one and two segments ahead.
  for (const auto& s : x.sends)
    CHECK(s.t_ns != 172'000'000);
  std::vector<std::pair<uint32_t, uint64_t>> before;
  for (const auto& s : x.sends)
    if (s.t_ns == 168'800'000) before.emplace_back(s.seq, s.queued);
  CHECK(before ==
        std::vector<std::pair<uint32_t, uint64_t>>{{82536, 0}, {83984, 1448}, {85432, 2896}});
  CHECK(x.b.received == 300'000);
}

namespace {

// The client's data sends: (time in µs, relative seq, retransmission).
std::vector<std::tuple<int64_t, uint32_t, bool>> data_sends(const Bench& b) {
  std::vector<std::tuple<int64_t, uint32_t, bool>> out;
  for (const PacketRecord& r : b.w.records<PacketRecord>())
    if (r.ev == PacketEvent::send && r.host == "client" && !r.packet.tcp.payload.empty())
      out.emplace_back(r.t.ns() / 1000, r.packet.tcp.seq.raw() - (b.isn + 1),
                       r.packet.retransmission > 0);
  return out;
}

}  // namespace

// __tcp_retransmit_skb() -> skb_still_in_host_queue(): one full segment written at 100 ms
// over a 20 kbit/s first hop takes 1500 * 8 / 20000 = 600 ms to leave the host. Every timer
// that wants to resend it before 700 ms finds its clone still queued (skb_fclone_busy()): the
// retransmission is refused (-EBUSY), counted (TCPSpuriousRtxHostQueues) and TSQ_THROTTLED is
// set, so the TX completion at 700 ms runs tcp_tsq_write(), whose tcp_xmit_retransmit_queue()
// resends the segment the RTO marked lost (cwnd 1, nothing in flight) at that instant. Two
// timers are refused: the loss probe (tcp_send_loss_probe(): "goto rearm_timer", no probe
// counted) and then the RTO (tcp_retransmit_timer(): Loss entered, one timeout counted, backed
// off). Without the check the probe left at its timeout and queued behind the original.
TEST_CASE("An RTO while the segment is still in the host's queue is refused until it has left") {
  Bench b(20'000);
  b.option_at(at_ms(100), SockOpt::tcp_nodelay, 1);
  b.write_at(at_ms(100), 1448);
  b.w.sim.run_until(at_ms(3000));
  CHECK(data_sends(b) ==
        std::vector<std::tuple<int64_t, uint32_t, bool>>{{100000, 0, false}, {700000, 0, true}});
  CHECK(b.w.client->stack().counters().TCPSpuriousRtxHostQueues == 2);
  CHECK(b.w.client->stack().counters().TCPTimeouts == 1);
  CHECK(b.w.client->stack().counters().TCPLossProbes == 0);
  CHECK(b.received == 1448);
}

// The repair loop: tcp_xmit_retransmit_queue() -> tcp_retransmit_skb() returns -EBUSY for a
// lost skb whose clone is still queued, and the loop stops there ("if (tcp_retransmit_skb(sk,
// skb, segs)) break;"). Three one-segment records (MSG_EOR: an skb each) at 100 ms over the
// 20 kbit/s first hop leave it at 700, 1300 and 1900 ms (the third was held by TSQ and went
// as the loss probe at 192 ms). The RTO at 436 ms is refused (head queued), the completion at
// 700 ms resends the head; every later chance the loop gets meets the next skb still queued:
// the ACK at 720 ms (the second), the completion at 1300 ms (after resending the second: the
// third), the ACK at 1320 ms (the third) - three refusals by the loop, one by the RTO. Each
// skb is resent at its own completion.
// tcp_retransmit_skb() undoes nothing on -EBUSY: the refused RTO set retrans_stamp to the
// head's last send (100 ms) and counted it in undo_retrans, so the ACK at 720 ms, which echoes
// the TSval of 100 ms, is no Eifel undo (tcp_packet_delayed(): not before the stamp), and no
// second RTO follows.
TEST_CASE("The repair loop stops at a lost skb still in the host's queue, which undoes nothing") {
  Bench b(20'000);
  for (int i = 0; i < 3; ++i)
    b.write_at(at_ms(100), 1448, kMsgEor);
  b.w.sim.run_until(at_ms(3000));
  CHECK(data_sends(b) == std::vector<std::tuple<int64_t, uint32_t, bool>>{{100000, 0, false},
                                                                          {100000, 1448, false},
                                                                          {192000, 2896, false},
                                                                          {700000, 0, true},
                                                                          {1300000, 1448, true},
                                                                          {1900000, 2896, true}});
  const Counters& c = b.w.client->stack().counters();
  CHECK(c.TCPSpuriousRtxHostQueues == 4);
  CHECK(c.TCPTimeouts == 1);
  CHECK(c.TCPLossProbes == 1);
  CHECK(c.TCPLossUndo == 0);
  CHECK(c.TCPSlowStartRetrans == 3);
  CHECK(b.received == 3 * 1448);
}

// tcp_send_loss_probe() asks skb_still_in_host_queue() of the last skb before it would cut
// the last segment off it ("goto rearm_timer"): a two-segment skb still queued is left whole,
// w (sk_wmem_queued: 2896 + 896) unchanged, no probe counted. (Past a shrunk window the cut
// comes first: test_conn_loss_sack.cpp.)
TEST_CASE("A loss probe for an skb still in the host's queue is refused before any cut") {
  Bench b(20'000);
  b.option_at(at_ms(100), SockOpt::tcp_nodelay, 1);
  b.write_at(at_ms(100), 2 * 1448);
  const auto w = [&b] {
    return tcp_info(*b.w.client->stack().connection(b.s), b.w.sim.now()).wmem_queued;
  };
  b.w.sim.run_until(at_ms(150));
  CHECK(w() == 2 * 1448 + 896);
  CHECK(b.w.client->stack().counters().TCPSpuriousRtxHostQueues == 0);
  b.w.sim.run_until(at_ms(300));
  CHECK(b.w.client->stack().counters().TCPSpuriousRtxHostQueues == 1);
  CHECK(b.w.client->stack().counters().TCPLossProbes == 0);
  CHECK(w() == 2 * 1448 + 896);
  b.w.sim.run_until(at_ms(3000));
  CHECK(b.received == 2 * 1448);
}

// tcp_trim_head(): the partial ACK of an skb keeps the skb, and its fast clone stays busy until
// the clone's TX completion. One write of three segments at 100 ms over the 20 kbit/s first
// hop is a GSO skb of two (1448 + 1448, done when its last segment leaves at 1300 ms) and one
// of one (1900 ms). The ACK of the first segment at 720 ms trims the first skb to its second
// segment, lost since the RTO, which is still queued: the repair loop is refused there. It is
// resent at its completion (1300 ms), the third at its own (1900 ms).
TEST_CASE("An skb trimmed by a partial ACK is still recognised in the host's queue") {
  Bench b(20'000);
  b.option_at(at_ms(100), SockOpt::tcp_nodelay, 1);
  b.write_at(at_ms(100), 3 * 1448);
  b.w.sim.run_until(at_ms(3000));
  CHECK(data_sends(b) == std::vector<std::tuple<int64_t, uint32_t, bool>>{{100000, 0, false},
                                                                          {100000, 1448, false},
                                                                          {100000, 2896, false},
                                                                          {1300000, 1448, true},
                                                                          {1900000, 2896, true}});
  CHECK(b.received == 3 * 1448);
}
