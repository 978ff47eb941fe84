"""The Ray plumbing both stages share: connecting, resources, the segment chains the driver runs,
the progress lines and the summary table.

A long job (one task's behaviour SAC, one seed's meta-training) runs as a chain of Ray tasks,
one *segment* each: from the last saved state to the next one (a checkpoint; an iteration). A
segment runs our ordinary code in a scratch folder on its worker and returns the files it wrote
(through Ray's object store) with the state to continue from; the driver writes the files
atomically into the normal layout and submits the next segment with that state. So no shared
filesystem is needed, and when a worker dies Ray's own retry (`max_retries`) reruns the lost
segment from the state it was given: the job resumes from its last finished checkpoint, and the
result is the same as one uninterrupted run.

Ray is an optional extra: nothing here imports it at module level.
"""

from __future__ import annotations

import math
import os
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from rlkit.cli import sigterm_kept
from rlkit.errors import RunFailedError, UserError
from rlkit.fileio import ascii_digits, remove_orphans, scratch_prefix
from rlkit.torch.cpu_kernels import keep_freed_memory

INSTALL_HINT = "pip install -e '.[ray]'"


def require_ray(needed_by: str = "--ray"):
    """The `ray` module, or a one-line error saying that `needed_by` needs it and how to install it."""
    try:
        import ray
    except ImportError:
        raise UserError(
            f"{needed_by} needs Ray, which is not installed here: expected `{INSTALL_HINT}` first"
        ) from None
    return ray


# --max-retries: retries of a dead worker's task; Ray holds the count in a C int, and a task whose workers die a
# thousand times over has another cause than a lost node
MAX_RETRIES = 1000


@dataclass(frozen=True)
class ClusterOptions:
    """`--ray [ADDRESS]` and its companions. address: "local" (start a Ray instance on this machine),
    "auto" (join the cluster this machine is part of) or HOST:PORT / ray://HOST:PORT."""

    address: str = "local"
    cpus_per_task: float | None = None  # default 1
    gpus_per_task: float | None = None  # default 1 when the cluster has GPUs, else 0
    max_retries: int = 3  # Ray's retries of a segment whose worker or node died

    def __post_init__(self):
        a = self.address
        host, _, port = a.removeprefix("ray://").rpartition(":")
        if a not in ("local", "auto") and not (host and ascii_digits(port)):
            raise UserError(
                f"--ray {a!r}: expected nothing (a local Ray instance), 'auto', HOST:PORT or ray://HOST:PORT "
                "(write --ray last, or give its address, when other arguments follow)"
            )
        if a not in ("local", "auto") and not 0 < int(port) < 65536:
            raise UserError(f"--ray {a}: the port is not in 1..65535: expected HOST:PORT of a running Ray cluster")
        # 0.0001: Ray's own floor (its ValueError would come as a traceback at submission)
        cpus, gpus = self.cpus_per_task, self.gpus_per_task
        if cpus is not None and not (cpus >= 0.0001 and math.isfinite(cpus)):
            raise UserError(
                f"--cpus-per-task {cpus:g}: expected a positive number of CPUs (fractions allowed, from 0.0001: "
                "Ray's smallest unit)"
            )
        if gpus is not None and not (gpus >= 0 and math.isfinite(gpus)):
            raise UserError(f"--gpus-per-task {gpus:g}: expected a number >= 0")
        if gpus and gpus < 0.0001:
            raise UserError(f"--gpus-per-task {gpus:g}: expected 0 or at least 0.0001 (Ray's smallest unit)")
        if not 0 <= self.max_retries <= MAX_RETRIES:  # (2**31 was an OverflowError traceback from Ray)
            raise UserError(f"--max-retries {self.max_retries}: expected an integer from 0 to {MAX_RETRIES}")


CONNECT_TIMEOUT_S = 10.0  # a cluster's head answers in milliseconds; Ray itself would retry for many minutes


def connect(opts: ClusterOptions):
    """(ray, started): join or start Ray as `opts.address` says; `started` is False when this process
    was already connected (the caller then leaves the connection open). A cluster's address is probed
    first (`probe_head`), since Ray waits many minutes for an address where nothing answers."""
    ray = require_ray()
    if ray.is_initialized():
        return ray, False
    import logging

    from rlkit.switch import process_switches
    from rlkit.torch import graphs  # noqa: F401 (its switches, capture and fusion, are among those sent)

    # the workers run as this process does: its speed switches (--capture, CSRO_FUSE, ...) travel with the job
    quiet = dict(
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.WARNING,
        runtime_env={"env_vars": process_switches()},
    )
    try:
        with sigterm_kept():  # (Ray's init puts its own SIGTERM handler in place of the command's)
            if opts.address == "local":  # a new instance here, never RAY_ADDRESS's or the one `ray start` left running
                ray.init(address="local", **quiet)
            else:
                head = _head_address(opts.address)
                if head is not None:
                    probe_head(opts.address, head)
                ray.init(address=opts.address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise UserError(
            f"--ray {opts.address}: could not connect ({first}): expected a running Ray cluster "
            "(`ray start --head` on the head node)"
        ) from None
    return ray, True


def _head_address(address: str) -> str | None:
    """HOST:PORT that `address` ('auto', HOST:PORT or ray://HOST:PORT) makes Ray connect to; for 'auto',
    the cluster this machine last started or joined (Ray raises ConnectionError when there is none),
    or None where this Ray version does not say (then nothing is probed)."""
    if address.startswith("ray://"):
        return address[len("ray://") :]
    if address != "auto":
        return address
    try:
        from ray._private import services  # present in Ray 2.40 to 2.60

        return services.canonicalize_bootstrap_address(address)
    except (ImportError, AttributeError):
        return None


def probe_head(given: str, head: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """A UserError naming `given` unless a TCP connection to `head` (HOST:PORT) opens within `timeout`
    seconds: an unknown host, a closed port or a host that does not answer fail here in one line."""
    host, _, port = head.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as e:
        reason = (
            f"no answer within {timeout:g} s" if isinstance(e, TimeoutError) else getattr(e, "strerror", None) or str(e)
        )
        raise UserError(
            f"--ray {given}: could not connect to {head} ({reason}): expected a running Ray cluster "
            "there (`ray start --head` on the head node)"
        ) from None


def task_resources(ray, opts: ClusterOptions, on_cpu: bool = False) -> dict[str, float]:
    """Ray resources of one segment: `--gpus-per-task` GPUs if given, else one when the cluster has GPUs and the
    config does not run on the CPU (`on_cpu`: stage 1's SAC `device: cpu`, stage 2's `use_gpu: 0`), else none;
    `--cpus-per-task` CPUs (default 1)."""
    total_gpus = ray.cluster_resources().get("GPU", 0)
    default = 1.0 if total_gpus and not on_cpu else 0.0
    gpus = opts.gpus_per_task if opts.gpus_per_task is not None else default
    if gpus > 0 and not total_gpus:
        raise UserError(f"--gpus-per-task {gpus}: the Ray cluster has no GPUs; expected 0 or a cluster with GPUs")
    return {"num_cpus": opts.cpus_per_task or 1.0, "num_gpus": gpus}


def capacity(ray, resources: dict[str, float]) -> int:
    """How many segments the cluster's live nodes run at once: on each node, as many as its CPUs and GPUs hold (a task
    runs on one node), summed; 0 when no node holds one."""

    def fits(node: dict[str, float]) -> int:
        per = [node.get("CPU", 0) / resources["num_cpus"]]
        if resources["num_gpus"]:
            per.append(node.get("GPU", 0) / resources["num_gpus"])
        return int(min(per) + 1e-9)

    return sum(fits(n["Resources"]) for n in ray.nodes() if n.get("Alive", True))


def task_slots(ray, resources: dict[str, float], opts: ClusterOptions, out=print) -> int:
    """`capacity`, at least 1. A task no node holds would wait forever on Ray: on a local instance that is a
    UserError naming the request and the largest node; on a cluster, where an autoscaler may add such a node, a
    line saying so."""
    n = capacity(ray, resources)
    if n:
        return n
    nodes = [node["Resources"] for node in ray.nodes() if node.get("Alive", True)]
    big = max(nodes, key=lambda r: (r.get("GPU", 0), r.get("CPU", 0)), default={})
    asked = f"--cpus-per-task {resources['num_cpus']:g} and --gpus-per-task {resources['num_gpus']:g}"
    largest = f"its largest node has {big.get('CPU', 0):g} CPUs and {big.get('GPU', 0):g} GPUs"
    if opts.address == "local":
        raise UserError(f"{asked}: no node of the local Ray instance holds one task ({largest}): expected at most that")
    out(f"{asked}: no node of the Ray cluster holds one task now ({largest}); the tasks wait until such a node joins")
    return 1


def remote(ray, fn: Callable, resources: dict[str, float], opts: ClusterOptions):
    """`fn` as a Ray task that is retried when its worker dies (not when our code raises)."""
    return ray.remote(fn).options(**resources, max_retries=opts.max_retries, retry_exceptions=False)


# ---- worker side ---------------------------------------------------------------------------------
@dataclass
class WorkerContext:
    attempt: int
    device: torch.device
    node_id: str
    host: str
    started: float = field(default_factory=time.time)

    def info(self, **extra: Any) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "node_id": self.node_id,
            "host": self.host,
            "pid": os.getpid(),
            "seconds": time.time() - self.started,
            **extra,
        }


def current_attempt() -> int:
    """Which attempt of the running Ray task this is (1: the first, 2: the first retry, ...). Ray counts
    them but exposes the number only on its core worker (present in 2.40 to 2.60); 1 if it is missing."""
    import ray

    core = getattr(ray._private.worker.global_worker, "core_worker", None)
    get = getattr(core, "get_current_task_attempt_number", None)
    return int(get()) + 1 if get is not None else 1


def begin_segment(cpus: float) -> WorkerContext:
    """Inside a segment: note the attempt, pick the device Ray assigned, use the CPUs asked for."""
    import ray

    attempt = current_attempt()
    keep_freed_memory()  # as the entry points do: a worker process runs many segments
    torch.set_num_threads(max(1, int(cpus)))
    gpus = ray.get_gpu_ids()
    device = torch.device("cuda:0") if gpus and torch.cuda.is_available() else torch.device("cpu")
    return WorkerContext(attempt, device, ray.get_runtime_context().get_node_id(), socket.gethostname())


def scratch_dir(prefix: str) -> tempfile.TemporaryDirectory:
    """A segment's scratch folder: in memory (/dev/shm) where there is one, since every file is written
    again, durably, by the driver, and the atomic writes' fsyncs are free there. Its name carries this
    process's id and process space (`scratch_prefix`), so that the scratch of a worker killed mid-segment (memory
    it never freed) is removed by the next segment on the node, and not that of a live worker of another
    container."""
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    remove_orphans(parent, prefix)
    return tempfile.TemporaryDirectory(prefix=scratch_prefix(prefix), dir=parent)


@dataclass
class SegmentResult:
    files: dict[str, bytes]  # written by the segment, relative to the job's folder
    state: Any  # what the next segment continues from; None when the job is done
    info: dict[str, Any]  # WorkerContext.info plus what the stage reports


# ---- driver side ---------------------------------------------------------------------------------
@dataclass
class JobRecord:
    """One row of the summary table."""

    name: str
    nodes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # sum of its segments' wall time on their workers
    retries: int = 0
    segments: int = 0
    status: str = "running"
    exit_code: int = 1  # a failure's: its UserError's (2 bad input, 3 diverged), else 1 (`RunFailedError`)


class Chain:
    """One job as a chain of segments. Subclasses say how to submit a segment and what to do with
    its result (write the files, print the progress line)."""

    name: str

    def submit(self, state: Any):
        """The ObjectRef of the next segment, continuing from `state` (None: the first segment)."""
        raise NotImplementedError

    def apply(self, result: SegmentResult, record: JobRecord) -> None:
        raise NotImplementedError


def drive(ray, chains: list[Chain], slots: int, out=print) -> list[JobRecord]:
    """Run every chain to its end, with `slots + 1` jobs under way: one more than the cluster runs at
    once, so that a worker finds the next segment queued while the driver writes the last one's files
    (the next segment is submitted before they are written). A job finishes before a queued one
    starts, so an interrupted driver leaves few jobs half done. Returns the summary records; a job
    that failed for good is marked and the others go on."""
    records = {c.name: JobRecord(c.name) for c in chains}
    queue, running = list(chains), {}
    done = 0
    addresses: dict[str, str] = {}

    def node_label(info: dict[str, Any]) -> str:
        if info["node_id"] not in addresses:
            addresses.update({n["NodeID"]: n["NodeManagerAddress"] for n in ray.nodes()})
        return f"{info['host']} ({addresses.get(info['node_id'], info['node_id'][:8])})"

    def start():
        while queue and len(running) < slots + 1:
            chain = queue.pop(0)
            running[chain.submit(None)] = chain

    start()
    while running:
        ready, _ = ray.wait(list(running), num_returns=1)
        chain = running.pop(ready[0])
        record = records[chain.name]
        try:
            result: SegmentResult = ray.get(ready[0])
        except Exception as e:  # noqa: BLE001 - any Ray or task error ends this job, not the others
            record.status = f"failed: {_one_line(e)}"
            record.exit_code = getattr(getattr(e, "cause", e), "exit_code", 1)
            done += 1
            out(f"{chain.name}: FAILED ({record.status[8:]}) [{done}/{len(chains)}]")
            start()
            continue
        if result.state is not None:
            running[chain.submit(result.state)] = chain
        info = result.info
        info["node"] = node_label(info)
        record.segments += 1
        record.seconds += info["seconds"]
        record.retries += info["attempt"] - 1
        if info["node"] not in record.nodes:
            record.nodes.append(info["node"])
        if info["attempt"] > 1:
            out(
                f"{chain.name}: segment {record.segments} finished on attempt {info['attempt']} "
                f"(Ray retried it after its worker was lost)"
            )
        chain.apply(result, record)
        if result.state is None:
            record.status = "done"
            done += 1
            out(
                f"{chain.name}: done in {record.seconds:.1f} s on {', '.join(record.nodes)}, {record.retries} "
                f"retries [{done}/{len(chains)}]"
            )
        start()
    return [records[c.name] for c in chains]


def _one_line(e: BaseException) -> str:
    cause = getattr(e, "cause", None)  # a RayTaskError carries the task's own exception
    if isinstance(cause, UserError):
        return str(cause)
    text = str(cause if cause is not None else e).strip().splitlines()
    return f"{type(cause or e).__name__}: {text[-1] if text else ''}"


def summary_table(records: list[JobRecord], what: str) -> str:
    """The final table: job, node(s), wall time, retries, status."""
    rows = [
        (r.name, ", ".join(r.nodes) or "-", f"{r.seconds:.1f}", str(r.retries), str(r.segments), r.status)
        for r in records
    ]
    head = (what, "node", "wall (s)", "retries", "segments", "status")
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*r).rstrip() for r in [head, tuple("-" * w for w in widths), *rows])


def finish(records: list[JobRecord], what: str, out=print) -> None:
    """Print the summary table; a failed job makes the command fail (after everything else finished)."""
    out(summary_table(records, what))
    failed = [r for r in records if r.status != "done"]
    if failed:
        raise RunFailedError(
            f"{len(failed)} of {len(records)} {what}s failed ({failed[0].name} {failed[0].status}); "
            "what finished is written, and rerunning the command resumes the rest",
            [r.exit_code for r in failed],
            len(records),
        )
