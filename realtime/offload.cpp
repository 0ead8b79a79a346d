// Cutting TSO super-packets into segments and completing partial checksums, as a NIC does for
// the kernel (the virtio-net contract; tcp_gso_segment() is the software equivalent).
#include "realtime/offload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "sim/wire.hpp"

namespace netsim::realtime {
namespace {

constexpr uint8_t kFin = 0x01, kPsh = 0x08, kCwr = 0x80;

// IPv4 header checksum and the TCP checksum over the pseudo-header (RFC 9293 3.1), both anew.
void fill_checksums(std::span<uint8_t> pkt, size_t ihl) {
  put16(pkt, 10, 0);
  put16(pkt, 10, internet_checksum(pkt.first(ihl)));
  auto tcp = pkt.subspan(ihl);
  put16(tcp, 16, 0);
  std::array<uint8_t, 12> pseudo{};
  std::copy_n(pkt.begin() + 12, 8, pseudo.begin());
  pseudo[9] = 6;
  put16(pseudo, 10, static_cast<uint16_t>(tcp.size()));
  put16(tcp, 16, checksum_fold(checksum_add(checksum_add(0, pseudo), tcp)));
}

Segmented complete_checksum(const VnetHeader& h, std::span<const uint8_t> packet) {
  Segmented out;
  std::vector<uint8_t> p(packet.begin(), packet.end());
  if (h.flags & VnetHeader::kNeedsCsum) {
    size_t start = h.csum_start, field = size_t{h.csum_start} + h.csum_offset;
    if (field + 2 > p.size()) {
      out.error = fmt::format("checksum offset {}+{} is outside the {}-byte packet", h.csum_start,
                              h.csum_offset, p.size());
      return out;
    }
    // The field holds the pseudo-header sum already (CHECKSUM_PARTIAL).
    uint16_t sum = checksum_fold(checksum_add(0, std::span<const uint8_t>(p).subspan(start)));
    put16(p, field, sum);
  }
  out.packets.push_back(std::move(p));
  return out;
}

// The headers of a TCP/IPv4 super-packet: lengths checked against the bytes.
struct TsoHeaders {
  size_t ihl = 0, headers = 0, payload = 0;
  std::string error;
};
TsoHeaders tso_headers(std::span<const uint8_t> b) {
  TsoHeaders t;
  if (b.size() < 40 || (b[0] >> 4) != 4 || b[9] != 6) {
    t.error = "TSO packet is not TCP over IPv4";
    return t;
  }
  t.ihl = size_t{b[0] & 0x0fu} * 4;
  size_t total = get16(b, 2);
  if (t.ihl < 20 || total > b.size() || total < t.ihl + 20) {
    t.error = fmt::format("TSO packet's IPv4 lengths (header {}, total {}) do not fit {} bytes",
                          t.ihl, total, b.size());
    return t;
  }
  size_t thl = size_t{b[t.ihl + 12]} / 16 * 4;
  t.headers = t.ihl + thl;
  if (thl < 20 || t.headers > total) {
    t.error = fmt::format("TSO packet's TCP header length {} does not fit", thl);
    return t;
  }
  t.payload = total - t.headers;
  return t;
}

}  // namespace

VnetHeader VnetHeader::parse(std::span<const uint8_t, kSize> b) {
  auto le16 = [&](size_t at) { return static_cast<uint16_t>(b[at] | (b[at + 1] << 8)); };
  return {b[0], b[1], le16(2), le16(4), le16(6), le16(8)};
}

void VnetHeader::write(std::span<uint8_t, kSize> b) const {
  b[0] = flags;
  b[1] = gso_type;
  for (auto [at, v] : {std::pair<size_t, uint16_t>{2, hdr_len},
                       {4, gso_size},
                       {6, csum_start},
                       {8, csum_offset}}) {
    b[at] = static_cast<uint8_t>(v);
    b[at + 1] = static_cast<uint8_t>(v >> 8);
  }
}

Segmented segment_offloaded(const VnetHeader& h, std::span<const uint8_t> packet) {
  uint8_t type = h.gso_type & static_cast<uint8_t>(~VnetHeader::kGsoEcn);
  if (type == VnetHeader::kGsoNone) return complete_checksum(h, packet);
  Segmented out;
  if (type != VnetHeader::kGsoTcpv4) {
    out.error = fmt::format("GSO type {} is not TCPv4 (the device offers TSO4 only)", type);
    return out;
  }
  TsoHeaders t = tso_headers(packet);
  if (!t.error.empty()) {
    out.error = std::move(t.error);
    return out;
  }
  if (h.gso_size == 0) {
    out.error = "TSO packet with gso_size 0";
    return out;
  }
  uint16_t id = get16(packet, 4);
  uint32_t seq = get32(packet, t.ihl + 4);
  uint8_t flags = packet[t.ihl + 13];
  size_t count = std::max<size_t>(1, (t.payload + h.gso_size - 1) / h.gso_size);
  for (size_t i = 0; i < count; ++i) {
    size_t off = i * h.gso_size, len = std::min<size_t>(h.gso_size, t.payload - off);
    std::vector<uint8_t> s(t.headers + len);
    std::copy_n(packet.begin(), t.headers, s.begin());
    std::copy_n(packet.begin() + static_cast<std::ptrdiff_t>(t.headers + off), len,
                s.begin() + static_cast<std::ptrdiff_t>(t.headers));
    put16(s, 2, static_cast<uint16_t>(s.size()));
    put16(s, 4, static_cast<uint16_t>(id + i));  // inet_gso_segment(): not SKB_GSO_TCP_FIXEDID
    put32(s, t.ihl + 4, seq + static_cast<uint32_t>(off));
    uint8_t f = flags;
    if (i + 1 < count) f &= static_cast<uint8_t>(~(kFin | kPsh));
    if (i > 0) f &= static_cast<uint8_t>(~kCwr);
    s[t.ihl + 13] = f;
    fill_checksums(s, t.ihl);
    out.packets.push_back(std::move(s));
  }
  return out;
}

}  // namespace netsim::realtime
