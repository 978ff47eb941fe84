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
    from rliable import library as rly, metrics
    scores = np.asarray(scores, dtype=float)[:, None]  # [runs, tasks=1]
    if len(scores) < 2:
        v = float(scores.mean())
        return v, math.nan, math.nan
    with warnings.catch_warnings():  # arch deprecates the RandomState that rliable hands it
        warnings.simplefilter("ignore", FutureWarning)
        point, ci = rly.get_interval_estimates({"m": scores}, lambda x: np.array([metrics.aggregate_iqm(x)]), reps=reps,
                                               random_state=np.random.RandomState(seed))
    return float(point["m"][0]), float(ci["m"][0][0]), float(ci["m"][1][0])
