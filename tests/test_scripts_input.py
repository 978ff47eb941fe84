"""The scripts' own command lines: bad input (a missing report, a folder, a count of 0, a NaN margin) is one line on
stderr and exit 2, not a traceback; a report re-read with --write is replaced whole (atomically)."""

import os
import shutil
import sys

import pytest

from tests.conftest import ROOT, load_file


def _module(name: str):
    return load_file(f"scripts/{name}.py", f"script_{name}")


def _refused(main, argv: list[str], monkeypatch, capsys) -> str:
    """Run a script's `main()` as `python SCRIPT argv`; it must exit 2 with one line on stderr, returned (argparse's
    error too: its usage before it was dropped, `rlkit.cli.argument_parser`)."""
    monkeypatch.setattr(sys, "argv", ["script.py", *argv])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2, (exit_.value.code, err)
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


@pytest.mark.parametrize("what", ["missing", "folder", "not-a-report"])
def test_reread_report_prose_refuses_what_is_not_a_report_in_one_line(what, tmp_path, monkeypatch, capsys):
    path = {"missing": tmp_path / "no-such.md", "folder": tmp_path}.get(what, tmp_path / "notes.md")
    if what == "not-a-report":
        path.write_text("# notes\n\nno tables here\n")
    line = _refused(_module("reread_report_prose").main, [str(path)], monkeypatch, capsys)
    assert line.startswith(f"error: {str(path)!r} ") and "expected a report of rlkit.reproduce" in line, line


def test_reread_report_prose_write_replaces_the_report_whole(tmp_path, monkeypatch, capsys):
    """--write goes through a temporary file renamed into place: the report is a new file (another inode), so a
    reader or a killed run never sees half of it."""
    report = tmp_path / "point-robot-demo.md"
    shutil.copy(ROOT / "docs" / "results" / "point-robot-demo.md", report)
    before = report.stat().st_ino
    reread = _module("reread_report_prose")
    monkeypatch.setattr(sys, "argv", ["reread_report_prose.py", str(report), "--write"])
    reread.main()
    assert report.stat().st_ino != before
    assert report.read_text().splitlines() == reread.reread(report, reread.pd.Timestamp.now().strftime("%Y-%m-%d"))
    assert list(tmp_path.iterdir()) == [report]  # no temporary file left


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--every", "0"], "argument --every: 0: expected >= 1"),
        (["--steps", "0"], "argument --steps: 0: expected >= 1"),
        (["--cvae-steps", "0", "--negatives", "generative"], "argument --cvae-steps: 0: expected >= 1"),
        (["--every", "x"], "argument --every: 'x' is not a whole number"),
    ],
    ids=["every", "steps", "cvae-steps", "not-a-number"],
)
def test_corro_encoder_probe_refuses_a_count_below_one(args, expected, tmp_path, monkeypatch, capsys):
    """`--every 0` divided by zero and `--cvae-steps 0` left the CVAE's loss unset; both come before any training
    (the config named does not exist: had the count passed, its one-line error would be the one seen)."""
    line = _refused(_module("corro_encoder_probe").main, [str(tmp_path / "c.json"), *args], monkeypatch, capsys)
    assert line.endswith(expected), line


def test_corro_encoder_probe_names_a_missing_config_in_one_line(tmp_path, monkeypatch, capsys):
    config = tmp_path / "no-such.json"
    line = _refused(_module("corro_encoder_probe").main, [str(config)], monkeypatch, capsys)
    assert line.startswith("error: ") and str(config) in line, line


@pytest.mark.parametrize("config, kind", [("hopper_rand_params.json", "generative"), ("cheetah-vel.json", "reward")])
def test_corro_encoder_probe_draws_the_negatives_a_run_of_the_config_draws(config, kind):
    """Its default was 'reward', which a dynamics family refuses: the probe could not run hopper or walker as is."""
    from rlkit.torch.csro import corro
    from tests.conftest import ROOT

    probe = _module("corro_encoder_probe")
    cfg = probe.probe_config(probe.parse_args([str(ROOT / "configs" / config)]))
    assert corro.CorroSettings.from_config(cfg).negatives == kind


class _WouldTrain(Exception):
    pass


@pytest.mark.parametrize("margin", ["nan", "0", "-5", "inf", "x"])
def test_update_golden_refuses_a_margin_that_is_not_a_finite_number_above_zero(margin, monkeypatch, capsys):
    """Refused before the golden runs start (`host` stands in for them here: reaching it fails the test)."""
    update_golden = _module("update_golden")

    def would_train():
        raise _WouldTrain(f"--margin {margin} was taken")

    monkeypatch.setattr(update_golden, "host", would_train)
    line = _refused(update_golden.main, ["--margin", margin], monkeypatch, capsys)
    assert line.endswith(f"argument --margin: {margin!r}: expected a finite number > 0"), line


def test_update_golden_takes_a_finite_margin_above_zero():
    assert _module("update_golden").parse_args(["--margin", "2.5"]).margin == 2.5


def test_reread_report_prose_help_prints_its_usage(capsys):
    """`--help` was taken for a report's path ('--help' cannot be read)."""
    _module("reread_report_prose").main(["--help"])
    assert capsys.readouterr().out.startswith("usage: python scripts/reread_report_prose.py docs/results/")


@pytest.mark.slow
def test_write_default_config_takes_no_arguments_and_writes_nothing_with_one(tmp_path):
    """`--help` (or a stray word) rewrote configs/default.py and exited 0."""
    import subprocess

    from tests.conftest import ROOT, python_path

    before = (ROOT / "configs" / "default.py").stat().st_mtime_ns
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "write_default_config.py"), "--help"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=python_path()),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("usage: python scripts/write_default_config.py")
    assert (ROOT / "configs" / "default.py").stat().st_mtime_ns == before
