"""Participant-clustered bootstrap as weights over per-participant sums.

Trials are nested in people, so a resample draws participants with replacement. Every statistic
here is a function of sums over trials, so a resample is a weight vector over participants and
all resamples at once are one matrix product: (resamples x participants) @ (participants x sums).

>>> import numpy as np
>>> sums = np.array([[3.0, 1.0], [2.0, 2.0]])      # per participant: trials, successes
>>> totals = np.vstack(list(resample_weights(2, 4, seed=0))) @ sums
>>> totals.shape
(4, 2)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from fer_stats.intervals import BCA, bca_interval, wilson_interval  # noqa: F401 (wilson: its old home)

CHUNK_ROWS = 256  # resamples per weight block: bounds memory at 1M trials, fixed so seeds reproduce
CLUSTERED_PERCENTILE = "participant-clustered percentile bootstrap"


def resample_weights(n_clusters: int, n_boot: int, *, seed: int) -> Iterator[np.ndarray]:
    """Blocks of resample weights: row b says how often each cluster is drawn in resample b.

    Each row is multinomial(n_clusters, uniform), drawn as n_clusters uniform picks and counted.

    >>> w = np.vstack(list(resample_weights(3, 5, seed=1)))
    >>> w.shape, bool((w.sum(axis=1) == 3).all())
    ((5, 3), True)
    """
    rng = np.random.default_rng(seed)
    for start in range(0, n_boot, CHUNK_ROWS):
        rows = min(CHUNK_ROWS, n_boot - start)
        picks = rng.integers(0, n_clusters, size=(rows, n_clusters))
        picks += (np.arange(rows) * n_clusters)[:, None]
        counts = np.bincount(picks.ravel(), minlength=rows * n_clusters)
        yield counts.reshape(rows, n_clusters).astype(np.float64)


def weight_matrix(n_clusters: int, n_boot: int, *, seed: int) -> np.ndarray:
    """All resample weights as one (n_boot x n_clusters) matrix.

    >>> weight_matrix(4, 2, seed=0).sum(axis=1)
    array([4., 4.])
    """
    return np.vstack(list(resample_weights(n_clusters, n_boot, seed=seed)))


def sums_by_cluster(cluster: np.ndarray, n_clusters: int, values: np.ndarray) -> np.ndarray:
    """Per-cluster column sums of a (trials x m) array.

    >>> sums_by_cluster(np.array([0, 1, 0]), 2, np.array([[1.0], [2.0], [3.0]]))
    array([[4.],
           [2.]])
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    columns = [np.bincount(cluster, weights=v, minlength=n_clusters) for v in values.T]
    return np.column_stack(columns) if columns else np.zeros((n_clusters, 0))


def count_table(cluster: np.ndarray, n_clusters: int, cell: np.ndarray, n_cells: int) -> np.ndarray:
    """Per-cluster counts of integer cells (negative cells are ignored), shape (n_clusters, n_cells).

    >>> count_table(np.array([0, 0, 1]), 2, np.array([1, -1, 0]), 2)
    array([[0., 1.],
           [1., 0.]])
    """
    keep = cell >= 0
    flat = cluster[keep].astype(np.int64) * n_cells + cell[keep]
    return np.bincount(flat, minlength=n_clusters * n_cells).reshape(n_clusters, n_cells).astype(np.float64)


class ClusterSums:
    """Per-cluster sums registered by each analysis, resampled together in one product.

    >>> sums = ClusterSums(n_clusters=2)
    >>> block = sums.add(np.array([[1.0], [3.0]]))
    >>> point, boot = sums.resample(n_boot=3, seed=0)
    >>> point[block].tolist()
    [4.0]
    """

    def __init__(self, n_clusters: int) -> None:
        self.n_clusters = n_clusters
        self._blocks: list[np.ndarray] = []
        self._width = 0
        self._matrix: np.ndarray | None = None
        self._consumers: list = []

    def add(self, block: np.ndarray) -> slice:
        block = np.asarray(block, dtype=np.float64).reshape(self.n_clusters, -1)
        self._blocks.append(block)
        self._matrix = None
        where = slice(self._width, self._width + block.shape[1])
        self._width += block.shape[1]
        return where

    def add_consumer(self, consumer) -> None:
        """A statistic that is not a sum (e.g. a rank correlation) sees every block of weights."""
        self._consumers.append(consumer)

    def matrix(self) -> np.ndarray:
        """All registered sums side by side, (clusters x columns)."""
        if self._matrix is None:
            self._matrix = np.hstack(self._blocks) if self._blocks else np.zeros((self.n_clusters, 0))
        return self._matrix

    def resample(self, *, n_boot: int, seed: int, also=()) -> tuple[np.ndarray, np.ndarray]:
        """Totals on the data (weights all one) and on each resample; `also` sees each weight block."""
        sums = self.matrix()
        boot = np.empty((n_boot, sums.shape[1]))
        row = 0
        for weights in resample_weights(self.n_clusters, n_boot, seed=seed):
            boot[row : row + len(weights)] = weights @ sums
            for consumer in (*self._consumers, *also):
                consumer(weights)
            row += len(weights)
        return sums.sum(axis=0), boot

    def totals(self, *, n_boot: int, seed: int, jackknife: bool = False) -> Totals:
        """Every registered sum on the data, per participant and (n_boot > 0) on each resample;
        with `jackknife`, also leaving out each participant in turn (for BCa)."""
        boot = self.resample(n_boot=n_boot, seed=seed)[1] if n_boot else None
        return Totals(self.matrix(), boot, jackknife=jackknife and boot is not None)


Slots = slice | list[slice]


class Totals:
    """Read side of ClusterSums: totals of one or several registered slots (added together).

    >>> sums = ClusterSums(n_clusters=2)
    >>> a, b = sums.add(np.array([[1.0], [3.0]])), sums.add(np.array([[10.0], [0.0]]))
    >>> totals = sums.totals(n_boot=0, seed=0)
    >>> totals.point([a, b]).tolist(), totals.boot(a), totals.participants(b)
    ([14.0], None, 1)
    """

    def __init__(self, matrix: np.ndarray, boot: np.ndarray | None, *, jackknife: bool = False) -> None:
        self.matrix, self._boot, self.with_jackknife = matrix, boot, jackknife
        self._point = matrix.sum(axis=0)

    @staticmethod
    def _sum(source: np.ndarray, slots: Slots) -> np.ndarray:
        slots = slots if isinstance(slots, list) else [slots]
        return sum(source[..., s] for s in slots)

    def point(self, slots: Slots) -> np.ndarray:
        return self._sum(self._point, slots)

    def boot(self, slots: Slots) -> np.ndarray | None:
        return None if self._boot is None else self._sum(self._boot, slots)

    def per_participant(self, slots: Slots) -> np.ndarray:
        return self._sum(self.matrix, slots)

    def jackknife(self, slots: Slots) -> np.ndarray | None:
        """Totals leaving out one participant at a time, (participants x columns); None unless asked for."""
        return self.point(slots) - self.per_participant(slots) if self.with_jackknife else None

    def participants(self, slots: Slots, *, columns: slice = slice(None)) -> int:
        """How many participants contribute anything to these slots (or to some of their columns)."""
        return int((self.per_participant(slots)[:, columns].sum(axis=1) > 0).sum())


def percentile_interval(values: np.ndarray, *, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of the defined (non-NaN) resampled values; None if none are defined.

    >>> [round(v, 6) for v in percentile_interval(np.arange(101.0))]
    [2.5, 97.5]
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def estimate(
    point: float,
    boot: np.ndarray | None,
    *,
    n_clusters: int,
    undefined: str,
    level: float = 0.95,
    jackknife: np.ndarray | None = None,
) -> dict:
    """A point estimate with its clustered interval as plain data, None with a reason if undefined.

    `ci` is the percentile interval; `intervals` holds every interval computed for the estimate, by
    name, each with its method (BCa as well when leave-one-participant-out values are given).

    >>> estimate(0.5, np.array([0.4, 0.6]), n_clusters=2, undefined="no trials")["estimate"]
    0.5
    """
    if point is None or not np.isfinite(point):
        return {"estimate": None, "reason": undefined}
    out: dict = {"estimate": float(point)}
    if boot is None:
        return out
    if n_clusters < 2:
        out.update(ci=None, ci_reason="one participant: a clustered interval needs at least two")
        return out
    interval = percentile_interval(boot, level=level)
    undefined_resamples = int(np.isnan(boot).sum())
    out["ci"] = list(interval) if interval else None
    out["ci_method"] = CLUSTERED_PERCENTILE
    if undefined_resamples:
        out["undefined_resamples"] = undefined_resamples
    if interval is None:
        out["ci_reason"] = f"undefined in every resample ({undefined})"
        return out
    out["intervals"] = {"percentile": {"ci": out["ci"], "method": CLUSTERED_PERCENTILE}}
    if jackknife is not None:
        bca, detail = bca_interval(float(point), boot, jackknife, level=level)
        out["intervals"]["bca"] = {"ci": bca, "method": BCA, **detail}
    return out
