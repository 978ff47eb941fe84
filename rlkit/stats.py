"""Intervals over seeds for reports: a Student-t interval of the mean and rliable's IQM with a
stratified-bootstrap interval (Agarwal et al., 2021, "Deep RL at the edge of the statistical precipice")."""

from __future__ import annotations

import math
import warnings

import numpy as np


def t_interval(x: np.ndarray) -> tuple[float, float]:
    """95% Student-t interval of the mean over seeds (nan with one seed)."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    if len(x) < 2:
        return math.nan, math.nan
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return float(x.mean() - half), float(x.mean() + half)


def iqm_interval(scores: np.ndarray, reps: int = 5000, seed: int = 0) -> tuple[float, float, float]:
    """rliable's IQM of the normalised scores [runs] with a 95% stratified-bootstrap interval."""
    from rliable import library as rly
    from rliable import metrics

    scores = np.asarray(scores, dtype=float)[:, None]  # [runs, tasks=1]
    if len(scores) < 2:
        v = float(scores.mean())
        return v, math.nan, math.nan
    # rliable's StratifiedBootstrap draws its resamples from numpy's global generator, whatever random_state it is
    # given: that generator is seeded here, and put back after, so that the interval depends on `seed` alone
    outside = np.random.get_state()
    np.random.seed(seed)
    try:
        with warnings.catch_warnings():  # arch deprecates the RandomState that rliable hands it
            warnings.simplefilter("ignore", FutureWarning)
            point, ci = rly.get_interval_estimates(
                {"m": scores},
                lambda x: np.array([metrics.aggregate_iqm(x)]),
                reps=reps,
                random_state=np.random.RandomState(seed),
            )
    finally:
        np.random.set_state(outside)
    return float(point["m"][0]), float(ci["m"][0][0]), float(ci["m"][1][0])


def curve_band(xs: list[np.ndarray], ys: list[np.ndarray], band: str = "t95"):
    """Mean curve over runs, each over its own length: (x, mean, lo, hi) on the longest run's x.
    At each index the statistics use the runs that reached it; `band` is "t95" (95% Student-t
    interval of the mean) or "std" (+- one standard deviation); a single run gives lo = hi = mean."""
    n = max(len(y) for y in ys)
    x = next(x for x in xs if len(x) == n)
    mean, lo, hi = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    for i in range(n):
        vals = np.array([y[i] for y in ys if len(y) > i], dtype=float)
        mean[i] = vals.mean()
        if len(vals) < 2:
            lo[i] = hi[i] = mean[i]
        elif band == "std":
            lo[i], hi[i] = mean[i] - vals.std(), mean[i] + vals.std()
        else:
            lo[i], hi[i] = t_interval(vals)
    return x, mean, lo, hi
