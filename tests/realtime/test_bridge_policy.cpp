// The bridge's admission rules, without a device: what the kernel's bytes become (a packet,
// a malformed drop with its reason, a refusal) and what simulated packets may be written.
#include <catch2/catch.hpp>

#include "realtime/bridge_policy.hpp"
#include "sim/rng.hpp"
#include "sim/wire.hpp"

namespace netsim::realtime {
namespace {

Ipv4Addr addr(const char* s) {
  return *Ipv4Addr::parse(s);
}

AddressPolicy policy() {
  return AddressPolicy("netsim0", addr("10.0.0.100"),
                       {addr("10.0.0.2"), addr("10.0.0.100"), addr("10.0.0.1")});
}

Packet tcp_packet(const char* src, uint16_t sport, const char* dst, uint16_t dport) {
  Packet p;
  p.src = addr(src);
  p.dst = addr(dst);
  p.ip_id = 7;
  p.tcp.src_port = sport;
  p.tcp.dst_port = dport;
  p.tcp.seq = SeqNum(1000);
  p.tcp.flags = TcpFlags(TcpFlags::SYN);
  p.tcp.window = 64240;
  p.tcp.options.mss = 1460;
  return p;
}

// The fields that go on the wire (uid and the other metadata do not).
bool same_wire(const Packet& a, const Packet& b) {
  return a.src == b.src && a.dst == b.dst && a.ttl == b.ttl && a.ip_id == b.ip_id && a.tcp == b.tcp;
}

}  // namespace

TEST_CASE("The policy's simulated addresses are the scenario's, without the kernel's own") {
  AddressPolicy p = policy();
  CHECK(p.simulated() == std::vector<Ipv4Addr>{addr("10.0.0.1"), addr("10.0.0.2")});
  CHECK(p.is_simulated(addr("10.0.0.2")));
  CHECK_FALSE(p.is_simulated(addr("10.0.0.100")));
  CHECK_FALSE(p.is_simulated(addr("10.0.0.3")));
}

TEST_CASE("A valid packet from the kernel to a simulated host is injected unchanged") {
  Packet p = tcp_packet("10.0.0.100", 40000, "10.0.0.2", 80);
  InboundVerdict v = classify_inbound(encode_ipv4(p), policy());
  CHECK(v.kind == InboundVerdict::Kind::inject);
  CHECK(same_wire(v.packet, p));
  CHECK(v.detail.empty());
}

TEST_CASE("Bytes from the kernel that do not parse are malformed, with the parser's reason") {
  std::vector<uint8_t> good = encode_ipv4(tcp_packet("10.0.0.100", 40000, "10.0.0.2", 80));
  SECTION("a truncated IPv4 header") {
    InboundVerdict v = classify_inbound(std::span(good).first(10), policy());
    CHECK(v.kind == InboundVerdict::Kind::malformed);
    CHECK(v.detail == "truncated IPv4 header (10 bytes from netsim0)");
    CHECK(v.packet.src == Ipv4Addr{});  // nothing could be read
  }
  SECTION("a bad TCP checksum keeps the addresses and ports it claimed") {
    good.back() ^= 0xff;
    InboundVerdict v = classify_inbound(good, policy());
    CHECK(v.kind == InboundVerdict::Kind::malformed);
    CHECK(v.detail == "bad TCP checksum (44 bytes from netsim0)");
    CHECK(v.packet.src_addr().to_string() == "10.0.0.100:40000");
    CHECK(v.packet.dst_addr().to_string() == "10.0.0.2:80");
  }
  SECTION("a bad IPv4 header checksum") {
    good[10] ^= 0x01;
    CHECK(classify_inbound(good, policy()).detail ==
          "bad IPv4 header checksum (44 bytes from netsim0)");
  }
  SECTION("an IPv6 packet") {
    good[0] = 0x60;
    CHECK(classify_inbound(good, policy()).detail ==
          "not IPv4 (version 6) (44 bytes from netsim0)");
  }
}

TEST_CASE("Random bytes from the kernel never become a packet and never crash the bridge") {
  Rng rng(7, "garbage");
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> junk(rng.uniform_int(0, 120));
    for (auto& b : junk)
      b = static_cast<uint8_t>(rng.next_u32());
    if (i % 2 == 0 && junk.size() >= 20) junk[0] = 0x45;  // half of them look like IPv4
    InboundVerdict v = classify_inbound(junk, policy());
    REQUIRE(v.kind == InboundVerdict::Kind::malformed);
    REQUIRE_FALSE(v.detail.empty());
  }
}

TEST_CASE(
    "The kernel's packets from a foreign source or to an address outside the scenario "
    "are refused") {
  InboundVerdict spoofed =
      classify_inbound(encode_ipv4(tcp_packet("192.0.2.1", 40000, "10.0.0.2", 80)), policy());
  CHECK(spoofed.kind == InboundVerdict::Kind::refused);
  CHECK(spoofed.detail == "source 192.0.2.1 is not netsim0's address 10.0.0.100: refused");
  InboundVerdict outside =
      classify_inbound(encode_ipv4(tcp_packet("10.0.0.100", 40000, "8.8.8.8", 53)), policy());
  CHECK(outside.kind == InboundVerdict::Kind::refused);
  CHECK(outside.detail == "destination 8.8.8.8 is outside the scenario: refused");
  InboundVerdict to_itself =
      classify_inbound(encode_ipv4(tcp_packet("10.0.0.100", 1, "10.0.0.100", 2)), policy());
  CHECK(to_itself.detail == "destination 10.0.0.100 is outside the scenario: refused");
}

TEST_CASE("A simulated host's packet to the kernel is written as its real wire bytes") {
  Packet p = tcp_packet("10.0.0.2", 80, "10.0.0.100", 40000);
  p.tcp.flags = TcpFlags(TcpFlags::SYN | TcpFlags::ACK);
  OutboundVerdict v = classify_outbound(p, policy());
  REQUIRE(v.ok());
  CHECK(v.bytes == encode_ipv4(p));
  CHECK(same_wire(*decode_ipv4(v.bytes).packet, p));
}

TEST_CASE("A spoofed source never leaves through the device") {
  OutboundVerdict v =
      classify_outbound(tcp_packet("198.51.100.7", 80, "10.0.0.100", 40000), policy());
  CHECK_FALSE(v.ok());
  CHECK(v.bytes.empty());
  CHECK(v.refusal == "source 198.51.100.7 is outside the scenario: not sent to netsim0");
  OutboundVerdict wrong_dst =
      classify_outbound(tcp_packet("10.0.0.2", 80, "10.0.0.1", 40000), policy());
  CHECK(wrong_dst.refusal == "destination 10.0.0.1 is not netsim0's address 10.0.0.100: not sent");
}

}  // namespace netsim::realtime
