// The send buffer (issue 13 item 2): sk_sndbuf starts at tcp_wmem[1], tcp_sndbuf_expand() sizes
// it at ESTABLISHED and on ACKs while a writer waits, and a bounded write takes only what
// sk_stream_memory_free() allows (tcp_sendmsg_locked()), the rest being the writer's to retry.

#include "protocols/tcp/send_buffer.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

int sndbuf(Harness& h) {
  return h.c().get_option(SockOpt::so_sndbuf);
}

}  // namespace

// tcp_sndbuf_expand() with Debian's x86-64 sizes: per_mss = roundup_pow_of_two(mss + 320 + 320)
// + 256; 2 x max(10, cwnd, reordering + 1) segments of it, capped at tcp_wmem[2].
TEST_CASE("per_mss and the expanded send buffer follow tcp_sndbuf_expand()") {
  CHECK(sndbuf_per_mss(1460) == 4352);   // 2100 -> 4096
  CHECK(sndbuf_per_mss(536) == 2304);    // 1176 -> 2048
  CHECK(sndbuf_per_mss(9000) == 16640);  // 9640 -> 16384
  CHECK(sndbuf_expand(16384, 1460, 10, 3, 4194304) == 87040);
  CHECK(sndbuf_expand(16384, 1460, 4, 3, 4194304) == 87040);  // at least TCP_INIT_CWND
  CHECK(sndbuf_expand(16384, 1460, 20, 3, 4194304) == 174080);
  CHECK(sndbuf_expand(16384, 1460, 10, 30, 4194304) == 269824);  // reordering + 1 = 31
  CHECK(sndbuf_expand(16384, 1460, 1000, 3, 4194304) == 4194304);
  CHECK(sndbuf_expand(200000, 1460, 10, 3, 4194304) == 200000);  // never lowered
}

// __sk_stream_is_writeable(): a third of the buffer free (free >= queued / 2). (What a write
// copies, with its in-loop pushes, is tested on connections below and in tests/drill/sndbuf-*.)
TEST_CASE("The buffer is writeable with a third of it free") {
  CHECK(sndbuf_writeable(58027, 87040));   // 29013 free >= 58027 >> 1
  CHECK(!sndbuf_writeable(58028, 87040));  // 29012 free < 29014
  CHECK(!sndbuf_writeable(87040, 87040));
}

// tcp_init_sock(): tcp_wmem[1]; tcp_init_buffer_space() at ESTABLISHED: 2 x 10 x 4352 at the
// peer's MSS 1460. SO_SNDBUF (doubled) locks the buffer: no autotuning.
TEST_CASE("The send buffer is tcp_wmem[1] until ESTABLISHED sizes it for the initial window") {
  Harness h;
  CHECK(sndbuf(h) == 16384);
  established(h);
  CHECK(sndbuf(h) == 87040);

  SocketOptions o;
  o.sndbuf = sock_sndbuf_from(10000);
  Harness locked(Profile::linux_default(), o);
  established(locked);
  CHECK(sndbuf(locked) == 20000);
  // One skb of 32120 (896 + 32120 >= 20000 stops new ones), but tcp_sendmsg_locked() pushes
  // it when full: tcp_push_one() sends 5 segments (tcp_cwnd_test(): cwnd / 2), the remainder is
  // the tail with 7300 of room, refilled without a memory check; forced_push() (39420 > 65535
  // / 2) sends 5 more; refilled again, then cwnd is full and the next skb fails the check.
  CHECK(locked.write(at(20_ms), 100000).size() == 10);
  CHECK(locked.last_write.accepted == 32120 + 2 * 7300);

  Profile p = Profile::linux_default();
  p.wmem.max = 50000;
  Harness capped(p);
  established(capped);
  CHECK(sndbuf(capped) == 50000);
}

// A bulk writer on a 65535-byte window (size_goal 22 x 1460 = 32120, half the window). The first
// write (tcp_sendmsg_locked()): skb 1 full -> tcp_push_one() sends 5 segments (cwnd / 2), the
// tail's 7300 of room are refilled -> forced_push() (39420 > 32767) sends 5 more, refilled
// again -> tcp_push_one() finds cwnd full; then new skbs while sk_wmem_queued < 87040: two
// more (queued 49408 and 82424 in Linux's count before them), 110960 bytes in all. Another
// write at once gets nothing (EAGAIN). Each ACK that opens the window fills it again
// (tcp_data_snd_check() pushes before tcp_check_space()), so while cwnd-limited the buffer stays
// 87040 and no `writable` comes; 96360 bytes still queued leave no room for a new skb. Once the
// ACK of everything leaves cwnd (80) above what is left to send, the buffer grows to
// 2 x 80 x 4352 and the writer hears `writable`.
TEST_CASE("A bounded write is partial, EAGAIN when full, and ACKs grow the buffer") {
  Harness h;
  established(h);
  CHECK(h.write(at(20_ms), 1000000).size() == 10);
  CHECK(h.last_write.accepted == 110960);
  CHECK(h.write(at(20_ms), 1000000).empty());
  CHECK(h.last_write.accepted == 0);
  CHECK(h.last_write.error == SocketError::none);
  CHECK(!h.c().writeable());

  CHECK(h.recv(at(30_ms), ACK, kPeerIss + 1, kIss + 1 + 14600).size() == 20);
  CHECK(h.out.notices.empty());
  CHECK(sndbuf(h) == 87040);
  CHECK(h.write(at(30_ms), 1000000).empty());
  CHECK(h.last_write.accepted == 0);  // 96360 bytes queued >= sk_sndbuf, the tail is full

  CHECK(h.recv(at(40_ms), ACK, kPeerIss + 1, kIss + 1 + 43800).size() == 40);
  CHECK(h.out.notices.empty());
  CHECK(sndbuf(h) == 87040);

  Lines sent = h.recv(at(50_ms), ACK, kPeerIss + 1, kIss + 1 + 102200);
  CHECK(sent.size() == 6);  // the last 8760 bytes
  REQUIRE(h.out.notices.size() == 1);
  CHECK(h.out.notices[0].kind == AppNotice::Kind::writable);
  CHECK(sndbuf(h) == 696320);
  CHECK(h.c().writeable());
  h.write(at(50_ms), 1000000);
  CHECK(h.last_write.accepted > 0);
}

// tcp_sendmsg_locked(): EPIPE after shutdown(SHUT_WR), whatever the buffer holds.
TEST_CASE("A bounded write after shutdown fails with EPIPE and takes nothing") {
  Harness h;
  established(h);
  h.shutdown(at(20_ms));
  h.write(at(30_ms), 100);
  CHECK(h.last_write.accepted == 0);
  CHECK(h.last_write.error == SocketError::epipe);
}

// tcp_sendmsg_locked() -> sk_stream_wait_connect(): only ESTABLISHED and CLOSE_WAIT take data;
// a write in SYN_SENT copies nothing (EAGAIN for a writer that does not wait), so nothing is
// queued behind the SYN, and the same write takes its bytes once the handshake completed.
TEST_CASE("A bounded write before ESTABLISHED takes nothing") {
  Harness h;
  syn_sent(h);
  CHECK(h.write(at(5_ms), 1000).empty());
  CHECK(h.last_write.accepted == 0);
  CHECK(h.last_write.error == SocketError::none);
  // The handshake's ACK carries no data: nothing was queued.
  CHECK(h.recv(at(10_ms), syn_ack()) == Lines{". seq 1001 ack 5001 win 64240"});
  CHECK(h.write(at(20_ms), 1000).size() == 1);
  CHECK(h.last_write.accepted == 1000);
}
