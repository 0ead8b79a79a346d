// `mpirun -np K netsim sweep ...` (docs/sweep.md): the same sweep spread over K MPI ranks.
// Rank r runs the points whose index is r modulo K (each on its own J threads); rank 0 gathers
// every row and puts it back in grid order, so the CSV is the one a single machine writes.
// Built only when CMake finds MPI (NETSIM_HAVE_MPI).
#pragma once

#include <string>
#include <vector>

#include "scenarios/sweep/sweep.hpp"

namespace netsim::sweep {

// True when this process was started by mpirun (OpenMPI's or a PMI launcher's environment).
bool launched_by_mpirun();

// Owns MPI_Init / MPI_Finalize for the command's lifetime.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0;
  int size_ = 1;
};

// Runs this rank's share and gathers: on rank 0 the result holds every row in grid order; on
// other ranks `rows` is empty. Every rank validates the whole grid first, so all agree on
// load_errors without talking.
SweepResult run_sweep_mpi(const MpiSession& mpi, const std::string& scenario_text,
                          const std::string& filename, const std::vector<SweepPoint>& points,
                          const SweepOptions& options);

// The wire form of rows between ranks (exposed for tests): length-prefixed strings.
std::string encode_rows(const std::vector<SweepRow>& rows);
std::vector<SweepRow> decode_rows(const std::string& bytes);

}  // namespace netsim::sweep
