// Two connections wired back to back without the simulator: every segment one sends reaches
// the other 10 ms later unless a seeded RNG drops it. A 1 MB transfer through 5% loss in both
// directions arrives intact; simultaneous open and simultaneous close end as RFC 9293 says.
// The passive side is created by a ten-line stand-in for a listener.

#include <algorithm>

#include "sim/rng.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

struct Side {
  Profile profile;
  Counters counters;
  std::unique_ptr<Connection> conn;
  std::string received;
  Lines notices;
  Lines transitions;
  ConnContext ctx() { return ConnContext{&profile, &counters}; }
};

class Pair {
 public:
  Pair(uint64_t seed, double loss) : rng_(seed, "pair-loss"), loss_(loss) {}

  Side a, b;  // a: 10.0.0.1:7500, b: 10.0.0.2:20000
  Instant now;
  uint64_t dropped = 0;
  uint64_t delivered = 0;
  Duration delay = 10_ms;
  // Application behaviour.
  Payload a_sends;
  bool a_close_after_send = false;
  bool b_close_on_eof = false;

  // a connects; b is made by the stand-in listener from a's SYN and final ACK.
  void connect_a(Instant t) {
    a.conn = std::make_unique<Connection>(1, ConnKey{kLocal, kRemote}, SocketOptions{}, a.ctx());
    now = t;
    Outbox out;
    a.conn->open_active(t, SeqNum(kIss), out);
    take(out, true);
  }

  // Both open actively (simultaneous open).
  void connect_both(Instant t) {
    a.conn = std::make_unique<Connection>(1, ConnKey{kLocal, kRemote}, SocketOptions{}, a.ctx());
    b.conn = std::make_unique<Connection>(2, ConnKey{kRemote, kLocal}, SocketOptions{}, b.ctx());
    now = t;
    Outbox oa, ob;
    a.conn->open_active(t, SeqNum(kIss), oa);
    b.conn->open_active(t, SeqNum(kPeerIss), ob);
    take(oa, true);
    take(ob, false);
  }

  void close(Side& s, Instant t) {
    run_until(t);
    Outbox out;
    s.conn->close(t, out);
    take(out, &s == &a);
  }

  // Runs events (deliveries and timers, in time order) up to `end`.
  void run_until(Instant end) {
    for (int guard = 0; guard < 5'000'000; ++guard) {
      Instant next = end;
      int which = -1;  // 0: wire, 1: a's timer, 2: b's timer
      if (!wire_.empty() && wire_.front().at <= next) {
        next = wire_.front().at;
        which = 0;
      }
      if (auto d = deadline(a); d && *d < next) {
        next = *d;
        which = 1;
      }
      if (auto d = deadline(b); d && *d < next) {
        next = *d;
        which = 2;
      }
      if (which < 0) break;
      now = next;
      if (which == 0) {
        InFlight f = wire_.front();
        wire_.erase(wire_.begin());
        arrive(f);
      } else {
        Side& s = which == 1 ? a : b;
        Outbox out;
        s.conn->on_timer(now, out);
        take(out, which == 1);
      }
      check_invariants();
    }
    now = std::max(now, end);
  }

  bool released(const Side& s) const { return s.conn && s.conn->released(); }

 private:
  struct InFlight {
    Instant at;
    bool to_b;
    Packet p;
  };

  std::optional<Instant> deadline(const Side& s) const {
    if (!s.conn || s.conn->released()) return std::nullopt;
    return s.conn->next_deadline();
  }

  void check_invariants() {
    for (Side* s : {&a, &b}) {
      if (!s->conn) continue;
      std::string why;
      bool ok = s->conn->check_invariants(&why);
      INFO(why);
      REQUIRE(ok);
    }
  }

  void arrive(const InFlight& f) {
    ++delivered;
    Side& s = f.to_b ? b : a;
    Outbox out;
    if (!s.conn) {
      listen(f.p.tcp, out);
    } else if (!s.conn->released()) {
      s.conn->on_segment(now, f.p.tcp, out);
    }
    take(out, !f.to_b);
  }

  // The stand-in listener of b: a SYN gets a SYN-ACK (b's ISN, every time); the ACK of it
  // creates the connection with what a listener learns, and hands it that segment.
  void listen(const Segment& s, Outbox& out) {
    const uint32_t b_iss = kPeerIss;
    if (s.flags.syn() && !s.flags.ack() && !s.flags.rst()) {
      syn_ = s;
      ++synacks_;
      if (synacks_ == 1) synack_at_ = now;
      Packet p;
      p.src = kRemote.addr;
      p.dst = kLocal.addr;
      p.tcp.src_port = kRemote.port;
      p.tcp.dst_port = kLocal.port;
      p.tcp.seq = SeqNum(b_iss);
      p.tcp.ack = s.seq + 1;
      p.tcp.flags = TcpFlags(TcpFlags::SYN | TcpFlags::ACK);
      p.tcp.window = 65160;  // a Linux peer's SYN-ACK window
      p.tcp.options.mss = b.profile.mss;
      out.packets.push_back(p);
      return;
    }
    if (!syn_ || !s.flags.ack() || s.flags.syn() || s.flags.rst() || s.ack != SeqNum(b_iss + 1)) {
      return;
    }
    Handshake hs;
    hs.iss = SeqNum(b_iss);
    hs.irs = syn_->seq;
    hs.peer_mss = syn_->options.mss.value_or(536);
    hs.peer_window = s.window;
    // Each SYN-ACK past the first answered a resent SYN (num_retrans; no timer: num_timeout 0).
    hs.synack_retrans = static_cast<uint8_t>(std::min(synacks_ - 1, 255));
    if (synacks_ == 1) hs.rtt_sample = now - synack_at_;
    b.conn = std::make_unique<Connection>(2, ConnKey{kRemote, kLocal}, SocketOptions{}, b.ctx());
    b.conn->open_passive(now, hs, State::syn_received, StateCause::rcv_ack, out);
    if (s.seq_len() > 0) b.conn->on_segment(now, s, out);
  }

  void take(Outbox& out, bool from_a) {
    Side& s = from_a ? a : b;
    for (const TraceNote& n : out.trace) {
      if (n.kind == TraceNote::Kind::state) {
        s.transitions.push_back(
            fmt::format("{} -> {} ({})", to_string(n.from), to_string(n.to), to_string(n.cause)));
      }
    }
    for (const Packet& p : out.packets) {
      if (loss_ > 0 && rng_.bernoulli(loss_)) {
        ++dropped;
        continue;
      }
      InFlight f{now + delay, from_a, p};
      auto it = std::upper_bound(wire_.begin(), wire_.end(), f.at,
                                 [](Instant t, const InFlight& x) { return t < x.at; });
      wire_.insert(it, f);
    }
    std::vector<AppNotice> notices = out.notices;
    out.clear();
    for (const AppNotice& n : notices)
      on_notice(s, from_a, n);
  }

  void on_notice(Side& s, bool is_a, const AppNotice& n) {
    static const char* names[] = {"connected", "accepted", "data", "eof", "closed", "error"};
    if (n.kind != AppNotice::Kind::data) {
      std::string line = names[static_cast<int>(n.kind)];
      if (n.kind == AppNotice::Kind::error) line += " " + std::string(to_string(n.error));
      s.notices.push_back(line);
    }
    Outbox out;
    if (n.kind == AppNotice::Kind::data) s.received += std::string(n.data.as_string_view());
    if (is_a && n.kind == AppNotice::Kind::connected && !a_sends.empty()) {
      a.conn->send(now, a_sends, out);
      if (a_close_after_send) a.conn->close(now, out);
    }
    if (!is_a && n.kind == AppNotice::Kind::eof && b_close_on_eof) b.conn->close(now, out);
    if (!out.packets.empty() || !out.notices.empty() || !out.trace.empty()) take(out, is_a);
  }

  Rng rng_;
  double loss_;
  std::vector<InFlight> wire_;
  std::optional<Segment> syn_;
  int synacks_ = 0;
  Instant synack_at_;
};

Payload random_bytes(size_t n, uint64_t seed) {
  Rng r(seed, "payload");
  std::vector<uint8_t> v(n);
  for (auto& x : v)
    x = static_cast<uint8_t>(r.next_u32());
  return Payload(std::move(v));
}

}  // namespace

TEST_CASE("1 MB crosses 5% loss in both directions byte for byte, then both sides close") {
  for (uint64_t seed : {1, 2, 3}) {
    INFO("seed " << seed);
    Pair w(seed, 0.05);
    Payload data = random_bytes(1'000'000, seed);
    w.a_sends = data;
    w.a_close_after_send = true;
    w.b_close_on_eof = true;
    w.connect_a(at(0_s));
    w.run_until(at(2_h));
    CHECK(w.dropped > 0);
    REQUIRE(w.b.received.size() == data.size());
    CHECK(w.b.received == std::string(data.as_string_view()));
    CHECK(w.released(w.a));
    CHECK(w.released(w.b));
    CHECK(w.a.notices == Lines{"connected", "closed"});
    CHECK(w.b.notices == Lines{"eof", "closed"});
    CHECK(w.a.counters.retransmits > 0);
    CHECK(w.a.conn->stats().bytes_sent == 1'000'000);
    CHECK(w.b.conn->stats().bytes_received == 1'000'000);
    // The active closer went through TIME_WAIT, the passive one through LAST_ACK.
    CHECK(w.a.transitions.back() == "TIME_WAIT -> CLOSED (TIME_WAIT expired)");
    CHECK(w.b.transitions.back() == "LAST_ACK -> CLOSED (rcv ACK of FIN)");
  }
}

TEST_CASE("Without loss 1 MB takes slow start then a full window per round trip") {
  Pair w(1, 0.0);
  w.a_sends = random_bytes(1'000'000, 9);
  w.connect_a(at(0_s));
  w.run_until(at(10_s));
  CHECK(w.b.received.size() == 1'000'000);
  CHECK(w.a.counters.retransmits == 0);
  CHECK(w.b.counters.retransmits == 0);
  // The receiver's 65535-byte window bounds throughput: 1 MB needs at least 16 round trips.
  CHECK(w.a.conn->stats().bytes_sent == 1'000'000);
}

TEST_CASE("Simultaneous open and simultaneous close, back to back") {
  Pair w(1, 0.0);
  w.connect_both(at(0_s));
  w.run_until(at(1_s));
  CHECK(w.a.transitions == Lines{"CLOSED -> SYN_SENT (connect)",
                                 "SYN_SENT -> SYN_RECEIVED (rcv SYN)",
                                 "SYN_RECEIVED -> ESTABLISHED (rcv SYN-ACK)"});
  CHECK(w.b.transitions == w.a.transitions);
  CHECK(w.a.notices == Lines{"connected"});
  CHECK(w.b.notices == Lines{"connected"});
  CHECK(w.a.conn->state() == State::established);
  CHECK(w.b.conn->state() == State::established);
  w.close(w.a, at(1_s));
  w.close(w.b, at(1_s));
  w.run_until(at(2_s));
  CHECK(w.a.conn->state() == State::time_wait);
  CHECK(w.b.conn->state() == State::time_wait);
  w.run_until(at(100_s));
  Lines closing{"ESTABLISHED -> FIN_WAIT_1 (close)", "FIN_WAIT_1 -> CLOSING (rcv FIN)",
                "CLOSING -> TIME_WAIT (rcv ACK of FIN)", "TIME_WAIT -> CLOSED (TIME_WAIT expired)"};
  CHECK(Lines(w.a.transitions.begin() + 3, w.a.transitions.end()) == closing);
  CHECK(Lines(w.b.transitions.begin() + 3, w.b.transitions.end()) == closing);
  CHECK(w.released(w.a));
  CHECK(w.released(w.b));
}

TEST_CASE("Echo exchange: request, reply, and a three-segment close") {
  Pair w(1, 0.0);
  w.a_sends = Payload::from_string("Hello,server!");
  w.b_close_on_eof = true;
  w.connect_a(at(0_s));
  w.run_until(at(1_s));
  CHECK(w.b.received == "Hello,server!");
  w.close(w.a, at(1_s));
  w.run_until(at(100_s));
  CHECK(w.released(w.a));
  CHECK(w.released(w.b));
  CHECK(w.b.transitions ==
        Lines{"SYN_RECEIVED -> ESTABLISHED (rcv ACK)", "ESTABLISHED -> CLOSE_WAIT (rcv FIN)",
              "CLOSE_WAIT -> LAST_ACK (close)", "LAST_ACK -> CLOSED (rcv ACK of FIN)"});
}
