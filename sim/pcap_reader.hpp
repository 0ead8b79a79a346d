// Reading a real capture (pcap or pcapng, through libpcap) back into packets, so `netsim
// diagram capture.pcap` can draw what tcpdump or Wireshark recorded. IPv4/TCP only; other
// packets are counted and skipped.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/packet.hpp"
#include "sim/time.hpp"

namespace netsim {

class CaptureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CapturedPacket {
  int64_t t_ns = 0;  // capture time stamp, nanoseconds since the epoch
  Packet packet;
};

struct Capture {
  std::vector<CapturedPacket> packets;  // IPv4/TCP, in file order
  uint64_t skipped = 0;                 // not IPv4/TCP, or truncated by the snap length
};

// Link types: raw IPv4 (netsim's own captures), Ethernet (with 802.1Q tags), Linux cooked
// (SLL, SLL2) and BSD loopback. Throws CaptureError naming the file and what is wrong.
Capture read_capture(const std::string& path);

}  // namespace netsim
