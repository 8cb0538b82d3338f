"""Declared exclusions: the filters in force, applied in a fixed order, with a CONSORT-style flow of
how many participants, trials and ratings each step left out.

Order: pilot runs, participants who did not complete, photos not from the webcam, photos without a
face, posed trials below the pose check, trials with too many retakes, felt reports of "none",
raters below the attention-check share. A participant whose every trial is gone counts as
excluded at the step that removed the last one. Ratings of photos whose trial is gone are dropped.

>>> import pandas as pd
>>> trials = pd.DataFrame({"participant_id": ["a", "a", "b"], "trial_index": [0, 1, 0],
...     "pilot": [False, False, True], "felt": ["happy", "none", "sad"]})
>>> kept = apply_exclusions(trials, rules=Exclusions(felt_reported=True))
>>> len(kept.trials), [(s["step"], s["trials_excluded"]) for s in kept.flow["steps"]]
(1, [('pilot', 1), ('felt_reported', 1)])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import pandas as pd

from fer_stats.schema import FELT_NONE, TrialTableError

TRIAL_KEY = ["participant_id", "trial_index"]


@dataclass(frozen=True)
class Exclusions:
    """The exclusions a researcher declares; the default leaves out pilot runs only.

    >>> Exclusions(max_retakes=2).declared()["max_retakes"], Exclusions().include_pilot
    (2, False)
    """

    include_pilot: bool = False
    completed_only: bool = False
    webcam_only: bool = False
    face_found: bool = False
    min_pose_check: float | None = None
    max_retakes: int | None = None
    felt_reported: bool = False
    min_rater_attention: float | None = None

    def declared(self) -> dict:
        """The rules as plain data, for results.json."""
        return asdict(self)


DEFAULT_EXCLUSIONS = Exclusions()
NO_EXCLUSIONS = Exclusions(include_pilot=True)


@dataclass(frozen=True)
class Excluded:
    trials: pd.DataFrame
    ratings: pd.DataFrame | None
    flow: dict


@dataclass(frozen=True)
class _Step:
    name: str
    rule: str
    column: str
    drops: Callable[[pd.DataFrame], pd.Series]  # True for the rows to leave out
    whole_participant: bool = False


def _steps(rules: Exclusions) -> list[_Step]:
    steps = []
    if not rules.include_pilot:
        steps.append(_Step("pilot", "pilot runs left out", "pilot", lambda t: t["pilot"].fillna(False).astype(bool)))
    if rules.completed_only:
        steps.append(
            _Step(
                "completed_only",
                "participants who completed the study only",
                "participant_status",
                lambda t: t["participant_status"].ne("completed"),
                whole_participant=True,
            )
        )
    if rules.webcam_only:
        steps.append(
            _Step(
                "webcam_only",
                "photos from the webcam only (uploads left out)",
                "photo_source",
                lambda t: t["photo_source"].notna() & t["photo_source"].ne("webcam"),
            )
        )
    if rules.face_found:
        steps.append(
            _Step(
                "face_found",
                "photos in which the detector found a face",
                "face_found",
                lambda t: t["face_found"].ne(True).fillna(True).astype(bool),
            )
        )
    if rules.min_pose_check is not None:
        k = rules.min_pose_check
        steps.append(
            _Step(
                "min_pose_check",
                f"posed trials with a pose check of at least {k:g}",
                "pose_rating",
                lambda t: t["target"].notna() & ~(t["pose_rating"] >= k),
            )
        )
    if rules.max_retakes is not None:
        n = rules.max_retakes
        steps.append(
            _Step("max_retakes", f"trials with at most {n} retakes", "n_retakes", lambda t: t["n_retakes"] > n)
        )
    if rules.felt_reported:
        steps.append(
            _Step(
                "felt_reported",
                f"trials whose felt report is an emotion (not '{FELT_NONE}')",
                "felt",
                lambda t: t["felt"].eq(FELT_NONE),
            )
        )
    return steps


def _counts(trials: pd.DataFrame) -> tuple[int, int]:
    return int(trials["participant_id"].nunique()), int(len(trials.drop_duplicates(TRIAL_KEY)))


def _apply(step: _Step, trials: pd.DataFrame, *, required: bool) -> tuple[pd.DataFrame, dict]:
    before_people, before_trials = _counts(trials)
    record = {"step": step.name, "rule": step.rule}
    if step.column not in trials:
        if required:
            raise TrialTableError(f"the exclusion '{step.name}' needs the trials column {step.column!r}")
        return trials, record | {
            "note": f"no {step.column} column: nothing to exclude",
            "participants_excluded": 0,
            "trials_excluded": 0,
            "participants": before_people,
            "trials": before_trials,
        }
    drop = step.drops(trials).to_numpy(dtype=bool)
    if step.whole_participant:
        drop = trials["participant_id"].isin(trials.loc[drop, "participant_id"]).to_numpy()
    kept = trials[~drop]
    people, n_trials = _counts(kept)
    return kept, record | {
        "participants_excluded": before_people - people,
        "trials_excluded": before_trials - n_trials,
        "participants": people,
        "trials": n_trials,
    }


def _rating_step(ratings: pd.DataFrame, trials: pd.DataFrame, rules: Exclusions) -> tuple[pd.DataFrame, list[dict]]:
    records = []
    if rules.min_rater_attention is not None:
        if "rater_attention_passed" not in ratings:
            raise TrialTableError(
                "the exclusion 'min_rater_attention' needs the ratings column 'rater_attention_passed'"
            )
        low = ratings["rater_attention_passed"] < rules.min_rater_attention  # raters given no checks stay
        records.append(
            {
                "step": "min_rater_attention",
                "rule": f"raters who passed at least {rules.min_rater_attention:g} of their attention checks",
                "raters_excluded": int(ratings.loc[low, "rater_id"].nunique()),
                "ratings_excluded": int(low.sum()),
            }
        )
        ratings = ratings[~low]
    kept_trials = pd.MultiIndex.from_frame(trials[TRIAL_KEY].drop_duplicates())
    orphan = ~pd.MultiIndex.from_frame(ratings[TRIAL_KEY]).isin(kept_trials)
    records.append(
        {
            "step": "ratings_of_excluded_trials",
            "rule": "ratings of photos whose trial was left out",
            "ratings_excluded": int(orphan.sum()),
        }
    )
    return ratings[~orphan], records


def apply_exclusions(
    trials: pd.DataFrame, ratings: pd.DataFrame | None = None, *, rules: Exclusions = DEFAULT_EXCLUSIONS
) -> Excluded:
    """The tables that remain after the declared exclusions, and the flow (validated tables expected;
    a rule whose column is missing is a TrialTableError, except the default pilot rule).

    >>> trials = pd.DataFrame({"participant_id": ["a", "b"], "trial_index": [0, 0], "n_retakes": [0, 4]})
    >>> out = apply_exclusions(trials, rules=Exclusions(max_retakes=3))
    >>> out.flow["start"], out.flow["steps"][0]["note"], out.flow["analysed"]
    ({'participants': 2, 'trials': 2}, 'no pilot column: nothing to exclude', {'participants': 1, 'trials': 1})
    """
    people, n_trials = _counts(trials)
    flow: dict = {"start": {"participants": people, "trials": n_trials}, "steps": []}
    for step in _steps(rules):
        trials, record = _apply(step, trials, required=step.name != "pilot")
        flow["steps"].append(record)
    if ratings is not None:
        flow["start"] |= {"raters": int(ratings["rater_id"].nunique()), "ratings": int(len(ratings))}
        ratings, records = _rating_step(ratings, trials, rules)
        flow["steps"] += records
    elif rules.min_rater_attention is not None:
        flow["steps"].append({"step": "min_rater_attention", "note": "no ratings given: nothing to exclude"})
    people, n_trials = _counts(trials)
    flow["analysed"] = {"participants": people, "trials": n_trials}
    if ratings is not None:
        flow["analysed"] |= {"raters": int(ratings["rater_id"].nunique()), "ratings": int(len(ratings))}
    return Excluded(trials=trials.reset_index(drop=True), ratings=ratings, flow=flow)
