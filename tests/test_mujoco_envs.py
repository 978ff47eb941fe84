"""MuJoCo task families and rand_param_envs against docs/environments.md."""

import copy
import json
import subprocess
import sys

import gymnasium as gym
import mujoco
import numpy as np
import pytest

import rand_param_envs
from rand_param_envs.hopper_rand_params import HopperRandParamsEnv
from rlkit.envs import NormalizedBoxEnv
from rlkit.envs.mujoco_env import gymnasium_asset
from rlkit.errors import UserError
from rlkit.tasks import ENVS, env_class, make_env
from tests.conftest import ROOT, python_path

# env_name -> (observation size, action size), as documented in docs/environments.md
SIZES = {
    "cheetah-vel": (20, 6),
    "cheetah-dir": (20, 6),
    "ant-goal": (29, 8),
    "ant-dir": (27, 8),
    "humanoid-dir": (376, 17),
    "hopper-rand-params": (11, 3),
    "walker-rand-params": (17, 6),
    "sparse-walker-rand-params": (17, 6),
}
FAMILIES = sorted(SIZES)


def test_every_mujoco_family_is_checked_here():
    """A family added to the registry gets this file's checks (spaces, determinism, task lists, bad actions) once
    its sizes are written in SIZES, as docs/environments.md documents them."""
    from rlkit.envs.point_robot import PointEnv
    from rlkit.tasks import env_class

    mujoco = {name for name in ENVS if not issubclass(env_class(name), PointEnv)}
    assert set(SIZES) == mujoco, f"add {sorted(mujoco - set(SIZES))} to SIZES (observation size, action size)"


def _parameter_family(name: str) -> bool:
    """A family of random body parameters (rand_param_envs), which draws its tasks only with randomize_tasks."""
    return issubclass(env_class(name), rand_param_envs.RandParamsEnv)


def _env(name, n_tasks=5, randomize=False):
    return make_env(name, n_tasks=n_tasks, randomize_tasks=randomize or _parameter_family(name), max_episode_steps=200)


@pytest.mark.parametrize("name", FAMILIES)
def test_spaces_have_documented_sizes(name):
    env = _env(name)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.shape == (SIZES[name][0],) and obs.shape == (SIZES[name][0],)
    assert env.action_space.shape == (SIZES[name][1],)
    assert env.max_episode_steps == 200 and len(env.tasks) == 5
    # unbounded observations (joint velocities, positions): each reset's and step's observation lies in the space
    assert np.isneginf(env.observation_space.low).all() and np.isposinf(env.observation_space.high).all()
    assert env.observation_space.contains(obs) and env.observation_space.contains(env.step(env.action_space.low)[0])


def _as_mujoco_2_compiled(asset: str) -> mujoco.MjModel:
    """`asset` compiled as MuJoCo before 2.1.2 did (the reference's 2.0 and 1.31): each capsule's mass and inertia
    those of a cylinder extended by half the radius at each end (MuJoCo's changelog for 2.1.2)."""
    import re

    from rlkit.envs.mujoco_env import gymnasium_asset

    text = gymnasium_asset(asset).read_text()
    total = re.search(r'\s+settotalmass="([^"]+)"', text)
    spec = mujoco.MjSpec.from_string(text.replace(total.group(0), "") if total else text)
    for g in spec.geoms:
        if g.type == mujoco.mjtGeom.mjGEOM_CAPSULE:
            r, ends = g.size[0], np.array(g.fromto)
            g.type = mujoco.mjtGeom.mjGEOM_CYLINDER
            if np.all(np.isfinite(ends)):
                a, b = ends[:3], ends[3:]
                d = (b - a) / np.linalg.norm(b - a)
                g.fromto = np.concatenate([a - d * r / 2, b + d * r / 2])
            else:
                g.size[1] += r / 2
    model = spec.compile()
    if total:
        mujoco.mj_setTotalmass(model, float(total.group(1)))
    return model


def test_the_compiled_bodies_are_current_mujocos_exact_capsules_not_the_references():
    """The bodies' masses, compiled by this MuJoCo from gymnasium's assets (the reference's XML), are exact capsules'
    (docs/reference-differences.md, "Environments"): heavier than the reference's MuJoCo 2.0 / 1.31 made them, whose
    cylinder approximation gives the masses its envs are known by (hopper's torso 3.53429174, humanoid's 8.32207894).
    A MuJoCo version that compiles other masses fails here: its data would be another simulation (`physics_version`)."""
    from rlkit.envs.mujoco_env import _compiled, gymnasium_asset

    totals = {  # asset: (ours, the reference's)
        "hopper.xml": (15.8200, 15.2650),
        "walker2d.xml": (23.6771, 22.6980),
        "half_cheetah.xml": (14.0, 14.0),
        "ant.xml": (0.9109, 0.8787),
        "humanoid.xml": (42.1160, 39.6458),
    }
    for asset, (ours, theirs) in totals.items():
        model, old = _compiled(str(gymnasium_asset(asset))), _as_mujoco_2_compiled(asset)
        assert model.body_mass.sum() == pytest.approx(ours, abs=1e-4), asset
        assert old.body_mass.sum() == pytest.approx(theirs, abs=1e-4), asset
    assert _as_mujoco_2_compiled("hopper.xml").body_mass[1] == pytest.approx(3.53429174, rel=1e-7)
    assert _as_mujoco_2_compiled("humanoid.xml").body_mass[1] == pytest.approx(8.32207894, rel=1e-7)
    assert _compiled(str(gymnasium_asset("humanoid.xml"))).body_mass[1] == pytest.approx(8.9075, abs=1e-4)


@pytest.mark.slow
def test_task_lists_identical_across_processes():
    code = (
        "import json; from rlkit.tasks import make_env\n"
        f"print(json.dumps({{n: make_env(n, n_tasks=5, randomize_tasks=r).tasks for n in {FAMILIES!r} "
        "for r in [n.endswith('rand-params')]}))"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    here = {n: _env(n).tasks for n in FAMILIES}
    assert json.loads(runs[0]) == json.loads(json.dumps(here))


def test_task_lists_follow_the_spec():
    np.testing.assert_allclose([t["velocity"] for t in _env("cheetah-vel", 5).tasks], np.linspace(1, 3, 5))
    np.testing.assert_allclose(
        [t["velocity"] for t in _env("cheetah-vel", 5, randomize=True).tasks],
        np.random.RandomState(1337).uniform(1, 3, 5),
    )
    assert [t["direction"] for t in _env("cheetah-dir", 4).tasks] == [-1, 1, -1, 1]
    goals = np.array([t["goal"] for t in _env("ant-goal", 8).tasks])
    np.testing.assert_allclose(np.linalg.norm(goals, axis=1), 2.0)
    np.testing.assert_allclose(np.arctan2(goals[:, 1], goals[:, 0]) % (2 * np.pi), np.arange(8) * np.pi / 4, atol=1e-12)
    random_angles = np.random.RandomState(1334).random_sample(8) * 2 * np.pi
    np.testing.assert_allclose(
        np.array([t["goal"] for t in _env("ant-goal", 8, randomize=True).tasks]),
        2 * np.stack([np.cos(random_angles), np.sin(random_angles)], 1),
    )
    for name in ("ant-dir", "humanoid-dir"):
        np.testing.assert_allclose([t["goal"] for t in _env(name, 8).tasks], np.arange(8) * np.pi / 4)


def test_task_sampling_leaves_the_global_rng_alone():
    np.random.seed(3)
    expected = np.random.rand()
    np.random.seed(3)
    for name in FAMILIES:
        _env(name, randomize=True)
    assert np.random.rand() == expected


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("seeded_at", ["reset", "constructor"])
def test_same_task_seed_and_actions_give_the_same_trajectory(name, seeded_at):
    actions = np.random.default_rng(1).uniform(-1, 1, size=(30, SIZES[name][1]))
    runs = []
    for _ in range(2):
        env = NormalizedBoxEnv(
            make_env(
                name,
                n_tasks=5,
                randomize_tasks=_parameter_family(name),
                seed=7 if seeded_at == "constructor" else None,
            )
        )
        env.reset_task(3)
        obs, _ = env.reset(seed=7) if seeded_at == "reset" else env.reset()
        steps = [obs]
        for a in actions:
            obs, r, terminated, truncated, _ = env.step(a)
            steps.append(np.append(obs, [r, terminated]))
            if terminated:
                break
        runs.append(np.concatenate(steps))
    np.testing.assert_array_equal(runs[0], runs[1])


def _step_from(env, qpos, qvel, action, task=1):
    env.reset_task(task)
    env.reset(seed=0)
    env.set_state(qpos, qvel)
    before = {"qpos": env.data.qpos.copy(), "xpos": env.data.xpos.copy(), "xipos": env.data.xipos.copy()}
    obs, r, terminated, truncated, info = env.step(action)
    return before, obs, r, terminated, info


def _hand_state(env, rng, z=None):
    qpos = env.init_qpos + rng.uniform(-0.05, 0.05, env.model.nq)
    if z is not None:
        qpos[2] = z
    return qpos, rng.normal(0, 0.5, env.model.nv)


@pytest.mark.parametrize("name", ["cheetah-vel", "cheetah-dir"])
def test_cheetah_reward_and_observation(name):
    env, rng = _env(name, 5), np.random.default_rng(0)
    a = rng.uniform(-1, 1, 6)
    before, obs, r, terminated, info = _step_from(env, *_hand_state(env, rng), a)
    v = (env.data.qpos[0] - before["qpos"][0]) / (0.01 * 5)
    task = env.tasks[1]
    expected = -abs(v - task["velocity"]) if name == "cheetah-vel" else task["direction"] * v
    assert r == pytest.approx(expected - 0.05 * np.sum(a**2), rel=1e-12)
    # the info's parts, as gym's: the velocity, and the control cost as a (negative) reward term
    assert info["forward_vel"] == pytest.approx(v, rel=1e-12)
    assert info["reward_ctrl"] == pytest.approx(-0.05 * np.sum(a**2), rel=1e-12)
    assert not terminated
    np.testing.assert_array_equal(obs, np.concatenate([env.data.qpos[1:], env.data.qvel, env.data.xpos[1]]))


def _contact_cost(data):
    return 0.5e-3 * np.sum(np.clip(data.cfrc_ext, -1, 1) ** 2)


def test_ant_goal_reward():
    env, rng = _env("ant-goal", 4), np.random.default_rng(1)
    a = rng.uniform(-1, 1, 8)
    _, obs, r, terminated, info = _step_from(env, *_hand_state(env, rng, z=0.3), a)  # low: the legs touch the floor
    goal = 2 * np.array([np.cos(np.pi / 2), np.sin(np.pi / 2)])  # task 1 of 4
    parts = [-np.abs(env.data.xpos[1, :2] - goal).sum(), -0.1 * np.sum(a**2), -_contact_cost(env.data)]
    assert r == pytest.approx(sum(parts), rel=1e-12) and not terminated
    assert [info[k] for k in ("reward_task", "reward_ctrl", "reward_contact")] == pytest.approx(parts, rel=1e-12)
    assert _contact_cost(env.data) > 0  # contact forces are computed after each step
    np.testing.assert_array_equal(obs, np.concatenate([env.data.qpos, env.data.qvel]))


def test_ant_dir_reward_and_termination():
    env, rng = _env("ant-dir", 4), np.random.default_rng(2)
    a = rng.uniform(-1, 1, 8)
    before, obs, r, terminated, _ = _step_from(env, *_hand_state(env, rng, z=0.3), a)
    velocity = (env.data.xpos[1, :2] - before["xpos"][1, :2]) / 0.05
    expected = velocity @ np.array([0.0, 1.0]) - 0.5 * np.sum(a**2) - _contact_cost(env.data) + 1.0
    assert r == pytest.approx(expected, rel=1e-12, abs=1e-12) and not terminated
    np.testing.assert_array_equal(obs, np.concatenate([env.data.qpos[2:], env.data.qvel]))
    assert _step_from(env, *_hand_state(env, rng, z=1.5), a)[3]  # torso too high
    for z in (0.3, 0.6, 0.95):
        terminated = _step_from(env, *_hand_state(env, rng, z=z), a)[3]
        assert terminated == (not 0.2 <= env.data.qpos[2] <= 1.0)


def test_humanoid_dir_reward_and_termination():
    env, rng = _env("humanoid-dir", 4), np.random.default_rng(3)
    a = rng.uniform(-0.4, 0.4, 17)
    mass = env.model.body_mass[:, None]
    before, obs, r, terminated, info = _step_from(env, *_hand_state(env, rng), a)
    com = lambda xipos: (mass * xipos).sum(0)[:2] / mass.sum()  # noqa: E731
    lin = 0.25 * (com(env.data.xipos) - com(before["xipos"])) @ np.array([0.0, 1.0]) / 0.003
    impact = min(0.5e-6 * np.sum(env.data.cfrc_ext**2), 10)
    assert r == pytest.approx(lin - 0.1 * np.sum(a**2) - impact + 5.0, rel=1e-12)
    parts = [info[k] for k in ("reward_linvel", "reward_ctrl", "reward_impact")]
    assert parts == pytest.approx([lin, -0.1 * np.sum(a**2), -impact], rel=1e-12)
    assert terminated == (not 1.0 <= env.data.qpos[2] <= 2.0)
    d = env.data
    np.testing.assert_array_equal(
        obs, np.concatenate([d.qpos[2:], d.qvel, d.cinert.ravel(), d.cvel.ravel(), d.qfrc_actuator, d.cfrc_ext.ravel()])
    )
    assert _step_from(env, *_hand_state(env, rng, z=0.8), a)[3]
    # the impact cost 0.5e-6 sum(cfrc_ext^2), capped at 10: contact forces set by hand (84 entries), no motion
    env.data.ctrl[:] = 0.2
    for force, impact in ((100.0, 0.5e-6 * 100.0**2 * 84), (1e3, 10.0)):
        env.data.cfrc_ext[:] = force
        reward = env._reward(env.mass_center()[:2], env.data.ctrl)[0]
        assert reward == pytest.approx(5.0 - 0.1 * 17 * 0.2**2 - impact, rel=1e-12), (force, impact)


@pytest.mark.parametrize("name", ["hopper-rand-params", "walker-rand-params"])
def test_rand_params_reward_and_termination(name):
    env, rng = _env(name), np.random.default_rng(4)
    a = rng.uniform(-1, 1, SIZES[name][1])
    qpos, qvel = _hand_state(env, rng)
    qpos[1:3] = [1.25, 0.0]  # upright: height 1.25, angle 0
    before, obs, r, terminated, _ = _step_from(env, qpos, qvel, a)
    expected = (env.data.qpos[0] - before["qpos"][0]) / (0.004 * 4) + 1.0 - 1e-3 * np.sum(a**2)  # the reference's dt
    assert r == pytest.approx(expected, rel=1e-12) and not terminated
    np.testing.assert_array_equal(obs, np.concatenate([env.data.qpos[1:], np.clip(env.data.qvel, -10, 10)]))
    fallen = qpos.copy()
    fallen[1] = 0.5
    assert _step_from(env, fallen, qvel * 0, a)[3]
    tilted = qpos.copy()
    tilted[2] = 0.5 if name.startswith("hopper") else 1.5  # hopper: |angle| < 0.2, walker: |angle| < 1
    assert _step_from(env, tilted, qvel * 0, a)[3]


@pytest.mark.parametrize("name", ["hopper-rand-params", "walker-rand-params"])
def test_rand_params_tasks_change_the_dynamics(name):
    env = _env(name)
    actions = np.random.default_rng(5).uniform(-1, 1, size=(10, SIZES[name][1]))
    trajectories = []
    for task in (0, 1):
        env.reset_task(task)
        env.reset(seed=0)
        trajectories.append(np.concatenate([env.step(a)[0] for a in actions]))
    assert not np.allclose(trajectories[0], trajectories[1])
    assert not np.allclose(env.model.body_mass, env.init_params["body_mass"])


def test_rand_params_sampling_matches_the_reference_recipe():
    env = _env("hopper-rand-params", n_tasks=3)
    rs = np.random.RandomState(1234)
    for params in env.task_params:
        for name, base in [("body_mass", 1.5), ("body_inertia", 1.5), ("dof_damping", 1.3), ("geom_friction", 1.5)]:
            ref = env.init_params[name]
            np.testing.assert_allclose(params[name], ref * base ** rs.uniform(-3, 3, size=ref.shape), rtol=1e-12)


@pytest.mark.parametrize(
    "name,gym_id,asset",
    [("hopper-rand-params", "Hopper-v5", "hopper.xml"), ("walker-rand-params", "Walker2d-v5", "walker2d.xml")],
)
def test_unit_multipliers_reproduce_the_unmodified_model(name, gym_id, asset):
    """With unit multipliers the env is gymnasium's, stepped at the reference's model timestep (0.004 s, its vendored
    gym's assets; gymnasium's are 0.002 s): an action lasts 4 x 0.004 s."""
    ours = _env(name)
    ours.set_task_params(0, ours.init_params)
    plain = gym.make(gym_id, xml_file=str(gymnasium_asset(asset))).unwrapped
    assert plain.model.opt.timestep == 0.002 and ours.dt == 0.016
    plain.model.opt.timestep = 0.004
    ours.reset_task(0)
    ours.reset(seed=0)
    plain.reset(seed=0)
    qpos, qvel = ours.init_qpos + 0.003, ours.init_qvel - 0.002
    ours.set_state(qpos, qvel)
    plain.set_state(qpos, qvel)
    for a in np.random.default_rng(6).uniform(-1, 1, size=(20, SIZES[name][1])):
        o1, r1, *_ = ours.step(a)
        o2, r2, *_ = plain.step(a)
        np.testing.assert_allclose(o1, o2, rtol=1e-9, atol=1e-12)  # (rewards: gymnasium v5's differ, by hand below)


def test_task_params_save_and_restore(tmp_path):
    env = _env("walker-rand-params")
    env.save_task(2, tmp_path / "t2.json")
    fresh = _env("walker-rand-params")
    fresh.set_task_params(4, fresh.init_params)
    fresh.load_task(4, tmp_path / "t2.json")
    for k in rand_param_envs.RAND_PARAMS:
        np.testing.assert_array_equal(fresh.task_params[4][k], env.task_params[2][k])
    fresh.reset_task(4)
    np.testing.assert_array_equal(fresh.model.body_mass, env.task_params[2]["body_mass"])
    fresh.reset_task(1)  # loaded into the task the model holds now: the model takes it at once
    fresh.load_task(1, tmp_path / "t2.json")
    np.testing.assert_array_equal(fresh.model.body_mass, env.task_params[2]["body_mass"])
    hopper = _env("hopper-rand-params")
    with pytest.raises(UserError, match="is for env 'walker-rand-params': expected 'hopper-rand-params'"):
        hopper.load_task(0, tmp_path / "t2.json")
    (tmp_path / "bad.json").write_text(
        '{"format": "csro-rand-params/1", "env_name": "walker-rand-params", "params": {"body_mass": [1, 2]}}'
    )
    with pytest.raises(UserError, match="body_mass has shape"):
        fresh.load_task(0, tmp_path / "bad.json")
    head = '{"format": "csro-rand-params/1", "env_name": "walker-rand-params"'
    for body, match in [
        ("}", r"bad.json' has no 'params' object: expected one with \['body_inertia', 'body_mass'"),
        (', "params": {"body_mass": "heavy"}}', r"body_mass has shape \(0,\): expected finite values of shape"),
    ]:
        (tmp_path / "bad.json").write_text(head + body)
        with pytest.raises(UserError, match=match):
            fresh.load_task(0, tmp_path / "bad.json")
    (tmp_path / "bad.json").write_text(head.replace("csro-rand-params/1", "csro-rand-params/0") + "}")
    with pytest.raises(UserError, match=r"bad.json' is not a rand-params task file: expected format 'csro-rand"):
        fresh.load_task(0, tmp_path / "bad.json")
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe")
    with pytest.raises(UserError, match=r"cannot read task file .*bad.json"):
        fresh.load_task(0, tmp_path / "bad.json")


def test_rand_params_need_sampled_tasks():
    with pytest.raises(UserError, match="randomize_tasks false is not supported"):
        make_env("hopper-rand-params", n_tasks=2, randomize_tasks=False)


@pytest.mark.parametrize("name", FAMILIES)
def test_bad_task_index_and_action(name):
    env = _env(name)
    with pytest.raises(UserError, match="task index 5 out of range"):
        env.reset_task(5)
    env.reset_task(0)
    with pytest.raises(UserError, match="non-finite action"):
        env.step(np.full(SIZES[name][1], np.nan))


@pytest.mark.parametrize("name", FAMILIES)
def test_unstable_simulation_ends_the_episode_with_a_flag(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MuJoCo logs its instability warning to ./MUJOCO_LOG.TXT
    env = _env(name)
    env.reset_task(0)
    obs, _ = env.reset(seed=0)
    env.set_state(env.data.qpos, np.full(env.model.nv, 1e12))  # beyond MuJoCo's stability limit
    obs2, r, terminated, truncated, info = env.step(np.zeros(SIZES[name][1]))
    assert terminated and info.get("unstable") and r == 0.0
    np.testing.assert_array_equal(obs2, obs)  # the last valid observation (not MuJoCo's reset state)
    obs3, _ = env.reset()  # the next episode is normal again
    assert np.isfinite(obs3).all() and not env.step(np.zeros(SIZES[name][1]))[4].get("unstable")


def test_unknown_env_lists_the_known_ones():
    with pytest.raises(UserError) as e:
        make_env("cheetah-speed")
    for name in ENVS:
        assert repr(name) in str(e.value)


@pytest.mark.slow
def test_importing_has_no_side_effects():
    # gymnasium's own import sets PYGAME_HIDE_SUPPORT_PROMPT, so the baseline is taken after it
    code = (
        "import os, sys, gymnasium; before = dict(os.environ); import rlkit.tasks; "
        "assert dict(os.environ) == before; print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": python_path()},
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok" and out.stderr == "", out.stderr


@pytest.mark.slow
def test_families_do_not_import_the_registry():
    """rand_param_envs builds on rlkit.envs; neither knows the registry (rlkit.tasks) above them."""
    code = (
        "import sys, rlkit.envs.half_cheetah, rand_param_envs; "
        "print(sorted(m for m in ('rlkit.tasks', 'rlkit.data.dataset', 'rlkit.experiment') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": python_path()},
    )
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def test_models_are_private_per_env():
    a, b = _env("hopper-rand-params"), _env("hopper-rand-params")
    a.reset_task(1)
    b.reset_task(2)
    assert not np.array_equal(a.model.body_mass, b.model.body_mass)
    assert isinstance(a.model, mujoco.MjModel)


def test_meta_training_restores_tasks_from_the_dataset(tmp_path):
    from rlkit.data.dataset import TASK_PARAMS_FILE, task_dir
    from rlkit.data.load import restore_dataset_tasks

    written = _env("hopper-rand-params", n_tasks=6)
    written.save_task(5, task_dir(tmp_path, 0) / TASK_PARAMS_FILE)  # the dataset's task 0 has other parameters
    env = _env("hopper-rand-params", n_tasks=6)
    assert restore_dataset_tasks(env, tmp_path) == 1
    np.testing.assert_array_equal(env.task_params[0]["dof_damping"], written.task_params[5]["dof_damping"])
    assert restore_dataset_tasks(_env("cheetah-vel"), tmp_path) == 0  # reward families have no task files
    walker = _env("walker-rand-params", n_tasks=6)
    with pytest.raises(UserError, match="expected 'walker-rand-params'"):
        restore_dataset_tasks(walker, tmp_path)


def test_sparse_walker_is_the_walker_with_the_references_sparse_reward():
    dense, sparse = _env("walker-rand-params"), _env("sparse-walker-rand-params")
    np.testing.assert_array_equal(dense.task_params[3]["body_mass"], sparse.task_params[3]["body_mass"])  # same tasks
    actions = np.random.default_rng(6).uniform(-1, 1, size=(30, 6))
    for env in (dense, sparse):
        env.reset_task(3)
        env.reset(seed=1)
    for a in actions:
        o1, r1, t1, _, _ = dense.step(a)
        o2, r2, t2, _, info = sparse.step(a)
        np.testing.assert_array_equal(o1, o2)
        assert r1 == r2 and t1 == t2  # step keeps the dense reward
        assert info["sparse_reward"] == (r2 if r2 >= 0.5 else 0.0)
        if t1:
            break
    np.testing.assert_array_equal(sparse.sparsify_rewards(np.array([0.49, 0.5, 2.0, -1.0])), [0.0, 0.5, 2.0, 0.0])


def test_the_models_are_the_references_where_gymnasiums_assets_differ():
    """Hopper and walker step at the reference's 0.004 s (gymnasium's assets: 0.002 s); humanoid is gymnasium's asset
    as it is, the reference's gym 0.15.7's humanoid.xml: its left hip's y range [-110, 20] degrees, as the right's
    (the [-120, 20] of the older gym vendored in rand_param_envs, which the reference's humanoid does not use, was
    this family's physics_version 2)."""
    for name in ("hopper-rand-params", "walker-rand-params"):
        assert _env(name).model.opt.timestep == 0.004
    humanoid, plain = _env("humanoid-dir"), gym.make("Humanoid-v5").unwrapped
    for side in ("left", "right"):
        hip = humanoid.model.joint(f"{side}_hip_y").id
        np.testing.assert_allclose(np.rad2deg(humanoid.model.jnt_range[hip]), [-110.0, 20.0])
    np.testing.assert_array_equal(humanoid.model.jnt_range, plain.model.jnt_range)
    assert humanoid.model.opt.timestep == plain.model.opt.timestep


def test_random_cheetah_directions_are_plus_or_minus_one_coin_flips():
    """cheetah-dir's directions are d in {-1, +1}, `2 * RandomState(1337).binomial(1, 0.5) - 1`; the slip it guards
    against, `binomial(1, 0.5) - 1`, gives {-1, 0}, and a task of direction 0 rewards standing still."""
    env = make_env("cheetah-dir", n_tasks=20, randomize_tasks=True, max_episode_steps=200)
    directions = [t["direction"] for t in env.tasks]
    assert set(directions) == {-1, 1}
    flips = np.random.RandomState(1337).binomial(1, 0.5, size=20)
    assert directions == [1 if f else -1 for f in flips]


def test_random_ant_directions_come_from_random_state_1337():
    """ant-dir's random direction angles are RandomState(1337).uniform(0, 2 pi), `random_directions(n_tasks, 1337)`
    (docs/environments.md: "ours use RandomState(1337)"); another seed silently gives `goal_idx{i}` another task
    than the one a dataset was written for."""
    env = make_env("ant-dir", n_tasks=6, randomize_tasks=True, max_episode_steps=200)
    expected = np.random.RandomState(1337).uniform(0.0, 2 * np.pi, size=6)
    np.testing.assert_allclose([t["goal"] for t in env.tasks], expected, rtol=1e-12)


def test_rand_params_log_scale_limit_bounds_every_multiplier():
    """The constructor passes its `log_scale_limit` on to `sample_multipliers`; a slip that did not would always use
    3. Each multiplier is base^u with u uniform in [-limit, limit]: with limit 0.5, every parameter stays within
    base^+-0.5 of the unmodified model's (1.5^0.5 = 1.22), where the default limit 3 reaches 1.5^3 = 3.4."""
    env = HopperRandParamsEnv(n_tasks=4, log_scale_limit=0.5)
    for params in env.task_params:
        for name, base in [("body_mass", 1.5), ("body_inertia", 1.5), ("dof_damping", 1.3), ("geom_friction", 1.5)]:
            ref = env.init_params[name]
            nonzero = ref != 0
            ratio = params[name][nonzero] / ref[nonzero]
            bound = base**0.5
            assert np.all(ratio <= bound * (1 + 1e-12)) and np.all(ratio >= (1 - 1e-12) / bound), name


@pytest.mark.parametrize("name", ["hopper-rand-params", "walker-rand-params"])
def test_a_tasks_derived_masses_are_its_own(name):
    """`apply_params` calls `mujoco.mj_setConst(model, data)` after writing a task's parameters. MuJoCo precomputes
    each body's subtree mass (and the constraint solver's inverse weights) at compile time; new body masses without
    mj_setConst leave the world's subtree mass at the unmodified model's total, so the centre-of-mass frames and
    the contact regularisation are those of another body than the task's. The world body's subtree mass is,
    by hand, the sum of all body masses of the task (and of the task switched to, and back)."""
    env = make_env(name, n_tasks=3, randomize_tasks=True, max_episode_steps=200)
    for task in (1, 2, 1, 0):
        env.reset_task(task)
        total = float(np.sum(env.task_params[task]["body_mass"]))
        assert abs(total - float(np.sum(env.init_params["body_mass"]))) > 1e-3  # the task's masses do differ
        assert env.model.body_subtreemass[0] == pytest.approx(total, rel=1e-12)
        env.reset(seed=0)


@pytest.mark.parametrize("name", ["hopper-rand-params", "walker-rand-params"])
def test_reset_noise_is_uniform_within_0_005(name):
    """The reset noise of qpos and qvel is uniform within 0.005. It guards against two slips: `qvel_noise_uniform =
    True` -> False (Gaussian velocities of std 0.005) and `qpos_noise = 0.005` -> 0.05. Either changes the
    start-state distribution of every stage-1 episode, so the offline data no longer starts where the reference's
    does. Over 200 resets every offset lies within 0.005, and the largest reaches above 0.0045 (a uniform draw of
    200 x 6 elements does, with certainty to 1e-50)."""
    env = make_env(name, n_tasks=2, randomize_tasks=True, max_episode_steps=200, seed=3)
    env.reset_task(0)
    qpos_off, qvel_off = [], []
    for _ in range(200):
        env.reset()
        qpos_off.append(env.data.qpos - env.init_qpos)
        qvel_off.append(env.data.qvel - env.init_qvel)
    for off in (np.abs(qpos_off), np.abs(qvel_off)):
        assert off.max() <= 0.005
        assert off.max() > 0.0045


# ---- the rand-params families' healthy ranges (docs/environments.md), each bound on both sides, on states set
# by hand (no step: the condition is on the state itself, as the reference's `step` evaluates it after the frame skip)
def _terminated_at(env, height: float, angle: float, qvel: np.ndarray | None = None) -> bool:
    """Whether the env calls the state (init pose at `height`, torso `angle`, velocities `qvel`) unhealthy."""
    qpos = env.init_qpos.copy()
    qpos[1:3] = [height, angle]
    env.set_state(qpos, np.zeros(env.model.nv) if qvel is None else qvel)
    return not env._healthy()


def test_hopper_ends_when_tilted_backwards_too():
    """The hopper is healthy only while `abs(angle) < 0.2`, not `angle < 0.2`. The documented condition is
    |angle| >= 0.2: a hopper leaning back by 0.5 rad has fallen exactly as one leaning forward. Without the abs,
    backward falls never end the episode, so stage 1's data holds long stretches of a fallen hopper earning the +1
    alive bonus."""
    env = _env("hopper-rand-params")
    env.reset_task(0)
    env.reset(seed=0)
    assert not _terminated_at(env, 1.25, 0.0)
    assert not _terminated_at(env, 1.25, -0.19) and not _terminated_at(env, 1.25, 0.19)
    assert _terminated_at(env, 1.25, 0.5)
    assert _terminated_at(env, 1.25, -0.5)  # backwards


def test_hopper_height_bound_is_0_7():
    """The hopper is healthy while `height > 0.7`, not `height > 0.8` (the walker's bound copied). The hopper ends
    at height <= 0.7 (docs/environments.md); at 0.75 it is still healthy, at 0.65 it has fallen."""
    env = _env("hopper-rand-params")
    env.reset_task(0)
    env.reset(seed=0)
    assert not _terminated_at(env, 0.75, 0.0)
    assert _terminated_at(env, 0.65, 0.0)


def test_hopper_velocities_up_to_100_are_healthy():
    """The hopper is healthy while `(np.abs(s[2:]) < 100)`, not `< 10`. The documented bound is |state[2:]| >= 100
    (gymnasium's healthy_state_range): a joint swinging at 50 rad/s is still a healthy hopper; a tighter bound cuts
    ordinary fast hops short and changes every dataset's episode lengths."""
    env = _env("hopper-rand-params")
    env.reset_task(0)
    env.reset(seed=0)
    qvel = np.zeros(env.model.nv)
    qvel[3] = 50.0  # a joint velocity (state[2:] = qpos[2:], qvel)
    assert not _terminated_at(env, 1.25, 0.0, qvel)
    qvel[3] = 150.0
    assert _terminated_at(env, 1.25, 0.0, qvel)


@pytest.mark.parametrize(
    "height,angle,ends",
    [
        (1.25, 0.0, False),
        (0.5, 0.0, True),  # fallen
        (0.75, 0.0, True),  # below 0.8 (the hopper's 0.7 would keep it)
        (0.85, 0.0, False),
        (1.9, 0.0, False),
        (2.5, 0.0, True),  # above 2, out of the documented (0.8, 2)
        (1.25, 0.9, False),
        (1.25, -0.9, False),
        (1.25, 1.5, True),
        (1.25, -1.5, True),  # tilted backwards, out of the documented (-1, 1)
    ],
)
def test_walker_healthy_range_is_open_on_both_sides(height, angle, ends):
    """The walker ends when the height leaves (0.8, 2) or the angle leaves (-1, 1) (docs/environments.md); each
    moved or dropped side lets an unhealthy walker (low, thrown up, fallen backwards) keep collecting the alive
    bonus. It guards against three slips: `0.8 < height` -> `0.7 < height`, `0.8 < height < 2.0` -> `0.8 < height`
    and `-1.0 < angle < 1.0` -> `angle < 1.0`."""
    env = _env("walker-rand-params")
    env.reset_task(0)
    env.reset(seed=0)
    assert _terminated_at(env, height, angle) == ends


def test_an_unstable_step_mid_episode_returns_the_previous_steps_observation(tmp_path, monkeypatch):
    """`_step_state` forgetting `self._last_obs = obs` after a valid step. An unstable step must end
    the episode on the last VALID observation (docs: "the last valid observation"), i.e. the one the previous step
    returned; without the update it returns the episode's first observation, so the final transition of an
    unstable episode in collected data would jump back to the start. The existing test only makes the very first
    step unstable, where the two coincide; here a normal step comes first."""
    monkeypatch.chdir(tmp_path)  # MuJoCo logs its instability warning to ./MUJOCO_LOG.TXT
    env = make_env("cheetah-vel", n_tasks=2)
    env.reset_task(0)
    first, _ = env.reset(seed=0)
    obs1, _, terminated, _, info = env.step(np.full(6, 0.5))
    assert not terminated and not info.get("unstable")
    assert not np.allclose(obs1, first)  # the step moved the body
    env.set_state(env.data.qpos, np.full(env.model.nv, 1e12))  # beyond MuJoCo's stability limit
    obs2, r, terminated, _, info = env.step(np.zeros(6))
    assert terminated and info.get("unstable") and r == 0.0
    np.testing.assert_array_equal(obs2, obs1)


def _reset_offsets(name, n=300):
    env = make_env(name, n_tasks=2)
    env.reset_task(0)
    dq, dv = [], []
    for seed in range(n):
        env.reset(seed=seed)
        dq.append(env.data.qpos - env.init_qpos)
        dv.append(env.data.qvel - env.init_qvel)
    return np.array(dq), np.array(dv)


@pytest.mark.parametrize("name", ["cheetah-vel", "ant-goal"])
def test_reset_noise_on_qpos_is_uniform_in_minus_to_plus_0_1(name):
    """The reset noise on qpos drawn from U(0, c) instead of U(-c, c). Gym's HalfCheetah and Ant (the
    reference's) start at init_qpos + U(-0.1, 0.1) per coordinate; one-sided noise shifts every start (the
    body tilted one way), so episode starts, and every return, differ systematically from the reference's.
    By hand: 300 draws of U(-0.1, 0.1) per coordinate reach below -0.05 and above 0.05, mean near 0."""
    dq, _ = _reset_offsets(name)
    assert np.abs(dq).max() <= 0.1 and dq.max() > 0.09 and dq.min() < -0.09
    assert (dq.min(axis=0) < -0.05).all() and (dq.max(axis=0) > 0.05).all()
    assert np.abs(dq.mean(axis=0)).max() < 0.02  # sd of the mean of 300 U(-.1, .1): 0.0033


def test_humanoid_reset_noise_is_uniform_within_0_01():
    """humanoid-dir's reset noise scale changed from 0.01 (the reference's HumanoidEnv: qpos and qvel
    each + U(-0.01, 0.01)) to another value, e.g. 0.1: ten times wider starts, a different task distribution
    than the reference's. By hand: all offsets within 0.01, and 300 uniform draws come close to both bounds."""
    dq, dv = _reset_offsets("humanoid-dir")
    for d in (dq, dv):
        assert np.abs(d).max() <= 0.01
        assert d.max() > 0.009 and d.min() < -0.009


@pytest.mark.parametrize("name", ["cheetah-vel", "ant-goal"])
def test_reset_noise_on_qvel_is_normal_with_sd_0_1(name):
    """The reset noise on qvel drawn uniform in [-0.1, 0.1] instead of 0.1 * N(0, 1) (gym's
    HalfCheetah and Ant, the reference's, and `MujocoTaskEnv`'s documented `qvel += qvel_noise * N(0, 1)` when not
    `qvel_noise_uniform`; checked for ant too, so that an ant-only change shows). The start distribution would be
    narrower than the reference's. By hand: 0.1 * N(0, 1) has sd 0.1 (a uniform on [-0.1, 0.1]: 0.058) and exceeds
    0.1 in absolute value with probability 0.32 (the uniform never)."""
    _, dv = _reset_offsets(name)
    assert 0.09 < dv.std() < 0.11
    assert 0.25 < (np.abs(dv) > 0.1).mean() < 0.39


# the seconds one action lasts (frame_skip x the model's timestep) in the reference's envs: gym's HalfCheetah and Ant
# 5 x 0.01, its HumanoidEnv 5 x 0.003, rand_param_envs' vendored Hopper and Walker2d 4 x 0.004
ACTION_SECONDS = {
    "cheetah-vel": 0.05,
    "cheetah-dir": 0.05,
    "ant-goal": 0.05,
    "ant-dir": 0.05,
    "humanoid-dir": 0.015,
    "hopper-rand-params": 0.016,
    "walker-rand-params": 0.016,
    "sparse-walker-rand-params": 0.016,
}


@pytest.mark.parametrize("name", FAMILIES)
def test_each_family_steps_the_references_action_length_and_its_own_time_limit(name):
    """An action lasts the reference's seconds, and an episode ends (truncated) at the max_episode_steps given. The
    reward tests read velocities over the model's timestep and the observation from env.data, so they held for any
    frame skip (humanoid-dir's 4 for 5 passed: 12 ms actions and its speed reward 20% lower than the reference's), and
    every test built humanoid-dir with its 200-step limit (one fixed at 200 passed). Zero actions here: no body falls
    in 7 steps."""
    assert set(ACTION_SECONDS) == set(FAMILIES)
    env = make_env(name, n_tasks=3, randomize_tasks=_parameter_family(name), max_episode_steps=7)
    assert env.dt == pytest.approx(ACTION_SECONDS[name], rel=1e-12)
    env.reset_task(0)
    env.reset(seed=0)
    ends = [env.step(np.zeros(env.action_space.shape))[2:4] for _ in range(7)]
    assert ends == [(False, False)] * 6 + [(False, True)]


def test_normalized_box_env_scales_the_observations_of_step():
    """`NormalizedBoxEnv.step` returning the env's raw observation instead of dividing it by
    `obs_scale`. The offline data (and so everything the encoder and policy learned from) is divided by the
    dataset's normalizer; a meta-test whose steps are unscaled feeds the agent observations on another scale
    from the second step of every episode on. By hand: the same seed and actions through a wrapper with scale 4
    give exactly the raw observations / 4 at every step."""
    scale = np.full(20, 4.0)
    raw_env = make_env("cheetah-vel", n_tasks=2)
    env = NormalizedBoxEnv(make_env("cheetah-vel", n_tasks=2), obs_scale=scale)
    raw_env.reset(seed=3)
    env.reset(seed=3)
    for a in np.random.default_rng(0).uniform(-1, 1, (3, 6)):
        raw = raw_env.step(a)[0]  # cheetah's action box is [-1, 1]: the wrapper's rescaling is the identity
        obs = env.step(a)[0]
        assert np.abs(raw).max() > 0
        np.testing.assert_allclose(obs, raw / 4.0, rtol=1e-12)


@pytest.mark.parametrize("name", ["cheetah-vel", "hopper-rand-params"])
def test_a_seed_given_to_the_constructor_is_a_first_reset_with_that_seed(name):
    """The constructor's `seed` is passed on unshifted, not as `seeding.np_random(seed + 1)`. base.py: the
    constructor's seed "seeds the reset noise, like a first `reset(seed=seed)`"; the two must give the same start."""
    kw = {"n_tasks": 2, "randomize_tasks": name.endswith("params")}
    by_constructor = make_env(name, seed=5, **kw).reset()[0]
    by_reset = make_env(name, **kw).reset(seed=5)[0]
    np.testing.assert_array_equal(by_constructor, by_reset)
    assert not np.array_equal(by_reset, make_env(name, **kw).reset(seed=6)[0])


def test_the_cheetah_model_is_the_one_mujoco_compiles_from_its_asset_with_total_mass_14(tmp_path, monkeypatch):
    """`_compiled` calls both `mj_setTotalmass` and `mj_setConst`; skipping either is the slip it guards against.
    half_cheetah.xml sets `settotalmass="14"`; the env applies it by hand, which must give MuJoCo's own compile of
    the asset: masses scaled to 14 in all, and the constants derived from them (subtree masses, inverse weights)
    recomputed."""
    monkeypatch.chdir(tmp_path)  # MuJoCo logs its settotalmass deprecation warning to ./MUJOCO_LOG.TXT
    env = make_env("cheetah-vel", n_tasks=2)
    assert env.model.body_mass.sum() == pytest.approx(14.0, rel=1e-12)
    assert env.model.body_subtreemass[0] == pytest.approx(14.0, rel=1e-12)
    plain = mujoco.MjModel.from_xml_path(str(gymnasium_asset("half_cheetah.xml")))
    for name in ("body_mass", "body_inertia", "body_subtreemass", "dof_invweight0", "body_invweight0"):
        np.testing.assert_allclose(getattr(env.model, name), getattr(plain, name), rtol=1e-12, err_msg=name)


def test_the_first_observation_of_an_episode_has_the_bodys_positions_of_its_start_state():
    """`set_state` calls `mj_forward`. Without it, after a reset, body positions (the cheetah's torso in its
    observation; ant-dir's and humanoid-dir's first velocity reward) would be those of MuJoCo's reset data (zeros),
    not of the start state. By hand: forward kinematics of the start state on a fresh MjData."""
    env = make_env("cheetah-vel", n_tasks=2)
    env.reset_task(0)
    obs, _ = env.reset(seed=0)
    fresh = mujoco.MjData(env.model)
    fresh.qpos[:], fresh.qvel[:] = env.data.qpos, env.data.qvel
    mujoco.mj_kinematics(env.model, fresh)
    torso = fresh.xpos[env.model.body("torso").id]
    assert torso[2] > 0.5  # standing
    np.testing.assert_allclose(obs[-3:], torso, rtol=1e-12)


@pytest.mark.parametrize("name", ["cheetah-vel", "hopper-rand-params"])
def test_a_diverging_acceleration_ends_the_episode_as_unstable(name, tmp_path, monkeypatch):
    """`_warning_count` counts the BADQACC warning too. A huge generalized force makes MuJoCo reset the simulation
    on a bad acceleration (mjWARN_BADQACC, not BADQVEL as in the existing test); the reset state is finite, so only
    the warning tells that the step was no transition: it must end the episode flagged, on the last valid
    observation, with reward 0."""
    monkeypatch.chdir(tmp_path)  # MuJoCo logs its warning to ./MUJOCO_LOG.TXT
    env = make_env(name, n_tasks=2, randomize_tasks=name.endswith("params"))
    env.reset_task(0)
    obs, _ = env.reset(seed=0)
    env.data.qfrc_applied[:] = 1e12
    obs2, r, terminated, _, info = env.step(np.zeros(env.action_space.shape))
    assert env.data.warning.number[mujoco.mjtWarning.mjWARN_BADQACC] > 0
    assert terminated and info.get("unstable") and r == 0.0
    np.testing.assert_array_equal(obs2, obs)


@pytest.mark.parametrize("name", FAMILIES)
def test_a_bodys_position_is_its_root_x_or_x_y_and_a_copy(name):
    """show_path.py draws each episode from `position()`: planar bodies (cheetah, hopper, walker) by their root x,
    free bodies (ant, humanoid) by x, y; `position()` returns a copy, as a view would make every recorded position
    of an episode its last. It guards against `position()` returning a view of qpos, the default `position_dims` 2
    (planar bodies drawn as x against z), and ant's or humanoid's `position_dims` 1."""
    env = _env(name)
    env.reset_task(0)
    env.reset(seed=0)
    dims = 2 if name.startswith(("ant", "humanoid")) else 1
    start = env.position()
    assert start.shape == (dims,)
    np.testing.assert_array_equal(start, env.data.qpos[:dims])
    kept = start.copy()
    for _ in range(3):
        env.step(np.full(env.action_space.shape, 0.3))
    assert not np.array_equal(env.data.qpos[:dims], kept)  # the body moved
    np.testing.assert_array_equal(start, kept)


def _ends_at_heights(name: str, heights, ended) -> list[bool]:
    """`ended(env)` with the body of env `name` (task 0) set by hand, at rest, at each root height (qpos z)."""
    env = _env(name)
    env.reset_task(0)
    env.reset(seed=0)
    out = []
    for z in heights:
        qpos = env.init_qpos.copy()
        qpos[2] = z
        env.set_state(qpos, np.zeros(env.model.nv))
        out.append(bool(ended(env)))
    return out


def test_ant_dir_is_healthy_down_to_a_torso_height_of_0_2():
    """ant-dir's lower height bound is 0.2; the slip it guards against moved it (to 0.3). docs/environments.md: it
    terminates when the torso height leaves [0.2, 1]; states set by hand: 0.25 and 0.95 are healthy, 0.15 and 1.05
    are not."""
    ends = _ends_at_heights("ant-dir", (0.25, 0.95, 0.15, 1.05), lambda env: env._terminated())
    assert ends == [False, False, True, True]


def test_ant_dirs_healthy_height_range_includes_both_ends():
    """ant-dir's healthy range is the closed [0.2, 1.0] (docs/environments.md: it terminates when the torso height
    *leaves* [0.2, 1]); a strict comparison on either side would end an episode at exactly 0.2 or 1.0. States set by
    hand at the two ends, and just outside them."""
    ends = _ends_at_heights("ant-dir", (0.2, 1.0, 0.2 - 1e-9, 1.0 + 1e-9), lambda env: env._terminated())
    assert ends == [False, False, True, True]


def _forward_step(name: str, n_tasks: int, task: int):
    """One step of a cheetah env `name` from a hand state whose root slides forward (qvel x 4): the env, the root's
    mean velocity over the step (frame skip 5 of dt 0.01, checked > 0.5), the reward and the action."""
    env, rng = _env(name, n_tasks), np.random.default_rng(0)
    a = rng.uniform(-1, 1, 6)
    qpos, qvel = _hand_state(env, rng)
    qvel[0] = 4.0
    before, _, r, _, _ = _step_from(env, qpos, qvel, a, task=task)
    v = (env.data.qpos[0] - before["qpos"][0]) / (0.01 * 5)
    assert v > 0.5
    return env, v, r, a


def test_cheetah_vel_reward_of_a_body_moving_forward():
    """cheetah-vel's reward is `-abs(v - target)`, not `-abs(v) - target`. The two agree for v <= 0, the only case
    the existing test's hand state reaches; a cheetah running forward (v > 0) must score
    -|v - target| - 0.05 |a|^2."""
    env, v, r, a = _forward_step("cheetah-vel", 5, task=1)
    assert r == pytest.approx(-abs(v - 1.5) - 0.05 * np.sum(a**2), rel=1e-12)  # task 1 of 5: target 1.5


def test_cheetah_dir_reward_on_a_backward_task():
    """cheetah-dir's reward is `direction * v`, not `v`. The existing test steps task 1, direction +1, where both
    agree; on task 0 (direction -1) the reward is -v - 0.05 |a|^2."""
    env, v, r, a = _forward_step("cheetah-dir", 4, task=0)
    assert env.tasks[0]["direction"] == -1
    assert r == pytest.approx(-v - 0.05 * np.sum(a**2), rel=1e-12)


def test_random_humanoid_directions_come_from_random_state_1337():
    """humanoid-dir's random directions are `random_directions(n_tasks, 1337)`, not given another seed
    (docs/environments.md: ant-dir's and humanoid-dir's random directions use RandomState(1337)); the existing test
    covers ant-dir only."""
    env = make_env("humanoid-dir", n_tasks=6, randomize_tasks=True, max_episode_steps=200)
    expected = np.random.RandomState(1337).uniform(0.0, 2 * np.pi, size=6)
    np.testing.assert_allclose([t["goal"] for t in env.tasks], expected, rtol=1e-12)


def test_humanoid_ends_when_its_height_leaves_1_to_2_on_either_side():
    """humanoid-dir ends on `z < 1.0 or z > 2.0`, not only `z < 1.0`. docs/environments.md: humanoid-dir terminates
    when qpos z leaves [1, 2]; the existing test only reaches the lower side. States set by hand, the reward's flag
    read."""
    ends = _ends_at_heights(
        "humanoid-dir", (1.4, 1.95, 2.1, 0.9), lambda env: env._reward(env.mass_center()[:2], np.zeros(17))[1]
    )
    assert ends == [False, False, True, True]


def test_humanoids_healthy_height_range_includes_both_ends():
    """humanoid-dir's healthy range is the closed [1, 2] (docs/environments.md: it terminates when qpos z *leaves*
    [1, 2], i.e. `z < 1 or z > 2`); a `<=`/`>=` slip would end an episode standing at exactly 1.0 or 2.0. States set
    by hand at the two ends, and just outside them."""
    ends = _ends_at_heights(
        "humanoid-dir",
        (1.0, 2.0, 1.0 - 1e-9, 2.0 + 1e-9),
        lambda env: env._reward(env.mass_center()[:2], np.zeros(17))[1],
    )
    assert ends == [False, False, True, True]


def test_humanoid_observes_and_pays_for_the_contact_forces_of_each_step():
    """humanoid-dir has `contact_forces = True`, not False. Without `mj_rnePostConstraint` after each step,
    cfrc_ext stays 0: the observation's last 84 entries (14 bodies x 6) are zeros and the impact cost vanishes. By
    hand: the forces MuJoCo computes on a copy of the step's data."""
    env = _env("humanoid-dir")
    env.reset_task(0)
    env.reset(seed=0)
    for _ in range(15):  # the body drops onto its feet after ~10 steps
        obs, _, terminated, _, info = env.step(np.zeros(17))
    assert not terminated and env.data.ncon > 0
    check = copy.copy(env.data)
    mujoco.mj_rnePostConstraint(env.model, check)
    assert np.abs(check.cfrc_ext).max() > 1.0
    np.testing.assert_allclose(obs[-84:], check.cfrc_ext.ravel(), rtol=1e-9, atol=1e-9)
    impact = min(0.5e-6 * float(np.sum(check.cfrc_ext**2)), 10.0)
    assert impact > 0 and info["reward_impact"] == pytest.approx(-impact, rel=1e-9)


def test_a_sparse_walkers_task_file_names_its_own_family(tmp_path):
    """sparse-walker-rand-params' task files carry its own `env_name`, not "walker-rand-params". With that slip its
    task files would name the dense family, and a sparse-walker dataset written before (its files name
    sparse-walker-rand-params) is then refused; by hand: the file's env_name is the family's, it loads back, and the
    dense walker refuses it."""
    sparse = _env("sparse-walker-rand-params")
    sparse.save_task(1, tmp_path / "t1.json")
    assert json.loads((tmp_path / "t1.json").read_text())["env_name"] == "sparse-walker-rand-params"
    _env("sparse-walker-rand-params").load_task(0, tmp_path / "t1.json")
    with pytest.raises(UserError, match="expected 'walker-rand-params'"):
        _env("walker-rand-params").load_task(0, tmp_path / "t1.json")
