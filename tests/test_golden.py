"""Regression: two small seeded runs (CSRO, and CSRO with BRAC) must reproduce the committed
progress.csv files (rlkit's golden test), column by column.

The golden runs, and the tiny behaviour dataset they train on, run in float64 on one thread in a
fresh process (`python tests/test_golden.py WORK`). In float64 a CPU's choice of kernels (MKL's
AVX2 or AVX-512 GEMM, oneDNN's blocking, ATen's vector width) changes a sum by ~1e-16 relative
instead of float32's ~1e-7, so even after 300 training steps and the online rollouts that amplify
rounding, every host of this kind lands within a tolerance far below the smallest change a
mutation of the algorithm makes. The float32 speed paths (the fused CPU linear) keep their own
equivalence tests (tests/test_networks.py).

After an intended change of behaviour, regenerate with `python scripts/update_golden.py` (it
measures the spread over kernel variants on the host it runs on) and say why in the commit message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY_CONFIG = ROOT / "configs" / "test" / "point-robot-tiny.json"
GOLDEN_DIR = ROOT / "tests" / "golden"
TOLERANCES = GOLDEN_DIR / "tolerances.json"

# name -> overrides of the tiny config. Enough steps that every return moves between iterations;
# reward_scale 1 (not the tiny config's 100) so that V, and with it the discount, weighs in the
# critic's target within 300 steps: at 100 a 1% change of the discount stayed below the spread.
GOLDEN_RUNS = {
    "csro": {"algo_params": {"num_iterations": 3, "num_train_steps_per_itr": 100, "reward_scale": 1.0}},
    "brac": {
        "algo_params": {"num_iterations": 3, "num_train_steps_per_itr": 100, "reward_scale": 1.0, "use_brac": True}
    },
}
# One thread (the thread count changes the order of float sums) for every library that has its own.
PINNED_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"point-robot-tiny-{name}-progress.csv"


def golden_runs(work: Path, env: dict[str, str] | None = None, dtype: str = "float64") -> dict[str, pd.DataFrame]:
    """Every golden run's progress.csv (timing columns dropped), computed in a fresh process in `dtype`
    under this environment plus `env` (kernel variables such as MKL_CBWR, read when torch loads).
    float32 is there only for `scripts/update_golden.py` to show the spread the float64 runs avoid."""
    work.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), str(work), dtype],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
            **PINNED_ENV,
            **(env or {}),
        },
    )
    if proc.returncode != 0:
        raise AssertionError(f"golden runs failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return {name: pd.read_csv(work / f"{name}.csv") for name in GOLDEN_RUNS}


def _compute(work: Path, dtype: str) -> None:
    """In this process: `dtype`, one thread; the tiny dataset through stage 1's CLI, then each golden run."""
    import torch

    torch.set_default_dtype(getattr(torch, dtype))
    torch.set_num_threads(1)
    sys.path.insert(0, str(ROOT))
    import policy_train
    from rlkit.config import load_config
    from rlkit.experiment import MetaTrainer, prepare
    from rlkit.logging import TIMING_COLUMNS

    os.chdir(work)
    policy_train.main.main(
        # the golden numbers are the CPU's: stage 1 too stays there on a machine with CUDA (its default there)
        ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--no-progress", "--gpu", "-1"],
        standalone_mode=False,
    )
    for name, overrides in GOLDEN_RUNS.items():
        overrides = json.loads(json.dumps(overrides))
        overrides["algo_params"]["data_dir"] = str(work / "offline_dataset" / "point-robot-tiny")
        overrides["util_params"] = {"exp_name": f"golden-{name}", "base_log_dir": str(work / "output")}
        MetaTrainer(prepare(load_config(TINY_CONFIG, overrides), 0, torch.device("cpu")), show_progress=False).run()
        progress = work / "output" / "point-robot" / f"golden-{name}" / "seed0" / "progress.csv"
        pd.read_csv(progress).drop(columns=TIMING_COLUMNS).to_csv(work / f"{name}.csv", index=False)


def deviations(got: pd.DataFrame, want: pd.DataFrame, tol: dict[str, float]) -> list[str]:
    """'column: max |got - want| > tolerance' for every column outside its tolerance."""
    out = []
    for col in want.columns:
        dev = float(np.max(np.abs(got[col].to_numpy() - want[col].to_numpy())))
        if not dev <= tol[col]:
            out.append(f"{col}: {dev:.3g} > {tol[col]:.3g}")
    return out


@pytest.fixture(scope="module")
def golden_frames(tmp_path_factory) -> dict[str, pd.DataFrame]:
    return golden_runs(tmp_path_factory.mktemp("golden"))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(GOLDEN_RUNS))
def test_matches_golden(name, golden_frames):
    got, want = golden_frames[name], pd.read_csv(golden_path(name))
    assert list(got.columns) == list(want.columns)
    bad = deviations(got, want, json.loads(TOLERANCES.read_text())["runs"][name])
    assert not bad, f"golden run {name!r} differs from {golden_path(name).name}:\n" + "\n".join(bad)


@pytest.mark.parametrize("name", list(GOLDEN_RUNS))
def test_golden_tolerances_see_one_iteration_of_change(name):
    """A column that changes between iterations must change by more than its tolerance: otherwise a
    run whose rows were the previous iteration's values would still pass."""
    want = pd.read_csv(golden_path(name))
    tol = json.loads(TOLERANCES.read_text())["runs"][name]
    assert set(tol) == set(want.columns)
    stale = want.shift(1).iloc[1:]  # each row replaced by the previous iteration's
    moves = (want.iloc[1:] - stale).abs()  # every move must exceed the tolerance, not only the largest
    blind = [c for c in want.columns if (moves[c][moves[c] > 0] <= tol[c]).any()]
    assert not blind, f"tolerances of {name!r} do not see one iteration of change in {blind}"


def test_data_follows_torch_default_dtype():
    """The golden runs' robustness to CPU kernels rests on float64 all the way: the data's tensors
    take torch's default dtype (float32 unless a caller, here the golden process, sets float64)."""
    import torch

    from rlkit.data.buffer import MultiTaskBuffer
    from rlkit.data.dataset import Trajectories

    data = {
        0: Trajectories(
            *(np.zeros((4, d), np.float32) for d in (2, 2)),
            np.zeros(4, np.float32),
            np.zeros((4, 2), np.float32),
            np.zeros(4, np.float32),
            np.array([4]),
        )
    }
    assert MultiTaskBuffer(data, 2, 2, torch.device("cpu")).data.dtype == torch.float32
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert MultiTaskBuffer(data, 2, 2, torch.device("cpu")).data.dtype == torch.float64
    finally:
        torch.set_default_dtype(before)


if __name__ == "__main__":
    _compute(Path(sys.argv[1]), sys.argv[2])
