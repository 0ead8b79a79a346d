// tcp_info's chronographs (Linux 6.12 tcp_output.c tcp_chrono_start()/tcp_chrono_stop(),
// tcp.c tcp_get_info_chrono_stats()): tcpi_busy_time is the time with data to send, of which
// tcpi_rwnd_limited the time the peer's window and tcpi_sndbuf_limited the time the send
// buffer held the sender; counted in jiffies (HZ 250: 4 ms), reported in µs.

#include "protocols/tcp/send_buffer.hpp"
#include "protocols/tcp/sockopt.hpp"
#include "protocols/tcp/tcp_info.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

struct Chrono {
  uint64_t busy, rwnd, sndbuf;
  bool operator==(const Chrono&) const = default;
};

Chrono chrono(Harness& h, Instant t) {
  TcpInfo i = tcp_info(h.c(), t);
  return {i.busy_time, i.rwnd_limited, i.sndbuf_limited};
}

}  // namespace

// tcp_add_write_queue_tail() starts BUSY with the first skb of an empty write queue;
// tcp_clean_rtx_queue() stops it once nothing is in flight and nothing waits (UNSPEC).
TEST_CASE("busy_time runs from the write to the ACK of its last byte, in whole jiffies") {
  Harness h;
  established(h);
  CHECK(chrono(h, at(20_ms)) == Chrono{0, 0, 0});
  h.write(at(20_ms), 1000);
  CHECK(chrono(h, at(30_ms)) == Chrono{8000, 0, 0});  // jiffies 5 -> 7 (the 4 ms ticks)
  h.recv(at(60_ms), ACK, kPeerIss + 1, kIss + 1 + 1000);
  CHECK(chrono(h, at(100_ms)) == Chrono{40000, 0, 0});  // 20 ms .. 60 ms, stopped
  CHECK(h.c().get_option(SockOpt::tcp_notsent_lowat) == 0);
  const auto f = tcp_info(h.c(), at(100_ms)).fields();
  REQUIRE(f.size() >= 3);
  CHECK(f[f.size() - 3] == std::pair<std::string_view, int64_t>{"tcpi_busy_time", 40000});
  CHECK(f[f.size() - 2] == std::pair<std::string_view, int64_t>{"tcpi_rwnd_limited", 0});
  CHECK(f[f.size() - 1] == std::pair<std::string_view, int64_t>{"tcpi_sndbuf_limited", 0});
}

// tcp_write_xmit(): is_rwnd_limited when tcp_snd_wnd_test() stops a send head that
// tcp_cwnd_test() let through; tcp_chrono_start(RWND_LIMITED) then, tcp_chrono_stop() on the
// next tcp_write_xmit() that is not (back to BUSY while data waits).
TEST_CASE("rwnd_limited counts the time the peer's window held data cwnd would send") {
  Harness h;
  established(h);
  h.recv(at(20_ms), ACK, kPeerIss + 1, kIss + 1, 2920);  // the peer shrinks its window
  CHECK(h.write(at(20_ms), 10000).size() == 2);
  CHECK(chrono(h, at(40_ms)) == Chrono{20000, 20000, 0});
  CHECK(h.recv(at(60_ms), ACK, kPeerIss + 1, kIss + 1 + 2920, 2920).size() == 2);
  CHECK(chrono(h, at(100_ms)) == Chrono{80000, 80000, 0});
  // The window opens: the rest leaves and RWND_LIMITED gives way to BUSY.
  CHECK(h.recv(at(100_ms), ACK, kPeerIss + 1, kIss + 1 + 5840, 65535).size() == 3);
  CHECK(chrono(h, at(120_ms)) == Chrono{100000, 80000, 0});
  h.recv(at(140_ms), ACK, kPeerIss + 1, kIss + 1 + 10000);
  CHECK(chrono(h, at(200_ms)) == Chrono{120000, 80000, 0});
}

// tcp_cwnd_validate()'s "starvation caused by insufficient sender buffer" needs data sent while
// SOCK_NOSPACE is set. Here the write's own in-loop push (tcp_sendmsg_locked(): the full skb is
// the send head -> tcp_push_one(); cwnd 50 gives 25 segments, the skb has 22) sends everything
// before the copy loop finds no room and sets SOCK_NOSPACE, and wait_for_space's tcp_push()
// returns at once without a send head: the sender is busy, never sndbuf-limited. (Before the
// in-loop pushes netsim pushed after setting SOCK_NOSPACE and counted 20 ms sndbuf-limited.)
TEST_CASE("A write whose in-loop push sent everything is busy, not sndbuf-limited") {
  Profile p = Profile::linux_default();
  p.initial_cwnd = 50;
  SocketOptions o;
  o.sndbuf = sock_sndbuf_from(10000);  // 20000, locked
  Harness h(p, o);
  established(h);
  // All of it sent, as two-segment GSO packets (the pacing rate the SYN-ACK set): 24
  // segments were copied before the loop found no room.
  CHECK(h.write(at(20_ms), 100000).size() == 24);
  CHECK(h.last_write.accepted == 35040);
  CHECK(chrono(h, at(40_ms)) == Chrono{20000, 0, 0});
  h.recv(at(60_ms), ACK, kPeerIss + 1, kIss + 1 + 35040);
  CHECK(h.notices() == Lines{"writable"});
  CHECK(chrono(h, at(100_ms)) == Chrono{40000, 0, 0});
}

// Cwnd-limited: the same write with IW10 leaves data unsent; no SNDBUF_LIMITED.
TEST_CASE("A cwnd-limited sender with a full buffer is busy, not sndbuf-limited") {
  SocketOptions o;
  o.sndbuf = sock_sndbuf_from(10000);
  Harness h(Profile::linux_default(), o);
  established(h);
  CHECK(h.write(at(20_ms), 100000).size() == 10);
  CHECK(chrono(h, at(40_ms)) == Chrono{20000, 0, 0});
}
