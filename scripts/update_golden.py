"""Regenerate the golden progress.csv files and their per-column tolerances (tests/golden/).

    python scripts/update_golden.py [--margin 5]

Each golden run (tests/test_golden.py, GOLDEN_RUNS) is trained once as it runs in the test (one
thread, this machine's default CPU kernels): that is the golden file. It is trained again under
kernel variants that stand for other CPUs (oneDNN restricted to older instruction sets, ATen's
vectorised kernels at another width). A column's tolerance is `margin` times the largest
difference any variant shows from the golden file, with a floor of 1e-9 + 1e-7 |value| for
columns the variants do not move at all. Run it after an intended change of behaviour, on an
otherwise idle machine, and say why in the commit message.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import TINY_CONFIG  # noqa: E402
from tests.test_golden import GOLDEN_RUNS, TOLERANCES, golden_path  # noqa: E402

# environment variables -> a CPU's kernel choice; set before torch is imported, so each runs in its own process
VARIANTS = {
    "default": {},
    "onednn-avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "onednn-avx": {"ONEDNN_MAX_CPU_ISA": "AVX"},
    "onednn-sse41": {"ONEDNN_MAX_CPU_ISA": "SSE41"},
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
    "aten-default+onednn-sse41": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41"},
}


def run_variant(env: dict, name: str, data_dir: Path, out: Path) -> pd.DataFrame:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "from tests.test_golden import golden_run; "
            "golden_run(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])).to_csv(sys.argv[5], index=False)")
    csv = out / f"{name}.csv"
    subprocess.run([sys.executable, "-c", code, str(ROOT), name, str(data_dir), str(out / "runs"), str(csv)],
                   env=dict(os.environ, **env), check=True)
    return pd.read_csv(csv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--margin", type=float, default=5.0, help="tolerance = margin x the variants' largest spread")
    args = parser.parse_args()
    doc = {"margin": args.margin, "variants": VARIANTS, "runs": {}, "spread": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--sac_config",
                        "tiny_point", "--no-progress"], cwd=work, check=True)
        data = work / "offline_dataset" / "point-robot-tiny"
        for name in GOLDEN_RUNS:
            frames = {v: run_variant(env, name, data, work / v) for v, env in VARIANTS.items()}
            golden = frames["default"]
            spread = pd.Series(0.0, index=golden.columns)
            for v, df in frames.items():
                spread = np.maximum(spread, (df - golden).abs().max())
            floor = 1e-9 + 1e-7 * golden.abs().max()
            tol = np.maximum(args.margin * spread, floor)
            golden.to_csv(golden_path(name), index=False)
            doc["runs"][name] = {c: float(tol[c]) for c in golden.columns}
            doc["spread"][name] = {c: float(spread[c]) for c in golden.columns}
            moves = (golden.diff().abs().iloc[1:]).min()
            print(f"{name}: wrote {golden_path(name).name} ({len(golden)} rows); spread / tolerance / smallest "
                  "change between iterations:")
            for c in golden.columns:
                print(f"  {c:45s} {spread[c]:10.3g} {tol[c]:10.3g} {moves[c]:10.3g}")
    TOLERANCES.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {TOLERANCES}")


if __name__ == "__main__":
    main()
