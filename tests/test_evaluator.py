"""What the Evaluator wires into the protocols (rlkit/eval/evaluator.py): the reward the meta-test scores and
feeds back as context on a sparse-reward env, for the mean-pooled agents and BOREL's recurrent belief, and the
offline episodes BOREL's belief reads."""

import numpy as np
import pytest
import torch

from rlkit.config import load_config
from rlkit.data.buffer import MultiTaskBuffer
from rlkit.errors import UserError
from rlkit.eval import Evaluator
from rlkit.eval.evaluator import Belief, EvalResult, EvalStreams
from tests.conftest import ROOT
from tests.test_borel import ACT, OBS, episodes_data, make_trainer
from tests.test_buffer import make as make_buffer
from tests.test_eval import SpyAgent

DEV = torch.device("cpu")
TASKS = [2, 6]
EVAL = {"num_evals": 1, "num_steps_per_eval": 40}  # 2 scored episodes of 20 steps per job and protocol


def standing_still(policy) -> None:
    """The policy's last layer zeroed: mean 0, so the deterministic (scored) action is tanh(0) = 0 and the point
    stays at its start, the origin, for the whole scored episode."""
    with torch.no_grad():
        last = policy.net.layers[-1]
        last.weight.zero_()
        last.bias.zero_()


def goal_distances(ev: Evaluator) -> list[float]:
    """Per job, the distance of its env's goal from the origin, where the point starts."""
    return [float(np.linalg.norm(env.unwrapped.goal)) for env in ev.envs]


def all_returns(result) -> dict[str, list[float]]:
    return {k: [r for job in v for r in job] for k, v in result.returns.items()}


def test_a_sparse_run_scores_every_protocol_with_the_sparse_reward():
    """With `sparse_rewards` (sparse-point-robot.json) the meta-test must score the sparse reward (0 outside the
    goal's 0.2 radius), as the reference and the paper's sparse results do, in every protocol. Dropping the
    Evaluator's reward map (scored_reward_fn -> None), or dropping it from the online or the offline protocol alone,
    made the logged returns the dense -distance sums, a different benchmark under the same name. By hand: a policy
    that stands still at the origin, 1 from every goal, earns 20 x (-1) = -20 dense per episode and 0 sparse."""
    agent = SpyAgent()
    standing_still(agent.policy)
    sparse_cfg = load_config(ROOT / "configs" / "sparse-point-robot.json", {"algo_params": EVAL})
    ev = Evaluator(sparse_cfg, TASKS, make_buffer(tasks=tuple(TASKS)), None, seed=5, device=DEV)
    assert all(d > 0.2 for d in goal_distances(ev))  # outside the sparse reward's radius
    returns = all_returns(ev(agent, 1))
    assert set(returns) == {"offline", "online", "np"}
    for protocol, rs in returns.items():
        assert len(rs) == 4 and all(r == 0.0 for r in rs), (protocol, rs)
    # the same standing agent on the dense config (the teeth of the check): 20 steps at distance |goal| each
    dense_cfg = load_config(ROOT / "configs" / "point-robot.json", {"algo_params": EVAL})
    ev = Evaluator(dense_cfg, TASKS, make_buffer(tasks=tuple(TASKS)), None, seed=5, device=DEV)
    want = [-20 * d for d in goal_distances(ev) for _ in range(2)]  # jobs (task, run): 2 scored episodes each
    for protocol, rs in all_returns(ev(agent, 1)).items():
        np.testing.assert_allclose(rs, want, rtol=1e-5, err_msg=protocol)


def borel_sparse_evaluator():
    cfg = load_config(ROOT / "configs" / "sparse-point-robot.json", {"algo_type": "BOREL", "algo_params": EVAL})
    buffer = MultiTaskBuffer({t: episodes_data([20] * 4, t, seed=t) for t in TASKS}, OBS, ACT, DEV)
    return Evaluator(cfg, TASKS, buffer, None, seed=5, device=DEV)


def test_a_sparse_borel_run_scores_every_protocol_with_the_sparse_reward():
    """BOREL's recurrent protocols must score (and feed the belief) the sparse reward on a sparse run like every
    other method; passing None instead of the Evaluator's reward map in the offline, the online or the Np protocol,
    BOReL's sparse results would be dense returns, not comparable with the other methods' columns.
    By hand: a policy standing still at the origin earns 0 sparse (|goal| = 1 > 0.2) per scored episode."""
    ev = borel_sparse_evaluator()
    assert all(d > 0.2 for d in goal_distances(ev))
    agent = make_trainer().agent
    standing_still(agent.policy)
    returns = all_returns(ev(agent, 1))
    assert set(returns) == {"offline", "online", "np"}
    for protocol, rs in returns.items():
        assert len(rs) == 4 and all(r == 0.0 for r in rs), (protocol, rs)


def test_borels_offline_context_is_one_whole_offline_episode():
    """BOREL's offline protocol feeds the belief ONE whole offline episode of the test task before each scored
    episode (docs/algorithm.md, "BOREL", Meta-test), so its episode index must hold single episodes. Built of
    borel_episodes (2) consecutive episodes, the belief read two episodes and a scored episode became the third of a
    2-episode BAMDP the VAE was never trained on. By hand: a task of episodes of 20, 7, 13 and 20 steps gives 4
    sequences of exactly those lengths, each starting where its episode starts."""
    cfg = load_config(ROOT / "configs" / "point-robot.json", {"algo_type": "BOREL"})
    buffer = MultiTaskBuffer({t: episodes_data([20, 7, 13, 20], t, seed=t) for t in TASKS}, OBS, ACT, DEV)
    belief = Belief.of(cfg, buffer)
    assert belief.window == 1
    episodes = belief.episodes
    assert episodes.lengths.tolist() == [20, 7, 13, 20] * 2
    starts = episodes.rows[:, 0] - torch.repeat_interleave(torch.tensor([0, 60]), 4)
    assert starts.tolist() == [0, 20, 27, 40] * 2


def test_each_meta_test_draws_its_own_sampled_z():
    """OFFPEARL's sampled meta-test z (`sample_z_at_test`) is seeded per meta-test by its iteration (stream test_z),
    so a resumed run repeats a meta-test's draws and different meta-tests draw independently; with the stream keyed
    by a constant, every iteration's meta-test reused the very same noise, and the learning curve's meta-test noise
    was one draw repeated instead of independent draws. By hand: the same iteration gives the same prior samples
    wherever the generator stood; iterations 3 and 4 give different ones."""
    from rlkit.eval.evaluator import seed_meta_test_z
    from tests.test_eval import SampledZSpy

    agent = SampledZSpy()

    def prior_draws(iteration: int, start: int) -> torch.Tensor:
        agent.test_z_generator.manual_seed(start)  # wherever the generator stands before the meta-test
        seed_meta_test_z(agent, 5, iteration)
        return agent.prior_z(4)

    third = prior_draws(3, 0)
    assert torch.equal(third, prior_draws(3, 123))
    assert not torch.equal(third, prior_draws(4, 0))
    assert not torch.equal(prior_draws(4, 0), prior_draws(5, 0))


def test_each_meta_tests_streams_are_keyed_by_its_iteration():
    """`EvalStreams.of` keys the offline protocol's context rows, Np's random actions and Np's policy samples by the
    iteration, so a resumed run repeats a meta-test's draws and two meta-tests draw independently. With the offline
    context stream keyed by 0, every meta-test of a run read the very same offline rows; Np's random actions or its
    policy samples keyed by 0 are caught here alike. Same seed and iteration: the same first draws; iterations 3 and
    4, or seeds 5 and 6: different ones; the three streams draw apart from each other."""

    def draws(iteration: int, seed: int = 5):
        s = EvalStreams.of(seed, iteration, DEV)
        return (
            torch.rand(4, generator=s.offline_context),
            torch.as_tensor(s.np_random.uniform(size=4)),
            torch.rand(4, generator=s.np_policy),
        )

    third, again, fourth, other_seed = draws(3), draws(3), draws(4), draws(3, seed=6)
    for k, name in enumerate(("offline context", "Np random", "Np policy")):
        assert torch.equal(third[k], again[k]), name
        assert not torch.equal(third[k], fourth[k]), name
        assert not torch.equal(third[k], other_seed[k]), name
    assert len({tuple(d.tolist()) for d in third}) == 3  # three streams, not one


def test_borels_offline_episodes_are_bounded_by_the_envs_time_limit_not_the_meta_tests_horizon():
    """`Belief.of` checks the test data's episodes against env_params.max_episode_steps (the env's time limit, the
    longest episode the data can hold), not max_path_length (the meta-test's H). The config lets H be below the time
    limit; the offline episodes are then longer than H and a check against H refused good data.
    By hand: H = 10, the time limit 20, episodes of 20, 7, 13 and 20 steps: 4 sequences of those lengths."""
    cfg = load_config(
        ROOT / "configs" / "point-robot.json",
        {"algo_type": "BOREL", "algo_params": {"max_path_length": 10}, "env_params": {"max_episode_steps": 20}},
    )
    buffer = MultiTaskBuffer({t: episodes_data([20, 7, 13, 20], t, seed=t) for t in TASKS}, OBS, ACT, DEV)
    assert Belief.of(cfg, buffer).episodes.lengths.tolist() == [20, 7, 13, 20] * len(TASKS)


def _point_evaluator(buffer=None, num_evals=2):

    cfg = load_config(ROOT / "configs" / "point-robot.json", {"algo_params": {"num_evals": num_evals}})
    return Evaluator(cfg, [2, 6], buffer, None, seed=5, device=DEV)


def test_an_evaluator_refuses_test_data_without_its_test_tasks():
    """The Evaluator checks that its buffer holds every test task (`eval_buffer.require`). The offline protocol's
    `sample_context` checks nothing per step, so without it a missing task would be read as another task's rows or
    fail deep inside the first meta-test; the check names the missing ids at construction."""
    with pytest.raises(UserError, match=r"test tasks \[6\] are not in the loaded data"):
        _point_evaluator(make_buffer(tasks=(2, 3)))


def test_an_evaluator_refuses_fewer_env_states_than_it_has_job_envs():
    """`set_rng_states` refuses any number of states other than its job envs' (`!=`, not `>`), fewer included:
    accepting fewer, zip would restore the first envs only and leave the others at their fresh generators, so a
    resumed meta-test silently differs from a straight run. 2 test tasks x 2 runs = 4 job envs; 3 or 5 states are
    refused, 4 restore."""
    ev = _point_evaluator()
    states = ev.rng_states()
    assert len(states) == 4
    for wrong in (states[:3], states + states[:1]):
        with pytest.raises(ValueError, match=f"{len(wrong)} env states for 4 evaluation envs"):
            ev.set_rng_states(wrong)
    ev.set_rng_states(states)


def _meta_test_with_spy():
    """One meta-test of a point-robot Evaluator (tasks 2 and 6, 2 runs, N = 40, H = 20) with a SpyAgent."""
    cfg = load_config(
        ROOT / "configs" / "point-robot.json", {"algo_params": {"num_evals": 2, "num_steps_per_eval": 40}}
    )
    agent = SpyAgent()
    return agent, Evaluator(cfg, [2, 6], make_buffer(tasks=(2, 6)), None, seed=5, device=DEV)(agent, 3)


def test_the_meta_tests_logged_z_std_is_the_last_np_jobs():
    """`Z variance eval` (`final_z_std`) is the LAST Np job's, as `Z mean eval` (`final_z`) is, not read from the
    FIRST (`z_std[0]`): the two columns would then describe different jobs. Both are the last job's (last test task,
    last run): the std over its last context of the per-transition embeddings, mean over dims."""
    agent, result = _meta_test_with_spy()
    last_contexts = agent.contexts[-1]  # Np runs last: its last inference, one context per job
    assert len(last_contexts) == 4

    def spread(ctx):
        with torch.no_grad():
            e, _ = agent.encode_with_var(ctx[None])
        return float(e[0].std(dim=0).mean())

    assert result.final_z_std == pytest.approx(spread(last_contexts[-1]), rel=1e-6)
    assert abs(spread(last_contexts[0]) - spread(last_contexts[-1])) > 1e-6  # the first job's differs


def test_the_meta_tests_rollouts_count_every_scored_episode():
    """`EvalResult.rollouts` (the `Number of rollouts total` column's increment) counts the jobs' scored episodes,
    not the jobs (`len(v)`). By hand: 3 protocols x 4 jobs (2 tasks x 2 runs) x N / H = 2 scored episodes = 24
    (counting the jobs: 12); and a result of jobs with 3 and 1 episodes counts 4."""
    assert EvalResult(returns={"online": [[-1.0, -2.0, -3.0], [-4.0]]}).rollouts == 4
    _, result = _meta_test_with_spy()
    assert result.rollouts == 24


def test_a_meta_tests_env_steps_are_the_steps_of_that_meta_test_alone():
    """`EvalResult.env_steps` (the `Number of env steps total` column's increment) counts the env steps of this
    meta-test only, not every step the job envs (kept across iterations) ever took: summing the envs' running
    totals would make the column grow quadratically. By hand, tasks 2 and 6 x 2 runs = 4 jobs, N = 40, H = 20:
    offline 2 x 20, online 2 x 20, Np 2 context + 2 scored episodes of 20 = 160 steps a job, 640 a meta-test,
    the second meta-test too."""
    cfg = load_config(
        ROOT / "configs" / "point-robot.json", {"algo_params": {"num_evals": 2, "num_steps_per_eval": 40}}
    )
    ev = Evaluator(cfg, [2, 6], make_buffer(tasks=(2, 6)), None, seed=5, device=DEV)
    agent = SpyAgent()
    assert [ev(agent, i).env_steps for i in (1, 2)] == [640, 640]


def test_a_protocols_logged_return_is_the_mean_over_every_task_and_run_of_its_last_episode():
    """`EvalResult.mean_returns` (the `Average_*Return_all_test_tasks` columns) averages the scores, the return of
    each job's last scored episode, over runs and then tasks (docs/algorithm.md, "Meta-test"): over every entry of the
    [tasks, runs] table, not one run's or one task's. By hand: tasks of runs (1, 3) and (5, 7) give 4 (the last run
    alone 5, the last task alone 6); and a meta-test's logged return is the mean of its jobs' last returns."""
    assert EvalResult(scores={"online": np.array([[1.0, 3.0], [5.0, 7.0]])}).mean_returns() == {"online": 4.0}
    _, result = _meta_test_with_spy()
    for protocol, jobs in result.returns.items():
        assert result.scores[protocol].shape == (2, 2)  # [tasks 2 and 6, runs 0 and 1]
        want = np.mean([job[-1] for job in jobs])
        assert result.mean_returns()[protocol] == pytest.approx(want, rel=1e-6), protocol


@pytest.mark.parametrize("protocol", ["offline", "online", "np"])
def test_each_recurrent_protocol_is_run_with_the_beliefs_window(protocol, monkeypatch):
    """`run_protocol` hands a recurrent agent's protocols the window of its Belief (`borel_episodes` - 1 context
    episodes), not a fixed 1: with `borel_episodes` 3 each gets 2."""
    import rlkit.eval.evaluator as evaluator

    got = []
    name = {"offline": "offline_context_recurrent", "online": "online_prior_context_recurrent"}
    fn = name.get(protocol, "nonprior_context_recurrent")
    monkeypatch.setattr(evaluator, fn, lambda agent, envs, *args, **kw: got.append(args) or "ran")
    agent = make_trainer().agent
    belief = Belief(None, 3 - 1)
    streams = EvalStreams.of(0, 0, torch.device("cpu"))
    assert evaluator.run_protocol(protocol, agent, [], [], None, streams, None, "cpu", None, belief) == "ran"
    window_at = {"offline": 3, "online": 1, "np": 1}[protocol]  # (offline: tasks, episodes, setting, then window)
    assert got[0][window_at] == 2
