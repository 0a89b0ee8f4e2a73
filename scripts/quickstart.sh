#!/usr/bin/env bash
# The main job on 2 ranks, from nothing: installs what is missing, builds,
# converts Fashion-MNIST (Debian's dataset-fashion-mnist) into WebDataset
# shards, trains the deep autoencoder with `mpirun -np 2`, and draws its
# curves. Run it again to resume (or see a finished run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
source ci/mpi-env.sh
tessera=build/release/bin/tessera
if [ ! -f data/fmnist/fmnist-test-000009.tar ]; then
  "$tessera" data convert fashion-mnist --out data/fmnist
fi
mpirun -np 2 "$tessera" run configs/quickstart.yaml
"$tessera" plot runs/quickstart
