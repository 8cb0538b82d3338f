"""Sections that compare readings of the same photos: several models side by side, and the felt report
against the induced emotion (the manipulation check, and the decisive analysis re-run on induced).

A trial table with a `model` column holds one row per trial and model. The first model in the table
(or the one named) is the primary: the rest of the results are about it. Every model's labels are
aligned to the same trials, so model-vs-model agreement is on the same photos and every model's
intervals come from the same participant resamples.

>>> from fer_stats import analyze, simulate_study
>>> study = simulate_study(n_participants=20, models={"a": 0.7, "b": 0.4}, seed=1)
>>> models = analyze(study.trials, n_boot=0)["models"]
>>> models["names"], sorted(models["model_vs_model"])
(['a', 'b'], ['b_vs_a'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fer_stats import agreement, observers
from fer_stats.agreement import label_codes
from fer_stats.bootstrap import ClusterSums, Totals, estimate
from fer_stats.decisive import proportions
from fer_stats.schema import TrialTableError, probability_columns
from fer_stats.sections import AgreementSection, CodedTrials, DecisiveSection

TRIAL_KEY = ["participant_id", "trial_index"]
MODEL_PREFIX = "model:"


def split_models(trials: pd.DataFrame, labels: tuple[str, ...], model: str | None) -> tuple[pd.DataFrame, dict]:
    """One row per trial with the primary model's reading, and every model's top labels aligned to those rows.

    >>> rows = pd.DataFrame({"participant_id": ["p", "p"], "trial_index": [0, 0], "predicted": ["a", "b"],
    ...     "model": ["m1", "m2"]})
    >>> base, models = split_models(rows, ("a", "b"), None)
    >>> len(base), {name: list(values) for name, values in models.items()}
    (1, {'m1': ['a'], 'm2': ['b']})
    """
    if "model" not in trials:
        if model is not None:
            raise TrialTableError(f"model {model!r} was asked for, but the trial table has no 'model' column")
        return trials, {}
    names = list(dict.fromkeys(trials["model"]))
    if model is not None and model not in names:
        raise TrialTableError(f"model {model!r} is not in the trial table (models: {', '.join(names)})")
    primary = model if model is not None else names[0]
    base = trials.drop_duplicates(TRIAL_KEY).reset_index(drop=True)
    keys = pd.MultiIndex.from_frame(base[TRIAL_KEY])
    readings = ["predicted", *(c for c in probability_columns(labels) if c in trials)]
    aligned = {}
    for name in [primary, *(n for n in names if n != primary)]:
        rows = trials[trials["model"] == name].set_index(TRIAL_KEY)
        aligned[name] = rows.reindex(keys)[readings]
    base[readings] = aligned[primary].to_numpy()
    base["model"] = primary
    return base, {name: frame["predicted"].to_numpy(dtype=object) for name, frame in aligned.items()}


class ModelsSection:
    """Each model's decisive comparison and agreement, model against model, and observers against each model.

    >>> from fer_stats import analyze, simulate_study
    >>> study = simulate_study(n_participants=5, models={"a": 0.9, "b": 0.9}, seed=0)
    >>> models = analyze(study.trials, n_boot=0)["models"]
    >>> sorted(models["decisive"]), models["model_vs_model"]["b_vs_a"]["all"]["kappa"]["estimate"] > 0.5
    (['a', 'b'], True)
    """

    def __init__(self, data: CodedTrials, sums: ClusterSums, predictions: dict, *, with_observers: bool) -> None:
        self.data, self.names = data, list(predictions)
        for name, predicted in predictions.items():
            data.codes[MODEL_PREFIX + name] = label_codes(predicted, data.labels)
        code_of = {name: MODEL_PREFIX + name for name in self.names}
        codes = list(code_of.values())
        self.decisive = {name: DecisiveSection(data, sums, predicted=code) for name, code in code_of.items()}
        self.agreement = AgreementSection(data, sums, [(code, ref) for code in codes for ref in ("target", "felt")])
        self.between = AgreementSection(data, sums, [(b, a) for i, a in enumerate(codes) for b in codes[i + 1 :]])
        self.paired = {}
        if with_observers:
            for name, code in code_of.items():
                for ref in ("target", "felt"):
                    self.paired[name, ref] = sums.add(
                        observers.paired_sums(
                            reference=data.codes[ref],
                            observers=data.codes["observers"],
                            model=data.codes[code],
                            cluster=data.cluster,
                            n_clusters=data.n_clusters,
                        )
                    )

    def describe(self, totals: Totals, *, tag: dict, level: float, seed: int) -> dict:
        agreement = _renamed(self.agreement.describe(totals, tag=tag, level=level))
        out = {
            "names": self.names,
            "primary": self.names[0],
            "decisive": {
                name: s.describe(totals, tag=tag, level=level, seed=seed) for name, s in self.decisive.items()
            },
            "agreement": {
                name: {ref: agreement[f"{name}_vs_{ref}"] for ref in ("target", "felt")} for name in self.names
            },
            "model_vs_model": _renamed(self.between.describe(totals, tag=tag, level=level)),
            "decisive_difference_between_models": self._between_differences(totals, tag=tag, level=level),
        }
        if self.paired:
            out["observers_vs_model"] = {
                name: {
                    ref: observers.describe_paired(
                        totals.per_participant(self.paired[name, ref]),
                        totals.boot(self.paired[name, ref]),
                        reference=ref,
                        level=level,
                        jackknife_totals=totals.jackknife(self.paired[name, ref]),
                    )
                    | tag
                    for ref in ("target", "felt")
                }
                for name in self.names
            }
        return out

    def _between_differences(self, totals: Totals, *, tag: dict, level: float) -> dict:
        """Each later model's decisive difference minus the primary's, on the same resamples (paired)."""
        primary, out = self.names[0], {}
        first = self.decisive[primary]
        for name in self.names[1:]:
            other = self.decisive[name]
            values = [
                None if a is None else proportions(b)["difference"] - proportions(a)["difference"]
                for a, b in (
                    (first.totals(totals, kind), other.totals(totals, kind)) for kind in ("point", "boot", "jackknife")
                )
            ]
            people = int((first.per_participant(totals)[:, 0] + other.per_participant(totals)[:, 0] > 0).sum())
            out[f"{name}_minus_{primary}"] = (
                {"n_participants": people}
                | estimate(
                    values[0],
                    values[1],
                    n_clusters=people,
                    undefined="a model has no decisive trials with a label",
                    level=level,
                    jackknife=values[2],
                )
                | tag
            )
        return out


def _renamed(pairs: dict) -> dict:
    return {key.replace(MODEL_PREFIX, ""): value for key, value in pairs.items()}


class InductionSection:
    """Manipulation check (felt against induced: agreement, kappa, confusion, per method) and the decisive
    comparison with the induced emotion in place of the felt one, as a sensitivity analysis.

    >>> from fer_stats import analyze, simulate_study
    >>> study = simulate_study(n_participants=10, induction_method="recall", induction_success=1.0, seed=0)
    >>> analyze(study.trials, n_boot=0)["induction"]["felt_vs_induced"]["recall"]["accuracy"]["estimate"]
    1.0
    """

    def __init__(self, data: CodedTrials, sums: ClusterSums) -> None:
        self.data = data
        trials = data.trials
        data.codes["induced"] = label_codes(trials["induced"].to_numpy(dtype=object), data.labels)
        method = trials["induction_method"] if "induction_method" in trials else pd.Series([None] * len(trials))
        self.methods = sorted({m for m in method.dropna() if m != "none"})
        self.by_method = {m: method.eq(m).to_numpy() for m in self.methods}
        self.check = {
            m: sums.add(data.table_sums("induced", "felt", where))
            for m, where in {"all": self._induced(), **self.by_method}.items()
        }
        self.decisive = DecisiveSection(data, sums, felt="induced")

    def _induced(self) -> np.ndarray:
        return self.data.codes["induced"] >= 0

    def describe(self, totals: Totals, *, tag: dict, level: float, seed: int) -> dict:
        k, out = self.data.k, {}
        for method, slot in self.check.items():
            boot, jack = totals.boot(slot), totals.jackknife(slot)
            where = self._induced() if method == "all" else self.by_method[method]
            result = agreement.describe(
                totals.point(slot).reshape(k, k),
                None if boot is None else boot.reshape(-1, k, k),
                labels=self.data.labels,
                n_clusters=totals.participants(slot),
                n_missing=int((where & (self.data.codes["felt"] == -1)).sum()),
                level=level,
                jackknife_tables=None if jack is None else jack.reshape(-1, k, k),
            )
            result["n_felt_none"] = self.data.felt_none("all", where)
            out[method] = result | tag
        return {
            "methods": self.methods,
            "felt_vs_induced": out,
            "decisive_on_induced": self.decisive.describe(totals, tag=tag, level=level, seed=seed),
            "note": "felt is the reference of the main analysis; decisive_on_induced replaces it with the induced "
            "emotion, as a sensitivity analysis",
        }
