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


def iqm(scores: np.ndarray) -> float:
    """rliable's `aggregate_iqm`: scipy's 25% trimmed mean over every entry (the same partition and mean, so the same
    float), nan where any entry is nan, as scipy's. Without scipy's per-call argument handling, ~1 ms a call: the
    bootstrap below calls it 5000 times per interval, where that handling was 70% of a report's time."""
    a = np.asarray(scores, dtype=float).ravel()
    if a.size == 0 or np.isnan(a).any():
        return math.nan
    cut = int(0.25 * a.size)
    return float(np.mean(np.partition(a, (cut, a.size - cut - 1))[cut : a.size - cut]))


def iqm_interval(scores: np.ndarray, reps: int = 5000, seed: int = 0) -> tuple[float, float, float]:
    """rliable's IQM of the normalised scores [runs] with a 95% stratified-bootstrap interval."""
    from rliable import library as rly

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
                lambda x: np.array([iqm(x)]),
                reps=reps,
                random_state=np.random.RandomState(seed),
            )
    finally:
        np.random.set_state(outside)
    return float(point["m"][0]), float(ci["m"][0][0]), float(ci["m"][1][0])


def curve_band(xs: list[np.ndarray], ys: list[np.ndarray], band: str = "t95"):
    """Mean curve over runs: (x, mean, lo, hi) over the iterations every run reached (a run continued longer
    adds no point that the others lack: a tail averaged over fewer runs would change its meaning where it
    starts). `band` is "t95" (95% Student-t interval of the mean) or "std" (+- the standard deviation over
    runs, ddof 1); a single run gives lo = hi = mean."""
    n = min(len(y) for y in ys)
    x = np.asarray(xs[0][:n])
    vals = np.array([np.asarray(y[:n], dtype=float) for y in ys])  # [runs, n]
    mean = vals.mean(axis=0)
    if len(vals) < 2:
        return x, mean, mean.copy(), mean.copy()
    if band == "std":
        std = vals.std(axis=0, ddof=1)
        return x, mean, mean - std, mean + std
    lo, hi = np.array([t_interval(vals[:, i]) for i in range(n)]).T
    return x, mean, lo, hi
