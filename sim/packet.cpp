// Text forms and helpers of the packet model (addresses, flags in tcpdump notation, options).
#include "sim/packet.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace netsim {

std::optional<Ipv4Addr> Ipv4Addr::parse(std::string_view text) {
  uint32_t value = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    if (p == end || *p < '0' || *p > '9') return std::nullopt;
    if (*p == '0' && p + 1 != end && p[1] >= '0' && p[1] <= '9') return std::nullopt;  // "01"
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || octet > 255 || next - p > 3) return std::nullopt;
    value = (value << 8) | octet;
    p = next;
    if (i < 3) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  if (p != end) return std::nullopt;
  return Ipv4Addr{value};
}

std::string Ipv4Addr::to_string() const {
  return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                     value & 0xff);
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    auto a = Ipv4Addr::parse(text);
    if (!a) return std::nullopt;
    return Ipv4Prefix{*a, 32};
  }
  auto a = Ipv4Addr::parse(text.substr(0, slash));
  std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [next, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (!a || ec != std::errc() || next != len_text.data() + len_text.size() || len < 0 || len > 32) {
    return std::nullopt;
  }
  uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  if ((a->value & ~mask) != 0) return std::nullopt;  // host bits set: "10.0.0.1/24"
  return Ipv4Prefix{*a, len};
}

bool Ipv4Prefix::contains(Ipv4Addr a) const {
  uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
  return (a.value & mask) == base.value;
}

std::string Ipv4Prefix::to_string() const {
  return fmt::format("{}/{}", base.to_string(), length);
}

std::string SocketAddr::to_string() const {
  return fmt::format("{}:{}", addr.to_string(), port);
}
std::string SocketAddr::to_tcpdump_string() const {
  return fmt::format("{}.{}", addr.to_string(), port);
}

// tcpdump prints the flags in this order (print-tcp.c tcp_flag_values): F S R P . U E W.
namespace {
constexpr std::pair<uint8_t, char> kFlagChars[] = {
    {TcpFlags::FIN, 'F'}, {TcpFlags::SYN, 'S'}, {TcpFlags::RST, 'R'}, {TcpFlags::PSH, 'P'},
    {TcpFlags::ACK, '.'}, {TcpFlags::URG, 'U'}, {TcpFlags::ECE, 'E'}, {TcpFlags::CWR, 'W'}};
}

std::string TcpFlags::to_string() const {
  if (bits_ == 0) return "none";
  std::string s;
  for (auto [bit, c] : kFlagChars) {
    if (bits_ & bit) s.push_back(c);
  }
  return s;
}

std::optional<TcpFlags> TcpFlags::parse(std::string_view text) {
  if (text == "none") return TcpFlags{};
  uint8_t bits = 0;
  for (char c : text) {
    bool found = false;
    for (auto [bit, fc] : kFlagChars) {
      if (fc == c) {
        bits |= bit;
        found = true;
      }
    }
    if (!found) return std::nullopt;
  }
  if (text.empty()) return std::nullopt;
  return TcpFlags{bits};
}

std::string TcpOptions::to_string() const {
  std::string s;
  auto add = [&s](std::string_view part) {
    if (!s.empty()) s += ',';
    s += part;
  };
  // The NOPs of sim/wire.cpp's layout (tcp_options_write()), as tcpdump prints them:
  // "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7", "nop,nop,TS val 2 ecr 1".
  if (mss) add(fmt::format("mss {}", *mss));
  if (timestamps) {
    add(sack_permitted ? "sackOK" : "nop,nop");
    add(fmt::format("TS val {} ecr {}", timestamps->first, timestamps->second));
  } else if (sack_permitted) {
    add("nop,nop,sackOK");
  }
  if (window_scale) add(fmt::format("nop,wscale {}", *window_scale));
  if (!sack.empty()) {
    add("nop,nop");
    std::string blocks;
    for (const auto& b : sack)
      blocks += fmt::format("{{{}:{}}}", b.left.raw(), b.right.raw());
    add(fmt::format("sack {} {}", sack.size(), blocks));
  }
  return s;
}

Payload::Payload(std::vector<uint8_t> bytes)
    : buf_(bytes.empty() ? nullptr : std::make_shared<const Storage>(Storage{std::move(bytes), 0})),
      off_(0),
      len_(buf_ ? buf_->bytes.size() : 0) {}

Payload Payload::periodic(std::vector<uint8_t> pattern, size_t period, size_t size) {
  if (size == 0) return {};
  if (period == 0 || pattern.size() < period + kPeriodicWindow || size <= pattern.size()) {
    pattern.resize(std::min(pattern.size(), size));  // short enough to be plain bytes
    Payload p(std::move(pattern));
    return p;
  }
  Payload p;
  p.buf_ = std::make_shared<const Storage>(Storage{std::move(pattern), period});
  p.off_ = 0;
  p.len_ = size;
  return p;
}

void Payload::materialize() const {
  const Storage& s = *buf_;
  std::vector<uint8_t> out(len_);
  size_t done = 0;
  size_t at = off_ % s.period;
  while (done < len_) {
    // The storage holds [at, bytes.size()) contiguously; then wrap to the same phase.
    size_t take = std::min(len_ - done, s.bytes.size() - at);
    std::memcpy(out.data() + done, s.bytes.data() + at, take);
    done += take;
    at = (at + take) % s.period;
  }
  buf_ = std::make_shared<const Storage>(Storage{std::move(out), 0});
  off_ = 0;
}

Payload Payload::from_string(std::string_view s) {
  return Payload(std::vector<uint8_t>(s.begin(), s.end()));
}

Payload Payload::concat(const std::vector<Payload>& parts) {
  if (parts.size() == 1) return parts[0];
  std::vector<uint8_t> bytes;
  for (const Payload& part : parts)
    bytes.insert(bytes.end(), part.bytes().begin(), part.bytes().end());
  return Payload(std::move(bytes));
}

Payload Payload::slice(size_t offset, size_t length) const {
  if (offset > len_) offset = len_;
  if (length > len_ - offset) length = len_ - offset;
  Payload p;
  if (length == 0) return p;
  p.buf_ = buf_;
  p.off_ = off_ + offset;
  // A periodic slice starts in the first period, so up to kPeriodicWindow bytes are contiguous.
  if (buf_->period != 0) p.off_ %= buf_->period;
  p.len_ = length;
  return p;
}

bool Payload::operator==(const Payload& o) const {
  return len_ == o.len_ && (len_ == 0 || std::memcmp(data(), o.data(), len_) == 0);
}

size_t tcp_header_size(const TcpOptions& o) {
  // Linux's layout (tcp_options_write()): every option with its NOP padding fills whole 32-bit
  // words, sackOK shares the timestamp word, and SACK blocks get only the room left of the 40
  // option bytes. sim/wire.cpp encodes exactly this; its tests check that the two agree.
  size_t n = (o.mss ? 4 : 0) + (o.timestamps ? 12 : 0) +
             (o.sack_permitted && !o.timestamps ? 4 : 0) + (o.window_scale ? 4 : 0);
  if (!o.sack.empty()) n += 4 + 8 * std::min(o.sack.size(), (40 - n - 4) / 8);
  return 20 + n;
}

size_t Packet::wire_size() const {
  return 20 + tcp_header_size(tcp.options) + tcp.payload.size();
}

std::string format_tcpdump(const Packet& p) {
  const Segment& s = p.tcp;
  std::string out = fmt::format("{} > {}: Flags [{}]", p.src_addr().to_tcpdump_string(),
                                p.dst_addr().to_tcpdump_string(), s.flags.to_string());
  // print-tcp.c prints seq for data and for SYN/FIN/RST, "seq a:b" when there is payload.
  if (!s.payload.empty()) {
    out += fmt::format(", seq {}:{}", s.seq.raw(), (s.seq + s.payload.size()).raw());
  } else if (s.flags.syn() || s.flags.fin() || s.flags.rst()) {
    out += fmt::format(", seq {}", s.seq.raw());
  }
  if (s.flags.ack()) out += fmt::format(", ack {}", s.ack.raw());
  out += fmt::format(", win {}", s.window);
  if (s.flags.urg()) out += fmt::format(", urg {}", s.urgent);
  if (!s.options.empty()) out += fmt::format(", options [{}]", s.options.to_string());
  out += fmt::format(", length {}", s.payload.size());
  return out;
}

}  // namespace netsim
