"""rlkit.cli's pieces in this process: the SIGTERM handler a command leaves behind, and the check of an output folder
before a long command starts."""

from __future__ import annotations

import signal
import threading

import pytest

from rlkit.cli import argument_parser, parse_list, stop_workers
from rlkit.cli import run_cli as run_command
from rlkit.errors import DivergedError, RunFailedError, UserError


def test_a_command_puts_back_the_sigterm_handler_it_found(capsys):
    """Mutation F20: `sigterm_unwinds` restored SIG_DFL instead of the handler before it. A caller that had its own
    SIGTERM handler (a notebook, a test harness, a wrapper that checkpoints on preemption) would find it gone after
    one command ran in its process: the next SIGTERM kills it without its cleanup."""

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
    """Mutation F24: the nearest existing folder was taken as the parent of the deepest missing folder
    (`missing[0]`) instead of the shallowest (`missing[-1]`). `--results out/new/deeper` (two folders to make)
    was then refused as "under a file" before anything ran, though the command makes both; and a path under a
    file named the wrong path as the file."""
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


def test_a_diverged_run_exits_3_not_2(capsys):
    """Mutation Z07: run_cli exits with the UserError's own exit code, so a DivergedError is exit 3 (a bad input 2)."""

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
    """Mutation Z14: parse_list strips each entry, so `--methods "B, A"` is the names B and A, not an unknown ' A'."""
    assert parse_list("--methods", "B, A ", choices=("A", "B")) == ["B", "A"]
    assert parse_list("--methods", " A,B, A", choices=("A", "B"), duplicates="drop") == ["A", "B"]


def test_an_argparse_option_after_the_double_dash_is_an_argument_not_the_option_given_again():
    """Mutation Z22: argument_parser's check of an option given twice stops at `--`; what follows is an argument
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
    """Mutation Z29: stop_workers sends SIGTERM to every worker, waits up to the grace, then SIGKILLs those still
    alive (a run stuck in C code), and only those: a worker left alive would go on training after the command ended."""
    ended, stuck = _FakeWorker(ends_on_sigterm=True), _FakeWorker(ends_on_sigterm=False)
    stop_workers([ended, stuck], grace=0.5)
    assert [c for c in ended.calls if not isinstance(c, tuple)] == ["terminate"]
    assert [c for c in stuck.calls if not isinstance(c, tuple)] == ["terminate", "kill"]
    assert not stuck.is_alive()
    for worker in (ended, stuck):
        (timeout,) = [c[1] for c in worker.calls if isinstance(c, tuple)]
        assert 0.0 <= timeout <= 0.5


def test_a_pool_worker_ignores_ctrl_c_and_takes_sigterm_as_the_word_to_stop(monkeypatch):
    """Mutation Z31: pool_worker sets SIGINT to SIG_IGN (Ctrl-C reaches the whole process group, but only the parent
    handles it: it cancels the queued work and stops the workers itself) and SIGTERM to the worker's handler."""
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
    """Mutations AI87, AI89: a RunFailedError (a task of a Ray run failed for good) exits 1, as the README says,
    apart from a bad input (2) and a diverged run (3); it is printed as the same one `error:` line."""

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
