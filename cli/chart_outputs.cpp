// Chart jobs of `netsim run`; see chart_outputs.hpp.
#include "cli/chart_outputs.hpp"

#include <fmt/format.h>

namespace netsim::cli {
namespace {

template <typename Options>
void apply_window(const ChartOutput& c, Options& o) {
  if (c.connection) o.connections.push_back(*c.connection);
  if (c.from) o.from = Instant::zero() + *c.from;
  if (c.to) o.to = Instant::zero() + *c.to;
}

}  // namespace

std::vector<ChartJob> chart_jobs(const OutputsSpec& outputs,
                                 const std::vector<std::string>& timelines,
                                 const std::vector<std::string>& plots,
                                 const std::function<std::string(const std::string&)>& resolve) {
  std::vector<ChartJob> jobs;
  if (outputs.timeline) {
    ChartJob job{outputs.timeline->file, true, {}, {}};
    apply_window(*outputs.timeline, job.timeline_options);
    jobs.push_back(std::move(job));
  }
  for (const auto& p : outputs.plots) {
    ChartJob job{p.file, false, {}, {}};
    // The loader accepts only the kinds viz knows (tests/viz checks the two lists agree).
    job.plot_options.kind = viz::parse_plot_kind(p.kind).value_or(viz::PlotKind::syn_queue);
    apply_window(p, job.plot_options);
    jobs.push_back(std::move(job));
  }
  for (const auto& t : timelines)
    jobs.push_back(ChartJob{t, true, {}, {}});
  for (const auto& p : plots) {
    auto eq = p.find('=');
    auto kind = eq == std::string::npos ? std::nullopt : viz::parse_plot_kind(p.substr(0, eq));
    if (!kind || eq + 1 >= p.size()) {
      throw viz::ChartError(
          fmt::format("--plot: expected KIND=FILE with KIND one of {}, found \"{}\"",
                      viz::plot_kind_list(), p));
    }
    ChartJob job{p.substr(eq + 1), false, {}, {}};
    job.plot_options.kind = *kind;
    jobs.push_back(std::move(job));
  }
  for (auto& j : jobs) {
    j.path = resolve(j.path);
    (void)viz::chart_format_for_path(j.path);  // an unknown extension is bad input: fail now
  }
  return jobs;
}

void render_charts(const std::vector<ChartJob>& jobs, const std::vector<TraceRecord>& records,
                   const viz::DiagramMeta& meta) {
  for (const auto& j : jobs) {
    if (j.timeline) {
      viz::render_timeline(records, meta, j.timeline_options, j.path);
    } else {
      viz::render_plot(records, meta, j.plot_options, j.path);
    }
  }
}

}  // namespace netsim::cli
