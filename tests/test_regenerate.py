"""Saved behaviour networks, and more episodes from them without retraining (policy_train.py --regenerate)."""

import dataclasses
import json
import shutil
import weakref

import numpy as np
import pytest
import torch

import rlkit.behaviour.regenerate as regen_module
from policy_train import load_sac_config
from rlkit.behaviour import Stage1Spec, train_task_group
from rlkit.config import load_config
from rlkit.data.dataset import task_dir
from rlkit.data.load import load_task_data
from rlkit.data.networks import NETWORKS_DIR, networks_path, read_networks, saved_network_steps, write_networks
from rlkit.data.npz import read_checkpoint, read_npz_meta
from rlkit.errors import UserError
from rlkit.fileio import read_tree
from rlkit.seeding import SEEDING_VERSION
from rlkit.torch.sac.vector_sac import SACParams, VectorSAC
from tests.conftest import ROOT, TINY_CONFIG, run_here


def test_saved_networks_are_the_checkpoints_policy(tmp_path):
    """Task 2's saved actor, alone in a one-task SAC, takes the actions of the deterministic episode
    that its group's SAC wrote at the same checkpoint."""
    behaviour = load_sac_config("tiny_point", [])
    sched, sac = behaviour.schedule, behaviour.sac
    train_task_group(
        Stage1Spec("point-robot", {"n_tasks": 6, "max_episode_steps": 20}, sched, sac, tmp_path, torch.device("cpu")),
        [0, 2],
        "off",
    )
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
    assert rows[0] == "checkpoint,stochastic_return,deterministic_return" and [r.split(",")[0] for r in rows[1:]] == [
        "100",
        "200",
    ]
    assert float(rows[2].split(",")[2]) == pytest.approx(float(episode.rewards.sum()), rel=1e-6)


@pytest.fixture
def data(tiny_data, tmp_path):
    """A private copy of the tiny dataset (6 tasks, checkpoints 100 and 200, 3 stochastic episodes each)."""
    dst = tmp_path / "offline_dataset" / "point-robot-tiny"
    shutil.copytree(tiny_data, dst)
    return dst


def regen(cwd, *args, check=True):
    return run_here(
        [
            str(ROOT / "policy_train.py"),
            "--config",
            str(TINY_CONFIG),
            "--sac_config",
            "tiny_point",
            "--regenerate",
            *args,
        ],
        cwd=cwd,
        check=check,
    )


@pytest.mark.slow
def test_regenerate_writes_more_episodes_deterministically(data, tmp_path):
    regen(tmp_path, "--n_trj", "4", "--checkpoints", "200", "--seed", "3")
    path = task_dir(data, 5) / "step200_extra.npz"
    extra = read_checkpoint(task_dir(data, 5), 200, "sample", extra=True)
    assert extra.n_traj == 4 and not (task_dir(data, 5) / "step100_extra.npz").exists()
    with np.load(path, allow_pickle=False) as z:  # what wrote the file, beside the episodes
        assert (int(z["meta_seed"]), int(z["meta_n_trj"])) == (3, 4) and len(str(z["meta_networks_sha256"])) == 64
    original = read_checkpoint(task_dir(data, 5), 200, "sample")
    loaded = load_task_data(data, 5, [200], "sample", 7, "point-robot", 2, 2)  # 3 of its own + 4 regenerated
    np.testing.assert_array_equal(loaded.obs, np.concatenate([original.obs, extra.obs]))

    before = path.read_bytes()
    proc = regen(tmp_path, "--n_trj", "4", "--checkpoints", "200", "--seed", "3")  # the same again: nothing to do
    assert "6 already written with these settings (kept)" in proc.stdout and path.read_bytes() == before
    proc = regen(tmp_path, "--n_trj", "4", "--checkpoints", "200", "--seed", "4", check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "step200_extra.npz' exists, written with seed 3: expected seed 4 (pass --overwrite" in proc.stderr
    assert path.read_bytes() == before
    regen(tmp_path, "--n_trj", "4", "--checkpoints", "200", "--seed", "4", "--overwrite")
    assert not np.array_equal(read_checkpoint(task_dir(data, 5), 200, "sample", extra=True).actions, extra.actions)
    regen(tmp_path, "--n_trj", "4", "--checkpoints", "200", "--seed", "3", "--overwrite")
    assert path.read_bytes() == before  # same seed, same episodes, same file
    assert run_here(["-m", "rlkit.data", "check", str(data)], cwd=ROOT).returncode == 0


@pytest.mark.parametrize("override", ["seed=5", "agent.params.batch_size=64"])
def test_regenerate_refuses_sac_overrides_it_would_ignore(override):
    """`seed=5` with --regenerate rolled out seed 0's episodes: the SAC overrides train, --seed S seeds these."""
    from click.testing import CliRunner

    from policy_train import main

    with pytest.raises(UserError, match=rf"'{override}' with --regenerate: expected no SAC overrides but device="):
        CliRunner().invoke(main, ["--config", str(TINY_CONFIG), "--regenerate", override], catch_exceptions=False)


@pytest.mark.slow
def test_regenerate_bad_input_writes_nothing(data, tmp_path):
    proc = regen(tmp_path, "--checkpoints", "200,300", check=False)
    assert (
        proc.returncode == 2
        and "checkpoint(s) [300] of" in proc.stderr
        and "expected some of [100, 200]" in proc.stderr
    )
    assert not list(data.glob("goal_idx*/step*_extra.npz"))
    shutil.rmtree(task_dir(data, 4) / "networks")
    proc = regen(tmp_path, check=False)
    assert (
        proc.returncode == 2
        and "holds no saved behaviour networks (the data has checkpoints [100, 200])" in proc.stderr
    )
    assert not list(data.glob("goal_idx*/step*_extra.npz"))  # tasks 0-3 were fine, but nothing was written
    proc = run_here(
        [str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--n_trj", "3"], cwd=tmp_path, check=False
    )
    assert proc.returncode == 2 and "apply to --regenerate only" in proc.stderr


@pytest.mark.slow
def test_a_missing_network_file_is_one_line_before_any_write(data, tmp_path):
    """task.json lists checkpoints 100 and 200 with saved networks: a missing file is named, whether the
    checkpoints are chosen or not, and a damaged one or one of other shapes too, before any file is written."""
    missing = networks_path(task_dir(data, 4), 200)
    missing.unlink()
    for args in ([], ["--checkpoints", "200"], ["--checkpoints", "100,200"]):
        proc = regen(tmp_path, *args, check=False)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert (
            f"missing network file '{missing.relative_to(tmp_path)}': task.json lists checkpoint 200 and says its "
            "networks were saved"
        ) in proc.stderr
        assert not list(data.glob("goal_idx*/step*_extra.npz"))
    shutil.copy(networks_path(task_dir(data, 4), 100), missing)
    damaged = networks_path(task_dir(data, 5), 100)
    damaged.write_bytes(damaged.read_bytes()[:300])
    proc = regen(tmp_path, check=False)
    assert proc.returncode == 2 and "goal_idx5/networks/step100.pt' is truncated or unreadable" in proc.stderr
    assert not list(data.glob("goal_idx*/step*_extra.npz"))
    shutil.copy(networks_path(task_dir(data, 4), 100), damaged)
    doc = read_networks(task_dir(data, 3), 200)  # networks that its own SAC settings do not describe
    write_networks(
        task_dir(data, 3),
        200,
        doc["state"],
        {"obs_dim": 2, "action_dim": 2, "sac": {**doc["sac"], "actor_hidden_dim": 64}},
    )
    proc = regen(tmp_path, check=False)
    assert proc.returncode == 2 and "goal_idx3/networks/step200.pt' holds tensors ['actor.biases.0', " in proc.stderr
    assert not list(data.glob("goal_idx*/step*_extra.npz"))
    meta = json.loads((task_dir(data, 5) / "task.json").read_text())
    (task_dir(data, 5) / "task.json").write_text(json.dumps({**meta, "saved_networks": False}))
    proc = regen(tmp_path, check=False)
    assert proc.returncode == 2 and "goal_idx5' holds no saved behaviour networks" in proc.stderr
    assert not list(data.glob("goal_idx*/step*_extra.npz"))


def regenerate_here(data, seed=0, n_trj=2, overwrite=False, checkpoints=None):
    """policy_train.py --regenerate in this process, on the tiny config's 6 tasks."""
    cfg = load_config(TINY_CONFIG)
    return regen_module.regenerate(
        cfg.env_name,
        cfg.env_params.kwargs(),
        data,
        list(range(6)),
        n_trj=n_trj,
        checkpoints=checkpoints,
        seed=seed,
        overwrite=overwrite,
    )


@pytest.mark.slow
def test_regenerate_holds_one_network_at_a_time(data, monkeypatch):
    """Every network is checked before the first write, and each is loaded, used and dropped in turn:
    at no time do two loaded network files, or two SACs built from them, live together."""
    live = {"docs": 0, "agents": 0}
    peak = dict(live)

    def track(kind, obj):
        live[kind] += 1
        peak[kind] = max(peak[kind], live[kind])
        weakref.finalize(obj, lambda: live.__setitem__(kind, live[kind] - 1))

    real_load, loads = torch.load, []

    def load(*args, **kwargs):
        doc = real_load(*args, **kwargs)
        if isinstance(doc, dict) and "state" in doc:
            loads.append(doc["step"])
            track("docs", next(iter(doc["state"].values())))
        return doc

    class TrackedSAC(VectorSAC):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            track("agents", self)

    monkeypatch.setattr(torch, "load", load)
    monkeypatch.setattr(regen_module, "VectorSAC", TrackedSAC)
    loads_at_write, real_write = [], regen_module.write_checkpoint

    def write(*args, **kwargs):
        loads_at_write.append(len(loads))
        return real_write(*args, **kwargs)

    monkeypatch.setattr(regen_module, "write_checkpoint", write)
    assert len(regenerate_here(data)) == 12
    assert peak == {"docs": 1, "agents": 1}
    assert loads_at_write[0] > 12  # the 12 networks were checked before the first write


@pytest.mark.slow
def test_a_killed_regeneration_resumes_to_the_same_files(data, tmp_path, monkeypatch):
    """Killed after 3 of its 12 files, the same regeneration run again keeps those 3 and writes the rest:
    the dataset is then byte for byte what an uninterrupted run writes. Other settings still need --overwrite."""
    whole = tmp_path / "whole"
    shutil.copytree(data, whole)
    assert len(regenerate_here(whole, seed=5)) == 12

    real, written = regen_module.write_checkpoint, []

    def killed_after_three(*args, **kwargs):
        if len(written) == 3:
            raise KeyboardInterrupt
        written.append(real(*args, **kwargs))
        return written[-1]

    monkeypatch.setattr(regen_module, "write_checkpoint", killed_after_three)
    with pytest.raises(KeyboardInterrupt):
        regenerate_here(data, seed=5)
    monkeypatch.undo()
    assert len(list(data.glob("goal_idx*/step*_extra.npz"))) == 3
    assert len(regenerate_here(data, seed=5)) == 9  # resumed: the 3 kept, the 9 others written
    assert read_tree(data) == read_tree(whole)

    before = read_tree(data)
    for other in ({"seed": 6}, {"seed": 5, "n_trj": 3}):
        with pytest.raises(UserError, match=r"step100_extra.npz' exists, written with .*pass --overwrite"):
            regenerate_here(data, **other)
        assert read_tree(data) == before
    shutil.copy(networks_path(task_dir(data, 3), 200), networks_path(task_dir(data, 2), 200))  # other networks
    with pytest.raises(
        UserError,
        match=r"goal_idx2/step200_extra.npz' exists, written with networks sha256 "
        r"[0-9a-f]{12}: expected networks sha256 [0-9a-f]{12} \(pass --overwrite",
    ):
        regenerate_here(data, seed=5)
    assert read_tree(data) == {**before, "goal_idx2/networks/step200.pt": before["goal_idx3/networks/step200.pt"]}
    assert [p.parent.name for p in regenerate_here(data, seed=5, overwrite=True)] == ["goal_idx2"]


@pytest.mark.slow
def test_an_extra_file_of_other_seed_streams_is_not_kept(data):
    """An extra file records the version of the streams' derivation (rlkit.seeding); one written before the
    record (by the seed * 100_003 + k arithmetic) is not this run's file: refused in one line, replaced only
    with --overwrite, never kept as if it were."""
    regenerate_here(data, seed=5, checkpoints=[200])
    path = task_dir(data, 3) / "step200_extra.npz"
    assert read_npz_meta(path)["seeding"] == SEEDING_VERSION
    mine = path.read_bytes()
    with np.load(path, allow_pickle=False) as z:
        older = {k: z[k] for k in z.files if k != "meta_seeding"}
    with open(path, "wb") as f:
        np.savez(f, **older)
    with pytest.raises(
        UserError,
        match=rf"goal_idx3/step200_extra.npz' exists, written with seeding None: expected "
        rf"seeding {SEEDING_VERSION} \(pass --overwrite",
    ):
        regenerate_here(data, seed=5, checkpoints=[200])
    assert [p.parent.name for p in regenerate_here(data, seed=5, checkpoints=[200], overwrite=True)] == ["goal_idx3"]
    assert path.read_bytes() == mine


@pytest.mark.slow
def test_an_extra_file_names_a_gpu_it_was_written_on(data):
    """CUDA draws the noise from another generator and runs the policy in its own arithmetic: a file written there
    records the device, so a CPU rerun does not keep it as its own, nor a CUDA rerun a CPU file. (Planned only:
    planning allocates nothing on the device.)"""
    cfg = load_config(TINY_CONFIG)
    regenerate_here(data, seed=5, checkpoints=[200])

    def plan(device):
        return regen_module.plan_regeneration(
            cfg.env_name,
            cfg.env_params.kwargs(),
            data,
            [3],
            n_trj=2,
            checkpoints=[200],
            seed=5,
            device=torch.device(device),
        )

    assert [job.done for job in plan("cpu")] == [True] and "device" not in plan("cpu")[0].settings
    refused = r"step200_extra.npz' exists, written with device None: expected device cuda \(pass --overwrite"
    with pytest.raises(UserError, match=refused):
        plan("cuda")


@pytest.mark.slow
def test_curves_of_the_behaviour_policies(data, tmp_path):
    from rlkit.behaviour.curves import behaviour_returns
    from rlkit.tasks import make_env, oracle_return

    proc = run_here(["-m", "rlkit.data", "curves", str(data)], cwd=ROOT)
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


@pytest.mark.slow
def test_curves_of_an_empty_folder(tmp_path):
    proc = run_here(["-m", "rlkit.data", "curves", str(tmp_path)], cwd=ROOT, check=False)
    assert proc.returncode == 2 and "no goal_idx* folders in" in proc.stderr
    assert not (tmp_path / "behaviour_curves.png").exists()


@pytest.mark.slow
def test_regenerate_waits_for_no_other_process_on_its_tasks(data):
    """A task folder held by a live stage-1 (or regenerating) process is refused before anything is written."""
    from rlkit.fileio import FolderLock

    with FolderLock(data / "goal_idx3", "busy"):  # held by this (live) test process
        with pytest.raises(UserError, match=r"goal_idx3' is being written by another stage-1 process \(pid"):
            regenerate_here(data)
    assert not list(data.glob("goal_idx*/step*_extra.npz"))
    assert len(regenerate_here(data, checkpoints=[200])) == 6 and not list(data.glob("goal_idx*/.lock"))


def test_networks_that_do_not_fit_are_one_line_but_out_of_memory_is_not_hidden(monkeypatch, tmp_path):
    """A file whose networks do not fit its settings is the file's fault (one line); the device running out of
    memory while building them is not, and goes to the entry point's own message (CUDA out of memory: exit 2)."""
    sac = load_sac_config("tiny_point", []).sac
    doc = {"obs_dim": 2, "action_dim": 2, "sac": dataclasses.asdict(sac), "state": {"nothing": torch.zeros(1)}}
    with pytest.raises(UserError, match=r"holds networks that do not fit its SAC settings \(RuntimeError\)"):
        regen_module.load_agent(doc, tmp_path / "n.pt", torch.device("cpu"))

    def no_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(regen_module, "VectorSAC", no_memory)
    with pytest.raises(torch.OutOfMemoryError):
        regen_module.load_agent(doc, tmp_path / "n.pt", torch.device("cpu"))


def test_saved_network_steps_lists_only_step_numbered_files_in_order(tmp_path):
    """`saved_network_steps` lists the checkpoints of `networks/step{c}.pt`, in step order; another file matching
    step*.pt (a copy kept by hand, "stepbest.pt") is skipped, not a ValueError that stops `--regenerate`'s listing of
    the saved steps; nor is step².pt ('²'.isdigit(), but not int('²')), nor step05.pt (a leading zero: no checkpoint's
    name, read as 5 it listed checkpoint 5 twice and `check` looked for a step5.pt it had, then one that was not)."""
    (tmp_path / NETWORKS_DIR).mkdir()
    for name in ("step12.pt", "step5.pt", "stepbest.pt", "step7.tmp", "step².pt", "step05.pt"):
        (tmp_path / NETWORKS_DIR / name).write_bytes(b"")
    assert saved_network_steps(tmp_path) == [5, 12]


def test_reading_a_torch_file_of_another_format_as_behaviour_networks_is_refused(tmp_path):
    """`read_networks` refuses a torch file that is a dict but not of the behaviour-network format (a run's training
    state saved under networks/, another version's file): a one-line UserError, not a dict whose missing keys fail
    later."""

    write_networks(tmp_path, 5, {"w": torch.zeros(2)}, {"obs_dim": 2})
    assert read_networks(tmp_path, 5)["obs_dim"] == 2
    path = networks_path(tmp_path, 6)
    torch.save({"format": "csro-something-else/1", "state": {}}, path)
    with pytest.raises(UserError, match="is not a behaviour network file: expected format"):
        read_networks(tmp_path, 6)
