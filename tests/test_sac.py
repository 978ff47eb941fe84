"""Stage 1: checkpoint schedule, per-task independence of the vectorised SAC, --split."""

import contextlib
import dataclasses
import datetime
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from policy_train import load_sac_config
from rlkit.behaviour import Stage1Spec, split_tasks, train_task_group
from rlkit.behaviour.generate import TaskGroup, lock_tasks
from rlkit.behaviour.progress import TaskBars
from rlkit.data.dataset import task_dir
from rlkit.data.meta import read_task_meta
from rlkit.data.npz import read_checkpoint
from rlkit.errors import UserError
from rlkit.seeding import SEEDING_VERSION, torch_generator
from rlkit.torch.sac.vector_sac import TaskGenerators, VectorSAC
from tests.conftest import CUDA_ONLY
from tests.test_behaviour_reference import _params


def point_spec(data_dir: Path, overrides: list[str] | None = None) -> Stage1Spec:
    """The stage 1 most of these tests train: `tiny_point` with `overrides`, on 6 point-robot tasks of 20-step
    episodes, on the CPU, into `data_dir`."""
    behaviour = load_sac_config("tiny_point", overrides or [])
    params = {"n_tasks": 6, "max_episode_steps": 20}
    return Stage1Spec("point-robot", params, behaviour.schedule, behaviour.sac, data_dir, torch.device("cpu"))


def test_a_groups_networks_and_noise_follow_the_schedules_seed(tmp_path):
    """`--seed S` (the schedule's seed) seeds what the behaviour SACs do, not only the task.json record: a group's
    initial weights are those of VectorSAC of seed S, its noise (seed steps' actions, policy samples, batches) that
    of the stream behaviour_noise of S, its envs' generators those of stream behaviour_env of S, and seed 5's differ
    from seed 0's in each."""

    def group(seed):
        return TaskGroup(point_spec(tmp_path / str(seed), [f"seed={seed}"]), [0, 1], "off")

    def weights(module):
        return torch.cat([p.detach().flatten() for p in module.parameters()])

    five, zero = group(5), group(0)
    sac = five.spec.sac
    own = VectorSAC(2, five.obs_dim, five.action_dim, sac, 5, torch.device("cpu"))
    assert torch.equal(weights(five.agent), weights(own))
    assert not torch.equal(weights(five.agent), weights(zero.agent))
    draws = five.gens.uniform(3)
    assert torch.equal(draws, TaskGenerators(2, 5, torch.device("cpu")).uniform(3))
    assert not torch.equal(draws, zero.gens.uniform(3))
    # and its training envs' starts: each env's generator seeded by stream behaviour_env of the seed
    from rlkit.behaviour.generate import make_task_envs
    from rlkit.envs import env_rng_state
    from rlkit.seeding import stream_seed

    own_env = make_task_envs("point-robot", five.spec.env_params, 0, [stream_seed(5, "behaviour_env")])[0]
    assert env_rng_state(five.envs[0]) == env_rng_state(own_env) != env_rng_state(zero.envs[0])


def test_reference_point_schedule():
    behaviour = load_sac_config("train_point", [])
    sched, sac = behaviour.schedule, behaviour.sac
    assert sched.expected_checkpoints(20) == [2000] + list(range(2200, 5000, 200))  # 15 checkpoints
    assert (sac.batch_size, sac.critic_hidden_dim, sac.actor_lr, sac.log_std_bounds) == (1024, 1024, 1e-4, (-5.0, 2.0))


# the reference's pytorch_sac configs (MoreanP/CSRO rlkit/torch/sac/pytorch_sac/config/): train.yaml (MuJoCo),
# train_point.yaml, and agent/sac.yaml, which both use
REFERENCE_SCHEDULES = {
    "train": dict(num_train_steps=1_000_000, num_seed_steps=50_000, eval_frequency=50_000, num_eval_episodes=20),
    "train_point": dict(num_train_steps=5000, num_seed_steps=2000, eval_frequency=200, num_eval_episodes=1),
}
REFERENCE_SAC = dict(
    discount=0.99,
    init_temperature=0.1,
    alpha_lr=1e-4,
    alpha_betas=(0.9, 0.999),
    actor_lr=1e-4,
    actor_betas=(0.9, 0.999),
    actor_update_frequency=1,
    critic_lr=1e-4,
    critic_betas=(0.9, 0.999),
    critic_tau=0.005,
    critic_target_update_frequency=2,
    batch_size=1024,
    critic_hidden_dim=1024,
    critic_hidden_depth=2,
    actor_hidden_dim=1024,
    actor_hidden_depth=2,
    log_std_bounds=(-5.0, 2.0),
)


@pytest.mark.parametrize("name", sorted(REFERENCE_SCHEDULES))
def test_the_shipped_sac_configs_are_the_references_whole(name):
    """Every setting of train.yaml (every MuJoCo family's behaviour data) and train_point.yaml is the reference's:
    the schedule (a replay as long as training, 50 stochastic episodes a checkpoint, seed 0) and each SAC value.
    train.yaml's values had no test (its 20 deterministic episodes as 10, or its 50,000 random steps as 5,000, passed:
    the tests' MuJoCo runs use tiny_mujoco, which sets its own)."""
    behaviour = load_sac_config(name, [])
    schedule = dict(REFERENCE_SCHEDULES[name], num_eval_sample_episodes=50, seed=0)
    schedule["replay_buffer_capacity"] = schedule["num_train_steps"]
    assert dataclasses.asdict(behaviour.schedule) == schedule
    assert dataclasses.asdict(behaviour.sac) == REFERENCE_SAC


def test_the_sac_config_reaches_stage_1_as_one_typed_settings_object():
    """load_sac_config resolves the optional keys once (tasks_per_group 1 and save_networks true where a file
    leaves them out); nothing downstream reads the hydra config."""

    from rlkit.behaviour import BehaviourSettings

    point, tiny = load_sac_config("train_point", ["tasks_per_group=3"]), load_sac_config("tiny_point", [])
    assert isinstance(point, BehaviourSettings) and (point.tasks_per_group, point.save_networks) == (3, True)
    assert (tiny.tasks_per_group, tiny.save_networks, tiny.schedule.num_train_steps) == (6, True, 300)
    assert load_sac_config("train_point", ["save_networks=false"]).save_networks is False
    assert load_sac_config("train_point", ["~tasks_per_group", "~save_networks"]).tasks_per_group == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.tasks_per_group = 2


def test_a_sac_config_is_composed_once_per_name_overrides_and_file_content(tmp_path, monkeypatch):
    """`load_sac_config` keeps what hydra composed: the same name and overrides give the same (frozen) settings
    without composing again, equal to a composition of their own; other overrides, or one's own file rewritten
    under the same path, are composed anew."""
    import dataclasses

    from rlkit.behaviour import settings as module

    composed = []
    real = module.compose_sac_config

    def counting(name, overrides):
        composed.append((name, list(overrides)))
        return real(name, overrides)

    module._load_sac_config.cache_clear()
    monkeypatch.setattr(module, "compose_sac_config", counting)
    try:
        first = load_sac_config("tiny_point", ["seed=5"])
        assert load_sac_config("tiny_point", ["seed=5"]) is first and len(composed) == 1
        assert first == module.BehaviourSettings.from_hydra(real("tiny_point", ["seed=5"]))
        with pytest.raises(dataclasses.FrozenInstanceError):
            first.schedule.seed = 6
        assert load_sac_config("tiny_point", ["seed=6"]).schedule.seed == 6 and len(composed) == 2
        mine = tmp_path / "mine.yaml"
        mine.write_text("defaults:\n  - tiny_point\n  - _self_\n\nnum_train_steps: 600\n")
        assert load_sac_config(str(mine), []).schedule.num_train_steps == 600
        mine.write_text("defaults:\n  - tiny_point\n  - _self_\n\nnum_train_steps: 800\n")
        assert load_sac_config(str(mine), []).schedule.num_train_steps == 800 and len(composed) == 4
    finally:
        module._load_sac_config.cache_clear()


def test_a_package_sac_configs_own_keys_are_composed_once_for_every_set_of_overrides(tmp_path, monkeypatch):
    """The first of the two compositions (the file alone, whose keys the overrides must name) of a package config is
    done once: two sets of overrides cost three compositions, not four. One's own file is composed alone each time."""
    import hydra

    from rlkit.behaviour import settings as module

    calls = []
    real = hydra.compose

    def counting(config_name=None, overrides=None, **kwargs):
        calls.append((config_name, list(overrides or [])))
        return real(config_name=config_name, overrides=overrides or [], **kwargs)

    module._reference_keys()  # (its own two compositions, once per process)
    for cache in (module._load_sac_config, module._package_keys):
        cache.cache_clear()
    monkeypatch.setattr(hydra, "compose", counting)
    try:
        load_sac_config("tiny_point", ["seed=7"])
        load_sac_config("tiny_point", ["seed=8"])
        assert calls == [("tiny_point", []), ("tiny_point", ["seed=7"]), ("tiny_point", ["seed=8"])], calls
        mine = tmp_path / "mine.yaml"
        for steps in (600, 800):
            mine.write_text(f"defaults:\n  - tiny_point\n  - _self_\n\nnum_train_steps: {steps}\n")
            assert load_sac_config(str(mine), ["seed=7"]).schedule.num_train_steps == steps
        assert [c for c in calls[3:] if c == ("mine", [])] == [("mine", [])] * 2, calls
    finally:
        for cache in (module._load_sac_config, module._package_keys):
            cache.cache_clear()


def test_a_sac_config_file_of_ones_own_builds_on_the_packages_and_its_keys_are_checked(tmp_path):
    """A researcher's SAC yaml lives outside the installed package (`--sac_config PATH.yaml`), its defaults naming the
    package's files; one setting a key nothing reads (a typo: num_train_step trained the default's steps without
    a word) is refused, as an override's is."""
    mine, typo = tmp_path / "mine.yaml", tmp_path / "typo.yaml"
    mine.write_text("defaults:\n  - tiny_point\n  - _self_\n\nnum_train_steps: 600\n")
    typo.write_text("defaults:\n  - tiny_point\n  - _self_\n\nnum_train_step: 600\n")
    settings = load_sac_config(str(mine), ["seed=3"])
    assert (settings.schedule.num_train_steps, settings.schedule.seed, settings.sac.batch_size) == (600, 3, 32)
    with pytest.raises(UserError) as info:
        load_sac_config(str(typo), [])
    assert str(info.value) == (
        "typo.yaml sets num_train_step, which no setting reads: did you mean num_train_steps? expected the keys of "
        "the package's train.yaml and train_point.yaml"
    )
    empty, section = tmp_path / "empty.yaml", tmp_path / "section.yaml"
    empty.write_text("")  # (said "sets , which no setting reads")
    section.write_text("agent: {}\n")
    with pytest.raises(UserError, match=rf"^SAC config '{re.escape(str(empty))}' sets nothing: expected the keys of"):
        load_sac_config(str(empty), [])
    with pytest.raises(UserError, match=r"^section.yaml sets agent, which no setting reads"):
        load_sac_config(str(section), [])
    yml = tmp_path / "typo.yml"  # named as it is: "typo.yml sets", not "typo.yaml" (a file that is not there)
    yml.write_text(typo.read_text())
    with pytest.raises(UserError, match=r"^typo.yml sets num_train_step, which no setting reads"):
        load_sac_config(str(yml), [])
    with pytest.raises(UserError, match=r"^SAC override '\+seed_2=1' adds seed_2, which no setting of mine.yaml reads"):
        load_sac_config(str(mine), ["+seed_2=1"])
    clash = tmp_path / "tiny_point.yaml"
    clash.write_text("num_train_steps: 600\n")
    with pytest.raises(UserError, match=r"has the name of the package's tiny_point.yaml: expected another file name"):
        load_sac_config(str(clash), [])
    with pytest.raises(UserError, match=r"^--sac_config '.*nope.yaml' not found: expected a SAC config file"):
        load_sac_config(str(tmp_path / "nope.yaml"), [])
    bad, beside = tmp_path / "bad.yaml", tmp_path / "beside.yaml"
    bad.write_text("a: : 1\n")  # a YAML error: one line naming the file, not its temporary copy
    beside.write_text("defaults:\n  - my_base\n  - _self_\n")  # a file beside it, which is not searched
    with pytest.raises(
        UserError, match=rf"^SAC config '{re.escape(str(bad))}' does not load: mapping values .*bad.yaml"
    ) as info:
        load_sac_config(str(bad), [])
    assert "its defaults may name" not in str(info.value)  # (the hint is for a default not found, not a YAML error)
    with pytest.raises(UserError) as info:
        load_sac_config(str(beside), [])
    assert "Could not load 'my_base'" in str(info.value) and str(info.value).endswith(
        "(its defaults may name the package's SAC configs, not files beside it)"
    )


def test_an_overrides_value_is_everything_after_its_first_equals_sign():
    """`KEY=VALUE` in any of hydra's prefixed forms gives KEY the rest of the word, '=' signs included."""
    from rlkit.behaviour.settings import override_values

    assert override_values(["device=cpu", "+device=a=b", "seed=1", "~device"], "device") == ["cpu", "a=b"]


def test_bad_hydra_override_is_one_line_error():
    with pytest.raises(
        UserError,
        match=r"^bad SAC override in \['no_such_key=3'\]: Could not override 'no_such_key': "
        r"expected one of train_point.yaml's keys, e.g. agent.params.batch_size=256$",
    ):
        load_sac_config("train_point", ["no_such_key=3"])
    with pytest.raises(UserError, match=r": did you mean num_train_steps\? expected one of train_point.yaml's keys"):
        load_sac_config("train_point", ["num_train_step=400"])  # a typo: the closest key named
    for added in ["+no_such_key=3", "++agent.params.batch_sise=16", "+agent.params={x: 1}"]:  # read by nothing
        with pytest.raises(UserError, match=rf"^SAC override '{re.escape(added)}' adds [a-z_.]+, which no setting of"):
            load_sac_config("train_point", [added])
    # the override that adds the key is named, not one before it whose key its name begins with (seed, seed_2)
    for given in (["seed=3", "+seed_2=1"], ["agent.params.batch_size=64", "+agent.params.batch_size_new=1"]):
        with pytest.raises(UserError, match=rf"^SAC override '{re.escape(given[1])}' adds "):
            load_sac_config("train_point", given)
    assert load_sac_config("train_point", ["++agent.params.batch_size=16"]).sac.batch_size == 16
    with pytest.raises(UserError, match="unknown --sac_config"):
        load_sac_config("nope", [])
    # hydra keeps the last of two values of a key without a word
    with pytest.raises(UserError, match=r"^SAC override 'seed=2' after 'seed=1': expected each key once \(seed\)$"):
        load_sac_config("train_point", ["seed=1", "seed=2"])


@pytest.mark.parametrize("n,split", [(40, 8), (40, 3), (7, 2), (3, 5)])
def test_split_covers_every_task_once(n, split):
    parts = [split_tasks(n, split, k) for k in range(split)]
    assert sorted(t for p in parts for t in p) == list(range(n))


def test_split_bounds_are_linspaces_and_a_huge_split_allocates_nothing():
    """The parts are those of `np.linspace(0, n, split + 1).round()` (as before the bounds were computed alone), and
    --split 10**20 (once `np.linspace` of 10**20 floats: a MemoryError, or tens of GB) is a part with no tasks."""
    for n in (1, 6, 7, 40, 101):
        for split in range(1, 2 * n + 3):
            bounds = np.linspace(0, n, split + 1).round().astype(int)
            assert [split_tasks(n, split, k) for k in range(split)] == [
                list(range(bounds[k], bounds[k + 1])) for k in range(split)
            ], (n, split)
    assert split_tasks(6, 10**20, 5) == []


def test_split_idx_out_of_range():
    with pytest.raises(UserError, match="split_idx"):
        split_tasks(40, 4, 4)


@pytest.mark.parametrize(
    "device",
    [
        "cpu",
        pytest.param("cuda", marks=CUDA_ONLY),
    ],
)
def test_task_data_does_not_depend_on_its_group(tmp_path, capfd, device):
    """Task 2 trained alone and trained with tasks 0 and 5 gives the same data (same seed). On CUDA too: the
    batched ensemble's matmuls over 1 or 3 tasks may take other cuBLAS algorithms, so this checks the claim that
    a task's data does not depend on its group (docs/algorithm.md) to the tolerance below there as well."""
    behaviour = load_sac_config("tiny_point", ["num_train_steps=200"])
    sched, sac = behaviour.schedule, behaviour.sac
    params = {"n_tasks": 6, "max_episode_steps": 20}
    train_task_group(Stage1Spec("point-robot", params, sched, sac, tmp_path / "alone", torch.device(device)), [2])
    capfd.readouterr()
    train_task_group(Stage1Spec("point-robot", params, sched, sac, tmp_path / "group", torch.device(device)), [0, 2, 5])
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
    x, y = (pd.read_csv(task_dir(tmp_path / d, 2) / "losses.csv") for d in ("alone", "group"))
    pd.testing.assert_frame_equal(x, y, check_exact=device == "cpu", rtol=1e-4)  # (the per-task means of a group)


@pytest.mark.slow
def test_a_tasks_data_is_its_own_in_any_group_where_episodes_end_early(tmp_path):
    """Hopper's episodes end when it falls, so a checkpoint's episodes differ in length: task 0's data, every
    checkpoint of it, is the same alone and in a group of 8, bit for bit (a group rolled out its due tasks until
    the last of them ended, drawing every due task's noise at every step, so a task's later data depended on the
    others' falls)."""
    behaviour = load_sac_config("tiny_mujoco", ["num_train_steps=600", "save_networks=false"])
    params, device = {"n_tasks": 8, "max_episode_steps": 200}, torch.device("cpu")
    for folder, tasks in (("alone", [0]), ("group", list(range(8)))):
        train_task_group(
            Stage1Spec("hopper-rand-params", params, behaviour.schedule, behaviour.sac, tmp_path / folder, device),
            tasks,
            "off",
        )
    alone, group = task_dir(tmp_path / "alone", 0), task_dir(tmp_path / "group", 0)
    checkpoints = read_task_meta(alone)["checkpoints"]
    assert len(checkpoints) >= 3 and read_task_meta(group)["checkpoints"] == checkpoints
    lengths = set()
    for c in checkpoints:
        for kind in ("sample", "eval"):
            a, b = read_checkpoint(alone, c, kind), read_checkpoint(group, c, kind)
            lengths.update(a.traj_lengths.tolist())
            for field in ("obs", "actions", "rewards", "traj_lengths"):
                np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert len(lengths) > 1  # the episodes did end early, at different steps
    # and its updates' records, over windows that end where its own checkpoints come, not the group's others'
    assert (alone / "losses.csv").read_bytes() == (group / "losses.csv").read_bytes()


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

    sac = load_sac_config("tiny_point", []).sac
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

    sac = load_sac_config("tiny_point", []).sac
    agent = VectorSAC(2, 2, 2, sac, seed=0, device=torch.device("cpu"))
    obs = torch.randn(2, 5, 2, generator=torch.Generator().manual_seed(1)) * 3
    noise = torch.randn(2, 5, 2, generator=torch.Generator().manual_seed(2)) * 2
    out = agent.policy(obs, noise)
    dist = TransformedDistribution(Normal(out.mean, out.log_std.exp()), [TanhTransform()])
    expected = dist.log_prob(out.action).sum(-1, keepdim=True)
    exact = (
        Normal(out.mean, out.log_std.exp()).log_prob(out.pre_tanh)
        - 2 * (torch.log(torch.tensor(2.0)) - out.pre_tanh - torch.nn.functional.softplus(-2 * out.pre_tanh))
    ).sum(-1, keepdim=True)
    torch.testing.assert_close(out.log_prob, exact)
    close = out.pre_tanh.abs().max(-1).values < 3  # where atanh(tanh(u)) is still accurate in float32
    torch.testing.assert_close(out.log_prob[close], expected[close], atol=1e-3, rtol=1e-4)


def test_no_progress_prints_nothing_per_task(capfd, tmp_path):
    train_task_group(point_spec(tmp_path, ["num_train_steps=200"]), [1], "off")
    assert "goal_idx" not in capfd.readouterr().err


def test_segments_chained_through_their_states_write_the_same_files(tmp_path):
    """A task trained one checkpoint at a time (the state saved and loaded as torch.save/weights_only,
    on half-cheetah, whose episode starts draw from its generator) equals the task trained in one go."""
    import io

    from rlkit.behaviour.generate import train_segment
    from rlkit.fileio import read_tree

    behaviour = load_sac_config("tiny_mujoco", ["num_train_steps=260", "eval_frequency=60", "num_seed_steps=50"])
    sched, sac = behaviour.schedule, behaviour.sac
    params = {"n_tasks": 3, "max_episode_steps": 30}
    train_task_group(Stage1Spec("cheetah-vel", params, sched, sac, tmp_path / "plain", torch.device("cpu")), [1], "off")
    state, written = None, []
    for _ in range(10):  # (bounded: a segment that never ends its chain fails here instead of hanging the suite)
        seg = train_segment(
            Stage1Spec("cheetah-vel", params, sched, sac, tmp_path / "chain", torch.device("cpu")), 1, state
        )
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
    when = [datetime.datetime.strptime(m.pop("written"), "%Y-%m-%dT%H:%M:%S%z") for m in metas]  # with its UTC offset
    assert all(abs(datetime.datetime.now(datetime.UTC) - w).total_seconds() < 600 for w in when)
    assert metas[0] == metas[1] and metas[0]["complete"]
    assert plain.keys() == chain.keys() and plain == chain  # npz, networks, returns.csv and losses.csv, byte for byte


def test_finite_tasks_names_the_task_of_each_non_finite_network():
    """Critic member q * n + i is Q_{q+1} of task i: a NaN in task 1's second critic, then in task 2's temperature."""

    sac = load_sac_config("tiny_point", []).sac
    agent = VectorSAC(3, 2, 2, sac, 0, torch.device("cpu"))
    assert agent.finite_tasks().tolist() == [True, True, True]
    with torch.no_grad():
        next(agent.critic.parameters())[3 + 1].view(-1)[0] = float("nan")
        assert agent.finite_tasks().tolist() == [True, False, True]
        agent.log_alpha[2] = float("inf")
    assert agent.finite_tasks().tolist() == [True, False, False]


def test_a_diverged_stage_1_is_one_line_and_keeps_what_it_wrote_before(tmp_path):
    """Stage 1 had no divergence check: NaN networks were written as a checkpoint's networks and as the saved state,
    which every rerun resumed from and failed on. Now the step that finds them (a non-finite action, or networks at
    a checkpoint) is a DivergedError (exit 3) naming the tasks, and nothing of it is written."""
    from rlkit.errors import DivergedError
    from rlkit.fileio import read_tree

    group = TaskGroup(point_spec(tmp_path / "data"), [1, 4], "off")
    group.resume_path = tmp_path / "state.pt"
    group.begin()
    assert group.run(stop_after_checkpoint=True)
    written, state = read_tree(tmp_path / "data"), group.resume_path.read_bytes()
    with torch.no_grad():  # task 4's critic: the actor follows it into NaN at its next update
        next(group.agent.critic.parameters())[1].fill_(float("nan"))
    with pytest.raises(DivergedError, match=r"^stage 1 diverged at step \d+ in tasks \[4\]: their ") as err:
        group.run()
    assert "checkpoints and the saved state written before it are kept" in str(err.value)
    assert "\n" not in str(err.value) and err.value.exit_code == 3
    assert read_tree(tmp_path / "data") == written and group.resume_path.read_bytes() == state


def test_a_state_only_resumes_its_own_tasks(tmp_path):
    from rlkit.behaviour.generate import TaskGroup, train_segment

    spec = point_spec(tmp_path)
    state = train_segment(spec, 2).state
    group = TaskGroup(spec, [3], "off")
    with pytest.raises(UserError, match=r"holds part-trained tasks \[2\], and this run groups tasks \[3\]"):
        group.restore(state)
    other = load_sac_config("tiny_point", ["seed=4"]).schedule
    group = TaskGroup(dataclasses.replace(spec, sched=other), [2], "off")
    with pytest.raises(UserError, match=r"tasks \[2\] part-trained with other settings \(schedule.seed: 0 -> 4\)"):
        group.restore(state)
    group = TaskGroup(spec, [2], "off")
    older = dict(state, settings={k: v for k, v in state["settings"].items() if k != "seeding"})  # before the record
    with pytest.raises(UserError, match=rf"part-trained with other settings \(seeding: 1 -> {SEEDING_VERSION}\)"):
        group.restore(older)


def test_a_state_saved_on_the_other_device_type_resumes_with_reseeded_generators(tmp_path, capsys):
    """A CUDA group's generator states (Philox, 16 bytes) cannot go into CPU generators: restored on the CPU, every
    task's generator is seeded alike from stream device_change at the state's step, and a line says so."""
    from rlkit.behaviour.generate import TaskGroup, train_segment
    from rlkit.seeding import STREAMS, stream_seed

    spec = point_spec(tmp_path)
    state = train_segment(spec, 2).state
    state["generators"] = [torch.zeros(16, dtype=torch.uint8) for _ in state["generators"]]  # as CUDA saves them
    group = TaskGroup(spec, [2], "off")
    capsys.readouterr()
    group.restore(state)
    assert capsys.readouterr().out.strip() == (
        f"tasks 2..2: resumed on cpu at step {state['step']}, their torch generators reseeded "
        "(their saved states are another device's)"
    )
    want = torch.Generator().manual_seed(stream_seed(0, "device_change", STREAMS["behaviour_noise"].id, state["step"]))
    assert torch.equal(group.gens.gens[0].get_state(), want.get_state())
    group.begin()
    group.run(stop_after_checkpoint=True)
    assert group.step > state["step"]  # and it trains on


@contextlib.contextmanager
def _threads(n: int):
    """torch's thread count n inside, as before after."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


CPU = torch.backends.cpu.get_cpu_capability()  # ATen's CPU capability here, which stage 1 records with the threads


def test_a_state_record_of_before_the_thread_count_is_compared_on_its_device_and_capture_alone():
    """`_ran_alike`: a stage-1 state saved before 2026-12-06 records "cpu, capture off" without threads and CPU; it
    ran alike when this run's record begins with it, and not when its device or capture differs (an old record on
    another device is still said to be one, not taken as alike because it lacks the thread count)."""
    from rlkit.behaviour.generate import _ran_alike

    now = "cpu, capture off, 1 thread, AVX2"
    assert _ran_alike(now, now) and _ran_alike("cpu, capture off", now)
    assert not _ran_alike("cuda:0, captured", now) and not _ran_alike("cpu, capture off, 2 threads, AVX2", now)


def test_a_state_saved_with_another_capture_setting_resumes_and_says_so(tmp_path, capsys):
    """Captured and eager updates agree to float rounding, not bit for bit: a group resumed with the other
    setting (or on the other device, or another thread count) trains on, with one line naming both."""
    from rlkit.behaviour.generate import TaskGroup, train_segment

    spec = point_spec(tmp_path)
    with _threads(1):
        state = train_segment(spec, 2).state
        assert state["ran_on"] == f"cpu, capture off, 1 thread, {CPU}"
        group = TaskGroup(spec, [2], "off")
        capsys.readouterr()
        group.restore(state)
        assert capsys.readouterr().out == ""  # the same: nothing to say
        group.restore(
            dict(state, ran_on=f"cpu, capture on (static buffers; no CUDA graph on the CPU), 1 thread, {CPU}")
        )
        assert capsys.readouterr().out.strip() == (
            f"tasks 2..2: resumed on cpu at step {state['step']}, trained on cpu, capture on (static buffers; no CUDA "
            f"graph on the CPU), 1 thread, {CPU}, now cpu, capture off, 1 thread, {CPU}"
        )
    with _threads(2):
        group = TaskGroup(spec, [2], "off")
        capsys.readouterr()
        group.restore(state)
        assert capsys.readouterr().out.strip() == (
            f"tasks 2..2: resumed on cpu at step {state['step']}, trained on cpu, capture off, 1 thread, {CPU}, now "
            f"cpu, capture off, 2 threads, {CPU}"
        )
        # saved before the threads and CPU were recorded: the same device and capture, nothing said or added
        group.restore(dict(state, ran_on="cpu, capture off", trained_on=["cpu, capture off"]))
        assert capsys.readouterr().out == "" and group.trained_on == ["cpu, capture off"]
    older = {k: v for k, v in state.items() if k not in ("ran_on", "trained_on")}  # saved before the records
    group.restore(older)
    assert capsys.readouterr().out == ""  # nothing said


def test_task_json_records_each_device_and_capture_setting_the_task_trained_with(tmp_path):
    """Data trained on CUDA is not the CPU data of the same seed, nor is data trained on 1 thread that of 2 (the
    matrix products split their sums otherwise): task.json names where its task trained, one entry more for a
    resume on another device, capture setting or thread count."""
    from rlkit.behaviour.generate import TaskGroup, train_segment

    spec = point_spec(tmp_path)
    one = f"cpu, capture off, 1 thread, {CPU}"
    with _threads(1):
        state = train_segment(spec, 2).state
        assert state["trained_on"] == [one]
        assert read_task_meta(task_dir(tmp_path, 2))["trained_on"] == [one]
        cuda = f"cuda:0, capture on (CUDA graph), 1 thread, {CPU}"
        group = TaskGroup(spec, [2], "off")
        group.restore(dict(state, ran_on=cuda, trained_on=[cuda]))
        group.begin()
        group.run(stop_after_checkpoint=True)
        assert read_task_meta(task_dir(tmp_path, 2))["trained_on"] == [cuda, one]
        assert group.state()["trained_on"] == [cuda, one]
    with _threads(2):  # resumed on 2 threads
        saved, group = group.state(), TaskGroup(spec, [2], "off")
        group.restore(saved)
        group.begin()
        group.run(stop_after_checkpoint=True)
        assert read_task_meta(task_dir(tmp_path, 2))["trained_on"] == [cuda, one, f"cpu, capture off, 2 threads, {CPU}"]
    with _threads(1):  # (on this process's threads, whatever an earlier test of this worker left them at)
        group.restore({k: v for k, v in state.items() if k != "trained_on"})  # saved before the record: its ran_on
        assert group.trained_on == [one]


def test_complete_data_of_other_settings_is_refused(tmp_path):
    """task.json records what a task was trained with: complete tasks written with other SAC or env settings,
    another derivation of the random streams (`rlkit.seeding`; a task.json without the record: version 1) or
    networks saved where this run saves none (or the reverse) are refused, so that a dataset never mixes two
    kinds of behaviour data."""
    from rlkit.behaviour.generate import pending_tasks
    from rlkit.data.meta import write_task_meta

    spec = point_spec(tmp_path)
    train_task_group(spec, [1], "off")
    settings = spec.settings()
    meta = read_task_meta(task_dir(tmp_path, 1))
    assert meta["seeding"] == SEEDING_VERSION and pending_tasks(tmp_path, [0, 1], settings) == [0]
    changes = {
        "seeding": (lambda m: m.pop("seeding"), f"seeding: 1 -> {SEEDING_VERSION}"),
        "sac": (lambda m: m["sac"].update(batch_size=16), "sac.batch_size: 16 -> "),
        "env_params": (
            lambda m: m["env_params"].update(max_episode_steps=50),
            "env_params.max_episode_steps: 50 -> 20",
        ),
        "networks": (lambda m: m.update(saved_networks=False), "save_networks: false -> true"),
    }
    for name, (change, said) in changes.items():
        changed = json.loads(json.dumps(meta))
        change(changed)
        write_task_meta(task_dir(tmp_path, 1), changed)
        with pytest.raises(UserError) as e:
            pending_tasks(tmp_path, [0, 1], settings)
        assert "goal_idx1' holds complete data written with other settings (" in str(e.value), name
        assert said in str(e.value) and "; set another algo_params.data_dir in the config, or remove" in str(e.value)


def test_a_complete_task_missing_a_checkpoint_file_or_with_one_cut_short_is_refused(tmp_path):
    """A task marked complete whose step file is gone, cut short or empty was counted complete ("1 already complete,
    0 to train") though meta-training refuses it: stage 1 names the file instead, and trains nothing."""
    from rlkit.behaviour.generate import pending_tasks

    spec = point_spec(tmp_path)
    train_task_group(spec, [1], "off")
    settings, step = spec.settings(), read_task_meta(task_dir(tmp_path, 1))["checkpoints"][-1]
    path = task_dir(tmp_path, 1) / f"step{step}.npz"
    whole = path.read_bytes()
    for name, damage, said in [
        ("gone", path.unlink, "is missing, though its task is marked complete"),
        ("cut", lambda: path.write_bytes(whole[:500]), "is not a whole npz file, though its task is marked complete"),
        ("empty", lambda: path.write_bytes(b""), "is not a whole npz file"),
    ]:
        damage()
        with pytest.raises(UserError, match="removing .*goal_idx1' trains the task again$") as e:
            pending_tasks(tmp_path, [0, 1], settings)
        assert f"step{step}.npz' {said}" in str(e.value), name
        path.write_bytes(whole)
    assert pending_tasks(tmp_path, [0, 1], settings) == [0]


def test_parts_of_one_dataset_trained_with_other_settings_are_refused(tmp_path):
    """Two --split parts with different settings (a re-submitted array job with another override) made one mixed
    dataset that nothing flagged: a part compared its own tasks only. The other parts' tasks, complete or still
    training, are compared too."""
    from rlkit.behaviour.generate import pending_tasks
    from rlkit.data.meta import write_task_meta

    spec = point_spec(tmp_path)
    train_task_group(spec, [4], "off")
    settings = spec.settings()
    assert pending_tasks(tmp_path, [0, 1, 2], settings) == [0, 1, 2]  # the other part's task 4: the same settings
    meta = read_task_meta(task_dir(tmp_path, 4))
    for complete in (True, False):  # finished, or still training (its task.json is written as it begins)
        write_task_meta(
            task_dir(tmp_path, 4), dict(meta, seed=7, complete=complete, sac=dict(meta["sac"], batch_size=64))
        )
        with pytest.raises(
            UserError, match=r"goal_idx4' holds .*written with other settings \(.*sac\.batch_size: 64 ->"
        ):
            pending_tasks(tmp_path, [0, 1, 2], settings)
    older = {k: v for k, v in meta.items() if k not in ("sac", "saved_networks")}  # a task.json without those records
    write_task_meta(task_dir(tmp_path, 4), older)
    assert pending_tasks(tmp_path, [0, 1, 2], settings) == [0, 1, 2]  # (they were 'sac: null -> {...}' differences)
    (task_dir(tmp_path, 5)).mkdir()  # a part that has only taken its lock: nothing recorded yet, nothing to compare
    write_task_meta(task_dir(tmp_path, 4), meta)
    assert pending_tasks(tmp_path, [0, 1, 2], settings) == [0, 1, 2]


def test_parts_beginning_in_the_same_instant_with_other_settings_are_refused(tmp_path):
    """A task.json records its settings only as its group begins: a --split part of other settings that began in
    the same instant as another (a Slurm array re-submitted with an override, every element at once) saw nothing
    and trained, making one mixed dataset. The first part to begin records the settings for the dataset, created
    once and whole; a part of other settings is then refused before it writes anything, one of the same ones
    trains."""
    from rlkit.behaviour.generate import generate_dataset, group_settings

    env_params = {"n_tasks": 6, "max_episode_steps": 20}
    data = tmp_path / "point-robot"
    first = load_sac_config("tiny_point", [])  # part 0 has begun: recorded the settings, no task.json yet
    data.mkdir()
    (data / "stage1_settings.json").write_text(
        json.dumps(group_settings("point-robot", env_params, first.schedule, first.sac, first.save_networks))
    )
    other = load_sac_config("tiny_point", ["agent.params.batch_size=16"])
    with pytest.raises(UserError) as e:
        generate_dataset("point-robot", env_params, data, [3, 4, 5], "tiny_point", other, torch.device("cpu"), "off")
    said = str(e.value)
    assert "stage1_settings.json' records other stage-1 settings for this dataset (sac.batch_size: " in said
    assert "-> 16): expected this run's settings for every task of a dataset (every --split part alike)" in said
    assert "\n" not in said and sorted(p.name for p in data.iterdir()) == ["stage1_settings.json"]
    generate_dataset("point-robot", env_params, data, [3], "tiny_point", first, torch.device("cpu"), "off")
    assert read_task_meta(task_dir(data, 3))["complete"]


def test_the_dataset_settings_are_created_once_and_whole(tmp_path, monkeypatch):
    """`create_once`: of two processes creating the file in the same instant (both saw none), the second keeps the
    first one's text and leaves no temporary file; `claim_dataset_settings` records this run's settings in a new
    dataset and accepts them again."""

    from rlkit.behaviour.generate import claim_dataset_settings, group_settings
    from rlkit.fileio import create_once

    path = tmp_path / "d" / "settings.json"
    assert create_once(path, "first") and path.read_text() == "first"
    assert not create_once(path, "second")
    monkeypatch.setattr(Path, "exists", lambda self: False)  # the second process checked before the first linked
    assert not create_once(path, "second")
    monkeypatch.undo()
    assert path.read_text() == "first" and sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]
    behaviour = load_sac_config("tiny_point", [])
    settings = group_settings("point-robot", {"n_tasks": 6}, behaviour.schedule, behaviour.sac, True)
    claim_dataset_settings(tmp_path / "data", settings)
    claim_dataset_settings(tmp_path / "data", settings)
    assert json.loads((tmp_path / "data" / "stage1_settings.json").read_text()) == settings
    # a part of other settings is refused, save_networks included (the file records it under its own name)
    for other, diff in [({"save_networks": False}, "save_networks: true -> false"), ({"seeding": 1}, "seeding: ")]:
        with pytest.raises(UserError, match=rf"records other stage-1 settings for this dataset \({diff}"):
            claim_dataset_settings(tmp_path / "data", {**settings, **other})


def test_a_refused_stage_1_leaves_no_empty_task_folders(tmp_path):
    """Taking the tasks' locks created goal_idx{i}/ for every task of the part; a run then refused (a complete
    task of other settings) left those folders empty behind it, and a fresh data_dir empty too."""
    from rlkit.behaviour.generate import generate_dataset
    from rlkit.data.meta import write_task_meta

    behaviour = load_sac_config("tiny_point", [])
    env_params = {"n_tasks": 6, "max_episode_steps": 20}
    data = tmp_path / "data"
    train_task_group(
        Stage1Spec("point-robot", env_params, behaviour.schedule, behaviour.sac, data, torch.device("cpu")), [1]
    )
    meta = read_task_meta(task_dir(data, 1))
    write_task_meta(task_dir(data, 1), {**meta, "env_params": {**meta["env_params"], "n_tasks": 5}})
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    with pytest.raises(UserError, match="goal_idx1' holds complete data written with other settings"):
        generate_dataset("point-robot", env_params, data, [0, 1, 2, 3], "tiny_point", behaviour, torch.device("cpu"))
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before
    fresh = tmp_path / "fresh" / "point-robot"
    with pytest.raises(UserError, match="other settings"):
        with contextlib.ExitStack() as stack:
            stack.enter_context(lock_tasks(fresh, [0, 1]))
            raise UserError("other settings")
    assert not (tmp_path / "fresh").exists()


def test_a_damaged_stage_1_state_is_one_line_before_anything_trains(tmp_path):
    from rlkit.behaviour.generate import generate_dataset, resume_file

    behaviour = load_sac_config("tiny_point", ["tasks_per_group=2"])
    env_params = {"n_tasks": 6, "max_episode_steps": 20}
    state = resume_file(tmp_path, [0, 1])
    state.parent.mkdir(parents=True)
    for content in [b"", b"garbage", b"PK\x03\x04 cut"]:
        state.write_bytes(content)
        with pytest.raises(UserError, match=r"tasks0-1.pt' is truncated or unreadable \(\w+\): expected a stage-1 st"):
            generate_dataset("point-robot", env_params, tmp_path, [0, 1], "tiny_point", behaviour, torch.device("cpu"))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["stage1_resume"]


def test_a_kill_while_a_group_is_marked_complete_resumes_to_the_same_files(tmp_path, monkeypatch):
    """`finish` marks the group's tasks complete one by one, then drops its saved state: a kill between two of
    those writes (or before the drop) leaves complete tasks beside the state of their whole group, which a rerun
    resumes and finishes, to the files of an uninterrupted run."""
    from rlkit.behaviour.generate import RESUME_DIR, TaskGroup, generate_dataset, group_settings, pending_tasks

    behaviour = load_sac_config("tiny_point", [])
    env_params = {"n_tasks": 6, "max_episode_steps": 20}

    def run(data):
        generate_dataset(
            "point-robot", env_params, data, [0, 1, 2], "tiny_point", behaviour, torch.device("cpu"), "off"
        )

    run(tmp_path / "plain")
    write_meta = TaskGroup._write_meta

    def killed_at_task_1(self, i, complete):
        if complete and i == 1:
            raise KeyboardInterrupt("killed")
        write_meta(self, i, complete)

    monkeypatch.setattr(TaskGroup, "_write_meta", killed_at_task_1)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "killed")
    monkeypatch.setattr(TaskGroup, "_write_meta", write_meta)
    assert read_task_meta(task_dir(tmp_path / "killed", 0))["complete"]
    assert (tmp_path / "killed" / RESUME_DIR).is_dir()
    settings = group_settings("point-robot", env_params, behaviour.schedule, behaviour.sac, True)
    assert pending_tasks(tmp_path / "killed", [0, 1, 2], settings) == [0, 1, 2]
    # Ray's segments never read the saved state: for them task 0 is complete (else every rerun retrained it)
    assert pending_tasks(tmp_path / "killed", [0, 1, 2], settings, resumes=False) == [1, 2]
    run(tmp_path / "killed")
    assert not (tmp_path / "killed" / RESUME_DIR).exists()
    _same_data(tmp_path / "plain", tmp_path / "killed")


def test_a_schedule_without_an_episode_end_for_a_checkpoint_is_refused(tmp_path):
    """num_seed_steps=290 passes the settings' own check (290 < 299), but the 20-step episodes end at 280 and
    300: no checkpoint could come, so the group refuses to start; and a group that ends without a checkpoint
    (episodes cut short elsewhere) leaves its tasks incomplete."""

    env_params = {"n_tasks": 6, "max_episode_steps": 20}
    late = load_sac_config("tiny_point", ["num_seed_steps=290"])
    with pytest.raises(
        UserError,
        match=r"num_seed_steps=290, eval_frequency=100, num_train_steps=300: no "
        r"checkpoint would come, expected an end of the env's 20-step episodes at a step s",
    ):
        TaskGroup(
            Stage1Spec("point-robot", env_params, late.schedule, late.sac, tmp_path, torch.device("cpu")), [0], "off"
        )
    assert not task_dir(tmp_path, 0).exists()
    plain = load_sac_config("tiny_point", [])
    group = TaskGroup(
        Stage1Spec("point-robot", env_params, plain.schedule, plain.sac, tmp_path, torch.device("cpu")), [0, 1], "off"
    )
    group.begin()
    with pytest.raises(UserError, match=r"tasks \[0, 1\] took no checkpoint in 300 steps .*they stay incomplete"):
        group.finish()
    assert not read_task_meta(task_dir(tmp_path, 1))["complete"]


def test_a_task_without_a_checkpoint_does_not_hold_back_the_rest_of_its_group(tmp_path):
    """Of a group that ends with one task lacking a checkpoint, the others are marked complete and the saved state
    is dropped (a rerun from it would train to the same end); the error names both."""
    from rlkit.behaviour.generate import TaskGroup, resume_file

    plain = load_sac_config("tiny_point", [])
    group = TaskGroup(
        Stage1Spec(
            "point-robot",
            {"n_tasks": 6, "max_episode_steps": 20},
            plain.schedule,
            plain.sac,
            tmp_path,
            torch.device("cpu"),
        ),
        [0, 1],
        "off",
    )
    group.resume_path = resume_file(tmp_path, [0, 1])
    group.resume_path.parent.mkdir(parents=True, exist_ok=True)
    group.resume_path.write_bytes(b"a saved state")
    group.begin()
    assert not group.run()
    group.checkpoints[1] = []  # as if task 1's episodes had ended away from every checkpoint step
    with pytest.raises(
        UserError, match=r"tasks \[1\] took no checkpoint .*stay incomplete .*tasks \[0\] of their group are"
    ):
        group.finish()
    assert read_task_meta(task_dir(tmp_path, 0))["complete"] and not read_task_meta(task_dir(tmp_path, 1))["complete"]
    assert not group.resume_path.exists()


def test_a_saved_state_holds_the_replay_rows_it_has_not_the_whole_buffer():
    """`TaskReplay.state` of 2 tasks holding 3 rows of a 10,000-row buffer: torch.save writes those rows (a slice
    of a CPU tensor is a view of its whole storage, which torch.save writes whole)."""
    import io

    from rlkit.behaviour.generate import TaskReplay
    from tests.test_behaviour_outputs import add_marked_row

    replay = TaskReplay(2, 10_000, 3, 2, torch.device("cpu"))
    for i in range(3):
        add_marked_row(replay, i)
    buf = io.BytesIO()
    torch.save(replay.state(), buf)
    assert buf.tell() < 20_000  # 2 x 3 rows of 9 floats, and the file's own structure; whole buffers: 720 kB
    again = TaskReplay(2, 10_000, 3, 2, torch.device("cpu"))
    buf.seek(0)
    again.restore(torch.load(buf, weights_only=True))
    assert all(torch.equal(again.data[k], replay.data[k]) for k in replay.data) and again.size == 3


def test_curves_skip_a_task_still_training(tmp_path):
    """`curves --config` while stage 1 runs: a task folder without task.json yet (locked, not trained) is skipped,
    as it is without --config (it raised KeyError 'env_name')."""
    from rlkit.behaviour.curves import oracle_returns

    params = {"n_tasks": 6, "max_episode_steps": 20}
    train_task_group(
        Stage1Spec(
            "point-robot",
            params,
            load_sac_config("tiny_point", []).schedule,
            load_sac_config("tiny_point", []).sac,
            tmp_path,
            torch.device("cpu"),
        ),
        [0],
    )
    task_dir(tmp_path, 1).mkdir()
    (task_dir(tmp_path, 1) / ".lock").write_text("")
    assert list(oracle_returns(tmp_path, params)) == [0]


def test_curves_drawn_while_stage_1_runs_say_which_tasks_are_not_complete(tmp_path):
    """`curves` during stage 1 drew the tasks trained so far, as far as they were, and said nothing: a later look at
    the csv or the figure took them for the finished data."""
    from click.testing import CliRunner

    from rlkit.data.__main__ import main
    from rlkit.data.meta import write_task_meta

    params, behaviour = {"n_tasks": 6, "max_episode_steps": 20}, load_sac_config("tiny_point", [])
    train_task_group(
        Stage1Spec("point-robot", params, behaviour.schedule, behaviour.sac, tmp_path, torch.device("cpu")), [0, 3]
    )
    result = CliRunner().invoke(main, ["curves", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0 and "note:" not in result.output
    meta = read_task_meta(task_dir(tmp_path, 3))
    write_task_meta(task_dir(tmp_path, 3), dict(meta, complete=False))  # as while it trains
    result = CliRunner().invoke(main, ["curves", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0 and result.output.strip().splitlines()[-1] == (
        "note: tasks [3] are not complete (still training, or interrupted): their curves end at the last checkpoint "
        "written so far"
    )


def test_a_state_saved_without_networks_does_not_resume_with_them():
    """The saved networks come at every checkpoint or at none: a state of a run without them resumed with them
    would write a task.json claiming networks its first checkpoints lack (and the reverse). A state saved before
    the record resumes either way."""
    from rlkit.behaviour.generate import check_resumable, group_settings

    behaviour = load_sac_config("tiny_point", [])
    saved = group_settings("point-robot", {"n_tasks": 6}, behaviour.schedule, behaviour.sac, False)
    wanted = dict(saved, save_networks=True)
    with pytest.raises(UserError, match=r"part-trained with other settings \(save_networks: false -> true\)"):
        check_resumable({"tasks": [0], "settings": saved}, [0], wanted, "the state")
    older = {k: v for k, v in saved.items() if k != "save_networks"}
    check_resumable({"tasks": [0], "settings": older}, [0], wanted, "the state")


def _same_data(a, b):
    """Two datasets hold the same files with the same bytes (task.json but for when it was written)."""
    from rlkit.fileio import read_tree

    ta, tb = read_tree(a), read_tree(b)
    assert ta.keys() == tb.keys()
    for name in ta:
        if name.endswith("task.json"):
            ma, mb = json.loads(ta[name]), json.loads(tb[name])
            ma.pop("written"), mb.pop("written")
            assert ma == mb, name
        else:
            assert ta[name] == tb[name], name


def test_a_group_stopped_mid_episode_resumes_exactly(tmp_path):
    """Two cheetah tasks in lockstep, stopped at step 105 (mid-episode: episodes are 30 steps, their starts
    drawn from each env's generator), their state saved and loaded as torch.save/weights_only and restored
    into a new group, write the same files as the group trained in one go: the episodes under way are
    rebuilt by replaying their actions."""
    import io

    behaviour = load_sac_config("tiny_mujoco", ["num_train_steps=200", "eval_frequency=60", "num_seed_steps=50"])
    sched, sac = behaviour.schedule, behaviour.sac
    params, cpu = {"n_tasks": 3, "max_episode_steps": 30}, torch.device("cpu")
    train_task_group(Stage1Spec("cheetah-vel", params, sched, sac, tmp_path / "plain", cpu), [0, 2], "off")
    first = TaskGroup(Stage1Spec("cheetah-vel", params, sched, sac, tmp_path / "resumed", cpu), [0, 2], "off")
    first.begin()
    assert first.run(stop_at_step=105)
    buf = io.BytesIO()
    torch.save(first.state(), buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    assert [len(e["actions"]) for e in state["episodes"]] == [15, 15]
    second = TaskGroup(Stage1Spec("cheetah-vel", params, sched, sac, tmp_path / "resumed", cpu), [0, 2], "off")
    second.restore(state)
    second.train()
    _same_data(tmp_path / "plain", tmp_path / "resumed")


def test_a_state_saved_before_the_update_sums_were_kept_resumes_with_whole_windows_only(tmp_path):
    """A state of before losses.csv (no `update_sums`, no `losses`) resumes; the task's losses.csv then holds only
    the rows whose whole window came after the resume, each the uninterrupted run's row: not checkpoint 200's,
    whose window began before it (a short row would pass for a whole one). And `state()` is a copy: training on
    after it does not change the sums it holds."""
    behaviour = load_sac_config("tiny_point", ["num_train_steps=400"])
    sched, sac = behaviour.schedule, behaviour.sac
    params, cpu = {"n_tasks": 6, "max_episode_steps": 20}, torch.device("cpu")
    train_task_group(Stage1Spec("point-robot", params, sched, sac, tmp_path / "plain", cpu), [1], "off")
    first = TaskGroup(Stage1Spec("point-robot", params, sched, sac, tmp_path / "resumed", cpu), [1], "off")
    first.begin()
    assert first.run(stop_at_step=150)
    state = first.state()
    saved = state["update_sums"].clone()
    first.run(stop_at_step=170)
    assert torch.equal(state["update_sums"], saved) and not torch.equal(first.records.sums, saved)
    del state["update_sums"], state["losses"]
    second = TaskGroup(Stage1Spec("point-robot", params, sched, sac, tmp_path / "resumed", cpu), [1], "off")
    second.restore(state)
    second.train()
    plain, resumed = (task_dir(tmp_path / d, 1) / "losses.csv" for d in ("plain", "resumed"))
    rows = plain.read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["100", "200", "300"]
    assert resumed.read_text().splitlines() == [rows[0], rows[3]]


def test_a_replay_that_does_not_rebuild_the_episode_is_refused(tmp_path):

    behaviour = load_sac_config("tiny_point", [])
    sched, sac = behaviour.schedule, behaviour.sac
    params, cpu = {"n_tasks": 6, "max_episode_steps": 20}, torch.device("cpu")
    group = TaskGroup(Stage1Spec("point-robot", params, sched, sac, tmp_path, cpu), [1], "off")
    group.begin()
    group.run(stop_at_step=30)
    state = group.state()
    state["episodes"][0]["actions"][3] += 0.01  # not the actions that led to the saved observation
    again = TaskGroup(Stage1Spec("point-robot", params, sched, sac, tmp_path, cpu), [1], "off")
    again.restore(state)
    with pytest.raises(UserError, match="replaying its episode \\(10 steps\\) gave another observation"):
        again.begin()


def _policy_train(work, *extra, in_process=False, **popen):
    """policy_train.py on the tiny config in a child process (`popen`: started, not waited for), or in this one."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT, TINY_CONFIG, python_path, run_here

    args = [
        str(ROOT / "policy_train.py"),
        "--config",
        str(TINY_CONFIG),
        "--sac_config",
        "tiny_point",
        "--no-progress",
        *extra,
    ]
    if in_process:
        return run_here(args, cwd=work, check=False)
    env = dict(os.environ, PYTHONPATH=python_path(), OMP_NUM_THREADS="1")
    if popen:
        return subprocess.Popen([sys.executable, *args], cwd=work, env=env, **popen)
    return subprocess.run([sys.executable, *args], cwd=work, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_stage1_killed_at_any_moment_resumes_to_the_same_files(tmp_path):
    """SIGKILL of stage 1 after its group saved a state (`stage1_resume/`), then a rerun: the same files
    as an uninterrupted run, and the rerun starts from the saved step, not from step 0."""
    import signal
    import subprocess
    import time

    (tmp_path / "plain").mkdir(), (tmp_path / "killed").mkdir()
    overrides = ["num_train_steps=700", "eval_frequency=100"]
    assert _policy_train(tmp_path / "plain", *overrides, in_process=True).returncode == 0  # (what is killed: a child)
    data = tmp_path / "killed" / "offline_dataset" / "point-robot-tiny"
    proc = _policy_train(tmp_path / "killed", *overrides, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list((data / "stage1_resume").glob("*.pt")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    time.sleep(0.3)  # somewhere between two checkpoints (or inside the writing of one)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (data / "stage1_resume").is_dir(), "killed before the first save: nothing to test"
    rerun = _policy_train(tmp_path / "killed", *overrides, in_process=True)
    assert rerun.returncode == 0, rerun.stderr
    assert "resuming tasks 0..5 at step " in rerun.stdout and "at step 0" not in rerun.stdout
    assert not (data / "stage1_resume").exists()  # dropped once the group is complete
    _same_data(tmp_path / "plain" / "offline_dataset" / "point-robot-tiny", data)


@pytest.mark.slow
def test_a_second_stage1_process_on_the_same_tasks_is_refused(tmp_path):
    """A task folder being written by a live process (its lock) is refused, one line, exit 2, nothing written;
    another --split part of the same dataset folder is not held up."""
    from rlkit.fileio import FolderLock

    data = tmp_path / "offline_dataset" / "point-robot-tiny"
    with FolderLock(data / "goal_idx4", "busy"):  # held by this (live) test process
        proc = _policy_train(tmp_path, "--split", "2", "--split_idx", "1")
        assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0, proc.stderr
        assert "goal_idx4' is being written by another stage-1 process (pid" in proc.stderr
        assert not (data / "goal_idx3").exists() or not list((data / "goal_idx3").glob("step*"))
        other = _policy_train(tmp_path, "--split", "2", "--split_idx", "0", "num_train_steps=200")
        assert other.returncode == 0, other.stderr
    assert not list(data.glob("goal_idx*/.lock"))


@pytest.mark.slow
def test_a_saved_state_of_other_settings_or_another_grouping_is_refused(tmp_path):
    from rlkit.behaviour.generate import TaskGroup, resume_file

    behaviour = load_sac_config("tiny_point", [])
    sched, sac = behaviour.schedule, behaviour.sac
    data = tmp_path / "offline_dataset" / "point-robot-tiny"
    group = TaskGroup(
        Stage1Spec(
            "point-robot",
            {"n_tasks": 6, "max_episode_steps": 20, "randomize_tasks": 0},
            sched,
            sac,
            data,
            torch.device("cpu"),
        ),
        list(range(6)),
        "off",
    )
    group.begin()
    group.run(stop_at_step=120)
    resume_file(data, group.tasks).parent.mkdir(parents=True)
    torch.save(group.state(), resume_file(data, group.tasks))
    proc = _policy_train(tmp_path, "seed=3", in_process=True)
    assert proc.returncode == 2 and "part-trained with other settings (schedule.seed: 0 -> 3)" in proc.stderr, (
        proc.stderr
    )
    proc = _policy_train(tmp_path, "tasks_per_group=3", in_process=True)
    assert (
        proc.returncode == 2
        and "holds part-trained tasks [0, 1, 2, 3, 4, 5], and this run groups tasks [0, 1, 2]" in proc.stderr
    ), proc.stderr
    assert resume_file(data, group.tasks).is_file()  # kept: the user decides


@pytest.mark.slow
@pytest.mark.parametrize(
    "override,expected",
    [
        ("agent.params.batch_size=0", "SAC setting agent.params.batch_size=0: expected a whole number >= 1"),
        ("num_eval_sample_episodes=0", "SAC setting num_eval_sample_episodes=0: expected a whole number >= 1"),
        ("num_seed_steps=400", "SAC setting num_seed_steps=400: expected < num_train_steps - 1 = 299"),
        ("seed=-1", "SAC setting seed=-1: expected a whole number in [0, 4294967295]"),
        ("agent.params.critic_lr=inf", "SAC setting agent.params.critic_lr=inf: expected a finite number in (0, 1]"),
    ],
)
def test_stage1_value_that_gives_useless_data_is_one_line_and_writes_nothing(tmp_path, override, expected):
    """Through policy_train.py: exit 2, one line naming the key, the value and the range, no dataset folder."""
    from tests.conftest import ROOT, TINY_CONFIG, run_here

    proc = run_here(
        [
            str(ROOT / "policy_train.py"),
            "--config",
            str(TINY_CONFIG),
            "--sac_config",
            "tiny_point",
            "--no-progress",
            override,
        ],
        cwd=tmp_path,
        check=False,
    )
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

    from rlkit.behaviour.settings import SAC_RANGES, SAC_REAL_NUMBERS, check_sac_config, compose_sac_config

    base = compose_sac_config("tiny_point", [])
    for key, spec in SAC_RANGES.items():
        whole = key not in SAC_REAL_NUMBERS
        bad = _out_of_range(spec, whole) + ([1.5, True] if whole else ["x"])
        for value in bad:
            cfg = base.copy()
            OmegaConf.update(cfg, key, [value, value] if key.endswith("_betas") else value)
            with pytest.raises(UserError, match=rf"^SAC setting {key}=.*: expected "):
                check_sac_config(cfg)
    for key, value in [
        ("agent.params.discount", 1.0),
        ("agent.params.critic_tau", 1.0),
        ("agent.params.critic_lr", 1.0),
        ("num_eval_episodes", 0),
        ("agent.params.actor_betas", [0.0, 0.0]),
        ("seed", 4294967295),
    ]:
        cfg = base.copy()
        OmegaConf.update(cfg, key, value)
        check_sac_config(cfg)


@pytest.mark.parametrize(
    "overrides,match",
    [
        (
            ["diag_gaussian_actor.params.log_std_bounds=[2,-5]"],
            r"log_std_bounds=\[2, -5\]: expected two finite numbers",
        ),
        (["diag_gaussian_actor.params.log_std_bounds=[-inf,2]"], r"log_std_bounds=\[-inf, 2\]: expected two finite"),
        # a number, or null: its own line (was "bad SAC override ...: Input cfg is not an OmegaConf config object")
        (
            ["diag_gaussian_actor.params.log_std_bounds=5"],
            r"^SAC setting diag_gaussian_actor.params.log_std_bounds=5: exp",
        ),
        (["diag_gaussian_actor.params.log_std_bounds=null"], r"log_std_bounds=None: expected two finite numbers"),
        # null where the code reads a default for a key left out: refused, not taken for the default (device=null
        # trained on CUDA where there was one)
        (["device=null"], r"^SAC setting device=null: expected a value, or the key left out for its default"),
        (["save_networks=null"], r"^SAC setting save_networks=null: expected a value"),
        (["tasks_per_group=null"], r"^SAC setting tasks_per_group=null: expected a value"),
        (["num_seed_steps=299"], r"num_seed_steps=299: expected < num_train_steps - 1 = 299"),
        (["eval_frequency=300"], r"eval_frequency=300: expected < num_train_steps = 300"),
        (["save_networks=2"], r"save_networks=2: expected true or false"),
        (["agent.params.actor_betas=[0.9]"], r"actor_betas=\[0.9\]: expected a list of two"),
        (["agent.params.critic_lr=1e38"], r"critic_lr=1e\+38: expected a finite number in \(0, 1\]"),  # (a traceback)
    ],
)
def test_sac_settings_checked_together(overrides, match):
    """Bounds in order, a schedule that writes a checkpoint, a boolean, a pair."""
    with pytest.raises(UserError, match=match):
        load_sac_config("tiny_point", overrides)


def test_a_sac_count_stops_at_the_largest_torch_holds_and_a_rate_does_not():
    """An integer setting past MAX_INT is one line (it would overflow a tensor's index); MAX_INT itself is taken, and a
    real-valued setting is held to its own range only."""
    with pytest.raises(UserError, match=r"^SAC setting num_train_steps=2147483648: expected at most 2,147,483,647 "):
        load_sac_config("tiny_point", ["num_train_steps=2147483648"])
    assert load_sac_config("tiny_point", ["num_train_steps=2147483647"])
    assert load_sac_config("tiny_point", ["agent.params.init_temperature=3e9"])


def test_random_steps_up_to_two_below_the_last_are_accepted():
    """num_seed_steps = num_train_steps - 2 leaves a step between the random ones and the last for a checkpoint."""
    assert load_sac_config("tiny_point", ["num_seed_steps=298"])


def test_the_documented_example_overrides_are_accepted_by_the_default_sac_config():
    """The README's and policy_train.py's example `KEY=VALUE`s, on `train_point.yaml` (`num_train_steps=400` was
    refused there: its 2,000 random steps leave no checkpoint)."""
    import policy_train
    from tests.conftest import ROOT

    pattern = r"e\.g\. `(num_train_steps=\S+ agent\.params\.\S+)`"
    readme, doc = (re.findall(pattern, text) for text in ((ROOT / "README.md").read_text(), policy_train.__doc__))
    assert len(readme) == 1 and readme == doc, (readme, doc)  # one example, the same in both
    behaviour = load_sac_config("train_point", readme[0].split())
    assert behaviour.schedule.num_train_steps == 4000 and behaviour.sac.batch_size == 64


def test_check_calls_a_task_stopped_after_a_checkpoint_interrupted(tmp_path):
    """A task stopped after its first checkpoint (what a kill then leaves: its step file, task.json not yet
    complete) is one problem for `check`: an interrupted task that a rerun resumes."""
    from rlkit.behaviour.generate import train_segment
    from rlkit.data.check import check_dataset

    behaviour = load_sac_config("tiny_point", [])
    sched, sac = behaviour.schedule, behaviour.sac
    train_segment(
        Stage1Spec(
            "point-robot",
            {"n_tasks": 6, "max_episode_steps": 20},
            sched,
            sac,
            tmp_path,
            torch.device("cpu"),
            save_networks=False,
        ),
        2,
        None,
    )
    report = check_dataset(tmp_path)
    assert len(report.problems) == 1 and "is an interrupted stage-1 task" in report.problems[0]
    assert "checkpoints [100] written so far" in report.problems[0] and "another stage-1 run" not in report.problems[0]


def test_a_finished_group_drops_its_state_and_a_killed_write_of_it(tmp_path):
    """A SIGKILL inside the atomic write of a group's state leaves `.NAME.*.tmp` beside it; once the group is
    complete both go, and the folder with them, unless another group's state is still in it."""
    from rlkit.behaviour.generate import drop_resume_state, resume_file

    mine, other = resume_file(tmp_path, [0, 1]), resume_file(tmp_path, [2, 3])
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"state")
    (mine.parent / f".{mine.name}.abc123.tmp").write_bytes(b"half a state")
    drop_resume_state(mine)
    assert not mine.parent.exists()
    mine.parent.mkdir()
    other.write_bytes(b"state")
    (mine.parent / f".{mine.name}.xyz.tmp").write_bytes(b"half")
    drop_resume_state(mine)
    assert sorted(p.name for p in mine.parent.iterdir()) == [other.name]


def test_stage1_bootstraps_through_time_limits_samples_written_rows_and_updates_from_the_seed_steps(tmp_path):
    """pytorch_sac's rules for the behaviour SAC, which only the golden runs caught before: a time limit is not
    terminal (the point robot's episodes only truncate, every 20 steps: not_done is 1 on every row); a batch holds
    only rows written (130 of a capacity of 1000: an unwritten row has not_done 0); the first update is at step
    num_seed_steps (100) and then one per step."""

    behaviour = load_sac_config("tiny_point", ["replay_buffer_capacity=1000"])
    params = {"n_tasks": 6, "max_episode_steps": 20}
    group = TaskGroup(
        Stage1Spec("point-robot", params, behaviour.schedule, behaviour.sac, tmp_path, torch.device("cpu")), [1, 2]
    )
    updates, update = [], group.updater
    group.updater = lambda batch, key: (updates.append(group.step), update(batch, key))[1]
    group.begin()
    group.run(stop_at_step=130)
    assert updates == list(range(100, 130))
    assert group.replay.size == 130 and (group.replay.data["not_done"][:, :130] == 1).all()
    batch = group.replay.sample(4096, group.gens)
    assert (batch["not_done"] == 1).all()


def test_stage1_writes_each_termination_as_not_done_0(tmp_path):
    """pytorch_sac's done_no_max: a step at which the env terminates (a hopper that falls) is stored with not_done 0,
    every other step with 1, so that the critic does not bootstrap through a fall. The point robot never
    terminates, and the hopper test compares a task alone with the same task in a group (a replay blind to
    terminations is on both sides), so a replay that stored 1 everywhere passed every test. By hand: the
    `terminated` flags the env returned, step by step, against the replay's rows."""
    behaviour = load_sac_config("tiny_mujoco", ["num_train_steps=600", "save_networks=false"])
    params = {"n_tasks": 2, "max_episode_steps": 200}
    group = TaskGroup(
        Stage1Spec("hopper-rand-params", params, behaviour.schedule, behaviour.sac, tmp_path, torch.device("cpu")), [0]
    )
    terminated, env = [], group.envs[0]
    step = env.step

    def recorded(action):
        out = step(action)
        terminated.append(out[2])
        return out

    env.step = recorded
    group.begin()
    group.run(stop_at_step=150)
    assert len(terminated) == 150 and 0 < sum(terminated) < 150  # (random actions: the hopper falls, often)
    not_done = group.replay.data["not_done"][0, :150, 0].numpy()
    np.testing.assert_array_equal(not_done, 1.0 - np.array(terminated, dtype=not_done.dtype))


def test_stage1_stores_each_steps_transition_as_the_env_gave_it(tmp_path):
    """Each replay row of stage 1 is one env step: the observation acted on, the action given to env.step, and the
    reward and next observation it returned. Only the golden runs caught a replay storing next_obs = obs (a critic
    bootstrapping from the state it acts in) before. By hand, over 30 steps of two tasks (an episode end at step 20,
    where the next row's observation is the reset's, not the last next_obs), from env.step's own calls."""
    behaviour = load_sac_config("tiny_point", ["replay_buffer_capacity=1000"])
    params = {"n_tasks": 6, "max_episode_steps": 20}
    group = TaskGroup(
        Stage1Spec("point-robot", params, behaviour.schedule, behaviour.sac, tmp_path, torch.device("cpu")), [1, 2]
    )
    seen: list[list[tuple]] = [[], []]
    for i, env in enumerate(group.envs):

        def recorded(action, step=env.step, i=i):
            out = step(action)
            seen[i].append((np.array(action, copy=True), out[0], out[1]))
            return out

        env.step = recorded
    group.begin()
    first = group.obs.copy()
    group.run(stop_at_step=30)
    rows = {k: v[:, :30].numpy() for k, v in group.replay.data.items()}
    for i in range(2):
        actions, next_obs, rewards = (np.array([s[j] for s in seen[i]]) for j in range(3))
        np.testing.assert_allclose(rows["actions"][i], actions, rtol=1e-6)
        np.testing.assert_allclose(rows["next_obs"][i], next_obs, rtol=1e-6)
        np.testing.assert_allclose(rows["rewards"][i, :, 0], rewards, rtol=1e-6)
        np.testing.assert_allclose(rows["obs"][i, 0], first[i], rtol=1e-6)
        np.testing.assert_allclose(rows["obs"][i, 1:20], next_obs[:19], rtol=1e-6)  # (step 20 starts a new episode)
        np.testing.assert_allclose(rows["obs"][i, 21:30], next_obs[20:29], rtol=1e-6)
        assert not np.allclose(rows["obs"][i], rows["next_obs"][i])


def test_a_sac_discount_of_zero_adam_betas_of_one_and_a_seed_past_32_bits_are_refused():
    """The SAC settings are refused at their own bounds (not only where some range is enforced): discount 0 would train
    a critic of the immediate reward only, an Adam beta of 1 divides by 1 - beta^t = 0, and a seed must fit gymnasium's
    32 bits. The bounds just inside are accepted."""
    for override, said in [
        ("agent.params.discount=0", r"agent.params.discount=0: expected a finite number in \(0, 1\]"),
        (
            "agent.params.alpha_betas=[0.9,1.0]",
            r"agent.params.alpha_betas=\[0.9, 1.0\]: expected each a finite number in \[0, 1\)",
        ),
        (
            "agent.params.critic_betas=[1.0,0.999]",
            r"agent.params.critic_betas=\[1.0, 0.999\]: expected each a finite number",
        ),
        ("seed=4294967296", r"seed=4294967296: expected a whole number in \[0, 4294967295\]"),
    ]:
        with pytest.raises(UserError, match=rf"^SAC setting {said}"):
            load_sac_config("tiny_point", [override])
    ok = load_sac_config("tiny_point", ["agent.params.discount=1e-6", "agent.params.alpha_betas=[0.0,0.999]"])
    assert ok.sac.discount == 1e-6 and ok.sac.alpha_betas == (0.0, 0.999)


def test_equal_log_std_bounds_are_refused():
    """The actor's log std is squashed into [lo, hi]: with lo = hi its std could not move, so equal bounds are refused
    as reversed ones are."""
    with pytest.raises(
        UserError,
        match=r"^SAC setting diag_gaussian_actor.params.log_std_bounds=\[-2, -2\]: expected two finite numbers",
    ):
        load_sac_config("tiny_point", ["diag_gaussian_actor.params.log_std_bounds=[-2,-2]"])
    assert load_sac_config(
        "tiny_point", ["diag_gaussian_actor.params.log_std_bounds=[-2,-1.5]"]
    ).sac.log_std_bounds == (
        -2.0,
        -1.5,
    )


def test_a_state_saved_before_the_networks_record_resumes_in_a_run_without_networks():
    """`check_resumable` takes a state saved before the save_networks record as one of this run's setting, not as one of
    a run *with* networks (`theirs["save_networks"] = True`). Such a state resumes either way (test_sac's
    `test_a_state_saved_without_networks_does_not_resume_with_them`); with the slip a run with save_networks=false
    refuses to resume it, and the user is told to throw the part-trained tasks away."""
    from rlkit.behaviour.generate import check_resumable, group_settings

    behaviour = load_sac_config("tiny_point", [])
    wanted = group_settings("point-robot", {"n_tasks": 6}, behaviour.schedule, behaviour.sac, False)
    older = {k: v for k, v in wanted.items() if k != "save_networks"}
    check_resumable({"tasks": [0], "settings": older}, [0], wanted, "the state")  # no UserError


def test_a_chain_of_segments_ends_with_a_segment_that_returns_no_state(tmp_path):
    """`train_segment` returns no state after the last step (`group.state() if more else None`, not `group.state()`).
    Its doc and `Segment`'s: the state to continue from is None once the task is complete, which is how the Ray driver
    knows a task's chain has ended. With the slip every Ray task submits segments forever (each rewriting task.json as
    incomplete, then complete); test_sac's chained-segments test loops forever instead of failing, so this one bounds
    the chain: tiny_point's 300 steps are 2 checkpoints, so 3 segments."""
    from rlkit.behaviour.generate import train_segment

    spec, state, written = point_spec(tmp_path), None, []
    for _ in range(6):
        seg = train_segment(spec, 2, state)
        written.append(seg.checkpoint)
        state = seg.state
        if state is None:
            break
    if state is not None:
        pytest.fail(f"the segments still returned a state after writing {written}")
    assert written == [100, 200, None]
    assert read_task_meta(task_dir(tmp_path, 2))["complete"]


def test_networks_that_turned_non_finite_just_before_a_checkpoint_are_not_written(tmp_path):
    """`TaskGroup.run` checks the networks before it rolls out a due checkpoint (`if not finite.all():`); this guards
    against that check dropped. The step before checkpoint 100 (at step 120) task 4's target critic turns NaN: its
    update that step makes its critic and actor NaN, while the action it took was still finite. The checkpoint must be
    refused as a divergence (DivergedError, exit 3, naming task 4 and the learning rates to lower, nothing written);
    with the slip the checkpoint's rollout of the NaN policy runs, and the user gets the env's "non-finite action"
    UserError (exit 2) naming neither the task nor the cause (an env that took NaN actions would have its NaN episodes
    and networks written as behaviour data)."""
    from rlkit.errors import DivergedError
    from rlkit.fileio import read_tree

    group = TaskGroup(point_spec(tmp_path / "data"), [1, 4], "off")
    group.begin()
    assert group.run(stop_at_step=119) and group.step == 119
    written = read_tree(tmp_path / "data")
    with torch.no_grad():
        group.agent.critic_target.biases[2][1].fill_(float("nan"))  # task 4's (the group's second) target critic
    with pytest.raises(
        DivergedError, match=r"^stage 1 diverged at step 120 in tasks \[4\]: their networks are not"
    ) as err:
        group.run()
    assert "\n" not in str(err.value) and err.value.exit_code == 3
    assert str(err.value).endswith("(expected finite training: lower agent.params.critic_lr, actor_lr or alpha_lr)")
    assert read_tree(tmp_path / "data") == written
    assert not list((tmp_path / "data").glob("goal_idx*/step*"))


def test_sac_params_go_to_json_and_back_unchanged():
    """`to_dict` writes the tuples as lists (what json reads back), and `from_dict` of it gives the same, hashable
    settings again (tuples, not lists)."""
    p = _params(2)
    d = p.to_dict()
    assert d["actor_betas"] == [0.8, 0.99] and d["log_std_bounds"] == [-5.0, 2.0]
    assert d == json.loads(json.dumps(d))
    back = type(p).from_dict(json.loads(json.dumps(d)))
    assert back == p and back.alpha_betas == (0.5, 0.999) and hash(back) == hash(p)


def test_stage1_actor_weights_are_pytorch_sacs_orthogonal_draws_of_the_out_in_matrices():
    """Each stage-1 weight is `nn.init.orthogonal_` of the [out, in] matrix (as pytorch_sac's nn.Linear holds it), drawn
    layer after layer from the task's `behaviour_init` generator; an [in, out] draw is another matrix."""
    sac = load_sac_config("tiny_point", []).sac
    agent = VectorSAC(1, 3, 2, sac, seed=5, device=torch.device("cpu"))
    gen = torch_generator(5, "behaviour_init")
    sizes = [3, *[sac.actor_hidden_dim] * sac.actor_hidden_depth, 4]
    assert len(agent.actor.weights) == len(sizes) - 1
    for k, (i, o) in enumerate(zip(sizes[:-1], sizes[1:])):
        expected = torch.nn.init.orthogonal_(torch.empty(o, i), generator=gen)
        torch.testing.assert_close(agent.actor.weights[k][0].T, expected, atol=0, rtol=0)


def test_stage1_noise_is_each_tasks_own_behaviour_noise_stream_of_the_seed():
    """Every task's stage-1 draws come from stream "behaviour_noise" of the seed (the same for each task, as the
    reference's one-process-per-task SACs), not from the initialisation's stream."""
    gens = TaskGenerators(2, 7, torch.device("cpu"))
    expected = torch.randn(4, 3, generator=torch_generator(7, "behaviour_noise"))
    got = gens.randn(4, 3)
    torch.testing.assert_close(got, torch.stack([expected, expected]), atol=0, rtol=0)


def test_stage1_actor_and_critic_take_their_own_hidden_sizes():
    """The actor is `actor_hidden_depth` layers of `actor_hidden_dim`, the twin critics `critic_hidden_depth` layers of
    `critic_hidden_dim`, each from its own settings."""
    p = dataclasses.replace(
        _params(1), actor_hidden_dim=6, actor_hidden_depth=1, critic_hidden_dim=5, critic_hidden_depth=3
    )
    agent = VectorSAC(2, 3, 2, p, seed=0, device=torch.device("cpu"))
    assert [tuple(w.shape) for w in agent.actor.weights] == [(2, 3, 6), (2, 6, 4)]
    assert [tuple(w.shape) for w in agent.critic.weights] == [(4, 5, 5), (4, 5, 5), (4, 5, 5), (4, 5, 1)]


def test_each_task_bar_has_its_own_terminal_line():
    """A group's task bars sit on lines 0, 1, ... of the terminal (tqdm's `position`, kept as `-pos`); all at line 0
    they overwrite each other and the terminal shows one task's progress."""
    bars = TaskBars([3, 7, 8], total=10, mode="bars")
    try:
        assert [abs(b.pos) for b in bars.bars] == [0, 1, 2]
    finally:
        bars.close()


@pytest.mark.parametrize(
    "override, said",
    [
        ("num_seed_steps=0", "num_seed_steps=0: expected a whole number >= 1"),
        ("agent.params.critic_tau=0", "agent.params.critic_tau=0: expected a finite number in (0, 1]"),
        ("agent.params.init_temperature=0", "agent.params.init_temperature=0: expected a finite number > 0"),
        ("tasks_per_group=0", "tasks_per_group=0: expected a whole number >= 1"),
        ("agent.params.actor_lr=2", "agent.params.actor_lr=2: expected a finite number in (0, 1]"),
        ("num_eval_sample_episodes=0", "num_eval_sample_episodes=0: expected a whole number >= 1"),
    ],
)
def test_sac_values_that_would_train_nothing_or_blow_up_are_refused_at_their_own_bounds(override, said):
    """No random step before the first update (an empty replay buffer), a target rate of 0 (the target critic never
    moves), a temperature of 0 (log 0), no stochastic episode per checkpoint (what stage 2 reads by default), no task in
    a group, or a learning rate past 1 are one-line refusals. (test_sac's range test derives its bad values from
    SAC_RANGES itself, so only a bound pinned by hand catches a bound moved.)"""
    with pytest.raises(UserError) as info:
        load_sac_config("tiny_point", [override])
    assert str(info.value) == f"SAC setting {said}"


def test_a_sac_config_without_a_device_runs_on_cuda_where_available():
    """device is optional as tasks_per_group and save_networks are: a SAC config that leaves it out loads, with the
    default 'cuda' (the CUDA device when available)."""
    assert load_sac_config("train_point", ["~device"]).device == "cuda"
    assert load_sac_config("train_point", ["device=cpu"]).device == "cpu"


def test_a_sac_key_given_twice_with_hydras_prefixes_is_refused():
    """`++seed=2 seed=1` names seed twice (hydra would keep the last without a word), so the prefixes + ++ ~ are
    stripped before the keys are compared; each such pair is a one-line refusal."""
    for first, second in (("++seed=2", "seed=1"), ("seed=1", "~seed"), ("seed=1", "++seed=2")):
        with pytest.raises(
            UserError,
            match=rf"^SAC override '{re.escape(second)}' after '{re.escape(first)}': expected each key once \(seed\)$",
        ):
            load_sac_config("tiny_point", [first, second])


def test_a_sac_config_file_of_ones_own_may_end_in_yml(tmp_path):
    """A researcher's SAC file named .yml is a path, as a .yaml one is (not looked up as a name of the package's
    configs); its defaults build on the package's files."""
    mine = tmp_path / "mine.yml"
    mine.write_text("defaults:\n  - tiny_point\n  - _self_\n\nnum_train_steps: 600\n")
    schedule = load_sac_config(str(mine), ["seed=3"]).schedule
    assert (schedule.num_train_steps, schedule.seed) == (600, 3)


def test_a_sac_config_without_save_networks_saves_the_networks():
    """save_networks is optional, true where a SAC config leaves it out (--regenerate needs the networks of every
    checkpoint); the existing check of the optional keys reads tasks_per_group only."""
    assert load_sac_config("train_point", ["~save_networks"]).save_networks is True
    assert load_sac_config("train_point", ["save_networks=false"]).save_networks is False


def test_stage1_temperature_starts_at_init_temperature():
    """pytorch_sac's `log_alpha` starts at log(init_temperature): with init_temperature 0.1 every task's alpha is 0.1
    before its first update. The batched-update comparison sets log_alpha itself, so a log_alpha of
    init_temperature (alpha e^0.1 = 1.105, an entropy bonus 11 times the configured one at the start of every
    task) passed every test."""
    p = _params(1)
    assert p.init_temperature == 0.1
    agent = VectorSAC(2, 3, 2, p, seed=0, device=torch.device("cpu"))
    torch.testing.assert_close(agent.log_alpha.detach().exp().view(2), torch.full((2,), 0.1))
    agent = VectorSAC(2, 3, 2, dataclasses.replace(p, init_temperature=1.0), seed=0, device=torch.device("cpu"))
    assert torch.equal(agent.log_alpha.detach(), torch.zeros(2, 1, 1))


def test_stage1_target_critics_start_as_copies_of_the_critics():
    """pytorch_sac loads the critic's weights into its target (`critic_target.load_state_dict(critic.state_dict())`):
    every task's two target critics start equal to its two critics. The batched-update comparison overwrites the
    targets, so targets initialised on their own (the first targets r + gamma (min Q_target - alpha log pi) read
    networks the critics never were) passed every test."""
    agent = VectorSAC(3, 4, 2, _params(1), seed=0, device=torch.device("cpu"))
    critic, target = agent.critic.state_dict(), agent.critic_target.state_dict()
    assert critic.keys() == target.keys()
    for k in critic:
        assert torch.equal(critic[k], target[k]), k
    assert not any(p.requires_grad for p in agent.critic_target.parameters())


def test_stage1_seed_actions_are_uniform_in_minus_1_to_1_from_each_tasks_noise_stream():
    """The seed steps' random actions (`TaskGenerators.uniform`): U(-1, 1) in every action dimension, 2 u - 1 with u
    from stream "behaviour_noise" of the seed, as pytorch_sac's `action_space.sample()` on the [-1, 1] box. Drawn in
    [0, 1) instead (the `* 2 - 1` lost), the seed data covered half of every actuator's range and every test passed."""
    gens = TaskGenerators(2, 7, torch.device("cpu"))
    got = gens.uniform(500, 3)
    expected = torch.rand(500, 3, generator=torch_generator(7, "behaviour_noise")) * 2 - 1
    torch.testing.assert_close(got, torch.stack([expected, expected]), atol=0, rtol=0)
    assert got.min() < -0.95 and got.max() > 0.95 and abs(float(got.mean())) < 0.05


def test_stage1_acts_with_a_sample_of_its_policy_from_the_tasks_noise_stream_after_the_seed_steps(tmp_path):
    """After the seed steps stage 1 explores with its actor's tanh-Gaussian sample (pytorch_sac's `act(obs,
    sample=True)`), its noise the next draw of the task's `behaviour_noise` stream: the seed steps drew
    `num_seed_steps` uniform actions from it first. With the noise dropped (the mean action) every test passed and
    the behaviour data would be the deterministic policy's. The action of step num_seed_steps (replay row 10) is
    rebuilt by hand from a fresh SAC of the seed (the actor before its first update) and the stream."""
    spec = point_spec(tmp_path, ["num_seed_steps=10"])
    group = TaskGroup(spec, [0, 2], "off")
    fresh = VectorSAC(2, group.obs_dim, group.action_dim, spec.sac, spec.sched.seed, torch.device("cpu"))
    group.begin()
    group.run(stop_at_step=11)
    gen = torch_generator(spec.sched.seed, "behaviour_noise")
    for _ in range(10):
        torch.rand((1, group.action_dim), generator=gen)
    noise = torch.randn((1, group.action_dim), generator=gen)
    obs = group.replay.data["obs"][:, 10:11]
    with torch.no_grad():
        want = fresh.policy(obs, torch.stack([noise, noise])).action[:, 0]
        mean = fresh.policy(obs, None).action[:, 0]
    torch.testing.assert_close(group.replay.data["actions"][:, 10], want, atol=1e-6, rtol=0)
    assert not torch.allclose(want, mean, atol=1e-3)


def test_a_resume_where_the_tasks_trained_last_adds_no_entry_to_trained_on(tmp_path):
    """`restore` appends the device it resumes on to task.json's `trained_on` only where it differs from the LAST
    entry (the one the saved state was trained on). A task trained on CUDA, then on this CPU, then resumed on this
    CPU again trained on two devices: compared with the first entry instead, the record would say three (CUDA, CPU,
    CPU), a switch that never happened."""
    from rlkit.behaviour.generate import train_segment

    spec = point_spec(tmp_path)
    one = f"cpu, capture off, 1 thread, {CPU}"
    cuda = f"cuda:0, capture on (CUDA graph), 1 thread, {CPU}"
    with _threads(1):
        state = train_segment(spec, 2).state
        group = TaskGroup(spec, [2], "off")
        group.restore(dict(state, ran_on=one, trained_on=[cuda, one]))
        group.begin()  # (task.json rewritten, incomplete, with the record)
        assert read_task_meta(task_dir(tmp_path, 2))["trained_on"] == [cuda, one]
        assert group.state()["trained_on"] == [cuda, one]


def test_the_state_saved_at_a_checkpoint_holds_the_episodes_begun_after_it(tmp_path):
    """A checkpoint comes at an episode end; `run` resets the ended envs, then saves `state()` to `resume_path`. Saved
    before the resets, the file would hold each ended episode (its 20 actions, its last observation) as the one under
    way, and a resumed run would replay it and step on past its end: not the uninterrupted run's data. By hand: at
    the first checkpoint (step 120, 20-step episodes) the saved episode has no action yet, and the saved state is the
    group's own state at that step."""
    group = TaskGroup(point_spec(tmp_path), [2], "off")
    group.resume_path = tmp_path / "state.pt"
    group.begin()
    assert group.run(stop_after_checkpoint=True) and group.step == 120  # (checkpoint 100: the first end past 100)
    saved, now = torch.load(group.resume_path, weights_only=True), group.state()
    (episode,) = saved["episodes"]
    assert episode["actions"].shape == (0, 2)
    torch.testing.assert_close(episode["obs"], now["episodes"][0]["obs"], atol=0, rtol=0)
    assert episode["start_rng"] == now["episodes"][0]["start_rng"]
