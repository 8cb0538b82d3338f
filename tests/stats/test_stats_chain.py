"""The chain feeling -> face -> label from movement measures: baselines, prototypes and the three questions."""

import numpy as np
import pandas as pd
import pytest

from fer_stats import analyze, simulate_study
from fer_stats.movement import PROTOTYPES, movement_changes, movement_expression, prototype_scores
from fer_stats.schema import MOVEMENT_KEYS


def chain_of(**parameters):
    study = simulate_study(movements=True, **parameters)
    return study, analyze(study.trials, n_boot=300, seed=1)["chain"]


def test_each_trial_is_a_change_from_the_participants_other_natural_trials():
    trials = simulate_study(n_participants=6, movements=True, seed=2).trials
    changes = movement_changes(trials)
    for i, row in trials.iterrows():
        own = trials[(trials.participant_id == row.participant_id) & (trials.condition == "natural")].drop(
            index=i, errors="ignore"
        )
        for key in MOVEMENT_KEYS:
            expected = row[f"move_{key}"] - own[f"move_{key}"].mean()
            assert changes.loc[i, f"change_{key}"] == pytest.approx(expected)


def test_a_participant_without_another_natural_trial_has_no_baseline():
    trials = simulate_study(
        n_participants=3, movements=True, trials_per_condition={"natural": 1, "express": 2}, seed=3
    ).trials
    changes = movement_changes(trials)
    natural = trials.condition == "natural"
    assert changes.loc[natural, "change_mouth_opening"].isna().all()
    assert changes.loc[~natural, "change_mouth_opening"].notna().all()
    chain = analyze(trials, n_boot=0)["chain"]
    assert chain["n_without_baseline"] == natural.sum()


@pytest.mark.parametrize(
    "target,key",
    [
        ("happy", "lip_corner_raise"),
        ("happy", "mouth_width"),
        ("surprise", "inner_brow_raise"),
        ("surprise", "outer_brow_raise"),
        ("surprise", "mouth_opening"),
        ("angry", "brow_lowering"),
        ("sad", "lip_corner_depression"),
        ("disgust", "upper_lip_raise"),
    ],
)
def test_the_prototype_movements_change_in_the_predicted_direction(target, key):
    _, chain = chain_of(n_participants=40, pose_fidelity=0.9, seed=4)
    change = chain["face_follows_instruction"]["by_target"][target]["change"][key]
    assert change["ci"][0] > 0, (target, key, change)


def test_objective_pose_fidelity_follows_how_well_people_pose():
    _, good = chain_of(n_participants=40, pose_fidelity=0.95, heterogeneity=0, seed=5)
    _, poor = chain_of(n_participants=40, pose_fidelity=0.05, heterogeneity=0, seed=5)
    for chain, low, high in ((good, 0.5, 1.0), (poor, 0.0, 0.35)):
        happy = chain["face_follows_instruction"]["by_target"]["happy"]
        assert low < happy["prototype_shown"]["estimate"] < high
        assert happy["prototype_shown"]["ci"] is not None and 20 < happy["n_participants"] <= 40
    good_fidelity = good["face_follows_instruction"]["objective_pose_fidelity"]["all"]["accuracy"]["ci"]
    poor_fidelity = poor["face_follows_instruction"]["objective_pose_fidelity"]["all"]["accuracy"]["ci"]
    assert good_fidelity[0] > poor_fidelity[1]
    specificity = good["face_follows_instruction"]["by_target"]["surprise"]["specificity"]
    assert specificity["ci"][0] > 0
    pose_check = good["face_follows_instruction"]["pose_check_vs_movement"]["repeated_measures_r"]
    assert pose_check["estimate"] is not None


def test_the_label_follows_the_face_as_well_as_the_classifier_reads_it():
    _, sharp = chain_of(n_participants=30, classifier_accuracy=0.95, heterogeneity=0, seed=6)
    _, blind = chain_of(n_participants=30, classifier_accuracy=1 / 7, heterogeneity=0, seed=6)
    sharp_kappa = sharp["label_follows_face"]["all"]["kappa"]
    blind_kappa = blind["label_follows_face"]["all"]["kappa"]
    assert sharp_kappa["ci"][0] > 0.3 and blind_kappa["ci"][0] < 0.05 < sharp_kappa["ci"][0]


def test_the_face_follows_the_feeling_when_expressions_go_with_feelings():
    coherent, chain = chain_of(n_participants=40, natural_coherence=0.9, heterogeneity=0, seed=7)
    _, incoherent = chain_of(n_participants=40, natural_coherence=0.0, heterogeneity=0, seed=7)
    shown = chain["face_follows_feeling"]["felt"]["natural"]["happy"]["prototype_shown"]["estimate"]
    never = incoherent["face_follows_feeling"]["felt"]["natural"]["happy"]["prototype_shown"]["estimate"]
    assert shown > never + 0.2
    assert chain["face_follows_feeling"]["meta_analytic"]["full_expression"] == 0.13
    trials = coherent.trials
    natural_happy = ((trials.condition == "natural") & (trials.felt == "happy")).sum()
    assert chain["face_follows_feeling"]["felt"]["natural"]["happy"]["n"] == natural_happy


def test_with_induction_the_face_is_also_read_against_the_induced_emotion():
    _, chain = chain_of(n_participants=20, induction_method="recall", seed=8)
    assert set(chain["face_follows_feeling"]["induced"]) == {"natural", "express", "natural_and_express"}


def test_the_movement_defined_expression_is_the_strongest_prototype_above_the_threshold():
    keys = list(MOVEMENT_KEYS)
    z = np.zeros((3, len(keys)))
    z[0, keys.index("brow_lowering")] = 3.0
    z[1, [keys.index(k) for k in PROTOTYPES["surprise"]]] = 2.0
    labels = ["angry", "surprise", "neutral"]
    codes = movement_expression(prototype_scores(z, keys, labels), labels, threshold=1.0)
    assert codes.tolist() == [0, 1, 2]


def test_without_movement_columns_the_chain_says_why():
    assert "move_<key>" in analyze(simulate_study(n_participants=3, seed=0).trials, n_boot=0)["chain"]["reason"]


def test_movement_values_that_are_not_finite_are_refused():
    trials = simulate_study(n_participants=3, movements=True, seed=0).trials
    trials.loc[0, "move_mouth_opening"] = np.inf
    from fer_stats import TrialTableError

    with pytest.raises(TrialTableError, match="move_mouth_opening"):
        analyze(trials, n_boot=0)


def test_a_neutral_face_has_no_prototype_and_says_so():
    _, chain = chain_of(n_participants=5, seed=9)
    assert (
        "baseline" in chain["no_prototype"]["neutral"]
        and "neutral" not in chain["face_follows_instruction"]["by_target"]
    )
    assert isinstance(pd.Series(chain["scales"]).dropna().iloc[0], float)


def test_the_pose_check_correlation_matches_pingouin():
    import pingouin

    from fer_stats.movement import change_scales

    study = simulate_study(n_participants=25, movements=True, pose_fidelity=0.6, seed=10)
    trials = study.trials
    labels = list(study.parameters.labels)
    changes = movement_changes(trials).filter(like="change_").to_numpy()
    scores = prototype_scores(changes / change_scales(changes), list(MOVEMENT_KEYS), labels)
    target = trials.target.map({label: i for i, label in enumerate(labels)})
    frame = trials.assign(score=[scores[i, int(t)] if t == t else np.nan for i, t in enumerate(target)])
    frame = frame.dropna(subset=["score", "pose_rating"])
    expected = pingouin.rm_corr(frame, x="pose_rating", y="score", subject="participant_id")["r"].iloc[0]
    chain = analyze(trials, n_boot=0)["chain"]
    ours = chain["face_follows_instruction"]["pose_check_vs_movement"]
    assert ours["repeated_measures_r"]["estimate"] == pytest.approx(expected, abs=1e-9) and ours["n"] == len(frame)


def test_mean_change_by_condition_and_target_matches_pandas():
    study = simulate_study(n_participants=12, movements=True, seed=11)
    trials = study.trials.join(movement_changes(study.trials))
    means = trials.assign(target=trials.target.fillna("(no target)")).groupby(["condition", "target"])
    results = analyze(study.trials, n_boot=100)
    cells = results["chain"]["change_by_condition_and_target"]
    for (condition, target), part in means:
        cell = cells[condition][target]["mouth_opening"]
        assert cell["estimate"] == pytest.approx(part["change_mouth_opening"].mean()) and cell["n"] == len(part)
    assert "Movement measures show the requested expression on" in results["summary"]["text"]
