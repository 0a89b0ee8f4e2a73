#!/usr/bin/env bash
# Open MPI settings for running many ranks on a small machine, as root if need
# be (CI runs as root on 2 cores). Source it: `source ci/mpi-env.sh`.
#
#   OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM)   mpirun refuses root without both.
#   OMPI_MCA_rmaps_base_oversubscribe  allow more ranks than cores (-np 4 on 2).
#   OMPI_MCA_hwloc_base_binding_policy=none  don't pin ranks to cores.
#   OMPI_MCA_mpi_yield_when_idle       waiting ranks yield the core instead of
#                                      spinning (matters when oversubscribed,
#                                      also for ranks started by srun).
#   PRTE_MCA_rmaps_default_mapping_policy  the same for Open MPI 5 (PRRTE).
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_mpi_yield_when_idle=1
export PRTE_MCA_rmaps_default_mapping_policy=:oversubscribe
