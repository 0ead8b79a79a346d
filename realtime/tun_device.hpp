// A Linux TUN device owned by netsim: created exclusively (IFF_TUN | IFF_NO_PI, it must not
// exist yet), configured with iproute2's `ip` (address /32 plus one /32 route per simulated
// address, nothing broader), and read/written through an Asio stream_descriptor. The device is
// not persistent, so closing it (destructor, Ctrl-C, an error, even a crash) makes the kernel
// delete it together with its address and routes.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <optional>
#include <string>
#include <vector>

#include "realtime/error.hpp"
#include "sim/packet.hpp"

namespace netsim::realtime {

struct TunConfig {
  std::string name;              // e.g. "netsim0" (1..15 characters)
  Ipv4Addr address;              // the kernel's address on the device
  std::vector<Ipv4Addr> routes;  // simulated addresses routed into the device, /32 each
  int mtu = 1500;
};

// The `ip` commands that configure a device, in order (docs/real-peers.md shows them).
std::vector<std::vector<std::string>> configure_commands(const TunConfig& c);

// Why this process cannot create TUN devices (no CAP_NET_ADMIN in its effective set), or
// nullopt when it can. `device` names the device in the message.
std::optional<std::string> missing_privilege(const std::string& device);

// What the kernel dropped on a device: the "drop" columns of /proc/net/dev (rx_dropped plus
// rx_missed_errors, and tx_dropped). A TUN device drops when its queue to netsim is full
// (tun_net_xmit: txqueuelen packets), which is how a flood from the real stack is lost unseen.
struct TunQueueDrops {
  uint64_t rx = 0, tx = 0;
};
// The counters of `device` in the text of /proc/net/dev, or nullopt if it is not listed.
std::optional<TunQueueDrops> parse_proc_net_dev(const std::string& text, const std::string& device);
// Reads /proc/net/dev, which (unlike /sys/class/net) follows the caller's network namespace.
std::optional<TunQueueDrops> read_queue_drops(const std::string& device);

class TunDevice {
 public:
  // Creates and configures the device. Throws RealtimeError with a message that says what
  // to do (run as root, load the tun module, pick another name, ...).
  TunDevice(boost::asio::io_context& io, TunConfig config);
  ~TunDevice();
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  const TunConfig& config() const { return config_; }
  boost::asio::posix::stream_descriptor& descriptor() { return fd_; }
  // Closes the descriptor; the kernel removes the device. Idempotent.
  void close();

 private:
  void create();
  void configure();

  TunConfig config_;
  boost::asio::posix::stream_descriptor fd_;
};

}  // namespace netsim::realtime
