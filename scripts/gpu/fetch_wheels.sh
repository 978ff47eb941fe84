#!/usr/bin/env bash
# Download HERE (a machine with the network) the wheels that scripts/gpu/check.sh installs on the GPU machine
# (Python 3.12, Linux x86_64, no network there; torch is already installed there, so it is left out).
#
#     scripts/gpu/fetch_wheels.sh [WHEEL_DIR]        (default: wheels/, ignored by git)
#
# antlr4-python3-runtime (hydra-core's parser runtime) ships only as an sdist: it is built into a wheel with
# `pip wheel` (pure Python, so a wheel built here installs on 3.12).
set -euo pipefail

dir="${1:-wheels}"
pip="${PIP:-python3 -m pip}"
mkdir -p "$dir"

# the versions the suite passes with here (the venv's `pip freeze`, VENV_PYTHON), else pyproject.toml's ranges;
# never torch, its CUDA libraries, ray (not needed for the check) or this project itself
venv_python="${VENV_PYTHON:-/work/main/.venv/bin/python}"
if [ -x "$venv_python" ]; then
    mapfile -t packages < <("$venv_python" -m pip freeze --exclude-editable \
        | grep -viE '^(torch|nvidia-|triton|ray|csro|antlr4-python3-runtime)([=_-]|$)' | grep '==')
else
    packages=(numpy "pandas>=2.1,<3" "gymnasium[mujoco]>=1.0" "mujoco>=3.1" "hydra-core>=1.3" omegaconf "click>=8.1"
              "tensorboard>=2.15" "matplotlib>=3.8" "tqdm>=4.66" "rliable>=1.2" farama-notifications glfw pyopengl
              "pytest>=8")
fi

$pip wheel --no-deps --wheel-dir "$dir" "antlr4-python3-runtime==4.9.*"
for spec in "${packages[@]}"; do  # one at a time: a package with no 3.12 wheel (rliable ships an sdist) is built
    $pip download --dest "$dir" --python-version 3.12 --platform manylinux2014_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 --implementation cp --only-binary=:all: \
        --no-deps --quiet "$spec" || $pip wheel --no-deps --quiet --wheel-dir "$dir" "$spec"
done
# torch and its CUDA libraries are on the GPU machine already: drop any that came along as dependencies
find "$dir" -maxdepth 1 \( -name 'torch-*' -o -name 'nvidia_*' -o -name 'triton-*' \) -delete
du -sh "$dir"
