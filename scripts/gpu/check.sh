#!/usr/bin/env bash
# The GPU checks of the capture work in one device call (or two, by phase): install the carried wheels, run the
# CUDA tests and the suite's fast part on the GPU, the capture benchmarks, and the point-robot paper-profile
# reproduction reduced to what fits.
#
#     scripts/gpu/check.sh [--dry-run] [PHASE ...]      (run from the repository root; default: every phase)
#
# Phases and their timeouts (seconds; each step has its own, so that a hang costs only its share):
#   setup      environment 20, install 40, imports 20 (always run first, whatever phases are named)
#   tests      the CUDA-only tests 200 (`-m cuda`, 4 workers; the fused losses and BOREL compile to Triton there;
#              on the 2026-12-04 H200, with test_graphs.py's CPU tests beside them and one worker: 122 s with a warm
#              compile cache, past 120 s on a cold one); the rest of the suite 190 (115 s on that H200 without
#              test_graphs.py's CPU tests; the GPU visible, 14 pytest-xdist workers taking tests one by one; Ray's
#              tests left out: no Ray there)
#   bench      meta_train_speed 110 (eager, eager-plain-adam, captured, captured-fused, pairwise: each variant's
#              line printed as it ends, so a timeout keeps those done), behaviour_sac_speed 40 at the
#              faithful settings (train_point: 1.4 TFLOP an update of 40 tasks, so fp32 compute may bound it)
#              and 20 at the demo's (demo_point: 2.8 GFLOP, launch-bound)
#   reproduce  the issue's one command (paper profile, CSRO, seed 0, captured) cut off at 80 s (REPRODUCE_SECONDS
#              sets another limit; with CALL_SECONDS instead, it gets what the steps before it left): its logs give
#              the throughput of each stage, from which the whole run's wall time is estimated (a later call on
#              the same, still warm, machine resumes it from the work folder; a fresh machine starts it anew)
# All of them: about 720 s, more than one 10-minute call. With 15 minutes of device time (a session's), the
# 2026-12-04 H200 session ran every phase in one call (CALL_SECONDS=572, timeout_s 590: 562 s, the machine's start
# and its 4 phases; the CUDA tests were cut off then), the CUDA tests again (127 s) and `REPRODUCE_SECONDS=118
# check.sh reproduce` on the same warm machine, each call issued within its 30 s of warmth: 870 s in all. With
# the limits now: `CALL_SECONDS=572 check.sh tests bench reproduce` leaves the reproduction what the rest did not
# use; `check.sh tests` (470 s) then `check.sh bench reproduce` splits it, the second call's CALL_SECONDS the
# session's device time left after the first (`budget_left_s` of its reply) less 30, its timeout_s 15 more: a call
# given more than the session has left is cut off by the device tool, not by this script. Each call drops the logs
# of the one before.
#
# What comes back: the device call returns at most 8 files from $OUT, so the logs and the runs' small files are
# written to a work folder and packed after every step: $OUT/summary.txt (one line per step, then its figures: the
# GPU and versions, the benchmarks', the tests' last lines) and $OUT/logs.tar.gz (every log, the reproduction's
# progress.csv, report and first lines), so that a call cut off from outside keeps every step that ended.
#
# CALL_SECONDS: the device call's own limit less a margin; every step's timeout is cut to what is left of it
# (10 s kept for packing the logs, 5 more for the SIGKILL that follows a timeout's SIGTERM when a step ignores it),
# and a step with under 5 s left is skipped, so that the call ends with its logs. --dry-run lists the steps and
# their timeouts as a real run would set them if every step ran to its timeout (its clock counts each one's).
#
# Exit status: 0 when every step that ran exited 0 (the reproduction's cut-off at its limit, 124 or 137, is meant
# and counts as 0), else 1; each step's own status (124 a timeout, 137 a step killed after it) is in summary.txt.
# Never 124 or 137 itself: the device tool reads those as the whole call having run past its limit. It comes after
# summary.txt and logs.tar.gz are written, so a failed call brings back all they hold. A step skipped because
# CALL_SECONDS ran out is named in summary.txt and does not fail the call.
#
# Wheels: WHEELS (default wheels/, from scripts/gpu/fetch_wheels.sh, named in the call's carry). PYTHON: the
# interpreter (default python3, the machine's, which holds torch).
set -uo pipefail
started=$(date +%s)

dry_run=0
phases=()
for arg in "$@"; do
    case "$arg" in
        --dry-run) dry_run=1 ;;
        setup | tests | bench | reproduce) phases+=("$arg") ;;
        *) echo "error: unknown argument '$arg': expected --dry-run or phases from setup, tests, bench, reproduce"; exit 2 ;;
    esac
done
[ ${#phases[@]} -eq 0 ] && phases=(tests bench reproduce)
for var in CALL_SECONDS REPRODUCE_SECONDS; do  # (bash arithmetic would read a word as a variable, 0)
    value="${!var:-}"
    if [ -n "$value" ] && ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
        echo "error: $var='$value': expected a whole number of seconds, at least 1"; exit 2
    fi
done
wants() { [[ " ${phases[*]} " == *" $1 "* ]]; }

OUT="${OUT:-/tmp/csro-gpu-out}"
work="${TMPDIR:-/tmp}/csro-gpu-work"
site="${TMPDIR:-/tmp}/csro-gpu-site"
wheels="${WHEELS:-wheels}"
py="${PYTHON:-python3}"
mkdir -p "$OUT" "$work"
rm -f "$work"/*.log  # a second call on a warm machine: no log of the first one passes for this one's
summary="$OUT/summary.txt"
: > "$summary"

kill_after=5  # a step still running this long after its timeout's SIGTERM gets SIGKILL (a hang that ignores TERM)
dry_spent=0   # a dry run's clock: the seconds its steps would have taken had each run to its timeout
failed=0      # 1 once a step has failed: the script's own status at the end
elapsed() { echo $(( $(date +%s) - started + dry_spent )); }

step() {  # step [--cut-off] NAME SECONDS COMMAND...: run it under a timeout, output to $work/NAME.log, a line in
    # summary.txt; --cut-off: the timeout is the step's planned end, not a failure
    local cut_off=0
    [ "$1" = --cut-off ] && { cut_off=1; shift; }
    local name="$1" seconds="$2"
    shift 2
    if [ -n "${CALL_SECONDS:-}" ]; then  # no step outlasts the call: it would be killed before the logs are packed
        local left=$(( CALL_SECONDS - $(elapsed) - 10 - kill_after ))
        if [ "$left" -lt 5 ]; then
            echo "$name: skipped, CALL_SECONDS=$CALL_SECONDS spent" | tee -a "$summary"
            return 0
        fi
        [ "$seconds" -gt "$left" ] && seconds=$left
    fi
    if [ "$dry_run" = 1 ]; then
        echo "[dry-run] $name (timeout ${seconds}s): $*" | tee -a "$summary"
        dry_spent=$(( dry_spent + seconds ))
        return 0
    fi
    local t0 rc note=""
    t0=$(date +%s)
    timeout -k "$kill_after" "$seconds" "$@" > "$work/$name.log" 2>&1
    rc=$?
    if [ "$cut_off" = 1 ] && { [ "$rc" = 124 ] || [ "$rc" = 137 ]; }; then
        note=" (cut off at its limit, as planned)"
    elif [ "$rc" != 0 ]; then
        failed=1
    fi
    echo "$name: exit $rc after $(( $(date +%s) - t0 )) s$note" | tee -a "$summary"
    figures "$name" >> "$summary"
    pack
    return 0
}

figures() {  # figures NAME: what step NAME's log gives summary.txt (the GPU, the versions, the benchmarks' figures,
    # a test run's last lines), written as the step ends
    local log="$work/$1.log"
    [ -f "$log" ] || return 0
    case "$1" in
        environment) tail -n 2 "$log" ;;  # (Python's version; torch's, CUDA's and the GPU's name)
        imports | bench-*) grep -h "imports\|torch \|ms/step\|updates/s\|ratio\|busy\|launch\|peak\|device" "$log" ;;
        *) echo "== $1"; grep -E "passed|failed|error|Error" "$log" | tail -n 6; tail -n 2 "$log" ;;
    esac
}

pack() {  # the logs and the runs' small files (no data, no snapshots) in $OUT/logs.tar.gz, anew after every step:
    # a call cut off from outside (the session's device time spent) keeps what the steps before it logged
    [ "$dry_run" = 1 ] && return 0
    (cd "$work" && find . -maxdepth 1 -name "*.log" -print; \
        find reproduce results -type f \( -name "*.csv" -o -name "*.md" -o -name "*.json" -o -name "*.txt" \
        -o -name "*.png" \) -size -4096k -print 2>/dev/null || true) | tar -czf "$OUT/.logs.tar.gz.part" -C "$work" -T - \
        && mv "$OUT/.logs.tar.gz.part" "$OUT/logs.tar.gz"
}

# the carried wheels go into a folder first on PYTHONPATH, not a venv: the machine's python3 is itself a venv
# holding torch, and a venv made from it would not see torch (install_wheels.py says more)
export PYTHONPATH="$PWD:$site" PYTHONUNBUFFERED=1
unset CSRO_CAPTURE  # capture as a GPU user gets it: on for CUDA runs (the tests set it where they compare)
step environment 20 bash -c 'nvidia-smi; "$0" -c "import sys, torch; print(sys.version); print(torch.__version__, \
torch.version.cuda, torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)"' \
    "$py"
if [ -d "$wheels" ]; then
    step install 40 "$py" scripts/gpu/install_wheels.py "$wheels" "$site"
else
    echo "no $wheels/ folder: expected scripts/gpu/fetch_wheels.sh's output carried along" | tee -a "$summary"
fi
step imports 20 "$py" -c "import hydra, mujoco, gymnasium, rliable, pandas, torch, rlkit.experiment, rlkit.report
print('torch', torch.__version__, 'pandas', pandas.__version__, 'mujoco', mujoco.__version__)"

if wants tests; then
    # first the tests that only CUDA runs (marked `cuda`, tests/conftest.py), 4 at a time where pytest-xdist is
    # there (each compiles its own Triton kernels); then the rest of the suite on this Python, the GPU visible (so
    # CUDA is every run's default device), spread over the machine's cores (without xdist the fast part alone)
    if "$py" -c "import xdist" 2> /dev/null; then
        step cuda-tests 200 env OMP_NUM_THREADS=4 "$py" -m pytest -p no:cacheprovider -n 4 -m cuda tests
        step suite 190 env OMP_NUM_THREADS=1 "$py" -m pytest -p no:cacheprovider -n 14 -m "not cuda" \
            --ignore tests/test_cluster.py
    else
        step cuda-tests 200 "$py" -m pytest -p no:cacheprovider -m cuda tests
        step suite 190 "$py" -m pytest -p no:cacheprovider -m "not slow and not cuda" --ignore tests/test_cluster.py
    fi
fi
if wants bench; then
    step bench-meta-train 110 "$py" benchmarks/meta_train_speed.py --device cuda --steps 100
    step bench-behaviour-sac 40 "$py" benchmarks/behaviour_sac_speed.py --device cuda --tasks 40 --updates 50
    step bench-behaviour-sac-demo 20 "$py" benchmarks/behaviour_sac_speed.py --device cuda --tasks 40 --updates 100 \
        --sac_config demo_point
fi
if wants reproduce; then
    seconds="${REPRODUCE_SECONDS:-80}"
    # with CALL_SECONDS and no REPRODUCE_SECONDS: whatever the call has left (`step` caps it to that)
    [ -z "${REPRODUCE_SECONDS:-}" ] && [ -n "${CALL_SECONDS:-}" ] && seconds=$CALL_SECONDS
    step --cut-off reproduce-paper "$seconds" "$py" -m rlkit.reproduce point-robot --profile paper --methods CSRO \
        --seeds 0 --gpu 0 --capture --out "$work/reproduce" --results "$work/results" --data_dir "$work/data"
fi

pack  # (an archive even where every step was skipped for want of time)
echo "done: $summary ($([ "$failed" = 1 ] && echo "a step failed: exit 1" || echo "every step that ran passed"))"
exit "$failed"
