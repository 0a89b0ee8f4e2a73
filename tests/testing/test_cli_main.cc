// tessera_test: the tessera CLI with the test suite's extra job kinds.

#include "jobs/register_jobs.h"
#include "launch/cli.h"
#include "tests/testing/test_jobs.h"

int main(int argc, char** argv) {
  tessera::runtime::JobRegistry registry;
  tessera::jobs::register_jobs(registry);
  tessera::testing::register_test_jobs(registry);
  return tessera::launch::run_cli(argc, argv, std::move(registry));
}
