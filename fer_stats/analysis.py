"""The whole analysis of a study: every statistic, overall and per condition, as plain JSON data.

In order: validate and code the tables, let every section register its per-participant sums, resample
participants once for all of them, and let every section describe itself from the totals.

>>> from fer_stats.simulate import simulate_study
>>> results = analyze(simulate_study(n_participants=30, seed=2).trials, n_boot=200, seed=0)
>>> sorted(results["decisive"]["all"]["difference"])
['ci', 'ci_method', 'estimate', 'intervals', 'recommendation', 'recommended_interval']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fer_conditions import CONDITIONS
from fer_stats import observers, valence
from fer_stats.agreement import felt_codes, label_codes
from fer_stats.bootstrap import ClusterSums
from fer_stats.chain import ChainSection
from fer_stats.comparisons import InductionSection, ModelsSection, split_models
from fer_stats.exclusions import DEFAULT_EXCLUSIONS, Exclusions, apply_exclusions
from fer_stats.guidance import annotate, plain_language, sample_size_check
from fer_stats.movement import MOVEMENT_THRESHOLD, movement_keys
from fer_stats.provenance import provenance, stamp
from fer_stats.schema import TrialTableError, check_label_set, infer_labels, validate_ratings, validate_trials
from fer_stats.sections import (
    Absent,
    AgreementSection,
    CodedTrials,
    CooccurrenceSection,
    DecisiveSection,
    ObserversSection,
    ValenceSection,
)

MODEL_PAIRS = (("predicted", "target"), ("predicted", "felt"))
OBSERVER_PAIRS = (("observers", "target"), ("observers", "felt"), ("observers_felt_guess", "felt"))
SPEARMAN_RESAMPLING = ("auto", "exact", "linearised")
INTERVALS = ("percentile", "bca")


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
    interval: str = "percentile",
    min_participants: int = 0,
    target_width: float | None = None,
    exclusions: Exclusions = DEFAULT_EXCLUSIONS,
    model: str | None = None,
    movement_threshold: float = MOVEMENT_THRESHOLD,
) -> dict:
    """Analyse a tidy trial table (and optional ratings); see the module docstring for an example.

    n_boot=0 skips intervals. Undefined values are None with a "reason", never NaN.
    spearman_resampling: "exact" re-ranks every resample, "linearised" uses each participant's
    influence, "auto" is exact while trials x resamples <= sections.EXACT_SPEARMAN_LIMIT.
    interval: the headline `ci` of every estimate, "percentile" or "bca" (BCa also computes the
    jackknife over participants); each estimate lists all its intervals under `intervals` and names
    the one to trust in `recommended_interval`.
    min_participants: sections based on fewer participants carry a `few_participants` flag.
    target_width: results["sample_size"] warns when the decisive interval is wider, with the
    participants a planning simulation says are needed; results["summary"] says it all in words.
    exclusions: the declared exclusions (default: pilot runs left out); the rules and the flow of
    participants and trials through them are in results["exclusions"].
    model: with a `model` column (one row per trial and model), the model the results are about
    (default: the first in the table); results["models"] compares them all.
    movement_threshold: with move_<key> columns, results["chain"] tests feeling -> face -> label; a
    prototype "shows" when its score (robust SDs of change from the participant's baseline) exceeds this.

    >>> from fer_stats.simulate import simulate_study
    >>> out = analyze(simulate_study(n_participants=8, seed=3).trials, n_boot=100, min_participants=10)
    >>> out["decisive"]["all"]["few_participants"], out["summary"]["reading"] in ("face", "feeling", "undecided")
    ('based on 8 participants, fewer than the stated minimum of 10', True)
    """
    _check_options(spearman_resampling=spearman_resampling, interval=interval, n_boot=n_boot)
    data, rating_info, flow, predictions = _prepare(trials, ratings, labels=labels, exclusions=exclusions, model=model)
    sums = ClusterSums(data.n_clusters)
    sections = _sections(
        data,
        sums,
        rating_info,
        predictions,
        valence_of=valence_of,
        n_boot=n_boot,
        spearman_resampling=spearman_resampling,
        movement_threshold=movement_threshold,
    )
    totals = sums.totals(n_boot=n_boot, seed=seed, jackknife=interval == "bca")
    tag = stamp(seed=seed, n_boot=n_boot)
    results = {
        **_header(data, seed=seed, n_boot=n_boot, level=level, interval=interval),
        "exclusions": {"rules": exclusions.declared(), "flow": flow},
    }
    for name, section in sections.items():
        results[name] = section.describe(totals, tag=tag, level=level, seed=seed)
    results["sample_size"] = sample_size_check(
        sections["decisive"].per_participant(totals),
        results["decisive"]["all"],
        target_width=target_width,
        level=level,
        seed=seed,
    )
    results["summary"] = plain_language(results)
    return annotate(results, headline=interval, min_participants=min_participants)


def _check_options(*, spearman_resampling: str, interval: str, n_boot: int) -> None:
    if spearman_resampling not in SPEARMAN_RESAMPLING:
        raise ValueError("spearman_resampling must be 'auto', 'exact' or 'linearised'")
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
    if n_boot < 0:
        raise ValueError("n_boot must be >= 0")


def _prepare(trials, ratings, *, labels, exclusions: Exclusions, model: str | None):
    """Validated, excluded and coded tables: (coded trials, rating codes or None, exclusion flow, model readings)."""
    labels = check_label_set(labels if labels is not None else infer_labels(trials))
    clean = validate_trials(trials, labels=labels)
    if clean.empty:
        raise TrialTableError("the trial table has no rows")
    clean_ratings = None if ratings is None else validate_ratings(ratings, labels=labels)
    kept = apply_exclusions(clean, clean_ratings, rules=exclusions)
    if kept.trials.empty:
        raise TrialTableError(f"no trials are left after the declared exclusions: {kept.flow['steps']}")
    base, predictions = split_models(kept.trials, labels, model)
    data = code_trials(base, labels=labels, validated=True)
    rating_info = None if kept.ratings is None else _code_ratings(data, kept.ratings)
    return data, rating_info, kept.flow, predictions


def _sections(
    data: CodedTrials,
    sums: ClusterSums,
    rating_info,
    predictions: dict,
    *,
    movement_threshold: float,
    **valence_options,
) -> dict:
    """Every section of the results, in order; each registers its sums now and describes itself later."""
    trials = data.trials
    induced = "induced" in trials and trials["induced"].notna().any()
    return {
        "agreement": AgreementSection(data, sums, [*MODEL_PAIRS, *(OBSERVER_PAIRS if rating_info else ())]),
        "decisive": DecisiveSection(data, sums),
        "valence": ValenceSection(data, sums, **valence_options),
        "cooccurrence": CooccurrenceSection(data, sums),
        "observers": ObserversSection(data, sums, rating_info) if rating_info else Absent("no ratings given"),
        "models": (
            ModelsSection(data, sums, predictions, with_observers=rating_info is not None)
            if len(predictions) > 1
            else Absent("one model: nothing to compare")
        ),
        "induction": InductionSection(data, sums) if induced else Absent("no induction: no induced emotions given"),
        "chain": (
            ChainSection(data, sums, threshold=movement_threshold)
            if movement_keys(trials)
            else Absent("no movement measures (move_<key> columns) given")
        ),
    }


def code_trials(trials: pd.DataFrame, *, labels: Sequence[str] | None = None, validated: bool = False) -> CodedTrials:
    """Validate a trial table (unless it already is) and turn it into integer codes, one cluster per participant.

    >>> from fer_stats.simulate import simulate_study
    >>> data = code_trials(simulate_study(n_participants=4, seed=0).trials)
    >>> data.n_clusters, data.k, sorted(data.in_scope)
    (4, 7, ['all', 'assigned', 'express', 'natural', 'opposite'])
    """
    labels = check_label_set(labels if labels is not None else infer_labels(trials))
    if not validated:
        trials = validate_trials(trials, labels=labels)
    if trials.empty:
        raise TrialTableError("the trial table has no rows")
    cluster, participants = pd.factorize(trials["participant_id"], sort=True)
    codes = {name: label_codes(trials[name].to_numpy(), labels) for name in ("target", "predicted")}
    codes["felt"] = felt_codes(trials["felt"].to_numpy(), labels)
    condition = trials["condition"]
    in_scope = {"all": np.ones(len(trials), dtype=bool)} | {c: condition.eq(c).to_numpy() for c in CONDITIONS}
    return CodedTrials(
        trials=trials,
        labels=labels,
        cluster=cluster,
        n_clusters=len(participants),
        codes=codes,
        in_scope=in_scope,
    )


def _header(data: CodedTrials, *, seed: int, n_boot: int, level: float, interval: str) -> dict:
    return {
        "provenance": provenance(seed=seed, n_boot=n_boot, level=level, interval=interval),
        "labels": list(data.labels),
        "n_trials": int(len(data.trials)),
        "n_participants": int(data.n_clusters),
        "trials_per_condition": {c: int(data.in_scope[c].sum()) for c in CONDITIONS},
    }


def _code_ratings(data: CodedTrials, ratings: pd.DataFrame) -> dict:
    """From a validated rating table: rating counts per photo (a photo is a trial), the observers'
    majority labels, and what did not match."""
    trials, labels = data.trials, data.labels
    item_of = pd.Series(
        np.arange(len(trials)), index=pd.MultiIndex.from_frame(trials[["participant_id", "trial_index"]])
    )
    item = item_of.reindex(pd.MultiIndex.from_frame(ratings[["participant_id", "trial_index"]])).to_numpy()
    matched = ~np.isnan(item)
    item = item[matched].astype(np.int64)

    def counts_of(column: str) -> np.ndarray:
        codes = label_codes(ratings[column].to_numpy()[matched], labels)
        return observers.item_counts(item, codes, n_items=len(trials), n_labels=len(labels))

    counts = counts_of("label")
    data.codes["observers"] = observers.majority_label(counts)
    data.codes["observers_felt_guess"] = observers.majority_label(counts_of("felt_guess"))
    return {
        "counts": counts,
        "n_ratings": int(matched.sum()),
        "n_raters": int(ratings.loc[matched, "rater_id"].nunique()),
        "unmatched": int((~matched).sum()),
    }
