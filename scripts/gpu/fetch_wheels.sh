#!/usr/bin/env bash
# Download HERE (a machine with the network) the wheels that scripts/gpu/check.sh installs on the GPU machine
# (Python 3.12, Linux x86_64, no network there; torch, and numpy with it, are installed there already).
#
#     scripts/gpu/fetch_wheels.sh [WHEEL_DIR]        (default: wheels/, ignored by git)
#
# The set is what stage 1, stage 2, the benchmarks and the CUDA tests import beyond torch and numpy, at the
# versions the suite passes with here (the venv's `pip freeze`, VENV_PYTHON): about 40 MB, which fits the
# device call's 64 MiB carry with the working tree. The report's stack (matplotlib, rliable, scipy, statsmodels:
# ~70 MB more) does not fit; the reduced reproduction stops before its report. One package at a time: a package
# with no 3.12 wheel on the index is built with `pip wheel` (antlr4-python3-runtime, hydra-core's parser
# runtime, ships only an sdist; pure Python, so the wheel built here installs on 3.12).
set -euo pipefail

dir="${1:-wheels}"
pip="${PIP:-python3 -m pip}"
venv_python="${VENV_PYTHON:-/work/main/.venv/bin/python}"
mkdir -p "$dir"

names=(hydra-core omegaconf antlr4-python3-runtime pyyaml packaging mujoco mujoco-core mujoco-studio glfw pyopengl
       gymnasium cloudpickle farama-notifications click tqdm pandas python-dateutil pytz tzdata six
       pytest iniconfig pluggy pygments)

pinned() {  # pinned NAME: NAME==VERSION as the venv has it, else NAME alone
    local line=""
    if [ -x "$venv_python" ]; then
        line=$("$venv_python" -m pip freeze 2>/dev/null | tr '_' '-' | grep -i "^$1==" || true)
    fi
    echo "${line:-$1}"
}

for name in "${names[@]}"; do
    spec=$(pinned "$name")
    $pip download --dest "$dir" --python-version 3.12 --platform manylinux2014_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 --implementation cp --only-binary=:all: \
        --no-deps --quiet "$spec" || $pip wheel --no-deps --quiet --wheel-dir "$dir" "$spec"
done
du -sh "$dir"
