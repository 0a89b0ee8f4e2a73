#!/usr/bin/env bash
# The main job on 2 ranks, from nothing: installs what is missing, builds, and
# runs it with mpirun.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
source ci/mpi-env.sh
mpirun -np 2 build/release/bin/tessera doctor
