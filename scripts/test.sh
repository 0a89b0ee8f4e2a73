#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: installs what is missing,
# builds, and runs every test (unit, mpi, e2e, slurm). Extra arguments go to
# ctest (e.g. `scripts/test.sh -L unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
source ci/mpi-env.sh
ctest --preset release --parallel 2 --timeout 900 "$@"
