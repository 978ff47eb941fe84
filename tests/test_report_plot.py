"""rlkit.report and rlkit.plot on hand-made run folders with known answers."""

import functools
import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import rlkit.report
import rlkit.stats
from rlkit.config import config_from_variant, load_config
from rlkit.data.dataset import Trajectories
from rlkit.data.meta import write_task_meta
from rlkit.data.npz import write_checkpoint
from rlkit.errors import UserError
from rlkit.fileio import atomic_savefig
from rlkit.report import (
    BEST_BEHAVIOUR,
    PROTOCOLS,
    Reference,
    against_lines,
    check_against,
    data_reference,
    describe_groups,
    final_returns,
    find_runs,
    group_runs,
    main,
    read_spread,
    read_variant,
    reference_returns,
)
from rlkit.reproduce.plan import run_specs
from rlkit.stats import curve_band
from rlkit.tasks import make_env, oracle_return, random_return, zero_action_return
from tests.conftest import ROOT, TINY_CONFIG, run_here

COLS = list(PROTOCOLS.values())


def make_run(folder, seed: int, returns: list[list[float]], util: dict | None = None, **algo) -> None:
    """A run folder with the tiny config's variant (`util` and `algo` set in its util_params and algo_params)
    and one progress row per entry of `returns`."""
    folder.mkdir(parents=True)
    cfg = load_config(TINY_CONFIG, {"algo_params": algo} if algo else None)
    variant = dict(cfg.to_dict(), seed=seed)
    variant["util_params"].update(util or {})
    (folder / "variant.json").write_text(json.dumps(variant))
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
    assert table["train steps"].tolist() == [30, 20]  # each run's last row's, whatever the window (the footer's count)
    # three rows (-10, -6, -4): their mean -20/3, not their median -6 (`make demo` reports --last 3)
    assert final_returns(found[:1], last=3)["offline context"].tolist() == [pytest.approx(-20 / 3)]


def test_a_reference_whose_top_is_not_above_random_is_refused():
    """oracle == random divided by zero; a top below random flipped the sign of every score without a word."""
    from rlkit.report import Reference

    for oracle, random in [(-10.0, -10.0), (-20.0, -10.0)]:
        with pytest.raises(UserError, match=r"^reference returns oracle \(scripted\) -[12]0.0 and uniform random"):
            Reference(oracle=oracle, random=random)


def test_a_reference_scores_its_oracle_1_and_random_0(runs):
    """The normalised score's ends (which tasks the references are over: the test of the held-out tasks' own
    returns below)."""
    ref = reference_returns(find_runs(runs)[0])
    assert ref.oracle > -5 and ref.random < -15
    assert (
        ref.score(ref.oracle) == 1
        and ref.score(ref.random) == 0
        and ref.score((ref.oracle + ref.random) / 2) == pytest.approx(0.5)
    )


def test_references_are_scored_over_the_runs_meta_test_episodes(tmp_path):
    """A run whose meta-test episodes are shorter than the env's (max_path_length 10 of 20) is scored against
    references over 10 steps too: over the env's 20 a policy that does nothing scored about 0.5 (its return
    over 10 steps against random's over 20). Zero actions keep the point still: the same reward every step."""
    make_run(tmp_path / "full" / "seed0", 0, [[1, 0, 2]])
    make_run(tmp_path / "half" / "seed0", 0, [[1, 0, 2]], max_path_length=10)
    full, half = (reference_returns(tmp_path / name / "seed0") for name in ("full", "half"))
    assert half.still == pytest.approx(full.still / 2, rel=1e-9)
    assert half.random > full.random  # (the oracle is at its goal by step 10, where both agree: the 5-step test below)
    assert abs(half.score(half.still) - full.score(full.still)) < 0.1  # doing nothing scores alike


def test_mean_return_over_a_horizon_by_hand():
    from rlkit.data.dataset import Trajectories, mean_return

    rewards = np.array([1.0, 2.0, 3.0, 10.0, 20.0], np.float32)  # episodes of 3 and 2 steps
    trajs = Trajectories(
        np.zeros((5, 2), np.float32),
        np.zeros((5, 2), np.float32),
        rewards,
        np.zeros((5, 2), np.float32),
        np.zeros(5, np.float32),
        np.array([3, 2]),
    )
    assert mean_return(trajs) == 18.0 and mean_return(trajs, 2) == (3.0 + 30.0) / 2 and mean_return(trajs, 5) == 18.0


def test_sparse_runs_are_referenced_on_the_sparse_reward(tmp_path):
    make_run(tmp_path / "s" / "seed0", 0, [[1, 0, 2]])
    variant = json.loads((tmp_path / "s" / "seed0" / "variant.json").read_text())
    variant["env_name"] = "sparse-point-robot"
    variant["env_params"]["goal_radius"] = 0.2
    variant["algo_params"]["sparse_rewards"] = True
    (tmp_path / "s" / "seed0" / "variant.json").write_text(json.dumps(variant))
    ref = reference_returns(tmp_path / "s" / "seed0")
    assert ref.random >= 0 and ref.oracle > ref.random  # sums of sparse rewards, never negative
    assert ref.still == 0.0  # a robot that stays at the origin never reaches a goal: 0 sparse reward (dense: -20)


@pytest.mark.slow
def test_runs_of_different_configs_are_grouped_apart(runs):
    make_run(runs / "point-robot" / "other" / "seed0", 0, [[-5, -5, -5]], discount=0.5)
    groups = group_runs(find_runs(runs))
    assert [len(g) for g in groups] == [2, 1]
    text = describe_groups(groups)  # what sets a group apart, not only its folder
    assert text.endswith("other'] (against the first: algo_params.discount: 0.9 -> 0.5)"), text
    proc = run_here(["-m", "rlkit.report", str(runs)], cwd=ROOT)
    assert "2 experiments with different configs, reported separately" in proc.stdout
    assert proc.stdout.count("oracle (scripted)") == 2
    assert proc.stdout.count("IQM score ") == 3  # the two-seed experiment's three protocols; a lone run has no IQM
    proc = run_here(["-m", "rlkit.plot", str(runs), "--out", str(runs / "c.png")], cwd=ROOT, check=False)
    assert proc.returncode == 2 and "2 experiments with different configs" in proc.stderr
    assert not (runs / "c.png").exists()


@pytest.mark.slow
def test_report_rejects_last_zero(runs):
    proc = run_here(["-m", "rlkit.report", str(runs), "--last", "0"], cwd=ROOT, check=False)
    assert proc.returncode == 2 and "--last 0: expected at least 1" in proc.stderr


@pytest.mark.slow
def test_plot_curves_end_where_the_shortest_run_ends(runs):
    """A tail averaged over the runs that reached it (one, here) changed what the curve meant where it began,
    and its band collapsed to the line; the band is +- the std over runs with ddof 1."""
    proc = run_here(["-m", "rlkit.plot", str(runs), "--out", str(runs / "c.png")], cwd=ROOT)
    assert (runs / "c.png").stat().st_size > 5000, proc.stdout
    x, mean, lo, hi = curve_band(
        [np.array([10, 20, 30]), np.array([10, 20])], [np.array([1.0, 2, 3]), np.array([3.0, 4])], band="std"
    )
    assert x.tolist() == [10, 20] and mean.tolist() == [2, 3]
    np.testing.assert_allclose(hi - mean, [np.sqrt(2), np.sqrt(2)])
    np.testing.assert_allclose(mean - lo, [np.sqrt(2), np.sqrt(2)])
    x, mean, lo, hi = curve_band([np.array([10, 20])], [np.array([1.0, 2])])
    assert x.tolist() == [10, 20] and lo.tolist() == hi.tolist() == mean.tolist() == [1, 2]


def test_runs_differing_only_in_where_they_ran_are_one_experiment(tmp_path):
    """The keys `rlkit.run_folder` does not compare on resume (devices, paths, num_iterations) and values that
    mean the same (`use_information_bottleneck` false or null outside OFFPEARL) do not split an experiment."""
    make_run(tmp_path / "a" / "seed0", 0, [[-4, -14, -6]])
    elsewhere = {"use_gpu": False, "gpu_id": 1, "base_log_dir": "/elsewhere", "config_file": "/x/tiny.json"}
    make_run(tmp_path / "a" / "seed1", 1, [[-8, -12, -10]] * 2, elsewhere, num_iterations=5)
    make_run(tmp_path / "a" / "seed2", 2, [[-8, -12, -10]], use_information_bottleneck=False)
    assert [len(g) for g in group_runs(find_runs(tmp_path))] == [3]


def test_runs_on_other_data_are_other_experiments(tmp_path):
    """Data is compared by content where the runs recorded it (dataset.json), else by its path."""
    for seed, digest, data_dir in [(0, "d1", "/data/one"), (1, "d1", "/data/moved"), (2, "d2", "/data/one")]:
        make_run(tmp_path / "a" / f"seed{seed}", seed, [[-4, -14, -6]], data_dir=data_dir)
        (tmp_path / "a" / f"seed{seed}" / "dataset.json").write_text(json.dumps({"digest": digest}))
    make_run(tmp_path / "b" / "seed0", 0, [[-4, -14, -6]], data_dir="/data/one")  # no dataset.json
    make_run(tmp_path / "b" / "seed1", 1, [[-4, -14, -6]], data_dir="/data/two")
    groups = group_runs(find_runs(tmp_path))
    assert [[r.relative_to(tmp_path).as_posix() for r in g] for g in groups] == [
        ["a/seed0", "a/seed1"],
        ["a/seed2"],
        ["b/seed0"],
        ["b/seed1"],
    ]


@pytest.mark.parametrize(
    "name,content,match",
    [
        ("variant.json", b"{", r"variant.json' is not valid JSON \(.*\): expected the config a run of launch_"),
        ("variant.json", b"[]", r"variant.json' holds a JSON list: expected an object, the config a run of launch_"),
        ("dataset.json", b"\xff", r"dataset.json' is not valid JSON \(.*codec.*\): expected the data fingerprint"),
        ("dataset.json", b'{"digest": 1}', r"dataset.json' holds no data digest: expected the data fingerprint"),
    ],
)
def test_a_damaged_run_record_is_one_line_naming_it(runs, name, content, match):
    (runs / "point-robot" / "exp" / "seed1" / name).write_bytes(content)
    with pytest.raises(UserError, match=match):
        group_runs(find_runs(runs))


def _junk(text: str) -> bytes:
    return b"PK\x03\x04\x14\x00\x08\x00\xff\xfe"


def _header_only(text: str) -> bytes:
    return text.splitlines()[0].encode() + b"\n"


def _without_online(text: str) -> bytes:
    return "\n".join(",".join(r.split(",")[:3] + r.split(",")[4:]) for r in text.splitlines()).encode()


def _cell(row: int, col: int, value: str):
    def change(text: str) -> bytes:
        rows = [r.split(",") for r in text.splitlines()]
        rows[row][col] = value
        return "\n".join(",".join(r) for r in rows).encode() + b"\n"

    return change


# seed1's progress.csv: "Number of train steps total,Epoch,<offline>,<online>,<Np>", then 2 rows
DAMAGED_PROGRESS = {
    "binary junk": (_junk, r"' is not UTF-8 text \(byte 8: invalid start byte\)"),
    "empty": (lambda text: b"", r"' is empty"),
    "header only": (_header_only, r"' has a header but no rows"),
    "missing column": (
        _without_online,
        r"' has no column 'Average_OnlineReturn_all_test_tasks' \(its header: 'Number of train steps total,Epoch,",
    ),
    "non-numeric": (
        _cell(2, 2, "abc"),
        r"' line 3, column 'Average_OfflineReturn_all_test_tasks': 'abc' is not a finite number \(or nan\)",
    ),
    "infinite": (_cell(1, 4, "inf"), r"' line 2, column 'Average_NpOnlineReturn_all_test_tasks': 'inf' is not a fin"),
    "train steps nan": (_cell(2, 0, "nan"), r"' line 3, column 'Number of train steps total': 'nan' is not a whole"),
    "ragged row": (_cell(2, 4, "-10,7"), r"' line 3 has 6 cells: expected 5, one per column of its header"),
}


@pytest.mark.parametrize("damage", DAMAGED_PROGRESS)
@pytest.mark.parametrize("module", ["report", "plot"])
def test_a_damaged_progress_csv_is_one_line_naming_it(runs, capsys, module, damage):
    """rlkit.report and rlkit.plot on a run whose progress.csv is not the table launch_experiment.py writes: one
    line naming the file, the line and column, what is wrong and what was expected; exit 2, nothing written."""
    import importlib

    from rlkit.cli import run_cli as run_command

    change, match = DAMAGED_PROGRESS[damage]
    path = runs / "point-robot" / "exp" / "seed1" / "progress.csv"
    path.write_bytes(change(path.read_text()))
    args = [str(runs)] + (["--out", str(runs / "c.png")] if module == "plot" else [])
    with pytest.raises(SystemExit) as exit_:
        run_command(importlib.import_module(f"rlkit.{module}").main, args)
    out = capsys.readouterr()
    err = out.err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and out.out == "", err
    assert err[0].startswith(f"error: {str(path)!r}") and re.search(match, err[0]), err[0]
    assert err[0].endswith(
        ": expected the progress.csv launch_experiment.py writes (a header, then a row of numbers per iteration)"
    )
    assert not (runs / "c.png").exists()


def test_nan_cells_of_a_progress_csv_are_read_as_before(runs):
    """A progress.csv's nan cells (columns not measured, such as the z spread before it is estimated) are read as
    nan, as pandas reads them, and do not stop the report; nan returns are still refused by `check_meta_tested`."""
    from rlkit.report import read_progress

    path = runs / "point-robot" / "exp" / "seed1" / "progress.csv"
    text = path.read_text().splitlines()
    path.write_text("\n".join([text[0] + ",Z spread ratio", text[1] + ",nan", text[2] + ",0.5"]) + "\n")
    table = read_progress(path.parent)
    expected = pd.read_csv(path)
    assert list(table.columns) == list(expected.columns) and table["Number of train steps total"].dtype == np.int64
    np.testing.assert_array_equal(table.to_numpy(float), expected.to_numpy(float))
    assert final_returns(find_runs(runs), last=2)["offline context"].tolist() == [-5.0, -10.0]
    path.write_text("\n".join([text[0], text[1], ",".join(text[2].split(",")[:2] + ["nan"] * 3)]) + "\n")
    with pytest.raises(UserError, match=r"seed1' has 1 progress row\(s\) without all three meta-test returns"):
        final_returns(find_runs(runs), last=2)


def test_last_beyond_a_runs_rows_is_an_error(runs):
    """Every run averages the same number of iterations: a run with fewer rows than --last is refused, by name."""
    with pytest.raises(UserError, match=r"seed1' has 2 progress rows: expected at least --last 3, so that"):
        final_returns(find_runs(runs), last=3)
    assert len(final_returns(find_runs(runs), last=2)) == 2


def test_report_table_known_numbers(runs):
    from rlkit.report import Reference, format_table, iqm_lines, length_lines

    table = final_returns(find_runs(runs), last=1)  # offline -4 and -8, Np -6 and -10
    ref = Reference(oracle=0.0, random=-20.0)
    lines = format_table(table, ref).splitlines()
    assert lines[1].split() == ["offline", "context", "-6.00", "+-", "2.83", "0.700"]  # scores 0.8 and 0.6; ddof 1
    still = format_table(table, Reference(oracle=0.0, random=-20.0, still=-10.0)).splitlines()
    assert still[-2].split() == ["zero", "action", "-10.00", "0.500"] and "zero action" not in "".join(lines)
    assert lines[3].split() == ["non-prior", "context", "(Np)", "-8.00", "+-", "2.83", "0.600"]
    assert lines[4].split() == ["oracle", "(scripted)", "0.00", "1.000"]  # each reference in its own row
    assert lines[5].split() == ["uniform", "random", "-20.00", "0.000"]
    assert lines[-1].startswith("(2 run(s), 20-30 train steps;")  # seed 1 stopped one iteration earlier
    one = format_table(table[:1], ref).splitlines()
    assert one[-1].startswith("(1 run(s), 30 train steps;") and one[1].split()[2:5] == ["-4.00", "+-", "n/a"]
    iqm = iqm_lines(table, ref)[0].split()
    assert iqm[:5] == ["IQM", "score", "offline", "context", "0.700"]  # two runs: the IQM is their mean
    assert iqm[5:] == ["[0.600,", "0.800]"]  # and the interval their range, which a line says
    assert iqm_lines(table, ref)[-1].startswith("(over 2 runs the IQM is their mean and the interval their range")
    four = pd.DataFrame(dict.fromkeys(PROTOCOLS, [-2.0, -4.0, -6.0, -12.0]))  # scores 0.9, 0.8, 0.7, 0.4
    four_lines = iqm_lines(four, ref)  # the IQM of four is the mean of the middle two, the interval still their range
    assert four_lines[0].split()[4:] == ["0.750", "[0.400,", "0.900]"] and len(four_lines) == len(PROTOCOLS) + 1
    # the two runs end at 30 and 20 train steps: their mean mixes two points of training, which a line says
    assert length_lines(table) == [
        "warning: the runs end at different train steps (20 in seed1; 30 in seed0): the table averages returns "
        "read at different points of training; finish the shorter runs for one that compares"
    ]
    assert length_lines(table[:1]) == []


def test_learning_curves_known_numbers(runs):
    from rlkit.plot import learning_curves

    frames = [pd.read_csv(r / "progress.csv") for r in find_runs(runs)]
    x, mean, lo, hi = learning_curves(frames)["offline context"]  # seed 1 stopped one iteration earlier
    assert x.tolist() == [10, 20] and mean.tolist() == [-11, -7]
    np.testing.assert_allclose(hi - mean, [np.sqrt(2), np.sqrt(2)])  # std of (-10, -12) and (-6, -8), ddof 1


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


def test_a_run_above_or_below_the_reference_seeds_is_outside_their_spread():
    """The verdict "inside their spread" means between the seeds' worst and best: a run above the best is outside."""
    from rlkit.report import PROTOCOLS, Reference, against_lines

    spread = dict(SEEDS, seeds={"0": dict.fromkeys(PROTOCOLS, -6.0), "1": dict.fromkeys(PROTOCOLS, -10.0)})
    ref = Reference(oracle=0.0, random=-20.0)  # the seeds score 0.5 .. 0.7
    said = {}
    for np_return in (-12.0, -8.0, -2.0):  # scores 0.4, 0.6, 0.9
        table = pd.DataFrame([dict.fromkeys(PROTOCOLS, np_return)])
        said[np_return] = against_lines(table, ref, spread)[-1].split("this run is ")[1]
    assert said == {
        -12.0: "outside their spread, below the per-seed bar",
        -8.0: "inside their spread, below the per-seed bar",
        -2.0: "outside their spread",
    }
    # two runs, one inside (0.6) and one above (0.9): not inside, and their mean (0.75) is below mean_at_least (0.8);
    # one run at 0.75, above each_at_least (0.7): one draw, not held to the mean bar; two at 0.85 and 0.95: above both
    assert against_lines(pd.DataFrame(dict.fromkeys(PROTOCOLS, [-8.0, -2.0])), ref, spread)[-1].endswith(
        "this run is outside their spread, below the per-seed bar, their mean 0.750 below the mean bar"
    )
    assert against_lines(pd.DataFrame([dict.fromkeys(PROTOCOLS, -5.0)]), ref, spread)[-1].endswith(
        "this run is outside their spread"
    )
    assert against_lines(pd.DataFrame(dict.fromkeys(PROTOCOLS, [-5.0, -5.0])), ref, spread)[-1].endswith(
        "this run is outside their spread, their mean 0.750 below the mean bar"
    )
    assert against_lines(pd.DataFrame(dict.fromkeys(PROTOCOLS, [-3.0, -1.0])), ref, spread)[-1].endswith(
        "this run is outside their spread"
    )


def test_only_three_equal_protocol_returns_are_flagged(tmp_path):
    """A run whose three protocols return one value at its last iteration is flagged (its z ignores its context);
    two equal and one other is an ordinary run."""
    from rlkit.logging import RETURN_COLUMNS
    from rlkit.report import collapse_lines

    flagged = {}
    for name, returns in {"same": (-5.0, -5.0, -5.0), "two": (-5.0, -5.0, -3.0), "other": (-3.0, -5.0, -5.0)}.items():
        run = tmp_path / name
        run.mkdir()
        row = {"Number of train steps total": 10, "Epoch": 0, **dict(zip(RETURN_COLUMNS.values(), returns))}
        pd.DataFrame([row]).to_csv(run / "progress.csv", index=False)
        flagged[name] = [line for line in collapse_lines([run]) if "return the same value" in line]
    assert len(flagged["same"]) == 1 and flagged["two"] == flagged["other"] == []


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
        "config": "configs/test/point-robot-tiny.json",
        "bar": {"protocol": "non-prior context (Np)", "mean_at_least": 0.8, "each_at_least": 0.7},
    }
    table = final_returns(find_runs(runs), last=2)[:1]  # seed 0: offline -5, online -15, Np -7
    lines = against_lines(table, Reference(oracle=0.0, random=-20.0), spread)
    assert "Np)" in lines[3] and "0.500 .. 0.700 (mean 0.600); this run 0.650" in lines[3]
    assert "worst 0.500, mean 0.600; this run is inside their spread, below the per-seed bar" in lines[4]
    path = tmp_path / "seeds.json"
    path.write_text(json.dumps(spread))
    proc = run_here(["-m", "rlkit.report", str(runs), "--last", "2", "--against", str(path)], cwd=ROOT)
    assert "against 2 reference seeds of configs/test/point-robot-tiny.json" in proc.stdout
    bad = run_here(["-m", "rlkit.report", str(runs), "--last", "3", "--against", str(path)], cwd=ROOT, check=False)
    assert bad.returncode == 2 and "expected --last 2" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    path.write_text("{}")
    bad = run_here(["-m", "rlkit.report", str(runs), "--last", "2", "--against", str(path)], cwd=ROOT, check=False)
    assert bad.returncode == 2 and "reference seeds" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_runs_scored_otherwise_than_the_seeds_are_not_held_to_them(runs, tmp_path):
    """A run of the seeds' config file with shorter meta-test episodes returns less per episode: held to seeds
    scored over the config's episodes it read as worse (or better) for that alone."""
    from rlkit.report import check_against

    check_against([find_runs(runs)], SEEDS, "seeds.json")  # the tiny config's runs: scored as their seeds
    short = tmp_path / "short"
    make_run(short / "seed0", 0, [[-5, -15, -6]], max_path_length=10)
    with pytest.raises(UserError, match=r"has algo_params.max_path_length 10: expected the seeds' 20"):
        check_against([find_runs(short)], SEEDS, "seeds.json")


SEEDS = {
    "seeds": {"0": {"offline context": -5, "online prior context": -15, "non-prior context (Np)": -6}},
    "last": 1,
    "config": "configs/test/point-robot-tiny.json",
    "bar": {"protocol": "non-prior context (Np)", "mean_at_least": 0.8, "each_at_least": 0.7},
}


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("protocol", ["offline context", "non-prior context (Np)"])
def test_read_spread_refuses_a_seed_return_that_is_not_finite(tmp_path, protocol, value):
    """A NaN seed return was read: the report printed the seeds' range as `nan .. nan` and judged the bar by it."""
    from rlkit.report import read_spread

    seeds = {"0": dict(SEEDS["seeds"]["0"], **{protocol: float(value)}), "1": SEEDS["seeds"]["0"]}
    path = tmp_path / "seeds.json"
    path.write_text(json.dumps(dict(SEEDS, seeds=seeds)))  # (json writes NaN, Infinity, -Infinity)
    said = rf"^--against .*: seed 0's {re.escape(protocol)} return {value}: expected a finite number$"
    with pytest.raises(UserError, match=said):
        read_spread(path)


@pytest.mark.parametrize(
    "bar, error",
    [
        ({"mean_at_least": 0.8}, r"bar.each_at_least missing: expected a number, the normalised score"),
        ({"each_at_least": "0.7", "mean_at_least": 0.8}, r"bar.each_at_least '0.7': expected a number"),
        ({"each_at_least": 0.7, "mean_at_least": True}, r"bar.mean_at_least True: expected a number"),
    ],
)
def test_read_spread_refuses_a_bar_without_numbers(tmp_path, bar, error):
    from rlkit.report import read_spread

    path = tmp_path / "seeds.json"
    path.write_text(json.dumps(dict(SEEDS, bar={"protocol": "non-prior context (Np)", **bar})))
    with pytest.raises(UserError, match=error):
        read_spread(path)


@pytest.mark.parametrize(
    "doc", [[1], dict(SEEDS, seeds="x"), dict(SEEDS, seeds=["0"]), dict(SEEDS, bar="x"), dict(SEEDS, seeds={"0": 1})]
)
def test_read_spread_refuses_a_file_whose_parts_are_not_objects(tmp_path, doc):
    """`"seeds": "x"` was an AttributeError traceback ('str' object has no attribute 'items')."""
    from rlkit.report import read_spread

    path = tmp_path / "seeds.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(UserError, match=r"seeds.json': expected a JSON file of reference seeds \(seeds, last, bar"):
        read_spread(path)


@pytest.mark.parametrize(
    "text, why",
    [
        ("{}", "(no field 'seeds')"),
        ("nope", "is not valid JSON (Expecting value: line 1 column 1 (char 0)): expected a JSON file of reference"),
        ('{"seeds": {}, "seeds": {}}', "sets the key 'seeds' twice: expected each key once, a JSON file of reference"),
        ('{"seeds": "x", "bar": {}}', "(seeds must be an object of seeds, each with a number per protocol, bar an"),
    ],
)
def test_read_spread_says_what_is_wrong_with_the_file(tmp_path, text, why):
    """The one line ended in the exception's class name, "(KeyError)", "(JSONDecodeError)": it names the missing
    field, the JSON error, or the form expected; a key set twice is refused (json kept the last, so a file saying
    "last" 3 then 1 refused --last 3), as every JSON file the project reads."""
    from rlkit.report import read_spread

    path = tmp_path / "seeds.json"
    path.write_text(text)
    with pytest.raises(UserError) as e:
        read_spread(path)
    assert why in str(e.value) and "Error)" not in str(e.value)


def test_a_path_that_is_not_there_is_called_not_found(tmp_path):
    """report, plot and the behaviour curves said "no progress.csv under" (or "no goal_idx* folders in") a path
    that does not exist, as if it were an empty folder."""
    from rlkit.data.dataset import task_dirs

    nope = tmp_path / "nope"
    with pytest.raises(UserError, match=rf"^{re.escape(repr(str(nope)))} not found: expected a run folder such as"):
        find_runs(nope)
    with pytest.raises(UserError, match=rf"^{re.escape(repr(str(nope)))} not found: expected a dataset"):
        task_dirs(nope, "a dataset")
    with pytest.raises(UserError, match=r"^no progress.csv under"):  # (an empty folder: as it was)
        find_runs(tmp_path)


@pytest.mark.parametrize("last", [0, -1, 2.9, "3", True])
def test_read_spread_refuses_a_last_that_is_not_a_count_of_iterations(tmp_path, last):
    """A seeds file's `last` of 0 was taken, to be refused as `--last 0` after advice to pass it; 2.9 was cut to 2."""
    from rlkit.report import read_spread

    path = tmp_path / "seeds.json"
    path.write_text(json.dumps(dict(SEEDS, last=last)))
    with pytest.raises(UserError, match=rf"seeds.json': last {re.escape(repr(last))}: expected a whole number >= 1"):
        read_spread(path)


def test_same_config_file_is_robust_to_where_the_run_was_launched():
    from rlkit.report import same_config_file

    named = "configs/demo/point-robot.json"
    assert same_config_file("/home/u/csro/configs/demo/point-robot.json", named)
    assert same_config_file("./configs/demo/point-robot.json", named)
    assert same_config_file(str(ROOT / named), named)
    assert not same_config_file("configs/point-robot.json", named)
    assert not same_config_file("/home/u/csro/configs/test/point-robot.json", named)


def test_against_refuses_runs_of_another_config_or_without_an_oracle(runs, tmp_path):
    """--against holds runs to seeds of one config file by normalised score: a run of another config file,
    or of a family without a scripted oracle (no top for the score), is refused before anything is printed."""
    from rlkit.report import check_against

    groups = group_runs(find_runs(runs))
    check_against(groups, SEEDS, "s.json")  # the tiny config's runs, recorded by absolute path
    with pytest.raises(UserError, match=r"holds seeds of 'configs/demo/point-robot.json': expected runs of that"):
        check_against(groups, dict(SEEDS, config="configs/demo/point-robot.json"), "s.json")
    cheetah = tmp_path / "cv" / "seed0"
    cheetah.mkdir(parents=True)
    variant = dict(load_config(ROOT / "configs" / "cheetah-vel.json").to_dict(), seed=0)
    (cheetah / "variant.json").write_text(json.dumps(variant))
    with pytest.raises(UserError, match=r"seed0' is a cheetah-vel run, a family without a scripted oracle"):
        check_against([[cheetah]], dict(SEEDS, config="configs/cheetah-vel.json"), "s.json")


def test_plot_refuses_runs_without_meta_test_returns_and_figure_kinds_it_cannot_write(runs, tmp_path):
    """A run trained with allow_eval false gave a plot with no curve (rlkit.report refused it); an unknown suffix
    was matplotlib's traceback."""
    from rlkit.plot import plot_runs

    nan = float("nan")
    make_run(tmp_path / "quiet" / "x" / "seed0", 0, [[nan, nan, nan], [nan, nan, nan]])
    progress = tmp_path / "quiet" / "x" / "seed0" / "progress.csv"
    progress.write_text(pd.read_csv(progress).to_csv(index=False, na_rep="nan"))  # as RunLogger writes nan
    with pytest.raises(UserError, match=r"seed0' has 2 progress row\(s\) without all three meta-test returns"):
        plot_runs(find_runs(tmp_path / "quiet"), tmp_path / "q.png")
    assert not (tmp_path / "q.png").exists()
    with pytest.raises(UserError, match=r"c.xyz': figures are written as .*png.*, not 'xyz'$"):
        plot_runs(find_runs(runs / "point-robot"), runs / "c.xyz")
    assert not (runs / "c.xyz").exists()


def test_a_plot_of_one_iteration_marks_its_point(tmp_path, monkeypatch):
    """A line of one point and no marker draws nothing: runs of one iteration gave an empty plot."""
    import matplotlib.axes

    from rlkit.plot import plot_runs

    make_run(tmp_path / "one" / "x" / "seed0", 0, [[-5, -6, -7]])
    markers = []
    plot = matplotlib.axes.Axes.plot
    monkeypatch.setattr(
        matplotlib.axes.Axes, "plot", lambda ax, *a, **k: markers.append(k.get("marker")) or plot(ax, *a, **k)
    )
    plot_runs(find_runs(tmp_path / "one"), tmp_path / "one.png")
    assert markers == ["o", "o", "o"] and (tmp_path / "one.png").is_file()


def test_the_report_table_of_three_runs_by_hand(tmp_path, monkeypatch):
    """Returns -4, -8, -14 of three seeds on the 0 .. -20 scale: mean -8.67, std 5.03, score the mean of 0.8, 0.6,
    0.3 (0.567; their median 0.600); the command prints the three protocols' IQM lines for two runs or more."""
    import functools

    from click.testing import CliRunner

    import rlkit.stats
    from rlkit.report import Reference, format_table, main

    table = pd.DataFrame(dict.fromkeys(PROTOCOLS, [-4.0, -8.0, -14.0]) | {"train steps": [30] * 3})
    assert format_table(table, Reference(0.0, -20.0)).splitlines()[1].split() == [
        "offline", "context", "-8.67", "+-", "5.03", "0.567"
    ]  # fmt: skip
    make_run(tmp_path / "exp" / "seed0", 0, [[-4, -14, -6]])
    make_run(tmp_path / "exp" / "seed1", 1, [[-8, -12, -10]])
    monkeypatch.setattr(rlkit.stats, "iqm_interval", functools.partial(rlkit.stats.iqm_interval, reps=200))  # (fast)
    out = CliRunner().invoke(main, [str(tmp_path)]).output
    assert sum(line.startswith("IQM score ") for line in out.splitlines()) == 3, out
    assert "different configs" not in out and "== experiment" not in out, out  # one experiment: no group headings


def test_a_row_missing_one_protocols_return_is_refused_not_averaged(tmp_path):
    """A progress row with the Np return missing (nan) among measured ones: pandas' mean would skip it silently and
    average that protocol over fewer rows than the others."""
    make_run(tmp_path / "seed0", 0, [[-10, -20, -15], [-6, -16, -8]])
    path = tmp_path / "seed0" / "progress.csv"
    path.write_text(path.read_text().replace(",-15\n", ",nan\n"))
    with pytest.raises(UserError, match=r"has 1 progress row\(s\) without all three meta-test returns"):
        final_returns([tmp_path / "seed0"], last=2)


def test_the_collapse_flags_read_a_runs_last_row(tmp_path):
    """A run alive at its first iteration and collapsed at its last (spread 0, three equal returns): both flags."""
    from rlkit.logging import RETURN_COLUMNS, SPREAD_COLUMNS
    from rlkit.report import collapse_lines

    alive = {**dict(zip(RETURN_COLUMNS.values(), (-3.0, -4.0, -5.0))), SPREAD_COLUMNS[0]: 0.3, SPREAD_COLUMNS[1]: 3.0}
    dead = {**dict.fromkeys(RETURN_COLUMNS.values(), -5.0), SPREAD_COLUMNS[0]: 0.0, SPREAD_COLUMNS[1]: 0.0}
    (tmp_path / "r").mkdir()
    rows = [{"Number of train steps total": 10 * (i + 1), "Epoch": i, **r} for i, r in enumerate([alive, dead])]
    pd.DataFrame(rows).to_csv(tmp_path / "r" / "progress.csv", index=False)
    assert len(collapse_lines([tmp_path / "r"])) == 2


def test_the_figures_reference_lines_are_the_oracle_and_the_random_returns(tmp_path, monkeypatch):
    """The figure draws the oracle and the uniform-random lines, each at its own return under its own label; it guards
    against the reference lines left out, or the random line drawn at the oracle's return under the random label. A
    reader places the learning curves between these two lines (the module docstring: "the oracle and uniform-random
    returns as horizontal references"), so a line at the wrong height misstates how far a method is from solving the
    tasks. The tiny config's held-out tasks: oracle above -5, random below -15 (test_report_plot's reference test)."""
    import matplotlib.axes

    from rlkit.plot import plot_runs

    make_run(tmp_path / "point-robot" / "exp" / "seed0", 0, [[-10, -20, -15], [-6, -16, -8]])
    make_run(tmp_path / "point-robot" / "exp" / "seed1", 1, [[-12, -18, -13], [-8, -12, -10]])
    lines = {}  # label (without its number) -> height
    axhline = matplotlib.axes.Axes.axhline

    def recorded(ax, y=0, *a, **k):
        lines[k.get("label", "").split(" (")[0]] = y
        return axhline(ax, y, *a, **k)

    monkeypatch.setattr(matplotlib.axes.Axes, "axhline", recorded)
    runs = find_runs(tmp_path)
    plot_runs(runs, tmp_path / "c.png")
    ref = reference_returns(runs[0])
    assert ref.oracle > -5 and ref.random < -15
    assert lines == {"oracle": ref.oracle, "uniform random": ref.random}
    assert (tmp_path / "c.png").is_file()


TWO_SEEDS = {
    "seeds": {"0": dict.fromkeys(PROTOCOLS, -6.0), "1": dict.fromkeys(PROTOCOLS, -10.0)},
    "last": 2,
    "config": "configs/test/point-robot-tiny.json",
    "bar": {"protocol": "non-prior context (Np)", "mean_at_least": 0.8, "each_at_least": 0.7},
}


def write_flat_run(folder, config, overrides=None, util=None, rows=3):
    """A run folder of `config` (with `overrides`) holding `rows` progress rows of returns -8."""
    folder.mkdir(parents=True)
    variant = dict(load_config(config, overrides).to_dict(), seed=0)
    variant["util_params"].update(util or {})
    (folder / "variant.json").write_text(json.dumps(variant))
    returns = dict.fromkeys(PROTOCOLS.values(), -8.0)
    progress = [{"Number of train steps total": 10 * (i + 1), "Epoch": i, **returns} for i in range(rows)]
    pd.DataFrame(progress).to_csv(folder / "progress.csv", index=False)
    return folder


def test_a_run_that_ties_the_worst_or_best_reference_seed_is_inside_their_spread():
    """The verdict "inside their spread" holds between the seeds' worst and best, both included. On the 0 .. -20 scale
    the seeds' returns -10 and -6 score 0.5 and 0.7; a rerun of either seed that returns exactly its return (a
    deterministic host repeats it) is one of them, hence inside, not "outside their spread"."""
    from rlkit.report import Reference, against_lines

    ref = Reference(oracle=0.0, random=-20.0)
    for tie in (-10.0, -6.0):
        verdict = against_lines(pd.DataFrame([dict.fromkeys(PROTOCOLS, tie)]), ref, TWO_SEEDS)[-1]
        assert verdict.split("this run is ")[1].startswith("inside their spread"), verdict


def test_report_against_seeds_refuses_a_last_below_theirs_too(tmp_path):
    """Runs are held to reference seeds only over the same window: `--last 1` against seeds that average their last 2
    iterations compares one iteration's return (noisier, often lower early on) with a 2-iteration mean; it is refused
    like a longer window."""
    from click.testing import CliRunner

    from rlkit.report import main

    write_flat_run(tmp_path / "runs" / "exp" / "seed0", TINY_CONFIG)
    path = tmp_path / "seeds.json"
    path.write_text(json.dumps(TWO_SEEDS))
    for last in ("1", "3"):
        result = CliRunner().invoke(main, [str(tmp_path / "runs"), "--last", last, "--against", str(path)])
        assert isinstance(result.exception, UserError), (last, result.output)
        assert f"--last {last} with --against" in str(result.exception) and "expected --last 2" in str(result.exception)


def test_a_dense_run_is_not_held_to_seeds_scored_on_the_sparse_reward(tmp_path):
    """A run's returns compare with the seeds' only if both score the same reward. Seeds of
    configs/sparse-point-robot.json sum the sparse reward (0 or 1 per step), a run of that file with sparse_rewards off
    sums the dense one (negative distances): its normalised score says nothing about theirs, so it is refused."""
    from rlkit.report import check_against

    config = "configs/sparse-point-robot.json"
    seeds = dict(TWO_SEEDS, config=config)
    util = {"config_file": config}
    same = write_flat_run(tmp_path / "same" / "seed0", ROOT / config, util=util)
    check_against([[same]], seeds, "seeds.json")  # the seeds' own settings: held to them
    dense = write_flat_run(
        tmp_path / "dense" / "seed0", ROOT / config, {"algo_params": {"sparse_rewards": False}}, util
    )
    with pytest.raises(UserError, match=r"has algo_params.sparse_rewards .*: expected the seeds' "):
        check_against([[dense]], seeds, "seeds.json")


def test_two_tied_protocols_around_a_different_one_are_not_a_collapse(tmp_path):
    """The flag "its z does not depend on the context" needs all three protocols equal; offline and Np equal (-5)
    with the online one different (-3) is an ordinary run, in any position of the three."""
    from rlkit.logging import RETURN_COLUMNS
    from rlkit.report import collapse_lines

    run = tmp_path / "r"
    run.mkdir()
    row = {"Number of train steps total": 10, "Epoch": 0, **dict(zip(RETURN_COLUMNS.values(), (-5.0, -3.0, -5.0)))}
    pd.DataFrame([row]).to_csv(run / "progress.csv", index=False)
    assert [line for line in collapse_lines([run]) if "return the same value" in line] == []


def test_the_learning_curve_figure_by_hand(tmp_path, monkeypatch):
    """rlkit.plot's figure, by hand, for two seeds of two iterations (10 and 20 train steps): each protocol's line
    is its mean over the seeds at each step, under its own name, shaded from mean - std to mean + std (ddof 1); the
    axes say gradient steps and return on held-out tasks, the title the env and the number of runs. Every test of
    learning_curves passed under slips in which the figure drew one seed's numbers, the upper edge of the band as
    the line, half the band, no band for two seeds, another protocol's column under a protocol's name, or said
    training tasks, one run or iterations, or the random return's number in the oracle line's label."""
    import matplotlib.axes

    import rlkit.plot

    make_run(tmp_path / "point-robot" / "exp" / "seed0", 0, [[-10, -20, -15], [-6, -16, -8]])
    make_run(tmp_path / "point-robot" / "exp" / "seed1", 1, [[-12, -18, -13], [-8, -12, -10]])
    bands, figures = [], []
    fill_between = matplotlib.axes.Axes.fill_between

    def recorded(ax, x, lo, hi, *a, **k):
        bands.append((np.asarray(x).tolist(), np.asarray(lo), np.asarray(hi)))
        return fill_between(ax, x, lo, hi, *a, **k)

    monkeypatch.setattr(matplotlib.axes.Axes, "fill_between", recorded)
    monkeypatch.setattr(rlkit.plot, "atomic_savefig", lambda fig, out, dpi: figures.append(fig))
    rlkit.plot.plot_runs(find_runs(tmp_path), tmp_path / "c.png")
    (ax,) = figures[0].axes
    lines = {line.get_label(): line for line in ax.lines if line.get_label() in PROTOCOLS}
    want = {  # protocol -> (mean, std) at 10 and 20 steps
        name: (np.mean(v, axis=0), np.std(v, axis=0, ddof=1))
        for name, v in zip(
            PROTOCOLS, np.array([[[-10, -6], [-12, -8]], [[-20, -16], [-18, -12]], [[-15, -8], [-13, -10]]])
        )
    }
    assert list(lines) == list(PROTOCOLS) and len(bands) == len(PROTOCOLS)
    for (name, (mean, std)), (x, lo, hi) in zip(want.items(), bands):
        assert lines[name].get_xdata().tolist() == [10, 20] and x == [10, 20]
        np.testing.assert_allclose(lines[name].get_ydata(), mean)
        np.testing.assert_allclose(lo, mean - std)
        np.testing.assert_allclose(hi, mean + std)
    assert ax.get_xlabel() == "gradient steps" and ax.get_ylabel() == "return on held-out tasks"
    assert ax.get_title() == "point-robot: 2 run(s)"
    ref = reference_returns(find_runs(tmp_path)[0])
    references = [line.get_label() for line in ax.lines if line.get_label() not in PROTOCOLS]
    assert references == [f"oracle ({ref.oracle:.2f})", f"uniform random ({ref.random:.2f})"]
    bands.clear()  # one run: its lines, and no band (it has no spread)
    rlkit.plot.plot_runs(find_runs(tmp_path)[:1], tmp_path / "c.png")
    assert bands == [] and figures[1].axes[0].get_title() == "point-robot: 1 run(s)"


def test_plot_writes_learning_curve_png_in_the_runs_folder_by_default(tmp_path):
    """Without --out the figure is RUNS_DIR/learning_curve.png (the option's help, the README)."""
    from click.testing import CliRunner

    from rlkit.plot import main

    make_run(tmp_path / "point-robot" / "exp" / "seed0", 0, [[-10, -20, -15], [-6, -16, -8]])
    result = CliRunner().invoke(main, [str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0 and (tmp_path / "learning_curve.png").is_file(), result.output


def test_a_figure_is_written_in_the_format_its_suffix_names_in_any_case(tmp_path):
    """atomic_savefig writes the format its path's suffix names, read in any case: `fig.PNG` is a PNG (not refused
    as a format matplotlib cannot write) and `fig.Pdf` a PDF (not matplotlib's default, PNG bytes under a .pdf
    name)."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    try:
        ax.plot([0, 1], [0, 1])
        atomic_savefig(fig, tmp_path / "fig.PNG")
        atomic_savefig(fig, tmp_path / "fig.Pdf")
    finally:
        plt.close(fig)
    assert (tmp_path / "fig.PNG").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "fig.Pdf").read_bytes()[:5] == b"%PDF-"


def _episodes(rewards_per_episode: list[list[float]]):
    """Trajectories of the given episodes (obs/actions of the walker's sizes, zeros: only the rewards matter)."""
    rewards = np.concatenate([np.asarray(r, np.float32) for r in rewards_per_episode])
    n = len(rewards)
    return Trajectories(
        np.zeros((n, 17), np.float32),
        np.zeros((n, 6), np.float32),
        rewards,
        np.zeros((n, 17), np.float32),
        np.zeros(n, np.float32),
        np.array([len(r) for r in rewards_per_episode], np.int64),
    )


def _sparse_walker_run(tmp_path: Path):
    """A sparse-walker-rand-params run of the tiny profile (tasks 0 | 1 split: held-out task 1) scored over 10-step
    meta-test episodes, and its data: each task's eval episodes of 20 steps at checkpoints 100 and 200, and task 1's
    body file holding task 0's body. Returns (run folder, its config, the env as the config builds it)."""
    data = tmp_path / "data"
    (spec,) = run_specs("sparse-walker-rand-params", "tiny", ["CSRO"], [0], tmp_path / "out", 1, None, data)
    cfg = load_config(spec.config, spec.profile_overrides, spec.overrides, {"algo_params": {"max_path_length": 10}})
    env = make_env(cfg.env_name, **cfg.env_params.kwargs())
    # task 1 (held out): checkpoint 100's steps alternate 0.2 and 1.8 (the sparse reward keeps 1.8, >= 0.5), checkpoint
    # 200's are 0.4 (sparse 0) for 10 steps, then 3.0; task 0 (trained on): every step 2.0
    ckpts = {
        1: {100: [[0.2, 1.8] * 10] * 2, 200: [[0.4] * 10 + [3.0] * 10] * 2},
        0: {100: [[2.0] * 20] * 2, 200: [[2.0] * 20] * 2},
    }
    for task, by_ckpt in ckpts.items():
        tdir = data / f"goal_idx{task}"
        tdir.mkdir(parents=True)
        write_task_meta(tdir, {"task_idx": task, "checkpoints": sorted(by_ckpt), "complete": True})
        for c, episodes in by_ckpt.items():
            write_checkpoint(tdir, c, {"eval": _episodes(episodes)})
    env.save_task(0, data / "goal_idx0" / "task_params.json")
    env.save_task(0, data / "goal_idx1" / "task_params.json")  # the data's task 1 is the config's task 0's body
    run = tmp_path / "run"
    run.mkdir()
    (run / "variant.json").write_text(json.dumps(dict(cfg.to_dict(), seed=0)))
    return run, cfg, env


def test_the_top_of_a_family_without_an_oracle_is_the_held_out_tasks_best_checkpoint_on_the_scored_reward(tmp_path):
    """data_reference's top is, per held-out task, the best checkpoint's mean deterministic-episode return, each episode
    summed over its first max_path_length steps on the reward the run scores (here the sparse one). By hand: held-out
    task 1's checkpoint 100 sums 5 x 1.8 = 9 over 10 steps (dense 10, 20 steps 18), checkpoint 200 sums 0 (dense 4, 20
    steps 30); the best is 9 (their mean 4.5; task 0's data 20)."""
    run, _, _ = _sparse_walker_run(tmp_path)
    ref = data_reference(run)
    assert ref.top == BEST_BEHAVIOUR
    assert ref.oracle == pytest.approx(9.0)


def test_the_top_of_a_family_without_an_oracle_averages_its_held_out_tasks_bests(tmp_path, monkeypatch):
    """With two held-out tasks the top is the mean of their bests, not the best of them: task 0's best checkpoint
    sums 10 x 2.0 = 20 over the 10 scored steps, task 1's 9 (above): 14.5, where the largest would be 20. (The test
    above holds one held-out task, where a mean and a max agree.) The bottom lines are means over the two tasks too:
    both hold task 0's body, so they are task 1's alone (a sum would double them)."""
    import rlkit.report as report

    run, _, _ = _sparse_walker_run(tmp_path)
    one = data_reference(run)
    monkeypatch.setattr(report, "train_eval_split", lambda cfg: ([0], [0, 1]))
    two = data_reference(run)
    assert two.oracle == pytest.approx(14.5)
    assert one.random != 0 and one.still != 0
    assert (two.random, two.still) == pytest.approx((one.random, one.still), rel=1e-9)


def test_the_top_of_a_family_without_an_oracle_is_read_where_the_data_is_now(tmp_path):
    """Data moved after the run (which resumes on the same data by content anywhere) is read where it is now when the
    caller says where (`rlkit.reproduce --data_dir`), not at the path the run's variant.json recorded."""
    run, _, _ = _sparse_walker_run(tmp_path)
    (tmp_path / "data").rename(tmp_path / "moved")
    with pytest.raises(UserError, match=r"data' not found"):
        data_reference(run)
    assert data_reference(run, tmp_path / "moved").oracle == pytest.approx(9.0)


def test_the_bottom_of_a_family_without_an_oracle_is_scored_on_the_bodies_the_data_was_written_with(tmp_path):
    """data_reference's uniform-random and zero-action returns are those of the held-out task as the data describes it
    (a parameter family's bodies come from the dataset's task files, `restore_dataset_tasks`), over the run's 10-step
    meta-test episodes on its sparse reward, the random one over max(10, 4000 // 50) = 80 episodes. Task 1's file here
    holds task 0's body: its references are task 0's of the config's env."""
    run, _, env = _sparse_walker_run(tmp_path)
    ref = data_reference(run)
    sparse = env.sparse_reward_fn()
    want_random = random_return(env, 0, episodes=80, reward_fn=sparse, horizon=10)
    want_still = zero_action_return(env, 0, reward_fn=sparse, horizon=10)
    assert ref.random == pytest.approx(want_random, rel=1e-9)
    assert ref.still == pytest.approx(want_still, rel=1e-9)


def test_runs_that_name_one_data_folder_by_different_spellings_are_one_experiment(tmp_path, monkeypatch):
    """A run without dataset.json is placed by its data_dir resolved, not by how the path was spelt:
    "./offline_dataset/x", "offline_dataset/x" and its absolute path (from where the report runs) are one folder, so the
    three seeds are one experiment; another folder is another."""
    monkeypatch.chdir(tmp_path)
    for seed, data_dir in enumerate(
        ["./offline_dataset/x", "offline_dataset/x", str(tmp_path / "offline_dataset" / "x")]
    ):
        make_run(tmp_path / "a" / f"seed{seed}", seed, [[-4, -14, -6]], data_dir=data_dir)
    make_run(tmp_path / "b" / "seed0", 0, [[-4, -14, -6]], data_dir="./offline_dataset/y")
    groups = group_runs(find_runs(tmp_path))
    assert [[r.relative_to(tmp_path).as_posix() for r in g] for g in groups] == [
        ["a/seed0", "a/seed1", "a/seed2"],
        ["b/seed0"],
    ]


def test_the_references_are_the_held_out_tasks_own_returns_over_the_runs_meta_test_episodes(tmp_path):
    """The tiny config (6 tasks, 4 + 2, interpolated) holds out tasks 1 and 4 (gap int(4 / 2) + 1 = 3: 0 + 1, 3 + 1); a
    run scored over 5-step meta-test episodes (of the env's 20) is referenced by the mean over those two tasks of the
    oracle's, uniform random's and the zero action's returns, each over 5 steps, not over the training tasks or the
    env's whole episodes (the oracle is still on its way to the goal at step 5: its 5-step return is above its whole
    episode's)."""
    make_run(tmp_path / "r" / "seed0", 0, [[1, 0, 2]], max_path_length=5)
    run = tmp_path / "r" / "seed0"
    cfg = config_from_variant(read_variant(run))
    env = make_env(cfg.env_name, **cfg.env_params.kwargs())
    held_out = [1, 4]
    ref = reference_returns(run)
    assert ref.oracle == pytest.approx(np.mean([oracle_return(env, t, horizon=5) for t in held_out]), rel=1e-12)
    assert ref.random == pytest.approx(np.mean([random_return(env, t, horizon=5) for t in held_out]), rel=1e-12)
    assert ref.still == pytest.approx(np.mean([zero_action_return(env, t, horizon=5) for t in held_out]), rel=1e-12)
    assert ref.oracle > np.mean([oracle_return(env, t) for t in held_out])  # (the horizon matters here)


def _seeds_file(tmp_path, **changes) -> Path:

    doc = json.loads(json.dumps(SEEDS))
    for key, value in changes.items():
        if key.startswith("bar_"):
            doc["bar"][key[4:]] = value
        else:
            doc[key] = value
    path = tmp_path / "seeds.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    "changes",
    [
        {"bar_protocol": "Np"},  # (not a protocol's name: against_lines would look it up in every seed)
        {"seeds": {}},  # (no seeds: no spread to hold a run to)
    ],
)
def test_read_spread_refuses_a_bar_of_no_protocol_or_a_file_of_no_seeds(tmp_path, changes):
    """A seeds file whose bar names no protocol of the report, or that holds no seeds, is the one-line error naming
    the file's expected form, not a KeyError or numpy's "zero-size array" traceback later."""
    with pytest.raises(UserError, match=r"seeds.json': expected a JSON file of reference seeds \(seeds, last, bar"):
        read_spread(_seeds_file(tmp_path, **changes))


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_read_spread_refuses_a_bar_that_is_not_a_finite_number(tmp_path, value):
    """json reads NaN and Infinity; a bar of nan is met by no score (every run "below the per-seed bar") and one of inf
    likewise: refused as not a number."""
    with pytest.raises(UserError, match=r"bar.each_at_least (nan|inf): expected a number, the normalised score"):
        read_spread(_seeds_file(tmp_path, bar_each_at_least=value))


def test_a_run_older_than_config_file_is_taken_to_be_of_the_seeds_config(tmp_path):
    """A run whose variant.json predates util_params.config_file (no record of the file it was configured from) is
    taken to be of the seeds' config, as check_against's docstring says, and held to them."""
    make_run(tmp_path / "old" / "seed0", 0, [[-5, -15, -6]])
    path = tmp_path / "old" / "seed0" / "variant.json"
    variant = json.loads(path.read_text())
    del variant["util_params"]["config_file"]
    path.write_text(json.dumps(variant))
    check_against(group_runs(find_runs(tmp_path)), SEEDS, "seeds.json")  # no error
    make_run(tmp_path / "other" / "seed0", 0, [[-5, -15, -6]], {"config_file": "configs/point-robot.json"})
    with pytest.raises(UserError, match=r"expected runs of that config, .*configured from 'configs/point-robot.json'"):
        check_against([find_runs(tmp_path / "other")], SEEDS, "seeds.json")


def test_each_protocols_line_against_the_seeds_gives_that_protocols_spread(tmp_path):
    """The line of each protocol sets the run's score beside the seeds' scores of that protocol. On the 0 .. -20 scale
    the seeds' offline returns -5, -3 score 0.75, 0.85; online -15, -13: 0.25, 0.35; Np -6, -10: 0.7, 0.5."""
    spread = {
        "seeds": {
            "0": {"offline context": -5, "online prior context": -15, "non-prior context (Np)": -6},
            "1": {"offline context": -3, "online prior context": -13, "non-prior context (Np)": -10},
        },
        "last": 1,
        "config": "configs/test/point-robot-tiny.json",
        "bar": {"protocol": "non-prior context (Np)", "mean_at_least": 0.8, "each_at_least": 0.7},
    }
    table = pd.DataFrame([{"offline context": -4.0, "online prior context": -14.0, "non-prior context (Np)": -8.0}])
    lines = against_lines(table, Reference(0.0, -20.0), spread)
    assert [line.split("reference seeds ")[1] for line in lines[1:4]] == [
        "0.750 .. 0.850 (mean 0.800); this run 0.800",
        "0.250 .. 0.350 (mean 0.300); this run 0.300",
        "0.500 .. 0.700 (mean 0.600); this run 0.600",
    ]


def _invoke_report(args: list[str], monkeypatch):

    monkeypatch.setattr(rlkit.stats, "iqm_interval", functools.partial(rlkit.stats.iqm_interval, reps=200))  # (fast)
    return CliRunner().invoke(main, args)


def test_the_report_flags_every_collapsed_run_not_only_the_first(tmp_path, monkeypatch):
    """The command prints the collapse warning of each run of an experiment whose three protocols return one value
    at its last iteration: seed 1 here (seed 0 is an ordinary run)."""
    make_run(tmp_path / "exp" / "seed0", 0, [[-4, -14, -6]])
    make_run(tmp_path / "exp" / "seed1", 1, [[-8, -8, -8]])
    monkeypatch.setattr(rlkit.report, "reference_returns", lambda run: None)  # (fast: no references, no IQM)
    result = _invoke_report([str(tmp_path)], monkeypatch)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "seed1: the three protocols return the same value (-8.00)" in warnings[0]


def test_against_seeds_of_another_config_is_refused_before_anything_is_printed(tmp_path, monkeypatch):
    """`--against` first checks every run can be held to the seeds (`check_against`): runs of the tiny config against
    seeds of configs/point-robot.json are refused, and no table is printed."""
    make_run(tmp_path / "runs" / "exp" / "seed0", 0, [[-4, -14, -6]])
    seeds = _seeds_file(tmp_path, config="configs/point-robot.json")
    result = _invoke_report([str(tmp_path / "runs"), "--against", str(seeds)], monkeypatch)
    assert isinstance(result.exception, UserError), result.output
    assert "holds seeds of 'configs/point-robot.json': expected runs of that config" in str(result.exception)
    assert result.output == ""


@pytest.mark.parametrize("damage", ["no task.json", "no eval episodes"])
def test_a_held_out_task_without_eval_episodes_is_one_line_for_the_data_reference(tmp_path, damage):
    """A held-out task whose folder lost its task.json (np.nanmax of no checkpoint: numpy's zero-size ValueError as
    a traceback) or whose listed checkpoints hold no eval episodes (a top of nan, then a misleading "expected the
    top above random") is one line naming the task and what the reference needs."""
    run, cfg, _ = _sparse_walker_run(tmp_path)
    held_out = tmp_path / "data" / "goal_idx1"
    if damage == "no task.json":
        (held_out / "task.json").unlink()
    else:
        for c in (100, 200):
            write_checkpoint(held_out, c, {"sample": _episodes([[1.0] * 20])})
    with pytest.raises(UserError, match=r"^task 1 in '.*data' has no deterministic \(eval\) episodes at a checkpoint"):
        data_reference(run)


def test_a_group_of_exactly_three_config_differences_names_them_all_and_no_more(tmp_path):
    """Each experiment is its runs' count and the folders holding them (a seed's folder's parent); one set apart from
    the first by exactly `shown` (3) settings lists the three, with no ", and 0 more"; a fourth is counted, not
    listed."""
    make_run(tmp_path / "a" / "seed0", 0, [[-4, -14, -6]])
    make_run(tmp_path / "b" / "seed0", 0, [[-4, -14, -6]], discount=0.5, n_trj=2, reward_scale=5.0)
    make_run(tmp_path / "c" / "seed0", 0, [[-4, -14, -6]], discount=0.5, n_trj=2, reward_scale=5.0, snapshot_gap=2)
    parts = describe_groups(group_runs(find_runs(tmp_path))).split("; ")
    assert parts[0] == f"1 run(s) in [{str(tmp_path / 'a')!r}]", parts
    assert parts[1].endswith(
        "(against the first: algo_params.discount: 0.9 -> 0.5, algo_params.n_trj: 3 -> 2, "
        "algo_params.reward_scale: 100.0 -> 5.0)"
    ), parts
    assert parts[2].endswith("algo_params.reward_scale: 100.0 -> 5.0, and 1 more)"), parts


def test_the_iqm_lines_of_four_runs_or_fewer_say_the_interval_is_their_range(monkeypatch):
    """Up to four runs the percentile interval is the runs' range (`test_the_bootstrap_of_four_runs_is_their_range`):
    the lines say so, and what the IQM is (three: their mean; four: the mean of the middle two); five runs get a 95%
    interval and no such line."""
    from rlkit.report import iqm_lines

    # (fast: the lines are read here, not the bootstrap's bounds)
    monkeypatch.setattr(rlkit.stats, "iqm_interval", lambda s: (float(np.mean(s)), float(np.min(s)), float(np.max(s))))

    def lines(returns):
        return iqm_lines(
            pd.DataFrame(dict.fromkeys(PROTOCOLS, returns) | {"train steps": [30] * len(returns)}),
            Reference(0.0, -20.0),
        )

    three = lines([-4.0, -8.0, -14.0])
    assert len(three) == 4 and three[3].startswith("(over 3 runs the IQM is their mean and the interval their range")
    four = lines([-4.0, -8.0, -14.0, -10.0])
    assert len(four) == 4 and four[3] == (
        "(over 4 runs the IQM is the mean of the middle two and the interval their range, not a 95% interval: "
        "5 runs or more for one)"
    )
    assert len(lines([-4.0, -8.0, -14.0, -10.0, -6.0])) == 3


def test_the_bootstrap_of_four_runs_is_their_range_and_of_five_is_not():
    """What `iqm_lines` says, on rliable's own bootstrap: of 4 runs, a resample drawing the lowest 3 or 4 times has
    the lowest as its IQM (the mean of the middle two), with probability 13/256 > 2.5%, so the interval is the range;
    of 5 runs that probability is 21/3125 < 2.5% and the interval lies inside the range."""
    from rlkit.stats import iqm_interval

    four = np.array([0.9, 0.8, 0.7, 0.4])
    assert iqm_interval(four)[1:] == pytest.approx((0.4, 0.9))
    five = np.array([0.9, 0.8, 0.7, 0.4, 0.1])
    _, lo, hi = iqm_interval(five)
    assert 0.1 < lo and hi < 0.9, (lo, hi)


def test_runs_scored_otherwise_than_the_seeds_are_refused_from_any_working_folder(tmp_path, monkeypatch):
    """A seeds file names its config relative to the repository: `--against` run from another folder reads that
    config from the repository still, and refuses a run of shorter meta-test episodes than the seeds'. A seeds
    file naming it by its absolute path is held to it alike."""
    from rlkit.report import check_against

    make_run(tmp_path / "short" / "seed0", 0, [[-5, -15, -6]], max_path_length=10)
    monkeypatch.chdir(tmp_path)
    for config in (SEEDS["config"], str(ROOT / SEEDS["config"])):
        with pytest.raises(UserError, match=r"has algo_params.max_path_length 10: expected the seeds' 20"):
            check_against([find_runs(tmp_path / "short")], dict(SEEDS, config=config), "seeds.json")


def test_runs_exactly_at_the_bars_are_not_called_below_them():
    """The bar is "every seed >= each_at_least and the mean >= mean_at_least", both included: on the 0 .. -20 scale
    one run at -6 scores exactly 0.7 (each_at_least), two at -4 score exactly 0.8 (mean_at_least); neither is below."""
    ref = Reference(oracle=0.0, random=-20.0)
    one = against_lines(pd.DataFrame([dict.fromkeys(PROTOCOLS, -6.0)]), ref, TWO_SEEDS)[-1]
    assert one.endswith("this run is inside their spread"), one
    two = against_lines(pd.DataFrame(dict.fromkeys(PROTOCOLS, [-4.0, -4.0])), ref, TWO_SEEDS)[-1]
    assert two.endswith("this run is outside their spread"), two


def test_last_zero_is_refused_before_any_run_is_read(tmp_path):
    """`--last 0` would average no rows (a table of nan): one line naming it, before the folder is even looked at."""
    result = CliRunner().invoke(main, [str(tmp_path / "not-there"), "--last", "0"])
    assert isinstance(result.exception, UserError), result.output
    assert str(result.exception) == "--last 0: expected at least 1 iteration"


def test_two_experiments_are_announced_and_numbered_from_one(tmp_path, monkeypatch):
    """Runs of two configs: the command says there are two experiments, then heads each table "== experiment 1" and
    "== experiment 2", in the order the runs were found."""
    make_run(tmp_path / "a" / "seed0", 0, [[-4, -14, -6]])
    make_run(tmp_path / "b" / "seed0", 0, [[-8, -12, -10]], discount=0.5)
    monkeypatch.setattr(rlkit.report, "reference_returns", lambda run: None)  # (fast: no references, no IQM)
    result = _invoke_report([str(tmp_path)], monkeypatch)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("2 experiments with different configs, reported separately: 1 run(s) in"), lines[0]
    heads = [line.split(": ")[0] for line in lines if line.startswith("== experiment")]
    assert heads == ["== experiment 1", "== experiment 2"], heads


def test_read_spread_refuses_a_config_that_is_not_a_string(tmp_path):
    """`"config": 5` (or a list of files) is the one-line error saying the form expected, not a TypeError traceback
    when the config is compared with the runs'."""
    with pytest.raises(UserError, match=r"seeds.json': expected a JSON file of reference seeds .*config a string\)"):
        read_spread(_seeds_file(tmp_path, config=5))


def test_the_line_against_three_seeds_gives_their_mean(tmp_path):
    """Each protocol's line gives the seeds' worst, best and mean score: seeds of returns -5, -4 and -1 on the
    0 .. -20 scale score 0.75, 0.8 and 0.95, mean 0.833 (their median 0.8)."""
    seeds = {str(i): dict.fromkeys(PROTOCOLS, r) for i, r in enumerate((-5.0, -4.0, -1.0))}
    table = pd.DataFrame([dict.fromkeys(PROTOCOLS, -4.0)])
    lines = against_lines(table, Reference(0.0, -20.0), dict(SEEDS, seeds=seeds))
    assert lines[1].split("reference seeds ")[1] == "0.750 .. 0.950 (mean 0.833); this run 0.800"
    assert "the reference seeds: worst 0.750, mean 0.833; this run is inside their spread" in lines[-1]
