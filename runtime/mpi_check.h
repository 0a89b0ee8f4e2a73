#pragma once

// Turns an MPI status code into a tessera::CommError naming the call.

#include <mpi.h>

#include <string>

#include "runtime/error.h"

namespace tessera::runtime {

// The MPI library's text for `code`.
std::string mpi_error_string(int code);

}  // namespace tessera::runtime

// Checks an MPI call made on communicator `comm`; `op` names the operation.
#define TESSERA_MPI_CHECK(call, site)                                                   \
  do {                                                                                  \
    int tessera_mpi_rc_ = (call);                                                       \
    if (tessera_mpi_rc_ != MPI_SUCCESS) {                                               \
      throw ::tessera::CommError((site), ::fmt::format("{} failed: {}", #call,          \
                                 ::tessera::runtime::mpi_error_string(tessera_mpi_rc_))); \
    }                                                                                   \
  } while (false)
