"""What stage 1 writes and what reads it back, each piece by hand: a checkpoint's returns and seeded episode
starts, the replay buffer past its capacity, the SAC settings, regeneration's episodes, checks and hashes, the
behaviour curves and the reference returns. (A mutation audit found each of these slips passing every other test;
scripts/mutation_check.py's EDITS keeps them caught.)"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from policy_train import load_sac_config
from rlkit.behaviour import Stage1Spec, train_task_group
from rlkit.behaviour.generate import TaskGroup
from rlkit.behaviour.regenerate import already_written, check_networks, regenerate
from rlkit.data.dataset import task_dir
from rlkit.data.meta import read_task_meta
from rlkit.data.networks import write_networks
from rlkit.data.npz import read_checkpoint, read_npz_meta
from rlkit.errors import UserError
from rlkit.fileio import FolderLock
from rlkit.torch.sac.vector_sac import SACParams, VectorSAC

POINT = {"n_tasks": 6, "max_episode_steps": 20}
CPU = torch.device("cpu")


# ----------------------------------------------------------------------------------------- generate.py (stage 1)
def test_a_segments_mean_return_is_its_stochastic_episodes(tmp_path):
    """`Segment.mean_return` (what the Ray driver prints per checkpoint) and the progress line are the mean return of
    the checkpoint's stochastic episodes, returns.csv's stochastic_return column, not that of the deterministic ones."""
    from rlkit.behaviour.generate import train_segment
    from rlkit.data.dataset import read_returns

    behaviour = load_sac_config("tiny_point", ["num_train_steps=200", "num_eval_episodes=1"])
    seg = train_segment(
        Stage1Spec("point-robot", POINT, behaviour.schedule, behaviour.sac, tmp_path, CPU, save_networks=False), 2, None
    )
    assert seg.checkpoint == 100
    row = read_returns(task_dir(tmp_path, 2) / "returns.csv").set_index("checkpoint").loc[100]
    assert (
        row["stochastic_return"] != row["deterministic_return"]
    )  # (the two kinds of episodes differ, so the check means something)
    assert seg.mean_return == pytest.approx(row["stochastic_return"])


def _losses_windows(monkeypatch, spec: Stage1Spec, tasks: list[int]) -> list[pd.DataFrame]:
    """Train `tasks` in one group and check each task's losses.csv against its updates' records as each update
    returned them: a row per checkpoint of the number of updates since the task's checkpoint before and the mean of
    each record (task i's column), the actor's over its own updates. Returns the tables."""
    from rlkit.data.dataset import LOSSES_ACTOR, LOSSES_COLUMNS

    records, due_at = [], []
    update, checkpoint = VectorSAC.update, TaskGroup._checkpoint

    def recorded_update(self, batch, step, gens):
        out = update(self, batch, step, gens)
        records.append({k: v.clone() for k, v in out.items()})
        return out

    def recorded_checkpoint(self, due, steps):
        due_at.append((list(due), len(records)))
        return checkpoint(self, due, steps)

    monkeypatch.setattr(VectorSAC, "update", recorded_update)
    monkeypatch.setattr(TaskGroup, "_checkpoint", recorded_checkpoint)
    train_task_group(spec, tasks, "off")
    tables = []
    for j, task in enumerate(tasks):
        table = pd.read_csv(task_dir(spec.data_dir, task) / "losses.csv")
        assert tuple(table.columns) == LOSSES_COLUMNS
        ends = [n for due, n in due_at if j in due]
        assert list(table["checkpoint"]) == read_task_meta(task_dir(spec.data_dir, task))["checkpoints"]
        for (_, row), start, end in zip(table.iterrows(), [0, *ends[:-1]], ends, strict=True):
            window = records[start:end]
            actor = [r for r in window if "actor_loss" in r]
            assert row["updates"] == len(window) and row["actor_updates"] == len(actor)
            for k in LOSSES_COLUMNS:
                if k not in ("checkpoint", "updates", "actor_updates"):
                    rows = actor if k in LOSSES_ACTOR else window
                    want = np.mean([float(r[k][j]) for r in rows]) if rows else np.nan
                    assert row[k] == pytest.approx(want, rel=1e-5, nan_ok=True), (task, row["checkpoint"], k)
        tables.append(table)
    return tables


def test_a_tasks_losses_csv_holds_the_means_of_its_updates_since_its_checkpoint_before(tmp_path, monkeypatch):
    """losses.csv on point-robot, the actor updating every other step: updates from step 150, so the first
    checkpoint (at the first episode end after it, step 160) has 10 updates and 5 of the actor."""
    behaviour = load_sac_config("tiny_point", ["num_train_steps=400", "num_seed_steps=150"])
    sac = dataclasses.replace(behaviour.sac, actor_update_frequency=2)
    spec = Stage1Spec("point-robot", POINT, behaviour.schedule, sac, tmp_path, CPU, False)
    for table in _losses_windows(monkeypatch, spec, [1, 3]):
        assert table["updates"].tolist() == [10, 40, 100] and table["actor_updates"].tolist() == [5, 20, 50]


def test_each_tasks_losses_csv_windows_end_at_its_own_checkpoints_in_a_group(tmp_path, monkeypatch):
    """Hopper's episodes end when it falls, so the tasks of a group take their checkpoints at different steps: each
    task's rows cover the updates since its own checkpoint before, not since another task's."""
    behaviour = load_sac_config(
        "tiny_mujoco", ["num_train_steps=300", "eval_frequency=50", "num_seed_steps=50", "save_networks=false"]
    )
    params = {"n_tasks": 4, "max_episode_steps": 200}
    spec = Stage1Spec("hopper-rand-params", params, behaviour.schedule, behaviour.sac, tmp_path, CPU, False)
    counts = [t["updates"].tolist() for t in _losses_windows(monkeypatch, spec, [0, 1, 2])]
    assert len({tuple(c) for c in counts}) == 3, counts  # (the tasks' windows do differ)


def test_update_records_give_a_row_of_counts_and_means_per_task_then_start_again():
    """By hand: task 1 of two gets updates with critic losses 1, 2, 6 (batch rewards -1, 0, 4), the last one also
    an actor update; its row is 3 updates of mean critic loss 3 and mean reward 1, then 1 actor update of its own
    values; task 0's sums stay apart, and a row zeroes its task's sums: a row with no update since is counts 0 and
    nan means."""
    from rlkit.behaviour.generate import UpdateRecords

    rec = UpdateRecords(2, CPU)
    for critic, reward in ((1.0, -1.0), (2.0, 0.0)):
        rec.add({"critic_loss": torch.tensor([10.0, critic]), "batch_reward": torch.tensor([0.0, reward])})
    actor = {"actor_loss": [7.0, -0.5], "alpha_loss": [0.0, 0.25], "alpha": [0.0, 0.125], "entropy": [0.0, 1.5]}
    rec.add(
        {"critic_loss": torch.tensor([10.0, 6.0]), "batch_reward": torch.tensor([0.0, 4.0])}
        | {k: torch.tensor(v) for k, v in actor.items()}
    )
    assert rec.row(1, 200) == "200,3,3.0,1.0,1,-0.5,0.25,0.125,1.5"
    assert rec.row(1, 300) == "300,0,nan,nan,0,nan,nan,nan,nan"
    assert rec.row(0, 200) == "200,3,10.0,0.0,1,7.0,0.0,0.0,0.0"


def test_a_checkpoints_episodes_start_from_their_own_seeded_states(tmp_path):
    """On a body whose reset draws a random start (cheetah), a checkpoint's k episodes each start from their own
    seeded state (stream behaviour_eval_envs of (seed, k)): k copies of one start would make k episodes of one."""
    behaviour = load_sac_config(
        "tiny_mujoco", ["num_train_steps=100", "eval_frequency=60", "num_seed_steps=50", "save_networks=false"]
    )
    train_task_group(
        Stage1Spec(
            "cheetah-vel", {"n_tasks": 2, "max_episode_steps": 30}, behaviour.schedule, behaviour.sac, tmp_path, CPU
        ),
        [0],
        "off",
    )
    tdir = task_dir(tmp_path, 0)
    (c,) = read_task_meta(tdir)["checkpoints"]
    sample, det = read_checkpoint(tdir, c, "sample"), read_checkpoint(tdir, c, "eval")
    starts = [sample.obs[0], sample.obs[int(sample.traj_lengths[0])], det.obs[0]]  # first obs of each episode
    assert len(sample.traj_lengths) == 2
    for i in range(3):
        for j in range(i + 1, 3):
            assert not np.allclose(starts[i], starts[j])
    # each is the first reset of an env seeded by stream behaviour_eval_envs of (the schedule's seed, k), k = 0, 1, 2
    from rlkit.behaviour.generate import make_task_envs
    from rlkit.seeding import stream_seed

    seeds = [stream_seed(behaviour.schedule.seed, "behaviour_eval_envs", k) for k in range(3)]
    envs = make_task_envs("cheetah-vel", {"n_tasks": 2, "max_episode_steps": 30}, 0, seeds)
    np.testing.assert_allclose(np.array(starts), [env.reset()[0] for env in envs], rtol=1e-6)


def add_marked_row(replay, mark: float) -> None:
    """Add one row to every task of `replay` (a `TaskReplay`) whose observation is `mark` in every dim, so that where
    each row landed can be read back; its other fields are constant."""
    n, _, obs_dim = replay.data["obs"].shape
    action_dim = replay.data["actions"].shape[-1]
    replay.add(
        obs=np.full((n, obs_dim), mark),
        actions=np.zeros((n, action_dim)),
        rewards=np.ones(n),
        next_obs=np.ones((n, obs_dim)),
        not_done=np.ones(n),
    )


def test_a_full_replay_buffer_holds_and_samples_its_last_capacity_rows():
    """Once more rows than its capacity came, a task's replay buffer holds exactly the last `capacity` rows, samples
    every one of them, and its saved state carries them all (a resume then equals an uninterrupted run)."""
    from rlkit.behaviour.generate import TaskReplay
    from rlkit.torch.sac.vector_sac import TaskGenerators

    replay = TaskReplay(1, 4, 1, 1, CPU)
    for i in range(6):  # rows 0..5 into 4 slots: rows 2..5 remain
        add_marked_row(replay, i)
    assert replay.size == 4
    assert sorted(replay.state()["rows"]["obs"][0, :, 0].tolist()) == [2.0, 3.0, 4.0, 5.0]
    drawn = replay.sample(400, TaskGenerators(1, 0, CPU))["obs"][0, :, 0]
    assert set(drawn.tolist()) == {2.0, 3.0, 4.0, 5.0}


def test_a_replay_buffer_that_has_wrapped_resumes_writing_over_its_oldest_row():
    """`TaskReplay.restore` sets the write pointer from the saved pointer, not from the saved size. A buffer of capacity
    3 after 5 rows holds rows 3, 4, 2 and next overwrites row 2 (its oldest); restored from its state it must go on the
    same way, else a resumed stage 1 (num_train_steps > replay_buffer_capacity) writes past the end of the buffer or
    over the wrong row, and its data is not that of an uninterrupted run."""
    from rlkit.behaviour.generate import TaskReplay

    plain = TaskReplay(1, 3, 2, 1, CPU)
    for i in range(5):
        add_marked_row(plain, i)
    resumed = TaskReplay(1, 3, 2, 1, CPU)
    resumed.restore(plain.state())
    assert resumed.ptr == plain.ptr == 2  # slot 2 holds row 2, the oldest: the next row goes there
    add_marked_row(plain, 5)
    add_marked_row(resumed, 5)  # row 5 replaces row 2, the oldest held
    held = sorted(resumed.data["obs"][0, :, 0].tolist())
    assert held == [3.0, 4.0, 5.0]
    assert torch.equal(resumed.data["obs"], plain.data["obs"])


def test_a_saved_group_states_file_name_gives_back_its_tasks(tmp_path):
    """`saved_group_tasks` reads `resume_file`'s names back (tasks3-7 holds tasks 3..7, the last included), so that
    the complete tasks of an interrupted group are resumed, and a Ray run refuses every task of the state."""
    from rlkit.behaviour.generate import resume_file, saved_group_tasks

    for tasks in ([3, 4, 5, 6, 7], [0], [1, 4, 9]):
        assert saved_group_tasks(resume_file(tmp_path, tasks).stem) == set(tasks)
    # a name not of its making holds no task, not a ValueError ('²'.isdigit(), but not int('²'))
    assert saved_group_tasks("tasks-1_²") == {1} and saved_group_tasks("tasks²-3") == set()


# --------------------------------------------------------------------------------------------------- settings.py
def test_each_sac_setting_reaches_its_own_field():
    """Every SAC setting of the config reaches its own SACParams field, even where the shipped files give two
    settings the same value (the actor's and the critic's depth, the temperature's and the actor's betas)."""
    sac = load_sac_config(
        "train_point",
        [
            "diag_gaussian_actor.params.hidden_depth=3",
            "double_q_critic.params.hidden_depth=1",
            "diag_gaussian_actor.params.hidden_dim=48",
            "double_q_critic.params.hidden_dim=40",
            "agent.params.alpha_betas=[0.5,0.9]",
            "agent.params.actor_betas=[0.8,0.99]",
            "agent.params.critic_betas=[0.7,0.95]",
            "agent.params.alpha_lr=0.0002",
            "agent.params.actor_lr=0.0003",
            "agent.params.critic_lr=0.0004",
            "agent.params.actor_update_frequency=2",
            "agent.params.critic_target_update_frequency=3",
        ],
    ).sac
    assert (sac.actor_hidden_depth, sac.critic_hidden_depth, sac.actor_hidden_dim, sac.critic_hidden_dim) == (
        3,
        1,
        48,
        40,
    )
    assert (sac.alpha_betas, sac.actor_betas, sac.critic_betas) == ((0.5, 0.9), (0.8, 0.99), (0.7, 0.95))
    assert (sac.alpha_lr, sac.actor_lr, sac.critic_lr) == (0.0002, 0.0003, 0.0004)
    assert (sac.actor_update_frequency, sac.critic_target_update_frequency) == (2, 3)


# ------------------------------------------------------------------------------------------------- regenerate.py
@pytest.fixture(scope="module")
def point_pair(tmp_path_factory):
    """Tasks 0 and 1 of the point robot, checkpoints 100 and 200 with their networks (a few seconds)."""
    root = tmp_path_factory.mktemp("pair")
    behaviour = load_sac_config("tiny_point", [])
    train_task_group(
        Stage1Spec("point-robot", POINT, behaviour.schedule, behaviour.sac, root / "data", CPU), [0, 1], "off"
    )
    return root / "data"


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_regeneration_without_n_trj_writes_as_many_episodes_as_a_checkpoint_holds(point_pair, tmp_path):
    """Without --n_trj each extra file holds the checkpoint's own count of stochastic episodes (the schedule's
    num_eval_sample_episodes: 3 for tiny_point), not the deterministic count."""
    from rlkit.behaviour.regenerate import regenerate

    data = _copy(point_pair, tmp_path / "data")
    regenerate("point-robot", POINT, data, [1], checkpoints=[200])
    extra = read_checkpoint(task_dir(data, 1), 200, "sample", extra=True)
    assert extra.n_traj == read_checkpoint(task_dir(data, 1), 200, "sample").n_traj == 3


def test_regenerated_episodes_start_from_their_own_seeded_states(tmp_path):
    """On a body whose reset draws a random start (cheetah), the regenerated episodes of a checkpoint each start from
    their own state (env k reset from stream regenerate_envs of (seed, k)), not n copies of one start."""
    from rlkit.behaviour.regenerate import regenerate

    params = {"n_tasks": 2, "max_episode_steps": 30}
    behaviour = load_sac_config("tiny_mujoco", ["num_train_steps=100", "eval_frequency=60", "num_seed_steps=50"])
    train_task_group(Stage1Spec("cheetah-vel", params, behaviour.schedule, behaviour.sac, tmp_path, CPU), [0], "off")
    (c,) = read_task_meta(task_dir(tmp_path, 0))["checkpoints"]
    regenerate("cheetah-vel", params, tmp_path, [0], n_trj=2, checkpoints=[c])
    extra = read_checkpoint(task_dir(tmp_path, 0), c, "sample", extra=True)
    assert extra.n_traj == 2
    assert not np.allclose(extra.obs[0], extra.obs[int(extra.traj_lengths[0])])
    # each the first reset of env k seeded by stream regenerate_envs of (regenerate's seed, 0 by default, k)
    from rlkit.behaviour.generate import make_task_envs
    from rlkit.seeding import stream_seed

    envs = make_task_envs("cheetah-vel", params, 0, [stream_seed(0, "regenerate_envs", k) for k in range(2)])
    starts = [extra.obs[0], extra.obs[int(extra.traj_lengths[0])]]
    np.testing.assert_allclose(np.array(starts), [env.reset()[0] for env in envs], rtol=1e-6)


def test_regenerated_actions_are_the_checkpoints_policy_under_its_own_noise_stream(point_pair, tmp_path):
    """Each regenerated step's action is the checkpoint's policy at the step's observation under noise drawn from
    stream regenerate_noise of (seed, task, checkpoint), one draw per step for all episodes. The other regeneration
    tests compare two runs of the code with each other, so noise keyed without the task or the checkpoint (every
    task's or checkpoint's episodes sharing one noise sequence) passed them."""
    from rlkit.behaviour.regenerate import load_agent
    from rlkit.data.networks import networks_path, read_networks
    from rlkit.seeding import torch_generator

    data = _copy(point_pair, tmp_path / "data")
    for task, c in [(1, 100), (1, 200), (0, 200)]:
        regenerate("point-robot", POINT, data, [task], n_trj=2, checkpoints=[c], seed=3)
        extra = read_checkpoint(task_dir(data, task), c, "sample", extra=True)
        doc = read_networks(task_dir(data, task), c)
        agent = load_agent(doc, networks_path(task_dir(data, task), c), CPU)
        gen = torch_generator(3, "regenerate_noise", task, c, device=CPU)
        second = int(extra.traj_lengths[0])  # episode 1's first row
        with torch.no_grad():
            for step in range(3):
                obs = torch.as_tensor(np.stack([extra.obs[step], extra.obs[second + step]]), dtype=torch.float32)
                noise = torch.randn(1, 2, doc["action_dim"], generator=gen)
                want = agent.policy(obs[None], noise).action[0].numpy()
                got = np.stack([extra.actions[step], extra.actions[second + step]])
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"task {task} checkpoint {c}")


def test_regeneration_refuses_a_task_that_is_not_complete(point_pair, tmp_path):
    """A task whose task.json does not say complete (interrupted, or still training elsewhere) is refused in one line
    before anything is written: its saved networks are not yet those of a finished behaviour dataset."""
    from rlkit.behaviour.regenerate import regenerate
    from rlkit.data.meta import write_task_meta
    from rlkit.errors import UserError

    data = _copy(point_pair, tmp_path / "data")
    write_task_meta(task_dir(data, 1), dict(read_task_meta(task_dir(data, 1)), complete=False))
    with pytest.raises(UserError, match=r"goal_idx1' holds no complete behaviour data"):
        regenerate("point-robot", POINT, data, [0, 1], n_trj=2, checkpoints=[100])
    assert not list(data.glob("goal_idx*/step*_extra.npz"))


def test_regeneration_refuses_a_config_whose_env_has_other_tasks(point_pair, tmp_path):
    """Regenerating with env_params that give the tasks other goals than the data's (n_tasks 5 spreads the point
    robot's goals otherwise than 6) is refused before any write: the extra episodes would be of another task."""
    from rlkit.behaviour.regenerate import regenerate
    from rlkit.errors import UserError

    data = _copy(point_pair, tmp_path / "data")
    with pytest.raises(UserError, match=r"goal_idx1/task.json' describes task .* but the config's env has"):
        regenerate("point-robot", {"n_tasks": 5, "max_episode_steps": 20}, data, [1], n_trj=2, checkpoints=[100])
    assert not list(data.glob("goal_idx*/step*_extra.npz"))


def test_regeneration_refuses_a_config_whose_env_has_other_settings(point_pair, tmp_path):
    """Regenerating with env_params that keep the tasks but change the episodes (max_episode_steps 35, not the
    data's 20) is refused before any write, naming the setting: the extra episodes join the checkpoint's own, and
    `check` would call the mixed data complete."""
    from rlkit.behaviour.regenerate import regenerate
    from rlkit.errors import UserError

    data = _copy(point_pair, tmp_path / "data")
    with pytest.raises(
        UserError, match=r"goal_idx1/task.json' records other env settings \(env_params.max_episode_steps: 20 -> 35\)"
    ):
        regenerate("point-robot", dict(POINT, max_episode_steps=35), data, [1], n_trj=2, checkpoints=[100])
    assert not list(data.glob("goal_idx*/step*_extra.npz"))


def test_regeneration_records_the_hash_of_each_checkpoints_own_network_file(point_pair):
    """Each (task, checkpoint)'s extra file records the SHA-256 of that checkpoint's own network file, so that a
    network file replaced since is seen (an extra file of another checkpoint's hash is never the file to keep)."""
    from rlkit.behaviour.regenerate import plan_regeneration
    from rlkit.data.networks import networks_path

    jobs = plan_regeneration("point-robot", POINT, point_pair, [0, 1], n_trj=2)
    assert sorted((j.task, j.checkpoint) for j in jobs) == [(0, 100), (0, 200), (1, 100), (1, 200)]
    for j in jobs:
        want = hashlib.sha256(networks_path(task_dir(point_pair, j.task), j.checkpoint).read_bytes()).hexdigest()
        assert j.settings["networks_sha256"] == want


def test_a_second_regeneration_of_the_same_settings_keeps_every_file(point_pair, tmp_path):
    """Run again with the same settings, a regeneration of two checkpoints keeps both files (each compared with the
    settings of its own checkpoint's extra file, not another checkpoint's)."""
    from rlkit.behaviour.regenerate import regenerate

    data = _copy(point_pair, tmp_path / "data")
    assert len(regenerate("point-robot", POINT, data, [0], n_trj=2)) == 2
    before = {p.name: p.read_bytes() for p in task_dir(data, 0).glob("step*_extra.npz")}
    assert regenerate("point-robot", POINT, data, [0], n_trj=2) == []
    assert {p.name: p.read_bytes() for p in task_dir(data, 0).glob("step*_extra.npz")} == before


# ----------------------------------------------------------------------------------------------------- curves.py
def _recorded_plot_calls(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.axes import Axes

    calls, real = [], Axes.plot

    def plot(self, *args, **kwargs):
        calls.append((self, [np.asarray(a, dtype=float) for a in args[:2]]))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "plot", plot)
    return calls


def test_behaviour_curves_plot_each_tasks_own_returns_in_their_own_panel(tmp_path, monkeypatch):
    """The left panel draws each task's stochastic returns, the right one its deterministic returns, against the
    checkpoints, one line per task (tasks named 2 and 5 here: a task's line is its own rows)."""
    from rlkit.behaviour.curves import plot_curves

    df = pd.DataFrame(
        {
            "task": [2, 2, 5, 5],
            "checkpoint": [100, 200, 100, 200],
            "stochastic_return": [-10.0, -8.0, -30.0, -20.0],
            "deterministic_return": [-9.0, -7.0, -25.0, -15.0],
        }
    )
    calls = _recorded_plot_calls(monkeypatch)
    plot_curves(df, {}, tmp_path / "curves.png", "t")
    assert (
        len(calls) == 4 and calls[0][0] is calls[1][0] and calls[2][0] is calls[3][0] and calls[0][0] is not calls[2][0]
    )
    lines = [(xy[0].tolist(), xy[1].tolist()) for _, xy in calls]
    assert lines == [
        ([100, 200], [-10.0, -8.0]),
        ([100, 200], [-30.0, -20.0]),
        ([100, 200], [-9.0, -7.0]),
        ([100, 200], [-25.0, -15.0]),
    ]
    assert (tmp_path / "curves.png").is_file()


def test_behaviour_curves_of_one_checkpoint_draw_its_point(tmp_path, monkeypatch):
    """A dataset of one checkpoint is one point per task: drawn with a marker (a line alone drew two empty panels)."""
    import matplotlib
    from matplotlib.axes import Axes

    from rlkit.behaviour.curves import plot_curves

    matplotlib.use("Agg")
    drawn, real = [], Axes.plot
    monkeypatch.setattr(Axes, "plot", lambda ax, *a, **kw: drawn.append(real(ax, *a, **kw)[0]) or [drawn[-1]])
    df = pd.DataFrame({"task": [0], "checkpoint": [100], "stochastic_return": [1.0], "deterministic_return": [2.7]})
    plot_curves(df, {}, tmp_path / "curves.png", "t")
    assert len(drawn) == 2 and all(line.get_marker() not in ("None", None, "", " ") for line in drawn)


def test_oracle_returns_are_each_tasks_own(tmp_path):
    """`oracle_returns` gives each task the oracle's return on that task (point-robot-wind's winds differ,
    so do their oracle returns), the reference line of the behaviour curves and the csv's oracle_return column."""
    from rlkit.behaviour.curves import oracle_returns
    from rlkit.data.meta import write_task_meta
    from rlkit.tasks import make_env, oracle_return

    params = {"n_tasks": 3, "max_episode_steps": 20}
    for t in range(3):
        task_dir(tmp_path, t).mkdir()
        write_task_meta(task_dir(tmp_path, t), {"env_name": "point-robot-wind", "env_params": params, "complete": True})
    got = oracle_returns(tmp_path)
    want = {t: oracle_return(make_env("point-robot-wind", **params), t) for t in range(3)}
    assert len(set(want.values())) == 3 and got == pytest.approx(want)


def test_the_curves_csv_gives_each_row_its_tasks_oracle_return(tmp_path, monkeypatch):
    """behaviour_returns.csv's oracle_return column is the oracle return of each row's task."""
    import rlkit.behaviour.curves as curves

    df = pd.DataFrame(
        {
            "task": [3, 3, 4],
            "checkpoint": [100, 200, 100],
            "stochastic_return": [1.0, 2.0, 3.0],
            "deterministic_return": [1.5, 2.5, 3.5],
        }
    )
    monkeypatch.setattr(curves, "behaviour_returns", lambda data_dir: df)
    monkeypatch.setattr(curves, "oracle_returns", lambda data_dir, env_params=None: {3: -1.0, 4: -2.0})
    monkeypatch.setattr(curves, "plot_curves", lambda df, oracle, out, title: out)
    csv_path, _ = curves.write_curves(tmp_path)
    table = pd.read_csv(csv_path)
    assert table["oracle_return"].tolist() == [-1.0, -1.0, -2.0]


# ------------------------------------------------------------------------------------------------------ tasks.py
def test_reference_returns_score_the_reward_they_are_given():
    """oracle_return (and the other references) sum `reward_fn` of each reward where one is given: a sparse env's
    normalised score is bounded by its sparse oracle return, not by the dense one."""
    from rlkit.tasks import make_env, oracle_return, random_return, zero_action_return

    env = make_env("sparse-point-robot", n_tasks=4, max_episode_steps=20)
    fn = env.sparse_reward_fn()
    env.reset_task(1)
    obs, _ = env.reset()
    total, done = 0.0, False
    while not done:
        obs, r, terminated, truncated, _ = env.step(env.oracle_action(obs))
        total += float(fn(r))
        done = terminated or truncated
    assert oracle_return(env, 1, reward_fn=fn) == pytest.approx(total)
    assert total != pytest.approx(oracle_return(env, 1))  # (the dense return is another number)
    assert zero_action_return(env, 1, episodes=1, reward_fn=fn) == pytest.approx(20 * float(fn(-1.0)))
    assert random_return(env, 1, episodes=3, reward_fn=fn) != pytest.approx(random_return(env, 1, episodes=3))


def test_random_return_seeds_the_first_reset_only():
    """random_return seeds the env's first reset; the later episodes start where its generator has gone on (seeding
    every reset alike gave every episode the same start on a body with reset noise: 200 episodes of one start)."""
    from rlkit.seeding import numpy_generator
    from rlkit.tasks import make_env, random_return

    env = make_env("cheetah-vel", n_tasks=4, max_episode_steps=20)
    rng = numpy_generator(0, "random_return")
    env.reset_task(1)
    returns, starts = [], []
    for i in range(3):
        obs, _ = env.reset(seed=0 if i == 0 else None)
        starts.append(obs)
        total = 0.0
        for _ in range(5):
            obs, r, *_ = env.step(rng.uniform(env.action_space.low, env.action_space.high))
            total += r
        returns.append(total)
    assert not np.allclose(starts[0], starts[1])
    got = random_return(make_env("cheetah-vel", n_tasks=4, max_episode_steps=20), 1, episodes=3, seed=0, horizon=5)
    assert got == pytest.approx(np.mean(returns), rel=1e-12)


def test_a_checkpoint_line_names_its_own_task(capsys):
    """The "lines" mode names a task by its index, not by its position in the group (`goal_idx{i}`). With the position,
    a group of tasks 3 and 7 logged "goal_idx1" for task 7, so a researcher reading a log (or a cluster job's output)
    looks for the checkpoint in the wrong task folder, goal_idx7 being where it was written."""
    from rlkit.behaviour.progress import TaskBars

    bars = TaskBars([3, 7], total=10, mode="lines")
    bars.checkpoint(1, 2, -5.25)
    bars.close()
    assert capsys.readouterr().err.splitlines() == ["goal_idx7: checkpoint 2 written, mean return -5.25"]


def test_progress_off_a_terminal_is_plain_lines(capsys):
    """The default mode is "lines" off a terminal, not "bars" everywhere. Off a terminal (a log file, a batch job's
    output) tqdm bars write cursor escapes and a redraw per update into the log; the class docstring: `mode=None` picks
    "bars" on a terminal and "lines" otherwise. (pytest's captured stderr is not a terminal.)"""
    from rlkit.behaviour.progress import TaskBars

    bars = TaskBars([0, 1], total=10)
    bars.advance(3)
    bars.checkpoint(0, 1, 2.5)
    bars.close()
    assert bars.mode == "lines" and bars.bars == []
    assert capsys.readouterr().err == "goal_idx0: checkpoint 1 written, mean return 2.5\n"


def test_a_tasks_json_and_networks_record_its_envs_observation_and_action_sizes(tmp_path):
    """The networks' info (`write_networks`) and task.json each record the observation size and the action size in their
    own places, not swapped. Every test env of stage 1 but the MuJoCo ones has 2 and 2, so no test saw a swap. For
    cheetah-vel (20 observations, 6 actions) the records must say so: regeneration rebuilds the saved policy from the
    networks' dims, and stage 2 and the dataset checks read task.json's; with the slip a cheetah dataset's networks
    cannot be loaded back into a policy and its task.json disagrees with its episodes."""
    from rlkit.data.networks import read_networks
    from rlkit.tasks import make_env

    behaviour = load_sac_config("tiny_mujoco", ["num_train_steps=130", "eval_frequency=60", "num_seed_steps=50"])
    params = {"n_tasks": 3, "max_episode_steps": 30}
    spec = Stage1Spec("cheetah-vel", params, behaviour.schedule, behaviour.sac, tmp_path, torch.device("cpu"))
    train_task_group(spec, [1], "off")
    env = make_env("cheetah-vel", **params)
    dims = (env.observation_space.shape[0], env.action_space.shape[0])
    assert dims[0] != dims[1]
    meta = read_task_meta(task_dir(tmp_path, 1))
    assert (meta["obs_dim"], meta["action_dim"]) == dims
    networks = read_networks(task_dir(tmp_path, 1), meta["checkpoints"][0])
    assert (networks["obs_dim"], networks["action_dim"]) == dims


def test_a_stage1_without_deterministic_episodes_writes_checkpoints_of_stochastic_ones_only(tmp_path):
    """`_checkpoint` rolls out the deterministic part only where the schedule asks for any
    (`if sched.num_eval_episodes:`); this guards against that check dropped. num_eval_episodes=0 is a valid setting
    (">= 0": only stage 2's sample=0 reads those episodes); with the slip every such run crashes at its first checkpoint
    (an empty concatenation), so no dataset without deterministic episodes can be written."""
    from tests.test_sac import point_spec

    train_task_group(point_spec(tmp_path, ["num_eval_episodes=0"]), [1], "off")
    tdir = task_dir(tmp_path, 1)
    meta = read_task_meta(tdir)
    assert meta["complete"] and meta["checkpoints"] == [100, 200]
    for c in meta["checkpoints"]:
        assert read_checkpoint(tdir, c, "eval", missing_ok=True) is None
        assert len(read_checkpoint(tdir, c, "sample").traj_lengths) == meta["schedule"]["num_eval_sample_episodes"]
    lines = (tdir / "returns.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["100", "200"]
    assert all(line.endswith(",nan") for line in lines[1:])


def test_a_parameter_familys_task_folders_describe_their_own_tasks(tmp_path):
    """`TaskGroup.begin` writes a parameter family's task_params.json
    (`if self.envs[i].unwrapped.supports_task_files:`); this guards against that check dropped, with which it never
    wrote the file. The dataset must describe its own tasks (the model parameters each task's data was collected under):
    meta-training, regeneration and `rlkit.data check` restore them from there (`restore_dataset_tasks`), and
    export-legacy carries the file. With the slip a hopper-rand-params dataset has no task files, so everything
    downstream silently falls back on whatever tasks the env samples now."""
    from rlkit.data.dataset import TASK_PARAMS_FILE
    from rlkit.data.load import restore_dataset_tasks
    from rlkit.tasks import make_env

    behaviour = load_sac_config("tiny_mujoco", ["save_networks=false"])
    params = {"n_tasks": 4, "max_episode_steps": 30}
    spec = Stage1Spec(
        "hopper-rand-params", params, behaviour.schedule, behaviour.sac, tmp_path, torch.device("cpu"), False
    )
    TaskGroup(spec, [1, 3], "off").begin()  # (the files are written as the group begins, before any step)
    assert all((task_dir(tmp_path, t) / TASK_PARAMS_FILE).is_file() for t in (1, 3))
    assert not task_dir(tmp_path, 0).exists()
    env = make_env("hopper-rand-params", **params)
    assert restore_dataset_tasks(env, tmp_path) == 2


def test_behaviour_curves_draw_the_oracle_line_at_the_tasks_mean_oracle_return(tmp_path, monkeypatch):
    """`plot_curves` draws the oracle line at the mean over tasks that its label ("oracle, mean over tasks (min to
    max)") says, not at the best task's oracle return (`values.max()`). With tasks whose oracle returns are -4 and -8,
    both panels' line must be at -6; with the slip the behaviour data looks further from the oracle than it is."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.axes import Axes

    from rlkit.behaviour.curves import plot_curves

    lines, real = [], Axes.axhline

    def axhline(self, y=0, *args, **kwargs):
        lines.append((y, kwargs.get("label")))
        return real(self, y, *args, **kwargs)

    monkeypatch.setattr(Axes, "axhline", axhline)
    df = pd.DataFrame(
        {
            "task": [2, 2, 5, 5],
            "checkpoint": [100, 200, 100, 200],
            "stochastic_return": [-10.0, -8.0, -30.0, -20.0],
            "deterministic_return": [-9.0, -7.0, -25.0, -15.0],
        }
    )
    plot_curves(df, {2: -4.0, 5: -8.0}, tmp_path / "curves.png", "t")
    assert lines == [(-6.0, "oracle, mean over tasks (-8 to -4)")] * 2


def test_curves_of_a_stage1_that_has_not_written_its_first_checkpoint_are_one_line(tmp_path):
    """`behaviour_returns` raises its UserError when no task has a checkpoint yet (`if out.empty:`), not returning an
    empty table as it did with that check dropped. A user drawing curves while stage 1 is still before its first
    checkpoint must be told so ("is policy_train.py still at its first one?"); with the slip `rlkit.data curves` writes
    an empty behaviour_returns.csv and an empty figure and reports success."""
    from rlkit.behaviour.curves import behaviour_returns, write_curves
    from tests.test_sac import point_spec

    TaskGroup(point_spec(tmp_path), [0, 1], "off").begin()  # task.json (incomplete, no checkpoints) as training begins
    assert read_task_meta(task_dir(tmp_path, 0))["checkpoints"] == []
    for draw in (behaviour_returns, write_curves):
        with pytest.raises(UserError, match=r"no checkpoints in .*: expected a dataset with at least one written"):
            draw(tmp_path)
    assert not (tmp_path / "behaviour_returns.csv").exists() and not (tmp_path / "behaviour_curves.png").exists()


def test_regenerating_zero_episodes_is_refused_before_anything_is_read(tmp_path):
    """`regenerate` refuses an n_trj below 1, not only a negative one. `n_trj=0` (an API caller's; the command line's
    IntRange refuses it there) was otherwise taken as "not given" (`n_trj or ...`): every checkpoint got its default
    count of episodes written, not an error."""
    with pytest.raises(UserError, match=r"^--n_trj 0: expected at least 1 episode$"):
        regenerate("point-robot", {"n_tasks": 6, "max_episode_steps": 20}, tmp_path / "none", [0], n_trj=0)


def test_regeneration_rolls_out_on_the_device_it_was_planned_for(tmp_path, monkeypatch):
    """`regenerate` writes each planned file on the device it was planned for, not on the CPU whatever that device.
    Writing them on the CPU, a CUDA regeneration rolled out CPU episodes into files whose settings say `device: cuda`,
    so a later CPU run refused its own files and a CUDA rerun kept CPU episodes as its own. (Planned and written are
    stand-ins: no GPU needed.) The device is the one the plan was given, `cuda:1`, not one rebuilt from the job's
    record (which names the device type alone, "cuda", as the plan writes it)."""
    import rlkit.behaviour.regenerate as regen_module

    job = regen_module.Job(0, 100, {"seed": 0, "device": "cuda"}, done=False)
    planned, used = [], []
    monkeypatch.setattr(regen_module, "plan_regeneration", lambda *a, device, **k: planned.append(device) or [job])
    monkeypatch.setattr(regen_module, "regenerate_one", lambda env, params, data, j, device: used.append(device))
    regen_module.regenerate("point-robot", {}, tmp_path, [0], device=torch.device("cuda", 1))
    assert planned == used == [torch.device("cuda", 1)]


def test_regeneration_holds_its_tasks_locks_against_another_process(point_pair, tmp_path):  # noqa: F811
    """`regenerate` takes its tasks' locks, not no task locks (`lock_tasks(data_dir, [])`). Without them, a regeneration
    beside a stage-1 process (or another regeneration) writing the same task folder was not refused, and the two could
    interleave their files in it."""
    data = _copy(point_pair, tmp_path / "data")
    with FolderLock(data / "goal_idx1", "busy"):  # held by this (live) process, as another's would be
        with pytest.raises(UserError, match=r"goal_idx1' is being written by another stage-1 process"):
            regenerate("point-robot", POINT, data, [0, 1], n_trj=1, checkpoints=[100])
    assert not list(data.glob("goal_idx*/step*_extra.npz"))


def test_regenerated_episodes_are_the_seeds_own_and_overwrite_replaces_another_seeds_file(
    point_pair,  # noqa: F811
    tmp_path,
):
    """The same seed must give the same file byte for byte in two datasets, the file must record its seed, and
    `overwrite` with another seed must replace it with other episodes. This catches a regeneration recording (and so
    rolling out with) seed 0 whatever `seed` says, ignoring `overwrite` when it plans, or drawing the policy noise from
    torch's global generator instead of stream regenerate_noise."""
    a, b = _copy(point_pair, tmp_path / "a"), _copy(point_pair, tmp_path / "b")
    (pa,) = regenerate("point-robot", POINT, a, [0], n_trj=2, checkpoints=[100], seed=3)
    torch.randn(5)  # (the global generator moves on between the two runs, as it would between two processes)
    (pb,) = regenerate("point-robot", POINT, b, [0], n_trj=2, checkpoints=[100], seed=3)
    assert pa.read_bytes() == pb.read_bytes()
    assert read_npz_meta(pa)["seed"] == 3
    seed3 = read_checkpoint(task_dir(b, 0), 100, "sample", extra=True).actions
    assert regenerate("point-robot", POINT, b, [0], n_trj=2, checkpoints=[100], seed=4, overwrite=True) == [pb]
    assert read_npz_meta(pb)["seed"] == 4
    assert not (read_checkpoint(task_dir(b, 0), 100, "sample", extra=True).actions == seed3).all()


def test_a_network_file_of_other_env_dims_is_named_by_its_dims(tmp_path):
    """`check_networks` checks the obs/action dims of a network file. Without that check, a network file of another env
    (3 observations where the config's env has 2) was refused only as "tensors ... of other shapes than its SAC settings
    give", which blames the file's SAC settings rather than saying that the config's env is not the data's."""

    sac = dataclasses.asdict(load_sac_config("tiny_point", []).sac)
    state = VectorSAC(1, 3, 2, SACParams.from_dict(sac), 0, torch.device("cpu")).state_dict()
    write_networks(tmp_path, 100, state, {"obs_dim": 3, "action_dim": 2, "sac": sac})
    with pytest.raises(UserError, match=r"step100.pt' holds networks for obs/action dims 3/2: expected 2/2$"):
        check_networks(tmp_path, 100, (2, 2))
    assert len(check_networks(tmp_path, 100, (3, 2))) == 64  # the file's own dims: its SHA-256


def test_an_extra_file_written_on_a_gpu_is_refused_on_the_cpu_naming_the_device(tmp_path):
    """`already_written` lists as different the keys the file records too, not only the keys this run's settings hold.
    Listing only those, a file written on CUDA (it records `device`) met by a CPU rerun (whose settings record none) was
    refused with an empty account: "written with : expected  (pass --overwrite ...)"."""
    import numpy as np

    path = tmp_path / "step100_extra.npz"
    with open(path, "wb") as f:
        np.savez(f, meta_seed=np.array(0), meta_device=np.array("cuda"))
    with pytest.raises(
        UserError, match=r"step100_extra.npz' exists, written with device cuda: expected device None \(pass --overwrite"
    ):
        already_written(path, {"seed": 0}, overwrite=False)
    assert already_written(path, {"seed": 0, "device": "cuda"}, overwrite=False) is True


def test_every_sac_and_schedule_setting_reaches_stage_1_from_its_own_key():
    """Each SACParams and Schedule field is read from its own hydra key; the shipped files give several of them equal
    values (the betas, the depths, the learning rates), so each is set here to a value of its own."""
    overrides = [
        "num_train_steps=3000",
        "num_seed_steps=500",
        "eval_frequency=250",
        "num_eval_episodes=2",
        "num_eval_sample_episodes=7",
        "replay_buffer_capacity=2500",
        "seed=9",
        "agent.params.discount=0.97",
        "agent.params.init_temperature=0.2",
        "agent.params.alpha_lr=0.0003",
        "agent.params.alpha_betas=[0.5,0.6]",
        "agent.params.actor_lr=0.0004",
        "agent.params.actor_betas=[0.7,0.8]",
        "agent.params.actor_update_frequency=3",
        "agent.params.critic_lr=0.0005",
        "agent.params.critic_betas=[0.55,0.65]",
        "agent.params.critic_tau=0.01",
        "agent.params.critic_target_update_frequency=4",
        "agent.params.batch_size=64",
        "double_q_critic.params.hidden_dim=48",
        "double_q_critic.params.hidden_depth=3",
        "diag_gaussian_actor.params.hidden_dim=40",
        "diag_gaussian_actor.params.hidden_depth=1",
        "diag_gaussian_actor.params.log_std_bounds=[-4,1]",
    ]
    s = load_sac_config("train_point", overrides)
    sch, p = s.schedule, s.sac
    assert (sch.num_train_steps, sch.num_seed_steps, sch.eval_frequency) == (3000, 500, 250)
    assert (sch.num_eval_episodes, sch.num_eval_sample_episodes, sch.replay_buffer_capacity, sch.seed) == (
        2,
        7,
        2500,
        9,
    )
    assert (p.discount, p.init_temperature, p.alpha_lr, p.alpha_betas) == (0.97, 0.2, 0.0003, (0.5, 0.6))
    assert (p.actor_lr, p.actor_betas, p.actor_update_frequency) == (0.0004, (0.7, 0.8), 3)
    assert (p.critic_lr, p.critic_betas, p.critic_tau, p.critic_target_update_frequency) == (
        0.0005,
        (0.55, 0.65),
        0.01,
        4,
    )
    assert (p.batch_size, p.critic_hidden_dim, p.critic_hidden_depth) == (64, 48, 3)
    assert (p.actor_hidden_dim, p.actor_hidden_depth, p.log_std_bounds) == (40, 1, (-4.0, 1.0))


def test_every_task_of_a_group_writes_its_deterministic_episodes_as_eval_and_its_stochastic_ones_as_sample(tmp_path):
    """`_checkpoint` rolls out k = sample + eval episodes per due task, the due tasks' k jobs back to back, so the mask
    of deterministic jobs is each task's [False] * sample + [True] * eval repeated per task (`np.tile`). Repeated
    element-wise instead (`np.repeat`), the first task of a group of two with 2 + 1 episodes gets the mask
    F F F and the second F T T: the first's eval episode is stochastic, the second's last sample episode
    deterministic. One task per group (the old single-task test) cannot show it. Each task's saved actor, alone in a
    one-task SAC, must give its eval actions as its mean action and none of its sample episodes'."""
    from rlkit.data.networks import read_networks
    from tests.test_sac import point_spec

    spec = point_spec(tmp_path, ["num_train_steps=200", "num_eval_sample_episodes=2", "num_eval_episodes=1"])
    train_task_group(spec, [0, 2], "off")
    for task in (0, 2):
        tdir = task_dir(tmp_path, task)
        doc = read_networks(tdir, 100)
        agent = VectorSAC(1, 2, 2, SACParams.from_dict(doc["sac"]), 0, CPU)
        agent.load_state_dict(doc["state"])
        sample, det = read_checkpoint(tdir, 100, "sample"), read_checkpoint(tdir, 100, "eval")
        assert len(sample.traj_lengths) == 2 and len(det.traj_lengths) == 1
        with torch.no_grad():
            mean = [
                agent.policy(torch.as_tensor(p.obs, dtype=torch.float32)[None], None).action[0].numpy()
                for p in (sample, det)
            ]
        np.testing.assert_allclose(det.actions, mean[1], atol=1e-5, err_msg=f"task {task}")
        start = 0
        for n in sample.traj_lengths:  # each stochastic episode: not the mean action
            assert not np.allclose(sample.actions[start : start + n], mean[0][start : start + n], atol=1e-3), task
            start += n


def test_a_tasks_json_records_the_seed_its_task_trained_with(tmp_path):
    """task.json's `seed` is the behaviour SAC's seed (docs/data-format.md), the schedule's: written as 0 whatever the
    seed, a sweep's datasets of seeds 0..4 would all say seed 0, and nothing that reads the data checks it."""
    from rlkit.behaviour.generate import train_segment
    from tests.test_sac import point_spec

    spec = point_spec(tmp_path, ["seed=7"])
    assert train_segment(spec, 1).checkpoint == 100
    meta = read_task_meta(task_dir(tmp_path, 1))
    assert meta["seed"] == meta["schedule"]["seed"] == 7
