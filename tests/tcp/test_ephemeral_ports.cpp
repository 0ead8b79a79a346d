// Ephemeral ports chosen as Linux's __inet_hash_connect() chooses them: even ports first, a
// start that moves on after every connect() to the same destination, odd ports once the even
// ones are used up, and a failure only when all 28,232 are taken.
#include <catch2/catch.hpp>

#include <set>
#include <vector>

#include "protocols/tcp/ephemeral_ports.hpp"
#include "protocols/tcp/stack.hpp"
#include "tests/tcp/test_stack_util.hpp"

namespace netsim::tcp {
using namespace netsim::literals;

namespace {

using testing::kClientIp;
using testing::kServerIp;

const SocketAddr kServer{kServerIp, 80};

TEST_CASE("Consecutive connections to one server get increasing even ports 2 to 16 apart") {
  EphemeralPorts ports;
  Rng rng(7, "ports");
  std::set<uint16_t> used;
  std::vector<uint16_t> got;
  for (int i = 0; i < 200; ++i) {
    std::optional<uint16_t> p =
        ports.pick(rng, kClientIp, kServer, [&](uint16_t q) { return used.count(q) != 0; });
    REQUIRE(p);
    CHECK(*p >= EphemeralPorts::kLow);
    CHECK(*p <= EphemeralPorts::kHigh);
    CHECK(*p % 2 == 0);
    used.insert(*p);
    got.push_back(*p);
  }
  // Nothing is in use ahead of the start, so each step is max(0, random(8) * 2) + 2, modulo
  // the range: 2..16.
  for (size_t i = 1; i < got.size(); ++i) {
    uint32_t gap = (got[i] + EphemeralPorts::kCount - got[i - 1]) % EphemeralPorts::kCount;
    CHECK(gap >= 2);
    CHECK(gap <= 16);
    CHECK(gap % 2 == 0);
  }
}

TEST_CASE("The search starts past the last port handed out, so used ports are not probed again") {
  EphemeralPorts ports;
  Rng rng(3, "ports");
  std::set<uint16_t> used;
  uint64_t probes = 0;
  for (int i = 0; i < 1000; ++i) {
    auto p = ports.pick(rng, kClientIp, kServer, [&](uint16_t q) {
      ++probes;
      return used.count(q) != 0;
    });
    REQUIRE(p);
    used.insert(*p);
  }
  // At most 16 apart, 1,000 ports stay within one lap of the 28,232: every first probe is free.
  CHECK(probes == 1000);
}

TEST_CASE("Odd ports are used once every even port is taken, and then connect() finds none") {
  EphemeralPorts ports;
  Rng rng(11, "ports");
  std::vector<bool> used(65536, false);
  auto in_use = [&](uint16_t q) { return static_cast<bool>(used[q]); };
  uint32_t even = 0, odd = 0;
  for (uint32_t i = 0; i < EphemeralPorts::kCount; ++i) {
    std::optional<uint16_t> p = ports.pick(rng, kClientIp, kServer, in_use);
    REQUIRE(p);
    REQUIRE_FALSE(used[*p]);  // never a port already in use
    used[*p] = true;
    if (*p % 2 == 0) {
      ++even;
    } else {
      REQUIRE(even == EphemeralPorts::kCount / 2);  // an odd port only when no even one is left
      ++odd;
    }
  }
  CHECK(odd == EphemeralPorts::kCount / 2);
  CHECK_FALSE(ports.pick(rng, kClientIp, kServer, in_use).has_value());
  // A port that frees up is found again, wherever it is.
  used[40001] = false;
  CHECK(ports.pick(rng, kClientIp, kServer, in_use) == std::optional<uint16_t>(40001));
}

TEST_CASE("Each destination has its own start, and the same seed picks the same ports") {
  auto first_ports = [](uint64_t seed) {
    EphemeralPorts ports;
    Rng rng(seed, "ports");
    std::vector<uint16_t> out;
    for (uint16_t dport : {80, 443, 8080, 22})
      out.push_back(
          *ports.pick(rng, kClientIp, {kServerIp, dport}, [](uint16_t) { return false; }));
    return out;
  };
  std::vector<uint16_t> a = first_ports(1);
  CHECK(a == first_ports(1));
  CHECK(std::set<uint16_t>(a.begin(), a.end()).size() == a.size());
  CHECK(a != first_ports(2));
}

TEST_CASE("A Stack's connect() takes its ports this way: two connections to one server") {
  Stack st({kClientIp}, Profile{}, Rng(5, "client"));
  Outbox o;
  OpenResult a = st.connect(testing::at(0_s), kServer, std::nullopt, {}, o);
  OpenResult b = st.connect(testing::at(0_s), kServer, std::nullopt, {}, o);
  REQUIRE(a.id != kNoSocket);
  REQUIRE(b.id != kNoSocket);
  uint16_t pa = st.local_address(a.id).port, pb = st.local_address(b.id).port;
  CHECK(pa % 2 == 0);
  CHECK(pb % 2 == 0);
  uint32_t gap = (pb + EphemeralPorts::kCount - pa) % EphemeralPorts::kCount;
  CHECK(gap >= 2);
  CHECK(gap <= 16);
}

}  // namespace
}  // namespace netsim::tcp
