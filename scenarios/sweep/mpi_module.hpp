// The C interface between `netsim sweep` and libnetsim_mpi.so, the module that holds every call
// into MPI. netsim loads it with dlopen() only under mpirun, so no other run pays for linking
// OpenMPI at start-up (docs/performance.md).
#pragma once

#include <cstddef>

extern "C" {

// Receives one rank's bytes; `ctx` is the caller's.
typedef void (*netsim_mpi_sink)(void* ctx, int rank, const char* data, std::size_t length);

// Bumped whenever a field changes; the loader refuses a module of another version.
constexpr int kNetsimMpiAbi = 1;

struct NetsimMpiApi {
  int abi;
  // MPI_Init, then this process's rank and the number of ranks in MPI_COMM_WORLD.
  void (*init)(int* rank, int* size);
  void (*finalize)();
  // Every rank passes its bytes; rank 0's sink is called once per rank, in rank order, with
  // that rank's bytes (MPI_Gather of the lengths, then MPI_Gatherv). Other ranks' sink is not.
  void (*gather)(const char* data, int length, netsim_mpi_sink sink, void* ctx);
};

// The module's one exported symbol: its NetsimMpiApi table, returned as `const void*` because
// sim/plugin.cpp calls every module's entry through one `const void* (*)()` type (a call
// through another function type is undefined, and UBSan's -fsanitize=function stops it).
const void* netsim_mpi_api();
}
