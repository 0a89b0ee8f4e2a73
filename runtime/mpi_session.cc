#include "runtime/mpi_session.h"

#include <cstdlib>
#include <exception>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/mpi_check.h"

namespace tessera::runtime {

std::string mpi_error_string(int code) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) {
    return fmt::format("MPI error {}", code);
  }
  return std::string(text, static_cast<std::size_t>(length));
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized != 0) {
    throw InternalError("MpiSession: MPI is already initialised");
  }
  if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &thread_level_) != MPI_SUCCESS) {
    throw CommError(CommSite{.backend = "mpi", .op = "MPI_Init_thread"}, "MPI failed to start");
  }
  // Errors come back as codes that TESSERA_MPI_CHECK turns into exceptions.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

MpiSession::~MpiSession() noexcept {
  if (std::uncaught_exceptions() > 0) {
    return;  // see the class comment: never finalize while failing
  }
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized == 0) {
    MPI_Finalize();
  }
}

void MpiSession::refine(LaunchInfo& info) const {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (info.launcher != Launcher::kNone && (rank != info.rank || size != info.size)) {
    info.warnings.push_back(fmt::format(
        "the launcher ({}) says rank {} of {}, MPI says rank {} of {}: MPI was not wired "
        "up by the launcher (for srun use --mpi=pmix)",
        launcher_name(info.launcher), info.rank, info.size, rank, size));
  }
  info.rank = rank;
  info.size = size;

  MPI_Comm node = MPI_COMM_NULL;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node) ==
      MPI_SUCCESS) {
    MPI_Comm_rank(node, &info.local_rank);
    MPI_Comm_size(node, &info.local_size);
    // Node index = number of distinct nodes whose lowest rank is below ours.
    int leader = info.local_rank == 0 ? 1 : 0;
    int leaders_before = 0;
    MPI_Exscan(&leader, &leaders_before, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    int first_rank_on_node = rank;
    MPI_Allreduce(MPI_IN_PLACE, &first_rank_on_node, 1, MPI_INT, MPI_MIN, node);
    // Ranks on one node share the count of leaders before their leader.
    int node_index = rank == first_rank_on_node ? (rank == 0 ? 0 : leaders_before) : 0;
    MPI_Allreduce(MPI_IN_PLACE, &node_index, 1, MPI_INT, MPI_MAX, node);
    info.node_rank = node_index;
    MPI_Comm_free(&node);
  }
  info.mpi_wired = true;
  info.source = "mpi";
}

void MpiSession::abort(int code) noexcept {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized != 0 && finalized == 0) {
    MPI_Abort(MPI_COMM_WORLD, code);
  }
  std::_Exit(code);
}

const char* mpi_thread_level_name(int level) {
  switch (level) {
    case MPI_THREAD_SINGLE:
      return "MPI_THREAD_SINGLE";
    case MPI_THREAD_FUNNELED:
      return "MPI_THREAD_FUNNELED";
    case MPI_THREAD_SERIALIZED:
      return "MPI_THREAD_SERIALIZED";
    case MPI_THREAD_MULTIPLE:
      return "MPI_THREAD_MULTIPLE";
    default:
      return "unknown";
  }
}

}  // namespace tessera::runtime
