"""The intervals beside the percentile bootstrap reproduce published values and the reference libraries."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.inter_rater import cohens_kappa
from statsmodels.stats.proportion import proportion_confint

from fer_stats import analyze, simulate_study
from fer_stats.agreement import describe, scores
from fer_stats.bootstrap import estimate, weight_matrix
from fer_stats.guidance import FEW_PARTICIPANTS
from fer_stats.intervals import ac1_interval, ac1_standard_error, clopper_pearson_interval, wilson_interval

# SAS/STAT User's Guide, PROC FREQ, "Getting Started: Agreement Study" (Table 3.2 / 40.2, skin condition of
# 88 patients rated by two dermatologists): simple kappa 0.3449, ASE 0.0724 (Fleiss, Cohen & Everitt 1969),
# 95% confidence limits 0.2030 to 0.4868.
SKIN_CONDITION = np.array([[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]], dtype=float)
# Gwet, Handbook of Inter-Rater Reliability (4th ed., 2014), 100 pregnant women classified by two abstractors
# (ectopic, AIU, NIU), distributed with Gwet's irrCAC package as cont3x3abstractors: AC1 = 0.84933,
# SE = 0.04322, 95% CI 0.76358 to 0.93508 (t with n - 1 df).
ABSTRACTORS = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]], dtype=float)


def test_kappa_fce_1969_interval_reproduces_the_sas_agreement_study():
    out = describe(SKIN_CONDITION, None, labels=list("abcd"), n_clusters=1)
    kappa = out["kappa"]
    assert round(kappa["estimate"], 4) == 0.3449
    fce = kappa["intervals"]["fce_1969"]
    assert round(fce["se"], 4) == 0.0724
    assert [round(v, 4) for v in fce["ci"]] == [0.2030, 0.4868]
    assert "Fleiss, Cohen & Everitt (1969)" in fce["method"]


@pytest.mark.parametrize("seed", range(6))
def test_kappa_interval_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    table = rng.integers(0, 30, size=(4, 4)).astype(float) + np.diag(rng.integers(5, 40, size=4))
    reference = cohens_kappa(table)
    fce = describe(table, None, labels=list("abcd"), n_clusters=1)["kappa"]["intervals"]["fce_1969"]
    assert fce["ci"] == pytest.approx([reference.kappa_low, reference.kappa_upp], abs=1e-9)


def test_ac1_variance_reproduces_gwets_handbook_example():
    ac1 = float(scores(ABSTRACTORS)["ac1"])
    assert round(ac1, 5) == 0.84933
    assert round(ac1_standard_error(ABSTRACTORS), 5) == 0.04322
    assert [round(v, 5) for v in ac1_interval(ac1, ABSTRACTORS)] == [0.76358, 0.93508]
    gwet = describe(ABSTRACTORS, None, labels=list("abc"), n_clusters=1)["ac1"]["intervals"]["gwet_2008"]
    assert gwet["ci"] == pytest.approx(ac1_interval(ac1, ABSTRACTORS)) and "Gwet (2008)" in gwet["method"]


def test_ac1_variance_of_the_sas_table_matches_irrcac():
    # irrCAC 0.4.4 (Gwet's own implementation) on the skin-condition table: AC1 0.35107, SE 0.07033.
    assert round(float(scores(SKIN_CONDITION)["ac1"]), 5) == 0.35107
    assert round(ac1_standard_error(SKIN_CONDITION), 5) == 0.07033


# Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion: comparison of seven
# methods. Statistics in Medicine 17, 857-872, Table II: methods 3 (Wilson score) and 5 (Clopper-Pearson).
NEWCOMBE_1998 = [
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0, 0.1611), (0.0, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize("successes,n,wilson,exact", NEWCOMBE_1998)
def test_single_proportion_intervals_reproduce_newcombe_1998(successes, n, wilson, exact):
    assert tuple(round(v, 4) for v in wilson_interval(successes, n)) == wilson
    assert tuple(round(v, 4) for v in clopper_pearson_interval(successes, n)) == exact


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (1, 1), (57, 230), (999, 1000)])
def test_clopper_pearson_matches_statsmodels(k, n):
    assert clopper_pearson_interval(k, n) == pytest.approx(proportion_confint(k, n, method="beta"), abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_bca_on_unclustered_data_equals_scipy_bootstrap(seed):
    # One trial per participant: our weights draw exactly scipy's resamples for the same generator seed.
    rng = np.random.default_rng(seed)
    x = rng.exponential(size=25 + 10 * seed)
    n = len(x)
    weights = weight_matrix(n, 999, seed=seed)
    out = estimate(x.mean(), weights @ x / n, n_clusters=n, undefined="", jackknife=(x.sum() - x) / (n - 1))
    expected = stats.bootstrap((x,), np.mean, method="BCa", n_resamples=999, rng=np.random.default_rng(seed))
    assert out["intervals"]["bca"]["ci"] == pytest.approx(list(expected.confidence_interval), abs=1e-12)
    assert out["intervals"]["percentile"]["ci"] == out["ci"]


def test_bca_is_the_headline_interval_when_asked_and_every_interval_is_labelled():
    study = simulate_study(n_participants=30, n_raters=2, seed=4)
    results = analyze(study.trials, study.ratings, n_boot=300, seed=1, interval="bca")
    difference = results["decisive"]["all"]["difference"]
    assert difference["ci"] == difference["intervals"]["bca"]["ci"] and "BCa" in difference["ci_method"]
    kappa = results["agreement"]["predicted_vs_target"]["all"]["kappa"]
    assert set(kappa["intervals"]) == {"percentile", "bca", "fce_1969"}
    assert all(interval["method"] for interval in kappa["intervals"].values())
    follows = results["decisive"]["all"]["follows_target"]["intervals"]
    assert {"wilson", "clopper_pearson"} <= set(follows)
    for section in (results["observers"]["reliability"]["fleiss_kappa"], results["valence"]["all"]["spearman_pooled"]):
        assert section["intervals"]["bca"]["ci"] is not None
    percentile = analyze(study.trials, study.ratings, n_boot=300, seed=1)
    same = percentile["decisive"]["all"]["difference"]
    assert same["ci"] == difference["intervals"]["percentile"]["ci"] and "bca" not in same["intervals"]


def test_it_says_which_interval_to_trust_with_few_people_and_near_a_bound():
    few = analyze(simulate_study(n_participants=8, seed=1).trials, n_boot=200, interval="bca")
    difference = few["decisive"]["all"]["difference"]
    assert (
        difference["recommended_interval"] == "bca" and f"fewer than {FEW_PARTICIPANTS}" in difference["recommendation"]
    )
    many = simulate_study(n_participants=60, pose_fidelity=0.99, classifier_accuracy=0.99, heterogeneity=0, seed=2)
    kappa = analyze(many.trials, n_boot=200)["agreement"]["predicted_vs_target"]["all"]["kappa"]
    assert kappa["estimate"] > 0.9 and "near its bound" in kappa["recommendation"]
    one = analyze(simulate_study(n_participants=1, seed=3).trials, n_boot=50)
    accuracy = one["agreement"]["predicted_vs_target"]["all"]["accuracy"]
    assert accuracy["recommended_interval"] == "clopper_pearson" and "nested" in accuracy["recommendation"]


def test_sections_on_fewer_than_the_stated_participants_are_flagged():
    study = simulate_study(n_participants=12, seed=5, trials_per_condition={"natural": 1, "opposite": 2})
    results = analyze(study.trials, n_boot=0, min_participants=15)
    assert "fewer than the stated minimum of 15" in results["decisive"]["all"]["few_participants"]
    assert "few_participants" not in analyze(study.trials, n_boot=0, min_participants=5)["decisive"]["all"]
