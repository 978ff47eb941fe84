"""Train the behaviour SACs of a list of tasks and write their checkpoints' rollouts.

Tasks train in groups of `tasks_per_group` (one `VectorSAC` per group, all tasks in lockstep);
a task's data does not depend on which tasks share its group. Each task's checkpoints are
written as they come (`Schedule.checkpoint_due`), and its `task.json` says `complete` only at the
end. After each checkpoint the group's whole state is saved (`resume_file`), so an interrupted run
skips the complete tasks and resumes the others from their group's last saved state.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
import zipfile
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rlkit.behaviour.progress import TaskBars
from rlkit.behaviour.settings import BehaviourSettings, Schedule
from rlkit.data.dataset import (
    FORMAT_VERSION,
    LOSSES_ACTOR,
    LOSSES_COLUMNS,
    LOSSES_EVERY,
    LOSSES_FILE,
    RETURNS_COLUMNS,
    RETURNS_FILE,
    SETTINGS_FILE,
    TASK_DIR_PREFIX,
    TASK_PARAMS_FILE,
    TASK_RECORD_NAMES,
    as_task_records,
    checkpoint_path,
    mean_return,
    parse_task_dir,
    task_dir,
)
from rlkit.data.load import restore_dataset_tasks
from rlkit.data.meta import (
    cpu_numerics,
    numerics_text,
    read_dataset_settings,
    read_task_meta,
    running_versions,
    setting_differences,
    write_task_meta,
)
from rlkit.data.networks import write_networks
from rlkit.data.npz import write_checkpoint
from rlkit.data.rollout import rollout
from rlkit.envs import NormalizedBoxEnv, env_rng_state, set_env_rng_state
from rlkit.errors import DivergedError, UserError
from rlkit.fileio import FolderLock, ascii_digits, atomic_write, atomic_write_text, create_once, read_state
from rlkit.seeding import SEEDING_VERSION, portable_generator_state, stream_seed
from rlkit.tasks import env_class, make_env
from rlkit.torch import graphs
from rlkit.torch.sac.vector_sac import SACParams, TaskGenerators, VectorSAC


@dataclass(frozen=True)
class Stage1Spec:
    """What every task group of one stage-1 run trains with and writes to (`TaskGroup`, `train_task_group`,
    `train_segment`): the env family and its parameters, the schedule, the SAC's settings, the dataset folder,
    the device, and whether each checkpoint's networks are saved."""

    env_name: str
    env_params: dict[str, Any]
    sched: Schedule
    sac: SACParams
    data_dir: Path
    device: torch.device
    save_networks: bool = True

    def settings(self) -> dict[str, Any]:
        """`group_settings` of this run: what its saved states and complete tasks are checked against."""
        return group_settings(self.env_name, self.env_params, self.sched, self.sac, self.save_networks)


def generate_dataset(
    env_name: str,
    env_params: dict[str, Any],
    data_dir: Path,
    tasks: list[int],
    sac_config: str,
    behaviour: BehaviourSettings,
    device: torch.device,
    progress: str | None = None,
) -> None:
    """Stage 1 for `tasks`: skip the complete ones, train the rest in groups of `tasks_per_group`, each
    group resuming from its saved state (`resume_file`) where an earlier run was interrupted.
    `behaviour` is `load_sac_config(sac_config, overrides)`, loaded by the caller so that bad overrides
    fail before anything else."""
    spec = Stage1Spec(
        env_name, env_params, behaviour.schedule, behaviour.sac, data_dir, device, behaviour.save_networks
    )
    settings, group = spec.settings(), behaviour.tasks_per_group
    with lock_tasks(data_dir, tasks):
        todo = pending_tasks(data_dir, tasks, settings)
        parts = [todo[start : start + group] for start in range(0, len(todo), group)]
        saved = [saved_step(data_dir, part, settings) for part in parts]  # every saved state checked before training
        check_checkpoints_come(env_name, env_params, spec.sched)
        claim_dataset_settings(data_dir, settings)
        steps = ", ".join(
            f"tasks {part[0]}..{part[-1]} at step {step}" for part, step in zip(parts, saved) if step is not None
        )
        print(
            f"{env_name}: tasks {tasks[0]}..{tasks[-1]}, {len(tasks) - len(todo)} already complete, "
            f"{len(todo)} to train ({sac_config}){f', resuming {steps}' if steps else ''} -> {data_dir}"
        )
        for part in parts:  # one group in memory at a time (its replay buffers are allocated whole)
            g = TaskGroup(spec, part, progress)
            g.resume_path = resume_file(data_dir, part)
            if g.resume_path.is_file():
                g.restore(_load_state(g.resume_path))
            g.train()
            del g  # freed here (it is in no reference cycle), before the next group allocates its own


def group_settings(
    env_name: str, env_params: dict[str, Any], sched: Schedule, sac: SACParams, save_networks: bool
) -> dict[str, Any]:
    """What a saved state may only be resumed with, and a complete task only be kept beside new ones with
    (plain values, as task.json records them): the derivation of its random streams (`rlkit.seeding`) and
    whether its checkpoints' networks are saved included."""
    return json.loads(
        json.dumps(
            {
                "env_name": env_name,
                "env_params": dict(env_params),
                "schedule": dict(sched.__dict__),
                "sac": sac.to_dict(),
                "seeding": SEEDING_VERSION,
                "physics": env_class(env_name).physics_version,
                "save_networks": bool(save_networks),
            }
        )
    )


# what a task.json or saved state written before a record was kept holds: the first derivation of the random streams
# and the first physics of the env family
_OLD_RECORDS = {"seeding": 1, "physics": 1}


def check_resumable(state: dict[str, Any], tasks: list[int], settings: dict[str, Any], source: str) -> None:
    """A UserError, naming `source`, unless `state` is of `tasks` trained with `settings`."""
    if state.get("tasks") != list(tasks):
        raise _other_grouping(source, state.get("tasks"), tasks)
    theirs = json.loads(json.dumps(state.get("settings")))
    if isinstance(theirs, dict) and "save_networks" not in theirs:  # saved before the record: resumed either way
        theirs["save_networks"] = settings["save_networks"]
    if isinstance(theirs, dict):  # saved before the records: the first seeding and physics
        theirs = _OLD_RECORDS | theirs
    if theirs != settings:
        diff = setting_differences(theirs if isinstance(theirs, dict) else {}, settings)
        raise UserError(
            f"{source} holds tasks {list(tasks)} part-trained with other settings ({'; '.join(diff)}): "
            "expected the same settings to resume them, or remove that file to train those tasks "
            "from their start"
        )


def _other_grouping(source: str, held, tasks: list[int]) -> UserError:
    return UserError(
        f"{source} holds part-trained tasks {held}, and this run groups tasks {list(tasks)}: expected the "
        "same --split and tasks_per_group to resume them, or remove that file to train those tasks from "
        "their start"
    )


def saved_step(data_dir: Path, tasks: list[int], settings: dict[str, Any]) -> int | None:
    """The step at which the group of `tasks` was saved (None: no saved state), checked to be resumable with
    `settings`; a saved state of another group holding some of these tasks is refused (resuming it later would
    mix two runs' checkpoints in one task). Read memory-mapped: only the few values checked leave the disk."""
    mine = resume_file(data_dir, tasks)
    for path, held in saved_groups(data_dir):
        if path != mine and held & set(tasks):
            raise _other_grouping(repr(str(path)), sorted(held), tasks)
    if not mine.is_file():
        return None
    state = _load_state(mine, mmap=True)
    check_resumable(state, tasks, settings, repr(str(mine)))
    return int(state["step"])


def _load_state(path: Path, mmap: bool = False) -> dict[str, Any]:
    return read_state(path, "a stage-1 state; remove it to train these tasks from their start", mmap=mmap)


RESUME_DIR = "stage1_resume"  # DATA_DIR/stage1_resume/: the saved states of part-trained task groups


def drop_resume_state(path: Path) -> None:
    """Remove a finished group's saved state, with the temporary file of a write of it that a kill cut short
    (`atomic_write`'s `.NAME.*.tmp`; no other process writes this group's state), then the folder once no other
    group's state is in it."""
    path.unlink(missing_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def resume_file(data_dir: Path, tasks: list[int]) -> Path:
    """Where the state of the group of `tasks` is saved after each of its checkpoints (removed when it is complete)."""
    contiguous = tasks == list(range(tasks[0], tasks[-1] + 1))
    name = f"tasks{tasks[0]}-{tasks[-1]}" if contiguous else "tasks-" + "_".join(map(str, tasks))
    return Path(data_dir) / RESUME_DIR / f"{name}.pt"


def saved_groups(data_dir: Path) -> list[tuple[Path, set[int]]]:
    """Every saved group state of the dataset (DATA_DIR/stage1_resume/), in name order, with its tasks."""
    return [(p, saved_group_tasks(p.stem)) for p in sorted((Path(data_dir) / RESUME_DIR).glob("tasks*.pt"))]


def saved_group_tasks(stem: str) -> set[int]:
    """The tasks of a saved group state, from its file's stem (`resume_file`'s names: tasks3-7, tasks-1_4_9)."""
    if stem.startswith("tasks-"):
        return {int(t) for t in stem[len("tasks-") :].split("_") if ascii_digits(t)}
    first, _, last = stem[len("tasks") :].partition("-")
    return set(range(int(first), int(last) + 1)) if ascii_digits(first) and ascii_digits(last) else set()


def lock_tasks(data_dir: Path, tasks: list[int]) -> contextlib.ExitStack:
    """Hold `goal_idx{i}/.lock` of every task in `tasks`: one stage-1 process writes a task at a time, so two
    runs on one dataset folder (another part of `--split` aside) cannot mix their checkpoints."""
    stack = contextlib.ExitStack()
    try:
        for t in tasks:
            stack.enter_context(
                FolderLock(
                    task_dir(data_dir, t),
                    "{folder!r} is being written by another stage-1 "
                    "process (pid {pid}): expected one process per task; wait for it, or "
                    "use another data_dir or --split part",
                )
            )
    except BaseException:
        stack.close()
        raise
    return stack


def train_task_group(spec: Stage1Spec, tasks: list[int], progress: str | None = None) -> None:
    """Train the behaviour SACs of `tasks` together and write each task's checkpoints as they come."""
    TaskGroup(spec, tasks, progress).train()


@dataclass
class Segment:
    """What `train_segment` did: the checkpoint it wrote (None if it wrote none), that checkpoint's mean
    return, and the state to continue from (None once the task is complete)."""

    checkpoint: int | None
    mean_return: float
    state: dict[str, Any] | None


def train_segment(spec: Stage1Spec, task: int, state: dict[str, Any] | None = None) -> Segment:
    """Train one task from `state` (None: from the start) until it has written its next checkpoint, or
    to the end, writing into `spec.data_dir` exactly what `train_task_group` writes. Chaining segments
    through their states gives the same files as one uninterrupted run; this is how a task moves
    between machines (`rlkit.cluster`) and resumes from its last checkpoint after a lost worker."""
    group = TaskGroup(spec, [task], "off")
    done_before = 0
    if state is not None:
        group.restore(state)
        done_before = len(group.checkpoints[0])
    group.begin()
    more = group.run(stop_after_checkpoint=True)
    if not more:
        group.finish()
    wrote = len(group.checkpoints[0]) > done_before
    return Segment(
        group.checkpoints[0][-1] if wrote else None,
        group.last_return[0] if wrote else float("nan"),
        group.state() if more else None,
    )


def make_task_envs(
    env_name: str, env_params: dict[str, Any], task: int, seeds: list[int | None], dataset: Path | None = None
) -> list[NormalizedBoxEnv]:
    """One env of `task` per seed of `seeds` (`rlkit.seeding.stream_seed`; None: unseeded), reset with it;
    with `dataset`, a parameter family's tasks are the ones that dataset was written with."""
    envs = []
    for seed in seeds:
        raw = make_env(env_name, **env_params)
        if dataset is not None:
            restore_dataset_tasks(raw, dataset)
        env = NormalizedBoxEnv(raw)
        env.reset_task(task)
        env.reset(seed=seed)
        envs.append(env)
    return envs


RETURNS_HEADER = ",".join(RETURNS_COLUMNS)
LOSSES_HEADER = ",".join(LOSSES_COLUMNS)


class UpdateRecords:
    """Per task, the sums of its SAC updates' records (`VectorSAC.update`) since its last checkpoint, kept on the
    device and added inside the update (so a captured update adds them on replay, with no host read per step); a
    task's checkpoint reads its row once, as the means a losses.csv row holds, and zeroes it. Columns as
    `LOSSES_COLUMNS` after its checkpoint: the update count and the records of every update (`LOSSES_EVERY`), then
    the actor-update count and the records of an actor update (`LOSSES_ACTOR`)."""

    def __init__(self, n: int, device: torch.device):
        self.sums = torch.zeros(n, len(LOSSES_COLUMNS) - 1, device=device)

    def add(self, out: dict[str, torch.Tensor]) -> None:
        ones = torch.ones_like(out["critic_loss"])
        records = [ones, *(out[k] for k in LOSSES_EVERY)]
        if "actor_loss" in out:
            records += [ones, *(out[k] for k in LOSSES_ACTOR)]
        self.sums[:, : len(records)] += torch.stack(records, dim=1)

    def forget(self) -> None:
        """Mark every task's window as begun before what the sums hold (a state saved before they were kept): NaN
        stays NaN through the adds, so the task's next row is left out rather than written short."""
        self.sums.fill_(math.nan)

    def row(self, i: int, checkpoint: int) -> str | None:
        """Task i's losses.csv row (counts, then means, nan where none of the kind ran), or None for a window
        `forget` marked; its sums are zeroed for the next checkpoint's."""
        sums = self.sums[i].cpu().double()
        self.sums[i].zero_()
        if sums.isnan().all():
            return None
        k = 1 + len(LOSSES_EVERY)
        every, actor = sums[:k], sums[k:]
        cells = [checkpoint, int(every[0]), *(every[1:] / every[0]).tolist()]
        cells += [int(actor[0]), *(actor[1:] / actor[0]).tolist()]
        return ",".join(map(repr, cells))


class TaskReplay:
    """Per-task replay buffers as [n, capacity, .] tensors; all tasks hold the same number of rows."""

    def __init__(self, n: int, capacity: int, obs_dim: int, action_dim: int, device: torch.device):
        shapes = {"obs": obs_dim, "actions": action_dim, "rewards": 1, "next_obs": obs_dim, "not_done": 1}
        self.data = {k: torch.zeros(n, capacity, d, device=device) for k, d in shapes.items()}
        self.capacity, self.size, self.ptr = capacity, 0, 0

    def add(self, **rows: np.ndarray) -> None:
        for k, v in rows.items():
            self.data[k][:, self.ptr] = torch.as_tensor(v, dtype=self.data[k].dtype).reshape(self.data[k].shape[0], -1)
        self.ptr = (self.ptr + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def state(self) -> dict[str, Any]:
        """The rows held, copied out (a slice of a CPU buffer is a view of all of it, which torch.save would write
        whole: the full capacity at every checkpoint, however few rows are held)."""
        rows = {
            k: v[:, : self.size].to("cpu", copy=True, memory_format=torch.contiguous_format)
            for k, v in self.data.items()
        }
        return {"size": self.size, "ptr": self.ptr, "rows": rows}

    def restore(self, state: dict[str, Any]) -> None:
        self.size, self.ptr = int(state["size"]), int(state["ptr"])
        for k, v in state["rows"].items():
            self.data[k][:, : self.size] = v.to(self.data[k].device)

    def sample(self, batch_size: int, gens: TaskGenerators) -> dict[str, torch.Tensor]:
        idx = gens.randint(self.size, batch_size)  # [n, B]
        return {k: torch.gather(v, 1, idx[..., None].expand(-1, -1, v.shape[-1])) for k, v in self.data.items()}


class TaskGroup:
    """A group of tasks trained in lockstep: their envs, their SACs (one `VectorSAC`), replay buffers,
    random streams, and the checkpoints each has written so far."""

    def __init__(self, spec: Stage1Spec, tasks: list[int], progress: str | None = None):
        self.spec, self.tasks, self.progress = spec, tasks, progress
        env_name, env_params, sched, sac, device = spec.env_name, spec.env_params, spec.sched, spec.sac, spec.device
        n = len(tasks)
        self.envs = [
            make_task_envs(env_name, env_params, t, [stream_seed(sched.seed, "behaviour_env")])[0] for t in tasks
        ]
        self.obs_dim, self.action_dim = self.envs[0].observation_space.shape[0], self.envs[0].action_space.shape[0]
        _check_checkpoints_come(sched, self.envs[0].max_episode_steps)
        self.gens = TaskGenerators(n, sched.seed, device)
        self.agent = VectorSAC(n, self.obs_dim, self.action_dim, sac, sched.seed, device)
        self.replay = TaskReplay(n, sched.replay_buffer_capacity, self.obs_dim, self.action_dim, device)
        # the update, eager or captured (`rlkit.torch.graphs`); its key is the step modulo the period of its branches
        self.update_period = math.lcm(sac.actor_update_frequency, sac.critic_target_update_frequency)
        self.updater = graphs.StepRunner(
            self._update,
            device,
            graphs.capture_on(device),
            self.gens.gens,
            list(self._optimizers().values()),
        )
        self.trained_on = [self._ran_on()]  # each device and capture setting the tasks trained on, a resume adding one
        n_roll = sched.num_eval_sample_episodes + sched.num_eval_episodes
        eval_seeds = [stream_seed(sched.seed, "behaviour_eval_envs", k) for k in range(n_roll)]
        self.eval_envs = [make_task_envs(env_name, env_params, t, eval_seeds) for t in tasks]
        self.checkpoints: list[list[int]] = [[] for _ in tasks]  # written, per task
        self.last = np.zeros(n, dtype=np.int64)  # per task, step // eval_frequency of its last checkpoint
        self.returns: list[list[str]] = [[] for _ in tasks]  # per task, one returns.csv line per checkpoint
        self.records = UpdateRecords(n, device)  # per task, its updates' records since its last checkpoint
        self.losses: list[list[str]] = [[] for _ in tasks]  # per task, one losses.csv line per checkpoint
        self.step = 0  # env steps taken by every task of the group
        self.last_return = [float("nan")] * n  # per task, its last checkpoint's mean return (as the progress shows)
        # per task, how its current episode began (the env's generator before its reset) and the actions taken since:
        # replaying them rebuilds the env exactly, whatever its simulator holds (see `state`)
        self.episode_start: list[dict[str, Any] | None] = [None] * n
        self.episode_actions: list[list[np.ndarray]] = [[] for _ in tasks]
        self.resume_path: Path | None = None  # where `run` saves `state()` after each checkpoint (None: nowhere)

    def train(self) -> None:
        """Train every task of the group to the end."""
        self.begin()
        self.run()
        self.finish()

    def begin(self) -> None:
        """Mark the tasks incomplete on disk and start their first episodes (or, after `restore`, rebuild
        the episodes under way at the restored step by replaying them)."""
        for i, t in enumerate(self.tasks):
            self._write_meta(i, complete=False)
            if self.envs[i].unwrapped.supports_task_files:  # parameter families: the dataset describes its own task
                self.envs[i].unwrapped.save_task(t, task_dir(self.spec.data_dir, t) / TASK_PARAMS_FILE)
        if self.episode_start[0] is None:
            self.obs = np.stack([self._new_episode(i) for i in range(len(self.tasks))])
        else:
            self.obs = np.stack([self._replay_episode(i) for i in range(len(self.tasks))])
        self.bars = TaskBars(self.tasks, self.spec.sched.num_train_steps, self.progress)
        self.bars.advance(self.step)

    def _new_episode(self, i: int) -> np.ndarray:
        """Reset task i's env, remembering how its episode began."""
        self.episode_start[i], self.episode_actions[i] = env_rng_state(self.envs[i]), []
        return self.envs[i].reset()[0]

    def _replay_episode(self, i: int) -> np.ndarray:
        """Task i's env as it was at the restored step: its episode's reset from the same generator state,
        then the same actions (the envs are deterministic given both)."""
        env, actions = self.envs[i], self.episode_actions[i]
        set_env_rng_state(env, self.episode_start[i])
        obs = env.reset()[0]
        for a in actions:
            obs = env.step(a)[0]
        if not np.array_equal(obs, self._restored_obs[i]):
            raise UserError(
                f"task {self.tasks[i]}: replaying its episode ({len(actions)} steps) gave another "
                "observation than the saved state holds: expected a deterministic env; remove the "
                "stage-1 resume file to train this group from its start"
            )
        return obs

    def run(self, stop_after_checkpoint: bool = False, stop_at_step: int | None = None) -> bool:
        """Train from step `self.step`; after a step that wrote a checkpoint, save `state()` to `resume_path`
        (if set). With `stop_after_checkpoint`, return True right after a checkpoint written when every
        task of the group has just ended an episode (always so for one task); with `stop_at_step`, return
        True once `self.step` reaches it. Returns False when training has reached its last step."""
        sched, envs, n = self.spec.sched, self.envs, len(self.tasks)
        obs = self.obs
        last = sched.num_train_steps if stop_at_step is None else min(stop_at_step, sched.num_train_steps)
        for step in range(self.step, last):
            self.bars.advance()
            if step >= sched.num_seed_steps:
                with torch.no_grad():
                    o = torch.as_tensor(obs, dtype=torch.get_default_dtype(), device=self.spec.device)[:, None]
                    action = self.agent.policy(o, self.gens.randn(1, self.action_dim)).action[:, 0].cpu().numpy()
                self.updater(self.replay.sample(self.spec.sac.batch_size, self.gens), step % self.update_period)
            else:
                action = self.gens.uniform(1, self.action_dim)[:, 0].cpu().numpy()
            if not np.isfinite(action).all():  # (on the host already: no sync)
                self._diverged(step, ~np.isfinite(action).all(axis=1), "their policies gave a non-finite action")
            next_obs, rewards, not_done, ended = [], [], [], []
            for i, env in enumerate(envs):
                self.episode_actions[i].append(action[i].copy())
                nxt, r, terminated, truncated, _ = env.step(action[i])
                next_obs.append(nxt), rewards.append(r), not_done.append(0.0 if terminated else 1.0)
                ended.append(terminated or truncated)
            self.replay.add(
                obs=obs,
                actions=action,
                rewards=np.array(rewards),
                next_obs=np.stack(next_obs),
                not_done=np.array(not_done),
            )
            obs = self.obs = np.stack(next_obs)
            steps = self.step = step + 1
            due = [i for i in range(n) if ended[i] and sched.checkpoint_due(steps, self.last[i])]
            if due:
                finite = self.agent.finite_tasks().numpy()
                if not finite.all():  # nothing of it is written: the checkpoints and the saved state before stay
                    self._diverged(steps, ~finite, "their networks are not finite")
                self._checkpoint(due, steps)
            for i in np.flatnonzero(ended):
                obs[i] = self._new_episode(i)
            if due and self.resume_path is not None:
                atomic_write(self.resume_path, lambda f: torch.save(self.state(), f))
            if due and stop_after_checkpoint and all(ended):
                return True
        return self.step < sched.num_train_steps

    def _diverged(self, step: int, bad: np.ndarray, what: str) -> None:
        """A `DivergedError` naming the tasks (`bad`: a mask over the group) whose training diverged at `step`."""
        tasks = [self.tasks[i] for i in np.flatnonzero(bad)]
        kept = "the checkpoints" + (" and the saved state" if self.resume_path is not None else "")
        raise DivergedError(
            f"stage 1 diverged at step {step} in tasks {tasks}: {what}; {kept} written before it are kept (expected "
            "finite training: lower agent.params.critic_lr, actor_lr or alpha_lr)"
        )

    def finish(self) -> None:
        """Mark every task complete (its `task.json` is the last file written), then drop the saved state. A task
        that took no checkpoint stays incomplete, and is a UserError after the others are marked complete and the
        state dropped (a rerun from it would train to the same end: the schedule has to change)."""
        self.bars.close()
        none = [t for t, c in zip(self.tasks, self.checkpoints) if not c]
        for i, c in enumerate(self.checkpoints):
            if c:
                self._write_meta(i, complete=True)
        if self.resume_path is not None:
            drop_resume_state(self.resume_path)
        if none:  # episodes cut short by the env ended away from every step a checkpoint could come at
            done = [t for t in self.tasks if t not in none]
            sched = self.spec.sched
            raise UserError(
                f"tasks {none} took no checkpoint in {sched.num_train_steps} steps (num_seed_steps="
                f"{sched.num_seed_steps}, eval_frequency={sched.eval_frequency}): expected a schedule "
                "whose window between them and num_train_steps holds an episode end; they stay incomplete (rerun "
                f"them with another schedule){f', tasks {done} of their group are complete' if done else ''}"
            )

    def state(self) -> dict[str, Any]:
        """All that the rest of training depends on, at any step between two steps of `run`: the SACs with
        their optimisers, the replay buffers, every random stream (the tasks' torch generators, the eval
        envs' numpy generators), the checkpoints written so far, and each training env's episode under
        way as its start (the env's generator before the reset) and its actions, which `begin` replays
        (no simulator state is saved: the replay rebuilds it exactly). The settings it was trained with
        come along, so that it resumes nothing else (`check_resumable`). CPU tensors and plain values
        only, so `torch.load(..., weights_only=True)` reads it back."""
        episodes = [
            {
                "start_rng": start,
                "actions": torch.as_tensor(np.array(actions).reshape(-1, self.action_dim)),
                "obs": torch.as_tensor(self.obs[i]),
            }
            for i, (start, actions) in enumerate(zip(self.episode_start, self.episode_actions))
        ]
        return {
            "step": self.step,
            "tasks": list(self.tasks),
            "agent": _to_cpu(self.agent.state_dict()),
            "optimizers": {k: _to_cpu(o.state_dict()) for k, o in self._optimizers().items()},
            "generators": [g.get_state() for g in self.gens.gens],
            "replay": self.replay.state(),
            "episodes": episodes,
            "eval_env_rng": [[env_rng_state(e) for e in envs] for envs in self.eval_envs],
            "last": self.last.tolist(),
            "checkpoints": [list(c) for c in self.checkpoints],
            "returns": [list(r) for r in self.returns],
            "update_sums": _to_cpu(self.records.sums),
            "losses": [list(r) for r in self.losses],
            "settings": self.settings(),
            "ran_on": self._ran_on(),
            "trained_on": list(self.trained_on),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from `state()` of a group of the same tasks and settings; call `begin` next."""
        check_resumable(state, self.tasks, self.settings(), "the state given")
        self.agent.load_state_dict(state["agent"])
        for k, opt in self._optimizers().items():
            opt.load_state_dict(state["optimizers"][k])
        reseeded = False
        for g, saved in zip(self.gens.gens, state["generators"]):
            fitted, fits = portable_generator_state(g, saved, self.spec.sched.seed, "behaviour_noise", state["step"])
            g.set_state(fitted)
            reseeded |= not fits
        now = self._ran_on()
        ran_on = state.get("ran_on", now)  # absent in states saved before it was kept
        notes = [] if _ran_alike(ran_on, now) else [f"trained on {ran_on}, now {now}"]  # another device, capture...
        if reseeded:  # saved on the other device type: every task alike, from stream device_change
            notes.append("their torch generators reseeded (their saved states are another device's)")
        earlier = state.get("trained_on", [ran_on])  # (kept since 2026-12-04)
        self.trained_on = earlier + ([] if _ran_alike(earlier[-1], now) else [now])
        if notes:
            print(
                f"tasks {self.tasks[0]}..{self.tasks[-1]}: resumed on {self.spec.device} at step {state['step']}, "
                + ", ".join(notes)
            )
        self.updater.reset()  # the optimisers' state tensors and the generators were replaced: capture anew
        self.replay.restore(state["replay"])
        self.episode_start = [e["start_rng"] for e in state["episodes"]]
        self.episode_actions = [list(e["actions"].numpy()) for e in state["episodes"]]
        self._restored_obs = [e["obs"].numpy() for e in state["episodes"]]
        for envs, states in zip(self.eval_envs, state["eval_env_rng"]):
            for env, s in zip(envs, states):
                set_env_rng_state(env, s)
        self.step, self.last = state["step"], np.array(state["last"], dtype=np.int64)
        self.checkpoints, self.returns = [list(c) for c in state["checkpoints"]], [list(r) for r in state["returns"]]
        if "update_sums" in state:
            self.records.sums.copy_(state["update_sums"])
            self.losses = [list(r) for r in state["losses"]]
        else:  # saved before they were kept (2026-12-06): losses.csv from each task's first whole window on
            self.records.forget()

    def settings(self) -> dict[str, Any]:
        return self.spec.settings()

    def _ran_on(self) -> str:
        """The device, capture setting, thread count and CPU capability, as a state records them: a resume on others
        says so (captured and eager updates, or updates on other threads or kernels, agree to float rounding, not
        bit for bit)."""
        return f"{graphs.describe(self.updater.capture, self.spec.device, named=True)}, {numerics_text(cpu_numerics())}"

    def _update(self, batch: Any, key: Hashable) -> Any:
        """One vectorised SAC update on `batch` (the step `self.updater` runs, eager or captured), its records added
        to the tasks' sums."""
        out = self.agent.update(batch, key, self.gens)
        self.records.add(out)
        return out

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"actor": self.agent.actor_opt, "critic": self.agent.critic_opt, "alpha": self.agent.alpha_opt}

    def _checkpoint(self, due: list[int], steps: int) -> None:
        """Roll out the due tasks' policies (stochastic, then deterministic episodes) and save them."""
        sched, agent, device = self.spec.sched, self.agent, self.spec.device
        k_sample = sched.num_eval_sample_episodes
        flat = [e for i in due for e in self.eval_envs[i]]
        k = len(self.eval_envs[due[0]])
        n_act = agent.action_dim
        deterministic = np.tile(np.arange(k) >= k_sample, len(due))

        @torch.no_grad()
        def act(obs: torch.Tensor, t: int, alive: np.ndarray) -> np.ndarray:
            x = torch.zeros(agent.n, k, obs.shape[-1], device=device)
            x[due] = obs.view(len(due), k, -1)
            noise = torch.zeros(agent.n, k, n_act, device=device)
            # noise only for the tasks with an episode under way, as each draws when rolled out alone: a task's
            # draws (and so all its later data) never depend on how long the other due tasks' episodes run
            live = [i for j, i in enumerate(due) if alive[j * k : (j + 1) * k].any()]
            noise[live] = self.gens.randn(k, n_act, subset=live)
            stochastic = agent.policy(x, noise).action[due].reshape(-1, n_act)
            mean_action = agent.policy(x, None).action[due].reshape(-1, n_act)
            return np.where(deterministic[:, None], mean_action.cpu().numpy(), stochastic.cpu().numpy())

        paths = rollout(flat, act, max(e.max_episode_steps for e in flat), np.ones(len(flat), bool), device)
        for j, i in enumerate(due):
            self.last[i] = steps // sched.eval_frequency
            ck = sched.checkpoint_name(steps)
            jobs = np.arange(j * k, (j + 1) * k)
            parts = {"sample": paths.to_trajectories(jobs[:k_sample])} if k_sample else {}
            if sched.num_eval_episodes:
                parts["eval"] = paths.to_trajectories(jobs[k_sample:])
            tdir = task_dir(self.spec.data_dir, self.tasks[i])
            write_checkpoint(tdir, ck, parts)
            if self.spec.save_networks:
                write_networks(
                    tdir,
                    ck,
                    agent.task_state(i),
                    {"obs_dim": self.obs_dim, "action_dim": self.action_dim, "sac": self.spec.sac.to_dict()},
                )
            self.checkpoints[i].append(ck)
            ret_sample, ret_mean_action = mean_return(parts.get("sample")), mean_return(parts.get("eval"))
            self.returns[i].append(f"{ck},{ret_sample!r},{ret_mean_action!r}")
            atomic_write_text(tdir / RETURNS_FILE, "\n".join([RETURNS_HEADER, *self.returns[i]]) + "\n")
            if (row := self.records.row(i, ck)) is not None:
                self.losses[i].append(row)
                atomic_write_text(tdir / LOSSES_FILE, "\n".join([LOSSES_HEADER, *self.losses[i]]) + "\n")
            self.last_return[i] = ret_sample if k_sample else ret_mean_action
            self.bars.checkpoint(i, len(self.checkpoints[i]), self.last_return[i])

    def _write_meta(self, i: int, complete: bool) -> None:
        task, settings = self.tasks[i], self.settings()  # (env, schedule, SAC, seeding, physics: `group_settings`)
        meta = {
            "format_version": FORMAT_VERSION,
            **as_task_records(settings),
            "task_idx": task,
            "task": self.envs[i].unwrapped.get_task(),
            "obs_dim": self.obs_dim,
            "action_dim": self.action_dim,
            "checkpoints": self.checkpoints[i],
            "seed": self.spec.sched.seed,
            "complete": complete,
            "trained_on": self.trained_on,
            "versions": running_versions(),
            "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),  # (local time and its offset from UTC)
        }
        write_task_meta(task_dir(self.spec.data_dir, task), meta)


def check_checkpoints_come(env_name: str, env_params: dict[str, Any], sched: Schedule) -> None:
    """`_check_checkpoints_come` for the env's episode length, before a run records its settings
    (`claim_dataset_settings`): a run refused for it leaves no file behind."""
    _check_checkpoints_come(sched, make_env(env_name, **env_params).max_episode_steps)


def _check_checkpoints_come(sched: Schedule, episode_length: int) -> None:
    """A UserError unless full-length episodes end at a step a checkpoint comes at (`Schedule.checkpoint_due`):
    else the run would write a "complete" task of no checkpoints."""
    if not sched.expected_checkpoints(episode_length):
        raise UserError(
            f"SAC settings num_seed_steps={sched.num_seed_steps}, eval_frequency={sched.eval_frequency}, "
            f"num_train_steps={sched.num_train_steps}: no checkpoint would come, expected an end of the env's "
            f"{episode_length}-step episodes at a step s with num_seed_steps < s < num_train_steps and "
            "s >= eval_frequency"
        )


def _to_cpu(tree):
    """A copy of a nest of dicts/lists whose tensors are on the CPU."""
    if isinstance(tree, torch.Tensor):
        return tree.detach().cpu().clone()
    if isinstance(tree, dict):
        return {k: _to_cpu(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_to_cpu(v) for v in tree)
    return tree


def pending_tasks(data_dir: Path, tasks: list[int], settings: dict[str, Any], resumes: bool = True) -> list[int]:
    """Tasks without a complete dataset and, for a run that `resumes` saved group states, complete ones whose
    group's saved state is still there (a run cut short while `finish` marked its tasks complete: resuming that
    group finishes them all again; a run that never reads those states, Ray's, counts them complete). A task
    written with other `settings` (`group_settings`) is an error, a complete one of `tasks` or any other of the
    dataset (another --split part's, complete or under way): kept beside new tasks, it would make one dataset of
    two kinds of behaviour data."""
    held = set().union(*(group for _, group in saved_groups(data_dir))) if resumes else set()
    todo = []
    for t in tasks:
        meta = read_task_meta(task_dir(data_dir, t))
        if meta is None or not meta.get("complete") or t in held:
            todo.append(t)
            continue
        _refuse_other_settings(data_dir, t, meta, settings)
        _refuse_missing_files(data_dir, t, meta)
    # the dataset's other tasks, complete or under way (a --split part's group records its settings as it begins:
    # a group not yet begun, or begun in the same instant, is not seen here, but in `claim_dataset_settings`)
    others = [t for t in (parse_task_dir(d) for d in Path(data_dir).glob(f"{TASK_DIR_PREFIX}*")) if t is not None]
    for t in sorted(set(others) - set(tasks)):
        meta = read_task_meta(task_dir(data_dir, t))
        if meta is not None:
            _refuse_other_settings(data_dir, t, meta, settings)
    return todo


def _refuse_missing_files(data_dir: Path, t: int, meta: dict[str, Any]) -> None:
    """A UserError when a task marked complete lacks a checkpoint file its task.json lists, or holds one cut short
    (no zip directory at its end): counted complete, it would pass for data until meta-training read it. (A cheap
    look at each file; `python -m rlkit.data check` reads them whole.)"""
    for step in meta.get("checkpoints", []):
        path = checkpoint_path(task_dir(data_dir, t), step)
        if not path.is_file() or not zipfile.is_zipfile(path):
            what = "missing" if not path.is_file() else "not a whole npz file"
            raise UserError(
                f"{str(path)!r} is {what}, though its task is marked complete: expected every checkpoint file "
                f"task.json lists; `python -m rlkit.data check {data_dir}` says what else is wrong, and removing "
                f"{str(task_dir(data_dir, t))!r} trains the task again"
            )


def claim_dataset_settings(data_dir: Path, settings: dict[str, Any]) -> None:
    """Record `settings` as the dataset's (DATA_DIR/stage1_settings.json), or refuse them if it records others. A
    task.json records its settings only as its group begins, so two --split parts beginning in the same instant
    did not see each other's: the file is created once, whole (`create_once`), and the second part compares with
    it. Called once `pending_tasks` has passed (its checks name the task folders of a dataset that predates the file),
    and the saved states, the schedule (`check_checkpoints_come`) and on Ray the resources too, so that a refused run
    leaves no file behind."""
    path = Path(data_dir) / SETTINGS_FILE
    create_once(path, json.dumps(settings, indent=2, sort_keys=True) + "\n")
    recorded = read_dataset_settings(data_dir)  # (None only if removed in between: nothing recorded to differ)
    diff = [] if recorded is None else _recorded_differences(as_task_records(recorded), settings)
    if diff:
        raise UserError(
            f"{str(path)!r} records other stage-1 settings for this dataset ({'; '.join(diff)}): expected this "
            "run's settings for every task of a dataset (every --split part alike); set another "
            "algo_params.data_dir in the config, or remove that file if no task of the dataset has begun training "
            "(else the dataset folder)"
        )


def _refuse_other_settings(data_dir: Path, task: int, meta: dict[str, Any], settings: dict[str, Any]) -> None:
    """A UserError if task `task`'s task.json (`meta`) records other `settings` than this run's."""
    diff = _recorded_differences(meta, settings)
    if diff:
        state = "complete data" if meta.get("complete") else "data (still being trained, or interrupted)"
        raise UserError(
            f"{str(task_dir(data_dir, task))!r} holds {state} written with other settings ({'; '.join(diff)}): "
            "expected this run's settings for every task of a dataset (every --split part alike); set another "
            "algo_params.data_dir in the config, or remove that folder"
        )


def _recorded_differences(meta: dict[str, Any], settings: dict[str, Any]) -> list[str]:
    """`key: recorded -> wanted` for each of `settings` that a task.json records otherwise (a task.json without
    the seeding record predates `rlkit.seeding`: version 1; one without another record cannot differ in it)."""
    recorded = {k: meta[n] for k in settings if (n := TASK_RECORD_NAMES.get(k, k)) in meta}
    recorded |= {k: meta.get(k, v) for k, v in _OLD_RECORDS.items()}
    return setting_differences(recorded, {k: v for k, v in settings.items() if k in recorded})


def _ran_alike(recorded: str, now: str) -> bool:
    """Whether a state's record of where its tasks trained (`TaskGroup._ran_on`) names where they train now; one
    saved before the thread count and CPU were recorded (2026-12-06) is compared on its device and capture alone."""
    return recorded == now or (" thread" not in recorded and now.startswith(f"{recorded}, "))


def split_tasks(n_tasks: int, split: int, split_idx: int) -> list[int]:
    """Part `split_idx` of `split` near-equal contiguous parts of range(n_tasks) (any n_tasks works)."""
    if split < 1 or not 0 <= split_idx < split:
        raise UserError(f"--split {split} --split_idx {split_idx}: expected split >= 1 and 0 <= split_idx < split")
    return list(range(_split_bound(n_tasks, split, split_idx), _split_bound(n_tasks, split, split_idx + 1)))


def _split_bound(n_tasks: int, split: int, i: int) -> int:
    """Where part i begins: `np.linspace(0, n_tasks, split + 1).round()[i]` (i times the float step, rounded half
    to even; the last exactly n_tasks) computed alone, so that a huge --split allocates nothing."""
    return n_tasks if i == split else int(np.round(i * (n_tasks / split)))
