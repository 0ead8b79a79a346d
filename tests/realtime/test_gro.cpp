// GRO toward the kernel without a device: which of the packets one wake-up delivers are merged
// into one GSO write (tcp_gro_receive()'s rules) and what that write looks like.
#include <catch2/catch.hpp>

#include "realtime/gro.hpp"
#include "sim/wire.hpp"

namespace netsim::realtime {
namespace {

// A 1448-byte data segment n of a flow from 10.0.0.2:5001 (what the simulation delivers).
Packet segment(uint32_t n, uint8_t flags = TcpFlags::ACK, size_t len = 1448) {
  Packet p;
  p.src = *Ipv4Addr::parse("10.0.0.2");
  p.dst = *Ipv4Addr::parse("10.0.0.100");
  p.ip_id = static_cast<uint16_t>(100 + n);
  p.tcp.src_port = 5001;
  p.tcp.dst_port = 40000;
  p.tcp.seq = SeqNum(1000 + n * 1448);
  p.tcp.ack = SeqNum(9);
  p.tcp.flags = TcpFlags(flags);
  p.tcp.window = 300;
  p.tcp.options.timestamps = std::make_pair(uint32_t{50}, uint32_t{40});
  std::vector<uint8_t> data(len);
  for (size_t i = 0; i < len; ++i)
    data[i] = static_cast<uint8_t>(n * 31 + i);
  p.tcp.payload = Payload(std::move(data));
  return p;
}

std::vector<DeviceWrite> feed(GroBatch& g, const std::vector<Packet>& ps) {
  std::vector<DeviceWrite> out;
  for (const auto& p : ps)
    g.add(encode_ipv4(p), !p.corrupted, out);
  return out;
}

}  // namespace

TEST_CASE("Three in-order segments of one flow become one GSO write, which PSH ends") {
  GroBatch g;
  Packet last = segment(2, TcpFlags::ACK | TcpFlags::PSH, 500);
  auto out = feed(g, {segment(0), segment(1), last});
  REQUIRE(out.size() == 1);  // the PSH segment flushed it at once
  const DeviceWrite& w = out[0];
  CHECK(w.segments == 3);
  CHECK(w.header.gso_type == VnetHeader::kGsoTcpv4);
  CHECK(w.header.gso_size == 1448);
  CHECK(w.header.hdr_len == 52);
  CHECK(w.header.flags == VnetHeader::kNeedsCsum);
  CHECK(w.header.csum_start == 20);
  CHECK(w.header.csum_offset == 16);
  REQUIRE(w.bytes.size() == 52 + 1448 * 2 + 500);
  // Cut up again as a NIC's TSO would, it gives back the very segments: the merged header
  // keeps the first IP id (TSO counts up from it, as these did) and the last one's PSH.
  Segmented again = segment_offloaded(w.header, w.bytes);
  REQUIRE(again.packets.size() == 3);
  for (uint32_t i = 0; i < 3; ++i) {
    Packet want = i == 2 ? last : segment(i);
    want.ip_id = static_cast<uint16_t>(100 + i);
    INFO("segment " << i);
    CHECK(again.packets[i] == encode_ipv4(want));
  }
  CHECK(g.merged() == 2);
  std::vector<DeviceWrite> rest;
  g.flush(rest);
  CHECK(rest.empty());
}

TEST_CASE("A held segment goes out alone, unchanged, when the batch ends") {
  GroBatch g;
  Packet p = segment(0);
  auto out = feed(g, {p});
  CHECK(out.empty());
  g.flush(out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].segments == 1);
  CHECK(out[0].header.gso_type == VnetHeader::kGsoNone);
  CHECK(out[0].header.flags == 0);
  CHECK(out[0].bytes == encode_ipv4(p));
}

TEST_CASE("Segments that tcp_gro_receive() would not merge are written apart, in order") {
  auto sizes = [](const std::vector<DeviceWrite>& ws) {
    std::vector<size_t> v;
    for (const auto& w : ws)
      v.push_back(w.segments);
    return v;
  };
  GroBatch g;
  Packet gap = segment(2);  // not the next sequence number
  Packet other_ack = segment(1);
  other_ack.tcp.ack = SeqNum(10);
  Packet other_ts = segment(1);
  other_ts.tcp.options.timestamps = std::make_pair(uint32_t{51}, uint32_t{40});
  Packet damaged = segment(1);
  damaged.corrupted = true;
  Packet cwr = segment(1, TcpFlags::ACK | TcpFlags::CWR);
  Packet pure_ack = segment(1, TcpFlags::ACK, 0);
  for (const Packet& second : {gap, other_ack, other_ts, damaged, cwr, pure_ack}) {
    auto out = feed(g, {segment(0), second});
    g.flush(out);
    CHECK(sizes(out) == std::vector<size_t>{1, 1});
    REQUIRE(out.size() == 2);
    CHECK(out[0].bytes == encode_ipv4(segment(0)));
    CHECK(out[1].bytes == encode_ipv4(second));
  }
  // A shorter segment may end a merge, but nothing joins after it.
  auto out = feed(g, {segment(0), segment(1, TcpFlags::ACK, 1000), segment(2)});
  g.flush(out);
  CHECK(sizes(out) == std::vector<size_t>{2, 1});
  // At most 64 KB: 45 segments of 1448 bytes is the most one IPv4 packet takes.
  std::vector<Packet> many;
  for (uint32_t i = 0; i < 50; ++i)
    many.push_back(segment(i));
  out = feed(g, many);
  g.flush(out);
  CHECK(sizes(out) == std::vector<size_t>{45, 5});
}

}  // namespace netsim::realtime
