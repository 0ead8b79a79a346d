// The bridge's two directions: the device read loop (kernel -> network) and the network
// receiver (network -> kernel).
#include "realtime/tun_bridge.hpp"

#include "realtime/offload.hpp"

#include <fmt/format.h>
#include <sys/uio.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace netsim::realtime {

TunBridge::TunBridge(Network& net, NodeId node, RealtimeDriver& driver, TunDevice& device,
                     AddressPolicy policy)
    : net_(net),
      node_(node),
      driver_(driver),
      device_(device),
      policy_(std::move(policy)),
      offload_(device.config().offload) {
  net_.set_receiver(node_, [this](const Packet& p) { to_kernel(p); });
  if (offload_) {
    driver_.on_batch_end([this] {
      if (!device_.descriptor().is_open()) return;
      gro_.flush(writes_);
      write_out();
    });
  }
}

void TunBridge::start() {
  read_next();
}

void TunBridge::read_next() {
  device_.descriptor().async_wait(
      boost::asio::posix::descriptor_base::wait_read, [this](const boost::system::error_code& ec) {
        if (ec == boost::asio::error::operation_aborted) return;  // the device was closed
        if (ec) {
          // Thrown out of io_context::run(): the session unwinds and closes every device.
          throw RealtimeError(
              fmt::format("reading TUN device {} failed: {}", policy_.device(), ec.message()));
        }
        drain();
      });
}

void TunBridge::drain() {
  // Every packet the kernel queued is read in this one wake-up: a wake-up per packet (and
  // the driver's re-arm after each) was most of the bridge's cost at high rates.
  constexpr int kReadsPerTurn = 256;
  if (!device_.descriptor().is_open()) return;  // closed while this turn was posted
  int fd = device_.descriptor().native_handle();
  for (int i = 0; i < kReadsPerTurn; ++i) {
    if (!driver_.running()) return;  // the run is over; the device is about to close
    ssize_t n = ::read(fd, buffer_.data(), buffer_.size());
    if (n < 0) {
      int e = errno;
      if (e == EINTR) continue;
      if (e != EAGAIN && e != EWOULDBLOCK) {
        throw RealtimeError(
            fmt::format("reading TUN device {} failed: {}", policy_.device(), std::strerror(e)));
      }
      driver_.rearm();
      return read_next();
    }
    // Everything due by now happens first; the packet enters at the current virtual time.
    driver_.catch_up();
    from_device(std::span<const uint8_t>(buffer_.data(), static_cast<size_t>(n)));
  }
  // More is queued: the other devices and the timer get their turn first.
  driver_.rearm();
  boost::asio::post(device_.descriptor().get_executor(), [this] { drain(); });
}

void TunBridge::from_device(std::span<const uint8_t> bytes) {
  if (!offload_) return from_kernel(bytes);
  if (bytes.size() < VnetHeader::kSize) {
    ++counters_.read;
    ++counters_.malformed;
    net_.record_drop(node_, Packet{}, DropReason::malformed,
                     fmt::format("{}-byte read from {} is shorter than its virtio_net_hdr",
                                 bytes.size(), policy_.device()));
    return;
  }
  VnetHeader h = VnetHeader::parse(bytes.first<VnetHeader::kSize>());
  auto packet = bytes.subspan(VnetHeader::kSize);
  if (h.gso_type == VnetHeader::kGsoNone && !(h.flags & VnetHeader::kNeedsCsum)) {
    return from_kernel(packet);  // nothing to do: no copy
  }
  Segmented s = segment_offloaded(h, packet);
  if (!s.error.empty()) {
    ++counters_.read;
    ++counters_.malformed;
    net_.record_drop(
        node_, classify_inbound(packet, policy_).packet, DropReason::malformed,
        fmt::format("{} ({} bytes from {})", s.error, packet.size(), policy_.device()));
    return;
  }
  if (h.gso_type != VnetHeader::kGsoNone) ++counters_.tso_reads;
  for (const auto& seg : s.packets)
    from_kernel(seg);
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
  if (offload_) {
    // Held until the batch ends or the flow's next segment cannot join (GRO).
    held_packet_ = p;
    gro_.add(std::move(v.bytes), !p.corrupted, writes_);
    return write_out();
  }
  writes_.push_back({VnetHeader{}, std::move(v.bytes), 1});
  held_packet_ = p;
  write_out();
}

void TunBridge::write_out() {
  for (const DeviceWrite& w : writes_) {
    int err = 0;
    if (write_packet(w.header, w.bytes, err)) {
      counters_.written += w.segments;
      counters_.gro_merged += w.segments - 1;
      continue;
    }
    counters_.write_errors += w.segments;
    // The drop record names the last packet handed over; the detail says how many went.
    net_.record_drop(
        node_, held_packet_, DropReason::link_down,
        fmt::format("write of {} packet{} to {} failed: {}", w.segments, w.segments == 1 ? "" : "s",
                    policy_.device(), err != 0 ? std::strerror(err) : "short write"));
  }
  writes_.clear();
}

bool TunBridge::write_packet(const VnetHeader& h, std::span<const uint8_t> bytes, int& err) {
  // A TUN write takes one whole packet and never blocks; a failure (the device was taken
  // down under us) loses the packet like a dead link would. With offloads the packet goes
  // after its virtio_net_hdr: all zero for one wire packet with its checksums complete, so
  // the kernel verifies them as it would a NIC's (a `corrupted` packet is dropped there).
  std::array<uint8_t, VnetHeader::kSize> header{};
  h.write(header);
  std::array<iovec, 2> iov{
      {{header.data(), header.size()}, {const_cast<uint8_t*>(bytes.data()), bytes.size()}}};
  int first = offload_ ? 0 : 1;
  ssize_t want = static_cast<ssize_t>(bytes.size() + (offload_ ? header.size() : 0));
  ssize_t n = ::writev(device_.descriptor().native_handle(), iov.data() + first, 2 - first);
  err = n < 0 ? errno : 0;
  return n == want;
}

}  // namespace netsim::realtime
