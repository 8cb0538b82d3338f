"""The chain feeling -> face -> label, tested link by link with movement measures (see fer_stats.movement).

- Did the face follow the instruction? Per posed target, how often its EMFACS prototype shows (score
  above the threshold) and how strongly (mean score, and the mean change of each prototype movement),
  against the same score on trials that asked for another expression; the movement-defined expression
  against the target (an objective pose fidelity, beside the self-rated pose check and their
  within-person correlation).
- Did the label follow the face? The model's label against the movement-defined expression, same photos.
- Did the face follow the feeling? On natural and express trials, how often the felt emotion's prototype
  shows, beside the meta-analytic co-occurrence of .13 / .23 (Duran & Fernandez-Dols, 2021); by the
  induced emotion as well when induction was used.
All intervals are participant-clustered and come from the same resamples as the rest of the results.

>>> from fer_stats import analyze, simulate_study
>>> chain = analyze(simulate_study(n_participants=30, movements=True, seed=1).trials, n_boot=0)["chain"]
>>> chain["face_follows_instruction"]["by_target"]["happy"]["prototype_shown"]["estimate"] > 0.5
True
"""

from __future__ import annotations

import numpy as np

from fer_conditions import CONDITIONS, POSED_CONDITIONS
from fer_stats import valence
from fer_stats.bootstrap import ClusterSums, Totals, estimate
from fer_stats.cooccurrence import META_ANALYTIC
from fer_stats.movement import (
    MOVEMENT_THRESHOLD,
    NO_PROTOTYPE,
    PROTOTYPE_SOURCE,
    PROTOTYPES,
    change_scales,
    movement_changes,
    movement_expression,
    movement_keys,
    prototype_scores,
)
from fer_stats.sections import AgreementSection, CodedTrials, RatioSums

FEELING_CONDITIONS = ("natural", "express")
NO_TARGET = "(no target)"


class ChainSection:
    """Registers the chain's sums from move_<key> columns; `describe` gives results["chain"].

    >>> from fer_stats import analyze, simulate_study
    >>> chain = analyze(simulate_study(n_participants=10, movements=True, seed=0).trials, n_boot=0)["chain"]
    >>> chain["keys"][:2], chain["n_without_baseline"]
    (['lip_corner_raise', 'mouth_width'], 0)
    """

    def __init__(self, data: CodedTrials, sums: ClusterSums, *, threshold: float = MOVEMENT_THRESHOLD) -> None:
        trials, labels = data.trials, data.labels
        self.data, self.threshold, self.keys = data, threshold, movement_keys(trials)
        changes = movement_changes(trials, self.keys)
        raw = changes[[f"change_{key}" for key in self.keys]].to_numpy()
        self.scales = change_scales(raw)
        self.raw = raw
        self.scores = prototype_scores(raw / self.scales, self.keys, labels)
        self.n_without_baseline = int(np.isnan(raw).all(axis=1).sum())
        data.codes["movement"] = movement_expression(self.scores, labels, threshold=threshold)
        self.scored = [label for i, label in enumerate(labels) if not np.isnan(self.scores[:, i]).all()]
        self.ratios = RatioSums(data, sums)
        self.pairs = AgreementSection(data, sums, [("movement", "target"), ("predicted", "movement")])
        self._instruction()
        self._cells()
        self._feeling("felt")
        if "induced" in data.codes:
            self._feeling("induced")
        posed = np.isin(trials["condition"].to_numpy(), POSED_CONDITIONS)
        target_score = self._score_of(data.codes["target"])
        pose = trials["pose_rating"].to_numpy(dtype=float)
        usable = posed & np.isfinite(pose) & np.isfinite(target_score)
        self.pose_inputs = (pose[usable], target_score[usable], data.cluster[usable])
        self.pose_slot = sums.add(valence.rm_corr_sums(*self.pose_inputs, data.n_clusters))

    def _score_of(self, codes: np.ndarray) -> np.ndarray:
        """Each trial's score on the prototype of the label in `codes` (NaN where there is none)."""
        score = np.full(len(codes), np.nan)
        has = codes >= 0
        score[has] = self.scores[np.flatnonzero(has), codes[has]]
        return score

    def _instruction(self) -> None:
        data, ratios = self.data, self.ratios
        target = data.codes["target"]
        pose = data.trials["pose_rating"].to_numpy(dtype=float)
        for label in self.scored:
            i = data.labels.index(label)
            asked, other = target == i, (target >= 0) & (target != i)
            score = self.scores[:, i]
            ratios.mean(f"{label}:shown", _shown(score, self.threshold), asked)
            ratios.mean(f"{label}:score", score, asked)
            ratios.mean(f"{label}:score_when_other_asked", score, other)
            ratios.difference(f"{label}:specificity", f"{label}:score", f"{label}:score_when_other_asked")
            ratios.mean(f"{label}:pose_rating", pose, asked)
            for key in PROTOTYPES[label]:
                if key in self.keys:
                    ratios.mean(f"{label}:change:{key}", self.raw[:, self.keys.index(key)], asked)

    def _cells(self) -> None:
        """Mean change of every measure by condition and target, for a plot of what faces did."""
        data = self.data
        condition, target = data.trials["condition"].to_numpy(), data.codes["target"]
        self.cells = []
        for scope in CONDITIONS:
            for code in sorted(set(target[condition == scope].tolist())):
                name = NO_TARGET if code < 0 else data.labels[code]
                where = (condition == scope) & (target == code)
                for column, key in enumerate(self.keys):
                    self.ratios.mean(f"cell:{scope}:{name}:{key}", self.raw[:, column], where)
                self.cells.append((scope, name))

    def _feeling(self, source: str) -> None:
        data = self.data
        condition = data.trials["condition"].to_numpy()
        for label in self.scored:
            i = data.labels.index(label)
            score = self.scores[:, i]
            for scope in (*FEELING_CONDITIONS, "natural_and_express"):
                where = (data.codes[source] == i) & (
                    np.isin(condition, FEELING_CONDITIONS) if scope == "natural_and_express" else condition == scope
                )
                self.ratios.mean(f"{source}:{scope}:{label}:shown", _shown(score, self.threshold), where)
                self.ratios.mean(f"{source}:{scope}:{label}:score", score, where)

    def describe(self, totals: Totals, *, tag: dict, level: float, seed: int = 0) -> dict:
        ratios = self.ratios.describe(totals, level=level)
        pairs = self.pairs.describe(totals, tag=tag, level=level)
        labels = self.data.labels
        out = {
            "keys": self.keys,
            "prototypes": {label: dict(PROTOTYPES[label]) for label in labels if label in PROTOTYPES},
            "no_prototype": {
                label: NO_PROTOTYPE.get(label, "no prototype known") for label in labels if label not in self.scored
            },
            "source": PROTOTYPE_SOURCE,
            "threshold_robust_sd": self.threshold,
            "scales": dict(zip(self.keys, [None if np.isnan(s) else float(s) for s in self.scales], strict=True)),
            "n_without_baseline": self.n_without_baseline,
            "face_follows_instruction": {
                "by_target": {label: self._target(ratios, label) | tag for label in self.scored},
                "objective_pose_fidelity": pairs["movement_vs_target"],
                "pose_check_vs_movement": self._pose_check(totals, level) | tag,
            },
            "label_follows_face": pairs["predicted_vs_movement"],
            "change_by_condition_and_target": self._cell_means(ratios),
            "face_follows_feeling": {"felt": self._felt(ratios, "felt", tag), "meta_analytic": META_ANALYTIC},
        }
        if "induced" in self.data.codes:
            out["face_follows_feeling"]["induced"] = self._felt(ratios, "induced", tag)
        return out

    def _cell_means(self, ratios: dict) -> dict:
        out: dict = {}
        for scope, name in self.cells:
            out.setdefault(scope, {})[name] = {
                key: {
                    field: value
                    for field, value in ratios[f"cell:{scope}:{name}:{key}"].items()
                    if field in ("n", "estimate", "ci", "reason", "ci_reason")
                }
                for key in self.keys
            }
        return out

    def _target(self, ratios: dict, label: str) -> dict:
        prefix = f"{label}:"
        return {
            "n": ratios[prefix + "score"]["n"],
            "n_participants": ratios[prefix + "score"]["n_participants"],
            "prototype_shown": (ratios[prefix + "shown"]),
            "prototype_score": (ratios[prefix + "score"]),
            "score_when_other_asked": (ratios[prefix + "score_when_other_asked"]),
            "specificity": (ratios[prefix + "specificity"]),
            "pose_rating": (ratios[prefix + "pose_rating"]),
            "change": {key: (ratios[f"{prefix}change:{key}"]) for key in PROTOTYPES[label] if key in self.keys},
        }

    def _felt(self, ratios: dict, source: str, tag: dict) -> dict:
        return {
            scope: {
                label: {
                    "n": ratios[f"{source}:{scope}:{label}:shown"]["n"],
                    "n_participants": ratios[f"{source}:{scope}:{label}:shown"]["n_participants"],
                    "prototype_shown": (ratios[f"{source}:{scope}:{label}:shown"]),
                    "prototype_score": (ratios[f"{source}:{scope}:{label}:score"]),
                }
                | tag
                for label in self.scored
            }
            for scope in (*FEELING_CONDITIONS, "natural_and_express")
        }

    def _pose_check(self, totals: Totals, level: float) -> dict:
        x, _, _ = self.pose_inputs
        point, boot, jack = (
            totals.point(self.pose_slot),
            totals.boot(self.pose_slot),
            totals.jackknife(self.pose_slot),
        )
        people = int(point[4])
        result = estimate(
            float(valence.rm_corr_from_totals(point)),
            None if boot is None else valence.rm_corr_from_totals(boot),
            n_clusters=people,
            undefined="no posed trials with both a pose check and movement measures, or no within-person variation",
            level=level,
            jackknife=None if jack is None else valence.rm_corr_from_totals(jack),
        )
        return {
            "n": int(len(x)),
            "n_participants": people,
            "repeated_measures_r": result,
            "between": "self-rated pose check (1-7) and the target's prototype score",
        }


def _shown(score: np.ndarray, threshold: float) -> np.ndarray:
    """1 where the prototype shows, 0 where it does not, NaN without a baseline."""
    return np.where(np.isnan(score), np.nan, (score > threshold).astype(float))
