"""Both stages through their CLIs on every family but point-robot (tested in test_smoke): 2 tasks, a few
hundred SAC steps, 2 iterations."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rlkit.config import POINT_FAMILIES
from rlkit.logging import RETURN_COLUMNS, SPREAD_COLUMNS
from rlkit.reproduce.plan import ENV_CONFIGS
from rlkit.tasks import make_env
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # both stages of every family: seconds each

# every family of the reproduction's registry, as a new one joins it (point-robot: test_smoke)
CONFIGS = {env: Path(config).name for env, config in ENV_CONFIGS.items() if env != "point-robot"}


def _merged(base: dict, over: dict) -> dict:
    return {k: _merged(base[k], v) if isinstance(v, dict) and k in base else v for k, v in over.items()} | {
        k: v for k, v in base.items() if k not in over
    }


def tiny_config(name: str, work) -> str:
    """The family's shipped config (BRAC, context, weights kept) shrunk to seconds: the reproduction's tiny
    profile (its overrides on the shipped JSON), written out as a file for the CLIs."""
    from rlkit.reproduce.plan import profile

    p = profile(name, "tiny")
    assert p.config == f"configs/{CONFIGS[name]}"
    cfg = _merged(json.loads((ROOT / p.config).read_text()), p.overrides)
    assert cfg["env_name"] == name
    path = work / f"{name}-tiny.json"
    path.write_text(json.dumps(cfg))
    return str(path)


def invoke(command, args: list[str]) -> str:
    """A CLI's click command in this process (test_smoke runs them as subprocesses): four interpreter
    starts less per family."""
    result = CliRunner().invoke(command, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_both_stages_run_on_every_family(name, tmp_path, monkeypatch):
    import launch_experiment
    import policy_train
    import show_path
    from rlkit.data.__main__ import main as data_cli

    monkeypatch.chdir(tmp_path)  # the configs' data_dir and output folders are relative
    config = tiny_config(name, tmp_path)
    sac_config = "tiny_point" if name in POINT_FAMILIES else "tiny_mujoco"
    invoke(policy_train.main, ["--config", config, "--sac_config", sac_config, "--no-progress"])
    data = tmp_path / "offline_dataset" / f"{name}-tiny"
    lines = invoke(data_cli, ["check", str(data)]).strip().splitlines()
    assert len(lines) == 2 and all("2 checkpoints" in line and line.endswith("complete") for line in lines)
    assert (data / "goal_idx1" / "task_params.json").is_file() == make_env(name, n_tasks=2).supports_task_files

    invoke(launch_experiment.main, [config, "--seed", "0", "--exp_name", "smoke", "--no-progress"])
    run = tmp_path / "output" / name / "smoke" / "seed0"
    invoke(show_path.main, [str(run), "--runs", "1"])
    assert (run / "paths.png").stat().st_size > 1000
    df = pd.read_csv(run / "progress.csv")
    # (the tiny profile's meta-batch holds one task: the collapse guard's spread is NaN, nothing to measure)
    assert len(df) == 2 and np.isfinite(df.drop(columns=list(SPREAD_COLUMNS)).to_numpy()).all()
    assert df[list(SPREAD_COLUMNS)].isna().all().all()
    assert all(k in df.columns for k in RETURN_COLUMNS.values())
    if json.loads((ROOT / "configs" / CONFIGS[name]).read_text())["algo_params"].get("use_brac"):
        assert df["Dual Critic Loss"].abs().sum() > 0
