"""Re-read the verdict paragraphs of a report in docs/results/ with the current prose code (rlkit.reproduce.prose),
from the report's own per-seed final returns, where its runs are not on this machine to write it anew.

    python scripts/reread_report_prose.py docs/results/point-robot-demo.md [--write]

The report's per-seed table holds the final returns rounded to 0.01, so a re-read interval can differ from one
computed from the runs in its last digit; the paragraphs it replaces (Table 1's, Fig. 3's and Fig. 4's) and the
header's line on intervals are printed as a diff, and written with --write, with a note saying so. Tables,
figures and every other line stay as the runs wrote them.
"""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rlkit.cli import run_cli  # noqa: E402
from rlkit.errors import UserError  # noqa: E402
from rlkit.fileio import atomic_write_text  # noqa: E402
from rlkit.logging import PROTOCOL_BY_KEY  # noqa: E402
from rlkit.report import Reference  # noqa: E402
from rlkit.reproduce.document import intervals_sentence  # noqa: E402
from rlkit.reproduce.prose import (  # noqa: E402
    PAPER_TABLE1,
    ablation_paragraph,
    caveat,
    curves_paragraph,
    not_learned_sentence,
    table1_paragraph,
)
from rlkit.reproduce.tables import STILL, ablation  # noqa: E402

NOTE = (
    "*The verdict paragraphs of Table 1, Fig. 3 and Fig. 4 were re-read on {date} by `scripts/reread_report_prose.py` "
    "from the per-seed returns below (rounded to 0.01), with the per-seed paired differences the report now uses; the "
    "runs were not retrained, and every table and figure is as they wrote it.*"
)
OLD_INTERVALS = "Intervals: IQM with rliable's 95% stratified bootstrap; gaps with a 95% Student-t interval over seeds."
WRITTEN_INTERVALS = re.compile(r"Intervals: IQM with rliable's 95% stratified bootstrap \(shown; .*? paired\)\.")


def _rows(lines: list[str], heading: str) -> list[list[str]]:
    start = lines.index(heading) + 1
    rows = []
    for line in lines[start:]:
        if line.startswith("## "):
            break
        if line.startswith("| ") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:]  # (the header)


def table_of(lines: list[str]) -> tuple[pd.DataFrame, Reference, frozenset[str]]:
    """The final table (finals per method and protocol, scores), the reference returns and the collapsed methods,
    from a report's own lines."""
    label = {p.label: k for k, p in PROTOCOL_BY_KEY.items()}
    per_seed = _rows(lines, "## Per-seed final returns")
    refs = [r for r in _rows(lines, "## Table 1: context shift") if r[1] == ""]
    top = next(r for r in refs if r[3] == "1")
    random = next(r for r in refs if r[3] == "0")
    still = next((float(r[2]) for r in refs if r[0] == STILL), None)
    ref = Reference(float(top[2]), float(random[2]), top[0], still)
    written = {(r[0], r[1]): r for r in _rows(lines, "## Table 1: context shift") if r[1] != ""}
    rows = []
    for method, protocol, *finals in per_seed:
        cell = written[(method, protocol)]  # mean ± std, score, IQM [lo, hi] as the runs gave them
        iqm = [float(v) for v in re.findall(r"-?\d+\.\d+|nan", cell[4])] + [float("nan")] * 2
        rows.append(
            {
                "method": method,
                "protocol": label[protocol],
                "finals": np.array([float(v) for v in finals]),
                "mean": float(cell[2].split(" ± ")[0]),
                "score": float(cell[3]),
                "iqm": iqm[0],
                "iqm_lo": iqm[1],
                "iqm_hi": iqm[2],
            }
        )
    table = pd.DataFrame(rows)
    n_seeds = len(per_seed[0]) - 2
    collapsed = set()
    for line in lines:
        m = re.match(r"- \*\*(\w+)\*\*, seeds? ([\d, ]+):", line)
        if m and len(m[2].split(",")) == n_seeds:
            collapsed.add(m[1])
    return table, ref, frozenset(collapsed)


def reread(path: Path, date: str) -> list[str]:
    lines = path.read_text().splitlines()
    env = path.stem.rsplit("-", 1)[0]
    table, ref, collapsed = table_of(lines)
    new = list(lines)
    i = new.index("## Table 1: context shift")
    j = next(k for k in range(i + 1, len(new)) if new[k].startswith("|"))
    j = next(k for k in range(j, len(new)) if not new[k].startswith("|")) + 1  # the paragraph after the table
    new[j] = table1_paragraph(table, PAPER_TABLE1.get(env, {}), collapsed, ref.still_score)
    k = next(k for k in range(new.index("## Fig. 3: learning curves"), len(new)) if new[k].startswith("Final Np"))
    weak = caveat(not_learned_sentence(table, ref.still_score))
    new[k] = curves_paragraph(table, weak)
    cells = ablation(table)
    if cells is not None:
        a = next(k for k in range(new.index("## Fig. 4: ablation"), len(new)) if new[k].startswith("Mean normalised"))
        new[a] = ablation_paragraph(cells, weak)
    n_seeds = len(table.finals.iloc[0])
    for written in (OLD_INTERVALS, *WRITTEN_INTERVALS.findall(new[2])):  # the sentence of either earlier form
        new[2] = new[2].replace(written, intervals_sentence(n_seeds))
    if new[4].startswith(NOTE[:40]):  # re-read before: the note says when it was last
        new[4] = NOTE.format(date=date)
    else:
        new[3:3] = ["", NOTE.format(date=date)]
    return new


USAGE = "python scripts/reread_report_prose.py docs/results/REPORT.md [--write]"
EXPECTED = "expected a report of rlkit.reproduce such as docs/results/point-robot-demo.md"


def main(argv: list[str] | None = None) -> None:
    """Bad input (no report, a folder, a file that is not a report, a write the system refuses): one line, exit 2
    (`rlkit.cli.run_cli`)."""
    run_cli(lambda: _main(sys.argv[1:] if argv is None else argv))


def _main(argv: list[str]) -> None:
    if argv in (["-h"], ["--help"]):
        print(f"usage: {USAGE}")
        return
    args = [a for a in argv if a != "--write"]
    if len(args) != 1:
        raise UserError(f"got {args!r}: expected one report; usage: {USAGE}")
    path = Path(args[0])
    try:  # read here first: reread() would fail on a missing path or a folder with a traceback
        old = path.read_text().splitlines()
    except OSError as e:
        raise UserError(f"{str(path)!r} cannot be read ({e.strerror or e}): {EXPECTED}") from None
    except UnicodeDecodeError:
        raise UserError(f"{str(path)!r} is not text: {EXPECTED}") from None
    try:
        new = reread(path, pd.Timestamp.now().strftime("%Y-%m-%d"))
    except (UserError, ValueError, StopIteration, KeyError, IndexError) as e:
        raise UserError(
            f"{str(path)!r} is not a report of rlkit.reproduce ({type(e).__name__}: {e}): {EXPECTED}"
        ) from None
    sys.stdout.writelines(difflib.unified_diff([x + "\n" for x in old], [x + "\n" for x in new], str(path), "re-read"))
    if "--write" in argv:
        try:  # atomic: a report is never left half-written
            atomic_write_text(path, "\n".join(new) + "\n")
        except OSError as e:
            raise UserError(
                f"{str(path)!r} cannot be written ({e.strerror or e}): expected a report this user may write"
            ) from None


if __name__ == "__main__":
    main()
