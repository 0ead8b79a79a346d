// The packet model: an IPv4 + TCP packet as plain values (addresses, ports, seq/ack, flags,
// window, options, payload). The wire encoding (header layout, checksums) lives apart in
// sim/wire.hpp and is used only by the pcap writer and the TUN bridge (DESIGN.md property 6).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/seq.hpp"

namespace netsim {

struct Ipv4Addr {
  uint32_t value = 0;  // host byte order: 10.0.0.1 is 0x0A000001

  static std::optional<Ipv4Addr> parse(std::string_view text);
  std::string to_string() const;
  constexpr auto operator<=>(const Ipv4Addr&) const = default;
};

// An address block such as 198.51.100.0/24.
struct Ipv4Prefix {
  Ipv4Addr base;
  int length = 32;

  static std::optional<Ipv4Prefix> parse(std::string_view text);
  bool contains(Ipv4Addr a) const;
  uint64_t size() const { return uint64_t{1} << (32 - length); }
  std::string to_string() const;
  constexpr auto operator<=>(const Ipv4Prefix&) const = default;
};

struct SocketAddr {
  Ipv4Addr addr;
  uint16_t port = 0;

  std::string to_string() const;          // "10.0.0.1:7500" (scenario and JSONL form)
  std::string to_tcpdump_string() const;  // "10.0.0.1.7500"
  constexpr auto operator<=>(const SocketAddr&) const = default;
};

class TcpFlags {
 public:
  static constexpr uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20,
                           ECE = 0x40, CWR = 0x80;
  constexpr TcpFlags() = default;
  constexpr explicit TcpFlags(uint8_t bits) : bits_(bits) {}
  constexpr uint8_t bits() const { return bits_; }
  constexpr bool has(uint8_t f) const { return (bits_ & f) == f; }
  constexpr bool fin() const { return bits_ & FIN; }
  constexpr bool syn() const { return bits_ & SYN; }
  constexpr bool rst() const { return bits_ & RST; }
  constexpr bool psh() const { return bits_ & PSH; }
  constexpr bool ack() const { return bits_ & ACK; }
  constexpr bool urg() const { return bits_ & URG; }
  constexpr TcpFlags operator|(TcpFlags o) const { return TcpFlags(bits_ | o.bits_); }
  constexpr bool operator==(const TcpFlags&) const = default;

  // tcpdump's notation: "S", "S.", ".", "P.", "F.", "R", "R.", "FP.", "none" for no flags.
  std::string to_string() const;
  // Parses tcpdump's notation back; nullopt for a character that is no flag.
  static std::optional<TcpFlags> parse(std::string_view text);

 private:
  uint8_t bits_ = 0;
};

struct SackBlock {
  SeqNum left, right;
  bool operator==(const SackBlock&) const = default;
};

struct TcpOptions {
  std::optional<uint16_t> mss;
  std::optional<uint8_t> window_scale;
  bool sack_permitted = false;
  std::optional<std::pair<uint32_t, uint32_t>> timestamps;  // TSval, TSecr
  std::vector<SackBlock> sack;

  bool empty() const {
    return !mss && !window_scale && !sack_permitted && !timestamps && sack.empty();
  }
  // tcpdump's rendering: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7"
  std::string to_string() const;
  bool operator==(const TcpOptions&) const = default;
};

// Immutable payload bytes shared between copies of a packet (duplicates, retransmission
// records, trace records) so that copying a packet never copies its data.
class Payload {
 public:
  Payload() = default;
  explicit Payload(std::vector<uint8_t> bytes);
  static Payload from_string(std::string_view s);
  // `size` bytes that repeat every `period` bytes, stored once: byte i is pattern[i % period].
  // `pattern` holds at least period + kPeriodicWindow bytes (the period and then its start
  // again), so that any slice up to kPeriodicWindow bytes long is contiguous in it. A 100 MB
  // `send:` then costs 66 KB instead of 100 MB; slices (segments) never copy; only data() of a
  // longer span builds that span once.
  static constexpr size_t kPeriodicWindow = 64 * 1024;
  static Payload periodic(std::vector<uint8_t> pattern, size_t period, size_t size);
  // The bytes of `parts` one after the other (one part: shared, not copied).
  static Payload concat(const std::vector<Payload>& parts);

  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  const uint8_t* data() const {
    if (!buf_) return nullptr;
    if (off_ + len_ > buf_->bytes.size()) materialize();
    return buf_->bytes.data() + off_;
  }
  std::span<const uint8_t> bytes() const { return {data(), len_}; }
  std::string_view as_string_view() const { return {reinterpret_cast<const char*>(data()), len_}; }
  // A view of [offset, offset + length) sharing the same storage.
  Payload slice(size_t offset, size_t length) const;

  bool operator==(const Payload& o) const;

 private:
  struct Storage {
    std::vector<uint8_t> bytes;
    size_t period = 0;  // 0: plain bytes; else byte i of the payload is bytes[i % period]
  };
  // A periodic span longer than its storage: copied out into plain storage of its own. Only
  // the representation changes (the bytes are the same), hence const.
  void materialize() const;

  mutable std::shared_ptr<const Storage> buf_;
  mutable size_t off_ = 0;
  size_t len_ = 0;
};

struct Segment {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  SeqNum seq;
  SeqNum ack;
  TcpFlags flags;
  uint16_t window = 0;  // as on the wire (unscaled)
  uint16_t urgent = 0;
  TcpOptions options;
  Payload payload;

  // Length in sequence space: payload plus one for SYN and one for FIN (RFC 9293 SEG.LEN).
  uint32_t seq_len() const {
    return static_cast<uint32_t>(payload.size()) + (flags.syn() ? 1 : 0) + (flags.fin() ? 1 : 0);
  }
  bool operator==(const Segment&) const = default;
};

struct Packet {
  Ipv4Addr src;
  Ipv4Addr dst;
  uint8_t ttl = 64;
  uint16_t ip_id = 0;
  Segment tcp;
  bool corrupted = false;  // damaged on a link: the receiver's checksum check fails
  // Metadata: the sending host's id of the socket that tagged it (tx_truesize below), so that
  // its TX completion is reported without a 4-tuple lookup; in the padding before `uid`.
  uint32_t tx_socket = 0;
  uint64_t uid = 0;             // set by the network when first sent; copies (duplicates) keep it
  uint16_t retransmission = 0;  // metadata, not on the wire: n-th retransmission of this data
  bool syn_cookie = false;      // metadata: a SYN-ACK whose ISN is a SYN cookie (no state kept)
  // Metadata (TX completion, docs/windows.md#tx-completion-autocorking-and-tcp-small-queues):
  // the truesize its connection's sk_wmem_alloc holds until the first hop has sent it (0: no
  // skb of a connection, e.g. a pure ACK), and whether the connection counted it already.
  uint32_t tx_truesize : 31 = 0;
  uint32_t tx_counted : 1 = 0;

  SocketAddr src_addr() const { return {src, tcp.src_port}; }
  SocketAddr dst_addr() const { return {dst, tcp.dst_port}; }
  // Bytes on the wire: IPv4 header (20) + TCP header with options + payload.
  size_t wire_size() const;
};

// TCP header length in bytes including options, padded to a multiple of 4 (as encoded).
size_t tcp_header_size(const TcpOptions& o);

// "10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 1000, win 64240, options [mss 1460], length 0"
std::string format_tcpdump(const Packet& p);

}  // namespace netsim
