#include "protocols/tcp/ephemeral_ports.hpp"

#include "protocols/tcp/syncookie.hpp"

namespace netsim::tcp {

// secure_ipv4_port_ephemeral(): siphash_3u32(saddr, daddr, dport, &net_secret), with the
// secret drawn once (net_get_random_once()).
uint64_t EphemeralPorts::port_offset(Rng& rng, Ipv4Addr local, SocketAddr remote) {
  if (!secret_) secret_ = std::array<uint64_t, 2>{rng.next_u64(), rng.next_u64()};
  const uint32_t words[3] = {local.value, remote.addr.value, remote.port};
  uint8_t bytes[12];
  for (int w = 0; w < 3; ++w)
    for (int b = 0; b < 4; ++b)
      bytes[4 * w + b] = static_cast<uint8_t>(words[w] >> (8 * b));
  return siphash_2_4(*secret_, bytes, sizeof bytes);
}

}  // namespace netsim::tcp
