// main() of the slurm tests: skips the whole binary (exit 77, which ctest
// reports as "Skipped") when no local Slurm can run them, and keeps two runs
// of the suite on one machine from sharing the cluster at once (one run's
// urgent job would preempt the other's jobs).

#include <cstdio>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include "tests/slurm/scenarios.h"
#include "tests/slurm/slurm_cluster.h"

namespace tessera::testing {
namespace {

Scenarios* the_scenarios = nullptr;

constexpr int kSkipped = 77;

}  // namespace

Scenarios& scenarios() {
  return *the_scenarios;
}

}  // namespace tessera::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string why = tessera::testing::slurm_unavailable_reason();
  if (!why.empty()) {
    std::printf("SKIPPED: the slurm tests need a running local Slurm: %s\n", why.c_str());
    return tessera::testing::kSkipped;
  }
  const char* lock_path = "/tmp/tessera-slurm-tests.lock";
  int lock = ::open(lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0666);
  if (lock >= 0 && ::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    std::printf("waiting for another run of the slurm tests on this machine (%s)\n", lock_path);
    std::fflush(stdout);
    ::flock(lock, LOCK_EX);
  }
  tessera::testing::the_scenarios = new tessera::testing::Scenarios();  // gtest owns it
  ::testing::AddGlobalTestEnvironment(tessera::testing::the_scenarios);
  return RUN_ALL_TESTS();
}
