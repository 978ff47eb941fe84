import re

import numpy as np
import pytest

from rlkit.config import load_config
from rlkit.envs import NormalizedBoxEnv
from rlkit.envs.point_robot import point_goals
from rlkit.errors import UserError
from rlkit.tasks import make_env, oracle_return, random_return
from tests.conftest import ROOT

HELD_OUT = list(range(2, 40, 4))
ORACLE = [-4.39, -3.64, -3.05, -3.75, -4.43, -4.32, -3.54, -3.10, -3.86, -4.47]


def test_goals_on_upper_half_circle_deterministic():
    g = point_goals(40, False)
    assert g.shape == (40, 2)
    np.testing.assert_allclose(np.linalg.norm(g, axis=1), 1.0)
    assert (g[:, 1] >= -1e-12).all()
    np.testing.assert_allclose(g[0], [1, 0], atol=1e-12)
    np.testing.assert_allclose(g[-1], [-1, 0], atol=1e-12)
    np.testing.assert_array_equal(point_goals(40, True), point_goals(40, True))
    assert not np.array_equal(point_goals(40, True), g)
    # randomize_tasks: the reference's draw, the plain goals permuted by RandomState(1337)
    np.testing.assert_array_equal(point_goals(40, True), g[np.random.RandomState(1337).permutation(40)])


def test_randomize_does_not_touch_global_rng():
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)
    point_goals(40, True)
    assert np.random.rand() == expected


def test_step_reward_and_dynamics():
    env = make_env("point-robot", n_tasks=40, max_episode_steps=20)
    env.reset_task(10)
    obs, _ = env.reset()
    np.testing.assert_array_equal(obs, [0, 0])
    obs, r, terminated, truncated, _ = env.step(np.array([0.05, -0.02]))
    np.testing.assert_allclose(obs, [0.05, -0.02])
    assert r == pytest.approx(-np.linalg.norm(obs - point_goals(40, False)[10]))
    assert not terminated and not truncated


def test_time_limit_truncates():
    env = make_env("point-robot", n_tasks=4, max_episode_steps=3)
    env.reset_task(0)
    flags = [env.step(np.zeros(2))[3] for _ in range(3)]
    assert flags == [False, False, True]


def test_same_actions_same_trajectory():
    actions = np.random.default_rng(0).uniform(-1, 1, size=(20, 2))
    runs = []
    for _ in range(2):
        env = NormalizedBoxEnv(make_env("point-robot", n_tasks=40))
        env.reset_task(7)
        env.reset(seed=3)
        runs.append([env.step(a)[:2] for a in actions])
    for (o1, r1), (o2, r2) in zip(*runs):
        np.testing.assert_array_equal(o1, o2)
        assert r1 == r2


def test_normalized_box_env_rescales_and_clips():
    env = NormalizedBoxEnv(make_env("point-robot", n_tasks=2))
    env.reset_task(0)
    obs, *_ = env.step(np.array([1.0, -0.5]))
    np.testing.assert_allclose(obs, [0.1, -0.05])
    obs, *_ = env.step(np.array([3.0, 0.0]))  # clipped to the box
    np.testing.assert_allclose(obs, [0.2, -0.05])


def test_normalized_box_env_maps_minus_one_to_one_onto_an_asymmetric_box():
    """[-1, 1] onto [low, high] with its offset: every shipped box is symmetric, where `a * half_range` is the same."""
    import gymnasium as gym

    class Box02(gym.Env):
        action_space = gym.spaces.Box(0.0, 2.0, shape=(1,))
        observation_space = gym.spaces.Box(-np.inf, np.inf, shape=(1,))

        def step(self, action):
            return np.asarray(action, dtype=np.float64), 0.0, False, False, {}

    env = NormalizedBoxEnv(Box02())
    assert [float(env.step(np.array([a]))[0][0]) for a in (-1.0, 0.0, 1.0, 0.5)] == [0.0, 1.0, 2.0, 1.5]
    assert env.action_space == gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)  # what the agent acts in


def test_normalized_box_env_scales_the_observations_of_reset_and_reset_task_too():
    """With a dataset's `normalizer.npz` every observation the wrapper gives is divided by it, the episode's first
    included (a point robot starts at the origin, where no scale shows: a cheetah starts elsewhere)."""
    scale = np.full(20, 4.0)
    raw, _ = make_env("cheetah-vel", n_tasks=2).reset(seed=3)
    obs, _ = NormalizedBoxEnv(make_env("cheetah-vel", n_tasks=2), obs_scale=scale).reset(seed=3)
    assert np.abs(raw).max() > 0
    np.testing.assert_allclose(obs, raw / 4.0, rtol=1e-15)
    raw_first = make_env("cheetah-vel", n_tasks=2, seed=0).reset_task(1)
    first = NormalizedBoxEnv(make_env("cheetah-vel", n_tasks=2, seed=0), obs_scale=scale).reset_task(1)
    assert np.abs(raw_first).max() > 0
    np.testing.assert_allclose(first, raw_first / 4.0, rtol=1e-15)


def test_oracle_returns_match_spec():
    env = make_env("point-robot", n_tasks=40, max_episode_steps=20)
    got = [oracle_return(env, t) for t in HELD_OUT]
    np.testing.assert_allclose(got, ORACLE, atol=0.006)
    assert np.mean([random_return(env, t) for t in HELD_OUT]) == pytest.approx(-20.4, abs=0.3)


def test_sparse_reward():
    env = make_env("sparse-point-robot", n_tasks=2, goal_radius=0.2)
    np.testing.assert_allclose(env.sparsify_rewards(np.array([-0.1, -0.3])), [0.9, 0.0])
    env.reset_task(0)
    _, r, _, _, info = env.step(np.zeros(2))
    assert r == pytest.approx(-1.0) and info["sparse_reward"] == 0.0


@pytest.mark.parametrize("bad", [-1, 40])
def test_task_index_out_of_range(bad):
    env = make_env("point-robot", n_tasks=40)
    with pytest.raises(UserError, match=f"task index {bad}"):
        env.reset_task(bad)


def test_non_finite_action_rejected():
    env = make_env("point-robot", n_tasks=2)
    env.reset_task(0)
    with pytest.raises(UserError, match="non-finite action"):
        env.step(np.array([np.nan, 0.0]))


@pytest.mark.parametrize("name", ["point-robot", "hopper-rand-params"])
def test_an_action_of_another_shape_is_refused_not_broadcast(name):
    """numpy would add a 1-element action to both coordinates, or write it into every actuator."""
    env = make_env(name, n_tasks=2)
    env.reset_task(0)
    with pytest.raises(ValueError, match=rf"action of shape \(1,\): expected \({env.action_space.shape[0]},\)"):
        env.step(np.array([0.5]))


def test_unknown_env_lists_known():
    with pytest.raises(UserError, match="point-robot"):
        make_env("no-such-env")


def _winds(n):
    """The reference's [n, 2] winds, by hand."""
    rs = np.random.RandomState(1337)  # docs/environments.md: all x components, then all y
    return np.stack([rs.uniform(-0.05, 0.05, n), rs.uniform(-0.05, 0.05, n)], axis=1)


def test_point_robot_wind_formulas():
    """The reference's point-robot-wind: goal (1, 0) for every task, a per-task wind added to every step."""
    env = make_env("point-robot-wind", n_tasks=40, max_episode_steps=20, goal_radius=0.2)
    winds = _winds(40)
    assert all(t["goal"] == [1.0, 0.0] for t in env.tasks)
    np.testing.assert_allclose([t["wind"] for t in env.tasks], winds)
    env.reset_task(7)
    obs, _ = env.reset()
    obs, r, _, _, info = env.step(np.array([0.1, -0.03]))
    np.testing.assert_allclose(obs, np.array([0.1, -0.03]) + winds[7])
    assert r == pytest.approx(-np.linalg.norm(obs - [1.0, 0.0]))
    assert info["sparse_reward"] == 0.0  # outside the goal radius
    np.testing.assert_allclose(env.sparsify_rewards(np.array([-0.3, -0.2, -0.1])), [0.0, 0.8, 0.9])
    wrapped = NormalizedBoxEnv(make_env("point-robot-wind", n_tasks=40, max_episode_steps=20))
    for t in (0, 7, 39):  # the scripted oracle reaches the goal against the wind; random actions do not
        assert oracle_return(wrapped.unwrapped, t) > random_return(wrapped.unwrapped, t, episodes=20) + 5
    env.reset_task(7)
    env.reset()
    for _ in range(20):
        obs, r, _, _, info = env.step(env.oracle_action(obs))
    assert r > -0.2 and info["sparse_reward"] == pytest.approx(r + 1.0)
    # within one step of the goal the oracle cancels the wind exactly, so it ends on the goal (against the wind
    # added instead, it would settle 2 |wind| away, inside the radius)
    np.testing.assert_allclose(env.oracle_action(np.array([0.95, 0.02])), np.array([0.05, -0.02]) - winds[7])
    assert r == pytest.approx(0.0, abs=1e-12)


# env_name -> (has a sparse reward, has a scripted oracle, describes its tasks in task files)
CAPABILITIES = {
    "point-robot": (False, True, False),
    "sparse-point-robot": (True, True, False),
    "point-robot-wind": (True, True, False),
    "cheetah-vel": (False, False, False),
    "cheetah-dir": (False, False, False),
    "ant-goal": (False, False, False),
    "ant-dir": (False, False, False),
    "humanoid-dir": (False, False, False),
    "hopper-rand-params": (False, False, True),
    "walker-rand-params": (False, False, True),
    "sparse-walker-rand-params": (True, False, True),
}


def test_every_family_declares_its_capabilities_on_the_base_class():
    from rlkit.tasks import ENVS

    assert set(CAPABILITIES) == set(ENVS), (
        f"add {sorted(set(ENVS) - set(CAPABILITIES))} to CAPABILITIES (sparse, oracle, task files), as the family's "
        "class declares them"
    )
    for name, (sparse, oracle, task_files) in CAPABILITIES.items():
        env = make_env(name, n_tasks=2)
        fn = env.sparse_reward_fn()
        assert (fn is not None, env.has_oracle, env.supports_task_files) == (sparse, oracle, task_files), name
        if fn is not None:
            assert fn(-100.0) == 0.0  # far from any goal: no sparse reward
        if not oracle:
            with pytest.raises(NotImplementedError, match="no scripted oracle"):
                env.oracle_action(np.zeros(env.observation_space.shape))


def test_sparse_rewards_on_a_dense_env_is_one_line_naming_it():
    from rlkit.config import load_config
    from rlkit.tasks import scored_reward_fn
    from tests.conftest import ROOT

    dense = load_config(ROOT / "configs" / "point-robot.json", {"algo_params": {"sparse_rewards": True}})
    env = NormalizedBoxEnv(make_env("point-robot", n_tasks=2))
    with pytest.raises(UserError, match="sparse_rewards is set but 'point-robot' has no sparse reward"):
        scored_reward_fn(dense, env)
    assert scored_reward_fn(load_config(ROOT / "configs" / "point-robot.json"), env) is None
    sparse = load_config(ROOT / "configs" / "sparse-point-robot.json")
    env = NormalizedBoxEnv(make_env("sparse-point-robot", n_tasks=2))
    fn = scored_reward_fn(sparse, env)
    radius = env.unwrapped.goal_radius  # inside it the dense reward (minus the distance) shifted by 1, else 0
    np.testing.assert_allclose(fn(np.array([-0.1, -radius, -radius - 0.01, -3.0])), [0.9, 1 - radius, 0.0, 0.0])


def test_env_rng_state_round_trip_repeats_the_episode_starts_through_a_wrapper():
    from rlkit.envs import env_rng_state, set_env_rng_state

    env = NormalizedBoxEnv(make_env("point-robot-wind", n_tasks=2))
    env.reset(seed=3)
    saved = env_rng_state(env)
    first = [env.unwrapped.np_random.random() for _ in range(3)]
    set_env_rng_state(env, saved)
    assert [env.unwrapped.np_random.random() for _ in range(3)] == first


def test_only_rlkit_envs_reaches_into_an_envs_generator():
    from tests.conftest import ROOT
    from tests.test_layers import SOURCES

    holders = [str(p.relative_to(ROOT)) for p in SOURCES if "bit_generator.state" in p.read_text()]
    assert holders == ["rlkit/envs/base.py"]


def test_random_return_is_the_same_in_every_process_on_a_body_with_reset_noise():
    """The report's bottom reference: a MuJoCo body's reset noise is seeded with the actions, so a report
    written twice (or by another process) divides by the same number."""
    first = random_return(make_env("cheetah-vel", n_tasks=4), 1, episodes=3)
    assert random_return(make_env("cheetah-vel", n_tasks=4), 1, episodes=3) == first
    assert random_return(make_env("cheetah-vel", n_tasks=4), 1, episodes=3, seed=1) != first


def test_zero_action_return_by_hand():
    """The third reference: a point robot that does nothing stays at the start, one unit from its goal on the
    unit circle, for 20 steps (-20); a cheetah that does nothing stands, so it loses its target speed each step
    (reward -|v - v*| with no control cost), about -200 v* over 200 steps."""
    from rlkit.tasks import zero_action_return

    env = make_env("point-robot", n_tasks=40, max_episode_steps=20)
    assert [zero_action_return(env, t) for t in (0, 7, 39)] == pytest.approx([-20.0] * 3, abs=1e-9)
    cheetah = make_env("cheetah-vel", n_tasks=4)
    for t in (0, 3):
        v_star = float(cheetah.tasks[t]["velocity"])
        r = zero_action_return(cheetah, t, episodes=2)
        assert r == pytest.approx(-200 * v_star, rel=0.05, abs=2.0), (t, v_star, r)
        assert zero_action_return(cheetah, t, episodes=2) == r  # seeded resets: the same number every time
    # a body that falls ends its episode there (terminated), not at the time limit: a humanoid doing nothing falls
    humanoid = make_env("humanoid-dir", n_tasks=2, max_episode_steps=200)
    humanoid.reset_task(0)
    humanoid.reset(seed=0)
    total, steps, terminated = 0.0, 0, False
    while not terminated:
        _, r, terminated, truncated, _ = humanoid.step(np.zeros(humanoid.action_space.shape))
        total, steps = total + r, steps + 1
        assert not truncated
    assert steps < 200
    assert zero_action_return(humanoid, 0, episodes=1, seed=0, horizon=400) == pytest.approx(total, rel=1e-12)
    # episode i starts from reset(seed=seed + i): two episodes are the mean of two seeds' starts, not one start twice
    r0, r1 = (zero_action_return(cheetah, 1, episodes=1, seed=s) for s in (0, 1))
    assert r0 != r1 and zero_action_return(cheetah, 1, episodes=2, seed=0) == pytest.approx((r0 + r1) / 2, rel=1e-12)


@pytest.mark.parametrize("env_name", ["point-robot", "sparse-point-robot", "point-robot-wind"])
def test_a_point_familys_declared_task_difference_is_what_its_tasks_do(env_name):
    """`tasks_differ_in` (which CORRO's negatives and BOREL's state decoder follow) says what tells two tasks
    apart: from the same state and action, "reward" tasks reach the same next state with other rewards,
    "dynamics" tasks other next states, scored by one reward function of the next state."""
    from rlkit.tasks import env_class

    env = make_env(env_name, n_tasks=4)
    steps = []
    for task in (0, 1):
        env.reset_task(task)
        env.reset()
        steps.append(env.step(np.array([0.05, 0.03]))[:2])
    (s0, r0), (s1, r1) = steps
    kind = env_class(env_name).tasks_differ_in
    assert kind == ("dynamics" if env_name == "point-robot-wind" else "reward")
    assert (np.allclose(s0, s1), r0 == r1) == ((True, False) if kind == "reward" else (False, False))
    if kind == "dynamics":  # the same reward function: distance to the one goal
        assert np.allclose(env.goal, make_env(env_name, n_tasks=4).goal)


def test_the_wrapper_counts_every_env_step_it_takes():
    """`NormalizedBoxEnv.total_steps` not incremented per step. The evaluator logs the env steps
    of a meta-test as the change of the wrappers' total_steps; a broken counter logs 0 (or a wrong count)
    environment steps. By hand: 5 steps -> 5, a reset does not count."""
    env = NormalizedBoxEnv(make_env("point-robot", n_tasks=2))
    env.reset_task(0)
    for _ in range(3):
        env.step(np.zeros(2))
    env.reset()
    for _ in range(2):
        env.step(np.zeros(2))
    assert env.total_steps == 5


def test_sparse_point_robots_default_goal_radius_is_0_2():
    """sparse-point-robot's default `goal_radius` changed from 0.2 (docs/environments.md: "`r + 1`
    inside `goal_radius` (0.2) of the goal"). A config that does not set the radius gets the default, and a
    wider radius makes the sparse task easier and its scores incomparable. By hand: at distance 0.25 the sparse
    reward is 0, at 0.15 it is 1 - 0.15 = 0.85."""
    env = make_env("sparse-point-robot", n_tasks=2)
    assert env.goal_radius == pytest.approx(0.2)
    np.testing.assert_allclose(env.sparsify_rewards(np.array([-0.25, -0.15])), [0.0, 0.85])


def test_point_robots_randomize_tasks_permutes_the_goals_with_random_state_1337():
    """`PointEnv` ignoring its `randomize_tasks` (building the unpermuted goal list). Docs: goals at
    angles linspace(0, pi, n_tasks), and `randomize_tasks` permutes them with RandomState(1337); an env that
    ignores the flag trains and tests on other goals than `goal_idx{i}` names. The permutation is derived here
    from the docs, not from `point_goals`."""
    n = 8
    angles = np.linspace(0, np.pi, n)[np.random.RandomState(1337).permutation(n)]
    for name in ("point-robot", "sparse-point-robot"):
        env = make_env(name, n_tasks=n, randomize_tasks=1)
        got = []
        for t in range(n):
            env.reset_task(t)
            got.append(env.goal.copy())
        np.testing.assert_allclose(got, np.stack([np.cos(angles), np.sin(angles)], axis=1), atol=1e-12)
        assert not np.allclose(got, np.stack([np.cos(np.linspace(0, np.pi, n)), np.sin(np.linspace(0, np.pi, n))], 1))


def test_each_env_name_builds_the_family_of_its_tasks():
    """Each env name builds the family of its tasks. docs/environments.md: cheetah-vel's tasks are target
    velocities, cheetah-dir's directions -1/+1, ant-goal's goal positions, ant-dir's and humanoid-dir's direction
    angles. This catches the registry mapping cheetah-dir to the velocity family, or swapping ant-goal's and
    ant-dir's families; every test built the env of each family by its class or by another name, so a run of
    `--env_name cheetah-dir` trained and was scored on target velocities without a word."""
    assert [t["direction"] for t in make_env("cheetah-dir", n_tasks=4).tasks] == [-1, 1, -1, 1]
    assert all("velocity" in t for t in make_env("cheetah-vel", n_tasks=2).tasks)
    assert np.shape(make_env("ant-goal", n_tasks=2).goal) == (2,)
    for name in ("ant-dir", "humanoid-dir"):
        env = make_env(name, n_tasks=4)
        assert np.ndim(env.goal) == 0
        assert [t["goal"] for t in env.tasks] == pytest.approx([0.0, np.pi / 2, np.pi, 3 * np.pi / 2])


def test_a_moved_datasets_task_files_are_restored_from_where_it_is_now(tmp_path):
    """make_wrapped_env restores a parameter family's tasks from the `data_dir` it is given, where the dataset is now
    (show_path.py's and `--data_dir`'s moved dataset), not from the config's `algo_params.data_dir`. Restoring them
    from the config's folder, no task file was found there, and the run was meta-tested on the family's freshly
    sampled hopper bodies instead of the ones its data was collected on, without a word."""
    from rlkit.data.dataset import TASK_PARAMS_FILE, task_dir
    from rlkit.tasks import make_wrapped_env

    written = make_env("hopper-rand-params", n_tasks=2)
    written.set_task_params(1, {k: 2.0 * np.asarray(v) for k, v in written.task_params[1].items()})
    moved = tmp_path / "moved"
    for t in range(2):
        task_dir(moved, t).mkdir(parents=True)
        written.save_task(t, task_dir(moved, t) / TASK_PARAMS_FILE)
    cfg = load_config(
        ROOT / "configs" / "hopper_rand_params.json",
        {
            "n_train_tasks": 1,
            "n_eval_tasks": 1,
            "env_params": {"n_tasks": 2},
            "algo_params": {"data_dir": str(tmp_path / "where_it_was"), "meta_batch": 1, "num_tasks_sample": 1},
        },
    )
    env = make_wrapped_env(cfg, None, data_dir=moved)
    assert env.unwrapped.tasks == written.tasks
    assert env.unwrapped.tasks[1] != make_env("hopper-rand-params", n_tasks=2).tasks[1]


def test_the_oracle_return_is_cut_at_the_meta_tests_horizon():
    """oracle_return sums the episode up to the `horizon` it is given, not the whole episode: otherwise a run whose
    meta-test episodes are shorter than the env's (max_path_length < max_episode_steps) was scored against an oracle
    of another number of steps, the top of its normalised score misplaced. The point robot's oracle is still on its
    way to the goal (reward < 0) after 5 steps."""
    env = make_env("point-robot", n_tasks=4, max_episode_steps=20)
    env.reset_task(1)
    obs, _ = env.reset()
    total = 0.0
    for _ in range(5):
        obs, r, *_ = env.step(env.oracle_action(obs))
        total += r
    got = oracle_return(make_env("point-robot", n_tasks=4, max_episode_steps=20), 1, horizon=5)
    assert got == pytest.approx(total, rel=1e-12)
    assert got != pytest.approx(oracle_return(make_env("point-robot", n_tasks=4, max_episode_steps=20), 1))


def test_a_horizon_below_one_step_is_refused_not_the_whole_episode():
    """horizon 0 never equalled the step count, so the episode ran to the env's own end (-3.54 on task 1, the same as
    no horizon), where "cut after `horizon` steps" says none: refused."""
    for horizon in (0, -3):
        with pytest.raises(ValueError, match=rf"horizon {horizon}: expected at least 1 step"):
            oracle_return(make_env("point-robot", n_tasks=4, max_episode_steps=20), 1, horizon=horizon)
    env = make_env("point-robot", n_tasks=4, max_episode_steps=20)  # one step is a horizon: its one reward
    env.reset_task(1)
    first = env.step(env.oracle_action(env.reset()[0]))[1]
    assert oracle_return(make_env("point-robot", n_tasks=4, max_episode_steps=20), 1, horizon=1) == first


def test_the_interpolation_split_of_one_test_task_tests_the_middle_one():
    """The interpolation split follows docs/algorithm.md, "Task split": with interpolation, gap int(n_train /
    n_eval) + 1 and the test tasks range(0, n, gap) + int(gap / 2). One test task of point-robot's 40 with 30 train:
    gap 31, test task 15, train the first 30 of the rest (not the plain split's last task, 39, an extrapolation)."""
    from rlkit.tasks import train_eval_split

    config = load_config(ROOT / "configs" / "point-robot.json", {"n_train_tasks": 30, "n_eval_tasks": 1})
    train, test = train_eval_split(config)
    assert test == [15]
    assert train == [t for t in range(31) if t != 15]


def test_point_robot_winds_default_goal_radius_is_0_2():
    """point-robot-wind's default `goal_radius` is 0.2 (a config without the key gets it). docs/environments.md:
    "r + 1 inside `goal_radius` (0.2), 0 outside"; by hand, distance 0.25 is outside, 0.15 inside."""
    env = make_env("point-robot-wind", n_tasks=2)
    assert env.goal_radius == pytest.approx(0.2)
    np.testing.assert_allclose(env.sparsify_rewards(np.array([-0.25, -0.15])), [0.0, 0.85])


def test_point_robot_winds_info_sparse_reward_counts_a_point_on_the_radius_as_inside():
    """`info["sparse_reward"]` and `sparsify_rewards` count a point on the radius as inside (`reward >=
    -goal_radius`, not `>`): both give r + 1 there. The radius is set to the distance the step reaches, so the point
    lies exactly on it."""
    action = np.array([0.1, 0.03])
    probe = make_env("point-robot-wind", n_tasks=4, goal_radius=0.2)
    probe.reset_task(2)
    probe.reset()
    r = probe.step(action)[1]
    env = make_env("point-robot-wind", n_tasks=4, goal_radius=-r)
    env.reset_task(2)
    env.reset()
    _, r2, _, _, info = env.step(action)
    assert r2 == r and float(env.sparsify_rewards(r2)) == r + 1.0  # on the radius: inside
    assert info["sparse_reward"] == pytest.approx(r + 1.0, abs=1e-15)


def test_a_sparse_point_robot_wind_run_scores_what_the_reference_scored():
    """With `sparse_rewards` on, the reference scores point-robot-wind by `info["sparse_reward"]`, r + 1 inside the
    radius and 0 outside; the run's scored reward (and context) is that map, so staying on the goal scores best.
    (Its own `sparsify_rewards`, r inside and 0 outside, scored staying outside above reaching the goal.)"""
    from rlkit.config import load_config
    from rlkit.tasks import scored_reward_fn

    cfg = load_config(ROOT / "configs" / "point-robot-wind.json", {"algo_params": {"sparse_rewards": 1}})
    env = make_env("point-robot-wind", n_tasks=40, max_episode_steps=20, goal_radius=0.2)
    score = scored_reward_fn(cfg, env)
    env.reset_task(7)
    obs, _ = env.reset()
    dense, sparse, info_sparse = [], [], []
    for _ in range(20):  # the oracle reaches the goal and stays: outside first, then inside
        obs, r, _, _, info = env.step(env.oracle_action(obs))
        dense.append(r), sparse.append(float(score(r))), info_sparse.append(info["sparse_reward"])
    dense = np.array(dense)
    assert sparse == info_sparse
    np.testing.assert_allclose(sparse, np.where(dense >= -0.2, dense + 1.0, 0.0))
    assert dense[0] < -0.2 and sparse[0] == 0.0 and sparse[-1] == pytest.approx(1.0)  # reaching it pays


def test_point_robot_winds_oracle_stays_inside_the_action_box():
    """The wind oracle clips to the env's [-0.1, 0.1], not to [-1, 1] (the agent's box). The raw env does not clip
    its actions, so an oracle clipped to [-1, 1] jumps to the goal in one step and the report's top reference
    (oracle_return) is too high. By hand from the origin of task 7: goal offset less the wind is (1 - w_x, -w_y),
    clipped to (0.1, -w_y) (|w_y| < 0.05)."""
    w = _winds(40)[7]
    env = make_env("point-robot-wind", n_tasks=40, max_episode_steps=20)
    env.reset_task(7)
    obs, _ = env.reset()
    np.testing.assert_allclose(env.oracle_action(obs), [0.1, -w[1]], rtol=1e-12)
    for _ in range(20):
        a = env.oracle_action(obs)
        assert np.all(np.abs(a) <= 0.1 + 1e-12)
        obs, *_ = env.step(a)


def test_a_huge_but_finite_action_is_not_refused_as_non_finite():
    """An action is refused as non-finite only for a non-finite element: the check is
    `not isfinite(a @ a) and not isfinite(a).all()`, not `or`. The `a @ a` shortcut overflows for finite |a| above
    ~1e154; only a non-finite element may be refused (base.py's comment), not a finite action."""
    env = make_env("point-robot", n_tasks=2)
    env.reset_task(0)
    with np.errstate(over="ignore"):  # (a @ a overflows, as does the distance of the reward)
        obs, *_ = env.step(np.array([1e200, 0.0]))
    assert obs[0] == 1e200
    with pytest.raises(UserError, match="non-finite action"):
        env.step(np.array([np.inf, 0.0]))


def test_normalized_box_env_clips_below_the_box_too():
    """The wrapper's clip to the env's box has its lower side too, not `np.minimum(scaled, high)` only. An agent
    action below -1 maps below the box's low; by hand, -3 on the point robot's [-0.1, 0.1] is clipped to -0.1 (the
    existing test only clips above)."""
    env = NormalizedBoxEnv(make_env("point-robot", n_tasks=2))
    env.reset_task(0)
    obs, *_ = env.step(np.array([-3.0, 0.5]))
    np.testing.assert_allclose(obs, [-0.1, 0.05], rtol=1e-12)


def test_a_task_index_out_of_range_names_the_number_of_tasks():
    """A slip in the refusal's bound (`len(tasks) - 1`) would tell the user the wrong range: with 40 tasks the
    valid indices are 0..39, so the message must read `0 <= idx < 40`."""
    env = make_env("point-robot", n_tasks=40)
    with pytest.raises(UserError, match=r"^task index 40 out of range: expected 0 <= idx < 40$"):
        env.reset_task(40)
    with pytest.raises(UserError, match=r"^task index -1 out of range: expected 0 <= idx < 40$"):
        env.reset_task(-1)


def test_a_task_index_that_is_not_a_whole_number_is_refused_not_truncated():
    """reset_task(1.7) selected task 1 without a word; a NumPy integer (a task list's element) is a task index."""
    env = make_env("point-robot", n_tasks=4)
    for idx in (1.7, 1.0, "1", True):
        with pytest.raises(
            UserError, match=rf"^task index {re.escape(repr(idx))}: expected a whole number, 0 <= idx < 4$"
        ):
            env.reset_task(idx)
    env.reset_task(np.int64(2))
    assert env.task_idx == 2 and type(env.task_idx) is int


@pytest.mark.parametrize("name", ["point-robot", "sparse-point-robot", "point-robot-wind"])
def test_a_point_familys_default_episode_is_20_steps(name):
    """docs/environments.md: the point families run 20 steps, no early end. An env built without
    `max_episode_steps` (make_env's other callers, a user's own script) gets the class default; by hand: the 20th
    step, not an earlier or later one, is the first truncated."""
    env = make_env(name, n_tasks=2)
    env.reset_task(0)
    flags = [env.step(np.zeros(2))[3] for _ in range(20)]
    assert flags == [False] * 19 + [True]


def test_an_env_param_refusal_lists_the_keys_the_env_takes_and_a_bad_value_is_one_line():
    """An unknown env_params key is refused naming the keys the family's constructor takes (not `self`, which no
    config can set); a family's own key of the wrong type (a string log_scale_limit) is the one-line 'bad env_params'
    refusal naming the env, not a TypeError traceback, and a seed that is not a whole number >= 0 is refused, not
    truncated (2.5 was seed 2)."""
    with pytest.raises(UserError) as unknown:
        make_env("point-robot", goal_radius=0.5)
    assert str(unknown.value) == (
        "env_params.goal_radius for 'point-robot': expected only keys it takes, "
        "['max_episode_steps', 'n_tasks', 'randomize_tasks', 'seed']"
    )
    with pytest.raises(UserError, match=r"^bad env_params for 'hopper-rand-params': bad operand type"):
        make_env("hopper-rand-params", n_tasks=2, log_scale_limit="x")
    for seed in (2.5, "x", -1, True):
        with pytest.raises(UserError) as bad_seed:
            make_env("cheetah-vel", seed=seed)
        assert str(bad_seed.value) == f"env seed {seed!r}: expected a whole number >= 0 (or None)"


@pytest.mark.parametrize(
    ("key", "value", "refusal"),
    [
        ("n_tasks", 0, "env_params.n_tasks 0: expected a value in >= 1"),
        ("n_tasks", 2.5, "config key 'env_params.n_tasks' must be an integer, got 2.5"),
        ("max_episode_steps", "x", "config key 'env_params.max_episode_steps' must be an integer, got 'x'"),
        ("max_episode_steps", True, "config key 'env_params.max_episode_steps' must be an integer, got True"),
        ("goal_radius", -1.0, "env_params.goal_radius -1.0: expected a value in > 0"),
        ("goal_radius", 0.0, "env_params.goal_radius 0.0: expected a value in > 0"),  # (the open bound itself)
    ],
)
def test_an_env_params_value_out_of_type_or_range_from_python_is_the_configs_one_line(key, value, refusal):
    """A Python caller of make_env gets the config's own refusal of an env_params value by type and range (a string
    time limit was a ValueError traceback, a task count of 0 an env with no tasks, a float count truncated)."""
    with pytest.raises(UserError) as from_python:
        make_env("sparse-point-robot", **{key: value})
    assert str(from_python.value) == refusal
    if key != "n_tasks":  # (the config names a task count of 0 by the split it cannot hold, first)
        with pytest.raises(UserError) as from_config:
            load_config(None, {"env_params": {key: value}})
        assert str(from_config.value) == refusal


def test_env_params_from_python_are_read_as_a_config_reads_them():
    """make_env reads a whole float task count or time limit as the config does (`_coerce`: 2.0 is 2 tasks; it was
    a TypeError line) and a 0/1 randomize_tasks as a bool: the env equals the one built from the ints."""
    env = make_env("point-robot", n_tasks=2.0, max_episode_steps=5.0, randomize_tasks=1)
    same = make_env("point-robot", n_tasks=2, max_episode_steps=5, randomize_tasks=True)
    assert env.tasks == same.tasks and len(env.tasks) == 2
    assert env.max_episode_steps == 5 and type(env.max_episode_steps) is int


def test_the_zero_action_return_by_default_is_the_mean_of_three_seeded_episodes():
    """The report's third reference takes `episodes` 3 by default: on a body with reset noise, the mean of the
    episodes from reset(seed=0), reset(seed=1) and reset(seed=2), not one episode's return."""
    from rlkit.tasks import zero_action_return

    cheetah = make_env("cheetah-vel", n_tasks=4)
    each = [zero_action_return(cheetah, 1, episodes=1, seed=s) for s in range(3)]
    assert len(set(each)) == 3
    assert zero_action_return(cheetah, 1) == pytest.approx(np.mean(each), rel=1e-12)


def test_the_random_return_by_default_averages_200_episodes_whose_actions_follow_the_seed():
    """The report's bottom reference: 200 episodes by default (fewer would give every report another bottom and so
    other normalised scores), and the seed chooses the random actions themselves: on the point robot, which has no
    reset noise, two seeds give two returns (an action stream seeded alike whatever `seed` says would give one)."""
    env = make_env("point-robot", n_tasks=4)
    assert random_return(env, 1) == random_return(env, 1, episodes=200)
    assert random_return(env, 1) != random_return(env, 1, episodes=100)
    assert random_return(env, 1, episodes=5, seed=0) != random_return(env, 1, episodes=5, seed=1)


@pytest.mark.parametrize("name", ["point-robot", "sparse-point-robot", "point-robot-wind"])
def test_point_families_spaces_hold_their_observations(name):
    """The point families' spaces (the MuJoCo families' are in tests/test_mujoco_envs.py): a 2-D position observed,
    a 2-D action; stage 1 and stage 2 size their networks from these spaces, and every observation lies in its
    space (a reset's and each step's)."""
    env = make_env(name, n_tasks=4, max_episode_steps=20)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.shape == (2,) and env.action_space.shape == (2,)
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert obs.shape == (2,) and env.observation_space.contains(obs)
        obs = env.step(rng.uniform(-1.0, 1.0, 2))[0]
