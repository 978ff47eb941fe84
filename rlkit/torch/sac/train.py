"""Stage 1: train one behaviour SAC per task and save checkpoint rollouts (docs/algorithm.md, "Pipeline").

Checkpoint schedule (per task): at the first episode boundary after `step > num_seed_steps`
where `step // eval_frequency` has grown since the last checkpoint, roll out
`num_eval_sample_episodes` stochastic and `num_eval_episodes` deterministic episodes and
write them as checkpoint `(step // eval_frequency) * eval_frequency`.
"""
from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

import rlkit
from rlkit.config import REPO_ROOT
from rlkit.data.dataset import (FORMAT_VERSION, TASK_PARAMS_FILE, read_task_meta, task_dir, write_checkpoint,
                                write_task_meta)
from rlkit.envs import NormalizedBoxEnv, make_env
from rlkit.errors import UserError
from rlkit.eval.rollout import rollout
from rlkit.torch.sac.vector_sac import SACParams, TaskGenerators, VectorSAC


SAC_CONFIG_DIR = REPO_ROOT / "rlkit" / "torch" / "sac" / "pytorch_sac" / "config"


def default_sac_config(env_name: str) -> str:
    """The reference's choice: train_point.yaml for the point robots, train.yaml for the MuJoCo families."""
    return "train_point" if "point-robot" in env_name else "train"


def load_sac_config(name: str, overrides: list[str]):
    """(hydra config, Schedule, SACParams) of SAC_CONFIG_DIR/NAME.yaml with hydra `KEY=VALUE` overrides."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if not (SAC_CONFIG_DIR / f"{name}.yaml").is_file():
        names = sorted(p.stem for p in SAC_CONFIG_DIR.glob("*.yaml"))
        raise UserError(f"unknown --sac_config {name!r}: expected one of {names}")
    try:
        with initialize_config_dir(config_dir=str(SAC_CONFIG_DIR), version_base=None):
            cfg = compose(config_name=name, overrides=overrides)
        return cfg, Schedule.from_hydra(cfg), SACParams.from_hydra(cfg)
    except (HydraException, OmegaConfBaseException, ValueError) as e:
        first = str(e).strip().splitlines()[0]
        raise UserError(f"bad SAC override in {overrides}: {first}") from None


def generate(env_name: str, env_params: dict[str, Any], data_dir: Path, tasks: list[int], sac_config: str,
             loaded: tuple, device: torch.device, progress: str | None = None) -> None:
    """Stage 1 for `tasks`: skip the complete ones, train the rest in groups of `tasks_per_group`.
    `loaded` is `load_sac_config(sac_config, overrides)`, loaded by the caller so that bad overrides
    fail before anything else."""
    hcfg, sched, sac = loaded
    todo = pending_tasks(data_dir, tasks, env_name, sched, sac)
    print(f"{env_name}: tasks {tasks[0]}..{tasks[-1]} of this part, {len(tasks) - len(todo)} already complete, "
          f"{len(todo)} to train ({sac_config}) -> {data_dir}")
    group = max(1, int(hcfg.get("tasks_per_group", 1)))
    for start in range(0, len(todo), group):
        train_task_group(env_name, env_params, todo[start:start + group], sched, sac, data_dir, device, progress)


@dataclass(frozen=True)
class Schedule:
    num_train_steps: int
    num_seed_steps: int
    eval_frequency: int
    num_eval_episodes: int
    num_eval_sample_episodes: int
    replay_buffer_capacity: int
    seed: int

    @staticmethod
    def from_hydra(cfg) -> "Schedule":
        s = Schedule(*(int(cfg[k]) for k in ("num_train_steps", "num_seed_steps", "eval_frequency", "num_eval_episodes",
                                               "num_eval_sample_episodes", "replay_buffer_capacity", "seed")))
        if min(s.num_train_steps, s.eval_frequency, s.replay_buffer_capacity) <= 0 or s.num_seed_steps < 0:
            raise UserError(f"SAC schedule {s}: expected positive num_train_steps, eval_frequency, replay_buffer_capacity")
        return s

    def expected_checkpoints(self, episode_length: int) -> list[int]:
        """Checkpoints of a run whose episodes all have `episode_length` steps (no early termination)."""
        out, last = [], 0
        for step in range(episode_length, self.num_train_steps, episode_length):
            if step > self.num_seed_steps and step // self.eval_frequency > last:
                last = step // self.eval_frequency
                out.append(last * self.eval_frequency)
        return out


def _make_envs(env_name: str, env_params: dict[str, Any], task: int, n: int, seed: int) -> list:
    envs = []
    for k in range(n):
        env = NormalizedBoxEnv(make_env(env_name, **env_params))
        env.reset_task(task)
        env.reset(seed=seed * 100_003 + k)
        envs.append(env)
    return envs


class _Replay:
    """Per-task replay buffers as [n, capacity, .] tensors; all tasks hold the same number of rows."""

    def __init__(self, n: int, capacity: int, obs_dim: int, action_dim: int, device: torch.device):
        shapes = {"obs": obs_dim, "actions": action_dim, "rewards": 1, "next_obs": obs_dim, "not_done": 1}
        self.data = {k: torch.zeros(n, capacity, d, device=device) for k, d in shapes.items()}
        self.capacity, self.size, self.ptr = capacity, 0, 0

    def add(self, **rows: np.ndarray) -> None:
        for k, v in rows.items():
            self.data[k][:, self.ptr] = torch.as_tensor(v, dtype=torch.float32).reshape(self.data[k].shape[0], -1)
        self.ptr = (self.ptr + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, gens: TaskGenerators) -> dict[str, torch.Tensor]:
        idx = gens.randint(self.size, batch_size)  # [n, B]
        return {k: torch.gather(v, 1, idx[..., None].expand(-1, -1, v.shape[-1])) for k, v in self.data.items()}


class TaskBars:
    """Progress of a task group, in one of three modes:
    "bars": one tqdm bar per task (`goal_idx{i}`), advancing together since a group's tasks train in
    lockstep, each showing its checkpoints written and the mean return of the last checkpoint's
    stochastic episodes; "lines": one plain line per checkpoint written (for logs: no cursor
    escapes); "off": nothing. `mode=None` picks "bars" on a terminal and "lines" otherwise."""

    def __init__(self, tasks: list[int], total: int, mode: str | None = None):
        self.mode = mode or ("bars" if sys.stderr.isatty() else "lines")
        self.tasks = tasks
        fmt = "{desc}: {percentage:3.0f}% {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}{postfix}]"  # fits 80 columns
        self.bars = [tqdm(total=total, desc=f"goal_idx{t}", position=i, leave=True, mininterval=1.0, bar_format=fmt)
                     for i, t in enumerate(tasks)] if self.mode == "bars" else []

    def advance(self) -> None:
        for bar in self.bars:
            bar.update()

    def checkpoint(self, i: int, n_written: int, mean_return: float) -> None:
        if self.mode == "bars":
            self.bars[i].set_postfix(ckpts=n_written, ret=f"{mean_return:.3g}", refresh=False)
        elif self.mode == "lines":
            print(f"goal_idx{self.tasks[i]}: checkpoint {n_written} written, mean return {mean_return:.3g}",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        for bar in self.bars:
            bar.close()


def train_task_group(env_name: str, env_params: dict[str, Any], tasks: list[int], sched: Schedule, sac: SACParams,
                     data_dir: Path, device: torch.device, progress: str | None = None) -> None:
    """Train the behaviour SACs of `tasks` together and write each task's checkpoints as they come."""
    n = len(tasks)
    envs = [_make_envs(env_name, env_params, t, 1, sched.seed)[0] for t in tasks]
    obs_dim, act_dim = envs[0].observation_space.shape[0], envs[0].action_space.shape[0]
    gens = TaskGenerators(n, sched.seed, device)
    agent = VectorSAC(n, obs_dim, act_dim, sac, sched.seed, device)
    replay = _Replay(n, sched.replay_buffer_capacity, obs_dim, act_dim, device)
    n_roll = sched.num_eval_sample_episodes + sched.num_eval_episodes
    eval_envs = [_make_envs(env_name, env_params, t, n_roll, sched.seed + 1) for t in tasks]
    checkpoints: list[list[int]] = [[] for _ in tasks]
    last_ck = np.zeros(n, dtype=np.int64)
    for i, t in enumerate(tasks):
        write_task_meta(task_dir(data_dir, t), _meta(env_name, envs[i], t, obs_dim, act_dim, sched, sac, [], False))
        if hasattr(envs[i].unwrapped, "save_task"):  # parameter families: the dataset describes its own task
            envs[i].unwrapped.save_task(t, task_dir(data_dir, t) / TASK_PARAMS_FILE)

    obs = np.stack([e.reset()[0] for e in envs])
    bars = TaskBars(tasks, sched.num_train_steps, progress)
    for step in range(sched.num_train_steps):
        bars.advance()
        if step >= sched.num_seed_steps:
            with torch.no_grad():
                o = torch.as_tensor(obs, dtype=torch.float32, device=device)[:, None]
                action = agent.policy(o, gens.randn(1, act_dim)).action[:, 0].cpu().numpy()
            agent.update(replay.sample(sac.batch_size, gens), step, gens)
        else:
            action = gens.uniform(1, act_dim)[:, 0].cpu().numpy()
        next_obs, rewards, not_done, ended = [], [], [], []
        for i, env in enumerate(envs):
            nxt, r, terminated, truncated, _ = env.step(action[i])
            next_obs.append(nxt), rewards.append(r), not_done.append(0.0 if terminated else 1.0)
            ended.append(terminated or truncated)
        replay.add(obs=obs, actions=action, rewards=np.array(rewards), next_obs=np.stack(next_obs), not_done=np.array(not_done))
        obs = np.stack(next_obs)
        total = step + 1
        due = [i for i in range(n) if ended[i] and sched.num_seed_steps < total < sched.num_train_steps and total // sched.eval_frequency > last_ck[i]]
        if due:
            _checkpoint(agent, gens, [eval_envs[i] for i in due], due, [tasks[i] for i in due], sched, data_dir,
                        total, device, checkpoints, last_ck, bars)
        for i in np.flatnonzero(ended):
            obs[i] = envs[i].reset()[0]
    bars.close()
    for i, t in enumerate(tasks):
        write_task_meta(task_dir(data_dir, t), _meta(env_name, envs[i], t, obs_dim, act_dim, sched, sac, checkpoints[i], True))


def _checkpoint(agent, gens, env_sets, due, tasks, sched, data_dir, total, device, checkpoints, last_ck, bars) -> None:
    """Roll out the due tasks' policies (stochastic, then deterministic episodes) and save them."""
    k_sample = sched.num_eval_sample_episodes
    flat = [e for envs in env_sets for e in envs]
    k = len(env_sets[0])
    n_act = agent.action_dim
    deterministic = np.tile(np.arange(k) >= k_sample, len(due))

    @torch.no_grad()
    def act(obs: torch.Tensor, t: int) -> np.ndarray:
        x = torch.zeros(agent.n, k, obs.shape[-1], device=device)
        x[due] = obs.view(len(due), k, -1)
        noise = torch.zeros(agent.n, k, n_act, device=device)
        noise[due] = gens.randn(k, n_act, subset=due)
        stochastic = agent.policy(x, noise).action[due].reshape(-1, n_act)
        mean_action = agent.policy(x, None).action[due].reshape(-1, n_act)
        return np.where(deterministic[:, None], mean_action.cpu().numpy(), stochastic.cpu().numpy())

    paths = rollout(flat, act, max(e.max_episode_steps for e in flat), np.ones(len(flat), bool), device)
    for j, (i, task) in enumerate(zip(due, tasks)):
        last_ck[i] = total // sched.eval_frequency
        ck = int(last_ck[i] * sched.eval_frequency)
        jobs = np.arange(j * k, (j + 1) * k)
        parts = {"sample": paths.to_trajectories(jobs[:k_sample])} if k_sample else {}
        if sched.num_eval_episodes:
            parts["eval"] = paths.to_trajectories(jobs[k_sample:])
        write_checkpoint(task_dir(data_dir, task), ck, parts)
        checkpoints[i].append(ck)
        shown = parts.get("sample", parts.get("eval"))
        if shown is not None:
            bars.checkpoint(i, len(checkpoints[i]), float(shown.rewards.sum()) / max(len(shown.traj_lengths), 1))


def _meta(env_name, env, task, obs_dim, act_dim, sched, sac, checkpoints, complete) -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "env_name": env_name, "task_idx": task, "task": env.unwrapped.get_task(),
            "obs_dim": obs_dim, "action_dim": act_dim, "checkpoints": checkpoints, "schedule": sched.__dict__,
            "sac": {k: list(v) if isinstance(v, tuple) else v for k, v in sac.__dict__.items()},
            "seed": sched.seed, "complete": complete,
            "versions": {"csro": rlkit.__version__, "torch": torch.__version__, "numpy": np.__version__,
                         "python": platform.python_version()},
            "written": time.strftime("%Y-%m-%dT%H:%M:%S")}


def pending_tasks(data_dir: Path, tasks: list[int], env_name: str, sched: Schedule, sac: SACParams) -> list[int]:
    """Tasks without a complete dataset; a complete one written with other settings is an error."""
    todo = []
    for t in tasks:
        meta = read_task_meta(task_dir(data_dir, t))
        if meta is None or not meta.get("complete"):
            todo.append(t)
            continue
        if meta.get("env_name") != env_name or meta.get("schedule") != sched.__dict__:
            raise UserError(f"{str(task_dir(data_dir, t))!r} holds complete data written with other settings "
                            f"(env {meta.get('env_name')!r}, schedule {meta.get('schedule')}): expected env {env_name!r}, "
                            f"schedule {sched.__dict__}; use another data_dir or remove that folder")
    return todo


def split_tasks(n_tasks: int, split: int, split_idx: int) -> list[int]:
    """Part `split_idx` of `split` near-equal contiguous parts of range(n_tasks) (any n_tasks works)."""
    if split < 1 or not 0 <= split_idx < split:
        raise UserError(f"--split {split} --split_idx {split_idx}: expected split >= 1 and 0 <= split_idx < split")
    bounds = np.linspace(0, n_tasks, split + 1).round().astype(int)
    return list(range(bounds[split_idx], bounds[split_idx + 1]))
