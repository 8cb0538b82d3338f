"""Observers in the statistics engine: the ratings table of a photo study, and `analyze` on it.

`ratings_frame(photo_experiment)` is one row per human rating of that study's photos, in the rating
columns of `experiments.stats` (rater_id, participant_id, trial_index, label, felt_guess) plus context
columns the engine carries along. Participant ids are the pseudonyms of the trial export ('p' + row id,
`experiments.exports.columns.participant_code`), so ratings join the trial table on
(participant_id, trial_index): humans and the model are compared on the very same photos.

Excluded: ratings by withdrawn raters, ratings of withdrawn participants' photos (withdrawal deletes
both; the filter also guards stubs), and attention-check answers (they are `RatingItem`s, never
`Rating`s; see `attention_frame`).
"""

from __future__ import annotations

import pandas as pd
from django.db.models import Count, Q

from ..models import ClassifierModel, Experiment, Participant, Rating, RatingItem

RATING_FRAME_COLUMNS = [
    "rater_id", "participant_id", "trial_index", "label", "felt_guess",  # experiments.stats RATING_COLUMNS
    "confidence", "response_ms", "photo_id", "rating_experiment",
    "rater_attention_checks", "rater_attention_passed",
]
ATTENTION_FRAME_COLUMNS = ["rater_id", "item_index", "expected_label", "answer_label", "passed", "status"]


def pseudonym(pk: int) -> str:
    """The same participant code as the exports: 'p' + row id."""
    return f"p{pk}"


def _attention_by_rater(raters) -> dict[int, tuple[int, int]]:
    """rater id -> (attention checks answered, passed)."""
    rows = (
        RatingItem.objects.filter(rater__in=raters, kind=RatingItem.Kind.INSTRUCTION_CHECK,
                                  status=RatingItem.Status.ANSWERED)
        .values("rater_id")
        .annotate(n=Count("id"), passed=Count("id", filter=Q(passed=True)))
    )
    return {row["rater_id"]: (row["n"], row["passed"]) for row in rows}


def ratings_frame(
    photo_experiment: Experiment,
    *,
    rating_experiment: Experiment | None = None,
    min_attention: float | None = None,
) -> pd.DataFrame:
    """One row per rating of `photo_experiment`'s photos, ready for `experiments.stats.analyze`.

    rating_experiment: only that rating study's raters (default: every rating study using these photos).
    min_attention: leave out raters who passed fewer than this share of their attention checks
    (raters given no checks are kept). `rater_attention_passed` is the share itself (NaN: no checks).
    """
    ratings = (
        Rating.objects.filter(photo__trial__participant__experiment=photo_experiment,
                              rater__experiment__kind=Experiment.Kind.RATING)
        .exclude(rater__status=Participant.Status.WITHDRAWN)
        .exclude(photo__trial__participant__status=Participant.Status.WITHDRAWN)
        .order_by("rater_id", "photo__trial__participant_id", "photo__trial__index")
    )
    if rating_experiment is not None:
        ratings = ratings.filter(rater__experiment=rating_experiment)
    rows = list(ratings.values_list(
        "rater_id", "photo__trial__participant_id", "photo__trial__index", "label", "felt_guess",
        "confidence", "response_ms", "photo_id", "rater__experiment__slug",
    ))
    attention = _attention_by_rater(ratings.values("rater_id"))
    records = []
    for rater, participant, index, label, felt_guess, confidence, response_ms, photo, slug in rows:
        checks, passed = attention.get(rater, (0, 0))
        share = passed / checks if checks else float("nan")
        if min_attention is not None and checks and share < min_attention:
            continue
        records.append((pseudonym(rater), pseudonym(participant), index, label, felt_guess, confidence,
                        response_ms, photo, slug, checks, share))
    frame = pd.DataFrame.from_records(records, columns=RATING_FRAME_COLUMNS)
    frame["trial_index"] = frame["trial_index"].astype("int64")
    return frame


def attention_frame(rating_experiment: Experiment) -> pd.DataFrame:
    """One row per attention check given to a (not withdrawn) rater of this rating study."""
    items = (
        RatingItem.objects.filter(rater__experiment=rating_experiment, kind=RatingItem.Kind.INSTRUCTION_CHECK)
        .exclude(rater__status=Participant.Status.WITHDRAWN)
        .order_by("rater_id", "index")
        .values_list("rater_id", "index", "expected_label", "answer_label", "passed", "status")
    )
    records = [(pseudonym(rater), *rest) for rater, *rest in items]
    return pd.DataFrame.from_records(records, columns=ATTENTION_FRAME_COLUMNS)


def observer_analysis(
    photo_experiment: Experiment,
    *,
    model: ClassifierModel | None = None,
    rating_experiment: Experiment | None = None,
    min_attention: float | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict:
    """`experiments.stats.analyze` on the photo study's trials and its human ratings.

    The result's "observers" part holds agreement among raters (Fleiss' kappa, Krippendorff's alpha)
    and observers' majority against the model on the same photos, for target and felt (paired, with
    an exact McNemar test); "agreement" holds the majority against target/felt next to the model.
    """
    from ..exports.tidy import labels_of, trial_frame  # the trial export's own rows, as the report uses
    from ..stats import analyze

    trials = trial_frame(photo_experiment, model)
    ratings = ratings_frame(photo_experiment, rating_experiment=rating_experiment, min_attention=min_attention)
    return analyze(trials, ratings if len(ratings) else None, labels=labels_of(photo_experiment),
                   n_boot=n_boot, seed=seed)
