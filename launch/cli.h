#pragma once

// The `tessera` command line. run_cli() is all of main(); test binaries call
// it with a registry that holds extra job kinds.

#include <functional>

#include <CLI/CLI.hpp>

#include "runtime/job_registry.h"

namespace tessera::launch {

// Exit codes of the tessera command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // a rank failed (the job was ended)
inline constexpr int kExitBadConfig = 2;    // bad config or command line; nothing ran
inline constexpr int kExitStopped = 3;      // stopped by a signal or the time limit, after a checkpoint

// What the subcommands share. Each add_*_command() registers one subcommand
// whose callback stores the work to do in `action`.
struct Cli {
  int* argc;
  char*** argv;
  runtime::JobRegistry registry;
  std::function<int()> action;
};

void add_run_command(CLI::App& app, Cli& cli);
void add_validate_command(CLI::App& app, Cli& cli);
void add_jobs_command(CLI::App& app, Cli& cli);
void add_doctor_command(CLI::App& app, Cli& cli);
void add_version_command(CLI::App& app, Cli& cli);
void add_bench_command(CLI::App& app, Cli& cli);
void add_ckpt_command(CLI::App& app, Cli& cli);
void add_submit_command(CLI::App& app, Cli& cli);
void add_status_command(CLI::App& app, Cli& cli);
void add_qec_command(CLI::App& app, Cli& cli);
void add_data_command(CLI::App& app, Cli& cli);
void add_plot_command(CLI::App& app, Cli& cli);

// Parses the command line and runs the chosen command. Any exception ends
// every rank of the job: the message is printed with this rank and MPI_Abort
// (or exit) follows, with kExitFailure (kExitBadConfig for ConfigError).
int run_cli(int argc, char** argv, runtime::JobRegistry registry);

}  // namespace tessera::launch
