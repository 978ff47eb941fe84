"""More behaviour episodes from the saved policies, without retraining (`policy_train.py --regenerate`).

For each task and chosen checkpoint, the checkpoint's saved actor (`goal_idx{i}/networks/step{c}.pt`)
rolls out `n_trj` stochastic episodes, which go to `goal_idx{i}/step{c}_extra.npz`. The loader appends
them to the checkpoint's own episodes when `n_trj` asks for more than it holds. Episodes are
deterministic for a seed: env k of a (task, checkpoint) is reset from the stream `regenerate_envs` of
(seed, k), and the policy noise comes from the stream `regenerate_noise` of (seed, task, checkpoint)
(`rlkit.seeding`).

Plan, check, write. The plan names every (task, checkpoint): the chosen checkpoints, by default every
one that task.json lists (its networks were saved with the data), each of which must have its network
file. Each network file is then loaded, checked against the env and dropped, one at a time, and only
then is anything written, each file from its network loaded again: memory holds one network at a time
(the data of a faithful MuJoCo run has ~1000 networks of ~21 MB), and a missing or damaged network file
is one line before the first write.

Each extra file records what wrote it (`meta_seed`, `meta_seeding`: the version of the streams' derivation,
`meta_n_trj`, `meta_networks_sha256` of the network file, `meta_env_params`, and `meta_device` for a file
written on a GPU; the loaders read only the episodes). A file of the same settings is the file this run would
write, so it is kept: a killed regeneration run again with the same arguments resumes, and gives the files of an
uninterrupted run. A file of other settings (an older seeding version among them) is replaced only with
`overwrite`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rlkit.behaviour.generate import lock_tasks, make_task_envs
from rlkit.cli import out_of_memory
from rlkit.data.dataset import checkpoint_path, mean_return, task_dir
from rlkit.data.meta import listed_checkpoints, physics_problem, read_task_meta, same_task, setting_differences
from rlkit.data.networks import networks_path, read_networks, saved_network_steps
from rlkit.data.npz import read_npz_meta, write_checkpoint
from rlkit.data.rollout import rollout
from rlkit.errors import UserError
from rlkit.seeding import SEEDING_VERSION, stream_seed, torch_generator
from rlkit.torch.sac.vector_sac import SACParams, VectorSAC

CPU = torch.device("cpu")


@dataclass(frozen=True)
class Job:
    """One (task, checkpoint) of a regeneration: the settings its extra file records, and whether an
    extra file of exactly these settings is already there (left by a killed run), to be kept."""

    task: int
    checkpoint: int
    settings: dict[str, Any]  # seed, seeding, n_trj, networks_sha256, env_params (JSON)
    done: bool


def regenerate(
    env_name: str,
    env_params: dict[str, Any],
    data_dir: Path,
    tasks: list[int],
    *,
    n_trj: int | None = None,
    checkpoints: list[int] | None = None,
    seed: int = 0,
    overwrite: bool = False,
    device: torch.device = CPU,
) -> list[Path]:
    """Write `n_trj` more stochastic episodes per (task, checkpoint) (None: as many as the task's
    checkpoints hold, its schedule's num_eval_sample_episodes) of the chosen `checkpoints` (None: every one
    task.json lists), from the episodes' `seed`, replacing files of other settings only with `overwrite`;
    returns the files written."""
    if n_trj is not None and n_trj < 1:
        raise UserError(f"--n_trj {n_trj}: expected at least 1 episode")
    existing = [t for t in tasks if task_dir(data_dir, t).is_dir()]  # a missing one is refused by the plan
    with lock_tasks(data_dir, existing):  # not beside a stage-1 process or another regeneration of these tasks
        jobs = plan_regeneration(
            env_name,
            env_params,
            data_dir,
            tasks,
            n_trj=n_trj,
            checkpoints=checkpoints,
            seed=seed,
            overwrite=overwrite,
            device=device,
        )
        todo = [job for job in jobs if not job.done]
        steps = sorted({job.checkpoint for job in jobs})
        span = f"tasks {min(tasks)}..{max(tasks)}" if tasks else "no tasks"
        print(
            f"{data_dir}: {span}, checkpoints {steps}: {len(jobs)} files, {len(todo)} to write, "
            f"{len(jobs) - len(todo)} already written with these settings (kept)"
        )
        return [regenerate_one(env_name, env_params, data_dir, job, device) for job in todo]


def plan_regeneration(
    env_name: str,
    env_params: dict[str, Any],
    data_dir: Path,
    tasks: list[int],
    *,
    n_trj: int | None = None,
    checkpoints: list[int] | None = None,
    seed: int = 0,
    overwrite: bool = False,
    device: torch.device = CPU,
) -> list[Job]:
    """Every (task, checkpoint) to regenerate, its network checked; a UserError for anything missing,
    damaged or in the way, before any write. The cheap checks (task.json, which files exist) run for
    every task before the first network is loaded. A file's settings name the device where it is not the CPU: the
    noise stream and the policy's arithmetic are the device's, so a CUDA file is not a CPU file of the same seed
    (CPU files record no device, as those written before the record)."""
    chosen = {}
    for t in tasks:
        tdir = task_dir(data_dir, t)
        meta = complete_task_meta(tdir)
        chosen[t] = (meta, task_checkpoints(tdir, meta, checkpoints))
    jobs = []
    for t, (meta, steps) in chosen.items():
        tdir = task_dir(data_dir, t)
        dims = check_task_env(env_name, env_params, data_dir, t, meta)
        episodes = n_trj or int(meta.get("schedule", {}).get("num_eval_sample_episodes", 0)) or 1
        for c in steps:
            settings = {
                "seed": seed,
                "seeding": SEEDING_VERSION,
                "n_trj": episodes,
                "networks_sha256": check_networks(tdir, c, dims),
                "env_params": json.dumps(env_params, sort_keys=True),
            } | ({"device": device.type} if device.type != "cpu" else {})
            jobs.append(Job(t, c, settings, already_written(checkpoint_path(tdir, c, extra=True), settings, overwrite)))
    return jobs


def complete_task_meta(tdir: Path) -> dict[str, Any]:
    meta = read_task_meta(tdir)
    if meta is None or not meta.get("complete"):
        raise UserError(
            f"{str(tdir)!r} holds no complete behaviour data: expected a dataset written by "
            "policy_train.py (run it without --regenerate first)"
        )
    return meta


def task_checkpoints(tdir: Path, meta: dict[str, Any], chosen: list[int] | None) -> list[int]:
    """The checkpoints of a task to regenerate: `chosen`, or every one task.json lists; each must be
    listed and have its network file."""
    listed = listed_checkpoints(tdir, meta)
    if meta.get("saved_networks") is False or not saved_network_steps(tdir):
        raise UserError(
            f"{str(tdir)!r} holds no saved behaviour networks (the data has checkpoints {listed}): "
            "expected a dataset written with save_networks=true"
        )
    unknown = [c for c in chosen or [] if c not in listed]
    if unknown:
        raise UserError(
            f"checkpoint(s) {unknown} of {str(tdir)!r} are not checkpoints of its data: expected some of {listed}"
        )
    steps = list(dict.fromkeys(chosen or listed))
    for c in steps:
        if not networks_path(tdir, c).is_file():
            raise UserError(
                f"missing network file {str(networks_path(tdir, c))!r}: task.json lists checkpoint {c} "
                "and says its networks were saved: expected the file (restore it, or choose other "
                "--checkpoints)"
            )
    return steps


def check_task_env(
    env_name: str, env_params: dict[str, Any], data_dir: Path, t: int, meta: dict[str, Any]
) -> tuple[int, int]:
    """The env's (obs, action) dims for task `t`, once its task and env settings are checked to be the data's (the
    extra episodes join the checkpoint's own: episodes of another length or goal radius would mix two datasets)."""
    env = make_task_envs(env_name, env_params, t, [None], dataset=data_dir)[0]
    problem = physics_problem(task_dir(data_dir, t), meta, env.unwrapped.physics_version)
    if problem:
        raise UserError(problem)
    if meta.get("task") is not None and not same_task(meta["task"], env.unwrapped.get_task()):
        raise UserError(
            f"{str(task_dir(data_dir, t) / 'task.json')!r} describes task {meta['task']}, but the config's "
            f"env has {env.unwrapped.get_task()}: expected the config the data was written with"
        )
    if meta.get("env_params") is not None:  # (a legacy import records none)
        diff = setting_differences({"env_params": meta["env_params"]}, {"env_params": dict(env_params)})
        if diff:
            raise UserError(
                f"{str(task_dir(data_dir, t) / 'task.json')!r} records other env settings ({'; '.join(diff)}): "
                "expected the config the data was written with"
            )
    return env.observation_space.shape[0], env.action_space.shape[0]


def check_networks(tdir: Path, c: int, dims: tuple[int, int]) -> str:
    """Load checkpoint c's network file, check that it holds a one-task SAC for the env's dims and its
    own SAC settings (every tensor's name and shape), drop it; returns the file's SHA-256, which the
    extra file records."""
    path = networks_path(tdir, c)
    doc = read_networks(tdir, c)
    if (doc.get("obs_dim"), doc.get("action_dim")) != dims:
        raise UserError(
            f"{str(path)!r} holds networks for obs/action dims "
            f"{doc.get('obs_dim')}/{doc.get('action_dim')}: expected {dims[0]}/{dims[1]}"
        )
    try:
        found = {k: tuple(v.shape) for k, v in doc["state"].items()}
        expected = sac_state_shapes(dims, json.dumps(doc["sac"], sort_keys=True))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise UserError(
            f"{str(path)!r} lacks the networks or SAC settings of a behaviour SAC ({type(e).__name__}: "
            f"{e}): expected a network file written by policy_train.py"
        ) from None
    if found != expected:
        wrong = sorted(k for k in found.keys() | expected.keys() if found.get(k) != expected.get(k))
        raise UserError(
            f"{str(path)!r} holds tensors {wrong[:3]} of other shapes than its SAC settings give: "
            "expected a network file written by policy_train.py"
        )
    del doc
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def sac_state_shapes(dims: tuple[int, int], sac_json: str) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor of a one-task SAC (dims, SAC settings as JSON); a SAC is built once
    per kind (about a second at the faithful sizes) rather than once per network file."""
    agent = VectorSAC(1, *dims, SACParams.from_dict(json.loads(sac_json)), 0, CPU)
    return {k: tuple(v.shape) for k, v in agent.state_dict().items()}


def load_agent(doc: dict[str, Any], path: Path, device: torch.device) -> VectorSAC:
    """A one-task SAC holding the networks `doc` (read from `path`, checked by `check_networks`)."""
    try:
        agent = VectorSAC(1, doc["obs_dim"], doc["action_dim"], SACParams.from_dict(doc["sac"]), 0, device)
        agent.load_state_dict({k: v.to(device) for k, v in doc["state"].items()})
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        if out_of_memory(e):
            raise  # the device's memory, not the file: the entry point's own one-line message
        raise UserError(
            f"{str(path)!r} holds networks that do not fit its SAC settings ({type(e).__name__}): "
            "expected a network file written by policy_train.py"
        ) from None
    return agent


def already_written(path: Path, settings: dict[str, Any], overwrite: bool) -> bool:
    """True where the extra file `path` exists and records `settings` (this run would write the same file);
    False where it is missing or `overwrite` replaces it; otherwise a UserError naming what differs."""
    if not path.exists():
        return False
    recorded = read_npz_meta(path)
    if recorded == settings:
        return True
    if overwrite:
        return False
    keys = [*settings, *(k for k in recorded or {} if k not in settings)]
    differs = [k for k in keys if not recorded or recorded.get(k) != settings.get(k)]
    if recorded is None:
        found = " but cannot be read"
    elif not recorded:
        found = " without a record of the settings that wrote it"
    else:
        found = ", written with " + _settings(recorded, differs)
    raise UserError(
        f"{str(path)!r} exists{found}: expected {_settings(settings, differs)} (pass --overwrite to replace it)"
    )


def _settings(values: dict[str, Any], keys: list[str]) -> str:
    """Settings as the messages show them: `seed 3, networks sha256 1a2b3c4d5e6f` (the hash's start)."""
    return ", ".join(
        f"networks sha256 {str(values.get(k))[:12]}" if k == "networks_sha256" else f"{k} {values.get(k)}" for k in keys
    )


def regenerate_one(env_name: str, env_params: dict[str, Any], data_dir: Path, job: Job, device: torch.device) -> Path:
    """Roll the job's network out (loaded here and dropped on return) and write its extra file."""
    tdir, t, c = task_dir(data_dir, job.task), job.task, job.checkpoint
    seed, n = job.settings["seed"], job.settings["n_trj"]
    doc = read_networks(tdir, c)
    agent = load_agent(doc, networks_path(tdir, c), device)
    action_dim = doc["action_dim"]
    del doc  # the agent holds its own copy of the networks
    envs = make_task_envs(
        env_name, env_params, t, [stream_seed(seed, "regenerate_envs", k) for k in range(n)], dataset=data_dir
    )
    gen = torch_generator(seed, "regenerate_noise", t, c, device=device)

    @torch.no_grad()
    def act(obs: torch.Tensor, step: int, alive: np.ndarray) -> np.ndarray:
        noise = torch.randn(1, len(envs), action_dim, generator=gen, device=device)
        return agent.policy(obs[None], noise).action[0].cpu().numpy()

    paths = rollout(envs, act, max(e.max_episode_steps for e in envs), np.ones(len(envs), bool), device)
    trajs = paths.to_trajectories(range(len(envs)))
    path = write_checkpoint(tdir, c, {"sample": trajs}, extra=True, meta=job.settings)
    print(f"{tdir.name} checkpoint {c}: {n} more episodes, mean return {mean_return(trajs):.3g} -> {path.name}")
    return path
