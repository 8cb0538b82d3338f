"""Inter-rater reliability against statsmodels and krippendorff, and the published examples."""

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from fer_stats.observers import (
    fleiss_kappa,
    item_counts,
    krippendorff_alpha,
    majority_label,
)

# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological Bulletin,
# 76(5), 378-382, Table 1: 30 patients, 6 psychiatrists, 5 diagnoses (1 depression, 2 personality
# disorder, 3 schizophrenia, 4 neurosis, 5 other); kappa = .430. Transcribed as in R irr::diagnoses.
DIAGNOSES = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)

# Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability, p. 8 (reliability data with
# missing values): 4 observers, 12 units; nominal alpha = 0.743. Rows observers, columns units.
NAN = np.nan
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)


def counts_from_reliability(data, values):
    """(units x values) counts from (raters x units) data with NaN for missing."""
    return np.array([[np.sum(data[:, u] == v) for v in values] for u in range(data.shape[1])], dtype=float)


def test_fleiss_1971_psychiatric_diagnoses():
    counts, _ = aggregate_raters(DIAGNOSES)
    assert round(fleiss_kappa(counts), 3) == 0.430
    assert fleiss_kappa(counts) == pytest.approx(statsmodels_fleiss(counts), abs=1e-12)


def test_krippendorff_2011_example_with_missing_values():
    counts = counts_from_reliability(KRIPPENDORFF_2011, [1, 2, 3, 4, 5])
    assert round(krippendorff_alpha(counts), 3) == 0.743


@pytest.mark.parametrize("seed", range(15))
def test_it_matches_the_reference_packages_on_random_ratings(seed):
    rng = np.random.default_rng(seed)
    raters, units, k = 2 + seed % 5, 10 + 7 * seed, 2 + seed % 6
    truth = rng.integers(0, k, size=units)
    data = np.where(rng.random((raters, units)) < 0.6, truth, rng.integers(0, k, size=(raters, units))).astype(float)
    counts = counts_from_reliability(data, range(k))
    assert fleiss_kappa(counts) == pytest.approx(statsmodels_fleiss(counts), abs=1e-9)
    data[rng.random(data.shape) < 0.2] = np.nan  # unequal numbers of ratings per unit
    counts = counts_from_reliability(data, range(k))
    if (counts.sum(axis=1) >= 2).any() and len(np.unique(data[~np.isnan(data)])) > 1:
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert krippendorff_alpha(counts) == pytest.approx(expected, abs=1e-9)


def test_undefined_reliability_is_nan_for_the_caller_to_explain():
    assert np.isnan(fleiss_kappa(np.array([[2.0, 0.0], [3.0, 0.0]])))
    assert np.isnan(krippendorff_alpha(np.array([[1.0, 0.0], [0.0, 1.0]])))


def test_majority_label_leaves_ties_and_unrated_photos_out():
    counts = item_counts(np.array([0, 0, 0, 1, 1]), np.array([2, 2, 1, 0, 1]), n_items=3, n_labels=3)
    assert majority_label(counts).tolist() == [2, -1, -1]
