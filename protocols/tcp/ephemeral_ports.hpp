// Ephemeral port choice for connect() without bind(), as Linux's __inet_hash_connect()
// (net/ipv4/inet_hashtables.c, 6.x) makes it: a keyed hash of (source, destination, destination
// port) picks where the search starts, a per-destination perturbation moves that start on after
// every connect, and connect() tries even ports first (odd ones are left for bind()). So
// consecutive connections to one server get increasing even ports a few apart.
//
// Linux probes port after port. Once more than half of the range is taken for one destination
// (a client churning connections into TIME_WAIT), every connect() probes all 14,116 even ports
// before it reaches the odd ones; a simulator running 100k such connects would spend minutes
// there. So a destination whose search needed many probes gets a bitmap of its used ports,
// kept exact by the Stack's on_added()/on_removed(), and the scan skips 64 used ports per word:
// the port picked, and every random draw, are exactly those of the port-by-port search.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "sim/packet.hpp"
#include "sim/rng.hpp"

namespace netsim::tcp {

class EphemeralPorts {
 public:
  // ip_local_port_range default (net/ipv4/af_inet.c inet_init_net()): 32768..60999.
  static constexpr uint16_t kLow = 32768;
  static constexpr uint16_t kHigh = 60999;
  static constexpr uint32_t kCount = kHigh - kLow + 1;  // 28,232 (even)
  // A destination whose search probed more ports than this gets a bitmap (8 KiB).
  static constexpr uint32_t kIndexAfter = 64;

  // `index_after`: probes before a destination gets its bitmap (tests compare with "never").
  explicit EphemeralPorts(uint32_t index_after = kIndexAfter) : index_after_(index_after) {}

  // The first free port, or nullopt when every port is in use for this destination (connect()
  // then fails with EADDRNOTAVAIL on Linux; the Stack reports EADDRINUSE). `in_use(port)` says
  // whether the port is taken (a listener, or the same 4-tuple); `used_ports()` lists the local
  // ports of the 4-tuples (local, *, remote) that exist, for building a bitmap.
  template <typename InUse, typename UsedPorts>
  std::optional<uint16_t> pick(Rng& rng, Ipv4Addr local, SocketAddr remote, InUse in_use,
                               UsedPorts used_ports);

  // The Stack reports every 4-tuple it adds or removes, so that the bitmaps stay exact.
  void on_added(SocketAddr local, SocketAddr remote) { mark(local, remote, true); }
  void on_removed(SocketAddr local, SocketAddr remote) { mark(local, remote, false); }

  // A new boot: the secret is drawn again, the perturbations start from zero.
  void clear() {
    secret_.reset();
    last_ = {};
    perturb_.clear();
    busy_.clear();
  }

  size_t indexed_destinations() const { return busy_.size(); }

 private:
  // INET_TABLE_PERTURB_SIZE: 1 << CONFIG_INET_TABLE_PERTURB_ORDER (16). Only the entries in
  // use are stored (a host talks to a few destinations).
  static constexpr uint32_t kPerturbSize = 1u << 16;
  static constexpr uint32_t kStep = 2;

  struct Dest {
    Ipv4Addr local;
    SocketAddr remote;
    bool operator==(const Dest&) const = default;
  };
  struct DestHash {
    size_t operator()(const Dest& d) const {
      uint64_t h = (uint64_t{d.remote.addr.value} << 16 | d.remote.port) * 0x9e3779b97f4a7c15ULL;
      return static_cast<size_t>(h ^ (uint64_t{d.local.value} * 0xc2b2ae3d27d4eb4fULL));
    }
  };
  struct Bitmap {
    std::array<uint64_t, 65536 / 64> words{};
    bool test(uint32_t port) const { return (words[port / 64] >> (port % 64)) & 1; }
    void set(uint32_t port, bool used) {
      uint64_t bit = uint64_t{1} << (port % 64);
      words[port / 64] = used ? words[port / 64] | bit : words[port / 64] & ~bit;
    }
    // The first port in [from, to] of from's parity whose bit is clear, or 0 (no port here is 0).
    uint32_t next_clear(uint32_t from, uint32_t to) const;
  };

  uint64_t port_offset(Rng& rng, Ipv4Addr local, SocketAddr remote);
  void mark(SocketAddr local, SocketAddr remote, bool used);
  // The first free port of one parity pass from `start` on, cyclically, and how far it is.
  template <typename InUse>
  std::optional<uint16_t> scan(uint32_t start, const Bitmap* bitmap, InUse& in_use,
                               uint32_t& distance, uint32_t& probes);

  uint32_t index_after_;
  std::optional<std::array<uint64_t, 2>> secret_;  // net_secret, drawn on first use
  // port_offset()'s last input and result: a client's connects mostly go to one destination,
  // and a siphash per connect was 0.3% of a handshake benchmark's instructions.
  struct LastOffset {
    uint32_t local = 0, remote = 0;
    uint16_t port = 0;
    bool valid = false;
    uint64_t hash = 0;
  } last_;
  std::unordered_map<uint32_t, uint32_t> perturb_;  // table_perturb[index]
  std::unordered_map<Dest, std::unique_ptr<Bitmap>, DestHash> busy_;
};

template <typename InUse>
std::optional<uint16_t> EphemeralPorts::scan(uint32_t start, const Bitmap* bitmap, InUse& in_use,
                                             uint32_t& distance, uint32_t& probes) {
  // Two stretches: start..kHigh, then (wrapping) kLow..start-2 of the same parity.
  const uint32_t first_low = kLow + (start - kLow) % kStep;
  const std::array<std::array<uint32_t, 2>, 2> stretches{{{start, kHigh}, {first_low, start - 1}}};
  for (const auto& [from, to] : stretches) {
    for (uint32_t port = from; port <= to && port >= from; port += kStep) {
      if (bitmap != nullptr) {
        port = bitmap->next_clear(port, to);
        if (port == 0) break;
      }
      ++probes;
      if (in_use(static_cast<uint16_t>(port))) continue;
      distance = (port + kCount - start) % kCount;
      return static_cast<uint16_t>(port);
    }
  }
  return std::nullopt;
}

template <typename InUse, typename UsedPorts>
std::optional<uint16_t> EphemeralPorts::pick(Rng& rng, Ipv4Addr local, SocketAddr remote,
                                             InUse in_use, UsedPorts used_ports) {
  const uint64_t hash = port_offset(rng, local, remote);
  uint32_t& perturb = perturb_[static_cast<uint32_t>(hash) & (kPerturbSize - 1)];
  // "offset = READ_ONCE(table_perturb[index]) + (port_offset >> 32); offset %= remaining;
  // offset &= ~1U" (the first pass tries ports of the low parity).
  uint32_t offset = (perturb + static_cast<uint32_t>(hash >> 32)) % kCount;
  offset &= ~1u;
  auto busy = busy_.find(Dest{local, remote});
  const Bitmap* bitmap = busy == busy_.end() ? nullptr : busy->second.get();
  uint32_t probes = 0;
  std::optional<uint16_t> port;
  uint32_t i = 0;
  // "offset++; if ((offset & 1) && remaining > 1) goto other_parity_scan;"
  for (uint32_t pass = 0; pass < 2 && !port; ++pass, ++offset)
    port = scan(kLow + offset, bitmap, in_use, i, probes);
  if (!port) return std::nullopt;
  // "i = max_t(int, i, get_random_u32_below(8) * step); table_perturb[index] += i + step":
  // a little randomness in the next start when there is no contention.
  i = std::max<uint32_t>(i, static_cast<uint32_t>(rng.uniform_int(0, 7)) * kStep);
  perturb += i + kStep;
  if (bitmap == nullptr && probes > index_after_) {
    auto b = std::make_unique<Bitmap>();
    for (uint16_t used : used_ports())
      b->set(used, true);
    busy_.emplace(Dest{local, remote}, std::move(b));
  }
  return port;
}

}  // namespace netsim::tcp
