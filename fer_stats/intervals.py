"""Intervals beside the participant-clustered percentile bootstrap, each with the name of its method.

- BCa (Efron, 1987): the bootstrap distribution corrected for bias (z0, from the share of resamples
  below the estimate) and skew (the acceleration a, from the jackknife over participants, so the
  clustering is kept); as scipy.stats.bootstrap(method="BCa") when every participant has one trial.
- Analytic intervals, which treat trials as independent (they ignore that trials are nested in
  people, so with several trials per person they are too narrow): Cohen's kappa with the asymptotic
  SE of Fleiss, Cohen & Everitt (1969); Gwet's AC1 with the variance of Gwet (2008); Wilson and
  Clopper-Pearson intervals for single proportions (Newcombe, 1998).

>>> [round(v, 4) for v in clopper_pearson_interval(0, 20)]
[0.0, 0.1684]
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import beta, norm
from scipy.stats import t as t_dist

BCA = "participant-clustered BCa bootstrap (bias from the resamples, acceleration from the jackknife over participants)"
FCE_1969 = "Wald interval with the asymptotic SE of Fleiss, Cohen & Everitt (1969); trials treated as independent"
GWET_2008 = "t interval (n - 1 df) with the variance of Gwet (2008); trials treated as independent"
WILSON = "Wilson score interval; trials treated as independent"
CLOPPER_PEARSON = "Clopper-Pearson exact interval; trials treated as independent"


def _z(level: float) -> float:
    return float(norm.ppf(1 - (1 - level) / 2))


def wilson_interval(successes: float, n: float, *, level: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion (trials treated as independent); None when n == 0.

    >>> [round(x, 4) for x in wilson_interval(8, 10)]
    [0.4902, 0.9433]
    """
    if n <= 0:
        return None
    z = _z(level)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float(centre - half), float(centre + half)


def clopper_pearson_interval(successes: float, n: float, *, level: float = 0.95) -> tuple[float, float] | None:
    """Clopper-Pearson ("exact") interval from beta quantiles; None when n == 0.

    >>> [round(x, 4) for x in clopper_pearson_interval(1, 29)]
    [0.0009, 0.1776]
    """
    if n <= 0:
        return None
    tail = (1 - level) / 2
    low = float(beta.ppf(tail, successes, n - successes + 1)) if successes > 0 else 0.0
    high = float(beta.ppf(1 - tail, successes + 1, n - successes)) if successes < n else 1.0
    return low, high


def proportion_intervals(successes: float, n: float, *, level: float = 0.95) -> dict:
    """Wilson and Clopper-Pearson intervals of one proportion, labelled; {} when n == 0.

    >>> sorted(proportion_intervals(3, 10))
    ['clopper_pearson', 'wilson']
    """
    if n <= 0:
        return {}
    return {
        "wilson": {"ci": list(wilson_interval(successes, n, level=level)), "method": WILSON},
        "clopper_pearson": {"ci": list(clopper_pearson_interval(successes, n, level=level)), "method": CLOPPER_PEARSON},
    }


def wald_interval(estimate: float, se: float, *, level: float = 0.95) -> list[float] | None:
    """estimate -/+ z * se; None when the SE is undefined.

    >>> [round(v, 4) for v in wald_interval(0.5, 0.1, level=0.95)]
    [0.304, 0.696]
    """
    if se is None or not np.isfinite(se):
        return None
    half = _z(level) * se
    return [float(estimate - half), float(estimate + half)]


def ac1_standard_error(table: np.ndarray) -> float:
    """SE of Gwet's AC1 for two ratings of each item (Gwet, 2008), from the (k x k) table; NaN if undefined.

    Linearisation of AC1 = (pa - pe) / (1 - pe) with pe = sum_k pi_k (1 - pi_k) / (k - 1), pi_k the
    mean of the two marginal shares; no finite-population correction.

    >>> round(ac1_standard_error(np.array([[13.0, 0, 0], [0, 20, 7], [0, 4, 56]])), 5)
    0.04322
    """
    table = np.asarray(table, dtype=np.float64)
    n, k = table.sum(), table.shape[0]
    if n == 0 or k < 2:
        return float("nan")
    p = table / n
    pi = (p.sum(axis=1) + p.sum(axis=0)) / 2
    pa, pe = float(np.trace(p)), float((pi * (1 - pi)).sum() / (k - 1))
    if pe >= 1:
        return float("nan")
    ac1 = (pa - pe) / (1 - pe)
    term = np.eye(k) - 2 * (1 - ac1) * (1 - (pi[:, None] + pi[None, :]) / 2) / (k - 1)
    variance = ((p * term**2).sum() - (pa - 2 * (1 - ac1) * pe) ** 2) / (n * (1 - pe) ** 2)
    return float(np.sqrt(max(variance, 0.0)))


def ac1_interval(estimate: float, table: np.ndarray, *, level: float = 0.95) -> list[float] | None:
    """Gwet's t interval (n - 1 degrees of freedom), capped at 1; None when undefined.

    >>> [round(v, 5) for v in ac1_interval(0.84933, np.array([[13.0, 0, 0], [0, 20, 7], [0, 4, 56]]))]
    [0.76358, 0.93508]
    """
    se, n = ac1_standard_error(table), float(np.asarray(table).sum())
    if not np.isfinite(se) or n < 2:
        return None
    half = float(t_dist.ppf(1 - (1 - level) / 2, n - 1)) * se
    return [float(estimate - half), float(min(estimate + half, 1.0))]


def bca_interval(
    point: float, boot: np.ndarray, jackknife: np.ndarray, *, level: float = 0.95
) -> tuple[list[float] | None, dict]:
    """BCa interval from resampled values and leave-one-participant-out values (NaN = undefined, left out).

    Returns (interval or None, {"bias_z0": ..., "acceleration": ...} or a "reason").

    >>> rng = np.random.default_rng(0)
    >>> x = rng.exponential(size=40)
    >>> boot = np.vstack([rng.choice(x, 40).mean() for _ in range(2000)]).ravel()
    >>> jack = (x.sum() - x) / 39
    >>> interval, detail = bca_interval(x.mean(), boot, jack)
    >>> bool(interval[0] > np.percentile(boot, 2.5)), detail["acceleration"] > 0   # shifted right: right skew
    (True, True)
    """
    boot = np.asarray(boot, dtype=np.float64)
    boot = boot[~np.isnan(boot)]
    jack = np.asarray(jackknife, dtype=np.float64)
    jack = jack[~np.isnan(jack)]
    if boot.size == 0 or jack.size < 2:
        return None, {"reason": "too few defined resamples or leave-one-out values for BCa"}
    share = (np.count_nonzero(boot < point) + np.count_nonzero(boot <= point)) / (2 * boot.size)
    if share in (0.0, 1.0):
        return None, {"reason": "every resample lies on one side of the estimate: no bias correction is possible"}
    z0 = float(ndtri(share))
    influence = jack.mean() - jack
    spread = (influence**2).sum()
    a = float((influence**3).sum() / (6 * spread**1.5)) if spread > 0 else 0.0
    z = ndtri(np.array([(1 - level) / 2, 1 - (1 - level) / 2]))
    alphas = ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))
    low, high = np.percentile(boot, alphas * 100)
    return [float(low), float(high)], {"bias_z0": z0, "acceleration": a}
