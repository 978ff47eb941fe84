"""`python -m rlkit.reproduce point-robot`: the paper's point-robot experiments as one command.

    python -m rlkit.reproduce point-robot [--profile demo|paper|tiny] [--seeds 0,1,2]
        [--methods CSRO,FOCAL,OFFPEARL] [--gpu G] [--jobs J] [--out output/reproduce]

1. Behaviour data, once for every method (stage 1, the profile's SAC config; complete tasks
   are skipped).
2. Meta-training of every method x seed on that data, each run in
   OUT/point-robot/<profile>-<METHOD>/seed{S}/ (`launch_experiment.py`'s layout). A finished run
   is skipped, an interrupted one resumes from its latest.pt; a folder holding a run of another
   config is an error before anything trains. `--jobs J` trains J runs at once, each in its own
   process with cores/J threads.
3. The report, docs/results/point-robot-<profile>.md (or `--results`), with three PNGs:
   - Table 1's form: per method, the final return of the three meta-test protocols (mean of the
     last `final_iterations` iterations of a run; mean +- std over seeds), the normalised score
     (random 0, oracle 1) with its IQM and 95% stratified-bootstrap interval (rliable), and the
     context-shift gap (offline minus online) per seed;
   - Fig. 3's form: learning curves of each protocol, mean and 95% band over seeds;
   - Fig. 4's form: the 2 x 2 ablation {CLUB min-MI term on (CSRO) / off (FOCAL)} x
     {Np / online-prior collection}, read off the same runs (all protocols are logged).
   Each table is followed by a paragraph generated from its numbers: which of the paper's
   claims hold here and how sure the intervals allow us to be.
"""
from __future__ import annotations

import math
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import click
import numpy as np
import pandas as pd

from rlkit.cli import die_with_parent, parse_list, run_cli, select_device
from rlkit.config import REPO_ROOT, load_config
from rlkit.errors import UserError
from rlkit.fileio import atomic_savefig, atomic_write_text
from rlkit.logging import PROTOCOL_BY_KEY, RETURN_COLUMNS
from rlkit.report import Reference, reference_returns
from rlkit.stats import curve_band, iqm_interval, t_interval

METHODS = ("CSRO", "FOCAL", "OFFPEARL")
# The paper's Table 1, point-robot row (returns): offline vs online-prior context
PAPER_POINT_ROBOT = {"FOCAL": (-4.4, -14.9), "OFFPEARL": (-5.1, -17.8)}


@dataclass(frozen=True)
class Profile:
    config: str  # experiment JSON, relative to the repository
    sac_config: str  # stage-1 SAC config name
    final_iterations: int  # a run's final return = mean of its last N iterations
    about: str


PROFILES = {
    "demo": Profile("configs/demo/point-robot.json", "demo_point", 3,
                    "the demo profile (README 'Faithful settings and the demo profile'): minutes per run on 2 CPU cores"),
    "paper": Profile("configs/point-robot.json", "train_point", 3,
                     "the reference's settings (65 x 1000 steps, 2 x 1024 behaviour SAC): meant for a GPU"),
    "tiny": Profile("configs/test/point-robot-tiny.json", "tiny_point", 1, "seconds per run, for the tests: not results"),
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


def run_specs(profile: str, methods: list[str], seeds: list[int], out: Path, threads: int, gpu: int | None,
              data_dir: Path | None) -> list[RunSpec]:
    p = PROFILES[profile]
    specs = []
    for m in methods:
        overrides = {"algo_type": m, "util_params": {"exp_name": f"{profile}-{m}", "base_log_dir": str(out)}}
        if data_dir is not None:
            overrides["algo_params"] = {"data_dir": str(data_dir)}
        for s in seeds:
            specs.append(RunSpec(m, s, str(REPO_ROOT / p.config), overrides, out / ENVS[0] / f"{profile}-{m}" / f"seed{s}",
                                 threads, gpu))
    return specs


def check_existing(spec: RunSpec) -> str:
    """'new', 'resume' or 'finished'; a folder of another config, or trained on other data than the config's
    data_dir holds now, is an error naming what differs."""
    from rlkit.experiment import iterations_done, recorded_data_print
    cfg = load_config(spec.config, spec.overrides)
    n = cfg.algo_params.num_iterations
    done = iterations_done(spec.out_dir, dict(cfg.to_dict(), seed=spec.seed), n,
                           f"this is the {spec.method} run of this profile; use another --out or remove that folder",
                           recorded_data_print(spec.out_dir, cfg))
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


# ---- the report -----------------------------------------------------------------------------------
def load_runs(specs: list[RunSpec]) -> dict[str, list[pd.DataFrame]]:
    runs: dict[str, list[pd.DataFrame]] = {}
    for s in specs:
        runs.setdefault(s.method, []).append(pd.read_csv(s.out_dir / "progress.csv"))
    return runs


def final_table(runs: dict[str, list[pd.DataFrame]], last: int, ref: Reference) -> pd.DataFrame:
    """One row per (method, protocol): per-seed final returns and their summaries."""
    rows = []
    for method, frames in runs.items():
        for key, col in RETURN_COLUMNS.items():
            finals = np.array([f[col].tail(last).mean() for f in frames])
            scores = ref.score(finals)
            iqm, lo, hi = iqm_interval(scores)
            rows.append({"method": method, "protocol": key, "finals": finals, "mean": finals.mean(),
                         "std": finals.std(ddof=1) if len(finals) > 1 else 0.0, "score": scores.mean(),
                         "iqm": iqm, "iqm_lo": lo, "iqm_hi": hi})
    return pd.DataFrame(rows)


def _cell(table: pd.DataFrame, method: str, protocol: str) -> pd.Series:
    return table[(table.method == method) & (table.protocol == protocol)].iloc[0]


def _fmt_ci(lo: float, hi: float, digits: int = 2) -> str:
    return "n/a (1 seed)" if math.isnan(lo) else f"[{lo:.{digits}f}, {hi:.{digits}f}]"


def gap(table: pd.DataFrame, method: str, protocol: str) -> tuple[float, float, float]:
    """Offline minus `protocol` return per seed: mean and 95% t-interval."""
    d = _cell(table, method, "offline").finals - _cell(table, method, protocol).finals
    lo, hi = t_interval(d)
    return float(d.mean()), lo, hi


def table1_markdown(table: pd.DataFrame, ref: Reference) -> list[str]:
    out = ["| method | protocol | return (mean ± std) | score | IQM score [95% CI] | offline − this protocol [95% CI] |",
           "|---|---|---|---|---|---|"]
    for method in dict.fromkeys(table.method):
        for key in RETURN_COLUMNS:
            c = _cell(table, method, key)
            g = "" if key == "offline" else f"{gap(table, method, key)[0]:.2f} {_fmt_ci(*gap(table, method, key)[1:])}"
            out.append(f"| {method} | {PROTOCOL_BY_KEY[key].label} | {c['mean']:.2f} ± {c['std']:.2f} | {c.score:.3f} | "
                       f"{c.iqm:.3f} {_fmt_ci(c.iqm_lo, c.iqm_hi, 3)} | {g} |")
    out.append(f"| oracle (scripted) | | {ref.oracle:.2f} | 1 | | |")
    out.append(f"| uniform random | | {ref.random:.2f} | 0 | | |")
    return out


def context_blind(table: pd.DataFrame, method: str) -> bool:
    """True when the three protocols give the same final return on every seed: the method's z does not
    depend on its context at all (e.g. a saturated encoder), so context shift cannot show."""
    finals = [_cell(table, method, k).finals for k in RETURN_COLUMNS]
    return all(np.allclose(finals[0], f, rtol=0, atol=1e-6) for f in finals[1:])


def table1_paragraph(table: pd.DataFrame) -> str:
    """Which of Table 1's claims the numbers support, and how firmly."""
    methods = list(dict.fromkeys(table.method))
    blind = [m for m in methods if context_blind(table, m)]
    parts = []
    for m in [m for m in ("FOCAL", "OFFPEARL") if m in methods]:
        if m in blind:
            parts.append(f"{m}'s three protocols give the same return on every seed ({_cell(table, m, 'offline')['mean']:.2f} "
                         "on average): its z does not depend on the context, so there is no context shift to measure, "
                         f"and its offline return is far from the paper's ({PAPER_POINT_ROBOT[m][0]}); this baseline "
                         "is not reproduced at this profile.")
            continue
        mean, lo, hi = gap(table, m, "online")
        paper_off, paper_on = PAPER_POINT_ROBOT[m]
        if math.isnan(lo):
            verdict = "one seed, so no interval"
        elif lo > 0:
            verdict = "the interval excludes 0: context shift reproduced"
        elif hi < 0:
            verdict = "the interval lies below 0: the opposite of the paper"
        else:
            verdict = "the interval includes 0: not established at this number of seeds"
        parts.append(f"{m} loses {mean:.2f} return from offline to online-prior context (95% CI {_fmt_ci(lo, hi)}; "
                     f"paper {paper_off - paper_on:.1f}): {verdict}.")
    if "CSRO" in methods:
        np_gap, lo, hi = gap(table, "CSRO", "np")
        on_gap = gap(table, "CSRO", "online")[0]
        others = {m: gap(table, m, "online")[0] for m in methods if m != "CSRO" and m not in blind}
        text = (f"CSRO's Np return is {np_gap:.2f} below its offline return (95% CI {_fmt_ci(lo, hi)}), against "
                f"{on_gap:.2f} with online-prior context")
        if others:
            text += (", and the online-prior gaps of the baselines whose z uses its context: "
                     + ", ".join(f"{m} {v:.2f}" for m, v in others.items()))
        smaller = all(np_gap < v for v in others.values()) if others else None
        text += (". The paper's claim that CSRO's online (Np) return stays close to its offline one holds here in "
                 "the sense that the gap is smaller than every baseline's." if smaller else
                 ". The gap is not smaller than every baseline's, so the paper's claim is not reproduced here."
                 if smaller is False else ".")
        parts.append(text)
    return " ".join(parts)


def curves_paragraph(table: pd.DataFrame) -> str:
    """Fig. 3's claim: with the same (Np) collection, and with each method's own protocol, CSRO ends highest."""
    methods = list(dict.fromkeys(table.method))
    np_cells = {m: _cell(table, m, "np") for m in methods}
    text = "Final Np scores (IQM [95% CI]): " + ", ".join(
        f"{m} {c.iqm:.3f} {_fmt_ci(c.iqm_lo, c.iqm_hi, 3)}" for m, c in np_cells.items()) + ". "
    if "CSRO" not in methods or len(methods) < 2:
        return text
    csro = np_cells["CSRO"]
    others = [m for m in methods if m != "CSRO"]
    best = all(csro.score > np_cells[m].score for m in others)
    separated = [m for m in others if not math.isnan(csro.iqm_lo) and csro.iqm_lo > np_cells[m].iqm_hi]
    text += ("CSRO has the highest mean Np score" if best else "CSRO does not have the highest mean Np score")
    text += (f"; its interval lies above that of {', '.join(separated)}" if separated else
             "; its interval overlaps every baseline's, so the ranking is not established at this number of seeds")
    own = {m: _cell(table, m, "online").score for m in others}
    text += (". Against the baselines' own online protocol (prior context), CSRO's Np score "
             f"{csro.score:.3f} compares with " + ", ".join(f"{m} {v:.3f}" for m, v in own.items()) + ".")
    return text


def ablation(table: pd.DataFrame) -> dict[str, pd.Series] | None:
    """Fig. 4's cells, from the CSRO (CLUB on) and FOCAL (CLUB off) runs."""
    if not {"CSRO", "FOCAL"} <= set(table.method):
        return None
    return {"neither (FOCAL, online prior)": _cell(table, "FOCAL", "online"),
            "CLUB only (CSRO, online prior)": _cell(table, "CSRO", "online"),
            "Np only (FOCAL, Np)": _cell(table, "FOCAL", "np"),
            "both (CSRO, Np)": _cell(table, "CSRO", "np")}


def ablation_markdown(cells: dict[str, pd.Series]) -> list[str]:
    out = ["| min-MI (CLUB) term | context collection | return (mean ± std) | score | IQM score [95% CI] |",
           "|---|---|---|---|---|"]
    for name, c in cells.items():
        club = "on" if "CSRO" in name else "off"
        coll = "Np" if "Np)" in name else "online prior"
        out.append(f"| {club} | {coll} | {c['mean']:.2f} ± {c['std']:.2f} | {c.score:.3f} | {c.iqm:.3f} "
                   f"{_fmt_ci(c.iqm_lo, c.iqm_hi, 3)} |")
    return out


def ablation_paragraph(cells: dict[str, pd.Series]) -> str:
    s = {k.split(" (")[0]: v.score for k, v in cells.items()}
    order = " < ".join(f"{k} ({v:.3f})" for k, v in sorted(s.items(), key=lambda kv: kv[1]))
    holds = s["neither"] < min(s["CLUB only"], s["Np only"]) and max(s["CLUB only"], s["Np only"]) < s["both"]
    ci = {k.split(" (")[0]: (v.iqm_lo, v.iqm_hi) for k, v in cells.items()}
    overlap = not math.isnan(ci["both"][0]) and any(
        ci["both"][0] <= ci[k][1] for k in ("CLUB only", "Np only"))
    text = f"Mean normalised scores order the four cells as {order}. "
    text += ("This is the paper's ordering (neither < each half < both)" if holds else
             "This is not the paper's ordering (neither < each half < both)")
    if overlap:
        text += ", but the IQM interval of 'both' overlaps that of a single-component cell, so the ordering is not firm"
    return text + "."


def plot_curves(runs: dict[str, list[pd.DataFrame]], ref: Reference, out: Path, title: str) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), sharey=True)
    for ax, key in zip(axes, ("np", "online", "offline")):
        col = RETURN_COLUMNS[key]
        for method, frames in runs.items():
            x, mean, lo, hi = curve_band([f["Number of train steps total"].to_numpy() for f in frames],
                                         [f[col].to_numpy() for f in frames])
            ax.plot(x, ref.score(mean), label=f"{method} ({len(frames)} seeds)")
            ax.fill_between(x, ref.score(lo), ref.score(hi), alpha=0.2)
        ax.axhline(1.0, color="k", ls="--", lw=1)
        ax.axhline(0.0, color="gray", ls=":", lw=1)
        ax.set_title(PROTOCOL_BY_KEY[key].label)
        ax.set_xlabel("gradient steps")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("normalised score (random 0, oracle 1)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{title}: mean and 95% band over seeds")
    fig.tight_layout()
    atomic_savefig(fig, out, dpi=110)
    plt.close(fig)
    return out


def plot_ablation(cells: dict[str, pd.Series], out: Path, title: str) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    names = list(cells)
    scores = [cells[n].score for n in names]
    err = [[max(cells[n].score - cells[n].iqm_lo, 0) if not math.isnan(cells[n].iqm_lo) else 0 for n in names],
           [max(cells[n].iqm_hi - cells[n].score, 0) if not math.isnan(cells[n].iqm_hi) else 0 for n in names]]
    ax.bar(range(len(names)), scores, yerr=err, capsize=4, color=["#bbb", "#8ab", "#b98", "#47a"])
    ax.set_xticks(range(len(names)), [n.replace(" (", "\n(") for n in names], fontsize=8)
    ax.set_ylabel("normalised score (bars: mean; whiskers: IQM 95% CI)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    atomic_savefig(fig, out, dpi=110)
    plt.close(fig)
    return out


def write_report(profile: str, specs: list[RunSpec], results: Path, command: str) -> Path:
    runs = load_runs(specs)
    p = PROFILES[profile]
    ref = reference_returns(specs[0].out_dir)
    if ref is None:
        raise UserError("the env has no oracle: expected point-robot")
    table = final_table(runs, p.final_iterations, ref)
    results.mkdir(parents=True, exist_ok=True)
    stem = f"point-robot-{profile}"
    curves = plot_curves(runs, ref, results / f"{stem}-curves.png", f"point-robot, {profile} profile")
    seeds = sorted({s.seed for s in specs})
    frames0 = next(iter(runs.values()))
    steps = int(frames0[0]["Number of train steps total"].iloc[-1])
    lines = [f"# Point-robot, {profile} profile: the paper's Table 1, Fig. 3 and Fig. 4 on this code", "",
             f"Made by `{command}` ({p.about}). Methods {', '.join(runs)}; seeds {seeds}; {steps:,} gradient steps "
             f"per run. A run's final return is the mean of its last {p.final_iterations} iteration(s); the normalised "
             f"score is (R − R_random) / (R_oracle − R_random) with the oracle ({ref.oracle:.2f}) and uniform-random "
             f"({ref.random:.2f}) returns of the held-out tasks. Intervals: IQM with rliable's 95% stratified bootstrap; "
             "gaps with a 95% Student-t interval over seeds. Every number below is read from the runs' progress.csv.",
             "", "## Table 1: context shift", ""] + table1_markdown(table, ref) + ["", table1_paragraph(table), "",
             "The paper's point-robot row: FOCAL −4.4 offline vs −14.9 online, OffPEARL −5.1 vs −17.8, CSRO's Np "
             "return close to its offline one.", "",
             "## Fig. 3: learning curves", "", f"![learning curves]({curves.name})", "",
             "Left: each method with the non-prior (Np) collection; middle: online collection from the prior "
             "(the baselines' own protocol); right: offline context.", "", curves_paragraph(table)]
    cells = ablation(table)
    if cells is not None:
        bars = plot_ablation(cells, results / f"{stem}-ablation.png", f"point-robot, {profile}: min-MI x Np ablation")
        lines += ["", "## Fig. 4: ablation", "", *ablation_markdown(cells), "", ablation_paragraph(cells), "",
                  f"![ablation]({bars.name})"]
    lines += ["", "## Per-seed final returns", "", "| method | protocol | " + " | ".join(f"seed {s}" for s in seeds) + " |",
              "|---|---|" + "---|" * len(seeds)]
    for _, r in table.iterrows():
        lines.append(f"| {r.method} | {PROTOCOL_BY_KEY[r.protocol].label} | " + " | ".join(f"{v:.2f}" for v in r.finals) + " |")
    out = results / f"{stem}.md"
    atomic_write_text(out, "\n".join(lines) + "\n")
    return out


# ---- the command ----------------------------------------------------------------------------------
@click.command()
@click.argument("env")
@click.option("--profile", default="demo", show_default=True, help=f"one of {list(PROFILES)}")
@click.option("--seeds", default="0,1,2", show_default=True, help="comma-separated training seeds")
@click.option("--methods", default=",".join(METHODS), show_default=True, help="comma-separated algo_types")
@click.option("--gpu", default=None, type=int, help="CUDA device (-1: the CPU; default: CUDA device 0 when available)")
@click.option("--capture", is_flag=True,
              help="CUDA-graph capture of the training steps (off by default until checked on a GPU; README)")
@click.option("--jobs", default=1, show_default=True, help="runs trained at once, each in its own process")
@click.option("--threads", default=None, type=int, help="torch threads per run (default: cores / jobs)")
@click.option("--out", default="output/reproduce", show_default=True, help="where the runs go")
@click.option("--results", default="docs/results", show_default=True, help="where the report goes")
@click.option("--data_dir", default=None, help="behaviour data folder (default: the profile config's data_dir)")
@click.option("--report-only", is_flag=True, help="write the report from the finished runs; train nothing")
def main(env: str, profile: str, seeds: str, methods: str, gpu: int | None, capture: bool, jobs: int,
         threads: int | None, out: str, results: str, data_dir: str | None, report_only: bool) -> None:
    """Train every method x seed of PROFILE on ENV's data and write the paper-style report."""
    if env not in ENVS:
        raise UserError(f"unknown env {env!r}: expected one of {list(ENVS)}")
    if profile not in PROFILES:
        raise UserError(f"unknown profile {profile!r}: expected one of {list(PROFILES)}")
    seed_list = sorted(parse_list("--seeds", seeds, minimum=0, duplicates="drop"))
    method_list = parse_list("--methods", methods, choices=METHODS, duplicates="drop")
    if jobs < 1:
        raise UserError(f"--jobs {jobs}: expected >= 1")
    if threads is not None and threads < 1:
        raise UserError(f"--threads {threads}: expected >= 1")
    p = PROFILES[profile]
    from rlkit.torch import graphs
    graphs.request_capture(capture)
    device = select_device(gpu)
    print(f"reproduce {env} --profile {profile}: device {device} ({graphs.describe(graphs.capture_on(), device)})")
    threads = threads or max(1, (os.cpu_count() or 1) // jobs)
    specs = run_specs(profile, method_list, seed_list, Path(out), threads, gpu, Path(data_dir) if data_dir else None)
    states = [check_existing(s) for s in specs]  # every folder checked before anything trains
    todo = [s for s, state in zip(specs, states) if state != "finished"]
    command = f"python -m rlkit.reproduce {env} --profile {profile} --seeds {seeds} --methods {methods}"
    if report_only:
        missing = [f"{s.method} seed {s.seed}" for s in todo]
        if missing:
            raise UserError(f"--report-only: runs not finished: {missing}; expected every run finished")
    else:
        cfg = load_config(REPO_ROOT / p.config, specs[0].overrides)
        from rlkit.behaviour import generate, load_sac_config
        n = cfg.env_params.n_tasks
        generate(cfg.env_name, cfg.env_params.kwargs(), Path(cfg.algo_params.data_dir), list(range(n)), p.sac_config,
                 load_sac_config(p.sac_config, []), device)
        print(f"{len(specs)} runs: {states.count('finished')} finished, {states.count('resume')} to resume, "
              f"{states.count('new')} new")
        if jobs == 1:
            for s in todo:
                print(train_one(s), flush=True)
        else:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=die_with_parent,
                                     initargs=(os.getpid(),)) as pool:
                for line in pool.map(train_one, todo):
                    print(line, flush=True)
    path = write_report(profile, specs, Path(results), command)
    print(f"wrote {path}")


if __name__ == "__main__":
    run_cli(main)
