// Property test: tens of thousands of random segments (random flags, sequence numbers at and
// around the window edges and far away, random ACK numbers, windows and payloads), timer
// expiries and application commands, fed to a connection starting in every state. After each
// step the connection's invariants hold, it never answers a RST with a RST, and a CLOSED
// connection is released with no timer left.

#include <functional>

#include "sim/rng.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

struct Start {
  const char* name;
  std::function<void(Harness&)> fixture;
  uint32_t rcv_buffer = 131072;
};

void established_with_traffic(Harness& h) {
  established(h);
  h.send(at(20_ms), bytes(6000));
  h.recv(at(21_ms), PSH | ACK, 5010, kIss + 1, 65535, "out of order");
}

// A small receive buffer that an application does not always read.
void established_small_buffer(Harness& h) {
  h.connect(at(0_ms));
  h.recv(at(10_ms), syn_ack());
  REQUIRE(h.state() == State::established);
}

const std::vector<Start> kStarts = {
    {"SYN_SENT", syn_sent},
    {"SYN_RECEIVED", syn_received},
    {"ESTABLISHED", established},
    {"ESTABLISHED with data both ways", established_with_traffic},
    {"FIN_WAIT_1", fin_wait_1},
    {"FIN_WAIT_2", fin_wait_2},
    {"CLOSING", closing},
    {"CLOSE_WAIT", close_wait},
    {"LAST_ACK", last_ack},
    {"TIME_WAIT", time_wait},
    {"ESTABLISHED with a 3000-byte buffer", established_small_buffer, 3000},
};

uint32_t pick(Rng& r, std::initializer_list<uint32_t> near) {
  uint64_t k = r.uniform_int(0, near.size());
  if (k == near.size()) return r.next_u32();
  return *(near.begin() + static_cast<std::ptrdiff_t>(k));
}

Segment random_segment(Rng& r) {
  static const uint8_t kFlagBits[] = {TcpFlags::SYN, TcpFlags::ACK, TcpFlags::FIN, TcpFlags::RST,
                                      TcpFlags::PSH};
  uint8_t flags = 0;
  for (uint8_t f : kFlagBits) {
    if (r.bernoulli(f == TcpFlags::ACK ? 0.8 : 0.2)) flags |= f;
  }
  const uint32_t p = kPeerIss + 1;
  uint32_t seq = pick(r, {p - 1, p, p + 1, p + 12, p + 100, p + 65534, p + 65535, p + 65536,
                          p - 65536, kPeerIss, p + 2000000000u});
  const uint32_t u = kIss + 1;
  uint32_t ack = pick(r, {u - 1, u, u + 1, u + 1460, u + 6000, u + 6001, u - 70000, kIss});
  uint16_t win = static_cast<uint16_t>(pick(r, {0, 1, 536, 1460, 65535}));
  static const size_t kLens[] = {0, 0, 1, 12, 536, 1460, 3000};
  size_t len = kLens[r.uniform_int(0, 6)];
  Segment s = peer_seg(flags, seq, ack, win, bytes(len, 'p'));
  if (r.bernoulli(0.2)) s.options.mss = static_cast<uint16_t>(pick(r, {0, 1, 536, 1460, 9000}));
  return s;
}

void random_command(Harness& h, Rng& r, Instant t) {
  switch (r.uniform_int(0, 5)) {
    case 0:
      h.send(t, bytes(static_cast<size_t>(r.uniform_int(1, 5000)), 's'));
      break;
    case 1:
      h.close(t);
      break;
    case 2:
      h.shutdown(t);
      break;
    case 3:
      h.read(t, static_cast<size_t>(r.uniform_int(1, 4000)));
      break;
    case 4:
      if (r.bernoulli(0.2)) h.abort(t);
      break;
    default: {
      SocketOptions o;
      o.keepalive.enabled = r.bernoulli(0.5);
      o.keepalive.idle = Duration::milliseconds(static_cast<int64_t>(r.uniform_int(1, 3000)));
      o.keepalive.interval = 100_ms;
      o.keepalive.probes = 2;
      o.auto_read = h.opts.auto_read;
      h.c().set_options(t, o);
      break;
    }
  }
}

}  // namespace

TEST_CASE("Random segments, timers and commands in every state keep the invariants") {
  uint64_t segments = 0;
  for (const Start& start : kStarts) {
    for (uint64_t trial = 0; trial < 300; ++trial) {
      INFO(start.name << ", trial " << trial);
      Rng r(trial, start.name);
      SocketOptions o;
      o.auto_read = r.bernoulli(0.7);
      Profile p;
      if (r.bernoulli(0.3)) p.congestion = CongestionAlgo::reno;
      p.rmem.def = start.rcv_buffer;
      Harness h(p, o);
      h.tracing = r.bernoulli(0.5);
      start.fixture(h);
      Instant t = h.now;
      for (int step = 0; step < 60 && !h.c().released(); ++step) {
        t += Duration::milliseconds(static_cast<int64_t>(r.uniform_int(0, 400)));
        for (int n = 0; n < 50 && h.deadline() && *h.deadline() <= t && !h.c().released(); ++n) {
          h.fire();
        }
        if (h.c().released()) break;
        if (r.bernoulli(0.85)) {
          Segment s = random_segment(r);
          ++segments;
          h.recv(t, s);
          if (s.flags.rst()) {
            for (const Packet& out : h.out.packets)
              CHECK_FALSE(out.tcp.flags.rst());
          }
        } else {
          random_command(h, r, t);
        }
        if (h.state() == State::closed) {
          CHECK(h.c().released());
          CHECK_FALSE(h.deadline().has_value());
        }
        // Everything sent belongs to this connection's 4-tuple.
        for (const Packet& out : h.out.packets) {
          CHECK(out.src == kLocal.addr);
          CHECK(out.tcp.src_port == kLocal.port);
          CHECK(out.tcp.dst_port == kRemote.port);
        }
      }
    }
  }
  CHECK(segments > 30000);
}

TEST_CASE("A released connection ignores everything") {
  Harness h;
  established(h);
  h.abort(at(20_ms));
  REQUIRE(h.c().released());
  CHECK(h.recv(at(30_ms), ACK, kPeerIss + 1, kIss + 1, 65535, "x").empty());
  CHECK(h.tick(at(40_ms)).empty());
  CHECK(h.close(at(50_ms)).empty());
  CHECK(h.abort(at(50_ms)).empty());
  CHECK(h.notices().empty());
}
