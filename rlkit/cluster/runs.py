"""Stage 2 for several runs: `launch_experiment.py CONFIG --seeds 0,1,2 [--sweep FILE] [--ray [ADDRESS]]`.

The runs are every (sweep entry, seed) pair; each writes the usual `output/ENV/EXP/seed{S}/` on this
machine. Without `--ray` they train one after another in this process. With `--ray`, each run is a
chain of one-iteration segments: a worker receives the run folder's resume files (latest.pt,
progress.csv, variant.json, debug.log), once per node the dataset, and the run's `path_to_weights` file
if it has one; it continues the run for one iteration with `MetaTrainer` exactly as a resumed local run
does, and returns the files that changed (the new row, snapshot, TensorBoard events file, latest.pt),
which the driver writes (the row and events, then latest.pt, then the snapshot: `MetaTrainer.save`'s
order). A run whose worker dies is retried by Ray from the same files, i.e. from its latest state; since
a resumed run continues exactly, the run folder ends as a single-machine run's would on as many threads (a
segment runs `--cpus-per-task`) and the same CPU kernels, timing columns and TensorBoard file names aside.
Either way a run that fails on our side is marked failed, the others go on, and the command fails after the
summary table.

A sweep file is a JSON list of runs, each `{"exp_name": NAME, "overrides": {KEY: VALUE, ...}}` with
KEYs as on the command line (`algo_params.use_club` or a unique leaf name such as `use_club`; not
exp_name, which the entry's own key gives); overrides given on the command line apply to every entry
first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from rlkit.cli import config_device, parse_list
from rlkit.cluster.engine import (
    Chain,
    ClusterOptions,
    JobRecord,
    SegmentResult,
    begin_segment,
    connect,
    drive,
    finish,
    remote,
    scratch_dir,
    task_resources,
    task_slots,
)
from rlkit.config import Config, config_from_variant, default_dict, load_config, set_override
from rlkit.errors import UserError
from rlkit.experiment import MetaTrainer, experiment_name, output_dir, prepare
from rlkit.fileio import folder_flock, make_folder, read_json, read_tree, remove_orphans, scratch_prefix, write_tree
from rlkit.logging.logger import RunLogger, event_name_now
from rlkit.run_folder import (
    RunLock,
    iterations_done,
    read_run_state,
    recorded_data_print,
    restore_missing_snapshot,
    unsaved_from,
)
from rlkit.seeding import MAX_SEED
from rlkit.tasks import check_env_settings
from rlkit.torch.cpu_kernels import keep_freed_memory

RESUME_SKIP = ("snapshots", "tb", ".lock")  # outputs only: a worker does not need them to continue a run


@dataclass(frozen=True)
class RunPlan:
    name: str  # ENV/EXP/seedS, as the folder under base_log_dir
    cfg: Config
    seed: int
    out_dir: Path


def parse_seeds(text: str) -> list[int]:
    """'0,1,2' -> [0, 1, 2]: distinct integers in [0, MAX_SEED] (an empty entry, as in '0,,1', is an error)."""
    return parse_list("--seeds", text, minimum=0, maximum=MAX_SEED, duplicates="refuse")


def load_sweep(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """[(exp_name, nested overrides)] of a sweep file (see the module doc)."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "not found"
        raise UserError(f"--sweep {str(path)!r} {what}: expected a JSON file listing runs")
    entries = read_json(path, "a JSON list of runs", label=f"--sweep {str(path)!r}")
    if not isinstance(entries, list) or not entries:
        raise UserError(
            f'--sweep {str(path)!r}: expected a non-empty JSON list of {{"exp_name": ..., "overrides": {{...}}}}'
        )
    defaults, out = default_dict(), []
    for i, e in enumerate(entries):
        if (
            not isinstance(e, dict)
            or not isinstance(e.get("exp_name"), str)
            or set(e) - {"exp_name", "overrides"}
            or not isinstance(e.get("overrides", {}), dict)
        ):
            raise UserError(
                f"--sweep {str(path)!r} entry {i} ({json.dumps(e)[:80]}): expected "
                '{"exp_name": NAME, "overrides": {KEY: VALUE}}'
            )
        if not e["exp_name"].strip():  # (an empty one would stamp each seed's run with a time of its own)
            raise UserError(
                f"--sweep {str(path)!r} entry {i}: exp_name {e['exp_name']!r}: expected a folder name, one for the "
                "entry's runs of every seed (leave --sweep out for one timestamped folder)"
            )
        nested: dict[str, Any] = {}
        for key, value in e.get("overrides", {}).items():
            try:
                set_override(nested, defaults, key, value)
            except UserError as err:
                raise UserError(f"--sweep {str(path)!r} entry {i} ({e['exp_name']!r}): {err}") from None
        if "exp_name" in nested.get("util_params", {}):  # (the entry's own exp_name names its folder)
            raise UserError(
                f"--sweep {str(path)!r} entry {i} ({e['exp_name']!r}): exp_name among its overrides: expected it "
                'only as the entry\'s "exp_name"'
            )
        out.append((e["exp_name"], nested))
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise UserError(f"--sweep {str(path)!r}: exp_names {names} repeat: expected one folder name per entry")
    return out


def plan_runs(
    config: str, overrides: dict[str, Any], seeds: list[int], sweep: list[tuple[str, dict[str, Any]]] | None
) -> list[RunPlan]:
    """Every (sweep entry, seed) run, with its config checked; without a sweep, one entry of the
    command line's overrides (exp_name: the given one or the config's, else one timestamp for all seeds)."""
    named = sweep is not None
    if sweep is None:
        sweep = [(experiment_name(load_config(config, overrides)), {})]
    plans = []
    for i, (exp, extra) in enumerate(sweep):
        with naming(f"--sweep entry {i} ({exp!r})" if named else None):
            cfg = load_config(config, overrides, extra, {"util_params": {"exp_name": exp}})
        for seed in seeds:
            out = output_dir(cfg, seed)
            plans.append(RunPlan(f"{cfg.env_name}/{exp}/seed{seed}", cfg, seed, out))
    return plans


@contextlib.contextmanager
def naming(what: str | None):
    """A UserError raised inside starts with `what` (the sweep entry or run it is about); None: as it is."""
    try:
        yield
    except UserError as e:
        if what is None:
            raise
        raise type(e)(f"{what}: {e}") from None


def check_plans(plans: list[RunPlan]) -> list[tuple[RunPlan, int]]:
    """(plan, iterations done) of every run, with each run's env settings (`check_env_settings`) and folder checked
    (same config to continue, `num_iterations` not below what it did) before anything trains; finished runs are
    left out."""
    todo, envs = [], set()
    for p in plans:
        env = (p.cfg.env_name, json.dumps(p.cfg.env_params.kwargs(), sort_keys=True), p.cfg.algo_params.sparse_rewards)
        if env not in envs:  # each env setting once
            with naming(p.name):
                check_env_settings(p.cfg)
            envs.add(env)
        variant = dict(p.cfg.to_dict(), seed=p.seed)
        done = iterations_done(
            p.out_dir,
            variant,
            p.cfg.algo_params.num_iterations,
            "choose another --exp_name (or sweep entry)",
            recorded_data_print(p.out_dir, p.cfg),
        )
        if done > 0:  # (the snapshot a kill after latest.pt left unwritten: as a plain resume writes it)
            restore_missing_snapshot(p.out_dir, p.cfg, done)
        if done < p.cfg.algo_params.num_iterations:
            todo.append((p, done))
    return todo


def run_sequential(plans: list[RunPlan], show_progress: bool, out=print) -> list[JobRecord]:
    """The runs one after another in this process, each on the device its config says, then the summary table. A
    run that fails on our side (bad input found late, a divergence: a UserError) is marked failed and the others go
    on, as on Ray; the command then fails after the table (`finish`)."""
    todo = check_plans(plans)
    out(f"{len(plans)} runs: {len(plans) - len(todo)} finished, {len(todo)} to train, one after another")
    records = []
    for i, (p, _) in enumerate(todo):
        record = JobRecord(p.name, nodes=["this machine"])
        records.append(record)
        t0 = time.time()
        device = config_device(p.cfg.util_params.use_gpu, p.cfg.util_params.gpu_id, None)
        try:
            setup = prepare(p.cfg, p.seed, device, out_dir=p.out_dir)  # (the folder checked and printed)
            out(
                f"== {p.name}: {p.cfg.algo_type}, {len(setup.train_tasks)} train / {len(setup.test_tasks)} test "
                f"tasks, device {device} -> {p.out_dir}"
            )
            MetaTrainer(setup, show_progress=show_progress).run()
        except UserError as e:
            record.status, record.exit_code = f"failed: {e}", e.exit_code
            out(f"{p.name}: FAILED ({e}) [{i + 1}/{len(todo)}]")
        else:
            record.status = "done"
        record.seconds, record.segments = time.time() - t0, 1
    if records:
        finish(records, "run", out)
    return records


def run_many(
    config: str,
    overrides: dict[str, Any],
    seeds: list[int],
    sweep_path: str | None,
    cluster: ClusterOptions | None,
    show_progress: bool = True,
) -> list[JobRecord]:
    """`launch_experiment.py --seeds/--sweep [--ray]`: plan the runs, then train them here one after
    another or on Ray."""
    if sweep_path is not None and overrides.get("util_params", {}).get("exp_name") is not None:
        raise UserError("--exp_name and --sweep together: expected the sweep file's entries to name the experiments")
    plans = plan_runs(config, overrides, seeds, load_sweep(sweep_path) if sweep_path is not None else None)
    if cluster is not None:
        return run_on_ray(plans, cluster)
    keep_freed_memory()
    return run_sequential(plans, show_progress)


# ---- on Ray ---------------------------------------------------------------------------------------
def dataset_files(data_dir: Path) -> tuple[str, dict[str, bytes]]:
    """(content digest, files) of what stage 2 reads from a dataset (not the behaviour networks)."""
    files = read_tree(data_dir, skip=("networks",))
    h = hashlib.sha256()
    for rel, data in files.items():
        h.update(rel.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:24], files


DATA_CACHE_IDLE_S = 24 * 3600  # a node's copy of a dataset no segment has used for this long is removed
SHARED_DATA_CACHE = "csro-ray-data"  # under TMPDIR: the node cache all users shared before 2026-12-06


def local_dataset(key: str, ref: list, cache: Path | None = None) -> Path:
    """On a worker: this node's copy of the dataset `key` under `cache` (default TMPDIR/csro-ray-data-UID, one
    folder per user: another user's copies can be neither marked used nor removed), fetched
    from the object store the first time (`ref` is the one-element list holding its ObjectRef, so that Ray does
    not fetch it for every segment). Each use marks the copy used; a new copy removes the copies of other
    datasets unused for `DATA_CACHE_IDLE_S` and the half-written copies of killed workers (by default in the
    folder all users shared before, `SHARED_DATA_CACHE`, too: this user's copies there, never used again)."""
    import ray

    shared = Path(tempfile.gettempdir()) / SHARED_DATA_CACHE
    swept = [] if cache else [shared]
    cache = cache or shared.with_name(f"{SHARED_DATA_CACHE}-{os.getuid()}")  # (one per user of the node)
    root = cache / key
    make_folder(cache)
    # a copy is marked used, and unused ones removed, one worker of the node at a time: a copy idle for a day and
    # taken up again is not removed by a worker fetching another dataset in the same instant
    with folder_flock(cache):
        there = root.is_dir()
        if there:
            os.utime(root)  # used now
        else:
            for folder in [cache, *swept]:
                _remove_unused_copies(folder)
    if not there:
        tmp = cache / f"{scratch_prefix('.part-')}{key}"
        try:
            write_tree(tmp, ray.get(ref[0]))
            os.rename(tmp, root)
        except OSError:  # another worker on this node was first, or the copy failed (then it is raised below)
            shutil.rmtree(tmp, ignore_errors=True)
            if not root.is_dir():
                raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return root


def _remove_unused_copies(cache: Path) -> None:
    """Remove from a node's dataset cache the copies unused for `DATA_CACHE_IDLE_S` and the half-written copies
    of killed workers; what this user may not remove (another user's, in the old shared cache) stays."""
    if not cache.is_dir():
        return
    remove_orphans(cache, ".part-")
    for old in cache.iterdir():
        with contextlib.suppress(OSError):  # (removed meanwhile by another worker)
            if old.is_dir() and not old.name.startswith(".") and time.time() - old.stat().st_mtime > DATA_CACHE_IDLE_S:
                shutil.rmtree(old, ignore_errors=True)


def training_segment(
    cpus: float,
    cfg_dict: dict,
    seed: int,
    run_files: dict[str, bytes],
    data_key: str,
    data_ref: list,
    weights_ref: list | None = None,
) -> SegmentResult:
    """On a worker: one iteration of one run, continued from `run_files` (see the module doc); `weights_ref`: the
    one-element list holding the ObjectRef of the bytes of the run's `path_to_weights`, a file of the driver's."""
    import ray

    ctx = begin_segment(cpus)
    data_dir = local_dataset(data_key, data_ref)
    with scratch_dir("csro-run-") as scratch:
        out_dir = Path(scratch) / "run"
        write_tree(out_dir, run_files)
        weights = None
        if weights_ref is not None:
            weights = Path(scratch) / "path_to_weights.pt"
            weights.write_bytes(ray.get(weights_ref[0]))
        setup = prepare(config_from_variant(cfg_dict), seed, ctx.device, data_dir=data_dir, out_dir=out_dir)
        trainer = MetaTrainer(setup, show_progress=False, weights_file=weights)
        logger = trainer.run(max_iterations=1, restore_snapshots=False)  # (the driver restores them: check_plans)
        files = {k: v for k, v in read_tree(out_dir, skip=(".lock",)).items() if run_files.get(k) != v}
        resume = read_tree(out_dir, skip=RESUME_SKIP)
    done = trainer.counters["iteration"] >= setup.cfg.algo_params.num_iterations
    return SegmentResult(
        files, None if done else resume, ctx.info(summary=MetaTrainer.summary(logger.rows[-1]) if logger.rows else "")
    )


class RunChain(Chain):
    def __init__(self, plan: RunPlan, submit_fn, out):
        self.plan, self.submit_fn, self.out, self.name = plan, submit_fn, out, plan.name

    def submit(self, state):  # a run's state is its resume files: first from the run folder, then from the last link
        if state is None:  # (check_plans restored a snapshot a kill left unwritten)
            purge_unsaved_events(self.plan)
            state = read_tree(self.plan.out_dir, skip=RESUME_SKIP)
        return self.submit_fn(self.plan, state)

    def apply(self, result: SegmentResult, record: JobRecord) -> None:
        # the row, events and eval returns, then latest.pt, then the snapshot: MetaTrainer.save's order; the events
        # named by this clock, after the files before them (`event_name_now`)
        files = {}
        for key, data in result.files.items():
            folder, _, name = key.rpartition("/")
            if name.startswith("events.out.tfevents."):
                key = f"{folder}/{event_name_now(self.plan.out_dir / folder, name)}"
            files[key] = data
        write_tree(self.plan.out_dir, files, last=("latest.pt", "snapshots/*"))
        self.out(f"{self.name} {result.info['summary']} ({result.info['node']}, {result.info['seconds']:.1f} s)")


def purge_unsaved_events(plan: RunPlan) -> None:
    """Readers of a run folder's TensorBoard files drop, from here on, what was logged past its latest.pt: a driver
    killed after a segment's row and events came back, before its latest.pt did, would have the retried segment log
    that iteration (BOREL's VAE steps) twice. A plain resume's writer purges so itself (`RunLogger.resume_at`); a
    segment cannot (its files come back beside the others, named by its worker's clock)."""
    latest = plan.out_dir / "latest.pt"
    if not latest.is_file():  # (nothing saved: a new run replaces the folder)
        return
    logger = RunLogger(plan.out_dir)
    logger.resume_at(*unsaved_from(read_run_state(latest, "the state the run saved")))
    logger.write_purges()
    logger.close()


def run_on_ray(plans: list[RunPlan], opts: ClusterOptions, out=print) -> list[JobRecord]:
    """The runs on Ray (see the module doc): a line per iteration and per finished run, then the summary."""
    todo = check_plans(plans)
    # path_to_weights is read by a new run only (a resumed one continues from its latest.pt, as a plain resume does)
    weighted = {p.name for p, done in todo if p.cfg.path_to_weights and done == 0}
    checked = set()
    for p, _ in todo:  # everything that can fail on bad input fails here, before anything trains
        key = (json.dumps(p.cfg.to_dict(), sort_keys=True), p.name in weighted)
        if key not in checked:
            with naming(p.name):
                setup = prepare(p.cfg, p.seed, torch.device("cpu"))
                if p.name in weighted:  # read here, and sent to the workers (which may not see this file)
                    MetaTrainer(setup, show_progress=False)
            checked.add(key)
    ray, started = connect(opts)
    try:
        resources = task_resources(ray, opts, on_cpu=not any(p.cfg.util_params.use_gpu for p, _ in todo))
        slots = task_slots(ray, resources, opts, out)
        out(
            f"{len(plans)} runs: {len(plans) - len(todo)} finished, {len(todo)} to train on Ray: {slots} at a time, "
            f"{resources['num_cpus']:g} CPU and {resources['num_gpus']:g} GPU each"
        )
        shipped: dict[str, tuple[str, list]] = {}
        weights: dict[str, list] = {}
        for p, _ in todo:
            d, w = p.cfg.algo_params.data_dir, p.cfg.path_to_weights
            if d not in shipped:
                digest, files = dataset_files(Path(d))
                shipped[d] = (digest, [ray.put(files)])
            if p.name in weighted and w not in weights:
                weights[w] = [ray.put(Path(w).read_bytes())]
        segment = remote(ray, training_segment, resources, opts)

        def submit(plan: RunPlan, run_files: dict[str, bytes]):
            digest, ref = shipped[plan.cfg.algo_params.data_dir]
            w = weights.get(plan.cfg.path_to_weights) if plan.name in weighted else None
            return segment.remote(resources["num_cpus"], plan.cfg.to_dict(), plan.seed, run_files, digest, ref, w)

        with contextlib.ExitStack() as locks:
            for p, _ in todo:
                make_folder(p.out_dir)
                locks.enter_context(RunLock(p.out_dir))
            records = drive(ray, [RunChain(p, submit, out) for p, _ in todo], slots, out)
    finally:
        if started:
            ray.shutdown()
    if records:
        finish(records, "run", out)
    return records
