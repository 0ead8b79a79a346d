// The `netsim` command: parses the command line with CLI11 and hands off to a subcommand.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "cli/drill_command.hpp"
#include "cli/sweep_command.hpp"

namespace {

constexpr const char* kExamples = R"(Examples:
  netsim run scenarios/hello-echo.yaml                 trace on stdout, summary at the end
  netsim run scenarios/hello-echo.yaml -o out --diagram hello.svg --pcap hello.pcap
  netsim run scenarios/syn-timeout.yaml --set tcp.syn_linear_timeouts=0
  netsim run scenarios/lossy-transfer.yaml --set links.0.loss=5% --seed 7 --quiet
  sudo netsim run realtime/examples/curl-demo.yaml    real curl/nc talk to a simulated server
  netsim check scenarios/*.yaml
  netsim sweep scenarios/lossy-transfer.yaml --set links.0.loss=1%,2%,5% --seeds 1000 -j 2 -o loss.csv
  netsim diagram out/events.jsonl -o alice.svg --connection alice --from 0s --to 2s

Exit codes: 0 ran and every expectation held; 1 an expectation failed;
            2 bad input (file, keys, values, command line); 3 internal error.)";

// Numbers on the command line are checked, never wrapped or read as "no limit" (issue 17 §6):
// CLI11 reports the message as "--seed: <message>" and main() exits 2.
const CLI::Validator kCount(
    [](std::string& s) -> std::string {
      if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) {
        return "expected a whole number from 0 to 9999999999999999999, found \"" + s + "\"";
      }
      return {};
    },
    "N");
// --snaplen, as tcpdump -s: bytes kept of each packet, 0 for all of them (IPv4 packets are at
// most 65535 bytes, so larger values would keep everything too and are refused as typos).
const CLI::Validator kSnapLen(
    [](std::string& s) -> std::string {
      if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(s) > 65535) {
        return "expected bytes per packet from 1 to 65535, or 0 for whole packets, found \"" + s +
               "\"";
      }
      return {};
    },
    "BYTES");
const CLI::Validator kSeconds(
    [](std::string& s) -> std::string {
      char* end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0 || v > 1e9) {
        return "expected a number of seconds from 0 to 1e9 (0: no limit), found \"" + s + "\"";
      }
      return {};
    },
    "SECONDS");

void add_diagram_selection(CLI::App* cmd, netsim::cli::RunArgs& run) {
  cmd->add_option("--connection", run.connections,
                  "--diagram: only this app's connections (name or 4-tuple); repeatable");
  cmd->add_option("--from", run.from, "--diagram: start of the time window (e.g. 0s)");
  cmd->add_option("--to", run.to, "--diagram: end of the time window (e.g. 2s)");
  cmd->add_option("--scale", run.scale, "--diagram: PNG pixels per point (default 2)")
      ->check(CLI::Range(0.25, 8.0));
  cmd->add_option("--max-arrows", run.max_arrows,
                  "--diagram: draw up to N packet arrows (default 500)")
      ->check(kCount)
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  cmd->add_flag("--allow-routed-address", run.allow_routed_addresses,
                "real time: let a simulated address shadow a local or routed address of this "
                "machine (see docs/reliability.md)");
}

// `netsim run FILE [options]`: the options fill `run`.
CLI::App* add_run_command(CLI::App& app, netsim::cli::RunArgs& run) {
  auto* run_cmd = app.add_subcommand("run", "Run a scenario file");
  run_cmd->add_option("FILE", run.file, "scenario file (YAML)")->required();
  run_cmd->add_option("-o,--output-dir", run.out_dir, "directory for output files (default: .)");
  run_cmd->add_option("--seed", run.seed, "override the scenario's seed")->check(kCount);
  run_cmd->add_option("--set", run.sets, "override a value: --set links.0.loss=5%")
      ->type_name("KEY=VALUE");
  run_cmd->add_option("--expect", run.expect_files, "add the `expect:` list of a grader file")
      ->type_name("FILE");
  run_cmd->add_option("--trace", run.trace, "text trace file ('-' = stdout)");
  run_cmd->add_option("--events", run.events, "JSON Lines event file");
  run_cmd->add_option("--pcap", run.pcap,
                      "pcap capture file (default: each packet once, as it leaves its sender)");
  run_cmd
      ->add_option("--pcap-at", run.pcap_at,
                   "capture at this host's interface instead (what it sent and received, "
                   "at its own times); repeatable, or 'all': one pcap per host, "
                   "STEM-HOST.pcap")
      ->type_name("HOST");
  run_cmd
      ->add_option("--snaplen", run.snaplen,
                   "keep this many bytes of each packet in the pcap, as tcpdump -s "
                   "(0, the default: whole packets)")
      ->check(kSnapLen);
  run_cmd->add_option("--diagram", run.diagrams, "diagram (.svg .png .pdf .mmd .txt); repeatable");
  run_cmd->add_option("--summary", run.summary, "summary JSON file");
  run_cmd->add_option("--timeline", run.timelines, "connection-state timeline (.svg .png .pdf)");
  run_cmd
      ->add_option("--plot", run.plots,
                   "time-series plot (.svg .png .pdf), KIND one of syn_queue, accept_queue, "
                   "established, drops, cwnd, tcptrace; repeatable")
      ->type_name("KIND=FILE");
  run_cmd->add_flag("-q,--quiet", run.quiet, "print nothing but errors and failed expectations");
  run_cmd
      ->add_option("--max-events", run.max_events,
                   "stop with an error after N events (default and 0: 500000000)")
      ->check(kCount);
  run_cmd
      ->add_option("--max-wall", run.max_wall_seconds,
                   "stop after this many seconds of wall-clock time (an error on virtual time; "
                   "with real peers the run ends and writes its outputs)")
      ->check(kSeconds);
  add_diagram_selection(run_cmd, run);
  run_cmd->add_flag("--realtime", run.realtime,
                    "pace virtual time to the wall clock (implied by a `tun:` host, whose real "
                    "Linux stack then talks to the simulation; see docs/real-peers.md)");
  return run_cmd;
}

CLI::App* add_check_command(CLI::App& app, std::vector<std::string>& files,
                            std::vector<std::string>& sets) {
  auto* cmd = app.add_subcommand("check", "Validate scenario files; print every error");
  cmd->add_option("FILE", files, "scenario files")->required();
  cmd->add_option("--set", sets, "override a value before validating");
  return cmd;
}

CLI::App* add_diagram_command(CLI::App& app, netsim::cli::DiagramArgs& diag) {
  auto* cmd =
      app.add_subcommand("diagram", "Draw a diagram from a saved events.jsonl or a capture");
  cmd->add_option("EVENTS", diag.events_file, "events.jsonl of an earlier run, or a pcap/pcapng")
      ->required();
  cmd->add_option("-o,--output", diag.output, "diagram file (.svg .png .pdf .mmd .txt)")
      ->required();
  cmd->add_option("--connection", diag.connections, "app name or 4-tuple; repeatable");
  cmd->add_option("--host", diag.hosts, "only this host's packets; repeatable");
  cmd->add_option("--from", diag.from, "start of the time window (e.g. 0s)");
  cmd->add_option("--to", diag.to, "end of the time window (e.g. 2s)");
  cmd->add_flag("--absolute", diag.absolute_seq, "absolute sequence numbers");
  cmd->add_option("--scale", diag.scale, "PNG pixels per point (default 2)");
  return cmd;
}

// The exit code when parsing ends the program (help, version: 0; a bad command line: 2).
std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return netsim::cli::kExitBadInput;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace netsim::cli;
  CLI::App app{"netsim: a deterministic network simulator with a Linux-faithful TCP"};
  app.footer(kExamples);
  app.set_version_flag("--version", std::string("netsim ") + NETSIM_VERSION);
  app.require_subcommand(1);

  RunArgs run;
  auto* run_cmd = add_run_command(app, run);

  std::vector<std::string> check_files, check_sets;
  auto* check_cmd = add_check_command(app, check_files, check_sets);

  DiagramArgs diag;
  auto* diag_cmd = add_diagram_command(app, diag);

  // ---- sweep (scenarios/sweep/, docs/sweep.md): a grid of --set values x seeds on J threads ----
  SweepArgs sweep;
  auto* sweep_cmd = app.add_subcommand("sweep",
                                       "Run a scenario over a grid of values and seeds; "
                                       "one CSV row per run");
  sweep_cmd->add_option("FILE", sweep.file, "scenario file (YAML)")->required();
  sweep_cmd->add_option("--set", sweep.sets, "values to sweep: --set links.0.loss=1%,2%,5%")
      ->type_name("KEY=V1,V2,...");
  sweep_cmd->add_option("--seeds", sweep.seeds, "run each grid point with seeds 1..N")
      ->check(kCount);
  sweep_cmd
      ->add_option("-j,--jobs", sweep.jobs,
                   "worker threads, at most 4 x the cores (the CSV is the same for any J)")
      ->check(kCount);
  sweep_cmd->add_option("-o,--output", sweep.output, "CSV file ('-' = stdout, the default)");
  sweep_cmd
      ->add_option("--max-events", sweep.max_events,
                   "stop a run with an error after N events (default and 0: 500000000)")
      ->check(kCount);
  sweep_cmd->add_flag("-q,--quiet", sweep.quiet, "no progress bar and no closing line");
  // ---- end sweep ----

  // ---- drill (drill/, docs/drill.md): packetdrill scripts against netsim's TCP ----
  DrillArgs drill;
  auto* drill_cmd = app.add_subcommand("drill", "Run packetdrill scripts against netsim's TCP");
  drill_cmd->add_option("SCRIPT", drill.files, "packetdrill scripts (.pkt)")->required();
  drill_cmd->add_option("-o,--output-dir", drill.out_dir, "directory for output files");
  drill_cmd->add_option("--trace", drill.trace, "text trace file ('-' = stdout)");
  drill_cmd->add_option("--events", drill.events, "JSON Lines event file");
  auto* drill_pcap = drill_cmd->add_option("--pcap", drill.pcap, "pcap capture file");
  drill_cmd
      ->add_option("--snaplen", drill.snaplen,
                   "keep this many bytes of each packet in the pcap, as tcpdump -s "
                   "(0, the default: whole packets)")
      ->check(kSnapLen)
      ->needs(drill_pcap);
  drill_cmd->add_option("--diagram", drill.diagrams, "diagram (.svg .png .pdf .mmd .txt)");
  drill_cmd->add_flag("--tap", drill.tap, "results as TAP on stdout");
  drill_cmd->add_option("--junit", drill.junit, "results as JUnit XML in FILE");
  drill_cmd->add_option("--tolerance-usecs", drill.tolerance_usecs, "timing tolerance (us)");
  drill_cmd->add_flag("--strict", drill.strict, "a script needing an unmodelled feature fails");
  drill_cmd->add_flag("-v,--verbose", drill.verbose, "print skipped asserts and ignored sysctls");
  drill_cmd->add_flag("-q,--quiet", drill.quiet, "print only scripts that did not pass");
  // ---- end drill ----

  if (auto code = parse(app, argc, argv)) return *code;

  try {
    if (*run_cmd) return run_command(run);
    if (*check_cmd) return check_command(check_files, check_sets);
    if (*diag_cmd) return diagram_command(diag);
    if (*sweep_cmd) return sweep_command(sweep);
    if (*drill_cmd) return drill_command(drill);
  } catch (const std::exception& e) {
    std::cerr << "netsim: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
  return kExitBadInput;
}
