"""The scripts' own command lines: bad input (a missing report, a folder, a count of 0, a NaN margin) is one line on
stderr and exit 2, not a traceback; a report re-read with --write is replaced whole (atomically); and what
corro_encoder_probe.py trains and prints."""

import json
import math
import os
import re
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from rlkit.data.buffer import MultiTaskBuffer, sample_step
from rlkit.data.dataset import Trajectories
from rlkit.seeding import torch_generator
from rlkit.torch.csro import corro
from tests.conftest import ROOT, TINY_CONFIG, load_file


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
        (["--every", "0"], "argument --every: 0: expected a whole number from 1 to 2147483647"),
        (["--steps", "0"], "argument --steps: 0: expected a whole number from 1 to 2147483647"),
        (
            ["--cvae-steps", "0", "--negatives", "generative"],
            "argument --cvae-steps: 0: expected a whole number from 1 to 2147483647",
        ),
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
@pytest.mark.parametrize("arg", ["--help", "stray"])
def test_write_default_config_takes_no_arguments_and_writes_nothing_with_one(tmp_path, arg):
    """`--help` (or a stray word) rewrote configs/default.py and exited 0. Now `--help` prints the usage (exit 0) and
    a stray word is one error line (exit 2); neither writes."""
    import subprocess

    from tests.conftest import ROOT, python_path

    before = (ROOT / "configs" / "default.py").stat().st_mtime_ns
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "write_default_config.py"), arg],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=python_path()),
        capture_output=True,
        text=True,
    )
    if arg == "--help":
        assert proc.returncode == 0 and proc.stdout.startswith("usage: python scripts/write_default_config.py")
    else:
        err = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(err) == 1 and err[0].startswith("error: arguments ['stray']: expected none")
    assert (ROOT / "configs" / "default.py").stat().st_mtime_ns == before


def test_write_default_config_writes_the_listing_atomically(monkeypatch, capsys):
    """`python scripts/write_default_config.py` replaces configs/default.py through atomic_write_text (a temporary
    file renamed into place): written in place, a kill halfway leaves a truncated default.py, which every config load
    imports. (The write is stood in for here: the committed file is not touched.)"""
    import runpy

    import rlkit.fileio

    written = []
    monkeypatch.setattr(rlkit.fileio, "atomic_write_text", lambda path, text: written.append((Path(path), text)))
    monkeypatch.setattr(sys, "argv", ["write_default_config.py"])
    namespace = runpy.run_path(str(ROOT / "scripts" / "write_default_config.py"), run_name="__main__")
    assert written == [(ROOT / "configs" / "default.py", namespace["listing"]())]
    assert capsys.readouterr().out == "wrote configs/default.py\n"


def test_reread_counts_a_method_collapsed_only_where_every_seed_is(tmp_path):
    """A method whose z collapsed on seeds 0 and 1 of 3 is not a collapsed method for Table 1's verdict (the
    report's rule: flags on every seed); counting it would re-read the verdict as if it had."""
    reread = _module("reread_report_prose")
    lines = (ROOT / "docs" / "results" / "point-robot-demo.md").read_text().splitlines()
    assert reread.table_of(lines)[2] == frozenset({"BOREL"})  # seeds 0, 1, 2 of 3
    partial = [line.replace("- **BOREL**, seeds 0, 1, 2:", "- **BOREL**, seeds 0, 1:") for line in lines]
    assert partial != lines
    assert reread.table_of(partial)[2] == frozenset()


def test_reread_replaces_an_intervals_sentence_of_the_written_form(tmp_path):
    """The header's intervals sentence of the current form (`(shown; ...paired).`) as an older code wrote it is
    replaced by today's; kept, the report would state another coverage than its intervals have."""
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
    """The Table 1 row of the zero-action return is the `still` reference: where doing nothing scores above the top
    reference, the re-read verdict must say so (a scale whose top is worse than standing still says nothing of
    learning), not call the methods' scores learned or not on that scale alone."""
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
    """A report whose tables are there but whose Fig. 3 paragraph is not (next() finds no line) is one line naming
    it, exit 2, not a StopIteration traceback."""
    lines = (ROOT / "docs" / "results" / "point-robot-demo.md").read_text().splitlines()
    path = tmp_path / "point-robot-demo.md"
    path.write_text("\n".join(line for line in lines if not line.startswith("Final Np")) + "\n")
    line = _refused(_module("reread_report_prose").main, [str(path)], monkeypatch, capsys)
    assert line.startswith(f"error: {str(path)!r} is not a report of rlkit.reproduce (StopIteration"), line


def test_reread_report_prose_refuses_two_reports(tmp_path, monkeypatch, capsys):
    """`reread_report_prose.py A.md B.md --write` is refused (it re-reads one report); taking the first and dropping
    the second silently leaves B unread while the command looks done."""
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    for p in (a, b):
        p.write_text((ROOT / "docs" / "results" / "point-robot-demo.md").read_text())
    before = a.read_text()
    line = _refused(_module("reread_report_prose").main, [str(a), str(b), "--write"], monkeypatch, capsys)
    assert line.startswith(f"error: got {[str(a), str(b)]!r}: expected one report"), line
    assert a.read_text() == before


PROBE_LR = 0.02  # context_lr of the probe's config: distinct from policy_lr (3e-4)
_STEP = re.compile(r"step (\d+): InfoNCE ([-\d.]+), id ([\d.]+), ratio ([\d.]+), z spread")


def _probe_task(task: int, n: int = 60) -> Trajectories:
    """Random point-robot-shaped rows (obs 2, action 2) whose reward depends on the task."""
    rng = np.random.default_rng(task)
    obs = rng.normal(size=(n, 2)).astype(np.float32)
    act = rng.uniform(-1, 1, size=(n, 2)).astype(np.float32)
    rew = (task + 0.1 * rng.normal(size=n)).astype(np.float32)
    nxt = (obs + 0.1 * act).astype(np.float32)
    return Trajectories(obs, act, rew, nxt, np.zeros(n, np.float32), np.array([20, 20, 20]))


def _probe_config(tmp_path: Path) -> Path:
    data = json.loads(TINY_CONFIG.read_text())
    data["algo_params"]["context_lr"] = PROBE_LR
    path = tmp_path / "probe.json"
    path.write_text(json.dumps(data))
    return path


def _run_probe(tmp_path, monkeypatch, capsys, *flags: str):
    """The probe on `_probe_task`'s 4 tasks (prepare stubbed); its stdout lines, the buffer, the config."""
    probe = _module("corro_encoder_probe")
    tasks = [0, 1, 2, 3]
    buf = MultiTaskBuffer({t: _probe_task(t) for t in tasks}, 2, 2, torch.device("cpu"))
    setup = SimpleNamespace(train_buffer=buf, train_tasks=np.array(tasks), obs_dim=2, action_dim=2)
    seen = {}

    def prepare(cfg, seed, device):
        seen["cfg"], seen["seed"] = cfg, seed
        return setup

    monkeypatch.setattr(probe, "prepare", prepare)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)  # leave the test process's threads alone
    probe.probe(probe.parse_args([str(_probe_config(tmp_path)), *flags]))
    return capsys.readouterr().out.splitlines(), buf, seen["cfg"]


def _reference_probe(buf, cfg, seed, steps, every, cvae_steps, standardize):
    """The probe's figures as its docstring defines them, computed here: (CVAE's last loss or None, one
    (step, mean InfoNCE of the block, id, ratio) per `every` steps and after the last)."""
    settings = corro.CorroSettings.from_config(cfg)
    tasks = torch.tensor([0, 1, 2, 3])
    enc = corro.CorroEncoder(2, 2, 7, cfg.latent_size, settings, torch_generator(seed, "init"))  # (s, a, r, s')
    if standardize:
        enc.set_input_stats(*buf.context_stats(True))
    gen = torch_generator(seed, "batch_sampling")
    cvae_loss = None
    if enc.cvae is not None:
        opt = torch.optim.Adam(enc.cvae.parameters(), lr=PROBE_LR)
        for _ in range(cvae_steps):
            loss = enc.cvae.loss(sample_step(buf, tasks, cfg.algo_params, gen).context, gen)
            opt.zero_grad()
            loss.backward()
            opt.step()
        cvae_loss = loss.item()
    opt = torch.optim.Adam(enc.transition.parameters(), lr=PROBE_LR)
    out, block = [], []
    for step in range(1, steps + 1):
        context = sample_step(buf, tasks, cfg.algo_params, gen).context
        loss = corro.contrastive_loss(enc, enc(context), context, 4, settings, gen)  # reward column: S + A = 4
        opt.zero_grad()
        loss.backward()
        opt.step()
        block.append(loss.item())
        if step % every == 0 or step == steps:
            with torch.no_grad():
                z1 = enc(buf.sample_context(tasks, 100, gen, True)).mean(dim=1).tolist()
                z2 = enc(buf.sample_context(tasks, 100, gen, True)).mean(dim=1).tolist()
            d = [[math.dist(a, b) for b in z2] for a in z1]
            ident = sum(min(range(4), key=lambda j: d[i][j]) == i for i in range(4)) / 4
            within = sum(d[i][i] for i in range(4))
            ratio = ((sum(map(sum, d)) - within) / 12) / (within / 4)  # (12 pairs of two tasks, 4 of one)
            out.append((step, sum(block) / len(block), ident, ratio))
            block = []
    return cvae_loss, out


def _check_probe_lines(lines, cvae_loss, expected):
    steps = [line for line in lines if line.startswith("step ")]
    assert [int(_STEP.match(s).group(1)) for s in steps] == [e[0] for e in expected], lines
    for s, (_, info, ident, ratio) in zip(steps, expected):
        got = [float(x) for x in _STEP.match(s).groups()[1:]]
        assert abs(got[0] - info) < 1.5e-3 and abs(got[1] - ident) < 1e-6 and abs(got[2] - ratio) < 0.06, (s, expected)
    if cvae_loss is not None:
        (line,) = [line for line in lines if line.startswith("CVAE: ")]
        got = float(re.match(r"CVAE: \d+ steps, last loss ([-\d.]+),", line).group(1))
        assert abs(got - cvae_loss) < 1.5e-3, (line, cvae_loss)


def test_the_corro_probe_prints_each_blocks_mean_infonce_and_task_identification_as_documented(
    tmp_path, monkeypatch, capsys
):
    """The probe with reward negatives and --standardize prints, after steps 2 and 4 only, the mean InfoNCE of those
    2 steps at context_lr, and id and ratio of two fresh 100-row contexts' mean z per task."""
    lines, buf, cfg = _run_probe(tmp_path, monkeypatch, capsys, "--steps", "4", "--every", "2", "--standardize")
    assert cfg.algo_params.corro_standardize
    _check_probe_lines(lines, None, _reference_probe(buf, cfg, 0, 4, 2, 0, True)[1])


def test_the_corro_probe_trains_the_cvae_first_then_e1_with_generative_negatives(tmp_path, monkeypatch, capsys):
    """With --negatives generative the probe takes exactly --cvae-steps Adam steps of the CVAE on its own parameters
    (the last loss printed) before E1's steps, as computed here."""
    lines, buf, cfg = _run_probe(
        tmp_path, monkeypatch, capsys, "--negatives", "generative", "--cvae-steps", "3", "--steps", "2", "--every", "2"
    )
    assert cfg.algo_params.corro_negatives == "generative"
    cvae_loss, expected = _reference_probe(buf, cfg, 0, 2, 2, 3, False)
    _check_probe_lines(lines, cvae_loss, expected)


def test_the_corro_probe_prints_a_last_block_shorter_than_every(tmp_path, monkeypatch, capsys):
    """--steps 5 --every 2 printed steps 2 and 4 only: step 5's block went unsaid (--steps 2 --every 5, no line)."""
    lines, buf, cfg = _run_probe(tmp_path, monkeypatch, capsys, "--steps", "5", "--every", "2")
    expected = _reference_probe(buf, cfg, 0, 5, 2, 0, False)[1]
    assert [e[0] for e in expected] == [2, 4, 5]
    _check_probe_lines(lines, None, expected)


def test_the_probes_ratio_is_between_tasks_over_within_by_hand():
    """ratio: the mean distance of two different tasks' z over that of a task's two z. Its mean over all pairs, a
    task's own among them, pulled it towards 1 (4 tasks: a quarter of the pairs). By hand on z at 0, 10, 20, 30
    (first contexts) and 1, 11, 21, 31 (second): within 1; between, |10 (i - j) - 1| over the 12 ordered pairs of
    two tasks: (9 + 19 + 29 + 11 + 9 + 19 + 21 + 11 + 9 + 31 + 21 + 11) / 12 = 200 / 12; every task identified,
    and with task 3's second z at 40, task 3's first (30) is nearest task 2's (21): 3 of 4."""
    probe = _module("corro_encoder_probe")
    z1 = torch.tensor([[0.0], [10.0], [20.0], [30.0]])
    assert probe.task_identification(z1, z1 + 1.0) == (1.0, pytest.approx(200 / 12))
    assert probe.task_identification(z1, torch.tensor([[1.0], [11.0], [21.0], [40.0]]))[0] == 0.75


def test_the_corro_probe_takes_the_negatives_asked_for_and_seed_0_by_default():
    """--negatives generative on a reward family is what the probe's config draws (not the family's auto), and the
    seed is 0 unless given."""
    probe = _module("corro_encoder_probe")
    args = probe.parse_args([str(TINY_CONFIG), "--negatives", "generative"])
    assert args.seed == 0
    assert corro.CorroSettings.from_config(probe.probe_config(args)).negatives == "generative"
    assert corro.CorroSettings.from_config(probe.probe_config(probe.parse_args([str(TINY_CONFIG)]))).negatives == (
        "reward"
    )


def test_reread_report_prose_without_write_prints_the_diff_and_leaves_the_report(tmp_path, monkeypatch, capsys):
    """Without --write the re-read is a diff on stdout only: the report keeps its bytes."""
    report = tmp_path / "point-robot-demo.md"
    text = (ROOT / "docs" / "results" / "point-robot-demo.md").read_text()
    report.write_text(re.sub(r"re-read on \d{4}-\d{2}-\d{2}", "re-read on 2000-01-01", text))  # (a diff to show)
    before = report.read_bytes()
    monkeypatch.setattr(sys, "argv", ["reread_report_prose.py", str(report)])
    _module("reread_report_prose").main()
    assert report.read_bytes() == before
    out = capsys.readouterr().out
    assert out.startswith(f"--- {report}\n+++ re-read\n") and "-*The verdict paragraphs" in out


def test_reread_report_prose_refuses_a_file_that_is_not_text_in_one_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "figure.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    line = _refused(_module("reread_report_prose").main, [str(path)], monkeypatch, capsys)
    assert line == f"error: {str(path)!r} is not text: expected a report of rlkit.reproduce such as " + (
        "docs/results/point-robot-demo.md"
    )
