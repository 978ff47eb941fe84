"""rlkit.budget (a run's FLOPs) and rlkit.stats (intervals over seeds), on known answers."""

import math
import warnings

import numpy as np
import pytest
import torch

import rlkit.budget
from rlkit.budget import Budget, describe, makespan, synthetic_step, training_budget
from rlkit.config import load_config
from rlkit.data.buffer import MultiTaskBuffer, sample_step
from rlkit.seeding import torch_generator
from rlkit.stats import curve_band, iqm_interval, t_interval
from rlkit.torch.csro.trainer import CSROTrainer
from tests.conftest import TINY_CONFIG


def test_budget_counts_every_step_and_scales_with_sizes():
    small = training_budget(load_config(TINY_CONFIG))
    assert small.steps == 2 * 10 and small.step_flops > 0
    assert small.total_flops == small.step_flops * small.steps
    double = training_budget(
        load_config(
            TINY_CONFIG,
            {"n_train_tasks": 8, "env_params": {"n_tasks": 10}, "algo_params": {"meta_batch": 8, "num_iterations": 3}},
        )
    )
    assert double.steps == 30
    assert double.step_flops == pytest.approx(2 * small.step_flops, rel=0.02)  # every matmul has meta_batch x rows
    focal = training_budget(load_config(TINY_CONFIG, {"algo_type": "FOCAL"}))
    assert focal.step_flops < small.step_flops  # no CLUB net to fit


def test_budget_counts_a_classifier_step():
    """CLASSIFIER's head classifies the synthetic step's own tasks (0..meta_batch-1) among n_train_tasks classes
    0..n_train_tasks-1: with the run's own training task ids as classes, a held-out task among the drawn ones had no
    class and the step raised."""
    cfg = load_config(TINY_CONFIG, {"algo_type": "CLASSIFIER"})
    assert training_budget(cfg).step_flops > training_budget(load_config(TINY_CONFIG)).step_flops  # + the head


def test_a_curve_band_ends_where_the_shortest_run_ends_whichever_comes_last():
    """The runs' common length is the shortest's, not the last run's (the tests' shorter run came last)."""
    x, mean, _, _ = curve_band(
        [np.array([10, 20]), np.array([10, 20, 30])], [np.array([3.0, 4.0]), np.array([1.0, 2.0, 3.0])], band="std"
    )
    assert x.tolist() == [10, 20] and mean.tolist() == [2.0, 3.0]


def test_a_budgets_summary_by_hand():
    """Each stage's line prints its own step's GFLOP, not the learner's: 10 x 2 GFLOP + 300 x 0.5 = 170 GFLOP."""
    from rlkit.budget import Budget, Stage

    budget = Budget(2_000_000_000, 10, (Stage("VAE", 500_000_000, 300, True),))
    assert budget.summary() == "10 steps x 2.00 GFLOP + 300 VAE steps x 0.50 GFLOP = 0.2 TFLOP"


def test_budget_counts_borels_vae_stage():
    """BOREL's budget adds its belief-VAE stage: borel_vae_steps steps of the VAE on min(n_train_tasks,
    borel_vae_tasks) tasks (the tiny config's 4 of 8) x 8 sequences, which scale with the sequences and tasks per
    step and not with the learner's sizes."""
    cfg = load_config(TINY_CONFIG, {"algo_type": "BOREL", "algo_params": {"borel_vae_steps": 300}})
    b = training_budget(cfg)
    (vae,) = b.stages
    assert vae.steps == 300 and vae.flops > 0 and b.steps == 20
    assert b.total_flops == b.step_flops * b.steps + vae.flops * vae.steps
    half = training_budget(load_config(TINY_CONFIG, {"algo_type": "BOREL", "algo_params": {"borel_vae_sequences": 4}}))
    assert half.stages[0].flops == pytest.approx(vae.flops / 2, rel=0.02)
    for tasks, share in [(4, 1.0), (2, 0.5)]:  # the stage draws at most the 4 training tasks the run has
        fewer = load_config(TINY_CONFIG, {"algo_type": "BOREL", "algo_params": {"borel_vae_tasks": tasks}})
        assert training_budget(fewer).stages[0].flops == pytest.approx(vae.flops * share, rel=0.02)
    assert "+ 300 VAE steps x" in describe(b) and training_budget(load_config(TINY_CONFIG)).stages == ()


def test_what_is_left_of_a_budget_after_some_steps():
    """Stages among the run's steps (CORRO's) are its first steps; a stage before the run (BOREL's VAE) is done once
    the run has a step; nothing is negative past the end."""
    from rlkit.budget import Stage

    corro = Budget(10, 100, (Stage("CVAE", 3, 20), Stage("E1 pretraining", 5, 30)))  # 100 + 50 steps in all
    assert corro.flops_after(0) == corro.total_flops == 10 * 100 + 3 * 20 + 5 * 30
    assert corro.flops_after(25) == 10 * 100 + 5 * 25  # the CVAE's 20 and 5 of pretraining done
    assert corro.flops_after(60) == 10 * 90
    assert corro.flops_after(150) == corro.flops_after(400) == 0
    borel = Budget(10, 100, (Stage("VAE", 7, 50, before_run=True),))
    assert borel.flops_after(0) == 10 * 100 + 7 * 50 and borel.flops_after(40) == 10 * 60
    assert borel.flops_after(1) == 10 * 99  # the VAE done once one run step is (counted until step 2, 1,340)
    # the same in seconds, each kind of step at its own timed cost (a VAE step may run slower per FLOP)
    assert borel.left_after(0, 0.5, [2.0]) == 0.5 * 100 + 2.0 * 50 and borel.left_after(40, 0.5, [2.0]) == 0.5 * 60
    assert corro.left_after(25, 1.0, [4.0, 3.0]) == 1.0 * 100 + 3.0 * 25


def test_synthetic_episodes_have_the_envs_length_and_borel_elbo_terms_cut_the_vae_step():
    """The budget's synthetic data holds episodes of the env's length (BOREL's sequences are whole episodes, so its
    VAE step's cost depends on it), a shorter last one for the remainder; decoding from M of a sequence's beliefs
    costs less than from all of them."""
    from rlkit.budget import _synthetic_buffer

    cfg = load_config(TINY_CONFIG, {"algo_type": "BOREL", "env_params": {"max_episode_steps": 30}})
    buf, _, _ = _synthetic_buffer(cfg, 2, 100)
    assert buf.traj_lengths[0].tolist() == [30, 30, 30, 10]
    full = training_budget(cfg).stages[0].flops
    cut = training_budget(load_config(TINY_CONFIG, cfg.to_dict(), {"algo_params": {"borel_elbo_terms": 4}}))
    assert 0 < cut.stages[0].flops < full


def test_budget_counts_corros_stages_at_their_own_cost():
    """CORRO's first steps train only the CVAE (generative negatives) or E1 (its pretraining): each counted at its
    own cost, and the learner's step for the rest of the run's steps (a count at step 0 priced every step as a CVAE
    step). After pretraining E1 is frozen, so the later steps cost less than the joint schedule's."""
    cfg = load_config(
        TINY_CONFIG,
        {"algo_type": "CORRO", "algo_params": {"corro_negatives": "generative", "corro_cvae_steps": 5}},
    )
    b = training_budget(cfg)
    assert [(s.name, s.steps) for s in b.stages] == [("CVAE", 5)] and b.steps == 20 - 5
    assert 0 < b.stages[0].flops < b.step_flops
    pre = training_budget(load_config(TINY_CONFIG, {"algo_type": "CORRO", "algo_params": {"corro_pretrain_steps": 8}}))
    assert [(s.name, s.steps) for s in pre.stages] == [("E1 pretraining", 8)] and pre.steps == 12
    joint = training_budget(load_config(TINY_CONFIG, {"algo_type": "CORRO"}))
    assert joint.stages == () and joint.steps == 20 and pre.stages[0].flops > 0
    assert pre.step_flops < joint.step_flops  # E1 frozen: no InfoNCE in the learner's steps


def test_budget_draws_a_step_as_training_does(monkeypatch):
    """The budget's step draws its tasks, context, batch and BRAC batches with training's `sample_step`: from the
    same buffer and generator state they are the same tensors (it once drew a permutation under mb_replace and
    the BRAC batches before the batch)."""
    buffers, seen = [], []

    class Recorded(MultiTaskBuffer):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            buffers.append(self)

    monkeypatch.setattr(rlkit.budget, "MultiTaskBuffer", Recorded)
    monkeypatch.setattr(CSROTrainer, "train_step", lambda self, *args: seen.append(args))
    cfg = load_config(TINY_CONFIG, {"algo_params": {"mb_replace": True, "use_brac": True, "c_iter": 3}})
    synthetic_step(cfg, n_tasks=5, transitions=200, seed=3)()
    want = sample_step(buffers[0], torch.arange(5), cfg.algo_params, torch_generator(3, "batch_sampling"))
    tasks, context, batch, extra = seen[0]
    torch.testing.assert_close(tasks, want.tasks)
    torch.testing.assert_close(context, want.context)
    torch.testing.assert_close(batch.obs, want.batch.obs)
    assert len(extra) == 2 and all(torch.equal(e.obs, w.obs) for e, w in zip(extra, want.extra))


def test_makespan_takes_runs_in_order_on_the_first_free_worker():
    assert makespan([1.0, 1.0, 1.0], 2) == 2.0  # not 1.5: a run is not split between workers
    assert makespan([3.0, 1.0, 1.0], 2) == 3.0  # both short runs on the second worker, beside the long one
    assert makespan([1.0, 3.0, 1.0], 2) == 3.0
    assert makespan([1.0, 1.0, 3.0], 2) == 4.0  # taken in order: the long run starts when a worker is free
    assert makespan([2.0, 1.0], 5) == 2.0 and makespan([2.0, 1.0], 1) == 3.0 and makespan([], 2) == 0.0


def test_budget_line_names_flops_and_throughput():
    line = describe(Budget(2_000_000_000, 10_000), throughput=100e9)
    assert "10,000 steps x 2.00 GFLOP = 20.0 TFLOP" in line and "100 GFLOP/s" in line and "3.3 min" in line


def test_t_interval_known_answer():
    lo, hi = t_interval(np.array([1.0, 2.0, 3.0]))
    half = 4.302652729911275 * 1.0 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert (lo, hi) == pytest.approx((2 - half, 2 + half))
    assert all(math.isnan(v) for v in t_interval(np.array([1.0])))


def test_iqm_is_the_middle_half_mean_with_an_interval_around_it():
    """Sorted -100, 0, 1, 1.5, 2, 3, 9, 100: the middle half 1, 1.5, 2, 3 has mean 1.875, the median 1.75 (symmetric
    data, where the two agree, would take a median for the IQM)."""
    point, lo, hi = iqm_interval(np.array([0.0, 1.0, 2.0, 3.0, 100.0, -100.0, 1.5, 9.0]))
    assert point == pytest.approx(1.875, rel=1e-12)
    assert lo <= point <= hi
    assert iqm_interval(np.array([0.5]))[0] == 0.5 and math.isnan(iqm_interval(np.array([0.5]))[1])


def test_the_iqm_is_rliables_to_the_last_bit():
    """`iqm` stands in for rliable's `aggregate_iqm` (scipy's trim_mean) in the bootstrap, to skip scipy's per-call
    argument handling: on every size from 1 to 24, with ties, negatives and more than one column, it gives the same
    float; a nan anywhere (scipy propagates it) or no entry at all gives nan."""
    from rliable import metrics

    from rlkit.stats import iqm

    g = np.random.default_rng(0)
    for n in range(1, 25):
        for cols in (1, 3):
            for x in (g.normal(size=(n, cols)) * 100, g.integers(-3, 4, size=(n, cols)).astype(float)):
                assert iqm(x) == metrics.aggregate_iqm(x), (n, cols, x)
        x = g.normal(size=(n, 1))
        x[g.integers(n)] = np.nan
        assert math.isnan(iqm(x)) and math.isnan(metrics.aggregate_iqm(x)), x
    assert math.isnan(iqm(np.zeros((0, 1))))


def test_iqm_interval_is_rliables_interval_of_its_own_iqm():
    """The whole interval, point and both bounds, equals rliable's own with `aggregate_iqm` on the same draws."""
    from rliable import library, metrics

    x = np.array([0.1, 0.35, 0.2, 0.8, 0.5, 0.45, -0.3])
    np.random.seed(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        point, ci = library.get_interval_estimates(
            {"m": x[:, None]},
            lambda s: np.array([metrics.aggregate_iqm(s)]),
            reps=300,
            random_state=np.random.RandomState(3),
        )
    assert iqm_interval(x, reps=300, seed=3) == (point["m"][0], ci["m"][0][0], ci["m"][1][0])


def test_iqm_interval_depends_on_its_seed_alone_and_leaves_numpys_generator_alone():
    """rliable resamples from numpy's global generator: the interval must not change with that generator's state
    (a rerun of a finished reproduction rewrote Table 1's intervals), and calling it must not move that state."""
    x = np.array([0.1, 0.35, 0.2, 0.8, 0.5, 0.45])
    intervals = set()
    for outside in (1, 2, 3):
        np.random.seed(outside)
        before = np.random.get_state()[1].copy()
        intervals.add(iqm_interval(x, reps=500, seed=0))
        assert np.array_equal(np.random.get_state()[1], before)
    assert len(intervals) == 1
    assert len({iqm_interval(x, reps=500, seed=s) for s in range(4)}) > 1  # the seed does choose the resamples


def test_a_curves_line_is_the_mean_of_three_runs_and_its_band_their_std():
    """Three runs (two at 0, one at 3 then 6): the mean 1, 2 (their median would be 0, 0), the band mean +- std
    with ddof 1: sqrt(3), sqrt(12)."""
    from rlkit.stats import curve_band

    zeros = np.zeros(2)
    _, mean, lo, hi = curve_band([np.array([10, 20])] * 3, [zeros, zeros, np.array([3.0, 6.0])], band="std")
    np.testing.assert_allclose(mean, [1.0, 2.0])
    np.testing.assert_allclose(hi - mean, [math.sqrt(3), math.sqrt(12)])
    np.testing.assert_allclose(mean - lo, [math.sqrt(3), math.sqrt(12)])


def _corro(**algo):
    return load_config(TINY_CONFIG, {"algo_type": "CORRO", "algo_params": {"corro_negatives": "generative", **algo}})


def test_corros_stages_never_count_more_steps_than_the_run_has():
    """CORRO's stages are cut at the run's end: the CVAE stage is `min(cvae_steps, total)` and the pretraining is
    capped by what the CVAE leaves, not by the run's steps. The tiny run has 2 x 10 = 20 steps: a 5000-step CVAE
    stage (the default) or a CVAE plus pretraining longer than the run must be cut at the run's end, so the stages
    and the learner's steps add up to the run's 20 steps and none is negative. This catches `min(cvae_steps, total)`
    dropped and the pretraining capped by the run's steps, not by what the CVAE leaves."""
    for algo, stages in [
        ({}, [("CVAE", 20)]),  # default corro_cvae_steps 5000: the whole run is CVAE steps
        ({"corro_cvae_steps": 5, "corro_pretrain_steps": 30}, [("CVAE", 5), ("E1 pretraining", 15)]),
        ({"corro_cvae_steps": 12, "corro_pretrain_steps": 5}, [("CVAE", 12), ("E1 pretraining", 5)]),
    ]:
        b = training_budget(_corro(**algo))
        assert [(s.name, s.steps) for s in b.stages] == stages, algo
        assert b.steps >= 0 and b.steps + sum(s.steps for s in b.stages) == 20, algo
        assert b.flops_after(0) == b.total_flops and b.flops_after(20) == 0


def test_borels_vae_step_is_counted_on_the_runs_training_tasks_not_its_meta_batch():
    """BOREL's VAE step draws min(n_train_tasks, borel_vae_tasks) tasks, whatever the learner's meta-batch, and the
    VAE stage is counted on those, not on meta_batch tasks: a run of 4 training tasks with a meta-batch of 1 costs
    the same per VAE step as one with a meta-batch of 4."""
    cfg = {"algo_type": "BOREL", "algo_params": {"borel_vae_tasks": 4}}
    full = training_budget(load_config(TINY_CONFIG, cfg)).stages[0].flops
    small_batch = load_config(TINY_CONFIG, cfg, {"algo_params": {"meta_batch": 1}})
    assert training_budget(small_batch).stages[0].flops == pytest.approx(full, rel=0.02)


def test_borels_vae_step_is_counted_on_sequences_as_long_as_the_datas_longest():
    """Every sequence of BOREL's VAE step is padded to the longest the data holds, borel_episodes episodes of one
    checkpoint's n_trj (at most n_trj of them): the budget's synthetic tasks hold that many episodes, not 2000 rows
    (10 episodes of 200 steps, which counted a 20-episode run's VAE step at half its cost)."""
    from rlkit.budget import _synthetic_buffer, stage_steps
    from rlkit.data.sequences import SequenceIndex

    widths = []

    def vae_step(cfg, n_tasks, transitions, seed=0):  # the step's sequences, without running it
        buf, _, _ = _synthetic_buffer(cfg, 1, transitions)
        widths.append(SequenceIndex(buf, cfg.algo_params.borel_episodes, cfg.algo_params.n_trj).rows.shape[1])

    for episodes in (2, 20, 60):
        algo = {"n_trj": 50, "borel_episodes": episodes, "max_path_length": 200, "num_steps_per_eval": 200}
        cfg = load_config(
            TINY_CONFIG, {"algo_type": "BOREL", "env_params": {"max_episode_steps": 200}}, {"algo_params": algo}
        )
        with pytest.MonkeyPatch.context() as m:
            m.setattr(rlkit.budget, "synthetic_vae_step", vae_step)
            stage_steps(cfg)
    assert widths == [2 * 200, 20 * 200, 50 * 200]  # 60 episodes: one checkpoint's 50


def test_a_classifiers_head_has_a_class_per_training_task_whatever_the_meta_batch():
    """CLASSIFIER's (and UNICORN_SUP's) head is as wide as the run's training tasks, as in training, when the
    synthetic step draws fewer tasks (its meta-batch)."""
    from rlkit.budget import _synthetic_buffer

    for algo_type in ("CLASSIFIER", "UNICORN_SUP"):
        cfg = load_config(TINY_CONFIG, {"algo_type": algo_type, "algo_params": {"meta_batch": 2}})
        _, trainer, _ = _synthetic_buffer(cfg, cfg.algo_params.meta_batch, 100)
        assert trainer.classifier.layers[-1].out_features == cfg.n_train_tasks == 4


def test_corros_e1_pretraining_after_a_cvae_stage_is_priced_as_e1_steps():
    """The E1-pretraining stage is counted after the CVAE stage, not at step 0 (where CORRO's encoder is in its CVAE
    stage). With generative negatives and pretraining, the pretraining steps train E1 by InfoNCE on CVAE-made
    negatives: each costs at least an E1 pretraining step with reward negatives (the same E1, no CVAE to draw from)
    and far more than a step of the CVAE alone."""
    both = training_budget(_corro(corro_cvae_steps=5, corro_pretrain_steps=5))
    cvae, pre = both.stages
    assert (cvae.name, pre.name) == ("CVAE", "E1 pretraining")
    reward_negatives = {"algo_type": "CORRO", "algo_params": {"corro_pretrain_steps": 5}}
    (reward_pre,) = training_budget(load_config(TINY_CONFIG, reward_negatives)).stages
    assert pre.flops >= reward_pre.flops > cvae.flops


T_975_1 = 12.706204736174707  # scipy.stats.t.ppf(0.975, 1): two runs, one degree of freedom


def test_a_curves_t_band_at_each_iteration_is_the_interval_of_that_iterations_runs():
    """Each point of a learning curve's 95% band is the t interval of that iteration's runs, `t_interval(vals[:, i])`;
    with `t_interval(vals[:, 0])` every point would be the band of its first iteration. Two runs at (0, 0) and
    (2, 6): at the first iteration the mean is 1, sd sqrt(2), half-width t(0.975, 1) * sqrt(2) / sqrt(2) = 12.706;
    at the second the mean 3, sd sqrt(18), half-width 12.706 * 3 = 38.119 (not the first's 12.706 around 3)."""
    x, mean, lo, hi = curve_band([np.array([10, 20])] * 2, [np.array([0.0, 0.0]), np.array([2.0, 6.0])])
    np.testing.assert_allclose(x, [10, 20])
    np.testing.assert_allclose(mean, [1.0, 3.0])
    np.testing.assert_allclose(hi - mean, [T_975_1, 3 * T_975_1])
    np.testing.assert_allclose(mean - lo, [T_975_1, 3 * T_975_1])


def test_an_iqm_interval_draws_as_many_bootstrap_resamples_as_asked():
    """`iqm_interval` passes its `reps` on to rliable (`reps=reps`); with `reps=200` in that call the interval would be
    drawn from a fixed number of resamples whatever the caller asks (Table 1's default 5000 among them). Two runs
    scoring 0 and 1: a resample's IQM (the mean of two) is 0, 0.5 or 1 with chances 1/4, 1/2, 1/4. One resample gives
    one value, so a zero-width interval at it; 5000 of them hold both 0 and 1 (the chance that none is 0 is
    0.75 ** 5000), so 0 to 1."""
    point, lo, hi = iqm_interval(np.array([0.0, 1.0]), reps=1)
    assert point == 0.5 and lo == hi and lo in (0.0, 0.5, 1.0)
    assert iqm_interval(np.array([0.0, 1.0]), reps=5000) == (0.5, 0.0, 1.0)


def _fake_clock(monkeypatch, durations):
    """A step that takes `durations` in turn on a fake `time.perf_counter` (nothing is timed for real); returns it."""
    from types import SimpleNamespace

    now = [0.0]
    left = list(durations)
    monkeypatch.setattr(rlkit.budget, "time", SimpleNamespace(perf_counter=lambda: now[0]))

    def step():
        now[0] += left.pop(0)

    return step, left


def test_a_steps_seconds_are_the_median_of_its_timed_calls_after_the_warmup(monkeypatch):
    """A step's seconds are the median (`np.median(times)`, not `np.mean`) of its timed calls, and the warmup calls
    are not timed. Three warmup calls of 100 s (a first call's compilation and caches), then five of 1, 2, 3, 4 and
    50 s (one disturbed by another process): the median is 3 s. The mean, 12 s, would make a run's training time 4x
    too long; timing the warmup calls as well, the median of 100, 100, 100, 1, 2 is 100 s."""
    from rlkit.budget import step_seconds

    step, left = _fake_clock(monkeypatch, [100.0, 100.0, 100.0, 1.0, 2.0, 3.0, 4.0, 50.0])
    assert step_seconds(step, repeats=5, warmup=3) == 3.0
    assert left == []  # 3 + 5 calls, no more


def test_usable_cores_are_this_processs_affinity_not_the_machines_count(monkeypatch):
    """The usable cores are `len(os.sched_getaffinity(0))`, not `os.cpu_count()`: on a 16-core machine where this
    process may run on 2 of them (a container's cpuset, taskset), counting the machine's cores the plan would count
    16 workers and promise 8x too short a wall time (`makespan` of its runs on 16 slots, not 2)."""
    monkeypatch.setattr(rlkit.budget.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(rlkit.budget.os, "cpu_count", lambda: 16)
    assert rlkit.budget.usable_cores() == 2


def test_a_t_interval_of_one_seed_is_nan_without_numpy_warnings():
    """One seed has no interval: (nan, nan), returned before any std of one value (ddof 1) or t quantile of 0 degrees
    of freedom is computed, so a one-seed report prints no RuntimeWarning per cell."""

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lo, hi = t_interval(np.array([-5.0]))
    assert np.isnan(lo) and np.isnan(hi)


def test_a_curve_of_one_run_has_its_band_on_the_line():
    """A single run has no spread: its band is the line itself (lo = hi = mean, as documented), not a band reaching
    down to 0."""
    x, mean, lo, hi = curve_band([np.array([10, 20, 30])], [np.array([-5.0, -4.0, -3.0])])
    np.testing.assert_array_equal(x, [10, 20, 30])
    np.testing.assert_array_equal(mean, [-5.0, -4.0, -3.0])
    np.testing.assert_array_equal(lo, mean)
    np.testing.assert_array_equal(hi, mean)


def test_a_steps_seconds_by_default_are_the_median_of_five_timed_calls_after_three_warmup_calls(monkeypatch):
    """`timed_steps` (the reproduction plan's time estimate) calls `step_seconds` with its defaults: 3 untimed warmup
    calls, then the median of 5. Three warmup calls of 100 s, then 1, 2, 3, 4 and 50 s: 3 s. A default of no warmup
    times 100, 100, 100, 1, 2 (median 100 s); a default of one repeat times the 1 s call alone, and a single call
    disturbed by another process would be the estimate."""
    from rlkit.budget import step_seconds

    step, left = _fake_clock(monkeypatch, [100.0, 100.0, 100.0, 1.0, 2.0, 3.0, 4.0, 50.0])
    assert step_seconds(step) == 3.0
    assert left == []  # 3 + 5 calls, no more


def test_corros_learner_steps_are_priced_past_its_stages():
    """The learner's step of a CORRO run (`learner_step`) is priced at the step where its CVAE and E1-pretraining
    stages are both over (E1 frozen), the step every one of its `Budget.steps` is. Priced at the CVAE stage's end
    only (the pretraining steps not added), a run with pretraining would price all its learner steps as pretraining
    steps: the learner's step would cost exactly the pretraining stage's step."""
    reward_negatives = load_config(TINY_CONFIG, {"algo_type": "CORRO", "algo_params": {"corro_pretrain_steps": 8}})
    for cfg in [reward_negatives, _corro(corro_cvae_steps=5, corro_pretrain_steps=5)]:
        b = training_budget(cfg)
        assert b.stages[-1].name == "E1 pretraining" and b.steps == 20 - sum(s.steps for s in b.stages)
        assert b.step_flops != b.stages[-1].flops, (b.step_flops, b.stages)


def test_an_iqm_interval_by_default_draws_5000_bootstrap_resamples(monkeypatch):
    """Table 1's intervals: `iqm_interval` without `reps` asks rliable for 5000 stratified-bootstrap resamples (a
    smaller default gives every report other, noisier intervals). The resampling itself is cut to two draws here,
    so the check costs nothing."""
    from rliable import library

    asked = []
    real = library.get_interval_estimates

    def spy(*args, reps, **kwargs):
        asked.append(reps)
        return real(*args, reps=2, **kwargs)

    monkeypatch.setattr(library, "get_interval_estimates", spy)
    point, lo, hi = iqm_interval(np.array([0.0, 1.0, 2.0, 3.0]))
    assert asked == [5000] and point == 1.5 and lo <= hi
