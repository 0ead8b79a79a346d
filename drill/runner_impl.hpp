// The Runner behind run_script(): its state (the simulation, the sockets the script opened,
// the packets the host sent and not yet matched) shared by runner.cpp (events, time, packets),
// syscalls.cpp (socket calls), shell.cpp (sysctls) and tcp_info.cpp (%{ assert }% blocks).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drill/matcher.hpp"
#include "drill/runner.hpp"
#include "drill/socket_calls.hpp"
#include "protocols/tcp/host.hpp"
#include "protocols/tcp/sockopt.hpp"
#include "sim/network.hpp"
#include "sim/simulator.hpp"

namespace netsim::drill {

// Thrown by a step: the script failed (a mismatch) or needs an unmodelled feature.
struct Failure {
  Pos pos;
  std::string message;
};
struct Unsupported {
  Pos pos;
  std::string feature;
  std::string detail;
};

// A descriptor: the engine's socket, and the port bind() gave it.
struct Fd : sockcalls::Socket {
  std::optional<uint16_t> bound_port;
};

// A call that blocks (`start...end name(...)`): it completes when its condition holds.
struct PendingCall {
  const SyscallSpec* spec = nullptr;
  Instant started;
  Instant end;  // when the script says it returns
};

using Outcome = sockcalls::Result;  // the value, or -1 and the errno name

// The first feature the script uses anywhere that netsim does not model (zerocopy, MD5, Fast
// Open, epoll, ...): such a script is out of scope as a whole, wherever it would first fail.
std::optional<Unsupported> find_unmodelled(const Script& script);

class Runner {
 public:
  Runner(const Script& script, const RunOptions& options);
  RunResult run();

 private:
  // runner.cpp
  void configure();
  Instant event_time(const TimeSpec& ts) const;
  Instant event_time_unchecked(const TimeSpec& ts) const;
  void step_to(Instant t);
  void step_once(Instant limit);
  void check_unexpected(Instant before, Pos pos);
  void inbound(const PacketSpec& p);
  void outbound(const Event& e, const PacketSpec& p);
  void finish_pending(const Outcome& o);
  void poll_pending();
  std::string time_text(Instant t) const;
  SeqSpace& space_for(uint16_t remote_port) { return spaces_[remote_port]; }
  tcp::TcpHost& host();
  sockcalls::Engine& engine();

  // syscalls.cpp
  void syscall(const Event& e, const SyscallSpec& c);
  std::optional<Outcome> attempt(const SyscallSpec& c, bool may_block);
  void check_outcome(const SyscallSpec& c, const Outcome& o, Pos pos);
  int64_t value(const Expr& e) const;
  const Expr& arg(const SyscallSpec& c, size_t i) const;
  int fd_arg(const SyscallSpec& c, size_t i);
  Fd& fd_ref(const SyscallSpec& c, size_t i);
  int new_fd(const SyscallSpec& c, Fd f);
  std::optional<Outcome> do_accept(const SyscallSpec& c, Fd& f, bool may_block);
  std::optional<Outcome> do_connect(const SyscallSpec& c, Fd& f);
  std::optional<Outcome> do_read(const SyscallSpec& c, Fd& f, size_t n, bool may_block);
  std::optional<Outcome> do_write(const SyscallSpec& c, Fd& f, size_t n, bool may_block,
                                  uint32_t flags = 0);
  uint32_t send_flags(const SyscallSpec& c, size_t index) const;
  Outcome do_setsockopt(const SyscallSpec& c, Fd& f);
  Outcome do_getsockopt(const SyscallSpec& c, Fd& f);
  Outcome do_fcntl(const SyscallSpec& c, Fd& f);
  Outcome do_shutdown(const SyscallSpec& c, Fd& f);
  Outcome do_close(const SyscallSpec& c, int fd);
  std::optional<Outcome> do_poll(const SyscallSpec& c, bool may_block);
  int64_t tcp_poll(const Fd& f);
  size_t iov_bytes(const Expr& msg, Pos pos) const;

  // shell.cpp
  void command(const CommandSpec& c);
  void shell_line(const std::string& line, Pos pos, int depth);
  void sysctl(const std::string& name, const std::string& value, Pos pos);

  // tcp_info.cpp
  void code(const CodeSpec& c);

  const Script& script_;
  RunOptions options_;
  RunResult result_;
  int64_t tolerance_usec_ = 4000;  // packetdrill's default --tolerance_usecs
  tcp::Profile profile_ = tcp::Profile::linux_default();
  Ipv4Addr local_ip_{0xC0A80001};   // 192.168.0.1
  Ipv4Addr remote_ip_{0xC0000201};  // 192.0.2.1
  uint16_t bind_port_ = 8080;       // packetdrill's --bind_port
  uint16_t connect_port_ = 8080;    // --connect_port
  uint16_t remote_port_ = 40000;    // the peer's port toward a listener (packetdrill: ephemeral)
  uint16_t local_port_ = 8080;      // the local port of the connection under test

  Simulator sim_;
  Network net_;
  NodeId local_node_ = 0, remote_node_ = 0;
  std::unique_ptr<tcp::TcpHost> host_;
  std::unique_ptr<sockcalls::Engine> engine_;  // the socket calls, on host_
  struct Sent {
    Instant t;
    Packet p;
  };
  std::deque<Sent> sent_;  // sent by the host, not yet matched
  std::map<uint16_t, SeqSpace> spaces_;
  std::map<int, Fd> fds_;
  tcp::SocketId under_test_ = tcp::kNoSocket;  // for %{ tcpi_* }%
  std::optional<PendingCall> pending_;
  size_t written_ = 0;  // bytes the current write() call copied so far (it may block for more)
  Instant last_;        // the time the previous event happened: base of relative times
  Pos current_pos_;
};

}  // namespace netsim::drill
