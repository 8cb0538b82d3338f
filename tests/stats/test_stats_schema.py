"""The column contract: clear errors naming what is wrong, extra columns carried along, the CLI."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fer_stats import TRIAL_COLUMNS, TrialTableError, validate_ratings, validate_trials
from fer_stats.cli import main
from fer_stats.simulate import simulate_study

REQUIRED = [c.name for c in TRIAL_COLUMNS if c.required]


def small_trials():
    return simulate_study(n_participants=3, seed=0).trials


@settings(max_examples=40, deadline=None)
@given(st.sets(st.sampled_from(REQUIRED), min_size=1))
def test_it_names_every_missing_required_column(dropped):
    with pytest.raises(TrialTableError) as error:
        validate_trials(small_trials().drop(columns=sorted(dropped)))
    for name in dropped:
        assert name in str(error.value)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["trial_index", "valence", "arousal", "intensity", "prob_happy"]),
    st.text(alphabet="abcxyz!?", min_size=1, max_size=5),
)
def test_it_names_a_column_with_non_numbers(column, junk):
    trials = small_trials().astype({column: object})
    trials.loc[1, column] = junk
    with pytest.raises(TrialTableError, match=column):
        validate_trials(trials)


def test_it_rejects_unknown_conditions_and_labels():
    trials = small_trials()
    trials.loc[0, "condition"] = "smile"
    with pytest.raises(TrialTableError, match="condition"):
        validate_trials(trials)
    trials = small_trials()
    trials.loc[0, "felt"] = "bored"
    with pytest.raises(TrialTableError, match="'felt' has labels outside the label set"):
        validate_trials(trials)


def test_it_rejects_duplicate_trials():
    trials = small_trials()
    with pytest.raises(TrialTableError, match="duplicate"):
        validate_trials(pd.concat([trials, trials.iloc[:1]]))


def test_extra_columns_are_carried_and_blanks_become_missing():
    trials = small_trials()
    trials["site"] = "lab"
    trials["target"] = trials["target"].fillna("")
    trials = trials.drop(columns=["arousal"])
    clean = validate_trials(trials)
    assert (clean["site"] == "lab").all()
    assert clean.loc[trials["target"] == "", "target"].isna().all()
    assert clean["arousal"].isna().all()


def test_ratings_need_their_columns():
    with pytest.raises(TrialTableError, match="rater_id"):
        validate_ratings(pd.DataFrame({"participant_id": ["p"], "trial_index": [0], "label": ["sad"]}), labels=("sad",))


def test_the_cli_prints_a_summary_and_writes_json(tmp_path, capsys):
    study = simulate_study(n_participants=8, n_raters=2, seed=1)
    study.trials.to_csv(tmp_path / "trials.csv", index=False)
    study.ratings.to_csv(tmp_path / "ratings.csv", index=False)
    code = main(
        [
            str(tmp_path / "trials.csv"),
            "--ratings",
            str(tmp_path / "ratings.csv"),
            "--out",
            str(tmp_path / "out.json"),
            "--n-boot",
            "50",
            "--seed",
            "3",
        ]
    )
    assert code == 0
    assert "Decisive trials" in capsys.readouterr().out
    results = json.loads((tmp_path / "out.json").read_text())
    assert results["provenance"]["seed"] == 3 and results["observers"]["reliability"]["n_raters"] == 2


@pytest.mark.parametrize(
    "content",
    ["", "a,b\n1,2\n", "participant_id,trial_index,condition,felt,target,predicted\np1,zero,natural,happy,,happy\n"],
)
def test_the_cli_reports_a_bad_csv_with_exit_code_2(tmp_path, capsys, content):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_the_cli_reports_a_missing_file(tmp_path, capsys):
    assert main([str(tmp_path / "nope.csv")]) == 2
    assert "cannot read trials file" in capsys.readouterr().err


def test_no_face_rows_read_from_csv_stay_missing(tmp_path):
    trials = small_trials()
    trials.loc[0, "predicted"] = None
    trials.loc[0, [c for c in trials if c.startswith("prob_")]] = np.nan
    trials.to_csv(tmp_path / "t.csv", index=False)
    from fer_stats import load_trials

    clean = load_trials(tmp_path / "t.csv")
    assert clean.loc[0, "predicted"] is None and np.isnan(clean.loc[0, "prob_happy"])
