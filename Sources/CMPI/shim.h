// Open MPI's C interface for Swift. MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM and friends are macros
// over Open MPI's global objects, which Swift cannot import, so they are wrapped as functions.
#ifndef SWIFT_LAYERS_CMPI_SHIM_H
#define SWIFT_LAYERS_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm swiftlayers_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype swiftlayers_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype swiftlayers_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Op swiftlayers_mpi_sum(void) { return MPI_SUM; }
static inline int swiftlayers_mpi_success(void) { return MPI_SUCCESS; }
static inline void *swiftlayers_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int swiftlayers_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
#endif
