#!/usr/bin/env bash
# Configures and builds tessera (release preset) into build/release.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
