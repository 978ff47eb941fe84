"""Stage 1's settings: the hydra SAC configs in `sac_config/` (the reference's pytorch_sac files),
read into the checkpoint `Schedule` and the SAC's `SACParams`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rlkit.errors import UserError
from rlkit.torch.sac.vector_sac import SACParams

SAC_CONFIG_DIR = Path(__file__).resolve().parent / "sac_config"


def default_sac_config(env_name: str) -> str:
    """The reference's choice: train_point.yaml for the point robots, train.yaml for the MuJoCo families."""
    return "train_point" if "point-robot" in env_name else "train"


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
    def from_hydra(cfg) -> "Schedule":
        s = Schedule(*(int(cfg[k]) for k in ("num_train_steps", "num_seed_steps", "eval_frequency", "num_eval_episodes",
                                               "num_eval_sample_episodes", "replay_buffer_capacity", "seed")))
        if min(s.num_train_steps, s.eval_frequency, s.replay_buffer_capacity) <= 0 or s.num_seed_steps < 0:
            raise UserError(f"SAC schedule {s}: expected positive num_train_steps, eval_frequency, replay_buffer_capacity")
        return s

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


def sac_params_from_hydra(cfg) -> SACParams:
    p = cfg.agent.params
    c, a = cfg.double_q_critic.params, cfg.diag_gaussian_actor.params
    return SACParams(
        discount=float(p.discount), init_temperature=float(p.init_temperature), alpha_lr=float(p.alpha_lr),
        alpha_betas=tuple(p.alpha_betas), actor_lr=float(p.actor_lr), actor_betas=tuple(p.actor_betas),
        actor_update_frequency=int(p.actor_update_frequency), critic_lr=float(p.critic_lr),
        critic_betas=tuple(p.critic_betas), critic_tau=float(p.critic_tau),
        critic_target_update_frequency=int(p.critic_target_update_frequency), batch_size=int(p.batch_size),
        critic_hidden_dim=int(c.hidden_dim), critic_hidden_depth=int(c.hidden_depth),
        actor_hidden_dim=int(a.hidden_dim), actor_hidden_depth=int(a.hidden_depth),
        log_std_bounds=tuple(float(x) for x in a.log_std_bounds))


def load_sac_config(name: str, overrides: list[str]):
    """(hydra config, Schedule, SACParams) of SAC_CONFIG_DIR/NAME.yaml with hydra `KEY=VALUE` overrides."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if not (SAC_CONFIG_DIR / f"{name}.yaml").is_file():
        names = sorted(p.stem for p in SAC_CONFIG_DIR.glob("*.yaml"))
        raise UserError(f"unknown --sac_config {name!r}: expected one of {names}")
    try:
        with initialize_config_dir(config_dir=str(SAC_CONFIG_DIR), version_base=None):
            cfg = compose(config_name=name, overrides=overrides)
        return cfg, Schedule.from_hydra(cfg), sac_params_from_hydra(cfg)
    except (HydraException, OmegaConfBaseException, ValueError) as e:
        first = str(e).strip().splitlines()[0]
        raise UserError(f"bad SAC override in {overrides}: {first}") from None
