// libnetsim_mpi.so: the only code of netsim that calls MPI, behind the C table of
// scenarios/sweep/mpi_module.hpp. What to send is sweep_mpi.cpp's business.
#include "scenarios/sweep/mpi_module.hpp"

#include <mpi.h>

#include <string>
#include <vector>

namespace {

void init(int* rank, int* size) {
  MPI_Init(nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
}

void finalize() {
  MPI_Finalize();
}

void gather(const char* data, int length, netsim_mpi_sink sink, void* ctx) {
  int rank = 0, k = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &k);
  const auto n = static_cast<size_t>(k);
  std::vector<int> lengths(n), offsets(n);
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string all;
  if (rank == 0) {
    int total = 0;
    for (size_t r = 0; r < n; ++r) {
      offsets[r] = total;
      total += lengths[r];
    }
    all.resize(static_cast<size_t>(total));
  }
  MPI_Gatherv(data, length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0,
              MPI_COMM_WORLD);
  if (rank != 0) return;
  for (size_t r = 0; r < n; ++r) {
    sink(ctx, static_cast<int>(r), all.data() + offsets[r], static_cast<size_t>(lengths[r]));
  }
}

constexpr NetsimMpiApi kApi{kNetsimMpiAbi, init, finalize, gather};

}  // namespace

extern "C" __attribute__((visibility("default"))) const void* netsim_mpi_api() {
  return &kApi;
}
