"""The collapse guard (docs/algorithm.md, "When the tanh encoder collapses"): every algo_type, trained a few
hundred steps on synthetic multi-task point-robot data with training's own sampler, keeps a context-dependent
z; the statistic that progress.csv, the summary line and rlkit.report carry fires on a collapsed z; and
`mb_replace` is what gives FOCAL's attraction term something to act on."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from rlkit.config import ALGO_TYPES, load_config, parse_override_args
from rlkit.data.buffer import MultiTaskBuffer, sample_step
from rlkit.data.dataset import Trajectories
from rlkit.data.sequences import SequenceIndex
from rlkit.experiment import MetaTrainer
from rlkit.logging import RETURN_COLUMNS, SPREAD_COLUMNS, collapse_warning
from rlkit.logging.columns import COLLAPSE_ACROSS, COLLAPSE_RATIO
from rlkit.torch.csro import borel, losses
from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings, belief_spread, rows_std, task_spread
from tests.conftest import ROOT, TINY_CONFIG, run_here
from tests.test_logging import make_row

N_TASKS, EPISODES, H = 16, 20, 20
SIZES = {
    "n_train_tasks": N_TASKS,
    "n_eval_tasks": 1,
    "interpolation": False,
    "meta_batch": 8,
    "embedding_batch_size": 64,
    "embedding_mini_batch_size": 64,
    "batch_size": 32,
    "latent_size": 4,
    "net_size": 32,
    "context_lr": 1e-3,
    "qf_lr": 1e-3,
    "vf_lr": 1e-3,
    "policy_lr": 1e-3,
}  # the demo's rates
# algo_type -> its overrides; a new method is guarded by one more line
GUARDED = {
    "CSRO": {},
    "FOCAL": {},
    "OFFPEARL": {},
    "CLASSIFIER": {},
    "CORRO": {},
    "UNICORN_SUP": {},
    "UNICORN_SS": {},
    # its guard: the belief after a whole sequence (`trainer.belief_spread`), trained as its VAE stage; on 4 sequences
    # per task and 8 of each sequence's 41 ELBO terms (an unbiased subsample), the same growth as on 8 and all 41 in
    # 40% of the time (8 s for 21 s)
    "BOREL": {"borel_vae_sequences": 4, "borel_elbo_terms": 8},
}
# what BOREL refuses to be given (it has no z of latent_size and reads no i.i.d. context)
BOREL_REFUSES = ("latent_size", "embedding_batch_size", "embedding_mini_batch_size")
# the CSRO reference's only route to an OffPEARL (tanh encoder trained by the critic alone): it collapses
REFERENCE_OFFPEARL = {"algo_type": "CSRO", "allow_backward_z": True, "use_FOCAL_cl": False, "use_club": False}


def synthetic_data(seed: int = 0) -> tuple[np.ndarray, dict[int, Trajectories]]:
    """Goals on the upper half circle; per task EPISODES noisy goal-seeking episodes of H steps from the origin,
    s' = s + 0.1 a, reward -||s' - g|| (the shape of point-robot's offline data)."""
    rng = np.random.default_rng(seed)
    angle = np.linspace(0, np.pi, N_TASKS)
    goals = np.stack([np.cos(angle), np.sin(angle)], 1)
    data = {}
    for t, g in enumerate(goals):
        s = np.zeros((EPISODES, 2))
        obs, act, nxt = [], [], []
        for _ in range(H):
            a = np.clip(2 * (g - s) + 0.5 * rng.normal(size=s.shape), -1, 1)
            obs.append(s), act.append(a), nxt.append(s + 0.1 * a)
            s = nxt[-1]
        o, a, n = (np.stack(x, 1).reshape(-1, 2).astype(np.float32) for x in (obs, act, nxt))
        r = -np.linalg.norm(n - g, axis=1).astype(np.float32)
        data[t] = Trajectories(o, a, r, n, np.zeros(len(o), np.float32), np.full(EPISODES, H))
    return goals, data


def train(overrides: dict, steps: int, seed: int = 0):
    sizes = {k: v for k, v in SIZES.items() if overrides.get("algo_type") != "BOREL" or k not in BOREL_REFUSES}
    cfg = load_config(
        None, parse_override_args([x for k, v in {**sizes, **overrides}.items() for x in (f"--{k}", json.dumps(v))])
    )
    goals, data = synthetic_data()
    buf = MultiTaskBuffer(data, 2, 2, torch.device("cpu"))
    tr = CSROTrainer(TrainerSettings.from_config(cfg, range(N_TASKS)), 2, 2, torch.device("cpu"), seed=seed)
    gen, tasks = torch.Generator().manual_seed(seed), torch.arange(N_TASKS)
    record, threads = None, torch.get_num_threads()
    torch.set_num_threads(1)  # small matrices: a second thread only waits at barriers on a busy host
    try:
        if tr.settings.borel is not None:  # `steps` VAE steps, the relabelling, then a few of the learner's
            buf = borel_stages(tr, buf, cfg, steps, gen)
        for _ in range(steps if tr.settings.borel is None else 5):
            s = sample_step(buf, tasks, cfg.algo_params, gen, with_context=tr.settings.borel is None)
            record = tr.train_step(s.tasks, s.context, s.batch, s.extra)
    finally:
        torch.set_num_threads(threads)
    return tr, buf, goals, record


def borel_stages(tr: CSROTrainer, buf: MultiTaskBuffer, cfg, steps: int, gen: torch.Generator) -> MultiTaskBuffer:
    """BOREL's stages as `rlkit.experiment` runs them: VAE steps on ordered same-task episode pairs, then the
    relabelled buffer (its hyper-state rows) and the guard's statistic; `tr.sequences` keeps the index for `probe`."""
    b = tr.settings.borel
    tr.sequences = SequenceIndex(buf, b.episodes, EPISODES, H)
    for _ in range(steps):
        tasks = torch.randperm(N_TASKS, generator=gen)[: b.vae_tasks]
        tr.vae_step(tr.sequences.sample(tasks, b.vae_sequences, gen))
    before, after, final = borel.hyper_state_columns(tr.agent.gru, tr.sequences)
    tr.borel_spread = belief_spread(final, tr.sequences.task)
    return buf.with_obs_columns(before, after)


@torch.no_grad()
def probe(tr: CSROTrainer, buf: MultiTaskBuffer, goals: np.ndarray, contexts: int = 4, b: int = 64) -> dict:
    """z of every task from `contexts` independent contexts of b transitions: the across-task std of z's task
    means against the within-task std, and R^2 of a linear probe from z to the goal (fitted on all contexts
    but one, tested on that one)."""
    gen, tasks = torch.Generator().manual_seed(123), torch.arange(N_TASKS)
    nxt = tr.settings.use_next_obs_in_context  # CORRO reads (s, a, r, s')
    if tr.settings.borel is not None:  # BOREL's z: the belief mean after a whole ordered sequence of the task
        z = torch.stack([final_belief(tr, tr.sequences.sample(tasks, 1, gen)) for _ in range(contexts)]).double()
    else:
        z = torch.stack([tr.agent.infer_z(buf.sample_context(tasks, b, gen, nxt)) for _ in range(contexts)]).double()
    across, within = z.mean(0).std(0).mean().item(), z.std(0).mean().item()
    x = torch.cat([z, torch.ones(*z.shape[:2], 1, dtype=z.dtype)], -1)
    y = torch.as_tensor(goals).expand(contexts, -1, -1)
    w = torch.linalg.lstsq(x[:-1].reshape(-1, x.shape[-1]), y[:-1].reshape(-1, 2)).solution
    r2 = 1 - ((x[-1] @ w - y[-1]) ** 2).sum() / ((y[-1] - y[-1].mean(0)) ** 2).sum()
    return {"across": across, "within": within, "r2": r2.item()}


def final_belief(tr: CSROTrainer, batch) -> torch.Tensor:
    """[T, 1, L, W] sequences -> [T, L]: the belief mean after each one."""
    mu, _ = tr.agent.gru(batch.actions[:, 0], batch.rewards[:, 0], batch.next_obs[:, 0])
    return mu[torch.arange(len(mu)), batch.mask[:, 0].sum(1)]


def test_every_method_is_guarded():
    """A method added to ALGO_TYPES gets this file's check that its encoder learns a context-dependent z: one wired
    into the config but not into the trainer's encoder objective ran with z at its random initialisation."""
    assert set(GUARDED) == set(ALGO_TYPES), "add the new algo_type to GUARDED"


@pytest.mark.parametrize("algo", list(GUARDED))
def test_every_method_keeps_a_context_dependent_z(algo):
    """After 200 steps z tells the tasks apart (a linear probe finds the goal, z's across-task spread is over its
    within-task spread), and its across-task spread has grown at least 2x over the same trainer's untrained one.
    The last bar is what shows the encoder trained: an untrained tanh encoder's z already passes the first two
    here (r2 0.996, spread ratio 11, at an across spread of 2e-4). Measured across growth on the EPYC host: CSRO,
    FOCAL, UNICORN_SUP, UNICORN_SS about 4000x, CLASSIFIER 2400x, OFFPEARL 550x, BOREL 6x, CORRO 2.6x (its
    CVAE-conditioned encoder starts 100x wider)."""
    settings = {"algo_type": algo, **GUARDED[algo]}
    untrained = probe(*train(settings, steps=0)[:3])
    tr, buf, goals, record = train(settings, steps=200)
    p = probe(tr, buf, goals)
    assert p["r2"] > 0.5 and p["across"] > 1.5 * p["within"], p
    assert p["across"] > 2 * untrained["across"], (p, untrained)
    row = dict(zip(SPREAD_COLUMNS, (float(record.z_across), float(record.z_spread_ratio))))
    assert collapse_warning(row) is None, row


def test_the_guard_fires_on_the_reference_offpearl_route():
    """The same data and steps, the tanh encoder trained by the critic alone: its tanh saturates, the probe
    finds nothing, and the logged statistic says so."""
    tr, buf, goals, record = train(REFERENCE_OFFPEARL, steps=200)
    p = probe(tr, buf, goals)
    assert p["r2"] < 0.2, p
    assert collapse_warning(dict(zip(SPREAD_COLUMNS, (float(record.z_across), float(record.z_spread_ratio)))))


def test_rows_std_by_hand_and_zero_for_one_row():
    """`Z variance train`: the std over a context's rows (n - 1 in the denominator, as the reference's torch.std),
    mean over dims; a one-row context has no spread: 0, as `Z variance eval`, not the NaN of torch.std."""
    e = torch.tensor([[0.0, 1.0], [2.0, 5.0]])
    assert rows_std(e).item() == pytest.approx((2**0.5 + 8**0.5) / 2)  # stds sqrt(2) and sqrt(8)
    assert rows_std(e[:1]).item() == 0.0


def test_task_spread_by_hand():
    z = torch.tensor([[0.0, 1.0], [2.0, 1.0]])  # across: std over tasks per dim (1, 0), mean 0.5
    z_a, z_b = torch.tensor([[1.0, 1.0], [1.0, 1.0]]), torch.tensor([[-1.0, 1.0], [3.0, 1.0]])  # diffs 2, 0, -2, 0
    across, ratio = task_spread(z, z_a, z_b)
    within = math.sqrt((4 + 0 + 4 + 0) / 4) / 2
    assert across.item() == pytest.approx(0.5) and ratio.item() == pytest.approx(0.5 / within)
    const = torch.ones(3, 2)
    assert task_spread(const, const, const)[1].item() == 0  # one constant z: collapsed
    one = torch.ones(1, 2)  # a meta-batch of one task: nothing to measure, not a collapse
    assert all(math.isnan(v.item()) for v in task_spread(one, one, one))
    assert all(math.isnan(v.item()) for v in belief_spread(torch.randn(4, 2), torch.zeros(4, dtype=torch.long)))


def test_a_saturated_encoder_is_flagged_in_the_step_the_row_and_the_summary():
    """Forced saturation (the tanh encoder's last bias at 20: every embedding is +1): the step's spread ratio is
    0, the row's warning fires, and the summary line shows it."""
    tr, buf, goals, _ = train({}, steps=0)
    with torch.no_grad():
        tr.agent.encoder.layers[-1].bias.fill_(20.0)
    s = sample_step(buf, torch.arange(N_TASKS), tr_cfg_params(), torch.Generator().manual_seed(0))
    record = tr.train_step(s.tasks, s.context, s.batch, s.extra)
    assert float(record.z_across) == 0 and float(record.z_spread_ratio) == 0
    row = {
        "Epoch": 0,
        "QF Loss": 1.0,
        "Club Loss": 0.0,
        "Z Loss": 0.0,
        "Train Time (s)": 1.0,
        "(Previous) Eval Time (s)": 1.0,
        **{c: -5.0 for c in RETURN_COLUMNS.values()},
        SPREAD_COLUMNS[0]: float(record.z_across),
        SPREAD_COLUMNS[1]: float(record.z_spread_ratio),
    }
    assert "!! z collapsed" in MetaTrainer.summary(row)
    alive = dict(row, **{SPREAD_COLUMNS[0]: 0.3, SPREAD_COLUMNS[1]: 2 * COLLAPSE_RATIO})
    assert "collapsed" not in MetaTrainer.summary(alive)
    tiny = dict(alive, **{SPREAD_COLUMNS[0]: 5e-5})  # task-dependent, but too small for any network to read
    assert collapse_warning(tiny)
    old = {k: v for k, v in row.items() if k not in SPREAD_COLUMNS}  # a row written before the guard
    assert collapse_warning(old) is None and "spread nan" in MetaTrainer.summary(old)


def tr_cfg_params():
    return load_config(
        None, parse_override_args([x for k, v in SIZES.items() for x in (f"--{k}", json.dumps(v))])
    ).algo_params


@pytest.mark.slow
def test_report_flags_a_collapsed_run_and_identical_protocols(tmp_path):
    run = tmp_path / "point-robot" / "exp" / "seed0"
    run.mkdir(parents=True)
    cfg = load_config(TINY_CONFIG)
    (run / "variant.json").write_text(json.dumps(dict(cfg.to_dict(), seed=0)))
    rows = [
        {
            "Number of train steps total": 10,
            "Epoch": 0,
            **{c: -5.0 for c in RETURN_COLUMNS.values()},
            SPREAD_COLUMNS[0]: 0.0,
            SPREAD_COLUMNS[1]: 0.0,
        }
    ]
    pd.DataFrame(rows).to_csv(run / "progress.csv", index=False)
    out = run_here(["-m", "rlkit.report", str(tmp_path)], cwd=ROOT).stdout
    assert "z collapsed (across-task std 0" in out
    assert "the three protocols return the same value (-5.00)" in out


@pytest.mark.parametrize("replace", [False, True])
def test_mb_replace_gives_focal_its_attraction_term(replace):
    """Without replacement no two rows of a meta-batch share a task, so FOCAL's same-task term is exactly 0;
    with `mb_replace` the draw repeats a task (16 tasks, meta-batch 8, this seed) and the term is positive."""
    cfg = load_config(
        None,
        parse_override_args(
            [
                x
                for k, v in {**SIZES, "algo_type": "FOCAL", "mb_replace": replace}.items()
                for x in (f"--{k}", json.dumps(v))
            ]
        ),
    )
    _, data = synthetic_data()
    buf = MultiTaskBuffer(data, 2, 2, torch.device("cpu"))
    tr = CSROTrainer(TrainerSettings.from_config(cfg, range(N_TASKS)), 2, 2, torch.device("cpu"), seed=0)
    s = sample_step(buf, torch.arange(N_TASKS), cfg.algo_params, torch.Generator().manual_seed(0))
    repeated = len(set(s.tasks.tolist())) < len(s.tasks)
    pos, neg = losses.focal_metric_terms(tr.latents(s.context, 1).z, s.tasks)
    assert repeated == replace and neg > 0
    assert (pos > 0) if replace else (pos == 0)


def test_focal_terms_by_hand():
    z = torch.tensor([[0.0], [1.0], [3.0]])
    pos, neg = losses.focal_metric_terms(z, torch.tensor([0, 0, 1]))  # one same pair (D = 1), two others (4, 9)
    assert pos.item() == pytest.approx(math.sqrt(1 + 1e-3) / 1.001)
    assert neg.item() == pytest.approx((1 / 4.1 + 1 / 9.1) / 2.001)


@pytest.mark.parametrize("b", [8, 9])
def test_the_step_spread_compares_the_disjoint_halves_of_each_context(b):
    """The logged spread ratio's within-task part is from z of the first and of the second half of each context
    (rows 0..h-1 and h..2h-1, h = b // 2; an odd last row left out), aggregated as z is: overlapping halves
    would share rows and understate the within-task spread, so the guard would warn less."""
    from tests.test_gradient_flow import make_trainer

    tr = make_trainer()
    context = torch.randn(4, b, 5, generator=torch.Generator().manual_seed(b))
    lat = tr.latents(context, rows_per_task=2)
    h = b // 2
    halves = [
        tr.agent.aggregate(*tr.agent.encode_with_var(context[:, part])) for part in (slice(0, h), slice(h, 2 * h))
    ]
    across, ratio = task_spread(lat.z.detach(), *halves)
    got = tr._spread(lat)
    torch.testing.assert_close(got["z_across"], across)
    torch.testing.assert_close(got["z_spread_ratio"], ratio)


def test_the_logged_z_variance_train_is_the_first_tasks_embedding_std():
    """`Z variance train` (the reference's z_vars, a std): over the first meta-batch task's context rows of its
    embeddings before the step, mean over dims (`rows_std`), and `Z mean train` the tasks' z."""
    from tests.test_gradient_flow import make_inputs, make_trainer

    tr = make_trainer()
    tasks, context, batch = make_inputs()
    e, var = tr.agent.encode_with_var(context)
    z = tr.agent.aggregate(e, var)
    rec = tr.train_step(tasks, context, batch)
    torch.testing.assert_close(rec.z_std, rows_std(e.detach()[0]))
    torch.testing.assert_close(rec.z_mean, z.detach())


def test_a_spread_ratio_at_the_threshold_is_alive():
    """COLLAPSE_RATIO is the least ratio of a live z (with an across-task spread above the floor): at it, no flag;
    COLLAPSE_ACROSS the least across-task spread, likewise."""
    assert collapse_warning({SPREAD_COLUMNS[0]: 0.3, SPREAD_COLUMNS[1]: COLLAPSE_RATIO}) is None
    assert collapse_warning({SPREAD_COLUMNS[0]: COLLAPSE_ACROSS, SPREAD_COLUMNS[1]: 2 * COLLAPSE_RATIO}) is None
    assert collapse_warning({SPREAD_COLUMNS[0]: COLLAPSE_ACROSS / 2, SPREAD_COLUMNS[1]: 2 * COLLAPSE_RATIO})


def test_the_step_spread_weighs_each_half_by_its_own_variances_by_hand():
    """use_hvar, z weighted by inverse variance, halves of 2 rows, L = 1: task 0 e = 0, 2 | 4, 8 with variances
    1, 1 | 1, 3 gives z_a = 1 and z_b = (4 + 8/3) / (4/3) = 5; task 1 is 10 throughout. With z = (2.6, 10): across
    the std of 2.6 and 10, 3.7; within sqrt(((1 - 5)^2 + 0) / 2) / 2 = sqrt(2); the ratio 3.7 / sqrt(2) (both halves
    weighed with the first half's variances would give 2.09)."""
    from rlkit.torch.csro.trainer import Latents
    from tests.test_gradient_flow import make_trainer

    tr = make_trainer(use_hvar=True, z_strategy="weighted", latent_size=1)
    e = torch.tensor([[0.0, 2, 4, 8], [10, 10, 10, 10]])[..., None]
    var = torch.tensor([[1.0, 1, 1, 3], [1, 1, 1, 1]])[..., None]
    spread = tr._spread(Latents(e=e, e_var=var, z=torch.tensor([[2.6], [10.0]]), rows=None, critic_rows=None))
    assert spread["z_across"].item() == pytest.approx(3.7)
    assert spread["z_spread_ratio"].item() == pytest.approx(3.7 / math.sqrt(2))


def test_belief_spread_of_a_single_task_with_a_single_sequence_is_nan_not_zero():
    """`belief_spread` with one task that has one sequence returns NaN for both statistics (its docstring: "both
    NaN with one task"; a meta-batch of one task has no spread to measure, not a collapse), not an across-task std
    of 0 that reads as a collapsed belief."""
    across, ratio = belief_spread(torch.tensor([[0.5, -1.0]]), torch.tensor([3]))
    assert math.isnan(across.item())
    assert math.isnan(ratio.item())


def test_the_collapse_thresholds_are_the_documented_ratio_1_5_and_across_task_std_1e_4():
    """A row is flagged below ratio 1.5 or below an across-task std of 1e-4, as docs/algorithm.md ("When the tanh
    encoder collapses") says; at either threshold it is alive. The suite's threshold tests read the constants
    themselves, so a changed constant (COLLAPSE_ACROSS 1e-3, COLLAPSE_RATIO 1.2) moved the flag unseen."""

    def flagged(across, ratio):
        return collapse_warning(dict(zip(SPREAD_COLUMNS, (across, ratio)))) is not None

    assert not flagged(0.3, 1.5) and flagged(0.3, 1.49) and flagged(0.3, 1.3)
    assert not flagged(1e-4, 3.0) and not flagged(5e-4, 3.0) and flagged(9.9e-5, 3.0)


def test_the_iteration_summary_shows_the_spread_ratio_not_the_across_task_std():
    """The summary line's 'spread' is the collapse guard's spread ratio ('Z Spread Ratio', about 1 for a
    context-blind z), not the across-task std beside it; a summary that showed the std would put 0.03 on the
    terminal for a healthy encoder of ratio 12, and the user would read a collapse that is not there."""
    row = make_row(3) | {SPREAD_COLUMNS[0]: 0.03, SPREAD_COLUMNS[1]: 12.0}
    line = MetaTrainer.summary(row)
    assert "spread 12 " in line and "0.03" not in line


@pytest.mark.parametrize("b", [2, 3])
def test_a_step_on_contexts_of_two_or_three_rows_logs_a_spread_of_one_row_halves(b):
    """The spread columns of a step whose contexts have 2 or 3 transitions (embedding_batch_size 2 or 3) compare
    halves of one row each (h = b // 2 = 1): finite values, as `task_spread` gives for rows 0 and 1 of each context;
    only a one-row context has no within-task estimate (NaN). The disjoint-halves test covered b = 8 and 9 only, so
    a step that gave up on any half of one row (NaN columns, the collapse guard blind) changed no test."""
    from tests.test_gradient_flow import make_inputs, make_trainer

    tr = make_trainer()
    tasks, _, batch = make_inputs()
    context = torch.randn(3, b, 5, generator=torch.Generator().manual_seed(b))
    with torch.no_grad():
        z = tr.agent.infer_z(context)
        across, ratio = task_spread(z, tr.agent.infer_z(context[:, :1]), tr.agent.infer_z(context[:, 1:2]))
    record = tr.train_step(tasks, context, batch)
    assert math.isfinite(record.z_spread_ratio.item()) and ratio.item() > 0
    torch.testing.assert_close(record.z_across, across)
    torch.testing.assert_close(record.z_spread_ratio, ratio)
    one = tr.train_step(tasks, context[:, :1], batch)
    assert math.isnan(one.z_across.item()) and math.isnan(one.z_spread_ratio.item())
