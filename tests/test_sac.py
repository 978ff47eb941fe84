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


@pytest.mark.parametrize("override,expected", [
    ("agent.params.batch_size=0", "SAC setting agent.params.batch_size=0: expected a whole number >= 1"),
    ("num_eval_sample_episodes=0", "SAC setting num_eval_sample_episodes=0: expected a whole number >= 1"),
    ("num_seed_steps=400", "SAC setting num_seed_steps=400: expected < num_train_steps - 1 = 299"),
    ("seed=-1", "SAC setting seed=-1: expected a whole number in [0, 4294967295]"),
    ("agent.params.critic_lr=inf", "SAC setting agent.params.critic_lr=inf: expected a finite number > 0"),
])
def test_stage1_value_that_gives_useless_data_is_one_line_and_writes_nothing(tmp_path, override, expected):
    """Through policy_train.py: exit 2, one line naming the key, the value and the range, no dataset folder."""
    from tests.conftest import ROOT, TINY_CONFIG, run_cli
    proc = run_cli([str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--sac_config", "tiny_point",
                    "--no-progress", override], cwd=tmp_path, check=False)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []


def _out_of_range(spec: str, whole: bool) -> list:
    """Values just outside a `SAC_RANGES` spec, and the non-finite ones."""
    spec = spec.strip()
    if spec.startswith(">"):
        bound = float(spec.lstrip(">=").strip())
        below = [bound - 1 if whole else bound - 1e-3] if spec.startswith(">=") else [bound]
        return below + [float("nan"), float("-inf")]
    lo, hi = (float(v) for v in spec[1:-1].split(","))
    return [lo if spec[0] == "(" else lo - 1, hi if spec[-1] == ")" else hi + 1, float("nan")]


def test_every_sac_setting_has_a_range_that_is_enforced():
    """Each key of SAC_RANGES: a value outside its range, a non-finite one and (for counts) a fraction are
    refused naming the key; the bounds themselves, where included, pass."""
    from omegaconf import OmegaConf

    from rlkit.behaviour.settings import SAC_RANGES, SAC_REAL_NUMBERS, check_sac_config
    base, _, _ = load_sac_config("tiny_point", [])
    for key, spec in SAC_RANGES.items():
        whole = key not in SAC_REAL_NUMBERS
        bad = _out_of_range(spec, whole) + ([1.5, True] if whole else ["x"])
        for value in bad:
            cfg = base.copy()
            OmegaConf.update(cfg, key, [value, value] if key.endswith("_betas") else value)
            with pytest.raises(UserError, match=rf"^SAC setting {key}=.*: expected "):
                check_sac_config(cfg)
    for key, value in [("agent.params.discount", 1.0), ("agent.params.critic_tau", 1.0), ("num_eval_episodes", 0),
                       ("agent.params.actor_betas", [0.0, 0.0]), ("seed", 4294967295)]:
        cfg = base.copy()
        OmegaConf.update(cfg, key, value)
        check_sac_config(cfg)


@pytest.mark.parametrize("overrides,match", [
    (["diag_gaussian_actor.params.log_std_bounds=[2,-5]"], r"log_std_bounds=\[2, -5\]: expected two finite numbers"),
    (["diag_gaussian_actor.params.log_std_bounds=[-inf,2]"], r"log_std_bounds=\[-inf, 2\]: expected two finite"),
    (["num_seed_steps=299"], r"num_seed_steps=299: expected < num_train_steps - 1 = 299"),
    (["eval_frequency=300"], r"eval_frequency=300: expected < num_train_steps = 300"),
    (["save_networks=2"], r"save_networks=2: expected true or false"),
    (["agent.params.actor_betas=[0.9]"], r"actor_betas=\[0.9\]: expected a list of two"),
])
def test_sac_settings_checked_together(overrides, match):
    """Bounds in order, a schedule that writes a checkpoint, a boolean, a pair."""
    with pytest.raises(UserError, match=match):
        load_sac_config("tiny_point", overrides)


def test_check_calls_a_task_stopped_after_a_checkpoint_interrupted(tmp_path):
    """A task stopped after its first checkpoint (what a kill then leaves: its step file, task.json not yet
    complete) is one problem for `check`: an interrupted task that a rerun resumes."""
    from rlkit.behaviour.generate import train_segment
    from rlkit.data.dataset import check_dataset
    _, sched, sac = load_sac_config("tiny_point", [])
    train_segment("point-robot", {"n_tasks": 6, "max_episode_steps": 20}, 2, sched, sac, tmp_path,
                  torch.device("cpu"), False, None)
    report = check_dataset(tmp_path)
    assert len(report.problems) == 1 and "is an interrupted stage-1 task" in report.problems[0]
    assert "checkpoints [100] written so far" in report.problems[0] and "another stage-1 run" not in report.problems[0]
