"""The offline dataset on disk (docs/data-format.md).

DATA_DIR/goal_idx{i}/
    task.json          env name, task index and parameters, dims, checkpoints, seed, versions,
                       "complete": true once every checkpoint is written (the resume marker)
    step{c}.npz        one file per behaviour checkpoint c, pickle-free float32 arrays:
                       {kind}_{obs,actions,rewards,next_obs,terminals,traj_lengths} for kind in
                       "sample" (stochastic policy, the reference's trj_evalsample) and "eval"
                       (deterministic, the reference's trj_eval)
    task_params.json   (parameter families only) the task's model parameters, written by
                       rand_param_envs.save_task_params; meta-training restores the task from it
DATA_DIR/normalizer.npz (optional, key abs_max): observations are divided by abs_max + 1e-8
                       when loading and when acting. Files always store raw observations.

Every write goes to a temporary file that is renamed into place, so a killed run never
leaves a half file that looks whole.
"""
from __future__ import annotations

import functools
import io
import json
import os
import platform
import re
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from rlkit.errors import UserError
from rlkit.fileio import atomic_write, atomic_write_text

FORMAT_VERSION = 1
KINDS = ("sample", "eval")
TASK_PARAMS_FILE = "task_params.json"
RETURNS_FILE = "returns.csv"  # per task: mean stochastic and deterministic return of every checkpoint
FIELDS = ("obs", "actions", "rewards", "next_obs", "terminals", "traj_lengths")


@dataclass
class Trajectories:
    """Consecutive episodes, flattened: row t is (obs, action, reward, next_obs, terminal)."""

    obs: np.ndarray  # [n, obs_dim] float32
    actions: np.ndarray  # [n, action_dim] float32
    rewards: np.ndarray  # [n] float32
    next_obs: np.ndarray  # [n, obs_dim] float32
    terminals: np.ndarray  # [n] float32, 1 where the env terminated (not a time limit)
    traj_lengths: np.ndarray  # [k] int64, episode lengths, sum = n

    def __len__(self) -> int:
        return len(self.rewards)

    @property
    def n_traj(self) -> int:
        return len(self.traj_lengths)

    def first(self, n_traj: int) -> "Trajectories":
        """The first `n_traj` episodes."""
        n = int(self.traj_lengths[:n_traj].sum())
        return Trajectories(self.obs[:n], self.actions[:n], self.rewards[:n], self.next_obs[:n],
                            self.terminals[:n], self.traj_lengths[:n_traj])

    @staticmethod
    def concat(parts: list["Trajectories"]) -> "Trajectories":
        return Trajectories(*(np.concatenate([getattr(p, f) for p in parts]) for f in FIELDS))

    def traj_end_mask(self) -> np.ndarray:
        """1.0 at the last transition of every episode."""
        mask = np.zeros(len(self), dtype=np.float32)
        mask[np.cumsum(self.traj_lengths) - 1] = 1.0
        return mask


TASK_DIR_PREFIX = "goal_idx"


def task_dir(data_dir: str | Path, task_idx: int) -> Path:
    return Path(data_dir) / f"{TASK_DIR_PREFIX}{task_idx}"


def checkpoint_path(tdir: Path, step: int, extra: bool = False) -> Path:
    """`step{c}.npz`, or with `extra` `step{c}_extra.npz`: more episodes of checkpoint c's saved policy
    (`policy_train.py --regenerate`), which the loader appends when n_trj asks for more."""
    return tdir / f"step{int(step)}{EXTRA_SUFFIX if extra else ''}.npz"


EXTRA_SUFFIX = "_extra"
NETWORKS_DIR = "networks"
NETWORKS_FORMAT = "csro-behaviour-networks/1"


def networks_path(tdir: Path, step: int) -> Path:
    """The behaviour SAC's networks at checkpoint `step` (actor, critic, target critic, temperature)."""
    return tdir / NETWORKS_DIR / f"step{int(step)}.pt"


def saved_network_steps(tdir: Path) -> list[int]:
    return sorted(int(p.stem[4:]) for p in (tdir / NETWORKS_DIR).glob("step*.pt") if p.stem[4:].isdigit())


def write_networks(tdir: Path, step: int, state: dict[str, Any], info: dict[str, Any]) -> Path:
    """One task's networks (a one-task `VectorSAC` state_dict) with `info` (dims, SAC settings)."""
    import torch
    path = networks_path(tdir, step)
    doc = {"format": NETWORKS_FORMAT, "step": int(step), "state": state, **info}
    atomic_write(path, lambda f: torch.save(doc, f))
    return path


def read_networks(tdir: Path, step: int) -> dict[str, Any]:
    """What `write_networks` wrote, loaded without unpickling code (`weights_only=True`)."""
    import pickle

    import torch
    path = networks_path(tdir, step)
    if not path.is_file():
        raise UserError(f"missing network file {str(path)!r}: expected one of the checkpoints "
                        f"{saved_network_steps(tdir)} that have saved networks")
    try:
        doc = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as e:
        raise UserError(f"{str(path)!r} is truncated or unreadable ({type(e).__name__}): expected a network file "
                        "written by policy_train.py") from None
    if not isinstance(doc, dict) or doc.get("format") != NETWORKS_FORMAT:
        raise UserError(f"{str(path)!r} is not a behaviour network file: expected format {NETWORKS_FORMAT!r}")
    return doc


META_PREFIX = "meta_"  # .npz keys that say what wrote the file (e.g. --regenerate's settings), not episodes


def write_checkpoint(tdir: Path, step: int, trajs: dict[str, Trajectories], extra: bool = False,
                     meta: dict[str, int | str] | None = None) -> Path:
    """Checkpoint `step`'s trajectories; `meta` scalars (what wrote the file) go in as `meta_{key}`
    arrays, which the loaders leave alone (`read_npz_meta` reads them)."""
    arrays: dict[str, np.ndarray] = {f"{META_PREFIX}{k}": np.asarray(v) for k, v in (meta or {}).items()}
    for kind, t in trajs.items():
        if kind not in KINDS:
            raise ValueError(f"unknown trajectory kind {kind!r}")
        for f in FIELDS:
            v = getattr(t, f)
            arrays[f"{kind}_{f}"] = v.astype(np.int64 if f == "traj_lengths" else np.float32)
    path = checkpoint_path(tdir, step, extra)
    atomic_write(path, lambda fh: np.savez(fh, **arrays))
    return path


def read_npz_meta(path: Path) -> dict[str, Any] | None:
    """The `meta_*` scalars `write_checkpoint` stored in `path`, keyed without the prefix ({} for a file
    without them); None for a file that cannot be read as an .npz. Reads only those members."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k.removeprefix(META_PREFIX): z[k].item() for k in z.files if k.startswith(META_PREFIX)}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        return None


_NPY_HEADER = re.compile(r"""\{'descr': '([<>|=][a-z]\d+)', 'fortran_order': False, 'shape': \(([\d, ]*)\), \}""")


def read_npz(path: Path, keys: list[str]) -> dict[str, np.ndarray]:
    """The arrays `keys` of an .npz file (those it holds), as `np.load(path, allow_pickle=False)` gives them.

    Speed: a dataset is hundreds of small .npz files, and np.load spends most of its time per array
    (a zip member opened, its header parsed with `ast.literal_eval`), not reading data. The files
    `np.savez` writes store members uncompressed, so this reads the file once and takes each array
    as a view of its bytes (`np.frombuffer`) after a regex parse of the header; any member that is
    not exactly that (compressed, another header layout) goes through np.load's own reader.
    Tested equal to np.load on our files and on compressed ones."""
    with open(path, "rb") as f:  # into a bytearray, so that the arrays viewing it are writable, as np.load's are
        data = bytearray(os.fstat(f.fileno()).st_size)
        f.readinto(data)
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            name = info.filename.removesuffix(".npy")
            if name not in keys:
                continue
            arr = None
            if info.compress_type == zipfile.ZIP_STORED:
                start = info.header_offset + 30 + int.from_bytes(data[info.header_offset + 26:info.header_offset + 28],
                                                                 "little") \
                    + int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
                arr = _npy_view(memoryview(data)[start:start + info.file_size])
            if arr is None:
                with z.open(info) as f:
                    arr = np.lib.format.read_array(f, allow_pickle=False)
            out[name] = arr
    return out


def _npy_view(member: memoryview) -> np.ndarray | None:
    """An .npy version 1.0 member with a plain header as an array over its bytes, or None."""
    if bytes(member[:8]) != b"\x93NUMPY\x01\x00":
        return None
    header_len = int.from_bytes(member[8:10], "little")
    m = _NPY_HEADER.match(bytes(member[10:10 + header_len]).decode("latin1"))
    if m is None:
        return None
    shape = tuple(int(d) for d in m.group(2).replace(" ", "").split(",") if d)
    dtype = np.dtype(m.group(1))
    count = int(np.prod(shape, dtype=np.int64))
    if 10 + header_len + count * dtype.itemsize != len(member):
        return None
    return np.frombuffer(member, dtype=dtype, count=count, offset=10 + header_len).reshape(shape)


def read_checkpoint(tdir: Path, step: int, kind: str, missing_ok: bool = False, extra: bool = False) -> Trajectories | None:
    """The `kind` trajectories of checkpoint `step` (`extra`: its regenerated file), checked to be whole
    and finite. A missing, truncated or unreadable file, or non-finite values, are one-line errors
    naming the file; `missing_ok` returns None where the file has no trajectories of that kind."""
    path = checkpoint_path(tdir, step, extra)
    if not path.is_file():
        raise UserError(f"missing checkpoint file {str(path)!r}: expected behaviour data for checkpoint {step} "
                        "(check train_epoch/eval_epoch against the data's checkpoints)")
    try:
        arrays = read_npz(path, [f"{kind}_{f}" for f in FIELDS])
        if f"{kind}_obs" not in arrays:
            if missing_ok:
                return None
            raise UserError(f"{str(path)!r} has no {kind!r} trajectories: expected keys {kind}_obs, ...")
        t = Trajectories(*(arrays[f"{kind}_{f}"] for f in FIELDS))
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as e:
        raise UserError(f"{str(path)!r} is truncated or unreadable ({type(e).__name__}: {e}): expected a complete "
                        "checkpoint file written by policy_train.py; regenerate that task") from None
    bad = [f for f in FIELDS[:5] if not np.isfinite(getattr(t, f)).all()]
    if bad:
        raise UserError(f"{str(path)!r} ({kind}) holds non-finite values in {bad}: expected finite behaviour data")
    if int(t.traj_lengths.sum()) != len(t):
        raise UserError(f"{str(path)!r} ({kind}): episode lengths sum to {int(t.traj_lengths.sum())}, expected {len(t)} rows")
    return t


VERSIONED = ("torch", "mujoco", "gymnasium", "numpy")  # packages whose version can change the data


def running_versions() -> dict[str, str]:
    """Versions of this process's packages, as a dataset's task.json records them ("versions")."""
    return dict(_versions())


@functools.cache  # package metadata lookups take ~50 ms, and a process's packages do not change
def _versions() -> dict[str, str]:
    out = {"csro": metadata.version("csro") if _installed("csro") else "source", "python": platform.python_version()}
    for name in VERSIONED:
        out[name] = metadata.version(name) if _installed(name) else "absent"
    return out


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
        return True
    except metadata.PackageNotFoundError:
        return False


def write_task_meta(tdir: Path, meta: dict[str, Any]) -> None:
    atomic_write_text(tdir / "task.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")


def read_task_meta(tdir: Path) -> dict[str, Any] | None:
    path = tdir / "task.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise UserError(f"{str(path)!r} is not valid JSON: {e}") from None


def restore_dataset_tasks(env, data_dir: str | Path) -> int:
    """Give a parameter family's env the tasks its dataset was written with; returns how many.

    Envs without per-task parameter files (reward families) are left as they are.
    """
    if not env.supports_task_files:
        return 0
    restored = 0
    for i in range(len(env.tasks)):
        path = task_dir(data_dir, i) / TASK_PARAMS_FILE
        if path.is_file():
            env.load_task(i, path)
            restored += 1
    return restored


def read_normalizer(data_dir: str | Path) -> np.ndarray | None:
    """`abs_max + 1e-8` if DATA_DIR/normalizer.npz exists, else None."""
    path = Path(data_dir) / "normalizer.npz"
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as z:
        return z["abs_max"].astype(np.float64) + 1e-8


def same_task(a: Any, b: Any) -> bool:
    """Equal task descriptions (dicts, lists, numbers compared to 1e-6 relative, strings exactly)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_task(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_task(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return bool(np.isclose(a, b, rtol=1e-6, atol=1e-9))
    return a == b


def task_meta_problem(tdir: Path, meta: dict[str, Any], expected_task: dict | None = None) -> str | None:
    """What is wrong with a task folder's task.json for use as task `goal_idx{i}`, or None: it must be
    complete, describe task i (its folder's index), and, given the env's task i, describe that task."""
    if not meta.get("complete"):
        return (f"{str(tdir / 'task.json')!r} says the task is incomplete: expected a finished stage 1 (rerun "
                "policy_train.py with the same settings to finish it)")
    return task_identity_problem(tdir, meta, expected_task)


def task_identity_problem(tdir: Path, meta: dict[str, Any], expected_task: dict | None = None) -> str | None:
    """Does task.json describe task i of folder `goal_idx{i}` (and, given, the env's task i)? A line if not."""
    path = tdir / "task.json"
    index = parse_task_dir(tdir)
    if index is not None and meta.get("task_idx", index) != index:
        return (f"{str(path)!r} describes task {meta.get('task_idx')}: expected task {index}, its folder's index "
                "(was the folder copied from another task?)")
    if expected_task is not None and meta.get("task") is not None and not same_task(meta["task"], expected_task):
        return (f"{str(path)!r} holds task {meta['task']}: expected the env's task {index}, {expected_task} "
                "(data written with another n_tasks or task list?)")
    return None


def parse_task_dir(tdir: Path) -> int | None:
    """i of a `goal_idx{i}` folder, or None for another name."""
    name = Path(tdir).name
    digits = name[len(TASK_DIR_PREFIX):]
    return int(digits) if name.startswith(TASK_DIR_PREFIX) and digits.isdigit() else None


def task_dirs(root: str | Path, expected: str) -> list[tuple[int, Path]]:
    """(i, folder) of every `goal_idx{i}` folder of `root`, by i; none is a UserError ending in `expected`."""
    root = Path(root)
    found = sorted((i, d) for d in root.glob(f"{TASK_DIR_PREFIX}*") if d.is_dir() and (i := parse_task_dir(d)) is not None)
    if not found:
        raise UserError(f"no {TASK_DIR_PREFIX}* folders in {str(root)!r}: expected {expected}")
    return found


def load_task_data(data_dir: str | Path, task_idx: int, steps: Iterable[int], kind: str, n_trj: int,
                   env_name: str, obs_dim: int, action_dim: int, expected_task: dict | None = None) -> Trajectories:
    """The first `n_trj` episodes of `kind` at each checkpoint in `steps`, checked against the env (and,
    given `expected_task`, against the env's description of task `task_idx`)."""
    tdir = task_dir(data_dir, task_idx)
    if not tdir.is_dir():
        raise UserError(f"missing dataset folder {str(tdir)!r}: expected behaviour data for task {task_idx} "
                        f"(run policy_train.py for {env_name!r} first, or fix algo_params.data_dir)")
    meta = read_task_meta(tdir)
    if meta is None:
        raise UserError(f"{str(tdir / 'task.json')!r} is missing: expected a dataset written by policy_train.py or "
                        "import-legacy")
    if meta.get("env_name") != env_name:
        raise UserError(f"dataset {str(tdir)!r} is for env {meta.get('env_name')!r}: expected {env_name!r}")
    if "obs_dim" in meta and (meta.get("obs_dim"), meta.get("action_dim")) != (obs_dim, action_dim):
        raise UserError(f"dataset {str(tdir)!r} has obs/action dims {meta.get('obs_dim')}/{meta.get('action_dim')}: "
                        f"expected {obs_dim}/{action_dim} for {env_name!r}")
    problem = task_meta_problem(tdir, meta, expected_task)
    if problem:
        raise UserError(problem)
    listed = set(meta.get("checkpoints", []))
    parts = []
    for step in steps:
        t = read_checkpoint(tdir, step, kind)
        if step not in listed:
            raise UserError(f"{str(checkpoint_path(tdir, step))!r} is not among the checkpoints that task.json lists "
                            f"({sorted(listed)}): expected only files of the run that wrote task.json (a file left by "
                            "another stage-1 run?)")
        if t.obs.ndim != 2 or t.obs.shape[1] != obs_dim or t.actions.shape[1] != action_dim:
            raise UserError(f"{str(checkpoint_path(tdir, step))!r} has observation size {t.obs.shape[1:]} and action size "
                            f"{t.actions.shape[1:]}: expected ({obs_dim},) and ({action_dim},) for {env_name!r}")
        if t.n_traj < n_trj and checkpoint_path(tdir, step, extra=True).is_file():
            more = read_checkpoint(tdir, step, kind, missing_ok=True, extra=True)
            t = Trajectories.concat([t, more]) if more is not None else t
        if t.n_traj < n_trj:
            raise UserError(f"{str(checkpoint_path(tdir, step))!r} holds {t.n_traj} {kind} trajectories: expected at least "
                            f"n_trj={n_trj} (policy_train.py --regenerate --n_trj K writes more from the saved policies)")
        parts.append(t.first(n_trj))
    if not parts:
        raise UserError(f"no checkpoints selected for task {task_idx}: the epoch range is empty")
    return Trajectories.concat(parts)


@dataclass
class DatasetCheck:
    lines: list[str] = field(default_factory=list)  # one summary line per task folder
    problems: list[str] = field(default_factory=list)  # what makes the dataset unusable as it is
    warnings: list[str] = field(default_factory=list)  # what may make results differ, e.g. other package versions


EnvDims = Callable[[str], tuple[int, int]]  # env_name -> (observation size, action size); UserError if unknown


def check_dataset(data_dir: str | Path, env_dims: EnvDims | None = None) -> DatasetCheck:
    """Check every task folder of DATA_DIR and go on past each problem: one summary line per task, the
    problems (a missing, damaged or non-finite file, named; an interrupted stage-1 task; a task.json of
    another task; sizes other than task.json's or, given `env_dims`, the env's; step files that a
    complete task.json does not list) and warnings (written with other versions of torch, mujoco,
    gymnasium or numpy than this process runs). Only bad arguments raise UserError: no such folder, or
    no goal_idx* folders in it."""
    root = Path(data_dir)
    if not root.is_dir():
        raise UserError(f"no such folder {str(root)!r}: expected a dataset folder written by policy_train.py")
    out = DatasetCheck()
    other_versions: dict[str, list[int]] = {}
    running = running_versions()
    for idx, tdir in task_dirs(root, "a dataset written by policy_train.py"):
        meta = _check_task(tdir, env_dims, out)
        written = meta.get("versions", {}) if meta else {}
        differ = [f"{k} {written[k]}" for k in VERSIONED if isinstance(written, dict) and k in written
                  and written[k] != running[k]]
        if differ:
            other_versions.setdefault(", ".join(differ), []).append(idx)
    for differ, tasks in other_versions.items():
        now = ", ".join(f"{k} {running[k]}" for k in VERSIONED)
        out.warnings.append(f"tasks {tasks} were written with {differ} (this process runs {now}): the data is usable, "
                            "but a regenerated dataset may differ")
    normalizer = root / "normalizer.npz"
    try:
        read_normalizer(root)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        out.problems.append(f"{str(normalizer)!r} is truncated or unreadable ({type(e).__name__}): expected an .npz "
                            "file holding abs_max")
    return out


def _check_task(tdir: Path, env_dims: EnvDims | None, out: DatasetCheck) -> dict[str, Any] | None:
    """Check one task folder into `out` (its line, its problems); returns its task.json, None if unusable."""
    try:
        meta = read_task_meta(tdir)
    except UserError as e:
        meta, problem = None, str(e)
    else:
        problem = f"{str(tdir)!r} has no task.json: expected a dataset written by policy_train.py or import-legacy"
        if meta is not None and not (isinstance(meta, dict) and isinstance(meta.get("checkpoints", []), list)):
            meta, problem = None, (f"{str(tdir / 'task.json')!r} is not a task description: expected an object "
                                   "with env_name, task_idx, dims and a list of checkpoints")
    if meta is None:
        out.problems.append(problem)
        out.lines.append(f"{tdir.name}: no usable task.json")
        return None
    steps = meta.get("checkpoints", [])
    n = _check_task_files(tdir, meta, steps, out)
    out.problems += [p for p in (_env_dims_problem(tdir, meta, env_dims), task_identity_problem(tdir, meta)) if p]
    unlisted = unlisted_step_files(tdir, steps)
    if not meta.get("complete"):  # a run writes a task's step files first and its complete task.json last
        written = sorted(set(steps) | {_step_of(p) for p in unlisted})
        out.problems.append(f"{str(tdir)!r} is an interrupted stage-1 task (task.json says complete: false; "
                            f"checkpoints {written} written so far): rerun policy_train.py with the same settings "
                            "to resume it")
    elif unlisted:
        names = [p.name for p in unlisted]
        out.problems.append(f"{str(tdir)!r} holds step files that task.json does not list: {names} (left by another "
                            "stage-1 run?)")
    state = "complete" if meta.get("complete") else "INCOMPLETE (interrupted)"
    out.lines.append(f"{tdir.name}: {meta.get('env_name')} task {meta.get('task_idx')}, {len(steps)} checkpoints, "
                     f"{n} transitions, {state}")
    return meta


def _step_of(path: Path) -> int | None:
    """c of a `step{c}.npz` or `step{c}_extra.npz` file, or None for another name."""
    digits = path.stem[4:].removesuffix(EXTRA_SUFFIX)
    return int(digits) if path.name.startswith("step") and path.suffix == ".npz" and digits.isdigit() else None


def unlisted_step_files(tdir: Path, steps: list[int]) -> list[Path]:
    """The task folder's step files (data and extra) of checkpoints not among `steps`, by name."""
    return sorted(p for p in tdir.glob("step*.npz") if (c := _step_of(p)) is not None and c not in steps)


def _check_task_files(tdir: Path, meta: dict[str, Any], steps: list[int], out: DatasetCheck) -> int:
    """Read every checkpoint file task.json lists (and its extra file), each problem a line in `out`;
    returns the transitions read."""
    n = 0
    for step in steps:
        n += _check_file(tdir, step, KINDS, False, meta, out)
        if checkpoint_path(tdir, step, extra=True).is_file():
            n += _check_file(tdir, step, ("sample",), True, meta, out)  # regenerated episodes are stochastic
    return n


def _check_file(tdir: Path, step: int, kinds: tuple[str, ...], extra: bool, meta: dict[str, Any],
                out: DatasetCheck) -> int:
    """Read the `kinds` of one checkpoint file: a damaged one is one problem line naming it, trajectories of
    other sizes than task.json's another; returns the transitions read."""
    n, dims = 0, (meta.get("obs_dim"), meta.get("action_dim"))
    for kind in kinds:
        try:
            t = read_checkpoint(tdir, step, kind, missing_ok=not extra, extra=extra)
        except UserError as e:
            out.problems.append(str(e))
            return n
        if t is None:
            continue
        got = (t.obs.shape[1:], t.actions.shape[1:])
        if None not in dims and got != ((dims[0],), (dims[1],)):
            out.problems.append(f"{str(checkpoint_path(tdir, step, extra))!r} ({kind}) has observation/action shapes "
                                f"{got[0]}/{got[1]}: expected ({dims[0]},)/({dims[1]},), task.json's")
        n += len(t)
    return n


def _env_dims_problem(tdir: Path, meta: dict[str, Any], env_dims: EnvDims | None) -> str | None:
    """A line if task.json's sizes are not its env's (data of another env under this name), or None."""
    if env_dims is None or "obs_dim" not in meta:
        return None
    try:
        expected = env_dims(meta.get("env_name"))
    except UserError as e:
        return f"{str(tdir / 'task.json')!r} names env {meta.get('env_name')!r}: {e}"
    dims = (meta.get("obs_dim"), meta.get("action_dim"))
    if dims == tuple(expected):
        return None
    return (f"{str(tdir / 'task.json')!r} says observation/action sizes {dims[0]}/{dims[1]}: expected "
            f"{expected[0]}/{expected[1]} for {meta.get('env_name')!r} (data of another env?)")
