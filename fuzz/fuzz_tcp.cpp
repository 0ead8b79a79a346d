// Fuzz target 2: the sans-IO TCP core. The input decodes into a configuration and a sequence of
// (time step, segment | application command | timer) fed to one endpoint: either a single
// Connection (opened actively or passively) or a whole Stack (a listener with its SYN queue and
// cookies, plus an active connection). After every call the target asserts:
//   - Connection::check_invariants() (SND.UNA <= SND.NXT, window and buffer accounting);
//   - no RST is answered with a RST (RFC 9293 §3.10.7.1: "an incoming segment containing a RST
//     is discarded", never answered);
//   - nothing is scheduled in the past: next_deadline() >= now;
//   - a released (CLOSED) connection keeps no timer; what it sends carries its own 4-tuple;
//   - timers make progress: one instant cannot fire a timer without end.
// Segments are built relative to a small model of the peer (the last ACK we sent, the highest
// sequence we sent, the window we advertised), so the fuzzer reaches every state quickly.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "protocols/tcp/connection.hpp"
#include "protocols/tcp/stack.hpp"
#include "sim/rng.hpp"

namespace {

using namespace netsim;
using namespace netsim::tcp;
using netsim::fuzz::ByteReader;

const Ipv4Addr kLocalIp{0x0A000001};   // 10.0.0.1: the endpoint under test
const Ipv4Addr kRemoteIp{0x0A000002};  // 10.0.0.2
const Ipv4Addr kOtherIp{0x0A000003};   // 10.0.0.3: a second peer in Stack mode
constexpr int kMaxSteps = 4000;
// On_timer() calls allowed at one instant before it counts as a livelock.
constexpr int kMaxFiringsPerInstant = 1000;
// On_timer() calls per input. A periodic timer is legitimate work, not a hang: keepalive with a
// 1 ms idle (scenarios accept sub-second values) re-arms every 1 ms while data is in flight
// (tcp_keepalive_timer() "resched"), so an input that stalls a transfer for 800 virtual seconds
// fires it 800,000 times. Past the budget the input ends; what ran was checked. 5000 is well
// above what the seeds need (4000 steps at most) and keeps such inputs at ~0.15 s under ASan;
// 50,000 let mutations of the keepalive seed take 1.5 s each and cut the rate 30-fold.
constexpr int kMaxFiringsPerInput = 5000;

// A time step: up to 63 units of 1 us, 1 ms, 134 ms or 8.6 s.
Duration time_step(uint8_t b) {
  static constexpr int kShift[] = {10, 20, 27, 33};
  return Duration::nanoseconds(int64_t{b & 63} << kShift[b >> 6]);
}

size_t payload_length(ByteReader& r) {
  uint8_t b = r.u8();
  if (b < 128) return 0;
  if (b < 192) return b - 127u;
  static constexpr size_t kSizes[] = {100, 536, 1000, 1460, 1461, 3000, 8192, 65000};
  return kSizes[b & 7];
}

Payload filler(size_t n, char c) {
  return Payload(std::vector<uint8_t>(n, static_cast<uint8_t>(c)));
}

// What the peer knows about one connection, learned from what the endpoint sent.
struct PeerView {
  SeqNum peer_nxt;      // the next sequence number the endpoint expects (its last ACK)
  SeqNum our_nxt;       // one past the highest sequence number the endpoint sent
  uint32_t window = 0;  // the endpoint's last advertised window
  bool seen = false;

  void learn(const Segment& s) {
    SeqNum end = s.seq + s.seq_len();
    if (!seen || end > our_nxt) our_nxt = end;
    if (s.flags.ack()) peer_nxt = s.ack;
    window = s.window;
    seen = true;
  }
};

SeqNum pick_seq(ByteReader& r, const PeerView& v) {
  uint8_t mode = r.u8();
  switch (mode & 7) {
    case 0:
      return v.peer_nxt + static_cast<uint32_t>(static_cast<int8_t>(r.u8()));
    case 1:
      return v.peer_nxt + r.u16();
    case 2:
      return v.peer_nxt - r.u16();
    case 3:
      return SeqNum(r.u32());
    case 4:  // at the right edge of the advertised window
      return v.peer_nxt + v.window + static_cast<uint32_t>(static_cast<int8_t>(r.u8()));
    default:
      return v.peer_nxt;
  }
}

SeqNum pick_ack(ByteReader& r, const PeerView& v) {
  uint8_t mode = r.u8();
  switch (mode & 7) {
    case 0:
      return v.our_nxt + static_cast<uint32_t>(static_cast<int8_t>(r.u8()));
    case 1:
      return v.our_nxt - r.u16();
    case 2:
      return SeqNum(r.u32());
    default:
      return v.our_nxt;
  }
}

TcpOptions pick_options(ByteReader& r, const PeerView& v) {
  TcpOptions o;
  uint8_t which = r.u8();
  if (which & 1) o.mss = r.u16();
  if (which & 2) o.window_scale = r.u8();
  if (which & 4) o.sack_permitted = true;
  if (which & 8) o.timestamps = std::pair{r.u32(), r.u32()};
  if (which & 16) {
    size_t n = 1 + r.below(4);
    for (size_t i = 0; i < n; ++i) {
      SeqNum left = v.our_nxt - r.u16();
      o.sack.push_back({left, left + r.u16()});
    }
  }
  return o;
}

Segment pick_segment(ByteReader& r, const PeerView& v, uint16_t src_port, uint16_t dst_port) {
  Segment s;
  s.src_port = src_port;
  s.dst_port = dst_port;
  s.flags = TcpFlags(r.u8());
  s.seq = pick_seq(r, v);
  s.ack = pick_ack(r, v);
  uint8_t w = r.u8();
  static constexpr uint16_t kWindows[] = {0, 1, 536, 1460, 65535, 65535, 29200};
  s.window = (w & 7) == 7 ? r.u16() : kWindows[w & 7];
  if (s.flags.urg()) s.urgent = r.u16();
  if (r.u8() & 1) s.options = pick_options(r, v);
  s.payload = filler(payload_length(r), 'p');
  return s;
}

SocketOptions pick_socket_options(ByteReader& r) {
  SocketOptions o;
  uint8_t b = r.u8();
  o.auto_read = !(b & 1);
  o.linger_zero = (b & 2) != 0;
  if (b & 4) {
    o.keepalive.enabled = true;
    o.keepalive.idle = Duration::milliseconds(1 + r.u8() * 40);
    o.keepalive.interval = Duration::milliseconds(1 + r.u8() * 10);
    o.keepalive.probes = 1 + r.below(9);
  }
  if (b & 8) o.syn_count = 1 + static_cast<int>(r.below(6));
  return o;
}

Profile pick_profile(ByteReader& r) {
  uint8_t b = r.u8();
  Profile p = (b & 1) ? Profile::rfc9293() : Profile::linux_default();
  static constexpr CongestionAlgo kCc[] = {CongestionAlgo::newreno, CongestionAlgo::reno,
                                           CongestionAlgo::none, CongestionAlgo::newreno};
  p.congestion = kCc[(b >> 1) & 3];
  if (b & 8) p.rmem.def = 3000;
  static constexpr uint16_t kMss[] = {1460, 536, 88, 9000};
  p.mss = kMss[(b >> 4) & 3];
  if (b & 64) p.delayed_ack = Duration::zero();
  p.syncookies = static_cast<int>(r.below(3));
  static constexpr int kBacklog[] = {1, 2, 8, 128};
  p.max_syn_backlog = kBacklog[r.below(4)];
  p.synack_retries = static_cast<int>(r.below(6));
  return p;
}

// FUZZ_TCP_TRACE=1 prints every input and output: for reading a finding or checking a seed.
bool verbose() {
  static const bool on = std::getenv("FUZZ_TCP_TRACE") != nullptr;
  return on;
}

void trace_call(Instant now, const Segment* input, const Outbox& out, std::string_view state) {
  if (!verbose()) return;
  std::string in =
      input ? fmt::format("in {} seq {} ack {} win {} len {}", input->flags.to_string(),
                          input->seq.raw(), input->ack.raw(), input->window, input->payload.size())
            : "call";
  std::fprintf(stderr, "%12.6f %s -> %s\n", static_cast<double>(now.ns()) / 1e9, in.c_str(),
               std::string(state).c_str());
  for (const Packet& p : out.packets)
    std::fprintf(stderr, "             out %s\n", format_tcpdump(p).c_str());
}

void check_replies(const Segment* input, const Outbox& out) {
  if (input == nullptr || !input->flags.rst()) return;
  for (const Packet& p : out.packets) {
    FUZZ_CHECK(!p.tcp.flags.rst(), "a RST answered with a RST: " + format_tcpdump(p));
  }
}

// ---- one Connection -----------------------------------------------------------------------

class ConnectionDriver {
 public:
  // Members are initialised in declaration order: the profile is read before the options.
  explicit ConnectionDriver(ByteReader& r)
      : r_(r), profile_(pick_profile(r)), opts_(pick_socket_options(r)) {
    tracing_ = (r.u8() & 1) != 0;
    conn_ = std::make_unique<Connection>(1, key_, opts_, ConnContext{&profile_, &counters_});
  }

  void run() {
    open();
    for (int step = 0;
         step < kMaxSteps && !r_.empty() && !conn_->released() && firings_ < kMaxFiringsPerInput;
         ++step) {
      uint8_t op = r_.u8();
      if ((op & 3) == 3) {  // jump to the next timer
        if (auto d = conn_->next_deadline()) fire_due(*d);
        continue;
      }
      fire_due(now_ + time_step(r_.u8()));
      if (conn_->released()) break;
      if ((op & 3) == 2) {
        command();
      } else {
        Segment s = pick_segment(r_, view_, key_.remote.port, key_.local.port);
        call([&](Outbox& out) { conn_->on_segment(now_, s, out); }, &s);
      }
    }
  }

 private:
  void open() {
    if (r_.u8() & 1) {
      SeqNum iss(r_.u32());
      view_.peer_nxt = SeqNum(r_.u32());  // the peer's ISN; its SYN-ACK carries it
      call([&](Outbox& out) { conn_->open_active(now_, iss, out); }, nullptr);
      return;
    }
    Handshake hs;
    hs.iss = SeqNum(r_.u32());
    hs.irs = SeqNum(r_.u32());
    hs.peer_mss = r_.u16();
    hs.peer_window = r_.u16();
    uint8_t b = r_.u8();
    hs.synack_retrans = (b & 1) ? static_cast<uint8_t>(1 + (b >> 4)) : 0;
    hs.synack_timed_out = (b & 8) != 0;
    hs.synack_sent = now_;
    if (b & 2) hs.rtt_sample = Duration::microseconds(r_.u16() * 16);
    State from = (b & 4) ? State::listen : State::syn_received;
    view_.peer_nxt = hs.irs + 1;
    view_.our_nxt = hs.iss + 1;
    view_.window = hs.peer_window;
    StateCause cause = from == State::listen ? StateCause::rcv_ack_cookie : StateCause::rcv_ack;
    call([&](Outbox& out) { conn_->open_passive(now_, hs, from, cause, out); }, nullptr);
  }

  void command() {
    switch (r_.u8() % 7) {
      case 0: {
        size_t n = payload_length(r_);
        call([&](Outbox& out) { (void)conn_->send(now_, filler(n == 0 ? 1 : n, 's'), out); });
        break;
      }
      case 1:
        call([&](Outbox& out) { conn_->close(now_, out); });
        break;
      case 2:
        call([&](Outbox& out) { conn_->shutdown_write(now_, out); });
        break;
      case 3: {
        size_t n = r_.u16();
        call([&](Outbox& out) { (void)conn_->read(now_, n, out); });
        break;
      }
      case 4:
        call([&](Outbox& out) { conn_->abort(now_, out); });
        break;
      case 5: {
        SocketOptions o = pick_socket_options(r_);
        call([&](Outbox&) { conn_->set_options(now_, o); });
        break;
      }
      case 6: {  // the bounded write of a blocking or non-blocking send(): partial, EAGAIN
        size_t n = payload_length(r_);
        call([&](Outbox& out) { (void)conn_->write(now_, filler(n == 0 ? 1 : n, 'w'), out); });
        break;
      }
      default:
        break;
    }
  }

  // Fires every timer due up to `until`, each at its own deadline, then sets the clock there.
  void fire_due(Instant until) {
    Instant last = now_;
    int same_instant = 0;
    while (!conn_->released()) {
      auto d = conn_->next_deadline();
      if (!d || *d > until) break;
      same_instant = *d == last ? same_instant + 1 : 0;
      FUZZ_CHECK(same_instant < kMaxFiringsPerInstant,
                 fmt::format("timer livelock at {} ns in {}", d->ns(), to_string(conn_->state())));
      if (++firings_ > kMaxFiringsPerInput) return;
      last = *d;
      now_ = *d;
      call([&](Outbox& out) { conn_->on_timer(now_, out); });
    }
    if (until > now_) now_ = until;
  }

  template <typename F>
  void call(F&& f, const Segment* input = nullptr) {
    out_.clear();
    out_.tracing = tracing_;
    f(out_);
    trace_call(now_, input, out_, to_string(conn_->state()));
    std::string why;
    FUZZ_CHECK(conn_->check_invariants(&why),
               fmt::format("{} in {}", why, to_string(conn_->state())));
    auto d = conn_->next_deadline();
    FUZZ_CHECK(!d || *d >= now_, fmt::format("deadline {} ns before now {} ns in {}", d->ns(),
                                             now_.ns(), to_string(conn_->state())));
    if (conn_->released()) FUZZ_CHECK(!d, "a released connection keeps a timer");
    check_replies(input, out_);
    for (const Packet& p : out_.packets) {
      FUZZ_CHECK(p.src == key_.local.addr && p.dst == key_.remote.addr &&
                     p.tcp.src_port == key_.local.port && p.tcp.dst_port == key_.remote.port,
                 "a packet outside the connection's 4-tuple: " + format_tcpdump(p));
      view_.learn(p.tcp);
    }
  }

  ByteReader& r_;
  Profile profile_;
  SocketOptions opts_;
  Counters counters_;
  bool tracing_ = false;
  ConnKey key_{{kLocalIp, 7500}, {kRemoteIp, 20000}};
  std::unique_ptr<Connection> conn_;
  Outbox out_;
  PeerView view_;
  Instant now_;
  int firings_ = 0;
};

// ---- a whole Stack ------------------------------------------------------------------------

class StackDriver {
 public:
  // The profile is read before the seed (arguments would be read in an unspecified order).
  StackDriver(ByteReader& r, Profile profile)
      : r_(r), stack_({kLocalIp}, profile, Rng(r.u32(), "fuzz")) {
    stack_.set_tracing((r.u8() & 1) != 0);
  }

  void run() {
    static constexpr int kBacklog[] = {1, 2, 5, 128};
    SocketOptions lo = pick_socket_options(r_);
    call([&](Outbox& out) { remember(stack_.listen(80, kBacklog[r_.below(4)], lo, out).id); });
    if (r_.u8() & 1) {
      SocketOptions co = pick_socket_options(r_);
      call([&](Outbox& out) {
        remember(stack_.connect(now_, {kRemoteIp, 20000}, 40000, co, out).id);
      });
    }
    for (int step = 0; step < kMaxSteps && !r_.empty() && firings_ < kMaxFiringsPerInput; ++step) {
      uint8_t op = r_.u8();
      if ((op & 3) == 3) {
        if (auto next = next_timer()) fire_due(next->second);
        continue;
      }
      fire_due(now_ + time_step(r_.u8()));
      if ((op & 3) == 2) {
        command();
      } else {
        segment();
      }
    }
  }

 private:
  void segment() {
    static const Ipv4Addr kFrom[] = {kRemoteIp, kRemoteIp, kOtherIp, kRemoteIp};
    static constexpr uint16_t kFromPort[] = {20000, 20001, 20002, 33000};
    static constexpr uint16_t kToPort[] = {80, 80, 40000, 81};
    uint8_t b = r_.u8();
    Packet p;
    p.src = kFrom[b & 3];
    p.dst = kLocalIp;
    uint16_t from_port = kFromPort[(b >> 2) & 3];
    uint16_t to_port = kToPort[(b >> 4) & 3];
    PeerView& v = views_[{p.src.value, from_port, to_port}];
    p.tcp = pick_segment(r_, v, from_port, to_port);
    call([&](Outbox& out) { stack_.on_packet(now_, p, out); }, &p.tcp);
  }

  void command() {
    uint8_t b = r_.u8();
    SocketId s = sockets_.empty() ? kNoSocket
                                  : *std::next(sockets_.begin(),
                                               r_.below(static_cast<uint32_t>(sockets_.size())));
    switch (b % 9) {
      case 0:
        call([&](Outbox& out) {
          if (auto c = stack_.accept(s, out)) remember(*c);
        });
        break;
      case 1: {
        size_t n = payload_length(r_);
        call([&](Outbox& out) { (void)stack_.send(now_, s, filler(n == 0 ? 1 : n, 's'), out); });
        break;
      }
      case 2:
        call([&](Outbox& out) { stack_.close(now_, s, out); });
        break;
      case 3:
        call([&](Outbox& out) { stack_.shutdown_write(now_, s, out); });
        break;
      case 4: {
        size_t n = r_.u16();
        call([&](Outbox& out) { (void)stack_.read(now_, s, n, out); });
        break;
      }
      case 5:
        call([&](Outbox& out) { stack_.abort(now_, s, out); });
        break;
      case 6: {
        SocketOptions o = pick_socket_options(r_);
        call([&](Outbox&) { stack_.set_options(now_, s, o); });
        break;
      }
      case 7: {
        SocketOptions o = pick_socket_options(r_);
        uint16_t port = (r_.u8() & 1) ? 40000 : 0;
        call([&](Outbox& out) {
          remember(stack_
                       .connect(now_, {kRemoteIp, 20000},
                                port ? std::optional<uint16_t>(port) : std::nullopt, o, out)
                       .id);
        });
        break;
      }
      default: {
        uint8_t x = r_.u8() & 15;
        if (x == 0) {
          call([&](Outbox&) { stack_.crash(); });
        } else if (x == 1) {  // the bounded write (send buffer): partial, EAGAIN
          size_t n = payload_length(r_);
          call([&](Outbox& out) { (void)stack_.write(now_, s, filler(n == 0 ? 1 : n, 'w'), out); });
        }
        break;
      }
    }
  }

  void remember(SocketId id) {
    if (id != kNoSocket) sockets_.insert(id);
  }

  // The socket with the earliest deadline (ties: the lowest id, as a driver would keep them).
  std::optional<std::pair<SocketId, Instant>> next_timer() const {
    std::optional<std::pair<SocketId, Instant>> best;
    for (SocketId s : sockets_) {
      auto d = stack_.next_deadline(s);
      if (d && (!best || *d < best->second)) best = std::pair{s, *d};
    }
    return best;
  }

  void fire_due(Instant until) {
    Instant last = now_;
    int same_instant = 0;
    while (auto next = next_timer()) {
      if (next->second > until) break;
      same_instant = next->second == last ? same_instant + 1 : 0;
      FUZZ_CHECK(
          same_instant < kMaxFiringsPerInstant,
          fmt::format("timer livelock at {} ns on socket {}", next->second.ns(), next->first));
      if (++firings_ > kMaxFiringsPerInput) return;
      last = next->second;
      now_ = next->second;
      call([&](Outbox& out) { stack_.on_timer(now_, next->first, out); });
    }
    if (until > now_) now_ = until;
  }

  template <typename F>
  void call(F&& f, const Segment* input = nullptr) {
    out_.clear();
    f(out_);
    trace_call(now_, input, out_, fmt::format("{} sockets", sockets_.size()));
    check_replies(input, out_);
    for (SocketId s : out_.touched)
      remember(s);
    for (const AppNotice& n : out_.notices) {
      remember(n.socket);
      remember(n.child);
    }
    for (auto it = sockets_.begin(); it != sockets_.end();) {
      auto d = stack_.next_deadline(*it);
      FUZZ_CHECK(!d || *d >= now_, fmt::format("socket {}: deadline {} ns before now {} ns", *it,
                                               d->ns(), now_.ns()));
      it = (!d && !stack_.exists(*it)) ? sockets_.erase(it) : std::next(it);
    }
    for (const Packet& p : out_.packets) {
      FUZZ_CHECK(p.src == kLocalIp, "a packet from a foreign address: " + format_tcpdump(p));
      views_[{p.dst.value, p.tcp.dst_port, p.tcp.src_port}].learn(p.tcp);
    }
  }

  ByteReader& r_;
  Stack stack_;
  std::set<SocketId> sockets_;
  std::map<std::tuple<uint32_t, uint16_t, uint16_t>, PeerView> views_;
  Outbox out_;
  Instant now_;
  int firings_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader r({data, size});
  if (r.u8() & 1) {
    Profile p = pick_profile(r);
    StackDriver(r, p).run();
  } else {
    ConnectionDriver(r).run();
  }
  return 0;
}
