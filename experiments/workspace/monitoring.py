"""What the live page shows: counts by status, the classification queue, whether workers are alive and
running headline numbers."""

from __future__ import annotations

import statistics

from django.db.models import Count, F, Min, Q
from django.utils import timezone

from experiments.exports.tidy import default_model
from experiments.heartbeats import worker_status
from experiments.models import Classification, Experiment, Participant, Photo, Trial


def status_counts(experiment: Experiment) -> dict:
    """Plain JSON data; a handful of aggregate queries whatever the size of the study."""
    now = timezone.now()
    participants = dict(
        experiment.participants.values_list("status").annotate(n=Count("id")).order_by()
    )
    trials = Trial.objects.filter(participant__experiment=experiment)
    photos = Photo.objects.filter(trial__participant__experiment=experiment)
    classifications = Classification.objects.filter(photo__trial__participant__experiment=experiment)
    queue = dict(classifications.values_list("status").annotate(n=Count("id")).order_by())
    oldest = classifications.filter(status=Classification.Status.PENDING).aggregate(t=Min("created_at"))["t"]
    durations = [
        (done - started).total_seconds()
        for started, done in experiment.participants.filter(completed_at__isnull=False)
        .values_list("started_at", "completed_at").order_by("-completed_at")[:1000]
    ]
    return {
        "experiment": experiment.slug,
        "status": experiment.status,
        "config_sha256": experiment.config_sha256,
        "generated_at": now.isoformat(),
        "participants": {status: participants.get(status, 0) for status in Participant.Status.values}
        | {"total": sum(participants.values())},
        "trials": {
            "total": trials.count(),
            "with_felt": trials.exclude(felt_reported_at=None).count(),
        },
        "photos": {"total": photos.count(), "deleted": photos.exclude(deleted_at=None).count()},
        "classifications": {status: queue.get(status, 0) for status in Classification.Status.values},
        "oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
        "workers": worker_status(now=now),
        "completion_minutes": {
            "n": len(durations),
            "median": round(statistics.median(durations) / 60, 2) if durations else None,
        },
        "headline": headline(experiment),
    }


def headline(experiment: Experiment) -> dict:
    """Raw running proportions for the default model (the report has the intervals)."""
    model = default_model(experiment)
    done = Classification.objects.filter(
        photo__trial__participant__experiment=experiment, model=model, status=Classification.Status.DONE
    ).exclude(photo__trial__participant__status=Participant.Status.WITHDRAWN)
    counts = done.aggregate(
        n=Count("id"),
        target_n=Count("id", filter=~Q(photo__trial__target="")),
        matches_target=Count("id", filter=Q(top_label=F("photo__trial__target"))),
        felt_n=Count("id", filter=~Q(photo__trial__felt="")),
        matches_felt=Count("id", filter=Q(top_label=F("photo__trial__felt"))),
        decisive=Count("id", filter=~Q(photo__trial__target="") & ~Q(photo__trial__felt="")
                       & ~Q(photo__trial__target=F("photo__trial__felt"))),
        decisive_target=Count("id", filter=~Q(photo__trial__target=F("photo__trial__felt"))
                              & ~Q(photo__trial__felt="") & Q(top_label=F("photo__trial__target"))),
        decisive_felt=Count("id", filter=~Q(photo__trial__target=F("photo__trial__felt"))
                            & ~Q(photo__trial__target="") & Q(top_label=F("photo__trial__felt"))),
    )

    def share(k: str, n: str):
        return round(counts[k] / counts[n], 3) if counts[n] else None

    return {
        "model": str(model) if model else None,
        "classified": counts["n"],
        "accuracy_vs_target": share("matches_target", "target_n"),
        "accuracy_vs_felt": share("matches_felt", "felt_n"),
        "decisive_trials": counts["decisive"],
        "decisive_follows_target": share("decisive_target", "decisive"),
        "decisive_follows_felt": share("decisive_felt", "decisive"),
    }
