"""`python -m rlkit.data check DATA_DIR`: every task folder checked, going on past each problem."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rlkit.data.dataset import (
    EXTRA_SUFFIX,
    KINDS,
    RETURNS_FILE,
    SETTINGS_FILE,
    TASK_DIR_PREFIX,
    TASK_PARAMS_FILE,
    as_task_records,
    checkpoint_path,
    read_returns,
    task_dirs,
)
from rlkit.data.load import read_normalizer
from rlkit.data.meta import (
    VERSIONED,
    physics_problem,
    read_dataset_settings,
    read_task_meta,
    running_versions,
    setting_differences,
    task_identity_problem,
    task_record_problem,
)
from rlkit.data.networks import read_networks, saved_network_steps
from rlkit.data.npz import read_checkpoint
from rlkit.errors import UserError
from rlkit.fileio import lock_holder, name_number, read_json_object


@dataclass
class DatasetCheck:
    lines: list[str] = field(default_factory=list)  # one summary line per task folder
    problems: list[str] = field(default_factory=list)  # what makes the dataset unusable as it is
    warnings: list[str] = field(default_factory=list)  # what may make results differ, e.g. other package versions


# what task.json records of the settings its task was trained with, which every task of a dataset shares
SETTINGS_RECORDS = ("env_name", "env_params", "schedule", "sac", "seeding", "physics", "saved_networks")

EnvDims = Callable[[str], tuple[int, int]]  # env_name -> (observation size, action size); UserError if unknown
PhysicsVersion = Callable[[str], int]  # env_name -> its family's physics version (`MultiTaskEnv.physics_version`)


def check_dataset(
    data_dir: str | Path, env_dims: EnvDims | None = None, physics: PhysicsVersion | None = None
) -> DatasetCheck:
    """Check every task folder of DATA_DIR and go on past each problem: one summary line per task, the
    problems (a missing, damaged or non-finite file, named; a step file of no episodes; a returns.csv that is not a
    table of numbers, or not the step files' checkpoints and mean returns; a task_params.json that is not a JSON
    object; an interrupted stage-1 task; a task.json of another task; sizes other than task.json's or, given
    `env_dims`, the env's; given `physics`, data of another physics version than the env's; step files that a
    complete task.json does not list; a task trained with other stage-1 settings than the first; the tasks of the
    n_tasks that stage1_settings.json records without a folder) and warnings
    (written with other versions of torch, mujoco, gymnasium or numpy than this process runs). Only bad arguments
    raise UserError: no such folder, or no goal_idx* folders in it."""
    root = Path(data_dir)
    if not root.is_dir():
        what = "a file, not a folder" if root.exists() else "no such folder"
        raise UserError(f"{str(root)!r}: {what}: expected a dataset folder written by policy_train.py")
    out = DatasetCheck()
    other_versions: dict[str, list[int]] = {}
    obs_sizes: dict[int, str] = {}  # the tasks' observation sizes -> whose the first one is
    running = running_versions()
    # the stage-1 settings every task's must be (whose, then they): the dataset's record, else the first task's
    first = _recorded_settings(root, out)
    found = task_dirs(root, "a dataset written by policy_train.py")
    if first is not None and (problem := _missing_tasks(root, first[1], [idx for idx, _ in found])):
        out.problems.append(problem)
    for idx, tdir in found:
        meta = _check_task(tdir, env_dims, out, physics)
        if meta is not None:
            settings = {k: meta[k] for k in SETTINGS_RECORDS if k in meta}
            if first is None:
                first = f"goal_idx{idx}", settings
            elif diff := setting_differences(first[1], {k: v for k, v in settings.items() if k in first[1]}):
                out.problems.append(
                    f"{str(tdir)!r} was written with other stage-1 settings than {first[0]} "
                    f"({'; '.join(diff)}): expected one set for every task of a dataset (a --split part run with "
                    "other settings?)"
                )
        if meta is not None and (size := _obs_size(tdir, meta, env_dims)) is not None:
            obs_sizes.setdefault(*size)
        written = meta.get("versions", {}) if meta else {}
        differ = [
            f"{k} {written[k]}"
            for k in VERSIONED
            if isinstance(written, dict) and k in written and written[k] != running[k]
        ]
        if differ:
            other_versions.setdefault(", ".join(differ), []).append(idx)
    for differ, tasks in other_versions.items():
        now = ", ".join(f"{k} {running[k]}" for k in VERSIONED)
        out.warnings.append(
            f"tasks {tasks} were written with {differ} (this process runs {now}): the data is usable, "
            "but a regenerated dataset may differ"
        )
    # the normaliser must fit the tasks' one observation size (tasks of several sizes are problems of their own)
    size, whose = next(iter(obs_sizes.items())) if len(obs_sizes) == 1 else (None, "")
    try:
        read_normalizer(root, size, whose)
    except UserError as e:
        out.problems.append(str(e))
    return out


def _recorded_settings(root: Path, out: DatasetCheck) -> tuple[str, dict[str, Any]] | None:
    """The stage-1 settings DATA_DIR/stage1_settings.json records, by task.json's names (`SETTINGS_RECORDS`), and
    whose they are; None where there is no such file (a dataset that predates it), or a problem in `out` where it
    cannot be read."""
    try:
        doc = read_dataset_settings(root)
    except UserError as e:
        out.problems.append(str(e))
        return None
    if doc is None:
        return None
    records = {k: v for k, v in as_task_records(doc).items() if k in SETTINGS_RECORDS}
    return f"{str(root / SETTINGS_FILE)!r} records", records


def _missing_tasks(root: Path, recorded: dict[str, Any], found: list[int]) -> str | None:
    """A line naming the tasks of the recorded `env_params.n_tasks` (stage 1 trains tasks 0..n_tasks-1, split
    over its parts) that have no folder, or None: a --split part that was not run, or failed, leaves such a gap,
    which stage 2 refuses when its config reads one of those tasks."""
    params = recorded.get("env_params")
    n = params.get("n_tasks") if isinstance(params, dict) else None
    if type(n) is not int or n < 1:
        return None
    missing = sorted(set(range(n)) - set(found))
    if not missing:
        return None
    shown = ", ".join(f"{TASK_DIR_PREFIX}{i}" for i in missing[:10]) + (", ..." if len(missing) > 10 else "")
    return (
        f"{str(root)!r} has no task folder for {len(missing)} of the {n} tasks that {SETTINGS_FILE} records "
        f"(env_params.n_tasks {n}): {shown}; expected {TASK_DIR_PREFIX}0..{TASK_DIR_PREFIX}{n - 1} (a --split part "
        "not run, or one that failed? rerun it)"
    )


def _obs_size(tdir: Path, meta: dict[str, Any], env_dims: EnvDims | None) -> tuple[int, str] | None:
    """A task's observation size and whose it is: its env's (given `env_dims`), else task.json's; None if unknown."""
    if env_dims is not None and isinstance(meta.get("env_name"), str):
        try:
            return env_dims(meta["env_name"])[0], f"the observation size of {meta['env_name']!r}"
        except UserError:
            pass  # an unknown env (a problem line of its own where task.json gives sizes): task.json's size
    size = meta.get("obs_dim")
    if type(size) is int and size >= 1:
        return size, f"the observation size {str(tdir / 'task.json')!r} gives"
    return None


def _check_task(
    tdir: Path, env_dims: EnvDims | None, out: DatasetCheck, physics: PhysicsVersion | None = None
) -> dict[str, Any] | None:
    """Check one task folder into `out` (its line, its problems); returns its task.json, None if unusable."""
    returns = None
    if (tdir / RETURNS_FILE).is_file():
        try:
            returns = read_returns(tdir / RETURNS_FILE)
        except UserError as e:
            out.problems.append(str(e))
    if (tdir / TASK_PARAMS_FILE).is_file():  # a parameter family's task: what meta-training restores it from
        try:
            read_json_object(tdir / TASK_PARAMS_FILE, "the task's model parameters that stage 1 writes")
        except UserError as e:
            out.problems.append(str(e))
    try:
        meta = read_task_meta(tdir)
    except UserError as e:
        meta, problem = None, str(e)
    else:
        problem = f"{str(tdir)!r} has no task.json: expected a dataset written by policy_train.py or import-legacy"
        if meta is not None and (bad := task_record_problem(tdir, meta)):  # checkpoints or env_name of other types
            meta, problem = None, bad
    if meta is None:
        out.problems.append(problem)
        out.lines.append(f"{tdir.name}: no usable task.json")
        return None
    steps = meta.get("checkpoints", [])
    unlisted = unlisted_step_files(tdir, steps)
    if not meta.get("complete"):  # a run writes a task's step files first and its complete task.json last
        steps = sorted(set(steps) | {_step_of(p) for p in unlisted})  # the checkpoints written so far
    sized, whose = _expected_sizes(meta, env_dims)
    n, means = _check_task_files(tdir, sized, steps, out, whose)
    for step in saved_network_steps(tdir):  # (what --regenerate reruns; mapped, not read: a check stays quick)
        try:
            read_networks(tdir, step, mmap=True)
        except UserError as e:
            out.problems.append(str(e))
    out.problems += [p for p in (_env_dims_problem(tdir, meta, env_dims), task_identity_problem(tdir, meta)) if p]
    if physics is not None and isinstance(meta.get("env_name"), str):
        try:
            version = physics(meta["env_name"])
        except UserError:
            version = None  # an unknown env: _env_dims_problem's line says so
        if version is not None and (problem := physics_problem(tdir, meta, version)):
            out.problems.append(problem)
    if returns is not None and meta.get("complete"):
        out.problems += _returns_problems(tdir / RETURNS_FILE, returns, steps, means)
    holder = None if meta.get("complete") else lock_holder(tdir)  # (a task under way holds its lock)
    if not meta.get("complete"):
        out.problems.append(
            f"{str(tdir)!r} is being written by stage 1 ({holder}; checkpoints {steps} written so far): wait for it "
            "to finish"
            if holder
            else f"{str(tdir)!r} is an interrupted stage-1 task (task.json says complete: false; "
            f"checkpoints {steps} written so far): rerun policy_train.py with the same settings "
            "to resume it"
        )
    elif unlisted:
        names = [p.name for p in unlisted]
        out.problems.append(
            f"{str(tdir)!r} holds step files that task.json does not list: {names} (left by another stage-1 run?)"
        )
    state = (
        "complete" if meta.get("complete") else "INCOMPLETE (being written)" if holder else "INCOMPLETE (interrupted)"
    )
    out.lines.append(
        f"{tdir.name}: {meta.get('env_name')} task {meta.get('task_idx')}, {len(steps)} checkpoints, "
        f"{n} transitions, {state}"
    )
    return meta


def _step_of(path: Path) -> int | None:
    """c of a `step{c}.npz` or `step{c}_extra.npz` file, or None for another name."""
    digits = path.stem[4:].removesuffix(EXTRA_SUFFIX)
    return name_number(digits) if path.name.startswith("step") and path.suffix == ".npz" else None


def unlisted_step_files(tdir: Path, steps: list[int]) -> list[Path]:
    """The task folder's step files (data and extra) of checkpoints not among `steps`, by name."""
    return sorted(p for p in tdir.glob("step*.npz") if (c := _step_of(p)) is not None and c not in steps)


def _check_task_files(
    tdir: Path, meta: dict[str, Any], steps: list[int], out: DatasetCheck, whose: str
) -> tuple[int, dict[int, dict[str, float] | None]]:
    """Read every checkpoint file task.json lists (and its extra file), each problem a line in `out`; returns the
    transitions read and, per checkpoint, the mean episode return of each kind its step file holds."""
    n, means = 0, {}
    for step in steps:
        read, means[step] = _check_file(tdir, step, KINDS, False, meta, out, whose)
        n += read
        if checkpoint_path(tdir, step, extra=True).is_file():
            n += _check_file(tdir, step, KINDS, True, meta, out, whose)[0]  # regenerated episodes (stochastic: sample)
    return n, means


def _check_file(
    tdir: Path,
    step: int,
    kinds: tuple[str, ...],
    extra: bool,
    meta: dict[str, Any],
    out: DatasetCheck,
    whose: str,
) -> tuple[int, dict[str, float] | None]:
    """Read the `kinds` of one checkpoint file: a damaged one is one problem line naming it, trajectories of
    other sizes than `meta`'s (`whose`: task.json's, or the env's) another, a step file of no trajectories at all a
    third; returns the transitions read and the mean episode return of each kind found (None for a file that could
    not be read)."""
    n, dims, means = 0, (meta.get("obs_dim"), meta.get("action_dim")), {}
    for kind in kinds:
        try:
            t = read_checkpoint(tdir, step, kind, missing_ok=True, extra=extra)
        except UserError as e:
            out.problems.append(str(e))
            return n, None  # (its returns cannot be checked: one line for the file is enough)
        if t is None:
            continue
        means[kind] = float(t.rewards.astype(np.float64).sum()) / max(t.n_traj, 1)
        got = (t.obs.shape[1:], t.actions.shape[1:])
        if None not in dims and got != ((dims[0],), (dims[1],)):
            out.problems.append(
                f"{str(checkpoint_path(tdir, step, extra))!r} ({kind}) has observation/action shapes "
                f"{got[0]}/{got[1]}: expected ({dims[0]},)/({dims[1]},), {whose}"
            )
        n += len(t)
    if n == 0:  # the loader would fail on it ("has no 'sample' trajectories", "holds 0 sample trajectories")
        out.problems.append(
            f"{str(checkpoint_path(tdir, step, extra))!r} holds no trajectories: expected "
            f"{' or '.join(map(repr, kinds))} episodes"
        )
    return n, means


# returns.csv against the step files: stage 1 writes each row from the episodes it saves (float32 rewards summed)
_RETURN_COLUMNS = {"sample": "stochastic_return", "eval": "deterministic_return"}


def _returns_problems(
    path: Path, returns: pd.DataFrame, steps: list[int], means: dict[int, dict[str, float] | None]
) -> list[str]:
    """Lines where a complete task's returns.csv is not its step files' (`rlkit.behaviour.curves` draws it in their
    place): other checkpoints than task.json's, or a mean return that its checkpoint's episodes do not give."""
    listed = [int(c) for c in returns["checkpoint"]]
    if sorted(listed) != sorted(steps):
        return [f"{str(path)!r} lists checkpoints {listed}: expected task.json's {steps} (a stale or foreign file?)"]
    out = []
    for row in returns.itertuples(index=False):
        if means[int(row.checkpoint)] is None:  # a damaged step file, its own problem line
            continue
        for kind, column in _RETURN_COLUMNS.items():
            said, got = float(getattr(row, column)), means[int(row.checkpoint)].get(kind, math.nan)
            if not (math.isnan(said) and math.isnan(got)) and not math.isclose(said, got, rel_tol=1e-4, abs_tol=1e-3):
                out.append(
                    f"{str(path)!r} says {column} {said:.6g} at checkpoint {int(row.checkpoint)}: expected "
                    f"{got:.6g}, the mean return of that step file's {kind!r} episodes"
                )
                return out  # (one line per file: a stale file differs everywhere)
    return out


def _expected_sizes(meta: dict[str, Any], env_dims: EnvDims | None) -> tuple[dict[str, Any], str]:
    """(`meta` holding the observation/action sizes its step files must have, whose they are): task.json's, or for a
    task.json without them, given `env_dims`, its env's, which the loader holds the files to (an unknown env: none,
    `_env_dims_problem` names it)."""
    if "obs_dim" in meta or env_dims is None:
        return meta, "task.json's"
    try:
        obs_dim, action_dim = env_dims(meta.get("env_name"))
    except UserError:
        return meta, "task.json's"
    return {**meta, "obs_dim": obs_dim, "action_dim": action_dim}, f"{meta.get('env_name')!r}'s (task.json gives none)"


def _env_dims_problem(tdir: Path, meta: dict[str, Any], env_dims: EnvDims | None) -> str | None:
    """A line if task.json names no env `env_dims` knows, or sizes that are not its env's (data of another env under
    this name), or None."""
    if env_dims is None:
        return None
    try:
        expected = env_dims(meta.get("env_name"))
    except UserError as e:
        return f"{str(tdir / 'task.json')!r} names env {meta.get('env_name')!r}: {e}"
    if "obs_dim" not in meta:
        return None
    dims = (meta.get("obs_dim"), meta.get("action_dim"))
    if dims == tuple(expected):
        return None
    return (
        f"{str(tdir / 'task.json')!r} says observation/action sizes {dims[0]}/{dims[1]}: expected "
        f"{expected[0]}/{expected[1]} for {meta.get('env_name')!r} (data of another env?)"
    )
