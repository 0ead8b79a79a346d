// `netsim run`: load and validate a scenario, attach the outputs it (or the command line) asks
// for, run it on virtual time, judge its expectations, write summary and diagrams. Every file
// is written under a temporary name and renamed only when the run completed.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/chart_outputs.hpp"
#include "cli/commands.hpp"
#include "cli/output_paths.hpp"
#include "realtime/session.hpp"
#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "sim/atomic_file.hpp"
#include "sim/pcap_writer.hpp"
#include "sim/trace_jsonl.hpp"
#include "sim/trace_text.hpp"
#include "sim/units.hpp"
#include "viz/diagram.hpp"

namespace netsim::cli {
namespace {

// Default event budget: far above any example (the 1M-SYN flood needs ~5M), low enough that a
// scenario that never ends stops with a clear message instead of running for hours.
constexpr uint64_t kDefaultMaxEvents = 500'000'000;

struct TextOut {
  std::unique_ptr<AtomicFile> file;
  std::unique_ptr<TraceSink> sink;
};

struct DiagramJob {
  std::string path;
  viz::DiagramOptions options;
};

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

viz::DiagramMeta diagram_meta(const Scenario& s) {
  viz::DiagramMeta m;
  m.scenario = s.name;
  m.seed = s.seed;
  for (const auto& l : s.links) {
    std::string line = fmt::format("{}–{} {}", l.a, l.b, format_duration(l.a_to_b.delay));
    if (l.a_to_b.bandwidth.bits_per_second() > 0) {
      line += " " + format_data_rate(l.a_to_b.bandwidth);
    }
    if (l.a_to_b.loss.kind != LossModel::Kind::none) line += " " + l.a_to_b.loss.to_string();
    m.links.push_back(std::move(line));
  }
  return m;
}

int interrupted(const RunArgs& args, ScenarioRun& run) {
  std::cerr << fmt::format("netsim: {}: interrupted at virtual time {} s; no output was written\n",
                           args.file, format_seconds(run.sim().now()));
  return kExitBadInput;  // run_command() raises the signal again
}

int run_checked(const RunArgs& args) {
  // From before any output file exists until every one is committed or discarded. A real-time
  // session installs its own handlers while it runs (it ends the run and writes outputs).
  InterruptGuard interrupts;
  std::vector<std::string> sets = args.sets;
  if (args.seed) sets.push_back(fmt::format("seed={}", *args.seed));
  LoadResult loaded = load_scenario_file(args.file, sets);
  if (!loaded.ok()) {
    std::cerr << loaded.error_text();
    return kExitBadInput;
  }
  const Scenario& sc = *loaded.scenario;
  const OutputsSpec& o = sc.outputs;
  auto pick = [](const std::optional<std::string>& cli, const std::optional<std::string>& file) {
    return cli ? cli : file;
  };
  std::optional<std::string> trace_path = pick(args.trace, o.trace);
  std::optional<std::string> events_path = pick(args.events, o.events);
  std::optional<std::string> pcap_path = pick(args.pcap, o.pcap);
  std::optional<std::string> summary_path = pick(args.summary, o.summary);
  std::vector<DiagramJob> diagrams;
  for (const auto& d : o.diagrams) {
    DiagramJob job{d.file, {}};
    if (d.connection) job.options.connections.push_back(*d.connection);
    if (d.from) job.options.from = Instant::zero() + *d.from;
    if (d.to) job.options.to = Instant::zero() + *d.to;
    diagrams.push_back(std::move(job));
  }
  for (const auto& d : args.diagrams)
    diagrams.push_back(DiagramJob{d, {}});
  bool charts_named =
      o.timeline || !o.plots.empty() || !args.timelines.empty() || !args.plots.empty();
  bool nothing_named = !trace_path && !events_path && !pcap_path && !summary_path &&
                       diagrams.empty() && !charts_named;
  if (nothing_named && !args.quiet) trace_path = "-";

  auto resolve = [&](const std::string& p) {
    return resolve_output_path(args.out_dir, p, args.file);
  };
  for (auto& d : diagrams) {
    d.path = resolve(d.path);
    (void)viz::diagram_format_for_path(d.path);  // an unknown extension is bad input: fail now
  }
  // ---- charts (cli/chart_outputs.hpp): timelines and plots ----
  std::vector<ChartJob> charts = chart_jobs(o, args.timelines, args.plots, resolve);

  ScenarioRun run(sc);
  TextOut trace_out, events_out;
  std::unique_ptr<PcapSink> pcap;
  MemorySink memory;
  if (trace_path) {
    trace_out.file = std::make_unique<AtomicFile>(resolve(*trace_path));
    trace_out.sink = std::make_unique<TextTraceSink>(trace_out.file->stream());
    run.add_sink(trace_out.sink.get());
  }
  if (events_path) {
    events_out.file = std::make_unique<AtomicFile>(resolve(*events_path));
    // The run line lets `netsim diagram` title a redrawn run with the scenario and seed.
    events_out.sink = std::make_unique<JsonlSink>(events_out.file->stream(), JsonlOptions{},
                                                  JsonlRun{sc.name, sc.seed});
    run.add_sink(events_out.sink.get());
  }
  if (pcap_path) {
    pcap = std::make_unique<PcapSink>(resolve(*pcap_path));
    run.add_sink(pcap.get());
  }
  if (!diagrams.empty() || !charts.empty()) run.add_sink(&memory);
  std::unique_ptr<AtomicFile> summary_file;
  if (summary_path) summary_file = std::make_unique<AtomicFile>(resolve(*summary_path));

  run.set_event_limit(args.max_events ? args.max_events : kDefaultMaxEvents);
  bool tty = isatty(STDERR_FILENO) && std::getenv("CI") == nullptr && !args.quiet;
  Progress progress(run.sim(), tty, args.max_wall_seconds);
  run.sim().set_observer(1 << 14, [&progress] { progress.tick(); });
  // ---- real time (realtime/, docs/real-peers.md): a `tun:` host implies it ----
  std::unique_ptr<realtime::RealtimeSession> realtime;
  if (args.realtime || run.has_real_peers()) {
    realtime = std::make_unique<realtime::RealtimeSession>(run);  // creates the TUN devices
    if (!args.quiet) std::cerr << realtime->banner() << std::flush;
  }
  try {
    if (realtime) {
      realtime->run();
      if (realtime->interrupted_by() != 0 && !args.quiet) {
        std::cerr << fmt::format("netsim: interrupted at virtual time {} s; writing outputs\n",
                                 format_seconds(run.sim().now()));
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

  std::vector<ExpectVerdict> verdicts = run.evaluate();
  for (const auto& d : diagrams) {
    viz::render_diagram(memory.records, diagram_meta(sc), d.options, d.path);
  }
  render_charts(charts, memory.records, diagram_meta(sc));
  if (g_interrupt != 0) return interrupted(args, run);  // during diagrams: commit nothing
  if (summary_file) {
    summary_file->stream() << run.summary_json(verdicts);
    summary_file->commit();
  }
  if (trace_out.file) trace_out.file->commit();
  if (events_out.file) events_out.file->commit();
  // pcap committed itself in the run's finish().

  bool failed = false;
  for (const auto& v : verdicts)
    failed |= !v.ok;
  if (nothing_named && !args.quiet) {
    std::cout << run.summary_text(verdicts);
  } else if (!args.quiet && trace_path != std::optional<std::string>("-")) {
    std::cerr << run.summary_text(verdicts);
  }
  if (failed) {
    for (const auto& v : verdicts) {
      if (!v.ok)
        std::cerr << fmt::format("{}: expectation failed: {}\n", v.pos.to_string(), v.message);
    }
    return kExitExpectFailed;
  }
  return kExitOk;
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
