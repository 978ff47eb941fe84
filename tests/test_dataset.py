import numpy as np
import pytest

from rlkit.data.check import check_dataset
from rlkit.data.dataset import Trajectories, task_dir
from rlkit.data.legacy import export_legacy, import_legacy
from rlkit.data.load import load_task_data
from rlkit.data.meta import write_task_meta
from rlkit.data.npz import read_checkpoint, write_checkpoint
from rlkit.errors import UserError
from tests.conftest import ROOT, run_cli


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


def write_task(root, t, steps=(100, 200), env_name="point-robot", obs_dim=2):
    d = task_dir(root, t)
    for s in steps:
        write_checkpoint(
            d, s, {"sample": make_trajs(seed=s + t, obs_dim=obs_dim), "eval": make_trajs(1, seed=s, obs_dim=obs_dim)}
        )
    write_task_meta(
        d,
        {
            "env_name": env_name,
            "task_idx": t,
            "obs_dim": obs_dim,
            "action_dim": 2,
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
    np.testing.assert_array_equal(data.obs[:8], make_trajs(seed=100).obs[:8])


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
    proc = run_cli(["-m", "rlkit.data", "check", str(tmp_path)], cwd=ROOT, check=False)
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


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncate", "delete", "nan"])
def test_damaged_step_file_is_a_one_line_error_naming_it(tmp_path, damage):
    """The loader names the damaged file instead of a BadZipFile/FileNotFoundError traceback; check reports
    it as a problem naming it and goes on checking the other tasks (exit 1, not 2)."""
    write_task(tmp_path, 0)
    write_task(tmp_path, 1)
    path = task_dir(tmp_path, 0) / "step200.npz"
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "delete":
        path.unlink()
    else:
        t = make_trajs(seed=7)
        t.rewards[:] = np.nan
        write_checkpoint(task_dir(tmp_path, 0), 200, {"sample": t})
    expected = {
        "truncate": "truncated or unreadable",
        "delete": "missing checkpoint file",
        "nan": "non-finite values in ['rewards']",
    }
    with pytest.raises(UserError, match=r"step200\.npz") as info:
        load_task_data(tmp_path, 0, range(100, 300, 100), "sample", 2, "point-robot", 2, 2)
    assert expected[damage] in str(info.value) and "\n" not in str(info.value)
    report = check_dataset(tmp_path)
    assert len(report.problems) == 1 and "step200.npz" in report.problems[0] and expected[damage] in report.problems[0]
    assert len(report.lines) == 2 and report.lines[1].startswith("goal_idx1: point-robot task 1, 2 checkpoints")
    proc = run_cli(["-m", "rlkit.data", "check", str(tmp_path)], cwd=ROOT, check=False)
    assert proc.returncode == 1 and proc.stderr.count("problem: ") == 1 and "step200.npz" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "goal_idx1:" in proc.stdout


def test_load_and_check_catch_wrong_incomplete_or_mixed_tasks(tmp_path):
    """A copied folder, another task list, an unfinished task, a step file of another run: each named in one line."""
    import json
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
    import json

    from tests.conftest import ROOT, run_cli

    write_task(tmp_path, 0)
    meta = json.loads((task_dir(tmp_path, 0) / "task.json").read_text())
    meta["complete"] = False
    (task_dir(tmp_path, 0) / "task.json").write_text(json.dumps(meta))
    proc = run_cli(["-m", "rlkit.data", "check", str(tmp_path)], cwd=ROOT, check=False)
    assert proc.returncode == 1 and "INCOMPLETE" in proc.stdout and "problem: " in proc.stderr


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_fast_npz_reader_equals_np_load(tmp_path, save):
    """`read_npz` (views over the file's bytes) against np.load: plain, compressed, Fortran-ordered,
    big-endian, 0-d and empty arrays, and a key the file lacks."""
    from rlkit.data.npz import read_npz

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
    with np.load(path) as z:
        for k in arrays:
            assert got[k].dtype == z[k].dtype and got[k].shape == z[k].shape and got[k].flags.writeable
            np.testing.assert_array_equal(got[k], z[k])


def interrupt(tdir, listed=()):
    """task.json as a stage-1 run killed mid-task leaves it: incomplete, listing `listed` of its step files."""
    import json

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
        ("no such folder", 2),
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
    elif case == "no such folder":
        data = tmp_path / "missing"
    elif case == "no goal_idx folders":
        data = tmp_path / "empty"
        data.mkdir()
    proc = run_cli(["-m", "rlkit.data", "check", str(data)], cwd=ROOT, check=False)
    assert proc.returncode == code and "Traceback" not in proc.stderr, proc.stderr
    if code == 1:
        assert proc.stderr.count("problem: ") == 1 and "goal_idx1: point-robot task 1" in proc.stdout
    if case == "other env's sizes":
        assert "says observation/action sizes 2/2: expected 20/6 for 'cheetah-vel'" in proc.stderr
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
    proc = run_cli(["-m", "rlkit.data", "export-legacy", str(ours), str(legacy)], cwd=ROOT, check=False)
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
    proc = run_cli(
        ["-m", "rlkit.data", "import-legacy", str(legacy), str(back), "--env-name", "cheetah-vel", "--allow-pickle"],
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2 and "expected 20 and 6" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert not back.exists()
    run_cli(
        ["-m", "rlkit.data", "import-legacy", str(legacy), str(back), "--env-name", "point-robot", "--allow-pickle"],
        cwd=ROOT,
    )
    assert run_cli(["-m", "rlkit.data", "check", str(back)], cwd=ROOT).returncode == 0


@pytest.mark.parametrize(
    "content,match",
    [
        (b"[1]", r"task.json' holds a JSON list: expected an object, the task record stage 1 writes$"),
        (b"\xff\xfe{", r"task.json' is not valid JSON \(.*codec.*\): expected the task record stage 1 writes$"),
        (b"{", r"task.json' is not valid JSON \(.*\): expected the task record stage 1 writes$"),
    ],
)
def test_a_damaged_task_json_is_one_line_for_loading_and_check(tmp_path, content, match):
    from rlkit.data.meta import read_task_meta

    write_task(tmp_path, 0)
    (task_dir(tmp_path, 0) / "task.json").write_bytes(content)
    with pytest.raises(UserError, match=match):
        read_task_meta(task_dir(tmp_path, 0))
    with pytest.raises(UserError, match=match):
        load_task_data(tmp_path, 0, [100], "sample", 3, "point-robot", 2, 2)


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
