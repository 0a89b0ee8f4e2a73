#include "launch/cli.h"

#include <mpi.h>

#include <cstdio>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/log.h"
#include "runtime/mpi_session.h"

namespace tessera::launch {
namespace {

// "[rank 1/4] " when MPI is up, else "".
std::string rank_prefix() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized == 0 || finalized != 0) {
    return {};
  }
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size > 1 ? fmt::format("[rank {}/{}] ", rank, size) : std::string();
}

[[noreturn]] void fail(const std::string& message, int code) {
  runtime::flush_logs();
  std::fprintf(stderr, "%serror: %s\n", rank_prefix().c_str(), message.c_str());
  std::fflush(stderr);
  runtime::MpiSession::abort(code);
}

}  // namespace

int run_cli(int argc, char** argv, runtime::JobRegistry registry) {
  Cli cli{&argc, &argv, std::move(registry), {}};
  CLI::App app("tessera: distributed training and simulation jobs from YAML", "tessera");
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  add_run_command(app, cli);
  add_validate_command(app, cli);
  add_jobs_command(app, cli);
  add_doctor_command(app, cli);
  add_version_command(app, cli);
  add_bench_command(app, cli);
  add_ckpt_command(app, cli);
  add_submit_command(app, cli);
  add_status_command(app, cli);
  add_qec_command(app, cli);
  add_data_command(app, cli);
  add_plot_command(app, cli);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadConfig;
  }
  try {
    return cli.action();
  } catch (const ConfigError& e) {
    fail(e.what(), kExitBadConfig);
  } catch (const std::exception& e) {
    fail(e.what(), kExitFailure);
  } catch (...) {
    fail("unknown exception", kExitFailure);
  }
}

}  // namespace tessera::launch
