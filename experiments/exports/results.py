"""The analysis of an experiment: the statistics engine on the export's own rows, cached per data version."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db.models import Count, Max

from experiments.models import Classification, ClassifierModel, Experiment, Rating, Trial
from fer_stats import TrialTableError, analyze

from .tidy import context_for, default_model, labels_of, rating_frame, trial_frame

N_BOOT = 2000  # the CLI's defaults, so `python -m fer_stats` on the export gives the same numbers
SEED = 0
CACHE_SECONDS = 7 * 24 * 3600


def data_version(experiment: Experiment, model: ClassifierModel | None) -> str:
    """Changes whenever a trial, classification or rating that the analysis reads changes."""
    trials = Trial.objects.filter(participant__experiment=experiment).aggregate(
        n=Count("id"), last=Max("id"), touched=Max("completed_at"), felt=Max("felt_reported_at"))
    scored = Classification.objects.filter(photo__trial__participant__experiment=experiment, model=model).aggregate(
        n=Count("id"), last=Max("finished_at"))
    ratings = Rating.objects.filter(photo__trial__participant__experiment=experiment).aggregate(
        n=Count("id"), last=Max("id"))
    withdrawn = experiment.participants.filter(status="withdrawn").count()
    parts = [experiment.config_sha256, model.sha256 if model else "", trials, scored, ratings, withdrawn]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def analysis_for(experiment: Experiment, model: ClassifierModel | None = None, *, use_cache: bool = True) -> dict:
    """{"stamp": ..., "results": <analyze() output> | None, "error": str | None}."""
    model = model or default_model(experiment)
    version = data_version(experiment, model)
    key = f"analysis:{experiment.pk}:{model.pk if model else 0}:{version}"
    if use_cache and (hit := cache.get(key)) is not None:
        return hit
    stamp = context_for(experiment, model) | {"data_version": version, "n_boot": N_BOOT, "seed": SEED}
    trials = trial_frame(experiment, model)
    ratings = rating_frame(experiment)
    document = {"stamp": stamp, "results": None, "error": None}
    try:
        document["results"] = analyze(trials, ratings if len(ratings) else None,
                                      labels=labels_of(experiment), n_boot=N_BOOT, seed=SEED)
    except (TrialTableError, ValueError) as error:
        document["error"] = str(error)
    cache.set(key, document, CACHE_SECONDS)
    return document
