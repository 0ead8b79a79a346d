// IPv4/TCP encoding and decoding with real checksums. The decoder is written for hostile
// input (it is fuzzed): every read is preceded by a length check and every failure is a
// message, never an exception or an out-of-bounds access.
#include "sim/wire.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace netsim {
namespace {

constexpr uint8_t kProtoTcp = 6;
constexpr size_t kIpHeader = 20;
constexpr size_t kTcpHeader = 20;
constexpr size_t kMaxOptionBytes = 40;

// TCP option kinds (IANA registry; RFC 9293 §3.2, RFC 7323, RFC 2018).
constexpr uint8_t kOptEol = 0, kOptNop = 1, kOptMss = 2, kOptWscale = 3, kOptSackPerm = 4,
                  kOptSack = 5, kOptTimestamp = 8;

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}
uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
uint32_t get32(const uint8_t* p) {
  return (uint32_t{get16(p)} << 16) | get16(p + 2);
}

// Option bytes other than SACK blocks, in Linux's layout where each option (with its NOP
// padding) fills whole 32-bit words.
size_t fixed_option_bytes(const TcpOptions& o) {
  return (o.mss ? 4 : 0) + (o.timestamps ? 12 : 0) + (o.sack_permitted && !o.timestamps ? 4 : 0) +
         (o.window_scale ? 4 : 0);
}

// Writes the options in the order of Linux's tcp_options_write() (net/ipv4/tcp_output.c):
// MSS; sackOK+TS sharing a word (or NOP,NOP,TS); NOP,NOP,sackOK when there is no TS;
// NOP,wscale; NOP,NOP,SACK blocks. On a SYN this gives tcpdump's familiar
// "mss 1460,sackOK,TS val .. ecr ..,nop,wscale 7". Returns the bytes written.
size_t write_options(uint8_t* p, const TcpOptions& o) {
  uint8_t* start = p;
  if (o.mss) {
    p[0] = kOptMss, p[1] = 4;
    put16(p + 2, *o.mss);
    p += 4;
  }
  if (o.timestamps) {
    if (o.sack_permitted) {
      p[0] = kOptSackPerm, p[1] = 2;
    } else {
      p[0] = kOptNop, p[1] = kOptNop;
    }
    p[2] = kOptTimestamp, p[3] = 10;
    put32(p + 4, o.timestamps->first);
    put32(p + 8, o.timestamps->second);
    p += 12;
  } else if (o.sack_permitted) {
    p[0] = kOptNop, p[1] = kOptNop, p[2] = kOptSackPerm, p[3] = 2;
    p += 4;
  }
  if (o.window_scale) {
    p[0] = kOptNop, p[1] = kOptWscale, p[2] = 3, p[3] = *o.window_scale;
    p += 4;
  }
  size_t blocks = encodable_sack_blocks(o);
  if (blocks > 0) {
    p[0] = kOptNop, p[1] = kOptNop, p[2] = kOptSack, p[3] = static_cast<uint8_t>(2 + 8 * blocks);
    p += 4;
    for (size_t i = 0; i < blocks; ++i) {
      put32(p, o.sack[i].left.raw());
      put32(p + 4, o.sack[i].right.raw());
      p += 8;
    }
  }
  return static_cast<size_t>(p - start);
}

// RFC 9293 §3.1: the TCP checksum covers a pseudo-header of source, destination, protocol
// and TCP length, then the TCP header and data.
uint32_t pseudo_header_sum(uint32_t src, uint32_t dst, size_t tcp_len) {
  uint8_t ph[12];
  put32(ph, src);
  put32(ph + 4, dst);
  ph[8] = 0;
  ph[9] = kProtoTcp;
  put16(ph + 10, static_cast<uint16_t>(tcp_len));
  return checksum_add(0, ph);
}

DecodeResult fail(std::string why) {
  return DecodeResult{std::nullopt, std::move(why)};
}

// Parses the option bytes of a TCP header into o; returns an error message or "".
std::string parse_options(std::span<const uint8_t> opt, TcpOptions& o) {
  size_t i = 0;
  while (i < opt.size()) {
    uint8_t kind = opt[i];
    if (kind == kOptEol) break;  // the rest is padding
    if (kind == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= opt.size()) return "option length runs past the header";
    size_t len = opt[i + 1];
    if (len < 2) return fmt::format("option kind {} has length {}, below 2", kind, len);
    if (i + len > opt.size()) return "option length runs past the header";
    const uint8_t* v = opt.data() + i + 2;
    switch (kind) {
      case kOptMss:
        if (len != 4) return fmt::format("MSS option has length {}, expected 4", len);
        o.mss = get16(v);
        break;
      case kOptWscale:
        if (len != 3) return fmt::format("window scale option has length {}, expected 3", len);
        o.window_scale = v[0];
        break;
      case kOptSackPerm:
        if (len != 2) return fmt::format("SACK-permitted option has length {}, expected 2", len);
        o.sack_permitted = true;
        break;
      case kOptTimestamp:
        if (len != 10) return fmt::format("timestamp option has length {}, expected 10", len);
        o.timestamps = std::pair{get32(v), get32(v + 4)};
        break;
      case kOptSack:
        if (len < 10 || (len - 2) % 8 != 0) return fmt::format("SACK option has length {}", len);
        o.sack.clear();
        for (size_t b = 0; b < (len - 2) / 8; ++b) {
          o.sack.push_back({SeqNum(get32(v + 8 * b)), SeqNum(get32(v + 8 * b + 4))});
        }
        break;
      default:  // unknown options (TFO, MD5, ...) are skipped, as a receiver does
        break;
    }
    i += len;
  }
  return {};
}

}  // namespace

uint32_t checksum_add(uint32_t sum, std::span<const uint8_t> bytes) {
  uint64_t s = sum;
  size_t n = bytes.size();
  for (size_t i = 0; i + 1 < n; i += 2)
    s += (uint32_t{bytes[i]} << 8) | bytes[i + 1];
  if (n % 2 == 1) s += uint32_t{bytes[n - 1]} << 8;
  while (s >> 32)
    s = (s & 0xffffffffu) + (s >> 32);  // end-around carry keeps the sum exact
  return static_cast<uint32_t>(s);
}

uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

size_t encodable_sack_blocks(const TcpOptions& o) {
  if (o.sack.empty()) return 0;
  size_t room = (kMaxOptionBytes - fixed_option_bytes(o) - 4) / 8;
  return std::min(o.sack.size(), room);
}

std::vector<uint8_t> encode_ipv4(const Packet& p) {
  const Segment& s = p.tcp;
  size_t tcp_hdr = tcp_header_size(s.options);
  size_t tcp_len = tcp_hdr + s.payload.size();
  size_t total = kIpHeader + tcp_len;
  if (total > 65535) {
    throw std::length_error(fmt::format("a packet of {} bytes does not fit in IPv4", total));
  }
  std::vector<uint8_t> b(total);
  uint8_t* ip = b.data();
  ip[0] = 0x45;  // version 4, IHL 5
  put16(ip + 2, static_cast<uint16_t>(total));
  put16(ip + 4, p.ip_id);
  put16(ip + 6, 0x4000);  // DF: Linux sets it on TCP for path MTU discovery
  ip[8] = p.ttl;
  ip[9] = kProtoTcp;
  put32(ip + 12, p.src.value);
  put32(ip + 16, p.dst.value);
  put16(ip + 10, internet_checksum({ip, kIpHeader}));

  uint8_t* t = ip + kIpHeader;
  put16(t, s.src_port);
  put16(t + 2, s.dst_port);
  put32(t + 4, s.seq.raw());
  put32(t + 8, s.ack.raw());
  t[12] = static_cast<uint8_t>((tcp_hdr / 4) << 4);
  t[13] = s.flags.bits();
  put16(t + 14, s.window);
  put16(t + 18, s.urgent);
  size_t written = write_options(t + kTcpHeader, s.options);
  if (kTcpHeader + written != tcp_hdr) {
    throw std::logic_error("TCP option layout disagrees with tcp_header_size()");
  }
  if (!s.payload.empty()) std::memcpy(t + tcp_hdr, s.payload.data(), s.payload.size());

  uint32_t sum = pseudo_header_sum(p.src.value, p.dst.value, tcp_len);
  uint16_t c = checksum_fold(checksum_add(sum, {t, tcp_len}));
  // A damaged packet carries a checksum that fails verification. Plain complement would turn
  // a correct 0x0000 into 0xffff, which one's-complement arithmetic treats as equal.
  if (p.corrupted) c = c == 0 ? 1 : static_cast<uint16_t>(~c);
  put16(t + 16, c);
  return b;
}

namespace {

DecodeResult decode(std::span<const uint8_t> bytes, bool truncated) {
  if (bytes.size() < kIpHeader) return fail("truncated IPv4 header");
  const uint8_t* ip = bytes.data();
  if ((ip[0] >> 4) != 4) return fail(fmt::format("not IPv4 (version {})", ip[0] >> 4));
  size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  if (ihl < kIpHeader) return fail(fmt::format("IPv4 header length {} is below 20", ihl));
  if (ihl > bytes.size()) return fail("truncated IPv4 header");
  if (checksum_fold(checksum_add(0, {ip, ihl})) != 0) return fail("bad IPv4 header checksum");
  size_t total = get16(ip + 2);
  if (total < ihl) {
    return fail(fmt::format("IPv4 total length {} is shorter than its header ({})", total, ihl));
  }
  if (total > bytes.size() && !truncated) {
    return fail(fmt::format("truncated IPv4 packet (total length {}, {} bytes present)", total,
                            bytes.size()));
  }
  if ((get16(ip + 6) & 0x3fff) != 0) return fail("IPv4 fragments are not supported");
  if (ip[9] != kProtoTcp) return fail(fmt::format("not TCP (protocol {})", ip[9]));

  Packet p;
  p.ttl = ip[8];
  p.ip_id = get16(ip + 4);
  p.src = Ipv4Addr{get32(ip + 12)};
  p.dst = Ipv4Addr{get32(ip + 16)};

  const uint8_t* t = ip + ihl;
  size_t tcp_len = total - ihl;
  size_t present = std::min(tcp_len, bytes.size() - ihl);  // TCP bytes in the capture
  if (tcp_len < kTcpHeader || present < kTcpHeader) return fail("truncated TCP header");
  size_t doff = t[12] >> 4;
  if (doff < 5) return fail(fmt::format("TCP data offset {} is below 5", doff));
  size_t tcp_hdr = doff * 4;
  if (tcp_hdr > tcp_len) {
    return fail(
        fmt::format("TCP data offset {} runs past the packet ({} TCP bytes)", doff, tcp_len));
  }
  if (tcp_hdr > present) return fail("truncated TCP header");
  if (!truncated) {
    uint32_t sum = pseudo_header_sum(p.src.value, p.dst.value, tcp_len);
    if (checksum_fold(checksum_add(sum, {t, tcp_len})) != 0) return fail("bad TCP checksum");
  }

  Segment& s = p.tcp;
  s.src_port = get16(t);
  s.dst_port = get16(t + 2);
  s.seq = SeqNum(get32(t + 4));
  s.ack = SeqNum(get32(t + 8));
  s.flags = TcpFlags(t[13]);
  s.window = get16(t + 14);
  s.urgent = get16(t + 18);
  std::string err = parse_options({t + kTcpHeader, tcp_hdr - kTcpHeader}, s.options);
  if (!err.empty()) return fail(std::move(err));
  if (tcp_len > tcp_hdr) {
    std::vector<uint8_t> data(t + tcp_hdr, t + present);
    data.resize(tcp_len - tcp_hdr, 0);  // what the capture cut off
    s.payload = Payload(std::move(data));
  }
  return DecodeResult{std::move(p), {}};
}

}  // namespace

DecodeResult decode_ipv4(std::span<const uint8_t> bytes) {
  return decode(bytes, false);
}

DecodeResult decode_ipv4_truncated(std::span<const uint8_t> bytes) {
  return decode(bytes, true);
}

}  // namespace netsim
