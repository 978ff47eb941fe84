"""Regenerate tests/golden/point-robot-tiny-progress.csv (run after an intended behaviour change)."""
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import TINY_CONFIG  # noqa: E402
from tests.test_golden import GOLDEN, golden_run  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    work = Path(tmp)
    subprocess.run([sys.executable, str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--sac_config",
                    "tiny_point"], cwd=work, check=True)
    df = golden_run(work / "offline_dataset" / "point-robot-tiny", work / "out")
    GOLDEN.parent.mkdir(exist_ok=True)
    df.to_csv(GOLDEN, index=False)
    print(f"wrote {GOLDEN} ({len(df)} rows)")
