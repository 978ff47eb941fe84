"""A checkpoint's `step{c}.npz` file: written with `np.savez`, read back checked and fast.

`write_checkpoint`/`read_checkpoint` are the file's two ends; `read_npz` is the fast reader under
`read_checkpoint`, `read_npz_meta` the reader of what wrote a file (`meta_*` keys).
"""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from rlkit.data.dataset import FIELDS, KINDS, Trajectories, checkpoint_path
from rlkit.errors import UserError
from rlkit.fileio import atomic_write

META_PREFIX = "meta_"  # .npz keys that say what wrote the file (e.g. --regenerate's settings), not episodes

# what reading a damaged .npz raises: zipfile's own errors, zlib's, a cut file's, a missing member's, and for a damaged
# byte in a member's header a RuntimeError (a member flagged as encrypted, or its NotImplementedError: a "version
# needed to extract" it has not)
NPZ_ERRORS = (OSError, ValueError, EOFError, KeyError, RuntimeError, zipfile.BadZipFile, zlib.error)


def write_checkpoint(
    tdir: Path, step: int, trajs: dict[str, Trajectories], extra: bool = False, meta: dict[str, int | str] | None = None
) -> Path:
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
    without them); None for a file that cannot be read as an .npz (a damaged one, or a lone .npy under its name).
    Reads only those members."""
    try:
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            return None
        with z:
            return {k.removeprefix(META_PREFIX): z[k].item() for k in z.files if k.startswith(META_PREFIX)}
    except NPZ_ERRORS:
        return None


_NPY_HEADER = re.compile(r"""\{'descr': '([<>|=][a-z]\d+)', 'fortran_order': False, 'shape': \(([\d, ]*)\), \}""")


def read_npz(path: Path, keys: list[str]) -> dict[str, np.ndarray]:
    """The arrays `keys` of an .npz file (those it holds), as `np.load(path, allow_pickle=False)` gives them.

    Speed: a dataset is hundreds of small .npz files, and np.load spends most of its time per array
    (a zip member opened, its header parsed with `ast.literal_eval`), not reading data. The files
    `np.savez` writes store members uncompressed, so this reads the file once and takes each array
    as a view of its bytes (`np.frombuffer`) after a regex parse of the header; any member that is
    not exactly that (compressed, another header layout) goes through np.load's own reader. Each member's
    CRC-32 is checked, as zipfile does (a damaged byte is a `zipfile.BadZipFile`). Tested equal to np.load on
    our files and on compressed ones."""
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
                start = (
                    info.header_offset
                    + 30
                    + int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
                    + int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
                )
                member = memoryview(data)[start : start + info.file_size]
                if zlib.crc32(member) != info.CRC:  # (as zipfile checks on its own reads: a damaged byte)
                    raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
                arr = _npy_view(member)
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
    m = _NPY_HEADER.match(bytes(member[10 : 10 + header_len]).decode("latin1"))
    if m is None:
        return None
    shape = tuple(int(d) for d in m.group(2).replace(" ", "").split(",") if d)
    try:
        dtype = np.dtype(m.group(1))
    except TypeError:  # (not a dtype numpy knows, such as '<f3': np.load's reader says so as a ValueError)
        return None
    count = math.prod(shape)
    if 10 + header_len + count * dtype.itemsize != len(member):
        return None
    return np.frombuffer(member, dtype=dtype, count=count, offset=10 + header_len).reshape(shape)


def read_checkpoint(
    tdir: Path, step: int, kind: str, missing_ok: bool = False, extra: bool = False
) -> Trajectories | None:
    """The `kind` trajectories of checkpoint `step` (`extra`: its regenerated file), checked to be whole,
    finite and one row per transition (`_layout_problem`). A missing, truncated or unreadable file, arrays of
    other shapes or row counts, episode lengths < 1 or not adding up, or non-finite values, are one-line
    errors naming the file (and the field); `missing_ok` returns None where the file has no trajectories of
    that kind."""
    path = checkpoint_path(tdir, step, extra)
    if not path.is_file():
        raise UserError(
            f"missing checkpoint file {str(path)!r}: expected behaviour data for checkpoint {step} "
            "(check train_epoch/eval_epoch against the data's checkpoints)"
        )
    try:
        arrays = read_npz(path, [f"{kind}_{f}" for f in FIELDS])
        if f"{kind}_obs" not in arrays:
            if missing_ok:
                return None
            raise UserError(f"{str(path)!r} has no {kind!r} trajectories: expected keys {kind}_obs, ...")
        t = Trajectories(*(arrays[f"{kind}_{f}"] for f in FIELDS))
    except NPZ_ERRORS as e:
        raise UserError(
            f"{str(path)!r} is truncated or unreadable ({type(e).__name__}: {e}): expected a complete "
            "checkpoint file written by policy_train.py; regenerate that task"
        ) from None
    problem = _layout_problem(t, kind)
    if problem:
        raise UserError(f"{str(path)!r} ({kind}): {problem}")
    bad = [f for f in FIELDS[:5] if not np.isfinite(getattr(t, f)).all()]
    if bad:
        raise UserError(f"{str(path)!r} ({kind}) holds non-finite values in {bad}: expected finite behaviour data")
    if int(t.traj_lengths.sum()) != len(t):
        raise UserError(
            f"{str(path)!r} ({kind}): episode lengths sum to {int(t.traj_lengths.sum())}, expected {len(t)} rows"
        )
    return t


# the fields of one row per transition and their ndim, rewards (which set the number of rows) first
_PER = {"rewards": 1, "obs": 2, "actions": 2, "next_obs": 2, "terminals": 1}


def _layout_problem(t: Trajectories, kind: str) -> str | None:
    """What keeps `t` from being one row per transition (numbers; obs, actions and next_obs 2-D, rewards and
    terminals 1-D, each with as many rows as rewards; next_obs as wide as obs) with 1-D whole-number episode
    lengths >= 1, or None."""
    n = len(t.rewards) if t.rewards.ndim == 1 else 0  # (a rewards array of another ndim is refused first)
    for f, ndim in _PER.items():
        v = getattr(t, f)
        if v.dtype.kind not in "biuf":
            return f"{kind}_{f} holds {v.dtype} values: expected numbers"
        if v.ndim != ndim:
            rows = "rows of numbers, one per transition" if ndim == 2 else "one number per transition"
            return f"{kind}_{f} has shape {v.shape}: expected a {ndim}-D array, {rows}"
        if len(v) != n:
            return f"{kind}_{f} has {len(v)} rows: expected {n}, one per transition as {kind}_rewards has"
    if t.next_obs.shape[1] != t.obs.shape[1]:
        return f"{kind}_next_obs has rows of {t.next_obs.shape[1]} values: expected {t.obs.shape[1]}, as {kind}_obs has"
    lengths = t.traj_lengths
    if lengths.dtype.kind not in "iu" or lengths.ndim != 1:
        return (
            f"{kind}_traj_lengths holds {lengths.dtype} values of shape {lengths.shape}: expected a 1-D array of "
            "whole numbers, one episode length each"
        )
    if (lengths < 1).any():
        return f"{kind}_traj_lengths holds episode lengths {lengths[lengths < 1][:5].tolist()}: expected lengths >= 1"
    if (lengths > n).any():  # (before any sum: lengths near 2**63 wrap around to a sum that adds up)
        return (
            f"{kind}_traj_lengths holds episode lengths {lengths[lengths > n][:5].tolist()}: expected lengths <= "
            f"{n}, the rows of {kind}_rewards"
        )
    terminals = t.terminals
    if not np.isin(terminals, (0, 1)).all():
        odd = np.unique(terminals[~np.isin(terminals, (0, 1))])[:5].tolist()
        return f"{kind}_terminals holds {odd}: expected 0 or 1 (1 where the env ended an episode)"
    if int(lengths.sum()) == n:  # (lengths that do not add up are refused on their own)
        inside = np.ones(n, dtype=bool)
        inside[np.cumsum(lengths) - 1] = False  # each episode's last row may be terminal, no other
        if (terminals[inside] != 0).any():
            row = int(np.flatnonzero(inside & (terminals != 0))[0])
            return f"{kind}_terminals is 1 at row {row}, inside an episode: expected 1 only at an episode's last row"
    return None
