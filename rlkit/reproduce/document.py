"""The report, docs/results/<env>-<profile>.md: the tables, their paragraphs and the figures,
put together from the finished runs' progress.csv."""

from __future__ import annotations

import math
from pathlib import Path

from rlkit.data.meta import numerics_text
from rlkit.errors import UserError
from rlkit.fileio import atomic_write_text, make_folder
from rlkit.logging import PROTOCOL_BY_KEY, SPREAD_COLUMNS, TRAIN_STEPS, collapse_warning
from rlkit.report import data_reference
from rlkit.reproduce.figures import plot_ablation, plot_curves
from rlkit.reproduce.plan import RunSpec, profile
from rlkit.reproduce.prose import (
    PAPER_TABLE1,
    ablation_paragraph,
    caveat,
    collapse_section,
    curves_paragraph,
    not_learned_sentence,
    paper_row_sentence,
    table1_paragraph,
)
from rlkit.reproduce.tables import (
    ablation,
    ablation_markdown,
    final_table,
    load_runs,
    table1_markdown,
    table2_markdown,
)
from rlkit.run_folder import DATA_PRINT_FILE, read_code_record, read_data_print


def intervals_sentence(n_seeds: int) -> str:
    """How the report's intervals are made, and how far to trust the bootstrap's at `n_seeds` seeds."""
    cover = "far less than 95%" if n_seeds <= 4 else "less than 95%"  # (up to 4: the runs' range, `iqm_lines`)
    return (
        f"Intervals: IQM with rliable's 95% stratified bootstrap (shown; with {n_seeds} seed"
        f"{'s' if n_seeds != 1 else ''} it covers {cover}); gaps and every comparison the paragraphs make with a "
        "95% Student-t interval of the per-seed differences (the runs of one seed paired)."
    )


def code_sentence(specs: list[RunSpec]) -> str:
    """Which code trained the runs (each run's `code.json`): the git commit, package versions, torch's thread count
    and CPU capability (where recorded), once when every
    run was trained by one from its start, else each version with the runs (and from where) it trained, and what
    no record covers (runs, or their parts, trained before code.json was kept)."""

    def start(e: dict) -> str | None:  # where an entry's code took over, None at the run's very start
        return e.get("from_stage") or (f"iteration {e['from_iteration']}" if e.get("from_iteration", 0) else None)

    users: dict[str, list[str]] = {}
    unrecorded = []
    for s in specs:
        record, run = read_code_record(s.out_dir), f"{s.method} seed {s.seed}"
        if not record or start(record[0]):
            unrecorded.append(run + (f" before {start(record[0])}" if record else ""))
        for e in record:
            versions = ", ".join(f"{k} {v}" for k, v in sorted(e.get("versions", {}).items()))
            code = f"git {e['revision']}" if e.get("revision") else "code of unknown revision"
            numerics = f"; {numerics_text(e)}" if "threads" in e and "cpu" in e else ""  # (recorded since 2026-12-06)
            where = f" from {start(e)}" if start(e) else ""
            users.setdefault(f"{code} ({versions}{numerics})", []).append(run + where)
    parts = []
    if len(users) == 1 and not unrecorded:
        parts.append(f"Every run was trained by {next(iter(users))}.")
    elif users:
        parts.append("Trained by " + "; ".join(f"{c}: {', '.join(r)}" for c, r in users.items()) + ".")
    if unrecorded:
        parts.append(f"Not recorded (trained before code.json was kept): {', '.join(unrecorded)}.")
    return " ".join(parts)


def config_sentence(specs: list[RunSpec]) -> str | None:
    """The runs whose config (variant.json) differs from what the profile gives today, with the differences (a
    report of finished runs reads them as they were made, `iterations_of(as_made=True)`); None when none does."""
    from rlkit.fileio import read_json_object
    from rlkit.run_folder import config_differences

    differing: dict[tuple[str, str], list[str]] = {}
    for s in specs:
        made = read_json_object(s.out_dir / "variant.json", "the config the run wrote")
        diff = "; ".join(config_differences(made, dict(s.load_config().to_dict(), seed=s.seed)))
        if diff:
            differing.setdefault((s.method, diff), []).append(str(s.seed))
    if not differing:
        return None
    runs = "; ".join(
        f"{method} seed{'s' if len(seeds) > 1 else ''} {', '.join(seeds)} ({diff})"
        for (method, diff), seeds in differing.items()
    )
    return f"Runs of another config than this profile's today, read as they were made (as made -> today): {runs}."


def same_data(specs: list[RunSpec]) -> None:
    """A UserError unless every run that recorded its data (`dataset.json`) was trained on the same data by content:
    a report compares methods on one dataset (a run kept from before the data was made again may differ)."""
    digests: dict[str, list[str]] = {}
    for s in specs:
        if (s.out_dir / DATA_PRINT_FILE).is_file():
            digest = read_data_print(s.out_dir / DATA_PRINT_FILE)["digest"]
            digests.setdefault(digest, []).append(f"{s.method} seed {s.seed}")
    if len(digests) > 1:
        groups = "; ".join(f"{', '.join(runs)} on data {d[:12]}" for d, runs in digests.items())
        raise UserError(
            f"the runs were trained on different data ({groups}): expected one dataset for a report; retrain the "
            "runs of the other data (remove their folders) or use another --out"
        )


def write_report(env: str, profile_name: str, specs: list[RunSpec], results: Path, command: str) -> Path:
    same_data(specs)
    runs = load_runs(specs)
    warnings: dict[str, dict[int, str]] = {}
    unmeasured = 0  # runs whose last row has no spread (a meta-batch of one task; a run older than the columns)
    for method, frames in runs.items():  # load_runs keeps the specs' order within a method
        unmeasured += sum(math.isnan(f.iloc[-1].get(SPREAD_COLUMNS[1], math.nan)) for f in frames)
        seeds = [s.seed for s in specs if s.method == method]
        flags = {seed: collapse_warning(f.iloc[-1].to_dict()) for seed, f in zip(seeds, frames, strict=True)}
        warnings[method] = {seed: flag for seed, flag in flags.items() if flag}
    collapsed = frozenset(m for m, w in warnings.items() if len(w) == sum(s.method == m for s in specs))
    p = profile(env, profile_name)
    ref = data_reference(specs[0].out_dir, specs[0].load_config().algo_params.data_dir)  # (the data as it is now)
    table = final_table(runs, p.final_iterations, ref)
    weak = caveat(not_learned_sentence(table, ref.still_score))
    make_folder(results)
    stem = f"{env}-{profile_name}"
    curves = plot_curves(runs, ref, results / f"{stem}-curves.png", f"{env}, {profile_name} profile")
    seeds = sorted({s.seed for s in specs})
    frames0 = next(iter(runs.values()))
    steps = int(frames0[0][TRAIN_STEPS].iloc[-1])
    other_config = config_sentence(specs)
    lines = (
        [
            f"# {env}, {profile_name} profile: the paper's Table 1, Fig. 3 and Fig. 4 on this code",
            "",
            f"Made by `{command}` ({p.about}). Methods {', '.join(runs)}; seeds {seeds}; {steps:,} gradient steps "
            f"per run. A run's final return is the mean of its last {p.final_iterations} iteration(s); the normalised "
            f"score is (R − R_random) / (R_top − R_random), with R_top the {ref.top} ({ref.oracle:.2f}) and "
            f"R_random the uniform-random return ({ref.random:.2f}), both on the held-out tasks. "
            f"{intervals_sentence(len(seeds))} Every number below is read from the runs' progress.csv.",
            "",
            code_sentence(specs),
            "",
            *([other_config, ""] if other_config else []),
            "## Table 1: context shift",
            "",
        ]
        + table1_markdown(table, ref)
        + [
            "",
            table1_paragraph(table, PAPER_TABLE1.get(env, {}), collapsed, ref.still_score),
            "",
            paper_row_sentence(env),
            "",
            'The collapse guard (docs/algorithm.md, "When the tanh encoder collapses, and the guard"), at each run\'s '
            "last iteration:",
            "",
            *collapse_section(warnings, unmeasured, len(specs)),
            "",
            "## Fig. 3: learning curves",
            "",
            f"![learning curves]({curves.name})",
            "",
            "Left: each method with the non-prior (Np) collection; middle: online collection from the prior "
            "(the baselines' own protocol); right: offline context.",
            "",
            curves_paragraph(table, weak),
        ]
    )
    table2 = table2_markdown(table)
    if table2 is not None:
        lines += [
            "",
            "## Table 2: each baseline with its own protocol and with Np collection",
            "",
            *table2,
            "",
            "Returns (mean over seeds), with the IQM normalised score and its 95% interval in brackets.",
        ]
    cells = ablation(table)
    if cells is not None:
        bars = plot_ablation(
            cells, ref, results / f"{stem}-ablation.png", f"{env}, {profile_name}: min-MI x Np ablation"
        )
        lines += [
            "",
            "## Fig. 4: ablation",
            "",
            *ablation_markdown(cells),
            "",
            ablation_paragraph(cells, weak),
            "",
            f"![ablation]({bars.name})",
        ]
    lines += [
        "",
        "## Per-seed final returns",
        "",
        "| method | protocol | " + " | ".join(f"seed {s}" for s in seeds) + " |",
        "|---|---|" + "---|" * len(seeds),
    ]
    for _, r in table.iterrows():
        lines.append(
            f"| {r.method} | {PROTOCOL_BY_KEY[r.protocol].label} | " + " | ".join(f"{v:.2f}" for v in r.finals) + " |"
        )
    out = results / f"{stem}.md"
    atomic_write_text(out, "\n".join(lines) + "\n")
    return out
