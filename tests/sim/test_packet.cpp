// The packet model: addresses, tcpdump notation for flags and packets, sequence arithmetic.
#include <catch2/catch.hpp>

#include "sim/packet.hpp"
#include "sim/seq.hpp"

using namespace netsim;

TEST_CASE("IPv4 addresses and prefixes parse strictly") {
  CHECK(Ipv4Addr::parse("10.0.0.1")->value == 0x0A000001u);
  CHECK(Ipv4Addr::parse("10.0.0.1")->to_string() == "10.0.0.1");
  CHECK_FALSE(Ipv4Addr::parse("10.0.0"));
  CHECK_FALSE(Ipv4Addr::parse("10.0.0.256"));
  CHECK_FALSE(Ipv4Addr::parse("10.0.0.1.2"));
  CHECK_FALSE(Ipv4Addr::parse("010.0.0.1"));
  CHECK_FALSE(Ipv4Addr::parse("a.b.c.d"));
  auto p = Ipv4Prefix::parse("198.51.100.0/24");
  REQUIRE(p);
  CHECK(p->size() == 256);
  CHECK(p->contains(*Ipv4Addr::parse("198.51.100.77")));
  CHECK_FALSE(p->contains(*Ipv4Addr::parse("198.51.101.1")));
  CHECK_FALSE(Ipv4Prefix::parse("10.0.0.1/24"));  // host bits set
  CHECK_FALSE(Ipv4Prefix::parse("10.0.0.0/33"));
}

TEST_CASE("flags print and parse in tcpdump's notation") {
  using F = TcpFlags;
  CHECK(F(F::SYN).to_string() == "S");
  CHECK(F(F::SYN | F::ACK).to_string() == "S.");
  CHECK(F(F::ACK).to_string() == ".");
  CHECK(F(F::PSH | F::ACK).to_string() == "P.");
  CHECK(F(F::FIN | F::ACK).to_string() == "F.");
  CHECK(F(F::FIN | F::PSH | F::ACK).to_string() == "FP.");
  CHECK(F(F::RST).to_string() == "R");
  CHECK(F(F::RST | F::ACK).to_string() == "R.");
  CHECK(F().to_string() == "none");
  CHECK(F::parse("S.")->bits() == (F::SYN | F::ACK));
  CHECK_FALSE(F::parse("X"));
  CHECK_FALSE(F::parse(""));
}

TEST_CASE("packets print as tcpdump prints them") {
  Packet p;
  p.src = *Ipv4Addr::parse("10.0.0.1");
  p.dst = *Ipv4Addr::parse("10.0.0.2");
  p.tcp.src_port = 7500;
  p.tcp.dst_port = 20000;
  p.tcp.seq = SeqNum(1000);
  p.tcp.flags = TcpFlags(TcpFlags::SYN);
  p.tcp.window = 64240;
  p.tcp.options.mss = 1460;
  CHECK(format_tcpdump(p) ==
        "10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 1000, win 64240, options [mss 1460], "
        "length 0");
  p.tcp.flags = TcpFlags(TcpFlags::PSH | TcpFlags::ACK);
  p.tcp.seq = SeqNum(1001);
  p.tcp.ack = SeqNum(5001);
  p.tcp.options = {};
  p.tcp.payload = Payload::from_string("Hello,server!");
  CHECK(format_tcpdump(p) ==
        "10.0.0.1.7500 > 10.0.0.2.20000: Flags [P.], seq 1001:1014, ack 5001, win 64240, "
        "length 13");
  p.tcp.flags = TcpFlags(TcpFlags::ACK);
  p.tcp.payload = {};
  CHECK(format_tcpdump(p) ==
        "10.0.0.1.7500 > 10.0.0.2.20000: Flags [.], ack 5001, win 64240, length 0");
  CHECK(p.wire_size() == 40);
}

TEST_CASE("sequence numbers compare correctly across wraparound") {
  SeqNum a(0xFFFFFFF0u);
  SeqNum b = a + 0x20;
  CHECK(b.raw() == 0x10u);
  CHECK(a < b);
  CHECK(b > a);
  CHECK(b - a == 0x20);
  CHECK(a - b == -0x20);
  CHECK(seq_in_range(SeqNum(5), a, b));
  CHECK_FALSE(seq_in_range(b, a, b));
  CHECK(seq_max(a, b) == b);
}

TEST_CASE("payload slices share storage and compare by content") {
  Payload p = Payload::from_string("Hello,server!");
  Payload s = p.slice(6, 6);
  CHECK(s.as_string_view() == "server");
  CHECK(s.data() == p.data() + 6);
  CHECK(p.slice(10, 100).size() == 3);
  CHECK(Payload::from_string("server") == s);
  CHECK(Payload() == Payload::from_string(""));
}

TEST_CASE("a periodic payload stores one period and gives the same bytes as a plain one") {
  // Period 7, stored with the window after it; 1,000,000 bytes long.
  constexpr size_t kPeriod = 7;
  constexpr size_t kSize = 1'000'000;
  auto byte = [](size_t i) { return static_cast<uint8_t>('a' + i % kPeriod); };
  std::vector<uint8_t> pattern(kPeriod + Payload::kPeriodicWindow);
  for (size_t i = 0; i < pattern.size(); ++i)
    pattern[i] = byte(i);
  Payload p = Payload::periodic(pattern, kPeriod, kSize);
  REQUIRE(p.size() == kSize);
  const uint8_t* base = p.slice(0, 1).data();

  // Slices of segment size anywhere, also from a slice of a slice: contiguous, shared storage
  // (no copy), the right bytes.
  for (size_t off : {size_t{0}, size_t{6}, size_t{7}, size_t{123'457}, kSize - 1460}) {
    Payload s = p.slice(off, 1460);
    REQUIRE(s.size() == 1460);
    Payload inner = s.slice(3, 100);
    for (size_t i = 0; i < s.size(); ++i)
      REQUIRE(s.data()[i] == byte(off + i));
    for (size_t i = 0; i < inner.size(); ++i)
      REQUIRE(inner.data()[i] == byte(off + 3 + i));
    CHECK(s.data() == base + off % kPeriod);  // a view into the one stored period
  }
  CHECK(p.slice(999'999, 10).size() == 1);

  // A span longer than the storage is built on demand, with the same bytes.
  Payload big = p.slice(5, 200'000);
  const uint8_t* d = big.data();
  for (size_t i = 0; i < big.size(); ++i)
    REQUIRE(d[i] == byte(5 + i));
  std::vector<uint8_t> plain(kSize);
  for (size_t i = 0; i < kSize; ++i)
    plain[i] = byte(i);
  CHECK(p == Payload(plain));
  CHECK(p.slice(10, 90'000) == Payload(plain).slice(10, 90'000));

  // Short enough to fit the stored pattern: just plain bytes.
  Payload small = Payload::periodic(pattern, kPeriod, 100);
  CHECK(small.size() == 100);
  CHECK(small.as_string_view().substr(0, 9) == "abcdefgab");
}
