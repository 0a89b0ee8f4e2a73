#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: installs what is missing,
# builds, brings up a local single-node Slurm for the `slurm` tests
# (ci/slurm-up.sh), runs every test (unit, mpi, e2e, slurm), and stops the
# Slurm it started. Extra arguments go to ctest (e.g. `scripts/test.sh -L unit`).
#
# TESSERA_TEST_SLURM=0 leaves Slurm alone (the slurm tests then skip, saying
# why, unless a cluster is already up). A cluster that was up before is used
# and left running. Several runs at once on one machine share the cluster; the
# last one to finish stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
source ci/mpi-env.sh

# Each run holds a shared lock while it uses the cluster; whoever can take it
# exclusively at the end is the last user.
users_lock="${TMPDIR:-/tmp}/tessera-slurm-users.lock"
started_mark="${TMPDIR:-/tmp}/tessera-slurm-started-by-tests"
slurm_in_use=0
stop_slurm() {
  [ "$slurm_in_use" = 1 ] || return 0
  if flock -xn 9 && [ -e "$started_mark" ]; then
    echo "test: stopping the Slurm cluster these tests started"
    bash ci/slurm-down.sh || true
    rm -f "$started_mark"
  fi
}
if [ "${TESSERA_TEST_SLURM:-1}" != 0 ]; then
  exec 9>>"$users_lock"
  flock -s 9
  slurm_in_use=1
  trap stop_slurm EXIT
  export PATH="$PATH:/usr/sbin:/sbin"
  if command -v scontrol >/dev/null 2>&1 && scontrol ping 2>/dev/null | grep -q UP; then
    echo "test: using the Slurm cluster that is already up"
  elif bash ci/slurm-up.sh 9>&-; then
    touch "$started_mark"
  else
    echo "test: could not start a local Slurm (see above); the slurm tests will be skipped"
  fi
fi

ctest --preset release --parallel 2 --timeout 900 "$@"
