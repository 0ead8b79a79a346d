// The output plan of a run; see run_outputs.hpp. Streams (stdout, a FIFO, a device) are
// written as the run goes; every regular file is written under a temporary name and renamed
// in commit(), after the summary, diagrams and charts have all been rendered.
#include "scenarios/runner/run_outputs.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "sim/atomic_file.hpp"
#include "sim/pcap_writer.hpp"
#include "sim/trace_jsonl.hpp"
#include "sim/trace_text.hpp"
#include "sim/units.hpp"
#include "viz/chart.hpp"
#include "viz/diagram.hpp"
#include "viz/plot.hpp"
#include "viz/render_loader.hpp"
#include "viz/timeline_chart.hpp"

namespace netsim {
namespace fs = std::filesystem;

std::string resolve_output_path(const std::string& path, bool from_file, const std::string& out_dir,
                                const std::string& scenario_file) {
  if (path == "-") return path;
  if (path.empty()) throw OutputPathError("an output path is empty");
  fs::path p(path);
  fs::path full;
  if (p.is_absolute() && !from_file) {
    full = p;
  } else {
    // The loader refuses both in a scenario file already; this also guards --set values.
    if (p.is_absolute()) {
      throw OutputPathError(fmt::format(
          "output \"{}\" from the scenario file is absolute; only the command line may name an "
          "absolute path",
          path));
    }
    for (const auto& part : p) {
      if (part == "..") {
        throw OutputPathError(fmt::format(
            "output \"{}\" climbs out of the output directory with \"..\"; give an absolute path "
            "to write elsewhere",
            path));
      }
    }
    fs::path base = !out_dir.empty() ? fs::path(out_dir)
                    : from_file      ? fs::path(scenario_file).parent_path()
                                     : fs::path();
    full = base.empty() ? p : base / p;
  }
  std::error_code ec;
  fs::path parent = full.parent_path();
  if (!parent.empty() && !fs::exists(parent, ec)) {
    fs::create_directories(parent, ec);
    if (ec) {
      throw OutputPathError(fmt::format("cannot create the directory \"{}\" for output \"{}\": {}",
                                        parent.string(), path, ec.message()));
    }
  }
  if (fs::is_directory(full, ec)) {
    throw OutputPathError(fmt::format("output \"{}\" is a directory", full.string()));
  }
  return full.string();
}

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

namespace {

// One picture to draw after the run; `bytes` holds it once rendered.
struct PictureJob {
  enum class Kind { diagram, timeline, plot } kind = Kind::diagram;
  std::string option;  // "--diagram", "outputs.diagrams[0]": named in warnings
  std::string path;
  viz::DiagramOptions diagram;
  viz::TimelineOptions timeline;
  viz::PlotOptions plot;
  std::optional<std::string> bytes;
};

// A text output: its file and the sink writing into it.
struct TextOut {
  std::string option, path;
  std::unique_ptr<AtomicFile> file;
  std::unique_ptr<TraceSink> sink;
};

PictureJob picture(PictureJob::Kind kind, std::string option, std::string path) {
  PictureJob j;
  j.kind = kind;
  j.option = std::move(option);
  j.path = std::move(path);
  return j;
}

template <typename Options, typename Spec>
void apply_window(const Spec& c, Options& o) {
  if (c.connection) o.connections.push_back(*c.connection);
  if (c.from) o.from = Instant::zero() + *c.from;
  if (c.to) o.to = Instant::zero() + *c.to;
}

// One pcap file: PcapSink commits itself when the run finishes, so it writes to a name of
// its own beside the target (staging), renamed onto the target with the rest in commit().
struct PcapOut {
  std::string option, path, staging;
  std::optional<std::string> at_host;
  std::unique_ptr<PcapSink> sink;
};

// The capture points --pcap-at names, checked against the scenario's hosts.
std::vector<std::string> capture_hosts(const Scenario& sc, const std::vector<std::string>& at) {
  std::vector<std::string> out;
  for (const auto& h : at) {
    if (h == "all") {
      for (const auto& spec : sc.hosts)
        out.push_back(spec.name);
    } else if (sc.find_host(h) != nullptr) {
      out.push_back(h);
    } else {
      std::string names;
      for (const auto& spec : sc.hosts)
        names += (names.empty() ? "" : ", ") + spec.name;
      bool router = std::any_of(sc.routers.begin(), sc.routers.end(),
                                [&h](const RouterSpec& r) { return r.name == h; });
      throw OutputPathError(fmt::format(
          "--pcap-at: {} (the hosts are {}, or all)",
          router ? h + " is a router; a capture point is a host" : "no host named \"" + h + "\"",
          names));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// capture.pcap at client -> capture-client.pcap
std::string per_host_path(const std::string& path, const std::string& host) {
  std::filesystem::path p(path);
  return (p.parent_path() / (p.stem().string() + "-" + host + p.extension().string())).string();
}

}  // namespace

struct RunOutputs::Plan {
  const Scenario& sc;
  OutputRequest req;
  TextOut trace, events, summary;
  std::vector<PcapOut> pcaps;
  std::vector<PictureJob> pictures;
  MemorySink memory;
  std::string summary_text;
  bool committed = false;

  Plan(const Scenario& s, OutputRequest r) : sc(s), req(std::move(r)) {}
  ~Plan() {
    for (auto& c : pcaps) {
      c.sink.reset();  // closes (and, uncommitted, removes) the pcap's temporary
      if (!c.staging.empty() && !committed) ::unlink(c.staging.c_str());
    }
  }

  std::string resolve(const std::string& p, bool from_file) const {
    return resolve_output_path(p, from_file, req.out_dir, req.scenario_file);
  }
  void pick(TextOut& out, const char* cli_option, const std::optional<std::string>& cli,
            const char* file_key, const std::optional<std::string>& file) {
    if (cli) {
      out = TextOut{cli_option, resolve(*cli, false), nullptr, nullptr};
    } else if (file) {
      out = TextOut{file_key, resolve(*file, true), nullptr, nullptr};
    }
  }
  void add_pcaps(const TextOut& pcap);
  void add_diagrams();
  void add_charts();
  void add_cli_plots();
  void add_cli_picture(PictureJob job);
  void check_paths() const;
  void check_render_module() const;
};

// The wire view (each packet once, at its sender) unless --pcap-at names capture points.
void RunOutputs::Plan::add_pcaps(const TextOut& pcap) {
  std::vector<std::string> hosts = capture_hosts(sc, req.pcap_at);
  if (pcap.path.empty()) {
    if (!hosts.empty())
      throw OutputPathError("--pcap-at needs a pcap: --pcap FILE or outputs.pcap");
    if (req.snaplen != 0)
      throw OutputPathError("--snaplen needs a pcap: --pcap FILE or outputs.pcap");
    return;
  }
  if (hosts.empty()) {
    pcaps.push_back(PcapOut{pcap.option, pcap.path, {}, std::nullopt, nullptr});
    return;
  }
  if (hosts.size() > 1 && output_kind(pcap.path) != OutputKind::file) {
    throw OutputPathError(
        fmt::format("{} {}: one pcap per host needs a file name to derive theirs from", pcap.option,
                    pcap.path));
  }
  for (const auto& h : hosts) {
    std::string path = hosts.size() == 1 ? pcap.path : per_host_path(pcap.path, h);
    pcaps.push_back(PcapOut{fmt::format("{} at {}", pcap.option, h), path, {}, h, nullptr});
  }
}

void RunOutputs::Plan::add_diagrams() {
  const OutputsSpec& o = sc.outputs;
  for (size_t i = 0; i < o.diagrams.size(); ++i) {
    PictureJob job;
    job.option = fmt::format("outputs.diagrams[{}]", i);
    job.path = resolve(o.diagrams[i].file, true);
    apply_window(o.diagrams[i], job.diagram);
    job.diagram.max_arrows = req.diagram_options.max_arrows;
    pictures.push_back(std::move(job));
  }
  for (const auto& d : req.diagrams) {
    PictureJob job;
    job.option = "--diagram";
    job.path = resolve(d, false);
    job.diagram = req.diagram_options;
    add_cli_picture(std::move(job));
  }
  for (const auto& j : pictures)
    (void)viz::diagram_format_for_path(j.path);  // an unknown extension is bad input: fail now
}

void RunOutputs::Plan::add_charts() {
  const OutputsSpec& o = sc.outputs;
  if (o.timeline) {
    PictureJob job =
        picture(PictureJob::Kind::timeline, "outputs.timeline", resolve(o.timeline->file, true));
    apply_window(*o.timeline, job.timeline);
    pictures.push_back(std::move(job));
  }
  for (size_t i = 0; i < o.plots.size(); ++i) {
    PictureJob job = picture(PictureJob::Kind::plot, fmt::format("outputs.plots[{}]", i),
                             resolve(o.plots[i].file, true));
    // The loader accepts only the kinds viz knows (tests/viz checks the two lists agree).
    job.plot.kind = viz::parse_plot_kind(o.plots[i].kind).value_or(viz::PlotKind::syn_queue);
    apply_window(o.plots[i], job.plot);
    pictures.push_back(std::move(job));
  }
  for (const auto& t : req.timelines)
    add_cli_picture(picture(PictureJob::Kind::timeline, "--timeline", resolve(t, false)));
  add_cli_plots();
  for (const auto& j : pictures) {
    if (j.kind != PictureJob::Kind::diagram) (void)viz::chart_format_for_path(j.path);
  }
}

void RunOutputs::Plan::add_cli_plots() {
  for (const auto& p : req.plots) {
    auto eq = p.find('=');
    auto kind = eq == std::string::npos ? std::nullopt : viz::parse_plot_kind(p.substr(0, eq));
    if (!kind || eq + 1 >= p.size()) {
      throw viz::ChartError(
          fmt::format("--plot: expected KIND=FILE with KIND one of {}, found \"{}\"",
                      viz::plot_kind_list(), p));
    }
    PictureJob job = picture(PictureJob::Kind::plot, "--plot", resolve(p.substr(eq + 1), false));
    job.plot.kind = *kind;
    add_cli_picture(std::move(job));
  }
}

// A command-line picture of the same kind and file as one of the scenario's `outputs:` is the
// same request, made on the command line: it replaces the scenario's (its window and options
// win, as --set wins over the file) instead of being refused as a second writer of that file.
void RunOutputs::Plan::add_cli_picture(PictureJob job) {
  for (PictureJob& j : pictures) {
    if (j.kind == job.kind && j.option.rfind("outputs.", 0) == 0 &&
        std::filesystem::path(j.path).lexically_normal() ==
            std::filesystem::path(job.path).lexically_normal()) {
      j = std::move(job);
      return;
    }
  }
  pictures.push_back(std::move(job));
}

// No output may be the scenario file, and no two outputs the same file (issue 17 §1).
void RunOutputs::Plan::check_paths() const {
  std::vector<NamedPath> outs;
  for (const TextOut* t : {&trace, &events, &summary}) {
    if (!t->path.empty()) outs.push_back({t->option, t->path});
  }
  for (const auto& c : pcaps)
    outs.push_back({c.option, c.path});
  for (const auto& j : pictures)
    outs.push_back({j.option, j.path});
  for (const auto& o : outs)
    (void)output_kind(o.path);  // a symlink, socket or directory: refused before any write
  check_distinct_paths(outs, {{"the scenario file", req.scenario_file}});
}

// Graphviz output and PNG/PDF charts are drawn by libnetsim_render.so. Without it the run fails
// now, before any output file exists or any simulated time is spent, rather than ending with a
// warning and a missing picture behind exit status 0.
void RunOutputs::Plan::check_render_module() const {
  for (const auto& j : pictures) {
    bool needs = false;
    if (j.kind == PictureJob::Kind::diagram) {
      auto f = viz::diagram_format_for_path(j.path);
      needs = f != viz::DiagramFormat::text && f != viz::DiagramFormat::mermaid;
    } else {
      needs = viz::chart_format_for_path(j.path) != viz::ChartFormat::svg;
    }
    if (!needs) continue;
    try {
      (void)viz::render_api();
    } catch (const viz::DiagramError& e) {
      throw OutputPathError(fmt::format("{} {}: {}", j.option, j.path, e.what()));
    }
    return;
  }
}

RunOutputs::RunOutputs(const Scenario& sc, const OutputRequest& request)
    : plan_(std::make_unique<Plan>(sc, request)) {
  Plan& p = *plan_;
  const OutputsSpec& o = sc.outputs;
  p.pick(p.trace, "--trace", request.trace, "outputs.trace", o.trace);
  p.pick(p.events, "--events", request.events, "outputs.events", o.events);
  p.pick(p.summary, "--summary", request.summary, "outputs.summary", o.summary);
  TextOut pcap;
  p.pick(pcap, "--pcap", request.pcap, "outputs.pcap", o.pcap);
  p.add_pcaps(pcap);
  p.add_diagrams();
  p.add_charts();
  nothing_named_ = p.trace.path.empty() && p.events.path.empty() && p.summary.path.empty() &&
                   p.pcaps.empty() && p.pictures.empty();
  if (nothing_named_ && !request.quiet) p.trace = TextOut{"--trace", "-", nullptr, nullptr};
  p.check_paths();
  p.check_render_module();
}

RunOutputs::~RunOutputs() = default;

bool RunOutputs::trace_to_stdout() const {
  return !plan_->trace.path.empty() &&
         output_kind(plan_->trace.path) == OutputKind::standard_output;
}

void RunOutputs::attach(ScenarioRun& run) {
  Plan& p = *plan_;
  if (!p.trace.path.empty()) {
    p.trace.file = std::make_unique<AtomicFile>(p.trace.path);
    p.trace.sink = std::make_unique<TextTraceSink>(p.trace.file->stream());
    run.add_sink(p.trace.sink.get());
  }
  if (!p.events.path.empty()) {
    p.events.file = std::make_unique<AtomicFile>(p.events.path);
    // The run line lets `netsim diagram` title a redrawn run with the scenario and seed.
    const Scenario& sc = run.scenario();
    p.events.sink = std::make_unique<JsonlSink>(p.events.file->stream(), JsonlOptions{},
                                                JsonlRun{sc.name, sc.seed});
    run.add_sink(p.events.sink.get());
  }
  if (!p.summary.path.empty()) p.summary.file = std::make_unique<AtomicFile>(p.summary.path);
  for (auto& c : p.pcaps) {
    // A stream is written directly; a file through its staging name (PcapOut).
    bool stream = output_kind(c.path) != OutputKind::file;
    if (!stream) c.staging = fmt::format("{}.pending.{}", c.path, ::getpid());
    c.sink =
        std::make_unique<PcapSink>(stream ? c.path : c.staging, c.at_host,
                                   p.req.snaplen == 0 ? PcapSink::kFullSnapLen : p.req.snaplen);
    run.add_sink(c.sink.get());
  }
  if (!p.pictures.empty()) run.add_sink(&p.memory);
}

std::vector<std::string> RunOutputs::render(const ScenarioRun& run,
                                            const std::vector<ExpectVerdict>& verdicts) {
  Plan& p = *plan_;
  if (p.summary.file) p.summary_text = run.summary_json(verdicts);
  std::vector<std::string> warnings;
  viz::DiagramMeta meta = diagram_meta(p.sc);
  for (auto& j : p.pictures) {
    try {
      if (j.kind == PictureJob::Kind::diagram) {
        j.bytes = viz::render_diagram_bytes(p.memory.records, meta, j.diagram,
                                            viz::diagram_format_for_path(j.path));
      } else if (j.kind == PictureJob::Kind::timeline) {
        j.bytes = viz::render_timeline_bytes(p.memory.records, meta, j.timeline,
                                             viz::chart_format_for_path(j.path));
      } else {
        j.bytes = viz::render_plot_bytes(p.memory.records, meta, j.plot,
                                         viz::chart_format_for_path(j.path));
      }
    } catch (const viz::DiagramError& e) {  // ChartError too
      warnings.push_back(fmt::format("{} {} was not written: {}", j.option, j.path, e.what()));
    }
  }
  return warnings;
}

void RunOutputs::commit() {
  Plan& p = *plan_;
  // Every picture into its temporary first: a full disk shows here, before any rename.
  std::vector<std::unique_ptr<AtomicFile>> pictures;
  for (const auto& j : p.pictures) {
    if (!j.bytes) continue;
    pictures.push_back(std::make_unique<AtomicFile>(j.path));
    pictures.back()->stream().write(j.bytes->data(), static_cast<std::streamsize>(j.bytes->size()));
  }
  if (p.summary.file) p.summary.file->stream() << p.summary_text;
  for (TextOut* t : {&p.summary, &p.trace, &p.events}) {
    if (t->file) t->file->commit();
  }
  for (auto& f : pictures)
    f->commit();
  for (auto& c : p.pcaps) {
    c.sink.reset();
    if (c.staging.empty()) continue;
    if (::rename(c.staging.c_str(), c.path.c_str()) != 0) {
      throw AtomicFileError(fmt::format("cannot rename onto output file '{}': {}", c.path,
                                        std::system_category().message(errno)));
    }
  }
  p.committed = true;
}

}  // namespace netsim
