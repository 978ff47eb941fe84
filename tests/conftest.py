"""Shared fixtures: a tiny behaviour dataset generated once per test session."""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
TINY_CONFIG = ROOT / "configs" / "test" / "point-robot-tiny.json"


def python_path() -> str:
    """PYTHONPATH for a child Python: the repository first, then whatever this one was given (`rlkit.cli.child_env`;
    on the GPU machine, the folder the carried wheels are installed into: scripts/gpu/check.sh)."""
    from rlkit.cli import child_env

    return child_env(ROOT)["PYTHONPATH"]


def load_file(relative: str, name: str) -> ModuleType:
    """A script or benchmark of the repository (`scripts/...py`, `benchmarks/...py`: no package) imported by its path,
    registered as `name` (its dataclasses look their module up in sys.modules)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# every file a command may run from: the three scripts, rlkit's modules, the benchmarks and the scripts
ENTRY_FILES = [
    *(ROOT / name for name in ("policy_train.py", "launch_experiment.py", "show_path.py")),
    *sorted((ROOT / "rlkit").rglob("*.py")),
    *sorted((ROOT / "benchmarks").glob("*.py")),
    *sorted((ROOT / "scripts").glob("*.py")),
]


def click_commands() -> list[tuple[str, click.Command]]:
    """(name, command) of every click command that an entry file defines as its `main`, a group's subcommands
    apart."""
    found = []
    for path in ENTRY_FILES:
        text = path.read_text()
        if "click.command" not in text and "click.group" not in text:
            continue
        relative = path.relative_to(ROOT)
        if relative.parts[0] == "rlkit":
            module = importlib.import_module(".".join(relative.with_suffix("").parts))
        else:
            module = load_file(str(relative), f"_docs_{path.stem}")
        main = getattr(module, "main", None)
        if isinstance(main, click.Group):
            found += [(f"{relative} {name}", command) for name, command in main.commands.items()]
        elif isinstance(main, click.Command):
            found.append((str(relative), main))
    return found


# A test that only CUDA can run: skipped without it, and marked `cuda` so that scripts/gpu/check.sh runs these first,
# in a step of their own (`pytest -m cuda`). Every test that needs CUDA takes these marks (tests/test_gpu_scripts.py).
CUDA_ONLY = (
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (scripts/gpu/check.sh runs it on a GPU)"),
)


def cuda_only(test):
    """`CUDA_ONLY` as a decorator (`pytest.param(..., marks=CUDA_ONLY)` for one parameter)."""
    for mark in CUDA_ONLY:
        test = mark(test)
    return test


def run_cli(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=python_path())
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    return _checked(proc, args, check)


def _checked(proc: subprocess.CompletedProcess, args: list[str], check: bool) -> subprocess.CompletedProcess:
    """`proc` of the command `args`, or with `check` an AssertionError showing its output where it exited non-zero."""
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def run_here(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """`run_cli`'s command (`[script.py, ...]` or `["-m", module, ...]`) run in this process, through the `main` and
    `rlkit.cli.run_cli` that its `__main__` block calls: the same stdout, stderr and exit code without the 2-3 s of
    a fresh interpreter importing torch. For commands that refuse bad input or do little work; what only a fresh
    process shows (signals, child processes, a warning printed on stderr at import) keeps `run_cli`."""
    import contextlib
    import importlib
    import io

    from rlkit.cli import run_cli as run_command

    module_name, rest = (args[1], args[2:]) if args[0] == "-m" else (Path(args[0]).stem, args[1:])
    module = importlib.import_module(module_name)
    if hasattr(module, "__path__"):  # a package run with -m: its __main__ module
        module = importlib.import_module(f"{module_name}.__main__")
    out, err, code = io.StringIO(), io.StringIO(), 0
    argv = sys.argv
    sys.argv = [args[0] if args[0] != "-m" else module_name, *rest]
    try:
        with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            run_command(module.main, rest)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.argv = argv
    return _checked(subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue()), args, check)


@pytest.fixture(autouse=True)
def _capture_switch_as_found():
    """An entry point run in-process with --capture or --eager sets this process's switch and CSRO_CAPTURE (for the
    processes it would start); both are put back after each test, so no later test on the same worker trains under
    another switch (a leaked --capture once made test_resume_continues_exactly record 'capture on')."""
    before = os.environ.get("CSRO_CAPTURE")
    yield
    if before is None:
        os.environ.pop("CSRO_CAPTURE", None)
    else:
        os.environ["CSRO_CAPTURE"] = before
    graphs = sys.modules.get("rlkit.torch.graphs")
    if graphs is not None:
        graphs.use_capture(None)


@pytest.fixture(autouse=True)
def _torch_threads_as_found():
    """An entry point or a reproduction's run called in-process sets torch's thread count (`--threads`, cores //
    jobs); it is put back after each test, so that no later test on the same worker runs on another count (a
    reproduction test's 4 threads once made stage 1 record '4 threads' in a test that expected its worker's 1)."""
    before = torch.get_num_threads()
    yield
    if torch.get_num_threads() != before:
        torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """6 point-robot tasks, checkpoints 100 and 200, 3 stochastic + 1 deterministic episodes each."""
    work = tmp_path_factory.mktemp("tiny")
    run_cli(  # (on one thread, as Ray's segments of one CPU: the tests compare its files with theirs)
        [str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--threads", "1"],
        cwd=work,
    )
    return work / "offline_dataset" / "point-robot-tiny"
