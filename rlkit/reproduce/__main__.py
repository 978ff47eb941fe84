"""`python -m rlkit.reproduce ENV ...`: the command (see the package's docstring)."""

from __future__ import annotations

import os
import re
import shlex
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

import click

from rlkit.cli import (
    MAX_THREADS,
    THREADS,
    parse_list,
    pool_worker,
    run_cli,
    run_in_worker,
    stop_workers,
    writable_folder,
)
from rlkit.errors import RunFailedError, UserError
from rlkit.reproduce.document import write_report
from rlkit.reproduce.plan import (
    DEFAULT_METHODS,
    ENVS,
    METHODS,
    Profile,
    budget_lines,
    iterations_of,
    profile,
    profile_devices,
    profiles,
    run_specs,
    run_state,
    train_one,
)
from rlkit.seeding import MAX_SEED


def checked_arguments(
    env: str,
    profile_name: str | None,
    seeds: str,
    methods: str,
    jobs: int,
    out: str,
    results: str,
    data_dir: str | None,
) -> tuple[str, Profile, list[int], list[str]]:
    """The command's values checked before any file is looked at, each bad one a one-line UserError: the profile's
    name (the env's first where none is given) and the profile, the seeds in order and the methods, each once."""
    if env not in ENVS:
        raise UserError(f"unknown env {env!r}: expected one of {list(ENVS)}")
    for option, value in [
        ("--profile", profile_name),
        ("--data_dir", data_dir),
        ("--out", out),
        ("--results", results),
    ]:
        if value is not None and not value.strip():  # (not the default: a typo, or an unset shell variable)
            raise UserError(f"{option} {value!r}: expected a name or path; leave the option out for its default")
    profile_name = profile_name if profile_name is not None else next(iter(profiles(env)))
    p = profile(env, profile_name)
    seed_list = sorted(parse_list("--seeds", seeds, minimum=0, maximum=MAX_SEED, duplicates="drop"))
    method_list = parse_list("--methods", methods, choices=METHODS, duplicates="drop")
    if jobs < 1:
        raise UserError(f"--jobs {jobs}: expected >= 1")
    if jobs > MAX_THREADS:  # (2**70 reached the process pool: an OverflowError traceback after stage 1)
        raise UserError(f"--jobs {jobs}: expected at most {MAX_THREADS} (runs trained at once, a process each)")
    return profile_name, p, seed_list, method_list


@click.command()
@click.argument("env")
@click.option(
    "--profile",
    "profile_name",
    default=None,
    help="the env's profile (default: its CPU-sized results profile where it has one, else paper): "
    + "; ".join(f"{e}: {', '.join(profiles(e))}" for e in ENVS),
)
@click.option("--seeds", default="0,1,2", show_default=True, help="comma-separated training seeds")
@click.option(
    "--methods",
    default=",".join(DEFAULT_METHODS),
    show_default=True,
    help="comma-separated methods (FOCAL_REPLACE: FOCAL with mb_replace true; "
    "CORRO_STD, run only when named: CORRO with corro_standardize true)",
)
@click.option(
    "--gpu",
    default=None,
    type=int,
    help="CUDA device of stage 1 and the runs (-1: the CPU; default: the profile's configs': CUDA device 0 when "
    "available for paper and tiny, the CPU for the demo and cpu profiles)",
)
@click.option(
    "--capture/--eager",
    default=None,
    help="CUDA-graph capture of the training steps, or eager steps (default: CSRO_CAPTURE, else capture on CUDA only)",
)
@click.option("--jobs", default=1, show_default=True, help="runs trained at once, each in its own process")
@click.option(
    "--threads",
    default=None,
    type=THREADS,
    help="torch threads per run and for stage 1 (default: cores / jobs; stage 1 every core)",
)
@click.option("--out", default="output/reproduce", show_default=True, help="where the runs go")
@click.option("--results", default="docs/results", show_default=True, help="where the report goes")
@click.option("--data_dir", default=None, help="behaviour data folder (default: the profile config's data_dir)")
@click.option("--report-only", is_flag=True, help="write the report from the finished runs; train nothing")
def main(
    env: str,
    profile_name: str | None,
    seeds: str,
    methods: str,
    gpu: int | None,
    capture: bool | None,
    jobs: int,
    threads: int | None,
    out: str,
    results: str,
    data_dir: str | None,
    report_only: bool,
) -> None:
    """Train every method x seed of PROFILE on ENV's data and write the paper-style report."""
    profile_name, p, seed_list, method_list = checked_arguments(
        env, profile_name, seeds, methods, jobs, out, results, data_dir
    )
    writable_folder("--results", Path(results))
    if not report_only:  # (--report-only reads the runs under --out, which may be read-only, archived ones)
        writable_folder("--out", Path(out))
    check_report_target(Path(results) / f"{env}-{profile_name}.md", method_list, seed_list)  # before any training
    from rlkit.torch import graphs

    graphs.request_capture(capture)
    from rlkit.budget import usable_cores

    given_threads = threads
    threads = threads or max(1, usable_cores() // jobs)  # (the cores this process may use: taskset, slurm)
    specs = run_specs(
        env, profile_name, method_list, seed_list, Path(out), threads, gpu, Path(data_dir) if data_dir else None
    )
    progress = [iterations_of(s, as_made=report_only) for s in specs]  # every folder checked before anything trains
    states = [run_state(*p) for p in progress]
    # seed-major: a reproduction stopped part-way has every method on its first seeds, not some methods on all
    order = sorted(
        (i for i, state in enumerate(states) if state != "finished"),
        key=lambda i: (specs[i].seed, METHODS.index(specs[i].method)),
    )
    todo, done = [specs[i] for i in order], [progress[i][0] for i in order]
    command = shlex.join(  # (the report's "Made by" line, quoted as a shell reads it: every option saying where)
        ["python", "-m", "rlkit.reproduce", env, "--profile", profile_name, "--seeds", seeds, "--methods", methods]
        + [
            part
            for option, value, default in [
                ("--out", out, "output/reproduce"),
                ("--results", results, "docs/results"),
                ("--data_dir", data_dir, None),
            ]
            if value != default
            for part in (option, str(value))
        ]
    )
    if report_only:
        missing = [f"{s.method} seed {s.seed}" for s in todo]
        if missing:
            raise UserError(f"--report-only: runs not finished: {missing}; expected every run finished")
    from rlkit.behaviour import generate_dataset, load_sac_config

    cfg, behaviour = specs[0].load_config(), load_sac_config(p.sac_config, [])  # (every method's devices alike)
    stage1_device, device = profile_devices(behaviour.device, cfg, gpu)  # (after every check: the first line)
    how = graphs.describe(graphs.capture_on(device), device, fused=graphs.fusion_on())
    where = f"device {device}" if stage1_device == device else f"stage 1 on {stage1_device}, the runs on {device}"
    print(f"reproduce {env} --profile {profile_name}: {where} ({how})")
    if not report_only:
        for line in budget_lines(specs, todo, jobs, device, done):
            print(line, flush=True)
        n = cfg.env_params.n_tasks
        import torch

        torch.set_num_threads(given_threads or usable_cores())  # stage 1 runs here alone: --threads, else every core
        generate_dataset(
            cfg.env_name,
            cfg.env_params.kwargs(),
            Path(cfg.algo_params.data_dir),
            list(range(n)),
            p.sac_config,
            behaviour,
            stage1_device,
        )
        print(
            f"{len(specs)} runs: {states.count('finished')} finished, {states.count('resume')} to resume, "
            f"{states.count('new')} new"
        )
        failed = train_all(todo, jobs)
        if failed:
            kept = "the others are trained and kept, " if len(failed) < len(todo) else ""
            raise RunFailedError(
                f"{len(failed)} of {len(todo)} runs failed ({failed[0]}); {kept}no report is written, and rerunning "
                "the command resumes",
                [f.exit_code for f in failed],
                len(todo),
            )
    path = write_report(env, profile_name, specs, Path(results), command)
    print(f"wrote {path}")


_MADE_FOR = re.compile(r"Methods (.+?); seeds \[([\d, ]*)\]")


def check_report_target(path: Path, methods: list[str], seeds: list[int]) -> None:
    """A UserError if `path`, the report this command would write, holds one of other methods or seeds (its "Methods
    ...; seeds [...]" line), or one of another form: replacing it would lose a report (the README's five-seed CSRO
    command would have replaced the eight-method demo report)."""
    if not path.is_file():
        return
    found = _MADE_FOR.search(path.read_text(errors="replace"))
    made = (sorted(found[1].split(", ")), sorted(int(x) for x in found[2].split(",") if x.strip())) if found else None
    if made != (sorted(methods), sorted(seeds)):
        what = f"of methods {made[0]} and seeds {made[1]}" if made else "of another form"
        raise UserError(
            f"{str(path)!r} is a report {what}: expected one of methods {sorted(methods)} and seeds {sorted(seeds)} "
            "to replace it; choose another --results folder (or remove that report)"
        )


class FailedRun(str):
    """A failed run's line (`train_all`), with the exit code of the error that stopped it (`UserError`'s 2 for bad
    input such as damaged data, `DivergedError`'s 3)."""

    exit_code: int = 1


def train_all(todo: list, jobs: int, train=train_one) -> list[FailedRun]:
    """Train `todo` (`train`: `train_one`) here (`jobs` 1) or in `jobs` worker processes, a line as each ends; a
    run that fails on our side (a UserError: diverged, bad data) is one line and the others go on. Returns the
    failures' lines (`FailedRun`). Ctrl-C or SIGTERM stops at once: the workers ignore SIGINT (the driver alone
    handles it), queued runs are cancelled and running ones ended (`stop_workers`; each resumes from its latest
    snapshot)."""
    failed: list[FailedRun] = []

    def ended(spec, error: BaseException | None, line: str | None = None) -> None:
        if error is None:
            print(line, flush=True)
            return
        if isinstance(error, (SystemExit, KeyboardInterrupt)):  # (a worker stopped by a signal as it sent a result)
            raise RunFailedError(
                f"{spec.method} seed {spec.seed}: its worker process was stopped ({type(error).__name__}); rerunning "
                "the command resumes every run from its latest snapshot"
            ) from None
        if not isinstance(error, UserError):
            raise error
        failed.append(FailedRun(f"{spec.method} seed {spec.seed}: {error}"))
        failed[-1].exit_code = error.exit_code
        print(f"{spec.method} seed {spec.seed}: FAILED ({error})", flush=True)

    if jobs == 1:
        for spec in todo:
            try:
                line = train(spec)
            except UserError as e:
                ended(spec, e)
            else:
                ended(spec, None, line)
        return failed
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=get_context("spawn"), initializer=pool_worker, initargs=(os.getpid(),)
    )
    try:
        # the workers start while the runs are submitted: with SIGINT ignored here meanwhile they start ignoring it
        # (a spawned Python keeps an ignored SIGINT), so a Ctrl-C while one still imports is not its traceback
        default = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            futures = {pool.submit(run_in_worker, train, spec): spec for spec in todo}
        finally:
            signal.signal(signal.SIGINT, default)
        for future in as_completed(futures):
            error = future.exception()
            if isinstance(error, BrokenProcessPool):  # every unfinished run fails alike: which worker died is unknown
                lost = [
                    f"{sp.method} seed {sp.seed}"
                    for f, sp in futures.items()
                    if not f.done() or isinstance(f.exception(), BrokenProcessPool)
                ]
                raise RunFailedError(
                    f"a worker process ended abruptly (killed, or out of memory?) while runs {lost} were under way or "
                    "queued; rerunning the command resumes each from its latest snapshot"
                ) from None
            ended(futures[future], error, None if error else future.result())
    except BaseException:
        workers = list((getattr(pool, "_processes", None) or {}).values())  # (CPython's; shutdown forgets them)
        pool.shutdown(wait=False, cancel_futures=True)
        stop_workers(workers)
        pool.shutdown(wait=True)  # (the workers gone, this returns at once; the pool's queues are closed before exit)
        raise
    pool.shutdown()
    return failed


if __name__ == "__main__":
    run_cli(main)
