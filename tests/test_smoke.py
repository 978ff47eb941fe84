"""Both stages through their CLIs on the tiny config, resume, and bad input."""

import errno
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import rlkit.experiment
from rlkit.config import load_config
from rlkit.errors import UserError
from rlkit.experiment import MetaTrainer, output_dir, prepare
from rlkit.logging import RETURN_COLUMNS, SPREAD_COLUMNS
from tests.conftest import ROOT, TINY_CONFIG, python_path, run_cli, run_here


@pytest.mark.slow
def test_stage1_writes_complete_pickle_free_tasks(tiny_data):
    proc = run_here(["-m", "rlkit.data", "check", str(tiny_data)], cwd=ROOT)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 6 and all("2 checkpoints" in line and line.endswith("complete") for line in lines)
    meta = json.loads((tiny_data / "goal_idx4" / "task.json").read_text())
    assert meta["task"]["goal"] == pytest.approx([np.cos(np.pi * 4 / 5), np.sin(np.pi * 4 / 5)])
    assert meta["physics"] == 1  # point-robot's physics never changed


@pytest.mark.slow
def test_stage1_rerun_skips_complete_tasks(tiny_data):
    proc = run_here(
        [str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--sac_config", "tiny_point"],
        cwd=tiny_data.parent.parent,
    )
    assert "6 already complete, 0 to train" in proc.stdout


@pytest.mark.slow
def test_stage1_refuses_to_mix_settings(tiny_data):
    proc = run_here(
        [str(ROOT / "policy_train.py"), str(TINY_CONFIG), "--sac_config", "tiny_point", "num_train_steps=400"],
        cwd=tiny_data.parent.parent,
        check=False,
    )
    assert proc.returncode == 2 and "other settings" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_stage2_cli_outputs(tiny_data, tmp_path, monkeypatch):
    work = tiny_data.parent.parent
    run_cli(
        [
            str(ROOT / "launch_experiment.py"),
            str(TINY_CONFIG),
            "--seed",
            "1",
            "--exp_name",
            "cli",
            "--gpu",
            "0",
            "--base_log_dir",
            str(tmp_path),
            "--no-progress",
            "--threads",
            "1",
        ],
        cwd=work,
    )
    run = tmp_path / "point-robot" / "cli" / "seed1"
    df = pd.read_csv(run / "progress.csv")
    assert len(df) == 2 and np.isfinite(df.to_numpy()).all()
    for col in [
        *RETURN_COLUMNS.values(),
        "QF Loss",
        "Club Loss",
        "Z Loss",
        "Club model Loss",
        "Train Time (s)",
        "Epoch",
        "Z mean train0",
        "Log Pis Mean",
        "alpha Max",
        "Z variance train",
        "Z mean eval0",
        "Z mean eval3",
        "Z variance eval",
    ]:
        assert col in df.columns
    assert (df["Z variance eval"] > 0).all() and (df["Z variance train"] > 0).all()
    assert (df[[f"Z mean eval{i}" for i in range(4)]].abs().sum(axis=1) > 0).all()
    variant = json.loads((run / "variant.json").read_text())
    assert variant["seed"] == 1 and variant["algo_params"]["meta_batch"] == 4
    assert list((run / "tb").glob("events.*"))
    debug = (run / "debug.log").read_text()
    device = "device cuda:0" if torch.cuda.is_available() else "device cpu"  # --gpu 0, as asked, or the CPU
    assert '"meta_batch": 4' in debug and device in debug and "itr 1: offline" in debug
    snaps = sorted(p.name for p in (run / "snapshots").glob("*.pt"))
    assert snaps == ["itr_0.pt", "itr_1.pt"]  # named by the progress row's Epoch
    state = torch.load(run / "snapshots" / "itr_1.pt", weights_only=True)
    assert "agent" in state["trainer"]["modules"]
    proc = run_cli([str(ROOT / "show_path.py"), str(run), "--runs", "1"], cwd=work)
    assert (run / "paths.png").is_file(), proc.stdout
    from click.testing import CliRunner

    import show_path

    monkeypatch.chdir(work)  # the run's data_dir is relative to where it was trained
    figures = tmp_path / "figures" / "itr0"  # --out into a folder that does not exist yet
    result = CliRunner().invoke(
        show_path.main,
        [str(run), "--itr", "0", "--runs", "1", "--out", str(figures / "np.png")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in figures.iterdir()) == [
        "np.png",
        "paths_offline.png",
        "paths_online_prior.png",
        "z_pca.png",
    ]
    proc = run_here(["-m", "rlkit.report", str(tmp_path)], cwd=work)  # (in this process: the same main, without
    assert "non-prior context (Np)" in proc.stdout and "oracle" in proc.stdout  # a fresh interpreter's 2-3 s)
    run_here(["-m", "rlkit.plot", str(tmp_path), "--out", str(tmp_path / "curve.png")], cwd=work)
    assert (tmp_path / "curve.png").stat().st_size > 1000


@pytest.mark.slow
def test_a_run_without_meta_test_logs_no_returns_and_is_not_reported(tiny_data, tmp_path, monkeypatch):
    """With allow_eval false no meta-test runs: its columns are nan (not 0, which the report scored above the
    oracle), the run resumes, and report refuses it in one line."""
    from rlkit.logging import meta_test_columns

    monkeypatch.chdir(tiny_data.parent.parent)
    for iterations in (1, 2):
        cfg = load_config(
            TINY_CONFIG,
            {
                "algo_params": {"num_iterations": iterations, "allow_eval": False},
                "util_params": {"exp_name": "noeval", "base_log_dir": str(tmp_path)},
            },
        )
        MetaTrainer(prepare(cfg, 0, torch.device("cpu")), show_progress=False).run()
    run = tmp_path / "point-robot" / "noeval" / "seed0"
    df = pd.read_csv(run / "progress.csv")
    tested = meta_test_columns(df.columns)
    assert len(df) == 2 and set(RETURN_COLUMNS.values()) < set(tested) and "Z variance eval" in tested
    assert df[tested].isna().all().all() and np.isfinite(df.drop(columns=tested + list(SPREAD_COLUMNS))).all().all()
    assert "itr 1: no meta-test (allow_eval false)" in (run / "debug.log").read_text()
    proc = run_here(["-m", "rlkit.report", str(tmp_path)], cwd=ROOT, check=False)
    assert proc.returncode == 2 and proc.stderr.strip().endswith(
        "has 2 progress row(s) without all three meta-test returns (a run trained with allow_eval false has none): "
        "expected runs that meta-tested every iteration"
    )


@pytest.mark.slow
def test_the_iteration_bar_is_drawn_on_a_terminal_only(tiny_data, tmp_path, monkeypatch, capsys):
    """Output into a file (not a terminal) gets each iteration's summary line without the bar's carriage-return
    residue ("itr 0:   0%|   | 0/10" before every line); on a terminal the bar is drawn (on stderr), unless the run
    is told not to (--no-progress)."""
    monkeypatch.chdir(tiny_data.parent.parent)

    def run(name, show_progress):
        cfg = load_config(
            TINY_CONFIG,
            {"algo_params": {"num_iterations": 1}, "util_params": {"exp_name": name, "base_log_dir": str(tmp_path)}},
        )
        MetaTrainer(prepare(cfg, 0, torch.device("cpu")), show_progress=show_progress).run()
        return capsys.readouterr()

    out, err = run("bar", True)
    assert "itr 0:" in out and "itr 0" not in err and "\r" not in out + err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    out, err = run("bar-on-a-terminal", True)
    assert "itr 0:" in out and "itr 0:" in err and "\r" in err
    out, err = run("no-bar-on-a-terminal", False)
    assert "itr 0:" in out and "itr 0" not in err


@pytest.mark.slow
def test_resume_continues_exactly(tiny_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tiny_data.parent.parent)
    ignore = [c for c in ("Train Time (s)", "(Previous) Eval Time (s)", "Epoch Time (s)", "Total Train Time (s)")]

    def run(name, iterations):
        cfg = load_config(
            TINY_CONFIG,
            {
                "algo_params": {"num_iterations": iterations},
                "util_params": {"exp_name": name, "base_log_dir": str(tmp_path)},
            },
        )
        MetaTrainer(prepare(cfg, 0, torch.device("cpu")), show_progress=False).run()
        return pd.read_csv(tmp_path / "point-robot" / name / "seed0" / "progress.csv").drop(columns=ignore)

    straight = run("straight", 2)
    run("resumed", 1)
    resumed = run("resumed", 2)
    pd.testing.assert_frame_equal(straight, resumed)
    log = (tmp_path / "point-robot" / "resumed" / "seed0" / "debug.log").read_text()
    assert "resumed at iteration 1" in log  # (a restart from scratch would also end equal)
    from rlkit.data.meta import running_versions, source_revision

    record = json.loads((tmp_path / "point-robot" / "resumed" / "seed0" / "code.json").read_text())["trained_with"]
    assert record == [
        {
            "from_iteration": 0,
            "revision": source_revision(),
            "versions": running_versions(),
            "device": "cpu, capture off",
            "threads": torch.get_num_threads(),
            "cpu": torch.backends.cpu.get_cpu_capability(),
        }
    ]  # the resume on the same code, threads and CPU added nothing


def _train_tiny(base, exp_name: str, iterations: int, algo_type: str = "CSRO", **algo) -> None:
    """A run of the tiny config (in the tiny data's folder) to `iterations`, under BASE/point-robot/EXP_NAME."""
    overrides = {
        "algo_type": algo_type,
        "algo_params": {"num_iterations": iterations, **algo},
        "util_params": {"exp_name": exp_name, "base_log_dir": str(base)},
    }
    MetaTrainer(prepare(load_config(TINY_CONFIG, overrides), 0, torch.device("cpu")), show_progress=False).run()


@pytest.mark.slow
def test_a_run_of_other_seed_streams_is_not_resumed(tiny_data, tmp_path, monkeypatch):
    """latest.pt records the seeding version (rlkit.seeding): a run saved under another derivation of its
    streams (one without the record: version 1) is refused, not continued with mixed streams; once finished,
    rerunning it is still the no-op it was."""
    monkeypatch.chdir(tiny_data.parent.parent)

    def run(iterations):
        _train_tiny(tmp_path, "old", iterations)

    run(1)
    latest = tmp_path / "point-robot" / "old" / "seed0" / "latest.pt"
    state = torch.load(latest, weights_only=True)
    del state["seeding"]
    torch.save(state, latest)
    run(1)
    with pytest.raises(
        UserError,
        match=r"latest.pt' was saved by a run whose random streams are derived another way "
        r"\(seeding version 1, this code's 2\)",
    ):
        run(2)


@pytest.mark.slow
def test_a_refused_resume_leaves_the_run_folder_as_it_was(tiny_data, tmp_path, monkeypatch):
    """A resume refused once it reads what it continues (here a progress.csv without its rows) rewrote variant.json
    first (num_iterations 1 -> 2): the folder then named a config it never trained. Its files stay as they were."""
    monkeypatch.chdir(tiny_data.parent.parent)
    _train_tiny(tmp_path, "damaged", 1)
    run = tmp_path / "point-robot" / "damaged" / "seed0"
    progress = run / "progress.csv"
    progress.write_text(progress.read_text().splitlines()[0] + "\n")
    kept = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name != "debug.log"}
    assert {"variant.json", "dataset.json", "latest.pt"} <= set(kept)
    with pytest.raises(UserError, match=r"progress.csv' has a header but no rows"):
        _train_tiny(tmp_path, "damaged", 2)
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name != "debug.log"} == kept


@pytest.mark.slow
def test_a_latest_pt_that_is_not_a_run_state_is_one_line(tiny_data, tmp_path, monkeypatch):
    """A torch file of something else under latest.pt (a stage-1 state, a bare state_dict copied there) was a
    KeyError traceback on resume, where its iterations are counted: one line naming the file."""
    monkeypatch.chdir(tiny_data.parent.parent)

    def run(iterations):
        _train_tiny(tmp_path, "other", iterations)

    run(1)
    latest = tmp_path / "point-robot" / "other" / "seed0" / "latest.pt"
    for other in ({"tasks": [0, 1], "step": 100}, {"counters": {"iteration": 1}}, [1, 2]):
        torch.save(other, latest)
        with pytest.raises(UserError) as e:
            run(2)
        assert str(e.value).startswith(
            f"{str(latest)!r} is not the state of a run (no trainer state and counters.iteration, which "
            "launch_experiment.py saves): expected the state the run saved; "
        )


@pytest.mark.slow
def test_a_sampled_z_run_saved_before_test_z_was_keyed_by_iteration_is_not_resumed(tiny_data, tmp_path, monkeypatch):
    """OFFPEARL with sample_z_at_test: a state without the record that stream test_z is keyed by the iteration drew
    its meta-test z from one stream run on; it is refused, as a run of other seed streams is. Other runs resume."""
    monkeypatch.chdir(tiny_data.parent.parent)

    def run(iterations, name, **algo):
        _train_tiny(tmp_path, name, iterations, algo_type="OFFPEARL" if algo else "CSRO", **algo)

    sampled = {"use_information_bottleneck": True, "sample_z_at_test": True}
    for name, algo in (("sampled", sampled), ("plain", {})):
        run(1, name, **algo)
        latest = tmp_path / "point-robot" / name / "seed0" / "latest.pt"
        state = torch.load(latest, weights_only=True)
        assert state.pop("test_z_by_iteration") is True  # (what this version saves: its z keyed by the iteration)
        torch.save(state, latest)
    run(2, "plain")  # nothing sampled: resumed
    with pytest.raises(UserError, match=r"latest.pt' was saved by a sample_z_at_test run whose meta-test z came"):
        run(2, "sampled", **sampled)


def _error(args, cwd):
    proc = run_here(args, cwd=cwd, check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    "extra,match",
    [
        (["--data_dir", "./nowhere"], "missing dataset folder"),
        (["--env_name", "sparse-point-robot"], "is for env 'point-robot'"),
        (["--env_name", "cheetah-nope"], "unknown env_name 'cheetah-nope'"),
        (["--meta_bach", "3"], "unknown config key 'meta_bach': did you mean 'algo_params.meta_batch'?"),
        (
            ["--algo_params.num_iteration", "2"],
            "'algo_params.num_iteration': did you mean 'algo_params.num_iterations'?",
        ),
        (["num_iterations=1"], "override 'num_iterations=1': expected --num_iterations 1 (KEY=VALUE is stage 1's"),
        (["--num_iterations", "abc"], "'algo_params.num_iterations' must be an integer"),
        (["--sparse_rewards", "true"], "algo_params.sparse_rewards is set but 'point-robot' has no sparse reward"),
        (["--train_epoch", "[100,300,0]"], "algo_params.train_epoch [100, 300, 0]: expected [start, stop, step] with"),
        (["--reward_scale", "Infinity"], "config key 'algo_params.reward_scale' inf: expected a finite number"),
        (["--gpu", "-2"], "--gpu -2: expected a CUDA device number >= 0, or -1 for the CPU"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(tiny_data, tmp_path, extra, match):
    line = _error(
        [
            str(ROOT / "launch_experiment.py"),
            str(TINY_CONFIG),
            "--base_log_dir",
            str(tmp_path / "out"),
            "--exp_name",
            "x",
            *extra,
        ],
        cwd=tiny_data.parent.parent,
    )
    assert match in line
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_wrong_observation_size_is_reported(tiny_data, tmp_path):
    bad = tmp_path / "data"
    shutil.copytree(tiny_data, bad)
    for t in range(6):
        meta_path = bad / f"goal_idx{t}" / "task.json"
        meta = json.loads(meta_path.read_text())
        meta["obs_dim"] = 3
        meta_path.write_text(json.dumps(meta))
    line = _error(
        [
            str(ROOT / "launch_experiment.py"),
            str(TINY_CONFIG),
            "--data_dir",
            str(bad),
            "--base_log_dir",
            str(tmp_path / "out"),
        ],
        cwd=tmp_path,
    )
    assert "obs/action dims 3/2: expected 2/2" in line and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_divergence_is_one_line_exit_3(tiny_data, tmp_path):
    proc = run_here(
        [
            str(ROOT / "launch_experiment.py"),
            str(TINY_CONFIG),
            "--base_log_dir",
            str(tmp_path),
            "--exp_name",
            "div",
            "--reward_scale",
            "1e30",
            "--no-progress",
        ],
        cwd=tiny_data.parent.parent,
        check=False,
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 3, proc.stderr
    assert len(lines) == 1 and "training diverged at iteration 0: loss 'QF Loss' is not finite" in lines[0]
    assert not (tmp_path / "point-robot" / "div" / "seed0" / "progress.csv").exists()


@pytest.mark.slow
def test_divergence_keeps_the_rows_and_snapshot_before_it(tiny_data, tmp_path, monkeypatch):
    from rlkit.errors import DivergedError

    monkeypatch.chdir(tiny_data.parent.parent)
    cfg = load_config(
        TINY_CONFIG,
        {"algo_params": {"num_iterations": 3}, "util_params": {"exp_name": "late", "base_log_dir": str(tmp_path)}},
    )
    trainer = MetaTrainer(prepare(cfg, 0, torch.device("cpu")), show_progress=False)
    step = trainer.step

    def poisoned_step(at=None):
        if trainer.counters["iteration"] == 1:  # the second iteration: a weight of the policy becomes NaN
            with torch.no_grad():
                next(trainer.trainer.agent.policy.parameters())[0, 0] = float("nan")
        return step(at)

    trainer.step = poisoned_step
    with pytest.raises(DivergedError, match="iteration 1: .* is not finite"):
        trainer.run()
    run = tmp_path / "point-robot" / "late" / "seed0"
    assert len(pd.read_csv(run / "progress.csv")) == 1
    state = torch.load(run / "latest.pt", weights_only=True)
    assert state["counters"]["iteration"] == 1
    assert all(torch.isfinite(p).all() for p in state["trainer"]["modules"]["agent"].values())


@pytest.mark.slow
def test_negative_seed_is_one_line_error(tiny_data, tmp_path):
    line = _error(
        [str(ROOT / "launch_experiment.py"), str(TINY_CONFIG), "--seed", "-1", "--base_log_dir", str(tmp_path)],
        cwd=tiny_data.parent.parent,
    )
    assert "--seed" in line and "-1" in line


@pytest.mark.slow
def test_split_part_without_tasks_says_so_and_exits_0(tmp_path):
    proc = run_here(
        [
            str(ROOT / "policy_train.py"),
            "--config",
            str(TINY_CONFIG),
            "--sac_config",
            "tiny_point",
            "--split",
            "10",
            "--split_idx",
            "1",
        ],
        cwd=tmp_path,
    )
    assert "part 1 of 10 holds no tasks (6 tasks in 10 parts): nothing to do" in proc.stdout
    assert not (tmp_path / "offline_dataset").exists()


def _tiny(tmp_path, name, **algo):
    return load_config(
        TINY_CONFIG,
        {
            "algo_params": dict({"num_iterations": 1}, **algo),
            "util_params": {"exp_name": name, "base_log_dir": str(tmp_path)},
        },
    )


@pytest.mark.slow
def test_rerun_names_differing_keys_and_never_shrinks_a_run(tiny_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tiny_data.parent.parent)
    MetaTrainer(prepare(_tiny(tmp_path, "r", num_iterations=2), 0, torch.device("cpu")), show_progress=False).run()
    run = tmp_path / "point-robot" / "r" / "seed0"
    variant = (run / "variant.json").read_text()
    with pytest.raises(UserError, match=r"algo_params\.discount: 0\.9 -> 0\.5"):
        MetaTrainer(prepare(_tiny(tmp_path, "r", num_iterations=2, discount=0.5), 0, torch.device("cpu"))).run()
    with pytest.raises(UserError, match="has done 2 iterations: expected num_iterations >= 2"):
        MetaTrainer(prepare(_tiny(tmp_path, "r", num_iterations=1), 0, torch.device("cpu"))).run()
    assert (run / "variant.json").read_text() == variant and len(pd.read_csv(run / "progress.csv")) == 2


@pytest.mark.slow
def test_a_run_without_snapshot_is_replaced(tiny_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tiny_data.parent.parent)
    run = tmp_path / "point-robot" / "r" / "seed0"
    run.mkdir(parents=True)
    (run / "variant.json").write_text(
        json.dumps({"algo_params": {"discount": 0.1}})
    )  # failed before its first snapshot
    MetaTrainer(prepare(_tiny(tmp_path, "r"), 0, torch.device("cpu")), show_progress=False).run()
    assert json.loads((run / "variant.json").read_text())["algo_params"]["discount"] == 0.9
    assert len(pd.read_csv(run / "progress.csv")) == 1 and not (run / ".lock").exists()
    # a trained run whose resume files were lost is refused, neither replaced nor continued unchecked
    variant = (run / "variant.json").read_bytes()
    (run / "variant.json").unlink()
    with pytest.raises(UserError, match=r"holds latest.pt but no variant.json, so its config cannot be checked"):
        MetaTrainer(prepare(_tiny(tmp_path, "r"), 0, torch.device("cpu")), show_progress=False).run()
    (run / "variant.json").write_bytes(variant)
    (run / "latest.pt").unlink()
    before = (run / "progress.csv").read_bytes()
    with pytest.raises(UserError, match=r"holds trained iterations \(itr_0.pt\) but no latest.pt"):
        MetaTrainer(prepare(_tiny(tmp_path, "r"), 0, torch.device("cpu")), show_progress=False).run()
    assert (run / "progress.csv").read_bytes() == before
    (run / "latest.pt").mkdir()  # (said "but no latest.pt")
    with pytest.raises(UserError, match=r"latest.pt' is not a file: expected the state the run saved, or nothing"):
        MetaTrainer(prepare(_tiny(tmp_path, "r"), 0, torch.device("cpu")), show_progress=False).run()
    assert (run / "progress.csv").read_bytes() == before


@pytest.mark.slow
def test_a_kill_between_latest_and_its_snapshot_resumes_and_writes_the_snapshot(tiny_data, tmp_path, monkeypatch):
    """latest.pt is written before the snapshot of its iteration: a kill between the two (here at the first
    iteration's) leaves a run that resumes, and the resume writes the snapshot from latest.pt."""
    import rlkit.experiment

    monkeypatch.chdir(tiny_data.parent.parent)
    run = tmp_path / "point-robot" / "r" / "seed0"
    write = rlkit.experiment.atomic_write

    def killed_at_a_snapshot(path, fn):
        if os.path.basename(os.path.dirname(path)) == "snapshots":
            raise KeyboardInterrupt
        write(path, fn)

    monkeypatch.setattr(rlkit.experiment, "atomic_write", killed_at_a_snapshot)
    with pytest.raises(KeyboardInterrupt):
        MetaTrainer(prepare(_tiny(tmp_path, "r", num_iterations=2), 0, torch.device("cpu")), show_progress=False).run()
    assert (run / "latest.pt").is_file() and not (run / "snapshots" / "itr_0.pt").exists()
    latest = (run / "latest.pt").read_bytes()
    monkeypatch.setattr(rlkit.experiment, "atomic_write", write)
    MetaTrainer(prepare(_tiny(tmp_path, "r", num_iterations=2), 0, torch.device("cpu")), show_progress=False).run()
    assert (run / "snapshots" / "itr_0.pt").read_bytes() == latest  # the state latest.pt held after iteration 0
    assert (run / "snapshots" / "itr_1.pt").is_file() and len(pd.read_csv(run / "progress.csv")) == 2


@pytest.mark.slow
def test_a_run_that_fails_closes_its_log_and_tensorboard_writer(tiny_data, tmp_path, monkeypatch):
    """A diverged run in a process that goes on (--seeds, a sweep, a notebook) leaves no open debug.log handler or
    TensorBoard writer behind."""
    import logging

    from rlkit.errors import DivergedError
    from rlkit.logging import RunLogger

    monkeypatch.chdir(tiny_data.parent.parent)
    closed = []
    real = RunLogger.close
    monkeypatch.setattr(RunLogger, "close", lambda self: (closed.append(self.dir), real(self)))

    def diverge(self, logger):
        raise DivergedError("training diverged at iteration 0")

    monkeypatch.setattr(MetaTrainer, "iteration", diverge)
    with pytest.raises(DivergedError):
        MetaTrainer(prepare(_tiny(tmp_path, "d"), 0, torch.device("cpu")), show_progress=False).run()
    run = tmp_path / "point-robot" / "d" / "seed0"
    assert closed == [run] and logging.getLogger(f"csro.{run}").handlers == []


@pytest.mark.slow
def test_a_context_of_one_transition_trains(tiny_data, tmp_path, monkeypatch):
    """embedding_batch_size 1 (valid: >= 1) trains and logs a finite row; its `Z variance train` is 0, not the NaN
    that would stop the run as diverged."""
    monkeypatch.chdir(tiny_data.parent.parent)
    MetaTrainer(
        prepare(_tiny(tmp_path, "one", embedding_batch_size=1), 0, torch.device("cpu")), show_progress=False
    ).run()
    row = pd.read_csv(tmp_path / "point-robot" / "one" / "seed0" / "progress.csv").iloc[0]
    assert row["Z variance train"] == 0.0 and np.isfinite(row.drop(list(SPREAD_COLUMNS)).to_numpy(float)).all()


@pytest.mark.slow
def test_one_process_per_run_folder(tiny_data, tmp_path, monkeypatch):
    import subprocess
    import sys

    monkeypatch.chdir(tiny_data.parent.parent)
    run = tmp_path / "point-robot" / "r" / "seed0"
    run.mkdir(parents=True)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (run / ".lock").write_text(str(sleeper.pid))
        with pytest.raises(UserError, match=f"being trained by another process \\(pid {sleeper.pid}\\)"):
            MetaTrainer(prepare(_tiny(tmp_path, "r"), 0, torch.device("cpu"))).run()
    finally:
        sleeper.kill()
        sleeper.wait()
    MetaTrainer(
        prepare(_tiny(tmp_path, "r"), 0, torch.device("cpu")), show_progress=False
    ).run()  # stale lock taken over
    assert len(pd.read_csv(run / "progress.csv")) == 1


@pytest.mark.slow
def test_a_run_is_tied_to_its_data_by_content(tiny_data, tmp_path, monkeypatch):
    """The same data under another path resumes; other data under the same path is refused, by meta-training
    and by `rlkit.reproduce`'s check of a finished run, naming the tasks that differ."""
    from rlkit.data.dataset import task_dir
    from rlkit.data.npz import read_checkpoint, write_checkpoint
    from rlkit.reproduce.plan import RunSpec, check_existing

    monkeypatch.chdir(tmp_path)
    shutil.copytree(tiny_data, tmp_path / "a")
    shutil.copytree(tiny_data, tmp_path / "b")

    def cfg(data, iterations):
        return load_config(
            TINY_CONFIG,
            {
                "algo_params": {"num_iterations": iterations, "data_dir": str(tmp_path / data)},
                "util_params": {"exp_name": "r", "base_log_dir": str(tmp_path / "out")},
            },
        )

    MetaTrainer(prepare(cfg("a", 1), 0, torch.device("cpu")), show_progress=False).run()
    run = tmp_path / "out" / "point-robot" / "r" / "seed0"
    assert json.loads((run / "dataset.json").read_text())["data_dir"] == str(tmp_path / "a")
    MetaTrainer(prepare(cfg("b", 2), 0, torch.device("cpu")), show_progress=False).run()  # same content, another path
    assert len(pd.read_csv(run / "progress.csv")) == 2
    tdir = task_dir(tmp_path / "b", 1)  # task 1's behaviour episodes replaced by other ones
    sample, evals = read_checkpoint(tdir, 200, "sample"), read_checkpoint(tdir, 200, "eval")
    sample.rewards = sample.rewards + 1.0
    write_checkpoint(tdir, 200, {"sample": sample, "eval": evals})
    with pytest.raises(
        UserError,
        match=r"was trained on other data than .*/b' holds now \(tasks \[1\] differ; it was "
        r"read from .*/a'\): expected the same data to resume",
    ):
        MetaTrainer(prepare(cfg("b", 3), 0, torch.device("cpu")), show_progress=False).run()
    assert len(pd.read_csv(run / "progress.csv")) == 2
    overrides = {
        "algo_params": {"num_iterations": 2, "data_dir": str(tmp_path / "b")},
        "util_params": {"exp_name": "r", "base_log_dir": str(tmp_path / "out")},
    }
    with pytest.raises(UserError, match=r"tasks \[1\] differ"):
        check_existing(RunSpec("CSRO", 0, str(TINY_CONFIG), {}, overrides, run, 1, None))
    overrides["algo_params"]["data_dir"] = str(tmp_path / "a")
    assert check_existing(RunSpec("CSRO", 0, str(TINY_CONFIG), {}, overrides, run, 1, None)) == "finished"
    record = (run / "dataset.json").read_bytes()
    for damaged, problem in [
        (b"{not json", "is not valid JSON .*"),
        (b"[1]", "holds a JSON list: expected an object, "),
        (b'{"tasks": {}}', "holds no data digest: expected "),
    ]:
        (run / "dataset.json").write_bytes(damaged)
        with pytest.raises(UserError, match=f"dataset.json' {problem}the data fingerprint a run writes"):
            check_existing(RunSpec("CSRO", 0, str(TINY_CONFIG), {}, overrides, run, 1, None))
    (run / "dataset.json").write_bytes(record)
    variant = (run / "variant.json").read_bytes()
    for damaged, problem in [(b"\xff{", "is not valid JSON .*"), (b'"r"', "holds a JSON str: expected an object, ")]:
        (run / "variant.json").write_bytes(damaged)
        with pytest.raises(UserError, match=f"variant.json' {problem}the config the run wrote"):
            check_existing(RunSpec("CSRO", 0, str(TINY_CONFIG), {}, overrides, run, 1, None))
    (run / "variant.json").write_bytes(variant)
    # a run killed before its first snapshot left its fingerprint: the run that replaces it records its own data
    (run / "latest.pt").unlink()
    shutil.rmtree(run / "snapshots")  # (such a run has no snapshot: one without latest.pt is refused, above)
    (run / "dataset.json").write_text(json.dumps({"digest": "of a", "tasks": {}, "data_dir": str(tmp_path / "a")}))
    MetaTrainer(prepare(cfg("b", 1), 0, torch.device("cpu")), show_progress=False).run()
    assert json.loads((run / "dataset.json").read_text())["data_dir"] == str(tmp_path / "b")
    MetaTrainer(prepare(cfg("b", 2), 0, torch.device("cpu")), show_progress=False).run()  # resumes on b
    assert len(pd.read_csv(run / "progress.csv")) == 2


@pytest.mark.slow
def test_a_run_on_a_copy_of_the_data_records_where_the_data_is(tiny_data, tmp_path, monkeypatch):
    """A cluster worker reads its node's copy of the data (`prepare`'s data_dir): dataset.json names the config's
    data_dir, where the data is, not that copy, with the same digest as a run on the data itself."""
    monkeypatch.chdir(tiny_data.parent.parent)
    shutil.copytree(tiny_data, tmp_path / "copy")
    cfg = load_config(TINY_CONFIG, {"algo_params": {"num_iterations": 1}, "util_params": {"exp_name": "r"}})
    copied = prepare(cfg, 0, torch.device("cpu"), data_dir=tmp_path / "copy", out_dir=tmp_path / "run")
    MetaTrainer(copied, show_progress=False).run()
    record = json.loads((tmp_path / "run" / "dataset.json").read_text())
    assert record["data_dir"] == cfg.algo_params.data_dir
    assert record["digest"] == prepare(cfg, 0, torch.device("cpu"), out_dir=tmp_path / "other").data_print["digest"]


@pytest.mark.slow
def test_gpu_minus_one_is_the_cpu(tiny_data, tmp_path, monkeypatch):
    """The reference's users write --gpu -1 for the CPU."""
    from click.testing import CliRunner

    import launch_experiment

    monkeypatch.chdir(tiny_data.parent.parent)
    result = CliRunner().invoke(
        launch_experiment.main,
        [
            str(TINY_CONFIG),
            "--gpu",
            "-1",
            "--exp_name",
            "cpu",
            "--no-progress",
            "--num_iterations",
            "1",
            "--base_log_dir",
            str(tmp_path),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "device cpu" in result.output
    variant = json.loads((tmp_path / "point-robot" / "cpu" / "seed0" / "variant.json").read_text())
    assert variant["util_params"]["use_gpu"] is False


# ---- stage 1's options -----------------------------------------------------------------------------
@pytest.mark.slow
def test_stage1_seed_is_the_sac_seed(tmp_path):
    """`--seed S` sets the behaviour SAC's seed, as the `seed=S` override does; both, disagreeing, are an error."""
    stage1 = [str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--sac_config", "tiny_point"]
    line = _error([*stage1, "--seed", "5", "seed=6"], cwd=tmp_path)
    assert "--seed 5 and seed=6: expected one of them" in line and not (tmp_path / "offline_dataset").exists()
    run_here([*stage1, "--seed", "5", "seed=5", "--split", "6", "--split_idx", "0", "--no-progress"], cwd=tmp_path)
    line = _error([*stage1, "--seed", "7", "--split", "6", "--split_idx", "1", "--no-progress"], cwd=tmp_path)
    assert "goal_idx0' holds complete data written with other settings (schedule.seed: 5 -> 7)" in line  # one dataset
    (tmp_path / "other").mkdir()
    run_here([*stage1, "--seed", "7", "--split", "6", "--split_idx", "1", "--no-progress"], cwd=tmp_path / "other")
    data = [tmp_path / d / "offline_dataset" / "point-robot-tiny" for d in ("", "other")]
    assert [json.loads((data[t] / f"goal_idx{t}" / "task.json").read_text())["seed"] for t in (0, 1)] == [5, 7]


@pytest.mark.slow
@pytest.mark.parametrize("checkpoints", [",,", "100,,200", ""])
def test_empty_checkpoint_entries_are_refused(tmp_path, checkpoints):
    line = _error(
        [str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--regenerate", "--checkpoints", checkpoints],
        cwd=tmp_path,
    )
    assert line.startswith(f"error: --checkpoints {checkpoints!r}: ") and "expected comma-separated integers" in line
    assert ("entry 2 is empty" if checkpoints == "100,,200" else "the list is empty") in line


@pytest.mark.parametrize(
    "text,kw,message",
    [
        ("", {}, "--x '': the list is empty; expected comma-separated integers such as 0,1,2"),
        ("0,,1", {}, "--x '0,,1': entry 2 is empty; expected comma-separated integers such as 0,1,2"),
        ("1,x", {}, "--x '1,x': 'x' is not an integer; expected comma-separated integers such as 0,1,2"),
        ("0,-1", {"minimum": 0}, "--x '0,-1': -1 is below 0; expected comma-separated integers >= 0 such as 0,1,2"),
        ("0", {"minimum": 1}, "--x '0': 0 is below 1; expected comma-separated integers >= 1 such as 1,2,3"),
        (
            "1,0,1",
            {"duplicates": "refuse"},
            "--x '1,0,1': 1 appears twice; expected comma-separated integers such as 0,1,2, each once",
        ),
        (
            "0,1,1",
            {"duplicates": "refuse"},
            "--x '0,1,1': 1 appears twice; expected comma-separated integers such as 0,1,2, each once",
        ),
        ("A,C", {"choices": ("A", "B")}, "--x 'A,C': 'C' is unknown; expected comma-separated names from ['A', 'B']"),
        (
            "1,2049",
            {"minimum": 1, "maximum": 2048},
            "--x '1,2049': 2049 is above 2048; expected comma-separated integers from 1 to 2048 such as 1,2,3",
        ),
        ("5", {"maximum": 4}, "--x '5': 5 is above 4; expected comma-separated integers <= 4 such as 0,1,2"),
        (
            "A,",
            {"choices": ("A", "B"), "hint": " (or leave --x out)"},
            "--x 'A,': entry 2 is empty; expected comma-separated names from ['A', 'B'] (or leave --x out)",
        ),
    ],
)
def test_one_list_parser_names_the_option_the_entry_and_what_was_expected(text, kw, message):
    """`rlkit.cli.parse_list` serves --seeds (launch_experiment, reproduce), --methods and --checkpoints alike."""
    from rlkit.cli import parse_list

    with pytest.raises(UserError) as err:
        parse_list("--x", text, **kw)
    assert str(err.value) == message


def test_list_parser_keeps_drops_or_refuses_repeats_in_order():
    from rlkit.cli import parse_list

    assert parse_list("--x", " 2,0, 1,2") == [2, 0, 1, 2]
    assert parse_list("--x", "2,0,2", duplicates="drop") == [2, 0]
    assert parse_list("--x", "B,A,B", choices=("A", "B"), duplicates="drop") == ["B", "A"]
    assert parse_list("--x", "1,2048", minimum=1, maximum=2048) == [1, 2048]  # (the bounds are allowed values)


@pytest.mark.parametrize(
    "args, said",
    [
        (["--seed", "0", "--seed", "1"], "--seed given twice (0, then 1): expected it once"),
        (["--seed=0", "-s", "2"], "-s given twice (0, then 2): expected it once"),
        (["--pair", "a", "b", "--pair=c", "d"], "--pair given twice (a b, then c d): expected it once"),
        (["--pair", "a", "b", "--many", "--pair"], None),  # (a value that is an option's name is a value)
        (["--flag", "--flag", "--many", "1", "--many", "2", "--seed", "3"], None),
        (["--flag", "--seed", "1", "--seed", "2"], "--seed given twice (1, then 2): expected it once"),  # (no value)
        (["--seed", "1", "--", "--seed", "2"], None),
        (["--num_iterations", "2", "--seed", "1"], None),  # (an override of another command's: not its option)
        (["sub", "--out", "a", "--out", "b"], "--out given twice (a, then b): expected it once"),
        (["--seed", "1", "sub", "--seed", "2"], None),  # (the group's --seed, then the subcommand's own)
        (["--ray", "--seed", "1", "--seed", "2"], "--seed given twice (1, then 2): expected it once"),
        (["--ray", "--ray", "auto"], "--ray given twice (local, then auto): expected it once"),
        (["--ray", "auto", "--seed", "1"], None),
        (["--capture", "--seed", "1", "--eager"], "--capture and --eager both given: expected one of them"),
        (["--eager", "--capture"], "--eager and --capture both given: expected one of them"),
        (["-e", "sub", "--capture"], None),  # (the group's pair, then the subcommand's own)
        (["--eager", "--eager", "-e"], None),  # (the same side again says nothing new)
        (["sub", "--capture", "--no-capture"], "--capture and --no-capture both given: expected one of them"),
    ],
)
def test_an_option_of_one_value_given_twice_is_refused(args, said):
    """click takes the last of `--seed 0 --seed 1` silently (config overrides given twice were refused already)."""
    import click

    from rlkit.cli import refuse_repeated_options

    @click.group()
    @click.option("--seed", "-s")
    @click.option("--pair", nargs=2)
    @click.option("--flag", is_flag=True)
    @click.option("--many", multiple=True)
    @click.option("--ray", is_flag=False, flag_value="local", default=None)  # (a value that may be left out)
    @click.option("--capture/--eager", "-c/-e", default=None)
    def group(**_):
        pass

    @group.command()
    @click.option("--out")
    @click.option("--seed")
    @click.option("--capture/--no-capture", default=None)
    def sub(**_):
        pass

    if said is None:
        refuse_repeated_options(group, args)
    else:
        with pytest.raises(UserError) as e:
            refuse_repeated_options(group, args)
        assert str(e.value) == said


def test_a_command_given_an_option_twice_runs_nothing(capsys, monkeypatch):
    """Given its arguments, or without them (what the user typed: sys.argv after the program's name), run_cli refuses
    an option given twice before the command runs."""
    import click

    from rlkit.cli import run_cli as run_command

    ran = []

    @click.command()
    @click.option("--seed", type=int)
    def train(seed):
        ran.append(seed)

    monkeypatch.setattr(sys, "argv", ["train.py", "--seed", "0", "--seed", "1"])
    for args in (["--seed", "0", "--seed", "1"], None):
        with pytest.raises(SystemExit) as exit_:
            run_command(train, args)
        assert exit_.value.code == 2 and ran == []
        assert capsys.readouterr().err == "error: --seed given twice (0, then 1): expected it once\n"
    monkeypatch.setattr(sys, "argv", ["train.py", "--seed", "3"])
    run_command(train)
    assert ran == [3]


# ---- writes the system refuses: one line naming the path, exit 2, nothing half-written -----------------
@pytest.mark.parametrize(
    "code",
    [
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EACCES,
        errno.EROFS,
        errno.EFBIG,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EEXIST,
        errno.ENAMETOOLONG,
    ],
)
def test_a_refused_write_is_one_line_naming_the_path(code, capsys):
    import click

    from rlkit.cli import run_cli as run_command

    @click.command()
    def write():
        raise OSError(code, os.strerror(code), "/data/run/latest.pt")

    with pytest.raises(SystemExit) as exit_:
        run_command(write, [])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1, err
    assert err[0].startswith(f"error: '/data/run/latest.pt': {os.strerror(code)}: expected ")


def test_a_file_where_a_folder_is_made_is_one_line_naming_it(tmp_path, capsys):
    """A file named as a run folder (or its tb/, or a task folder) that a command makes: mkdir(exist_ok=True) raises
    FileExistsError, which was a traceback."""
    import click

    from rlkit.cli import run_cli as run_command

    (tmp_path / "seed0").write_text("")

    @click.command()
    def make():
        (tmp_path / "seed0").mkdir(parents=True, exist_ok=True)

    with pytest.raises(SystemExit) as exit_:
        run_command(make, [])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and err == [
        f"error: {str(tmp_path / 'seed0')!r}: {os.strerror(errno.EEXIST)}: expected a folder there, not a file"
    ]


def test_an_atomic_write_onto_a_folder_names_the_path_not_its_temporary_file(tmp_path):
    """`--markdown DIR`: the rename's IsADirectoryError named the temporary file (in the folder above), after the
    whole measurement; it names the path written, as every refused write does."""
    import rlkit.fileio as fileio

    (tmp_path / "report.md").mkdir()
    with pytest.raises(OSError) as e:
        fileio.atomic_write_text(tmp_path / "report.md", "text")
    assert e.value.errno == errno.EISDIR and e.value.filename == str(tmp_path / "report.md")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]  # no temporary file left
    (tmp_path / "afile").write_text("")
    with pytest.raises(OSError) as e:  # a file where its folder should be (a FileExistsError traceback)
        fileio.atomic_write_text(tmp_path / "afile" / "x.txt", "text")
    assert e.value.errno == errno.ENOTDIR and e.value.filename == str(tmp_path / "afile" / "x.txt")


def test_an_atomic_write_makes_its_folder_again_if_another_process_removed_it(tmp_path, monkeypatch):
    """Two stage-1 parts share stage1_resume/: the one that finishes its last group removes the folder once empty,
    which could fall between the other's making it and making its temporary file there (a FileNotFoundError
    traceback, the group's state unsaved)."""
    import tempfile

    import rlkit.fileio as fileio

    real, calls = tempfile.mkstemp, []

    def mkstemp(**kw):
        calls.append(kw["dir"])
        if len(calls) == 1:
            os.rmdir(kw["dir"])  # the other part's `drop_resume_state`, just then
        return real(**kw)

    monkeypatch.setattr(fileio.tempfile, "mkstemp", mkstemp)
    fileio.atomic_write_text(tmp_path / "stage1_resume" / "tasks0-5.pt", "state")
    assert len(calls) == 2 and (tmp_path / "stage1_resume" / "tasks0-5.pt").read_text() == "state"


class _DiskFullAfter(io.RawIOBase):
    """A file descriptor on a disk with `room` bytes left: a write beyond them fails with ENOSPC."""

    def __init__(self, fd: int, room: int):
        self.fd, self.room = fd, room

    def writable(self):
        return True

    def write(self, b):
        if len(b) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(b)
        return os.write(self.fd, b)

    def fileno(self):
        return self.fd

    def close(self):
        if not self.closed:
            os.close(self.fd)
        super().close()


def test_a_full_disk_during_torch_save_names_the_file_and_leaves_the_old_one(tmp_path, monkeypatch):
    """torch.save reports a failed write as RuntimeError('unexpected pos ...'); the atomic writer turns it
    back into the OSError behind it, naming the file, and leaves no temporary file."""
    import rlkit.fileio as fileio

    path = tmp_path / "latest.pt"
    path.write_bytes(b"the previous state")
    monkeypatch.setattr(fileio.os, "fdopen", lambda fd, mode: io.BufferedWriter(_DiskFullAfter(fd, 1000), 256))
    with pytest.raises(OSError) as e:
        fileio.atomic_write(path, lambda f: torch.save({"x": torch.zeros(10_000)}, f))
    assert (e.value.errno, e.value.filename) == (errno.ENOSPC, str(path))
    assert [p.name for p in tmp_path.iterdir()] == ["latest.pt"] and path.read_bytes() == b"the previous state"


def test_ctrl_c_inside_torch_save_is_an_interrupt_and_leaves_the_old_file(tmp_path):
    """torch.save reports a KeyboardInterrupt in its write as a RuntimeError ("unexpected pos"): the command then
    ended in a traceback instead of its one "interrupted" line. The atomic writer raises it as the interrupt."""
    import click

    import rlkit.fileio as fileio
    from rlkit.cli import run_cli as run_command  # (in this process: no child)

    path = tmp_path / "latest.pt"
    path.write_bytes(b"the previous state")

    def save(f):  # as torch.save's writer reports a Ctrl-C that arrived during its write (seen on this host)
        f.write(b"part of a state")
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 1906176 vs 1906064")  # noqa: B904

    with pytest.raises(KeyboardInterrupt):
        fileio.atomic_write(path, save)
    assert [p.name for p in tmp_path.iterdir()] == ["latest.pt"] and path.read_bytes() == b"the previous state"
    with pytest.raises(SystemExit) as exit_info:
        run_command(click.command()(lambda: fileio.atomic_write(path, save)), [])
    assert exit_info.value.code == 130


@pytest.mark.parametrize("as_click", [True, False])
def test_sigterm_ends_a_command_as_ctrl_c_does_and_releases_its_lock(tmp_path, capsys, as_click):
    """A cluster's preemption (SIGTERM) ended the process where it stood: the run's lock stayed behind, and the
    requeued job, on another host, was refused. Now the command unwinds (its lock released), says so in one line and
    exits 143; the handler before is back afterwards."""
    import threading
    import time

    import click

    from rlkit.cli import run_cli as run_command
    from rlkit.fileio import FolderLock

    before = signal.getsignal(signal.SIGTERM)

    def train():
        with FolderLock(tmp_path, "busy {pid}"):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)  # (the handler runs at once, in this thread)

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only (pytest-xdist before 3.6 ran tests in another)")
    with pytest.raises(SystemExit) as exit_info:
        run_command(click.command()(train) if as_click else train, [] if as_click else None)
    assert exit_info.value.code == 143 and not (tmp_path / ".lock").exists()
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "terminated (SIGTERM; every file is written whole; a training command resumes when rerun)"
    )
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_second_sigterm_does_not_cut_the_unwinding_short(tmp_path, capsys, monkeypatch):
    """A scheduler signals a whole process group, and the parent then signals its workers: a second SIGTERM arrived
    while the first one's unwinding was under way and raised again inside it (a lock's release cut short). SIGTERM
    is taken once, in a command (`run_cli`) and in a pool worker's run (`run_in_worker`)."""
    import threading
    import time

    import rlkit.cli as cli
    from rlkit.cli import run_cli as run_command  # (in this process: no child)

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    cleaned = []

    def train(_spec=None):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)  # (the handler runs at once, in this thread)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # the second one, during the cleanup
            cleaned.append(True)

    with pytest.raises(SystemExit) as exit_info:
        run_command(train)
    assert exit_info.value.code == 143 and cleaned == [True]

    class Ended(Exception):
        pass

    def end_worker():  # (in a pool worker: multiprocessing's finalizers, then os._exit)
        raise Ended

    monkeypatch.setattr(cli, "_end_worker", end_worker)
    before = signal.signal(signal.SIGTERM, cli._worker_sigterm)  # as `pool_worker` sets it
    try:
        with pytest.raises(Ended):  # the run unwound, then the worker ends
            cli.run_in_worker(train, None)
        assert cleaned == [True, True] and cli._WORKER == {"state": "unwinding", "terminated": True}
        with pytest.raises(Ended):  # a run that reached the stopped worker ends it untrained
            cli.run_in_worker(lambda spec: cleaned.append("trained"), None)
        assert cleaned == [True, True]
        cli._WORKER["state"] = "idle"
        with pytest.raises(SystemExit):  # SIGTERM to a worker waiting for work: it ends (the pool may join it)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)
    finally:
        signal.signal(signal.SIGTERM, before)
        cli._WORKER.update(state="idle", terminated=False)


def test_an_interrupt_while_a_lock_is_being_taken_releases_it(tmp_path, monkeypatch):
    """Between taking the lock and returning it, the folder's leftover temporary files are removed: an interrupt
    there left the lock behind, with no `with` block to release it."""
    import rlkit.fileio as fileio

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(fileio.FolderLock, "_remove_unfinished_writes", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fileio.FolderLock(tmp_path / "run", "busy {pid}").__enter__()
    assert not (tmp_path / "run" / ".lock").exists()


def test_sigterm_inside_a_writer_that_reports_it_as_its_own_failure_is_still_sigterm(tmp_path):
    """As Ctrl-C inside torch.save's writer (above): the atomic writer raises the interrupt again as what it was."""
    import rlkit.fileio as fileio
    from rlkit.cli import Terminated

    def save(f):
        try:
            raise Terminated
        except Terminated:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 1 vs 0")  # noqa: B904

    with pytest.raises(Terminated):
        fileio.atomic_write(tmp_path / "latest.pt", save)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_sigterm_stops_a_training_run_that_a_rerun_resumes(tiny_data, tmp_path):
    """The entry script itself: SIGTERM after the first iteration's snapshot exits 143 with the run's lock released
    (a requeued job may resume it from any host), and the same command resumes it."""
    import time

    args = [str(ROOT / "launch_experiment.py"), str(TINY_CONFIG), "--exp_name", "term"]
    args += ["--base_log_dir", str(tmp_path), "--no-progress", "--threads", "1"]
    run = tmp_path / "point-robot" / "term" / "seed0"
    env = dict(os.environ, PYTHONPATH=python_path())
    proc = subprocess.Popen(
        [sys.executable, *args, "--num_iterations", "40"],
        cwd=tiny_data.parent.parent,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 120
        while not (run / "latest.pt").exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()[1]
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1].startswith("terminated (SIGTERM;") and "Traceback" not in err, err
    assert not (run / ".lock").exists() and not list(run.rglob(".*.tmp"))
    done = len(pd.read_csv(run / "progress.csv"))
    assert done < 40
    again = run_here([*args, "--num_iterations", str(done + 1)], cwd=tiny_data.parent.parent)
    assert (
        f"resuming {run} at iteration {done}\n" in again.stdout and len(pd.read_csv(run / "progress.csv")) == done + 1
    )


def test_an_atomic_write_syncs_the_file_then_its_folder(tmp_path, monkeypatch):
    """The data reach the disk before the rename, and the rename (the folder's entry) after it: without the folder's
    sync a crash could leave neither the old file nor the new one on some file systems."""
    import stat

    import rlkit.fileio as fileio

    synced, real_fsync, real_replace = [], os.fsync, os.replace

    def fsync(fd):
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(fileio.os, "fsync", fsync)
    monkeypatch.setattr(fileio.os, "replace", lambda a, b: synced.append("rename") or real_replace(a, b))
    fileio.atomic_write(tmp_path / "sub" / "x.bin", lambda f: f.write(b"data"))
    assert synced == ["file", "rename", "folder"] and (tmp_path / "sub" / "x.bin").read_bytes() == b"data"


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002], ids=oct)
def test_written_files_and_swapped_folders_get_the_mode_the_umask_gives(tmp_path, mask):
    """An atomic write (through mkstemp, 0600) and a folder built then swapped in (through mkdtemp, 0700) get the mode
    open() and mkdir() would give under the umask: shared under 022, private under 077 (0644 and 0755 whatever the
    umask shared a private user's data)."""
    import stat

    import rlkit.data.legacy as legacy
    import rlkit.fileio as fileio

    old = os.umask(mask)
    try:
        assert fileio.umask() == mask and os.umask(mask) == mask  # (read without being changed)
        fileio.atomic_write(tmp_path / "x.bin", lambda f: f.write(b"data"))
        legacy.build_then_swap(tmp_path / "built", lambda folder: 0)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.bin").stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE((tmp_path / "built").stat().st_mode) == 0o777 & ~mask


@pytest.mark.parametrize(
    "content,problem",
    [
        (None, r"cannot be read \(Is a directory\): expected the record"),
        (b"{", r"is not valid JSON \(Expecting property name.*\): expected the record"),
        (b"\xff", r"is not valid JSON \(.*codec.*\): expected the record"),
        (b"[1, 2]", r"holds a JSON list: expected an object, the record"),
        (b"null", r"holds a JSON NoneType: expected an object, the record"),
    ],
)
def test_a_json_record_that_is_not_an_object_is_one_line(tmp_path, content, problem):
    from rlkit.fileio import read_json_object

    path = tmp_path / "r.json"
    path.mkdir() if content is None else path.write_bytes(content)
    with pytest.raises(UserError, match=rf"^{re.escape(repr(str(path)))} {problem}$"):
        read_json_object(path, "the record")
    with pytest.raises(UserError, match=rf"^the file {problem}$"):
        read_json_object(path, "the record", label="the file")
    if content is not None:
        path.write_bytes(b'{"a": [1]}')
        assert read_json_object(path, "the record") == {"a": [1]}


# torch warns of the pickle protocol of the code-carrying file it then refuses
@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
def test_a_damaged_or_code_carrying_state_file_is_one_line_and_runs_nothing(tmp_path):
    """Every error torch.load's weights-only reader raises on a damaged file is one line (struct.error among them: a
    file starting with pickle's 8-byte float opcode `G`, as a GIF does), and a file holding an object of a class outside
    the allowed ones is refused, not loaded (a raw pickle fails on torch's magic number either way; a torch.save'd
    object loads when read without weights_only)."""
    import pickle
    from pathlib import PurePosixPath

    from rlkit.fileio import read_state

    torch.save({"counters": {"iteration": 2}}, tmp_path / "latest.pt")
    assert read_state(tmp_path / "latest.pt", "a state")["counters"]["iteration"] == 2
    (tmp_path / "cut.pt").write_bytes((tmp_path / "latest.pt").read_bytes()[:40])
    (tmp_path / "evil.pt").write_bytes(pickle.dumps(os.system))  # would call os.system if unpickled freely
    (tmp_path / "text.pt").write_text("hello\n")  # torch's weights-only unpickler: KeyError
    (tmp_path / "table.pt").write_text("Epoch,QF Loss\n0,1.5\n")  # (IndexError)
    (tmp_path / "key.pt").write_bytes(b"}]K\x01s.")  # a dict keyed by a list
    (tmp_path / "gif.pt").write_bytes(b"GIF89a")
    torch.save({"weights": torch.zeros(2), "path": PurePosixPath("x")}, tmp_path / "object.pt")
    kinds = {"key.pt": "TypeError", "gif.pt": r"struct\.error", "object.pt": "UnpicklingError"}
    for name in ("cut.pt", "evil.pt", "text.pt", "table.pt", *kinds):
        kind = kinds.get(name, r"\w+")
        with pytest.raises(UserError, match=rf"^'.*{name}' is truncated or unreadable \({kind}\): expected a state$"):
            read_state(tmp_path / name, "a state")


def test_taking_a_folder_removes_the_half_writes_a_killed_process_left(tmp_path):
    """kill -9 during an atomic write leaves `.NAME.XXXX.tmp` behind; the next process to hold the folder removes
    such files (its own and its subfolders', untouched for a minute), keeps every other file and other contenders'
    lock files."""
    import os
    import time

    from rlkit.fileio import UNFINISHED_WRITE_AGE_S, FolderLock

    (tmp_path / "snapshots").mkdir()
    left = [tmp_path / ".latest.pt.ab12.tmp", tmp_path / "snapshots" / ".itr_3.pt.cd34.tmp"]
    kept = [tmp_path / "latest.pt", tmp_path / "snapshots" / "itr_2.pt", tmp_path / ".lock.999.ab12cd34.tmp"]
    then = time.time() - UNFINISHED_WRITE_AGE_S - 5
    for path in left + kept:
        path.write_bytes(b"x")
        os.utime(path, (then, then))
    with FolderLock(tmp_path, "busy {pid}"):
        assert not any(p.exists() for p in left) and all(p.exists() for p in kept)


def test_a_lock_leaves_no_folder_it_made_and_survives_a_parent_removed_meanwhile(tmp_path, monkeypatch):
    """Folders made to take a lock are removed on release while empty (kept once written to); another holder's
    release may remove an empty parent while this one makes its folder: the lock is taken all the same."""
    import os

    from rlkit.fileio import FolderLock

    with FolderLock(tmp_path / "a" / "b", "busy {pid}"):
        assert (tmp_path / "a" / "b" / ".lock").is_file()
    assert not (tmp_path / "a").exists()
    with FolderLock(tmp_path / "a" / "b", "busy {pid}"):
        (tmp_path / "a" / "b" / "data.npz").write_bytes(b"x")
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == ["data.npz"]
    real_mkdir, removed = os.mkdir, []

    def racing_mkdir(path, mode=0o777):
        real_mkdir(path, mode)
        if str(path).endswith("data") and not removed:  # the other holder's release, just after this one made it
            removed.append(path)
            os.rmdir(path)

    monkeypatch.setattr(os, "mkdir", racing_mkdir)
    with FolderLock(tmp_path / "data" / "goal_idx3", "busy {pid}"):
        assert removed and (tmp_path / "data" / "goal_idx3" / ".lock").is_file()


def test_a_lock_is_whole_when_it_appears_and_a_takeover_never_removes_a_live_one(tmp_path, monkeypatch):
    """Two processes starting at once: the lock file appears with its owner written (never empty, which read
    as a stale lock), and a process that read a dead owner just before another took the lock over gives that
    lock back instead of removing it; a dead owner's lock is taken over; nothing is left beside it."""
    import socket

    from rlkit.fileio import FolderLock, process_identity

    host, dead = socket.gethostname(), 2**22 + 7  # above Linux's largest pid: no such process
    me = f"{os.getpid()} {host} {process_identity(os.getpid())}"
    lock = tmp_path / ".lock"
    lock.write_text(f"{dead} {host}")
    with FolderLock(tmp_path, "busy {pid}"):
        assert lock.read_text() == me
        assert sorted(p.name for p in tmp_path.iterdir()) == [".lock"]
    assert not lock.exists()
    lock.write_text(me)  # taken over, by a live process, after this one read a dead owner
    real_owner = FolderLock._owner
    reads = iter([(host, dead, "")])
    monkeypatch.setattr(FolderLock, "_owner", lambda self, path=None: next(reads, None) or real_owner(self, path))
    with pytest.raises(UserError, match=f"busy {os.getpid()}"):
        FolderLock(tmp_path, "busy {pid}").__enter__()
    assert lock.read_text() == me and sorted(p.name for p in tmp_path.iterdir()) == [".lock"]


def test_a_stale_lock_removal_never_takes_away_a_lock_another_process_holds(tmp_path, monkeypatch):
    """Three processes at a dead owner's lock: A takes it over; B, which read the dead owner before, must leave A's
    lock alone even when C tries to take the lock meanwhile. Moving the lock aside to check it, B let C's link in,
    failed to put A's back, and A and C both held the folder."""
    import socket

    import rlkit.fileio as fileio

    host, dead = socket.gethostname(), 2**22 + 7  # above Linux's largest pid: no such process
    lock = tmp_path / ".lock"
    lock.write_text(f"{os.getpid()} {host} A")  # A's, taken over after B read the dead owner
    real_rename = os.rename

    def rename_then_c_links(src, dst):  # C's link lands in the window the move-aside opens
        real_rename(src, dst)
        if src == str(lock) or src == lock:
            lock.write_text(f"{os.getpid()} {host} C")

    monkeypatch.setattr(fileio.os, "rename", rename_then_c_links)
    fileio.FolderLock(tmp_path, "busy {pid}")._remove_stale((host, dead, ""))
    assert lock.read_text() == f"{os.getpid()} {host} A"


def test_a_lock_is_released_by_what_it_wrote_whatever_proc_says_at_exit(tmp_path, monkeypatch):
    """The release compares the lock file with what the holder wrote, not with an identity computed again (/proc
    unreadable at exit, out of file descriptors: the lock stayed and refused its own process)."""
    import rlkit.fileio as fileio

    with fileio.FolderLock(tmp_path / "run", "busy {pid}"):
        monkeypatch.setattr(fileio, "process_identity", lambda pid: "")
    assert not (tmp_path / "run").exists()  # the lock and the folder it made, gone


def test_a_lock_of_this_host_name_in_another_container_is_refused_and_a_reused_pid_is_not_its_owner(tmp_path):
    """Containers sharing a host name (--net=host) do not share pids: a lock written in another pid namespace (or
    boot) cannot be judged from here and is refused with the hint to remove it, where its pid read as this
    container's let a second process take a live lock over; a lock whose pid now belongs to a process started later
    (a restarted container's pid 1, a reused pid) is stale and taken over."""
    import socket

    from rlkit.fileio import FolderLock, process_identity

    host, lock = socket.gethostname(), tmp_path / ".lock"
    boot, namespace, start = process_identity(os.getpid()).split("/")
    lock.write_text(f"{os.getpid()} {host} {boot}/4026599999/{start}")  # this pid, in another namespace
    with pytest.raises(
        UserError, match=r"^busy: .* on this host name in another container or boot \(remove '.*\.lock'"
    ):
        FolderLock(tmp_path, "busy: {pid}").__enter__()
    lock.write_text(f"{os.getpid()} {host} {boot}/{namespace}/{int(start) - 1}")  # this pid, an earlier process
    with FolderLock(tmp_path, "busy {pid}"):
        assert lock.read_text() == f"{os.getpid()} {host} {process_identity(os.getpid())}"
    assert not lock.exists()


@pytest.mark.slow
def test_stage2_out_of_space_is_one_line_and_the_run_resumes(tiny_data, tmp_path):
    """A real refusal from the kernel: a file size limit (ulimit -f) below a snapshot's size makes torch.save
    fail mid-file (EFBIG), as a full disk does (ENOSPC). The run's last saved state stays, and a rerun
    with room resumes from it."""
    args = [
        str(ROOT / "launch_experiment.py"),
        str(TINY_CONFIG),
        "--exp_name",
        "full",
        "--base_log_dir",
        str(tmp_path),
        "--no-progress",
        "--threads",
        "1",
    ]
    run_here([*args, "--num_iterations", "1"], cwd=tiny_data.parent.parent)
    run = tmp_path / "point-robot" / "full" / "seed0"
    assert (run / "latest.pt").stat().st_size > 200_000

    def small_files():  # in the child, before exec: files of at most 100 kB, and EFBIG instead of SIGXFSZ
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    proc = subprocess.run(
        [sys.executable, *args, "--num_iterations", "2"],
        cwd=tiny_data.parent.parent,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, PYTHONPATH=python_path()),
        preexec_fn=small_files,
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0] == (
        f"error: {str(run / 'latest.pt')!r}: {os.strerror(errno.EFBIG)}: expected a file "  # (written first)
        "size limit (ulimit -f) that allows it"
    )
    assert not [p for p in run.rglob("*") if p.name.endswith(".tmp")]
    assert torch.load(run / "latest.pt", weights_only=True)["counters"]["iteration"] == 1
    again = run_here([*args, "--num_iterations", "2"], cwd=tiny_data.parent.parent)
    assert "resuming" in again.stdout and len(pd.read_csv(run / "progress.csv")) == 2


def _read_only(folder, monkeypatch) -> None:
    """Make `folder` read-only: by its mode where that stops this user; for root, whom the mode does not
    stop, os.mkdir and os.open refuse to create or write there as the kernel would (EACCES)."""
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK):
        return
    inside = str(folder.resolve()) + os.sep

    def refuse(path):  # where the folder to create in exists (else the kernel says ENOENT first)
        full = os.path.abspath(path)
        if full.startswith(inside) and os.path.isdir(os.path.dirname(full)):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    real_mkdir, real_open = os.mkdir, os.open
    monkeypatch.setattr(os, "mkdir", lambda path, *a, **k: (refuse(path), real_mkdir(path, *a, **k))[1])
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT
    monkeypatch.setattr(
        os,
        "open",
        lambda path, flags, *a, **k: (refuse(path) if flags & writes else None, real_open(path, flags, *a, **k))[1],
    )


@pytest.fixture
def read_only_folder(tmp_path, monkeypatch):
    folder = tmp_path / "read-only"
    folder.mkdir()
    _read_only(folder, monkeypatch)
    yield folder
    folder.chmod(0o755)


@pytest.mark.slow
def test_stage2_into_a_read_only_folder_is_one_line(tiny_data, read_only_folder, monkeypatch, capsys):
    import launch_experiment
    from rlkit.cli import run_cli as run_command

    monkeypatch.chdir(tiny_data.parent.parent)
    with pytest.raises(SystemExit) as exit_:
        run_command(
            launch_experiment.main,
            [str(TINY_CONFIG), "--exp_name", "ro", "--no-progress", "--base_log_dir", str(read_only_folder / "output")],
        )
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1, err
    assert err[0] == (
        f"error: {str(read_only_folder / 'output')!r}: {os.strerror(errno.EACCES)}: expected a path "
        "this user may write (and read)"
    )
    assert not any(read_only_folder.iterdir())


def test_a_figure_into_a_read_only_folder_is_one_line_and_nothing(tmp_path, read_only_folder, capsys):
    """show_path.py, rlkit.plot and rlkit.reproduce save figures through the atomic writer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rlkit.fileio import atomic_savefig

    fig = plt.figure()
    with pytest.raises(PermissionError) as e:
        atomic_savefig(fig, read_only_folder / "paths.png")
    plt.close(fig)
    assert e.value.filename == str(read_only_folder / "paths.png") and not any(read_only_folder.iterdir())


@pytest.mark.slow
def test_path_to_weights_starts_from_a_runs_networks_and_bad_files_are_one_line(tiny_data, tmp_path, monkeypatch):
    """path_to_weights: a run's latest.pt gives the new run its networks (not its optimisers); a missing or
    damaged file, or weights of other network sizes, is one line naming the file."""
    monkeypatch.chdir(tiny_data.parent.parent)

    def setup(name, **top):
        overrides = {"algo_params": {"num_iterations": 1}, "util_params": {"exp_name": name}} | top
        overrides["util_params"]["base_log_dir"] = str(tmp_path / "out")
        return prepare(load_config(TINY_CONFIG, overrides), 0, torch.device("cpu"))

    MetaTrainer(setup("first"), show_progress=False).run()
    weights = tmp_path / "out" / "point-robot" / "first" / "seed0" / "latest.pt"
    saved = torch.load(weights, weights_only=True)["trainer"]["modules"]
    started = MetaTrainer(setup("second", path_to_weights=str(weights)), show_progress=False)
    for name, module in started.trainer.modules().items():
        for key, value in module.state_dict().items():
            torch.testing.assert_close(value, saved[name][key], rtol=0, atol=0)
    (tmp_path / "garbage.pt").write_text("garbage")
    net = load_config(TINY_CONFIG).net_size
    for path, top, match in [
        (tmp_path / "none.pt", {}, r"none.pt' cannot be read \(FileNotFoundError\): expected a run's latest.pt"),
        (tmp_path / "garbage.pt", {}, r"garbage.pt' cannot be read \(UnpicklingError\)"),
        (weights, {"net_size": net * 2}, r"latest.pt' does not fit this run's networks \(.*size mismatch"),
        (  # the same shapes, another function: CSRO's tanh encoder read as OFFPEARL's identity one
            weights,
            {"algo_type": "OFFPEARL", "algo_params": {"num_iterations": 1, "use_information_bottleneck": False}},
            r"latest.pt' does not fit this run's networks \(its encoder's last layer was trained through tanh, this "
            r"run's goes through identity\)",
        ),
    ]:
        with pytest.raises(UserError, match=match):
            MetaTrainer(setup("third", path_to_weights=str(path), **top), show_progress=False)


def test_a_timestamped_run_records_its_folders_name_as_its_exp_name(monkeypatch):
    """launch_experiment.py without --exp_name writes to a timestamped folder and records that timestamp as the run's
    exp_name (as --seeds does), so that `--exp_name TIMESTAMP` resumes it; it recorded "" and the resume was refused
    as a run of another config."""
    import launch_experiment

    seen = {}

    def prepare(cfg, seed, device):  # the config the run would be given, then no run
        seen["cfg"] = cfg
        raise SystemExit(0)

    monkeypatch.setattr(launch_experiment, "prepare", prepare)
    monkeypatch.setattr(rlkit.experiment.time, "strftime", lambda fmt: "2026_12_07_01_05_47")
    with pytest.raises(SystemExit):
        launch_experiment.main.main([str(TINY_CONFIG), "--gpu", "-1"], standalone_mode=False)
    assert seen["cfg"].util_params.exp_name == "2026_12_07_01_05_47"
    assert output_dir(seen["cfg"], 0).parent.name == "2026_12_07_01_05_47"


@pytest.mark.slow
def test_a_resume_outlives_its_start_files_a_kill_and_a_shorter_finish(tiny_data, tmp_path, monkeypatch):
    """Resumes of the tiny config: a run started from path_to_weights resumes after that file is gone
    (latest.pt holds everything it gave); a run recorded with exp_name "" (timestamped, before 2026-12-07) resumes by
    its folder's name; the last snapshot of a 3-iteration run that a kill left unwritten is restored when it is
    resumed for more iterations; a run finished at fewer iterations than a killed one had begun keeps no progress
    row and no TensorBoard point past its latest.pt; another run's latest.pt copied over it is one line."""
    monkeypatch.chdir(tiny_data.parent.parent)
    out = tmp_path / "out" / "point-robot"

    def run(name, iterations, **top):
        overrides = {
            "algo_params": {"num_iterations": iterations, "snapshot_gap": 5},
            "util_params": {"exp_name": name},
        }
        overrides["util_params"]["base_log_dir"] = str(tmp_path / "out")
        MetaTrainer(
            prepare(load_config(TINY_CONFIG, overrides | top), 0, torch.device("cpu")), show_progress=False
        ).run()
        return out / name / "seed0"

    first = run("first", 1)
    start = tmp_path / "start.pt"
    start.write_bytes((first / "latest.pt").read_bytes())
    run("weights", 1, path_to_weights=str(start))
    start.unlink()
    assert len(pd.read_csv(run("weights", 2, path_to_weights=str(start)) / "progress.csv")) == 2

    variant = json.loads((first / "variant.json").read_text())
    variant["util_params"]["exp_name"] = ""
    (first / "variant.json").write_text(json.dumps(variant))
    assert len(pd.read_csv(run("first", 2) / "progress.csv")) == 2

    killed = run("killed", 3)
    assert sorted(p.name for p in (killed / "snapshots").glob("*.pt")) == ["itr_0.pt", "itr_2.pt"]
    (killed / "snapshots" / "itr_2.pt").unlink()  # a kill between latest.pt and its snapshot
    run("killed", 6)
    assert sorted(p.name for p in (killed / "snapshots").glob("*.pt")) == ["itr_0.pt", "itr_2.pt", "itr_5.pt"]
    assert torch.load(killed / "snapshots" / "itr_2.pt", weights_only=True)["counters"]["iteration"] == 3

    cut = run("cut", 2)
    (cut / "latest.pt").write_bytes((cut / "snapshots" / "itr_0.pt").read_bytes())  # a kill after row 2's write
    assert len(pd.read_csv(cut / "progress.csv")) == 2
    run("cut", 1)
    assert pd.read_csv(cut / "progress.csv")["Epoch"].tolist() == [0]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(cut / "tb"))  # its events too: Epoch 1's were logged, then purged
    events.Reload()
    assert [e.step for e in events.Scalars("Epoch")] == [0]

    other = run("other", 1, net_size=load_config(TINY_CONFIG).net_size * 2)
    (cut / "latest.pt").write_bytes((other / "latest.pt").read_bytes())
    with pytest.raises(UserError, match=r"cut/seed0/latest.pt' does not fit this run's networks \(.*size mismatch"):
        run("cut", 2)
