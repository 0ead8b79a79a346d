// Turns a validated Scenario into a running simulation: the network, one TCP host per host,
// the applications, the faults; runs it on virtual time and reports what happened (the
// summary and the verdict of every `expect:` entry). Output files are the CLI's business:
// it attaches trace sinks before run().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocols/apps/syn_flood.hpp"
#include "protocols/apps/tcp_client.hpp"
#include "protocols/apps/tcp_server.hpp"
#include "protocols/tcp/host.hpp"
#include "scenarios/loader/scenario.hpp"
#include "scenarios/runner/scripted_app.hpp"
#include "sim/network.hpp"
#include "sim/simulator.hpp"

namespace netsim {

// The TCP profile a host runs: the preset its settings name, then every value they set.
tcp::Profile make_profile(const TcpSettings& s);

// A `tun:` host's device after a real-time run (realtime/ fills it in; summary.json "tun"):
// packets the kernel's TUN queue dropped before netsim read them, and what the bridge did.
struct TunReport {
  std::string host, device;
  uint64_t rx_dropped = 0, tx_dropped = 0;
  uint64_t read = 0, injected = 0, malformed = 0, refused_in = 0, written = 0, refused_out = 0,
           write_errors = 0;
};

struct ExpectVerdict {
  bool ok = false;
  std::string message;  // "alice: result closed at 1.061 s" / what was expected and what happened
  SourcePos pos;
};

// Remembers, for apps that expectations talk about, each state change and drop, so that
// `state: X, at: T` and per-host drop counts can be judged after the run.
class ExpectationProbe;

class ScenarioRun {
 public:
  explicit ScenarioRun(const Scenario& s);
  ~ScenarioRun();
  ScenarioRun(const ScenarioRun&) = delete;
  ScenarioRun& operator=(const ScenarioRun&) = delete;

  // Attach before run(); the run does not own sinks.
  void add_sink(TraceSink* sink) { sim_.trace().add_sink(sink); }
  void set_event_limit(uint64_t n) { sim_.set_event_limit(n); }

  // Runs to the scenario's duration, or until no event is left. A scenario with real peers
  // (`tun:` hosts) cannot run on virtual time alone: use realtime::RealtimeSession.
  void run();

  // ---- real peers (realtime/, docs/real-peers.md) ----
  // A `tun:` host is the machine's own Linux stack: it is a Network host without a TcpHost
  // (host(name) is nullptr); realtime::TunBridge becomes its receiver. run_driven() finishes
  // the run exactly as run() does, but `drive` moves the clock (the real-time driver paces
  // the same events to the wall clock); `end` is the scenario's duration, if any.
  bool has_real_peers() const;
  void run_driven(const std::function<void(std::optional<Instant> end)>& drive);
  void add_tun_report(TunReport r) { tun_reports_.push_back(std::move(r)); }

  std::vector<ExpectVerdict> evaluate() const;
  // summary.json as SCENARIO_SPEC.md describes it.
  std::string summary_json(const std::vector<ExpectVerdict>& verdicts) const;
  // A few human lines: connections, results, drops by reason, expectations.
  std::string summary_text(const std::vector<ExpectVerdict>& verdicts) const;

  Simulator& sim() { return sim_; }
  const Simulator& sim() const { return sim_; }
  Network& network() { return net_; }
  const Scenario& scenario() const { return scenario_; }
  // The report of app `name` (nullptr if none).
  const apps::AppReport* report(std::string_view name) const;
  std::vector<const apps::AppReport*> reports() const;
  tcp::TcpHost* host(std::string_view name);
  const tcp::TcpHost* host(std::string_view name) const;

 private:
  void check_real_hosts() const;  // no app, crash or restart on a `tun:` host
  void build_topology();
  void build_apps();
  void schedule_faults();
  void restart_host(const std::string& name);
  void inject(const RawSegmentSpec& s);
  void refresh_reports();

  const Scenario& scenario_;
  Simulator sim_;
  Network net_;
  std::map<std::string, std::unique_ptr<tcp::TcpHost>, std::less<>> hosts_;
  std::vector<std::unique_ptr<apps::TcpServerApp>> servers_;
  std::vector<std::unique_ptr<apps::TcpClientApp>> clients_;
  std::vector<std::unique_ptr<apps::SynFloodApp>> floods_;
  std::vector<std::unique_ptr<ScriptedApp>> scripted_;
  std::unique_ptr<ExpectationProbe> probe_;
  bool ran_ = false;
  std::vector<TunReport> tun_reports_;
};

}  // namespace netsim
