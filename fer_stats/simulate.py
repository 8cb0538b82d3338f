"""Simulated studies from known parameters: plan sample sizes, and check the engine recovers truth.

Generative model, per participant i (heterogeneity = SD of participant effects on the logit scale):
- felt emotion: drawn from `felt_probabilities` (uniform by default), on every trial;
- face on natural trials: the felt emotion with probability c_i (mean near `natural_coherence`),
  otherwise a label drawn uniformly;
- face on posed trials: the target with probability f_i (mean near `pose_fidelity`), otherwise the
  felt emotion leaks through; targets: felt (express), opposite_map[felt] (opposite), uniform (assigned);
- classifier: the face's label with probability a_i (mean near `classifier_accuracy`), otherwise one
  of the other labels uniformly; no face found with probability `no_face_rate`;
- self-reported valence: 5 + 3 * valence(felt) + N(0, 1), rounded and clipped to 1-9;
- raters (optional): each labels every photo correctly with `rater_accuracy`, else another label.

>>> study = simulate_study(n_participants=3, seed=1)
>>> len(study.trials), sorted(study.trials["condition"].unique())
(48, ['assigned', 'express', 'natural', 'opposite'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from fer_conditions import CONDITIONS, DEFAULT_LABELS, DEFAULT_OPPOSITES
from fer_stats.agreement import scores
from fer_stats.schema import probability_columns
from fer_stats.valence import LABEL_VALENCE

DEFAULT_PLAN = {"natural": 4, "express": 4, "opposite": 4, "assigned": 4}


@dataclass(frozen=True)
class StudyParameters:
    n_participants: int = 100
    trials_per_condition: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PLAN))
    labels: tuple[str, ...] = tuple(DEFAULT_LABELS)
    opposite_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_OPPOSITES))
    felt_probabilities: tuple[float, ...] | None = None
    natural_coherence: float = 0.2
    pose_fidelity: float = 0.8
    classifier_accuracy: float = 0.6
    heterogeneity: float = 1.0
    no_face_rate: float = 0.02
    n_raters: int = 0
    rater_accuracy: float = 0.7


@dataclass(frozen=True)
class SimulatedStudy:
    trials: pd.DataFrame
    ratings: pd.DataFrame | None
    parameters: StudyParameters
    truth: dict


def simulate_study(*, seed: int = 0, **parameters) -> SimulatedStudy:
    """Tidy trial (and rating) tables drawn from StudyParameters(**parameters), plus the true values.

    >>> s = simulate_study(n_participants=50, pose_fidelity=0.9, heterogeneity=0.0, seed=0)
    >>> round(s.truth["decisive_difference"], 3)
    0.427
    """
    params = StudyParameters(**parameters)
    rng = np.random.default_rng(seed)
    labels, k = list(params.labels), len(params.labels)
    plan = [(c, params.trials_per_condition.get(c, 0)) for c in CONDITIONS]
    conditions = np.array([c for c, n in plan for _ in range(n)])
    per_person = len(conditions)
    n = params.n_participants * per_person
    person = np.repeat(np.arange(params.n_participants), per_person)
    orders = [rng.permutation(conditions) for _ in range(params.n_participants)]
    condition = np.concatenate(orders) if n else conditions

    def participant_rate(mean: float) -> np.ndarray:
        effects = logit(np.clip(mean, 1e-9, 1 - 1e-9)) + params.heterogeneity * rng.standard_normal(
            params.n_participants
        )
        return expit(effects)[person]

    coherence, fidelity, accuracy = (
        participant_rate(p) for p in (params.natural_coherence, params.pose_fidelity, params.classifier_accuracy)
    )
    felt_p = _felt_probabilities(params)
    felt = rng.choice(k, size=n, p=felt_p)
    opposite = np.array([labels.index(params.opposite_map[label]) for label in labels])
    target = np.full(n, -1)
    target[condition == "express"] = felt[condition == "express"]
    target[condition == "opposite"] = opposite[felt[condition == "opposite"]]
    assigned = condition == "assigned"
    target[assigned] = rng.integers(0, k, size=assigned.sum())

    uniform_label = rng.integers(0, k, size=n)
    natural = condition == "natural"
    face = np.where(rng.random(n) < fidelity, target, felt)
    face[natural] = np.where(rng.random(natural.sum()) < coherence[natural], felt[natural], uniform_label[natural])
    predicted = _noisy_label(face, accuracy, k, rng)
    predicted[rng.random(n) < params.no_face_rate] = -1

    probs = _probabilities(predicted, k, rng)
    valence_of = np.array([LABEL_VALENCE.get(label, 0.0) for label in labels])
    valence = np.clip(np.rint(5 + 3 * valence_of[felt] + rng.standard_normal(n)), 1, 9)
    names = np.array(labels + [None], dtype=object)  # code -1 picks the trailing None
    trials = pd.DataFrame(
        {
            "participant_id": np.char.add("p", person.astype(str)) if n else np.array([], dtype=str),
            "trial_index": np.tile(np.arange(per_person), params.n_participants),
            "condition": condition,
            "felt": names[felt],
            "target": names[target],
            "predicted": names[predicted],
            **dict(zip(probability_columns(labels), probs.T, strict=True)),
            "intensity": rng.integers(1, 8, size=n).astype(float),
            "valence": valence,
            "arousal": rng.integers(1, 10, size=n).astype(float),
        }
    )
    ratings = _ratings(trials, face, params, rng, names) if params.n_raters else None
    return SimulatedStudy(trials=trials, ratings=ratings, parameters=params, truth=true_values(params))


def _felt_probabilities(params: StudyParameters) -> np.ndarray:
    k = len(params.labels)
    p = np.full(k, 1 / k) if params.felt_probabilities is None else np.asarray(params.felt_probabilities, float)
    return p / p.sum()


def _noisy_label(true: np.ndarray, accuracy: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    wrong = (true + rng.integers(1, k, size=len(true))) % k if k > 1 else true
    return np.where(rng.random(len(true)) < accuracy, true, wrong)


def _probabilities(predicted: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    rest = rng.dirichlet(np.ones(k), size=len(predicted))
    top = 0.4 + 0.6 * rng.random(len(predicted))
    probs = rest * (1 - top)[:, None]
    has = predicted >= 0
    probs[has, predicted[has]] += top[has]
    probs[~has] = np.nan
    return probs


def _ratings(
    trials: pd.DataFrame, face: np.ndarray, params: StudyParameters, rng: np.random.Generator, names: np.ndarray
) -> pd.DataFrame:
    k, r = len(params.labels), params.n_raters
    seen = _noisy_label(np.repeat(face, r), np.full(len(face) * r, params.rater_accuracy), k, rng)
    return pd.DataFrame(
        {
            "rater_id": np.tile(np.char.add("r", np.arange(r).astype(str)), len(face)),
            "participant_id": np.repeat(trials["participant_id"].to_numpy(), r),
            "trial_index": np.repeat(trials["trial_index"].to_numpy(), r),
            "label": names[seen],
            "felt_guess": names[seen],
        }
    )


def population_mean(mean: float, heterogeneity: float) -> float:
    """E[expit(logit(mean) + heterogeneity * Z)] for standard normal Z (Gauss-Hermite, 80 nodes).

    >>> round(population_mean(0.8, 0.0), 12)
    0.8
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    centre = logit(np.clip(mean, 1e-12, 1 - 1e-12))
    return float((weights * expit(centre + heterogeneity * nodes)).sum() / np.sqrt(2 * np.pi))


def expected_target_table(params: StudyParameters) -> np.ndarray:
    """Population joint distribution of (target, predicted) over posed trials with a prediction."""
    labels, k = list(params.labels), len(params.labels)
    f = population_mean(params.pose_fidelity, params.heterogeneity)
    a = population_mean(params.classifier_accuracy, params.heterogeneity)
    classify = np.full((k, k), (1 - a) / (k - 1) if k > 1 else 0.0)  # face -> predicted
    np.fill_diagonal(classify, a)
    felt_p = _felt_probabilities(params)
    opposite = [labels.index(params.opposite_map[label]) for label in labels]
    table = np.zeros((k, k))
    for condition in ("express", "opposite", "assigned"):
        trials = params.trials_per_condition.get(condition, 0)
        for felt in range(k):
            targets = {
                "express": {felt: 1.0},
                "opposite": {opposite[felt]: 1.0},
                "assigned": {t: 1 / k for t in range(k)},
            }[condition]
            for target, p_target in targets.items():
                # The face follows the target (f) or the felt emotion leaks (1 - f); bilinear in f and a,
                # so independent participant effects enter through their means.
                face = f * np.eye(k)[target] + (1 - f) * np.eye(k)[felt]
                table[target] += trials * felt_p[felt] * p_target * (face @ classify)
    return table / table.sum() if table.sum() else table


def _decisive_share(params: StudyParameters) -> float:
    # Decisive trials per participant in expectation (assigned targets hit felt with prob. sum(p^2)).
    felt_p = _felt_probabilities(params)
    labels = list(params.labels)
    opposite_differs = sum(p for label, p in zip(labels, felt_p, strict=True) if params.opposite_map[label] != label)
    plan = params.trials_per_condition
    return plan.get("opposite", 0) * opposite_differs + plan.get("assigned", 0) * (1 - 1 / len(labels))


def true_values(params: StudyParameters) -> dict:
    """The population values the engine should recover from a study simulated with `params`.

    >>> round(true_values(StudyParameters(heterogeneity=0.0))["decisive_difference"], 4)
    0.32
    """
    k = len(params.labels)
    f = population_mean(params.pose_fidelity, params.heterogeneity)
    a = population_mean(params.classifier_accuracy, params.heterogeneity)
    follows_target = f * a + (1 - f) * (1 - a) / (k - 1)
    follows_felt = (1 - f) * a + f * (1 - a) / (k - 1)
    table = expected_target_table(params)
    return {
        "mean_pose_fidelity": f,
        "mean_classifier_accuracy": a,
        "decisive_follows_target": follows_target,
        "decisive_follows_felt": follows_felt,
        "decisive_difference": follows_target - follows_felt,
        "decisive_trials_per_participant": float(_decisive_share(params)),
        "target_kappa": float(scores(table)["kappa"]) if table.sum() else None,
        "target_accuracy": float(np.trace(table)) if table.sum() else None,
    }
