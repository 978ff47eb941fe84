"""Stage 1: one behaviour SAC per task, whose checkpoints' rollouts are the offline dataset
(docs/algorithm.md, "Pipeline"; docs/data-format.md for what is written).

`settings` reads the hydra SAC configs (`sac_config/`) into one typed `BehaviourSettings` (its `Schedule`,
`SACParams`, `tasks_per_group`, `save_networks`);
`generate` (its `generate_dataset`) trains groups of tasks in lockstep with `rlkit.torch.sac.vector_sac.VectorSAC` (a
`Stage1Spec` holds what every group of a run shares) and writes each checkpoint as it comes (episodes, networks,
returns.csv, losses.csv); `progress` shows it; `regenerate` rolls saved networks out again for more episodes;
`curves` draws the returns. The SAC's update maths lives in `rlkit.torch`; this room only orchestrates.
"""

from rlkit.behaviour.generate import Stage1Spec, generate_dataset, split_tasks, train_task_group
from rlkit.behaviour.settings import SAC_CONFIG_DIR, BehaviourSettings, Schedule, default_sac_config, load_sac_config

__all__ = [
    "SAC_CONFIG_DIR",
    "BehaviourSettings",
    "Schedule",
    "Stage1Spec",
    "default_sac_config",
    "generate_dataset",
    "load_sac_config",
    "split_tasks",
    "train_task_group",
]
