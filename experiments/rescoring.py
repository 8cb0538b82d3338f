"""Re-scoring: classify an experiment's stored photos with a (new) model."""

from django.db import transaction
from django.utils import timezone

from .models import Classification, ClassifierModel, Experiment, Photo


def rescore(experiment: Experiment, model: ClassifierModel, *, redo: bool = False) -> int:
    """Queue every present photo of the experiment that `model` has not classified (all of them if
    `redo`); returns how many were queued. Safe to repeat: rows are unique per photo and model."""
    from .tasks import classify_photo

    photos = Photo.objects.present().filter(trial__participant__experiment=experiment)
    with transaction.atomic():
        rows = Classification.objects.filter(photo__in=photos, model=model)
        if redo:
            rows.update(status=Classification.Status.PENDING, attempts=0, started_at=None,
                        queued_at=timezone.now(), finished_at=None, error="")
        missing = photos.exclude(classifications__model=model).values_list("pk", flat=True)
        Classification.objects.bulk_create(
            [Classification(photo_id=pk, model=model) for pk in missing], ignore_conflicts=True
        )
        queued = list(rows.filter(status=Classification.Status.PENDING).values_list("photo_id", flat=True))
        transaction.on_commit(lambda: [classify_photo.delay(pk, model.pk) for pk in queued])
    return len(queued)
