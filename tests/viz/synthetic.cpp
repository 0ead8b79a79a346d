// Hand-built traces for the diagram tests; see synthetic.hpp. Timings follow the scenarios they
// imitate: a 5 ms one-way link, Linux's 1 s initial RTO, 60 s TIME_WAIT.
#include "synthetic.hpp"

#include <algorithm>

namespace netsim::viz::testing {

using namespace netsim::literals;

namespace {
constexpr uint8_t S = TcpFlags::SYN, A = TcpFlags::ACK, F = TcpFlags::FIN, P = TcpFlags::PSH,
                  R = TcpFlags::RST;
Instant at(Duration d) {
  return Instant::zero() + d;
}
SocketAddr addr(const char* ip, uint16_t port) {
  return {*Ipv4Addr::parse(ip), port};
}
}  // namespace

Packet TraceBuilder::packet(const Endpoint& from, const Endpoint& to, uint8_t flags, uint32_t seq,
                            uint32_t ack, std::string payload, uint16_t retransmission) {
  Packet p;
  p.src = from.addr.addr;
  p.dst = to.addr.addr;
  p.tcp.src_port = from.addr.port;
  p.tcp.dst_port = to.addr.port;
  p.tcp.flags = TcpFlags(flags);
  p.tcp.seq = SeqNum(seq);
  p.tcp.ack = SeqNum(ack);
  p.tcp.window = 64240;
  if (flags & S) p.tcp.options.mss = 1460;
  p.tcp.payload = Payload::from_string(payload);
  p.retransmission = retransmission;
  return p;
}

Packet TraceBuilder::deliver(Instant sent, Instant received, const Endpoint& from,
                             const Endpoint& to, Packet p) {
  p.uid = next_uid_++;
  recs_.push_back(PacketRecord{sent, PacketEvent::send, from.host, p, {}, {}});
  recs_.push_back(PacketRecord{received, PacketEvent::recv, to.host, p, {}, {}});
  return p;
}

Packet TraceBuilder::send(Instant sent, const Endpoint& from, Packet p) {
  p.uid = next_uid_++;
  recs_.push_back(PacketRecord{sent, PacketEvent::send, from.host, p, {}, {}});
  return p;
}

void TraceBuilder::recv(Instant received, const Endpoint& at, const Packet& p) {
  recs_.push_back(PacketRecord{received, PacketEvent::recv, at.host, p, {}, {}});
}

void TraceBuilder::drop(Instant dropped, const std::string& where, const Packet& p,
                        DropReason reason) {
  recs_.push_back(PacketRecord{dropped, PacketEvent::drop, where, p, reason, {}});
}

Packet TraceBuilder::lose(Instant sent, Instant dropped, const Endpoint& from,
                          const std::string& where, Packet p, DropReason reason,
                          std::string detail) {
  p.uid = next_uid_++;
  recs_.push_back(PacketRecord{sent, PacketEvent::send, from.host, p, {}, {}});
  recs_.push_back(PacketRecord{dropped, PacketEvent::drop, where, p, reason, std::move(detail)});
  return p;
}

void TraceBuilder::state(Instant t, const Endpoint& self, const Endpoint& peer,
                         std::string_view from, std::string_view to, std::string_view cause) {
  auto name = [](auto parsed, std::string_view text) {
    if (!parsed) throw std::invalid_argument("synthetic trace: unknown name " + std::string(text));
    return *parsed;
  };
  recs_.push_back(StateRecord{t, self.host, self.addr, peer.addr, self.app,
                              name(parse_tcp_state(from), from), name(parse_tcp_state(to), to),
                              name(parse_state_cause(cause), cause)});
}

void TraceBuilder::timer(Instant t, const Endpoint& self, const Endpoint& peer, TimerRecord facts) {
  facts.t = t;
  facts.host = self.host;
  facts.local = self.addr;
  facts.remote = peer.addr;
  facts.app = self.app;
  recs_.push_back(std::move(facts));
}

TimerRecord fired(TimerKind kind, uint32_t attempt, uint32_t limit, Duration ran) {
  TimerRecord r;
  r.timer = kind;
  r.attempt = attempt;
  r.limit = limit;
  r.ran = ran;
  return r;
}

void TraceBuilder::app(Instant t, const Endpoint& self, const Endpoint* peer, AppWhat what,
                       std::string error) {
  recs_.push_back(AppRecord{t,
                            self.host,
                            self.app,
                            what,
                            self.addr,
                            peer ? peer->addr : SocketAddr{},
                            std::move(error),
                            0,
                            {}});
}

void TraceBuilder::fault(Instant t, std::string host, std::string what, std::string detail) {
  recs_.push_back(FaultRecord{t, std::move(host), std::move(what), std::move(detail)});
}

std::vector<TraceRecord> TraceBuilder::records() const {
  std::vector<TraceRecord> out = recs_;
  std::stable_sort(out.begin(), out.end(), [](const TraceRecord& a, const TraceRecord& b) {
    return record_time(a) < record_time(b);
  });
  return out;
}

Endpoint client_endpoint() {
  return {"client", addr("10.0.0.1", 7500), "alice"};
}
Endpoint server_endpoint() {
  return {"server", addr("10.0.0.2", 20000), "echo"};
}

DiagramMeta meta_for(const std::string& scenario) {
  return DiagramMeta{scenario, 1, {"client–server 5ms 100Mbps"}};
}

namespace {
constexpr uint32_t kC = 1000;  // the client's ISN
constexpr uint32_t kS = 5000;  // the server's ISN

// Listen, then the three-way handshake starting at t0; the client's app connects.
void handshake(TraceBuilder& b, Duration t0, bool listen = true) {
  Endpoint c = client_endpoint(), s = server_endpoint();
  if (listen) {
    b.app(at(0_s), s, nullptr, AppWhat::listen);
    b.state(at(0_s), s, Endpoint{}, "CLOSED", "LISTEN", "listen");
  }
  b.app(at(t0), c, &s, AppWhat::connect);
  b.state(at(t0), c, s, "CLOSED", "SYN_SENT", "connect");
  b.deliver(at(t0), at(t0 + 5_ms), c, s, b.packet(c, s, S, kC, 0));
  b.state(at(t0 + 5_ms), s, c, "LISTEN", "SYN_RECEIVED", "rcv SYN");
  b.deliver(at(t0 + 5_ms), at(t0 + 10_ms), s, c, b.packet(s, c, S | A, kS, kC + 1));
  b.state(at(t0 + 10_ms), c, s, "SYN_SENT", "ESTABLISHED", "rcv SYN-ACK");
  b.deliver(at(t0 + 10_ms), at(t0 + 15_ms), c, s, b.packet(c, s, A, kC + 1, kS + 1));
  b.app(at(t0 + 10_ms), c, &s, AppWhat::connected);
  b.state(at(t0 + 15_ms), s, c, "SYN_RECEIVED", "ESTABLISHED", "rcv ACK");
  b.app(at(t0 + 15_ms), s, &c, AppWhat::accepted);
}

// The client closes at t0 after the echo came back: the four-way close, TIME_WAIT.
void close_after_echo(TraceBuilder& b, Duration t0, bool expire) {
  Endpoint c = client_endpoint(), s = server_endpoint();
  b.state(at(t0), c, s, "ESTABLISHED", "FIN_WAIT_1", "close");
  b.deliver(at(t0), at(t0 + 5_ms), c, s, b.packet(c, s, F | A, kC + 14, kS + 14));
  b.state(at(t0 + 5_ms), s, c, "ESTABLISHED", "CLOSE_WAIT", "rcv FIN");
  b.deliver(at(t0 + 5_ms), at(t0 + 10_ms), s, c, b.packet(s, c, A, kS + 14, kC + 15));
  b.state(at(t0 + 5_ms), s, c, "CLOSE_WAIT", "LAST_ACK", "close");
  b.deliver(at(t0 + 5_ms), at(t0 + 10_ms), s, c, b.packet(s, c, F | A, kS + 14, kC + 15));
  b.state(at(t0 + 10_ms), c, s, "FIN_WAIT_1", "FIN_WAIT_2", "rcv ACK of FIN");
  b.state(at(t0 + 10_ms), c, s, "FIN_WAIT_2", "TIME_WAIT", "rcv FIN");
  b.deliver(at(t0 + 10_ms), at(t0 + 15_ms), c, s, b.packet(c, s, A, kC + 15, kS + 15));
  b.state(at(t0 + 15_ms), s, c, "LAST_ACK", "CLOSED", "rcv ACK of FIN");
  if (expire) {
    b.timer(at(t0 + 10_ms + 60_s), c, s, fired(TimerKind::time_wait, 1, 0, 60_s));
    b.state(at(t0 + 10_ms + 60_s), c, s, "TIME_WAIT", "CLOSED", "TIME_WAIT expired");
  }
}
}  // namespace

std::vector<TraceRecord> handshake_trace() {
  TraceBuilder b;
  handshake(b, 0_ms);
  return b.records();
}

std::vector<TraceRecord> hello_echo_trace() {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  handshake(b, 0_ms);
  b.deliver(at(10_ms), at(15_ms), c, s, b.packet(c, s, P | A, kC + 1, kS + 1, "Hello,server!"));
  b.deliver(at(15_ms), at(20_ms), s, c, b.packet(s, c, P | A, kS + 1, kC + 14, "Hello,server!"));
  close_after_echo(b, 20_ms, true);
  return b.records();
}

std::vector<TraceRecord> syn_timeout_trace() {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  b.app(at(0_s), s, nullptr, AppWhat::listen);
  b.state(at(0_s), s, Endpoint{}, "CLOSED", "LISTEN", "listen");
  b.fault(at(0_s), "", "link_down", "r1-server");
  b.app(at(0_s), c, &s, AppWhat::connect);
  b.state(at(0_s), c, s, "CLOSED", "SYN_SENT", "connect");
  // Linux >= 6.5 with tcp_syn_linear_timeouts=4: 1 s apart five times, then doubling.
  const int64_t times[] = {0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67};
  for (uint16_t k = 0; k < 11; ++k) {
    Instant t = at(Duration::seconds(times[k]));
    if (k > 0) {
      TimerRecord f = fired(TimerKind::syn, k, 10, Duration::seconds(times[k] - times[k - 1]));
      f.next = Duration::seconds(k < 10 ? times[k + 1] - times[k] : 64);
      f.elapsed = Duration::seconds(times[k]);
      f.seq = kC;
      f.backoff = k;
      b.timer(t, c, s, f);
    }
    b.lose(t, t + 5_ms, c, "r1", b.packet(c, s, S, kC, 0, {}, k), DropReason::link_down,
           "link r1-server down");
  }
  // tcp_syn_retries 6 + 4 linear timeouts = 10 retransmissions, then ETIMEDOUT.
  TimerRecord gave_up = fired(TimerKind::syn, 10, 10, 64_s);
  gave_up.gives_up = true;
  gave_up.elapsed = 131_s;
  gave_up.seq = kC;
  b.timer(at(131_s), c, s, gave_up);
  b.state(at(131_s), c, s, "SYN_SENT", "CLOSED", "SYN retries exhausted");
  b.app(at(131_s), c, &s, AppWhat::error, "ETIMEDOUT");
  return b.records();
}

std::vector<TraceRecord> lossy_trace() {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  handshake(b, 0_ms);
  b.lose(at(10_ms), at(10_ms), c, "client", b.packet(c, s, P | A, kC + 1, kS + 1, "Hello,server!"),
         DropReason::loss, "loss 2%");
  // Linux: RTO = srtt + max(4 * rttvar, rto_min) = 10ms + 200ms + 4ms after one 10 ms sample.
  TimerRecord rto = fired(TimerKind::rto, 1, 15, 214_ms);
  rto.next = 428_ms;
  rto.seq = kC + 1;
  rto.backoff = 1;
  b.timer(at(224_ms), c, s, rto);
  b.deliver(at(224_ms), at(229_ms), c, s,
            b.packet(c, s, P | A, kC + 1, kS + 1, "Hello,server!", 1));
  b.deliver(at(229_ms), at(234_ms), s, c, b.packet(s, c, P | A, kS + 1, kC + 14, "Hello,server!"));
  close_after_echo(b, 234_ms, false);
  return b.records();
}

std::vector<TraceRecord> keepalive_trace() {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  handshake(b, 0_ms);
  b.deliver(at(10_ms), at(15_ms), c, s, b.packet(c, s, P | A, kC + 1, kS + 1, "Hello,server!"));
  b.deliver(at(15_ms), at(20_ms), s, c, b.packet(s, c, A, kS + 1, kC + 14));
  // keepalive {idle: 10s, interval: 2s, probes: 3}: a probe re-sends the last acked byte's
  // sequence number minus one with no data (tcp_write_wakeup / tcp_xmit_probe_skb).
  Duration idle = 10_s + 10_ms;
  b.timer(at(idle), c, s, fired(TimerKind::keepalive, 1, 3, 10_s));
  b.deliver(at(idle), at(idle + 5_ms), c, s, b.packet(c, s, A, kC + 13, kS + 1));
  b.deliver(at(idle + 5_ms), at(idle + 10_ms), s, c, b.packet(s, c, A, kS + 1, kC + 14));
  b.fault(at(15_s), "server", "crash", "");
  Duration next = idle + 10_ms + 10_s;
  for (uint32_t k = 1; k <= 3; ++k) {
    Duration t = next + Duration::seconds(2 * (k - 1));
    b.timer(at(t), c, s, fired(TimerKind::keepalive, k, 3, k == 1 ? 10_s : 2_s));
    b.lose(at(t), at(t + 5_ms), c, "server", b.packet(c, s, A, kC + 13, kS + 1),
           DropReason::host_down, "host server down");
  }
  Duration dead = next + 6_s;
  TimerRecord gave_up = fired(TimerKind::keepalive, 3, 3, 2_s);
  gave_up.gives_up = true;
  gave_up.elapsed = 16_s;
  b.timer(at(dead), c, s, gave_up);
  b.lose(at(dead), at(dead + 5_ms), c, "server", b.packet(c, s, R | A, kC + 14, kS + 1),
         DropReason::host_down, "host server down");
  b.state(at(dead), c, s, "ESTABLISHED", "CLOSED", "keepalive probes exhausted");
  b.app(at(dead), c, &s, AppWhat::error, "ETIMEDOUT");
  return b.records();
}

std::vector<TraceRecord> syn_flood_trace(int spoofed) {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  b.app(at(0_s), s, nullptr, AppWhat::listen);
  b.state(at(0_s), s, Endpoint{}, "CLOSED", "LISTEN", "listen");
  for (int i = 0; i < spoofed; ++i) {
    // A spoofed source: forged by the attacker, owned by nobody (SYN-ACKs have no route).
    auto host = static_cast<uint32_t>((i * 37) % 254 + 1);
    Endpoint src{
        "attacker",
        SocketAddr{Ipv4Addr{0xC6336400u + host}, static_cast<uint16_t>(1024 + (i * 7919) % 60000)},
        ""};
    Instant t = at(1_s + Duration::microseconds(200) * i);
    b.deliver(t, t + 5_ms, src, s, b.packet(src, s, S, 77000u + static_cast<uint32_t>(i), 0));
    b.lose(t + 5_ms, t + 5_ms, s, "server", b.packet(s, src, S | A, 9000, 77001u + i),
           DropReason::no_route, "no host has address " + src.addr.addr.to_string());
  }
  // Alice connects in the middle of the flood; SYN cookies let her through.
  handshake(b, 1500_ms, false);
  b.deliver(at(1510_ms), at(1515_ms), c, s, b.packet(c, s, P | A, kC + 1, kS + 1, "Hello,server!"));
  b.deliver(at(1515_ms), at(1520_ms), s, c,
            b.packet(s, c, P | A, kS + 1, kC + 14, "Hello,server!"));
  close_after_echo(b, 1520_ms, false);
  return b.records();
}

}  // namespace netsim::viz::testing
