"""MultiTaskBuffer: every task's transitions in one contiguous tensor, sampled without Python loops."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import torch

from rlkit.config import AlgoParams
from rlkit.data.dataset import Trajectories
from rlkit.errors import UserError


@dataclass
class RLBatch:
    """Per-task batches, each field [T, n, dim]."""

    obs: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor  # the dense reward, which the critic learns
    next_obs: torch.Tensor
    terminals: torch.Tensor
    # the reward a context row of the same transition carries (the sparse one under `sparse_rewards`); a buffer's
    # batches have it, a batch built by hand may leave it out (then it is `rewards`)
    context_rewards: torch.Tensor | None = None

    @property
    def context_reward(self) -> torch.Tensor:
        return self.rewards if self.context_rewards is None else self.context_rewards


class MultiTaskBuffer:
    """Every task's transitions in one tensor `data`, each observation stored once.

    `data` has N + E rows. Rows 0..N-1 (N = `len(self)`) are the transitions of all tasks back to back, in
    `task_ids` order, each `[obs, action, context_reward, reward, terminal]`. Rows N.. are E end rows, one for each
    transition whose next_obs is not bit for bit the next row's obs (in stage 1's data, each episode's last
    transition): an end row holds that next_obs in its obs columns and zeros elsewhere. `next_row[i]` (int32; int64
    past 2**31 rows) is the row whose obs is transition i's next_obs: i + 1 inside an episode, else its end row.

    The context is (s, a, r) or (s, a, r, s'): a prefix of a row, and s' from its next row. `context_reward` differs
    from `reward` only with sparse rewards. `transitions` gives whole rows, next_obs in place, to read in order.
    """

    def __init__(
        self,
        data: Mapping[int, Trajectories] | Iterable[tuple[int, Trajectories]],
        obs_dim: int,
        action_dim: int,
        device: torch.device,
        terminal_at_traj_end: bool = True,
        obs_scale: np.ndarray | None = None,
        context_reward_fn=None,
        capacity: int | None = None,
        release: bool = False,
    ):
        """`data`: task id -> its transitions, or (task id, transitions) pairs read one at a time (a loader's
        generator: each task is made into its rows before the next is read, so that a load holds the rows and one
        task's transitions, not every task's transitions before the rows are built). `release`: drop each task from
        a dict `data` once its rows are copied (a dict its caller no longer needs), so that building peaks at the
        rows plus one task's transitions, not two full copies."""
        o, a = obs_dim, action_dim
        self.obs_dim, self.action_dim, self.device = obs_dim, action_dim, device
        dtype = torch.empty(0).numpy().dtype  # torch's default dtype: float32 unless the caller chose float64
        width = o + a + 3

        def fill(t: int, d: Trajectories, chained: np.ndarray, block: np.ndarray, tail: np.ndarray) -> np.ndarray:
            """Task `t`'s rows into `block` [n, width] and its end rows into `tail` [ends, width], each column
            rounded to `dtype` once, as it is assigned; returns the transitions with an end row."""
            if capacity is not None and len(d) > capacity:
                raise UserError(f"task {t} has {len(d)} transitions: expected at most replay_buffer_size={capacity}")
            ends = np.flatnonzero(~chained)
            if obs_scale is None:
                block[:, :o], tail[:, :o] = d.obs, d.next_obs[ends]
            else:  # divided in float64, as the reference's normaliser
                block[:, :o] = d.obs.astype(np.float64) / obs_scale
                tail[:, :o] = d.next_obs[ends].astype(np.float64) / obs_scale
            tail[:, o:] = 0.0
            block[:, o : o + a] = d.actions
            block[:, o + a] = d.rewards if context_reward_fn is None else context_reward_fn(d.rewards)
            block[:, -2] = d.rewards
            block[:, -1] = np.maximum(d.terminals, d.traj_end_mask()) if terminal_at_traj_end else d.terminals
            return ends

        if isinstance(data, Mapping):  # every task at hand: its rows written in place into the buffer's array
            task_ids = sorted(data)
            self.traj_lengths = {t: np.asarray(data[t].traj_lengths, dtype=np.int64) for t in task_ids}
            sizes = [len(data[t]) for t in task_ids]
            chained = [_chained(data[t]) for t in task_ids]  # where a next_obs is the next row's obs
            rows, next_row = _allocate(sizes, [int((~c).sum()) for c in chained], width, dtype)
            start, end = 0, sum(sizes)
            for t, n, c in zip(task_ids, sizes, chained):
                block, tail = rows[start : start + n], rows[end : end + int((~c).sum())]
                ends = fill(t, data[t], c, block, tail)
                next_row[start : start + n] = _follow(n, start, ends, end)
                start, end = start + n, end + len(ends)
                if release:
                    del data[t]
        else:  # one task at a time: its rows made at once, then copied into the buffer's array and dropped
            parts = {}
            for t, d in data:
                if t in parts:
                    raise ValueError(f"task {t} given twice")
                c = _chained(d)
                block, tail = np.empty((len(d), width), dtype), np.empty((int((~c).sum()), width), dtype)
                parts[t] = (block, tail, fill(t, d, c, block, tail), np.asarray(d.traj_lengths, dtype=np.int64))
                del d
            task_ids = sorted(parts)
            self.traj_lengths = {t: parts[t][3] for t in task_ids}
            sizes = [len(parts[t][0]) for t in task_ids]
            rows, next_row = _allocate(sizes, [len(parts[t][1]) for t in task_ids], width, dtype)
            start, end = 0, sum(sizes)
            for t, n in zip(task_ids, sizes):
                block, tail, ends, _ = parts.pop(t)
                rows[start : start + n], rows[end : end + len(ends)] = block, tail
                next_row[start : start + n] = _follow(n, start, ends, end)
                start, end = start + n, end + len(ends)
                del block, tail
        if not task_ids:
            raise UserError("no tasks to load into the buffer")
        self.task_ids = task_ids
        self.data = torch.from_numpy(rows).to(device)
        self.next_row = torch.from_numpy(next_row).to(device)
        self.sizes = torch.tensor(sizes, dtype=torch.float64, device=device)
        self.offsets = torch.tensor(np.concatenate([[0], np.cumsum(sizes)[:-1]]), dtype=torch.long, device=device)
        # task id -> its slot; an id not loaded gets len(task_ids), past every slot, so that indexing with it fails
        # (an IndexError on the CPU) instead of reading, as -1 would, the last task's rows
        slot = torch.full((max(self.task_ids) + 1,), len(self.task_ids), dtype=torch.long)
        slot[self.task_ids] = torch.arange(len(self.task_ids))
        self._slot = slot.to(device)

    def require(self, tasks: list[int], what: str) -> None:
        """A UserError naming the ids of `tasks` this buffer does not hold (`what`: whose tasks they are); checked
        once where a run fixes its tasks, since `sample` checks nothing per step."""
        missing = sorted(int(t) for t in set(tasks) - set(self.task_ids))  # (numpy ints printed as plain ones)
        if missing:
            raise UserError(
                f"{what} {missing} are not in the loaded data: expected tasks among {sorted(self.task_ids)}"
            )

    def __len__(self) -> int:
        """The number of transitions (the rows after them hold only next observations)."""
        return self.next_row.shape[0]

    def transitions(self, idx: torch.Tensor | None = None) -> torch.Tensor:
        """The transitions `idx` (any shape [...]; all by default) as whole rows [..., 2 obs_dim + action_dim + 3]:
        `[obs, action, context_reward, next_obs, reward, terminal]`, the layout `rlkit.data.sequences` reads."""
        o, a = self.obs_dim, self.action_dim
        if idx is None:
            idx = torch.arange(len(self), device=self.data.device)
        r = self.data[idx]
        return torch.cat([r[..., : o + a + 1], self._next_obs(idx), r[..., -2:]], dim=-1)

    def with_obs_columns(self, obs_extra: torch.Tensor, next_obs_extra: torch.Tensor) -> MultiTaskBuffer:
        """A copy whose observations are widened by per-row columns: row i's obs becomes (obs_i, obs_extra_i) and its
        next_obs (next_obs_i, next_obs_extra_i), [N, X] each (BOREL's hyper-states (s, mu, logvar)). The copy samples
        as this buffer does (same rows, same draws); its contexts hold the widened obs. A next observation stays
        another row's obs where that row's new columns are bit for bit its own next ones (within BOREL's sequences,
        the belief after a step is the belief before the next); elsewhere it gets a row of its own."""
        o, a, n, d = self.obs_dim, self.action_dim, len(self), self.data
        obs_extra, next_obs_extra = obs_extra.to(d), next_obs_extra.to(d)
        x = obs_extra.shape[1]
        follow = self.next_row
        chained = follow < n
        split = chained.clone()
        split[chained] = ~_same_bits(obs_extra[follow[chained]], next_obs_extra[chained])
        split = split.nonzero().squeeze(1)  # rows whose widened next obs is no longer another row's obs
        ended = (~chained).nonzero().squeeze(1)  # rows whose next obs has a row of its own
        old = d.shape[0]
        out = copy.copy(self)
        out.data = torch.zeros(old + len(split), o + x + a + 3, dtype=d.dtype, device=d.device)
        out.data[:old, :o] = d[:, :o]
        out.data[old:, :o] = d[follow[split], :o]
        out.data[:n, o : o + x] = obs_extra
        out.data[follow[ended], o : o + x] = next_obs_extra[ended]
        out.data[old:, o : o + x] = next_obs_extra[split]
        out.data[:old, o + x :] = d[:, o:]
        out.next_row = follow.to(index_dtype(old + len(split)), copy=True)
        out.next_row[split] = old + torch.arange(len(split), device=d.device, dtype=out.next_row.dtype)
        out.obs_dim = o + x
        return out

    def context_stats(self, use_next_obs: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Each context column's mean and std over every transition of the buffer, [context_dim] each; a constant
        column's std is 1 (so standardising leaves it centred, not divided by 0)."""
        o, a = self.obs_dim, self.action_dim
        rows = torch.empty(len(self), context_width(o, a, use_next_obs), dtype=torch.float64, device=self.device)
        rows[:, : o + a + 1] = self.data[: len(self), : o + a + 1]
        if use_next_obs:
            rows[:, o + a + 1 :] = self._next_obs(None)
        mean, std = rows.mean(dim=0), rows.std(dim=0, correction=0)
        std = torch.where(std > 1e-6, std, torch.ones_like(std))
        return mean.to(self.data.dtype), std.to(self.data.dtype)

    def _draw(self, tasks: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
        """[T, n] transitions, `n` of each task of `tasks`, uniform with replacement."""
        slot = self._slot[tasks]
        u = torch.rand(len(tasks), n, generator=generator, device=self.device, dtype=torch.float64)
        return self.offsets[slot, None] + (u * self.sizes[slot, None]).long()

    def _next_obs(self, idx: torch.Tensor | None) -> torch.Tensor:
        """The next observations of the transitions `idx` (None: of all), [..., obs_dim]."""
        follow = self.next_row if idx is None else self.next_row[idx]
        return self.data[follow, : self.obs_dim]

    def sample(self, tasks: torch.Tensor, n: int, generator: torch.Generator) -> RLBatch:
        """`n` transitions per task, uniform with replacement. `tasks` must be among `task_ids` (`require` checks
        them once; a check here would cost a host sync per step on a GPU; another id fails to index, on the CPU as
        an IndexError)."""
        o, a = self.obs_dim, self.action_dim
        idx = self._draw(tasks, n, generator)
        r = self.data[idx]
        return RLBatch(
            r[..., :o],
            r[..., o : o + a],
            r[..., -2:-1],
            self._next_obs(idx),
            r[..., -1:],
            r[..., o + a : o + a + 1],
        )

    def sample_context(
        self, tasks: torch.Tensor, n: int, generator: torch.Generator, use_next_obs: bool
    ) -> torch.Tensor:
        """[T, n, context_dim]: (s, a, r[, s']) rows, uniform with replacement."""
        o, a = self.obs_dim, self.action_dim
        idx = self._draw(tasks, n, generator)
        if use_next_obs:
            return torch.cat([self.data[idx, : o + a + 1], self._next_obs(idx)], dim=-1)
        return self.data[idx, : o + a + 1]


def _allocate(sizes: list[int], ends: list[int], width: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """The buffer's array, its transitions' rows then their end rows (written in place, never zeroed: every cell is
    assigned), and the next-row index (int32 while the rows fit; torch indexes with either)."""
    n_rows, n_ends = sum(sizes), sum(ends)
    index = torch.empty(0, dtype=index_dtype(n_rows + n_ends)).numpy().dtype
    return np.empty((n_rows + n_ends, width), dtype=dtype), np.empty(n_rows, dtype=index)


def index_dtype(rows: int) -> torch.dtype:
    """The dtype of `next_row` for a buffer of `rows` rows: int32 (half the index memory) while every row number
    fits, int64 from 2**31 rows on (int32 would wrap those to negative rows)."""
    return torch.int32 if rows < 2**31 else torch.int64


def _follow(n: int, start: int, ends: np.ndarray, end: int) -> np.ndarray:
    """The next rows of a task's `n` transitions at rows `start`..: the next one, or for the transitions `ends` (local
    indices) the end rows from `end` on, in order."""
    follow = start + 1 + np.arange(n)
    follow[ends] = end + np.arange(len(ends))
    return follow


def _chained(d: Trajectories) -> np.ndarray:
    """[n]: True where transition k's next_obs is transition k + 1's obs bit for bit (so stored once); never at the
    last one."""
    out = np.zeros(len(d), dtype=bool)
    if len(d) > 1 and d.obs.dtype == d.next_obs.dtype:
        unsigned = f"u{d.obs.dtype.itemsize}"  # (bits compared: -0.0 is not 0.0, and a NaN is itself)
        nxt, obs = np.ascontiguousarray(d.next_obs[:-1]), np.ascontiguousarray(d.obs[1:])
        out[:-1] = (nxt.view(unsigned) == obs.view(unsigned)).all(axis=1)
    return out


def _same_bits(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[N]: True where rows of `a` and `b` [N, X] (of one float dtype) are equal bit for bit."""
    as_int = {2: torch.int16, 4: torch.int32, 8: torch.int64}[a.element_size()]
    return (a.view(as_int) == b.view(as_int)).all(dim=1)


def context_width(obs_dim: int, action_dim: int, use_next_obs: bool) -> int:
    """The size of a context row, (s, a, r[, s']): what the buffer samples and the encoder reads."""
    return obs_dim + action_dim + 1 + (obs_dim if use_next_obs else 0)


@dataclass
class StepSample:
    """What one training step draws: the meta-batch's task ids, their context, the batch and BRAC's extra batches."""

    tasks: torch.Tensor
    context: torch.Tensor | None  # None where the step reads no context (BOREL's learner)
    batch: RLBatch
    extra: list[RLBatch]


def sample_step(
    buf: MultiTaskBuffer,
    task_ids: torch.Tensor,
    algo_params: AlgoParams,
    generator: torch.Generator,
    with_context: bool = True,
) -> StepSample:
    """One training step's draw, in the order training has always drawn it (tasks, context, batch, extra), so that
    training (`rlkit.experiment.MetaTrainer.step`) and `rlkit.budget` sample alike. `task_ids` are the tasks to
    draw `meta_batch` from: with replacement if `mb_replace`, else a random subset. Without `with_context` no
    context is drawn (BOREL's learner reads the belief in its hyper-state rows)."""
    a, n = algo_params, len(task_ids)
    if a.mb_replace:
        idx = torch.randint(n, (a.meta_batch,), generator=generator, device=task_ids.device)
    else:
        idx = torch.randperm(n, generator=generator, device=task_ids.device)[: a.meta_batch]
    tasks = task_ids[idx]
    context = (
        buf.sample_context(tasks, a.embedding_batch_size, generator, a.use_next_obs_in_context)
        if with_context
        else None
    )
    batch = buf.sample(tasks, a.batch_size, generator)
    extra = [buf.sample(tasks, a.batch_size, generator) for _ in range(a.c_iter - 1)] if a.use_brac else []
    return StepSample(tasks, context, batch, extra)
