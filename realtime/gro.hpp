// GRO for the packets the bridge writes to the kernel: segments of one flow that the simulation
// delivered in one batch (one wake-up of the real-time loop) go into the device as one GSO
// packet, as a NIC's NAPI poll hands Linux what arrived since the last one (tcp_gro_receive()).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "realtime/offload.hpp"

namespace netsim::realtime {

// One write to a device with IFF_VNET_HDR.
struct DeviceWrite {
  VnetHeader header;
  std::vector<uint8_t> bytes;
  size_t segments = 1;  // wire packets in it
};

class GroBatch {
 public:
  // One wire packet (IPv4 + TCP, as encode_ipv4() makes it). `checksum_ok` false (a packet
  // damaged on a link) is never merged: the kernel must verify and drop it itself. What is
  // complete now is appended to `out` in order; a packet may stay held for the next one.
  void add(std::vector<uint8_t> bytes, bool checksum_ok, std::vector<DeviceWrite>& out);
  // The batch is over: the held packet goes out (napi_gro_flush()).
  void flush(std::vector<DeviceWrite>& out);
  size_t merged() const { return merged_; }  // segments that went into another's write

 private:
  bool can_append(std::span<const uint8_t> b) const;

  std::vector<uint8_t> held_;  // empty: nothing held
  size_t headers_ = 0, mss_ = 0, segs_ = 0;
  size_t merged_ = 0;
};

}  // namespace netsim::realtime
