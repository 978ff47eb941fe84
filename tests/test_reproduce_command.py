"""What `python -m rlkit.reproduce` plans to train, in which order, and what its report says made it.

The command runs in-process with its heavy parts stood in for: stage 1 (`generate`), the cost lines, training
(`train_all`, which records the runs it is given) and the report (`write_report`, which records the command line);
each run's folder state comes from a table (iterations done of 10)."""

from __future__ import annotations

import pytest
import torch

import rlkit.behaviour
import rlkit.reproduce.__main__ as entry
from rlkit.cli import run_cli as run_command

N = 10  # iterations of every run here


def _reproduce(
    monkeypatch, tmp_path, args: list[str], done: dict | None = None, profile: tuple = ("--profile", "tiny")
) -> dict:
    """Run the command on point-robot (`profile`: its tiny profile; () for none given); `done`: iterations done per
    (method, seed), default 0. Returns the runs handed to training (`todo`), the report's command line and profile."""
    seen: dict = {}
    done = done or {}
    monkeypatch.setattr(
        entry, "iterations_of", lambda spec, as_made=False: (done.get((spec.method, spec.seed), 0), N, False)
    )
    monkeypatch.setattr(entry, "budget_lines", lambda *a, **k: [])
    monkeypatch.setattr(rlkit.behaviour, "generate", lambda *a, **k: None)
    monkeypatch.setattr(
        entry, "train_all", lambda todo, jobs: seen.setdefault("todo", [(s.method, s.seed) for s in todo]) and []
    )
    monkeypatch.setattr(
        entry,
        "write_report",
        lambda env, prof, specs, results, command: seen.update(command=command, profile=prof) or results / "r.md",
    )
    threads = torch.get_num_threads()
    try:
        run_command(
            entry.main,
            [
                "point-robot",
                *profile,
                "--gpu",
                "-1",
                "--threads",
                "1",
                "--out",
                str(tmp_path / "runs"),
                "--results",
                str(tmp_path / "results"),
                *args,
            ],
        )
    finally:
        torch.set_num_threads(threads)
    return seen


def test_stopped_runs_are_resumed_and_the_runs_go_seed_by_seed(monkeypatch, tmp_path):
    """Mutations R05 and R02. R05: only runs in state "new" were trained (`state == "new"` for `!= "finished"`), so a
    reproduction stopped part-way never finished its stopped runs, and the report was written without them.
    R02: the order was method-major; the command's comment and README promise seed-major, so that a reproduction
    stopped part-way has every method on its first seeds (a comparable table), not some methods on every seed.
    By hand: CSRO precedes FOCAL in the METHODS table; seeds go 0, 1 whatever order --seeds gives them in."""
    done = {("CSRO", 0): N, ("FOCAL", 0): 4, ("CSRO", 1): 7, ("FOCAL", 1): 0}
    seen = _reproduce(monkeypatch, tmp_path, ["--seeds", "1,0", "--methods", "FOCAL,CSRO"], done)
    assert seen["todo"] == [("FOCAL", 0), ("CSRO", 1), ("FOCAL", 1)]


def test_a_seed_given_twice_is_one_run(monkeypatch, tmp_path):
    """Mutation R04: `--seeds 0,0,1` kept the repeated seed, planning CSRO seed 0 twice: one run folder trained by
    two runs (two jobs racing for its lock) and its returns counted twice in the report's mean and spread."""
    seen = _reproduce(monkeypatch, tmp_path, ["--seeds", "0,0,1", "--methods", "CSRO"])
    assert seen["todo"] == [("CSRO", 0), ("CSRO", 1)]


def test_the_reports_command_line_names_the_data_the_runs_trained_on(monkeypatch, tmp_path):
    """Mutation R03: the report's "Made by" command left out --data_dir. Rerun from the report, it trains on the
    profile's default data, not the data the report's numbers came from; every option that says where things are
    (--out, --results, --data_dir) must be in it."""
    data = tmp_path / "my_data"
    seen = _reproduce(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO", "--data_dir", str(data)])
    command = seen["command"]
    assert command.startswith("python -m rlkit.reproduce point-robot --profile tiny --seeds 0 --methods CSRO")
    for option, value in [("--out", tmp_path / "runs"), ("--results", tmp_path / "results"), ("--data_dir", data)]:
        assert f" {option} {value}" in command, command


@pytest.mark.parametrize("jobs", ["0", "-2"])
def test_jobs_below_one_is_one_line_and_trains_nothing(monkeypatch, tmp_path, capsys, jobs):
    """Mutation R01: `jobs < 0` for `jobs < 1`. --jobs 0 then went on (stage 1 generated, then a traceback: the cores
    divided by zero jobs, or the process pool's own ValueError with --threads); a count of runs trained at once is
    >= 1, refused in one line, exit 2, before anything runs."""
    with pytest.raises(SystemExit) as exit_:
        _reproduce(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO", "--jobs", jobs])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and err == [f"error: --jobs {jobs}: expected >= 1"]


def test_without_profile_the_command_runs_the_envs_default_profile(monkeypatch, tmp_path, capsys):
    """Mutation R08: the command's default profile was fixed to `paper`. `python -m rlkit.reproduce point-robot`
    (no --profile) would then plan the reference's full-length runs instead of point-robot's
    CPU-sized `demo` results profile, and write its report under another name; `--profile`'s help: "default: its
    CPU-sized results profile where it has one, else paper"."""
    seen = _reproduce(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO"], profile=())
    assert seen["profile"] == "demo" and "--profile demo" in seen["command"]
    assert "reproduce point-robot --profile demo:" in capsys.readouterr().out
