// Namespaces, peer processes and trace queries for the real-peer integration tests.
#include "harness.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "protocols/tcp/io.hpp"
#include "sim/trace_text.hpp"

extern char** environ;

namespace netsim::realtime::testing {
namespace {

pid_t spawn(const std::vector<std::string>& argv, int out_fd) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(fmt::format("cannot run {}: {}", argv[0], rc));
  return pid;
}

std::optional<std::string> compute_skip_reason() {
  if (std::getenv("NETSIM_SKIP_REAL_PEERS")) return "NETSIM_SKIP_REAL_PEERS is set";
  if (geteuid() != 0) return "real-peer tests need root (they create a network namespace)";
  if (access("/dev/net/tun", R_OK | W_OK) != 0) return "no usable /dev/net/tun on this machine";
  for (const char* tool : {"ip", "ss", "python3"}) {
    int status = -1;
    try {
      run_and_capture({tool, "-V"}, &status);
    } catch (const std::exception&) {
    }
    if (status < 0) return fmt::format("`{}` is not installed", tool);
  }
  std::string probe = fmt::format("netsim-probe-{}", getpid());
  int status = -1;
  std::string out = run_and_capture({"ip", "netns", "add", probe}, &status);
  if (status != 0) return "cannot create a network namespace here: " + out;
  run_and_capture({"ip", "netns", "del", probe});
  return std::nullopt;
}

}  // namespace

std::optional<std::string> skip_reason() {
  static const std::optional<std::string> reason = compute_skip_reason();
  return reason;
}

bool skip_if_unsupported() {
  auto why = skip_reason();
  if (!why) return false;
  std::cout << "SKIPPED: " << *why << std::endl;
  WARN("SKIPPED: " << *why);
  return true;
}

std::string run_and_capture(const std::vector<std::string>& argv, int* status) {
  std::array<int, 2> fds{};
  if (pipe2(fds.data(), O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_t pid = -1;
  try {
    pid = spawn(argv, fds[1]);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  std::string out;
  std::array<char, 4096> buf{};
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf.data(), buf.size())) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

Netns::Netns() : name_(fmt::format("netsim-rt-{}", getpid())) {
  int status = -1;
  std::string out = run_and_capture({"ip", "netns", "add", name_}, &status);
  if (status != 0) throw std::runtime_error("ip netns add failed: " + out);
  original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int fd = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
  if (original_ < 0 || fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    if (fd >= 0) ::close(fd);
    run_and_capture({"ip", "netns", "del", name_});
    throw std::runtime_error("cannot enter the test's network namespace");
  }
  ::close(fd);
  run_and_capture({"ip", "link", "set", "lo", "up"});
}

Netns::~Netns() {
  if (original_ >= 0) {
    setns(original_, CLONE_NEWNET);
    ::close(original_);
  }
  run_and_capture({"ip", "netns", "del", name_});
}

bool device_exists(const std::string& name) {
  int status = -1;
  run_and_capture({"ip", "link", "show", "dev", name}, &status);
  return status == 0;
}

std::vector<std::string> py(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"python3", "-u", peers_script()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Peer::Peer(const std::vector<std::string>& argv) {
  std::array<int, 2> fds{};
  if (pipe2(fds.data(), O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_ = spawn(argv, fds[1]);
  ::close(fds[1]);
  out_ = fds[0];
  fcntl(out_, F_SETFL, fcntl(out_, F_GETFL) | O_NONBLOCK);
}

Peer::~Peer() {
  if (!exited()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_ >= 0) ::close(out_);
}

void Peer::read_available(int timeout_ms) {
  pollfd p{out_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return;
  std::array<char, 4096> buf{};
  ssize_t n = 0;
  while ((n = ::read(out_, buf.data(), buf.size())) > 0)
    output_.append(buf.data(), static_cast<size_t>(n));
}

bool Peer::wait_for_line(const std::string& line, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    size_t eol;
    while ((eol = output_.find('\n', consumed_)) != std::string::npos) {
      bool match = output_.compare(consumed_, eol - consumed_, line) == 0;
      consumed_ = eol + 1;
      if (match) return true;
    }
    read_available(20);
  }
  return false;
}

bool Peer::exited() {
  if (exited_) return true;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) == pid_) {
    exited_ = true;
    exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  return exited_;
}

void Peer::interrupt() {
  if (!exited()) kill(pid_, SIGINT);
}

std::string Peer::finish(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exited() && std::chrono::steady_clock::now() < deadline)
    read_available(20);
  if (!exited()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    exited_ = killed_ = true;
  }
  read_available(0);
  std::string last;
  size_t start = 0;
  while (start < output_.size()) {
    size_t eol = output_.find('\n', start);
    if (eol == std::string::npos) eol = output_.size();
    if (eol > start) last = output_.substr(start, eol - start);
    start = eol + 1;
  }
  return last;
}

StopAfterPeer::StopAfterPeer(RealtimeSession& session, Peer& peer, std::chrono::milliseconds grace)
    : session_(session), peer_(peer), grace_(grace), timer_(session.io()) {
  poll();
}

void StopAfterPeer::poll() {
  if (!peer_done_ && peer_.exited()) {
    peer_done_ = true;
    timer_.expires_after(grace_);
  } else if (peer_done_) {
    session_.driver().stop();
    return;
  } else {
    timer_.expires_after(std::chrono::milliseconds(20));
  }
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) poll();
  });
}

Scenario load(const std::string& yaml) {
  LoadResult r = load_scenario_text(yaml, "test.yaml");
  INFO(r.error_text());
  REQUIRE(r.ok());
  return *r.scenario;
}

RealPeerTest::RealPeerTest(const std::string& yaml) : scenario(load(yaml)), run(scenario) {
  run.add_sink(&trace);
}

PeerResult RealPeerTest::run_with_peer(const std::vector<std::string>& argv,
                                       const PeerOptions& options) {
  PeerResult result;
  RealtimeSession session(run, {.handle_signals = false});
  if (options.before_peer) options.before_peer();
  Peer peer(argv);
  if (!options.ready.empty()) REQUIRE(peer.wait_for_line(options.ready, std::chrono::seconds(5)));
  StopAfterPeer stop(session, peer, std::chrono::milliseconds(300));
  session.run();
  if (const char* path = std::getenv("NETSIM_PEER_TRACE")) write_debug_trace(path);
  std::string last = peer.finish(options.exit_within);
  result.output = peer.output();
  INFO(result.output);
  result.out = nlohmann::json::parse(last, nullptr, false);
  if (result.out.is_discarded()) {
    FAIL("the peer's last line is not its JSON report: \""
         << last << "\""
         << (peer.killed() ? " (it was still running when the run ended, and was killed)" : "")
         << "\n"
         << diagnosis());
  }
  result.bridge = session.bridge("real")->counters();
  return result;
}

std::string RealPeerTest::diagnosis() const {
  std::ostringstream os;
  const auto& records = trace.records;
  const size_t from = records.size() > 16 ? records.size() - 16 : 0;
  os << "the run's last " << records.size() - from << " of " << records.size()
     << " trace records:\n";
  {
    TextTraceSink sink(os, {.show_recv = true, .show_counters = true});
    for (size_t i = from; i < records.size(); ++i)
      sink.write(records[i]);
    sink.finish();
  }
  for (const HostSpec& h : scenario.hosts) {
    const tcp::TcpHost* host = run.host(h.name);
    if (host == nullptr) continue;  // a real peer: Linux's own counters are in its report
    os << h.name << "'s non-zero counters:";
    for (const tcp::CounterInfo& c : tcp::counter_table()) {
      if (const uint64_t v = host->stack().counters().*c.member; v != 0)
        os << ' ' << c.name << '=' << v;
    }
    os << '\n';
  }
  return os.str();
}

void RealPeerTest::write_debug_trace(const std::string& path) const {
  std::ofstream f(path);
  TextTraceSink sink(f, {.show_recv = true, .show_counters = true});
  for (const auto& r : trace.records)
    sink.write(r);
  sink.finish();
}

std::string peers_script() {
  return std::string(NETSIM_SOURCE_DIR) + "/tests/realtime/peers.py";
}

std::vector<PacketRecord> packets(const std::vector<TraceRecord>& records, PacketEvent ev,
                                  const std::string& host) {
  std::vector<PacketRecord> out;
  for (const auto& r : records) {
    const auto* p = std::get_if<PacketRecord>(&r);
    if (p && p->ev == ev && p->host == host) out.push_back(*p);
  }
  return out;
}

std::vector<std::string> states_of(const std::vector<TraceRecord>& records, const std::string& host,
                                   uint16_t remote_port) {
  std::vector<std::string> out;
  for (const auto& r : records) {
    const auto* s = std::get_if<StateRecord>(&r);
    if (s && s->host == host && s->remote.port == remote_port) {
      out.emplace_back(to_string(s->to));
    }
  }
  return out;
}

}  // namespace netsim::realtime::testing
