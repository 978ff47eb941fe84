"""A task folder's `task.json`: what it records (env, task, dims, checkpoints, package versions,
"complete") and whether it describes the task it is used as."""

from __future__ import annotations

import functools
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from rlkit.data.dataset import parse_task_dir
from rlkit.fileio import atomic_write_text, read_json_object

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
    return read_json_object(path, "the task record stage 1 writes")


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
        return (
            f"{str(tdir / 'task.json')!r} says the task is incomplete: expected a finished stage 1 (rerun "
            "policy_train.py with the same settings to finish it)"
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
