"""The decisive comparison: when the face was asked to differ from the feeling, which one does the
model's label follow?

Decisive trials have both target and felt, with target != felt, and a prediction. On each, the
prediction can match the target, the felt emotion, or neither (never both).

>>> import numpy as np
>>> sums = decisive_sums(target=np.array([0, 0, 1]), felt=np.array([1, 1, 0]),
...     predicted=np.array([0, 1, 1]), cluster=np.array([0, 0, 1]), n_clusters=2)
>>> proportions(sums.sum(axis=0))["difference"].item()
0.3333333333333333
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats import binom

from fer_stats.agreement import felt_codes, label_codes
from fer_stats.bootstrap import estimate
from fer_stats.intervals import proportion_intervals
from fer_stats.schema import FELT_NONE

SUM_COLUMNS = ("n", "follows_target", "follows_felt")
EXACT_SIGN_FLIP_LIMIT = 16  # up to 2**16 sign patterns: enumerate instead of sampling


def decisive_mask(target: np.ndarray, felt: np.ndarray) -> np.ndarray:
    """THE definition of a decisive trial, on label codes: the face was asked for an expression
    (target given) and the person reported feeling an emotion (felt given, and not "none", whose
    code is negative), and the two differ.

    >>> from fer_stats.agreement import NONE_CODE
    >>> decisive_mask(np.array([0, 1, -1, 0]), np.array([1, 1, 0, NONE_CODE])).tolist()
    [True, False, False, False]
    """
    return (target >= 0) & (felt >= 0) & (target != felt)


def decisive_trials(trials: pd.DataFrame) -> np.ndarray:
    """decisive_mask on tidy rows (columns target and felt, labels as text; blank or None = missing).

    For callers that hold rows rather than codes, such as a live monitoring page.

    >>> rows = pd.DataFrame({"target": ["sad", "sad", "", "happy"], "felt": ["happy", "sad", "happy", "none"]})
    >>> decisive_trials(rows).tolist()
    [True, False, False, False]
    """
    values = pd.concat([trials["target"], trials["felt"]]).dropna()
    vocabulary = sorted({str(v) for v in values} - {"", FELT_NONE})
    target = label_codes(trials["target"].to_numpy(), vocabulary)
    return decisive_mask(target, felt_codes(trials["felt"].to_numpy(), vocabulary))


def decisive_counts(trials: pd.DataFrame) -> dict[str, int]:
    """Decisive trials with a prediction, and how many of them the label followed the target or the felt emotion.

    >>> rows = pd.DataFrame({"target": ["sad", "sad"], "felt": ["happy", "happy"], "predicted": ["sad", None]})
    >>> decisive_counts(rows)
    {'n': 1, 'follows_target': 1, 'follows_felt': 0}
    """
    predicted = trials["predicted"].to_numpy(dtype=object)
    keep = decisive_trials(trials) & pd.notna(predicted) & (predicted != "")
    return {
        "n": int(keep.sum()),
        "follows_target": int((keep & (predicted == trials["target"].to_numpy(dtype=object))).sum()),
        "follows_felt": int((keep & (predicted == trials["felt"].to_numpy(dtype=object))).sum()),
    }


def decisive_sums(
    *, target: np.ndarray, felt: np.ndarray, predicted: np.ndarray, cluster: np.ndarray, n_clusters: int
) -> np.ndarray:
    """Per-cluster (n, follows_target, follows_felt) over decisive trials with a prediction.

    >>> decisive_sums(target=np.array([0, 1]), felt=np.array([1, 1]), predicted=np.array([0, 0]),
    ...     cluster=np.array([0, 0]), n_clusters=1).tolist()
    [[1.0, 1.0, 0.0]]
    """
    keep = decisive_mask(target, felt) & (predicted >= 0)
    columns = [keep, keep & (predicted == target), keep & (predicted == felt)]
    return np.column_stack([np.bincount(cluster, weights=c.astype(np.float64), minlength=n_clusters) for c in columns])


def proportions(totals: np.ndarray) -> dict[str, np.ndarray]:
    """P(pred = target), P(pred = felt) and their difference from (..., 3) totals; NaN when n == 0.

    >>> proportions(np.array([4.0, 3.0, 1.0]))["follows_target"].item()
    0.75
    """
    totals = np.asarray(totals, dtype=np.float64)
    n = totals[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        target, felt = totals[..., 1] / n, totals[..., 2] / n
    return {"follows_target": target, "follows_felt": felt, "difference": target - felt}


def exact_mcnemar(follows_target: int, follows_felt: int) -> dict:
    """Exact McNemar test on the discordant trials (binomial, two-sided), trials as independent.

    >>> exact_mcnemar(6, 1)["p_value"]
    0.125
    """
    discordant = follows_target + follows_felt
    if discordant == 0:
        return {"p_value": None, "reason": "no discordant trials", "discordant": 0}
    smaller = min(follows_target, follows_felt)
    p = min(1.0, 2 * float(binom.cdf(smaller, discordant, 0.5)))
    return {"statistic": int(smaller), "discordant": int(discordant), "p_value": p}


def sign_flip_test(per_participant: np.ndarray, *, n_permutations: int, seed: int) -> dict:
    """Two-sided participant-level sign-flip test of sum(d) = 0 (exact for <= 16 participants).

    Under the null each participant's difference is as likely negative as positive.

    >>> sign_flip_test(np.array([1.0, 2.0, 3.0]), n_permutations=100, seed=0)["p_value"]
    0.25
    """
    d = np.asarray(per_participant, dtype=np.float64)
    d = d[d != 0]  # participants without a difference flip to themselves
    if d.size == 0:
        return {"p_value": None, "reason": "no participant has a nonzero difference"}
    observed = abs(d.sum())
    tolerance = 1e-9 * max(1.0, np.abs(d).sum())
    if d.size <= EXACT_SIGN_FLIP_LIMIT:
        signs = np.array(list(itertools.product((-1.0, 1.0), repeat=d.size)))
        p = float(np.mean(np.abs(signs @ d) >= observed - tolerance))
        return {"p_value": p, "method": "exact enumeration", "n_permutations": int(len(signs))}
    rng = np.random.default_rng([seed, 1])
    # Sums of integer counts stay exact in float32 below 2**24 trials; bits are 8 signs per random byte.
    exact32 = np.abs(d).sum() < 2**24 and np.array_equal(d, np.round(d))
    values = d.astype(np.float32) if exact32 else d
    extreme, done = 0, 0
    while done < n_permutations:
        rows = min(256, n_permutations - done)
        bits = np.unpackbits(np.frombuffer(rng.bytes(-(-rows * d.size // 8)), dtype=np.uint8))[: rows * d.size]
        flipped = 2 * (bits.reshape(rows, d.size).astype(values.dtype) @ values) - values.sum()
        extreme += int((np.abs(flipped) >= observed - tolerance).sum())
        done += rows
    return {
        "p_value": (extreme + 1) / (n_permutations + 1),
        "method": "random sign flips",
        "n_permutations": int(n_permutations),
    }


def describe(
    sums: np.ndarray,
    boot_totals: np.ndarray | None,
    *,
    n_missing: int,
    n_permutations: int,
    seed: int,
    level: float = 0.95,
    jackknife_totals: np.ndarray | None = None,
) -> dict:
    """The decisive comparison as plain data, with clustered intervals and both tests.

    The two proportions also carry Wilson and Clopper-Pearson intervals (trials as independent).

    >>> out = describe(np.array([[2.0, 2.0, 0.0], [2.0, 1.0, 1.0]]), None, n_missing=0,
    ...     n_permutations=10, seed=0)
    >>> out["difference"]["estimate"], out["n"]
    (0.5, 4)
    """
    totals = sums.sum(axis=0)
    point = proportions(totals)
    boot = proportions(boot_totals) if boot_totals is not None else {}
    jack = proportions(jackknife_totals) if jackknife_totals is not None else {}
    with_trials = sums[:, 0] > 0
    n_clusters = int(with_trials.sum())
    out: dict = {"n": int(totals[0]), "n_missing_prediction": int(n_missing), "n_participants": n_clusters}
    for name in ("follows_target", "follows_felt", "difference"):
        out[name] = estimate(
            point[name],
            boot.get(name),
            n_clusters=n_clusters,
            undefined="no decisive trials (target differs from felt) with a prediction",
            level=level,
            jackknife=jack.get(name),
        )
    for name, successes in (("follows_target", totals[1]), ("follows_felt", totals[2])):
        if out[name]["estimate"] is not None:
            analytic = proportion_intervals(float(successes), float(totals[0]), level=level)
            out[name]["intervals"] = out[name].get("intervals", {}) | analytic
    out["mcnemar_exact"] = exact_mcnemar(int(totals[1]), int(totals[2]))
    out["sign_flip"] = sign_flip_test(
        sums[with_trials, 1] - sums[with_trials, 2], n_permutations=n_permutations, seed=seed
    )
    return out
