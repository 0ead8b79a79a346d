// Expected against actual packets as packetdrill compares them (run_packet.c): flags, sequence
// range, ack, window, then the TCP options in wire order; and both sides printed in
// packetdrill's own syntax for failure messages. Sequence numbers are mapped between the
// script's space and the simulated host's as packetdrill does (docs/drill.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drill/script.hpp"
#include "sim/packet.hpp"
#include "sim/time.hpp"

namespace netsim::drill {

// One connection's ISNs. packetdrill's convention (socket.h): the remote side's SYN carries
// its absolute ISN and every later remote sequence number is relative to it; the local side's
// numbers are relative to the ISN the local stack chose, with the script's own SYN number as
// the origin of the SYN itself.
struct SeqSpace {
  uint32_t remote_isn = 0;
  uint32_t local_isn = 0;         // live
  uint32_t script_local_isn = 0;  // as the script wrote the local SYN
  // TS val: the first outbound value pairs the script's number with the live one; later
  // values are compared by their distance from it (run_packet.c, map_outbound_live_packet).
  std::optional<std::pair<uint32_t, uint32_t>> first_ts;  // script, live
};

// A packet the local host sent, rewritten into script space.
struct ScriptPacket {
  Instant t;
  uint8_t flags = 0;
  uint32_t seq = 0;
  uint32_t length = 0;
  uint32_t ack = 0;
  uint16_t window = 0;
  uint16_t src_port = 0, dst_port = 0;
  std::vector<TcpOptionSpec> options;  // in wire order, nop and eol included
};

// The options of `seg` in the order the wire encoder (sim/wire.cpp, Linux's
// tcp_options_write()) lays them out, padding excluded.
std::vector<TcpOptionSpec> wire_options(const Packet& p);

// Outbound: live values to script values. A SYN sets the local ISN first.
ScriptPacket to_script(const Packet& p, Instant t, SeqSpace& space);
// Inbound: builds the live segment for a script packet (ports and addresses are the caller's).
Segment to_live(const PacketSpec& spec, SeqSpace& space);

// packetdrill's text of a packet: "S. 0:0(0) ack 1 win 65160 <mss 1460>".
std::string format_flags(uint8_t bits);
std::string format_options(const std::vector<TcpOptionSpec>& options);
std::string format_expected(const PacketSpec& spec);
std::string format_actual(const ScriptPacket& p);

// GSO (docs/drill.md): back-to-back segments sent at one instant, contiguous in sequence space
// with the same ack, count as the one super-packet a Linux host hands its NIC. Merges
// packets[0..n) into one when the script expects more than the first one carries.
ScriptPacket merge_gso(const std::vector<ScriptPacket>& packets, size_t n);

// Empty when the packet matches; else which field differs, packetdrill's wording.
std::string compare(const PacketSpec& expected, const ScriptPacket& actual, SeqSpace& space);

}  // namespace netsim::drill
