#!/usr/bin/env bash
# Installs everything tessera needs from Debian 12 packages (only what is
# missing; a no-op when all is there). Uses sudo when not run as root.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git python3 tar gzip
  # libraries
  libtorch-dev libopenblas-dev libopenmpi-dev openmpi-bin libhdf5-dev libcereal-dev
  libboost-dev libboost-graph-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libxxhash-dev zlib1g-dev libpng-dev libjpeg-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev clang libclang-rt-dev
  # plots and real data
  gnuplot-nox dataset-fashion-mnist fortunes
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_install() {
  $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}"
}
apt_install >/tmp/tessera-setup.log 2>&1 || {
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -q >>/tmp/tessera-setup.log 2>&1
  apt_install >>/tmp/tessera-setup.log 2>&1
} || { echo "setup: apt-get failed; see /tmp/tessera-setup.log" >&2; tail -20 /tmp/tessera-setup.log >&2; exit 1; }
echo "setup: done"
