#!/usr/bin/env bash
# Rehearse scripts/gpu/check.sh HERE, on the CPU, in a copy of the GPU image's Python: the image's interpreter
# and torch versions with the packages it holds that the project imports, and none of those it lacks. What this
# catches before a device call is spent: a wheel that does not install on that Python, an import that fails
# there, a test that fails on that Python, torch or numpy. The CUDA-only tests skip here, and the benchmarks
# and the reproduction need CUDA; those are left to the device call.
#
#     scripts/gpu/rehearse.sh                (from the repository root; needs the network, 6 GB in $TMPDIR)
#
# PYTHON312: an interpreter of the image's Python minor version (default: python3.12 on PATH, else pyenv's).
# The versions (the image's as the device notes give them, 2026-11): torch 2.11.0 (its CUDA wheel: it runs
# on the CPU too), numpy 2.5.2, pandas 3.1.1 (which check.sh's install replaces by pandas 2, as it will there).
# The venv is kept (REHEARSAL_VENV, default $TMPDIR/csro-image-venv) and reused by the next rehearsal.
set -euo pipefail

tmp="${TMPDIR:-/tmp}"
venv="${REHEARSAL_VENV:-$tmp/csro-image-venv}"
is_312() { "$1" -c 'import sys; assert sys.version_info[:2] == (3, 12)' > /dev/null 2>&1; }
if [ -n "${PYTHON312:-}" ]; then
    candidates=("$PYTHON312")
else  # a pyenv shim on PATH may name a version it will not run: each candidate is tried
    candidates=("$(command -v python3.12 || true)" "$HOME"/.pyenv/versions/3.12.*/bin/python3.12)
fi
py312=""
for candidate in "${candidates[@]}"; do
    if [ -n "$candidate" ] && is_312 "$candidate"; then py312="$candidate" && break; fi
done
if [ -z "$py312" ]; then
    echo "error: no Python 3.12 ('${candidates[*]}'): expected python3.12 on PATH, a pyenv 3.12 or" \
        "PYTHON312=/path/to/python3.12"
    exit 2
fi
image_packages=(torch==2.11.0 numpy==2.5.2 pandas==3.1.1 matplotlib scipy statsmodels seaborn pytest pytest-xdist
                pytest-timeout tensorboard click tqdm pyyaml packaging psutil imageio)

if [ ! -f "$venv/.image-packages" ]; then  # the marker comes last: an install cut short is done again
    "$py312" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "${image_packages[@]}"
    echo "${image_packages[*]}" > "$venv/.image-packages"
fi
"$venv/bin/python" -c "import sys, torch, numpy; print('rehearsal Python', sys.version.split()[0], 'torch', \
torch.__version__, 'numpy', numpy.__version__)"

[ -d wheels ] || scripts/gpu/fetch_wheels.sh wheels
# setup as the device call runs it (the carried wheels into a fresh site folder), then the suite on every core
rm -rf "$tmp/csro-gpu-site"
out="$tmp/csro-rehearsal-out"
OUT="$out" PYTHON="$venv/bin/python" bash scripts/gpu/check.sh setup || true  # (its steps are checked below)
cat "$tmp/csro-gpu-work/install.log" "$tmp/csro-gpu-work/imports.log"
for step in install imports; do  # check.sh goes on past a failed step (a device call should); a rehearsal stops
    if ! grep -q "^$step: exit 0 " "$out/summary.txt"; then
        echo "error: check.sh setup's $step step failed: expected 'exit 0' in $out/summary.txt (its log above)"
        exit 1
    fi
done
PYTHONPATH="$PWD:$tmp/csro-gpu-site" OMP_NUM_THREADS=1 \
    "$venv/bin/python" -m pytest -p no:cacheprovider -n auto --ignore tests/test_cluster.py
