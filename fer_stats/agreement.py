"""Agreement between two labelings (e.g. target vs predicted) from confusion tables.

Every score is vectorised over leading axes, so the same code scores the data (one table) and
all bootstrap resamples (a stack of tables). Rows are the reference, columns the prediction.

>>> table = confusion_table(["happy", "sad", "sad"], ["happy", "sad", "happy"], labels=["happy", "sad"])
>>> table.tolist()
[[1.0, 0.0], [1.0, 1.0]]
>>> round(float(scores(table)["kappa"]), 3)
0.4
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fer_stats.bootstrap import estimate
from fer_stats.intervals import (
    FCE_1969,
    GWET_2008,
    ac1_interval,
    ac1_standard_error,
    proportion_intervals,
    wald_interval,
    wilson_interval,
)
from fer_stats.schema import FELT_NONE

NONE_CODE = -2  # the felt answer "none of these": present, but no emotion

SUMMARY_SCORES = ("accuracy", "chance_accuracy", "kappa", "ac1", "macro_f1")
UNDEFINED = {
    "accuracy": "no trials with both values present",
    "chance_accuracy": "no trials with both values present",
    "kappa": "chance agreement is 1 (both columns use one and the same label) or no trials",
    "ac1": "no trials, or fewer than two labels in the label set",
    "macro_f1": "no trials with both values present",
}


def label_codes(values: Sequence, labels: Sequence[str]) -> np.ndarray:
    """Integer code per value: the label's position, -1 for missing (None/NaN/empty).

    >>> label_codes(["sad", None, "happy"], ["happy", "sad"]).tolist()
    [1, -1, 0]
    """
    values = np.asarray(values, dtype=object)
    return pd.Index(list(labels), dtype=object).get_indexer(values).astype(np.int64)


def felt_codes(values: Sequence, labels: Sequence[str]) -> np.ndarray:
    """Like label_codes, with the felt answer "none" as its own code NONE_CODE (not missing, not a label).

    >>> felt_codes(["sad", "none", None], ["happy", "sad"]).tolist()
    [1, -2, -1]
    """
    values = np.asarray(values, dtype=object)
    codes = label_codes(values, labels)
    codes[values == FELT_NONE] = NONE_CODE
    return codes


def confusion_table(reference: Sequence, predicted: Sequence, *, labels: Sequence[str]) -> np.ndarray:
    """Counts of (reference, predicted) over trials where both are present.

    >>> confusion_table(["a", None], ["a", "a"], labels=["a", "b"]).tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    """
    k = len(labels)
    ref, pred = label_codes(reference, labels), label_codes(predicted, labels)
    both = (ref >= 0) & (pred >= 0)
    return np.bincount(ref[both] * k + pred[both], minlength=k * k).reshape(k, k).astype(np.float64)


def scores(tables: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, chance accuracy from the marginals, Cohen's kappa, Gwet's AC1 and macro-F1.

    Undefined values are NaN. Macro-F1 averages the labels that occur in either column.

    >>> s = scores(np.array([[5.0, 0.0], [0.0, 5.0]]))
    >>> float(s["kappa"]), float(s["macro_f1"])
    (1.0, 1.0)
    """
    tables = np.asarray(tables, dtype=np.float64)
    k = tables.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        n = tables.sum(axis=(-2, -1))
        diagonal = np.diagonal(tables, axis1=-2, axis2=-1)
        rows, cols = tables.sum(axis=-1), tables.sum(axis=-2)
        accuracy = diagonal.sum(axis=-1) / n
        chance = (rows * cols).sum(axis=-1) / (n * n)
        kappa = np.where(chance < 1, (accuracy - chance) / (1 - chance), np.nan)
        shares = (rows + cols) / (2 * n[..., None])
        chance_ac1 = (shares * (1 - shares)).sum(axis=-1) / (k - 1) if k > 1 else np.full_like(n, np.nan)
        ac1 = (accuracy - chance_ac1) / (1 - chance_ac1)
        present = (rows + cols) > 0
        f1 = np.where(present, 2 * diagonal / np.where(present, rows + cols, 1), 0.0)
        macro_f1 = f1.sum(axis=-1) / present.sum(axis=-1)
    return {
        "accuracy": accuracy,
        "chance_accuracy": chance,
        "kappa": kappa,
        "ac1": ac1,
        "macro_f1": macro_f1,
    }


def kappa_standard_error(table: np.ndarray) -> float:
    """Asymptotic (non-null) SE of Cohen's kappa: Fleiss, Cohen & Everitt (1969), as statsmodels.

    NaN when kappa is undefined.

    >>> round(kappa_standard_error(np.array([[20.0, 5.0], [10.0, 15.0]])), 4)
    0.127
    """
    table = np.asarray(table, dtype=np.float64)
    n = table.sum()
    if n == 0:
        return float("nan")
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    chance = float(rows @ cols)
    if chance >= 1:
        return float("nan")
    kappa = (np.trace(p) - chance) / (1 - chance)
    term_a = (np.diag(p) * (1 - (rows + cols) * (1 - kappa)) ** 2).sum()
    off = p * (cols[:, None] + rows[None, :]) ** 2
    np.fill_diagonal(off, 0)
    term_b = (1 - kappa) ** 2 * off.sum()
    term_c = (kappa - chance * (1 - kappa)) ** 2
    return float(np.sqrt(max(term_a + term_b - term_c, 0.0) / (1 - chance) ** 2 / n))


def per_class(table: np.ndarray, labels: Sequence[str]) -> dict[str, dict]:
    """Recall and precision per label (None where the label never occurs in that column).

    >>> per_class(np.array([[1.0, 1.0], [0.0, 0.0]]), ["a", "b"])["b"]
    {'support': 0, 'predicted': 1, 'recall': None, 'precision': 0.0}
    """
    table = np.asarray(table, dtype=np.float64)
    rows, cols, diagonal = table.sum(axis=1), table.sum(axis=0), np.diag(table)
    return {
        label: {
            "support": int(rows[i]),
            "predicted": int(cols[i]),
            "recall": float(diagonal[i] / rows[i]) if rows[i] else None,
            "precision": float(diagonal[i] / cols[i]) if cols[i] else None,
        }
        for i, label in enumerate(labels)
    }


def describe(
    table: np.ndarray,
    boot_tables: np.ndarray | None,
    *,
    labels: Sequence[str],
    n_clusters: int,
    n_missing: int = 0,
    level: float = 0.95,
    jackknife_tables: np.ndarray | None = None,
) -> dict:
    """All agreement results for one pair as plain data, with clustered intervals (BCa too when
    leave-one-participant-out tables are given) and, beside them, the analytic intervals: Wilson and
    Clopper-Pearson for accuracy, Fleiss-Cohen-Everitt for kappa, Gwet for AC1.

    >>> out = describe(np.array([[3.0, 1.0], [0.0, 2.0]]), None, labels=["a", "b"], n_clusters=1)
    >>> out["n"], out["accuracy"]["estimate"], sorted(out["kappa"]["intervals"])
    (6, 0.8333333333333334, ['fce_1969'])
    """
    point = scores(table)
    boot = scores(boot_tables) if boot_tables is not None else {}
    jack = scores(jackknife_tables) if jackknife_tables is not None else {}
    n = int(table.sum())
    out: dict = {"n": n, "n_missing": int(n_missing), "n_participants": int(n_clusters)}
    for name in SUMMARY_SCORES:
        out[name] = estimate(
            point[name],
            boot.get(name),
            n_clusters=n_clusters,
            undefined=UNDEFINED[name],
            level=level,
            jackknife=jack.get(name),
        )
    _add_analytic_intervals(out, table, level=level)
    out["per_class"] = per_class(table, labels)
    out["confusion"] = {
        "rows": "reference",
        "columns": "predicted",
        "labels": list(labels),
        "counts": table.astype(int).tolist(),
    }
    return out


def _add_analytic_intervals(out: dict, table: np.ndarray, *, level: float) -> None:
    n = float(table.sum())
    if out["accuracy"]["estimate"] is not None:
        out["accuracy"]["wilson_ci_trials_independent"] = list(wilson_interval(float(np.trace(table)), n, level=level))
        analytic = proportion_intervals(float(np.trace(table)), n, level=level)
        out["accuracy"]["intervals"] = out["accuracy"].get("intervals", {}) | analytic
    kappa, ac1 = out["kappa"], out["ac1"]
    if kappa["estimate"] is not None:
        se = kappa_standard_error(table)
        kappa["asymptotic_se"] = se if np.isfinite(se) else None
        kappa["intervals"] = kappa.get("intervals", {}) | {
            "fce_1969": {
                "ci": wald_interval(kappa["estimate"], se, level=level),
                "se": kappa["asymptotic_se"],
                "method": FCE_1969,
            }
        }
    if ac1["estimate"] is not None:
        se = ac1_standard_error(table)
        ac1["intervals"] = ac1.get("intervals", {}) | {
            "gwet_2008": {
                "ci": ac1_interval(ac1["estimate"], table, level=level),
                "se": se if np.isfinite(se) else None,
                "method": GWET_2008,
            }
        }
