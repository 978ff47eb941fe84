"""The three meta-test protocols: episode counts, context contents, when z is inferred."""

import numpy as np
import pytest
import torch

from rlkit.config import load_config
from rlkit.data.rollout import Paths, rollout
from rlkit.envs import NormalizedBoxEnv
from rlkit.envs.point_robot import PointEnv
from rlkit.eval import EvalSetting, nonprior_context, offline_context, online_prior_context
from rlkit.tasks import make_env
from rlkit.torch.csro.agent import CSROAgent
from tests.conftest import ROOT
from tests.test_buffer import make as make_buffer

DEV = torch.device("cpu")
SETTING = EvalSetting(num_steps_per_eval=100, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=False)


class SpyAgent(CSROAgent):
    """Records every context it is asked to encode."""

    def __init__(self):
        super().__init__(2, 2, 3, 5, 16, generator=torch.Generator().manual_seed(0))
        self.inferred: list[list[int]] = []
        self.contexts: list[list[torch.Tensor]] = []

    def infer_z_list(self, contexts):
        self.inferred.append([len(c) for c in contexts])
        self.contexts.append([c.clone() for c in contexts])
        return super().infer_z_list(contexts)


def envs_for(tasks):
    out = []
    for t in tasks:
        e = NormalizedBoxEnv(make_env("point-robot", n_tasks=8))
        e.reset_task(t)
        out.append(e)
    return out


def np_run(agent, on_paths=None):
    """The Np protocol on tasks 2 and 6 with SETTING and fixed streams."""
    rng, gen = np.random.default_rng(0), torch.Generator().manual_seed(0)
    return nonprior_context(agent, envs_for([2, 6]), SETTING, DEV, rng, gen, on_paths=on_paths)


def test_rollout_lockstep_matches_single_env():
    envs = envs_for([1, 5])
    actions = np.random.default_rng(0).uniform(-1, 1, (20, 2, 2))
    p = rollout(envs, lambda obs, t, alive: actions[t], 20, np.ones(2, bool), DEV)
    assert list(p.lengths) == [20, 20]
    single = envs_for([5])[0]
    single.reset()
    rewards = [single.step(actions[t, 1])[1] for t in range(20)]
    np.testing.assert_allclose(p.rewards[1], rewards)


def test_online_prior_context_counts_and_inference():
    agent = SpyAgent()
    returns = online_prior_context(agent, envs_for([0, 3]), SETTING, DEV).returns
    assert [len(r) for r in returns] == [5, 5]  # N / H scored episodes
    # z inferred after every episode once num_exp_traj_eval * H steps are scored, from all context so far
    assert agent.inferred == [[20, 20], [40, 40], [60, 60], [80, 80], [100, 100]]


def test_nonprior_context_random_first_half_and_scored_not_in_context():
    agent = SpyAgent()
    kinds = []

    def record(kind, paths):
        kinds.append((kind, paths.actions.copy()))

    returns = np_run(agent, on_paths=record).returns
    assert [len(r) for r in returns] == [5, 5]
    assert [k for k, _ in kinds] == ["context", "scored"] * 5
    # context only holds the context episodes: 20, 40, ... transitions
    assert agent.inferred == [[20, 20], [40, 40], [60, 60], [80, 80], [100, 100]]
    # before context episode k, 20k steps are scored: its action t is uniform iff 20k + t < N/2 = 50
    ctx_actions = [a for k, a in kinds if k == "context"]
    replay = np.random.default_rng(0)
    for k, acts in enumerate(ctx_actions):
        for t in range(20):
            draw = replay.uniform(-1.0, 1.0, size=(2, 2))
            if 20 * k + t < 50:
                np.testing.assert_array_equal(acts[:, t], draw)
            else:
                assert not np.allclose(acts[:, t], draw)  # sampled from the posterior policy


class ZSpy(SpyAgent):
    """Records the z of every policy call, and for each rollout (closed by the protocol's `on_paths`) the z its
    first call acted with."""

    def __init__(self):
        super().__init__()
        self.calls, self.episodes = [], []

    def policy_output(self, obs, z, deterministic=False, generator=None):
        self.calls.append(z.clone())
        return super().policy_output(obs, z, deterministic=deterministic, generator=generator)

    def on_paths(self, kind, paths):
        if kind == "scored":
            self.episodes.append(self.calls[0] if self.calls else None)
        self.calls = []


def test_np_scores_each_episode_with_the_z_of_the_context_episodes_before_it():
    """The reference's Np loop (rl_algorithm.py, collect_paths with the non-prior sampler): scored episode k acts
    with z inferred after scored episode k - 1 from context episodes 1..k - 1, the first with the prior z = 0;
    the context episode collected just before it is read by the next inference only."""
    agent = ZSpy()
    np_run(agent, on_paths=agent.on_paths)
    assert len(agent.episodes) == 5 and torch.equal(agent.episodes[0], torch.zeros(2, 3))
    for k in range(1, 5):
        want = agent.infer_z(torch.stack(agent.contexts[k - 1]))  # the k-th inference: context episodes 1..k
        assert [len(c) for c in agent.contexts[k - 1]] == [20 * k, 20 * k]
        torch.testing.assert_close(agent.episodes[k], want, rtol=0, atol=0)


def test_a_protocols_result_is_the_posterior_mean_of_the_last_inference_and_its_contexts_spread():
    """`Z mean eval` and `Z variance eval` (the reference's z_means and z_vars, a std) describe the last inference:
    the posterior mean (with PEARL's sampled z too, not the sample acted with) and the spread of the embeddings of
    the context it read, not of context added after it; 0 and 0 for a job that never inferred."""
    agent = SampledZSpy()
    setting = EvalSetting(num_steps_per_eval=80, max_path_length=20, num_exp_traj_eval=2, use_next_obs_in_context=False)
    result = online_prior_context(agent, envs_for([0, 3]), setting, DEV)
    last = torch.stack(agent.contexts[-1])  # [2 jobs, 80, C]: every episode's rows
    e, var = agent.encode_with_var(last)
    np.testing.assert_allclose(result.z, agent.aggregate(e, var).detach().numpy(), rtol=1e-6)
    assert not np.allclose(result.z, agent.used[-1][1].numpy())  # the last episode acted with a sample
    np.testing.assert_allclose(result.z_std, e.std(dim=1).mean(dim=-1).detach().numpy(), rtol=1e-6)

    never = EvalSetting(num_steps_per_eval=40, max_path_length=20, num_exp_traj_eval=3, use_next_obs_in_context=False)
    result = online_prior_context(SampledZSpy(), envs_for([0, 3]), never, DEV)  # 2 episodes, inference after 3
    assert not result.z.any() and not result.z_std.any()

    agent = SpyAgent()  # Np: its last context episode is read by the last inference
    result = np_run(agent)
    np.testing.assert_allclose(result.z, agent.infer_z(torch.stack(agent.contexts[-1])).detach().numpy(), rtol=1e-6)


def test_offline_context_adds_h_transitions_before_each_episode():
    agent = SpyAgent()
    buf = make_buffer(tasks=(2, 6))
    returns = offline_context(
        agent, envs_for([2, 6]), [2, 6], buf, SETTING, DEV, torch.Generator().manual_seed(0)
    ).returns
    assert [len(r) for r in returns] == [5, 5]
    assert agent.inferred == [[20, 20], [40, 40], [60, 60], [80, 80], [100, 100]]
    for contexts in agent.contexts:  # each job reads its own task's offline rows (the buffer tags obs[0] and -r)
        for job, task in enumerate([2, 6]):
            assert set(contexts[job][:, 0].tolist()) == {task} and set(contexts[job][:, 4].tolist()) == {-task}


def test_prior_is_zero_before_any_context():
    agent = SpyAgent()
    z = agent.infer_z_list([torch.zeros(0, 5), torch.ones(3, 5)])
    assert torch.equal(z[0], torch.zeros(3)) and not torch.equal(z[1], torch.zeros(3))


class EarlyEndPoint(PointEnv):
    """Point-robot whose episodes terminate after 7 steps (as hopper or ant-dir episodes end early)."""

    def _step_state(self, action):
        obs, r, _, info = super()._step_state(action)
        return obs, r, self._t + 1 >= 7, info


def test_nonprior_context_collects_at_least_h_transitions_when_episodes_end_early():
    """The reference's in-place sampler with max_samples=H: context episodes until >= H new transitions."""
    agent = SpyAgent()
    kinds = []
    envs = []
    for t in (2, 6):
        e = NormalizedBoxEnv(EarlyEndPoint(n_tasks=8))
        e.reset_task(t)
        envs.append(e)
    result = nonprior_context(
        agent,
        envs,
        SETTING,
        DEV,
        np.random.default_rng(0),
        torch.Generator().manual_seed(0),
        on_paths=lambda kind, paths: kinds.append((kind, list(paths.lengths))),
    )
    assert [len(r) for r in result.returns] == [15, 15]  # ceil(100 / 7) scored episodes of 7 steps
    # before each scored episode: three 7-step context episodes (21 >= H = 20 new transitions)
    assert [k for k, _ in kinds] == (["context"] * 3 + ["scored"]) * 15
    assert all(lengths == [7, 7] for _, lengths in kinds)
    # z first inferred once 21 >= num_exp_traj_eval * H steps are scored, from all 63 context rows, ...
    assert agent.inferred == [[21 * k, 21 * k] for k in range(3, 16)]
    assert result.z.shape == (2, 3) and (result.z_std > 0).all()


def test_sparse_env_scores_sparse_returns():
    """sparse-point-robot: meta-test returns sum the sparse reward, as the reference scores them."""
    envs = []
    for t in (2, 6):
        e = NormalizedBoxEnv(make_env("sparse-point-robot", n_tasks=8, goal_radius=0.2))
        e.reset_task(t)
        envs.append(e)
    sparsify = envs[0].unwrapped.sparsify_rewards
    agent = SpyAgent()
    dense = online_prior_context(agent, envs, SETTING, DEV).returns
    sparse = online_prior_context(agent, envs, SETTING, DEV, reward_fn=sparsify).returns
    assert all(r < 0 for job in dense for r in job)  # the untrained policy stays far from the goal
    assert all(r == 0 for job in sparse for r in job)
    # and z is inferred from the sparse reward too (the context's reward column), online and with Np
    for protocol in (
        lambda a: online_prior_context(a, envs, SETTING, DEV, reward_fn=sparsify),
        lambda a: nonprior_context(
            a, envs, SETTING, DEV, np.random.default_rng(0), torch.Generator().manual_seed(0), reward_fn=sparsify
        ),
    ):
        spy = SpyAgent()
        protocol(spy)
        assert spy.contexts and all((c[:, 4] == 0).all() for contexts in spy.contexts for c in contexts)


def test_rollouts_mark_terminations_not_time_limits_as_terminal():
    """A time limit (point-robot, 3 steps) is not terminal; an episode that ends itself (`EarlyEndPoint`, at its
    7th step) is, on its last step alone, and the flattened episodes keep both as they are."""
    envs = [
        NormalizedBoxEnv(make_env("point-robot", n_tasks=8, max_episode_steps=3)),
        NormalizedBoxEnv(EarlyEndPoint(n_tasks=8)),
    ]
    for e in envs:
        e.reset_task(2)
    p = rollout(envs, lambda obs, t, alive: np.zeros((2, 2)), 10, np.ones(2, bool), DEV)
    assert p.lengths.tolist() == [3, 7]
    assert p.terminals[0].tolist() == [0.0] * 10 and p.terminals[1].tolist() == [0.0] * 6 + [1.0] + [0.0] * 3
    flat = p.to_trajectories([0, 1])
    assert flat.terminals.tolist() == [0.0] * 9 + [1.0] and flat.traj_lengths.tolist() == [3, 7]


def test_offline_context_holds_next_obs_with_use_next_obs_in_context():
    """(s, a, r, s') rows when the config asks: the buffer's tagged rows have s' = s + 100."""

    class WideSpy(SpyAgent):
        def __init__(self):
            CSROAgent.__init__(self, 2, 2, 3, 7, 16, generator=torch.Generator().manual_seed(0))
            self.inferred, self.contexts = [], []

    setting = EvalSetting(num_steps_per_eval=40, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=True)
    agent = WideSpy()
    buf = make_buffer(tasks=(2, 6))
    offline_context(agent, envs_for([2, 6]), [2, 6], buf, setting, DEV, torch.Generator().manual_seed(0))
    assert agent.contexts and all(c.shape[1] == 7 for contexts in agent.contexts for c in contexts)
    for contexts in agent.contexts:
        for c in contexts:
            torch.testing.assert_close(c[:, 5:], c[:, :2] + 100)


def test_sparse_returns_ignore_padding_of_short_episodes():

    rewards = np.array([[-0.1, -0.1, 0.0, 0.0], [-1.0, -0.15, -0.05, -0.5]])
    p = Paths(
        np.zeros((2, 4, 2)), np.zeros((2, 4, 2)), rewards, np.zeros((2, 4, 2)), np.zeros((2, 4)), np.array([2, 4])
    )
    sparsify = make_env("sparse-point-robot", n_tasks=2, goal_radius=0.2).sparsify_rewards
    np.testing.assert_allclose(p.returns(sparsify), [0.9 + 0.9, 0.85 + 0.95])
    np.testing.assert_allclose(p.returns(), rewards.sum(1))


def test_evaluator_env_generators_continue_after_a_resume():
    """The job envs' generators run on across iterations (MuJoCo episode starts draw from them), so a
    resumed run must restore them (latest.pt keeps them), or its meta-test would differ from a straight run."""
    from rlkit.config import load_config
    from rlkit.eval import Evaluator
    from tests.conftest import ROOT

    cfg = load_config(
        ROOT / "configs" / "cheetah-vel.json",
        {
            "env_params": {"n_tasks": 4},
            "n_train_tasks": 2,
            "n_eval_tasks": 2,
            "algo_params": {"num_evals": 2, "meta_batch": 2},
        },
    )
    straight = Evaluator(cfg, [2, 3], None, None, seed=5, device=DEV)
    for env in straight.envs:  # an iteration's episodes move the generators on
        env.reset()
    resumed = Evaluator(cfg, [2, 3], None, None, seed=5, device=DEV)
    fresh = [e.reset()[0] for e in Evaluator(cfg, [2, 3], None, None, seed=5, device=DEV).envs]
    resumed.set_rng_states(straight.rng_states())
    starts = [e.reset()[0] for e in straight.envs]
    np.testing.assert_array_equal(starts, [e.reset()[0] for e in resumed.envs])
    assert not np.array_equal(starts, fresh)


def test_show_path_and_the_evaluator_build_the_same_job_envs():
    """Both take their job envs from `make_job_envs`: run r of every task is seeded by the stream
    `eval_envs` of run r, so show_path.py's pictures start each run as the meta-test does (it used to seed
    by the job's index)."""
    from types import SimpleNamespace

    from rlkit import show
    from rlkit.config import load_config
    from rlkit.envs import env_rng_state
    from rlkit.eval import Evaluator
    from tests.conftest import ROOT

    cfg = load_config(
        ROOT / "configs" / "point-robot.json", {"algo_params": {"num_evals": 2, "num_steps_per_eval": 40}}
    )
    setup = SimpleNamespace(cfg=cfg, test_tasks=[2, 6], seed=5, obs_scale=None, data_dir=None, eval_buffer=None)
    envs = show.record_protocol(setup, SpyAgent(), "online", 2, DEV, 0)[0]  # point-robot resets draw nothing
    evaluator = Evaluator(cfg, [2, 6], None, None, seed=5, device=DEV)
    assert [e.unwrapped.task_idx for e in envs] == [t for t, _ in evaluator.jobs] == [2, 2, 6, 6]
    assert [env_rng_state(e) for e in envs] == evaluator.rng_states()
    assert env_rng_state(envs[0]) == env_rng_state(envs[2]) != env_rng_state(envs[1])
    assert evaluator.setting == EvalSetting(
        40, cfg.algo_params.max_path_length, cfg.algo_params.num_exp_traj_eval, cfg.algo_params.use_next_obs_in_context
    )


def test_show_path_repeats_the_meta_test_of_its_snapshot():
    """show_path.py draws with the Evaluator's streams of the snapshot's iteration (`EvalStreams`) on the same
    job envs, so on the point robot (whose resets draw nothing) with --runs num_evals its Np and offline
    episodes are the meta-test's; another iteration's draws give other Np and offline episodes. With N = 80 the last
    scored episode's z reads Np's third context episode, which the policy samples (scored steps 40 + t >= N / 2), so
    its policy draws reach the score; and two draws of one iteration give the same episodes, step by step."""
    from types import SimpleNamespace

    from rlkit import show
    from rlkit.config import load_config
    from rlkit.eval import Evaluator
    from tests.conftest import ROOT

    cfg = load_config(
        ROOT / "configs" / "point-robot.json", {"algo_params": {"num_evals": 2, "num_steps_per_eval": 80}}
    )
    buffer = make_buffer(tasks=(2, 6))
    setup = SimpleNamespace(cfg=cfg, test_tasks=[2, 6], seed=5, obs_scale=None, data_dir=None, eval_buffer=buffer)
    agent = SpyAgent()
    scores = Evaluator(cfg, [2, 6], buffer, None, seed=5, device=DEV)(agent, 3).scores
    for protocol in ("np", "offline"):
        _, episodes, drawn, _ = show.record_protocol(setup, agent, protocol, 2, DEV, 3)
        np.testing.assert_array_equal(drawn, scores[protocol].ravel())
        again = show.record_protocol(setup, agent, protocol, 2, DEV, 3)[1]
        for job, job_again in zip(episodes, again, strict=True):
            assert [kind for kind, _ in job] == [kind for kind, _ in job_again]
            for (_, path), (_, path_again) in zip(job, job_again, strict=True):
                np.testing.assert_array_equal(path, path_again)
        other = show.record_protocol(setup, agent, protocol, 2, DEV, 4)[2]
        assert not np.array_equal(other, scores[protocol].ravel())


class SampledZSpy(SpyAgent):
    """PEARL's sampled meta-test z (OFFPEARL with sample_z_at_test): records the z of every policy call."""

    def __init__(self):
        CSROAgent.__init__(
            self, 2, 2, 3, 5, 16, generator=torch.Generator().manual_seed(0), use_hvar=True, z_strategy="poe"
        )
        self.inferred, self.contexts, self.used = [], [], []
        self.test_z_generator = torch.Generator().manual_seed(1)

    def policy_output(self, obs, z, deterministic=False, generator=None):
        if not self.used or not torch.equal(self.used[-1][1], z):
            self.used.append((deterministic, z.clone()))
        return super().policy_output(obs, z, deterministic=deterministic, generator=generator)


def test_a_sampled_z_is_drawn_anew_for_every_episode_as_pearls_sampler_does():
    """PEARL's sampler calls sample_z after every trajectory: a fresh draw from the prior before the first
    inference, else from the posterior of the context last inferred from. z was drawn once per job and kept
    until the next inference: the num_exp_traj_eval episodes before it shared one prior sample, and Np's
    context and scored episodes one posterior sample."""
    agent = SampledZSpy()
    setting = EvalSetting(num_steps_per_eval=80, max_path_length=20, num_exp_traj_eval=2, use_next_obs_in_context=False)
    online_prior_context(agent, envs_for([0, 3]), setting, DEV)
    assert len(agent.used) == 4  # a new z in each of the 4 episodes (the first two: two prior samples)
    assert agent.inferred == [[40, 40], [60, 60], [80, 80]]  # none before num_exp_traj_eval episodes
    assert all(abs(float(z.abs().max())) < 10 for _, z in agent.used)

    agent = SampledZSpy()
    nonprior_context(agent, envs_for([2, 6]), SETTING, DEV, np.random.default_rng(0), torch.Generator().manual_seed(0))
    # context episodes 1 and 2 act at random throughout (scored steps + t < N / 2), so the policy first acts in
    # context episode 3; from there a scored episode acts with a new draw, not its context episode's z
    assert [deterministic for deterministic, _ in agent.used] == [True, True] + [False, True] * 3
    # the draw after a context episode is from the posterior of the context inferred from before it
    assert agent.inferred == [
        [20, 20],
        [20, 20],
        [40, 40],
        [40, 40],
        [60, 60],
        [60, 60],
        [80, 80],
        [80, 80],
        [100, 100],
    ]


def test_the_sampled_meta_test_z_is_keyed_by_the_iteration_and_show_path_draws_it_again():
    """OFFPEARL's sampled z (sample_z_at_test): the Evaluator seeds its generator for each meta-test by the
    iteration (stream test_z), wherever it stood, so a resumed run draws that meta-test's z again, and show_path.py,
    seeding it alike and running the protocols in the Evaluator's order, draws the very same z."""
    from types import SimpleNamespace

    from rlkit import show
    from rlkit.config import load_config
    from rlkit.eval import Evaluator
    from rlkit.eval.evaluator import seed_meta_test_z
    from tests.conftest import ROOT

    cfg = load_config(
        ROOT / "configs" / "point-robot.json", {"algo_params": {"num_evals": 2, "num_steps_per_eval": 40}}
    )
    buffer = make_buffer(tasks=(2, 6))
    setup = SimpleNamespace(cfg=cfg, test_tasks=[2, 6], seed=5, obs_scale=None, data_dir=None, eval_buffer=buffer)

    def meta_test_z(agent, iteration, start):
        agent.used.clear()
        agent.test_z_generator.manual_seed(start)  # wherever the generator stands before it
        Evaluator(cfg, [2, 6], buffer, None, seed=5, device=DEV)(agent, iteration)
        return [z for _, z in agent.used]

    agent = SampledZSpy()
    third = meta_test_z(agent, 3, 0)
    assert len(third) > 4
    assert all(torch.equal(a, b) for a, b in zip(third, meta_test_z(agent, 3, 123), strict=True))
    # every draw is another at iteration 4, the prior's draws too (the online protocol's first episodes: the same
    # if the stream were not keyed by the iteration, where the posteriors' draws differ by their contexts anyway)
    fourth = meta_test_z(agent, 4, 0)
    assert len(fourth) == len(third) and not any(torch.equal(a, b) for a, b in zip(third, fourth))
    agent.used.clear()
    agent.test_z_generator.manual_seed(7)
    seed_meta_test_z(agent, 5, 3)
    for protocol in ("offline", "online", "np"):
        show.record_protocol(setup, agent, protocol, 2, DEV, 3)
    assert all(torch.equal(a, b) for a, b in zip(third, [z for _, z in agent.used], strict=True))


def test_show_path_colours_nps_random_steps_not_half_its_context_episodes():
    """Np acts at random while (scored steps + t) < N / 2: with N = 60 and episodes of 20 steps the first context
    episode is random, and after the first scored episode (20 steps) the next one is random for its first 10
    steps only (each episode checked against what np_explore itself does); show_path keeps each context episode
    whole, its random and policy steps as two aligned parts."""
    from types import SimpleNamespace

    from rlkit import show
    from rlkit.config import load_config
    from rlkit.eval.protocols import np_explore
    from tests.conftest import ROOT

    cfg = load_config(
        ROOT / "configs" / "point-robot.json", {"algo_params": {"num_evals": 1, "num_steps_per_eval": 60}}
    )
    buffer = make_buffer(tasks=(2, 6))
    setup = SimpleNamespace(cfg=cfg, test_tasks=[2, 6], seed=5, obs_scale=None, data_dir=None, eval_buffer=buffer)

    def explored(scored: int, steps: int) -> int:  # the random steps np_explore itself takes in such an episode
        explore = np_explore(np.random.default_rng(0), 1, 2, 60, np.array([scored]), lambda *_: np.full((1, 2), 5.0))
        return sum(bool((explore(None, t, np.ones(1, bool)) != 5.0).all()) for t in range(steps))

    _, episodes, _, _ = show.record_protocol(setup, SpyAgent(), "np", 1, DEV, 3)
    for job in episodes:
        kinds = [kind for kind, _ in job]
        assert kinds[:4] == ["context-random", "scored", "context-random", "context"], kinds
        scored, i, random_steps = 0, 0, []
        while i < len(job):  # each episode's drawn random steps against np_explore's own choice
            kind, p = job[i]
            if kind == "scored":
                scored, i = scored + len(p) - 1, i + 1
                continue
            random = int(np.isfinite(p[:, 0]).sum()) - 1 if kind == "context-random" else 0
            assert random == explored(scored, len(p) - 1), (i, scored)
            random_steps.append(random)
            split = kind == "context-random" and i + 1 < len(job) and np.isnan(job[i + 1][1][0, 0])  # its policy part
            i += 2 if split else 1
        assert random_steps[:2] == [20, 10]
        random_part, policy_part = job[2][1], job[3][1]
        assert len(random_part) == len(policy_part) == 21  # aligned: the same episode's 21 positions
        both = np.isfinite(random_part[:, 0]) & np.isfinite(policy_part[:, 0])
        assert both.sum() == 1 and both[10]  # they meet at step 10


def test_np_explores_at_random_while_fewer_than_half_the_steps_are_scored():
    """Np's first context episodes take step t at random while (steps scored so far + t) < N / 2: with N odd, half
    a step counts (t < 50.5 is 51 steps of 0..50), and a job past N / 2 takes none."""
    from rlkit.eval.protocols import np_random_steps

    scored = np.array([0, 10, 50, 60])
    assert np_random_steps(scored, 100).tolist() == [50, 40, 0, -10]
    assert np_random_steps(scored, 101).tolist() == [51, 41, 1, -9]


def test_the_meta_tests_logged_z_is_the_last_np_jobs():
    """`Z mean eval` (`final_z`) is the reference's: the z of the last Np job (last test task, last run) after its
    last inference, Np running last; another protocol's last z (online, prior context, differs here) passed."""
    from rlkit.config import load_config
    from rlkit.eval import Evaluator
    from tests.conftest import ROOT

    cfg = load_config(
        ROOT / "configs" / "point-robot.json", {"algo_params": {"num_evals": 2, "num_steps_per_eval": 40}}
    )
    agent = SpyAgent()
    result = Evaluator(cfg, [2, 6], make_buffer(tasks=(2, 6)), None, seed=5, device=DEV)(agent, 3)
    last = agent.infer_z(torch.stack(agent.contexts[-1]))[-1].detach().numpy()  # Np's last inference, its last job
    np.testing.assert_allclose(result.final_z, last, rtol=1e-6)
    online = online_prior_context(SpyAgent(), envs_for([2, 2, 6, 6]), EvalSetting.from_config(cfg), DEV)
    assert not np.allclose(result.final_z, online.z[-1])


def test_on_step_sees_the_last_step_of_an_episode_that_ends():
    """`on_step` sees every job that stepped at t, also one whose episode ended at t (a time limit or a
    termination): `stepped` is a copy of `alive`, not `alive` itself (`stepped = alive`). BOREL's meta-test belief
    advances in `on_step`; that slip drops each episode's last transition from it, so the final belief (Z mean eval,
    Z variance eval) is the one before the last step. Job 0 has a 3-step time limit, job 1 terminates at its 7th
    step: they step at t = 0..2 and 0..6."""
    envs = [
        NormalizedBoxEnv(make_env("point-robot", n_tasks=8, max_episode_steps=3)),
        NormalizedBoxEnv(EarlyEndPoint(n_tasks=8)),
    ]
    for e in envs:
        e.reset_task(2)
    seen = []
    record = lambda t, stepped, paths: seen.append(stepped.copy())  # noqa: E731
    rollout(envs, lambda obs, t, alive: np.zeros((2, 2)), 10, np.ones(2, bool), DEV, record)
    seen = np.array(seen)
    assert np.flatnonzero(seen[:, 0]).tolist() == [0, 1, 2]
    assert np.flatnonzero(seen[:, 1]).tolist() == [0, 1, 2, 3, 4, 5, 6]


def test_the_policy_acts_on_the_current_observation_and_episodes_chain():
    """Step t's obs is step t - 1's next obs (the loop's `obs[i] = nxt`), and `act` is given it; a loop that forgets
    `obs[i] = nxt` has the policy act on the reset state for the whole episode, and stage 1's data hold the first
    obs in every row. Checked against one env stepped by hand with the same actions (point-robot, task 5)."""
    actions = np.random.default_rng(0).uniform(-1, 1, (6, 2, 2))
    given = []

    def act(obs, t, alive):
        given.append(obs.numpy().copy())
        return actions[t]

    p = rollout(envs_for([1, 5]), act, 6, np.ones(2, bool), DEV)
    single = envs_for([5])[0]
    obs = [single.reset()[0]]
    for t in range(6):
        obs.append(single.step(actions[t, 1])[0])
    np.testing.assert_allclose(p.obs[1], np.array(obs[:-1]), rtol=1e-6)
    np.testing.assert_allclose(p.next_obs[1], np.array(obs[1:]), rtol=1e-6)
    np.testing.assert_allclose(np.array(given)[:, 1], np.array(obs[:-1]), rtol=1e-5)


def test_an_online_context_row_is_s_a_r_s_prime_of_its_step():
    """With `use_next_obs_in_context` (CORRO, whose meta-test collects (s, a, r, s') rows) an online context row is
    (s_t, a_t, r_t, s_{t+1}): `Paths.context` appends next_obs, not obs. A slip that appends obs in place of
    next_obs gives s' = s and the encoder reads no transition at all. Hand-made paths, 3 of 4 steps real: s = t,
    a = 10 + t, r = 20 + t, s' = 100 + t."""
    t = np.arange(4.0)
    p = Paths(
        obs=t[None, :, None].copy(),
        actions=(10 + t)[None, :, None],
        rewards=(20 + t)[None],
        next_obs=(100 + t)[None, :, None],
        terminals=np.zeros((1, 4)),
        lengths=np.array([3]),
    )
    assert p.context(0, True).tolist() == [[0, 10, 20, 100], [1, 11, 21, 101], [2, 12, 22, 102]]
    assert p.context(0, False).tolist() == [[0, 10, 20], [1, 11, 21], [2, 12, 22]]
    assert p.context(0, True, reward_fn=lambda r: r * 0)[:, 2].tolist() == [0, 0, 0]


class EndsEarlyOnTask2(PointEnv):
    """Point-robot whose episodes terminate after 7 steps on task 2 only (as a hopper falls on one task and not on
    another); on any other task they run the full horizon."""

    def _step_state(self, action):
        obs, r, _, info = super()._step_state(action)
        return obs, r, self.task_idx == 2 and self._t + 1 >= 7, info


def _envs():
    out = []
    for t in (2, 6):
        e = NormalizedBoxEnv(EndsEarlyOnTask2(n_tasks=8))
        e.reset_task(t)
        out.append(e)
    return out


def test_a_job_that_is_done_scores_no_further_episodes_while_others_go_on():
    """`_scored_loop` appending a return for every job after each lockstep round (`range(n_jobs)`)
    instead of only for the jobs still active. A job whose N steps are already scored then gets the empty
    episode's return 0.0 appended for every round the slower jobs still run, and since a job's score is its LAST
    return, every fast-finishing job (one with full-length episodes, beside a job whose episodes end early, as on
    hopper, walker or ant) would be scored 0: a point-robot return is never 0, so the table would be wrong.

    By hand: N = 40, H = 20. Task 6's episodes last 20 steps: 2 scored episodes. Task 2's end after 7 steps:
    ceil(40 / 7) = 6 scored episodes. Every point-robot step reward is minus a distance, so every return < 0."""
    setting = EvalSetting(num_steps_per_eval=40, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=False)
    for run in (
        lambda: online_prior_context(SpyAgent(), _envs(), setting, DEV),
        lambda: nonprior_context(
            SpyAgent(), _envs(), setting, DEV, np.random.default_rng(0), torch.Generator().manual_seed(0)
        ),
    ):
        returns = run().returns
        assert [len(r) for r in returns] == [6, 2]
        assert all(r < 0 for job in returns for r in job)  # no empty (0-return) episode was scored


def test_np_collects_context_only_for_the_jobs_that_still_need_it():
    """Np's context loop rolling out every active job (`active`) instead of only the jobs that still
    have fewer than H new context transitions (`need`). A job whose one full-length context episode already gave
    H transitions would then collect further context episodes whenever a job beside it (whose episodes end early)
    needs more: its z is inferred from more context than the protocol (the reference's in-place sampler with
    max_samples=H) gives it, and its result depends on which tasks share its batch.

    By hand: N = 40, H = 20. Task 6 (full 20-step episodes): 2 scored episodes, each after exactly one 20-step
    context episode: 40 context steps. Task 2 (episodes end after 7 steps): 6 scored episodes, each after three
    7-step context episodes (21 >= 20): 126 context steps."""
    setting = EvalSetting(num_steps_per_eval=40, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=False)
    context = np.zeros(2, dtype=np.int64)

    def on_paths(kind, paths):
        if kind == "context":
            context[:] += paths.lengths

    nonprior_context(
        SpyAgent(), _envs(), setting, DEV, np.random.default_rng(0), torch.Generator().manual_seed(0), on_paths=on_paths
    )
    assert list(context) == [126, 40]


class ConstantPolicyAgent(SpyAgent):
    """Its policy always acts 0.5 in every dimension: an action that a uniform draw gives with probability 0, so
    a context step shows whether it was the policy's or Np's random exploration."""

    def policy_output(self, obs, z, deterministic=False, generator=None):
        out = super().policy_output(obs, z, deterministic=deterministic, generator=generator)
        out.action = torch.full_like(out.action, 0.5)
        return out


def test_np_decides_random_or_policy_per_job_not_for_the_whole_batch():
    """`np_explore` returning the random actions for every job as soon as ANY job of the lockstep
    batch is still in its random phase (`use_random.any()` for `.all()`). Np's rule is per job: a step is uniform
    iff (that job's scored steps + t) < N / 2 (docs/algorithm.md). With the slip, a job past N / 2 explores at
    random whenever a batch-mate (one whose episodes end early) is not, so its context, and z, depend on the other
    tasks in the batch.

    By hand: N = 40 (N / 2 = 20), H = 20. Task 6 (20-step episodes): before its 2nd scored episode 20 steps are
    scored, so all 20 steps of its 2nd context episode are the policy's. Meanwhile task 2 (7-step episodes, 7
    steps scored) takes uniform actions for t < 13, i.e. all 7 steps of each of its context episodes."""
    setting = EvalSetting(num_steps_per_eval=40, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=False)
    batches = []

    def on_paths(kind, paths):
        if kind == "context":
            batches.append((paths.lengths.copy(), paths.actions.copy()))

    nonprior_context(
        ConstantPolicyAgent(),
        _envs(),
        setting,
        DEV,
        np.random.default_rng(0),
        torch.Generator().manual_seed(0),
        on_paths=on_paths,
    )
    task6 = [acts[1, : n[1]] for n, acts in batches if n[1]]  # task 6's context episodes, in order
    assert len(task6) == 2 and all(len(a) == 20 for a in task6)
    assert not (task6[0] == 0.5).any()  # first: scored 0 + t < 20 for every t: all uniform
    assert (task6[1] == 0.5).all()  # second: 20 scored + t >= 20: all the policy's
    # task 2's context episodes before its 2nd scored episode (7 scored; 7 + t < 20 for t < 7): all uniform
    task2 = [acts[0, : n[0]] for n, acts in batches if n[0]]
    assert len(task2) == 6 * 3
    assert all(not (a == 0.5).any() for a in task2[3:6])


def test_a_rollout_resets_only_the_active_jobs_envs():
    """`rollout` resets and steps only the active jobs' envs; an inactive job's env (a job done with its episodes,
    or with enough Np context while others collect) is left as it is, so its next episode does not depend on which
    other jobs ran meanwhile (a reset draws the MuJoCo envs' reset noise from the env's stream)."""
    envs = envs_for([1, 5, 6])
    resets = [0, 0, 0]
    for i, e in enumerate(envs):
        inner = e.reset

        def counted(*args, _i=i, _inner=inner, **kw):
            resets[_i] += 1
            return _inner(*args, **kw)

        e.reset = counted
    p = rollout(envs, lambda obs, t, alive: np.zeros((3, 2)), 4, np.array([True, False, True]), DEV)
    assert resets == [1, 0, 1]
    assert p.lengths.tolist() == [4, 0, 4]


def test_a_rollout_with_no_active_job_or_a_mask_of_another_length_is_refused_in_one_line():
    """Every caller loops while some job is active; a rollout asked to run none (or given a mask that does not
    match the envs) is a clear ValueError naming the mask, not a StopIteration from looking for a first
    observation, and no env is reset."""
    envs = envs_for([1, 5])
    for mask in (np.zeros(2, bool), np.ones(3, bool)):
        with pytest.raises(ValueError, match=r"^rollout: active must mark at least one of the 2 envs, got \["):
            rollout(envs, lambda obs, t, alive: np.zeros((2, 2)), 4, mask, DEV)


def test_a_rollout_asks_for_no_actions_once_every_episode_has_ended():
    """The lockstep loop stops when no job is alive: `act` (whose sampling policy or random actions draw from the
    protocol's streams) is not called for steps no env takes, nor `on_step` shown them. Point-robot with a 3-step
    time limit, horizon 10."""
    envs = [NormalizedBoxEnv(make_env("point-robot", n_tasks=8, max_episode_steps=3)) for _ in range(2)]
    for e in envs:
        e.reset_task(2)
    asked, shown = [], []

    def act(obs, t, alive):
        asked.append(t)
        return np.zeros((2, 2))

    p = rollout(envs, act, 10, np.ones(2, bool), DEV, lambda t, stepped, paths: shown.append(t))
    assert p.lengths.tolist() == [3, 3]
    assert asked == [0, 1, 2] and shown == [0, 1, 2]


def _point_envs(tasks, max_episode_steps=20):
    """Point-robot job envs (8 tasks, the env's time limit `max_episode_steps`) set to `tasks`."""
    out = []
    for t in tasks:
        e = NormalizedBoxEnv(make_env("point-robot", n_tasks=8, max_episode_steps=max_episode_steps))
        e.reset_task(t)
        out.append(e)
    return out


def test_the_spread_of_a_one_transition_context_is_0_and_of_two_their_std():
    """`Z variance eval` of a job whose last inference read one transition is 0 (no spread; torch's std of one row is
    nan), and of one that read two transitions the std of their two embeddings, mean over dims."""
    from rlkit.eval.protocols import _Context

    agent = CSROAgent(2, 2, 3, 5, 16, generator=torch.Generator().manual_seed(0))
    ctx = _Context(agent, 2, DEV)
    rows = torch.randn(3, 5, generator=torch.Generator().manual_seed(1))
    ctx.add(0, rows[:1])
    ctx.add(1, rows[1:])
    ctx.infer(np.array([0, 1]))
    z_std = ctx.result([[], []]).z_std
    with torch.no_grad():
        e = agent.encode(rows[1:])
    assert z_std[0] == 0.0 and z_std[1] == pytest.approx(float(e.std(dim=0).mean()), rel=1e-6) and z_std[1] > 0


def test_a_sampled_z_redrawn_after_a_context_episode_reads_the_context_of_the_last_inference():
    """`_Context.infer` with `parts` reads the first parts[k] parts of a job's context (the context its last
    inference read), not the last parts[k] (`[-n:]`). PEARL's resample after an Np context episode draws z from the
    posterior of the context inferred from before it: the same rows, in the same order, as that inference.

    By hand (N = 100, H = 20, num_exp_traj_eval 1, two jobs): the inferences alternate between the one after scored
    episode k (context episodes 1..k) and the redraw after context episode k + 1 (again episodes 1..k)."""
    agent = SampledZSpy()
    setting = EvalSetting(
        num_steps_per_eval=100, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=False
    )
    nonprior_context(
        agent, _point_envs([2, 6]), setting, DEV, np.random.default_rng(0), torch.Generator().manual_seed(0)
    )
    assert agent.inferred == [[20 * k, 20 * k] for k in (1, 1, 2, 2, 3, 3, 4, 4, 5)]
    for k in range(0, 8, 2):  # each redraw (odd position) reads exactly the rows of the inference before it
        for job in range(2):
            assert torch.equal(agent.contexts[k + 1][job], agent.contexts[k][job])


def test_a_scored_episode_is_cut_at_the_meta_tests_horizon_not_at_the_envs_time_limit():
    """`_scored_loop` rolls out each scored episode for up to H = max_path_length steps; the slip it guards against
    rolled each one out for up to N = num_steps_per_eval steps instead. The config lets H be below the env's own
    limit (max_path_length <= max_episode_steps); the env then ends nothing at H, and only the protocol's horizon
    does.

    By hand: the env's time limit 20, H = 10, N = 40: 4 scored episodes of 10 steps per job (the slip: 2 of 20)."""
    setting = EvalSetting(num_steps_per_eval=40, max_path_length=10, num_exp_traj_eval=1, use_next_obs_in_context=False)
    lengths = []
    agent = SpyAgent()
    online_prior_context(
        agent, _point_envs([0, 3]), setting, DEV, on_paths=lambda k, p: lengths.append(list(p.lengths))
    )
    assert lengths == [[10, 10]] * 4
    assert agent.inferred == [[10, 10], [20, 20], [30, 30], [40, 40]]


def test_a_job_that_is_done_is_neither_inferred_nor_redrawn_while_others_go_on():
    """After its N steps are scored a job's z is final: it takes no further inference and, with PEARL's sampled z,
    no further draw (each draws from the shared test_z generator, so a done job's draws would change the z of the
    jobs still running). It guards against two slips: `ctx.resample` of every job without an inference (`~infer`),
    not only the active ones, and `infer` without `active &`.

    By hand: N = 40, H = 20, num_exp_traj_eval 1; job 0 (task 2) has 7-step episodes, 6 scored; job 1 (task 6)
    20-step ones, 2 scored. Online context = the scored episodes: job 1 infers after rounds 1 and 2 (20, 40 rows);
    job 0 once 20 steps are scored, after rounds 3..6 (21, 28, 35, 42 rows), when job 1 is done. Before its first
    inference job 0 redraws from the prior, which encodes nothing.

    The offline protocol alike: before each round the jobs still running add H offline rows and infer, job 1 in
    rounds 1 and 2 (20, 40 rows), job 0 in rounds 1..6 (20 ... 120); an inference of job 1 after it is done would
    draw from the shared test_z generator too."""
    setting = EvalSetting(num_steps_per_eval=40, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=False)
    for agent in (SpyAgent(), SampledZSpy()):
        online_prior_context(agent, _envs(), setting, DEV)
        assert agent.inferred == [[20], [40], [21], [28], [35], [42]]
        agent.inferred.clear()
        buffer = make_buffer(tasks=(2, 6))
        offline_context(agent, _envs(), [2, 6], buffer, setting, DEV, torch.Generator().manual_seed(0))
        assert agent.inferred == [[20, 20], [40, 40], [60], [80], [100], [120]]


def test_np_redraws_no_z_for_a_job_with_its_context_while_a_batch_mate_collects_more():
    """Np's context loop redraws PEARL's sampled z after each context round only for the jobs that collected in that
    round (`need`), not for every active job (`active`). With that slip a job whose one 20-step episode gave H
    transitions would draw again for every further round its batch-mate (7-step episodes) needs.

    By hand (N = 40, H = 20, num_exp_traj_eval 1; job 0 task 2: 7-step episodes, 3 context episodes (21 rows) per
    scored one; job 1 task 6: one 20-step context episode per scored one). Redraws from the prior encode nothing.
    Round 1: job 1 infers after its scored episode (20 rows). Round 2: job 1 redraws after its context episode from
    its last inference (20 rows), infers after scoring (40). Rounds 3..6 (job 1 done): job 0 infers after scoring
    from its 9, 12, 15, 18 context episodes (63, 84, 105, 126 rows), each inference but the last followed by three
    redraws (one per context episode) from it."""
    setting = EvalSetting(num_steps_per_eval=40, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=False)
    agent = SampledZSpy()
    nonprior_context(agent, _envs(), setting, DEV, np.random.default_rng(0), torch.Generator().manual_seed(0))
    want = [[20], [20], [40]] + [[63]] * 4 + [[84]] * 4 + [[105]] * 4 + [[126]]
    assert agent.inferred == want


def test_the_eval_setting_reads_each_of_its_keys_from_the_config():
    """`EvalSetting.from_config` reads num_exp_traj_eval from the config as it does every other field; it guards
    against num_exp_traj_eval fixed at 1 (its default, which every config of the suite keeps). Each field from its
    own key: N = 100, H = 10, num_exp_traj_eval 3, s' in the context."""
    cfg = load_config(
        ROOT / "configs" / "point-robot.json",
        {
            "algo_params": {
                "num_steps_per_eval": 100,
                "max_path_length": 10,
                "num_exp_traj_eval": 3,
                "use_next_obs_in_context": True,
                "club_use_sa": True,
            }
        },
    )
    assert EvalSetting.from_config(cfg) == EvalSetting(100, 10, 3, True)


def test_a_sampled_z_acts_in_the_first_episode_with_a_draw_from_the_prior():
    """`_Context` starts every job at `agent.prior_z`, not at z = 0 (the prior's mean). With PEARL's sampled z
    (OFFPEARL's sample_z_at_test) the first episode, before any context, acts with a draw from N(0, I), the first
    draw of the test_z generator: torch.randn(jobs, L) from its seed."""
    agent = SampledZSpy()  # test_z generator seeded 1, L = 3
    setting = EvalSetting(num_steps_per_eval=40, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=False)
    online_prior_context(agent, _point_envs([0, 3]), setting, DEV)
    deterministic, first = agent.used[0]
    assert deterministic
    torch.testing.assert_close(first, torch.randn(2, 3, generator=torch.Generator().manual_seed(1)), rtol=0, atol=0)


class NextObsSpy(SpyAgent):
    """A SpyAgent whose encoder reads (s, a, r, s') rows: context_dim 2 + 2 + 1 + 2 = 7."""

    def __init__(self):
        CSROAgent.__init__(self, 2, 2, 3, 7, 16, generator=torch.Generator().manual_seed(0))
        self.inferred, self.contexts = [], []


@pytest.mark.parametrize("protocol", ["online", "np"])
def test_the_online_and_np_contexts_hold_next_obs_with_use_next_obs_in_context(protocol):
    """With `use_next_obs_in_context` (the hopper and walker configs, CORRO) the online and Np protocols' context
    rows, like the offline protocol's, are (s, a, r, s') of each step: a protocol that dropped s' fed an encoder
    trained on (s, a, r, s') rows a context without it. By hand: within an episode row t's s' is row t + 1's s (the
    point moves by its action, no wind), and every row has 7 columns."""
    setting = EvalSetting(num_steps_per_eval=40, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=True)
    agent = NextObsSpy()
    if protocol == "online":
        online_prior_context(agent, envs_for([2, 6]), setting, DEV)
    else:
        nonprior_context(
            agent, envs_for([2, 6]), setting, DEV, np.random.default_rng(0), torch.Generator().manual_seed(0)
        )
    assert agent.contexts and all(c.shape[1] == 7 for contexts in agent.contexts for c in contexts)
    for c in agent.contexts[-1]:
        episodes = c.reshape(-1, 20, 7)  # whole episodes of H = 20 rows, in order
        torch.testing.assert_close(episodes[:, :-1, 5:], episodes[:, 1:, :2])
        assert not torch.equal(episodes[:, :, 5:], episodes[:, :, :2])  # s' is not s: the point moved


def test_inferring_z_builds_no_autograd_graph():
    """z is inferred under `torch.no_grad`: an inference that recorded the encoder's graph would make every job's z
    require grad and keep the graphs of all the meta-test's inferences alive until it ends (memory that grows with
    every episode). By hand: the online protocol infers after every episode; the policy never sees a z that
    requires grad, nor does the result carry one."""

    class GradSpy(SpyAgent):
        def __init__(self):
            super().__init__()
            self.z_requires_grad: list[bool] = []

        def policy_output(self, obs, z, deterministic=False, generator=None):
            self.z_requires_grad.append(z.requires_grad)
            return super().policy_output(obs, z, deterministic=deterministic, generator=generator)

    agent = GradSpy()
    online_prior_context(agent, envs_for([0, 3]), SETTING, DEV)
    assert len(agent.inferred) == 5 and len(agent.z_requires_grad) == 100
    assert not any(agent.z_requires_grad)
