"""The report's numbers: per method and protocol, the runs' final returns, normalised scores with
their IQM interval, and the offline-minus-protocol gaps; in Table 1's and Fig. 4's markdown form."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rlkit.errors import UserError
from rlkit.logging import PROTOCOL_BY_KEY, RETURN_COLUMNS
from rlkit.report import Reference, check_meta_tested, read_progress
from rlkit.reproduce.plan import RunSpec
from rlkit.stats import iqm_interval, t_interval


def load_runs(specs: list[RunSpec]) -> dict[str, list[pd.DataFrame]]:
    """Each method's runs' progress tables, in the specs' order; runs of different lengths are a UserError (each
    run's final return averages its own last rows, so a run continued further would be read at another point), and
    so are methods of other seeds or seeds in another order than ascending (the report pairs the methods' runs seed
    with seed by position, and heads its per-seed table with the sorted seeds)."""
    seeds: dict[str, list[int]] = {}
    for s in specs:
        seeds.setdefault(s.method, []).append(s.seed)
    first = next(iter(seeds.values()), [])
    if any(v != sorted(first) for v in seeds.values()):
        told = "; ".join(f"{m} {v}" for m, v in seeds.items())
        raise UserError(f"the runs' seeds are {told}: expected the same seeds for every method, in ascending order")
    runs: dict[str, list[pd.DataFrame]] = {}
    lengths: dict[int, list[str]] = {}
    for s in specs:
        progress = read_progress(s.out_dir)
        check_meta_tested(progress, s.out_dir)
        runs.setdefault(s.method, []).append(progress)
        lengths.setdefault(len(progress), []).append(f"{s.method} seed {s.seed}")
    if len(lengths) > 1:
        told = "; ".join(f"{n} in {', '.join(who)}" for n, who in sorted(lengths.items()))
        raise UserError(
            f"the runs hold different numbers of iterations ({told}): expected runs of one length, whose final "
            "returns average the same iterations; finish the shorter ones or report the others apart (--results)"
        )
    return runs


def final_table(runs: dict[str, list[pd.DataFrame]], last: int, ref: Reference) -> pd.DataFrame:
    """One row per (method, protocol): per-seed final returns and their summaries."""
    rows = []
    for method, frames in runs.items():
        short = [len(f) for f in frames if len(f) < last]
        if short:
            raise UserError(
                f"{method} has a run of {short[0]} progress rows: expected at least the last {last} that every "
                "run's final return averages"
            )
        for key, col in RETURN_COLUMNS.items():
            finals = np.array([f[col].tail(last).mean() for f in frames])
            scores = ref.score(finals)
            iqm, lo, hi = iqm_interval(scores)
            rows.append(
                {
                    "method": method,
                    "protocol": key,
                    "finals": finals,
                    "mean": finals.mean(),
                    "std": finals.std(ddof=1) if len(finals) > 1 else math.nan,  # (one seed: no spread)
                    "score": scores.mean(),
                    "iqm": iqm,
                    "iqm_lo": lo,
                    "iqm_hi": hi,
                }
            )
    return pd.DataFrame(rows)


def _cell(table: pd.DataFrame, method: str, protocol: str) -> pd.Series:
    return table[(table.method == method) & (table.protocol == protocol)].iloc[0]


def _fmt_std(std: float) -> str:
    return "n/a (1 seed)" if math.isnan(std) else f"{std:.2f}"


def _fmt_bound(x: float, digits: int) -> str:
    """`x` to `digits` decimals, or to `digits` significant digits where that would read 0 for a bound that is not:
    a verdict read off its sign ("the interval excludes 0") is not printed beside "[0.00, ...]"."""
    x += 0.0  # (-0.0 read as 0)
    text = f"{x:.{digits}f}"
    return f"{x:.{digits}g}" if float(text) == 0 and x != 0 else text


def _fmt_ci(lo: float, hi: float, digits: int = 2) -> str:
    return "n/a (1 seed)" if math.isnan(lo) else f"[{_fmt_bound(lo, digits)}, {_fmt_bound(hi, digits)}]"


def paired_difference(d: np.ndarray) -> tuple[float, float, float]:
    """Per-seed differences (the runs of one seed paired: every method has the same seeds, in the same order):
    their mean and 95% Student-t interval (nan with one seed). The verdicts of the report's paragraphs are read
    off such intervals, not off the overlap of two IQM bootstrap intervals, which with 3 seeds cover far less
    than 95% (the trimmed mean of 3 values is their mean, and a percentile bootstrap of 3 undercovers)."""
    lo, hi = t_interval(d)
    return float(np.mean(d)), lo, hi


def seed_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a - b per seed, for two cells of the same seeds in the same order (`paired_difference`)."""
    if len(a) != len(b):
        raise UserError(f"{len(a)} and {len(b)} seeds: expected the same seeds for every method, to pair them")
    return np.asarray(a) - np.asarray(b)


def gap_per_seed(table: pd.DataFrame, method: str, protocol: str) -> np.ndarray:
    """Offline minus `protocol` return of `method`, per seed: what it loses to context shift."""
    return seed_difference(_cell(table, method, "offline").finals, _cell(table, method, protocol).finals)


def gap(table: pd.DataFrame, method: str, protocol: str) -> tuple[float, float, float]:
    """Offline minus `protocol` return per seed: mean and 95% t-interval."""
    return paired_difference(gap_per_seed(table, method, protocol))


STILL = "zero action (the centre of the action box: the body does nothing)"


def table1_markdown(table: pd.DataFrame, ref: Reference) -> list[str]:
    out = [
        "| method | protocol | return (mean ± std) | score | IQM score [95% CI] | offline − this protocol [95% CI] |",
        "|---|---|---|---|---|---|",
    ]
    for method in dict.fromkeys(table.method):
        for key in RETURN_COLUMNS:
            c = _cell(table, method, key)
            g = "" if key == "offline" else f"{gap(table, method, key)[0]:.2f} {_fmt_ci(*gap(table, method, key)[1:])}"
            out.append(
                f"| {method} | {PROTOCOL_BY_KEY[key].label} | {c['mean']:.2f} ± {_fmt_std(c['std'])} | {c.score:.3f} | "
                f"{c.iqm:.3f} {_fmt_ci(c.iqm_lo, c.iqm_hi, 3)} | {g} |"
            )
    out.append(f"| {ref.top} | | {ref.oracle:.2f} | 1 | | |")
    out.append(f"| uniform random | | {ref.random:.2f} | 0 | | |")
    if ref.still is not None:
        out.append(f"| {STILL} | | {ref.still:.2f} | {ref.still_score:.3f} | | |")
    return out


def table2_markdown(table: pd.DataFrame) -> list[str] | None:
    """Table 2's form: each baseline with its own online protocol (context collected from the prior) next to the
    same baseline with CSRO's non-prior (Np) collection, against CSRO with Np; returns (mean over seeds) with
    the normalised IQM score and its interval. None without CSRO or without a baseline."""
    methods = [m for m in dict.fromkeys(table.method) if m != "CSRO"]
    if "CSRO" not in set(table.method) or not methods:
        return None

    def cell(method: str, protocol: str) -> str:
        c = _cell(table, method, protocol)
        return f"{c['mean']:.2f} ({c.iqm:.3f} {_fmt_ci(c.iqm_lo, c.iqm_hi, 3)})"

    out = [
        "| baseline | its own protocol: online, prior context | with Np collection | CSRO with Np |",
        "|---|---|---|---|",
    ]
    out += [f"| {m} | {cell(m, 'online')} | {cell(m, 'np')} | {cell('CSRO', 'np')} |" for m in methods]
    return out


def ablation(table: pd.DataFrame) -> dict[str, pd.Series] | None:
    """Fig. 4's cells, from the CSRO (CLUB on) and FOCAL (CLUB off) runs."""
    if not {"CSRO", "FOCAL"} <= set(table.method):
        return None
    return {
        "neither (FOCAL, online prior)": _cell(table, "FOCAL", "online"),
        "CLUB only (CSRO, online prior)": _cell(table, "CSRO", "online"),
        "Np only (FOCAL, Np)": _cell(table, "FOCAL", "np"),
        "both (CSRO, Np)": _cell(table, "CSRO", "np"),
    }


def ablation_markdown(cells: dict[str, pd.Series]) -> list[str]:
    out = [
        "| min-MI (CLUB) term | context collection | return (mean ± std) | score | IQM score [95% CI] |",
        "|---|---|---|---|---|",
    ]
    for name, c in cells.items():
        club = "on" if "CSRO" in name else "off"
        coll = "Np" if "Np)" in name else "online prior"
        out.append(
            f"| {club} | {coll} | {c['mean']:.2f} ± {_fmt_std(c['std'])} | {c.score:.3f} | {c.iqm:.3f} "
            f"{_fmt_ci(c.iqm_lo, c.iqm_hi, 3)} |"
        )
    return out
