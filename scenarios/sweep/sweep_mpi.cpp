// The MPI side of `netsim sweep`: split the points by index modulo the number of ranks, run
// each share with run_sweep(), gather the encoded rows on rank 0 (MPI_Gatherv) and restore the
// grid order. Rows travel as length-prefixed strings, so no MPI datatype is needed. The MPI
// calls themselves are in libnetsim_mpi.so (mpi_module.cpp), loaded by MpiSession.
#include "scenarios/sweep/sweep_mpi.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "scenarios/sweep/mpi_module.hpp"
#include "sim/plugin.hpp"

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

namespace {

const NetsimMpiApi& mpi_api() {
#ifdef NETSIM_MPI_BUILD_PATH
  const char* build_path = NETSIM_MPI_BUILD_PATH;
  const char* build_root = NETSIM_BUILD_ROOT;
#else
  const char* build_path = nullptr;
  const char* build_root = nullptr;
#endif
  // RTLD_GLOBAL: OpenMPI dlopen()s its own MCA components, which expect libmpi's symbols in the
  // global scope (they fail with "undefined symbol" when libmpi was loaded RTLD_LOCAL).
  static const LoadedPlugin loaded = load_plugin({.file = "libnetsim_mpi.so",
                                                  .env = "NETSIM_MPI_MODULE",
                                                  .build_path = build_path,
                                                  .build_root = build_root,
                                                  .entry = "netsim_mpi_api",
                                                  .abi = kNetsimMpiAbi,
                                                  .global = true});
  if (!loaded.table) {
    throw std::runtime_error(fmt::format(
        "sweep: under mpirun, but the MPI module libnetsim_mpi.so could not be loaded; tried {}",
        loaded.tried));
  }
  return *static_cast<const NetsimMpiApi*>(loaded.table);
}

void append_rank(void* ctx, int, const char* data, size_t length) {
  static_cast<std::vector<std::string>*>(ctx)->emplace_back(data, length);
}

}  // namespace

MpiSession::MpiSession() {
  mpi_api().init(&rank_, &size_);
}

MpiSession::~MpiSession() {
  mpi_api().finalize();
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

  std::vector<std::string> per_rank;  // rank 0 only: rank r's encoded rows
  mpi_api().gather(bytes.data(), static_cast<int>(bytes.size()), append_rank, &per_rank);
  if (rank != 0) return result;
  // Rank r's j-th row is point r + j*k: put each back in its grid slot.
  result.rows.resize(points.size());
  for (size_t r = 0; r < k; ++r) {
    std::vector<SweepRow> rows = decode_rows(per_rank.at(r));
    for (size_t j = 0; j < rows.size(); ++j)
      result.rows[r + j * k] = std::move(rows[j]);
  }
  return result;
}

}  // namespace netsim::sweep
