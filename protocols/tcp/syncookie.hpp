// Stateless SYN cookies with Linux semantics (net/ipv4/syncookies.c): the SYN-ACK's initial
// sequence number encodes a minute counter and an index into a table of MSS values, protected by
// a keyed hash of the 4-tuple, the client's ISN and the counter, so that the final ACK alone can
// recreate the connection. See docs/queues-and-cookies.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "sim/packet.hpp"
#include "sim/rng.hpp"
#include "sim/seq.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

// SipHash-2-4 (Aumasson & Bernstein) of four 32-bit words, as the kernel's siphash_4u32():
// words are packed little-endian into 16 bytes. Exposed for the published test vector.
uint64_t siphash_2_4(const std::array<uint64_t, 2>& key, const uint8_t* data, size_t len);

class SynCookies {
 public:
  // msstab of net/ipv4/syncookies.c (IPv4): only the index of the entry travels in the cookie.
  static constexpr std::array<uint16_t, 4> kMssTable{536, 1300, 1440, 1460};
  static constexpr Duration kPeriod = Duration::seconds(60);  // TCP_SYNCOOKIE_PERIOD
  static constexpr uint32_t kMaxAge = 2;                      // MAX_SYNCOOKIE_AGE
  static constexpr int kCountBits = 24;                       // COOKIEBITS
  static constexpr uint32_t kCountMask = (uint32_t{1} << kCountBits) - 1;

  // Two 128-bit secrets (Linux: syncookie_secret[2], drawn once per boot).
  explicit SynCookies(Rng& rng) { rekey(rng); }
  void rekey(Rng& rng);

  // tcp_cookie_time(): the counter advances once a minute.
  static uint32_t counter(Instant now) { return static_cast<uint32_t>(now.ns() / kPeriod.ns()); }
  // The largest table entry <= the client's MSS (the smallest entry if none is):
  // __cookie_v4_init_sequence() walks msstab downwards.
  static uint8_t mss_index(uint16_t client_mss);

  // secure_tcp_syn_cookie(): the ISN of a cookie SYN-ACK. `local` is this host's end.
  SeqNum encode(SocketAddr local, SocketAddr remote, SeqNum client_isn, uint32_t count,
                uint8_t mss_index) const;
  SeqNum make(Instant now, SocketAddr local, SocketAddr remote, SeqNum client_isn,
              uint16_t client_mss) const {
    return encode(local, remote, client_isn, counter(now), mss_index(client_mss));
  }
  // check_tcp_syn_cookie() + __cookie_v4_check(): for an ACK with sequence number `seq` and
  // acknowledgment `ack`, the MSS the cookie carries, or nothing when the cookie is forged or
  // older than kMaxAge counter periods.
  std::optional<uint16_t> check(Instant now, SocketAddr local, SocketAddr remote, SeqNum seq,
                                SeqNum ack) const;

 private:
  // cookie_hash(): siphash_4u32(saddr, daddr, sport << 16 | dport, count, secret[c]), with the
  // client as source, as the kernel sees the incoming SYN.
  uint32_t hash(SocketAddr local, SocketAddr remote, uint32_t count, int c) const;

  std::array<std::array<uint64_t, 2>, 2> secret_{};
};

}  // namespace netsim::tcp
