"""Observers in the statistics engine: attention checks, and `analyze` on a photo study's ratings.

The ratings table itself is `experiments.exports.tidy.rating_frame`, the rows of the rating export:
participant ids are the pseudonyms of the trial export ('p' + row id), so ratings join the trial
table on (participant_id, trial_index) and humans and the model are compared on the very same photos.
Ratings by withdrawn raters and of withdrawn participants' photos are left out there; attention-check
answers are `RatingItem`s, never `Rating`s (see `attention_frame`).
"""

from __future__ import annotations

import pandas as pd

from ..exports.columns import participant_code
from ..exports.tidy import labels_of, rating_frame, trial_frame
from ..models import ClassifierModel, Experiment, Participant, RatingItem

ATTENTION_FRAME_COLUMNS = ["rater_id", "item_index", "expected_label", "answer_label", "passed", "status"]


def attention_frame(rating_experiment: Experiment) -> pd.DataFrame:
    """One row per attention check given to a (not withdrawn) rater of this rating study."""
    items = (
        RatingItem.objects.filter(rater__experiment=rating_experiment, kind=RatingItem.Kind.INSTRUCTION_CHECK)
        .exclude(rater__status=Participant.Status.WITHDRAWN)
        .order_by("rater_id", "index")
        .values_list("rater_id", "index", "expected_label", "answer_label", "passed", "status")
    )
    records = [(participant_code(rater), *rest) for rater, *rest in items]
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
    """`fer_stats.analyze` on the photo study's trials and its human ratings.

    The result's "observers" part holds agreement among raters (Fleiss' kappa, Krippendorff's alpha)
    and observers' majority against the model on the same photos, for target and felt (paired, with
    an exact McNemar test); "agreement" holds the majority against target/felt next to the model.
    `rating_experiment` and `min_attention` select raters as in `rating_frame`.
    """
    from fer_stats import analyze

    trials = trial_frame(photo_experiment, model)
    ratings = rating_frame(photo_experiment, rating_experiment=rating_experiment, min_attention=min_attention)
    return analyze(trials, ratings if len(ratings) else None, labels=labels_of(photo_experiment),
                   n_boot=n_boot, seed=seed)
