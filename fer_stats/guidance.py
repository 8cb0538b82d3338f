"""How to read a results document: which interval to trust, which numbers rest on too few people,
whether the decisive interval is narrow enough, and one paragraph in plain words about it.

Every estimate with intervals gets `recommended_interval` (a key of its `intervals`) and a
`recommendation` saying why; with interval="bca" its headline `ci` is the BCa one. Trial-level
analytic intervals ignore that trials are nested in people (benchmarks/stats_coverage.py: about 80-88%
coverage at 95%), so a clustered interval is preferred whenever there are people enough to resample;
BCa where the bootstrap distribution is skewed (few people, or an estimate near its bound). With 12
participants the clustered intervals still cover a little less than they say (300 simulated studies:
decisive difference 91.7% percentile, 92.7% BCa), hence the advice to read them as a lower bound.

>>> est = {"estimate": 0.97, "ci": [0.9, 1.0], "intervals": {"percentile": {"ci": [0.9, 1.0]},
...     "bca": {"ci": [0.88, 0.99]}}}
>>> recommend(est, n_participants=40, headline="percentile")["recommended_interval"]
'bca'
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from fer_stats.bootstrap import CLUSTERED_PERCENTILE
from fer_stats.intervals import BCA
from fer_stats.planning import participants_for_width

FEW_PARTICIPANTS = 20  # below this, cluster-bootstrap intervals are known to run narrow
NEAR_BOUND = 0.1
ANALYTIC_PREFERENCE = ("clopper_pearson", "wilson", "fce_1969", "gwet_2008")
INTERVAL_METHODS = {"percentile": CLUSTERED_PERCENTILE, "bca": BCA}


def _near_bound(estimate: float, interval: list[float] | None) -> bool:
    """Near -1 or 1 (kappas, correlations, differences, proportions), or a proportion piled up at 0."""
    if abs(estimate) > 1 - NEAR_BOUND:
        return True
    return 0 <= estimate < NEAR_BOUND and interval is not None and interval[0] == 0.0


def recommend(result: dict, *, n_participants: int | None, headline: str) -> dict:
    """Say which of an estimate's intervals to trust, and set its headline `ci` (in place; returned).

    >>> one = {"estimate": 0.5, "intervals": {"wilson": {"ci": [0.2, 0.8]}}}
    >>> recommend(one, n_participants=1, headline="percentile")["recommended_interval"]
    'wilson'
    """
    intervals = result.get("intervals") or {}
    if headline == "bca" and (intervals.get("bca") or {}).get("ci"):
        result["ci"], result["ci_method"] = intervals["bca"]["ci"], BCA
    clustered = [name for name in ("bca", "percentile") if (intervals.get(name) or {}).get("ci")]
    analytic = [name for name in ANALYTIC_PREFERENCE if (intervals.get(name) or {}).get("ci")]
    if not clustered and not analytic:
        return result
    if not clustered:
        choice, why = (
            analytic[0],
            (
                "no participant-clustered interval (fewer than two participants): this trial-level interval is "
                "the only one, and it ignores that trials are nested in the person"
            ),
        )
    elif n_participants is not None and n_participants < FEW_PARTICIPANTS:
        choice, why = (
            clustered[0],
            (
                f"only {n_participants} participants: clustered bootstrap intervals tend to be too narrow with "
                f"fewer than {FEW_PARTICIPANTS}; "
                + (
                    "BCa corrects bias and skew but not that, "
                    if clustered[0] == "bca"
                    else "BCa (interval='bca') would correct bias and skew, "
                )
                + "so read it as a lower bound on the uncertainty; trial-level intervals ignore the clustering"
            ),
        )
    elif _near_bound(result["estimate"], result.get("ci")):
        choice, why = (
            clustered[0],
            (
                "the estimate is near its bound, where the resampled values are skewed: "
                + ("BCa corrects for that" if clustered[0] == "bca" else "BCa (interval='bca') would correct for that")
                + "; Wald-type analytic intervals do not respect the bound"
            ),
        )
    else:
        choice = "bca" if headline == "bca" and "bca" in clustered else clustered[-1]
        why = (
            "enough participants and away from the bounds: the participant-clustered interval; trial-level "
            "intervals treat trials as independent and are too narrow when people contribute several trials"
        )
    result["recommended_interval"], result["recommendation"] = choice, why
    return result


def _estimates(node, n_participants: int | None = None) -> Iterator[tuple[dict, int | None]]:
    """Every estimate dict in a results tree, with the participant count of the nearest section above."""
    if isinstance(node, dict):
        if isinstance(node.get("n_participants"), int):
            n_participants = node["n_participants"]
        if "estimate" in node:
            yield node, n_participants
        for key, value in node.items():
            if key not in ("intervals", "provenance"):
                yield from _estimates(value, n_participants)
    elif isinstance(node, list):
        for value in node:
            yield from _estimates(value, n_participants)


def annotate(results: dict, *, headline: str = "percentile", min_participants: int = 0) -> dict:
    """Interval recommendations on every estimate, and a flag on every section with fewer than
    `min_participants` participants (in place; returned).

    >>> out = annotate({"x": {"n_participants": 3, "p": {"estimate": 0.5}}}, min_participants=10)
    >>> out["x"]["few_participants"]
    'based on 3 participants, fewer than the stated minimum of 10'
    """
    for result, n in _estimates(results):
        recommend(result, n_participants=n, headline=headline)
    if min_participants:
        _flag_sections(results, min_participants)
    return results


def _flag_sections(node, minimum: int) -> None:
    if isinstance(node, dict):
        n = node.get("n_participants")
        if isinstance(n, int) and n < minimum:
            node["few_participants"] = f"based on {n} participants, fewer than the stated minimum of {minimum}"
        for key, value in node.items():
            if key != "provenance":
                _flag_sections(value, minimum)
    elif isinstance(node, list):
        for value in node:
            _flag_sections(value, minimum)


def sample_size_check(
    per_participant: np.ndarray, decisive: dict, *, target_width: float | None, level: float, seed: int
) -> dict:
    """Is the decisive interval wider than the stated width? If so, how many participants would do.

    >>> sample_size_check(np.zeros((2, 3)), {"difference": {"estimate": None}}, target_width=None, level=0.95,
    ...     seed=0)["reason"]
    'no target width stated (target_width=...)'
    """
    if target_width is None:
        return {"warning": False, "reason": "no target width stated (target_width=...)"}
    ci = decisive["difference"].get("ci")
    if not ci:
        return {"warning": False, "target_width": target_width, "reason": "the decisive difference has no interval"}
    width = ci[1] - ci[0]
    out = {
        "warning": width > target_width,
        "target_width": target_width,
        "ci_width": width,
        "n_participants": decisive["n_participants"],
    }
    if out["warning"]:
        out |= participants_for_width(per_participant, target_width=target_width, level=level, seed=seed)
    return out


def _percent(result: dict) -> str:
    return f"{result['estimate']:.0%}"


def plain_language(results: dict) -> dict:
    """One paragraph about the decisive comparison, generated from the numbers (the report's first lines).

    >>> from fer_stats import analyze, simulate_study
    >>> out = plain_language(analyze(simulate_study(n_participants=30, pose_fidelity=0.9, seed=1).trials, n_boot=200))
    >>> out["reading"], out["text"].split(" (")[0]
    ('face', 'On the 213 trials where the face was asked to differ from the feeling')
    """
    d, level = results["decisive"]["all"], results["provenance"]["level"]
    if not d["n"]:
        text = (
            "There are no decisive trials (trials where the face was asked to differ from the reported "
            "feeling, with a classified photo), so these data cannot say whether the label follows the face "
            "or the feeling."
        )
        return {"text": text, "interval_excludes_zero": None, "reading": None}
    diff = d["difference"]
    sentences = [
        f"On the {d['n']} trials where the face was asked to differ from the feeling ({d['n_participants']} "
        f"people), the model's label matched the requested face {_percent(d['follows_target'])} of the time and "
        f"the reported feeling {_percent(d['follows_felt'])}"
    ]
    ci = diff.get("ci")
    if ci:
        sentences[0] += (
            f" (difference {diff['estimate']:+.2f}, {level:.0%} CI {ci[0]:.2f} to {ci[1]:.2f}, participant-clustered)."
        )
    else:
        sentences[0] += f" (difference {diff['estimate']:+.2f}; {diff.get('ci_reason', 'no interval')})."
    excludes, reading = _reading(ci, sentences)
    sentences += _context(results)
    return {"text": " ".join(sentences), "interval_excludes_zero": excludes, "reading": reading}


def _reading(ci: list[float] | None, sentences: list[str]) -> tuple[bool | None, str | None]:
    if not ci:
        sentences.append("Without an interval nothing can be concluded beyond these trials.")
        return None, None
    if ci[0] > 0:
        sentences.append(
            "The interval excludes zero: on these trials the label followed the face that was made "
            "more than the feeling that was reported, as a reader of faces (not of feelings) would."
        )
        return True, "face"
    if ci[1] < 0:
        sentences.append(
            "The interval excludes zero: the label followed the reported feeling more than the "
            "requested face; since the model sees only the face, the faces seem to have kept showing "
            "the feeling (the poses did not take) rather than the model reading feelings."
        )
        return True, "feeling"
    sentences.append(
        "The interval includes zero: these data cannot tell whether the label follows the face or "
        "the feeling; more participants would narrow it."
    )
    return False, "undecided"


def _ci_text(result: dict) -> str:
    ci = result.get("ci")
    return f"{result['estimate']:.0%}" + (f" (CI {ci[0]:.0%} to {ci[1]:.0%})" if ci else "")


def _other_sections(results: dict) -> list[str]:
    """One sentence each for the manipulation check, the movement chain and the other models."""
    out = []
    check = results.get("induction", {}).get("felt_vs_induced", {}).get("all")
    if check and check["accuracy"]["estimate"] is not None:
        out.append(f"The felt report matched the induced emotion on {_ci_text(check['accuracy'])} of induced trials.")
    chain = results.get("chain", {})
    fidelity = chain.get("face_follows_instruction", {}).get("objective_pose_fidelity", {}).get("all")
    if fidelity and fidelity["accuracy"]["estimate"] is not None:
        follows = chain["label_follows_face"]["all"]["accuracy"]
        out.append(
            f"Movement measures show the requested expression on {_ci_text(fidelity['accuracy'])} of posed "
            "trials"
            + (
                f", and the model's label matched the expression the movements show on {_ci_text(follows)} of photos."
                if follows["estimate"] is not None
                else "."
            )
        )
    models = results.get("models", {})
    for name in models.get("names", [])[1:]:
        other = models["decisive"][name]["all"]["difference"]
        if other["estimate"] is not None:
            ci = other.get("ci")
            out.append(
                f"With the model {name} the difference was {other['estimate']:+.2f}"
                + (f" (CI {ci[0]:.2f} to {ci[1]:.2f})." if ci else ".")
            )
    return out


def _context(results: dict) -> list[str]:
    out = []
    flow = results.get("exclusions", {}).get("flow")
    if flow and flow["analysed"]["trials"] < flow["start"]["trials"]:
        out.append(
            f"After the declared exclusions, {flow['analysed']['participants']} of "
            f"{flow['start']['participants']} participants and {flow['analysed']['trials']} of "
            f"{flow['start']['trials']} trials were analysed."
        )
    none = results["decisive"]["all"].get("n_felt_none")
    if none:
        out.append(
            f'{none} posed trials whose felt report was "none" are not decisive (no felt emotion to differ from).'
        )
    out += _other_sections(results)
    size = results.get("sample_size", {})
    if size.get("warning"):
        needed = size.get("participants_needed")
        out.append(
            f"The interval is {size['ci_width']:.2f} wide, wider than the stated {size['target_width']:.2f}; "
            + (
                f"a planning simulation puts the participants needed at about {needed}."
                if needed
                else f"a planning simulation did not reach it ({size.get('reason')})."
            )
        )
    return out
