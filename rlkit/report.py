"""`python -m rlkit.report RUNS_DIR`: the three protocols' final returns next to the oracle and random.

Reads every progress.csv under RUNS_DIR and groups the runs into experiments: runs whose
variant.json differ in nothing that changes what they compute (the seed, paths, devices and
num_iterations aside, as `rlkit.run_folder.config_differences` compares a resumed run) and that
read the same data (by content where the run recorded it). Per experiment it takes the mean of
the last `--last` iterations of each run (every run must have that many) and prints mean +- std
over its runs with the normalised score (R - R_random) / (R_oracle - R_random), where the
oracle and random returns are computed on the experiment's own held-out tasks (with the sparse
reward where the runs score it). With several seeds, rliable's IQM with a 95% stratified-bootstrap
interval is added. Runs of different configs are never pooled. `--against FILE` prints each
run's scores next to a file of reference seeds (`make demo` uses
docs/results/point-robot-demo-seeds.json): one run is one draw from that spread, and the bar is
held to the seeds' mean and worst, not to one run; runs of another config file than the seeds',
or of a family without a scripted oracle, are refused.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import pandas as pd

from rlkit.cli import PATH, run_cli
from rlkit.config import REPO_ROOT, at, config_from_variant, load_config
from rlkit.errors import UserError
from rlkit.fileio import read_csv_table, read_json, read_json_object
from rlkit.logging import PROTOCOLS as META_TEST_PROTOCOLS
from rlkit.logging import TRAIN_STEPS, collapse_warning
from rlkit.run_folder import DATA_PRINT_FILE, config_differences, read_data_print
from rlkit.tasks import (
    make_env,
    oracle_return,
    random_return,
    scored_reward_fn,
    train_eval_split,
    zero_action_return,
)

# the report's name of each protocol -> its progress.csv column (both from rlkit.logging's registry)
PROTOCOLS = {p.name: p.column for p in META_TEST_PROTOCOLS}


@dataclass
class Reference:
    """The two ends of the normalised score: `oracle` is its top (score 1), the scripted oracle's return or,
    for a family without one, the best behaviour return of the data (`top` says which); `random` its bottom.
    `still`, where known, is the zero-action return (`zero_action_return`): not an end of the score, a bar that
    a policy which has learned anything clears."""

    oracle: float
    random: float
    top: str = "oracle (scripted)"
    still: float | None = None

    def __post_init__(self):
        if not self.oracle > self.random:  # (else every score would have its sign flipped, or be infinite)
            raise UserError(
                f"reference returns {self.top} {self.oracle} and uniform random {self.random}: expected the top "
                "above random for a normalised score"
            )

    def score(self, r: np.ndarray | float) -> np.ndarray | float:
        return (r - self.random) / (self.oracle - self.random)

    @property
    def still_score(self) -> float | None:
        return None if self.still is None else float(self.score(self.still))


def find_runs(runs_dir: str | Path) -> list[Path]:
    if not Path(runs_dir).exists():
        raise UserError(f"{str(runs_dir)!r} not found: expected a run folder such as output/ENV/EXP")
    runs = sorted(p.parent for p in Path(runs_dir).rglob("progress.csv"))
    if not runs:
        raise UserError(f"no progress.csv under {str(runs_dir)!r}: expected a run folder such as output/ENV/EXP")
    return runs


def read_variant(run: Path) -> dict:
    path = run / "variant.json"
    if not path.is_file():
        raise UserError(
            f"{str(run)!r} has a progress.csv but no variant.json: expected a run folder written by "
            "launch_experiment.py"
        )
    return read_json_object(path, "the config a run of launch_experiment.py writes")


def trained_on(run: Path, cfg_data_dir: str) -> str:
    """What data a run read: the digest of its `DATA_PRINT_FILE` (by content), or for a run written before it
    was kept, its resolved data_dir."""
    path = run / DATA_PRINT_FILE
    if not path.is_file():
        return f"path {Path(cfg_data_dir).resolve()}"
    return f"digest {read_data_print(path)['digest']}"


def group_runs(runs: list[Path]) -> list[list[Path]]:
    """Runs grouped into experiments, in first-seen order: no `config_differences` (the seed, paths, devices and
    num_iterations compute nothing; a seed run on another device or continued longer is the same experiment)
    and the same data (`trained_on`)."""
    groups: list[tuple[dict, str, list[Path]]] = []
    for run in runs:
        # through the config, so that a key added since a run was written counts as its default
        variant = config_from_variant(read_variant(run)).to_dict()
        data = trained_on(run, variant["algo_params"]["data_dir"])
        for first, first_data, members in groups:
            if data == first_data and not config_differences(first, variant):
                members.append(run)
                break
        else:
            groups.append((variant, data, [run]))
    return [members for _, _, members in groups]


def describe_groups(groups: list[list[Path]], shown: int = 3) -> str:
    """Each group's runs and folders; from the second on, what sets it apart from the first (its first `shown`
    config differences, or its data)."""
    first = None
    parts = []
    for g in groups:
        variant = config_from_variant(read_variant(g[0])).to_dict()
        text = f"{len(g)} run(s) in {sorted({str(r.parent) for r in g})}"
        if first is None:
            first = variant, trained_on(g[0], variant["algo_params"]["data_dir"])
        else:
            diffs = config_differences(first[0], variant)
            if diffs:
                more = f", and {len(diffs) - shown} more" if len(diffs) > shown else ""
                text += f" (against the first: {', '.join(diffs[:shown])}{more})"
            else:
                text += f" (the first's config on other data: {trained_on(g[0], variant['algo_params']['data_dir'])})"
        parts.append(text)
    return "; ".join(parts)


def reference_returns(run: Path) -> Reference | None:
    """Oracle and uniform-random returns averaged over the run's held-out tasks (None if the env has no oracle);
    summed over sparse rewards where the run scores them (`sparse_rewards`), over the run's meta-test episodes
    (`max_path_length` steps, which may be fewer than the env's)."""
    cfg = config_from_variant(read_variant(run))
    env = make_env(cfg.env_name, **cfg.env_params.kwargs())
    if not env.has_oracle:
        return None
    reward_fn, h = scored_reward_fn(cfg, env), cfg.algo_params.max_path_length
    _, test = train_eval_split(cfg)
    return Reference(
        float(np.mean([oracle_return(env, t, reward_fn, horizon=h) for t in test])),
        float(np.mean([random_return(env, t, reward_fn=reward_fn, horizon=h) for t in test])),
        still=float(np.mean([zero_action_return(env, t, reward_fn=reward_fn, horizon=h) for t in test])),
    )


BEST_BEHAVIOUR = "best behaviour checkpoint of the data (no oracle for this family)"


def data_reference(run: Path, data_dir: str | Path | None = None) -> Reference:
    """`reference_returns` where the family has an oracle; otherwise the top is the data's best behaviour: per
    held-out task, the best checkpoint's mean deterministic-episode return (scored as the run scores rewards),
    averaged over the tasks, each episode's return over its first `max_path_length` steps, as the run's meta-test
    scores. It says how well the data's best policy did, not what is possible. `data_dir`: where that data is now
    (default: where the run read it, its variant's)."""
    ref = reference_returns(run)
    if ref is not None:
        return ref
    from rlkit.data.dataset import mean_return, task_dirs
    from rlkit.data.load import restore_dataset_tasks
    from rlkit.data.meta import listed_checkpoints, read_task_meta
    from rlkit.data.npz import read_checkpoint

    cfg = config_from_variant(read_variant(run))
    if data_dir is not None:
        cfg = dataclasses.replace(cfg, algo_params=dataclasses.replace(cfg.algo_params, data_dir=str(data_dir)))
    env = make_env(cfg.env_name, **cfg.env_params.kwargs())
    restore_dataset_tasks(env, cfg.algo_params.data_dir)  # a parameter family's tasks as the data holds them
    reward_fn = scored_reward_fn(cfg, env)
    _, test = train_eval_split(cfg)
    dirs = dict(task_dirs(cfg.algo_params.data_dir, "the run's behaviour data"))
    best = []
    for t in test:
        if t not in dirs:
            raise UserError(
                f"task {t} has no folder in {cfg.algo_params.data_dir!r}: expected the run's data, whose best "
                "behaviour is the top of the score for a family without an oracle"
            )
        returns = []
        for c in listed_checkpoints(dirs[t], read_task_meta(dirs[t]) or {}):
            trajs = read_checkpoint(dirs[t], c, "eval", missing_ok=True)
            if trajs is not None and reward_fn is not None:
                trajs = dataclasses.replace(trajs, rewards=reward_fn(trajs.rewards))
            returns.append(mean_return(trajs, cfg.algo_params.max_path_length))
        if not np.isfinite(returns).any():  # (no task.json, no checkpoint listed, or none with eval episodes)
            raise UserError(
                f"task {t} in {cfg.algo_params.data_dir!r} has no deterministic (eval) episodes at a checkpoint its "
                "task.json lists: expected the run's data, whose best behaviour is the top of the score for a "
                "family without an oracle"
            )
        best.append(np.nanmax(returns))
    episodes = max(10, 4000 // env.max_episode_steps)  # 200 for the point robots, 20 for the 200-step bodies
    h = cfg.algo_params.max_path_length
    rand = float(np.mean([random_return(env, t, episodes=episodes, reward_fn=reward_fn, horizon=h) for t in test]))
    still = float(np.mean([zero_action_return(env, t, reward_fn=reward_fn, horizon=h) for t in test]))
    return Reference(float(np.mean(best)), rand, BEST_BEHAVIOUR, still)


def read_progress(run: Path) -> pd.DataFrame:
    """A run's progress.csv, one row per iteration; a damaged one (not a CSV table of numbers, no rows, without
    the train steps or a protocol's column) is a one-line UserError naming it. Its nan cells (a value not
    measured) are kept."""
    return read_csv_table(
        Path(run) / "progress.csv",
        "the progress.csv launch_experiment.py writes (a header, then a row of numbers per iteration)",
        (TRAIN_STEPS, *PROTOCOLS.values()),
        integers=(TRAIN_STEPS,),
    )


def check_meta_tested(progress: pd.DataFrame, run: str | Path) -> None:
    """A UserError unless every row of `run`'s progress holds its three meta-test returns: a run trained with
    `allow_eval` false has none (nan), and its rows must not be averaged as if it had; nor a row missing one
    (pandas' mean would skip it, averaging that protocol over fewer rows than the others)."""
    missing = progress[list(PROTOCOLS.values())].isna().any(axis=1)
    if missing.any():
        raise UserError(
            f"{str(run)!r} has {int(missing.sum())} progress row(s) without all three meta-test returns (a run "
            "trained with allow_eval false has none): expected runs that meta-tested every iteration"
        )


def final_returns(runs: list[Path], last: int) -> pd.DataFrame:
    """Per run, the mean of its last `last` rows of each protocol; a run with fewer rows is a UserError, not
    averaged over what it has (runs averaged over different windows would not compare)."""
    rows = []
    for run in runs:
        df = read_progress(run)
        if len(df) < last:
            raise UserError(
                f"{str(run)!r} has {len(df)} progress rows: expected at least --last {last}, so that every run "
                "averages the same number of iterations"
            )
        check_meta_tested(df, run)
        rows.append(
            {name: df[col].tail(last).mean() for name, col in PROTOCOLS.items()}
            | {"run": str(run), "iterations": len(df), "train steps": int(df[TRAIN_STEPS].iloc[-1])}
        )
    return pd.DataFrame(rows)


def collapse_lines(runs: list[Path]) -> list[str]:
    """A warning per run whose z is context-blind at its last iteration (`collapse_warning` on its last
    progress row), or whose three protocols return exactly the same value there (a z that ignores its
    context makes them identical): such a run's returns say nothing about context shift."""
    out = []
    for run in runs:
        last = read_progress(run).iloc[-1].to_dict()
        warning = collapse_warning(last)
        if warning:
            out.append(f"warning: {run}: {warning} at its last iteration")
        returns = [last[col] for col in PROTOCOLS.values()]
        if all(r == returns[0] for r in returns[1:]):
            out.append(
                f"warning: {run}: the three protocols return the same value ({returns[0]:.2f}) at its last "
                "iteration: its z does not depend on the context"
            )
    return out


def format_table(table: pd.DataFrame, ref: Reference | None) -> str:
    lines = [f"{'protocol':28s} {'return':>16s} {'score':>8s}"]
    for name in PROTOCOLS:
        r = table[name].to_numpy()
        s = f"{ref.score(r).mean():8.3f}" if ref else f"{'-':>8s}"
        spread = f"{r.std(ddof=1):5.2f}" if len(r) > 1 else "  n/a"  # (one run: no spread)
        lines.append(f"{name:28s} {r.mean():8.2f} +- {spread} {s}")
    if ref:
        lines.append(f"{'oracle (scripted)':28s} {ref.oracle:8.2f}          {1.0:8.3f}")
        lines.append(f"{'uniform random':28s} {ref.random:8.2f}          {0.0:8.3f}")
        if ref.still is not None:
            lines.append(f"{'zero action':28s} {ref.still:8.2f}          {ref.still_score:8.3f}")
    lo, hi = int(table["train steps"].min()), int(table["train steps"].max())
    steps = f"{hi}" if lo == hi else f"{lo}-{hi}"  # runs of one config stopped or continued at different lengths
    lines.append(f"({len(table)} run(s), {steps} train steps; score = (R - R_random) / (R_oracle - R_random))")
    return "\n".join(lines)


def iqm_lines(table: pd.DataFrame, ref: Reference) -> list[str]:
    """Each protocol's IQM score with its 95% bootstrap interval over the runs; with 4 runs or fewer the percentile
    interval is their range, which a line says: a resample whose IQM is the lowest run is more likely than 2.5%
    (of 3 runs, one drawn thrice: 1/27; of 4, the lowest drawn 3 or 4 times, which fills the middle two that the
    IQM of 4 averages: 13/256), and with 3 or fewer the IQM trims none of them."""
    from rlkit.stats import iqm_interval

    out = []
    for name in PROTOCOLS:
        point, lo, hi = iqm_interval(np.asarray(ref.score(table[name].to_numpy())))
        out.append(f"IQM score {name:28s} {point:.3f} [{lo:.3f}, {hi:.3f}]")
    if len(table) <= 4:
        iqm = "their mean" if len(table) <= 3 else "the mean of the middle two"
        out.append(
            f"(over {len(table)} runs the IQM is {iqm} and the interval their range, not a 95% interval: "
            "5 runs or more for one)"
        )
    return out


def length_lines(table: pd.DataFrame) -> list[str]:
    """A warning when an experiment's runs end at different train steps: its mean then mixes returns read at
    different points of training (shown, for a look at runs still training; rlkit.reproduce refuses such runs)."""
    steps = table.groupby("train steps", sort=True)["run"].apply(list)
    if len(steps) < 2:
        return []
    told = "; ".join(f"{s} in {', '.join(Path(r).name for r in runs)}" for s, runs in steps.items())
    return [
        f"warning: the runs end at different train steps ({told}): the table averages returns read at "
        "different points of training; finish the shorter runs for one that compares"
    ]


SPREAD_FILE = "a JSON file of reference seeds (seeds, last, bar, config), as docs/results/point-robot-demo-seeds.json"


def _spread_problem(e: Exception) -> str:
    """What `read_spread` found wrong in the JSON it read (`read_json` names a file that is not JSON), for its one
    line: the field missing, else what the fields must be."""
    if isinstance(e, KeyError):
        return f"no field {e.args[0]!r}"
    return (
        "seeds must be an object of seeds, each with a number per protocol, bar an object naming a protocol, "
        "config a string"
    )


def read_spread(path: str | Path) -> dict:
    """A file of reference seeds (docs/results/point-robot-demo-seeds.json): their final returns per
    protocol, how many iterations they average, and the bar a set of seeds is held to."""
    try:
        doc = read_json(path, SPREAD_FILE, label=f"--against {str(path)!r}")
        objects = (doc, doc["seeds"], doc["bar"])  # (the objects it reads by name: a list or string is no seeds file)
        if not all(isinstance(x, dict) for x in objects) or not all(isinstance(r, dict) for r in doc["seeds"].values()):
            raise TypeError
        seeds = {s: {name: float(r[name]) for name in PROTOCOLS} for s, r in doc["seeds"].items()}
        bar = doc["bar"]
        if not seeds or bar["protocol"] not in PROTOCOLS or not isinstance(doc["config"], str):
            raise ValueError
        last = doc["last"]
        if isinstance(last, bool) or not isinstance(last, int) or last < 1:  # (2.9 was cut to 2, 0 passed here)
            raise UserError(
                f"--against {str(path)!r}: last {last!r}: expected a whole number >= 1, the iterations each seed's "
                "final return averages"
            )
        spread = {"seeds": seeds, "last": last, "bar": bar, "config": doc["config"]}
    except (ValueError, KeyError, TypeError) as e:
        raise UserError(f"--against {str(path)!r}: expected {SPREAD_FILE} ({_spread_problem(e)})") from None
    bad = next(((s, name, v) for s, r in seeds.items() for name, v in r.items() if not math.isfinite(v)), None)
    if bad is not None:  # (NaN was printed as the seeds' range "nan .. nan", and the bar judged against it)
        raise UserError(
            f"--against {str(path)!r}: seed {bad[0]}'s {bad[1]} return {bad[2]!r}: expected a finite number"
        )
    for key in ("each_at_least", "mean_at_least"):
        value = bar.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise UserError(
                f"--against {str(path)!r}: bar.{key} {'missing' if key not in bar else repr(value)}: expected a "
                "number, the normalised score the bar holds the seeds to"
            )
    return spread


# the settings that decide what a return is: held against reference seeds, a run must share them
SCORED_AS = (
    "env_name",
    "env_params",
    "n_train_tasks",
    "n_eval_tasks",
    "algo_params.max_path_length",
    "algo_params.sparse_rewards",
)


def same_config_file(recorded: str, named: str) -> bool:
    """Whether a run's util_params.config_file is the config file a seeds file names: the same file from here,
    or a path ending in the named one (a run records the path it was launched with, absolute or relative to
    where it was launched; a seeds file names it relative to the repository)."""
    a, b = Path(os.path.normpath(recorded)), Path(os.path.normpath(named))
    return a.resolve() == b.resolve() or a.parts[-len(b.parts) :] == b.parts


def check_against(groups: list[list[Path]], spread: dict, against: str) -> None:
    """A UserError, before anything is printed, unless every run can be held to the seeds: configured from
    their config file (runs that predate util_params.config_file are taken to be), scored as its seeds were (the
    same family, tasks, held-out split, meta-test episode length and reward: `SCORED_AS`), and of a family with a
    scripted oracle (the seeds are compared by normalised score, whose top it is)."""
    seeds_cfg = None
    path = Path(spread["config"])
    path = path if path.is_absolute() else REPO_ROOT / path  # (relative: to the repository, as committed)
    if path.is_file():
        seeds_cfg = load_config(path).to_dict()
    for runs in groups:
        for run in runs:
            variant = read_variant(run)
            recorded = variant.get("util_params", {}).get("config_file") or spread["config"]
            if not same_config_file(recorded, spread["config"]):
                raise UserError(
                    f"--against {against!r} holds seeds of {spread['config']!r}: expected runs of that config, "
                    f"{str(run)!r} was configured from {recorded!r}"
                )
            ran = config_from_variant(variant).to_dict()
            for key in SCORED_AS if seeds_cfg is not None else ():
                mine, theirs = at(ran, key), at(seeds_cfg, key)  # (whole configs: every key is there)
                if mine != theirs:
                    raise UserError(
                        f"--against {against!r}: {str(run)!r} has {key} {json.dumps(mine)}: expected the seeds' "
                        f"{json.dumps(theirs)} (their returns are scored so)"
                    )
        cfg = config_from_variant(read_variant(runs[0]))
        if not make_env(cfg.env_name, **cfg.env_params.kwargs()).has_oracle:
            raise UserError(
                f"--against {against!r}: {str(runs[0])!r} is a {cfg.env_name} run, a family without a scripted "
                "oracle: expected a family with one, the top of the score the seeds are compared by"
            )


def against_lines(table: pd.DataFrame, ref: Reference, spread: dict) -> list[str]:
    """Each run's score next to the reference seeds' spread, and the bar held to the seeds' mean and worst."""
    bar, out = spread["bar"], []
    name = bar["protocol"]
    scores = np.array([ref.score(r[name]) for r in spread["seeds"].values()])
    out.append(
        f"against {len(scores)} reference seeds of {spread['config']} (this version, mean of their last "
        f"{spread['last']} iterations; a host's CPU kernels make one run one draw from this spread):"
    )
    for protocol in PROTOCOLS:
        s = np.array([ref.score(r[protocol]) for r in spread["seeds"].values()])
        out.append(
            f"  {protocol:28s} reference seeds {s.min():.3f} .. {s.max():.3f} (mean {s.mean():.3f}); "
            f"this run {', '.join(f'{v:.3f}' for v in ref.score(table[protocol].to_numpy()))}"
        )
    mine = ref.score(table[name].to_numpy())
    inside = all(scores.min() <= m <= scores.max() for m in mine)
    # (one run is one draw, held to the per-seed bar; the mean bar is held to several runs' mean)
    low_mean = len(mine) > 1 and mine.mean() < bar["mean_at_least"]
    out.append(
        f"  the bar ({name}): every seed >= {bar['each_at_least']} and the mean >= {bar['mean_at_least']}; "
        f"the reference seeds: worst {scores.min():.3f}, mean {scores.mean():.3f}; this run is "
        + ("inside their spread" if inside else "outside their spread")
        + ("" if all(m >= bar["each_at_least"] for m in mine) else ", below the per-seed bar")
        + (f", their mean {mine.mean():.3f} below the mean bar" if low_mean else "")
    )
    return out


@click.command()
@click.argument("runs_dir", type=PATH)
@click.option("--last", default=1, show_default=True, help="average the last N iterations of each run (N >= 1)")
@click.option(
    "--against",
    default=None,
    type=PATH,
    help="JSON of reference seeds to compare with (docs/results/point-robot-demo-seeds.json)",
)
def main(runs_dir: str, last: int, against: str | None) -> None:
    """Print the final returns of the runs under RUNS_DIR, one table per experiment."""
    if last < 1:
        raise UserError(f"--last {last}: expected at least 1 iteration")
    spread = read_spread(against) if against else None
    if spread and spread["last"] != last:
        raise UserError(
            f"--last {last} with --against {against!r}: expected --last {spread['last']}, as its seeds average"
        )
    groups = group_runs(find_runs(runs_dir))
    if spread:
        check_against(groups, spread, against)
    tables = [final_returns(runs, last) for runs in groups]  # every run's rows checked before anything is printed
    if len(groups) > 1:
        click.echo(f"{len(groups)} experiments with different configs, reported separately: {describe_groups(groups)}")
    for k, (runs, table) in enumerate(zip(groups, tables)):
        if len(groups) > 1:
            click.echo(f"\n== experiment {k + 1}: {describe_groups([runs])}")
        ref = reference_returns(runs[0])
        click.echo(format_table(table, ref))
        for line in length_lines(table) + collapse_lines(runs):
            click.echo(line)
        if ref and len(table) > 1:
            for line in iqm_lines(table, ref):
                click.echo(line)
        if spread:  # `check_against`: every family here has an oracle
            for line in against_lines(table, ref, spread):
                click.echo(line)


if __name__ == "__main__":
    run_cli(main)
