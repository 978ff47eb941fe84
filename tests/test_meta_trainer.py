"""`MetaTrainer` with stand-ins for its networks, data and meta-test: what one iteration writes (its progress row's
timings, eval_returns_itr_N.json, BOREL's VAE blocks), the data the two task sets are read from, and what a resume
restores from latest.pt (generators, the meta-test's env generators, progress.csv and TensorBoard)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path, PurePosixPath
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from rlkit.config import load_config
from rlkit.errors import UserError
from rlkit.eval import EvalResult
from rlkit.experiment import MetaTrainer, prepare
from rlkit.logging import LOSS_COLUMNS, RETURN_COLUMNS, RunLogger
from rlkit.logging.columns import SPREAD_COLUMNS
from rlkit.seeding import SEEDING_VERSION, portable_generator_state, torch_generator
from rlkit.torch import graphs
from rlkit.torch.csro.trainer import LossRecord
from tests.conftest import TINY_CONFIG
from tests.test_buffer import _written_data
from tests.test_gradient_flow import make_trainer
from tests.test_logging import make_row


def test_test_tasks_are_read_from_the_eval_epoch_checkpoints(monkeypatch):
    """The training tasks' data comes from the checkpoints of train_epoch, the test tasks' (the offline-context
    protocol's contexts) from those of eval_epoch. The suite's configs give both the same range, where reading the test
    tasks from train_epoch changes nothing; here they differ."""
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
    """With dump_eval_paths, eval_returns_itr_N.json holds the meta-test returns of the progress row whose Epoch is N
    (the iteration that ran it, as snapshots/itr_N.pt), not one iteration later: a file named one iteration later was
    read as the next iteration's meta-test, and the first one's was never found."""
    t, returns = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    row = t.iteration(None)
    epoch = int(row["Epoch"])
    assert json.loads((tmp_path / f"eval_returns_itr_{epoch}.json").read_text()) == returns
    assert [p.name for p in tmp_path.glob("eval_returns_itr_*.json")] == [f"eval_returns_itr_{epoch}.json"]


def test_an_iterations_epoch_time_covers_its_training_and_its_meta_test(tmp_path, monkeypatch):
    """'Epoch Time (s)' is the whole iteration, its training steps and its meta-test; measured from the end of training
    it equalled the meta-test's time, and a slow training never showed there."""
    t, _ = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    row = t.iteration(None)
    assert row["Train Time (s)"] == 10.0 and row["(Previous) Eval Time (s)"] == 4.0
    assert row["Epoch Time (s)"] == 14.0


def test_total_train_time_adds_up_over_the_iterations(tmp_path, monkeypatch):
    """'Total Train Time (s)' is the training time of every iteration so far (a resumed run's included: it is in
    latest.pt's counters), not only the last iteration's. The golden runs drop the timing columns, so only this test
    sees a total that kept the last iteration's alone."""
    t, _ = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    t.counters["train_time"] = 30.0  # three earlier iterations of 10 s each, restored by a resume
    rows = [t.iteration(None) for _ in range(2)]
    assert [r["Train Time (s)"] for r in rows] == [10.0, 10.0]
    assert [r["Total Train Time (s)"] for r in rows] == [40.0, 50.0]


def _vae_trainer(tmp_path, losses):
    """test_meta_trainer's stand-in of BOREL's VAE stage: 10 VAE steps in blocks of 4, step s's losses `losses(s)`
    (loss, reward, state, kl); returns it, the debug.log lines and the TensorBoard points."""
    steps = torch.zeros((), dtype=torch.long)

    def vae_step(batch):
        steps.add_(1)
        return SimpleNamespace(**dict(zip(("loss", "reward", "state", "kl"), map(torch.tensor, losses(int(steps))))))

    t = object.__new__(MetaTrainer)
    t.trainer = SimpleNamespace(agent=SimpleNamespace(encoder=SimpleNamespace(steps=steps)), vae_step=vae_step)
    t.borel = SimpleNamespace(vae_steps=10, vae_tasks=2, vae_sequences=1)
    t.cfg = SimpleNamespace(algo_params=SimpleNamespace(num_train_steps_per_itr=4))
    t.setup = SimpleNamespace(
        device=torch.device("cpu"), out_dir=tmp_path, sequences=SimpleNamespace(sample=lambda *a: None)
    )
    t.train_tasks, t.vae_gen, t.show_progress = torch.arange(3), torch.Generator().manual_seed(0), False
    t._state = lambda: {"vae_steps": int(steps)}
    t._check_vae_memory = lambda: None  # (the stand-in's sequences have no lengths: test_borel checks it on a run)
    lines, points = [], []
    logger = SimpleNamespace(
        info=lines.append, scalars=lambda values, step: points.append((step, values["VAE/VAE Loss"]))
    )
    return t, logger, lines, points


def test_borels_vae_blocks_are_logged_at_the_vae_step_they_end_with_their_own_means(tmp_path):
    """Each block of BOREL's VAE stage is logged to TensorBoard at the VAE step it ends at (the step debug.log's 'vae
    N/M' line names, and the one a resume's purge counts from), not at the step it began at, which shifted the whole VAE
    curve one block left. A block's means are over its own steps, the last, shorter block included (not that block's
    sums divided by num_train_steps_per_itr)."""
    t, logger, lines, points = _vae_trainer(tmp_path, lambda s: (s, s, s, s))  # each step's losses: its number
    t.vae_stage(logger)
    assert [line.split(":")[0] for line in lines] == ["vae 4/10", "vae 8/10", "vae 10/10"]
    assert points == [(4, 2.5), (8, 6.5), (10, 9.5)]  # steps 1-4, 5-8, 9-10: each block's mean VAE loss
    assert t.vae_means["steps"] == 10.0 and t.vae_means["loss"] == 9.5


def test_each_vae_block_is_logged_before_latest_pt_saves_it(tmp_path):
    """A block's TensorBoard point is written before the latest.pt that counts the block: killed in between, the
    resume (from the first VAE step latest.pt has not, `unsaved_from`) trains and logs that block again. Saved first,
    a kill in between left a saved block whose point was never logged, a gap in the VAE curves for good."""
    t, logger, _, points = _vae_trainer(tmp_path, lambda s: (1.0, 1.0, 1.0, 1.0))
    saved_after = []
    t._state = lambda: saved_after.append([step for step, _ in points]) or {}
    t.vae_stage(logger)
    assert saved_after == [[4], [4, 8], [4, 8, 10]]


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
        load_state_dict=lambda s, with_optimizers=True: given.setdefault("trainer", s),
    )
    t.sample_gen = torch_generator(3, "batch_sampling")  # as a fresh process makes it
    t.evaluator = SimpleNamespace(set_rng_states=lambda s: given.setdefault("eval_env_rng", s))
    t.runner = SimpleNamespace(reset=lambda: None)
    t.borel, t.vae_gen, t.capture, t.fused = None, None, False, False
    t.counters = {"iteration": 0}
    return t, given, trained


def test_a_resume_continues_the_meta_tests_env_generators(tmp_path):
    """The meta-test's job envs draw their episode starts from generators that run on across iterations (MuJoCo envs'
    reset noise); latest.pt keeps them and a resume must hand them back to the evaluator, or the resumed run's
    meta-tests start other episodes than a run straight through. (The point robot's starts draw nothing, so the
    resume-equals-straight tests did not see a resume that skipped them.)"""
    saved = [{"bit_generator": "PCG64", "state": {"state": 12345, "inc": 678}, "has_uint32": 0, "uinteger": 0}]
    t, given, trained = _resumable(tmp_path, 3, saved)
    logger = SimpleNamespace(info=lambda m: None, load_rows=lambda n: None, resume_at=lambda *a: None)
    assert t.try_resume(logger)
    assert given.get("eval_env_rng") == saved
    # every counter as saved (train steps, rollouts, the total train time's column), not only the iteration
    assert t.counters == torch.load(tmp_path / "latest.pt", weights_only=False)["counters"]
    assert t.counters["iteration"] == 3 and t.counters["train_time"] == 1.0
    # the meta-batch draws go on where the saved run left them, not from the stream's start
    assert torch.equal(torch.rand(5, generator=t.sample_gen), torch.rand(5, generator=trained))


def test_a_state_of_other_meta_test_jobs_is_one_line(tmp_path):
    """Another run's latest.pt copied over this run's, of the same networks but another number of meta-test jobs
    (num_evals, test tasks): the evaluator's refusal of its 1 env state for 2 envs is one line naming the file, not a
    ValueError traceback."""
    from rlkit.eval.evaluator import Evaluator

    saved = [{"bit_generator": "PCG64", "state": {"state": 12345, "inc": 678}, "has_uint32": 0, "uinteger": 0}]
    t, _, _ = _resumable(tmp_path, 3, saved)
    two_jobs = SimpleNamespace(envs=[object(), object()])
    t.evaluator = SimpleNamespace(set_rng_states=lambda s: Evaluator.set_rng_states(two_jobs, s))
    logger = SimpleNamespace(info=lambda m: None, load_rows=lambda n: None, resume_at=lambda *a: None)
    with pytest.raises(
        UserError, match=r"latest.pt' does not fit this run's meta-test \(1 env states for 2 evaluation"
    ):
        t.try_resume(logger)


def test_tensorboard_after_a_resume_keeps_the_last_saved_iteration_once(tmp_path):
    """A run killed after logging iteration 3's row but before saving latest.pt resumes at 3 done iterations:
    TensorBoard readers drop what the killed process logged from step 3 (Epoch 3) on and keep steps 0-2; a purge from
    iteration - 1 also dropped step 2, the last saved iteration's point, from every curve. progress.csv keeps the 3 rows
    latest.pt accounts for; load_rows(iteration + 1) kept the killed process's row of Epoch 3 too, so the resumed run's
    Epoch 3 followed it: two rows of one Epoch."""
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
    # progress.csv likewise: the rows latest.pt accounts for, then the resumed run's, each Epoch once
    df = pd.read_csv(tmp_path / "progress.csv")
    assert df["Epoch"].tolist() == [0, 1, 2, 3] and df[RETURN_COLUMNS["offline"]].tolist() == [-5, -4, -3, -1]


def _reseedable(test_z: bool, vae: bool) -> SimpleNamespace:
    """What `MetaTrainer._fit_generator_states` reads of a trainer of seed 3: its generators (OFFPEARL's sampled
    meta-test z's where `test_z`, BOREL's VAE stage's where `vae`)."""
    return SimpleNamespace(
        trainer=SimpleNamespace(
            generator=torch.Generator(), agent=SimpleNamespace(test_z_generator=torch.Generator() if test_z else None)
        ),
        sample_gen=torch.Generator(),
        setup=SimpleNamespace(seed=3),
        vae_gen=torch.Generator() if vae else None,
    )


def test_generators_reseeded_after_a_device_change_draw_distinct_streams():
    """Resumed on the other device type, every saved torch generator is reseeded; OFFPEARL's sampled meta-test z
    (`test_z`) must get a stream of its own, not the one the policy noise (`train_noise`) gets, whose draws it would
    then repeat exactly."""
    cuda_like = torch.zeros(16, dtype=torch.uint8)
    fake = _reseedable(test_z=True, vae=False)
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


def test_a_borel_vae_stage_reseeded_twice_after_device_changes_draws_new_streams():
    """BOREL's VAE stage runs at iteration 0: a run moved to the other device type at VAE step 100 and again at step
    300 reseeds its generators from stream `device_change` at its step, iterations and VAE steps together, so the
    second reseed draws other numbers than the first (keyed by the iteration alone, both were step 0)."""
    cuda_like = torch.zeros(16, dtype=torch.uint8)
    fake = _reseedable(test_z=False, vae=True)
    draws = []
    for vae_steps in (100, 300):
        state = {
            "trainer": {
                "generator": cuda_like.clone(),
                "modules": {"agent": {"encoder.steps": torch.tensor(vae_steps)}},
            },
            "sample_gen": cuda_like.clone(),
            "borel": {"vae_gen": cuda_like.clone()},
            "counters": {"iteration": 0},
        }
        assert sorted(MetaTrainer._fit_generator_states(fake, state)) == ["batch_sampling", "borel_vae", "train_noise"]
        g = torch.Generator()
        g.set_state(state["borel"]["vae_gen"])
        draws.append(torch.randn(4, generator=g))
    assert not torch.equal(draws[0], draws[1])


def _resume_lines(tmp_path, monkeypatch, state_edit):
    """try_resume of test_meta_trainer's stand-in MetaTrainer on a latest.pt changed by `state_edit`: the lines it
    printed and logged."""
    t, _, _ = _resumable(tmp_path, 0, [])  # saved before its first row: no progress.csv to keep
    state = torch.load(tmp_path / "latest.pt", weights_only=False)
    state_edit(state)
    torch.save(state, tmp_path / "latest.pt")
    lines = []
    logger = RunLogger(tmp_path)
    monkeypatch.setattr(logger, "info", lines.append)
    try:
        assert t.try_resume(logger, restore_snapshots=False)
    finally:
        logger.close()
    return lines


def test_a_resume_of_a_state_saved_on_the_other_device_type_says_which_generators_were_reseeded(
    tmp_path, monkeypatch, capsys
):
    """The resume's line about another device is printed also where only the generators tell (`ran_on != now or
    reseeded`), not dropped there (the condition cut to `ran_on != now`). A latest.pt saved before `ran_on` was kept, on
    CUDA (its generator states are CUDA's, 16 bytes), resumed on the CPU: its draws cannot continue and are reseeded
    (`portable_generator_state`), so the resumed run does not equal a run straight through; the user must be told which
    generators were reseeded, in debug.log and on the terminal."""

    def from_cuda(state):
        state["sample_gen"] = torch.zeros(16, dtype=torch.uint8)  # a CUDA generator's state
        state.pop("ran_on", None)

    lines = _resume_lines(tmp_path, monkeypatch, from_cuda)
    said = [line for line in lines if "reseeded" in line]
    assert len(said) == 1 and "torch generators batch_sampling reseeded" in said[0]
    assert said[0] in capsys.readouterr().out


def test_a_resume_inside_borels_vae_stage_keeps_the_last_saved_blocks_point(tmp_path):
    """A resume inside BOREL's VAE stage purges the VAE curve after the saved VAE step (`encoder.steps + 1`), not at the
    saved VAE step itself (`encoder.steps`). A BOREL run logs a VAE block's TensorBoard point, then saves latest.pt;
    killed after logging the block ending at step 10 but before saving it, it resumes at step 8: readers must drop step
    10 (logged again by the resumed run) and keep steps 4 and 8. With a purge at the saved step itself the point of step
    8, which latest.pt accounts for and nothing logs again, vanishes from the VAE curves."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log = RunLogger(tmp_path)
    for step, loss in ((4, 1.0), (8, 2.0), (10, 3.0)):
        log.scalars({"VAE/Loss": loss}, step)
    log.close()
    t, _, _ = _resumable(tmp_path, 0, [])
    state = torch.load(tmp_path / "latest.pt", weights_only=False)
    vae_gen = torch.Generator()
    state["borel"] = {"vae_gen": vae_gen.get_state(), "vae_means": {"steps": 8.0}}
    state["trainer"]["modules"] = {"agent": {"encoder.steps": torch.tensor(8)}}  # as a BOREL run's networks hold it
    torch.save(state, tmp_path / "latest.pt")

    t.borel, t.vae_gen = SimpleNamespace(vae_steps=20), torch.Generator()
    resumed = RunLogger(tmp_path)
    assert t.try_resume(resumed)
    resumed.scalars({"VAE/Loss": 3.5}, 10)  # the block ending at step 10 again, as the resumed run computes it
    resumed.close()
    acc = EventAccumulator(str(tmp_path / "tb" / "vae"))
    acc.Reload()
    assert [(e.step, e.value) for e in acc.Scalars("VAE/Loss")] == [(4, 1.0), (8, 2.0), (10, 3.5)]


def test_borels_vae_stage_stops_at_a_block_with_any_loss_not_finite(tmp_path):
    """The VAE stage's divergence check passes only while all four of its losses are finite (`.all()`), not while any of
    them is (`.any()`). A KL that became NaN at step 6 (the reward, state and total still finite numbers is enough to
    show it) must stop the stage with one line at the block it happened in, before that block is saved to latest.pt;
    with `.any()` the stage trains on and saves a VAE of NaN weights, and the run fails later, far from the cause."""
    from rlkit.errors import DivergedError

    t, logger, lines, points = _vae_trainer(tmp_path, lambda s: (1.0, 1.0, 1.0, float("nan") if s == 6 else 1.0))
    with pytest.raises(DivergedError, match=r"BOREL's VAE diverged at its step 8: a loss is not finite"):
        t.vae_stage(logger)
    assert points == [(4, 1.0)]  # the first block only: the diverged one is neither logged nor saved
    assert torch.load(tmp_path / "latest.pt") == {"vae_steps": 4}


def test_the_step_counters_add_up_over_the_iterations(tmp_path, monkeypatch):
    """'Number of train steps total' and 'Number of env steps total' count every step so far (`+=`; a resumed run's
    included: latest.pt's counters), not the last iteration's count only (`=` for `+=`); holding that alone, the x axis
    of every curve drawn against steps folds back onto one iteration. Resumed at 40 train steps, two iterations of 5
    steps and 60 meta-test env steps each: 45 then 50, 60 then 120."""
    from rlkit.logging.columns import TRAIN_STEPS

    t, _ = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    rows = [t.iteration(None) for _ in range(2)]
    assert [r[TRAIN_STEPS] for r in rows] == [45, 50]
    assert [r["Number of env steps total"] for r in rows] == [60, 120]


def test_an_iteration_without_meta_test_leaves_the_meta_tests_z_columns_nan(tmp_path, monkeypatch):
    """Where no meta-test ran, its final z is NaN, not filled with zeros (`np.zeros_like` for NaN). With allow_eval
    false 'Z mean eval' is not measured and must be NaN like the returns (`meta_test_columns`); filled with zeros,
    progress.csv holds a z of exactly 0 that reads as a measured belief at the prior's centre, and the collapse guard's
    eval columns compare against it."""
    import math

    t, _ = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    t.cfg.algo_params.allow_eval = False
    row = t.iteration(None)
    z_eval = {k: v for k, v in row.items() if k.startswith("Z mean eval")}
    assert len(z_eval) == 2 and all(math.isnan(v) for v in z_eval.values())
    assert not any(math.isnan(v) for k, v in row.items() if k.startswith("Z mean train"))


def _finite_checker(sums, params):
    """A MetaTrainer stand-in whose iteration summed `sums` (loss name -> value) and whose networks hold `params`
    (module name -> tensor), for `check_finite`."""

    t = object.__new__(MetaTrainer)
    modules = {name: torch.nn.ParameterList([torch.nn.Parameter(p)]) for name, p in params.items()}
    t.trainer = SimpleNamespace(modules=lambda: modules)
    t.setup = SimpleNamespace(out_dir="out")
    return t, {k: torch.tensor(v) for k, v in sums.items()}


def test_a_diverged_parameter_under_finite_losses_is_one_line_naming_its_network():
    """`check_finite`'s message splits losses from parameters at `first < len(names)`, not one further (`first <=
    len(names)`). Losses all finite and the first network's weights NaN (an optimiser step that overflowed after the
    losses were summed) must raise the one-line DivergedError naming that network; with the split off by one it indexes
    past the losses and the run ends in an IndexError traceback instead of exit 3 with its advice (the folder its
    last good rows are kept in, and the learning rates or reward_scale to lower)."""
    from rlkit.errors import DivergedError

    t, sums = _finite_checker(
        {"qf_loss": 1.0, "vf_loss": 2.0}, {"qf1": torch.tensor([float("nan")]), "policy": torch.ones(1)}
    )
    with pytest.raises(
        DivergedError, match=r"training diverged at iteration 7: a parameter of 'qf1' is not finite"
    ) as err:
        t.check_finite(sums, 7)
    assert err.value.exit_code == 3 and "\n" not in str(err.value)
    assert str(err.value).endswith("kept in 'out' (lower the learning rates or reward_scale)")


def test_divergence_names_the_first_loss_that_is_not_finite():
    """The divergence line names the first non-finite value, not the last (`[-1]`). A NaN QF loss spreads to the V loss
    and then to every network; the line must name the QF loss, where the trouble shows first in the step's order (losses
    before parameters), not the last network it reached."""
    from rlkit.errors import DivergedError
    from rlkit.logging import LOSS_COLUMNS

    nan = float("nan")
    t, sums = _finite_checker(
        {"qf_loss": nan, "vf_loss": nan}, {"qf1": torch.tensor([nan]), "policy": torch.tensor([nan])}
    )
    with pytest.raises(DivergedError, match=rf"loss {LOSS_COLUMNS['qf_loss']!r} is not finite"):
        t.check_finite(sums, 7)


def test_borels_vae_lines_are_printed_only_with_progress(tmp_path, capsys):
    """The VAE stage's progress lines are printed only when progress is on, not exactly when it is off (`if not
    self.show_progress`). `--no-progress` (a cluster worker, a script's log) must print no 'vae N/M' lines, and a run
    with progress must print each block's line (debug.log has them either way)."""
    for show, printed in ((False, []), (True, ["vae 4/10", "vae 8/10", "vae 10/10"])):
        t, logger, lines, _ = _vae_trainer(tmp_path, lambda s: (1.0, 1.0, 1.0, 1.0))
        t.show_progress = show
        t.vae_stage(logger)
        assert [line.split(":")[0] for line in lines] == ["vae 4/10", "vae 8/10", "vae 10/10"]
        assert [line.split(":")[0] for line in capsys.readouterr().out.splitlines()] == printed


def test_each_step_of_an_iteration_is_pinned_to_its_own_training_step(tmp_path, monkeypatch):
    """Each step of an iteration is pinned to its own training step (`first + i`), not every one to the iteration's
    first training step (`first`). CORRO's stages follow the training step (`trainer.branch(at)`): a stage due at step
    12 must begin at step 12, also when an iteration runs steps 10-14; pinned to the first, the whole iteration runs as
    step 10 (the stage starts an iteration late, and a captured step reuses step 10's graph for all five)."""

    t, _ = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    step, pinned = t.step, []
    t.step = lambda at=None: pinned.append(at) or step(at)
    t.trainer.steps_taken = lambda: 10
    t.iteration(None)
    assert pinned == [10, 11, 12, 13, 14]


def test_load_buffers_gives_each_task_its_own_description_the_obs_scale_the_scored_reward_and_the_capacity(
    monkeypatch,
):
    """`load_buffers` builds both buffers with the observation scale (rows divided by normalizer.npz's abs_max), the
    scored (sparse) reward for the contexts and replay_buffer_size as the capacity; the suite's data has no normalizer,
    no sparse reward and fits any capacity, so dropping any of the three changes no other test. Each task's data is also
    checked against its own task description (not task 0's)."""
    import rlkit.experiment as experiment

    described, built = {}, []

    def load_task_data(data_dir, task, epochs, *args, expected_task=None, **kwargs):
        described[task] = expected_task
        return f"rows of {task}"

    def buffer(data, *args, **kwargs):
        built.append((dict(data), args, kwargs))
        return "buffer"

    monkeypatch.setattr(experiment, "load_task_data", load_task_data)
    monkeypatch.setattr(experiment, "MultiTaskBuffer", buffer)
    cfg = load_config(None, {"algo_params": {"replay_buffer_size": 1234, "terminal_at_traj_end": False}})
    tasks = [{"goal": i} for i in range(4)]
    scale, reward_fn = np.array([2.0, 4.0]), lambda r: r
    experiment.load_buffers(cfg, [0, 1], [3], "cpu", 2, 3, scale, reward_fn, tasks, Path("data"))
    assert described == {0: {"goal": 0}, 1: {"goal": 1}, 3: {"goal": 3}}
    assert [b[0] for b in built] == [{0: "rows of 0", 1: "rows of 1"}, {3: "rows of 3"}]
    for _, args, kwargs in built:
        assert args[:4] == (2, 3, "cpu", False) and args[4] is scale
        assert kwargs == {"context_reward_fn": reward_fn, "capacity": 1234}


def test_a_step_runs_under_the_branch_of_the_training_step_it_is_given():
    """`MetaTrainer.step(at)` pins the trainer's branch (CORRO's stage) to training step `at` and keys the step runner
    (its captured graph) with it; with `branch(None)` every step runs unpinned under one key, so a CORRO stage change
    inside an iteration is missed and a captured graph of one stage replays in the next."""
    t = object.__new__(MetaTrainer)
    pinned = []
    t.trainer = SimpleNamespace(branch=lambda at: pinned.append(at) or f"stage at {at}")
    t.sample = lambda: "draw"
    t.runner = lambda sample, key: (sample, key)
    assert t.step(12) == ("draw", "stage at 12") and t.step(None) == ("draw", "stage at None")
    assert pinned == [12, None]


def test_path_to_weights_starts_from_the_networks_but_keeps_this_runs_own_noise_stream(tmp_path):
    """`path_to_weights` loads another run's networks (and alpha) only; with the optimisers as well
    (`with_optimizers=True`) the new run also takes over that run's Adam moments and its policy-noise generator, so runs
    of different seeds started from one file draw the same noise. The existing path_to_weights tests only check the
    networks or the refusals."""
    old = make_trainer(seed=1)
    torch.rand(3, generator=old.generator)  # the old run's noise stream moved on
    torch.save({"trainer": old.state_dict(), "counters": {"iteration": 4}}, tmp_path / "latest.pt")
    t = object.__new__(MetaTrainer)
    t.trainer, t.setup = make_trainer(seed=2), SimpleNamespace(device=torch.device("cpu"))
    own = t.trainer.generator.get_state().clone()
    t._load_weights(str(tmp_path / "latest.pt"))
    for k, m in old.modules().items():
        for a, b in zip(m.parameters(), t.trainer.modules()[k].parameters(), strict=True):
            assert torch.equal(a, b)
    assert torch.equal(t.trainer.generator.get_state(), own)


def test_a_resume_inside_borels_vae_stage_continues_the_vae_stream_and_its_last_means(tmp_path):
    """A BOREL run resumed inside its VAE stage goes on drawing its VAE steps' tasks and sequences where the saved
    stream left them (latest.pt's borel.vae_gen); with the restore skipped the resumed stage starts the `borel_vae`
    stream from its beginning again and repeats the first blocks' draws, so it no longer equals a run straight through.
    (A stand-in of this file's resume tests.)"""
    t, _, _ = _resumable(tmp_path, 0, [])
    trained = torch_generator_of("borel_vae")
    torch.rand(11, generator=trained)  # the stage's draws so far
    state = torch.load(tmp_path / "latest.pt", weights_only=False)
    state["borel"] = {"vae_gen": trained.get_state(), "vae_means": {"steps": 8.0, "loss": 0.5}}
    state["trainer"]["modules"] = {"agent": {"encoder.steps": torch.tensor(8)}}
    torch.save(state, tmp_path / "latest.pt")
    t.borel, t.vae_gen = SimpleNamespace(vae_steps=20), torch_generator_of("borel_vae")  # as a fresh process makes it
    logger = SimpleNamespace(info=lambda m: None, load_rows=lambda n: None, resume_at=lambda *a: None)
    assert t.try_resume(logger, restore_snapshots=False)
    assert torch.equal(torch.rand(5, generator=t.vae_gen), torch.rand(5, generator=trained))
    assert t.vae_means == {"steps": 8.0, "loss": 0.5}


def torch_generator_of(stream: str) -> torch.Generator:
    """Stream `stream` of seed 3, the seed of `_resumable`'s run."""
    return torch_generator(3, stream)


def purged_into(purged: list):
    """A stand-in of `RunLogger.resume_at` that records its arguments in `purged`."""
    return lambda *args: purged.append(args)


def test_a_resume_without_snapshot_restoring_writes_no_snapshot_and_purges_no_tensorboard(tmp_path):
    """`try_resume(restore_snapshots=False)` (a Ray segment in its scratch folder) neither writes the snapshot a kill
    left unwritten nor purges TensorBoard: the driver restores snapshots, and the segment's event files are read beside
    earlier segments'. With the flag ignored every segment writes snapshots/itr_N.pt into its scratch. With
    restore_snapshots the missing snapshot of latest.pt's iteration (Epoch 2 after 3 iterations) is written and the
    logger purged from iteration 3."""
    for restore, expected in ((False, []), (True, ["itr_2.pt"])):
        folder = tmp_path / str(restore)
        folder.mkdir()
        t, _, _ = _resumable(folder, 3, [])
        purged: list = []
        logger = SimpleNamespace(info=lambda m: None, load_rows=lambda n: None, resume_at=purged_into(purged))
        assert t.try_resume(logger, restore_snapshots=restore)
        assert sorted(p.name for p in (folder / "snapshots").glob("*")) == expected
        assert purged == ([(3, None)] if restore else [])


def _summing_iteration_trainer(tmp_path, monkeypatch):
    """`_iteration_trainer` (5 steps an iteration) whose steps add their record to real
    device sums, as `_train_and_sum` does; the step's qf_loss is `qf[0]`. Returns it and `qf`."""

    t, _ = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    t.sums = graphs.DeviceSums(LossRecord.SCALARS, torch.device("cpu"))
    step, qf = t.step, [1.0]

    def summing_step(at=None):
        record = dataclasses.replace(step(at), qf_loss=torch.tensor(qf[0]))
        t.sums.add(record)
        return record

    t.step = summing_step
    return t, qf


def test_each_iterations_loss_columns_are_the_means_over_its_own_steps(tmp_path, monkeypatch):
    """A progress row's loss columns are the means over the iteration's own num_train_steps_per_itr steps: the device
    sums are zeroed at each iteration's start (with that skipped, the second row held the mean of both iterations' sums,
    4.0) and divided by the step count (undivided, they were the sums, 5.0 and 15.0). The QF loss of every step of the
    first iteration is 1, of the second 3."""
    t, qf = _summing_iteration_trainer(tmp_path, monkeypatch)
    first = t.iteration(None)
    qf[0] = 3.0
    second = t.iteration(None)
    assert (first[LOSS_COLUMNS["qf_loss"]], second[LOSS_COLUMNS["qf_loss"]]) == (1.0, 3.0)
    assert second[LOSS_COLUMNS["vf_loss"]] == 0.5  # every step's other losses: 0.5


def test_a_rows_z_columns_hold_the_meta_tests_z_std_and_the_steps_spread_each_in_its_own_column(tmp_path, monkeypatch):
    """'Z variance eval' is the meta-test's final z std (0.2 here), not the training step's (0.1), and the collapse
    guard's columns hold the last step's across-task std (0.3) and spread ratio (4.0) each under its own name; swapped,
    a ratio of 0.3 reads as a collapsed encoder and the warning fires on a healthy one."""
    t, _ = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    row = t.iteration(None)
    assert row["Z variance train"] == pytest.approx(0.1) and row["Z variance eval"] == pytest.approx(0.2)
    assert row[SPREAD_COLUMNS[0]] == pytest.approx(0.3) and row[SPREAD_COLUMNS[1]] == pytest.approx(4.0)


def test_an_iteration_leaves_the_trainer_unpinned_when_it_ends(tmp_path, monkeypatch):
    """After an iteration's steps (pinned each to its training step) the trainer's branch is unpinned again
    (`branch(None)` in the `finally`), so that what runs between iterations (the meta-test, a save, BOREL's relabelling)
    and a step that fails midway leave no stage pinned; with the call skipped the last step's pin stays."""
    t, _ = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    pins = []
    t.trainer.branch = pins.append
    t.trainer.steps_taken = lambda: 10
    t.step = lambda at=None, step=t.step: t.trainer.branch(at) or step(at)
    t.iteration(None)
    assert pins == [10, 11, 12, 13, 14, None]


def test_a_vae_step_draws_vae_tasks_distinct_tasks_and_vae_sequences_of_each_and_logs_each_loss_under_its_name(
    tmp_path,
):
    """Each step of BOREL's VAE stage draws `borel_vae_tasks` distinct training tasks (a random permutation's first
    ones) and `borel_vae_sequences` sequences of each, from the `borel_vae` stream (not with the two counts swapped);
    the block's means keep each loss under its own name (with the reward and state losses swapped in the sums, the
    reward curve showed the state loss). This file's stand-in ignores the draw and gives every loss the
    same value, so neither swap showed. 3 tasks, 2 drawn, 5 sequences each."""
    t, logger, lines, _ = _vae_trainer(tmp_path, lambda s: (1.0, 2.0, 3.0, 4.0))
    t.train_tasks = torch.tensor([10, 11, 12])
    t.borel.vae_tasks, t.borel.vae_sequences = 2, 5
    draws = []
    t.setup.sequences = SimpleNamespace(sample=lambda tasks, n, gen: draws.append((tasks.tolist(), n, gen)))
    t.vae_stage(logger)
    replay = torch.Generator().manual_seed(0)  # the stand-in's vae_gen
    expected = [(t.train_tasks[torch.randperm(3, generator=replay)[:2]].tolist(), 5) for _ in range(10)]
    assert [(tasks, n) for tasks, n, _ in draws] == expected
    assert all(gen is t.vae_gen for _, _, gen in draws)
    assert {k: t.vae_means[k] for k in ("loss", "reward", "state", "kl")} == {
        "loss": 1.0,
        "reward": 2.0,
        "state": 3.0,
        "kl": 4.0,
    }


def test_load_buffers_reads_each_tasks_files_with_the_envs_obs_and_action_sizes_and_marks_trajectory_ends(
    monkeypatch,
):
    """`load_buffers` hands the loader the observation then the action size (each file's meta is checked against them)
    and the buffer terminal_at_traj_end as configured (True by default)."""
    import rlkit.experiment as experiment

    calls, built = [], []

    def load_task_data(data_dir, task, epochs, kind, n_trj, env_name, obs_dim, action_dim, **kwargs):
        calls.append((task, list(epochs), kind, n_trj, env_name, obs_dim, action_dim))
        return f"rows of {task}"

    def buffer(data, obs_dim, action_dim, device, terminal_at_traj_end, *args, **kwargs):
        built.append((dict(data), obs_dim, action_dim, terminal_at_traj_end))
        return "buffer"

    monkeypatch.setattr(experiment, "load_task_data", load_task_data)
    monkeypatch.setattr(experiment, "MultiTaskBuffer", buffer)
    cfg = load_config(None, {"algo_params": {"n_trj": 7, "train_epoch": [0, 4, 2], "eval_epoch": [5, 6, 1]}})
    assert cfg.algo_params.terminal_at_traj_end is True  # the default
    tasks = [{"goal": i} for i in range(3)]
    experiment.load_buffers(cfg, [0], [2], "cpu", 5, 3, None, None, tasks, Path("data"))
    kind = cfg.algo_params.data_kind
    assert calls == [(0, [0, 2], kind, 7, cfg.env_name, 5, 3), (2, [5], kind, 7, cfg.env_name, 5, 3)]
    assert built == [({0: "rows of 0"}, 5, 3, True), ({2: "rows of 2"}, 5, 3, True)]


def _meta_trainer(tmp_path, seed: int = 0, **top):
    """A MetaTrainer of the tiny config on the written 6-task dataset of tests.test_buffer (normalizer abs_max
    (2, 4)), no subprocess; `top`: top-level config overrides."""
    data = _written_data(tmp_path / "data")
    cfg = load_config(TINY_CONFIG, dict(top, algo_params={"data_dir": str(data)}))
    setup = prepare(cfg, seed, torch.device("cpu"), out_dir=tmp_path / "run")
    return MetaTrainer(setup, show_progress=False, capture=False)


def test_a_meta_trainer_seeds_its_networks_noise_and_meta_test_by_the_runs_seed_and_scales_the_test_envs(tmp_path):
    """The trainer's policy noise, its batches' draws and initial weights come from the run's seed (not seed 0, which
    every other test uses), the meta-test is seeded by the same seed and its envs divide observations by the dataset's
    normalizer; a new run's counters (progress.csv's totals) all start at 0. The weights are those of a trainer built
    on its own with seed 3, not seed 0's (that a trainer's "init" stream follows its seed is
    tests/test_gradient_flow.py::test_the_networks_initial_weights_follow_the_runs_seed)."""
    from rlkit.torch.csro.trainer import CSROTrainer

    t3, t0 = _meta_trainer(tmp_path / "a", seed=3), _meta_trainer(tmp_path / "b", seed=0)

    def weights(trainer):
        return torch.cat([p.flatten() for p in trainer.agent.parameters()])

    w3, w0 = weights(t3.trainer), weights(t0.trainer)
    setup = t3.setup
    assert torch.equal(w3, weights(CSROTrainer(t3.trainer.settings, setup.obs_dim, setup.action_dim, setup.device, 3)))
    assert not torch.equal(w3, w0)
    noise = torch.rand(5, generator=t3.trainer.generator)
    assert torch.equal(noise, torch.rand(5, generator=torch_generator(3, "train_noise")))
    # the training batches (tasks, transitions, contexts) are drawn by the run's seed too
    batches = torch.rand(5, generator=t3.sample_gen)
    assert torch.equal(batches, torch.rand(5, generator=torch_generator(3, "batch_sampling")))
    assert not torch.equal(batches, torch.rand(5, generator=t0.sample_gen))
    assert t3.evaluator.seed == 3
    assert t3.counters == {"iteration": 0, "train_steps": 0, "env_steps": 0, "rollouts": 0, "train_time": 0.0}
    for env in t3.evaluator.envs:
        wrapper = env
        while not hasattr(wrapper, "_obs_scale"):
            wrapper = wrapper.env
        assert wrapper._obs_scale is not None
        np.testing.assert_allclose(wrapper._obs_scale, [2.0 + 1e-8, 4.0 + 1e-8])


def test_a_classifier_runs_classes_are_its_training_tasks(tmp_path):
    """CLASSIFIER's task-id head has one class per training task of the run's split, in order (the trainer's settings
    are built from the training tasks, not the test tasks)."""
    t = _meta_trainer(tmp_path, algo_type="CLASSIFIER")
    assert t.setup.train_tasks == [0, 2, 3, 5]  # the tiny config's interpolation split of 6 tasks
    assert t.trainer.settings.classifier_tasks == (0, 2, 3, 5)
    assert t.trainer.class_of_task.tolist() == [0, -1, 1, 2, -1, 3]


def test_prepare_gives_the_buffers_and_the_run_the_envs_observation_then_action_size(monkeypatch):
    """`prepare` reads obs_dim from the observation space and action_dim from the action space; the suite's point robot
    has 2 and 2, where swapping them changes nothing; cheetah-vel has 20 and 6."""
    import rlkit.experiment as experiment

    got = {}

    def load_buffers(cfg, train, test, device, obs_dim, action_dim, *args):
        got.update(obs_dim=obs_dim, action_dim=action_dim)
        return "train buffer", "eval buffer"

    monkeypatch.setattr(experiment, "load_buffers", load_buffers)
    monkeypatch.setattr(experiment, "run_data_print", lambda cfg, data_dir: None)
    cfg = load_config(TINY_CONFIG, {"env_name": "cheetah-vel", "env_params": {"max_episode_steps": 200}})
    setup = experiment.prepare(cfg, 0, torch.device("cpu"), data_dir="no-data-here", out_dir="run")
    assert got == {"obs_dim": 20, "action_dim": 6}
    assert (setup.obs_dim, setup.action_dim) == (20, 6)


def test_path_to_weights_holding_an_object_outside_the_weights_only_classes_is_refused_not_unpickled(tmp_path):
    """`path_to_weights` is read with torch's weights-only reader, so a file whose state fits the networks but also
    holds an arbitrary pickled object (here a PurePosixPath; any class could run code) is one line naming it, not
    loaded."""

    torch.save({"trainer": make_trainer(seed=1).state_dict(), "note": PurePosixPath("x")}, tmp_path / "latest.pt")
    t = object.__new__(MetaTrainer)
    t.trainer, t.setup = make_trainer(seed=2), SimpleNamespace(device=torch.device("cpu"))
    with pytest.raises(UserError, match=r"^path_to_weights '.*latest\.pt' cannot be read \(UnpicklingError\)"):
        t._load_weights(str(tmp_path / "latest.pt"))


def test_borels_vae_generator_reseeded_after_a_device_change_gets_its_own_stream():
    """Resumed on the other device type, BOREL's VAE generator is reseeded on stream `borel_vae` at the resume's step
    (4 iterations after 1000 VAE steps: 1004), not on `batch_sampling`, whose reseeded draws the training batches then
    repeat."""

    cuda_like = torch.zeros(16, dtype=torch.uint8)
    fake = _reseedable(test_z=False, vae=True)
    state = {
        "trainer": {"generator": cuda_like, "modules": {"agent": {"encoder.steps": torch.tensor(1000)}}},
        "sample_gen": cuda_like.clone(),
        "counters": {"iteration": 4},
        "borel": {"vae_gen": cuda_like.clone(), "vae_means": {}},
    }
    reseeded = MetaTrainer._fit_generator_states(fake, state)
    assert sorted(reseeded) == ["batch_sampling", "borel_vae", "train_noise"]
    expected, fits = portable_generator_state(torch.Generator(), cuda_like.clone(), 3, "borel_vae", 1004)
    assert not fits and torch.equal(state["borel"]["vae_gen"], expected)
    assert not torch.equal(state["borel"]["vae_gen"], state["sample_gen"])


def test_the_iteration_summary_names_each_protocols_return_and_the_rows_own_epoch():
    """The line printed after each iteration gives the offline, online and np (no-prior) returns each under its own
    name, the row's own Epoch, and the QF, CLUB and Z losses each under its name (make_row gives each loss another
    value)."""
    row = make_row(3, offline=-5.0)  # online -6, np -7
    line = MetaTrainer.summary(row)
    assert line.startswith(f"itr {int(row['Epoch'])}: ")
    assert "offline -5.00  online -6.00  np -7.00" in line
    losses = [row["QF Loss"], row["Club Loss"], row["Z Loss"]]
    assert len(set(losses)) == 3 and "| qf {:.3g} club {:.3g} z {:.3g} spread".format(*losses) in line


def test_a_saved_state_holds_the_batch_stream_the_meta_tests_env_generators_and_the_named_device():
    """latest.pt's state holds the batch-sampling generator (not the policy noise's) under sample_gen, the meta-test
    envs' generators (which a resume hands back) and `ran_on` naming the device as a resume compares it ("cpu, capture
    off")."""

    t = object.__new__(MetaTrainer)
    noise, batches = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    t.trainer = SimpleNamespace(state_dict=lambda: {"generator": noise.get_state()}, generator=noise)
    t.sample_gen, t.counters, t.borel = batches, {"iteration": 2}, None
    t.evaluator = SimpleNamespace(rng_states=lambda: ["env generator states"])
    t.setup, t.capture, t.fused = SimpleNamespace(device=torch.device("cpu")), False, False
    state = t._state()
    assert torch.equal(state["sample_gen"], batches.get_state())
    assert not torch.equal(state["sample_gen"], noise.get_state())
    assert state["eval_env_rng"] == ["env generator states"]
    assert state["ran_on"] == "cpu, capture off"
    assert state["counters"] == {"iteration": 2}


def test_a_resume_on_another_device_names_the_device_it_was_trained_on_then_this_one(tmp_path, monkeypatch, capsys):
    """The resume's line on another device says where the run was trained first and where it goes on second."""

    def from_elsewhere(state):
        state["ran_on"] = "cuda:0 (a card of another host)"

    lines = _resume_lines(tmp_path, monkeypatch, from_elsewhere)
    said = [line for line in lines if line.startswith("resuming a run trained on")]
    assert len(said) == 1 and said[0].startswith("resuming a run trained on cuda:0 (a card of another host) on cpu")
    assert said[0] in capsys.readouterr().out


def test_the_iteration_summary_gives_the_training_and_the_meta_test_time_each_under_its_name():
    """The line printed after each iteration ends with the iteration's training time, then its meta-test's."""
    row = make_row(3)  # Train Time 1.5 s, (Previous) Eval Time 0.5 s
    assert MetaTrainer.summary(row).endswith("| train 1.5s eval 0.5s")


def test_the_rollout_counter_adds_up_and_z_mean_train_is_the_first_training_tasks(tmp_path, monkeypatch):
    """'Number of rollouts total' counts every meta-test episode so far (`+=`, as the step counters), and the
    'Z mean train' columns hold the z of the step's first training task (row 0 of its z_mean), as the reference logs."""
    t, returns = _iteration_trainer(tmp_path, monkeypatch, steps=5, train_s=10.0, eval_s=4.0)
    per_iteration = EvalResult(returns=returns).rollouts
    real_step = t.step

    def step(at=None):
        return dataclasses.replace(real_step(at), z_mean=torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))

    t.step = step
    rows = [t.iteration(None) for _ in range(2)]
    assert per_iteration > 0
    assert [r["Number of rollouts total"] for r in rows] == [per_iteration, 2 * per_iteration]
    assert [rows[-1]["Z mean train0"], rows[-1]["Z mean train1"]] == [1.0, 2.0]
