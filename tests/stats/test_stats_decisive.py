"""The decisive comparison: McNemar against statsmodels and a textbook example, sign-flip test."""

import itertools

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar

from fer_stats.decisive import decisive_sums, describe, exact_mcnemar, proportions, sign_flip_test


def test_exact_mcnemar_textbook_example():
    # Fagerland, Lydersen & Laake (2013). The McNemar test for binary matched-pairs data.
    # BMC Medical Research Methodology 13:91, Table 1 (Bentur et al. 2009, airway hyper-responsiveness):
    # discordant pairs 1 and 7, exact conditional p = 0.070.
    assert round(exact_mcnemar(1, 7)["p_value"], 3) == 0.070


@pytest.mark.parametrize("b,c", [(0, 3), (5, 5), (12, 3), (40, 61), (150, 86), (1, 0)])
def test_exact_mcnemar_matches_statsmodels(b, c):
    expected = mcnemar(np.array([[10, b], [c, 7]]), exact=True)
    ours = exact_mcnemar(b, c)
    assert ours["p_value"] == pytest.approx(expected.pvalue, rel=1e-12)
    assert ours["statistic"] == expected.statistic


def test_no_discordant_trials_is_a_reason_not_a_p_value():
    assert exact_mcnemar(0, 0) == {"p_value": None, "reason": "no discordant trials", "discordant": 0}


def test_sign_flip_is_exact_for_few_participants():
    d = np.array([3.0, -1.0, 2.0, 4.0, 1.0])
    flips = np.array(list(itertools.product((-1, 1), repeat=5)))
    expected = np.mean(np.abs(flips @ d) >= abs(d.sum()))
    assert sign_flip_test(d, n_permutations=10, seed=0)["p_value"] == pytest.approx(expected)


def test_sign_flip_sampling_is_seeded_and_sensible():
    rng = np.random.default_rng(0)
    null = rng.normal(size=200)
    first = sign_flip_test(null, n_permutations=2000, seed=4)
    assert first == sign_flip_test(null, n_permutations=2000, seed=4)
    assert first["p_value"] > 0.01
    assert sign_flip_test(null + 1.0, n_permutations=2000, seed=4)["p_value"] == pytest.approx(1 / 2001)


def test_decisive_trials_exclude_matching_and_missing_targets():
    target = np.array([0, 0, 1, -1, 2, 2])
    felt = np.array([1, 0, 0, 1, 1, 1])
    predicted = np.array([0, 0, 0, 1, -1, 1])
    sums = decisive_sums(target=target, felt=felt, predicted=predicted, cluster=np.zeros(6, dtype=int), n_clusters=1)
    assert sums.tolist() == [[3.0, 1.0, 2.0]]  # trials 0, 2 and 5 count; 4 has no prediction
    assert proportions(sums[0])["difference"] == pytest.approx(1 / 3 - 2 / 3)


def test_one_participant_gets_estimates_but_no_clustered_interval():
    out = describe(np.array([[4.0, 3.0, 1.0]]), np.full((10, 3), 4.0), n_missing=0, n_permutations=100, seed=0)
    assert out["difference"]["estimate"] == 0.5
    assert out["difference"]["ci"] is None and "one participant" in out["difference"]["ci_reason"]


def test_no_decisive_trials_give_reasons():
    out = describe(np.zeros((3, 3)), np.zeros((5, 3)), n_missing=0, n_permutations=100, seed=0)
    assert out["n"] == 0 and out["difference"]["estimate"] is None
    assert out["mcnemar_exact"]["p_value"] is None and out["sign_flip"]["p_value"] is None
