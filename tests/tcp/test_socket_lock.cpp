// The socket lock (docs/windows.md "The socket lock"): tcp_add_backlog()'s coalescing and limit,
// a write that spans virtual time and processes an ACK that arrived meanwhile at the 16th new
// skb (sk_flush_backlog()), and a busy reader whose backlog is answered by one ACK.

#include <catch2/catch.hpp>

#include <functional>

#include "protocols/tcp/connection.hpp"
#include "protocols/tcp/rcv_window.hpp"
#include "protocols/tcp/socket_backlog.hpp"
#include "protocols/tcp/tcp_info.hpp"
#include "tests/tcp/test_host_util.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::tcp::testing;
using namespace netsim::literals;

namespace {

Packet data_seg(uint32_t seq, uint32_t len, uint32_t ack, uint32_t tsval, uint16_t win = 500) {
  Packet p;
  p.src = Ipv4Addr{0x0A000001};
  p.dst = Ipv4Addr{0x0A000002};
  p.tcp.src_port = 40000;
  p.tcp.dst_port = kPort;
  p.tcp.seq = SeqNum(seq);
  p.tcp.ack = SeqNum(ack);
  p.tcp.flags = TcpFlags(TcpFlags::ACK);
  p.tcp.window = win;
  p.tcp.options.timestamps = std::make_pair(tsval, 7u);
  p.tcp.payload = Payload(std::vector<uint8_t>(len, static_cast<uint8_t>(seq)));
  return p;
}

}  // namespace

TEST_CASE("tcp_add_backlog() merges neighbours with the same header into one skb") {
  SocketBacklog b;
  const uint64_t limit = backlog_limit(131072, 16384);
  CHECK(limit == 2 * 131072 + 8192 + 65536);
  CHECK(b.add(data_seg(1000, 1448, 1, 5), limit, 0) == SocketBacklog::Added::queued);
  Packet second = data_seg(2448, 1448, 1, 5, 600);
  second.tcp.ack = SeqNum(101);  // a newer ACK: its window is taken
  second.tcp.flags = TcpFlags(TcpFlags::ACK | TcpFlags::PSH);
  CHECK(b.add(second, limit, 0) == SocketBacklog::Added::coalesced);
  // A later TSval: the options differ byte for byte (memcmp), a new skb.
  CHECK(b.add(data_seg(3896, 1448, 1, 6), limit, 0) == SocketBacklog::Added::queued);
  // Not in sequence (a hole): a new skb.
  CHECK(b.add(data_seg(6792, 100, 1, 6), limit, 0) == SocketBacklog::Added::queued);
  CHECK(b.skbs() == 3);
  CHECK(b.len() == 4 * 2048);  // rx_truesize(1448) each
  std::vector<Packet> got = b.take();
  REQUIRE(got.size() == 3);
  CHECK(got[0].tcp.seq == SeqNum(1000));
  CHECK(got[0].tcp.payload.size() == 2896);
  CHECK(got[0].tcp.payload.bytes()[1448] == static_cast<uint8_t>(2448));
  CHECK(got[0].tcp.ack == SeqNum(101));
  CHECK(got[0].tcp.window == 600);
  CHECK(got[0].tcp.flags.psh());
  CHECK(got[1].tcp.seq == SeqNum(3896));
  CHECK(got[1].tcp.payload.size() == 1448);
  CHECK(got[2].tcp.seq == SeqNum(6792));
  CHECK(b.empty());
  CHECK(b.len() == 0);
}

TEST_CASE("tcp_add_backlog(): an older ACK keeps the tail's, SYN/RST never merge, FIN ends it") {
  SocketBacklog b;
  const uint64_t limit = 1 << 20;
  b.add(data_seg(1000, 100, 500, 5, 300), limit, 0);
  CHECK(b.add(data_seg(1100, 100, 400, 5, 200), limit, 0) == SocketBacklog::Added::coalesced);
  Packet fin = data_seg(1200, 0, 450, 5, 100);  // an older ACK again: window 300 stays
  fin.tcp.flags = TcpFlags(TcpFlags::ACK | TcpFlags::FIN);
  const uint64_t before_fin = b.len();
  CHECK(b.add(fin, limit, 0) == SocketBacklog::Added::coalesced);
  // skb_try_coalesce()'s delta for a segment without data is 0: it fits the tail's tailroom.
  CHECK(b.len() == before_fin);
  // Nothing follows a FIN in sequence: the next is a new skb.
  CHECK(b.add(data_seg(1201, 100, 500, 5), limit, 0) == SocketBacklog::Added::queued);
  Packet rst = data_seg(1301, 0, 500, 5);
  rst.tcp.flags = TcpFlags(TcpFlags::ACK | TcpFlags::RST);
  CHECK(b.add(rst, limit, 0) == SocketBacklog::Added::queued);
  std::vector<Packet> got = b.take();
  REQUIRE(got.size() == 3);
  CHECK(got[0].tcp.ack == SeqNum(500));  // "if (!before(skb->ack_seq, tail->ack_seq))"
  CHECK(got[0].tcp.window == 300);
  CHECK(got[0].tcp.flags.fin());
  CHECK(got[0].tcp.seq_len() == 201);
}

TEST_CASE("tcp_add_backlog(): MAX_SKB_FRAGS bounds a merge, over the limit a new skb is dropped") {
  SocketBacklog b;
  const uint64_t limit = 20 * 2048;
  for (uint32_t i = 0; i < 18; ++i)
    b.add(data_seg(1000 + i * 100, 100, 1, 5), limit, 0);
  CHECK(b.skbs() == 2);  // the first took 17 fragments; the 18th started a new skb
  // Coalescing is tried even above the limit; a new skb is not queued.
  CHECK(b.add(data_seg(2800, 100, 1, 5), limit, 10 * 2048) == SocketBacklog::Added::coalesced);
  CHECK(b.add(data_seg(5000, 100, 1, 5), limit, 10 * 2048) == SocketBacklog::Added::dropped);
  CHECK(b.add(data_seg(5000, 100, 1, 5), limit, 0) == SocketBacklog::Added::queued);
  CHECK(b.skbs() == 3);
}

namespace {

// Client 10.0.0.1 and server 10.0.0.2 over 10 ms at `rate`, each host with its own profile.
struct LockWorld {
  LockWorld(Profile client_profile, Profile server_profile, DataRate rate) {
    client_node = net.add_host("client", {Ipv4Addr{0x0A000001}});
    server_node = net.add_host("server", {Ipv4Addr{0x0A000002}});
    LinkParams lp;
    lp.delay = 10_ms;
    lp.bandwidth = rate;
    net.add_link(client_node, server_node, lp, lp);
    net.compute_routes();
    client = std::make_unique<TcpHost>(sim, net, client_node, client_profile, "client");
    server = std::make_unique<TcpHost>(sim, net, server_node, server_profile, "server");
    sim.trace().add_sink(&sink);
  }
  // The packets one host sent, in order.
  std::vector<PacketRecord> sent(const std::string& host) const {
    std::vector<PacketRecord> v;
    for (const TraceRecord& r : sink.records)
      if (auto* p = std::get_if<PacketRecord>(&r);
          p != nullptr && p->ev == PacketEvent::send && p->host == host)
        v.push_back(*p);
    return v;
  }
  Simulator sim{1};
  MemorySink sink;
  Network net{sim};
  NodeId client_node = 0, server_node = 0;
  std::unique_ptr<TcpHost> client, server;
};

Profile timed(Duration cost, uint32_t mb_per_s) {
  Profile p;
  p.syscall_cost = cost;
  p.copy_rate = mb_per_s;
  return p;
}

}  // namespace

TEST_CASE("A timed write owns the socket: an ACK arriving mid-write waits for the 16th skb") {
  // 1 MB/s: one byte per µs; a 50 µs syscall. SO_SNDBUF 4 MB: the buffer never stops the write.
  LockWorld w(timed(Duration::microseconds(50), 1), Profile{}, DataRate::bps(0));
  w.server->listen(kPort, 8, {}, {}, "sink");
  SocketOptions o;
  o.sndbuf = 4 << 20;
  std::optional<SendResult> result;
  Instant returned;
  SocketCallbacks cb;
  cb.on_connected = [&](SocketId id) {
    w.client->start_write(id, Payload(std::vector<uint8_t>(3'000'000, 1)), false);
  };
  cb.on_writable = [&](SocketId id) {
    result = w.client->take_write_result(id);
    returned = w.sim.now();
  };
  const SocketId s = w.client->connect(server_addr(), 40000, o, cb, "bulk").id;
  // ESTABLISHED at 20 ms. The size goal is half the peer's window in whole segments
  // (tcp_xmit_size_goal(): 65160 / 2 -> 22 x 1448 = 31856); the first skb's copy ends at
  // 20.05 ms + 31856 µs and its push (tcp_push_one()) sends one GSO packet of two segments (the
  // pacing rate the SYN-ACK set: 2 x 10 x 524 B / 20 ms, tcp_min_tso_segs); the loop refills
  // the tail (2896 bytes) and pushes the other eight of the initial window at 54.802 ms.
  w.sim.run_until(at_ms(60));
  std::vector<PacketRecord> early = w.sent("client");
  REQUIRE(early.size() == 12);  // SYN, ACK, ten segments
  CHECK(early[2].t == Instant::zero() + Duration::microseconds(51906));
  CHECK(early[3].t == Instant::zero() + Duration::microseconds(51906));
  CHECK(early[4].t == Instant::zero() + Duration::microseconds(54802));
  CHECK(early[11].t == Instant::zero() + Duration::microseconds(54802));
  // The server ACKed them as they arrived (from 61.9 ms); the ACKs reached the client 10 ms
  // later and wait in its backlog while the write owns the socket.
  const Connection* c = w.client->stack().connection(s);
  w.sim.run_until(at_ms(544));
  CHECK(w.client->owned(s));
  CHECK(tcp_info(*c, w.sim.now()).bytes_acked == 0);
  CHECK(w.sent("client").size() == 12);
  // Before the 17th new skb (16 x 31856 + 2896 + 11584 bytes after 20.05 ms) tcp_sendmsg_locked()
  // flushes the backlog: both ACKs at once, cwnd 10 -> 20 (slow start), twenty segments out.
  const Instant flush = Instant::zero() + Duration::microseconds(544226);
  w.sim.run_until(flush - Duration::nanoseconds(1));
  CHECK(tcp_info(*c, w.sim.now()).bytes_acked == 0);
  w.sim.run_until(flush);
  CHECK(tcp_info(*c, w.sim.now()).bytes_acked == 10 * 1448);
  std::vector<PacketRecord> after = w.sent("client");
  REQUIRE(after.size() == 32);
  CHECK(after[12].t == flush);
  CHECK(after[31].t == flush);
  CHECK(after[12].packet.tcp.seq == early[2].packet.tcp.seq + 10 * 1448);
  std::vector<CounterRecord> cwnd;
  for (const TraceRecord& t : w.sink.records)
    if (const auto* r = std::get_if<CounterRecord>(&t);
        r && r->host == "client" && r->name == "cwnd")
      cwnd.push_back(*r);
  REQUIRE(cwnd.size() >= 3);
  CHECK(cwnd[1].t == flush);
  CHECK(cwnd[2].value == 20 * 1448);
  // The 3 MB are copied at 1 B/µs: the call returns 3 s after its start, with everything.
  w.sim.run();
  REQUIRE(result);
  CHECK(result->accepted == 3'000'000);
  CHECK(result->error == SocketError::none);
  CHECK(returned == Instant::zero() + Duration::microseconds(3'020'050));
  CHECK_FALSE(w.client->owned(s));
}

TEST_CASE("A busy reader: segments arriving while it copies are merged and ACKed once") {
  // Ten segments sent at once at 100 Mbit/s reach the server 120 µs apart from 30.134 ms.
  // Instantaneous reads: in quick-ack mode every segment is ACKed on arrival. With 500 µs per
  // read: the first is ACKed on arrival and its read owns the socket until 30.634 ms; the
  // four that came meanwhile were merged into one skb (same TSval), processed at release_sock()
  // and ACKed once; likewise the next four, then the tenth.
  for (bool on : {false, true}) {
    LockWorld w(Profile{}, on ? timed(Duration::microseconds(500), 5000) : Profile{},
                DataRate::bps(100'000'000));
    w.server->listen(kPort, 8, {}, {}, "sink");
    SocketCallbacks cb;
    cb.on_connected = [&](SocketId id) {
      w.client->send(id, Payload(std::vector<uint8_t>(10 * 1448, 2)));
    };
    w.client->connect(server_addr(), 40000, {}, cb, "bulk");
    w.sim.run_until(at_ms(200));
    std::vector<PacketRecord> acks = w.sent("server");
    const SeqNum first = acks[0].packet.tcp.ack;  // the SYN-ACK's: ISN + 1
    std::vector<std::pair<int64_t, uint32_t>> got;
    for (size_t i = 1; i < acks.size(); ++i)
      got.emplace_back(acks[i].t.ns(), static_cast<uint32_t>(acks[i].packet.tcp.ack - first));
    const uint64_t merged = w.server->stack().counters().TCPBacklogCoalesce;
    if (!on) {
      REQUIRE(got.size() == 10);
      for (size_t i = 0; i < 10; ++i)
        CHECK(got[i] == std::make_pair(int64_t{30'133'760} + int64_t{120'000} * int64_t(i),
                                       uint32_t(1448 * (i + 1))));
      CHECK(merged == 0);
    } else {
      using P = std::pair<int64_t, uint32_t>;
      CHECK(got == std::vector<P>{{30'133'760, 1448},
                                  {30'634'050, 5 * 1448},
                                  {31'135'209, 9 * 1448},
                                  {31'636'368, 10 * 1448}});
      CHECK(merged == 6);  // 3 + 3 merges; the tenth was alone
      CHECK(w.server->stack().counters().TCPBacklogDrop == 0);
    }
  }
}

namespace {

// Ten segments sent at once at 100 Mbit/s from the client; they reach the server 120 µs apart
// from 30.134 ms. `server` reads with read() (auto_read off) or by itself.
struct TenSegments {
  explicit TenSegments(Profile server_profile, SocketOptions server_opts = {})
      : w(Profile{}, server_profile, DataRate::bps(100'000'000)) {
    w.server->listen(kPort, 8, server_opts, callbacks(), "reader");
    SocketCallbacks cb;
    cb.on_connected = [this](SocketId id) {
      w.client->send(id, Payload(std::vector<uint8_t>(10 * 1448, 2)));
    };
    w.client->connect(server_addr(), 40000, {}, cb, "bulk");
  }
  SocketCallbacks callbacks() {
    SocketCallbacks cb;
    cb.on_data = [this](SocketId id, const Payload& p) {
      wakeups.push_back(w.sim.now());
      if (on_data) on_data(id, p);
    };
    return cb;
  }
  LockWorld w;
  std::vector<Instant> wakeups;
  std::function<void(SocketId, const Payload&)> on_data;
};

}  // namespace

TEST_CASE("A timed read() of at most 4000 bytes copies, flushes the backlog, copies again") {
  // 500 µs per call, 5000 MB/s (1448 bytes in 290 ns). The first segment wakes the reader at
  // 30.134 ms and is ACKed on arrival (quick-ack). The read owns the socket until its copy of
  // that segment ends at 30.634 ms + 290 ns; the four segments that came meanwhile were merged
  // in the backlog, which tcp_recvmsg_locked() processes (__sk_flush_backlog()) because the
  // call may take 2552 bytes more; it copies them (511 ns) and returns with 4000 bytes.
  SocketOptions manual;
  manual.auto_read = false;
  TenSegments t(timed(Duration::microseconds(500), 5000), manual);
  std::vector<std::pair<int64_t, size_t>> reads;
  t.on_data = [&](SocketId id, const Payload&) {
    if (std::optional<Payload> got = t.w.server->take_read_result(id)) {
      reads.emplace_back(t.w.sim.now().ns(), got->size());
    }
    const Connection* c = t.w.server->stack().connection(id);
    if (!t.w.server->reading(id) && c != nullptr && c->readable() > 0)
      t.w.server->start_read(id, 4000);
  };
  t.w.sim.run_until(at_ms(200));
  REQUIRE(reads.size() == 4);
  CHECK(reads[0] == std::make_pair(int64_t{30'634'050 + 511}, size_t{4000}));
  // What stayed queued (5 x 1448 - 4000 = 3240) is the next call's, which owns the socket
  // while segments 6-9 arrive and takes 760 bytes of them after a flush; the third takes 4000
  // of what is queued and leaves the tenth segment, arrived meanwhile, in the backlog (it may
  // take no more: len is 0, no flush); the fourth reads the rest.
  std::vector<size_t> sizes;
  for (const auto& r : reads)
    sizes.push_back(r.second);
  CHECK(sizes == std::vector<size_t>{4000, 4000, 4000, 2480});
  CHECK(reads[1].first == reads[0].first + 500'000 + 648 + 152);
  CHECK(t.w.server->stack().counters().TCPBacklogCoalesce == 6);
}

TEST_CASE("SO_RCVLOWAT: the reader is woken once that many bytes are queued") {
  // tcp_data_ready() calls sk_data_ready() only when tcp_epollin_ready(sk, sk_rcvlowat): with
  // 3000 bytes, the third segment (4344 queued) wakes the reader, not the first two.
  SocketOptions manual;
  manual.auto_read = false;
  manual.rcvlowat = 3000;
  TenSegments t(Profile{}, manual);
  SocketId reader = kNoSocket;
  t.on_data = [&](SocketId id, const Payload&) { reader = id; };
  t.w.sim.run_until(at_ms(200));
  REQUIRE_FALSE(t.wakeups.empty());
  CHECK(t.wakeups[0] == Instant::zero() + Duration::nanoseconds(30'133'760 + 2 * 120'000));
  CHECK(t.wakeups.size() == 8);  // from the third segment on, each arrival
  REQUIRE(reader != kNoSocket);
  CHECK(t.w.server->read(reader, SIZE_MAX).size() == 10 * 1448);
  // tcp_set_rcvlowat(): at most half of tcp_rmem[2] (6291456), or of a locked SO_RCVBUF; 0 is 1.
  // The cap is applied once, when the option is set: a smaller SO_RCVBUF set afterwards (16384
  // as sk_rcvbuf) leaves the stored value, which getsockopt() reads back as it is; the next
  // SO_RCVLOWAT is capped at half of it.
  CHECK(t.w.server->set_option(reader, SockOpt::so_rcvlowat, 1 << 30) == SocketError::none);
  CHECK(t.w.server->get_option(reader, SockOpt::so_rcvlowat) == 3145728);
  CHECK(t.w.server->set_option(reader, SockOpt::so_rcvbuf, 8192) == SocketError::none);
  CHECK(t.w.server->get_option(reader, SockOpt::so_rcvlowat) == 3145728);
  CHECK(t.w.server->set_option(reader, SockOpt::so_rcvlowat, 1 << 30) == SocketError::none);
  CHECK(t.w.server->get_option(reader, SockOpt::so_rcvlowat) == 8192);
  CHECK(t.w.server->set_option(reader, SockOpt::so_rcvlowat, 0) == SocketError::none);
  CHECK(t.w.server->get_option(reader, SockOpt::so_rcvlowat) == 1);
}

TEST_CASE("An auto-reading app with SO_RCVLOWAT reads once that many bytes are queued") {
  SocketOptions o;
  o.rcvlowat = 5000;
  TenSegments t(Profile{}, o);
  std::vector<size_t> sizes;
  t.on_data = [&](SocketId, const Payload& p) { sizes.push_back(p.size()); };
  t.w.sim.run_until(at_ms(200));
  // 4 x 1448 = 5792 >= 5000 at the fourth segment, again at the eighth; the last two are read
  // when the sender's FIN... does not come: they wait (the receive window is far from closed).
  CHECK(sizes == std::vector<size_t>{4 * 1448, 4 * 1448});
  CHECK(t.wakeups[0] == Instant::zero() + Duration::nanoseconds(30'133'760 + 3 * 120'000));
}

TEST_CASE("An auto-reading app's read() takes at most its read size, the rest in the next call") {
  // read_size 2000, 500 µs per call, 5000 MB/s. The first segment (1448) is one call, ending
  // at 30.634 ms + 290 ns, when the four segments merged in the backlog (5792 bytes) are
  // processed (release_sock()): the next call copies 2000 of them, each call paying its
  // cost; the bytes a call leaves wait, counted in receive memory, for the next.
  SocketOptions o;
  o.read_size = 2000;
  TenSegments t(timed(Duration::microseconds(500), 5000), o);
  SocketId s = kNoSocket;
  t.on_data = [&](SocketId id, const Payload&) { s = id; };
  t.w.sim.run_until(at_ms(200));
  REQUIRE(s != kNoSocket);
  // The ACKs come when a call's release_sock() processes the backlog. Without a read size the
  // second call copied all 5792 bytes (1159 ns: the busy-reader test's 31'135'209); here it
  // copies 2000 (400 ns) and the backlog (segments 6-9) is processed 759 ns earlier; the
  // third call, 2000 bytes again, releases the tenth.
  std::vector<PacketRecord> acks = t.w.sent("server");
  const SeqNum first = acks[0].packet.tcp.ack;
  std::vector<std::pair<int64_t, uint32_t>> got;
  for (size_t i = 1; i < acks.size(); ++i)
    got.emplace_back(acks[i].t.ns(), static_cast<uint32_t>(acks[i].packet.tcp.ack - first));
  using P = std::pair<int64_t, uint32_t>;
  CHECK(got == std::vector<P>{{30'133'760, 1448},
                              {30'634'050, 5 * 1448},
                              {30'634'050 + 500'400, 9 * 1448},
                              {30'634'050 + 2 * 500'400, 10 * 1448}});
  CHECK(tcp_info(*t.w.server->stack().connection(s), at_ms(200)).rmem_alloc == 0);
  CHECK(t.w.server->stack().stats(s).bytes_received == 10 * 1448);
}

TEST_CASE("With the socket lock auto-read data holds receive memory until its copy ends") {
  // tcp_recvmsg_locked() frees each skb after copying it (tcp_eat_recv_skb()): at 30.5 ms the
  // busy reader is still copying the first segment (its call began at 30.134 ms and lasts
  // 500 µs), which still counts in sk_rmem_alloc, and so in the window select_window() offers;
  // the instantaneous reader read it at 30.134 ms. Once every read ended, neither holds any.
  TenSegments off(Profile{});
  TenSegments on(timed(Duration::microseconds(500), 5000));
  SocketId off_s = kNoSocket, on_s = kNoSocket;
  off.on_data = [&](SocketId id, const Payload&) { off_s = id; };
  on.on_data = [&](SocketId id, const Payload&) { on_s = id; };
  const Instant mid = Instant::zero() + Duration::microseconds(30'500);
  off.w.sim.run_until(mid);
  on.w.sim.run_until(mid);
  REQUIRE(off_s != kNoSocket);
  REQUIRE(on_s != kNoSocket);
  const TcpInfo a = tcp_info(*off.w.server->stack().connection(off_s), mid);
  const TcpInfo b = tcp_info(*on.w.server->stack().connection(on_s), mid);
  CHECK(a.rmem_alloc == 0);
  CHECK(b.rmem_alloc == rx_truesize(1448));
  off.w.sim.run_until(at_ms(200));
  on.w.sim.run_until(at_ms(200));
  CHECK(tcp_info(*on.w.server->stack().connection(on_s), at_ms(200)).rmem_alloc == 0);
  CHECK(on.w.server->stack().stats(on_s).bytes_received == 10 * 1448);
}
