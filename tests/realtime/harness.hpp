// Test fixtures for real-peer integration tests: a network namespace the test creates, enters
// and deletes; real Linux peers (tests/realtime/peers.py) started inside it; a watcher that
// ends a real-time run shortly after the peer is done; the test's scenario run in the namespace
// (RealPeerTest); and small trace queries.
#pragma once

#include <sys/types.h>

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "realtime/session.hpp"
#include "realtime/tun_bridge.hpp"
#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "sim/trace.hpp"

namespace netsim::realtime::testing {

// Why these tests cannot run here (not root, no /dev/net/tun, no `ip netns`, or the
// environment variable NETSIM_SKIP_REAL_PEERS is set), or nullopt.
std::optional<std::string> skip_reason();
// Prints "SKIPPED: <why>" (ctest's SKIP_REGULAR_EXPRESSION) and returns true when skipping.
bool skip_if_unsupported();

// A fresh network namespace: created with `ip netns add`, entered with setns() (children
// inherit it), left and deleted on destruction. Loopback is up.
class Netns {
 public:
  Netns();
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int original_ = -1;
};

// Runs argv (no shell) and returns its stdout and stderr.
std::string run_and_capture(const std::vector<std::string>& argv, int* status = nullptr);

// Whether the network device `name` exists (in the current namespace).
bool device_exists(const std::string& name);

// argv for `python3 peers.py ARGS...` (tests/realtime/peers.py).
std::vector<std::string> py(const std::vector<std::string>& args);

// A child process (a real peer, or the netsim command) whose output is read line by line.
class Peer {
 public:
  explicit Peer(const std::vector<std::string>& argv);
  ~Peer();  // kills the child if it is still running (our own child, by pid)
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // Waits for a line equal to `line`; false after `timeout` or at end of output.
  bool wait_for_line(const std::string& line, std::chrono::milliseconds timeout);
  bool exited();                                // non-blocking
  int exit_code() const { return exit_code_; }  // -1 until exited (or when killed)
  void interrupt();                             // SIGINT, as Ctrl-C would
  // Waits for the child (at most `timeout`, then kills it) and returns its last output line.
  std::string finish(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool killed() const { return killed_; }  // finish() had to kill it
  const std::string& output() const { return output_; }

 private:
  void read_available(int timeout_ms);
  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
  bool killed_ = false;
  int exit_code_ = -1;
  std::string output_;
  size_t consumed_ = 0;  // how much of output_ wait_for_line has looked at
};

// Ends the session's run `grace` after `peer` exits (the scenario duration stays the bound).
class StopAfterPeer {
 public:
  StopAfterPeer(RealtimeSession& session, Peer& peer, std::chrono::milliseconds grace);

 private:
  void poll();
  RealtimeSession& session_;
  Peer& peer_;
  std::chrono::milliseconds grace_;
  boost::asio::steady_timer timer_;
  bool peer_done_ = false;
};

// Loads a scenario from text; fails the test on a load error.
Scenario load(const std::string& yaml);

// How RealPeerTest::run_with_peer runs its peer.
struct PeerOptions {
  // Called once the session's devices are up, before the peer starts.
  std::function<void()> before_peer{};
  // A line the peer prints when it is ready (a server listening); the run starts once it has
  // been printed, and the test fails if it is not within 5 s. Empty: the run starts at once.
  std::string ready{};
  // How long the peer may take to exit once the run is over before it is killed.
  std::chrono::milliseconds exit_within = std::chrono::seconds(5);
};

// What a peer did in RealPeerTest::run_with_peer.
struct PeerResult {
  nlohmann::json out;     // the peer's last line of output (peers.py prints its report there)
  std::string output;     // everything the peer printed
  BridgeCounters bridge;  // the counters of the bridge of the host "real" when the run ended
};

// One real-peer test: a fresh network namespace (entered until the end of the test), the
// scenario `yaml` loaded, and a run of it whose trace is kept in memory. The scenario's real
// host is "real". Construct it after skip_if_unsupported().
struct RealPeerTest {
  explicit RealPeerTest(const std::string& yaml);
  RealPeerTest(const RealPeerTest&) = delete;
  RealPeerTest& operator=(const RealPeerTest&) = delete;

  // Runs the scenario in real time (signals not handled) with the real peer `argv` started in
  // the namespace, until 300 ms after the peer exits (the scenario's duration stays the bound);
  // the session and its devices are gone when it returns. The test fails if the peer's last
  // line is not its JSON report. With NETSIM_PEER_TRACE=FILE set, the run's text trace (with
  // deliveries and counters) is written to FILE, to see why a real-peer test failed.
  PeerResult run_with_peer(const std::vector<std::string>& argv, const PeerOptions& options = {});
  void write_debug_trace(const std::string& path) const;
  // For a failure message: the trace's last records and each simulated host's non-zero
  // counters, so that a CI log says where a run stalled.
  std::string diagnosis() const;

  Netns ns;
  Scenario scenario;
  ScenarioRun run;
  MemorySink trace;
};

std::string peers_script();  // tests/realtime/peers.py

// Queries over the records of a MemorySink.
std::vector<PacketRecord> packets(const std::vector<TraceRecord>& records, PacketEvent ev,
                                  const std::string& host);
std::vector<std::string> states_of(const std::vector<TraceRecord>& records, const std::string& host,
                                   uint16_t remote_port);

}  // namespace netsim::realtime::testing
