"""Deleting people's data everywhere a copy exists: photo files first (each commit waits for the disk,
as withdrawal's does), then the rows, then the built export files that hold them.

Admin deletes of experiments, participants, trials and photos come through here, so a file never
stays on disk without its row.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from .models import Experiment, Participant, Photo, Trial

# How each model's rows reach their photos, and their experiments.
PHOTO_PATHS = {Experiment: "trial__participant__experiment", Participant: "trial__participant", Trial: "trial",
               Photo: "pk"}
EXPERIMENT_PATHS = {Experiment: "pk", Participant: "experiment", Trial: "participant__experiment",
                    Photo: "trial__participant__experiment"}


def delete_with_files(queryset: QuerySet) -> None:
    """Delete the rows of `queryset` (experiments, participants, trials or photos) and every file of theirs."""
    from .workspace.jobs import invalidate_exports, reached_experiments

    model = queryset.model
    experiment_ids = reached_experiments(queryset.values_list(EXPERIMENT_PATHS[model], flat=True))
    photos = Photo.objects.filter(**{f"{PHOTO_PATHS[model]}__in": queryset.values("pk")})
    for photo in photos.exclude(file=""):
        photo.delete_file()
    with transaction.atomic():
        queryset.delete()
    invalidate_exports(experiment_ids)
