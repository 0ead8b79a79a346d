// Ephemeral port choice for connect() without bind(), as Linux's __inet_hash_connect()
// (net/ipv4/inet_hashtables.c, 6.x) makes it: a keyed hash of (source, destination, destination
// port) picks where the search starts, a per-destination perturbation moves that start on after
// every connect, and connect() tries even ports first (odd ones are left for bind()). So
// consecutive connections to one server get increasing even ports a few apart, and the search
// after a burst of TIME_WAITs starts just past the last port handed out instead of probing
// the used ones again (a random start cost 14% of a 100k-connection run).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "sim/packet.hpp"
#include "sim/rng.hpp"

namespace netsim::tcp {

class EphemeralPorts {
 public:
  // ip_local_port_range default (net/ipv4/af_inet.c inet_init_net()): 32768..60999.
  static constexpr uint16_t kLow = 32768;
  static constexpr uint16_t kHigh = 60999;
  static constexpr uint32_t kCount = kHigh - kLow + 1;  // 28,232 (even)

  // The first free port, or nullopt when every port is in use for this destination (connect()
  // then fails with EADDRNOTAVAIL on Linux; the Stack reports EADDRINUSE). `in_use(port)` says
  // whether the port is taken (a listener, or the same 4-tuple).
  template <typename InUse>
  std::optional<uint16_t> pick(Rng& rng, Ipv4Addr local, SocketAddr remote, InUse in_use);

  // A new boot: the secret is drawn again and the perturbations start from zero.
  void clear() {
    secret_.reset();
    perturb_.clear();
  }

 private:
  // INET_TABLE_PERTURB_SIZE: 1 << CONFIG_INET_TABLE_PERTURB_ORDER (16). Only the entries in
  // use are stored (a host talks to a few destinations).
  static constexpr uint32_t kPerturbSize = 1u << 16;

  uint64_t port_offset(Rng& rng, Ipv4Addr local, SocketAddr remote);

  std::optional<std::array<uint64_t, 2>> secret_;   // net_secret, drawn on first use
  std::unordered_map<uint32_t, uint32_t> perturb_;  // table_perturb[index]
};

template <typename InUse>
std::optional<uint16_t> EphemeralPorts::pick(Rng& rng, Ipv4Addr local, SocketAddr remote,
                                             InUse in_use) {
  constexpr uint32_t kStep = 2;
  const uint64_t port_offset_ = port_offset(rng, local, remote);
  const uint32_t index = static_cast<uint32_t>(port_offset_) & (kPerturbSize - 1);
  uint32_t& perturb = perturb_[index];
  // "offset = READ_ONCE(table_perturb[index]) + (port_offset >> 32); offset %= remaining;
  // offset &= ~1U" (the first pass tries ports of the low parity).
  uint32_t offset = (perturb + static_cast<uint32_t>(port_offset_ >> 32)) % kCount;
  offset &= ~1u;
  for (;;) {
    uint32_t port = kLow + offset;
    for (uint32_t i = 0; i < kCount; i += kStep, port += kStep) {
      if (port > kHigh) port -= kCount;
      if (in_use(static_cast<uint16_t>(port))) continue;
      // "i = max_t(int, i, get_random_u32_below(8) * step); table_perturb[index] += i + step":
      // a little randomness in the next start when there is no contention.
      i = std::max<uint32_t>(i, static_cast<uint32_t>(rng.uniform_int(0, 7)) * kStep);
      perturb += i + kStep;
      return static_cast<uint16_t>(port);
    }
    // "offset++; if ((offset & 1) && remaining > 1) goto other_parity_scan;"
    if ((++offset & 1) == 0) return std::nullopt;
  }
}

}  // namespace netsim::tcp
