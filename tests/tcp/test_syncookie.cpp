// SYN cookies on their own: SipHash against the published vector, the encode/check round
// trip, the MSS table, the two-minute validity and forged cookies (net/ipv4/syncookies.c).

#include <catch2/catch.hpp>

#include "protocols/tcp/syncookie.hpp"

using namespace netsim;
using namespace netsim::literals;
using netsim::tcp::SynCookies;

namespace {

const SocketAddr kServer{Ipv4Addr{0x0A000002}, 20000};
const SocketAddr kClient{Ipv4Addr{0x0A000001}, 40000};

Instant at(Duration d) {
  return Instant::zero() + d;
}

}  // namespace

TEST_CASE("SipHash-2-4 matches the reference vectors of its paper") {
  std::array<uint64_t, 2> key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  uint8_t msg[15];
  for (int i = 0; i < 15; ++i)
    msg[i] = static_cast<uint8_t>(i);
  CHECK(tcp::siphash_2_4(key, msg, 15) == 0xa129ca6149be45e5ULL);
  CHECK(tcp::siphash_2_4(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
}

TEST_CASE("The MSS index is the largest table entry not above the client's MSS") {
  CHECK(SynCookies::kMssTable[SynCookies::mss_index(1460)] == 1460);
  CHECK(SynCookies::kMssTable[SynCookies::mss_index(1400)] == 1300);
  CHECK(SynCookies::kMssTable[SynCookies::mss_index(1440)] == 1440);
  CHECK(SynCookies::kMssTable[SynCookies::mss_index(9000)] == 1460);
  CHECK(SynCookies::kMssTable[SynCookies::mss_index(536)] == 536);
  // Below the smallest entry the smallest is used: 536 comes back for 500.
  CHECK(SynCookies::kMssTable[SynCookies::mss_index(500)] == 536);
}

TEST_CASE("A cookie decodes back to the rounded MSS of the client") {
  Rng rng(7, "cookies");
  SynCookies cookies(rng);
  SeqNum client_isn(0xfffffff0);  // wraps when the ACK's seq is computed
  for (auto [mss, expected] : {std::pair<uint16_t, uint16_t>{1400, 1300},
                               {1460, 1460},
                               {500, 536},
                               {1300, 1300},
                               {1441, 1440}}) {
    SeqNum cookie = cookies.make(at(10_s), kServer, kClient, client_isn, mss);
    // The final ACK: seq = client ISN + 1, ack = cookie + 1.
    auto got = cookies.check(at(11_s), kServer, kClient, client_isn + 1, cookie + 1);
    REQUIRE(got.has_value());
    CHECK(*got == expected);
  }
}

TEST_CASE("The minute counter is now divided by 60 seconds") {
  CHECK(SynCookies::counter(at(0_s)) == 0);
  CHECK(SynCookies::counter(at(59_s)) == 0);
  CHECK(SynCookies::counter(at(60_s)) == 1);
  CHECK(SynCookies::counter(at(3_min + 1_s)) == 3);
}

TEST_CASE("A cookie is valid during its own and the next counter period only") {
  Rng rng(7, "cookies");
  SynCookies cookies(rng);
  SeqNum isn(12345);
  SeqNum cookie = cookies.make(at(59_s), kServer, kClient, isn, 1460);
  CHECK(cookies.check(at(59_s), kServer, kClient, isn + 1, cookie + 1) == 1460);
  CHECK(cookies.check(at(119_s), kServer, kClient, isn + 1, cookie + 1) == 1460);
  // Two counter periods later (MAX_SYNCOOKIE_AGE = 2) it is stale.
  CHECK_FALSE(cookies.check(at(120_s), kServer, kClient, isn + 1, cookie + 1).has_value());
  CHECK_FALSE(cookies.check(at(10_min), kServer, kClient, isn + 1, cookie + 1).has_value());
}

TEST_CASE("A cookie fails for another 4-tuple, another client ISN or another secret") {
  Rng rng(7, "cookies");
  SynCookies cookies(rng);
  SeqNum isn(777);
  SeqNum cookie = cookies.make(at(1_s), kServer, kClient, isn, 1460);
  SocketAddr other_client{kClient.addr, 40001};
  CHECK_FALSE(cookies.check(at(1_s), kServer, other_client, isn + 1, cookie + 1).has_value());
  // The client ISN is added, not hashed (secure_tcp_syn_cookie()): an ISN off by a few decodes
  // to a neighbouring table index, one off by more to no index at all.
  CHECK(cookies.check(at(1_s), kServer, kClient, isn + 2, cookie + 1) == 1440);
  CHECK_FALSE(cookies.check(at(1_s), kServer, kClient, isn + 101, cookie + 1).has_value());
  Rng rng2(8, "cookies");
  SynCookies other(rng2);
  CHECK_FALSE(other.check(at(1_s), kServer, kClient, isn + 1, cookie + 1).has_value());
}

TEST_CASE("Forged cookies are rejected") {
  Rng rng(7, "cookies");
  SynCookies cookies(rng);
  SeqNum isn(4242);
  SeqNum cookie = cookies.make(at(1_s), kServer, kClient, isn, 1460);
  int accepted = 0;
  for (uint32_t delta = 1; delta <= 1000; ++delta) {
    if (cookies.check(at(1_s), kServer, kClient, isn + 1, cookie + 1 + delta)) ++accepted;
  }
  // The low 24 bits must decode to an index < 4: a guess succeeds with p = 4 / 2^24.
  CHECK(accepted == 0);
}
