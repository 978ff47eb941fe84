"""The run logger and the progress.csv columns: names and order, finite cells, atomic rows, resume."""

import json
import math
import threading

import numpy as np
import pandas as pd
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rlkit.errors import DivergedError, UserError
from rlkit.fileio import read_csv_table
from rlkit.logging import (
    LOSS_COLUMNS,
    PROTOCOL_BY_KEY,
    PROTOCOLS,
    RETURN_COLUMNS,
    SPREAD_COLUMNS,
    STAT_COLUMNS,
    VAE_COLUMNS,
    RunLogger,
    collapse_warning,
    progress_row,
)
from rlkit.logging.columns import stats
from tests.conftest import ROOT
from tests.test_layers import SOURCES


def make_row(iteration: int, offline: float = -5.0, latent: int = 2) -> dict[str, float]:
    counters = {
        "train_steps": 10 * iteration,
        "env_steps": 40 * iteration,
        "rollouts": 3 * iteration,
        "iteration": iteration,
        "train_time": 1.5 * iteration,
    }
    stat_values = {field: torch.arange(4.0) + i for i, field in enumerate(STAT_COLUMNS.values())}
    return progress_row(
        counters,
        {"train": 1.5, "eval": 0.5, "epoch": 2.0},
        {"offline": offline, "online": -6.0, "np": -7.0},
        [0.1] * latent,
        0.2,
        [0.3] * latent,
        0.4,
        {k: float(i) for i, k in enumerate(LOSS_COLUMNS)},
        stat_values,
        z_spread=(0.5, 3.0),
    )


def test_row_columns_and_values():
    row = make_row(3)
    cols = list(row)
    assert cols[:8] == [
        "Number of train steps total",
        "Number of env steps total",
        "Number of rollouts total",
        "Train Time (s)",  # (the reference's names, written out: a misspelt TIMING_COLUMNS would pass as itself)
        "(Previous) Eval Time (s)",
        "Epoch Time (s)",
        "Total Train Time (s)",
        "Epoch",
    ]
    assert cols[8:11] == list(RETURN_COLUMNS.values())
    assert cols[11:17] == [
        "Z mean train0",
        "Z mean train1",
        "Z variance train",
        "Z mean eval0",
        "Z mean eval1",
        "Z variance eval",
    ]
    assert cols[17:24] == list(LOSS_COLUMNS.values())
    assert cols[24:-2] == [f"{name} {s}" for name in STAT_COLUMNS for s in ("Mean", "Std", "Max", "Min")]
    assert cols[-2:] == ["Z Across-Task Std", "Z Spread Ratio"]  # the collapse guard, last
    assert (row["Z Across-Task Std"], row["Z Spread Ratio"]) == (0.5, 3.0)
    assert row["Epoch"] == 2 and row["Number of train steps total"] == 30 and row["Total Train Time (s)"] == 4.5
    assert row[RETURN_COLUMNS["offline"]] == -5 and row[RETURN_COLUMNS["online"]] == -6
    assert row["Club Loss"] == 1.0  # LOSS_COLUMNS' second key
    assert (
        row["Q Predictions Mean"],
        row["Q Predictions Std"],
        row["Q Predictions Max"],
        row["Q Predictions Min"],
    ) == (1.5, pytest.approx(np.std([0, 1, 2, 3])), 3, 0)
    assert all(isinstance(v, float) and math.isfinite(v) for v in row.values())


def test_progress_csv_is_viskit_readable_and_complete(tmp_path):
    log = RunLogger(tmp_path, use_tensorboard=False)
    log.write_variant({"seed": 1, "algo_params": {"discount": 0.9}})
    for it in (1, 2):
        log.record(make_row(it))
    log.close()
    df = pd.read_csv(tmp_path / "progress.csv")
    assert list(df.columns) == list(make_row(1)) and df["Epoch"].tolist() == [0, 1]
    assert np.isfinite(df.to_numpy()).all()
    assert json.loads((tmp_path / "variant.json").read_text())["algo_params"]["discount"] == 0.9
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary file


def test_non_finite_row_is_refused_and_the_file_kept(tmp_path):
    log = RunLogger(tmp_path, use_tensorboard=False)
    log.record(make_row(1))
    before = (tmp_path / "progress.csv").read_text()
    with pytest.raises(
        DivergedError, match=r"Average_OfflineReturn_all_test_tasks'\] at iteration 1: training diverged"
    ):
        log.record(make_row(2, offline=float("nan")))
    assert (tmp_path / "progress.csv").read_text() == before
    log.close()


def test_a_row_without_meta_test_holds_nan_there_and_only_there_nan_is_accepted(tmp_path):
    """A row of a run with the meta-test off: its returns and eval z are nan (not 0); the logger takes nan in the
    columns named unmeasured and nowhere else, and never an infinity."""
    from rlkit.logging import meta_test_columns

    row = progress_row(
        {"train_steps": 10, "env_steps": 0, "rollouts": 0, "iteration": 1, "train_time": 1.0},
        {"train": 1.0, "eval": 0.0, "epoch": 1.0},
        {},
        [0.1, 0.2],
        0.2,
        [math.nan, math.nan],
        math.nan,
        {k: 1.0 for k in LOSS_COLUMNS},
        {field: torch.arange(4.0) for field in STAT_COLUMNS.values()},
    )
    unmeasured = meta_test_columns(row)
    assert unmeasured == [*RETURN_COLUMNS.values(), "Z mean eval0", "Z mean eval1", "Z variance eval"]
    assert all(math.isnan(row[k]) for k in unmeasured)
    log = RunLogger(tmp_path, use_tensorboard=False)
    with pytest.raises(DivergedError, match="Average_OfflineReturn"):
        log.record(row)
    log.record(row, unmeasured=unmeasured)
    with pytest.raises(DivergedError, match="QF Loss"):
        log.record(dict(row, **{"QF Loss": math.nan}), unmeasured=unmeasured)
    with pytest.raises(DivergedError, match="Z variance eval"):
        log.record(dict(row, **{"Z variance eval": math.inf}), unmeasured=unmeasured)
    log.close()


def test_changed_columns_are_refused(tmp_path):
    log = RunLogger(tmp_path, use_tensorboard=False)
    log.record(make_row(1, latent=2))
    with pytest.raises(RuntimeError, match="progress keys changed"):
        log.record(make_row(2, latent=3))
    log.close()


def test_resume_keeps_the_rows_done_and_writes_no_duplicate(tmp_path):
    log = RunLogger(tmp_path, use_tensorboard=False)
    for it in (1, 2, 3):  # the run was killed after writing row 3 but before its snapshot (2 iterations saved)
        log.record(make_row(it))
    log.close()
    resumed = RunLogger(tmp_path, use_tensorboard=False)
    resumed.load_rows(2)
    resumed.record(make_row(3, offline=-1.0))
    resumed.record(make_row(4))
    resumed.close()
    df = pd.read_csv(tmp_path / "progress.csv")
    assert df["Epoch"].tolist() == [0, 1, 2, 3]
    assert df[RETURN_COLUMNS["offline"]].tolist() == [-5, -5, -1, -5]


def test_a_resumed_writers_events_are_read_after_the_interrupted_ones(tmp_path, monkeypatch):
    """Readers take event files in name order (SECOND.HOST.PID.N): in the same second the writer numbers 9 and 10
    compare as text, "10" first, so the resumed file's purge came before the steps it was to drop (seen in the
    suite, whose workers make many writers). The resumed writer now opens in a later second."""
    import tensorboard.summary.writer.event_file_writer as event_file_writer

    monkeypatch.setattr(event_file_writer, "_global_uid", event_file_writer.AtomicCounter(9))
    assert _offline_points_after_epoch_2_logged_again(tmp_path) == [(0, -5.0), (1, -4.0), (2, -1.0)]
    names = sorted(f.name for f in (tmp_path / "tb").glob("events.out.tfevents.*"))
    assert [n.rsplit(".", 1)[1] for n in names] == ["9", "10"]  # the interrupted writer's file first


def _offline_points_after_epoch_2_logged_again(tmp_path, vae_step=None) -> list[tuple[int, float]]:
    """A run's offline-return points in tb/ after 3 rows (-5, -4, -3), then a resume from 2 saved iterations (and,
    given, BOREL's `vae_step`) whose Epoch 2 is -1: (step, value) as a reader sees them."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log = RunLogger(tmp_path)
    for it, v in ((1, -5.0), (2, -4.0), (3, -3.0)):
        log.record(make_row(it, offline=v))
    log.close()
    resumed = RunLogger(tmp_path)
    resumed.load_rows(2)
    resumed.resume_at(2, vae_step=vae_step)
    resumed.record(make_row(3, offline=-1.0))
    resumed.close()
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    return [(e.step, e.value) for e in acc.Scalars(RETURN_COLUMNS["offline"].replace(" ", "_"))]


def test_each_rows_events_are_on_disk_when_record_returns(tmp_path, monkeypatch):
    """A row's TensorBoard points are flushed as the row is recorded, not when the writer is closed (the writer's own
    flush comes every 120 s): a run killed later (SIGKILL, out of memory) keeps the points of the iterations latest.pt
    covers, which its resume does not log again. Every other test read the events after close(), which flushes.
    (Unflushed points may reach the disk anyway, by the writer's thread: the flushes are counted too.)"""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter

    flushes, flush = [], SummaryWriter.flush
    monkeypatch.setattr(SummaryWriter, "flush", lambda self: (flushes.append(1), flush(self))[1])
    log = RunLogger(tmp_path)
    try:
        log.record(make_row(1, offline=-5.0))
        assert len(flushes) == 1
        log.record(make_row(2, offline=-4.0))
        assert len(flushes) == 2
        acc = EventAccumulator(str(tmp_path / "tb"))
        acc.Reload()
        tag = RETURN_COLUMNS["offline"].replace(" ", "_")
        assert [(e.step, e.value) for e in acc.Scalars(tag)] == [(0, -5.0), (1, -4.0)]
        # every scalar of the last row (the writer's queue takes 10 events before it writes without a flush)
        tags = acc.Tags()["scalars"]
        assert len(tags) > 10 and all([e.step for e in acc.Scalars(t)] == [0, 1] for t in tags)
    finally:
        log.close()


def test_an_event_file_of_a_clock_ahead_costs_at_most_a_second(tmp_path):
    """A file named by a clock an hour ahead (another host on a shared file system) is no hour's wait."""
    import time

    from rlkit.logging.logger import _wait_past_events

    (tmp_path / f"events.out.tfevents.{int(time.time()) + 3600}.other.1.0").write_bytes(b"")
    (tmp_path / "events.out.tfevents.².other.1.0").write_bytes(b"")  # (no second: not int('²'), a ValueError)
    t0 = time.monotonic()
    _wait_past_events(tmp_path)
    assert time.monotonic() - t0 < 1.5


def test_an_event_file_renamed_now_keeps_its_dotted_host_pid_and_number(tmp_path, monkeypatch):
    """A Ray segment's event file takes this clock's second, past the files already there, and keeps the rest of its
    name whole: a host name with dots (node-3.cluster.local) and the pid and count after it."""
    import rlkit.logging.logger as logger

    (tmp_path / "events.out.tfevents.1000.a.1.0").write_bytes(b"")
    clock = iter([999.0, 1000.2, 1001.5, 1001.5])
    monkeypatch.setattr(logger.time, "time", lambda: next(clock))
    monkeypatch.setattr(logger.time, "sleep", lambda s: None)
    name = logger.event_name_now(tmp_path, "events.out.tfevents.5.node-3.cluster.local.42.7")
    assert name == "events.out.tfevents.1001.node-3.cluster.local.42.7"


def test_tensorboard_after_a_resume_holds_each_step_once(tmp_path):
    """Killed after its third row but before its snapshot (2 iterations saved), the resumed run logs Epoch 2 again:
    a reader sees the resumed run's value only, and every earlier step once. BOREL's VAE scalars, on their own step
    scale, are purged from the first step not saved."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tag = RETURN_COLUMNS["offline"].replace(" ", "_")
    log = RunLogger(tmp_path)
    for it, v in ((1, -5.0), (2, -4.0), (3, -3.0)):
        log.record(make_row(it, offline=v))
    log.scalars({"VAE/loss": 1.0}, 100)
    log.scalars({"VAE/loss": 0.5}, 200)  # logged, then the kill before its latest.pt
    log.close()
    resumed = RunLogger(tmp_path)
    resumed.load_rows(2)
    resumed.resume_at(2, vae_step=101)
    resumed.scalars({"VAE/loss": 0.7}, 200)
    resumed.record(make_row(3, offline=-1.0))
    resumed.close()
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    assert [(e.step, e.value) for e in acc.Scalars(tag)] == [(0, -5.0), (1, -4.0), (2, -1.0)]
    vae = EventAccumulator(str(tmp_path / "tb" / "vae"))
    vae.Reload()
    assert [(e.step, e.value) for e in vae.Scalars("VAE/loss")] == [(100, 1.0), (200, pytest.approx(0.7))]


def test_a_borel_run_that_logged_its_vae_in_tb_keeps_that_curve_after_a_resume(tmp_path):
    """BOREL runs made before tb/vae/ logged VAE/* in tb/ on the VAE's step scale: a purge from the iteration there
    would hide the whole VAE curve, so such a run's tb/ is not purged."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter

    old = SummaryWriter(log_dir=str(tmp_path / "tb"))  # the layout before
    for step in (100, 200):
        old.add_scalar("VAE/loss", 1.0, step)
    old.close()
    resumed = RunLogger(tmp_path)
    resumed.resume_at(3, vae_step=201)
    resumed.record(make_row(4))
    resumed.close()
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    assert [e.step for e in acc.Scalars("VAE/loss")] == [100, 200]


def test_a_borel_run_without_a_vae_stage_is_purged_in_tb_on_its_first_resume(tmp_path):
    """A BOREL run started from `path_to_weights` runs no VAE stage, so it has no tb/vae/ either, yet it is no run of
    the layout before (tb/ holds no VAE/* scalars): its first resume purges tb/ as every run's does, and the killed
    iteration's point is not read beside the one logged again (it was: Epoch 2 twice, -3 and -1)."""
    # (vae_step 4: the VAE's steps of the weights it started from)
    assert _offline_points_after_epoch_2_logged_again(tmp_path, vae_step=4) == [(0, -5.0), (1, -4.0), (2, -1.0)]


def test_resume_with_missing_rows_is_an_error(tmp_path):
    log = RunLogger(tmp_path, use_tensorboard=False)
    log.record(make_row(1))
    log.close()
    with pytest.raises(UserError, match="has 1 rows: expected at least 2 to resume"):
        RunLogger(tmp_path, use_tensorboard=False).load_rows(2)


@pytest.mark.parametrize(
    "damaged,said",
    [
        (b"\xff\xfe", r"is not UTF-8 text"),
        (b"", r"is empty"),
        (b"Epoch,x\n1,abc\n", r"line 2, column 'x': 'abc' is not a finite number"),
        (b"Epoch,x\n1,2,3\n", r"line 2 has 3 cells: expected 2"),
        (b"Epoch,x,y\n1,3.0\n", r"line 2 has 2 cells: expected 3"),  # (read_csv_table filled the cell it lacks)
        (b"Epoch,x\n1,inf\n", r"line 2, column 'x': 'inf' is not a finite number"),  # (the logger writes none)
    ],
)
def test_resume_on_a_damaged_progress_csv_is_one_line(tmp_path, damaged, said):
    """A damaged progress.csv gave the resume a ValueError or UnicodeDecodeError traceback."""
    (tmp_path / "progress.csv").write_bytes(damaged)
    log = RunLogger(tmp_path, use_tensorboard=False)
    with pytest.raises(
        UserError, match=rf"^'.*progress.csv' {said}.*expected the progress.csv this run wrote, at least 1"
    ):
        log.load_rows(1)
    log.close()


def test_resume_without_progress_csv_is_an_error(tmp_path):
    log = RunLogger(tmp_path, use_tensorboard=False)
    log.record(make_row(1))
    log.close()
    (tmp_path / "progress.csv").unlink()  # latest.pt says 1 iteration was done; its row is gone
    with pytest.raises(UserError, match=r"progress.csv' not found: expected at least 1 rows to resume"):
        RunLogger(tmp_path, use_tensorboard=False).load_rows(1)
    fresh = RunLogger(tmp_path, use_tensorboard=False)
    fresh.load_rows(0)  # a snapshot saved before its first iteration ended: nothing to keep, no error
    assert fresh.rows == [] and fresh.keys is None
    fresh.close()


def test_tensorboard_gets_every_column(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log = RunLogger(tmp_path)
    log.record(make_row(1))
    log.close()
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    assert set(acc.Tags()["scalars"]) == {k.replace(" ", "_") for k in make_row(1)}


def test_a_full_disk_under_debug_log_is_an_error_naming_it(tmp_path):
    """logging's FileHandler would print a traceback and go on; the run stops with the file named instead."""
    import errno

    class FullDisk:
        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self):
            pass

    logger = RunLogger(tmp_path, use_tensorboard=False)
    logger.info("fits")
    handler = logger.log.handlers[0]
    handler.stream.close()
    handler.stream = FullDisk()
    with pytest.raises(OSError) as e:
        logger.info("does not fit")
    assert (e.value.errno, e.value.filename) == (errno.ENOSPC, str(tmp_path / "debug.log"))
    handler.stream = None
    logger.close()


def test_the_protocol_registry_is_the_only_place_that_spells_a_protocols_names():
    """Every column, report name, label and figure file of a protocol is written once, in rlkit/logging/columns.py;
    the other modules read them from `PROTOCOLS`, so the names cannot drift apart."""
    texts = {p: p.read_text() for p in SOURCES}
    for protocol in PROTOCOLS:
        for value in (protocol.column, protocol.name, protocol.label, protocol.paths_file):
            holders = sorted(
                str(p.relative_to(ROOT)) for p, t in texts.items() if f'"{value}"' in t or f"'{value}'" in t
            )
            assert holders == ["rlkit/logging/columns.py"], (value, holders)


def test_every_consumer_takes_its_protocol_names_from_the_registry():
    from rlkit.report import PROTOCOLS as REPORT_PROTOCOLS

    assert list(RETURN_COLUMNS) == [p.key for p in PROTOCOLS]
    assert list(RETURN_COLUMNS.values()) == [p.column for p in PROTOCOLS]
    assert REPORT_PROTOCOLS == {p.name: p.column for p in PROTOCOLS}
    assert PROTOCOL_BY_KEY == {p.key: p for p in PROTOCOLS}


def test_a_run_resumed_by_a_version_with_more_columns_gets_nan_in_its_earlier_rows(tmp_path):
    """The collapse guard's columns came after runs had started: resuming one appends them, NaN before."""
    log = RunLogger(tmp_path, use_tensorboard=False)
    log.record({k: v for k, v in make_row(1).items() if k not in SPREAD_COLUMNS})  # written before the columns
    log.close()
    resumed = RunLogger(tmp_path, use_tensorboard=False)
    resumed.load_rows(1)
    resumed.record(make_row(2))
    resumed.close()
    df = pd.read_csv(tmp_path / "progress.csv")
    assert list(df.columns) == list(make_row(2)) and df["Epoch"].tolist() == [0, 1]
    assert df[SPREAD_COLUMNS[0]].isna().tolist() == [True, False] and df[SPREAD_COLUMNS[1]].iloc[1] == 3.0


def test_a_file_where_the_tensorboard_folder_goes_is_refused_before_any_row(tmp_path):
    (tmp_path / "tb").write_text("not a folder")
    with pytest.raises(UserError, match="tb' is a file: expected the run's TensorBoard folder"):
        RunLogger(tmp_path)
    RunLogger(tmp_path, use_tensorboard=False).close()  # (a run without TensorBoard never writes there)


def test_each_counter_and_timer_lands_in_its_own_column():
    """'Number of env steps total' holds the env steps (not the rollouts), and 'Epoch Time (s)' the whole iteration's
    seconds (not the training time, which would hide the meta-test's cost). Every value given is distinct, so a
    column filled from the wrong counter or timer shows."""
    counters = {"train_steps": 100, "env_steps": 4000, "rollouts": 30, "iteration": 5, "train_time": 77.0}
    times = {"train": 11.0, "eval": 22.0, "epoch": 34.0}
    row = progress_row(
        counters,
        times,
        {"offline": -1.0, "online": -2.0, "np": -3.0},
        [0.1, 0.2],
        0.3,
        [0.4, 0.5],
        0.6,
        {k: 1.0 for k in LOSS_COLUMNS},
        {field: torch.arange(4.0) for field in STAT_COLUMNS.values()},
    )
    assert row["Number of train steps total"] == 100
    assert row["Number of env steps total"] == 4000
    assert row["Number of rollouts total"] == 30
    train, evaluation, epoch, total = (
        "Train Time (s)",
        "(Previous) Eval Time (s)",
        "Epoch Time (s)",
        "Total Train Time (s)",
    )
    assert (row[train], row[evaluation], row[epoch], row[total]) == (11.0, 22.0, 34.0, 77.0)


def test_a_belief_without_a_within_task_estimate_is_not_called_collapsed():
    """BOREL with one sequence per task has an across-task spread but no within-task estimate (its ratio is nan,
    `belief_spread`); such a row is not judged (`collapse_warning` is None), as the docstring says, and the summary
    line shows no flag. With `and` for `or` in that check, it was flagged as 'z collapsed' on every row, in the summary
    line, the report and reproduce's collapse flags (these two show what `collapse_warning` returns:
    tests/test_collapse.py::test_report_flags_a_collapsed_run_and_identical_protocols and
    tests/test_reproduce.py::test_a_report_flags_collapse_at_each_runs_last_row)."""
    from rlkit.experiment import MetaTrainer
    from rlkit.torch.csro.trainer import belief_spread

    final = torch.tensor([[0.0, 1.0], [5.0, -2.0], [9.0, 4.0]])  # one belief per task, well spread across tasks
    across, ratio = (float(x) for x in belief_spread(final, torch.tensor([0, 1, 2])))
    assert math.isfinite(across) and across > 1 and math.isnan(ratio)
    assert collapse_warning(dict(zip(SPREAD_COLUMNS, (across, ratio)))) is None
    assert collapse_warning(dict(zip(SPREAD_COLUMNS, (math.nan, 3.0)))) is None
    summary = MetaTrainer.summary(dict(make_row(1), **dict(zip(SPREAD_COLUMNS, (across, ratio)))))
    assert "spread nan" in summary and "collapsed" not in summary, summary


def test_a_csv_with_a_byte_order_mark_and_blank_lines_is_read_as_its_table(tmp_path):
    """read_csv_table decodes utf-8-sig (a spreadsheet's CSV starts with a byte order mark, which would otherwise
    become part of the first column's name) and skips blank lines (a trailing empty line is no row)."""
    path = tmp_path / "progress.csv"
    path.write_bytes("Epoch,Return\r\n0,1.5\r\n\r\n1,2.5\r\n\r\n".encode("utf-8-sig"))
    table = read_csv_table(path, "a progress table", ("Epoch", "Return"), integers=("Epoch",))
    assert list(table.columns) == ["Epoch", "Return"]
    assert table["Epoch"].tolist() == [0, 1] and table["Return"].tolist() == [1.5, 2.5]
    assert table["Epoch"].dtype == np.int64 and table["Return"].dtype == np.float64  # `integers` read as whole numbers


def test_a_run_without_tensorboard_writes_no_vae_scalars_either(tmp_path):
    """`RunLogger.scalars` (BOREL's VAE-stage scalars) writes TensorBoard events only where `use_tensorboard` says
    so: writing them whatever it says (`if True`), a run with TensorBoard off would still make tb/vae/ and its event
    files (and import TensorBoard). With it off, scalars and rows leave no tb/ at all."""
    log = RunLogger(tmp_path, use_tensorboard=False)
    log.scalars({"VAE/loss": 1.0}, 100)
    log.record(make_row(1))
    log.close()
    assert not (tmp_path / "tb").exists()
    assert (tmp_path / "progress.csv").is_file()


def test_two_loggers_of_one_run_folder_write_each_debug_line_once(tmp_path):
    """`RunLogger` adds a debug.log handler only where the folder's logger (one per folder, by name) has none: adding
    one whether or not it has one (`if True`), a second RunLogger of the same folder in one process, before the first
    is closed, would double every debug.log line from then on. One message, one line."""
    first = RunLogger(tmp_path, use_tensorboard=False)
    second = RunLogger(tmp_path, use_tensorboard=False)
    second.info("resumed at iteration 2")
    first.close()
    second.close()
    lines = (tmp_path / "debug.log").read_text().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == ["resumed at iteration 2"]


def _row_with_distinct_values():
    """A progress row whose every loss and every statistic field holds its own value (1, 2, ...)."""
    losses = ["z_loss", "club_loss", "club_model_loss", "qf_loss", "vf_loss", "policy_loss", "dual_critic_loss"]
    fields = ["q_predictions", "v_predictions", "log_pis", "policy_mu", "policy_log_std", "alpha", "div_estimate"]
    counters = {"train_steps": 100, "env_steps": 4000, "rollouts": 30, "iteration": 5, "train_time": 77.0}
    row = progress_row(
        counters,
        {"train": 11.0, "eval": 22.0, "epoch": 34.0},
        {"offline": -1.0, "online": -2.0, "np": -3.0},
        [0.1, 0.2],
        0.3,
        [0.4, 0.5],
        0.6,
        {k: float(i + 1) for i, k in enumerate(losses)},
        {f: torch.full((4,), float(10 * (i + 1))) for i, f in enumerate(fields)},
    )
    return row


def test_each_loss_lands_in_the_column_of_its_reference_name():
    """Each loss column has its reference name, not a misspelt one (`Dual critic Loss`): viskit, the report and the
    golden files read the reference's names (docs/data-format.md). Each loss, given its own value, is found under
    its name."""
    row = _row_with_distinct_values()
    names = ["Z Loss", "Club Loss", "Club model Loss", "QF Loss", "VF Loss", "Policy Loss", "Dual Critic Loss"]
    assert [row[n] for n in names] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]


def test_each_statistic_column_reads_its_own_field():
    """Each statistic column reads its own field: `alpha Mean/Std/Max/Min` filled from the div_estimate field
    (`"alpha": "div_estimate"`) would make BRAC's alpha column repeat the divergence estimate. Each field, a constant
    of its own, is found under its column prefix (docs/data-format.md)."""
    row = _row_with_distinct_values()
    prefixes = ["Q Predictions", "V Predictions", "Log Pis", "Policy mu", "Policy log std", "alpha", "div_estimate"]
    for i, prefix in enumerate(prefixes):
        want = float(10 * (i + 1))
        assert [row[f"{prefix} {s}"] for s in ("Mean", "Max", "Min")] == [want] * 3, prefix
        assert row[f"{prefix} Std"] == 0.0


def test_each_vae_part_has_the_column_of_its_own_name():
    """BOREL's VAE columns have the name of their own part, not the reward and state parts swapped
    (`"reward": "VAE State Loss"`), which would make progress.csv and TensorBoard show the reward reconstruction
    loss as the state one. The keys are the parts `experiment.vae_stage` logs (loss, reward, state, kl:
    `trainer.vae_step`'s fields), the names docs/data-format.md's."""
    assert VAE_COLUMNS == {
        "steps": "VAE Steps",
        "loss": "VAE Loss",
        "reward": "VAE Reward Loss",
        "state": "VAE State Loss",
        "kl": "VAE KL",
    }


def test_a_resume_purges_a_vae_block_of_one_step_logged_after_the_saved_step(tmp_path):
    """`resume_at` purges the VAE curve from `vae_step` (the first step not saved) on, not from one step after it:
    otherwise a block of one VAE step (num_train_steps_per_itr 1) logged at saved + 1 before the kill would stay
    beside the resumed run's value of that step. By hand: saved at 100, the killed process logged 101; resumed from
    101."""
    log = RunLogger(tmp_path)
    log.scalars({"VAE/loss": 1.0}, 100)
    log.scalars({"VAE/loss": 0.5}, 101)  # logged, then the kill before its latest.pt
    log.close()
    resumed = RunLogger(tmp_path)
    resumed.resume_at(0, vae_step=101)
    resumed.scalars({"VAE/loss": 0.25}, 101)
    resumed.close()
    vae = EventAccumulator(str(tmp_path / "tb" / "vae"))
    vae.Reload()
    assert [(e.step, e.value) for e in vae.Scalars("VAE/loss")] == [(100, 1.0), (101, 0.25)]


def test_closing_a_logger_stops_its_tensorboard_writers(tmp_path):
    """`RunLogger.close` closes its TensorBoard writers. Left open, each writer keeps a writer thread (and its queue)
    alive after the run: a process that runs many runs (a cluster worker, the test suite) gathers them. The run's two
    writers (tb/ and tb/vae/) start a thread each; after close none of them is left."""
    before = set(threading.enumerate())
    log = RunLogger(tmp_path)
    log.record(make_row(1))
    log.scalars({"VAE/loss": 1.0}, 100)
    assert len(set(threading.enumerate()) - before) == 2  # (the check sees them while they run)
    log.close()
    assert [t for t in set(threading.enumerate()) - before if t.is_alive()] == []


def test_statistics_of_a_numpy_column_are_computed_in_float64():
    """`stats` reads a numpy array in float64 (a tensor is read in float32, as the reference's losses are); rounded to
    float32 first, the mean of 0.1, 0.2 and 0.4 is off by about 1e-8."""
    got = stats("x", np.array([0.1, 0.2, 0.4]))
    mean = (0.1 + 0.2 + 0.4) / 3
    var = ((0.1 - mean) ** 2 + (0.2 - mean) ** 2 + (0.4 - mean) ** 2) / 3
    assert got["x Mean"] == pytest.approx(mean, rel=1e-14, abs=0.0)
    assert got["x Std"] == pytest.approx(var**0.5, rel=1e-12, abs=0.0)
    assert (got["x Max"], got["x Min"]) == (0.4, 0.1)


def test_a_progress_row_built_without_a_spread_holds_nan_there_and_is_not_called_collapsed():
    """`z_spread` left out (no estimate) is NaN in both spread columns, which `collapse_warning` reads as 'no
    verdict'; a default of zeros would flag every such row as a collapsed z."""

    row = progress_row(
        {"train_steps": 1, "env_steps": 2, "rollouts": 3, "iteration": 1, "train_time": 4.0},
        {"train": 1.0, "eval": 2.0, "epoch": 3.0},
        {},
        [0.1],
        0.2,
        [0.3],
        0.4,
        {k: 1.0 for k in LOSS_COLUMNS},
        {field: torch.arange(3.0) for field in STAT_COLUMNS.values()},
    )
    assert all(math.isnan(row[c]) for c in SPREAD_COLUMNS)
    assert collapse_warning(row) is None


def test_a_csv_lacking_the_first_column_asked_for_is_refused_naming_it(tmp_path):
    """read_csv_table checks every column the caller needs, the first one too: a table without 'Epoch' is the
    one-line refusal naming it and the header, not a table whose reader fails later with a KeyError."""
    path = tmp_path / "progress.csv"
    path.write_text("Return,Loss\n1.5,0.5\n")
    with pytest.raises(UserError, match=r"progress.csv' has no column 'Epoch' \(its header: 'Return,Loss'\)"):
        read_csv_table(path, "a progress table", ("Epoch", "Return"))


def test_the_collapse_warning_names_the_across_task_std_and_the_ratio_each_by_its_own_value():
    """The warning (the iteration's summary, the report's flags) gives the across-task std and the spread ratio each
    under its own name, and the thresholds a live z passes."""
    row = dict(zip(SPREAD_COLUMNS, (0.002, 1.1)))
    assert collapse_warning(row) == (
        "z collapsed (across-task std 0.002, spread ratio 1.1; alive: ratio >= 1.5 and std >= 0.0001)"
    )


def test_variant_json_is_written_with_sorted_keys_and_progress_csv_with_plain_newlines(tmp_path):
    """variant.json's keys are sorted at every depth (two runs of one config write the same bytes, whatever order the
    config was built in), and progress.csv's lines end in "\\n" (csv's default "\\r\\n" would put a carriage return
    in every line, and in the last column's name for a reader that splits on "\\n")."""
    log = RunLogger(tmp_path, use_tensorboard=False)
    log.write_variant({"seed": 1, "algo_params": {"discount": 0.9, "batch_size": 4}})
    log.record(make_row(1))
    log.close()
    assert (tmp_path / "variant.json").read_text() == (
        '{\n  "algo_params": {\n    "batch_size": 4,\n    "discount": 0.9\n  },\n  "seed": 1\n}\n'
    )
    raw = (tmp_path / "progress.csv").read_bytes()
    assert b"\r" not in raw and raw.count(b"\n") == 2


def test_a_resume_stopped_before_its_next_row_keeps_no_row_past_latest_pt(tmp_path):
    """Rows that latest.pt does not account for were dropped only when a finished run resumed; one stopped before
    its next row (killed again) kept them for the plots and reports to read. Dropped as the resume begins now, and a
    BOREL run resumed in its VAE stage (no row kept) keeps no progress.csv."""
    log = RunLogger(tmp_path, use_tensorboard=False)
    for it in (1, 2, 3):
        log.record(make_row(it))
    log.close()
    resumed = RunLogger(tmp_path, use_tensorboard=False)
    resumed.load_rows(2)
    resumed.cut_rows()
    assert pd.read_csv(tmp_path / "progress.csv")["Epoch"].tolist() == [0, 1]
    in_vae = RunLogger(tmp_path, use_tensorboard=False)
    in_vae.load_rows(0)
    in_vae.cut_rows()
    assert not (tmp_path / "progress.csv").exists()


def test_a_refused_event_write_names_the_folder_in_one_line(tmp_path, monkeypatch, capsys):
    """TensorBoard's writer thread, refused (a full disk), printed a traceback, and the main thread's error named no
    path; close() raised again before debug.log was closed. Now: an OSError naming tb/, no thread traceback, and
    debug.log closed all the same."""
    import errno

    import tensorboard.summary.writer.record_writer as record_writer

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    log = RunLogger(tmp_path)
    log.record(make_row(1))
    monkeypatch.setattr(record_writer.RecordWriter, "write", full)
    with pytest.raises(OSError) as refused:
        for it in range(2, 50):  # (the thread's failure reaches the main thread at a later call)
            log.record(make_row(it))
    assert refused.value.errno == errno.ENOSPC and refused.value.filename == str(tmp_path / "tb")
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(OSError):
        log.close()
    assert not log.log.handlers
    assert getattr(threading.excepthook, "csro_quiet", False)


def test_other_threads_errors_still_reach_the_hook(monkeypatch):
    """Only TensorBoard's writer threads' OSErrors are left to the main thread: a plain thread's OSError, and any
    other error of a writer thread, reach the hook there was."""
    from rlkit.logging.logger import _quiet_event_writer_threads

    seen = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_value))
    _quiet_event_writer_threads()

    def fail():
        raise OSError(5, "plain thread I/O error")

    worker = threading.Thread(target=fail)
    worker.start()
    worker.join()
    assert [str(e) for e in seen] == ["[Errno 5] plain thread I/O error"]
