"""Regenerate the golden progress.csv files and their per-column tolerances (tests/golden/).

    python scripts/update_golden.py [--margin 100] [--float32]

The golden runs (tests/test_golden.py: the tiny dataset and GOLDEN_RUNS, float64, one thread, each
in a fresh process) are computed with this host's default CPU kernels: that is the golden file.
They are computed again under every kernel variant this host can run (MKL's code paths through
MKL_CBWR, oneDNN restricted to older instruction sets, ATen's vectorised kernels at another width
or none), standing for other CPUs. A column's tolerance is `margin` times the largest difference
any variant shows from the golden file, and at least `ABS_FLOOR + REL_FLOOR * |value|`: float64
rounding differs between CPUs by ~1e-16 relative, so the floor leaves room for kernels this host
does not have (AVX-512, AMX) while staying orders of magnitude below the changes the mutations of
`scripts/mutation_check.py` make. `--float32` also measures the same variants in float32 and
prints both spreads (what the float64 runs avoid; nothing of it is written).

It prints and records (tolerances.json) the host's CPU, which variants ran and which were skipped
because this CPU lacks their instruction set. Run it after an intended change of behaviour, and
say why in the commit message.
"""

import argparse
import json
import math
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rlkit.cli import argument_parser  # noqa: E402
from rlkit.fileio import atomic_write_text  # noqa: E402
from tests.test_golden import GOLDEN_RUNS, TOLERANCES, golden_path, golden_runs  # noqa: E402

ABS_FLOOR, REL_FLOOR = 1e-9, 1e-6

# name -> (environment variables read when torch loads, the CPU flag the variant needs or None)
VARIANTS = {
    "default": ({}, None),
    "mkl-avx512": ({"MKL_CBWR": "AVX512"}, "avx512f"),
    "mkl-avx2": ({"MKL_CBWR": "AVX2"}, "avx2"),
    "mkl-avx": ({"MKL_CBWR": "AVX"}, "avx"),
    "mkl-sse4.2": ({"MKL_CBWR": "SSE4_2"}, "sse4_2"),
    "mkl-compatible": ({"MKL_CBWR": "COMPATIBLE"}, None),
    "onednn-avx2": ({"ONEDNN_MAX_CPU_ISA": "AVX2"}, "avx2"),
    "onednn-sse41": ({"ONEDNN_MAX_CPU_ISA": "SSE41"}, "sse4_1"),
    "aten-avx2": ({"ATEN_CPU_CAPABILITY": "avx2"}, "avx2"),
    "aten-default": ({"ATEN_CPU_CAPABILITY": "default"}, None),
    "all-oldest": ({"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_CBWR": "COMPATIBLE"}, None),
}


def host() -> dict:
    """This CPU's model name and the instruction-set flags the variants depend on."""
    model, flags = platform.processor() or "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    import torch

    return {
        "cpu": model,
        "flags": sorted(flags & {"sse4_1", "sse4_2", "avx", "avx2", "avx512f", "amx_tile"}),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "_all": flags,
    }


def spreads(work: Path, variants: dict, dtype: str) -> tuple[dict[str, pd.DataFrame], dict[str, pd.Series]]:
    """The default frames and, per run, each column's largest |variant - default| over the variants."""
    frames = {v: golden_runs(work / dtype / v, env, dtype) for v, env in variants.items()}
    base = frames["default"]
    out = {}
    for name in GOLDEN_RUNS:
        spread = pd.Series(0.0, index=base[name].columns)
        for f in frames.values():
            spread = np.maximum(spread, (f[name] - base[name]).abs().max())
        out[name] = spread
    return base, out


def margin(text: str) -> float:
    """argparse type of --margin: a finite number > 0. NaN would make every tolerance NaN (json writes it, and no
    difference is ever within NaN), 0 or less leaves only the floor (the variants ignored), inf passes anything."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: expected a finite number > 0")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argument_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--margin", type=margin, default=100.0, help="tolerance = margin x the variants' largest spread"
    )
    parser.add_argument("--float32", action="store_true", help="also measure (and print) the float32 spread")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    h = host()
    ran = {v: env for v, (env, flag) in VARIANTS.items() if flag is None or flag in h["_all"]}
    skipped = [v for v in VARIANTS if v not in ran]
    print(f"host: {h['cpu']} ({h['machine']}; {' '.join(h['flags'])}), torch {h['torch']}, Python {h['python']}")
    print(f"variants run: {', '.join(ran)}")
    print(f"variants skipped (this CPU lacks their instruction set): {', '.join(skipped) or 'none'}")
    with tempfile.TemporaryDirectory() as tmp:
        golden, spread = spreads(Path(tmp), ran, "float64")
        spread32 = spreads(Path(tmp), ran, "float32")[1] if args.float32 else None
    del h["_all"]
    doc = {
        "dtype": "float64",
        "margin": args.margin,
        "floor": {"abs": ABS_FLOOR, "rel": REL_FLOOR},
        "host": h,
        "variants": {v: ran[v] for v in ran},
        "skipped": skipped,
        "runs": {},
        "spread": {},
    }
    for name in GOLDEN_RUNS:
        g, s = golden[name], spread[name]
        tol = np.maximum(args.margin * s, ABS_FLOOR + REL_FLOOR * g.abs().max())
        atomic_write_text(golden_path(name), g.to_csv(index=False))
        doc["runs"][name] = {c: float(tol[c]) for c in g.columns}
        doc["spread"][name] = {c: float(s[c]) for c in g.columns}
        moves = g.diff().abs().iloc[1:].min()
        print(
            f"{name}: wrote {golden_path(name).name} ({len(g)} rows); per column: float64 spread / tolerance / "
            f"smallest change between iterations{' / float32 spread' if spread32 else ''}"
        )
        for c in g.columns:
            extra = f" {spread32[name][c]:10.3g}" if spread32 else ""
            print(f"  {c:45s} {s[c]:10.3g} {tol[c]:10.3g} {moves[c]:10.3g}{extra}")
        print(
            f"  largest spread: float64 {s.max():.3g}" + (f", float32 {spread32[name].max():.3g}" if spread32 else "")
        )
    atomic_write_text(TOLERANCES, json.dumps(doc, indent=1) + "\n")
    print(f"wrote {TOLERANCES}")


if __name__ == "__main__":
    main()
