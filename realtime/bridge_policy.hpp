// What the TUN bridge lets across, decided from the scenario alone (no I/O, so it is tested
// without root): bytes from the kernel are parsed with every length and checksum check and
// must go from the kernel's address to a simulated host; simulated packets must come from a
// simulated host. Nothing addressed outside the scenario ever crosses (docs/real-peers.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/packet.hpp"

namespace netsim::realtime {

class AddressPolicy {
 public:
  // `kernel` is the address of the real host on its device; `simulated` every address of the
  // scenario that the simulation answers for (the real host's own address is ignored there).
  AddressPolicy(std::string device, Ipv4Addr kernel, std::vector<Ipv4Addr> simulated);

  const std::string& device() const { return device_; }
  Ipv4Addr kernel() const { return kernel_; }
  const std::vector<Ipv4Addr>& simulated() const { return simulated_; }
  bool is_simulated(Ipv4Addr a) const;

  // nullopt when the packet may cross; otherwise why not (the drop record's detail).
  std::optional<std::string> check_inbound(const Packet& p) const;   // kernel -> simulation
  std::optional<std::string> check_outbound(const Packet& p) const;  // simulation -> kernel

 private:
  std::string device_;
  Ipv4Addr kernel_;
  std::vector<Ipv4Addr> simulated_;  // sorted
};

// One packet read from the device.
struct InboundVerdict {
  enum class Kind : uint8_t {
    inject,     // a valid IPv4/TCP packet between the kernel and a simulated host
    malformed,  // does not parse (traced as a drop with reason `malformed`)
    refused,    // parses, but its addresses are outside the scenario (reason `no_route`)
  };
  Kind kind = Kind::malformed;
  // inject: the decoded packet. Otherwise whatever the header showed (addresses, ports), so
  // the drop record says where the bytes claimed to go.
  Packet packet;
  std::string detail;  // why it was dropped; empty for inject
};
InboundVerdict classify_inbound(std::span<const uint8_t> bytes, const AddressPolicy& policy);

// One simulated packet arriving at the real host: its wire bytes, or why it is not sent.
struct OutboundVerdict {
  std::vector<uint8_t> bytes;
  std::string refusal;  // empty when `bytes` is to be written
  bool ok() const { return refusal.empty(); }
};
OutboundVerdict classify_outbound(const Packet& p, const AddressPolicy& policy);

}  // namespace netsim::realtime
