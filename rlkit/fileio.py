"""Atomic file writes: every file the project writes whole (datasets, task files, progress.csv, snapshots) is
written to a temporary file in the same folder, flushed to disk and renamed into place, so a
reader (or a run killed mid-write) sees either the old file or the new one, never half of one. (debug.log and the
TensorBoard event files are appended to, record by record.)"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import functools
import glob
import hashlib
import io
import json
import os
import pickle
import re
import secrets
import shutil
import socket
import struct
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from rlkit.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

# errnos of a write the system refuses: a full disk or quota, a file over the size limit, no permission,
# a read-only filesystem, a folder where the file should be (or a file where a folder should)
WRITE_REFUSED = (
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.EISDIR,
    errno.ENOTDIR,
)


def ascii_digits(text: str) -> bool:
    """Whether `text` is a nonnegative integer in the digits 0-9 (a number in a file's name, a port): `str.isdigit`
    also takes '²', on which `int` raises a ValueError."""
    return text.isascii() and text.isdigit()


def name_number(text: str) -> int | None:
    """The number `text` writes as the project's file names do (`ascii_digits`, no leading zero: step100, not
    step0100, which names no checkpoint of ours), else None."""
    return int(text) if ascii_digits(text) and text == str(int(text)) else None


class CannotCreate(FileNotFoundError):
    """ENOENT from making a file or folder in a folder that is there (tried again, for a parent another process
    removed in between): the filesystem makes nothing there (/proc, some FUSE mounts). A write the system refuses,
    in the user's sense, like `WRITE_REFUSED`'s, not a file this code expected and missed; `filename` is the path
    asked for."""


def make_folder(folder: str | Path) -> None:
    """`mkdir -p folder`; a filesystem that makes no folder there is a `CannotCreate` naming it."""
    for attempt in range(4):  # (another process may remove an emptied parent between the parents' making and ours)
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            return
        except FileNotFoundError as e:
            if attempt == 3:
                raise CannotCreate(errno.ENOENT, e.strerror, str(folder)) from None


def atomic_write(path: str | Path, write_fn: Callable[[BinaryIO], object]) -> None:
    """Write `path` through `write_fn(binary file)`, atomically; the folder is created if needed.

    When the system refuses the write (a full disk, a read-only folder), no file is left behind (the
    temporary file is removed, an existing `path` is unchanged; folders made for it stay) and the error is an
    OSError naming `path`, also where the writer reported it otherwise (torch.save's "unexpected pos" RuntimeError
    carries the failed write's OSError as its context)."""
    path = Path(path)
    tmp = None
    try:
        fd, tmp = _temporary_beside(path)
        with os.fdopen(fd, "wb") as f:
            os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes 0600: the mode open() would give, shared or not
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
        fsync_folder(path.parent)  # the rename itself survives a crash only once the folder is synced
    except BaseException as e:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        interrupt = next((x for x in error_chain(e) if isinstance(x, KeyboardInterrupt)), None)
        if interrupt is not None and interrupt is not e:
            # Ctrl-C (or SIGTERM, `rlkit.cli.Terminated`) inside the writer, which reported it as its own failure
            # (torch.save: "unexpected pos" RuntimeError): raised again as what it was
            raise type(interrupt)() from e
        refused = _os_error(e)
        if refused is None:
            raise
        raise OSError(refused.errno, refused.strerror, str(path)) from e


def create_once(path: str | Path, text: str) -> bool:
    """Write `text` to `path` unless a file is there: True if this call created it. The file appears whole (a hard
    link of a written temporary file, which fails where one exists), so of processes creating it in the same
    instant exactly one does, and the others read its text, never half of it."""
    path = Path(path)
    if path.exists():
        return False
    mine = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        atomic_write_text(mine, text)
        try:
            link_new(mine, path)
        except FileExistsError:
            return False
        fsync_folder(path.parent)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(mine)


# what link(2) says on a file system that makes no hard links: vfat/exFAT (EPERM), FUSE mounts without them
# (ENOSYS, EOPNOTSUPP)
_NO_HARD_LINKS = (errno.EPERM, errno.ENOSYS, errno.EOPNOTSUPP)


def link_new(source: Path, path: Path) -> None:
    """Hard-link `source` (a file this process just wrote beside `path`) as `path`: FileExistsError where `path`
    exists, which is how a file appears whole to exactly one of several processes (`create_once`, `FolderLock`);
    a UserError naming the folder where its file system makes no hard links."""
    try:
        os.link(source, path)
    except FileExistsError:
        raise
    except OSError as e:
        if e.errno not in _NO_HARD_LINKS:
            raise
        raise UserError(
            f"{str(path.parent)!r} is on a file system without hard links ({e.strerror}), which the runs use to "
            "create their locks and records whole: expected a folder on a file system with hard links (a local "
            "disk, NFS, Lustre, GPFS)"
        ) from None


def _temporary_beside(path: Path) -> tuple[int, str]:
    """A new temporary file in `path`'s folder, made if needed. Another process may remove the folder once empty
    (a stage-1 part that finished its last group removes `stage1_resume/`) between its making and the file's:
    made again, as `FolderLock` does."""
    for attempt in range(4):
        try:
            make_folder(path.parent)
        except FileExistsError:  # (a file where the folder should be: refused as a write, naming the path)
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path.parent)) from None
        try:
            return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except FileNotFoundError as e:
            if attempt == 3:
                raise CannotCreate(errno.ENOENT, e.strerror, str(path)) from None
    return -1, ""  # (not reached: the fourth failure is raised)


def error_chain(e: BaseException | None, suppressed: bool = True) -> Iterator[BaseException]:
    """`e`, then the error it was raised from or while handling, and so on (`suppressed` False: not past a
    `raise ... from None`, whose context was hidden on purpose)."""
    seen = set()
    while e is not None and id(e) not in seen:
        yield e
        seen.add(id(e))
        e = e.__cause__ or (None if e.__suppress_context__ and not suppressed else e.__context__)


def umask() -> int:
    """The process's umask, read without changing it where Linux shows it (/proc/self/status), else set and put
    back at once. Files and folders made through temporary ones (mkstemp 0600, mkdtemp 0700) get the mode a plain
    open() or mkdir() would: 0644 and 0755 under the usual umask 022, private under 077."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _folder_fd(folder: str | Path) -> Iterator[int | None]:
    """A descriptor of `folder` for fsync or flock, closed after (None where the folder cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        yield None
        return
    try:
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def folder_flock(folder: str | Path) -> Iterator[bool]:
    """An exclusive flock of `folder` itself while the block runs: the processes of one machine that take it run
    their blocks one at a time (a second waits). Where the file system has no flock, the block runs unlocked. Yields
    whether it holds the flock."""
    with _folder_fd(folder) as fd:  # (closing it releases the flock)
        held = False
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX)
                held = True
        yield held


def fsync_folder(folder: str | Path) -> None:
    """Flush a folder's entries (a rename, a new file's name) to the disk; a file system that cannot sync a folder
    (some network ones) is left as it is."""
    with _folder_fd(folder) as fd, contextlib.suppress(OSError):
        if fd is not None:
            os.fsync(fd)


def _os_error(e: BaseException) -> OSError | None:
    """The refused write behind `e` (an OSError with an errno of `WRITE_REFUSED`): `e` itself, or the
    one it was raised while handling (its cause or context)."""
    return next((x for x in error_chain(e) if isinstance(x, OSError) and x.errno in WRITE_REFUSED), None)


def atomic_savefig(fig, path: str | Path, **kwargs) -> Path:
    """A matplotlib figure saved atomically, in the format its suffix names (png by default; a suffix matplotlib
    cannot write is a one-line UserError)."""
    path = Path(path)
    kind = path.suffix[1:].lower() or "png"
    supported = fig.canvas.get_supported_filetypes()
    if kind not in supported:
        raise UserError(f"{str(path)!r}: figures are written as {', '.join(sorted(supported))}, not {kind!r}")
    buf = io.BytesIO()
    fig.savefig(buf, format=kind, **kwargs)
    atomic_write(path, lambda f: f.write(buf.getvalue()))
    return path


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode()))


class _RepeatedKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """json's object hook: a key set twice in one object (json keeps the last, silently) is refused."""
    seen: dict = {}
    for k, v in pairs:
        if k in seen:
            raise _RepeatedKey(k)
        seen[k] = v
    return seen


def read_json(path: str | Path, expected: str, *, label: str | None = None) -> Any:
    """The JSON value `path` holds. A file that cannot be read, is not UTF-8 JSON or sets a key twice in one
    object (json would keep the last one without a word) is a one-line UserError naming it (as `label`, by
    default its quoted path) and what was `expected`."""
    path = Path(path)
    name = repr(str(path)) if label is None else label
    try:
        return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_unique_keys)
    except OSError as e:
        raise UserError(f"{name} cannot be read ({e.strerror or e}): expected {expected}") from None
    except _RepeatedKey as e:
        raise UserError(f"{name} sets the key {e.args[0]!r} twice: expected each key once, {expected}") from None
    except (ValueError, RecursionError) as e:  # (not JSON, not UTF-8; nested too deeply, an int of 4301+ digits)
        raise UserError(f"{name} is not valid JSON ({json_error(e)}): expected {expected}") from None


def json_error(e: ValueError | RecursionError) -> str:
    """What json found wrong, in a few words: its own message, or for a document nested deeper than Python's stack
    or a number of more digits than int() converts (json's RecursionError and ValueError), what that is."""
    if isinstance(e, RecursionError):
        return "nested too deeply"
    if "integer string conversion" in str(e):
        return "a number of more than 4300 digits"
    return str(e)


def read_json_object(path: str | Path, expected: str, *, label: str | None = None) -> dict:
    """The JSON object `path` holds (`read_json`); another JSON value is a one-line UserError too."""
    name = repr(str(path)) if label is None else label
    doc = read_json(path, expected, label=name)
    if not isinstance(doc, dict):
        raise UserError(f"{name} holds a JSON {type(doc).__name__}: expected an object, {expected}")
    return doc


# what torch.load raises on a file that is not a whole state torch.save wrote (its weights-only unpickler also raises
# KeyError, IndexError, ValueError or TypeError on text or another format: `echo hello > latest.pt`; struct.error on
# a file whose first byte is pickle's 8-byte float opcode `G`, as a GIF's is)
TORCH_LOAD_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    RuntimeError,
    EOFError,
    pickle.UnpicklingError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    struct.error,
)


def error_kind(e: BaseException) -> str:
    """The name an error message gives `e`'s type: its class name, module-qualified where the name alone says
    nothing (struct's exception class is called `error`)."""
    kind = type(e).__name__
    return f"{type(e).__module__}.{kind}" if kind == "error" else kind


def read_state(path: str | Path, expected: str, map_location: Any = "cpu", mmap: bool = False) -> Any:
    """What `torch.save` wrote to `path`, read without running code (`weights_only`; `mmap`: its tensors mapped
    from the file, read only where used); a truncated, damaged or code-carrying file is a one-line UserError
    naming it and what was `expected`."""
    import torch

    try:
        return torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except TORCH_LOAD_ERRORS as e:
        raise UserError(f"{str(path)!r} is truncated or unreadable ({error_kind(e)}): expected {expected}") from None


def read_csv_table(
    path: str | Path, expected: str, columns: tuple[str, ...] = (), *, integers: tuple[str, ...] = ()
) -> pd.DataFrame:
    """The table of numbers a CSV file holds (a header, then rows of as many cells), as floats (`integers`: its
    columns of whole numbers, as ints). A file that cannot be read, is not UTF-8 CSV, has no rows, lacks one of
    `columns` or holds a cell that is not a number is a one-line UserError naming it (its line and column) and
    what was `expected`. A cell may be nan (a value not measured), except in `integers`; never infinite."""
    import csv

    import numpy as np
    import pandas as pd

    name = repr(str(path))

    def refuse(problem: str) -> UserError:
        return UserError(f"{name} {problem}: expected {expected}")

    try:
        reader = csv.reader(io.StringIO(Path(path).read_bytes().decode("utf-8-sig"), newline=""))
        header = next(reader, None)
        if header is None:
            raise refuse("is empty")
        rows = [(reader.line_num, row) for row in reader if row]  # (a blank line is no row)
    except OSError as e:
        raise refuse(f"cannot be read ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise refuse(f"is not UTF-8 text (byte {e.start}: {e.reason})") from None
    except csv.Error as e:
        raise refuse(f"is not valid CSV ({e})") from None
    shown = repr(",".join(header))
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    if len(set(header)) < len(header):
        twice = next(col for k, col in enumerate(header) if col in header[:k])
        raise refuse(f"names the column {twice!r} twice in its header {shown}")
    for col in columns:
        if col not in header:
            raise refuse(f"has no column {col!r} (its header: {shown})")
    if not rows:
        raise refuse("has a header but no rows")
    values = np.empty((len(rows), len(header)))
    for i, (line, row) in enumerate(rows):
        if len(row) != len(header):
            raise refuse(f"line {line} has {len(row)} cells: expected {len(header)}, one per column of its header")
        for j, (col, cell) in enumerate(zip(header, row)):
            whole = col in integers
            try:
                values[i, j] = float(cell)
                if np.isinf(values[i, j]) or (whole and not values[i, j].is_integer()):
                    raise ValueError
            except ValueError:
                what = "a whole number" if whole else "a finite number (or nan)"
                cell = cell if len(cell) <= 40 else cell[:37] + "..."
                raise refuse(f"line {line}, column {col!r}: {cell!r} is not {what}") from None
    table = pd.DataFrame(values, columns=header)
    return table.astype(dict.fromkeys([c for c in integers if c in header], "int64"))


def read_tree(root: str | Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Every file under `root` as {path relative to root, '/'-separated: bytes}, leaving out paths with
    a part named in `skip` and the temporary files of unfinished `atomic_write`s."""
    root = Path(root)
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if (
            path.is_file()
            and not set(rel.parts) & set(skip)
            and not (rel.name.startswith(".") and rel.name.endswith(".tmp"))
        ):
            out[rel.as_posix()] = path.read_bytes()
    return out


def write_tree(root: str | Path, files: dict[str, bytes], last: tuple[str, ...] = ()) -> None:
    """Write `read_tree`'s form under `root`, each file atomically; the files that `last`'s patterns match (a path
    relative to `root` or a glob of one: "task.json", "snapshots/*") are written after all the others, in the order
    of `last` (the file that marks the rest as complete goes last)."""
    root = Path(root)
    for rel in files:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise ValueError(f"{rel!r} is not a path inside {str(root)!r}")

    def order(rel: str) -> int:
        return next((i + 1 for i, pattern in enumerate(last) if fnmatch.fnmatchcase(rel, pattern)), 0)

    for rel in sorted(files, key=order):
        atomic_write(root / rel, lambda f, data=files[rel]: f.write(data))


UNFINISHED_WRITE_AGE_S = 60.0  # a temporary file of an atomic write untouched this long is a killed writer's


class FolderLock:
    """`FOLDER/.lock` holding the pid and host of the process that writes the folder (a run folder, a
    behaviour task's folder), and where the system says, its identity (`process_identity`): a second process is
    refused with `busy` (a message that may name `{folder}`, `{host}` and `{pid}`). A lock left by a process of
    this host that no longer exists (or whose pid another process has taken since) is taken over; one of another
    host (a shared file system), or of this host name in another container or boot, is refused, since its process
    cannot be seen from here, with the hint to remove the file once that process is gone."""

    def __init__(self, folder: str | Path, busy: str):
        self.path, self.busy = Path(folder) / ".lock", busy
        self._made: list[Path] = []
        self._me = ""

    def __enter__(self) -> FolderLock:
        """Take the lock: the file appears whole (a hard link of a written temporary file), so no process
        reads it half-written and takes it for stale; a stale one is moved aside under a name of this
        process and removed only if it is still the dead owner's (else it is put back: another process took
        it over first)."""
        me = self._me = f"{os.getpid()} {socket.gethostname()} {process_identity(os.getpid())}".strip()
        mine = self.path.with_name(f".lock.{os.getpid()}.{secrets.token_hex(4)}.tmp")  # (pids repeat across containers)
        for attempt in range(4):  # (another holder's `__exit__` may remove an empty parent in between)
            self._made = missing_folders(self.path.parent)
            try:
                make_folder(self.path.parent)
                mine.write_text(me)
                break
            except FileNotFoundError as e:
                if attempt == 3:
                    raise CannotCreate(errno.ENOENT, e.strerror, str(self.path)) from None
        try:
            for _ in range(4):
                try:
                    link_new(mine, self.path)
                except FileExistsError:
                    owner = self._owner()
                except UserError:  # (no hard links here: the folders made for the lock are not left behind)
                    mine.unlink(missing_ok=True)
                    for folder in self._made:
                        with contextlib.suppress(OSError):
                            folder.rmdir()
                    raise
                else:
                    try:
                        self._remove_unfinished_writes()
                    except BaseException:  # (Ctrl-C or SIGTERM here: the lock is ours, and no `with` releases it)
                        self.__exit__(None, None, None)
                        raise
                    return self
                host, pid, ident = owner
                here = host == socket.gethostname() and same_process_space(ident)
                if pid is not None and (not here or identity_alive(pid, ident)):
                    elsewhere = "" if host == socket.gethostname() else f"host {host}"
                    elsewhere = elsewhere or "this host name in another container or boot"
                    shown, hint = (
                        (pid, "")
                        if here
                        else (f"{pid} on {elsewhere}", f" (remove {str(self.path)!r} if that process is gone)")
                    )
                    raise UserError(self.busy.format(folder=str(self.path.parent), host=host, pid=shown) + hint)
                self._remove_stale(owner)
        finally:
            mine.unlink(missing_ok=True)
        raise UserError(f"could not take the lock {str(self.path)!r}: expected to be able to write its folder")

    def _remove_unfinished_writes(self) -> None:
        """With the folder ours, the temporary files of `atomic_write`s a killed process left in it (and in its
        subfolders) are removed, once untouched for `UNFINISHED_WRITE_AGE_S`: a younger one may be a write under
        way by a process that writes there without the lock (show_path.py's figures in a run folder), whose rename
        would fail. Other contenders' lock files are not touched."""
        for path in self.path.parent.rglob(".*.tmp"):
            with contextlib.suppress(FileNotFoundError):  # (renamed into place meanwhile)
                if path.name.startswith(".lock.") or not path.is_file():
                    continue
                if time.time() - path.stat().st_mtime > UNFINISHED_WRITE_AGE_S:
                    path.unlink(missing_ok=True)

    def _remove_stale(self, owner: tuple[str, int | None, str]) -> None:
        """Remove the lock of the gone `owner`, unless another process replaced it since it was read: under an
        exclusive flock of the folder, which every removal of a stale lock takes, the owner is read again and the
        file removed only if it is still the gone one's. (Moving the file aside and putting back one that was
        not left a window: a third process could take the lock in it, and the lock put back was lost, two processes
        holding it.) Where the file system has no flock, the move-aside alone."""
        with folder_flock(self.path.parent) as held:
            try:
                if held:
                    if self._owner() == owner:
                        self.path.unlink(missing_ok=True)
                    return
            except OSError:  # (read or removed in vain: moved aside below, as without a flock)
                pass
        aside = self.path.with_name(f".lock.{os.getpid()}.stale")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:  # removed meanwhile by another process taking it over
            return
        if self._owner(aside) != owner:  # a fresh lock, taken over in between: give it back
            with contextlib.suppress(FileExistsError):
                os.link(aside, self.path)
        aside.unlink(missing_ok=True)

    def _owner(self, path: Path | None = None) -> tuple[str, int | None, str]:
        """(host, pid, identity) of the lock's holder; a lock written before the host was recorded is this host's,
        one written before the identity was recorded has "" (its pid alone is checked)."""
        try:
            pid, host, ident = ((path or self.path).read_text().split() + ["", "", ""])[:3]
            return host or socket.gethostname(), int(pid or "-1"), ident
        except (OSError, ValueError):
            return socket.gethostname(), None, ""

    def __exit__(self, *exc) -> None:
        """Release the lock; the folders taking it created are removed again while they are empty (a run
        refused after taking its lock, as stage 1 for tasks of other settings, leaves no empty folder)."""
        try:
            held = self.path.read_text() == self._me  # (what __enter__ wrote: /proc is not asked again)
        except OSError:
            held = False
        if held:
            self.path.unlink(missing_ok=True)
            for folder in self._made:
                with contextlib.suppress(OSError):
                    folder.rmdir()


def lock_holder(folder: str | Path) -> str | None:
    """Who holds `folder`'s `FolderLock`, as "pid N" (this host) or "pid N on host H", or None: no lock, or one whose
    process is gone (a lock of another host, or of another container, cannot be told gone from here: named)."""
    lock = FolderLock(folder, "")
    if not lock.path.is_file():
        return None
    host, pid, ident = lock._owner()
    if pid is None:
        return None
    if host == socket.gethostname() and same_process_space(ident):
        return f"pid {pid}" if identity_alive(pid, ident) else None
    return f"pid {pid} on host {host}, which cannot be checked from here: remove {str(lock.path)!r} if it is gone"


def missing_folders(folder: Path) -> list[Path]:
    """`folder` and its ancestors that do not exist, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def process_identity(pid: int) -> str:
    """ "BOOT/PIDNS/START" for process `pid` of this system: the kernel's boot id, this process's pid namespace and
    `pid`'s start time (clock ticks since boot), which tell a pid of another container or boot, or a pid reused
    since, from the same process; "" where /proc does not say (another system: pids are compared alone)."""
    try:
        if os.readlink("/proc/self") != str(os.getpid()):  # a /proc of another pid namespace: its pids are not ours
            return ""
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid").replace("pid:", "").strip("[]")
        start = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]  # field 22, starttime
    except (OSError, IndexError):
        return ""
    return f"{boot}/{namespace}/{start}"


def same_process_space(ident: str) -> bool:
    """Whether a lock's `process_identity` is of this boot and pid namespace (where its pid means the same process
    as here); a lock without one (written before it was recorded) is taken to be."""
    mine = process_identity(os.getpid())
    return not ident or not mine or ident.split("/")[:2] == mine.split("/")[:2]


def identity_alive(pid: int, ident: str) -> bool:
    """Whether the process a lock names (pid, `process_identity`) still runs: the pid exists and, where its start time
    was recorded and can be read, started then (not a later process given the same pid)."""
    if not process_alive(pid):
        return False
    now = process_identity(pid)
    return not ident or not now or ident.split("/")[2:] == now.split("/")[2:]


def process_alive(pid: int) -> bool:
    """Whether process `pid` of this host exists."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def scratch_prefix(prefix: str) -> str:
    """How this process starts the name of its scratch (a segment's folder, a half-copied dataset) in a folder that
    processes of other hosts, containers or boots may share (/tmp, /dev/shm, a shared TMPDIR):
    `{prefix}{pid}-{space}-`, `space` being `process_space()`. `remove_orphans` removes it once the process is gone."""
    return f"{prefix}{os.getpid()}-{process_space()}-"


@functools.cache  # (a process's host, boot and pid namespace do not change under it)
def process_space() -> str:
    """ "s" and three times 6 hex digits, digests of this host's name, of its boot id and of this process's pid
    namespace: where a pid names one process; "s0" where /proc does not say (`process_identity`)."""
    ident = process_identity(os.getpid())
    if not ident:
        return "s0"
    boot, namespace = ident.split("/")[:2]
    return "s" + "".join(hashlib.sha1(x.encode()).hexdigest()[:6] for x in (socket.gethostname(), boot, namespace))


_SPACE = re.compile(r"s([0-9a-f]{6})([0-9a-f]{6})([0-9a-f]{6})")  # host, boot, pid namespace
FOREIGN_SCRATCH_S = 3 * 24 * 3600  # scratch of another host or container untouched this long is taken as left


def remove_orphans(parent: str | Path, prefix: str) -> list[Path]:
    """Remove `parent/{prefix}{pid}-*`, the scratch of processes of this host that no longer exist (a killed
    process never cleans up after itself); returns what was removed. Scratch of a live process stays. Where the name
    says the process's space (`scratch_prefix`): that of an earlier boot of this host goes (its process is gone);
    that of another host or of another pid namespace of this boot (another container sharing the folder), whose pid
    means another process here, stays until untouched for `FOREIGN_SCRATCH_S` (a container killed and started
    anew leaves its scratch behind in a /dev/shm that outlives it)."""
    removed = []
    mine = _SPACE.fullmatch(process_space())
    for path in Path(parent).glob(f"{glob.escape(prefix)}*-*"):
        pid, _, rest = path.name[len(prefix) :].partition("-")
        space = _SPACE.fullmatch(rest.partition("-")[0])
        if not ascii_digits(pid):
            continue
        if not (space and mine):  # (a name without the space, or no /proc here: the pid alone)
            gone = not process_alive(int(pid))
        elif space.group(1) == mine.group(1) and space.group(2) != mine.group(2):
            gone = True  # (an earlier boot of this host)
        elif space.group() != mine.group():  # (another host, or another container of this boot)
            gone = _untouched_for(path, FOREIGN_SCRATCH_S)
        else:
            gone = not process_alive(int(pid))
        if gone:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _untouched_for(path: Path, seconds: float) -> bool:
    """Whether nothing in `path` (a file, or a folder and what it holds) was modified for `seconds`."""
    try:
        newest = path.lstat().st_mtime
        if not path.is_symlink() and path.is_dir():
            newest = max([newest, *(p.lstat().st_mtime for p in path.rglob("*"))])
    except OSError:  # (removed meanwhile)
        return False
    return time.time() - newest > seconds
