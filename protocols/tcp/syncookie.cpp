// SYN cookie encoding and checking, copied from net/ipv4/syncookies.c with SipHash-2-4 as the
// keyed hash (the kernel uses siphash too). Pure integer arithmetic: deterministic everywhere.

#include "protocols/tcp/syncookie.hpp"

namespace netsim::tcp {

namespace {

constexpr uint64_t rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

struct SipState {
  uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
  void compress(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

uint64_t load_le64(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= uint64_t{p[i]} << (8 * i);
  return v;
}

}  // namespace

uint64_t siphash_2_4(const std::array<uint64_t, 2>& key, const uint8_t* data, size_t len) {
  SipState s{key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL,
             key[0] ^ 0x6c7967656e657261ULL, key[1] ^ 0x7465646279746573ULL};
  size_t full = len / 8 * 8;
  for (size_t i = 0; i < full; i += 8)
    s.compress(load_le64(data + i, 8));
  s.compress((uint64_t{len & 0xff} << 56) | load_le64(data + full, len - full));
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i)
    s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void SynCookies::rekey(Rng& rng) {
  for (auto& k : secret_) {
    k[0] = rng.next_u64();
    k[1] = rng.next_u64();
  }
}

uint8_t SynCookies::mss_index(uint16_t client_mss) {
  uint8_t i = kMssTable.size() - 1;
  while (i > 0 && client_mss < kMssTable[i])
    --i;
  return i;
}

uint32_t SynCookies::hash(SocketAddr local, SocketAddr remote, uint32_t count, int c) const {
  const uint32_t words[4] = {remote.addr.value, local.addr.value,
                             (uint32_t{remote.port} << 16) | local.port, count};
  uint8_t bytes[16];
  for (int w = 0; w < 4; ++w) {
    for (int b = 0; b < 4; ++b)
      bytes[4 * w + b] = static_cast<uint8_t>(words[w] >> (8 * b));
  }
  return static_cast<uint32_t>(siphash_2_4(secret_[c], bytes, sizeof bytes));
}

SeqNum SynCookies::encode(SocketAddr local, SocketAddr remote, SeqNum client_isn, uint32_t count,
                          uint8_t mss_index) const {
  // secure_tcp_syn_cookie(): H0 + sseq + (count << COOKIEBITS) + ((H1(count) + data) & MASK).
  // The top 8 bits carry the counter (H0 + sseq cancel on check), the low 24 the MSS index
  // hidden under a hash that depends on the counter.
  uint32_t cookie = hash(local, remote, 0, 0) + client_isn.raw() + (count << kCountBits) +
                    ((hash(local, remote, count, 1) + mss_index) & kCountMask);
  return SeqNum(cookie);
}

std::optional<uint16_t> SynCookies::check(Instant now, SocketAddr local, SocketAddr remote,
                                          SeqNum seq, SeqNum ack) const {
  // cookie_v4_check(): the client's ISN is seq - 1 and the cookie ack - 1.
  uint32_t client_isn = seq.raw() - 1;
  uint32_t cookie = ack.raw() - 1;
  uint32_t count = counter(now);
  // check_tcp_syn_cookie(): strip H0 + sseq, read the counter from the top bits.
  cookie -= hash(local, remote, 0, 0) + client_isn;
  uint32_t diff = (count - (cookie >> kCountBits)) & (0xffffffffU >> kCountBits);
  if (diff >= kMaxAge) return std::nullopt;
  uint32_t mssind = (cookie - hash(local, remote, count - diff, 1)) & kCountMask;
  // __cookie_v4_check(): a forged cookie decodes to an index outside the table.
  if (mssind >= kMssTable.size()) return std::nullopt;
  return kMssTable[mssind];
}

}  // namespace netsim::tcp
