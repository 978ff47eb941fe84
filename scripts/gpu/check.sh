#!/usr/bin/env bash
# One 10-minute device call: install the carried wheels, run the CUDA tests and the suite's fast part on the GPU,
# the capture benchmarks, and the point-robot paper-profile reproduction reduced to what fits; everything under $OUT.
#
#     scripts/gpu/check.sh [--dry-run]          (run from the repository root; wheels/ from scripts/gpu/fetch_wheels.sh)
#
# Budget (seconds, each step under its own timeout so that a hang costs only its share): environment 30, install 60,
# CUDA tests 150 (the fused losses compile to Triton there), suite (the fast part) 90, benchmarks 130 (the
# captured-fused variant compiles too), reproduction 110: 570 s of the 600. The reproduction is
# the one command (paper profile, CSRO, seed 0, captured) cut off by its timeout: stage 1 (40 tasks) and
# stage 2 both resume from their saved states, so carrying $OUT/data and $OUT/reproduce back into later calls
# finishes it; its logs give the throughput from which the whole run's wall time is estimated.
set -uo pipefail

dry_run=0
[ "${1:-}" = "--dry-run" ] && dry_run=1
OUT="${OUT:-/tmp/csro-gpu-out}"
mkdir -p "$OUT"
py="${PYTHON:-python3}"
summary="$OUT/summary.txt"
: > "$summary"

step() {  # step NAME SECONDS COMMAND...: run it under a timeout, output to $OUT/NAME.log, a line in summary.txt
    local name="$1" seconds="$2"
    shift 2
    if [ "$dry_run" = 1 ]; then
        echo "[dry-run] $name (timeout ${seconds}s): $*" | tee -a "$summary"
        return 0
    fi
    local t0 rc
    t0=$(date +%s)
    timeout "$seconds" "$@" > "$OUT/$name.log" 2>&1
    rc=$?
    echo "$name: exit $rc after $(( $(date +%s) - t0 )) s" | tee -a "$summary"
    return 0
}

export PYTHONPATH="$PWD" CSRO_CAPTURE=0
step environment 30 bash -c "nvidia-smi; $py -c 'import sys, torch; print(sys.version); print(torch.__version__, \
torch.version.cuda, torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)'"
if [ -d wheels ]; then
    # a venv over the machine's packages (torch) when it can be made, so that nothing is installed system-wide
    venv="${TMPDIR:-/tmp}/csro-gpu-venv"
    if [ "$dry_run" = 0 ] && "$py" -m venv --system-site-packages "$venv" > /dev/null 2>&1; then
        py="$venv/bin/python"
    fi
    step install 60 "$py" -m pip install --no-index --find-links wheels --no-deps wheels/*.whl
else
    echo "no wheels/ folder: expected scripts/gpu/fetch_wheels.sh's output carried along" | tee -a "$summary"
fi
step cuda-tests 150 "$py" -m pytest -q -p no:cacheprovider tests/test_graphs.py tests/test_gradient_flow.py \
    -k "not on_the_cpu"
step suite-fast 90 "$py" -m pytest -q -p no:cacheprovider -x tests/test_losses.py tests/test_networks.py \
    tests/test_buffer.py tests/test_experiment.py tests/test_layers.py
step bench-meta-train 90 "$py" benchmarks/meta_train_speed.py --device cuda --steps 200
step bench-behaviour-sac 40 "$py" benchmarks/behaviour_sac_speed.py --device cuda --tasks 40 --updates 50
step reproduce-paper 110 "$py" -m rlkit.reproduce point-robot --profile paper --methods CSRO --seeds 0 --gpu 0 \
    --capture --out "$OUT/reproduce" --results "$OUT/results" --data_dir "$OUT/data"
if [ "$dry_run" = 0 ]; then
    grep -h "ms/step\|updates/s\|ratio" "$OUT"/bench-*.log >> "$summary" 2>/dev/null
    tail -n 3 "$OUT/cuda-tests.log" "$OUT/suite-fast.log" >> "$summary" 2>/dev/null
fi
echo "done: $summary"
