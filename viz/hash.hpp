// Internal to viz/: hashes for socket addresses and pairs of them, so the per-packet indexes of
// a million-record trace can be hash tables. Nothing may iterate such a table in a way that
// decides the order of output: lookups and membership only, or iteration into an ordered set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "sim/packet.hpp"

namespace netsim::viz::detail {

// splitmix64's finaliser: every input bit moves every output bit.
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

constexpr uint64_t packed(SocketAddr a) {
  return uint64_t{a.addr.value} << 16 | a.port;
}

struct SocketAddrHash {
  size_t operator()(SocketAddr a) const { return static_cast<size_t>(mix64(packed(a))); }
};

struct SocketPairHash {
  size_t operator()(const std::pair<SocketAddr, SocketAddr>& p) const {
    return static_cast<size_t>(mix64(mix64(packed(p.first)) ^ packed(p.second)));
  }
};

}  // namespace netsim::viz::detail
