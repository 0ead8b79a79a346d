// `netsim run`: load and validate a scenario, plan the outputs it (or the command line) asks for
// (scenarios/runner/run_outputs.hpp), run it on virtual time, judge its expectations, then
// commit summary, traces and pictures together. Nothing appears unless the run completed.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "realtime/session.hpp"
#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/run_outputs.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "sim/atomic_file.hpp"
#include "sim/safe_text.hpp"
#include "sim/units.hpp"
#include "viz/chart.hpp"
#include "viz/diagram.hpp"

namespace netsim::cli {
namespace {

// Default event budget: far above any example (the 1M-SYN flood needs ~5M), low enough that a
// scenario that never ends stops with a clear message instead of running for hours.
constexpr uint64_t kDefaultMaxEvents = 500'000'000;

// Ctrl-C (SIGINT) or kill (SIGTERM) during a simulated run: the handler only records the
// signal; the next progress tick stops the simulation, no output is committed (every temporary
// file is deleted) and run_command() raises the signal again, so the shell sees the usual
// status. A signal handler can reach nothing else: this is the command's one global.
volatile std::sig_atomic_t g_interrupt = 0;
void record_interrupt(int sig) {
  g_interrupt = sig;
}

// Installs record_interrupt() for SIGINT and SIGTERM while it lives.
class InterruptGuard {
 public:
  InterruptGuard()
      : old_int_(std::signal(SIGINT, record_interrupt)),
        old_term_(std::signal(SIGTERM, record_interrupt)) {}
  ~InterruptGuard() {
    std::signal(SIGINT, old_int_);
    std::signal(SIGTERM, old_term_);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  void (*old_int_)(int);
  void (*old_term_)(int);
};

// Shows "virtual time, events, events/s" on a terminal for runs longer than a second.
class Progress {
 public:
  Progress(Simulator& sim, bool enabled, double max_wall)
      : sim_(sim), enabled_(enabled), max_wall_(max_wall), start_(Clock::now()) {}
  void tick() {
    if (g_interrupt != 0) {
      sim_.stop();
      return;
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    if (max_wall_ > 0 && elapsed > max_wall_) {
      wall_exceeded_ = true;
      sim_.stop();
      return;
    }
    if (!enabled_ || elapsed < 1.0 || elapsed - last_print_ < 0.25) return;
    last_print_ = elapsed;
    shown_ = true;
    std::fprintf(stderr, "\r[netsim] virtual %s s, %llu events, %.2f M events/s   ",
                 format_seconds(sim_.now()).c_str(),
                 static_cast<unsigned long long>(sim_.events_executed()),
                 static_cast<double>(sim_.events_executed()) / elapsed / 1e6);
  }
  void done() {
    if (shown_) std::fprintf(stderr, "\r%80s\r", "");
  }
  bool wall_exceeded() const { return wall_exceeded_; }

 private:
  using Clock = std::chrono::steady_clock;
  Simulator& sim_;
  bool enabled_;
  double max_wall_;
  Clock::time_point start_;
  double last_print_ = 0;
  bool shown_ = false;
  bool wall_exceeded_ = false;
};

int interrupted(const RunArgs& args, ScenarioRun& run) {
  std::cerr << fmt::format("netsim: {}: interrupted at virtual time {} s; no output was written\n",
                           args.file, format_seconds(run.sim().now()));
  return kExitBadInput;  // run_command() raises the signal again
}

OutputRequest output_request(const RunArgs& args) {
  OutputRequest r;
  r.scenario_file = args.file;
  r.out_dir = args.out_dir;
  r.trace = args.trace;
  r.events = args.events;
  r.pcap = args.pcap;
  r.pcap_at = args.pcap_at;
  r.snaplen = args.snaplen;
  r.summary = args.summary;
  r.diagrams = args.diagrams;
  r.timelines = args.timelines;
  r.plots = args.plots;
  r.diagram_options.connections = args.connections;
  if (args.from) r.diagram_options.from = Instant::zero() + parse_duration(*args.from);
  if (args.to) r.diagram_options.to = Instant::zero() + parse_duration(*args.to);
  if (args.max_arrows) r.diagram_options.max_arrows = *args.max_arrows;
  r.diagram_options.scale = args.scale;
  r.quiet = args.quiet;
  return r;
}

// Runs on virtual time, or paced to the wall clock with real peers; returns an exit code if
// the run did not complete (event budget, --max-wall), else nullopt.
std::optional<int> execute(const RunArgs& args, ScenarioRun& run) {
  run.set_event_limit(args.max_events ? args.max_events : kDefaultMaxEvents);
  bool tty = isatty(STDERR_FILENO) && std::getenv("CI") == nullptr && !args.quiet;
  bool real_time = args.realtime || run.has_real_peers();
  // In real time --max-wall is the session's timer: the run ends and writes its outputs.
  Progress progress(run.sim(), tty, real_time ? 0.0 : args.max_wall_seconds);
  run.sim().set_observer(1 << 14, [&progress] { progress.tick(); });
  // ---- real time (realtime/, docs/real-peers.md): a `tun:` host implies it ----
  std::unique_ptr<realtime::RealtimeSession> realtime;
  if (real_time) {
    realtime::SessionOptions ropts;
    ropts.max_wall_seconds = args.max_wall_seconds;
    ropts.allow_routed_addresses = args.allow_routed_addresses;
    realtime = std::make_unique<realtime::RealtimeSession>(run, ropts);  // creates the devices
    if (!args.quiet) std::cerr << realtime->banner() << std::flush;
  }
  try {
    if (realtime) {
      realtime->run();
      if (realtime->interrupted_by() != 0 && !args.quiet) {
        std::cerr << fmt::format("netsim: interrupted at virtual time {} s; writing outputs\n",
                                 format_seconds(run.sim().now()));
      }
      if (realtime->wall_exceeded() && !args.quiet) {
        std::cerr << fmt::format(
            "netsim: --max-wall {} s reached at virtual time {} s; writing outputs\n",
            args.max_wall_seconds, format_seconds(run.sim().now()));
      }
      if (!args.quiet) {
        for (const auto& d : realtime->device_drops())
          std::cerr << "netsim: " << d << "\n";
      }
      realtime.reset();  // the devices are gone before the outputs are written
    } else {
      run.run();
    }
  } catch (const EventLimitExceeded& e) {
    progress.done();
    std::cerr << "netsim: " << args.file << ": " << e.what() << "\n";
    return kExitBadInput;
  }
  progress.done();
  if (progress.wall_exceeded()) {
    std::cerr << fmt::format(
        "netsim: {}: stopped after {} s of wall-clock time (--max-wall) at "
        "virtual time {} s; no output was written\n",
        args.file, args.max_wall_seconds, format_seconds(run.sim().now()));
    return kExitBadInput;
  }
  if (g_interrupt != 0) return interrupted(args, run);
  return std::nullopt;
}

// The summary and the failed expectations, after every output was committed.
int report(const RunArgs& args, const RunOutputs& outputs, const ScenarioRun& run,
           const std::vector<ExpectVerdict>& verdicts) {
  bool failed = false;
  for (const auto& v : verdicts)
    failed |= !v.ok;
  // Payload text in "expect ok ... received" may hold control characters: never raw.
  std::string summary = text::terminal_safe(run.summary_text(verdicts), true);
  if (outputs.nothing_named() && !args.quiet) {
    std::cout << summary;
  } else if (!args.quiet) {
    // With the trace on stdout too (--trace -), the summary goes to stderr (issue 15).
    std::cerr << summary;
  }
  if (!failed) return kExitOk;
  for (const auto& v : verdicts) {
    if (!v.ok)
      std::cerr << fmt::format("{}: expectation failed: {}\n", v.pos.to_string(),
                               text::terminal_safe(v.message));
  }
  return kExitExpectFailed;
}

int run_checked(const RunArgs& args) {
  // From before any output file exists until every one is committed or discarded. A real-time
  // session installs its own handlers while it runs (it ends the run and writes outputs).
  InterruptGuard interrupts;
  std::vector<std::string> sets = args.sets;
  if (args.seed) sets.push_back(fmt::format("seed={}", *args.seed));
  LoadResult loaded = load_scenario_file(args.file, sets);
  for (size_t i = 0; loaded.ok() && i < args.expect_files.size(); ++i) {
    loaded.errors = add_expectations_file(*loaded.scenario, args.expect_files[i]);
    if (!loaded.errors.empty()) loaded.scenario.reset();
  }
  if (!loaded.ok()) {
    std::cerr << loaded.error_text();
    return kExitBadInput;
  }
  const Scenario& sc = *loaded.scenario;
  RunOutputs outputs(sc, output_request(args));  // every path checked before anything exists
  ScenarioRun run(sc);
  outputs.attach(run);
  if (auto code = execute(args, run)) return *code;

  std::vector<ExpectVerdict> verdicts = run.evaluate();
  for (const auto& w : outputs.render(run, verdicts))
    std::cerr << "netsim: warning: " << text::terminal_safe(w) << "\n";
  if (g_interrupt != 0) return interrupted(args, run);  // during diagrams: commit nothing
  outputs.commit();
  return report(args, outputs, run, verdicts);
}

}  // namespace

int run_command(const RunArgs& args) {
  try {
    int code = run_checked(args);
    // Every output was discarded when run_checked() returned; now die of the signal.
    if (int sig = g_interrupt; sig != 0) {
      std::signal(sig, SIG_DFL);
      std::raise(sig);
    }
    return code;
  } catch (const OutputPathError& e) {
    std::cerr << "netsim: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const UnitError& e) {
    std::cerr << "netsim: --from/--to: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const AtomicFileError& e) {
    std::cerr << "netsim: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const viz::ChartError& e) {
    std::cerr << "netsim: chart: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const viz::DiagramError& e) {
    std::cerr << "netsim: diagram: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const realtime::RealtimeError& e) {  // no privilege, no /dev/net/tun, unsafe app
    std::cerr << "netsim: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::invalid_argument& e) {  // e.g. a scenario feature this build lacks
    std::cerr << "netsim: " << e.what() << "\n";
    return kExitBadInput;
  }
}

}  // namespace netsim::cli
