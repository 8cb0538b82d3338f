"""Valence correlations against scipy and pingouin; exact and linearised resampled Spearman."""

import numpy as np
import pandas as pd
import pingouin
import pytest
from scipy.stats import spearmanr

from fer_stats.bootstrap import percentile_interval, weight_matrix
from fer_stats.valence import (
    SpearmanResampler,
    describe,
    model_valence_index,
    rm_corr_from_totals,
    rm_corr_sums,
    spearman_from_linear_totals,
    spearman_influence,
    spearman_linear_sums,
    spearman_rho,
)


def clustered_data(seed, *, people=15, discrete=True):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 9, size=people)  # unbalanced
    cluster = np.repeat(np.arange(people), sizes)
    x = rng.normal(size=len(cluster)) + rng.normal(size=people)[cluster]
    y = 0.4 * x + rng.normal(size=len(cluster))
    if discrete:
        y = np.clip(np.rint(5 + 2 * y), 1, 9)
    return x, y, cluster


@pytest.mark.parametrize("seed", range(10))
def test_repeated_measures_r_matches_pingouin(seed):
    x, y, cluster = clustered_data(seed)
    totals = rm_corr_sums(x, y, cluster, cluster.max() + 1).sum(axis=0)
    expected = pingouin.rm_corr(pd.DataFrame({"x": x, "y": y, "s": cluster}), x="x", y="y", subject="s")
    assert float(rm_corr_from_totals(totals)) == pytest.approx(expected["r"].iloc[0], abs=1e-9)
    out = describe(
        x=x, y=y, cluster=cluster, n_clusters=cluster.max() + 1, rm_point=totals, rm_boot=None, spearman_boot=None
    )["repeated_measures_r"]
    assert out["dof"] == expected["dof"].iloc[0]
    assert out["p_value"] == pytest.approx(expected["pval"].iloc[0], rel=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_spearman_matches_scipy_with_ties(seed):
    x, y, _ = clustered_data(seed)
    x = np.round(x, 1)
    assert spearman_rho(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)


@pytest.mark.parametrize("discrete", [True, False])
def test_resampled_spearman_equals_spearman_of_the_repeated_trials(discrete):
    x, y, cluster = clustered_data(3, discrete=discrete)
    x[::7] = x[0]  # ties in x too
    n = cluster.max() + 1
    weights = weight_matrix(n, 30, seed=1)
    resampler = SpearmanResampler(x, y, cluster, n)
    resampler(np.ones((1, n)))
    resampler(weights)
    values = resampler.values()
    assert values[0] == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    for b in range(30):
        repeats = weights[b][cluster].astype(int)
        expected = spearmanr(np.repeat(x, repeats), np.repeat(y, repeats)).statistic
        assert values[b + 1] == pytest.approx(expected, abs=1e-9)


def test_spearman_influence_sums_to_zero_and_linearised_interval_tracks_exact_one():
    x, y, cluster = clustered_data(0, people=150)
    assert abs(spearman_influence(x, y).sum()) < 1e-9
    n = cluster.max() + 1
    weights = weight_matrix(n, 1000, seed=2)
    resampler = SpearmanResampler(x, y, cluster, n)
    resampler(weights)
    exact = percentile_interval(resampler.values())
    linear = percentile_interval(
        spearman_from_linear_totals(spearman_rho(x, y), weights @ spearman_linear_sums(x, y, cluster, n))
    )
    assert linear == pytest.approx(exact, abs=0.015)


def test_model_valence_index_renormalises_and_leaves_missing_probabilities_missing():
    probs = np.array([[0.2, 0.2], [np.nan, np.nan], [0.0, 0.0]])
    index = model_valence_index(probs, ["happy", "sad"])
    assert index[0] == 0.0 and np.isnan(index[1]) and np.isnan(index[2])


def test_a_label_without_valence_is_a_clear_error():
    with pytest.raises(ValueError, match="no valence is known for label"):
        model_valence_index(np.ones((1, 1)), ["bored"])
