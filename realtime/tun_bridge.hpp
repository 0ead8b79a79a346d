// The TUN bridge: makes a scenario host out of the machine's Linux stack. Packets the network
// delivers to that host are encoded (real headers and checksums) and written to the device;
// packets the kernel writes into the device are parsed, checked against AddressPolicy and
// sent into the network at the current virtual time. Whatever is refused is traced as a drop
// (malformed, or no_route for addresses outside the scenario) and counted; nothing crashes.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "realtime/bridge_policy.hpp"
#include "realtime/driver.hpp"
#include "realtime/gro.hpp"
#include "realtime/tun_device.hpp"
#include "sim/network.hpp"

namespace netsim::realtime {

struct BridgeCounters {
  uint64_t read = 0;          // wire packets read from the device (TSO segments counted apart)
  uint64_t tso_reads = 0;     // reads that were TSO super-packets, segmented by the bridge
  uint64_t injected = 0;      // of those, sent into the simulated network
  uint64_t malformed = 0;     // did not parse: dropped, reason malformed
  uint64_t refused_in = 0;    // parsed, but from/to an address outside the scenario
  uint64_t written = 0;       // simulated packets written to the device
  uint64_t refused_out = 0;   // simulated packets with a source outside the scenario
  uint64_t write_errors = 0;  // the device refused a write
  uint64_t gro_merged = 0;    // written packets that went into another's GSO write (GRO)
};

class TunBridge {
 public:
  // Becomes the Network receiver of `node` at once; reading starts with start().
  TunBridge(Network& net, NodeId node, RealtimeDriver& driver, TunDevice& device,
            AddressPolicy policy);
  TunBridge(const TunBridge&) = delete;
  TunBridge& operator=(const TunBridge&) = delete;

  void start();
  // One read from the device: with offloads a virtio_net_hdr and a packet (perhaps a TSO
  // super-packet, cut up here), else one IPv4 packet. The read loop calls this.
  void from_device(std::span<const uint8_t> bytes);
  // One wire packet's bytes from the kernel.
  void from_kernel(std::span<const uint8_t> bytes);

  const BridgeCounters& counters() const { return counters_; }
  const AddressPolicy& policy() const { return policy_; }
  NodeId node() const { return node_; }

 private:
  void read_next();
  // Reads until the device is empty (or kReadsPerTurn, then lets other handlers run).
  void drain();
  void to_kernel(const Packet& p);
  bool write_packet(const VnetHeader& h, std::span<const uint8_t> bytes, int& err);
  // Writes what the GRO batch completed; a failed write is traced as the drop of the last
  // packet handed over (held_packet_).
  void write_out();

  Network& net_;
  NodeId node_;
  RealtimeDriver& driver_;
  TunDevice& device_;
  AddressPolicy policy_;
  BridgeCounters counters_;
  bool offload_ = false;  // the device has IFF_VNET_HDR (TunConfig::offload)
  GroBatch gro_;
  std::vector<DeviceWrite> writes_;
  Packet held_packet_;
  // One read is one packet (IFF_NO_PI), after its virtio_net_hdr with offloads.
  std::array<uint8_t, 10 + 65536> buffer_{};
};

}  // namespace netsim::realtime
