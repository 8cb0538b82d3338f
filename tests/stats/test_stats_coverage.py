"""Clustered intervals cover the simulated truth; trial-level ones visibly do not.

The full check (500 studies, 2000 resamples, 93-97%) is benchmarks/stats_coverage.py; this smaller,
seeded version allows for its larger Monte Carlo error (about 1.7 points at 200 studies).
"""

import pytest

from fer_stats.planning import interval_coverage


@pytest.mark.slow
def test_clustered_intervals_cover_and_trial_level_ones_under_cover():
    out = interval_coverage(n_studies=200, n_boot=500, seed=7, n_participants=50)
    for quantity, coverage in out["coverage"].items():
        assert 0.91 <= coverage["clustered_bootstrap"] <= 0.98, (quantity, coverage)
        assert coverage["trial_bootstrap"] <= coverage["clustered_bootstrap"] - 0.04, (quantity, coverage)
    assert out["coverage"]["target_kappa"]["trial_asymptotic"] < 0.9


def test_the_planning_helper_reports_widths_and_truth():
    out = interval_coverage(n_studies=3, n_boot=50, seed=0, n_participants=15)
    assert set(out["truth"]) == {"decisive_difference", "target_kappa"}
    assert out["mean_width"]["target_kappa"]["clustered_bootstrap"] > 0
