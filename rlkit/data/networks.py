"""A task's behaviour networks, `networks/step{c}.pt`: written by stage 1, rerun by `policy_train.py --regenerate`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rlkit.errors import UserError
from rlkit.fileio import atomic_write, name_number, read_state

NETWORKS_DIR = "networks"
NETWORKS_FORMAT = "csro-behaviour-networks/1"


def networks_path(tdir: Path, step: int) -> Path:
    """The behaviour SAC's networks at checkpoint `step` (actor, critic, target critic, temperature)."""
    return tdir / NETWORKS_DIR / f"step{int(step)}.pt"


def saved_network_steps(tdir: Path) -> list[int]:
    return sorted(c for p in (tdir / NETWORKS_DIR).glob("step*.pt") if (c := name_number(p.stem[4:])) is not None)


def write_networks(tdir: Path, step: int, state: dict[str, Any], info: dict[str, Any]) -> Path:
    """One task's networks (a one-task `VectorSAC` state_dict) with `info` (dims, SAC settings)."""
    import torch

    path = networks_path(tdir, step)
    doc = {"format": NETWORKS_FORMAT, "step": int(step), "state": state, **info}
    atomic_write(path, lambda f: torch.save(doc, f))
    return path


def read_networks(tdir: Path, step: int, mmap: bool = False) -> dict[str, Any]:
    """What `write_networks` wrote, loaded without unpickling code (`weights_only=True`); `mmap`: the tensors mapped
    from the file, not read (a truncated or foreign file is still refused: `rlkit.data check`)."""
    path = networks_path(tdir, step)
    if not path.is_file():
        raise UserError(
            f"missing network file {str(path)!r}: expected one of the checkpoints "
            f"{saved_network_steps(tdir)} that have saved networks"
        )
    doc = read_state(path, "a network file written by policy_train.py", mmap=mmap)
    if not isinstance(doc, dict) or doc.get("format") != NETWORKS_FORMAT:
        raise UserError(f"{str(path)!r} is not a behaviour network file: expected format {NETWORKS_FORMAT!r}")
    return doc
