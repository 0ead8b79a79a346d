// Ephemeral ports chosen as Linux's __inet_hash_connect() chooses them: even ports first, a
// start that moves on after every connect() to the same destination, odd ports once the even
// ones are used up, and a failure only when all 28,232 are taken. The bitmap a busy
// destination gets must pick exactly the ports the port-by-port search picks.
#include <catch2/catch.hpp>

#include <deque>
#include <set>
#include <vector>

#include "protocols/tcp/ephemeral_ports.hpp"
#include "protocols/tcp/stack.hpp"
#include "tests/tcp/test_stack_util.hpp"

using namespace netsim::literals;

namespace netsim::tcp {
namespace {

using testing::kClientIp;
using testing::kServerIp;

const SocketAddr kServer{kServerIp, 80};

// One client's view of the ports in use towards kServer, as the Stack keeps it: every port it
// takes or frees is reported to the EphemeralPorts.
struct Client {
  explicit Client(uint32_t index_after = EphemeralPorts::kIndexAfter, uint64_t seed = 7)
      : ports(index_after), rng(seed, "ports") {}
  EphemeralPorts ports;
  Rng rng;
  std::vector<bool> used = std::vector<bool>(65536, false);
  uint64_t probes = 0;

  std::optional<uint16_t> connect(SocketAddr to = kServer) {
    auto in_use = [&](uint16_t q) {
      ++probes;
      return static_cast<bool>(used[q]);
    };
    auto listed = [&] {
      std::vector<uint16_t> out;
      for (uint32_t p = 0; p < used.size(); ++p)
        if (used[p]) out.push_back(static_cast<uint16_t>(p));
      return out;
    };
    std::optional<uint16_t> p = ports.pick(rng, kClientIp, to, in_use, listed);
    if (p) {
      REQUIRE_FALSE(used[*p]);  // never a port already in use
      used[*p] = true;
      ports.on_added({kClientIp, *p}, to);
    }
    return p;
  }
  void release(uint16_t p, SocketAddr to = kServer) {
    used[p] = false;
    ports.on_removed({kClientIp, p}, to);
  }
};

uint32_t gap(uint16_t from, uint16_t to) {
  return (to + EphemeralPorts::kCount - from) % EphemeralPorts::kCount;
}

TEST_CASE("Consecutive connections to one server get increasing even ports 2 to 16 apart") {
  Client c;
  std::vector<uint16_t> got;
  for (int i = 0; i < 200; ++i) {
    std::optional<uint16_t> p = c.connect();
    REQUIRE(p);
    CHECK(*p >= EphemeralPorts::kLow);
    CHECK(*p <= EphemeralPorts::kHigh);
    CHECK(*p % 2 == 0);
    got.push_back(*p);
  }
  // Nothing is in use ahead of the start, so each step is max(0, random(8) * 2) + 2: 2..16.
  std::set<uint32_t> gaps;
  for (size_t i = 1; i < got.size(); ++i)
    gaps.insert(gap(got[i - 1], got[i]));
  CHECK(gaps == std::set<uint32_t>{2, 4, 6, 8, 10, 12, 14, 16});
}

TEST_CASE("The search starts past the last port handed out, so used ports are not probed again") {
  Client c;
  // At most 16 apart, 1,000 ports stay within one lap of the 28,232: every first probe is free.
  for (int i = 0; i < 1000; ++i)
    REQUIRE(c.connect());
  CHECK(c.probes == 1000);
  CHECK(c.ports.indexed_destinations() == 0);
}

TEST_CASE("Odd ports are used once every even port is taken, and then connect() finds none") {
  for (uint32_t index_after : {EphemeralPorts::kIndexAfter, UINT32_MAX}) {
    INFO("bitmap after " << index_after << " probes");
    Client c(index_after, 11);
    uint32_t even = 0, odd = 0;
    for (uint32_t i = 0; i < EphemeralPorts::kCount; ++i) {
      std::optional<uint16_t> p = c.connect();
      REQUIRE(p);
      if (*p % 2 == 0) {
        ++even;
      } else {
        REQUIRE(even == EphemeralPorts::kCount / 2);  // odd only when no even port is left
        ++odd;
      }
    }
    CHECK(odd == EphemeralPorts::kCount / 2);
    CHECK_FALSE(c.connect().has_value());
    // A port that frees up is found again, wherever it is.
    c.release(40001);
    CHECK(c.connect() == std::optional<uint16_t>(40001));
    c.release(32768);
    CHECK(c.connect() == std::optional<uint16_t>(32768));
    c.release(60999);
    CHECK(c.connect() == std::optional<uint16_t>(60999));
    CHECK(c.ports.indexed_destinations() == (index_after == UINT32_MAX ? 0u : 1u));
  }
}

TEST_CASE("A busy destination's bitmap picks exactly the ports of the port-by-port search") {
  // A client churning connections into TIME_WAIT: 24,000 ports held, the oldest freed as each
  // new one is taken (the concurrent handshake benchmark), so more than half the range is used.
  Client probe(UINT32_MAX, 5), bitmap(EphemeralPorts::kIndexAfter, 5);
  std::deque<uint16_t> held;
  for (int i = 0; i < 60000; ++i) {
    std::optional<uint16_t> a = probe.connect(), b = bitmap.connect();
    REQUIRE(a);
    REQUIRE(a == b);
    held.push_back(*a);
    if (held.size() > 24000) {
      probe.release(held.front());
      bitmap.release(held.front());
      held.pop_front();
    }
  }
  CHECK(bitmap.ports.indexed_destinations() == 1);
  // Port by port, each connect probes the ~12k used even ports; the bitmap probes a few.
  CHECK(probe.probes > 100 * bitmap.probes);
}

TEST_CASE("Each destination has its own start, and the same seed picks the same ports") {
  auto first_ports = [](uint64_t seed) {
    Client c(EphemeralPorts::kIndexAfter, seed);
    std::vector<uint16_t> out;
    for (uint16_t dport : {80, 443, 8080, 22})
      out.push_back(*c.connect({kServerIp, dport}));
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
  CHECK(gap(pa, pb) >= 2);
  CHECK(gap(pa, pb) <= 16);
}

}  // namespace
}  // namespace netsim::tcp
