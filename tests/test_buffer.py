import math
from pathlib import Path

import numpy as np
import pytest
import torch

from rlkit.config import load_config, parse_override_args
from rlkit.data.buffer import MultiTaskBuffer, index_dtype, sample_step
from rlkit.data.dataset import Trajectories
from rlkit.data.load import load_task_data
from rlkit.errors import UserError
from rlkit.experiment import prepare
from tests.conftest import TINY_CONFIG
from tests.test_dataset import write_task


def tagged(task: int, n_traj: int = 2, length: int = 5) -> Trajectories:
    """Every field carries the task id so sampled rows can be traced back."""
    n = n_traj * length
    obs = np.full((n, 2), task, np.float32)
    obs[:, 1] = np.arange(n)
    return Trajectories(
        obs,
        np.full((n, 2), task / 10, np.float32),
        np.full(n, -task, np.float32),
        obs + 100,
        np.zeros(n, np.float32),
        np.full(n_traj, length),
    )


def make(tasks=(3, 7, 8), **kw):
    return MultiTaskBuffer({t: tagged(t) for t in tasks}, 2, 2, torch.device("cpu"), **kw)


def test_sample_rows_come_from_the_requested_task():
    buf = make()
    g = torch.Generator().manual_seed(0)
    b = buf.sample(torch.tensor([8, 3, 8]), 64, g)
    assert b.obs.shape == (3, 64, 2) and b.rewards.shape == (3, 64, 1) and b.terminals.shape == (3, 64, 1)
    torch.testing.assert_close(b.obs[..., 0], torch.tensor([8.0, 3.0, 8.0])[:, None].expand(3, 64))
    torch.testing.assert_close(b.next_obs, b.obs + 100)
    torch.testing.assert_close(b.rewards[..., 0], -b.obs[..., 0])


def test_each_task_is_sampled_over_its_own_rows_independently_of_the_others():
    """Tasks of different sizes (2, 5 and 9 episodes of 5 steps): a task's rows are drawn from all of its own rows
    and no others, and two tasks of one meta-batch draw their own offsets (one draw for all would pair them)."""
    sizes = {3: 2, 7: 5, 8: 9}
    buf = MultiTaskBuffer({t: tagged(t, n) for t, n in sizes.items()}, 2, 2, torch.device("cpu"))
    b = buf.sample(torch.tensor([8, 3, 7, 8]), 4000, torch.Generator().manual_seed(0))
    for i, task in enumerate([8, 3, 7, 8]):
        assert set(b.obs[i, :, 0].tolist()) == {task}
        assert set(b.obs[i, :, 1].long().tolist()) == set(range(5 * sizes[task])), task
    assert not torch.equal(b.obs[0, :, 1], b.obs[3, :, 1])  # task 8 twice: two draws
    assert not torch.equal(b.obs[1, :, 1], b.obs[2, :, 1] % 10)  # tasks 3 and 7: their own offsets


def test_context_stats_by_hand():
    """Column means and population stds over every row (3 tasks x 10 rows); a constant column's std is 1."""
    mean, std = make().context_stats(use_next_obs=True)
    assert mean.shape == std.shape == (2 + 2 + 1 + 2,)
    torch.testing.assert_close(mean, torch.tensor([6.0, 4.5, 0.6, 0.6, -6.0, 106.0, 104.5]))
    task_std, row_std = math.sqrt(14 / 3), math.sqrt(8.25)  # of {3, 7, 8} and of 0..9
    torch.testing.assert_close(
        std, torch.tensor([task_std, row_std, task_std / 10, task_std / 10, task_std, task_std, row_std])
    )
    mean, std = make(tasks=(3,)).context_stats(use_next_obs=False)  # one task: the task columns are constant
    torch.testing.assert_close(mean, torch.tensor([3.0, 4.5, 0.3, 0.3, -3.0]))
    torch.testing.assert_close(std, torch.tensor([1.0, row_std, 1.0, 1.0, 1.0]))


@pytest.mark.parametrize("use_next_obs", [False, True])
def test_the_encoder_reads_context_rows_of_the_width_the_buffer_samples(use_next_obs):
    """One `context_width` sizes both ends: the sampled (s, a, r[, s']) rows and the trainer's encoder input."""
    from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings

    cfg = load_config(
        None,
        parse_override_args(
            ["--use_next_obs_in_context", str(use_next_obs).lower(), "--club_use_sa", "true", "--net_size", "8"]
        ),
    )
    trainer = CSROTrainer(TrainerSettings.from_config(cfg, [3, 7]), 2, 2, torch.device("cpu"), seed=0)
    context = make().sample_context(torch.tensor([3, 7]), 4, torch.Generator().manual_seed(0), use_next_obs)
    assert context.shape == (2, 4, 7 if use_next_obs else 5)
    assert trainer.agent.infer_z(context).shape == (2, cfg.latent_size)  # the encoder takes the rows as they come


def test_a_context_of_another_width_is_refused_in_one_line():
    """Data of another env (or next obs on one side only) reaches the encoder as a named width, not a matmul error."""
    from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings

    cfg = load_config(None, parse_override_args(["--net_size", "8"]))
    trainer = CSROTrainer(TrainerSettings.from_config(cfg, [3, 7]), 2, 2, torch.device("cpu"), seed=0)
    with pytest.raises(ValueError, match=r"^context width 7: expected 5 \(obs 2, action 2, reward") as err:
        trainer.agent.infer_z(torch.zeros(2, 4, 7))
    assert "\n" not in str(err.value)


def test_sampling_covers_the_task_uniformly():
    buf = make()
    rows = buf.sample(torch.tensor([7]), 20000, torch.Generator().manual_seed(1)).obs[0, :, 1]
    counts = torch.bincount(rows.long(), minlength=10).float()
    assert counts.min() > 1700 and counts.max() < 2300


def test_trajectory_ends_are_terminal_by_default_and_switchable():
    """The terminal column: the env's terminals (a fall at the second step of the first episode here) and, by
    default, every episode's end; with `terminal_at_traj_end` off the env's alone (all-zero terminals passed for
    terminals dropped)."""
    fell = tagged(1)
    fell.terminals[1] = 1.0
    on = MultiTaskBuffer({1: fell}, 2, 2, torch.device("cpu"))
    off = MultiTaskBuffer({1: fell}, 2, 2, torch.device("cpu"), terminal_at_traj_end=False)
    np.testing.assert_array_equal(on.data[:10, -1].numpy(), [0, 1, 0, 0, 1, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(off.data[:10, -1].numpy(), [0, 1, 0, 0, 0, 0, 0, 0, 0, 0])


def test_context_is_s_a_r_with_optional_next_obs():
    buf = make()
    g = torch.Generator().manual_seed(0)
    c = buf.sample_context(torch.tensor([3]), 4, g, use_next_obs=False)
    assert c.shape == (1, 4, 5) and c.is_contiguous()
    torch.testing.assert_close(c[0, :, 4], torch.full((4,), -3.0))
    assert buf.sample_context(torch.tensor([3]), 4, g, use_next_obs=True).shape == (1, 4, 7)


def test_obs_scale_and_sparse_context_reward():
    buf = make(tasks=(4,), obs_scale=np.array([2.0, 1.0]), context_reward_fn=lambda r: r * 0)
    c = buf.sample_context(torch.tensor([4]), 8, torch.Generator().manual_seed(0), use_next_obs=False)
    torch.testing.assert_close(c[0, :, 0], torch.full((8,), 2.0))
    assert (c[0, :, 4] == 0).all()
    batch = buf.sample(torch.tensor([4]), 8, torch.Generator())
    assert (batch.rewards == -4).all() and (batch.context_rewards == 0).all()  # the critic's reward and the context's


def _random_task(seed: int, n_traj: int = 3, length: int = 40) -> Trajectories:
    rng = np.random.default_rng(seed)
    n = n_traj * length
    f = lambda *shape: rng.normal(size=shape).astype(np.float32)  # noqa: E731
    return Trajectories(f(n, 3), f(n, 2), f(n), f(n, 3), (rng.random(n) < 0.1).astype(np.float32), [length] * n_traj)


def _chained_task(seed: int, n_traj: int = 3, length: int = 40) -> Trajectories:
    """`_random_task` whose next observations are the next step's observations within each episode, as stage 1
    writes them (an episode's last one is its own)."""
    return _random_task(seed, n_traj, length).chained()


def _plain_rows(data: dict[int, Trajectories]) -> torch.Tensor:
    """Every transition as one row [obs, action, reward, next_obs, reward, terminal] (the layout before each
    observation was stored once), tasks in id order, float32."""
    rows = []
    for t in sorted(data):
        d = data[t]
        term = np.maximum(d.terminals, d.traj_end_mask())
        cols = [d.obs, d.actions, d.rewards[:, None], d.next_obs, d.rewards[:, None], term[:, None]]
        rows.append(np.concatenate([c.astype(np.float32) for c in cols], axis=1))
    return torch.from_numpy(np.concatenate(rows))


def test_each_observation_is_stored_once_and_every_draw_is_the_plain_rows():
    """A next observation that is the next step's observation (bit for bit) is read from that step's row; the others
    (each episode's last, a break inside an episode, -0.0 against 0.0) get a row of their own after the
    transitions. The batches and contexts drawn are those the plain rows (next_obs beside obs) give, bit for bit:
    the same draws from the same generator."""
    data = {t: _chained_task(t, n_traj=3, length=40) for t in (6, 2)}
    data[6].next_obs[10] += 1.0  # a break inside an episode
    data[2].obs[21, 0], data[2].next_obs[20, 0] = 0.0, -0.0  # equal numbers, other bits
    buf = MultiTaskBuffer({t: Trajectories(**vars(d)) for t, d in data.items()}, 3, 2, torch.device("cpu"))
    n, ends = 240, 2 * 3 + 2  # 3 episodes a task, and the two breaks
    assert len(buf) == n and buf.data.shape == (n + ends, 3 + 2 + 3)
    assert buf.next_row[:5].tolist() == [1, 2, 3, 4, 5] and buf.next_row[39] >= n  # an episode's end: its own row
    plain = _plain_rows(data)
    assert torch.equal(buf.transitions(), plain)
    g, ref = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    tasks = torch.tensor([6, 2, 6])
    for _ in range(3):
        batch = buf.sample(tasks, 50, g)
        rows = plain[
            buf.offsets[buf._slot[tasks], None] + (torch.rand(3, 50, generator=ref, dtype=torch.float64) * 120).long()
        ]
        for got, want in [
            (batch.obs, rows[..., :3]),
            (batch.actions, rows[..., 3:5]),
            (batch.context_rewards, rows[..., 5:6]),
            (batch.next_obs, rows[..., 6:9]),
            (batch.rewards, rows[..., 9:10]),
            (batch.terminals, rows[..., 10:]),
        ]:
            assert torch.equal(got, want)
        for use_next_obs, width in ((False, 6), (True, 9)):
            context = buf.sample_context(tasks, 20, g, use_next_obs)
            rows = plain[
                buf.offsets[buf._slot[tasks], None]
                + (torch.rand(3, 20, generator=ref, dtype=torch.float64) * 120).long()
            ]
            assert context.is_contiguous() and torch.equal(context, rows[..., :width])
    for use_next_obs, width in ((False, 6), (True, 9)):
        mean, std = buf.context_stats(use_next_obs)
        cols = plain[:, :width].double()
        assert torch.equal(mean, cols.mean(0).float()) and torch.equal(std, cols.std(0, correction=0).float())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tasks_given_one_at_a_time_make_the_same_buffer_as_a_dict(dtype):
    """The loader hands the buffer (task, transitions) pairs from a generator, each made into rows before the next
    is read: the same array, index, sizes and episodes as from a dict of every task, whatever order the ids come in;
    a task given twice is refused."""
    data = {t: _chained_task(t, n_traj=3, length=7) for t in (5, 1, 3)}
    data[3].next_obs[4] += 1.0  # a break inside an episode: an end row of its own
    prev = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        kw = dict(obs_scale=np.array([3.0, 0.7, 1e-3]), context_reward_fn=lambda r: np.where(r > 0.5, r, 0.0))
        whole = MultiTaskBuffer(dict(data), 3, 2, torch.device("cpu"), **kw)
        streamed = MultiTaskBuffer(((t, data[t]) for t in (5, 1, 3)), 3, 2, torch.device("cpu"), **kw)
        with pytest.raises(ValueError, match="task 1 given twice"):
            MultiTaskBuffer(iter([(1, data[1]), (1, data[1])]), 3, 2, torch.device("cpu"))
        with pytest.raises(UserError, match="no tasks to load"):
            MultiTaskBuffer(iter([]), 3, 2, torch.device("cpu"))
    finally:
        torch.set_default_dtype(prev)
    assert streamed.task_ids == whole.task_ids == [1, 3, 5] and streamed.data.dtype == dtype
    for name in ("data", "next_row", "sizes", "offsets", "_slot"):
        assert torch.equal(getattr(streamed, name), getattr(whole, name)), name
    assert all(np.array_equal(streamed.traj_lengths[t], whole.traj_lengths[t]) for t in whole.task_ids)


def test_widened_observations_keep_the_plain_rows_and_share_rows_only_where_bits_agree():
    """`with_obs_columns`: the widened transitions are the plain ones widened, whatever the new columns; a next
    observation stays the next row's where the row's new next columns are that row's new columns (BOREL's belief
    after a step is the one before the next), and gets a row of its own elsewhere."""
    data = {4: _chained_task(4, n_traj=2, length=6)}
    buf = MultiTaskBuffer(data, 3, 2, torch.device("cpu"))
    g = torch.Generator().manual_seed(0)
    before, after = torch.randn(12, 2, generator=g), torch.randn(12, 2, generator=g)
    after[:-1] = before[1:]
    after[[3, 8]] += 1.0  # two rows whose new next columns are not the next row's: a new row each, in order
    wide = buf.with_obs_columns(before, after)
    plain = buf.transitions()
    want = torch.cat([plain[:, :3], before, plain[:, 3:9], after, plain[:, 9:]], dim=1)
    assert torch.equal(wide.transitions(), want) and wide.obs_dim == 5
    old = buf.data.shape[0]
    assert wide.data.shape[0] == old + 2 and wide.next_row[3] == old and wide.next_row[8] == old + 1
    assert torch.equal(wide.next_row[:3], buf.next_row[:3])  # the other rows still read the next row
    assert torch.equal(buf.transitions(), plain)  # the buffer itself is left as it was


def test_the_next_row_index_is_int32_while_every_row_number_fits_and_int64_from_2_31_rows():
    """`next_row` is int32 (half the index memory) for a buffer of fewer than 2**31 rows, built whole, streamed or
    widened, and int64 from 2**31 rows on, where int32 would wrap a row number to a negative row."""
    assert index_dtype(2**31 - 1) == torch.int32 and index_dtype(2**31) == torch.int64
    data = {4: _chained_task(4, n_traj=2, length=6)}
    whole = MultiTaskBuffer(data, 3, 2, torch.device("cpu"))
    streamed = MultiTaskBuffer(iter(data.items()), 3, 2, torch.device("cpu"))
    wide = whole.with_obs_columns(torch.zeros(12, 1), torch.ones(12, 1))  # every next obs a row of its own
    assert whole.next_row.dtype == streamed.next_row.dtype == wide.next_row.dtype == torch.int32


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("scaled", [False, True])
def test_rows_are_the_fields_concatenated_in_float64_and_rounded_once(dtype, scaled):
    """The buffer writes each column in place; its rows equal the plain rule, every field widened to float64,
    observations divided there, concatenated and rounded once to torch's default dtype."""
    data = {t: _random_task(t) for t in (2, 0, 5)}
    scale = np.array([3.0, 0.7, 1e-3]) if scaled else None
    sparse = lambda r: np.where(r > 0.5, r, 0.0)  # noqa: E731
    prev = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        buf = MultiTaskBuffer(data, 3, 2, torch.device("cpu"), obs_scale=scale, context_reward_fn=sparse)
    finally:
        torch.set_default_dtype(prev)
    expected = []
    for t in (0, 2, 5):
        d = data[t]
        obs, next_obs = (x.astype(np.float64) / (1.0 if scale is None else scale) for x in (d.obs, d.next_obs))
        term = np.maximum(d.terminals.astype(np.float64), d.traj_end_mask())
        cols = [obs, d.actions, sparse(d.rewards)[:, None], next_obs, d.rewards[:, None], term[:, None]]
        expected.append(np.concatenate([c.astype(np.float64) for c in cols], axis=1))
    want = torch.from_numpy(np.concatenate(expected).astype(torch.empty(0, dtype=dtype).numpy().dtype))
    assert buf.data.dtype == dtype and torch.equal(buf.transitions(), want)


def test_release_empties_the_loaders_dict_and_changes_nothing_else():
    kept = {t: _random_task(t) for t in (1, 4)}
    given = dict(kept)
    released = MultiTaskBuffer(given, 3, 2, torch.device("cpu"), release=True)
    assert given == {}
    plain = MultiTaskBuffer(kept, 3, 2, torch.device("cpu"))
    assert sorted(kept) == [1, 4]  # without release the caller's dict is left as it was
    assert torch.equal(released.data, plain.data) and torch.equal(released.next_row, plain.next_row)
    assert released.traj_lengths.keys() == plain.traj_lengths.keys()


def test_a_released_load_peaks_near_one_copy_of_the_data():
    """Memory, not time: building the buffer from the loader's dict allocates the buffer and about one task's
    temporaries beyond it (a list of per-task rows and their concatenation held the data twice, more in
    float64)."""
    import gc
    import tracemalloc

    data = {t: _chained_task(t, n_traj=50, length=200) for t in range(6)}  # 6 x 10,000 transitions
    one_task = sum(a.nbytes for a in (data[0].obs, data[0].actions, data[0].rewards, data[0].next_obs))
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        buf = MultiTaskBuffer(data, 3, 2, torch.device("cpu"), obs_scale=np.full(3, 2.0), release=True)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    rows_bytes = buf.data.numel() * buf.data.element_size() + buf.next_row.numel() * buf.next_row.element_size()
    assert peak <= rows_bytes + 2 * one_task, (peak, rows_bytes, one_task)


def test_an_id_not_loaded_fails_to_index_instead_of_reading_another_tasks_rows():
    """Ids 0 and 5 lie below the largest loaded id (8): they once mapped to slot -1, the last task's rows."""
    buf = make()
    g = torch.Generator().manual_seed(0)
    for task in (0, 5, 9):
        with pytest.raises(IndexError):
            buf.sample(torch.tensor([3, task]), 4, g)
    buf.require([3, 8], "test tasks")  # all loaded: nothing to say
    with pytest.raises(
        UserError,
        match=r"^test tasks \[5, 9\] are not in the loaded data: expected tasks among "
        r"\[3, 7, 8\]$",
    ):
        buf.require([3, 5, 9], "test tasks")


@pytest.mark.slow
def test_each_buffer_holds_its_own_tasks_from_its_own_checkpoint_window(tiny_data, tmp_path, monkeypatch):
    """train_epoch and eval_epoch are two windows of checkpoints (the tiny data has 100 and 200): the training
    buffer holds the training tasks' rows of the first, the eval buffer the test tasks' rows of the second."""
    from rlkit.experiment import prepare
    from tests.conftest import TINY_CONFIG

    monkeypatch.chdir(tiny_data.parent.parent)
    cfg = load_config(
        TINY_CONFIG,
        {
            "algo_params": {"train_epoch": [100, 200, 100], "eval_epoch": [200, 300, 100]},
            "util_params": {"base_log_dir": str(tmp_path)},
        },
    )
    setup = prepare(cfg, 0, torch.device("cpu"))
    assert setup.train_buffer.task_ids == setup.train_tasks and setup.eval_buffer.task_ids == setup.test_tasks
    for buf, tasks, step, other in (
        (setup.train_buffer, setup.train_tasks, 100, 200),
        (setup.eval_buffer, setup.test_tasks, 200, 100),
    ):
        first = 0
        for t in tasks:
            want, not_this = (_scaled_obs(tiny_data, t, s, cfg, setup) for s in (step, other))
            got = buf.transitions()[first : first + len(want), : setup.obs_dim].double()
            torch.testing.assert_close(got, want.double(), rtol=1e-6, atol=1e-6)
            assert not torch.allclose(got, not_this.double()[: len(got)])
            first += len(want)
        assert first == len(buf)


def _scaled_obs(data_dir, task: int, step: int, cfg, setup) -> torch.Tensor:
    """Task `task`'s observations at checkpoint `step` as the run's buffers hold them (divided by its obs scale)."""
    from rlkit.data.load import load_task_data

    a = cfg.algo_params
    d = load_task_data(data_dir, task, [step], a.data_kind, a.n_trj, cfg.env_name, setup.obs_dim, setup.action_dim)
    return torch.as_tensor(d.obs / (setup.obs_scale if setup.obs_scale is not None else 1.0))


def test_a_step_draws_each_extra_brac_batch_after_the_batch():
    """c_iter 3: the tasks, the context, the batch, then two extra batches, each a draw of its own from the same
    generator in that order (not the batch again)."""

    T = 3
    buf = MultiTaskBuffer({t: tagged(t, n_traj=5, length=4) for t in range(T)}, 2, 2, torch.device("cpu"))
    overrides = [
        "--use_brac",
        "true",
        "--c_iter",
        "3",
        "--meta_batch",
        "3",
        "--n_train_tasks",
        "3",
        "--n_eval_tasks",
        "1",
    ]
    a = load_config(None, parse_override_args(overrides)).algo_params
    tasks = torch.arange(T)
    step = sample_step(buf, tasks, a, torch.Generator().manual_seed(7))
    g = torch.Generator().manual_seed(7)
    perm = tasks[torch.randperm(T, generator=g)[: a.meta_batch]]
    context = buf.sample_context(perm, a.embedding_batch_size, g, a.use_next_obs_in_context)
    batch = buf.sample(perm, a.batch_size, g)
    extra = [buf.sample(perm, a.batch_size, g) for _ in range(2)]
    assert (
        torch.equal(step.tasks, perm) and torch.equal(step.context, context) and torch.equal(step.batch.obs, batch.obs)
    )
    assert len(step.extra) == 2 and not torch.equal(step.extra[0].obs, step.batch.obs)
    for got, want in zip(step.extra, extra, strict=True):
        assert torch.equal(got.obs, want.obs) and torch.equal(got.actions, want.actions)


def test_a_task_of_exactly_replay_buffer_size_transitions_fits_and_one_more_is_refused():
    """`capacity` (replay_buffer_size) is the most transitions a task may hold, that many included."""
    data = {3: tagged(3, n_traj=2, length=5)}  # 10 transitions
    buf = MultiTaskBuffer(dict(data), 2, 2, torch.device("cpu"), capacity=10)
    assert len(buf) == 10
    with pytest.raises(UserError, match="task 3 has 10 transitions: expected at most replay_buffer_size=9"):
        MultiTaskBuffer(dict(data), 2, 2, torch.device("cpu"), capacity=9)


def test_a_widened_next_obs_is_shared_only_where_every_new_column_agrees_not_just_one():
    """A row whose new next columns differ from the next row's new columns in one column of two gets a next
    observation of its own (bit equality over all columns, not any)."""
    buf = MultiTaskBuffer({4: _chained_task(4, n_traj=2, length=6)}, 3, 2, torch.device("cpu"))
    g = torch.Generator().manual_seed(0)
    before = torch.randn(12, 2, generator=g)
    after = torch.empty(12, 2)
    after[:-1] = before[1:]
    after[-1] = torch.randn(2, generator=g)
    after[3, 1] += 1.0  # only the second new column differs from row 4's
    wide = buf.with_obs_columns(before, after)
    plain = buf.transitions()
    want = torch.cat([plain[:, :3], before, plain[:, 3:9], after, plain[:, 9:]], dim=1)
    assert torch.equal(wide.transitions(), want)
    assert wide.data.shape[0] == buf.data.shape[0] + 1 and int(wide.next_row[3]) == buf.data.shape[0]
    assert torch.equal(wide.transitions()[3, 3 + 2 + 2 + 1 + 3 :][:2], after[3])


@pytest.mark.parametrize("replace", [False, True])
def test_a_step_draws_its_meta_batch_among_the_training_task_ids_not_their_positions(replace):
    """`sample_step` draws the meta-batch's tasks from the ids it is given (the training tasks, which `interpolation`
    or `randomize_tasks` make other than 0..n-1), not their positions 0..n-1; `meta_batch` of them (2 of 5 here: a
    meta-batch of every training task, the meta_batch cut dropped, passed where the two were equal), distinct
    without `mb_replace`."""
    buf = MultiTaskBuffer(
        {t: tagged(t) for t in range(12)}, 2, 2, torch.device("cpu")
    )  # every id loaded: a slip reads no error
    args = ["--meta_batch", "2", "--n_train_tasks", "5", "--n_eval_tasks", "1", "--mb_replace", str(replace).lower()]
    a = load_config(None, parse_override_args(args)).algo_params
    train = torch.tensor([5, 9, 11, 2, 7])
    g = torch.Generator().manual_seed(0)
    seen = set()
    for _ in range(20):
        step = sample_step(buf, train, a, g)
        assert step.tasks.shape == (2,) and step.batch.obs.shape[0] == 2 and step.context.shape[0] == 2
        assert replace or step.tasks[0] != step.tasks[1]
        seen |= set(step.tasks.tolist())
        # every row drawn for slot i is a row of task tasks[i] (tagged: obs[..., 0] is the task id)
        assert torch.equal(step.batch.obs[..., 0], step.tasks[:, None].float().expand(-1, a.batch_size))
        assert torch.equal(step.context[..., 0], step.tasks[:, None].float().expand(-1, a.embedding_batch_size))
    assert seen == {5, 9, 11, 2, 7}


def _written_data(root: Path, scale=(2.0, 4.0)) -> Path:
    """The tiny config's 6 point-robot tasks (checkpoints 100 and 200, 3 episodes of 4 steps each) written by
    tests.test_dataset's `write_task`, with a normalizer.npz of abs_max `scale`."""
    for t in range(6):
        write_task(root, t)
    np.savez(root / "normalizer.npz", abs_max=np.array(scale))
    return root


def test_prepare_reads_the_data_where_it_is_given_and_divides_the_observations_by_its_normalizer(tmp_path):
    """`prepare(cfg, ..., data_dir=...)` (a cluster worker's local copy of the dataset) reads the episodes, the
    normalizer and the fingerprint from the folder given, not from the config's data_dir (which need not exist on
    that machine), and the buffers hold observations divided by normalizer.npz's abs_max (+1e-8). The suite's
    datasets have no normalizer, so a buffer built without the scale would otherwise go unseen."""
    data = _written_data(tmp_path / "copy")
    cfg = load_config(TINY_CONFIG, {"algo_params": {"data_dir": str(tmp_path / "not_here")}})
    setup = prepare(cfg, 0, torch.device("cpu"), data_dir=data, out_dir=tmp_path / "run")
    assert setup.data_dir == data and setup.out_dir == tmp_path / "run"
    assert setup.data_print is not None
    np.testing.assert_allclose(setup.obs_scale, [2.0 + 1e-8, 4.0 + 1e-8])
    first = setup.train_tasks[0]
    raw = load_task_data(data, first, [100, 200], "sample", 3, "point-robot", 2, 2)
    got = setup.train_buffer.transitions()[: len(raw.obs), :2].double().numpy()
    np.testing.assert_allclose(got, raw.obs / np.array([2.0, 4.0]), rtol=1e-5)


def _one_task(obs: np.ndarray, dtype=np.float32):
    """One task of len(obs) transitions (obs_dim 1, action_dim 1) in one episode; actions 0, rewards 1, next_obs
    the obs + 1."""
    n = len(obs)
    obs = np.asarray(obs, dtype)[:, None]
    return Trajectories(obs, np.zeros((n, 1), dtype), np.ones(n, dtype), obs + 1, np.zeros(n, dtype), [n])


def test_a_context_column_of_small_but_real_spread_keeps_its_own_std():
    """Only a column of (near) zero spread, std <= 1e-6, gets std 1; a column of std 1e-5 (an obs scaled down by a
    large normaliser) is standardised by its own std, not left unscaled."""
    buf = MultiTaskBuffer({0: _one_task([0.0, 2e-5, 0.0, 2e-5])}, 1, 1, torch.device("cpu"))
    mean, std = buf.context_stats(use_next_obs=False)  # columns: obs, action, reward
    torch.testing.assert_close(mean, torch.tensor([1e-5, 0.0, 1.0]))
    torch.testing.assert_close(std, torch.tensor([1e-5, 1.0, 1.0]), rtol=1e-4, atol=0.0)


def test_a_float64_buffers_context_stats_are_computed_from_its_float64_rows():
    """Under torch's default dtype float64 the stats are of the float64 rows, with no float32 rounding first (0.1,
    0.2, 0.3, 0.4 are not float32 numbers: rounded, the mean and std move by about 1e-8)."""
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        x = np.array([0.1, 0.2, 0.3, 0.4])
        buf = MultiTaskBuffer({0: _one_task(x, np.float64)}, 1, 1, torch.device("cpu"))
        mean, std = buf.context_stats(use_next_obs=False)
    finally:
        torch.set_default_dtype(prev)
    assert mean.dtype == torch.float64
    assert float(mean[0]) == pytest.approx(0.25, rel=1e-14, abs=0.0)
    assert float(std[0]) == pytest.approx(np.sqrt(0.0125), rel=1e-14, abs=0.0)  # population variance 0.05 / 4


def test_a_task_of_two_chained_transitions_stores_the_shared_observation_once():
    """The chaining check covers any task of two transitions or more: with two, the first one's next_obs is the
    second one's obs (one row), and only the last next_obs gets an end row (3 rows, not 4)."""
    buf = MultiTaskBuffer({0: _one_task([0.0, 1.0])}, 1, 1, torch.device("cpu"))  # next_obs = obs + 1: 1, then 2
    assert buf.data.shape[0] == 3 and buf.next_row.tolist() == [1, 2]
    assert buf.transitions()[:, 3].tolist() == [1.0, 2.0]  # the next observations


def test_a_step_without_brac_draws_no_extra_batches_whatever_c_iter_is():
    """Only BRAC (use_brac) draws the c_iter - 1 extra batches; a CSRO step with c_iter 3 (the default) draws the
    tasks, the context and the batch, and nothing more from the step's generator (extra draws would shift every
    later step's samples)."""
    buf = MultiTaskBuffer({t: tagged(t, n_traj=5, length=4) for t in range(3)}, 2, 2, torch.device("cpu"))
    args = ["--use_brac", "false", "--c_iter", "3", "--meta_batch", "3", "--n_train_tasks", "3", "--n_eval_tasks", "1"]
    a = load_config(None, parse_override_args(args)).algo_params
    g = torch.Generator().manual_seed(7)
    step = sample_step(buf, torch.arange(3), a, g)
    assert step.extra == []
    ref = torch.Generator().manual_seed(7)
    tasks = torch.arange(3)[torch.randperm(3, generator=ref)[: a.meta_batch]]
    buf.sample_context(tasks, a.embedding_batch_size, ref, a.use_next_obs_in_context)
    buf.sample(tasks, a.batch_size, ref)
    assert torch.equal(g.get_state(), ref.get_state())  # the next step starts where the plain draws left off
