"""Stage 1 on Ray: every task a chain of segments, one per checkpoint (`policy_train.py --ray`).

A segment is `rlkit.behaviour.generate.train_segment` in a scratch folder on its worker: it trains
the task from the state it is given to its next checkpoint and returns that checkpoint's files
(episodes, networks, returns.csv, losses.csv, task.json) and the state to continue from. The driver writes the
files into `data_dir/goal_idx{i}/` (task.json last) and submits the next segment. A task's data is
the same as a single-machine run's with the same seed on as many threads and the same CPU kernels (a segment
runs `--cpus-per-task` threads; `tasks_per_group` does not change it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rlkit.behaviour.generate import (
    Stage1Spec,
    check_checkpoints_come,
    claim_dataset_settings,
    group_settings,
    lock_tasks,
    pending_tasks,
    saved_groups,
    train_segment,
)
from rlkit.behaviour.settings import BehaviourSettings, Schedule
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
from rlkit.data.dataset import TASK_DIR_PREFIX, task_dir
from rlkit.errors import UserError
from rlkit.fileio import read_tree, write_tree
from rlkit.torch.sac.vector_sac import SACParams


def behaviour_segment(
    cpus: float,
    env_name: str,
    env_params: dict[str, Any],
    task: int,
    sched: Schedule,
    sac: SACParams,
    save_networks: bool,
    state: dict | None,
) -> SegmentResult:
    """On a worker: one segment of one task (see the module doc)."""
    ctx = begin_segment(cpus)
    with scratch_dir("csro-behaviour-") as scratch:
        spec = Stage1Spec(env_name, env_params, sched, sac, Path(scratch), ctx.device, save_networks)
        seg = train_segment(spec, task, state)
        files = read_tree(task_dir(scratch, task))
    return SegmentResult(files, seg.state, ctx.info(checkpoint=seg.checkpoint, mean_return=seg.mean_return))


class TaskChain(Chain):
    def __init__(self, task: int, data_dir: Path, submit_fn, out):
        self.task, self.data_dir, self.submit_fn, self.out = task, data_dir, submit_fn, out
        self.name = f"{TASK_DIR_PREFIX}{task}"

    def submit(self, state):
        return self.submit_fn(self.task, state)

    def apply(self, result: SegmentResult, record: JobRecord) -> None:
        write_tree(task_dir(self.data_dir, self.task), result.files, last=("task.json",))
        ck = result.info["checkpoint"]
        if ck is not None:
            self.out(
                f"{self.name}: checkpoint {ck} written, mean return {result.info['mean_return']:.3g} "
                f"({result.info['node']}, {result.info['seconds']:.1f} s)"
            )


def refuse_saved_groups(data_dir: Path, todo: list[int]) -> None:
    """A UserError if a plain run's saved group state (`resume_file`, left by an interrupted `policy_train.py`
    without --ray) holds tasks this run would train: Ray trains each task from its start, and the state, left
    behind, would make a later plain run train those tasks again over the finished data. The user chooses: finish
    them with the plain command, or remove the state."""
    for path, group in saved_groups(data_dir):
        held = sorted(group & set(todo))
        if held:
            raise UserError(
                f"{str(path)!r} holds an interrupted plain run's state of tasks {held}: expected it finished "
                "first (policy_train.py without --ray resumes it) or removed (then Ray trains them from their start)"
            )


def generate_on_ray(
    env_name: str,
    env_params: dict[str, Any],
    data_dir: Path,
    tasks: list[int],
    sac_config: str,
    behaviour: BehaviourSettings,
    opts: ClusterOptions,
    out=print,
) -> list[JobRecord]:
    """Stage 1 for `tasks` on Ray: skip the complete ones, train each of the others as one chain of
    segments; print a line per checkpoint and per finished task, then the summary table."""
    sched, sac = behaviour.schedule, behaviour.sac
    with lock_tasks(data_dir, tasks):  # the driver writes the files: it holds the tasks
        settings = group_settings(env_name, env_params, sched, sac, behaviour.save_networks)
        todo = pending_tasks(data_dir, tasks, settings, resumes=False)  # segments carry their states, not files
        refuse_saved_groups(data_dir, todo)
        check_checkpoints_come(env_name, env_params, sched)  # (here, not in each worker after connecting)
        ray, started = connect(opts)
        try:
            resources = task_resources(ray, opts, on_cpu=behaviour.device == "cpu")
            slots = task_slots(ray, resources, opts, out)
            claim_dataset_settings(data_dir, settings)  # (once Ray can run them: a refused run records nothing)
            out(
                f"{env_name}: tasks {tasks[0]}..{tasks[-1]} of this part, {len(tasks) - len(todo)} already complete, "
                f"{len(todo)} to train ({sac_config}) on Ray: {slots} at a time, {resources['num_cpus']:g} CPU and "
                f"{resources['num_gpus']:g} GPU each -> {data_dir}"
            )
            segment = remote(ray, behaviour_segment, resources, opts)

            def submit(task, state):
                return segment.remote(
                    resources["num_cpus"], env_name, env_params, task, sched, sac, behaviour.save_networks, state
                )

            records = drive(ray, [TaskChain(t, data_dir, submit, out) for t in todo], slots, out)
        finally:
            if started:
                ray.shutdown()
        if records:
            finish(records, "task", out)
        return records
