// Packet mapping, comparison and printing in packetdrill's terms (drill/matcher.hpp).
#include "drill/matcher.hpp"

#include <fmt/format.h>

#include "sim/wire.hpp"

namespace netsim::drill {
namespace {

constexpr uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08;
constexpr size_t kIpHeader = 20;

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::string option_text(const TcpOptionSpec& o) {
  using K = TcpOptionSpec::Kind;
  switch (o.kind) {
    case K::nop:
      return "nop";
    case K::eol:
      return "eol";
    case K::mss:
      return fmt::format("mss {}", o.a);
    case K::wscale:
      return fmt::format("wscale {}", o.a);
    case K::sack_ok:
      return "sackOK";
    case K::sack: {
      std::string s = "sack";
      for (auto [l, r] : o.sack)
        s += fmt::format(" {}:{}", l, r);
      return s;
    }
    case K::timestamp:
      return fmt::format("TS val {} ecr {}", o.a, o.b);
    case K::fast_open:
      return o.blob.empty() ? "FO" : "FO " + o.blob;
    case K::md5:
      return "md5 " + o.blob;
  }
  return "?";
}

}  // namespace

std::vector<TcpOptionSpec> wire_options(const Packet& p) {
  std::vector<TcpOptionSpec> out;
  if (p.tcp.options.empty()) return out;
  std::vector<uint8_t> bytes = encode_ipv4(p);
  size_t tcp_len = static_cast<size_t>(bytes[kIpHeader + 12] >> 4) * 4;
  const uint8_t* o = bytes.data() + kIpHeader + 20;
  size_t n = tcp_len - 20;
  using K = TcpOptionSpec::Kind;
  for (size_t i = 0; i < n;) {
    TcpOptionSpec s;
    uint8_t kind = o[i];
    if (kind == 0) break;  // end of list: the rest is padding
    if (kind == 1) {
      s.kind = K::nop;
      out.push_back(s);
      ++i;
      continue;
    }
    if (i + 1 >= n) break;
    size_t len = o[i + 1];
    if (len < 2 || i + len > n) break;
    const uint8_t* d = o + i + 2;
    switch (kind) {
      case 2:
        s.kind = K::mss, s.a = (uint32_t{d[0]} << 8) | d[1];
        break;
      case 3:
        s.kind = K::wscale, s.a = d[0];
        break;
      case 4:
        s.kind = K::sack_ok;
        break;
      case 5:
        s.kind = K::sack;
        for (size_t k = 0; k + 8 <= len - 2; k += 8)
          s.sack.emplace_back(be32(d + k), be32(d + k + 4));
        break;
      case 8:
        s.kind = K::timestamp, s.a = be32(d), s.b = be32(d + 4);
        break;
      default:
        s.kind = K::eol;
        break;  // netsim's encoder writes no other kind
    }
    out.push_back(s);
    i += len;
  }
  return out;
}

ScriptPacket to_script(const Packet& p, Instant t, SeqSpace& space) {
  const Segment& s = p.tcp;
  ScriptPacket sp;
  sp.t = t;
  sp.flags = s.flags.bits();
  sp.length = static_cast<uint32_t>(s.payload.size());
  sp.window = s.window;
  sp.src_port = s.src_port;
  sp.dst_port = s.dst_port;
  bool syn = s.flags.syn();
  if (syn) space.local_isn = s.seq.raw();
  uint32_t seq_offset = syn ? space.local_isn - space.script_local_isn : space.local_isn;
  sp.seq = s.seq.raw() - seq_offset;
  uint32_t ack_offset = syn ? 0 : space.remote_isn;
  sp.ack = s.flags.ack() ? s.ack.raw() - ack_offset : 0;
  sp.options = wire_options(p);
  for (auto& o : sp.options) {
    if (o.kind == TcpOptionSpec::Kind::sack) {
      for (auto& [l, r] : o.sack) {
        l -= ack_offset;
        r -= ack_offset;
      }
    }
  }
  return sp;
}

Segment to_live(const PacketSpec& spec, SeqSpace& space) {
  Segment s;
  bool syn = spec.flag_bits & kSyn;
  if (syn) space.remote_isn = spec.seq_start;
  uint32_t seq_offset = syn ? 0 : space.remote_isn;
  uint32_t ack_offset = syn ? space.local_isn - space.script_local_isn : space.local_isn;
  s.seq = SeqNum(spec.seq_start + seq_offset);
  s.flags = TcpFlags(spec.flag_bits);
  if (spec.ack) s.ack = SeqNum(*spec.ack + ack_offset);
  // packetdrill's inbound default window when `win` is left out is 65535 (-1 as a u16).
  s.window = spec.window.value_or(65535);
  s.urgent = spec.urgent;
  using K = TcpOptionSpec::Kind;
  for (const auto& o : spec.options) {
    switch (o.kind) {
      case K::mss:
        s.options.mss = static_cast<uint16_t>(o.a);
        break;
      case K::wscale:
        s.options.window_scale = static_cast<uint8_t>(o.a);
        break;
      case K::sack_ok:
        s.options.sack_permitted = true;
        break;
      case K::timestamp:
        s.options.timestamps = std::make_pair(o.a, o.b);
        break;
      case K::sack:
        for (auto [l, r] : o.sack)
          s.options.sack.push_back(SackBlock{SeqNum(l + ack_offset), SeqNum(r + ack_offset)});
        break;
      case K::nop:
      case K::eol:
      case K::fast_open:
      case K::md5:
        break;  // layout only / refused by the runner before injection
    }
  }
  if (spec.length > 0) s.payload = Payload(std::vector<uint8_t>(spec.length, 0));
  return s;
}

std::string format_flags(uint8_t bits) {
  // packetdrill prints the flags in this order (packet_to_string.c): F S R P . U E W.
  std::string s;
  static constexpr std::pair<uint8_t, char> kOrder[] = {{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'},
                                                        {0x08, 'P'}, {0x10, '.'}, {0x20, 'U'},
                                                        {0x40, 'E'}, {0x80, 'W'}};
  for (auto [bit, c] : kOrder) {
    if (bits & bit) s += c;
  }
  return s.empty() ? "-" : s;
}

std::string format_options(const std::vector<TcpOptionSpec>& options) {
  std::string s;
  for (const auto& o : options)
    s += (s.empty() ? "" : ",") + option_text(o);
  return "<" + s + ">";
}

std::string format_expected(const PacketSpec& p) {
  std::string s = p.outbound ? ">" : "<";
  if (p.ports) s += fmt::format(" {}>{}", p.ports->first, p.ports->second);
  s += fmt::format(" {} {}:{}({})", p.flags.empty() ? "-" : p.flags, p.seq_start, p.seq_end,
                   p.length);
  if (p.ack) s += fmt::format(" ack {}", *p.ack);
  if (p.window) s += fmt::format(" win {}", *p.window);
  if (p.options_any) {
    s += " <...>";
  } else if (!p.options.empty()) {
    s += " " + format_options(p.options);
  }
  return s;
}

std::string format_actual(const ScriptPacket& p) {
  std::string s =
      fmt::format("> {} {}:{}({})", format_flags(p.flags), p.seq, p.seq + p.length, p.length);
  if (p.flags & kAck) s += fmt::format(" ack {}", p.ack);
  s += fmt::format(" win {}", p.window);
  if (!p.options.empty()) s += " " + format_options(p.options);
  return s;
}

ScriptPacket merge_gso(const std::vector<ScriptPacket>& packets, size_t n) {
  ScriptPacket m = packets[0];
  for (size_t i = 1; i < n; ++i) {
    m.length += packets[i].length;
    m.flags |= packets[i].flags & kPsh;
  }
  return m;
}

std::string compare(const PacketSpec& e, const ScriptPacket& a, SeqSpace& space) {
  if (e.flag_bits != a.flags)
    return fmt::format("flags: expected {}, actual {}", format_flags(e.flag_bits),
                       format_flags(a.flags));
  if (e.seq_start != a.seq) return fmt::format("seq: expected {}, actual {}", e.seq_start, a.seq);
  if (e.length != a.length)
    return fmt::format("length: expected {}, actual {}", e.length, a.length);
  if ((e.flag_bits & kAck) && e.ack.value_or(0) != a.ack)
    return fmt::format("ack: expected {}, actual {}", e.ack.value_or(0), a.ack);
  if (e.window && *e.window != a.window)
    return fmt::format("win: expected {}, actual {}", *e.window, a.window);
  if (e.options_any) return {};
  bool match = e.options.size() == a.options.size();
  for (size_t i = 0; match && i < e.options.size(); ++i) {
    const TcpOptionSpec& x = e.options[i];
    const TcpOptionSpec& y = a.options[i];
    if (x.kind != y.kind) {
      match = false;
    } else if (x.kind == TcpOptionSpec::Kind::timestamp) {
      if (!space.first_ts) space.first_ts = std::make_pair(x.a, y.a);
      uint32_t mapped = space.first_ts->first + (y.a - space.first_ts->second);
      match = mapped == x.a && x.b == y.b;
    } else {
      match = x.a == y.a && x.sack == y.sack;
    }
  }
  if (!match)
    return fmt::format("options: expected {}, actual {}", format_options(e.options),
                       format_options(a.options));
  return {};
}

}  // namespace netsim::drill
