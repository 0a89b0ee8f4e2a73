#!/usr/bin/env bash
# Fuzzes the tar reader, sample grouping and decoders with libFuzzer for a
# bounded time: builds tests/datasets/fuzz/tar_reader_fuzz.cc with clang
# (-fsanitize=fuzzer,address,undefined), seeds a corpus with archives made by
# GNU tar (gnu, pax, ustar, gzip), and runs.
#
#   scripts/fuzz_tar.sh [SECONDS] [libFuzzer options...]    (default 60 s)
#   TESSERA_FUZZ_DIR=build/fuzz (build output and corpus; crashes land there)
#
# Exit status: 0 when nothing was found, non-zero with the crashing input
# saved as $TESSERA_FUZZ_DIR/crash-* otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
out=${TESSERA_FUZZ_DIR:-build/fuzz}
mkdir -p "$out/obj" "$out/corpus"
command -v clang++ >/dev/null || { echo "fuzz_tar: clang++ not found; run scripts/setup.sh" >&2; exit 1; }

# The torch-free, network-free part of datasets/ the target reaches.
sources=(datasets/tar_reader.cc datasets/shard_reader.cc datasets/byte_source.cc datasets/gzip_source.cc
         datasets/decode.cc datasets/npy.cc datasets/image_decode.cc runtime/error.cc
         tests/datasets/fuzz/tar_reader_fuzz.cc)
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
       -I. -DSPDLOG_FMT_EXTERNAL -DSPDLOG_COMPILED_LIB -DFMT_SHARED)
launcher=""
command -v ccache >/dev/null && launcher=ccache
objects=()
for src in "${sources[@]}"; do
  obj="$out/obj/$(echo "$src" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find datasets runtime -name '*.h' -newer "$obj" -print -quit)" ]; then
    $launcher clang++ "${flags[@]}" -c "$src" -o "$obj"
  fi
  objects+=("$obj")
done
clang++ -fsanitize=fuzzer,address,undefined "${objects[@]}" -o "$out/tar_reader_fuzz" \
  -lfmt -lyaml-cpp -lz -lpng -ljpeg -lpthread

# Seeds: small archives of every dialect.
seed=$(mktemp -d)
trap 'rm -rf "$seed"' EXIT
mkdir -p "$seed/in/sub"
printf 1 > "$seed/in/a.cls"; printf '{"x": 1}' > "$seed/in/a.json"; printf 2 > "$seed/in/sub/b.cls"
printf '%0150d' 0 > "$seed/in/sub/$(printf 'k%.0s' {1..120}).txt"
for format in gnu pax ustar v7; do
  (cd "$seed/in" && tar --format="$format" -cf "$seed/$format.tar" a.cls a.json sub 2>/dev/null) || true
done
(cd "$seed/in" && tar --format=pax -czf "$seed/pax.tar.gz" a.cls sub)
cp "$seed"/*.tar "$seed"/*.tar.gz "$out/corpus/"

echo "fuzz_tar: running for ${seconds}s (corpus $out/corpus)"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  "$out/tar_reader_fuzz" "$out/corpus" -dict=tests/datasets/fuzz/tar.dict -max_len=16384 -timeout=10 \
  -rss_limit_mb=2048 -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/" "$@"
