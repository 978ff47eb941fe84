"""Opt-in import/export of the reference's layout (docs/data-format.md).

The reference writes one pickled object array per trajectory,
`goal_idx{i}/trj_evalsample{k}_step{c}.npy` (stochastic) and `trj_eval{k}_step{c}.npy`
(deterministic), each row `[obs, action, reward, next_obs]`. Reading these needs pickle, so
`import_legacy` refuses unless the caller passes `allow_pickle=True` explicitly.

Normalisation: with `normalizer.npz` in the source, the reference's files hold observations
already divided by `abs_max + 1e-8`; the import multiplies them back (our files hold raw
observations) and copies the normalizer, so loader and env divide the same way again.

Export writes every episode of each listed checkpoint: `step{c}.npz`'s as k = 0, 1, ..., then those of its
`step{c}_extra.npz` (`policy_train.py --regenerate`) numbered on from there, so an import of the export
holds them all, in the order the loader reads them. The reference's rows hold no done flag, so the import
writes every terminal 0: an episode that ends early may have ended by termination or by another length limit
the reference's collection used, and the loader's `terminal_at_traj_end` marks every episode's end alike.

A task's `task_params.json` (the parameter families' model parameters) is copied both ways. Export writes only
what this code would train on, since the reference's layout cannot say otherwise: an interrupted task, or (given
the env's physics version, as `python -m rlkit.data export-legacy` gives it) data of another physics, is refused.

Both commands write a whole new folder: a destination that holds anything is refused unless
`overwrite`, which replaces it whole. The new tree is built in a temporary folder beside the
destination and renamed into place only once complete, so a failure (bad data, a full disk, a
kill) leaves the destination as it was, and the old tree is deleted only after the new one is in place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rlkit.data.dataset import FORMAT_VERSION, TASK_PARAMS_FILE, Trajectories, checkpoint_path, task_dir, task_dirs
from rlkit.data.load import read_normalizer
from rlkit.data.meta import listed_checkpoints, physics_problem, read_task_meta, write_task_meta
from rlkit.data.npz import read_checkpoint, write_checkpoint
from rlkit.errors import UserError
from rlkit.fileio import CannotCreate, fsync_folder, make_folder, umask

_PATTERN = re.compile(r"^trj_(evalsample|eval)(\d+)_step(\d+)\.npy$")
_KIND = {"evalsample": "sample", "eval": "eval"}
_PREFIX = {v: k for k, v in _KIND.items()}


_ROWS = "a reference trajectory file of rows [obs, action, reward, next_obs]"


def _rows_to_traj(path: Path, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """(obs, actions, rewards, next_obs) of a reference file's `rows`, float64, one row per transition; rows of
    another layout are a one-line UserError naming `path`."""
    cols: list[list[np.ndarray]] = [[], [], [], []]
    j = 0
    try:
        for j, r in enumerate(rows):
            if len(r) != 4:
                raise UserError(f"{str(path)!r} row {j} holds {len(r)} entries: expected 4, {_ROWS}")
            for c in range(4):
                cols[c].append(np.asarray(r[c], dtype=np.float64).ravel())  # (None becomes NaN: refused below)
    except (ValueError, TypeError, IndexError, KeyError) as e:
        raise UserError(
            f"{str(path)!r} row {j} is not [obs, action, reward, next_obs] of numbers ({type(e).__name__}: {e}): "
            f"expected {_ROWS}"
        ) from None
    for c, name in enumerate(("observations", "actions", "rewards", "next observations")):
        sizes = sorted({len(v) for v in cols[c]})
        if sizes != ([1] if name == "rewards" else sizes[:1]) or sizes[0] < 1:
            what = "one number per row" if name == "rewards" else "one size (>= 1) in every row"
            raise UserError(f"{str(path)!r} holds {name} of sizes {sizes}: expected {what} ({_ROWS})")
    obs, act, rew, nxt = (np.stack(c) for c in cols)
    if obs.shape[1] != nxt.shape[1]:
        raise UserError(
            f"{str(path)!r} holds observations of size {obs.shape[1]} and next observations of size "
            f"{nxt.shape[1]}: expected one size ({_ROWS})"
        )
    return obs, act, rew[:, 0], nxt


def _read_legacy_file(path: Path) -> tuple[np.ndarray, ...]:
    """One reference trajectory file (rows [obs, action, reward, next_obs]) as float64 (obs, actions, rewards,
    next_obs); a file that cannot be read, or holds rows of another layout, is a one-line UserError naming it."""
    try:
        rows = np.load(path, allow_pickle=True)
        n = len(rows)
    except Exception as e:  # (a pickle may raise anything: a class or module this Python lacks, a numpy 2 object read
        # by numpy 1 ...; OSError, ValueError, EOFError, pickle.UnpicklingError for a damaged file)
        raise UserError(
            f"{str(path)!r} is truncated or unreadable ({type(e).__name__}): expected a reference "
            "trajectory file of rows [obs, action, reward, next_obs]"
        ) from None
    if not n:
        raise UserError(f"{str(path)!r} holds no rows: expected a trajectory of rows [obs, action, reward, next_obs]")
    return _rows_to_traj(path, rows)


def _to_trajectories(path: Path, arrays: tuple[np.ndarray, ...], scale: np.ndarray | None, src: Path) -> Trajectories:
    """One episode of our format from a reference file's float64 arrays: observations multiplied by `scale`
    (SRC's normalizer: its size must be theirs), float32, every value finite (NaN, inf, a None entry and
    values beyond float32's range are refused, naming the file)."""
    obs, act, rew, nxt = arrays
    if scale is not None:
        if scale.shape != (obs.shape[1],):
            raise UserError(
                f"{str(src / 'normalizer.npz')!r} holds abs_max of shape {scale.shape}: expected "
                f"({obs.shape[1]},), the observation size of {str(path)!r}"
            )
        obs, nxt = obs * scale, nxt * scale
    n = len(rew)
    with np.errstate(over="ignore"):  # a value beyond float32's range becomes inf: refused below
        t = Trajectories(
            obs.astype(np.float32),
            act.astype(np.float32),
            rew.astype(np.float32),
            nxt.astype(np.float32),
            np.zeros(n, np.float32),  # the reference's rows hold no done flag (the module's docstring)
            np.array([n]),
        )
    bad = [f for f in ("obs", "actions", "rewards", "next_obs") if not np.isfinite(getattr(t, f)).all()]
    if bad:
        raise UserError(
            f"{str(path)!r} holds non-finite values in {bad} (NaN, inf, None or beyond float32's range): "
            "expected finite numbers"
        )
    return t


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
    removes the temporary folder and leaves `dst` untouched. The new tree is synced to the disk before the swap and
    the parent after it, so a crash never leaves the old copy deleted and the new one unwritten; a failed swap
    names where the old copy is."""
    dst = Path(dst)
    make_folder(dst.parent)
    try:
        new = Path(tempfile.mkdtemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".new"))
    except FileNotFoundError as e:  # (the parent is there: the filesystem makes nothing in it)
        raise CannotCreate(errno.ENOENT, e.strerror, str(dst)) from None
    old = None
    try:
        os.chmod(new, 0o777 & ~umask())  # mkdtemp makes 0700: the mode mkdir() would give, shared or not
        result = build(new)
        sync_tree(new)  # (a large tree's sync interrupted leaves no copy behind either)
        if dst.exists():
            old = Path(tempfile.mkdtemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".old"))
            os.replace(dst, old)  # onto the empty folder mkdtemp made
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        if old is not None:  # (dst not moved aside: the empty folder made for it goes; rmdir leaves a full one)
            with contextlib.suppress(OSError):
                old.rmdir()
        raise
    try:
        os.replace(new, dst)
    except OSError as e:
        kept = f"; the previous {str(dst)!r} is at {str(old)!r}" if old is not None else ""
        raise OSError(e.errno, f"{e.strerror} (the new copy is at {str(new)!r}{kept})", str(dst)) from e
    fsync_folder(dst.parent)
    if old is not None:
        shutil.rmtree(old)
    return result


def sync_tree(root: Path) -> None:
    """Flush every file and folder under `root` (and `root`) to the disk."""
    for folder, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_folder(folder)


def _dims_problem(path: Path, arrays: tuple[np.ndarray, ...], expected: tuple[int, int], what: str) -> str | None:
    """A line saying that the (obs, actions, ...) `arrays` read from `path` do not have the (obs, action) sizes
    `expected`, or None."""
    got = (arrays[0].shape[1], arrays[1].shape[1])
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
    if env_dims is None:  # every file's observation size is checked against abs_max's as it is read
        scale = read_normalizer(src)
    else:
        scale = read_normalizer(src, env_dims[0], f"the observation size of {env_name!r}")
    expected, whose = env_dims, f"those of {env_name!r}: is --env-name right?"
    found = {task: _legacy_files(d) for task, d in dirs}
    _refuse_missing_files(dirs, found)
    for task, d in dirs:
        files = found[task]
        steps = sorted({s for _, s in files})
        out = task_dir(dst, task)
        for step in steps:
            per_kind = {}
            for kind in ("sample", "eval"):
                trajs = []
                for _, path in sorted(files.get((kind, step), [])):
                    arrays = _read_legacy_file(path)
                    if expected is None:  # no env given: every file must match the first one read
                        expected = (arrays[0].shape[1], arrays[1].shape[1])
                        whose = f"those of {str(path)!r}"
                    problem = _dims_problem(path, arrays, expected, whose)
                    if problem:
                        raise UserError(problem)
                    trajs.append(_to_trajectories(path, arrays, scale, src))
                if trajs:
                    per_kind[kind] = Trajectories.concat(trajs)
            write_checkpoint(out, step, per_kind)
        if (d / TASK_PARAMS_FILE).is_file():  # (an export of this project's data of a parameter family)
            shutil.copyfile(d / TASK_PARAMS_FILE, out / TASK_PARAMS_FILE)
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


def _refuse_missing_files(dirs: list[tuple[int, Path]], found: dict[int, dict]) -> None:
    """A UserError naming the first episode file a task lacks: a gap in a checkpoint's episode numbers, or a
    checkpoint (or its episodes of one kind) that another task has. Imported, such data passed for a smaller
    dataset and `rlkit.data check` called it complete. (How many episodes a checkpoint has may differ: an export
    of this project's data numbers a checkpoint's regenerated episodes on from its own.)"""
    prefix = {kind: name for name, kind in _KIND.items()}
    every = sorted({key for files in found.values() for key in files}, key=lambda key: (key[1], key[0]))
    for task, d in dirs:
        for kind, step in every:
            have = {k for k, _ in found[task].get((kind, step), [])}
            missing = next(k for k in range(len(have) + 1) if k not in have)
            if missing < max(have, default=0) or not have:
                raise UserError(
                    f"{str(d / f'trj_{prefix[kind]}{missing}_step{step}.npy')!r} is missing: expected episodes "
                    "numbered from 0 without a gap, at every checkpoint another task has (a copy cut short?)"
                )


def _legacy_files(tdir: Path) -> dict[tuple[str, int], list[tuple[int, Path]]]:
    """(kind, checkpoint) -> [(episode k, path)] of a reference task folder's trj_* files; none is an error."""
    files: dict[tuple[str, int], list[tuple[int, Path]]] = defaultdict(list)
    for f in tdir.iterdir():
        m = _PATTERN.match(f.name)
        if m and any(g != str(int(g)) for g in m.group(2, 3)):  # the reference's loader opens none of those names
            raise UserError(
                f"{str(f)!r}: expected trj_{m.group(1)}{{k}}_step{{c}}.npy with k and c written without leading "
                f"zeros (the reference reads only such names: this one would be read as episode {int(m.group(2))} of "
                f"checkpoint {int(m.group(3))} beside that file's own); remove or rename it"
            )
        if m:
            files[(_KIND[m.group(1)], int(m.group(3)))].append((int(m.group(2)), f))
    if not files:
        raise UserError(f"{str(tdir)!r} has no trj_eval*/trj_evalsample* files")
    return files


def export_legacy(
    src: str | Path, dst: str | Path, overwrite: bool = False, physics: Callable[[str], int] | None = None
) -> int:
    """Write our dataset in the reference's per-trajectory layout (observations divided if normalised) into
    the new folder `dst` (see the module's docstring for `overwrite`). Only data this code would train on is
    exported: complete tasks and, given `physics` (env_name -> its family's physics version), of this physics; the
    reference's layout records neither, so an import of the export could not tell."""
    dirs = task_dirs(src, "a dataset written by policy_train.py")
    check_destination(src, dst, overwrite)
    return build_then_swap(dst, lambda out: _export_tasks(Path(src), out, dirs, physics))


def _export_tasks(
    src: Path, dst: Path, dirs: list[tuple[int, Path]], physics: Callable[[str], int] | None = None
) -> int:
    metas = []
    for _, d in dirs:
        meta = read_task_meta(d)
        if meta is None:
            raise UserError(f"{str(d)!r} has no task.json: expected a dataset written by policy_train.py")
        steps = listed_checkpoints(d, meta)
        if not meta.get("complete"):
            raise UserError(
                f"{str(d)!r} is an interrupted stage-1 task (task.json says complete: false): expected complete "
                "tasks to export (rerun policy_train.py with the same settings to finish it)"
            )
        if physics is not None and (problem := physics_problem(d, meta, physics(meta["env_name"]))):
            raise UserError(problem)
        metas.append((d, meta, steps))
    # abs_max must have the tasks' observation size (task.json's; each file's own is checked as it is divided)
    sizes = {m["obs_dim"]: d for d, m, _ in metas if type(m.get("obs_dim")) is int}
    if len(sizes) == 1:
        size, d = next(iter(sizes.items()))
        scale = read_normalizer(src, size, f"the observation size {str(d / 'task.json')!r} gives")
    else:
        scale = read_normalizer(src)
    for d, _, steps in metas:
        out = dst / d.name
        make_folder(out)
        if (d / TASK_PARAMS_FILE).is_file():  # a parameter family's task: what meta-training restores it from
            shutil.copyfile(d / TASK_PARAMS_FILE, out / TASK_PARAMS_FILE)
        for step in steps:
            for kind in ("sample", "eval"):
                t = read_checkpoint(d, step, kind, missing_ok=True)
                n = _export_episodes(t, out, kind, step, 0, scale, checkpoint_path(d, step), src)
                if checkpoint_path(d, step, extra=True).is_file():  # regenerated episodes: k numbered on
                    more = read_checkpoint(d, step, kind, missing_ok=True, extra=True)
                    _export_episodes(more, out, kind, step, n, scale, checkpoint_path(d, step, extra=True), src)
    if (src / "normalizer.npz").is_file():
        shutil.copyfile(src / "normalizer.npz", dst / "normalizer.npz")
    return len(dirs)


def _export_episodes(
    t: Trajectories | None, out: Path, kind: str, step: int, first: int, scale: np.ndarray | None, path: Path, src: Path
) -> int:
    """Write `t`'s episodes (read from `path`) as `trj_{prefix}{k}_step{step}.npy`, k from `first` on, observations
    divided by `scale`; returns the k after the last one written (`first` for no trajectories)."""
    if t is None:
        return first
    if scale is not None and scale.shape != (t.obs.shape[1],):
        raise UserError(
            f"{str(src / 'normalizer.npz')!r} holds abs_max of shape {scale.shape}: expected ({t.obs.shape[1]},), "
            f"the observation size of {str(path)!r}"
        )
    starts = np.concatenate([[0], np.cumsum(t.traj_lengths)[:-1]])
    for k, (s, n) in enumerate(zip(starts, t.traj_lengths), start=first):
        rows = np.empty((int(n), 4), dtype=object)
        for j in range(int(n)):
            o, no = t.obs[s + j].astype(np.float64), t.next_obs[s + j].astype(np.float64)
            if scale is not None:
                o, no = o / scale, no / scale
            rows[j] = [o, t.actions[s + j].astype(np.float64), float(t.rewards[s + j]), no]
        np.save(out / f"trj_{_PREFIX[kind]}{k}_step{step}.npy", rows, allow_pickle=True)
    return first + t.n_traj
