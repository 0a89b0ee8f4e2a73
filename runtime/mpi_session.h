#pragma once

// MpiSession: MPI_Init_thread / MPI_Finalize as RAII, owned by main.
//
// Asks for MPI_THREAD_MULTIPLE (data loading and communication run on
// background threads) and records what the library granted; doctor flags a
// lower level. The destructor finalizes only when no exception is unwinding:
// MPI_Finalize is collective, and calling it while one rank fails would make
// every other rank wait forever. Failing ranks end the job with abort().

#include <mpi.h>

#include "runtime/launch_info.h"

namespace tessera::runtime {

class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession() noexcept;
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  // The thread level MPI granted (MPI_THREAD_SINGLE ... MPI_THREAD_MULTIPLE).
  int thread_level() const { return thread_level_; }

  // Replaces rank, size, local rank/size and node rank in `info` with what the
  // MPI library reports (local = processes sharing this node's memory), and
  // records a warning when the environment disagreed.
  void refine(LaunchInfo& info) const;

  // Ends every rank of the job at once with `code`, without waiting on peers.
  [[noreturn]] static void abort(int code) noexcept;

 private:
  int thread_level_ = MPI_THREAD_SINGLE;
};

// The name of an MPI thread level ("MPI_THREAD_MULTIPLE").
const char* mpi_thread_level_name(int level);

}  // namespace tessera::runtime
