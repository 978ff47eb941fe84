"""`python -m rlkit.reproduce`: the tiny profile end to end, resumption, and bad input."""

import contextlib
import copy
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

import rlkit.budget
import rlkit.experiment
import rlkit.reproduce.plan as plan
import rlkit.torch.flops
from rlkit.errors import DivergedError, UserError
from rlkit.logging import RETURN_COLUMNS, TRAIN_STEPS
from rlkit.report import Reference, read_spread
from rlkit.reproduce import document, tables
from rlkit.reproduce.__main__ import train_all
from rlkit.reproduce.plan import (
    ENVS,
    METHOD_SETTINGS,
    budget_lines,
    iterations_of,
    profile,
    profiles,
    run_specs,
)
from rlkit.reproduce.tables import (
    STILL,
    ablation,
    ablation_markdown,
    final_table,
    load_runs,
    table1_markdown,
    table2_markdown,
)
from tests.conftest import ROOT, TINY_CONFIG, load_file, python_path, run_cli, run_here

METHODS = ("CSRO", "FOCAL")


@pytest.fixture(scope="module")
def reproduced(tiny_data, tmp_path_factory):
    work = tmp_path_factory.mktemp("reproduce")
    args = [
        "-m",
        "rlkit.reproduce",
        "point-robot",
        "--profile",
        "tiny",
        "--seeds",
        "0,1",
        "--methods",
        ",".join(METHODS),
        "--data_dir",
        str(tiny_data),
        "--out",
        str(work / "out"),
        "--results",
        str(work / "results"),
    ]
    first = run_cli(args, cwd=work)
    return work, args, first


def progress_frames(seeds: list) -> list[pd.DataFrame]:
    """One progress.csv frame per seed from its (offline, online-prior, Np) returns: a tuple (one row) or a list of
    tuples (one row each, 10 train steps apart)."""
    from rlkit.logging import RETURN_COLUMNS, TRAIN_STEPS

    out = []
    for rows in seeds:
        rows = [rows] if isinstance(rows, tuple) else rows
        cols = {RETURN_COLUMNS[k]: [float(r[j]) for r in rows] for j, k in enumerate(("offline", "online", "np"))}
        out.append(pd.DataFrame({TRAIN_STEPS: [10 * (i + 1) for i in range(len(rows))], **cols}))
    return out


@pytest.fixture
def fast_intervals(monkeypatch):
    """The report's tables with 200 bootstrap draws instead of 5,000 (rliable's bootstrap takes about 1.8 s a row):
    for the tests of the tables' form and prose below, which assert no interval's bounds."""
    import functools

    from rlkit.reproduce import tables
    from rlkit.stats import iqm_interval

    monkeypatch.setattr(tables, "iqm_interval", functools.partial(iqm_interval, reps=200))


def _table_rows(md: str, header: str) -> list[list[str]]:
    block = md.split(header, 1)[1].split("\n\n", 2)[1]
    return [[c.strip() for c in line.strip("|").split("|")] for line in block.splitlines()[2:]]


@pytest.mark.slow
def test_report_structure_and_numbers_come_from_the_runs(reproduced):
    work, _, first = reproduced
    assert "4 runs: 0 finished, 0 to resume, 4 new" in first.stdout
    timed = "where no step is timed" if torch.cuda.is_available() else "steps timed here on "  # the runs' device
    assert "training budget per run" in first.stdout and timed in first.stdout
    md = (work / "results" / "point-robot-tiny.md").read_text()
    for section in (
        "## Table 1: context shift",
        "## Fig. 3: learning curves",
        "## Table 2: each baseline with its own protocol and with Np collection",
        "## Fig. 4: ablation",
        "## Per-seed final returns",
    ):
        assert section in md
    for png in ("point-robot-tiny-curves.png", "point-robot-tiny-ablation.png"):
        assert (work / "results" / png).stat().st_size > 5000 and f"]({png})" in md
    col = {
        "offline context": "Average_OfflineReturn_all_test_tasks",
        "online, prior context": "Average_OnlineReturn_all_test_tasks",
        "online, non-prior (Np)": "Average_NpOnlineReturn_all_test_tasks",
    }
    rows = _table_rows(md, "## Per-seed final returns")
    assert len(rows) == 6
    for method, protocol, *per_seed in rows:
        for seed, cell in enumerate(per_seed):
            df = pd.read_csv(work / "out" / "point-robot" / f"tiny-{method}" / f"seed{seed}" / "progress.csv")
            assert float(cell) == pytest.approx(df[col[protocol]].iloc[-1], abs=0.006)  # last 1 iteration (tiny)
    table1 = _table_rows(md, "## Table 1: context shift")
    assert [r[0] for r in table1[:6]] == ["CSRO"] * 3 + ["FOCAL"] * 3
    mean_std = re.match(r"(-?[\d.]+) ± ([\d.]+)", table1[0][2])
    finals = [float(c) for c in rows[0][2:]]
    assert float(mean_std[1]) == pytest.approx(np.mean(finals), abs=0.006)
    assert float(mean_std[2]) == pytest.approx(np.std(finals, ddof=1), abs=0.006)
    assert len(_table_rows(md, "## Fig. 4: ablation")) == 4
    table2 = _table_rows(md, "## Table 2: each baseline with its own protocol and with Np collection")
    mean_of = {(r[0], r[1]): r[2].split(" ±")[0] for r in table1}  # Table 1's mean returns
    assert [r[0] for r in table2] == ["FOCAL"]
    assert [c.split(" (")[0] for c in table2[0][1:]] == [
        mean_of["FOCAL", "online, prior context"],
        mean_of["FOCAL", "online, non-prior (Np)"],
        mean_of["CSRO", "online, non-prior (Np)"],
    ]
    assert "paper" in md.split("## Fig. 3")[0] and "ordering" in md


@pytest.mark.slow
def test_rerun_skips_finished_runs(reproduced):
    work, args, _ = reproduced
    again = run_cli(args, cwd=work)
    assert "4 runs: 4 finished, 0 to resume, 0 new" in again.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "flag,value,message",
    [
        (
            "--methods",
            "CSRO,PEARL",
            "--methods 'CSRO,PEARL': 'PEARL' is unknown; expected comma-separated names from "
            "['CSRO', 'FOCAL', 'FOCAL_REPLACE', 'OFFPEARL', 'CORRO', 'UNICORN_SS', 'UNICORN_SUP', 'BOREL', "
            "'CORRO_STD']",
        ),
        ("--profile", "huge", "unknown profile 'huge' for point-robot: expected one of ['demo', 'paper', 'tiny']"),
        ("--seeds", ",", "--seeds ',': the list is empty; expected comma-separated integers from 0 to 4294967295"),
        ("--seeds", "0,,1", "--seeds '0,,1': entry 2 is empty; expected comma-separated integers from 0 to"),
        ("--seeds", "0,-1", "--seeds '0,-1': -1 is below 0"),
        ("--seeds", "0,4294967296", "--seeds '0,4294967296': 4294967296 is above 4294967295"),
        ("--methods", "CSRO,", "--methods 'CSRO,': entry 2 is empty; expected comma-separated names from"),
    ],
)
def test_bad_input_is_one_line(tmp_path, flag, value, message):
    given = {"--profile": "tiny", "--out": str(tmp_path), flag: value}  # (an option given twice is refused)
    proc = run_here(
        ["-m", "rlkit.reproduce", "point-robot", *[x for kv in given.items() for x in kv]], cwd=tmp_path, check=False
    )
    assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_folder_of_another_config_is_refused_and_kept(reproduced, tmp_path):
    work, args, _ = reproduced
    run = work / "out" / "point-robot" / "tiny-CSRO" / "seed1"
    variant = json.loads((run / "variant.json").read_text())
    variant["algo_params"]["discount"] = 0.5
    (run / "variant.json").write_text(json.dumps(variant))
    before = (run / "progress.csv").read_bytes()
    try:
        proc = run_cli(args, cwd=work, check=False)
        assert (
            proc.returncode == 2 and "holds a run of another config (algo_params.discount: 0.5 -> 0.9)" in proc.stderr
        )
        assert len(proc.stderr.strip().splitlines()) == 1
        assert (run / "progress.csv").read_bytes() == before
        # a report of the finished runs reads it as it was made, and says so
        results = tmp_path / "results"
        report_args = [*args[: args.index("--results")], "--results", str(results), "--report-only"]
        run_cli(report_args, cwd=work)
        text = (results / "point-robot-tiny.md").read_text()
        assert (
            "Runs of another config than this profile's today, read as they were made (as made -> today): CSRO seed 1 "
            "(algo_params.discount: 0.5 -> 0.9)." in text
        )
        assert "Runs of another config" not in (work / "results" / "point-robot-tiny.md").read_text()
        assert (run / "progress.csv").read_bytes() == before
    finally:
        variant["algo_params"]["discount"] = 0.9
        (run / "variant.json").write_text(json.dumps(variant))


def _state(pid: int) -> str | None:
    """The process's state letter from /proc (None: no such process); a zombie ('Z') has ended."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _pool_workers(parent: int) -> list[int]:
    """The multiprocessing workers (spawn_main) whose parent is `parent`."""
    out = []
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == parent and b"spawn_main" in (entry / "cmdline").read_bytes():
                out.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


@contextlib.contextmanager
def _reproduction_with_two_workers(tiny_data, tmp_path):
    """A tiny `--jobs 2` reproduction of 4 runs, once its two pool workers are seen at work (each run holding its
    lock): (the process, the workers' pids); on the way out whatever still runs of it is killed."""
    args = ["point-robot", "--profile", "tiny", "--seeds", "0,1", "--methods", "CSRO,FOCAL", "--jobs", "2"]
    args += ["--threads", "1", "--data_dir", str(tiny_data), "--out", str(tmp_path / "out")]
    # Ctrl-C's default for the reproduction, as a command typed at a terminal has it: a test run started in the
    # background of a shell without job control (`pytest ... &` in a script, some CI runners) inherits SIGINT ignored,
    # and so would the reproduction, which then trained on through the SIGINT of the test below and exited 0. (A
    # handler of this process's is reset to the default at exec; an ignored signal stays ignored.)
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rlkit.reproduce", *args, "--results", str(tmp_path / "results")],
            cwd=tmp_path,
            env=dict(os.environ, PYTHONPATH=python_path()),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    workers: list[int] = []
    try:
        deadline = time.time() + 300  # (120 s was too short on 2 cores shared with two other pytest processes)
        while len(workers) < 2 and time.time() < deadline and proc.poll() is None:
            workers = _pool_workers(proc.pid)
            time.sleep(0.05)
        assert len(workers) == 2, f"the two pool workers were not seen (the reproduction's exit status: {proc.poll()})"
        locks = 0
        while locks < 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)  # let them get to work: each run has taken its folder's lock
            locks = len(list((tmp_path / "out").rglob(".lock")))
        assert locks == 2, f"the two runs were not seen at work (the reproduction's exit status: {proc.poll()})"
        yield proc, workers
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in workers:  # only the workers of this test, should they still run
            if _state(w) not in (None, "Z"):
                os.kill(w, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_workers_die_with_their_parent(tiny_data, tmp_path):
    """SIGKILL gives `--jobs 2` no chance to stop its workers: they must end by themselves, not go on
    training the queued runs with parent 1."""
    with _reproduction_with_two_workers(tiny_data, tmp_path) as (proc, workers):
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 30
        while any(_state(w) not in (None, "Z") for w in workers) and time.time() < deadline:
            time.sleep(0.1)
        assert all(_state(w) in (None, "Z") for w in workers), f"workers {workers} outlived their parent"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize(
    "signum, code, line",
    [
        (signal.SIGINT, 130, "interrupted (every file is written whole; a training command resumes when rerun)"),
        (
            signal.SIGTERM,
            143,
            "terminated (SIGTERM; every file is written whole; a training command resumes when rerun)",
        ),
    ],
)
def test_ctrl_c_or_sigterm_stops_a_reproduction_of_several_jobs_at_once(tiny_data, tmp_path, signum, code, line):
    """SIGINT reached every worker, each sent it back as its run's result, and the pool started and finished one
    more whole run before the driver exited: the workers now leave Ctrl-C to the driver, which cancels the queued
    runs and ends the running ones (they resume from their latest snapshots). SIGTERM (a cluster's preemption) ends
    the command alike. The running runs unwind: their locks are released (killed, they left them behind, and a
    requeued job on another host was refused)."""
    with _reproduction_with_two_workers(tiny_data, tmp_path) as (proc, workers):
        runs = tmp_path / "out" / "point-robot"
        begun = set(runs.glob("tiny-*/seed*"))  # (seed 0's two, or one of them done and a seed-1 run begun)
        proc.send_signal(signum)
        t0 = time.time()
        _, err = proc.communicate(timeout=60)
        assert time.time() - t0 < 20 and proc.returncode == code, err
        # (the workers may warn on the same stderr; no traceback from any of them)
        assert err.strip().splitlines()[-1] == line
        assert "Traceback" not in err, err
        assert not list((tmp_path / "out").rglob(".lock")), "a worker's run lock was left behind"
        assert all(_state(w) in (None, "Z") for w in workers), f"workers {workers} outlived the interrupt"
        assert not (tmp_path / "results" / "point-robot-tiny.md").exists()
        # the queued runs never started: no run folder but those begun before the signal (a tiny run can end before
        # the other worker's begins, so which runs were under way is not fixed)
        assert set(runs.glob("tiny-*/seed*")) <= begun, err
        assert len(begun) < 4, "every run had begun: nothing was queued"


def test_each_method_is_an_algo_type_with_its_overrides(tmp_path):
    """A method names its algo_type and settings: FOCAL_REPLACE is FOCAL sampling tasks with replacement, in a
    folder of its own; the like-for-like FOCAL keeps the CSRO reference's sampling."""
    from rlkit.reproduce.plan import METHODS, run_specs

    specs = {
        s.method: s for s in run_specs("point-robot", "tiny", list(METHODS), [0], tmp_path, 1, None, tmp_path / "data")
    }
    cfgs = {m: s.load_config() for m, s in specs.items()}
    assert cfgs["FOCAL_REPLACE"].algo_type == "FOCAL" and cfgs["FOCAL_REPLACE"].algo_params.mb_replace
    assert cfgs["FOCAL"].algo_type == "FOCAL" and not cfgs["FOCAL"].algo_params.mb_replace
    assert all(c.algo_params.data_dir == str(tmp_path / "data") for c in cfgs.values())
    assert (
        specs["FOCAL_REPLACE"].out_dir.name == "seed0"
        and specs["FOCAL_REPLACE"].out_dir.parent.name == "tiny-FOCAL_REPLACE"
    )
    assert cfgs["CORRO_STD"].algo_type == "CORRO" and cfgs["CORRO_STD"].algo_params.corro_standardize
    assert not cfgs["CORRO"].algo_params.corro_standardize


def test_each_results_profile_averages_the_window_its_committed_report_states():
    """A profile's final_iterations is the "last N iteration(s)" that its committed report (docs/results/ENV-PROFILE.md)
    states, and `paper` averages the same last 3 as those profiles (its report is read beside theirs). Only the demo
    profile's window was pinned before (to its seeds file's), so cheetah-vel's or ant-goal's `cpu` window, or
    `paper`'s, could change without a test failing, and a rerun's report average other rows than the committed one."""
    from rlkit.reproduce.plan import profiles

    stated = {}
    for path in sorted((ROOT / "docs" / "results").glob("*.md")):
        made = re.search(r"^Made by `python -m rlkit\.reproduce (\S+) --profile (\S+) ", path.read_text(), re.M)
        if made:
            window = re.search(r"mean of its last (\d+) iteration\(s\)", path.read_text())
            stated[made.groups()] = int(window.group(1))
    assert set(stated) == {("point-robot", "demo"), ("cheetah-vel", "cpu"), ("ant-goal", "cpu")}
    for (env, name), window in stated.items():
        assert profiles(env)[name].final_iterations == window, (env, name)
    assert {profiles(env)["paper"].final_iterations for env in ENVS} == {3}


def test_the_default_methods_leave_out_the_opt_in_variant():
    """`--methods` defaults to every method but CORRO_STD, which steps away from CORRO's code and runs when named."""
    from rlkit.reproduce.plan import DEFAULT_METHODS, METHODS

    assert DEFAULT_METHODS == tuple(m for m in METHODS if m != "CORRO_STD") and "CORRO_STD" in METHODS


def test_table1_lists_the_methods_in_the_order_they_were_given(fast_intervals):
    """Table 1's rows follow the methods' order (--methods', as the per-seed table and the paragraphs do), not their
    names' alphabetical order: FOCAL given before CSRO is listed first."""
    from rlkit.report import Reference
    from rlkit.reproduce.tables import final_table, table1_markdown

    runs = {"FOCAL": progress_frames([(-5, -15, -12), (-5, -13, -14)]), "CSRO": progress_frames([(-5, -9, -6)] * 2)}
    ref = Reference(oracle=-4.0, random=-20.0)
    rows = [line.split(" | ")[0] for line in table1_markdown(final_table(runs, 1, ref), ref)[2:8]]
    assert rows == ["| FOCAL"] * 3 + ["| CSRO"] * 3


def test_table2_sets_each_baseline_with_its_own_protocol_beside_np_and_csro(fast_intervals):
    """Table 2's form from known finals: a baseline's online-prior and Np returns beside CSRO's Np return."""
    from rlkit.report import Reference
    from rlkit.reproduce.tables import final_table, table2_markdown

    runs = {
        "CSRO": progress_frames([(-5, -9, -6), (-5, -9, -8)]),
        "FOCAL": progress_frames([(-5, -15, -12), (-5, -13, -14)]),
    }
    table = final_table(runs, 1, Reference(oracle=-4.0, random=-20.0))
    lines = table2_markdown(table)
    assert lines[2].startswith("| FOCAL | -14.00 (") and "| -13.00 (" in lines[2] and lines[2].count("| -7.00 (") == 1
    assert len(lines) == 3 and table2_markdown(final_table({"CSRO": runs["CSRO"]}, 1, Reference(-4.0, -20.0))) is None


@pytest.mark.slow
def test_a_mujoco_family_end_to_end_with_the_data_as_the_top_of_the_score(tmp_path):
    """The same command on a family without an oracle (cheetah-vel's tiny profile, seconds): the report's top
    reference is the best behaviour checkpoint of the held-out task's data, and its numbers are the runs'. BOREL
    runs too: the profile's sizes reach it only where it reads them."""
    from rlkit.behaviour.curves import behaviour_returns

    methods = "CSRO,FOCAL,BOREL"
    args = ["-m", "rlkit.reproduce", "cheetah-vel", "--profile", "tiny", "--seeds", "0", "--methods", methods]
    args += ["--out", str(tmp_path / "out"), "--results", str(tmp_path / "results")]
    proc = run_cli(args, cwd=tmp_path)
    assert "3 runs: 0 finished, 0 to resume, 3 new" in proc.stdout
    md = (tmp_path / "results" / "cheetah-vel-tiny.md").read_text()
    assert (
        md.startswith("# cheetah-vel, tiny profile")
        and (tmp_path / "results" / "cheetah-vel-tiny-curves.png").is_file()
    )
    # tiny split: task 0 trains, task 1 is held out; its best checkpoint's deterministic return is the top
    data = behaviour_returns(tmp_path / "offline_dataset" / "cheetah-vel-tiny")
    top = data[data.task == 1].deterministic_return.max()
    row = next(r for r in _table_rows(md, "## Table 1: context shift") if r[0].startswith("best behaviour"))
    assert float(row[2]) == pytest.approx(top, abs=0.006) and row[3] == "1"
    rows = {(r[0], r[1]): r for r in _table_rows(md, "## Per-seed final returns")}
    df = pd.read_csv(tmp_path / "out" / "cheetah-vel" / "tiny-FOCAL" / "seed0" / "progress.csv")
    from rlkit.logging import PROTOCOL_BY_KEY, RETURN_COLUMNS

    for key, col in RETURN_COLUMNS.items():
        assert float(rows[("FOCAL", PROTOCOL_BY_KEY[key].label)][2]) == pytest.approx(df[col].iloc[-1], abs=0.006)
    assert any(method == "BOREL" for method, _ in rows)


@pytest.mark.slow
@pytest.mark.parametrize(
    "env,profile,message",
    [
        ("cheetah-vel", "demo", "unknown profile 'demo' for cheetah-vel: expected one of ['cpu', 'paper', 'tiny']"),
        ("cheetah-slow", "tiny", "unknown env 'cheetah-slow': expected one of ['point-robot', 'sparse-point-robot'"),
    ],
)
def test_unknown_env_or_profile_lists_the_valid_ones(tmp_path, env, profile, message):
    proc = run_here(
        ["-m", "rlkit.reproduce", env, "--profile", profile, "--out", str(tmp_path)], cwd=tmp_path, check=False
    )
    assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_empty_options_and_unwritable_folders_are_refused_before_anything_runs(tmp_path, capsys, monkeypatch):
    """--profile '' trained the default profile; --results naming a file failed only after every run had
    trained (the report is written last). A check gone fails at once here, not after timing the steps and
    a demo's stage 1."""
    from rlkit.cli import run_cli as run_in_process
    from rlkit.reproduce.__main__ import main

    monkeypatch.setattr("rlkit.reproduce.__main__.budget_lines", lambda *a, **k: pytest.fail("ran past the checks"))
    (tmp_path / "f").write_text("x")
    for args, said in [
        (["--profile", ""], "--profile '': expected a name or path; leave the option out for its default"),
        (["--data_dir", " "], "--data_dir ' ': expected a name or path; leave the option out"),
        (["--results", str(tmp_path / "f")], "f' is a file: expected a folder (or a path where one can be made)"),
        (["--results", str(tmp_path / "f" / "r")], "/r' is under '"),
        (["--out", str(tmp_path / "f" / "o")], "/o' is under '"),
    ]:
        out = [] if "--out" in args else ["--out", str(tmp_path / "runs")]
        with pytest.raises(SystemExit) as exit_:
            run_in_process(main, ["point-robot", *out, *args])
        err = capsys.readouterr().err.strip().splitlines()
        assert exit_.value.code == 2 and len(err) == 1 and said in err[0], (args, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_every_shipped_config_is_an_env_of_the_reproduction():
    """An env is data: each configs/*.json is one entry of the table, with its paper and tiny profiles."""
    from rlkit.reproduce.plan import ENV_CONFIGS, profiles

    shipped = {json.loads(p.read_text())["env_name"]: f"configs/{p.name}" for p in (ROOT / "configs").glob("*.json")}
    assert shipped == ENV_CONFIGS, "each configs/*.json is one entry of rlkit.reproduce.plan.ENV_CONFIGS"
    for env in ENV_CONFIGS:
        table = profiles(env)
        assert {"paper", "tiny"} <= set(table) and table["paper"].config == ENV_CONFIGS[env]


def test_every_method_loads_at_every_profile_with_only_its_own_keys(tmp_path):
    """A profile sizes every method at once: each method's config takes the profile's sizes it reads and none it
    does not (BOREL keeps its own latent size and context batch under the tiny overrides; CORRO gets the shrunk
    CVAE stage and BOREL the shrunk VAE stage, neither the other's), so `--methods` with any of them loads."""
    from rlkit.reproduce.plan import ENV_CONFIGS, METHODS, profiles, run_specs

    for env in ENV_CONFIGS:
        for name in profiles(env):
            cfgs = {
                s.method: s.load_config() for s in run_specs(env, name, list(METHODS), [0], tmp_path, 1, None, None)
            }
            assert set(cfgs) == set(METHODS)
    cfgs = {
        s.method: s.load_config() for s in run_specs("cheetah-vel", "tiny", list(METHODS), [0], tmp_path, 1, None, None)
    }
    assert cfgs["BOREL"].algo_params.borel_vae_steps == 10 and cfgs["CSRO"].algo_params.borel_vae_steps == 5000
    # CORRO's CVAE steps shrink where it draws generative negatives (the dynamics families), else stay unread
    assert cfgs["CORRO"].algo_params.corro_cvae_steps == 5000 and cfgs["BOREL"].algo_params.corro_cvae_steps == 5000
    walker = run_specs("walker-rand-params", "tiny", ["CORRO"], [0], tmp_path, 1, None, None)[0].load_config()
    assert walker.algo_params.corro_cvae_steps == 4
    assert cfgs["CSRO"].latent_size == 4 and cfgs["CSRO"].algo_params.embedding_batch_size == 32
    assert cfgs["BOREL"].latent_size == 20 and cfgs["BOREL"].algo_params.embedding_batch_size == 100


def test_every_profile_reads_checkpoints_its_sac_config_writes():
    """Each profile's stage 2 (train_epoch, eval_epoch, n_trj) asks only for checkpoints and episodes that its
    stage-1 SAC config writes, and its config and SAC config load: a profile is usable as shipped (its config as
    the reproduction loads it for a method; the keys checked here are every method's)."""
    from rlkit.behaviour import load_sac_config
    from rlkit.reproduce.plan import ENV_CONFIGS, profiles, run_specs

    for env in ENV_CONFIGS:
        for name, p in profiles(env).items():
            (spec,) = run_specs(env, name, ["CSRO"], [0], ROOT / "output", 1, None, None)
            cfg = spec.load_config()
            behaviour = load_sac_config(p.sac_config, [])
            a, sched = cfg.algo_params, behaviour.schedule
            written = set(sched.expected_checkpoints(cfg.env_params.max_episode_steps))
            for key in ("train_epoch", "eval_epoch"):
                wanted = set(range(*getattr(a, key)))
                assert wanted <= written, (env, name, key, sorted(wanted - written))
            episodes = sched.num_eval_sample_episodes if a.sample else sched.num_eval_episodes
            assert a.n_trj <= episodes, (env, name, a.n_trj, episodes)


def test_a_method_collapsed_on_every_seed_is_named_and_its_gap_not_read_as_context_shift(fast_intervals):
    """The collapse guard's flags reach the report: listed per method and seed, and a method flagged on every
    seed is neither credited with context shift nor compared with CSRO's Np gap."""
    from rlkit.report import Reference
    from rlkit.reproduce.prose import collapse_section, table1_paragraph
    from rlkit.reproduce.tables import final_table

    runs = {
        "CSRO": progress_frames([(-5, -9, -6), (-5, -9, -8)]),
        "BOREL": progress_frames([(-15, -20, -20), (-16, -19, -20)]),
    }
    table = final_table(runs, 1, Reference(oracle=-4.0, random=-20.0))
    text = table1_paragraph(table, {}, frozenset({"BOREL"}))
    assert "BOREL's z is flagged as collapsed on every seed" in text and "context shift reproduced" not in text
    assert "BOREL" not in text.split("CSRO loses")[1]  # not among the baselines CSRO's gap is held to
    assert "BOREL loses 4.00 return from offline to online-prior context" in table1_paragraph(table, {}, frozenset())
    # CSRO itself collapsed (or context-blind): its small gap is no evidence for the paper's claim
    own = table1_paragraph(table, {}, frozenset({"CSRO"}))
    assert "CSRO's z is flagged as collapsed on every seed, so its gaps measure no use of context" in own
    assert "holds here" not in own
    assert collapse_section({"CSRO": {}, "BOREL": {0: "z collapsed (x)", 1: "z collapsed (y)"}}) == [
        "- **BOREL**, seeds 0, 1: z collapsed (x)"
    ]
    assert collapse_section({"CSRO": {}})[0].startswith("No run's z is flagged")
    # a tiny profile's meta-batch of one task has no spread to measure: not a collapse, and said so
    assert collapse_section({"CSRO": {}}, 2, 2)[0].startswith("The guard measured nothing")
    assert collapse_section({"CSRO": {}}, 1, 2) == [
        "No run's z is flagged as collapsed at its last iteration (across-task spread of z well above its "
        "within-task spread on every run measured).",
        "1 of the 2 runs had no spread to measure (one task, one sequence a task, or a progress.csv older than the "
        "spread columns).",
    ]


def test_when_no_method_has_learned_the_gaps_are_not_read_as_the_papers_claims(fast_intervals):
    """Every offline score below LEARNED_SCORE: the paragraph says so first, and CSRO's smaller gap is not
    called the paper's claim; one method above it and the usual verdict comes back."""
    from rlkit.report import Reference
    from rlkit.reproduce.prose import LEARNED_SCORE, table1_paragraph
    from rlkit.reproduce.tables import final_table

    ref = Reference(oracle=0.0, random=-100.0)  # score = 1 + R / 100
    weak = {
        "CSRO": progress_frames([(-70, -72, -71), (-72, -73, -72)]),
        "FOCAL": progress_frames([(-65, -80, -75), (-66, -79, -74)]),
    }
    text = table1_paragraph(final_table(weak, 1, ref), {}, frozenset())
    assert text.startswith("**No method has learned the tasks at this profile**: the best offline score is 0.345")
    assert "holds here" not in text and "between weak policies (above), these say nothing" in text
    assert "context shift reproduced" not in text and "FOCAL loses 14.00 return" in text  # FOCAL's gap excludes 0
    assert LEARNED_SCORE == 0.5
    learned = {"CSRO": progress_frames([(-20, -22, -21), (-22, -23, -22)]), "FOCAL": weak["FOCAL"]}
    text = table1_paragraph(final_table(learned, 1, ref), {}, frozenset())
    assert "No method has learned" not in text and "Every interval lies above 0: the paper's claim" in text
    # above LEARNED_SCORE but not above a body that does nothing (zero action's score 0.85 > best 0.79): not learned
    text = table1_paragraph(final_table(learned, 1, ref), {}, frozenset(), still=0.85)
    assert text.startswith("**No method has learned the tasks at this profile**: the best offline score is 0.790, ")
    assert "not above the zero-action return's score (0.850): no method does better than doing nothing" in text
    assert "No method has learned" not in table1_paragraph(final_table(learned, 1, ref), {}, frozenset(), still=0.5)
    # doing nothing scores above the top reference (a best behaviour worse than standing still, a tiny profile's):
    # the scale itself says nothing of learning, whatever the methods score on it
    text = table1_paragraph(final_table(learned, 1, ref), {}, frozenset(), still=29.4)
    assert text.startswith("**The normalised score does not measure learning at this profile**: doing nothing scores")
    assert "holds here" not in text
    # one seed of each: a paired difference, but no interval to read the claim from
    text = table1_paragraph(final_table({m: f[:1] for m, f in learned.items()}, 1, ref), {}, frozenset())
    assert text.endswith("; with one seed there is no interval, so the paper's claim is not tested.")
    assert "holds here" not in text and "No method has learned" not in text


def test_one_seed_has_no_spread_and_a_run_shorter_than_the_window_is_refused(fast_intervals):
    """One seed printed "± 0.00", a spread it does not have; a run with fewer rows than --last was averaged over
    what it had, unlike the other runs (`rlkit.report` refused it already)."""
    from rlkit.errors import UserError
    from rlkit.logging import RETURN_COLUMNS
    from rlkit.report import Reference
    from rlkit.reproduce.tables import final_table, table1_markdown

    frame = pd.DataFrame({RETURN_COLUMNS[k]: [v, v] for k, v in (("offline", -10.0), ("online", -12.0), ("np", -11.0))})
    ref = Reference(oracle=0.0, random=-100.0)
    assert "| CSRO | offline context | -10.00 ± n/a (1 seed) | 0.900 |" in "\n".join(
        table1_markdown(final_table({"CSRO": [frame]}, 1, ref), ref)
    )
    with pytest.raises(UserError, match=r"^CSRO has a run of 2 progress rows: expected at least the last 3 that"):
        final_table({"CSRO": [frame, pd.concat([frame, frame])]}, 3, ref)


def test_table1_lists_the_zero_action_return_with_its_score_where_known(fast_intervals):
    """The third reference row: the zero-action return and its score on the run's scale; absent where unknown."""
    from rlkit.logging import RETURN_COLUMNS
    from rlkit.report import Reference
    from rlkit.reproduce.tables import STILL, final_table, table1_markdown

    frame = pd.DataFrame({RETURN_COLUMNS[k]: [v] for k, v in (("offline", -10.0), ("online", -12.0), ("np", -11.0))})
    runs = {"CSRO": [frame, frame.copy()]}
    ref = Reference(oracle=0.0, random=-100.0, still=-60.0)
    assert table1_markdown(final_table(runs, 1, ref), ref)[-1] == f"| {STILL} | | -60.00 | 0.400 | | |"
    ref = Reference(oracle=0.0, random=-100.0)
    assert not any(STILL in line for line in table1_markdown(final_table(runs, 1, ref), ref))


def test_a_borel_runs_cost_counts_its_vae_steps_at_their_own_time(tmp_path, monkeypatch):
    """BOREL's GRU VAE runs at another rate per FLOP than its learner's step (slower on cheetah-vel): each is
    timed, and the run's time is its VAE steps at the one plus its learner steps at the other."""
    import rlkit.budget
    from rlkit.budget import training_budget
    from rlkit.reproduce.plan import budget_lines, run_specs

    times = iter([1000.0, 3000.0])  # the learner's step, then the VAE's
    monkeypatch.setattr(rlkit.budget, "step_seconds", lambda step, **_: next(times))
    monkeypatch.setattr(rlkit.budget, "usable_cores", lambda: 2)
    specs = run_specs("point-robot", "tiny", ["BOREL"], [0], tmp_path, 1, None, None)
    b = training_budget(specs[0].load_config())
    line = budget_lines(specs, specs, 1, "cpu")[-1]
    assert "BOREL 1000000 ms (" in line and ", its VAE step 3000000 ms (" in line
    hours = (b.steps * 1000.0 + b.stages[0].steps * 3000.0) / 3600
    estimate = re.search(r"the 1 run\(s\) to train need about ([\d.]+) h", line)
    assert estimate and float(estimate[1]) == pytest.approx(hours, abs=0.051)


def test_the_runs_cost_is_printed_from_their_flops_and_a_step_timed_here(tmp_path, monkeypatch):
    """Each method's budget, the matmul probe, and the training time of the runs to train from each method's timed
    step: their steps at that time, taken in order by the jobs (every step 1,000 s here, so the hours are readable;
    2 cores, runs of 1 thread)."""
    import rlkit.budget
    from rlkit.budget import training_budget
    from rlkit.reproduce.plan import budget_lines, run_specs

    monkeypatch.setattr(rlkit.budget, "step_seconds", lambda step, **_: 1000.0)
    monkeypatch.setattr(rlkit.budget, "usable_cores", lambda: 2)
    # in order: CSRO seeds 0 and 1, then FOCAL seeds 0 and 1
    specs = run_specs("point-robot", "tiny", ["CSRO", "FOCAL"], [0, 1], tmp_path, 1, None, None)
    csro, focal = (training_budget(specs[i].load_config()) for i in (0, 2))
    lines = budget_lines(specs, specs[1:], 2, "cpu")
    assert lines[:3] == [
        "training budget per run (matmuls, fwd + bwd):",
        f"  CSRO: {csro.summary()}",
        f"  FOCAL: {focal.summary()}",
    ]
    c, f = (b.steps * 1000.0 / 3600 for b in (csro, focal))  # hours of a whole run
    # CSRO seed 1 and FOCAL seed 0 at once, then FOCAL seed 1 after the one that ends first
    hours = max(c, 2 * f) if f < c else c + f
    estimate = re.search(r"the 3 run\(s\) to train need about ([\d.]+) h of training steps at 2 job", lines[3])
    assert (
        "this machine's dense fp32 matmul: " in lines[3]
        and "steps timed here on 1 thread(s): CSRO 1000000 ms (" in lines[3]
    )
    assert "), FOCAL 1000000 ms (" in lines[3]
    assert estimate and float(estimate[1]) == pytest.approx(hours, abs=0.051)
    assert "counted as" not in lines[3]
    # the first CSRO run has done 1 of its 2 iterations: half its steps are left (CSRO c/2 and CSRO c at once, then
    # FOCAL after the half run)
    lines = budget_lines(specs, specs[:3], 2, "cpu", done=[1, 0, 0])
    estimate = re.search(r"the 3 run\(s\) to train need about ([\d.]+) h", lines[3])
    assert estimate and float(estimate[1]) == pytest.approx(max(c, c / 2 + f), abs=0.051)
    # 4 jobs on 2 cores run no faster than 2: the same estimate, and the line says why
    lines = budget_lines(specs, specs[:3], 4, "cpu", done=[1, 0, 0])
    estimate = re.search(r"the 3 run\(s\) to train need about ([\d.]+) h", lines[3])
    assert estimate and float(estimate[1]) == pytest.approx(max(c, c / 2 + f), abs=0.051)
    assert "4 jobs x 1 thread(s) on 2 cores: counted as 2 at once" in lines[3]
    # nothing to train, or runs on a GPU: the budgets and the probe, no CPU timing (the probe said to be the CPU's)
    assert len(budget_lines(specs, [], 2, "cpu")) == 4 and "timed here" not in budget_lines(specs, [], 2, "cpu")[3]
    on_gpu = budget_lines(specs, specs, 1, "cuda:0")[3]
    assert "timed here" not in on_gpu and on_gpu.endswith(
        "on the CPU; the runs train on cuda:0, where no step is timed (no estimate)"
    )


def _np_table(finals: dict[str, list[float]]) -> pd.DataFrame:
    """A final table of Np and online cells from per-seed final returns (score = return / 10 + 1)."""
    rows = []
    for m, f in finals.items():
        f = np.array(f, dtype=float)
        for p in ("np", "online"):
            rows.append({"method": m, "protocol": p, "finals": f, "score": (f / 10 + 1).mean(), "iqm": 0.0})
            rows[-1].update(iqm_lo=float("nan"), iqm_hi=float("nan"))
    return pd.DataFrame(rows)


def test_fig3_paragraph_ranks_by_the_per_seed_difference():
    """CSRO above one baseline, below another, not established against a third, each read off the 95% t-interval
    of the per-seed difference; two methods whose seeds barely separate (CSRO's worst above FOCAL's best, as on the
    point-robot demo) are not established as ranked; one seed is not compared."""
    from rlkit.reproduce.prose import curves_paragraph

    text = curves_paragraph(
        _np_table(
            {
                "CSRO": [-5.0, -6.0, -5.5],
                "FOCAL": [-9.0, -9.8, -9.4],
                "BOREL": [-1.0, -2.1, -1.4],
                "CORRO": [-3.0, -9.0, -5.0],
            }
        )
    )
    assert "its Np return minus each baseline's, paired by seed (95% CI): FOCAL 3.90 [" in text
    assert text.endswith(": above FOCAL; below BOREL; not established against CORRO. " + text.split(". ", 2)[-1])
    close = curves_paragraph(_np_table({"CSRO": [-7.0, -5.5, -9.36], "FOCAL": [-9.46, -12.0, -11.2]}))
    assert "not established against FOCAL (the ranking is not established at this number of seeds)" in close
    one_seed = curves_paragraph(_np_table({"CSRO": [-5.0], "FOCAL": [-9.0]}))
    assert "with one seed there is no interval, so the ranking is not tested" in one_seed and "above" not in one_seed


def test_fig4_paragraph_reads_the_ordering_off_per_seed_differences():
    from rlkit.reproduce.prose import ablation_paragraph

    def cell(finals):
        f = np.array(finals, dtype=float)
        return pd.Series({"score": (f / 10 + 1).mean(), "finals": f})

    cells = {
        "neither": cell([-9, -9.5, -8.5]),
        "CLUB only": cell([-1.1, -1.2, -1.0]),
        "Np only": cell([-2, -2.2, -2.1]),
    }
    apart = ablation_paragraph({**cells, "both": cell([-8.1, -8.2, -8.0])})
    assert "This is not the paper's ordering" in apart and "an interval including 0 or below it" in apart
    firm = ablation_paragraph({**cells, "both": cell([-0.5, -0.4, -0.6])})
    assert "This is the paper's ordering" in firm and "not firm" not in firm and "CLUB only 0.60 [" in firm
    close = ablation_paragraph({**cells, "both": cell([-0.5, -1.5, -1.0])})
    assert "This is the paper's ordering" in close and "so the ordering is not firm" in close
    # a tie is not "<": neither level with a half, or both level with the better half, is not the paper's ordering
    low = ablation_paragraph({**cells, "Np only": cells["neither"], "both": cell([-0.5, -0.4, -0.6])})
    high = ablation_paragraph({**cells, "both": cells["CLUB only"]})
    assert "This is not the paper's ordering" in low and "This is not the paper's ordering" in high


def test_the_report_of_a_damaged_progress_csv_is_one_line(tmp_path):
    """`load_runs` read progress.csv with pandas: a damaged file was a traceback at the report's end."""
    from rlkit.errors import UserError
    from rlkit.reproduce.plan import RunSpec
    from rlkit.reproduce.tables import load_runs

    (tmp_path / "progress.csv").write_bytes(b"\xff\x00junk")
    with pytest.raises(UserError, match=r"^'.*progress.csv' is not UTF-8 text .*: expected the progress.csv launch_"):
        load_runs([RunSpec("CSRO", 0, "c.json", {}, {}, tmp_path, 1, None)])


@pytest.mark.parametrize(
    "report",
    ["point-robot-demo.md", "cheetah-vel-cpu.md", "ant-goal-cpu.md", "cheetah-vel-cpu-5seeds/cheetah-vel-cpu.md"],
)
def test_the_results_reports_say_what_the_prose_code_reads_off_their_own_numbers(report):
    """Each report's verdict paragraphs are those the current prose code writes from the report's per-seed
    returns (`scripts/reread_report_prose.py`), so no conclusion of an older rule stays in docs/results."""

    reread = load_file("scripts/reread_report_prose.py", "reread")
    path = ROOT / "docs" / "results" / report
    lines = path.read_text().splitlines()
    date = re.search(r"re-read on (\d{4}-\d\d-\d\d)", lines[4])
    assert date, "a report written before the paired-difference verdicts, never re-read"
    assert reread.reread(path, date[1]) == lines


def test_fig4_whiskers_are_the_t_interval_of_each_mean_bar(tmp_path, monkeypatch):
    """The bars are means; the whiskers were IQM intervals, which from 5 seeds on need not hold the bar."""
    import matplotlib.axes

    from rlkit.report import Reference
    from rlkit.reproduce.figures import plot_ablation
    from rlkit.stats import t_interval

    drawn = {}
    real_bar = matplotlib.axes.Axes.bar
    monkeypatch.setattr(matplotlib.axes.Axes, "bar", lambda ax, x, h, **kw: drawn.update(kw, h=h) or real_bar(ax, x, h))
    ref = Reference(oracle=0.0, random=-10.0)
    finals = {"neither": [-9.0, -8.0, -7.0, -1.0], "CLUB only": [-5, -6, -4, -5], "Np only": [-3, -3, -2, -4]}
    finals["both"] = [-1.0, -2.0, -1.5, -9.0]
    cells = {k: pd.Series({"score": ref.score(np.array(v)).mean(), "finals": np.array(v)}) for k, v in finals.items()}
    assert plot_ablation(cells, ref, tmp_path / "a.png", "t").stat().st_size > 5000
    for k, v in enumerate(finals.values()):
        lo, hi = t_interval(ref.score(np.array(v)))
        assert drawn["h"][k] - drawn["yerr"][0][k] == pytest.approx(lo) and drawn["h"][k] + drawn["yerr"][1][
            k
        ] == pytest.approx(hi)
    one = {
        k: pd.Series({"score": ref.score(np.array(v[:1])).mean(), "finals": np.array(v[:1])}) for k, v in finals.items()
    }
    plot_ablation(one, ref, tmp_path / "b.png", "t")  # one seed: no interval, so no whisker either way
    assert np.asarray(drawn["yerr"]).tolist() == [[0.0] * 4, [0.0] * 4]


def test_report_only_does_not_ask_for_a_writable_out(tmp_path, monkeypatch, capsys):
    """--report-only reads the runs under --out (archived ones may be read-only); only --results is written."""
    import rlkit.reproduce.__main__ as entry
    from rlkit.cli import run_cli as run_command

    checked = []
    monkeypatch.setattr(entry, "writable_folder", lambda option, path: checked.append(option))
    with pytest.raises(SystemExit):
        run_command(
            entry.main,
            [
                "point-robot",
                "--profile",
                "tiny",
                "--seeds",
                "0",
                "--methods",
                "CSRO",
                "--out",
                str(tmp_path / "runs"),
                "--results",
                str(tmp_path / "r"),
                "--report-only",
            ],
        )
    assert checked == ["--results"] and "runs not finished" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run_command(
            entry.main, ["point-robot", "--profile", "tiny", "--out", str(tmp_path / "f" / "x"), "--threads", "0"]
        )
    assert checked == ["--results"]  # (a bad option is refused before any folder is checked)


def test_cells_of_different_seed_counts_are_not_paired():
    from rlkit.errors import UserError
    from rlkit.reproduce.tables import seed_difference

    np.testing.assert_array_equal(seed_difference(np.array([3.0, 2.0]), np.array([1.0, 1.0])), [2.0, 1.0])
    with pytest.raises(UserError, match=r"^3 and 1 seeds: expected the same seeds for every method, to pair them"):
        seed_difference(np.array([1.0, 2.0, 3.0]), np.array([1.0]))  # (numpy would broadcast the one seed)


def _train_or_fail(spec) -> str:
    """A stand-in for `train_one` (module-level, so a spawned worker can import it): seed 1 diverges."""
    if spec.seed == 1:
        raise UserError("training diverged at iteration 3")
    return f"{spec.method} seed {spec.seed}: finished"


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failed_run_of_a_reproduction_leaves_the_others_to_train(jobs, capsys):
    """One run that diverges stopped every run after it (and, deterministic, again on every rerun): now it is one
    line, the others train, and the command fails after them."""
    from types import SimpleNamespace

    from rlkit.reproduce.__main__ import train_all

    todo = [SimpleNamespace(method="CSRO", seed=s) for s in range(3)]
    failed = train_all(todo, jobs, train=_train_or_fail)
    assert failed == ["CSRO seed 1: training diverged at iteration 3"]
    out = capsys.readouterr().out
    assert "CSRO seed 0: finished" in out and "CSRO seed 2: finished" in out
    assert "CSRO seed 1: FAILED (training diverged at iteration 3)" in out


def test_a_report_of_other_methods_or_seeds_is_not_replaced(tmp_path):
    """The README's five-seed CSRO command wrote docs/results/point-robot-demo.md over the eight-method report: a
    report is replaced only by one of the same methods and seeds, checked before anything trains."""
    from rlkit.reproduce.__main__ import check_report_target

    shipped = ROOT / "docs" / "results" / "point-robot-demo.md"
    methods = ["CSRO", "FOCAL", "FOCAL_REPLACE", "OFFPEARL", "CORRO", "UNICORN_SS", "UNICORN_SUP", "BOREL"]
    check_report_target(shipped, methods, [2, 0, 1])  # the same runs: replaced (order does not matter)
    check_report_target(tmp_path / "none.md", ["CSRO"], [0])  # no report yet
    with pytest.raises(
        UserError, match=r"point-robot-demo.md' is a report of methods \['BOREL', .*and seeds \[0, 1, 2\]: "
    ):
        check_report_target(shipped, ["CSRO"], [0, 1, 2, 3, 4])
    (tmp_path / "old.md").write_text("# a report without its Methods line\n")
    with pytest.raises(UserError, match=r"old.md' is a report of another form: expected one of methods \['CSRO'\]"):
        check_report_target(tmp_path / "old.md", ["CSRO"], [0])


def test_a_report_of_runs_trained_on_different_data_is_refused(tmp_path):
    """A finished run kept from before the data was made again (another host, a deleted folder) would sit in one
    table with runs of the new data: the report compares methods on one dataset."""
    from types import SimpleNamespace

    from rlkit.reproduce.document import same_data

    specs = []
    for i, digest in enumerate(["a" * 24, "a" * 24, "b" * 24]):
        out = tmp_path / f"run{i}"
        out.mkdir()
        (out / "dataset.json").write_text(json.dumps({"digest": digest}))
        specs.append(SimpleNamespace(method="CSRO", seed=i, out_dir=out))
    same_data(specs[:2])
    same_data([*specs[:2], SimpleNamespace(method="FOCAL", seed=0, out_dir=tmp_path / "unrecorded")])
    with pytest.raises(
        UserError, match=r"^the runs were trained on different data \(CSRO seed 0, CSRO seed 1 on data "
    ):
        same_data(specs)


def _train_or_die(spec) -> str:
    """A stand-in for `train_one` whose seed-1 worker is killed (as by the kernel's out-of-memory killer)."""
    if spec.seed == 1:
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(3)
    return f"{spec.method} seed {spec.seed}: finished"


@pytest.mark.slow
def test_a_killed_worker_is_one_line_naming_the_runs_it_took_down():
    """Which worker died cannot be known (the pool fails every unfinished run alike): the line names them all, and
    the command fails as a failed run does (exit 1), not as bad input."""
    from types import SimpleNamespace

    from rlkit.errors import RunFailedError
    from rlkit.reproduce.__main__ import train_all

    todo = [SimpleNamespace(method="CSRO", seed=s) for s in range(3)]
    with pytest.raises(
        RunFailedError,
        match=r"^a worker process ended abruptly \(killed, or out of memory\?\) while runs \[.*'CSRO seed 1'",
    ):
        train_all(todo, 2, train=_train_or_die)


def _train_or_be_stopped(spec) -> str:
    """A stand-in for `train_one` whose seed-1 worker sends back an interrupt as its run's error (as a worker stopped
    by SIGTERM while it sent a finished run's result: the pool's loop catches it and sends it on)."""
    if spec.seed == 1:
        raise KeyboardInterrupt
    return f"{spec.method} seed {spec.seed}: finished"


@pytest.mark.slow
def test_a_worker_stopped_as_it_answered_is_one_line_naming_its_run():
    """Such an error was raised again in the driver as it came (an exit 143 without a line, or an interrupt)."""
    from types import SimpleNamespace

    from rlkit.errors import RunFailedError
    from rlkit.reproduce.__main__ import train_all

    todo = [SimpleNamespace(method="CSRO", seed=s) for s in range(2)]
    with pytest.raises(RunFailedError, match=r"^CSRO seed 1: its worker process was stopped \(KeyboardInterrupt\); "):
        train_all(todo, 2, train=_train_or_be_stopped)


def test_the_report_says_which_code_trained_its_runs(tmp_path):
    from types import SimpleNamespace

    from rlkit.reproduce.document import code_sentence

    def run(name, *entries):
        out = tmp_path / name
        out.mkdir()
        if entries:
            (out / "code.json").write_text(json.dumps({"trained_with": list(entries)}))
        return SimpleNamespace(method=name.split("-")[0], seed=int(name[-1]), out_dir=out)

    a = {"from_iteration": 0, "revision": "abc", "versions": {"torch": "2.13.0"}, "device": "cpu, eager"}
    b = dict(a, revision="def", from_iteration=4)
    one, two = run("CSRO-0", a), run("FOCAL-0", dict(a, device="cuda:0, captured"))
    assert code_sentence([one, two]) == "Every run was trained by git abc (torch 2.13.0)."
    mixed = run("CSRO-1", a, b)
    assert code_sentence([one, mixed]) == (
        "Trained by git abc (torch 2.13.0): CSRO seed 0, CSRO seed 1; git def (torch 2.13.0): CSRO seed 1 from "
        "iteration 4."
    )
    old = run("FOCAL-1")
    assert code_sentence([one, old]) == (
        "Trained by git abc (torch 2.13.0): CSRO seed 0. Not recorded (trained before code.json was kept): "
        "FOCAL seed 1."
    )
    # a run resumed when code.json first came: its iterations before are not claimed; a BOREL resume in its VAE stage
    late = run("OFFPEARL-0", dict(a, from_iteration=5))
    vae = run("BOREL-0", a, dict(b, from_iteration=0, from_stage="VAE step 1200"))
    assert code_sentence([one, late, vae]) == (
        "Trained by git abc (torch 2.13.0): CSRO seed 0, OFFPEARL seed 0 from iteration 5, BOREL seed 0; git def "
        "(torch 2.13.0): BOREL seed 0 from VAE step 1200. Not recorded (trained before code.json was kept): OFFPEARL "
        "seed 0 before iteration 5."
    )
    assert "unknown revision" in code_sentence([run("CSRO-2", dict(a, revision=None))])
    # the thread count and CPU capability where recorded: runs on other ones are told apart
    t1, t2 = dict(a, threads=1, cpu="AVX2"), dict(a, threads=2, cpu="AVX512")
    assert code_sentence([run("CSRO-3", t1), run("FOCAL-3", t2)]) == (
        "Trained by git abc (torch 2.13.0; 1 thread, AVX2): CSRO seed 3; git abc (torch 2.13.0; 2 threads, AVX512): "
        "FOCAL seed 3."
    )


def test_the_prose_claims_only_what_its_numbers_say(fast_intervals):
    """A gain is not a negative loss; a collapsed method's offline return is given, not called far from the others'
    (CORRO's in cheetah-vel-cpu was within BOREL's spread); a context-blind method's is set beside the paper's, not
    judged; and when no method has learned, Fig. 3's and Fig. 4's paragraphs say so too."""
    from rlkit.report import Reference
    from rlkit.reproduce.prose import (
        SCALE_CAVEAT,
        WEAK_CAVEAT,
        ablation_paragraph,
        caveat,
        curves_paragraph,
        not_learned_sentence,
        table1_paragraph,
    )
    from rlkit.reproduce.tables import ablation, final_table

    runs = {
        "CSRO": progress_frames([(-5, -4, -6), (-5, -3, -6)]),
        "FOCAL": progress_frames([(-5, -4, -6), (-5, -3, -7)]),  # as good offline as CSRO, and collapsed
        # context-blind at the paper's offline return
        "OFFPEARL": progress_frames([(-4.4, -4.4, -4.4), (-4.4, -4.4, -4.4)]),
    }
    table = final_table(runs, 1, Reference(oracle=-4.0, random=-20.0))
    text = table1_paragraph(table, {"OFFPEARL": (-4.4, -17.8)}, frozenset({"FOCAL"}))
    assert "far from" not in text
    assert (
        "FOCAL's z is flagged as collapsed on every seed (below): its gap from offline to online-prior context " in text
    )
    assert "(the paper's offline return: -4.4); this baseline is not reproduced" in text
    assert "CSRO gains 1.50 return from offline to online-prior" not in text and "and gains 1.50 with online" in text
    assert "FOCAL gains" not in table1_paragraph(table, {}, frozenset({"FOCAL"}))  # (collapsed: no verdict sentence)
    assert "FOCAL gains 1.50 return from offline to online-prior context" in table1_paragraph(table, {}, frozenset())
    weak = final_table(runs, 1, Reference(oracle=100.0, random=-20.0))  # every offline score about 0.13
    assert curves_paragraph(weak, weak=WEAK_CAVEAT).endswith(
        "No method has learned the tasks (Table 1's paragraph): this does not test the paper's claim."
    )
    assert curves_paragraph(weak, weak=SCALE_CAVEAT).endswith(
        "does not measure learning here (Table 1's paragraph): this does not test the paper's claim."
    )
    assert not curves_paragraph(table).endswith("this does not test the paper's claim.")
    alone = weak[weak.method == "CSRO"]  # no ranking to claim, but its scores are no more a result
    text = curves_paragraph(alone, weak=WEAK_CAVEAT)
    assert text.startswith("Final Np scores (IQM [95% CI]): CSRO ") and text.endswith("]." + WEAK_CAVEAT), text
    assert "FOCAL" not in text and "highest" not in text
    cells = ablation(weak)
    assert ablation_paragraph(cells, weak=WEAK_CAVEAT).endswith("this does not test the paper's claim.")
    assert caveat(None) == "" and caveat(not_learned_sentence(weak, 29.4)) == SCALE_CAVEAT
    assert caveat(not_learned_sentence(weak)) == WEAK_CAVEAT
    assert not ablation_paragraph(cells).endswith("this does not test the paper's claim.")


def test_a_report_of_runs_of_different_lengths_is_refused(tmp_path):
    """Each run's final return averages its own last rows: a run continued further would be read elsewhere."""
    from types import SimpleNamespace

    from rlkit.logging import RETURN_COLUMNS
    from rlkit.reproduce.tables import load_runs

    specs = []
    for seed, rows in enumerate([3, 3, 5]):
        out = tmp_path / f"seed{seed}"
        out.mkdir()
        frame = pd.DataFrame({"Number of train steps total": range(rows), "Epoch": range(rows)})
        for col in RETURN_COLUMNS.values():
            frame[col] = -5.0
        frame.to_csv(out / "progress.csv", index=False)
        specs.append(SimpleNamespace(method="CSRO", seed=seed, out_dir=out))
    assert [len(f) for f in load_runs(specs[:2])["CSRO"]] == [3, 3]
    with pytest.raises(UserError, match=r"^the runs hold different numbers of iterations \(3 in CSRO seed 0, CSRO "):
        load_runs(specs)


def test_a_report_pairs_seeds_only_of_one_list_in_ascending_order(tmp_path):
    """The report pairs the methods' runs seed with seed by their position (`seed_difference`) and heads the per-seed
    table with the sorted seeds: methods of other seeds (FOCAL's seed 3 paired with CSRO's seed 2), or seeds given in
    another order (seed 1's return under "seed 0"), are refused before anything is read, naming each method's."""
    from types import SimpleNamespace

    from rlkit.reproduce.tables import load_runs

    def specs(**seeds):
        return [SimpleNamespace(method=m, seed=s, out_dir=tmp_path / "none") for m, ss in seeds.items() for s in ss]

    for bad in ({"CSRO": [0, 1, 2], "FOCAL": [0, 1, 3]}, {"CSRO": [1, 0], "FOCAL": [1, 0]}):
        told = "; ".join(f"{m} {v}" for m, v in bad.items()).replace("[", r"\[").replace("]", r"\]")
        with pytest.raises(UserError, match=rf"^the runs' seeds are {told}: expected the same seeds for every method"):
            load_runs(specs(**bad))


def test_the_intervals_sentence_counts_the_seeds():
    from rlkit.reproduce.document import intervals_sentence

    assert "(shown; with 3 seeds it covers far less than 95%)" in intervals_sentence(3)
    assert "(shown; with 5 seeds it covers less than 95%)" in intervals_sentence(5)


# ---- the report's numbers by hand (a mutation audit: two seeds and one row hid the median for the mean, the IQM of
# raw returns, a panel plotting another protocol, boundary comparisons and per-seed flags) -------------------------
def test_table1s_scores_are_the_mean_of_the_seeds_and_the_iqm_is_of_scores(fast_intervals):
    """Three seeds' offline returns -4, -8, -14 on the 0 .. -20 scale: score the mean of 0.8, 0.6, 0.3 (0.567; the
    median 0.6); two seeds' (-4, -8): IQM 0.7, of the scores (of the returns it would be -6); a seed's final return
    the mean of its last 3 rows (-10, -6, -4: -20/3; the median -6)."""
    from rlkit.report import Reference
    from rlkit.reproduce.tables import _cell, final_table

    ref = Reference(0.0, -20.0)
    three = final_table({"CSRO": progress_frames([(-4, -9, -6), (-8, -9, -6), (-14, -9, -6)])}, 1, ref)
    assert _cell(three, "CSRO", "offline").score == pytest.approx((0.8 + 0.6 + 0.3) / 3)
    two = _cell(final_table({"CSRO": progress_frames([(-4, -9, -6), (-8, -9, -6)])}, 1, ref), "CSRO", "offline")
    assert two.iqm == pytest.approx(0.7) and two.iqm_lo <= 0.7 <= two.iqm_hi
    rows = [(-10, -9, -6), (-6, -9, -6), (-4, -9, -6)]
    last3 = _cell(final_table({"CSRO": progress_frames([rows, rows])}, 3, ref), "CSRO", "offline")
    np.testing.assert_allclose(last3.finals, [-20 / 3, -20 / 3])


def test_fig3s_panels_plot_their_own_protocol_with_a_95_percent_t_band(tmp_path, monkeypatch):
    """Two seeds whose protocols differ (offline -4, online -12, Np -8 and -12): the panels, Np then online then
    offline, plot scores 0.5, 0.4, 0.8; the Np band is t(0.975, 1) x sd / sqrt(2) = 12.706 x 0.1414 / 1.414."""
    import matplotlib.axes

    from rlkit.report import Reference
    from rlkit.reproduce.figures import plot_curves

    lines, bands = [], []
    plot, fill = matplotlib.axes.Axes.plot, matplotlib.axes.Axes.fill_between
    monkeypatch.setattr(
        matplotlib.axes.Axes, "plot", lambda ax, x, y, *a, **k: lines.append(list(y)) or plot(ax, x, y, *a, **k)
    )
    monkeypatch.setattr(
        matplotlib.axes.Axes,
        "fill_between",
        lambda ax, x, lo, hi, **k: bands.append((list(lo), list(hi))) or fill(ax, x, lo, hi, **k),
    )
    runs = {"CSRO": progress_frames([[(-4, -12, -8)] * 2, [(-4, -12, -12)] * 2])}
    plot_curves(runs, Reference(0.0, -20.0), tmp_path / "curves.png", "t")
    np.testing.assert_allclose(lines, [[0.5, 0.5], [0.4, 0.4], [0.8, 0.8]])
    half = 12.706204736174707 * 0.1  # t(0.975, 1) x sd of 0.6, 0.4 (0.1414) / sqrt(2)
    np.testing.assert_allclose(bands[0], [[0.5 - half] * 2, [0.5 + half] * 2])


def test_the_learned_verdict_at_its_boundaries(fast_intervals):
    """A best offline score of exactly LEARNED_SCORE (0.5) has learned; one equal to the zero-action return's score
    has not (not above doing nothing)."""
    from rlkit.report import Reference
    from rlkit.reproduce.prose import not_learned_sentence
    from rlkit.reproduce.tables import _cell, final_table

    ref = Reference(0.0, -100.0)  # score = 1 + R / 100
    assert not_learned_sentence(final_table({"CSRO": progress_frames([(-50, -60, -55)] * 2)}, 1, ref)) is None
    table = final_table({"CSRO": progress_frames([(-20, -22, -21), (-22, -23, -22)])}, 1, ref)
    best = float(_cell(table, "CSRO", "offline").score)  # 0.79
    assert "not above the zero-action return's score (0.790)" in not_learned_sentence(table, best)


def test_the_reports_collapse_flags_go_by_seed_and_its_finals_by_the_profiles_window(
    tmp_path, monkeypatch, fast_intervals
):
    """FOCAL collapsed on seed 0 only: listed as seed 0's, and not collapsed on every seed (its gaps still count);
    the finals average the profile's last 2 iterations ((-10 - 6) / 2, (-9 - 5) / 2), not the last one."""
    from types import SimpleNamespace

    from rlkit.logging import SPREAD_COLUMNS
    from rlkit.report import Reference
    from rlkit.reproduce import document

    def run(rows, alive):
        frame = progress_frames([rows])[0]
        frame[SPREAD_COLUMNS[0]], frame[SPREAD_COLUMNS[1]] = (0.3, 3.0) if alive else (0.0, 0.0)
        return frame

    runs = {
        "CSRO": [run([(-9, -9, -9), (-5, -9, -6)], True), run([(-9, -9, -9), (-5, -9, -8)], True)],
        "FOCAL": [run([(-10, -15, -12), (-6, -15, -12)], False), run([(-9, -13, -14), (-5, -13, -14)], True)],
    }
    specs = [_spec(m, s, tmp_path / f"{m}{s}") for m in runs for s in (0, 1)]
    collapsed, paragraph = [], document.table1_paragraph
    monkeypatch.setattr(document, "same_data", lambda specs: None)
    monkeypatch.setattr(document, "load_runs", lambda specs: runs)
    read_at = []  # the data folder the reference is read from: the spec's (where the data is now)
    monkeypatch.setattr(
        document, "data_reference", lambda out_dir, data_dir=None: read_at.append(data_dir) or Reference(-4.0, -20.0)
    )
    monkeypatch.setattr(document, "profile", lambda env, name: SimpleNamespace(final_iterations=2, about="t"))
    monkeypatch.setattr(document, "code_sentence", lambda specs: "")
    monkeypatch.setattr(document, "config_sentence", lambda specs: None)
    monkeypatch.setattr(document, "table1_paragraph", lambda t, p, c, s: collapsed.append(c) or paragraph(t, p, c, s))
    md = document.write_report("point-robot", "tiny", specs, tmp_path / "results", "cmd").read_text()
    assert collapsed == [frozenset()] and read_at == ["offline_dataset/point-robot"]
    assert "- **FOCAL**, seed 0: z collapsed" in md
    assert "| FOCAL | offline context | -8.00 | -7.00 |" in md


def test_the_default_profile_is_the_cpu_sized_results_profile_where_an_env_has_one():
    """`python -m rlkit.reproduce ENV` without --profile takes the first profile `profiles` lists: on an env with a
    CPU-sized results profile (cheetah-vel's and ant-goal's cpu, point-robot's demo) that one, else the reference's
    `paper`; never the seconds-long `tiny`, which is not results. This guards against `profiles` listing `paper` and
    `tiny` first."""
    from rlkit.reproduce.plan import ENVS, profiles

    expected_default = {"cheetah-vel": "cpu", "ant-goal": "cpu", "point-robot": "demo"}
    for env in ENVS:
        first = next(iter(profiles(env)))
        assert first == expected_default.get(env, "paper"), env


def test_point_robots_tiny_profile_is_the_file_the_tests_data_comes_from():
    """Point-robot's tiny profile is its own: configs/test/point-robot-tiny.json with the tiny_point SAC schedule, the
    config the suite's shared tiny data (tests/conftest.py) is generated from, so a tiny reproduction reads that data.
    This guards against `base | extra` turned round, with which the derived tiny profile replaced point-robot's own."""
    from rlkit.reproduce.plan import EXTRA_PROFILES, profile

    p = profile("point-robot", "tiny")
    assert (ROOT / p.config).resolve() == TINY_CONFIG.resolve()
    assert p.sac_config == "tiny_point" and p.overrides == {}
    assert p is EXTRA_PROFILES["point-robot"]["tiny"]


def test_every_run_writes_into_the_folder_the_plan_checks_and_no_two_share_one(tmp_path):
    """The folder a run trains into (`rlkit.experiment.output_dir` of its config) must be the `out_dir` the plan checks,
    resumes and reports from, and FOCAL / FOCAL_REPLACE, CORRO / CORRO_STD (same algo_type) must not write into one
    folder. This guards against an exp_name taken from the algo_type rather than the method."""
    from rlkit.experiment import output_dir
    from rlkit.reproduce.plan import METHODS, run_specs  # (all the plan's methods, not this file's two)

    specs = run_specs("point-robot", "tiny", list(METHODS), [0, 1], tmp_path, 1, None, None)
    for s in specs:
        assert output_dir(s.load_config(), s.seed) == s.out_dir, s.method
    assert len({s.out_dir for s in specs}) == len(specs) == 2 * len(METHODS)


def test_a_run_holding_all_its_iterations_is_finished_and_one_stopped_in_its_vae_stage_resumes():
    """A folder holding all n iterations is 'finished' (a rerun must not train it again, and --report-only accepts it);
    a BOREL run stopped in its VAE stage holds a snapshot at 0 iterations and is resumed, not counted as new. This
    guards against testing for finished with `done > n`, and against `started` ignored."""
    from rlkit.reproduce.plan import run_state

    assert run_state(5, 5) == "finished" and run_state(6, 5) == "finished"
    assert run_state(4, 5) == "resume" and run_state(0, 5) == "new"
    assert run_state(0, 5, started=True) == "resume"


def test_runs_of_several_threads_each_are_counted_as_the_cores_hold_them(tmp_path, monkeypatch):
    """The estimate's slots are the cores over the runs' threads, not the cores: two runs of 2 threads each on 2 cores
    run one at a time as far as the estimate goes, so 2 jobs must be estimated at two runs' time, not one."""
    import rlkit.budget
    from rlkit.budget import training_budget
    from rlkit.reproduce.plan import budget_lines, run_specs

    monkeypatch.setattr(rlkit.budget, "step_seconds", lambda step, **_: 1000.0)
    monkeypatch.setattr(rlkit.budget, "usable_cores", lambda: 2)
    specs = run_specs("point-robot", "tiny", ["CSRO"], [0, 1], tmp_path, 2, None, None)
    one_run_hours = training_budget(specs[0].load_config()).steps * 1000.0 / 3600
    line = budget_lines(specs, specs, 2, "cpu")[-1]
    estimate = re.search(r"the 2 run\(s\) to train need about ([\d.]+) h", line)
    assert estimate and float(estimate[1]) == pytest.approx(2 * one_run_hours, abs=0.051)
    assert "2 jobs x 2 thread(s) on 2 cores: counted as 1 at once" in line


def test_every_profiles_behaviour_schedule_is_built_on_its_env_familys_sac_settings():
    """Stage 1 of any profile must train the behaviour SAC with its family's settings: the profile's SAC config is the
    reference's for the family (train_point.yaml for the point robots, train.yaml for MuJoCo) or a schedule whose hydra
    defaults start from it. This guards against `point = env not in POINT_FAMILIES`, with which the point robots' tiny
    profiles took the MuJoCo tiny schedule."""
    import yaml

    from rlkit.behaviour.settings import SAC_CONFIG_DIR, default_sac_config
    from rlkit.reproduce.plan import ENVS, profiles

    for env in ENVS:
        family = default_sac_config(env)
        for name, p in profiles(env).items():
            if p.sac_config == family:
                continue
            doc = yaml.safe_load((SAC_CONFIG_DIR / f"{p.sac_config}.yaml").read_text())
            assert doc["defaults"][0] == family, (env, name, p.sac_config)


def _spec(method, seed, out_dir, data_dir="offline_dataset/point-robot"):
    """A stand-in of a `RunSpec` for the report's writer: its method, seed, folder and config's data folder."""
    return SimpleNamespace(
        method=method,
        seed=seed,
        out_dir=out_dir,
        load_config=lambda: SimpleNamespace(algo_params=SimpleNamespace(data_dir=data_dir)),
    )


def _fake_run_folder(out_dir, variant, iteration):
    """What a stopped run leaves: variant.json (its config and seed, as `rlkit.experiment` writes it) and latest.pt
    with its iteration counter."""
    import json

    import torch

    out_dir.mkdir(parents=True)
    (out_dir / "variant.json").write_text(json.dumps(variant))
    torch.save({"counters": {"iteration": iteration}, "trainer": {}}, out_dir / "latest.pt")


def test_a_stopped_run_of_the_plans_config_and_seed_resumes_and_one_of_another_seed_is_refused(tmp_path):
    """The plan compares a folder's variant.json with its seed: the run the trainer wrote (its config plus `seed`) must
    be read as the same run, so a rerun resumes it; a folder holding another seed's run (copied or misplaced) is
    refused, naming the seed. This guards against comparing the variant.json without the seed."""
    from rlkit.errors import UserError
    from rlkit.reproduce.plan import check_existing, iterations_of, run_specs

    spec0, spec1 = run_specs("point-robot", "tiny", ["CSRO"], [0, 1], tmp_path, 1, None, None)
    variant = dict(spec0.load_config().to_dict(), seed=0)
    _fake_run_folder(spec0.out_dir, variant, 1)
    assert iterations_of(spec0) == (1, 2, True) and check_existing(spec0) == "resume"
    _fake_run_folder(spec1.out_dir, variant, 1)  # seed 0's run in seed 1's folder
    with pytest.raises(UserError, match=r"holds a run of another config \(seed: 0 -> 1\)"):
        check_existing(spec1)


def test_a_report_of_runs_as_made_refuses_another_seeds_or_methods_run_in_a_folder(tmp_path):
    """`as_made` (--report-only) reads a folder's config as it was made, but not its seed or method: seed 0's run
    copied as seed 1's (reported twice, under both seeds), or a FOCAL run in CSRO's folder, is refused as a rerun
    refuses it; the profile's own run of another setting is read, the report names the difference."""
    from rlkit.errors import UserError
    from rlkit.reproduce.plan import iterations_of, run_specs

    spec0, spec1 = run_specs("point-robot", "tiny", ["CSRO"], [0, 1], tmp_path, 1, None, None)
    made = spec0.load_config().to_dict()
    _fake_run_folder(spec0.out_dir, dict(made, seed=0, algo_params=dict(made["algo_params"], discount=0.5)), 2)
    assert iterations_of(spec0, as_made=True) == (2, 2, True)
    _fake_run_folder(spec1.out_dir, dict(made, seed=0), 2)  # seed 0's run in seed 1's folder
    with pytest.raises(UserError, match=r"holds a run of another config \(seed: 0 -> 1\)"):
        iterations_of(spec1, as_made=True)
    (spec1.out_dir / "variant.json").write_text(json.dumps(dict(made, seed=1, algo_type="FOCAL")))
    with pytest.raises(UserError, match=r"holds a run of another config \(algo_type: \"FOCAL\" -> \"CSRO\""):
        iterations_of(spec1, as_made=True)


def test_a_report_of_runs_as_made_takes_their_data_fingerprint_by_the_settings_they_were_made_with(
    tmp_path, monkeypatch
):
    """A run made with other checkpoints (train_epoch) than today's profile has a fingerprint of those: `as_made`
    takes the data's fingerprint with the run's own settings (and the spec's data folder, where the data is now), so
    the run is read as it was made, not refused as trained on other data (whose hint was to remove a good run)."""
    import rlkit.run_folder
    from rlkit.errors import UserError
    from rlkit.reproduce.plan import iterations_of, run_specs

    def fingerprint(cfg, data_dir=None):  # what the digest depends on here: the checkpoints and the folder
        return {"digest": f"{cfg.algo_params.train_epoch} in {cfg.algo_params.data_dir}", "tasks": {}}

    monkeypatch.setattr(rlkit.run_folder, "run_data_print", fingerprint)
    (spec,) = run_specs("point-robot", "tiny", ["CSRO"], [0], tmp_path, 1, None, tmp_path / "data")
    made = spec.load_config().to_dict()
    made["algo_params"] = dict(made["algo_params"], train_epoch=[100, 200, 100], data_dir=str(tmp_path / "old"))
    _fake_run_folder(spec.out_dir, dict(made, seed=0), 2)
    digest = f"[100, 200, 100] in {tmp_path / 'data'}"
    (spec.out_dir / "dataset.json").write_text(json.dumps({"digest": digest, "tasks": {}}))
    assert iterations_of(spec, as_made=True) == (2, 2, True)
    with pytest.raises(UserError, match="holds a run of another config"):  # a rerun: today's profile, refused
        iterations_of(spec)


# ---- tables.py -----------------------------------------------------------------------------------------------
def test_a_table_final_return_averages_the_last_rows_of_each_run_not_the_first(fast_intervals):
    """A run's final return is read off its last `last` rows (tail), not its first (head), with which a researcher would
    report the returns of the untrained start. Rows -20, -10, -6 with a window of 2: -8 (the first two would give
    -15)."""
    from rlkit.report import Reference
    from rlkit.reproduce.tables import _cell, final_table

    rows = [(-20, -9, -6), (-10, -9, -6), (-6, -9, -6)]
    table = final_table({"CSRO": progress_frames([rows, rows])}, 2, Reference(0.0, -20.0))
    np.testing.assert_allclose(_cell(table, "CSRO", "offline").finals, [-8.0, -8.0])


def test_a_table_row_prints_the_mean_and_the_sample_std_of_three_seeds(fast_intervals):
    """Table 1's "mean ± std" cell of seeds -4, -8, -14 is -8.67 ± 5.03 (std with ddof 1; ddof 0 would print 4.11, the
    median -8.00, one decimal 5.0)."""
    from rlkit.report import Reference
    from rlkit.reproduce.tables import final_table, table1_markdown

    ref = Reference(0.0, -20.0)
    table = final_table({"CSRO": progress_frames([(-4, -9, -6), (-8, -9, -6), (-14, -9, -6)])}, 1, ref)
    assert table1_markdown(table, ref)[2].startswith("| CSRO | offline context | -8.67 ± 5.03 | 0.567 | ")


def test_a_table_row_of_two_seeds_has_a_spread(fast_intervals):
    """Two seeds (-4, -8) print their std, a spread of 2.83, not "n/a (1 seed)", which would hide it."""
    from rlkit.report import Reference
    from rlkit.reproduce.tables import _cell, final_table, table1_markdown

    ref = Reference(0.0, -20.0)
    table = final_table({"CSRO": progress_frames([(-4, -9, -6), (-8, -9, -6)])}, 1, ref)
    assert _cell(table, "CSRO", "offline")["std"] == pytest.approx(np.sqrt(8.0))
    assert table1_markdown(table, ref)[2].startswith("| CSRO | offline context | -6.00 ± 2.83 | 0.700 | ")


def test_a_table_mean_return_of_three_seeds_is_their_mean_not_the_median(fast_intervals):
    """The "mean" return of seeds -4, -8, -14 is -26/3 (the median would be -8); two seeds, whose median is their mean,
    hid a median taken for the mean."""
    from rlkit.report import Reference
    from rlkit.reproduce.tables import _cell, final_table

    table = final_table(
        {"CSRO": progress_frames([(-4, -9, -6), (-8, -9, -6), (-14, -9, -6)])}, 1, Reference(0.0, -20.0)
    )
    assert _cell(table, "CSRO", "offline")["mean"] == pytest.approx(-26 / 3)


def test_a_table_iqm_interval_is_the_bootstraps_own_bounds(fast_intervals):
    """The cell holds exactly what `iqm_interval` gives for the seeds' scores, 0.8 and 0.6, its upper bound included:
    with the upper bound replaced by the IQM itself, the interval would never reach above the point."""
    from rlkit.report import Reference
    from rlkit.reproduce import tables

    c = tables._cell(
        tables.final_table({"CSRO": progress_frames([(-4, -9, -6), (-8, -9, -6)])}, 1, Reference(0.0, -20.0)),
        "CSRO",
        "offline",
    )
    iqm, lo, hi = tables.iqm_interval(np.array([0.8, 0.6]))
    assert (c.iqm, c.iqm_lo, c.iqm_hi) == pytest.approx((iqm, lo, hi)) and lo < iqm < hi


def test_a_table_gap_column_is_offline_minus_the_protocol(fast_intervals):
    """Table 1's "offline − this protocol" column is printed with that sign, not flipped: offline -4 and -8,
    online-prior -9 and -12: a loss of 4.50 (t-interval of 5 and 4: 4.5 ± 12.706 x 0.5), not -4.50."""
    from rlkit.report import Reference
    from rlkit.reproduce.tables import final_table, table1_markdown

    ref = Reference(0.0, -20.0)
    table = final_table({"CSRO": progress_frames([(-4, -9, -6), (-8, -12, -6)])}, 1, ref)
    online = table1_markdown(table, ref)[3]
    assert online.startswith("| CSRO | online, prior context | -10.50 ± 2.12 | 0.475 | ")
    assert online.endswith("| 4.50 [-1.85, 10.85] |")
    # the Np row's own: offline -4, -8 against Np -6, -6, losses 2 and -2 (0 ± 12.706 x 2), not online-prior's interval
    assert table1_markdown(table, ref)[4].endswith("| 0.00 [-25.41, 25.41] |")


def test_a_table_score_column_is_the_mean_score_beside_the_iqm(fast_intervals):
    """Table 1's score column prints the mean score, not the IQM: four seeds' scores 0.8, 0.6, 0.3, 0.9 have mean 0.650
    and IQM 0.700 (three seeds or fewer, whose IQM is their mean, hid the IQM printed in its place)."""
    from rlkit.report import Reference
    from rlkit.reproduce.tables import final_table, table1_markdown

    ref = Reference(0.0, -20.0)
    seeds = [(-4, -9, -6), (-8, -9, -6), (-14, -9, -6), (-2, -9, -6)]
    row = table1_markdown(final_table({"CSRO": progress_frames(seeds)}, 1, ref), ref)[2]
    assert row.startswith("| CSRO | offline context | -7.00 ± 5.29 | 0.650 | 0.700 [")


def test_a_table_reference_rows_give_the_top_and_random_returns(fast_intervals):
    """The top reference's row prints the top return, not the random one: score 1 is -4.00 here, score 0 -20.00."""
    from rlkit.report import Reference
    from rlkit.reproduce.tables import final_table, table1_markdown

    ref = Reference(-4.0, -20.0)
    lines = table1_markdown(final_table({"CSRO": progress_frames([(-4, -9, -6), (-8, -9, -6)])}, 1, ref), ref)
    assert lines[-2:] == ["| oracle (scripted) | | -4.00 | 1 | | |", "| uniform random | | -20.00 | 0 | | |"]


def test_a_table_of_the_ablation_names_each_cells_club_term_and_collection(fast_intervals):
    """Fig. 4's table says which cell has the CLUB term and which the Np collection from the cell's name;
    "both (CSRO, Np)" read as CLUB off, or the collections swapped, would mislabel the ablation."""
    from rlkit.report import Reference
    from rlkit.reproduce.tables import ablation, ablation_markdown, final_table

    runs = {
        "CSRO": progress_frames([(-5, -9, -6), (-5, -9, -8)]),
        "FOCAL": progress_frames([(-5, -15, -12), (-5, -13, -14)]),
    }
    lines = ablation_markdown(ablation(final_table(runs, 1, Reference(-4.0, -20.0))))
    cells = [[c.strip() for c in line.strip("|").split("|")][:3] for line in lines[2:]]
    assert cells == [
        ["off", "online prior", "-14.00 ± 1.41"],
        ["on", "online prior", "-9.00 ± 0.00"],
        ["off", "Np", "-13.00 ± 1.41"],
        ["on", "Np", "-7.00 ± 1.41"],
    ]


# ---- prose.py ------------------------------------------------------------------------------------------------
def test_a_baseline_whose_online_return_equals_its_offline_one_loses_nothing(fast_intervals):
    """Per-seed gaps of exactly 0 (online-prior return = offline return on every seed, Np different, so not
    context-blind): "loses 0.00", not "gains -0.00"; and, where no method has learned, its interval [0, 0] includes 0
    (not "excludes 0")."""
    from rlkit.report import Reference
    from rlkit.reproduce.prose import table1_paragraph
    from rlkit.reproduce.tables import final_table

    runs = {
        "CSRO": progress_frames([(-5, -9, -6), (-5, -9, -8)]),
        "FOCAL": progress_frames([(-6, -6, -12), (-7, -7, -14)]),
    }
    text = table1_paragraph(final_table(runs, 1, Reference(-4.0, -20.0)), {}, frozenset())
    assert "FOCAL loses 0.00 return from offline to online-prior context (95% CI of the loss [0.00, 0.00])" in text
    weak = table1_paragraph(final_table(runs, 1, Reference(100.0, -20.0)), {}, frozenset())  # every score < 0.2
    assert (
        "FOCAL loses 0.00 return from offline to online-prior context (95% CI of the loss [0.00, 0.00]): the "
        "interval includes 0, between weak policies (above)." in weak
    )


def test_a_baseline_with_the_same_offline_and_np_returns_is_not_called_context_blind(fast_intervals):
    """Context-blind compares all three protocols' returns, not the offline return with the Np one only: FOCAL at -5 and
    -6 offline and Np but -9 and -10 online-prior uses its context (it loses 4.00 to context shift, on both seeds), and
    is not written off as "not reproduced at this profile"."""
    from rlkit.report import Reference
    from rlkit.reproduce.prose import context_blind, table1_paragraph
    from rlkit.reproduce.tables import final_table

    runs = {
        "CSRO": progress_frames([(-5, -9, -6), (-5, -9, -8)]),
        "FOCAL": progress_frames([(-5, -9, -5), (-6, -10, -6)]),
    }
    table = final_table(runs, 1, Reference(-4.0, -20.0))
    assert not context_blind(table, "FOCAL")
    text = table1_paragraph(table, {}, frozenset())
    assert "FOCAL loses 4.00 return from offline to online-prior context" in text and "not reproduced" not in text


def test_doing_nothing_scoring_exactly_the_top_reference_makes_the_score_say_nothing(fast_intervals):
    """A zero-action score of exactly 1 (standing still as good as the top reference) is the scale that does not measure
    learning, as any score above 1 is."""
    from rlkit.report import Reference
    from rlkit.reproduce.prose import SCALE_PREFIX, not_learned_sentence
    from rlkit.reproduce.tables import final_table

    table = final_table({"CSRO": progress_frames([(-20, -22, -21), (-22, -23, -22)])}, 1, Reference(0.0, -100.0))
    assert not_learned_sentence(table, 1.0).startswith(SCALE_PREFIX + " at this profile**: doing nothing scores 1.000")


def test_a_context_blind_baseline_also_flagged_collapsed_is_said_to_be_context_blind(fast_intervals):
    """A method whose three protocols give the same return on every seed is context-blind, whatever the collapse flags
    say: its sentence sets its return beside the paper's, not a "gap" it does not have."""
    from rlkit.report import Reference
    from rlkit.reproduce.prose import table1_paragraph
    from rlkit.reproduce.tables import final_table

    runs = {
        "CSRO": progress_frames([(-5, -4, -6), (-5, -3, -6)]),
        "OFFPEARL": progress_frames([(-4.4, -4.4, -4.4), (-4.4, -4.4, -4.4)]),
    }
    text = table1_paragraph(
        final_table(runs, 1, Reference(-4.0, -20.0)), {"OFFPEARL": (-4.4, -17.8)}, frozenset({"OFFPEARL"})
    )
    assert "OFFPEARL's three protocols give the same return on every seed (-4.40 on average)" in text
    assert "OFFPEARL's z is flagged as collapsed" not in text


def test_csro_below_a_baseline_is_a_ranking_established_even_with_none_above():
    """CSRO firmly below BOREL and above no baseline is a ranking established: the paragraph says "below BOREL", not
    "not established", which it said whenever CSRO was above none, though its being below is established."""
    from rlkit.reproduce.prose import curves_paragraph

    text = curves_paragraph(_np_table({"CSRO": [-5.0, -6.0, -5.5], "BOREL": [-1.0, -2.1, -1.4]}))
    assert ": below BOREL. Against the baselines' own online protocol" in text
    assert "not established" not in text


def test_fig4_paragraph_is_not_the_papers_ordering_when_both_lies_below_one_half():
    """A 'both' cell (score 0.7) above the CLUB-only cell (0.5) but below the Np-only one (0.9) is not the paper's
    ordering neither < each half < both (max of the halves, not their min, must lie below 'both')."""
    from rlkit.reproduce.prose import ablation_paragraph

    def cell(finals):
        f = np.array(finals, dtype=float)
        return pd.Series({"score": (f / 10 + 1).mean(), "finals": f})

    text = ablation_paragraph(
        {
            "neither": cell([-9.0, -9.1, -8.9]),
            "CLUB only": cell([-5.0, -5.1, -4.9]),
            "Np only": cell([-1.0, -1.1, -0.9]),
            "both": cell([-3.0, -3.1, -2.9]),
        }
    )
    assert (
        "Mean normalised scores order the four cells as neither (0.100) < CLUB only (0.500) < both (0.700) < "
        "Np only (0.900). This is not the paper's ordering" in text
    )


# ---- document.py ---------------------------------------------------------------------------------------------
def _spread(frame, rows):
    """Set the z-spread columns of `frame` row by row: "alive" (spread measured, well above collapse), "dead"
    (collapsed) or "nan" (nothing to measure, as one task per meta-batch gives)."""
    from rlkit.logging import SPREAD_COLUMNS

    values = {"alive": (0.3, 3.0), "dead": (0.0, 0.0), "nan": (float("nan"), float("nan"))}
    frame[SPREAD_COLUMNS[0]] = [values[r][0] for r in rows]
    frame[SPREAD_COLUMNS[1]] = [values[r][1] for r in rows]
    return frame


def _report(tmp_path, monkeypatch, runs, ref, final_iterations=1):
    """`write_report`'s markdown for in-memory runs {method: [frame per seed 0, 1, ...]}, as
    test_the_reports_collapse_flags_go_by_seed_and_its_finals_by_the_profiles_window builds it."""
    from types import SimpleNamespace

    from rlkit.reproduce import document

    specs = [_spec(m, s, tmp_path / f"{m}{s}") for m in runs for s in range(len(runs[m]))]
    monkeypatch.setattr(document, "same_data", lambda specs: None)
    monkeypatch.setattr(document, "load_runs", lambda specs: runs)
    monkeypatch.setattr(document, "data_reference", lambda out_dir, data_dir=None: ref)
    monkeypatch.setattr(
        document, "profile", lambda env, name: SimpleNamespace(final_iterations=final_iterations, about="t")
    )
    monkeypatch.setattr(document, "code_sentence", lambda specs: "")
    monkeypatch.setattr(document, "config_sentence", lambda specs: None)
    return document.write_report("point-robot", "tiny", specs, tmp_path / "results", "cmd").read_text()


def _two_methods(first="alive", last="alive"):
    """CSRO and FOCAL, two seeds, two rows each (train steps 10 and 20), z spread `first` then `last` on every run."""
    rows = {
        "CSRO": [[(-9, -9, -9), (-5, -9, -6)], [(-9, -9, -9), (-5, -9, -8)]],
        "FOCAL": [[(-10, -15, -12), (-6, -15, -12)], [(-9, -13, -14), (-5, -13, -14)]],
    }
    return {m: [_spread(progress_frames([r])[0], [first, last]) for r in seeds] for m, seeds in rows.items()}


def test_a_report_names_the_runs_config_differences_but_not_their_own_seed(tmp_path):
    """A run whose variant.json differs from the profile's config only in its own seed is not listed as
    "of another config": listing every run but the config's own seed so (its seed differing from the profile's config)
    would bury the runs whose config really changed."""
    from rlkit.fileio import atomic_write_text
    from rlkit.reproduce.document import config_sentence
    from rlkit.reproduce.plan import run_specs

    specs = run_specs("point-robot", "tiny", ["CSRO"], [3, 4], tmp_path, 1, None, None)
    for s in specs:
        s.out_dir.mkdir(parents=True)
        made = dict(s.load_config().to_dict(), seed=s.seed)
        atomic_write_text(s.out_dir / "variant.json", json.dumps(made))
    assert config_sentence(specs) is None
    said = "Runs of another config than this profile's today, read as they were made (as made -> today): CSRO "
    for k, s in enumerate(specs):  # one run made with another discount, then both: one line per (method, change)
        made = json.loads((s.out_dir / "variant.json").read_text())
        made["algo_params"]["discount"] = 0.5
        atomic_write_text(s.out_dir / "variant.json", json.dumps(made))
        seeds = "seed 3" if k == 0 else "seeds 3, 4"
        assert config_sentence(specs) == f"{said}{seeds} (algo_params.discount: 0.5 -> 0.9)."


def test_a_report_counts_the_unmeasured_runs_at_their_last_row(tmp_path, monkeypatch, fast_intervals):
    """The runs "with no spread to measure" are counted at their last row, not their first: counted at the first, runs
    whose first row had no spread yet but whose last row measured it were said to have none."""
    from rlkit.report import Reference

    md = _report(tmp_path, monkeypatch, _two_methods(first="nan", last="alive"), Reference(-4.0, -20.0))
    assert "No run's z is flagged as collapsed at its last iteration" in md and "no spread to measure" not in md
    md = _report(tmp_path, monkeypatch, _two_methods(first="alive", last="nan"), Reference(-4.0, -20.0))
    assert "The guard measured nothing" in md


def test_a_report_flags_collapse_at_each_runs_last_row(tmp_path, monkeypatch, fast_intervals):
    """The report's collapse flags read each run's last row, not its first: read off the first, z collapsed at the start
    (as at the 3e-3 output init) but alive at the end was flagged on every seed, and the method's gaps dismissed."""
    from rlkit.report import Reference

    md = _report(tmp_path, monkeypatch, _two_methods(first="dead", last="alive"), Reference(-4.0, -20.0))
    assert "No run's z is flagged as collapsed at its last iteration" in md and "flagged as collapsed on" not in md
    md = _report(tmp_path, monkeypatch, _two_methods(first="alive", last="dead"), Reference(-4.0, -20.0))
    assert "- **FOCAL**, seeds 0, 1: z collapsed" in md


def test_a_report_gives_the_gradient_steps_of_the_runs_last_row(tmp_path, monkeypatch, fast_intervals):
    """The header's "gradient steps per run" is read off the last row (20), not the first (10)."""
    from rlkit.report import Reference

    md = _report(tmp_path, monkeypatch, _two_methods(), Reference(-4.0, -20.0))
    assert "; seeds [0, 1]; 20 gradient steps per run." in md


def test_a_report_of_runs_without_any_spread_says_the_guard_measured_nothing(tmp_path, monkeypatch, fast_intervals):
    """When no run has a spread to measure, the collapse section says the guard measured nothing; telling the number of
    methods as the number of runs, 4 unmeasured runs of 2 methods read "4 of the 2 runs had no spread" instead."""
    from rlkit.report import Reference

    md = _report(tmp_path, monkeypatch, _two_methods(first="nan", last="nan"), Reference(-4.0, -20.0))
    assert "The guard measured nothing" in md and "of the 2 runs" not in md


def test_a_report_of_runs_older_than_the_spread_columns_says_the_guard_measured_nothing(
    tmp_path, monkeypatch, fast_intervals
):
    """A progress.csv written before the z-spread columns existed has nothing the guard could measure: the report
    says so (and counts such runs beside measured ones), where it read the missing ratio as 0, a measured one, and
    said every run's z was measured well above collapse (`--report-only` on archived runs)."""
    from rlkit.report import Reference

    old = {m: [progress_frames([r])[0] for r in (rows[0], rows[1])] for m, rows in _OLD_ROWS.items()}
    md = _report(tmp_path, monkeypatch, old, Reference(-4.0, -20.0))
    assert "The guard measured nothing" in md and "No run's z is flagged" not in md
    mixed = {"CSRO": _two_methods()["CSRO"], "FOCAL": old["FOCAL"]}
    md = _report(tmp_path, monkeypatch, mixed, Reference(-4.0, -20.0))
    assert "on every run measured)" in md and "2 of the 4 runs had no spread to measure" in md


_OLD_ROWS = {  # two seeds of two rows each, written without the spread columns
    "CSRO": [[(-9, -9, -9), (-5, -9, -6)], [(-9, -9, -9), (-5, -9, -8)]],
    "FOCAL": [[(-10, -15, -12), (-6, -15, -12)], [(-9, -13, -14), (-5, -13, -14)]],
}


def _below_still(tmp_path, monkeypatch):
    """Every method above LEARNED_SCORE (CSRO 0.95, FOCAL 0.945 offline on the 0 .. -100 scale) but not above doing
    nothing (zero action's return -1: score 0.99)."""
    from rlkit.report import Reference

    rows = {
        "CSRO": [[(-9, -9, -9), (-5, -9, -6)], [(-9, -9, -9), (-5, -9, -8)]],
        "FOCAL": [[(-10, -15, -12), (-6, -15, -12)], [(-9, -13, -14), (-5, -13, -14)]],
    }
    runs = {m: [_spread(progress_frames([r])[0], ["alive", "alive"]) for r in seeds] for m, seeds in rows.items()}
    return _report(tmp_path, monkeypatch, runs, Reference(0.0, -100.0, still=-1.0))


def test_a_report_reads_table1s_verdict_against_the_zero_action_return(tmp_path, monkeypatch, fast_intervals):
    """The report's Table 1 paragraph is given the zero-action score: without it, policies no better than a body doing
    nothing were read as having learned (and their gaps as the paper's claims)."""
    md = _below_still(tmp_path, monkeypatch)
    para = md.split("## Table 1: context shift")[1].split("\n\n")[2]
    assert para.startswith("**No method has learned the tasks at this profile**: the best offline score is 0.950, not")


def test_a_reports_figure_paragraphs_end_in_the_caveat_when_nothing_beats_standing_still(
    tmp_path, monkeypatch, fast_intervals
):
    """Fig. 3's and Fig. 4's paragraphs must end in the not-learned caveat when the best policy is no better than doing
    nothing (the slips: the caveat computed without the zero-action score, or not passed to the curves or ablation
    paragraph)."""
    from rlkit.reproduce.prose import WEAK_CAVEAT

    md = _below_still(tmp_path, monkeypatch)
    curves = next(line for line in md.splitlines() if line.startswith("Final Np scores"))
    ablation = next(line for line in md.splitlines() if line.startswith("Mean normalised scores order"))
    assert curves.endswith(WEAK_CAVEAT) and ablation.endswith(WEAK_CAVEAT)


def test_a_reports_per_seed_returns_stay_in_seed_order(tmp_path, monkeypatch, fast_intervals):
    """The per-seed table gives the returns seed by seed under their seed's column, not sorted: CSRO's offline returns
    -5 (seed 0) and -9 (seed 1), FOCAL's Np returns -12 and -14."""
    from rlkit.report import Reference

    rows = {
        "CSRO": [[(-5, -9, -6)], [(-9, -9, -8)]],
        "FOCAL": [[(-10, -15, -12)], [(-9, -13, -14)]],
    }
    runs = {m: [_spread(progress_frames([r])[0], ["alive"]) for r in seeds] for m, seeds in rows.items()}
    md = _report(tmp_path, monkeypatch, runs, Reference(-4.0, -20.0))
    assert "| CSRO | offline context | -5.00 | -9.00 |" in md
    assert "| FOCAL | online, non-prior (Np) | -12.00 | -14.00 |" in md


# ---- figures.py ----------------------------------------------------------------------------------------------
def _curves_figure(tmp_path, monkeypatch):
    """Fig. 3 of CSRO (3 seeds) and FOCAL (2 seeds), two rows each at train steps 10 and 20, as drawn (the figure
    `plot_curves` saves, kept instead of written)."""
    from rlkit.report import Reference
    from rlkit.reproduce import figures

    saved = []
    monkeypatch.setattr(figures, "atomic_savefig", lambda fig, out, **kw: saved.append(fig))
    runs = {
        "CSRO": progress_frames([[(-4, -12, -8)] * 2, [(-4, -12, -12)] * 2, [(-4, -12, -10)] * 2]),
        "FOCAL": progress_frames([[(-6, -14, -10)] * 2, [(-6, -14, -12)] * 2]),
    }
    figures.plot_curves(runs, Reference(0.0, -20.0), tmp_path / "curves.png", "t")
    return saved[0]


def test_fig3_panels_are_titled_by_their_protocol_and_its_legend_counts_each_methods_seeds(tmp_path, monkeypatch):
    """Each panel is titled by its own protocol, not every one as the Np one, and the legend gives each method's seeds
    (CSRO 3, FOCAL 2), not the number of methods (2)."""
    fig = _curves_figure(tmp_path, monkeypatch)
    assert [ax.get_title() for ax in fig.axes] == ["online, non-prior (Np)", "online, prior context", "offline context"]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["CSRO (3 seeds)", "FOCAL (2 seeds)"]


def test_fig3_curves_run_over_gradient_steps_with_the_top_reference_at_score_1(tmp_path, monkeypatch):
    """The curves' x is the gradient steps (10, 20), not the row index (0, 1), and the dashed top-reference line is
    drawn at score 1, not at another score (the random one dotted at 0)."""
    fig = _curves_figure(tmp_path, monkeypatch)
    for ax in fig.axes:
        curves = [line for line in ax.lines if line.get_label().endswith("seeds)")]
        assert len(curves) == 2 and all(list(line.get_xdata()) == [10, 20] for line in curves)
        dashed = [list(line.get_ydata()) for line in ax.lines if line.get_linestyle() == "--"]
        dotted = [list(line.get_ydata()) for line in ax.lines if line.get_linestyle() == ":"]
        assert dashed == [[1.0, 1.0]] and dotted == [[0.0, 0.0]]


def test_fig3_says_its_scale_and_band(tmp_path, monkeypatch):
    """The y label gives the score's ends (random 0, the top reference 1) and the title the band drawn (the 95%
    interval), as the report's text reads them."""
    fig = _curves_figure(tmp_path, monkeypatch)
    assert fig.axes[0].get_ylabel() == "normalised score\n(random 0, oracle 1)"
    assert fig.get_suptitle() == "t: mean and 95% band over seeds"


def test_each_method_of_the_reproduction_trains_its_own_algo_type(tmp_path):
    """A method's row of the report is trained by its own learner: every method is the algo_type of its name except the
    two variants, FOCAL_REPLACE (FOCAL) and CORRO_STD (CORRO). A method run as another (the UNICORN_SUP row trained by
    UNICORN_SS's learner) would print that other method's numbers under its name."""
    want = {
        "CSRO": "CSRO",
        "FOCAL": "FOCAL",
        "FOCAL_REPLACE": "FOCAL",
        "OFFPEARL": "OFFPEARL",
        "CORRO": "CORRO",
        "UNICORN_SS": "UNICORN_SS",
        "UNICORN_SUP": "UNICORN_SUP",
        "BOREL": "BOREL",
        "CORRO_STD": "CORRO",
    }
    assert set(plan.METHODS) == set(want)
    for env in ("point-robot", "cheetah-vel"):
        specs = run_specs(env, "tiny", list(plan.METHODS), [0], tmp_path, 1, None, None)
        assert {s.method: s.load_config().algo_type for s in specs} == want, env


def test_a_tiny_profile_writes_its_own_data_folder_not_the_papers(tmp_path):
    """The tiny profile (seconds per run, "never for results") generates and reads ./offline_dataset/ENV-tiny: were it
    the paper profile's data_dir, `python -m rlkit.reproduce ENV --profile tiny` would write its 2-task toy data into
    (or train on) the folder the paper's runs use."""
    for env in ENVS:
        (tiny,) = run_specs(env, "tiny", ["CSRO"], [0], tmp_path, 1, None, None)
        (paper,) = run_specs(env, "paper", ["CSRO"], [0], tmp_path, 1, None, None)
        tiny_dir, paper_dir = tiny.load_config().algo_params.data_dir, paper.load_config().algo_params.data_dir
        assert tiny_dir != paper_dir, env
        if profiles(env)["tiny"].overrides:  # (point-robot's tiny is a file of its own: configs/test/...)
            assert tiny_dir == f"./offline_dataset/{env}-tiny", env


def test_the_demo_profile_averages_as_many_iterations_as_the_seeds_it_is_held_to():
    """`make demo` holds a demo run to docs/results/point-robot-demo-seeds.json, whose seeds are the mean of their last
    3 iterations; the demo profile's final return (its reproduction report) must average the same 3 iterations, and
    the profile runs the seeds' config. (That `rlkit.report --against` refuses another --last is checked by
    tests/test_report_plot.py::test_report_against_seeds_refuses_a_last_below_theirs_too.)"""
    spread = read_spread(ROOT / "docs" / "results" / "point-robot-demo-seeds.json")
    assert spread["last"] == 3
    assert profile("point-robot", "demo").final_iterations == spread["last"]
    assert spread["config"] == profile("point-robot", "demo").config


def test_data_dir_given_to_the_reproduction_wins_over_the_profiles_own(tmp_path):
    """A run's config is the profile's file, then the profile's overrides, then the command's (its method, exp_name, out
    and --data_dir), each over the one before. The tiny profile of cheetah-vel names its own data_dir; --data_dir must
    still be the folder the runs train on."""
    data = tmp_path / "my_data"
    for method in ("CSRO", "FOCAL_REPLACE"):
        (spec,) = run_specs("cheetah-vel", "tiny", [method], [0], tmp_path / "out", 1, None, data)
        cfg = spec.load_config()
        assert cfg.algo_params.data_dir == str(data), method
        assert cfg.util_params.exp_name == f"tiny-{method}" and cfg.util_params.base_log_dir == str(tmp_path / "out")


def test_one_plans_data_dir_does_not_leak_into_the_next_plan(tmp_path):
    """The plan's overrides for a method are its own copy: without one, a method with settings of its own
    (FOCAL_REPLACE, CORRO_STD), planned once with --data_dir X, kept X in METHOD_SETTINGS, and a later plan without
    --data_dir trained it on X instead of the profile's data (and the methods' table said X)."""
    before = copy.deepcopy(METHOD_SETTINGS)
    run_specs("point-robot", "tiny", ["FOCAL_REPLACE", "CORRO_STD"], [0], tmp_path, 1, None, tmp_path / "elsewhere")
    assert METHOD_SETTINGS == before
    for spec in run_specs("point-robot", "tiny", ["FOCAL_REPLACE", "CORRO_STD"], [0], tmp_path, 1, None, None):
        assert spec.load_config().algo_params.data_dir == "./offline_dataset/point-robot-tiny", spec.method


def test_a_plan_made_from_another_folder_loads_the_repositorys_config(tmp_path, monkeypatch):
    """A run's config file is named by its path in the repository, so that the command works from any folder (the README
    runs it from the checkout, a cluster job from its own)."""
    monkeypatch.chdir(tmp_path)
    (spec,) = run_specs("point-robot", "demo", ["CSRO"], [0], tmp_path, 1, None, None)
    assert Path(spec.config) == ROOT / "configs" / "demo" / "point-robot.json"
    assert spec.load_config().env_name == "point-robot"


def test_train_one_trains_its_runs_seed_on_its_device_and_threads_appending_to_its_console_log(tmp_path, monkeypatch):
    """`train_one` (what each job runs) prepares the run with its own seed (a seed-1 folder trained as seed 0 repeats
    seed 0's numbers), on the device its --gpu names, with the torch threads the plan gave it (cores / jobs: more
    oversubscribe the cores), and appends to OUT_DIR/console.log: a resumed run keeps the log of its first part."""
    import rlkit.reproduce.plan as plan
    from tests.test_graphs import _mock_cuda

    seen = {}

    class Trainer:
        def __init__(self, setup, show_progress=True):
            seen["setup"], seen["show_progress"] = setup, show_progress

        def run(self):
            seen["threads"] = torch.get_num_threads()
            print("the second part")

    monkeypatch.setattr(rlkit.experiment, "prepare", lambda cfg, seed, device: ("setup", cfg.env_name, seed, device))
    monkeypatch.setattr(rlkit.experiment, "MetaTrainer", Trainer)
    _mock_cuda(monkeypatch, 2)  # (CUDA mocked as in tests/test_graphs.py: nothing runs on it)
    (spec,) = plan.run_specs("point-robot", "tiny", ["CSRO"], [3], tmp_path, 2, 1, None)
    spec.out_dir.mkdir(parents=True)
    (spec.out_dir / "console.log").write_text("the first part\n")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        line = plan.train_one(spec)
    finally:
        torch.set_num_threads(threads)
    assert seen == {
        "setup": ("setup", "point-robot", 3, torch.device("cuda:1")),
        "show_progress": False,
        "threads": 2,
    }
    assert (spec.out_dir / "console.log").read_text() == "the first part\nthe second part\n"
    assert line == f"CSRO seed 3: finished -> {spec.out_dir}"


def test_the_cost_estimate_leaves_this_processs_torch_threads_as_they_were(tmp_path, monkeypatch):
    """`budget_lines` times each method's step on the runs' threads (2 here), then sets torch's threads back: the
    command goes on to stage 1 and the runs on the threads it chose, not the estimate's."""
    timed_on = []
    monkeypatch.setattr(rlkit.budget, "timed_steps", lambda cfg: timed_on.append(torch.get_num_threads()) or (1.0, []))
    monkeypatch.setattr(rlkit.budget, "usable_cores", lambda: 2)
    monkeypatch.setattr(rlkit.torch.flops, "MatmulProbe", lambda: lambda: 1e11)  # (fast: no throughput probe)
    budget = SimpleNamespace(summary=lambda: "1 GFLOP", left_after=lambda steps, t, cs: 60.0, step_flops=1e9, stages=[])
    monkeypatch.setattr(rlkit.budget, "training_budget", lambda cfg: budget)  # (fast: no FLOP count)
    specs = run_specs("point-robot", "tiny", ["FOCAL"], [0], tmp_path, 2, None, None)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        lines = budget_lines(specs, specs, 1, "cpu")
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(threads)
    assert timed_on == [2] and "steps timed here on 2 thread(s)" in lines[-1]
    assert after == 1


def test_a_finished_folder_that_lost_its_last_snapshot_gets_it_back_from_latest_pt(tmp_path):
    """A finished run (2 of the tiny profile's 2 iterations) killed between writing latest.pt and its last snapshot is
    not resumed again, so the plan's check of it (`iterations_of`) restores that snapshot (snapshots/itr_1.pt, Epoch 1,
    snapshot_gap 1) as a copy of latest.pt. Why it matters: show_path.py --itr N (`rlkit.show.find_snapshot`) loads
    snapshots/itr_N.pt: without the restored snapshot its `--itr 1` would be refused as not found."""
    (spec,) = run_specs("point-robot", "tiny", ["CSRO"], [0], tmp_path, 1, None, None)
    _fake_run_folder(spec.out_dir, dict(spec.load_config().to_dict(), seed=0), 2)
    assert iterations_of(spec) == (2, 2, True)
    snapshot = spec.out_dir / "snapshots" / "itr_1.pt"
    assert snapshot.is_file() and snapshot.read_bytes() == (spec.out_dir / "latest.pt").read_bytes()


def test_a_run_that_fails_on_our_side_is_returned_as_a_failure_by_the_one_job_loop(capsys, monkeypatch, tmp_path):
    """`train_all` with one job (in this process) returns the line of each run that failed with a UserError (diverged,
    bad data) after training the others: the command raises on it (exit 1, one line), so that no report is written
    without that run. (tests/test_reproduce.py's test of this is marked slow for its two-job case; this one needs no
    process.) The command runs here with stage 1, the cost lines and the folder checks stood in for."""
    import rlkit.behaviour
    import rlkit.reproduce.__main__ as entry
    from rlkit.cli import run_cli as run_command

    def train(spec):
        if spec.seed == 1:
            raise UserError("training diverged at iteration 3")
        return f"{spec.method} seed {spec.seed}: finished"

    todo = [SimpleNamespace(method="CSRO", seed=s) for s in range(3)]
    assert train_all(todo, 1, train=train) == ["CSRO seed 1: training diverged at iteration 3"]
    assert capsys.readouterr().out.splitlines() == [
        "CSRO seed 0: finished",
        "CSRO seed 1: FAILED (training diverged at iteration 3)",
        "CSRO seed 2: finished",
    ]
    reports = []
    monkeypatch.setattr(entry, "iterations_of", lambda spec, as_made=False: (0, 2, False))
    monkeypatch.setattr(entry, "budget_lines", lambda *a, **k: [])
    monkeypatch.setattr(rlkit.behaviour, "generate_dataset", lambda *a, **k: None)
    monkeypatch.setattr(entry, "train_all", lambda todo, jobs: train_all(todo, jobs, train=train))
    monkeypatch.setattr(entry, "write_report", lambda *a: reports.append(a) or tmp_path / "r.md")

    def reproduce(seeds: str) -> int:
        threads = torch.get_num_threads()
        try:
            with pytest.raises(SystemExit) as exit_:
                run_command(
                    entry.main,
                    ["point-robot", "--profile", "tiny", "--seeds", seeds, "--methods", "CSRO", "--gpu", "-1",
                     "--threads", "1", "--out", str(tmp_path / "runs"), "--results", str(tmp_path / "results")],
                )  # fmt: skip
        finally:
            torch.set_num_threads(threads)
        return exit_.value.code

    assert reproduce("0,1,2") == 1 and reports == []
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: 1 of 3 runs failed (CSRO seed 1: training diverged at iteration 3); the others are trained and kept, "
        "no report is written, and rerunning the command resumes"
    ]
    # every run failed alike (damaged data fails each): the exit code one run alone gives, not 1
    for error, code in ((UserError("'step200.npz' has observation size (1,)"), 2), (DivergedError("diverged"), 3)):

        def train(spec, error=error):
            raise error

        assert reproduce("0,1") == code and reports == []
        assert capsys.readouterr().err.startswith(f"error: 2 of 2 runs failed (CSRO seed 0: {error}); no report is")


def test_borel_at_the_cheetah_cpu_profile_has_the_vae_sizes_the_profile_was_measured_at(tmp_path):
    """docs/results/cheetah-vel-cpu-profile.md ("BOREL at this profile needed a cheaper VAE step") gives BOREL, and only
    BOREL, borel_vae_tasks 4 (BOReL's cheetah value) and borel_elbo_terms 10: the 0.2 s VAE step and the profile's
    "about 3 hours with CORRO and BOREL" are measured at those sizes."""
    specs = {s.method: s for s in run_specs("cheetah-vel", "cpu", ["BOREL", "CSRO"], [0], tmp_path, 1, None, None)}
    borel = specs["BOREL"].load_config().algo_params
    assert (borel.borel_vae_tasks, borel.borel_elbo_terms) == (4, 10)
    assert specs["CSRO"].profile_overrides.get("algo_params", {}) == {}  # (BOREL's sizes only)


def test_a_report_refuses_a_run_with_a_row_missing_a_meta_test_return(tmp_path):
    """`load_runs` reads only runs that meta-tested every iteration: a run whose last row lacks its Np return (a run
    trained with allow_eval false, or a damaged row) is refused, not averaged over fewer rows."""

    specs = []
    for seed in range(2):
        out = tmp_path / f"seed{seed}"
        out.mkdir()
        frame = pd.DataFrame({TRAIN_STEPS: [10, 20]})
        for col in RETURN_COLUMNS.values():
            frame[col] = [-6.0, -5.0]
        if seed == 1:
            frame.loc[1, RETURN_COLUMNS["np"]] = np.nan
        frame.to_csv(out / "progress.csv", index=False, na_rep="nan")
        specs.append(SimpleNamespace(method="CSRO", seed=seed, out_dir=out))
    assert [len(f) for f in load_runs(specs[:1])["CSRO"]] == [2]
    with pytest.raises(UserError, match=r"has 1 progress row\(s\) without all three meta-test returns"):
        load_runs(specs)


def test_table1_lists_a_zero_action_return_of_exactly_zero(fast_intervals):
    """A zero-action return of exactly 0.0 (a sparse reward that a body doing nothing never earns) is a known return,
    not a missing one: Table 1 still lists it, at score (0 - -10) / (10 - -10) = 0.500."""
    ref = Reference(oracle=10.0, random=-10.0, still=0.0)
    lines = table1_markdown(final_table({"CSRO": progress_frames([(4, 2, 3), (6, 2, 3)])}, 1, ref), ref)
    assert lines[-1] == f"| {STILL} | | 0.00 | 0.500 | | |"


def _fixed_iqm(monkeypatch, iqm=0.123, lo=0.1, hi=0.2):
    """Every cell's IQM interval fixed at (iqm, lo, hi): a value unlike any mean score, so a cell that prints the
    mean score where it should print the IQM (or the reverse) shows."""
    monkeypatch.setattr(tables, "iqm_interval", lambda scores: (iqm, lo, hi))


def test_table2s_brackets_hold_each_cells_iqm_score_not_its_mean_score(monkeypatch, fast_intervals):
    """Table 2's cells are "return (IQM score [95% CI])": with the IQM fixed at 0.123, FOCAL's online-prior cell
    (returns -15, -13) is "-14.00 (0.123 [0.100, 0.200])", not its mean score 0.300."""
    _fixed_iqm(monkeypatch)
    runs = {
        "CSRO": progress_frames([(-5, -9, -6), (-5, -9, -8)]),
        "FOCAL": progress_frames([(-5, -15, -12), (-5, -13, -14)]),
    }
    lines = table2_markdown(final_table(runs, 1, Reference(0.0, -20.0)))
    assert lines[2] == (
        "| FOCAL | -14.00 (0.123 [0.100, 0.200]) | -13.00 (0.123 [0.100, 0.200]) | -7.00 (0.123 [0.100, 0.200]) |"
    )


def test_the_ablation_table_prints_the_mean_score_beside_the_iqm(monkeypatch, fast_intervals):
    """Fig. 4's table has a score column (the mean of the seeds' scores) and an IQM column: CSRO's Np cell (returns -6
    and -8 on the 0 .. -20 scale: scores 0.7 and 0.6) reads 0.650 | 0.123 [0.100, 0.200] with the IQM fixed at 0.123,
    not the IQM twice."""
    _fixed_iqm(monkeypatch)
    runs = {
        "CSRO": progress_frames([(-5, -9, -6), (-5, -9, -8)]),
        "FOCAL": progress_frames([(-5, -15, -12), (-5, -13, -14)]),
    }
    lines = ablation_markdown(ablation(final_table(runs, 1, Reference(0.0, -20.0))))
    assert lines[-1] == "| on | Np | -7.00 ± 1.41 | 0.650 | 0.123 [0.100, 0.200] |"
    assert lines[2] == "| off | online prior | -14.00 ± 1.41 | 0.300 | 0.123 [0.100, 0.200] |"


def test_the_ablation_needs_both_csro_and_focal_runs(fast_intervals):
    """Fig. 4 is built from CSRO (CLUB on) and FOCAL (CLUB off): a report of CSRO and BOREL alone has no ablation (None,
    the section left out), where requiring only one of the two looked FOCAL's cells up and crashed the report."""
    runs = {
        "CSRO": progress_frames([(-5, -9, -6), (-5, -9, -8)]),
        "BOREL": progress_frames([(-5, -15, -12), (-5, -13, -14)]),
    }
    assert ablation(final_table(runs, 1, Reference(0.0, -20.0))) is None


def test_a_reports_header_gives_the_top_return_and_the_bootstrap_caveat_of_its_seed_count(
    tmp_path, monkeypatch, fast_intervals
):
    """The header's score scale names the top reference's return (-4.00, not the random one -20.00 twice), and its
    bootstrap caveat counts the seeds (2: "far less than 95%"), not the runs (2 methods x 2 seeds = 4:
    "less than 95%")."""
    md = _report(tmp_path, monkeypatch, _two_methods(), Reference(-4.0, -20.0))
    assert (
        "with R_top the oracle (scripted) (-4.00) and R_random the uniform-random return (-20.00), both on the "
        "held-out tasks. Intervals: IQM with rliable's 95% stratified bootstrap (shown; with 2 seeds it covers far "
        "less than 95%)" in md
    )


def test_a_report_sets_the_papers_row_of_its_env_beside_table1(tmp_path, monkeypatch, fast_intervals):
    """The paper's Table 1 row is looked up by the env (point-robot: FOCAL -4.4 offline vs -14.9 online), not by the
    profile's name ("tiny", which has no row)."""
    md = _report(tmp_path, monkeypatch, _two_methods(), Reference(-4.0, -20.0))
    assert (
        "The paper's point-robot row: FOCAL -4.4 offline vs -14.9 online, OFFPEARL -5.1 offline vs -17.8 online" in md
    )
    assert "has no row of the paper's Table 1" not in md


def test_writing_a_report_refuses_runs_trained_on_different_data(tmp_path, monkeypatch, fast_intervals):
    """`write_report` checks that every run was trained on the same data before it reads them: runs of two datasets
    (digests a... and b...) are refused with the one-line reason, not set in one table."""

    runs = _two_methods()
    specs = []
    for m in runs:
        for seed in range(2):
            out = tmp_path / f"{m}{seed}"
            out.mkdir()
            (out / "dataset.json").write_text(json.dumps({"digest": ("a" if m == "CSRO" else "b") * 24}))
            specs.append(_spec(m, seed, out))
    monkeypatch.setattr(document, "load_runs", lambda specs: runs)
    monkeypatch.setattr(document, "data_reference", lambda out_dir, data_dir=None: Reference(-4.0, -20.0))
    monkeypatch.setattr(document, "profile", lambda env, name: SimpleNamespace(final_iterations=1, about="t"))
    monkeypatch.setattr(document, "code_sentence", lambda specs: "")
    monkeypatch.setattr(document, "config_sentence", lambda specs: None)
    with pytest.raises(
        UserError, match=r"^the runs were trained on different data \(CSRO seed 0, CSRO seed 1 on data "
    ):
        document.write_report("point-robot", "tiny", specs, tmp_path / "results", "cmd")
    assert not (tmp_path / "results").exists()


def test_a_reports_per_seed_table_has_a_separator_cell_per_column(tmp_path, monkeypatch, fast_intervals):
    """The per-seed table's markdown separator has a cell for each of its columns (method, protocol and one per seed):
    with seeds 0 and 1, "|---|---|---|---|" (one short and the table does not render)."""
    md = _report(tmp_path, monkeypatch, _two_methods(), Reference(-4.0, -20.0))
    lines = md.split("## Per-seed final returns\n\n")[1].splitlines()
    assert lines[:2] == ["| method | protocol | seed 0 | seed 1 |", "|---|---|---|---|"]


class _InlinePool:
    """A `ProcessPoolExecutor` stand-in that runs each submitted call at once in this process (no worker to start):
    `train_all`'s several-jobs loop over futures already done."""

    def __init__(self, **kwargs):
        pass

    def submit(self, fn, *args):
        import concurrent.futures

        future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args))
        except BaseException as e:  # (as a worker's exception reaches its future)
            future.set_exception(e)
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def test_a_bug_in_a_workers_run_is_raised_not_counted_as_a_failed_run(monkeypatch, capsys):
    """Only our side's failures (a UserError: diverged, bad data) are a run's FAILED line with the others trained on;
    any other exception from a worker is a bug, raised with its traceback, not printed as one more failed run."""
    import rlkit.reproduce.__main__ as entry

    def train(spec):
        if spec.seed == 1:
            raise RuntimeError("index 7 is out of bounds")
        return f"{spec.method} seed {spec.seed}: finished"

    monkeypatch.setattr(entry, "ProcessPoolExecutor", _InlinePool)
    todo = [SimpleNamespace(method="CSRO", seed=s) for s in range(3)]
    with pytest.raises(RuntimeError, match="index 7 is out of bounds"):
        train_all(todo, 2, train=train)
    assert "FAILED" not in capsys.readouterr().out


def test_a_report_is_replaced_whole_so_an_open_reader_sees_the_old_one(tmp_path, monkeypatch, fast_intervals):
    """The report is written atomically (a new file renamed over the old): a reader that opened the previous report
    (an editor, a web server) reads it whole, and a kill mid-write leaves it rather than a cut file."""
    from rlkit.report import Reference

    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "point-robot-tiny.md").write_text("the previous report\n")
    with open(tmp_path / "results" / "point-robot-tiny.md") as reader:
        md = _report(tmp_path, monkeypatch, _two_methods(), Reference(-4.0, -20.0))
        assert reader.read() == "the previous report\n"
    assert md.startswith("# point-robot, tiny profile")


def test_runs_of_the_same_versions_recorded_in_another_order_were_trained_by_one_code(tmp_path):
    """A code.json's versions are an object: two runs of the same packages, written in another key order, were trained
    by one code, named once with its packages sorted."""
    from rlkit.reproduce.document import code_sentence

    specs = []
    for seed, versions in enumerate(({"torch": "2.13.0", "numpy": "2.1.0"}, {"numpy": "2.1.0", "torch": "2.13.0"})):
        out = tmp_path / f"CSRO-{seed}"
        out.mkdir()
        entry = {"from_iteration": 0, "revision": "abc", "versions": versions}
        (out / "code.json").write_text(json.dumps({"trained_with": [entry]}))
        specs.append(SimpleNamespace(method="CSRO", seed=seed, out_dir=out))
    assert code_sentence(specs) == "Every run was trained by git abc (numpy 2.1.0, torch 2.13.0)."


def test_a_cost_estimate_under_an_hour_and_a_half_is_given_in_minutes(tmp_path, monkeypatch):
    """The estimate is in minutes up to 90 of them, in hours from there: runs of 4,500 s of steps are "75 min", of
    5,399 s "90 min", of 5,400 s (90 min exactly) "1.5 h", of 6,000 s "1.7 h" (the budget, the timed step and the
    schedule stood in for: only the wording is read here)."""
    import rlkit.budget

    budget = SimpleNamespace(summary=lambda: "b", left_after=lambda *a: 1.0, step_flops=1e9, stages=[])
    monkeypatch.setattr(rlkit.budget, "training_budget", lambda cfg: budget)
    monkeypatch.setattr(rlkit.budget, "timed_steps", lambda cfg: (0.001, []))
    monkeypatch.setattr(rlkit.budget, "usable_cores", lambda: 2)
    monkeypatch.setattr(rlkit.torch.flops, "MatmulProbe", lambda: lambda: 1e9)
    specs = run_specs("point-robot", "tiny", ["CSRO"], [0], tmp_path, 1, None, None)
    for seconds, said in ((4500.0, "75 min"), (5399.0, "90 min"), (5400.0, "1.5 h"), (6000.0, "1.7 h")):
        monkeypatch.setattr(rlkit.budget, "makespan", lambda left, slots, s=seconds: s)
        line = budget_lines(specs, specs, 1, "cpu")[-1]
        assert f"so the 1 run(s) to train need about {said} of training steps at 1 job(s)" in line, line


def test_the_profiles_of_an_unknown_env_are_one_line_listing_the_envs():
    """`profiles` and `profile` (which benchmarks/paper_cost.py calls too) refuse an env they do not know with the
    one-line error listing the known ones, not a KeyError traceback."""
    for call in (lambda: profiles("cheetah-slow"), lambda: profile("cheetah-slow", "tiny")):
        with pytest.raises(UserError, match=r"^unknown env 'cheetah-slow': expected one of \['point-robot', "):
            call()
