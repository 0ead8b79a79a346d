// The trace outputs: exact text-trace and JSON Lines lines for every record kind (the spec's
// sample lines character for character), the JSONL reader and its errors, pcap files read
// back through libpcap, tcpdump and tshark, and atomic output files.
#include <pcap/pcap.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/atomic_file.hpp"
#include "sim/pcap_writer.hpp"
#include "sim/trace_jsonl.hpp"
#include "sim/trace_text.hpp"
#include "sim/wire.hpp"
#include "tests/support/run_process.hpp"

using namespace netsim;
using namespace netsim::literals;
using namespace test_support;
namespace fs = std::filesystem;

namespace {

const SocketAddr kClient{*Ipv4Addr::parse("10.0.0.1"), 7500};
const SocketAddr kServer{*Ipv4Addr::parse("10.0.0.2"), 20000};

Instant at(Duration d) {
  return Instant::zero() + d;
}

Packet make_packet(SocketAddr from, SocketAddr to, uint8_t flags, uint32_t seq, uint32_t ack,
                   uint16_t win) {
  Packet p;
  p.src = from.addr;
  p.dst = to.addr;
  p.tcp.src_port = from.port;
  p.tcp.dst_port = to.port;
  p.tcp.flags = TcpFlags(flags);
  p.tcp.seq = SeqNum(seq);
  p.tcp.ack = SeqNum(ack);
  p.tcp.window = win;
  return p;
}

Packet client_syn() {
  Packet p = make_packet(kClient, kServer, TcpFlags::SYN, 1000, 0, 64240);
  p.tcp.options.mss = 1460;
  p.uid = 1;
  return p;
}

Packet server_synack() {
  Packet p = make_packet(kServer, kClient, TcpFlags::SYN | TcpFlags::ACK, 5000, 1001, 65160);
  p.tcp.options.mss = 1460;
  p.uid = 2;
  return p;
}

Packet client_data() {
  Packet p = make_packet(kClient, kServer, TcpFlags::PSH | TcpFlags::ACK, 1001, 5001, 64240);
  p.tcp.payload = Payload::from_string("Hello,server!");
  p.uid = 3;
  return p;
}

PacketRecord packet_rec(Instant t, PacketEvent ev, std::string host, Packet p) {
  PacketRecord r;
  r.t = t;
  r.ev = ev;
  r.host = std::move(host);
  r.packet = std::move(p);
  return r;
}

PacketRecord drop_rec(Instant t, std::string host, Packet p, DropReason reason,
                      std::string detail) {
  return PacketRecord{.t = t,
                      .ev = PacketEvent::drop,
                      .host = std::move(host),
                      .packet = std::move(p),
                      .reason = reason,
                      .detail = std::move(detail)};
}

StateRecord state_rec(Instant t, std::string host, SocketAddr local, SocketAddr remote,
                      std::string app, TcpState from, TcpState to, StateCause cause) {
  return StateRecord{t, std::move(host), local, remote, std::move(app), from, to, cause};
}

TimerRecord timer_rec(Instant t, std::string app, TimerKind k, uint32_t attempt) {
  TimerRecord r;
  r.t = t;
  r.host = "client";
  r.local = kClient;
  r.remote = kServer;
  r.app = std::move(app);
  r.timer = k;
  r.attempt = attempt;
  return r;
}

// The first data retransmission of the spec's sample: a 200 ms RTO ran, 400 ms is armed.
TimerRecord first_rto() {
  TimerRecord r = timer_rec(at(1200_ms), "alice", TimerKind::rto, 1);
  r.limit = 15;
  r.ran = 200_ms;
  r.next = 400_ms;
  r.seq = 1001;
  r.backoff = 1;
  return r;
}

AppRecord app_rec(Instant t, std::string host, std::string app, AppWhat what) {
  AppRecord r;
  r.t = t;
  r.host = std::move(host);
  r.app = std::move(app);
  r.what = what;
  return r;
}

// The spec's sample run (SCENARIO_SPEC.md "The text trace").
std::vector<TraceRecord> spec_sample() {
  return {
      packet_rec(at(0_s), PacketEvent::send, "client", client_syn()),
      state_rec(at(0_s), "client", kClient, kServer, "alice", TcpState::closed, TcpState::syn_sent,
                StateCause::connect),
      packet_rec(at(10_ms), PacketEvent::send, "server", server_synack()),
      state_rec(at(10_ms), "server", kServer, kClient, "echo", TcpState::listen,
                TcpState::syn_received, StateCause::rcv_syn),
      state_rec(at(20_ms), "client", kClient, kServer, "alice", TcpState::syn_sent,
                TcpState::established, StateCause::rcv_syn_ack),
      drop_rec(at(1_s), "client", client_data(), DropReason::loss, "loss 1%"),
      first_rto(),
  };
}

std::string text_of(const std::vector<TraceRecord>& recs, TextTraceOptions opt = {}) {
  std::ostringstream out;
  TextTraceSink sink(out, opt);
  for (const auto& r : recs)
    sink.write(r);
  sink.finish();
  return out.str();
}

std::string jsonl_of(const std::vector<TraceRecord>& recs, JsonlOptions opt = {}) {
  std::ostringstream out;
  JsonlSink sink(out, opt);
  for (const auto& r : recs)
    sink.write(r);
  sink.finish();
  return out.str();
}

// A fresh directory under the system temp dir, removed with everything in it.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() /
             ("netsim-test-" + std::to_string(::getpid()) + "-" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
  size_t entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(path), {}));
  }
};

bool on_path(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// Standard output of a shell command; the exit status must be 0.
std::string run(const std::string& cmd) {
  ProcessResult r = run_process(cmd, {.capture = Capture::stdout_only});
  INFO(cmd);
  REQUIRE(r.code == 0);
  return r.output;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size())) {
    s.replace(i, from.size(), to);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Text trace

TEST_CASE("the text trace reproduces the spec's sample character for character") {
  std::string expected =
      "0.000000 client 10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 1000, win 64240, options "
      "[mss 1460], length 0\n"
      "0.000000 client alice SYN_SENT (connect)\n"
      "0.010000 server 10.0.0.2.20000 > 10.0.0.1.7500: Flags [S.], seq 5000, ack 1001, win "
      "65160, options [mss 1460], length 0\n"
      "0.010000 server echo SYN_RECEIVED (rcv SYN)\n"
      "0.020000 client alice ESTABLISHED (rcv SYN-ACK)\n"
      "1.000000 client DROP 10.0.0.1.7500 > 10.0.0.2.20000: Flags [P.], seq 1001:1014, ack "
      "5001, win 64240, length 13 (loss 1%)\n"
      "1.200000 client alice RTO fired: retransmit seq 1001, backoff 1, rto 400ms\n";
  CHECK(text_of(spec_sample()) == expected);
}

TEST_CASE("text packet lines mark retransmissions, name drop reasons and hide receptions") {
  Packet retx = client_data();
  retx.retransmission = 2;
  std::vector<TraceRecord> recs{
      packet_rec(at(1400_ms), PacketEvent::send, "client", retx),
      drop_rec(at(1400_ms), "r1", retx, DropReason::queue_full, ""),
      packet_rec(at(1410_ms), PacketEvent::recv, "server", client_data()),
  };
  std::string send_line =
      "1.400000 client 10.0.0.1.7500 > 10.0.0.2.20000: Flags [P.], seq 1001:1014, ack 5001, win "
      "64240, length 13 (retransmission #2)\n";
  std::string drop_line =
      "1.400000 r1 DROP 10.0.0.1.7500 > 10.0.0.2.20000: Flags [P.], seq 1001:1014, ack 5001, win "
      "64240, length 13 (retransmission #2) (queue_full)\n";
  std::string recv_line =
      "1.410000 server < 10.0.0.1.7500 > 10.0.0.2.20000: Flags [P.], seq 1001:1014, ack 5001, "
      "win 64240, length 13\n";
  CHECK(text_of(recs) == send_line + drop_line);
  CHECK(text_of(recs, {.show_recv = true}) == send_line + drop_line + recv_line);
}

TEST_CASE("text state and timer lines fall back to the connection when no app owns it") {
  TimerRecord delack = timer_rec(at(4_s), "", TimerKind::delayed_ack, 1);
  delack.seq = 5014;
  TimerRecord synack = timer_rec(at(5_s), "alice", TimerKind::synack, 2);
  synack.seq = 5000;
  synack.backoff = 2;
  synack.next = 4_s;
  std::vector<TraceRecord> recs{
      state_rec(at(2_s), "server", kServer, kClient, "", TcpState::syn_received,
                TcpState::established, StateCause::rcv_ack),
      state_rec(at(3_s), "server", kServer, kClient, "", TcpState::last_ack, TcpState::closed,
                StateCause::rcv_ack_of_fin),
      delack,
      synack,
  };
  CHECK(text_of(recs) ==
        "2.000000 server 10.0.0.2:20000>10.0.0.1:7500 ESTABLISHED (rcv ACK)\n"
        "3.000000 server 10.0.0.2:20000>10.0.0.1:7500 CLOSED (rcv ACK of FIN)\n"
        "4.000000 client 10.0.0.1:7500>10.0.0.2:20000 DELACK fired: ack 5014\n"
        "5.000000 client alice SYN-ACK fired: retransmit seq 5000, backoff 2, rto 4s\n");
  std::vector<std::string> names;
  for (auto k :
       {TimerKind::rto, TimerKind::syn, TimerKind::synack, TimerKind::keepalive,
        TimerKind::time_wait, TimerKind::fin_wait_2, TimerKind::persist, TimerKind::delayed_ack}) {
    names.emplace_back(timer_display_name(k));
  }
  CHECK(names == std::vector<std::string>{"RTO", "SYN", "SYN-ACK", "KEEPALIVE", "TIME_WAIT",
                                          "FIN_WAIT_2", "PERSIST", "DELACK"});
}

TEST_CASE("text application lines take their documented forms") {
  auto connect = app_rec(at(0_s), "client", "alice", AppWhat::connect);
  connect.remote = kServer;
  auto connected = app_rec(at(20_ms), "client", "alice", AppWhat::connected);
  auto data = app_rec(at(40_ms), "client", "alice", AppWhat::data);
  data.bytes = 13;
  auto sent = app_rec(at(20_ms), "client", "alice", AppWhat::send);
  sent.bytes = 13;
  auto error = app_rec(at(1_s), "client", "alice", AppWhat::error);
  error.error = "ECONNREFUSED";
  auto accepted = app_rec(at(30_ms), "server", "echo", AppWhat::accepted);
  accepted.remote = kClient;
  auto listen = app_rec(at(0_s), "server", "echo", AppWhat::listen);
  listen.local = kServer;
  auto eof = app_rec(at(2_s), "client", "alice", AppWhat::eof);
  auto closed = app_rec(at(3_s), "client", "alice", AppWhat::closed);
  closed.detail = "after_reply";
  CHECK(text_of({listen, connect, connected, sent, accepted, data, error, eof, closed}) ==
        "0.000000 server echo listen 10.0.0.2:20000\n"
        "0.000000 client alice connect 10.0.0.2:20000\n"
        "0.020000 client alice connected\n"
        "0.020000 client alice send 13 bytes\n"
        "0.030000 server echo accepted 10.0.0.1:7500\n"
        "0.040000 client alice data 13 bytes\n"
        "1.000000 client alice error ECONNREFUSED\n"
        "2.000000 client alice eof\n"
        "3.000000 client alice closed (after_reply)\n");
}

TEST_CASE("text fault lines omit an empty host and counters show only when asked") {
  CounterRecord counter{at(6_s), "server", "syn_queue", 12, kServer, kClient};
  CounterRecord host_wide{at(6_s), "server", "syncookies_sent", 3, {}, {}};
  std::vector<TraceRecord> recs{
      FaultRecord{at(5_s), "", "link_down", "r1-server"},
      FaultRecord{at(20_s), "server", "crash", ""},
      counter,
      host_wide,
  };
  std::string faults =
      "5.000000 FAULT link_down r1-server\n"
      "20.000000 server FAULT crash\n";
  CHECK(text_of(recs) == faults);
  CHECK(text_of(recs, {.show_counters = true}) ==
        faults +
            "6.000000 server COUNTER syn_queue 12 (10.0.0.2:20000>10.0.0.1:7500)\n"
            "6.000000 server COUNTER syncookies_sent 3\n");
}

// ---------------------------------------------------------------------------------------
// JSON Lines

TEST_CASE("JSONL writes one object per record with the fields of the spec in order") {
  auto data = app_rec(at(40_ms), "client", "alice", AppWhat::data);
  data.bytes = 13;
  data.local = kClient;
  data.remote = kServer;
  auto error = app_rec(at(1_s), "client", "alice", AppWhat::error);
  error.error = "ECONNREFUSED";
  Packet retx = client_data();
  retx.retransmission = 1;
  std::vector<TraceRecord> recs = spec_sample();
  recs.push_back(packet_rec(at(1200_ms), PacketEvent::recv, "server", retx));
  recs.push_back(data);
  recs.push_back(error);
  recs.push_back(FaultRecord{at(5_s), "", "link_down", "r1-server"});
  recs.push_back(CounterRecord{at(6_s), "server", "syn_queue", -1, kServer, kClient});
  CHECK(
      jsonl_of(recs) ==
      R"({"t_ns":0,"ev":"send","host":"client","uid":1,"src":"10.0.0.1:7500","dst":"10.0.0.2:20000","flags":"S","seq":1000,"ack":0,"win":64240,"len":0,"opts":{"mss":1460}}
{"t_ns":0,"ev":"state","host":"client","conn":"10.0.0.1:7500>10.0.0.2:20000","app":"alice","from":"CLOSED","to":"SYN_SENT","cause":"connect"}
{"t_ns":10000000,"ev":"send","host":"server","uid":2,"src":"10.0.0.2:20000","dst":"10.0.0.1:7500","flags":"S.","seq":5000,"ack":1001,"win":65160,"len":0,"opts":{"mss":1460}}
{"t_ns":10000000,"ev":"state","host":"server","conn":"10.0.0.2:20000>10.0.0.1:7500","app":"echo","from":"LISTEN","to":"SYN_RECEIVED","cause":"rcv SYN"}
{"t_ns":20000000,"ev":"state","host":"client","conn":"10.0.0.1:7500>10.0.0.2:20000","app":"alice","from":"SYN_SENT","to":"ESTABLISHED","cause":"rcv SYN-ACK"}
{"t_ns":1000000000,"ev":"drop","host":"client","uid":3,"src":"10.0.0.1:7500","dst":"10.0.0.2:20000","flags":"P.","seq":1001,"ack":5001,"win":64240,"len":13,"payload":"Hello,server!","reason":"loss","detail":"loss 1%"}
{"t_ns":1200000000,"ev":"timer","host":"client","conn":"10.0.0.1:7500>10.0.0.2:20000","app":"alice","timer":"rto","attempt":1,"limit":15,"ran_ns":200000000,"next_ns":400000000,"seq":1001,"backoff":1}
{"t_ns":1200000000,"ev":"recv","host":"server","uid":3,"src":"10.0.0.1:7500","dst":"10.0.0.2:20000","flags":"P.","seq":1001,"ack":5001,"win":64240,"len":13,"retx":1,"payload":"Hello,server!"}
{"t_ns":40000000,"ev":"app","host":"client","app":"alice","what":"data","bytes":13,"conn":"10.0.0.1:7500>10.0.0.2:20000"}
{"t_ns":1000000000,"ev":"app","host":"client","app":"alice","what":"error","error":"ECONNREFUSED"}
{"t_ns":5000000000,"ev":"fault","host":"","what":"link_down","detail":"r1-server"}
{"t_ns":6000000000,"ev":"counter","host":"server","name":"syn_queue","value":-1,"conn":"10.0.0.2:20000>10.0.0.1:7500"}
)");
}

TEST_CASE("JSONL escapes strings and writes payload bytes one character each") {
  Packet p = client_data();
  std::string raw("a\0\x7f\x80\xff\"\\\n", 8);
  p.tcp.payload = Payload(std::vector<uint8_t>(raw.begin(), raw.end()));
  p.tcp.options.timestamps = std::pair<uint32_t, uint32_t>{1, 2};
  p.tcp.options.sack = {{SeqNum(10), SeqNum(20)}, {SeqNum(30), SeqNum(40)}};
  p.tcp.flags = TcpFlags(TcpFlags::URG | TcpFlags::ACK);
  p.tcp.urgent = 5;
  p.corrupted = true;
  FaultRecord f{at(1_s), "h\"o\\st\t", "drop", "caf\xc3\xa9 \x01 end"};
  CHECK(
      jsonl_of({packet_rec(at(0_s), PacketEvent::send, "client", p), f}) ==
      R"({"t_ns":0,"ev":"send","host":"client","uid":3,"src":"10.0.0.1:7500","dst":"10.0.0.2:20000","flags":".U","seq":1001,"ack":5001,"win":64240,"len":8,"urg":5,"opts":{"ts":[1,2],"sack":[[10,20],[30,40]]},"corrupted":true,"payload":"a\u0000)"
      "\x7f"
      R"(\u0080\u00ff\"\\\n"}
{"t_ns":1000000000,"ev":"fault","host":"h\"o\\st\t","what":"drop","detail":"caf)"
      "\xc3\xa9"
      R"( \u0001 end"}
)");
  // Only the first payload_bytes bytes are written.
  std::string short_line =
      format_jsonl_line(packet_rec(at(0_s), PacketEvent::send, "c", p), {.payload_bytes = 2});
  CHECK(short_line.find(R"("payload":"a\u0000"})") != std::string::npos);
  std::string none =
      format_jsonl_line(packet_rec(at(0_s), PacketEvent::send, "c", p), {.payload_bytes = 0});
  CHECK(none.find("payload") == std::string::npos);
}

TEST_CASE("a JSONL file reads back into the same records and rewrites byte for byte") {
  std::vector<TraceRecord> recs = spec_sample();
  Packet odd = client_data();
  std::string raw("\x00\x01\xfe\xff", 4);
  odd.tcp.payload = Payload(std::vector<uint8_t>(raw.begin(), raw.end()));
  odd.tcp.options.sack = {{SeqNum(1), SeqNum(2)}};
  odd.tcp.options.window_scale = 7;
  odd.tcp.options.sack_permitted = true;
  odd.tcp.options.timestamps = std::pair<uint32_t, uint32_t>{4000000000u, 0};
  odd.retransmission = 4;
  odd.corrupted = true;
  recs.push_back(packet_rec(at(3_s), PacketEvent::recv, "s\"rv", odd));
  recs.push_back(drop_rec(at(4_s), "r1", client_data(), DropReason::ttl_exceeded, ""));
  auto listen = app_rec(at(0_s), "server", "echo", AppWhat::listen);
  listen.local = kServer;
  recs.push_back(listen);
  auto closed = app_rec(at(9_s), "client", "alice", AppWhat::closed);
  closed.detail = "abort";
  recs.push_back(closed);
  TimerRecord gave_up = timer_rec(at(7_s), "", TimerKind::keepalive, 9);
  gave_up.limit = 9;
  gave_up.ran = 75_s;
  gave_up.elapsed = 7875_s;
  gave_up.gives_up = true;
  recs.push_back(gave_up);
  recs.push_back(FaultRecord{at(5_s), "server", "crash", ""});
  recs.push_back(CounterRecord{at(6_s), "server", "cwnd", 14600, kServer, kClient});
  recs.push_back(CounterRecord{at(6_s), "server", "syncookies_sent", 1, {}, {}});

  std::string first = jsonl_of(recs);
  std::istringstream in(first);
  std::vector<TraceRecord> back = read_jsonl(in, "events.jsonl");
  REQUIRE(back.size() == recs.size());
  CHECK(jsonl_of(back) == first);

  // The fields a diagram needs come back exactly.
  const auto& syn = std::get<PacketRecord>(back[0]);
  CHECK(syn.t == at(0_s));
  CHECK(syn.host == "client");
  CHECK(syn.packet.src_addr() == kClient);
  CHECK(syn.packet.tcp == client_syn().tcp);
  const auto& drop = std::get<PacketRecord>(back[5]);
  CHECK(drop.ev == PacketEvent::drop);
  CHECK(drop.reason == DropReason::loss);
  CHECK(drop.detail == "loss 1%");
  CHECK(drop.packet.tcp.payload.as_string_view() == "Hello,server!");
  const auto& recv = std::get<PacketRecord>(back[7]);
  CHECK(recv.packet.tcp == odd.tcp);
  CHECK(recv.packet.retransmission == 4);
  CHECK(recv.packet.corrupted);
  CHECK(recv.host == "s\"rv");
  const auto& state = std::get<StateRecord>(back[1]);
  CHECK(state.local == kClient);
  CHECK(state.remote == kServer);
  CHECK(state.app == "alice");
  CHECK(state.from == TcpState::closed);
  CHECK(state.to == TcpState::syn_sent);
  CHECK(state.cause == StateCause::connect);
  CHECK(std::get<AppRecord>(back[9]).local == kServer);
  const auto& rto = std::get<TimerRecord>(back[6]);
  CHECK(rto.attempt == 1);
  CHECK(rto.limit == 15);
  CHECK(rto.ran == 200_ms);
  CHECK(rto.next == 400_ms);
  CHECK(rto.seq == 1001);
  CHECK(rto.backoff == 1);
  CHECK_FALSE(rto.gives_up);
  const auto& ka = std::get<TimerRecord>(back[11]);
  CHECK(ka.timer == TimerKind::keepalive);
  CHECK(ka.attempt == 9);
  CHECK(ka.limit == 9);
  CHECK(ka.ran == 75_s);
  CHECK(ka.elapsed == 7875_s);
  CHECK(ka.gives_up);
  CHECK(std::get<CounterRecord>(back[13]).value == 14600);
}

TEST_CASE("a JSONL payload longer than 64 bytes reads back as its prefix and zeros") {
  Packet p = client_data();
  p.tcp.payload = Payload::from_string(std::string(100, 'x'));
  std::string line = jsonl_of({packet_rec(at(0_s), PacketEvent::send, "client", p)});
  std::istringstream in(line);
  auto back = read_jsonl(in, "e.jsonl");
  REQUIRE(back.size() == 1);
  const Payload& got = std::get<PacketRecord>(back[0]).packet.tcp.payload;
  CHECK(got.size() == 100);
  CHECK(got.as_string_view() == std::string(64, 'x') + std::string(36, '\0'));
  CHECK(jsonl_of(back) == line);
}

TEST_CASE("the JSONL reader skips blank lines and ignores unknown fields") {
  std::istringstream in(
      "\n"
      R"({"t_ns":5,"ev":"fault","host":"","what":"link_up","future_field":[1,2]})"
      "\n   \n"
      R"({"ev":"counter","value":-7,"name":"x","host":"h","t_ns":9})"
      "\r\n");
  auto back = read_jsonl(in, "e.jsonl");
  REQUIRE(back.size() == 2);
  CHECK(std::get<FaultRecord>(back[0]).what == "link_up");
  CHECK(std::get<FaultRecord>(back[0]).t == Instant::from_ns(5));
  CHECK(std::get<CounterRecord>(back[1]).value == -7);
}

TEST_CASE("JSONL reader errors name the file and line") {
  auto error_of = [](const std::string& text) -> std::string {
    std::istringstream in(text);
    try {
      read_jsonl(in, "run/events.jsonl");
    } catch (const JsonlError& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string ok = R"({"t_ns":0,"ev":"fault","host":"","what":"crash"})";
  CHECK(error_of(ok + "\n" + R"({"t_ns":0,"ev":"send"})") ==
        R"(run/events.jsonl:2: missing field "host")");
  CHECK(error_of(ok + "\n\n" + "{\"t_ns\":0,") ==
        "run/events.jsonl:3: invalid JSON: parse error at column 11: syntax error while "
        "parsing object key - unexpected end of input; expected string literal");
  CHECK(error_of("[1,2]") == "run/events.jsonl:1: expected a JSON object");
  CHECK(
      error_of(R"({"t_ns":0,"ev":"oops","host":""})") ==
      R"(run/events.jsonl:1: unknown ev "oops" (expected send, recv, drop, state, timer, app, fault or counter))");
  CHECK(error_of(R"({"t_ns":"0","ev":"fault","host":""})") ==
        R"(run/events.jsonl:1: field "t_ns" must be an integer)");

  std::string send =
      R"({"t_ns":0,"ev":"send","host":"c","uid":1,"src":"10.0.0.1:7500","dst":"10.0.0.2:80",)"
      R"("flags":"S","seq":1,"ack":0,"win":100,"len":0)";
  auto with = [&](const std::string& extra) { return error_of(send + extra + "}"); };
  CHECK(with("") == "no error");
  CHECK(with(R"(,"opts":"mss 1460,sackOK,TS val 1 ecr 2,nop,wscale 7,sack 1 {1:2}")") ==
        "no error");  // tcpdump's text: files written before the typed option fields
  CHECK(with(R"(,"opts":{"mss":1460,"sackOK":true,"ts":[1,2],"wscale":7,"sack":[[1,2]]})") ==
        "no error");
  CHECK(
      with(R"(,"opts":{"mss":70000})") ==
      R"(run/events.jsonl:1: field "opts": option "mss" must be an unsigned integer of at most 65535)");
  CHECK(with(R"(,"opts":{"sack":[[1,2,3]]})") ==
        R"(run/events.jsonl:1: field "opts": option "sack" must be a pair [a, b])");
  CHECK(with(R"(,"opts":7)") ==
        R"(run/events.jsonl:1: field "opts" must be an object like {"mss":1460})");
  CHECK(error_of(R"({"t_ns":0,"ev":"send","host":"c","uid":1,"src":"10.0.0:1"})") ==
        R"(run/events.jsonl:1: field "src": "10.0.0:1" is not an address like "10.0.0.1:7500")");
  CHECK(
      with(R"(,"opts":"mss x")") ==
      R"(run/events.jsonl:1: field "opts": "mss x" is not an options list like "mss 1460,sackOK")");
  CHECK(with(R"(,"payload":"toolong")") ==
        R"(run/events.jsonl:1: field "payload" is longer than "len")");
  CHECK(
      with(R"(,"payload":"\u0100")") ==
      R"(run/events.jsonl:1: field "payload" has a character above \u00ff (one character per byte))");
  CHECK(with(R"(,"retx":-1)") ==
        R"(run/events.jsonl:1: field "retx" must be an unsigned integer of at most 65535)");
  CHECK(with(R"(,"corrupted":1)") ==
        R"(run/events.jsonl:1: field "corrupted" must be true or false)");
  std::string bad_flags = send;
  replace_all(bad_flags, R"("flags":"S")", R"("flags":"SX")");
  CHECK(error_of(bad_flags + "}") ==
        R"(run/events.jsonl:1: field "flags": "SX" is not tcpdump flags like "S.")");
  std::string bad_seq = send;
  replace_all(bad_seq, R"("seq":1)", R"("seq":4294967296)");
  CHECK(error_of(bad_seq + "}") ==
        R"(run/events.jsonl:1: field "seq" must be an unsigned integer of at most 4294967295)");
  std::string drop = send;
  replace_all(drop, R"("ev":"send")", R"("ev":"drop")");
  CHECK(error_of(drop + R"(,"reason":"gremlins"})") ==
        R"(run/events.jsonl:1: field "reason": "gremlins" is not a drop reason)");
  CHECK(
      error_of(R"({"t_ns":0,"ev":"state","host":"c","conn":"10.0.0.1:1-10.0.0.2:2"})") ==
      R"(run/events.jsonl:1: field "conn": "10.0.0.1:1-10.0.0.2:2" is not a connection like "10.0.0.1:7500>10.0.0.2:80")");
  CHECK(
      error_of(R"({"t_ns":0,"ev":"timer","host":"c","conn":"1.2.3.4:1>1.2.3.4:2","timer":"x"})") ==
      R"(run/events.jsonl:1: field "timer": "x" is not a timer name)");
  std::string state =
      R"({"t_ns":0,"ev":"state","host":"c","conn":"1.2.3.4:1>1.2.3.4:2","from":"CLOSED",)";
  CHECK(error_of(state + R"("to":"TIMEWAIT","cause":"connect"})") ==
        R"(run/events.jsonl:1: field "to": "TIMEWAIT" is not a TCP state like "ESTABLISHED")");
  CHECK(error_of(state + R"("to":"SYN_SENT","cause":"because"})") ==
        R"(run/events.jsonl:1: field "cause": "because" is not a state-change cause)");
  CHECK(error_of(R"({"t_ns":0,"ev":"app","host":"c","app":"a","what":"dance"})") ==
        R"(run/events.jsonl:1: field "what": "dance" is not an application event)");

  std::istringstream in("{}");
  try {
    read_jsonl(in, "f.jsonl");
    FAIL("no exception");
  } catch (const JsonlError& e) {
    CHECK(e.file() == "f.jsonl");
    CHECK(e.line() == 1);
  }
}

// ---------------------------------------------------------------------------------------
// pcap

namespace {

// The spec sample (its data segment is lost: captured at the send only, here not sent), a
// Linux SYN-ACK, a retransmission damaged on the way (captured twice: sent, and as the
// receiver discarded it), FIN and RST. The recv and the loss drop are not captured.
std::vector<TraceRecord> pcap_sample() {
  std::vector<TraceRecord> recs = spec_sample();
  Packet synack = server_synack();
  synack.tcp.options.sack_permitted = true;
  synack.tcp.options.timestamps = std::pair<uint32_t, uint32_t>{77, 1};
  synack.tcp.options.window_scale = 7;
  recs[2] = packet_rec(at(10_ms), PacketEvent::send, "server", synack);
  recs.push_back(packet_rec(at(10_ms), PacketEvent::recv, "client", synack));
  Packet retx = client_data();
  retx.retransmission = 1;
  recs.push_back(packet_rec(Instant::from_ns(1'400'000'123), PacketEvent::send, "client", retx));
  retx.corrupted = true;
  recs.push_back(drop_rec(at(1410_ms), "server", retx, DropReason::corrupt, "bad checksum"));
  Packet fin = make_packet(kClient, kServer, TcpFlags::FIN | TcpFlags::ACK, 1014, 5001, 64240);
  recs.push_back(packet_rec(at(2_s), PacketEvent::send, "client", fin));
  Packet rst = make_packet(kServer, kClient, TcpFlags::RST, 5001, 0, 0);
  recs.push_back(packet_rec(at(3_s), PacketEvent::send, "server", rst));
  return recs;
}

std::vector<PacketRecord> captured(const std::vector<TraceRecord>& recs) {
  std::vector<PacketRecord> out;
  for (const auto& r : recs) {
    const auto* p = std::get_if<PacketRecord>(&r);
    if (p != nullptr && PcapSink::captured(*p)) out.push_back(*p);
  }
  return out;
}

std::string write_pcap(const TempDir& dir, const std::vector<TraceRecord>& recs) {
  std::string path = dir.file("capture.pcap");
  PcapSink sink(path);
  CHECK(sink.nanosecond_timestamps());
  for (const auto& r : recs)
    sink.write(r);
  CHECK_FALSE(fs::exists(path));  // nothing appears before the run is complete
  sink.finish();
  CHECK(fs::exists(path));
  CHECK(sink.packets_written() == 6);
  return path;
}

}  // namespace

TEST_CASE("the pcap holds each sent packet and each damaged arrival, with nanosecond times") {
  CHECK(PcapSink::captured(packet_rec(at(0_s), PacketEvent::send, "client", client_syn())));
  CHECK_FALSE(PcapSink::captured(packet_rec(at(0_s), PacketEvent::recv, "server", client_syn())));
  CHECK_FALSE(PcapSink::captured(drop_rec(at(0_s), "r1", client_syn(), DropReason::loss, "")));

  TempDir dir("pcap-readback");
  auto recs = pcap_sample();
  std::string path = write_pcap(dir, recs);
  CHECK(dir.entries() == 1);                                  // the temporary is gone
  CHECK(read_file(path).substr(0, 4) == "\x4d\x3c\xb2\xa1");  // nanosecond pcap magic

  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pc =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  REQUIRE(pc != nullptr);
  CHECK(pcap_datalink(pc) == DLT_RAW);
  std::vector<PacketRecord> want = captured(recs);
  REQUIRE(want.size() == 6);
  std::vector<int64_t> want_ns{
      0, 10'000'000, 1'400'000'123, 1'410'000'000, 2'000'000'000, 3'000'000'000};
  size_t i = 0;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(pc, &hdr, &data) == 1) {
    REQUIRE(i < want.size());
    INFO("packet " << i);
    CHECK(hdr->caplen == hdr->len);
    CHECK(int64_t{hdr->ts.tv_sec} * 1'000'000'000 + hdr->ts.tv_usec == want_ns[i]);
    DecodeResult d = decode_ipv4({data, hdr->caplen});
    CHECK(hdr->caplen == want[i].packet.wire_size());
    if (want[i].packet.corrupted) {
      CHECK(d.error == "bad TCP checksum");
    } else {
      REQUIRE(d.ok());
      CHECK(d.packet->src == want[i].packet.src);
      CHECK(d.packet->dst == want[i].packet.dst);
      CHECK(d.packet->tcp == want[i].packet.tcp);
    }
    ++i;
  }
  CHECK(i == want.size());
  pcap_close(pc);
}

TEST_CASE("tcpdump reads the pcap and prints the same packets as the text trace") {
  if (!on_path("tcpdump")) {
    WARN("tcpdump is not on PATH: the tcpdump check is skipped");
    return;
  }
  TempDir dir("pcap-tcpdump");
  auto recs = pcap_sample();
  std::string path = write_pcap(dir, recs);
  // -S: absolute sequence numbers, as the text trace prints them.
  auto got = lines_of(run("tcpdump -nn -S -tt -r " + path + " 2>/dev/null"));
  std::vector<std::string> want;
  for (PacketRecord p : captured(recs)) {
    // tcpdump has no host column and shows "IP", and no retransmission marker; the options
    // print alike, NOP padding included. The damaged copy prints like the packet that was sent.
    p.host = "IP";
    p.ev = PacketEvent::send;
    p.packet.retransmission = 0;
    want.push_back(format_trace_line(p));
  }
  CHECK(got == want);

  std::string verbose = run("tcpdump -nn -vv -r " + path + " 2>/dev/null");
  CHECK(verbose.find("truncated") == std::string::npos);
  CHECK(verbose.find("[|tcp]") == std::string::npos);
  CHECK(verbose.find("bad") == std::string::npos);
  size_t correct = 0, incorrect = 0;
  for (const auto& l : lines_of(verbose)) {
    if (l.find("cksum") == std::string::npos) continue;
    if (l.find("(correct)") != std::string::npos) ++correct;
    if (l.find("(incorrect") != std::string::npos) ++incorrect;
  }
  CHECK(correct == 5);
  CHECK(incorrect == 1);  // the damaged copy of the retransmission
  CHECK(verbose.find("options [mss 1460,sackOK,TS val 77 ecr 1,nop,wscale 7]") !=
        std::string::npos);
}

TEST_CASE("tshark reads the pcap without malformed packets and with nanosecond times") {
  if (!on_path("tshark")) {
    WARN("tshark is not on PATH: the tshark check is skipped");
    return;
  }
  TempDir dir("pcap-tshark");
  std::string path = write_pcap(dir, pcap_sample());
  auto summary = lines_of(run("tshark -o tcp.check_checksum:TRUE -r " + path + " 2>/dev/null"));
  REQUIRE(summary.size() == 6);
  for (size_t i = 0; i < summary.size(); ++i) {
    INFO(summary[i]);
    CHECK(summary[i].find("Malformed") == std::string::npos);
    CHECK((summary[i].find("CHECKSUM INCORRECT") != std::string::npos) == (i == 3));
  }
  CHECK(summary[0].find("[SYN]") != std::string::npos);
  CHECK(summary[1].find("[SYN, ACK]") != std::string::npos);
  CHECK(summary[4].find("[FIN, ACK]") != std::string::npos);
  CHECK(summary[5].find("[RST]") != std::string::npos);
  CHECK(run("tshark -r " + path +
            " -T fields -e frame.time_epoch -e tcp.seq_raw -e tcp.ack_raw 2>/dev/null") ==
        "0.000000000\t1000\t0\n"
        "0.010000000\t5000\t1001\n"
        "1.400000123\t1001\t5001\n"
        "1.410000000\t1001\t5001\n"
        "2.000000000\t1014\t5001\n"
        "3.000000000\t5001\t0\n");
}

TEST_CASE("a pcap sink destroyed without finish leaves no file behind") {
  TempDir dir("pcap-abandoned");
  {
    PcapSink sink(dir.file("capture.pcap"));
    sink.write(packet_rec(at(0_s), PacketEvent::send, "client", client_syn()));
    CHECK(dir.entries() == 1);  // the temporary
  }
  CHECK(dir.entries() == 0);
}

// ---------------------------------------------------------------------------------------
// Atomic files

TEST_CASE("an atomic file appears only on commit and replaces the old file whole") {
  TempDir dir("atomic-commit");
  std::string path = dir.file("trace.txt");
  { std::ofstream(path) << "old contents\n"; }
  AtomicFile f(path);
  CHECK(f.temp_path() == path + ".tmp." + std::to_string(::getpid()));
  f.stream() << "new ";
  std::fputs("contents\n", f.file());
  CHECK(read_file(path) == "old contents\n");
  CHECK(fs::exists(f.temp_path()));
  f.commit();
  CHECK(f.committed());
  CHECK(read_file(path) == "new contents\n");
  CHECK(dir.entries() == 1);
}

TEST_CASE("an atomic file destroyed without commit leaves nothing and keeps the old file") {
  TempDir dir("atomic-abandon");
  std::string kept = dir.file("kept.txt");
  { std::ofstream(kept) << "old\n"; }
  {
    AtomicFile a(dir.file("new.txt"));
    AtomicFile b(kept);
    a.stream() << "half a line";
    b.stream() << "half a line";
    CHECK(dir.entries() == 3);
  }
  CHECK(dir.entries() == 1);
  CHECK(read_file(kept) == "old\n");
}

TEST_CASE("two atomic files for one path get different temporaries") {
  TempDir dir("atomic-two");
  AtomicFile a(dir.file("x"));
  AtomicFile b(dir.file("x"));
  CHECK(a.temp_path() != b.temp_path());
  b.stream() << "b";
  a.stream() << "a";
  b.commit();
  a.commit();
  CHECK(read_file(dir.file("x")) == "a");
}

TEST_CASE("an atomic file in a missing directory fails with the path and the reason") {
  TempDir dir("atomic-missing");
  std::string path = dir.file("no/such/dir/trace.txt");
  CHECK_THROWS_WITH(AtomicFile(path),
                    "cannot create output file '" + path + "': No such file or directory");
  CHECK_THROWS_AS(PcapSink(path), AtomicFileError);
  CHECK_THROWS_WITH(AtomicFile(dir.path.string()),
                    "cannot write output file '" + dir.path.string() + "': it is a directory");
  CHECK_THROWS_WITH(AtomicFile(""), "output path is empty");
}

TEST_CASE("the atomic file \"-\" is standard output and is never closed") {
  AtomicFile out("-");
  CHECK(out.is_stdout());
  CHECK(out.file() == stdout);
  CHECK(out.temp_path().empty());
  out.commit();
  CHECK(std::fputs("", stdout) >= 0);  // stdout still usable
}
