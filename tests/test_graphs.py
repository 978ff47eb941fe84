"""CUDA-graph capture (rlkit/torch/graphs.py) as far as the CPU can check it, and the device defaults.

On the CPU: every training step (stage 2's, for each algo_type and BRAC, and stage 1's update) runs
under the `no_host_reads` guard (capture-safe: no host read, no data-sized op), and the static-buffer
path that capture replays gives the same numbers as the eager step. Where CUDA exists, the captured
step is compared with eager, resumed, and switched off. The device tests mock CUDA as available or not.
"""

import contextlib
import json
import os
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from rlkit.behaviour import Stage1Spec
from rlkit.config import load_config
from rlkit.data.buffer import RLBatch
from rlkit.errors import UserError
from rlkit.experiment import MetaTrainer, prepare
from rlkit.torch import graphs
from rlkit.torch.csro.trainer import CSROTrainer
from tests.conftest import TINY_CONFIG, cuda_only
from tests.test_gradient_flow import ACT, CLASSIFIER, OBS, assert_detached, extra_batches, make_inputs, make_trainer

STEP_CASES = {
    "CSRO": {},
    "BRAC": {"use_brac": True},
    "BRAC-gradient-penalty": {"use_brac": True, "dual_critic_penalty": "gradient"},
    "FOCAL": {"algo_type": "FOCAL"},
    "OFFPEARL": {"algo_type": "OFFPEARL"},
    "CLASSIFIER": CLASSIFIER,
    "hvar-poe": {"use_hvar": True, "z_strategy": "poe"},
    "z0": {"train_z0_policy": True},
}


# ---- the guard ---------------------------------------------------------------------------------------------
HOST_READS = {
    "item": lambda t: t[0].item(),
    "bool": lambda t: bool(t[0]),
    "branch": lambda t: 1 if t[0] > 0 else 0,
    "tolist": lambda t: t.tolist(),
    "numpy": lambda t: t.numpy(),
    "cpu": lambda t: t.cpu(),
    "print": lambda t: print(t),
    "format": lambda t: f"{t[0]:.3f}",
    "float": lambda t: float(t[0]),
    "index": lambda t: range(t[0].long()),
    "nonzero": lambda t: t.nonzero(),
    "mask": lambda t: t[t > 0],
    "array": lambda t: np.asarray(t),
    "repeat_by_tensor": lambda t: t.repeat_interleave(t.long()),
    # a number read inside torch's own ops (seen only by the dispatch-level entry _local_scalar_dense), and the
    # out-of-place boolean-mask index_put (its true positions found on the host)
    "arange_to_tensor": lambda t: torch.arange(t[0]),
    "full_of_tensor": lambda t: torch.full((2,), t[0]),
    "index_put_mask": lambda t: t.index_put((t > 0,), torch.tensor(2.0)),
}


@pytest.mark.parametrize("read", HOST_READS, ids=list(HOST_READS))
def test_guard_raises_on_each_host_read(read):
    t = torch.ones(3)
    with pytest.raises(graphs.HostReadError), graphs.no_host_reads():
        HOST_READS[read](t)


@pytest.mark.parametrize(
    "read",
    [lambda t: t.to("cpu"), lambda t: torch.empty(3).copy_(t)],
    ids=["to_cpu", "copy_into_cpu"],
)
def test_guard_raises_on_a_copy_from_another_device_to_the_host(read):
    """A CUDA tensor copied to the host is a sync; a meta tensor stands in for it here (the guard raises at
    dispatch, before the copy, which a meta tensor could not make)."""
    t = torch.ones(3, device="meta")
    with pytest.raises(graphs.HostReadError, match="aten op aten._to_copy|aten op aten.copy_"), graphs.no_host_reads():
        read(t)


def test_guard_lets_device_work_through():
    t = torch.ones(3)
    with graphs.no_host_reads():
        out = (t * 2).sum() + t.repeat_interleave(2, dim=0).mean()
    assert out.item() == 7.0


@pytest.mark.parametrize("case", STEP_CASES, ids=list(STEP_CASES))
def test_csro_step_is_capture_safe(case):
    """The whole stage-2 step of each algo_type / variant reads nothing on the host (the optimisers' CPU step
    counters aside: without `capturable` Adam keeps them on the host, under capture on the device), and returns
    records out of autograd (`assert_detached`)."""
    tr = make_trainer(**STEP_CASES[case])
    assert_detached(tr.train_step(*make_inputs(), extra_batches(tr)))  # the optimisers' state exists from here
    with graphs.no_host_reads(graphs.host_step_counters(tr.optimizers().values())):
        assert_detached(tr.train_step(*make_inputs(seed=4), extra_batches(tr)))


def _vector_sac():
    from policy_train import load_sac_config
    from rlkit.torch.sac.vector_sac import TaskGenerators, VectorSAC

    sac = load_sac_config("tiny_point", []).sac
    return VectorSAC(3, 2, 2, sac, seed=0, device=torch.device("cpu")), TaskGenerators(3, 0, torch.device("cpu")), sac


def _sac_batch(B, seed):
    g = torch.Generator().manual_seed(seed)
    return {
        "obs": torch.randn(3, B, 2, generator=g),
        "actions": torch.rand(3, B, 2, generator=g) * 2 - 1,
        "rewards": torch.randn(3, B, 1, generator=g),
        "next_obs": torch.randn(3, B, 2, generator=g),
        "not_done": torch.ones(3, B, 1),
    }


def test_stage1_update_is_capture_safe():
    """The update and the adding of its records to the tasks' sums (`TaskGroup._update`), on both branches; the
    records are out of autograd (the sums would otherwise hold every update's graph until they are written)."""
    from rlkit.behaviour.generate import UpdateRecords

    agent, gens, sac = _vector_sac()
    agent.update(_sac_batch(sac.batch_size, 0), 0, gens)
    opts = [agent.actor_opt, agent.critic_opt, agent.alpha_opt]
    records = UpdateRecords(agent.n, torch.device("cpu"))
    for step in (1, 2):  # both branches of the target update
        with graphs.no_host_reads(graphs.host_step_counters(opts)):
            out = agent.update(_sac_batch(sac.batch_size, step), step, gens)
            records.add(out)
        assert not [k for k, v in out.items() if v.requires_grad or v.grad_fn is not None]
    assert records.sums[:, 0].tolist() == [2.0] * agent.n


def test_brac_alpha_is_updated_and_loaded_in_place():
    """A captured step reads and writes `alpha_var` through one tensor: it must never be rebound."""
    tr = make_trainer(use_brac=True)
    alpha = tr.alpha_var
    tr.train_step(*make_inputs(), extra_batches(tr))
    assert tr.alpha_var is alpha and alpha.item() != 500.0
    tr.load_state_dict(make_trainer(seed=1, use_brac=True).state_dict())
    assert tr.alpha_var is alpha and alpha.item() == 500.0


# ---- the static-buffer path equals eager ----------------------------------------------------------------
def _tiny_cfg(tiny_data, tmp_path, monkeypatch, name, algo_type="CSRO", **algo):
    """The tiny config for 2 iterations, its runs under tmp_path/point-robot/NAME (the data's folder current)."""
    monkeypatch.chdir(tiny_data.parent.parent)
    return load_config(
        TINY_CONFIG,
        {
            "algo_type": algo_type,
            "algo_params": dict({"num_iterations": 2}, **algo),
            "util_params": {"exp_name": name, "base_log_dir": str(tmp_path)},
        },
    )


def _trainer(cfg, device: str, capture: bool | None) -> MetaTrainer:
    """A meta-trainer of `cfg`, seed 0, on `device` (a run folder already there is resumed; `capture` None: the
    switch's default)."""
    return MetaTrainer(prepare(cfg, 0, torch.device(device)), show_progress=False, capture=capture)


def _meta_trainer(tiny_data, tmp_path, monkeypatch, name, capture, device="cpu", algo_type="CSRO", **algo):
    return _trainer(_tiny_cfg(tiny_data, tmp_path, monkeypatch, name, algo_type, **algo), device, capture)


def _run_steps(mt: MetaTrainer, n: int) -> list[dict[str, torch.Tensor]]:
    """n steps, each step's record copied (a captured step's outputs are overwritten by the next replay)."""
    return [{k: v.detach().clone().cpu() for k, v in vars(mt.step()).items()} for _ in range(n)]


def _params(mt: MetaTrainer) -> list[torch.Tensor]:
    return [p.detach().cpu().clone() for m in mt.trainer.modules().values() for p in m.state_dict().values()]


@pytest.mark.slow
@pytest.mark.parametrize("algo", [{}, {"use_brac": True}], ids=["CSRO", "BRAC"])
def test_static_buffer_path_equals_eager_over_50_steps(tiny_data, tmp_path, monkeypatch, algo):
    eager = _meta_trainer(tiny_data, tmp_path, monkeypatch, "eager", False, **algo)
    static = _meta_trainer(tiny_data, tmp_path, monkeypatch, "static", False, **algo)
    static.runner = graphs.StepRunner(static._train_and_sum, torch.device("cpu"), True)  # capture's path, no graph
    a, b = _run_steps(eager, 50), _run_steps(static, 50)
    assert static.runner.buffers.static is not None  # the draws went through the static buffers
    assert eager.runner.buffers.static is None  # the eager step is left as it was: no copies
    for i, (x, y) in enumerate(zip(a, b)):
        for k in x:
            assert torch.equal(x[k], y[k]), (i, k)
    assert all(torch.equal(p, q) for p, q in zip(_params(eager), _params(static)))
    assert all(torch.equal(eager.sums.values[k], static.sums.values[k]) for k in eager.sums.values)


@pytest.mark.slow
@pytest.mark.parametrize("algo", [{}, {"use_brac": True}], ids=["CSRO", "BRAC"])
def test_every_generator_the_step_draws_from_is_registered_with_its_graph(tiny_data, tmp_path, monkeypatch, algo):
    """A CUDA graph replays a generator's draws anew only if the generator is registered with it (`StepRunner`'s
    `generators`); one the step draws from but the runner does not know replays the captured step's noise every
    step. Its registration dropped (`[]`) passed every CPU test: every random op of the step, recorded under a
    dispatch mode, must name a generator of the runner's."""
    from torch.utils._python_dispatch import TorchDispatchMode

    from rlkit.data.buffer import sample_step

    mt = _meta_trainer(tiny_data, tmp_path, monkeypatch, "gens", False, **algo)
    used = []

    class Record(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if isinstance(kwargs.get("generator"), torch.Generator):
                used.append(kwargs["generator"])
            return func(*args, **kwargs)

    s = sample_step(mt.setup.train_buffer, mt.train_tasks, mt.cfg.algo_params, mt.sample_gen)
    with Record():
        mt._train_and_sum(s)
    registered = {r.initial_seed() for r in mt.runner.generators}  # (dispatch hands a new Python object: by seed)
    assert used and {g.initial_seed() for g in used} <= registered, (len(used), registered)


@pytest.mark.slow
def test_capture_on_the_cpu_runs_the_static_path_and_resumes_alike(tiny_data, tmp_path, monkeypatch):
    """`capture=True` on the CPU: a run of 2 iterations equals one interrupted after the first and resumed."""
    whole = _meta_trainer(tiny_data, tmp_path, monkeypatch, "whole", False)
    whole.runner = graphs.StepRunner(whole._train_and_sum, torch.device("cpu"), True)
    whole.run()
    cfg = _tiny_cfg(tiny_data, tmp_path, monkeypatch, "parts")
    _trainer(cfg, "cpu", True).run(max_iterations=1)
    parts = _trainer(cfg, "cpu", True)
    parts.run()
    assert all(torch.equal(p, q) for p, q in zip(_params(whole), _params(parts)))
    assert parts.runner.buffers.static is not None  # the resumed run's draws went through the static buffers
    log = tmp_path / "point-robot" / "parts" / "seed0" / "debug.log"
    assert "capture on (static buffers" in log.read_text()


@pytest.mark.slow
def test_corros_stages_each_key_the_step_and_the_static_path_equals_eager(tiny_data, tmp_path, monkeypatch):
    """CORRO's stages (CVAE 5 steps, E1 alone 5, then frozen) through 2 iterations of 10 steps: the runner gets each
    step's stage as its key (one graph per stage on CUDA), and capture's static-buffer path equals eager."""
    algo = {
        "algo_type": "CORRO",
        "corro_negatives": "generative",
        "corro_cvae_steps": 5,
        "corro_pretrain_steps": 5,
    }
    eager = _meta_trainer(tiny_data, tmp_path, monkeypatch, "eager", False, **algo)
    eager.run()
    static = _meta_trainer(tiny_data, tmp_path, monkeypatch, "static", False, **algo)
    assert not static.runner.keys_return  # (a finished stage's graph is dropped: tested below with CUDA faked)
    runner, keys = graphs.StepRunner(static._train_and_sum, torch.device("cpu"), True, keys_return=False), []
    static.runner = lambda inputs, key=None: (keys.append(key), runner(inputs, key))[1]
    static.run()
    assert keys == ["cvae"] * 5 + ["pretrain"] * 5 + ["frozen"] * 10
    assert static.trainer.steps_taken() == 20 and static.trainer.agent.encoder.pinned_step is None
    assert all(torch.equal(p, q) for p, q in zip(_params(eager), _params(static)))


def test_stage1_static_path_writes_the_same_data(tmp_path):
    from policy_train import load_sac_config
    from rlkit.behaviour import train_task_group
    from rlkit.behaviour.generate import TaskGroup
    from rlkit.data.dataset import task_dir
    from rlkit.fileio import read_tree

    behaviour = load_sac_config("tiny_point", ["num_train_steps=200"])
    sched, sac = behaviour.schedule, behaviour.sac
    params = {"n_tasks": 6, "max_episode_steps": 20}
    train_task_group(
        Stage1Spec("point-robot", params, sched, sac, tmp_path / "eager", torch.device("cpu")), [1, 2], "off"
    )
    graphs.use_capture(True)
    try:
        group = TaskGroup(
            Stage1Spec("point-robot", params, sched, sac, tmp_path / "static", torch.device("cpu")), [1, 2], "off"
        )
        assert group.updater.capture
        group.train()
    finally:
        graphs.use_capture(None)
    for t in (1, 2):
        a, b = (read_tree(task_dir(tmp_path / d, t)) for d in ("eager", "static"))
        a.pop("task.json"), b.pop("task.json")
        assert a == b
    _checkpoints_close(tmp_path / "eager", tmp_path / "static", [1, 2])  # (the CUDA tests' comparison, run here)


@pytest.mark.slow
@pytest.mark.parametrize("capture", [False, True], ids=["eager", "capture"])
def test_a_dropped_owner_of_a_runner_is_freed_at_once(tiny_data, tmp_path, monkeypatch, capture):
    """A stage-1 task group and a stage-2 trainer are freed when the last name for them goes, without waiting for a
    cycle collection (on a GPU their replay buffers, networks and graphs' memory pools would stay allocated while
    the next group or run allocates its own): their step runner must not hold them in a reference cycle."""
    import gc
    import weakref

    from rlkit.behaviour import load_sac_config
    from rlkit.behaviour.generate import TaskGroup

    behaviour = load_sac_config("tiny_point", ["num_train_steps=200"])
    params = {"n_tasks": 6, "max_episode_steps": 20}
    graphs.use_capture(capture)
    try:
        group = TaskGroup(
            Stage1Spec("point-robot", params, behaviour.schedule, behaviour.sac, tmp_path, torch.device("cpu")),
            [1, 2],
            "off",
        )
        trainer = _meta_trainer(tiny_data, tmp_path, monkeypatch, "freed", capture)
        trainer.step()
        gc.collect()
        gc.disable()
        try:
            refs = [weakref.ref(group), weakref.ref(trainer)]
            del group, trainer
            assert [r() is None for r in refs] == [True, True]
        finally:
            gc.enable()
    finally:
        graphs.use_capture(None)


def _unset_capture_env(monkeypatch) -> None:
    """CSRO_CAPTURE unset for the test, and put back as it was after it (`request_capture` writes it directly)."""
    graphs.use_capture(None)
    monkeypatch.setenv(graphs.ENV_VAR, "0")  # recorded as it was, so that the teardown restores it
    monkeypatch.delenv(graphs.ENV_VAR)


def test_capture_switch(monkeypatch):
    """Unset: capture on CUDA, eager on the CPU; CSRO_CAPTURE or `--capture` / `--eager` decide for either device,
    in this process and those it starts."""
    _unset_capture_env(monkeypatch)
    try:
        assert graphs.capture_on("cuda:0") and not graphs.capture_on(torch.device("cpu"))
        for value, on in (("0", False), ("1", True)):
            graphs.use_capture(None)
            monkeypatch.setenv(graphs.ENV_VAR, value)
            assert graphs.capture_on("cuda") is on and graphs.capture_on("cpu") is on
        graphs.use_capture(None)
        monkeypatch.setenv(graphs.ENV_VAR, "yes")
        with pytest.raises(
            UserError,
            match=r"CSRO_CAPTURE='yes': expected 1 \(CUDA-graph capture\) or 0 \(eager "
            r"steps\), or unset \(capture on CUDA, eager on the CPU\)$",
        ):
            graphs.capture_on("cpu")
        for flag, on in ((True, "1"), (False, "0")):
            graphs.use_capture(None)
            graphs.request_capture(flag)
            assert graphs.capture_on("cuda") is flag and os.environ[graphs.ENV_VAR] == on  # the processes it starts
        graphs.use_capture(None)
        graphs.request_capture(None)  # neither flag: the environment, as it was
        assert os.environ[graphs.ENV_VAR] == "0" and not graphs.capture_on("cuda")
    finally:
        graphs.use_capture(None)


@pytest.mark.parametrize(
    "device, argv, on",
    [("cuda:0", [], True), ("cpu", [], False), ("cpu", ["--capture"], True), ("cuda:0", ["--eager"], False)],
    ids=["cuda-default", "cpu-default", "capture-on-the-cpu", "eager-on-cuda"],
)
def test_the_entry_scripts_flags_reach_the_switch(monkeypatch, device, argv, on):
    """`--capture` / `--eager` of launch_experiment.py (policy_train.py and rlkit.reproduce take the same option),
    each against its device's default (the device mocked), the switch as the trainer reads it."""
    import launch_experiment

    _unset_capture_env(monkeypatch)
    seen = {}

    def prepare(cfg, seed, run_device):  # what the trainer would be given, then no run
        seen["on"] = graphs.capture_on(run_device)
        raise SystemExit(0)

    monkeypatch.setattr(launch_experiment, "config_device", lambda *_: torch.device(device))
    monkeypatch.setattr(launch_experiment, "prepare", prepare)
    try:
        with pytest.raises(SystemExit):
            launch_experiment.main.main([str(TINY_CONFIG), *argv], standalone_mode=False)
        assert seen["on"] is on
    finally:
        graphs.use_capture(None)


def test_the_entry_scripts_options_reach_the_runs_of_seeds_too(monkeypatch):
    """--eager, --threads and --gpu apply to the runs of --seeds (and --sweep, Ray) as to the single run: the tests of
    each went through the single run alone, so any of them handled past the --seeds branch passed while batch runs
    captured, ran on torch's default threads, or trained on the config's GPU after --gpu -1."""
    import launch_experiment

    _unset_capture_env(monkeypatch)
    seen = {}

    def run_many(config, overrides, seeds, sweep, cluster, show_progress=True):
        seen.update(capture=graphs.capture_on("cuda"), threads=torch.get_num_threads(), overrides=overrides)

    threads = torch.get_num_threads()
    monkeypatch.setattr(launch_experiment, "run_many", run_many)
    try:
        argv = [str(TINY_CONFIG), "--seeds", "0,1", "--eager", "--threads", "3", "--gpu", "-1"]
        launch_experiment.main.main(argv, standalone_mode=False)
        assert seen == {"capture": False, "threads": 3, "overrides": {"util_params": {"use_gpu": False}}}
    finally:
        graphs.use_capture(None)
        torch.set_num_threads(threads)


def test_device_sums_add_in_place_and_zero():
    """What a captured step adds to stays the same tensors (the graph holds them), summed over steps."""
    sums = graphs.DeviceSums(["a", "b"], torch.device("cpu"))
    held = dict(sums.values)
    for a, b in [(1.0, -2.0), (0.5, 4.0), (2.0, 0.25)]:
        sums.add(SimpleNamespace(a=torch.tensor(a), b=torch.tensor(b), c=torch.tensor(9.0)))
    assert {k: float(v) for k, v in sums.values.items()} == {"a": 3.5, "b": 2.25}
    sums.zero_()
    assert all(sums.values[k] is held[k] and float(held[k]) == 0.0 for k in held)


def test_static_buffers_refuse_another_shape():
    buf = graphs.StaticBuffers()
    first = buf.fill([torch.zeros(2, 3)])
    assert buf.fill([torch.ones(2, 3)]) is first and first[0].sum() == 6
    with pytest.raises(ValueError, match=r"changed shape from \(2, 3\) to \(3, 3\)"):
        buf.fill([torch.ones(3, 3)])


def _fake_cuda(monkeypatch) -> tuple[list[int], list[tuple]]:
    """torch.cuda's streams, devices, graphs and capture faked (this host has no GPU): the current device's index
    (`current[0]`) and what each call did, with the device current then (`seen`)."""
    current, seen = [0], []

    class Stream:
        def __init__(self, device=None):
            self.index = current[0] if device is None else torch.device(device).index

        def wait_stream(self, other):
            seen.append(("wait", self.index, other.index, current[0]))

    @contextlib.contextmanager
    def device(d):
        before, current[0] = current[0], torch.device(d).index
        try:
            yield
        finally:
            current[0] = before

    @contextlib.contextmanager
    def stream(s):
        seen.append(("stream", s.index, current[0]))
        yield

    class Graph:
        def register_generator_state(self, gen):
            seen.append(("register", current[0]))

        def replay(self):
            seen.append(("replay", current[0]))

    @contextlib.contextmanager
    def capture(graph, pool=None, stream=None):
        seen.append(("capture", None if stream is None else stream.index, current[0]))
        yield

    def synchronize(device=None):
        seen.append(("synchronize", torch.device(device).index, current[0]))

    for name, fake in dict(
        Stream=Stream,
        current_stream=Stream,
        device=device,
        stream=stream,
        CUDAGraph=Graph,
        graph=capture,
        synchronize=synchronize,
    ).items():
        monkeypatch.setattr(torch.cuda, name, fake)
    return current, seen


def test_a_step_on_a_second_gpu_is_warmed_captured_and_replayed_on_that_gpu(monkeypatch):
    """`--gpu 1`: every CUDA call of the runner happens with cuda:1 current, and the capture on a stream of cuda:1.
    A capture records only the current device's streams: taken with cuda:0 current, a step on cuda:1 runs once,
    unrecorded, and every replay does nothing. (CUDA faked: this host has no GPU; only the device bookkeeping
    is checked.)"""
    current, seen = _fake_cuda(monkeypatch)
    steps = []
    runner = graphs.StepRunner(
        lambda s, k: steps.append(current[0]), torch.device("cuda:1"), True, [torch.Generator()], warmup=1
    )
    for _ in range(3):  # warm-up, capture (and its first replay), replay
        runner(torch.zeros(2))
    assert steps == [1, 1]  # the warm-up's step and the captured one, both with cuda:1 current
    assert ("capture", 1, 1) in seen and ("register", 1) in seen, seen
    assert all(e[-1] == 1 for e in seen), seen  # nothing with cuda:0 current
    assert seen.count(("replay", 1)) == 2 and current[0] == 0


@pytest.mark.parametrize("keys_return", [True, False])
def test_a_finished_stages_graph_is_dropped_when_keys_do_not_return(monkeypatch, keys_return):
    """CORRO's stages follow one another: with `keys_return` False (stage 2's runner) a stage's graph, and the
    GPU memory it holds, goes when the next stage begins, once the GPU has finished its queued replays; with True
    (stage 1's keys recur) every graph stays."""
    _, seen = _fake_cuda(monkeypatch)
    ran = []
    runner = graphs.StepRunner(
        lambda s, k: ran.append(k), torch.device("cuda:0"), True, warmup=1, keys_return=keys_return
    )
    for key in ["cvae"] * 3 + ["pretrain"] * 3:  # each: warm-up, capture (and its first replay), replay
        runner(torch.zeros(2), key)
        assert key in runner.graphs or runner.warm[key] == 1
    assert ran == ["cvae", "cvae", "pretrain", "pretrain"]  # (a replay runs no Python)
    assert sorted(runner.graphs) == (["cvae", "pretrain"] if keys_return else ["pretrain"])
    assert sorted(runner.warm) == (["cvae", "pretrain"] if keys_return else ["pretrain"])
    syncs = [i for i, e in enumerate(seen) if e[0] == "synchronize"]
    assert [seen[i] for i in syncs] == ([] if keys_return else [("synchronize", 0, 0)]), seen
    if not keys_return:  # after cvae's replays, before pretrain's first step
        assert seen[syncs[0] - 1][0] == "replay" and ("capture", 0, 0) in seen[syncs[0] :], seen


# ---- fusion: the losses compiled ------------------------------------------------------------------------------
def _step_inputs(tr: CSROTrainer, device: str) -> tuple:
    """`make_inputs`' tasks, context and batch, and the trainer's extra batches, on `device`: `train_step`'s
    arguments."""

    def to(batch: RLBatch) -> RLBatch:
        return RLBatch(*(None if f is None else f.to(device) for f in vars(batch).values()))

    tasks, context, batch = make_inputs()
    return tasks.to(device), context.to(device), to(batch), [to(b) for b in extra_batches(tr)]


def _trainer_steps(n: int, device: str, fuse: bool, **algo) -> tuple[list, list]:
    """n steps of a trainer (fused or plain) from seed 0 on the same inputs on `device`: the steps' records and
    the parameters after them."""
    from rlkit.torch.csro import losses

    tr = CSROTrainer(make_trainer(**algo).settings, OBS, ACT, torch.device(device), seed=0, fuse=fuse)
    assert (
        tr.loss is not losses
    ) == fuse  # (a fused trainer that ran the plain losses would compare them to themselves)
    inputs = _step_inputs(tr, device)
    steps = [tr.train_step(*inputs) for _ in range(n)]
    return [{k: v.detach().cpu() for k, v in vars(r).items()} for r in steps], _trainer_params(tr)


def _plain_and_fused_steps(n: int, device: str = "cpu", **algo) -> tuple[tuple, tuple]:
    """n steps of a plain and of a fused trainer from the same seed on the same inputs on `device`: for each, the
    steps' records and the parameters after them."""
    return _trainer_steps(n, device, False, **algo), _trainer_steps(n, device, True, **algo)


def _loss_calls(device: str, **algo) -> list[tuple[str, tuple, dict]]:
    """Every loss call of one plain step on `device` (name, positional and keyword arguments, tensors copied):
    the inputs a step really gives each loss."""
    from rlkit.torch.csro import losses

    calls = []

    def recorded(name, fn):
        def call(*args, **kwargs):
            copy = [a.detach().clone() if isinstance(a, torch.Tensor) else a for a in (*args, *kwargs.values())]
            calls.append((name, tuple(copy[: len(args)]), dict(zip(kwargs, copy[len(args) :]))))
            return fn(*args, **kwargs)

        return call

    tr = CSROTrainer(make_trainer(**algo).settings, OBS, ACT, torch.device(device), seed=0)
    tr.loss = SimpleNamespace(**{name: recorded(name, getattr(losses, name)) for name in vars(graphs.compiled(losses))})
    tr.train_step(*_step_inputs(tr, device))
    return calls


def _trainer_params(tr) -> list[torch.Tensor]:
    return [p.detach().cpu().clone() for m in tr.modules().values() for p in m.state_dict().values()]


def test_compiled_holds_every_loss_of_the_module():
    from rlkit.torch.csro import losses

    public = {n for n, f in vars(losses).items() if callable(f) and getattr(f, "__module__", "") == losses.__name__}
    fused = graphs.compiled(losses)  # torch.compile is lazy: nothing is compiled until a call
    assert set(vars(fused)) == public and "club_upper_bound" in public
    assert make_trainer().loss is losses  # plain unless asked


@pytest.mark.slow
def test_a_compiled_loss_equals_the_plain_one():
    """The CLUB bound compiled (inductor's CPU kernels): the same value and gradient, within float rounding."""
    from rlkit.torch.csro import losses

    g = torch.Generator().manual_seed(0)
    e = torch.randn(3, 16, 4, generator=g, requires_grad=True)
    mu, var = torch.randn(3, 16, 4, generator=g), torch.rand(3, 16, 4, generator=g) + 0.1
    plain = losses.club_upper_bound(e, mu, var)
    (grad,) = torch.autograd.grad(plain, e)
    fused = graphs.compiled(losses).club_upper_bound(e, mu, var)
    (fused_grad,) = torch.autograd.grad(fused, e)
    assert torch.allclose(fused, plain, rtol=1e-5, atol=1e-6) and torch.allclose(fused_grad, grad, rtol=1e-5, atol=1e-7)


def test_the_pinned_vector_width_is_the_one_inductor_picks(monkeypatch):
    """`inductor_options` writes inductor's own choice into its config (so it changes nothing but the cache key):
    the same ISA with the pin as without it, whatever `ATEN_CPU_CAPABILITY` says; 0 (scalar code) for 'default'."""
    from torch._inductor import config, cpu_vec_isa

    for level in (None, "avx512", "avx2", "default"):
        if level is None:
            monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
        else:
            monkeypatch.setenv("ATEN_CPU_CAPABILITY", level)
        width = graphs.inductor_options()["cpp.simdlen"]
        with config.patch({"cpp.simdlen": width}):
            pinned = cpu_vec_isa.pick_vec_isa()
        assert str(pinned) == str(cpu_vec_isa.pick_vec_isa()) and pinned.bit_width() == width, level
    assert width == 0


_COMPILE_CLUB = """
import torch
from rlkit.torch import graphs
from rlkit.torch.csro import losses
g = torch.Generator().manual_seed(0)
e = torch.randn(3, 16, 4, generator=g, requires_grad=True)
mu, var = torch.randn(3, 16, 4, generator=g), torch.rand(3, 16, 4, generator=g) + 0.1
plain, fused = losses.club_upper_bound(e, mu, var), graphs.compiled(losses).club_upper_bound(e, mu, var)
grad_error = (torch.autograd.grad(plain, e)[0] - torch.autograd.grad(fused, e)[0]).abs().max()
print(torch.backends.cpu.get_cpu_capability(), float(plain), float(fused), float(grad_error))
"""


@pytest.mark.slow
def test_a_loss_compiled_on_the_cpu_at_one_vector_width_is_not_served_from_the_cache_at_another(tmp_path):
    """Two processes sharing one inductor cache folder: the host's widest CPU kernel level, then the next one down;
    each compiled CLUB bound equals the plain one. Without the pinned width the cache serves a graph built for one
    width to the next process (on an AVX-512 host the AVX2 process got 13.67 for 0.59; on an AVX2 host the scalar
    process fails to compile). The other order is not run: a narrower graph served to a wider process computes the
    same numbers, so it could not fail (and each process costs about 10 s of compiling)."""
    import subprocess
    import sys

    levels = ["avx512", "avx2", "default"]
    top = torch.backends.cpu.get_cpu_capability().lower()
    if top not in levels[:2]:
        pytest.skip(f"an x86 host with AVX2 or AVX-512 (this one: {top})")
    levels = levels[levels.index(top) :][:2]  # (the widest and the next)
    env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "inductor"), "OMP_NUM_THREADS": "1"}
    for level in levels:
        out = subprocess.run(
            [sys.executable, "-c", _COMPILE_CLUB],
            env={**env, "ATEN_CPU_CAPABILITY": level},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, (level, out.stderr[-2000:])
        capability, plain, fused, grad_error = out.stdout.split()[-4:]
        assert capability == level.upper(), (level, capability)
        assert abs(float(fused) - float(plain)) <= 1e-6 + 1e-5 * abs(float(plain)), (level, plain, fused)
        assert float(grad_error) <= 1e-6, (level, grad_error)


@pytest.mark.slow
@pytest.mark.parametrize("algo", [{}, {"use_brac": True}], ids=["CSRO", "BRAC"])
def test_fused_step_equals_plain_on_the_cpu(algo):
    """Every loss of the step compiled (about 30 s of compiling on 2 cores): 5 steps equal the plain ones within
    float rounding (inductor may sum in another order), every record and parameter. A record's rounding is judged
    against its size over the 5 steps: CLUB's bound starts as a difference of near-equal terms (4e-7 at step 0, 4e-5
    by step 4), whose float32 rounding is 1e-4 of it there however it is summed."""
    (plain, p_params), (fused, f_params) = _plain_and_fused_steps(5, "cpu", **algo)
    for k in plain[0]:
        scale = max(float(x[k].abs().max()) for x in plain)
        for i, (x, y) in enumerate(zip(plain, fused)):
            assert torch.allclose(y[k], x[k], rtol=1e-5, atol=1e-5 * max(scale, 1e-6)), (i, k)
    assert all(_close(q, p) for p, q in zip(p_params, f_params))


def test_fusion_switch_and_the_first_line(monkeypatch):
    graphs.use_fusion(None)
    monkeypatch.delenv(graphs.FUSE_ENV_VAR, raising=False)
    try:
        assert not graphs.fusion_on()  # off by default
        graphs.use_fusion(None)
        monkeypatch.setenv(graphs.FUSE_ENV_VAR, "on")
        with pytest.raises(UserError, match=r"CSRO_FUSE='on': expected 0 .* or 1"):
            graphs.fusion_on()
    finally:
        graphs.use_fusion(None)
    cpu = torch.device("cpu")
    assert graphs.describe(False, cpu, named=True, fused=True) == "cpu, capture off, losses compiled"
    assert graphs.describe(True, cpu, fused=False) == "capture on (static buffers; no CUDA graph on the CPU)"


# ---- on CUDA only --------------------------------------------------------------------------------------------


def _close(x: torch.Tensor, y: torch.Tensor) -> bool:
    return torch.allclose(x, y, rtol=1e-5, atol=1e-5 * float(y.abs().max().clamp(min=1e-6)))


@pytest.mark.slow
@cuda_only
@pytest.mark.parametrize("algo", [{}, {"use_brac": True}], ids=["CSRO", "BRAC"])
def test_captured_step_replays_50_steps_like_eager(tiny_data, tmp_path, monkeypatch, algo):
    eager = _meta_trainer(tiny_data, tmp_path, monkeypatch, "eager", False, "cuda", **algo)
    captured = _meta_trainer(tiny_data, tmp_path, monkeypatch, "captured", True, "cuda", **algo)
    a, b = _run_steps(eager, 50), _run_steps(captured, 50)
    assert captured.runner.graphs  # it did capture
    for i, (x, y) in enumerate(zip(a, b)):
        for k in x:
            assert _close(y[k], x[k]), (i, k)
    assert all(_close(q, p) for p, q in zip(_params(eager), _params(captured)))


CORRO_STAGES = {"corro_negatives": "generative", "corro_cvae_steps": 5, "corro_pretrain_steps": 5}


@pytest.mark.slow
@pytest.mark.parametrize(
    "algo_type, algo",
    [(a, {}) for a in ("UNICORN_SUP", "UNICORN_SS", "FOCAL", "OFFPEARL", "CLASSIFIER")]
    + [("BOREL", {"borel_vae_steps": 5})],  # its 5,000 VAE steps take minutes on the CPU
    ids=["UNICORN_SUP", "UNICORN_SS", "FOCAL", "OFFPEARL", "CLASSIFIER", "BOREL"],
)
def test_each_baselines_static_path_equals_eager_on_the_cpu(tiny_data, tmp_path, monkeypatch, algo_type, algo):
    """Two iterations of each baseline (CORRO's stages have their own test above) through capture's static buffers
    on the CPU, bit for bit as eager: what the CUDA test below compares within 1e-5 with the graph replayed."""
    eager = _meta_trainer(tiny_data, tmp_path, monkeypatch, "eager", False, "cpu", algo_type, **algo)
    eager.run()
    static = _meta_trainer(tiny_data, tmp_path, monkeypatch, "static", True, "cpu", algo_type, **algo)
    static.run()
    assert static.runner.buffers.static is not None and eager.runner.buffers.static is None
    assert all(torch.equal(p, q) for p, q in zip(_params(eager), _params(static)))


@pytest.mark.slow
@cuda_only
@pytest.mark.parametrize(
    "algo_type, algo, keys",
    [
        ("CORRO", CORRO_STAGES, {"cvae", "pretrain", "frozen"}),
        ("UNICORN_SUP", {}, {None}),
        ("UNICORN_SS", {}, {None}),
        ("BOREL", {}, {None}),
        ("FOCAL", {}, {None}),
        ("OFFPEARL", {}, {None}),
        ("CLASSIFIER", {}, {None}),
    ],
    ids=["CORRO-stages", "UNICORN_SUP", "UNICORN_SS", "BOREL", "FOCAL", "OFFPEARL", "CLASSIFIER"],
)
def test_the_baselines_run_captured_like_eager(tiny_data, tmp_path, monkeypatch, algo_type, algo, keys):
    """Two iterations of each baseline with its own branches (CORRO's stages: one graph each, a finished stage's
    dropped when the next begins), captured and eager."""
    eager = _meta_trainer(tiny_data, tmp_path, monkeypatch, "eager", False, "cuda", algo_type, **algo)
    eager.run()
    captured = _meta_trainer(tiny_data, tmp_path, monkeypatch, "captured", True, "cuda", algo_type, **algo)
    runner, graphed = captured.runner, set()

    def step(inputs, key=None):
        out = runner(inputs, key)
        graphed.update(runner.graphs)
        return out

    captured.runner = step
    captured.run()
    assert graphed == keys and len(runner.graphs) == 1  # every key captured; the last one's graph is left
    assert all(_close(q, p) for p, q in zip(_params(eager), _params(captured)))


def _checkpoints_close(a_dir, b_dir, tasks, rtol=1e-4, atol=1e-4) -> None:
    """Every checkpoint file of `tasks` in two datasets holds the same arrays, and their losses.csv the same update
    counts and means (summed inside the step: a replayed graph must add them), to float rounding."""
    from rlkit.data.dataset import task_dir

    for t in tasks:
        x, y = (pd.read_csv(task_dir(d, t) / "losses.csv") for d in (a_dir, b_dir))
        assert list(x.columns) == list(y.columns) and len(x) == len(y) > 0, t
        pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=rtol, atol=atol)
        names = sorted(p.name for p in task_dir(a_dir, t).glob("step*.npz"))
        assert names and names == sorted(p.name for p in task_dir(b_dir, t).glob("step*.npz")), t
        for name in names:
            with np.load(task_dir(a_dir, t) / name) as x, np.load(task_dir(b_dir, t) / name) as y:
                assert sorted(x.files) == sorted(y.files)
                for k in x.files:
                    np.testing.assert_allclose(x[k], y[k], rtol=rtol, atol=atol, err_msg=f"task {t} {name} {k}")


@pytest.mark.slow
@cuda_only
def test_stage1_captured_on_cuda_trains_like_eager_and_resumes(tmp_path):
    """Stage 1 on CUDA: a group of 2 tasks captured (its two branch graphs, 2 generators registered, eager draws
    between replays) writes the data the eager group writes, to float rounding; and a task trained captured in
    segments through saved states (a resume reloads optimisers and generators, so the graphs are captured anew)
    writes what it writes in one go."""
    from rlkit.behaviour import load_sac_config, train_task_group
    from rlkit.behaviour.generate import train_segment

    behaviour = load_sac_config("tiny_point", ["num_train_steps=300"])
    sched, sac, cuda = behaviour.schedule, behaviour.sac, torch.device("cuda")
    params = {"n_tasks": 6, "max_episode_steps": 20}
    try:
        for name, capture in (("eager", False), ("captured", True)):
            graphs.use_capture(capture)
            train_task_group(Stage1Spec("point-robot", params, sched, sac, tmp_path / name, cuda), [1, 2], "off")
        _checkpoints_close(tmp_path / "eager", tmp_path / "captured", [1, 2])
        graphs.use_capture(True)
        train_task_group(Stage1Spec("point-robot", params, sched, sac, tmp_path / "whole", cuda), [1], "off")
        state, segments = None, 0
        while True:
            state = train_segment(
                Stage1Spec("point-robot", params, sched, sac, tmp_path / "parts", cuda), 1, state
            ).state
            segments += 1
            if state is None:
                break
        assert segments > 1
        _checkpoints_close(tmp_path / "whole", tmp_path / "parts", [1])
    finally:
        graphs.use_capture(None)


@pytest.mark.slow
@cuda_only
def test_captured_run_resumes(tiny_data, tmp_path, monkeypatch):
    cfg = _tiny_cfg(tiny_data, tmp_path, monkeypatch, "c")
    whole = _trainer(cfg, "cuda", True)
    whole.run()
    cfg2 = _tiny_cfg(tiny_data, tmp_path, monkeypatch, "p")
    _trainer(cfg2, "cuda", True).run(max_iterations=1)
    parts = _trainer(cfg2, "cuda", True)
    parts.run()
    assert parts.runner.graphs
    assert all(_close(q, p) for p, q in zip(_params(whole), _params(parts)))


@pytest.mark.slow
@cuda_only
def test_a_cpu_run_resumes_on_cuda(tiny_data, tmp_path, monkeypatch, capsys):
    """The other direction of test_a_run_saved_on_cuda_resumes_on_the_cpu: a CPU run's Mersenne Twister states
    (5,056 bytes) into CUDA's Philox generators, reseeded from stream device_change, captured from there on."""
    cfg = _tiny_cfg(tiny_data, tmp_path, monkeypatch, "up")
    _trainer(cfg, "cpu", False).run(max_iterations=1)
    capsys.readouterr()
    again = _trainer(cfg, "cuda", True)
    again.run()
    assert "(torch generators train_noise, batch_sampling reseeded" in capsys.readouterr().out
    assert again.counters["iteration"] == 2 and again.runner.graphs


@pytest.mark.slow
@cuda_only
def test_capture_is_the_cuda_default_and_eager_runs_no_graph(tiny_data, tmp_path, monkeypatch):
    _unset_capture_env(monkeypatch)
    try:
        default = _meta_trainer(tiny_data, tmp_path, monkeypatch, "default", None, "cuda")  # the switch's default
        _run_steps(default, 5)
        assert default.capture and default.runner.graphs
        graphs.request_capture(False)  # --eager
        off = _meta_trainer(tiny_data, tmp_path, monkeypatch, "off", None, "cuda")
        _run_steps(off, 5)
        assert not off.capture and not off.runner.graphs
    finally:
        graphs.use_capture(None)


# ---- the device each entry point picks (CUDA mocked) -----------------------------------------------------------
def _mock_cuda(monkeypatch, count: int):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


@pytest.mark.parametrize(
    "count,gpu,expected,note",
    [
        (1, None, "cuda:0", None),
        (0, None, "cpu", None),
        (1, -1, "cpu", None),
        (2, 1, "cuda:1", None),
        (1, 3, "cuda:0", "--gpu 3: this machine has 1 CUDA device (0 to 0); running on cuda:0"),
        (2, 2, "cuda:0", "--gpu 2: this machine has 2 CUDA devices (0 to 1); running on cuda:0"),
        (0, 3, "cpu", "--gpu 3 asked for CUDA, which is not available here; running on the CPU"),
    ],
)
def test_select_device(monkeypatch, capsys, count, gpu, expected, note):
    from rlkit.cli import select_device

    _mock_cuda(monkeypatch, count)
    assert select_device(gpu) == torch.device(expected)
    err = capsys.readouterr().err
    assert (note in err and len(err.strip().splitlines()) == 1) if note else err == ""


def test_a_reproductions_runs_do_not_repeat_the_gpu_note(monkeypatch, capsys, tmp_path):
    """`rlkit.reproduce ... --gpu 3` on a one-GPU machine: the command says so once; each run it trains (in this
    process or a worker) takes cuda:0 without saying it again."""
    import rlkit.experiment
    from rlkit.reproduce.plan import RunSpec, train_one

    _mock_cuda(monkeypatch, 1)
    seen = []
    monkeypatch.setattr(rlkit.experiment, "prepare", lambda cfg, seed, device: seen.append(device))
    monkeypatch.setattr(rlkit.experiment, "MetaTrainer", lambda setup, show_progress: SimpleNamespace(run=lambda: 0))
    for seed in (0, 1):
        train_one(RunSpec("CSRO", seed, str(TINY_CONFIG), {}, {}, tmp_path / str(seed), 1, 3))
    assert seen == [torch.device("cuda:0")] * 2 and capsys.readouterr().err == ""


def _entry_devices(monkeypatch, tmp_path, module, args):
    """The device an entry script hands to what builds the trainer, the buffers and the env wrappers."""
    from click.testing import CliRunner

    seen = {}

    class Stop(Exception):
        pass

    def record(*a, **k):
        seen["device"] = next(x for x in (*a, *k.values()) if isinstance(x, torch.device))
        raise Stop

    for name in ("prepare", "generate_dataset", "load_run"):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, record)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(module.main, args)
    assert isinstance(result.exception, Stop), result.output
    return seen["device"], result.output


@pytest.mark.parametrize(
    "count,args,expected",
    [
        (1, [], "cuda:0"),
        (0, [], "cpu"),
        (1, ["--gpu", "-1"], "cpu"),
        (1, ["--use_gpu", "false"], "cpu"),
        (1, ["--gpu", "3"], "cuda:0"),
    ],
)
def test_stage2_device_default(monkeypatch, tmp_path, count, args, expected):
    import launch_experiment

    _mock_cuda(monkeypatch, count)
    device, _ = _entry_devices(monkeypatch, tmp_path, launch_experiment, [str(TINY_CONFIG), *args])
    assert device == torch.device(expected)


@pytest.mark.parametrize(
    "count,args,expected",
    [
        (1, [], "cuda:0"),
        (0, [], "cpu"),
        (1, ["--gpu", "-1"], "cpu"),
        (1, ["device=cpu"], "cpu"),
        (1, ["--gpu", "3"], "cuda:0"),
    ],
)
def test_stage1_device_default(monkeypatch, tmp_path, count, args, expected):
    import policy_train

    _mock_cuda(monkeypatch, count)
    _unset_capture_env(monkeypatch)
    device, out = _entry_devices(
        monkeypatch, tmp_path, policy_train, ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", *args]
    )
    assert device == torch.device(expected)
    how = "capture on (CUDA graph)" if device.type == "cuda" else "capture off"  # capture's default on either
    assert out.splitlines()[0].startswith("stage 1 on point-robot") and f"device {expected} ({how})" in out


def test_the_shipped_configs_ask_for_the_gpu():
    """As the reference's: `use_gpu: 1` (CUDA when available), so its commands without --gpu use a visible GPU."""
    from tests.conftest import ROOT

    for path in sorted((ROOT / "configs").glob("*.json")):
        assert json.loads(path.read_text())["util_params"]["use_gpu"] == 1, path.name
    assert load_config(TINY_CONFIG, {}).util_params.use_gpu is True


# ---- bad circumstances ------------------------------------------------------------------------------------------
def _raised_from(cause: BaseException, message: str) -> RuntimeError:
    """A RuntimeError raised `from cause` (as torch.compile wraps an error in BackendCompilerFailed)."""
    try:
        raise RuntimeError(message) from cause
    except RuntimeError as e:
        return e


def _raised_during(context: BaseException, message: str) -> RuntimeError:
    """A RuntimeError raised while handling `context` (as a capture's end fails after an OOM inside it)."""
    try:
        try:
            raise context
        except type(context):
            raise RuntimeError(message)  # noqa: B904 (the implicit context is the point)
    except RuntimeError as e:
        return e


@pytest.mark.slow
@pytest.mark.parametrize(
    "error, first",
    [
        (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore detail"), "CUDA out of memory"),
        (
            RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"),
            "can't allocate",
        ),
        (torch.AcceleratorError("CUDA error: out of memory\nSearch for `cudaErrorMemoryAllocation'"), "CUDA error"),
        (RuntimeError("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`"), "CUBLAS"),
        (MemoryError("Unable to allocate 7.45 GiB for an array with shape (2000000000,)"), "Unable to allocate"),
        (_raised_from(torch.OutOfMemoryError("CUDA out of memory. Tried 1 GiB"), "backend compiler failed"), "Tried"),
        (_raised_during(torch.OutOfMemoryError("CUDA out of memory. Tried 2 GiB"), "capture invalidated"), "Tried"),
    ],
)
def test_out_of_memory_is_one_line_naming_the_settings_to_lower(error, first, capsys):
    import click

    from rlkit.cli import run_cli

    @click.command()
    def oom():
        raise error

    with pytest.raises(SystemExit) as exit_info:
        run_cli(oom, [])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and len(err.strip().splitlines()) == 1
    assert first in err and "meta_batch, embedding_batch_size or batch_size" in err and "--eager" in err
    assert "replay_buffer_capacity" in err  # stage 1's buffer is allocated whole at the start
    # the sizes of the model too: --net_size 2147483647 ran out of memory, and the line named only the batches
    assert "net_size or latent_size, or env_params.n_tasks" in err and "hidden_dim" in err
    with pytest.raises(RuntimeError, match="another"):  # any other RuntimeError is a bug: its traceback stays
        run_cli(click.command()(lambda: (_ for _ in ()).throw(RuntimeError("another"))), [])


@pytest.mark.slow
def test_a_finished_run_run_again_says_it_is_complete(tiny_data, tmp_path, monkeypatch, capsys):
    """The same command again over a finished run trains nothing and says so (it said "resuming ... at iteration
    2" and ended, which read as if it had gone on)."""
    cfg = _tiny_cfg(tiny_data, tmp_path, monkeypatch, "done")
    first = _trainer(cfg, "cpu", False)
    first.run()
    capsys.readouterr()
    _trainer(cfg, "cpu", False).run()
    out = capsys.readouterr().out
    assert "is already complete (2/2 iterations): nothing to train (raise --num_iterations" in out
    assert "resuming" not in out
    # run again with another --gpu, it trains nothing and leaves the run's record as it was (variant.json said
    # gpu_id 7 after such a rerun); a damaged code.json is refused before the resume writes anything (variant.json
    # said num_iterations 3 after the refusal)
    run = first.setup.out_dir
    util = {"exp_name": "done", "base_log_dir": str(tmp_path), "gpu_id": 7}

    def rerun(iterations: int) -> None:
        cfg = load_config(
            TINY_CONFIG, {"algo_type": "CSRO", "algo_params": {"num_iterations": iterations}, "util_params": util}
        )
        _trainer(cfg, "cpu", False).run()

    def files(*names: str) -> dict[str, bytes]:
        return {name: (run / name).read_bytes() for name in names}

    kept = files("variant.json", "progress.csv", "code.json")
    rerun(2)
    assert "is already complete (2/2 iterations)" in capsys.readouterr().out
    assert files(*kept) == kept
    (run / "code.json").write_text("[")
    with pytest.raises(UserError, match=r"code\.json"):
        rerun(3)
    assert files("variant.json", "progress.csv") == {k: kept[k] for k in ("variant.json", "progress.csv")}


@pytest.mark.slow
def test_a_run_resumed_with_another_capture_setting_says_so(tiny_data, tmp_path, monkeypatch, capsys):
    """(On a GPU the same line names the other device: a CUDA run resumed on the CPU, or the reverse.)"""
    cfg = _tiny_cfg(tiny_data, tmp_path, monkeypatch, "switch")
    _trainer(cfg, "cpu", False).run(max_iterations=1)
    capsys.readouterr()
    _trainer(cfg, "cpu", True).run()
    out = capsys.readouterr().out
    assert "resuming a run trained on cpu, capture off on cpu, capture on (static buffers" in out


@pytest.mark.slow
def test_a_run_saved_on_cuda_resumes_on_the_cpu(tiny_data, tmp_path, monkeypatch, capsys):
    """latest.pt as a CUDA run writes it (Philox generator states of 16 bytes, capturable optimisers, its device
    named): resumed on the CPU it trains on, its generators reseeded from stream device_change, and says so."""
    cfg = _tiny_cfg(tiny_data, tmp_path, monkeypatch, "moved")
    first = _trainer(cfg, "cpu", False)
    first.run(max_iterations=1)
    latest = first.setup.out_dir / "latest.pt"
    state = torch.load(latest, weights_only=True)
    state["trainer"]["generator"] = state["sample_gen"] = torch.zeros(16, dtype=torch.uint8)
    for opt in state["trainer"]["optimizers"].values():
        for group in opt["param_groups"]:
            group["capturable"] = True
    state["ran_on"] = "cuda:0, capture on (CUDA graph)"
    torch.save(state, latest)
    capsys.readouterr()
    again = _trainer(cfg, "cpu", False)
    again.run()
    out = capsys.readouterr().out
    assert (
        "resuming a run trained on cuda:0, capture on (CUDA graph) on cpu, capture off (torch generators "
        "train_noise, batch_sampling reseeded: their saved states are another device's)"
    ) in out
    assert again.counters["iteration"] == 2


def test_a_cuda_runs_optimiser_state_steps_on_the_cpu():
    """A state saved by a CUDA run holds `capturable=True`, which Adam's for-each update (stage 1) refuses on the
    CPU: the runner sets what its device needs before the first step after a load."""
    agent, gens, sac = _vector_sac()
    opts = [agent.actor_opt, agent.critic_opt, agent.alpha_opt]
    agent.update(_sac_batch(sac.batch_size, 0), 0, gens)
    for opt in opts:
        state = opt.state_dict()
        for group in state["param_groups"]:
            group["capturable"] = True  # as a CUDA run saves it
        opt.load_state_dict(state)
    runner = graphs.StepRunner(
        lambda batch, key: agent.update(batch, key, gens), torch.device("cpu"), False, gens.gens, opts
    )
    runner(_sac_batch(sac.batch_size, 1), 1)
    assert not any(g["capturable"] for opt in opts for g in opt.param_groups)


def _assert_fused_like_plain(device: str, **algo) -> None:
    """Compiled losses compute the same functions in another float order (Triton's kernels on CUDA sum otherwise
    than the plain ones), and Adam's first updates (about lr * g / |g|) turn a rounding-sized change of a near-zero
    gradient into a parameter change that later steps carry on: measured on the CPU, one float32 ulp of the context
    moves the plain step's records by 1e-6 at step 0, 1e-4 at step 1, 3e-3 by step 4, so runs of steps cannot
    tell a small error from rounding. What can: the first step from the same weights and inputs (every record
    within 1e-3 relative, 20 times what an H200 gave on CLUB's term, a difference of near-equal terms: 4.0984e-07
    against 4.0982e-07), and each loss on the inputs a step gives it, forward and backward (its value and the
    gradient of a fixed weighting of it with respect to every float input, within 1e-3 relative plus 1e-5 of each
    tensor's largest entry)."""
    from rlkit.torch.csro import losses

    (plain,), _ = _trainer_steps(1, device, False, **algo)
    (fused,), _ = _trainer_steps(1, device, True, **algo)
    for k in plain:
        x, y = plain[k], fused[k]
        assert torch.allclose(y, x, rtol=1e-3, atol=1e-5 * float(x.abs().max())), (k, y, x)
    compiled = graphs.compiled(losses)
    calls = _loss_calls(device, **algo)
    assert {name for name, _, _ in calls} >= {"club_upper_bound", "critic_loss", "policy_loss"}
    for name, args, kwargs in calls:
        results = []
        for fn in (getattr(losses, name), getattr(compiled, name)):
            inputs = [
                a.clone().requires_grad_(a.is_floating_point()) if isinstance(a, torch.Tensor) else a
                for a in (*args, *kwargs.values())
            ]
            out = fn(*inputs[: len(args)], **dict(zip(kwargs, inputs[len(args) :])))
            leaves = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
            weights = torch.rand(out.shape, generator=torch.Generator().manual_seed(0)).to(out.device)
            grads = torch.autograd.grad((out * weights).sum(), leaves, allow_unused=True) if out.requires_grad else ()
            results.append((out.detach(), [torch.zeros_like(a) if g is None else g for a, g in zip(leaves, grads)]))
        (out_p, grads_p), (out_c, grads_c) = results
        for i, (want, got) in enumerate(zip([out_p, *grads_p], [out_c, *grads_c], strict=True)):
            tol = 1e-5 * float(want.abs().max()) if want.numel() else 0.0
            assert torch.allclose(got, want, rtol=1e-3, atol=tol), (name, "value" if i == 0 else f"gradient {i}")


@pytest.mark.slow
@pytest.mark.parametrize(
    "wrong",
    [
        lambda bound: lambda e, mu, var: bound(e, mu, var) * 1.01,
        lambda bound: lambda e, mu, var: bound(e, mu, var) + 0.01 * (e - e.detach()).sum(),
    ],
    ids=["value-1pc-off", "gradient-only-off"],
)
def test_the_fused_check_fails_on_a_wrong_loss(monkeypatch, wrong):
    """`_assert_fused_like_plain`, looser than the CPU's check above because CUDA's kernels need it, passes the true
    compiled losses here and fails on a compiled CLUB bound 1% off, and on one whose value is right but whose
    gradient is not (what the first step's records cannot show)."""
    real = graphs.compiled

    def one_wrong(module):
        fused = real(module)
        fused.club_upper_bound = wrong(fused.club_upper_bound)
        return fused

    _assert_fused_like_plain("cpu")
    monkeypatch.setattr(graphs, "compiled", one_wrong)
    with pytest.raises(AssertionError):
        _assert_fused_like_plain("cpu")


@pytest.mark.slow
@cuda_only
@pytest.mark.parametrize("algo", [{}, {"use_brac": True}], ids=["CSRO", "BRAC"])
def test_fused_step_equals_plain_on_cuda(algo):
    """The trainer's losses compiled (Triton kernels on CUDA) against the plain ones (`_assert_fused_like_plain`
    says why not as captured against eager are, within 1e-5 over 50 steps)."""
    _assert_fused_like_plain("cuda", **algo)


@pytest.mark.slow
@cuda_only
def test_fused_and_captured_step_replays_like_eager(tiny_data, tmp_path, monkeypatch):
    """Fusion inside the CUDA graph (the losses compile during the warm-up steps, then the graph records their
    kernels): 50 steps equal the eager fused ones within 1e-5 (the same kernels, as captured against eager plain;
    fused against plain is the test above)."""
    graphs.use_fusion(True)
    try:
        eager = _meta_trainer(tiny_data, tmp_path, monkeypatch, "eager", False, "cuda")
        fused = _meta_trainer(tiny_data, tmp_path, monkeypatch, "fused", True, "cuda")
    finally:
        graphs.use_fusion(None)
    assert fused.fused and eager.fused
    a, b = _run_steps(eager, 50), _run_steps(fused, 50)
    assert fused.runner.graphs and not eager.runner.graphs
    for i, (x, y) in enumerate(zip(a, b)):
        for k in x:
            assert _close(y[k], x[k]), (i, k)
    assert all(_close(q, p) for p, q in zip(_params(eager), _params(fused)))


def test_gpu_zero_is_the_first_cuda_device_not_the_cpu(monkeypatch, tmp_path):
    """`check_gpu` reads --gpu G >= 0 as the CUDA device G; only -1 is the CPU. Reading --gpu 0 as the CPU too
    (`gpu <= 0` for `gpu == -1`), a researcher who asks for the first GPU would silently train on the CPU."""
    import launch_experiment
    from rlkit.cli import check_gpu

    assert check_gpu(0) == 0 and check_gpu(2) == 2
    assert check_gpu(-1) is None and check_gpu(None) is None
    _mock_cuda(monkeypatch, 2)
    device, _ = _entry_devices(monkeypatch, tmp_path, launch_experiment, [str(TINY_CONFIG), "--gpu", "0"])
    assert device == torch.device("cuda:0")


@pytest.mark.parametrize("count", [1, 2])
def test_a_gpu_number_equal_to_the_device_count_is_beyond_the_devices(monkeypatch, capsys, count):
    """A --gpu equal to the device count is beyond the devices (`gpu >= count`, not `gpu > count`). A machine of `count`
    GPUs numbers them 0 .. count-1, so --gpu count names no device: the run must fall back to cuda:0 with its note, not
    ask for cuda:count (which fails as soon as a tensor is put there)."""
    from rlkit.cli import select_device

    _mock_cuda(monkeypatch, count)
    assert select_device(count) == torch.device("cuda:0")
    err = capsys.readouterr().err
    assert f"--gpu {count}: this machine has {count} CUDA device" in err and "running on cuda:0" in err


def test_a_configs_use_gpu_on_a_machine_without_cuda_says_nothing(monkeypatch, capsys):
    """`config_device` passes asked=True only where --gpu was given, not whatever --gpu said. Every shipped config has
    use_gpu 1, so otherwise on a CPU machine every stage-2 run without --gpu would print "--gpu 0 asked for CUDA"
    although no --gpu was given; `config_device`'s docstring: "a note only when --gpu asked"."""
    from rlkit.cli import config_device

    _mock_cuda(monkeypatch, 0)
    assert config_device(True, 0, None) == torch.device("cpu")
    assert capsys.readouterr().err == ""
    assert config_device(True, 0, 0) == torch.device("cpu")  # --gpu 0 given: the note, once
    assert "--gpu 0 asked for CUDA" in capsys.readouterr().err
    assert config_device(True, 1, 1) == torch.device("cpu")  # (--gpu 1 as well: any device number asks)
    assert "--gpu 1 asked for CUDA" in capsys.readouterr().err
    assert config_device(False, 0, -1) == torch.device("cpu")  # --gpu -1: the CPU asked for, nothing to say
    assert capsys.readouterr().err == ""


def test_static_buffers_are_their_own_memory_and_leave_the_callers_tensors_alone():
    """The first fill copies the caller's tensors rather than keeping them (`t.detach()`). Were they kept, every later
    fill would write into what the first step was given: a sampled batch the caller still holds, or a view of a replay
    buffer, is overwritten with later samples, silently corrupting data the run reads again."""
    first_inputs = [torch.zeros(2, 3), {"x": torch.arange(4.0)}]
    buf = graphs.StaticBuffers()
    static = buf.fill(first_inputs)
    buf.fill([torch.ones(2, 3), {"x": torch.full((4,), 7.0)}])
    assert static[0].sum() == 6 and static[1]["x"].tolist() == [7.0] * 4  # the buffers hold the latest inputs
    assert first_inputs[0].sum() == 0 and first_inputs[1]["x"].tolist() == [0.0, 1.0, 2.0, 3.0]  # untouched


def test_static_buffers_refuse_a_list_of_another_length():
    """Another length is another step: refused, as another shape is, whether the step is given fewer inputs than before
    or more. With the length check `len(static) < len(tree)`, a step given fewer inputs than before was zipped silently
    and read the previous step's leftovers in the buffers it was not given (a captured graph keeps reading them)."""
    buf = graphs.StaticBuffers()
    buf.fill([torch.zeros(2), torch.zeros(2)])
    with pytest.raises(ValueError, match="changed length from 2 to 1"):
        buf.fill([torch.ones(2)])
    with pytest.raises(ValueError, match="changed length from 2 to 3"):
        buf.fill([torch.ones(2)] * 3)


def test_a_captured_step_is_warmed_up_eagerly_before_its_first_capture_by_default(monkeypatch):
    """A runner built without `warmup` still warms up at least once (WARMUP_STEPS is not 0). CUDA graphs need the step
    run eagerly on a side stream before it is captured (lazy initialisation: cuBLAS workspaces, optimiser state,
    autograd buffers, which a capture may not allocate or records wrongly); the module's docstring: "the first `warmup`
    calls run eagerly on a side stream ..., the next one captures". (CUDA faked.)"""
    current, seen = _fake_cuda(monkeypatch)
    steps = []
    runner = graphs.StepRunner(lambda s, k: steps.append(len(seen)), torch.device("cuda:0"), True)
    runner(torch.zeros(2))
    assert steps and not runner.graphs and not any(e[0] == "capture" for e in seen), seen
    assert any(e[0] == "stream" for e in seen)  # on a side stream
    for _ in range(10):
        runner(torch.zeros(2))
    assert list(runner.graphs) == [None]  # captured in the end


def test_an_eager_cuda_steps_optimisers_are_capturable_as_a_captured_steps_are():
    """A step runner makes its optimisers capturable by its device (`on=self.device.type == "cuda"`), not by whether it
    captures (`on=self.graphed`). Otherwise, with --eager on a GPU the optimisers would run Adam's other
    (non-capturable) update, so an eager and a captured run of the same seed, which the project compares step for step,
    would not run the same update; and a run resumed with the other setting would change algorithm mid-run."""
    params = [torch.nn.Parameter(torch.zeros(3))]
    opt = torch.optim.Adam(params, lr=1e-3)
    runner = graphs.StepRunner(lambda s, k: None, torch.device("cuda:0"), False, optimizers=[opt])
    runner(torch.zeros(2))  # (eager: no CUDA call is made)
    assert all(g["capturable"] is True for g in opt.param_groups)
    cpu_opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(3))], lr=1e-3)
    graphs.StepRunner(lambda s, k: None, torch.device("cpu"), True, optimizers=[cpu_opt])(torch.zeros(2))
    assert all(g["capturable"] is False for g in cpu_opt.param_groups)  # (Adam refuses capturable on the CPU)


def test_a_load_after_steps_is_followed_by_setting_the_optimisers_for_the_device_again():
    """`reset` clears `prepared` rather than keeping it. A runner that has stepped, then has its optimisers' state
    loaded (`load_state_dict` brings back the saved groups' `capturable`: True from a CUDA run), then `reset` as the
    module docstring asks, must set what its device needs before the next step: a CPU optimiser left capturable is
    refused by Adam's for-each update (test_graphs' test_a_cuda_runs_optimiser_state_steps_on_the_cpu covers a load
    before the first step only)."""
    param = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.Adam([param], lr=1e-3)

    def step(inputs, key):
        opt.zero_grad()
        (param * inputs).sum().backward()
        opt.step()

    runner = graphs.StepRunner(step, torch.device("cpu"), False, optimizers=[opt])
    runner(torch.ones(3))
    state = opt.state_dict()
    for group in state["param_groups"]:
        group["capturable"] = True  # as a CUDA run saves it
    opt.load_state_dict(state)
    runner.reset()
    runner(torch.ones(3))
    assert not any(g["capturable"] for g in opt.param_groups)
    assert torch.all(param < 0)  # two Adam steps on a gradient of ones: each moves every entry down by about lr


def test_stage1_gpu_0_is_cuda_0_even_when_the_sac_config_says_cpu(monkeypatch, tmp_path):
    """policy_train.py takes `--gpu 0` as CUDA device 0, not as no --gpu (`gpu if gpu else ...`). The --gpu help: -1 the
    CPU, G a CUDA device, the SAC config's `device: cpu` only a default. With that slip a SAC config of one's own that
    says cpu trains on the CPU although CUDA device 0 was asked for. (A `device=cpu` override beside `--gpu 0` is a
    clash, refused: tests/test_behaviour_runs.py. tests/test_graphs.py, beside test_stage1_device_default.)"""
    import policy_train

    _mock_cuda(monkeypatch, 2)
    _unset_capture_env(monkeypatch)
    own = tmp_path / "cpu_point.yaml"
    own.write_text("defaults:\n  - tiny_point\n  - _self_\ndevice: cpu\n")
    device, _ = _entry_devices(
        monkeypatch, tmp_path, policy_train, ["--config", str(TINY_CONFIG), "--sac_config", str(own), "--gpu", "0"]
    )
    assert device == torch.device("cuda:0")


def test_stage1_eager_turns_capture_off_on_cuda(monkeypatch, tmp_path):
    """policy_train.py hands `--capture/--eager` to the switch, not `request_capture(None)`. On CUDA capture is the
    default; `--eager` (the cure for a captured step that runs out of memory, which run_cli's out-of-memory line
    recommends) must turn it off for stage 1, and its first line must say so. (tests/test_graphs.py, beside
    test_the_entry_scripts_flags_reach_the_switch.)"""
    import policy_train

    _mock_cuda(monkeypatch, 1)
    _unset_capture_env(monkeypatch)
    try:
        device, out = _entry_devices(
            monkeypatch, tmp_path, policy_train, ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--eager"]
        )
        assert device == torch.device("cuda:0")
        assert "device cuda:0 (capture off)" in out.splitlines()[0]
        assert graphs.capture_on("cuda") is False
    finally:
        graphs.use_capture(None)


def test_the_guard_raises_on_equal_masked_select_and_unique():
    """`torch.equal`, `masked_select` and `unique` read the data on the host (or size their output by it), so each
    raises under `no_host_reads`."""
    t = torch.ones(3)
    for read in (
        lambda: torch.equal(t, t),
        lambda: torch.masked_select(t, t > 0),
        lambda: torch.unique(t),
    ):
        with pytest.raises(graphs.HostReadError), graphs.no_host_reads():
            read()


def test_the_guard_raises_on_allclose_and_bincount():
    """`torch.allclose` returns a Python bool and `bincount` sizes its output by the largest value: on CUDA each
    waits for the device, so each raises under `no_host_reads` (on the CPU neither goes through a host-read op the
    guard would otherwise see)."""
    t = torch.tensor([1, 2, 2])
    for read in (lambda: torch.allclose(t.float(), t.float()), lambda: torch.bincount(t)):
        with pytest.raises(graphs.HostReadError), graphs.no_host_reads():
            read()


def test_the_guard_raises_on_a_boolean_mask_assignment():
    """`t[mask] = x` (index_put_ with a boolean index) is data-dependent, so it raises under `no_host_reads`."""
    t = torch.ones(3)
    with pytest.raises(graphs.HostReadError), graphs.no_host_reads():
        t[t > 0] = 2.0


def test_the_guard_lets_integer_indexing_of_a_later_dimension_through():
    """`t[:, idx]` (an index list with a None for the sliced dimension) is no data-sized op: it runs under
    `no_host_reads` and gives the columns asked for."""
    t = torch.arange(6.0).view(2, 3)
    idx = torch.tensor([2, 0])
    with graphs.no_host_reads():
        out = t[:, idx]
        t[:, idx] = torch.zeros(2, 2)
    assert out.tolist() == [[2.0, 0.0], [5.0, 3.0]]
    assert t.tolist() == [[0.0, 1.0, 0.0], [0.0, 4.0, 0.0]]


def test_host_step_counters_leave_out_counters_on_another_device():
    """Only the optimisers' step counters on the CPU are allowed host reads; a counter kept on another device (a meta
    tensor stands in for CUDA) is not among them."""
    p, q = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.Adam([p, q])
    cpu_step, other_step = torch.tensor(1.0), torch.zeros((), device="meta")
    opt.state[p]["step"], opt.state[q]["step"] = cpu_step, other_step
    got = graphs.host_step_counters([opt])
    assert len(got) == 1 and got[0] is cpu_step


def test_a_request_after_the_switch_was_read_turns_capture_on_and_off_here(monkeypatch):
    """`--capture` / `--eager` decide this process's capture even where the switch has already been read from the
    environment."""
    _unset_capture_env(monkeypatch)
    try:
        assert graphs.capture_on("cpu") is False  # the switch read (unset: eager on the CPU)
        graphs.request_capture(True)
        assert graphs.capture_on("cpu") is True
        graphs.request_capture(False)
        assert graphs.capture_on("cuda") is False
    finally:
        graphs.use_capture(None)


def test_capture_on_the_cpu_runs_the_step_on_the_static_buffers():
    """With capture on the CPU the step is given the runner's static buffers (refilled in place each call), not the
    freshly drawn inputs."""
    got = []
    runner = graphs.StepRunner(lambda s, k: got.append(s), torch.device("cpu"), True)
    first, second = [torch.zeros(2)], [torch.ones(2)]
    runner(first)
    runner(second)
    assert got[0] is got[1] is runner.buffers.static
    assert got[0] is not first and got[0][0] is not first[0] and got[0][0].tolist() == [1.0, 1.0]


def test_a_warm_up_on_the_side_stream_waits_for_the_current_stream_and_is_waited_for(monkeypatch):
    """A warm-up step on its side stream first waits for the current stream's work, and the current stream then waits
    for the side stream (CUDA faked: each stream is named by its device index, so the two waits are told apart by their
    order around the step)."""
    _, seen = _fake_cuda(monkeypatch)
    runner = graphs.StepRunner(lambda s, k: seen.append(("step",)), torch.device("cuda:0"), True, warmup=1)
    runner(torch.zeros(2))
    events = [e[0] for e in seen]
    assert events == ["wait", "stream", "step", "wait"], seen


def test_static_buffers_of_a_dataclass_are_refilled_in_place_and_leave_the_callers_tensors_alone():
    """An `RLBatch`-like dataclass's fields are copied into buffers of their own on the first fill and refilled in place
    later (a graph keeps reading the same tensors; the caller's batches stay untouched)."""

    def batch(v: float) -> RLBatch:
        return RLBatch(*(None if f is None else torch.full_like(f, v) for f in vars(make_inputs()[2]).values()))

    first = batch(0.0)
    buf = graphs.StaticBuffers()
    static = buf.fill(first)
    held = {k: v for k, v in vars(static).items() if v is not None}
    assert held and all(v is not getattr(first, k) for k, v in held.items())
    buf.fill(batch(5.0))
    assert buf.static is static and all(getattr(static, k) is v for k, v in held.items())  # the same tensors
    assert all(v.eq(5.0).all() for v in held.values())  # holding the latest batch
    assert all(getattr(first, k).eq(0.0).all() for k in held)  # the first batch untouched


def test_static_buffers_of_a_dict_are_refilled_in_place():
    """A dict's tensors (stage 1's batch) are refilled in place, so the step (a graph) keeps reading the same buffer
    tensors, never the caller's."""
    buf = graphs.StaticBuffers()
    first = {"obs": torch.zeros(2, 3), "rewards": torch.zeros(2, 1)}
    static = buf.fill(first)
    held = dict(static)
    later = {"obs": torch.ones(2, 3), "rewards": torch.full((2, 1), 4.0)}
    buf.fill(later)
    assert all(static[k] is held[k] and static[k] is not later[k] for k in held)
    assert static["obs"].sum() == 6 and static["rewards"].sum() == 8 and first["obs"].sum() == 0


def test_make_capturable_moves_each_step_counter_to_its_parameters_device():
    """With `on`, a step counter on another device than its parameter (a CPU counter of a meta parameter stands in for a
    CUDA one) is moved to the parameter's device, and the groups become capturable."""
    p = torch.nn.Parameter(torch.zeros(2, device="meta"))
    opt = torch.optim.Adam([p])
    opt.state[p]["step"] = torch.tensor(3.0)
    graphs.make_capturable([opt], on=True)
    assert opt.state[p]["step"].device.type == "meta" and opt.param_groups[0]["capturable"] is True
    graphs.make_capturable([opt], on=False)
    assert opt.param_groups[0]["capturable"] is False


@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8")
def test_the_guard_raises_on_unique_consecutive_unique_along_a_dimension_and_a_uint8_mask():
    """`unique_consecutive` and `unique(dim=...)` size their output by the data, and so does indexing with a uint8
    mask (the old form of a boolean one, `t[mask.byte()]`): on CUDA each waits for the device, so each raises
    under `no_host_reads`, as `unique` and a boolean mask do."""
    t = torch.tensor([1.0, 1.0, 2.0, 0.0, 3.0])
    for read in (
        lambda: torch.unique_consecutive(t),
        lambda: torch.unique(t[None].expand(2, -1), dim=0),
        lambda: t[(t > 0).to(torch.uint8)],
    ):
        with pytest.raises(graphs.HostReadError, match="aten op"), graphs.no_host_reads():
            read()


def test_static_buffers_refuse_a_reshaped_input_of_as_many_elements():
    """A step input of another shape but as many elements (a batch of one squeezed, [1, 3] then [3]) is another
    step: `copy_` would broadcast it into the buffer silently, so it is refused, naming both shapes."""
    buf = graphs.StaticBuffers()
    buf.fill([torch.zeros(1, 3)])
    with pytest.raises(ValueError, match=r"changed shape from \(1, 3\) to \(3,\)"):
        buf.fill([torch.ones(3)])


def test_a_runner_warms_up_three_times_by_default_and_again_after_a_reset(monkeypatch):
    """The first `WARMUP_STEPS` (3) calls of a key run eagerly on a side stream, the next captures; `reset` (after a
    load replaced what the graph reads) drops the graphs and the warm-up counts, so the next call warms up again
    before it captures. (CUDA faked.)"""
    _, seen = _fake_cuda(monkeypatch)
    runner = graphs.StepRunner(lambda s, k: None, torch.device("cuda:0"), True)

    def captures() -> int:
        return sum(e[0] == "capture" for e in seen)

    for _ in range(3):
        runner(torch.zeros(2))
    assert captures() == 0 and not runner.graphs
    runner(torch.zeros(2))
    assert captures() == 1 and list(runner.graphs) == [None]
    runner.reset()
    runner(torch.zeros(2))
    assert captures() == 1 and not runner.graphs  # warmed up again, not captured at once


def test_static_buffers_of_a_namedtuple_keep_its_type_and_are_refilled_in_place():
    """A namedtuple is a tuple whose constructor takes its fields one by one: the buffers are one of its kind."""
    import collections

    Pair = collections.namedtuple("Pair", "obs act")
    buffers = graphs.StaticBuffers()
    static = buffers.fill(Pair(torch.zeros(2), torch.ones(3)))
    assert type(static) is Pair
    refilled = buffers.fill(Pair(torch.full((2,), 4.0), torch.full((3,), 5.0)))
    assert refilled is static and refilled.obs.tolist() == [4.0, 4.0] and refilled.act.tolist() == [5.0] * 3
