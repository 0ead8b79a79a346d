// The host's TCP memory (tcp_mem; protocols/tcp/tcp_memory.hpp, connection_mem.cpp): pages
// charged as Linux 6.12 charges sk_forward_alloc, memory pressure entered above tcp_mem[1] and
// left under tcp_mem[0] (TCPMemoryPressures, TCPMemoryPressuresChrono), send buffers moderated
// and not grown, receive windows held and clamped, receive data refused over tcp_mem[2], and an
// orphan reset on close() over it (TCPAbortOnMemory).

#include "protocols/tcp/tcp_info.hpp"
#include "protocols/tcp/tcp_memory.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

Profile with_tcp_mem(int64_t min, int64_t pressure, int64_t max, int64_t rmem_def = 131072) {
  Profile p = Profile::linux_default();
  p.tcp_mem = Triple{min, pressure, max};
  p.rmem.def = rmem_def;
  return p;
}

TcpInfo info(Harness& h) {
  return tcp_info(h.c(), h.now);
}

SocketOptions no_reader() {
  SocketOptions o;
  o.auto_read = false;
  return o;
}

Segment data_at(uint32_t off, size_t n) {
  return peer_seg(ACK, kPeerIss + 1 + off, kIss + 1, 65535, bytes(n));
}

// A passive connection whose SYN offered no options (no timestamps, no window scaling).
void accepted(Harness& h) {
  Handshake hs;
  hs.iss = SeqNum(kIss);
  hs.irs = SeqNum(kPeerIss);
  hs.peer_mss = 1460;
  hs.peer_window = 65535;
  h.accept(at(0_ms), hs);
  REQUIRE(h.state() == State::established);
}

}  // namespace

// A socket holds its bytes rounded up to pages (sk_mem_uncharge() reclaims at once since 6.0):
// 20000 bytes written make 25376 of sk_wmem_queued (896 for each of six skbs: the five
// two-segment GSO pieces of the first flight, at the pacing rate the SYN-ACK set, and the
// unsent rest), 7 pages. That
// allocation took the host above tcp_mem[1] = 4 (tcp_enter_memory_pressure() at 20 ms, jiffy
// 5); with 7192 left after the first ACK it holds 2 pages, not under tcp_mem[0] = 2; the last
// ACK frees them all (__sk_mem_reduce_allocated()) and pressure ends at 80 ms (jiffy 20):
// TCPMemoryPressuresChrono 15 jiffies = 60 ms. Under pressure with one socket (its share is all
// of tcp_mem[2]) the write was granted in full and the buffer not moderated.
TEST_CASE("The host enters memory pressure above tcp_mem[1] and leaves it under tcp_mem[0]") {
  Harness h(with_tcp_mem(2, 4, 1000));
  established(h);
  CHECK(h.counters.tcp_sockets_allocated == 1);
  CHECK(h.counters.tcp_mem_allocated == 0);
  CHECK(h.write(at(20_ms), 20000).size() == 10);
  CHECK(h.last_write.accepted == 20000);
  CHECK(info(h).wmem_queued == 25376);
  CHECK(info(h).fwd_alloc == 7 * 4096 - 25376);  // `ss -m` skmem f
  CHECK(h.counters.tcp_mem_allocated == 7);
  CHECK(h.counters.TCPMemoryPressures == 1);
  CHECK(info(h).sndbuf == 87040);
  CHECK(h.recv(at(50_ms), ACK, kPeerIss + 1, kIss + 1 + 14600).size() == 4);
  CHECK(info(h).wmem_queued == 7192);
  CHECK(h.counters.tcp_mem_allocated == 2);
  CHECK(h.counters.tcp_mem_pressure_since != 0);
  CHECK(h.counters.TCPMemoryPressuresChrono == 0);
  CHECK(h.recv(at(80_ms), ACK, kPeerIss + 1, kIss + 1 + 20000).empty());
  CHECK(h.counters.tcp_mem_allocated == 0);
  CHECK(h.counters.tcp_mem_pressure_since == 0);
  CHECK(h.counters.TCPMemoryPressuresChrono == 60);
  CHECK(h.counters.TCPMemoryPressures == 1);
  CHECK(h.counters.tcp_mem_pages_max == 7);
  h.conn.reset();  // tcp_v4_destroy_sock()
  CHECK(h.counters.tcp_sockets_allocated == 0);
}

// Over tcp_mem[2] (6 pages) a send allocation is refused, and __sk_mem_raise_allocated()'s
// suppress_allocation moderates the buffer (sk_stream_moderate_sndbuf(): min(sk_sndbuf,
// sk_wmem_queued / 2), at least SOCK_MIN_SNDBUF 4608) but grants it since the socket is at or
// over the new sndbuf ("Fail only if socket is _under_ its sndbuf"). So the first skb (32120
// bytes, 9 pages) is taken and the buffer becomes 4608; the refills of its tail after the
// in-loop pushes (no sk_stream_memory_free() check) are too; the next new skb is not. The
// same write on a host with room takes 110960 (test_conn_sndbuf.cpp). The buffer does not grow
// back (tcp_should_expand_sndbuf(): not under pressure or over tcp_mem[0]) and the writer is
// not woken while a third of 4608 is not free.
TEST_CASE("Over tcp_mem[2] the send buffer is moderated to half what it holds") {
  Harness h(with_tcp_mem(2, 4, 6));
  established(h);
  CHECK(h.write(at(20_ms), 100000).size() == 10);
  CHECK(h.last_write.accepted == 32120 + 2 * 7300);
  CHECK(info(h).sndbuf == 4608);
  CHECK(info(h).wmem_queued == 52096);  // 46720 in six skbs (test_conn_notsent_lowat.cpp)
  CHECK(h.counters.tcp_mem_allocated == 13);
  CHECK(h.counters.TCPMemoryPressures == 1);
  CHECK(h.recv(at(30_ms), ACK, kPeerIss + 1, kIss + 1 + 14600).size() == 20);
  CHECK(info(h).sndbuf == 4608);
  CHECK(info(h).wmem_queued == 39288);
  CHECK(h.notices().empty());
  // The tail skb still has room (size_goal): refilled without sk_stream_memory_free(), and
  // the copy's allocation is granted as above; cwnd is full, so nothing leaves.
  CHECK(h.write(at(31_ms), 100000).empty());
  CHECK(h.last_write.accepted == 29200);
  CHECK(h.write(at(32_ms), 100000).empty());
  CHECK(h.last_write.accepted == 0);

  SocketOptions locked;
  locked.sndbuf = sock_sndbuf_from(10000);
  Harness l(with_tcp_mem(2, 4, 6), locked);
  established(l);
  l.write(at(20_ms), 100000);
  CHECK(info(l).sndbuf == 20000);  // SOCK_SNDBUF_LOCK: not moderated
}

// tcp_close() -> tcp_check_oom(): after the FIN is queued, a socket still holding more than
// SOCK_MIN_SNDBUF to send while the host is over tcp_mem[2] is reset at once
// (SK_RST_REASON_TCP_ABORT_ON_MEMORY; "out of memory -- consider tuning tcp_mem"). The FIN
// was behind unsent data, so the RST at SND.NXT is the only segment.
TEST_CASE("An orphan over tcp_mem[2] is reset on close (TCPAbortOnMemory)") {
  Harness h(with_tcp_mem(2, 4, 6));
  established(h);
  h.write(at(20_ms), 100000);
  CHECK(h.close(at(30_ms)) == Lines{"R. seq 15601 ack 5001 win 64240"});
  CHECK(h.transitions() ==
        Lines{"ESTABLISHED -> FIN_WAIT_1 (close)", "FIN_WAIT_1 -> CLOSED (close)"});
  CHECK(h.counters.TCPAbortOnMemory == 1);
  CHECK(h.counters.tcp_mem_allocated == 0);

  // The same close with room on the host: the orphan lives on.
  Harness calm(with_tcp_mem(2, 4, 1000));
  established(calm);
  calm.write(at(20_ms), 100000);
  CHECK(calm.close(at(30_ms)).empty());
  CHECK(calm.state() == State::fin_wait_1);
  CHECK(calm.counters.TCPAbortOnMemory == 0);
}

// Peer segments of 1460 bytes at 1 ms intervals from 20 ms, to a reader that does not read;
// returns the ACK each one got ("-" for none).
Lines feed(Harness& h, uint32_t from, uint32_t n) {
  Lines acks;
  for (uint32_t i = from; i < from + n; ++i) {
    Lines l = h.recv(at(20_ms + Duration::milliseconds(i)), data_at(i * 1460, 1460));
    acks.push_back(l.empty() ? "-" : l[0]);
  }
  return acks;
}

// tcp_grow_window() "Check #1" and __tcp_select_window() -> tcp_adjust_rcv_ssthresh(). The
// first segment measures the scaling ratio (1460 * 256 / 2048 = 182) and grows rcv_ssthresh
// by 2 x 1460 on either host (1 page held, not above tcp_mem[1] = 1). The second takes the
// host to 2 pages: pressure, and rcv_ssthresh stays 66996 where it grows to 82964 (the clamp)
// without. The window on the wire is 65535 either way (no window scaling) until the queue is
// half full (segment 48): then rcv_ssthresh drops to 4 x advmss = 5840 and the window is what
// is left of the last offer (never shrunk), where the host without pressure offers more.
TEST_CASE("Under memory pressure the receive window stops growing and drops to 4 segments") {
  Harness calm(with_tcp_mem(1, 383855, 100000), no_reader());
  Harness tight(with_tcp_mem(1, 1, 100000), no_reader());
  accepted(calm);
  accepted(tight);
  CHECK(feed(calm, 0, 1) == Lines{". seq 1001 ack 6461 win 65535"});
  CHECK(feed(tight, 0, 1) == Lines{". seq 1001 ack 6461 win 65535"});
  CHECK(info(calm).rcv_ssthresh == 66996);
  CHECK(info(tight).rcv_ssthresh == 66996);
  CHECK(tight.counters.TCPMemoryPressures == 0);
  feed(calm, 1, 6);
  feed(tight, 1, 6);
  CHECK(tight.counters.TCPMemoryPressures == 1);
  CHECK(tight.counters.tcp_mem_allocated == 4);  // 7 x 2053 bytes charged = 14371
  CHECK(info(calm).rcv_ssthresh == 82964);
  CHECK(info(tight).rcv_ssthresh == 66996);
  feed(calm, 7, 41);
  feed(tight, 7, 41);
  CHECK(feed(calm, 48, 1) == Lines{". seq 1001 ack 76541 win 20440"});
  CHECK(feed(tight, 48, 1) == Lines{". seq 1001 ack 76541 win 20275"});
  CHECK(info(calm).rcv_ssthresh == 82964);
  CHECK(info(tight).rcv_ssthresh == 5840);
}

// sk_rmem_schedule() -> __sk_mem_raise_allocated(SK_MEM_RECV) with tcp_mem 1 2 3: each
// segment costs 2053 bytes at the measured ratio. The third takes the host over tcp_mem[1]
// (3 pages): pressure; with one socket its fair share is all of tcp_mem[2], so an allocation
// that would make it hold 3 pages is refused: tcp_prune_queue() (PruneCalled; nothing to
// prune, the queue is under sk_rcvbuf) then the in-order segment is dropped (TCPRcvQDrop) and
// answered at once with a zero window (ICSK_ACK_NOMEM). Beyond that window, data is answered
// with the window the host can give now: rcv_ssthresh cut to 4 segments (tcp_prune_queue()
// under pressure -> tcp_adjust_rcv_ssthresh()); out-of-order data is dropped without an ACK.
TEST_CASE("Receive memory the host refuses drops the segment and offers a zero window") {
  Harness h(with_tcp_mem(1, 2, 3), no_reader());
  accepted(h);
  CHECK(feed(h, 0, 3) == Lines{". seq 1001 ack 6461 win 65535", ". seq 1001 ack 7921 win 65535",
                               ". seq 1001 ack 9381 win 65535"});
  CHECK(h.counters.tcp_mem_allocated == 2);
  CHECK(feed(h, 3, 1) == Lines{". seq 1001 ack 9381 win 0"});
  CHECK(h.counters.TCPMemoryPressures == 1);
  CHECK(h.counters.PruneCalled == 1);
  CHECK(h.counters.TCPRcvQDrop == 1);
  CHECK(h.counters.tcp_mem_allocated == 2);  // the refused page was given back
  CHECK(feed(h, 4, 1) == Lines{". seq 1001 ack 9381 win 5840"});
  CHECK(feed(h, 5, 2) == Lines{"-", "-"});
  CHECK(h.counters.TCPOFODrop == 2);
  // The reader takes the 4380 bytes: the host holds nothing, pressure ends
  // (__sk_mem_reduce_allocated() under tcp_mem[0]) after 6 jiffies (20 ms + 2 -> 50 ms).
  CHECK(h.read(at(50_ms), 100000).size() == 4380);
  CHECK(h.counters.tcp_mem_allocated == 0);
  CHECK(h.counters.TCPMemoryPressuresChrono == 28);
}

// tcp_write_timeout() -> tcp_out_of_resources(): an orphan whose host went over tcp_mem[2]
// after its close() is done at its next retransmission timeout, with a RST (it sent within
// TCP_TIMEWAIT_LEN), instead of retransmitting.
TEST_CASE("An orphan is reset at its retransmission timeout once the host is over tcp_mem[2]") {
  Harness h(with_tcp_mem(2, 4, 1000));
  established(h);
  h.write(at(20_ms), 100000);
  CHECK(h.close(at(30_ms)).empty());
  REQUIRE(h.state() == State::fin_wait_1);
  h.profile.tcp_mem = Triple{2, 4, 6};  // the host's other sockets took the rest
  CHECK(h.fire() == Lines{"R. seq 15601 ack 5001 win 64240"});
  CHECK(h.now == at(232_ms));  // the first data at 20 ms + RTO 212 ms
  CHECK(h.transitions() == Lines{"FIN_WAIT_1 -> CLOSED (RTO expired)"});
  CHECK(h.counters.TCPAbortOnMemory == 1);
  CHECK(h.counters.retransmits == 0);
}
