"""The whole analysis of a study: every statistic, overall and per condition, as plain JSON data.

All per-participant sums are registered once and resampled together, so every interval comes
from the same participant resamples and one matrix product.

>>> from fer_stats.simulate import simulate_study
>>> results = analyze(simulate_study(n_participants=30, seed=2).trials, n_boot=200, seed=0)
>>> sorted(results["decisive"]["all"]["difference"])
['ci', 'ci_method', 'estimate']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fer_conditions import CONDITIONS
from fer_stats import agreement, cooccurrence, decisive, observers, valence
from fer_stats.agreement import label_codes
from fer_stats.bootstrap import ClusterSums, count_table
from fer_stats.provenance import provenance, stamp
from fer_stats.schema import (
    TrialTableError,
    infer_labels,
    probability_columns,
    validate_ratings,
    validate_trials,
)

SCOPES = ("all", *CONDITIONS)
MODEL_PAIRS = (("predicted", "target"), ("predicted", "felt"))
OBSERVER_PAIRS = (("observers", "target"), ("observers", "felt"), ("observers_felt_guess", "felt"))
# Re-ranking each resample for Spearman costs trials x resamples; above this, linearise instead.
EXACT_SPEARMAN_LIMIT = 10_000_000


def analyze(
    trials: pd.DataFrame,
    ratings: pd.DataFrame | None = None,
    *,
    labels: Sequence[str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    valence_of: Mapping[str, float] = valence.LABEL_VALENCE,
    spearman_resampling: str = "auto",
) -> dict:
    """Analyse a tidy trial table (and optional ratings); see the module docstring for an example.

    n_boot=0 skips intervals. Undefined values are None with a "reason", never NaN.
    spearman_resampling: "exact" re-ranks every resample, "linearised" uses each participant's
    influence, "auto" is exact while trials x resamples <= EXACT_SPEARMAN_LIMIT.
    """
    if spearman_resampling not in ("auto", "exact", "linearised"):
        raise ValueError("spearman_resampling must be 'auto', 'exact' or 'linearised'")
    labels = tuple(labels) if labels is not None else infer_labels(trials)
    trials = validate_trials(trials, labels=labels)
    if trials.empty:
        raise TrialTableError("the trial table has no rows")
    if n_boot < 0:
        raise ValueError("n_boot must be >= 0")
    cluster, participants = pd.factorize(trials["participant_id"], sort=True)
    n_clusters, k = len(participants), len(labels)
    codes = {name: label_codes(trials[name].to_numpy(), labels) for name in ("felt", "target", "predicted")}
    condition = trials["condition"]
    in_scope = {"all": np.ones(len(trials), dtype=bool)} | {c: condition.eq(c).to_numpy() for c in CONDITIONS}
    sums = ClusterSums(n_clusters)
    consumers: list = []

    rating_info = None
    pairs = list(MODEL_PAIRS)
    if ratings is not None:
        rating_info = _rating_codes(trials, ratings, labels, cluster, n_clusters)
        codes["observers"], codes["observers_felt_guess"] = rating_info["majority"], rating_info["felt_majority"]
        pairs += OBSERVER_PAIRS

    # Agreement tables per condition; the overall table is their sum, so it needs no columns of its own.
    table_slots = {}
    for pred, ref in pairs:
        for scope in CONDITIONS:
            cell = np.where(in_scope[scope] & (codes[ref] >= 0) & (codes[pred] >= 0), codes[ref] * k + codes[pred], -1)
            table_slots[pred, ref, scope] = sums.add(count_table(cluster, n_clusters, cell, k * k))
    decisive_slots = {
        scope: sums.add(
            decisive.decisive_sums(
                target=np.where(in_scope[scope], codes["target"], -1),
                felt=codes["felt"],
                predicted=codes["predicted"],
                cluster=cluster,
                n_clusters=n_clusters,
            )
        )
        for scope in CONDITIONS
    }
    natural_or_express = condition.isin(cooccurrence.CONDITIONS).to_numpy()
    cell = np.where(
        natural_or_express & (codes["felt"] >= 0) & (codes["predicted"] >= 0),
        codes["felt"] * k + codes["predicted"],
        -1,
    )
    cooccurrence_slot = sums.add(count_table(cluster, n_clusters, cell, k * k))

    valence_inputs = _valence_inputs(trials, labels, valence_of, in_scope, cluster)
    rm_slots, spearman, spearman_slots = {}, {}, {}
    exact = spearman_resampling == "exact" or (
        spearman_resampling == "auto" and len(valence_inputs["all"][0]) * n_boot <= EXACT_SPEARMAN_LIMIT
    )
    for scope, (x, y, c) in valence_inputs.items():
        rm_slots[scope] = sums.add(valence.rm_corr_sums(x, y, c, n_clusters))
        if n_boot and len(x) >= 2 and exact:
            spearman[scope] = valence.SpearmanResampler(x, y, c, n_clusters)
            consumers.append(spearman[scope])
        elif n_boot and len(x) >= 2:
            spearman_slots[scope] = sums.add(valence.spearman_linear_sums(x, y, c, n_clusters))

    if rating_info is not None:
        rating_slots = {
            "fleiss": sums.add(observers.fleiss_sums(rating_info["counts"], cluster, n_clusters)),
            "alpha": sums.add(observers.krippendorff_sums(rating_info["counts"], cluster, n_clusters)),
        } | {
            ref: sums.add(
                observers.paired_sums(
                    reference=codes[ref],
                    observers=codes["observers"],
                    model=codes["predicted"],
                    cluster=cluster,
                    n_clusters=n_clusters,
                )
            )
            for ref in ("target", "felt")
        }

    if n_boot:
        point, boot = sums.resample(n_boot=n_boot, seed=seed, also=consumers)
    else:
        point, boot = sums.matrix().sum(axis=0), None
    matrix = sums.matrix()

    def total(slot: slice | list[slice], *, resampled: bool = False) -> np.ndarray | None:
        slots = slot if isinstance(slot, list) else [slot]
        source = boot if resampled else point
        if source is None:
            return None
        return sum(source[..., s] for s in slots)

    def scoped(slots: Mapping[str, slice], scope: str) -> list[slice]:
        return list(slots.values()) if scope == "all" else [slots[scope]]

    def participants_in(slots: list[slice]) -> np.ndarray:
        return sum(matrix[:, s] for s in slots)

    tag = stamp(seed=seed, n_boot=n_boot)
    results: dict = {
        "provenance": provenance(seed=seed, n_boot=n_boot, level=level),
        "labels": list(labels),
        "n_trials": int(len(trials)),
        "n_participants": int(n_clusters),
        "trials_per_condition": {c: int(in_scope[c].sum()) for c in CONDITIONS},
        "agreement": {},
        "decisive": {},
        "valence": {},
    }
    for pred, ref in pairs:
        by_scope = {}
        for scope in SCOPES:
            slots = scoped({c: table_slots[pred, ref, c] for c in CONDITIONS}, scope)
            per_person = participants_in(slots)
            missing = int((in_scope[scope] & (codes[ref] >= 0) & (codes[pred] < 0)).sum())
            result = agreement.describe(
                total(slots).reshape(k, k),
                None if boot is None else total(slots, resampled=True).reshape(-1, k, k),
                labels=labels,
                n_clusters=int((per_person.sum(axis=1) > 0).sum()),
                n_missing=missing,
                level=level,
            )
            by_scope[scope] = result | tag
        results["agreement"][f"{pred}_vs_{ref}"] = by_scope

    for scope in SCOPES:
        slots = scoped(decisive_slots, scope)
        decisive_trials = in_scope[scope] & decisive.decisive_mask(codes["target"], codes["felt"])
        results["decisive"][scope] = (
            decisive.describe(
                participants_in(slots),
                total(slots, resampled=True),
                n_missing=int((decisive_trials & (codes["predicted"] < 0)).sum()),
                n_permutations=max(n_boot, 1000),
                seed=seed,
                level=level,
            )
            | tag
        )

    co_table = total(cooccurrence_slot).reshape(k, k)
    co_people = int((matrix[:, cooccurrence_slot].sum(axis=1) > 0).sum())
    results["cooccurrence"] = (
        cooccurrence.describe(
            co_table,
            None if boot is None else total(cooccurrence_slot, resampled=True).reshape(-1, k, k),
            labels=labels,
            n_clusters=co_people,
            level=level,
        )
        | tag
    )

    for scope, (x, y, c) in valence_inputs.items():
        results["valence"][scope] = (
            valence.describe(
                x=x,
                y=y,
                cluster=c,
                n_clusters=n_clusters,
                rm_point=total(rm_slots[scope]),
                rm_boot=total(rm_slots[scope], resampled=True),
                spearman_boot=spearman[scope].values() if scope in spearman else None,
                level=level,
                spearman_linear_totals=total(spearman_slots[scope], resampled=True)
                if scope in spearman_slots
                else None,
            )
            | tag
        )
    results["valence"]["label_valence"] = {label: valence_of[label] for label in labels}

    if rating_info is None:
        results["observers"] = {"reason": "no ratings given"}
    else:
        people = int((matrix[:, rating_slots["alpha"]][:, 1:].sum(axis=1) > 0).sum())
        reliability = observers.describe_reliability(
            fleiss_point=total(rating_slots["fleiss"]),
            fleiss_boot=total(rating_slots["fleiss"], resampled=True),
            alpha_point=total(rating_slots["alpha"]),
            alpha_boot=total(rating_slots["alpha"], resampled=True),
            n_clusters=people,
            n_ratings=rating_info["n_ratings"],
            n_raters=rating_info["n_raters"],
            level=level,
        )
        results["observers"] = {
            "reliability": reliability | tag,
            "n_ratings_without_trial": rating_info["unmatched"],
            "photos_without_majority": int((codes["observers"] < 0).sum()),
            "observers_vs_model": {
                ref: observers.describe_paired(
                    matrix[:, rating_slots[ref]], total(rating_slots[ref], resampled=True), reference=ref, level=level
                )
                | tag
                for ref in ("target", "felt")
            },
        }
    return results


def _valence_inputs(trials, labels, valence_of, in_scope, cluster) -> dict:
    prob_columns = probability_columns(labels)
    present = [c for c in prob_columns if c in trials]
    if len(present) == len(prob_columns):
        index = valence.model_valence_index(trials[prob_columns].to_numpy(dtype=float), labels, valence_of=valence_of)
    else:
        index = np.full(len(trials), np.nan)
    reported = trials["valence"].to_numpy(dtype=float)
    usable = np.isfinite(index) & np.isfinite(reported)
    return {
        scope: (index[usable & mask], reported[usable & mask], cluster[usable & mask])
        for scope, mask in in_scope.items()
    }


def _rating_codes(trials, ratings, labels, cluster, n_clusters) -> dict:
    ratings = validate_ratings(ratings, labels=labels)
    item_of = pd.Series(
        np.arange(len(trials)), index=pd.MultiIndex.from_frame(trials[["participant_id", "trial_index"]])
    )
    keys = pd.MultiIndex.from_frame(ratings[["participant_id", "trial_index"]])
    item = item_of.reindex(keys).to_numpy()
    matched = ~np.isnan(item)
    item = item[matched].astype(np.int64)
    k = len(labels)
    counts = observers.item_counts(
        item, label_codes(ratings["label"].to_numpy()[matched], labels), n_items=len(trials), n_labels=k
    )
    felt_counts = observers.item_counts(
        item, label_codes(ratings["felt_guess"].to_numpy()[matched], labels), n_items=len(trials), n_labels=k
    )
    return {
        "counts": counts,
        "majority": observers.majority_label(counts),
        "felt_majority": observers.majority_label(felt_counts),
        "n_ratings": int(matched.sum()),
        "n_raters": int(ratings.loc[matched, "rater_id"].nunique()),
        "unmatched": int((~matched).sum()),
    }
