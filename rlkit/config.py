"""Typed experiment config: defaults <- env JSON <- CLI overrides, checked key by key.

Every key is declared once, here: a dataclass field made by `key(default, doc, range)`. From these
declarations come the default tree (`default_dict`), the valid ranges (`valid_ranges`) and each key's
type, and configs/default.py, the listing of every key that the reference's users know, is written
(`python scripts/write_default_config.py`; a test keeps it up to date). Adding a key is one field.

The reference's keys that this code does not read, or reads with one value only, are the
`REFERENCE_ONLY` set: accepted so that the reference's JSON files load, refused when set to a value
this code would ignore, and not part of `Config`.

`load_config(json_path, overrides)` returns a frozen `Config`. A key that no dataclass knows, a value
of the wrong type or out of its range is a `UserError` naming the dotted key.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import math
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, Union

from rlkit.errors import UserError
from rlkit.fileio import json_error, read_json_object

REPO_ROOT = Path(__file__).resolve().parents[1]
MAX_INT = 2**31 - 1  # the largest count a config may give (sizes and counts past it overflow torch's int32 indexing)
ALGO_TYPES = ("CSRO", "FOCAL", "OFFPEARL", "CLASSIFIER", "CORRO", "UNICORN_SS", "UNICORN_SUP", "BOREL")
# the values of two keys, as types (the trainer's settings) and as the tuples the checks read
ZStrategy = Literal["mean", "weighted", "poe"]
Z_STRATEGIES: tuple[str, ...] = typing.get_args(ZStrategy)
DualCriticPenalty = Literal["value", "gradient"]
DUAL_CRITIC_PENALTIES: tuple[str, ...] = typing.get_args(DualCriticPenalty)
CORRO_AGGREGATORS = ("attention", "mean")
CORRO_NEGATIVES = ("auto", "reward", "generative")
# The method-specific keys (algo_params) each algo_type reads (docs/algorithm.md, "Baselines and variants"). A key
# of this table that a method does not read must keep the value configs/default.py and the config file give it:
# an override of it (--KEY VALUE, a sweep entry) is refused, so that a setting cannot be silently ignored.
_ENCODER_VARIANTS = {"use_hvar", "z_strategy"}
METHOD_KEYS: dict[str, frozenset[str]] = {
    "CSRO": frozenset(
        {
            "use_FOCAL_cl",
            "z_loss_weight",
            "use_club",
            "club_loss_weight",
            "club_model_loss_weight",
            "allow_backward_z",
            *_ENCODER_VARIANTS,
        }
    ),
    "FOCAL": frozenset({"use_FOCAL_cl", "z_loss_weight", "allow_backward_z", *_ENCODER_VARIANTS}),
    "OFFPEARL": frozenset(_ENCODER_VARIANTS),  # allow_backward_z is always on
    "CLASSIFIER": frozenset(
        {
            "z_loss_weight",
            "use_club",
            "club_loss_weight",
            "club_model_loss_weight",
            "allow_backward_z",
            *_ENCODER_VARIANTS,
        }
    ),
    # its own encoder and aggregator; its aggregator always learns through the critic (allow_backward_z is on)
    "CORRO": frozenset(
        {
            "corro_aggregator",
            "corro_pretrain_steps",
            "corro_reward_std",
            "corro_negatives",
            "corro_cvae_steps",
            "corro_cvae_hidden",
            "corro_cvae_latent",
            "corro_standardize",
        }
    ),
    "UNICORN_SS": frozenset({"unicorn_beta", "unicorn_decoder_hidden", "allow_backward_z", *_ENCODER_VARIANTS}),
    "UNICORN_SUP": frozenset({"z_loss_weight", "allow_backward_z", *_ENCODER_VARIANTS}),  # CLASSIFIER without CLUB
    # a recurrent belief VAE trained first, then frozen; the learner reads hyper-states (s, mu, logvar)
    "BOREL": frozenset(
        {
            "borel_latent_size",
            "borel_vae_steps",
            "borel_vae_tasks",
            "borel_vae_sequences",
            "borel_elbo_terms",
            "borel_kl_weight",
            "borel_episodes",
            "borel_decode_state",
        }
    ),
}
METHOD_SPECIFIC_KEYS = frozenset().union(*METHOD_KEYS.values())


def reads(algo_type: str, key: str) -> bool:
    """Whether `algo_type` reads `algo_params.key` (`METHOD_KEYS`: a key of no method's list is everyone's)."""
    return key not in METHOD_SPECIFIC_KEYS or key in METHOD_KEYS.get(algo_type, frozenset())


# What an algo_type sets itself (recorded so in variant.json; a config may give the key its default or this value,
# nothing else): CORRO encodes (s, a, r, s'); its aggregator and OFFPEARL's encoder learn through the critic
METHOD_FORCED: dict[str, dict[str, Any]] = {
    "CORRO": {"use_next_obs_in_context": True, "allow_backward_z": True},
    "OFFPEARL": {"allow_backward_z": True},
}
# ... and what OFFPEARL's information bottleneck sets: PEARL's encoder has a variance head and multiplies the
# transitions' Gaussians
PEARL_FORCED: dict[str, Any] = {"use_hvar": True, "z_strategy": "poe"}
# PEARL's kl_lambda where its config for the env differs from its default 0.1 (oyster's configs/ant-goal.json and
# sparse-point-robot.json): OFFPEARL's value there unless a config or override sets one
PEARL_KL_LAMBDA: dict[str, float] = {"ant-goal": 1.0, "sparse-point-robot": 1.0}
# The point-robot families (rlkit.tasks' PointEnv ones; tests/test_borel.py checks the list against the registry):
# BOREL's tasks per VAE step is BOReL's there, 8 (vae_config/args_point_robot_sparse.py), and 4 on the MuJoCo
# families (its args_cheetah_vel.py and args_ant_semicircle_sparse.py), unless a config or override sets one
POINT_FAMILIES = ("point-robot", "sparse-point-robot", "point-robot-wind")
# UNICORN's per-env settings where they differ from the keys' defaults (its offline_rl_config/args_*.py: beta_encoder
# 0.15 and aggregator_hidden_size 64 on cheetah-vel and ant-dir): UNICORN_SS's values there unless a config or
# override sets one (sparse-walker: its walker's)
UNICORN_BETA: dict[str, float] = {
    "cheetah-dir": 0.01,
    "hopper-rand-params": 1.5,
    "walker-rand-params": 0.7,
    "sparse-walker-rand-params": 0.7,
}
UNICORN_DECODER_HIDDEN: dict[str, int] = {
    "hopper-rand-params": 128,
    "walker-rand-params": 128,
    "sparse-walker-rand-params": 128,
}
# CORRO's CVAE per env where it differs from the keys' defaults (hidden 64, w of 5 dims: its relabel_model_config for
# point_robot_v1 and cheetah_vel): 128 and 64 for hopper_param, walker_param and ant_dir, and on humanoid (no CORRO
# config; a body larger than the ant's), unless a config or override sets one
_CORRO_LARGE_CVAE = ("hopper-rand-params", "walker-rand-params", "sparse-walker-rand-params", "ant-dir", "ant-goal")
CORRO_CVAE_HIDDEN: dict[str, int] = dict.fromkeys((*_CORRO_LARGE_CVAE, "humanoid-dir"), 128)
CORRO_CVAE_LATENT: dict[str, int] = dict.fromkeys((*_CORRO_LARGE_CVAE, "humanoid-dir"), 64)
# The families whose tasks differ in dynamics (rlkit.tasks' `tasks_differ_in`, checked by tests/test_baselines.py):
# CORRO's corro_negatives 'auto' is 'generative' there, 'reward' elsewhere (`corro_negatives_of`)
DYNAMICS_FAMILIES = ("point-robot-wind", "hopper-rand-params", "walker-rand-params", "sparse-walker-rand-params")
# the CORRO key each kind of negatives alone reads: under the other kind an override of it is refused
CORRO_NEGATIVES_KEYS = {
    "reward": ("corro_reward_std",),
    "generative": ("corro_cvae_steps", "corro_cvae_hidden", "corro_cvae_latent"),
}
BOREL_MUJOCO_VAE_TASKS = 4
# Keys of every method that only the mean-pooled encoders read: under these algo_types an override of one is refused
# like a `METHOD_KEYS` key of another method (BOREL's GRU reads whole ordered episodes, not i.i.d. context rows of
# embedding_batch_size; its belief updates every step, not after num_exp_traj_eval episodes; it has no z to zero or
# size: the belief has borel_latent_size dimensions)
METHOD_IGNORED: dict[str, tuple[str, ...]] = {
    "BOREL": (
        "latent_size",
        "algo_params.embedding_batch_size",
        "algo_params.use_next_obs_in_context",
        "algo_params.num_exp_traj_eval",
        "algo_params.train_z0_policy",
        "algo_params.z0_policy_share",
    )
}


# Keys read only when a switch of algo_params is on: under the switch off an override of one is refused (it would be
# ignored), as `METHOD_KEYS` of another method are. A config file may still set them (the reference's do).
SWITCHED_KEYS: dict[str, tuple[str, ...]] = {
    "use_brac": (
        "use_value_penalty",
        "train_alpha",
        "alpha_init",
        "alpha_max",
        "alpha_lr",
        "target_divergence",
        "dual_critic_penalty",
        "c_lr",
        "c_iter",
    ),
    "train_z0_policy": ("z0_policy_share",),
    "use_club": ("club_loss_weight", "club_model_loss_weight"),
    "use_FOCAL_cl": ("z_loss_weight",),
    "train_alpha": ("alpha_lr", "target_divergence"),
    # without a meta-test (its progress columns nan) nothing reads how it would run (num_evals aside: the evaluator's
    # env streams, saved in latest.pt, are one per test task and run whether it runs or not)
    "allow_eval": (
        "num_steps_per_eval",
        "num_exp_traj_eval",
        "max_path_length",
        "dump_eval_paths",
        "sample_z_at_test",
    ),
    "sparse_rewards": ("env_params.goal_radius",),  # the radius of the sparse reward, which only it reads
}
# A switch that is itself a method's key gates its keys under the methods that read it (`METHOD_KEYS`) only:
# CLASSIFIER and UNICORN_SUP read z_loss_weight as their cross-entropy's weight, whatever use_FOCAL_cl says
SWITCH_SCOPE: dict[str, tuple[str, ...]] = {
    switch: tuple(m for m, keys in METHOD_KEYS.items() if switch in keys)
    for switch in SWITCHED_KEYS
    if switch in METHOD_SPECIFIC_KEYS
}


def key(default: Any, doc: str, range: str | None = None) -> Any:
    """The one declaration of a config key: its default, what it does, and for a number its valid range
    ("[a, b]" closed, "(a, b]" open at a, ">= a" / "> a" unbounded above; checked when a config is built)."""
    meta = {"doc": doc, "range": range}
    if isinstance(default, list):
        return dataclasses.field(default_factory=functools.partial(copy.deepcopy, default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def section(cls: type, doc: str) -> Any:
    """A group of keys (`env_params`, ...): its own dataclass, at its defaults."""
    return dataclasses.field(default_factory=cls, metadata={"doc": doc, "range": None})


@dataclass(frozen=True)
class EnvParams:
    n_tasks: int = key(40, "number of tasks of the family; goal_idx{i} always means the same task", ">= 1")
    randomize_tasks: bool = key(False, "shuffle the family's task list (seeded, deterministic)")
    max_episode_steps: int = key(20, "the env's own time limit", ">= 1")
    goal_radius: float | None = key(
        None,
        "the sparse families' (sparse-*, point-robot-wind) radius of the sparse reward, read with sparse_rewards",
        "> 0",
    )

    def kwargs(self) -> dict[str, Any]:
        """Arguments for `make_env` (keys left at None are not passed)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True)
class AlgoParams:
    meta_batch: int = key(16, "tasks per gradient step", ">= 1")
    batch_size: int = key(256, "RL transitions per task per step", ">= 1")
    num_iterations: int = key(65, "iterations of a run", ">= 1")
    num_train_steps_per_itr: int = key(1000, "gradient steps per iteration", ">= 1")
    num_evals: int = key(2, "independent meta-test runs per test task", ">= 1")
    num_steps_per_eval: int = key(400, "scored env steps per run (N)", ">= 1")
    embedding_batch_size: int = key(1024, "context transitions per task per step", ">= 1")
    max_path_length: int = key(20, "episode length H at meta-test", ">= 1")
    discount: float = key(0.9, "discount factor of the Q target", "[0, 1]")
    soft_target_tau: float = key(0.005, "Polyak rate of the target V", "(0, 1]")
    # the Adam learning rates, at most 1 as stage 1's are: Adam moves each weight by about lr a step, so above 1 is
    # a typo (1e9 only diverged, after a whole iteration)
    policy_lr: float = key(3e-4, "policy learning rate", "(0, 1]")
    qf_lr: float = key(3e-4, "Q1, Q2 learning rate", "(0, 1]")
    vf_lr: float = key(3e-4, "V learning rate", "(0, 1]")
    context_lr: float = key(
        3e-4,
        "learning rate of the encoder, the CLUB net and a method's own encoder parts (CLASSIFIER's head, UNICORN_SS's "
        "decoder, CORRO's CVAE, BOREL's VAE)",
        "(0, 1]",
    )
    c_lr: float = key(1e-4, "BRAC dual critic learning rate", "(0, 1]")
    alpha_lr: float = key(1.0, "BRAC alpha step size", ">= 0")
    c_iter: int = key(3, "dual-critic steps per training step", ">= 1")
    policy_mean_reg_weight: float = key(1e-3, "weight of mean(mean^2) in the policy loss", ">= 0")
    policy_std_reg_weight: float = key(1e-3, "weight of mean(log_std^2) in the policy loss", ">= 0")
    policy_pre_activation_weight: float = key(
        0.0, "weight of mean(sum pre_tanh^2) in the policy loss (the reference's; 0 in its configs)", ">= 0"
    )
    replay_buffer_size: int = key(200000, "per-task capacity; loading more transitions is an error", ">= 1")
    reward_scale: float = key(100.0, "multiplies r in the Q target", "> 0")
    sparse_rewards: bool = key(
        False, "sparsified rewards in the context and the meta-test scores (the RL batch keeps the dense reward)"
    )
    use_information_bottleneck: bool | None = key(
        None,
        "OFFPEARL only: null or true = PEARL's probabilistic encoder (identity 2L output, softplus variance, "
        "product of Gaussians, sampled z, KL to N(0, I)); false = PEARL's deterministic one (z = mean of L identity "
        "outputs, no KL). Another algo_type: null or false (z is deterministic)",
    )
    num_exp_traj_eval: int = key(1, "scored episodes before z is first inferred online", ">= 0")
    dump_eval_paths: bool = key(
        False, "write every scored episode's return, per protocol and job, to eval_returns_itr_{n}.json"
    )
    sample: int = key(1, "1: stochastic behaviour trajectories, 0: deterministic ones", "[0, 1]")
    n_trj: int = key(50, "trajectories per checkpoint", ">= 1")
    train_epoch: list[int] = key([2200, 5000, 200], "checkpoint numbers for training tasks: range(start, stop, step)")
    eval_epoch: list[int] = key([2200, 5000, 200], "same for test tasks (offline-context protocol)")
    data_dir: str = key("./offline_dataset/point-robot", "the behaviour dataset (stage 1's output)")
    terminal_at_traj_end: bool = key(True, "reference quirk: each trajectory's last transition is terminal")
    use_brac: bool = key(False, "BRAC: the dual critic's divergence penalises the policy")
    use_value_penalty: bool = key(False, "subtract alpha * D_hat from the V target (BRAC value penalty)")
    train_alpha: bool = key(True, "adapt BRAC's alpha towards target_divergence")
    alpha_init: float = key(500.0, "BRAC alpha at the start", ">= 0")
    alpha_max: float = key(2000.0, "BRAC alpha is used clipped to [0, alpha_max]", ">= 0")
    target_divergence: float = key(0.05, "the divergence BRAC's alpha steers towards", ">= 0")
    dual_critic_penalty: str = key(
        "value", '"value": the reference\'s penalty on c\'s output; "gradient": a true gradient penalty'
    )
    max_entropy: bool = key(True, "subtract log pi in the V target and add it to the policy loss")
    z_loss_weight: float = key(
        10.0,
        "weight of the max-MI term: FOCAL's distance metric, or CLASSIFIER's and UNICORN_SUP's cross-entropy",
        ">= 0",
    )
    club_model_loss_weight: float = key(10.0, "CLUB net fit weight", ">= 0")
    club_loss_weight: float = key(25.0, "CLUB upper bound weight (min MI)", ">= 0")
    use_FOCAL_cl: bool = key(True, "use FOCAL's distance metric as the max-MI term (CSRO, FOCAL)")
    use_club: bool = key(True, "use the min-MI term")
    use_next_obs_in_context: bool = key(False, "context = (s, a, r, s') instead of (s, a, r)")
    allow_backward_z: bool = key(False, "let the critic loss train the encoder (OFFPEARL and CORRO force it on)")
    # Encoder variants (extensions; docs/algorithm.md, "Encoder variants"). The defaults are CSRO's.
    train_z0_policy: bool = key(
        False, "also train the actor and critics with z = 0 (the prior mean) on a share of every batch"
    )
    z0_policy_share: float = key(
        0.25, "that share: the first ceil(share * batch_size) rows of each task's batch", "(0, 1]"
    )
    use_hvar: bool = key(False, "the encoder also outputs a per-transition variance (heteroscedastic)")
    z_strategy: str = key(
        "mean",
        'embeddings -> z: "mean" (the reference), "weighted" (inverse-variance mean; '
        'needs use_hvar), "poe" (product of Gaussians, sampled in training; needs use_hvar)',
    )
    allow_eval: bool = key(True, "run the meta-test every iteration (false: its progress columns are nan)")
    mb_replace: bool = key(
        False,
        "draw the meta-batch of tasks with replacement, for every algo_type. false: the CSRO "
        "reference's setting (no two rows share a task, so FOCAL's same-task attraction term "
        "is 0); true: FOCAL's own setting (repeated tasks, the attraction term acts)",
    )
    snapshot_gap: int = key(5, "keep snapshots/itr_{n}.pt every n iterations (and the last)", ">= 1")
    kl_lambda: float = key(
        0.1,
        "OFFPEARL's bottleneck: weight of sum_tasks,dims KL(q(z|c) || N(0, I)); unless set, PEARL's value for "
        "the env (1.0 on ant-goal and sparse-point-robot, as its configs; 0.1, its default, elsewhere); must "
        "stay at 0.1 elsewhere (nothing reads it)",
        ">= 0",
    )
    sample_z_at_test: bool = key(
        False,
        "OFFPEARL's bottleneck: at meta-test z is a sample of the posterior (PEARL), "
        "an empty context a sample of N(0, I); false: the posterior mean (0 for no "
        "context)",
    )
    # Baselines (docs/algorithm.md, "Baselines and variants"); each is read only by its algo_type (METHOD_KEYS)
    corro_aggregator: str = key("attention", 'CORRO: transition embeddings -> z by "attention" (CORRO\'s) or "mean"')
    corro_pretrain_steps: int = key(
        0,
        "CORRO: 0 trains its transition encoder with the actor-critic at every step; "
        "N > 0 is CORRO's schedule: the transition encoder alone for N steps, then "
        "frozen",
        ">= 0",
    )
    corro_reward_std: float = key(
        0.5, "CORRO, reward negatives: std of the reward noise of its negatives, r + N(0, std^2)", "> 0"
    )
    corro_negatives: str = key(
        "auto",
        'CORRO: "reward" (r + noise), "generative" (a CVAE\'s (r, s\') given (s, a)), '
        'or "auto": generative on the dynamics families (hopper, walker, point-robot-wind), reward '
        "elsewhere",
    )
    corro_cvae_steps: int = key(
        5000, "CORRO, generative negatives: the CVAE's training steps, before anything else", ">= 1"
    )
    corro_cvae_hidden: int = key(
        64,
        "CORRO, generative negatives: the CVAE's hidden units, one layer (CORRO's hidden_size: unless set, 128 on "
        "hopper, walker, ant and humanoid, as its configs, 64 elsewhere)",
        ">= 1",
    )
    corro_cvae_latent: int = key(
        5,
        "CORRO, generative negatives: the CVAE's w dims (CORRO's z_dim: unless set, 64 on hopper, walker, ant and "
        "humanoid, as its configs, 5 elsewhere)",
        ">= 1",
    )
    corro_standardize: bool = key(
        False,
        "CORRO: the transition encoder reads each context column standardised by its mean and std over the "
        "training data (not CORRO's: raw MuJoCo rows keep its InfoNCE at chance for thousands of steps)",
    )
    unicorn_beta: float = key(
        0.15,
        "UNICORN_SS: weight of FOCAL's metric next to the decoder's loss (UNICORN's beta_encoder: unless set, its "
        "value for the env, 0.01 on cheetah-dir, 1.5 on hopper, 0.7 on walker, 0.15 elsewhere)",
        ">= 0",
    )
    unicorn_decoder_hidden: int = key(
        64,
        "UNICORN_SS: width of its decoder's two hidden layers (UNICORN's aggregator_hidden_size: unless set, 128 on "
        "hopper and walker, as its configs, 64 elsewhere)",
        ">= 1",
    )
    borel_latent_size: int = key(
        5, "BOREL: dimension of the belief's mean (BOReL's 5); the learner reads (s, mu, logvar), 2x wider", ">= 1"
    )
    borel_vae_steps: int = key(
        5000, "BOREL: the belief VAE's training steps, a stage of its own before the learner's iterations", ">= 1"
    )
    borel_vae_tasks: int = key(
        8,
        "BOREL: distinct training tasks per VAE step (BOReL's tasks_batch_size: unless set, 4 on the MuJoCo "
        "families, as its cheetah and ant configs, 8 on the point-robot ones); all n_train_tasks where there are "
        "fewer",
        ">= 1",
    )
    borel_vae_sequences: int = key(
        8, "BOREL: ordered sequences per task per VAE step (BOReL's vae_batch_num_rollouts_per_task)", ">= 1"
    )
    borel_elbo_terms: int | None = key(
        None,
        "BOREL: beliefs q_t per sequence whose reconstruction is computed at a VAE step, drawn without replacement "
        "and weighted so the sum over t stays unbiased (BOReL's vae_batch_num_elbo_terms, VariBAD's "
        "vae_subsample_elbos); null: all T+1, as BOReL's configs. The VAE step costs O(T^2) without it",
        ">= 1",
    )
    borel_kl_weight: float = key(
        0.05, "BOREL: weight of sum_t KL(q_t || q_t-1) next to the reward reconstruction (BOReL's kl_weight)", ">= 0"
    )
    borel_episodes: int = key(
        2,
        "BOREL: episodes of a task in one ordered sequence, the BAMDP horizon (BOReL's max_rollouts_per_task); at "
        "meta-test the belief carries over the preceding borel_episodes - 1 context episodes",
        ">= 2",
    )
    borel_decode_state: bool | None = key(
        None,
        "BOREL: also decode s' from (z, s, a) (BOReL's optional state decoder); null: on for the dynamics "
        "families (hopper, walker, point-robot-wind), off elsewhere",
    )

    @property
    def data_kind(self) -> str:
        """Which episodes of each checkpoint file a run reads (`sample`): "sample" or "eval"."""
        return "sample" if self.sample else "eval"


@dataclass(frozen=True)
class UtilParams:
    base_log_dir: str = key("./output", "runs go to base_log_dir/env_name/exp_name/seed{S}")
    use_gpu: bool = key(
        True, "CUDA device gpu_id when CUDA is available (the reference's configs say 1); --gpu sets both"
    )
    gpu_id: int = key(0, "the CUDA device, with use_gpu", ">= 0")
    exp_name: str = key("", "empty: a timestamp, as in the reference")
    config_file: str = key(
        "", "set by the loader: the JSON file the run was configured from (show_path.py compares it)"
    )


@dataclass(frozen=True)
class Config:
    env_name: str = key("point-robot", "a key of rlkit.tasks.ENVS")
    n_train_tasks: int = key(30, "tasks used for meta-training", ">= 1")
    n_eval_tasks: int = key(10, "held-out tasks used for meta-test", ">= 1")
    interpolation: bool = key(True, 'test tasks spread through the task list (docs/algorithm.md, "Task split")')
    randomize_tasks: bool = key(False, "test tasks = complement of a seeded random choice")
    latent_size: int = key(20, "dimension of the task latent z", ">= 1")
    net_size: int = key(256, "hidden width of Q, V, policy and the dual critic", ">= 1")
    path_to_weights: str | None = key(None, "a snapshot (.pt) to initialise all networks (and BRAC's alpha) from")
    env_params: EnvParams = section(EnvParams, "the env family's constructor arguments")
    algo_params: AlgoParams = section(AlgoParams, "training, meta-test and data settings")
    util_params: UtilParams = section(UtilParams, "where a run writes, and on what it runs")
    algo_type: str = key(
        "CSRO",
        " | ".join(ALGO_TYPES) + ' (docs/algorithm.md, "Baselines", "Encoder variants")',
    )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ReferenceOnly:
    """A key of the reference's configs that this code does not read: accepted so that the reference's JSON
    files load, then dropped. Only the value that means what this code does is accepted: `default`, or
    the value of the key `equals` names; `any_value` where the reference reads the key nowhere either."""

    default: Any
    why: str
    equals: str | None = None
    any_value: bool = False
    refuse: Callable[[Config, Any], str | None] | None = None  # a value that means something else with this config
    accepted: str = ""  # with `refuse`: the values accepted, in words (configs/default.py's comment)


def _club_input(cfg: Config, club_use_sa: bool) -> str | None:
    """The reference's CLUB net reads (s, a) with club_use_sa, else (s, a, r) when the context holds next
    observations (its launch_experiment.py 59-62); this code's reads (s, a) only."""
    a = cfg.algo_params
    club = reads(cfg.algo_type, "use_club") and a.use_club
    if club and a.use_next_obs_in_context and not club_use_sa:
        return (
            "with use_next_obs_in_context true the reference's CLUB net reads (s, a, r), which this code does not "
            "implement (its reads (s, a)): expected true"
        )
    return None


# The reference-only keys (docs/reference-differences.md, "Reference-only config keys"), by dotted name.
REFERENCE_ONLY: dict[str, ReferenceOnly] = {
    "seed_list": ReferenceOnly([0, 1, 2], "the reference's sweep; here --seed or --seeds choose the seeds"),
    "algo_params.embedding_mini_batch_size": ReferenceOnly(
        1024,
        "the reference's recurrent-encoder split of the context; this code reads embedding_batch_size",
        equals="algo_params.embedding_batch_size",
    ),
    "algo_params.num_tasks_sample": ReferenceOnly(
        5,
        "PEARL's online data collection, which offline training does not do; read nowhere in the reference",
        any_value=True,
    ),
    "algo_params.update_post_train": ReferenceOnly(
        1, "PEARL's online context resampling; read nowhere in the reference either"
    ),
    "algo_params.dropout": ReferenceOnly(0.1, "the encoder has no dropout; read nowhere in the reference either"),
    "algo_params.recurrent": ReferenceOnly(False, "permutation-invariant encoder only"),
    "algo_params.club_use_sa": ReferenceOnly(
        False,  # the reference's default; without next observations in the context false means (s, a) too
        "the CLUB net's input is (s, a), the only form the reference's configs use and this code implements",
        any_value=True,
        refuse=_club_input,
        accepted="true, or false where the context holds no next observations or no CLUB net is trained",
    ),
    "algo_params.divergence_name": ReferenceOnly("kl", "BRAC's divergence: only the KL is implemented"),
    "algo_params.save_replay_buffer": ReferenceOnly(False, "snapshots hold the networks and optimisers only"),
    "algo_params.save_algorithm": ReferenceOnly(False, "snapshots hold the networks and optimisers only"),
    "algo_params.save_environment": ReferenceOnly(False, "snapshots hold the networks and optimisers only"),
    "util_params.debug": ReferenceOnly(False, "the reference's debug folder is not implemented"),
    "util_params.docker": ReferenceOnly(False, "docker is not supported (nor in the reference)"),
}


def at(tree: dict[str, Any], dotted: str) -> Any:
    """The value at the dotted key `dotted` of a nested dict (a KeyError where a level is missing)."""
    return functools.reduce(dict.__getitem__, dotted.split("."), tree)


def parent_of(tree: dict[str, Any], dotted: str, create: bool = False) -> tuple[dict[str, Any], str]:
    """(the dict that holds the dotted key's last part, that part); `create`: missing levels are made, else a
    KeyError."""
    *path, leaf = dotted.split(".")
    step = (lambda node, part: node.setdefault(part, {})) if create else dict.__getitem__
    return functools.reduce(step, path, tree), leaf


def default_dict() -> dict[str, Any]:
    """Every key at its default, as the nested tree that JSON files and overrides are merged into
    (the reference-only keys included, so that they load)."""
    data = Config().to_dict()
    for name, ref in REFERENCE_ONLY.items():
        node, leaf = parent_of(data, name)
        node[leaf] = copy.deepcopy(ref.default)
    return data


@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    """`typing.get_type_hints` of a config dataclass, resolved once per class: its annotations are strings (`from
    __future__ import annotations`), and resolving them on every build was most of `load_config`'s time. Read only."""
    return typing.get_type_hints(cls)


def declared_keys(cls: type = Config, prefix: str = "") -> list[tuple[str, dataclasses.Field]]:
    """(dotted name, field) of every key declared on `cls` and its sections, in declaration order."""
    hints, out = type_hints(cls), []
    for f in fields(cls):
        tp = hints[f.name]
        out += declared_keys(tp, f"{prefix}{f.name}.") if dataclasses.is_dataclass(tp) else [(prefix + f.name, f)]
    return out


def valid_ranges() -> dict[str, str]:
    """Dotted numeric key -> its valid range ("[0, 1]", "(0, 1]", ">= 1", "> 0"), from the declarations."""
    return {name: f.metadata["range"] for name, f in declared_keys() if f.metadata["range"] is not None}


def in_range(value: float, spec: str) -> bool:
    spec = spec.strip()
    if spec.startswith(">="):
        return value >= float(spec[2:])
    if spec.startswith(">"):
        return value > float(spec[1:])
    lo, hi = (float(v) for v in spec[1:-1].split(","))
    return (value >= lo if spec[0] == "[" else value > lo) and (value <= hi if spec[-1] == "]" else value < hi)


def _merge(base: dict[str, Any], new: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    for key, value in new.items():
        name = f"{prefix}{key}"
        if key not in base:
            raise UserError(_unknown_key(name, base))
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise UserError(f"config key {name!r} must be an object of keys, got {value!r}")
            _merge(base[key], value, name + ".")
        else:
            base[key] = value
    return base


def _unknown_key(name: str, base: dict[str, Any]) -> str:
    """The line refusing the unknown dotted key `name` (`base`: the keys where it was looked up): the keys of the
    whole config whose last part is closest to its last part (an override may name a key by either), within its
    section when it names one, then the keys that level has (all of them when few)."""
    import difflib

    section, _, leaf = name.rpartition(".")
    paths = [p for p in leaf_paths(default_dict()) if not section or p.rpartition(".")[0] == section]
    near = difflib.get_close_matches(leaf, [p.rpartition(".")[2] for p in paths], n=2, cutoff=0.8)
    close = [p for p in paths if p.rpartition(".")[2] in near]
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    keys = sorted(base)
    shown = keys if len(keys) <= 16 else [*keys[:16], "..."]
    return f"unknown config key {name!r}: {hint}expected one of {shown} (configs/default.py lists every key)"


def leaf_paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    """Every dotted key of a nested config tree that holds a value (not a section)."""
    out = []
    for k, v in tree.items():
        out += leaf_paths(v, f"{prefix}{k}.") if isinstance(v, dict) else [f"{prefix}{k}"]
    return out


def _coerce(name: str, value: Any, tp: Any) -> Any:
    """Check `value` against the annotation `tp`; ints pass as floats and 0/1 as bools."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        return _coerce(name, value, next(a for a in args if a is not type(None)))
    if origin is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise UserError(f"config key {name!r} must be a list, got {value!r}")
        return [_coerce(f"{name}[{i}]", v, item) for i, v in enumerate(value)]
    if tp is bool:
        if isinstance(value, bool) or (type(value) is int and value in (0, 1)):
            return bool(value)
        raise UserError(f"config key {name!r} must be true/false (or 0/1), got {value!r}")
    if tp is int:
        if type(value) is int or (type(value) is float and value.is_integer()):
            if abs(value) > MAX_INT:  # (1e30 passed its range and overflowed torch deep inside a run)
                raise UserError(f"config key {name!r} {value!r}: expected at most {MAX_INT:,} (a count torch can hold)")
            return int(value)
        raise UserError(f"config key {name!r} must be an integer, got {value!r}")
    if tp is float:
        if type(value) is int and abs(value) > sys.float_info.max:  # (math.isfinite, float() overflow on it)
            raise UserError(f"config key {name!r} {value}: expected a finite number (at most {sys.float_info.max:.4g})")
        if type(value) in (int, float) and math.isfinite(value):
            return float(value)
        if type(value) is float:  # JSON's Infinity, -Infinity, NaN: never a setting, and a run would only diverge
            raise UserError(f"config key {name!r} {value}: expected a finite number")
        raise UserError(f"config key {name!r} must be a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise UserError(f"config key {name!r} must be a string, got {value!r}")
    raise TypeError(f"unsupported annotation {tp} for {name}")


def _build(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    hints = type_hints(cls)
    kwargs = {}
    for f in fields(cls):
        name = f"{prefix}{f.name}"
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            kwargs[f.name] = _build(tp, data[f.name], name + ".")
        else:
            kwargs[f.name] = _coerce(name, data[f.name], tp)
    return cls(**kwargs)


def checked_env_params(params: dict[str, Any]) -> dict[str, Any]:
    """`params` with each key that `env_params` declares held to its declared type and range, and read as a config
    reads it (a task count of 2.0 is 2): a Python caller of `make_env` reaches the env without a config. A bad
    value is the config's own one-line refusal, naming the key."""
    hints, out = type_hints(EnvParams), dict(params)
    for f in fields(EnvParams):
        if out.get(f.name) is not None:
            name = f"env_params.{f.name}"
            out[f.name] = value = _coerce(name, out[f.name], hints[f.name])
            if f.metadata["range"] is not None:
                _check_range(name, value, f.metadata["range"])
    return out


def _check_range(name: str, value: float | None, spec: str) -> None:
    """The one-line refusal of the dotted key `name`'s value outside its declared range `spec` (None: unset)."""
    if value is not None and not in_range(value, spec):
        raise UserError(f"{name} {value}: expected a value in {spec}")


def _epoch_check(name: str, epochs: list[int]) -> tuple[bool, str]:
    """(ok, message) of a checkpoint range [start, stop, step]: the checkpoints start, start + step, ... below stop."""
    ok = len(epochs) == 3 and epochs[0] >= 0 and epochs[2] > 0 and epochs[0] < epochs[1]
    return ok, f"{name} {epochs}: expected [start, stop, step] with 0 <= start < stop and step > 0"


def pearl_bottleneck(cfg: Config) -> bool:
    """Whether the run uses PEARL's information bottleneck (docs/algorithm.md, "OFFPEARL"): OFFPEARL with
    `use_information_bottleneck` true or null (PEARL's default); never another algo_type."""
    return _bottleneck(cfg.algo_type, cfg.algo_params.use_information_bottleneck)


def _bottleneck(algo_type: str, use_information_bottleneck: Any) -> bool:
    """`pearl_bottleneck` of a config tree's values: null (PEARL's default) is on, false or 0 off."""
    return algo_type == "OFFPEARL" and (use_information_bottleneck is None or bool(use_information_bottleneck))


def _pearl_checks(cfg: Config) -> list[tuple[bool, str]]:
    """The OFFPEARL keys are live only where they mean something; elsewhere they must keep their defaults."""
    a, default = cfg.algo_params, AlgoParams()
    ib = pearl_bottleneck(cfg)
    where = "the information bottleneck (algo_type OFFPEARL, use_information_bottleneck true or null)"
    checks = [
        (
            cfg.algo_type == "OFFPEARL" or not a.use_information_bottleneck,
            f"algo_params.use_information_bottleneck true with algo_type {cfg.algo_type!r}: expected false or null "
            "(only OFFPEARL has PEARL's probabilistic encoder; z is deterministic in the others)",
        ),
        (
            ib or a.kl_lambda == default.kl_lambda,
            f"algo_params.kl_lambda {a.kl_lambda} without {where}: expected the default {default.kl_lambda} "
            "(nothing else reads it)",
        ),
        (
            ib or not a.sample_z_at_test,
            f"algo_params.sample_z_at_test true without {where}: expected false (only a posterior can be sampled)",
        ),
    ]
    return checks


def _meta_test_size_checks(cfg: Config) -> list[tuple[bool, str]]:
    """Sizes of the meta-test that cannot work together (checked for a config being loaded to run, not for a run's
    variant.json read back: runs made before these checks stay readable)."""
    a = cfg.algo_params
    return [
        (
            # (a max_episode_steps below 1 is named by its own range check, after these)
            a.max_path_length <= cfg.env_params.max_episode_steps or cfg.env_params.max_episode_steps < 1,
            f"algo_params.max_path_length {a.max_path_length}: expected <= env_params.max_episode_steps "
            f"{cfg.env_params.max_episode_steps} (the env ends every episode there, so the online protocols would "
            "wait for steps that never come)",
        ),
        (
            a.num_steps_per_eval >= a.max_path_length,
            f"algo_params.num_steps_per_eval {a.num_steps_per_eval}: expected >= max_path_length {a.max_path_length} "
            "(a meta-test scores whole episodes)",
        ),
        (
            cfg.algo_type == "BOREL" or a.num_exp_traj_eval * a.max_path_length < a.num_steps_per_eval,
            f"algo_params.num_exp_traj_eval {a.num_exp_traj_eval} x max_path_length {a.max_path_length}: expected "
            f"below num_steps_per_eval {a.num_steps_per_eval} (z is first inferred online after that many scored "
            "steps; at or past them the online protocols score the prior z only)",
        ),
    ]


def _inert_settings_checks(cfg: Config) -> list[tuple[bool, str]]:
    """Settings that would make a part of the run do nothing (checked for a config being loaded to run): CSRO and
    FOCAL with no term of their own on the encoder and z detached from the critic (nothing trains the encoder, and z
    stays its random initialisation), or with a variance head and neither FOCAL's metric nor the critic to train
    it."""
    a = cfg.algo_params
    club = reads(cfg.algo_type, "use_club")
    # the methods that read use_FOCAL_cl (CSRO, FOCAL) train their encoder by it and CLUB alone; the others by their own
    own_loss = not reads(cfg.algo_type, "use_FOCAL_cl")
    terms = a.use_FOCAL_cl or (club and a.use_club)
    return [
        (
            own_loss or terms or a.allow_backward_z,
            f"algo_type {cfg.algo_type!r} with use_FOCAL_cl false"
            + (" and use_club false" if club else "")
            + " and allow_backward_z false: expected one of them true (nothing would train the encoder: z would "
            "stay its random initialisation)",
        ),
        (
            own_loss or not a.use_hvar or a.use_FOCAL_cl or a.allow_backward_z,
            f"algo_params.use_hvar true with algo_type {cfg.algo_type!r}, use_FOCAL_cl false and allow_backward_z "
            "false: expected one of them true or use_hvar false (CLUB reads the embeddings' means only: nothing "
            "would train the variance head)",
        ),
    ]


def _family_checks(cfg: Config) -> list[tuple[bool, str]]:
    """What the env family rules out (checked for a config being loaded to run; a run made before a family was
    counted among `DYNAMICS_FAMILIES` resumes as it was made)."""
    a = cfg.algo_params
    return [
        (
            cfg.algo_type != "CORRO"
            or corro_negatives_of(cfg.env_name, a.corro_negatives) != "reward"
            or cfg.env_name not in DYNAMICS_FAMILIES,
            f"algo_params.corro_negatives 'reward' on {cfg.env_name!r}: its tasks differ in dynamics, not in reward, "
            "so reward-randomised negatives cannot tell them apart; expected 'auto' or 'generative' (CORRO's CVAE "
            "negatives)",
        ),
    ]


def _validate(cfg: Config, new: bool = True) -> None:
    a = cfg.algo_params
    checks = [
        (cfg.algo_type in ALGO_TYPES, f"algo_type {cfg.algo_type!r}: expected one of {list(ALGO_TYPES)}"),
        (
            cfg.n_train_tasks + cfg.n_eval_tasks <= cfg.env_params.n_tasks,
            f"n_train_tasks + n_eval_tasks = {cfg.n_train_tasks + cfg.n_eval_tasks}: expected <= env_params.n_tasks "
            f"= {cfg.env_params.n_tasks}",
        ),
        *[_epoch_check(f"algo_params.{k}", getattr(a, k)) for k in ("train_epoch", "eval_epoch")],
        (
            a.dual_critic_penalty in DUAL_CRITIC_PENALTIES,
            f"algo_params.dual_critic_penalty {a.dual_critic_penalty!r}: expected one of {list(DUAL_CRITIC_PENALTIES)}",
        ),
        (
            cfg.util_params.exp_name in ("", Path(cfg.util_params.exp_name).name)
            and cfg.util_params.exp_name not in (".", "..")
            and cfg.util_params.exp_name == cfg.util_params.exp_name.strip()
            and cfg.util_params.exp_name.isprintable(),
            f"util_params.exp_name {cfg.util_params.exp_name!r}: expected a plain folder name (no '/', '..', control "
            "characters or spaces around it), so that the run stays under base_log_dir/env_name/",
        ),
        *[
            (
                value is None or value.strip() != "",
                f"{name} {value!r}: expected a path (an empty one would be the current folder, {why})",
            )
            for name, value, why in [
                ("algo_params.data_dir", a.data_dir, "where stage 1 would write its task folders"),
                ("util_params.base_log_dir", cfg.util_params.base_log_dir, "where the runs' env folders would go"),
                ("path_to_weights", cfg.path_to_weights, "where the saved weights would be looked for"),
            ]
        ],
        (
            "\0" not in cfg.util_params.base_log_dir and _utf8(cfg.util_params.base_log_dir),
            f"util_params.base_log_dir {cfg.util_params.base_log_dir!r}: expected a path of UTF-8 text without NUL "
            "(a run folder's files, TensorBoard's among them, are named under it; this one failed after an iteration)",
        ),
        (
            cfg.algo_type != "CORRO" or a.embedding_batch_size >= 2,
            f"algo_params.embedding_batch_size {a.embedding_batch_size} with algo_type CORRO: expected >= 2 (CORRO's "
            "positive for a context row is another row of the same task's context)",
        ),
        (
            a.borel_episodes >= 2,
            f"algo_params.borel_episodes {a.borel_episodes}: expected >= 2 (BOREL's offline and Np meta-tests feed "
            "the belief the preceding borel_episodes - 1 context episodes: with 1 they would read no context)",
        ),
        (
            a.corro_aggregator in CORRO_AGGREGATORS,
            f"algo_params.corro_aggregator {a.corro_aggregator!r}: expected one of {list(CORRO_AGGREGATORS)}",
        ),
        (
            a.corro_negatives in CORRO_NEGATIVES,
            f"algo_params.corro_negatives {a.corro_negatives!r}: expected one of {list(CORRO_NEGATIVES)}",
        ),
        (
            a.z_strategy in Z_STRATEGIES,
            f"algo_params.z_strategy {a.z_strategy!r}: expected one of {list(Z_STRATEGIES)}",
        ),
        (
            a.z_strategy not in ("weighted", "poe") or a.use_hvar,
            f"algo_params.z_strategy {a.z_strategy!r} with use_hvar false: expected use_hvar true (the strategy weighs "
            "each transition by the variance the encoder outputs only with use_hvar)",
        ),
        (
            not a.use_hvar or a.z_strategy != "mean",
            "algo_params.use_hvar true with z_strategy 'mean': expected z_strategy 'weighted' or 'poe' (the plain mean "
            "ignores the variance, so nothing would train it)",
        ),
        (
            a.mb_replace or a.meta_batch <= cfg.n_train_tasks,
            f"algo_params.meta_batch {a.meta_batch}: expected <= n_train_tasks {cfg.n_train_tasks} without mb_replace",
        ),
    ]
    checks += _pearl_checks(cfg)
    checks += _meta_test_size_checks(cfg) + _inert_settings_checks(cfg) + _family_checks(cfg) if new else []
    for ok, message in checks:
        if not ok:
            raise UserError(message)
    for name, spec in valid_ranges().items():
        _check_range(name, _leaf(cfg, name), spec)


def _leaf(cfg: Config, name: str) -> Any:
    """The value of the dotted key `name` in `cfg`."""
    return functools.reduce(getattr, name.split("."), cfg)


def _shown(value: Any) -> str:
    """A value as the messages show it: JSON (true, [0, 1, 2]), strings quoted as Python does ('kl')."""
    return repr(value) if isinstance(value, str) else json.dumps(value)


def _pop_reference_only(data: dict[str, Any]) -> dict[str, Any]:
    """Take the `REFERENCE_ONLY` keys out of the merged tree `data`: dotted name -> the value given."""
    out = {}
    for name in REFERENCE_ONLY:
        node, leaf = parent_of(data, name)
        out[name] = node.pop(leaf)
    return out


def _carry_reference_only(given: dict[str, Any], data: dict[str, Any], overrides: tuple) -> None:
    """A reference-only key that must equal another (`ReferenceOnly.equals`) and equals it in the file follows an
    override of that key which leaves it alone (`--embedding_batch_size 256` on a config that sets both to 1024)."""

    def get(tree: dict, name: str) -> Any:
        for part in name.split("."):
            if not isinstance(tree, dict) or part not in tree:
                return None
            tree = tree[part]
        return tree

    for name, ref in REFERENCE_ONLY.items():
        if ref.equals is None or any(get(tree or {}, name) is not None for tree in overrides):
            continue
        if get(given, name) == get(given, ref.equals) and get(data, ref.equals) != get(given, ref.equals):
            node, leaf = parent_of(data, name)
            node[leaf] = get(data, ref.equals)


def _check_reference_only(cfg: Config, name: str, value: Any) -> None:
    """A reference-only key must hold the one value that means what this code does (see `ReferenceOnly`)."""
    ref = REFERENCE_ONLY[name]
    value = _coerce(name, value, list[int] if isinstance(ref.default, list) else type(ref.default))
    want = _leaf(cfg, ref.equals) if ref.equals else ref.default
    problem = ref.refuse(cfg, value) if ref.refuse else None
    if problem:
        raise UserError(
            f"{name} {_shown(value)}: {problem} ({ref.why}; a reference-only key, docs/reference-differences.md)"
        )
    if not ref.any_value and value != want:
        same = f"= {ref.equals}; " if ref.equals else ""
        raise UserError(
            f"{name} {_shown(value)}: expected {_shown(want)} ({same}{ref.why}; a reference-only key, "
            "docs/reference-differences.md)"
        )


def load_config(json_path: str | Path | None, *overrides: dict[str, Any] | None) -> Config:
    """Defaults <- JSON file <- each tree of overrides (a nested dict) in turn, then type-checked into a `Config`."""
    data = default_dict()
    if json_path is not None:
        path = Path(json_path)
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "not found"
            raise UserError(f"config file {str(path)!r} {what}: expected a JSON file such as configs/point-robot.json")
        doc = read_json_object(path, "config keys, as in configs/point-robot.json", label=f"config file {str(path)!r}")
        _merge(data, doc)
        data["util_params"]["config_file"] = str(path)
    given = copy.deepcopy(data)
    for tree in overrides:
        _merge(data, tree or {})
    for name in ("algo_type", "env_name"):  # (read as table keys below, before `_built` checks every type)
        if not isinstance(data[name], str):
            raise UserError(f"config key {name!r} must be a string, got {data[name]!r}")
    _per_env_defaults(data, [doc if json_path is not None else {}, *(t or {} for t in overrides)])
    _carry_reference_only(given, data, overrides)
    _check_method_keys(given, data)
    given_reference_only = _pop_reference_only(data)
    cfg = _built(data)
    _check_forced_overrides(cfg, overrides, given["util_params"]["config_file"])
    _check_switched_keys(given, data)  # (after the values' own checks, which name a bad value better)
    for name, value in given_reference_only.items():
        _check_reference_only(cfg, name, value)
    return _resolved_by_family(cfg)


def _resolved_by_family(cfg: Config) -> Config:
    """`cfg` with the settings its env family decides written as they run, so that variant.json records them:
    CORRO's corro_negatives 'auto' (`corro_negatives_of`) and BOREL's borel_decode_state null
    (`borel_decode_state_of`). (A run folder that recorded 'auto' or null compares equal:
    `run_folder._same_meaning`.)"""
    a = cfg.algo_params
    if cfg.algo_type == "CORRO" and a.corro_negatives == "auto":
        a = dataclasses.replace(a, corro_negatives=corro_negatives_of(cfg.env_name, a.corro_negatives))
    if cfg.algo_type == "BOREL" and a.borel_decode_state is None:
        a = dataclasses.replace(a, borel_decode_state=borel_decode_state_of(cfg.env_name, a.borel_decode_state))
    return cfg if a is cfg.algo_params else dataclasses.replace(cfg, algo_params=a)


def _per_env_defaults(data: dict[str, Any], trees: list[dict[str, Any]]) -> None:
    """The values a baseline's own config for the env sets, where neither the config file nor the overrides
    (`trees`) set the key: OFFPEARL's kl_lambda with its bottleneck, PEARL's for the env (`PEARL_KL_LAMBDA`);
    BOREL's borel_vae_tasks, BOReL's for the family (8 on `POINT_FAMILIES`, `BOREL_MUJOCO_VAE_TASKS` elsewhere);
    UNICORN_SS's unicorn_beta and unicorn_decoder_hidden, UNICORN's for the env (`UNICORN_BETA`,
    `UNICORN_DECODER_HIDDEN`); CORRO's corro_cvae_hidden and corro_cvae_latent with generative negatives, CORRO's
    for the env (`CORRO_CVAE_HIDDEN`, `CORRO_CVAE_LATENT`)."""
    a = data["algo_params"]

    def unset(key: str) -> bool:
        return not any(key in (t.get("algo_params") or {}) for t in trees)

    if _bottleneck(data["algo_type"], a["use_information_bottleneck"]) and unset("kl_lambda"):
        a["kl_lambda"] = PEARL_KL_LAMBDA.get(data["env_name"], a["kl_lambda"])
    if data["algo_type"] == "BOREL" and unset("borel_vae_tasks") and data["env_name"] not in POINT_FAMILIES:
        a["borel_vae_tasks"] = BOREL_MUJOCO_VAE_TASKS
    tables = {
        "UNICORN_SS": (("unicorn_beta", UNICORN_BETA), ("unicorn_decoder_hidden", UNICORN_DECODER_HIDDEN)),
        "CORRO": (("corro_cvae_hidden", CORRO_CVAE_HIDDEN), ("corro_cvae_latent", CORRO_CVAE_LATENT)),
    }
    if data["algo_type"] == "CORRO" and corro_negatives_of(data["env_name"], a["corro_negatives"]) != "generative":
        tables.pop("CORRO")  # (its CVAE keys are read with generative negatives only, and keep their defaults else)
    for key, table in tables.get(data["algo_type"], ()):
        if unset(key):
            a[key] = table.get(data["env_name"], a[key])


def overrides_read_by(
    algo_type: str, overrides: dict[str, Any], env_name: str, method: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A copy of a tree of overrides meant for every method at once (a reproduction profile's sizes) without the
    keys `algo_type` does not read, which `_check_method_keys` would refuse: other methods' `METHOD_KEYS`, its
    `METHOD_IGNORED` keys, and a reference-only key that must equal one of those; on `env_name`, CORRO's key of the
    negatives it does not draw (`CORRO_NEGATIVES_KEYS`; its kind read from the overrides, then the `method`'s own
    tree of overrides, which comes after them). Keys absent from the tree are skipped."""
    algo = {**overrides.get("algo_params", {}), **(method or {}).get("algo_params", {})}
    kind = corro_negatives_kind({"algo_type": algo_type, "env_name": env_name, "algo_params": algo})
    unread = [
        *METHOD_IGNORED.get(algo_type, ()),
        *(f"algo_params.{k}" for k in sorted(METHOD_SPECIFIC_KEYS - METHOD_KEYS.get(algo_type, frozenset()))),
        *corro_unread_keys(kind),
    ]
    tied = [name for name, ref in REFERENCE_ONLY.items() if ref.equals in unread]
    kept = copy.deepcopy(overrides)
    for name in (*unread, *tied):
        *path, leaf = name.split(".")
        tree = kept
        for key in path:
            tree = tree.get(key, {})
        tree.pop(leaf, None)
    return kept


def _check_method_keys(given: dict[str, Any], data: dict[str, Any]) -> None:
    """Refuse an override of a `METHOD_KEYS` key that `data`'s algo_type does not read (`given`: the values
    before the overrides). An unknown algo_type is left to `_validate`, which lists the valid ones."""
    used = METHOD_KEYS.get(data["algo_type"])
    if used is None:
        return
    forced = METHOD_FORCED.get(data["algo_type"], {})
    for key in sorted(METHOD_SPECIFIC_KEYS - used):
        old, new = given["algo_params"][key], data["algo_params"][key]
        if new != old and new != forced.get(key, old):  # (the value the method sets itself is what it runs with)
            raise UserError(
                f"algo_params.{key} {new!r}: algo_type {data['algo_type']!r} does not use it "
                f"(expected its default {old!r}; it is read by {_readers(key)})"
            )
    for name in METHOD_IGNORED.get(data["algo_type"], ()):
        old, new = at(given, name), at(data, name)
        if new != old:
            raise UserError(
                f"{name} {new!r}: algo_type {data['algo_type']!r} does not use it (expected its default "
                f"{old!r}; only the mean-pooled encoders read it)"
            )


def _check_forced_overrides(cfg: Config, overrides: tuple, config_file: str | None) -> None:
    """Refuse an override of a key `cfg`'s method sets itself (`method_forced`) to another value than the one it
    sets, its default included (a config file may give the default: the reference's say allow_backward_z false);
    and an override of `util_params.config_file`, which names the file the keys came from (`config_file`), to
    another file."""
    forced = method_forced(cfg)
    for tree in overrides:
        a = (tree or {}).get("algo_params") or {}
        for k, v in forced.items():
            if k in a and a[k] != v:
                raise UserError(
                    f"algo_params.{k} {a[k]!r} with {_setter(cfg, k)}: expected {v!r} or no override (it sets {v!r})"
                )
        named = ((tree or {}).get("util_params") or {}).get("config_file", config_file)
        if named != config_file:
            raise UserError(
                f"util_params.config_file {named!r} given as an override: expected the config file as the command's "
                "argument (the key records where the run's keys came from)"
            )


def switched_off(tree: dict[str, Any]) -> list[tuple[str, str]]:
    """(switch, dotted key) for each key of a config tree (a variant) that a switch of it leaves unread
    (`SWITCHED_KEYS`, within `SWITCH_SCOPE`; 0/1 are bools in a config); a switch the tree lacks is at its default."""
    a, default = tree.get("algo_params", {}), AlgoParams()
    algo = tree.get("algo_type", "CSRO")
    off = [
        (switch, key if "." in key else f"algo_params.{key}")  # (a key of another section is given dotted)
        for switch, keys in SWITCHED_KEYS.items()
        if a.get(switch, getattr(default, switch)) not in (True, 1) and algo in SWITCH_SCOPE.get(switch, (algo,))
        for key in keys
    ]
    return off + [("corro_negatives", key) for key in corro_unread_keys(corro_negatives_kind(tree))]


def corro_unread_keys(kind: str | None) -> list[str]:
    """The dotted CORRO keys that its `kind` of negatives does not read (`CORRO_NEGATIVES_KEYS`; none for None,
    another algo_type)."""
    return [
        f"algo_params.{key}"
        for other, keys in CORRO_NEGATIVES_KEYS.items()
        if kind not in (None, other)
        for key in keys
    ]


def corro_negatives_of(env_name: str, given: str) -> str:
    """The negatives CORRO draws on `env_name` for its `corro_negatives` `given`: 'auto' is 'generative' on the
    families whose tasks differ in dynamics (`DYNAMICS_FAMILIES`), 'reward' elsewhere; any other value is itself."""
    if given != "auto":
        return given
    return "generative" if env_name in DYNAMICS_FAMILIES else "reward"


def borel_decode_state_of(env_name: str, given: bool | None) -> bool:
    """Whether BOREL decodes the state on `env_name` for its `borel_decode_state` `given`: null is on for the
    families whose tasks differ in dynamics (`DYNAMICS_FAMILIES`); true or false is itself."""
    return env_name in DYNAMICS_FAMILIES if given is None else given


def corro_negatives_kind(tree: dict[str, Any]) -> str | None:
    """The negatives a config tree's CORRO draws, 'reward' or 'generative' (`corro_negatives_of`); None under
    other algo_types."""
    if tree.get("algo_type", "CSRO") != "CORRO":
        return None
    given = tree.get("algo_params", {}).get("corro_negatives", AlgoParams().corro_negatives)
    return corro_negatives_of(tree.get("env_name", Config().env_name), given)


def _check_switched_keys(given: dict[str, Any], data: dict[str, Any]) -> None:
    """Refuse an override of a `SWITCHED_KEYS` key whose switch `data` leaves off, or of a CORRO key its kind of
    negatives does not read (`CORRO_NEGATIVES_KEYS`) (`given`: the values before the overrides)."""
    for switch, key in switched_off(data):
        old, new = at(given, key), at(data, key)
        if new == old:
            continue
        if switch == "corro_negatives":
            kind, setting = corro_negatives_kind(data), data["algo_params"]["corro_negatives"]
            how = f"corro_negatives {setting!r}" + (f" on {data['env_name']!r}" if setting == "auto" else "")
            raise UserError(
                f"{key} {new!r} with {kind} negatives ({how}): expected its value {old!r} (only read with "
                f"{'reward' if kind == 'generative' else 'generative'} negatives)"
            )
        raise UserError(
            f"{key} {new!r} with {switch} false: expected its value {old!r} (only "
            f"read with {switch} true; set --{switch} true to use it)"
        )


def _readers(key: str) -> str:
    return ", ".join(m for m, keys in METHOD_KEYS.items() if key in keys)


def config_from_variant(variant: dict[str, Any]) -> Config:
    """The `Config` of a run's variant.json (its `seed` entry, if any, is not a config key). A variant
    written before the reference-only keys left `Config` holds them at whatever value it ran with, which
    the run ignored: they are dropped unchecked. The checks added since a run could have been made
    (`_meta_test_size_checks`, `_inert_settings_checks`, `_family_checks`) are not applied: the run is read as it
    was made."""
    data = _merge(default_dict(), {k: v for k, v in variant.items() if k != "seed"})
    _pop_reference_only(data)
    return _built(data, new=False)


def _built(data: dict[str, Any], new: bool = True) -> Config:
    """The checked `Config` of a merged tree, with what its algo_type sets itself (`METHOD_FORCED`)."""
    cfg = _build(Config, data)
    forced = method_forced(cfg)
    default = AlgoParams()
    for k, v in forced.items():
        given = getattr(cfg.algo_params, k)
        if given not in (v, getattr(default, k)):
            raise UserError(
                f"algo_params.{k} {given!r} with {_setter(cfg, k)}: expected {v!r} or the default "
                f"{getattr(default, k)!r} (it sets {v!r} itself)"
            )
    if forced:
        cfg = dataclasses.replace(cfg, algo_params=dataclasses.replace(cfg.algo_params, **forced))
    _validate(cfg, new)
    return cfg


def method_forced(cfg: Config) -> dict[str, Any]:
    """The algo_params keys `cfg`'s method sets itself (`METHOD_FORCED`, and `PEARL_FORCED` under the bottleneck)."""
    return forced_keys(cfg.algo_type, cfg.algo_params.use_information_bottleneck)


def forced_keys(algo_type: str, use_information_bottleneck: Any) -> dict[str, Any]:
    """`method_forced` of a config tree's algo_type and use_information_bottleneck value (a variant.json's)."""
    return METHOD_FORCED.get(algo_type, {}) | (
        PEARL_FORCED if _bottleneck(algo_type, use_information_bottleneck) else {}
    )


def _setter(cfg: Config, key: str) -> str:
    """What sets the forced `key` of `cfg`, as the refusals name it."""
    return "OFFPEARL's information bottleneck" if key in PEARL_FORCED else f"algo_type {cfg.algo_type!r}"


def _utf8(text: str) -> bool:
    """Whether `text` is UTF-8 text: not a name of undecodable bytes, which Python holds as lone surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_override_args(args: list[str]) -> dict[str, Any]:
    """`['--algo_params.num_iterations', '2', '--use_brac', 'true']` -> nested dict.

    Values are JSON scalars/lists (`true`/`false`/`null` included); a bare word stays a string.
    """
    out: dict[str, Any] = {}
    defaults = default_dict()
    joined = next((a for a in args if a.startswith("--") and "=" in a), None)
    if joined is not None:  # (`--num_iterations=2` took the next word as its value, or left the last without one)
        key, _, value = joined.partition("=")
        raise UserError(f"override {joined!r}: expected --KEY VALUE with a space ({key} {value})")
    hydra = next((a for a in args if not a.startswith("-") and "=" in a and a.partition("=")[0].isidentifier()), None)
    if hydra is not None and len(args) % 2:  # (stage 1's SAC form, KEY=VALUE)
        key, _, value = hydra.partition("=")
        raise UserError(f"override {hydra!r}: expected --{key} {value} (KEY=VALUE is stage 1's SAC settings' form)")
    if len(args) % 2:
        flags = "" if args[-1].startswith("--") else " (the command's flags, --debug among them, take none)"
        raise UserError(f"override {args[-1]!r} has no value: expected --KEY VALUE pairs{flags}")
    given: dict[str, str] = {}
    for flag, raw in zip(args[::2], args[1::2]):
        if not flag.startswith("--") or len(flag) < 3:
            raise UserError(f"override {flag!r}: expected --KEY VALUE (e.g. --algo_params.num_iterations 2)")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = {"True": True, "False": False, "None": None}.get(raw, raw)
        except (ValueError, RecursionError) as e:  # (JSON, but nested too deeply or of a number of 4301+ digits)
            raise UserError(
                f"override {flag}: its value is {json_error(e)}: expected a value of the key's type"
            ) from None
        dotted = resolve_key(defaults, flag[2:])
        if dotted in given:  # (one of the two values would be dropped without a word)
            raise UserError(f"override {flag} {raw} after {given[dotted]}: expected each key once ({dotted})")
        given[dotted] = f"{flag} {raw}"
        set_override(out, defaults, flag[2:], value)
    return out


def set_option(tree: dict[str, Any], dotted: str, value: Any, option: str) -> None:
    """Put what a command's own option (`option`, as given: "--exp_name a") sets into the overrides `tree` at the
    dotted key `dotted`; a UserError if an override already sets that key (one of the two would be dropped)."""
    node, leaf = parent_of(tree, dotted, create=True)
    if leaf in node:
        raise UserError(f"{option} and --{dotted} {json.dumps(node[leaf])}: expected one of them (both set {dotted})")
    node[leaf] = value


def set_override(tree: dict[str, Any], defaults: dict[str, Any], key: str, value: Any) -> None:
    """Put one override into the nested dict `tree` under `key`'s dotted path in `defaults` (see `resolve_key`):
    the command line's --KEY VALUE and a sweep file's {KEY: VALUE} name keys alike. A section (`util_params`) takes
    an object of keys only, as in a config file: `--util_params 1` is refused here, before a key of it is set."""
    dotted = resolve_key(defaults, key)
    try:
        section = isinstance(at(defaults, dotted), dict)
    except (KeyError, TypeError):  # (an unknown key: refused with the keys near it when merged)
        section = False
    if section and not isinstance(value, dict):
        raise UserError(f"config key {dotted!r} must be an object of keys, got {value!r}")
    node, leaf = parent_of(tree, dotted, create=True)
    if leaf in node:  # (as `--use_club` and `--algo_params.use_club`: one value would be dropped)
        raise UserError(f"override {key!r} sets {dotted} a second time: expected each key once")
    node[leaf] = value


def resolve_key(data: dict[str, Any], key: str) -> str:
    """The dotted path of `key` in the nested default dict (`num_iterations` -> `algo_params.num_iterations`).
    A leaf name found in more than one place (`randomize_tasks`: top level and `env_params`) is an
    error listing the dotted names to choose from; a top-level key of such a name is set in the config file, since
    its own name is the ambiguous one."""
    if "." in key:
        return key
    nested = [f"{k}.{key}" for k, v in data.items() if isinstance(v, dict) and key in v]
    hits = ([key] if key in data else []) + nested
    if len(hits) > 1:
        top = f", or the top-level {key} in the config file (--{key} names both)" if key in data else ""
        raise UserError(f"override --{key} is ambiguous: expected one of {['--' + h for h in nested]}{top}")
    return hits[0] if hits else key
