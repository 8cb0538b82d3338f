"""Co-occurrence of felt emotion and model label on natural and express trials.

Set beside the meta-analysis of Duran & Fernandez-Dols (2021, Emotion 21(7)): across studies, the
predicted expression co-occurred with the emotion with a pooled proportion of about .13 for full
expressions and .23 for full or partial ones.

>>> import numpy as np
>>> table = np.array([[2.0, 2.0], [0.0, 4.0]])   # rows felt, columns predicted
>>> conditional_rates(table)["predicted_given_felt"].tolist()
[0.5, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fer_stats.bootstrap import estimate
from fer_stats.intervals import proportion_intervals, wilson_interval

CONDITIONS = ("natural", "express")
META_ANALYTIC = {
    "source": "Duran, J. I., & Fernandez-Dols, J.-M. (2021). Do emotions result in their predicted "
    "facial expressions? A meta-analysis of studies on the co-occurrence of expression and emotion. "
    "Emotion, 21(7), 1550-1569.",
    "full_expression": 0.13,
    "full_or_partial_expression": 0.23,
}


def conditional_rates(tables: np.ndarray) -> dict[str, np.ndarray]:
    """Per label e: P(pred = e | felt = e) and P(felt = e | pred = e); NaN where undefined."""
    tables = np.asarray(tables, dtype=np.float64)
    diagonal = np.diagonal(tables, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "predicted_given_felt": diagonal / tables.sum(axis=-1),
            "felt_given_predicted": diagonal / tables.sum(axis=-2),
        }


def describe(
    table: np.ndarray,
    boot_tables: np.ndarray | None,
    *,
    labels: Sequence[str],
    n_clusters: int,
    level: float = 0.95,
    jackknife_tables: np.ndarray | None = None,
) -> dict:
    """Co-occurrence per felt emotion as plain data, with clustered, Wilson and Clopper-Pearson intervals.

    >>> out = describe(np.array([[1.0, 1.0], [0.0, 0.0]]), None, labels=["a", "b"], n_clusters=1)
    >>> out["by_label"]["b"]["predicted_given_felt"]["reason"]
    'nobody reported feeling b on natural or express trials with a prediction'
    """
    point = conditional_rates(table)
    boot = conditional_rates(boot_tables) if boot_tables is not None else None
    jack = conditional_rates(jackknife_tables) if jackknife_tables is not None else None
    rows, cols, diagonal = table.sum(axis=1), table.sum(axis=0), np.diag(table)
    by_label = {}
    for i, label in enumerate(labels):
        given_felt = estimate(
            point["predicted_given_felt"][i],
            None if boot is None else boot["predicted_given_felt"][:, i],
            n_clusters=n_clusters,
            level=level,
            jackknife=None if jack is None else jack["predicted_given_felt"][:, i],
            undefined=f"nobody reported feeling {label} on natural or express trials with a prediction",
        )
        given_pred = estimate(
            point["felt_given_predicted"][i],
            None if boot is None else boot["felt_given_predicted"][:, i],
            n_clusters=n_clusters,
            level=level,
            jackknife=None if jack is None else jack["felt_given_predicted"][:, i],
            undefined=f"the model never predicted {label} on natural or express trials",
        )
        for result, n in ((given_felt, rows[i]), (given_pred, cols[i])):
            if n:
                result["wilson_ci_trials_independent"] = list(wilson_interval(diagonal[i], n, level=level))
                result["intervals"] = result.get("intervals", {}) | proportion_intervals(diagonal[i], n, level=level)
        by_label[label] = {
            "n_felt": int(rows[i]),
            "n_predicted": int(cols[i]),
            "predicted_given_felt": given_felt,
            "felt_given_predicted": given_pred,
        }
    return {"conditions": list(CONDITIONS), "n": int(table.sum()), "by_label": by_label, "meta_analytic": META_ANALYTIC}
