// A tiny sans-IO test bench for one Connection (smoltcp's test style): feed a segment, a timer
// or a command at a virtual time and get back exactly what came out, as compact strings
// ("S. seq 5000 ack 1001 win 64240 mss 1460"), plus chained fixtures that bring the
// connection into each RFC 9293 state. No simulator, no Stack.
#pragma once

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "protocols/tcp/connection.hpp"
#include "sim/trace_text.hpp"

namespace conntest {

using namespace netsim;
using namespace netsim::tcp;
using namespace netsim::literals;

inline constexpr uint32_t kIss = 1000;          // our ISN
inline constexpr uint32_t kPeerIss = 5000;      // the peer's ISN
inline constexpr uint32_t kTsOff = 0x2c0ffee5;  // our TSval offset (a stack's ts_offset())
inline const SocketAddr kLocal{Ipv4Addr{0x0A000001}, 7500};
inline const SocketAddr kRemote{Ipv4Addr{0x0A000002}, 20000};

inline Instant at(Duration d) {
  return Instant::zero() + d;
}

// "<flags> seq S[:E] [ack A] win W [mss M] [rtx N]": every field a test needs to pin down.
inline std::string describe(const Packet& p) {
  const Segment& s = p.tcp;
  std::string r = fmt::format("{} seq {}", s.flags.to_string(), s.seq.raw());
  if (!s.payload.empty()) r += fmt::format(":{}", (s.seq + s.payload.size()).raw());
  if (s.flags.ack()) r += fmt::format(" ack {}", s.ack.raw());
  r += fmt::format(" win {}", s.window);
  if (s.options.mss) r += fmt::format(" mss {}", *s.options.mss);
  if (p.retransmission > 0) r += fmt::format(" rtx {}", p.retransmission);
  return r;
}

inline std::vector<std::string> describe(const Outbox& o) {
  std::vector<std::string> v;
  for (const Packet& p : o.packets)
    v.push_back(describe(p));
  return v;
}

using Lines = std::vector<std::string>;

inline Segment peer_seg(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win = 65535,
                        std::string_view payload = {}) {
  Segment s;
  s.src_port = kRemote.port;
  s.dst_port = kLocal.port;
  s.seq = SeqNum(seq);
  s.ack = SeqNum(ack);
  s.flags = TcpFlags(flags);
  s.window = win;
  if (!payload.empty()) s.payload = Payload::from_string(payload);
  return s;
}

inline std::string bytes(size_t n, char c = 'x') {
  return std::string(n, c);
}

constexpr uint8_t SYN = TcpFlags::SYN, ACK = TcpFlags::ACK, FIN = TcpFlags::FIN,
                  RST = TcpFlags::RST, PSH = TcpFlags::PSH;

// One connection with its context. Not movable: the connection points into it.
class Harness {
 public:
  explicit Harness(Profile p = Profile::linux_default(), SocketOptions o = {})
      : profile(p), opts(o) {
    conn = std::make_unique<Connection>(1, ConnKey{kLocal, kRemote}, opts,
                                        ConnContext{&profile, &counters});
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;
  // Every state change the test caused is an edge of the transition table (transitions.hpp).
  ~Harness() { CHECK(counters.illegal_transitions == 0); }

  Profile profile;
  Counters counters;
  bool tracing = true;
  SocketOptions opts;
  std::unique_ptr<Connection> conn;
  Outbox out;  // what the last call produced
  Outbox all;  // everything since the start (notices and trace accumulate)
  Instant now;

  Connection& c() { return *conn; }
  State state() const { return conn->state(); }
  std::optional<Instant> deadline() const { return conn->next_deadline(); }

  Lines connect(Instant t, uint32_t iss = kIss) {
    return run(t, [&] { conn->open_active(t, SeqNum(iss), out, kTsOff); });
  }
  Lines accept(Instant t, const Handshake& hs, State from = State::syn_received,
               StateCause cause = StateCause::rcv_ack) {
    return run(t, [&] { conn->open_passive(t, hs, from, cause, out); });
  }
  Lines recv(Instant t, const Segment& s) {
    return run(t, [&] { conn->on_segment(t, s, out); });
  }
  Lines recv(Instant t, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win = 65535,
             std::string_view payload = {}) {
    return recv(t, peer_seg(flags, seq, ack, win, payload));
  }
  Lines tick(Instant t) {
    return run(t, [&] { conn->on_timer(t, out); });
  }
  // on_timer() exactly at the next deadline.
  Lines fire() {
    REQUIRE(deadline().has_value());
    return tick(*deadline());
  }
  Lines send(Instant t, std::string_view data, uint32_t flags = 0) {
    return run(t, [&] { last_error = conn->send(t, Payload::from_string(data), out, flags); });
  }
  // The bounded write (Connection::write()) of `n` bytes; its result in last_write.
  Lines write(Instant t, size_t n, uint32_t flags = 0) {
    return run(
        t, [&] { last_write = conn->write(t, Payload(std::vector<uint8_t>(n, 'w')), out, flags); });
  }
  Lines close(Instant t) {
    return run(t, [&] { conn->close(t, out); });
  }
  Lines shutdown(Instant t) {
    return run(t, [&] { conn->shutdown_write(t, out); });
  }
  Lines abort(Instant t) {
    return run(t, [&] { conn->abort(t, out); });
  }
  Payload read(Instant t, size_t n) {
    Payload p;
    run(t, [&] { p = conn->read(t, n, out); });
    return p;
  }

  // Notices of the last call, as "kind" or "kind ERROR" or "data N".
  Lines notices() const { return notice_lines(out); }
  Lines all_notices() const { return notice_lines(all); }
  // State changes of the last call: "SYN_SENT -> ESTABLISHED (rcv SYN-ACK)".
  Lines transitions() const { return transition_lines(out); }
  Lines all_transitions() const { return transition_lines(all); }
  // Timer notes of the last call: "rto 1: retransmit seq 1001, backoff 1, rto 400ms".
  Lines timers() const {
    Lines v;
    for (const TraceNote& n : out.trace) {
      if (n.kind == TraceNote::Kind::timer) {
        v.push_back(fmt::format("{} {}: {}", to_string(n.fired.timer), n.fired.attempt,
                                timer_detail(n.fired)));
      }
    }
    return v;
  }
  // All payload bytes delivered with `data` notices so far.
  std::string received() const {
    std::string s;
    for (const AppNotice& n : all.notices) {
      if (n.kind == AppNotice::Kind::data) s += std::string(n.data.as_string_view());
    }
    return s;
  }

  SocketError last_error = SocketError::none;
  SendResult last_write;

 private:
  template <typename F>
  Lines run(Instant t, F&& f) {
    now = t;
    out.clear();
    out.tracing = tracing;
    f();
    std::string why;
    bool ok = conn->check_invariants(&why);
    INFO("invariant: " << why);
    CHECK(ok);
    for (const Packet& p : out.packets)
      all.packets.push_back(p);
    for (const AppNotice& n : out.notices)
      all.notices.push_back(n);
    for (const TraceNote& n : out.trace)
      all.trace.push_back(n);
    return describe(out);
  }
  static Lines notice_lines(const Outbox& o) {
    Lines v;
    static const char* names[] = {"connected", "accepted", "data",    "eof",
                                  "closed",    "error",    "writable"};
    for (const AppNotice& n : o.notices) {
      std::string s = names[static_cast<int>(n.kind)];
      if (n.kind == AppNotice::Kind::error) s += " " + std::string(to_string(n.error));
      if (n.kind == AppNotice::Kind::data) s += " " + std::to_string(n.data.size());
      v.push_back(s);
    }
    return v;
  }
  static Lines transition_lines(const Outbox& o) {
    Lines v;
    for (const TraceNote& n : o.trace) {
      if (n.kind == TraceNote::Kind::state) {
        v.push_back(
            fmt::format("{} -> {} ({})", to_string(n.from), to_string(n.to), to_string(n.cause)));
      }
    }
    return v;
  }
};

// Linux's defaults for the data path, timestamps and window scaling left off so the segments
// read as the other tests' (1460-byte MSS, unscaled windows).
inline Profile sack_profile() {
  Profile p;
  p.sack = true;
  p.dsack = true;
  p.recovery = 1;
  p.early_retrans = 3;
  p.frto = 2;
  p.congestion = CongestionAlgo::cubic;
  return p;
}

// An ACK of the peer with SACK blocks {left, right}.
inline Segment ack_with_sack(uint32_t ack, std::vector<std::pair<uint32_t, uint32_t>> blocks) {
  Segment s = peer_seg(ACK, kPeerIss + 1, ack);
  for (auto [l, r] : blocks)
    s.options.sack.push_back(netsim::SackBlock{SeqNum(l), SeqNum(r)});
  return s;
}

inline Segment syn_ack(uint16_t win = 65535, uint16_t mss = 1460) {
  Segment s = peer_seg(SYN | ACK, kPeerIss, kIss + 1, win);
  s.options.mss = mss;
  return s;
}

// ---- chained fixtures: each brings the harness one step further, checking what it sent ----

// t=0: SYN out.
inline void syn_sent(Harness& h) {
  REQUIRE(h.connect(at(0_ms)) == Lines{"S seq 1000 win 64240 mss 1460"});
  REQUIRE(h.state() == State::syn_sent);
}

// t=10ms: the SYN-ACK arrives (RTT 10 ms, so RTO = 10 ms + 200 ms = 52.5 jiffies at HZ 250,
// which usecs_to_jiffies() rounds up to 53 = 212 ms), our ACK goes out.
inline void established(Harness& h) {
  syn_sent(h);
  REQUIRE(h.recv(at(10_ms), syn_ack()) == Lines{". seq 1001 ack 5001 win 64240"});
  REQUIRE(h.state() == State::established);
}

// Simultaneous open: the peer's SYN crosses ours; we answer SYN-ACK with our ISN.
// SYN at 0, the peer's SYN-ACK offering SACK after one `rtt`: the handshake's RTT sample.
// For profiles with SACK but neither timestamps nor window scaling (the ACK's bare window).
inline void established_sack(Harness& h, Duration rtt) {
  REQUIRE(h.connect(at(0_ms)) == Lines{"S seq 1000 win 64240 mss 1460"});
  Segment s = syn_ack();
  s.options.sack_permitted = true;
  REQUIRE(h.recv(at(rtt), s) == Lines{". seq 1001 ack 5001 win 64240"});
  REQUIRE(h.state() == State::established);
}

inline void syn_received(Harness& h) {
  syn_sent(h);
  Segment syn = peer_seg(SYN, kPeerIss, 0, 65535);
  syn.options.mss = 1460;
  REQUIRE(h.recv(at(5_ms), syn) == Lines{"S. seq 1000 ack 5001 win 64240 mss 1460"});
  REQUIRE(h.state() == State::syn_received);
}

// t=100ms: close(), our FIN (seq 1001) goes out.
inline void fin_wait_1(Harness& h) {
  established(h);
  REQUIRE(h.close(at(100_ms)) == Lines{"F. seq 1001 ack 5001 win 64240"});
  REQUIRE(h.state() == State::fin_wait_1);
}

// t=110ms: the peer ACKs our FIN.
inline void fin_wait_2(Harness& h) {
  fin_wait_1(h);
  REQUIRE(h.recv(at(110_ms), ACK, kPeerIss + 1, kIss + 2).empty());
  REQUIRE(h.state() == State::fin_wait_2);
}

// t=120ms: the peer's FIN, ACKed at once; TIME_WAIT until 60.12 s.
inline void time_wait(Harness& h) {
  fin_wait_2(h);
  REQUIRE(h.recv(at(120_ms), FIN | ACK, kPeerIss + 1, kIss + 2) ==
          Lines{". seq 1002 ack 5002 win 64239"});
  REQUIRE(h.state() == State::time_wait);
}

// t=110ms: the peer's FIN crosses ours (simultaneous close): ACK at once, CLOSING.
inline void closing(Harness& h) {
  fin_wait_1(h);
  REQUIRE(h.recv(at(110_ms), FIN | ACK, kPeerIss + 1, kIss + 1) ==
          Lines{". seq 1002 ack 5002 win 64239"});
  REQUIRE(h.state() == State::closing);
}

// t=100ms: the peer closes first. No data was received, so the ACK is delayed by 0 (ato = 0):
// its deadline is now and it goes when the timer runs.
inline void close_wait(Harness& h) {
  established(h);
  REQUIRE(h.recv(at(100_ms), FIN | ACK, kPeerIss + 1, kIss + 1).empty());
  REQUIRE(h.state() == State::close_wait);
}

// t=100ms: the application closes at once; FIN+ACK carries the pending ACK.
inline void last_ack(Harness& h) {
  close_wait(h);
  REQUIRE(h.close(at(100_ms)) == Lines{"F. seq 1001 ack 5002 win 64239"});
  REQUIRE(h.state() == State::last_ack);
}

}  // namespace conntest
