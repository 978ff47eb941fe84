"""MultiTaskBuffer: every task's transitions in one contiguous tensor, sampled without Python loops."""

from __future__ import annotations

import copy
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
    """Rows are `[obs, action, context_reward, next_obs, reward, terminal]`, all tasks back to back.

    The context is a prefix of a row: (s, a, r) or (s, a, r, s'), so sampling a context is one
    gather and one slice. `context_reward` differs from `reward` only with sparse rewards.
    """

    def __init__(
        self,
        data: dict[int, Trajectories],
        obs_dim: int,
        action_dim: int,
        device: torch.device,
        terminal_at_traj_end: bool = True,
        obs_scale: np.ndarray | None = None,
        context_reward_fn=None,
        capacity: int | None = None,
        release: bool = False,
    ):
        """`data`: task id -> its transitions. `release`: drop each task from `data` once its rows are copied (the
        loader's own dict), so that a load peaks at the buffer plus one task's transitions, not two full copies."""
        if not data:
            raise UserError("no tasks to load into the buffer")
        self.obs_dim, self.action_dim, self.device = obs_dim, action_dim, device
        self.task_ids = sorted(data)
        # each task's episode lengths, in row order (the files' traj_lengths): `rlkit.data.sequences` reads them
        self.traj_lengths = {t: np.asarray(data[t].traj_lengths, dtype=np.int64) for t in self.task_ids}
        sizes = [len(data[t]) for t in self.task_ids]
        for t, n in zip(self.task_ids, sizes):
            if capacity is not None and n > capacity:
                raise UserError(f"task {t} has {n} transitions: expected at most replay_buffer_size={capacity}")
        o, a = obs_dim, action_dim
        dtype = torch.empty(0).numpy().dtype  # torch's default dtype: float32 unless the caller chose float64
        # every task's rows written in place (a row list and its concatenation would hold the data twice); each
        # column rounds to `dtype` once, as it is assigned
        rows = np.empty((sum(sizes), 2 * o + a + 3), dtype=dtype)
        start = 0
        for t, n in zip(self.task_ids, sizes):
            d, block = data[t], rows[start : start + n]
            start += n
            if obs_scale is None:
                block[:, :o], block[:, o + a + 1 : 2 * o + a + 1] = d.obs, d.next_obs
            else:  # divided in float64, as the reference's normaliser
                block[:, :o] = d.obs.astype(np.float64) / obs_scale
                block[:, o + a + 1 : 2 * o + a + 1] = d.next_obs.astype(np.float64) / obs_scale
            block[:, o : o + a] = d.actions
            block[:, o + a] = d.rewards if context_reward_fn is None else context_reward_fn(d.rewards)
            block[:, -2] = d.rewards
            block[:, -1] = np.maximum(d.terminals, d.traj_end_mask()) if terminal_at_traj_end else d.terminals
            if release:
                del d, block, data[t]
        self.data = torch.from_numpy(rows).to(device)
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
        return self.data.shape[0]

    def with_obs_columns(self, obs_extra: torch.Tensor, next_obs_extra: torch.Tensor) -> MultiTaskBuffer:
        """A copy whose observations are widened by per-row columns: row i's obs becomes (obs_i, obs_extra_i) and its
        next_obs (next_obs_i, next_obs_extra_i), [N, X] each (BOREL's hyper-states (s, mu, logvar)). The copy samples
        as this buffer does (same rows, same draws); its contexts hold the widened obs."""
        o, a = self.obs_dim, self.action_dim
        d = self.data
        out = copy.copy(self)
        out.data = torch.cat(
            [
                d[:, :o],
                obs_extra.to(d),
                d[:, o : o + a + 1],
                d[:, o + a + 1 : 2 * o + a + 1],
                next_obs_extra.to(d),
                d[:, -2:],
            ],
            dim=1,
        )
        out.obs_dim = o + obs_extra.shape[1]
        return out

    def context_stats(self, use_next_obs: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Each context column's mean and std over every row of the buffer, [context_dim] each; a constant
        column's std is 1 (so standardising leaves it centred, not divided by 0)."""
        width = context_width(self.obs_dim, self.action_dim, use_next_obs)
        rows = self.data[:, :width].double()
        mean, std = rows.mean(dim=0), rows.std(dim=0, correction=0)
        std = torch.where(std > 1e-6, std, torch.ones_like(std))
        return mean.to(self.data.dtype), std.to(self.data.dtype)

    def _rows(self, tasks: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
        slot = self._slot[tasks]
        u = torch.rand(len(tasks), n, generator=generator, device=self.device, dtype=torch.float64)
        idx = self.offsets[slot, None] + (u * self.sizes[slot, None]).long()
        return self.data[idx]

    def sample(self, tasks: torch.Tensor, n: int, generator: torch.Generator) -> RLBatch:
        """`n` transitions per task, uniform with replacement. `tasks` must be among `task_ids` (`require` checks
        them once; a check here would cost a host sync per step on a GPU; another id fails to index, on the CPU as
        an IndexError)."""
        o, a = self.obs_dim, self.action_dim
        r = self._rows(tasks, n, generator)
        return RLBatch(
            r[..., :o],
            r[..., o : o + a],
            r[..., -2:-1],
            r[..., o + a + 1 : 2 * o + a + 1],
            r[..., -1:],
            r[..., o + a : o + a + 1],
        )

    def sample_context(
        self, tasks: torch.Tensor, n: int, generator: torch.Generator, use_next_obs: bool
    ) -> torch.Tensor:
        """[T, n, context_dim]: (s, a, r[, s']) rows, uniform with replacement."""
        width = context_width(self.obs_dim, self.action_dim, use_next_obs)
        return self._rows(tasks, n, generator)[..., :width].contiguous()


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
