// The merge rules are tcp_gro_receive()'s and inet_gro_receive()'s (Linux 6.12): same flow,
// TTL, TOS, ACK, window, header length and options (timestamps included), the next sequence
// number, no larger than the first segment; a shorter segment or one with PSH, FIN, URG, RST
// or SYN ends the packet, a CWR cannot join one, and nothing grows past 64 KB.
#include "realtime/gro.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "sim/wire.hpp"

namespace netsim::realtime {
namespace {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kUrg = 0x20, kCwr = 0x80;
constexpr size_t kMaxGro = 65535;  // an IPv4 total length (gro_max_size without BIG TCP)

struct Layout {
  size_t headers = 0, payload = 0;
};
// A plain IPv4/TCP packet without IP options that carries data; else nullopt-like zeros.
Layout layout(std::span<const uint8_t> b) {
  if (b.size() < 40 || b[0] != 0x45 || b[9] != 6) return {};
  size_t headers = 20 + size_t{b[32]} / 16 * 4;
  if (headers < 40 || headers > b.size() || get16(b, 2) != b.size()) return {};
  return {headers, b.size() - headers};
}

// Ends a merge at once: the segment can be the last of one but never continue it.
bool ends_merge(std::span<const uint8_t> b, size_t mss) {
  Layout l = layout(b);
  return l.payload < mss || (b[33] & (kPsh | kFin | kUrg | kRst | kSyn));
}

DeviceWrite finish(std::vector<uint8_t> bytes, size_t headers, size_t mss, size_t segs) {
  DeviceWrite w;
  if (segs > 1) {
    // A GRO packet as virtio-net hands it over: GSO TCPv4 with a partial checksum (the
    // pseudo-header sum; tcp_gro_complete()), the IPv4 header checksum recomputed.
    put16(bytes, 2, static_cast<uint16_t>(bytes.size()));
    put16(bytes, 10, 0);
    put16(bytes, 10, internet_checksum(std::span<const uint8_t>(bytes).first(20)));
    std::array<uint8_t, 12> pseudo{};
    std::copy_n(bytes.begin() + 12, 8, pseudo.begin());
    pseudo[9] = 6;
    put16(pseudo, 10, static_cast<uint16_t>(bytes.size() - 20));
    put16(bytes, 36, static_cast<uint16_t>(~checksum_fold(checksum_add(0, pseudo))));
    w.header.flags = VnetHeader::kNeedsCsum;
    w.header.gso_type = VnetHeader::kGsoTcpv4;
    w.header.hdr_len = static_cast<uint16_t>(headers);
    w.header.gso_size = static_cast<uint16_t>(mss);
    w.header.csum_start = 20;
    w.header.csum_offset = 16;
  }
  w.bytes = std::move(bytes);
  w.segments = segs;
  return w;
}

}  // namespace

bool GroBatch::can_append(std::span<const uint8_t> b) const {
  Layout l = layout(b);
  std::span<const uint8_t> h(held_);
  if (l.payload == 0 || l.headers != headers_ || l.payload > mss_) return false;
  if (held_.size() + l.payload > kMaxGro || (b[33] & kCwr)) return false;
  // TOS, TTL, addresses; then ports, ACK, header length and options byte for byte.
  if (b[1] != h[1] || b[8] != h[8] || std::memcmp(&b[12], &h[12], 8) != 0) return false;
  if (std::memcmp(&b[20], &h[20], 4) != 0 || std::memcmp(&b[28], &h[28], 4) != 0) return false;
  if (b[32] != h[32] || get16(b, 34) != get16(h, 34)) return false;  // data offset, window
  if ((b[33] & ~(kPsh | kFin | kCwr)) != (h[33] & ~(kPsh | kFin | kCwr))) return false;
  if (std::memcmp(&b[40], &h[40], headers_ - 40) != 0) return false;
  uint32_t next = get32(h, 24) + static_cast<uint32_t>(held_.size() - headers_);
  return get32(b, 24) == next;
}

void GroBatch::add(std::vector<uint8_t> bytes, bool checksum_ok, std::vector<DeviceWrite>& out) {
  if (!held_.empty() && checksum_ok && can_append(bytes)) {
    held_.insert(held_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(headers_), bytes.end());
    held_[33] |= bytes[33] & (kPsh | kFin);
    ++segs_;
    ++merged_;
    if (ends_merge(bytes, mss_)) flush(out);
    return;
  }
  flush(out);
  Layout l = layout(bytes);
  // A CWR segment flushes in tcp_gro_receive(): it goes up alone.
  if (!checksum_ok || l.payload == 0 || ends_merge(bytes, l.payload) || (bytes[33] & kCwr)) {
    out.push_back(finish(std::move(bytes), l.headers, 0, 1));
    return;
  }
  headers_ = l.headers;
  mss_ = l.payload;
  segs_ = 1;
  held_ = std::move(bytes);
}

void GroBatch::flush(std::vector<DeviceWrite>& out) {
  if (held_.empty()) return;
  out.push_back(finish(std::move(held_), headers_, mss_, segs_));
  held_.clear();
}

}  // namespace netsim::realtime
