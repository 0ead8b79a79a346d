// `netsim sweep`: reads the scenario once, expands the grid, runs it on J threads with a
// progress bar on a terminal, and writes the CSV (atomically when it is a file).
#include "cli/sweep_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "cli/commands.hpp"
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

}  // namespace

int sweep_command(const SweepArgs& args) {
  std::ifstream in(args.file, std::ios::binary);
  if (!in) {
    std::cerr << "netsim: " << args.file << ": cannot read the file\n";
    return kExitBadInput;
  }
  std::stringstream text;
  text << in.rdbuf();

  std::vector<sweep::SweepAxis> axes;
  try {
    for (const auto& s : args.sets)
      axes.push_back(sweep::parse_axis(s));
  } catch (const std::invalid_argument& e) {
    std::cerr << "netsim: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (args.seeds == 0 || args.jobs == 0) {
    std::cerr << "netsim: --seeds and -j must be at least 1\n";
    return kExitBadInput;
  }
  std::vector<sweep::SweepPoint> points = sweep::expand_grid(axes, args.seeds);

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
    mpi = std::make_unique<sweep::MpiSession>();
    options.on_progress = nullptr;
    result = sweep::run_sweep_mpi(*mpi, text.str(), args.file, points, options);
    if (mpi->rank() != 0) return result.load_errors.empty() ? kExitOk : kExitBadInput;
  } else {
    result = sweep::run_sweep(text.str(), args.file, points, options);
  }
#else
  result = sweep::run_sweep(text.str(), args.file, points, options);
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
