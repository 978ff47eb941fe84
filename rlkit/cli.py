"""Shared CLI plumbing: a `UserError` becomes one line on stderr and its exit code (2; 3 for a diverged run)."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click
import torch

from rlkit.config import MAX_INT
from rlkit.errors import UserError
from rlkit.fileio import CannotCreate, error_chain, missing_folders

# --threads: torch's thread pool; far above any machine's cores, the OpenMP runtime fails to start its threads
# and the process dies with a segmentation fault (seen at 100,000,000; 4096 still starts).
MAX_THREADS = 1024
THREADS = click.IntRange(1, MAX_THREADS)


class NonBlank(click.ParamType):
    """A path or name that is not empty or blank. `''` (an unset shell variable, `--out "$DIR"`) would read as the
    current folder (`Path('')` is `.`: files written into it) or, where the code tests the value's truth, as the
    option left out; either way not what was typed. Refused in one line naming the option, the value and `what`."""

    name = "text"

    def __init__(self, what: str):
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            default = (
                "; leave the option out for its default"
                if isinstance(param, click.Option) and not param.required
                else ""
            )
            self.fail(f"{value!r}: expected {self.what}{default}", param, ctx)
        return value


PATH = NonBlank("a path")


def figure_file(option: str, out: str) -> None:
    """A figure's path given on the command line ends in a format matplotlib writes (or none: png), checked before
    anything is computed; `--out notes.txt` would have been overwritten with PNG bytes."""
    from matplotlib.backend_bases import FigureCanvasBase

    kinds = FigureCanvasBase.get_supported_filetypes()
    if Path(out).suffix[1:].lower() not in ("", *kinds):  # (matplotlib reads the suffix in any case: x.PNG is a PNG)
        raise UserError(f"{option} {out!r}: expected a figure file ending in one of {sorted('.' + k for k in kinds)}")


def refuse_blank(option: str, value: str | None, what: str = "a path") -> None:
    """`NonBlank`'s refusal where the option cannot take the type: the benchmarks, whose modules import rlkit (and
    torch) only inside `main`, so that their measuring child processes start light."""
    if value is not None and not value.strip():
        raise UserError(f"{option} {value!r}: expected {what}; leave the option out for its default")


# What to do about a write the system refuses (`rlkit.fileio.WRITE_REFUSED`): bad circumstances in the
# user's sense (exit 2), not a bug in this code.
WRITE_HINTS = {
    errno.ENOSPC: "expected free space on that disk",
    errno.EDQUOT: "expected free space in your quota",
    errno.EFBIG: "expected a file size limit (ulimit -f) that allows it",
    errno.EACCES: "expected a path this user may write (and read)",
    errno.EPERM: "expected a path this user may write (and read)",
    errno.EROFS: "expected a folder on a writable filesystem",
    errno.ENOTDIR: "expected a folder there, not a file",
    errno.EISDIR: "expected a file there, not a folder",
    errno.EEXIST: "expected a folder there, not a file",  # (mkdir(exist_ok=True) where a file has the folder's name)
    errno.ENAMETOOLONG: "expected a shorter name (an --exp_name or path of fewer characters)",
}
CANNOT_CREATE_HINT = "expected a folder where files can be made (not under /proc, /sys or a similar system folder)"


_OOM_TEXT = ("out of memory", "can't allocate memory", "CUBLAS_STATUS_ALLOC_FAILED")


def out_of_memory(e: BaseException) -> BaseException | None:
    """The out-of-memory error in `e` or the errors it was raised from or during, or None. Besides
    `torch.OutOfMemoryError` (the caching allocator) and `MemoryError` (numpy), memory runs out as plain
    RuntimeErrors: the CPU allocator's "can't allocate memory", CUDA's "CUDA error: out of memory" (a graph's
    instantiation, the driver), cuBLAS's workspace, and torch.compile or a capture wrapping one of these."""
    return next(
        (
            x
            for x in error_chain(e, suppressed=False)
            if isinstance(x, (torch.OutOfMemoryError, MemoryError)) or any(t in str(x) for t in _OOM_TEXT)
        ),
        None,
    )


class Terminated(KeyboardInterrupt):
    """SIGTERM (a cluster's preemption or requeue, `docker stop`, `kill`) raised where the process stands, so that it
    ends as Ctrl-C does (`sigterm_unwinds`): every `with` block unwinds, and a run's lock is released for the job
    that resumes it, on whichever host (a lock left behind on another host is refused there)."""


def _raise_terminated(signum: int, frame: Any) -> None:
    # once: a second SIGTERM (a scheduler signals a whole process group, then the parent its workers) must not cut
    # the unwinding short, the lock's release included; `sigterm_unwinds` puts the handler before back
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Within: SIGTERM raises `Terminated` (in the main thread, the only one signals reach; elsewhere a no-op);
    after: the handler before."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:  # (None: a handler installed from C, which Python cannot put back; the default is what it had)
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


@contextlib.contextmanager
def sigterm_kept() -> Iterator[None]:
    """Around a library call that installs a SIGTERM handler of its own (Ray's init: a `sys.exit`): where this
    process raised `Terminated` on SIGTERM (`sigterm_unwinds`), it does so again after, so that a run still ends in
    its one line and exit 143 (the unwinding runs the library's exit hooks as its `sys.exit` would)."""
    previous = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        if previous is _raise_terminated and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)


def refuse_repeated_options(command: click.Command, args: list[str]) -> None:
    """A UserError for an option of one value given twice (`--seed 0 --seed 1`), or both sides of an on/off pair
    (`--capture --eager`), which click settles silently by the last (a group's and then its subcommand's). A flag
    given twice the same way and options taken several times are left."""
    valued = {  # each option that takes a value, by each of its names
        name: p
        for p in command.params
        if isinstance(p, click.Option) and not (p.count or p.is_flag)
        for name in p.opts + p.secondary_opts
    }
    sides = {  # each side of an on/off pair (`--capture/--eager`) by its names: (the pair, its side)
        name: (p.name, side)
        for p in command.params
        if isinstance(p, click.Option) and p.is_flag and p.secondary_opts
        for side, names in ((True, p.opts), (False, p.secondary_opts))
        for name in names
    }
    seen: dict[str, str] = {}  # parameter -> its value
    switched: dict[str | None, tuple[bool, str]] = {}  # pair -> the side given first, by the name it was given
    i = 0
    while i < len(args):
        token, i = args[i], i + 1
        if token == "--":
            return
        if isinstance(command, click.Group) and token in command.commands:
            return refuse_repeated_options(command.commands[token], args[i:])
        name, eq, value = token.partition("=") if token.startswith("--") else (token, "", "")
        if token in sides:
            pair, side = sides[token]
            first = switched.setdefault(pair, (side, token))
            if first[0] != side:
                raise UserError(f"{first[1]} and {token} both given: expected one of them")
            continue
        param = valued.get(name)
        if param is None:
            continue
        given = [value] if eq else []  # (`--pair=a b`: click reads the rest of its values after it)
        wanted = max(param.nargs, 1) - len(given)
        if getattr(param, "_flag_needs_value", False) and not eq and (i == len(args) or args[i][:1] == "-"):
            wanted, given = 0, [str(param.flag_value)]  # (`--ray` alone, its value optional: click takes none)
        value = " ".join(given + list(args[i : i + wanted]))
        i += wanted
        if param.multiple:
            continue
        if param.name in seen:
            raise UserError(f"{name} given twice ({seen[param.name]}, then {value}): expected it once")
        seen[param.name] = value


def run_cli(command: Callable[..., Any], args: list[str] | None = None) -> None:
    """Run a click command (or a plain `main()` that parses its own arguments: the argparse benchmarks); a
    `UserError`, a refused write (`WRITE_HINTS`) or a click usage error becomes one line on stderr and its exit
    code. A refused write names the path; the writers are atomic (`rlkit.fileio`), so nothing half-written stays
    behind, and an interrupted run resumes. Ctrl-C exits 130, SIGTERM 143 (`Terminated`), each with one line."""
    try:
        with sigterm_unwinds():
            if isinstance(command, click.Command):
                refuse_repeated_options(command, sys.argv[1:] if args is None else args)
                command.main(args=args, standalone_mode=False)
            else:
                command()
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
    except OSError as e:
        hint = CANNOT_CREATE_HINT if isinstance(e, CannotCreate) else WRITE_HINTS.get(e.errno)
        if hint is None:
            raise
        where = f"{str(e.filename)!r}: " if e.filename else ""
        what = f"cannot be made there ({e.strerror})" if isinstance(e, CannotCreate) else e.strerror
        print(f"error: {where}{what}: {hint}", file=sys.stderr)
        sys.exit(2)
    except (click.exceptions.Abort, KeyboardInterrupt) as e:  # (click's Abort is a RuntimeError: before that)
        # Ctrl-C, or SIGTERM (`Terminated`; a click command turns either into its Abort, raised from it)
        resumes = "every file is written whole; a training command resumes when rerun"
        if isinstance(next((x for x in error_chain(e) if not isinstance(x, click.exceptions.Abort)), None), Terminated):
            print(f"terminated (SIGTERM; {resumes})", file=sys.stderr)
            sys.exit(128 + signal.SIGTERM)
        print(f"interrupted ({resumes})", file=sys.stderr)
        sys.exit(128 + signal.SIGINT)
    except (RuntimeError, MemoryError) as e:
        cause = out_of_memory(e)
        if cause is None:
            raise
        what = str(cause).strip().splitlines()[0] if str(cause).strip() else "out of memory"
        print(
            f"error: {what[:200]}: expected a smaller step; lower algo_params.meta_batch, embedding_batch_size or "
            "batch_size, or the networks' net_size or latent_size, or env_params.n_tasks (stage 1: "
            "agent.params.batch_size, replay_buffer_capacity, tasks_per_group or the networks' hidden_dim), or on a "
            "GPU run with --eager (a captured step holds about twice the memory); what was last saved is kept",
            file=sys.stderr,
        )
        sys.exit(2)
    except click.exceptions.NoArgsIsHelpError as e:  # (a group without its command: click prints the whole help)
        names = sorted(getattr(e.ctx.command, "commands", {}))
        print(f"error: no command: expected one of {names} (--help says what each does)", file=sys.stderr)
        sys.exit(2)
    except click.ClickException as e:
        print(f"error: {e.format_message()}", file=sys.stderr)
        sys.exit(2)


def parse_list(
    option: str,
    text: str,
    *,
    choices: Sequence[str] | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
    duplicates: str = "keep",
    hint: str = "",
) -> list:
    """A comma-separated option value (`--seeds 0,1,2`, `--methods CSRO,FOCAL`) as a list in the given order:
    integers, or names from `choices`. Entries are stripped; an empty entry is an error (not "all"), as is
    an integer below `minimum` or above `maximum`. A repeated entry is kept (`duplicates="keep"`), dropped ("drop")
    or an error ("refuse"). Every error is one line naming the option, the bad entry and what was expected
    (+ `hint`)."""
    if choices is None:
        first = max(minimum or 0, 0)  # (an example the option accepts: `--tasks` starts at 1)
        example = ",".join(str(first + i) for i in range(3))
        bounds = ""
        if minimum is not None and maximum is not None:
            bounds = f" from {minimum} to {maximum}"
        elif minimum is not None or maximum is not None:
            bounds = f" >= {minimum}" if minimum is not None else f" <= {maximum}"
        expected = f"comma-separated integers{bounds} such as {example}"
    else:
        expected = f"comma-separated names from {list(choices)}"
    expected += ", each once" if duplicates == "refuse" else ""

    def refuse(problem: str) -> UserError:
        return UserError(f"{option} {text!r}: {problem}; expected {expected}{hint}")

    items = [s.strip() for s in text.split(",")]
    if not any(items):
        raise refuse("the list is empty")
    values: list = []
    for i, item in enumerate(items, 1):
        if not item:
            raise refuse(f"entry {i} is empty")
        values.append(_list_entry(item, choices, minimum, refuse))
        if maximum is not None and choices is None and values[-1] > maximum:
            raise refuse(f"{values[-1]} is above {maximum}")
        if values[-1] in values[:-1] and duplicates == "refuse":
            raise refuse(f"{item} appears twice")
    return list(dict.fromkeys(values)) if duplicates == "drop" else values


def _list_entry(
    item: str, choices: Sequence[str] | None, minimum: int | None, refuse: Callable[[str], UserError]
) -> int | str:
    """One entry of `parse_list`: a name from `choices`, or an integer >= `minimum`."""
    if choices is not None:
        if item not in choices:
            raise refuse(f"{item!r} is unknown")
        return item
    try:
        value = int(item)
    except ValueError:
        raise refuse(f"{item!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise refuse(f"{value} is below {minimum}")
    return value


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB: Linux's VmHWM, which a new program starts afresh
    (`getrusage`'s ru_maxrss keeps the parent's peak across fork and exec, so a benchmark's child would report
    its parent's when that is higher); ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def child_env(first: str | Path, **extra: str) -> dict[str, str]:
    """The environment for a benchmark's or script's child Python: this one's, with `first` (a checkout) put before
    PYTHONPATH, not in its place: on the GPU machine PYTHONPATH also holds the carried wheels (scripts/gpu/check.sh),
    which a child without them cannot import."""
    path = os.pathsep.join(p for p in (str(first), os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, PYTHONPATH=path, **extra)


def child_json(args: Sequence[str], what: str, env: dict[str, str] | None = None) -> dict:
    """Run `python ARGS` (a benchmark's measurement, in a process of its own) and return the JSON object it prints
    last; a child that fails or prints none is a UserError naming `what` and the child's last line of stderr."""
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env)
    lines = out.stdout.strip().splitlines()
    if out.returncode == 0 and lines:
        try:
            result = json.loads(lines[-1])
        except json.JSONDecodeError:
            result = None
        if isinstance(result, dict):
            return result
    said = out.stderr.strip().splitlines()
    why = said[-1] if said else f"no error message, and no JSON object on its last line of output ({lines[-1:]})"
    raise UserError(f"{what} failed (exit {out.returncode}): {why}")


def argument_parser(description: str):
    """An `argparse.ArgumentParser` (the benchmarks' and scripts' own) whose bad arguments are one line, `error:
    argument --steps: ...` and exit 2, as the click commands' are (argparse prints its usage first); an option of
    one value given twice is one of them (argparse keeps the last, as click does: `refuse_repeated_options`)."""
    import argparse

    class OneLine(argparse.ArgumentParser):
        def error(self, message: str):
            self.exit(2, f"error: {message}\n")

        def parse_known_args(self, args=None, namespace=None):
            args = sys.argv[1:] if args is None else list(args)
            seen = set()
            for token in args[: args.index("--")] if "--" in args else args:
                action = self._option_string_actions.get(token.split("=", 1)[0] if token.startswith("--") else token)
                if type(action) is argparse._StoreAction:  # (a value each time: not append, count or a flag)
                    if action.dest in seen:
                        self.error(f"argument {token.split('=', 1)[0]}: given twice: expected it once")
                    seen.add(action.dest)
            return super().parse_known_args(args, namespace)

    return OneLine(description=description)


def positive_int(text: str) -> int:
    """argparse type of a count (the benchmarks' --steps, --rounds): a whole number from 1 (0 would time nothing
    and divide by zero) to a config's largest count (`rlkit.config.MAX_INT`; 2**70 was an overflow's traceback)."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_INT:
        raise argparse.ArgumentTypeError(f"{value}: expected a whole number from 1 to {MAX_INT}")
    return value


def writable_folder(option: str, path: Path) -> None:
    """Check, before a long command starts, that the folder an option names (`--results`, written last) is one
    it will be able to create or write: a file in its place, or a folder this user may not write, is a
    one-line UserError now instead of a refused write at the end. Where the folder is not there yet, its shallowest
    missing folder is made and removed again: a filesystem that makes nothing (/proc, where root passes the access
    check) is the `CannotCreate` line of the first write, before anything runs, and nothing is left behind."""
    missing = missing_folders(path)
    existing = missing[-1].parent if missing else path  # the nearest folder (or file) that exists
    if not existing.is_dir():
        what = "is a file" if existing == path else f"is under {str(existing)!r}, a file"
        raise UserError(f"{option} {str(path)!r} {what}: expected a folder (or a path where one can be made)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(
            f"{option} {str(path)!r}: {str(existing)!r} is not writable: expected a folder this user may write"
        )
    if missing:
        try:
            missing[-1].mkdir()
        except FileExistsError:  # (made meanwhile by another process: there, and not ours to remove)
            return
        except FileNotFoundError as e:
            raise CannotCreate(errno.ENOENT, e.strerror, str(missing[-1])) from None
        with contextlib.suppress(OSError):  # (another process may have put files in it meanwhile: left to it)
            missing[-1].rmdir()


def check_gpu(gpu: int | None) -> int | None:
    """`--gpu G`: the CUDA device G >= 0, or None for the CPU (no --gpu, or -1 as the reference's users write)."""
    if gpu is not None and not -1 <= gpu < 2**31:  # (torch holds a device index in an int)
        raise UserError(f"--gpu {gpu}: expected a CUDA device number >= 0, or -1 for the CPU")
    return None if gpu is None or gpu == -1 else gpu


def select_device(gpu: int | None, asked: bool = True, quiet: bool = False) -> torch.device:
    """The run's device. `gpu` None: CUDA device 0 when CUDA is available (as the reference's `use_gpu: 1`
    and `device: cuda` do), else the CPU; -1: the CPU; G >= 0: cuda:G. A G beyond the visible devices is
    one line, then cuda:0; CUDA asked for (`asked`: by --gpu, not by a config default) where there is none
    is one line, then the CPU. `quiet`: no line (a command's runs, after the command has said it once)."""
    check_gpu(gpu)  # G < -1 refused
    if gpu == -1:
        return torch.device("cpu")
    if not torch.cuda.is_available():
        if gpu is not None and asked and not quiet:
            print(f"note: --gpu {gpu} asked for CUDA, which is not available here; running on the CPU", file=sys.stderr)
        return torch.device("cpu")
    count = torch.cuda.device_count()
    if gpu is not None and gpu >= count:
        if not quiet:
            print(
                f"note: --gpu {gpu}: this machine has {count} CUDA device{'s' if count > 1 else ''} "
                f"(0 to {count - 1}); running on cuda:0",
                file=sys.stderr,
            )
        return torch.device("cuda:0")
    return torch.device(f"cuda:{gpu or 0}")


def sac_config_device(sac_device: str, gpu: int | None, quiet: bool = False) -> torch.device:
    """Stage 1's device: --gpu G where given, else its SAC config's `device` (`cuda`: CUDA device 0 when CUDA is
    available, else the CPU; `cpu`: the CPU), as `select_device` says it."""
    return select_device(gpu if gpu is not None else (-1 if sac_device == "cpu" else None), quiet=quiet)


def config_device(use_gpu: bool, gpu_id: int, gpu_flag: int | None, quiet: bool = False) -> torch.device:
    """A stage-2 run's device from its config (`use_gpu`, `gpu_id`; --gpu has set both when given): CUDA
    device `gpu_id` when `use_gpu` and CUDA is available, else the CPU; a note only when --gpu asked."""
    return select_device(gpu_id if use_gpu else -1, asked=gpu_flag is not None and gpu_flag != -1, quiet=quiet)


def gpu_overrides(gpu: int) -> dict[str, Any]:
    """What `--gpu G` sets in a stage-2 config, so that its variant.json says where it ran: `use_gpu` and
    `gpu_id` G, or `use_gpu` false for -1."""
    cuda = check_gpu(gpu)
    return {"use_gpu": False} if cuda is None else {"use_gpu": True, "gpu_id": cuda}


# seconds a pool worker is given to end its run after SIGTERM (it releases the run's lock) before SIGKILL
WORKER_GRACE_SECONDS = 10.0

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def pool_worker(parent: int) -> None:
    """The initializer of a pool's worker process: it ends with its parent (`die_with_parent`), ignores Ctrl-C,
    which the parent alone handles (it then cancels the queued work and ends the workers itself, `stop_workers`),
    and takes SIGTERM as the parent's word to stop (`run_in_worker`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_sigterm)
    die_with_parent(parent)


# a pool worker's state: "idle" (waiting for work), "running" a run, or "unwinding" one after SIGTERM
# (`run_in_worker`), and whether SIGTERM came
_WORKER = {"state": "idle", "terminated": False}


def _worker_sigterm(signum: int, frame: Any) -> None:
    _WORKER["terminated"] = True
    if _WORKER["state"] == "running":  # once per run: a second SIGTERM (as `_raise_terminated`) lets it unwind
        _WORKER["state"] = "unwinding"
        raise Terminated()
    if _WORKER["state"] == "idle":  # waiting for work: the worker ends as at the pool's end (its finalizers run)
        sys.exit(128 + signal.SIGTERM)


def run_in_worker(train: Callable[[Any], Any], spec: Any) -> Any:
    """`train(spec)` in a pool worker (`pool_worker`). SIGTERM (the parent's `stop_workers`, a scheduler's signal to
    the whole process group, or the pool itself when another worker died) unwinds a run under way as Ctrl-C would
    (its lock is released, its files are whole), then ends the worker (`_end_worker`): killed, it left its runs'
    locks behind; left waiting for more work, a pool that joins its workers would wait for ever."""
    try:
        if _WORKER["terminated"]:
            raise Terminated()
        _WORKER["state"] = "running"
        try:
            return train(spec)
        finally:
            if _WORKER["state"] == "running":
                _WORKER["state"] = "idle"
    except (Terminated, SystemExit):  # (SystemExit: the handler's, had SIGTERM come just before the run began)
        _WORKER["state"] = "unwinding"
        _end_worker()


def _end_worker() -> None:
    """End this pool worker from inside a run, where the pool's loop would catch a SystemExit and wait for more
    work: multiprocessing's exit finalizers first (what a normal exit runs: a shared semaphore is unregistered, or
    the resource tracker warns of it as leaked), then `os._exit`."""
    import multiprocessing.util

    finish = getattr(multiprocessing.util, "_exit_function", None)  # (CPython's; without it only the warning)
    if finish is not None:
        with contextlib.suppress(Exception):
            finish()
    os._exit(128 + signal.SIGTERM)


def stop_workers(workers: list, grace: float = WORKER_GRACE_SECONDS) -> None:
    """End the pool's worker processes: SIGTERM, which a running run turns into an unwinding (`run_in_worker`: its
    lock is released, its files are whole), then SIGKILL for any still alive after `grace` seconds. Running runs
    resume from their latest snapshots."""
    for process in workers:
        process.terminate()
    deadline = time.monotonic() + grace
    for process in workers:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()


def die_with_parent(parent: int) -> None:
    """Make this worker process end when its parent `parent` ends, also by SIGKILL, which gives the
    parent no chance to stop its workers (they would otherwise go on training, parent 1).

    On Linux the kernel sends this process SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG). The
    signal follows the parent *thread* that started the worker: `rlkit.reproduce`'s pool starts its
    workers from the main thread, which lives as long as the process. Where prctl is missing, a
    daemon thread checks every second whether the process has been re-parented. Either way, a parent
    that died before this ran is caught by comparing getppid() once more. Killing is safe: every file
    is written atomically, and a killed run resumes from its latest snapshot."""
    if not _set_parent_death_signal():
        threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return False
    return prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0


def _exit_when_orphaned(parent: int, period: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(period)
    os._exit(1)
