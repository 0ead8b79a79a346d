// The bridge's admission rules and the salvage of header fields from bytes that do not parse.
#include "realtime/bridge_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "realtime/offload.hpp"
#include "sim/wire.hpp"

namespace netsim::realtime {

AddressPolicy::AddressPolicy(std::string device, Ipv4Addr kernel, std::vector<Ipv4Addr> simulated)
    : device_(std::move(device)), kernel_(kernel), simulated_(std::move(simulated)) {
  std::erase(simulated_, kernel_);
  std::sort(simulated_.begin(), simulated_.end());
  simulated_.erase(std::unique(simulated_.begin(), simulated_.end()), simulated_.end());
}

bool AddressPolicy::is_simulated(Ipv4Addr a) const {
  return std::binary_search(simulated_.begin(), simulated_.end(), a);
}

std::optional<std::string> AddressPolicy::check_inbound(const Packet& p) const {
  // The kernel only routes the scenario's addresses into the device, so anything else means
  // a misconfiguration or a local program writing to the device: never let it in.
  if (p.src != kernel_) {
    return fmt::format("source {} is not {}'s address {}: refused", p.src.to_string(), device_,
                       kernel_.to_string());
  }
  if (!is_simulated(p.dst)) {
    return fmt::format("destination {} is outside the scenario: refused", p.dst.to_string());
  }
  return std::nullopt;
}

std::optional<std::string> AddressPolicy::check_outbound(const Packet& p) const {
  // A spoofed source (a SYN flood's, say) would make the real stack answer an address that
  // is not ours to use: such packets never leave through the device.
  if (!is_simulated(p.src)) {
    return fmt::format("source {} is outside the scenario: not sent to {}", p.src.to_string(),
                       device_);
  }
  if (p.dst != kernel_) {
    return fmt::format("destination {} is not {}'s address {}: not sent", p.dst.to_string(),
                       device_, kernel_.to_string());
  }
  return std::nullopt;
}

namespace {

// The header fields that are present, read without trusting any length or checksum.
Packet salvage(std::span<const uint8_t> b) {
  Packet p;
  if (b.size() < 20 || (b[0] >> 4) != 4) return p;
  p.ttl = b[8];
  p.ip_id = get16(b, 4);
  p.src = Ipv4Addr{get32(b, 12)};
  p.dst = Ipv4Addr{get32(b, 16)};
  size_t ihl = size_t{b[0] & 0x0fu} * 4;
  if (b[9] != 6 || ihl < 20 || b.size() < ihl + 4) return p;
  p.tcp.src_port = get16(b, ihl);
  p.tcp.dst_port = get16(b, ihl + 2);
  return p;
}

}  // namespace

InboundVerdict classify_inbound(std::span<const uint8_t> bytes, const AddressPolicy& policy) {
  DecodeResult d = decode_ipv4(bytes);
  if (!d.ok()) {
    return {InboundVerdict::Kind::malformed, salvage(bytes),
            fmt::format("{} ({} bytes from {})", d.error, bytes.size(), policy.device())};
  }
  if (auto why = policy.check_inbound(*d.packet)) {
    return {InboundVerdict::Kind::refused, std::move(*d.packet), std::move(*why)};
  }
  return {InboundVerdict::Kind::inject, std::move(*d.packet), {}};
}

OutboundVerdict classify_outbound(const Packet& p, const AddressPolicy& policy) {
  if (auto why = policy.check_outbound(p)) return {{}, std::move(*why)};
  try {
    return {encode_ipv4(p), {}};
  } catch (const std::length_error& e) {
    return {{}, e.what()};
  }
}

}  // namespace netsim::realtime
