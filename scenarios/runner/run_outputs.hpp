// The output plan of a run (issue 12 §5, issue 17 §1-2): which of the command line's and the
// scenario file's outputs win, where each lands, which trace sinks to attach, the diagrams and
// charts to draw, and the commit of them all at the end — all or nothing. Used by `netsim run`,
// the tests and the benchmarks; the rules are in docs/outputs.md and docs/reliability.md.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "scenarios/runner/scenario_run.hpp"
#include "viz/diagram.hpp"

namespace netsim {

// A path that breaks the output rules; the message names the option and the path.
class OutputPathError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the command line asks for; each named output replaces the file's output of that kind.
struct OutputRequest {
  std::string scenario_file;  // the input: never overwritten; its folder hosts the file's outputs
  std::string out_dir;        // -o; empty: the current directory (command line paths)
  std::optional<std::string> trace, events, pcap, summary;
  // --pcap-at HOST (repeatable; "all": every host): the pcap as each host's interface sees it
  // (PcapSink::captured_at); with several hosts one file each, STEM-HOST.EXT beside the pcap.
  std::vector<std::string> pcap_at;
  int snaplen = 0;  // --snaplen: bytes kept of each packet in every pcap; 0 keeps all of them
  std::vector<std::string> diagrams;
  std::vector<std::string> timelines, plots;  // --timeline FILE, --plot KIND=FILE
  // --connection, --from, --to and --max-arrows: applied to the command line's diagrams
  // (--max-arrows to every diagram).
  viz::DiagramOptions diagram_options;
  bool quiet = false;  // with nothing named and not quiet, the trace goes to stdout
};

// Where an output lands. Command line paths: relative to `out_dir` (default: the current
// directory), or absolute. Paths from the scenario file (the loader has refused absolute paths
// and "..") are relative to `out_dir` when given, else to the scenario file's folder.
// "-" stays "-". Throws OutputPathError; creates missing parent directories.
std::string resolve_output_path(const std::string& path, bool from_file, const std::string& out_dir,
                                const std::string& scenario_file);

// The caption of diagrams and charts: scenario name, seed, one line per link.
viz::DiagramMeta diagram_meta(const Scenario& s);

class RunOutputs {
 public:
  // Plans every output: resolves the paths, checks the extensions, refuses an output that is
  // an input or another output (by device and inode) or that must not be replaced (a
  // symlink, a socket). Throws OutputPathError, AtomicFileError or viz::DiagramError (a bad
  // extension or --plot); nothing has been created then.
  RunOutputs(const Scenario& sc, const OutputRequest& request);
  ~RunOutputs();
  RunOutputs(const RunOutputs&) = delete;
  RunOutputs& operator=(const RunOutputs&) = delete;

  // Opens the temporaries and attaches the trace sinks to `run` (before it runs).
  void attach(ScenarioRun& run);

  // After the run: renders the summary, diagrams and charts into memory. A diagram or chart
  // that cannot be drawn is left out with a warning (returned, one line each): it never costs
  // the other outputs nor changes the exit code (issue 15).
  std::vector<std::string> render(const ScenarioRun& run, const std::vector<ExpectVerdict>& v);

  // Writes and renames everything rendered, all at once. Until then nothing exists under an
  // output's name; if this object is destroyed uncommitted, every temporary is removed.
  // Throws AtomicFileError.
  void commit();

  bool nothing_named() const { return nothing_named_; }
  bool trace_to_stdout() const;

 private:
  struct Plan;
  std::unique_ptr<Plan> plan_;
  bool nothing_named_ = false;
};

}  // namespace netsim
