"""The report's figures as SVG text, drawn server-side with matplotlib (Agg, no display needed).

Each function takes the statistics engine's plain results (and, for the scatter, the tidy trial
frame) and returns an SVG document; colours are print-safe (viridis, black text).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from fer_stats.valence import LABEL_VALENCE, model_valence_index  # noqa: E402

plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                     "axes.spines.right": False, "svg.hashsalt": "fer_study"})


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype, so it inlines in HTML


def _empty(message: str) -> str:
    figure, axes = plt.subplots(figsize=(4, 1))
    axes.axis("off")
    axes.text(0.5, 0.5, message, ha="center", va="center")
    return _svg(figure)


def confusion_svg(agreement: dict, *, reference: str) -> str:
    """Heatmap of counts, rows = `reference` (target or felt), columns = predicted, normalised by row."""
    confusion = agreement["confusion"]
    counts = np.array(confusion["counts"], dtype=float)
    if not counts.sum():
        return _empty(f"No classified trials with a {reference} yet.")
    labels = confusion["labels"]
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / counts.sum(axis=1, keepdims=True)
    figure, axes = plt.subplots(figsize=(4.6, 4))
    image = axes.imshow(np.nan_to_num(shares), cmap="viridis", vmin=0, vmax=1)
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted by the model")
    axes.set_ylabel(reference)
    for (i, j), n in np.ndenumerate(counts):
        if n:
            axes.text(j, i, int(n), ha="center", va="center", fontsize=7,
                      color="black" if shares[i, j] > 0.6 else "white")
    figure.colorbar(image, ax=axes, fraction=0.046, label=f"share of the {reference} row")
    kappa = agreement["kappa"]["estimate"]
    axes.set_title(f"predicted vs {reference}: n={agreement['n']}"
                   + (f", kappa={kappa:.2f}" if kappa is not None else ""))
    return _svg(figure)


def _point(result: dict) -> tuple[float, float, float] | None:
    if result.get("estimate") is None:
        return None
    low, high = result.get("ci") or (result["estimate"], result["estimate"])
    return result["estimate"], low, high


def decisive_svg(decisive: dict) -> str:
    """P(pred = target) and P(pred = felt) on decisive trials, with clustered intervals, per scope."""
    scopes = [s for s, d in decisive.items() if d.get("n")]
    if not scopes:
        return _empty("No decisive trials (target differs from felt) yet.")
    figure, axes = plt.subplots(figsize=(6, 0.6 + 0.55 * len(scopes) * 1.5))
    rows = []
    for scope in scopes:
        for name, label, marker in (("follows_target", "P(pred = target)", "o"),
                                    ("follows_felt", "P(pred = felt)", "s"),
                                    ("difference", "difference", "D")):
            rows.append((f"{scope}: {label}", _point(decisive[scope][name]), marker))
    for y, (_, point, marker) in enumerate(rows):
        if point:
            estimate, low, high = point
            axes.errorbar(estimate, y, xerr=[[estimate - low], [high - estimate]], fmt=marker, color="black",
                          capsize=3)
    axes.set_yticks(range(len(rows)), [r[0] for r in rows])
    axes.invert_yaxis()
    axes.axvline(0, color="grey", linewidth=0.8)
    axes.set_xlim(-1, 1)
    axes.set_xlabel("proportion of decisive trials (95% participant-clustered interval)")
    axes.set_title("Does the label follow the face or the feeling?")
    return _svg(figure)


def cooccurrence_svg(cooccurrence: dict) -> str:
    """P(pred = e | felt = e) per emotion beside the meta-analytic .13 and .23 lines."""
    by_label = {label: c for label, c in cooccurrence["by_label"].items() if c["n_felt"]}
    if not by_label:
        return _empty("No natural or express trials with a prediction yet.")
    figure, axes = plt.subplots(figsize=(6, 3))
    for x, c in enumerate(by_label.values()):
        point = _point(c["predicted_given_felt"])
        if point:
            estimate, low, high = point
            axes.bar(x, estimate, color="#4c72b0", width=0.6)
            axes.errorbar(x, estimate, yerr=[[estimate - low], [high - estimate]], color="black", capsize=3)
    meta = cooccurrence["meta_analytic"]
    axes.axhline(meta["full_expression"], color="black", linestyle="--", linewidth=1,
                 label=f"meta-analysis, full expression ({meta['full_expression']})")
    axes.axhline(meta["full_or_partial_expression"], color="black", linestyle=":", linewidth=1,
                 label=f"full or partial ({meta['full_or_partial_expression']})")
    axes.set_xticks(range(len(by_label)), [f"{label}\nn={c['n_felt']}" for label, c in by_label.items()])
    axes.set_ylim(0, 1)
    axes.set_ylabel("P(predicted = felt)")
    axes.set_title("Co-occurrence of felt emotion and model label (natural + express)")
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    return _svg(figure)


def valence_svg(trials: pd.DataFrame, valence: dict, labels: list[str]) -> str:
    """Model valence index (probability-weighted) against self-reported valence, one dot per trial."""
    columns = [f"prob_{label}" for label in labels]
    if trials.empty or any(label not in LABEL_VALENCE for label in labels):
        return _empty("No valence to plot.")
    index = model_valence_index(trials[columns].to_numpy(dtype=float), labels)
    reported = pd.to_numeric(trials["valence"], errors="coerce").to_numpy(dtype=float)
    usable = np.isfinite(index) & np.isfinite(reported)
    if not usable.any():
        return _empty("No trials with both a self-reported valence and model probabilities yet.")
    x, y = reported[usable], index[usable]
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(x))
    figure, axes = plt.subplots(figsize=(4.6, 3.6))
    if len(x) > 5000:
        axes.hexbin(x, y, gridsize=(9, 25), cmap="Greys", mincnt=1)
    else:
        axes.scatter(x + jitter, y, s=8, alpha=0.4, color="#4c72b0", linewidths=0)
    axes.set_xlabel("self-reported valence (1-9)")
    axes.set_ylabel("model valence index (-1 to 1)")
    rho = valence.get("spearman_pooled", {}).get("estimate")
    rm = valence.get("repeated_measures_r", {}).get("estimate")
    axes.set_title("Valence: model vs self-report"
                   + (f"\nSpearman {rho:.2f}" if rho is not None else "")
                   + (f", within-person r {rm:.2f}" if rm is not None else ""))
    return _svg(figure)
