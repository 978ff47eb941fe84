"""Regression: a tiny seeded run must reproduce the committed progress.csv (rlkit's golden test).

After an intended change of behaviour, regenerate with `python scripts/update_golden.py` and
say why in the commit message.
"""
import numpy as np
import pandas as pd

from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "point-robot-tiny-progress.csv"
TIMING = ["Train Time (s)", "(Previous) Eval Time (s)", "Epoch Time (s)", "Total Train Time (s)"]


def golden_run(data_dir, out_dir) -> pd.DataFrame:
    import torch
    from rlkit.config import load_config
    from rlkit.experiment import MetaTrainer, prepare
    from tests.conftest import TINY_CONFIG
    cfg = load_config(TINY_CONFIG, {"algo_params": {"data_dir": str(data_dir)},
                                    "util_params": {"exp_name": "golden", "base_log_dir": str(out_dir)}})
    MetaTrainer(prepare(cfg, 0, torch.device("cpu")), show_progress=False).run()
    return pd.read_csv(out_dir / "point-robot" / "golden" / "seed0" / "progress.csv").drop(columns=TIMING)


def test_matches_golden(tiny_data, tmp_path):
    got = golden_run(tiny_data, tmp_path)
    want = pd.read_csv(GOLDEN)
    assert list(got.columns) == list(want.columns)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=2e-3, atol=2e-3)
