"""Ordered trajectories of a `MultiTaskBuffer`: whole episodes of a task, and groups of consecutive same-task
episodes (BOREL's sequences, a BAMDP of `episodes` episodes), cut at the episode boundaries the dataset files store
(`traj_lengths`, kept by the buffer as `MultiTaskBuffer.traj_lengths`).

A task's episodes are in file order: checkpoint after checkpoint, `block` (n_trj) episodes of each. A sequence is
`episodes` consecutive episodes of one checkpoint, so of one behaviour policy: episodes (0, 1), (2, 3), ... of each
checkpoint, and a last, shorter group where `block` is not a multiple of `episodes`. Every row of the buffer is
thus in exactly one sequence, at one position: what BOREL's hyper-state relabelling needs (the belief of a row is
the GRU's after the rows before it in its sequence). With `episodes` 1 the sequences are the episodes themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rlkit.data.buffer import MultiTaskBuffer
from rlkit.errors import UserError


@dataclass
class SequenceBatch:
    """Ordered transitions, padded: `rows` [..., L, W] (`MultiTaskBuffer.transitions`' layout), `mask` [..., L]
    (True on a real step; a sequence's steps come first, padding after)."""

    rows: torch.Tensor
    mask: torch.Tensor
    obs_dim: int
    action_dim: int

    @property
    def obs(self) -> torch.Tensor:
        return self.rows[..., : self.obs_dim]

    @property
    def actions(self) -> torch.Tensor:
        return self.rows[..., self.obs_dim : self.obs_dim + self.action_dim]

    @property
    def rewards(self) -> torch.Tensor:
        """The context reward (what a context row holds: sparsified with sparse_rewards), [..., L, 1]."""
        o, a = self.obs_dim, self.action_dim
        return self.rows[..., o + a : o + a + 1]

    @property
    def next_obs(self) -> torch.Tensor:
        o, a = self.obs_dim, self.action_dim
        return self.rows[..., o + a + 1 : 2 * o + a + 1]


class SequenceIndex:
    """Every sequence of a buffer: `rows` [S, L] the buffer row of each step (padding repeats the last row),
    `lengths` [S], `task` [S] (the task id); a task's sequences are consecutive, from `first[slot]`, `count[slot]`
    of them (slot: the task's place in `buffer.task_ids`)."""

    def __init__(self, buf: MultiTaskBuffer, episodes: int, block: int, max_episode_steps: int | None = None):
        if episodes < 1 or block < 1:
            raise ValueError(f"episodes {episodes} and block {block}: expected >= 1")
        self.buffer, self.episodes = buf, episodes
        offsets = buf.offsets.cpu().numpy()
        sizes = buf.sizes.cpu().numpy().astype(np.int64)
        seqs: list[np.ndarray] = []
        task, first, count = [], [], []
        for slot, t in enumerate(buf.task_ids):
            lengths = buf.traj_lengths[t]
            _check_boundaries(t, lengths, int(sizes[slot]), max_episode_steps)
            starts = offsets[slot] + np.concatenate([[0], np.cumsum(lengths)[:-1]])
            first.append(len(seqs))
            for c in range(0, len(lengths), block):
                end = min(c + block, len(lengths))
                for g in range(c, end, episodes):
                    eps = range(g, min(g + episodes, end))
                    seqs.append(np.concatenate([np.arange(starts[e], starts[e] + lengths[e]) for e in eps]))
                    task.append(t)
            count.append(len(seqs) - first[-1])
        width = max(len(s) for s in seqs)
        rows = np.stack([np.pad(s, (0, width - len(s)), mode="edge") for s in seqs])
        dev = buf.device
        self.rows = torch.as_tensor(rows, dtype=torch.long, device=dev)
        self.lengths = torch.as_tensor([len(s) for s in seqs], dtype=torch.long, device=dev)
        self.task = torch.as_tensor(task, dtype=torch.long, device=dev)
        self.first = torch.as_tensor(first, dtype=torch.long, device=dev)
        self.count = torch.as_tensor(count, dtype=torch.float64, device=dev)

    def __len__(self) -> int:
        return self.rows.shape[0]

    @property
    def max_length(self) -> int:
        return self.rows.shape[1]

    def batch(self, ids: torch.Tensor) -> SequenceBatch:
        """The sequences `ids` (any shape [...]) as a `SequenceBatch` [..., L, W]."""
        b = self.buffer
        steps = torch.arange(self.max_length, device=ids.device)
        return SequenceBatch(b.transitions(self.rows[ids]), steps < self.lengths[ids, None], b.obs_dim, b.action_dim)

    def sample_ids(self, tasks: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
        """[T, n] sequence ids: `n` of each task's sequences, uniform with replacement."""
        slot = self.buffer._slot[tasks]
        u = torch.rand(len(tasks), n, generator=generator, device=self.rows.device, dtype=torch.float64)
        return self.first[slot, None] + (u * self.count[slot, None]).long()

    def sample(self, tasks: torch.Tensor, n: int, generator: torch.Generator) -> SequenceBatch:
        """`n` sequences of each of `tasks` [T], uniform with replacement: [T, n, L, W]."""
        return self.batch(self.sample_ids(tasks, n, generator))


def _check_boundaries(task: int, lengths: np.ndarray, rows: int, max_episode_steps: int | None) -> None:
    """The episode boundaries of a task's data must cut it into real episodes: lengths >= 1 summing to its rows, none
    longer than the env's time limit (a longer one is several episodes whose boundaries the files do not mark)."""
    if len(lengths) == 0 or int(lengths.sum()) != rows or (lengths < 1).any():
        shown = str(lengths.tolist()[:8]) + ("..." if len(lengths) > 8 else "")
        raise UserError(
            f"task {task}: the files' episode lengths {shown} do not cut its {rows} rows into "
            "episodes of at least one step: expected ordered episodes (traj_lengths) to read them in order"
        )
    if max_episode_steps is not None and int(lengths.max()) > max_episode_steps:
        raise UserError(
            f"task {task}: an episode of {int(lengths.max())} steps: expected at most env_params.max_episode_steps="
            f"{max_episode_steps} (the files lack the episode boundaries that reading whole episodes in order needs)"
        )
