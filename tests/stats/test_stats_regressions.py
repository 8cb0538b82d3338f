"""Bugs of fer_stats 0.1 that a reviewer would have hit; each test failed on that version."""

import pandas as pd
import pytest

from fer_stats import TrialTableError, analyze, simulate_study, validate_ratings, validate_trials
from fer_stats.cli import main

OWN = ("calm", "joy", "bored")


def own_label_trials():
    study = simulate_study(
        n_participants=5, labels=OWN, opposite_map={"calm": "joy", "joy": "bored", "bored": "joy"}, seed=2
    )
    return study.trials.drop(columns=[c for c in study.trials if c.startswith("prob_")])


def test_a_label_set_outside_the_built_in_ones_does_not_raise_key_error():
    results = analyze(own_label_trials(), labels=OWN, n_boot=20)
    assert results["labels"] == list(OWN) and results["decisive"]["all"]["n"] > 0
    assert results["valence"]["label_valence"] == {"calm": None, "joy": None, "bored": None}


def test_the_cli_takes_its_own_label_set_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "own.csv"
    own_label_trials().to_csv(path, index=False)
    assert main([str(path), "--labels", " calm, joy ,bored", "--n-boot", "20", "--out", str(tmp_path / "r.json")]) == 0
    assert "Decisive trials" in capsys.readouterr().out


def test_a_repeated_rating_is_refused_instead_of_counted_twice():
    study = simulate_study(n_participants=4, n_raters=2, seed=1)
    with pytest.raises(TrialTableError, match="rater"):
        validate_ratings(pd.concat([study.ratings, study.ratings.iloc[[0]]]), labels=study.parameters.labels)


@pytest.mark.parametrize("column,value", [("valence", 10), ("intensity", 8), ("arousal", 0), ("prob_happy", 1.5)])
def test_an_out_of_range_value_is_refused(column, value):
    trials = simulate_study(n_participants=3, seed=0).trials
    trials.loc[0, column] = value
    with pytest.raises(TrialTableError, match=column):
        validate_trials(trials)


def test_none_as_a_felt_answer_is_accepted_and_not_decisive():
    trials = simulate_study(n_participants=4, seed=0).trials
    posed = trials.index[trials.target.notna()][:5]
    trials.loc[posed, "felt"] = "none"
    before = analyze(simulate_study(n_participants=4, seed=0).trials, n_boot=0)["decisive"]["all"]["n"]
    assert analyze(trials, n_boot=0)["decisive"]["all"]["n"] < before
