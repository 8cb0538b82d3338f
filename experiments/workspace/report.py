"""The analysis report: cached statistics plus their figures, for the page and the offline HTML file."""

from __future__ import annotations

from django.core.cache import cache
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from experiments.exports.results import CACHE_SECONDS, analysis_for
from experiments.exports.tidy import default_model, labels_of, trial_frame
from experiments.models import ClassifierModel, Experiment

from . import plots

PLOTS = ("confusion_target", "confusion_felt", "decisive", "cooccurrence", "valence")


def figures(experiment: Experiment, model: ClassifierModel | None, analysis: dict) -> dict[str, str]:
    """SVG text per plot name, cached with the analysis they draw (same data version)."""
    key = f"plots:{experiment.pk}:{model.pk if model else 0}:{analysis['stamp']['data_version']}"
    if (hit := cache.get(key)) is not None:
        return hit
    results = analysis["results"]
    if results is None:
        return {}
    agreement = results["agreement"]
    svgs = {
        "confusion_target": plots.confusion_svg(agreement["predicted_vs_target"]["all"], reference="target"),
        "confusion_felt": plots.confusion_svg(agreement["predicted_vs_felt"]["all"], reference="felt"),
        "decisive": plots.decisive_svg(results["decisive"]),
        "cooccurrence": plots.cooccurrence_svg(results["cooccurrence"]),
        "valence": plots.valence_svg(trial_frame(experiment, model), results["valence"].get("all", {}),
                                     labels_of(experiment)),
    }
    cache.set(key, svgs, CACHE_SECONDS)
    return svgs


def fmt(result: dict | None, *, ci: bool = True) -> str:
    """An estimate as text: "0.412 [0.351, 0.470]", or "–" with the reason left to the JSON.

    >>> fmt({"estimate": 0.5, "ci": [0.25, 0.75]})
    '0.500 [0.250, 0.750]'
    """
    if not result or result.get("estimate") is None:
        return "–"
    text = f"{result['estimate']:.3f}"
    if ci and result.get("ci"):
        text += f" [{result['ci'][0]:.3f}, {result['ci'][1]:.3f}]"
    return text


def fmt_p(test: dict | None) -> str:
    return "–" if not test or test.get("p_value") is None else f"{test['p_value']:.3g}"


def plot_html(experiment: Experiment, svgs: dict[str, str], *, inline: bool, query: str = "") -> dict[str, str]:
    """Inline SVG for the offline file; <img> for the page (a strict CSP forbids inline SVG styles)."""
    if inline:
        return {name: mark_safe(f'<figure class="plot">{svg}</figure>') for name, svg in svgs.items()}
    return {
        name: format_html('<figure class="plot"><img src="{}{}" alt="{}"></figure>',
                          reverse("workspace:report_plot", args=[experiment.slug, name]), query,
                          name.replace("_", " "))
        for name in svgs
    }


def report_context(experiment: Experiment, model: ClassifierModel | None = None, *, inline: bool = False) -> dict:
    model = model or default_model(experiment)
    analysis = analysis_for(experiment, model)
    results = analysis["results"]
    svgs = figures(experiment, model, analysis)
    query = f"?model={model.name}" if model else ""
    context = {"experiment": experiment, "model": model, "analysis": analysis, "results": results,
               "stamp": analysis["stamp"], "error": analysis["error"], "figures": svgs,
               "plot_html": plot_html(experiment, svgs, inline=inline, query=query)}
    if not results:
        return context
    context["decisive_rows"] = [
        {"scope": scope, "n": d["n"], "follows_target": fmt(d["follows_target"]),
         "follows_felt": fmt(d["follows_felt"]), "difference": fmt(d["difference"]),
         "mcnemar_p": fmt_p(d["mcnemar_exact"]), "sign_flip_p": fmt_p(d["sign_flip"])}
        for scope, d in results["decisive"].items() if d["n"]
    ]
    context["agreement_rows"] = [
        {"pair": pair.replace("_", " "), "scope": scope, "n": a["n"], "accuracy": fmt(a["accuracy"]),
         "chance": fmt(a["chance_accuracy"], ci=False), "kappa": fmt(a["kappa"]), "ac1": fmt(a["ac1"]),
         "macro_f1": fmt(a["macro_f1"])}
        for pair, by_scope in results["agreement"].items() for scope, a in by_scope.items() if a["n"]
    ]
    context["cooccurrence_rows"] = [
        {"label": label, "n_felt": c["n_felt"], "predicted_given_felt": fmt(c["predicted_given_felt"]),
         "felt_given_predicted": fmt(c["felt_given_predicted"])}
        for label, c in results["cooccurrence"]["by_label"].items()
    ]
    context["valence_rows"] = [
        {"scope": scope, "n": v["n"], "spearman_pooled": fmt(v["spearman_pooled"]),
         "repeated_measures_r": fmt(v["repeated_measures_r"])}
        for scope, v in results["valence"].items() if scope != "label_valence" and v.get("n")
    ]
    reliability = results.get("observers", {}).get("reliability")
    if reliability:
        context["observers"] = {"fleiss": fmt(reliability["fleiss_kappa"]),
                                "alpha": fmt(reliability["krippendorff_alpha_nominal"]),
                                "n_ratings": reliability["n_ratings"], "n_raters": reliability["n_raters"],
                                "versus_model": [
                                    {"reference": ref, "n": p["n"], "observers": fmt(p["observers_accuracy"]),
                                     "model": fmt(p["model_accuracy"]), "difference": fmt(p["model_minus_observers"]),
                                     "mcnemar_p": fmt_p(p.get("mcnemar_exact"))}
                                    for ref, p in results["observers"]["observers_vs_model"].items()
                                ]}
    return context
