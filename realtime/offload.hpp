// The TUN device's offloads (IFF_VNET_HDR): every packet crosses with a virtio_net_hdr in front.
// The kernel hands over TCP super-packets (TSO, up to 64 KB) and packets whose checksum it left
// to the "NIC" (CHECKSUM_PARTIAL); this cuts them into wire packets as a NIC's TSO engine does.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace netsim::realtime {

// Big-endian (network order) fields of a packet's bytes, for the offload and GRO code.
inline uint16_t get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
inline void put16(std::span<uint8_t> b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline uint32_t get32(std::span<const uint8_t> b, size_t at) {
  return (uint32_t{get16(b, at)} << 16) | get16(b, at + 2);
}
inline void put32(std::span<uint8_t> b, size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<uint16_t>(v));
}

// struct virtio_net_hdr (include/uapi/linux/virtio_net.h), little-endian as TUN sends it on a
// little-endian host (tun_is_little_endian()).
struct VnetHeader {
  static constexpr size_t kSize = 10;
  static constexpr uint8_t kNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr uint8_t kDataValid = 2;  // VIRTIO_NET_HDR_F_DATA_VALID
  static constexpr uint8_t kGsoNone = 0;    // VIRTIO_NET_HDR_GSO_NONE
  static constexpr uint8_t kGsoTcpv4 = 1;   // VIRTIO_NET_HDR_GSO_TCPV4
  static constexpr uint8_t kGsoEcn = 0x80;  // VIRTIO_NET_HDR_GSO_ECN
  uint8_t flags = 0;
  uint8_t gso_type = kGsoNone;
  uint16_t hdr_len = 0;
  uint16_t gso_size = 0;
  uint16_t csum_start = 0;
  uint16_t csum_offset = 0;

  static VnetHeader parse(std::span<const uint8_t, kSize> b);
  void write(std::span<uint8_t, kSize> b) const;
};

// The wire packets one read from the device stands for, or why it cannot be cut up.
struct Segmented {
  std::vector<std::vector<uint8_t>> packets;
  std::string error;  // empty on success
};

// `packet` is what followed the header. GSO_NONE: the packet itself, with its checksum
// completed when NEEDS_CSUM is set (sum from csum_start to the end, stored at csum_start +
// csum_offset). GSO_TCPV4: segments of gso_size payload bytes each, as tcp_gso_segment() and
// inet_gso_segment() cut them: headers and options copied, seq advanced by the bytes before,
// IPv4 id incremented per segment, CWR on the first only, FIN and PSH on the last only, and
// both checksums computed anew. Anything else (UDP, IPv6, inconsistent lengths) is an error.
Segmented segment_offloaded(const VnetHeader& h, std::span<const uint8_t> packet);

}  // namespace netsim::realtime
