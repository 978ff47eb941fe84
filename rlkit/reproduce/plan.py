"""The runs of a reproduction: its profiles, one `RunSpec` per method x seed, the state of each run's
folder, and training one run (in this process or a pool's)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from rlkit.cli import select_device
from rlkit.config import REPO_ROOT, load_config

# A method of the reproduction: its algo_type and the config overrides that make it that method. Each
# runs on the same data and learner as the others (docs/algorithm.md, "Baselines"); FOCAL_REPLACE is FOCAL
# with its own meta-batch sampling (with replacement, so its same-task attraction term acts), beside the
# like-for-like FOCAL row that samples as the CSRO reference does.
METHOD_SETTINGS: dict[str, tuple[str, dict]] = {
    "CSRO": ("CSRO", {}),
    "FOCAL": ("FOCAL", {}),
    "FOCAL_REPLACE": ("FOCAL", {"algo_params": {"mb_replace": True}}),
    "OFFPEARL": ("OFFPEARL", {}),
    "CORRO": ("CORRO", {}),
    "UNICORN_SS": ("UNICORN_SS", {}),
    "UNICORN_SUP": ("UNICORN_SUP", {}),
    # added last (issue 25), so that a reproduction begun with the seven methods above keeps their settings and order
    "BOREL": ("BOREL", {}),
}
METHODS = tuple(METHOD_SETTINGS)


@dataclass(frozen=True)
class Profile:
    config: str  # experiment JSON, relative to the repository
    sac_config: str  # stage-1 SAC config name
    final_iterations: int  # a run's final return = mean of its last N iterations
    about: str


PROFILES = {
    "demo": Profile(
        "configs/demo/point-robot.json",
        "demo_point",
        3,
        "the demo profile (README 'Faithful settings and the demo profile'): minutes per run on 2 CPU cores",
    ),
    "paper": Profile(
        "configs/point-robot.json",
        "train_point",
        3,
        "the reference's settings (65 x 1000 steps, 2 x 1024 behaviour SAC): meant for a GPU",
    ),
    "tiny": Profile(
        "configs/test/point-robot-tiny.json", "tiny_point", 1, "seconds per run, for the tests: not results"
    ),
}
ENVS = ("point-robot",)


@dataclass(frozen=True)
class RunSpec:
    method: str
    seed: int
    config: str
    overrides: dict
    out_dir: Path
    threads: int
    gpu: int | None


def run_specs(
    profile: str, methods: list[str], seeds: list[int], out: Path, threads: int, gpu: int | None, data_dir: Path | None
) -> list[RunSpec]:
    p = PROFILES[profile]
    specs = []
    for m in methods:
        algo_type, extra = METHOD_SETTINGS[m]
        overrides = {
            "algo_type": algo_type,
            "util_params": {"exp_name": f"{profile}-{m}", "base_log_dir": str(out)},
            "algo_params": dict(extra.get("algo_params", {})),
        }
        if data_dir is not None:
            overrides["algo_params"]["data_dir"] = str(data_dir)
        for s in seeds:
            specs.append(
                RunSpec(
                    m,
                    s,
                    str(REPO_ROOT / p.config),
                    overrides,
                    out / ENVS[0] / f"{profile}-{m}" / f"seed{s}",
                    threads,
                    gpu,
                )
            )
    return specs


def check_existing(spec: RunSpec) -> str:
    """'new', 'resume' or 'finished'; a folder of another config, or trained on other data than the config's
    data_dir holds now, is an error naming what differs."""
    from rlkit.run_folder import iterations_done, recorded_data_print

    cfg = load_config(spec.config, spec.overrides)
    n = cfg.algo_params.num_iterations
    done = iterations_done(
        spec.out_dir,
        dict(cfg.to_dict(), seed=spec.seed),
        n,
        f"this is the {spec.method} run of this profile; use another --out or remove that folder",
        recorded_data_print(spec.out_dir, cfg),
    )
    return "new" if done == 0 else "finished" if done >= n else "resume"


def train_one(spec: RunSpec) -> str:
    """Train (or resume) one run in this process; its console output goes to OUT_DIR/console.log."""
    import torch

    from rlkit.experiment import MetaTrainer, prepare
    from rlkit.torch.cpu_kernels import keep_freed_memory

    torch.set_num_threads(spec.threads)
    keep_freed_memory()
    cfg = load_config(spec.config, spec.overrides)
    device = select_device(spec.gpu)
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    with open(spec.out_dir / "console.log", "a", buffering=1) as log:
        stdout = sys.stdout
        sys.stdout = log
        try:
            MetaTrainer(prepare(cfg, spec.seed, device), show_progress=False).run()
        finally:
            sys.stdout = stdout
    return f"{spec.method} seed {spec.seed}: finished -> {spec.out_dir}"
