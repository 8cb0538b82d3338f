"""The vectorised clustered bootstrap equals a slow loop over the same resamples; Wilson intervals."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.proportion import proportion_confint

from fer_stats import analyze, simulate_study
from fer_stats.agreement import confusion_table, label_codes, scores
from fer_stats.bootstrap import count_table, percentile_interval, weight_matrix, wilson_interval


def resampled_trials(trials, weights_row, participants):
    """The trials of a resample: each participant's trials repeated as often as they were drawn."""
    repeats = pd.Series(weights_row, index=participants)
    parts = [trials[trials.participant_id == p] for p, w in repeats.items() for _ in range(int(w))]
    return pd.concat(parts) if parts else trials.iloc[:0]


def test_weights_are_multinomial_and_reproducible():
    w = weight_matrix(50, 700, seed=3)
    assert w.shape == (700, 50) and (w.sum(axis=1) == 50).all()
    assert np.array_equal(w, weight_matrix(50, 700, seed=3))
    assert not np.array_equal(w, weight_matrix(50, 700, seed=4))
    assert w.mean() == pytest.approx(1.0) and w.var() == pytest.approx(1 - 1 / 50, rel=0.05)


def test_vectorised_kappa_matches_a_slow_loop_over_the_same_resamples():
    study = simulate_study(n_participants=12, seed=5)
    trials = study.trials
    labels = list(study.parameters.labels)
    participants, cluster = np.unique(trials.participant_id, return_inverse=True)
    ref, pred = label_codes(trials.target.to_numpy(), labels), label_codes(trials.predicted.to_numpy(), labels)
    cell = np.where((ref >= 0) & (pred >= 0), ref * 7 + pred, -1)
    per_person = count_table(cluster, len(participants), cell, 49)
    weights = weight_matrix(len(participants), 60, seed=11)
    fast = scores((weights @ per_person).reshape(-1, 7, 7))["kappa"]
    for b in range(60):
        sample = resampled_trials(trials, weights[b], participants).dropna(subset=["target", "predicted"])
        slow = cohen_kappa_score(sample.target, sample.predicted, labels=labels)
        assert fast[b] == pytest.approx(slow, abs=1e-9)


def test_analyze_intervals_match_a_slow_loop_with_the_same_seed():
    study = simulate_study(n_participants=10, seed=8)
    out = analyze(study.trials, n_boot=40, seed=21)
    participants = np.unique(study.trials.participant_id)
    weights = weight_matrix(len(participants), 40, seed=21)
    differences = []
    for b in range(40):
        sample = resampled_trials(study.trials, weights[b], participants)
        sample = sample[
            sample.target.notna() & sample.felt.notna() & (sample.target != sample.felt) & sample.predicted.notna()
        ]
        differences.append(np.mean(sample.predicted == sample.target) - np.mean(sample.predicted == sample.felt))
    assert out["decisive"]["all"]["difference"]["ci"] == pytest.approx(list(percentile_interval(differences)))
    tables = []
    for b in range(40):
        sample = resampled_trials(study.trials, weights[b], participants)
        labels = list(study.parameters.labels)
        tables.append(confusion_table(sample.target.tolist(), sample.predicted.tolist(), labels=labels))
    kappas = scores(np.stack(tables))["kappa"]
    assert out["agreement"]["predicted_vs_target"]["all"]["kappa"]["ci"] == pytest.approx(
        list(percentile_interval(kappas))
    )


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (1, 1), (57, 230), (999, 1000)])
def test_wilson_interval_matches_statsmodels(k, n):
    assert wilson_interval(k, n) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-12)


def test_wilson_interval_without_trials_is_none():
    assert wilson_interval(0, 0) is None
