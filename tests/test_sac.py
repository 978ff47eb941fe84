"""Stage 1: checkpoint schedule, per-task independence of the vectorised SAC, --split."""
import json
import numpy as np
import pytest
import torch

from policy_train import load_sac_config
from rlkit.behaviour import split_tasks, train_task_group
from rlkit.data.dataset import read_checkpoint, read_task_meta, task_dir
from rlkit.errors import UserError


def test_reference_point_schedule():
    _, sched, sac = load_sac_config("train_point", [])
    assert sched.expected_checkpoints(20) == [2000] + list(range(2200, 5000, 200))  # 15 checkpoints
    assert (sac.batch_size, sac.critic_hidden_dim, sac.actor_lr, sac.log_std_bounds) == (1024, 1024, 1e-4, (-5.0, 2.0))


def test_bad_hydra_override_is_one_line_error():
    with pytest.raises(UserError, match="bad SAC override"):
        load_sac_config("train_point", ["no_such_key=3"])
    with pytest.raises(UserError, match="unknown --sac_config"):
        load_sac_config("nope", [])


@pytest.mark.parametrize("n,split", [(40, 8), (40, 3), (7, 2), (3, 5)])
def test_split_covers_every_task_once(n, split):
    parts = [split_tasks(n, split, k) for k in range(split)]
    assert sorted(t for p in parts for t in p) == list(range(n))


def test_split_idx_out_of_range():
    with pytest.raises(UserError, match="split_idx"):
        split_tasks(40, 4, 4)


def test_task_data_does_not_depend_on_its_group(tmp_path, capfd):
    """Task 2 trained alone and trained with tasks 0 and 5 gives the same data (same seed)."""
    _, sched, sac = load_sac_config("tiny_point", ["num_train_steps=200"])
    params = {"n_tasks": 6, "max_episode_steps": 20}
    train_task_group("point-robot", params, [2], sched, sac, tmp_path / "alone", torch.device("cpu"))
    capfd.readouterr()
    train_task_group("point-robot", params, [0, 2, 5], sched, sac, tmp_path / "group", torch.device("cpu"))
    lines = capfd.readouterr().err  # not a terminal: a plain line per checkpoint, no cursor escapes
    assert all(f"goal_idx{t}: checkpoint 1 written, mean return " in lines for t in (0, 2, 5)) and "\x1b[" not in lines
    meta = read_task_meta(task_dir(tmp_path / "alone", 2))
    # the loop and `expected_checkpoints` share one rule (`Schedule.checkpoint_due`)
    assert meta["complete"] and meta["checkpoints"] == sched.expected_checkpoints(20) == [100]
    a = read_checkpoint(task_dir(tmp_path / "alone", 2), 100, "sample")
    b = read_checkpoint(task_dir(tmp_path / "group", 2), 100, "sample")
    np.testing.assert_allclose(a.actions, b.actions, atol=1e-5)
    np.testing.assert_allclose(a.rewards, b.rewards, atol=1e-5)
    c = read_checkpoint(task_dir(tmp_path / "group", 5), 100, "sample")
    assert not np.allclose(a.rewards, c.rewards)


def test_one_progress_bar_per_task_showing_its_checkpoints():
    from rlkit.behaviour.progress import TaskBars
    bars = TaskBars([3, 7], total=10, mode="bars")
    for _ in range(4):
        bars.advance()
    bars.checkpoint(1, 2, -5.25)
    assert [b.desc for b in bars.bars] == ["goal_idx3", "goal_idx7"]
    assert [b.n for b in bars.bars] == [4, 4]
    assert bars.bars[1].postfix == "ckpts=2, ret=-5.25"
    bars.close()


def test_behaviour_sac_uses_pytorch_sac_init():
    """Stage 1 as the reference's pytorch_sac: orthogonal weights (gain 1) and zero biases, actor and critics."""
    from rlkit.torch.sac.vector_sac import VectorSAC
    _, _, sac = load_sac_config("tiny_point", [])
    agent = VectorSAC(3, 2, 2, sac, seed=0, device=torch.device("cpu"))
    for net in (agent.actor, agent.critic, agent.critic_target):
        for w, b in zip(net.weights, net.biases):
            assert torch.count_nonzero(b) == 0
            for m in range(w.shape[0]):
                wt = w[m].T  # [out, in], as nn.Linear holds it
                small = min(wt.shape)
                gram = wt @ wt.T if wt.shape[0] == small else wt.T @ wt
                torch.testing.assert_close(gram, torch.eye(small), atol=1e-5, rtol=0)
    assert not torch.equal(agent.critic.weights[0][0], agent.critic.weights[0][3])  # Q1 and Q2 of task 0 differ


def test_behaviour_sac_log_prob_is_exact_squashed_gaussian():
    """pytorch_sac's SquashedNormal: the exact tanh log-det, not log(1 - a^2 + 1e-6)."""
    from torch.distributions import Normal, TransformedDistribution
    from torch.distributions.transforms import TanhTransform

    from rlkit.torch.sac.vector_sac import VectorSAC
    _, _, sac = load_sac_config("tiny_point", [])
    agent = VectorSAC(2, 2, 2, sac, seed=0, device=torch.device("cpu"))
    obs = torch.randn(2, 5, 2, generator=torch.Generator().manual_seed(1)) * 3
    noise = torch.randn(2, 5, 2, generator=torch.Generator().manual_seed(2)) * 2
    out = agent.policy(obs, noise)
    dist = TransformedDistribution(Normal(out.mean, out.log_std.exp()), [TanhTransform()])
    expected = dist.log_prob(out.action).sum(-1, keepdim=True)
    exact = (Normal(out.mean, out.log_std.exp()).log_prob(out.pre_tanh)
             - 2 * (torch.log(torch.tensor(2.0)) - out.pre_tanh - torch.nn.functional.softplus(-2 * out.pre_tanh))).sum(-1, keepdim=True)
    torch.testing.assert_close(out.log_prob, exact)
    close = out.pre_tanh.abs().max(-1).values < 3  # where atanh(tanh(u)) is still accurate in float32
    torch.testing.assert_close(out.log_prob[close], expected[close], atol=1e-3, rtol=1e-4)


def test_no_progress_prints_nothing_per_task(capfd, tmp_path):
    _, sched, sac = load_sac_config("tiny_point", ["num_train_steps=200"])
    train_task_group("point-robot", {"n_tasks": 6, "max_episode_steps": 20}, [1], sched, sac, tmp_path, torch.device("cpu"),
                     progress="off")
    assert "goal_idx" not in capfd.readouterr().err


def test_segments_chained_through_their_states_write_the_same_files(tmp_path):
    """A task trained one checkpoint at a time (the state saved and loaded as torch.save/weights_only,
    on half-cheetah, whose episode starts draw from its generator) equals the task trained in one go."""
    import io

    from rlkit.behaviour.generate import train_segment
    from rlkit.fileio import read_tree
    _, sched, sac = load_sac_config("tiny_mujoco", ["num_train_steps=260", "eval_frequency=60", "num_seed_steps=50"])
    params = {"n_tasks": 3, "max_episode_steps": 30}
    train_task_group("cheetah-vel", params, [1], sched, sac, tmp_path / "plain", torch.device("cpu"), "off")
    state, written = None, []
    while True:
        seg = train_segment("cheetah-vel", params, 1, sched, sac, tmp_path / "chain", torch.device("cpu"), True, state)
        written.append(seg.checkpoint)
        if seg.state is None:
            break
        buf = io.BytesIO()
        torch.save(seg.state, buf)
        buf.seek(0)
        state = torch.load(buf, weights_only=True)
    assert written == [60, 120, 180, 240, None]  # one checkpoint per segment, then the rest of training
    plain, chain = (read_tree(task_dir(tmp_path / d, 1)) for d in ("plain", "chain"))
    metas = [json.loads(files.pop("task.json")) for files in (plain, chain)]
    assert [m.pop("written") for m in metas] and metas[0] == metas[1] and metas[0]["complete"]
    assert plain.keys() == chain.keys() and plain == chain  # npz, networks and returns.csv, byte for byte


def test_a_state_only_resumes_its_own_tasks(tmp_path):
    from rlkit.behaviour.generate import TaskGroup, train_segment
    _, sched, sac = load_sac_config("tiny_point", [])
    params = {"n_tasks": 6, "max_episode_steps": 20}
    state = train_segment("point-robot", params, 2, sched, sac, tmp_path, torch.device("cpu"), True, None).state
    group = TaskGroup("point-robot", params, [3], sched, sac, tmp_path, torch.device("cpu"), "off")
    with pytest.raises(ValueError, match=r"tasks \[2\] cannot resume tasks \[3\]"):
        group.restore(state)
