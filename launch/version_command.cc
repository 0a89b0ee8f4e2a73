// tessera version: the version and the build's features.

#include <mpi.h>

#include <fmt/format.h>

#include "launch/cli.h"
#include "runtime/build_config.h"

namespace tessera::launch {
namespace {

int print_version() {
  char mpi_version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(mpi_version, &length);
  std::string mpi(mpi_version, static_cast<std::size_t>(length));
  mpi = mpi.substr(0, mpi.find(','));
  fmt::print("tessera {}\n  cuda: {}\n  nccl: {}\n  mpi: {}\n", TESSERA_VERSION,
             TESSERA_HAVE_CUDA ? "yes" : "no", TESSERA_HAVE_NCCL ? "yes" : "no", mpi);
  return kExitOk;
}

}  // namespace

void add_version_command(CLI::App& app, Cli& cli) {
  CLI::App* command = app.add_subcommand("version", "Print the version and the build's features");
  command->callback([&cli] { cli.action = print_version; });
}

}  // namespace tessera::launch
