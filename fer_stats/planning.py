"""Plan a study by simulation: how often do the intervals cover the truth, and how wide are they?

Compares participant-clustered intervals with trial-level ones (trials resampled as if independent,
and kappa's asymptotic standard error), which ignore that trials are nested in people.

>>> out = interval_coverage(n_studies=5, n_boot=100, seed=0, n_participants=20)
>>> sorted(out["coverage"])
['decisive_difference', 'target_kappa']
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from fer_stats.agreement import kappa_standard_error, label_codes, scores
from fer_stats.bootstrap import ClusterSums, count_table, percentile_interval
from fer_stats.decisive import decisive_sums, proportions
from fer_stats.simulate import simulate_study


def _intervals(codes: dict, cluster: np.ndarray, k: int, *, n_boot: int, seed: int, level: float) -> dict:
    n_clusters = int(cluster.max()) + 1
    sums = ClusterSums(n_clusters)
    decisive = sums.add(
        decisive_sums(
            target=codes["target"],
            felt=codes["felt"],
            predicted=codes["predicted"],
            cluster=cluster,
            n_clusters=n_clusters,
        )
    )
    cell = np.where((codes["target"] >= 0) & (codes["predicted"] >= 0), codes["target"] * k + codes["predicted"], -1)
    table = sums.add(count_table(cluster, n_clusters, cell, k * k))
    point, boot = sums.resample(n_boot=n_boot, seed=seed)
    return {
        "decisive_difference": (
            float(proportions(point[decisive])["difference"]),
            percentile_interval(proportions(boot[:, decisive])["difference"], level=level),
        ),
        "target_kappa": (
            float(scores(point[table].reshape(k, k))["kappa"]),
            percentile_interval(scores(boot[:, table].reshape(-1, k, k))["kappa"], level=level),
        ),
        "table": point[table].reshape(k, k),
    }


def interval_coverage(*, n_studies: int, n_boot: int = 1000, seed: int = 0, level: float = 0.95, **parameters) -> dict:
    """Share of simulated studies whose intervals contain the true value, per method and quantity."""
    methods = ("clustered_bootstrap", "trial_bootstrap", "trial_asymptotic")
    hits = {q: {m: 0 for m in methods} for q in ("decisive_difference", "target_kappa")}
    widths = {q: {m: [] for m in methods} for q in hits}
    truth = None
    z = norm.ppf(1 - (1 - level) / 2)
    for i in range(n_studies):
        study = simulate_study(seed=seed * 1_000_003 + i, **parameters)
        labels = list(study.parameters.labels)
        truth = study.truth
        trials = study.trials
        codes = {c: label_codes(trials[c].to_numpy(), labels) for c in ("target", "felt", "predicted")}
        _, person = np.unique(trials["participant_id"].to_numpy(), return_inverse=True)
        clustered = _intervals(codes, person, len(labels), n_boot=n_boot, seed=i, level=level)
        naive = _intervals(codes, np.arange(len(trials)), len(labels), n_boot=n_boot, seed=i, level=level)
        kappa, se = clustered["target_kappa"][0], kappa_standard_error(clustered["table"])
        asymptotic = {"target_kappa": (kappa, (kappa - z * se, kappa + z * se))}
        for quantity in hits:
            for method, source in (
                ("clustered_bootstrap", clustered),
                ("trial_bootstrap", naive),
                ("trial_asymptotic", asymptotic),
            ):
                if quantity not in source or source[quantity][1] is None:
                    continue
                low, high = source[quantity][1]
                hits[quantity][method] += int(low <= truth[quantity] <= high)
                widths[quantity][method].append(high - low)
    return {
        "n_studies": n_studies,
        "n_boot": n_boot,
        "seed": seed,
        "level": level,
        "truth": {q: truth[q] for q in hits} if truth else {},
        "coverage": {q: {m: hits[q][m] / n_studies for m in methods if widths[q][m]} for q in hits},
        "mean_width": {q: {m: float(np.mean(widths[q][m])) for m in methods if widths[q][m]} for q in hits},
    }
