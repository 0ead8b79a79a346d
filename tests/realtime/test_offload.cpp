// The TUN offloads without a device: a TSO super-packet from the kernel becomes exactly the
// segments a NIC would send (tcp_gso_segment()), and a CHECKSUM_PARTIAL packet is completed.
#include <catch2/catch.hpp>

#include "realtime/offload.hpp"
#include "sim/wire.hpp"

namespace netsim::realtime {
namespace {

// 3000 bytes from 10.0.0.100:40000 with timestamps, as Linux hands a 3-segment skb over.
Packet super_packet(uint8_t flags) {
  Packet p;
  p.src = *Ipv4Addr::parse("10.0.0.100");
  p.dst = *Ipv4Addr::parse("10.0.0.2");
  p.ip_id = 0xfffe;  // the ids wrap within the super-packet
  p.tcp.src_port = 40000;
  p.tcp.dst_port = 5001;
  p.tcp.seq = SeqNum(0xfffff000);  // and so do the sequence numbers
  p.tcp.ack = SeqNum(77);
  p.tcp.flags = TcpFlags(flags);
  p.tcp.window = 502;
  p.tcp.options.timestamps = std::make_pair(uint32_t{123456}, uint32_t{654321});
  std::vector<uint8_t> data(3000);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>(i * 7 + 3);
  p.tcp.payload = Payload(std::move(data));
  return p;
}

VnetHeader tso(uint16_t gso_size) {
  VnetHeader h;
  h.flags = VnetHeader::kNeedsCsum;
  h.gso_type = VnetHeader::kGsoTcpv4;
  h.hdr_len = 52;
  h.gso_size = gso_size;
  h.csum_start = 20;
  h.csum_offset = 16;
  return h;
}

}  // namespace

TEST_CASE("A TSO super-packet is cut into MSS segments with seq, IP id, flags and checksums") {
  Packet big = super_packet(TcpFlags::ACK | TcpFlags::PSH | TcpFlags::FIN | TcpFlags::CWR);
  std::vector<uint8_t> bytes = encode_ipv4(big);
  bytes[36] = 0x12;  // the TCP checksum field holds garbage (the pseudo-header sum, in fact):
  bytes[37] = 0x34;  // the segments' checksums are computed anew
  Segmented s = segment_offloaded(tso(1448), bytes);
  REQUIRE(s.error.empty());
  REQUIRE(s.packets.size() == 3);
  const uint32_t seqs[] = {0xfffff000, 0xfffff5a8, 0xfffffb50};
  const uint16_t ids[] = {0xfffe, 0xffff, 0x0000};
  const uint8_t flags[] = {TcpFlags::ACK | TcpFlags::CWR, TcpFlags::ACK,
                           TcpFlags::ACK | TcpFlags::PSH | TcpFlags::FIN};
  const size_t lens[] = {1448, 1448, 104};
  for (size_t i = 0; i < 3; ++i) {
    INFO("segment " << i);
    CHECK(s.packets[i].size() == 52 + lens[i]);
    DecodeResult d = decode_ipv4(s.packets[i]);  // checks both checksums
    REQUIRE(d.ok());
    const Packet& p = *d.packet;
    CHECK(p.tcp.seq.raw() == seqs[i]);
    CHECK(p.ip_id == ids[i]);
    CHECK(p.tcp.flags == TcpFlags(flags[i]));
    CHECK(p.tcp.payload == big.tcp.payload.slice(i * 1448, lens[i]));
    // What a NIC leaves alone: addresses, ports, ACK, window, options, TTL.
    CHECK(p.src == big.src);
    CHECK(p.dst == big.dst);
    CHECK(p.tcp.src_port == 40000);
    CHECK(p.tcp.dst_port == 5001);
    CHECK(p.tcp.ack.raw() == 77);
    CHECK(p.tcp.window == 502);
    CHECK(p.tcp.options == big.tcp.options);
    CHECK(p.ttl == big.ttl);
    // Each is exactly what netsim would put on the wire for that segment.
    Packet expect = big;
    expect.ip_id = ids[i];
    expect.tcp.seq = SeqNum(seqs[i]);
    expect.tcp.flags = TcpFlags(flags[i]);
    expect.tcp.payload = big.tcp.payload.slice(i * 1448, lens[i]);
    CHECK(s.packets[i] == encode_ipv4(expect));
  }
}

TEST_CASE("A super-packet that is one segment long passes whole, its flags kept") {
  Packet p = super_packet(TcpFlags::ACK | TcpFlags::PSH | TcpFlags::CWR);
  std::vector<uint8_t> bytes = encode_ipv4(p);
  Segmented s = segment_offloaded(tso(4000), bytes);
  REQUIRE(s.packets.size() == 1);
  CHECK(s.packets[0] == bytes);
}

TEST_CASE("A CHECKSUM_PARTIAL packet gets its TCP checksum completed, as a NIC would") {
  Packet p = super_packet(TcpFlags::ACK);
  p.tcp.payload = Payload::from_string("hello");
  std::vector<uint8_t> wire = encode_ipv4(p);
  // What tcp_v4_send_check() leaves: the folded pseudo-header sum, not complemented.
  std::vector<uint8_t> partial = wire;
  std::array<uint8_t, 12> pseudo{10, 0, 0, 100, 10, 0,
                                 0,  2, 0, 6,   0,  static_cast<uint8_t>(wire.size() - 20)};
  uint16_t folded = static_cast<uint16_t>(~checksum_fold(checksum_add(0, pseudo)));
  partial[36] = static_cast<uint8_t>(folded >> 8);
  partial[37] = static_cast<uint8_t>(folded);
  VnetHeader h;
  h.flags = VnetHeader::kNeedsCsum;
  h.csum_start = 20;
  h.csum_offset = 16;
  Segmented s = segment_offloaded(h, partial);
  REQUIRE(s.packets.size() == 1);
  CHECK(s.packets[0] == wire);
  // Without NEEDS_CSUM the bytes pass untouched.
  CHECK(segment_offloaded(VnetHeader{}, partial).packets[0] == partial);
}

TEST_CASE("Offloaded packets that cannot be segmented are errors, not crashes") {
  std::vector<uint8_t> bytes = encode_ipv4(super_packet(TcpFlags::ACK));
  VnetHeader udp = tso(1448);
  udp.gso_type = 3;  // VIRTIO_NET_HDR_GSO_UDP
  CHECK(segment_offloaded(udp, bytes).error ==
        "GSO type 3 is not TCPv4 (the device offers TSO4 only)");
  CHECK(segment_offloaded(tso(0), bytes).error == "TSO packet with gso_size 0");
  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + 1000);
  CHECK(segment_offloaded(tso(1448), cut).error ==
        "TSO packet's IPv4 lengths (header 20, total 3052) do not fit 1000 bytes");
  VnetHeader far;
  far.flags = VnetHeader::kNeedsCsum;
  far.csum_start = 3000;
  far.csum_offset = 60;
  CHECK(segment_offloaded(far, bytes).error ==
        "checksum offset 3000+60 is outside the 3052-byte packet");
}

TEST_CASE("The virtio_net_hdr is little-endian, ten bytes") {
  std::array<uint8_t, VnetHeader::kSize> b{1, 1, 52, 0, 0xa8, 0x05, 20, 0, 16, 0};
  VnetHeader h = VnetHeader::parse(b);
  CHECK(h.flags == VnetHeader::kNeedsCsum);
  CHECK(h.gso_type == VnetHeader::kGsoTcpv4);
  CHECK(h.hdr_len == 52);
  CHECK(h.gso_size == 1448);
  CHECK(h.csum_start == 20);
  CHECK(h.csum_offset == 16);
  std::array<uint8_t, VnetHeader::kSize> out{};
  h.write(out);
  CHECK(out == b);
}

}  // namespace netsim::realtime
