"""Opt-in import/export of the reference's layout (docs/data-format.md).

The reference writes one pickled object array per trajectory,
`goal_idx{i}/trj_evalsample{k}_step{c}.npy` (stochastic) and `trj_eval{k}_step{c}.npy`
(deterministic), each row `[obs, action, reward, next_obs]`. Reading these needs pickle, so
`import_legacy` refuses unless the caller passes `allow_pickle=True` explicitly.

Normalisation: with `normalizer.npz` in the source, the reference's files hold observations
already divided by `abs_max + 1e-8`; the import multiplies them back (our files hold raw
observations) and copies the normalizer, so loader and env divide the same way again.

Both commands write a whole new folder: a destination that holds anything is refused unless
`overwrite`, which replaces it whole. The new tree is built in a temporary folder beside the
destination and renamed into place only once complete, so a failure (bad data, a full disk, a
kill) leaves the destination as it was, and the old tree is deleted only after the new one is in place.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rlkit.data.dataset import FORMAT_VERSION, Trajectories, task_dir, task_dirs
from rlkit.data.load import read_normalizer
from rlkit.data.meta import read_task_meta, write_task_meta
from rlkit.data.npz import read_checkpoint, write_checkpoint
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
    return Trajectories(
        obs.astype(np.float32),
        act.astype(np.float32),
        rew.astype(np.float32),
        nxt.astype(np.float32),
        np.zeros(n, np.float32),
        np.array([n]),
    )


def _read_legacy_file(path: Path, scale: np.ndarray | None) -> Trajectories:
    """One reference trajectory file (rows [obs, action, reward, next_obs]), observations multiplied by `scale`."""
    try:
        rows = np.load(path, allow_pickle=True)
        width = np.asarray(rows[0][0]).size if len(rows) else 0
    except (OSError, ValueError, EOFError, IndexError, TypeError, pickle.UnpicklingError) as e:
        raise UserError(
            f"{str(path)!r} is truncated or unreadable ({type(e).__name__}): expected a reference "
            "trajectory file of rows [obs, action, reward, next_obs]"
        ) from None
    if not len(rows):
        raise UserError(f"{str(path)!r} holds no rows: expected a trajectory of rows [obs, action, reward, next_obs]")
    if scale is not None and scale.shape != (width,):
        raise UserError(
            f"normalizer.npz holds abs_max of shape {scale.shape}: expected ({width},), the observation "
            f"size of {str(path)!r}"
        )
    return _rows_to_traj(rows, scale)


def check_destination(src: str | Path, dst: str | Path, overwrite: bool) -> None:
    """Refuse a destination that is the source, inside it, or holds it, one that is a file, and one that
    holds anything unless `overwrite` (which replaces it whole)."""
    s, d = Path(src).resolve(), Path(dst).resolve()
    if d == s or s in d.parents:
        raise UserError(
            f"destination {str(dst)!r} is the source folder {str(src)!r} or inside it: expected a "
            "folder outside the source"
        )
    if d in s.parents:
        raise UserError(
            f"destination {str(dst)!r} holds the source folder {str(src)!r}: expected a folder outside "
            "the source (replacing it would delete the source)"
        )
    if d.exists() and not d.is_dir():
        raise UserError(f"destination {str(dst)!r} is a file: expected a new or empty folder")
    if d.is_dir() and any(d.iterdir()) and not overwrite:
        raise UserError(
            f"destination {str(dst)!r} is not empty: expected a new or empty folder (--overwrite replaces it whole)"
        )


def build_then_swap(dst: str | Path, build: Callable[[Path], int]) -> int:
    """`build(folder)` into a new temporary folder beside `dst`, then put that folder at `dst` (an existing
    `dst` is moved aside first and deleted last); returns what `build` returns. A failure in `build`
    removes the temporary folder and leaves `dst` untouched."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".new"))
    try:
        os.chmod(new, 0o755)  # mkdtemp makes 0700; datasets are meant to be shared
        result = build(new)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    old = None
    if dst.exists():
        old = Path(tempfile.mkdtemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".old"))
        os.replace(dst, old)  # onto the empty folder mkdtemp made
    os.replace(new, dst)
    if old is not None:
        shutil.rmtree(old)
    return result


def _dims_problem(path: Path, trajs: Trajectories, expected: tuple[int, int], what: str) -> str | None:
    """A line saying that `trajs` (read from `path`) do not have the (obs, action) sizes `expected`, or None."""
    got = (trajs.obs.shape[1], trajs.actions.shape[1])
    if got == expected:
        return None
    return (
        f"{str(path)!r} holds observations of size {got[0]} and actions of size {got[1]}: expected "
        f"{expected[0]} and {expected[1]} ({what})"
    )


def import_legacy(
    src: str | Path,
    dst: str | Path,
    env_name: str,
    allow_pickle: bool = False,
    overwrite: bool = False,
    env_dims: tuple[int, int] | None = None,
) -> int:
    """Convert every `goal_idx*` folder of `src` into the new folder `dst` (see the module's docstring for
    `overwrite`); returns the number of tasks written. `env_dims`, the env's (observation, action) sizes,
    refuses data of another env before anything is written."""
    if not allow_pickle:
        raise UserError(
            "the reference's .npy files are pickled object arrays: pass --allow-pickle to load them "
            "(only for data you trust)"
        )
    dirs = task_dirs(src, "the reference's offline_dataset/ENV layout")
    check_destination(src, dst, overwrite)
    return build_then_swap(dst, lambda out: _import_tasks(Path(src), out, dirs, env_name, env_dims))


def _import_tasks(
    src: Path, dst: Path, dirs: list[tuple[int, Path]], env_name: str, env_dims: tuple[int, int] | None
) -> int:
    scale = read_normalizer(src)
    expected, whose = env_dims, f"those of {env_name!r}: is --env-name right?"
    for task, d in dirs:
        files = _legacy_files(d)
        steps = sorted({s for _, s in files})
        out = task_dir(dst, task)
        for step in steps:
            per_kind = {}
            for kind in ("sample", "eval"):
                trajs = []
                for _, path in sorted(files.get((kind, step), [])):
                    trajs.append(_read_legacy_file(path, scale))
                    if expected is None:  # no env given: every file must match the first one read
                        expected = (trajs[-1].obs.shape[1], trajs[-1].actions.shape[1])
                        whose = f"those of {str(path)!r}"
                    problem = _dims_problem(path, trajs[-1], expected, whose)
                    if problem:
                        raise UserError(problem)
                if trajs:
                    per_kind[kind] = Trajectories.concat(trajs)
            write_checkpoint(out, step, per_kind)
        write_task_meta(
            out,
            {
                "format_version": FORMAT_VERSION,
                "env_name": env_name,
                "task_idx": task,
                "task": None,
                "obs_dim": expected[0],
                "action_dim": expected[1],
                "checkpoints": steps,
                "source": f"import-legacy {src}",
                "complete": True,
            },
        )
    if (src / "normalizer.npz").is_file():
        shutil.copyfile(src / "normalizer.npz", dst / "normalizer.npz")
    return len(dirs)


def _legacy_files(tdir: Path) -> dict[tuple[str, int], list[tuple[int, Path]]]:
    """(kind, checkpoint) -> [(episode k, path)] of a reference task folder's trj_* files; none is an error."""
    files: dict[tuple[str, int], list[tuple[int, Path]]] = defaultdict(list)
    for f in tdir.iterdir():
        m = _PATTERN.match(f.name)
        if m:
            files[(_KIND[m.group(1)], int(m.group(3)))].append((int(m.group(2)), f))
    if not files:
        raise UserError(f"{str(tdir)!r} has no trj_eval*/trj_evalsample* files")
    return files


def export_legacy(src: str | Path, dst: str | Path, overwrite: bool = False) -> int:
    """Write our dataset in the reference's per-trajectory layout (observations divided if normalised) into
    the new folder `dst` (see the module's docstring for `overwrite`)."""
    dirs = task_dirs(src, "a dataset written by policy_train.py")
    check_destination(src, dst, overwrite)
    return build_then_swap(dst, lambda out: _export_tasks(Path(src), out, dirs))


def _export_tasks(src: Path, dst: Path, dirs: list[tuple[int, Path]]) -> int:
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
