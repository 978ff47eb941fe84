"""Task families on gymnasium (docs/environments.md): `base.MultiTaskEnv` is the interface,
`mujoco_env.MujocoTaskEnv` the MuJoCo base that `rand_param_envs` also builds on, and one module
per family. The registry that maps the reference's `env_name`s to families is `rlkit.tasks`,
above both this package and `rand_param_envs`, so that imports run one way."""

from rlkit.envs.base import MultiTaskEnv, env_rng_state, set_env_rng_state
from rlkit.envs.wrappers import NormalizedBoxEnv

__all__ = ["MultiTaskEnv", "NormalizedBoxEnv", "env_rng_state", "set_env_rng_state"]
