// Real peers with the modern options (issue 13 item 8): the machine's Linux stack negotiates
// timestamps, SACK and window scaling with netsim hosts whose switches are set explicitly, moves
// 10 MB each way through scaled windows, and recovers from lost segments with SACK in both
// directions. Skipped without root or /dev/net/tun, as test_linux_peers.cpp.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "sim/units.hpp"
#include "sim/wire.hpp"

namespace netsim::realtime::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// Linux's data-path switches on a simulated host, written out so that the tests mean the same
// before and after the `linux` preset takes Linux's defaults. congestion stays the preset's.
const char* const kLinuxSwitches =
    "timestamps: 1, window_scaling: 1, sack: 1, dsack: 1, recovery: 1, early_retrans: 3, frto: 2";

std::string scenario(const std::string& name, const std::string& duration,
                     const std::string& simulated_host, const std::string& rest,
                     const std::string& link_extra = "", const std::string& tcp_extra = "") {
  return fmt::format(R"(name: {}
duration: {}
hosts:
  real: {{tun: netsim0, address: 10.0.0.100}}
  {}: {{address: 10.0.0.2, tcp: {{{}{}}}}}
links: [{{between: [real, {}], delay: 20ms{}}}]
{})",
                     name, duration, simulated_host, kLinuxSwitches, tcp_extra, simulated_host,
                     link_extra, rest);
}

// The window shift Linux offers, from the namespace's sysctls (tcp_output.c:
// tcp_select_initial_window: ilog2(max(tcp_rmem[2], rmem_max)) - 15, clamped to 0..14).
int linux_wscale() {
  std::ifstream rmem("/proc/sys/net/ipv4/tcp_rmem");
  std::ifstream core("/proc/sys/net/core/rmem_max");
  uint64_t lo = 0, def = 0, max = 0, rmem_max = 0;
  rmem >> lo >> def >> max;
  core >> rmem_max;
  REQUIRE(max > 0);
  int log2 = std::bit_width(std::max(max, rmem_max)) - 1;
  return std::clamp(log2 - 15, 0, 14);
}

// Sequence numbers relative to a connection's first data byte, per sending host.
struct DataSegment {
  Instant t;
  uint32_t seq = 0;  // relative
  uint32_t len = 0;
  bool retransmission = false;  // its data was sent before
};

std::vector<DataSegment> data_sent(const std::vector<TraceRecord>& records, const std::string& host,
                                   PacketEvent ev = PacketEvent::send) {
  std::vector<DataSegment> out;
  std::optional<uint32_t> base;
  uint32_t highest = 0;
  for (const auto& p : packets(records, PacketEvent::send, host)) {
    const Segment& s = p.packet.tcp;
    if (s.flags.has(TcpFlags::SYN)) base = s.seq.raw() + 1;
    if (s.payload.empty() || !base) continue;
    DataSegment d{p.t, s.seq.raw() - *base, static_cast<uint32_t>(s.payload.size())};
    d.retransmission = d.seq + d.len <= highest;
    highest = std::max(highest, d.seq + d.len);
    out.push_back(d);
  }
  if (ev == PacketEvent::drop) {
    std::vector<DataSegment> dropped;
    for (const auto& p : packets(records, PacketEvent::drop, host)) {
      const Segment& s = p.packet.tcp;
      if (!s.payload.empty() && base)
        dropped.push_back({p.t, s.seq.raw() - *base, static_cast<uint32_t>(s.payload.size())});
    }
    return dropped;
  }
  return out;
}

// The bare FINs `host` sent again (a lost FIN's retransmission, or its tail-loss probe):
// Linux counts them in tcpi_total_retrans as it counts data.
size_t fin_resends(const std::vector<TraceRecord>& records, const std::string& host) {
  size_t fins = 0, resends = 0;
  for (const auto& p : packets(records, PacketEvent::send, host)) {
    const Segment& s = p.packet.tcp;
    if (!s.flags.has(TcpFlags::FIN)) continue;
    resends += fins > 0 && s.payload.empty();
    ++fins;
  }
  return resends;
}

std::vector<DataSegment> retransmissions(const std::vector<DataSegment>& sent) {
  std::vector<DataSegment> out;
  for (const auto& d : sent)
    if (d.retransmission) out.push_back(d);
  return out;
}

// The cumulative ACK (relative to `data_base`) that `host` had received by time t.
uint32_t acked_before(const std::vector<TraceRecord>& records, const std::string& host,
                      uint32_t data_base, Instant t) {
  uint32_t acked = 0;
  for (const auto& p : packets(records, PacketEvent::recv, host)) {
    if (p.t > t) break;  // an ACK at the same instant came first: it may be the cause
    if (p.packet.tcp.flags.has(TcpFlags::ACK) && !p.packet.tcp.flags.has(TcpFlags::SYN))
      acked = std::max(acked, p.packet.tcp.ack.raw() - data_base);
  }
  return acked;
}

// The first sequence number of `host`'s data: one past its SYN's.
uint32_t data_base(const std::vector<TraceRecord>& records, const std::string& host) {
  return packets(records, PacketEvent::send, host)[0].packet.tcp.seq.raw() + 1;
}

// The rules that drop data segments 40, 42 and 44 sent by `src`: three holes in one window.
// Later segments' rules first: a drop ends the rule chain, so each rule counts every segment
// before its own.
std::string three_holes(const std::string& src) {
  return fmt::format(R"(faults:
  - {{drop: {{src: {0}, payload: true}}, nth: 44, count: 1}}
  - {{drop: {{src: {0}, payload: true}}, nth: 42, count: 1}}
  - {{drop: {{src: {0}, payload: true}}, nth: 40, count: 1}}
)",
                     src);
}

// The simulated server of the tests where Linux is the client: an echo server on port 20000.
const char* const kEchoApps = R"(apps:
  - tcp_server: {name: echo, on: server, port: 20000, reply: echo}
)";

// The simulated client of the tests where Linux is the server: alice sends `size` to port 8080.
std::string upload_apps(const std::string& size) {
  return fmt::format(R"(apps:
  - tcp_client: {{name: alice, on: client, connect: real:8080, send: {}, close: after_send}}
)",
                     size);
}

// Linux's bulk client (peers.py bulk-client) sends `bytes` to the echo server and reads them
// back; its report must say they all came back intact.
PeerResult run_bulk_client(RealPeerTest& t, int bytes, int timeout_s) {
  PeerResult r = t.run_with_peer(py({"--timeout", std::to_string(timeout_s), "bulk-client",
                                     "10.0.0.2", "20000", std::to_string(bytes)}),
                                 {.exit_within = 10s});
  INFO(r.output);
  CHECK(r.out["received"] == bytes);
  CHECK(r.out["intact"] == true);
  return r;
}

// Linux's sink server (peers.py sink-server, its own timeout `timeout_s` unless 0) on port 8080
// reads `bytes` from alice; its report must say they arrived intact.
Json run_sink_server(RealPeerTest& t, int bytes, int timeout_s = 0) {
  std::vector<std::string> args{"sink-server", "8080", "--expect", std::to_string(bytes)};
  if (timeout_s > 0) args.insert(args.begin(), {"--timeout", std::to_string(timeout_s)});
  Json out = t.run_with_peer(py(args), {.ready = "ready"}).out;
  CHECK(out["received"] == bytes);
  CHECK(out["intact"] == true);
  return out;
}

// Linux's tcp_info (peers.py's report): all three options agreed (TCPI_OPT_TIMESTAMPS | SACK |
// WSCALE), our shift `ours` and Linux's `shift`, and `mss_field` 1448 (the MSS less timestamps).
void check_linux_tcp_info(const Json& info, int shift, const char* mss_field, int ours = 7) {
  CHECK(info["options"].get<int>() == (1 | 2 | 4));
  CHECK(info["snd_wscale"] == ours);
  CHECK(info["rcv_wscale"] == shift);
  CHECK(info[mss_field] == 1448);
}

// The bytes Linux read from the device for our SYN-ACK: Linux's own layout
// (tcp_output.c:tcp_options_write), mss | sackOK+TS (SACK-permitted in place of TS's two
// NOPs) | nop, wscale `ours`.
void check_synack_bytes(const Packet& synack, uint32_t our_ts, uint32_t linux_ts, int ours) {
  const std::vector<uint8_t> wire = encode_ipv4(synack);
  REQUIRE(wire.size() == 20 + 40);
  const std::vector<uint8_t> options(wire.begin() + 40, wire.end());
  std::vector<uint8_t> expected{2, 4, 0x05, 0xb4, 4, 2, 8, 10};
  for (uint32_t v : {our_ts, linux_ts})
    for (int shift : {24, 16, 8, 0})
      expected.push_back(static_cast<uint8_t>(v >> shift));
  for (int b : {1, 3, 3, ours})
    expected.push_back(static_cast<uint8_t>(b));
  CHECK(options == expected);
}

// Linux's SYN (shift `shift`) and our SYN-ACK (shift `ours`) offer all three options, in
// Linux's order and layout.
void check_handshake_options(const Packet& syn, const Packet& synack, int shift, int ours) {
  REQUIRE(syn.tcp.flags.to_string() == "S");
  REQUIRE(synack.tcp.flags.to_string() == "S.");
  REQUIRE(syn.tcp.options.timestamps);
  REQUIRE(synack.tcp.options.timestamps);
  const auto [linux_ts, zero] = *syn.tcp.options.timestamps;
  const auto [our_ts, echoed] = *synack.tcp.options.timestamps;
  CHECK(zero == 0);
  CHECK(echoed == linux_ts);  // TSecr of the SYN-ACK = the SYN's TSval
  CHECK(syn.tcp.options.to_string() ==
        fmt::format("mss 1460,sackOK,TS val {} ecr 0,nop,wscale {}", linux_ts, shift));
  CHECK(synack.tcp.options.to_string() ==
        fmt::format("mss 1460,sackOK,TS val {} ecr {},nop,wscale {}", our_ts, linux_ts, ours));
  check_synack_bytes(synack, our_ts, linux_ts, ours);
  CHECK(syn.tcp.window == 64240);     // SYN windows are never scaled
  CHECK(synack.tcp.window == 65160);  // 45 x 1448 with timestamps
}

// After the handshake every segment of both sides carries timestamps, full data segments are
// 1448 bytes (the MSS less the 12-byte option), and the windows are scaled past 65535.
void check_scaled_segments(const std::vector<PacketRecord>& from_linux,
                           const std::vector<PacketRecord>& from_us, int shift, int ours,
                           int bytes) {
  uint64_t linux_max_window = 0, our_max_window = 0;
  for (size_t i = 1; i < from_linux.size(); ++i) {
    const Segment& s = from_linux[i].packet.tcp;
    if (s.flags.has(TcpFlags::RST)) continue;
    CHECK(s.options.timestamps.has_value());
    CHECK(s.payload.size() <= 1448);
    linux_max_window = std::max<uint64_t>(linux_max_window, uint64_t{s.window} << shift);
  }
  size_t full = 0;
  for (size_t i = 1; i < from_us.size(); ++i) {
    const Segment& s = from_us[i].packet.tcp;
    CHECK(s.options.timestamps.has_value());
    CHECK(s.payload.size() <= 1448);
    // A full segment gives up the bytes of the SACK blocks it carries (tcp_current_mss()): with
    // Linux-sized receive windows the sender fills the simulated queue and loses segments, so
    // our echo runs with SACK blocks to send.
    const size_t sack_bytes = s.options.sack.empty() ? 0 : 4 + 8 * s.options.sack.size();
    full += s.payload.size() + sack_bytes == 1448;
    our_max_window = std::max<uint64_t>(our_max_window, uint64_t{s.window} << ours);
  }
  CHECK(full >= static_cast<size_t>(bytes / 1448 - 100));  // nearly every segment is full
  CHECK(linux_max_window > 65535);
  CHECK(our_max_window > 65535);
}

// `host` lost the three segments of three_holes() and resent exactly those, SACK-driven: the
// second and third went out before the cumulative ACK reached them (NewReno would need a
// partial ACK, one round trip, per hole), all three within one 40 ms round trip.
void check_three_holes_repaired(const std::vector<TraceRecord>& records, const std::string& host) {
  auto dropped = data_sent(records, host, PacketEvent::drop);
  auto resent = retransmissions(data_sent(records, host));
  REQUIRE(dropped.size() == 3);
  REQUIRE(resent.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(resent[i].seq == dropped[i].seq);
    CHECK(resent[i].len == dropped[i].len);
  }
  const uint32_t base = data_base(records, host);
  for (size_t i = 1; i < 3; ++i)
    CHECK(acked_before(records, host, base, resent[i].t) < resent[i].seq);
  INFO("retransmissions " << format_duration(resent[2].t - resent[0].t) << " apart");
  CHECK(resent[2].t - resent[0].t < Duration::milliseconds(40));
}

}  // namespace

TEST_CASE(
    "A Linux client and a simulated server negotiate timestamps, SACK and window scaling, and "
    "10 MB cross each way byte for byte in scaled windows") {
  if (skip_if_unsupported()) return;
  const int shift = linux_wscale();
  // The echo server's buffer may grow to 32 MB (tcp_rmem[2]), so it offers shift 10
  // (ilog2(32 MB) - 15, tcp_select_initial_window()) and its receive queue can hold all 10 MB
  // (16 MB at the default scaling ratio). At the default 6 MB it would fill whenever Linux
  // sends faster than our echo gets its bytes back to Python, and there a segment inside the
  // offered window can find no memory: the right edge creeps up to 127 bytes past the last
  // offer with every ACK (tcp_select_window() never shrinks it, ALIGN(cur_win, 1 << wscale)),
  // and netsim charges exactly the measured ratio (docs/windows.md: how often Linux's per-skb
  // truesize leaves room there is not measured). The window then drops to zero below what
  // Linux already sent, Linux's ACKs beyond it are discarded (tcp_sequence()), and progress
  // waits on Linux's backed-off retransmissions.
  // The run ends 300 ms after the peer; 40 s only bounds a stalled one.
  constexpr int kOurShift = 10;
  RealPeerTest t(
      scenario("scaled-bulk", "40s", "server", kEchoApps, "", ", rmem: 4096 131072 33554432"));
  constexpr int kBytes = 10 * 1024 * 1024;
  PeerResult r = run_bulk_client(t, kBytes, 30);
  INFO(r.output);
  // Byte for byte both ways: the echo Linux got back is what it sent, so our server received
  // it intact too.
  CHECK(r.out["sent"] == kBytes);
  CHECK(r.out["eof"] == true);
  const apps::AppReport& echo = *t.run.report("echo");
  REQUIRE(echo.connections.size() == 1);
  CHECK(echo.connections[0].bytes_received == kBytes);
  CHECK(echo.connections[0].bytes_sent == kBytes);
  // Nothing was dropped for want of memory.
  const tcp::Counters& counters = t.run.host("server")->stack().counters();
  CHECK(counters.TCPRcvQDrop == 0);
  CHECK(counters.RcvPruned == 0);

  // Both SYNs, as the bridge decoded them from Linux's bytes and as we sent ours.
  auto from_linux = packets(t.trace.records, PacketEvent::send, "real");
  auto from_us = packets(t.trace.records, PacketEvent::send, "server");
  REQUIRE(from_linux.size() > 100);
  REQUIRE(from_us.size() > 100);
  check_handshake_options(from_linux[0].packet, from_us[0].packet, shift, kOurShift);
  check_scaled_segments(from_linux, from_us, shift, kOurShift, kBytes);
  // Linux's own view: its shift and ours, and the MSS it sends with.
  check_linux_tcp_info(r.out["tcp_info"], shift, "snd_mss", kOurShift);
}

TEST_CASE(
    "A simulated client offers timestamps, SACK and window scaling to a Linux server, whose "
    "SYN-ACK agrees to each") {
  if (skip_if_unsupported()) return;
  const int shift = linux_wscale();
  RealPeerTest t(scenario("options-to-linux", "5s", "client", upload_apps("100KB")));
  Json out = run_sink_server(t, 100000);
  auto ours = packets(t.trace.records, PacketEvent::send, "client");
  auto linux = packets(t.trace.records, PacketEvent::send, "real");
  REQUIRE(!ours.empty());
  REQUIRE(!linux.empty());
  const Packet& syn = ours[0].packet;
  const Packet& synack = linux[0].packet;
  REQUIRE(syn.tcp.options.timestamps);
  REQUIRE(synack.tcp.options.timestamps);
  const uint32_t our_ts = syn.tcp.options.timestamps->first;
  const uint32_t linux_ts = synack.tcp.options.timestamps->first;
  CHECK(syn.tcp.options.to_string() ==
        fmt::format("mss 1460,sackOK,TS val {} ecr 0,nop,wscale 7", our_ts));
  CHECK(synack.tcp.flags.to_string() == "S.");
  // Linux answers every option the SYN offered (tcp_output.c:tcp_synack_options).
  CHECK(synack.tcp.options.to_string() ==
        fmt::format("mss 1460,sackOK,TS val {} ecr {},nop,wscale {}", linux_ts, our_ts, shift));
  CHECK(synack.tcp.window == 65160);
  check_linux_tcp_info(out["tcp_info"], shift, "rcv_mss");
}

TEST_CASE(
    "A Linux sender repairs three holes in one window from our SACK blocks, within one round "
    "trip, and the data arrives intact") {
  if (skip_if_unsupported()) return;
  RealPeerTest t(scenario("linux-sack-recovery", "20s", "server", kEchoApps + three_holes("real")));
  PeerResult r = run_bulk_client(t, 1024 * 1024, 18);
  INFO(r.output);
  // Exactly the three lost segments come back, nothing that arrived (a tail-loss probe would
  // be the one exception Linux allows itself; none is due with data still flowing).
  check_three_holes_repaired(t.trace.records, "real");
  // Our receiver's ACKs named what it held beyond each hole.
  uint64_t sack_acks = 0;
  for (const auto& p : packets(t.trace.records, PacketEvent::send, "server"))
    sack_acks += !p.packet.tcp.options.sack.empty();
  CHECK(sack_acks >= 3);
  CHECK(r.out["tcp_info"]["total_retrans"] == 3);  // Linux counted the same three
}

TEST_CASE(
    "A simulated client's 1 MB reaches a Linux server intact across three lost segments, and "
    "Linux's duplicate ACKs carry SACK blocks for each hole") {
  if (skip_if_unsupported()) return;
  RealPeerTest t(
      scenario("sack-from-linux", "10s", "client", upload_apps("1MB") + three_holes("client")));
  run_sink_server(t, 1000000, 8);
  auto dropped = data_sent(t.trace.records, "client", PacketEvent::drop);
  REQUIRE(dropped.size() == 3);
  // Every hole appears as the left edge of a SACK block's gap: Linux's dupACKs say exactly
  // which segments arrived after it.
  auto acks = packets(t.trace.records, PacketEvent::recv, "client");
  const uint32_t base = data_base(t.trace.records, "client");
  for (const auto& hole : dropped) {
    bool reported = false;
    for (const auto& p : acks) {
      const Segment& s = p.packet.tcp;
      if (s.ack.raw() - base > hole.seq) continue;
      for (const SackBlock& b : s.options.sack)
        reported |= b.left.raw() - base == hole.seq + hole.len;
    }
    INFO("hole at " << hole.seq);
    CHECK(reported);
  }
  CHECK(t.run.report("alice")->connections[0].result == "closed");
}

TEST_CASE(
    "1 MB echoed across 3% random loss each way with SACK negotiated arrives intact, and "
    "Linux resends only what was lost") {
  if (skip_if_unsupported()) return;
  RealPeerTest t(scenario("lossy-sack-echo", "30s", "server", kEchoApps, ", loss: 3%"));
  constexpr int kBytes = 1024 * 1024;
  PeerResult r = run_bulk_client(t, kBytes, 25);
  INFO(r.output);
  auto dropped = data_sent(t.trace.records, "real", PacketEvent::drop);
  auto resent = retransmissions(data_sent(t.trace.records, "real"));
  CHECK(dropped.size() > 0);
  CHECK(!data_sent(t.trace.records, "server", PacketEvent::drop).empty());
  // Linux counted what our trace saw leave it (a lost FIN resent counts too).
  CHECK(r.out["tcp_info"]["total_retrans"] == resent.size() + fin_resends(t.trace.records, "real"));
  // With SACK a retransmission repairs a loss: each lost segment is resent (a lost
  // retransmission counts again), and what never was lost is resent at most by a loss probe
  // or a timeout now and then, not by go-back-N.
  size_t spurious = 0;
  for (const auto& d : resent) {
    bool was_lost = std::any_of(dropped.begin(), dropped.end(), [&](const DataSegment& x) {
      return x.seq < d.seq + d.len && d.seq < x.seq + x.len && x.t < d.t;
    });
    spurious += !was_lost;
  }
  INFO(resent.size() << " retransmissions for " << dropped.size() << " lost, " << spurious
                     << " of data that had arrived");
  CHECK(resent.size() >= dropped.size());
  CHECK(spurious <= 1 + dropped.size() / 4);
  const apps::AppReport& echo = *t.run.report("echo");
  REQUIRE(echo.connections.size() == 1);
  CHECK(echo.connections[0].bytes_received == kBytes);
}

TEST_CASE(
    "A simulated sender repairs three holes in one window from Linux's SACK blocks, within one "
    "round trip",
    "[sack-sender]") {
  if (skip_if_unsupported()) return;
  RealPeerTest t(scenario("netsim-sack-recovery", "10s", "client",
                          upload_apps("1MB") + three_holes("client")));
  run_sink_server(t, 1000000, 8);
  check_three_holes_repaired(t.trace.records, "client");  // the scoreboard resends only holes
  CHECK(t.run.host("client")->stack().counters().retransmits == 3);
}

// A Linux client's pacing rate before its first ACK of data is the one the SYN-ACK set
// (tcp_rcv_synsent_state_process() -> tcp_ack() -> tcp_update_pacing_rate(), with TCP_INIT_CWND
// and the connect-time mss_cache, 536 - 12): at this 40 ms round trip 2 x 10 x 524 B / 40 ms =
// 262000 B/s, 255 bytes a millisecond, so tcp_tso_autosize() gives tcp_min_tso_segs and the
// initial window leaves as five GSO packets of two segments, PSH on each packet's last
// (__tcp_transmit_skb(); the bridge segments an offloaded packet as tcp_gso_segment() does,
// PSH on the last). netsim's client does the same (test_conn_established.cpp); with the rate
// unset, as netsim had it before, the window would go as two packets of five.
TEST_CASE("A Linux client's first flight leaves in two-segment GSO packets at a 40 ms handshake") {
  if (skip_if_unsupported()) return;
  RealPeerTest t(scenario("linux-first-flight", "10s", "server", kEchoApps));
  constexpr int kBytes = 200 * 1000;
  PeerResult r = run_bulk_client(t, kBytes, 8);
  INFO(r.output);
  std::vector<std::string> first;
  for (const auto& p : packets(t.trace.records, PacketEvent::send, "real")) {
    const Segment& s = p.packet.tcp;
    if (s.payload.empty()) continue;
    first.push_back(fmt::format("{} {}", s.flags.has(TcpFlags::PSH) ? "P" : "-", s.payload.size()));
    if (first.size() == 10) break;
  }
  CHECK(first == std::vector<std::string>{"- 1448", "P 1448", "- 1448", "P 1448", "- 1448",
                                          "P 1448", "- 1448", "P 1448", "- 1448", "P 1448"});
}

}  // namespace netsim::realtime::testing
