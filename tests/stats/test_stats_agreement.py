"""Agreement scores against scikit-learn and statsmodels, and Cohen's (1960) worked example."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, confusion_matrix, f1_score, precision_score, recall_score
from statsmodels.stats.inter_rater import cohens_kappa

from fer_stats.agreement import (
    confusion_table,
    describe,
    kappa_standard_error,
    per_class,
    scores,
)

LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def random_pairs(seed, *, n=200, used=7, missing=0.1):
    """Random reference/prediction lists; only the first `used` labels occur, some are missing."""
    rng = np.random.default_rng(seed)
    ref = rng.choice(LABELS[:used], size=n).astype(object)
    pred = np.where(rng.random(n) < 0.5, ref, rng.choice(LABELS[:used], size=n)).astype(object)
    pred[rng.random(n) < missing] = None
    ref[rng.random(n) < missing / 2] = None
    return list(ref), list(pred)


def present(ref, pred):
    keep = [(r, p) for r, p in zip(ref, pred, strict=True) if r is not None and p is not None]
    return [r for r, _ in keep], [p for _, p in keep]


@pytest.mark.parametrize("seed,used", [(s, u) for s in range(12) for u in (2, 4, 7)])
def test_it_matches_scikit_learn_on_random_tables(seed, used):
    ref, pred = random_pairs(seed, n=50 + 37 * seed, used=used)
    table = confusion_table(ref, pred, labels=LABELS)
    s = scores(table)
    r, p = present(ref, pred)
    seen = [label for label in LABELS if label in r or label in p]
    assert table.tolist() == confusion_matrix(r, p, labels=LABELS).tolist()
    assert float(s["accuracy"]) == pytest.approx(np.mean(np.array(r) == np.array(p)), abs=1e-12)
    assert float(s["kappa"]) == pytest.approx(cohen_kappa_score(r, p, labels=LABELS), abs=1e-9)
    assert float(s["macro_f1"]) == pytest.approx(
        f1_score(r, p, labels=seen, average="macro", zero_division=0), abs=1e-9
    )
    classes = per_class(table, LABELS)
    recall = recall_score(r, p, labels=LABELS, average=None, zero_division=np.nan)
    precision = precision_score(r, p, labels=LABELS, average=None, zero_division=np.nan)
    for i, label in enumerate(LABELS):
        for ours, theirs in ((classes[label]["recall"], recall[i]), (classes[label]["precision"], precision[i])):
            assert (ours is None and np.isnan(theirs)) or ours == pytest.approx(theirs, abs=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_kappa_standard_error_matches_statsmodels(seed):
    ref, pred = random_pairs(seed, n=300, used=3 + seed % 5)
    table = confusion_table(ref, pred, labels=LABELS)
    used = table.sum(axis=0) + table.sum(axis=1) > 0  # statsmodels needs no all-empty class
    reference = cohens_kappa(table[np.ix_(used, used)])
    assert float(scores(table)["kappa"]) == pytest.approx(reference.kappa, abs=1e-9)
    assert kappa_standard_error(table) == pytest.approx(reference.std_kappa, abs=1e-9)


def test_cohens_1960_worked_example():
    # Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological
    # Measurement, 20(1), 37-46, Table 1: two judges, 200 cases, 3 categories; p_o = .70, p_c = .41, kappa = .492.
    table = np.array([[88.0, 14.0, 18.0], [10.0, 40.0, 10.0], [2.0, 6.0, 12.0]])
    s = scores(table)
    assert float(s["accuracy"]) == pytest.approx(0.70)
    assert float(s["chance_accuracy"]) == pytest.approx(0.41)
    assert round(float(s["kappa"]), 3) == 0.492


def test_gwet_ac1_follows_its_definition():
    # Gwet (2008), Br J Math Stat Psychol 61, 29-48: pe = sum_k pi_k (1 - pi_k) / (q - 1),
    # pi_k the mean of the two raters' marginal shares. Worked by hand for a 2 x 2 table.
    table = np.array([[40.0, 10.0], [5.0, 45.0]])
    pa = 0.85
    pi = np.array([(50 + 45) / 200, (50 + 55) / 200])
    pe = (pi * (1 - pi)).sum() / 1
    assert float(scores(table)["ac1"]) == pytest.approx((pa - pe) / (1 - pe), abs=1e-12)


def test_a_single_class_gives_kappa_undefined_with_a_reason_and_ac1_defined():
    table = confusion_table(["happy"] * 5, ["happy"] * 5, labels=LABELS)
    out = describe(table, None, labels=LABELS, n_clusters=1)
    assert out["kappa"]["estimate"] is None and "chance agreement is 1" in out["kappa"]["reason"]
    assert out["accuracy"]["estimate"] == 1.0 and out["ac1"]["estimate"] == 1.0
    assert out["macro_f1"]["estimate"] == 1.0


def test_no_trials_give_reasons_not_nan():
    out = describe(np.zeros((7, 7)), np.zeros((10, 7, 7)), labels=LABELS, n_clusters=0)
    assert out["n"] == 0
    assert all(out[name]["estimate"] is None and out[name]["reason"] for name in ("accuracy", "kappa", "macro_f1"))


def test_all_predictions_identical_give_defined_scores():
    ref = ["happy", "sad", "fear", "happy"] * 5
    table = confusion_table(ref, ["happy"] * 20, labels=LABELS)
    s = scores(table)
    assert float(s["kappa"]) == pytest.approx(cohen_kappa_score(ref, ["happy"] * 20, labels=LABELS), abs=1e-12)
    assert float(s["kappa"]) == 0.0


def test_scores_are_vectorised_over_resampled_tables():
    tables = np.stack([confusion_table(*random_pairs(s), labels=LABELS) for s in range(5)])
    batch = scores(tables)
    for i, table in enumerate(tables):
        single = scores(table)
        for name in batch:
            assert batch[name][i] == pytest.approx(float(single[name]), nan_ok=True)
