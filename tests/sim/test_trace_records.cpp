// The typed trace records' vocabulary and the words the sinks make from it: every state cause
// has one text that parses back, every timer outcome one detail form, and a SYN-cookie SYN-ACK
// says so in the text trace and in JSONL (issue 12 §1).
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "sim/trace_jsonl.hpp"
#include "sim/trace_text.hpp"

using namespace netsim;
using namespace netsim::literals;

TEST_CASE("timer details are made from the record's fields, one form per timer and outcome") {
  auto fired = [](TimerKind k, uint32_t attempt, uint32_t limit) {
    TimerRecord r;
    r.timer = k;
    r.attempt = attempt;
    r.limit = limit;
    return r;
  };
  TimerRecord syn_gave_up = fired(TimerKind::syn, 6, 6);
  syn_gave_up.gives_up = true;
  syn_gave_up.elapsed = 127_s;
  CHECK(timer_detail(syn_gave_up) == "give up after 6 retransmissions in 127s: ETIMEDOUT");
  TimerRecord request_dropped = fired(TimerKind::synack, 5, 5);
  request_dropped.gives_up = true;
  request_dropped.elapsed = 63_s;
  CHECK(timer_detail(request_dropped) == "give up after 5 retransmissions in 63s");
  TimerRecord rto = fired(TimerKind::rto, 3, 15);
  rto.seq = 1001;
  rto.backoff = 3;
  rto.next = Duration::microseconds(1'680'500);
  CHECK(timer_detail(rto) == "retransmit seq 1001, backoff 3, rto 1.6805s");
  TimerRecord probe = fired(TimerKind::keepalive, 3, 9);
  probe.seq = 4000;
  CHECK(timer_detail(probe) == "probe 3 of 9, seq 4000");
  TimerRecord ka_gave_up = fired(TimerKind::keepalive, 9, 9);
  ka_gave_up.gives_up = true;
  CHECK(timer_detail(ka_gave_up) == "9 probes unanswered: RST, ETIMEDOUT");
  TimerRecord zwp = fired(TimerKind::persist, 2, 15);
  zwp.backoff = 2;
  zwp.next = 840_ms;
  CHECK(timer_detail(zwp) == "zero-window probe 2, backoff 2, next 840ms");
  TimerRecord opened = fired(TimerKind::persist, 1, 15);
  opened.bytes = 300;
  CHECK(timer_detail(opened) == "window open: send 300 bytes");
  TimerRecord zwp_gave_up = fired(TimerKind::persist, 15, 15);
  zwp_gave_up.gives_up = true;
  CHECK(timer_detail(zwp_gave_up) == "15 zero-window probes unanswered: ETIMEDOUT");
  CHECK(timer_detail(fired(TimerKind::time_wait, 1, 0)) == "TIME_WAIT over");
  CHECK(timer_detail(fired(TimerKind::fin_wait_2, 1, 0)) == "orphaned FIN_WAIT_2 timed out");
}

TEST_CASE("every state cause has one text form that parses back to it") {
  for (size_t i = 0; i < kStateCauseCount; ++i) {
    auto c = static_cast<StateCause>(i);
    INFO(to_string(c));
    CHECK_FALSE(to_string(c).empty());
    CHECK(parse_state_cause(to_string(c)) == c);
  }
  CHECK(to_string(StateCause::rcv_ack_cookie) == "rcv ACK, valid SYN cookie");
  CHECK_FALSE(parse_state_cause("rcv syn"));
  for (TcpState s : kAllTcpStates)
    CHECK(parse_tcp_state(to_string(s)) == s);
  CHECK(parse_tcp_state("syn-recv") == TcpState::syn_received);
}

TEST_CASE("a SYN-ACK carrying a SYN cookie says so in the text trace and in JSONL") {
  PacketRecord rec;
  rec.t = Instant::zero() + 10_ms;
  rec.host = "server";
  Packet& p = rec.packet;
  p.src = *Ipv4Addr::parse("10.0.0.2");
  p.dst = *Ipv4Addr::parse("10.0.0.1");
  p.tcp.src_port = 20000;
  p.tcp.dst_port = 7500;
  p.tcp.flags = TcpFlags(TcpFlags::SYN | TcpFlags::ACK);
  p.tcp.seq = SeqNum(5000);
  p.tcp.ack = SeqNum(1001);
  p.tcp.window = 65160;
  p.tcp.options.mss = 1460;
  p.syn_cookie = true;
  CHECK(format_trace_line(rec) ==
        "0.010000 server 10.0.0.2.20000 > 10.0.0.1.7500: Flags [S.], seq 5000, ack 1001, win "
        "65160, options [mss 1460], length 0 (SYN cookie)");
  std::string line = format_jsonl_line(rec);
  CHECK(line.find(R"("cookie":true)") != std::string::npos);
  std::istringstream in(line);
  CHECK(std::get<PacketRecord>(read_jsonl(in, "e.jsonl").at(0)).packet.syn_cookie);
}

TEST_CASE("a timer line written before the typed fields still reads, with only its attempt") {
  std::istringstream in(
      R"({"t_ns":1,"ev":"timer","host":"c","conn":"10.0.0.1:7500>10.0.0.2:20000",)"
      R"("timer":"keepalive","attempt":3,"detail":"probe 3 of 9, seq 4000"})");
  auto back = read_jsonl(in, "old.jsonl");
  REQUIRE(back.size() == 1);
  const auto& t = std::get<TimerRecord>(back[0]);
  CHECK(t.timer == TimerKind::keepalive);
  CHECK(t.attempt == 3);
  CHECK(t.limit == 0);
  CHECK(t.ran == Duration::zero());
  CHECK_FALSE(t.gives_up);
}
