// Labels in tcpdump's and the textbook's words: relative sequence numbers, payload previews,
// drop reasons, timer names, times and counts.
#include <catch2/catch.hpp>

#include "viz/labels.hpp"

using namespace netsim;
using namespace netsim::viz;
using namespace netsim::literals;

namespace {
constexpr uint8_t S = TcpFlags::SYN, A = TcpFlags::ACK, F = TcpFlags::FIN, P = TcpFlags::PSH,
                  R = TcpFlags::RST;

Packet make(const char* src, const char* dst, uint8_t flags, uint32_t seq, uint32_t ack,
            std::string payload = {}) {
  Packet p;
  p.src = *Ipv4Addr::parse(src);
  p.dst = *Ipv4Addr::parse(dst);
  p.tcp.src_port = std::string(src) == "10.0.0.1" ? 7500 : 20000;
  p.tcp.dst_port = std::string(dst) == "10.0.0.1" ? 7500 : 20000;
  p.tcp.flags = TcpFlags(flags);
  p.tcp.seq = SeqNum(seq);
  p.tcp.ack = SeqNum(ack);
  p.tcp.window = 64240;
  p.tcp.payload = Payload::from_string(payload);
  return p;
}

// Labels a conversation in order, as the model does: observe, then label.
std::vector<std::string> label_all(const std::vector<Packet>& packets, bool relative) {
  SeqBases bases;
  std::vector<std::string> out;
  for (const auto& p : packets) {
    bases.observe(p);
    out.push_back(packet_label(p, relative ? &bases : nullptr));
  }
  return out;
}
}  // namespace

TEST_CASE("packet labels use relative sequence numbers from each direction's SYN") {
  const char* c = "10.0.0.1";
  const char* s = "10.0.0.2";
  std::vector<Packet> conv{
      make(c, s, S, 1000, 0),        make(s, c, S | A, 5000, 1001),
      make(c, s, A, 1001, 5001),     make(c, s, P | A, 1001, 5001, "Hello,server!"),
      make(s, c, A, 5001, 1014),     make(c, s, A, 1014, 5001),
      make(c, s, A, 1013, 5001),  // a keepalive probe: SND.NXT - 1
      make(c, s, F | A, 1014, 5001), make(s, c, R, 5001, 0)};
  CHECK(label_all(conv, true) ==
        std::vector<std::string>{"SYN seq=0", "SYN-ACK seq=0 ack=1", "ACK ack=1",
                                 "P. 1:14 (13) \"Hello,server!\"", "ACK ack=14", "ACK ack=1",
                                 "ACK seq=13 ack=1", "FIN seq=14 ack=1", "RST seq=1"});
  CHECK(label_all(conv, false).front() == "SYN seq=1000");
  CHECK(label_all(conv, false)[1] == "SYN-ACK seq=5000 ack=1001");
}

TEST_CASE("labels mark retransmissions, closed windows and RST-ACKs") {
  Packet p = make("10.0.0.1", "10.0.0.2", P | A, 1001, 5001, "Hello,server!");
  p.retransmission = 2;
  CHECK(packet_label(p, nullptr) == "P. 1001:1014 (13) \"Hello,server!\" retx #2");
  Packet zw = make("10.0.0.2", "10.0.0.1", A, 5001, 1014);
  zw.tcp.window = 0;
  CHECK(packet_label(zw, nullptr) == "ACK ack=1014 win=0");
  CHECK(packet_label(make("10.0.0.2", "10.0.0.1", R | A, 0, 1001), nullptr) ==
        "RST-ACK seq=0 ack=1001");
}

TEST_CASE("payload previews quote short text, cut long text and skip binary") {
  CHECK(payload_preview(Payload::from_string("Hello,server!")) == "\"Hello,server!\"");
  CHECK(payload_preview(Payload::from_string("GET / HTTP/1.1\r\n")) == "\"GET / HTTP/1.1\\r\\n\"");
  CHECK(payload_preview(Payload::from_string("say \"hi\"")) == "\"say \\\"hi\\\"\"");
  CHECK(payload_preview(Payload::from_string(std::string(40, 'x'))) ==
        "\"" + std::string(16, 'x') + "\"…");
  CHECK(payload_preview(Payload(std::vector<uint8_t>{0x16, 0x03, 0x01})) == "");
  CHECK(payload_preview(Payload()) == "");
}

TEST_CASE("drop reasons read like the issue's examples") {
  CHECK(drop_reason_text(DropReason::loss, "loss 2%") == "loss 2%");
  CHECK(drop_reason_text(DropReason::loss, "") == "loss");
  CHECK(drop_reason_text(DropReason::burst_loss, "burst loss (gilbert p=1% r=30% h=50%)") ==
        "burst loss");
  CHECK(drop_reason_text(DropReason::queue_full, "100 packets full") == "queue full");
  CHECK(drop_reason_text(DropReason::link_down, "link r1-server down") == "link down");
  CHECK(drop_reason_text(DropReason::syn_queue_full, "") == "SYN queue full");
  CHECK(drop_reason_text(DropReason::no_route, "no host has address 1.2.3.4") == "no route");
}

namespace {
TimerRecord firing(TimerKind kind, uint32_t attempt, uint32_t limit, Duration ran) {
  TimerRecord r;
  r.timer = kind;
  r.attempt = attempt;
  r.limit = limit;
  r.ran = ran;
  return r;
}
TimerRecord giving_up(TimerKind kind, uint32_t attempt, Duration elapsed) {
  TimerRecord r = firing(kind, attempt, attempt, Duration::zero());
  r.gives_up = true;
  r.elapsed = elapsed;
  return r;
}
}  // namespace

TEST_CASE("timer marks name the timer, the attempt and how long it ran") {
  CHECK(timer_text(firing(TimerKind::rto, 2, 15, 400_ms)) == "RTO #2 (400 ms)");
  CHECK(timer_text(firing(TimerKind::syn, 6, 6, 32_s)) == "SYN RTO #6 (32 s)");
  CHECK(timer_text(firing(TimerKind::synack, 1, 5, Duration::zero())) == "SYN-ACK RTO #1");
  CHECK(timer_text(firing(TimerKind::keepalive, 3, 9, 75_s)) == "keepalive probe 3/9");
  CHECK(timer_text(firing(TimerKind::keepalive, 3, 0, 75_s)) == "keepalive probe #3");
  CHECK(timer_text(firing(TimerKind::time_wait, 1, 0, 60_s)) == "TIME_WAIT expired (60 s)");
  CHECK(timer_text(firing(TimerKind::fin_wait_2, 1, 0, 60_s)) == "FIN_WAIT_2 timeout (60 s)");
  CHECK(timer_text(firing(TimerKind::persist, 2, 15, 400_ms)) == "persist probe #2");
  CHECK(timer_text(firing(TimerKind::delayed_ack, 1, 0, Duration::zero())) == "delayed ACK");
}

TEST_CASE("the firing that gives up is labelled as what it is, with how long the attempt took") {
  CHECK(timer_text(giving_up(TimerKind::syn, 6, 127_s)) == "SYN timeout → ETIMEDOUT (127 s)");
  CHECK(timer_text(giving_up(TimerKind::synack, 5, 63_s)) == "SYN-ACK timeout (63 s)");
  CHECK(timer_text(giving_up(TimerKind::rto, 15, 924_s)) == "RTO timeout → ETIMEDOUT (924 s)");
  CHECK(timer_text(giving_up(TimerKind::keepalive, 9, 7875_s)) ==
        "keepalive timeout → ETIMEDOUT (7875 s)");
  CHECK(timer_text(giving_up(TimerKind::persist, 15, Duration::zero())) ==
        "zero-window probe timeout → ETIMEDOUT");
}

TEST_CASE("a SYN-ACK whose ISN is a SYN cookie is marked on its label") {
  Packet p;
  p.src = Ipv4Addr{0x0A000002};
  p.dst = Ipv4Addr{0x0A000001};
  p.tcp.src_port = 80;
  p.tcp.dst_port = 7500;
  p.tcp.flags = TcpFlags(TcpFlags::SYN | TcpFlags::ACK);
  p.tcp.seq = SeqNum(9000);
  p.tcp.ack = SeqNum(1001);
  p.tcp.window = 65160;
  CHECK(packet_label(p, nullptr) == "SYN-ACK seq=9000 ack=1001");
  p.syn_cookie = true;
  CHECK(packet_label(p, nullptr) == "SYN-ACK (cookie) seq=9000 ack=1001");
}

TEST_CASE("times, spans and counts are printed for people") {
  CHECK(format_time(Instant::zero()) == "0 ms");
  CHECK(format_time(Instant::zero() + 7500_us) == "7.5 ms");
  CHECK(format_time(Instant::zero() + 1_s) == "1 s");
  CHECK(format_time(Instant::zero() + 60_s + 22500_us) == "60.0225 s");
  CHECK(format_span(58900_ms) == "58.9 s");
  CHECK(format_span(250_ms) == "250 ms");
  CHECK(format_span(Duration::seconds(131)) == "131 s");
  CHECK(format_span(1234_us) == "1.23 ms");
  CHECK(group_thousands(0) == "0");
  CHECK(group_thousands(9874) == "9,874");
  CHECK(group_thousands(1234567) == "1,234,567");
  CHECK(text_width("ab…", 10) == Approx(3 * 6.02));
}
