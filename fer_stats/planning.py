"""Plan a study by simulation: how wide will the decisive interval be, how often will it exclude zero,
how often do intervals cover the truth, and how many participants would a stated width need?

`plan_sample_size` simulates studies from parameters over a range of sizes (for a planning page or
`python -m fer_stats plan`); `participants_for_width` resamples an observed study to larger sizes
(the sample-size warning of a results document); `interval_coverage` compares participant-clustered
intervals (percentile and BCa) with trial-level ones (trials resampled as if independent, and kappa's
asymptotic SE).

>>> out = interval_coverage(n_studies=5, n_boot=100, seed=0, n_participants=20)
>>> sorted(out["coverage"])
['decisive_difference', 'target_kappa']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.stats import norm

from fer_stats.agreement import felt_codes, kappa_standard_error, label_codes, scores
from fer_stats.bootstrap import ClusterSums, count_table, percentile_interval, weight_matrix
from fer_stats.decisive import decisive_sums, proportions
from fer_stats.intervals import bca_interval
from fer_stats.simulate import StudyParameters, simulate_study


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
    jack = point - sums.matrix()
    values = {
        "decisive_difference": [proportions(x[..., decisive])["difference"] for x in (point, boot, jack)],
        "target_kappa": [scores(x[..., table].reshape(-1, k, k))["kappa"] for x in (point, boot, jack)],
    }
    out = {"table": point[table].reshape(k, k), "bca": {}}
    for quantity, (estimate, resampled, left_out) in values.items():
        estimate = float(np.ravel(estimate)[0])
        out[quantity] = (estimate, percentile_interval(resampled, level=level))
        out["bca"][quantity] = (estimate, bca_interval(estimate, resampled, left_out, level=level)[0])
    return out


def interval_coverage(*, n_studies: int, n_boot: int = 1000, seed: int = 0, level: float = 0.95, **parameters) -> dict:
    """Share of simulated studies whose intervals contain the true value, per method and quantity."""
    methods = ("clustered_bootstrap", "clustered_bca", "trial_bootstrap", "trial_asymptotic")
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
                ("clustered_bca", clustered["bca"]),
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


def _decisive_widths(
    sums: np.ndarray, *, n_boot: int, seed: int, level: float
) -> tuple[float | None, tuple[float, float] | None]:
    """Decisive difference and its participant-clustered percentile interval from (participants x 3) sums."""
    point = float(proportions(sums.sum(axis=0))["difference"])
    boot = weight_matrix(len(sums), n_boot, seed=seed) @ sums
    interval = percentile_interval(proportions(boot)["difference"], level=level)
    return (point if np.isfinite(point) else None), interval


def participants_for_width(
    per_participant: np.ndarray,
    *,
    target_width: float,
    level: float = 0.95,
    n_studies: int = 60,
    n_boot: int = 400,
    seed: int = 0,
    max_participants: int = 100_000,
) -> dict:
    """How many participants would make the decisive interval at most `target_width` wide, by simulation
    from the study itself: synthetic studies of n participants drawn with replacement from the observed
    ones (their decisive-trial counts, per_participant = (participants x 3) decisive_sums), each given its
    clustered interval. The search starts from the square-root law and steps until the mean width fits.

    >>> sums = np.array([[4.0, 3.0, 1.0], [4.0, 1.0, 2.0], [4.0, 4.0, 0.0], [4.0, 2.0, 1.0]] * 5)
    >>> out = participants_for_width(sums, target_width=0.2, n_studies=20, n_boot=200)
    >>> out["participants_needed"] > 20
    True
    """
    rng = np.random.default_rng([seed, 2])
    people = len(per_participant)

    def mean_width(n: int) -> float:
        widths = []
        for study in range(n_studies):
            drawn = per_participant[rng.integers(0, people, size=n)]
            interval = _decisive_widths(drawn, n_boot=n_boot, seed=seed + study, level=level)[1]
            if interval is not None:
                widths.append(interval[1] - interval[0])
        return float(np.mean(widths)) if widths else float("inf")

    observed = mean_width(people)
    guess = np.ceil(people * (observed / target_width) ** 2) if np.isfinite(observed) else max_participants
    n = int(min(max(guess, 2), max_participants))
    tried = {n: mean_width(n)}
    grow = tried[n] > target_width  # then step up until it fits, else step down until it no longer does
    for _ in range(12):
        following = int(min(max(np.ceil(n * 1.1) if grow else np.floor(n * 0.95), 2), max_participants))
        if following == n:
            break
        n = following
        tried[n] = mean_width(n)
        if (tried[n] <= target_width) == grow:
            break
    fitting = [size for size, width in tried.items() if width <= target_width]
    return {
        "participants_needed": min(fitting) if fitting else None,
        "reason": None if fitting else f"not reached within {max_participants} participants",
        "expected_width_now": observed,
        "widths_tried": {str(size): width for size, width in sorted(tried.items())},
        "method": (
            f"{n_studies} synthetic studies per size, participants drawn with replacement from this study, "
            f"{n_boot} participant resamples each; mean width of the {level:.0%} clustered interval"
        ),
    }


def plan_sample_size(
    sizes: Sequence[int],
    *,
    n_studies: int = 200,
    n_boot: int = 500,
    level: float = 0.95,
    seed: int = 0,
    target_width: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    **parameters,
) -> dict:
    """Expected width of the decisive difference's clustered interval, and power (share of studies whose
    interval excludes zero), over a range of sample sizes; simulate_study(**parameters) for each study.

    progress(done, total) is called after every simulated study (for a progress bar).

    >>> out = plan_sample_size([10, 30], n_studies=4, n_boot=100, pose_fidelity=0.9)
    >>> [row["n_participants"] for row in out["rows"]], out["rows"][1]["mean_width"] < out["rows"][0]["mean_width"]
    ([10, 30], True)
    """
    sizes = sorted({int(size) for size in sizes})
    if not sizes or sizes[0] < 2:
        raise ValueError("sample sizes must be whole numbers of at least 2 participants")
    total, done, rows, truth = len(sizes) * n_studies, 0, [], None
    for size in sizes:
        widths, excludes_zero, covers = [], 0, 0
        for i in range(n_studies):
            study = simulate_study(n_participants=size, seed=seed * 1_000_003 + size * 1_009 + i, **parameters)
            truth = study.truth["decisive_difference"]
            labels = list(study.parameters.labels)
            codes = {c: label_codes(study.trials[c].to_numpy(), labels) for c in ("target", "predicted")}
            codes["felt"] = felt_codes(study.trials["felt"].to_numpy(), labels)
            _, person = np.unique(study.trials["participant_id"].to_numpy(), return_inverse=True)
            sums = decisive_sums(cluster=person, n_clusters=size, **codes)
            interval = _decisive_widths(sums, n_boot=n_boot, seed=i, level=level)[1]
            if interval is not None:
                widths.append(interval[1] - interval[0])
                excludes_zero += int(interval[0] > 0 or interval[1] < 0)
                covers += int(interval[0] <= truth <= interval[1])
            done += 1
            if progress:
                progress(done, total)
        rows.append(_plan_row(size, widths, excludes_zero, covers, n_studies))
    fitting = [row["n_participants"] for row in rows if target_width and row["mean_width"] <= target_width]
    return {
        "parameters": {k: v for k, v in StudyParameters(**parameters).__dict__.items() if k != "n_participants"},
        "true_decisive_difference": truth,
        "n_studies": n_studies,
        "n_boot": n_boot,
        "level": level,
        "seed": seed,
        "target_width": target_width,
        "participants_needed": min(fitting) if fitting else None,
        "rows": rows,
    }


def _plan_row(size: int, widths: list[float], excludes_zero: int, covers: int, n_studies: int) -> dict:
    return {
        "n_participants": size,
        "mean_width": float(np.mean(widths)) if widths else None,
        "median_width": float(np.median(widths)) if widths else None,
        "power": excludes_zero / n_studies,
        "coverage": covers / n_studies,
        "studies_with_interval": len(widths),
    }
