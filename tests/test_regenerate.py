"""Saved behaviour networks, and more episodes from them without retraining (policy_train.py --regenerate)."""
import shutil

import numpy as np
import pytest
import torch

from policy_train import load_sac_config
from rlkit.behaviour import train_task_group
from rlkit.data.dataset import (load_task_data, read_checkpoint, read_networks, saved_network_steps, task_dir)
from rlkit.torch.sac.vector_sac import SACParams, VectorSAC
from tests.conftest import ROOT, TINY_CONFIG, run_cli


def test_saved_networks_are_the_checkpoints_policy(tmp_path):
    """Task 2's saved actor, alone in a one-task SAC, takes the actions of the deterministic episode
    that its group's SAC wrote at the same checkpoint."""
    _, sched, sac = load_sac_config("tiny_point", [])
    train_task_group("point-robot", {"n_tasks": 6, "max_episode_steps": 20}, [0, 2], sched, sac, tmp_path,
                     torch.device("cpu"), progress="off")
    tdir = task_dir(tmp_path, 2)
    assert saved_network_steps(tdir) == sched.expected_checkpoints(20) == [100, 200]
    doc = read_networks(tdir, 200)
    agent = VectorSAC(1, 2, 2, SACParams.from_dict(doc["sac"]), 0, torch.device("cpu"))
    agent.load_state_dict(doc["state"])
    episode = read_checkpoint(tdir, 200, "eval")
    with torch.no_grad():
        actions = agent.policy(torch.as_tensor(episode.obs)[None], None).action[0].numpy()
    np.testing.assert_allclose(actions, episode.actions, atol=1e-5)
    rows = (tdir / "returns.csv").read_text().splitlines()
    assert rows[0] == "checkpoint,stochastic_return,deterministic_return" and [r.split(",")[0] for r in rows[1:]] == ["100", "200"]
    assert float(rows[2].split(",")[2]) == pytest.approx(float(episode.rewards.sum()), rel=1e-6)


@pytest.fixture
def data(tiny_data, tmp_path):
    """A private copy of the tiny dataset (6 tasks, checkpoints 100 and 200, 3 stochastic episodes each)."""
    dst = tmp_path / "offline_dataset" / "point-robot-tiny"
    shutil.copytree(tiny_data, dst)
    return dst


def regen(cwd, *args, check=True):
    return run_cli([str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--sac_config", "tiny_point",
                    "--regenerate", *args], cwd=cwd, check=check)


def test_regenerate_writes_more_episodes_deterministically(data, tmp_path):
    regen(tmp_path, "--n_trj", "4", "--checkpoints", "200", "--seed", "3")
    extra = read_checkpoint(task_dir(data, 5), 200, "sample", extra=True)
    assert extra.n_traj == 4 and not (task_dir(data, 5) / "step100_extra.npz").exists()
    original = read_checkpoint(task_dir(data, 5), 200, "sample")
    loaded = load_task_data(data, 5, [200], "sample", 7, "point-robot", 2, 2)  # 3 of its own + 4 regenerated
    np.testing.assert_array_equal(loaded.obs, np.concatenate([original.obs, extra.obs]))

    before = (task_dir(data, 5) / "step200_extra.npz").read_bytes()
    proc = regen(tmp_path, "--n_trj", "4", "--checkpoints", "200", "--seed", "3", check=False)
    assert proc.returncode == 2 and "step200_extra.npz' exists: expected a new file (pass --overwrite" in proc.stderr
    assert (task_dir(data, 5) / "step200_extra.npz").read_bytes() == before
    regen(tmp_path, "--n_trj", "4", "--checkpoints", "200", "--seed", "3", "--overwrite")
    again = read_checkpoint(task_dir(data, 5), 200, "sample", extra=True)
    np.testing.assert_array_equal(again.actions, extra.actions)  # same seed, same episodes
    regen(tmp_path, "--n_trj", "4", "--checkpoints", "200", "--seed", "4", "--overwrite")
    assert not np.array_equal(read_checkpoint(task_dir(data, 5), 200, "sample", extra=True).actions, extra.actions)
    assert run_cli(["-m", "rlkit.data", "check", str(data)], cwd=ROOT).returncode == 0


def test_regenerate_bad_input_writes_nothing(data, tmp_path):
    proc = regen(tmp_path, "--checkpoints", "200,300", check=False)
    assert proc.returncode == 2 and "checkpoint(s) [300] of" in proc.stderr and "expected some of [100, 200]" in proc.stderr
    assert not list(data.glob("goal_idx*/step*_extra.npz"))
    shutil.rmtree(task_dir(data, 4) / "networks")
    proc = regen(tmp_path, check=False)
    assert proc.returncode == 2 and "holds no saved behaviour networks (the data has checkpoints [100, 200])" in proc.stderr
    assert not list(data.glob("goal_idx*/step*_extra.npz"))  # tasks 0-3 were fine, but nothing was written
    proc = run_cli([str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--n_trj", "3"], cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "apply to --regenerate only" in proc.stderr


def test_curves_of_the_behaviour_policies(data, tmp_path):
    from rlkit.behaviour.curves import behaviour_returns
    from rlkit.tasks import make_env, oracle_return
    proc = run_cli(["-m", "rlkit.data", "curves", str(data)], cwd=ROOT)
    png, csv = data / "behaviour_curves.png", data / "behaviour_returns.csv"
    assert f"wrote {png}" in proc.stdout and png.stat().st_size > 20_000
    import pandas as pd
    table = pd.read_csv(csv)
    assert len(table) == 6 * 2 and sorted(table["task"].unique()) == list(range(6))
    row = table[(table["task"] == 3) & (table["checkpoint"] == 200)].iloc[0]
    episodes = read_checkpoint(task_dir(data, 3), 200, "sample")
    assert row["stochastic_return"] == pytest.approx(float(episodes.rewards.sum()) / episodes.n_traj, rel=1e-5)
    env = make_env("point-robot", n_tasks=6, randomize_tasks=0, max_episode_steps=20)
    assert row["oracle_return"] == pytest.approx(oracle_return(env, 3))
    for t in range(6):  # without returns.csv (e.g. an imported dataset) the same numbers come from the step files
        (task_dir(data, t) / "returns.csv").unlink()
    recomputed = behaviour_returns(data)
    np.testing.assert_allclose(recomputed["stochastic_return"], table["stochastic_return"], rtol=1e-5)


def test_curves_of_an_empty_folder(tmp_path):
    proc = run_cli(["-m", "rlkit.data", "curves", str(tmp_path)], cwd=ROOT, check=False)
    assert proc.returncode == 2 and "no goal_idx* folders in" in proc.stderr
    assert not (tmp_path / "behaviour_curves.png").exists()
