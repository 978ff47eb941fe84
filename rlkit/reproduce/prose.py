"""The paragraphs that follow the report's tables: which of the paper's claims the numbers support,
and how firmly their intervals allow; every sentence is read off the tables (`rlkit.reproduce.tables`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rlkit.logging import RETURN_COLUMNS
from rlkit.reproduce.tables import _cell, _fmt_ci, gap, gap_per_seed, paired_difference, seed_difference

# The paper's Table 1 (returns, offline vs online-prior context), per env where the paper gives the row
PAPER_TABLE1: dict[str, dict[str, tuple[float, float]]] = {
    "point-robot": {"FOCAL": (-4.4, -14.9), "OFFPEARL": (-5.1, -17.8)},
}


def paper_row_sentence(env: str) -> str:
    row = PAPER_TABLE1.get(env)
    if row is None:
        return f"This report has no row of the paper's Table 1 for {env} to compare with."
    return (
        f"The paper's {env} row: "
        + ", ".join(f"{m} {off} offline vs {on} online" for m, (off, on) in row.items())
        + "; CSRO's Np return close to its offline one."
    )


def _change(gap: float) -> str:
    """A gap (offline return minus another protocol's) as what the other protocol does to the return."""
    return f"loses {gap:.2f}" if gap >= 0 else f"gains {-gap:.2f}"


def context_blind(table: pd.DataFrame, method: str) -> bool:
    """True when the three protocols give the same final return on every seed: the method's z does not
    depend on its context at all (e.g. a saturated encoder), so context shift cannot show."""
    finals = [_cell(table, method, k).finals for k in RETURN_COLUMNS]
    return all(np.allclose(finals[0], f, rtol=0, atol=1e-6) for f in finals[1:])


# Below this best offline score no method has learned the tasks: a gap between protocols is then mostly noise
# around a weak policy, and the report says that it does not test the paper's claims.
LEARNED_SCORE = 0.5


def not_learned_sentence(table: pd.DataFrame, still: float | None = None) -> str | None:
    """One sentence when every method's offline score is below `LEARNED_SCORE`, or (`still`: the zero-action
    return's score, where known) not above a body that does nothing, or when doing nothing scores above the top
    reference itself (a scale whose top is worse than standing still says nothing of learning); else None."""
    if still is not None and still >= 1:
        return (
            f"{SCALE_PREFIX} at this profile**: doing nothing scores {still:.3f}, "
            "above the top reference (1), so the data's best policy does worse than standing still; the gaps below "
            "compare policies on that scale and do not test the paper's claims, whichever way they point."
        )
    best = max(float(_cell(table, m, "offline").score) for m in dict.fromkeys(table.method))
    below_still = still is not None and best <= still
    if best >= LEARNED_SCORE and not below_still:
        return None
    why = f"{best:.3f} (below {LEARNED_SCORE})" if best < LEARNED_SCORE else f"{best:.3f}"
    if below_still:
        why += f", not above the zero-action return's score ({still:.3f}): no method does better than doing nothing"
    return (
        f"**No method has learned the tasks at this profile**: the best offline score is {why}, so every return "
        "is far from the top reference and the gaps below compare weak policies; they do not test the paper's "
        "claims, whichever way they point."
    )


def table1_paragraph(
    table: pd.DataFrame,
    paper: dict[str, tuple[float, float]],
    collapsed: frozenset[str] = frozenset(),
    still: float | None = None,
) -> str:
    """Which of Table 1's claims the numbers support, and how firmly; `paper`: the paper's returns of the env
    (offline, online-prior) per baseline, where it gives them; `collapsed`: the methods whose z the collapse guard
    flags on every seed (`collapse_section`); `still`: the zero-action return's score, where known."""
    methods = list(dict.fromkeys(table.method))
    blind = [m for m in methods if context_blind(table, m)]
    weak = not_learned_sentence(table, still)
    parts = [weak] if weak else []
    for m in [m for m in methods if m != "CSRO"]:  # the paper's Table 1 has FOCAL and OffPEARL; every baseline here
        if m in collapsed and m not in blind:
            parts.append(
                f"{m}'s z is flagged as collapsed on every seed (below): its gap from offline to online-prior context "
                f"({gap(table, m, 'online')[0]:.2f}; offline return {_cell(table, m, 'offline')['mean']:.2f}) "
                "measures a task-blind policy, not context shift."
            )
            continue
        if m in blind:
            parts.append(
                f"{m}'s three protocols give the same return on every seed ({_cell(table, m, 'offline')['mean']:.2f} "
                "on average): its z does not depend on the context, so there is no context shift to measure"
                + (f" (the paper's offline return: {paper[m][0]})" if m in paper else "")
                + "; this baseline is not reproduced at this profile."
            )
            continue
        mean, lo, hi = gap(table, m, "online")
        if math.isnan(lo):
            verdict = "one seed, so no interval"
        elif weak:
            verdict = f"the interval {'includes' if lo <= 0 <= hi else 'excludes'} 0, {_weak_words(weak)} (above)"
        elif lo > 0:
            verdict = "the interval excludes 0: context shift reproduced"
        elif hi < 0:
            verdict = "the interval lies below 0: the opposite of context shift"
        else:
            verdict = "the interval includes 0: not established at this number of seeds"
        parts.append(
            f"{m} {_change(mean)} return from offline to online-prior context (95% CI of the loss {_fmt_ci(lo, hi)}"
            + (f"; the paper's loss {paper[m][0] - paper[m][1]:.1f}" if m in paper else "")
            + f"): {verdict}."
        )
    if "CSRO" in methods:
        parts.append(_csro_gap_sentence(table, methods, blind, collapsed, weak))
    return " ".join(parts)


def _csro_gap_sentence(
    table: pd.DataFrame, methods: list[str], blind: list[str], collapsed: frozenset[str], weak: str | None
) -> str:
    """Table 1's claim: CSRO loses less return from offline to Np than each baseline from offline to its own online
    protocol, judged per baseline by the per-seed difference of the two losses (its 95% t-interval above 0)."""
    if "CSRO" in blind or "CSRO" in collapsed:
        why = "gives the same return in its three protocols" if "CSRO" in blind else "is flagged as collapsed"
        return f"CSRO's z {why} on every seed, so its gaps measure no use of context: the paper's claim is not tested."
    np_gap, lo, hi = gap(table, "CSRO", "np")
    on_gap = gap(table, "CSRO", "online")[0]
    text = (
        f"CSRO {_change(np_gap)} return from offline to Np (95% CI of the loss {_fmt_ci(lo, hi)}), and "
        f"{_change(on_gap)} with online-prior context"
    )
    others = [m for m in methods if m != "CSRO" and m not in blind and m not in collapsed]
    if not others:
        return text + "; no baseline whose z uses its context to compare with."
    csro_loss = gap_per_seed(table, "CSRO", "np")
    diffs = {m: paired_difference(seed_difference(gap_per_seed(table, m, "online"), csro_loss)) for m in others}
    text += ". Each baseline's online-prior loss minus CSRO's Np loss, paired by seed (95% CI): " + ", ".join(
        f"{m} {d:.2f} {_fmt_ci(lo, hi)}" for m, (d, lo, hi) in diffs.items()
    )
    if any(math.isnan(lo) for _, lo, _ in diffs.values()):
        return text + "; with one seed there is no interval, so the paper's claim is not tested."
    if weak:
        return text + f"; {_weak_words(weak)} (above), these say nothing about the paper's claim."
    larger = [m for m, (_, _, hi) in diffs.items() if hi < 0]
    unsettled = [m for m, (_, lo, hi) in diffs.items() if lo <= 0 <= hi]
    if larger:
        return text + f". CSRO loses more than {', '.join(larger)}: the paper's claim is not reproduced here."
    if unsettled:
        return (
            text + f". Against {', '.join(unsettled)} the interval includes 0: the paper's claim that CSRO's Np return "
            "stays closer to its offline one is not established at this number of seeds."
        )
    return (
        text + ". Every interval lies above 0: the paper's claim that CSRO's Np return stays closer to its offline one "
        "than the baselines' online returns to theirs holds here."
    )


def collapse_section(warnings: dict[str, dict[int, str]], unmeasured: int = 0, runs: int = 0) -> list[str]:
    """The collapse guard's flags at each run's last iteration (`rlkit.logging.collapse_warning`), per method;
    `unmeasured` of the `runs` had no spread to measure (NaN: one task in a meta-batch, or BOREL's one sequence a
    task; or no spread columns: a progress.csv written before they existed)."""
    if runs and unmeasured == runs:
        return [
            "The guard measured nothing: z's spread across tasks needs two tasks (and BOREL's within a task two "
            "sequences of it), and no run had them (its columns are NaN, or absent from a progress.csv older than "
            "them)."
        ]
    flagged = {m: w for m, w in warnings.items() if w}
    note = (
        [
            f"{unmeasured} of the {runs} runs had no spread to measure (one task, one sequence a task, or a "
            "progress.csv older than the spread columns)."
        ]
        if unmeasured
        else []
    )
    if not flagged:
        return [
            "No run's z is flagged as collapsed at its last iteration (across-task spread of z well above its "
            f"within-task spread on every run{' measured' if unmeasured else ''})."
        ] + note
    return [
        f"- **{m}**, seed{'s' if len(w) > 1 else ''} {', '.join(map(str, w))}: {next(iter(w.values()))}"
        for m, w in flagged.items()
    ] + note


WEAK_CAVEAT = " No method has learned the tasks (Table 1's paragraph): this does not test the paper's claim."
SCALE_PREFIX = "**The normalised score does not measure learning"
SCALE_CAVEAT = (
    " The normalised score does not measure learning here (Table 1's paragraph): this does not test the paper's claim."
)


def caveat(sentence: str | None) -> str:
    """The caveat the curves and ablation paragraphs end in after `not_learned_sentence`'s `sentence` ("": none)."""
    if not sentence:
        return ""
    return SCALE_CAVEAT if sentence.startswith(SCALE_PREFIX) else WEAK_CAVEAT


def _weak_words(sentence: str | None) -> str:
    """How Table 1's verdicts name the policies they compare after `not_learned_sentence`'s `sentence`."""
    if (sentence or "").startswith(SCALE_PREFIX):
        return "on a score that does not measure learning"
    return "between weak policies"


def curves_paragraph(table: pd.DataFrame, weak: str = "") -> str:
    """Fig. 3's claim: with the same (Np) collection, and with each method's own protocol, CSRO ends highest
    (`weak`: the `caveat` to end in where no method has learned the tasks, `not_learned_sentence`)."""
    methods = list(dict.fromkeys(table.method))
    np_cells = {m: _cell(table, m, "np") for m in methods}
    text = (
        "Final Np scores (IQM [95% CI]): "
        + ", ".join(f"{m} {c.iqm:.3f} {_fmt_ci(c.iqm_lo, c.iqm_hi, 3)}" for m, c in np_cells.items())
        + ". "
    )
    if "CSRO" not in methods or len(methods) < 2:  # no ranking to claim; the scores still need the caveat
        return text.rstrip() + weak
    csro = np_cells["CSRO"]
    others = [m for m in methods if m != "CSRO"]
    best = all(csro.score > np_cells[m].score for m in others)
    text += "CSRO has the highest mean Np score" if best else "CSRO does not have the highest mean Np score"
    diffs = {m: paired_difference(seed_difference(csro.finals, np_cells[m].finals)) for m in others}
    text += "; its Np return minus each baseline's, paired by seed (95% CI): " + ", ".join(
        f"{m} {d:.2f} {_fmt_ci(lo, hi)}" for m, (d, lo, hi) in diffs.items()
    )
    if any(math.isnan(lo) for _, lo, _ in diffs.values()):
        text += "; with one seed there is no interval, so the ranking is not tested"
    else:
        said = {
            "above": [m for m, (_, lo, _) in diffs.items() if lo > 0],
            "below": [m for m, (_, _, hi) in diffs.items() if hi < 0],
            "not established against": [m for m, (_, lo, hi) in diffs.items() if lo <= 0 <= hi],
        }
        text += ": " + "; ".join(f"{word} {', '.join(ms)}" for word, ms in said.items() if ms)
        if not said["above"] and not said["below"]:
            text += " (the ranking is not established at this number of seeds)"
    own = {m: _cell(table, m, "online").score for m in others}
    text += (
        ". Against the baselines' own online protocol (prior context), CSRO's Np score "
        f"{csro.score:.3f} compares with " + ", ".join(f"{m} {v:.3f}" for m, v in own.items()) + "."
    )
    return text + weak


def ablation_paragraph(cells: dict[str, pd.Series], weak: str = "") -> str:
    """Fig. 4's claim: each of min-MI and Np collection helps, and both most (`weak`: as `curves_paragraph`)."""
    s = {k.split(" (")[0]: v.score for k, v in cells.items()}
    ranked = sorted(s.items(), key=lambda kv: kv[1])
    order = (
        f"{ranked[0][0]} ({ranked[0][1]:.3f})"
        + "".join(  # (cells of one printed score are "=", not "<")
            f" {'=' if f'{v:.3f}' == f'{u:.3f}' else '<'} {k} ({v:.3f})"
            for (_, u), (k, v) in zip(ranked, ranked[1:], strict=False)
        )
    )
    holds = s["neither"] < min(s["CLUB only"], s["Np only"]) and max(s["CLUB only"], s["Np only"]) < s["both"]
    cell = {k.split(" (")[0]: v for k, v in cells.items()}
    diffs = {
        k: paired_difference(seed_difference(cell["both"].finals, cell[k].finals)) for k in ("CLUB only", "Np only")
    }
    text = f"Mean normalised scores order the four cells as {order}. "
    text += (
        "This is the paper's ordering (neither < each half < both)"
        if holds
        else "This is not the paper's ordering (neither < each half < both)"
    )
    text += "; 'both' minus each single-component cell in return (not score), paired by seed (95% CI): " + ", ".join(
        f"{k} {d:.2f} {_fmt_ci(lo, hi)}" for k, (d, lo, hi) in diffs.items()
    )
    if any(math.isnan(lo) for _, lo, _ in diffs.values()):
        text += ", with one seed no interval, so the ordering is not tested"
    elif any(lo <= 0 for _, lo, _ in diffs.values()):
        text += ", an interval including 0 or below it, so the ordering is not firm"
    return text + "." + weak
