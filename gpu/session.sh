#!/usr/bin/env bash
# One device call on a GPU machine (its own torch, no Jupyter, no network):
# the GPU test tier, chapter 1's and chapter 3's full profiles, then the
# benchmarks, until the wall-clock budget runs out. Sweeps resume from the
# records already in results/, so a later call continues where this stopped.
# The device call returns at most 8 files, so every new record goes into one
# archive, $OUT/records.tgz (paths results/..., benchmarks/results/...), rebuilt
# after each step so that a call cut short still returns what finished, and
# all output into $OUT/session.log.
#   bash gpu/session.sh [budget_seconds, default 540] [stages, default "test mnist alphacode bench"]
# GOBIG_SESSION_DEVICE=cpu runs the same steps on a CPU (a dry run of this script);
# GOBIG_SESSION_WORKERS sets chapter 1's worker processes (default 4);
# GOBIG_SESSION_PROFILE the chapters' profile (default full; the tests use smoke);
# GOBIG_SESSION_COMPILE=true runs chapter 1 with COMPILE (default false).
set -u
cd "$(dirname "$0")/.."
budget=${1:-540}
# The book's records first; a chapter already complete costs seconds (its
# records travel with the tree), so later calls reach the benchmarks.
stages=${2:-test mnist alphacode bench}
for stage in $stages; do  # bad input stops here, before any compute
  case $stage in test|bench|mnist|alphacode) ;; *) echo "unknown stage '$stage' (allowed: test bench mnist alphacode)" >&2; exit 2 ;; esac
done
start=$(date +%s)
out=${OUT:-/tmp/gobig-out}
mkdir -p "$out"
exec > >(tee -a "$out/session.log") 2>&1
tee_pid=$!
stamp=$(mktemp) && touch "$stamp"
bundle() {  # the records written since the start, as one archive
  find results benchmarks/results -name '*.json' -newer "$stamp" -print0 | tar czf "$out/records.tgz.part" --null -T - && mv "$out/records.tgz.part" "$out/records.tgz"
}
if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit
  export PYTHONPATH=/tmp/site
fi
device=${GOBIG_SESSION_DEVICE:-cuda}
# Chapter 1's units are small models whose steps are bound by their process's
# Python and kernel launches, so several processes share the GPU (the sweep's
# WORKERS). 4 of the 16 cores: a first guess, not yet measured.
workers=${GOBIG_SESSION_WORKERS:-4}
profile=${GOBIG_SESSION_PROFILE:-full}
# Chapter 1's COMPILE: off until stacked_training --compile shows it pays on this GPU.
compile=${GOBIG_SESSION_COMPILE:-false}
export PYTHONPATH=$PWD/lib${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
[ "$device" = cuda ] && export GOBIG_REQUIRE_GPU=1
export GOBIG_DATA_DIR=${GOBIG_DATA_DIR:-$PWD/.carry/data}
[ -f .carry/commit ] && export GOBIG_GIT_COMMIT=$(cat .carry/commit)
[ "$device" = cuda ] && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
# A pool needs working semaphores (/dev/shm); without them, one process it is.
if (( workers > 1 )) && ! python3 -c "import multiprocessing as m; p = m.get_context('spawn').Pool(2); p.close(); p.join()"; then
  echo "== no process pool here: WORKERS=1"; workers=1
fi

left() { echo $(( budget - ($(date +%s) - start) )); }
step() {  # step NAME SECONDS COMMAND...: run with a timeout capped by what is left
  local name=$1 limit=$2; shift 2
  local remaining; remaining=$(left)
  (( remaining < 20 )) && { echo "== $name: skipped, ${remaining}s left"; return; }
  (( limit > remaining )) && limit=$remaining
  echo "== $name (at most ${limit}s)"
  local t0; t0=$(date +%s)
  timeout --signal=INT --kill-after=10 "$limit" "$@"
  echo "== $name: exit $? after $(( $(date +%s) - t0 ))s"
  bundle
}

for stage in $stages; do
  case $stage in
    # Not the smoke sweeps of test_train.py: CPU-only, and a minute of the budget.
    test) step gpu-tests 120 python3 -m pytest -q -p no:cacheprovider -m 'not smoke' tests/test_gpu.py tests/test_train.py ;;
    bench)  # the targets' benchmarks first; a step stopped at its cap writes no record
      # --compile: ours eager and compiled side by side, compile time apart (does compiling pay here?).
      step bench-mnist-99 240 python3 benchmarks/mnist_time_to_99.py --device $device --baseline-max-epochs 8 --compile --profile
      step bench-code-model 150 python3 benchmarks/code_model.py --device $device --profile --compile
      step bench-stacked 240 python3 benchmarks/stacked_training.py --device $device --profile --compile
      step bench-pgd 60 python3 benchmarks/pgd_throughput.py --device $device --profile
      step bench-workers 90 python3 benchmarks/sweep_workers.py --device $device --workers 1,$workers ;;
    mnist) step mnist-$profile 100000 python3 -m gobig run mnist --profile $profile --device $device --set WORKERS=$workers --set COMPILE=$compile ;;
    # Two workers: one split's judging (all cores) overlaps another's training and sampling (the GPU).
    alphacode) step alphacode-$profile 100000 python3 -m gobig run alphacode --profile $profile --device $device --set WORKERS=$(( workers > 1 ? 2 : 1 )) ;;
  esac
done
bundle
echo "== new records in records.tgz:"; tar tzf "$out/records.tgz" | sort
echo "== total $(( $(date +%s) - start ))s"
exec >&- 2>&-; wait "$tee_pid"  # session.log is complete before the call returns
