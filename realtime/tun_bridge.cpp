// The bridge's two directions: the device read loop (kernel -> network) and the network
// receiver (network -> kernel).
#include "realtime/tun_bridge.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <cerrno>
#include <cstring>

namespace netsim::realtime {

TunBridge::TunBridge(Network& net, NodeId node, RealtimeDriver& driver, TunDevice& device,
                     AddressPolicy policy)
    : net_(net), node_(node), driver_(driver), device_(device), policy_(std::move(policy)) {
  net_.set_receiver(node_, [this](const Packet& p) { to_kernel(p); });
}

void TunBridge::start() {
  read_next();
}

void TunBridge::read_next() {
  device_.descriptor().async_read_some(
      boost::asio::buffer(buffer_), [this](const boost::system::error_code& ec, size_t n) {
        if (ec == boost::asio::error::operation_aborted) return;  // the device was closed
        if (ec) {
          // Thrown out of io_context::run(): the session unwinds and closes every device.
          throw RealtimeError(
              fmt::format("reading TUN device {} failed: {}", policy_.device(), ec.message()));
        }
        if (!driver_.running()) return;  // the run is over; the device is about to close
        // Everything due by now happens first; the packet enters at the current virtual time.
        driver_.catch_up();
        from_kernel(std::span<const uint8_t>(buffer_.data(), n));
        driver_.rearm();
        read_next();
      });
}

void TunBridge::from_kernel(std::span<const uint8_t> bytes) {
  ++counters_.read;
  InboundVerdict v = classify_inbound(bytes, policy_);
  switch (v.kind) {
    case InboundVerdict::Kind::inject:
      ++counters_.injected;
      net_.send(node_, std::move(v.packet));
      return;
    case InboundVerdict::Kind::malformed:
      ++counters_.malformed;
      net_.record_drop(node_, v.packet, DropReason::malformed, std::move(v.detail));
      return;
    case InboundVerdict::Kind::refused:
      ++counters_.refused_in;
      net_.record_drop(node_, v.packet, DropReason::no_route, std::move(v.detail));
      return;
  }
}

void TunBridge::to_kernel(const Packet& p) {
  OutboundVerdict v = classify_outbound(p, policy_);
  if (!v.ok()) {
    ++counters_.refused_out;
    net_.record_drop(node_, p, DropReason::no_route, std::move(v.refusal));
    return;
  }
  if (!device_.descriptor().is_open()) return;
  // A TUN write takes one whole packet and never blocks; a failure (the device was taken
  // down under us) loses the packet like a dead link would.
  ssize_t n = ::write(device_.descriptor().native_handle(), v.bytes.data(), v.bytes.size());
  int err = errno;
  if (n == static_cast<ssize_t>(v.bytes.size())) {
    ++counters_.written;
    return;
  }
  ++counters_.write_errors;
  net_.record_drop(node_, p, DropReason::link_down,
                   fmt::format("write to {} failed: {}", policy_.device(),
                               n < 0 ? std::strerror(err) : "short write"));
}

}  // namespace netsim::realtime
