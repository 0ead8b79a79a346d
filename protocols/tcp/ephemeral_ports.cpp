#include "protocols/tcp/ephemeral_ports.hpp"

#include <bit>

#include "protocols/tcp/syncookie.hpp"

namespace netsim::tcp {

// secure_ipv4_port_ephemeral(): siphash_3u32(saddr, daddr, dport, &net_secret), with the
// secret drawn once (net_get_random_once()).
uint64_t EphemeralPorts::port_offset(Rng& rng, Ipv4Addr local, SocketAddr remote) {
  if (!secret_) secret_ = std::array<uint64_t, 2>{rng.next_u64(), rng.next_u64()};
  if (last_.valid && last_.local == local.value && last_.remote == remote.addr.value &&
      last_.port == remote.port) {
    return last_.hash;
  }
  const uint32_t words[3] = {local.value, remote.addr.value, remote.port};
  uint8_t bytes[12];
  for (int w = 0; w < 3; ++w)
    for (int b = 0; b < 4; ++b)
      bytes[4 * w + b] = static_cast<uint8_t>(words[w] >> (8 * b));
  last_ = {local.value, remote.addr.value, remote.port, true,
           siphash_2_4(*secret_, bytes, sizeof bytes)};
  return last_.hash;
}

void EphemeralPorts::mark(SocketAddr local, SocketAddr remote, bool used) {
  if (busy_.empty()) return;
  auto it = busy_.find(Dest{local.addr, remote});
  if (it != busy_.end()) it->second->set(local.port, used);
}

uint32_t EphemeralPorts::Bitmap::next_clear(uint32_t from, uint32_t to) const {
  // Bits of from's parity: 0x5555... selects even bit positions (word starts are even ports).
  const uint64_t parity = (from % 2 == 0) ? 0x5555555555555555ULL : 0xAAAAAAAAAAAAAAAAULL;
  for (uint32_t w = from / 64; w <= to / 64; ++w) {
    uint64_t free = ~words[w] & parity;
    if (w == from / 64) free &= ~uint64_t{0} << (from % 64);
    if (free == 0) continue;
    uint32_t port = w * 64 + static_cast<uint32_t>(std::countr_zero(free));
    return port <= to ? port : 0;
  }
  return 0;
}

}  // namespace netsim::tcp
