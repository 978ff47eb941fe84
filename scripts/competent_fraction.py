"""How far a behaviour dataset's last checkpoints get from random to a competent return, per task.

    python scripts/competent_fraction.py offline_dataset/cheetah-vel-cpu

For each task: (R_last - R_first) / (R_comp - R_first), R_first the first checkpoint's return (the random level),
R_last the last one's, R_comp the env's competent estimate below (cheetah-vel, ant-goal); printed for the
deterministic and the stochastic episodes (`returns.csv`), then the mean and the worst task. Only envs with a
written estimate are accepted; each estimate is argued in its profile's page under docs/results/.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

from rlkit.behaviour.curves import behaviour_returns
from rlkit.cli import run_cli
from rlkit.data.dataset import RETURNS_FILE, parse_task_dir, task_dirs
from rlkit.data.meta import read_task_meta, task_identity_problem
from rlkit.errors import UserError

USAGE = "scripts/competent_fraction.py DATA_DIR"

# R_comp per env, from the task parameters of task.json; each is argued in its profile's page, "The competent
# reference". cheetah-vel (docs/results/cheetah-vel-cpu-profile.md): reach v* from rest, then a gait at speed;
# uncertain by about 15 either way. ant-goal (docs/results/ant-goal-cpu-profile.md): walk the 2 m to the goal in
# about 50 steps (an L1 distance summed to about 25 L1_0 on the way, L1_0 the start's), about 30 more while it
# holds near the goal, about 50 of control; uncertain by about 40.
COMPETENT: dict[str, Callable[[dict], float]] = {
    "cheetah-vel": lambda task: -(10.0 * float(task["velocity"]) + 20.0),
    "ant-goal": lambda task: -(25.0 * sum(abs(float(g)) for g in task["goal"]) + 80.0),
}
TASK_FORM = {"cheetah-vel": '{"velocity": v}', "ant-goal": '{"goal": [x, y]}'}


def task_fractions(task_dir: Path, table=None) -> tuple[int, dict, dict[str, tuple[float, float, float]]]:
    """(task index, task parameters, per episode kind (first return, last return, fraction of competent; NaN where
    the first or last checkpoint has no episodes of that kind)); `table`: the dataset's `behaviour_returns`, read once
    by the caller (None: read here)."""
    meta = read_task_meta(task_dir) or {}
    env = meta.get("env_name")
    if env not in COMPETENT:
        raise UserError(f"env {env!r} in {task_dir}: expected one of {sorted(COMPETENT)} (no competent estimate)")
    problem = task_identity_problem(task_dir, meta)  # (another folder's task.json: its returns are not this task's)
    if problem is not None:
        raise UserError(problem)
    try:
        comp = COMPETENT[env](meta["task"])
    except (KeyError, TypeError, ValueError):
        raise UserError(
            f"{str(task_dir / 'task.json')!r} holds task {meta.get('task')!r}: expected {env}'s {TASK_FORM[env]}"
        ) from None
    table = behaviour_returns(task_dir.parent) if table is None else table
    index = parse_task_dir(task_dir)
    rows = table[table.task == index].sort_values("checkpoint")
    if len(rows) < 2:
        raise UserError(f"{task_dir / RETURNS_FILE} has {len(rows)} checkpoints: expected at least 2")
    out = {}
    for kind in ("deterministic", "stochastic"):
        first, last = float(rows[f"{kind}_return"].iloc[0]), float(rows[f"{kind}_return"].iloc[-1])
        if first >= comp:  # (the fraction's scale is the way from the random level up to competent)
            raise UserError(
                f"{task_dir / RETURNS_FILE}: the first checkpoint's {kind} return {first:g} is not below the "
                f"competent estimate {comp:g}: expected the first checkpoint at the random level"
            )
        out[kind] = (first, last, (last - first) / (comp - first))  # (NaN in, NaN out: `main` says so)
    return index, meta["task"], out


def main(argv: list[str]) -> None:
    """The table of every task; bad input is a UserError (one line, exit 2 through `rlkit.cli.run_cli`)."""
    if argv in (["-h"], ["--help"]):
        print(__doc__)
        return
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        raise UserError(f"arguments {argv!r}: expected one folder, the dataset (python {USAGE})")
    dirs = [d for _, d in task_dirs(argv[0], "a behaviour dataset")]
    table = behaviour_returns(argv[0])  # every task's returns.csv, read once
    fractions: dict[str, list[float]] = {"deterministic": [], "stochastic": []}
    tasks = [task_fractions(d, table) for d in dirs]  # every task checked before anything is printed
    print("task  parameters                 first  last  fraction (deterministic; stochastic)")
    for idx, task, out in tasks:
        (f_d, l_d, x_d), (_, l_s, x_s) = out["deterministic"], out["stochastic"]
        fractions["deterministic"].append(x_d)
        fractions["stochastic"].append(x_s)
        params = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in task.items())
        print(f"{idx:4d}  {params:25s} {f_d:6.0f} {l_d:5.0f}  {x_d:.2f}; {l_s:.0f} {x_s:.2f}")
    for kind, xs in fractions.items():
        known = [x for x in xs if math.isfinite(x)]  # (min over NaN depends on the order: those tasks left out)
        left = f" ({len(xs) - len(known)} without {kind} returns at the first or last checkpoint left out)"
        if not known:
            print(f"{kind}: no task has {kind} returns at its first and last checkpoints")
            continue
        print(
            f"{kind}: mean {sum(known) / len(known):.3f}, worst {min(known):.2f} over {len(known)} tasks"
            + (left if len(known) < len(xs) else "")
        )


if __name__ == "__main__":
    run_cli(lambda: main(sys.argv[1:]))
