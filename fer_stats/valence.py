"""Does the model's reading of a face track how pleasant the person says they feel?

The model valence index of a trial is sum over labels of p(label) * valence(label), with the
probabilities renormalised over the label set. Against self-reported valence (1-9) we give the
pooled Spearman rho and the within-person repeated-measures correlation (Bakdash & Marusich,
2017), both with participant-clustered bootstrap intervals.

>>> import numpy as np
>>> model_valence_index(np.array([[0.5, 0.5], [1.0, 0.0]]), ["happy", "sad"]).tolist()
[0.0, 1.0]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.stats import spearmanr
from scipy.stats import t as t_dist

from fer_stats.bootstrap import estimate

# Sign convention of the circumplex (Russell, 1980): pleasant +1, unpleasant -1. Surprise is left at 0
# because it is ambivalent in valence (Neta & Whalen, 2010); neutral is 0 by definition.
LABEL_VALENCE: Mapping[str, float] = {
    "happy": 1.0,
    "surprise": 0.0,
    "neutral": 0.0,
    "angry": -1.0,
    "disgust": -1.0,
    "fear": -1.0,
    "sad": -1.0,
    "contempt": -1.0,  # FER+ has it
}
MAX_LEVELS_FOR_LEVEL_RANKS = 256  # self-reports are on a few-point scale: rank them by level counts
LINEARISED = (
    "participant-clustered percentile bootstrap, linearised: each resample moves Fisher's z "
    "of rho by its participants' mean influence (re-ranking every resample costs trials x resamples)"
)
RM_SUM_COLUMNS = ("within_xy", "within_xx", "within_yy", "n", "participants")


def missing_valence_message(labels: Sequence[str]) -> str:
    """What to do when labels have no valence.

    >>> missing_valence_message(["bored"])[:40]
    'no valence is known for label(s) bored: '
    """
    example = json.dumps({label: 0 for label in labels[:3]})
    return (
        f"no valence is known for label(s) {', '.join(labels)}: the valence analysis needs one number per label "
        f"(pleasant +1, neutral 0, unpleasant -1); pass valence_of={{...}}, or on the command line "
        f"--valence-map FILE.json with a JSON object such as {example}"
    )


def load_valence_map(path: str | Path) -> dict[str, float]:
    """A {label: valence} JSON file, checked: an object of finite numbers; ValueError saying what is wrong.

    >>> load_valence_map("/nonexistent.json")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValueError: cannot read the valence map /nonexistent.json: ...
    """
    try:
        mapping = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read the valence map {path}: {error}") from None
    if not isinstance(mapping, dict):
        raise ValueError(f"the valence map {path} must be a JSON object {{label: number}}")
    bad = {
        k: v for k, v in mapping.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v)
    }
    if bad:
        raise ValueError(f"the valence map {path} needs a finite number per label; not numbers: {bad}")
    return {str(k).strip(): float(v) for k, v in mapping.items()}


def model_valence_index(
    probabilities: np.ndarray, labels: Sequence[str], *, valence_of: Mapping[str, float] = LABEL_VALENCE
) -> np.ndarray:
    """Probability-weighted valence per trial; NaN where there are no probabilities."""
    missing = [label for label in labels if label not in valence_of]
    if missing:
        raise ValueError(missing_valence_message(missing))
    p = np.asarray(probabilities, dtype=np.float64)
    weights = np.array([valence_of[label] for label in labels])
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.nansum(p, axis=1)
        index = np.nansum(p * weights, axis=1) / total
    return np.where((total > 0) & ~np.isnan(p).all(axis=1), index, np.nan)


def rm_corr_sums(x: np.ndarray, y: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Per-cluster within-person cross-products (xy, xx, yy), trial count and 1 if any trial.

    >>> rm_corr_sums(np.array([1.0, 2.0]), np.array([2.0, 4.0]), np.array([0, 0]), 1).tolist()
    [[1.0, 0.5, 2.0, 2.0, 1.0]]
    """
    n = np.bincount(cluster, minlength=n_clusters).astype(np.float64)
    safe = np.where(n > 0, n, 1)
    mean_x = np.bincount(cluster, weights=x, minlength=n_clusters) / safe
    mean_y = np.bincount(cluster, weights=y, minlength=n_clusters) / safe
    dx, dy = x - mean_x[cluster], y - mean_y[cluster]
    return np.column_stack(
        [
            np.bincount(cluster, weights=dx * dy, minlength=n_clusters),
            np.bincount(cluster, weights=dx * dx, minlength=n_clusters),
            np.bincount(cluster, weights=dy * dy, minlength=n_clusters),
            n,
            (n > 0).astype(np.float64),
        ]
    )


def rm_corr_from_totals(totals: np.ndarray) -> np.ndarray:
    """Repeated-measures r from (..., 5) totals of rm_corr_sums; NaN when undefined."""
    totals = np.asarray(totals, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return totals[..., 0] / np.sqrt(totals[..., 1] * totals[..., 2])


class SpearmanResampler:
    """Pooled Spearman rho in each resample, re-ranking the resampled trials exactly.

    Ranks depend on the whole resample, so this is not a sum over participants; it consumes the
    same weight blocks as the linear statistics, one block of resamples at a time.

    >>> s = SpearmanResampler(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0]), np.array([0, 1, 2]), 3)
    >>> s(np.ones((1, 3))); round(float(s.values()[0]), 6)
    0.5
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, cluster: np.ndarray, n_clusters: int) -> None:
        self.n_clusters = n_clusters
        order = np.argsort(x, kind="stable")
        self.cluster_by_x = cluster[order]
        self.x_groups = _tie_groups(x[order])
        levels, level_of = np.unique(y, return_inverse=True)
        self.by_levels = len(levels) <= MAX_LEVELS_FOR_LEVEL_RANKS
        if self.by_levels:
            self.level_indicator = _level_indicator(level_of[order], len(levels))
            flat = cluster * len(levels) + level_of
            self.level_counts = (
                np.bincount(flat, minlength=n_clusters * len(levels))
                .reshape(n_clusters, len(levels))
                .astype(np.float64)
            )
        else:
            y_order = np.argsort(y, kind="stable")
            self.cluster_by_y = cluster[y_order]
            self.y_groups = _tie_groups(y[y_order])
            self.y_position_of_x = np.argsort(y_order)[order]
        self._values: list[np.ndarray] = []

    def __call__(self, weights: np.ndarray) -> None:
        w = weights[:, self.cluster_by_x]
        rank_x = _weighted_midranks(w, self.x_groups)
        n = w.sum(axis=1)
        if self.by_levels:
            level_weight = weights @ self.level_counts
            level_rank = np.cumsum(level_weight, axis=1) - (level_weight - 1) / 2
            wx = w * rank_x
            sum_xy = np.einsum("rl,rl->r", (self.level_indicator @ wx.T).T, level_rank)
            sum_yy = np.einsum("rl,rl->r", level_weight, level_rank * level_rank)
        else:
            wy = weights[:, self.cluster_by_y]
            rank_y = _weighted_midranks(wy, self.y_groups)[:, self.y_position_of_x]
            wx = w * rank_x
            sum_xy = np.einsum("rn,rn->r", wx, rank_y)
            sum_yy = np.einsum("rn,rn->r", wy, _weighted_midranks(wy, self.y_groups))
        sum_xx = np.einsum("rn,rn->r", wx, rank_x)
        mean = (n + 1) / 2  # midranks always average (n + 1) / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = (sum_xy / n - mean**2) / np.sqrt((sum_xx / n - mean**2) * (sum_yy / n - mean**2))
        self._values.append(rho)

    def values(self) -> np.ndarray:
        return np.concatenate(self._values) if self._values else np.empty(0)


def _tie_groups(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(group starts, group of each position) for sorted values, or None if all are distinct."""
    new = np.empty(len(sorted_values), dtype=bool)
    new[:1] = True
    new[1:] = sorted_values[1:] != sorted_values[:-1]
    if new.all():
        return None
    return np.flatnonzero(new), np.cumsum(new) - 1


def _weighted_midranks(w: np.ndarray, groups: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    # A trial drawn w times is w tied copies; a tie group of total weight g ending at cumulative
    # weight c shares the midrank c - (g - 1) / 2.
    if groups is None:
        return np.cumsum(w, axis=1) - (w - 1) / 2
    starts, group_of = groups
    group_weight = np.add.reduceat(w, starts, axis=1)
    group_rank = np.cumsum(group_weight, axis=1) - (group_weight - 1) / 2
    return group_rank[:, group_of]


def _level_indicator(level: np.ndarray, n_levels: int) -> csr_matrix:
    return csr_matrix((np.ones(len(level)), (level, np.arange(len(level)))), shape=(n_levels, len(level)))


def spearman_influence(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Empirical influence of each trial on Spearman's rho (mid-ranks, so ties are handled).

    rho is the correlation of the mid-distribution grades U = F(X-) + P(X=x)/2 and V likewise; the
    influence adds the change of the grades themselves to that of the moments. Sums to zero.

    >>> round(float(spearman_influence(np.arange(5.0), np.array([1.0, 0, 2, 4, 3])).sum()), 12)
    0.0
    """
    by_x, by_y = _SortedKey(x), _SortedKey(y)
    u, v = by_x.grades, by_y.grades
    e_uv, e_uu, e_vv = np.mean(u * v), np.mean(u * u), np.mean(v * v)
    s_uv, s_uu, s_vv = e_uv - 0.25, e_uu - 0.25, e_vv - 0.25
    rho = s_uv / np.sqrt(s_uu * s_vv)
    if_uv = u * v + by_x.mean_above(v) + by_y.mean_above(u) - 3 * e_uv
    if_uu = u * u + 2 * by_x.mean_above(u) - 3 * e_uu
    if_vv = v * v + 2 * by_y.mean_above(v) - 3 * e_vv
    return if_uv / np.sqrt(s_uu * s_vv) - rho / 2 * (if_uu / s_uu + if_vv / s_vv)


class _SortedKey:
    """One sort of a key, reused for its mid-rank grades and for sums over larger keys."""

    def __init__(self, key: np.ndarray) -> None:
        self.n = len(key)
        self.order = np.argsort(key, kind="stable")
        groups = _tie_groups(key[self.order])
        self.group_of = np.arange(self.n) if groups is None else groups[1]
        size = np.bincount(self.group_of).astype(np.float64)
        midrank = np.cumsum(size) - (size - 1) / 2
        self.grades = self._unsort((midrank[self.group_of] - 0.5) / self.n)

    def mean_above(self, values: np.ndarray) -> np.ndarray:
        # (1/n) * sum of values over trials whose key is above this trial's, ties counted half.
        group_sum = np.bincount(self.group_of, weights=values[self.order])
        above = group_sum.sum() - np.cumsum(group_sum)
        return self._unsort((above[self.group_of] + group_sum[self.group_of] / 2) / self.n)

    def _unsort(self, sorted_values: np.ndarray) -> np.ndarray:
        out = np.empty(self.n)
        out[self.order] = sorted_values
        return out


def spearman_linear_sums(x: np.ndarray, y: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Per-cluster [influence on Fisher z of rho, trials] for the linearised clustered bootstrap."""
    rho = spearman_rho(x, y)
    if not np.isfinite(rho) or abs(rho) >= 1:
        influence = np.zeros(len(x))
    else:
        influence = spearman_influence(x, y) / (1 - rho * rho)
    return np.column_stack(
        [
            np.bincount(cluster, weights=influence, minlength=n_clusters),
            np.bincount(cluster, minlength=n_clusters).astype(np.float64),
        ]
    )


def spearman_from_linear_totals(rho: float, totals: np.ndarray) -> np.ndarray:
    """Resampled rho to first order: tanh(atanh(rho) + mean influence in the resample)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.tanh(np.arctanh(rho) + totals[..., 0] / totals[..., 1])


def _spearman_pseudo_jackknife(x: np.ndarray, y: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    # Leaving a participant out moves rho by about minus their summed influence / n; the BCa
    # acceleration depends only on these influences, so re-ranking without each person is not needed.
    return spearman_rho(x, y) - spearman_linear_sums(x, y, cluster, n_clusters)[:, 0] / max(len(x), 1)


def spearman_rho(x: np.ndarray, y: np.ndarray) -> float:
    """Pooled Spearman rho (as scipy.stats.spearmanr); NaN with fewer than 2 or constant values.

    >>> spearman_rho(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0]))
    -1.0
    """
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def describe(
    *,
    x: np.ndarray,
    y: np.ndarray,
    cluster: np.ndarray,
    n_clusters: int,
    rm_point: np.ndarray,
    rm_boot: np.ndarray | None,
    spearman_boot: np.ndarray | None,
    level: float = 0.95,
    spearman_linear_totals: np.ndarray | None = None,
    rm_jackknife: np.ndarray | None = None,
    bca: bool = False,
) -> dict:
    """Pooled Spearman and repeated-measures correlation as plain data.

    The Spearman interval re-ranks every resample (spearman_boot) or, for large tables, uses the
    first-order influence of each participant on Fisher's z (spearman_linear_totals).
    """
    n = len(x)
    participants = int(rm_point[4])
    out: dict = {"n": n, "n_participants": participants}
    rho = spearman_rho(x, y)
    if spearman_boot is None and spearman_linear_totals is not None:
        spearman_boot = spearman_from_linear_totals(rho, spearman_linear_totals)
    out["spearman_pooled"] = estimate(
        rho,
        spearman_boot,
        n_clusters=participants,
        level=level,
        undefined="fewer than two trials, or one of the two valences does not vary",
        jackknife=_spearman_pseudo_jackknife(x, y, cluster, n_clusters) if bca and np.isfinite(rho) else None,
    )
    if spearman_linear_totals is not None and "ci" in out["spearman_pooled"]:
        out["spearman_pooled"]["ci_method"] = LINEARISED
    r = float(rm_corr_from_totals(rm_point))
    rm = estimate(
        r,
        None if rm_boot is None else rm_corr_from_totals(rm_boot),
        n_clusters=participants,
        level=level,
        undefined="no within-person variation in one of the two valences",
        jackknife=None if rm_jackknife is None else rm_corr_from_totals(rm_jackknife),
    )
    dof = n - participants - 1
    if rm["estimate"] is not None and dof > 0 and abs(r) < 1:
        t = r * np.sqrt(dof / (1 - r * r))
        rm.update(dof=dof, p_value=float(2 * t_dist.sf(abs(t), dof)))
    out["repeated_measures_r"] = rm
    return out
