"""scripts/update_golden.py's main() in this process, its golden runs and host stood in for by fakes: the golden
files it writes are the default kernels' float64 frames, whole and atomically, and tolerances.json holds margin x
the largest variant difference (at least the floor) with what it came from."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from tests.conftest import load_file

FAKE_FLAGS = {"sse4_1", "sse4_2", "avx", "avx2", "fpu"}  # no avx512f: mkl-avx512 is skipped
FAKE_HOST = {
    "cpu": "Fake CPU",
    "flags": ["avx", "avx2", "sse4_1", "sse4_2"],
    "torch": "9.9",
    "python": "3.x",
    "machine": "x86_64",
}
# the golden frames (the default kernels, float64): per run, columns of very different magnitude so that the
# floor (1e-9 + 1e-6 |value|) and margin x spread each win in some column
BASE = {
    "csro": pd.DataFrame({"Epoch": [0.0, 1.0, 2.0], "Return": [-10.5, -8.25, -7.0], "Loss": [1e4, 2e4, 3e4]}),
    "brac": pd.DataFrame({"Epoch": [0.0, 1.0, 2.0], "Return": [-12.0, -9.5, -6.75], "Loss": [5.0, 4.0, 3.0]}),
}


def _offset(variant_index: int, run: str, dtype: str) -> pd.DataFrame:
    """A variant's difference from the default frame (none for the default, index 0): fixed pseudo-random per
    variant and run, so that the largest |difference| falls in different rows and variants from column to column
    (a spread over another axis, of one variant, or a mean reads other numbers); the variant this host skips
    (mkl-avx512, index 1) would be the largest of all; columns of very different size, so that margin x spread and
    the floor each decide some tolerance; float32's far larger."""
    base = BASE[run]
    if variant_index == 0:
        return pd.DataFrame(np.zeros(base.shape), columns=base.columns)
    rng = np.random.default_rng(1000 * list(BASE).index(run) + variant_index)
    scale = np.array([1e-12, 1e-6, 1e-3]) * (50.0 if variant_index == 1 else 1.0) * (1e5 if dtype == "float32" else 1.0)
    return pd.DataFrame(rng.uniform(-1.0, 1.0, base.shape) * scale, columns=base.columns)


def _fake_golden_runs(variants: dict, calls: list):
    envs = [env for env, _ in variants.values()]

    def golden_runs(work, env=None, dtype="float64"):
        calls.append((dict(env or {}), dtype))
        i = envs.index(dict(env or {}))  # which variant, by what a real run sees: its environment
        frames = {}
        for run, base in BASE.items():
            frame = base + _offset(i, run, dtype)
            if dtype == "float32":
                frame = frame + 0.5  # float32's default is not the golden file
            frames[run] = frame
        return frames

    return golden_runs


def _run_update_golden(tmp_path, monkeypatch, argv):
    update_golden = load_file("scripts/update_golden.py", "script_update_golden_audit")
    calls: list = []
    golden_dir = tmp_path / "golden"
    golden_dir.mkdir()
    monkeypatch.setattr(
        update_golden, "host", lambda: {**FAKE_HOST, "flags": list(FAKE_HOST["flags"]), "_all": set(FAKE_FLAGS)}
    )
    monkeypatch.setattr(update_golden, "golden_runs", _fake_golden_runs(update_golden.VARIANTS, calls))
    monkeypatch.setattr(update_golden, "golden_path", lambda name: golden_dir / f"point-robot-tiny-{name}-progress.csv")
    monkeypatch.setattr(update_golden, "TOLERANCES", golden_dir / "tolerances.json")
    monkeypatch.setattr(sys, "argv", ["update_golden.py", *argv])
    return update_golden, golden_dir, calls


def _expected(update_golden, margin: float):
    """What the docstring promises, computed here on its own: per run and column, spread = the largest
    |variant - default| over the rows and the variants this host runs; tolerance = max(margin x spread,
    ABS_FLOOR + REL_FLOOR x the column's largest |value|)."""
    names = list(update_golden.VARIANTS)
    ran = [i for i, v in enumerate(names) if update_golden.VARIANTS[v][1] in (None, *FAKE_FLAGS)]
    spread, tol = {}, {}
    for run, base in BASE.items():
        diffs = [((base + _offset(i, run, "float64")) - base).abs() for i in ran]  # as the fake runs give them
        s = {c: max(float(d[c].max()) for d in diffs) for c in base.columns}
        spread[run] = s
        tol[run] = {c: max(margin * s[c], 1e-9 + 1e-6 * float(base[c].abs().max())) for c in base.columns}
    return spread, tol


@pytest.fixture(
    params=[([], 100.0), (["--margin", "7"], 7.0), (["--float32"], 100.0)],
    ids=["default-margin", "margin-7", "float32-printed-only"],
)
def update_golden_run(request, tmp_path, monkeypatch, capsys):
    """`python scripts/update_golden.py ARGV` in-process on the fakes, over golden files that were there before;
    returns (module, argv, margin, inodes of the files before, the env/dtype of every golden run asked for, stdout)."""
    argv, margin = request.param
    update_golden, golden_dir, calls = _run_update_golden(tmp_path, monkeypatch, argv)
    for name in BASE:
        update_golden.golden_path(name).write_text("stale\n")
    update_golden.TOLERANCES.write_text("{}\n")
    inodes = {p.name: p.stat().st_ino for p in golden_dir.iterdir()}
    update_golden.main()
    return update_golden, argv, margin, inodes, calls, capsys.readouterr().out


def test_update_golden_writes_each_runs_default_kernel_float64_frame_whole_as_its_golden_file(update_golden_run):
    """The golden file of each run must be the default kernels' float64 frame, every digit, no index column (else
    test_golden compares runs with another CPU's, float32's or rounded numbers, or a column named 'Unnamed: 0'), and
    it and tolerances.json replace the old files whole: each is a new file (a new inode), not the old one rewritten
    in place, with no temporary file left beside it. Why: a run killed halfway must not leave a truncated golden file
    (that the atomic writer, killed halfway, leaves the old file whole is checked in
    tests/test_smoke.py::test_ctrl_c_inside_torch_save_is_an_interrupt_and_leaves_the_old_file)."""
    update_golden, argv, margin, inodes, calls, out = update_golden_run
    golden_dir = update_golden.TOLERANCES.parent
    assert sorted(p.name for p in golden_dir.iterdir()) == sorted(inodes)
    assert all(p.stat().st_ino != inodes[p.name] for p in golden_dir.iterdir())
    for name, base in BASE.items():
        assert update_golden.golden_path(name).read_text() == base.to_csv(index=False)
        pd.testing.assert_frame_equal(pd.read_csv(update_golden.golden_path(name)), base)


def test_update_golden_tolerance_is_margin_times_the_largest_variant_difference_and_at_least_the_floor(
    update_golden_run,
):
    """Each run's and column's spread is the largest |variant - default| over the rows and every variant this CPU
    runs (not a mean, a signed difference, the last variant or row, another run's, or a variant it lacks), measured
    in float64 under the variant's own environment; the tolerance is max(margin x spread, ABS_FLOOR + REL_FLOOR x
    the column's largest |value|) with the margin given. A wrong one makes test_golden blind to a real change or fail
    on another CPU's rounding."""
    update_golden, argv, margin, inodes, calls, out = update_golden_run
    spread, tol = _expected(update_golden, margin)
    doc = json.loads(update_golden.TOLERANCES.read_text())
    assert list(doc["runs"]) == list(BASE) and list(doc["spread"]) == list(BASE)
    for name, base in BASE.items():
        assert list(doc["runs"][name]) == list(base.columns) and list(doc["spread"][name]) == list(base.columns)
        for c in base.columns:
            assert doc["spread"][name][c] == pytest.approx(spread[name][c], rel=1e-9, abs=0), (name, c)
            assert doc["runs"][name][c] == pytest.approx(tol[name][c], rel=1e-9, abs=0), (name, c)
    # the floor and margin x spread each decide some column (else the test would not see either dropped)
    floors = [1e-9 + 1e-6 * float(b[c].abs().max()) for b in BASE.values() for c in b.columns]
    spreads = [margin * spread[n][c] for n, b in BASE.items() for c in b.columns]
    assert any(f > s for f, s in zip(floors, spreads)) and any(s > f for f, s in zip(floors, spreads))
    ran = [v for v in update_golden.VARIANTS if v != "mkl-avx512"]
    assert [env for env, dtype in calls if dtype == "float64"] == [update_golden.VARIANTS[v][0] for v in ran]
    want32 = [update_golden.VARIANTS[v][0] for v in ran] if "--float32" in argv else []
    assert [env for env, dtype in calls if dtype == "float32"] == want32


def test_update_golden_records_the_host_margin_floor_and_the_variants_run_and_skipped(update_golden_run):
    """tolerances.json records what the tolerances came from (the margin given, the floor, the host's CPU and flags,
    the variants that ran with their environments, the ones skipped for want of an instruction set): a reader
    judging a failure on another CPU reads them."""
    update_golden, argv, margin, inodes, calls, out = update_golden_run
    doc = json.loads(update_golden.TOLERANCES.read_text())
    ran = [v for v in update_golden.VARIANTS if v != "mkl-avx512"]
    assert doc["dtype"] == "float64" and doc["margin"] == margin
    assert doc["floor"] == {"abs": 1e-9, "rel": 1e-6}
    assert doc["host"] == FAKE_HOST
    assert list(doc["variants"]) == ran
    assert doc["variants"] == {v: update_golden.VARIANTS[v][0] for v in ran}
    assert doc["skipped"] == ["mkl-avx512"]
    assert "variants skipped (this CPU lacks their instruction set): mkl-avx512" in out
    assert ("float32 spread" in out) == ("--float32" in argv)


def test_update_golden_prints_each_columns_smallest_change_between_iterations(tmp_path, monkeypatch, capsys):
    """The last printed figure of a column is the smallest |change| between consecutive iterations (what a
    tolerance must stay below): csro's Return moves by 2.25 then 1.25, so 1.25."""
    update_golden, _, _ = _run_update_golden(tmp_path, monkeypatch, [])
    update_golden.main()
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert [r[3] for r in rows if r[0] == "Return"] == ["1.25", "2.5"]  # csro's, then brac's (2.5 then 2.75)
