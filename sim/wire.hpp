// The wire format: a Packet as real IPv4 + TCP bytes (RFC 791, RFC 9293) with real checksums,
// and back. Only the pcap writer and the TUN bridge use it (DESIGN.md property 6). Options are
// laid out as Linux's tcp_options_write() does, so captures look like a Linux host's.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/packet.hpp"

namespace netsim {

// RFC 1071 Internet checksum. checksum_add() accumulates 16-bit big-endian words (an odd
// trailing byte is padded with zero) into a 32-bit sum that can be continued; checksum_fold()
// folds the carries and returns the one's complement, i.e. the value to put in the header.
uint32_t checksum_add(uint32_t sum, std::span<const uint8_t> bytes);
uint16_t checksum_fold(uint32_t sum);
inline uint16_t internet_checksum(std::span<const uint8_t> bytes) {
  return checksum_fold(checksum_add(0, bytes));
}

// How many SACK blocks fit in the 40 option bytes next to the other options (Linux sends at
// most 4, or 3 with timestamps; extra blocks are left out, as tcp_established_options() does).
size_t encodable_sack_blocks(const TcpOptions& o);

// IPv4 header (20 bytes, DF set, protocol 6) + TCP header with options + payload. A packet
// with `corrupted` set gets a TCP checksum that is deliberately wrong, so a capture shows the
// damage the receiver saw. Throws std::length_error if the packet exceeds 65535 bytes.
std::vector<uint8_t> encode_ipv4(const Packet& p);

// Either the decoded packet or why the bytes are not a valid IPv4/TCP packet. uid,
// retransmission and corrupted are simulator metadata and come back as zero/false.
struct DecodeResult {
  std::optional<Packet> packet;
  std::string error;  // empty when packet is set
  bool ok() const { return packet.has_value(); }
};

// Never reads outside `bytes` and never throws on bad input: arbitrary bytes give an error.
// Bytes after the IPv4 total length (link-layer padding) are ignored.
DecodeResult decode_ipv4(std::span<const uint8_t> bytes);
// A packet captured in part (pcap caplen below len: tcpdump -s, netsim --snaplen). The IPv4 and
// TCP headers must be whole; the payload's length comes from the IPv4 total length, its bytes
// past the capture read as zeros, and the TCP checksum, which covers them, is not checked.
DecodeResult decode_ipv4_truncated(std::span<const uint8_t> bytes);

}  // namespace netsim
