"""`MetaTrainer` with stand-ins for its networks, data and meta-test: what one iteration writes (its progress row's
timings, eval_returns_itr_N.json, BOREL's VAE blocks), the data the two task sets are read from, and what a resume
restores from latest.pt (generators, the meta-test's env generators, progress.csv and TensorBoard)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch

from rlkit.config import load_config
from rlkit.eval import EvalResult
from rlkit.experiment import MetaTrainer
from rlkit.logging import RETURN_COLUMNS, RunLogger
from rlkit.seeding import SEEDING_VERSION, torch_generator
from rlkit.torch.csro.trainer import LossRecord
from tests.test_logging import make_row


def test_test_tasks_are_read_from_the_eval_epoch_checkpoints(monkeypatch):
    """Mutation E01: the training tasks' data comes from the checkpoints of train_epoch, the test tasks' (the
    offline-context protocol's contexts) from those of eval_epoch. The suite's configs give both the same range,
    where reading the test tasks from train_epoch changes nothing; here they differ."""
    import rlkit.experiment as experiment

    read = {}

    def load_task_data(data_dir, task, epochs, *args, **kwargs):
        read[task] = list(epochs)
        return "rows"

    def buffer(data, *args, **kwargs):
        return dict(data)  # reads every task's data, as the buffer does

    monkeypatch.setattr(experiment, "load_task_data", load_task_data)
    monkeypatch.setattr(experiment, "MultiTaskBuffer", buffer)
    cfg = load_config(None, {"algo_params": {"train_epoch": [100, 400, 100], "eval_epoch": [600, 800, 100]}})
    tasks = [{"goal": i} for i in range(4)]
    train, test = experiment.load_buffers(cfg, [0, 1], [2, 3], "cpu", 2, 2, None, None, tasks, Path("data"))
    assert set(train) == {0, 1} and set(test) == {2, 3}
    assert read == {0: [100, 200, 300], 1: [100, 200, 300], 2: [600, 700], 3: [600, 700]}


def _iteration_trainer(tmp_path, monkeypatch, steps: int, train_s: float, eval_s: float):
    """A MetaTrainer without networks or data whose steps take `train_s` and whose meta-test takes `eval_s` seconds
    of a fake clock, with dump_eval_paths on; returns it and the meta-test's per-episode returns."""
    import rlkit.experiment as experiment

    clock = [1000.0]
    monkeypatch.setattr(experiment, "time", SimpleNamespace(time=lambda: clock[0]))
    latent = 2
    record = LossRecord(
        **{k: torch.tensor(0.5) for k in LossRecord.SCALARS},
        **{f: torch.arange(4.0) for f in ("q_predictions", "v_predictions", "log_pis", "policy_mu")},
        **{f: torch.arange(4.0) for f in ("policy_log_std", "alpha", "div_estimate")},
        z_mean=torch.zeros(3, latent),
        z_std=torch.tensor(0.1),
        z_across=torch.tensor(0.3),
        z_spread_ratio=torch.tensor(4.0),
    )

    def step(at=None):
        clock[0] += train_s / steps
        return record

    returns = {"offline": [[-3.0, -2.0]], "online": [[-4.0]], "np": [[-5.0, -1.0]]}

    def evaluate(agent, iteration):
        clock[0] += eval_s
        scores = {k: np.array([[v[0][-1]]]) for k, v in returns.items()}
        return EvalResult(scores, returns, env_steps=60, final_z=np.zeros(latent), final_z_std=0.2)

    t = object.__new__(MetaTrainer)
    t.cfg = SimpleNamespace(
        algo_params=SimpleNamespace(num_train_steps_per_itr=steps, allow_eval=True, dump_eval_paths=True)
    )
    t.setup = SimpleNamespace(out_dir=tmp_path)
    t.counters = {"iteration": 4, "train_steps": 40, "env_steps": 0, "rollouts": 0, "train_time": 0.0}
    t.show_progress, t.borel = False, None
    t.sums = SimpleNamespace(zero_=lambda: None, values={k: torch.tensor(0.5 * steps) for k in LossRecord.SCALARS})
    t.trainer = SimpleNamespace(steps_taken=lambda: None, branch=lambda at: None, modules=lambda: {}, agent=None)
    t.step, t.evaluator = step, evaluate
    return t, returns


def test_an_iterations_eval_returns_file_is_named_by_its_progress_rows_epoch(tmp_path, monkeypatch):
    """Mutation E14: with dump_eval_paths, eval_returns_itr_N.json holds the meta-test returns of the progress row
    whose Epoch is N (the iteration that ran it, as snapshots/itr_N.pt); E14 named it one iteration later, so each
    file was read as the next iteration's meta-test and the first one's was never found."""
    t, returns = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    row = t.iteration(None)
    epoch = int(row["Epoch"])
    assert json.loads((tmp_path / f"eval_returns_itr_{epoch}.json").read_text()) == returns
    assert [p.name for p in tmp_path.glob("eval_returns_itr_*.json")] == [f"eval_returns_itr_{epoch}.json"]


def test_an_iterations_epoch_time_covers_its_training_and_its_meta_test(tmp_path, monkeypatch):
    """Mutation E15: 'Epoch Time (s)' is the whole iteration, its training steps and its meta-test; E15 measured it
    from the end of training, so it equalled the meta-test's time and a slow training never showed there."""
    t, _ = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    row = t.iteration(None)
    assert row["Train Time (s)"] == 10.0 and row["(Previous) Eval Time (s)"] == 4.0
    assert row["Epoch Time (s)"] == 14.0


def test_total_train_time_adds_up_over_the_iterations(tmp_path, monkeypatch):
    """Mutation E29: 'Total Train Time (s)' is the training time of every iteration so far (a resumed run's
    included: it is in latest.pt's counters); E29 kept only the last iteration's. The golden runs drop the timing
    columns, so only this sees it."""
    t, _ = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    t.counters["train_time"] = 30.0  # three earlier iterations of 10 s each, restored by a resume
    rows = [t.iteration(None) for _ in range(2)]
    assert [r["Train Time (s)"] for r in rows] == [10.0, 10.0]
    assert [r["Total Train Time (s)"] for r in rows] == [40.0, 50.0]


def test_borels_vae_blocks_are_logged_at_the_vae_step_they_end_with_their_own_means(tmp_path):
    """Mutation E46: each block of BOREL's VAE stage is logged to TensorBoard at the VAE step it ends at (the step
    debug.log's 'vae N/M' line names, and the one a resume's purge counts from); E46 logged it at the step it began
    at, shifting the whole VAE curve one block left. Mutation E33: a block's means are over its own steps, the last,
    shorter block included (E33 divided that block's sums by num_train_steps_per_itr)."""
    steps = torch.zeros((), dtype=torch.long)

    def vae_step(batch):
        steps.add_(1)
        s = float(steps)  # each step's losses: its own number, so a block's mean is the mean of its step numbers
        return SimpleNamespace(loss=torch.tensor(s), reward=torch.tensor(s), state=torch.tensor(s), kl=torch.tensor(s))

    t = object.__new__(MetaTrainer)
    t.trainer = SimpleNamespace(agent=SimpleNamespace(encoder=SimpleNamespace(steps=steps)), vae_step=vae_step)
    t.borel = SimpleNamespace(vae_steps=10, vae_tasks=2, vae_sequences=1)
    t.cfg = SimpleNamespace(algo_params=SimpleNamespace(num_train_steps_per_itr=4))
    t.setup = SimpleNamespace(
        device=torch.device("cpu"), out_dir=tmp_path, sequences=SimpleNamespace(sample=lambda *a: None)
    )
    t.train_tasks, t.vae_gen, t.show_progress = torch.arange(3), torch.Generator().manual_seed(0), False
    t._state = lambda: {"vae_steps": int(steps)}
    lines, points = [], []
    logger = SimpleNamespace(
        info=lines.append, scalars=lambda values, step: points.append((step, values["VAE/VAE Loss"]))
    )
    t.vae_stage(logger)
    assert [line.split(":")[0] for line in lines] == ["vae 4/10", "vae 8/10", "vae 10/10"]
    assert points == [(4, 2.5), (8, 6.5), (10, 9.5)]  # steps 1-4, 5-8, 9-10
    assert t.vae_means["steps"] == 10.0 and t.vae_means["loss"] == 9.5


# ---- resume ---------------------------------------------------------------------------------------------
def _resumable(out_dir, iteration: int, eval_env_rng):
    """A MetaTrainer without networks or data whose run folder holds a latest.pt saved after `iteration`
    iterations (seed 3); returns it and what its fakes were given."""
    trained = torch_generator(3, "batch_sampling")
    torch.rand(7, generator=trained)  # the run's draws so far moved its generator on
    state = {
        "trainer": {"generator": torch_generator(3, "train_noise").get_state()},
        "sample_gen": trained.get_state(),
        "counters": {
            "iteration": iteration,
            "train_steps": 10 * iteration,
            "env_steps": 0,
            "rollouts": 0,
            "train_time": 1.0,
        },
        "eval_env_rng": eval_env_rng,
        "seeding": SEEDING_VERSION,
    }
    torch.save(state, out_dir / "latest.pt")
    given = {}
    t = object.__new__(MetaTrainer)
    t.setup = SimpleNamespace(out_dir=out_dir, seed=3, device=torch.device("cpu"))
    t.cfg = load_config(None, {"algo_params": {"num_iterations": 10, "snapshot_gap": 1}})
    t.trainer = SimpleNamespace(
        generator=torch.Generator(),
        agent=SimpleNamespace(test_z_generator=None),
        load_state_dict=lambda s: given.setdefault("trainer", s),
    )
    t.sample_gen = torch_generator(3, "batch_sampling")  # as a fresh process makes it
    t.evaluator = SimpleNamespace(set_rng_states=lambda s: given.setdefault("eval_env_rng", s))
    t.runner = SimpleNamespace(reset=lambda: None)
    t.borel, t.vae_gen, t.capture, t.fused = None, None, False, False
    t.counters = {"iteration": 0}
    return t, given, trained


def test_a_resume_continues_the_meta_tests_env_generators(tmp_path):
    """Mutation E06: the meta-test's job envs draw their episode starts from generators that run on across
    iterations (MuJoCo envs' reset noise); latest.pt keeps them and a resume must hand them back to the evaluator,
    or the resumed run's meta-tests start other episodes than a run straight through. (The point robot's starts
    draw nothing, so the resume-equals-straight tests did not see E06, which skipped them.)"""
    saved = [{"bit_generator": "PCG64", "state": {"state": 12345, "inc": 678}, "has_uint32": 0, "uinteger": 0}]
    t, given, trained = _resumable(tmp_path, 3, saved)
    logger = SimpleNamespace(info=lambda m: None, load_rows=lambda n: None, resume_at=lambda *a: None)
    assert t.try_resume(logger)
    assert given.get("eval_env_rng") == saved
    assert t.counters["iteration"] == 3
    # the meta-batch draws go on where the saved run left them, not from the stream's start
    assert torch.equal(torch.rand(5, generator=t.sample_gen), torch.rand(5, generator=trained))


def test_tensorboard_after_a_resume_keeps_the_last_saved_iteration_once(tmp_path):
    """Mutation E04: a run killed after logging iteration 3's row but before saving latest.pt resumes at 3 done
    iterations: TensorBoard readers drop what the killed process logged from step 3 (Epoch 3) on and keep steps
    0-2. E04 (the purge from iteration - 1) also dropped step 2, the last saved iteration's point, from every curve.
    Mutation E37: progress.csv keeps the 3 rows latest.pt accounts for; E37 (load_rows(iteration + 1)) kept the
    killed process's row of Epoch 3 too, so the resumed run's Epoch 3 followed it: two rows of one Epoch."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log = RunLogger(tmp_path)
    for it, offline in ((1, -5.0), (2, -4.0), (3, -3.0), (4, -2.0)):  # Epochs 0-3; latest.pt saved after Epoch 2
        log.record(make_row(it, offline=offline))
    log.close()
    t, _, _ = _resumable(tmp_path, 3, [])
    t.evaluator = SimpleNamespace(set_rng_states=lambda s: None)
    resumed = RunLogger(tmp_path)
    assert t.try_resume(resumed)
    resumed.record(make_row(4, offline=-1.0))  # Epoch 3 again, as the resumed run computes it
    resumed.close()
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    tag = RETURN_COLUMNS["offline"].replace(" ", "_")
    assert [(e.step, e.value) for e in acc.Scalars(tag)] == [(0, -5.0), (1, -4.0), (2, -3.0), (3, -1.0)]
    # progress.csv likewise: the rows latest.pt accounts for, then the resumed run's, each Epoch once (E37)
    df = pd.read_csv(tmp_path / "progress.csv")
    assert df["Epoch"].tolist() == [0, 1, 2, 3] and df[RETURN_COLUMNS["offline"]].tolist() == [-5, -4, -3, -1]


def test_generators_reseeded_after_a_device_change_draw_distinct_streams():
    """Mutation E03: resumed on the other device type, every saved torch generator is reseeded; OFFPEARL's
    sampled meta-test z (`test_z`) must get a stream of its own, not the one the policy noise (`train_noise`)
    gets, whose draws it would then repeat exactly."""
    cuda_like = torch.zeros(16, dtype=torch.uint8)
    fake = SimpleNamespace(
        trainer=SimpleNamespace(generator=torch.Generator(), agent=SimpleNamespace(test_z_generator=torch.Generator())),
        sample_gen=torch.Generator(),
        setup=SimpleNamespace(seed=3),
        vae_gen=None,
    )
    state = {
        "trainer": {"generator": cuda_like, "test_z_generator": cuda_like.clone()},
        "sample_gen": cuda_like.clone(),
        "counters": {"iteration": 4},
    }
    reseeded = MetaTrainer._fit_generator_states(fake, state)
    assert sorted(reseeded) == ["batch_sampling", "test_z", "train_noise"]
    states = [state["trainer"]["generator"], state["trainer"]["test_z_generator"], state["sample_gen"]]
    draws = []
    for s in states:
        g = torch.Generator()
        g.set_state(s)
        draws.append(torch.randn(4, generator=g))
    assert not any(torch.equal(draws[i], draws[j]) for i in range(3) for j in range(i + 1, 3))
