"""The benchmarks' own command lines: a count of 0 timed nothing and divided by zero; now refused up front."""

import importlib.util
import sys

import click
import pytest

from tests.conftest import ROOT


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "name,args",
    [
        ("meta_train_speed", ["--steps", "0"]),
        ("meta_train_speed", ["--batch", "x"]),
        ("meta_train_speed", ["--naive_steps", "-1"]),
        ("scale_out", ["--rounds", "0"]),
        ("scale_out", ["--tasks", "0"]),
    ],
)
def test_argparse_benchmarks_refuse_counts_below_one(name, args, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [f"{name}.py", *args])
    with pytest.raises(SystemExit) as exit_:
        _module(name).main()
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and f"error: argument {args[0]}: " in err[-1], err
    assert "expected >= 1" in err[-1] or "is not a whole number" in err[-1]


@pytest.mark.parametrize(
    "name,option",
    [
        ("behaviour_sac_speed", "--updates"),
        ("behaviour_sac_speed", "--threads"),
        ("env_speed", "--steps"),
        ("env_speed", "--rounds"),
        ("paper_cost", "--reps"),
        ("dataset_load", "--rounds"),
    ],
)
def test_click_benchmarks_refuse_counts_below_one(name, option):
    command = _module(name).main
    with pytest.raises(click.BadParameter, match="0 is not in the range"):
        command.main(args=[option, "0"], standalone_mode=False)
