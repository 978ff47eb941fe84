import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from rlkit.data.check import check_dataset
from rlkit.data.dataset import Trajectories, parse_task_dir, task_dir
from rlkit.data.fingerprint import dataset_fingerprint
from rlkit.data.legacy import build_then_swap, export_legacy, import_legacy
from rlkit.data.load import load_task_data, read_normalizer
from rlkit.data.meta import (
    listed_checkpoints,
    read_task_meta,
    running_versions,
    same_task,
    setting_differences,
    task_identity_problem,
    task_meta_problem,
    task_record_problem,
    write_task_meta,
)
from rlkit.data.npz import read_checkpoint, read_npz_meta, write_checkpoint
from rlkit.envs.half_cheetah import cheetah_velocities
from rlkit.errors import UserError
from tests.conftest import ROOT, run_here


def make_trajs(n_traj=3, length=4, obs_dim=2, act_dim=2, seed=0):
    rng = np.random.default_rng(seed)
    n = n_traj * length
    return Trajectories(
        rng.normal(size=(n, obs_dim)).astype(np.float32),
        rng.uniform(-1, 1, (n, act_dim)).astype(np.float32),
        rng.normal(size=n).astype(np.float32),
        rng.normal(size=(n, obs_dim)).astype(np.float32),
        np.zeros(n, np.float32),
        np.full(n_traj, length),
    )


def write_task(root, t, steps=(100, 200), env_name="point-robot", obs_dim=2, act_dim=2):
    d = task_dir(root, t)
    for s in steps:
        kinds = {
            "sample": make_trajs(seed=s + t, obs_dim=obs_dim, act_dim=act_dim),
            "eval": make_trajs(1, seed=s, obs_dim=obs_dim, act_dim=act_dim),
        }
        write_checkpoint(d, s, kinds)
    write_task_meta(
        d,
        {
            "env_name": env_name,
            "task_idx": t,
            "obs_dim": obs_dim,
            "action_dim": act_dim,
            "checkpoints": list(steps),
            "complete": True,
        },
    )
    return d


def test_round_trip_and_no_temp_files(tmp_path):
    d = write_task(tmp_path, 0)
    t = read_checkpoint(d, 100, "sample")
    ref = make_trajs(seed=100)
    for f in ("obs", "actions", "rewards", "next_obs", "terminals", "traj_lengths"):
        np.testing.assert_array_equal(getattr(t, f), getattr(ref, f))
    assert not list(d.glob(".*tmp"))
    with np.load(d / "step100.npz", allow_pickle=False) as z:  # pickle-free
        assert z["sample_obs"].dtype == np.float32


def test_load_selects_epochs_and_n_trj(tmp_path):
    write_task(tmp_path, 0)
    data = load_task_data(tmp_path, 0, range(100, 300, 100), "sample", 2, "point-robot", 2, 2)
    assert len(data) == 2 * 2 * 4 and data.n_traj == 4
    for i, step in enumerate((100, 200)):  # each checkpoint's first 2 of its 3 episodes of 4 steps, in order
        np.testing.assert_array_equal(data.obs[8 * i : 8 * i + 8], make_trajs(seed=step).obs[:8])


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(task=1), "missing dataset folder"),
        (dict(env_name="sparse-point-robot"), "is for env 'point-robot': expected 'sparse-point-robot'"),
        (dict(obs_dim=3), "obs/action dims 2/2: expected 3/2"),
        (dict(n_trj=9), "expected at least n_trj=9"),
        (dict(steps=range(100, 400, 100)), "missing checkpoint file"),
    ],
)
def test_bad_data_errors(tmp_path, kwargs, match):
    write_task(tmp_path, 0)
    args = dict(task=0, steps=range(100, 300, 100), n_trj=2, env_name="point-robot", obs_dim=2)
    args.update(kwargs)
    with pytest.raises(UserError, match=match):
        load_task_data(
            tmp_path, args["task"], args["steps"], "sample", args["n_trj"], args["env_name"], args["obs_dim"], 2
        )


def test_a_task_folder_without_task_json_is_one_line_naming_the_file(tmp_path):
    (write_task(tmp_path, 0) / "task.json").unlink()
    with pytest.raises(UserError, match=r"^'.*goal_idx0/task\.json' is missing: expected a dataset written by"):
        load_task_data(tmp_path, 0, [100], "sample", 1, "point-robot", 2, 2)


def test_wrong_observation_size_in_file(tmp_path):
    d = write_task(tmp_path, 0, obs_dim=3)
    write_task_meta(
        d, {"env_name": "point-robot", "task_idx": 0, "checkpoints": [100, 200], "complete": True}
    )  # no dims
    with pytest.raises(UserError, match=r"observation size \(3,\)"):
        load_task_data(tmp_path, 0, [100], "sample", 1, "point-robot", 2, 2)


def test_check_reports_each_task(tmp_path):
    write_task(tmp_path, 0)
    write_task(tmp_path, 1)
    report = check_dataset(tmp_path)
    assert report.problems == [] and report.warnings == []
    assert len(report.lines) == 2 and "complete" in report.lines[0]


@pytest.mark.slow
def test_check_warns_about_other_package_versions(tmp_path):
    from rlkit.data.meta import read_task_meta, running_versions

    for t in (0, 1, 2):
        d = write_task(tmp_path, t)
        meta = read_task_meta(d)
        meta["versions"] = dict(running_versions(), **({"torch": "2.0.1", "mujoco": "3.0.0"} if t else {}))
        write_task_meta(d, meta)
    report = check_dataset(tmp_path)
    assert report.problems == []  # a warning, not a failure
    assert len(report.warnings) == 1 and report.warnings[0].startswith(
        "tasks [1, 2] were written with torch 2.0.1, mujoco 3.0.0"
    )
    proc = run_here(["-m", "rlkit.data", "check", str(tmp_path)], cwd=ROOT, check=False)
    assert proc.returncode == 0 and "warning: tasks [1, 2]" in proc.stderr


def test_legacy_import_needs_allow_pickle_and_round_trips(tmp_path):
    src, legacy, back = tmp_path / "ours", tmp_path / "legacy", tmp_path / "back"
    write_task(src, 3)
    np.savez(src / "normalizer.npz", abs_max=np.array([2.0, 4.0]))
    export_legacy(src, legacy)
    names = sorted(p.name for p in (legacy / "goal_idx3").iterdir())
    assert "trj_evalsample0_step100.npy" in names and "trj_eval0_step200.npy" in names
    rows = np.load(legacy / "goal_idx3" / "trj_evalsample0_step100.npy", allow_pickle=True)
    np.testing.assert_allclose(rows[0][0], make_trajs(seed=103).obs[0] / (np.array([2.0, 4.0]) + 1e-8), rtol=1e-6)
    with pytest.raises(UserError, match="--allow-pickle"):
        import_legacy(legacy, back, "point-robot")
    import_legacy(legacy, back, "point-robot", allow_pickle=True)
    a, b = read_checkpoint(task_dir(src, 3), 100, "sample"), read_checkpoint(task_dir(back, 3), 100, "sample")
    np.testing.assert_allclose(a.obs, b.obs, rtol=1e-6)  # normalisation undone on import
    np.testing.assert_array_equal(a.traj_lengths, b.traj_lengths)
    assert (back / "normalizer.npz").is_file()


@pytest.mark.parametrize(
    "lost, said",
    [
        (["goal_idx1/trj_evalsample1_step100.npy"], "goal_idx1/trj_evalsample1_step100.npy' is missing"),  # a gap
        (["goal_idx0/trj_eval0_step200.npy"], "goal_idx0/trj_eval0_step200.npy' is missing"),  # a checkpoint's last
        (
            [f"goal_idx1/trj_{k}_step200.npy" for k in ("evalsample0", "evalsample1", "evalsample2", "eval0")],
            "goal_idx1/trj_eval0_step200.npy' is missing",
        ),  # a checkpoint the other task has
    ],
    ids=["gap", "last", "checkpoint"],
)
def test_import_legacy_refuses_a_dataset_missing_an_episode_file(tmp_path, lost, said):
    """A reference dataset with an episode file lost in a copy was imported whole ("imported 6 tasks") as a smaller
    dataset, and `rlkit.data check` then called it complete: the import names the first missing file, writes
    nothing."""
    src, legacy = tmp_path / "ours", tmp_path / "legacy"
    for task in (0, 1):
        write_task(src, task)
    export_legacy(src, legacy)
    for name in lost:
        (legacy / name).unlink()
    with pytest.raises(
        UserError, match=r"is missing: expected episodes numbered from 0 without a gap, at every checkpoint another"
    ) as e:
        import_legacy(legacy, tmp_path / "back", "point-robot", allow_pickle=True)
    assert said in str(e.value) and not (tmp_path / "back").exists()


def test_export_legacy_carries_task_params_and_refuses_what_training_would_refuse(tmp_path):
    """The reference's layout records neither a task's completeness nor its physics version, so an export of an
    interrupted task, or of data of another physics, would come back usable: both are refused. A parameter family's
    task_params.json goes there and back."""
    src = tmp_path / "ours"
    d = write_task(src, 0)
    (d / "task_params.json").write_text('{"body_mass": [1.0, 2.0]}')
    export_legacy(src, tmp_path / "legacy", physics=lambda env: 1)
    import_legacy(tmp_path / "legacy", tmp_path / "back", "point-robot", allow_pickle=True)
    assert (task_dir(tmp_path / "back", 0) / "task_params.json").read_text() == '{"body_mass": [1.0, 2.0]}'
    with pytest.raises(UserError, match=r"'s physics version 1: expected 2, this code's"):
        export_legacy(src, tmp_path / "legacy2", physics=lambda env: 2)
    write_task_meta(d, {"env_name": "point-robot", "task_idx": 0, "checkpoints": [100], "complete": False})
    with pytest.raises(UserError, match=r"goal_idx0' is an interrupted stage-1 task .*: expected complete tasks"):
        export_legacy(src, tmp_path / "legacy3")
    assert not (tmp_path / "legacy2").exists() and not (tmp_path / "legacy3").exists()


def flip_last_byte(path, member):
    """Flip the last byte of `member`'s data in the .npz at `path`: its CRC-32 no longer matches."""
    import zipfile

    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    o = info.header_offset
    start = o + 30 + int.from_bytes(raw[o + 26 : o + 28], "little") + int.from_bytes(raw[o + 28 : o + 30], "little")
    raw[start + info.file_size - 1] ^= 0xFF
    path.write_bytes(raw)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncate", "flip", "delete", "nan"])
def test_damaged_step_file_is_a_one_line_error_naming_it(tmp_path, damage):
    """The loader names the damaged file instead of a BadZipFile/FileNotFoundError traceback; check reports
    it as a problem naming it and goes on checking the other tasks (exit 1, not 2). A flipped byte in an array's
    data was read as a (finite, wrong) number by the loader, then a traceback from the run's fingerprint."""

    write_task(tmp_path, 0)
    write_task(tmp_path, 1)
    path = task_dir(tmp_path, 0) / "step200.npz"
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "flip":
        flip_last_byte(path, "sample_obs.npy")
    elif damage == "delete":
        path.unlink()
    else:
        t = make_trajs(seed=7)
        t.rewards[:] = np.nan
        write_checkpoint(task_dir(tmp_path, 0), 200, {"sample": t})
    expected = {
        "truncate": "truncated or unreadable",
        "flip": "truncated or unreadable (BadZipFile: Bad CRC-32 for file 'sample_obs.npy')",
        "delete": "missing checkpoint file",
        "nan": "non-finite values in ['rewards']",
    }
    with pytest.raises(UserError, match=r"step200\.npz") as info:
        load_task_data(tmp_path, 0, range(100, 300, 100), "sample", 2, "point-robot", 2, 2)
    assert expected[damage] in str(info.value) and "\n" not in str(info.value)
    report = check_dataset(tmp_path)
    assert len(report.problems) == 1 and "step200.npz" in report.problems[0] and expected[damage] in report.problems[0]
    assert len(report.lines) == 2 and report.lines[1].startswith("goal_idx1: point-robot task 1, 2 checkpoints")
    proc = run_here(["-m", "rlkit.data", "check", str(tmp_path)], cwd=ROOT, check=False)
    assert proc.returncode == 1 and proc.stderr.count("problem: ") == 1 and "step200.npz" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "goal_idx1:" in proc.stdout


def test_a_damaged_file_in_a_fingerprint_is_one_line_naming_it(tmp_path):
    import hashlib

    from rlkit.data.fingerprint import _add_npz

    path = tmp_path / "normalizer.npz"
    np.savez(path, abs_max=np.arange(64, dtype=np.float64))
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0xFF  # inside abs_max's data
    path.write_bytes(raw)
    with pytest.raises(UserError, match=r"normalizer\.npz' is truncated or unreadable \(BadZipFile: Bad CRC-32") as e:
        _add_npz(hashlib.sha256(), path)
    assert "\n" not in str(e.value) and "copy it again from the dataset's source" in str(e.value)
    np.savez_compressed(path, abs_max=np.arange(4096, dtype=np.float64))  # (a legacy import copies it as it is)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # inside the compressed stream: zlib's error, not zipfile's
    path.write_bytes(raw)
    with pytest.raises(UserError, match=r"normalizer\.npz' is truncated or unreadable \((error|BadZipFile)"):
        _add_npz(hashlib.sha256(), path)


def test_load_and_check_catch_wrong_incomplete_or_mixed_tasks(tmp_path):
    """A copied folder, another task list, an unfinished task, a step file of another run: each named in one line."""
    import shutil

    write_task(tmp_path, 0)
    write_task(tmp_path, 1)

    def load(**kw):
        return load_task_data(
            tmp_path,
            kw.get("task", 1),
            kw.get("steps", [100]),
            "sample",
            2,
            "point-robot",
            2,
            2,
            expected_task=kw.get("expected"),
        )

    meta_path = task_dir(tmp_path, 1) / "task.json"
    meta = json.loads(meta_path.read_text())
    meta["task"] = {"goal": [0.5, 0.5]}
    meta_path.write_text(json.dumps(meta))
    load(expected={"goal": [0.5, 0.5 + 1e-9]})  # the same task
    with pytest.raises(UserError, match=r"holds task \{'goal': \[0.5, 0.5\]\}: expected the env's task 1"):
        load(expected={"goal": [0.6, 0.5]})
    shutil.rmtree(task_dir(tmp_path, 1))
    shutil.copytree(task_dir(tmp_path, 0), task_dir(tmp_path, 1))  # goal_idx0 copied over goal_idx1
    with pytest.raises(UserError, match="describes task 0: expected task 1"):
        load()
    assert any("describes task 0: expected task 1" in p for p in check_dataset(tmp_path).problems)
    write_checkpoint(task_dir(tmp_path, 0), 900, {"sample": make_trajs(seed=9)})  # left by another run
    with pytest.raises(UserError, match="step900.npz' is not among the checkpoints that task.json lists"):
        load(task=0, steps=[100, 900])
    assert any("does not list: ['step900.npz']" in p for p in check_dataset(tmp_path).problems)
    meta = json.loads((task_dir(tmp_path, 0) / "task.json").read_text())
    meta["complete"] = False
    (task_dir(tmp_path, 0) / "task.json").write_text(json.dumps(meta))
    with pytest.raises(UserError, match="says the task is incomplete"):
        load(task=0)
    assert any("interrupted stage-1 task" in p for p in check_dataset(tmp_path).problems)


@pytest.mark.slow
def test_check_cli_exits_1_on_an_incomplete_task(tmp_path):

    write_task(tmp_path, 0)
    meta = json.loads((task_dir(tmp_path, 0) / "task.json").read_text())
    meta["complete"] = False
    (task_dir(tmp_path, 0) / "task.json").write_text(json.dumps(meta))
    proc = run_here(["-m", "rlkit.data", "check", str(tmp_path)], cwd=ROOT, check=False)
    assert proc.returncode == 1 and "INCOMPLETE" in proc.stdout and "problem: " in proc.stderr


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_fast_npz_reader_equals_np_load(tmp_path, save, monkeypatch):
    """`read_npz` (views over the file's bytes) against np.load: plain, compressed, Fortran-ordered,
    big-endian, 0-d and empty arrays, and a key the file lacks. np.load's own reader serves only what the fast
    path cannot take (the Fortran-ordered member of a plain file, every member of a compressed one): a header or
    size check that sent every member there would give the same arrays, slowly."""
    from rlkit.data.npz import read_npz

    slow_reads = []
    read_array = np.lib.format.read_array
    monkeypatch.setattr(np.lib.format, "read_array", lambda f, **kw: slow_reads.append(1) or read_array(f, **kw))

    rng = np.random.default_rng(0)
    arrays = {
        "a": rng.normal(size=(7, 3)).astype(np.float32),
        "b": np.arange(5, dtype=np.int64),
        "c": np.asfortranarray(rng.normal(size=(4, 6))),
        "d": np.arange(6, dtype=">f8").reshape(2, 3),
        "e": np.float64(3.5),
        "f": np.zeros((0, 2), np.float32),
    }
    path = tmp_path / "x.npz"
    save(path, **arrays)
    got = read_npz(path, [*arrays, "missing"])
    assert set(got) == set(arrays)
    assert len(slow_reads) == (1 if save is np.savez else len(arrays))
    with np.load(path) as z:
        for k in arrays:
            assert got[k].dtype == z[k].dtype and got[k].shape == z[k].shape and got[k].flags.writeable
            np.testing.assert_array_equal(got[k], z[k])


def interrupt(tdir, listed=()):
    """task.json as a stage-1 run killed mid-task leaves it: incomplete, listing `listed` of its step files."""

    meta = json.loads((tdir / "task.json").read_text())
    meta.update(complete=False, checkpoints=list(listed))
    write_task_meta(tdir, meta)


def test_check_reports_an_interrupted_task_once_as_resumable(tmp_path):
    """A task killed mid-run (task.json: complete false, step files it does not list yet) is one problem line
    saying a rerun resumes it, not "step files left by another stage-1 run?", which stays for complete tasks."""
    write_task(tmp_path, 0)
    interrupt(write_task(tmp_path, 1))
    write_checkpoint(write_task(tmp_path, 2), 900, {"sample": make_trajs(seed=9)})
    report = check_dataset(tmp_path)
    task1 = [p for p in report.problems if "goal_idx1" in p]
    assert len(task1) == 1 and "is an interrupted stage-1 task" in task1[0]
    assert "checkpoints [100, 200] written so far" in task1[0]
    assert "rerun policy_train.py with the same settings to resume it" in task1[0]
    assert [p for p in report.problems if "another stage-1 run" in p] == [
        f"{str(task_dir(tmp_path, 2))!r} holds step files that task.json does not list: ['step900.npz'] "
        "(left by another stage-1 run?)"
    ]
    assert len(report.problems) == 2 and "INCOMPLETE" in report.lines[1]


def test_check_names_a_task_of_other_stage_1_settings(tmp_path):
    """A dataset whose parts were trained with other settings (made before stage 1 compared them across --split
    parts) was reported clean: each task was checked alone."""
    from rlkit.data.meta import read_task_meta

    first, other = write_task(tmp_path, 0), write_task(tmp_path, 1)
    for d in (first, other):  # (as stage 1 records them)
        write_task_meta(d, dict(read_task_meta(d), schedule={"seed": 0, "num_train_steps": 300}, seeding=2))
    meta = read_task_meta(other)
    write_task_meta(other, dict(meta, schedule=dict(meta["schedule"], seed=7)))
    report = check_dataset(tmp_path)
    assert len(report.problems) == 1 and report.problems[0].startswith(
        f"{str(other)!r} was written with other stage-1 settings than goal_idx0 (schedule.seed: "
    )
    assert check_dataset(tmp_path).problems == report.problems
    write_task_meta(other, meta)
    assert check_dataset(tmp_path).problems == []


def test_check_compares_every_task_with_the_settings_the_dataset_records(tmp_path):
    """Where stage 1 recorded the dataset's settings (stage1_settings.json), every task is compared with them, the
    first task too (it was the reference, so a first task of other settings named all the others); a record that
    cannot be read is a problem of its own, and the tasks are then compared with the first."""

    from rlkit.data.meta import read_task_meta

    tasks = [write_task(tmp_path, i) for i in (0, 1)]
    for d in tasks:
        write_task_meta(d, dict(read_task_meta(d), schedule={"seed": 0}, seeding=2, saved_networks=True))
    meta = read_task_meta(tasks[0])
    recorded = {k: meta[k] for k in ("env_name", "env_params", "schedule", "seeding") if k in meta}
    record = tmp_path / "stage1_settings.json"
    record.write_text(json.dumps(dict(recorded, schedule={"seed": 7}, save_networks=False)))
    problems = check_dataset(tmp_path).problems
    assert len(problems) == 2 and all(
        p.startswith(
            f"{str(d)!r} was written with other stage-1 settings than {str(record)!r} records "
            "(schedule.seed: 7 -> 0; saved_networks: false -> true)"
        )
        for p, d in zip(problems, tasks)
    )
    record.write_text(json.dumps(dict(recorded, save_networks=True)))
    assert check_dataset(tmp_path).problems == []
    record.write_text("{")
    assert [p.split(" is not valid JSON")[0] for p in check_dataset(tmp_path).problems] == [repr(str(record))]


def test_check_names_the_tasks_of_the_recorded_n_tasks_that_have_no_folder(tmp_path):
    """A --split part not run (or failed) leaves tasks without a folder: check said "complete" for the others and
    exit 0, and stage 2 then refused the dataset. The n_tasks that stage1_settings.json records names them (a file
    where a task's folder should be counts as none); a dataset without the record is checked as before."""

    for t in (0, 2):
        write_task(tmp_path, t)
    (tmp_path / "goal_idx1").write_text("not a folder")
    assert check_dataset(tmp_path).problems == []  # (no record: which tasks it should hold is not known)
    record = tmp_path / "stage1_settings.json"
    record.write_text(json.dumps({"env_name": "point-robot", "env_params": {"n_tasks": 4}}))
    assert check_dataset(tmp_path).problems == [
        f"{str(tmp_path)!r} has no task folder for 2 of the 4 tasks that stage1_settings.json records "
        "(env_params.n_tasks 4): goal_idx1, goal_idx3; expected goal_idx0..goal_idx3 (a --split part not run, or "
        "one that failed? rerun it)"
    ]
    (tmp_path / "goal_idx1").unlink()
    for t in (1, 3):
        write_task(tmp_path, t)
    assert check_dataset(tmp_path).problems == []


def test_a_task_stage_1_is_writing_now_is_called_so_not_interrupted(tmp_path):
    """check and stage 2, run while stage 1 writes a task (its lock held by a live process), called it interrupted
    and advised a rerun, which the lock would refuse: they say it is being written, by whom, and to wait."""

    from rlkit.data.meta import read_task_meta, task_meta_problem
    from rlkit.fileio import FolderLock

    write_task(tmp_path, 0)
    tdir = write_task(tmp_path, 1)
    interrupt(tdir)
    with FolderLock(tdir, "busy {pid}"):  # held by this (live) test process
        report = check_dataset(tmp_path)
        problem = task_meta_problem(tdir, read_task_meta(tdir))
    task1 = [p for p in report.problems if "goal_idx1" in p]
    assert task1 == [
        f"{str(tdir)!r} is being written by stage 1 (pid {os.getpid()}; checkpoints [100, 200] written so far): wait "
        "for it to finish"
    ]
    assert report.lines[1].endswith("INCOMPLETE (being written)")
    assert problem.endswith(f"(stage 1 is writing it now: pid {os.getpid()}; wait for it to finish)")
    assert "is an interrupted stage-1 task" in next(p for p in check_dataset(tmp_path).problems if "goal_idx1" in p)
    (tdir / ".lock").write_text("4242 node17 1/2/3")  # left by a job on another host: it cannot be told gone here
    line = next(p for p in check_dataset(tmp_path).problems if "goal_idx1" in p)
    assert f"pid 4242 on host node17, which cannot be checked from here: remove {str(tdir / '.lock')!r} if" in line


@pytest.mark.parametrize("listed", [(), (100,)])
def test_check_line_of_an_interrupted_task_counts_the_checkpoints_written(tmp_path, listed):
    """An interrupted task's line counts (and reads) the checkpoints written so far, listed in task.json or not,
    as its problem line does: not the 0 checkpoints of a task.json written when the run began."""
    write_task(tmp_path, 0)
    interrupt(write_task(tmp_path, 1), listed)
    report = check_dataset(tmp_path)
    assert report.lines[1] == "goal_idx1: point-robot task 1, 2 checkpoints, 32 transitions, INCOMPLETE (interrupted)"
    assert [p for p in report.problems if "checkpoints [100, 200] written so far" in p]


RETURNS_HEADER = b"checkpoint,stochastic_return,deterministic_return\n"
# a returns.csv as policy_train.py writes it: nan where a checkpoint has no episodes of a kind
GOOD_RETURNS = RETURNS_HEADER + b"100,-3.5,nan\n200,-2.0,-1.5\n"
DAMAGED_RETURNS = {
    "binary junk": (b"PK\x03\x04\x14\x00\x08\x00\xff\xfe", r"' is not UTF-8 text \(byte 8: invalid start byte\)"),
    "empty": (b"", r"' is empty"),
    "header only": (RETURNS_HEADER, r"' has a header but no rows"),
    "missing column": (
        b"checkpoint,stochastic_return\n100,1.5\n",
        r"' has no column 'deterministic_return' \(its header: 'checkpoint,stochastic_return'\)",
    ),
    "non-numeric": (
        RETURNS_HEADER + b"100,-3.5,1.5\n200,abc,1.5\n",
        r"' line 3, column 'stochastic_return': 'abc' is not a finite number \(or nan\)",
    ),
    "fractional checkpoint": (
        RETURNS_HEADER + b"100.5,1,1\n",
        r"' line 2, column 'checkpoint': '100.5' is not a whole",
    ),
    "ragged row": (RETURNS_HEADER + b"100,1,1,7\n", r"' line 2 has 4 cells: expected 3, one per column of its header"),
}
RETURNS_EXPECTED = (
    ": expected the returns.csv policy_train.py writes (checkpoint,stochastic_return,deterministic_return, "
    "then a row of numbers per checkpoint)"
)


def write_task_with_returns(root, t):
    """A task whose checkpoint 100 has no deterministic episodes, with the returns.csv stage 1 writes for it (the mean
    return of each checkpoint's episodes of each kind, nan for none)."""
    d = write_task(root, t)
    write_checkpoint(d, 100, {"sample": make_trajs(seed=100 + t)})
    rows = []
    for step in (100, 200):
        means = []
        for kind in ("sample", "eval"):
            trajs = read_checkpoint(d, step, kind, missing_ok=True)
            means.append("nan" if trajs is None else repr(float(trajs.rewards.sum()) / trajs.n_traj))
        rows.append(f"{step},{means[0]},{means[1]}\n".encode())
    (d / "returns.csv").write_bytes(RETURNS_HEADER + b"".join(rows))
    return d


@pytest.mark.parametrize("damage", DAMAGED_RETURNS)
def test_check_reports_a_damaged_returns_csv(tmp_path, damage):
    """A returns.csv that is not the table policy_train.py writes is a problem line naming it and what is wrong, the
    other tasks still checked; nan cells (a checkpoint without episodes of a kind) are not a problem."""
    content, match = DAMAGED_RETURNS[damage]
    write_task_with_returns(tmp_path, 0)
    (write_task(tmp_path, 1) / "returns.csv").write_bytes(content)
    report = check_dataset(tmp_path)
    path = task_dir(tmp_path, 1) / "returns.csv"
    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith(repr(str(path))) and report.problems[0].endswith(RETURNS_EXPECTED)
    assert re.search(match, report.problems[0]) and "\n" not in report.problems[0]
    assert [line.split(",")[0] for line in report.lines] == [
        "goal_idx0: point-robot task 0",
        "goal_idx1: point-robot task 1",
    ]


def test_check_reports_a_returns_csv_that_is_not_the_step_files(tmp_path):
    """returns.csv is drawn in place of the step files (`curves`): one of other checkpoints than task.json's, or of a
    mean return the episodes do not give, is a problem line naming it; the step files' own returns pass."""
    good = write_task_with_returns(tmp_path, 0)
    assert check_dataset(tmp_path).problems == []
    text = (good / "returns.csv").read_text()
    (good / "returns.csv").write_text(text.replace("200,", "300,"))
    assert check_dataset(tmp_path).problems == [
        f"{str(good / 'returns.csv')!r} lists checkpoints [100, 300]: expected task.json's [100, 200] (a stale or "
        "foreign file?)"
    ]
    lines = text.splitlines()
    step, sample, det = lines[2].split(",")
    (good / "returns.csv").write_text("\n".join([*lines[:2], f"{step},{float(sample) + 1},{det}"]) + "\n")
    step200 = (good / "step200.npz").read_bytes()
    (good / "step200.npz").write_bytes(step200[:200])  # a damaged step file is its own line, not a returns one too
    assert [p for p in check_dataset(tmp_path).problems if "returns.csv" in p] == []
    (good / "step200.npz").write_bytes(step200)
    (problem,) = check_dataset(tmp_path).problems
    assert problem.startswith(f"{str(good / 'returns.csv')!r} says stochastic_return ") and problem.endswith(
        "at checkpoint 200: expected " + f"{float(sample):.6g}, the mean return of that step file's 'sample' episodes"
    )


def test_check_reports_an_empty_step_file_a_bad_task_params_json_and_another_physics(tmp_path):
    """What would stop training later: a step file of no episodes, a task_params.json that is not a JSON object, data
    of another physics version than the env's (given the env's version, as `python -m rlkit.data check` gives it)."""
    d = write_task(tmp_path, 0)
    write_checkpoint(d, 200, {})
    (d / "task_params.json").write_text("{not json")
    problems = check_dataset(tmp_path).problems
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"{str(d / 'task_params.json')!r} is not valid JSON")
    assert problems[1] == f"{str(d / 'step200.npz')!r} holds no trajectories: expected 'sample' or 'eval' episodes"
    write_task(tmp_path, 0)  # whole again; task.json says no physics version: 1
    (d / "task_params.json").unlink()
    assert check_dataset(tmp_path, physics=lambda env: 1).problems == []
    (problem,) = check_dataset(tmp_path, physics=lambda env: 2).problems
    assert "'point-robot''s physics version 1: expected 2, this code's" in problem


def test_a_figure_file_is_known_by_its_suffix_in_any_case(tmp_path):
    """matplotlib writes `x.PNG` as a PNG (it reads the suffix in any case): the check before anything is computed
    accepts it, as it does `x.png`, and still refuses `x.TXT`."""
    from rlkit.cli import figure_file

    for name in ("x.png", "x.PNG", "x.Pdf", "x"):
        figure_file("--out", str(tmp_path / name))
    with pytest.raises(UserError, match=r"x.TXT': expected a figure file ending in one of"):
        figure_file("--out", str(tmp_path / "x.TXT"))


@pytest.mark.parametrize(
    "out,said",
    [
        ("FOLDER", "is a folder: expected a PNG path such as"),
        ("", "'--out': '': expected a path"),
        ("notes.txt", "--out '.../notes.txt': expected a figure file ending in one of"),
    ],
)
def test_curves_out_that_is_a_folder_or_empty_is_one_line_before_anything_is_written(tmp_path, capsys, out, said):
    """`--out FOLDER` named a temporary file after behaviour_returns.csv was written; `--out ''` meant the default;
    `--out notes.txt` (an existing file) was overwritten with PNG bytes."""
    from rlkit.cli import run_cli as run_command
    from rlkit.data.__main__ import main as data_cli

    write_task(tmp_path / "data", 0)
    (tmp_path / "FOLDER").mkdir()
    (tmp_path / "notes.txt").write_text("kept")
    with pytest.raises(SystemExit) as exit_:
        run_command(data_cli, ["curves", str(tmp_path / "data"), "--out", str(tmp_path / out) if out else ""])
    err = capsys.readouterr().err.replace(str(tmp_path), "...").strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and said in err[0], err
    assert (tmp_path / "notes.txt").read_text() == "kept"
    assert not (tmp_path / "data" / "behaviour_returns.csv").exists()


@pytest.mark.parametrize("damage", DAMAGED_RETURNS)
def test_curves_of_a_damaged_returns_csv_is_one_line_naming_it(tmp_path, capsys, damage):
    """`python -m rlkit.data curves` on a damaged returns.csv: one line naming it and the problem, exit 2, nothing
    written; the same data with a good returns.csv (nan cells in it) draws."""
    from rlkit.cli import run_cli as run_command
    from rlkit.data.__main__ import main as data_cli

    content, match = DAMAGED_RETURNS[damage]
    (write_task(tmp_path, 0) / "returns.csv").write_bytes(GOOD_RETURNS)
    (write_task(tmp_path, 1) / "returns.csv").write_bytes(content)
    with pytest.raises(SystemExit) as exit_:
        run_command(data_cli, ["curves", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1, err
    path = task_dir(tmp_path, 1) / "returns.csv"
    assert err[0].startswith(f"error: {str(path)!r}") and err[0].endswith(RETURNS_EXPECTED)
    assert re.search(match, err[0]), err[0]
    assert not (tmp_path / "behaviour_curves.png").exists() and not (tmp_path / "behaviour_returns.csv").exists()
    (task_dir(tmp_path, 1) / "returns.csv").write_bytes(GOOD_RETURNS)
    run_command(data_cli, ["curves", str(tmp_path)])
    assert (tmp_path / "behaviour_curves.png").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(
    "case,code",
    [
        ("usable", 0),
        ("warning", 0),
        ("interrupted", 1),
        ("truncated task.json", 1),
        ("no task.json", 1),
        ("other env's sizes", 1),
        ("checkpoints [null]", 1),
        ("checkpoints ['abc']", 1),
        ("env_name a list", 1),
        ("normalizer of another size", 1),
        ("no such folder", 2),
        ("a file", 2),
        ("no goal_idx folders", 2),
    ],
)
def test_check_exit_codes(tmp_path, case, code):
    """0 usable (warnings allowed), 1 problems in the dataset (each a line, the other tasks still checked),
    2 bad arguments; never a traceback."""
    from rlkit.data.meta import read_task_meta

    data = tmp_path / "data"
    d = write_task(data, 0)
    write_task(data, 1)
    if case == "warning":
        write_task_meta(d, dict(read_task_meta(d), versions={"torch": "0.1"}))
    elif case == "interrupted":
        interrupt(d)
    elif case == "truncated task.json":
        (d / "task.json").write_text((d / "task.json").read_text()[:20])
    elif case == "no task.json":
        (d / "task.json").unlink()
    elif case == "other env's sizes":
        write_task_meta(d, dict(read_task_meta(d), env_name="cheetah-vel"))
    elif case == "checkpoints [null]":
        write_task_meta(d, dict(read_task_meta(d), checkpoints=[None]))
    elif case == "checkpoints ['abc']":
        write_task_meta(d, dict(read_task_meta(d), checkpoints=["abc"]))
    elif case == "env_name a list":
        write_task_meta(d, dict(read_task_meta(d), env_name=["point-robot"]))
    elif case == "normalizer of another size":
        np.savez(data / "normalizer.npz", abs_max=np.ones(3))
    elif case == "no such folder":
        data = tmp_path / "missing"
    elif case == "a file":  # (it said "no such folder" of a file that is there)
        data = d / "task.json"
    elif case == "no goal_idx folders":
        data = tmp_path / "empty"
        data.mkdir()
    proc = run_here(["-m", "rlkit.data", "check", str(data)], cwd=ROOT, check=False)
    assert proc.returncode == code and "Traceback" not in proc.stderr, proc.stderr
    if code == 1:  # (a task of another env is also a task of other settings than its dataset's first)
        problems = 2 if case == "other env's sizes" else 1
        assert proc.stderr.count("problem: ") == problems and "goal_idx1: point-robot task 1" in proc.stdout
    if case in ("no such folder", "a file"):
        said = "a file, not a folder" if case == "a file" else "no such folder"
        assert proc.stderr.strip().endswith(f"': {said}: expected a dataset folder written by policy_train.py")
    if case == "other env's sizes":
        assert "says observation/action sizes 2/2: expected 20/6 for 'cheetah-vel'" in proc.stderr
        assert "goal_idx1' was written with other stage-1 settings than goal_idx0 (env_name: " in proc.stderr
    if case.startswith("checkpoints"):
        assert re.search(
            r"problem: '.*goal_idx0/task\.json' lists checkpoint (None|'abc') among \[(None|'abc')\]: "
            r"expected whole numbers >= 0",
            proc.stderr,
        ), proc.stderr
    if case == "env_name a list":
        assert re.search(
            r"problem: '.*goal_idx0/task\.json' has env_name \['point-robot'\]: expected an env name", proc.stderr
        ), proc.stderr
    if case == "normalizer of another size":
        assert re.search(
            r"problem: '.*normalizer\.npz' holds abs_max of shape \(3,\): expected \(2,\), the "
            r"observation size of 'point-robot'$",
            proc.stderr,
            re.M,
        ), proc.stderr
    if code == 2:
        assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1


def beside(folder):
    """Files and folders next to `folder` whose names start with its own (the swap's temporary folders)."""
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


@pytest.mark.slow
def test_legacy_commands_refuse_a_non_empty_destination_unless_overwrite(tmp_path):
    """A second export into the same folder would leave the first one's files, an import into a dataset would
    replace its task.json: both refused; --overwrite replaces the destination whole."""
    from rlkit.data.meta import read_task_meta

    ours, legacy = tmp_path / "ours", tmp_path / "legacy"
    for t in (0, 1):
        write_task(ours, t)
    export_legacy(ours, legacy)
    with pytest.raises(
        UserError,
        match=r"destination '.*legacy' is not empty: expected a new or empty folder "
        r"\(--overwrite replaces it whole\)",
    ):
        export_legacy(ours, legacy)
    other = tmp_path / "other"
    write_task(other, 3, steps=(300,))
    export_legacy(other, legacy, overwrite=True)
    assert sorted(p.name for p in legacy.iterdir()) == ["goal_idx3"]  # nothing of the first export is left
    assert sorted(p.name for p in (legacy / "goal_idx3").iterdir()) == ["trj_eval0_step300.npy"] + [
        f"trj_evalsample{k}_step300.npy" for k in range(3)
    ]
    write_task_meta(task_dir(ours, 0), dict(read_task_meta(task_dir(ours, 0)), seed=7))
    with pytest.raises(UserError, match="is not empty"):
        import_legacy(legacy, ours, "point-robot", allow_pickle=True)
    assert read_task_meta(task_dir(ours, 0))["seed"] == 7  # the dataset's own task.json is kept
    import_legacy(legacy, ours, "point-robot", allow_pickle=True, overwrite=True)
    assert sorted(p.name for p in ours.iterdir()) == ["goal_idx3"] and read_task_meta(task_dir(ours, 3))["complete"]
    empty = tmp_path / "empty"
    empty.mkdir()
    export_legacy(ours, empty)  # an empty folder is a new destination
    assert beside(ours) == beside(legacy) == beside(empty) == []
    proc = run_here(["-m", "rlkit.data", "export-legacy", str(ours), str(legacy)], cwd=ROOT, check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("error: destination") and len(proc.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "dst", ["src", "src/sub", "src/goal_idx0", "."], ids=["same", "inside", "task folder", "parent"]
)
def test_legacy_destination_outside_the_source(tmp_path, dst):
    """SRC == DST, DST inside SRC, and DST holding SRC (which --overwrite would delete) are refused."""
    src = tmp_path / "src"
    write_task(src, 0)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for call in (
        lambda: export_legacy(src, tmp_path / dst, overwrite=True),
        lambda: import_legacy(src, tmp_path / dst, "point-robot", allow_pickle=True, overwrite=True),
    ):
        with pytest.raises(UserError, match="expected a folder outside the source"):
            call()
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_overwrite_that_fails_leaves_the_old_destination_whole(tmp_path):
    """The new tree is built beside the destination: a damaged source file met half-way through leaves the
    old dataset byte for byte, and no temporary folder behind."""
    from rlkit.fileio import read_tree

    ours, legacy = tmp_path / "ours", tmp_path / "legacy"
    for t in (0, 1):
        write_task(ours, t)
    export_legacy(ours, legacy)
    (legacy / "goal_idx1" / "trj_evalsample2_step200.npy").write_bytes(b"not a pickle")
    before = read_tree(ours)
    with pytest.raises(UserError, match=r"trj_evalsample2_step200\.npy' is truncated or unreadable"):
        import_legacy(legacy, ours, "point-robot", allow_pickle=True, overwrite=True)
    assert read_tree(ours) == before and beside(ours) == []


@pytest.mark.slow
def test_import_legacy_refuses_data_of_another_env(tmp_path):
    """Point-robot data imported as cheetah-vel: refused before anything is written, naming both sizes."""
    ours, legacy, back = tmp_path / "ours", tmp_path / "legacy", tmp_path / "back"
    write_task(ours, 0)
    export_legacy(ours, legacy)
    with pytest.raises(
        UserError,
        match=r"holds observations of size 2 and actions of size 2: expected 20 and 6 "
        r"\(those of 'cheetah-vel': is --env-name right\?\)",
    ):
        import_legacy(legacy, back, "cheetah-vel", allow_pickle=True, env_dims=(20, 6))
    assert not back.exists() and beside(back) == []
    proc = run_here(
        ["-m", "rlkit.data", "import-legacy", str(legacy), str(back), "--env-name", "cheetah-vel", "--allow-pickle"],
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2 and "expected 20 and 6" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert not back.exists()
    run_here(
        ["-m", "rlkit.data", "import-legacy", str(legacy), str(back), "--env-name", "point-robot", "--allow-pickle"],
        cwd=ROOT,
    )
    assert run_here(["-m", "rlkit.data", "check", str(back)], cwd=ROOT).returncode == 0


@pytest.mark.parametrize(
    "content,match",
    [
        (b"[1]", r"task.json' holds a JSON list: expected an object, the task record stage 1 writes$"),
        (b"\xff\xfe{", r"task.json' is not valid JSON \(.*codec.*\): expected the task record stage 1 writes$"),
        (b"{", r"task.json' is not valid JSON \(.*\): expected the task record stage 1 writes$"),
        (b'{"task": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", r"task.json' is not valid JSON \(nested too deeply\)"),
    ],
)
def test_a_damaged_task_json_is_one_line_for_loading_and_check(tmp_path, content, match):
    """For loading, one line; for `check`, a problem line, and the other tasks checked (a task.json nested deeper than
    Python's stack was a RecursionError traceback that stopped the check)."""
    from rlkit.data.meta import read_task_meta

    write_task(tmp_path, 0)
    write_task(tmp_path, 1)
    (task_dir(tmp_path, 0) / "task.json").write_bytes(content)
    with pytest.raises(UserError, match=match):
        read_task_meta(task_dir(tmp_path, 0))
    with pytest.raises(UserError, match=match):
        load_task_data(tmp_path, 0, [100], "sample", 3, "point-robot", 2, 2)
    report = check_dataset(tmp_path)
    assert len(report.problems) == 1 and re.search(match, report.problems[0]), report.problems
    assert report.lines[1].startswith("goal_idx1: point-robot task 1")


def test_extras_a_run_does_not_read_leave_its_fingerprint_alone(tmp_path):
    """`step{c}_extra.npz` written after a run of n_trj=3 (its step files hold 3 episodes) is not read by that
    run, so resuming it is not refused as "other data"; a run of n_trj=5 reads it, and its fingerprint changes
    with it."""
    from rlkit.data.fingerprint import dataset_fingerprint

    write_task(tmp_path, 0)
    before = {n: dataset_fingerprint(tmp_path, {0: [100, 200]}, ("sample", n)) for n in (3, 5)}
    write_checkpoint(task_dir(tmp_path, 0), 200, {"sample": make_trajs(2, seed=9)}, extra=True)
    after = {n: dataset_fingerprint(tmp_path, {0: [100, 200]}, ("sample", n)) for n in (3, 5)}
    assert after[3] == before[3] and after[5] != before[5]
    assert load_task_data(tmp_path, 0, [200], "sample", 3, "point-robot", 2, 2).n_traj == 3
    assert load_task_data(tmp_path, 0, [200], "sample", 5, "point-robot", 2, 2).n_traj == 5


def test_task_parameters_count_in_the_fingerprint_and_a_damaged_file_is_one_line(tmp_path):
    """A parameter family's task file is part of what a run reads: other parameters are other data, and a file
    that is not a JSON object stops the comparison with one line naming it."""
    from rlkit.data.dataset import TASK_PARAMS_FILE
    from rlkit.data.fingerprint import dataset_fingerprint

    write_task(tmp_path, 0)
    params = task_dir(tmp_path, 0) / TASK_PARAMS_FILE
    prints = []
    for mass in (1.0, 2.0):
        params.write_text(f'{{"params": {{"body_mass": [{mass}]}}}}')
        prints.append(dataset_fingerprint(tmp_path, {0: [100, 200]}, ("sample", 3))["digest"])
    assert prints[0] != prints[1]
    params.write_bytes(b'{"params": ')
    with pytest.raises(UserError, match=r"task_params.json' is not valid JSON \(.*\): expected the task parameters"):
        dataset_fingerprint(tmp_path, {0: [100, 200]}, ("sample", 3))


NORMALIZER_DAMAGE = {
    "no abs_max": (
        lambda p: np.savez(p, absmax=np.ones(2)),
        r"has no abs_max \(it holds \['absmax'\]\): expected an \.npz file holding abs_max",
    ),
    "truncated": (
        lambda p: p.write_bytes(b"PK\x03\x04 not a whole zip"),
        r"is truncated or unreadable \(BadZipFile: .*\): expected an \.npz file holding abs_max",
    ),
    "bare .npy": (
        lambda p: np.save(open(p, "wb"), np.ones(2)),
        r"is truncated or unreadable \(ValueError: not an \.npz archive\): expected an \.npz file holding abs_max",
    ),
    "other size": (
        lambda p: np.savez(p, abs_max=np.ones(3)),
        r"holds abs_max of shape \(3,\): expected \(2,\), the (env's )?observation size",
    ),
    "2-D": (lambda p: np.savez(p, abs_max=np.ones((1, 2))), r"holds abs_max of shape \(1, 2\): expected \(2,\)"),
    "nan": (
        lambda p: np.savez(p, abs_max=np.array([1.0, np.nan])),
        r"holds non-finite or negative abs_max values \[nan\]: expected an \.npz file holding abs_max, one finite "
        r"value >= 0 per observation entry",
    ),
    "negative": (
        lambda p: np.savez(p, abs_max=np.array([-2.0, 1.0])),
        r"holds non-finite or negative abs_max values \[-2\.0\]: expected .* one finite value >= 0",
    ),
    "strings": (lambda p: np.savez(p, abs_max=np.array(["a", "b"])), r"holds abs_max of type <U1: expected"),
    "pickled objects": (  # (never unpickled: a file from elsewhere could run code as it loads)
        lambda p: np.savez(p, abs_max=np.array([1.0, None], dtype=object)),
        r"is truncated or unreadable \(ValueError: Object arrays cannot be loaded when allow_pickle=False\)",
    ),
}


@pytest.mark.parametrize("damage", list(NORMALIZER_DAMAGE))
def test_a_bad_normalizer_is_one_line_naming_it_for_every_reader(tmp_path, damage):
    """A normalizer.npz without abs_max, truncated, of another size than the observations, or holding NaN, negative
    or non-numbers: one line naming it from the reader, check (a problem line; the tasks still checked), export and
    import (nothing written), instead of a KeyError/BadZipFile traceback or a broadcast error in the buffer."""
    write_fn, match = NORMALIZER_DAMAGE[damage]
    ours, legacy = tmp_path / "ours", tmp_path / "legacy"
    write_task(ours, 0)
    export_legacy(ours, legacy)
    for root in (ours, legacy):
        write_fn(root / "normalizer.npz")
    named = r"^'.*ours/normalizer\.npz' " + match
    with pytest.raises(UserError, match=named):
        read_normalizer(ours, 2)
    report = check_dataset(ours)  # the size: task.json's obs_dim
    assert len(report.problems) == 1 and re.search(named, report.problems[0]), report.problems
    assert report.lines[0].startswith("goal_idx0: point-robot task 0, 2 checkpoints")
    with pytest.raises(UserError, match=named):
        export_legacy(ours, tmp_path / "exported")
    with pytest.raises(UserError, match=r"^'.*legacy/normalizer\.npz' " + match):
        import_legacy(legacy, tmp_path / "back", "point-robot", allow_pickle=True, env_dims=(2, 2))
    assert not (tmp_path / "exported").exists() and not (tmp_path / "back").exists()


def test_prepare_refuses_a_normalizer_of_another_size_than_the_env_s(tmp_path):
    """Meta-training checks abs_max against the env's observation size before anything is loaded or written,
    instead of a broadcast error deep in the buffer."""
    import torch

    from rlkit.config import load_config
    from rlkit.experiment import prepare
    from tests.conftest import TINY_CONFIG

    for t in range(6):
        write_task(tmp_path, t)
    np.savez(tmp_path / "normalizer.npz", abs_max=np.ones(3))
    cfg = load_config(
        TINY_CONFIG, {"algo_params": {"data_dir": str(tmp_path)}, "util_params": {"base_log_dir": str(tmp_path)}}
    )
    with pytest.raises(
        UserError,
        match=r"^'.*normalizer\.npz' holds abs_max of shape \(3,\): expected \(2,\), the observation size of "
        r"'point-robot'$",
    ):
        prepare(cfg, 0, torch.device("cpu"))
    assert not (tmp_path / "point-robot").exists()


def write_raw_checkpoint(tdir, step, **changes):
    """step{step}.npz as write_checkpoint writes make_trajs(), its sample arrays replaced by `changes`."""
    t = make_trajs(seed=step)
    arrays = {f"sample_{f}": getattr(t, f) for f in ("obs", "actions", "rewards", "next_obs", "terminals")}
    arrays["sample_traj_lengths"] = t.traj_lengths.astype(np.int64)
    arrays.update({f"sample_{k}": v for k, v in changes.items()})
    np.savez(tdir / f"step{step}.npz", **arrays)


@pytest.mark.parametrize(
    "changes,match",
    [
        (dict(obs=np.zeros((11, 2), np.float32)), r"sample_obs has 11 rows: expected 12, one per transition"),
        (dict(terminals=np.zeros(13, np.float32)), r"sample_terminals has 13 rows: expected 12"),
        (
            dict(actions=np.zeros(12, np.float32)),
            r"sample_actions has shape \(12,\): expected a 2-D array, rows of numbers, one per transition$",
        ),
        (
            dict(rewards=np.zeros((12, 1), np.float32)),
            r"sample_rewards has shape \(12, 1\): expected a 1-D array, one number per transition$",
        ),
        (dict(next_obs=np.zeros((12, 3), np.float32)), r"sample_next_obs has rows of 3 values: expected 2"),
        (dict(next_obs=np.zeros((11, 2), np.float32)), r"sample_next_obs has 11 rows: expected 12, one per transition"),
        (dict(next_obs=np.zeros(12, np.float32)), r"sample_next_obs has shape \(12,\): expected a 2-D array"),
        (
            dict(traj_lengths=np.array([4, 0, 1, 7])),  # (the 1 is a length, not among those named)
            r"sample_traj_lengths holds episode lengths \[0\]: expected lengths >= 1",
        ),
        (dict(traj_lengths=np.array([8, -4, 8])), r"sample_traj_lengths holds episode lengths \[-4\]: expected"),
        (
            dict(traj_lengths=np.array([4.0, 4, 4])),
            r"sample_traj_lengths holds float64 values .*: expected a 1-D array",
        ),
        (dict(obs=np.array([["a", "b"]] * 12)), r"sample_obs holds <U1 values: expected numbers"),
    ],
)
def test_a_step_file_of_inconsistent_arrays_is_one_line_naming_file_and_field(tmp_path, changes, match):
    """Arrays of differing lengths, of another ndim, episode lengths < 1 (summing right): refused by the reader,
    one line naming the file and the field, for loading (instead of a concatenate/IndexError traceback in
    meta-training) and for check (a problem line, the other tasks still checked)."""
    write_task(tmp_path, 0)
    write_task(tmp_path, 1)
    write_raw_checkpoint(task_dir(tmp_path, 0), 200, **changes)
    named = r"^'.*goal_idx0/step200\.npz' \(sample\): " + match
    with pytest.raises(UserError, match=named):
        read_checkpoint(task_dir(tmp_path, 0), 200, "sample")
    with pytest.raises(UserError, match=named):
        load_task_data(tmp_path, 0, [100, 200], "sample", 2, "point-robot", 2, 2)
    report = check_dataset(tmp_path)
    assert len(report.problems) == 1 and re.search(named, report.problems[0]), report.problems
    assert len(report.lines) == 2 and report.lines[1].startswith("goal_idx1: point-robot task 1, 2 checkpoints")


def test_an_extra_file_of_other_sizes_is_one_line_for_loading(tmp_path):
    """Regenerated episodes of another observation size than the step file's: named, not a concatenate error."""
    write_task(tmp_path, 0)
    write_checkpoint(task_dir(tmp_path, 0), 200, {"sample": make_trajs(2, obs_dim=3, seed=9)}, extra=True)
    with pytest.raises(
        UserError, match=r"^'.*step200_extra\.npz' has observation size \(3,\) and action size \(2,\): expected \(2,\)"
    ):
        load_task_data(tmp_path, 0, [200], "sample", 5, "point-robot", 2, 2)


@pytest.mark.parametrize(
    "changes,match",
    [
        (dict(checkpoints=[None]), r"lists checkpoint None among \[None\]: expected whole numbers >= 0"),
        (dict(checkpoints=["abc"]), r"lists checkpoint 'abc' among \['abc'\]: expected whole numbers >= 0"),
        (dict(checkpoints=[100, 200.5]), r"lists checkpoint 200\.5 among \[100, 200\.5\]: expected whole numbers"),
        (dict(checkpoints=[[100]]), r"lists checkpoint \[100\] among \[\[100\]\]: expected whole numbers"),
        (dict(checkpoints=[True]), r"lists checkpoint True among \[True\]: expected whole numbers"),
        (dict(checkpoints=[-100]), r"lists checkpoint -100 among \[-100\]: expected whole numbers >= 0"),
        (dict(checkpoints=100), r"has checkpoints 100: expected a list of checkpoint steps"),
        (dict(env_name=["point-robot"]), r"has env_name \['point-robot'\]: expected an env name, a string"),
        (dict(env_name={"a": 1}), r"has env_name \{'a': 1\}: expected an env name, a string"),
    ],
)
def test_a_task_json_of_unusable_checkpoints_or_env_name_is_one_line(tmp_path, changes, match):
    """Checkpoints [null] / ["abc"] / an env_name list: check reports one problem line naming task.json and goes
    on to the other tasks (instead of a TypeError at int(step) or an unhashable env name in the env-size cache);
    loading and export stop with the same line."""
    import functools

    from rlkit.data.meta import read_task_meta

    d = write_task(tmp_path, 0)
    write_task(tmp_path, 1)
    write_task_meta(d, dict(read_task_meta(d), **changes))
    named = r"^'.*goal_idx0/task\.json' " + match
    report = check_dataset(tmp_path, functools.cache(lambda name: (2, 2)))  # cached by name, as the CLI's
    assert len(report.problems) == 1 and re.search(named, report.problems[0]), report.problems
    assert report.lines == [
        "goal_idx0: no usable task.json",
        "goal_idx1: point-robot task 1, 2 checkpoints, 32 transitions, complete",
    ]
    with pytest.raises(UserError, match=named):
        load_task_data(tmp_path, 0, [100], "sample", 2, "point-robot", 2, 2)
    with pytest.raises(UserError, match=named):
        export_legacy(tmp_path, tmp_path.parent / f"{tmp_path.name}-exported")


def save_legacy_rows(path, rows):
    """A reference trajectory file: an object array of `rows`, as the reference's np.save(np.array(trj))."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.empty(len(rows), dtype=object)
    arr[:] = [list(r) for r in rows]
    np.save(path, arr, allow_pickle=True)


def legacy_row(obs=(0.1, 0.2), act=(0.3, -0.4), rew=1.0, nxt=(0.2, 0.3)):
    return [np.array(obs), np.array(act), rew, np.array(nxt)]


@pytest.mark.parametrize(
    "rows,match",
    [
        (
            [legacy_row(), legacy_row(obs=(0.1, 0.2, 0.3))],
            r"holds observations of sizes \[2, 3\]: expected one size \(>= 1\) in every row",
        ),
        ([legacy_row(), legacy_row()[:3]], r"row 1 holds 3 entries: expected 4, a reference trajectory file of rows"),
        ([legacy_row(rew=None)], r"holds non-finite values in \['rewards'\] \(NaN, inf, None or beyond float32's"),
        ([legacy_row(), legacy_row(rew=float("nan"))], r"holds non-finite values in \['rewards'\]"),
        ([legacy_row(nxt=(np.inf, 0.0))], r"holds non-finite values in \['next_obs'\]"),
        ([legacy_row(obs=(1e39, 0.0))], r"holds non-finite values in \['obs'\] \(NaN, inf, None or beyond float32's"),
        ([legacy_row(rew=np.array([1.0, 2.0]))], r"holds rewards of sizes \[2\]: expected one number per row"),
        ([legacy_row(act=("a", "b"))], r"row 0 is not \[obs, action, reward, next_obs\] of numbers \(ValueError"),
        ([legacy_row(nxt=(0.1, 0.2, 0.3))], r"holds observations of size 2 and next observations of size 3"),
    ],
)
def test_import_legacy_refuses_malformed_rows_in_one_line(tmp_path, rows, match):
    """Rows of differing widths, too few entries, a None/NaN/inf value: one line naming the file (nothing
    written), instead of an np.stack/IndexError/TypeError traceback or NaN imported silently."""
    src, dst = tmp_path / "legacy", tmp_path / "back"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row()] * 3)
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample1_step100.npy", rows)
    with pytest.raises(UserError, match=r"^'.*goal_idx0/trj_evalsample1_step100\.npy' " + match):
        import_legacy(src, dst, "point-robot", allow_pickle=True, env_dims=(2, 2))
    assert not dst.exists() and beside(dst) == []
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample1_step100.npy", [legacy_row(rew=2.5)] * 2)
    import_legacy(src, dst, "point-robot", allow_pickle=True, env_dims=(2, 2))  # well-formed rows import
    t = read_checkpoint(task_dir(dst, 0), 100, "sample")
    assert t.traj_lengths.tolist() == [3, 2] and t.rewards.tolist() == [1.0] * 3 + [2.5] * 2


@pytest.mark.parametrize("name", ["trj_evalsample01_step100.npy", "trj_evalsample1_step0100.npy"])
def test_import_legacy_refuses_a_file_name_with_a_leading_zero(tmp_path, name):
    """The reference's loader opens only trj_evalsample{k}_step{c}.npy: a copy named with a leading zero was imported
    as episode 1 of checkpoint 100 a second time (and sorted before the real one). It is one line naming it."""
    src, dst = tmp_path / "legacy", tmp_path / "back"
    for k in (0, 1):
        save_legacy_rows(src / "goal_idx0" / f"trj_evalsample{k}_step100.npy", [legacy_row()] * 3)
    save_legacy_rows(src / "goal_idx0" / name, [legacy_row(rew=9.0)] * 4)
    with pytest.raises(
        UserError, match=re.escape(name) + r"': expected trj_evalsample\{k\}_step\{c\}.npy with k and c"
    ):
        import_legacy(src, dst, "point-robot", allow_pickle=True, env_dims=(2, 2))
    assert not dst.exists()


def test_import_legacy_names_a_pickle_of_a_class_this_python_lacks_in_one_line(tmp_path):
    """A pickled .npy refers to modules and classes (numpy 2's object arrays to numpy._core): one this Python lacks
    raised ModuleNotFoundError or AttributeError through np.load, a traceback; it is the file's one line."""
    src, dst = tmp_path / "legacy", tmp_path / "back"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row()] * 3)
    bad = src / "goal_idx0" / "trj_evalsample1_step100.npy"
    save_legacy_rows(bad, [legacy_row()] * 3)
    raw = bad.read_bytes()
    start = raw.index(b"\n", 10) + 1  # after the .npy header: the pickle of the object array
    bad.write_bytes(raw[:start] + b"cnonexistent_mod\nThing\n.")
    with pytest.raises(
        UserError, match=r"trj_evalsample1_step100.npy' is truncated or unreadable \(ModuleNotFoundError\)"
    ):
        import_legacy(src, dst, "point-robot", allow_pickle=True, env_dims=(2, 2))
    assert not dst.exists()


def test_export_legacy_writes_the_extra_episodes_and_import_round_trips_them(tmp_path):
    """A checkpoint's step{c}_extra.npz episodes are exported too, k numbered on from its step file's own, so
    export -> import keeps every episode and a run of n_trj needing them reads the same data from either."""
    ours, legacy, back = tmp_path / "ours", tmp_path / "legacy", tmp_path / "back"
    d = write_task(ours, 0)
    extra = make_trajs(2, length=5, seed=9)
    write_checkpoint(d, 200, {"sample": extra}, extra=True)
    np.savez(ours / "normalizer.npz", abs_max=np.array([2.0, 4.0]))
    export_legacy(ours, legacy)
    names = sorted(p.name for p in (legacy / "goal_idx0").iterdir())
    assert [n for n in names if n.endswith("_step200.npy")] == ["trj_eval0_step200.npy"] + [
        f"trj_evalsample{k}_step200.npy" for k in range(5)
    ]
    assert "trj_evalsample3_step100.npy" not in names  # checkpoint 100 has no extra file
    rows = np.load(legacy / "goal_idx0" / "trj_evalsample4_step200.npy", allow_pickle=True)
    assert len(rows) == 5
    np.testing.assert_allclose(rows[0][0], extra.obs[5] / (np.array([2.0, 4.0]) + 1e-8), rtol=1e-6)
    import_legacy(legacy, back, "point-robot", allow_pickle=True, env_dims=(2, 2))
    for step, n in ((100, 3), (200, 5)):
        a = load_task_data(ours, 0, [step], "sample", n, "point-robot", 2, 2)
        b = load_task_data(back, 0, [step], "sample", n, "point-robot", 2, 2)
        assert b.n_traj == n
        np.testing.assert_array_equal(a.traj_lengths, b.traj_lengths)
        for f in ("obs", "actions", "rewards", "next_obs"):
            np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-6)


@pytest.mark.slow
def test_legacy_clis_name_a_bad_normalizer_or_row_in_one_line(tmp_path):
    """Through the CLIs: a truncated normalizer.npz (export and import) and a file of ragged rows (import) are
    one line naming the file, exit 2, no traceback, nothing written."""
    ours, legacy = tmp_path / "ours", tmp_path / "legacy"
    write_task(ours, 0)
    export_legacy(ours, legacy)
    (ours / "normalizer.npz").write_bytes(b"PK\x03\x04")
    proc = run_here(["-m", "rlkit.data", "export-legacy", str(ours), str(tmp_path / "ex")], cwd=ROOT, check=False)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert re.match(r"error: '.*ours/normalizer\.npz' is truncated or unreadable \(BadZipFile", proc.stderr)
    save_legacy_rows(legacy / "goal_idx0" / "trj_evalsample1_step100.npy", [legacy_row(), legacy_row(act=(1.0,))])
    args = ["-m", "rlkit.data", "import-legacy", str(legacy), str(tmp_path / "im"), "--env-name", "point-robot"]
    proc = run_here([*args, "--allow-pickle"], cwd=ROOT, check=False)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert re.match(
        r"error: '.*goal_idx0/trj_evalsample1_step100\.npy' holds actions of sizes \[1, 2\]: expected one size",
        proc.stderr,
    )
    assert not (tmp_path / "ex").exists() and not (tmp_path / "im").exists()
    proc = run_here([*args[:-2], "--allow-pickle"], cwd=ROOT, check=False)  # no env to hold the sizes to: refused
    assert proc.returncode == 2 and proc.stderr == "error: Missing option '--env-name'.\n", proc.stderr
    assert not (tmp_path / "im").exists()


def test_data_of_an_older_physics_is_refused_by_loading_and_regenerate(tmp_path):
    """A family whose simulation changed (`physics_version`: hopper and walker at the reference's timestep, humanoid's
    hip range, twice) refuses stage-1 data written before, whose task.json records an older version or none (1);
    imported reference data is not versioned."""

    from rlkit.behaviour.regenerate import check_task_env
    from rlkit.data.meta import physics_problem
    from rlkit.tasks import env_class

    assert env_class("hopper-rand-params").physics_version == 2 and env_class("humanoid-dir").physics_version == 3
    assert env_class("point-robot").physics_version == 1
    tdir = tmp_path / "goal_idx0"
    assert physics_problem(tdir, {"env_name": "point-robot"}, 1) is None
    assert physics_problem(tdir, {"env_name": "x", "source": "import-legacy /r"}, 2) is None
    message = physics_problem(tdir, {"env_name": "hopper-rand-params", "physics": 1}, 2)
    assert message.endswith(
        "task.json' was written with 'hopper-rand-params''s physics version 1: expected 2, this code's (the family's "
        "simulation changed since: docs/environments.md); write the data again with policy_train.py"
    )
    write_task(tmp_path, 0)
    assert load_task_data(tmp_path, 0, [100], "sample", 3, "point-robot", 2, 2, physics_version=1).n_traj == 3
    with pytest.raises(UserError, match=r"physics version 1: expected 2"):
        load_task_data(tmp_path, 0, [100], "sample", 3, "point-robot", 2, 2, physics_version=2)
    meta = json.loads((task_dir(tmp_path, 0) / "task.json").read_text())
    with pytest.raises(UserError, match=r"'hopper-rand-params''s physics version 1: expected 2"):
        check_task_env("hopper-rand-params", {"n_tasks": 2}, tmp_path, 0, dict(meta, env_name="hopper-rand-params"))


def test_only_canonical_task_folder_names_are_tasks():
    """goal_idx01 is not task 1's folder (the loader reads goal_idx1): counted as task 1 beside it, check and import
    would merge the two; a non-ASCII digit made int() fail."""
    from rlkit.data.dataset import parse_task_dir

    assert [parse_task_dir(n) for n in ("goal_idx0", "goal_idx12", "goal_idx01", "goal_idx\u0661", "goal_idx")] == [
        0,
        12,
        None,
        None,
        None,
    ]


def test_an_episode_of_one_step_is_read(tmp_path):
    """The bound is lengths >= 1, not > 1: an env that ends at its first step leaves an episode of one row."""
    write_task(tmp_path, 0)
    write_raw_checkpoint(task_dir(tmp_path, 0), 200, traj_lengths=np.array([4, 1, 7]))
    assert read_checkpoint(task_dir(tmp_path, 0), 200, "sample").traj_lengths.tolist() == [4, 1, 7]


def test_a_step_file_of_pickled_objects_is_refused_unread(tmp_path):
    """An object array (pickled: a file from elsewhere could run code as it loads) is never unpickled: the reader
    that takes what the fast path cannot refuses it, one line naming the file (not "holds object values", which
    would mean it was loaded)."""
    write_task(tmp_path, 0)
    write_raw_checkpoint(task_dir(tmp_path, 0), 200, obs=np.array([[1.0, None]] * 12, dtype=object))
    with pytest.raises(
        UserError, match=r"^'.*step200\.npz' is truncated or unreadable \(ValueError: Object arrays cannot be loaded "
    ):
        read_checkpoint(task_dir(tmp_path, 0), 200, "sample")


def test_terminals_other_than_0_or_1_or_inside_an_episode_are_one_line(tmp_path):
    """docs/data-format.md: a terminal is 0 or 1, and 1 only where the env ended an episode (its last row)."""
    d = write_task(tmp_path, 0)
    t = make_trajs(seed=100)
    ends = np.cumsum(t.traj_lengths) - 1
    at_end = t.terminals.copy()
    at_end[ends[0]] = 1.0
    write_checkpoint(d, 100, {"sample": Trajectories(t.obs, t.actions, t.rewards, t.next_obs, at_end, t.traj_lengths)})
    assert read_checkpoint(d, 100, "sample").terminals[ends[0]] == 1.0  # an episode the env ended
    for terminals, said in [
        (np.where(np.arange(len(t)) == 1, 0.5, 0.0), r"\(sample\): sample_terminals holds \[0.5\]: expected 0 or 1"),
        (np.where(np.arange(len(t)) == 1, 1.0, 0.0), r"sample_terminals is 1 at row 1, inside an episode"),
    ]:
        write_checkpoint(
            d,
            100,
            {
                "sample": Trajectories(
                    t.obs, t.actions, t.rewards, t.next_obs, terminals.astype(np.float32), t.traj_lengths
                )
            },
        )
        with pytest.raises(UserError, match=said):
            read_checkpoint(d, 100, "sample")


def test_a_folder_swapped_in_is_on_the_disk_before_the_old_one_goes(tmp_path, monkeypatch):
    """import/export --overwrite builds the new folder beside the old one and swaps it in: every new file is synced
    before the swap (else a crash could leave the old copy deleted and the new one's files empty), and a failed swap
    says where both copies are."""

    import rlkit.data.legacy as legacy

    dst = tmp_path / "data"
    dst.mkdir()
    (dst / "old.txt").write_text("old")
    events, real_fsync, real_replace = [], os.fsync, os.replace

    def build(folder):
        (folder / "sub").mkdir()
        for name in ("a.npz", "sub/b.npz"):
            (folder / name).write_bytes(b"new")
        return 2

    def fsync(fd):
        events.append(("sync", os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))))
        real_fsync(fd)

    monkeypatch.setattr(legacy.os, "fsync", fsync)
    monkeypatch.setattr(
        legacy.os, "replace", lambda a, b: events.append(("replace", os.path.basename(b))) or real_replace(a, b)
    )
    assert legacy.build_then_swap(dst, build) == 2
    first_swap = events.index(("replace", "data"))
    assert {("sync", "a.npz"), ("sync", "b.npz")} <= set(events[:first_swap])
    assert sorted(p.name for p in dst.rglob("*")) == ["a.npz", "b.npz", "sub"]

    def failing(a, b):
        if os.path.basename(b) == "data":
            raise OSError(28, "No space left on device")
        real_replace(a, b)

    monkeypatch.setattr(legacy.os, "replace", failing)
    with pytest.raises(OSError, match=r"the new copy is at '.*\.new'; the previous '.*data' is at '.*\.old'"):
        legacy.build_then_swap(dst, build)


def test_chained_episodes_take_the_next_steps_obs_inside_an_episode_only():
    """Synthetic data as stage 1 writes it: episodes of 2 and 3 steps; rows 0, 2 and 3 lead to the next row's obs,
    each episode's last row (1 and 4) keeps its own next obs."""
    obs = np.arange(10, dtype=np.float32).reshape(5, 2)
    d = Trajectories(obs, np.zeros((5, 1)), np.zeros(5), -obs, np.zeros(5), np.array([2, 3])).chained()
    np.testing.assert_array_equal(d.next_obs, [[2, 3], [-2, -3], [6, 7], [8, 9], [-8, -9]])


# A mutation audit of rlkit/data: each test below fails under a one-line slip that every other test
# passed (scripts/mutation_check.py EDITS).


def write_returns(d, steps=(100, 200)):
    """The returns.csv stage 1 writes for task folder `d` (mean return of each kind's episodes, nan for none)."""
    rows = ["checkpoint,stochastic_return,deterministic_return"]
    for step in steps:
        means = []
        for kind in ("sample", "eval"):
            t = read_checkpoint(d, step, kind, missing_ok=True)
            means.append("nan" if t is None else repr(float(t.rewards.astype(np.float64).sum()) / t.n_traj))
        rows.append(f"{step},{means[0]},{means[1]}")
    (d / "returns.csv").write_text("\n".join(rows) + "\n")


# ----------------------------------------------------------------------------------------------- check.py


def test_check_leaves_a_stray_step_named_file_alone(tmp_path):
    """A file such as step100_backup.npz is not a step file; check must not crash on int('100_backup'), nor on
    int('1²') (step1².npz: '²'.isdigit() is True); nor is step0300.npz one (no file of ours has a leading zero): read
    as checkpoint 300, it was called a step file task.json does not list, and in a task under way a checkpoint
    written, then "missing checkpoint file step300.npz"."""
    d = write_task(tmp_path, 0)
    (d / "step100_backup.npz").write_bytes((d / "step100.npz").read_bytes())
    (d / "step1².npz").write_bytes((d / "step100.npz").read_bytes())
    (d / "step0300.npz").write_bytes((d / "step100.npz").read_bytes())
    report = check_dataset(tmp_path)
    assert report.problems == [] and report.lines[0].endswith("complete")


def test_check_reads_a_damaged_extra_file(tmp_path):
    """A truncated step{c}_extra.npz (read by runs of a larger n_trj) is a problem line naming it."""
    d = write_task(tmp_path, 0)
    extra = write_checkpoint(d, 200, {"sample": make_trajs(2, seed=9)}, extra=True)
    assert check_dataset(tmp_path).problems == []
    assert "32 transitions" not in check_dataset(tmp_path).lines[0]  # the extra's 8 transitions are counted
    extra.write_bytes(extra.read_bytes()[:200])
    (problem,) = check_dataset(tmp_path).problems
    assert "step200_extra.npz" in problem and "truncated or unreadable" in problem
    # every kind of episode an extra file holds is read: a NaN in its eval episodes (which an eval run loads)
    bad = make_trajs(2, seed=3)
    bad.obs[1, 0] = np.nan
    write_checkpoint(d, 200, {"sample": make_trajs(2, seed=9), "eval": bad}, extra=True)
    (problem,) = check_dataset(tmp_path).problems
    assert "step200_extra.npz' (eval)" in problem and "non-finite" in problem, problem


def test_check_accepts_files_whose_action_size_differs_from_the_observation_size(tmp_path):
    """A task.json of obs 3 / action 2 and files of those shapes are usable: no problem line. (A slip here is caught
    otherwise only by the slow tests/test_families_smoke.py; this is a fast guard.)"""
    write_task(tmp_path, 0, obs_dim=3, act_dim=2)
    report = check_dataset(tmp_path)
    assert report.problems == [], report.problems


def test_check_flags_an_action_size_other_than_the_envs(tmp_path):
    """A task.json (and files) saying action size 2 while the env's is 3 is data of another env: a problem line."""
    write_task(tmp_path, 0)
    problems = check_dataset(tmp_path, env_dims=lambda name: (2, 3)).problems
    assert any("says observation/action sizes 2/2: expected 2/3" in p for p in problems), problems


def test_check_flags_a_returns_csv_that_says_nan_where_there_are_episodes(tmp_path):
    """A returns.csv that says no deterministic return (nan) at a checkpoint whose step file holds eval episodes is a
    problem line."""
    d = write_task(tmp_path, 0)
    write_returns(d)
    assert check_dataset(tmp_path).problems == []
    lines = (d / "returns.csv").read_text().splitlines()
    step, sample, _ = lines[2].split(",")
    (d / "returns.csv").write_text("\n".join([*lines[:2], f"{step},{sample},nan"]) + "\n")
    (problem,) = check_dataset(tmp_path).problems
    assert "says deterministic_return nan at checkpoint 200" in problem


def test_check_names_a_stale_returns_csv_in_one_line(tmp_path):
    """A returns.csv wrong at every checkpoint is one problem line, not one per row."""
    d = write_task(tmp_path, 0)
    write_returns(d)
    lines = (d / "returns.csv").read_text().splitlines()
    rows = [f"{c},{float(s) + 5},{e}" for c, s, e in (line.split(",") for line in lines[1:])]
    (d / "returns.csv").write_text("\n".join([lines[0], *rows]) + "\n")
    problems = check_dataset(tmp_path).problems
    assert len(problems) == 1 and "returns.csv" in problems[0], problems


def test_check_does_not_compare_an_interrupted_tasks_returns_csv(tmp_path):
    """An interrupted task is one problem line (rerun to resume it), not also a returns.csv line about the checkpoints
    it has not finished."""
    write_task(tmp_path, 0)
    d = write_task(tmp_path, 1)
    write_returns(d, steps=(100,))
    write_task_meta(d, dict(read_task_meta(d), complete=False, checkpoints=[100]))
    problems = [p for p in check_dataset(tmp_path).problems if "goal_idx1" in p]
    assert len(problems) == 1 and "interrupted stage-1 task" in problems[0], problems


def test_check_compares_the_normalizer_with_an_observation_size_of_one(tmp_path):
    """Tasks of observation size 1 and a normalizer of 2 entries: the normalizer is a problem."""
    write_task(tmp_path, 0, obs_dim=1)
    np.savez(tmp_path / "normalizer.npz", abs_max=np.ones(2))
    problems = check_dataset(tmp_path).problems
    assert len(problems) == 1 and "holds abs_max of shape (2,): expected (1,)" in problems[0], problems


def test_check_does_not_hold_the_normalizer_to_one_of_several_observation_sizes(tmp_path):
    """Tasks of sizes 2 and 3 (without env_dims no size is the env's): the normalizer is checked for shape only, not
    against the first task's size."""
    write_task(tmp_path, 0, obs_dim=2)
    write_task(tmp_path, 1, obs_dim=3)
    np.savez(tmp_path / "normalizer.npz", abs_max=np.ones(3))
    assert [p for p in check_dataset(tmp_path).problems if "normalizer" in p] == []


def test_check_shows_ten_missing_tasks_without_an_ellipsis(tmp_path):
    """The line names up to ten missing task folders in full; exactly ten is not cut short with ', ...', eleven are
    the first ten and ', ...'."""
    write_task(tmp_path, 0)
    for n_tasks, more in [(11, ""), (12, ", ...")]:
        record = {"env_name": "point-robot", "env_params": {"n_tasks": n_tasks}}
        (tmp_path / "stage1_settings.json").write_text(json.dumps(record))
        (problem,) = check_dataset(tmp_path).problems
        assert problem.endswith(
            f"has no task folder for {n_tasks - 1} of the {n_tasks} tasks that stage1_settings.json records "
            f"(env_params.n_tasks {n_tasks}): "
            + ", ".join(f"goal_idx{i}" for i in range(1, 11))
            + f"{more}; expected goal_idx0..goal_idx{n_tasks - 1} (a --split part not run, or one that failed? "
            "rerun it)"
        ), problem


def test_check_compares_only_the_settings_the_dataset_records(tmp_path):
    """A stage1_settings.json that records fewer settings than task.json (written before one was recorded, e.g. without
    seeding) holds the tasks to what it records: no task is of other settings for what it does not say."""
    tasks = [write_task(tmp_path, i) for i in (0, 1)]
    for d in tasks:
        write_task_meta(d, dict(read_task_meta(d), schedule={"seed": 0}, seeding=2))
    (tmp_path / "stage1_settings.json").write_text(json.dumps({"env_name": "point-robot", "schedule": {"seed": 0}}))
    assert check_dataset(tmp_path).problems == []


def test_check_holds_the_normalizer_to_the_envs_observation_size_not_its_action_size(tmp_path):
    """An env of observation size 2 and action size 3 (env_dims is observation, then action), a normalizer of 2 entries:
    usable."""
    write_task(tmp_path, 0, obs_dim=2, act_dim=3)
    np.savez(tmp_path / "normalizer.npz", abs_max=np.ones(2))
    assert check_dataset(tmp_path, env_dims=lambda name: (2, 3)).problems == []


def _unknown_env(name):
    raise UserError(f"unknown env {name!r}")


def test_check_of_an_unknown_env_names_it_and_holds_the_normalizer_to_task_json(tmp_path):
    """When env_dims does not know the task's env, a problem line names it, and the normalizer is still compared with
    the observation size task.json gives."""
    write_task(tmp_path, 0, env_name="no-such-env")
    np.savez(tmp_path / "normalizer.npz", abs_max=np.ones(3))
    problems = check_dataset(tmp_path, env_dims=_unknown_env).problems
    assert any("task.json' names env 'no-such-env': unknown env 'no-such-env'" in p for p in problems), problems
    assert any(
        "normalizer.npz' holds abs_max of shape (3,): expected (2,), the observation size" in p and "task.json" in p
        for p in problems
    ), problems


def test_check_accepts_a_task_json_without_sizes(tmp_path):
    """A task.json without obs_dim/action_dim (the loader checks the files against the env alone): check accepts it,
    and given env_dims holds its step files to the env's sizes as the loader does: files of 2 observation entries
    under an env of 3 are a problem (check passed them, and stage 2 refused the data); and a task.json that names no
    env is one too (the loader's "is for env None")."""
    d = write_task(tmp_path, 0)
    meta = read_task_meta(d)
    write_task_meta(d, {k: v for k, v in meta.items() if k not in ("obs_dim", "action_dim")})
    assert check_dataset(tmp_path).problems == []
    assert check_dataset(tmp_path, env_dims=lambda name: (2, 2)).problems == []
    problems = check_dataset(tmp_path, env_dims=lambda name: (3, 2)).problems
    assert len(problems) == 4 and all("npz' (" in p and ") has observation/action shapes" in p for p in problems)
    assert problems[0].endswith("(2,)/(2,): expected (3,)/(2,), 'point-robot''s (task.json gives none)"), problems
    write_task_meta(d, {k: v for k, v in meta.items() if k not in ("obs_dim", "action_dim", "env_name")})

    def known(name):
        if name != "point-robot":
            raise UserError(f"unknown env_name {name!r}: expected one of ['point-robot']")
        return 2, 2

    (problem,) = check_dataset(tmp_path, env_dims=known).problems
    assert problem.endswith("task.json' names env None: unknown env_name None: expected one of ['point-robot']")


def test_check_flags_a_returns_csv_that_lists_a_checkpoint_twice(tmp_path):
    """A returns.csv of rows 100, 200, 200 for task.json's [100, 200] is not the step files' table: a problem line."""
    d = write_task(tmp_path, 0)
    write_returns(d)
    lines = (d / "returns.csv").read_text().splitlines()
    (d / "returns.csv").write_text("\n".join([*lines, lines[-1]]) + "\n")
    (problem,) = check_dataset(tmp_path).problems
    assert "returns.csv' lists checkpoints [100, 200, 200]: expected task.json's [100, 200]" in problem


def test_check_names_an_extra_file_of_a_checkpoint_task_json_does_not_list(tmp_path):
    """A step300_extra.npz beside a task of checkpoints [100, 200] (left by another run) is named as an unlisted step
    file."""
    d = write_task(tmp_path, 0)
    write_checkpoint(d, 300, {"sample": make_trajs(2, seed=9)}, extra=True)
    (problem,) = check_dataset(tmp_path).problems
    assert "holds step files that task.json does not list: ['step300_extra.npz']" in problem


# ----------------------------------------------------------------------------------------------- fingerprint.py


def test_fingerprint_covers_the_task_description(tmp_path):
    """The same episodes under a task.json describing another task are other data."""
    from rlkit.data.fingerprint import dataset_fingerprint

    d = write_task(tmp_path, 0)
    write_task_meta(d, dict(read_task_meta(d), task={"goal": [0.5, 0.5]}))
    before = dataset_fingerprint(tmp_path, {0: [100, 200]}, ("sample", 3))
    write_task_meta(d, dict(read_task_meta(d), task={"goal": [0.6, 0.5]}))
    after = dataset_fingerprint(tmp_path, {0: [100, 200]}, ("sample", 3))
    assert before["digest"] != after["digest"] and before["tasks"]["0"] != after["tasks"]["0"]


def test_fingerprint_of_a_missing_step_file_is_none(tmp_path):
    """A checkpoint the run reads that has no file gives no fingerprint (not the digest of the others)."""
    from rlkit.data.fingerprint import dataset_fingerprint, task_fingerprint

    write_task(tmp_path, 0)
    assert task_fingerprint(tmp_path, 0, [100, 300], ("sample", 3)) is None
    assert dataset_fingerprint(tmp_path, {0: [100, 300]}, ("sample", 3)) is None


def test_fingerprint_of_an_eval_run_counts_the_eval_episodes(tmp_path):
    """A run reading 'eval' episodes (1 per step file here) with n_trj 2 reads the extra file, so its fingerprint
    changes with it; a run of n_trj 1 does not read it."""
    from rlkit.data.fingerprint import dataset_fingerprint

    write_task(tmp_path, 0)  # 3 sample, 1 eval episodes per checkpoint
    before = {n: dataset_fingerprint(tmp_path, {0: [200]}, ("eval", n)) for n in (1, 2)}
    write_checkpoint(task_dir(tmp_path, 0), 200, {"eval": make_trajs(2, seed=9)}, extra=True)
    after = {n: dataset_fingerprint(tmp_path, {0: [200]}, ("eval", n)) for n in (1, 2)}
    assert after[1] == before[1] and after[2] != before[2]
    assert load_task_data(tmp_path, 0, [200], "eval", 2, "point-robot", 2, 2).n_traj == 2


def test_fingerprint_covers_the_normalizer(tmp_path):
    """Another normalizer.npz is other data (observations divided by other values)."""
    from rlkit.data.fingerprint import dataset_fingerprint

    write_task(tmp_path, 0)
    np.savez(tmp_path / "normalizer.npz", abs_max=np.array([1.0, 2.0]))
    a = dataset_fingerprint(tmp_path, {0: [100]}, ("sample", 3))
    np.savez(tmp_path / "normalizer.npz", abs_max=np.array([1.0, 3.0]))
    b = dataset_fingerprint(tmp_path, {0: [100]}, ("sample", 3))
    assert a["tasks"] == b["tasks"] and a["digest"] != b["digest"]


def test_fingerprint_of_a_missing_task_is_none(tmp_path):
    """A task the run reads that has no folder (or no task.json) gives no dataset fingerprint, not the digest of the
    tasks that are there."""
    from rlkit.data.fingerprint import dataset_fingerprint

    write_task(tmp_path, 0)
    assert dataset_fingerprint(tmp_path, {0: [100]}, ("sample", 3)) is not None
    assert dataset_fingerprint(tmp_path, {0: [100], 1: [100]}, ("sample", 3)) is None


def test_a_damaged_deflate_stream_in_a_fingerprinted_file_is_one_line(tmp_path):
    """A compressed normalizer.npz (a legacy import copies it as it is) whose deflate stream is invalid raises
    zlib.error inside zipfile: one UserError naming the file, not a zlib traceback."""
    import hashlib
    import zipfile

    from rlkit.data.fingerprint import _add_npz

    path = tmp_path / "normalizer.npz"
    np.savez_compressed(path, abs_max=np.arange(4096, dtype=np.float64))
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("abs_max.npy")
    o = info.header_offset
    start = o + 30 + int.from_bytes(raw[o + 26 : o + 28], "little") + int.from_bytes(raw[o + 28 : o + 30], "little")
    raw[start] |= 0x06  # the first deflate block's type 3: invalid ("invalid block type")
    path.write_bytes(raw)
    with pytest.raises(UserError, match=r"normalizer\.npz' is truncated or unreadable \(error: "):
        _add_npz(hashlib.sha256(), path)


# ----------------------------------------------------------------------------------------------- legacy.py


def test_import_legacy_refuses_rows_of_five_entries(tmp_path):
    """Rows [obs, action, reward, next_obs, done] are another layout: refused, not read as their first four."""
    src = tmp_path / "legacy"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row() + [0.0]] * 2)
    with pytest.raises(UserError, match=r"row 0 holds 5 entries: expected 4"):
        import_legacy(src, tmp_path / "back", "point-robot", allow_pickle=True, env_dims=(2, 2))
    assert not (tmp_path / "back").exists()


def test_import_legacy_refuses_an_empty_trajectory_file_in_one_line(tmp_path):
    """A reference file of no rows is a UserError naming it, not an IndexError traceback."""
    src = tmp_path / "legacy"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row()] * 2)
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample1_step100.npy", [])
    with pytest.raises(UserError, match=r"trj_evalsample1_step100\.npy' holds no rows"):
        import_legacy(src, tmp_path / "back", "point-robot", allow_pickle=True, env_dims=(2, 2))


def test_import_legacy_refuses_observations_of_size_zero(tmp_path):
    """Rows whose observations are empty arrays (no env given) are refused, not imported as obs_dim 0."""
    src = tmp_path / "legacy"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row(obs=(), nxt=())] * 2)
    with pytest.raises(UserError, match=r"holds observations of sizes \[0\]: expected one size \(>= 1\)"):
        import_legacy(src, tmp_path / "back", "point-robot", allow_pickle=True)
    assert not (tmp_path / "back").exists()


def test_import_legacy_refuses_another_action_size_than_the_envs(tmp_path):
    """Files of action size 2 imported for an env of action size 3 are refused before anything is written."""
    src = tmp_path / "legacy"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row()] * 2)
    with pytest.raises(UserError, match=r"holds observations of size 2 and actions of size 2: expected 2 and 3"):
        import_legacy(src, tmp_path / "back", "x-env", allow_pickle=True, env_dims=(2, 3))
    assert not (tmp_path / "back").exists()


def test_import_legacy_records_observation_and_action_sizes_in_their_places(tmp_path):
    """Data of 3-wide observations and 2-wide actions: task.json says obs_dim 3, action_dim 2, and loads."""
    src, back = tmp_path / "legacy", tmp_path / "back"
    row = legacy_row(obs=(0.1, 0.2, 0.3), nxt=(0.2, 0.3, 0.4))
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [row] * 2)
    import_legacy(src, back, "x-env", allow_pickle=True)
    meta = read_task_meta(task_dir(back, 0))
    assert (meta["obs_dim"], meta["action_dim"]) == (3, 2)
    assert load_task_data(back, 0, [100], "sample", 1, "x-env", 3, 2).obs.shape == (2, 3)


def test_legacy_destination_that_is_a_file_is_refused_before_anything_is_built(tmp_path):
    """A destination that is a file is one UserError, no temporary folder left beside it."""
    src = tmp_path / "src"
    write_task(src, 0)
    dst = tmp_path / "out"
    dst.write_text("a file")
    with pytest.raises(UserError, match=r"is a file: expected a new or empty folder"):
        export_legacy(src, dst, overwrite=True)
    assert dst.read_text() == "a file"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []


def test_the_swapped_in_folder_is_made_durable_by_syncing_its_parent(tmp_path, monkeypatch):
    """After the rename into place, the parent folder is synced (else a crash can lose the rename after the old copy is
    deleted)."""
    import rlkit.data.legacy as legacy

    dst = tmp_path / "data"
    events, real_fsync, real_replace = [], os.fsync, os.replace

    def fsync(fd):
        events.append(("sync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(legacy.os, "fsync", fsync)
    monkeypatch.setattr(legacy.os, "replace", lambda a, b: events.append(("replace", str(b))) or real_replace(a, b))
    legacy.build_then_swap(dst, lambda folder: (folder / "a.npz").write_bytes(b"new"))
    swap = events.index(("replace", str(dst)))
    assert ("sync", str(tmp_path)) in events[swap + 1 :], events


# ----------------------------------------------------------------------------------------------- npz.py


@pytest.mark.parametrize("field", ["obs", "actions", "rewards", "next_obs"])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_values_in_any_field_are_refused_naming_it(tmp_path, field, value):
    """A NaN or an infinity in any of the four real-valued per-row fields (obs, actions, rewards, next_obs) is
    refused when the checkpoint is read, naming the field (a terminal flag other than 0 or 1, NaN included, is
    refused before, by the layout check)."""
    t = make_trajs(seed=3)
    getattr(t, field).reshape(-1)[2] = value
    write_checkpoint(tmp_path, 100, {"sample": t})
    with pytest.raises(UserError, match=rf"non-finite values in \['{field}'\]"):
        read_checkpoint(tmp_path, 100, "sample")


@pytest.mark.parametrize("last, total", [(3, 11), (5, 13)])
def test_episode_lengths_that_sum_to_other_than_the_rows_are_one_line_naming_the_file(tmp_path, last, total):
    """traj_lengths [4, 4, 3] over 12 rows: the episodes do not cover the rows; [4, 4, 5]: an episode runs past
    the file's end (an IndexError from marking the episodes' last rows, were it not refused). Each is the line
    that names the file and the sums."""
    t = make_trajs(seed=3)
    t.traj_lengths = np.array([4, 4, last])
    write_checkpoint(tmp_path, 100, {"sample": t})
    with pytest.raises(UserError, match=rf"step100\.npz' \(sample\): episode lengths sum to {total}, expected 12 rows"):
        read_checkpoint(tmp_path, 100, "sample")


def test_a_terminal_on_the_last_row_of_the_last_episode_is_accepted(tmp_path):
    """The env may end the last episode too: a terminal at the file's last row is an episode end. (A slip here is caught
    otherwise only by the slow tests/test_families_smoke.py, where hopper's last episode ends by termination; this is a
    fast guard.)"""
    t = make_trajs(seed=3)
    t.terminals[-1] = 1.0
    write_checkpoint(tmp_path, 100, {"sample": t})
    assert read_checkpoint(tmp_path, 100, "sample").terminals[-1] == 1.0


def test_a_step_file_without_the_kind_a_run_reads_is_one_line(tmp_path):
    """A step file with eval episodes only, read for 'sample' without missing_ok, is a UserError naming it."""
    write_checkpoint(tmp_path, 100, {"eval": make_trajs(1)})
    with pytest.raises(UserError, match=r"step100\.npz' has no 'sample' trajectories"):
        read_checkpoint(tmp_path, 100, "sample")


def test_a_checkpoint_of_an_unknown_kind_is_refused_and_not_written(tmp_path):
    """A kind other than sample/eval (a typo) would write a file no loader reads: refused, nothing written."""
    with pytest.raises(ValueError, match=r"unknown trajectory kind 'samples'"):
        write_checkpoint(tmp_path, 100, {"samples": make_trajs()})
    assert not (tmp_path / "step100.npz").exists()


def test_a_truncated_extra_file_is_one_line_for_regenerate(tmp_path):
    """A truncated step{c}_extra.npz (a zip cut short: BadZipFile) has no readable record: read_npz_meta says None, and
    regenerate names the file ("cannot be read") instead of a zipfile traceback; --overwrite replaces it."""
    from rlkit.behaviour.regenerate import already_written

    path = write_checkpoint(tmp_path, 100, {"sample": make_trajs()}, extra=True, meta={"seed": 3})
    assert read_npz_meta(path) == {"seed": 3}
    path.write_bytes(path.read_bytes()[:200])
    assert read_npz_meta(path) is None
    with pytest.raises(UserError, match=r"step100_extra\.npz' exists but cannot be read: expected seed 3"):
        already_written(path, {"seed": 3}, overwrite=False)
    assert already_written(path, {"seed": 3}, overwrite=True) is False


def test_the_record_of_an_extra_file_is_read_without_unpickling(tmp_path):
    """The data files are pickle-free; a meta_* member holding a pickled object is not unpickled (that runs code the
    file carries): the record is unreadable, None, and junk that is not an .npz is None too, not a traceback."""
    path = tmp_path / "step100_extra.npz"
    np.savez(path, meta_seed=np.array([{"seed": 3}], dtype=object))
    assert read_npz_meta(path) is None
    path.write_bytes(b"not an npz archive at all")
    assert read_npz_meta(path) is None


def test_a_flipped_byte_in_a_step_files_data_is_one_line_from_the_fast_reader(tmp_path):
    """The fast reader checks each member's CRC-32 as zipfile does, so a flipped byte in sample_obs's data is refused
    naming the member, not read as a (finite, wrong) number. (A slip here is caught otherwise only by the slow
    test_damaged_step_file_is_a_one_line_error_naming_it[flip]; this is a fast guard.)"""
    path = write_checkpoint(tmp_path, 100, {"sample": make_trajs()})
    flip_last_byte(path, "sample_obs.npy")
    with pytest.raises(UserError, match=r"step100\.npz' is truncated or unreadable \(BadZipFile: Bad CRC-32 for file "):
        read_checkpoint(tmp_path, 100, "sample")


def _flip_in_central_directory(path, offset, bit):
    """Flip `bit` of byte `offset` of the first member's central-directory header in the zip at `path`."""
    raw = bytearray(path.read_bytes())
    raw[raw.find(b"PK\x01\x02") + offset] ^= bit
    path.write_bytes(raw)


def test_a_damaged_zip_header_is_one_line_for_every_reader_of_the_file(tmp_path):
    """A flipped bit in a member's header ("version needed to extract", byte 6 of its central-directory entry) makes
    zipfile raise NotImplementedError, which no reader caught: `check`, stage 2's loading and the fingerprint were
    tracebacks; each is now one line naming the file (the fingerprint's refusal of an "encrypted" member, byte 8's
    flag, a RuntimeError, too), and `read_npz_meta` reads no meta."""
    import hashlib

    from rlkit.data.fingerprint import _add_npz

    d = write_task(tmp_path, 0)
    _flip_in_central_directory(d / "step100.npz", 6, 0x80)
    named = r"step100\.npz' is truncated or unreadable \(NotImplementedError: "
    (problem,) = check_dataset(tmp_path).problems
    assert re.search(named, problem), problem
    with pytest.raises(UserError, match=named):
        load_task_data(tmp_path, 0, [100], "sample", 1, "point-robot", 2, 2)
    with pytest.raises(UserError, match=named):
        dataset_fingerprint(tmp_path, {0: [100]}, ("sample", 1))
    assert read_npz_meta(d / "step100.npz") is None
    np.savez(tmp_path / "normalizer.npz", abs_max=np.ones(2))
    _flip_in_central_directory(tmp_path / "normalizer.npz", 6, 0x80)
    with pytest.raises(UserError, match=r"normalizer\.npz' is truncated or unreadable \(NotImplementedError: "):
        read_normalizer(tmp_path, 2)
    write_task(tmp_path, 1)
    _flip_in_central_directory(task_dir(tmp_path, 1) / "step100.npz", 8, 0x01)  # (flagged as encrypted)
    with pytest.raises(UserError, match=r"step100\.npz' is truncated or unreadable \(RuntimeError: "):
        _add_npz(hashlib.sha256(), task_dir(tmp_path, 1) / "step100.npz")


def test_a_step_file_missing_one_field_is_one_line_naming_it(tmp_path):
    """A step file with sample_obs but without sample_terminals: one line naming the file and the missing key, for the
    reader and for check, not a KeyError traceback."""
    t = make_trajs()
    d = write_task(tmp_path, 0)
    np.savez(d / "step200.npz", **{f"sample_{f}": getattr(t, f) for f in ("obs", "actions", "rewards", "next_obs")})
    named = r"step200\.npz' is truncated or unreadable \(KeyError: 'sample_terminals'\)"
    with pytest.raises(UserError, match=named):
        read_checkpoint(d, 200, "sample")
    (problem,) = check_dataset(tmp_path).problems
    assert re.search(named, problem), problem


def test_a_step_file_of_0_d_rewards_is_one_line_naming_the_field(tmp_path):
    """Rewards saved as a 0-d array (one number, not one per transition): refused naming the field, not a
    `len() of unsized object` traceback."""
    write_raw_checkpoint(tmp_path, 100, rewards=np.float32(1.0))
    with pytest.raises(UserError, match=r"step100\.npz' \(sample\): sample_rewards has shape \(\): expected a 1-D"):
        read_checkpoint(tmp_path, 100, "sample")


def test_next_observations_narrower_than_the_observations_are_one_line(tmp_path):
    """next_obs rows of 1 value beside obs rows of 2 are refused, as next_obs rows of 3 are: a reader that compared only
    with `>` let them through, and the buffer would fail on them later."""
    write_raw_checkpoint(tmp_path, 100, next_obs=np.zeros((12, 1), np.float32))
    with pytest.raises(UserError, match=r"\(sample\): sample_next_obs has rows of 1 values: expected 2, as sample_obs"):
        read_checkpoint(tmp_path, 100, "sample")


def test_episode_lengths_of_two_dimensions_are_one_line(tmp_path):
    """traj_lengths [[4, 4, 4]] sums to the rows but is not a 1-D list of lengths (n_traj would be 1): refused."""
    write_raw_checkpoint(tmp_path, 100, traj_lengths=np.array([[4, 4, 4]]))
    with pytest.raises(UserError, match=r"sample_traj_lengths holds int64 values of shape \(1, 3\): expected a 1-D"):
        read_checkpoint(tmp_path, 100, "sample")


def test_a_terminal_inside_an_episode_is_named_by_its_first_row(tmp_path):
    """Terminals at rows 1 and 5 (both inside episodes of 4): the line names the first, row 1."""
    terminals = np.zeros(12, np.float32)
    terminals[[1, 5]] = 1.0
    write_raw_checkpoint(tmp_path, 100, terminals=terminals)
    with pytest.raises(UserError, match=r"sample_terminals is 1 at row 1, inside an episode"):
        read_checkpoint(tmp_path, 100, "sample")


# ----------------------------------------------------------------------------------------------- load.py


def test_a_normalizer_entry_of_zero_is_accepted_and_kept_off_zero(tmp_path):
    """An observation entry that never moves has abs_max 0: accepted (docs: values >= 0), and the divisor is
    abs_max + 1e-8, never 0 (else the loader divides by zero: inf/NaN observations)."""
    np.savez(tmp_path / "normalizer.npz", abs_max=np.array([0.0, 2.0]))
    scale = read_normalizer(tmp_path, 2)
    assert scale.dtype == np.float64 and (scale > 0).all()
    np.testing.assert_array_equal(scale, np.array([0.0, 2.0]) + 1e-8)


def test_an_extra_file_of_another_action_size_is_one_line_for_loading(tmp_path):
    """Regenerated episodes of another action size than the env's: named, not a concatenate error."""
    write_task(tmp_path, 0)
    write_checkpoint(task_dir(tmp_path, 0), 200, {"sample": make_trajs(2, act_dim=3, seed=9)}, extra=True)
    with pytest.raises(UserError, match=r"step200_extra\.npz' has observation size \(2,\) and action size \(3,\)"):
        load_task_data(tmp_path, 0, [200], "sample", 5, "point-robot", 2, 2)


def test_restore_dataset_tasks_restores_every_task_file(tmp_path):
    """Every task of the env whose folder holds task_params.json is restored, the last one too."""
    from rlkit.data.dataset import TASK_PARAMS_FILE
    from rlkit.data.load import restore_dataset_tasks

    class Env:
        supports_task_files = True
        tasks = [None] * 3

        def __init__(self):
            self.loaded = []

        def load_task(self, i, path):
            self.loaded.append((i, path.parent.name))

    for i in range(3):
        task_dir(tmp_path, i).mkdir(parents=True)
        (task_dir(tmp_path, i) / TASK_PARAMS_FILE).write_text("{}")
    env = Env()
    assert restore_dataset_tasks(env, tmp_path) == 3
    assert env.loaded == [(0, "goal_idx0"), (1, "goal_idx1"), (2, "goal_idx2")]


def test_a_compressed_normalizer_of_a_damaged_deflate_stream_is_one_line(tmp_path):
    """A compressed normalizer.npz (a legacy import copies it as it is) whose deflate stream is invalid raises
    zlib.error inside zipfile: the reader names the file in one line, as the fingerprint does."""
    import zipfile

    path = tmp_path / "normalizer.npz"
    np.savez_compressed(path, abs_max=np.arange(4096, dtype=np.float64))
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        o = z.getinfo("abs_max.npy").header_offset
    start = o + 30 + int.from_bytes(raw[o + 26 : o + 28], "little") + int.from_bytes(raw[o + 28 : o + 30], "little")
    raw[start] |= 0x06  # the first deflate block's type 3: invalid
    path.write_bytes(raw)
    with pytest.raises(UserError, match=r"normalizer\.npz' is truncated or unreadable \(error: "):
        read_normalizer(tmp_path, 4096)


def test_a_normalizer_of_two_dimensions_is_refused_without_an_observation_size(tmp_path):
    """Without a size to hold it to (tasks of several sizes, import-legacy without an env), abs_max must still be one
    value per observation entry: a (2, 3) array is refused, for the reader and for check."""
    np.savez(tmp_path / "normalizer.npz", abs_max=np.ones((2, 3)))
    said = r"holds abs_max of shape \(2, 3\): expected one dimension, one value per observation entry"
    with pytest.raises(UserError, match=said):
        read_normalizer(tmp_path)
    write_task(tmp_path, 0, obs_dim=2)
    write_task(tmp_path, 1, obs_dim=3)
    assert [p for p in check_dataset(tmp_path).problems if re.search(said, p)], check_dataset(tmp_path).problems


def test_loading_refuses_a_task_json_of_another_action_size_than_the_envs(tmp_path):
    """A task.json that says action size 3 for the env's 2 (its step files say 2) is a record of another env's data,
    refused naming both sizes, as another observation size is."""
    d = write_task(tmp_path, 0)
    write_task_meta(d, dict(read_task_meta(d), action_dim=3))
    with pytest.raises(UserError, match=r"has obs/action dims 2/3: expected 2/2 for 'point-robot'"):
        load_task_data(tmp_path, 0, [100], "sample", 2, "point-robot", 2, 2)


def test_an_extra_file_without_the_kind_a_run_reads_leaves_the_n_trj_line(tmp_path):
    """The extra file (regenerated sample episodes) holds no eval episodes: an eval run asking for more than the step
    file's is told the step file holds too few (the extra file is read with missing_ok)."""
    d = write_task(tmp_path, 0)
    write_checkpoint(d, 200, {"sample": make_trajs(2, seed=9)}, extra=True)
    with pytest.raises(UserError, match=r"step200\.npz' holds 1 eval trajectories: expected at least n_trj=2"):
        load_task_data(tmp_path, 0, [200], "eval", 2, "point-robot", 2, 2)


def test_too_few_deterministic_episodes_are_not_sent_to_regenerate(tmp_path):
    """--regenerate writes stochastic episodes only, so a run reading the deterministic ones (algo_params.sample
    false) that finds too few is told to lower n_trj or read the stochastic ones; it was told to run --regenerate,
    which could not help. A run reading the stochastic ones is still told that --regenerate writes more."""
    write_task(tmp_path, 0)
    with pytest.raises(
        UserError,
        match=r"holds 1 eval trajectories: expected at least n_trj=2 \(a smaller n_trj, or the "
        r"stochastic episodes \(algo_params.sample true\), of which policy_train.py --regenerate writes more\)$",
    ):
        load_task_data(tmp_path, 0, [100], "eval", 2, "point-robot", 2, 2)
    with pytest.raises(
        UserError,
        match=r"holds 3 sample trajectories: expected at least n_trj=4 \(policy_train.py "
        r"--regenerate --n_trj K writes more from the saved policies\)$",
    ):
        load_task_data(tmp_path, 0, [100], "sample", 4, "point-robot", 2, 2)


def test_loading_refuses_a_checkpoint_one_episode_short_of_n_trj(tmp_path):
    """Step files of 3 sample episodes and n_trj=4: refused, not 3 episodes given for 4."""
    write_task(tmp_path, 0)
    with pytest.raises(UserError, match=r"step100\.npz' holds 3 sample trajectories: expected at least n_trj=4"):
        load_task_data(tmp_path, 0, [100], "sample", 4, "point-robot", 2, 2)
    assert load_task_data(tmp_path, 0, [100], "sample", 3, "point-robot", 2, 2).n_traj == 3


def test_loading_an_empty_epoch_range_is_one_line(tmp_path):
    """No checkpoint selected (train_epoch/eval_epoch of an empty range): one line, not a concatenate error."""
    write_task(tmp_path, 0)
    with pytest.raises(UserError, match=r"no checkpoints selected for task 0: the epoch range is empty"):
        load_task_data(tmp_path, 0, [], "sample", 2, "point-robot", 2, 2)


def test_an_extra_file_is_not_read_when_the_step_file_holds_n_trj_episodes(tmp_path):
    """The loader appends the extra file only where n_trj asks for more (docs): a damaged extra file does not stop a run
    that reads the step file's episodes only."""
    d = write_task(tmp_path, 0)
    extra = write_checkpoint(d, 200, {"sample": make_trajs(2, seed=9)}, extra=True)
    extra.write_bytes(extra.read_bytes()[:200])
    data = load_task_data(tmp_path, 0, [200], "sample", 3, "point-robot", 2, 2)
    np.testing.assert_array_equal(data.obs, make_trajs(seed=200).obs)
    with pytest.raises(UserError, match=r"step200_extra\.npz' is truncated or unreadable"):
        load_task_data(tmp_path, 0, [200], "sample", 4, "point-robot", 2, 2)


# ----------------------------------------------------------------------------------------------- dataset.py


def test_mean_return_over_a_horizon_keeps_a_short_episode_to_its_own_rewards():
    """An episode shorter than the horizon (ended by the env) sums its own rewards only, not the next one's; each of
    three episodes starts where the one before ended (two would not tell a start list cut after the second)."""
    from rlkit.data.dataset import mean_return

    rewards = np.array([1.0, 10.0, 20.0, 30.0, 40.0, 5.0, 6.0, 7.0], np.float32)  # episodes of 1, 4 and 3 steps
    z = np.zeros((8, 2), np.float32)
    trajs = Trajectories(z, z, rewards, z, np.zeros(8, np.float32), np.array([1, 4, 3]))
    assert mean_return(trajs, 2) == (1.0 + (10.0 + 20.0) + (5.0 + 6.0)) / 3


def test_mean_return_of_a_checkpoint_of_no_episodes_is_nan():
    """A kind written with no episodes (0 rows, no lengths: a valid step file) has no mean return, nan as for a missing
    kind, with or without a horizon: not a ZeroDivisionError."""
    from rlkit.data.dataset import mean_return

    z = np.zeros((0, 2), np.float32)
    empty = Trajectories(z, z, np.zeros(0, np.float32), z, np.zeros(0, np.float32), np.zeros(0, np.int64))
    assert math.isnan(mean_return(empty)) and math.isnan(mean_return(empty, 5)) and math.isnan(mean_return(None))


# ----------------------------------------------------------------------------------------------- __main__.py


def _cli(args):
    """`python -m rlkit.data ARGS` in this process (`run_here`), in the working folder: (exit code, out, err)."""
    proc = run_here(["-m", "rlkit.data", *args], cwd=Path.cwd(), check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_check_cli_refuses_data_of_another_physics(tmp_path, capsys, monkeypatch):
    """`python -m rlkit.data check` compares every task's physics version with its env family's."""
    import rlkit.data.__main__ as cli

    write_task(tmp_path, 0)  # task.json records no physics: version 1
    monkeypatch.setattr(cli, "physics_version", lambda name: 2)
    code, _, err = _cli(["check", str(tmp_path)])
    assert code == 1 and "physics version 1: expected 2" in err, err


def test_export_legacy_cli_refuses_data_of_another_physics(tmp_path, capsys, monkeypatch):
    """`python -m rlkit.data export-legacy` refuses data of another physics than the env family's."""
    import rlkit.data.__main__ as cli

    write_task(tmp_path / "src", 0)
    monkeypatch.setattr(cli, "physics_version", lambda name: 2)
    code, _, err = _cli(["export-legacy", str(tmp_path / "src"), str(tmp_path / "out")])
    assert code == 2 and "physics version 1: expected 2" in err, err
    assert not (tmp_path / "out").exists()


def test_curves_refuses_a_config_of_another_env_than_the_datas(tmp_path):
    """`curves --config configs/cheetah-vel.json` on point-robot data read cheetah-vel's env_params as the data's
    (exit 0); now one line naming both envs, exit 2, nothing written."""
    write_task(tmp_path / "data", 0)
    code, _, err = _cli(
        [
            "curves",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "c.png"),
            "--config",
            str(ROOT / "configs" / "cheetah-vel.json"),
        ]
    )
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "is a cheetah-vel config and" in lines[0], err
    assert "holds ['point-robot'] data: expected the config the data was made with" in lines[0]
    assert not (tmp_path / "c.png").exists() and not (tmp_path / "data" / "behaviour_returns.csv").exists()


@pytest.mark.parametrize("damage", ["truncated", "foreign"])
def test_check_names_a_damaged_network_file(tmp_path, damage):
    """`check` read only the step files: a task whose `networks/step{c}.pt` was cut short passed as complete, and only
    `policy_train.py --regenerate` found it. Each saved network file is now opened (its tensors mapped, not read)."""
    import torch

    from rlkit.data.networks import networks_path, write_networks

    tdir = write_task(tmp_path, 0)
    write_networks(tdir, 100, {"w": torch.zeros(64, 64)}, {"obs_dim": 2, "action_dim": 2})
    assert check_dataset(tmp_path).problems == []
    path = networks_path(tdir, 100)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:300])
    else:
        torch.save({"w": torch.zeros(2)}, path)
    said = "is truncated or unreadable" if damage == "truncated" else "is not a behaviour network file"
    problems = check_dataset(tmp_path).problems
    assert len(problems) == 1 and str(path) in problems[0] and said in problems[0], problems


@pytest.mark.parametrize("damage", ["nan", "obs size"])
def test_export_legacy_cli_refuses_a_dataset_that_check_refuses(tmp_path, capsys, damage):
    """export-legacy exported a task with NaN rewards, or with observations of another size than task.json's,
    without a word: the reference's layout would carry the damage on. It now runs `check` first: exit 2, one line
    naming the first problem, nothing written."""
    src = tmp_path / "src"
    write_task(src, 0)
    write_task(src, 1)
    t = make_trajs(seed=7, obs_dim=2 if damage == "nan" else 3)
    if damage == "nan":
        t.rewards[:] = np.nan
    write_checkpoint(task_dir(src, 0), 200, {"sample": t})
    assert check_dataset(src).problems  # (what check says of it)
    code, out, err = _cli(["export-legacy", str(src), str(tmp_path / "out")])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "problem(s), the first: " in lines[0], err
    assert "python -m rlkit.data check" in lines[0] and not (tmp_path / "out").exists()


def test_check_cli_exits_1_on_problems_even_with_warnings(tmp_path, capsys):
    """A warning (other package versions) does not hide a problem (an interrupted task): exit 1."""
    d0 = write_task(tmp_path, 0)
    write_task_meta(d0, dict(read_task_meta(d0), versions={"torch": "0.1"}))
    d1 = write_task(tmp_path, 1)
    write_task_meta(d1, dict(read_task_meta(d1), complete=False))
    code, _, err = _cli(["check", str(tmp_path)])
    assert code == 1 and "warning: " in err and "problem: " in err, err


def test_cheetah_targets_of_another_task_count_are_another_task():
    """`same_task` compares numbers to `rtol=1e-6`, not a looser `1e-2`. cheetah-vel's task 1 of 40 tasks is
    1 + 2/39 = 1.05128 and of 41 tasks 1 + 2/40 = 1.05 (linspace(1, 3, n), docs/environments.md): 0.12 % apart. Data
    written with another n_tasks must be refused, not trained on as if its targets were this config's. The bound
    itself is pinned by numbers 5e-7 (the same) and 2e-6 (not) apart."""
    a, b = cheetah_velocities(40, False)[1], cheetah_velocities(41, False)[1]
    assert abs(a - (1 + 2 / 39)) < 1e-12 and abs(b - 1.05) < 1e-12
    assert not same_task({"velocity": float(a)}, {"velocity": float(b)})
    assert same_task({"velocity": float(a)}, {"velocity": float(np.float32(a))})  # float32 rounding: the same
    # rtol 1e-6 itself, not any tolerance between float32's rounding and 0.12 %: half of it apart is the same, twice not
    assert same_task(1.0, 1.0 + 5e-7) and not same_task(1.0, 1.0 + 2e-6)


def test_lists_of_other_lengths_and_dicts_of_other_keys_differ():
    """`same_task` holds lists to the same length and dicts to the same keys: it guards against dropping
    `len(a) == len(b) and` (zip then compares the common prefix only) and against dropping the key check. A rand-params
    task of another model (one body more) or a task record with an extra field shares a prefix with the env's task, but
    it is another task."""
    assert same_task([1.0, 2.0], [1.0, 2.0])
    assert not same_task([1.0, 2.0], [1.0, 2.0, 3.0])
    assert not same_task({"body_mass": [1.0, 2.0]}, {"body_mass": [1.0, 2.0, 0.5]})
    assert not same_task({"goal": 1.0}, {"goal": 1.0, "wind": [0.01, 0.0]})
    assert not same_task({"goal": 1.0, "wind": [0.01, 0.0]}, {"goal": 1.0})
    # a dict or a list against another kind of value differs (not an AttributeError or TypeError)
    assert not same_task({"goal": 1.0}, [1.0]) and not same_task([1.0], {"goal": 1.0})
    assert not same_task([1.0], 1.0) and not same_task(1.0, [1.0])


def test_one_reward_changed_in_a_step_file_changes_the_fingerprint(tmp_path):
    """One reward changed in a step file changes the fingerprint, which reads the step files' data, not only their
    headers. A fingerprint that left the step files out, or read only each member's first bytes (the .npy header: names,
    dtype, shape), let a run resume on data whose episodes were rewritten with other values of the same shape, mixing
    two datasets in one run without a word."""
    from rlkit.data.fingerprint import dataset_fingerprint

    write_task(tmp_path, 0)
    before = dataset_fingerprint(tmp_path, {0: [100, 200]}, ("sample", 3))
    trajs = make_trajs(seed=200)  # what write_task wrote at checkpoint 200, but for the last reward
    trajs.rewards[-1] += np.float32(1.0)
    write_checkpoint(task_dir(tmp_path, 0), 200, {"sample": trajs, "eval": make_trajs(1, seed=200)})
    after = dataset_fingerprint(tmp_path, {0: [100, 200]}, ("sample", 3))
    assert before["tasks"]["0"] != after["tasks"]["0"] and before["digest"] != after["digest"]


def test_differing_tasks_names_changed_added_and_removed_tasks():
    """The tasks named in "trained on other data ... (tasks [..] differ)" are those whose fingerprints differ, tasks
    present on one side only included. It guards against naming the tasks that agree, or leaving out a task present on
    one side only (which then read "the normalizer differs")."""
    from rlkit.data.fingerprint import differing_tasks

    old = {"digest": "x", "tasks": {"0": "a", "1": "b", "3": "e"}}
    new = {"digest": "y", "tasks": {"0": "a", "1": "c", "2": "d"}}
    assert differing_tasks(old, new) == [1, 2, 3]
    assert differing_tasks(old, old) == []


def test_the_same_episodes_under_another_env_are_other_data(tmp_path):
    """The env name is part of the task's fingerprint: with it left out, a point-robot run would resume on a
    sparse-point-robot dataset of the same arrays (its rewards meaning another thing) without a word."""
    from rlkit.data.fingerprint import dataset_fingerprint

    write_task(tmp_path / "a", 0, env_name="point-robot")
    write_task(tmp_path / "b", 0, env_name="sparse-point-robot")
    a, b = (dataset_fingerprint(tmp_path / d, {0: [100, 200]}, ("sample", 3)) for d in "ab")
    assert a["tasks"]["0"] != b["tasks"]["0"] and a["digest"] != b["digest"]


def test_import_legacy_marks_no_terminal_not_even_at_an_episodes_end(tmp_path):
    """The reference's rows hold no done flag, so every imported terminal is 0 (docs/data-format.md; the loader's
    terminal_at_traj_end decides the ends alike). A terminal of 1 at each episode's last row would cut the critic's
    bootstrap there: Q-learning on imported data would treat every time limit as a death."""

    src = tmp_path / "legacy"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row()] * 3)
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample1_step100.npy", [legacy_row()] * 2)
    import_legacy(src, tmp_path / "back", "point-robot", allow_pickle=True, env_dims=(2, 2))
    t = read_checkpoint(task_dir(tmp_path / "back", 0), 100, "sample")
    assert t.traj_lengths.tolist() == [3, 2]
    assert t.terminals.tolist() == [0.0] * 5


def test_import_legacy_keeps_episodes_in_the_order_of_their_number_past_nine(tmp_path):
    """Episodes k = 0..11 are read in the order of k (0, 1, 2, ..., 10, 11), not of their file names (0, 1, 10, 11, 2,
    ...): the loader takes a run's n_trj episodes from the front, so a name order would train on other episodes than the
    reference's first n_trj."""

    src = tmp_path / "legacy"
    for k in range(12):
        save_legacy_rows(src / "goal_idx0" / f"trj_evalsample{k}_step100.npy", [legacy_row(rew=float(k))] * 2)
    import_legacy(src, tmp_path / "back", "point-robot", allow_pickle=True, env_dims=(2, 2))
    t = read_checkpoint(task_dir(tmp_path / "back", 0), 100, "sample")
    assert t.rewards.tolist() == [float(k) for k in range(12) for _ in range(2)]


def test_export_legacy_splits_episodes_of_different_lengths_at_their_own_boundaries(tmp_path):
    """A checkpoint's episodes of lengths 3, 5 and 2 are exported as files of those rows; episode starts taken from the
    first episode's length would shift every later file's rows into its neighbour's (and off the end), silently, since
    make_trajs' equal lengths hide it."""
    from rlkit.data.meta import write_task_meta

    ours, legacy, back = tmp_path / "ours", tmp_path / "legacy", tmp_path / "back"
    lengths = [3, 5, 2]
    n = sum(lengths)
    rng = np.random.default_rng(0)
    t = Trajectories(
        rng.normal(size=(n, 2)).astype(np.float32),
        rng.uniform(-1, 1, (n, 2)).astype(np.float32),
        np.arange(n, dtype=np.float32),
        rng.normal(size=(n, 2)).astype(np.float32),
        np.zeros(n, np.float32),
        np.array(lengths),
    )
    d = task_dir(ours, 0)
    write_checkpoint(d, 100, {"sample": t})
    meta = {"env_name": "point-robot", "task_idx": 0, "obs_dim": 2, "action_dim": 2, "checkpoints": [100]}
    write_task_meta(d, {**meta, "complete": True})
    export_legacy(ours, legacy)
    for k, (start, length) in enumerate(zip([0, 3, 8], lengths)):
        rows = np.load(legacy / "goal_idx0" / f"trj_evalsample{k}_step100.npy", allow_pickle=True)
        assert [r[2] for r in rows] == list(range(start, start + length))
    import_legacy(legacy, back, "point-robot", allow_pickle=True, env_dims=(2, 2))
    b = read_checkpoint(task_dir(back, 0), 100, "sample")
    assert b.traj_lengths.tolist() == lengths
    for f in ("obs", "actions", "rewards", "next_obs"):
        np.testing.assert_array_equal(getattr(b, f), getattr(t, f))


def test_import_legacy_without_an_env_refuses_a_normalizer_of_another_size_than_the_observations(tmp_path):
    """With no env given (the Python API's default), abs_max of one entry beside 2-wide observations is refused naming
    both; unchecked it broadcasts, and every observation entry is multiplied by the first one's scale, silently."""

    src, back = tmp_path / "legacy", tmp_path / "back"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row()] * 2)
    np.savez(src / "normalizer.npz", abs_max=np.array([3.0]))
    with pytest.raises(UserError, match=r"normalizer\.npz' holds abs_max of shape \(1,\): expected \(2,\), the obs"):
        import_legacy(src, back, "point-robot", allow_pickle=True)
    assert not back.exists() and beside(back) == []


def test_import_legacy_without_an_env_refuses_tasks_of_different_sizes(tmp_path):
    """With no env given, every file of every task must have the first file's sizes: task 1 of 3-wide observations
    beside task 0's 2-wide ones is refused, not imported as a dataset that no env can load whole (each task.json
    recording its own size)."""

    src, back = tmp_path / "legacy", tmp_path / "back"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row()] * 2)
    wide = legacy_row(obs=(0.1, 0.2, 0.3), nxt=(0.2, 0.3, 0.4))
    save_legacy_rows(src / "goal_idx1" / "trj_evalsample0_step100.npy", [wide] * 2)
    with pytest.raises(
        UserError,
        match=r"goal_idx1/trj_evalsample0_step100\.npy' holds observations of size 3 and actions of size 2: "
        r"expected 2 and 2 \(those of '.*goal_idx0/trj_evalsample0_step100\.npy'\)",
    ):
        import_legacy(src, back, "x-env", allow_pickle=True)
    assert not back.exists() and beside(back) == []


def test_import_legacy_refuses_non_finite_actions(tmp_path):
    """An action of inf (or NaN, or beyond float32's range) is refused naming the file, like the observations, rewards
    and next observations: imported, it would reach the BRAC/CLUB losses as NaN."""

    src, back = tmp_path / "legacy", tmp_path / "back"
    for act in ((np.inf, 0.0), (1e39, 0.0), (np.nan, 0.0)):
        save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row(), legacy_row(act=act)])
        with pytest.raises(UserError, match=r"trj_evalsample0_step100\.npy' holds non-finite values in \['actions'\]"):
            import_legacy(src, back, "point-robot", allow_pickle=True, env_dims=(2, 2))
        assert not back.exists() and beside(back) == []


def test_a_failed_swap_keeps_the_previous_folder_where_it_says(tmp_path, monkeypatch):
    """`--overwrite` moves the old destination aside (never deletes it) before the new one is renamed into place: if
    that rename fails (a full disk, a kill), the previous dataset is whole at the path the error names, not gone with
    the new one still beside it."""

    import rlkit.data.legacy as legacy

    dst = tmp_path / "data"
    dst.mkdir()
    (dst / "old.txt").write_text("old")
    real_replace = os.replace

    def failing(a, b):
        if os.path.basename(b) == "data":
            raise OSError(28, "No space left on device")
        real_replace(a, b)

    monkeypatch.setattr(legacy.os, "replace", failing)
    with pytest.raises(OSError) as failure:
        legacy.build_then_swap(dst, lambda folder: (folder / "new.txt").write_text("new"))
    old = re.search(r"the previous '.*data' is at '(.*\.old)'", str(failure.value)).group(1)
    assert (Path(old) / "old.txt").read_text() == "old"


def test_import_legacy_records_each_tasks_own_index(tmp_path):
    """goal_idx3's task.json says task_idx 3: a task.json naming another task (0) is a record of the wrong goal (check,
    the regenerate and resume paths read it)."""
    from rlkit.data.meta import read_task_meta

    src, back = tmp_path / "legacy", tmp_path / "back"
    for t in (0, 3):
        save_legacy_rows(src / f"goal_idx{t}" / "trj_evalsample0_step100.npy", [legacy_row()] * 2)
    import_legacy(src, back, "point-robot", allow_pickle=True, env_dims=(2, 2))
    assert [read_task_meta(task_dir(back, t))["task_idx"] for t in (0, 3)] == [0, 3]


def test_import_legacy_reads_only_files_named_exactly_as_the_reference_names_them(tmp_path):
    """A backup (`trj_evalsample0_step100.npy.orig`) or another file whose name only contains a trajectory file's
    (`old_trj_evalsample0_step100.npy`) is not imported: read as episode 0 again, the task would hold a duplicate or
    stale episode."""

    src, back = tmp_path / "legacy", tmp_path / "back"
    folder = src / "goal_idx0"
    save_legacy_rows(folder / "trj_evalsample0_step100.npy", [legacy_row(rew=1.0)] * 2)
    save_legacy_rows(folder / "old_trj_evalsample0_step100.npy", [legacy_row(rew=7.0)] * 3)
    save_legacy_rows(folder / "x.npy", [legacy_row(rew=8.0)] * 3)
    (folder / "x.npy").rename(folder / "trj_evalsample0_step100.npy.orig")
    import_legacy(src, back, "point-robot", allow_pickle=True, env_dims=(2, 2))
    t = read_checkpoint(task_dir(back, 0), 100, "sample")
    assert t.traj_lengths.tolist() == [2] and t.rewards.tolist() == [1.0, 1.0]


def test_check_cli_prints_a_line_per_task(tmp_path, capsys):
    """`check` prints a line per task: with those lines dropped, a researcher checking a dataset would see nothing of
    what it holds. write_task's task: 2 checkpoints, each 3 sample episodes of 4 steps + 1 eval episode of 4 = 16, so 32
    transitions."""

    write_task(tmp_path, 0)
    write_task(tmp_path, 1)
    code, out, err = _cli(["check", str(tmp_path)])
    assert code == 0 and err == "", err
    assert out.splitlines() == [
        f"goal_idx{t}: point-robot task {t}, 2 checkpoints, 32 transitions, complete" for t in (0, 1)
    ]


def test_check_cli_refuses_a_task_of_another_observation_size_than_its_envs(tmp_path, capsys):
    """The CLI calls `check_dataset(data_dir, env_dims, ...)`, not `(data_dir, None, ...)`, so it compares the recorded
    sizes with the env's: with `None` it would pass point-robot data of 3 observations (point-robot's are 2). The
    problem line is about the sizes, each in its place: task.json's 3/2, the env's 2/2."""

    write_task(tmp_path, 0, obs_dim=3)
    code, _, err = _cli(["check", str(tmp_path)])
    assert code == 1 and "problem: " in err, err
    assert "task.json' says observation/action sizes 3/2: expected 2/2 for 'point-robot'" in err, err


def test_the_data_clis_env_sizes_are_observation_then_action():
    """`env_dims` returns (observation, action), not (action, observation): cheetah-vel's (20, 6) read as (6, 20), its
    data would be refused and data of 6 observations taken. cheetah-vel: 20 observations, 6 actions
    (docs/environments.md)."""
    from rlkit.data.__main__ import env_dims

    assert env_dims("cheetah-vel") == (20, 6)


def test_the_data_clis_physics_version_is_the_env_familys():
    """`physics_version` returns the env family's version, not 1 whatever the family: with 1, humanoid-dir data of an
    old physics (2, a hip range not the reference's) would pass `check` and `export-legacy`. humanoid-dir is at
    version 3, without building a MuJoCo env."""
    from rlkit.data.__main__ import physics_version

    assert physics_version("humanoid-dir") == 3 and physics_version("point-robot") == 1


def test_import_legacy_cli_without_allow_pickle_is_refused_and_writes_nothing(tmp_path, capsys):
    """import-legacy passes `allow_pickle=allow_pickle`, not `True`: otherwise the reference's pickled files (which can
    run code when loaded) would be read without the user's --allow-pickle."""

    write_task(tmp_path / "ours", 0)
    export_legacy(tmp_path / "ours", tmp_path / "legacy")
    args = ["import-legacy", str(tmp_path / "legacy"), str(tmp_path / "back"), "--env-name", "point-robot"]
    code, _, err = _cli(args)
    assert code == 2 and len(err.splitlines()) == 1 and "pickle" in err, err
    assert not (tmp_path / "back").exists()
    code, out, _ = _cli([*args, "--allow-pickle"])
    assert code == 0 and out.strip() == f"imported 1 tasks into {tmp_path / 'back'}"


def test_import_legacy_cli_refuses_data_of_another_envs_sizes(tmp_path, capsys):
    """import-legacy passes `env_dims=env_dims(env_name)`, not `None`: otherwise point-robot data (2 observations, 2
    actions) imported with --env-name cheetah-vel (20 and 6) would be written as a cheetah-vel dataset."""

    write_task(tmp_path / "ours", 0)
    export_legacy(tmp_path / "ours", tmp_path / "legacy")
    args = ["import-legacy", str(tmp_path / "legacy"), str(tmp_path / "back"), "--env-name", "cheetah-vel"]
    code, _, err = _cli([*args, "--allow-pickle"])
    assert code == 2 and "expected 20 and 6" in err, err
    assert not (tmp_path / "back").exists()


@pytest.mark.parametrize("command", ["import-legacy", "export-legacy"])
def test_legacy_clis_keep_a_non_empty_destination_without_overwrite(tmp_path, capsys, command):
    """import-legacy / export-legacy pass `overwrite=overwrite`, not `True`: otherwise a DST holding a dataset would be
    replaced whole without --overwrite, its data lost."""
    from rlkit.fileio import read_tree

    write_task(tmp_path / "ours", 0)
    export_legacy(tmp_path / "ours", tmp_path / "legacy")
    src = tmp_path / ("legacy" if command == "import-legacy" else "ours")
    dst = tmp_path / "kept"
    write_task(dst, 5)
    before = read_tree(dst)
    extra = ["--env-name", "point-robot", "--allow-pickle"] if command == "import-legacy" else []
    code, _, err = _cli([command, str(src), str(dst), *extra])
    assert code == 2 and "is not empty" in err, err
    assert read_tree(dst) == before
    code, _, err = _cli([command, str(src), str(dst), *extra, "--overwrite"])
    assert code == 0 and sorted(p.name for p in dst.iterdir()) == ["goal_idx0"], err


def test_curves_cli_writes_the_figure_where_out_says(tmp_path, capsys):
    """`curves` writes the figure where `--out` says: with `--out` ignored, the figure would go to
    DATA_DIR/behaviour_curves.png, not where asked."""

    (write_task(tmp_path / "data", 0) / "returns.csv").write_bytes(GOOD_RETURNS)
    code, out, err = _cli(["curves", str(tmp_path / "data"), "--out", str(tmp_path / "fig.png")])
    assert code == 0, err
    assert (tmp_path / "fig.png").is_file() and not (tmp_path / "data" / "behaviour_curves.png").exists()
    assert out.splitlines()[1] == f"wrote {tmp_path / 'fig.png'}"


def test_curves_cli_takes_the_oracle_from_config_for_a_dataset_without_env_params(tmp_path, capsys):
    """`curves` reads `--config`: with it ignored, a dataset whose task.json predates env_params would get no oracle
    line and an empty oracle_return column. write_task's task.json records no env_params; the tiny config's point-robot
    params give task 0 its oracle return."""
    import pandas as pd

    from rlkit.behaviour.curves import oracle_returns
    from rlkit.config import load_config
    from tests.conftest import TINY_CONFIG

    (write_task(tmp_path, 0) / "returns.csv").write_bytes(GOOD_RETURNS)
    code, _, err = _cli(["curves", str(tmp_path)])
    assert code == 0, err
    assert pd.read_csv(tmp_path / "behaviour_returns.csv")["oracle_return"].isna().all()
    code, _, err = _cli(["curves", str(tmp_path), "--config", str(TINY_CONFIG)])
    assert code == 0, err
    want = oracle_returns(tmp_path, load_config(TINY_CONFIG).env_params.kwargs())[0]
    assert math.isfinite(want)
    np.testing.assert_allclose(pd.read_csv(tmp_path / "behaviour_returns.csv")["oracle_return"], want)


def test_curves_cli_notes_the_tasks_still_being_written(tmp_path, capsys):
    """`curves` notes the tasks that are not complete, and only when there are some (`if unfinished:`, not
    `if not unfinished:`): otherwise a figure drawn while stage 1 still runs would not say that its curves end early
    (and a finished dataset would be said not to be complete)."""
    for t in (0, 1):
        (write_task(tmp_path, t) / "returns.csv").write_bytes(GOOD_RETURNS)
    code, out, _ = _cli(["curves", str(tmp_path)])
    assert code == 0 and "note:" not in out
    d1 = tmp_path / "goal_idx1"
    write_task_meta(d1, dict(read_task_meta(d1), complete=False))
    code, out, _ = _cli(["curves", str(tmp_path)])
    assert code == 0 and out.splitlines()[-1].startswith("note: tasks [1] are not complete"), out


def test_a_dataset_records_the_version_of_every_package_that_can_change_its_data():
    """task.json's "versions" name csro, python and each of torch, mujoco, gymnasium and numpy."""
    assert set(running_versions()) == {"csro", "python", "torch", "mujoco", "gymnasium", "numpy"}


def test_running_versions_is_a_fresh_dict_each_call():
    """A caller changing the versions it was given (a record it fills in) does not change what the next caller gets (the
    lookup is cached)."""
    first = running_versions()
    torch_version = first["torch"]
    first["torch"] = "changed"
    first["extra"] = "x"
    again = running_versions()
    assert again["torch"] == torch_version and "extra" not in again


def test_a_task_json_without_complete_is_an_incomplete_task(tmp_path):
    """A task.json that does not say "complete" (stage 1 writes it as false until the task is done) is refused as
    incomplete, not taken as finished."""
    tdir = tmp_path / "goal_idx2"
    tdir.mkdir()
    problem = task_meta_problem(tdir, {"task_idx": 2, "env_name": "point-robot"})
    assert problem is not None and "says the task is incomplete" in problem
    assert task_meta_problem(tdir, {"task_idx": 2, "complete": True}) is None


def test_a_task_json_without_a_task_is_not_checked_against_the_envs_task(tmp_path):
    """task.json files that record no "task" (older ones, imported data) are not refused for it; one that records
    another task is."""
    tdir = tmp_path / "goal_idx1"
    assert task_identity_problem(tdir, {"task_idx": 1}, {"goal": [0.5, 0.25]}) is None
    assert task_identity_problem(tdir, {"task_idx": 1, "task": {"goal": [0.5, 0.25]}}, {"goal": [0.5, 0.25]}) is None
    problem = task_identity_problem(tdir, {"task_idx": 1, "task": {"goal": [0.5, 0.3]}}, {"goal": [0.5, 0.25]})
    assert problem is not None and "expected the env's task 1" in problem


def test_a_task_json_listing_no_checkpoints_has_none_and_no_problem(tmp_path):
    """`checkpoints` is optional: a task.json without it lists no checkpoint (a task not yet at its first) and is no
    problem."""
    tdir = tmp_path / "goal_idx0"
    assert task_record_problem(tdir, {"env_name": "point-robot"}) is None
    assert listed_checkpoints(tdir, {"env_name": "point-robot"}) == []
    assert listed_checkpoints(tdir, {"checkpoints": [100, 200]}) == [100, 200]


def test_nested_setting_differences_are_named_by_their_whole_dotted_path():
    """A setting two levels down is named by its whole path (`a.b.c`), not from its parent on."""
    old = {"a": {"b": {"c": 1, "d": 2}}, "e": 3}
    new = {"a": {"b": {"c": 1, "d": 5}}, "e": 3}
    assert setting_differences(old, new) == ["a.b.d: 2 -> 5"]


def test_a_task_json_whose_env_name_is_null_is_a_problem(tmp_path):
    """`"env_name": null` is no env name: task_record_problem names it (only a missing key is let through)."""
    problem = task_record_problem(tmp_path / "goal_idx0", {"env_name": None, "checkpoints": [100]})
    assert problem is not None and "has env_name None: expected an env name" in problem


def test_same_task_compares_tuples_and_lists_element_by_element():
    """A tuple (as an env may give a task's values) and a list (as json reads them back) of the same numbers are the
    same task, to 1e-6 relative, as two lists are."""
    assert same_task([0.5, 0.25], (0.5, 0.25))
    assert same_task((1.0, 2.0), (1.0 + 1e-9, 2.0))
    assert not same_task((1.0, 2.0), [1.0, 2.1])


def test_import_legacy_refuses_a_plain_number_array_in_one_line(tmp_path):
    """A trajectory file holding a plain array of numbers (rows that are not [obs, action, reward, next_obs] lists:
    len() of a number is a TypeError) is a one-line UserError naming the file and row 0."""
    src = tmp_path / "legacy"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row()] * 2)
    np.save(src / "goal_idx0" / "trj_evalsample1_step100.npy", np.array([1.0, 2.0, 3.0]))
    with pytest.raises(
        UserError,
        match=r"^'.*goal_idx0/trj_evalsample1_step100\.npy' row 0 is not \[obs, action, reward, next_obs\] of "
        r"numbers \(TypeError",
    ):
        import_legacy(src, tmp_path / "back", "point-robot", allow_pickle=True, env_dims=(2, 2))
    assert not (tmp_path / "back").exists()


def test_legacy_commands_make_a_destination_whose_parent_folders_do_not_exist(tmp_path):
    """export-legacy and import-legacy into DST whose parent folders are not there yet create them (as `mkdir -p`),
    instead of failing with a FileNotFoundError from the temporary folder beside DST."""
    ours = tmp_path / "ours"
    write_task(ours, 0)
    legacy = tmp_path / "a" / "b" / "legacy"
    assert export_legacy(ours, legacy) == 1
    assert (legacy / "goal_idx0" / "trj_evalsample2_step200.npy").is_file()
    back = tmp_path / "c" / "d" / "back"
    assert import_legacy(legacy, back, "point-robot", allow_pickle=True, env_dims=(2, 2)) == 1
    assert read_checkpoint(task_dir(back, 0), 200, "sample").n_traj == 3


def test_an_interrupted_build_leaves_no_temporary_folder_and_the_destination_alone(tmp_path):
    """A build stopped by Ctrl-C (KeyboardInterrupt, not an Exception) removes its temporary `.DST.*.new` folder and
    leaves DST as it was."""
    dst = tmp_path / "data"
    dst.mkdir()
    (dst / "old.txt").write_text("old")

    def build(folder):
        (folder / "half.npz").write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_then_swap(dst, build)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert sorted(p.name for p in dst.iterdir()) == ["old.txt"]


def test_a_swap_stopped_after_the_build_leaves_no_temporary_folder_and_the_destination_alone(tmp_path, monkeypatch):
    """Stopped after a whole build, as its tree is synced to the disk (Ctrl-C in a large import's sync), or refused
    as DST is moved aside: the full `.DST.*.new` copy and the `.DST.*.old` place-holder are removed, DST is as it
    was. (The sync ran outside the cleanup, so its interruption left a whole copy of the dataset behind.)"""
    import rlkit.data.legacy as legacy

    dst = tmp_path / "data"
    dst.mkdir()
    (dst / "old.txt").write_text("old")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(legacy.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_then_swap(dst, lambda folder: (folder / "new.npz").write_bytes(b"new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    monkeypatch.undo()

    def refused(src, target):
        raise PermissionError(13, "Permission denied", str(src))

    monkeypatch.setattr(legacy.os, "replace", refused)
    with pytest.raises(PermissionError):
        build_then_swap(dst, lambda folder: (folder / "new.npz").write_bytes(b"new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert sorted(p.name for p in dst.iterdir()) == ["old.txt"]


def test_import_legacy_holds_the_normalizer_to_the_envs_observation_size_not_its_action_size(tmp_path):
    """Given an env of 2 observation and 3 action entries, a normalizer of 2 entries imports (its observations
    multiplied back by abs_max + 1e-8) and one of 3 entries is refused naming the observation size."""
    src = tmp_path / "legacy"
    row = legacy_row(obs=(0.5, 0.25), act=(0.1, 0.2, 0.3), nxt=(0.25, 0.5))
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [row] * 2)
    np.savez(src / "normalizer.npz", abs_max=np.array([2.0, 4.0]))
    import_legacy(src, tmp_path / "back", "point-robot", allow_pickle=True, env_dims=(2, 3))
    t = read_checkpoint(task_dir(tmp_path / "back", 0), 100, "sample")
    np.testing.assert_allclose(t.obs, [[1.0, 1.0]] * 2, rtol=1e-6)
    assert t.actions.shape == (2, 3)
    np.savez(src / "normalizer.npz", abs_max=np.array([2.0, 4.0, 8.0]))
    with pytest.raises(UserError, match=r"holds abs_max of shape \(3,\): expected \(2,\), the observation size of"):
        import_legacy(src, tmp_path / "back2", "point-robot", allow_pickle=True, env_dims=(2, 3))


def test_import_legacy_refuses_a_task_folder_without_trajectory_files(tmp_path):
    """A goal_idx folder of the source that holds no trj_eval*/trj_evalsample* file (a copy cut short) is refused,
    naming it, not imported as a task of no checkpoints."""
    src = tmp_path / "legacy"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row()] * 2)
    (src / "goal_idx1").mkdir()
    with pytest.raises(UserError, match=r"^'.*goal_idx1' has no trj_eval\*/trj_evalsample\* files$"):
        import_legacy(src, tmp_path / "back", "point-robot", allow_pickle=True, env_dims=(2, 2))
    assert not (tmp_path / "back").exists()


def test_export_legacy_refuses_a_task_whose_task_json_does_not_say_complete(tmp_path):
    """A task.json without "complete" (stage 1 writes complete: true only once a task is done) is an interrupted task to
    export-legacy, as to the loader, not a finished one."""
    ours = tmp_path / "ours"
    d = write_task(ours, 0)
    meta = json.loads((d / "task.json").read_text())
    del meta["complete"]
    write_task_meta(d, meta)
    with pytest.raises(UserError, match=r"is an interrupted stage-1 task \(task.json says complete: false\)"):
        export_legacy(ours, tmp_path / "legacy")
    assert not (tmp_path / "legacy").exists()


def test_export_legacy_refuses_a_normalizer_that_fits_no_tasks_observation_size(tmp_path):
    """Tasks of observation sizes 2 and 3 leave the normalizer's size unchecked up front; one of a single entry must
    still be refused at the first file it does not fit, not broadcast over every entry."""
    ours = tmp_path / "ours"
    write_task(ours, 0, obs_dim=2)
    write_task(ours, 1, obs_dim=3)
    np.savez(ours / "normalizer.npz", abs_max=np.array([2.0]))
    with pytest.raises(
        UserError, match=r"normalizer\.npz' holds abs_max of shape \(1,\): expected \(2,\), the observation size of"
    ):
        export_legacy(ours, tmp_path / "legacy")
    assert not (tmp_path / "legacy").exists()


def test_export_legacy_refuses_a_task_folder_without_task_json_in_one_line(tmp_path):
    """A goal_idx folder without task.json is a one-line UserError naming it."""
    ours = tmp_path / "ours"
    write_task(ours, 0)
    (ours / "goal_idx1").mkdir()
    with pytest.raises(UserError, match=r"^'.*goal_idx1' has no task.json: expected a dataset written by"):
        export_legacy(ours, tmp_path / "legacy")


def test_check_names_task_0_when_its_folder_is_the_one_missing(tmp_path):
    """When stage1_settings.json records n_tasks 3 and only goal_idx1, goal_idx2 are there, the problem line names
    goal_idx0."""
    for t in (1, 2):
        write_task(tmp_path, t)
    record = {"env_name": "point-robot", "env_params": {"n_tasks": 3}}
    (tmp_path / "stage1_settings.json").write_text(json.dumps(record))
    (problem,) = check_dataset(tmp_path).problems
    assert "has no task folder for 1 of the 3 tasks" in problem and ": goal_idx0; expected" in problem, problem


def test_check_of_an_unknown_env_with_the_physics_check_is_a_problem_line_not_an_error(tmp_path):
    """Given the physics check too (as the CLI gives it), a task.json naming an env that is not known is one problem
    line and the task's summary line: check_dataset does not raise."""
    write_task(tmp_path, 0, env_name="no-such-env")
    report = check_dataset(tmp_path, env_dims=_unknown_env, physics=_unknown_env)
    task_json = task_dir(tmp_path, 0) / "task.json"
    assert report.problems == [f"{str(task_json)!r} names env 'no-such-env': unknown env 'no-such-env'"]
    assert report.lines == ["goal_idx0: no-such-env task 0, 2 checkpoints, 32 transitions, complete"]


def test_check_flags_a_returns_csv_a_hundredth_off_the_step_files_mean_return(tmp_path):
    """returns.csv is held to its step files' mean returns within 1e-3 (plus 1e-4 relative): a value 5e-4 off passes,
    one 0.01 off is a problem line."""
    d = write_task(tmp_path, 0)
    write_returns(d)
    lines = (d / "returns.csv").read_text().splitlines()
    step, sample, det = lines[1].split(",")
    for shift, flagged in ((5e-4, False), (1e-2, True)):
        row = f"{step},{float(sample) + shift!r},{det}"
        (d / "returns.csv").write_text("\n".join([lines[0], row, lines[2]]) + "\n")
        problems = check_dataset(tmp_path).problems
        assert bool(problems) == flagged, (shift, problems)
    assert problems[0].endswith(
        f"at checkpoint 100: expected {float(sample):.6g}, the mean return of that step file's 'sample' episodes"
    )


def test_check_compares_the_later_checkpoints_returns_past_a_damaged_step_file(tmp_path):
    """A damaged step100.npz is its own problem line, and returns.csv's row for checkpoint 200 is still compared with
    step200.npz's episodes."""
    d = write_task(tmp_path, 0)
    write_returns(d)
    lines = (d / "returns.csv").read_text().splitlines()
    step, sample, det = lines[2].split(",")
    (d / "returns.csv").write_text("\n".join([*lines[:2], f"{step},{float(sample) + 1},{det}"]) + "\n")
    (d / "step100.npz").write_bytes((d / "step100.npz").read_bytes()[:200])
    problems = check_dataset(tmp_path).problems
    assert len(problems) == 2, problems
    assert "step100.npz' is truncated or unreadable" in problems[0]
    assert problems[1].startswith(f"{str(d / 'returns.csv')!r} says stochastic_return ")
    assert "at checkpoint 200" in problems[1]


def test_a_folder_named_goal_idx_and_a_superscript_digit_is_not_a_task(tmp_path):
    """'goal_idx²' ('²'.isdigit() is true, but int('²') raises) is not a task folder: parse_task_dir says None and check
    does not stop on a ValueError."""
    assert parse_task_dir(tmp_path / "goal_idx\u00b2") is None
    write_task(tmp_path, 0)
    (tmp_path / "goal_idx\u00b2").mkdir()
    assert check_dataset(tmp_path).problems == []


def test_a_folder_without_task_folders_is_refused_by_check_and_both_legacy_commands(tmp_path):
    """A DATA_DIR/SRC that holds no goal_idx* folder (a wrong path one level up or down) is a one-line UserError naming
    it for check, export-legacy and import-legacy, not an empty report or an empty copy."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes.txt").write_text("x")
    said = r"^no goal_idx\* folders in '.*data': expected "
    with pytest.raises(UserError, match=said + "a dataset written by policy_train.py$"):
        check_dataset(tmp_path / "data")
    with pytest.raises(UserError, match=said + "a dataset written by policy_train.py$"):
        export_legacy(tmp_path / "data", tmp_path / "out")
    with pytest.raises(UserError, match=said + "the reference's offline_dataset/ENV layout$"):
        import_legacy(tmp_path / "data", tmp_path / "out", "point-robot", allow_pickle=True, env_dims=(2, 2))
    assert not (tmp_path / "out").exists()


def test_the_first_episodes_keep_their_own_rows_of_every_field():
    """Trajectories.first(1) of episodes of 2 and 3 steps is rows 0-1 of every field: the first episode ended by
    termination (terminal 1 at row 1), the second by a time limit."""
    obs = np.arange(10, dtype=np.float32).reshape(5, 2)
    t = Trajectories(
        obs,
        -obs,
        np.arange(5, dtype=np.float32),
        obs + 100,
        np.array([0, 1, 0, 0, 0], np.float32),
        np.array([2, 3]),
    )
    f = t.first(1)
    assert f.obs.tolist() == [[0, 1], [2, 3]] and f.actions.tolist() == [[0, -1], [-2, -3]]
    assert f.rewards.tolist() == [0, 1] and f.next_obs.tolist() == [[100, 101], [102, 103]]
    assert f.terminals.tolist() == [0, 1] and f.traj_lengths.tolist() == [2]
    # two episodes of 2 and 3 steps are 5 rows (n x the first episode's length, 4, passed first(1) on this data)
    two = Trajectories(
        *(np.concatenate([x, x[:1]]) for x in (obs, -obs, t.rewards, obs + 100, t.terminals)), np.array([2, 3, 1])
    )
    assert two.first(2).obs.tolist() == obs.tolist() and two.first(2).traj_lengths.tolist() == [2, 3]


def test_one_reward_changed_in_an_extra_file_a_run_reads_changes_its_fingerprint(tmp_path):
    """A run of n_trj=5 reads checkpoint 200's step200_extra.npz (its step file holds 3 episodes), so that file's
    content is part of its fingerprint: one reward rewritten in it is other data."""
    write_task(tmp_path, 0)
    extra = make_trajs(2, seed=9)
    write_checkpoint(task_dir(tmp_path, 0), 200, {"sample": extra}, extra=True)
    before = dataset_fingerprint(tmp_path, {0: [100, 200]}, ("sample", 5))
    extra.rewards[0] += np.float32(1.0)
    write_checkpoint(task_dir(tmp_path, 0), 200, {"sample": extra}, extra=True)
    after = dataset_fingerprint(tmp_path, {0: [100, 200]}, ("sample", 5))
    assert before["tasks"]["0"] != after["tasks"]["0"] and before["digest"] != after["digest"]


def test_curves_out_of_only_spaces_is_one_line_before_anything_is_written(tmp_path, capsys, monkeypatch):
    """`--out '  '` (a path of blanks, e.g. an unset shell variable with spaces around it) is refused like `--out ''`,
    exit 2, one line, nothing written: not a PNG named '  ' in the working folder."""
    write_task(tmp_path / "data", 0)
    monkeypatch.chdir(tmp_path)
    code, _, err = _cli(["curves", str(tmp_path / "data"), "--out", "  "])
    assert code == 2 and err.strip().splitlines() == [
        "error: Invalid value for '--out': '  ': expected a path; leave the option out for its default"
    ], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert not (tmp_path / "data" / "behaviour_returns.csv").exists()


def test_curves_from_step_files_read_the_sample_episodes_as_stochastic_and_the_eval_ones_as_deterministic(tmp_path):
    """A task without returns.csv (imported from the reference's layout, or written before it existed) has its
    curves computed from its step files: stochastic_return is the mean return of a checkpoint's 'sample' episodes and
    deterministic_return that of its 'eval' episodes, not the other way round (the figure's two panels and the csv's
    columns would swap policies). By hand: 'sample' episodes of 4 steps of reward 1 (return 4), 'eval' ones of
    reward -2 (return -8)."""
    from rlkit.behaviour.curves import behaviour_returns, write_curves

    def episodes(n_traj, reward):
        t = make_trajs(n_traj)
        return Trajectories(t.obs, t.actions, np.full_like(t.rewards, reward), t.next_obs, t.terminals, t.traj_lengths)

    d = task_dir(tmp_path, 0)
    for step in (100, 200):
        write_checkpoint(d, step, {"sample": episodes(3, 1.0), "eval": episodes(1, -2.0)})
    write_task_meta(d, {"env_name": "point-robot", "task_idx": 0, "checkpoints": [100, 200], "complete": True})
    assert not (d / "returns.csv").exists()
    df = behaviour_returns(tmp_path)
    assert df["checkpoint"].tolist() == [100, 200]
    assert df["stochastic_return"].tolist() == [4.0, 4.0]
    assert df["deterministic_return"].tolist() == [-8.0, -8.0]
    # checkpoints whose file holds no eval episodes, or no sample ones: nan where they are missing, not an error
    write_checkpoint(d, 300, {"sample": episodes(2, 1.0)})
    write_checkpoint(d, 400, {"eval": episodes(1, -2.0)})
    write_task_meta(d, {"env_name": "point-robot", "task_idx": 0, "checkpoints": [100, 200, 300, 400]})
    df = behaviour_returns(tmp_path)
    assert df["stochastic_return"].tolist()[2] == 4.0 and np.isnan(df["stochastic_return"].tolist()[3])
    assert np.isnan(df["deterministic_return"].tolist()[2]) and df["deterministic_return"].tolist()[3] == -8.0
    csv_path, _ = write_curves(tmp_path, tmp_path / "c.png")  # the table as written: one row per checkpoint, no index
    assert csv_path.read_text().splitlines()[:2] == [
        "task,checkpoint,stochastic_return,deterministic_return,oracle_return",
        "0,100,4.0,-8.0,",  # (no oracle: task.json records no env_params)
    ]


# ---- the dataset's files, records and checks, value by value (a mutation audit of rlkit.data) ------------------


def test_the_same_episodes_under_another_kind_are_another_fingerprint(tmp_path):
    """The fingerprint hashes each member's name with its bytes: a step file holding the episodes as
    'eval' is not the file that held them as 'sample'."""
    from rlkit.data.fingerprint import task_fingerprint

    d = write_task(tmp_path, 0, steps=(100,))
    prints = []
    for kind in ("sample", "eval"):
        write_checkpoint(d, 100, {kind: make_trajs(seed=5)})
        prints.append(task_fingerprint(tmp_path, 0, [100], ("sample", 3)))
    assert prints[0] != prints[1]


def test_the_fingerprint_does_not_depend_on_the_order_of_a_json_files_keys(tmp_path):
    """task_params.json (and task.json's task) rewritten with the same values in another key order is
    the same data: a run resumes on it."""
    from rlkit.data.dataset import TASK_PARAMS_FILE
    from rlkit.data.fingerprint import task_fingerprint

    write_task(tmp_path, 0)
    params = task_dir(tmp_path, 0) / TASK_PARAMS_FILE
    prints = []
    for text in ('{"body_mass": [1.0], "damping": [0.5]}', '{"damping": [0.5], "body_mass": [1.0]}'):
        params.write_text(text)
        prints.append(task_fingerprint(tmp_path, 0, [100, 200], ("sample", 3)))
    assert prints[0] == prints[1]


def test_check_names_the_first_task_whose_observation_size_the_normalizer_is_held_to(tmp_path):
    """Tasks 0 and 1 of observation size 2, a normalizer of 3 entries: the line names the size
    goal_idx0's task.json gives (the first task's), not the last one's."""
    write_task(tmp_path, 0)
    write_task(tmp_path, 1)
    np.savez(tmp_path / "normalizer.npz", abs_max=np.ones(3))
    first = str(tmp_path / "goal_idx0" / "task.json")
    (problem,) = check_dataset(tmp_path).problems
    assert problem.endswith(f"holds abs_max of shape (3,): expected (2,), the observation size {first!r} gives"), (
        problem
    )


def test_check_names_task_jsons_sizes_where_a_files_shapes_differ(tmp_path):
    """task.json says observation/action sizes 3/2, the files hold 2/2: the line says what was found
    and what task.json expects, each in its place. The action size alike: task.json's 2/3 against files of 2/2 (the
    only look at the files' action size where the env's sizes are task.json's)."""
    d = write_task(tmp_path, 0, steps=(100,))
    write_task_meta(d, dict(read_task_meta(d), obs_dim=3))
    problems = check_dataset(tmp_path).problems
    assert any(
        "step100.npz' (sample) has observation/action shapes (2,)/(2,): expected (3,)/(2,), task.json's" in p
        for p in problems
    ), problems
    write_task_meta(d, dict(read_task_meta(d), obs_dim=2, action_dim=3))
    problems = check_dataset(tmp_path, env_dims=lambda name: (2, 3)).problems
    assert any(
        "step100.npz' (sample) has observation/action shapes (2,)/(2,): expected (2,)/(3,), task.json's" in p
        for p in problems
    ), problems


def test_check_holds_a_large_mean_return_to_1e_4_relative(tmp_path):
    """Episodes of return 1000 (4 steps of reward 250): returns.csv saying 1000.05 passes (within
    1e-4 relative), 1000.5 is a problem line (a 1e-2 tolerance would let it pass)."""
    d = task_dir(tmp_path, 0)
    t = make_trajs(seed=1)
    t.rewards[:] = 250.0
    write_checkpoint(d, 100, {"sample": t})
    write_task_meta(d, {"env_name": "point-robot", "task_idx": 0, "checkpoints": [100], "complete": True})
    for said, flagged in ((1000.05, False), (1000.5, True)):
        (d / "returns.csv").write_text(f"checkpoint,stochastic_return,deterministic_return\n100,{said},nan\n")
        problems = check_dataset(tmp_path).problems
        assert bool(problems) == flagged, (said, problems)
    assert "says stochastic_return 1000.5 at checkpoint 100: expected 1000" in problems[0]


def test_task_json_is_written_with_sorted_keys(tmp_path):
    """task.json lists its keys sorted (nested ones too), so two records of the same task read
    alike line by line whatever order the writer built them in."""
    write_task_meta(tmp_path, {"task_idx": 0, "env_name": "point-robot", "task": {"goal": 1, "angle": 2}})
    text = (tmp_path / "task.json").read_text()
    assert (
        text == json.dumps({"env_name": "point-robot", "task": {"angle": 2, "goal": 1}, "task_idx": 0}, indent=2) + "\n"
    )


def test_a_refused_task_json_write_leaves_the_old_one_whole(tmp_path, monkeypatch):
    """task.json is written atomically: a write the disk refuses (full) is an OSError and the task.json
    that was there is left as it was, not cut short, with no temporary file beside it."""
    import errno

    write_task_meta(tmp_path, {"env_name": "point-robot", "complete": False})
    before = (tmp_path / "task.json").read_text()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left on device"):
        write_task_meta(tmp_path, {"env_name": "point-robot", "complete": True})
    monkeypatch.undo()
    assert (tmp_path / "task.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["task.json"]


def test_a_task_json_without_task_idx_describes_its_folders_task(tmp_path):
    """A task.json that does not say task_idx is taken as its folder's task; one that says another
    index is a problem."""
    d = task_dir(tmp_path, 3)
    assert task_identity_problem(d, {"env_name": "point-robot"}) is None
    assert "describes task 2: expected task 3" in task_identity_problem(d, {"task_idx": 2})


def test_a_task_json_may_list_checkpoint_0(tmp_path):
    """Checkpoints are whole numbers >= 0: a task.json listing checkpoint 0 is usable."""
    assert task_record_problem(tmp_path, {"checkpoints": [0, 100]}) is None
    assert listed_checkpoints(tmp_path, {"checkpoints": [0, 100]}) == [0, 100]
    assert "lists checkpoint -1" in task_record_problem(tmp_path, {"checkpoints": [-1, 100]})


def test_same_task_compares_a_flag_exactly_not_as_a_number():
    """True is not a number near 1: a task description's flag equals only an equal flag, whichever side it is on."""
    assert same_task({"flag": True}, {"flag": True})
    assert not same_task({"flag": True}, {"flag": 1.0000005})
    assert not same_task({"flag": 1.0000005}, {"flag": True}) and not same_task(1, True) and not same_task(True, 1)
    assert not same_task(False, 1e-12) and not same_task(1e-12, False) and not same_task(0, False)


def test_import_legacy_marks_its_tasks_as_imported_and_out_of_the_physics_check(tmp_path):
    """An imported task.json says where it came from ("source"), which keeps the reference's data out
    of the physics check: it loads under a family of physics version 2."""
    src, back = tmp_path / "legacy", tmp_path / "back"
    save_legacy_rows(src / "goal_idx0" / "trj_evalsample0_step100.npy", [legacy_row()] * 2)
    import_legacy(src, back, "point-robot", allow_pickle=True, env_dims=(2, 2))
    assert read_task_meta(task_dir(back, 0))["source"] == f"import-legacy {src}"
    data = load_task_data(back, 0, [100], "sample", 1, "point-robot", 2, 2, physics_version=2)
    assert data.n_traj == 1


def test_import_legacy_names_the_missing_file_of_the_earliest_checkpoint_first(tmp_path):
    """goal_idx1 lacks an episode of checkpoint 100's stochastic ones and checkpoint 200's
    deterministic one: the line names checkpoint 100's file, the first by checkpoint."""
    src, legacy = tmp_path / "ours", tmp_path / "legacy"
    for task in (0, 1):
        write_task(src, task)
    export_legacy(src, legacy)
    for name in ("trj_evalsample0_step100.npy", "trj_eval0_step200.npy"):
        (legacy / "goal_idx1" / name).unlink()
    with pytest.raises(UserError, match=r"goal_idx1/trj_evalsample0_step100\.npy' is missing"):
        import_legacy(legacy, tmp_path / "back", "point-robot", allow_pickle=True)


def _damage_deflate(path, member):
    """Set the first deflate block of `member` (a compressed .npz's) to type 3, which zlib refuses."""
    import zipfile

    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        o = z.getinfo(member).header_offset
    start = o + 30 + int.from_bytes(raw[o + 26 : o + 28], "little") + int.from_bytes(raw[o + 28 : o + 30], "little")
    raw[start] |= 0x06
    path.write_bytes(raw)


def test_a_compressed_step_file_of_a_damaged_deflate_stream_is_one_line_and_a_check_problem(tmp_path):
    """A step file saved compressed (read_npz reads those through np.load's reader) whose deflate stream is invalid
    raises zlib.error inside zipfile: the loader names the file in one line, `check` makes it a problem line, and
    its meta reader (`--regenerate`'s) reads it as no .npz, as it does a lone .npy saved under the file's name."""
    write_task(tmp_path, 0, steps=(100,))
    path = task_dir(tmp_path, 0) / "step100.npz"
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    np.savez_compressed(path, **arrays, meta_seed=np.arange(300))
    _damage_deflate(path, "sample_obs.npy")
    said = r"step100\.npz' is truncated or unreadable \(error: Error -3 while decompressing"
    with pytest.raises(UserError, match=said):
        read_checkpoint(task_dir(tmp_path, 0), 100, "sample")
    assert any(re.search(said, p) for p in check_dataset(tmp_path).problems)
    _damage_deflate(path, "meta_seed.npy")
    assert read_npz_meta(path) is None
    with open(path, "wb") as f:
        np.save(f, np.arange(3))
    assert read_npz_meta(path) is None


def test_a_step_file_with_a_dtype_numpy_does_not_know_is_one_line(tmp_path):
    """The fast reader's header parse hands a descriptor numpy does not know ('<f3') to np.load's reader, whose
    ValueError the loader names in one line (np.dtype's TypeError was a traceback)."""
    import io
    import zipfile

    write_task(tmp_path, 0, steps=(100,))
    path = task_dir(tmp_path, 0) / "step100.npz"
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():  # (rewritten with their CRCs: only the header says something odd)
            data = src.read(info)
            dst.writestr(info.filename, data.replace(b"'<f4'", b"'<f3'") if "rewards" in info.filename else data)
    path.write_bytes(out.getvalue())
    with pytest.raises(UserError, match=r"step100\.npz' is truncated or unreadable \(ValueError: descr is not a valid"):
        read_checkpoint(task_dir(tmp_path, 0), 100, "sample")


def test_episode_lengths_longer_than_the_rows_are_refused_before_their_sum_can_wrap(tmp_path):
    """Lengths near 2**62 sum, in int64, to a small number that matches the rows (12 here): each length is held to
    the rows first, so the file is refused in one line naming them, not an IndexError in the terminal check."""
    t = make_trajs(3, 4)
    t.traj_lengths = np.array([2**62, 2**62, 2**62, 2**62 + 12], np.int64)
    assert int(t.traj_lengths.sum()) == 12
    write_checkpoint(task_dir(tmp_path, 0), 100, {"sample": t})
    said = r"sample_traj_lengths holds episode lengths \[4611686018427387904, .*\]: expected lengths <= 12, the rows"
    with pytest.raises(UserError, match=said):
        read_checkpoint(task_dir(tmp_path, 0), 100, "sample")


def test_check_finds_a_step_file_of_no_episodes_of_any_kind(tmp_path):
    """A step file whose kinds hold zero episodes each is a problem for `check`, as for the loader (which refuses
    "0 sample trajectories"), not "0 transitions, complete"."""
    write_task(tmp_path, 0, steps=(100,))
    empty = make_trajs(0, 4)
    write_checkpoint(task_dir(tmp_path, 0), 100, {"sample": empty, "eval": empty})
    problems = check_dataset(tmp_path).problems
    assert problems == [
        f"{str(task_dir(tmp_path, 0) / 'step100.npz')!r} holds no trajectories: expected 'sample' or 'eval' episodes"
    ], problems
