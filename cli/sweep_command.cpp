// `netsim sweep`: reads the scenario once, expands the grid, runs it on J threads with a
// progress bar on a terminal, and writes the CSV (atomically when it is a file).
#include "cli/sweep_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "cli/commands.hpp"
#include "scenarios/loader/loader.hpp"
#include "scenarios/sweep/sweep.hpp"
#include "sim/atomic_file.hpp"
#ifdef NETSIM_HAVE_MPI
#include <memory>

#include "scenarios/sweep/sweep_mpi.hpp"
#endif

namespace netsim::cli {
namespace {

// "[#########-----------]  12/40 runs" redrawn in place on stderr.
void draw_progress(size_t done, size_t total) {
  constexpr size_t kWidth = 30;
  size_t filled = total ? done * kWidth / total : kWidth;
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '-');
  std::fprintf(stderr, "\r[%s] %zu/%zu runs", bar.c_str(), done, total);
  if (done == total) std::fprintf(stderr, "\r%60s\r", "");
  std::fflush(stderr);
}

// Reads the scenario with a bound, checks -o and expands the grid; an error message (and
// exit 2) if anything is wrong. /dev/zero must not fill memory, `-o s.yaml` must not replace
// the scenario (issue 17).
std::optional<std::string> prepare(const SweepArgs& args, std::string& text,
                                   std::vector<sweep::SweepPoint>& points) {
  try {
    check_distinct_paths({{"-o", args.output}}, {{"the scenario file", args.file}});
    (void)output_kind(args.output);
  } catch (const AtomicFileError& e) {
    return e.what();
  }
  std::ifstream in(args.file, std::ios::binary);
  if (!in) return args.file + ": cannot read the file";
  // At most the scenario size limit, +1 to notice more.
  const auto limit = static_cast<size_t>(ScenarioLimits{}.max_file_bytes);
  text.assign(limit + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > limit) {
    return fmt::format("{}: the file is larger than {} bytes (the max_file_bytes limit)", args.file,
                       limit);
  }
  if (args.seeds == 0 || args.jobs == 0) return "--seeds and -j must be at least 1";
  if (args.jobs > sweep::max_jobs()) {
    return fmt::format("-j: expected at most {} threads (4 x the {} cores), found {}",
                       sweep::max_jobs(), sweep::max_jobs() / 4, args.jobs);
  }
  try {
    std::vector<sweep::SweepAxis> axes;
    for (const auto& s : args.sets)
      axes.push_back(sweep::parse_axis(s));
    points = sweep::expand_grid(axes, args.seeds);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return std::nullopt;
}

}  // namespace

int sweep_command(const SweepArgs& args) {
  std::string text;
  std::vector<sweep::SweepPoint> points;
  if (auto error = prepare(args, text, points)) {
    std::cerr << "netsim: " << *error << "\n";
    return kExitBadInput;
  }

  sweep::SweepOptions options;
  options.jobs = args.jobs;
  if (args.max_events) options.max_events = args.max_events;
  bool tty = isatty(STDERR_FILENO) && std::getenv("CI") == nullptr && !args.quiet;
  if (tty) options.on_progress = draw_progress;

  sweep::SweepResult result;
#ifdef NETSIM_HAVE_MPI
  // Under mpirun every rank runs its share; only rank 0 prints and writes (docs/sweep.md).
  std::unique_ptr<sweep::MpiSession> mpi;
  if (sweep::launched_by_mpirun()) {
    try {
      mpi = std::make_unique<sweep::MpiSession>();
    } catch (const std::runtime_error& e) {  // libnetsim_mpi.so missing or unusable
      std::cerr << "netsim: " << e.what() << "\n";
      return kExitBadInput;
    }
    options.on_progress = nullptr;
    result = sweep::run_sweep_mpi(*mpi, text, args.file, points, options);
    if (mpi->rank() != 0) return result.load_errors.empty() ? kExitOk : kExitBadInput;
  } else {
    result = sweep::run_sweep(text, args.file, points, options);
  }
#else
  result = sweep::run_sweep(text, args.file, points, options);
#endif
  if (!result.load_errors.empty()) {
    std::cerr << result.load_errors;
    return kExitBadInput;
  }
  try {
    AtomicFile out(args.output);
    out.stream() << sweep::to_csv(result.rows);
    out.commit();
  } catch (const AtomicFileError& e) {
    std::cerr << "netsim: " << e.what() << "\n";
    return kExitBadInput;
  }
  size_t failed = result.failed_runs();
  if (!args.quiet) {
    std::cerr << fmt::format(
        "netsim: {} runs ({} grid points x {} seeds), {} with a failed "
        "expectation or an error\n",
        points.size(), points.size() / args.seeds, args.seeds, failed);
  }
  return failed ? kExitExpectFailed : kExitOk;
}

}  // namespace netsim::cli
