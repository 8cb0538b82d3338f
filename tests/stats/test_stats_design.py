"""Declared exclusions and their flow, several models, induction, the plain-language paragraph, the
sample-size warning and the planning simulation, through analyze() and the command line."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from fer_stats import TrialTableError, analyze, simulate_study
from fer_stats.cli import main
from fer_stats.exclusions import Exclusions, apply_exclusions
from fer_stats.planning import plan_sample_size

FERPLUS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral", "contempt")


@pytest.fixture(scope="module")
def messy():
    """A study with pilots, drop-outs, uploads, retakes, "none" reports and raters."""
    return simulate_study(
        n_participants=40,
        n_pilot=4,
        incomplete_rate=0.2,
        upload_rate=0.15,
        retake_mean=0.8,
        none_rate=0.1,
        n_raters=3,
        seed=21,
    )


def expected_flow(trials, rules):
    """The same filters written out in pandas, step by step."""
    steps = [
        ("pilot", ~trials.pilot),
        (
            "completed_only",
            trials.participant_id.isin(trials.loc[trials.participant_status == "completed", "participant_id"]),
        ),
        ("webcam_only", trials.photo_source == "webcam"),
        ("face_found", trials.face_found),
        ("min_pose_check", trials.target.isna() | (trials.pose_rating >= rules.min_pose_check)),
        ("max_retakes", trials.n_retakes <= rules.max_retakes),
        ("felt_reported", trials.felt != "none"),
    ]
    counts, keep = [], pd.Series(True, index=trials.index)
    for name, passes in steps:
        before = keep.copy()
        keep &= passes
        counts.append(
            (
                name,
                int(before.sum() - keep.sum()),
                trials[before].participant_id.nunique() - trials[keep].participant_id.nunique(),
            )
        )
    return counts, trials[keep]


def test_declared_exclusions_give_a_consort_flow_that_matches_pandas(messy):
    rules = Exclusions(
        completed_only=True,
        webcam_only=True,
        face_found=True,
        min_pose_check=3,
        max_retakes=1,
        felt_reported=True,
        min_rater_attention=None,
    )
    results = analyze(messy.trials, messy.ratings, n_boot=0, exclusions=rules)
    flow = results["exclusions"]["flow"]
    expected, kept = expected_flow(messy.trials, rules)
    trial_steps = [(s["step"], s["trials_excluded"], s["participants_excluded"]) for s in flow["steps"][:7]]
    assert trial_steps == expected
    assert all(count for _, count, _ in expected)  # every rule removed something in this study
    assert flow["analysed"]["trials"] == len(kept) == results["n_trials"]
    assert flow["start"] == {
        "participants": 40,
        "trials": len(messy.trials),
        "raters": 3,
        "ratings": len(messy.ratings),
    }
    assert results["exclusions"]["rules"]["min_pose_check"] == 3
    assert flow["steps"][-1]["ratings_excluded"] == len(messy.ratings) - flow["analysed"]["ratings"]
    assert "After the declared exclusions" in results["summary"]["text"]


def test_pilot_runs_are_left_out_unless_asked_for(messy):
    default = analyze(messy.trials, n_boot=0)
    assert default["n_participants"] == 36 and default["exclusions"]["flow"]["steps"][0]["participants_excluded"] == 4
    everyone = analyze(messy.trials, n_boot=0, exclusions=Exclusions(include_pilot=True))
    assert everyone["n_participants"] == 40 and everyone["exclusions"]["flow"]["steps"] == []


def test_raters_below_the_attention_share_are_left_out(messy):
    ratings = messy.ratings.assign(rater_attention_passed=messy.ratings.rater_id.map({"r0": 0.5, "r1": 1.0}))
    kept = apply_exclusions(messy.trials, ratings, rules=Exclusions(include_pilot=True, min_rater_attention=0.8))
    assert set(kept.ratings.rater_id) == {"r1", "r2"}  # r2 was given no checks: kept
    step = kept.flow["steps"][0]
    assert step["step"] == "min_rater_attention" and step["raters_excluded"] == 1


def test_an_exclusion_whose_column_is_missing_is_a_clear_error(messy):
    with pytest.raises(TrialTableError, match="needs the trials column 'photo_source'"):
        analyze(messy.trials.drop(columns="photo_source"), n_boot=0, exclusions=Exclusions(webcam_only=True))


def test_several_models_side_by_side_match_a_direct_count_and_scikit_learn():
    study = simulate_study(n_participants=30, models={"fer": 0.7, "hse": 0.45}, n_raters=2, seed=3)
    results = analyze(study.trials, study.ratings, n_boot=200, seed=1)
    wide = study.trials.pivot_table(
        index=["participant_id", "trial_index"], columns="model", values="predicted", aggfunc="first"
    ).reset_index()
    trials = study.trials[study.trials.model == "fer"].reset_index(drop=True)
    assert results["n_trials"] == len(trials) and results["models"]["primary"] == "fer"
    both = wide.dropna(subset=["fer", "hse"])
    kappa = results["models"]["model_vs_model"]["hse_vs_fer"]["all"]["kappa"]
    assert kappa["estimate"] == pytest.approx(
        cohen_kappa_score(both.fer, both.hse, labels=list(study.parameters.labels))
    )
    assert kappa["ci"][0] < kappa["estimate"] < kappa["ci"][1]
    hse_rows = study.trials[study.trials.model == "hse"]
    decisive = (
        hse_rows.target.notna()
        & hse_rows.felt.notna()
        & (hse_rows.target != hse_rows.felt)
        & hse_rows.predicted.notna()
    )
    expected = (hse_rows.predicted == hse_rows.target)[decisive].mean() - (hse_rows.predicted == hse_rows.felt)[
        decisive
    ].mean()
    assert results["models"]["decisive"]["hse"]["all"]["difference"]["estimate"] == pytest.approx(expected)
    assert results["models"]["decisive"]["fer"]["all"] == results["decisive"]["all"]
    paired = results["models"]["decisive_difference_between_models"]["hse_minus_fer"]
    assert paired["estimate"] == pytest.approx(expected - results["decisive"]["all"]["difference"]["estimate"])
    assert paired["ci"][0] < paired["estimate"] < paired["ci"][1]
    assert set(results["models"]["observers_vs_model"]) == {"fer", "hse"}
    second = analyze(study.trials, study.ratings, n_boot=0, model="hse")
    assert second["decisive"]["all"]["difference"]["estimate"] == pytest.approx(expected)
    with pytest.raises(TrialTableError, match="not in the trial table"):
        analyze(study.trials, n_boot=0, model="nope")


def test_a_single_model_table_with_or_without_a_model_column_is_the_same_analysis():
    trials = simulate_study(n_participants=10, seed=4).trials
    plain = analyze(trials, n_boot=100)
    named = analyze(trials.assign(model="fer 1.0"), n_boot=100)
    assert named["decisive"] == plain["decisive"] and named["models"]["reason"]


def test_the_manipulation_check_matches_scikit_learn_per_method():
    first = simulate_study(n_participants=20, induction_method="recall", induction_success=0.7, seed=5).trials
    second = simulate_study(n_participants=20, induction_method="stimulus", induction_success=0.4, seed=6).trials
    trials = pd.concat([first, second.assign(participant_id="s" + second.participant_id)], ignore_index=True)
    induction = analyze(trials, n_boot=100)["induction"]
    assert induction["methods"] == ["recall", "stimulus"]
    labels = list(FERPLUS[:7])
    for method, part in (("recall", first), ("stimulus", second), ("all", trials)):
        check = induction["felt_vs_induced"][method]
        assert check["kappa"]["estimate"] == pytest.approx(cohen_kappa_score(part.induced, part.felt, labels=labels))
        assert check["confusion"]["counts"] == confusion_matrix(part.induced, part.felt, labels=labels).tolist()
    assert (
        induction["felt_vs_induced"]["recall"]["accuracy"]["estimate"]
        > induction["felt_vs_induced"]["stimulus"]["accuracy"]["estimate"]
    )
    sensitivity = induction["decisive_on_induced"]["all"]
    decisive = trials.target.notna() & (trials.target != trials.induced) & trials.predicted.notna()
    assert sensitivity["n"] == decisive.sum()


def test_ferplus_labels_with_contempt_and_none_run_end_to_end(tmp_path, capsys):
    study = simulate_study(n_participants=12, labels=FERPLUS, none_rate=0.1, seed=7)
    assert study.trials.felt.eq("none").any() and study.trials.predicted.eq("contempt").any()
    path = tmp_path / "trials.csv"
    study.trials.to_csv(path, index=False)
    assert main([str(path), "--n-boot", "50", "--out", str(tmp_path / "r.json")]) == 0
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["labels"] == list(FERPLUS) and results["valence"]["label_valence"]["contempt"] == -1.0
    assert (
        results["decisive"]["all"]["n_felt_none"] == (study.trials.felt.eq("none") & study.trials.target.notna()).sum()
    )


def test_a_researchers_own_labels_need_a_valence_map_and_the_cli_takes_one(tmp_path, capsys):
    own = ("calm", "joy", "bored")
    study = simulate_study(n_participants=8, labels=own, opposite_map={"calm": "joy", "joy": "bored"}, seed=8)
    path = tmp_path / "own.csv"
    study.trials.to_csv(path, index=False)
    assert main([str(path), "--n-boot", "30", "--out", str(tmp_path / "a.json")]) == 0
    captured = capsys.readouterr()
    assert "--valence-map" in captured.err and "Traceback" not in captured.err
    assert json.loads((tmp_path / "a.json").read_text())["valence"]["valence_map_needed"]["labels"] == list(own)
    (tmp_path / "v.json").write_text(json.dumps({"calm": 0, "joy": 1, "bored": -0.5}))
    code = main(
        [
            str(path),
            "--n-boot",
            "30",
            "--valence-map",
            str(tmp_path / "v.json"),
            "--labels",
            "calm,joy,bored",
            "--out",
            str(tmp_path / "b.json"),
        ]
    )
    assert code == 0
    valence = json.loads((tmp_path / "b.json").read_text())["valence"]
    assert valence["label_valence"] == {"calm": 0.0, "joy": 1.0, "bored": -0.5} and valence["all"]["n"] > 0


@pytest.mark.parametrize(
    "content,message",
    [("[1, 2]", "JSON object"), ('{"joy": "high"}', "finite number"), ("{", "cannot read the valence map")],
)
def test_a_bad_valence_map_is_a_message_not_a_traceback(tmp_path, capsys, content, message):
    trials = simulate_study(n_participants=3, seed=0).trials
    trials.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "v.json").write_text(content)
    assert main([str(tmp_path / "t.csv"), "--valence-map", str(tmp_path / "v.json")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_cli_applies_declared_exclusions(tmp_path, messy):
    messy.trials.to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "r.json"
    assert (
        main(
            [
                str(tmp_path / "t.csv"),
                "--n-boot",
                "0",
                "--completed-only",
                "--exclude-felt-none",
                "--max-retakes",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    steps = [s["step"] for s in json.loads(out.read_text())["exclusions"]["flow"]["steps"]]
    assert steps == ["pilot", "completed_only", "max_retakes", "felt_reported"]


def test_the_paragraph_says_what_the_interval_means():
    face = analyze(simulate_study(n_participants=40, pose_fidelity=0.9, seed=1).trials, n_boot=300)["summary"]
    assert face["reading"] == "face" and face["interval_excludes_zero"] and "excludes zero" in face["text"]
    feeling = analyze(
        simulate_study(n_participants=40, pose_fidelity=0.05, heterogeneity=0, seed=2).trials, n_boot=300
    )["summary"]
    assert feeling["reading"] == "feeling" and "reported feeling more than" in feeling["text"]
    unclear = analyze(
        simulate_study(n_participants=6, pose_fidelity=0.5, classifier_accuracy=0.3, seed=3).trials, n_boot=300
    )["summary"]
    assert unclear["reading"] == "undecided" and "includes zero" in unclear["text"]


def test_a_wide_decisive_interval_warns_with_the_participants_needed():
    study = simulate_study(n_participants=25, seed=9)
    results = analyze(study.trials, n_boot=400, target_width=0.12)
    size = results["sample_size"]
    width = np.diff(results["decisive"]["all"]["difference"]["ci"])[0]
    assert size["warning"] and size["ci_width"] == pytest.approx(width)
    root_law = 25 * (width / 0.12) ** 2
    assert 0.6 * root_law < size["participants_needed"] < 1.5 * root_law
    assert "participants needed at about" in results["summary"]["text"]
    assert analyze(study.trials, n_boot=400, target_width=0.9)["sample_size"]["warning"] is False


def test_planning_over_sizes_reports_width_and_power_with_progress():
    calls = []
    plan = plan_sample_size(
        [10, 40],
        n_studies=12,
        n_boot=150,
        pose_fidelity=0.85,
        progress=lambda done, total: calls.append((done, total)),
        target_width=0.3,
    )
    assert calls[-1] == (24, 24) and len(calls) == 24
    small, large = plan["rows"]
    assert large["mean_width"] < small["mean_width"] and large["power"] >= small["power"]
    assert plan["participants_needed"] in (10, 40, None) and plan["true_decisive_difference"] > 0


def test_the_planning_cli_prints_a_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert (
        main(
            [
                "plan",
                "--sizes",
                "8",
                "16",
                "--studies",
                "5",
                "--n-boot",
                "100",
                "--trials",
                "natural=1,opposite=3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr()
    assert "participants  mean width  power" in printed.out and "simulating: 10/10 studies" in printed.err
    assert [row["n_participants"] for row in json.loads(out.read_text())["rows"]] == [8, 16]
    assert main(["plan", "--trials", "natural=x"]) == 2
