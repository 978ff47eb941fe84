"""rlkit.cli's pieces in this process: the SIGTERM handler a command leaves behind, and the check of an output folder
before a long command starts."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click
import pytest

from rlkit.cli import argument_parser, parse_list, stop_workers
from rlkit.cli import run_cli as run_command
from rlkit.errors import DivergedError, RunFailedError, UserError


def test_a_command_puts_back_the_sigterm_handler_it_found(capsys):
    """`sigterm_unwinds` restores the SIGTERM handler that was there before it, not SIG_DFL: a caller that had its
    own SIGTERM handler (a notebook, a test harness, a wrapper that checkpoints on preemption) would otherwise find
    it gone after one command ran in its process, and the next SIGTERM would kill it without its cleanup."""

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are set from the main thread only")

    def mine(signum, frame):
        pass

    before = signal.signal(signal.SIGTERM, mine)
    try:
        run_command(lambda: None)
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_folder_several_levels_below_an_existing_one_is_accepted(tmp_path):
    """The nearest existing folder is the parent of the shallowest missing folder (`missing[-1]`), not of the
    deepest (`missing[0]`). Taking the deepest, `--results out/new/deeper` (two folders to make) was refused as
    "under a file" before anything ran, though the command makes both; and a path under a file named the wrong path
    as the file."""
    from rlkit.cli import writable_folder

    writable_folder("--results", tmp_path / "new" / "deeper" / "r")  # three folders to make under tmp_path: fine
    (tmp_path / "f").write_text("x")
    with pytest.raises(UserError) as e:
        writable_folder("--results", tmp_path / "f" / "a" / "b")
    assert str(e.value) == (
        f"--results {str(tmp_path / 'f' / 'a' / 'b')!r} is under {str(tmp_path / 'f')!r}, a file: expected a folder "
        "(or a path where one can be made)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]  # (the check makes nothing)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc here")
def test_a_folder_the_filesystem_does_not_make_is_refused_by_the_check_before_anything_runs(tmp_path):
    """/proc passes the access check as root, and makes nothing: `rlkit.reproduce --out /proc/x` trained stage 1
    before its first run's folder was refused. The check makes and removes the shallowest missing folder."""
    from rlkit.cli import writable_folder
    from rlkit.fileio import CannotCreate

    with pytest.raises(CannotCreate) as e:
        writable_folder("--out", Path("/proc/csro-test/point-robot"))
    assert e.value.filename == "/proc/csro-test"
    writable_folder("--out", tmp_path / "new" / "r")
    assert not any(tmp_path.iterdir())  # (made and removed again)


def test_a_diverged_run_exits_3_not_2(capsys):
    """run_cli exits with the UserError's own exit code, so a DivergedError is exit 3 (a bad input 2)."""

    def diverges():
        raise DivergedError("training diverged at iteration 0")

    def refused():
        raise UserError("bad value")

    with pytest.raises(SystemExit) as diverged:
        run_command(diverges)
    with pytest.raises(SystemExit) as bad:
        run_command(refused)
    assert (diverged.value.code, bad.value.code) == (3, 2)
    assert capsys.readouterr().err == "error: training diverged at iteration 0\nerror: bad value\n"


def test_a_list_of_names_with_spaces_after_its_commas_is_read_as_the_names():
    """parse_list strips each entry, so `--methods "B, A"` is the names B and A, not an unknown ' A'."""
    assert parse_list("--methods", "B, A ", choices=("A", "B")) == ["B", "A"]
    assert parse_list("--methods", " A,B, A", choices=("A", "B"), duplicates="drop") == ["A", "B"]


def test_an_argparse_option_after_the_double_dash_is_an_argument_not_the_option_given_again():
    """argument_parser's check of an option given twice stops at `--`; what follows is an argument
    (`script --steps 3 -- --steps 4` passes `--steps 4` on), as click's `refuse_repeated_options` does."""
    p = argument_parser("a script")
    p.add_argument("--steps", type=int)
    args, rest = p.parse_known_args(["--steps", "3", "--", "--steps", "4"])
    assert args.steps == 3 and rest[-2:] == ["--steps", "4"]


class _FakeWorker:
    """A pool worker process as `stop_workers` sees it: one that ends on SIGTERM, or one that does not."""

    def __init__(self, ends_on_sigterm: bool):
        self.ends, self.alive, self.calls = ends_on_sigterm, True, []

    def terminate(self):
        self.calls.append("terminate")
        self.alive = not self.ends

    def join(self, timeout=None):
        self.calls.append(("join", timeout))

    def is_alive(self):
        return self.alive

    def kill(self):
        self.calls.append("kill")
        self.alive = False


def test_stop_workers_kills_only_the_workers_still_alive_after_the_grace():
    """stop_workers sends SIGTERM to every worker, waits up to the grace, then SIGKILLs those still alive (a run
    stuck in C code), and only those: a worker left alive would go on training after the command ended."""
    ended, stuck = _FakeWorker(ends_on_sigterm=True), _FakeWorker(ends_on_sigterm=False)
    stop_workers([ended, stuck], grace=0.5)
    assert [c for c in ended.calls if not isinstance(c, tuple)] == ["terminate"]
    assert [c for c in stuck.calls if not isinstance(c, tuple)] == ["terminate", "kill"]
    assert not stuck.is_alive()
    for worker in (ended, stuck):
        (timeout,) = [c[1] for c in worker.calls if isinstance(c, tuple)]
        assert 0.0 <= timeout <= 0.5


def test_a_pool_worker_ignores_ctrl_c_and_takes_sigterm_as_the_word_to_stop(monkeypatch):
    """pool_worker sets SIGINT to SIG_IGN (Ctrl-C reaches the whole process group, but only the parent handles it:
    it cancels the queued work and stops the workers itself) and SIGTERM to the worker's handler."""
    import rlkit.cli as cli

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are set from the main thread only")
    monkeypatch.setattr(cli, "die_with_parent", lambda parent: None)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # (as a worker starts: a shell's `&` ignores it)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        cli.pool_worker(12345)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is cli._worker_sigterm
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def test_a_failed_ray_run_exits_1_with_its_one_line(capsys):
    """A RunFailedError (a task of a Ray run failed for good) exits 1, as the README says, apart from a bad input (2)
    and a diverged run (3); it is printed as the same one `error:` line."""

    def fails():
        raise RunFailedError("1 of 3 tasks failed (goal_idx1 failed: ValueError: boom)")

    with pytest.raises(SystemExit) as failed:
        run_command(fails)
    assert failed.value.code == 1
    assert capsys.readouterr().err == "error: 1 of 3 tasks failed (goal_idx1 failed: ValueError: boom)\n"


@pytest.mark.parametrize(
    "module, args",
    [
        ("policy_train", ["--config", "configs/test/point-robot-tiny.json", "--regenerate", "--n_trj", "2147483648"]),
        ("show_path", ["output/none/seed0", "--runs", "2147483648"]),
    ],
    ids=["n_trj", "runs"],
)
def test_a_count_past_the_largest_a_config_may_give_is_refused(module, args):
    """--n_trj 10**20 and show_path's --runs 10**23 were taken and ran until stopped: the command line's counts stop
    where the config's do (`rlkit.config.MAX_INT`), before anything is read."""
    import importlib

    import click

    with pytest.raises(click.BadParameter, match=r"2147483648 is not in the range 1<=x<=2147483647"):
        importlib.import_module(module).main.main(args, standalone_mode=False)


def test_every_integer_option_of_every_command_has_a_largest_value():
    """A benchmark's --steps 2**70 was a traceback (numpy's "Maximum allowed dimension exceeded", an OverflowError)
    and --updates 2**31 ran until stopped: every ranged integer option of every click command stops at a config's
    largest count (`rlkit.config.MAX_INT`) or below. The seeds stop at `rlkit.seeding.MAX_SEED`: launch_experiment's
    and show_path's --seed took 3 * 2**128 + 7, whose init stream was seed 7's meta-test env stream."""
    from rlkit.config import MAX_INT
    from rlkit.seeding import MAX_SEED
    from tests.conftest import click_commands

    unbounded, seeds = [], []
    for name, command in click_commands():
        for param in command.params:
            if not isinstance(param.type, click.IntRange):
                continue
            if param.name == "seed":
                seeds.append(f"{name} {param.opts[0]}")
                if (param.type.min, param.type.max) != (0, MAX_SEED):
                    unbounded.append(f"{name} {param.opts[0]} (a seed: expected click.IntRange(0, MAX_SEED))")
            elif param.type.max is None or param.type.max > MAX_INT:
                unbounded.append(f"{name} {param.opts[0]}")
    assert len(seeds) >= 3, seeds  # launch_experiment.py, policy_train.py, show_path.py
    assert not unbounded, f"integer options without a largest value: {unbounded}; expected click.IntRange(1, MAX_INT)"


# ---- exit codes, lines and device choices, each pinned ----------------------------------------------------------
def test_a_write_the_system_does_not_permit_is_one_line_naming_the_path(capsys):
    """EPERM (a chattr +i file, a mount that forbids it) is a refused write as EACCES is: exit 2 and one line, not a
    traceback."""
    import errno
    import os

    def write():
        raise OSError(errno.EPERM, os.strerror(errno.EPERM), "/data/run/latest.pt")

    with pytest.raises(SystemExit) as exit_:
        run_command(write)
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        f"error: '/data/run/latest.pt': {os.strerror(errno.EPERM)}: expected a path this user may write (and read)\n"
    )


def test_a_refused_write_without_a_path_names_none(capsys):
    """An OSError that carries no file name (a full disk seen at a flush) says what went wrong, not a path 'None'."""
    import errno
    import os

    def write():
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(SystemExit) as exit_:
        run_command(write)
    assert exit_.value.code == 2
    assert capsys.readouterr().err == f"error: {os.strerror(errno.ENOSPC)}: expected free space on that disk\n"


def test_a_measurement_child_whose_last_line_is_not_a_json_object_is_one_line(monkeypatch):
    """A benchmark's child that prints a JSON list (or a number) last did not measure: a UserError naming it, not a
    list handed on as if it were the measurement's object. (The child is a stand-in: no process starts.)"""
    import rlkit.cli as cli

    done = cli.subprocess.CompletedProcess([], 0, "warming up\nstep 1\n[1, 2]\n", "")
    monkeypatch.setattr(cli.subprocess, "run", lambda *a, **k: done)
    with pytest.raises(UserError) as e:
        cli.child_json(["-c", "pass"], "the step benchmark")
    assert str(e.value) == (
        "the step benchmark failed (exit 0): no error message, and no JSON object on its last line of output "
        "(['[1, 2]'])"
    )


def test_an_argparse_option_given_twice_in_its_equals_form_is_refused(capsys):
    """`--steps=3 --steps 4`: the first is the option given with `=`, so the second repeats it (argparse keeps 4)."""
    p = argument_parser("a script")
    p.add_argument("--steps", type=int)
    with pytest.raises(SystemExit) as exit_:
        p.parse_known_args(["--steps=3", "--steps", "4"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == "error: argument --steps: given twice: expected it once\n"


def test_a_gpu_number_below_minus_one_is_refused():
    """... and one beyond what torch holds as a device index: `--gpu 99999999999999999999` was refused as the config key
    util_params.gpu_id, "a count torch can hold", not as the --gpu typed."""
    from rlkit.cli import check_gpu, gpu_overrides

    assert check_gpu(2**31 - 1) == 2**31 - 1
    for gpu in (-2, -5, 2**31, 10**20):
        with pytest.raises(UserError) as e:
            check_gpu(gpu)
        assert str(e.value) == f"--gpu {gpu}: expected a CUDA device number >= 0, or -1 for the CPU"
    with pytest.raises(UserError, match=r"^--gpu -2: expected"):
        gpu_overrides(-2)


@pytest.mark.parametrize("count", [0, 1])
def test_a_quiet_device_choice_says_nothing(monkeypatch, capsys, count):
    """A command's runs after the command has said its device note once (`quiet`): stage 1 (`sac_config_device`),
    stage 2 (`config_device`) and `select_device` itself choose the same device without a line."""
    import torch

    from rlkit.cli import config_device, sac_config_device, select_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    expected = torch.device("cuda:0" if count else "cpu")
    assert select_device(3, quiet=True) == expected
    assert sac_config_device("cuda", 3, quiet=True) == expected
    assert config_device(True, 3, 3, quiet=True) == expected
    assert config_device(False, 0, None, quiet=True) == torch.device("cpu")  # use_gpu false: the CPU, GPUs or not
    assert capsys.readouterr().err == ""


def test_stop_workers_gives_all_the_workers_one_grace_together(monkeypatch):
    """The grace is one deadline for every worker, not each worker's own: with two stuck workers the command ends
    `grace` seconds after SIGTERM, not twice that (the second is joined for what is left of it)."""
    import rlkit.cli as cli

    clock = [100.0]
    monkeypatch.setattr(cli.time, "monotonic", lambda: clock[0])

    class Stuck(_FakeWorker):
        def join(self, timeout=None):
            super().join(timeout)
            clock[0] += timeout  # (a worker that never ends waits the whole timeout)

    workers = [Stuck(ends_on_sigterm=False), Stuck(ends_on_sigterm=False)]
    stop_workers(workers, grace=10.0)
    assert [c[1] for w in workers for c in w.calls if isinstance(c, tuple)] == [10.0, 0.0]
    assert clock[0] == 110.0 and all(w.calls[-1] == "kill" for w in workers)


def test_sigterm_kept_leaves_a_librarys_handler_where_this_process_did_not_raise_on_sigterm():
    """`sigterm_kept` puts back only this process's own `Terminated` handler: outside a command (`sigterm_unwinds`)
    the handler a library installs stays, instead of being replaced by the default one found before."""
    import rlkit.cli as cli

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are set from the main thread only")

    def library(signum, frame):
        pass

    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with cli.sigterm_kept():
            signal.signal(signal.SIGTERM, library)
        assert signal.getsignal(signal.SIGTERM) is library
        with cli.sigterm_unwinds():
            with cli.sigterm_kept():
                signal.signal(signal.SIGTERM, library)
            assert signal.getsignal(signal.SIGTERM) is cli._raise_terminated
    finally:
        signal.signal(signal.SIGTERM, before)


# The text parameters that check a blank value in the command's body (each with its own advice), not by type
BLANK_CHECKED_IN_BODY = {
    "policy_train.py": {"args", "--checkpoints", "--ray"},  # (SAC overrides, parse_list, the address check)
    "launch_experiment.py": {"--exp_name", "--seeds", "--ray"},
    "rlkit/reproduce/__main__.py": {"env", "--profile", "--seeds", "--methods", "--out", "--results", "--data_dir"},
    "benchmarks/behaviour_sac_speed.py": {"--tasks", "--sac_config"},
    "benchmarks/dataset_load.py": {"--work", "--data_dir"},  # (refuse_blank: rlkit is imported in main only)
    "benchmarks/paper_cost.py": {"--envs", "--markdown"},
    "benchmarks/regenerate_memory.py": {"--work", "--networks", "--code"},
    "benchmarks/stage2_load_memory.py": {"--work"},
}


def test_every_text_parameter_of_every_command_refuses_a_blank_value():
    """A path or name typed as `''` (an unset shell variable) read as the current folder (`rlkit.plot ''`,
    `export-legacy SRC ' '`, a benchmark's `--work ''` wrote 31,241 files there) or as the option left out
    (`--sac_config ''` trained with the default). Each text parameter of each click command is `NonBlank` or is
    listed above as checked in the command's body (`test_a_blank_path_or_name_is_one_line_and_writes_nothing` runs
    both kinds)."""
    from rlkit.cli import NonBlank
    from tests.conftest import click_commands

    unchecked = [
        f"{name} {param.opts[0] if isinstance(param, click.Option) else param.name}"
        for name, command in click_commands()
        for param in command.params
        if isinstance(param.type, (click.types.StringParamType, click.Path))
        and not getattr(param, "hidden", False)
        and (param.opts[0] if isinstance(param, click.Option) else param.name)
        not in BLANK_CHECKED_IN_BODY.get(name, ())
    ]
    assert not unchecked, f"text parameters that take '' as given: {unchecked}; expected NonBlank (rlkit.cli)"
    typed = [p for _, c in click_commands() for p in c.params if isinstance(p.type, NonBlank)]
    assert len(typed) >= 20


TINY = "configs/test/point-robot-tiny.json"


@pytest.mark.parametrize(
    "args, said",
    [
        (["-m", "rlkit.plot", ""], "'RUNS_DIR': ''"),
        (["-m", "rlkit.plot", "runs", "--out", " "], "'--out': ' '"),
        (["-m", "rlkit.report", ""], "'RUNS_DIR': ''"),
        (["-m", "rlkit.report", "runs", "--against", ""], "'--against': ''"),
        (["-m", "rlkit.budget", ""], "'CONFIG': ''"),
        (["-m", "rlkit.data", "check", ""], "'DATA_DIR': ''"),
        (["-m", "rlkit.data", "curves", "data", "--config", ""], "'--config': ''"),
        (["-m", "rlkit.data", "export-legacy", "data", " "], "'DST': ' '"),
        (["-m", "rlkit.data", "import-legacy", "src", "dst", "--env-name", "", "--allow-pickle"], "'--env-name': ''"),
        (["policy_train.py", "--config", ""], "'--config': ''"),
        (["policy_train.py", "--config", TINY, "--sac_config", ""], "'--sac_config': ''"),
        (["launch_experiment.py", ""], "'CONFIG': ''"),
        (["launch_experiment.py", TINY, "--seeds", "0", "--sweep", " "], "'--sweep': ' '"),
        (["show_path.py", "run", "--out", " "], "'--out': ' '"),
        (["show_path.py", TINY, "--exp_name", ""], "'--exp_name': ''"),
        (["benchmarks/dataset_load.py", "--work", ""], "--work '': expected a path"),
        (["benchmarks/dataset_load.py", "--data_dir", " "], "--data_dir ' ': expected a path"),
        (["benchmarks/regenerate_memory.py", "--work", ""], "--work '': expected a path"),
        (["benchmarks/regenerate_memory.py", "--code", ""], "--code '': expected a path"),
        (["benchmarks/stage2_load_memory.py", "--work", " "], "--work ' ': expected a path"),
    ],
)
def test_a_blank_path_or_name_is_one_line_and_writes_nothing(args, said, tmp_path, monkeypatch, capsys):
    """Exit 2, one line naming the parameter and the blank value as typed, and nothing written in the current
    folder (where `Path('')` points)."""
    from tests.conftest import ROOT, load_file, run_here

    monkeypatch.chdir(tmp_path)
    if args[0].startswith("benchmarks/"):
        bench = load_file(args[0], f"_blank_{args[0][11:-3]}")
        with pytest.raises(SystemExit) as exit_:
            run_command(bench.main, args[1:])
        code, err = exit_.value.code, capsys.readouterr().err
    else:
        args = [str(ROOT / a) if a == TINY else a for a in args]
        done = run_here(args, tmp_path, check=False)
        code, err = done.returncode, done.stderr
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and said in lines[0], err
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc here")
@pytest.mark.parametrize(
    "args",
    [
        ["policy_train.py", "--config", "CONFIG_DATA_UNDER_PROC", "--sac_config", "tiny_point"],
        ["launch_experiment.py", TINY, "--algo_params.data_dir", "DATA", "--base_log_dir", "/proc/csro-test"],
        ["-m", "rlkit.reproduce", "point-robot", "--profile", "tiny", "--seeds", "0", "--out", "/proc/csro-test"],
        ["-m", "rlkit.data", "export-legacy", "DATA", "/proc/csro-test"],
        ["-m", "rlkit.data", "curves", "DATA", "--out", "/proc/csro-test.png"],
    ],
    ids=["stage-1-data", "stage-2-run", "reproduce-out", "export-legacy", "curves-out"],
)
def test_a_folder_or_file_the_filesystem_does_not_make_is_one_line_naming_it(args, tiny_data, tmp_path):
    """Paths under /proc, where nothing can be made (ENOENT, also for root), were a traceback from each of these
    commands' first write: now each command's one line names the path and says what to give instead, exit 2."""
    import json

    from tests.conftest import ROOT, run_here

    config = json.loads((ROOT / TINY).read_text())
    config["algo_params"]["data_dir"] = "/proc/csro-test/data"
    (tmp_path / "proc.json").write_text(json.dumps(config))
    names = {TINY: str(ROOT / TINY), "DATA": str(tiny_data), "CONFIG_DATA_UNDER_PROC": str(tmp_path / "proc.json")}
    done = run_here([names.get(a, a) for a in args], tmp_path, check=False)
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert (
        last.startswith("error: '/proc/csro-test") and "': cannot be made there (No such file or directory): " in last
    )
    assert not (tmp_path / "offline_dataset").exists()  # (refused before stage 1 trained: --out is checked first)
    assert not (tiny_data / "behaviour_returns.csv").exists()  # (curves: the figure is written first; the data kept)


def test_a_group_without_its_command_is_one_line(capsys):
    """`python -m rlkit.data` alone printed click's usage and whole help as its error (9 lines)."""
    from rlkit.data.__main__ import main as data_cli

    with pytest.raises(SystemExit) as exit_:
        run_command(data_cli, [])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and err == [
        "error: no command: expected one of ['check', 'curves', 'export-legacy', 'import-legacy'] (--help says what "
        "each does)"
    ], err
