"""Human observers: agreement among raters, their majority label, and humans against the model.

Photos are items; each item's ratings become a row of label counts. Fleiss' kappa and
Krippendorff's alpha (nominal) are sums over items, so their clustered intervals resample the
photographed participants (raters are held fixed).

>>> import numpy as np
>>> counts = np.array([[3.0, 0.0], [0.0, 3.0], [2.0, 1.0]])   # 3 photos, 3 raters, 2 labels
>>> round(fleiss_kappa(counts), 4), round(krippendorff_alpha(counts), 4)
(0.55, 0.6)
"""

from __future__ import annotations

import numpy as np

from fer_stats.bootstrap import estimate
from fer_stats.decisive import exact_mcnemar

PAIRED_COLUMNS = ("n", "observers_correct", "model_correct", "both_correct")


def item_counts(item: np.ndarray, label: np.ndarray, *, n_items: int, n_labels: int) -> np.ndarray:
    """(items x labels) rating counts; ratings with label -1 (skipped) are ignored.

    >>> item_counts(np.array([0, 0, 1]), np.array([1, 1, -1]), n_items=2, n_labels=2).tolist()
    [[0.0, 2.0], [0.0, 0.0]]
    """
    keep = label >= 0
    flat = item[keep] * n_labels + label[keep]
    return np.bincount(flat, minlength=n_items * n_labels).reshape(n_items, n_labels).astype(np.float64)


def fleiss_sums(counts: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Per-cluster [sum of item agreement P_i, items, label totals...] over items with >= 2 ratings.

    With unequal numbers of ratings per item this is the usual generalisation (P_i per item, the
    label shares pooled over ratings); with equal numbers it is Fleiss (1971) exactly.
    """
    m = counts.sum(axis=1)
    use = m >= 2
    agreement = np.zeros(len(m))
    agreement[use] = ((counts[use] ** 2).sum(axis=1) - m[use]) / (m[use] * (m[use] - 1))
    columns = np.column_stack([agreement, use.astype(np.float64), counts * use[:, None]])
    return _by_cluster(columns, cluster, n_clusters)


def fleiss_from_totals(totals: np.ndarray) -> np.ndarray:
    totals = np.asarray(totals, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = totals[..., 0] / totals[..., 1]
        shares = totals[..., 2:] / totals[..., 2:].sum(axis=-1, keepdims=True)
        chance = (shares**2).sum(axis=-1)
        return np.where(chance < 1, (observed - chance) / (1 - chance), np.nan)


def krippendorff_sums(counts: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Per-cluster [sum of diagonal coincidences, pairable values per label...] (nominal data).

    Only items with >= 2 ratings are pairable (Krippendorff, 2011, "Computing Krippendorff's alpha").
    """
    m = counts.sum(axis=1)
    use = m >= 2
    diagonal = np.zeros(len(m))
    diagonal[use] = (counts[use] * (counts[use] - 1)).sum(axis=1) / (m[use] - 1)
    columns = np.column_stack([diagonal, counts * use[:, None]])
    return _by_cluster(columns, cluster, n_clusters)


def alpha_from_totals(totals: np.ndarray) -> np.ndarray:
    totals = np.asarray(totals, dtype=np.float64)
    n_c = totals[..., 1:]
    n = n_c.sum(axis=-1)
    expected = n * n - (n_c**2).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(expected > 0, 1 - (n - 1) * (n - totals[..., 0]) / expected, np.nan)


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa of an (items x labels) count table; NaN if undefined."""
    counts = np.asarray(counts, dtype=np.float64)
    return float(fleiss_from_totals(fleiss_sums(counts, np.zeros(len(counts), dtype=int), 1)[0]))


def krippendorff_alpha(counts: np.ndarray) -> float:
    """Krippendorff's alpha (nominal) of an (items x labels) count table; NaN if undefined."""
    counts = np.asarray(counts, dtype=np.float64)
    return float(alpha_from_totals(krippendorff_sums(counts, np.zeros(len(counts), dtype=int), 1)[0]))


def majority_label(counts: np.ndarray) -> np.ndarray:
    """Code of the most frequent label per item; -1 when unrated or tied.

    >>> majority_label(np.array([[2.0, 1.0], [1.0, 1.0], [0.0, 0.0]])).tolist()
    [0, -1, -1]
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.shape[1] == 0:
        return np.full(len(counts), -1)
    best = counts.argmax(axis=1)
    top = counts.max(axis=1)
    tied = (counts == top[:, None]).sum(axis=1) > 1
    return np.where((top > 0) & ~tied, best, -1)


def paired_sums(
    *, reference: np.ndarray, observers: np.ndarray, model: np.ndarray, cluster: np.ndarray, n_clusters: int
) -> np.ndarray:
    """Per-cluster [n, observers' majority correct, model correct, both] on photos where all three exist."""
    keep = (reference >= 0) & (observers >= 0) & (model >= 0)
    human, machine = keep & (observers == reference), keep & (model == reference)
    columns = np.column_stack([keep, human, machine, human & machine])
    return _by_cluster(columns.astype(np.float64), cluster, n_clusters)


def _by_cluster(columns: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    return np.column_stack([np.bincount(cluster, weights=c, minlength=n_clusters) for c in columns.T])


def describe_reliability(
    *,
    fleiss_point: np.ndarray,
    fleiss_boot: np.ndarray | None,
    alpha_point: np.ndarray,
    alpha_boot: np.ndarray | None,
    n_clusters: int,
    n_ratings: int,
    n_raters: int,
    level: float = 0.95,
    fleiss_jackknife: np.ndarray | None = None,
    alpha_jackknife: np.ndarray | None = None,
) -> dict:
    """Inter-rater reliability as plain data (BCa too when leave-one-participant-out totals are given)."""
    items = int(fleiss_point[1])
    undefined = "fewer than two ratings on every photo, or every rating is the same label"
    return {
        "n": n_ratings,
        "n_ratings": n_ratings,
        "n_raters": n_raters,
        "n_photos_with_two_or_more_ratings": items,
        "interval_note": "clustered by photographed participant; raters held fixed",
        "fleiss_kappa": estimate(
            float(fleiss_from_totals(fleiss_point)),
            None if fleiss_boot is None else fleiss_from_totals(fleiss_boot),
            n_clusters=n_clusters,
            undefined=undefined,
            level=level,
            jackknife=None if fleiss_jackknife is None else fleiss_from_totals(fleiss_jackknife),
        ),
        "krippendorff_alpha_nominal": estimate(
            float(alpha_from_totals(alpha_point)),
            None if alpha_boot is None else alpha_from_totals(alpha_boot),
            n_clusters=n_clusters,
            undefined=undefined,
            level=level,
            jackknife=None if alpha_jackknife is None else alpha_from_totals(alpha_jackknife),
        ),
    }


def describe_paired(
    sums: np.ndarray,
    boot_totals: np.ndarray | None,
    *,
    reference: str,
    level: float = 0.95,
    jackknife_totals: np.ndarray | None = None,
) -> dict:
    """Observers' majority against the model on the same photos, as plain data.

    >>> describe_paired(np.array([[2.0, 2.0, 1.0, 1.0]]), None, reference="target")["model_minus_observers"]
    {'estimate': -0.5}
    """
    totals = sums.sum(axis=0)
    n_clusters = int((sums[:, 0] > 0).sum())
    undefined = f"no photo has a {reference}, an observers' majority and a model label"

    def rates(t: np.ndarray) -> dict[str, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore"):
            human, model = t[..., 1] / t[..., 0], t[..., 2] / t[..., 0]
        return {"observers_accuracy": human, "model_accuracy": model, "model_minus_observers": model - human}

    point, boot = rates(totals), rates(boot_totals) if boot_totals is not None else {}
    jack = rates(jackknife_totals) if jackknife_totals is not None else {}
    out: dict = {"reference": reference, "n": int(totals[0]), "n_participants": n_clusters}
    for name in ("observers_accuracy", "model_accuracy", "model_minus_observers"):
        out[name] = estimate(
            point[name],
            boot.get(name),
            n_clusters=n_clusters,
            undefined=undefined,
            level=level,
            jackknife=jack.get(name),
        )
    # Discordant photos: one of the two is right and the other wrong.
    observers_only, model_only = int(totals[1] - totals[3]), int(totals[2] - totals[3])
    if out["n"]:
        out["mcnemar_exact"] = exact_mcnemar(model_only, observers_only)
    return out
