// libpcap reads both pcap and pcapng (pcap_open_offline_with_tstamp_precision); each frame's
// link header is taken off by hand and the IPv4/TCP bytes decoded by sim/wire.hpp.
#include "sim/pcap_reader.hpp"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <memory>
#include <optional>
#include <span>

#include "sim/wire.hpp"

namespace netsim {

namespace {

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

// The IPv4 packet inside one frame, or nothing (another protocol, a short frame).
std::optional<std::span<const uint8_t>> ipv4_of(int linktype, std::span<const uint8_t> f) {
  size_t at = 0;
  switch (linktype) {
    case DLT_RAW:
    case 228:  // LINKTYPE_IPV4
      break;
    case DLT_EN10MB: {
      if (f.size() < 14) return std::nullopt;
      uint16_t type = be16(&f[12]);
      at = 14;
      while (type == 0x8100 || type == 0x88a8) {  // 802.1Q / 802.1ad tags
        if (f.size() < at + 4) return std::nullopt;
        type = be16(&f[at + 2]);
        at += 4;
      }
      if (type != 0x0800) return std::nullopt;
      break;
    }
    case DLT_LINUX_SLL:
      if (f.size() < 16 || be16(&f[14]) != 0x0800) return std::nullopt;
      at = 16;
      break;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
      if (f.size() < 20 || be16(&f[0]) != 0x0800) return std::nullopt;
      at = 20;
      break;
#endif
    case DLT_NULL:
    case DLT_LOOP:
      // The address family in host or network order: AF_INET is 2 everywhere.
      if (f.size() < 4 || (f[0] != 2 && f[3] != 2)) return std::nullopt;
      at = 4;
      break;
    default:
      return std::nullopt;
  }
  if (f.size() <= at || (f[at] >> 4) != 4) return std::nullopt;
  return f.subspan(at);
}

bool known_linktype(int t) {
#ifdef DLT_LINUX_SLL2
  if (t == DLT_LINUX_SLL2) return true;
#endif
  return t == DLT_RAW || t == 228 || t == DLT_EN10MB || t == DLT_LINUX_SLL || t == DLT_NULL ||
         t == DLT_LOOP;
}

}  // namespace

Capture read_capture(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> p(
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err),
      pcap_close);
  if (!p) throw CaptureError(fmt::format("cannot read the capture \"{}\": {}", path, err));
  int linktype = pcap_datalink(p.get());
  if (!known_linktype(linktype)) {
    const char* name = pcap_datalink_val_to_name(linktype);
    throw CaptureError(fmt::format(
        "\"{}\": link type {} is not one netsim reads (raw IPv4, Ethernet, Linux cooked or "
        "loopback)",
        path, name ? name : std::to_string(linktype)));
  }
  bool nano = pcap_get_tstamp_precision(p.get()) == PCAP_TSTAMP_PRECISION_NANO;
  Capture c;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(p.get(), &h, &data)) == 1) {
    std::span<const uint8_t> frame(data, h->caplen);
    auto ip = ipv4_of(linktype, frame);
    // A capture cut at a snap length (tcpdump -s, --snaplen) still has whole headers.
    DecodeResult d = !ip                  ? DecodeResult{}
                     : h->caplen < h->len ? decode_ipv4_truncated(*ip)
                                          : decode_ipv4(*ip);
    if (!d.ok()) {
      ++c.skipped;
      continue;
    }
    int64_t frac = static_cast<int64_t>(h->ts.tv_usec) * (nano ? 1 : 1000);
    c.packets.push_back({static_cast<int64_t>(h->ts.tv_sec) * 1'000'000'000 + frac, *d.packet});
  }
  if (rc == -1) {
    throw CaptureError(fmt::format("\"{}\": {}", path, pcap_geterr(p.get())));
  }
  return c;
}

}  // namespace netsim
