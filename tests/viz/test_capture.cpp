// Drawing a real capture: pcap (raw IPv4, as netsim writes it, and Ethernet, as tcpdump on an
// interface does) reads back into packets, retransmissions are recognised, and each
// endpoint's states are inferred with the guesses marked (viz/capture.hpp).
#include <pcap/pcap.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

#include "sim/pcap_reader.hpp"
#include "sim/pcap_writer.hpp"
#include "sim/wire.hpp"
#include "synthetic.hpp"
#include "viz/capture.hpp"
#include "viz/layout.hpp"

using namespace netsim;
using namespace netsim::viz;
using namespace netsim::viz::testing;
using namespace netsim::literals;

namespace {

constexpr uint8_t S = TcpFlags::SYN, A = TcpFlags::ACK, F = TcpFlags::FIN, R = TcpFlags::RST;
constexpr uint8_t P = TcpFlags::PSH;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("netsim-capture-" + name)).string();
}

// The packets as netsim writes them: raw IPv4 through PcapSink.
std::string write_raw(const std::string& name, const std::vector<std::pair<Instant, Packet>>& ps) {
  std::string path = temp_path(name);
  PcapSink sink(path);
  for (const auto& [t, p] : ps)
    sink.write(PacketRecord{t, PacketEvent::send, "h", p, {}, {}});
  sink.finish();
  return path;
}

// The same as tcpdump writes them on an Ethernet interface.
std::string write_ethernet(const std::string& name,
                           const std::vector<std::pair<Instant, Packet>>& ps) {
  std::string path = temp_path(name);
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  REQUIRE(d != nullptr);
  for (const auto& [t, p] : ps) {
    std::vector<uint8_t> frame(12, 0x02);
    frame.push_back(0x08);
    frame.push_back(0x00);
    auto ip = encode_ipv4(p);
    frame.insert(frame.end(), ip.begin(), ip.end());
    pcap_pkthdr h{};
    h.ts.tv_sec = 1700000000 + t.ns() / 1'000'000'000;
    h.ts.tv_usec = static_cast<suseconds_t>(t.ns() % 1'000'000'000 / 1000);
    h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, frame.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);
  return path;
}

// The same again as Wireshark saves them: pcapng, one Ethernet interface with microsecond
// timestamps (the default), each packet an Enhanced Packet Block (pcapng spec §4.1-4.3).
std::string write_pcapng(const std::string& name,
                         const std::vector<std::pair<Instant, Packet>>& ps) {
  std::string bytes;
  auto u16 = [&bytes](uint16_t v) { bytes.append(reinterpret_cast<const char*>(&v), 2); };
  auto u32 = [&bytes](uint32_t v) { bytes.append(reinterpret_cast<const char*>(&v), 4); };
  u32(0x0A0D0D0A);  // Section Header Block: type, length, byte-order magic, version 1.0
  u32(28);
  u32(0x1A2B3C4D);
  u16(1);
  u16(0);
  u32(0xFFFFFFFF);  // section length unknown (64 bits)
  u32(0xFFFFFFFF);
  u32(28);
  u32(1);  // Interface Description Block: Ethernet, snaplen 65535
  u32(20);
  u16(1);
  u16(0);
  u32(65535);
  u32(20);
  for (const auto& [t, p] : ps) {
    std::vector<uint8_t> frame(12, 0x02);
    frame.push_back(0x08);
    frame.push_back(0x00);
    auto ip = encode_ipv4(p);
    frame.insert(frame.end(), ip.begin(), ip.end());
    while (frame.size() % 4 != 0)
      frame.push_back(0);  // padded to 32 bits; the captured length stays the real one
    auto len = static_cast<uint32_t>(2 + ip.size() + 12);
    uint64_t us = 1700000000ULL * 1000000 + static_cast<uint64_t>(t.ns() / 1000);
    u32(6);  // Enhanced Packet Block
    u32(static_cast<uint32_t>(32 + frame.size()));
    u32(0);  // interface 0
    u32(static_cast<uint32_t>(us >> 32));
    u32(static_cast<uint32_t>(us));
    u32(len);
    u32(len);
    bytes.append(reinterpret_cast<const char*>(frame.data()), frame.size());
    u32(static_cast<uint32_t>(32 + frame.size()));
  }
  std::string path = temp_path(name);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  return path;
}

std::vector<std::string> states(const std::vector<TraceRecord>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) {
    if (const auto* s = std::get_if<StateRecord>(&r)) {
      out.push_back(s->local.to_string() + " " + std::string(to_string(s->to)) +
                    (s->inferred ? "?" : ""));
    }
  }
  return out;
}

Instant at(Duration d) {
  return Instant::zero() + d;
}

const char* kC = "10.0.0.1:7500";
const char* kS = "10.0.0.2:20000";

}  // namespace

TEST_CASE("a captured handshake and close infer every state, the received ones as guesses") {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  std::vector<std::pair<Instant, Packet>> ps{
      {at(0_ms), b.packet(c, s, S, 1000, 0)},
      {at(10_ms), b.packet(s, c, S | A, 5000, 1001)},
      {at(20_ms), b.packet(c, s, A, 1001, 5001)},
      {at(20_ms), b.packet(c, s, P | A, 1001, 5001, "Hello,server!")},
      {at(30_ms), b.packet(s, c, F | A, 5001, 1014)},
      {at(40_ms), b.packet(c, s, F | A, 1014, 5002)},
      {at(50_ms), b.packet(s, c, A, 5002, 1015)}};
  for (const auto& path : {write_raw("close.pcap", ps), write_ethernet("close-eth.pcap", ps)}) {
    Capture cap = read_capture(path);
    std::remove(path.c_str());
    REQUIRE(cap.packets.size() == 7);
    CHECK(cap.skipped == 0);
    CHECK(cap.packets[3].packet.tcp.payload.as_string_view() == "Hello,server!");
    CHECK(cap.packets[6].t_ns - cap.packets[0].t_ns == 50'000'000);
    auto records = capture_records(cap);
    CHECK(states(records) == std::vector<std::string>{
                                 std::string(kC) + " SYN_SENT", std::string(kS) + " SYN_RECEIVED",
                                 std::string(kC) + " ESTABLISHED",
                                 std::string(kS) + " ESTABLISHED?", std::string(kS) + " FIN_WAIT_1",
                                 std::string(kC) + " CLOSE_WAIT?",
                                 // The client's FIN+ACK: its ACK part first, then its FIN.
                                 std::string(kS) + " FIN_WAIT_2?", std::string(kC) + " LAST_ACK",
                                 std::string(kS) + " TIME_WAIT?", std::string(kC) + " CLOSED?"});
    // It draws: one arrow per packet, between the two endpoints.
    DiagramLayout L = compute_layout(records, meta_for("close.pcap"), {});
    CHECK(L.model.arrows.size() == 7);
    CHECK(L.model.lifelines.size() == 2);
  }
}

TEST_CASE("a lost SYN shows as its retransmission, and a RST closes both ends") {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  std::vector<std::pair<Instant, Packet>> ps{{at(0_ms), b.packet(c, s, S, 1000, 0)},
                                             {at(1_s), b.packet(c, s, S, 1000, 0)},
                                             {at(1010_ms), b.packet(s, c, R | A, 0, 1001)}};
  std::string path = write_raw("rst.pcap", ps);
  auto records = capture_records(read_capture(path));
  std::remove(path.c_str());
  std::vector<uint16_t> retx;
  for (const auto& r : records) {
    const auto* p = std::get_if<PacketRecord>(&r);
    if (p && p->ev == PacketEvent::send) retx.push_back(p->packet.retransmission);
  }
  CHECK(retx == std::vector<uint16_t>{0, 1, 0});
  // The server never left CLOSED (no listener): its RST changes nothing there.
  CHECK(states(records) ==
        std::vector<std::string>{std::string(kC) + " SYN_SENT", std::string(kC) + " CLOSED?"});
}

TEST_CASE("a file that is no capture, or an unknown link type, is a clear error") {
  std::string path = temp_path("not.pcap");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::fputs("hello", f);
    std::fclose(f);
  }
  CHECK_THROWS_WITH(read_capture(path),
                    Catch::Matchers::StartsWith("cannot read the capture \"" + path + "\": "));
  std::remove(path.c_str());
  pcap_t* dead = pcap_open_dead(DLT_IEEE802_11, 65535);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  pcap_dump_close(d);
  pcap_close(dead);
  CHECK_THROWS_WITH(read_capture(path),
                    "\"" + path +
                        "\": link type IEEE802_11 is not one netsim reads (raw IPv4, Ethernet, "
                        "Linux cooked or loopback)");
  std::remove(path.c_str());
}

TEST_CASE("a pcapng capture (Wireshark's format) reads like the pcap of the same packets") {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  std::vector<std::pair<Instant, Packet>> ps{{at(0_ms), b.packet(c, s, S, 1000, 0)},
                                             {at(10_ms), b.packet(s, c, S | A, 5000, 1001)},
                                             {at(20_ms), b.packet(c, s, A, 1001, 5001)},
                                             {at(30_ms), b.packet(c, s, R | A, 1001, 5001)}};
  std::string ng = write_pcapng("hs.pcapng", ps), eth = write_ethernet("hs.pcap", ps);
  auto from_ng = capture_records(read_capture(ng));
  auto from_pcap = capture_records(read_capture(eth));
  std::remove(ng.c_str());
  std::remove(eth.c_str());
  std::vector<std::string> sent;
  for (const auto& r : from_ng) {
    const auto* p = std::get_if<PacketRecord>(&r);
    if (p && p->ev == PacketEvent::send)
      sent.push_back(std::to_string(p->t.ns()) + " " + p->packet.tcp.flags.to_string());
  }
  // Times relative to the first packet, flags as tcpdump writes them.
  CHECK(sent == std::vector<std::string>{"0 S", "10000000 S.", "20000000 .", "30000000 R."});
  CHECK(states(from_ng) == states(from_pcap));
  // The server's SYN_RECEIVED is seen (it sent the SYN-ACK); its states after the client's
  // ACK and RST come from packets it received, so they are marked as guesses.
  CHECK(states(from_ng) == std::vector<std::string>{
                               std::string(kC) + " SYN_SENT", std::string(kS) + " SYN_RECEIVED",
                               std::string(kC) + " ESTABLISHED", std::string(kS) + " ESTABLISHED?",
                               std::string(kC) + " CLOSED", std::string(kS) + " CLOSED?"});
}
