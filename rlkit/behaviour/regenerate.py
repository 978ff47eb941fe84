"""More behaviour episodes from the saved policies, without retraining (`policy_train.py --regenerate`).

For each task and chosen checkpoint, the checkpoint's saved actor (`goal_idx{i}/networks/step{c}.pt`)
rolls out `n_trj` stochastic episodes, which go to `goal_idx{i}/step{c}_extra.npz`. The loader appends
them to the checkpoint's own episodes when `n_trj` asks for more than it holds. Episodes are
deterministic for a seed: env k of a (task, checkpoint) is reset with `seed * 100_003 + k`, and the
policy noise comes from a generator seeded by (seed, task, checkpoint). Every check runs before the
first file is written; an existing extra file is replaced only with `overwrite`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from rlkit.behaviour.generate import make_task_envs, mean_return
from rlkit.data.dataset import (checkpoint_path, read_networks, read_task_meta, same_task, saved_network_steps, task_dir,
                                write_checkpoint)
from rlkit.data.rollout import rollout
from rlkit.errors import UserError
from rlkit.torch.sac.vector_sac import SACParams, VectorSAC


def plan_regeneration(data_dir: Path, tasks: list[int], checkpoints: list[int] | None,
                      overwrite: bool) -> list[tuple[int, int]]:
    """(task, checkpoint) pairs to regenerate; a UserError for anything missing, before any write."""
    plan = []
    for t in tasks:
        tdir = task_dir(data_dir, t)
        meta = read_task_meta(tdir)
        if meta is None or not meta.get("complete"):
            raise UserError(f"{str(tdir)!r} holds no complete behaviour data: expected a dataset written by "
                            "policy_train.py (run it without --regenerate first)")
        saved = saved_network_steps(tdir)
        if not saved:
            raise UserError(f"{str(tdir / 'networks')!r} holds no saved behaviour networks (the data has checkpoints "
                            f"{meta.get('checkpoints', [])}): expected a dataset written with save_networks=true")
        unknown = [c for c in checkpoints or [] if c not in saved]
        if unknown:
            raise UserError(f"checkpoint(s) {unknown} of {str(tdir)!r} have no saved networks: expected some of {saved}")
        for c in checkpoints or saved:
            out = checkpoint_path(tdir, c, extra=True)
            if out.exists() and not overwrite:
                raise UserError(f"{str(out)!r} exists: expected a new file (pass --overwrite to replace it)")
            plan.append((t, c))
    return plan


def regenerate(env_name: str, env_params: dict[str, Any], data_dir: Path, tasks: list[int], n_trj: int | None,
               checkpoints: list[int] | None, seed: int, overwrite: bool, device: torch.device) -> list[Path]:
    """Write `n_trj` more stochastic episodes per (task, checkpoint) (None: as many as the task's
    checkpoints hold, its schedule's num_eval_sample_episodes); returns the files written."""
    if n_trj is not None and n_trj < 1:
        raise UserError(f"--n_trj {n_trj}: expected at least 1 episode")
    plan = plan_regeneration(data_dir, tasks, checkpoints, overwrite)
    docs, episodes = {}, {}
    for t in sorted({t for t, _ in plan}):  # every check before the first write
        tdir = task_dir(data_dir, t)
        env = make_task_envs(env_name, env_params, t, 1, seed, dataset=data_dir)[0]
        meta = read_task_meta(tdir)
        episodes[t] = n_trj or int(meta.get("schedule", {}).get("num_eval_sample_episodes", 0)) or 1
        if meta.get("task") is not None and not same_task(meta["task"], env.unwrapped.get_task()):
            raise UserError(f"{str(tdir / 'task.json')!r} describes task {meta['task']}, but the config's env has "
                            f"{env.unwrapped.get_task()}: expected the config the data was written with")
        dims = (env.observation_space.shape[0], env.action_space.shape[0])
        for tc, c in plan:
            if tc == t:
                doc = docs[t, c] = read_networks(tdir, c)
                if (doc.get("obs_dim"), doc.get("action_dim")) != dims:
                    raise UserError(f"{str(tdir)!r} networks of checkpoint {c} are for obs/action dims "
                                    f"{doc.get('obs_dim')}/{doc.get('action_dim')}: expected {dims[0]}/{dims[1]}")
    written = []
    for (t, c), doc in docs.items():
        tdir = task_dir(data_dir, t)
        n = episodes[t]
        envs = make_task_envs(env_name, env_params, t, n, seed, dataset=data_dir)
        obs_dim, action_dim = doc["obs_dim"], doc["action_dim"]
        agent = VectorSAC(1, obs_dim, action_dim, SACParams.from_dict(doc["sac"]), 0, device)
        agent.load_state_dict({k: v.to(device) for k, v in doc["state"].items()})
        gen = torch.Generator(device=device).manual_seed(int(np.random.SeedSequence([seed, t, c]).generate_state(1)[0]))

        @torch.no_grad()
        def act(obs: torch.Tensor, step: int) -> np.ndarray:
            noise = torch.randn(1, len(envs), action_dim, generator=gen, device=device)
            return agent.policy(obs[None], noise).action[0].cpu().numpy()

        paths = rollout(envs, act, max(e.max_episode_steps for e in envs), np.ones(len(envs), bool), device)
        trajs = paths.to_trajectories(range(len(envs)))
        written.append(write_checkpoint(tdir, c, {"sample": trajs}, extra=True))
        print(f"{tdir.name} checkpoint {c}: {n} more episodes, mean return {mean_return(trajs):.3g} -> {written[-1].name}")
    return written
