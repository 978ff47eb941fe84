"""Typed experiment config: configs/default.py <- env JSON <- CLI overrides, checked key by key.

`load_config(json_path, overrides)` returns a frozen `Config`. The defaults live only in
configs/default.py; the dataclasses here give each key its type. A key that no dataclass
knows, or a value of the wrong type, is a `UserError` naming the dotted key.
"""
from __future__ import annotations

import copy
import functools
import dataclasses
import importlib.util
import json
import math
import types
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Optional, Union

from rlkit.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG_PATH = REPO_ROOT / "configs" / "default.py"
ALGO_TYPES = ("CSRO", "FOCAL", "OFFPEARL", "CLASSIFIER", "CORRO", "UNICORN_SS", "UNICORN_SUP")
Z_STRATEGIES = ("mean", "weighted", "poe")
CORRO_AGGREGATORS = ("attention", "mean")
CORRO_NEGATIVES = ("auto", "reward", "generative")
# The method-specific keys (algo_params) each algo_type reads (docs/algorithm.md, "Baselines and variants"). A key
# of this table that a method does not read must keep the value configs/default.py and the config file give it:
# an override of it (--KEY VALUE, a sweep entry) is refused, so that a setting cannot be silently ignored.
_ENCODER_VARIANTS = {"use_hvar", "z_strategy"}
METHOD_KEYS: dict[str, frozenset[str]] = {
    "CSRO": frozenset({"use_FOCAL_cl", "z_loss_weight", "use_club", "club_loss_weight", "club_model_loss_weight",
                       "allow_backward_z", *_ENCODER_VARIANTS}),
    "FOCAL": frozenset({"use_FOCAL_cl", "z_loss_weight", "allow_backward_z", *_ENCODER_VARIANTS}),
    "OFFPEARL": frozenset(_ENCODER_VARIANTS),  # allow_backward_z is always on
    "CLASSIFIER": frozenset({"z_loss_weight", "use_club", "club_loss_weight", "club_model_loss_weight",
                             "allow_backward_z", *_ENCODER_VARIANTS}),
    # its own encoder and aggregator; its aggregator always learns through the critic (allow_backward_z is on)
    "CORRO": frozenset({"corro_aggregator", "corro_pretrain_steps", "corro_reward_std", "corro_negatives",
                        "corro_cvae_steps"}),
    "UNICORN_SS": frozenset({"unicorn_beta", "allow_backward_z", *_ENCODER_VARIANTS}),
    "UNICORN_SUP": frozenset({"z_loss_weight", "allow_backward_z", *_ENCODER_VARIANTS}),  # CLASSIFIER without CLUB
}
METHOD_SPECIFIC_KEYS = frozenset().union(*METHOD_KEYS.values())
# What an algo_type sets itself, whatever the config says (recorded so in variant.json): CORRO encodes (s, a, r, s')
METHOD_FORCED: dict[str, dict[str, Any]] = {"CORRO": {"use_next_obs_in_context": True}}


@dataclass(frozen=True)
class EnvParams:
    n_tasks: int
    randomize_tasks: bool
    max_episode_steps: int
    goal_radius: Optional[float]

    def kwargs(self) -> dict[str, Any]:
        """Arguments for `make_env` (keys left at None are not passed)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True)
class AlgoParams:
    meta_batch: int
    batch_size: int
    num_iterations: int
    num_train_steps_per_itr: int
    num_evals: int
    num_steps_per_eval: int
    embedding_batch_size: int
    embedding_mini_batch_size: int
    max_path_length: int
    discount: float
    soft_target_tau: float
    policy_lr: float
    qf_lr: float
    vf_lr: float
    context_lr: float
    c_lr: float
    alpha_lr: float
    c_iter: int
    policy_mean_reg_weight: float
    policy_std_reg_weight: float
    policy_pre_activation_weight: float
    replay_buffer_size: int
    reward_scale: float
    sparse_rewards: bool
    use_information_bottleneck: bool
    num_exp_traj_eval: int
    recurrent: bool
    dump_eval_paths: bool
    sample: int
    n_trj: int
    train_epoch: list[int]
    eval_epoch: list[int]
    data_dir: str
    terminal_at_traj_end: bool
    divergence_name: str
    use_brac: bool
    use_value_penalty: bool
    train_alpha: bool
    alpha_init: float
    alpha_max: float
    target_divergence: float
    dual_critic_penalty: str
    max_entropy: bool
    z_loss_weight: float
    club_model_loss_weight: float
    club_loss_weight: float
    use_FOCAL_cl: bool
    use_club: bool
    club_use_sa: bool
    use_next_obs_in_context: bool
    allow_backward_z: bool
    train_z0_policy: bool
    z0_policy_share: float
    use_hvar: bool
    z_strategy: str
    allow_eval: bool
    mb_replace: bool
    snapshot_gap: int
    kl_lambda: float
    dropout: float
    num_tasks_sample: int
    update_post_train: int
    save_replay_buffer: bool
    save_algorithm: bool
    save_environment: bool
    corro_aggregator: str
    corro_pretrain_steps: int
    corro_reward_std: float
    corro_negatives: str
    corro_cvae_steps: int
    unicorn_beta: float


@dataclass(frozen=True)
class UtilParams:
    base_log_dir: str
    use_gpu: bool
    gpu_id: int
    debug: bool
    docker: bool
    exp_name: str
    config_file: str


@dataclass(frozen=True)
class Config:
    env_name: str
    n_train_tasks: int
    n_eval_tasks: int
    interpolation: bool
    randomize_tasks: bool
    latent_size: int
    net_size: int
    path_to_weights: Optional[str]
    seed_list: list[int]
    env_params: EnvParams
    algo_params: AlgoParams
    util_params: UtilParams
    algo_type: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@functools.lru_cache(maxsize=1)
def _default_module():
    """configs/default.py, executed once per process (callers copy what they change)."""
    spec = importlib.util.spec_from_file_location("_csro_default_config", DEFAULT_CONFIG_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_dict() -> dict[str, Any]:
    return copy.deepcopy(_default_module().default_config)


def valid_ranges() -> dict[str, str]:
    """Dotted numeric key -> its valid range ("[0, 1]", "(0, 1]", ">= 1", "> 0"), from configs/default.py."""
    return dict(_default_module().valid_ranges)


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
            raise UserError(f"unknown config key {name!r}: expected one of {sorted(base)}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise UserError(f"config key {name!r} must be an object of keys, got {value!r}")
            _merge(base[key], value, name + ".")
        else:
            base[key] = value
    return base


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
            return int(value)
        raise UserError(f"config key {name!r} must be an integer, got {value!r}")
    if tp is float:
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
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in fields(cls):
        name = f"{prefix}{f.name}"
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            kwargs[f.name] = _build(tp, data[f.name], name + ".")
        else:
            kwargs[f.name] = _coerce(name, data[f.name], tp)
    return cls(**kwargs)


def _epoch_check(name: str, epochs: list[int]) -> tuple[bool, str]:
    """(ok, message) of a checkpoint range [start, stop, step]: the checkpoints start, start + step, ... below stop."""
    ok = len(epochs) == 3 and epochs[0] >= 0 and epochs[2] > 0 and epochs[0] < epochs[1]
    return ok, f"{name} {epochs}: expected [start, stop, step] with 0 <= start < stop and step > 0"


def _validate(cfg: Config) -> None:
    a = cfg.algo_params
    checks = [
        (cfg.algo_type in ALGO_TYPES, f"algo_type {cfg.algo_type!r}: expected one of {list(ALGO_TYPES)}"),
        (cfg.n_train_tasks + cfg.n_eval_tasks <= cfg.env_params.n_tasks,
         f"n_train_tasks + n_eval_tasks = {cfg.n_train_tasks + cfg.n_eval_tasks}: expected <= env_params.n_tasks = {cfg.env_params.n_tasks}"),
        *[_epoch_check(f"algo_params.{k}", getattr(a, k)) for k in ("train_epoch", "eval_epoch")],
        (a.sample in (0, 1), f"algo_params.sample {a.sample}: expected 0 or 1"),
        (a.divergence_name == "kl", f"algo_params.divergence_name {a.divergence_name!r}: expected 'kl'"),
        (a.dual_critic_penalty in ("value", "gradient"),
         f"algo_params.dual_critic_penalty {a.dual_critic_penalty!r}: expected 'value' or 'gradient'"),
        (not a.use_information_bottleneck, "algo_params.use_information_bottleneck: expected false (z is deterministic in CSRO)"),
        (not a.recurrent, "algo_params.recurrent: expected false (permutation-invariant encoder only)"),
        (cfg.util_params.exp_name in ("", Path(cfg.util_params.exp_name).name) and cfg.util_params.exp_name not in (".", ".."),
         f"util_params.exp_name {cfg.util_params.exp_name!r}: expected a plain folder name (no '/' or '..'), "
         "so that the run stays under base_log_dir/env_name/"),
        (a.corro_aggregator in CORRO_AGGREGATORS,
         f"algo_params.corro_aggregator {a.corro_aggregator!r}: expected one of {list(CORRO_AGGREGATORS)}"),
        (a.corro_negatives in CORRO_NEGATIVES,
         f"algo_params.corro_negatives {a.corro_negatives!r}: expected one of {list(CORRO_NEGATIVES)}"),
        (a.z_strategy in Z_STRATEGIES, f"algo_params.z_strategy {a.z_strategy!r}: expected one of {list(Z_STRATEGIES)}"),
        (a.z_strategy not in ("weighted", "poe") or a.use_hvar,
         f"algo_params.z_strategy {a.z_strategy!r} with use_hvar false: expected use_hvar true (the strategy weighs "
         "each transition by the variance the encoder outputs only with use_hvar)"),
        (not a.use_hvar or a.z_strategy != "mean",
         "algo_params.use_hvar true with z_strategy 'mean': expected z_strategy 'weighted' or 'poe' (the plain mean "
         "ignores the variance, so nothing would train it)"),
        (a.club_use_sa, "algo_params.club_use_sa false: expected true (the CLUB net's input is (s, a), the only form "
                        "the reference's configs use and this code implements)"),
        (a.policy_pre_activation_weight >= 0,
         f"algo_params.policy_pre_activation_weight {a.policy_pre_activation_weight}: expected >= 0"),
        (a.embedding_mini_batch_size == a.embedding_batch_size,
         f"algo_params.embedding_mini_batch_size {a.embedding_mini_batch_size}: expected = embedding_batch_size {a.embedding_batch_size}"),
        (a.mb_replace or a.meta_batch <= cfg.n_train_tasks,
         f"algo_params.meta_batch {a.meta_batch}: expected <= n_train_tasks {cfg.n_train_tasks} without mb_replace"),
    ]
    positive = ["meta_batch", "batch_size", "num_iterations", "num_train_steps_per_itr", "num_evals",
                "num_steps_per_eval", "embedding_batch_size", "max_path_length", "n_trj", "snapshot_gap", "c_iter"]
    checks += [(getattr(a, k) > 0, f"algo_params.{k} {getattr(a, k)}: expected > 0") for k in positive]
    for ok, message in checks:
        if not ok:
            raise UserError(message)
    data = cfg.to_dict()
    for key, spec in valid_ranges().items():
        node = data
        for part in key.split("."):
            node = node[part]
        if node is not None and not in_range(node, spec):
            raise UserError(f"{key} {node}: expected a value in {spec}")


def load_config(json_path: str | Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """default.py <- JSON file <- overrides (a nested dict), then type-checked into a `Config`."""
    data = default_dict()
    if json_path is not None:
        path = Path(json_path)
        if not path.is_file():
            raise UserError(f"config file {str(path)!r} not found: expected a JSON file such as configs/point-robot.json")
        try:
            _merge(data, json.loads(path.read_text()))
        except json.JSONDecodeError as e:
            raise UserError(f"config file {str(path)!r} is not valid JSON: {e}") from None
        data["util_params"]["config_file"] = str(path)
    given = copy.deepcopy(data)
    _merge(data, overrides or {})
    _check_method_keys(given, data)
    return _checked(data)


def _check_method_keys(given: dict[str, Any], data: dict[str, Any]) -> None:
    """Refuse an override of a `METHOD_KEYS` key that `data`'s algo_type does not read (`given`: the values
    before the overrides). An unknown algo_type is left to `_validate`, which lists the valid ones."""
    used = METHOD_KEYS.get(data["algo_type"])
    if used is None:
        return
    for key in sorted(METHOD_SPECIFIC_KEYS - used):
        old, new = given["algo_params"][key], data["algo_params"][key]
        if new != old:
            raise UserError(f"algo_params.{key} {new!r}: algo_type {data['algo_type']!r} does not use it "
                            f"(expected its default {old!r}; it is read by {_readers(key)})")


def _readers(key: str) -> str:
    return ", ".join(m for m, keys in METHOD_KEYS.items() if key in keys)


def config_from_variant(variant: dict[str, Any]) -> Config:
    """The `Config` of a run's variant.json (its `seed` entry, if any, is not a config key)."""
    data = {k: v for k, v in variant.items() if k != "seed"}
    return _checked(_merge(default_dict(), data))


def _checked(data: dict[str, Any]) -> Config:
    cfg = _build(Config, data)
    forced = METHOD_FORCED.get(cfg.algo_type)
    if forced:
        cfg = dataclasses.replace(cfg, algo_params=dataclasses.replace(cfg.algo_params, **forced))
    _validate(cfg)
    return cfg


def parse_override_args(args: list[str]) -> dict[str, Any]:
    """`['--algo_params.num_iterations', '2', '--use_brac', 'true']` -> nested dict.

    Values are JSON scalars/lists (`true`/`false`/`null` included); a bare word stays a string.
    """
    out: dict[str, Any] = {}
    defaults = default_dict()
    if len(args) % 2:
        raise UserError(f"override {args[-1]!r} has no value: expected --KEY VALUE pairs")
    for flag, raw in zip(args[::2], args[1::2]):
        if not flag.startswith("--") or len(flag) < 3:
            raise UserError(f"override {flag!r}: expected --KEY VALUE (e.g. --algo_params.num_iterations 2)")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = {"True": True, "False": False, "None": None}.get(raw, raw)
        set_override(out, defaults, flag[2:], value)
    return out


def set_override(tree: dict[str, Any], defaults: dict[str, Any], key: str, value: Any) -> None:
    """Put one override into the nested dict `tree` under `key`'s dotted path in `defaults` (see `resolve_key`):
    the command line's --KEY VALUE and a sweep file's {KEY: VALUE} name keys alike."""
    keys = resolve_key(defaults, key).split(".")
    for k in keys[:-1]:
        tree = tree.setdefault(k, {})
    tree[keys[-1]] = value


def resolve_key(data: dict[str, Any], key: str) -> str:
    """The dotted path of `key` in the nested default dict (`num_iterations` -> `algo_params.num_iterations`).
    A leaf name found in more than one place (`randomize_tasks`: top level and `env_params`) is an
    error listing the dotted names to choose from."""
    if "." in key:
        return key
    hits = ([key] if key in data else []) + [f"{k}.{key}" for k, v in data.items() if isinstance(v, dict) and key in v]
    if len(hits) > 1:
        raise UserError(f"override --{key} is ambiguous: expected one of {['--' + h for h in hits]}")
    return hits[0] if hits else key
