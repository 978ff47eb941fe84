"""Parameter-randomised MuJoCo bodies (hopper, walker) on the official `mujoco` bindings.

Replaces the mujoco-py 0.5 package of the same name that the reference vendored. Importing
this package loads no model and reads no environment variable.
"""

from rand_param_envs.base import RAND_PARAMS, RandParamsEnv, load_task_params, sample_multipliers, save_task_params
from rand_param_envs.hopper_rand_params import HopperRandParamsEnv
from rand_param_envs.walker2d_rand_params import SparseWalker2DRandParamsEnv, Walker2DRandParamsEnv

__all__ = [
    "RAND_PARAMS",
    "HopperRandParamsEnv",
    "RandParamsEnv",
    "SparseWalker2DRandParamsEnv",
    "Walker2DRandParamsEnv",
    "load_task_params",
    "sample_multipliers",
    "save_task_params",
]
