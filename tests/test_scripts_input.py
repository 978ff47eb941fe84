"""The scripts' own command lines: bad input (a missing report, a folder, a count of 0, a NaN margin) is one line on
stderr and exit 2, not a traceback; a report re-read with --write is replaced whole (atomically)."""

import os
import shutil
import sys
from pathlib import Path

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


def test_write_default_config_writes_the_listing_atomically(monkeypatch, capsys):
    """Mutation M63: `python scripts/write_default_config.py` replaces configs/default.py through atomic_write_text
    (a temporary file renamed into place): written in place, a kill halfway leaves a truncated default.py, which
    every config load imports. (The write is stood in for here: the committed file is not touched.)"""
    import runpy

    import rlkit.fileio

    written = []
    monkeypatch.setattr(rlkit.fileio, "atomic_write_text", lambda path, text: written.append((Path(path), text)))
    monkeypatch.setattr(sys, "argv", ["write_default_config.py"])
    namespace = runpy.run_path(str(ROOT / "scripts" / "write_default_config.py"), run_name="__main__")
    assert written == [(ROOT / "configs" / "default.py", namespace["listing"]())]
    assert capsys.readouterr().out == "wrote configs/default.py\n"


def test_reread_counts_a_method_collapsed_only_where_every_seed_is(tmp_path):
    """Mutation M69: a method whose z collapsed on seeds 0 and 1 of 3 is not a collapsed method for Table 1's
    verdict (the report's rule: flags on every seed); counting it would re-read the verdict as if it had."""
    reread = _module("reread_report_prose")
    lines = (ROOT / "docs" / "results" / "point-robot-demo.md").read_text().splitlines()
    assert reread.table_of(lines)[2] == frozenset({"BOREL"})  # seeds 0, 1, 2 of 3
    partial = [line.replace("- **BOREL**, seeds 0, 1, 2:", "- **BOREL**, seeds 0, 1:") for line in lines]
    assert partial != lines
    assert reread.table_of(partial)[2] == frozenset()


def test_reread_replaces_an_intervals_sentence_of_the_written_form(tmp_path):
    """Mutation M73: the header's intervals sentence of the current form (`(shown; ...paired).`) as an older code
    wrote it is replaced by today's; kept, the report would state another coverage than its intervals have."""
    import re

    reread = _module("reread_report_prose")
    original = ROOT / "docs" / "results" / "point-robot-demo.md"
    lines = original.read_text().splitlines()
    date = re.search(r"re-read on (\d{4}-\d\d-\d\d)", lines[4])[1]
    sentence = reread.WRITTEN_INTERVALS.search(lines[2])[0]
    stale = "Intervals: IQM with rliable's 95% stratified bootstrap (shown; an older wording, seeds paired)."
    assert reread.WRITTEN_INTERVALS.fullmatch(stale)
    path = tmp_path / "point-robot-demo.md"
    path.write_text("\n".join([*lines[:2], lines[2].replace(sentence, stale), *lines[3:]]) + "\n")
    assert reread.reread(path, date) == lines


def test_reread_reads_the_zero_action_reference_into_the_verdict(tmp_path):
    """Mutation M74: the Table 1 row of the zero-action return is the `still` reference: where doing nothing scores
    above the top reference, the re-read verdict must say so (a scale whose top is worse than standing still
    says nothing of learning), not call the methods' scores learned or not on that scale alone."""
    import re

    reread = _module("reread_report_prose")
    lines = (ROOT / "docs" / "results" / "cheetah-vel-cpu.md").read_text().splitlines()
    date = re.search(r"re-read on (\d{4}-\d\d-\d\d)", lines[4])[1]
    (row,) = [i for i, line in enumerate(lines) if line.startswith(f"| {reread.STILL} |")]
    cells = lines[row].split("|")
    cells[3] = " 10000.00 "  # far above the top reference's return
    lines[row] = "|".join(cells)
    path = tmp_path / "cheetah-vel-cpu.md"
    path.write_text("\n".join(lines) + "\n")
    assert reread.table_of(lines)[1].still_score > 1
    assert any("doing nothing scores" in line for line in reread.reread(path, date))


def test_reread_report_prose_refuses_a_report_without_its_fig3_paragraph_in_one_line(tmp_path, monkeypatch, capsys):
    """Mutation M75: a report whose tables are there but whose Fig. 3 paragraph is not (next() finds no line) is one
    line naming it, exit 2, not a StopIteration traceback."""
    lines = (ROOT / "docs" / "results" / "point-robot-demo.md").read_text().splitlines()
    path = tmp_path / "point-robot-demo.md"
    path.write_text("\n".join(line for line in lines if not line.startswith("Final Np")) + "\n")
    line = _refused(_module("reread_report_prose").main, [str(path)], monkeypatch, capsys)
    assert line.startswith(f"error: {str(path)!r} is not a report of rlkit.reproduce (StopIteration"), line


def test_reread_report_prose_refuses_two_reports(tmp_path, monkeypatch, capsys):
    """Mutation M76: `reread_report_prose.py A.md B.md --write` is refused (it re-reads one report); taking the first
    and dropping the second silently leaves B unread while the command looks done."""
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    for p in (a, b):
        p.write_text((ROOT / "docs" / "results" / "point-robot-demo.md").read_text())
    before = a.read_text()
    line = _refused(_module("reread_report_prose").main, [str(a), str(b), "--write"], monkeypatch, capsys)
    assert line.startswith(f"error: got {[str(a), str(b)]!r}: expected one report"), line
    assert a.read_text() == before
