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
  // The device's queue toward netsim (the kernel's default is 500 packets): a bulk sender's
  // bursts wait there while the event loop is busy, and a full queue drops them unseen
  // (tx_dropped), which a transfer then repairs as loss the simulated link never caused.
  int txqueuelen = 10000;
  // Non-empty: the device is moved into this network namespace (`ip netns`) and configured
  // there, so the real host is a kernel of its own (its addresses are not local to the others).
  std::string netns;
  // IFF_VNET_HDR with checksum and TSO4 offload (TUNSETOFFLOAD): the kernel hands over
  // super-packets of up to 64 KB, one read each, which the bridge segments as a NIC would
  // (realtime/offload.hpp). Off: one read and one kernel segmentation per wire packet.
  bool offload = true;
};

// A command's exit code (-1 when it could not run or was killed) and its stdout and stderr.
struct CommandResult {
  int status = -1;
  std::string output;
};
// Runs argv without a shell (posix_spawnp), collecting its output.
CommandResult run_command(const std::vector<std::string>& argv);

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
// Reads /proc/net/dev, which (unlike /sys/class/net) follows the caller's network namespace;
// with `netns`, that namespace's (through `ip netns exec NETNS cat /proc/net/dev`).
std::optional<TunQueueDrops> read_queue_drops(const std::string& device,
                                              const std::string& netns = "");

// Network namespaces that netsim creates for `netns:` hosts when they do not exist yet
// (`ip netns add`, loopback up) and deletes when it is destroyed; existing ones are used as
// they are and left alone.
class NetnsSet {
 public:
  NetnsSet() = default;
  ~NetnsSet();
  NetnsSet(const NetnsSet&) = delete;
  NetnsSet& operator=(const NetnsSet&) = delete;
  // Makes sure `name` exists; throws RealtimeError when `ip netns add` fails.
  void ensure(const std::string& name);
  // Deletes the namespaces created here (their devices must be closed first). Idempotent.
  void remove_created();

 private:
  std::vector<std::string> created_;
};

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
