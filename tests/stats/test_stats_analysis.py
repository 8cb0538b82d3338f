"""The whole analysis: plain JSON without NaN, edge cases, reproducibility, recovering known truth."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fer_stats import Exclusions, analyze, simulate_study


def walk(value, path=""):
    """Every (path, leaf) in a nested result."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, f"{path}[{i}]")
    else:
        yield path, value


def assert_plain_json(results):
    json.dumps(results, allow_nan=False)
    for path, leaf in walk(results):
        assert not (isinstance(leaf, float) and not math.isfinite(leaf)), path
        assert leaf is None or isinstance(leaf, (str, int, float, bool)), (path, type(leaf))


def assert_every_none_has_a_reason(results):
    for path, leaf in walk(results):
        if path.endswith(".estimate") and leaf is None:
            parent = path.rsplit(".", 1)[0]
            assert dict(walk(results)).get(parent + ".reason"), path


@pytest.fixture(scope="module")
def study():
    return simulate_study(n_participants=40, n_raters=3, seed=11)


@pytest.fixture(scope="module")
def results(study):
    return analyze(study.trials, study.ratings, n_boot=300, seed=5)


def test_results_are_plain_json_with_reasons_for_every_gap(results):
    assert_plain_json(results)
    assert_every_none_has_a_reason(results)


def test_every_result_carries_n_seed_resamples_and_version(results):
    sections = [
        *results["agreement"]["predicted_vs_target"].values(),
        *results["decisive"].values(),
        results["cooccurrence"],
        results["valence"]["all"],
        results["observers"]["reliability"],
    ]
    for section in sections:
        assert section["seed"] == 5 and section["n_boot"] == 300 and section["version"]
        assert any(key.startswith("n") and isinstance(value, int) for key, value in section.items())


def test_it_is_reproducible_with_a_seed_and_changes_without(study):
    first = analyze(study.trials, n_boot=100, seed=1)
    assert first == analyze(study.trials, n_boot=100, seed=1)
    assert (
        first["decisive"]["all"]["difference"]["ci"]
        != analyze(study.trials, n_boot=100, seed=2)["decisive"]["all"]["difference"]["ci"]
    )


def test_overall_agreement_is_the_sum_of_the_conditions(results):
    overall = np.array(results["agreement"]["predicted_vs_felt"]["all"]["confusion"]["counts"])
    parts = sum(
        np.array(results["agreement"]["predicted_vs_felt"][c]["confusion"]["counts"])
        for c in ("natural", "express", "opposite", "assigned")
    )
    assert (overall == parts).all()


def test_a_missing_condition_gives_defined_empty_results():
    study = simulate_study(n_participants=10, trials_per_condition={"natural": 2, "opposite": 3}, seed=0)
    results = analyze(study.trials, n_boot=50)
    assert results["trials_per_condition"]["assigned"] == 0
    assigned = results["agreement"]["predicted_vs_target"]["assigned"]
    assert assigned["n"] == 0 and assigned["kappa"]["reason"]
    assert results["decisive"]["express"]["difference"]["estimate"] is None
    assert_plain_json(results)
    assert_every_none_has_a_reason(results)


def test_one_participant_gives_estimates_without_clustered_intervals():
    study = simulate_study(n_participants=1, seed=3)
    results = analyze(study.trials, n_boot=50)
    decisive = results["decisive"]["all"]["difference"]
    assert decisive["estimate"] is not None and decisive["ci"] is None and decisive["ci_reason"]
    assert_plain_json(results)


def test_all_predictions_identical_give_defined_values():
    trials = simulate_study(n_participants=6, seed=4).trials
    trials["predicted"] = "happy"
    results = analyze(trials, n_boot=50)
    assert results["agreement"]["predicted_vs_target"]["all"]["kappa"]["estimate"] == pytest.approx(0.0)
    assert_plain_json(results)
    assert_every_none_has_a_reason(results)


def test_no_valence_and_no_probabilities_are_reasons_not_crashes():
    trials = simulate_study(n_participants=5, seed=4).trials
    trials = trials.drop(columns=["valence"] + [c for c in trials if c.startswith("prob_")])
    results = analyze(trials, n_boot=20, labels=("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"))
    assert results["valence"]["all"]["n"] == 0
    assert results["valence"]["all"]["spearman_pooled"]["reason"]
    assert_plain_json(results)


def test_it_recovers_the_simulated_truth():
    study = simulate_study(n_participants=400, pose_fidelity=0.85, classifier_accuracy=0.65, seed=9)
    results = analyze(study.trials, n_boot=400, seed=0)
    decisive = results["decisive"]["all"]
    low, high = decisive["difference"]["ci"]
    assert low < study.truth["decisive_difference"] < high
    assert decisive["difference"]["estimate"] == pytest.approx(study.truth["decisive_difference"], abs=0.04)
    kappa = results["agreement"]["predicted_vs_target"]["all"]["kappa"]
    assert kappa["ci"][0] < study.truth["target_kappa"] < kappa["ci"][1]


def test_a_model_that_reads_feelings_shows_a_negative_difference():
    # Nobody poses (fidelity near 0): the face shows the feeling, so the label follows the feeling.
    study = simulate_study(n_participants=60, pose_fidelity=0.02, heterogeneity=0.0, seed=2)
    decisive = analyze(study.trials, n_boot=200)["decisive"]["all"]
    assert decisive["difference"]["ci"][1] < 0 and decisive["sign_flip"]["p_value"] < 0.01


def test_observers_see_the_face_better_than_a_weak_model():
    study = simulate_study(n_participants=50, classifier_accuracy=0.4, n_raters=4, rater_accuracy=0.9, seed=6)
    paired = analyze(study.trials, study.ratings, n_boot=200)["observers"]["observers_vs_model"]["target"]
    assert paired["model_minus_observers"]["ci"][1] < 0
    assert paired["mcnemar_exact"]["p_value"] < 1e-6


def test_cooccurrence_matches_a_direct_count(study, results):
    trials = study.trials[study.trials.condition.isin(["natural", "express"]) & study.trials.predicted.notna()]
    for label, row in results["cooccurrence"]["by_label"].items():
        felt, predicted = trials.felt == label, trials.predicted == label
        assert row["n_felt"] == felt.sum() and row["n_predicted"] == predicted.sum()
        assert row["predicted_given_felt"]["estimate"] == pytest.approx((felt & predicted).sum() / felt.sum())
        assert row["felt_given_predicted"]["estimate"] == pytest.approx((felt & predicted).sum() / predicted.sum())
    assert results["cooccurrence"]["meta_analytic"]["full_expression"] == 0.13


def test_observers_majority_agreement_matches_pandas(study, results):
    ratings = study.ratings.dropna(subset=["label"])
    counts = ratings.groupby(["participant_id", "trial_index"])["label"].value_counts().unstack(fill_value=0)
    top = counts.max(axis=1)
    unique_top = (counts.eq(top, axis=0)).sum(axis=1) == 1
    majority = counts.idxmax(axis=1)[unique_top].rename("majority").reset_index()
    merged = study.trials.merge(majority, on=["participant_id", "trial_index"]).dropna(subset=["target"])
    out = results["agreement"]["observers_vs_target"]["all"]
    assert out["n"] == len(merged)
    assert out["accuracy"]["estimate"] == pytest.approx((merged.majority == merged.target).mean())


LABELS = ("happy", "sad", "neutral")
maybe_label = st.one_of(st.none(), st.sampled_from(LABELS))
row = st.tuples(
    st.integers(0, 3),
    st.sampled_from(["natural", "express", "opposite", "assigned"]),
    maybe_label,
    maybe_label,
    maybe_label,
    st.one_of(st.none(), st.integers(1, 9)),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(row, min_size=1, max_size=25))
def test_any_small_table_gives_plain_json_with_reasons(rows):
    trials = pd.DataFrame(rows, columns=["participant_id", "condition", "felt", "target", "predicted", "valence"])
    trials["trial_index"] = trials.groupby("participant_id").cumcount()
    for label in LABELS:
        trials[f"prob_{label}"] = np.where(trials.predicted.isna(), np.nan, (trials.predicted == label) * 0.8 + 0.1)
    ratings = trials[["participant_id", "trial_index", "predicted"]].rename(columns={"predicted": "label"})
    ratings = pd.concat([ratings.assign(rater_id="a"), ratings.assign(rater_id="b", label=trials.target)])
    results = analyze(trials, ratings, n_boot=20, seed=0)
    assert_plain_json(results)
    assert_every_none_has_a_reason(results)


def test_exact_and_linearised_spearman_intervals_agree(study):
    exact = analyze(study.trials, n_boot=400, seed=3, spearman_resampling="exact")["valence"]["all"]
    linear = analyze(study.trials, n_boot=400, seed=3, spearman_resampling="linearised")["valence"]["all"]
    assert exact["spearman_pooled"]["estimate"] == linear["spearman_pooled"]["estimate"]
    assert linear["spearman_pooled"]["ci"] == pytest.approx(exact["spearman_pooled"]["ci"], abs=0.03)
    assert "linearised" in linear["spearman_pooled"]["ci_method"]


def test_without_resamples_there_are_estimates_and_no_intervals(study):
    results = analyze(study.trials, study.ratings, n_boot=0)
    assert "ci" not in results["decisive"]["all"]["difference"]
    assert results["observers"]["reliability"]["fleiss_kappa"]["estimate"] is not None
    assert_plain_json(results)


@pytest.mark.parametrize("participants", [1, 3, 25])
def test_a_study_with_every_feature_gives_plain_json_with_reasons(participants):
    study = simulate_study(
        n_participants=participants,
        labels=("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral", "contempt"),
        none_rate=0.15,
        induction_method="recall",
        models={"fer": 0.6, "hse": 0.4},
        movements=True,
        n_pilot=1,
        incomplete_rate=0.2,
        upload_rate=0.1,
        retake_mean=0.5,
        n_raters=2,
        seed=participants,
    )
    trials = study.trials.copy()
    trials.loc[trials.index[::9], [c for c in trials if c.startswith("move_")]] = np.nan
    for interval in ("percentile", "bca"):
        results = analyze(
            trials,
            study.ratings,
            n_boot=60,
            interval=interval,
            target_width=0.05,
            min_participants=5,
            exclusions=Exclusions(include_pilot=participants == 1, felt_reported=True),
        )
        assert_plain_json(results)
        assert_every_none_has_a_reason(results)
        assert {"models", "induction", "chain", "exclusions", "summary", "sample_size"} <= set(results)


felt_answer = st.one_of(st.none(), st.just("none"), st.sampled_from(LABELS))
rich_row = st.tuples(
    st.integers(0, 3),
    st.sampled_from(["natural", "express", "opposite", "assigned"]),
    felt_answer,
    maybe_label,
    maybe_label,
    maybe_label,  # second model
    maybe_label,  # induced
    st.one_of(st.none(), st.floats(-1, 1)),
    st.one_of(st.none(), st.integers(1, 7)),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(rich_row, min_size=1, max_size=20), st.booleans())
def test_any_small_table_with_the_new_columns_gives_plain_json_with_reasons(rows, bca):
    names = ["participant_id", "condition", "felt", "target", "predicted", "other", "induced", "move", "pose_rating"]
    base = pd.DataFrame(rows, columns=names)
    base["trial_index"] = base.groupby("participant_id").cumcount()
    base["move_mouth_opening"] = base.pop("move").astype(float)
    base["move_lip_corner_raise"] = -base["move_mouth_opening"]
    base["induction_method"] = np.where(base.induced.notna(), "recall", None)
    other = base.assign(predicted=base.pop("other"), model="b")
    trials = pd.concat([base.assign(model="a"), other], ignore_index=True)
    results = analyze(trials, labels=LABELS, n_boot=20, interval="bca" if bca else "percentile", min_participants=2)
    assert_plain_json(results)
    assert_every_none_has_a_reason(results)
