"""The sections of a results document. Each registers its per-participant sums when it is made and
describes itself from the resampled totals afterwards, so every section's intervals come from the
same participant resamples (one matrix product for all of them).

>>> from fer_stats.analysis import code_trials
>>> from fer_stats.bootstrap import ClusterSums
>>> from fer_stats.simulate import simulate_study
>>> data = code_trials(simulate_study(n_participants=5, seed=0).trials)
>>> sums = ClusterSums(data.n_clusters)
>>> section = DecisiveSection(data, sums)
>>> out = section.describe(sums.totals(n_boot=0, seed=0), tag={}, level=0.95, seed=0)
>>> out["all"]["n"] == out["opposite"]["n"] + out["assigned"]["n"]
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fer_conditions import CONDITIONS
from fer_stats import agreement, cooccurrence, decisive, observers, valence
from fer_stats.agreement import NONE_CODE
from fer_stats.bootstrap import ClusterSums, Totals, count_table, estimate
from fer_stats.schema import probability_columns

SCOPES = ("all", *CONDITIONS)
# Re-ranking each resample for Spearman costs trials x resamples; above this, linearise instead.
EXACT_SPEARMAN_LIMIT = 10_000_000


@dataclass(frozen=True)
class CodedTrials:
    """A validated trial table as integer codes: label position, -1 missing; participants 0..n-1."""

    trials: pd.DataFrame
    labels: tuple[str, ...]
    cluster: np.ndarray
    n_clusters: int
    codes: dict[str, np.ndarray]
    in_scope: dict[str, np.ndarray]

    @property
    def k(self) -> int:
        return len(self.labels)

    def cells(self, reference: str, predicted: str, where: np.ndarray) -> np.ndarray:
        """Confusion-table cell of each trial (reference * k + predicted); -1 where either is missing."""
        ref, pred = self.codes[reference], self.codes[predicted]
        return np.where(where & (ref >= 0) & (pred >= 0), ref * self.k + pred, -1)

    def felt_none(self, scope: str, where: np.ndarray | None = None) -> int:
        """Trials in scope whose felt report is "none" (left out of every comparison with felt)."""
        none = self.in_scope[scope] & (self.codes["felt"] == NONE_CODE)
        return int((none if where is None else none & where).sum())

    def table_sums(self, reference: str, predicted: str, where: np.ndarray) -> np.ndarray:
        """Per-participant confusion tables, (participants x k*k)."""
        return count_table(self.cluster, self.n_clusters, self.cells(reference, predicted, where), self.k * self.k)


def scoped(slots: Mapping[str, slice], scope: str) -> list[slice]:
    """The slots of one condition, or of all of them (the overall total is the sum of the conditions).

    >>> scoped({"natural": slice(0, 2), "express": slice(2, 4)}, "all")
    [slice(0, 2, None), slice(2, 4, None)]
    """
    return list(slots.values()) if scope == "all" else [slots[scope]]


class Absent:
    """A section that does not apply to this study: its results are the reason.

    >>> Absent("no ratings given").describe(None, tag={}, level=0.95)
    {'reason': 'no ratings given'}
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def describe(self, totals: Totals, *, tag: dict, level: float, seed: int = 0) -> dict:
        return {"reason": self.reason}


class AgreementSection:
    """Agreement of each (predicted, reference) pair, per condition and overall."""

    def __init__(self, data: CodedTrials, sums: ClusterSums, pairs: Sequence[tuple[str, str]]) -> None:
        self.data, self.pairs = data, list(pairs)
        self.slots = {
            pair: {c: sums.add(data.table_sums(pair[1], pair[0], data.in_scope[c])) for c in CONDITIONS}
            for pair in self.pairs
        }

    def describe(self, totals: Totals, *, tag: dict, level: float, seed: int = 0) -> dict:
        return {f"{pred}_vs_{ref}": self._pair(totals, pred, ref, tag, level) for pred, ref in self.pairs}

    def _pair(self, totals: Totals, pred: str, ref: str, tag: dict, level: float) -> dict:
        data, k = self.data, self.data.k
        by_scope = {}
        for scope in SCOPES:
            slots = scoped(self.slots[pred, ref], scope)
            boot, jack = totals.boot(slots), totals.jackknife(slots)
            missing = data.in_scope[scope] & (data.codes[ref] >= 0) & (data.codes[pred] < 0)
            result = agreement.describe(
                totals.point(slots).reshape(k, k),
                None if boot is None else boot.reshape(-1, k, k),
                labels=data.labels,
                n_clusters=totals.participants(slots),
                n_missing=int(missing.sum()),
                level=level,
                jackknife_tables=None if jack is None else jack.reshape(-1, k, k),
            )
            if "felt" in (pred, ref):
                result["n_felt_none"] = self.data.felt_none(scope)
            by_scope[scope] = result | tag
        return by_scope


class DecisiveSection:
    """The decisive comparison per condition and overall (see fer_stats.decisive); `predicted` and
    `felt` name the codes to compare (another model's labels, or the induced emotion for a sensitivity run)."""

    def __init__(self, data: CodedTrials, sums: ClusterSums, *, predicted: str = "predicted", felt: str = "felt"):
        self.data, self.predicted, self.felt = data, predicted, felt
        codes = data.codes
        self.slots = {
            c: sums.add(
                decisive.decisive_sums(
                    target=np.where(data.in_scope[c], codes["target"], -1),
                    felt=codes[felt],
                    predicted=codes[predicted],
                    cluster=data.cluster,
                    n_clusters=data.n_clusters,
                )
            )
            for c in CONDITIONS
        }

    def per_participant(self, totals: Totals) -> np.ndarray:
        """(participants x 3) decisive sums over every condition, for planning from this study."""
        return totals.per_participant(scoped(self.slots, "all"))

    def totals(self, totals: Totals, kind: str) -> np.ndarray | None:
        """Decisive sums over every condition: on the data ("point"), per resample ("boot") or leaving
        each participant out ("jackknife")."""
        slots = scoped(self.slots, "all")
        return {"point": totals.point, "boot": totals.boot, "jackknife": totals.jackknife}[kind](slots)

    def describe(self, totals: Totals, *, tag: dict, level: float, seed: int) -> dict:
        codes, out = self.data.codes, {}
        n_boot = tag.get("n_boot", 0)
        for scope in SCOPES:
            slots = scoped(self.slots, scope)
            decisive_trials = self.data.in_scope[scope] & decisive.decisive_mask(codes["target"], codes[self.felt])
            posed_none = self.data.felt_none(scope, codes["target"] >= 0) if self.felt == "felt" else 0
            out[scope] = (
                {"n_felt_none": posed_none}
                | decisive.describe(
                    totals.per_participant(slots),
                    totals.boot(slots),
                    n_missing=int((decisive_trials & (codes[self.predicted] < 0)).sum()),
                    n_permutations=max(n_boot, 1000),
                    seed=seed,
                    level=level,
                    jackknife_totals=totals.jackknife(slots),
                )
                | tag
            )
        return out


class CooccurrenceSection:
    """Felt emotion against the model's label on natural and express trials."""

    def __init__(self, data: CodedTrials, sums: ClusterSums) -> None:
        self.data = data
        natural_or_express = data.trials["condition"].isin(cooccurrence.CONDITIONS).to_numpy()
        self.n_felt_none = data.felt_none("all", natural_or_express)
        self.slot = sums.add(data.table_sums("felt", "predicted", natural_or_express))

    def describe(self, totals: Totals, *, tag: dict, level: float, seed: int = 0) -> dict:
        k, boot, jack = self.data.k, totals.boot(self.slot), totals.jackknife(self.slot)
        out = cooccurrence.describe(
            totals.point(self.slot).reshape(k, k),
            None if boot is None else boot.reshape(-1, k, k),
            labels=self.data.labels,
            n_clusters=totals.participants(self.slot),
            level=level,
            jackknife_tables=None if jack is None else jack.reshape(-1, k, k),
        )
        return out | {"n_felt_none": self.n_felt_none} | tag


class ValenceSection:
    """Model valence index against self-reported valence, per condition and overall."""

    def __init__(
        self,
        data: CodedTrials,
        sums: ClusterSums,
        *,
        valence_of: Mapping[str, float],
        n_boot: int,
        spearman_resampling: str,
    ) -> None:
        self.data, self.valence_of = data, valence_of
        self.without_valence = [label for label in data.labels if label not in valence_of]
        self.inputs = _valence_inputs(data, valence_of, usable=not self.without_valence)
        exact = spearman_resampling == "exact" or (
            spearman_resampling == "auto" and len(self.inputs["all"][0]) * n_boot <= EXACT_SPEARMAN_LIMIT
        )
        self.rm_slots, self.spearman, self.linear_slots = {}, {}, {}
        for scope, (x, y, c) in self.inputs.items():
            self.rm_slots[scope] = sums.add(valence.rm_corr_sums(x, y, c, data.n_clusters))
            if n_boot and len(x) >= 2 and exact:
                self.spearman[scope] = valence.SpearmanResampler(x, y, c, data.n_clusters)
                sums.add_consumer(self.spearman[scope])
            elif n_boot and len(x) >= 2:
                self.linear_slots[scope] = sums.add(valence.spearman_linear_sums(x, y, c, data.n_clusters))

    def describe(self, totals: Totals, *, tag: dict, level: float, seed: int = 0) -> dict:
        if self.without_valence:
            return self._needs_a_valence_map(tag)
        out = {}
        for scope, (x, y, c) in self.inputs.items():
            linear = self.linear_slots.get(scope)
            out[scope] = (
                valence.describe(
                    x=x,
                    y=y,
                    cluster=c,
                    n_clusters=self.data.n_clusters,
                    rm_point=totals.point(self.rm_slots[scope]),
                    rm_boot=totals.boot(self.rm_slots[scope]),
                    spearman_boot=self.spearman[scope].values() if scope in self.spearman else None,
                    level=level,
                    spearman_linear_totals=None if linear is None else totals.boot(linear),
                    rm_jackknife=totals.jackknife(self.rm_slots[scope]),
                    bca=totals.with_jackknife,
                )
                | tag
            )
        out["label_valence"] = {label: self.valence_of[label] for label in self.data.labels}
        return out

    def _needs_a_valence_map(self, tag: dict) -> dict:
        reason = valence.missing_valence_message(self.without_valence)
        undefined = {"estimate": None, "reason": reason}
        out = {
            scope: {"n": 0, "n_participants": 0, "spearman_pooled": undefined, "repeated_measures_r": undefined} | tag
            for scope in self.inputs
        }
        out["label_valence"] = {label: self.valence_of.get(label) for label in self.data.labels}
        out["valence_map_needed"] = {"labels": self.without_valence, "reason": reason}
        return out


def _valence_inputs(data: CodedTrials, valence_of: Mapping[str, float], *, usable: bool) -> dict:
    trials, labels = data.trials, data.labels
    prob_columns = probability_columns(labels)
    if usable and all(c in trials for c in prob_columns):
        probabilities = trials[prob_columns].to_numpy(dtype=float)
        index = valence.model_valence_index(probabilities, labels, valence_of=valence_of)
    else:
        index = np.full(len(trials), np.nan)
    reported = trials["valence"].to_numpy(dtype=float)
    usable = np.isfinite(index) & np.isfinite(reported)
    return {
        scope: (index[usable & mask], reported[usable & mask], data.cluster[usable & mask])
        for scope, mask in data.in_scope.items()
    }


class ObserversSection:
    """Human observers: reliability among raters, and their majority against the model on the same photos."""

    def __init__(self, data: CodedTrials, sums: ClusterSums, ratings: dict) -> None:
        self.data, self.ratings = data, ratings
        cluster, n = data.cluster, data.n_clusters
        self.fleiss = sums.add(observers.fleiss_sums(ratings["counts"], cluster, n))
        self.alpha = sums.add(observers.krippendorff_sums(ratings["counts"], cluster, n))
        self.paired = {
            ref: sums.add(
                observers.paired_sums(
                    reference=data.codes[ref],
                    observers=data.codes["observers"],
                    model=data.codes["predicted"],
                    cluster=cluster,
                    n_clusters=n,
                )
            )
            for ref in ("target", "felt")
        }

    def describe(self, totals: Totals, *, tag: dict, level: float, seed: int = 0) -> dict:
        reliability = observers.describe_reliability(
            fleiss_point=totals.point(self.fleiss),
            fleiss_boot=totals.boot(self.fleiss),
            alpha_point=totals.point(self.alpha),
            alpha_boot=totals.boot(self.alpha),
            n_clusters=totals.participants(self.alpha, columns=slice(1, None)),
            n_ratings=self.ratings["n_ratings"],
            n_raters=self.ratings["n_raters"],
            level=level,
            fleiss_jackknife=totals.jackknife(self.fleiss),
            alpha_jackknife=totals.jackknife(self.alpha),
        )
        return {
            "reliability": reliability | tag,
            "n_ratings_without_trial": self.ratings["unmatched"],
            "photos_without_majority": int((self.data.codes["observers"] < 0).sum()),
            "observers_vs_model": {
                ref: observers.describe_paired(
                    totals.per_participant(slot), totals.boot(slot), reference=ref, level=level
                )
                | tag
                for ref, slot in self.paired.items()
            },
        }


class RatioSums:
    """Named means (sum of values / number of trials) over chosen trials, clustered by participant.

    >>> from fer_stats.analysis import code_trials
    >>> from fer_stats.simulate import simulate_study
    >>> data = code_trials(simulate_study(n_participants=4, seed=0).trials)
    >>> sums = ClusterSums(data.n_clusters)
    >>> ratios = RatioSums(data, sums)
    >>> ratios.mean("valence", data.trials["valence"].to_numpy(), data.in_scope["all"])
    >>> out = ratios.describe(sums.totals(n_boot=0, seed=0), level=0.95)["valence"]
    >>> out["n"], bool(abs(out["estimate"] - data.trials["valence"].mean()) < 1e-12)
    (64, True)
    """

    def __init__(self, data: CodedTrials, sums: ClusterSums) -> None:
        self.data, self.sums, self.slots, self.differences = data, sums, {}, {}

    def mean(self, name: str, values: np.ndarray, where: np.ndarray, *, undefined: str = "no trials") -> None:
        values = np.asarray(values, dtype=np.float64)
        usable = where & np.isfinite(values)
        columns = np.column_stack([usable, np.where(usable, values, 0.0)]).astype(np.float64)
        block = np.column_stack(
            [np.bincount(self.data.cluster, weights=c, minlength=self.data.n_clusters) for c in columns.T]
        )
        self.slots[name] = (self.sums.add(block), undefined)

    def difference(self, name: str, first: str, second: str) -> None:
        """first - second, both registered means (on the same resamples)."""
        self.differences[name] = (first, second)

    @staticmethod
    def _ratio(totals: np.ndarray | None) -> np.ndarray | None:
        if totals is None:
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            return totals[..., 1] / totals[..., 0]

    def _values(self, totals: Totals, name: str):
        slot = self.slots[name][0]
        return tuple(self._ratio(x) for x in (totals.point(slot), totals.boot(slot), totals.jackknife(slot)))

    def describe(self, totals: Totals, *, level: float) -> dict:
        out = {}
        for name, (slot, undefined) in self.slots.items():
            point, boot, jack = self._values(totals, name)
            n_people = totals.participants(slot, columns=slice(0, 1))
            out[name] = {"n": int(totals.point(slot)[0]), "n_participants": n_people} | estimate(
                point, boot, n_clusters=n_people, undefined=undefined, level=level, jackknife=jack
            )
        for name, (first, second) in self.differences.items():
            a, b = self._values(totals, first), self._values(totals, second)
            n_people = max(out[first]["n_participants"], out[second]["n_participants"])
            diff = [None if x is None else x - y for x, y in zip(a, b, strict=True)]
            out[name] = {"n_participants": n_people} | estimate(
                diff[0],
                diff[1],
                n_clusters=n_people,
                undefined=f"{first} or {second} undefined",
                level=level,
                jackknife=diff[2],
            )
        return out
