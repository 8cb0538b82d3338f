"""What the engine accepts: "none" as a felt answer, any label set, values in range, one rating per
rater and photo, and one definition of a decisive trial shared by rows and codes."""

import numpy as np
import pandas as pd
import pytest

from fer_stats import TrialTableError, analyze, simulate_study, validate_ratings, validate_trials
from fer_stats.analysis import code_trials
from fer_stats.decisive import decisive_counts, decisive_mask, decisive_trials


def small_trials(**kw):
    return simulate_study(n_participants=6, seed=0, **kw).trials


def with_none(trials, every=5):
    trials = trials.copy()
    trials.loc[trials.index[::every], "felt"] = "none"
    return trials


def test_none_is_a_felt_answer_distinct_from_missing():
    trials = with_none(small_trials())
    trials.loc[1, "felt"] = None
    clean = validate_trials(trials)
    assert (clean.loc[::5, "felt"] == "none").all() and clean.loc[1, "felt"] is None


@pytest.mark.parametrize("column", ["target", "predicted"])
def test_none_is_refused_where_only_a_label_can_be(column):
    trials = small_trials()
    trials.loc[0, column] = "none"
    with pytest.raises(TrialTableError, match=f"'{column}' holds 'none'"):
        validate_trials(trials)


def test_a_label_set_cannot_contain_none():
    with pytest.raises(TrialTableError, match="not a label the model can output"):
        validate_trials(small_trials(), labels=("happy", "sad", "none"))


def test_decisive_trials_need_a_felt_emotion_and_say_how_many_were_none():
    trials = with_none(small_trials())
    results = analyze(trials, n_boot=0)
    posed_none = trials.felt.eq("none") & trials.target.notna()
    assert results["decisive"]["all"]["n_felt_none"] == posed_none.sum()
    decisive = trials.target.notna() & trials.felt.notna() & trials.felt.ne("none") & trials.target.ne(trials.felt)
    assert results["decisive"]["all"]["n"] == (decisive & trials.predicted.notna()).sum()
    natural = trials.condition.eq("natural")
    felt_none = results["agreement"]["predicted_vs_felt"]
    assert felt_none["all"]["n_felt_none"] == trials.felt.eq("none").sum()
    assert felt_none["natural"]["n_felt_none"] == (natural & trials.felt.eq("none")).sum()
    assert felt_none["all"]["n"] == (trials.felt.notna() & trials.felt.ne("none") & trials.predicted.notna()).sum()


def test_the_row_definition_of_a_decisive_trial_is_the_code_definition():
    trials = with_none(small_trials(), every=3)
    data = code_trials(trials)
    assert (decisive_trials(trials) == decisive_mask(data.codes["target"], data.codes["felt"])).all()
    counts = decisive_counts(trials)
    decisive = analyze(trials, n_boot=0)["decisive"]["all"]
    assert counts["n"] == decisive["n"]
    assert counts["follows_target"] / counts["n"] == pytest.approx(decisive["follows_target"]["estimate"])


@pytest.mark.parametrize(
    "column,value",
    [
        ("valence", 0),
        ("valence", 10),
        ("arousal", 9.5),
        ("intensity", 8),
        ("intensity", 0.5),
        ("prob_happy", 1.2),
        ("prob_sad", -0.1),
        ("pose_rating", 8),
        ("valence", np.inf),
    ],
)
def test_out_of_range_values_are_refused_by_name(column, value):
    trials = small_trials()
    trials[column] = trials.get(column, 4.0)
    trials.loc[2, column] = value
    with pytest.raises(TrialTableError, match=f"'{column}' must be"):
        validate_trials(trials)


def test_a_probability_rounded_above_one_by_float32_is_accepted():
    trials = small_trials()
    trials.loc[0, "prob_happy"] = float(np.float32(1.0) + np.finfo(np.float32).eps)
    assert validate_trials(trials).loc[0, "prob_happy"] > 1


def test_a_rater_who_rates_a_photo_twice_is_refused_with_a_message():
    study = simulate_study(n_participants=4, n_raters=2, seed=1)
    ratings = pd.concat([study.ratings, study.ratings.iloc[[3]]])
    with pytest.raises(TrialTableError, match="a rater rates each photo once"):
        validate_ratings(ratings, labels=study.parameters.labels)
    with pytest.raises(TrialTableError, match="rater_id, participant_id, trial_index"):
        analyze(study.trials, ratings, n_boot=0)


def test_booleans_read_from_csv_text():
    trials = small_trials()
    trials["pilot"] = ["true", "False", "1", "0", "", "yes"] * (len(trials) // 6)
    assert validate_trials(trials)["pilot"].tolist()[:6] == [True, False, True, False, pd.NA, True]
    trials.loc[0, "pilot"] = "maybe"
    with pytest.raises(TrialTableError, match="'pilot' must be true/false"):
        validate_trials(trials)

