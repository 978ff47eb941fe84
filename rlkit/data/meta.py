"""A task folder's `task.json`: what it records (env, task, dims, checkpoints, package versions,
"complete") and whether it describes the task it is used as."""

from __future__ import annotations

import functools
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from rlkit.data.dataset import SETTINGS_FILE, parse_task_dir
from rlkit.errors import UserError
from rlkit.fileio import atomic_write_text, lock_holder, read_json_object

VERSIONED = ("torch", "mujoco", "gymnasium", "numpy")  # packages whose version can change the data


def cpu_numerics() -> dict[str, Any]:
    """What besides the code, the data and the seed decides a float32 run's numbers where it computes on the CPU:
    torch's thread count (how its matrix products split their sums) and ATen's CPU capability (its vector width,
    e.g. "AVX2", "AVX512"). A run repeats bit for bit only where both are the same; stage 2's code.json and each
    task's task.json (`trained_on`) record them."""
    import torch

    return {"threads": torch.get_num_threads(), "cpu": torch.backends.cpu.get_cpu_capability()}


def numerics_text(numerics: dict[str, Any]) -> str:
    """`cpu_numerics` as a run's records say it: "1 thread, AVX512"."""
    threads = numerics["threads"]
    return f"{threads} thread{'' if threads == 1 else 's'}, {numerics['cpu']}"


def running_versions() -> dict[str, str]:
    """Versions of this process's packages, as a dataset's task.json records them ("versions")."""
    return dict(_versions())


@functools.cache  # package metadata lookups take ~50 ms, and a process's packages do not change
def _versions() -> dict[str, str]:
    out = {"csro": metadata.version("csro") if _installed("csro") else "source", "python": platform.python_version()}
    for name in VERSIONED:
        out[name] = metadata.version(name) if _installed(name) else "absent"
    return out


@functools.cache  # one git call a process: its source does not change under it
def source_revision() -> str | None:
    """The git commit of the source tree this process imported rlkit from, "+modified" after it when tracked files
    differ from it; None where that tree is no git checkout (an installed wheel) or git cannot say (not installed,
    or refusing the folder)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0")  # `git status` takes no index lock a user's git could meet

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, env=env)

    try:
        head, status = git("rev-parse", "HEAD"), git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode or status.returncode:
        return None
    return head.stdout.strip() + ("+modified" if status.stdout.strip() else "")


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
    return read_json_object(path, "the task record stage 1 writes")


def read_dataset_settings(data_dir: Path) -> dict[str, Any] | None:
    """DATA_DIR/stage1_settings.json (`group_settings`, recorded by the first stage-1 run to begin), None where there
    is none; a file that is not a JSON object is a one-line UserError naming it."""
    path = Path(data_dir) / SETTINGS_FILE
    if not path.is_file():
        return None
    return read_json_object(path, "the stage-1 settings of every task of the dataset, as policy_train.py wrote")


def same_task(a: Any, b: Any) -> bool:
    """Equal task descriptions (dicts, lists, numbers compared to 1e-6 relative, strings and flags exactly: a flag
    equals only the same flag, on either side, not a number near it)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_task(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_task(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return bool(np.isclose(a, b, rtol=1e-6, atol=1e-9))
    return a == b


def task_meta_problem(tdir: Path, meta: dict[str, Any], expected_task: dict | None = None) -> str | None:
    """What is wrong with a task folder's task.json for use as task `goal_idx{i}`, or None: it must be
    complete, describe task i (its folder's index), and, given the env's task i, describe that task."""
    if not meta.get("complete"):
        holder = lock_holder(tdir)
        return f"{str(tdir / 'task.json')!r} says the task is incomplete: expected a finished stage 1 " + (
            f"(stage 1 is writing it now: {holder}; wait for it to finish)"
            if holder
            else "(rerun policy_train.py with the same settings to finish it)"
        )
    return task_identity_problem(tdir, meta, expected_task)


def task_identity_problem(tdir: Path, meta: dict[str, Any], expected_task: dict | None = None) -> str | None:
    """Does task.json describe task i of folder `goal_idx{i}` (and, given, the env's task i)? A line if not."""
    path = tdir / "task.json"
    index = parse_task_dir(tdir)
    if index is not None and meta.get("task_idx", index) != index:
        return (
            f"{str(path)!r} describes task {meta.get('task_idx')}: expected task {index}, its folder's index "
            "(was the folder copied from another task?)"
        )
    if expected_task is not None and meta.get("task") is not None and not same_task(meta["task"], expected_task):
        return (
            f"{str(path)!r} holds task {meta['task']}: expected the env's task {index}, {expected_task} "
            "(data written with another n_tasks or task list?)"
        )
    return None


def task_record_problem(tdir: Path, meta: dict[str, Any]) -> str | None:
    """A line naming a field of task.json that its readers cannot use, or None: `checkpoints` (where given)
    must be a list of whole numbers >= 0, `env_name` (where given) a string."""
    path = str(tdir / "task.json")
    steps = meta.get("checkpoints", [])
    if not isinstance(steps, list):
        return f"{path!r} has checkpoints {_short(steps)}: expected a list of checkpoint steps, whole numbers >= 0"
    bad = [c for c in steps if type(c) is not int or c < 0]  # (json's true/false are not checkpoints)
    if bad:
        return (
            f"{path!r} lists checkpoint {_short(bad[0])} among {_short(steps)}: expected whole numbers >= 0, "
            "the steps of the task's step files"
        )
    if "env_name" in meta and not isinstance(meta["env_name"], str):
        return f"{path!r} has env_name {_short(meta['env_name'])}: expected an env name, a string such as 'point-robot'"
    return None


def physics_problem(tdir: Path, meta: dict[str, Any], physics_version: int) -> str | None:
    """A line where stage 1 wrote the task with another version of its env's physics (`MultiTaskEnv.physics_version`;
    a task.json without the record is version 1) than this code's, or None. Imported data (the reference's, whose
    physics each family now matches) is not versioned."""
    if "source" in meta:
        return None
    recorded = meta.get("physics", 1)
    if recorded == physics_version:
        return None
    return (
        f"{str(tdir / 'task.json')!r} was written with {meta.get('env_name')!r}'s physics version {recorded}: "
        f"expected {physics_version}, this code's (the family's simulation changed since: docs/environments.md); "
        "write the data again with policy_train.py"
    )


def listed_checkpoints(tdir: Path, meta: dict[str, Any]) -> list[int]:
    """The checkpoints task.json lists ([] where it lists none); a UserError naming it where they, or its
    env_name, are not of a usable type (`task_record_problem`)."""
    problem = task_record_problem(tdir, meta)
    if problem:
        raise UserError(problem)
    return list(meta.get("checkpoints", []))


def _short(value: Any, limit: int = 80) -> str:
    """repr(value), cut to `limit` characters (a damaged file may hold long values)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def setting_differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """`key: old -> new` for each setting of `new` that `old` holds otherwise, nested settings by their dotted name
    (`schedule.num_train_steps: 300 -> 400`, not the two whole schedules)."""
    out = []
    for k, v in new.items():
        was = old.get(k)
        if isinstance(v, dict) and isinstance(was, dict):
            out += setting_differences(was, v, f"{prefix}{k}.")
        elif was != v:
            out.append(f"{prefix}{k}: {json.dumps(was)} -> {json.dumps(v)}")
    return out
