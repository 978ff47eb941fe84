"""Stage 1's settings: the hydra SAC configs in `sac_config/` (the reference's pytorch_sac files),
read into one typed `BehaviourSettings`: the checkpoint `Schedule`, the SAC's `SACParams`, and how
tasks are grouped and what is saved."""

from __future__ import annotations

import contextlib
import difflib
import functools
import math
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlkit.config import MAX_INT, POINT_FAMILIES, in_range
from rlkit.errors import UserError
from rlkit.seeding import MAX_SEED
from rlkit.torch.sac.vector_sac import SACParams

SAC_CONFIG_DIR = Path(__file__).resolve().parent / "sac_config"


def default_sac_config(env_name: str) -> str:
    """The reference's choice: train_point.yaml for the point robots, train.yaml for the MuJoCo families."""
    return "train_point" if env_name in POINT_FAMILIES else "train"


@dataclass(frozen=True)
class Schedule:
    """When a task's SAC trains and when it writes a checkpoint.

    The checkpoint rule (`checkpoint_due`): at the first episode boundary after more than
    `num_seed_steps` steps at which `step // eval_frequency` has grown since the last checkpoint,
    roll out `num_eval_sample_episodes` stochastic and `num_eval_episodes` deterministic episodes
    and write them as checkpoint `(step // eval_frequency) * eval_frequency`."""

    num_train_steps: int
    num_seed_steps: int
    eval_frequency: int
    num_eval_episodes: int
    num_eval_sample_episodes: int
    replay_buffer_capacity: int
    seed: int

    @staticmethod
    def from_hydra(cfg) -> Schedule:
        """The schedule of a SAC config that `check_sac_config` has passed."""
        return Schedule(
            *(
                int(cfg[k])
                for k in (
                    "num_train_steps",
                    "num_seed_steps",
                    "eval_frequency",
                    "num_eval_episodes",
                    "num_eval_sample_episodes",
                    "replay_buffer_capacity",
                    "seed",
                )
            )
        )

    def checkpoint_due(self, steps: int, last: int) -> bool:
        """At an episode boundary after `steps` env steps, with `last` the `step // eval_frequency` of the
        task's last checkpoint (0 before the first): is a checkpoint due?"""
        return self.num_seed_steps < steps < self.num_train_steps and steps // self.eval_frequency > last

    def checkpoint_name(self, steps: int) -> int:
        """The step a checkpoint taken after `steps` env steps is named by."""
        return (steps // self.eval_frequency) * self.eval_frequency

    def expected_checkpoints(self, episode_length: int) -> list[int]:
        """Checkpoints of a run whose episodes all have `episode_length` steps (no early termination)."""
        out, last = [], 0
        for steps in range(episode_length, self.num_train_steps, episode_length):
            if self.checkpoint_due(steps, last):
                last = steps // self.eval_frequency
                out.append(self.checkpoint_name(steps))
        return out


# Valid ranges of the SAC config's numbers, in configs/default.py's notation ("[a, b]" closed, "(a, b]" open at a,
# ">= a" / "> a" unbounded above); every value must also be finite. A `_betas` spec holds for each of its two items.
SAC_RANGES: dict[str, str] = {
    "num_train_steps": ">= 1",
    "num_seed_steps": ">= 1",  # the first update samples the replay buffer, which must hold a row by then
    "eval_frequency": ">= 1",
    "num_eval_episodes": ">= 0",  # deterministic episodes per checkpoint (stage 2's sample=0 reads them)
    "num_eval_sample_episodes": ">= 1",  # stochastic episodes per checkpoint (stage 2's default sample=1 reads them)
    "replay_buffer_capacity": ">= 1",
    "seed": f"[0, {MAX_SEED}]",  # (rlkit.seeding: gymnasium refuses negative seeds)
    "tasks_per_group": ">= 1",
    "agent.params.discount": "(0, 1]",
    "agent.params.init_temperature": "> 0",
    # the learning rates: Adam moves each weight by about lr a step; a huge one overflowed float32 inside Adam's
    # update (a traceback, where a diverged run is one line)
    "agent.params.alpha_lr": "(0, 1]",
    "agent.params.alpha_betas": "[0, 1)",
    "agent.params.actor_lr": "(0, 1]",
    "agent.params.actor_betas": "[0, 1)",
    "agent.params.actor_update_frequency": ">= 1",
    "agent.params.critic_lr": "(0, 1]",
    "agent.params.critic_betas": "[0, 1)",
    "agent.params.critic_tau": "(0, 1]",
    "agent.params.critic_target_update_frequency": ">= 1",
    "agent.params.batch_size": ">= 1",
    "double_q_critic.params.hidden_dim": ">= 1",
    "double_q_critic.params.hidden_depth": ">= 1",
    "diag_gaussian_actor.params.hidden_dim": ">= 1",
    "diag_gaussian_actor.params.hidden_depth": ">= 1",
}  # and diag_gaussian_actor.params.log_std_bounds: two finite numbers [lo, hi], lo < hi (`_check_log_std_bounds`)
SAC_REAL_NUMBERS = frozenset(
    {
        "agent.params.discount",
        "agent.params.init_temperature",
        "agent.params.alpha_lr",
        "agent.params.alpha_betas",
        "agent.params.actor_lr",
        "agent.params.actor_betas",
        "agent.params.critic_lr",
        "agent.params.critic_betas",
        "agent.params.critic_tau",
    }
)
# the range-checked keys the code reads with a default (save_networks and device, also read with defaults, are
# checked on their own in `check_sac_config`)
SAC_OPTIONAL = frozenset({"tasks_per_group"})


def check_sac_config(cfg) -> None:
    """Every number of a composed SAC config in its `SAC_RANGES` range, finite, whole where it counts
    something (all but `SAC_REAL_NUMBERS`), and a schedule that writes checkpoints; the first bad value is a
    one-line UserError naming the key, the value and what was expected, raised before anything is written."""
    from omegaconf import OmegaConf

    for key in ("device", "save_networks", *SAC_OPTIONAL):  # (read with a default where absent: null is no value)
        if key in cfg and cfg[key] is None:
            raise UserError(f"SAC setting {key}=null: expected a value, or the key left out for its default")
    for key, spec in SAC_RANGES.items():
        value = OmegaConf.select(cfg, key)
        if value is None:
            if key in SAC_OPTIONAL:
                continue
            raise UserError(f"SAC config has no {key}: expected {_wanted(key, spec)}")
        _check_sac_value(key, OmegaConf.to_object(value) if OmegaConf.is_config(value) else value, spec)
    bounds = OmegaConf.select(cfg, "diag_gaussian_actor.params.log_std_bounds")  # (a number or null: not a config)
    _check_log_std_bounds(OmegaConf.to_object(bounds) if OmegaConf.is_config(bounds) else bounds)
    save = OmegaConf.select(cfg, "save_networks")
    if save is not None and not isinstance(save, bool):
        raise UserError(f"SAC setting save_networks={save!r}: expected true or false")
    device = OmegaConf.select(cfg, "device")
    if device is not None and device not in ("cuda", "cpu"):
        raise UserError(f"SAC setting device={device!r}: expected cuda (CUDA when available, the default) or cpu")
    _check_schedule_order(int(cfg.num_train_steps), int(cfg.num_seed_steps), int(cfg.eval_frequency))


def _wanted(key: str, spec: str) -> str:
    """ "a whole number >= 1", "a finite number in (0, 1]"."""
    kind = "a finite number" if key in SAC_REAL_NUMBERS else "a whole number"
    return f"{kind} {spec}" if spec.startswith(">") else f"{kind} in {spec}"


def _check_sac_value(key: str, value: Any, spec: str) -> None:
    """One setting (a number, or a `_betas` list of two) against its range."""
    pair = key.endswith("_betas")
    if pair and (not isinstance(value, list) or len(value) != 2):
        raise UserError(f"SAC setting {key}={value!r}: expected a list of two, each {_wanted(key, spec)}")
    for v in value if pair else [value]:
        if not _is_number(v, whole=key not in SAC_REAL_NUMBERS) or not in_range(v, spec):
            raise UserError(f"SAC setting {key}={value!r}: expected {'each ' if pair else ''}{_wanted(key, spec)}")
        if key not in SAC_REAL_NUMBERS and spec.startswith(">") and abs(v) > MAX_INT:  # (a bounded range says more)
            raise UserError(f"SAC setting {key}={value!r}: expected at most {MAX_INT:,} (a count torch can hold)")


def _is_number(v: Any, whole: bool) -> bool:
    """A finite int or float (not a bool), integer-valued if `whole`."""
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return ok and (not whole or float(v).is_integer())


def _check_log_std_bounds(bounds: Any) -> None:
    if not (
        isinstance(bounds, list)
        and len(bounds) == 2
        and all(_is_number(b, whole=False) for b in bounds)
        and bounds[0] < bounds[1]
    ):
        raise UserError(
            f"SAC setting diag_gaussian_actor.params.log_std_bounds={bounds!r}: expected two finite "
            "numbers [lo, hi] with lo < hi"
        )


def _check_schedule_order(num_train_steps: int, num_seed_steps: int, eval_frequency: int) -> None:
    """A checkpoint is taken at an episode end s with num_seed_steps < s < num_train_steps and s >= eval_frequency:
    a schedule without such a step would write a "complete" task of no checkpoints. Whether an episode ends at
    one depends on the env's episode length, which `TaskGroup` checks once its envs exist."""
    if num_seed_steps >= num_train_steps - 1:
        raise UserError(
            f"SAC setting num_seed_steps={num_seed_steps}: expected < num_train_steps - 1 = "
            f"{num_train_steps - 1} (checkpoints come after the random steps, before the last step)"
        )
    if eval_frequency >= num_train_steps:
        raise UserError(
            f"SAC setting eval_frequency={eval_frequency}: expected < num_train_steps = {num_train_steps} "
            "(the first checkpoint comes at step eval_frequency, before the last step)"
        )


def sac_params_from_hydra(cfg) -> SACParams:
    p = cfg.agent.params
    c, a = cfg.double_q_critic.params, cfg.diag_gaussian_actor.params
    return SACParams(
        discount=float(p.discount),
        init_temperature=float(p.init_temperature),
        alpha_lr=float(p.alpha_lr),
        alpha_betas=tuple(p.alpha_betas),
        actor_lr=float(p.actor_lr),
        actor_betas=tuple(p.actor_betas),
        actor_update_frequency=int(p.actor_update_frequency),
        critic_lr=float(p.critic_lr),
        critic_betas=tuple(p.critic_betas),
        critic_tau=float(p.critic_tau),
        critic_target_update_frequency=int(p.critic_target_update_frequency),
        batch_size=int(p.batch_size),
        critic_hidden_dim=int(c.hidden_dim),
        critic_hidden_depth=int(c.hidden_depth),
        actor_hidden_dim=int(a.hidden_dim),
        actor_hidden_depth=int(a.hidden_depth),
        log_std_bounds=tuple(float(x) for x in a.log_std_bounds),
    )


@dataclass(frozen=True)
class BehaviourSettings:
    """Everything stage 1 reads from a SAC config, checked (`check_sac_config`) and typed."""

    schedule: Schedule
    sac: SACParams
    tasks_per_group: int = 1  # tasks trained together as one vectorised SAC (the data does not depend on it)
    save_networks: bool = True  # write networks/step{c}.pt at every checkpoint
    device: str = (
        "cuda"  # "cuda": the CUDA device when available (--gpu picks one), else the CPU; "cpu": always the CPU
    )

    @staticmethod
    def from_hydra(cfg) -> BehaviourSettings:
        """The settings of a SAC config that `check_sac_config` has passed (optional keys at their defaults)."""
        from omegaconf import OmegaConf

        group, save = OmegaConf.select(cfg, "tasks_per_group"), OmegaConf.select(cfg, "save_networks")
        device = OmegaConf.select(cfg, "device")
        return BehaviourSettings(
            Schedule.from_hydra(cfg),
            sac_params_from_hydra(cfg),
            1 if group is None else int(group),
            True if save is None else bool(save),
            "cuda" if device is None else str(device),
        )


def load_sac_config(name: str, overrides: list[str]) -> BehaviourSettings:
    """The settings of SAC_CONFIG_DIR/NAME.yaml (or of a yaml file of one's own) with hydra `KEY=VALUE` overrides,
    every value checked. Composed once per process for each name, overrides and content of one's own file: hydra's
    two compositions take ~0.2 s, asked for again by each stage-1 run, plan and test (the settings are frozen)."""
    own = _own_sac_file(name)
    content = own.read_bytes() if own is not None and own.is_file() else None
    return _load_sac_config(name, tuple(overrides), content)


@functools.lru_cache(maxsize=256)
def _load_sac_config(name: str, overrides: tuple[str, ...], content: bytes | None) -> BehaviourSettings:
    """`load_sac_config` composed (`content`: the bytes of one's own file, read by the caller, a key only)."""
    return BehaviourSettings.from_hydra(compose_sac_config(name, list(overrides)))


def _leaf_keys(cfg) -> set[str]:
    """The dotted names of a composed config's settings (`agent.params.batch_size`, ...)."""
    from omegaconf import OmegaConf

    def walk(node: Any, prefix: str) -> set[str]:
        if isinstance(node, dict):
            if not node:  # an empty section is a setting of its own; an empty file sets nothing
                return {prefix[:-1]} if prefix else set()
            return set().union(*(walk(v, f"{prefix}{k}.") for k, v in node.items()))
        return {prefix[:-1]}

    return walk(OmegaConf.to_container(cfg, resolve=False), "")


def override_key(override: str) -> str:
    """The key a hydra override `KEY=VALUE` names, without hydra's prefixes (`+` add, `++` force, `~` delete)."""
    return override.split("=", 1)[0].lstrip("+~")


def override_values(overrides: list[str], key: str) -> list[str]:
    """The values the `KEY=VALUE` overrides give `key`, in order (in any of hydra's prefixed forms)."""
    return [o.split("=", 1)[1] for o in overrides if "=" in o and override_key(o) == key]


UNREAD_SAC_KEYS = frozenset({"hydra", "experiment", "agent.name"})  # in the yaml files (or hydra's), read by nothing


def _own_sac_file(name: str) -> Path | None:
    """The path `name` gives to a SAC yaml file of one's own, or None for a name of SAC_CONFIG_DIR's."""
    return Path(name) if name.endswith((".yaml", ".yml")) else None


@contextlib.contextmanager
def _sac_config_dir(name: str) -> Iterator[tuple[Path, str]]:
    """(folder, config name) to compose `name` from: SAC_CONFIG_DIR and NAME, or for a path to a yaml file of
    one's own (kept outside the installed package), a temporary copy of SAC_CONFIG_DIR holding that file too, so
    that its `defaults` can name the package's files (`- train_point`, `- agent: sac`)."""
    path = _own_sac_file(name)
    if path is None:
        names = sorted(p.stem for p in SAC_CONFIG_DIR.glob("*.yaml"))
        if name not in names:  # (a name, not a path into the package: `./tiny_point`, `agent/sac`)
            raise UserError(f"unknown --sac_config {name!r}: expected one of {names}, or a path to a .yaml file")
        yield SAC_CONFIG_DIR, name
        return
    if not path.is_file():
        raise UserError(f"--sac_config {name!r} not found: expected a SAC config file, or a name of {SAC_CONFIG_DIR}")
    if (SAC_CONFIG_DIR / f"{path.stem}.yaml").is_file():
        raise UserError(
            f"--sac_config {name!r} has the name of the package's {path.stem}.yaml: expected another file name "
            "(its defaults may build on that one)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sac_config"
        shutil.copytree(SAC_CONFIG_DIR, folder)
        shutil.copyfile(path, folder / f"{path.stem}.yaml")
        yield folder, path.stem


def compose_sac_config(name: str, overrides: list[str]):
    """The hydra config SAC_CONFIG_DIR/NAME.yaml, or a yaml file of one's own (`name` a path, `_sac_config_dir`),
    with hydra `KEY=VALUE` overrides, every value checked (`check_sac_config`); a bad file, name or override is a
    one-line UserError."""
    with _sac_config_dir(name) as (folder, config_name):
        return _compose_sac_config(folder, config_name, name, overrides)


@functools.cache
def _reference_keys() -> frozenset[str]:
    """The settings' keys: those of the package's train.yaml and train_point.yaml (the reference's files)."""
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(SAC_CONFIG_DIR), version_base=None):
        return _package_keys("train") | _package_keys("train_point")


@functools.cache
def _package_keys(name: str) -> frozenset[str]:
    """The keys the package's SAC config `name` sets, composed once per process (the package's files do not change
    while it runs; a file of one's own is composed each time). Called inside hydra's `initialize_config_dir`."""
    from hydra import compose

    return frozenset(_leaf_keys(compose(config_name=name)))


def _compose_sac_config(folder: Path, name: str, label: str, overrides: list[str]):
    """`compose_sac_config` of the config `name` of `folder`, named `label` in messages (the user's path for a file
    of one's own, whose temporary copy is not named): the file alone must load and set only the settings' keys,
    then the overrides must name its keys and give valid values."""
    import yaml
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    file = f"{name}.yaml" if label == name else Path(label).name  # (a file of one's own by its name: typo.yml)
    seen: dict[str, str] = {}
    for o in overrides:  # (hydra keeps the last of `seed=1 seed=2`, or of `a.b=1 a={b:2}`, without a word)
        key = override_key(o)
        if key.split(".")[0] in UNREAD_SAC_KEYS or key in UNREAD_SAC_KEYS:
            raise UserError(
                f"SAC override {o!r}: {key} is read by nothing here (hydra's own settings, the reference's "
                "experiment and agent names): expected a key of the SAC settings, e.g. agent.params.batch_size=256"
            )
        overlap = next((k for k in seen if k == key or k.startswith(f"{key}.") or key.startswith(f"{k}.")), None)
        if overlap is not None:
            raise UserError(f"SAC override {o!r} after {seen[overlap]!r}: expected each key once ({overlap})")
        seen[key] = o
    known = _reference_keys()
    with initialize_config_dir(config_dir=str(folder), version_base=None):
        try:
            own = _package_keys(name) if folder == SAC_CONFIG_DIR else _leaf_keys(compose(config_name=name))
        except (HydraException, OmegaConfBaseException, yaml.YAMLError, ValueError) as e:
            first = " ".join(str(e).split()).replace(str(folder / f"{name}.yaml"), label)
            first = first.split(" Config search path")[0]
            missing = "Could not load" in first and label != name
            beside = " (its defaults may name the package's SAC configs, not files beside it)" if missing else ""
            raise UserError(f"SAC config {label!r} does not load: {first[:300]}{beside}") from None
        if not own:
            raise UserError(
                f"SAC config {label!r} sets nothing: expected the keys of the package's train.yaml and "
                "train_point.yaml (or defaults naming one of them)"
            )
        unknown = sorted(own - known)
        if unknown:  # (a key the file sets that no setting reads, a typo of one: the setting keeps its default)
            near = difflib.get_close_matches(unknown[0], sorted(known), n=1, cutoff=0.75)
            raise UserError(
                f"{file} sets {unknown[0]}, which no setting reads: "
                + (f"did you mean {near[0]}? " if near else "")
                + "expected the keys of the package's train.yaml and train_point.yaml"
            )
        try:
            cfg = compose(config_name=name, overrides=overrides)
            added = sorted(_leaf_keys(cfg) - own)
            if added:  # (hydra's `+KEY=VALUE` adds a key; nothing reads it, so the setting would be lost)
                given = [o for o in overrides if added[0] == (k := override_key(o)) or added[0].startswith(f"{k}.")]
                raise UserError(
                    f"SAC override {(given or overrides)[0]!r} adds {added[0]}, which no setting "
                    f"of {file} reads: expected one of its keys, e.g. agent.params.batch_size=256"
                )
            check_sac_config(cfg)
            return cfg
        except (HydraException, OmegaConfBaseException, ValueError) as e:
            first = str(e).strip().splitlines()[0]
            hint = _unknown_sac_key_hint(own, file, first)
            raise UserError(f"bad SAC override in {overrides}: {first.rstrip('.') if hint else first}{hint}") from None


def _unknown_sac_key_hint(keys: set[str], file: str, message: str) -> str:
    """Where hydra's message is that a key does not exist ("Could not override 'KEY'"): what was expected, with the
    closest of the SAC config `file`'s `keys` (a typo's likely meaning)."""
    unknown = re.search(r"Could not override '([^']+)'", message)
    if unknown is None:
        return ""
    near = difflib.get_close_matches(unknown[1], sorted(keys), n=2, cutoff=0.75)
    mean = f"did you mean {' or '.join(near)}? " if near else ""
    return f": {mean}expected one of {file}'s keys, e.g. agent.params.batch_size=256"
