"""What a run was trained on, by content (`dataset.json` in its run folder).

A run is tied to its data by what the data holds, not where it lies: the same data under another path
resumes, other data under the same path is refused. The fingerprint of a task is a sha256 over what
meta-training reads of it: its task description (`task.json`'s env and task, and `task_params.json` of
the parameter families) and the arrays of every checkpoint file the run loads (`step{c}.npz`, and its
`step{c}_extra.npz` where the run reads it: its `step{c}.npz` holds fewer than the run's `n_trj` episodes),
member by member, so that neither the zip's timestamps nor `task.json`'s write time count. The dataset's
fingerprint covers the tasks' and the observation normalizer's.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path

from rlkit.data.dataset import TASK_PARAMS_FILE, checkpoint_path, task_dir
from rlkit.data.meta import read_task_meta
from rlkit.data.npz import NPZ_ERRORS, read_npz
from rlkit.errors import UserError
from rlkit.fileio import read_json_object

NORMALIZER_FILE = "normalizer.npz"


def task_fingerprint(data_dir: str | Path, task: int, steps: Iterable[int], reads: tuple[str, int]) -> str | None:
    """sha256 of what a run reads of task `task` at checkpoints `steps`, `reads` being its (kind, n_trj):
    `rlkit.data.load.load_task_data` reads a checkpoint's extra file only where its step file holds fewer than
    n_trj episodes of that kind, so extras written later for longer runs leave this one's fingerprint alone.
    None where a file is missing."""
    tdir = task_dir(data_dir, task)
    meta = read_task_meta(tdir)
    if meta is None:
        return None
    h = hashlib.sha256()
    h.update(_canonical({"env_name": meta.get("env_name"), "task": meta.get("task")}))
    params = tdir / TASK_PARAMS_FILE
    if params.is_file():
        h.update(_canonical(read_json_object(params, "the task parameters stage 1 writes")))
    for step in steps:
        path = checkpoint_path(tdir, step)
        if not path.is_file():
            return None
        _add_npz(h, path)
        extra = checkpoint_path(tdir, step, extra=True)
        lengths = f"{reads[0]}_traj_lengths"  # one per episode of that kind in the step file
        if extra.is_file() and len(read_npz(path, [lengths]).get(lengths, ())) < reads[1]:
            _add_npz(h, extra)
    return h.hexdigest()


def dataset_fingerprint(
    data_dir: str | Path, steps_by_task: dict[int, Iterable[int]], reads: tuple[str, int]
) -> dict | None:
    """{"digest": sha256 of the whole, "tasks": {task: sha256}} of what a run reads (`task_fingerprint`); None
    where a file is missing."""
    tasks = {}
    for task, steps in sorted(steps_by_task.items()):
        print_ = task_fingerprint(data_dir, task, steps, reads)
        if print_ is None:
            return None
        tasks[str(task)] = print_
    h = hashlib.sha256(_canonical(tasks))
    normalizer = Path(data_dir) / NORMALIZER_FILE
    if normalizer.is_file():
        _add_npz(h, normalizer)
    return {"digest": h.hexdigest(), "tasks": tasks}


def differing_tasks(a: dict, b: dict) -> list[int]:
    """Tasks whose fingerprints differ between two `dataset_fingerprint`s (one lacks it counts as differing)."""
    keys = set(a.get("tasks", {})) | set(b.get("tasks", {}))
    return sorted(int(k) for k in keys if a.get("tasks", {}).get(k) != b.get("tasks", {}).get(k))


def _add_npz(h, path: Path) -> None:
    """The members of an .npz (names and .npy bytes: header and data), not the zip around them; a damaged file is a
    one-line UserError naming it."""
    try:
        with zipfile.ZipFile(path) as z:
            for name in sorted(z.namelist()):
                h.update(name.encode() + b"\0")
                h.update(z.read(name))
    except NPZ_ERRORS as e:
        remedy = "copy it again from the dataset's source" if path.name == NORMALIZER_FILE else "regenerate that task"
        raise UserError(
            f"{str(path)!r} is truncated or unreadable ({type(e).__name__}: {e}): expected a complete .npz file "
            f"({remedy})"
        ) from None


def _canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
