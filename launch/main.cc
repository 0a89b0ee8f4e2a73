// The tessera executable: every registered job kind, and the CLI.

#include "jobs/register_jobs.h"
#include "launch/cli.h"

int main(int argc, char** argv) {
  tessera::runtime::JobRegistry registry;
  tessera::jobs::register_jobs(registry);
  return tessera::launch::run_cli(argc, argv, std::move(registry));
}
