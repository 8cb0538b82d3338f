"""Accepting a participant's photo: validate, re-encode, store privately, queue classification."""

import hashlib
import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from fer_inference.decode import InvalidImage, decode_image

from .models import Classification, Photo, Trial

log = logging.getLogger(__name__)


class PhotoRejected(Exception):
    """The upload is not a usable photo; `message` tells the participant what to do."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def reencode_jpeg(data: bytes) -> tuple[bytes, int, int]:
    """The photo as a fresh JPEG of its pixels and nothing else: no EXIF, comment (COM), ICC profile,
    XMP, PNG text or trailing bytes, since Pillow writes what `info` still holds."""
    try:
        image = decode_image(data, max_bytes=settings.PHOTO_MAX_BYTES, max_pixels=settings.PHOTO_MAX_PIXELS)
    except InvalidImage as exc:
        raise PhotoRejected(exc.code, exc.message) from exc
    pixels_only = Image.frombytes("RGB", image.size, image.tobytes())
    buffer = io.BytesIO()
    pixels_only.save(buffer, "JPEG", quality=92)
    return buffer.getvalue(), image.width, image.height


def accept_photo(*, trial: Trial, data: bytes, source: str = Photo.Source.WEBCAM) -> Photo:
    """Store the trial's photo once and queue it for every model of the experiment.

    Idempotent: a double click or a retried request returns the photo already stored.
    """
    existing = Photo.objects.filter(trial=trial).first()
    if existing:
        return existing
    jpeg, width, height = reencode_jpeg(data)
    photo = None
    try:
        with transaction.atomic():
            photo = Photo(
                trial=trial,
                sha256=hashlib.sha256(jpeg).hexdigest(),
                size_bytes=len(jpeg),
                width=width,
                height=height,
                source=source,
            )
            photo.file.save("photo.jpg", ContentFile(jpeg), save=False)
            photo.save()
            trial.photo_submitted_at = timezone.now()
            trial.save(update_fields=["photo_submitted_at"])
            queue_classifications(photo, trial.participant.experiment.frozen_models())
    except IntegrityError:
        # A concurrent request for the same trial won the race: keep its photo, drop our file.
        discard_file(photo)
        return Photo.objects.get(trial=trial)
    except BaseException:
        discard_file(photo)  # the row was rolled back (e.g. the database went away): no orphan file
        raise
    return photo


def discard_file(photo: Photo | None) -> None:
    if photo is not None and photo.file:
        photo.file.storage.delete(photo.file.name)


def queue_classifications(photo: Photo, models) -> list[Classification]:
    """Create the pending rows and enqueue their tasks once the transaction commits."""
    from .tasks import classify_photo

    rows = []
    for model in models:
        row, _ = Classification.objects.get_or_create(photo=photo, model=model)
        rows.append(row)
        # robust: with the broker down the photo is still accepted; the sweeper sends the pending row later.
        transaction.on_commit(lambda p=photo.pk, m=model.pk: classify_photo.delay(p, m), robust=True)
    return rows
