"""Both stages through their CLIs on the tiny config, resume, and bad input."""
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from rlkit.config import load_config
from rlkit.errors import UserError
from rlkit.experiment import MetaTrainer, prepare
from rlkit.logging import RETURN_COLUMNS
from tests.conftest import ROOT, TINY_CONFIG, run_cli


def test_stage1_writes_complete_pickle_free_tasks(tiny_data):
    proc = run_cli(["-m", "rlkit.data", "check", str(tiny_data)], cwd=ROOT)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 6 and all("2 checkpoints" in line and line.endswith("complete") for line in lines)
    meta = json.loads((tiny_data / "goal_idx4" / "task.json").read_text())
    assert meta["task"]["goal"] == pytest.approx([np.cos(np.pi * 4 / 5), np.sin(np.pi * 4 / 5)])


def test_stage1_rerun_skips_complete_tasks(tiny_data):
    proc = run_cli([str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--sac_config", "tiny_point"],
                   cwd=tiny_data.parent.parent)
    assert "6 already complete, 0 to train" in proc.stdout


def test_stage1_refuses_to_mix_settings(tiny_data):
    proc = run_cli([str(ROOT / "policy_train.py"), str(TINY_CONFIG), "--sac_config", "tiny_point", "num_train_steps=400"],
                   cwd=tiny_data.parent.parent, check=False)
    assert proc.returncode == 2 and "other settings" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_stage2_cli_outputs(tiny_data, tmp_path, monkeypatch):
    work = tiny_data.parent.parent
    run_cli([str(ROOT / "launch_experiment.py"), str(TINY_CONFIG), "--seed", "1", "--exp_name", "cli", "--gpu", "0",
             "--base_log_dir", str(tmp_path), "--no-progress", "--threads", "1"], cwd=work)
    run = tmp_path / "point-robot" / "cli" / "seed1"
    df = pd.read_csv(run / "progress.csv")
    assert len(df) == 2 and np.isfinite(df.to_numpy()).all()
    for col in [*RETURN_COLUMNS.values(), "QF Loss", "Club Loss", "Z Loss", "Club model Loss", "Train Time (s)",
                "Epoch", "Z mean train0", "Log Pis Mean", "alpha Max", "Z variance train", "Z mean eval0",
                "Z mean eval3", "Z variance eval"]:
        assert col in df.columns
    assert (df["Z variance eval"] > 0).all() and (df["Z variance train"] > 0).all()
    assert (df[[f"Z mean eval{i}" for i in range(4)]].abs().sum(axis=1) > 0).all()
    variant = json.loads((run / "variant.json").read_text())
    assert variant["seed"] == 1 and variant["algo_params"]["meta_batch"] == 4
    assert list((run / "tb").glob("events.*"))
    debug = (run / "debug.log").read_text()
    assert '"meta_batch": 4' in debug and "device cpu" in debug and "itr 1: offline" in debug
    snaps = sorted(p.name for p in (run / "snapshots").glob("*.pt"))
    assert snaps == ["itr_0.pt", "itr_1.pt"]  # named by the progress row's Epoch
    state = torch.load(run / "snapshots" / "itr_1.pt", weights_only=True)
    assert "agent" in state["trainer"]["modules"]
    proc = run_cli([str(ROOT / "show_path.py"), str(run), "--runs", "1"], cwd=work)
    assert (run / "paths.png").is_file(), proc.stdout
    from click.testing import CliRunner

    import show_path
    monkeypatch.chdir(work)  # the run's data_dir is relative to where it was trained
    result = CliRunner().invoke(show_path.main, [str(run), "--itr", "0", "--runs", "1", "--out", str(tmp_path / "itr0.png")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "itr0.png").is_file()
    proc = run_cli(["-m", "rlkit.report", str(tmp_path)], cwd=work)
    assert "non-prior context (Np)" in proc.stdout and "oracle" in proc.stdout
    run_cli(["-m", "rlkit.plot", str(tmp_path), "--out", str(tmp_path / "curve.png")], cwd=work)
    assert (tmp_path / "curve.png").stat().st_size > 1000


def test_resume_continues_exactly(tiny_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tiny_data.parent.parent)
    ignore = [c for c in ("Train Time (s)", "(Previous) Eval Time (s)", "Epoch Time (s)", "Total Train Time (s)")]

    def run(name, iterations):
        cfg = load_config(TINY_CONFIG, {"algo_params": {"num_iterations": iterations},
                                        "util_params": {"exp_name": name, "base_log_dir": str(tmp_path)}})
        MetaTrainer(prepare(cfg, 0, torch.device("cpu")), show_progress=False).run()
        return pd.read_csv(tmp_path / "point-robot" / name / "seed0" / "progress.csv").drop(columns=ignore)

    straight = run("straight", 2)
    run("resumed", 1)
    resumed = run("resumed", 2)
    pd.testing.assert_frame_equal(straight, resumed)


def _error(args, cwd):
    proc = run_cli(args, cwd=cwd, check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


@pytest.mark.parametrize("extra,match", [
    (["--data_dir", "./nowhere"], "missing dataset folder"),
    (["--env_name", "sparse-point-robot"], "is for env 'point-robot'"),
    (["--env_name", "cheetah-nope"], "unknown env_name 'cheetah-nope'"),
    (["--meta_bach", "3"], "unknown config key 'meta_bach'"),
    (["--num_iterations", "abc"], "'algo_params.num_iterations' must be an integer"),
])
def test_bad_input_one_line_exit_2_nothing_written(tiny_data, tmp_path, extra, match):
    line = _error([str(ROOT / "launch_experiment.py"), str(TINY_CONFIG), "--base_log_dir", str(tmp_path / "out"),
                   "--exp_name", "x", *extra], cwd=tiny_data.parent.parent)
    assert match in line
    assert not (tmp_path / "out").exists()


def test_wrong_observation_size_is_reported(tiny_data, tmp_path):
    bad = tmp_path / "data"
    shutil.copytree(tiny_data, bad)
    for t in range(6):
        meta_path = bad / f"goal_idx{t}" / "task.json"
        meta = json.loads(meta_path.read_text())
        meta["obs_dim"] = 3
        meta_path.write_text(json.dumps(meta))
    line = _error([str(ROOT / "launch_experiment.py"), str(TINY_CONFIG), "--data_dir", str(bad),
                   "--base_log_dir", str(tmp_path / "out")], cwd=tmp_path)
    assert "obs/action dims 3/2: expected 2/2" in line and not (tmp_path / "out").exists()


def test_divergence_is_one_line_exit_3(tiny_data, tmp_path):
    proc = run_cli([str(ROOT / "launch_experiment.py"), str(TINY_CONFIG), "--base_log_dir", str(tmp_path), "--exp_name",
                    "div", "--reward_scale", "1e30", "--no-progress"], cwd=tiny_data.parent.parent, check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 3, proc.stderr
    assert len(lines) == 1 and "training diverged at iteration 0: loss 'QF Loss' is not finite" in lines[0]
    assert not (tmp_path / "point-robot" / "div" / "seed0" / "progress.csv").exists()


def test_divergence_keeps_the_rows_and_snapshot_before_it(tiny_data, tmp_path, monkeypatch):
    from rlkit.errors import DivergedError
    monkeypatch.chdir(tiny_data.parent.parent)
    cfg = load_config(TINY_CONFIG, {"algo_params": {"num_iterations": 3},
                                    "util_params": {"exp_name": "late", "base_log_dir": str(tmp_path)}})
    trainer = MetaTrainer(prepare(cfg, 0, torch.device("cpu")), show_progress=False)
    step = trainer.step

    def poisoned_step():
        if trainer.counters["iteration"] == 1:  # the second iteration: a weight of the policy becomes NaN
            with torch.no_grad():
                next(trainer.trainer.agent.policy.parameters())[0, 0] = float("nan")
        return step()

    trainer.step = poisoned_step
    with pytest.raises(DivergedError, match="iteration 1: .* is not finite"):
        trainer.run()
    run = tmp_path / "point-robot" / "late" / "seed0"
    assert len(pd.read_csv(run / "progress.csv")) == 1
    state = torch.load(run / "latest.pt", weights_only=True)
    assert state["counters"]["iteration"] == 1
    assert all(torch.isfinite(p).all() for p in state["trainer"]["modules"]["agent"].values())


def test_negative_seed_is_one_line_error(tiny_data, tmp_path):
    line = _error([str(ROOT / "launch_experiment.py"), str(TINY_CONFIG), "--seed", "-1", "--base_log_dir", str(tmp_path)],
                  cwd=tiny_data.parent.parent)
    assert "--seed" in line and "-1" in line


def test_split_part_without_tasks_says_so_and_exits_0(tmp_path):
    proc = run_cli([str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--split",
                    "10", "--split_idx", "1"], cwd=tmp_path)
    assert "part 1 of 10 holds no tasks (6 tasks in 10 parts): nothing to do" in proc.stdout
    assert not (tmp_path / "offline_dataset").exists()


def _tiny(tmp_path, name, **algo):
    return load_config(TINY_CONFIG, {"algo_params": dict({"num_iterations": 1}, **algo),
                                     "util_params": {"exp_name": name, "base_log_dir": str(tmp_path)}})


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


def test_a_run_without_snapshot_is_replaced(tiny_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tiny_data.parent.parent)
    run = tmp_path / "point-robot" / "r" / "seed0"
    run.mkdir(parents=True)
    (run / "variant.json").write_text(json.dumps({"algo_params": {"discount": 0.1}}))  # failed before its first snapshot
    MetaTrainer(prepare(_tiny(tmp_path, "r"), 0, torch.device("cpu")), show_progress=False).run()
    assert json.loads((run / "variant.json").read_text())["algo_params"]["discount"] == 0.9
    assert len(pd.read_csv(run / "progress.csv")) == 1 and not (run / ".lock").exists()


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
    MetaTrainer(prepare(_tiny(tmp_path, "r"), 0, torch.device("cpu")), show_progress=False).run()  # stale lock taken over
    assert len(pd.read_csv(run / "progress.csv")) == 1


def test_a_run_is_tied_to_its_data_by_content(tiny_data, tmp_path, monkeypatch):
    """The same data under another path resumes; other data under the same path is refused, by meta-training
    and by `rlkit.reproduce`'s check of a finished run, naming the tasks that differ."""
    from rlkit.data.dataset import read_checkpoint, task_dir, write_checkpoint
    from rlkit.reproduce import RunSpec, check_existing
    monkeypatch.chdir(tmp_path)
    shutil.copytree(tiny_data, tmp_path / "a")
    shutil.copytree(tiny_data, tmp_path / "b")

    def cfg(data, iterations):
        return load_config(TINY_CONFIG, {"algo_params": {"num_iterations": iterations, "data_dir": str(tmp_path / data)},
                                         "util_params": {"exp_name": "r", "base_log_dir": str(tmp_path / "out")}})

    MetaTrainer(prepare(cfg("a", 1), 0, torch.device("cpu")), show_progress=False).run()
    run = tmp_path / "out" / "point-robot" / "r" / "seed0"
    assert json.loads((run / "dataset.json").read_text())["data_dir"] == str(tmp_path / "a")
    MetaTrainer(prepare(cfg("b", 2), 0, torch.device("cpu")), show_progress=False).run()  # same content, another path
    assert len(pd.read_csv(run / "progress.csv")) == 2
    tdir = task_dir(tmp_path / "b", 1)  # task 1's behaviour episodes replaced by other ones
    sample, evals = read_checkpoint(tdir, 200, "sample"), read_checkpoint(tdir, 200, "eval")
    sample.rewards = sample.rewards + 1.0
    write_checkpoint(tdir, 200, {"sample": sample, "eval": evals})
    with pytest.raises(UserError, match=r"was trained on other data than .*/b' holds now \(tasks \[1\] differ; it was "
                                        r"read from .*/a'\): expected the same data to resume"):
        MetaTrainer(prepare(cfg("b", 3), 0, torch.device("cpu")), show_progress=False).run()
    assert len(pd.read_csv(run / "progress.csv")) == 2
    overrides = {"algo_params": {"num_iterations": 2, "data_dir": str(tmp_path / "b")},
                 "util_params": {"exp_name": "r", "base_log_dir": str(tmp_path / "out")}}
    with pytest.raises(UserError, match=r"tasks \[1\] differ"):
        check_existing(RunSpec("CSRO", 0, str(TINY_CONFIG), overrides, run, 1, None))
    overrides["algo_params"]["data_dir"] = str(tmp_path / "a")
    assert check_existing(RunSpec("CSRO", 0, str(TINY_CONFIG), overrides, run, 1, None)) == "finished"
