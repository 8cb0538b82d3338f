"""How to read a results document: which interval to trust, which numbers rest on too few people,
and one paragraph in plain words about the decisive comparison.

Every estimate with intervals gets `recommended_interval` (a key of its `intervals`) and a
`recommendation` saying why; with interval="bca" its headline `ci` is the BCa one. Trial-level
analytic intervals ignore that trials are nested in people (benchmarks/stats_coverage.py: about 80-88%
coverage at 95%), so a clustered interval is preferred whenever there are people enough to resample;
BCa where the bootstrap distribution is skewed (few people, or an estimate near its bound).

>>> est = {"estimate": 0.97, "ci": [0.9, 1.0], "intervals": {"percentile": {"ci": [0.9, 1.0]},
...     "bca": {"ci": [0.88, 0.99]}}}
>>> recommend(est, n_participants=40, headline="percentile")["recommended_interval"]
'bca'
"""

from __future__ import annotations

from collections.abc import Iterator

from fer_stats.bootstrap import CLUSTERED_PERCENTILE
from fer_stats.intervals import BCA

FEW_PARTICIPANTS = 20  # below this, cluster-bootstrap intervals are known to run narrow
NEAR_BOUND = 0.1
ANALYTIC_PREFERENCE = ("clopper_pearson", "wilson", "fce_1969", "gwet_2008")
INTERVAL_METHODS = {"percentile": CLUSTERED_PERCENTILE, "bca": BCA}


def _near_bound(estimate: float, interval: list[float] | None) -> bool:
    """Near -1 or 1 (kappas, correlations, differences, proportions), or a proportion piled up at 0."""
    if abs(estimate) > 1 - NEAR_BOUND:
        return True
    return 0 <= estimate < NEAR_BOUND and interval is not None and interval[0] == 0.0


def recommend(result: dict, *, n_participants: int | None, headline: str) -> dict:
    """Say which of an estimate's intervals to trust, and set its headline `ci` (in place; returned)."""
    intervals = result.get("intervals") or {}
    if headline == "bca" and (intervals.get("bca") or {}).get("ci"):
        result["ci"], result["ci_method"] = intervals["bca"]["ci"], BCA
    clustered = [name for name in ("bca", "percentile") if (intervals.get(name) or {}).get("ci")]
    analytic = [name for name in ANALYTIC_PREFERENCE if (intervals.get(name) or {}).get("ci")]
    if not clustered and not analytic:
        return result
    if not clustered:
        choice, why = (
            analytic[0],
            (
                "no participant-clustered interval (fewer than two participants): this trial-level interval is "
                "the only one, and it ignores that trials are nested in the person"
            ),
        )
    elif n_participants is not None and n_participants < FEW_PARTICIPANTS:
        choice, why = (
            clustered[0],
            (
                f"only {n_participants} participants: clustered bootstrap intervals tend to be too narrow with "
                f"fewer than {FEW_PARTICIPANTS}; "
                + (
                    "BCa corrects bias and skew but not that, "
                    if clustered[0] == "bca"
                    else "BCa (interval='bca') would correct bias and skew, "
                )
                + "so read it as a lower bound on the uncertainty; trial-level intervals ignore the clustering"
            ),
        )
    elif _near_bound(result["estimate"], result.get("ci")):
        choice, why = (
            clustered[0],
            (
                "the estimate is near its bound, where the resampled values are skewed: "
                + ("BCa corrects for that" if clustered[0] == "bca" else "BCa (interval='bca') would correct for that")
                + "; Wald-type analytic intervals do not respect the bound"
            ),
        )
    else:
        choice = "bca" if headline == "bca" and "bca" in clustered else clustered[-1]
        why = (
            "enough participants and away from the bounds: the participant-clustered interval; trial-level "
            "intervals treat trials as independent and are too narrow when people contribute several trials"
        )
    result["recommended_interval"], result["recommendation"] = choice, why
    return result


def _estimates(node, n_participants: int | None = None) -> Iterator[tuple[dict, int | None]]:
    """Every estimate dict in a results tree, with the participant count of the nearest section above."""
    if isinstance(node, dict):
        if isinstance(node.get("n_participants"), int):
            n_participants = node["n_participants"]
        if "estimate" in node:
            yield node, n_participants
        for key, value in node.items():
            if key not in ("intervals", "provenance"):
                yield from _estimates(value, n_participants)
    elif isinstance(node, list):
        for value in node:
            yield from _estimates(value, n_participants)


def annotate(results: dict, *, headline: str = "percentile", min_participants: int = 0) -> dict:
    """Interval recommendations on every estimate, and a flag on every section with fewer than
    `min_participants` participants (in place; returned).

    >>> out = annotate({"x": {"n_participants": 3, "p": {"estimate": 0.5}}}, min_participants=10)
    >>> out["x"]["few_participants"]
    'based on 3 participants, fewer than the stated minimum of 10'
    """
    for result, n in _estimates(results):
        recommend(result, n_participants=n, headline=headline)
    if min_participants:
        _flag_sections(results, min_participants)
    return results


def _flag_sections(node, minimum: int) -> None:
    if isinstance(node, dict):
        n = node.get("n_participants")
        if isinstance(n, int) and n < minimum:
            node["few_participants"] = f"based on {n} participants, fewer than the stated minimum of {minimum}"
        for key, value in node.items():
            if key != "provenance":
                _flag_sections(value, minimum)
    elif isinstance(node, list):
        for value in node:
            _flag_sections(value, minimum)
