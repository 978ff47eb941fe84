"""Run outputs (docs/data-format.md): progress.csv (viskit layout), variant.json, debug.log,
TensorBoard events, snapshots. progress.csv and variant.json are replaced atomically, debug.log and the event files
appended to; progress.csv's columns never change between rows, but for columns a newer version appends last (the
rows before them get NaN there)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import math
import sys
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from rlkit.errors import DivergedError, UserError
from rlkit.fileio import ascii_digits, atomic_write_text, make_folder, read_csv_table
from rlkit.logging.columns import SPREAD_COLUMNS


class _FailingFileHandler(logging.FileHandler):
    """A FileHandler whose failed write raises, naming the file (logging's default prints a traceback and
    goes on), so that a full disk ends the run with one line like every other refused write."""

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            raise OSError(error.errno, error.strerror, self.baseFilename) from error
        super().handleError(record)


def _vae_logged_in(folder: Path) -> bool:
    """Whether the event files of `folder` itself (tb/) hold BOREL's VAE scalars (VAE/*): a run made before tb/vae/.
    Not "tb/vae/ is missing": a BOREL run started from `path_to_weights` runs no VAE stage and has none either."""
    if (folder / "vae").is_dir():
        return False
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    for path in sorted(folder.glob("events.out.tfevents.*")):
        with contextlib.suppress(Exception):  # (a damaged file: read up to its damage, as TensorBoard reads it)
            for event in EventFileLoader(str(path)).Load():
                if any(v.tag.startswith("VAE/") for v in event.summary.value):
                    return True
    return False


def _wait_past_events(folder: Path) -> None:
    """Wait, if need be, until the clock's second is past that of every event file in `folder`. Readers take a
    folder's files in name order, events.out.tfevents.SECOND.HOST.PID.N: within one second the order falls to the
    pid and writer number, compared as text ("10" before "9"), so a resumed writer's file, with the purge that drops
    what the interrupted one logged past the resume, could be read first and purge nothing."""
    seconds = []
    for f in folder.glob("events.out.tfevents.*"):
        field = f.name.split(".")[3]
        if ascii_digits(field):
            seconds.append(int(field))
    if seconds:  # (at most about a second: a file of a clock ahead of this one, on a shared file system, is no wait)
        end = min(max(seconds) + 1, time.time() + 1.1)
        while time.time() < end:
            time.sleep(0.05)


def _quiet_event_writer_threads() -> None:
    """TensorBoard writes events from a thread of its own, whose refused write (a full disk) printed a traceback
    before the main thread raised the same error again (`RunLogger._write_events` names the folder there): such
    threads' OSErrors are left to that. Every other thread's exception goes to the hook there was."""
    if getattr(threading.excepthook, "csro_quiet", False):
        return
    before = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if not (isinstance(args.exc_value, OSError) and type(args.thread).__name__ == "_AsyncWriterThread"):
            before(args)

    hook.csro_quiet = True  # type: ignore[attr-defined]
    threading.excepthook = hook


def event_name_now(folder: Path, name: str) -> str:
    """`name`, an event file's (events.out.tfevents.SECOND.HOST.PID.N), with SECOND this clock's, past every event
    file's already in `folder`: a Ray segment's files, named by its worker's clock, are renamed so as they come back,
    and are read after the files before them (a resume's purge among those) whatever the workers' clocks say."""
    _wait_past_events(folder)
    parts = name.split(".", 4)  # events, out, tfevents, SECOND, HOST.PID.N (a host name may hold dots)
    return ".".join([*parts[:3], str(int(time.time())), parts[4]])


class RunLogger:
    """The files of one run folder; the column names and order are `rlkit.logging.columns`'."""

    def __init__(self, out_dir: Path, use_tensorboard: bool = True):
        self.dir = out_dir
        make_folder(self.dir)
        tb = out_dir / "tb"
        if use_tensorboard and tb.exists() and not tb.is_dir():  # found now, not after the first iteration's training
            raise UserError(f"{str(tb)!r} is a file: expected the run's TensorBoard folder there (move the file away)")
        self.rows: list[dict[str, float]] = []
        self._rows_beyond = False  # (`load_rows`: progress.csv holds rows past those it kept)
        self.keys: list[str] | None = None
        self.log = logging.getLogger(f"csro.{out_dir}")
        self.log.setLevel(logging.INFO)
        self.log.propagate = False
        if not self.log.handlers:
            handler = _FailingFileHandler(out_dir / "debug.log")
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
            self.log.addHandler(handler)
        # TensorBoard writers, made at their first scalar: by iteration (progress.csv's rows) in tb/, BOREL's VAE stage
        # by its own step in tb/vae/ (two step scales: a resume's purge of one must leave the other alone)
        self.use_tensorboard = use_tensorboard
        self._writers: dict[str, Any] = {}
        self._purge: dict[str, int] = {}

    def _tb(self, which: str = "") -> Any:
        if which not in self._writers:
            from torch.utils.tensorboard import SummaryWriter

            folder = self._events_folder(which)
            _wait_past_events(folder)
            _quiet_event_writer_threads()
            self._writers[which] = SummaryWriter(log_dir=str(folder), purge_step=self._purge.get(which))
        return self._writers[which]

    def _events_folder(self, which: str) -> Path:
        """Where TensorBoard writer `which` writes: tb/ (by iteration) or tb/WHICH (BOREL's VAE: tb/vae/)."""
        return self.dir / "tb" / which if which else self.dir / "tb"

    def _write_events(self, which: str, write: Callable[[Any], object]) -> None:
        """`write(writer)` on TensorBoard writer `which`: a write its thread was refused (raised again here without a
        path: "No space left on device") is an OSError naming the folder, as every refused write is."""
        try:
            write(self._tb(which))
        except OSError as e:
            if e.filename is None and e.errno is not None:
                raise OSError(e.errno, e.strerror, str(self._events_folder(which))) from e
            raise

    def resume_at(self, iteration: int, vae_step: int | None = None) -> None:
        """A resume from `iteration` iterations (the next row's Epoch; BOREL: `vae_step`, the first VAE step not yet
        saved): TensorBoard readers drop what an interrupted process logged from there on (a kill between a row and
        latest.pt logged a step that the resumed run logs again), as progress.csv keeps only the rows latest.pt
        accounts for."""
        legacy_vae = vae_step is not None and _vae_logged_in(self.dir / "tb")
        if not legacy_vae:  # (a BOREL run made before tb/vae/ logged its VAE steps in tb/: a purge there hides them)
            self._purge[""] = iteration
        if vae_step is not None:
            self._purge["vae"] = vae_step

    def write_purges(self) -> None:
        """Write now the purges `resume_at` set, each in an event file of its own: for a run that other processes
        continue (Ray's segments, whose files carry no purge), readers then drop what an interrupted segment logged
        past the saved state (its row and events were copied back, latest.pt was not), which the retried segment
        logs again."""
        if self.use_tensorboard:
            for which in self._purge:
                self._tb(which)

    def write_variant(self, variant: dict[str, Any]) -> None:
        atomic_write_text(self.dir / "variant.json", json.dumps(variant, indent=2, sort_keys=True) + "\n")

    def load_rows(self, n: int) -> None:
        """On resume: keep the first `n` rows of the existing progress.csv."""
        path = self.dir / "progress.csv"
        if n == 0:  # resumed before its first iteration ended (BOREL's VAE stage): no row to keep
            self.rows, self.keys = [], None
            self._rows_beyond = path.is_file()  # (the row of a first iteration latest.pt does not account for)
            return
        wanted = f"at least {n} rows to resume (latest.pt has done {n} iterations)"
        if not path.is_file():  # the snapshot says n iterations were done; their rows are gone
            raise UserError(f"{str(path)!r} not found: expected {wanted}")
        table = read_csv_table(path, f"the progress.csv this run wrote, {wanted}")
        if len(table) < n:
            raise UserError(f"{str(path)!r} has {len(table)} rows: expected at least {n} to resume")
        self.rows = [{k: float(v) for k, v in r.items()} for r in table.iloc[:n].to_dict("records")]
        self.keys = list(table.columns)
        self._rows_beyond = len(table) > n

    def cut_rows(self) -> None:
        """Rewrite progress.csv as the rows `load_rows` kept, where it held more (rows of iterations latest.pt does
        not account for), as a resume begins: a resumed run stopped before its next row, or a finished one, which
        trains none, kept them; none kept (a BOREL run resumed in its VAE stage), no progress.csv."""
        if self._rows_beyond:
            if self.rows:
                self._write_rows()
            else:
                (self.dir / "progress.csv").unlink(missing_ok=True)
            self._rows_beyond = False

    def record(self, row: dict[str, float], unmeasured: Collection[str] = ()) -> None:
        """Append `row`; a non-finite value is a divergence, except NaN in a column not measured: the spread columns,
        or those named in `unmeasured` (`meta_test_columns` of a run with the meta-test off)."""
        bad = [
            k
            for k, v in row.items()
            if not math.isfinite(v) and not (math.isnan(v) and (k in SPREAD_COLUMNS or k in unmeasured))
        ]
        if bad:
            self.log.info("non-finite progress values: %s", bad)
            epoch = row.get("Epoch", len(self.rows))
            raise DivergedError(
                f"non-finite progress values in {bad} at iteration {epoch:g}: training diverged; the rows and "
                f"snapshots of the iterations before it are kept in {str(self.dir)!r}"
            )
        if self.keys is None:
            self.keys = list(row)
        elif list(row) != self.keys:
            added = list(row)[len(self.keys) :]
            if list(row)[: len(self.keys)] != self.keys:
                raise RuntimeError(f"progress keys changed: {sorted(set(row) ^ set(self.keys))}")
            # a run resumed by a version that logs more columns (appended last): its earlier rows get NaN there
            for old in self.rows:
                old.update(dict.fromkeys(added, math.nan))
            self.keys = list(row)
        self.rows.append(row)
        self._write_rows()
        if self.use_tensorboard:
            self._write_events("", lambda tb: self._add_scalars(tb, row, int(row["Epoch"])))

    def _write_rows(self) -> None:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self.keys, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        atomic_write_text(self.dir / "progress.csv", buf.getvalue())

    def scalars(self, values: dict[str, float], step: int) -> None:
        """TensorBoard scalars outside progress.csv (BOREL's VAE stage, by its step)."""
        if self.use_tensorboard:
            self._write_events("vae", lambda tb: self._add_scalars(tb, values, step))

    @staticmethod
    def _add_scalars(tb: Any, values: dict[str, float], step: int) -> None:
        for k, v in values.items():
            tb.add_scalar(k.replace(" ", "_"), v, step)
        tb.flush()

    def info(self, message: str) -> None:
        self.log.info(message)

    def close(self) -> None:
        try:
            for which in list(self._writers):
                self._write_events(which, lambda tb: tb.close())
        finally:  # (a refused event write, raised above: debug.log is closed all the same)
            for h in list(self.log.handlers):
                h.close()
                self.log.removeHandler(h)
