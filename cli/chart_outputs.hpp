// The charts `netsim run` writes — outputs.timeline and outputs.plots of the scenario,
// --timeline FILE and --plot KIND=FILE on the command line: checked before the run (a bad kind
// or extension is bad input), drawn from the run's records after it (viz/timeline_chart.hpp,
// viz/plot.hpp).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "scenarios/loader/scenario.hpp"
#include "sim/trace.hpp"
#include "viz/plot.hpp"
#include "viz/timeline_chart.hpp"

namespace netsim::cli {

struct ChartJob {
  std::string path;
  bool timeline = false;
  viz::TimelineOptions timeline_options;
  viz::PlotOptions plot_options;
};

// Throws viz::ChartError for an extension other than .svg/.png or a --plot that is not
// KIND=FILE with a known kind. `resolve` turns a file name into the path to write.
std::vector<ChartJob> chart_jobs(const OutputsSpec& outputs,
                                 const std::vector<std::string>& timelines,
                                 const std::vector<std::string>& plots,
                                 const std::function<std::string(const std::string&)>& resolve);

void render_charts(const std::vector<ChartJob>& jobs, const std::vector<TraceRecord>& records,
                   const viz::DiagramMeta& meta);

}  // namespace netsim::cli
