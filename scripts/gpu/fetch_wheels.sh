#!/usr/bin/env bash
# Download HERE (a machine with the network) the wheels that scripts/gpu/check.sh installs on the GPU machine
# (Python 3.12, Linux x86_64, no network there).
#
#     scripts/gpu/fetch_wheels.sh [WHEEL_DIR]        (default: wheels/, ignored by git; carry it in the device call)
#
# The set is what the project imports that the GPU image this was written for lacks (its package list, as of
# 2026-11: torch, numpy, matplotlib, scipy, statsmodels, seaborn, pytest, click, tqdm, tensorboard are there;
# hydra, MuJoCo, gymnasium and rliable are not), at the versions the suite passes with here (the venv's `pip freeze`,
# VENV_PYTHON), plus pandas 2 with its time-zone packages in case the image's pandas is 3 (the project needs <3 for
# rliable's arch). scripts/gpu/install_wheels.py installs there only those missing or refused. One package at a
# time, binary wheels for the Python asked for; antlr4-python3-runtime (hydra-core's parser runtime) and rliable
# (here) have only an sdist and are built here with `pip wheel` (pure Python: the wheel installs on any Python 3).
# PY_VERSION=3.11 fetches for this machine's Python instead (a rehearsal of the install here).
set -euo pipefail

dir="${1:-wheels}"
pip="${PIP:-python3 -m pip}"
venv_python="${VENV_PYTHON:-$(dirname "$0")/../../.venv/bin/python}"

py_version="${PY_VERSION:-3.12}"
names=(hydra-core omegaconf antlr4-python3-runtime mujoco mujoco-core mujoco-studio mujoco-studio-wasm websockets glfw
       pyopengl gymnasium farama-notifications rliable arch pandas pytz tzdata)

# the versions are the venv's: without it (or without a package in it) the newest would be fetched, a set the suite
# never passed with (hydra-core's antlr 4.13 parser runtime fails to import, arch 8 breaks rliable)
if [ ! -x "$venv_python" ]; then
    echo "error: no venv Python '$venv_python' to pin the wheels' versions: expected 'make install' run in this" \
        "checkout, or VENV_PYTHON=/path/to/its/python" >&2
    exit 2
fi
frozen=$("$venv_python" -m pip freeze 2>/dev/null | tr '_' '-' || true)  # (no pip there: each package is missing)
pinned() {  # pinned NAME: NAME==VERSION as the venv has it
    local line
    line=$(grep -i "^$1==" <<< "$frozen" || true)
    if [ -z "$line" ]; then
        echo "error: $1 is not installed in the venv '$venv_python': expected 'make install' (the versions to pin)" >&2
        exit 2
    fi
    echo "$line"
}

specs=()
for name in "${names[@]}"; do  # every version first: a missing one stops before anything is fetched
    specs+=("$(pinned "$name")") || exit 2
done
mkdir -p "$dir"
# an earlier fetch's wheels go: a version the venv no longer pins would stand beside the new one, and the GPU
# machine's install_wheels.py refuses a set of two versions of a package (the whole call's checks then fail)
rm -f "$dir"/*.whl
sdist_only=" antlr4-python3-runtime rliable "  # pure Python, no wheel on the index: built here, for any Python 3
for i in "${!names[@]}"; do
    name="${names[$i]}" spec="${specs[$i]}"
    if [[ "$sdist_only" == *" $name "* ]]; then
        $pip wheel --no-deps --quiet --wheel-dir "$dir" "$spec"
        continue
    fi
    $pip download --dest "$dir" --python-version "$py_version" --platform manylinux2014_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 --implementation cp --only-binary=:all: \
        --no-deps --quiet "$spec"
done
du -sh "$dir"
