// TCP_NOTSENT_LOWAT (issue 13 item 6, Linux 6.12): tcp_stream_memory_free() bounds the unsent
// bytes (write_seq - snd_nxt) a write may queue, `(notsent << wake) < lowat`; POLLOUT and the
// writable wakeup (sk_stream_write_space()) use wake 1, so they need fewer than half the mark.

#include "protocols/tcp/send_buffer.hpp"
#include "protocols/tcp/tcp_info.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

Lines set_lowat(Harness& h, Instant t, int v) {
  h.out.clear();
  h.now = t;
  CHECK(h.c().set_option(t, SockOpt::tcp_notsent_lowat, v, h.out) == SocketError::none);
  return describe(h.out);
}

size_t writable_notices(const Harness& h) {
  size_t n = 0;
  for (const AppNotice& a : h.out.notices)
    n += a.kind == AppNotice::Kind::writable ? 1 : 0;
  return n;
}

}  // namespace

// tcp_stream_memory_free(): "(notsent_bytes << wake) < tcp_notsent_lowat(tp)".
TEST_CASE("The low-water mark is strict, and the wake test halves it") {
  CHECK(notsent_below_lowat(16383, false, 16384));
  CHECK(!notsent_below_lowat(16384, false, 16384));
  CHECK(notsent_below_lowat(8191, true, 16384));
  CHECK(!notsent_below_lowat(8192, true, 16384));
  CHECK(notsent_below_lowat(4294967294ull, false, UINT32_MAX));  // the default: no limit
}

// The option as do_tcp_setsockopt() stores it: any int, kept as a u32; getsockopt() reads
// tp->notsent_lowat, 0 until set, and 0 means the sysctl's (tcp_notsent_lowat()).
TEST_CASE("TCP_NOTSENT_LOWAT reads back as set, 0 until set") {
  Harness h;
  established(h);
  CHECK(h.c().get_option(SockOpt::tcp_notsent_lowat) == 0);
  set_lowat(h, at(20_ms), 16384);
  CHECK(h.c().get_option(SockOpt::tcp_notsent_lowat) == 16384);
  set_lowat(h, at(20_ms), -1);
  CHECK(h.c().get_option(SockOpt::tcp_notsent_lowat) == -1);
  CHECK(sockopt_from_name("TCP_NOTSENT_LOWAT") == SockOpt::tcp_notsent_lowat);
}

// MSS 1460, a 65535-byte window: size_goal 32120. With a mark of 16384 the first write fills one
// skb (32120) and pushes it within its loop: tcp_push_one() sends 5 segments (cwnd / 2), the
// rest is the write queue's tail (tso_fragment() split it off) and tcp_sendmsg_locked() fills a
// tail to size_goal without the memory test: 7300 more, forced_push() sends 5 segments, 7300
// more, then cwnd is full. 46720 taken, 32120 unsent: no POLLOUT (2 * 32120 >= 16384) and no new
// skb, although the buffer (87040) has room; the next write gets EAGAIN. The ACK
// of the ten segments opens cwnd to 20: 20 segments leave, 2920 bytes stay unsent
// (2 * 2920 < 16384) and the writer hears `writable` (tcp_data_snd_check() -> tcp_check_space()).
TEST_CASE("A mark of 16384 holds the writer until the unsent bytes left") {
  Harness h;
  established(h);
  set_lowat(h, at(20_ms), 16384);
  CHECK(h.write(at(20_ms), 1000000).size() == 10);
  CHECK(h.last_write.accepted == 32120 + 2 * 7300);
  CHECK(!h.c().writeable());
  CHECK(!h.c().stream_memory_free());
  CHECK(h.write(at(20_ms), 1000).empty());
  CHECK(h.last_write.accepted == 0);  // EAGAIN
  // 46720 bytes in six skbs (five two-segment GSO pieces sent at the pacing rate the SYN-ACK
  // set, each split off the send head by tso_fragment(), and the unsent rest): far below
  // sk_sndbuf, the mark alone holds the writer.
  CHECK(tcp_info(h.c(), at(20_ms)).wmem_queued == 46720 + 6 * 896);

  CHECK(h.recv(at(30_ms), ACK, kPeerIss + 1, kIss + 1 + 14600).size() == 20);
  CHECK(writable_notices(h) == 1);
  CHECK(h.c().writeable());
  CHECK(tcp_info(h.c(), at(30_ms)).notsent_bytes == 2920);
  CHECK(h.write(at(30_ms), 1000000).empty());  // cwnd is full
  CHECK(h.last_write.accepted == 29200);       // the tail skb's room again, no new skb
}

// Without the socket option the sysctl decides (tcp_notsent_lowat(): "val ?: sysctl").
TEST_CASE("The tcp_notsent_lowat sysctl is the mark of sockets that set none") {
  Profile p = Profile::linux_default();
  p.notsent_lowat = 16384;
  Harness h(p);
  established(h);
  CHECK(h.write(at(20_ms), 1000000).size() == 10);
  CHECK(h.last_write.accepted == 32120 + 2 * 7300);  // in-loop pushes, as above
  set_lowat(h, at(20_ms), 1 << 20);                  // the socket's own mark wins
  CHECK(h.write(at(20_ms), 1000000).empty());
  // The tail is full: two skbs until sk_wmem_queued (114544) passes sk_sndbuf 87040.
  CHECK(h.last_write.accepted == 2 * 32120);
}

// TCP_NOTSENT_LOWAT calls sk_write_space() (do_tcp_setsockopt()): raising the mark above twice
// the unsent bytes wakes a writer that found no room.
TEST_CASE("Raising the mark wakes the waiting writer at once") {
  Harness h;
  established(h);
  set_lowat(h, at(20_ms), 16384);
  h.write(at(20_ms), 1000000);
  h.write(at(20_ms), 1000000);  // partial: SOCK_NOSPACE, 32120 unsent
  set_lowat(h, at(25_ms), 64240);
  CHECK(writable_notices(h) == 0);  // 2 * 32120 is not below 64240
  set_lowat(h, at(25_ms), 64241);
  CHECK(writable_notices(h) == 1);
  CHECK(h.c().stream_memory_free());
  set_lowat(h, at(25_ms), 1 << 20);
  CHECK(writable_notices(h) == 0);  // woken once: SOCK_NOSPACE is clear
}
