"""rlkit.cli's pieces in this process: the SIGTERM handler a command leaves behind, and the check of an output folder
before a long command starts."""

from __future__ import annotations

import signal
import threading

import pytest

from rlkit.errors import UserError


def test_a_command_puts_back_the_sigterm_handler_it_found(capsys):
    """Mutation F20: `sigterm_unwinds` restored SIG_DFL instead of the handler before it. A caller that had its own
    SIGTERM handler (a notebook, a test harness, a wrapper that checkpoints on preemption) would find it gone after
    one command ran in its process: the next SIGTERM kills it without its cleanup."""
    from rlkit.cli import run_cli as run_command

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
