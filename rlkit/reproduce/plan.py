"""The runs of a reproduction: its profiles, one `RunSpec` per method x seed, the state of each run's
folder, and training one run (in this process or a pool's)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rlkit.behaviour.settings import default_sac_config
from rlkit.cli import config_device, gpu_overrides, sac_config_device
from rlkit.config import POINT_FAMILIES, REPO_ROOT, load_config, overrides_read_by
from rlkit.errors import UserError
from rlkit.fileio import make_folder

if TYPE_CHECKING:
    import torch

# A method of the reproduction: its algo_type and the config overrides that make it that method. Each
# runs on the same data and learner as the others (docs/algorithm.md, "Baselines"); FOCAL_REPLACE is FOCAL
# with its own meta-batch sampling (with replacement, so its same-task attraction term acts), beside the
# like-for-like FOCAL row that samples as the CSRO reference does; CORRO_STD is CORRO with standardised encoder input.
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
    # CORRO whose transition encoder reads standardised context columns (`corro_standardize`; not CORRO's): on raw
    # MuJoCo rows CORRO's InfoNCE stays at chance through a cpu profile's steps (docs/algorithm.md, "CORRO")
    "CORRO_STD": ("CORRO", {"algo_params": {"corro_standardize": True}}),
}
METHODS = tuple(METHOD_SETTINGS)
# run only when `--methods` names them: variants that step away from the method's own code
DEFAULT_METHODS = tuple(m for m in METHODS if m != "CORRO_STD")


@dataclass(frozen=True)
class Profile:
    config: str  # experiment JSON, relative to the repository
    sac_config: str  # stage-1 SAC config name
    final_iterations: int  # a run's final return = mean of its last N iterations
    about: str
    overrides: dict = field(default_factory=dict)  # on top of `config`, under every method's own overrides


# Every env with a shipped config: its name (the config's env_name) -> that config, the reference's settings.
# An env is data: the reproduction's code path is the same for all of them.
ENV_CONFIGS = {
    "point-robot": "configs/point-robot.json",
    "sparse-point-robot": "configs/sparse-point-robot.json",
    "point-robot-wind": "configs/point-robot-wind.json",
    "cheetah-vel": "configs/cheetah-vel.json",
    "cheetah-dir": "configs/cheetah-dir.json",
    "ant-dir": "configs/ant-dir.json",
    "ant-goal": "configs/ant-goal.json",
    "humanoid-dir": "configs/humanoid-dir.json",
    "hopper-rand-params": "configs/hopper_rand_params.json",
    "walker-rand-params": "configs/walker_rand_params.json",
    "sparse-walker-rand-params": "configs/sparse-walker-rand-params.json",
}
ENVS = tuple(ENV_CONFIGS)


def tiny_overrides(env: str) -> dict:
    """A shipped config shrunk to seconds (2 tasks, 1 + 1 split, 2 iterations of 5 steps, 32-unit networks,
    a 10-step BOREL VAE stage and 4 of CORRO's steps for its CVAE), the rest (BRAC, context, loss weights) kept:
    for tests and smoke runs, never for results."""
    return {
        "n_train_tasks": 1,
        "n_eval_tasks": 1,
        "interpolation": False,
        "latent_size": 4,
        "net_size": 32,
        "env_params": {"n_tasks": 2, "max_episode_steps": 50},
        "algo_params": {
            "meta_batch": 1,
            "batch_size": 32,
            "num_iterations": 2,
            "num_train_steps_per_itr": 5,
            "num_evals": 1,
            "num_steps_per_eval": 100,
            "num_exp_traj_eval": 1,  # z inferred online after the first 50-step episode, before scoring ends
            "embedding_batch_size": 32,
            "embedding_mini_batch_size": 32,
            "max_path_length": 50,
            "train_epoch": [100, 300, 100],
            "eval_epoch": [100, 300, 100],
            "n_trj": 2,
            "data_dir": f"./offline_dataset/{env}-tiny",
            # methods' own stages, shrunk as the rest (each method gets only its own keys: `overrides_read_by`)
            "borel_vae_steps": 10,
            "borel_elbo_terms": 10,
            "corro_cvae_steps": 4,  # of the run's 10 steps: CORRO's learner trains the other 6
        },
    }


# Profiles beyond every env's `paper` and `tiny`: a results profile that fits a CPU, where one has been chosen
# by measurement (its documentation says every setting that differs from the paper and why).
EXTRA_PROFILES: dict[str, dict[str, Profile]] = {
    "point-robot": {
        "demo": Profile(
            "configs/demo/point-robot.json",
            "demo_point",
            3,
            "the demo profile (README 'Faithful settings and the demo profile'): minutes per run on 2 CPU cores",
        ),
        # the tests' tiny data (tests/conftest.py) is generated from this file
        "tiny": Profile(
            "configs/test/point-robot-tiny.json", "tiny_point", 1, "seconds per run, for the tests: not results"
        ),
    },
    "cheetah-vel": {
        "cpu": Profile(
            "configs/cpu/cheetah-vel.json",
            "cpu_cheetah",
            3,
            "the CPU profile (docs/results/cheetah-vel-cpu-profile.md): behaviour data and CSRO, FOCAL, OFFPEARL "
            "x 3 seeds in about 2 hours on 2 CPU cores, about 3 hours with CORRO and BOREL; stage 2 trains on the "
            "checkpoints from 20k on, short of the paper's 105,000 steps",
            # BOREL's VAE step decodes every step of a 400-step sequence from every belief: O(T^2), about 10 s per
            # step at 8 x 8 sequences on one core. BOReL's cheetah batch (4 tasks) and 10 decoding beliefs per
            # sequence make it about 0.2 s (docs/results/cheetah-vel-cpu-profile.md, "BOREL")
            overrides={"algo_params": {"borel_vae_tasks": 4, "borel_elbo_terms": 10}},
        ),
    },
    "ant-goal": {
        "cpu": Profile(
            "configs/cpu/ant-goal.json",
            "cpu_ant",
            3,
            "the CPU profile (docs/results/ant-goal-cpu-profile.md): behaviour data for 40 goals in about 97 min "
            "on 2 CPU cores, then CSRO, FOCAL, OFFPEARL x 3 seeds in about 75 min; 15,000 of the paper's 210,000 "
            "steps, too few for any method to beat an ant that does nothing",
        ),
    },
}


def profiles(env: str) -> dict[str, Profile]:
    """ENV's profiles, the default (a CPU-sized results profile where there is one, else `paper`) first."""
    if env not in ENV_CONFIGS:
        raise UserError(f"unknown env {env!r}: expected one of {list(ENVS)}")
    point = env in POINT_FAMILIES
    base = {
        "paper": Profile(
            ENV_CONFIGS[env],
            default_sac_config(env),
            3,
            "the reference's settings (its config and behaviour SAC): meant for a GPU",
        ),
        "tiny": Profile(
            ENV_CONFIGS[env],
            "tiny_point" if point else "tiny_mujoco",
            1,
            "seconds per run, for the tests: not results",
            tiny_overrides(env),
        ),
    }
    extra = EXTRA_PROFILES.get(env, {})
    merged = base | extra  # an env's own file may replace a derived profile (point-robot's tiny)
    return {k: merged[k] for k in [*(k for k in extra if k not in base), *base]}


def profile(env: str, name: str) -> Profile:
    table = profiles(env)
    if name not in table:
        raise UserError(f"unknown profile {name!r} for {env}: expected one of {list(table)}")
    return table[name]


@dataclass(frozen=True)
class RunSpec:
    method: str
    seed: int
    config: str
    profile_overrides: dict
    overrides: dict
    out_dir: Path
    threads: int
    gpu: int | None

    def load_config(self):
        return load_config(self.config, self.profile_overrides, self.overrides)


def run_specs(
    env: str,
    profile_name: str,
    methods: list[str],
    seeds: list[int],
    out: Path,
    threads: int,
    gpu: int | None,
    data_dir: Path | None,
) -> list[RunSpec]:
    p = profile(env, profile_name)
    specs = []
    for m in methods:
        algo_type, extra = METHOD_SETTINGS[m]
        overrides = {
            "algo_type": algo_type,
            # --gpu as launch_experiment.py's: the runs' variant.json says where they ran (else the profile's config)
            "util_params": {
                "exp_name": f"{profile_name}-{m}",
                "base_log_dir": str(out),
                **(gpu_overrides(gpu) if gpu is not None else {}),
            },
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
                    overrides_read_by(algo_type, p.overrides, env, extra),
                    overrides,
                    out / env / f"{profile_name}-{m}" / f"seed{s}",
                    threads,
                    gpu,
                )
            )
    return specs


def check_existing(spec: RunSpec) -> str:
    """'new', 'resume' or 'finished'; a folder of another config, or trained on other data than the config's
    data_dir holds now, is an error naming what differs."""
    return run_state(*iterations_of(spec))


def run_state(done: int, n: int, started: bool = False) -> str:
    """'new', 'resume' or 'finished': a run of `n` iterations whose folder holds `done`, `started` if it holds a
    snapshot (a BOREL run stopped in its VAE stage has one at 0 iterations)."""
    return "finished" if done >= n else "resume" if done > 0 or started else "new"


def iterations_of(spec: RunSpec, as_made: bool = False) -> tuple[int, int, bool]:
    """(iterations its folder holds, iterations of the run, whether it holds a snapshot to resume), as
    `check_existing` checks the folder. `as_made` (a report of finished runs): a folder of another config than the
    profile's today is read as it was made (the report names the differences, `config_sentence`), not refused."""
    from rlkit.config import config_from_variant
    from rlkit.fileio import read_json_object
    from rlkit.run_folder import iterations_done, recorded_data_print, restore_missing_snapshot

    cfg = spec.load_config()
    n = cfg.algo_params.num_iterations
    variant = dict(cfg.to_dict(), seed=spec.seed)
    recorded = spec.out_dir / "variant.json"
    read_as = cfg  # the config whose data (its tasks, checkpoints and episodes) the run's fingerprint was taken of
    if as_made and recorded.is_file():
        made = read_json_object(recorded, "the config the run wrote")
        # read as it was made, but still the spec's env, method and seed: a run of another is not this folder's run
        # (a copy of seed 0's folder as seed 1's would be reported twice)
        variant = dict(made, env_name=variant["env_name"], algo_type=variant["algo_type"], seed=spec.seed)
        variant["algo_params"] = dict(made.get("algo_params", {}), num_iterations=n)
        try:  # (the data where the spec says it is now: the same data moved elsewhere reads alike)
            read_as = config_from_variant(
                dict(variant, algo_params=dict(variant["algo_params"], data_dir=cfg.algo_params.data_dir))
            )
        except UserError:  # (a variant no config reads: `iterations_done` names what differs from the spec's)
            read_as = cfg
    done = iterations_done(
        spec.out_dir,
        variant,
        n,
        f"this is the {spec.method} run of this profile; use another --out or remove that folder",
        recorded_data_print(spec.out_dir, read_as),
    )
    if done == n:  # (an unfinished run's resume restores it itself)
        restore_missing_snapshot(spec.out_dir, cfg, done)
    return done, n, (spec.out_dir / "latest.pt").is_file()


def train_one(spec: RunSpec) -> str:
    """Train (or resume) one run in this process; its console output goes to OUT_DIR/console.log."""
    import torch

    from rlkit.experiment import MetaTrainer, prepare
    from rlkit.torch.cpu_kernels import keep_freed_memory

    torch.set_num_threads(spec.threads)
    keep_freed_memory()
    cfg = spec.load_config()
    util = cfg.util_params  # (the command said once what --gpu gave)
    device = config_device(util.use_gpu, util.gpu_id, spec.gpu, quiet=True)
    make_folder(spec.out_dir)
    with open(spec.out_dir / "console.log", "a", buffering=1) as log:
        stdout = sys.stdout
        sys.stdout = log
        try:
            MetaTrainer(prepare(cfg, spec.seed, device), show_progress=False).run()
        finally:
            sys.stdout = stdout
    return f"{spec.method} seed {spec.seed}: finished -> {spec.out_dir}"


def profile_devices(sac_device: str, cfg, gpu: int | None) -> tuple[torch.device, torch.device]:
    """Where a reproduction's stage 1 and its runs train: on --gpu G where given (`cfg`, its runs' config, then has
    it too; a G that is not here is one note, once), else each where its own config says, as policy_train.py and
    launch_experiment.py choose: stage 1 by the profile's SAC config's `device` (`sac_device`), the runs by the
    experiment config's `use_gpu` and `gpu_id` (the CPU profiles say cpu and 0)."""
    runs = config_device(cfg.util_params.use_gpu, cfg.util_params.gpu_id, gpu)
    stage1 = sac_config_device(sac_device, gpu, quiet=True)
    return stage1, runs


def budget_lines(
    specs: list[RunSpec], todo: list[RunSpec], jobs: int, device, done: list[int] | None = None
) -> list[str]:
    """What the runs cost, printed before anything trains: each method's training budget in matmul FLOPs
    (`rlkit.budget`), this machine's dense CPU matmul throughput, and on the CPU one step of each method to train and
    of each of its stages (BOREL's VAE, CORRO's), timed here on the runs' threads, with the training time those imply
    for what the runs to train have left (`done`: the iterations each has done, default none), taken in order by
    `jobs` workers (no more at once than the cores hold at the runs' threads; `rlkit.budget.makespan`). An estimate:
    the meta-tests and the behaviour data come on top."""
    import torch

    from rlkit.budget import makespan, timed_steps, training_budget, usable_cores
    from rlkit.torch.flops import MatmulProbe

    budgets = {}
    for s in specs:
        if s.method not in budgets:
            budgets[s.method] = training_budget(s.load_config())
    lines = ["training budget per run (matmuls, fwd + bwd):", *(f"  {m}: {b.summary()}" for m, b in budgets.items())]
    probe = f"this machine's dense fp32 matmul: {MatmulProbe()() / 1e9:.0f} GFLOP/s"
    if torch.device(device).type != "cpu":  # the probe and a timed step are the CPU's: no estimate for the device
        return [*lines, f"{probe} on the CPU; the runs train on {device}, where no step is timed (no estimate)"]
    if not todo:
        return [*lines, probe]
    first = todo[0]
    threads = torch.get_num_threads()
    torch.set_num_threads(first.threads)
    timed: dict[str, tuple[float, list[float]]] = {}  # method -> its steps' seconds (learner, each stage)
    try:
        for s in todo:
            if s.method not in timed:
                timed[s.method] = timed_steps(s.load_config())
    finally:
        torch.set_num_threads(threads)
    done = done or [0] * len(todo)
    left = [
        budgets[s.method].left_after(d * s.load_config().algo_params.num_train_steps_per_itr, *timed[s.method])
        for s, d in zip(todo, done, strict=True)
    ]
    # runs at once: the jobs, as far as the cores hold their threads (more share the cores, no faster in all)
    cores = usable_cores()
    slots = min(jobs, len(todo), max(1, cores // first.threads))
    wall = makespan(left, slots)
    wall_text = f"{wall / 60:.0f} min" if wall < 5400 else f"{wall / 3600:.1f} h"
    shared = (
        f"; {jobs} jobs x {first.threads} thread(s) on {cores} cores: counted as {slots} at once"
        if jobs * first.threads > cores
        else ""
    )
    steps = ", ".join(
        f"{m} {t * 1e3:.0f} ms ({budgets[m].step_flops / t / 1e9:.0f} GFLOP/s)"
        + "".join(
            f", its {st.name} step {c * 1e3:.0f} ms ({st.flops / c / 1e9:.0f} GFLOP/s)"
            for st, c in zip(budgets[m].stages, cs, strict=True)
        )
        for m, (t, cs) in timed.items()
    )
    return [
        *lines,
        f"{probe}; steps timed here on {first.threads} thread(s): {steps}; so the {len(todo)} run(s) to train need "
        f"about {wall_text} of training steps at {jobs} job(s) (an estimate{shared}: the meta-tests and the behaviour "
        "data come on top)",
    ]
