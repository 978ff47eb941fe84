"""Env steps per second of every MuJoCo family against the plain gymnasium env of the same body.

    python benchmarks/env_speed.py [--steps 1000] [--rounds 15]

"ours" is what training steps: NormalizedBoxEnv over the family's task env (task reward,
termination, NaN guard, action rescaling). "gymnasium" is `gymnasium.make` of the same body
and asset (with its default wrappers), stepped at our timestep (the rand-params bodies step at
the reference's 0.004 s, gymnasium's Hopper and Walker2d at 0.002 s). Both start from the same
seeded state, take the same uniformly random actions and reset every 200 steps, so they simulate
the same physics (a rand-params task is given unit multipliers here; the table checks that the
states after the last action agree): the difference is the wrapper's cost alone. Short runs
alternate between the two and the fastest of each is kept, since a noisy machine only ever slows
a run down. Target: the time ratio is at most 1.10.
"""

from __future__ import annotations

import time

import click
import gymnasium as gym
import numpy as np

from rand_param_envs import RandParamsEnv
from rlkit.config import MAX_INT  # (light: no torch; a count stops where a config's does)
from rlkit.envs import NormalizedBoxEnv
from rlkit.envs.mujoco_env import gymnasium_asset
from rlkit.tasks import env_class, make_env

# family -> (gymnasium id, asset); the plain env's episode limit is set to the family's 200 steps
BODIES = {
    "cheetah-vel": ("HalfCheetah-v5", "half_cheetah.xml"),
    "cheetah-dir": ("HalfCheetah-v5", "half_cheetah.xml"),
    "ant-goal": ("Ant-v5", "ant.xml"),
    "ant-dir": ("Ant-v5", "ant.xml"),
    "humanoid-dir": ("Humanoid-v5", "humanoid.xml"),
    "hopper-rand-params": ("Hopper-v5", "hopper.xml"),
    "walker-rand-params": ("Walker2d-v5", "walker2d.xml"),
}


def steps_per_second(env, actions: np.ndarray) -> tuple[float, np.ndarray]:
    """Rate over `actions`, resetting every 200 steps whatever happens (terminal or not), and the final qpos."""
    env.reset(seed=0)
    start = time.perf_counter()
    for t, a in enumerate(actions, 1):
        env.step(a)
        if t % 200 == 0 and t < len(actions):  # (not after the last action: its state is what is compared)
            env.reset()
    rate = len(actions) / (time.perf_counter() - start)
    return rate, env.unwrapped.data.qpos.copy()


def ours(name: str):
    parameters = issubclass(env_class(name), RandParamsEnv)  # (its tasks are drawn only with randomize_tasks)
    task_env = make_env(name, n_tasks=40, randomize_tasks=parameters, max_episode_steps=10**9)
    if hasattr(task_env, "set_task_params"):
        task_env.set_task_params(1, task_env.init_params)  # the plain body's physics
    env = NormalizedBoxEnv(task_env)
    env.reset_task(1)
    return env


def plain(name: str, timestep: float):
    """gymnasium's env of `name`'s body, its model stepped at `timestep` (ours)."""
    gym_id, asset = BODIES[name]
    env = gym.make(gym_id, xml_file=str(gymnasium_asset(asset)), max_episode_steps=10**9)
    env.unwrapped.model.opt.timestep = timestep
    return env


@click.command()
@click.option(
    "--steps", default=1000, show_default=True, type=click.IntRange(1, MAX_INT), help="env steps per measurement"
)
@click.option(
    "--rounds", default=15, show_default=True, type=click.IntRange(1, MAX_INT), help="alternating measurements per env"
)
def main(steps: int, rounds: int) -> None:
    rng = np.random.default_rng(0)
    print(
        f"{'family':20s} {'gymnasium id':14s} {'ours (steps/s)':>15s} {'gymnasium (steps/s)':>20s} {'time ratio':>11s}"
        "  same physics"
    )
    ratios = []
    for name, (gym_id, _) in BODIES.items():
        env_ours = ours(name)
        env_plain = plain(name, env_ours.unwrapped.model.opt.timestep)
        assert env_plain.unwrapped.frame_skip == env_ours.unwrapped.frame_skip, name
        actions = rng.uniform(-1, 1, size=(steps, env_ours.action_space.shape[0]))
        low, high = env_plain.action_space.low, env_plain.action_space.high
        plain_actions = low + (actions + 1) * 0.5 * (high - low)  # the same actions in the plain env's units
        a, b = [], []
        for _ in range(rounds):
            (rate_ours, q_ours), (rate_plain, q_plain) = (
                steps_per_second(env_ours, actions),
                steps_per_second(env_plain, plain_actions),
            )
            a.append(rate_ours)
            b.append(rate_plain)
        ratio = max(b) / max(a)  # time per step, ours / gymnasium: > 1 means ours is slower
        ratios.append(ratio)
        same = bool(np.allclose(q_ours, q_plain, rtol=1e-6, atol=1e-8))
        print(f"{name:20s} {gym_id:14s} {max(a):15.0f} {max(b):20.0f} {ratio:11.3f}  {same}")
    print(f"worst time ratio (ours / gymnasium): {max(ratios):.3f}  (target <= 1.10)")


if __name__ == "__main__":
    from rlkit.cli import run_cli

    run_cli(main)
