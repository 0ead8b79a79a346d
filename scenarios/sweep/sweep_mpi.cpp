// The MPI side of `netsim sweep`: split the points by index modulo the number of ranks, run
// each share with run_sweep(), gather the encoded rows on rank 0 (MPI_Gatherv) and restore the
// grid order. Rows travel as length-prefixed strings, so no MPI datatype is needed.
#include "scenarios/sweep/sweep_mpi.hpp"

#include <mpi.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace netsim::sweep {
namespace {

void put(std::string& out, const std::string& s) {
  uint64_t n = s.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out += s;
}

std::string take(const std::string& in, size_t& at) {
  uint64_t n = 0;
  if (at + sizeof n > in.size()) throw std::runtime_error("sweep: truncated row data");
  std::memcpy(&n, in.data() + at, sizeof n);
  at += sizeof n;
  if (at + n > in.size()) throw std::runtime_error("sweep: truncated row data");
  std::string s = in.substr(at, n);
  at += n;
  return s;
}

}  // namespace

bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr;
}

MpiSession::MpiSession() {
  MPI_Init(nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  MPI_Finalize();
}

std::string encode_rows(const std::vector<SweepRow>& rows) {
  std::string out;
  put(out, std::to_string(rows.size()));
  for (const auto& r : rows) {
    put(out, r.expectations_failed ? "1" : "0");
    put(out, r.error);
    put(out, std::to_string(r.cells.size()));
    for (const auto& c : r.cells) {
      put(out, c.column);
      put(out, c.value);
      put(out, c.omit_if_zero ? "1" : "0");
    }
  }
  return out;
}

std::vector<SweepRow> decode_rows(const std::string& bytes) {
  size_t at = 0;
  std::vector<SweepRow> rows(std::stoull(take(bytes, at)));
  for (auto& r : rows) {
    r.expectations_failed = take(bytes, at) == "1";
    r.error = take(bytes, at);
    r.cells.resize(std::stoull(take(bytes, at)));
    for (auto& c : r.cells) {
      c.column = take(bytes, at);
      c.value = take(bytes, at);
      c.omit_if_zero = take(bytes, at) == "1";
    }
  }
  return rows;
}

SweepResult run_sweep_mpi(const MpiSession& mpi, const std::string& scenario_text,
                          const std::string& filename, const std::vector<SweepPoint>& points,
                          const SweepOptions& options) {
  SweepResult result;
  result.load_errors = validate_grid(scenario_text, filename, points);
  if (!result.load_errors.empty()) return result;
  const auto k = static_cast<size_t>(mpi.size());
  const auto rank = static_cast<size_t>(mpi.rank());
  std::vector<SweepPoint> mine;
  for (size_t i = rank; i < points.size(); i += k)
    mine.push_back(points[i]);
  std::string bytes = encode_rows(run_sweep(scenario_text, filename, mine, options).rows);

  int length = static_cast<int>(bytes.size());
  std::vector<int> lengths(k), offsets(k);
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string all;
  if (rank == 0) {
    int total = 0;
    for (size_t r = 0; r < k; ++r) {
      offsets[r] = total;
      total += lengths[r];
    }
    all.resize(static_cast<size_t>(total));
  }
  MPI_Gatherv(bytes.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
              0, MPI_COMM_WORLD);
  if (rank != 0) return result;
  // Rank r's j-th row is point r + j*k: put each back in its grid slot.
  result.rows.resize(points.size());
  for (size_t r = 0; r < k; ++r) {
    std::vector<SweepRow> rows =
        decode_rows(all.substr(static_cast<size_t>(offsets[r]), static_cast<size_t>(lengths[r])));
    for (size_t j = 0; j < rows.size(); ++j)
      result.rows[r + j * k] = std::move(rows[j]);
  }
  return result;
}

}  // namespace netsim::sweep
