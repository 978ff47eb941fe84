"""rlkit.report and rlkit.plot on hand-made run folders with known answers."""

import json

import numpy as np
import pandas as pd
import pytest

from rlkit.config import load_config
from rlkit.report import PROTOCOLS, final_returns, find_runs, group_runs, reference_returns
from rlkit.stats import curve_band
from tests.conftest import ROOT, TINY_CONFIG, run_cli

COLS = list(PROTOCOLS.values())


def make_run(folder, seed: int, returns: list[list[float]], **algo) -> None:
    """A run folder with the tiny config's variant and one progress row per entry of `returns`."""
    folder.mkdir(parents=True)
    cfg = load_config(TINY_CONFIG, {"algo_params": algo} if algo else None)
    (folder / "variant.json").write_text(json.dumps(dict(cfg.to_dict(), seed=seed)))
    rows = [
        {"Number of train steps total": 10 * (i + 1), "Epoch": i, **dict(zip(COLS, r))} for i, r in enumerate(returns)
    ]
    pd.DataFrame(rows).to_csv(folder / "progress.csv", index=False)


@pytest.fixture
def runs(tmp_path):
    exp = tmp_path / "point-robot" / "exp"
    make_run(exp / "seed0", 0, [[-10, -20, -15], [-6, -16, -8], [-4, -14, -6]])
    make_run(exp / "seed1", 1, [[-12, -18, -13], [-8, -12, -10]])  # stopped one iteration earlier
    return tmp_path


def test_final_returns_average_the_last_iterations_of_each_run(runs):
    found = find_runs(runs)
    table = final_returns(found, last=2)
    assert table["offline context"].tolist() == [(-6 - 4) / 2, (-12 - 8) / 2]
    assert table["online prior context"].tolist() == [(-16 - 14) / 2, (-18 - 12) / 2]
    assert table["iterations"].tolist() == [3, 2]


def test_reference_returns_are_the_tiny_configs_held_out_tasks(runs):
    ref = reference_returns(find_runs(runs)[0])
    assert ref.oracle > -5 and ref.random < -15
    assert ref.score(ref.oracle) == 1 and ref.score(ref.random) == 0


def test_sparse_runs_are_referenced_on_the_sparse_reward(tmp_path):
    make_run(tmp_path / "s" / "seed0", 0, [[1, 0, 2]])
    variant = json.loads((tmp_path / "s" / "seed0" / "variant.json").read_text())
    variant["env_name"] = "sparse-point-robot"
    variant["env_params"]["goal_radius"] = 0.2
    variant["algo_params"]["sparse_rewards"] = True
    (tmp_path / "s" / "seed0" / "variant.json").write_text(json.dumps(variant))
    ref = reference_returns(tmp_path / "s" / "seed0")
    assert ref.random >= 0 and ref.oracle > ref.random  # sums of sparse rewards, never negative


@pytest.mark.slow
def test_runs_of_different_configs_are_grouped_apart(runs):
    make_run(runs / "point-robot" / "other" / "seed0", 0, [[-5, -5, -5]], discount=0.5)
    groups = group_runs(find_runs(runs))
    assert [len(g) for g in groups] == [2, 1]
    proc = run_cli(["-m", "rlkit.report", str(runs)], cwd=ROOT)
    assert "2 experiments with different configs, reported separately" in proc.stdout
    assert proc.stdout.count("oracle (scripted)") == 2
    proc = run_cli(["-m", "rlkit.plot", str(runs), "--out", str(runs / "c.png")], cwd=ROOT, check=False)
    assert proc.returncode == 2 and "2 experiments with different configs" in proc.stderr
    assert not (runs / "c.png").exists()


@pytest.mark.slow
def test_report_rejects_last_zero(runs):
    proc = run_cli(["-m", "rlkit.report", str(runs), "--last", "0"], cwd=ROOT, check=False)
    assert proc.returncode == 2 and "--last 0: expected at least 1" in proc.stderr


@pytest.mark.slow
def test_plot_keeps_each_run_over_its_own_length(runs):
    proc = run_cli(["-m", "rlkit.plot", str(runs), "--out", str(runs / "c.png")], cwd=ROOT)
    assert (runs / "c.png").stat().st_size > 5000, proc.stdout
    x, mean, lo, hi = curve_band(
        [np.array([10, 20, 30]), np.array([10, 20])], [np.array([1.0, 2, 3]), np.array([3.0, 4])], band="std"
    )
    assert x.tolist() == [10, 20, 30] and mean.tolist() == [2, 3, 3]  # the third point: the one run that reached it
    assert lo.tolist() == [1, 2, 3] and hi.tolist() == [3, 4, 3]


def test_report_table_known_numbers(runs):
    from rlkit.report import Reference, format_table, iqm_lines

    table = final_returns(find_runs(runs), last=1)  # offline -4 and -8, Np -6 and -10
    ref = Reference(oracle=0.0, random=-20.0)
    lines = format_table(table, ref).splitlines()
    assert lines[1].split() == ["offline", "context", "-6.00", "+-", "2.00", "0.700"]  # scores 0.8 and 0.6
    assert lines[3].split() == ["non-prior", "context", "(Np)", "-8.00", "+-", "2.00", "0.600"]
    assert lines[-1].startswith("(2 run(s), 30 train steps;")
    iqm = iqm_lines(table, ref)[0].split()
    assert iqm[:5] == ["IQM", "score", "offline", "context", "0.700"]  # two runs: the IQM is their mean


def test_learning_curves_known_numbers(runs):
    from rlkit.plot import learning_curves

    frames = [pd.read_csv(r / "progress.csv") for r in find_runs(runs)]
    x, mean, lo, hi = learning_curves(frames)["offline context"]
    assert x.tolist() == [10, 20, 30] and mean.tolist() == [-11, -7, -4]
    assert lo.tolist() == [-12, -8, -4] and hi.tolist() == [-10, -6, -4]


def test_demo_reference_seeds_are_the_readmes_table():
    """The file `make demo` compares against holds the README's 5 seeds: with the README's oracle and random
    returns (-3.86, -20.38) their Np scores are 0.783, 0.877, 0.667, 0.794, 0.758 (mean 0.776), under the bar
    the file states (mean 0.8, each 0.7), which the README says."""
    from rlkit.report import Reference, read_spread

    spread = read_spread(ROOT / "docs" / "results" / "point-robot-demo-seeds.json")
    ref = Reference(-3.86, -20.38)
    np_scores = [ref.score(s["non-prior context (Np)"]) for s in spread["seeds"].values()]
    assert np.allclose(
        np_scores, [0.783, 0.877, 0.667, 0.794, 0.758], atol=2e-3
    )  # the README's, from unrounded returns
    assert abs(np.mean(np_scores) - 0.776) < 1e-3 and spread["last"] == 3
    assert spread["bar"] == {"protocol": "non-prior context (Np)", "mean_at_least": 0.8, "each_at_least": 0.7}


@pytest.mark.slow
def test_report_against_reference_seeds(runs, tmp_path):
    from rlkit.report import Reference, against_lines

    seeds = {
        "0": {"offline context": -5, "online prior context": -15, "non-prior context (Np)": -6},
        "1": {"offline context": -3, "online prior context": -13, "non-prior context (Np)": -10},
    }
    spread = {
        "seeds": seeds,
        "last": 2,
        "config": "c.json",
        "bar": {"protocol": "non-prior context (Np)", "mean_at_least": 0.8, "each_at_least": 0.7},
    }
    table = final_returns(find_runs(runs), last=2)[:1]  # seed 0: offline -5, online -15, Np -7
    lines = against_lines(table, Reference(oracle=0.0, random=-20.0), spread)
    assert "Np)" in lines[3] and "0.500 .. 0.700 (mean 0.600); this run 0.650" in lines[3]
    assert "worst 0.500, mean 0.600; this run is inside their spread, below the per-seed bar" in lines[4]
    path = tmp_path / "seeds.json"
    path.write_text(json.dumps(spread))
    proc = run_cli(["-m", "rlkit.report", str(runs), "--last", "2", "--against", str(path)], cwd=ROOT)
    assert "against 2 reference seeds of c.json" in proc.stdout
    bad = run_cli(["-m", "rlkit.report", str(runs), "--last", "3", "--against", str(path)], cwd=ROOT, check=False)
    assert bad.returncode == 2 and "expected --last 2" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    path.write_text("{}")
    bad = run_cli(["-m", "rlkit.report", str(runs), "--last", "2", "--against", str(path)], cwd=ROOT, check=False)
    assert bad.returncode == 2 and "reference seeds" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
