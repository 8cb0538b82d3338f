"""Simulated studies from known parameters: plan sample sizes, and check the engine recovers truth.

Generative model, per participant i (heterogeneity = SD of participant effects on the logit scale):
- felt emotion: drawn from `felt_probabilities` (uniform by default), on every trial; with an
  `induction_method`, each trial first induces an emotion (balanced within each participant) and the
  felt report equals it with probability `induction_success`; a share `none_rate` of reports is "none";
- face on natural trials: the felt emotion with probability c_i (mean near `natural_coherence`),
  otherwise a label drawn uniformly;
- face on posed trials: the target with probability f_i (mean near `pose_fidelity`), otherwise the
  felt emotion leaks through (a uniform label after "none"); targets: felt (express),
  opposite_map[felt] (opposite; none where the map has no opposite), uniform (assigned);
- classifier: the face's label with probability a_i (mean near `classifier_accuracy`), otherwise one
  of the other labels uniformly; no face found with probability `no_face_rate`. `models` = {name:
  accuracy} gives several classifiers and one row per trial and model (a `model` column);
- self-reported valence: 5 + 3 * valence(felt) + N(0, 1), rounded and clipped to 1-9;
- movements (optional): each move_<key> is a resting value per participant plus trial noise, plus
  `movement_amplitude` times a trial intensity along the EMFACS prototype of the face shown;
- study fields: pilot (the first `n_pilot` participants), participant_status (a share
  `incomplete_rate` stop part-way), photo_source (`upload_rate`), n_retakes (Poisson,
  `retake_mean`), face_found, and a 1-7 pose_rating on posed trials, higher when the face followed;
- raters (optional): each labels every photo correctly with `rater_accuracy`, else another label.

New features draw from their own random stream, so a seed gives the same core table as before.

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
from fer_stats.agreement import NONE_CODE, scores
from fer_stats.movement import PROTOTYPES
from fer_stats.schema import FELT_NONE, MOVEMENT_KEYS, movement_columns, probability_columns
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
    none_rate: float = 0.0
    induction_method: str | None = None
    induction_success: float = 0.6
    models: Mapping[str, float] | None = None
    movements: bool = False
    movement_amplitude: float = 0.08
    movement_noise: float = 0.02
    movement_resting_sd: float = 0.04
    n_pilot: int = 0
    incomplete_rate: float = 0.0
    upload_rate: float = 0.0
    retake_mean: float = 0.0

    def __post_init__(self) -> None:
        if self.models is not None and not self.models:
            raise ValueError("models needs at least one {name: accuracy}")

    @property
    def model_accuracies(self) -> dict[str, float]:
        return dict(self.models) if self.models else {"": self.classifier_accuracy}


@dataclass(frozen=True)
class SimulatedStudy:
    trials: pd.DataFrame
    ratings: pd.DataFrame | None
    parameters: StudyParameters
    truth: dict


class _Draws:
    """The core random stream (unchanged order, so old seeds reproduce) and one for newer features."""

    def __init__(self, params: StudyParameters, seed: int, person: np.ndarray) -> None:
        self.params, self.person = params, person
        self.core = np.random.default_rng(seed)
        self.extra = np.random.default_rng([seed, 7])

    def participant_rate(self, mean: float, rng: np.random.Generator | None = None) -> np.ndarray:
        rng = rng or self.core
        effects = logit(np.clip(mean, 1e-9, 1 - 1e-9)) + self.params.heterogeneity * rng.standard_normal(
            self.params.n_participants
        )
        return expit(effects)[self.person]


def simulate_study(*, seed: int = 0, **parameters) -> SimulatedStudy:
    """Tidy trial (and rating) tables drawn from StudyParameters(**parameters), plus the true values.

    >>> s = simulate_study(n_participants=50, pose_fidelity=0.9, heterogeneity=0.0, seed=0)
    >>> round(s.truth["decisive_difference"], 3)
    0.427
    >>> s = simulate_study(n_participants=4, models={"a": 0.7, "b": 0.5}, none_rate=0.1, movements=True)
    >>> len(s.trials), sorted(s.trials["model"].unique()), "move_mouth_opening" in s.trials
    (128, ['a', 'b'], True)
    """
    params = StudyParameters(**parameters)
    labels, k = list(params.labels), len(params.labels)
    plan = [(c, params.trials_per_condition.get(c, 0)) for c in CONDITIONS]
    conditions = np.array([c for c, n in plan for _ in range(n)])
    per_person = len(conditions)
    n = params.n_participants * per_person
    person = np.repeat(np.arange(params.n_participants), per_person)
    draws = _Draws(params, seed, person)
    rng = draws.core
    orders = [rng.permutation(conditions) for _ in range(params.n_participants)]
    condition = np.concatenate(orders) if n else conditions
    accuracies = params.model_accuracies
    coherence, fidelity, accuracy = (
        draws.participant_rate(p)
        for p in (params.natural_coherence, params.pose_fidelity, next(iter(accuracies.values())))
    )
    felt = rng.choice(k, size=n, p=_felt_probabilities(params, induced=False))
    induced = _induce(draws, felt, per_person) if params.induction_method else None
    if induced is not None:
        felt = np.where(draws.extra.random(n) < params.induction_success, induced, felt)
    if params.none_rate:
        felt[draws.extra.random(n) < params.none_rate] = NONE_CODE
    target = _targets(params, condition, felt, rng)

    face = _faces(rng, k, condition=condition, felt=felt, target=target, coherence=coherence, fidelity=fidelity)
    predicted = _noisy_label(face, accuracy, k, rng)
    no_face = rng.random(n) < params.no_face_rate
    predicted[no_face] = -1
    probs = _probabilities(predicted, k, rng)
    valence_of = np.array([LABEL_VALENCE.get(label, 0.0) for label in labels] + [0.0])  # code -2 ("none") -> 0
    valence = np.clip(np.rint(5 + 3 * valence_of[felt] + rng.standard_normal(n)), 1, 9)
    names = np.array(labels + [FELT_NONE, None], dtype=object)  # code -1 picks None, -2 "none"
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
    trials = _study_fields(trials, draws, face=face, target=target, found=~no_face)
    if induced is not None:
        trials["induced"], trials["induction_method"] = names[induced], params.induction_method
    if params.movements:
        trials = trials.join(_movements(draws, face, labels))
    trials = _incomplete(_per_model(trials, draws, face=face, no_face=no_face), draws)
    return SimulatedStudy(trials=trials, ratings=ratings, parameters=params, truth=true_values(params))


def _faces(rng, k: int, *, condition, felt, target, coherence, fidelity) -> np.ndarray:
    """The expression each face shows: the target (posed, with the participant's fidelity) or the felt
    emotion leaking through; on natural trials the felt emotion (coherence) or any label."""
    n = len(felt)
    uniform_label = rng.integers(0, k, size=n)
    natural = condition == "natural"
    felt_face = np.where(felt >= 0, felt, uniform_label)  # after "none", any label
    face = np.where(rng.random(n) < fidelity, target, felt_face)
    face = np.where(target >= 0, face, felt_face)
    face[natural] = np.where(rng.random(natural.sum()) < coherence[natural], felt_face[natural], uniform_label[natural])
    return face


def _targets(params: StudyParameters, condition: np.ndarray, felt: np.ndarray, rng) -> np.ndarray:
    labels, k, n = list(params.labels), len(params.labels), len(felt)
    opposite = np.array(
        [labels.index(o) if (o := params.opposite_map.get(label)) in labels else -1 for label in labels]
    )
    target = np.full(n, -1)
    express, opposite_trials = condition == "express", condition == "opposite"
    target[express] = felt[express]
    target[opposite_trials] = np.where(felt[opposite_trials] >= 0, opposite[np.maximum(felt[opposite_trials], 0)], -1)
    target[target < 0] = -1  # "none" felt: nothing to express or oppose
    assigned = condition == "assigned"
    target[assigned] = rng.integers(0, k, size=assigned.sum())
    return target


def _induce(draws: _Draws, felt: np.ndarray, per_person: int) -> np.ndarray:
    """Induced emotion per trial: every label equally often within a participant, in a random order."""
    k = len(draws.params.labels)
    blocks = -(-per_person // k)
    induced = [
        np.concatenate([draws.extra.permutation(k) for _ in range(blocks)])[:per_person]
        for _ in range(draws.params.n_participants)
    ]
    return np.concatenate(induced) if induced else np.zeros(0, dtype=int)


def _study_fields(trials: pd.DataFrame, draws: _Draws, *, face, target, found) -> pd.DataFrame:
    params, extra, n = draws.params, draws.extra, len(trials)
    posed = target >= 0
    followed = posed & (face == target)
    pose = np.clip(np.rint(3 + 2 * followed + extra.standard_normal(n)), 1, 7)
    return trials.assign(
        pose_rating=np.where(posed, pose, np.nan),
        pilot=draws.person < params.n_pilot,
        participant_status="completed",
        photo_source=np.where(extra.random(n) < params.upload_rate, "upload", "webcam"),
        n_retakes=extra.poisson(params.retake_mean, size=n) if params.retake_mean else 0,
        face_found=found,
    )


def _incomplete(trials: pd.DataFrame, draws: _Draws) -> pd.DataFrame:
    """A share of participants stop part-way: status in_progress, trials after a random point gone."""
    params = draws.params
    if not params.incomplete_rate or trials.empty:
        return trials
    stops = draws.extra.random(params.n_participants) < params.incomplete_rate
    per_person = int(trials["trial_index"].max()) + 1
    cut = np.where(stops, draws.extra.integers(1, max(per_person, 2), size=params.n_participants), per_person)
    person = trials["participant_id"].str[1:].astype(int).to_numpy()
    trials = trials.assign(participant_status=np.where(stops[person], "in_progress", "completed"))
    return trials[trials["trial_index"].to_numpy() < cut[person]].reset_index(drop=True)


def _movements(draws: _Draws, face: np.ndarray, labels: list[str]) -> pd.DataFrame:
    params, extra, n = draws.params, draws.extra, len(face)
    keys = list(MOVEMENT_KEYS)
    direction = np.zeros((len(labels), len(keys)))
    for i, label in enumerate(labels):
        for key, sign in PROTOTYPES.get(label, {}).items():
            direction[i, keys.index(key)] = sign
    resting = 0.3 + params.movement_resting_sd * extra.standard_normal((params.n_participants, len(keys)))
    strength = extra.uniform(0.5, 1.5, size=(n, 1))
    values = (
        resting[draws.person]
        + params.movement_noise * extra.standard_normal((n, len(keys)))
        + params.movement_amplitude * strength * direction[face]
    )
    return pd.DataFrame(values, columns=movement_columns(keys), index=np.arange(n))


def _per_model(trials: pd.DataFrame, draws: _Draws, *, face, no_face) -> pd.DataFrame:
    """One row per trial and model when several models are simulated (the first is the core draw)."""
    params = draws.params
    if not params.models:
        return trials
    k = len(params.labels)
    names = np.array([*params.labels, None], dtype=object)
    frames = []
    for i, (name, mean) in enumerate(params.models.items()):
        frame = trials.copy()
        if i:
            predicted = _noisy_label(face, draws.participant_rate(mean, draws.extra), k, draws.extra)
            predicted[no_face] = -1
            frame["predicted"] = names[predicted]
            probs = _probabilities(predicted, k, draws.extra)
            frame[probability_columns(params.labels)] = probs
        frames.append(frame.assign(model=name))
    return pd.concat(frames, ignore_index=True)


def _felt_probabilities(params: StudyParameters, *, induced: bool = True) -> np.ndarray:
    """Felt distribution over the labels (before "none"); with induction, the mixture the trials produce."""
    k = len(params.labels)
    p = np.full(k, 1 / k) if params.felt_probabilities is None else np.asarray(params.felt_probabilities, float)
    p = p / p.sum()
    if induced and params.induction_method:
        p = params.induction_success / k + (1 - params.induction_success) * p
    return p


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
    a = population_mean(next(iter(params.model_accuracies.values())), params.heterogeneity)
    classify = np.full((k, k), (1 - a) / (k - 1) if k > 1 else 0.0)  # face -> predicted
    np.fill_diagonal(classify, a)
    felt_p = _felt_probabilities(params) * (1 - params.none_rate)
    opposite = {i: labels.index(o) for i, label in enumerate(labels) if (o := params.opposite_map.get(label)) in labels}
    eye, table = np.eye(k), np.zeros((k, k))
    for condition in ("express", "opposite", "assigned"):
        trials = params.trials_per_condition.get(condition, 0)
        for felt in range(k):
            targets = {
                "express": {felt: 1.0},
                "opposite": {opposite[felt]: 1.0} if felt in opposite else {},
                "assigned": {t: 1 / k for t in range(k)},
            }[condition]
            for target, p_target in targets.items():
                # The face follows the target (f) or the felt emotion leaks (1 - f); bilinear in f and a,
                # so independent participant effects enter through their means.
                face = f * eye[target] + (1 - f) * eye[felt]
                table[target] += trials * felt_p[felt] * p_target * (face @ classify)
    if params.none_rate:  # assigned trials after "none": the face follows the target or is any label
        for target in range(k):
            face = f * eye[target] + (1 - f) / k
            table[target] += params.trials_per_condition.get("assigned", 0) * params.none_rate / k * (face @ classify)
    return table / table.sum() if table.sum() else table


def _decisive_share(params: StudyParameters) -> float:
    # Decisive trials per participant in expectation: opposite trials whose felt label has a different
    # opposite, and assigned trials whose uniform target misses the felt label (1 - 1/k); none after "none".
    felt_p = _felt_probabilities(params)
    labels = list(params.labels)
    opposite_differs = sum(
        p
        for label, p in zip(labels, felt_p, strict=True)
        if params.opposite_map.get(label, label) in set(labels) - {label}
    )
    plan = params.trials_per_condition
    per_felt = plan.get("opposite", 0) * opposite_differs + plan.get("assigned", 0) * (1 - 1 / len(labels))
    return (1 - params.none_rate) * per_felt


def true_values(params: StudyParameters) -> dict:
    """The population values the engine should recover from a study simulated with `params`.

    >>> round(true_values(StudyParameters(heterogeneity=0.0))["decisive_difference"], 4)
    0.32
    """
    k = len(params.labels)
    f = population_mean(params.pose_fidelity, params.heterogeneity)
    a = population_mean(next(iter(params.model_accuracies.values())), params.heterogeneity)
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
