// Creating, configuring and closing the TUN device. Configuration goes through iproute2's `ip`
// (spawned directly, no shell), which keeps the exact commands visible in docs and errors.
#include "realtime/tun_device.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace netsim::realtime {
namespace {

constexpr int kCapNetAdmin = 12;  // include/uapi/linux/capability.h

std::string privilege_message(const std::string& device) {
  return fmt::format(
      "creating TUN device {} needs root or CAP_NET_ADMIN: run netsim with sudo (the "
      "capability must also reach the `ip` command netsim runs to configure the device)",
      device);
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv)
    s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::array<int, 2> pipe_fds{};
  if (pipe2(pipe_fds.data(), O_CLOEXEC) != 0) return {-1, std::strerror(errno)};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  CommandResult r;
  if (rc != 0) {
    ::close(pipe_fds[0]);
    r.output = rc == ENOENT ? fmt::format("`{}` was not found (install iproute2)", argv[0])
                            : std::strerror(rc);
    return r;
  }
  std::array<char, 512> buf{};
  ssize_t n = 0;
  while ((n = ::read(pipe_fds[0], buf.data(), buf.size())) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) r.output.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!r.output.empty() && r.output.back() == '\n')
    r.output.pop_back();
  return r;
}

std::vector<std::vector<std::string>> configure_commands(const TunConfig& c) {
  std::string addr = c.address.to_string();
  std::vector<std::vector<std::string>> cmds;
  // `ip -n NETNS ...` configures the device where it now lives.
  std::vector<std::string> ip = {"ip"};
  if (!c.netns.empty()) {
    cmds.push_back({"ip", "link", "set", "dev", c.name, "netns", c.netns});
    ip = {"ip", "-n", c.netns};
  }
  auto with = [&](std::vector<std::string> args) {
    std::vector<std::string> cmd = ip;
    cmd.insert(cmd.end(), args.begin(), args.end());
    cmds.push_back(std::move(cmd));
  };
  with({"link", "set", "dev", c.name, "mtu", std::to_string(c.mtu), "txqueuelen",
        std::to_string(c.txqueuelen), "up"});
  // A /32: the kernel gets its own address and no connected route to anybody else's.
  with({"addr", "add", addr + "/32", "dev", c.name});
  for (Ipv4Addr r : c.routes)
    with({"route", "add", r.to_string() + "/32", "dev", c.name, "src", addr});
  return cmds;
}

std::optional<std::string> missing_privilege(const std::string& device) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    uint64_t caps = std::stoull(line.substr(7), nullptr, 16);
    if (caps & (uint64_t{1} << kCapNetAdmin)) return std::nullopt;
    return privilege_message(device);
  }
  return std::nullopt;  // no /proc: let open() and the ioctl tell
}

TunDevice::TunDevice(boost::asio::io_context& io, TunConfig config)
    : config_(std::move(config)), fd_(io) {
  if (auto why = missing_privilege(config_.name)) throw RealtimeError(*why);
  create();
  configure();  // on failure fd_ closes while unwinding, and the device is gone
}

TunDevice::~TunDevice() {
  close();
}

void TunDevice::close() {
  boost::system::error_code ignored;
  if (fd_.is_open()) fd_.close(ignored);
}

void TunDevice::create() {
  const std::string& name = config_.name;
  if (if_nametoindex(name.c_str()) != 0) {
    // Attaching to somebody else's device (and deleting its addresses on exit) is not ours.
    throw RealtimeError(fmt::format(
        "a network device named {} already exists; netsim creates and deletes its own device: "
        "choose another `tun:` name or remove it (ip link del {})",
        name, name));
  }
  int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT || e == ENODEV || e == ENXIO) {
      throw RealtimeError(
          "/dev/net/tun is missing: load the tun module (modprobe tun) or, in a container, "
          "pass the device in (docker run --device /dev/net/tun --cap-add NET_ADMIN)");
    }
    if (e == EACCES || e == EPERM) throw RealtimeError(privilege_message(name));
    throw RealtimeError(fmt::format("cannot open /dev/net/tun: {}", std::strerror(e)));
  }
  ifreq ifr{};
  // IFF_NO_PI: every read and write is exactly one IPv4 packet, with no 4-byte header.
  // IFF_TUN_EXCL: fail rather than attach if the name was taken since the check above.
  // ifr_flags is a short: the int result of `|` is narrowed explicitly (clang -Werror).
  // IFF_VNET_HDR: a virtio_net_hdr before each packet, which carries the offloads below.
  int flags = IFF_TUN | IFF_NO_PI | IFF_TUN_EXCL | (config_.offload ? IFF_VNET_HDR : 0);
  ifr.ifr_flags = static_cast<short>(flags);
  std::memcpy(ifr.ifr_name, name.c_str(), std::min(name.size(), size_t{IFNAMSIZ - 1}));
  if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
    int e = errno;
    ::close(fd);
    if (e == EPERM || e == EACCES) throw RealtimeError(privilege_message(name));
    throw RealtimeError(fmt::format("cannot create TUN device {}: {}", name, std::strerror(e)));
  }
  // TSO4 needs the checksum offload too (tun_set_offload()); the device then advertises TSO
  // and the kernel stops segmenting its GSO skbs in software before handing them over.
  if (config_.offload && ::ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) != 0) {
    int e = errno;
    ::close(fd);
    throw RealtimeError(
        fmt::format("cannot enable offloads on TUN device {}: {}", name, std::strerror(e)));
  }
  fd_.assign(fd);
}

void TunDevice::configure() {
  // No IPv6 on the device: the kernel would otherwise send router solicitations into it.
  std::ofstream(fmt::format("/proc/sys/net/ipv6/conf/{}/disable_ipv6", config_.name)) << "1\n";
  auto cmds = configure_commands(config_);
  if (!config_.netns.empty()) {
    // Moving a device to another namespace resets its IPv6 settings to that namespace's
    // defaults, so the switch is set again there (the slash form allows dots in names).
    // Best effort, like the write above: without IPv6 in the kernel there is nothing to stop.
    cmds.insert(cmds.begin() + 1, {"ip", "netns", "exec", config_.netns, "sysctl", "-q", "-w",
                                   fmt::format("net/ipv6/conf/{}/disable_ipv6=1", config_.name)});
  }
  for (const auto& cmd : cmds) {
    CommandResult r = run_command(cmd);
    if (cmd[1] == "netns" && cmd[2] == "exec") continue;  // the IPv6 switch above
    if (r.status != 0) {
      throw RealtimeError(fmt::format("configuring TUN device {} failed: `{}`: {}", config_.name,
                                      join(cmd), r.output.empty() ? "failed" : r.output));
    }
  }
}

std::optional<TunQueueDrops> parse_proc_net_dev(const std::string& text,
                                                const std::string& device) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // "  name: rx_bytes rx_packets rx_errs rx_drop ... tx_bytes tx_packets tx_errs tx_drop ..."
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t first = line.find_first_not_of(' ');
    if (line.compare(first, colon - first, device) != 0 || colon - first != device.size()) {
      continue;
    }
    std::istringstream f(line.substr(colon + 1));
    std::array<uint64_t, 12> v{};
    for (auto& x : v) {
      if (!(f >> x)) return std::nullopt;
    }
    return TunQueueDrops{v[3], v[11]};
  }
  return std::nullopt;
}

std::optional<TunQueueDrops> read_queue_drops(const std::string& device, const std::string& netns) {
  if (!netns.empty()) {
    CommandResult r = run_command({"ip", "netns", "exec", netns, "cat", "/proc/net/dev"});
    if (r.status != 0) return std::nullopt;
    return parse_proc_net_dev(r.output, device);
  }
  std::ifstream in("/proc/net/dev");
  std::stringstream s;
  s << in.rdbuf();
  return parse_proc_net_dev(s.str(), device);
}

NetnsSet::~NetnsSet() {
  remove_created();
}

void NetnsSet::ensure(const std::string& name) {
  if (std::find(created_.begin(), created_.end(), name) != created_.end()) return;
  if (::access(("/run/netns/" + name).c_str(), F_OK) == 0) return;  // somebody else's: used
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"ip", "netns", "add", name}, {"ip", "-n", name, "link", "set", "dev", "lo", "up"}}) {
    CommandResult r = run_command(cmd);
    if (r.status != 0) {
      throw RealtimeError(fmt::format("creating network namespace {} failed: `{}`: {}", name,
                                      join(cmd), r.output.empty() ? "failed" : r.output));
    }
    if (cmd[1] == "netns") created_.push_back(name);  // from here on it is ours to delete
  }
}

void NetnsSet::remove_created() {
  for (const auto& name : created_)
    run_command({"ip", "netns", "del", name});
  created_.clear();
}

}  // namespace netsim::realtime
