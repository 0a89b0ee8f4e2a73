#!/usr/bin/env bash
# More kill -9 trials than the test suite's 20 (issue 5): the test_state job
# under `mpirun -np 2`, checkpointing every 2 steps, is killed (SIGKILL of one
# random rank) at a random moment; then LATEST must name a valid checkpoint,
# the resume must succeed, lose at most one checkpoint interval, and end in
# the same bytes as an uninterrupted run. Prints one line per trial and a
# summary.
#
#   scripts/checkpoint_kill_trials.sh [TRIALS=100] [BUILD_DIR=build/release]
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-100}
build=${2:-build/release}
bin="$PWD/$build/bin/tessera_test"
[ -x "$bin" ] || { echo "kill-trials: build tessera_test first ($bin missing)" >&2; exit 1; }
source ci/mpi-env.sh
work=$(mktemp -d /tmp/tessera-kill-trials-XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/job.yaml" <<YAML
job: test_state
name: kill-trials
seed: 3
steps: 16
local_size: 150000
replicated_size: 150000
shard_size: 150000
announce: true
checkpoint: {every_steps: 2, keep: 3}
YAML
interval=2
mpirun_args=(mpirun --mca odls_base_sigkill_timeout 0 -np 2)

final_sum() { cat "$1/final/rank-00000.bin" "$1/final/rank-00001.bin" | cksum; }

"${mpirun_args[@]}" "$bin" run "$work/job.yaml" "output.dir=$work/ref" >"$work/ref.log" 2>&1
expected=$(final_sum "$work/ref")

skipped=0 mid_write=0 latest_ok=0 resumed_ok=0 identical=0 max_lost=0 failures=0
for ((t = 1; t <= trials; t++)); do
  run="$work/run"
  rm -rf "$run"
  setsid "${mpirun_args[@]}" "$bin" run "$work/job.yaml" "output.dir=$run" >"$work/kill.log" 2>&1 &
  mpirun_pid=$!
  # A random moment after the first step, while the job runs (~1.5 s).
  for ((w = 0; w < 1500; w++)); do grep -q 'test_state step' "$work/kill.log" && break; sleep 0.02; done
  sleep "$(printf '0.%03d' $((RANDOM % 800)))"
  ranks=($(cat /proc/$mpirun_pid/task/*/children 2>/dev/null || true))
  if [ "${#ranks[@]}" -lt 2 ]; then
    wait $mpirun_pid || true
    echo "trial $t: the job ended before the kill; skipped"
    skipped=$((skipped + 1))
    continue
  fi
  victim=${ranks[$((RANDOM % 2))]}
  reached=$( (grep -o 'test_state step [0-9]*' "$work/kill.log" || true) | tail -1 | awk '{print $3}')
  kill -9 "$victim"
  tmp=no
  ls "$run/checkpoints" 2>/dev/null | grep -q '\.tmp$' && { tmp=yes; mid_write=$((mid_write + 1)); }
  wait $mpirun_pid || true
  ok=yes
  if "$bin" ckpt list "$run" 2>/dev/null | grep -q ' valid (LATEST)$'; then
    latest_ok=$((latest_ok + 1))
  elif [ ! -e "$run/checkpoints/LATEST" ] && (( ${reached:-0} < interval )); then
    latest_ok=$((latest_ok + 1))  # killed before the first checkpoint: nothing to lose
  else
    ok=no
  fi
  if "${mpirun_args[@]}" "$bin" run "$work/job.yaml" "output.dir=$run" >"$work/resume.log" 2>&1; then
    resumed_ok=$((resumed_ok + 1))
  else
    ok=no
  fi
  from=$( (grep -o '(step [0-9]*)' "$work/resume.log" || true) | head -1 | tr -dc '0-9')
  lost=$(( ${reached:-0} + 1 - ${from:-0} ))
  (( lost > max_lost )) && max_lost=$lost
  (( lost > interval )) && ok=no
  if [ "$(final_sum "$run")" = "$expected" ]; then identical=$((identical + 1)); else ok=no; fi
  [ $ok = yes ] || { failures=$((failures + 1)); cp "$work/kill.log" "/tmp/kill-trial-$t.log"; cp "$work/resume.log" "/tmp/resume-trial-$t.log"; }
  echo "trial $t: reached step ${reached:-0}, mid-write $tmp, resumed from ${from:-fresh}, lost $lost, ok $ok"
done
echo "kill-trials: $trials trials ($skipped skipped: the job ended first); $mid_write killed mid-write; LATEST valid $latest_ok; resumed $resumed_ok;" \
     "identical final state $identical; max steps lost $max_lost (interval $interval); failures $failures"
[ "$failures" -eq 0 ]
