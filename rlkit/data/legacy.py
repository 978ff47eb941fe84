"""Opt-in import/export of the reference's layout (docs/data-format.md).

The reference writes one pickled object array per trajectory,
`goal_idx{i}/trj_evalsample{k}_step{c}.npy` (stochastic) and `trj_eval{k}_step{c}.npy`
(deterministic), each row `[obs, action, reward, next_obs]`. Reading these needs pickle, so
`import_legacy` refuses unless the caller passes `allow_pickle=True` explicitly.

Normalisation: with `normalizer.npz` in the source, the reference's files hold observations
already divided by `abs_max + 1e-8`; the import multiplies them back (our files hold raw
observations) and copies the normalizer, so loader and env divide the same way again.
"""
from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np

from rlkit.data.dataset import (FORMAT_VERSION, Trajectories, read_checkpoint, read_normalizer,
                                read_task_meta, task_dir, task_dirs, write_checkpoint, write_task_meta)
from rlkit.errors import UserError

_PATTERN = re.compile(r"^trj_(evalsample|eval)(\d+)_step(\d+)\.npy$")
_KIND = {"evalsample": "sample", "eval": "eval"}
_PREFIX = {v: k for k, v in _KIND.items()}


def _rows_to_traj(rows: np.ndarray, scale: np.ndarray | None) -> Trajectories:
    obs = np.stack([np.asarray(r[0], dtype=np.float64).ravel() for r in rows])
    act = np.stack([np.asarray(r[1], dtype=np.float64).ravel() for r in rows])
    rew = np.array([float(np.asarray(r[2]).ravel()[0]) for r in rows])
    nxt = np.stack([np.asarray(r[3], dtype=np.float64).ravel() for r in rows])
    if scale is not None:
        obs, nxt = obs * scale, nxt * scale
    n = len(rows)
    return Trajectories(obs.astype(np.float32), act.astype(np.float32), rew.astype(np.float32),
                        nxt.astype(np.float32), np.zeros(n, np.float32), np.array([n]))


def import_legacy(src: str | Path, dst: str | Path, env_name: str, allow_pickle: bool = False) -> int:
    """Convert every `goal_idx*` folder of `src`; returns the number of tasks written."""
    if not allow_pickle:
        raise UserError("the reference's .npy files are pickled object arrays: pass --allow-pickle to load them "
                        "(only for data you trust)")
    src, dst = Path(src), Path(dst)
    dirs = task_dirs(src, "the reference's offline_dataset/ENV layout")
    scale = read_normalizer(src)
    for task, d in dirs:
        files: dict[tuple[str, int], list[tuple[int, Path]]] = defaultdict(list)
        for f in d.iterdir():
            m = _PATTERN.match(f.name)
            if m:
                files[(_KIND[m.group(1)], int(m.group(3)))].append((int(m.group(2)), f))
        if not files:
            raise UserError(f"{str(d)!r} has no trj_eval*/trj_evalsample* files")
        steps = sorted({s for _, s in files})
        out = task_dir(dst, task)
        obs_dim = act_dim = 0
        for step in steps:
            per_kind = {}
            for kind in ("sample", "eval"):
                entries = sorted(files.get((kind, step), []))
                if entries:
                    trajs = [_rows_to_traj(np.load(p, allow_pickle=True), scale) for _, p in entries]
                    per_kind[kind] = Trajectories.concat(trajs)
                    obs_dim, act_dim = per_kind[kind].obs.shape[1], per_kind[kind].actions.shape[1]
            write_checkpoint(out, step, per_kind)
        write_task_meta(out, {"format_version": FORMAT_VERSION, "env_name": env_name, "task_idx": task,
                              "task": None, "obs_dim": obs_dim, "action_dim": act_dim, "checkpoints": steps,
                              "source": f"import-legacy {src}", "complete": True})
    if (src / "normalizer.npz").is_file():
        shutil.copyfile(src / "normalizer.npz", dst / "normalizer.npz")
    return len(dirs)


def export_legacy(src: str | Path, dst: str | Path) -> int:
    """Write our dataset in the reference's per-trajectory layout (observations divided if normalised)."""
    src, dst = Path(src), Path(dst)
    dirs = task_dirs(src, "a dataset written by policy_train.py")
    scale = read_normalizer(src)
    for _, d in dirs:
        meta = read_task_meta(d)
        if meta is None:
            raise UserError(f"{str(d)!r} has no task.json: expected a dataset written by policy_train.py")
        out = dst / d.name
        out.mkdir(parents=True, exist_ok=True)
        for step in meta["checkpoints"]:
            for kind in ("sample", "eval"):
                t = read_checkpoint(d, step, kind, missing_ok=True)
                if t is None:
                    continue
                starts = np.concatenate([[0], np.cumsum(t.traj_lengths)[:-1]])
                for k, (s, n) in enumerate(zip(starts, t.traj_lengths)):
                    rows = np.empty((int(n), 4), dtype=object)
                    for j in range(int(n)):
                        o, no = t.obs[s + j].astype(np.float64), t.next_obs[s + j].astype(np.float64)
                        if scale is not None:
                            o, no = o / scale, no / scale
                        rows[j] = [o, t.actions[s + j].astype(np.float64), float(t.rewards[s + j]), no]
                    np.save(out / f"trj_{_PREFIX[kind]}{k}_step{step}.npy", rows, allow_pickle=True)
    if (src / "normalizer.npz").is_file():
        shutil.copyfile(src / "normalizer.npz", dst / "normalizer.npz")
    return len(dirs)
