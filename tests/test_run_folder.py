"""Run folders, their files, snapshots and resume, each piece by hand: what read_tree ships, progress.csv's atomic
replacement, a reused pid's lock, snapshot names and due iterations, generator states across
device types, switches read once, the config keys a resume may change, dataset.json, an interrupted save, a
segment's iterations. (A mutation audit found each of these slips passing every other test; scripts/mutation_check.py's
EDITS keeps them caught.)"""

from __future__ import annotations

import json
import math
import os
import socket
import stat
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import torch

from rlkit.config import load_config
from rlkit.errors import UserError
from rlkit.experiment import MetaTrainer
from rlkit.fileio import FolderLock, error_chain, lock_holder, process_identity
from rlkit.logging import RunLogger
from rlkit.run_folder import CODE_FILE, iterations_done, read_run_state, restore_missing_snapshot, restore_snapshot
from rlkit.switch import _ALL, Switch
from tests.test_cluster import _dead_pid


def test_read_tree_drops_only_unfinished_atomic_writes(tmp_path):
    """`.tmp` files of unfinished atomic writes are dotted *and* end in .tmp; a hidden file or a plain `*.tmp` file is
    data and is shipped (cluster segments copy run and task folders with read_tree)."""
    from rlkit.fileio import read_tree

    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").write_bytes(b"h")
    (tmp_path / "sub" / "notes.tmp").write_bytes(b"n")
    (tmp_path / "sub" / ".latest.pt.ab12cd.tmp").write_bytes(b"x")
    (tmp_path / "a.txt").write_bytes(b"a")
    assert read_tree(tmp_path) == {".hidden": b"h", "a.txt": b"a", "sub/notes.tmp": b"n"}


def test_lock_holder_does_not_name_a_process_that_only_reuses_the_pid(tmp_path):
    """A lock whose pid now belongs to a process started later (a reused pid) is stale: `lock_holder` (what
    `rlkit.data check` and the dataset's meta say is under way) reports nobody, as `FolderLock` takes it over."""

    ident = process_identity(os.getpid())
    if not ident:
        pytest.skip("no /proc identity on this system")
    boot, namespace, start = ident.split("/")
    lock, host = tmp_path / ".lock", socket.gethostname()
    lock.write_text(f"{os.getpid()} {host} {boot}/{namespace}/{int(start) - 1}")  # this pid, an earlier process
    assert lock_holder(tmp_path) is None
    lock.write_text(f"{os.getpid()} {host} {ident}")  # this very process
    assert lock_holder(tmp_path) == f"pid {os.getpid()}"


def test_a_folder_with_a_single_snapshot_but_no_latest_pt_is_refused_not_replaced(tmp_path):
    """A run folder holding trained iterations (even just snapshots/itr_0.pt) without latest.pt is refused; a new run
    over it would overwrite the snapshot, progress.csv and variant.json of the run it holds."""
    from rlkit.run_folder import iterations_done

    (tmp_path / "snapshots").mkdir()
    (tmp_path / "snapshots" / "itr_0.pt").write_bytes(b"a state")
    with pytest.raises(UserError, match=r"holds trained iterations \(itr_0.pt\) but no latest.pt.*; the hint$"):
        iterations_done(tmp_path, {}, 5, "the hint")
    (tmp_path / "snapshots" / "itr_0.pt").unlink()
    assert iterations_done(tmp_path, {}, 5, "the hint") == 0  # nothing trained: a new run replaces it


def test_a_run_whose_snapshot_is_there_is_not_locked_to_check_it(tmp_path):
    """`restore_missing_snapshot` (reproduce's and the cluster's check of every run before training) takes the run's
    lock only when the snapshot is missing; with it there, a run that another process is training right now (its lock
    held) is left alone instead of ending the whole command as 'being trained by another process'."""
    from rlkit.config import Config
    from rlkit.run_folder import RunLock, restore_missing_snapshot, snapshot_due

    cfg = Config()
    snapshot = snapshot_due(tmp_path, cfg, 1)  # after iteration 1 (Epoch 0): itr_0.pt
    assert snapshot is not None
    snapshot.parent.mkdir(parents=True)
    snapshot.write_bytes(b"the state")
    (tmp_path / "latest.pt").write_bytes(b"the state")
    with RunLock(tmp_path):  # held: a run of this folder is training (here: this very process)
        restore_missing_snapshot(tmp_path, cfg, 1)
    assert snapshot.read_bytes() == b"the state"


def test_snapshot_names_are_in_iteration_order(tmp_path):
    """Snapshot names are in iteration order: itr_2 before itr_10 (text order puts itr_10 first), other names after
    (a number without itr_, or itr_ without a number, is another name), and
    show_path's refusal of a snapshot that is not there (`rlkit.show.find_snapshot`) lists them so. (The refusal of a
    folder without latest.pt names the last three by this order:
    test_a_folder_of_snapshots_without_latest_pt_names_its_last_three.)"""
    from rlkit.run_folder import snapshot_names
    from rlkit.show import find_snapshot

    (tmp_path / "snapshots").mkdir()
    for name in ("itr_10.pt", "itr_2.pt", "best.pt", "itr_0.pt", "itr_best.pt", "7.pt", "itr_².pt"):
        (tmp_path / "snapshots" / name).write_bytes(b"x")
    # (itr_².pt: another name, not int('²'), a ValueError, though '²'.isdigit())
    want = ["itr_0.pt", "itr_2.pt", "itr_10.pt", "7.pt", "best.pt", "itr_best.pt", "itr_².pt"]
    assert snapshot_names(tmp_path) == want
    (tmp_path / "variant.json").write_text(json.dumps({"seed": 0}))
    listed = r"expected one of \['itr_0.pt', 'itr_2.pt', 'itr_10.pt', '7.pt', 'best.pt', 'itr_best.pt', 'itr_².pt'\]$"
    with pytest.raises(UserError, match=r"snapshot '.*itr_5.pt' not found: " + listed):
        find_snapshot(tmp_path, 5)


def _row(epoch: float, **extra: float) -> dict[str, float]:
    return {"Epoch": float(epoch), "a": 10.0 + epoch, **extra}


def test_progress_csv_is_replaced_whole_so_an_open_reader_sees_the_old_file(tmp_path):
    """progress.csv is written atomically (a new file renamed over the old): a reader that opened it (a plotting script,
    a `tail`) reads the rows as they were, never a file truncated and half rewritten, and a kill mid-write leaves the
    previous rows rather than a cut file the resume refuses."""
    log = RunLogger(tmp_path, use_tensorboard=False)
    log.record(_row(0))
    path = tmp_path / "progress.csv"
    before = path.read_text()
    with open(path) as reader:
        log.record(_row(1))
        assert reader.read() == before
    log.close()
    assert pd.read_csv(path)["Epoch"].tolist() == [0, 1]


def test_a_run_resumed_by_a_version_with_more_columns_keeps_its_values_and_resumes_again(tmp_path):
    """Resuming a run whose progress.csv predates a column appends the column with NaN in the earlier rows; the earlier
    rows keep every value they had (a slip blanked the last old column), the file holds 'nan' (another slip wrote empty
    cells, which the next resume refuses), and a resume of a row of other columns is refused."""
    log = RunLogger(tmp_path, use_tensorboard=False)
    log.record(_row(0))
    log.close()
    resumed = RunLogger(tmp_path, use_tensorboard=False)
    resumed.load_rows(1)
    resumed.record(_row(1, b=3.0))
    resumed.close()
    assert (tmp_path / "progress.csv").read_text().splitlines() == ["Epoch,a,b", "0.0,10.0,nan", "1.0,11.0,3.0"]
    again = RunLogger(tmp_path, use_tensorboard=False)
    again.load_rows(2)
    assert again.rows[0]["a"] == 10.0 and math.isnan(again.rows[0]["b"]) and again.rows[1] == _row(1, b=3.0)
    with pytest.raises(RuntimeError, match="progress keys changed"):
        again.record({"a": 12.0, "Epoch": 2.0, "b": 1.0})
    again.close()


def test_generators_saved_on_the_other_device_type_are_reseeded_by_the_resume_iteration():
    """A run resumed on the other device type (a CUDA state in a CPU run) draws each torch stream from `device_change`
    at (the stream's id, the iteration it resumed at): resumes at different iterations must not repeat the same
    draws."""
    from types import SimpleNamespace

    from rlkit.experiment import MetaTrainer
    from rlkit.seeding import STREAMS, stream_seed

    def resume_at(iteration):
        fake = SimpleNamespace(
            trainer=SimpleNamespace(generator=torch.Generator(), agent=SimpleNamespace(test_z_generator=None)),
            sample_gen=torch.Generator(),
            setup=SimpleNamespace(seed=3),
            vae_gen=None,
        )
        cuda_like = torch.zeros(16, dtype=torch.uint8)
        state = {
            "trainer": {"generator": cuda_like},
            "sample_gen": cuda_like.clone(),
            "counters": {"iteration": iteration},
        }
        assert MetaTrainer._fit_generator_states(fake, state) == ["train_noise", "batch_sampling"]
        return state

    state = resume_at(7)
    for holder, key, stream in (
        (state["trainer"], "generator", "train_noise"),
        (state, "sample_gen", "batch_sampling"),
    ):
        want = torch.Generator().manual_seed(stream_seed(3, "device_change", STREAMS[stream].id, 7)).get_state()
        assert torch.equal(holder[key], want), stream
    assert not torch.equal(resume_at(8)["sample_gen"], state["sample_gen"])


def test_a_switch_reads_its_environment_variable_once():
    """A switch is decided at first use and stays so for the process (a run does not change speed trick halfway because
    something set the variable for a child); `set(None)` goes back to the environment."""
    from rlkit.switch import _ALL, Switch

    name = "CSRO_AUDIT_TEST_SWITCH"
    switch = Switch(name, default=False, on="on", off="off")
    try:
        os.environ[name] = "1"
        assert switch() is True
        os.environ[name] = "0"
        assert switch() is True  # read once
        switch.set(None)
        assert switch() is False  # the environment again, as it is now
        switch.set(True)
        assert switch() is True
    finally:
        os.environ.pop(name, None)
        _ALL.remove(switch)


def test_a_run_resumes_on_another_gpu_or_from_another_folder():
    """Where a run executes is not what it computes (the GPU, like the other NOT_COMPARED keys, is not compared): a run
    trained on GPU 0 resumes on GPU 1 (a cluster's free card), on the CPU, or moved under another base folder."""
    import copy

    from rlkit.config import Config
    from rlkit.run_folder import config_differences

    old = Config().to_dict()
    new = copy.deepcopy(old)
    new["util_params"].update(gpu_id=old["util_params"]["gpu_id"] + 1, use_gpu=not old["util_params"]["use_gpu"])
    new["util_params"]["base_log_dir"] = "/elsewhere/output"
    new["algo_params"]["num_iterations"] = old["algo_params"]["num_iterations"] + 10
    assert config_differences(old, new) == []
    new["algo_params"]["snapshot_gap"] = old["algo_params"]["snapshot_gap"] + 1
    assert config_differences(old, new) == [
        f"algo_params.snapshot_gap: {old['algo_params']['snapshot_gap']} -> {new['algo_params']['snapshot_gap']}"
    ]


def test_a_new_run_in_a_folder_without_snapshot_records_the_data_it_reads_now(tmp_path):
    """A folder without latest.pt holds a run that failed before its first iteration and is replaced; its dataset.json
    (the fingerprint of the data of that first start) is replaced too, so that a later resume is compared with the data
    this run trained on, not refused (or accepted) against another dataset's."""
    from types import SimpleNamespace

    from rlkit.experiment import MetaTrainer

    (tmp_path / "dataset.json").write_text(json.dumps({"digest": "the failed start's data", "data_dir": "old"}))
    fake = SimpleNamespace(
        setup=SimpleNamespace(out_dir=tmp_path, data_print={"digest": "this run's data"}),
        cfg=SimpleNamespace(algo_params=SimpleNamespace(data_dir="new")),
    )
    MetaTrainer._record_data(fake, None, resumed=False)
    assert json.loads((tmp_path / "dataset.json").read_text()) == {"digest": "this run's data", "data_dir": "new"}
    fake.setup.data_print = {"digest": "other"}  # a resume keeps what the run was trained on (compared before)
    MetaTrainer._record_data(fake, None, resumed=True)
    assert json.loads((tmp_path / "dataset.json").read_text())["digest"] == "this run's data"


def test_a_save_that_fails_midway_keeps_the_previous_latest_pt(tmp_path, monkeypatch):
    """latest.pt is written atomically; a full disk (or a kill) in the middle of torch.save leaves the previous state to
    resume from, not a truncated latest.pt that makes the whole run unresumable."""
    import errno
    from types import SimpleNamespace

    from rlkit.config import Config
    from rlkit.experiment import MetaTrainer

    def failing_save(obj, f):
        if isinstance(f, (str, os.PathLike)):
            with open(f, "wb") as fh:
                fh.write(b"part of a state")
        else:
            f.write(b"part of a state")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    latest = tmp_path / "latest.pt"
    latest.write_bytes(b"the previous state")
    monkeypatch.setattr(torch, "save", failing_save)
    fake = SimpleNamespace(
        _state=lambda: {"x": 1}, setup=SimpleNamespace(out_dir=tmp_path), cfg=Config(), counters={"iteration": 3}
    )
    with pytest.raises(OSError):
        MetaTrainer.save(fake)
    assert latest.read_bytes() == b"the previous state"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.pt"]


def _fake_trainer(tmp_path, num_iterations: int, resume_at: int):
    """A MetaTrainer without networks or data: `_train`'s loop alone, resuming at `resume_at` iterations."""
    from types import SimpleNamespace

    from rlkit.experiment import MetaTrainer

    t = object.__new__(MetaTrainer)
    t.cfg = SimpleNamespace(algo_params=SimpleNamespace(num_iterations=num_iterations, allow_eval=True))
    t.setup = SimpleNamespace(out_dir=tmp_path)
    t.counters = {"iteration": 0}
    t.borel = None
    calls = {"saved": [], "code": []}

    def try_resume(logger, restore_snapshots):
        t.counters["iteration"] = resume_at
        return resume_at > 0

    def iteration(logger):
        t.counters["iteration"] += 1
        return {"Epoch": float(t.counters["iteration"] - 1)}

    t.try_resume, t.iteration, t.summary = try_resume, iteration, lambda row: "summary"
    t._record_data = lambda logger, resumed: None
    t._record_code = lambda logger, resumed: calls["code"].append(t.counters["iteration"])
    t.save = lambda: calls["saved"].append(t.counters["iteration"])
    logger = SimpleNamespace(
        write_variant=lambda v: None,
        info=lambda m: None,
        record=lambda row, unmeasured=(): None,
        cut_rows=lambda: None,
        write_purges=lambda: None,
    )
    return t, logger, calls


def test_a_segment_of_max_iterations_continues_from_where_the_run_stands(tmp_path, capsys):
    """A cluster worker runs `run(max_iterations=1)` per segment: each segment trains one iteration more from the
    resumed one (3 after 2 done), not up to iteration 1 (nothing once the first segment is done, so the chain never
    ends)."""
    t, logger, calls = _fake_trainer(tmp_path, num_iterations=5, resume_at=2)
    t._train(logger, {}, 1, False)
    assert calls["saved"] == [3]
    t, logger, calls = _fake_trainer(tmp_path, num_iterations=5, resume_at=4)
    t._train(logger, {}, 3, False)
    assert calls["saved"] == [5]  # never past num_iterations


def test_a_finished_run_that_is_rerun_records_no_code(tmp_path, capsys):
    """Rerunning a finished run trains nothing, so code.json gains no entry (one would claim that the code of the rerun
    trained it from its last iteration on); an unfinished one records the code that continues it."""
    t, logger, calls = _fake_trainer(tmp_path, num_iterations=5, resume_at=5)
    t._train(logger, {}, None, False)
    assert calls == {"saved": [], "code": []} and "already complete" in capsys.readouterr().out
    t, logger, calls = _fake_trainer(tmp_path, num_iterations=5, resume_at=4)
    t._train(logger, {}, None, False)
    assert calls == {"saved": [5], "code": [4]}


def test_snapshots_are_due_every_snapshot_gap_epochs_from_epoch_0_and_at_the_last_iteration(tmp_path):
    """With snapshot_gap 5 and 12 iterations, snapshots/itr_N.pt (N the progress row's Epoch) are written at Epochs 0,
    5, 10 (the reference's numbering, which show_path's --itr and reproduce name) and at the last, 11: the trained
    policy the run ends with. The suite's configs use snapshot_gap 1, where every iteration is due and neither slip this
    test catches shows: snapshots due by the iteration count rather than the Epoch, or the last one due one iteration
    late."""
    from rlkit.config import load_config
    from rlkit.run_folder import snapshot_due

    cfg = load_config(None, {"algo_params": {"snapshot_gap": 5, "num_iterations": 12}})
    due = {it: snapshot_due(tmp_path, cfg, it) for it in range(0, 13)}
    assert {it: p.name for it, p in due.items() if p is not None} == {
        1: "itr_0.pt",
        6: "itr_5.pt",
        11: "itr_10.pt",
        12: "itr_11.pt",
    }
    assert due[12] == tmp_path / "snapshots" / "itr_11.pt"


def _one_code(monkeypatch):
    """rlkit.run_folder with the code's record fixed (torch 2.13.0, revision abc): entries of code.json then differ
    only in what a test gives `record_code`."""
    import rlkit.run_folder as rf

    monkeypatch.setattr(rf, "running_versions", lambda: {"torch": "2.13.0"})
    monkeypatch.setattr(rf, "source_revision", lambda: "abc")
    return rf


def test_a_runs_debug_log_names_the_code_and_code_json_the_vae_step_it_resumed_at(tmp_path, monkeypatch):
    """`MetaTrainer._record_code`: debug.log's line names the revision and the versions (a checkout git cannot name
    is said to be unknown, not "None"); a BOREL run resumed inside its VAE stage records that step as where the code
    took over, one resumed past it (or started anew) no stage."""
    import json
    from types import SimpleNamespace

    import torch

    from rlkit.experiment import MetaTrainer

    rf = _one_code(monkeypatch)
    t, lines = object.__new__(MetaTrainer), []
    t.setup, t.counters = SimpleNamespace(out_dir=tmp_path, device=torch.device("cpu")), {"iteration": 0}
    t.capture, t.fused, t.borel = False, False, SimpleNamespace(vae_steps=15)
    t.trainer = SimpleNamespace(agent=SimpleNamespace(encoder=SimpleNamespace(steps=torch.tensor(10))))
    logger = SimpleNamespace(info=lines.append)
    t._record_code(logger, resumed=False)  # (started anew at VAE step 10: no stage)
    monkeypatch.setattr(rf, "running_versions", lambda: {"torch": "2.14.0"})
    t._record_code(logger, resumed=True)
    assert lines == [f"code abc, versions {json.dumps({'torch': v})}" for v in ("2.13.0", "2.14.0")]
    monkeypatch.setattr(rf, "source_revision", lambda: None)
    t.trainer.agent.encoder.steps, t.counters["iteration"] = torch.tensor(15), 2
    t._record_code(logger, resumed=True)
    assert lines[-1] == 'code unknown (not a git checkout, or git could not say), versions {"torch": "2.14.0"}'
    entries = [(e["from_iteration"], e["revision"], e.get("from_stage")) for e in rf.read_code_record(tmp_path)]
    assert entries == [(0, "abc", None), (0, "abc", "VAE step 10"), (2, None, None)]
    assert {e["device"] for e in rf.read_code_record(tmp_path)} == {"cpu, capture off"}


def test_code_json_records_a_return_to_an_earlier_device(tmp_path, monkeypatch):
    """A resume is compared with the *last* entry of code.json: a run trained on the CPU, resumed on a GPU, then resumed
    on the CPU again lists three entries (the last resume on the CPU is not folded into the first entry, which left the
    GPU named for every iteration after 3), and a second resume on the CPU adds nothing."""
    rf = _one_code(monkeypatch)
    rf.record_code(tmp_path, 0, "cpu, eager", resumed=False)
    rf.record_code(tmp_path, 3, "cuda:0 (H100), captured", resumed=True)
    rf.record_code(tmp_path, 6, "cpu, eager", resumed=True)
    rf.record_code(tmp_path, 8, "cpu, eager", resumed=True)
    assert [(e["from_iteration"], e["device"]) for e in rf.read_code_record(tmp_path)] == [
        (0, "cpu, eager"),
        (3, "cuda:0 (H100), captured"),
        (6, "cpu, eager"),
    ]


def test_code_json_records_the_thread_count_and_cpu_capability_and_a_resume_on_others(tmp_path, monkeypatch):
    """Float32 sums split otherwise on another thread count or vector width, so a run's numbers repeat only on the
    same: each entry of code.json records torch's threads and ATen's CPU capability, and a resume on another
    thread count adds an entry (on the same, nothing)."""
    rf = _one_code(monkeypatch)
    cpu = torch.backends.cpu.get_cpu_capability()
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        rf.record_code(tmp_path, 0, "cpu, eager", resumed=False)
        rf.record_code(tmp_path, 2, "cpu, eager", resumed=True)
        torch.set_num_threads(2)
        rf.record_code(tmp_path, 4, "cpu, eager", resumed=True)
    finally:
        torch.set_num_threads(before)
    entries = rf.read_code_record(tmp_path)
    assert [(e["from_iteration"], e["threads"], e["cpu"]) for e in entries] == [(0, 1, cpu), (4, 2, cpu)]
    # an entry written before the two were recorded: a resume on the same code and device adds nothing
    old = {k: v for k, v in entries[0].items() if k not in ("threads", "cpu")}
    (tmp_path / rf.CODE_FILE).write_text(json.dumps({"trained_with": [old]}))
    rf.record_code(tmp_path, 6, "cpu, eager", resumed=True)
    assert rf.read_code_record(tmp_path) == [old]
    rf.record_code(tmp_path, 8, "cuda:0, captured", resumed=True)  # (another device still adds one)
    assert [e["from_iteration"] for e in rf.read_code_record(tmp_path)] == [0, 8]


def test_a_switch_without_default_left_unset_stays_undecided_for_the_process():
    """A switch without a default (CUDA-graph capture) that the environment left unset is decided at first use like any
    other: 'unset', the caller's choice per device, for the whole process. It guards against re-reading the environment
    at every use while unset, under which a variable set later (for a child process) turned capture on or off halfway
    through this process's runs."""
    from rlkit.switch import _ALL, Switch

    name = "CSRO_TEST_SWITCH_NO_DEFAULT"
    os.environ.pop(name, None)
    switch = Switch(name, None, on="on", off="off", unset="the caller decides")
    try:
        assert switch() is None
        os.environ[name] = "1"
        assert switch() is None  # decided at first use: unset
        switch.set(None)
        assert switch() is True  # back to the environment, as it is now
    finally:
        os.environ.pop(name, None)
        _ALL.remove(switch)


def test_a_lock_taken_by_another_process_meanwhile_is_not_released_by_the_first(tmp_path):
    """The release removes `.lock` only if it still holds what this holder wrote. The busy message tells the user to
    remove a lock they believe stale; if a second process then takes the folder, the first one's exit must leave the
    second's lock alone, or a third process writes the run folder beside the second."""

    lock = tmp_path / ".lock"
    other = f"{os.getpid() + 1} {socket.gethostname()} another-process"
    with FolderLock(tmp_path, "busy {pid}"):
        lock.unlink()  # the user removed it, believing its process gone
        lock.write_text(other)  # and a second process took the folder
    assert lock.is_file() and lock.read_text() == other


def test_taking_a_lock_leaves_other_contenders_half_taken_lock_files(tmp_path):
    """The new holder removes the temporary files killed writers left in its folder, but not another contender's
    `.lock.PID.X.tmp`, which that contender is about to hard-link as `.lock` (removed, its link fails with a
    FileNotFoundError traceback instead of the one-line "busy" message), nor a write under way: a temporary file
    touched within `UNFINISHED_WRITE_AGE_S` (show_path.py writes its figures into a run folder without the lock, and
    its rename failed with a FileNotFoundError traceback when a run took the folder's lock in the meantime)."""
    from rlkit.fileio import UNFINISHED_WRITE_AGE_S

    contender = tmp_path / f".lock.{os.getpid() + 1}.ab12cd34.tmp"
    contender.write_text("contender")
    contender_then = time.time() - 2 * UNFINISHED_WRITE_AGE_S
    os.utime(contender, (contender_then, contender_then))
    unfinished = tmp_path / ".progress.csv.x1y2.tmp"  # an atomic write a killed run left: removed
    unfinished.write_text("half")
    written = tmp_path / "figs" / ".paths.png.a1b2.tmp"  # a write under way, by a process without the lock: kept
    written.parent.mkdir()
    written.write_text("being written")
    then = time.time() - UNFINISHED_WRITE_AGE_S - 5
    os.utime(unfinished, (then, then))
    with FolderLock(tmp_path, "busy {pid}"):
        assert contender.is_file() and contender.read_text() == "contender"
        assert not unfinished.exists() and written.read_text() == "being written"


def test_create_once_syncs_the_folder_after_linking_the_file(tmp_path, monkeypatch):
    """`create_once` makes the file by a hard link; like an atomic write's rename, the new name survives a crash only
    once the folder is synced after it. Without that, a dataset's settings.json that the call said it created can vanish
    at a power cut while the data written after it stays."""
    import rlkit.fileio as fileio

    events, real_link, real_sync = [], os.link, fileio.fsync_folder
    monkeypatch.setattr(fileio.os, "link", lambda a, b: events.append(("link", str(b))) or real_link(a, b))
    monkeypatch.setattr(fileio, "fsync_folder", lambda f: events.append(("sync", str(f))) or real_sync(f))
    path = tmp_path / "settings.json"
    assert fileio.create_once(path, "{}")
    link = events.index(("link", str(path)))
    assert ("sync", str(tmp_path)) in events[link + 1 :], events


@pytest.mark.parametrize("code", ["EPERM", "ENOSYS", "EOPNOTSUPP"])
def test_a_file_system_without_hard_links_is_one_line_naming_the_folder_and_leaves_nothing(tmp_path, monkeypatch, code):
    """A run's lock and a dataset's settings record are made by a hard link. Where link(2) fails as vfat/exFAT
    (EPERM) or a FUSE mount without links (ENOSYS, EOPNOTSUPP) make it fail, the error is one line naming the
    folder and the file system, not "expected a path this user may write" about a temporary file already removed,
    nor a traceback; no temporary file and no folder made for the lock stays. Another failure stays an OSError."""
    import errno

    import rlkit.fileio as fileio

    def refused(source, path):
        raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)), str(source), None, str(path))

    monkeypatch.setattr(fileio.os, "link", refused)
    run = tmp_path / "output" / "seed0"
    with pytest.raises(UserError, match=rf"^'{run}' is on a file system without hard links \(") as e:
        with FolderLock(run, "busy {pid}"):
            pytest.fail("the lock was taken")
    assert "expected a folder on a file system with hard links" in str(e.value)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UserError, match=rf"^'{tmp_path}' is on a file system without hard links"):
        fileio.create_once(tmp_path / "settings.json", "{}")
    assert list(tmp_path.iterdir()) == []

    def broken(source, path):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(fileio.os, "link", broken)
    with pytest.raises(OSError, match="Input/output error") as e:
        fileio.create_once(tmp_path / "settings.json", "{}")
    assert not isinstance(e.value, UserError) and list(tmp_path.iterdir()) == []


def test_a_csv_whose_header_names_a_column_twice_is_refused(tmp_path):
    """A progress.csv naming a column twice (two versions' columns appended together) is a one-line error: read as a
    table, pandas gives two columns under that name, and the report would average the wrong one or fail with a
    traceback."""
    from rlkit.fileio import read_csv_table

    path = tmp_path / "progress.csv"
    path.write_text("Epoch,a,b,a\n0,1,2,3\n")
    with pytest.raises(UserError, match=r"names the column 'a' twice in its header"):
        read_csv_table(path, "a progress.csv")
    path.write_text("Epoch,a,b\n0,1,2\n")  # the same table without the repeat is read
    assert read_csv_table(path, "a progress.csv")["b"].tolist() == [2.0]


def test_a_lock_naming_pid_0_is_held_by_no_process(tmp_path):
    """pid 0 is no process (os.kill(0, 0) signals the caller's own process group and succeeds), so a lock file naming it
    (a damaged or hand-edited one) is held by nobody: reported as free and taken over, not refusing the run folder
    forever."""
    from rlkit.fileio import FolderLock, lock_holder, process_alive

    assert not process_alive(0)
    (tmp_path / ".lock").write_text(f"0 {socket.gethostname()}")
    assert lock_holder(tmp_path) is None
    with FolderLock(tmp_path, "busy {pid}"):
        assert (tmp_path / ".lock").read_text().split()[0] == str(os.getpid())


# ---- run_folder.py ----------------------------------------------------------------------------------
def test_a_run_resumes_from_a_copy_of_its_config_file_elsewhere(tmp_path):
    """util_params.config_file records the path the config was read from (`load_config` sets it); the same config read
    from a copy at another path (the repository moved, a relative path from another folder) computes the same run, so
    the run resumes rather than being refused as another config."""
    import shutil

    from rlkit.config import load_config
    from rlkit.run_folder import config_differences
    from tests.conftest import TINY_CONFIG

    copy = tmp_path / "moved" / "tiny.json"
    copy.parent.mkdir()
    shutil.copyfile(TINY_CONFIG, copy)
    old, new = load_config(TINY_CONFIG).to_dict(), load_config(copy).to_dict()
    assert old["util_params"]["config_file"] != new["util_params"]["config_file"]
    assert config_differences(old, new) == []


def test_a_runs_data_fingerprint_covers_the_test_tasks_at_the_eval_epoch_checkpoints(monkeypatch):
    """dataset.json fingerprints what the run reads: the train tasks' checkpoints of `train_epoch` and the test tasks'
    of `eval_epoch` (`load_data` reads the test tasks there), so other data at the test tasks' eval checkpoints refuses
    a resume; fingerprinting the test tasks at `train_epoch` missed it."""
    import rlkit.run_folder as rf
    from rlkit.config import load_config
    from rlkit.tasks import train_eval_split
    from tests.conftest import TINY_CONFIG

    read = {}
    monkeypatch.setattr(rf, "dataset_fingerprint", lambda data_dir, steps, reads: read.update(steps) or {"digest": ""})
    cfg = load_config(TINY_CONFIG, {"algo_params": {"train_epoch": [100, 200, 100], "eval_epoch": [200, 300, 100]}})
    rf.run_data_print(cfg)
    train, test = train_eval_split(cfg)
    assert train and test
    assert {t: list(read[t]) for t in train} == {t: [100] for t in train}
    assert {t: list(read[t]) for t in test} == {t: [200] for t in test}


def test_a_resume_in_the_same_stage_step_on_the_same_code_adds_no_code_entry(tmp_path, monkeypatch):
    """Where a resume happens (`from_stage`, BOREL's "VAE step 1200"), like the iteration, is not what trained it: a run
    resumed twice in its VAE stage on the same code and device keeps one entry."""
    rf = _one_code(monkeypatch)
    rf.record_code(tmp_path, 0, "cpu, eager", resumed=False, stage="VAE step 0")
    rf.record_code(tmp_path, 0, "cpu, eager", resumed=True, stage="VAE step 1200")
    rf.record_code(tmp_path, 3, "cpu, eager", resumed=True)
    assert [(e["from_iteration"], e.get("from_stage")) for e in rf.read_code_record(tmp_path)] == [(0, "VAE step 0")]


def test_a_state_saved_by_a_newer_seeding_version_is_not_resumed(tmp_path):
    """A state whose streams were derived another way is refused whichever way the versions differ: one saved by a newer
    version (a checkout gone back) is a run of neither derivation as much as an older one."""
    from rlkit.run_folder import check_seeding
    from rlkit.seeding import SEEDING_VERSION

    check_seeding({"seeding": SEEDING_VERSION}, tmp_path / "latest.pt")
    for version in (SEEDING_VERSION - 1, SEEDING_VERSION + 1):
        with pytest.raises(UserError, match=rf"seeding version {version}, this code's {SEEDING_VERSION}"):
            check_seeding({"seeding": version}, tmp_path / "latest.pt")


def test_a_folder_of_snapshots_without_latest_pt_names_its_last_three(tmp_path):
    """The refusal of a folder of trained iterations without latest.pt names its last three snapshots in iteration order
    (where it stands), not its first three."""
    from rlkit.run_folder import iterations_done

    (tmp_path / "snapshots").mkdir()
    for n in (0, 1, 2, 5, 10):
        (tmp_path / "snapshots" / f"itr_{n}.pt").write_bytes(b"a state")
    with pytest.raises(UserError, match=r"holds trained iterations \(itr_2.pt, itr_5.pt, itr_10.pt\) but no latest"):
        iterations_done(tmp_path, {}, 20, "the hint")


def test_a_variant_without_algo_type_is_read_as_a_csro_run():
    """A variant.json that predates algo_type holds a CSRO run (the default): it resumes as one, its keys compared as
    CSRO's (use_information_bottleneck false means null outside OFFPEARL), not as another method's."""
    from rlkit.config import load_config
    from rlkit.run_folder import config_differences

    new = load_config(None).to_dict()
    assert new["algo_type"] == "CSRO"
    old = json.loads(json.dumps(new))
    del old["algo_type"]
    old["algo_params"]["use_information_bottleneck"] = False  # as variants of that time recorded it
    assert config_differences(old, new) == []


def test_a_corro_run_written_before_corro_negatives_existed_resumes():
    """A CORRO variant.json without corro_negatives (written before the key) made the negatives its env's 'auto' kind
    gives, which a variant now records ("reward" on point-robot): it resumes, not refused as another config."""
    from rlkit.config import load_config
    from rlkit.run_folder import config_differences

    new = load_config(None, {"algo_type": "CORRO"}).to_dict()
    assert new["algo_params"]["corro_negatives"] == "reward"
    old = json.loads(json.dumps(new))
    del old["algo_params"]["corro_negatives"]
    assert config_differences(old, new) == []


def test_a_dataset_json_whose_digest_is_not_a_string_is_one_line(tmp_path):
    """dataset.json's digest must be a string; a damaged file holding a number (or a list) is a one-line UserError
    naming the file, not a digest compared as if it were one."""
    from rlkit.run_folder import read_data_print

    path = tmp_path / "dataset.json"
    path.write_text(json.dumps({"digest": "abc", "data_dir": "d"}))
    assert read_data_print(path)["digest"] == "abc"
    for bad in (5, ["abc"]):
        path.write_text(json.dumps({"digest": bad}))
        with pytest.raises(UserError, match=r"dataset.json' holds no data digest: expected .*; the hint$"):
            read_data_print(path, "the hint")
    # its tasks, which a resume on other data compares task by task, are an object of task numbers: a list, or keys
    # of other names, was an AttributeError or ValueError traceback there
    for bad, said in (([1, 2], "list"), ({"0": "d0", "x": "dx"}, r"\['0', 'x'\]")):
        path.write_text(json.dumps({"digest": "abc", "tasks": bad}))
        with pytest.raises(UserError, match=rf"dataset.json' holds tasks {said}: expected an object of task numbers"):
            read_data_print(path, "the hint")


def test_a_code_json_whose_last_entry_is_damaged_gets_a_new_entry(tmp_path, monkeypatch):
    """A code.json whose last "trained_with" entry is not an object (a damaged or hand-edited file) is not compared
    with: the resume records its code as a new entry instead of failing with an AttributeError."""
    rf = _one_code(monkeypatch)
    (tmp_path / "code.json").write_text(json.dumps({"trained_with": ["damaged"]}))
    rf.record_code(tmp_path, 4, "cpu, eager", resumed=True)
    assert [e["from_iteration"] for e in rf.read_code_record(tmp_path)] == [4]


def test_code_json_is_replaced_whole_so_an_open_reader_sees_the_old_file(tmp_path, monkeypatch):
    """code.json is written atomically (a new file renamed over the old), like progress.csv: a kill mid-write leaves the
    previous record, not a cut file that every later resume refuses as damaged JSON."""
    rf = _one_code(monkeypatch)
    rf.record_code(tmp_path, 0, "cpu, eager", resumed=False)
    path = tmp_path / "code.json"
    before = path.read_text()
    with open(path) as reader:
        rf.record_code(tmp_path, 3, "cuda:0 (H100), eager", resumed=True)
        assert reader.read() == before
    assert len(rf.read_code_record(tmp_path)) == 2


def test_read_code_record_lists_only_the_entries_that_are_objects(tmp_path):
    """`read_code_record` (what the report and show_path read) gives the "trained_with" entries that are objects,
    leaving out damaged ones, so that its readers' `entry["device"]` never meets a string."""
    from rlkit.run_folder import read_code_record

    (tmp_path / "code.json").write_text(json.dumps({"trained_with": ["damaged", {"from_iteration": 0}, 3]}))
    assert read_code_record(tmp_path) == [{"from_iteration": 0}]


def test_a_state_without_a_seeding_record_is_of_version_1_and_not_resumed(tmp_path):
    """A saved state without the "seeding" record predates it (version 1, another derivation of the streams) and is
    refused, not taken for one of this code's version."""
    from rlkit.run_folder import check_seeding
    from rlkit.seeding import SEEDING_VERSION

    assert SEEDING_VERSION != 1
    with pytest.raises(UserError, match=rf"seeding version 1, this code's {SEEDING_VERSION}"):
        check_seeding({"counters": {"iteration": 2}}, tmp_path / "latest.pt")


def test_a_latest_pt_that_is_a_folder_is_refused_not_replaced(tmp_path):
    """A folder named latest.pt in a run folder (a bad copy, an unpacked archive) is one line naming it, before anything
    trains; taken for "no latest.pt", a new run replaced the folder's run and failed only at its first save, renaming
    its state over the folder."""
    from rlkit.run_folder import iterations_done

    (tmp_path / "latest.pt").mkdir()
    with pytest.raises(UserError, match=r"latest.pt' is not a file: expected the state the run saved, or nothing"):
        iterations_done(tmp_path, {}, 5, "the hint")


def test_a_latest_pt_without_variant_json_is_refused_saying_so(tmp_path):
    """A run folder holding latest.pt without the variant.json that says its config (a partial copy) is refused naming
    both, before the variant is read; with the check skipped, the refusal was variant.json's own (a missing file), which
    hides that a state is there to resume."""
    from rlkit.run_folder import iterations_done

    (tmp_path / "latest.pt").write_bytes(b"a state")
    with pytest.raises(UserError, match=r"holds latest.pt but no variant.json, so its config cannot be checked: "):
        iterations_done(tmp_path, {}, 5, "the hint")


def test_a_run_without_meta_test_writes_its_rows_and_one_with_it_refuses_a_nan_return(tmp_path, capsys):
    """Only a run without a meta-test lets the meta-test's columns through as unmeasured. With allow_eval false the
    meta-test does not run and its columns are NaN: the run must write its rows (each iteration's summary line, the
    trainer's own `summary`, says "no meta-test" instead of nan returns); with the columns let through in the wrong runs
    (`meta_test_columns(row) if allow_eval else ()`) its first row is refused as not finite and every allow_eval-false
    run dies after its first iteration. With allow_eval true a NaN return is a fault that must stop the run, not a row
    of NaN returns. (tests/test_run_folder.py, with its `_fake_trainer`.)"""
    from rlkit.errors import DivergedError
    from rlkit.experiment import MetaTrainer
    from rlkit.logging import RETURN_COLUMNS
    from tests.test_logging import make_row

    def train_rows_without_meta_test(folder, allow_eval, saved):
        """Two iterations whose rows hold NaN returns, as a run without a meta-test writes them; `saved` gets the
        iterations whose state was saved."""
        folder.mkdir(exist_ok=True)
        t, _, calls = _fake_trainer(folder, num_iterations=2, resume_at=0)
        calls["saved"] = saved
        t.cfg.algo_params.allow_eval = allow_eval
        t.summary = MetaTrainer.summary
        t.iteration = lambda logger: (
            t.counters.__setitem__("iteration", t.counters["iteration"] + 1),
            {
                k: (math.nan if k in RETURN_COLUMNS.values() else v)
                for k, v in make_row(t.counters["iteration"]).items()
            },
        )[1]
        logger = RunLogger(folder)
        try:
            t._train(logger, {}, None, False)
        finally:
            logger.close()

    saved = []
    train_rows_without_meta_test(tmp_path, False, saved)
    assert saved == [1, 2]
    df = pd.read_csv(tmp_path / "progress.csv")
    assert len(df) == 2 and df[RETURN_COLUMNS["offline"]].isna().all()
    summaries = [line for line in capsys.readouterr().out.splitlines() if line.startswith("itr ")]
    assert [line.split("  | ")[0] for line in summaries] == [
        "itr 0: no meta-test (allow_eval false)",
        "itr 1: no meta-test (allow_eval false)",
    ]
    saved = []
    with pytest.raises(DivergedError, match=r"non-finite progress values in \['Average_OfflineReturn"):
        train_rows_without_meta_test(tmp_path / "with_meta_test", True, saved)
    assert saved == []


def test_a_new_borel_run_records_no_vae_stage_in_its_code_record(tmp_path, monkeypatch):
    """code.json's "resumed inside the VAE stage" mark goes only to a run that resumed (`resumed and`). A BOREL run
    started anew is at VAE step 0: its code.json entry must say no stage (it trains everything from the start), and a
    resumed one is still marked. With `resumed and` dropped the new run's entry says "VAE step 0" as if it had resumed
    there. (tests/test_run_folder.py, beside the code-record tests.)"""
    from types import SimpleNamespace

    from rlkit.experiment import MetaTrainer
    from rlkit.run_folder import CODE_FILE

    t = object.__new__(MetaTrainer)
    t.borel = SimpleNamespace(vae_steps=10)
    t.trainer = SimpleNamespace(agent=SimpleNamespace(encoder=SimpleNamespace(steps=torch.tensor(0))))
    t.setup = SimpleNamespace(out_dir=tmp_path, device=torch.device("cpu"))
    t.capture, t.fused, t.counters = False, False, {"iteration": 0}
    logger = SimpleNamespace(info=lambda m: None)
    t._record_code(logger, resumed=False)
    first = json.loads((tmp_path / CODE_FILE).read_text())["trained_with"]
    assert len(first) == 1 and "from_stage" not in first[0]
    t.trainer.agent.encoder.steps = torch.tensor(4)
    monkeypatch.setattr("rlkit.run_folder.source_revision", lambda: "another")  # so that the entry differs
    t._record_code(logger, resumed=True)
    entries = json.loads((tmp_path / CODE_FILE).read_text())["trained_with"]
    assert entries[-1].get("from_stage") == "VAE step 4"


def test_a_segment_run_hands_its_no_snapshot_restoring_to_the_resume(tmp_path, monkeypatch):
    """`run` hands its `restore_snapshots` to the resume rather than always resuming with True. A Ray segment runs
    `run(max_iterations=1, restore_snapshots=False)` in a scratch folder: its resume must neither write snapshots there
    nor purge TensorBoard (the driver restores them, and its event files are read beside the earlier segments' in name
    order); always resuming with True, every segment restores and purges in its scratch. (tests/test_run_folder.py, with
    its `_fake_trainer`.)"""
    from types import SimpleNamespace

    t, _, calls = _fake_trainer(tmp_path, num_iterations=5, resume_at=2)
    asked = []
    resume = t.try_resume
    t.try_resume = lambda logger, restore_snapshots: (
        asked.append(restore_snapshots) or resume(logger, restore_snapshots)
    )
    t.setup = SimpleNamespace(
        out_dir=tmp_path,
        cfg=SimpleNamespace(to_dict=lambda: {}),
        seed=0,
        device=torch.device("cpu"),
        train_tasks=[0],
        train_buffer=[],
        test_tasks=[1],
        eval_buffer=[],
    )
    t._check_resumable = lambda variant: None
    t.capture, t.fused = False, False
    t.iteration = lambda logger: (t.counters.__setitem__("iteration", t.counters["iteration"] + 1), None)[1]
    import rlkit.experiment as experiment

    class Logger(experiment.RunLogger):  # the stand-in iterations' rows are not recorded
        def record(self, row, unmeasured=()):
            pass

    monkeypatch.setattr(experiment, "RunLogger", Logger)
    t.run(max_iterations=1, restore_snapshots=False)
    t.run(max_iterations=1)
    assert asked == [False, True]
    assert calls["saved"] == [3, 3]


def test_an_atomic_write_syncs_every_byte_written_not_only_what_left_the_buffer(tmp_path, monkeypatch):
    """atomic_write flushes Python's buffer before the fsync, so the fsync covers the whole file. Without the flush a
    small file (held in the buffer until close) is synced empty, and a crash after the rename can leave an empty file
    under the name."""
    import rlkit.fileio as fileio

    sizes, real_fsync = [], os.fsync

    def fsync(fd):
        st = os.fstat(fd)
        if not stat.S_ISDIR(st.st_mode):
            sizes.append(st.st_size)
        real_fsync(fd)

    monkeypatch.setattr(fileio.os, "fsync", fsync)
    fileio.atomic_write(tmp_path / "x.bin", lambda f: f.write(b"twelve bytes"))
    assert sizes == [12] and (tmp_path / "x.bin").read_bytes() == b"twelve bytes"


def test_a_folder_removed_four_times_under_a_write_is_the_file_not_found_error_after_four_tries(tmp_path, monkeypatch):
    """_temporary_beside makes the folder again when another process removed it before the temporary file was made, four
    times, and raises the fourth FileNotFoundError (not a bad-descriptor error from a file descriptor of -1, which names
    no path)."""
    import rlkit.fileio as fileio

    tries = []

    def mkstemp(**kwargs):
        tries.append(kwargs["dir"])
        raise FileNotFoundError(2, "No such file or directory", str(kwargs["dir"]))

    monkeypatch.setattr(fileio.tempfile, "mkstemp", mkstemp)
    with pytest.raises(fileio.CannotCreate) as raised:
        fileio.atomic_write(tmp_path / "sub" / "x.bin", lambda f: f.write(b"x"))
    assert tries == [tmp_path / "sub"] * 4
    assert raised.value.filename == str(tmp_path / "sub" / "x.bin")  # (the file asked for, not the temporary's name)


def test_a_folder_removed_under_its_making_is_made_again_and_one_never_made_is_cannot_create(tmp_path, monkeypatch):
    """make_folder tries `mkdir -p` again when it meets ENOENT (another process removed an emptied parent between the
    parents' making and the folder's): a second try that succeeds is a success; four failures are a CannotCreate (a
    FileNotFoundError, for callers that catch that) naming the folder asked for."""
    import rlkit.fileio as fileio

    real_mkdir, failures = Path.mkdir, []

    def mkdir_failing(times):
        def mkdir(self, *args, **kwargs):  # (the calls of make_folder's own tries, not pathlib's for the parents)
            if kwargs.get("parents") and len(failures) < times:
                failures.append(self)
                raise FileNotFoundError(2, "No such file or directory", str(self))
            return real_mkdir(self, *args, **kwargs)

        return mkdir

    monkeypatch.setattr(Path, "mkdir", mkdir_failing(1))
    fileio.make_folder(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir() and failures == [tmp_path / "a" / "b"]
    failures.clear()
    monkeypatch.setattr(Path, "mkdir", mkdir_failing(4))
    with pytest.raises(fileio.CannotCreate) as raised:
        fileio.make_folder(tmp_path / "c")
    assert failures == [tmp_path / "c"] * 4 and raised.value.filename == str(tmp_path / "c")
    assert isinstance(raised.value, FileNotFoundError) and not (tmp_path / "c").exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc here")
@pytest.mark.parametrize("target", ["folder", "file"])
def test_a_write_under_proc_is_one_line_naming_the_path_not_a_traceback(target, capsys):
    """/proc makes no file or folder (ENOENT, even for root, whose writes elsewhere no permission stops): the writers
    raise CannotCreate, which a command prints as one line naming the path asked for, exit 2. A file genuinely
    missing (a read) stays an error of its own: CannotCreate is raised only where something was being made."""
    from rlkit.cli import run_cli as run_command
    from rlkit.fileio import FolderLock, atomic_write_text

    path = "/proc/csro-test-write" + ("/run" if target == "folder" else ".txt")

    def write():
        if target == "folder":
            with FolderLock(path, "busy"):
                pass
        else:
            atomic_write_text(path, "x")

    with pytest.raises(SystemExit) as exit_:
        run_command(write)
    asked = path + "/.lock" if target == "folder" else path
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        f"error: {asked!r}: cannot be made there (No such file or directory): expected a folder where files can be "
        "made (not under /proc, /sys or a similar system folder)\n"
    )
    with pytest.raises(FileNotFoundError):
        run_command(lambda: Path("/proc/csro-test-missing.txt").read_text())


def test_error_chain_walks_past_a_raise_from_none_unless_told_not_to():
    """error_chain(e) follows the hidden context of `raise ... from None` by default (an interrupt or a refused write
    inside a writer that re-raised its own error `from None` is still found); only `suppressed=False` (out_of_memory's)
    stops there."""
    try:
        try:
            raise OSError(28, "No space left on device")
        except OSError:
            raise RuntimeError("writer failed") from None
    except RuntimeError as e:
        outer = e
    inner = outer.__context__
    assert isinstance(inner, OSError)
    assert list(error_chain(outer)) == [outer, inner]
    assert list(error_chain(outer, suppressed=False)) == [outer]


def test_a_lock_of_another_host_without_an_identity_is_refused_though_its_pid_is_free_here(tmp_path):
    """FolderLock checks a lock's pid on this host only when the lock is this host's. A lock written on another host (a
    shared file system) without a process identity (an older lock file, or a system without /proc) names a process that
    cannot be seen from here: refused, not taken over because that pid is free here."""
    (tmp_path / ".lock").write_text(f"{_dead_pid()} another-host")
    with pytest.raises(UserError, match=r"on host another-host .*remove .*\.lock' if that process is gone\)$"):
        with FolderLock(tmp_path, "{folder} is in use by pid {pid}"):
            pass
    assert (tmp_path / ".lock").read_text().endswith(" another-host")


def test_a_lock_file_holding_only_a_pid_is_this_hosts(tmp_path):
    """A lock written before the host was recorded (only a pid) is this host's: taken over when that pid is gone, named
    as this host's "pid N" by lock_holder when it runs (not as a process on a host named '')."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".lock").write_text(str(_dead_pid()))
    with FolderLock(tmp_path / "a", "{folder} is in use by pid {pid}"):
        assert (tmp_path / "a" / ".lock").read_text().split()[0] == str(os.getpid())
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / ".lock").write_text(str(os.getpid()))
    assert lock_holder(tmp_path / "b") == f"pid {os.getpid()}"


def test_a_process_identity_holds_its_start_time_which_does_not_change_as_it_runs():
    """process_identity's last part is /proc/PID/stat's field 22 (starttime), which stays the same for the life of the
    process; another field (24, its resident size) changes as it allocates, and a live lock holder would then look like
    a reused pid whose lock may be taken over."""
    before = process_identity(os.getpid())
    if not before:
        pytest.skip("no /proc here")
    fields = Path(f"/proc/{os.getpid()}/stat").read_text().split()  # (this Python's name has no space)
    assert before.split("/")[2] == fields[21]  # field 22, counted from 1
    ballast = bytearray(64 * 2**20)
    ballast[::4096] = b"x" * len(ballast[::4096])  # touched: the resident size grows by 64 MiB
    assert process_identity(os.getpid()) == before
    del ballast


def test_a_process_that_this_user_may_not_signal_is_alive(monkeypatch):
    """process_alive asks with signal 0; "not permitted" (another user's process) means the pid exists, so a lock held
    by another user's live process is refused, not taken over as stale. Only "no such process" is gone."""
    import rlkit.fileio as fileio

    def kill(pid, sig):
        assert sig == 0
        raise PermissionError(1, "Operation not permitted") if pid == 4321 else ProcessLookupError(3, "No such process")

    monkeypatch.setattr(fileio.os, "kill", kill)
    assert fileio.process_alive(4321) is True
    assert fileio.process_alive(4322) is False


def test_lock_holder_names_another_hosts_lock_though_its_pid_is_free_here(tmp_path):
    """lock_holder checks a lock's pid on this host only when the lock is this host's. Another host's lock without a
    process identity names a process that cannot be seen from here: named with the hint to remove it, not reported as no
    holder because that pid is free here."""
    pid = _dead_pid()
    (tmp_path / ".lock").write_text(f"{pid} another-host")
    assert lock_holder(tmp_path) == (
        f"pid {pid} on host another-host, which cannot be checked from here: remove {str(tmp_path / '.lock')!r} if it "
        "is gone"
    )


def test_a_run_started_anew_in_a_folder_begins_its_own_code_record(tmp_path, monkeypatch):
    """`_record_code` hands `record_code` whether the run resumed: a run started anew in a folder (one that held only a
    failed start, no snapshot) begins code.json's list with its own entry; with `resumed` always True it appends to the
    replaced run's list, which then claims that run's code trained this one's first iterations."""
    _one_code(monkeypatch)
    old = {"from_iteration": 0, "revision": "old", "versions": {"torch": "1.0"}, "device": "cuda:0, captured"}
    (tmp_path / CODE_FILE).write_text(json.dumps({"trained_with": [old]}))
    t = object.__new__(MetaTrainer)
    t.borel, t.trainer = None, SimpleNamespace()
    t.setup = SimpleNamespace(out_dir=tmp_path, device=torch.device("cpu"))
    t.capture, t.fused, t.counters = False, False, {"iteration": 0}
    t._record_code(SimpleNamespace(info=lambda m: None), resumed=False)
    entries = json.loads((tmp_path / CODE_FILE).read_text())["trained_with"]
    assert [(e["from_iteration"], e["revision"]) for e in entries] == [(0, "abc")]


def test_a_run_folder_without_a_dataset_record_is_not_fingerprinted(tmp_path, monkeypatch):
    """`recorded_data_print` fingerprints the config's data only where the run folder has a dataset.json to compare it
    with (a sweep's check before training calls it for every run); with the condition dropped every new or pre-record
    run folder hashes the whole dataset (gigabytes for MuJoCo) for nothing, since `iterations_done` compares only where
    the file is."""
    import rlkit.run_folder as rf

    calls = []
    monkeypatch.setattr(rf, "run_data_print", lambda cfg, data_dir=None: calls.append(cfg) or {"digest": "d"})
    cfg = load_config(None, {})
    assert rf.recorded_data_print(tmp_path, cfg) is None and calls == []
    (tmp_path / rf.DATA_PRINT_FILE).write_text('{"digest": "d"}')
    assert rf.recorded_data_print(tmp_path, cfg) == {"digest": "d"} and calls == [cfg]


def test_a_resume_of_another_config_names_each_difference_from_the_folders_value_to_the_new_one(tmp_path):
    """`iterations_done` compares the folder's recorded variant (old) with the run's (new), and the refusal says 'key:
    old -> new'; with the arguments swapped every line reads backwards (the folder's discount shown as the one asked
    for) and a key the folder's variant lacks is read as the new run's default instead."""
    old = load_config(None, {"algo_params": {"discount": 0.9}}).to_dict()
    new = load_config(None, {"algo_params": {"discount": 0.99}}).to_dict()
    (tmp_path / "variant.json").write_text(json.dumps(old))
    torch.save({"counters": {"iteration": 1}, "trainer": {}}, tmp_path / "latest.pt")
    with pytest.raises(UserError, match=r"holds a run of another config \(algo_params\.discount: 0\.9 -> 0\.99\)"):
        iterations_done(tmp_path, new, 5, "the hint")


def test_a_saved_state_whose_iteration_count_is_not_an_int_is_one_line(tmp_path):
    """`read_run_state` takes a state only if counters.iteration is an int; with the check cut to `is not None` a
    damaged or foreign file whose count is text or a float passed, and the resume failed later in a TypeError traceback
    (comparing '3' with num_iterations) or resumed at iteration 3.0 (snapshot names itr_2.0.pt)."""
    for iteration in ("3", 3.0, None):
        torch.save({"counters": {"iteration": iteration}, "trainer": {}}, tmp_path / "latest.pt")
        with pytest.raises(UserError, match=r"is not the state of a run \(no trainer state and counters.iteration"):
            read_run_state(tmp_path / "latest.pt", "the state the run saved")


def test_restore_snapshot_writes_only_a_missing_snapshot_and_leaves_one_that_is_there(tmp_path):
    """`restore_snapshot` copies latest.pt to the snapshot due at its iteration only where that snapshot is missing (a
    kill between the two writes); with the check dropped every resume rewrote the snapshot that is there (megabytes of
    I/O per resume, and a snapshot replaced by whatever latest.pt holds, e.g. after a user copied another file over
    latest.pt)."""
    cfg = load_config(None, {"algo_params": {"num_iterations": 10, "snapshot_gap": 1}})
    (tmp_path / "latest.pt").write_bytes(b"latest")
    restore_snapshot(tmp_path, cfg, 3)
    assert (tmp_path / "snapshots" / "itr_2.pt").read_bytes() == b"latest"
    (tmp_path / "snapshots" / "itr_2.pt").write_bytes(b"the snapshot the run wrote")
    restore_snapshot(tmp_path, cfg, 3)
    assert (tmp_path / "snapshots" / "itr_2.pt").read_bytes() == b"the snapshot the run wrote"


def test_a_finished_runs_last_snapshot_is_restored_when_its_resume_asks_for_more_iterations(tmp_path):
    """A run of 3 iterations (snapshot_gap 5: snapshots itr_0 and its last, itr_2) killed between its last latest.pt
    and that snapshot, then resumed with --num_iterations 6: itr_2.pt was its last snapshot (variant.json records the
    3), so it is restored from latest.pt though the resumed config's schedule has no snapshot at iteration 2; without
    the recorded count it was lost."""
    cfg = load_config(None, {"algo_params": {"num_iterations": 6, "snapshot_gap": 5}})
    (tmp_path / "variant.json").write_text(json.dumps({"algo_params": {"num_iterations": 3, "snapshot_gap": 5}}))
    (tmp_path / "latest.pt").write_bytes(b"latest")
    restore_snapshot(tmp_path, cfg, 3)
    assert (tmp_path / "snapshots" / "itr_2.pt").read_bytes() == b"latest"
    (tmp_path / "variant.json").write_text(json.dumps({"algo_params": {"num_iterations": 6, "snapshot_gap": 5}}))
    (tmp_path / "snapshots" / "itr_2.pt").unlink()
    restore_snapshot(tmp_path, cfg, 3)  # a run of 6 iterations at its third: no snapshot due there
    assert not (tmp_path / "snapshots" / "itr_2.pt").exists()


def test_a_finished_runs_last_snapshot_that_a_kill_left_unwritten_is_restored_before_anything_trains(tmp_path):
    """`restore_missing_snapshot(out_dir, cfg, done)` looks for the snapshot due at latest.pt's `done` iterations
    (itr_{done-1}.pt); looking one iteration early (itr_1.pt, which is there) it never restores the last one, so a
    finished run killed between latest.pt and its last snapshot keeps no snapshot of its trained policy (no run of it
    trains again to write it). Only a slow cluster test ran it."""
    cfg = load_config(None, {"algo_params": {"num_iterations": 3, "snapshot_gap": 1}})
    (tmp_path / "snapshots").mkdir()
    for n in (0, 1):
        (tmp_path / "snapshots" / f"itr_{n}.pt").write_bytes(b"earlier")
    (tmp_path / "latest.pt").write_bytes(b"after 3 iterations")
    restore_missing_snapshot(tmp_path, cfg, 3)
    last = tmp_path / "snapshots" / "itr_2.pt"
    assert last.is_file() and last.read_bytes() == b"after 3 iterations"


def test_a_run_folder_written_before_dataset_json_was_kept_resumes_without_a_data_comparison(tmp_path):
    """`iterations_done` compares the data by content only where the folder has a dataset.json; a run written before the
    record was kept (variant.json and latest.pt, no dataset.json) resumes, and the resume records the data it goes on
    with (`MetaTrainer._record_data`, resumed, writes the missing dataset.json and says so). With the file's presence
    unchecked reading the missing record refused every such folder; with every resume skipping the record, such a
    run never got one."""
    from rlkit.experiment import MetaTrainer

    variant = load_config(None, {}).to_dict()
    (tmp_path / "variant.json").write_text(json.dumps(variant))
    torch.save({"counters": {"iteration": 2}, "trainer": {}}, tmp_path / "latest.pt")
    assert iterations_done(tmp_path, variant, 5, "the hint", {"digest": "now", "tasks": {}}) == 2
    said = []
    fake = SimpleNamespace(
        setup=SimpleNamespace(out_dir=tmp_path, data_print={"digest": "now", "tasks": {}}),
        cfg=SimpleNamespace(algo_params=SimpleNamespace(data_dir="the data")),
    )
    MetaTrainer._record_data(fake, SimpleNamespace(info=said.append), resumed=True)
    recorded = {"digest": "now", "tasks": {}, "data_dir": "the data"}
    assert json.loads((tmp_path / "dataset.json").read_text()) == recorded
    assert said == ["dataset.json is missing (a run written before it was kept): recording the data it resumes on"]


def test_a_finished_run_may_be_checked_again_with_its_own_num_iterations(tmp_path):
    """A folder whose run has done exactly num_iterations is finished, not refused: rerunning the same command (or a
    sweep's check, or `--report-only`) says it is complete. Only a count past num_iterations is refused. With `>=` every
    finished run was refused as if num_iterations had been lowered."""
    variant = load_config(None, {}).to_dict()
    (tmp_path / "variant.json").write_text(json.dumps(variant))
    torch.save({"counters": {"iteration": 5}, "trainer": {}}, tmp_path / "latest.pt")
    assert iterations_done(tmp_path, variant, 5, "the hint") == 5
    with pytest.raises(
        UserError, match=r"has done 5 iterations: expected num_iterations >= 5 to continue it \(got 4\)"
    ):
        iterations_done(tmp_path, variant, 4, "the hint")


def test_a_switchs_error_marks_its_own_default_as_the_default():
    """A bad value of a switch with a default is one line giving both values, the default first and marked as such ('1
    (on, the default) or 0 (off)' for a switch on by default; the other way round for one off by default), not the other
    value marked."""

    on_name, off_name = "CSRO_TEST_SWITCH_ON", "CSRO_TEST_SWITCH_OFF"
    on_default = Switch(on_name, True, on="fast path", off="plain path")
    off_default = Switch(off_name, False, on="fast path", off="plain path")
    try:
        os.environ[on_name] = os.environ[off_name] = "yes"
        with pytest.raises(UserError) as on_err:
            on_default()
        with pytest.raises(UserError) as off_err:
            off_default()
    finally:
        os.environ.pop(on_name, None)
        os.environ.pop(off_name, None)
        _ALL.remove(on_default)
        _ALL.remove(off_default)
    assert str(on_err.value) == "CSRO_TEST_SWITCH_ON='yes': expected 1 (fast path, the default) or 0 (plain path)"
    assert str(off_err.value) == "CSRO_TEST_SWITCH_OFF='yes': expected 0 (plain path, the default) or 1 (fast path)"


def test_a_switch_set_to_the_empty_string_is_an_error_not_off():
    """Only "1" and "0" are values of a switch's variable; one set but empty (`CSRO_FUSE=` in a shell) is the one-line
    error, not read as off (nor as unset)."""

    name = "CSRO_TEST_SWITCH_EMPTY"
    switch = Switch(name, True, on="fast path", off="plain path")
    try:
        os.environ[name] = ""
        with pytest.raises(UserError, match=r"^CSRO_TEST_SWITCH_EMPTY='': expected 1 \(fast path, the default\) or 0"):
            switch()
    finally:
        os.environ.pop(name, None)
        _ALL.remove(switch)


def test_a_borel_run_resumed_after_its_vae_stage_records_no_vae_stage_in_its_code_record(tmp_path):
    """code.json marks a resumed BOREL run as resumed inside its VAE stage only while the VAE has fewer than
    borel_vae_steps steps; a run resumed after the stage (VAE steps == borel_vae_steps) trains no VAE step, so its entry
    has no stage."""

    t = object.__new__(MetaTrainer)
    t.borel = SimpleNamespace(vae_steps=10)
    t.trainer = SimpleNamespace(agent=SimpleNamespace(encoder=SimpleNamespace(steps=torch.tensor(10))))
    t.setup = SimpleNamespace(out_dir=tmp_path, device=torch.device("cpu"))
    t.capture, t.fused, t.counters = False, False, {"iteration": 3}
    t._record_code(SimpleNamespace(info=lambda m: None), resumed=True)
    entries = json.loads((tmp_path / CODE_FILE).read_text())["trained_with"]
    assert "from_stage" not in entries[-1]


def test_error_chain_follows_the_error_a_raise_from_names_even_where_told_not_to_pass_hidden_ones():
    """`error_chain` follows `raise B from A` to A with `suppressed` False too (only a `from None` context is hidden):
    an out-of-memory error wrapped by a `raise ... from` is still found, and the run ends with the memory message
    rather than a traceback."""
    from rlkit.cli import out_of_memory

    try:
        try:
            raise MemoryError("cannot allocate")
        except MemoryError as m:
            raise RuntimeError("the step failed") from m
    except RuntimeError as e:
        outer = e
    inner = outer.__cause__
    assert list(error_chain(outer, suppressed=False)) == [outer, inner]
    assert out_of_memory(outer) is inner


def test_read_tree_leaves_out_a_skipped_name_at_any_depth(tmp_path):
    """read_tree's `skip` names a path part at any depth: a cluster segment ships a dataset without each task's
    goal_idxN/networks/ (stage 1's SAC networks, which stage 2 never reads), not only a top-level networks/."""
    from rlkit.fileio import read_tree

    (tmp_path / "goal_idx0" / "networks").mkdir(parents=True)
    (tmp_path / "goal_idx0" / "networks" / "sac.pt").write_bytes(b"n")
    (tmp_path / "goal_idx0" / "trj_0.npy").write_bytes(b"d")
    (tmp_path / "networks").mkdir()
    (tmp_path / "networks" / "x.pt").write_bytes(b"n")
    assert read_tree(tmp_path, skip=("networks",)) == {"goal_idx0/trj_0.npy": b"d"}


def test_lock_holder_of_a_lock_file_without_a_pid_names_nobody(tmp_path):
    """A .lock that holds no pid (an empty or damaged file) is held by no process: `lock_holder` says None, where a
    pid read as None went on to be checked as a process (a TypeError traceback out of `rlkit.data check`)."""
    (tmp_path / ".lock").write_text("garbage")
    assert lock_holder(tmp_path) is None
    (tmp_path / ".lock").write_text("")
    assert lock_holder(tmp_path) is None


def test_a_resume_of_another_method_names_algo_type_first():
    """config_differences puts algo_type's line first (a run resumed as another method lists the method before the
    settings that follow from it), though 'algo_params' sorts before 'algo_type'."""
    from rlkit.config import load_config
    from rlkit.run_folder import config_differences

    old = load_config(None).to_dict()
    new = load_config(None, {"algo_type": "OFFPEARL", "algo_params": {"batch_size": 7}}).to_dict()
    diff = config_differences(old, new)
    assert diff[0] == 'algo_type: "CSRO" -> "OFFPEARL"' and "algo_params.batch_size: 256 -> 7" in diff[1:]


def test_a_borel_run_of_fewer_training_tasks_than_its_vae_tasks_resumes_with_them_capped():
    """BOREL's borel_vae_tasks is compared as at most n_train_tasks (a VAE step draws that many tasks at most): a run
    recorded with 8 of 4 training tasks resumes under 4, not refused as another config."""
    from rlkit.config import load_config
    from rlkit.run_folder import config_differences

    new = load_config(
        None, {"algo_type": "BOREL", "n_train_tasks": 4, "algo_params": {"borel_vae_tasks": 4, "meta_batch": 4}}
    )
    new = new.to_dict()
    old = json.loads(json.dumps(new))
    old["algo_params"]["borel_vae_tasks"] = 8
    assert config_differences(old, new) == []
    old["algo_params"]["borel_vae_tasks"] = 3
    assert config_differences(old, new) == ["algo_params.borel_vae_tasks: 3 -> 4"]


def test_a_code_json_without_its_list_is_an_empty_record_that_a_resume_adds_to(tmp_path):
    """A code.json object without "trained_with" (a file of a run before its first entry) holds no entries: a
    resume reads it as the empty list and adds its own entry, instead of refusing the run as 'not a list'."""
    from rlkit.run_folder import code_entries, record_code

    (tmp_path / CODE_FILE).write_text("{}")
    assert code_entries(tmp_path) == []
    entry = record_code(tmp_path, 3, "cpu", resumed=True)
    assert json.loads((tmp_path / CODE_FILE).read_text())["trained_with"] == [entry]


def test_a_missing_snapshot_of_a_run_in_a_folder_that_refuses_writes_is_left_missing(tmp_path, monkeypatch):
    """restore_missing_snapshot (run by `--report-only` over an archive of runs) leaves a snapshot it cannot write
    (a read-only folder: the write's PermissionError) missing, rather than ending the report with the error."""
    import errno

    import rlkit.run_folder as run_folder
    from rlkit.config import Config

    def refused(path, write_fn):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    cfg = Config()
    (tmp_path / "latest.pt").write_bytes(b"the state")
    monkeypatch.setattr(run_folder, "atomic_write", refused)
    restore_missing_snapshot(tmp_path, cfg, 1)
    assert not (tmp_path / "snapshots" / "itr_0.pt").exists() and not (tmp_path / ".lock").exists()


def test_a_switch_without_a_default_names_each_value_by_its_own_meaning():
    """A bad value of a switch without a default (CUDA-graph capture) is one line giving 1 with its `on` meaning, 0
    with its `off` meaning, and what unset leaves to the caller, not the two meanings swapped."""

    name = "CSRO_TEST_SWITCH_NO_DEFAULT_BAD"
    switch = Switch(name, None, on="fast path", off="plain path", unset="the caller decides")
    try:
        os.environ[name] = "yes"
        with pytest.raises(UserError) as err:
            switch()
    finally:
        os.environ.pop(name, None)
        _ALL.remove(switch)
    assert str(err.value) == (
        "CSRO_TEST_SWITCH_NO_DEFAULT_BAD='yes': expected 1 (fast path) or 0 (plain path), or unset (the caller decides)"
    )


def test_a_switch_turned_off_is_given_to_other_processes_as_0():
    """`process_switches` hands a Ray worker on another node (which does not inherit this environment) every switch
    this process decided, the ones it turned off as "0": left out, the worker would take the switch's default, on."""
    from rlkit.switch import process_switches

    off_name, on_name = "CSRO_TEST_SWITCH_SHIPPED_OFF", "CSRO_TEST_SWITCH_SHIPPED_ON"
    off, on = Switch(off_name, True, on="fast path", off="plain path"), Switch(on_name, False, on="fast", off="plain")
    try:
        off.set(False)
        on.set(True)
        shipped = process_switches()
    finally:
        _ALL.remove(off)
        _ALL.remove(on)
    assert (shipped[off_name], shipped[on_name]) == ("0", "1")


@pytest.mark.parametrize("state, said", [(torch.zeros(3), "a Tensor"), ([1, 2], "a list")])
def test_a_path_to_weights_file_of_no_trainers_state_is_one_line(state, said):
    """A torch file holding a tensor or a list (saved by another tool) as path_to_weights: one line naming the refusal
    and what was expected, where the trainer's `state.get(...)` raised an AttributeError traceback."""
    from rlkit.run_folder import load_trainer_state
    from tests.test_gradient_flow import make_trainer

    refusal = "path_to_weights 'w.pt' does not fit this run's networks"
    with pytest.raises(UserError, match=rf"^{refusal} \(it holds {said}, not a trainer's state\): expected$"):
        load_trainer_state(make_trainer(), state, refusal, "expected")


def test_a_state_whose_optimisers_are_of_other_parameter_groups_is_one_line():
    """A saved state whose networks fit but whose optimisers hold other parameter groups (a run of another
    algo_type's optimisers copied in): torch's ValueError is the one line's reason, not a traceback."""
    from rlkit.run_folder import load_trainer_state
    from tests.test_gradient_flow import make_trainer

    state = make_trainer().state_dict()
    state["optimizers"][next(iter(state["optimizers"]))] = {"state": {}, "param_groups": []}
    with pytest.raises(UserError, match=r"^latest.pt \(loaded state dict has a different number of parameter groups\)"):
        load_trainer_state(make_trainer(), state, "latest.pt", "expected a state of this run")
